/*
 * community_id.c - Community ID v1 (see community_id.h).
 *
 * Written from the specification (corelight/community-id-spec README):
 *
 *   sha1(seed . saddr . daddr . proto . 0 . sport . dport)
 *
 * every field in network byte order, the endpoints swapped when needed so
 * the numerically smaller address (then port) comes first, and "1:" before
 * the base64 of the digest. ICMP types that have a counterpart (echo and
 * echo reply, ...) use the counterpart as the second "port", so a request
 * and its answer get one ID; other ICMP types use the code and are one-way
 * (never swapped). SHA-1 is nDPI's, already linked for classification.
 */
#include "community_id.h"

#include <string.h>

#include <ndpi_api.h>

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ICMPV6 = 58, P_SCTP = 132 };

/* Zeek's counterpart types: ICMPv4 then ICMPv6; -1 for none. */
static int icmp4_counterpart(uint16_t type)
{
	switch (type) {
	case 8: return 0;    /* echo request / reply */
	case 0: return 8;
	case 13: return 14;  /* timestamp */
	case 14: return 13;
	case 15: return 16;  /* information */
	case 16: return 15;
	case 10: return 9;   /* router solicitation / advertisement */
	case 9: return 10;
	case 17: return 18;  /* address mask */
	case 18: return 17;
	default: return -1;
	}
}

static int icmp6_counterpart(uint16_t type)
{
	switch (type) {
	case 128: return 129; /* echo request / reply */
	case 129: return 128;
	case 133: return 134; /* router solicitation / advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbor solicitation / advertisement */
	case 136: return 135;
	case 130: return 131; /* multicast listener query / report */
	case 131: return 130;
	case 144: return 145; /* home agent address discovery */
	case 145: return 144;
	case 139: return 140; /* node information query / response */
	case 140: return 139;
	default: return -1;
	}
}

void community_id_digest(uint8_t digest[20], uint16_t seed, uint8_t ipver,
			 const uint8_t saddr[16], const uint8_t daddr[16],
			 uint8_t proto, uint16_t sport, uint16_t dport)
{
	uint8_t buf[2 + 16 + 16 + 2 + 4];
	size_t alen = ipver == 4 ? 4 : 16, off = ipver == 4 ? 12 : 0, n = 0;
	const uint8_t *a = saddr + off, *b = daddr + off;
	int ports = proto == P_TCP || proto == P_UDP || proto == P_SCTP ||
		    proto == P_ICMP || proto == P_ICMPV6;
	int one_way = 0;

	if (proto == P_ICMP || proto == P_ICMPV6) {
		int peer = proto == P_ICMP ? icmp4_counterpart(sport) : icmp6_counterpart(sport);
		if (peer >= 0)
			dport = (uint16_t)peer;
		else
			one_way = 1;
	}
	/* the smaller endpoint first; a one-way ICMP message keeps its order */
	int c = memcmp(a, b, alen);
	if (!one_way && (c > 0 || (c == 0 && ports && sport > dport))) {
		const uint8_t *t = a;
		uint16_t tp = sport;
		a = b;
		b = t;
		sport = dport;
		dport = tp;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		buf[n++] = (uint8_t)(sport >> 8);
		buf[n++] = (uint8_t)sport;
		buf[n++] = (uint8_t)(dport >> 8);
		buf[n++] = (uint8_t)dport;
	}
	ndpi_string_sha1_hash(buf, n, digest);
}

void community_id_v1(char out[COMMUNITY_ID_LEN], uint16_t seed, uint8_t ipver,
		     const uint8_t saddr[16], const uint8_t daddr[16],
		     uint8_t proto, uint16_t sport, uint16_t dport)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t d[21];
	char *p = out;

	community_id_digest(d, seed, ipver, saddr, daddr, proto, sport, dport);
	d[20] = 0;
	*p++ = '1';
	*p++ = ':';
	/* 20 bytes: six full groups of three, then two bytes and one '=' */
	for (int i = 0; i < 21; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		*p++ = b64[v >> 6 & 63];
		*p++ = i + 3 <= 20 ? b64[v & 63] : '=';
	}
	*p = '\0';
}
