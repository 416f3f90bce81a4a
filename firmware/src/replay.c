/*
 * replay.c - `vigil replay`: the whole pipeline over capture files.
 *
 * capture (drivers/capture) -> decode -> flow table -> classify -> sinks
 * (EVE JSON, SQLite). Several files are one timeline: the flow table lives
 * across files, so a flow split over two captures is one flow. Packet time
 * drives everything, so the same input gives the same output every run.
 */
#include "replay.h"

#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "classify.h"
#include "decode.h"
#include "detect.h"
#include "eve.h"
#include "flow.h"
#include "homenet.h"
#include "log.h"
#include "ruleset.h"
#include "sink_queue.h"
#include "stats.h"
#include "store.h"

struct replay {
	struct classifier *cls;
	struct flow_table *flows;
	struct eve *eve;
	struct store *store;
	struct decoder *dec;
	struct sink_queue *eve_q;   /* one writer thread per sink: the pipeline */
	struct sink_queue *db_q;    /* thread never waits on a disk */
	struct ruleset *rules;
	struct detect *detect;
	struct flow_table *flows_ref;
	struct vigil_stats st;
	int eve_failed;        /* written by the EVE thread only */
	int db_failed;         /* written by the SQLite thread only */
};

/* Bits of flow_user_flags() */
#define UF_RULES_DONE 0x01   /* signatures and indicators evaluated */
#define UF_ALERTED 0x02      /* an alert was raised on the flow */

/* EVE writer thread. */
static void replay_consume_eve(void *ctx, const struct flow_record *rec, const struct alert *a)
{
	struct replay *r = ctx;
	if (!rec && !a)
		return; /* flush request: the replay flushes at close */
	int rc = a ? eve_write_alert(r->eve, a) : eve_write_flow(r->eve, rec);

	if (rc < 0 && !r->eve_failed) {
		log_error("EVE output: write failed");
		r->eve_failed = 1;
	}
}

/* SQLite writer thread. */
static void replay_consume_db(void *ctx, const struct flow_record *rec, const struct alert *a)
{
	struct replay *r = ctx;
	if (!rec && !a)
		return; /* flush request: the replay commits at close */
	int rc = a ? store_add_alert(r->store, a) : store_add_flow(r->store, rec);

	if (rc < 0 && !r->db_failed) {
		log_error("database: %s", store_error(r->store));
		r->db_failed = 1;
	}
}

/* Detection's alerts go to the writer threads like flow records. */
static void replay_alert(void *ctx, const struct alert *a)
{
	struct replay *r = ctx;
	r->st.alerts++;
	if (r->eve_q && sinkq_push_alert(r->eve_q, a) < 0)
		log_error("alert lost for EVE: out of memory");
	if (r->db_q && sinkq_push_alert(r->db_q, a) < 0)
		log_error("alert lost for the database: out of memory");
}

/* Signatures and indicators on a flow whose classification just became
 * final: once per flow, on the flow as it is now. */
static void replay_rules_now(struct replay *r, struct flow *f, uint64_t ts_us)
{
	uint8_t *uf = flow_user_flags(f);
	struct flow_record rec;

	if (!r->detect || (*uf & UF_RULES_DONE))
		return;
	flow_table_snapshot(r->flows_ref, f, &rec);
	classify_fill_record(r->cls, flow_classifier_slot(f), &rec, 0);
	*uf |= UF_RULES_DONE;
	if (detect_flow_rules(r->detect, &rec, ts_us) > 0)
		*uf |= UF_ALERTED;
}

/* Flow table callback: classification, detection, then hand the record to
 * the writer thread (formatting JSON and SQLite inserts run beside packet
 * work). */
static void replay_emit(void *ctx, struct flow *f, struct flow_record *rec, int final)
{
	struct replay *r = ctx;
	void **slot = flow_classifier_slot(f);
	uint8_t *uf = flow_user_flags(f);

	classify_fill_record(r->cls, slot, rec, final);
	if (r->detect) {
		/* a flow never classified before its end is judged on what it has */
		if (final && !(*uf & UF_RULES_DONE)) {
			*uf |= UF_RULES_DONE;
			if (detect_flow_rules(r->detect, rec, rec->end_us) > 0)
				*uf |= UF_ALERTED;
		}
		if (detect_flow_behav(r->detect, rec) > 0)
			*uf |= UF_ALERTED;
		rec->alerted = (*uf & UF_ALERTED) != 0;
	}
	if (r->eve_q)
		sinkq_push(r->eve_q, rec);
	if (r->db_q)
		sinkq_push(r->db_q, rec);
	if (final)
		classify_release(r->cls, slot);
}

/* Per-packet statistics of a decoded packet. */
static void count_decoded(struct vigil_stats *st, const struct decoded *d)
{
	st->decoded++;
	if (d->ipver == 4) st->ipv4++; else st->ipv6++;
	switch (d->proto) {
	case IPPROTO_TCP: st->tcp++; break;
	case IPPROTO_UDP: st->udp++; break;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: st->icmp++; break;
	case IPPROTO_SCTP: st->sctp++; break;
	default: st->other_l4++; break;
	}
	if (d->vlan) st->vlan++;
	if (d->pppoe) st->pppoe++;
	if (d->mpls) st->mpls++;
	if (d->tunnel_depth) st->tunneled++;
	if (d->fragment) st->fragments++;
}

/* Push one capture file through the pipeline. Returns 0, or 1 on a read
 * error (what was read before the error is kept). */
static int replay_file(struct replay *r, const char *path)
{
	char err[512];
	struct capture *cap = capture_open_file(path, err, sizeof err);
	struct cap_packet pkt;
	struct decoded d;
	uint64_t unsupported = 0, before = r->st.packets;
	int rc = 0, res;

	if (!cap) {
		log_error("%s", err);
		return 1;
	}
	r->st.files++;
	log_info("%s: reading (link type %d)", path, cap->linktype);
	while ((res = capture_next(cap, &pkt)) == CAPTURE_PACKET) {
		r->st.packets++;
		r->st.bytes += pkt.wirelen;
		if (!r->st.first_ts_us || pkt.ts_us < r->st.first_ts_us)
			r->st.first_ts_us = pkt.ts_us;
		if (pkt.ts_us > r->st.last_ts_us)
			r->st.last_ts_us = pkt.ts_us;
		int e = decode_packet(r->dec, cap->linktype, pkt.data, pkt.caplen, pkt.ts_us, &d);
		if (e == DECODE_ERR_NOT_IP) {
			r->st.not_ip++; /* not an error: a sensor sees ARP, STP, LLDP... */
			continue;
		}
		if (e != DECODE_OK) {
			r->st.decode_errors[e]++;
			r->st.decode_errors_total++;
			if (e == DECODE_ERR_UNSUPPORTED_LINK)
				unsupported++;
			continue;
		}
		count_decoded(&r->st, &d);
		int to_server;
		struct flow *f = flow_table_packet(r->flows, &d, pkt.ts_us, d.ip_len, &to_server);
		if (!f)
			continue;
		if (classify_packet(r->cls, flow_classifier_slot(f), &d, pkt.ts_us, to_server))
			replay_rules_now(r, f, pkt.ts_us);
	}
	if (res == CAPTURE_ERROR) {
		log_error("%s: %s (kept the %llu packets read before it)", path,
			  capture_error(cap), (unsigned long long)(r->st.packets - before));
		rc = 1;
	}
	if (unsupported && unsupported == r->st.packets - before)
		log_warn("%s: link type %d is not supported; no packet decoded", path,
			 cap->linktype);
	capture_close(cap);
	return rc;
}

/* Monotonic seconds, for the -v timing lines (never for flow logic). */
static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
	struct replay r;
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

	memset(&r, 0, sizeof r);
	if (n_rule_dirs > 0) {
		r.rules = ruleset_new(&hn, stderr);
		if (!r.rules)
			fatal(1, "out of memory");
		for (int i = 0; i < n_rule_dirs; i++)
			ruleset_load_dir(r.rules, rule_dirs[i]);
		if (r.rules->problems > 0) {
			fprintf(stderr, "vigil replay: %d problem(s) in the rule sets; "
				"fix them (see 'vigil rules check')\n", r.rules->problems);
			ruleset_free(r.rules);
			return 2;
		}
		r.detect = detect_new(r.rules, replay_alert, &r);
		if (!r.detect)
			fatal(1, "out of memory");
	}
	r.dec = malloc(sizeof *r.dec);
	if (!r.dec)
		fatal(1, "out of memory");
	decoder_init(r.dec);
	r.cls = classifier_new(err, sizeof err);
	if (!r.cls)
		fatal(1, "classifier: %s", err);
	if (eve_path && !(r.eve = eve_open(eve_path, err, sizeof err)))
		fatal(1, "EVE output: %s", err);
	/* Replays are re-runnable: large transactions (fewer WAL rewrites of
	 * the same index pages) are worth more than a short loss window. */
	if (db_path && !(r.store = store_open(db_path, 10000, err, sizeof err)))
		fatal(1, "database: %s", err);
	r.flows = flow_table_new(&fcfg, replay_emit, &r);
	if (!r.flows)
		fatal(1, "out of memory");
	r.flows_ref = r.flows;
	if (r.eve && !(r.eve_q = sinkq_new(1024, replay_consume_eve, &r)))
		fatal(1, "cannot start the EVE writer thread");
	/* the database writer gets the deeper ring: flows end in bursts when
	 * packet time jumps, and index updates are the slowest sink work */
	if (r.store && !(r.db_q = sinkq_new(4096, replay_consume_db, &r)))
		fatal(1, "cannot start the database writer thread");

	double t0 = mono_s();
	for (int i = optind; i < argc; i++)
		rc |= replay_file(&r, argv[i]);

	flow_table_flush(r.flows);
	double t1 = mono_s();
	uint64_t waits = sinkq_close(r.eve_q) + sinkq_close(r.db_q);
	r.eve_q = r.db_q = NULL;
	double t2 = mono_s();
	log_info("packets processed in %.3f s; writers finished %.3f s later "
		 "(the packet thread waited %llu times for them)", t1 - t0, t2 - t1,
		 (unsigned long long)waits);

	struct flow_counters fc;
	struct classify_counters cc;
	flow_table_counters(r.flows, &fc);
	classify_get_counters(r.cls, &cc);
	r.st.flows = fc.created;
	r.st.flows_ended = fc.ended;
	r.st.flows_evicted = fc.evicted;
	r.st.flows_interim = fc.interim;
	r.st.flows_peak = fc.peak_active;
	r.st.ndpi_states_peak = cc.ndpi_states_peak;
	if (r.detect) {
		struct detect_counters dc;
		detect_get_counters(r.detect, &dc);
		r.st.alerts_suppressed = dc.suppressed;
		r.st.alerts_signature = dc.alerts[ALERT_SIGNATURE];
		r.st.alerts_ioc = dc.alerts[ALERT_IOC];
		r.st.alerts_detector = dc.alerts[ALERT_DETECTOR];
	}

	if (r.eve) {
		if (eve_write_stats(r.eve, &r.st, r.st.last_ts_us) < 0 || eve_close(r.eve) < 0) {
			log_error("EVE output: write failed (disk full?)");
			rc = 1;
		}
	}
	if (r.store) {
		char sources[1024] = "";
		size_t off = 0;
		for (int i = optind; i < argc && off < sizeof sources - 1; i++)
			off += (size_t)snprintf(sources + off, sizeof sources - off, "%s%s",
						i > optind ? " " : "", argv[i]);
		if (store_add_run(r.store, &r.st, sources, home) < 0) {
			log_error("database: %s", store_error(r.store));
			rc = 1;
		}
		double t3 = mono_s();
		int closed = store_close(r.store);
		log_info("database closed in %.3f s (indexes, checkpoint)", mono_s() - t3);
		if (closed < 0) {
			log_error("database: closing failed");
			rc = 1;
		}
	}
	if (r.eve_failed || r.db_failed)
		rc = 1;
	if (!quiet)
		fprintf(stderr,
			"vigil: %llu packets in %u file(s), %llu flows, %llu decode errors, "
			"%llu evicted, %llu alerts\n",
			(unsigned long long)r.st.packets, r.st.files,
			(unsigned long long)r.st.flows,
			(unsigned long long)r.st.decode_errors_total,
			(unsigned long long)r.st.flows_evicted,
			(unsigned long long)r.st.alerts);
	flow_table_free(r.flows);
	detect_free(r.detect);
	ruleset_free(r.rules);
	classifier_free(r.cls);
	free(r.dec);
	return rc;
}
