/*
 * fuzz_suppress.c - suppress.conf, read the way every rule set directory
 * is read (ruleset_load_dir), and the suppression decision.
 *
 * Input: the text of a suppress.conf (the only file of a rule set
 * directory).
 *
 * Checked beyond "no crash": every problem printed names the file and a
 * line that exists, and the rule set counts as many problems as were
 * printed; at most SUPPRESS_MAX entries are kept; deciding on alerts of
 * every engine from both ends of the test records works.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alert.h"
#include "log.h"
#include "ruleset.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t gids[] = { GID_SIGNATURE, GID_IOC, GID_DETECTOR };
	struct fuzz_report rep;
	const struct flow_record *recs;
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
	printed = fuzz_report_close(&rep, path, fuzz_count_lines(data, size));
	if (printed != rs->problems)
		fuzz_fail("%d problems printed, %d counted", printed, rs->problems);
	if (rs->n_suppress < 0 || rs->n_suppress > SUPPRESS_MAX)
		fuzz_fail("%d suppress entries", rs->n_suppress);

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
			for (int k = 0; k < rs->n_suppress && k < 8; k++) {
				a.gid = rs->suppress[k].gid;
				a.sid = rs->suppress[k].sid;
				ruleset_suppressed(rs, &a);
			}
			a.sid = (uint32_t)i + 1;
			ruleset_suppressed(rs, &a);
		}
	}
	ruleset_free(rs);
	return 0;
}
