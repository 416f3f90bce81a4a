/*
 * test_detect_ioc.c - indicator lists (detect_ioc.h): every list format
 * from small files written here (with the header lines the real abuse.ch
 * and MISP files have), every indicator kind with a flow that must hit and
 * one that must not, the problems reported for bad lines, duplicates, and a
 * generated list of a million indicators (load time, memory, 100k lookups
 * checked against a reference computed from the generator).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/detect_ioc.h"
#include "core/homenet.h"

/* ---- temporary files --------------------------------------------------------- */

static char tmpdir[64];
static char *files[64];
static int n_files;

static int group_setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/vigil-ioc-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < n_files; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	rmdir(tmpdir);
	return 0;
}

/* Write name (in the temporary folder) with text; returns its path. */
static const char *write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	for (int i = 0; i < n_files; i++)
		if (strcmp(files[i], path) == 0)
			return files[i];
	assert_true(n_files < 64);
	files[n_files] = strdup(path);
	return files[n_files++];
}

/* ---- problems and alerts --------------------------------------------------------- */

struct problem {
	char file[256];
	int line;
	char msg[512];
};

struct problems {
	struct problem p[256];
	int n;
};

static void on_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct problems *ps = ctx;

	if (ps->n < 256) {
		snprintf(ps->p[ps->n].file, sizeof ps->p[0].file, "%s", file);
		ps->p[ps->n].line = line;
		snprintf(ps->p[ps->n].msg, sizeof ps->p[0].msg, "%s", msg);
	}
	ps->n++;
}

/* An alert with its strings copied (they are valid during the callback). */
struct got {
	struct alert a;
	char signature[700], kind[16], indicator[300], list[256], desc[512], category[64];
	char meta[1024];   /* "key=value;" for each metadata pair */
	int has_desc;
	int has_flow;      /* a->flow is the flow record matched */
};

struct alerts {
	struct got g[32];
	int n;
};

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

static void on_alert(void *ctx, const struct alert *a)
{
	struct alerts *as = ctx;
	struct got *g;

	assert_true(as->n < 32);
	g = &as->g[as->n++];
	g->a = *a;
	copy(g->signature, sizeof g->signature, a->signature);
	copy(g->kind, sizeof g->kind, a->ioc_kind);
	copy(g->indicator, sizeof g->indicator, a->ioc_indicator);
	copy(g->list, sizeof g->list, a->ioc_list);
	copy(g->desc, sizeof g->desc, a->ioc_description);
	copy(g->category, sizeof g->category, a->category);
	g->has_desc = a->ioc_description != NULL;
	g->meta[0] = '\0';
	for (int i = 0; i < a->n_meta; i++) {
		size_t n = strlen(g->meta);
		snprintf(g->meta + n, sizeof g->meta - n, "%s=%s;", a->meta[i].key, a->meta[i].value);
	}
	g->has_flow = a->flow != NULL && a->flow->flow_id == a->flow_ids[0];
	g->a.flow = NULL; /* the record is the caller's: not kept */
}

/* ---- flows ---------------------------------------------------------------------- */

static struct flow_record flow(const char *src, const char *dst)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 4242;
	r.ipver = strchr(src, ':') ? 6 : 4;
	r.proto = 6;
	snprintf(r.src_ip, sizeof r.src_ip, "%s", src);
	snprintf(r.dest_ip, sizeof r.dest_ip, "%s", dst);
	assert_int_equal(ip_parse16(src, r.src_addr), 0);
	assert_int_equal(ip_parse16(dst, r.dest_addr), 0);
	r.src_port = 49152;
	r.dest_port = 443;
	r.app_proto = "tls";
	return r;
}

static struct alerts run(const struct ioc_db *db, const struct flow_record *r)
{
	struct alerts as;
	int n;

	memset(&as, 0, sizeof as);
	n = ioc_match_flow(db, r, 1700000000000000ULL, on_alert, &as);
	assert_int_equal(n, as.n);
	return as;
}

/* The flow must produce exactly one alert: kind, indicator, list, description
 * (NULL: none). */
static void hit1(const struct ioc_db *db, const struct flow_record *r, const char *kind,
		 const char *indicator, const char *list, const char *desc)
{
	struct alerts as = run(db, r);

	if (as.n != 1)
		fail_msg("expected one %s alert for %s (%s -> %s, %s), got %d", kind, indicator,
			 r->src_ip, r->dest_ip, r->dns_rrname ? r->dns_rrname : "-", as.n);
	assert_string_equal(as.g[0].kind, kind);
	assert_string_equal(as.g[0].indicator, indicator);
	assert_string_equal(as.g[0].list, list);
	if (desc) {
		assert_true(as.g[0].has_desc);
		assert_string_equal(as.g[0].desc, desc);
	} else {
		assert_false(as.g[0].has_desc);
	}
}

static void miss(const struct ioc_db *db, const struct flow_record *r)
{
	struct alerts as = run(db, r);

	if (as.n != 0)
		fail_msg("expected no alert (%s -> %s), got '%s'", r->src_ip, r->dest_ip,
			 as.g[0].signature);
}

static struct flow_record named(const char *rrname, const char *sni, const char *host)
{
	struct flow_record r = flow("192.168.1.10", "192.0.2.250");

	r.dns_rrname = rrname;
	r.tls_sni = sni;
	r.http_host = host;
	return r;
}

static struct ioc_db *load1(const char *name, const char *text, long want, struct problems *ps)
{
	struct ioc_db *db = ioc_db_new();
	const char *path = write_file(name, text);
	long n;

	assert_non_null(db);
	memset(ps, 0, sizeof *ps);
	n = ioc_load_file(db, path, on_problem, ps);
	if (n != want)
		fail_msg("%s: loaded %ld, expected %ld (first problem: %s)", name, n, want,
			 ps->n ? ps->p[0].msg : "none");
	return db;
}

/* ---- plain lists ----------------------------------------------------------------- */

static const char plain_list[] =
	"# vigil test list\n"
	"\n"
	"203.0.113.5,C2 server\n"
	"198.51.100.0/24\n"
	"2001:db8:1::/48 , test v6 net\n"
	"2001:DB8:2::1\n"
	"Evil.Example.,phishing kit\n"
	"*.wild.example\n"
	"e7d705a3286e19ea42f587b344ee6865,any side\n"
	"ja3:6734f37431670b3ab4292b8f60f29984\n"
	"ja3s:623DE93DB17D313345D7EA481E7443CF,server hello\n"
	"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n"
	"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD,colon form\n"
	"url:http://url-host.example/gate.php\n"
	"https://192.0.2.77:8443/x?y=1 # trailing comment\n"
	"\t  # indented comment\n";

static void test_plain_counts(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("list.txt", plain_list, 13, &ps);
	struct ioc_counts c;

	(void)state;
	assert_int_equal(ps.n, 0);
	ioc_get_counts(db, &c);
	assert_int_equal(c.ip, 3);        /* 203.0.113.5, 2001:db8:2::1, 192.0.2.77 */
	assert_int_equal(c.cidr, 2);
	assert_int_equal(c.domain, 3);    /* evil.example, wild.example, url-host.example */
	assert_int_equal(c.ja3, 2);       /* unprefixed + ja3: */
	assert_int_equal(c.ja3s, 1);
	assert_int_equal(c.cert_sha1, 2);
	assert_int_equal(c.duplicates, 0);
	assert_int_equal(c.skipped, 0);
	assert_true(c.bytes > 0);
	ioc_db_free(db);
}

static void test_plain_addresses(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("list.txt", plain_list, 13, &ps);
	struct flow_record r;

	(void)state;
	r = flow("192.168.1.10", "203.0.113.5");
	hit1(db, &r, "ip", "203.0.113.5", "list.txt", "C2 server");
	r = flow("203.0.113.5", "192.168.1.10"); /* either end */
	hit1(db, &r, "ip", "203.0.113.5", "list.txt", "C2 server");
	r = flow("192.168.1.10", "203.0.113.6");
	miss(db, &r);
	r = flow("192.168.1.10", "198.51.100.200");
	hit1(db, &r, "ip", "198.51.100.0/24", "list.txt", NULL);
	r = flow("2001:db8:1:abcd::5", "fd00::1");
	hit1(db, &r, "ip", "2001:db8:1::/48", "list.txt", "test v6 net");
	r = flow("fd00::1", "2001:db8:2::1");
	hit1(db, &r, "ip", "2001:db8:2::1", "list.txt", NULL);
	r = flow("fd00::1", "2001:db8:2::2");
	miss(db, &r);
	r = flow("10.0.0.1", "192.0.2.77"); /* the host of an https:// line */
	hit1(db, &r, "ip", "192.0.2.77", "list.txt", NULL);
	ioc_db_free(db);
}

static void test_plain_domains(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("list.txt", plain_list, 13, &ps);
	struct flow_record r;
	struct alerts as;

	(void)state;
	r = named("evil.example", NULL, NULL);
	hit1(db, &r, "domain", "evil.example", "list.txt", "phishing kit");
	r = named(NULL, "a.b.evil.example", NULL);
	hit1(db, &r, "domain", "evil.example", "list.txt", "phishing kit");
	r = named(NULL, NULL, "WWW.Evil.Example.:8080");
	hit1(db, &r, "domain", "evil.example", "list.txt", "phishing kit");
	r = named("notevil.example", "evil.example.com", "evil-example");
	miss(db, &r);
	r = named("example", "xevil.example", "evil.examplex");
	miss(db, &r);
	/* "*.wild.example" is stored as wild.example: the name and below */
	r = named("cdn.wild.example", NULL, NULL);
	hit1(db, &r, "domain", "wild.example", "list.txt", NULL);
	r = named("wild.example", NULL, NULL);
	hit1(db, &r, "domain", "wild.example", "list.txt", NULL);
	r = named(NULL, NULL, "url-host.example");
	hit1(db, &r, "domain", "url-host.example", "list.txt", NULL);
	/* an IP literal as a name is an address */
	r = named(NULL, "203.0.113.5", NULL);
	hit1(db, &r, "ip", "203.0.113.5", "list.txt", "C2 server");
	r = named(NULL, NULL, "[2001:db8:2::1]:8080");
	hit1(db, &r, "ip", "2001:db8:2::1", "list.txt", NULL);
	r = named(NULL, NULL, "192.0.2.77:8443");
	hit1(db, &r, "ip", "192.0.2.77", "list.txt", NULL);
	/* the same indicator in three names: one alert */
	r = named("x.evil.example", "evil.example", "y.evil.example");
	hit1(db, &r, "domain", "evil.example", "list.txt", "phishing kit");
	/* two different indicators: two alerts */
	r = named("x.evil.example", "a.wild.example", NULL);
	as = run(db, &r);
	assert_int_equal(as.n, 2);
	assert_string_equal(as.g[0].indicator, "evil.example");
	assert_string_equal(as.g[1].indicator, "wild.example");
	ioc_db_free(db);
}

static void test_plain_hashes(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("list.txt", plain_list, 13, &ps);
	struct flow_record r = flow("192.168.1.10", "192.0.2.250");

	(void)state;
	/* unprefixed: client and server */
	r.ja3 = "e7d705a3286e19ea42f587b344ee6865";
	hit1(db, &r, "ja3", "e7d705a3286e19ea42f587b344ee6865", "list.txt", "any side");
	r.ja3 = NULL;
	r.ja3s = "e7d705a3286e19ea42f587b344ee6865";
	hit1(db, &r, "ja3s", "e7d705a3286e19ea42f587b344ee6865", "list.txt", "any side");
	/* ja3: only the client's */
	r.ja3s = "6734f37431670b3ab4292b8f60f29984";
	miss(db, &r);
	r.ja3s = NULL;
	r.ja3 = "6734F37431670B3AB4292B8F60F29984";
	hit1(db, &r, "ja3", "6734f37431670b3ab4292b8f60f29984", "list.txt", NULL);
	/* ja3s: only the server's */
	r.ja3 = "623de93db17d313345d7ea481e7443cf";
	miss(db, &r);
	r.ja3 = NULL;
	r.ja3s = "623de93db17d313345d7ea481e7443cf";
	hit1(db, &r, "ja3s", "623de93db17d313345d7ea481e7443cf", "list.txt", "server hello");
	r.ja3s = "623de93db17d313345d7ea481e7443c0";
	miss(db, &r);
	r.ja3s = NULL;
	/* certificate SHA1: 40 hex in the list and colons in the flow, and back */
	r.tls_cert_sha1 = "a9:4a:8f:e5:cc:b1:9b:a6:1c:4c:08:73:d3:91:e9:87:98:2f:bb:d3";
	hit1(db, &r, "cert_sha1", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "list.txt", NULL);
	r.tls_cert_sha1 = "aabbccddeeff00112233445566778899aabbccdd";
	hit1(db, &r, "cert_sha1", "aabbccddeeff00112233445566778899aabbccdd", "list.txt", "colon form");
	r.tls_cert_sha1 = "aabbccddeeff00112233445566778899aabbccde";
	miss(db, &r);
	r.tls_cert_sha1 = "aabbccddeeff00112233445566778899aabbcc"; /* too short */
	miss(db, &r);
	ioc_db_free(db);
}

static void test_alert_fields(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("list.txt", plain_list, 13, &ps);
	struct flow_record r = flow("198.51.100.7", "203.0.113.5");
	struct alerts as;
	const struct alert *a;

	(void)state;
	r.flow_id = 1234567890123ULL;
	r.proto = 17;
	r.src_port = 5353;
	r.dest_port = 53;
	r.app_proto = "dns";
	r.dns_rrname = "c2.evil.example";
	r.ja3 = "e7d705a3286e19ea42f587b344ee6865";
	as = run(db, &r);
	assert_int_equal(as.n, 4); /* two addresses, the name, the JA3 */
	a = &as.g[0].a;
	assert_int_equal(a->ts_us, 1700000000000000ULL);
	assert_int_equal(a->engine, ALERT_IOC);
	assert_int_equal(a->gid, GID_IOC);
	assert_int_equal(a->sid, ioc_list_sid("list.txt", IOC_IP));
	assert_true(as.g[0].has_flow);
	assert_int_equal(a->rev, 1);
	assert_null(a->classtype);
	assert_string_equal(as.g[0].category, "Indicator of compromise");
	assert_int_equal(a->severity, 2);
	assert_int_equal(a->proto, 17);
	assert_string_equal(a->src_ip, "198.51.100.7");
	assert_string_equal(a->dest_ip, "203.0.113.5");
	assert_int_equal(a->src_port, 5353);
	assert_int_equal(a->dest_port, 53);
	assert_true(a->has_ports);
	assert_string_equal(a->app_proto, "dns");
	assert_int_equal(a->n_flow_ids, 1);
	assert_int_equal(a->flow_ids[0], 1234567890123ULL);
	/* one text and sid per list and kind; the indicator in the metadata */
	assert_string_equal(as.g[0].signature, "vigil IOC: ip address on list list.txt");
	assert_string_equal(as.g[0].meta, "indicator=198.51.100.0/24;indicator_kind=ip;"
			    "indicator_list=list.txt;");
	assert_string_equal(as.g[1].signature, "vigil IOC: ip address on list list.txt");
	assert_int_equal(as.g[1].a.sid, as.g[0].a.sid);
	assert_string_equal(as.g[1].meta, "indicator=203.0.113.5;indicator_kind=ip;"
			    "indicator_list=list.txt;indicator_description=C2 server;");
	assert_string_equal(as.g[2].signature, "vigil IOC: domain on list list.txt");
	assert_int_equal(as.g[2].a.sid, ioc_list_sid("list.txt", IOC_DOMAIN));
	assert_string_equal(as.g[3].signature, "vigil IOC: JA3 fingerprint on list list.txt");
	assert_int_equal(as.g[3].a.sid, ioc_list_sid("list.txt", IOC_JA3));

	/* both ends in the same network: one alert; ICMP has no ports */
	r = flow("198.51.100.1", "198.51.100.2");
	r.proto = 1;
	as = run(db, &r);
	assert_int_equal(as.n, 1);
	assert_false(as.g[0].a.has_ports);
	assert_string_equal(as.g[0].indicator, "198.51.100.0/24");

	/* no callback: hits are still counted */
	r = flow("198.51.100.1", "203.0.113.5");
	assert_int_equal(ioc_match_flow(db, &r, 0, NULL, NULL), 2);
	ioc_db_free(db);
}

/* ---- networks -------------------------------------------------------------------- */

static void test_cidr_boundaries(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("nets.txt",
				  "198.51.100.0/24\n"
				  "2001:db8:1::/48\n"
				  "10.0.0.0/8,wide\n"
				  "10.1.0.0/16,mid\n"
				  "10.1.2.3,host\n"
				  "10.1.2.128/25,upper half\n"
				  "10.1.2.0/24,net\n"
				  "192.0.2.1/32\n",
				  8, &ps);
	struct flow_record r;

	(void)state;
	r = flow("192.168.1.1", "198.51.100.0");
	hit1(db, &r, "ip", "198.51.100.0/24", "nets.txt", NULL);
	r = flow("192.168.1.1", "198.51.100.255");
	hit1(db, &r, "ip", "198.51.100.0/24", "nets.txt", NULL);
	r = flow("192.168.1.1", "198.51.99.255");
	miss(db, &r);
	r = flow("192.168.1.1", "198.51.101.0");
	miss(db, &r);
	r = flow("fd00::1", "2001:db8:1::");
	hit1(db, &r, "ip", "2001:db8:1::/48", "nets.txt", NULL);
	r = flow("fd00::1", "2001:db8:1:ffff:ffff:ffff:ffff:ffff");
	hit1(db, &r, "ip", "2001:db8:1::/48", "nets.txt", NULL);
	r = flow("fd00::1", "2001:db8:0:ffff:ffff:ffff:ffff:ffff");
	miss(db, &r);
	r = flow("fd00::1", "2001:db8:2::");
	miss(db, &r);
	/* an IPv4 network does not match the same bits written as IPv6 */
	r = flow("fd00::1", "::c633:6401");
	miss(db, &r);
	/* longest prefix wins */
	r = flow("192.168.1.1", "10.1.2.3");
	hit1(db, &r, "ip", "10.1.2.3", "nets.txt", "host");
	r = flow("192.168.1.1", "10.1.2.4");
	hit1(db, &r, "ip", "10.1.2.0/24", "nets.txt", "net");
	r = flow("192.168.1.1", "10.1.2.200");
	hit1(db, &r, "ip", "10.1.2.128/25", "nets.txt", "upper half");
	r = flow("192.168.1.1", "10.1.3.4");
	hit1(db, &r, "ip", "10.1.0.0/16", "nets.txt", "mid");
	r = flow("192.168.1.1", "10.200.0.1");
	hit1(db, &r, "ip", "10.0.0.0/8", "nets.txt", "wide");
	r = flow("192.168.1.1", "11.0.0.0");
	miss(db, &r);
	r = flow("192.168.1.1", "9.255.255.255");
	miss(db, &r);
	r = flow("192.168.1.1", "192.0.2.1");
	hit1(db, &r, "ip", "192.0.2.1", "nets.txt", NULL);
	ioc_db_free(db);
}

static void test_cidr_zero(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("all4.txt", "0.0.0.0/0,every IPv4 address\n", 1, &ps);
	struct flow_record r;
	struct ioc_counts c;

	(void)state;
	ioc_get_counts(db, &c);
	assert_int_equal(c.cidr, 1);
	r = flow("192.168.1.1", "8.8.8.8"); /* both ends, one indicator */
	hit1(db, &r, "ip", "0.0.0.0/0", "all4.txt", "every IPv4 address");
	r = flow("192.168.1.1", "255.255.255.255");
	hit1(db, &r, "ip", "0.0.0.0/0", "all4.txt", "every IPv4 address");
	r = flow("fd00::1", "2001:db8::1");
	miss(db, &r);
	ioc_db_free(db);

	db = load1("all6.txt", "::/0\n", 1, &ps);
	r = flow("fd00::1", "2001:db8::1");
	hit1(db, &r, "ip", "::/0", "all6.txt", NULL);
	r = flow("192.168.1.1", "8.8.8.8"); /* ::/0 holds the IPv4-mapped space too */
	hit1(db, &r, "ip", "::/0", "all6.txt", NULL);
	ioc_db_free(db);
}

/* The trie must give the same answers whatever the insertion order. */
static void test_trie_orders(void **state)
{
	static const char *lines[] = { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3",
				       "10.1.2.2", "10.128.0.0/9", "0.0.0.0/1", "10.1.2.0/31" };
	static const char *probe[][2] = {
		{ "10.1.2.3", "10.1.2.3" },   { "10.1.2.2", "10.1.2.2" },
		{ "10.1.2.1", "10.1.2.0/31" }, { "10.1.2.9", "10.1.2.0/24" },
		{ "10.1.9.9", "10.1.0.0/16" }, { "10.200.0.0", "10.128.0.0/9" },
		{ "10.127.0.0", "10.0.0.0/8" }, { "127.0.0.1", "0.0.0.0/1" },
		{ "128.0.0.1", NULL },
	};
	const int n = (int)(sizeof lines / sizeof lines[0]);

	(void)state;
	for (int perm = 0; perm < 40; perm++) {
		char text[512] = "";
		int order[8];
		unsigned seed = (unsigned)perm * 2654435761u + 1;
		struct problems ps;
		struct ioc_db *db;

		for (int i = 0; i < n; i++)
			order[i] = i;
		for (int i = n - 1; i > 0; i--) { /* Fisher-Yates, fixed seed */
			int j, t;
			seed = seed * 1103515245u + 12345u;
			j = (int)((seed >> 16) % (unsigned)(i + 1));
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < n; i++) {
			strcat(text, lines[order[i]]);
			strcat(text, "\n");
		}
		db = load1("order.txt", text, n, &ps);
		for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
			struct flow_record r = flow("fd00::1", probe[k][0]);
			if (probe[k][1])
				hit1(db, &r, "ip", probe[k][1], "order.txt", NULL);
			else
				miss(db, &r);
		}
		ioc_db_free(db);
	}
}

/* ---- problems, duplicates -------------------------------------------------------- */

static void test_bad_lines(void **state)
{
	struct problems ps;
	const char *path;
	struct ioc_db *db;
	struct ioc_counts c;
	struct flow_record r;

	(void)state;
	db = load1("bad.txt",
		   "# line 1\n"
		   "203.0.113.5\n"
		   "not an indicator\n"
		   "10.0.0.1/8\n"
		   "203.0.113.5,again\n"
		   "999.1.1.1\n"
		   "evil..example\n"
		   "10.0.0.0/33\n"
		   "abcdef12345\n"
		   "EVIL.example\n"
		   "evil.example.\n"
		   "2001:db8::1/64\n"
		   "localhost\n"
		   "ja3:1234\n",
		   4, &ps);
	path = files[n_files - 1];
	assert_int_equal(ps.n, 9);
	for (int i = 0; i < ps.n; i++)
		assert_string_equal(ps.p[i].file, path);
	assert_int_equal(ps.p[0].line, 3);
	assert_string_equal(ps.p[0].msg, "not an indicator: 'not an indicator'");
	assert_int_equal(ps.p[1].line, 4);
	assert_string_equal(ps.p[1].msg, "host bits set in 10.0.0.1/8");
	assert_int_equal(ps.p[2].line, 6);
	assert_string_equal(ps.p[2].msg, "not an indicator: '999.1.1.1'");
	assert_int_equal(ps.p[3].line, 7);
	assert_int_equal(ps.p[4].line, 8);
	assert_string_equal(ps.p[4].msg, "not an indicator: '10.0.0.0/33'");
	assert_int_equal(ps.p[5].line, 9);
	assert_int_equal(ps.p[6].line, 12);
	assert_string_equal(ps.p[6].msg, "host bits set in 2001:db8::1/64");
	assert_int_equal(ps.p[7].line, 13);
	assert_string_equal(ps.p[7].msg, "not an indicator: 'localhost'");
	assert_int_equal(ps.p[8].line, 14);

	ioc_get_counts(db, &c);
	assert_int_equal(c.duplicates, 2);
	assert_int_equal(c.ip, 1);
	assert_int_equal(c.cidr, 2);
	assert_int_equal(c.domain, 1);
	/* the first one is kept (no description), the masked network loaded */
	r = flow("192.168.1.1", "203.0.113.5");
	hit1(db, &r, "ip", "203.0.113.5", "bad.txt", NULL);
	r = flow("192.168.1.1", "10.200.0.1");
	hit1(db, &r, "ip", "10.0.0.0/8", "bad.txt", NULL);
	r = flow("2001:db8::ffff", "fd00::1");
	hit1(db, &r, "ip", "2001:db8::/64", "bad.txt", NULL);

	/* the same list again: all duplicates, same list name */
	memset(&ps, 0, sizeof ps);
	assert_int_equal(ioc_load_file(db, path, NULL, NULL), 0);
	ioc_get_counts(db, &c);
	assert_int_equal(c.duplicates, 2 + 6);
	ioc_db_free(db);
}

static void test_many_problems(void **state)
{
	char *text = malloc(150 * 16 + 1), *p = text;
	struct problems ps;
	struct ioc_db *db;

	(void)state;
	for (int i = 0; i < 150; i++)
		p += sprintf(p, "bad line %d\n", i);
	db = load1("garbage.txt", text, 0, &ps);
	assert_int_equal(ps.n, 101);
	assert_int_equal(ps.p[99].line, 100);
	assert_int_equal(ps.p[100].line, 0);
	assert_string_equal(ps.p[100].msg, "50 more problems not shown");
	ioc_db_free(db);
	free(text);
}

static void test_unreadable_and_empty(void **state)
{
	struct problems ps;
	struct ioc_db *db = ioc_db_new();
	struct ioc_counts c;
	char path[300];

	(void)state;
	snprintf(path, sizeof path, "%s/does-not-exist.txt", tmpdir);
	memset(&ps, 0, sizeof ps);
	errno = 0;
	assert_int_equal(ioc_load_file(db, path, on_problem, &ps), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].line, 0);
	assert_string_equal(ps.p[0].file, path);
	assert_non_null(strstr(ps.p[0].msg, "cannot open"));
	memset(&ps, 0, sizeof ps);
	assert_int_equal(ioc_load_file(db, write_file("empty.txt", ""), on_problem, &ps), 0);
	assert_int_equal(ioc_load_file(db, write_file("comments.txt", "# nothing\n\n#\n"), on_problem, &ps), 0);
	assert_int_equal(ioc_load_file(db, write_file("crlf.txt", "\xEF\xBB\xBF" "203.0.113.5\r\nevil.example\r\n"),
				       on_problem, &ps), 2);
	assert_int_equal(ps.n, 0);
	ioc_get_counts(db, &c);
	assert_int_equal(c.ip + c.domain, 2);
	ioc_db_free(db);
	ioc_db_free(NULL);
}

/* ---- abuse.ch formats -------------------------------------------------------------- */

static void test_feodo(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("ipblocklist.csv",
		"################################################################\n"
		"# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
		"# Last updated: 2024-05-02 08:13:51 UTC                        #\n"
		"#                                                              #\n"
		"# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #\n"
		"# For questions please contact feodotracker [at] abuse.ch      #\n"
		"################################################################\n"
		"#\n"
		"\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
		"\"2021-01-17 07:44:46\",\"203.0.113.9\",\"443\",\"online\",\"2024-05-02\",\"Pikabot\"\n"
		"\"2022-02-08 20:38:45\",\"203.0.113.10\",\"8080\",\"offline\",\"2024-04-30\",\"QakBot\"\n"
		"\"2022-02-08 20:38:45\",\"203.0.113.10\",\"443\",\"offline\",\"2024-04-30\",\"QakBot\"\n"
		"\"2022-02-09 11:00:00\",\"not-an-ip\",\"443\",\"offline\",\"2024-04-30\",\"QakBot\"\n"
		"# \"2022\n"
		"# END 4 entries\n",
		2, &ps);
	struct flow_record r;
	struct ioc_counts c;

	(void)state;
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].line, 13);
	assert_string_equal(ps.p[0].msg, "not a valid IP address: 'not-an-ip'");
	ioc_get_counts(db, &c);
	assert_int_equal(c.ip, 2);
	assert_int_equal(c.duplicates, 1);
	r = flow("192.168.1.20", "203.0.113.10");
	hit1(db, &r, "ip", "203.0.113.10", "ipblocklist.csv", "QakBot C2 port 8080");
	r = flow("192.168.1.20", "203.0.113.9");
	hit1(db, &r, "ip", "203.0.113.9", "ipblocklist.csv", "Pikabot C2 port 443");
	r = flow("192.168.1.20", "203.0.113.11");
	miss(db, &r);
	ioc_db_free(db);

	/* the older layout, header as a comment */
	db = load1("ipblocklist_old.csv",
		   "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\n"
		   "#\n"
		   "# Firstseen,DstIP,DstPort,LastOnline,Malware\n"
		   "2021-01-17 07:44:46,203.0.113.20,447,2021-11-29,TrickBot\n",
		   1, &ps);
	r = flow("203.0.113.20", "192.168.1.20");
	hit1(db, &r, "ip", "203.0.113.20", "ipblocklist_old.csv", "TrickBot C2 port 447");
	ioc_db_free(db);
}

static void test_sslbl_ja3(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("ja3_fingerprints.csv",
		"################################################################\n"
		"# abuse.ch SSLBL JA3 Fingerprint Blacklist (CSV)               #\n"
		"# Last updated: 2024-05-02 08:00:01 UTC                        #\n"
		"#                                                              #\n"
		"# Terms Of Use: https://sslbl.abuse.ch/blacklist/              #\n"
		"# For questions please contact sslbl [at] abuse.ch             #\n"
		"################################################################\n"
		"#\n"
		"# ja3_md5,Firstseen,Lastseen,Listingreason\n"
		"b386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 20:42:54,Dridex\n"
		"8991a387e4cc841740f25d6f5139f92d,2017-07-14 19:15:25,2019-07-27 21:24:10,Adware\n"
		"zz86946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 20:42:54,Broken\n"
		"# END (3 entries)\n",
		2, &ps);
	struct flow_record r = flow("192.168.1.30", "192.0.2.250");
	struct ioc_counts c;

	(void)state;
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].line, 12);
	ioc_get_counts(db, &c);
	assert_int_equal(c.ja3, 2);
	assert_int_equal(c.ja3s, 0);
	r.ja3 = "b386946a5a44d1ddcc843bc75336dfce";
	hit1(db, &r, "ja3", "b386946a5a44d1ddcc843bc75336dfce", "ja3_fingerprints.csv", "Dridex");
	r.ja3 = NULL;
	r.ja3s = "b386946a5a44d1ddcc843bc75336dfce"; /* a client fingerprint list */
	miss(db, &r);
	ioc_db_free(db);
}

static void test_sslbl_certs(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("sslblacklist.csv",
		"################################################################\n"
		"# abuse.ch SSLBL SSL Certificate Blacklist (CSV)               #\n"
		"# Last updated: 2024-05-02 08:00:01 UTC                        #\n"
		"#                                                              #\n"
		"# Terms Of Use: https://sslbl.abuse.ch/blacklist/              #\n"
		"# For questions please contact sslbl [at] abuse.ch             #\n"
		"################################################################\n"
		"#\n"
		"# Listingdate,SHA1,Listingreason\n"
		"2024-05-01 09:14:47,3a6f1e3c0cb7c8b8c9d1e1f0a1b2c3d4e5f60718,AsyncRAT C&C\n"
		"2024-04-30 20:01:02,07d26cc5f04bc1b2e1c5c06e8f5d2d6d5b2ea3a1,Vidar C&C\n",
		2, &ps);
	struct flow_record r = flow("192.168.1.30", "192.0.2.250");
	struct ioc_counts c;

	(void)state;
	ioc_get_counts(db, &c);
	assert_int_equal(c.cert_sha1, 2);
	r.tls_cert_sha1 = "3a6f1e3c0cb7c8b8c9d1e1f0a1b2c3d4e5f60718";
	hit1(db, &r, "cert_sha1", "3a6f1e3c0cb7c8b8c9d1e1f0a1b2c3d4e5f60718", "sslblacklist.csv",
	     "AsyncRAT C&C");
	r.tls_cert_sha1 = "3a6f1e3c0cb7c8b8c9d1e1f0a1b2c3d4e5f60719";
	miss(db, &r);
	ioc_db_free(db);
}

static void test_urlhaus(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("csv.txt",
		"################################################################\n"
		"# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #\n"
		"# Last updated: 2024-05-02 08:10:06 (UTC)                      #\n"
		"#                                                              #\n"
		"# Terms Of Use: https://urlhaus.abuse.ch/api/                  #\n"
		"# For questions please contact urlhaus [at] abuse.ch           #\n"
		"################################################################\n"
		"#\n"
		"# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
		"\"2840312\",\"2024-05-02 08:10:05\",\"http://203.0.113.44:45983/Mozi.m\",\"online\","
		"\"2024-05-02 08:10:05\",\"malware_download\",\"32-bit,elf,mips,Mozi\","
		"\"https://urlhaus.abuse.ch/url/2840312/\",\"lrz_urlhaus\"\n"
		"\"2840311\",\"2024-05-02 08:09:07\",\"https://Payload.Bad-Host.example/files/a.exe\",\"online\","
		"\"2024-05-02 08:09:07\",\"malware_download\",\"None\","
		"\"https://urlhaus.abuse.ch/url/2840311/\",\"abuse_ch\"\n"
		"\"2840310\",\"2024-05-02 08:08:01\",\"https://payload.bad-host.example/files/b.exe\",\"online\","
		"\"2024-05-02 08:08:01\",\"malware_download\",\"exe\","
		"\"https://urlhaus.abuse.ch/url/2840310/\",\"abuse_ch\"\n"
		"\"2840309\",\"2024-05-02 08:07:00\",\"http://[2001:db8:44::1]:8080/x.sh\",\"offline\","
		"\"\",\"malware_download\",\"sh\",\"https://urlhaus.abuse.ch/url/2840309/\",\"abuse_ch\"\n",
		3, &ps);
	struct flow_record r;
	struct ioc_counts c;

	(void)state;
	assert_int_equal(ps.n, 0);
	ioc_get_counts(db, &c);
	assert_int_equal(c.ip, 2);
	assert_int_equal(c.domain, 1);
	assert_int_equal(c.duplicates, 1);
	r = flow("192.168.1.40", "203.0.113.44");
	hit1(db, &r, "ip", "203.0.113.44", "csv.txt", "malware_download (32-bit,elf,mips,Mozi)");
	r = named(NULL, NULL, "payload.bad-host.example");
	hit1(db, &r, "domain", "payload.bad-host.example", "csv.txt", "malware_download");
	r = named(NULL, "cdn.payload.bad-host.example", NULL);
	hit1(db, &r, "domain", "payload.bad-host.example", "csv.txt", "malware_download");
	r = named(NULL, "bad-host.example", NULL); /* the parent is not listed */
	miss(db, &r);
	r = flow("fd00::1", "2001:db8:44::1");
	hit1(db, &r, "ip", "2001:db8:44::1", "csv.txt", "malware_download (sh)");
	ioc_db_free(db);
}

/* ---- MISP --------------------------------------------------------------------------- */

static void test_misp(void **state)
{
	struct problems ps;
	struct ioc_db *db = load1("misp-event-1234.csv",
		"uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,"
		"object_uuid,object_name,object_meta_category\n"
		"5f1d2c3a-0000-4000-8000-000000000001,1234,Network activity,ip-dst,203.0.113.77,"
		"\"C2 \"\"primary\"\" server\",1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000002,1234,Network activity,ip-dst|port,203.0.113.78|4443,"
		",1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000003,1234,Network activity,domain,misp-evil.example,"
		"\"Phishing, credential theft\",1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000004,1234,Network activity,domain|ip,"
		"misp-dom.example|192.0.2.200,,1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000005,1234,Network activity,hostname,Host.MISP-Other.example,"
		",1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000006,1234,Network activity,url,"
		"http://misp-url.example:8080/gate.php,,1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000007,1234,Network activity,ja3-fingerprint-md5,"
		"51c64c77e60f3980eea90869b68c58a8,Cobalt Strike,1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000008,1234,Network activity,x509-fingerprint-sha1,"
		"6c:8a:94:c2:1e:4f:7b:11:09:0a:d2:85:3c:e8:9b:f1:00:22:33:44,,1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-000000000009,1234,Payload delivery,md5,"
		"d41d8cd98f00b204e9800998ecf8427e,,1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-00000000000a,1234,Payload delivery,filename,evil.exe,"
		"\"dropped by the loader,\n"
		"see the \"\"report\"\"\",0,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-00000000000b,1234,Network activity,ip-src,198.51.100.0/25,"
		",1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-00000000000c,1234,Network activity,ip-dst,not-an-ip,"
		",1,1714636800,,,,,\n"
		"5f1d2c3a-0000-4000-8000-00000000000d,1234\n",
		9, &ps);
	struct flow_record r;
	struct ioc_counts c;

	(void)state;
	assert_int_equal(ps.n, 2);
	assert_int_equal(ps.p[0].line, 14); /* after the two-line record */
	assert_string_equal(ps.p[0].msg, "not a valid ip-dst: 'not-an-ip'");
	assert_int_equal(ps.p[1].line, 15);
	assert_string_equal(ps.p[1].msg, "expected at least 5 columns, found 2");
	ioc_get_counts(db, &c);
	assert_int_equal(c.skipped, 2);
	assert_int_equal(c.ip, 2);
	assert_int_equal(c.cidr, 1);
	assert_int_equal(c.domain, 4);
	assert_int_equal(c.ja3, 1);
	assert_int_equal(c.cert_sha1, 1);

	r = flow("192.168.1.50", "203.0.113.77");
	hit1(db, &r, "ip", "203.0.113.77", "misp-event-1234.csv", "C2 \"primary\" server");
	r = flow("192.168.1.50", "203.0.113.78");
	hit1(db, &r, "ip", "203.0.113.78", "misp-event-1234.csv", NULL);
	r = flow("198.51.100.127", "192.168.1.50");
	hit1(db, &r, "ip", "198.51.100.0/25", "misp-event-1234.csv", NULL);
	r = flow("198.51.100.128", "192.168.1.50");
	miss(db, &r);
	r = named("www.misp-evil.example", NULL, NULL);
	hit1(db, &r, "domain", "misp-evil.example", "misp-event-1234.csv", "Phishing, credential theft");
	r = named("misp-dom.example", NULL, NULL);
	hit1(db, &r, "domain", "misp-dom.example", "misp-event-1234.csv", NULL);
	r = flow("192.168.1.50", "192.0.2.200"); /* domain|ip: only the domain */
	miss(db, &r);
	r = named(NULL, "host.misp-other.example", NULL);
	hit1(db, &r, "domain", "host.misp-other.example", "misp-event-1234.csv", NULL);
	r = named(NULL, NULL, "misp-url.example:8080");
	hit1(db, &r, "domain", "misp-url.example", "misp-event-1234.csv", NULL);
	r = flow("192.168.1.50", "192.0.2.250");
	r.ja3 = "51c64c77e60f3980eea90869b68c58a8";
	hit1(db, &r, "ja3", "51c64c77e60f3980eea90869b68c58a8", "misp-event-1234.csv", "Cobalt Strike");
	r.ja3 = NULL;
	r.tls_cert_sha1 = "6c8a94c21e4f7b11090ad2853ce89bf100223344";
	hit1(db, &r, "cert_sha1", "6c8a94c21e4f7b11090ad2853ce89bf100223344", "misp-event-1234.csv", NULL);
	ioc_db_free(db);
}

/* Several lists in one db: each alert names its own list. */
static void test_several_lists(void **state)
{
	struct ioc_db *db = ioc_db_new();
	struct problems ps;
	struct flow_record r;
	struct alerts as;

	(void)state;
	memset(&ps, 0, sizeof ps);
	assert_int_equal(ioc_load_file(db, write_file("a.txt", "203.0.113.5,from a\n"), on_problem, &ps), 1);
	assert_int_equal(ioc_load_file(db, write_file("b.txt", "203.0.113.5,from b\nb-only.example\n"),
				       on_problem, &ps), 1);
	r = flow("192.168.1.1", "203.0.113.5");
	hit1(db, &r, "ip", "203.0.113.5", "a.txt", "from a");
	r = named("x.b-only.example", NULL, NULL);
	as = run(db, &r);
	assert_int_equal(as.n, 1);
	assert_string_equal(as.g[0].signature, "vigil IOC: domain on list b.txt");
	assert_int_equal(as.g[0].a.sid, ioc_list_sid("b.txt", IOC_DOMAIN));
	assert_int_not_equal(as.g[0].a.sid, ioc_list_sid("a.txt", IOC_DOMAIN));
	ioc_db_free(db);
}

/* A list's sids depend on its file name only (FNV-1a, kind * 10^6 + hash
 * mod 10^6); two lists whose names give the same sids are refused. */
static void test_list_sids(void **state)
{
	struct ioc_db *db = ioc_db_new();
	static struct problems ps;
	char a[32], b[32];
	uint32_t seen[4096];
	int found = 0;

	(void)state;
	/* the value is part of the interface: suppress.conf names it */
	assert_int_equal(ioc_list_sid("feodo.csv", IOC_IP), 1025482);
	assert_int_equal(ioc_list_sid("feodo.csv", IOC_DOMAIN) - ioc_list_sid("feodo.csv", IOC_IP),
			 1000000);
	/* two names with the same sid: the birthday bound finds one soon */
	for (int i = 0; i < 4096 && !found; i++) {
		snprintf(a, sizeof a, "l%d.txt", i);
		seen[i] = ioc_list_sid(a, IOC_IP);
		for (int k = 0; k < i && !found; k++)
			if (seen[k] == seen[i]) {
				snprintf(b, sizeof b, "l%d.txt", k);
				found = 1;
			}
	}
	assert_true(found);
	memset(&ps, 0, sizeof ps);
	assert_int_equal(ioc_load_file(db, write_file(b, "203.0.113.5\n"), on_problem, &ps), 1);
	assert_int_equal(ioc_load_file(db, write_file(a, "203.0.113.6\n"), on_problem, &ps), -1);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].line, 0);
	assert_non_null(strstr(ps.p[0].msg, "rename one of the two files"));
	ioc_db_free(db);
}

/* ---- a million indicators ------------------------------------------------------------ */

#define N_ADDR 540000u
#define N_NET 50000u   /* IPv4 /24 */
#define N_NET6 10000u  /* IPv6 /48 */
#define N_DOM 350000u
#define N_JA3 25000u
#define N_SHA 25000u
#define M32 2654435761u /* odd: i -> i*M32 is a bijection of 32-bit numbers */
#define M24 10368889u   /* odd: the same for 24 bits */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t inverse(uint32_t m)
{
	uint32_t x = m;

	for (int i = 0; i < 5; i++)
		x *= 2 - m * x;
	return x;
}

static void addr_text(uint32_t a, char *out)
{
	sprintf(out, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void ja3_hex(uint32_t i, char *out)
{
	sprintf(out, "%016llx%016llx", (unsigned long long)splitmix(i), (unsigned long long)splitmix(i + (1ULL << 40)));
}

static void sha_hex(uint32_t i, char *out)
{
	sprintf(out, "%016llx%016llx%08x", (unsigned long long)splitmix(i + (2ULL << 40)),
		(unsigned long long)splitmix(i + (3ULL << 40)), (unsigned)splitmix(i + (4ULL << 40)));
}

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct bigctx {
	int n;
	char indicator[2][64];
	char kind[2][16];
};

static void on_big(void *ctx, const struct alert *a)
{
	struct bigctx *b = ctx;

	if (b->n < 2) {
		snprintf(b->indicator[b->n], sizeof b->indicator[0], "%s", a->ioc_indicator);
		snprintf(b->kind[b->n], sizeof b->kind[0], "%s", a->ioc_kind);
	}
	b->n++;
}

/* The reference answer for an IPv4 address: "" when not listed. */
static void expect_addr(uint32_t a, char *out)
{
	uint32_t i = a * inverse(M32), j = ((a >> 8) * inverse(M24)) & 0xFFFFFF;

	if (i < N_ADDR) {
		addr_text(a, out);
	} else if (j < N_NET) {
		addr_text(a & 0xFFFFFF00u, out);
		strcat(out, "/24");
	} else {
		out[0] = '\0';
	}
}

static void test_million(void **state)
{
	char path[300], buf[128];
	FILE *f;
	struct ioc_db *db;
	struct ioc_counts c;
	struct problems ps;
	double t0, t1, t2, c0, c1;
	long n;
	uint64_t rng = 88172645463325252ULL;
	long hits = 0, planted = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/million.txt", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# generated: 1,000,000 indicators\n", f);
	for (uint32_t i = 0; i < N_ADDR; i++) {
		addr_text(i * M32, buf);
		if (i % 10 == 0)
			fprintf(f, "%s,bench group %u\n", buf, i % 50);
		else
			fprintf(f, "%s\n", buf);
	}
	for (uint32_t j = 0; j < N_NET; j++) {
		addr_text(((j * M24) & 0xFFFFFF) << 8, buf);
		fprintf(f, "%s/24\n", buf);
	}
	for (uint32_t j = 0; j < N_NET6; j++)
		fprintf(f, "fd00:%x:%x::/48\n", j >> 16, j & 0xFFFF);
	for (uint32_t i = 0; i < N_DOM; i++)
		fprintf(f, "host%u.zone%u.test%s\n", i, i % 97, i % 7 == 0 ? ",bench domain" : "");
	for (uint32_t i = 0; i < N_JA3; i++) {
		ja3_hex(i, buf);
		fprintf(f, "ja3:%s\n", buf);
	}
	for (uint32_t i = 0; i < N_SHA; i++) {
		sha_hex(i, buf);
		fprintf(f, "%s\n", buf);
	}
	assert_int_equal(fclose(f), 0);

	db = ioc_db_new();
	memset(&ps, 0, sizeof ps);
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	n = ioc_load_file(db, path, on_problem, &ps);
	c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	t1 = now_s(CLOCK_MONOTONIC);
	unlink(path);
	assert_int_equal(ps.n, 0);
	assert_int_equal(n, 1000000);
	ioc_get_counts(db, &c);
	assert_int_equal(c.ip, N_ADDR);
	assert_int_equal(c.cidr, N_NET + N_NET6);
	assert_int_equal(c.domain, N_DOM);
	assert_int_equal(c.ja3, N_JA3);
	assert_int_equal(c.cert_sha1, N_SHA);
	assert_int_equal(c.duplicates, 0);
	printf("[ info     ] 1M indicators: loaded in %.2f s (%.2f s CPU), %.1f MiB (%.1f bytes/indicator)\n",
	       t1 - t0, c1 - c0, c.bytes / 1048576.0, (double)c.bytes / 1e6);

	/* 100k flows: a quarter with a listed address, a quarter inside a
	 * listed /24, the rest random; names and JA3s half listed */
	for (int k = 0; k < 100000; k++) {
		struct flow_record r;
		struct bigctx b;
		uint32_t a, di, hi;
		char want[64], dom[96], ja3[40], dst[20];
		int want_n = 0;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		switch (k & 3) {
		case 0: a = (uint32_t)(rng % N_ADDR) * M32; planted++; break;
		case 1: a = ((((uint32_t)(rng % N_NET) * M24) & 0xFFFFFF) << 8) | (uint32_t)(rng >> 56); break;
		default: a = (uint32_t)(rng >> 32); break;
		}
		addr_text(a, dst);
		r = flow("2001:db8:ffff::1", dst); /* the source never matches */
		r.ipver = 4;
		expect_addr(a, want);
		want_n += want[0] != '\0';
		di = (uint32_t)((rng >> 8) % (2 * N_DOM));
		snprintf(dom, sizeof dom, "www.host%u.zone%u.test", di, di % 97);
		r.dns_rrname = dom;
		want_n += di < N_DOM;
		hi = (uint32_t)((rng >> 20) % (2 * N_JA3));
		ja3_hex(hi, ja3);
		r.ja3 = ja3;
		want_n += hi < N_JA3;

		memset(&b, 0, sizeof b);
		assert_int_equal(ioc_match_flow(db, &r, 0, on_big, &b), want_n);
		assert_int_equal(b.n, want_n);
		if (want[0]) {
			assert_string_equal(b.kind[0], "ip");
			assert_string_equal(b.indicator[0], want);
		}
		hits += b.n;
	}
	t2 = now_s(CLOCK_MONOTONIC);
	printf("[ info     ] 100k flows matched in %.3f s (%ld alerts, %ld planted addresses)\n",
	       t2 - t1, hits, planted);
	assert_true(hits > planted);

	/* an IPv6 /48 of the list */
	{
		struct flow_record r = flow("fd00:0:2710::1", "2001:db8::1"); /* j = 10000: outside */
		miss(db, &r);
		r = flow("fd00:0:270f:ffff::1", "2001:db8::1");
		hit1(db, &r, "ip", "fd00:0:270f::/48", "million.txt", NULL);
	}
	ioc_db_free(db);
	/* CPU time, so that a busy machine does not fail the test */
	if (c1 - c0 >= 10.0)
		fail_msg("loading took %.2f s of CPU time", c1 - c0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_counts),
		cmocka_unit_test(test_plain_addresses),
		cmocka_unit_test(test_plain_domains),
		cmocka_unit_test(test_plain_hashes),
		cmocka_unit_test(test_alert_fields),
		cmocka_unit_test(test_cidr_boundaries),
		cmocka_unit_test(test_cidr_zero),
		cmocka_unit_test(test_trie_orders),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_many_problems),
		cmocka_unit_test(test_unreadable_and_empty),
		cmocka_unit_test(test_feodo),
		cmocka_unit_test(test_sslbl_ja3),
		cmocka_unit_test(test_sslbl_certs),
		cmocka_unit_test(test_urlhaus),
		cmocka_unit_test(test_misp),
		cmocka_unit_test(test_several_lists),
		cmocka_unit_test(test_list_sids),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
