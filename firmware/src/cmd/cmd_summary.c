/*
 * cmd_summary.c - `vigil summary`: what a flow database holds, as text
 * (output/report.h).
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>

#include "output/report.h"

int cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL;
	int c, top = 10;
	char err[512];

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 't':
			if (sscanf(optarg, "%d", &top) != 1 || top < 1 || top > 1000) {
				fprintf(stderr, "vigil summary: --top: expected 1..1000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			printf("usage: vigil summary --db FILE [--top N]\n");
			return 0;
		default:
			fprintf(stderr, "vigil summary: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (!db || optind < argc) {
		fprintf(stderr, "vigil summary: usage: vigil summary --db FILE [--top N]\n");
		return 2;
	}
	if (report_summary(db, stdout, top, err, sizeof err) != 0) {
		fprintf(stderr, "vigil summary: %s\n", err);
		return 1;
	}
	return 0;
}
