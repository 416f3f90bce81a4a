/*
 * test_detect_payload.c - the payload window (flow/flow_payload.h), what
 * the signatures read from it (detect/detect_http.h) and the payload
 * keywords against Suricata's documented behaviour (content with depth,
 * offset, distance, within - negative distance, re-tried placements -,
 * isdataat, pcre R, nocase and hex, pkt_data, file.data, filemagic, the
 * HTTP buffers, flow:to_server / to_client). Windows are built the way
 * the pipeline builds them, by feeding decoded TCP segments to
 * flow_payload_add; rules are real files loaded by the signature parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/detect_sig.h"
#include "detect/detect_http.h"
#include "flow/flow_payload.h"
#include "core/homenet.h"
#include "unit_tmpdir.h"

#define S 1000000ULL

static char g_dir[64];
static char g_path[160];
static struct homenet g_home;

static int setup(void **state)
{
	char err[128];

	(void)state;
	if (tmpdir_make(g_dir, "payload") != 0)
		return -1;
	return homenet_parse(&g_home, "192.168.0.0/16", err, sizeof err);
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(g_dir);
}

/* ---- building windows ---------------------------------------------------------- */

struct win {
	struct flow_payload_pool pool;
	struct flow_payload *fp;
	uint32_t cap;
	uint32_t seq[2];
};

static void win_init(struct win *w, uint32_t cap)
{
	memset(w, 0, sizeof *w);
	w->cap = cap;
	w->seq[0] = 1000;
	w->seq[1] = 5000;
}

/* One TCP segment of the flow: dir 0 to the server, 1 back; seq relative
 * to the direction's start (-1: the next in order). */
static void seg(struct win *w, int dir, const void *data, size_t n, long rel_seq, uint8_t flags)
{
	struct decoded d;

	memset(&d, 0, sizeof d);
	d.proto = IPPROTO_TCP;
	d.tcp_flags = flags;
	d.tcp_seq = rel_seq < 0 ? w->seq[dir] : (uint32_t)(w->seq[dir] - 0) + (uint32_t)rel_seq;
	if (rel_seq >= 0)
		d.tcp_seq = (dir ? 5000u : 1000u) + (uint32_t)rel_seq;
	d.payload = n ? data : NULL;
	d.payload_len = (uint32_t)n;
	flow_payload_add(&w->pool, &w->fp, w->cap, &d, dir == 0);
	if (rel_seq < 0)
		w->seq[dir] += (uint32_t)n;
}

static void send_str(struct win *w, int dir, const char *s)
{
	seg(w, dir, s, strlen(s), -1, 0x18);
}

static void win_free(struct win *w)
{
	flow_payload_free(&w->pool, &w->fp);
	assert_int_equal(w->pool.used, 0);
	assert_int_equal(w->pool.windows, 0);
}

/* ---- flow_payload ----------------------------------------------------------------- */

static void test_window_order(void **state)
{
	struct win w;
	struct flow_window v;

	(void)state;
	win_init(&w, 16);
	seg(&w, 0, "abcd", 4, 0, 0x18);
	seg(&w, 0, "abcd", 4, 0, 0x18);          /* retransmission: nothing new */
	seg(&w, 0, "cdef", 4, 2, 0x18);          /* overlap: "ef" is new */
	flow_payload_view(w.fp, w.cap, &v);
	assert_int_equal(v.len[0], 6);
	assert_memory_equal(v.data[0], "abcdef", 6);
	assert_int_equal(v.state[0] & (FPW_FULL | FPW_CUT), 0);
	seg(&w, 0, "XYZ", 3, 10, 0x18);          /* a hole: the window stops */
	seg(&w, 0, "ghij", 4, 6, 0x18);          /* the hole's bytes come late */
	flow_payload_view(w.fp, w.cap, &v);
	assert_int_equal(v.len[0], 6);
	assert_true(v.state[0] & FPW_CUT);
	/* the other direction: capped at 16 bytes */
	seg(&w, 1, "0123456789abcdefGHIJ", 20, 0, 0x18);
	flow_payload_view(w.fp, w.cap, &v);
	assert_int_equal(v.len[1], 16);
	assert_memory_equal(v.data[1], "0123456789abcdef", 16);
	assert_true(v.state[1] & FPW_FULL);
	assert_true(v.state[0] & FPW_ANSWERED);
	assert_false(v.state[1] & FPW_ANSWERED);
	seg(&w, 1, NULL, 0, 20, 0x04);           /* RST ends both directions */
	flow_payload_view(w.fp, w.cap, &v);
	assert_true(v.state[0] & FPW_FIN);
	assert_true(v.state[1] & FPW_FIN);
	win_free(&w);
}

static void test_window_syn_and_pool(void **state)
{
	struct win w, w2;
	struct flow_window v;
	struct decoded d;

	(void)state;
	/* the SYN fixes the first sequence number: a first data segment
	 * after a lost one is a hole, not the start */
	win_init(&w, 64);
	memset(&d, 0, sizeof d);
	d.proto = IPPROTO_TCP;
	d.tcp_flags = 0x02;
	d.tcp_seq = 999;
	flow_payload_add(&w.pool, &w.fp, w.cap, &d, 1);
	seg(&w, 0, "late", 4, 10, 0x18);
	flow_payload_view(w.fp, w.cap, &v);
	assert_int_equal(v.len[0], 0);
	assert_true(v.state[0] & FPW_CUT);
	win_free(&w);

	/* no window for a packet without payload (and no SYN) */
	win_init(&w, 64);
	seg(&w, 0, NULL, 0, 0, 0x10);
	assert_null(w.fp);

	/* the pool's limit: what does not fit is dropped and counted */
	win_init(&w2, 2048);
	w2.pool.limit = 600;
	{
		char big[1500];
		memset(big, 'a', sizeof big);
		seg(&w2, 0, big, 200, 0, 0x18);     /* 256 bytes buffer */
		seg(&w2, 0, big, 1000, 200, 0x18);  /* would need 2048 */
	}
	flow_payload_view(w2.fp, w2.cap, &v);
	assert_int_equal(v.len[0], 200);
	assert_true(v.state[0] & FPW_CUT);
	assert_int_equal(w2.pool.dropped_bytes, 1000);
	assert_true(w2.pool.used <= 600);
	win_free(&w2);
}

static void test_window_udp(void **state)
{
	struct flow_payload_pool pool;
	struct flow_payload *fp = NULL;
	struct flow_window v;
	struct decoded d;

	(void)state;
	memset(&pool, 0, sizeof pool);
	memset(&d, 0, sizeof d);
	d.proto = IPPROTO_UDP;
	d.payload = (const uint8_t *)"one";
	d.payload_len = 3;
	flow_payload_add(&pool, &fp, 8, &d, 1);
	d.payload = (const uint8_t *)"twothree";
	d.payload_len = 8;
	flow_payload_add(&pool, &fp, 8, &d, 1);
	flow_payload_view(fp, 8, &v);
	assert_int_equal(v.len[0], 8);
	assert_memory_equal(v.data[0], "onetwoth", 8);
	assert_true(v.state[0] & FPW_FULL);
	flow_payload_free(&pool, &fp);
	assert_null(fp);
	assert_int_equal(pool.used, 0);
}

/* ---- detect_http ------------------------------------------------------------------ */

static void norm_is(const char *in, const char *want)
{
	uint8_t out[256];
	size_t n = http_uri_normalise((const uint8_t *)in, strlen(in), out);

	if (n != strlen(want) || memcmp(out, want, n) != 0)
		fail_msg("normalise '%s': '%.*s', expected '%s'", in, (int)n, out, want);
}

static void test_uri_normalise(void **state)
{
	(void)state;
	norm_is("/index.html", "/index.html");
	norm_is("/a/./b", "/a/b");
	norm_is("/a/b/../c", "/a/c");
	norm_is("/../../etc/passwd", "/etc/passwd");
	norm_is("/cgi-bin/%2e%2e/%2e%2e/bin/sh", "/bin/sh");
	norm_is("/a/..", "/");
	norm_is("/a/b/..", "/a/");
	norm_is("/a/.", "/a/");
	norm_is("/p%20q?id=1%27%20OR%201=1", "/p q?id=1' OR 1=1");
	norm_is("/x?next=/../y", "/x?next=/../y");     /* the query is not a path */
	norm_is("/bad%zz%4", "/bad%zz%4");
	norm_is("*", "*");
}

static void test_filemagic(void **state)
{
	uint8_t pe[256] = "MZ";
	uint8_t elf[16] = { 0x7F, 'E', 'L', 'F', 2, 1 };

	(void)state;
	pe[60] = 0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	pe[0x80 + 24] = 0x0b;
	pe[0x80 + 25] = 0x01;
	assert_string_equal(http_filemagic(pe, sizeof pe), "PE32 executable (MS Windows)");
	pe[0x80 + 24] = 0x0b;
	pe[0x80 + 25] = 0x02;
	pe[0x80 + 23] = 0x20;
	assert_string_equal(http_filemagic(pe, sizeof pe), "PE32+ executable (DLL) (MS Windows)");
	assert_string_equal(http_filemagic(pe, 40), "MS-DOS executable");   /* PE header cut */
	pe[60] = 0xF0;                          /* e_lfanew far past the end */
	pe[61] = pe[62] = pe[63] = 0xFF;
	assert_string_equal(http_filemagic(pe, sizeof pe), "MS-DOS executable");
	assert_string_equal(http_filemagic(elf, sizeof elf), "ELF 64-bit LSB executable");
	assert_string_equal(http_filemagic((const uint8_t *)"PK\x03\x04....[Content_Types].xml", 28),
			    "Microsoft OOXML document, Zip archive data");
	assert_string_equal(http_filemagic((const uint8_t *)"PK\x03\x04....a.txt", 13), "Zip archive data");
	assert_string_equal(http_filemagic((const uint8_t *)"%PDF-1.7\n", 9), "PDF document");
	assert_string_equal(http_filemagic((const uint8_t *)"#!/bin/sh\nwget x\n", 17),
			    "POSIX shell script, ASCII text executable");
	assert_string_equal(http_filemagic((const uint8_t *)"\r\n@ECHO OFF\r\n", 13),
			    "DOS batch file, ASCII text (Windows script)");
	assert_null(http_filemagic((const uint8_t *)"<!doctype html><html>", 21));
	assert_null(http_filemagic((const uint8_t *)"M", 1));
}

static const char REQ[] =
	"GET /shop/../item.php?id=1%20UNION%20SELECT%20pw HTTP/1.1\r\n"
	"Host: www.example.org\r\nUser-Agent: t\r\n\r\n";

static void test_http_parse_ready(void **state)
{
	struct win w;
	struct flow_window v;
	struct http_view h;

	(void)state;
	win_init(&w, 2048);
	send_str(&w, 0, REQ);
	flow_payload_view(w.fp, w.cap, &v);
	http_parse(&v, &h);
	assert_true(h.request);
	assert_false(h.response);
	assert_int_equal(h.method.len, 3);
	assert_memory_equal(h.uri.p, "/shop/../item.php", 17);
	assert_false(http_window_ready(&v));        /* no answer yet */
	send_str(&w, 1, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Len");
	flow_payload_view(w.fp, w.cap, &v);
	assert_false(http_window_ready(&v));        /* the response head is cut */
	send_str(&w, 1, "gth: 5\r\n\r\nhel");
	flow_payload_view(w.fp, w.cap, &v);
	http_parse(&v, &h);
	assert_true(h.response);
	assert_memory_equal(h.stat_code.p, "200", 3);
	assert_memory_equal(h.ctype_rsp.p, "text/html", 9);
	assert_int_equal(h.clen[1], 5);
	assert_int_equal(h.body[1].len, 3);
	assert_false(http_window_ready(&v));        /* 3 of 5 body bytes */
	send_str(&w, 1, "lo");
	flow_payload_view(w.fp, w.cap, &v);
	assert_true(http_window_ready(&v));
	win_free(&w);

	/* not HTTP: ready once each side is answered, full or ended */
	win_init(&w, 32);
	send_str(&w, 0, "HELO x\r\n");
	send_str(&w, 1, "250 ok\r\n");
	flow_payload_view(w.fp, w.cap, &v);
	assert_false(http_window_ready(&v));
	seg(&w, 1, NULL, 0, 8, 0x11);                /* the server's FIN */
	flow_payload_view(w.fp, w.cap, &v);
	assert_true(http_window_ready(&v));
	win_free(&w);
}

/* ---- matching ---------------------------------------------------------------------- */

static struct sig_set *load(const char *rule)
{
	struct sig_set *s = sig_set_new(&g_home);
	FILE *fp;

	assert_non_null(s);
	snprintf(g_path, sizeof g_path, "%s/t.rules", g_dir);
	fp = fopen(g_path, "w");
	assert_non_null(fp);
	fputs(rule, fp);
	fclose(fp);
	if (sig_load_file(s, g_path, NULL, NULL) != 1)
		fail_msg("rule did not load: %s", rule);
	return s;
}

static void mkrec(struct flow_record *r)
{
	memset(r, 0, sizeof *r);
	r->flow_id = 7;
	r->proto = IPPROTO_TCP;
	snprintf(r->src_ip, sizeof r->src_ip, "192.168.1.10");
	snprintf(r->dest_ip, sizeof r->dest_ip, "203.0.113.5");
	ip_parse16(r->src_ip, r->src_addr);
	ip_parse16(r->dest_ip, r->dest_addr);
	r->src_port = 50000;
	r->dest_port = 80;
	r->state = "established";
	r->app_proto = "http";
	r->ndpi_protocol = "HTTP";
}

/* The rule "alert <hdr> (msg; <opts> sid:1;)" on the window of w must
 * alert want times in the window phase, and never in the metadata phase. */
static void hit(struct win *w, const char *hdr, const char *opts, int want)
{
	char rule[2048];
	struct flow_record r;
	struct flow_window v;
	struct sig_set *s;
	int got;

	snprintf(rule, sizeof rule, "alert %s (msg:\"t\"; %s sid:1;)", hdr, opts);
	s = load(rule);
	mkrec(&r);
	flow_payload_view(w ? w->fp : NULL, w ? w->cap : 0, &v);
	assert_int_equal(sig_window_rules(s), 1);
	assert_int_equal(sig_match_flow_phase(s, &r, &v, SIG_PHASE_META, S, NULL, NULL), 0);
	got = sig_match_flow_phase(s, &r, w ? &v : NULL, SIG_PHASE_WINDOW, S, NULL, NULL);
	if (got != want)
		fail_msg("%d alerts, expected %d: %s", got, want, rule);
	sig_set_free(s);
}

#define ANY "tcp any any -> any any"

/* One direction's payload, to the server. */
static void pkt(struct win *w, const char *payload)
{
	win_free(w);
	win_init(w, 2048);
	send_str(w, 0, payload);
}

static void test_content_relative(void **state)
{
	struct win w;

	(void)state;
	win_init(&w, 2048);
	/* Suricata's examples: distance and within from the previous match */
	pkt(&w, "abcdef");
	hit(&w, ANY, "content:\"abc\"; content:\"def\"; distance:0; within:3;", 1);
	hit(&w, ANY, "content:\"abc\"; content:\"def\"; distance:1;", 0);
	hit(&w, ANY, "content:\"def\"; content:\"abc\"; distance:-6; within:3;", 1);
	hit(&w, ANY, "content:\"def\"; content:\"abc\"; distance:-5;", 0);
	pkt(&w, "abc_def");
	hit(&w, ANY, "content:\"abc\"; content:\"def\"; distance:0; within:3;", 0);
	hit(&w, ANY, "content:\"abc\"; content:\"def\"; distance:0; within:4;", 1);
	hit(&w, ANY, "content:\"abc\"; content:!\"def\"; distance:0; within:3;", 1);
	hit(&w, ANY, "content:\"abc\"; content:!\"def\"; distance:0;", 0);
	/* the first placement that fails is not the last word: "xab" is
	 * tried again further on until "z" follows it */
	pkt(&w, "xaby xabz");
	hit(&w, ANY, "content:\"xab\"; content:\"z\"; distance:0; within:1;", 1);
	hit(&w, ANY, "content:\"xab\"; content:\"q\"; distance:0; within:1;", 0);
	/* absolute modifiers on pkt_data (and pkt_data written out) */
	pkt(&w, "GET /a HTTP/1.0\r\n\r\n");
	hit(&w, ANY, "content:\"GET\"; depth:3;", 1);
	hit(&w, ANY, "pkt_data; content:\"/a\"; offset:4; depth:2;", 1);
	hit(&w, ANY, "content:\"/a\"; offset:5;", 0);
	hit(&w, ANY, "content:\"|48 54|TP/1.0|0d 0a|\";", 1);
	hit(&w, ANY, "content:\"http/1.0\";", 0);
	hit(&w, ANY, "content:\"http/1.0\"; nocase;", 1);
	hit(&w, ANY, "content:\"|0d 0a 0d 0a|\"; endswith;", 1);
	hit(&w, ANY, "content:\"GET\"; startswith; content:\"HTTP\"; distance:4; within:8;", 1);
	hit(&w, ANY, "content:\"GET\"; startswith; content:\"HTTP\"; distance:4; within:7;", 0);
	win_free(&w);
}

static void test_isdataat_pcre(void **state)
{
	struct win w;

	(void)state;
	win_init(&w, 2048);
	pkt(&w, "USER alice1");
	hit(&w, ANY, "isdataat:10;", 1);
	hit(&w, ANY, "isdataat:11;", 0);
	hit(&w, ANY, "isdataat:!11;", 1);
	hit(&w, ANY, "content:\"USER \"; isdataat:5,relative;", 1);
	hit(&w, ANY, "content:\"USER \"; isdataat:6,relative;", 0);
	hit(&w, ANY, "content:\"alice1\"; isdataat:!1,relative;", 1);
	/* pcre R: from the end of the previous match, '^' anchored there */
	hit(&w, ANY, "content:\"USER \"; pcre:\"/^[a-z]+\\d$/R\";", 1);
	hit(&w, ANY, "content:\"USER\"; pcre:\"/^[a-z]/R\";", 0);
	hit(&w, ANY, "pcre:\"/^user\\s+\\w+$/i\";", 1);
	hit(&w, ANY, "content:\"USER\"; pcre:\"/^ alice/R\"; content:\"1\"; distance:0; within:1;", 1);
	win_free(&w);
}

static void test_directions(void **state)
{
	struct win w;

	(void)state;
	win_init(&w, 2048);
	send_str(&w, 0, "PING\r\n");
	send_str(&w, 1, "PONG\r\n");
	hit(&w, ANY, "content:\"PONG\";", 1);
	hit(&w, ANY, "flow:to_server; content:\"PONG\";", 0);
	hit(&w, ANY, "flow:to_client; content:\"PONG\";", 1);
	hit(&w, ANY, "flow:from_client; content:\"PING\";", 1);
	/* all payload matches of a rule in one direction */
	hit(&w, ANY, "content:\"PING\"; content:\"PONG\";", 0);
	/* the header of a to_client rule names the server first */
	hit(&w, "tcp $EXTERNAL_NET any -> $HOME_NET any", "flow:to_client; content:\"PONG\";", 1);
	hit(&w, "tcp $HOME_NET any -> $EXTERNAL_NET any", "flow:to_client; content:\"PONG\";", 0);
	hit(&w, "tcp $HOME_NET any -> $EXTERNAL_NET any", "flow:to_server; content:\"PING\";", 1);
	hit(&w, "tcp $HOME_NET any <> $EXTERNAL_NET any", "flow:to_client; content:\"PONG\";", 1);
	win_free(&w);
}

static void test_window_limit(void **state)
{
	struct win w;
	char big[200];

	(void)state;
	/* a 64-byte window: a token at 100 is past it and never matches */
	win_init(&w, 64);
	memset(big, '.', sizeof big);
	memcpy(big + 30, "NEAR", 4);
	memcpy(big + 100, "FAR!", 4);
	seg(&w, 1, big, sizeof big, 0, 0x18);
	hit(&w, ANY, "content:\"NEAR\";", 1);
	hit(&w, ANY, "content:\"FAR!\";", 0);
	hit(&w, ANY, "isdataat:64;", 0);
	hit(&w, ANY, "isdataat:63;", 1);
	win_free(&w);
	/* no window at all (payload_window = 0): nothing on pkt_data */
	hit(NULL, ANY, "content:\"NEAR\";", 0);
}

static void test_http_buffers(void **state)
{
	struct win w;
	static const char rsp[] =
		"HTTP/1.1 404 Not Found\r\ncontent-type: application/x-msdownload\r\n"
		"Content-Length: 64\r\n\r\n%PDF-1.4\n";
	const char *H = "http any any -> any any";

	(void)state;
	win_init(&w, 2048);
	send_str(&w, 0, REQ);
	send_str(&w, 1, rsp);
	hit(&w, H, "http.uri; content:\"/item.php?id=1 UNION SELECT pw\"; startswith; endswith;", 1);
	hit(&w, H, "http.uri; content:\"union select\"; nocase;", 1);
	hit(&w, H, "http.uri; content:\"/shop/\";", 0);
	hit(&w, H, "http.uri.raw; content:\"/shop/../item.php?id=1%20UNION\"; startswith;", 1);
	hit(&w, H, "content:\"%20UNION\"; http_raw_uri;", 1);
	hit(&w, H, "content:\"UNION SELECT\"; http_uri;", 1);
	hit(&w, H, "pcre:\"/id=\\d+\\s+union\\s+select/Ui\";", 1);
	hit(&w, H, "urilen:>20;", 1);
	hit(&w, H, "urilen:<20;", 0);
	hit(&w, H, "http.method; content:\"GET\"; bsize:3;", 1);
	hit(&w, H, "http.method; content:\"POST\";", 0);
	hit(&w, H, "http.request_line; content:\"GET /shop/../item.php?id=1%20UNION%20SELECT%20pw HTTP/1.1\"; "
	       "bsize:57;", 1);
	hit(&w, H, "http.stat_code; content:\"404\"; bsize:3;", 1);
	hit(&w, H, "http.content_type; content:\"application/x-msdownload\";", 1);
	hit(&w, H, "file.data; content:\"%PDF\"; depth:4;", 1);
	hit(&w, H, "flow:to_server; file.data; content:\"%PDF\";", 0);
	hit(&w, H, "file.data; content:\"HTTP/1.1\";", 0);       /* the body only */
	hit(&w, H, "filemagic:\"pdf document\";", 1);
	hit(&w, H, "filemagic:!\"executable\";", 1);
	hit(&w, H, "filemagic:\"executable\";", 0);
	win_free(&w);
}

/* Without an HTTP message in the window, the HTTP buffers are what nDPI
 * extracted (the record), and pkt_data has nothing. */
static void test_http_from_record(void **state)
{
	char rule[512];
	struct flow_record r;
	struct sig_set *s;
	static const struct { const char *opts; int want; } c[] = {
		{ "http.uri; content:\"/a/b.php?x=%27\"; startswith; endswith;", 0 },
		{ "http.uri; content:\"/a/b.php?x='\"; startswith; endswith;", 1 },
		{ "http.uri.raw; content:\"/a/c/../b.php?x=%27\"; bsize:19;", 1 },
		{ "http.method; content:\"POST\";", 1 },
		{ "http.stat_code; content:\"302\";", 1 },
		{ "http.content_type; content:\"text/plain\";", 1 },
		{ "http.request_line; content:\"POST /a/c/../b.php?x=%27 HTTP/1.1\"; bsize:33;", 1 },
		{ "content:\"POST\";", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		snprintf(rule, sizeof rule, "alert http any any -> any any (msg:\"t\"; %s sid:1;)", c[i].opts);
		s = load(rule);
		mkrec(&r);
		r.http_host = "www.example.org";
		r.http_url = "www.example.org/a/c/../b.php?x=%27";
		r.http_method = "POST";
		r.http_version = 1;
		r.http_status = 302;
		r.http_content_type = "text/plain";
		if (sig_match_flow(s, &r, S, NULL, NULL) != c[i].want)
			fail_msg("expected %d: %s", c[i].want, rule);
		sig_set_free(s);
	}
}

static void test_filemagic_tcp(void **state)
{
	struct win w;
	uint8_t elf[64] = { 0x7F, 'E', 'L', 'F', 1, 1 };

	(void)state;
	win_init(&w, 2048);
	send_str(&w, 0, "x86\n");
	seg(&w, 1, elf, sizeof elf, 0, 0x18);
	hit(&w, ANY, "filemagic:\"ELF 32-bit\";", 1);
	hit(&w, ANY, "flow:to_server; filemagic:\"ELF\";", 0);
	hit(&w, ANY, "flow:to_client; filemagic:\"elf\"; content:\"|7f|ELF\"; depth:4;", 1);
	win_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_order),
		cmocka_unit_test(test_window_syn_and_pool),
		cmocka_unit_test(test_window_udp),
		cmocka_unit_test(test_uri_normalise),
		cmocka_unit_test(test_filemagic),
		cmocka_unit_test(test_http_parse_ready),
		cmocka_unit_test(test_content_relative),
		cmocka_unit_test(test_isdataat_pcre),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_window_limit),
		cmocka_unit_test(test_http_buffers),
		cmocka_unit_test(test_http_from_record),
		cmocka_unit_test(test_filemagic_tcp),
	};
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
