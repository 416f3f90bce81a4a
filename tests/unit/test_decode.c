/*
 * test_decode.c - decode_packet() on hand-built packets.
 *
 * Packets are assembled into a buffer with the small builders below
 * (Ethernet, VLAN tags, IPv4/IPv6, TCP/UDP, tunnel headers); lengths are
 * patched at the end (ip4_end, ip6_end, udp_end). Every decode runs on an
 * exact-size heap copy so AddressSanitizer catches any read past caplen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/dlt.h>

#include "decode/decode.h"

/* ---- packet builder ------------------------------------------------------ */

struct pkt {
	uint8_t b[2048];
	uint32_t n;
};

static void put8(struct pkt *p, uint8_t v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void putn(struct pkt *p, const void *data, uint32_t len)
{
	assert_true(p->n + len <= sizeof(p->b));
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

/* len bytes of a recognisable filler */
static void putfill(struct pkt *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		put8(p, (uint8_t)('a' + i % 26));
}

static void set16(struct pkt *p, uint32_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void eth(struct pkt *p, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	putn(p, macs, sizeof(macs));
	put16(p, type);
}

/* a VLAN tag (after a TPID ethertype): TCI then the next ethertype */
static void vtag(struct pkt *p, uint16_t tci, uint16_t next)
{
	put16(p, tci);
	put16(p, next);
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* 20-byte IPv4 header, total length patched by ip4_end; returns its offset */
static uint32_t ip4(struct pkt *p, uint8_t proto, uint32_t src, uint32_t dst)
{
	uint32_t off = p->n;

	put8(p, 0x45);
	put8(p, 0);
	put16(p, 0);            /* total length */
	put16(p, 0x1234);       /* id */
	put16(p, 0x4000);       /* DF */
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put32(p, src);
	put32(p, dst);
	return off;
}

static void ip4_end(struct pkt *p, uint32_t off)
{
	set16(p, off + 2, (uint16_t)(p->n - off));
}

/* IPv6 header with 2001:db8::s -> 2001:db8::d; payload length by ip6_end */
static uint32_t ip6(struct pkt *p, uint8_t nh, uint8_t s, uint8_t d)
{
	uint32_t off = p->n;
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	put32(p, 0x60000000);
	put16(p, 0);
	put8(p, nh);
	put8(p, 64);
	a[15] = s;
	putn(p, a, 16);
	a[15] = d;
	putn(p, a, 16);
	return off;
}

static void ip6_end(struct pkt *p, uint32_t off)
{
	set16(p, off + 4, (uint16_t)(p->n - off - 40));
}

static void tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1000);         /* seq */
	put32(p, 0);            /* ack */
	put8(p, 5 << 4);
	put8(p, flags);
	put16(p, 65535);
	put32(p, 0);            /* checksum, urgent */
}

static uint32_t udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint32_t off = p->n;

	put16(p, sport);
	put16(p, dport);
	put16(p, 0);
	put16(p, 0);
	return off;
}

static void udp_end(struct pkt *p, uint32_t off)
{
	set16(p, off + 4, (uint16_t)(p->n - off));
}

/* ---- decoding helpers ------------------------------------------------------ */

static struct decoder g_dec;
static uint8_t *g_copy;         /* heap copy of the last decoded packet */

/* Decode the first caplen bytes of p from an exact-size heap copy (kept
 * until the next call so pointers in *d stay valid). */
static int dec_len(int lt, const struct pkt *p, uint32_t caplen, uint64_t ts,
		   struct decoded *d)
{
	free(g_copy);
	g_copy = malloc(caplen ? caplen : 1);
	assert_non_null(g_copy);
	memcpy(g_copy, p->b, caplen);
	return decode_packet(&g_dec, lt, g_copy, caplen, ts, d);
}

static int dec(int lt, const struct pkt *p, struct decoded *d)
{
	return dec_len(lt, p, p->n, 1000000, d);
}

static void assert_v4(const uint8_t *a, uint32_t ip)
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	assert_memory_equal(a, pre, 12);
	assert_int_equal(a[12], ip >> 24);
	assert_int_equal(a[13], (ip >> 16) & 0xff);
	assert_int_equal(a[14], (ip >> 8) & 0xff);
	assert_int_equal(a[15], ip & 0xff);
}

static void assert_v6(const uint8_t *a, uint8_t last)
{
	uint8_t e[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	e[15] = last;
	assert_memory_equal(a, e, 16);
}

static const uint32_t A = IP(10, 0, 0, 1), B = IP(10, 0, 0, 2);

/* ---- plain Ethernet ----------------------------------------------------------- */

static void mk_eth_ipv4_tcp(struct pkt *p, uint32_t payload)
{
	uint32_t o;

	eth(p, 0x0800);
	o = ip4(p, 6, A, B);
	tcp(p, 40000, 443, 0x18);
	putfill(p, payload);
	ip4_end(p, o);
}

static void test_eth_ipv4_tcp(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_eth_ipv4_tcp(&p, 2);
	while (p.n < 60)        /* minimum frame: Ethernet padding */
		put8(&p, 0);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.proto, 6);
	assert_int_equal(d.sport, 40000);
	assert_int_equal(d.dport, 443);
	assert_int_equal(d.tcp_flags, 0x18);
	assert_int_equal(d.ip_len, 42);
	assert_int_equal(d.payload_len, 2);
	assert_ptr_equal(d.payload, g_copy + 54);
	assert_memory_equal(d.payload, "ab", 2);
	assert_ptr_equal(d.l3, g_copy + 14);
	assert_int_equal(d.l3_caplen, 42);
	assert_v4(d.src, A);
	assert_v4(d.dst, B);
	assert_int_equal(d.vlan, 0);
	assert_int_equal(d.tunnel, TUNNEL_NONE);
	assert_int_equal(d.tunnel_depth, 0);
	assert_int_equal(d.fragment, 0);
}

static void test_snapped(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_eth_ipv4_tcp(&p, 1000);
	assert_int_equal(dec_len(DLT_EN10MB, &p, 100, 1, &d), DECODE_OK);
	assert_int_equal(d.ip_len, 1040);
	assert_int_equal(d.l3_caplen, 86);
	assert_int_equal(d.payload_len, 46);
	assert_int_equal(d.dport, 443);
}

static void test_tso_zero_total_length(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_eth_ipv4_tcp(&p, 1900);
	set16(&p, 14 + 2, 0);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.ip_len, 1940);
	assert_int_equal(d.payload_len, 1900);
}

static void test_not_ip(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	eth(&p, 0x0806);        /* ARP */
	putfill(&p, 28);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_NOT_IP);
	p.n = 0;
	eth(&p, 0x88cc);        /* LLDP */
	putfill(&p, 40);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_NOT_IP);
	p.n = 0;
	eth(&p, 0x8863);        /* PPPoE discovery */
	putfill(&p, 40);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_NOT_IP);
}

/* ---- VLAN, PPPoE, MPLS --------------------------------------------------------- */

static void mk_vlan_udp(struct pkt *p)
{
	uint32_t o, u;

	eth(p, 0x8100);
	vtag(p, 0xA064, 0x0800);        /* PCP 5, VID 100 */
	o = ip4(p, 17, A, B);
	u = udp(p, 5353, 53);
	putfill(p, 12);
	udp_end(p, u);
	ip4_end(p, o);
}

static void test_vlan(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_vlan_udp(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.vlan, 100);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 5353);
	assert_int_equal(d.dport, 53);
	assert_int_equal(d.payload_len, 12);
	assert_ptr_equal(d.l3, g_copy + 18);
}

static void test_qinq(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o;
	int i;

	(void)state;
	eth(&p, 0x88a8);
	vtag(&p, 10, 0x8100);
	vtag(&p, 20, 0x0800);
	o = ip4(&p, 6, A, B);
	tcp(&p, 1, 2, 0x02);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.vlan, 20);
	assert_int_equal(d.sport, 1);
	assert_int_equal(d.tcp_flags, 0x02);

	p.n = 0;                /* 0x9100 stack, three deep */
	eth(&p, 0x9100);
	vtag(&p, 5, 0x9100);
	vtag(&p, 6, 0x8100);
	vtag(&p, 0xF007, 0x0800);
	o = ip4(&p, 6, A, B);
	tcp(&p, 1, 2, 0x02);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.vlan, 7);

	p.n = 0;                /* nine tags: beyond the bound */
	eth(&p, 0x8100);
	for (i = 0; i < 8; i++)
		vtag(&p, (uint16_t)(i + 1), 0x8100);
	vtag(&p, 9, 0x0800);
	o = ip4(&p, 6, A, B);
	tcp(&p, 1, 2, 0x02);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_NOT_IP);
}

/* PPPoE session with a 1- or 2-byte PPP protocol field */
static void mk_pppoe(struct pkt *p, int pfc, int v6)
{
	uint32_t o, start;

	eth(p, 0x8864);
	put8(p, 0x11);
	put8(p, 0x00);
	put16(p, 0x0042);       /* session */
	start = p->n;
	put16(p, 0);            /* length */
	if (pfc)
		put8(p, v6 ? 0x57 : 0x21);
	else
		put16(p, v6 ? 0x0057 : 0x0021);
	if (v6) {
		o = ip6(p, 6, 1, 2);
		tcp(p, 3333, 80, 0x10);
		ip6_end(p, o);
	} else {
		o = ip4(p, 6, A, B);
		tcp(p, 3333, 80, 0x10);
		ip4_end(p, o);
	}
	set16(p, start, (uint16_t)(p->n - start - 2));
}

static void test_pppoe(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_pppoe(&p, 0, 0);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.pppoe, 1);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.sport, 3333);
	assert_ptr_equal(d.l3, g_copy + 22);

	p.n = 0;
	mk_pppoe(&p, 1, 0);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.pppoe, 1);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.dport, 80);
	assert_ptr_equal(d.l3, g_copy + 21);

	p.n = 0;
	mk_pppoe(&p, 0, 1);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.dport, 80);

	p.n = 0;
	mk_pppoe(&p, 1, 1);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 6);
	assert_v6(d.src, 1);

	p.n = 0;                /* LCP is not IP */
	eth(&p, 0x8864);
	put32(&p, 0x11000042);
	put16(&p, 10);
	put16(&p, 0xC021);
	putfill(&p, 8);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_NOT_IP);

	/* cut inside the PPP protocol field */
	p.n = 0;
	mk_pppoe(&p, 0, 0);
	assert_int_equal(dec_len(DLT_EN10MB, &p, 21, 1, &d), DECODE_ERR_TRUNC_PPPOE);
}

static void mk_mpls2(struct pkt *p)
{
	uint32_t o, u;

	eth(p, 0x8847);
	put32(p, (100u << 12) | 64);            /* label 100, S=0 */
	put32(p, (200u << 12) | 0x100 | 64);    /* label 200, S=1 */
	o = ip4(p, 17, A, B);
	u = udp(p, 1000, 2000);
	putfill(p, 4);
	udp_end(p, u);
	ip4_end(p, o);
}

static void test_mpls(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o;

	(void)state;
	mk_mpls2(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.mpls, 1);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.sport, 1000);
	assert_int_equal(d.dport, 2000);
	assert_ptr_equal(d.l3, g_copy + 22);

	/* pseudowire: control word 0, then an Ethernet frame */
	p.n = 0;
	eth(&p, 0x8847);
	put32(&p, (300u << 12) | 0x100 | 64);
	put32(&p, 0);
	eth(&p, 0x0800);
	o = ip4(&p, 6, A, B);
	tcp(&p, 7, 8, 0x01);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.mpls, 1);
	assert_int_equal(d.sport, 7);
	assert_ptr_equal(d.l3, g_copy + 36);

	/* bottom of stack never reached */
	p.n = 0;
	eth(&p, 0x8847);
	put32(&p, 100u << 12);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_TRUNC_MPLS);
}

/* ---- fragments ---------------------------------------------------------------- */

static void mk_frag_first(struct pkt *p, uint16_t id)
{
	uint32_t o;

	eth(p, 0x0800);
	o = ip4(p, 17, A, B);
	set16(p, o + 4, id);
	set16(p, o + 6, 0x2000);        /* MF */
	udp(p, 5000, 53);
	set16(p, p->n - 4, 8 + 1000);   /* UDP length of the whole datagram */
	putfill(p, 100);
	ip4_end(p, o);
}

static void mk_frag_next(struct pkt *p, uint16_t id)
{
	uint32_t o;

	eth(p, 0x0800);
	o = ip4(p, 17, A, B);
	set16(p, o + 4, id);
	set16(p, o + 6, 108 / 8);       /* offset 108, last fragment */
	putfill(p, 50);
	ip4_end(p, o);
}

static void test_ipv4_fragments(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	const uint64_t t0 = 1700000000000000ULL;

	(void)state;
	decoder_init(&g_dec);
	mk_frag_first(&p, 0x4242);
	assert_int_equal(dec_len(DLT_EN10MB, &p, p.n, t0, &d), DECODE_OK);
	assert_int_equal(d.fragment, 1);
	assert_int_equal(d.sport, 5000);
	assert_int_equal(d.dport, 53);
	assert_int_equal(d.payload_len, 100);
	assert_int_equal(d.ip_len, 128);

	p.n = 0;
	mk_frag_next(&p, 0x4242);
	assert_int_equal(dec_len(DLT_EN10MB, &p, p.n, t0 + 1000, &d), DECODE_OK);
	assert_int_equal(d.fragment, 1);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 5000);
	assert_int_equal(d.dport, 53);
	assert_null(d.payload);
	assert_int_equal(d.payload_len, 0);
	assert_int_equal(d.ip_len, 70);
	assert_v4(d.src, A);
	assert_int_equal(g_dec.frag_orphans, 0);

	/* another id: orphan */
	p.n = 0;
	mk_frag_next(&p, 0x4343);
	assert_int_equal(dec_len(DLT_EN10MB, &p, p.n, t0 + 2000, &d),
			 DECODE_ERR_FRAG_ORPHAN);
	assert_int_equal(g_dec.frag_orphans, 1);

	/* the first fragment is more than 60 s old: orphan too */
	p.n = 0;
	mk_frag_next(&p, 0x4242);
	assert_int_equal(dec_len(DLT_EN10MB, &p, p.n, t0 + 61000000ULL, &d),
			 DECODE_ERR_FRAG_ORPHAN);
	assert_int_equal(g_dec.frag_orphans, 2);
	assert_int_equal(g_dec.frag_overwrites, 0);
}

static void test_defrag_overwrites(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t i;

	(void)state;
	decoder_init(&g_dec);
	/* twice as many live first fragments as slots */
	for (i = 0; i < 2 * DEFRAG_SLOTS; i++) {
		p.n = 0;
		mk_frag_first(&p, (uint16_t)i);
		assert_int_equal(dec_len(DLT_EN10MB, &p, p.n, 5000000 + i, &d),
				 DECODE_OK);
	}
	assert_true(g_dec.frag_overwrites >= DEFRAG_SLOTS);
	/* the newest first fragment is always still there */
	p.n = 0;
	mk_frag_next(&p, (uint16_t)(2 * DEFRAG_SLOTS - 1));
	assert_int_equal(dec_len(DLT_EN10MB, &p, p.n, 6000000, &d), DECODE_OK);
	assert_int_equal(d.sport, 5000);
}

/* Every decoder gets its own random seed for the fragment table; with a
 * table that never overflows, the result of every fragment is the same
 * whatever the seed. */
static void test_defrag_seeded(void **state)
{
	static struct decoder other;
	struct pkt p = { .n = 0 };
	struct decoded d1, d2;

	(void)state;
	decoder_init(&g_dec);
	decoder_init(&other);
	assert_true(g_dec.seed != other.seed);
	/* 64 entries in 1024 sets of 4: a set overflows with odds of 1e-5 */
	for (uint32_t i = 0; i < DEFRAG_SLOTS / 64; i++) {
		p.n = 0;
		mk_frag_first(&p, (uint16_t)(i * 3));
		assert_int_equal(decode_packet(&g_dec, DLT_EN10MB, p.b, p.n, 5000000 + i, &d1), DECODE_OK);
		assert_int_equal(decode_packet(&other, DLT_EN10MB, p.b, p.n, 5000000 + i, &d2), DECODE_OK);
	}
	for (uint32_t i = 0; i < DEFRAG_SLOTS / 16; i++) {
		int r1, r2;
		p.n = 0;
		mk_frag_next(&p, (uint16_t)i);
		r1 = decode_packet(&g_dec, DLT_EN10MB, p.b, p.n, 6000000 + i, &d1);
		r2 = decode_packet(&other, DLT_EN10MB, p.b, p.n, 6000000 + i, &d2);
		assert_int_equal(r1, r2);
		assert_int_equal(r1, i % 3 == 0 && i / 3 < DEFRAG_SLOTS / 64 ? DECODE_OK : DECODE_ERR_FRAG_ORPHAN);
		if (r1 == DECODE_OK)
			assert_int_equal(d1.sport, d2.sport);
	}
	assert_int_equal(g_dec.frag_overwrites, 0);
	assert_int_equal(other.frag_overwrites, 0);
	assert_int_equal(g_dec.frag_orphans, other.frag_orphans);
}

static void mk_ipv6_frag(struct pkt *p, int first, uint32_t id)
{
	uint32_t o, u;

	eth(p, 0x86dd);
	o = ip6(p, 44, 1, 2);
	put8(p, 17);            /* next header */
	put8(p, 0);
	put16(p, first ? 0x0001 : (uint16_t)((1232 / 8) << 3));
	put32(p, id);
	if (first) {
		u = udp(p, 7000, 8000);
		putfill(p, 64);
		udp_end(p, u);
		set16(p, u + 4, 2000);
	} else {
		putfill(p, 80);
	}
	ip6_end(p, o);
}

static void test_ipv6_fragment(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	decoder_init(&g_dec);
	mk_ipv6_frag(&p, 1, 0xdeadbeef);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.fragment, 1);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 7000);
	assert_int_equal(d.payload_len, 64);
	assert_int_equal(d.ip_len, 40 + 8 + 8 + 64);

	p.n = 0;
	mk_ipv6_frag(&p, 0, 0xdeadbeef);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.fragment, 1);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 7000);
	assert_int_equal(d.dport, 8000);
	assert_null(d.payload);
	assert_v6(d.dst, 2);

	p.n = 0;
	mk_ipv6_frag(&p, 0, 0xdeadbeee);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_FRAG_ORPHAN);
	assert_int_equal(g_dec.frag_orphans, 1);
}

static void test_orphan_fragment(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	decoder_init(&g_dec);
	mk_frag_next(&p, 7);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_FRAG_ORPHAN);
	assert_int_equal(g_dec.frag_orphans, 1);
	/* without a decoder there is no table: every later fragment is orphan */
	assert_int_equal(decode_packet(NULL, DLT_EN10MB, p.b, p.n, 1, &d),
			 DECODE_ERR_FRAG_ORPHAN);
}

/* ---- IPv6 ---------------------------------------------------------------------- */

static void mk_ipv6_ext_tcp(struct pkt *p)
{
	uint32_t o;

	eth(p, 0x86dd);
	o = ip6(p, 0, 1, 2);
	put8(p, 60);            /* hop-by-hop, 8 bytes, next: dest options */
	put8(p, 0);
	put8(p, 1);             /* PadN */
	put8(p, 4);
	put32(p, 0);
	put8(p, 6);             /* destination options, 16 bytes, next: TCP */
	put8(p, 1);
	put8(p, 1);
	put8(p, 12);
	putn(p, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	tcp(p, 1234, 80, 0x02);
	putfill(p, 7);
	ip6_end(p, o);
}

static void test_ipv6_ext_headers(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_ipv6_ext_tcp(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.proto, 6);
	assert_int_equal(d.sport, 1234);
	assert_int_equal(d.dport, 80);
	assert_int_equal(d.tcp_flags, 0x02);
	assert_int_equal(d.ip_len, 40 + 8 + 16 + 20 + 7);
	assert_int_equal(d.payload_len, 7);
	assert_ptr_equal(d.payload, g_copy + 14 + 40 + 24 + 20);
	assert_v6(d.src, 1);
	assert_v6(d.dst, 2);
	assert_int_equal(d.fragment, 0);

	/* an extension header running past the packet's end */
	p.b[14 + 40 + 8 + 1] = 200;
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_IPV6);
}

/* ---- tunnels --------------------------------------------------------------------- */

static const uint32_t OA = IP(192, 0, 2, 1), OB = IP(192, 0, 2, 2);

static void mk_gre_ipv4(struct pkt *p)
{
	uint32_t o, i;

	eth(p, 0x0800);
	o = ip4(p, 47, OA, OB);
	put16(p, 0x3000);       /* K, S */
	put16(p, 0x0800);
	put32(p, 0xabcdef01);   /* key */
	put32(p, 1);            /* sequence */
	i = ip4(p, 6, A, B);
	tcp(p, 1111, 22, 0x18);
	putfill(p, 5);
	ip4_end(p, i);
	ip4_end(p, o);
}

static void test_gre_ipv4(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_gre_ipv4(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_GRE);
	assert_int_equal(d.tunnel_depth, 1);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.proto, 6);
	assert_v4(d.src, A);
	assert_v4(d.dst, B);
	assert_int_equal(d.sport, 1111);
	assert_int_equal(d.dport, 22);
	assert_int_equal(d.ip_len, 45);
	assert_int_equal(d.l3_caplen, 45);
	assert_ptr_equal(d.l3, g_copy + 14 + 20 + 12);
	assert_int_equal(d.payload_len, 5);

	/* inner IPv4 header truncated: the inner error is reported */
	assert_int_equal(dec_len(DLT_EN10MB, &p, 14 + 20 + 12 + 10, 1, &d),
			 DECODE_ERR_TRUNC_IPV4);
}

static void test_gre_other_payload(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 47, OA, OB);
	put16(&p, 0);
	put16(&p, 0x0806);      /* ARP over GRE: not opened */
	putfill(&p, 28);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.proto, 47);
	assert_int_equal(d.sport, 0);
	assert_int_equal(d.dport, 0);
	assert_int_equal(d.tunnel, TUNNEL_NONE);
	assert_v4(d.src, OA);
	assert_int_equal(d.payload_len, 32);

	p.n = 0;                /* TEB carrying ARP: back to the GRE flow */
	eth(&p, 0x0800);
	o = ip4(&p, 47, OA, OB);
	put16(&p, 0);
	put16(&p, 0x6558);
	eth(&p, 0x0806);
	putfill(&p, 28);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.proto, 47);
	assert_int_equal(d.tunnel, TUNNEL_NONE);
	assert_int_equal(d.tunnel_depth, 0);
	assert_v4(d.dst, OB);
}

static void mk_pptp(struct pkt *p)
{
	uint32_t o, i;

	eth(p, 0x0800);
	o = ip4(p, 47, OA, OB);
	put16(p, 0x3081);       /* K, S, A, version 1 */
	put16(p, 0x880B);
	put16(p, 0);            /* payload length (unchecked) */
	put16(p, 0x0007);       /* call id */
	put32(p, 11);           /* sequence */
	put32(p, 10);           /* ack */
	put16(p, 0xFF03);
	put16(p, 0x0021);
	i = ip4(p, 17, A, B);
	udp_end(p, udp(p, 137, 137));
	ip4_end(p, i);
	ip4_end(p, o);
}

static void test_pptp(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_pptp(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_GRE);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 137);
	assert_v4(d.src, A);
}

static void mk_erspan(struct pkt *p, int type)
{
	uint32_t o, i, u;

	eth(p, 0x0800);
	o = ip4(p, 47, OA, OB);
	if (type == 1) {
		put16(p, 0x0000);
		put16(p, 0x88BE);
	} else if (type == 2) {
		put16(p, 0x1000);       /* S */
		put16(p, 0x88BE);
		put32(p, 99);
		put32(p, 0x10640001);   /* ver 1, VLAN 100, session 1 */
		put32(p, 0);
	} else {
		put16(p, 0x1000);
		put16(p, 0x22EB);
		put32(p, 99);
		put32(p, 0x20640001);   /* ver 2 */
		put32(p, 0x12345678);   /* timestamp */
		put16(p, 0);            /* SGT */
		put16(p, 0x0001);       /* O: platform subheader follows */
		put32(p, 0);
		put32(p, 0);
	}
	eth(p, 0x0800);
	i = ip4(p, 17, A, B);
	u = udp(p, 40001, 161);
	putfill(p, 9);
	udp_end(p, u);
	ip4_end(p, i);
	ip4_end(p, o);
}

static void test_erspan(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	int type;

	(void)state;
	for (type = 1; type <= 3; type++) {
		p.n = 0;
		mk_erspan(&p, type);
		assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
		assert_int_equal(d.tunnel, TUNNEL_ERSPAN);
		assert_int_equal(d.tunnel_depth, 1);
		assert_int_equal(d.proto, 17);
		assert_int_equal(d.sport, 40001);
		assert_int_equal(d.dport, 161);
		assert_int_equal(d.payload_len, 9);
		assert_v4(d.src, A);
	}
}

static void mk_vxlan(struct pkt *p, uint8_t flags)
{
	uint32_t o, u, i;

	eth(p, 0x0800);
	o = ip4(p, 17, OA, OB);
	u = udp(p, 12345, 4789);
	put8(p, flags);
	put8(p, 0);
	put16(p, 0);
	put32(p, 0x00006400);   /* VNI 100 */
	eth(p, 0x8100);         /* a VLAN inside the tunnel */
	vtag(p, 300, 0x0800);
	i = ip4(p, 6, A, B);
	tcp(p, 50000, 8080, 0x11);
	ip4_end(p, i);
	udp_end(p, u);
	ip4_end(p, o);
}

static void test_vxlan(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_vxlan(&p, 0x08);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_VXLAN);
	assert_int_equal(d.tunnel_depth, 1);
	assert_int_equal(d.vlan, 0);    /* inner tags are not the outer link's */
	assert_int_equal(d.proto, 6);
	assert_int_equal(d.sport, 50000);
	assert_int_equal(d.dport, 8080);
	assert_int_equal(d.tcp_flags, 0x11);
	assert_v4(d.src, A);
	assert_int_equal(d.payload_len, 0);
	assert_null(d.payload);

	/* I flag missing: the outer UDP flow */
	p.n = 0;
	mk_vxlan(&p, 0x00);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_NONE);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 12345);
	assert_int_equal(d.dport, 4789);
	assert_v4(d.src, OA);
	assert_int_equal(d.payload_len, 8 + 18 + 40);
}

static void mk_gtpu(struct pkt *p, uint8_t msgtype)
{
	uint32_t o, u, g, i, iu;

	eth(p, 0x0800);
	o = ip4(p, 17, OA, OB);
	u = udp(p, 2152, 2152);
	g = p->n;
	put8(p, 0x34);          /* version 1, PT, E */
	put8(p, msgtype);
	put16(p, 0);            /* length */
	put32(p, 0x11223344);   /* TEID */
	put16(p, 0);            /* sequence */
	put8(p, 0);             /* N-PDU */
	put8(p, 0x85);          /* next: PDU session container */
	put8(p, 1);             /* 4 bytes */
	put8(p, 0x10);
	put8(p, 0x09);
	put8(p, 0);             /* no more */
	i = ip6(p, 17, 0x31, 0x32);
	iu = udp(p, 53000, 53);
	putfill(p, 20);
	udp_end(p, iu);
	ip6_end(p, i);
	set16(p, g + 2, (uint16_t)(p->n - g - 8));
	udp_end(p, u);
	ip4_end(p, o);
}

static void test_gtpu_ipv6(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_gtpu(&p, 0xFF);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_GTPU);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 53000);
	assert_int_equal(d.dport, 53);
	assert_int_equal(d.payload_len, 20);
	assert_int_equal(d.ip_len, 68);
	assert_v6(d.src, 0x31);
	assert_ptr_equal(d.l3, g_copy + 14 + 20 + 8 + 16);

	/* echo request (not a G-PDU): the outer UDP flow */
	p.n = 0;
	mk_gtpu(&p, 0x01);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_NONE);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.sport, 2152);
}

/* GTP-U without optional fields carrying IPv4; GRE carrying IPv6 whose
 * first header is AH (length in 4-byte units + 2) */
static void test_gtpu_ipv4_gre_ipv6_ah(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o, u, g, i, iu;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 17, OA, OB);
	u = udp(&p, 40000, 2152);
	g = p.n;
	put8(&p, 0x30);         /* version 1, PT, no E/S/PN */
	put8(&p, 0xFF);
	put16(&p, 0);
	put32(&p, 1);
	i = ip4(&p, 17, A, B);
	iu = udp(&p, 4500, 4500);
	putfill(&p, 3);
	udp_end(&p, iu);
	ip4_end(&p, i);
	set16(&p, g + 2, (uint16_t)(p.n - g - 8));
	udp_end(&p, u);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_GTPU);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.sport, 4500);
	assert_int_equal(d.payload_len, 3);
	assert_ptr_equal(d.l3, g_copy + 14 + 20 + 8 + 8);

	p.n = 0;
	eth(&p, 0x0800);
	o = ip4(&p, 47, OA, OB);
	put16(&p, 0);
	put16(&p, 0x86DD);
	i = ip6(&p, 51, 7, 8);
	put8(&p, 17);           /* AH: next UDP, 16 bytes */
	put8(&p, 2);
	put16(&p, 0);
	put32(&p, 0x100);       /* SPI */
	put32(&p, 1);           /* sequence */
	put32(&p, 0);           /* ICV */
	iu = udp(&p, 500, 500);
	putfill(&p, 6);
	udp_end(&p, iu);
	ip6_end(&p, i);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_GRE);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.sport, 500);
	assert_int_equal(d.payload_len, 6);
	assert_v6(d.src, 7);
}

static void test_teredo_not_opened(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o, u, i;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 17, OA, OB);
	u = udp(&p, 50001, 3544);
	i = ip6(&p, 59, 1, 2);
	ip6_end(&p, i);
	udp_end(&p, u);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_NONE);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.dport, 3544);
	assert_int_equal(d.payload_len, 40);
}

static void mk_6in4(struct pkt *p)
{
	uint32_t o, i;

	eth(p, 0x0800);
	o = ip4(p, 41, OA, OB);
	i = ip6(p, 6, 5, 6);
	tcp(p, 443, 51000, 0x10);
	putfill(p, 3);
	ip6_end(p, i);
	ip4_end(p, o);
}

static void test_ipv6_in_ipv4(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_6in4(&p);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.tunnel, TUNNEL_IPIP);
	assert_int_equal(d.tunnel_depth, 1);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.sport, 443);
	assert_int_equal(d.dport, 51000);
	assert_v6(d.src, 5);
	assert_int_equal(d.ip_len, 63);
	assert_int_equal(d.payload_len, 3);
}

static void test_tunnel_depth(void **state)
{
	struct pkt p;
	struct decoded d;
	uint32_t offs[8];
	int depth, k;

	(void)state;
	for (depth = 1; depth <= DECODE_MAX_TUNNELS + 1; depth++) {
		p.n = 0;
		eth(&p, 0x0800);
		for (k = 0; k < depth; k++)
			offs[k] = ip4(&p, 4, OA, OB);
		offs[depth] = ip4(&p, 6, A, B);
		tcp(&p, 1, 2, 0x02);
		for (k = depth; k >= 0; k--)
			ip4_end(&p, offs[k]);
		if (depth <= DECODE_MAX_TUNNELS) {
			assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
			assert_int_equal(d.tunnel, TUNNEL_IPIP);
			assert_int_equal(d.tunnel_depth, depth);
			assert_v4(d.src, A);
		} else {
			assert_int_equal(dec(DLT_EN10MB, &p, &d),
					 DECODE_ERR_TUNNEL_DEPTH);
		}
	}
}

/* ---- other L4 -------------------------------------------------------------------- */

static void test_sctp(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 132, A, B);
	put16(&p, 5000);
	put16(&p, 38412);
	put32(&p, 0xcafe);      /* verification tag */
	put32(&p, 0);           /* checksum */
	putfill(&p, 16);        /* a chunk */
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.proto, 132);
	assert_int_equal(d.sport, 5000);
	assert_int_equal(d.dport, 38412);
	assert_int_equal(d.payload_len, 16);
	assert_int_equal(dec_len(DLT_EN10MB, &p, 14 + 20 + 11, 1, &d),
			 DECODE_ERR_TRUNC_SCTP);
}

static void test_icmp(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 1, A, B);
	put8(&p, 8);            /* echo request */
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0x00010001);  /* id, seq */
	putfill(&p, 32);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.proto, 1);
	assert_int_equal(d.icmp_type, 8);
	assert_int_equal(d.icmp_code, 0);
	assert_int_equal(d.sport, 0);
	assert_int_equal(d.dport, 0);
	assert_int_equal(d.payload_len, 32);
	assert_int_equal(dec_len(DLT_EN10MB, &p, 14 + 20 + 3, 1, &d),
			 DECODE_ERR_TRUNC_ICMP);

	p.n = 0;
	eth(&p, 0x86dd);
	o = ip6(&p, 58, 1, 2);
	put8(&p, 135);          /* neighbour solicitation */
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0);
	putfill(&p, 16);
	ip6_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.proto, 58);
	assert_int_equal(d.icmp_type, 135);
	assert_int_equal(d.sport, 0);
	assert_int_equal(d.payload_len, 16);
}

static void test_other_proto(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 50, A, B);  /* ESP */
	put32(&p, 0x1000);      /* SPI */
	put32(&p, 1);
	putfill(&p, 24);
	ip4_end(&p, o);
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_OK);
	assert_int_equal(d.proto, 50);
	assert_int_equal(d.sport, 0);
	assert_int_equal(d.payload_len, 32);
}

static void test_invalid_headers(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	uint32_t o, u;

	(void)state;
	eth(&p, 0x0800);
	o = ip4(&p, 17, A, B);
	u = udp(&p, 1, 2);
	putfill(&p, 8);
	ip4_end(&p, o);
	set16(&p, u + 4, 4);    /* UDP length < 8 */
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_UDP);

	p.n = 0;
	mk_eth_ipv4_tcp(&p, 10);
	p.b[14 + 20 + 12] = 4 << 4;     /* TCP data offset 4 */
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_TCP);

	p.n = 0;
	mk_eth_ipv4_tcp(&p, 10);
	p.b[14] = 0x44;                 /* IHL 4 */
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_IPV4);
	p.b[14] = 0x55;                 /* version 5 */
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_IPV4);
	p.b[14] = 0x45;
	set16(&p, 16, 19);              /* total length < header */
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_IPV4);
	set16(&p, 16, 30);              /* TCP cannot fit in the IP length */
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_TCP);

	p.n = 0;
	mk_ipv6_ext_tcp(&p);
	p.b[14] = 0x40;
	assert_int_equal(dec(DLT_EN10MB, &p, &d), DECODE_ERR_BAD_IPV6);
	assert_int_equal(dec_len(DLT_EN10MB, &p, 14 + 39, 1, &d),
			 DECODE_ERR_TRUNC_IPV6);
}

/* ---- link types ------------------------------------------------------------------- */

/* an IPv4/UDP packet with no link header */
static void mk_raw4(struct pkt *p)
{
	uint32_t o, u;

	o = ip4(p, 17, A, B);
	u = udp(p, 123, 123);
	putfill(p, 48);
	udp_end(p, u);
	ip4_end(p, o);
}

static void mk_raw6(struct pkt *p)
{
	uint32_t o;

	o = ip6(p, 6, 1, 2);
	tcp(p, 22, 60000, 0x10);
	ip6_end(p, o);
}

static void prepend(struct pkt *p, const uint8_t *hdr, uint32_t n)
{
	memmove(p->b + n, p->b, p->n);
	memcpy(p->b, hdr, n);
	p->n += n;
}

static void check_raw4(int lt, struct pkt *p, uint32_t hdrlen)
{
	struct decoded d;

	assert_int_equal(dec(lt, p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.sport, 123);
	assert_int_equal(d.payload_len, 48);
	assert_ptr_equal(d.l3, g_copy + hdrlen);
	/* the link header cut short */
	if (hdrlen)
		assert_int_equal(dec_len(lt, p, hdrlen - 1, 1, &d),
				 DECODE_ERR_TRUNC_LINK);
}

static void check_raw6(int lt, struct pkt *p)
{
	struct decoded d;

	assert_int_equal(dec(lt, p, &d), DECODE_OK);
	assert_int_equal(d.ipver, 6);
	assert_int_equal(d.sport, 22);
	assert_int_equal(d.dport, 60000);
}

static void test_linux_sll(void **state)
{
	static const uint8_t sll[16] = { 0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
					 0x08, 0x00 };
	static const uint8_t sll2[20] = { 0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6,
					  1, 2, 3, 4, 5, 6, 0, 0 };
	struct pkt p = { .n = 0 };

	(void)state;
	mk_raw4(&p);
	prepend(&p, sll, sizeof(sll));
	check_raw4(DLT_LINUX_SLL, &p, 16);

	p.n = 0;
	mk_raw6(&p);
	prepend(&p, sll2, sizeof(sll2));
	check_raw6(DLT_LINUX_SLL2, &p);
}

static void test_raw_ip(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_raw4(&p);
	check_raw4(DLT_RAW, &p, 0);
	check_raw4(101, &p, 0);         /* LINKTYPE_RAW */
	check_raw4(DLT_IPV4, &p, 0);
	p.n = 0;
	mk_raw6(&p);
	check_raw6(DLT_RAW, &p);
	check_raw6(DLT_IPV6, &p);
	p.b[0] = 0x50;
	assert_int_equal(dec(DLT_RAW, &p, &d), DECODE_ERR_NOT_IP);
	assert_int_equal(dec_len(DLT_RAW, &p, 0, 1, &d), DECODE_ERR_TRUNC_LINK);
}

static void test_bsd_null_loop(void **state)
{
	static const uint8_t af4_host_le[4] = { 2, 0, 0, 0 };
	static const uint8_t af4_net[4] = { 0, 0, 0, 2 };
	static const uint8_t af6_bsd_le[4] = { 24, 0, 0, 0 };
	static const uint8_t af6_darwin_be[4] = { 0, 0, 0, 30 };
	static const uint8_t af6_linux_le[4] = { 10, 0, 0, 0 };
	static const uint8_t af_other[4] = { 0, 0, 0, 7 };
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_raw4(&p);
	prepend(&p, af4_host_le, 4);
	check_raw4(DLT_NULL, &p, 4);
	p.n = 0;
	mk_raw4(&p);
	prepend(&p, af4_net, 4);
	check_raw4(DLT_LOOP, &p, 4);

	p.n = 0;
	mk_raw6(&p);
	prepend(&p, af6_bsd_le, 4);
	check_raw6(DLT_NULL, &p);
	p.n = 0;
	mk_raw6(&p);
	prepend(&p, af6_darwin_be, 4);
	check_raw6(DLT_LOOP, &p);
	p.n = 0;
	mk_raw6(&p);
	prepend(&p, af6_linux_le, 4);
	check_raw6(DLT_NULL, &p);

	p.n = 0;
	mk_raw6(&p);
	prepend(&p, af_other, 4);
	assert_int_equal(dec(DLT_NULL, &p, &d), DECODE_ERR_NOT_IP);
}

static void test_cisco_hdlc(void **state)
{
	static const uint8_t hdlc_ip[4] = { 0x0f, 0x00, 0x08, 0x00 };
	static const uint8_t hdlc_mpls[8] = { 0x0f, 0x00, 0x88, 0x47,
					      0x00, 0x01, 0x41, 0x40 };
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_raw4(&p);
	prepend(&p, hdlc_ip, 4);
	check_raw4(DLT_C_HDLC, &p, 4);

	p.n = 0;
	mk_raw4(&p);
	prepend(&p, hdlc_mpls, 8);
	assert_int_equal(dec(DLT_C_HDLC, &p, &d), DECODE_OK);
	assert_int_equal(d.mpls, 1);
	assert_int_equal(d.sport, 123);
}

static void test_unsupported_link(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;

	(void)state;
	mk_raw4(&p);
	assert_int_equal(dec(DLT_IEEE802_11, &p, &d), DECODE_ERR_UNSUPPORTED_LINK);
	assert_int_equal(dec(-1, &p, &d), DECODE_ERR_UNSUPPORTED_LINK);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(decode_error_name(DECODE_OK), "ok");
	assert_string_equal(decode_error_name(DECODE_ERR_UNSUPPORTED_LINK),
			    "unsupported_linktype");
	assert_string_equal(decode_error_name(DECODE_ERR_TRUNC_IPV4),
			    "truncated_ipv4");
	assert_string_equal(decode_error_name(DECODE_ERR_FRAG_ORPHAN),
			    "fragment_without_first");
	assert_string_equal(decode_error_name(DECODE_ERR__COUNT), "unknown");
	assert_string_equal(decode_error_name(-1), "unknown");
}

/* ---- robustness ------------------------------------------------------------------ */

/* VLAN/IPv4/TCP with 12 bytes of TCP options and 10 payload bytes: every
 * cut inside the headers is an error of the right layer; every cut in the
 * payload is a snapped packet with the right lengths. */
static void test_truncation_every_length(void **state)
{
	struct pkt p = { .n = 0 };
	struct decoded d;
	const uint32_t hdrs = 14 + 4 + 20 + 32;
	uint32_t o, len;
	int err;

	(void)state;
	eth(&p, 0x8100);
	vtag(&p, 42, 0x0800);
	o = ip4(&p, 6, A, B);
	tcp(&p, 1025, 80, 0x18);
	p.b[p.n - 20 + 12] = 8 << 4;    /* data offset: 32 bytes */
	put32(&p, 0x02040218);          /* MSS */
	put32(&p, 0x01010402);          /* NOP NOP SACK-permitted */
	put32(&p, 0x01030307);          /* NOP window scale */
	putfill(&p, 10);
	ip4_end(&p, o);
	assert_int_equal(p.n, hdrs + 10);

	for (len = 0; len <= p.n; len++) {
		err = dec_len(DLT_EN10MB, &p, len, 1, &d);
		if (len < 14)
			assert_int_equal(err, DECODE_ERR_TRUNC_LINK);
		else if (len < 18)
			assert_int_equal(err, DECODE_ERR_TRUNC_VLAN);
		else if (len < 38)
			assert_int_equal(err, DECODE_ERR_TRUNC_IPV4);
		else if (len < hdrs)
			assert_int_equal(err, DECODE_ERR_TRUNC_TCP);
		else {
			assert_int_equal(err, DECODE_OK);
			assert_int_equal(d.vlan, 42);
			assert_int_equal(d.sport, 1025);
			assert_int_equal(d.ip_len, 20 + 32 + 10);
			assert_int_equal(d.l3_caplen, len - 18);
			assert_int_equal(d.payload_len, len - hdrs);
		}
	}
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

typedef void (*mk_fn)(struct pkt *p);

static void mk_tso(struct pkt *p) { mk_eth_ipv4_tcp(p, 30); }
static void mk_pppoe4(struct pkt *p) { mk_pppoe(p, 1, 0); }
static void mk_pppoe6(struct pkt *p) { mk_pppoe(p, 0, 1); }
static void mk_frag1(struct pkt *p) { mk_frag_first(p, 1); }
static void mk_frag2(struct pkt *p) { mk_frag_next(p, 1); }
static void mk_v6f1(struct pkt *p) { mk_ipv6_frag(p, 1, 5); }
static void mk_v6f2(struct pkt *p) { mk_ipv6_frag(p, 0, 5); }
static void mk_er2(struct pkt *p) { mk_erspan(p, 2); }
static void mk_er3(struct pkt *p) { mk_erspan(p, 3); }
static void mk_vx(struct pkt *p) { mk_vxlan(p, 8); }
static void mk_gtp(struct pkt *p) { mk_gtpu(p, 0xFF); }

/* Random bytes and mutated valid packets for every link type, each from
 * an exact-size heap buffer: must never crash or read past caplen (run
 * under ASan), and an OK result must point inside the packet. */
static void test_fuzz(void **state)
{
	static const int lts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   DLT_RAW, 101, DLT_IPV4, DLT_IPV6, DLT_NULL,
				   DLT_LOOP, DLT_C_HDLC, DLT_PPP };
	static const mk_fn tmpl[] = { mk_tso, mk_vlan_udp, mk_pppoe4, mk_pppoe6,
				      mk_mpls2, mk_frag1, mk_frag2, mk_v6f1,
				      mk_v6f2, mk_ipv6_ext_tcp, mk_gre_ipv4,
				      mk_pptp, mk_er2, mk_er3, mk_vx, mk_gtp,
				      mk_6in4 };
	const size_t nlts = sizeof(lts) / sizeof(lts[0]);
	const size_t ntmpl = sizeof(tmpl) / sizeof(tmpl[0]);
	struct pkt p;
	struct decoded d;
	uint32_t it, i, len, flips, ok = 0;
	int lt, err;

	(void)state;
	decoder_init(&g_dec);
	for (it = 0; it < 20000; it++) {
		p.n = 0;
		lt = lts[rnd() % nlts];
		if (it % 2 == 0) {
			len = rnd() % 300;
			for (i = 0; i < len; i++)
				put8(&p, (uint8_t)rnd());
		} else {
			tmpl[rnd() % ntmpl](&p);
			lt = DLT_EN10MB;
			if (rnd() % 4 == 0) {   /* strip Ethernet, other links */
				static const int iplts[] = { DLT_RAW, DLT_IPV4,
							     DLT_IPV6 };
				memmove(p.b, p.b + 14, p.n - 14);
				p.n -= 14;
				lt = iplts[rnd() % 3];
			}
			flips = 1 + rnd() % 6;
			for (i = 0; i < flips && p.n; i++)
				p.b[rnd() % p.n] ^= (uint8_t)(1u << (rnd() % 8));
			if (rnd() % 3 == 0 && p.n)
				p.n = rnd() % p.n;
		}
		err = dec_len(lt, &p, p.n, 1000000ULL * (it / 100), &d);
		assert_true(err >= 0 && err < DECODE_ERR__COUNT);
		assert_string_not_equal(decode_error_name(err), "unknown");
		if (err != DECODE_OK)
			continue;
		ok++;
		assert_true(d.ipver == 4 || d.ipver == 6);
		assert_true(d.tunnel_depth <= DECODE_MAX_TUNNELS);
		assert_true(d.l3 >= g_copy && d.l3 + d.l3_caplen <= g_copy + p.n);
		assert_true(d.l3_caplen <= d.ip_len);
		if (d.payload) {
			assert_true(d.payload >= d.l3);
			assert_true(d.payload + d.payload_len <= d.l3 + d.l3_caplen);
		} else {
			assert_int_equal(d.payload_len, 0);
		}
	}
	assert_true(ok > 1000);         /* the mutations do reach the end */
}

static int teardown(void **state)
{
	(void)state;
	free(g_copy);
	g_copy = NULL;
	return 0;
}

/* IP protocols by Suricata's names (the IANA keywords); others by number. */
static void test_proto_names(void **state)
{
	char b[8];

	(void)state;
	assert_string_equal(decode_proto_name(6, b), "TCP");
	assert_string_equal(decode_proto_name(17, b), "UDP");
	assert_string_equal(decode_proto_name(1, b), "ICMP");
	assert_string_equal(decode_proto_name(58, b), "IPv6-ICMP");
	assert_string_equal(decode_proto_name(132, b), "SCTP");
	assert_string_equal(decode_proto_name(47, b), "GRE");
	assert_string_equal(decode_proto_name(50, b), "ESP");
	assert_string_equal(decode_proto_name(2, b), "IGMP");
	assert_string_equal(decode_proto_name(0, b), "HOPOPT");
	assert_string_equal(decode_proto_name(200, b), "200");
	assert_string_equal(decode_proto_name(255, b), "255");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp),
		cmocka_unit_test(test_snapped),
		cmocka_unit_test(test_tso_zero_total_length),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_pppoe),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_defrag_overwrites),
		cmocka_unit_test(test_defrag_seeded),
		cmocka_unit_test(test_orphan_fragment),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_gre_ipv4),
		cmocka_unit_test(test_gre_other_payload),
		cmocka_unit_test(test_pptp),
		cmocka_unit_test(test_erspan),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_gtpu_ipv6),
		cmocka_unit_test(test_gtpu_ipv4_gre_ipv6_ah),
		cmocka_unit_test(test_teredo_not_opened),
		cmocka_unit_test(test_ipv6_in_ipv4),
		cmocka_unit_test(test_tunnel_depth),
		cmocka_unit_test(test_sctp),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_other_proto),
		cmocka_unit_test(test_invalid_headers),
		cmocka_unit_test(test_linux_sll),
		cmocka_unit_test(test_raw_ip),
		cmocka_unit_test(test_bsd_null_loop),
		cmocka_unit_test(test_cisco_hdlc),
		cmocka_unit_test(test_unsupported_link),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_proto_names),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
