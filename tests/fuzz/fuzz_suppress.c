/*
 * fuzz_suppress.c - suppress.conf, read the way every rule set directory
 * is read (ruleset_load_dir), and the suppression decision.
 *
 * Input: the text of a suppress.conf (the only file of a rule set
 * directory).
 *
 * Checked beyond "no crash": every problem printed names the file and a
 * line that exists, and the rule set counts as many problems as were
 * printed; at most SUPPRESS_MAX entries are kept; what loads is what was
 * written: the lines without a problem, in order, are the entries, with
 * the gen_id, sig_id and ip list of their text (the list read on its own
 * by homenet_parse); deciding on alerts of every engine from both ends of
 * the test records works.
 */
#include "fuzz.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "detect/alert.h"
#include "core/log.h"
#include "detect/ruleset.h"
#include "detect/suppress.h"

static struct homenet home;
static char dir[600], path[700];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[200];

	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	if (homenet_parse(&home, HOMENET_DEFAULT, err, sizeof err) != 0)
		fuzz_fail("home net: %s", err);
	fuzz_path(dir, sizeof dir, "rules");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		fuzz_fail("mkdir %s: %s", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/suppress.conf", dir);
	return 0;
}

/* Line numbers of the problems printed ("path:N: ..."), as a bitmap. */
static uint8_t *problem_lines(const char *out, size_t len, int max_line)
{
	uint8_t *bad = calloc((size_t)max_line + 2, 1);
	size_t plen = strlen(path);

	if (!bad)
		fuzz_fail("out of memory");
	for (size_t i = 0; i < len;) {
		const char *l = out + i, *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		long ln = n > plen + 1 ? strtol(l + plen + 1, NULL, 10) : 0;
		if (ln >= 1 && ln <= max_line)
			bad[ln] = 1;
		i += n + 1;
	}
	return bad;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The entry loaded from line l (a "suppress ..." line without a problem)
 * holds what l says. l is modified. */
static void check_entry(const struct suppress_entry *e, char *l, int lineno)
{
	char *p = l + 8;   /* after "suppress" */

	while (*p) {
		char *f = p;
		int depth = 0;
		while (*p && (depth > 0 || *p != ',')) {
			depth += *p == '[';
			depth -= *p == ']';
			p++;
		}
		if (*p)
			*p++ = '\0';
		f = trim(f);
		char *v = f;
		while (*v && !isspace((unsigned char)*v))
			v++;
		if (*v)
			*v++ = '\0';
		v = trim(v);
		if (!strcmp(f, "gen_id") && strtoul(v, NULL, 10) != e->gid)
			fuzz_fail("line %d: gen_id %s loaded as %u", lineno, v, e->gid);
		if (!strcmp(f, "sig_id") && strtoul(v, NULL, 10) != e->sid)
			fuzz_fail("line %d: sig_id %s loaded as %u", lineno, v, e->sid);
		if (!strcmp(f, "ip")) {
			struct homenet h;
			char err[300];
			size_t n = strlen(v);
			if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
				v[n - 1] = '\0';
				v++;
			}
			if (homenet_parse(&h, v, err, sizeof err) != 0)
				fuzz_fail("line %d: loaded with an ip list homenet_parse refuses (%s)", lineno, err);
			if (h.n != e->ips.n || memcmp(h.net, e->ips.net, sizeof h.net[0] * (size_t)h.n) != 0)
				fuzz_fail("line %d: the ip list loaded (%d networks) is not the one written (%d)",
					  lineno, e->ips.n, h.n);
		}
	}
}

/* Walk the input as the suppress.conf reader does (conf.h's line reader: lines with
 * a NUL byte or too long are refused with a problem; a byte-order mark is
 * dropped): '#' starts a comment, spaces around are trimmed, empty lines
 * skipped. */
static void check_entries(const struct ruleset *rs, const uint8_t *data, size_t size,
			  const uint8_t *bad)
{
	const struct suppress *sp = ruleset_suppressions(rs);
	char *text = malloc(size + 1);
	int lineno = 0, k = 0;
	size_t i = 0;

	if (!text)
		fuzz_fail("out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	while (i < size) {
		char *l = text + i, *nl = memchr(l, '\n', size - i);
		size_t n = nl ? (size_t)(nl - l) : size - i;
		i += n + 1;
		lineno++;
		l[n] = '\0';
		if (bad[lineno])
			continue;    /* refused (NUL byte, too long) or a problem of its own */
		if (strlen(l) != n)
			fuzz_fail("line %d holds a NUL byte and no problem was reported", lineno);
		if (lineno == 1 && n >= 3 && memcmp(l, "\xEF\xBB\xBF", 3) == 0)
			l += 3;      /* the line reader drops a byte-order mark */
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		l = trim(l);
		if (!*l || bad[lineno])
			continue;
		if (k >= suppress_count(sp))
			fuzz_fail("line %d has no problem reported and no entry", lineno);
		check_entry(suppress_entry(sp, k++), l, lineno);
	}
	if (k != suppress_count(sp))
		fuzz_fail("%d entries loaded from %d lines without a problem", suppress_count(sp), k);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t gids[] = { GID_SIGNATURE, GID_IOC, GID_DETECTOR };
	struct fuzz_report rep;
	const struct flow_record *recs;
	const struct suppress *sp;
	struct ruleset *rs;
	int nrec, printed;

	fuzz_write_file(path, data, size);
	fuzz_report_open(&rep);
	rs = ruleset_new(&home, rep.f);
	if (!rs) {
		fuzz_report_close(&rep, path, 0);
		return 0;
	}
	if (ruleset_load_dir(rs, dir) != 0)
		fuzz_fail("ruleset_load_dir could not read %s", dir);
	fflush(rep.f);
	uint8_t *bad = problem_lines(rep.buf, rep.len, fuzz_count_lines(data, size));
	printed = fuzz_report_close(&rep, path, fuzz_count_lines(data, size));
	if (printed != ruleset_problems(rs))
		fuzz_fail("%d problems printed, %d counted", printed, ruleset_problems(rs));
	sp = ruleset_suppressions(rs);
	if (suppress_count(sp) < 0 || suppress_count(sp) > SUPPRESS_MAX)
		fuzz_fail("%d suppress entries", suppress_count(sp));
	check_entries(rs, data, size, bad);
	free(bad);

	recs = fuzz_records(&nrec);
	for (int i = 0; i < nrec; i++) {
		for (int g = 0; g < 3; g++) {
			struct alert a;
			memset(&a, 0, sizeof a);
			a.engine = g;
			a.gid = gids[g];
			a.signature = "fuzz";
			snprintf(a.src_ip, sizeof a.src_ip, "%s", recs[i].src_ip);
			/* detector alerts may have no destination */
			if (g != 2 || i % 2)
				snprintf(a.dest_ip, sizeof a.dest_ip, "%s", recs[i].dest_ip);
			for (int k = 0; k < suppress_count(sp) && k < 8; k++) {
				a.gid = suppress_entry(sp, k)->gid;
				a.sid = suppress_entry(sp, k)->sid;
				ruleset_suppressed(rs, &a);
			}
			a.sid = (uint32_t)i + 1;
			ruleset_suppressed(rs, &a);
		}
	}
	ruleset_free(rs);
	return 0;
}
