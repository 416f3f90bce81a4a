/*
 * cmd_rules.c - `vigil rules check`: rule set directories loaded as
 * replay and the daemon load them, every problem printed.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/homenet.h"
#include "detect/ruleset.h"

/* `vigil rules check DIR...`: load the sets as replay and the daemon
 * would, print every problem as file:line: reason and what was loaded. */
int cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home-net", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = HOMENET_DEFAULT;
	struct homenet hn;
	char err[256];
	int c;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "usage: vigil rules check [--home-net CIDR,...] DIR...\n");
		return 2;
	}
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'h':
			printf("usage: vigil rules check [--home-net CIDR,...] DIR...\n"
			       "Load rule set directories, report every problem as file:line: reason,\n"
			       "print what was loaded. Exit 0 when there is no problem, 1 otherwise.\n");
			return 0;
		default:
			fprintf(stderr, "vigil rules check: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigil rules check: no rule set directory given\n");
		return 2;
	}
	if (homenet_parse(&hn, home, err, sizeof err) < 0) {
		fprintf(stderr, "vigil rules check: --home-net: %s\n", err);
		return 2;
	}
	struct ruleset *rs = ruleset_load(&hn, (const char *const *)argv + optind, argc - optind,
					  stderr, NULL);
	if (!rs) {
		fprintf(stderr, "vigil rules check: out of memory\n");
		return 1;
	}
	ruleset_print_summary(rs, stdout);
	int rc = ruleset_problems(rs) > 0 ? 1 : 0;
	if (rc)
		fprintf(stderr, "vigil rules check: %d problem(s)\n", ruleset_problems(rs));
	ruleset_free(rs);
	return rc;
}
