/*
 * cmd_serve.c - `vigil serve`: the web page and API for an existing
 * database, without capture (to review a replay's results, or to try the
 * page). SIGINT/SIGTERM stop it cleanly.
 */
#include "cmd.h"

#include "core/log.h"
#include "web/web.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void serve_usage(FILE *out)
{
	fprintf(out,
		"usage: vigil serve --db FILE --listen ADDR --state-dir DIR [--static DIR]\n"
		"                   [--secure-cookies] [--evidence DIR] [-q|-v]\n"
		"Serve the web page and API for an existing database, without capture.\n"
		"  --listen ADDR      127.0.0.1:8080, [::1]:8080 or unix:/run/vigil/web.sock\n"
		"  --state-dir DIR    setup token, managed rules/suppress.conf\n"
		"  --static DIR       the page's files (index.html, assets/)\n"
		"  --secure-cookies   mark the session cookie Secure (served behind HTTPS)\n"
		"  --evidence DIR     the packet evidence (vigil replay --evidence DIR), for the\n"
		"                     pcap downloads\n");
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "static", required_argument, NULL, 'S' },
		{ "secure-cookies", no_argument, NULL, 'c' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct web_config cfg;
	struct stat sb;
	sigset_t set;
	char err[512], path[1100], token[80] = "";
	int c, sig = 0, verbosity = 0;

	memset(&cfg, 0, sizeof cfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hqv", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.db_path = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 's': cfg.state_dir = optarg; break;
		case 'S': cfg.static_dir = optarg; break;
		case 'c': cfg.secure_cookies = 1; break;
		case 'E': cfg.evidence_dir = optarg; break;
		case 'q': verbosity--; break;
		case 'v': verbosity++; break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "vigil serve: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (!cfg.db_path || !cfg.listen || !cfg.state_dir || optind < argc) {
		serve_usage(stderr);
		return 2;
	}
	if (verbosity < 0)
		log_set_level(LOG_LVL_ERROR);
	else if (verbosity > 0)
		log_set_level(LOG_LVL_DEBUG);
	if (stat(cfg.db_path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "vigil serve: %s: %s\n", cfg.db_path,
			errno ? strerror(errno) : "not a regular file");
		return 1;
	}
	if (mkdir(cfg.state_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "vigil serve: %s: %s\n", cfg.state_dir, strerror(errno));
		return 1;
	}

	/* the web threads inherit this mask: only this thread takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct web *w = web_start(&cfg, NULL, NULL, NULL, err, sizeof err);
	if (!w) {
		fprintf(stderr, "vigil serve: %s\n", err);
		return 1;
	}
	printf("vigil serve: listening on %s\n", cfg.listen);
	snprintf(path, sizeof path, "%s/setup-token", cfg.state_dir);
	FILE *fp = fopen(path, "r");
	if (fp) {
		if (fgets(token, sizeof token, fp)) {
			token[strcspn(token, "\r\n")] = '\0';
			printf("vigil serve: setup token: %s\n", token);
		}
		fclose(fp);
	}
	fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		sig = 0;
	log_info("vigil serve: signal %d, stopping", sig);
	web_stop(w);
	return 0;
}
