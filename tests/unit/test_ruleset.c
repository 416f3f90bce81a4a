/*
 * test_ruleset.c - rule set directories (detect/ruleset.h) and
 * suppress.conf (detect/suppress.h) on real files: what each directory
 * brings to the merged set, its problems as "file:line: reason" kept per
 * directory, a directory that cannot be read, the decision of every kind
 * of suppression, and the web's entries written and read back through
 * the one reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/ruleset.h"
#include "detect/suppress.h"
#include "unit_tmpdir.h"

static char root[64];
static struct homenet home;

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static const char *at(const char *rel)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, sizeof buf[0], "%s/%s", root, rel);
	return p;
}

#define RULE(sid) "alert tcp any any -> any any (msg:\"test " #sid "\"; " \
	"ndpi-protocol:Telnet; classtype:policy-violation; sid:" #sid "; rev:1;)\n"

static int setup(void **state)
{
	char err[64];

	(void)state;
	if (tmpdir_make(root, "ruleset") != 0 || homenet_parse(&home, HOMENET_DEFAULT, err, sizeof err) != 0)
		return -1;
	dir("a");
	put("a/one.rules", RULE(1001) RULE(1002));
	put("a/two.rules", RULE(1003));
	put("a/README.md", "not a rule file\n");
	dir("a/ioc");
	put("a/ioc/plain.txt", "# indicators\n203.0.113.7\nevil.example\n");
	put("a/detectors.conf", "[portscan]\nenabled = yes\n");
	dir("b");
	put("b/bad.rules", RULE(2001) "alert tcp any any -> any any (msg:\"x\"; sid:2002; "
	    "bogus_keyword;)\n");
	put("b/suppress.conf", "# the whole rule\nsuppress gen_id 1, sig_id 1001\n"
	    "suppress gen_id 1, sig_id 1002, track by_src, ip 192.168.1.0/24\n"
	    "suppress gen_id 9100, sig_id 1, track by_dst, ip [10.0.0.1, 10.0.0.2]\n"
	    "suppress gen_id 1, sig_id 7, track by_either, ip 172.16.0.9\n"
	    "suppress gen_id 1\n");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(root);
}

static void test_load_dirs(void **state)
{
	const char *dirs[] = { at("a"), at("b"), at("missing") };
	struct ruleset_dir each[3];
	struct ruleset_counts c;
	char *text = NULL;
	size_t len = 0;
	FILE *report = open_memstream(&text, &len);
	struct ruleset *rs;

	(void)state;
	rs = ruleset_load(&home, dirs, 3, report, each);
	fclose(report);
	assert_non_null(rs);
	ruleset_get_counts(rs, &c);
	assert_int_equal(c.signatures, 4);
	assert_int_equal(c.indicators, 2);
	assert_int_equal(c.detectors, 1);
	assert_int_equal(c.suppressions, 4);
	assert_int_equal(c.dirs, 2);
	/* b: an unsupported keyword and a suppress line without sig_id;
	 * missing: the directory itself */
	assert_int_equal(c.problems, 3);
	assert_int_equal(ruleset_problems(rs), 3);

	assert_string_equal(each[0].dir, dirs[0]);
	assert_int_equal(each[0].signatures, 3);
	assert_int_equal(each[0].indicators, 2);
	assert_int_equal(each[0].detectors, 1);
	assert_int_equal(each[0].problems, 0);
	assert_true(!each[0].problem_text || !each[0].problem_text[0]);

	assert_int_equal(each[1].signatures, 1);
	assert_int_equal(each[1].detectors, 0);   /* b has no detectors.conf */
	assert_int_equal(each[1].problems, 2);
	char want[300];
	snprintf(want, sizeof want, "%s:2: ", at("b/bad.rules"));
	assert_non_null(strstr(each[1].problem_text, want));
	snprintf(want, sizeof want, "%s:6: missing sig_id\n", at("b/suppress.conf"));
	assert_non_null(strstr(each[1].problem_text, want));

	assert_int_equal(each[2].problems, 1);
	snprintf(want, sizeof want, "%s: cannot read rule set directory", dirs[2]);
	assert_non_null(strstr(each[2].problem_text, want));

	/* the report got every problem, the directories' texts in order */
	assert_non_null(strstr(text, each[1].problem_text));
	assert_non_null(strstr(text, each[2].problem_text));
	free(text);
	ruleset_dirs_free(each, 3);
	assert_null(each[1].problem_text);
	ruleset_free(rs);
}

static struct alert alert_of(uint32_t gid, uint32_t sid, const char *src, const char *dest)
{
	struct alert a;

	memset(&a, 0, sizeof a);
	a.gid = gid;
	a.sid = sid;
	snprintf(a.src_ip, sizeof a.src_ip, "%s", src);
	snprintf(a.dest_ip, sizeof a.dest_ip, "%s", dest);
	return a;
}

static void test_suppressed(void **state)
{
	const char *dirs[] = { at("b") };
	struct ruleset *rs = ruleset_load(&home, dirs, 1, NULL, NULL);
	struct alert a;

	(void)state;
	assert_non_null(rs);
	a = alert_of(1, 1001, "1.2.3.4", "5.6.7.8");           /* the whole rule */
	assert_true(ruleset_suppressed(rs, &a));
	a = alert_of(1, 1002, "192.168.1.20", "5.6.7.8");      /* by_src, in the net */
	assert_true(ruleset_suppressed(rs, &a));
	a = alert_of(1, 1002, "5.6.7.8", "192.168.1.20");      /* by_src: not the source */
	assert_false(ruleset_suppressed(rs, &a));
	a = alert_of(9100, 1, "8.8.8.8", "10.0.0.2");          /* by_dst, a list */
	assert_true(ruleset_suppressed(rs, &a));
	a = alert_of(9100, 1, "10.0.0.2", "8.8.8.8");
	assert_false(ruleset_suppressed(rs, &a));
	a = alert_of(1, 7, "8.8.8.8", "172.16.0.9");           /* by_either */
	assert_true(ruleset_suppressed(rs, &a));
	a = alert_of(1, 7, "172.16.0.9", "");                  /* no destination */
	assert_true(ruleset_suppressed(rs, &a));
	a = alert_of(1, 7, "8.8.8.8", "");
	assert_false(ruleset_suppressed(rs, &a));
	a = alert_of(2, 1001, "1.2.3.4", "5.6.7.8");           /* another generator */
	assert_false(ruleset_suppressed(rs, &a));
	ruleset_free(rs);
}

static void test_suppress_written(void **state)
{
	char line[256], path[300], err[300];
	struct suppress *s = suppress_new();
	struct alert a;
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	FILE *rep;

	(void)state;
	assert_non_null(s);
	assert_int_equal(suppress_format(line, sizeof line, 1, 42, SUPPRESS_ALL, NULL), 0);
	assert_string_equal(line, "suppress gen_id 1, sig_id 42");
	assert_int_equal(suppress_format(line, sizeof line, 9200, 1, SUPPRESS_BY_DST, "fd00::1"), 0);
	assert_string_equal(line, "suppress gen_id 9200, sig_id 1, track by_dst, ip fd00::1");
	/* what goes into a rule file must be an address */
	assert_int_equal(suppress_format(line, sizeof line, 1, 42, SUPPRESS_BY_SRC, ""), -1);
	assert_int_equal(suppress_format(line, sizeof line, 1, 42, SUPPRESS_BY_SRC,
					 "10.0.0.1, ip 0.0.0.0/0"), -1);

	assert_int_equal(suppress_format(line, sizeof line, 1, 42, SUPPRESS_BY_SRC, "10.9.8.7"), 0);
	assert_int_equal(suppress_append(at("managed"), "# alert 5, by ana", line, path,
					 sizeof path, err, sizeof err), 1);
	assert_string_equal(path, at("managed/suppress.conf"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	/* the same line again: already there */
	assert_int_equal(suppress_append(at("managed"), "# again", line, path, sizeof path, err,
					 sizeof err), 0);
	assert_int_equal(suppress_format(line, sizeof line, 1, 43, SUPPRESS_ALL, NULL), 0);
	assert_int_equal(suppress_append(at("managed"), "# alert 6", line, path, sizeof path, err,
					 sizeof err), 1);

	/* read back through the one reader: two entries, no problem */
	rep = open_memstream(&text, &len);
	assert_int_equal(suppress_load(s, path, conf_print_problem, rep), 2);
	fclose(rep);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(suppress_count(s), 2);
	assert_int_equal(suppress_entry(s, 0)->sid, 42);
	assert_int_equal(suppress_entry(s, 0)->track, SUPPRESS_BY_SRC);
	assert_int_equal(suppress_entry(s, 1)->sid, 43);
	assert_null(suppress_entry(s, 2));
	a = alert_of(1, 42, "10.9.8.7", "1.1.1.1");
	assert_true(suppress_match(s, &a));
	a = alert_of(1, 42, "10.9.8.6", "1.1.1.1");
	assert_false(suppress_match(s, &a));

	/* a directory that cannot be made */
	assert_int_equal(suppress_append("/proc/nonexistent/rules", "#", line, path, sizeof path,
					 err, sizeof err), -1);
	assert_non_null(strstr(err, "create /proc/nonexistent/rules"));
	suppress_free(s);
}

/* suppress_each and suppress_remove: the managed file listed entry by
 * entry with the note above each, and an entry removed with its note. */
struct seen { int n; struct suppress_item it[4]; };

static void seen_item(void *ctx, const struct suppress_item *it)
{
	struct seen *s = ctx;
	if (s->n < 4)
		s->it[s->n] = *it;
	s->n++;
}

static void test_suppress_list_remove(void **state)
{
	static struct seen seen;
	char path[1200], err[1400], *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	mkdir(at("listed"), 0750);
	snprintf(path, sizeof path, "%s", at("listed/suppress.conf"));
	/* not there: no entries */
	memset(&seen, 0, sizeof seen);
	assert_int_equal(suppress_each(path, seen_item, &seen), 0);
	assert_int_equal(suppress_remove(at("listed"), 1, "x", err, sizeof err), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("# Managed\n"
	      "# alert 5, by ana, 2026-12-05T10:00:00Z: FTP login\n"
	      "suppress gen_id 1, sig_id 42, track by_src, ip 10.9.8.7\n"
	      "\n"
	      "  suppress gen_id 1, sig_id 43, track by_either, ip [10.0.0.0/8, fd00::1]  \n"
	      "suppress gen_id 1\n", fp);
	fclose(fp);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(suppress_each(path, seen_item, &seen), 3);
	assert_int_equal(seen.it[0].line, 3);
	assert_true(seen.it[0].valid);
	assert_string_equal(seen.it[0].note, "alert 5, by ana, 2026-12-05T10:00:00Z: FTP login");
	assert_string_equal(seen.it[0].ip, "10.9.8.7");
	assert_int_equal(seen.it[0].e.sid, 42);
	assert_int_equal(seen.it[1].line, 5);
	assert_string_equal(seen.it[1].text,
			    "suppress gen_id 1, sig_id 43, track by_either, ip [10.0.0.0/8, fd00::1]");
	assert_string_equal(seen.it[1].note, "");      /* a blank line ends a note */
	assert_string_equal(seen.it[1].ip, "10.0.0.0/8, fd00::1");
	assert_int_equal(seen.it[1].e.track, SUPPRESS_BY_EITHER);
	assert_int_equal(seen.it[2].line, 6);
	assert_false(seen.it[2].valid);

	/* the line number must still hold that text: nothing changes */
	assert_int_equal(suppress_remove(at("listed"), 5, seen.it[0].text, err, sizeof err), 0);
	assert_non_null(strstr(err, "line 5"));
	/* the first entry goes with its note; the rest stays byte for byte */
	assert_int_equal(suppress_remove(at("listed"), 3, seen.it[0].text, err, sizeof err), 1);
	fp = fopen(path, "r");
	assert_non_null(fp);
	text = calloc(1, 4096);
	len = fread(text, 1, 4095, fp);
	fclose(fp);
	assert_true(len > 0);
	assert_string_equal(text, "# Managed\n"
			    "\n"
			    "  suppress gen_id 1, sig_id 43, track by_either, ip [10.0.0.0/8, fd00::1]  \n"
			    "suppress gen_id 1\n");
	free(text);
	assert_int_equal(access(at("listed/.suppress.conf.tmp"), F_OK), -1);
	/* a trimmed text names an indented line */
	assert_int_equal(suppress_remove(at("listed"), 3, seen.it[1].text, err, sizeof err), 1);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(suppress_each(path, seen_item, &seen), 1);
	assert_string_equal(seen.it[0].text, "suppress gen_id 1");
}

/* The expiry: a trailing "# expires TIME" read into the entry; past it
 * (wall clock) the entry silences nothing; a bad time is file:line: reason;
 * other trailing comments stay comments. */
static void test_suppress_expiry(void **state)
{
	struct suppress *s = suppress_new();
	char path[1200], buf[64], *text = NULL;
	size_t len = 0;
	struct alert a;
	int64_t t;
	uint64_t t2;
	FILE *fp, *rep;

	(void)state;
	assert_int_equal(suppress_parse_time("2026-12-05T21:00:00Z", &t), 0);
	assert_int_equal(t, 1796504400);
	suppress_format_expiry(buf, sizeof buf, t);
	assert_string_equal(buf, " # expires 2026-12-05T21:00:00Z");
	assert_int_equal(suppress_parse_time("2026-12-05T21:00:00", &t), -1);
	assert_int_equal(suppress_parse_time("2026-12-05T21:00:00Z ", &t), -1);
	assert_int_equal(suppress_parse_time("2026-13-05T21:00:00Z", &t), -1);
	assert_int_equal(suppress_parse_time("2026-12-05 21:00:00Z", &t), -1);
	assert_int_equal(suppress_parse_time("", &t), -1);

	mkdir(at("expiry"), 0750);
	snprintf(path, sizeof path, "%s", at("expiry/suppress.conf"));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("suppress gen_id 1, sig_id 50 # expires 2026-12-05T21:00:00Z\n"
	      "suppress gen_id 1, sig_id 51, track by_src, ip 10.0.0.1   #expires   2026-12-05T21:00:00Z \n"
	      "suppress gen_id 1, sig_id 52 # our scanner, expires never\n"
	      "suppress gen_id 1, sig_id 53 # expires tomorrow\n"
	      "suppress gen_id 1, sig_id 54 # expiresX\n", fp);
	fclose(fp);
	rep = open_memstream(&text, &len);
	assert_int_equal(suppress_load(s, path, conf_print_problem, rep), 4);
	fclose(rep);
	assert_non_null(strstr(text, "suppress.conf:4: bad expires 'tomorrow'"));
	free(text);
	assert_int_equal(suppress_entry(s, 0)->expires, 1796504400);
	assert_int_equal(suppress_entry(s, 1)->expires, 1796504400);
	assert_int_equal(suppress_entry(s, 2)->expires, 0);
	assert_int_equal(suppress_entry(s, 3)->sid, 54);
	assert_int_equal(suppress_entry(s, 3)->expires, 0);
	a = alert_of(1, 50, "10.0.0.1", "1.1.1.1");
	assert_true(suppress_match_at(s, &a, 1796504399));
	assert_false(suppress_match_at(s, &a, 1796504400));
	a = alert_of(1, 51, "10.0.0.1", "1.1.1.1");
	assert_true(suppress_match_at(s, &a, 1796504399));
	assert_false(suppress_match_at(s, &a, 1796504401));
	a = alert_of(1, 52, "10.0.0.1", "1.1.1.1");
	assert_true(suppress_match_at(s, &a, 4102444800));
	/* which entry silenced, and its key as the web computes it from the line */
	a = alert_of(1, 51, "10.0.0.1", "1.1.1.1");
	assert_int_equal(suppress_which(s, &a, 1796504399), 1);
	assert_int_equal(suppress_which(s, &a, 1796504401), -1);
	assert_int_equal(suppress_line_key("suppress gen_id 1, sig_id 51, track by_src, ip 10.0.0.1"
					   " # expires 2026-12-05T21:00:00Z", &t2), 0);
	assert_true(t2 == suppress_entry(s, 1)->key);
	suppress_free(s);
}

/* An entry's key (the identity its silenced count is kept under): the
 * same whatever the spacing and comments, another with another field or
 * expiry; suppress_which names the entry that silenced. */
static void test_suppress_key(void **state)
{
	uint64_t k1, k2, k3, k4, k5;

	(void)state;
	assert_int_equal(suppress_line_key("suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.1", &k1), 0);
	assert_int_equal(suppress_line_key("  suppress gen_id 1 ,sig_id 2,track by_src,ip [10.0.0.1] # hi", &k2), 0);
	assert_int_equal(suppress_line_key("suppress gen_id 1, sig_id 2, track by_dst, ip 10.0.0.1", &k3), 0);
	assert_int_equal(suppress_line_key("suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.1"
					   " # expires 2030-01-01T00:00:00Z", &k4), 0);
	assert_int_equal(suppress_line_key("suppress gen_id 1, sig_id 3, track by_src, ip 10.0.0.1", &k5), 0);
	assert_true(k1 == k2);
	assert_true(k1 != k3 && k1 != k4 && k1 != k5 && k3 != k4);
	assert_int_equal(suppress_line_key("suppress gen_id 1", &k1), -1);
	assert_int_equal(suppress_line_key("suppress gen_id 1, sig_id 2 # expires tomorrow", &k1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_dirs),
		cmocka_unit_test(test_suppressed),
		cmocka_unit_test(test_suppress_written),
		cmocka_unit_test(test_suppress_list_remove),
		cmocka_unit_test(test_suppress_expiry),
		cmocka_unit_test(test_suppress_key),
	};
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
