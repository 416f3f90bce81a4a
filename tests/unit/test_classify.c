/*
 * test_classify.c - the classifier (classify.h) with the real nDPI 4.2.
 *
 * Real IPv4 packets are assembled in a buffer (IP + UDP + DNS, IP + TCP +
 * HTTP, a TLS ClientHello, random UDP payloads), decoded with
 * decode_packet(LINKTYPE_RAW) and fed to classify_packet() with a flow's
 * slot, exactly as the replay loop does; then classify_fill_record() and
 * classify_release(). The classifier's counters are checked at every step
 * (live nDPI states, held header-only packets, given-up flows).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classify/classify.h"
#include "decode/decode.h"

#define LINKTYPE_RAW_IP 101 /* raw IPv4/IPv6, as stored in pcap files */
#define S 1000000ULL
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* ---- fixtures ------------------------------------------------------------ */

struct fx {
	struct classifier *cls;
	struct decoder *dec;
};

static int setup(void **state)
{
	char err[256] = "";
	struct fx *fx = calloc(1, sizeof *fx);

	if (!fx)
		return -1;
	fx->cls = classifier_new(err, sizeof err);
	fx->dec = malloc(sizeof *fx->dec);
	if (!fx->cls || !fx->dec) {
		fprintf(stderr, "classifier_new: %s\n", err);
		return -1;
	}
	decoder_init(fx->dec);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c;

	/* every test released what it used */
	classify_get_counters(fx->cls, &c);
	int leak = c.ndpi_states_live != 0 || c.pending_live != 0;
	classifier_free(fx->cls);
	free(fx->dec);
	free(fx);
	return leak ? -1 : 0;
}

static struct classify_counters counters(struct fx *fx)
{
	struct classify_counters c;

	classify_get_counters(fx->cls, &c);
	return c;
}

/* ---- packet builder --------------------------------------------------------- */

struct pkt {
	uint8_t b[2048];
	uint32_t n;
};

static void put8(struct pkt *p, uint8_t v)
{
	assert_true(p->n < sizeof p->b);
	p->b[p->n++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put24(struct pkt *p, uint32_t v)
{
	put8(p, (uint8_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void putn(struct pkt *p, const void *data, uint32_t len)
{
	assert_true(p->n + len <= sizeof p->b);
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

static void set16(struct pkt *p, uint32_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

/* A 16-bit length field at off covering everything after it. */
static void end16(struct pkt *p, uint32_t off)
{
	set16(p, off, (uint16_t)(p->n - off - 2));
}

static void end24(struct pkt *p, uint32_t off)
{
	uint32_t v = p->n - off - 3;

	p->b[off] = (uint8_t)(v >> 16);
	set16(p, off + 1, (uint16_t)v);
}

static uint16_t csum(const uint8_t *b, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

struct ep {
	uint32_t ip;
	uint16_t port;
};

/* IPv4 header; ip_end patches the length and checksum */
static void ip4(struct pkt *p, uint8_t proto, struct ep src, struct ep dst)
{
	static uint16_t id = 0x100;

	p->n = 0;
	put8(p, 0x45);
	put8(p, 0);
	put16(p, 0);
	put16(p, id++);
	put16(p, 0x4000);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put32(p, src.ip);
	put32(p, dst.ip);
}

static void ip_end(struct pkt *p)
{
	set16(p, 2, (uint16_t)p->n);
	set16(p, 10, csum(p->b, 20, 0));
}

static void udp_hdr(struct pkt *p, struct ep src, struct ep dst)
{
	ip4(p, IPPROTO_UDP, src, dst);
	put16(p, src.port);
	put16(p, dst.port);
	put16(p, 0);    /* length */
	put16(p, 0);    /* checksum: none */
}

static void udp_end(struct pkt *p)
{
	set16(p, 24, (uint16_t)(p->n - 20));
	ip_end(p);
}

static void tcp_hdr(struct pkt *p, struct ep src, struct ep dst, uint32_t seq, uint32_t ack,
		    uint8_t flags)
{
	ip4(p, IPPROTO_TCP, src, dst);
	put16(p, src.port);
	put16(p, dst.port);
	put32(p, seq);
	put32(p, ack);
	if (flags & TH_SYN) {
		put8(p, 6 << 4); /* 24 bytes: MSS option */
		put8(p, flags);
		put16(p, 64240);
		put16(p, 0);
		put16(p, 0);
		put8(p, 2);
		put8(p, 4);
		put16(p, 1460);
	} else {
		put8(p, 5 << 4);
		put8(p, flags);
		put16(p, 64240);
		put16(p, 0);
		put16(p, 0);
	}
}

/* TCP checksum over the pseudo header, then the IP header */
static void tcp_end(struct pkt *p)
{
	uint32_t len = p->n - 20, sum = 0;

	for (int i = 12; i < 20; i += 2)
		sum += (uint32_t)p->b[i] << 8 | p->b[i + 1];
	sum += IPPROTO_TCP + len;
	set16(p, 36, 0);
	set16(p, 36, csum(p->b + 20, len, sum));
	ip_end(p);
}

/* ---- feeding --------------------------------------------------------------- */

struct flowst {
	void *slot;
	struct ep cli, srv;
	uint32_t cseq, sseq;
	uint64_t ts;
};

/* Decode the packet like the replay loop (LINKTYPE_RAW) and classify it. */
static void feed(struct fx *fx, struct flowst *f, struct pkt *p, int to_server)
{
	struct decoded d;
	uint8_t *copy = malloc(p->n); /* exact size: ASan sees any overread */

	assert_non_null(copy);
	memcpy(copy, p->b, p->n);
	assert_int_equal(decode_packet(fx->dec, LINKTYPE_RAW_IP, copy, p->n, f->ts, &d), DECODE_OK);
	assert_int_equal(d.ipver, 4);
	assert_int_equal(d.l3_caplen, p->n);
	classify_packet(fx->cls, &f->slot, &d, f->ts, to_server);
	f->ts += 10000;
	free(copy);
}

/* A TCP segment of the flow; data may be NULL. */
static void tcp_seg(struct fx *fx, struct flowst *f, int to_server, uint8_t flags,
		    const char *data)
{
	struct pkt p;
	uint32_t n = data ? (uint32_t)strlen(data) : 0;

	if (to_server)
		tcp_hdr(&p, f->cli, f->srv, f->cseq, f->sseq, flags);
	else
		tcp_hdr(&p, f->srv, f->cli, f->sseq, f->cseq, flags);
	if (n)
		putn(&p, data, n);
	tcp_end(&p);
	uint32_t adv = n + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
	if (to_server)
		f->cseq += adv;
	else
		f->sseq += adv;
	feed(fx, f, &p, to_server);
}

/* The final record of the flow; releases the slot afterwards. */
static void finish(struct fx *fx, struct flowst *f, struct flow_record *rec)
{
	memset(rec, 0, sizeof *rec);
	classify_fill_record(fx->cls, &f->slot, rec, 1);
}

/* ---- DNS ------------------------------------------------------------------- */

static void dns_name(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		put8(p, (uint8_t)n);
		putn(p, name, (uint32_t)n);
		name += n + (dot ? 1 : 0);
	}
	put8(p, 0);
}

static void dns_msg(struct pkt *p, struct ep src, struct ep dst, int answer, const char *qname)
{
	udp_hdr(p, src, dst);
	put16(p, 0xbeef);                       /* id */
	put16(p, answer ? 0x8180 : 0x0100);     /* flags: RD (+QR RA) */
	put16(p, 1);                            /* questions */
	put16(p, answer ? 1 : 0);               /* answers */
	put16(p, 0);
	put16(p, 0);
	dns_name(p, qname);
	put16(p, 1);                            /* A */
	put16(p, 1);                            /* IN */
	if (answer) {
		put16(p, 0xc00c);               /* name: pointer to the question */
		put16(p, 1);
		put16(p, 1);
		put32(p, 300);
		put16(p, 4);
		put32(p, IP(93, 184, 216, 34));
	}
	udp_end(p);
}

static void test_dns(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c0 = counters(fx), c;
	struct flowst f = { .cli = { IP(192, 168, 1, 10), 40000 }, .srv = { IP(192, 168, 1, 1), 53 },
			    .ts = 1704067200 * S };
	struct flow_record rec;
	struct pkt p;

	dns_msg(&p, f.cli, f.srv, 0, "www.example.com");
	feed(fx, &f, &p, 1);
	assert_non_null(f.slot);
	dns_msg(&p, f.srv, f.cli, 1, "www.example.com");
	feed(fx, &f, &p, 0);
	c = counters(fx);
	/* decided by DPI: nDPI's state is gone already */
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live);
	assert_int_equal(c.flows_classified, c0.flows_classified + 1);
	assert_int_equal(c.flows_given_up, c0.flows_given_up);
	assert_int_equal(c.ndpi_states_peak >= 1, 1);

	/* more packets after the decision change nothing */
	feed(fx, &f, &p, 0);
	finish(fx, &f, &rec);
	assert_string_equal(rec.app_proto, "dns");
	assert_string_equal(rec.ndpi_protocol, "DNS");
	assert_non_null(rec.dns_rrname);
	assert_string_equal(rec.dns_rrname, "www.example.com");
	assert_int_equal(rec.dns_qtype, 1); /* A */
	assert_null(rec.tls_sni);
	assert_null(rec.tls_cert_sha1);
	assert_null(rec.http_host);
	assert_null(rec.http_user_agent);
	assert_int_equal(rec.guessed, 0);
	assert_non_null(rec.ndpi_category);
	assert_string_equal(rec.ndpi_confidence, "DPI");
	/* an interim record asks again: same answer, nothing more counted */
	struct flow_record rec2;
	memset(&rec2, 0, sizeof rec2);
	classify_fill_record(fx->cls, &f.slot, &rec2, 0);
	assert_string_equal(rec2.ndpi_protocol, "DNS");
	assert_string_equal(rec2.dns_rrname, "www.example.com");
	assert_int_equal(counters(fx).flows_classified, c0.flows_classified + 1);

	classify_release(fx->cls, &f.slot);
	assert_null(f.slot);
	classify_release(fx->cls, &f.slot); /* twice is harmless */
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, 0);
	assert_int_equal(c.pending_live, 0);
	assert_int_equal(c.alloc_failures, 0);
}

/* ---- HTTP ------------------------------------------------------------------ */

static const char http_get[] =
	"GET /index.html HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: vigil-test/1.0 (unit)\r\n"
	"Accept: */*\r\n"
	"\r\n";

static const char http_resp[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/html\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"hello";

static void test_http(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c0 = counters(fx), c;
	struct flowst f = { .cli = { IP(10, 0, 0, 2), 50123 }, .srv = { IP(93, 184, 216, 34), 80 },
			    .cseq = 1000, .sseq = 5000, .ts = 1704067200 * S };
	struct flow_record rec;

	/* the handshake carries no payload: held, no nDPI state yet */
	tcp_seg(fx, &f, 1, TH_SYN, NULL);
	tcp_seg(fx, &f, 0, TH_SYN | TH_ACK, NULL);
	tcp_seg(fx, &f, 1, TH_ACK, NULL);
	c = counters(fx);
	assert_int_equal(c.pending_live, c0.pending_live + 1);
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live);

	/* the request: held packets go to nDPI first, then this one */
	tcp_seg(fx, &f, 1, TH_PSH | TH_ACK, http_get);
	c = counters(fx);
	assert_int_equal(c.pending_live, c0.pending_live);
	tcp_seg(fx, &f, 0, TH_ACK, NULL);
	tcp_seg(fx, &f, 0, TH_PSH | TH_ACK, http_resp);
	tcp_seg(fx, &f, 1, TH_ACK, NULL);
	tcp_seg(fx, &f, 1, TH_FIN | TH_ACK, NULL);
	tcp_seg(fx, &f, 0, TH_FIN | TH_ACK, NULL);
	tcp_seg(fx, &f, 1, TH_ACK, NULL);

	finish(fx, &f, &rec);
	assert_string_equal(rec.app_proto, "http");
	assert_non_null(rec.ndpi_protocol);
	assert_string_equal(rec.ndpi_protocol, "HTTP");
	assert_non_null(rec.http_host);
	assert_string_equal(rec.http_host, "www.example.com");
	assert_non_null(rec.http_user_agent);
	assert_string_equal(rec.http_user_agent, "vigil-test/1.0 (unit)");
	assert_null(rec.dns_rrname);
	assert_null(rec.tls_sni);
	assert_int_equal(rec.guessed, 0);
	assert_string_equal(rec.ndpi_category, "Web");
	c = counters(fx);
	assert_int_equal(c.flows_classified, c0.flows_classified + 1);
	assert_int_equal(c.flows_given_up, c0.flows_given_up);
	classify_release(fx->cls, &f.slot);
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, 0);
	assert_int_equal(c.pending_live, 0);
}

/* ---- TLS ------------------------------------------------------------------- */

/* A TLS 1.2 ClientHello record with SNI (server_name) sni. */
static void client_hello(struct pkt *p, const char *sni)
{
	static const uint16_t suites[] = { 0xc02b, 0xc02f, 0xc02c, 0xc030, 0x009e, 0x002f, 0x0035 };
	uint32_t rec_len, hs_len, ext_len, e, l1, l2;
	size_t n = strlen(sni);

	put8(p, 0x16);                  /* handshake */
	put16(p, 0x0301);
	rec_len = p->n;
	put16(p, 0);
	put8(p, 0x01);                  /* ClientHello */
	hs_len = p->n;
	put24(p, 0);
	put16(p, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(p, (uint8_t)(i * 7 + 1)); /* random */
	put8(p, 0);                     /* session id */
	put16(p, (uint16_t)(sizeof suites));
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		put16(p, suites[i]);
	put8(p, 1);                     /* compression: null */
	put8(p, 0);
	ext_len = p->n;
	put16(p, 0);
	/* server_name */
	put16(p, 0x0000);
	e = p->n;
	put16(p, 0);
	l1 = p->n;
	put16(p, 0);
	put8(p, 0);                     /* host_name */
	put16(p, (uint16_t)n);
	putn(p, sni, (uint32_t)n);
	end16(p, l1);
	end16(p, e);
	/* supported_groups: x25519, secp256r1 */
	put16(p, 0x000a);
	put16(p, 6);
	put16(p, 4);
	put16(p, 0x001d);
	put16(p, 0x0017);
	/* ec_point_formats: uncompressed */
	put16(p, 0x000b);
	put16(p, 2);
	put8(p, 1);
	put8(p, 0);
	/* signature_algorithms */
	put16(p, 0x000d);
	l2 = p->n;
	put16(p, 0);
	put16(p, 6);
	put16(p, 0x0403);
	put16(p, 0x0804);
	put16(p, 0x0401);
	end16(p, l2);
	end16(p, ext_len);
	end24(p, hs_len);
	end16(p, rec_len);
}

static void test_tls_sni(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c0 = counters(fx), c;
	struct flowst f = { .cli = { IP(10, 0, 0, 3), 51515 }, .srv = { IP(198, 51, 100, 7), 443 },
			    .cseq = 77, .sseq = 99, .ts = 1704067200 * S };
	struct flow_record rec;
	struct pkt p;

	tcp_seg(fx, &f, 1, TH_SYN, NULL);
	tcp_seg(fx, &f, 0, TH_SYN | TH_ACK, NULL);
	tcp_seg(fx, &f, 1, TH_ACK, NULL);
	tcp_hdr(&p, f.cli, f.srv, f.cseq, f.sseq, TH_PSH | TH_ACK);
	client_hello(&p, "www.example.org");
	tcp_end(&p);
	feed(fx, &f, &p, 1);
	/* nDPI knows it is TLS, but waits for the server's side (JA3S,
	 * certificate): the state is still live */
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live + 1);
	assert_int_equal(c.pending_live, c0.pending_live);

	finish(fx, &f, &rec);
	assert_string_equal(rec.app_proto, "tls");
	assert_non_null(rec.tls_sni);
	assert_string_equal(rec.tls_sni, "www.example.org");
	assert_non_null(rec.ja3);
	assert_int_equal(strlen(rec.ja3), 32);
	assert_int_equal(strspn(rec.ja3, "0123456789abcdef"), 32);
	assert_null(rec.ja3s); /* no ServerHello seen */
	assert_null(rec.tls_cert_sha1); /* no certificate seen */
	assert_int_equal(rec.dns_qtype, 0);
	assert_null(rec.dns_rrname);
	assert_null(rec.http_host);
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live);
	assert_int_equal(c.flows_classified, c0.flows_classified + 1);
	assert_int_equal(c.flows_given_up, c0.flows_given_up);
	classify_release(fx->cls, &f.slot);
}

/* ---- header-only TCP --------------------------------------------------------- */

static void test_syn_only_given_up(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c0 = counters(fx), c;
	struct flowst f = { .cli = { IP(10, 0, 0, 4), 40404 }, .srv = { IP(203, 0, 113, 5), 80 },
			    .cseq = 1, .ts = 1704067200 * S };
	struct flow_record rec;

	/* a SYN and two retransmissions, no answer */
	for (int i = 0; i < 3; i++) {
		tcp_seg(fx, &f, 1, TH_SYN, NULL);
		f.cseq--; /* retransmission: same sequence number */
	}
	c = counters(fx);
	assert_int_equal(c.pending_live, c0.pending_live + 1);
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live);

	/* an interim record of a pending flow: unknown so far, still held */
	memset(&rec, 0, sizeof rec);
	classify_fill_record(fx->cls, &f.slot, &rec, 0);
	assert_string_equal(rec.app_proto, "unknown");
	assert_string_equal(rec.ndpi_protocol, "Unknown");
	assert_int_equal(counters(fx).pending_live, c0.pending_live + 1);

	/* the flow ends: nDPI gets the held packets and guesses by port */
	finish(fx, &f, &rec);
	c = counters(fx);
	assert_int_equal(c.flows_given_up, c0.flows_given_up + 1);
	assert_int_equal(c.flows_classified, c0.flows_classified);
	assert_int_equal(c.pending_live, c0.pending_live);
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live);
	assert_int_equal(rec.guessed, 1);
	/* nDPI 4.2 guesses HTTP for TCP port 80 */
	assert_string_equal(rec.app_proto, "http");
	assert_string_equal(rec.ndpi_protocol, "HTTP");
	assert_string_equal(rec.ndpi_confidence, "Match by port");
	assert_null(rec.http_host);
	assert_null(rec.http_user_agent);
	classify_release(fx->cls, &f.slot);
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, 0);
	assert_int_equal(c.pending_live, 0);
}

/* More header-only packets than can be held: the flow goes live. */
static void test_pending_overflow(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c0 = counters(fx), c;
	struct flowst f = { .cli = { IP(10, 0, 0, 5), 40405 }, .srv = { IP(203, 0, 113, 6), 5555 },
			    .cseq = 1, .sseq = 1, .ts = 1704067200 * S };
	struct flow_record rec;

	tcp_seg(fx, &f, 1, TH_SYN, NULL);
	tcp_seg(fx, &f, 0, TH_SYN | TH_ACK, NULL);
	for (int i = 0; i < 8; i++)
		tcp_seg(fx, &f, i % 2, TH_ACK, NULL);
	c = counters(fx);
	assert_int_equal(c.pending_live, c0.pending_live);
	assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live + 1);

	/* released without a final record (e.g. on shutdown) */
	classify_release(fx->cls, &f.slot);
	assert_null(f.slot);
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, 0);
	assert_int_equal(c.pending_live, 0);

	/* a pending flow released without a final record */
	struct flowst g = { .cli = { IP(10, 0, 0, 6), 40406 }, .srv = { IP(203, 0, 113, 6), 22 },
			    .cseq = 1, .ts = 1704067200 * S };
	tcp_seg(fx, &g, 1, TH_SYN, NULL);
	assert_int_equal(counters(fx).pending_live, 1);
	classify_release(fx->cls, &g.slot);
	assert_int_equal(counters(fx).pending_live, 0);
	memset(&rec, 0, sizeof rec);
	classify_fill_record(fx->cls, &g.slot, &rec, 1); /* empty slot */
	assert_string_equal(rec.app_proto, "unknown");
	assert_string_equal(rec.ndpi_protocol, "Unknown");
}

/* ---- undecidable UDP ---------------------------------------------------------- */

static uint32_t xs32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* len random bytes. The first byte's top bits are cleared: with version
 * bits 10 a random datagram passes nDPI's RTP heuristic now and then, and
 * this test is about data nothing recognises. */
static void random_payload(struct pkt *p, uint32_t *seed, uint32_t len)
{
	for (uint32_t k = 0; k < len; k++)
		put8(p, (uint8_t)(xs32(seed) & (k ? 0xFF : 0x3F)));
}

static void test_random_udp(void **state)
{
	struct fx *fx = *state;
	struct classify_counters c0 = counters(fx), c;
	struct flowst f = { .cli = { IP(10, 0, 0, 7), 40000 }, .srv = { IP(10, 0, 9, 9), 40000 },
			    .ts = 1704067200 * S };
	struct flow_record rec;
	uint32_t seed = 0x12345678;
	struct pkt p;

	for (int i = 0; i < 500; i++) {
		int to_server = i % 3 != 2;
		uint32_t len = 40 + xs32(&seed) % 900;

		if (to_server)
			udp_hdr(&p, f.cli, f.srv);
		else
			udp_hdr(&p, f.srv, f.cli);
		random_payload(&p, &seed, len);
		udp_end(&p);
		feed(fx, &f, &p, to_server);
		c = counters(fx);
		if (i < 24) {
			/* still trying: nDPI's state is held */
			assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live + 1);
			assert_int_equal(c.flows_given_up, c0.flows_given_up);
		} else {
			/* decided (given up) with the 25th packet */
			assert_int_equal(c.ndpi_states_live, c0.ndpi_states_live);
			assert_int_equal(c.flows_given_up, c0.flows_given_up + 1);
		}
	}
	finish(fx, &f, &rec);
	assert_string_equal(rec.app_proto, "unknown");
	assert_string_equal(rec.ndpi_protocol, "Unknown");
	assert_null(rec.dns_rrname);
	assert_int_equal(rec.n_risks >= 0, 1);
	c = counters(fx);
	assert_int_equal(c.flows_given_up, c0.flows_given_up + 1);
	assert_int_equal(c.flows_classified, c0.flows_classified);
	classify_release(fx->cls, &f.slot);
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, 0);
	assert_int_equal(c.pending_live, 0);
}

/* Many flows at once: the live-state counter follows them, the peak
 * remembers, and releasing all of them returns to zero. */
static void test_many_flows(void **state)
{
	struct fx *fx = *state;
	enum { N = 200 };
	struct flowst *f = calloc(N, sizeof *f);
	struct classify_counters c0 = counters(fx), c;
	uint32_t seed = 0xC0FFEE;
	struct pkt p;

	assert_non_null(f);
	for (int i = 0; i < N; i++) {
		f[i].cli.ip = IP(10, 1, i / 256, i % 256);
		f[i].cli.port = (uint16_t)(20000 + i);
		f[i].srv.ip = IP(10, 2, 0, 1);
		f[i].srv.port = 40000;
		f[i].ts = 1704067200 * S + (uint64_t)i;
		udp_hdr(&p, f[i].cli, f[i].srv);
		random_payload(&p, &seed, 64);
		udp_end(&p);
		feed(fx, &f[i], &p, 1);
	}
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, N);
	assert_true(c.ndpi_states_peak >= N);
	for (int i = 0; i < N; i++) {
		struct flow_record rec;
		if (i % 2) {
			finish(fx, &f[i], &rec);
			assert_non_null(rec.ndpi_protocol);
		}
		classify_release(fx->cls, &f[i].slot);
	}
	c = counters(fx);
	assert_int_equal(c.ndpi_states_live, 0);
	assert_int_equal(c.flows_given_up + c.flows_classified,
			 c0.flows_given_up + c0.flows_classified + N / 2);
	free(f);
	assert_true(classify_ndpi_flow_size() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_sni, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_only_given_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_flows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
