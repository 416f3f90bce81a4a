/*
 * vigil.c - the `vigil` program: picks the subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

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
		"  rules sign --key KEY.pem [--version V] [--output BUNDLE.tar] DIR\n"
		"                             make a signed rule bundle for [rules_sync]\n"
		"  rules verify --pubkey KEY.pub BUNDLE.tar\n"
		"                             check a bundle's signature and its rules\n"
		"  serve --db FILE --listen ADDR --state-dir DIR [--static DIR]\n"
		"                             the web page and API for a database, no capture\n"
		"  user list|reset-password [NAME]\n"
		"                             the page's accounts from the console\n"
		"  led [-c FILE] [off|running|attention]\n"
		"                             set the status LED ([board] led of vigil.conf)\n"
		"  version                    print the version\n"
		"Run 'vigil COMMAND --help' for a command's options; see vigil(8).\n");
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
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "user") == 0)
		return cmd_user(argc - 1, argv + 1);
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
