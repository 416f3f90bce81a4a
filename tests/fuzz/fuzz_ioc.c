/*
 * fuzz_ioc.c - the indicator-list reader (detect_ioc.h): plain lists and
 * the abuse.ch (Feodo, SSLBL JA3 and certificates, URLhaus) and MISP CSV
 * layouts, recognised from the content; then matching.
 *
 * Input: the text of one list file. Lines "#@field value" (comments in
 * every layout) describe one more flow record to match (fuzz.h).
 *
 * Checked beyond "no crash": every problem names the file and a line
 * that exists, at most 100 per file plus a summary; the entries reported
 * added are the entries counted by kind; matching the test records gives
 * well-formed alerts naming the list, written as valid EVE JSON.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "detect/alert.h"
#include "detect/detect_ioc.h"
#include "core/log.h"

static char path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	fuzz_path(path, sizeof path, "list.csv");
	return 0;
}

/* Alerts must name this list and be of the indicator engine. */
static void on_alert(void *ctx, const struct alert *a)
{
	if (a->engine != ALERT_IOC || a->gid != GID_IOC || !a->ioc_kind || !a->ioc_indicator)
		fuzz_fail("indicator alert %u:%u without its kind or indicator", a->gid, a->sid);
	if (!a->ioc_list || strcmp(a->ioc_list, "list.csv") != 0)
		fuzz_fail("indicator alert names list %s", a->ioc_list ? a->ioc_list : "(none)");
	fuzz_alert_cb(ctx, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_problem_ctx pc = { path, 0, 0 };
	struct fuzz_alerts fa;
	struct ioc_counts c;
	struct flow_record extra;
	const struct flow_record *recs;
	struct ioc_db *db;
	char *buf;
	long n;
	int nrec;

	fuzz_write_file(path, data, size);
	pc.max_line = fuzz_count_lines(data, size);
	db = ioc_db_new();
	if (!db)
		return 0;
	n = ioc_load_file(db, path, fuzz_problem_check, &pc);
	if (n < 0)
		fuzz_fail("ioc_load_file could not read %s", path);
	if (pc.count > 101)
		fuzz_fail("%d problems reported for one file (at most 100 and a summary)", pc.count);
	ioc_get_counts(db, &c);
	if (c.ip + c.cidr + c.domain + c.ja3 + c.ja3s + c.cert_sha1 != (size_t)n)
		fuzz_fail("ioc_load_file says %ld entries, the counts by kind add up to %zu", n,
			  c.ip + c.cidr + c.domain + c.ja3 + c.ja3s + c.cert_sha1);

	buf = malloc(size + 1);
	if (!buf)
		fuzz_fail("out of memory");
	fuzz_record_from_text(data, size, buf, &extra);
	recs = fuzz_records(&nrec);
	fuzz_alerts_open(&fa);
	for (int i = 0; i < nrec; i++)
		ioc_match_flow(db, &recs[i], recs[i].end_us, on_alert, &fa);
	ioc_match_flow(db, &extra, extra.end_us, on_alert, &fa);
	fuzz_alerts_close(&fa);
	free(buf);
	ioc_db_free(db);
	return 0;
}
