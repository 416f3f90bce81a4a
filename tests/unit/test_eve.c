/*
 * test_eve.c - the EVE JSON sink (eve.h): flow and stats events written to
 * a real file in a temporary directory, read back and checked line by line
 * (exact lines where the layout is fixed, exact substrings for the key
 * fields, and a small JSON syntax check of every line); an alert's
 * metadata; open and write failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "output/eve.h"
#include "unit_tmpdir.h"

#define S 1000000ULL

/* ---- temporary directory ---------------------------------------------------- */

static char g_dir[64];
static char g_path[128];

static int setup(void **state)
{
	(void)state;
	if (tmpdir_make(g_dir, "eve") != 0)
		return -1;
	snprintf(g_path, sizeof g_path, "%s/eve.json", g_dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(g_dir);
}

/* ---- reading back -------------------------------------------------------- */

#define MAX_LINES 16

struct lines {
	char *text;
	char *line[MAX_LINES];
	int n;
};

/* Read the whole file; every line must end with '\n'. */
static void read_lines(const char *path, struct lines *l)
{
	FILE *fp = fopen(path, "rb");
	long size;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size > 0);
	rewind(fp);
	l->text = malloc((size_t)size + 1);
	assert_non_null(l->text);
	assert_int_equal(fread(l->text, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	l->text[size] = '\0';
	assert_int_equal(l->text[size - 1], '\n');
	assert_null(memchr(l->text, '\0', (size_t)size));
	l->n = 0;
	for (char *p = l->text; *p;) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		assert_true(l->n < MAX_LINES);
		l->line[l->n++] = p;
		p = nl + 1;
	}
}

static void has(const char *line, const char *want)
{
	if (!strstr(line, want))
		fail_msg("expected %s\n  in %s", want, line);
}

static void hasnt(const char *line, const char *what)
{
	if (strstr(line, what))
		fail_msg("unexpected %s\n  in %s", what, line);
}

/* ---- a small JSON syntax checker (RFC 8259 grammar, no semantics) ---------- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return NULL; /* raw control character */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
		} else {
			p++;
		}
	}
	return p + 1;
}

static const char *js_number(const char *p)
{
	const char *s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		s = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p, depth + 1);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return js_number(p);
}

/* The line is one JSON object and nothing else. */
static void valid_json(const char *line)
{
	const char *end;

	assert_int_equal(line[0], '{');
	end = js_value(line, 0);
	if (!end || *js_ws(end) != '\0')
		fail_msg("not one JSON value: %s", line);
}

static void test_json_checker(void **state)
{
	(void)state;
	/* the checker itself must reject what it is there to catch */
	assert_non_null(js_value("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\u0001\"}", 0));
	assert_null(js_value("{\"a\":1,}", 0));
	assert_null(js_value("{\"a\" 1}", 0));
	assert_null(js_value("[1 2]", 0));
	assert_null(js_value("{\"a\":\"\x01\"}", 0));
	assert_null(js_value("{\"a\":\"\\x\"}", 0));
	assert_null(js_value("{\"a\":nan}", 0));
	assert_null(js_value("{\"a\":\"unterminated}", 0));
}

/* ---- records ------------------------------------------------------------ */

/* The record's addresses from its text (16 bytes, IPv4 as ::ffff:a.b.c.d),
 * as the flow table fills them. */
static void set_addrs(struct flow_record *r)
{
	int af = r->ipver == 6 ? AF_INET6 : AF_INET;
	uint8_t *dst[2] = { r->src_addr, r->dest_addr };
	const char *txt[2] = { r->src_ip, r->dest_ip };

	for (int i = 0; i < 2; i++) {
		memset(dst[i], 0, 16);
		if (af == AF_INET) {
			dst[i][10] = dst[i][11] = 0xff;
			assert_int_equal(inet_pton(af, txt[i], dst[i] + 12), 1);
		} else {
			assert_int_equal(inet_pton(af, txt[i], dst[i]), 1);
		}
	}
}

static const char *risks2[] = { "Known Protocol on Non Standard Port", "TLS (probably) Not Carrying HTTPS" };

static struct flow_record tls_record(void)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 1234567890123ULL;
	r.start_us = 1704067200000000ULL;          /* 2024-01-01T00:00:00 */
	r.end_us = 1704067205123456ULL;            /* +5.123456 s */
	r.ipver = 4;
	r.proto = IPPROTO_TCP;
	r.vlan = 100;
	strcpy(r.src_ip, "10.0.0.1");
	strcpy(r.dest_ip, "93.184.216.34");
	r.src_port = 50000;
	r.dest_port = 8443;
	r.pkts_toserver = 10;
	r.pkts_toclient = 8;
	r.bytes_toserver = 1000;
	r.bytes_toclient = 5000;
	r.state = "established";
	r.reason = "active_timeout";
	r.interim = 1;
	r.app_proto = "tls";
	r.ndpi_protocol = "TLS.Google";
	r.ndpi_category = "Web";
	r.ndpi_confidence = "DPI";
	r.risks[0] = risks2[0];
	r.risks[1] = risks2[1];
	r.n_risks = 2;
	r.tls_sni = "www.google.com";
	r.ja3 = "0123456789abcdef0123456789abcdef";
	r.ja3s = "fedcba9876543210fedcba9876543210";
	r.tls_cert_sha1 = "00112233445566778899aabbccddeeff0a1b2c3d";
	/* an interim record: the totals since the start are larger */
	r.tot_pkts_toserver = 30;
	r.tot_pkts_toclient = 28;
	r.tot_bytes_toserver = 3000;
	r.tot_bytes_toclient = 15000;
	set_addrs(&r);
	return r;
}

static struct flow_record dns_record(void)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 42;
	r.start_us = 1704067200000000ULL;
	r.end_us = 1704067200020000ULL;
	r.ipver = 4;
	r.proto = IPPROTO_UDP;
	strcpy(r.src_ip, "192.168.1.10");
	strcpy(r.dest_ip, "8.8.8.8");
	r.src_port = 40000;
	r.dest_port = 53;
	r.pkts_toserver = 1;
	r.pkts_toclient = 1;
	r.bytes_toserver = 61;
	r.bytes_toclient = 77;
	r.state = "established";
	r.reason = "timeout";
	r.app_proto = "dns";
	r.ndpi_protocol = "DNS";
	r.ndpi_category = "Network";
	r.ndpi_confidence = "DPI";
	r.dns_rrname = "www.example.com";
	r.dns_qtype = 1;
	r.tot_pkts_toserver = r.pkts_toserver;
	r.tot_pkts_toclient = r.pkts_toclient;
	r.tot_bytes_toserver = r.bytes_toserver;
	r.tot_bytes_toclient = r.bytes_toclient;
	set_addrs(&r);
	return r;
}

static struct flow_record http_record(void)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 7;
	r.start_us = 1704067200000000ULL;
	r.end_us = 1704067260000000ULL;
	r.ipver = 4;
	r.proto = IPPROTO_TCP;
	strcpy(r.src_ip, "10.1.1.1");
	strcpy(r.dest_ip, "10.2.2.2");
	r.src_port = 51000;
	r.dest_port = 80;
	r.pkts_toserver = 4;
	r.pkts_toclient = 3;
	r.state = "closed";
	r.reason = "shutdown";
	r.app_proto = "http";
	r.ndpi_protocol = "HTTP";
	r.ndpi_category = "Web";
	r.ndpi_confidence = "DPI";
	r.http_host = "example.com";
	/* a quote and a control character from the network */
	r.http_user_agent = "Mozilla/5.0 \"evil\"\x07\\";
	r.tot_pkts_toserver = r.pkts_toserver;
	r.tot_pkts_toclient = r.pkts_toclient;
	set_addrs(&r);
	return r;
}

static struct flow_record icmp6_record(void)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 9007199254740991ULL; /* 2^53 - 1 */
	r.start_us = 0;
	r.end_us = 1500000;
	r.ipver = 6;
	r.proto = IPPROTO_ICMPV6;
	strcpy(r.src_ip, "2001:db8::1");
	strcpy(r.dest_ip, "2001:db8::2");
	r.pkts_toserver = 2;
	r.pkts_toclient = 2;
	r.bytes_toserver = 208;
	r.bytes_toclient = 208;
	r.state = "established";
	r.reason = "timeout";
	/* nothing classified: app_proto and ndpi.protocol default */
	r.guessed = 1;
	r.tot_pkts_toserver = 2;
	r.tot_pkts_toclient = 2;
	r.tot_bytes_toserver = 208;
	r.tot_bytes_toclient = 208;
	/* an echo request answered */
	r.icmp_seen = 3;
	r.icmp[0] = 128;
	r.icmp[2] = 129;
	set_addrs(&r);
	return r;
}

static void test_flow_events(void **state)
{
	char err[256] = "";
	struct eve *e;
	struct flow_record r;
	struct vigil_stats st;
	struct lines l;

	(void)state;
	e = eve_open(g_path, err, sizeof err);
	assert_non_null(e);
	r = tls_record();
	assert_int_equal(eve_write_flow(e, &r), 0);
	r.interim = 0;
	r.reason = "timeout";
	r.vlan = 0;
	assert_int_equal(eve_write_flow(e, &r), 0);
	r = dns_record();
	assert_int_equal(eve_write_flow(e, &r), 0);
	r = http_record();
	assert_int_equal(eve_write_flow(e, &r), 0);
	r = icmp6_record();
	assert_int_equal(eve_write_flow(e, &r), 0);

	memset(&st, 0, sizeof st);
	st.packets = 1000;
	st.bytes = 123456;
	st.decoded = 990;
	st.ipv4 = 900;
	st.ipv6 = 90;
	st.tcp = 600;
	st.udp = 380;
	st.icmp = 10;
	st.not_ip = 7;
	st.decode_errors[DECODE_ERR_TRUNC_IPV4] = 3;
	st.decode_errors_total = 3;
	st.flows = 55;
	st.flows_ended = 55;
	st.flows_evicted = 2;
	st.flows_interim = 1;
	st.flows_peak = 20;
	st.files = 1;
	st.first_ts_us = 1704067260000000ULL; /* uptime: 40 s of packet time */
	st.kernel_drops = 3;
	st.frag_overwrites = 4;
	st.frag_orphans = 5;
	st.flow_alloc_failed = 6;
	st.threshold_evicted = 7;
	st.detector_dropped = 8;
	st.payload_peak_bytes = 4352;
	st.payload_dropped_bytes = 9;
	st.n_ifaces = 2;
	snprintf(st.ifaces[0].name, sizeof st.ifaces[0].name, "eth0");
	snprintf(st.ifaces[0].state, sizeof st.ifaces[0].state, "capturing");
	st.ifaces[0].packets = 1000;
	st.ifaces[0].drops = 3;
	snprintf(st.ifaces[1].name, sizeof st.ifaces[1].name, "eth9");
	snprintf(st.ifaces[1].state, sizeof st.ifaces[1].state, "missing");
	snprintf(st.ifaces[1].error, sizeof st.ifaces[1].error, "no such \"interface\"");
	st.db_flows_lost = 1000;
	st.db_alerts_lost = 2;
	st.db_failures = 1;
	st.eve_alerts_lost = 3;
	assert_int_equal(eve_write_stats(e, &st, 1704067300000000ULL), 0);
	assert_int_equal(eve_close(e), 0);

	read_lines(g_path, &l);
	assert_int_equal(l.n, 6);
	for (int i = 0; i < l.n; i++)
		valid_json(l.line[i]);

	/* 1: TLS, interim (the totals since the start, as Suricata's flow
	 * events; no "interim" member), VLAN: the whole line; the community_id
	 * is the one tools/ reference scripts compute for this tuple */
	assert_string_equal(l.line[0],
		"{\"timestamp\":\"2024-01-01T00:00:05.123456+0000\",\"flow_id\":1234567890123,"
		"\"event_type\":\"flow\",\"vlan\":[100],\"src_ip\":\"10.0.0.1\",\"src_port\":50000,"
		"\"dest_ip\":\"93.184.216.34\",\"dest_port\":8443,\"proto\":\"TCP\","
		"\"community_id\":\"1:yRim8bZi+2/y8+M6ZWi7g0OaxT4=\","
		"\"app_proto\":\"tls\",\"flow\":{\"pkts_toserver\":30,\"pkts_toclient\":28,"
		"\"bytes_toserver\":3000,\"bytes_toclient\":15000,"
		"\"start\":\"2024-01-01T00:00:00.000000+0000\","
		"\"end\":\"2024-01-01T00:00:05.123456+0000\",\"age\":5,\"state\":\"established\","
		"\"reason\":\"active_timeout\",\"alerted\":false},"
		"\"ndpi\":{\"protocol\":\"TLS.Google\",\"app_proto\":\"tls\",\"category\":\"Web\","
		"\"confidence\":\"DPI\","
		"\"risks\":[\"Known Protocol on Non Standard Port\",\"TLS (probably) Not Carrying HTTPS\"]},"
		"\"tls\":{\"sni\":\"www.google.com\","
		"\"fingerprint\":\"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:0a:1b:2c:3d\","
		"\"ja3\":{\"hash\":\"0123456789abcdef0123456789abcdef\"},"
		"\"ja3s\":{\"hash\":\"fedcba9876543210fedcba9876543210\"}}}");

	/* 2: the same flow's final record: no interim, no vlan */
	has(l.line[1], "\"flow_id\":1234567890123,");
	has(l.line[1], "\"reason\":\"timeout\",\"alerted\":false},");
	hasnt(l.line[1], "interim");
	hasnt(l.line[1], "\"vlan\"");
	has(l.line[1], "\"tls\":{\"sni\":\"www.google.com\"");

	/* 3: DNS */
	has(l.line[2], "\"event_type\":\"flow\"");
	has(l.line[2], "\"src_ip\":\"192.168.1.10\",\"src_port\":40000,\"dest_ip\":\"8.8.8.8\","
		       "\"dest_port\":53,\"proto\":\"UDP\"");
	has(l.line[2], "\"app_proto\":\"dns\"");
	has(l.line[2], "\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":1,");
	has(l.line[2], "\"ndpi\":{\"protocol\":\"DNS\",\"app_proto\":\"dns\",\"category\":\"Network\","
		       "\"confidence\":\"DPI\",\"risks\":[]}");
	has(l.line[2], "\"dns\":{\"version\":2,\"type\":\"query\",\"rrname\":\"www.example.com\","
		       "\"rrtype\":\"A\"}");
	has(l.line[2], "\"age\":0,");
	hasnt(l.line[2], "\"tls\"");
	hasnt(l.line[2], "\"http\"");
	hasnt(l.line[2], "interim");
	hasnt(l.line[2], "guessed");

	/* 4: HTTP, escaped user agent */
	has(l.line[3], "\"app_proto\":\"http\"");
	has(l.line[3], "\"state\":\"closed\",\"reason\":\"shutdown\"");
	has(l.line[3], "\"age\":60,");
	has(l.line[3], "\"http\":{\"hostname\":\"example.com\","
		       "\"http_user_agent\":\"Mozilla/5.0 \\\"evil\\\"\\u0007\\\\\"}}");
	hasnt(l.line[3], "\"dns\"");

	/* 5: ICMPv6: no ports but type and code each way, IPv6 written in
	 * full as Suricata does, no app_proto for an unclassified flow */
	assert_string_equal(l.line[4],
		"{\"timestamp\":\"1970-01-01T00:00:01.500000+0000\",\"flow_id\":9007199254740991,"
		"\"event_type\":\"flow\",\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\","
		"\"dest_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0002\","
		"\"proto\":\"IPv6-ICMP\",\"icmp_type\":128,\"icmp_code\":0,"
		"\"response_icmp_type\":129,\"response_icmp_code\":0,"
		"\"community_id\":\"1:u2vMS3HiWth2lIMKHB1fjELshpQ=\",\"flow\":{\"pkts_toserver\":2,"
		"\"pkts_toclient\":2,\"bytes_toserver\":208,\"bytes_toclient\":208,"
		"\"start\":\"1970-01-01T00:00:00.000000+0000\","
		"\"end\":\"1970-01-01T00:00:01.500000+0000\",\"age\":1,\"state\":\"established\","
		"\"reason\":\"timeout\",\"alerted\":false},\"ndpi\":{\"protocol\":\"Unknown\","
		"\"guessed\":true,\"risks\":[]}}");

	/* 6: stats: Suricata's names first, vigil's own under "vigil" */
	has(l.line[5], "{\"timestamp\":\"2024-01-01T00:01:40.000000+0000\",\"event_type\":\"stats\","
		       "\"stats\":{\"uptime\":40,\"capture\":{\"kernel_packets\":1000,\"kernel_drops\":3},"
		       "\"decoder\":{\"pkts\":1000,\"bytes\":123456,\"invalid\":3,"
		       "\"ipv4\":900,\"ipv6\":90,\"tcp\":600,\"udp\":380,");
	has(l.line[5], "\"flow\":{\"total\":55,\"active\":0},\"detect\":{\"alert\":0,"
		       "\"alerts_suppressed\":0}},\"vigil\":{\"decoder\":{\"decoded\":990,\"icmp\":10,");
	has(l.line[5], "\"not_ip\":7,\"errors\":{\"truncated_ipv4\":3},"
		       "\"frag_overwritten\":4,\"frag_orphans\":5}");
	has(l.line[5], "\"flow\":{\"ended\":55,\"evicted\":2,\"interim\":1,\"peak\":20,"
		       "\"ndpi_state_peak\":0,\"alloc_failed\":6}");
	has(l.line[5], "\"threshold_evicted\":7,\"detector_dropped\":8,"
	    "\"payload_peak_bytes\":4352,\"payload_dropped_bytes\":9}");
	has(l.line[5], "\"output\":{\"db_flows_lost\":1000,\"db_alerts_lost\":2,\"db_failures\":1,"
		       "\"eve_alerts_lost\":3},");
	has(l.line[5], "\"capture\":{\"files\":1,\"interfaces\":["
		       "{\"name\":\"eth0\",\"state\":\"capturing\",\"packets\":1000,\"kernel_drops\":3},"
		       "{\"name\":\"eth9\",\"state\":\"missing\",\"packets\":0,\"kernel_drops\":0,"
		       "\"error\":\"no such \\\"interface\\\"\"}]}}}");
	hasnt(l.line[5], "flow_id");
	hasnt(l.line[5], "src_ip");
	free(l.text);
}

/* Protocol names beyond TCP/UDP/ICMPv6, ports only where they exist, and
 * bytes from the network that are not valid UTF-8. */
static void test_proto_names_and_utf8(void **state)
{
	static const struct { uint8_t proto; const char *name; int ports; } cases[] = {
		{ IPPROTO_ICMP, "\"proto\":\"ICMP\"", 0 },
		{ IPPROTO_SCTP, "\"proto\":\"SCTP\"", 1 },
		{ IPPROTO_GRE, "\"proto\":\"GRE\"", 0 },
		{ IPPROTO_ESP, "\"proto\":\"ESP\"", 0 },
		{ 2, "\"proto\":\"IGMP\"", 0 },
		{ 89, "\"proto\":\"OSPFIGP\"", 0 },
		{ 103, "\"proto\":\"PIM\"", 0 },
		{ 112, "\"proto\":\"VRRP\"", 0 },
		{ 255, "\"proto\":\"255\"", 0 },
	};
	char err[256];
	struct eve *e;
	struct lines l;
	size_t n = sizeof cases / sizeof cases[0];

	(void)state;
	e = eve_open(g_path, err, sizeof err);
	assert_non_null(e);
	for (size_t i = 0; i < n; i++) {
		struct flow_record r = dns_record();
		r.proto = cases[i].proto;
		r.dns_rrname = NULL;
		r.app_proto = NULL;
		r.ndpi_protocol = NULL;
		assert_int_equal(eve_write_flow(e, &r), 0);
	}
	struct flow_record r = tls_record();
	r.interim = 0;
	r.tls_sni = "bad\xff\xfe.example\xc3\xa9";
	r.ja3 = NULL;
	r.ja3s = NULL;
	r.tls_cert_sha1 = "0011"; /* not 40 digits: left out */
	assert_int_equal(eve_write_flow(e, &r), 0);
	/* DNS query types by name, unknown ones by number, none when 0 */
	static const uint16_t qt[5] = { 28, 65, 99, 65535, 0 };
	for (size_t i = 0; i < 5; i++) {
		struct flow_record d = dns_record();
		d.dns_qtype = qt[i];
		assert_int_equal(eve_write_flow(e, &d), 0);
	}
	assert_int_equal(eve_close(e), 0);

	read_lines(g_path, &l);
	assert_int_equal(l.n, (int)n + 6);
	for (size_t i = 0; i < n; i++) {
		valid_json(l.line[i]);
		has(l.line[i], cases[i].name);
		hasnt(l.line[i], "\"app_proto\"");
		has(l.line[i], "\"community_id\":\"1:");
		has(l.line[i], "\"ndpi\":{\"protocol\":\"Unknown\"");
		if (cases[i].ports) {
			has(l.line[i], "\"src_port\":40000,");
			has(l.line[i], "\"dest_port\":53,");
		} else {
			hasnt(l.line[i], "src_port");
			hasnt(l.line[i], "dest_port");
		}
		hasnt(l.line[i], "\"dns\"");
	}
	valid_json(l.line[n]);
	has(l.line[n], "\"tls\":{\"sni\":\"bad\xEF\xBF\xBD\xEF\xBF\xBD.example\xc3\xa9\"}");
	hasnt(l.line[n], "ja3");
	hasnt(l.line[n], "fingerprint");
	has(l.line[n + 1], "\"dns\":{\"version\":2,\"type\":\"query\",\"rrname\":\"www.example.com\","
			   "\"rrtype\":\"AAAA\"}");
	has(l.line[n + 2], "\"rrtype\":\"HTTPS\"}");
	has(l.line[n + 3], "\"rrtype\":\"SPF\"}");
	has(l.line[n + 4], "\"rrtype\":\"65535\"}");
	has(l.line[n + 5], "\"dns\":{\"version\":2,\"type\":\"query\",\"rrname\":\"www.example.com\"}");
	for (int i = (int)n + 1; i < l.n; i++)
		valid_json(l.line[i]);
	free(l.text);
}

/* Reopening truncates: a rerun does not append to the old events. */
static void test_reopen_truncates(void **state)
{
	char err[256];
	struct eve *e;
	struct flow_record r = dns_record();
	struct lines l;

	(void)state;
	for (int run = 0; run < 2; run++) {
		e = eve_open(g_path, err, sizeof err);
		assert_non_null(e);
		assert_int_equal(eve_write_flow(e, &r), 0);
		assert_int_equal(eve_close(e), 0);
	}
	read_lines(g_path, &l);
	assert_int_equal(l.n, 1);
	free(l.text);
	assert_int_equal(eve_close(NULL), 0);
}

/* An alert's metadata in Suricata's form: a key repeated in the rule
 * ("metadata: a 1, a 2") is one member holding both values; a repeated
 * member would leave consumers only the last one (found by fuzz_rules). */
static void test_alert_metadata(void **state)
{
	char err[256];
	struct eve *e;
	struct alert a;
	struct lines l;

	(void)state;
	memset(&a, 0, sizeof a);
	a.ts_us = 1704067200 * S;
	a.engine = ALERT_SIGNATURE;
	a.gid = 1;
	a.sid = 7;
	a.signature = "meta";
	snprintf(a.src_ip, sizeof a.src_ip, "10.0.0.1");
	a.meta[0].key = "a";
	a.meta[0].value = "1";
	a.meta[1].key = "b";
	a.meta[1].value = "x";
	a.meta[2].key = "a";
	a.meta[2].value = "2";
	a.meta[3].key = "a\"q";
	a.meta[3].value = NULL;
	a.n_meta = 4;
	e = eve_open(g_path, err, sizeof err);
	assert_non_null(e);
	assert_int_equal(eve_write_alert(e, &a), 0);
	assert_int_equal(eve_close(e), 0);
	read_lines(g_path, &l);
	assert_int_equal(l.n, 1);
	valid_json(l.line[0]);
	has(l.line[0], "\"metadata\":{\"a\":[\"1\",\"2\"],\"b\":[\"x\"],\"a\\\"q\":[\"\"]}");
	free(l.text);
}

static void test_open_fails(void **state)
{
	char err[256] = "";
	char path[256];

	(void)state;
	snprintf(path, sizeof path, "%s/no/such/dir/eve.json", g_dir);
	assert_null(eve_open(path, err, sizeof err));
	has(err, path);
	has(err, "No such file or directory");

	/* a directory is not a file */
	err[0] = '\0';
	assert_null(eve_open(g_dir, err, sizeof err));
	has(err, g_dir);
}

/* A full disk: the writes are buffered, so the error shows at the latest
 * when the file is closed. */
static void test_disk_full(void **state)
{
	char err[256] = "";
	struct eve *e;
	struct flow_record r = http_record();
	struct stat sb;

	(void)state;
	if (stat("/dev/full", &sb) != 0) {
		skip();
		return;
	}
	/* a few events stay in the buffer: close reports the failed flush */
	e = eve_open("/dev/full", err, sizeof err);
	assert_non_null(e);
	assert_int_equal(eve_write_flow(e, &r), 0);
	assert_int_equal(eve_close(e), -1);

	/* more events than the buffer holds: a write itself fails */
	e = eve_open("/dev/full", err, sizeof err);
	assert_non_null(e);
	int failed = 0;
	for (int i = 0; i < 5000; i++)
		if (eve_write_flow(e, &r) < 0)
			failed++;
	assert_true(failed > 0);
	assert_int_equal(eve_close(e), -1);
}

/* Alerts: the flow's 5-tuple and community_id, Suricata's alert{} (no
 * engine there: Suricata 8 has an enum of its own), the flow{} block and
 * the flow's protocol objects, vigil's fields under "vigil"; an alert
 * about no single flow keeps its own addresses. */
static void test_alert_events(void **state)
{
	char err[256];
	struct eve *e;
	struct lines l;
	struct flow_record r = dns_record();
	struct alert a;

	(void)state;
	e = eve_open(g_path, err, sizeof err);
	assert_non_null(e);
	memset(&a, 0, sizeof a);
	a.ts_us = 1704067200010000ULL;
	a.engine = ALERT_IOC;
	a.gid = GID_IOC;
	a.sid = 2123456;
	a.rev = 1;
	a.signature = "vigil IOC: domain on list misp.csv";
	a.category = "Indicator of compromise";
	a.severity = 2;
	a.meta[0] = (struct alert_kv){ "indicator", "www.example.com" };
	a.n_meta = 1;
	snprintf(a.src_ip, sizeof a.src_ip, "%s", r.src_ip);
	snprintf(a.dest_ip, sizeof a.dest_ip, "%s", r.dest_ip);
	a.flow_ids[0] = r.flow_id;
	a.n_flow_ids = 1;
	a.flow = &r;
	assert_int_equal(eve_write_alert(e, &a), 0);

	/* a detector's alert about several flows, none of them passed */
	memset(&a, 0, sizeof a);
	a.ts_us = 1704067200010000ULL;
	a.engine = ALERT_DETECTOR;
	a.gid = GID_DETECTOR;
	a.sid = 2;
	a.rev = 1;
	a.signature = "vigil hostsweep: one source probed many hosts";
	a.severity = 2;
	a.detector = "hostsweep";
	snprintf(a.src_ip, sizeof a.src_ip, "2001:db8::5");
	a.flow_ids[0] = 5;
	a.flow_ids[1] = 6;
	a.n_flow_ids = 2;
	assert_int_equal(eve_write_alert(e, &a), 0);
	assert_int_equal(eve_close(e), 0);

	read_lines(g_path, &l);
	assert_int_equal(l.n, 2);
	valid_json(l.line[0]);
	valid_json(l.line[1]);
	assert_string_equal(l.line[0],
		"{\"timestamp\":\"2024-01-01T00:00:00.010000+0000\",\"flow_id\":42,"
		"\"event_type\":\"alert\",\"src_ip\":\"192.168.1.10\",\"src_port\":40000,"
		"\"dest_ip\":\"8.8.8.8\",\"dest_port\":53,\"proto\":\"UDP\","
		"\"community_id\":\"1:OymNXmhV2adI0+YMR5L2shxACxs=\",\"app_proto\":\"dns\","
		"\"alert\":{\"action\":\"allowed\",\"gid\":9100,\"signature_id\":2123456,\"rev\":1,"
		"\"signature\":\"vigil IOC: domain on list misp.csv\","
		"\"category\":\"Indicator of compromise\",\"severity\":2,"
		"\"metadata\":{\"indicator\":[\"www.example.com\"]}},"
		"\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":1,\"bytes_toserver\":61,"
		"\"bytes_toclient\":77,\"start\":\"2024-01-01T00:00:00.000000+0000\"},"
		"\"dns\":{\"version\":2,\"type\":\"query\",\"rrname\":\"www.example.com\","
		"\"rrtype\":\"A\"},\"vigil\":{\"engine\":\"ioc\"}}");
	assert_string_equal(l.line[1],
		"{\"timestamp\":\"2024-01-01T00:00:00.010000+0000\",\"flow_id\":6,"
		"\"event_type\":\"alert\",\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0005\","
		"\"alert\":{\"action\":\"allowed\",\"gid\":9200,\"signature_id\":2,\"rev\":1,"
		"\"signature\":\"vigil hostsweep: one source probed many hosts\",\"category\":\"\","
		"\"severity\":2},\"vigil\":{\"engine\":\"detector\",\"detector\":\"hostsweep\","
		"\"flow_ids\":[5,6]}}");
	hasnt(l.line[0], "\"engine\":\"ioc\"}}}");
	free(l.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_flow_events),
		cmocka_unit_test(test_proto_names_and_utf8),
		cmocka_unit_test(test_alert_events),
		cmocka_unit_test(test_reopen_truncates),
		cmocka_unit_test(test_alert_metadata),
		cmocka_unit_test(test_open_fails),
		cmocka_unit_test(test_disk_full),
	};
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
