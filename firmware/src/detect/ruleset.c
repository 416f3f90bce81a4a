/*
 * ruleset.c - rule set directories (see ruleset.h).
 *
 * A directory is read in a fixed order so that loading is deterministic:
 * classification.config, then *.rules in name order, then ioc/ in name
 * order, then detectors.conf and suppress.conf. Files that are none of
 * these (README.md, ...) are left alone. Every file read goes through
 * conf.h: a regular file (a symlink to one is followed) of bounded size,
 * opened without blocking; anything else under one of these names is a
 * problem ("file: not a regular file (a FIFO)"), so a reload never waits
 * on it and a rule set never silently loses a file.
 */
#include "ruleset.h"

#include "core/clock.h"
#include "core/conf.h"
#include "detect_behav.h"
#include "detect_ioc.h"
#include "detect_sig.h"
#include "suppress.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RULESET_MAX_FILES 1024      /* *.rules files, and indicator lists, per directory */
#define RULESET_MAX_FILES_STR "1024"

struct ruleset {
	struct homenet home;
	struct sig_set *sigs;
	struct ioc_db *iocs;
	struct behav *behav;
	struct suppress *suppress;
	int problems;            /* problems reported while loading */
	int dirs;                /* directories loaded */
	long sig_files, ioc_files;
	FILE *report;            /* where problems are printed; NULL: nowhere */
	FILE *dir_report;        /* also here: the directory being loaded's */
	uint64_t last_expire_s;  /* detectors' expiry, once a second of packet time */
};

/* Every problem of every file of a set passes here: counted, printed. */
static void print_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct ruleset *rs = ctx;

	rs->problems++;
	conf_print_problem(rs->report, file, line, msg);
	conf_print_problem(rs->dir_report, file, line, msg);
}

struct ruleset *ruleset_new(const struct homenet *home, FILE *report)
{
	struct ruleset *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	rs->home = *home;
	rs->report = report;
	rs->sigs = sig_set_new(&rs->home);
	rs->iocs = ioc_db_new();
	rs->behav = behav_new(&rs->home);
	rs->suppress = suppress_new();
	if (!rs->sigs || !rs->iocs || !rs->behav || !rs->suppress) {
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	sig_set_free(rs->sigs);
	ioc_db_free(rs->iocs);
	behav_free(rs->behav);
	suppress_free(rs->suppress);
	free(rs);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Names in dir, sorted; NULL-terminated array the caller frees (and each
 * name). Hidden files are skipped. */
static char **sorted_names(const char *dir, int *n_out)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort), k = 0;
	if (n < 0)
		return NULL;
	char **names = calloc((size_t)n + 1, sizeof *names);
	for (int i = 0; i < n; i++) {
		if (names && list[i]->d_name[0] != '.')
			names[k++] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	*n_out = k;
	return names;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The name is there at all. An optional file that is there must be a
 * regular file (or a symlink to one): the loaders (conf.h) report a FIFO,
 * a directory, a device or a dangling symlink by name instead of reading
 * it or skipping it silently. */
static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int ruleset_load_dir(struct ruleset *rs, const char *dir)
{
	char path[4096];
	int n, files = 0;
	char **names = sorted_names(dir, &n);

	if (!names) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read rule set directory: %s", strerror(errno));
		print_problem(rs, dir, 0, msg);
		return -1;
	}
	rs->dirs++;
	snprintf(path, sizeof path, "%s/classification.config", dir);
	if (exists(path))
		sig_load_classification(rs->sigs, path, print_problem, rs);

	for (int i = 0; i < n; i++) {
		if (!has_suffix(names[i], ".rules"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (++files > RULESET_MAX_FILES) {
			print_problem(rs, dir, 0, "more than " RULESET_MAX_FILES_STR " *.rules files");
			break;
		}
		if (sig_load_file(rs->sigs, path, print_problem, rs) >= 0)
			rs->sig_files++;
	}

	snprintf(path, sizeof path, "%s/ioc", dir);
	int ni;
	char **iocs = exists(path) ? sorted_names(path, &ni) : NULL;
	if (exists(path) && !iocs) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read the indicator directory: %s", strerror(errno));
		print_problem(rs, path, 0, msg);
	}
	if (iocs) {
		files = 0;
		for (int i = 0; i < ni; i++) {
			char fpath[4096];
			if (has_suffix(iocs[i], ".md"))
				continue;
			snprintf(fpath, sizeof fpath, "%s/ioc/%s", dir, iocs[i]);
			if (++files > RULESET_MAX_FILES) {
				print_problem(rs, path, 0, "more than " RULESET_MAX_FILES_STR
					      " indicator lists");
				break;
			}
			if (ioc_load_file(rs->iocs, fpath, print_problem, rs) >= 0)
				rs->ioc_files++;
		}
		free_names(iocs, ni);
	}

	snprintf(path, sizeof path, "%s/detectors.conf", dir);
	if (exists(path))
		behav_load_config(rs->behav, path, print_problem, rs);
	snprintf(path, sizeof path, "%s/suppress.conf", dir);
	if (exists(path))
		suppress_load(rs->suppress, path, print_problem, rs);
	free_names(names, n);
	return 0;
}

/* ---- loading: the one place ------------------------------------------------- */

struct ruleset *ruleset_load(const struct homenet *home, const char *const *dirs, int n_dirs,
			     FILE *report, struct ruleset_dir *each)
{
	struct ruleset *rs = ruleset_new(home, report);

	if (!rs)
		return NULL;
	for (int i = 0; i < n_dirs; i++) {
		struct ruleset_counts before, after;
		struct ruleset_dir *rd = each ? &each[i] : NULL;
		char conf[1100];
		size_t len = 0;

		ruleset_get_counts(rs, &before);
		if (rd) {
			memset(rd, 0, sizeof *rd);
			snprintf(rd->dir, sizeof rd->dir, "%s", dirs[i]);
			rs->dir_report = open_memstream(&rd->problem_text, &len);
		}
		ruleset_load_dir(rs, dirs[i]);
		if (rs->dir_report) {
			fclose(rs->dir_report);
			rs->dir_report = NULL;
		}
		if (!rd)
			continue;
		ruleset_get_counts(rs, &after);
		rd->signatures = after.signatures - before.signatures;
		rd->indicators = after.indicators - before.indicators;
		snprintf(conf, sizeof conf, "%s/detectors.conf", dirs[i]);
		rd->detectors = access(conf, R_OK) == 0 ? after.detectors : 0;
		rd->problems = after.problems - before.problems;
	}
	rs->report = NULL;   /* loaded: nothing more is printed */
	return rs;
}

void ruleset_dirs_free(struct ruleset_dir *each, int n)
{
	for (int i = 0; i < n; i++) {
		free(each[i].problem_text);
		each[i].problem_text = NULL;
	}
}

/* ---- what a set holds ---------------------------------------------------------- */

void ruleset_get_counts(const struct ruleset *rs, struct ruleset_counts *out)
{
	struct ioc_counts ic;

	ioc_get_counts(rs->iocs, &ic);
	memset(out, 0, sizeof *out);
	out->signatures = sig_count(rs->sigs);
	out->indicators = ic.ip + ic.cidr + ic.domain + ic.ja3 + ic.ja3s + ic.cert_sha1;
	out->detectors = behav_enabled(rs->behav);
	out->suppressions = suppress_count(rs->suppress);
	out->problems = rs->problems;
	out->dirs = rs->dirs;
}

int ruleset_problems(const struct ruleset *rs)
{
	return rs->problems;
}

const struct suppress *ruleset_suppressions(const struct ruleset *rs)
{
	return rs->suppress;
}

void ruleset_print_summary(const struct ruleset *rs, FILE *out)
{
	struct ruleset_counts c;
	struct ioc_counts ic;

	ruleset_get_counts(rs, &c);
	ioc_get_counts(rs->iocs, &ic);
	fprintf(out, "rule sets:    %d director%s\n", c.dirs, c.dirs == 1 ? "y" : "ies");
	fprintf(out, "signatures:   %zu from %ld file(s)\n", c.signatures, rs->sig_files);
	fprintf(out, "indicators:   %zu from %ld list(s): %zu ip, %zu cidr, %zu domain, "
		"%zu ja3, %zu ja3s, %zu cert_sha1 (%zu duplicates)\n",
		c.indicators, rs->ioc_files,
		ic.ip, ic.cidr, ic.domain, ic.ja3, ic.ja3s, ic.cert_sha1, ic.duplicates);
	fprintf(out, "detectors:    %d enabled\n", c.detectors);
	fprintf(out, "suppressions: %d\n", c.suppressions);
	fprintf(out, "problems:     %d\n", c.problems);
}

/* ---- running the engines (the detect stage) ---------------------------------------- */

int ruleset_suppressed(const struct ruleset *rs, const struct alert *a)
{
	return suppress_match(rs->suppress, a);
}

void ruleset_match_rules(struct ruleset *rs, const struct flow_record *rec, uint64_t now_us,
			 alert_fn cb, void *ctx)
{
	sig_match_flow_phase(rs->sigs, rec, NULL, SIG_PHASE_META, now_us, cb, ctx);
	ioc_match_flow(rs->iocs, rec, now_us, cb, ctx);
}

void ruleset_match_window(struct ruleset *rs, const struct flow_record *rec,
			  const struct flow_window *win, uint64_t now_us, alert_fn cb, void *ctx)
{
	sig_match_flow_phase(rs->sigs, rec, win, SIG_PHASE_WINDOW, now_us, cb, ctx);
}

int ruleset_window_applies(const struct ruleset *rs)
{
	return sig_window_applies(rs->sigs);
}

int ruleset_window_proto(const struct ruleset *rs, uint8_t proto)
{
	return sig_window_proto(rs->sigs, proto);
}

int ruleset_window_rules(const struct ruleset *rs)
{
	return rs ? sig_window_rules(rs->sigs) : 0;
}

void ruleset_match_behav(struct ruleset *rs, const struct flow_record *rec, alert_fn cb,
			 void *ctx)
{
	uint64_t now_s = rec->end_us / US_PER_S;

	/* the detectors' windows move on once a second of packet time */
	if (now_s > rs->last_expire_s) {
		behav_expire(rs->behav, rec->end_us);
		rs->last_expire_s = now_s;
	}
	behav_flow(rs->behav, rec, cb, ctx);
}

void ruleset_table_drops(const struct ruleset *rs, uint64_t *threshold_evicted,
			 uint64_t *detector_dropped)
{
	struct sig_counters sc;
	struct behav_counters bc;

	sig_get_counters(rs->sigs, &sc);
	behav_get_counters(rs->behav, &bc);
	*threshold_evicted = sc.threshold_evicted;
	*detector_dropped = bc.dropped;
}
