/*
 * vigil.c - the `vigil` program: picks the subcommand.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "replay.h"
#include "report.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vigil COMMAND [options]\n"
		"  replay [options] FILE...   classify the flows of pcap/pcapng captures\n"
		"  summary --db FILE [--top N] print what a flow database holds\n"
		"  version                    print the version\n"
		"Run 'vigil COMMAND --help' for a command's options; see vigil(8).\n");
}

static int cmd_summary(int argc, char **argv)
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "summary") == 0)
		return cmd_summary(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("vigil %s (%s)\n", VIGIL_VERSION, VIGIL_GITREV);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "vigil: unknown command '%s' (see vigil --help)\n", cmd);
	return 2;
}
