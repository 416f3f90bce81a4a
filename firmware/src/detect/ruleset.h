/*
 * ruleset.h - rule sets: the directories an analyst points vigil at.
 *
 * Owns: reading one or more rule set directories into one merged set -
 * classification.config, *.rules (signatures), ioc/ (indicator lists),
 * detectors.conf (behavioural detectors) and suppress.conf - and reporting
 * every problem as "file:line: reason". Sets given later add to earlier
 * ones; a later detectors.conf overrides the settings it names.
 */
#ifndef VIGIL_RULESET_H
#define VIGIL_RULESET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/alert.h"
#include "detect_behav.h"
#include "detect_ioc.h"
#include "detect_sig.h"
#include "core/homenet.h"

#define SUPPRESS_MAX 1024

/* One suppress.conf entry (Suricata's form):
 *   suppress gen_id G, sig_id S[, track by_src|by_dst|by_either, ip LIST] */
struct suppress_entry {
	uint32_t gid, sid;
	int track;               /* 0 any, 1 by_src, 2 by_dst, 3 by_either */
	struct homenet ips;      /* when track != 0 */
};

struct ruleset {
	struct homenet home;
	struct sig_set *sigs;
	struct ioc_db *iocs;
	struct behav *behav;
	struct suppress_entry *suppress;
	int n_suppress;
	int problems;            /* problems reported while loading */
	int dirs;                /* directories loaded */
	long sig_files, ioc_files;
	FILE *report;            /* where problems are printed (stderr) */
};

/* An empty set (no rules, every detector off). NULL when out of memory. */
struct ruleset *ruleset_new(const struct homenet *home, FILE *report);
void ruleset_free(struct ruleset *rs);

/* Add a rule set directory. Every problem is printed as "file:line:
 * reason" and counted in rs->problems. Returns 0, or -1 if the directory
 * cannot be read. */
int ruleset_load_dir(struct ruleset *rs, const char *dir);

/* 1 if suppress.conf silences this alert. */
int ruleset_suppressed(const struct ruleset *rs, const struct alert *a);

/* Print what was loaded, per kind (for `vigil rules check`). */
void ruleset_print_summary(const struct ruleset *rs, FILE *out);

#endif
