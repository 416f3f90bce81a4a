/*
 * daemon_rules.c - the daemon's rule sets (see daemon_rules.h).
 */
#include "daemon_rules.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Build a rule set from the configured directories, the synced set and
 * the managed one (<state_dir>/rules, written by the web: suppressions),
 * collecting every problem. Returns b->problems; b->rs is NULL only when out of memory. */
int rules_build(struct rules_build *b, const struct homenet *home,
		char dirs[][1024], int n_dirs, const char *synced, const char *state_dir)
{
	const char *all[CONFIG_MAX_RULE_DIRS + 2];
	char managed[1100];
	int n = 0;

	memset(b, 0, sizeof *b);
	for (; n < n_dirs && n < CONFIG_MAX_RULE_DIRS; n++)
		all[n] = dirs[n];
	if (synced && *synced)
		all[n++] = synced;
	snprintf(managed, sizeof managed, "%s/rules", state_dir);
	if (is_dir(managed))
		all[n++] = managed;
	b->rs = ruleset_load(home, all, n, NULL, b->dirs);
	if (!b->rs) {
		snprintf(b->first, sizeof b->first, "out of memory");
		b->problems = 1;
		return b->problems;
	}
	b->n_dirs = n;
	b->problems = ruleset_problems(b->rs);
	for (int i = 0; i < n && !b->first[0]; i++)
		if (b->dirs[i].problems && b->dirs[i].problem_text)
			snprintf(b->first, sizeof b->first, "%.*s",
				 (int)strcspn(b->dirs[i].problem_text, "\n"), b->dirs[i].problem_text);
	return b->problems;
}

void rules_log_problems(const struct rules_build *b, const char *prefix, int max)
{
	int shown = 0;

	for (int i = 0; i < b->n_dirs; i++)
		for (const char *p = b->dirs[i].problem_text; p && *p && shown < max; shown++) {
			size_t len = strcspn(p, "\n");
			log_error("%s%.*s", prefix, (int)len, p);
			p += len + (p[len] == '\n');
		}
	if (b->problems > shown)
		log_error("%s... %d problem(s) in all", prefix, b->problems);
}

/* A summary of what is now loaded, for the log and last_reload. */
void rules_summary(const struct rules_build *b, char *out, size_t len)
{
	struct ruleset_counts c;
	size_t sigs = 0, inds = 0;

	for (int i = 0; i < b->n_dirs; i++) {
		sigs += b->dirs[i].signatures;
		inds += b->dirs[i].indicators;
	}
	ruleset_get_counts(b->rs, &c);
	snprintf(out, len, "rules reloaded: %zu signatures, %zu indicators, %d detectors, "
		 "%d suppressions from %d director%s", sigs, inds, c.detectors,
		 c.suppressions, b->n_dirs, b->n_dirs == 1 ? "y" : "ies");
}
