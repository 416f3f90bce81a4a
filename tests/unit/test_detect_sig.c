/*
 * test_detect_sig.c - the signature engine (detect_sig.h): rule text is
 * written to real files in a temporary directory, loaded, and matched
 * against flow records built by hand. For every header field, keyword and
 * option there is a rule that must match and one that must not; every
 * error message is checked for its line number and reason; thresholds and
 * detection_filter are driven through simulated packet time; the
 * classification table is checked against rules/classification.config.
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
#include "core/homenet.h"
#include "unit_tmpdir.h"

#define S 1000000ULL

/* ---- fixtures: temporary directory, problems, alerts ---------------------------- */

static char g_dir[64];
static char g_path[128];
static struct homenet g_home;

#define MAXP 96

struct problems {
	int n;
	int line[MAXP];
	char file[MAXP][160];
	char msg[MAXP][640];
};

static void on_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct problems *p = ctx;

	if (p->n < MAXP) {
		p->line[p->n] = line;
		snprintf(p->file[p->n], sizeof p->file[0], "%s", file);
		snprintf(p->msg[p->n], sizeof p->msg[0], "%s", msg);
	}
	p->n++;
}

#define MAXA 32

struct alerts {
	int n;
	struct alert a[MAXA];
};

static struct alerts g_al;

static void on_alert(void *ctx, const struct alert *a)
{
	struct alerts *al = ctx;

	if (al->n < MAXA)
		al->a[al->n] = *a;
	al->n++;
}

static int setup(void **state)
{
	char err[128];

	(void)state;
	if (tmpdir_make(g_dir, "sig") != 0)
		return -1;
	return homenet_parse(&g_home, HOMENET_DEFAULT, err, sizeof err);
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(g_dir);
}

/* Write text to the temporary file number i; returns its path. */
static const char *write_file_n(int i, const char *text)
{
	FILE *fp;

	snprintf(g_path, sizeof g_path, "%s/t%d.rules", g_dir, i);
	fp = fopen(g_path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	fclose(fp);
	return g_path;
}

static const char *write_file(const char *text)
{
	return write_file_n(0, text);
}

/* A set loaded from text; the number of rules loaded and the problems
 * are returned through the pointers. */
static struct sig_set *load_text(const char *text, int *loaded, struct problems *pr)
{
	struct sig_set *s = sig_set_new(&g_home);

	assert_non_null(s);
	memset(pr, 0, sizeof *pr);
	*loaded = sig_load_file(s, write_file(text), on_problem, pr);
	return s;
}

/* A set with exactly this one rule; it must load without a problem. */
static struct sig_set *load_rule(const char *rule)
{
	struct problems pr;
	int n;
	struct sig_set *s = load_text(rule, &n, &pr);

	if (n != 1 || pr.n)
		fail_msg("rule did not load (%d, %s): %s", n, pr.n ? pr.msg[0] : "-", rule);
	return s;
}

/* The rule must produce want alerts for rec. */
static void check(const struct flow_record *rec, const char *rule, int want)
{
	struct sig_set *s = load_rule(rule);
	int got = sig_match_flow(s, rec, 5 * S, NULL, NULL);

	if (got != want)
		fail_msg("%d alerts, expected %d: %s", got, want, rule);
	sig_set_free(s);
}

/* check() for "alert ip any any -> any any (msg; <opts> sid:1;)". */
static void check_opts(const struct flow_record *rec, const char *opts, int want)
{
	char rule[1024];

	snprintf(rule, sizeof rule, "alert ip any any -> any any (msg:\"t\"; %s sid:1;)", opts);
	check(rec, rule, want);
}

/* check() for "alert <proto> <addresses and ports> (msg; sid)". */
static void check_hdr(const struct flow_record *rec, const char *hdr, int want)
{
	char rule[1024];

	snprintf(rule, sizeof rule, "alert %s (msg:\"t\"; sid:1;)", hdr);
	check(rec, rule, want);
}

/* A flow record: addresses, ports, protocol; established, unclassified. */
static void mkrec(struct flow_record *r, const char *src, uint16_t sport, const char *dst,
		  uint16_t dport, uint8_t proto)
{
	memset(r, 0, sizeof *r);
	r->flow_id = 4242;
	r->start_us = 1 * S;
	r->end_us = 2 * S;
	r->ipver = strchr(src, ':') ? 6 : 4;
	r->proto = proto;
	snprintf(r->src_ip, sizeof r->src_ip, "%s", src);
	snprintf(r->dest_ip, sizeof r->dest_ip, "%s", dst);
	assert_int_equal(ip_parse16(src, r->src_addr), 0);
	assert_int_equal(ip_parse16(dst, r->dest_addr), 0);
	r->src_port = sport;
	r->dest_port = dport;
	r->state = "established";
	r->app_proto = "unknown";
	r->ndpi_protocol = "Unknown";
}

/* ---- header: addresses ------------------------------------------------------------- */

static void test_addresses_ipv4(void **state)
{
	static const struct { const char *hdr; int want; } c[] = {
		{ "ip any any -> any any", 1 },
		{ "ip 192.168.1.10 any -> 8.8.8.8 any", 1 },
		{ "ip 192.168.1.11 any -> any any", 0 },
		{ "ip any any -> 8.8.4.4 any", 0 },
		{ "ip 192.168.0.0/16 any -> 8.8.8.0/24 any", 1 },
		{ "ip 192.168.2.0/24 any -> any any", 0 },
		{ "ip 192.168.1.10/32 any -> any any", 1 },
		{ "ip 0.0.0.0/0 any -> any any", 1 },
		{ "ip [10.0.0.1,192.168.1.0/24] any -> any any", 1 },
		{ "ip [10.0.0.1, 192.168.1.10] any -> any any", 1 },
		{ "ip [10.0.0.1,10.0.0.2] any -> any any", 0 },
		{ "ip !192.168.1.10 any -> any any", 0 },
		{ "ip !10.0.0.0/8 any -> any any", 1 },
		{ "ip [192.168.0.0/16,!192.168.1.10] any -> any any", 0 },
		{ "ip [192.168.0.0/16,!192.168.1.11] any -> any any", 1 },
		{ "ip [!10.0.0.0/8,!172.16.0.0/12] any -> any any", 1 },
		{ "ip [!192.168.1.0/24] any -> any any", 0 },
		{ "ip ![10.0.0.0/8,192.168.0.0/16] any -> any any", 0 },
		{ "ip ![10.0.0.0/8,172.16.0.0/12] any -> any any", 1 },
		{ "ip [[10.0.0.0/8,192.168.1.0/24],!192.168.1.99] any -> any any", 1 },
		{ "ip [[10.0.0.0/8,192.168.1.0/24],![192.168.1.10,192.168.1.11]] any -> any any", 0 },
		{ "ip [any,!192.168.1.10] any -> any any", 0 },
		{ "ip $HOME_NET any -> $EXTERNAL_NET any", 1 },
		{ "ip $EXTERNAL_NET any -> $HOME_NET any", 0 },
		{ "ip $HOME_NET any -> !$HOME_NET any", 1 },
		{ "ip !$EXTERNAL_NET any -> [$EXTERNAL_NET,!8.8.8.8] any", 0 },
		{ "ip fd00::/8 any -> any any", 0 },
	};
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "8.8.8.8", 53, IPPROTO_UDP);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		check_hdr(&r, c[i].hdr, c[i].want);
}

static void test_addresses_ipv6(void **state)
{
	static const struct { const char *hdr; int want; } c[] = {
		{ "tcp fd00::/8 any -> 2001:db8::1 any", 1 },
		{ "tcp fe80::/10 any -> any any", 0 },
		{ "tcp fd00::5 any -> 2001:db8::/32 any", 1 },
		{ "tcp any any -> !2001:db8::/32 any", 0 },
		{ "tcp any any -> [2001:db8::2,2001:db8::1] any", 1 },
		{ "tcp any any -> [2001:db8::/48,!2001:db8::1] any", 0 },
		{ "tcp 10.0.0.0/8 any -> any any", 0 },
		{ "tcp $HOME_NET any -> $EXTERNAL_NET any", 1 },
		{ "tcp $EXTERNAL_NET any -> any any", 0 },
	};
	struct flow_record r;

	(void)state;
	mkrec(&r, "fd00::5", 40000, "2001:db8::1", 443, IPPROTO_TCP);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		check_hdr(&r, c[i].hdr, c[i].want);
}

/* ---- header: ports, protocols, direction ------------------------------------------- */

static void test_ports(void **state)
{
	static const struct { const char *hdr; int want; } c[] = {
		{ "tcp any any -> any 443", 1 },
		{ "tcp any any -> any 80", 0 },
		{ "tcp any any -> any [80,443]", 1 },
		{ "tcp any any -> any [80, 8080]", 0 },
		{ "tcp any any -> any 400:500", 1 },
		{ "tcp any any -> any 443:", 1 },
		{ "tcp any any -> any 444:", 0 },
		{ "tcp any any -> any :443", 1 },
		{ "tcp any any -> any :442", 0 },
		{ "tcp any any -> any !443", 0 },
		{ "tcp any any -> any !80", 1 },
		{ "tcp any any -> any [1:1024,!443]", 0 },
		{ "tcp any any -> any [1:1024,!80]", 1 },
		{ "tcp any any -> any [!80,!8080]", 1 },
		{ "tcp any any -> any ![80,443]", 0 },
		{ "tcp any any -> any [[80,443],8443]", 1 },
		{ "tcp any 50000:52000 -> any any", 1 },
		{ "tcp any 1024 -> any any", 0 },
		{ "tcp any any -> any 0:65535", 1 },
	};
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "93.184.216.34", 443, IPPROTO_TCP);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		check_hdr(&r, c[i].hdr, c[i].want);
}

static void test_protocols(void **state)
{
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "8.8.8.8", 53, IPPROTO_UDP);
	r.app_proto = "dns";
	r.ndpi_protocol = "DNS";
	check_hdr(&r, "udp any any -> any any", 1);
	check_hdr(&r, "tcp any any -> any any", 0);
	check_hdr(&r, "icmp any any -> any any", 0);
	check_hdr(&r, "ip any any -> any any", 1);
	check_hdr(&r, "dns any any -> any any", 1);
	check_hdr(&r, "DNS any any -> any 53", 1);
	check_hdr(&r, "tls any any -> any any", 0);

	/* ICMP and ICMPv6: "icmp" covers both; ports never match */
	mkrec(&r, "192.168.1.10", 0, "8.8.8.8", 0, IPPROTO_ICMP);
	check_hdr(&r, "icmp any any -> any any", 1);
	check_hdr(&r, "icmp any any -> any 0", 0);
	check_hdr(&r, "ip any any -> any !80", 0);
	check_hdr(&r, "udp any any -> any any", 0);
	mkrec(&r, "fd00::1", 0, "2001:db8::1", 0, IPPROTO_ICMPV6);
	check_hdr(&r, "icmp any any -> any any", 1);

	/* application names: app_proto, either part of the nDPI name, aliases */
	mkrec(&r, "192.168.1.10", 51000, "142.250.1.1", 443, IPPROTO_TCP);
	r.app_proto = "tls";
	r.ndpi_protocol = "TLS.YouTube";
	check_hdr(&r, "tls any any -> any any", 1);
	check_hdr(&r, "youtube any any -> any any", 1);
	check_hdr(&r, "TLS any any -> any 443", 1);
	check_hdr(&r, "tls any any -> any 80", 0);
	check_hdr(&r, "http any any -> any any", 0);
	r.app_proto = "http_proxy";
	r.ndpi_protocol = "HTTP_Proxy";
	check_hdr(&r, "http any any -> any any", 1);
	r.app_proto = "smbv23";
	r.ndpi_protocol = "SMBv23";
	check_hdr(&r, "smb any any -> any any", 1);
	check_hdr(&r, "ftp any any -> any any", 0);
	r.app_proto = "kerberos";
	r.ndpi_protocol = "Kerberos";
	check_hdr(&r, "krb5 any any -> any any", 1);
	r.app_proto = "dce_rpc";
	r.ndpi_protocol = "DCE_RPC";
	check_hdr(&r, "dcerpc any any -> any any", 1);
	r.app_proto = NULL;
	r.ndpi_protocol = NULL;
	check_hdr(&r, "dcerpc any any -> any any", 0);
}

static void test_direction(void **state)
{
	struct flow_record r;
	struct sig_set *s;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "93.184.216.34", 443, IPPROTO_TCP);
	check_hdr(&r, "tcp 93.184.216.34 443 -> 192.168.1.10 any", 0);
	check_hdr(&r, "tcp 93.184.216.34 443 <> 192.168.1.10 any", 1);
	check_hdr(&r, "tcp 192.168.1.10 any <> 93.184.216.34 443", 1);
	check_hdr(&r, "tcp 93.184.216.34 80 <> 192.168.1.10 any", 0);
	check_hdr(&r, "tcp $EXTERNAL_NET any <> $HOME_NET any", 1);

	/* the alert keeps the flow's orientation when "<>" matched reversed */
	s = load_rule("alert tcp 93.184.216.34 443 <> $HOME_NET any (msg:\"rev\"; sid:7;)");
	memset(&g_al, 0, sizeof g_al);
	assert_int_equal(sig_match_flow(s, &r, 9 * S, on_alert, &g_al), 1);
	assert_string_equal(g_al.a[0].src_ip, "192.168.1.10");
	assert_string_equal(g_al.a[0].dest_ip, "93.184.216.34");
	assert_int_equal(g_al.a[0].src_port, 51000);
	assert_int_equal(g_al.a[0].dest_port, 443);
	sig_set_free(s);
}

/* ---- flow-level options -------------------------------------------------------------- */

static void test_app_layer_protocol(void **state)
{
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "142.250.1.1", 443, IPPROTO_TCP);
	r.app_proto = "tls";
	r.ndpi_protocol = "TLS.YouTube";
	check_opts(&r, "app-layer-protocol:tls;", 1);
	check_opts(&r, "app-layer-protocol:TLS;", 1);
	check_opts(&r, "app-layer-protocol:youtube;", 1);
	check_opts(&r, "app-layer-protocol:!tls;", 0);
	check_opts(&r, "app-layer-protocol:dns;", 0);
	check_opts(&r, "app-layer-protocol:!dns;", 1);
	check_opts(&r, "app-layer-protocol:tls; app-layer-protocol:!dns;", 1);
	r.app_proto = "smbv1";
	r.ndpi_protocol = "SMBv1";
	check_opts(&r, "app-layer-protocol:smb;", 1);
	check_opts(&r, "app-layer-protocol:!smb;", 0);
}

static void test_ndpi_protocol(void **state)
{
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "142.250.1.1", 443, IPPROTO_TCP);
	r.app_proto = "tls";
	r.ndpi_protocol = "TLS.YouTube";
	check_opts(&r, "ndpi-protocol:YouTube;", 1);
	check_opts(&r, "ndpi-protocol:youtube;", 1);
	check_opts(&r, "ndpi-protocol:TLS;", 1);
	check_opts(&r, "ndpi-protocol:TLS.YouTube;", 1);
	check_opts(&r, "ndpi-protocol:\"tls.youtube\";", 1);
	check_opts(&r, "ndpi-protocol:TLS.Netflix;", 0);
	check_opts(&r, "ndpi-protocol:NetFlix;", 0);
	check_opts(&r, "ndpi-protocol:Tube;", 0);
	check_opts(&r, "ndpi-protocol:YouTube.TLS;", 0);
	check_opts(&r, "ndpi-protocol:!YouTube;", 0);
	check_opts(&r, "ndpi-protocol:!NetFlix;", 1);
	/* a classification guessed from the port when nDPI gave up is no
	 * evidence: the flow is seen as Unknown */
	mkrec(&r, "192.168.1.10", 51001, "198.51.100.8", 8333, IPPROTO_TCP);
	r.app_proto = "mining";
	r.ndpi_protocol = "Mining";
	r.guessed = 1;
	check_opts(&r, "ndpi-protocol:Mining;", 0);
	check_opts(&r, "ndpi-protocol:!Mining;", 1);
	check_opts(&r, "app-layer-protocol:mining;", 0);
	r.guessed = 0;
	check_opts(&r, "ndpi-protocol:Mining;", 1);
	check_opts(&r, "ndpi-protocol:!TLS.Netflix;", 1);
	r.ndpi_protocol = "DNS";
	check_opts(&r, "ndpi-protocol:DNS;", 1);
	check_opts(&r, "ndpi-protocol:TLS;", 0);
}

static void test_ndpi_risk(void **state)
{
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	r.risks[0] = "Self-signed Certificate";
	r.risks[1] = "Weak TLS Cipher";
	r.n_risks = 2;
	check_opts(&r, "ndpi-risk:Self-signed Certificate;", 1);
	check_opts(&r, "ndpi-risk:self-signed certificate;", 1);
	check_opts(&r, "ndpi-risk:\"Weak TLS Cipher\";", 1);
	check_opts(&r, "ndpi-risk:TLS Expired Certificate;", 0);
	check_opts(&r, "ndpi-risk:Self-signed Certificate, Weak TLS Cipher;", 1);
	check_opts(&r, "ndpi-risk:\"Self-signed Certificate\",\"Weak TLS Cipher\";", 1);
	check_opts(&r, "ndpi-risk:Self-signed Certificate,TLS Expired Certificate;", 0);
	check_opts(&r, "ndpi-risk:!TLS Expired Certificate;", 1);
	check_opts(&r, "ndpi-risk:!Weak TLS Cipher;", 0);
	check_opts(&r, "ndpi-risk:!Self-signed Certificate,TLS Expired Certificate;", 1);
	check_opts(&r, "ndpi-risk:!Self-signed Certificate,Weak TLS Cipher;", 0);
	/* Suricata 8's code names (ndpi_risk_enum), with or without NDPI_ */
	check_opts(&r, "ndpi-risk:NDPI_TLS_SELFSIGNED_CERTIFICATE;", 1);
	check_opts(&r, "ndpi-risk:tls_weak_cipher;", 1);
	check_opts(&r, "ndpi-risk:NDPI_TLS_SELFSIGNED_CERTIFICATE,NDPI_TLS_CERTIFICATE_EXPIRED;", 0);
	check_opts(&r, "ndpi-risk:!NDPI_TLS_CERTIFICATE_EXPIRED;", 1);
	r.n_risks = 0;
	check_opts(&r, "ndpi-risk:Weak TLS Cipher;", 0);
	check_opts(&r, "ndpi-risk:!Weak TLS Cipher;", 1);
}

static void test_flow_keyword(void **state)
{
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	check_opts(&r, "flow:established,to_server;", 1);
	check_opts(&r, "flow:to_server, established;", 1);
	check_opts(&r, "flow:not_established;", 0);
	check_opts(&r, "flow:to_client;", 1);
	check_opts(&r, "flow:from_server,stateless;", 1);
	r.state = "closed";
	check_opts(&r, "flow:established;", 1);
	check_opts(&r, "flow:from_client,not_established;", 0);
	r.state = "new";
	check_opts(&r, "flow:established;", 0);
	check_opts(&r, "flow:not_established;", 1);
}

/* ---- sticky buffers ------------------------------------------------------------------ */

static void test_sticky_buffers(void **state)
{
	static const struct { const char *buf, *legacy; int field; } b[] = {
		{ "dns.query", "dns_query", 0 }, { "tls.sni", "tls_sni", 1 },
		{ "http.host", "http_host", 2 }, { "http.user_agent", "http_user_agent", 3 },
		{ "ja3.hash", "ja3_hash", 4 }, { "ja3s.hash", "ja3s_hash", 5 },
	};
	static const char *value = "Value-0123456789abcdef";
	struct flow_record r;
	char opts[256];

	(void)state;
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		const char **field;
		mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
		field = b[i].field == 0 ? &r.dns_rrname : b[i].field == 1 ? &r.tls_sni :
			b[i].field == 2 ? &r.http_host : b[i].field == 3 ? &r.http_user_agent :
			b[i].field == 4 ? &r.ja3 : &r.ja3s;
		*field = value;
		for (int legacy = 0; legacy < 2; legacy++) {
			const char *name = legacy ? b[i].legacy : b[i].buf;
			snprintf(opts, sizeof opts, "%s; content:\"0123\";", name);
			check_opts(&r, opts, 1);
			snprintf(opts, sizeof opts, "%s; content:\"4321\";", name);
			check_opts(&r, opts, 0);
			snprintf(opts, sizeof opts, "%s; content:!\"4321\";", name);
			check_opts(&r, opts, 1);
		}
		/* another buffer holding nothing never matches */
		snprintf(opts, sizeof opts, "%s; content:\"0123\";", b[(i + 1) % 6].buf);
		check_opts(&r, opts, 0);
		/* an absent or empty buffer: no match, negated or not */
		*field = NULL;
		snprintf(opts, sizeof opts, "%s; content:\"0123\";", b[i].buf);
		check_opts(&r, opts, 0);
		snprintf(opts, sizeof opts, "%s; content:!\"0123\";", b[i].buf);
		check_opts(&r, opts, 0);
		*field = "";
		check_opts(&r, opts, 0);
	}

	/* two buffers in one rule; the legacy modifier form of http_host */
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 80, IPPROTO_TCP);
	r.http_host = "www.example.com";
	r.http_user_agent = "curl/8.0";
	check_opts(&r, "http.host; content:\"example\"; http.user_agent; content:\"curl/\"; startswith;", 1);
	check_opts(&r, "http.host; content:\"example\"; http.user_agent; content:\"wget\";", 0);
	check_opts(&r, "content:\"example.com\"; http_host;", 1);
	check_opts(&r, "content:\"EXAMPLE\"; nocase; http_host; content:\"curl\"; http_user_agent;", 1);
	check_opts(&r, "content:\"example.org\"; http_host;", 0);
	/* http.host compares without case (Suricata lowercases the buffer) */
	r.http_host = "WWW.Example.COM";
	check_opts(&r, "http.host; content:\"www.example.com\"; startswith; endswith;", 1);
	check_opts(&r, "http.host; content:\"www.example.org\";", 0);
	check_opts(&r, "http.user_agent; content:\"CURL\";", 0);
}

static void test_content_modifiers(void **state)
{
	static const struct { const char *opts; int want; } c[] = {
		{ "content:\"Example\";", 1 },
		{ "content:\"example\";", 0 },
		{ "content:\"example\"; nocase;", 1 },
		{ "content:\"mail.example.com\"; nocase; startswith; endswith;", 1 },
		{ "content:\"Mail\"; startswith;", 1 },
		{ "content:\"Example\"; startswith;", 0 },
		{ "content:\".COM\"; endswith;", 1 },
		{ "content:\"Mail\"; endswith;", 0 },
		{ "content:\"Mail.Example.COM\"; startswith; endswith;", 1 },
		{ "content:\"Mail.Example.CO\"; startswith; endswith;", 0 },
		{ "content:\"Example\"; depth:12;", 1 },
		{ "content:\"Example\"; depth:11;", 0 },
		{ "content:\"Mail\"; offset:1;", 0 },
		{ "content:\"Example\"; offset:5;", 1 },
		{ "content:\"Example\"; offset:6;", 0 },
		{ "content:\"Example\"; offset:5; depth:7;", 1 },
		{ "content:\"Example\"; depth:7; offset:5;", 1 },
		{ "content:\"Example\"; offset:4; depth:7;", 0 },
		{ "content:\"COM\"; offset:13; endswith;", 1 },
		{ "content:\"|4d 61|il\";", 1 },
		{ "content:\"|4D61 696c|\";", 1 },
		{ "content:\"|2e|Example|2E|\";", 1 },
		{ "content:\"|00|\";", 0 },
		{ "content:!\"evil\";", 1 },
		{ "content:!\"Example\";", 0 },
		{ "content:!\"mail.\"; nocase;", 0 },
		{ "content:!\"Mail\"; endswith;", 1 },
		{ "content:\"Mail\"; content:\"COM\";", 1 },
		{ "content:\"Mail\"; content:\"NET\";", 0 },
		{ "content:\"Example\"; fast_pattern; nocase;", 1 },
		{ "bsize:16;", 1 },
		{ "bsize:<16;", 0 },
		{ "bsize:<=16; bsize:>=16;", 1 },
		{ "bsize:>10;", 1 },
		{ "bsize:10<>20;", 1 },
		{ "bsize:16<>20;", 0 },
		{ "dotprefix; content:\".mail.example.com\"; nocase; startswith; endswith;", 1 },
		{ "dotprefix; content:\".example.com\"; nocase; endswith;", 1 },
		{ "dotprefix; content:\".ail.example.com\"; nocase; endswith;", 0 },
	};
	struct flow_record r;
	char opts[512];

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "8.8.8.8", 53, IPPROTO_UDP);
	r.dns_rrname = "Mail.Example.COM";
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		snprintf(opts, sizeof opts, "dns.query; %s", c[i].opts);
		check_opts(&r, opts, c[i].want);
	}

	/* escapes inside quotes */
	r.http_user_agent = "Foo; \"Bar\" \\ Baz";
	check_opts(&r, "http.user_agent; content:\"Foo\\; \\\"Bar\\\" \\\\ Baz\"; startswith; endswith;", 1);
	check_opts(&r, "http.user_agent; content:\"Foo|3b 20 22|Bar\";", 1);
	check_opts(&r, "http.user_agent; content:\"Foo\\;Bar\";", 0);
}

static void test_pcre(void **state)
{
	struct flow_record r;

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	r.tls_sni = "www.example.com";
	r.http_user_agent = "x a;b y";
	check_opts(&r, "tls.sni; pcre:\"/^www\\.[a-z]+\\.com$/\";", 1);
	check_opts(&r, "tls.sni; pcre:\"/^WWW\\.EXAMPLE/\";", 0);
	check_opts(&r, "tls.sni; pcre:\"/^WWW\\.EXAMPLE/i\";", 1);
	check_opts(&r, "tls.sni; pcre:\"/\\.org$/\";", 0);
	check_opts(&r, "tls.sni; pcre:!\"/\\.org$/\";", 1);
	check_opts(&r, "tls.sni; pcre:!\"/\\.com$/\";", 0);
	check_opts(&r, "tls.sni; pcre:\"/ex ample/x\";", 1);
	check_opts(&r, "tls.sni; pcre:\"/^w.w/ms\";", 1);
	check_opts(&r, "http.user_agent; pcre:\"/a\\;b/\";", 1);
	check_opts(&r, "tls.sni; content:\"example\"; pcre:\"/com$/\";", 1);
	check_opts(&r, "tls.sni; content:\"example\"; pcre:\"/org$/\";", 0);
	r.tls_sni = NULL;
	check_opts(&r, "tls.sni; pcre:!\"/org$/\";", 0);
}

/* Buffers longer than the matcher's per-flow copies (512 bytes) are
 * compared in place: nocase still works, dotprefix does not match. */
static void test_long_buffer(void **state)
{
	char ua[700];
	struct flow_record r;

	(void)state;
	memset(ua, 'a', sizeof ua - 1);
	ua[sizeof ua - 1] = '\0';
	memcpy(ua + 600, "MiXeD", 5);
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 80, IPPROTO_TCP);
	r.http_user_agent = ua;
	check_opts(&r, "http.user_agent; content:\"mixed\"; nocase;", 1);
	check_opts(&r, "http.user_agent; content:\"mixed\";", 0);
	check_opts(&r, "http.user_agent; content:\"MiXeD\"; offset:600; depth:5;", 1);
	check_opts(&r, "http.user_agent; content:\"MiXeD\"; offset:601;", 0);
	check_opts(&r, "http.user_agent; content:\"AAAA\"; nocase; endswith;", 1);
	check_opts(&r, "http.user_agent; content:\"AAAM\"; nocase; endswith;", 0);
	check_opts(&r, "http.user_agent; content:\"AAAA\"; nocase; startswith;", 1);
	check_opts(&r, "http.user_agent; bsize:699;", 1);
	check_opts(&r, "http.user_agent; pcre:\"/mixed/i\";", 1);
	check_opts(&r, "http.user_agent; dotprefix; content:\".aaa\"; startswith;", 0);
	/* a short buffer: contents longer than it never match */
	r.http_user_agent = "abc";
	check_opts(&r, "http.user_agent; content:\"abcd\";", 0);
	check_opts(&r, "http.user_agent; content:!\"abcd\";", 1);
	check_opts(&r, "http.user_agent; content:\"bc\"; offset:1; endswith;", 1);
	check_opts(&r, "http.user_agent; content:\"bc\"; offset:2;", 0);
}

/* ---- the alert --------------------------------------------------------------------- */

static void test_alert_fields(void **state)
{
	static const char *rule =
		"alert tls $HOME_NET any -> $EXTERNAL_NET 443 (msg:\"ET MALWARE test \\\"quoted\\\"\"; "
		"flow:established,to_server; tls.sni; content:\"evil.example\"; endswith; "
		"reference:url, example.com/a; reference:cve,2024-0001; classtype:trojan-activity; "
		"metadata:former_category MALWARE, signature_severity Major; "
		"gid:1; sid:2000001; rev:3;)";
	struct flow_record r;
	struct sig_set *s;
	const struct alert *a = &g_al.a[0];

	(void)state;
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	r.app_proto = "tls";
	r.ndpi_protocol = "TLS";
	r.tls_sni = "c2.evil.example";
	s = load_rule(rule);
	memset(&g_al, 0, sizeof g_al);
	assert_int_equal(sig_match_flow(s, &r, 77 * S, on_alert, &g_al), 1);
	assert_int_equal(g_al.n, 1);
	assert_int_equal(a->engine, ALERT_SIGNATURE);
	assert_int_equal(a->ts_us, 77 * S);
	assert_int_equal(a->gid, 1);
	assert_int_equal(a->sid, 2000001);
	assert_int_equal(a->rev, 3);
	assert_string_equal(a->signature, "ET MALWARE test \"quoted\"");
	assert_string_equal(a->classtype, "trojan-activity");
	assert_string_equal(a->category, "Malware or trojan traffic");
	assert_int_equal(a->severity, 1);
	assert_string_equal(a->rule_text, rule);
	assert_int_equal(a->n_references, 2);
	assert_string_equal(a->references[0], "url,example.com/a");
	assert_string_equal(a->references[1], "cve,2024-0001");
	assert_int_equal(a->n_meta, 2);
	assert_string_equal(a->meta[0].key, "former_category");
	assert_string_equal(a->meta[0].value, "MALWARE");
	assert_string_equal(a->meta[1].key, "signature_severity");
	assert_string_equal(a->meta[1].value, "Major");
	assert_int_equal(a->proto, IPPROTO_TCP);
	assert_string_equal(a->src_ip, "192.168.1.10");
	assert_string_equal(a->dest_ip, "203.0.113.9");
	assert_int_equal(a->src_port, 51000);
	assert_int_equal(a->dest_port, 443);
	assert_int_equal(a->has_ports, 1);
	assert_string_equal(a->app_proto, "tls");
	assert_int_equal(a->n_flow_ids, 1);
	assert_int_equal(a->flow_ids[0], 4242);
	assert_null(a->detector);
	assert_null(a->ioc_kind);
	sig_set_free(s);

	/* the variant that must not match: another SNI */
	r.tls_sni = "evil.example.org";
	check(&r, rule, 0);
}

static void test_severity(void **state)
{
	struct flow_record r;
	struct sig_set *s;

	(void)state;
	mkrec(&r, "192.168.1.10", 0, "8.8.8.8", 0, IPPROTO_ICMP);
	s = load_rule("alert ip any any -> any any (msg:\"a\"; classtype:misc-activity; sid:1;)\n");
	memset(&g_al, 0, sizeof g_al);
	sig_match_flow(s, &r, S, on_alert, &g_al);
	assert_int_equal(g_al.a[0].severity, 3);
	assert_string_equal(g_al.a[0].category, "Other activity worth noting");
	assert_int_equal(g_al.a[0].has_ports, 0);
	sig_set_free(s);

	s = load_rule("alert ip any any -> any any (msg:\"a\"; classtype:misc-activity; priority:1; sid:1;)");
	memset(&g_al, 0, sizeof g_al);
	sig_match_flow(s, &r, S, on_alert, &g_al);
	assert_int_equal(g_al.a[0].severity, 1);
	sig_set_free(s);

	s = load_rule("alert ip any any -> any any (msg:\"a\"; priority:2; sid:1;)");
	memset(&g_al, 0, sizeof g_al);
	sig_match_flow(s, &r, S, on_alert, &g_al);
	assert_int_equal(g_al.a[0].severity, 2);
	assert_null(g_al.a[0].classtype);
	assert_null(g_al.a[0].category);
	assert_int_equal(g_al.a[0].n_references, 0);
	assert_int_equal(g_al.a[0].n_meta, 0);
	assert_int_equal(g_al.a[0].rev, 1);
	assert_int_equal(g_al.a[0].gid, 1);
	sig_set_free(s);

	s = load_rule("alert ip any any -> any any (msg:\"a\"; sid:1;)");
	memset(&g_al, 0, sizeof g_al);
	sig_match_flow(s, &r, S, on_alert, &g_al);
	assert_int_equal(g_al.a[0].severity, 3);
	sig_set_free(s);

	/* more references and metadata than an alert holds: the first kept */
	s = load_rule("alert ip any any -> any any (msg:\"a\"; reference:a,1; reference:a,2; "
		      "reference:a,3; reference:a,4; reference:a,5; reference:a,6; reference:a,7; "
		      "reference:a,8; reference:a,9; metadata:k1 v, k2 v, k3 v, k4 v, k5 v, k6 v, "
		      "k7 v, k8 v, k9 v, k10 v, k11 v, k12 v, k13 v, k14 v, k15 v, k16 v, k17 v; "
		      "metadata:single; sid:1;)");
	memset(&g_al, 0, sizeof g_al);
	sig_match_flow(s, &r, S, on_alert, &g_al);
	assert_int_equal(g_al.a[0].n_references, 8);
	assert_string_equal(g_al.a[0].references[7], "a,8");
	assert_int_equal(g_al.a[0].n_meta, 16);
	assert_string_equal(g_al.a[0].meta[15].key, "k16");
	sig_set_free(s);
}

/* Alerts come in load order, across the per-protocol rule lists. */
static void test_load_order(void **state)
{
	static const char *rules =
		"alert ip any any -> any any (msg:\"1\"; sid:1;)\n"
		"alert tcp any any -> any any (msg:\"2\"; sid:2;)\n"
		"alert udp any any -> any any (msg:\"3\"; sid:3;)\n"
		"alert tls any any -> any any (msg:\"4\"; sid:4;)\n"
		"alert tcp any any -> any any (msg:\"5\"; sid:5;)\n"
		"alert ip any any -> any any (msg:\"6\"; sid:6;)\n"
		"alert icmp any any -> any any (msg:\"7\"; sid:7;)\n";
	static const uint32_t want[] = { 1, 2, 4, 5, 6 };
	struct problems pr;
	struct flow_record r;
	struct sig_set *s;
	int n;

	(void)state;
	s = load_text(rules, &n, &pr);
	assert_int_equal(n, 7);
	assert_int_equal(sig_count(s), 7);
	mkrec(&r, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	r.app_proto = "tls";
	memset(&g_al, 0, sizeof g_al);
	assert_int_equal(sig_match_flow(s, &r, S, on_alert, &g_al), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(g_al.a[i].sid, want[i]);
	mkrec(&r, "192.168.1.10", 0, "203.0.113.9", 0, IPPROTO_GRE);
	assert_int_equal(sig_match_flow(s, &r, S, NULL, NULL), 2);
	sig_set_free(s);
}

/* ---- thresholds ----------------------------------------------------------------------- */

/* Match rec at second t; 1 if an alert came out. */
static int at(struct sig_set *s, const struct flow_record *rec, uint64_t t)
{
	return sig_match_flow(s, rec, t * S, NULL, NULL);
}

static void test_threshold_limit(void **state)
{
	struct flow_record a, b;
	struct sig_set *s;

	(void)state;
	mkrec(&a, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	mkrec(&b, "192.168.1.11", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	s = load_rule("alert tcp any any -> any any (msg:\"l\"; "
		      "threshold: type limit, track by_src, count 2, seconds 60; sid:1;)");
	assert_int_equal(at(s, &a, 100), 1);
	assert_int_equal(at(s, &a, 101), 1);
	assert_int_equal(at(s, &a, 102), 0);
	assert_int_equal(at(s, &b, 103), 1);   /* another source: its own count */
	assert_int_equal(at(s, &a, 159), 0);
	assert_int_equal(at(s, &a, 160), 1);   /* a new window */
	assert_int_equal(at(s, &a, 161), 1);
	assert_int_equal(at(s, &a, 162), 0);
	sig_set_free(s);

	/* by_dst: sources share the destination's count */
	s = load_rule("alert tcp any any -> any any (msg:\"l\"; "
		      "threshold:type limit,track by_dst,count 1,seconds 10; sid:1;)");
	assert_int_equal(at(s, &a, 0), 1);
	assert_int_equal(at(s, &b, 1), 0);
	b.dest_addr[15] ^= 1;
	assert_int_equal(at(s, &b, 2), 1);
	sig_set_free(s);
}

static void test_threshold_threshold(void **state)
{
	struct flow_record a, c;
	struct sig_set *s;
	static const int want[] = { 0, 0, 1, 0, 0, 1, 0 };

	(void)state;
	mkrec(&a, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	mkrec(&c, "192.168.1.10", 51000, "203.0.113.10", 443, IPPROTO_TCP);
	s = load_rule("alert tcp any any -> any any (msg:\"t\"; "
		      "threshold: type threshold, track by_dst, count 3, seconds 10; sid:1;)");
	for (int i = 0; i < 7; i++)
		assert_int_equal(at(s, &a, (uint64_t)i), want[i]);
	assert_int_equal(at(s, &c, 7), 0);    /* another destination */
	/* the window (started at 0) is over at 10: counting starts again */
	assert_int_equal(at(s, &a, 20), 0);
	assert_int_equal(at(s, &a, 21), 0);
	assert_int_equal(at(s, &a, 22), 1);
	sig_set_free(s);
}

static void test_threshold_both(void **state)
{
	struct flow_record a;
	struct sig_set *s;
	static const int want[] = { 0, 0, 1, 0, 0, 0 };

	(void)state;
	mkrec(&a, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	s = load_rule("alert tcp any any -> any any (msg:\"b\"; "
		      "threshold: type both, track by_src, count 3, seconds 10; sid:1;)");
	for (int i = 0; i < 6; i++)
		assert_int_equal(at(s, &a, (uint64_t)i), want[i]);
	assert_int_equal(at(s, &a, 12), 0);
	assert_int_equal(at(s, &a, 13), 0);
	assert_int_equal(at(s, &a, 14), 1);
	assert_int_equal(at(s, &a, 15), 0);
	sig_set_free(s);
}

static void test_detection_filter(void **state)
{
	struct flow_record a, b;
	struct sig_set *s;

	(void)state;
	mkrec(&a, "192.168.1.10", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	mkrec(&b, "192.168.1.11", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	s = load_rule("alert tcp any any -> any any (msg:\"d\"; "
		      "detection_filter: track by_src, count 2, seconds 10; sid:1;)");
	assert_int_equal(at(s, &a, 0), 0);
	assert_int_equal(at(s, &a, 1), 0);
	assert_int_equal(at(s, &a, 2), 1);
	assert_int_equal(at(s, &a, 3), 1);
	assert_int_equal(at(s, &b, 4), 0);
	assert_int_equal(at(s, &a, 15), 0);   /* new window */
	assert_int_equal(at(s, &a, 16), 0);
	assert_int_equal(at(s, &a, 17), 1);
	sig_set_free(s);

	/* by_rule: every source counts together; by_both: per pair */
	s = load_rule("alert tcp any any -> any any (msg:\"d\"; "
		      "detection_filter: track by_rule, count 1, seconds 10; sid:1;)");
	assert_int_equal(at(s, &a, 0), 0);
	assert_int_equal(at(s, &b, 1), 1);
	sig_set_free(s);
	s = load_rule("alert tcp any any -> any any (msg:\"d\"; "
		      "detection_filter: track by_both, count 1, seconds 10; sid:1;)");
	assert_int_equal(at(s, &a, 0), 0);
	assert_int_equal(at(s, &b, 1), 0);
	assert_int_equal(at(s, &b, 2), 1);
	sig_set_free(s);
}

/* The state table is bounded: the oldest key is dropped with its count. */
static void test_threshold_eviction(void **state)
{
	struct flow_record a;
	struct sig_counters cnt;
	struct sig_set *s;
	const uint32_t n = 65536 + 1;

	(void)state;
	mkrec(&a, "10.0.0.0", 51000, "203.0.113.9", 443, IPPROTO_TCP);
	s = load_rule("alert tcp any any -> any any (msg:\"e\"; "
		      "threshold: type limit, track by_src, count 1, seconds 3600; sid:1;)");
	for (uint32_t i = 0; i < n; i++) {
		a.src_addr[13] = (uint8_t)(i >> 16);
		a.src_addr[14] = (uint8_t)(i >> 8);
		a.src_addr[15] = (uint8_t)i;
		assert_int_equal(sig_match_flow(s, &a, S + i, NULL, NULL), 1);
	}
	sig_get_counters(s, &cnt);
	assert_int_equal(cnt.threshold_tracked, 65536);
	assert_int_equal(cnt.threshold_evicted, 1);
	/* 10.0.0.0 (the first) was dropped: it alerts again (and takes the
	 * place of 10.0.0.1, now the oldest); 10.0.0.2 is still limited */
	memset(a.src_addr + 13, 0, 3);
	assert_int_equal(sig_match_flow(s, &a, 2 * S, NULL, NULL), 1);
	a.src_addr[15] = 2;
	assert_int_equal(sig_match_flow(s, &a, 2 * S, NULL, NULL), 0);
	sig_set_free(s);
}

/* ---- errors ------------------------------------------------------------------------ */

#define HDR "alert tcp any any -> any any "

static const struct { const char *rule, *want; } bad_rules[] = {
	{ "drop tcp any any -> any any (msg:\"x\"; sid:1;)", "unsupported action 'drop'" },
	{ "pass ip any any -> any any (msg:\"x\"; sid:1;)", "unsupported action 'pass'" },
	{ HDR "(msg:\"x\";)", "missing sid" },
	{ HDR "(sid:2;)", "missing msg" },
	{ HDR "(msg:\"x\"; sid:3;", "unterminated option list" },
	{ HDR, "missing option list" },
	{ HDR "(msg:\"x\"; sid:4)", "unterminated option 'sid' (missing ';')" },
	{ HDR "(msg:\"x; sid:5;)", "unterminated quoted string in 'msg'" },
	{ HDR "(msg:\"x\" y; sid:5;)", "unexpected text after the quoted value of 'msg'" },
	{ HDR "(msg:\"x\"; sid=5;)", "expected ':' or ';' after 'sid'" },
	{ "alert tcp 10.0.0.300 any -> any any (msg:\"x\"; sid:6;)", "bad address '10.0.0.300'" },
	{ "alert tcp any any -> 10.0.0.0/33 any (msg:\"x\"; sid:6;)", "bad address '10.0.0.0/33'" },
	{ "alert tcp [10.0.0.1,bogus] any -> any any (msg:\"x\"; sid:6;)", "bad address 'bogus'" },
	{ "alert tcp [10.0.0.1,10.0.0.2 any -> any any (msg:\"x\"; sid:6;)", "unterminated '[' list" },
	{ "alert tcp [] any -> any any (msg:\"x\"; sid:6;)", "empty address list" },
	{ "alert tcp !any any -> any any (msg:\"x\"; sid:6;)", "bad address '!any'" },
	{ "alert tcp $DNS_SERVERS any -> any any (msg:\"x\"; sid:6;)", "unknown variable '$DNS_SERVERS'" },
	{ "alert tcp any 70000 -> any any (msg:\"x\"; sid:7;)", "bad port '70000'" },
	{ "alert tcp any any -> any 90:80 (msg:\"x\"; sid:7;)", "bad port range '90:80'" },
	{ "alert tcp any any -> any [80,http] (msg:\"x\"; sid:7;)", "bad port 'http'" },
	{ "alert tcp any any -> any $HTTP_PORTS (msg:\"x\"; sid:7;)", "unknown variable '$HTTP_PORTS'" },
	{ "alert tcp any any => any any (msg:\"x\"; sid:8;)", "bad direction '=>'" },
	{ "alert tcp any any -> any (msg:\"x\"; sid:8;)", "incomplete rule header" },
	{ "alert tcp any any -> any any any (msg:\"x\"; sid:8;)", "more than 7 fields" },
	{ "alert t@p any any -> any any (msg:\"x\"; sid:8;)", "bad protocol 't@p'" },
	{ HDR "(msg:\"x\"; sid:0;)", "bad sid '0'" },
	{ HDR "(msg:\"x\"; sid:abc;)", "bad sid 'abc'" },
	{ HDR "(msg:\"x\"; sid:9; rev:x;)", "bad rev 'x'" },
	{ HDR "(msg:\"x\"; sid:9; gid:0;)", "bad gid '0'" },
	{ HDR "(msg:\"x\"; sid:9; sid:10;)", "duplicate option 'sid'" },
	{ HDR "(msg:\"a\"; msg:\"b\"; sid:9;)", "duplicate option 'msg'" },
	{ HDR "(msg:\"x\"; classtype:nope; sid:10;)", "unknown classtype 'nope'" },
	{ HDR "(msg:\"x\"; priority:0; sid:11;)", "bad priority '0'" },
	{ HDR "(msg:\"x\"; priority:256; sid:11;)", "bad priority '256'" },
	{ HDR "(msg:\"x\"; reference:nocomma; sid:12;)", "bad reference 'nocomma'" },
	{ HDR "(msg:\"x\"; byte_test:1,>,2,0; sid:2001;)", "unsupported keyword 'byte_test' (sid 2001)" },
	{ HDR "(msg:\"x\"; noalert; sid:13;)", "unsupported keyword 'noalert'" },
	{ HDR "(msg:\"x\"; flowbits:set,foo; sid:13;)", "unsupported keyword 'flowbits'" },
	{ HDR "(msg:\"x\"; http.header; content:\"MZ\"; sid:13;)", "unsupported keyword 'http.header'" },
	{ HDR "(msg:\"x\"; file.data; content:\"MZ\"; byte_jump:4,58,relative,little; sid:13;)",
	  "unsupported keyword 'byte_jump'" },
	{ HDR "(msg:\"x\"; dsize:>10; sid:13;)", "unsupported keyword 'dsize'" },
	{ HDR "(msg:\"x\"; stream_size:server,>,10; sid:13;)", "unsupported keyword 'stream_size'" },
	{ HDR "(msg:\"x\"; frobnicate; sid:13;)", "unsupported keyword 'frobnicate'" },
	{ HDR "(msg:\"x\"; content:\"abc\"; depth:3; distance:1; sid:14;)",
	  "'distance' cannot be combined with depth, offset or startswith" },
	{ HDR "(msg:\"x\"; content:\"abc\"; within:5; offset:1; sid:14;)",
	  "'offset' cannot be combined with distance or within" },
	{ HDR "(msg:\"x\"; content:\"abcd\"; within:2; sid:14;)", "within 2 is shorter than its content" },
	{ HDR "(msg:\"x\"; content:\"abcd\"; distance:x; sid:14;)", "bad distance 'x'" },
	{ HDR "(msg:\"x\"; within:4; sid:14;)", "'within' needs a preceding content" },
	{ HDR "(msg:\"x\"; isdataat:5,rel; sid:14;)", "bad isdataat option 'rel'" },
	{ HDR "(msg:\"x\"; isdataat:x; sid:14;)", "bad isdataat 'x'" },
	{ HDR "(msg:\"x\"; urilen:>x; sid:14;)", "bad urilen" },
	{ HDR "(msg:\"x\"; filemagic:PE32; sid:14;)", "filemagic needs a quoted string" },
	{ HDR "(msg:\"x\"; dns.query; pcre:\"/x/U\"; sid:15;)", "pcre: flag for another buffer" },
	{ HDR "(msg:\"x\"; dns.query; pcre:\"/x/Q\"; sid:15;)", "pcre: unsupported flag 'Q'" },
	{ HDR "(msg:\"x\"; dns.query; pcre:\"/(x/\"; sid:15;)", "pcre: missing closing parenthesis at offset 2" },
	{ HDR "(msg:\"x\"; dns.query; pcre:\"x\"; sid:15;)", "pcre needs the form" },
	{ HDR "(msg:\"x\"; dns.query; content:\"|4g|\"; sid:16;)", "bad hex 'g'" },
	{ HDR "(msg:\"x\"; dns.query; content:\"|41\"; sid:16;)", "unterminated hex block" },
	{ HDR "(msg:\"x\"; dns.query; content:\"|414|\"; sid:16;)", "odd number of hex digits" },
	{ HDR "(msg:\"x\"; dns.query; content:\"\"; sid:16;)", "empty content" },
	{ HDR "(msg:\"x\"; dns.query; content:abc; sid:16;)", "content needs a quoted string" },
	{ HDR "(msg:\"x\"; nocase; sid:17;)", "'nocase' needs a preceding content" },
	{ HDR "(msg:\"x\"; dns.query; content:\"a\"; nocase:1; sid:17;)", "'nocase' takes no value" },
	{ HDR "(msg:\"x\"; dns.query; content:\"abc\"; depth:x; sid:18;)", "bad depth 'x'" },
	{ HDR "(msg:\"x\"; dns.query; content:\"abc\"; offset:-1; sid:18;)", "bad offset '-1'" },
	{ HDR "(msg:\"x\"; dns.query; content:\"abcd\"; depth:2; sid:18;)", "depth 2 is shorter" },
	{ HDR "(msg:\"x\"; dns.query; content:\"a\"; offset:1; startswith; sid:18;)",
	  "'startswith' cannot be combined with depth or offset" },
	{ HDR "(msg:\"x\"; dns.query; bsize:abc; sid:18;)", "bad bsize 'abc'" },
	{ HDR "(msg:\"x\"; bsize:3; sid:18;)", "'bsize' needs a sticky buffer" },
	{ HDR "(msg:\"x\"; dotprefix; sid:18;)", "'dotprefix' must directly follow a sticky buffer" },
	{ HDR "(msg:\"x\"; tls.sni: x; sid:18;)", "'tls.sni' takes no value" },
	{ HDR "(msg:\"x\"; flow:sideways; sid:19;)", "unsupported flow option 'sideways'" },
	{ HDR "(msg:\"x\"; flow:established,not_established; sid:19;)", "conflicting" },
	{ HDR "(msg:\"x\"; threshold: type sometimes, track by_src, count 1, seconds 1; sid:20;)",
	  "bad threshold type 'sometimes'" },
	{ HDR "(msg:\"x\"; threshold: type limit, track by_flow, count 1, seconds 1; sid:20;)",
	  "bad threshold track 'by_flow'" },
	{ HDR "(msg:\"x\"; threshold: type limit, track by_src, seconds 1; sid:20;)",
	  "bad threshold: missing 'count'" },
	{ HDR "(msg:\"x\"; threshold: track by_src, count 1, seconds 1; sid:20;)",
	  "bad threshold: missing 'type'" },
	{ HDR "(msg:\"x\"; detection_filter: track by_src, count 0, seconds 1; sid:20;)",
	  "bad detection_filter count '0'" },
	{ HDR "(msg:\"x\"; detection_filter: track by_src, count 1, seconds 1; "
	  "threshold: type limit, track by_src, count 1, seconds 1; sid:20;)",
	  "only one threshold or detection_filter" },
	{ HDR "(msg:\"x\"; ndpi-risk:; sid:21;)", "'ndpi-risk' needs a value" },
	{ HDR "(msg:\"x\"; ndpi-risk:Unsafe Protocol,,XSS Attack; sid:21;)", "empty name in 'ndpi-risk'" },
	{ HDR "(msg:\"x\"; ndpi-risk:Self-signed Certificat; sid:21;)", "unknown nDPI risk 'Self-signed Certificat'" },
	{ HDR "(msg:\"x\"; ndpi-risk:NDPI_NO_SUCH_RISK; sid:21;)", "unknown nDPI risk 'NDPI_NO_SUCH_RISK'" },
	{ HDR "(msg:\"x\"; ndpi-protocol:.TLS; sid:21;)", "bad ndpi-protocol '.TLS'" },
	{ HDR "(msg:\"x\"; app-layer-protocol:t@p; sid:21;)", "bad app-layer-protocol 't@p'" },
	{ HDR "(msg:\"x\"; $weird; sid:22;)", "bad option near '$weird" },
};

/* Every bad rule is reported at its own line, with its reason, and skipped;
 * the good rules between them load. */
static void test_errors(void **state)
{
	const size_t nb = sizeof bad_rules / sizeof bad_rules[0];
	size_t cap = 256 * (nb + 4), len = 0;
	char *text = malloc(cap);
	struct problems *pr = malloc(sizeof *pr);
	struct sig_set *s;
	int loaded;

	(void)state;
	assert_non_null(text);
	assert_non_null(pr);
	assert_true(nb <= MAXP);
	/* line 1: a comment, line 2: blank, then bad rule i on line 3 + 2i and a
	 * good rule after each */
	len += (size_t)snprintf(text + len, cap - len, "# bad rules\n\n");
	for (size_t i = 0; i < nb; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%s\nalert ip any any -> any any (msg:\"ok\"; sid:%zu;)\n",
					bad_rules[i].rule, 100000 + i);
	s = sig_set_new(&g_home);
	memset(pr, 0, sizeof *pr);
	loaded = sig_load_file(s, write_file(text), on_problem, pr);
	assert_int_equal(loaded, (int)nb);
	assert_int_equal(sig_count(s), nb);
	assert_int_equal(pr->n, (int)nb);
	for (size_t i = 0; i < nb; i++) {
		if (pr->line[i] != (int)(3 + 2 * i) || !strstr(pr->msg[i], bad_rules[i].want))
			fail_msg("rule '%s': reported at line %d as '%s'; expected line %d, '%s'",
				 bad_rules[i].rule, pr->line[i], pr->msg[i], (int)(3 + 2 * i),
				 bad_rules[i].want);
		assert_string_equal(pr->file[i], g_path);
	}
	sig_set_free(s);
	free(text);
	free(pr);
}

/* A rule with an unsupported keyword is skipped whole; the next one loads. */
static void test_unsupported_skipped(void **state)
{
	struct problems pr;
	struct flow_record r;
	struct sig_set *s;
	int n;

	(void)state;
	s = load_text("alert ip any any -> any any (msg:\"a\"; dns.query; content:\"x\"; "
		      "byte_test:1,>,2,0; sid:1;)\n"
		      "alert ip any any -> any any (msg:\"b\"; sid:2;)\n", &n, &pr);
	assert_int_equal(n, 1);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 1);
	assert_non_null(strstr(pr.msg[0], "byte_test"));
	mkrec(&r, "192.168.1.10", 51000, "8.8.8.8", 53, IPPROTO_UDP);
	r.dns_rrname = "x";
	memset(&g_al, 0, sizeof g_al);
	assert_int_equal(sig_match_flow(s, &r, S, on_alert, &g_al), 1);
	assert_int_equal(g_al.a[0].sid, 2);
	sig_set_free(s);
}

static void test_duplicate_sid(void **state)
{
	struct problems pr;
	struct sig_set *s;
	int n;
	char first[200];

	(void)state;
	s = load_text("alert ip any any -> any any (msg:\"a\"; sid:5;)\n"
		      "alert ip any any -> any any (msg:\"b\"; sid:5;)\n"
		      "alert ip any any -> any any (msg:\"c\"; sid:5; gid:3;)\n", &n, &pr);
	assert_int_equal(n, 2);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 2);
	assert_non_null(strstr(pr.msg[0], "duplicate sid 5"));
	snprintf(first, sizeof first, "%s:1", g_path);
	assert_non_null(strstr(pr.msg[0], first));

	/* across files of the same set */
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_file(s, write_file_n(1, "\n\nalert ip any any -> any any "
							  "(msg:\"d\"; gid:3; sid:5;)\n"),
				       on_problem, &pr), 0);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 3);
	assert_non_null(strstr(pr.msg[0], "duplicate sid 5 (gid 3)"));
	assert_int_equal(sig_count(s), 2);
	sig_set_free(s);
}

static void test_continuation(void **state)
{
	struct problems pr;
	struct flow_record r;
	struct sig_set *s;
	int n;

	(void)state;
	s = load_text("# a multi-line rule\n"
		      "alert udp $HOME_NET any -> any 53 \\\n"
		      "    (msg:\"long\"; dns.query; \\\n"
		      "    content:\"example\"; sid:1;)\r\n"
		      "\n"
		      "alert udp any any -> any any (msg:\"bad\"; \\\n"
		      "   bogus; sid:2;)\n"
		      "alert udp any any -> any any (msg:\"after\"; sid:3;)\n", &n, &pr);
	assert_int_equal(n, 2);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 6);
	assert_non_null(strstr(pr.msg[0], "unsupported keyword 'bogus'"));
	mkrec(&r, "192.168.1.10", 51000, "8.8.8.8", 53, IPPROTO_UDP);
	r.dns_rrname = "www.example.org";
	memset(&g_al, 0, sizeof g_al);
	assert_int_equal(sig_match_flow(s, &r, S, on_alert, &g_al), 2);
	assert_int_equal(g_al.a[0].sid, 1);
	assert_string_equal(g_al.a[0].rule_text,
			    "alert udp $HOME_NET any -> any 53     (msg:\"long\"; dns.query;     "
			    "content:\"example\"; sid:1;)");
	assert_int_equal(g_al.a[1].sid, 3);
	sig_set_free(s);

	/* a continuation on the last line still ends the rule */
	s = load_text("alert ip any any -> any any (msg:\"x\"; sid:1;) \\\n", &n, &pr);
	assert_int_equal(n, 1);
	assert_int_equal(pr.n, 0);
	sig_set_free(s);
}

static void test_missing_file(void **state)
{
	struct problems pr;
	struct sig_set *s = sig_set_new(&g_home);
	char path[160];

	(void)state;
	snprintf(path, sizeof path, "%s/nope.rules", g_dir);
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_file(s, path, on_problem, &pr), -1);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 0);
	assert_string_equal(pr.file[0], path);
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_classification(s, path, on_problem, &pr), -1);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 0);
	assert_int_equal(sig_count(s), 0);
	sig_set_free(s);
}

/* ---- classification ------------------------------------------------------------------ */

/* The built-in table equals rules/classification.config, entry by entry. */
static void test_classification_builtin_matches_file(void **state)
{
	const char *path = "rules/classification.config";
	FILE *fp = fopen(path, "r");
	char line[512];
	int entries = 0;
	struct problems pr;
	struct flow_record r;
	struct sig_set *s;

	(void)state;
	if (!fp) {
		path = "../../rules/classification.config";
		fp = fopen(path, "r");
	}
	assert_non_null(fp);
	mkrec(&r, "192.168.1.10", 0, "8.8.8.8", 0, IPPROTO_ICMP);
	while (fgets(line, sizeof line, fp)) {
		char name[64], desc[256], rule[512];
		int prio;
		if (sscanf(line, "config classification: %63[^,],%255[^,],%d", name, desc, &prio) != 3)
			continue;
		entries++;
		snprintf(rule, sizeof rule, "alert ip any any -> any any (msg:\"c\"; classtype:%s; sid:1;)",
			 name);
		s = load_rule(rule);
		memset(&g_al, 0, sizeof g_al);
		assert_int_equal(sig_match_flow(s, &r, S, on_alert, &g_al), 1);
		assert_string_equal(g_al.a[0].classtype, name);
		assert_string_equal(g_al.a[0].category, desc);
		assert_int_equal(g_al.a[0].severity, prio);
		assert_true(prio >= 1 && prio <= 4);
		sig_set_free(s);
	}
	fclose(fp);
	assert_int_equal(entries, 43);

	/* and the file loads cleanly */
	s = sig_set_new(&g_home);
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_classification(s, path, on_problem, &pr), 43);
	assert_int_equal(pr.n, 0);
	sig_set_free(s);
}

static void test_classification_override(void **state)
{
	static const char *conf =
		"# test table\n"
		"config classification: trojan-activity,Custom trojan text,4\n"
		"config classification: vigil-test,Vigil test class, with a comma,2\n"
		"config classification: broken,no priority\n"
		"something else\n"
		"config classification: badprio,Text,high\n"
		"config classification: b@d,Text,1\n"
		"\n";
	static const char *rules =
		"alert ip any any -> any any (msg:\"a\"; classtype:trojan-activity; sid:1;)\n"
		"alert ip any any -> any any (msg:\"b\"; classtype:vigil-test; sid:2;)\n";
	char path[160];
	struct problems pr;
	struct flow_record r;
	struct sig_set *s;
	FILE *fp;
	int n;

	(void)state;
	/* without the file, vigil-test is unknown */
	s = load_text(rules, &n, &pr);
	assert_int_equal(n, 1);
	assert_int_equal(pr.n, 1);
	assert_int_equal(pr.line[0], 2);
	assert_non_null(strstr(pr.msg[0], "unknown classtype 'vigil-test'"));
	sig_set_free(s);

	snprintf(path, sizeof path, "%s/classification.config", g_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(conf, fp);
	fclose(fp);
	s = sig_set_new(&g_home);
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_classification(s, path, on_problem, &pr), 2);
	assert_int_equal(pr.n, 4);
	assert_int_equal(pr.line[0], 4);
	assert_non_null(strstr(pr.msg[0], "bad classification"));
	assert_int_equal(pr.line[1], 5);
	assert_non_null(strstr(pr.msg[1], "not a classification line"));
	assert_int_equal(pr.line[2], 6);
	assert_non_null(strstr(pr.msg[2], "bad classification priority"));
	assert_int_equal(pr.line[3], 7);
	assert_non_null(strstr(pr.msg[3], "bad classification name"));
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_file(s, write_file(rules), on_problem, &pr), 2);
	assert_int_equal(pr.n, 0);
	mkrec(&r, "192.168.1.10", 0, "8.8.8.8", 0, IPPROTO_ICMP);
	memset(&g_al, 0, sizeof g_al);
	assert_int_equal(sig_match_flow(s, &r, S, on_alert, &g_al), 2);
	assert_string_equal(g_al.a[0].category, "Custom trojan text");
	assert_int_equal(g_al.a[0].severity, 4);
	assert_string_equal(g_al.a[1].classtype, "vigil-test");
	assert_string_equal(g_al.a[1].category, "Vigil test class, with a comma");
	assert_int_equal(g_al.a[1].severity, 2);
	sig_set_free(s);
}

/* Alert strings stay valid while the set grows (they live in its arena). */
static void test_alert_pointers_stable(void **state)
{
	struct flow_record r;
	struct sig_set *s;
	const char *msg, *text;
	size_t cap = 200 * 2000, len = 0;
	char *many = malloc(cap);
	struct problems pr;

	(void)state;
	assert_non_null(many);
	s = load_rule("alert ip any any -> any any (msg:\"stable\"; sid:1;)");
	mkrec(&r, "192.168.1.10", 0, "8.8.8.8", 0, IPPROTO_ICMP);
	memset(&g_al, 0, sizeof g_al);
	sig_match_flow(s, &r, S, on_alert, &g_al);
	msg = g_al.a[0].signature;
	text = g_al.a[0].rule_text;
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(many + len, cap - len,
					"alert tcp any any -> any any (msg:\"filler %d\"; sid:%d;)\n",
					i, 10 + i);
	memset(&pr, 0, sizeof pr);
	assert_int_equal(sig_load_file(s, write_file_n(2, many), on_problem, &pr), 2000);
	assert_string_equal(msg, "stable");
	assert_string_equal(text, "alert ip any any -> any any (msg:\"stable\"; sid:1;)");
	/* a flow sees only the ip rule, not the 2000 tcp ones */
	assert_int_equal(sig_match_flow(s, &r, S, NULL, NULL), 1);
	sig_set_free(s);
	free(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses_ipv4),
		cmocka_unit_test(test_addresses_ipv6),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_app_layer_protocol),
		cmocka_unit_test(test_ndpi_protocol),
		cmocka_unit_test(test_ndpi_risk),
		cmocka_unit_test(test_flow_keyword),
		cmocka_unit_test(test_sticky_buffers),
		cmocka_unit_test(test_content_modifiers),
		cmocka_unit_test(test_pcre),
		cmocka_unit_test(test_long_buffer),
		cmocka_unit_test(test_alert_fields),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_load_order),
		cmocka_unit_test(test_threshold_limit),
		cmocka_unit_test(test_threshold_threshold),
		cmocka_unit_test(test_threshold_both),
		cmocka_unit_test(test_detection_filter),
		cmocka_unit_test(test_threshold_eviction),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unsupported_skipped),
		cmocka_unit_test(test_duplicate_sid),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_classification_builtin_matches_file),
		cmocka_unit_test(test_classification_override),
		cmocka_unit_test(test_alert_pointers_stable),
	};

	return cmocka_run_group_tests(tests, setup, group_teardown);
}
