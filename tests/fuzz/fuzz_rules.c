/*
 * fuzz_rules.c - the signature parser (Suricata's rule syntax,
 * detect_sig.h) and then the matcher, on whatever rules loaded.
 *
 * Input: the text of a .rules file. It is also read as a
 * classification.config first (its "config classification:" lines
 * define classtypes the rules may use; every other line is a reported
 * problem). Lines "#@field value" (comments to the parser) describe one
 * more flow record to match (fuzz.h).
 *
 * Checked beyond "no crash": every problem names the file and a line
 * that exists; the count returned is the set's size; every rule (lines
 * joined by a trailing '\\') either loads or has exactly one problem, and
 * so has every line the line reader refuses; every rule that
 * loaded is matched against the test records (twice, for thresholds)
 * and every alert is well formed and written as valid EVE JSON
 * (fuzz_alert_cb).
 */
#include "fuzz.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "detect/detect_sig.h"
#include "core/homenet.h"
#include "core/log.h"

static struct homenet home;
static char path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[200];

	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	if (homenet_parse(&home, HOMENET_DEFAULT, err, sizeof err) != 0)
		fuzz_fail("home net: %s", err);
	fuzz_path(path, sizeof path, "fuzz.rules");
	return 0;
}

/* Rules in the text as sig_load_file reads it (conf.h's line reader): a
 * line with a NUL byte or longer than CONF_LINE_RULES is refused with a
 * problem of its own and left out; a UTF-8 byte-order mark before the
 * first line is dropped; lines are joined while they end in '\\' (after
 * trailing spaces); empty ones and '#' comments are no rules. Returns
 * rules + refused lines: each of them is one problem or one rule loaded. */
static int count_rules(const uint8_t *data, size_t size)
{
	char *acc = malloc(size + 1);
	size_t alen = 0, i = 0;
	int pending = 0, rules = 0, refused = 0, lineno = 0;

	if (!acc)
		fuzz_fail("out of memory");
	while (i < size) {
		const uint8_t *l = data + i, *nl = memchr(l, '\n', size - i);
		size_t n = nl ? (size_t)(nl - l) : size - i;
		i += n + (nl != NULL);
		lineno++;
		if (n && l[n - 1] == '\r')
			n--;
		if (n > CONF_LINE_RULES || memchr(l, '\0', n)) {
			refused++;
			continue;
		}
		if (lineno == 1 && n >= 3 && memcmp(l, "\xEF\xBB\xBF", 3) == 0) {
			l += 3;
			n -= 3;
		}
		if (!pending)
			alen = 0;
		while (n && isspace(l[n - 1]))
			n--;
		pending = n && l[n - 1] == '\\';
		if (pending)
			n--;
		memcpy(acc + alen, l, n);
		alen += n;
		acc[alen] = '\0';
		if (!pending) {
			const char *t = acc;
			while (isspace((unsigned char)*t))
				t++;
			rules += *t && *t != '#';
		}
	}
	if (pending) {
		const char *t = acc;
		while (isspace((unsigned char)*t))
			t++;
		rules += *t && *t != '#';
	}
	free(acc);
	return rules + refused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_problem_ctx pc = { path, 0, 0 };
	struct fuzz_alerts fa;
	struct flow_record extra;
	const struct flow_record *recs;
	struct sig_set *s;
	char *buf;
	int n, nrec;

	fuzz_write_file(path, data, size);
	pc.max_line = fuzz_count_lines(data, size);
	s = sig_set_new(&home);
	if (!s)
		return 0;
	if (sig_load_classification(s, path, fuzz_problem_check, &pc) < 0)
		fuzz_fail("sig_load_classification could not read %s", path);
	pc.count = 0;
	n = sig_load_file(s, path, fuzz_problem_check, &pc);
	if (n < 0)
		fuzz_fail("sig_load_file could not read %s", path);
	if ((size_t)n != sig_count(s))
		fuzz_fail("sig_load_file says %d rules, the set has %zu", n, sig_count(s));
	int written = count_rules(data, size);
	if (n + pc.count != written)
		fuzz_fail("%d rules written, %d loaded and %d problem(s) reported", written, n, pc.count);

	buf = malloc(size + 1);
	if (!buf)
		fuzz_fail("out of memory");
	fuzz_record_from_text(data, size, buf, &extra);
	recs = fuzz_records(&nrec);
	fuzz_alerts_open(&fa);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < nrec; i++)
			sig_match_flow(s, &recs[i], recs[i].end_us + round * 1000000ULL, fuzz_alert_cb, &fa);
		sig_match_flow(s, &extra, extra.end_us + round * 1000000ULL, fuzz_alert_cb, &fa);
	}
	fuzz_alerts_close(&fa);
	free(buf);
	sig_set_free(s);
	return 0;
}
