/*
 * vigil.c - the `vigil` program: picks the subcommand.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/daemon_board.h"
#include "core/log.h"
#include "cmd_replay.h"
#include "output/report.h"
#include "detect/ruleset.h"
#include "web/web.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vigil COMMAND [options]\n"
		"  run [-n] [-c FILE]         run the sensor as configured in vigil.conf(5)\n"
		"                             (-n: check the configuration and rules)\n"
		"  replay [options] FILE...   classify the flows of pcap/pcapng captures\n"
		"  summary --db FILE [--top N] print what a flow database holds\n"
		"  rules check [--home-net CIDR,...] DIR...\n"
		"                             validate rule sets, print what they hold\n"
		"  serve --db FILE --listen ADDR --state-dir DIR [--static DIR]\n"
		"                             the web page and API for a database, no capture\n"
		"  user list|reset-password [NAME]\n"
		"                             the page's accounts from the console\n"
		"  led [-c FILE] [off|running|attention]\n"
		"                             set the status LED ([board] led of vigil.conf)\n"
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

/* `vigil rules check DIR...`: load the sets as replay and the daemon
 * would, print every problem as file:line: reason and what was loaded. */
static int cmd_rules(int argc, char **argv)
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
	struct ruleset *rs = ruleset_new(&hn, stderr);
	if (!rs) {
		fprintf(stderr, "vigil rules check: out of memory\n");
		return 1;
	}
	for (int i = optind; i < argc; i++)
		ruleset_load_dir(rs, argv[i]);
	ruleset_print_summary(rs, stdout);
	int rc = rs->problems > 0 ? 1 : 0;
	if (rc)
		fprintf(stderr, "vigil rules check: %d problem(s)\n", rs->problems);
	ruleset_free(rs);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "summary") == 0)
		return cmd_summary(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(cmd, "led") == 0)
		return cmd_led(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return web_cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "user") == 0)
		return web_cmd_user(argc - 1, argv + 1);
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
