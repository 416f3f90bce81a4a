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
#include <unistd.h>

#include "drivers/capture/capture.h"
#include "decode/decode.h"
#include "core/conf.h"
#include "core/homenet.h"
#include "flow/flow_payload.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/conf.h"
#include "output/evidence.h"
#include "output/pipeline.h"
#include "detect/ruleset.h"
#include "output/stats.h"
#include "output/uplink.h"
#include "output/workers.h"

/* Push one capture file through the pipeline. Returns 0, or 1 on a read
 * error (what was read before the error is kept). */
static int replay_file(struct pipeline *pl, struct workers *ws, uint32_t *files,
		       const char *path)
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
		if (ws)
			workers_packet(ws, capture_linktype(cap), &pkt);
		else if (pipeline_packet(pl, capture_linktype(cap), &pkt) == DECODE_ERR_UNSUPPORTED_LINK)
			unsupported++;
	}
	if (res == CAPTURE_ERROR) {
		log_error("%s: %s (kept the %llu packets read before it)", path,
			  capture_error(cap), (unsigned long long)packets);
		rc = 1;
	}
	if (!ws && unsupported && unsupported == packets)
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
		"  --workers N         packet workers (threads; default 1, at most 64): each\n"
		"                      has its own flow table, nDPI and decoder; a reader\n"
		"                      thread hands them packets by their IP pair\n"
		"  --payload-window N  payload bytes kept per flow direction for the rules\n"
		"                      (pkt_data, file.data, filemagic, http.uri, ...);\n"
		"                      default 2K, 0 = off, at most 64K\n"
		"  --uplink URL        send the alerts and the summaries to relp+tls://HOST:PORT\n"
		"                      or syslog+tls://HOST[:PORT] (see vigil.conf(5) [uplink])\n"
		"  --uplink-ca FILE    CA bundle the server must chain to (required with --uplink)\n"
		"  --uplink-cert FILE, --uplink-key FILE   client certificate and key (mutual TLS)\n"
		"  --uplink-proxy HOST:PORT   through an HTTP CONNECT proxy\n"
		"  --uplink-send LIST  what to send: alerts, summaries, flows (default\n"
		"                      alerts,summaries)\n"
		"  --uplink-timeout S  give up after S seconds (default 60); exit 3 if not all\n"
		"                      was delivered by then\n"
		"  --summary-interval S  one summary per S seconds of packet time (default 300)\n"
		"  --evidence DIR      write the packets of every flow that alerts to DIR as\n"
		"                      pcap files (EVE alerts name them; needs --rules)\n"
		"  --evidence-hold-packets N, --evidence-hold-bytes SIZE   packets each flow\n"
		"                      holds until decided (default 16, 32K)\n"
		"  --evidence-pool SIZE      all held packets (default 16M)\n"
		"  --evidence-per-flow-cap SIZE   per alerting flow (default 1M)\n"
		"  --evidence-max-size SIZE, --evidence-max-age DURATION   rotation of DIR\n"
		"                      (default 1G or a quarter of its file system, 30d)\n"
		"  -q, --quiet         print errors only\n"
		"  -v, --verbose       more messages (twice: debug)\n"
		"  -h, --help          this help\n"
		"Exit status: 0 success, 1 input/output error, 2 usage error,\n"
		"3 events left undelivered to the uplink (the reason is printed).\n");
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

/* A size ("32K", "16M") or a duration ("30d") option; exits 2 on bad input. */
static uint64_t parse_size(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (conf_parse_size(s, &v) < 0 || v < min || v > max)
		fatal(2, "%s: expected a size from %llu to %llu bytes (K, M, G), got '%s'", opt,
		      (unsigned long long)min, (unsigned long long)max, s);
	return v;
}

static uint32_t parse_duration(const char *opt, const char *s)
{
	uint64_t ms;
	if (conf_parse_duration_ms(s, &ms) < 0 || ms < 1000 || ms / 1000 > 3650 * 86400ULL)
		fatal(2, "%s: expected a duration from 1s to 3650d, got '%s'", opt, s);
	return (uint32_t)(ms / 1000);
}

static void replay_problem(void *ctx, int line, const char *msg)
{
	(void)ctx;
	(void)line;
	fprintf(stderr, "vigil replay: --uplink: %s\n", msg);
}

/* The uplink of --uplink: one [uplink] from the options. Its outbox is a
 * temporary file (its name in tmp) removed at the end. NULL after printing
 * why. */
static struct uplink_set *replay_uplink(const char *url, const char *ca, const char *cert,
					const char *key, const char *proxy, const char *send,
					int timeout_s, uint32_t summary_s,
					const struct homenet *hn, char tmp[64])
{
	static struct uplinks_conf uc;   /* one replay per process */
	static struct homenet home;
	char why[1400], iv[32], t[32];
	struct uplink_set *u;
	int bad = 0;

	uplinks_conf_defaults(&uc);
	uplinks_conf_section(&uc, "uplink", 0, why, sizeof why);
	/* a few attempts fit in the timeout, so its reason is the last error */
	int ct = timeout_s / 3 < 1 ? 1 : timeout_s / 3 > 10 ? 10 : timeout_s / 3;
	snprintf(t, sizeof t, "%ds", ct);
	snprintf(iv, sizeof iv, "%us", summary_s);
	const char *kv[][2] = {
		{ "url", url }, { "ca", ca }, { "cert", cert }, { "key", key }, { "proxy", proxy },
		{ "connect_timeout", t }, { "summary_interval", iv }, { "send", send },
	};
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		if (kv[i][1][0] && uplinks_conf_set(&uc, kv[i][0], kv[i][1], 0, why, sizeof why) < 0) {
			fprintf(stderr, "vigil replay: --uplink%s%s: %s\n", i ? "-" : "", i ? kv[i][0] : "",
				why);
			bad++;
		}
	snprintf(t, sizeof t, "%ds", timeout_s / 2 < 1 ? 1 : timeout_s / 2 > 30 ? 30 : timeout_s / 2);
	uplinks_conf_set(&uc, "timeout", t, 0, why, sizeof why);
	if (!ca[0]) {
		fprintf(stderr, "vigil replay: --uplink needs --uplink-ca FILE (the CA that signed "
			"the server's certificate)\n");
		bad++;
	}
	if (bad || uplinks_conf_check(&uc, 1, replay_problem, NULL))
		return NULL;
	{
		const char *dir = getenv("TMPDIR");
		snprintf(tmp, 64, "%.40s/vigil-outbox-XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(tmp);
		if (fd < 0) {
			fprintf(stderr, "vigil replay: cannot create a temporary outbox in %s\n",
				dir && *dir ? dir : "/tmp");
			tmp[0] = '\0';
			return NULL;
		}
		close(fd);
	}
	home = *hn;
	if (!(u = uplink_start(&uc, tmp, &home, why, sizeof why))) {
		fprintf(stderr, "vigil replay: %s\n", why);
		if (tmp[0])
			unlink(tmp);
		return NULL;
	}
	return u;
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
		{ "payload-window", required_argument, NULL, 'w' },
		{ "workers", required_argument, NULL, 1010 },
		{ "uplink", required_argument, NULL, 'U' },
		{ "uplink-ca", required_argument, NULL, 'A' },
		{ "uplink-cert", required_argument, NULL, 'C' },
		{ "uplink-key", required_argument, NULL, 'K' },
		{ "uplink-proxy", required_argument, NULL, 'P' },
		{ "uplink-timeout", required_argument, NULL, 'T' },
		{ "uplink-send", required_argument, NULL, 'W' },
		{ "summary-interval", required_argument, NULL, 'S' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "evidence-hold-packets", required_argument, NULL, 1001 },
		{ "evidence-hold-bytes", required_argument, NULL, 1002 },
		{ "evidence-pool", required_argument, NULL, 1003 },
		{ "evidence-per-flow-cap", required_argument, NULL, 1004 },
		{ "evidence-max-size", required_argument, NULL, 1005 },
		{ "evidence-max-age", required_argument, NULL, 1006 },
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
	int c, quiet = 0, verbose = 0, rc = 0, n_workers = 1;
	struct homenet hn;
	const char *rule_dirs[32];
	int n_rule_dirs = 0;
	const char *up_url = NULL, *up_ca = "", *up_cert = "", *up_key = "", *up_proxy = "";
	const char *up_send = "alerts,summaries";
	uint64_t up_timeout = 60, summary_s = 300;
	static struct evidence_config ev;   /* one replay per process */

	evidence_config_defaults(&ev);
	ev.enabled = 0;

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
		case 'w': {
			uint64_t n;
			if (conf_parse_size(optarg, &n) != 0 || n > FLOW_PAYLOAD_MAX) {
				fprintf(stderr, "vigil replay: --payload-window: expected a size from 0 "
					"(off) to 64K, got '%s'\n", optarg);
				return 2;
			}
			fcfg.payload_window = (uint32_t)n;
			break;
		}
		case 'r':
			if (n_rule_dirs >= 32) {
				fprintf(stderr, "vigil replay: at most 32 --rules directories\n");
				return 2;
			}
			rule_dirs[n_rule_dirs++] = optarg;
			break;
		case 'U': up_url = optarg; break;
		case 'A': up_ca = optarg; break;
		case 'C': up_cert = optarg; break;
		case 'K': up_key = optarg; break;
		case 'P': up_proxy = optarg; break;
		case 'W': up_send = optarg; break;
		case 'T': up_timeout = parse_num("--uplink-timeout", optarg, 1, 86400); break;
		case 'S': summary_s = parse_num("--summary-interval", optarg, 10, 86400); break;
		case 'E':
			if (snprintf(ev.dir, sizeof ev.dir, "%s", optarg) >= (int)sizeof ev.dir)
				fatal(2, "--evidence: directory name too long");
			ev.enabled = 1;
			break;
		case 1001: ev.hold.hold_pkts = (uint32_t)parse_num("--evidence-hold-packets", optarg, 1, 1024); break;
		case 1002: ev.hold.hold_bytes = (uint32_t)parse_size("--evidence-hold-bytes", optarg, 1024, 16 << 20); break;
		case 1003: ev.hold.pool_bytes = parse_size("--evidence-pool", optarg, 1 << 16, 1ULL << 32); break;
		case 1004: ev.hold.per_flow_cap = parse_size("--evidence-per-flow-cap", optarg, 4096, 1ULL << 30); break;
		case 1005: ev.max_bytes = parse_size("--evidence-max-size", optarg, 1 << 16, 1ULL << 50);
			ev.max_bytes_auto = 0;
			break;
		case 1010: n_workers = (int)parse_num("--workers", optarg, 1, 64); break;
		case 1006: ev.max_age_s = parse_duration("--evidence-max-age", optarg); break;
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
	if (ev.enabled && !rules)
		fatal(2, "--evidence: evidence is kept for alerts; give --rules DIR");
	pcfg.evidence = ev.enabled ? &ev : NULL;
	pcfg.workers = n_workers;
	pl = pipeline_new(&pcfg, rules, err, sizeof err);
	if (!pl)
		fatal(1, "%s", err);
	struct uplink_set *up = NULL;
	char outbox_tmp[64] = "";
	if (up_url) {
		up = replay_uplink(up_url, up_ca, up_cert, up_key, up_proxy, up_send, (int)up_timeout,
				   (uint32_t)summary_s, &hn, outbox_tmp);
		if (!up) {
			pipeline_drain(pl);
			pipeline_stats(pl, &st);
			pipeline_close_sinks(pl, &st, "", home);
			pipeline_free(pl);
			return 2;
		}
		pipeline_set_uplink(pl, up);
	}

	struct workers *ws = NULL;
	if (n_workers > 1 && !(ws = workers_start(pl, err, sizeof err)))
		fatal(1, "%s", err);
	double t0 = mono_s();
	for (int i = optind; i < argc; i++)
		rc |= replay_file(pl, ws, &files, argv[i]);
	uint64_t ring_waits = workers_stop(ws);
	double t1 = mono_s();
	uint64_t waits = pipeline_drain(pl);
	double t2 = mono_s();
	log_info("packets processed in %.3f s; writers finished %.3f s later "
		 "(the packet threads waited %llu times for them; the reader %llu times "
		 "for %d workers)", t1 - t0, t2 - t1, (unsigned long long)waits,
		 (unsigned long long)ring_waits, n_workers);

	pipeline_stats(pl, &st);
	st.files = files;
	char sources[1024] = "";
	size_t off = 0;
	for (int i = optind; i < argc && off < sizeof sources - 1; i++)
		off += (size_t)snprintf(sources + off, sizeof sources - off, "%s%s",
					i > optind ? " " : "", argv[i]);
	rc |= pipeline_close_sinks(pl, &st, sources, home);
	/* the last summary, then wait for the centre */
	if (up) {
		char why[2048];
		uplink_final_summary(up, st.last_ts_us, &st);
		if (uplink_wait_delivered(up, (int)up_timeout, why, sizeof why) < 0) {
			fprintf(stderr, "vigil replay: uplink: %s\n", why);
			rc = rc ? rc : 3;
		} else if (!quiet) {
			fprintf(stderr, "vigil: uplink: every event delivered to %s\n", up_url);
		}
		uplink_stop(up);
		if (outbox_tmp[0]) {
			char p[80];
			unlink(outbox_tmp);
			snprintf(p, sizeof p, "%s-wal", outbox_tmp);
			unlink(p);
			snprintf(p, sizeof p, "%s-shm", outbox_tmp);
			unlink(p);
		}
	}

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
