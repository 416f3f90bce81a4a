/*
 * cmd_run.c - `vigil run [-n] [-c FILE]`: read vigil.conf, check it and
 * the rule sets (-n), or run the sensor (daemon/daemon.h).
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/daemon_rules.h"
#include "daemon/rules_sync.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: vigil run [-n] [-c FILE]\n"
		"  -c FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
		"  -n       check the configuration and the rule sets, then exit\n"
		"See vigil.conf(5).\n");
}

/* vigil run -n: every problem of the file and of the rule sets. */
static int check_only(struct vigil_config *c, int problems)
{
	struct rules_build b;
	char synced[1200] = "";

	if (c->rules_sync.enabled && rules_sync_current_dir(c->state_dir, synced, sizeof synced) == 0)
		printf("[rules_sync]: the set in force is %s\n", synced);
	int rp = rules_build(&b, &c->home, c->rule_dirs, c->n_rule_dirs, synced, c->state_dir);

	for (int i = 0; i < b.n_dirs; i++)
		if (b.dirs[i].problem_text)
			fputs(b.dirs[i].problem_text, stderr);
	if (rp && b.n_dirs == 0)
		fprintf(stderr, "%s\n", b.first);
	ruleset_free(b.rs);
	ruleset_dirs_free(b.dirs, b.n_dirs);
	problems += rp;
	if (problems) {
		fprintf(stderr, "vigil run: %d problem(s) in %s or its rule sets\n", problems, c->path);
		return 1;
	}
	printf("configuration OK\n");
	return 0;
}

int cmd_run(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	int c, check = 0, problems, rc;
	struct vigil_config *cfg;

	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			if (optopt == 'c')
				fprintf(stderr, "vigil run: missing file after -c (see --help)\n");
			else
				fprintf(stderr, "vigil run: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!(cfg = malloc(sizeof *cfg)))
		fatal(1, "out of memory");
	config_defaults(cfg);
	problems = config_load(cfg, path, stderr);
	if (check)
		rc = check_only(cfg, problems);
	else if (problems) {
		fprintf(stderr, "vigil run: %d problem(s) in %s (see vigil run -n)\n", problems, path);
		rc = 1;
	} else {
		rc = daemon_run(cfg);
	}
	free(cfg);
	return rc;
}
