/*
 * test_community_id.c - Community ID v1 (community_id.h) against the
 * specification's published vectors.
 *
 * The vectors kept here are the sample tables of the specification's
 * baseline README (corelight/community-id-spec, BSD licence: seed 0, seed 1
 * and the hex digests without base64): TCP, UDP and SCTP both ways, ICMP
 * and ICMPv6 request/answer pairs and one-way messages, and RSVP as a
 * protocol without ports. When the baseline files themselves are at hand
 * (VIGIL_COMMUNITY_ID_DIR, else $VIGIL_PCAP_CORPUS/../community-id, else
 * ../shared/community-id) every tuple in baseline_deflt.json,
 * baseline_seed1.json and baseline_nob64.json is checked as well - the
 * tuples of the specification's own capture files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output/community_id.h"
#include "core/json_parse.h"

/* Address text to 16 bytes (IPv4 as ::ffff:a.b.c.d) and its version. */
static uint8_t addr16(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(s, ':')) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		return 6;
	}
	out[10] = out[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, out + 12), 1);
	return 4;
}

/* The text (base64 or, with hex set, "1:" + hex digits) of one tuple. */
static void calc(char *out, size_t outlen, int hex, uint16_t seed, const char *sa,
		 const char *da, uint8_t proto, uint16_t sp, uint16_t dp)
{
	uint8_t a[16], b[16], d[20];
	uint8_t v = addr16(sa, a);

	assert_int_equal(addr16(da, b), v);
	if (!hex) {
		char id[COMMUNITY_ID_LEN];
		community_id_v1(id, seed, v, a, b, proto, sp, dp);
		assert_int_equal(strlen(id), COMMUNITY_ID_LEN - 1);
		snprintf(out, outlen, "%s", id);
		return;
	}
	community_id_digest(d, seed, v, a, b, proto, sp, dp);
	snprintf(out, outlen, "1:");
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 + 2 * i, outlen - 2 - 2 * i, "%02x", d[i]);
}

struct vec {
	uint8_t proto;
	const char *sa, *da;
	uint16_t sp, dp;
	const char *seed0, *seed1, *hex;
};

#define V6A "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
#define V6B "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

static const struct vec vecs[] = {
	{ 6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=",
	  "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1:c026f7386ef200559e95a53276ed03fb5db908b3" },
	{ 6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM=",
	  "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1:c026f7386ef200559e95a53276ed03fb5db908b3" },
	{ 17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
	  "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
	{ 17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
	  "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
	{ 132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
	  "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
	{ 132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
	  "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
	{ 1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=",
	  "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
	{ 1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=",
	  "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
	{ 1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=",
	  "1:1DD7cWGC/Yg91YGsQeni8du3pIA=", "1:7ff6224b25aa733ad381f5026650549ef1d170f9" },
	{ 58, V6A, V6B, 128, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=",
	  "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:d1b7fb872309530b777cc103ef3f0b21f46905ea" },
	{ 58, V6B, V6A, 129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=",
	  "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:d1b7fb872309530b777cc103ef3f0b21f46905ea" },
	{ 58, V6A, V6B, 146, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=",
	  "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=", "1:7d80bcfa9cf6e04f8484034fd44661a57d03c35d" },
	{ 46, "1.2.3.4", "5.6.7.8", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=",
	  "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
	{ 46, "5.6.7.8", "1.2.3.4", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=",
	  "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
	{ 46, V6A, V6B, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", NULL },
	{ 46, V6B, V6A, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", NULL },
};

static void test_tables(void **state)
{
	char got[64];
	(void)state;
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		calc(got, sizeof got, 0, 0, v->sa, v->da, v->proto, v->sp, v->dp);
		assert_string_equal(got, v->seed0);
		calc(got, sizeof got, 0, 1, v->sa, v->da, v->proto, v->sp, v->dp);
		assert_string_equal(got, v->seed1);
		if (v->hex) {
			calc(got, sizeof got, 1, 0, v->sa, v->da, v->proto, v->sp, v->dp);
			assert_string_equal(got, v->hex);
		}
	}
}

/* Direction never matters for a two-way tuple, whatever the addresses. */
static void test_symmetric(void **state)
{
	char ab[64], ba[64];
	(void)state;
	calc(ab, sizeof ab, 0, 0, "10.0.0.1", "127.0.0.1", 6, 1234, 80);
	calc(ba, sizeof ba, 0, 0, "127.0.0.1", "10.0.0.1", 6, 80, 1234);
	assert_string_equal(ab, ba);
	/* equal addresses: the ports decide */
	calc(ab, sizeof ab, 0, 0, "::1", "::1", 17, 5353, 53);
	calc(ba, sizeof ba, 0, 0, "::1", "::1", 17, 53, 5353);
	assert_string_equal(ab, ba);
	/* and a different port is a different flow */
	calc(ba, sizeof ba, 0, 0, "::1", "::1", 17, 53, 5354);
	assert_string_not_equal(ab, ba);
}

/* The directory of the specification's baseline files, or NULL. */
static const char *baseline_dir(char *buf, size_t len)
{
	const char *d = getenv("VIGIL_COMMUNITY_ID_DIR"), *c = getenv("VIGIL_PCAP_CORPUS");
	FILE *fp;

	if (d && *d)
		snprintf(buf, len, "%s", d);
	else if (c && *c)
		snprintf(buf, len, "%s/../community-id", c);
	else
		snprintf(buf, len, "../shared/community-id");
	char probe[512];
	snprintf(probe, sizeof probe, "%s/baseline_deflt.json", buf);
	if (!(fp = fopen(probe, "rb")))
		return NULL;
	fclose(fp);
	return buf;
}

/* Every tuple of one baseline file; returns how many were checked. */
static int check_baseline(const char *dir, const char *name, uint16_t seed, int hex)
{
	char path[512], err[128], sa[64], da[64], want[64], got[64];
	static char text[1 << 20];
	struct jp_doc doc;
	FILE *fp;
	size_t n;
	int checked = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	n = fread(text, 1, sizeof text, fp);
	fclose(fp);
	assert_true(n > 0 && n < sizeof text);
	memset(&doc, 0, sizeof doc);
	if (jp_parse(&doc, text, n, err, sizeof err) < 0)
		fail_msg("%s: %s", path, err);
	assert_int_equal(doc.v[0].type, JP_ARRAY);
	for (uint32_t i = 1; i < doc.v[0].next; i = doc.v[i].next) {
		int64_t proto, sp, dp;
		long m;
		assert_int_equal(doc.v[i].type, JP_OBJECT);
		assert_true((m = jp_member(&doc, i, "proto")) >= 0 && jp_int64(&doc, (uint32_t)m, &proto) == 0);
		assert_true((m = jp_member(&doc, i, "saddr")) >= 0 && jp_string(&doc, (uint32_t)m, sa, sizeof sa) > 0);
		assert_true((m = jp_member(&doc, i, "daddr")) >= 0 && jp_string(&doc, (uint32_t)m, da, sizeof da) > 0);
		assert_true((m = jp_member(&doc, i, "communityid")) >= 0 &&
			    jp_string(&doc, (uint32_t)m, want, sizeof want) > 0);
		sp = dp = 0;
		/* null ports: a protocol without them */
		if ((m = jp_member(&doc, i, "sport")) >= 0 && doc.v[m].type != JP_NULL)
			assert_int_equal(jp_int64(&doc, (uint32_t)m, &sp), 0);
		if ((m = jp_member(&doc, i, "dport")) >= 0 && doc.v[m].type != JP_NULL)
			assert_int_equal(jp_int64(&doc, (uint32_t)m, &dp), 0);
		calc(got, sizeof got, hex, seed, sa, da, (uint8_t)proto, (uint16_t)sp, (uint16_t)dp);
		if (strcmp(got, want) != 0)
			fail_msg("%s: proto %d %s:%d -> %s:%d: got %s, want %s", name, (int)proto, sa,
				 (int)sp, da, (int)dp, got, want);
		checked++;
	}
	jp_free(&doc);
	return checked;
}

static void test_baseline_files(void **state)
{
	char dir[400];
	(void)state;
	if (!baseline_dir(dir, sizeof dir)) {
		printf("community-id baseline files not found: skipped (set VIGIL_COMMUNITY_ID_DIR)\n");
		skip();
	}
	int n = check_baseline(dir, "baseline_deflt.json", 0, 0);
	n += check_baseline(dir, "baseline_seed1.json", 1, 0);
	n += check_baseline(dir, "baseline_nob64.json", 0, 1);
	printf("community-id baseline: %d tuples match\n", n);
	assert_true(n >= 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_symmetric),
		cmocka_unit_test(test_baseline_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
