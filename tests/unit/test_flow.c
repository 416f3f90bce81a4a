/*
 * test_flow.c - the flow table (flow.h) on hand-built decoded packets.
 *
 * Packets are struct decoded values (IPv4 as ::ffff:a.b.c.d, l3 NULL: the
 * table never looks at packet bytes). Every record the table emits is
 * copied into a growing array, so a test can check what came out, in
 * which order, with which counters and reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/flow.h"

#define S 1000000ULL /* one second in microseconds */
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* ---- allocation failures ------------------------------------------------ */

/* The Makefile links this test with -Wl,--wrap=calloc: every calloc of
 * the flow table comes here and fails while fail_calloc is set. */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static int fail_calloc;

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_calloc ? NULL : __real_calloc(n, size);
}

/* ---- record log ----------------------------------------------------------- */

struct rec {
	struct flow_record r;
	int final;
	void *cls; /* the flow's classifier slot at emit time */
};

struct log {
	struct rec *v;
	size_t n, cap;
};

static void emit(void *ctx, struct flow *f, struct flow_record *rec, int final)
{
	struct log *lg = ctx;

	assert_non_null(f);
	assert_int_equal(rec->interim, !final);
	if (lg->n == lg->cap) {
		lg->cap = lg->cap ? lg->cap * 2 : 64;
		lg->v = realloc(lg->v, lg->cap * sizeof *lg->v);
		assert_non_null(lg->v);
	}
	memset(&lg->v[lg->n], 0, sizeof lg->v[lg->n]);
	memcpy(&lg->v[lg->n].r, rec, sizeof *rec);
	lg->v[lg->n].final = final;
	lg->v[lg->n].cls = *flow_classifier_slot(f);
	lg->n++;
}

static void log_free(struct log *lg)
{
	free(lg->v);
	memset(lg, 0, sizeof *lg);
}

static struct flow_table *table(struct log *lg, struct flow_config *cfg)
{
	struct flow_config def;
	struct flow_table *t;

	memset(lg, 0, sizeof *lg);
	if (!cfg) {
		flow_config_defaults(&def);
		cfg = &def;
	}
	t = flow_table_new(cfg, emit, lg);
	assert_non_null(t);
	return t;
}

static struct flow_counters counters(struct flow_table *t)
{
	struct flow_counters c;

	flow_table_counters(t, &c);
	return c;
}

/* ---- packets -------------------------------------------------------------- */

static void v4(uint8_t out[16], uint32_t ip)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	out[12] = (uint8_t)(ip >> 24);
	out[13] = (uint8_t)(ip >> 16);
	out[14] = (uint8_t)(ip >> 8);
	out[15] = (uint8_t)ip;
}

static struct decoded pk(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
			 uint16_t dport, uint8_t flags)
{
	struct decoded d;

	memset(&d, 0, sizeof d);
	d.ipver = 4;
	d.proto = proto;
	d.tcp_flags = flags;
	d.sport = sport;
	d.dport = dport;
	v4(d.src, src);
	v4(d.dst, dst);
	return d;
}

static struct decoded reply(const struct decoded *q, uint8_t flags)
{
	struct decoded d = *q;

	memcpy(d.src, q->dst, 16);
	memcpy(d.dst, q->src, 16);
	d.sport = q->dport;
	d.dport = q->sport;
	d.tcp_flags = flags;
	return d;
}

/* Feed one packet; checks it was accounted and the direction. */
static struct flow *feed(struct flow_table *t, const struct decoded *d, uint64_t ts,
			 uint32_t bytes, int want_to_server)
{
	int ts_dir = -1;
	struct flow *f = flow_table_packet(t, d, ts, bytes, &ts_dir);

	assert_non_null(f);
	assert_int_equal(ts_dir, want_to_server);
	return f;
}

static const struct rec *only_record(const struct log *lg)
{
	assert_int_equal(lg->n, 1);
	return &lg->v[0];
}

/* ---- who is who ----------------------------------------------------------- */

static void test_bidirectional(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded q = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(8, 8, 8, 8), 53, 0);
	struct decoded a = reply(&q, 0);
	struct flow *f1, *f2, *f3;

	(void)state;
	f1 = feed(t, &q, 1000 * S, 70, 1);
	f2 = feed(t, &a, 1000 * S + 20000, 150, 0);
	f3 = feed(t, &q, 1000 * S + 30000, 71, 1);
	assert_ptr_equal(f1, f2);
	assert_ptr_equal(f1, f3);
	assert_int_equal(flow_packets(f1), 3);
	assert_int_equal(counters(t).created, 1);
	assert_int_equal(counters(t).active, 1);
	assert_int_equal(lg.n, 0);

	flow_table_flush(t);
	const struct rec *r = only_record(&lg);
	assert_int_equal(r->final, 1);
	assert_string_equal(r->r.src_ip, "10.0.0.1");
	assert_string_equal(r->r.dest_ip, "8.8.8.8");
	assert_memory_equal(r->r.src_addr, q.src, 16);
	assert_memory_equal(r->r.dest_addr, q.dst, 16);
	assert_int_equal(r->r.src_port, 40000);
	assert_int_equal(r->r.dest_port, 53);
	assert_int_equal(r->r.ipver, 4);
	assert_int_equal(r->r.tcp_flags_ts, 0);
	assert_int_equal(r->r.tcp_flags_tc, 0);
	assert_int_equal(r->r.proto, IPPROTO_UDP);
	assert_int_equal(r->r.vlan, 0);
	assert_int_equal(r->r.pkts_toserver, 2);
	assert_int_equal(r->r.pkts_toclient, 1);
	assert_int_equal(r->r.bytes_toserver, 141);
	assert_int_equal(r->r.bytes_toclient, 150);
	assert_int_equal(r->r.start_us, 1000 * S);
	assert_int_equal(r->r.end_us, 1000 * S + 30000);
	assert_string_equal(r->r.state, "established");
	assert_string_equal(r->r.reason, "shutdown");
	assert_int_equal(r->r.interim, 0);
	assert_true(r->r.flow_id < (1ULL << 53));
	assert_int_equal(counters(t).active, 0);
	assert_int_equal(counters(t).ended, 1);
	flow_table_free(t);
	log_free(&lg);
}

/* The first sender is the client, whichever address sorts first. */
static void test_client_is_first_sender(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	/* high address talks first to a low one, and the other way round */
	struct decoded hi = pk(IPPROTO_UDP, IP(200, 0, 0, 1), 5000, IP(10, 0, 0, 1), 6000, 0);
	struct decoded lo = pk(IPPROTO_UDP, IP(10, 0, 0, 2), 7000, IP(200, 0, 0, 2), 3000, 0);
	struct decoded syn = pk(IPPROTO_TCP, IP(192, 168, 1, 10), 50000, IP(1, 1, 1, 1), 80, TH_SYN);

	(void)state;
	feed(t, &hi, 1 * S, 100, 1);
	struct decoded hr = reply(&hi, 0);
	feed(t, &hr, 1 * S + 1, 100, 0);
	feed(t, &lo, 1 * S + 2, 100, 1);
	struct decoded lr = reply(&lo, 0);
	feed(t, &lr, 1 * S + 3, 100, 0);
	feed(t, &syn, 1 * S + 4, 60, 1);
	struct decoded sa = reply(&syn, TH_SYN | TH_ACK);
	feed(t, &sa, 1 * S + 5, 60, 0);
	flow_table_flush(t);
	assert_int_equal(lg.n, 3);
	for (size_t i = 0; i < lg.n; i++) {
		const struct flow_record *r = &lg.v[i].r;
		assert_int_equal(r->pkts_toserver, 1);
		assert_int_equal(r->pkts_toclient, 1);
		if (r->proto == IPPROTO_TCP) {
			assert_string_equal(r->src_ip, "192.168.1.10");
			assert_int_equal(r->src_port, 50000);
			assert_string_equal(r->dest_ip, "1.1.1.1");
			assert_int_equal(r->dest_port, 80);
		} else if (r->src_port == 5000) {
			assert_string_equal(r->src_ip, "200.0.0.1");
			assert_string_equal(r->dest_ip, "10.0.0.1");
			assert_int_equal(r->dest_port, 6000);
		} else {
			assert_int_equal(r->src_port, 7000);
			assert_string_equal(r->src_ip, "10.0.0.2");
			assert_string_equal(r->dest_ip, "200.0.0.2");
			assert_int_equal(r->dest_port, 3000);
		}
	}
	flow_table_free(t);
	log_free(&lg);
}

/* Check the one record of t after a flush: client side and counters. */
static void check_sides(struct flow_table *t, struct log *lg, const char *cip, uint16_t cport,
			const char *sip, uint16_t sport, uint64_t ts_pkts, uint64_t tc_pkts)
{
	flow_table_flush(t);
	const struct rec *r = only_record(lg);
	assert_string_equal(r->r.src_ip, cip);
	assert_int_equal(r->r.src_port, cport);
	assert_string_equal(r->r.dest_ip, sip);
	assert_int_equal(r->r.dest_port, sport);
	assert_int_equal(r->r.pkts_toserver, ts_pkts);
	assert_int_equal(r->r.pkts_toclient, tc_pkts);
}

static void test_synack_first(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	/* the capture starts with the SYN-ACK: its receiver is the client */
	struct decoded sa = pk(IPPROTO_TCP, IP(1, 1, 1, 1), 80, IP(10, 0, 0, 2), 50000,
			       TH_SYN | TH_ACK);
	struct decoded ack = reply(&sa, TH_ACK);

	(void)state;
	feed(t, &sa, 5 * S, 60, 0);
	feed(t, &ack, 5 * S + 100, 52, 1);
	check_sides(t, &lg, "10.0.0.2", 50000, "1.1.1.1", 80, 1, 1);
	/* binary addresses and flags follow the client/server roles too */
	assert_memory_equal(lg.v[0].r.src_addr, sa.dst, 16);
	assert_memory_equal(lg.v[0].r.dest_addr, sa.src, 16);
	assert_int_equal(lg.v[0].r.tcp_flags_ts, TH_ACK);
	assert_int_equal(lg.v[0].r.tcp_flags_tc, TH_SYN | TH_ACK);
	flow_table_free(t);
	log_free(&lg);

	/* also when the server's port is not a well-known one */
	t = table(&lg, NULL);
	sa = pk(IPPROTO_TCP, IP(10, 9, 9, 9), 8080, IP(10, 0, 0, 3), 1000, TH_SYN | TH_ACK);
	feed(t, &sa, 5 * S, 60, 0);
	check_sides(t, &lg, "10.0.0.3", 1000, "10.9.9.9", 8080, 0, 1);
	flow_table_free(t);
	log_free(&lg);
}

static void test_tcp_midstream(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	/* first packet: data from 443 to 50000, no SYN => 443 is the server */
	struct decoded d = pk(IPPROTO_TCP, IP(1, 2, 3, 4), 443, IP(10, 0, 0, 5), 50000, TH_ACK);
	struct decoded r = reply(&d, TH_ACK);

	(void)state;
	feed(t, &d, 7 * S, 1500, 0);
	feed(t, &r, 7 * S + 1, 52, 1);
	feed(t, &d, 7 * S + 2, 1500, 0);
	check_sides(t, &lg, "10.0.0.5", 50000, "1.2.3.4", 443, 1, 2);
	flow_table_free(t);
	log_free(&lg);

	/* mid-stream from the client side: the sender stays the client */
	t = table(&lg, NULL);
	d = pk(IPPROTO_TCP, IP(10, 0, 0, 5), 50001, IP(1, 2, 3, 4), 443, TH_ACK);
	feed(t, &d, 7 * S, 100, 1);
	check_sides(t, &lg, "10.0.0.5", 50001, "1.2.3.4", 443, 1, 0);
	flow_table_free(t);
	log_free(&lg);

	/* a SYN from a low port is a client even so */
	t = table(&lg, NULL);
	d = pk(IPPROTO_TCP, IP(10, 0, 0, 6), 443, IP(1, 2, 3, 4), 50000, TH_SYN);
	feed(t, &d, 7 * S, 60, 1);
	check_sides(t, &lg, "10.0.0.6", 443, "1.2.3.4", 50000, 1, 0);
	flow_table_free(t);
	log_free(&lg);
}

static void test_udp_answer_first(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	/* a DNS answer seen before its query: the 40000 side is the client */
	struct decoded a = pk(IPPROTO_UDP, IP(8, 8, 4, 4), 53, IP(10, 0, 0, 7), 40000, 0);
	struct decoded q = reply(&a, 0);

	(void)state;
	feed(t, &a, 9 * S, 120, 0);
	feed(t, &q, 9 * S + 5, 60, 1);
	check_sides(t, &lg, "10.0.0.7", 40000, "8.8.4.4", 53, 1, 1);
	flow_table_free(t);
	log_free(&lg);

	/* both ports well-known (NTP 123 -> 123) or both ephemeral: sender */
	t = table(&lg, NULL);
	a = pk(IPPROTO_UDP, IP(10, 0, 0, 8), 53, IP(10, 0, 0, 1), 123, 0);
	feed(t, &a, 9 * S, 76, 1);
	check_sides(t, &lg, "10.0.0.8", 53, "10.0.0.1", 123, 1, 0);
	flow_table_free(t);
	log_free(&lg);

	t = table(&lg, NULL);
	a = pk(IPPROTO_UDP, IP(10, 0, 0, 9), 5353, IP(10, 0, 0, 1), 40000, 0);
	feed(t, &a, 9 * S, 76, 1);
	check_sides(t, &lg, "10.0.0.9", 5353, "10.0.0.1", 40000, 1, 0);
	flow_table_free(t);
	log_free(&lg);
}

static void test_vlan_separates(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded a = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 2), 9999, 0);
	struct decoded b = a;
	struct decoded c = a;
	struct flow *fa, *fb, *fc;

	(void)state;
	a.vlan = 10;
	b.vlan = 20;
	fa = feed(t, &a, 1 * S, 100, 1);
	fb = feed(t, &b, 1 * S + 1, 100, 1);
	fc = feed(t, &c, 1 * S + 2, 100, 1);
	assert_true(fa != fb && fb != fc && fa != fc);
	struct decoded ar = reply(&a, 0);
	assert_ptr_equal(feed(t, &ar, 1 * S + 3, 100, 0), fa);
	assert_int_equal(counters(t).created, 3);
	flow_table_flush(t);
	assert_int_equal(lg.n, 3);
	int seen = 0;
	for (size_t i = 0; i < lg.n; i++) {
		const struct flow_record *r = &lg.v[i].r;
		if (r->vlan == 10) {
			seen |= 1;
			assert_int_equal(r->pkts_toclient, 1);
		} else if (r->vlan == 20) {
			seen |= 2;
			assert_int_equal(r->pkts_toclient, 0);
		} else if (r->vlan == 0) {
			seen |= 4;
		}
		assert_int_equal(r->pkts_toserver, 1);
	}
	assert_int_equal(seen, 7);
	flow_table_free(t);
	log_free(&lg);
}

/* An IPv6 flow: addresses printed as IPv6, ICMPv6 has no ports. */
static void test_ipv6_icmp(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded d;

	(void)state;
	memset(&d, 0, sizeof d);
	d.ipver = 6;
	d.proto = IPPROTO_ICMPV6;
	d.src[0] = 0x20, d.src[1] = 0x01, d.src[2] = 0x0d, d.src[3] = 0xb8, d.src[15] = 1;
	d.dst[0] = 0x20, d.dst[1] = 0x01, d.dst[2] = 0x0d, d.dst[3] = 0xb8, d.dst[15] = 2;
	d.icmp_type = 128;
	feed(t, &d, 3 * S, 104, 1);
	struct decoded r = reply(&d, 0);
	r.icmp_type = 129;
	feed(t, &r, 3 * S + 10, 104, 0);
	flow_table_flush(t);
	const struct rec *rec = only_record(&lg);
	assert_int_equal(rec->r.ipver, 6);
	assert_int_equal(rec->r.proto, IPPROTO_ICMPV6);
	assert_string_equal(rec->r.src_ip, "2001:db8::1");
	assert_string_equal(rec->r.dest_ip, "2001:db8::2");
	assert_memory_equal(rec->r.src_addr, d.src, 16);
	assert_memory_equal(rec->r.dest_addr, d.dst, 16);
	assert_int_equal(rec->r.src_port, 0);
	assert_int_equal(rec->r.dest_port, 0);
	assert_int_equal(rec->r.pkts_toserver, 1);
	assert_int_equal(rec->r.pkts_toclient, 1);
	flow_table_free(t);
	log_free(&lg);
}

/* ---- timeouts ------------------------------------------------------------- */

static void test_udp_timeout(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded q = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(8, 8, 8, 8), 53, 0);
	uint64_t t0 = 1000 * S;

	(void)state;
	feed(t, &q, t0, 60, 1);
	flow_table_expire(t, t0 + 119 * S);
	assert_int_equal(lg.n, 0);
	assert_int_equal(counters(t).active, 1);
	flow_table_expire(t, t0 + 121 * S);
	const struct rec *r = only_record(&lg);
	assert_int_equal(r->final, 1);
	assert_string_equal(r->r.reason, "timeout");
	assert_string_equal(r->r.state, "new");
	assert_int_equal(r->r.end_us, t0);
	assert_int_equal(counters(t).timed_out, 1);
	assert_int_equal(counters(t).ended, 1);
	assert_int_equal(counters(t).active, 0);

	/* a packet of the same 5-tuple now starts a new flow */
	feed(t, &q, t0 + 122 * S, 60, 1);
	assert_int_equal(counters(t).created, 2);
	flow_table_free(t);
	assert_int_equal(lg.n, 2);
	assert_string_equal(lg.v[1].r.reason, "shutdown");
	assert_int_equal(lg.v[1].r.start_us, t0 + 122 * S);
	log_free(&lg);
}

/* Later packets of other flows run the timeouts too. */
static void test_timeout_by_packet_time(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded a = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(8, 8, 8, 8), 53, 0);
	struct decoded b = pk(IPPROTO_UDP, IP(10, 0, 0, 2), 40000, IP(8, 8, 8, 8), 53, 0);
	uint64_t t0 = 1000 * S;

	(void)state;
	feed(t, &a, t0, 60, 1);
	feed(t, &a, t0 + 50 * S, 60, 1); /* activity moves the deadline */
	feed(t, &b, t0 + 169 * S, 60, 1);
	assert_int_equal(lg.n, 0);
	feed(t, &b, t0 + 171 * S, 60, 1);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.src_ip, "10.0.0.1");
	assert_string_equal(r->r.reason, "timeout");
	assert_int_equal(r->r.pkts_toserver, 2);
	assert_int_equal(r->r.end_us, t0 + 50 * S);
	flow_table_free(t);
	log_free(&lg);
}

/* A three-way handshake a -> b at t. */
static struct decoded handshake(struct flow_table *t, uint64_t ts)
{
	struct decoded syn = pk(IPPROTO_TCP, IP(10, 0, 0, 1), 50000, IP(93, 184, 216, 34), 80, TH_SYN);
	struct decoded sa = reply(&syn, TH_SYN | TH_ACK);
	struct decoded ack = syn;

	ack.tcp_flags = TH_ACK;
	feed(t, &syn, ts, 60, 1);
	feed(t, &sa, ts + 1000, 60, 0);
	feed(t, &ack, ts + 2000, 52, 1);
	return ack;
}

static void test_tcp_fin_timeout(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	uint64_t t0 = 2000 * S;
	struct decoded c = handshake(t, t0);
	struct decoded s = reply(&c, TH_ACK);

	(void)state;
	c.tcp_flags = TH_FIN | TH_ACK;
	feed(t, &c, t0 + 1 * S, 52, 1);
	/* FIN from one side only: still established */
	flow_table_expire(t, t0 + 1 * S + 11 * S);
	assert_int_equal(lg.n, 0);
	s.tcp_flags = TH_FIN | TH_ACK;
	uint64_t last = t0 + 13 * S;
	feed(t, &s, last, 52, 0);
	flow_table_expire(t, last + 9 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, last + 11 * S);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.state, "closed");
	assert_string_equal(r->r.reason, "timeout");
	assert_int_equal(r->r.pkts_toserver, 3);
	assert_int_equal(r->r.pkts_toclient, 2);
	assert_int_equal(r->r.end_us, last);
	/* TCP flags seen per direction (OR of all packets) */
	assert_int_equal(r->r.tcp_flags_ts, TH_SYN | TH_ACK | TH_FIN);
	assert_int_equal(r->r.tcp_flags_tc, TH_SYN | TH_ACK | TH_FIN);
	flow_table_free(t);
	log_free(&lg);
}

static void test_tcp_rst_timeout(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	uint64_t t0 = 2000 * S;
	struct decoded c = handshake(t, t0);
	struct decoded s = reply(&c, TH_RST);

	(void)state;
	feed(t, &s, t0 + 5 * S, 40, 0);
	flow_table_expire(t, t0 + 14 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, t0 + 16 * S);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.state, "closed");
	assert_string_equal(r->r.reason, "timeout");
	flow_table_free(t);
	log_free(&lg);
}

static void test_tcp_established_timeout(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	uint64_t t0 = 3000 * S;

	(void)state;
	handshake(t, t0);
	uint64_t last = t0 + 2000;
	flow_table_expire(t, last + 599 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, last + 601 * S);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.state, "established");
	assert_string_equal(r->r.reason, "timeout");
	assert_string_equal(r->r.src_ip, "10.0.0.1");
	assert_string_equal(r->r.dest_ip, "93.184.216.34");
	assert_int_equal(r->r.bytes_toserver, 112);
	assert_int_equal(r->r.bytes_toclient, 60);
	flow_table_free(t);
	log_free(&lg);
}

static void test_tcp_syn_only_timeout(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded syn = pk(IPPROTO_TCP, IP(10, 0, 0, 1), 50000, IP(10, 0, 0, 99), 22, TH_SYN);
	uint64_t t0 = 4000 * S;

	(void)state;
	feed(t, &syn, t0, 60, 1);
	feed(t, &syn, t0 + 3 * S, 60, 1); /* retransmission */
	flow_table_expire(t, t0 + 3 * S + 29 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, t0 + 3 * S + 31 * S);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.state, "new");
	assert_string_equal(r->r.reason, "timeout");
	assert_int_equal(r->r.pkts_toserver, 2);
	assert_int_equal(r->r.pkts_toclient, 0);
	flow_table_free(t);
	log_free(&lg);
}

/* ICMP 60 s, other protocols (GRE) 120 s, from flow_config_defaults. */
static void test_icmp_other_timeout(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded icmp = pk(IPPROTO_ICMP, IP(10, 0, 0, 1), 0, IP(10, 0, 0, 2), 0, 0);
	struct decoded gre = pk(IPPROTO_GRE, IP(10, 0, 0, 1), 0, IP(10, 0, 0, 3), 0, 0);
	uint64_t t0 = 5000 * S;

	(void)state;
	feed(t, &icmp, t0, 84, 1);
	feed(t, &gre, t0, 100, 1);
	flow_table_expire(t, t0 + 59 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, t0 + 61 * S);
	assert_int_equal(lg.n, 1);
	assert_int_equal(lg.v[0].r.proto, IPPROTO_ICMP);
	flow_table_expire(t, t0 + 119 * S);
	assert_int_equal(lg.n, 1);
	flow_table_expire(t, t0 + 121 * S);
	assert_int_equal(lg.n, 2);
	assert_int_equal(lg.v[1].r.proto, IPPROTO_GRE);
	assert_string_equal(lg.v[1].r.reason, "timeout");
	flow_table_free(t);
	log_free(&lg);
}

/* Non-default timeouts from the config are the ones used. */
static void test_config_timeouts(void **state)
{
	struct log lg;
	struct flow_config cfg;
	struct flow_table *t;
	struct decoded q = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(8, 8, 8, 8), 53, 0);

	(void)state;
	flow_config_defaults(&cfg);
	cfg.udp_timeout = 5;
	t = table(&lg, &cfg);
	feed(t, &q, 10 * S, 60, 1);
	flow_table_expire(t, 14 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, 16 * S);
	assert_int_equal(lg.n, 1);
	flow_table_free(t);
	log_free(&lg);
}

/* ---- active timeout ------------------------------------------------------- */

static void test_active_timeout(void **state)
{
	struct log lg;
	struct flow_config cfg;
	struct flow_table *t;
	struct decoded q = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 2), 5000, 0);
	struct decoded a = reply(&q, 0);
	uint64_t t0 = 10000 * S;
	int marker;

	(void)state;
	flow_config_defaults(&cfg);
	cfg.active_timeout = 60;
	t = table(&lg, &cfg);
	/* six exchanges before the checkpoint, ten seconds apart */
	for (int i = 0; i < 6; i++) {
		struct flow *f = feed(t, &q, t0 + (uint64_t)i * 10 * S, 100, 1);
		*flow_classifier_slot(f) = &marker;
		feed(t, &a, t0 + (uint64_t)i * 10 * S + 1000, 200, 0);
	}
	assert_int_equal(lg.n, 0);
	/* the packet at t0+60 runs the checkpoint before it is counted */
	feed(t, &q, t0 + 60 * S, 100, 1);
	const struct rec *r = only_record(&lg);
	assert_int_equal(r->final, 0);
	assert_int_equal(r->r.interim, 1);
	assert_string_equal(r->r.reason, "active_timeout");
	assert_int_equal(r->r.pkts_toserver, 6);
	assert_int_equal(r->r.pkts_toclient, 6);
	assert_int_equal(r->r.bytes_toserver, 600);
	assert_int_equal(r->r.bytes_toclient, 1200);
	assert_int_equal(r->r.start_us, t0);
	assert_int_equal(r->r.end_us, t0 + 50 * S + 1000);
	assert_ptr_equal(r->cls, &marker);
	assert_int_equal(counters(t).interim, 1);
	assert_int_equal(counters(t).active, 1);

	feed(t, &a, t0 + 61 * S, 200, 0);
	feed(t, &q, t0 + 70 * S, 100, 1);
	flow_table_flush(t);
	assert_int_equal(lg.n, 2);
	const struct rec *fin = &lg.v[1];
	assert_int_equal(fin->final, 1);
	assert_int_equal(fin->r.interim, 0);
	assert_string_equal(fin->r.reason, "shutdown");
	assert_int_equal(fin->r.pkts_toserver, 2);
	assert_int_equal(fin->r.pkts_toclient, 1);
	assert_int_equal(fin->r.bytes_toserver, 200);
	assert_int_equal(fin->r.bytes_toclient, 200);
	assert_int_equal(fin->r.start_us, t0);
	assert_int_equal(fin->r.end_us, t0 + 70 * S);
	assert_ptr_equal(fin->cls, &marker);
	/* one flow: the same id in both records, and a JSON-safe integer */
	assert_int_equal(fin->r.flow_id, lg.v[0].r.flow_id);
	assert_true(fin->r.flow_id < (1ULL << 53));
	assert_int_equal(counters(t).created, 1);
	assert_int_equal(counters(t).ended, 1);
	flow_table_free(t);
	log_free(&lg);
}

/* A long idle-free flow gets a checkpoint every active_timeout seconds;
 * the deltas add up to the totals. */
static void test_active_timeout_repeats(void **state)
{
	struct log lg;
	struct flow_config cfg;
	struct flow_table *t;
	struct decoded q = pk(IPPROTO_TCP, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 2), 443, TH_ACK);
	uint64_t t0 = 10000 * S, sum = 0;

	(void)state;
	flow_config_defaults(&cfg);
	cfg.active_timeout = 100;
	t = table(&lg, &cfg);
	for (int i = 0; i < 1000; i++)
		feed(t, &q, t0 + (uint64_t)i * S, 10, 1);
	flow_table_flush(t);
	/* checkpoints at t0+100, +200, ... +900, then the final record */
	assert_int_equal(lg.n, 10);
	for (size_t i = 0; i < lg.n; i++) {
		assert_int_equal(lg.v[i].r.flow_id, lg.v[0].r.flow_id);
		assert_int_equal(lg.v[i].final, i == lg.n - 1);
		assert_int_equal(lg.v[i].r.pkts_toserver, 100);
		sum += lg.v[i].r.pkts_toserver;
	}
	assert_int_equal(sum, 1000);
	assert_int_equal(counters(t).interim, 9);
	flow_table_free(t);
	log_free(&lg);
}

/* ---- bounded table -------------------------------------------------------- */

static void test_eviction(void **state)
{
	struct log lg;
	struct flow_config cfg;
	struct flow_table *t;
	struct decoded a = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(10, 0, 1, 1), 53, 0);
	struct decoded b = pk(IPPROTO_TCP, IP(10, 0, 0, 2), 40000, IP(10, 0, 1, 1), 80, TH_SYN);
	struct decoded c = pk(IPPROTO_ICMP, IP(10, 0, 0, 3), 0, IP(10, 0, 1, 1), 0, 0);
	struct decoded d = pk(IPPROTO_UDP, IP(10, 0, 0, 4), 40000, IP(10, 0, 1, 1), 53, 0);
	struct decoded e = pk(IPPROTO_UDP, IP(10, 0, 0, 5), 40000, IP(10, 0, 1, 1), 53, 0);

	(void)state;
	flow_config_defaults(&cfg);
	cfg.max_flows = 3;
	t = table(&lg, &cfg);
	feed(t, &a, 1 * S, 60, 1);
	feed(t, &b, 2 * S, 60, 1);
	feed(t, &c, 3 * S, 84, 1);
	feed(t, &a, 4 * S, 60, 1); /* a is now the most recent */
	assert_int_equal(lg.n, 0);
	/* the 4th flow evicts the least recently active one: b */
	feed(t, &d, 5 * S, 60, 1);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.reason, "evicted");
	assert_int_equal(r->final, 1);
	assert_string_equal(r->r.src_ip, "10.0.0.2");
	assert_int_equal(r->r.proto, IPPROTO_TCP);
	assert_int_equal(counters(t).evicted, 1);
	assert_int_equal(counters(t).active, 3);
	assert_int_equal(counters(t).created, 4);
	/* then c (t=3), a (t=4) is still newer */
	feed(t, &e, 6 * S, 60, 1);
	assert_int_equal(lg.n, 2);
	assert_string_equal(lg.v[1].r.src_ip, "10.0.0.3");
	assert_string_equal(lg.v[1].r.reason, "evicted");
	assert_int_equal(counters(t).evicted, 2);
	/* packets of existing flows never evict */
	feed(t, &a, 7 * S, 60, 1);
	feed(t, &d, 7 * S, 60, 1);
	feed(t, &e, 7 * S, 60, 1);
	assert_int_equal(lg.n, 2);
	assert_int_equal(counters(t).peak_active, 3);
	flow_table_flush(t);
	assert_int_equal(lg.n, 5);
	for (size_t i = 2; i < 5; i++)
		assert_string_equal(lg.v[i].r.reason, "shutdown");
	assert_int_equal(counters(t).ended, 5);
	assert_int_equal(counters(t).timed_out, 0);
	flow_table_free(t);
	log_free(&lg);
}

static void test_flush(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);

	(void)state;
	for (int i = 0; i < 10; i++) {
		struct decoded d = pk(i % 2 ? IPPROTO_TCP : IPPROTO_UDP, IP(10, 0, 0, i + 1), 40000,
				      IP(10, 0, 1, 1), 53, i % 2 ? TH_SYN : 0);
		feed(t, &d, 1 * S + (uint64_t)i, 60, 1);
	}
	assert_int_equal(counters(t).active, 10);
	flow_table_flush(t);
	assert_int_equal(lg.n, 10);
	for (size_t i = 0; i < lg.n; i++) {
		assert_string_equal(lg.v[i].r.reason, "shutdown");
		assert_int_equal(lg.v[i].final, 1);
		for (size_t k = 0; k < i; k++)
			assert_true(lg.v[i].r.flow_id != lg.v[k].r.flow_id);
	}
	assert_int_equal(counters(t).active, 0);
	assert_int_equal(counters(t).ended, 10);
	/* a second flush has nothing to do */
	flow_table_flush(t);
	assert_int_equal(lg.n, 10);
	flow_table_free(t);
	assert_int_equal(lg.n, 10);
	log_free(&lg);
}

/* The table's clock never goes back: an older timestamp neither expires
 * flows nor moves their deadline backwards. */
static void test_time_backwards(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded q = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 40000, IP(8, 8, 8, 8), 53, 0);
	struct decoded a = reply(&q, 0);
	struct flow *f;
	uint64_t t0 = 1000 * S;

	(void)state;
	f = feed(t, &q, t0, 60, 1);
	/* a packet from the past belongs to the same flow */
	assert_ptr_equal(feed(t, &a, 10 * S, 60, 0), f);
	flow_table_expire(t, 10 * S);
	flow_table_expire(t, 0);
	assert_int_equal(lg.n, 0);
	/* far past the old packet's deadline, within the real one */
	flow_table_expire(t, t0 + 100 * S);
	assert_int_equal(lg.n, 0);
	assert_ptr_equal(feed(t, &q, t0 + 110 * S, 60, 1), f);
	flow_table_expire(t, t0 + 229 * S);
	assert_int_equal(lg.n, 0);
	flow_table_expire(t, t0 + 231 * S);
	const struct rec *r = only_record(&lg);
	assert_string_equal(r->r.reason, "timeout");
	assert_int_equal(r->r.pkts_toserver, 2);
	assert_int_equal(r->r.pkts_toclient, 1);
	assert_int_equal(r->r.start_us, t0);
	assert_int_equal(r->r.end_us, t0 + 110 * S);
	assert_int_equal(counters(t).created, 1);
	flow_table_free(t);
	log_free(&lg);
}

/* ---- many flows ----------------------------------------------------------- */

#define NFLOWS 5000

static struct decoded many(int i)
{
	return pk(IPPROTO_UDP, IP(10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff),
		  (uint16_t)(1024 + i % 50000), IP(192, 0, 2, 1 + i % 7), 53, 0);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static void test_growth(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct flow **fl = calloc(NFLOWS, sizeof *fl);
	uint64_t *ids = calloc(NFLOWS, sizeof *ids);
	uint64_t t0 = 100 * S;

	(void)state;
	assert_non_null(fl);
	assert_non_null(ids);
	for (int i = 0; i < NFLOWS; i++) {
		struct decoded d = many(i);
		fl[i] = feed(t, &d, t0 + (uint64_t)i, 80, 1);
	}
	assert_int_equal(counters(t).created, NFLOWS);
	assert_int_equal(counters(t).active, NFLOWS);
	/* every flow found again after the table grew (replies) */
	for (int i = 0; i < NFLOWS; i++) {
		struct decoded d = many(i);
		struct decoded r = reply(&d, 0);
		assert_ptr_equal(feed(t, &r, t0 + NFLOWS + (uint64_t)i, 120, 0), fl[i]);
		assert_int_equal(flow_packets(fl[i]), 2);
	}
	assert_int_equal(counters(t).created, NFLOWS);
	assert_int_equal(counters(t).peak_active, NFLOWS);
	assert_int_equal(lg.n, 0);
	flow_table_flush(t);
	assert_int_equal(lg.n, NFLOWS);
	for (size_t i = 0; i < lg.n; i++) {
		assert_int_equal(lg.v[i].r.pkts_toserver, 1);
		assert_int_equal(lg.v[i].r.pkts_toclient, 1);
		assert_int_equal(lg.v[i].r.bytes_toserver, 80);
		assert_int_equal(lg.v[i].r.bytes_toclient, 120);
		assert_int_equal(lg.v[i].r.dest_port, 53);
		assert_true(lg.v[i].r.flow_id < (1ULL << 53));
		ids[i] = lg.v[i].r.flow_id;
	}
	qsort(ids, NFLOWS, sizeof *ids, cmp_u64);
	for (int i = 1; i < NFLOWS; i++)
		assert_true(ids[i] != ids[i - 1]);
	assert_int_equal(counters(t).ended, NFLOWS);
	flow_table_free(t);
	free(fl);
	free(ids);
	log_free(&lg);
}

/* The same packets give the same records, byte for byte, every run. */
static uint64_t run_scenario(struct log *lg)
{
	struct flow_config cfg;
	struct flow_table *t;
	uint64_t seed;

	flow_config_defaults(&cfg);
	cfg.max_flows = 20;
	cfg.active_timeout = 30;
	t = table(lg, &cfg);
	for (int i = 0; i < 3000; i++) {
		/* a few busy flows (checkpointed) among many short ones (evicted) */
		int k = i % 2 ? (i * 7919) % 80 : (i / 2) % 4;
		uint8_t proto = k % 3 == 0 ? IPPROTO_TCP : k % 3 == 1 ? IPPROTO_UDP : IPPROTO_ICMP;
		struct decoded d = pk(proto, IP(10, 0, 0, k + 1), proto == IPPROTO_ICMP ? 0 : 40000,
				      IP(10, 0, 1, k % 5), proto == IPPROTO_ICMP ? 0 : 443,
				      (uint8_t)(proto == IPPROTO_TCP ? (i % 11 ? TH_ACK : TH_SYN) : 0));
		if (i % 3 == 0)
			d = reply(&d, (uint8_t)(proto == IPPROTO_TCP ? TH_ACK | (i % 13 ? 0 : TH_FIN) : 0));
		int dir;
		assert_non_null(flow_table_packet(t, &d, 50 * S + (uint64_t)i * 97000ULL,
						  (uint32_t)(40 + i % 1400), &dir));
	}
	seed = flow_table_seed(t);
	flow_table_flush(t);
	flow_table_free(t);
	return seed;
}

/* Two tables, two random bucket-hash seeds, the same records in the same
 * order. */
static void test_deterministic(void **state)
{
	struct log a, b;

	(void)state;
	uint64_t sa = run_scenario(&a);
	uint64_t sb = run_scenario(&b);
	assert_true(sa != sb);
	assert_true(a.n > 80);
	assert_int_equal(a.n, b.n);
	int kinds = 0;
	for (size_t i = 0; i < a.n; i++) {
		const struct flow_record *x = &a.v[i].r, *y = &b.v[i].r;
		assert_int_equal(a.v[i].final, b.v[i].final);
		assert_int_equal(x->flow_id, y->flow_id);
		assert_int_equal(x->start_us, y->start_us);
		assert_int_equal(x->end_us, y->end_us);
		assert_string_equal(x->src_ip, y->src_ip);
		assert_string_equal(x->dest_ip, y->dest_ip);
		assert_int_equal(x->src_port, y->src_port);
		assert_int_equal(x->pkts_toserver, y->pkts_toserver);
		assert_int_equal(x->pkts_toclient, y->pkts_toclient);
		assert_int_equal(x->bytes_toserver, y->bytes_toserver);
		assert_int_equal(x->bytes_toclient, y->bytes_toclient);
		assert_string_equal(x->state, y->state);
		assert_string_equal(x->reason, y->reason);
		assert_memory_equal(x, y, sizeof *x);
		if (!strcmp(x->reason, "evicted")) kinds |= 1;
		if (!strcmp(x->reason, "active_timeout")) kinds |= 2;
		if (!strcmp(x->reason, "shutdown")) kinds |= 4;
	}
	/* the scenario exercised eviction, checkpoints and the final flush */
	assert_int_equal(kinds, 7);
	log_free(&a);
	log_free(&b);
}

/* Many flows (the bucket array doubles three times, rehashing with the
 * seed), ended by timeouts, evictions and the flush: the records and
 * their order do not depend on the seed. */
static uint64_t run_many(struct log *lg)
{
	struct flow_config cfg;
	struct flow_table *t;
	uint64_t seed;

	flow_config_defaults(&cfg);
	cfg.max_flows = 6000;
	t = table(lg, &cfg);
	for (uint32_t i = 0; i < 20000; i++) {
		struct decoded d = pk(i % 2 ? IPPROTO_UDP : IPPROTO_TCP, IP(10, 1, i >> 8 & 255, i & 255),
				      (uint16_t)(1024 + i % 7), IP(192, 0, 2, i % 3), 53, TH_SYN);
		int dir;
		/* 10000 flows in 10 s (growth, evictions past 6000), then slower:
		 * SYN-only flows time out after 30 s */
		uint64_t ts = i < 10000 ? (uint64_t)i * 1000 : 10 * S + (uint64_t)(i - 10000) * 20000;
		assert_non_null(flow_table_packet(t, &d, 100 * S + ts, 60, &dir));
	}
	seed = flow_table_seed(t);
	flow_table_flush(t);
	flow_table_free(t);
	return seed;
}

static void test_seed_does_not_show(void **state)
{
	struct log a, b;

	(void)state;
	uint64_t sa = run_many(&a);
	uint64_t sb = run_many(&b);
	assert_true(sa != sb);
	assert_int_equal(a.n, 20000);
	assert_int_equal(a.n, b.n);
	int reasons = 0;
	for (size_t i = 0; i < a.n; i++) {
		assert_memory_equal(&a.v[i].r, &b.v[i].r, sizeof a.v[i].r);
		reasons |= !strcmp(a.v[i].r.reason, "timeout") ? 1 :
			   !strcmp(a.v[i].r.reason, "evicted") ? 2 :
			   !strcmp(a.v[i].r.reason, "shutdown") ? 4 : 8;
	}
	assert_int_equal(reasons, 7);
	log_free(&a);
	log_free(&b);
}

/* A flow that cannot be allocated: the packet gets no flow, the table
 * counts it, the flows it has go on. */
static void test_alloc_failure_counted(void **state)
{
	struct log lg;
	struct flow_table *t = table(&lg, NULL);
	struct decoded a = pk(IPPROTO_UDP, IP(10, 0, 0, 1), 1000, IP(10, 0, 0, 2), 53, 0);
	struct decoded b = pk(IPPROTO_UDP, IP(10, 0, 0, 3), 1000, IP(10, 0, 0, 2), 53, 0);
	int dir = -1;

	(void)state;
	feed(t, &a, 1 * S, 100, 1);
	fail_calloc = 1;
	assert_null(flow_table_packet(t, &b, 2 * S, 100, &dir));
	assert_null(flow_table_packet(t, &b, 3 * S, 100, &dir));
	feed(t, &a, 4 * S, 100, 1);             /* a known flow needs no memory */
	fail_calloc = 0;
	assert_int_equal(counters(t).alloc_failed, 2);
	assert_int_equal(counters(t).created, 1);
	feed(t, &b, 5 * S, 100, 1);             /* memory again: the flow starts */
	assert_int_equal(counters(t).created, 2);
	assert_int_equal(counters(t).alloc_failed, 2);
	flow_table_flush(t);
	assert_int_equal(lg.n, 2);
	assert_int_equal(lg.v[0].r.pkts_toserver, 2);
	flow_table_free(t);
	log_free(&lg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidirectional),
		cmocka_unit_test(test_client_is_first_sender),
		cmocka_unit_test(test_synack_first),
		cmocka_unit_test(test_tcp_midstream),
		cmocka_unit_test(test_udp_answer_first),
		cmocka_unit_test(test_vlan_separates),
		cmocka_unit_test(test_ipv6_icmp),
		cmocka_unit_test(test_udp_timeout),
		cmocka_unit_test(test_timeout_by_packet_time),
		cmocka_unit_test(test_tcp_fin_timeout),
		cmocka_unit_test(test_tcp_rst_timeout),
		cmocka_unit_test(test_tcp_established_timeout),
		cmocka_unit_test(test_tcp_syn_only_timeout),
		cmocka_unit_test(test_icmp_other_timeout),
		cmocka_unit_test(test_config_timeouts),
		cmocka_unit_test(test_active_timeout),
		cmocka_unit_test(test_active_timeout_repeats),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_time_backwards),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_seed_does_not_show),
		cmocka_unit_test(test_alloc_failure_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
