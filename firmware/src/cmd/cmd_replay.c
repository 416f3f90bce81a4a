/*
 * cmd_replay.c - `vigil replay`: the whole pipeline over capture files.
 *
 * capture (drivers/capture) -> pipeline (decode, flow table, classify,
 * detect, sinks: EVE JSON, SQLite). Several files are one timeline: the
 * flow table lives across files, so a flow split over two captures is one
 * flow. Packet time drives everything, so the same input gives the same
 * output every run.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/capture/capture.h"
#include "decode/decode.h"
#include "core/homenet.h"
#include "core/clock.h"
#include "core/log.h"
#include "output/pipeline.h"
#include "detect/ruleset.h"
#include "output/stats.h"

/* Push one capture file through the pipeline. Returns 0, or 1 on a read
 * error (what was read before the error is kept). */
static int replay_file(struct pipeline *pl, uint32_t *files, const char *path)
{
	char err[512];
	struct capture *cap = capture_open_file(path, err, sizeof err);
	struct cap_packet pkt;
	uint64_t unsupported = 0, packets = 0;
	int rc = 0, res;

	if (!cap) {
		log_error("%s", err);
		return 1;
	}
	(*files)++;
	log_info("%s: reading (link type %d)", path, capture_linktype(cap));
	while ((res = capture_next(cap, &pkt)) == CAPTURE_PACKET) {
		packets++;
		if (pipeline_packet(pl, capture_linktype(cap), &pkt) == DECODE_ERR_UNSUPPORTED_LINK)
			unsupported++;
	}
	if (res == CAPTURE_ERROR) {
		log_error("%s: %s (kept the %llu packets read before it)", path,
			  capture_error(cap), (unsigned long long)packets);
		rc = 1;
	}
	if (unsupported && unsupported == packets)
		log_warn("%s: link type %d is not supported; no packet decoded", path,
			 capture_linktype(cap));
	capture_close(cap);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vigil replay [options] FILE...\n"
		"Replay pcap/pcapng captures (in order, as one timeline) into flows.\n"
		"  --eve FILE|-        write EVE JSON events (flow, stats) to FILE or stdout\n"
		"  --db FILE           store flows in the SQLite database FILE\n"
		"  --home-net CIDR,... networks to protect (default RFC 1918 + fc00::/7)\n"
		"  --max-flows N       concurrent flow limit (default 262144); the least\n"
		"                      recently active flow is ended early when full\n"
		"  --active-timeout S  interim record for flows older than S seconds\n"
		"                      (default 1800, 0 = never)\n"
		"  --rules DIR         load a rule set directory (repeatable; merged)\n"
		"  -q, --quiet         print errors only\n"
		"  -v, --verbose       more messages (twice: debug)\n"
		"  -h, --help          this help\n"
		"Exit status: 0 success, 1 input/output error, 2 usage error.\n");
}

/* Parse a positive integer option; exits 2 with a message on bad input. */
static uint64_t parse_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || *s == '-')
		fatal(2, "%s: expected a number, got '%s'", opt, s ? s : "");
	v = strtoull(s, &end, 10);
	if (*end || v < min || v > max)
		fatal(2, "%s: expected a number from %llu to %llu, got '%s'", opt,
		      (unsigned long long)min, (unsigned long long)max, s);
	return v;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "eve", required_argument, NULL, 'e' },
		{ "db", required_argument, NULL, 'd' },
		{ "home-net", required_argument, NULL, 'H' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "active-timeout", required_argument, NULL, 'a' },
		{ "rules", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *eve_path = NULL, *db_path = NULL, *home = HOMENET_DEFAULT;
	struct flow_config fcfg;
	struct pipeline_config pcfg;
	struct pipeline *pl;
	struct vigil_stats st;
	uint32_t files = 0;
	char err[512];
	int c, quiet = 0, verbose = 0, rc = 0;
	struct homenet hn;
	const char *rule_dirs[32];
	int n_rule_dirs = 0;

	flow_config_defaults(&fcfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'e': eve_path = optarg; break;
		case 'd': db_path = optarg; break;
		case 'H': home = optarg; break;
		case 'm': fcfg.max_flows = (uint32_t)parse_num("--max-flows", optarg, 1, 100000000); break;
		case 'a': fcfg.active_timeout = (uint32_t)parse_num("--active-timeout", optarg, 0, 86400 * 365); break;
		case 'r':
			if (n_rule_dirs >= 32) {
				fprintf(stderr, "vigil replay: at most 32 --rules directories\n");
				return 2;
			}
			rule_dirs[n_rule_dirs++] = optarg;
			break;
		case 'q': quiet = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "vigil replay: option %s needs a value (see --help)\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "vigil replay: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigil replay: no capture file given (see --help)\n");
		return 2;
	}
	if (homenet_parse(&hn, home, err, sizeof err) < 0) {
		fprintf(stderr, "vigil replay: --home-net: %s\n", err);
		return 2;
	}
	log_set_level(quiet ? LOG_LVL_ERROR : verbose >= 2 ? LOG_LVL_DEBUG :
		      verbose ? LOG_LVL_INFO : LOG_LVL_WARN);

	struct ruleset *rules = NULL;
	if (n_rule_dirs > 0) {
		rules = ruleset_load(&hn, rule_dirs, n_rule_dirs, stderr, NULL);
		if (!rules)
			fatal(1, "out of memory");
		if (ruleset_problems(rules) > 0) {
			fprintf(stderr, "vigil replay: %d problem(s) in the rule sets; "
				"fix them (see 'vigil rules check')\n", ruleset_problems(rules));
			ruleset_free(rules);
			return 2;
		}
	}
	memset(&pcfg, 0, sizeof pcfg);
	pcfg.flow = fcfg;
	pcfg.eve_path = eve_path;
	pcfg.db_path = db_path;
	/* Replays are re-runnable: large transactions (fewer WAL rewrites of
	 * the same index pages) are worth more than a short loss window. */
	pcfg.db_batch = 10000;
	pl = pipeline_new(&pcfg, rules, err, sizeof err);
	if (!pl)
		fatal(1, "%s", err);

	double t0 = mono_s();
	for (int i = optind; i < argc; i++)
		rc |= replay_file(pl, &files, argv[i]);
	double t1 = mono_s();
	uint64_t waits = pipeline_drain(pl);
	double t2 = mono_s();
	log_info("packets processed in %.3f s; writers finished %.3f s later "
		 "(the packet thread waited %llu times for them)", t1 - t0, t2 - t1,
		 (unsigned long long)waits);

	pipeline_stats(pl, &st);
	st.files = files;
	char sources[1024] = "";
	size_t off = 0;
	for (int i = optind; i < argc && off < sizeof sources - 1; i++)
		off += (size_t)snprintf(sources + off, sizeof sources - off, "%s%s",
					i > optind ? " " : "", argv[i]);
	rc |= pipeline_close_sinks(pl, &st, sources, home);
	if (!quiet)
		fprintf(stderr,
			"vigil: %llu packets in %u file(s), %llu flows, %llu decode errors, "
			"%llu evicted, %llu alerts\n",
			(unsigned long long)st.packets, st.files,
			(unsigned long long)st.flows,
			(unsigned long long)st.decode_errors_total,
			(unsigned long long)st.flows_evicted,
			(unsigned long long)st.alerts);
	pipeline_free(pl);
	return rc;
}
