/*
 * daemon_rules.h - the rule sets of `vigil run`: the configured
 * directories, the set [rules_sync] put in force (rules_sync.h) and the
 * managed one (<state_dir>/rules, where the web page writes suppressions), built in one go (detect/ruleset.h's ruleset_load)
 * with what each directory brought and its problems, for the log, the
 * status and `vigil run -n`.
 *
 * Owns: which directories make the daemon's set, and the one-line summary
 * of a build.
 */
#ifndef VIGIL_DAEMON_RULES_H
#define VIGIL_DAEMON_RULES_H

#include <stddef.h>

#include "config.h"
#include "core/homenet.h"
#include "detect/ruleset.h"

struct rules_build {
	struct ruleset *rs;
	struct ruleset_dir dirs[CONFIG_MAX_RULE_DIRS + 2];
	int n_dirs;
	int problems;
	char first[512];          /* the first problem, for log lines */
};

/* Build a set from dirs, the synced set (rules_sync.h's directory in
 * force, or NULL) and the managed directory (when it is there), every
 * problem collected. Returns b->problems; b->rs is NULL only when
 * out of memory. The caller frees b->rs and b->dirs' texts
 * (ruleset_dirs_free) unless it hands them on. */
int rules_build(struct rules_build *b, const struct homenet *home, char dirs[][1024],
		int n_dirs, const char *synced, const char *state_dir);

/* Log every problem of a build as file:line: reason (at most max lines). */
void rules_log_problems(const struct rules_build *b, const char *prefix, int max);

/* "rules reloaded: N signatures, N indicators, ..." of a build. */
void rules_summary(const struct rules_build *b, char *out, size_t len);

#endif
