/*
 * ruleset.h - rule sets: the directories an analyst points vigil at.
 *
 * Owns: reading one or more rule set directories into one merged set -
 * classification.config, *.rules (signatures), ioc/ (indicator lists),
 * detectors.conf (behavioural detectors) and suppress.conf - and reporting
 * every problem as "file:line: reason"; the one place a list of
 * directories is loaded (ruleset_load: the daemon, replay and `vigil rules
 * check` all use it); and running the set's engines for the detect stage.
 * Sets given later add to earlier ones; a later detectors.conf overrides
 * the settings it names. A set is opaque: what it holds is counted by
 * ruleset_get_counts.
 */
#ifndef VIGIL_RULESET_H
#define VIGIL_RULESET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "core/homenet.h"
#include "flow/flow_record.h"
#include "flow/flow_payload.h"

struct ruleset;
struct suppress;

/* What one directory brought to a set (the daemon's status). */
struct ruleset_dir {
	char dir[1024];
	size_t signatures, indicators;
	int detectors;            /* enabled after it, when it has a detectors.conf */
	int problems;
	char *problem_text;       /* its "file:line: reason\n" lines, malloc'd */
};

/* What a set holds. */
struct ruleset_counts {
	size_t signatures;
	size_t indicators;        /* entries of every kind */
	int detectors;            /* enabled */
	int suppressions;
	int problems;             /* reported while loading */
	int dirs;                 /* directories loaded */
};

/* Load dirs (n_dirs of them, in order) into a new set: every problem is
 * printed to report (NULL: nowhere) as "file:line: reason" and counted
 * (ruleset_problems). each, when not NULL, has n_dirs entries and gets
 * what each directory brought (free their texts with ruleset_dirs_free).
 * NULL only when out of memory. */
struct ruleset *ruleset_load(const struct homenet *home, const char *const *dirs, int n_dirs,
			     FILE *report, struct ruleset_dir *each);
void ruleset_dirs_free(struct ruleset_dir *each, int n);

/* The steps of ruleset_load, for tests and fuzzing: an empty set (no
 * rules, every detector off; NULL when out of memory) and one more
 * directory (0, or -1 if it cannot be read). */
struct ruleset *ruleset_new(const struct homenet *home, FILE *report);
int ruleset_load_dir(struct ruleset *rs, const char *dir);
void ruleset_free(struct ruleset *rs);

void ruleset_get_counts(const struct ruleset *rs, struct ruleset_counts *out);
int ruleset_problems(const struct ruleset *rs);
/* The set's suppress.conf entries (suppress.h), read-only. */
const struct suppress *ruleset_suppressions(const struct ruleset *rs);

/* Print what was loaded, per kind (for `vigil rules check`). */
void ruleset_print_summary(const struct ruleset *rs, FILE *out);

/* ---- for the detect stage (not reentrant for one set) ---- */

/* 1 if suppress.conf silences this alert. */
int ruleset_suppressed(const struct ruleset *rs, const struct alert *a);
/* Signatures that read flow metadata only, and indicators, on one flow;
 * alerts through cb. */
void ruleset_match_rules(struct ruleset *rs, const struct flow_record *rec, uint64_t now_us,
			 alert_fn cb, void *ctx);
/* The signatures that read the payload window (win NULL: none kept). */
void ruleset_match_window(struct ruleset *rs, const struct flow_record *rec,
			  const struct flow_window *win, uint64_t now_us, alert_fn cb, void *ctx);
/* How many signatures read the payload window; whether one may apply to
 * the flow of the last ruleset_match_rules; to flows of an IP protocol. */
int ruleset_window_rules(const struct ruleset *rs);
int ruleset_window_applies(const struct ruleset *rs);
int ruleset_window_proto(const struct ruleset *rs, uint8_t proto);
/* Behavioural detectors on one record (their windows move on with the
 * record's packet time). */
void ruleset_match_behav(struct ruleset *rs, const struct flow_record *rec, alert_fn cb,
			 void *ctx);
/* Entries the bounded tables dropped: threshold/detection_filter, detectors. */
void ruleset_table_drops(const struct ruleset *rs, uint64_t *threshold_evicted,
			 uint64_t *detector_dropped);

#endif
