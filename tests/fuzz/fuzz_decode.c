/*
 * fuzz_decode.c - the packet decoder (decode.h) on a sequence of packets.
 *
 * Input: a packet sequence (fuzz.h), so that fragments of one datagram
 * meet in the decoder's fragment table. Each packet is copied into a
 * buffer of exactly its captured length, so a read past caplen is an
 * ASan report and not a silent read of the next packet.
 *
 * Checked beyond "no crash": the result is OK or one of the listed
 * reasons, each with a stats name; a decoded packet's pointers stay
 * inside the captured bytes, IPv4 addresses are IPv4-mapped, the tunnel
 * depth is within its bound.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

static struct decoder dec;

static void check_decoded(const struct cap_packet *pkt, const uint8_t *buf, const struct decoded *d)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *end = buf + pkt->caplen;

	if (d->ipver != 4 && d->ipver != 6)
		fuzz_fail("decoded packet with ipver %u", d->ipver);
	if (!d->l3 || d->l3 < buf || d->l3 > end || d->l3_caplen > (size_t)(end - d->l3))
		fuzz_fail("l3 outside the packet (l3 offset %td, l3_caplen %u, caplen %u)",
			  d->l3 ? d->l3 - buf : -1, d->l3_caplen, pkt->caplen);
	if (d->payload && (d->payload < d->l3 || d->payload > end ||
			   d->payload_len > (size_t)(end - d->payload)))
		fuzz_fail("payload outside the packet (offset %td, len %u, caplen %u)",
			  d->payload - buf, d->payload_len, pkt->caplen);
	if (!d->payload && d->payload_len)
		fuzz_fail("payload_len %u without a payload", d->payload_len);
	if (d->tunnel_depth > DECODE_MAX_TUNNELS)
		fuzz_fail("tunnel depth %u > %d", d->tunnel_depth, DECODE_MAX_TUNNELS);
	if ((d->tunnel_depth == 0) != (d->tunnel == TUNNEL_NONE))
		fuzz_fail("tunnel %u with depth %u", d->tunnel, d->tunnel_depth);
	if (d->ipver == 4 && (memcmp(d->src, mapped, 12) != 0 || memcmp(d->dst, mapped, 12) != 0))
		fuzz_fail("IPv4 packet with addresses not IPv4-mapped");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pkts r;
	struct cap_packet pkt;
	int kind;

	if (fuzz_pkts_begin(&r, data, size, 1700000000000000ULL) < 0)
		return 0;
	decoder_init(&dec);
	while ((kind = fuzz_pkts_next(&r, &pkt)) != FUZZ_PKT_END) {
		struct decoded d;
		uint8_t *buf;
		int e;

		if (kind != FUZZ_PKT_PACKET)
			continue;
		buf = malloc(pkt.caplen ? pkt.caplen : 1);
		if (!buf)
			return 0;
		memcpy(buf, pkt.data, pkt.caplen);
		memset(&d, 0, sizeof d);
		e = decode_packet(&dec, r.linktype, buf, pkt.caplen, pkt.ts_us, &d);
		if (e < 0 || e >= DECODE_ERR__COUNT)
			fuzz_fail("decode_packet returned %d", e);
		if (e != DECODE_OK && !decode_error_name(e))
			fuzz_fail("decode error %d has no name", e);
		if (e == DECODE_OK)
			check_decoded(&pkt, buf, &d);
		free(buf);
	}
	return 0;
}
