/*
 * test_detect_behav.c - behavioural detectors (detect_behav.h): for every
 * detector a synthetic attack that must raise exactly one alert with the
 * expected fields and ordinary office traffic that must raise nothing;
 * once-per-window muting, ignore lists, skipped applications, bounded
 * tables (dropped counter, expiry), detectors.conf problems with their
 * line numbers, disabled detectors, and the shipped
 * rules/default/detectors.conf against an office day and an attack mix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <netinet/in.h>

#include "detect/detect_behav.h"

#define US 1000000ULL
#define T0 (1700000000ULL * US) /* 2023-11-14, packet time */

#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define FIN 0x01

/* ---- alert capture ---------------------------------------------------------- */

#define MAX_GOT 64

struct got_alert {
	struct alert a;
	char sig[384];
	char key[ALERT_MAX_META][64];
	char val[ALERT_MAX_META][256];
};

struct got {
	int n;
	struct got_alert v[MAX_GOT];
};

static void collect(void *ctx, const struct alert *a)
{
	struct got *g = ctx;
	struct got_alert *c;

	assert_true(g->n < MAX_GOT);
	c = &g->v[g->n++];
	c->a = *a;
	/* every detector alert carries the flow that tipped the count (EVE
	 * writes its 5-tuple), one of the flows it names */
	assert_non_null(a->flow);
	int named = 0;
	for (int i = 0; i < a->n_flow_ids; i++)
		named |= a->flow_ids[i] == a->flow->flow_id;
	assert_true(named);
	c->a.flow = NULL; /* the caller's record: not kept */
	snprintf(c->sig, sizeof c->sig, "%s", a->signature);
	c->a.signature = c->sig;
	for (int i = 0; i < a->n_meta; i++) {
		snprintf(c->key[i], sizeof c->key[i], "%s", a->meta[i].key);
		snprintf(c->val[i], sizeof c->val[i], "%s", a->meta[i].value);
		c->a.meta[i].key = c->key[i];
		c->a.meta[i].value = c->val[i];
	}
}

static const char *meta(const struct got_alert *g, const char *key)
{
	for (int i = 0; i < g->a.n_meta; i++)
		if (strcmp(g->key[i], key) == 0)
			return g->val[i];
	fail_msg("alert has no metadata '%s'", key);
	return NULL;
}

/* ---- configuration ------------------------------------------------------------ */

struct probs {
	int n;
	int line[32];
	char file[32][256];
	char msg[32][512];
};

static void on_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct probs *p = ctx;

	if (p->n < 32) {
		p->line[p->n] = line;
		snprintf(p->file[p->n], sizeof p->file[p->n], "%s", file);
		snprintf(p->msg[p->n], sizeof p->msg[p->n], "%s", msg);
	}
	p->n++;
}

static char conf_path[64];

static const char *write_conf(const char *text)
{
	int fd;

	snprintf(conf_path, sizeof conf_path, "/tmp/vigil-behav-XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return conf_path;
}

static int load_text(struct behav *b, const char *text, struct probs *p)
{
	const char *path = write_conf(text);
	int r;

	memset(p, 0, sizeof *p);
	r = behav_load_config(b, path, on_problem, p);
	unlink(path);
	return r;
}

/* A detector set with the given configuration, which must be clean. */
static struct behav *with_conf(const char *text)
{
	struct behav *b = behav_new(NULL);
	struct probs p;

	assert_non_null(b);
	if (load_text(b, text, &p) != 0 || p.n)
		fail_msg("config problem: line %d: %s", p.line[0], p.msg[0]);
	return b;
}

static const char *repo_file(const char *rel, char *buf, size_t len)
{
	const char *me = __FILE__, *cut = strstr(me, "tests/unit/");

	snprintf(buf, len, "%.*s%s", cut ? (int)(cut - me) : 0, me, rel);
	return buf;
}

static struct behav *with_example_conf(void)
{
	struct behav *b = behav_new(NULL);
	struct probs p = { 0 };
	char path[512];

	assert_non_null(b);
	repo_file("rules/default/detectors.conf", path, sizeof path);
	if (behav_load_config(b, path, on_problem, &p) != 0)
		fail_msg("%s:%d: %s", path, p.line[0], p.msg[0]);
	assert_int_equal(p.n, 0);
	return b;
}

/* ---- synthetic flows -------------------------------------------------------------- */

static uint64_t next_flow_id = 1000;

static struct flow_record flow(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			       uint8_t proto, uint64_t start_us, uint64_t dur_us)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = next_flow_id++;
	r.start_us = start_us;
	r.end_us = start_us + dur_us;
	r.ipver = strchr(src, ':') ? 6 : 4;
	r.proto = proto;
	snprintf(r.src_ip, sizeof r.src_ip, "%s", src);
	snprintf(r.dest_ip, sizeof r.dest_ip, "%s", dst);
	assert_int_equal(ip_parse16(src, r.src_addr), 0);
	assert_int_equal(ip_parse16(dst, r.dest_addr), 0);
	r.src_port = sport;
	r.dest_port = dport;
	r.state = "closed";
	r.reason = "timeout";
	r.app_proto = "unknown";
	r.ndpi_protocol = "Unknown";
	r.ndpi_category = "Unspecified";
	return r;
}

/* SYN (and a retransmission), never answered */
static struct flow_record syn_unanswered(const char *src, const char *dst, uint16_t dport, uint64_t t)
{
	struct flow_record r = flow(src, 40000 + dport % 20000, dst, dport, IPPROTO_TCP, t, 1 * US);
	r.pkts_toserver = 2;
	r.bytes_toserver = 88; /* nmap SYN: 44 bytes */
	r.tcp_flags_ts = SYN;
	r.state = "new";
	return r;
}

/* SYN answered by RST-ACK (closed port) */
static struct flow_record syn_rst(const char *src, const char *dst, uint16_t dport, uint64_t t)
{
	struct flow_record r = flow(src, 40000 + dport % 20000, dst, dport, IPPROTO_TCP, t, 300);
	r.pkts_toserver = 1;
	r.bytes_toserver = 44;
	r.pkts_toclient = 1;
	r.bytes_toclient = 40;
	r.tcp_flags_ts = SYN;
	r.tcp_flags_tc = RST | ACK;
	return r;
}

/* SYN, SYN-ACK, RST from the client (open port, half-open scan) */
static struct flow_record syn_open(const char *src, const char *dst, uint16_t dport, uint64_t t)
{
	struct flow_record r = flow(src, 40000 + dport % 20000, dst, dport, IPPROTO_TCP, t, 400);
	r.pkts_toserver = 2;
	r.bytes_toserver = 84;
	r.pkts_toclient = 1;
	r.bytes_toclient = 44;
	r.tcp_flags_ts = SYN | RST;
	r.tcp_flags_tc = SYN | ACK;
	return r;
}

/* A TCP session with payload both ways. */
static struct flow_record tcp_session(const char *src, uint16_t sport, const char *dst, uint16_t dport,
				      uint64_t t, uint64_t dur, uint64_t bytes_ts, uint64_t bytes_tc,
				      const char *app, const char *ndpi)
{
	struct flow_record r = flow(src, sport, dst, dport, IPPROTO_TCP, t, dur);
	r.pkts_toserver = 4 + bytes_ts / 1200;
	r.pkts_toclient = 4 + bytes_tc / 1400;
	r.bytes_toserver = bytes_ts;
	r.bytes_toclient = bytes_tc;
	r.tcp_flags_ts = SYN | ACK | PSH | FIN;
	r.tcp_flags_tc = SYN | ACK | PSH | FIN;
	r.app_proto = app;
	r.ndpi_protocol = ndpi;
	return r;
}

static struct flow_record dns_query(const char *src, const char *resolver, const char *name,
				    uint16_t qtype, uint64_t t)
{
	struct flow_record r = flow(src, (uint16_t)(30000 + t / 1000 % 30000), resolver, 53, IPPROTO_UDP, t, 20000);
	r.pkts_toserver = 1;
	r.pkts_toclient = 1;
	r.bytes_toserver = 40 + strlen(name);
	r.bytes_toclient = 120 + strlen(name);
	r.app_proto = "dns";
	r.ndpi_protocol = "DNS";
	r.dns_rrname = name;
	r.dns_qtype = qtype;
	return r;
}

static struct flow_record icmp_echo(const char *src, const char *dst, uint64_t t, int answered)
{
	struct flow_record r = flow(src, 0, dst, 0, IPPROTO_ICMP, t, answered ? 2000 : 0);
	r.pkts_toserver = 1;
	r.bytes_toserver = 28;
	r.pkts_toclient = answered ? 1 : 0;
	r.bytes_toclient = answered ? 28 : 0;
	r.app_proto = "icmp";
	r.ndpi_protocol = "ICMP";
	r.state = answered ? "established" : "new";
	return r;
}

static struct flow_record ntp_sync(const char *src, const char *server, uint64_t t)
{
	struct flow_record r = flow(src, 123, server, 123, IPPROTO_UDP, t, 30000);
	r.pkts_toserver = 1;
	r.pkts_toclient = 1;
	r.bytes_toserver = 76;
	r.bytes_toclient = 76;
	r.app_proto = "ntp";
	r.ndpi_protocol = "NTP";
	return r;
}

/* deterministic pseudo-random numbers */
static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rnd_label(char *out, size_t len, const char *alphabet)
{
	size_t an = strlen(alphabet);

	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[rnd() % an];
	out[len] = '\0';
}

static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char HEX[] = "0123456789abcdef";

/* ---- detector set basics ------------------------------------------------------------- */

static void test_no_config_is_silent(void **state)
{
	struct behav *b = behav_new(NULL);
	struct got g = { 0 };
	struct behav_counters c;

	(void)state;
	assert_int_equal(behav_enabled(b), 0);
	for (int p = 1; p <= 100; p++) {
		struct flow_record r = syn_unanswered("192.0.2.7", "10.0.0.5", (uint16_t)p, T0 + (uint64_t)p * 1000);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 0);
	assert_int_equal(c.dropped, 0);
	behav_free(b);
}

static void test_detector_names(void **state)
{
	(void)state;
	assert_string_equal(behav_detector_name(BEHAV_PORTSCAN), "portscan");
	assert_string_equal(behav_detector_name(BEHAV_HOSTSWEEP), "hostsweep");
	assert_string_equal(behav_detector_name(BEHAV_DNS_TUNNEL), "dns_tunnel");
	assert_string_equal(behav_detector_name(BEHAV_BEACON), "beacon");
	assert_string_equal(behav_detector_name(BEHAV_EXFIL), "exfil");
	assert_string_equal(behav_detector_name(BEHAV_BRUTEFORCE), "bruteforce");
	assert_null(behav_detector_name(0));
	assert_null(behav_detector_name(BEHAV__COUNT));
}

static void test_example_config_loads(void **state)
{
	struct behav *b;

	(void)state;
	b = with_example_conf();
	assert_int_equal(behav_enabled(b), 6);
	behav_free(b);
}

/* ---- portscan ---------------------------------------------------------------------- */

static const uint16_t scan_ports[] = {
	21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995,
	1723, 3306, 3389, 5900, 8080, 1025, 8443, 199, 587, 8888, 1720, 465, 548, 113, 81,
};

/* 192.0.2.7 scans 10.0.0.5: the first n ports of scan_ports from t, 50 ms
 * apart. 22 and 80 are open, 443 and 3389 closed, the rest filtered. */
static uint64_t run_scan(struct behav *b, struct got *g, uint64_t t, int from, int n, uint64_t *ids)
{
	uint64_t last = 0;

	for (int i = from; i < from + n; i++) {
		uint16_t p = scan_ports[i % 30] + (uint16_t)(i / 30) * 1000;
		struct flow_record r = p == 22 || p == 80 ? syn_open("192.0.2.7", "10.0.0.5", p, t)
				     : p == 443 || p == 3389 ? syn_rst("192.0.2.7", "10.0.0.5", p, t)
				     : syn_unanswered("192.0.2.7", "10.0.0.5", p, t);
		if (ids)
			ids[i - from] = r.flow_id;
		behav_flow(b, &r, collect, g);
		last = r.end_us;
		t += 50000;
	}
	return last;
}

static void test_portscan_fires(void **state)
{
	struct behav *b = with_conf("[portscan]\nwindow = 60\nports = 25\n");
	struct got g = { 0 };
	uint64_t ids[25], end;

	(void)state;
	end = run_scan(b, &g, T0, 0, 24, ids);
	assert_int_equal(g.n, 0);
	end = run_scan(b, &g, T0 + 24 * 50000, 24, 1, ids + 24);
	assert_int_equal(g.n, 1);

	const struct alert *a = &g.v[0].a;
	assert_int_equal(a->engine, ALERT_DETECTOR);
	assert_int_equal(a->gid, GID_DETECTOR);
	assert_int_equal(a->sid, BEHAV_PORTSCAN);
	assert_int_equal(a->rev, 1);
	assert_string_equal(a->detector, "portscan");
	assert_string_equal(a->signature, "vigil portscan: one source probed many ports of one host");
	assert_string_equal(a->classtype, "attempted-recon");
	assert_string_equal(a->category, "Attempted Information Leak");
	assert_int_equal(a->severity, 3);
	assert_string_equal(a->src_ip, "192.0.2.7");
	assert_string_equal(a->dest_ip, "10.0.0.5");
	assert_int_equal(a->proto, IPPROTO_TCP);
	/* the 5-tuple of the flow that tipped the count */
	assert_int_equal(a->has_ports, 1);
	assert_string_equal(a->app_proto, "unknown"); /* the tipping flow's */
	assert_int_equal(a->ts_us, end);
	assert_string_equal(meta(&g.v[0], "ports"), "25");
	assert_string_equal(meta(&g.v[0], "window"), "60");
	assert_string_equal(meta(&g.v[0], "sample_ports"), "21,22,23,25,53,80,110,111,135,139");
	assert_string_equal(meta(&g.v[0], "unanswered"), "23"); /* all but the 2 open ports */
	assert_int_equal(a->n_flow_ids, 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(a->flow_ids[i], ids[9 + i]);
	behav_free(b);
}

static void test_portscan_once_per_window(void **state)
{
	struct behav *b = with_conf("[portscan]\nwindow = 60\nports = 25\n");
	struct got g = { 0 };

	(void)state;
	run_scan(b, &g, T0, 0, 25, NULL);
	assert_int_equal(g.n, 1);
	/* the scan goes on in the same window: nothing new */
	run_scan(b, &g, T0 + 10 * US, 25, 200, NULL);
	assert_int_equal(g.n, 1);
	/* the next window counts afresh */
	run_scan(b, &g, T0 + 61 * US, 300, 24, NULL);
	assert_int_equal(g.n, 1);
	run_scan(b, &g, T0 + 65 * US, 324, 1, NULL);
	assert_int_equal(g.n, 2);
	assert_string_equal(meta(&g.v[1], "ports"), "25");
	assert_true(g.v[1].a.ts_us > T0 + 65 * US);
	behav_free(b);
}

/* IPv6, TCP and UDP together; traceroute's UDP ports do not count */
static void test_portscan_ipv6_mixed(void **state)
{
	struct behav *b = with_conf("[portscan]\nports = 20\n");
	struct got g = { 0 };
	uint64_t t = T0;

	(void)state;
	for (int i = 0; i < 90; i++, t += 10000) { /* traceroute: 30 hops x 3 */
		struct flow_record r = flow("2001:db8::7", 50000, "fd00::5", (uint16_t)(33434 + i), IPPROTO_UDP, t, 0);
		r.pkts_toserver = 1;
		r.bytes_toserver = 80;
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	for (int i = 0; i < 10; i++, t += 10000) {
		struct flow_record r = syn_unanswered("2001:db8::7", "fd00::5", (uint16_t)(1000 + i), t);
		behav_flow(b, &r, collect, &g);
		r = flow("2001:db8::7", 50001, "fd00::5", (uint16_t)(2000 + i), IPPROTO_UDP, t, 0);
		r.pkts_toserver = 1;
		r.bytes_toserver = 48;
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0].a.src_ip, "2001:db8::7");
	assert_string_equal(g.v[0].a.dest_ip, "fd00::5");
	/* the tipping flow's protocol; both kinds of probe counted */
	assert_true(g.v[0].a.proto == IPPROTO_TCP || g.v[0].a.proto == IPPROTO_UDP);
	assert_string_equal(meta(&g.v[0], "ports"), "20");
	assert_string_equal(meta(&g.v[0], "unanswered"), "20");
	assert_string_equal(meta(&g.v[0], "window"), "120");
	behav_free(b);
}

/* A browser, a domain member, DNS and NTP: no scan. */
static void office_portscan_traffic(struct behav *b, struct got *g)
{
	static const uint16_t dc_ports[] = { 53, 88, 135, 389, 445, 464, 636, 3268, 9389, 49664, 49667, 49670 };
	uint64_t t = T0;

	for (int i = 0; i < 30; i++) { /* 30 parallel connections to one CDN host */
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(51000 + i), "151.101.1.69", 443,
						   t + (uint64_t)i * 20000, 8 * US, 4000, 250000, "tls", "TLS.Fastly");
		behav_flow(b, &r, collect, g);
	}
	for (int i = 0; i < 12; i++) { /* a Windows client and its domain controller */
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(52000 + i), "10.0.0.2", dc_ports[i],
						   t + (uint64_t)i * US, 2 * US, 3000, 5000, "unknown", "Unknown");
		if (dc_ports[i] == 53 || dc_ports[i] == 88 || dc_ports[i] == 389 || dc_ports[i] == 464) {
			struct flow_record u = flow("10.0.0.23", (uint16_t)(53000 + i), "10.0.0.2", dc_ports[i],
						    IPPROTO_UDP, t + (uint64_t)i * US, 5000);
			u.pkts_toserver = u.pkts_toclient = 1;
			u.bytes_toserver = 80;
			u.bytes_toclient = 300;
			behav_flow(b, &u, collect, g);
		}
		behav_flow(b, &r, collect, g);
	}
	for (int i = 0; i < 60; i++) { /* DNS every few seconds */
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", "www.example.com", 1, t + (uint64_t)i * 2 * US);
		behav_flow(b, &r, collect, g);
	}
	for (int i = 0; i < 40; i++) { /* passive FTP: a new server port per transfer */
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(54000 + i), "10.0.0.9",
						   (uint16_t)(50000 + i * 7), t + (uint64_t)i * US, 500000,
						   200, 40000, "ftp_data", "FTP_DATA");
		behav_flow(b, &r, collect, g);
	}
	struct flow_record n = ntp_sync("10.0.0.23", "10.0.0.2", t);
	behav_flow(b, &n, collect, g);
}

static void test_portscan_office_quiet(void **state)
{
	struct behav *b = with_conf("[portscan]\n");
	struct got g = { 0 };

	(void)state;
	office_portscan_traffic(b, &g);
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* ---- hostsweep ----------------------------------------------------------------------- */

static void test_hostsweep_fires(void **state)
{
	struct behav *b = with_conf("[hostsweep]\nhosts = 50\nwindow = 300\n");
	struct got g = { 0 };
	char dst[46];
	uint64_t t = T0, last = 0;

	(void)state;
	/* ping sweep of 10.0.1.0/24 from 10.0.0.66, every third host alive */
	for (int h = 1; h <= 49; h++, t += 20000) {
		snprintf(dst, sizeof dst, "10.0.1.%d", h);
		struct flow_record r = icmp_echo("10.0.0.66", dst, t, h % 3 == 0);
		behav_flow(b, &r, collect, &g);
		/* a second ping to a host already counted changes nothing */
		r = icmp_echo("10.0.0.66", dst, t + 1000, h % 3 == 0);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	struct flow_record r = icmp_echo("10.0.0.66", "10.0.1.50", t, 0);
	behav_flow(b, &r, collect, &g);
	last = r.end_us;
	assert_int_equal(g.n, 1);

	const struct alert *a = &g.v[0].a;
	assert_string_equal(a->detector, "hostsweep");
	assert_int_equal(a->sid, BEHAV_HOSTSWEEP);
	assert_int_equal(a->gid, GID_DETECTOR);
	assert_string_equal(a->signature, "vigil hostsweep: one source probed many hosts");
	assert_string_equal(a->classtype, "attempted-recon");
	assert_string_equal(a->src_ip, "10.0.0.66");
	assert_string_equal(a->dest_ip, "10.0.1.50"); /* the 50th host: the tipping flow */
	assert_int_equal(a->proto, IPPROTO_ICMP);
	assert_int_equal(a->has_ports, 0);
	assert_int_equal(a->ts_us, last);
	assert_string_equal(meta(&g.v[0], "hosts"), "50");
	assert_string_equal(meta(&g.v[0], "window"), "300");
	assert_string_equal(meta(&g.v[0], "protocols"), "icmp:50,tcp:0,udp:0");
	assert_int_equal(a->n_flow_ids, 16);
	assert_int_equal(a->flow_ids[15], r.flow_id);

	/* the sweep goes on: muted until the window ends */
	for (int h = 51; h <= 254; h++) {
		snprintf(dst, sizeof dst, "10.0.1.%d", h);
		struct flow_record x = icmp_echo("10.0.0.66", dst, t + (uint64_t)h * 1000, 0);
		behav_flow(b, &x, collect, &g);
	}
	assert_int_equal(g.n, 1);
	behav_free(b);
}

/* TCP SYN sweep on 445 (the worm case), mixed with UDP probes */
static void test_hostsweep_tcp_udp(void **state)
{
	struct behav *b = with_conf("[hostsweep]\nhosts = 40\n");
	struct got g = { 0 };
	char dst[46];

	(void)state;
	for (int h = 0; h < 40; h++) {
		snprintf(dst, sizeof dst, "198.51.100.%d", h + 1);
		struct flow_record r = h % 4 == 3 ? flow("10.0.0.77", 40000, dst, 1434, IPPROTO_UDP, T0 + (uint64_t)h * 1000, 0)
			: h % 4 == 2 ? syn_open("10.0.0.77", dst, 445, T0 + (uint64_t)h * 1000)
			: h % 4 == 1 ? syn_rst("10.0.0.77", dst, 445, T0 + (uint64_t)h * 1000)
			: syn_unanswered("10.0.0.77", dst, 445, T0 + (uint64_t)h * 1000);
		if (r.proto == IPPROTO_UDP) {
			r.pkts_toserver = 1;
			r.bytes_toserver = 404;
		}
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].a.proto, IPPROTO_UDP); /* the tipping flow's */
	assert_string_equal(meta(&g.v[0], "protocols"), "icmp:0,tcp:30,udp:10");
	assert_string_equal(meta(&g.v[0], "hosts"), "40");
	assert_string_equal(meta(&g.v[0], "window"), "300");
	behav_free(b);
}

static void test_hostsweep_office_quiet(void **state)
{
	struct behav *b = with_conf("[hostsweep]\n");
	struct got g = { 0 };
	char dst[46];
	uint64_t t = T0;

	(void)state;
	/* a browser on news sites: 300 distinct hosts in five minutes, all with data */
	for (int h = 0; h < 300; h++, t += US) {
		snprintf(dst, sizeof dst, "%d.%d.%d.%d", 23 + h % 100, h % 251, (h * 7) % 253, 1 + h % 250);
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(50000 + h), dst, 443, t, 5 * US,
						   1800, 60000, "tls", "TLS");
		behav_flow(b, &r, collect, &g);
	}
	/* the office resolver asks 300 authoritative servers, answered */
	for (int h = 0; h < 300; h++, t += 100000) {
		snprintf(dst, sizeof dst, "%d.%d.%d.%d", 192 + h % 8, h % 200, h % 250, 1 + h % 200);
		struct flow_record r = dns_query("10.0.0.53", dst, "www.example.com", 1, t);
		behav_flow(b, &r, collect, &g);
	}
	/* IPv6 neighbour discovery from the router's link-local address */
	for (int h = 1; h <= 100; h++) {
		snprintf(dst, sizeof dst, "2001:db8:1::%x", h);
		struct flow_record r = flow("fe80::1", 0, dst, 0, IPPROTO_ICMPV6, t + (uint64_t)h, 0);
		r.pkts_toserver = 1;
		r.bytes_toserver = 72;
		behav_flow(b, &r, collect, &g);
	}
	/* mDNS, SSDP, LLMNR, NetBIOS and DHCP go to groups */
	static const char *const groups[] = { "224.0.0.251", "239.255.255.250", "224.0.0.252",
					      "255.255.255.255", "ff02::fb", "ff02::1:3" };
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < 100; k++) {
			struct flow_record r = flow(i >= 4 ? "fd00::23" : "10.0.0.23", (uint16_t)(5353 + k),
						    groups[i], 5353, IPPROTO_UDP, t + (uint64_t)k, 0);
			r.pkts_toserver = 1;
			r.bytes_toserver = 100;
			behav_flow(b, &r, collect, &g);
		}
	/* happy eyeballs: a few handshakes that never carried data */
	for (int h = 0; h < 10; h++) {
		snprintf(dst, sizeof dst, "203.0.113.%d", h + 1);
		struct flow_record r = syn_open("10.0.0.23", dst, 443, t + (uint64_t)h * US);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* ---- dns_tunnel ------------------------------------------------------------------------- */

static void test_dns_tunnel_fires(void **state)
{
	struct behav *b = with_conf("[dns_tunnel]\n");
	struct got g = { 0 };
	char names[40][128];
	uint64_t t = T0, last = 0;

	(void)state;
	/* base32 chunks, 30 characters, one query a second (dnscat2-like) */
	for (int i = 0; i < 40; i++, t += US) {
		char lab[64];
		rnd_label(lab, 30, B32);
		snprintf(names[i], sizeof names[i], "%s.t.Evil-Tunnel.com.", lab);
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", names[i], 1, t);
		behav_flow(b, &r, collect, &g);
		/* a retransmission of the same name does not count again */
		if (i % 5 == 0) {
			r = dns_query("10.0.0.23", "10.0.0.53", names[i], 1, t + 500000);
			behav_flow(b, &r, collect, &g);
		}
		last = r.end_us;
		if (i < 39)
			assert_int_equal(g.n, 0);
	}
	assert_int_equal(g.n, 1);

	const struct alert *a = &g.v[0].a;
	char want[128];
	snprintf(want, sizeof want, "%.30s.t.evil-tunnel.com", names[0]);
	assert_string_equal(a->detector, "dns_tunnel");
	assert_int_equal(a->sid, BEHAV_DNS_TUNNEL);
	assert_string_equal(a->signature, "vigil dns_tunnel: many unusual DNS queries under one domain");
	assert_string_equal(a->classtype, "bad-unknown");
	assert_int_equal(a->severity, 2);
	assert_string_equal(a->src_ip, "10.0.0.23");
	assert_string_equal(a->dest_ip, "10.0.0.53"); /* the tipping query's server */
	assert_int_equal(a->proto, IPPROTO_UDP);
	assert_int_equal(a->ts_us, last);
	assert_string_equal(meta(&g.v[0], "domain"), "evil-tunnel.com");
	assert_string_equal(meta(&g.v[0], "queries"), "40");
	assert_string_equal(meta(&g.v[0], "window"), "300");
	assert_string_equal(meta(&g.v[0], "sample_query"), want);
	assert_int_equal(a->n_flow_ids, 16);
	behav_free(b);
}

/* TXT queries with short names, under a co.uk domain; long hex labels */
static void test_dns_tunnel_txt_and_long_labels(void **state)
{
	struct behav *b = with_conf("[dns_tunnel]\nqueries = 25\nwindow = 10m\n");
	struct got g = { 0 };
	char name[256];
	uint64_t t = T0;

	(void)state;
	for (int i = 0; i < 25; i++, t += 3 * US) {
		snprintf(name, sizeof name, "c%d.s%d.cmd.relay.co.uk", i, i * 7);
		struct flow_record r = dns_query("10.0.0.31", "8.8.8.8", name, 16, t);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_string_equal(meta(&g.v[0], "domain"), "relay.co.uk");
	assert_string_equal(meta(&g.v[0], "queries"), "25");
	assert_string_equal(meta(&g.v[0], "window"), "600");
	assert_string_equal(meta(&g.v[0], "sample_query"), "c0.s0.cmd.relay.co.uk");

	/* hex labels of 60 characters (entropy below 3.8, length above 40) */
	for (int i = 0; i < 25; i++, t += US) {
		char lab[64];
		rnd_label(lab, 60, HEX);
		snprintf(name, sizeof name, "%s.%d.x.exfil-example.net", lab, i);
		struct flow_record r = dns_query("10.0.0.32", "10.0.0.53", name, 5, t);
		r.proto = IPPROTO_TCP;
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 2);
	assert_string_equal(meta(&g.v[1], "domain"), "exfil-example.net");
	assert_int_equal(g.v[1].a.proto, IPPROTO_TCP);
	behav_free(b);
}

static void office_dns_traffic(struct behav *b, struct got *g, uint64_t t)
{
	static const char *const usual[] = {
		"www.example.com", "outlook.office365.com", "login.microsoftonline.com",
		"r3---sn-4g5e6nsz.googlevideo.com", "e1234.dscb.akamaiedge.net",
		"fe3cr.delivery.mp.microsoft.com", "ctldl.windowsupdate.com",
		"mesu.apple.com", "gs-loc.apple.com", "time.windows.com",
		"ec2-52-59-123-45.eu-central-1.compute.amazonaws.com",
		"googleads.g.doubleclick.net", "www.bbc.co.uk", "static.xx.fbcdn.net",
		"_ldap._tcp.default-first-site-name._sites.dc._msdcs.corp.example.com",
		"_kerberos._tcp.default-first-site-name._sites.corp.example.com",
		"wpad", "localhost",
	};
	char name[256];

	/* the same names over and over, every 30 s for an hour */
	for (int k = 0; k < 120; k++)
		for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++) {
			struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", usual[i], k % 2 ? 28 : 1,
							 t + (uint64_t)k * 30 * US + i * 1000);
			behav_flow(b, &r, collect, g);
		}
	/* CloudFront: 30 distinct 14-character random names */
	for (int i = 0; i < 30; i++) {
		char lab[32];
		rnd_label(lab, 14, "abcdefghijklmnopqrstuvwxyz0123456789");
		snprintf(name, sizeof name, "%s.cloudfront.net", lab);
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", name, 1, t + (uint64_t)i * US);
		behav_flow(b, &r, collect, g);
	}
	/* a mail server: SPF, DMARC and DKIM lookups for many mails */
	for (int i = 0; i < 200; i++) {
		static const char *const mail[] = { "spf.protection.outlook.com", "_dmarc.outlook.com",
						    "selector1._domainkey.outlook.com", "outlook.com" };
		struct flow_record r = dns_query("10.0.0.25", "10.0.0.53", mail[i % 4], 16, t + (uint64_t)i * US);
		behav_flow(b, &r, collect, g);
		snprintf(name, sizeof name, "_dmarc.sender%d.example", i);
		r = dns_query("10.0.0.25", "10.0.0.53", name, 16, t + (uint64_t)i * US);
		behav_flow(b, &r, collect, g);
	}
	/* IPv6 reverse lookups: 32 hex nibbles each, all distinct */
	for (int i = 0; i < 100; i++) {
		char rev[128] = "";
		size_t pos = 0;
		for (int k = 0; k < 32; k++)
			pos += (size_t)snprintf(rev + pos, sizeof rev - pos, "%c.", HEX[rnd() % 16]);
		snprintf(name, sizeof name, "%sip6.arpa", rev);
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", name, 12, t + (uint64_t)i * US);
		behav_flow(b, &r, collect, g);
	}
}

static void test_dns_tunnel_office_quiet(void **state)
{
	struct behav *b = with_conf("[dns_tunnel]\n");
	struct got g = { 0 };

	(void)state;
	office_dns_traffic(b, &g, T0);
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* antivirus hash lookups look like a tunnel: ignore_domains */
static void test_dns_tunnel_ignore_domains(void **state)
{
	struct behav *b = with_conf("[dns_tunnel]\nignore_domains = sophosxl.net\n");
	struct got g = { 0 };
	char name[256];

	(void)state;
	for (int i = 0; i < 100; i++) {
		char lab[64];
		rnd_label(lab, 40, HEX);
		snprintf(name, sizeof name, "1.%s.sxl3.sophosxl.net", lab);
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", name, 1, T0 + (uint64_t)i * US);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* ---- beacon ------------------------------------------------------------------------------- */

static const int jitter_ms[] = { 0, 1200, -800, 400, -1500, 900, -300, 1100, -600, 200, 700, -1000 };

static void test_beacon_fires(void **state)
{
	struct behav *b = with_conf("[beacon]\n");
	struct got g = { 0 };
	uint64_t ids[12];

	(void)state;
	for (int i = 0; i < 12; i++) {
		uint64_t t = T0 + (uint64_t)i * 60 * US + (uint64_t)((int64_t)jitter_ms[i] * 1000);
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(50000 + i), "198.51.100.7", 443, t,
						   1500000, 1200, 4300, "tls", "TLS");
		ids[i] = r.flow_id;
		behav_flow(b, &r, collect, &g);
		if (i == 7) {
			assert_int_equal(g.n, 1);
			assert_int_equal(g.v[0].a.ts_us, r.end_us);
		}
	}
	assert_int_equal(g.n, 1); /* muted for the rest of the window */

	const struct alert *a = &g.v[0].a;
	assert_string_equal(a->detector, "beacon");
	assert_int_equal(a->sid, BEHAV_BEACON);
	assert_int_equal(a->gid, GID_DETECTOR);
	assert_string_equal(a->src_ip, "10.0.0.23");
	assert_string_equal(a->dest_ip, "198.51.100.7");
	assert_int_equal(a->proto, IPPROTO_TCP);
	assert_int_equal(a->has_ports, 1);
	assert_int_equal(a->dest_port, 443);
	assert_string_equal(meta(&g.v[0], "interval"), "60");
	assert_string_equal(meta(&g.v[0], "connections"), "8");
	assert_string_equal(meta(&g.v[0], "window"), "3600");
	double jitter = atof(meta(&g.v[0], "jitter"));
	assert_true(jitter > 0.0 && jitter < 0.05);
	assert_string_equal(a->signature, "vigil beacon: connections to one server at a regular interval");
	assert_int_equal(a->n_flow_ids, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(a->flow_ids[i], ids[i]);
	behav_free(b);
}

/* regular check-ins after irregular ones; the record order is not the
 * start order; parallel connections of one check-in merge */
static void test_beacon_suffix_and_order(void **state)
{
	struct behav *b = with_conf("[beacon]\nmin_connections = 6\nmax_jitter = 0.05\nmin_interval = 30\n");
	struct got g = { 0 };
	static const int irregular_s[] = { 0, 7, 190, 260, 1000 };
	uint64_t base = T0 + 1200 * US;

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct flow_record r = tcp_session("10.0.0.40", 50000, "203.0.113.80", 8080,
						   T0 + (uint64_t)irregular_s[i] * US, US, 500, 800, "http", "HTTP");
		behav_flow(b, &r, collect, &g);
	}
	/* every 120 s; each check-in opens two connections 200 ms apart;
	 * the records of 2 and 3 arrive swapped */
	static const int order[] = { 0, 1, 3, 2, 4, 5 };
	for (int k = 0; k < 6; k++) {
		int i = order[k];
		uint64_t t = base + (uint64_t)i * 120 * US;
		struct flow_record r = tcp_session("10.0.0.40", 50000, "203.0.113.80", 8080, t, US, 500, 800, "http", "HTTP");
		struct flow_record r2 = tcp_session("10.0.0.40", 50001, "203.0.113.80", 8080, t + 200000, US, 500, 800, "http", "HTTP");
		behav_flow(b, &r, collect, &g);
		behav_flow(b, &r2, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_string_equal(meta(&g.v[0], "interval"), "120");
	assert_string_equal(meta(&g.v[0], "connections"), "6");
	assert_string_equal(meta(&g.v[0], "jitter"), "0.000");
	assert_string_equal(g.v[0].a.signature,
			    "vigil beacon: connections to one server at a regular interval");
	behav_free(b);
}

static void test_beacon_office_quiet(void **state)
{
	struct behav *b = with_conf("[beacon]\n");
	struct got g = { 0 };

	(void)state;
	for (int i = 0; i < 60; i++) { /* NTP every 64 s for an hour */
		struct flow_record r = ntp_sync("10.0.0.23", "162.159.200.1", T0 + (uint64_t)i * 64 * US);
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 120; i++) { /* the same DNS lookup every 30 s, same source port */
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", "www.example.com", 1, T0 + (uint64_t)i * 30 * US);
		r.src_port = 5353;
		behav_flow(b, &r, collect, &g);
	}
	/* a browser: 30 parallel connections to one CDN host, page after page */
	static const int page_s[] = { 0, 45, 175, 237, 437, 525, 676, 716, 1016, 1091, 1211,
				      1250, 1400, 1466, 1700, 1760, 1900, 2010, 2222, 2500 };
	for (int page = 0; page < 20; page++) {
		uint64_t t = T0 + (uint64_t)page_s[page] * US;
		for (int i = 0; i < 30; i++) {
			struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(50000 + page * 30 + i), "151.101.1.69", 443,
							   t + (uint64_t)i * 30000, 20 * US, 3000, 90000, "tls", "TLS.Fastly");
			behav_flow(b, &r, collect, &g);
		}
	}
	for (int i = 0; i < 40; i++) { /* a chat client polling every 5 s */
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(40000 + i), "203.0.113.5", 443,
						   T0 + (uint64_t)i * 5 * US, 200000, 900, 1500, "tls", "TLS");
		behav_flow(b, &r, collect, &g);
	}
	/* Windows update checks at irregular times */
	static const int wu_s[] = { 0, 211, 1390, 1502, 2000, 2410, 2900, 3300, 3500 };
	for (int i = 0; i < 9; i++) {
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(45000 + i), "20.190.160.1", 443,
						   T0 + (uint64_t)wu_s[i] * US, 3 * US, 5000, 30000, "tls", "TLS.WindowsUpdate");
		behav_flow(b, &r, collect, &g);
	}
	/* Dropbox LAN sync broadcast every 30 s */
	for (int i = 0; i < 100; i++) {
		struct flow_record r = flow("10.0.0.23", 17500, "255.255.255.255", 17500, IPPROTO_UDP,
					    T0 + (uint64_t)i * 30 * US, 0);
		r.pkts_toserver = 1;
		r.bytes_toserver = 200;
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* skip_apps trusts nDPI's DPI, not its guess from the port */
static void test_beacon_guessed_app_not_skipped(void **state)
{
	struct behav *b = with_conf("[beacon]\n");
	struct got g = { 0 };

	(void)state;
	for (int i = 0; i < 8; i++) {
		struct flow_record r = flow("10.0.0.23", (uint16_t)(41000 + i), "198.51.100.123", 123, IPPROTO_UDP,
					    T0 + (uint64_t)i * 300 * US, 2 * US);
		r.pkts_toserver = r.pkts_toclient = 3;
		r.bytes_toserver = 900;
		r.bytes_toclient = 1400;
		r.app_proto = "ntp";
		r.ndpi_protocol = "NTP";
		r.guessed = 1;
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].a.dest_port, 123);
	assert_int_equal(g.v[0].a.proto, IPPROTO_UDP);
	assert_string_equal(meta(&g.v[0], "interval"), "300");
	behav_free(b);
}

/* ---- exfil ----------------------------------------------------------------------------------- */

static struct flow_record upload_piece(uint64_t id, uint64_t start, uint64_t t, uint64_t bytes, int interim)
{
	struct flow_record r = tcp_session("10.0.0.23", 51515, "203.0.113.50", 443, start, t - start,
					   bytes, bytes / 40, "tls", "TLS");
	r.flow_id = id;
	r.end_us = t;
	r.interim = interim;
	r.reason = interim ? "active_timeout" : "timeout";
	r.state = "established";
	return r;
}

static void test_exfil_fires(void **state)
{
	struct behav *b = with_conf("[exfil]\n");
	struct got g = { 0 };

	(void)state;
	/* flow 1: two interim checkpoints of 30 MB; flow 2: one of 30 MB, then more */
	struct flow_record r = upload_piece(7001, T0, T0 + 60 * US, 30000000, 1);
	behav_flow(b, &r, collect, &g);
	r = upload_piece(7001, T0, T0 + 120 * US, 30000000, 1);
	behav_flow(b, &r, collect, &g);
	r = upload_piece(7001, T0, T0 + 130 * US, 5000000, 0);
	behav_flow(b, &r, collect, &g);
	r = upload_piece(7002, T0 + 200 * US, T0 + 260 * US, 30000000, 1);
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 0); /* 95 MB */
	r = upload_piece(7002, T0 + 200 * US, T0 + 320 * US, 30000000, 1);
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 1);

	const struct alert *a = &g.v[0].a;
	assert_string_equal(a->detector, "exfil");
	assert_int_equal(a->sid, BEHAV_EXFIL);
	assert_string_equal(a->signature, "vigil exfil: an inside host sent unusually many bytes out");
	assert_string_equal(a->classtype, "policy-violation");
	assert_string_equal(a->src_ip, "10.0.0.23");
	assert_string_equal(a->dest_ip, "203.0.113.50");
	assert_int_equal(a->proto, IPPROTO_TCP);
	assert_int_equal(a->has_ports, 1);
	assert_int_equal(a->ts_us, T0 + 320 * US);
	assert_string_equal(meta(&g.v[0], "bytes"), "125000000");
	assert_string_equal(meta(&g.v[0], "window"), "3600");
	assert_string_equal(meta(&g.v[0], "flows"), "2");
	assert_int_equal(a->n_flow_ids, 2);
	assert_int_equal(a->flow_ids[0], 7001);
	assert_int_equal(a->flow_ids[1], 7002);

	/* more in the same hour: muted; the next hour counts again */
	r = upload_piece(7002, T0 + 200 * US, T0 + 900 * US, 300000000, 1);
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 1);
	r = upload_piece(7002, T0 + 200 * US, T0 + 3700 * US, 150000000, 0);
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(meta(&g.v[1], "bytes"), "150000000");
	assert_string_equal(meta(&g.v[1], "flows"), "1");
	behav_free(b);
}

static void test_exfil_office_quiet(void **state)
{
	struct behav *b = with_conf("[exfil]\n");
	struct got g = { 0 };

	(void)state;
	/* a long HTTPS download: 4 GB in, 40 MB of ACKs and requests out */
	for (int i = 0; i < 40; i++) {
		struct flow_record r = tcp_session("10.0.0.23", 50000, "151.101.1.69", 443, T0, (uint64_t)(i + 1) * 60 * US,
						   1000000, 100000000, "tls", "TLS.Fastly");
		r.flow_id = 8001;
		r.interim = i < 39;
		behav_flow(b, &r, collect, &g);
	}
	/* an upload just under the threshold */
	struct flow_record r = tcp_session("10.0.0.23", 50001, "203.0.113.60", 443, T0, 600 * US,
					   99000000, 900000, "tls", "TLS.GoogleDrive");
	behav_flow(b, &r, collect, &g);
	/* a backup inside the office */
	r = tcp_session("10.0.0.23", 50002, "10.0.0.9", 445, T0, 900 * US, 5000000000ULL, 9000000, "smbv23", "SMBv23");
	behav_flow(b, &r, collect, &g);
	/* someone outside uploads to the office web server */
	r = tcp_session("198.51.100.9", 50003, "10.0.0.80", 443, T0, 900 * US, 500000000, 900000, "tls", "TLS");
	behav_flow(b, &r, collect, &g);
	/* an hour-long Teams call: 700 MB up to the media relay */
	for (int i = 0; i < 60; i++) {
		r = flow("10.0.0.23", 50020, "52.112.0.10", 3478, IPPROTO_UDP, T0, (uint64_t)(i + 1) * 60 * US);
		r.flow_id = 8002;
		r.interim = i < 59;
		r.pkts_toserver = r.pkts_toclient = 9000;
		r.bytes_toserver = 11700000;
		r.bytes_toclient = 11700000;
		r.app_proto = "stun";
		r.ndpi_protocol = "STUN.Teams";
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* ---- bruteforce ---------------------------------------------------------------------------- */

static struct flow_record login_attempt(const char *src, const char *dst, uint16_t port, uint64_t t,
					const char *app, const char *ndpi)
{
	struct flow_record r = tcp_session(src, (uint16_t)(40000 + t / US % 20000), dst, port, t, 2 * US,
					   2900, 3600, app, ndpi);
	r.pkts_toserver = 12;
	r.pkts_toclient = 10;
	return r;
}

static void test_bruteforce_fires(void **state)
{
	struct behav *b = with_conf("[bruteforce]\n");
	struct got g = { 0 };
	uint64_t t = T0;

	(void)state;
	for (int i = 0; i < 20; i++, t += 3 * US) {
		struct flow_record r = login_attempt("203.0.113.9", "10.0.0.22", 22, t, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
		if (i < 19)
			assert_int_equal(g.n, 0);
	}
	assert_int_equal(g.n, 1);

	const struct alert *a = &g.v[0].a;
	assert_string_equal(a->detector, "bruteforce");
	assert_int_equal(a->sid, BEHAV_BRUTEFORCE);
	assert_string_equal(a->signature, "vigil bruteforce: many short sessions to an authentication service");
	assert_string_equal(a->classtype, "attempted-user");
	assert_int_equal(a->severity, 2);
	assert_string_equal(a->src_ip, "203.0.113.9");
	assert_string_equal(a->dest_ip, "10.0.0.22");
	assert_int_equal(a->proto, IPPROTO_TCP);
	assert_int_equal(a->has_ports, 1);
	assert_int_equal(a->dest_port, 22);
	assert_string_equal(meta(&g.v[0], "sessions"), "20");
	assert_string_equal(meta(&g.v[0], "window"), "600");
	assert_string_equal(meta(&g.v[0], "port"), "22");
	assert_int_equal(a->n_flow_ids, 16);

	/* it goes on: once per window */
	for (int i = 0; i < 100; i++, t += 3 * US) {
		struct flow_record r = login_attempt("203.0.113.9", "10.0.0.22", 22, t, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	/* SSH on another port, recognised by nDPI; RDP on its port */
	for (int i = 0; i < 20; i++) {
		struct flow_record r = login_attempt("203.0.113.10", "10.0.0.22", 2222, T0 + (uint64_t)i * US, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
		r = login_attempt("203.0.113.11", "10.0.0.30", 3389, T0 + (uint64_t)i * US, "tls", "TLS");
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[1].a.dest_port, 2222);
	assert_int_equal(g.v[2].a.dest_port, 3389);
	behav_free(b);
}

static void test_bruteforce_office_quiet(void **state)
{
	struct behav *b = with_conf("[bruteforce]\n");
	struct got g = { 0 };

	(void)state;
	for (int i = 0; i < 30; i++) { /* admins: SSH sessions that last */
		struct flow_record r = tcp_session("10.0.0.5", (uint16_t)(50000 + i), "10.0.0.22", 22,
						   T0 + (uint64_t)i * 10 * US, 1800 * US, 90000, 400000, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 30; i++) { /* scp of big files: short but large */
		struct flow_record r = tcp_session("10.0.0.5", (uint16_t)(51000 + i), "10.0.0.22", 22,
						   T0 + (uint64_t)i * 10 * US, 4 * US, 5000000, 20000, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 5; i++) { /* five quick logins */
		struct flow_record r = login_attempt("10.0.0.6", "10.0.0.22", 22, T0 + (uint64_t)i * 60 * US, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 10; i++) { /* a mail client polling POP3 every minute */
		struct flow_record r = login_attempt("10.0.0.23", "10.0.0.25", 110, T0 + (uint64_t)i * 60 * US, "pop3", "POP3");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 50; i++) { /* short HTTPS requests */
		struct flow_record r = login_attempt("10.0.0.23", "151.101.1.69", 443, T0 + (uint64_t)i * US, "tls", "TLS");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 50; i++) { /* a port probe is not a login */
		struct flow_record r = syn_open("192.0.2.7", "10.0.0.22", 22, T0 + (uint64_t)i * US);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_free(b);
}

/* ---- interim records, ignore lists, disabled detectors ------------------------------------ */

static void test_interim_only_for_exfil(void **state)
{
	struct behav *b = with_conf("[portscan]\nports = 5\n[bruteforce]\nsessions = 2\n");
	struct got g = { 0 };

	(void)state;
	for (int p = 1; p <= 10; p++) {
		struct flow_record r = syn_unanswered("192.0.2.7", "10.0.0.5", (uint16_t)p, T0 + (uint64_t)p);
		r.interim = 1;
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_free(b);
}

static void test_ignore_lists(void **state)
{
	struct behav *b = with_conf("[portscan]\nports = 25\n"
				    "ignore = 192.0.2.0/28, 2001:db8::/32,\n"
				    "  10.9.9.9 ; the vulnerability scanner\n"
				    "ignore = 10.0.0.99\n"
				    "[bruteforce]\nignore = 10.0.0.22\n");
	struct got g = { 0 };

	(void)state;
	run_scan(b, &g, T0, 0, 30, NULL); /* 192.0.2.7: the CERT's own scanner */
	for (int p = 1; p <= 30; p++) {
		struct flow_record r = syn_unanswered("10.9.9.9", "10.0.0.5", (uint16_t)p, T0);
		behav_flow(b, &r, collect, &g);
		r = syn_unanswered("2001:db8::1", "fd00::5", (uint16_t)p, T0);
		behav_flow(b, &r, collect, &g);
		r = syn_unanswered("10.0.0.50", "10.0.0.99", (uint16_t)p, T0); /* an ignored target */
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 30; i++) {
		struct flow_record r = login_attempt("203.0.113.9", "10.0.0.22", 22, T0 + (uint64_t)i * US, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	/* someone else scanning is reported */
	for (int p = 1; p <= 25; p++) {
		struct flow_record r = syn_unanswered("192.0.2.77", "10.0.0.5", (uint16_t)p, T0);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0].a.src_ip, "192.0.2.77");
	behav_free(b);
}

static void test_disabled_detector_silent(void **state)
{
	struct behav *b = with_conf("# portscan is off, hostsweep on with defaults\n"
				    "[portscan]\nenabled = no\nports = 5\n[hostsweep]\nhosts = 1000\n");
	struct got g = { 0 };
	struct behav_counters c;

	(void)state;
	assert_int_equal(behav_enabled(b), 1);
	run_scan(b, &g, T0, 0, 30, NULL);
	for (int i = 0; i < 20; i++) { /* beacon and bruteforce have no section: off */
		struct flow_record r = login_attempt("203.0.113.9", "10.0.0.22", 22, T0 + (uint64_t)i * 60 * US, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 0);
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 1); /* hostsweep: the scanner (logins are no probes) */
	behav_free(b);
}

/* ---- bounded tables -------------------------------------------------------------------------- */

static void test_table_bound_and_expire(void **state)
{
	struct behav *b = with_conf("[hostsweep]\nmax_tracked = 16\nhosts = 3\nwindow = 60\n");
	struct got g = { 0 };
	struct behav_counters c;
	char src[46];

	(void)state;
	/* 40 sources probe one host each: 16 tracked, 24 dropped */
	for (int s = 0; s < 40; s++) {
		snprintf(src, sizeof src, "198.51.100.%d", s + 1);
		struct flow_record r = icmp_echo(src, "10.0.0.1", T0 + (uint64_t)s * US, 0);
		behav_flow(b, &r, collect, &g);
	}
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 16);
	assert_int_equal(c.dropped, 24);
	/* the oldest went: source 1 starts again from one host, 40 still counts */
	static const char *const dsts[] = { "10.0.0.2", "10.0.0.3" };
	for (int k = 0; k < 2; k++) {
		struct flow_record r = icmp_echo("198.51.100.1", dsts[k], T0 + 41 * US, 0);
		behav_flow(b, &r, collect, &g);
		r = icmp_echo("198.51.100.40", dsts[k], T0 + 41 * US, 0);
		behav_flow(b, &r, collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0].a.src_ip, "198.51.100.40");
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 16);
	assert_int_equal(c.dropped, 25);

	/* windows end in packet time: the early ones go first */
	behav_expire(b, T0 + 60 * US + 30 * US);
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 10); /* sources 32..40 and 1 (reopened at +41 s) */
	behav_expire(b, T0 + 200 * US);
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 0);
	assert_int_equal(c.dropped, 25);
	behav_free(b);
}

/* a full table first reclaims windows that ended: not dropped */
static void test_full_table_reclaims_ended_windows(void **state)
{
	struct behav *b = with_conf("[portscan]\nmax_tracked = 16\nwindow = 60\n");
	struct behav_counters c;
	struct got g = { 0 };
	char src[46];

	(void)state;
	for (int round = 0; round < 3; round++)
		for (int s = 0; s < 16; s++) {
			snprintf(src, sizeof src, "198.51.100.%d", round * 16 + s + 1);
			struct flow_record r = syn_unanswered(src, "10.0.0.1", 80, T0 + (uint64_t)round * 120 * US);
			behav_flow(b, &r, collect, &g);
		}
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 16);
	assert_int_equal(c.dropped, 0);
	behav_free(b);
}

/* the state is bounded under a flood of spoofed sources, and a real
 * scanner is still found */
static void test_flood_keeps_bound(void **state)
{
	struct behav *b = with_conf("[portscan]\nmax_tracked = 1000\nports = 25\n"
				    "[hostsweep]\nmax_tracked = 1000\n[beacon]\nmax_tracked = 1000\n"
				    "[bruteforce]\nmax_tracked = 1000\n[exfil]\nmax_tracked = 1000\n"
				    "[dns_tunnel]\nmax_tracked = 1000\n");
	struct got g = { 0 };
	struct behav_counters c;
	char src[46];

	(void)state;
	for (int s = 0; s < 20000; s++) {
		snprintf(src, sizeof src, "100.%d.%d.%d", s >> 16, (s >> 8) & 255, s & 255);
		struct flow_record r = syn_unanswered(src, "10.0.0.5", 80, T0 + (uint64_t)s * 100);
		behav_flow(b, &r, collect, &g);
	}
	behav_get_counters(b, &c);
	assert_int_equal(c.tracked, 3000); /* portscan, hostsweep, beacon */
	assert_int_equal(c.dropped, 3 * 19000);
	run_scan(b, &g, T0 + 3 * US, 0, 25, NULL);
	assert_int_equal(g.n, 1);
	behav_free(b);
}

/* ---- detectors.conf problems ----------------------------------------------------------------- */

static void expect_problem(const struct probs *p, int line, const char *text)
{
	for (int i = 0; i < p->n && i < 32; i++)
		if (p->line[i] == line && strstr(p->msg[i], text))
			return;
	for (int i = 0; i < p->n && i < 32; i++)
		print_message("  problem %d: line %d: %s\n", i, p->line[i], p->msg[i]);
	fail_msg("no problem at line %d with '%s'", line, text);
}

static void test_config_errors(void **state)
{
	struct behav *b = with_conf("[portscan]\nports = 5\n");
	struct probs p;
	struct got g = { 0 };
	static const char text[] =
		"window = 60\n"                              /* 1 */
		"[portscan]\n"                               /* 2 */
		"ports = many\n"                             /* 3 */
		"colour = blue\n"                            /* 4 */
		"[nosuch]\n"                                 /* 5 */
		"foo = 1\n"                                  /* 6 */
		"[hostsweep]\n"                              /* 7 */
		"hosts = 1\n"                                /* 8 */
		"ignore = 10.0.0.0/33\n"                     /* 9 */
		"window = 10x\n"                             /* 10 */
		"this line is bad\n"                         /* 11 */
		"  [beacon]\n"                               /* 12 */
		"max_jitter = -1\n"                          /* 13 */
		"[bruteforce\n"                              /* 14 */
		"[bruteforce]\n"                             /* 15 */
		"ports = 22, 70000\n"                        /* 16 */
		"enabled = maybe\n"                          /* 17 */
		"apps = ssh, t!lnet\n"                       /* 18 */
		"severity = 5\n"                             /* 19 */
		"[exfil]\n"                                  /* 20 */
		"bytes = 100 MB\n"                           /* 21 */
		"bytes = lots\n"                             /* 22 */
		"window = 8d\n";                             /* 23 */

	(void)state;
	assert_int_equal(load_text(b, text, &p), -1);
	expect_problem(&p, 1, "setting 'window' outside a section");
	expect_problem(&p, 3, "bad value 'many' for ports in [portscan]: expected a whole number from 2 to 1024");
	expect_problem(&p, 4, "unknown setting 'colour' in [portscan]");
	expect_problem(&p, 5, "unknown detector 'nosuch'");
	expect_problem(&p, 8, "bad value '1' for hosts in [hostsweep]");
	expect_problem(&p, 9, "bad address in ignore of [hostsweep]: '10.0.0.0/33': bad prefix length");
	expect_problem(&p, 10, "bad value '10x' for window in [hostsweep]");
	expect_problem(&p, 11, "syntax error");
	expect_problem(&p, 13, "bad value '-1' for max_jitter in [beacon]");
	expect_problem(&p, 14, "syntax error: section header without ']'");
	expect_problem(&p, 16, "bad port '70000' in ports of [bruteforce]");
	expect_problem(&p, 17, "bad value 'maybe' for enabled in [bruteforce]: expected yes or no");
	expect_problem(&p, 18, "bad application name 't!lnet' in apps of [bruteforce]");
	expect_problem(&p, 19, "bad value '5' for severity in [bruteforce]");
	expect_problem(&p, 22, "bad value 'lots' for bytes in [exfil]");
	expect_problem(&p, 23, "bad value '8d' for window in [exfil]");
	assert_int_equal(p.n, 16);
	assert_string_equal(p.file[0], conf_path);

	/* nothing of it applies: the portscan configured before still runs */
	assert_int_equal(behav_enabled(b), 1);
	run_scan(b, &g, T0, 0, 5, NULL);
	assert_int_equal(g.n, 1);
	behav_free(b);
}

static void test_config_file_problems(void **state)
{
	struct behav *b = behav_new(NULL);
	struct probs p = { 0 };
	char longline[5000];

	(void)state;
	assert_int_equal(behav_load_config(b, "/nonexistent/detectors.conf", on_problem, &p), -1);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.line[0], 0);
	assert_non_null(strstr(p.msg[0], "cannot open"));

	/* a beacon that cannot fit in its window */
	assert_int_equal(load_text(b, "[portscan]\n\n[beacon]\nwindow = 5m\nmin_interval = 60\n", &p), -1);
	assert_int_equal(p.n, 1);
	expect_problem(&p, 3, "beacon can never fire");

	memset(longline, 'x', sizeof longline);
	memcpy(longline, "ignore = ", 9);
	longline[sizeof longline - 1] = '\0';
	char text[5200];
	snprintf(text, sizeof text, "[portscan]\n%s\nports = 30\n", longline);
	assert_int_equal(load_text(b, text, &p), -1);
	assert_int_equal(p.n, 1);
	expect_problem(&p, 2, "line longer than");
	assert_int_equal(behav_enabled(b), 0);
	behav_free(b);
}

/* units, comments, case, BOM, indentation and continued lists */
static void test_config_syntax_variants(void **state)
{
	struct behav *b = with_conf("\xEF\xBB\xBF; vigil\n"
				    "[ Exfil ]\n"
				    "    bytes = 1 KiB   # a kibibyte\n"
				    "    window = 2m ; two minutes\n"
				    "    skip_apps = TLS\n"
				    "[bruteforce]\n"
				    "enabled = Yes\n"
				    "ports = 2222\n"
				    "ports = 2223,\n"
				    "        2224\n"
				    "apps =\n"
				    "max_duration = 500ms\n"
				    "max_bytes = 10k\n"
				    "sessions = 2\n");
	struct got g = { 0 };

	(void)state;
	assert_int_equal(behav_enabled(b), 2);
	struct flow_record r = tcp_session("10.0.0.23", 50000, "203.0.113.50", 22, T0, US, 1025, 100, "ssh", "SSH");
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(meta(&g.v[0], "bytes"), "1025");
	assert_string_equal(meta(&g.v[0], "window"), "120");
	r = tcp_session("10.0.0.23", 50000, "203.0.113.51", 443, T0, US, 5000, 100, "tls", "TLS");
	behav_flow(b, &r, collect, &g); /* skipped: tls */
	assert_int_equal(g.n, 1);
	for (int port = 2222; port <= 2224; port++)
		for (int i = 0; i < 2; i++) {
			r = login_attempt("198.51.100.1", "10.0.0.22", (uint16_t)port, T0 + (uint64_t)i * US, "ssh", "SSH");
			r.end_us = r.start_us + 400000;
			behav_flow(b, &r, collect, &g);
		}
	assert_int_equal(g.n, 4);
	r = login_attempt("198.51.100.1", "10.0.0.22", 22, T0, "ssh", "SSH"); /* 22 no longer listed, apps empty */
	r.end_us = r.start_us + 400000;
	behav_flow(b, &r, collect, &g);
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 4);
	behav_free(b);
}

/* "1k" is 1024 bytes, as in vigil.conf (one reader, conf.h): 1000 and
 * 1024 bytes stay under it, 1025 is over it. */
static void test_config_size_units(void **state)
{
	struct behav *b = with_conf("[exfil]\nbytes = 1k\nwindow = 1h\n");
	struct got g = { 0 };
	struct flow_record r;

	(void)state;
	r = tcp_session("10.0.0.23", 50000, "203.0.113.50", 443, T0, US, 1000, 100, "tls", "TLS");
	behav_flow(b, &r, collect, &g);
	r = tcp_session("10.0.0.24", 50000, "203.0.113.50", 443, T0, US, 1024, 100, "tls", "TLS");
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 0);
	r = tcp_session("10.0.0.25", 50000, "203.0.113.50", 443, T0, US, 1025, 100, "tls", "TLS");
	behav_flow(b, &r, collect, &g);
	assert_int_equal(g.n, 1);
	behav_free(b);
}

/* ---- the shipped configuration ----------------------------------------------------------------- */

static void test_example_office_day_quiet(void **state)
{
	struct behav *b = with_example_conf();
	struct got g = { 0 };

	(void)state;
	office_portscan_traffic(b, &g);
	office_dns_traffic(b, &g, T0);
	for (int i = 0; i < 60; i++) {
		struct flow_record r = ntp_sync("10.0.0.23", "162.159.200.1", T0 + (uint64_t)i * 64 * US);
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 12; i++) { /* Windows and macOS update checks, irregular */
		struct flow_record r = tcp_session("10.0.0.24", (uint16_t)(45000 + i), "17.253.144.10", 443,
						   T0 + (uint64_t)(i * i * 23 + i * 101) * US, 3 * US, 4000, 60000,
						   "tls", "TLS.Apple");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 10; i++) { /* DHCP renewals */
		struct flow_record r = flow("10.0.0.23", 68, "10.0.0.1", 67, IPPROTO_UDP, T0 + (uint64_t)i * 300 * US, 2000);
		r.pkts_toserver = r.pkts_toclient = 1;
		r.bytes_toserver = r.bytes_toclient = 328;
		r.app_proto = "dhcp";
		r.ndpi_protocol = "DHCP";
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 40; i++) { /* an hour of a long HTTPS download */
		struct flow_record r = tcp_session("10.0.0.23", 50000, "151.101.1.69", 443, T0, (uint64_t)(i + 1) * 90 * US,
						   800000, 100000000, "tls", "TLS.Fastly");
		r.flow_id = 9001;
		r.interim = i < 39;
		behav_flow(b, &r, collect, &g);
	}
	/* people start sessions and send mail at irregular times */
	static const int human_s[] = { 0, 31, 140, 162, 400, 611, 650, 1020, 1100, 1345,
				       1500, 1522, 1800, 2150, 2203, 2600, 2777, 3010, 3300, 3590 };
	for (int i = 0; i < 10; i++) { /* SSH sessions that last */
		struct flow_record r = tcp_session("10.0.0.5", (uint16_t)(50000 + i), "10.0.0.22", 22,
						   T0 + (uint64_t)human_s[i] * US, 1800 * US, 90000, 400000, "ssh", "SSH");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 20; i++) { /* SMTP deliveries from a big sender (port 25 not listed) */
		struct flow_record r = login_attempt("40.107.22.50", "10.0.0.25", 25, T0 + (uint64_t)human_s[i] * US / 6,
						     "smtp", "SMTP");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < g.n; i++)
		print_message("unexpected: %s\n", g.v[i].a.signature);
	assert_int_equal(g.n, 0);
	behav_free(b);
}

static void test_example_attacks_found(void **state)
{
	struct behav *b = with_example_conf();
	struct got g = { 0 };
	int seen[BEHAV__COUNT] = { 0 };
	char name[256], dst[46];

	(void)state;
	run_scan(b, &g, T0, 0, 30, NULL);                              /* portscan */
	for (int h = 1; h <= 60; h++) {                                /* hostsweep */
		snprintf(dst, sizeof dst, "10.0.2.%d", h);
		struct flow_record r = icmp_echo("10.0.0.66", dst, T0 + (uint64_t)h * 10000, h % 5 == 0);
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 60; i++) {                                 /* dns_tunnel */
		char lab[64];
		rnd_label(lab, 50, B32);
		snprintf(name, sizeof name, "%s.d.badtunnel.example", lab);
		struct flow_record r = dns_query("10.0.0.23", "10.0.0.53", name, 16, T0 + (uint64_t)i * 500000);
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 10; i++) {                                 /* beacon */
		struct flow_record r = tcp_session("10.0.0.23", (uint16_t)(50000 + i), "198.51.100.7", 443,
						   T0 + (uint64_t)i * 300 * US + (uint64_t)(i % 3) * 4 * US, US,
						   1500, 3000, "tls", "TLS");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 5; i++) {                                  /* exfil */
		struct flow_record r = upload_piece(9100, T0, T0 + (uint64_t)(i + 1) * 120 * US, 30000000, i < 4);
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < 25; i++) {                                 /* bruteforce on RDP */
		struct flow_record r = login_attempt("203.0.113.9", "10.0.0.30", 3389, T0 + (uint64_t)i * 2 * US, "rdp", "RDP");
		behav_flow(b, &r, collect, &g);
	}
	for (int i = 0; i < g.n; i++) {
		assert_int_equal(g.v[i].a.gid, GID_DETECTOR);
		assert_true(g.v[i].a.sid > 0 && g.v[i].a.sid < BEHAV__COUNT);
		assert_string_equal(g.v[i].a.detector, behav_detector_name((int)g.v[i].a.sid));
		seen[g.v[i].a.sid]++;
	}
	for (int d = 1; d < BEHAV__COUNT; d++)
		if (seen[d] != 1)
			fail_msg("%s raised %d alerts", behav_detector_name(d), seen[d]);
	assert_int_equal(g.n, 6);
	behav_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_config_is_silent),
		cmocka_unit_test(test_detector_names),
		cmocka_unit_test(test_example_config_loads),
		cmocka_unit_test(test_portscan_fires),
		cmocka_unit_test(test_portscan_once_per_window),
		cmocka_unit_test(test_portscan_ipv6_mixed),
		cmocka_unit_test(test_portscan_office_quiet),
		cmocka_unit_test(test_hostsweep_fires),
		cmocka_unit_test(test_hostsweep_tcp_udp),
		cmocka_unit_test(test_hostsweep_office_quiet),
		cmocka_unit_test(test_dns_tunnel_fires),
		cmocka_unit_test(test_dns_tunnel_txt_and_long_labels),
		cmocka_unit_test(test_dns_tunnel_office_quiet),
		cmocka_unit_test(test_dns_tunnel_ignore_domains),
		cmocka_unit_test(test_beacon_fires),
		cmocka_unit_test(test_beacon_suffix_and_order),
		cmocka_unit_test(test_beacon_office_quiet),
		cmocka_unit_test(test_beacon_guessed_app_not_skipped),
		cmocka_unit_test(test_exfil_fires),
		cmocka_unit_test(test_exfil_office_quiet),
		cmocka_unit_test(test_bruteforce_fires),
		cmocka_unit_test(test_bruteforce_office_quiet),
		cmocka_unit_test(test_interim_only_for_exfil),
		cmocka_unit_test(test_ignore_lists),
		cmocka_unit_test(test_disabled_detector_silent),
		cmocka_unit_test(test_table_bound_and_expire),
		cmocka_unit_test(test_full_table_reclaims_ended_windows),
		cmocka_unit_test(test_flood_keeps_bound),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_file_problems),
		cmocka_unit_test(test_config_syntax_variants),
		cmocka_unit_test(test_config_size_units),
		cmocka_unit_test(test_example_office_day_quiet),
		cmocka_unit_test(test_example_attacks_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
