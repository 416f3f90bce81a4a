/*
 * cmd_led.c - `vigil led [-c FILE] [off|running|attention]`: set the
 * status LED named by [board] led of vigil.conf (systemd's ExecStopPost
 * uses "off"), or say which LED that is (daemon/daemon_board.h).
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/config.h"
#include "daemon/daemon_board.h"
#include "drivers/board/board_led.h"

static void led_usage(FILE *out)
{
	fprintf(out, "usage: vigil led [-c FILE] [off|running|attention]\n"
		"  -c FILE  configuration whose [board] led is meant (default "
		CONFIG_DEFAULT_PATH ")\n"
		"Without a pattern: print which LED that is. See vigil(8).\n");
}

int cmd_led(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const enum board_led_pattern patterns[] = {
		BOARD_LED_OFF, BOARD_LED_RUNNING, BOARD_LED_ATTENTION,
	};
	const char *path = CONFIG_DEFAULT_PATH;
	struct vigil_config *cfg;
	int c, want = -1, rc;
	FILE *quiet;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': led_usage(stdout); return 0;
		default:
			fprintf(stderr, "vigil led: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
			if (strcmp(argv[optind], board_led_pattern_name(patterns[i])) == 0)
				want = (int)patterns[i];
		if (want < 0 || optind + 1 < argc) {
			led_usage(stderr);
			return 2;
		}
	}
	if (!(cfg = malloc(sizeof *cfg)))
		fatal(1, "out of memory");
	/* the file's other problems are vigil run -n's business: only [board]
	 * led matters here (its default when the line is bad) */
	config_defaults(cfg);
	quiet = fopen("/dev/null", "w");
	config_load(cfg, path, quiet);
	if (quiet)
		fclose(quiet);
	rc = daemon_board_led_once(cfg->board_led, want);
	free(cfg);
	return rc;
}
