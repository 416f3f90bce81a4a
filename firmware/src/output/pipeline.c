/*
 * pipeline.c - decode -> flow table -> classify -> detect -> sinks (see
 * pipeline.h).
 *
 * The packet thread runs decode, the flow table, nDPI and detection; each
 * sink has a writer thread behind a sink_queue, so formatting JSON and
 * SQLite inserts run beside packet work and a slow disk delays packets
 * instead of losing records. Packet time drives everything.
 */
#include "pipeline.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/classify.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow_payload.h"
#include "eve.h"
#include "evidence.h"
#include "flow/flow_evidence.h"
#include "core/clock.h"
#include "core/log.h"
#include "behav_stage.h"
#include "sink_queue.h"
#include "store.h"
#include "uplink.h"

/* One worker: the stages that keep per-flow state. Worker 0 runs on the
 * caller's thread (pipeline_packet), the others on workers.c's threads;
 * each touches only its own worker, the sinks under push_lock and the
 * rule set under rs_lock. */
struct pworker {
	struct pipeline *pl;
	int id;
	struct classifier *cls;
	struct flow_table *flows;
	struct decoder *dec;
	struct evid_pool *evpool;   /* held packets (this worker's) */
	struct detect *detect;      /* signatures and indicators (rs_lock) */
	struct detect_counters detect_before; /* of rule sets swapped out */
	struct flow_payload_pool pool;  /* all flows' windows */
	struct vigil_stats st;      /* packet counters */
	uint64_t tick_s;            /* pipeline_packet's clock: its second */
	uint64_t max_ts_us;
	/* held by the worker's thread while it works (pipeline_worker_hold)
	 * and by other threads reading its counters: stats, flush */
	pthread_mutex_t lock;
};

struct pipeline {
	int n_workers;
	struct pworker *w;
	struct eve *eve;
	struct store *store;
	struct sink_queue *eve_q;   /* one writer thread per sink: the packet */
	struct sink_queue *db_q;    /* thread never waits on a disk */
	struct uplink_set *uplink;  /* the caller's; its own writer thread */
	struct evidence *evw;       /* their writer thread, for alerting flows */
	struct evidence_counters ev_final; /* the writer's, once closed */
	uint64_t ev_pool_limit;
	struct ruleset *rules;
	/* what suppress.conf entries silenced, taken from the detect stages
	 * (the workers' and the detectors', under rs_lock) for the SQLite
	 * writer, merged by entry key; it writes them at its next flush (see
	 * take_silenced) */
	pthread_mutex_t sil_lock;
	int n_sil;
	struct suppress_tally sil[SUPPRESS_MAX];
	uint32_t win_cap;           /* payload window per direction, 0 = off */
	int eve_failed;             /* written by the EVE thread only */
	int db_failed;              /* written by the SQLite thread only */

	/* the workers share the sinks (push_lock: one producer at a time on
	 * each queue, the uplink, the evidence writer, the lost-alert log)
	 * and the rule set (rs_lock: threshold state, the detectors); the
	 * detectors that count across flows see records through behav, in
	 * one order whatever the number of workers (behav_stage.h) */
	pthread_mutex_t push_lock;
	pthread_mutex_t rs_lock;
	struct behav_stage *behav;
	struct detect *bdetect;     /* the detectors (rs_lock) */
	struct detect_counters bdetect_before;
	int behav_on;               /* detectors enabled: records wait for them */
	uint64_t behav_alerts;      /* raised by them (push_lock) */

	/* failing database writes (see db_watch): the SQLite thread's view,
	 * and a copy for the other threads under health_lock */
	int db_failing;
	uint64_t db_episodes_logged;
	double db_logged_at;
	pthread_mutex_t health_lock;
	struct store_health db_health;

	/* alerts the queues could not take (out of memory; sinkq_alerts_lost),
	 * kept when the queues close; push_lock */
	uint64_t eve_alerts_unqueued, db_alerts_unqueued;
	double lost_logged_at;
	uint64_t lost_unlogged;

	/* a stats event waiting for the EVE writer (see pipeline_stats_event) */
	pthread_mutex_t stats_lock;
	int stats_pending;
	struct vigil_stats stats_snap;
	uint64_t stats_ts_us;

	/* the database gate: another connection (retention) asks the writer
	 * to commit and pause, so it gets the write lock without racing the
	 * next batch (see pipeline_db_pause) */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cv;
	int gate_want;              /* someone waits for the writer to pause */
	int gate_paused;            /* the writer is paused, batch committed */
};

/* Bits of flow_user_flags() */
#define UF_RULES_DONE 0x01   /* signatures and indicators evaluated */
#define UF_ALERTED 0x02      /* an alert was raised on the flow */
#define UF_APP_DONE 0x04     /* its protocol events were written */
#define UF_WIN_DONE 0x08     /* signatures on the payload window evaluated */
#define UF_WIN_CHECKED 0x10  /* whether a window signature may apply was asked */

/* A decided flow's window is judged by then at the latest (packets of the
 * flow, both ways): a conversation that never fills its window nor
 * answers does not hold it until the flow ends. */
#define WINDOW_MAX_PKTS 32

/* EVE writer thread: records, alerts, and on a flush request the pending
 * stats event (if any) followed by fflush. */
static void consume_eve(void *ctx, const struct flow_record *rec, const struct alert *a)
{
	struct pipeline *p = ctx;
	int rc;

	if (!rec && !a) {
		struct vigil_stats snap;
		uint64_t ts = 0;
		int pending;

		pthread_mutex_lock(&p->stats_lock);
		pending = p->stats_pending;
		if (pending) {
			snap = p->stats_snap;
			ts = p->stats_ts_us;
			p->stats_pending = 0;
		}
		pthread_mutex_unlock(&p->stats_lock);
		rc = pending ? eve_write_stats(p->eve, &snap, ts) : 0;
		if (eve_flush(p->eve) < 0)
			rc = -1;
	} else {
		rc = a ? eve_write_alert(p->eve, a) : eve_write_flow(p->eve, rec);
	}
	if (rc < 0 && !p->eve_failed) {
		log_error("EVE output: write failed");
		p->eve_failed = 1;
	}
}

/* Seconds between two log lines about one episode of failing writes, or
 * about alerts lost for want of memory. */
#define REPORT_EVERY_S 60.0

/* SQLite writer thread, after each store call (rc its result): every
 * episode of failing writes is logged when it starts, once a minute while
 * it lasts, and when it ends, with what was lost; the other threads see
 * the store's health through a copy. Nothing to do while writes work. */
static void db_watch(struct pipeline *p, int rc)
{
	struct store_health h;
	double now;

	if (rc == 0 && !p->db_failing)
		return;
	if (rc < 0)
		p->db_failed = 1;
	store_health(p->store, &h);
	now = mono_s();
	if (h.episodes != p->db_episodes_logged) {
		log_error("database: %s; flows and alerts are counted as lost until writes work "
			  "again (failure %llu)", h.error, (unsigned long long)h.episodes);
		p->db_episodes_logged = h.episodes;
		p->db_logged_at = now;
	} else if (h.failing && now - p->db_logged_at >= REPORT_EVERY_S) {
		log_error("database: writes still fail after %.0f s (%s): %llu flows and %llu "
			  "alerts lost so far", (double)(wall_us() - h.since_us) / 1e6, h.error,
			  (unsigned long long)h.episode_flows, (unsigned long long)h.episode_alerts);
		p->db_logged_at = now;
	} else if (!h.failing && p->db_failing) {
		log_info("database: writes work again after %.0f s; %llu flows and %llu alerts "
			 "were lost", (double)(wall_us() - h.since_us) / 1e6,
			 (unsigned long long)h.episode_flows, (unsigned long long)h.episode_alerts);
	}
	p->db_failing = h.failing;
	pthread_mutex_lock(&p->health_lock);
	p->db_health = h;
	pthread_mutex_unlock(&p->health_lock);
}

/* Packet thread: an alert could not be queued for a writer (out of
 * memory). Logged at once, then at most once a minute with a count. */
static void alert_lost(struct pipeline *p, const char *sink)
{
	double now = mono_s();

	p->lost_unlogged++;
	if (p->lost_logged_at && now - p->lost_logged_at < REPORT_EVERY_S)
		return;
	log_error("%llu alert(s) lost for %s: out of memory (counted in the stats)",
		  (unsigned long long)p->lost_unlogged, sink);
	p->lost_unlogged = 0;
	p->lost_logged_at = now;
}

/* Writer thread: if another connection asked for the database, commit the
 * open batch and wait until it is done. */
static void db_gate(struct pipeline *p)
{
	int want;

	pthread_mutex_lock(&p->gate_lock);
	want = p->gate_want;
	pthread_mutex_unlock(&p->gate_lock);
	if (!want)
		return;
	db_watch(p, store_flush(p->store));
	pthread_mutex_lock(&p->gate_lock);
	p->gate_paused = 1;
	pthread_cond_broadcast(&p->gate_cv);
	while (p->gate_want)
		pthread_cond_wait(&p->gate_cv, &p->gate_lock);
	p->gate_paused = 0;
	pthread_mutex_unlock(&p->gate_lock);
}

/* SQLite writer thread: rows in batches; a flush request commits. */
static void consume_db(void *ctx, const struct flow_record *rec, const struct alert *a)
{
	struct pipeline *p = ctx;
	int rc;

	db_gate(p);
	if (!rec && !a) {
		struct suppress_tally t[64];
		int n;
		rc = 0;
		do {                        /* the tallies, then the batch */
			pthread_mutex_lock(&p->sil_lock);
			n = p->n_sil < 64 ? p->n_sil : 64;
			p->n_sil -= n;
			memcpy(t, p->sil + p->n_sil, (size_t)n * sizeof t[0]);
			pthread_mutex_unlock(&p->sil_lock);
			if (n && store_add_silenced(p->store, t, n) < 0)
				rc = -1;
		} while (n == 64);
		if (store_tick(p->store) < 0)   /* alerts now, flows every 3 s */
			rc = -1;
	}
	else
		rc = a ? store_add_alert(p->store, a) : store_add_flow(p->store, rec);
	db_watch(p, rc);
}

/* Detection's alerts go to the writer threads like flow records; the
 * packets of their flows, as far as still held, to the evidence writer
 * (the alert says which flows have them). pool: the worker's held
 * packets, NULL when the alert cannot look at them. Takes push_lock -
 * after the pool handed its packets over, which takes it too. */
static void alert_out(struct pipeline *p, struct evid_pool *pool, const struct alert *orig,
		      uint64_t *counter)
{
	struct alert ev;
	const struct alert *a = orig;

	if (pool) {
		ev = *orig;
		ev.evidence = 0;
		for (int i = 0; i < ev.n_flow_ids && i < 16; i++)
			if (evid_alerted(pool, ev.flow_ids[i]))
				ev.evidence |= (uint16_t)(1u << i);
		a = &ev;
	}
	pthread_mutex_lock(&p->push_lock);
	(*counter)++;
	if (p->eve_q && sinkq_push_alert(p->eve_q, a) < 0)
		alert_lost(p, "EVE");
	if (p->db_q && sinkq_push_alert(p->db_q, a) < 0)
		alert_lost(p, "the database");
	uplink_alert(p->uplink, a);
	pthread_mutex_unlock(&p->push_lock);
}

/* A worker's signatures and indicators (called under rs_lock). */
static void on_alert(void *ctx, const struct alert *a)
{
	struct pworker *w = ctx;

	alert_out(w->pl, w->evpool, a, &w->st.alerts);
}

/* The detectors' alerts (behav stage, under rs_lock). Their flows' held
 * packets are a worker's: looked at only when there is one worker (the
 * thread judging is then that worker's). */
static void on_behav_alert(void *ctx, const struct alert *a)
{
	struct pipeline *p = ctx;

	alert_out(p, p->n_workers == 1 ? p->w[0].evpool : NULL, a, &p->behav_alerts);
}

/* A record to every sink. */
static void record_out(struct pipeline *p, const struct flow_record *rec)
{
	pthread_mutex_lock(&p->push_lock);
	if (p->eve_q)
		sinkq_push(p->eve_q, rec);
	if (p->db_q)
		sinkq_push(p->db_q, rec);
	uplink_flow(p->uplink, rec);
	pthread_mutex_unlock(&p->push_lock);
}

/* behav_stage: a record's turn with the detectors, then the sinks; tag:
 * the ended flow's held packets (one worker only; see on_flow_record),
 * released once the detectors have decided. */
static void behav_judge(void *ctx, struct flow_record *rec, void *tag)
{
	struct pipeline *p = ctx;

	pthread_mutex_lock(&p->rs_lock);
	if (p->bdetect && detect_flow_behav(p->bdetect, rec) > 0)
		rec->alerted = 1;
	pthread_mutex_unlock(&p->rs_lock);
	record_out(p, rec);
	if (tag) {
		evid_release(p->w[0].evpool, tag);
		free(tag);
	}
}

/* The flow's protocol events (dns, tls, http, ...) go to EVE once, as
 * soon as what nDPI found is final: a record marked app_event. */
static void app_events(struct pworker *w, uint8_t *uf, const struct flow_record *rec)
{
	struct pipeline *p = w->pl;
	struct flow_record ev;

	if (!p->eve_q || (*uf & UF_APP_DONE))
		return;
	*uf |= UF_APP_DONE;
	ev = *rec;
	ev.app_event = 1;
	pthread_mutex_lock(&p->push_lock);
	sinkq_push(p->eve_q, &ev);
	pthread_mutex_unlock(&p->push_lock);
}

/* Signatures and indicators on the shared rule set. */
static int rules_on(struct pworker *w, const struct flow_record *rec, uint64_t ts_us)
{
	int n;

	pthread_mutex_lock(&w->pl->rs_lock);
	n = detect_flow_rules(w->detect, rec, ts_us);
	pthread_mutex_unlock(&w->pl->rs_lock);
	return n;
}

/* The signatures on the payload window, once per flow, on a flow whose
 * metadata rules ran: at once when none of them may apply to it (or no
 * window is kept), else when its window is ready, WINDOW_MAX_PKTS packets
 * into the flow, or when it ends (final). The window is freed right
 * after. rec: the flow as it is now, NULL to take a snapshot. */
static void window_rules(struct pworker *w, struct flow *f, struct flow_record *rec,
			 uint64_t ts_us, int final)
{
	struct pipeline *p = w->pl;
	uint8_t *uf = flow_user_flags(f);
	struct flow_payload **fp = flow_payload_slot(f);
	struct flow_record snap;
	struct flow_window win;
	int n, applies;

	if (!w->detect || (*uf & UF_WIN_DONE)) {
		flow_payload_free(&w->pool, fp);
		return;
	}
	if (!(*uf & UF_WIN_CHECKED)) {
		/* right after the metadata rules: does a window rule apply? */
		*uf |= UF_WIN_CHECKED;
		pthread_mutex_lock(&p->rs_lock);
		applies = detect_window_applies(w->detect);
		pthread_mutex_unlock(&p->rs_lock);
		if (!applies) {
			*uf |= UF_WIN_DONE;
			flow_payload_free(&w->pool, fp);
			return;
		}
	}
	flow_payload_view(*fp, p->win_cap, &win);
	if (!final && p->win_cap && !detect_window_ready(&win) && flow_packets(f) < WINDOW_MAX_PKTS)
		return;
	*uf |= UF_WIN_DONE;
	if (!rec) {
		flow_table_snapshot(w->flows, f, &snap);
		classify_fill_record(w->cls, flow_classifier_slot(f), &snap, 0);
		rec = &snap;
	}
	pthread_mutex_lock(&p->rs_lock);
	n = detect_flow_window(w->detect, rec, p->win_cap ? &win : NULL, ts_us);
	pthread_mutex_unlock(&p->rs_lock);
	if (n > 0)
		*uf |= UF_ALERTED;
	flow_payload_free(&w->pool, fp);
}

/* A flow whose classification just became final: its protocol events,
 * then signatures and indicators, once per flow, on the flow as it is
 * now; the signatures on the payload window when it is ready. */
static void decided_now(struct pworker *w, struct flow *f, uint64_t ts_us)
{
	uint8_t *uf = flow_user_flags(f);
	struct flow_record rec;

	if ((!w->detect || (*uf & UF_RULES_DONE)) && (!w->pl->eve_q || (*uf & UF_APP_DONE)))
		return;
	flow_table_snapshot(w->flows, f, &rec);
	classify_fill_record(w->cls, flow_classifier_slot(f), &rec, 0);
	app_events(w, uf, &rec);
	if (!w->detect || (*uf & UF_RULES_DONE))
		return;
	*uf |= UF_RULES_DONE;
	if (rules_on(w, &rec, ts_us) > 0)
		*uf |= UF_ALERTED;
	window_rules(w, f, &rec, ts_us, 0);
}

/* Flow table callback: classification, detection, then hand the record to
 * the writer threads - through the detectors first when they are on. */
static void on_flow_record(void *ctx, struct flow *f, struct flow_record *rec, int final)
{
	struct pworker *w = ctx;
	struct pipeline *p = w->pl;
	void **slot = flow_classifier_slot(f);
	uint8_t *uf = flow_user_flags(f);

	classify_fill_record(w->cls, slot, rec, final);
	if (final)
		app_events(w, uf, rec);
	if (w->detect) {
		/* a flow never classified before its end is judged on what it has */
		if (final && !(*uf & UF_RULES_DONE)) {
			*uf |= UF_RULES_DONE;
			if (rules_on(w, rec, rec->end_us) > 0)
				*uf |= UF_ALERTED;
			window_rules(w, f, rec, rec->end_us, 1);
		} else if (final) {
			window_rules(w, f, rec, rec->end_us, 1);
		}
		rec->alerted = (*uf & UF_ALERTED) != 0;
	}
	/* with one worker, an ended flow's held packets wait with its record
	 * for the detectors (whose alerts may want them); with several the
	 * judging thread may not touch this worker's pool */
	void **held = NULL;
	if (final && p->behav_on && w->evpool && p->n_workers == 1 && (held = malloc(sizeof *held)))
		evid_move(flow_evidence_slot(f), held);
	if (p->behav_on)
		behav_stage_add(p->behav, w->id, rec, held);
	else
		record_out(p, rec);
	if (final) {
		flow_payload_free(&w->pool, flow_payload_slot(f));
		classify_release(w->cls, slot);
		/* rules have decided: held packets go, or the flow's evidence
		 * is complete */
		if (w->evpool)
			evid_release(w->evpool, flow_evidence_slot(f));
	}
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

/* The evidence writer takes packets from every worker's pool. */
static void evidence_push_locked(void *ctx, struct evid_pkt *k)
{
	struct pipeline *p = ctx;

	pthread_mutex_lock(&p->push_lock);
	evidence_push(p->evw, k);
	pthread_mutex_unlock(&p->push_lock);
}

/* The detectors are on when the set enables one: records then wait for
 * the end of their epoch (behav_stage.h). */
static int detectors_on(const struct ruleset *rs)
{
	struct ruleset_counts c;

	if (!rs)
		return 0;
	ruleset_get_counts(rs, &c);
	return c.detectors > 0;
}

static int worker_init(struct pipeline *p, struct pworker *w, int id,
		       const struct pipeline_config *cfg, char *err, size_t errlen)
{
	char why[512];

	w->pl = p;
	w->id = id;
	if (p->rules && !(w->detect = detect_new(p->rules, on_alert, w))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(w->dec = malloc(sizeof *w->dec))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	decoder_init(w->dec);
	if (!(w->cls = classifier_new(why, sizeof why))) {
		snprintf(err, errlen, "classifier: %s", why);
		return -1;
	}
	if (p->evw) {
		/* the pool is shared out: each worker holds its part */
		struct evid_config hold = cfg->evidence->hold;
		hold.pool_bytes /= (uint64_t)p->n_workers;
		if (!(w->evpool = evid_pool_new(&hold, evidence_push_locked, p))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	/* the flow limit is the run's: each worker holds its share */
	struct flow_config fc = cfg->flow;
	fc.max_flows = (fc.max_flows + (uint32_t)p->n_workers - 1) / (uint32_t)p->n_workers;
	if (!(w->flows = flow_table_new(&fc, on_flow_record, w))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_debug("worker %d: hash seeds: flow table %016llx, fragment table %016llx", id,
		  (unsigned long long)flow_table_seed(w->flows), (unsigned long long)w->dec->seed);
	return 0;
}

static void worker_free(struct pworker *w)
{
	flow_table_free(w->flows);
	evid_pool_free(w->evpool);
	detect_free(w->detect);
	classifier_free(w->cls);
	free(w->dec);
	pthread_mutex_destroy(&w->lock);
}

struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct ruleset *rules,
			      char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof *p);
	int n = cfg->workers < 1 ? 1 : cfg->workers;

	if (!p || !(p->w = calloc((size_t)n, sizeof *p->w))) {
		snprintf(err, errlen, "out of memory");
		free(p);
		ruleset_free(rules);
		return NULL;
	}
	p->n_workers = n;
	for (int i = 0; i < n; i++)
		pthread_mutex_init(&p->w[i].lock, NULL);
	pthread_mutex_init(&p->stats_lock, NULL);
	pthread_mutex_init(&p->health_lock, NULL);
	pthread_mutex_init(&p->gate_lock, NULL);
	pthread_mutex_init(&p->push_lock, NULL);
	pthread_mutex_init(&p->rs_lock, NULL);
	pthread_mutex_init(&p->sil_lock, NULL);
	pthread_cond_init(&p->gate_cv, NULL);
	p->rules = rules;
	p->win_cap = cfg->flow.payload_window > FLOW_PAYLOAD_MAX ? FLOW_PAYLOAD_MAX
								 : cfg->flow.payload_window;
	if (!(p->behav = behav_stage_new(n, behav_judge, p)) ||
	    (rules && !(p->bdetect = detect_new(rules, on_behav_alert, p)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->behav_on = detectors_on(rules);
	char why[512];
	if (cfg->eve_path) {
		p->eve = cfg->eve_append ? eve_open_append(cfg->eve_path, why, sizeof why)
					 : eve_open(cfg->eve_path, why, sizeof why);
		if (!p->eve) {
			snprintf(err, errlen, "EVE output: %s", why);
			goto fail;
		}
	}
	if (cfg->db_path && !(p->store = store_open(cfg->db_path, cfg->db_batch, why, sizeof why))) {
		snprintf(err, errlen, "database: %s", why);
		goto fail;
	}
	if (cfg->evidence) {
		if (!(p->evw = evidence_open(cfg->evidence, why, sizeof why))) {
			snprintf(err, errlen, "evidence: %s", why);
			goto fail;
		}
		p->ev_pool_limit = cfg->evidence->hold.pool_bytes;
	}
	if (p->store && cfg->db_recur && store_set_recur(p->store, cfg->db_recur) != 0) {
		snprintf(err, errlen, "database: %s", store_error(p->store));
		goto fail;
	}
	for (int i = 0; i < n; i++)
		if (worker_init(p, &p->w[i], i, cfg, err, errlen) < 0)
			goto fail;
	if (p->eve && !(p->eve_q = sinkq_new(1024, consume_eve, p))) {
		snprintf(err, errlen, "cannot start the EVE writer thread");
		goto fail;
	}
	/* the database writer gets the deeper ring: flows end in bursts when
	 * packet time jumps, and index updates are the slowest sink work */
	if (p->store && !(p->db_q = sinkq_new_strings(4096, FLOW_RECORD_STRINGS_BASIC, consume_db, p))) {
		snprintf(err, errlen, "cannot start the database writer thread");
		goto fail;
	}
	return p;
fail:
	pipeline_drain(p);
	eve_close(p->eve);
	store_close(p->store);
	pipeline_free(p);
	return NULL;
}

int pipeline_workers(const struct pipeline *p)
{
	return p->n_workers;
}

void pipeline_worker_hold(struct pipeline *p, int wi)
{
	pthread_mutex_lock(&p->w[wi].lock);
}

void pipeline_worker_release(struct pipeline *p, int wi)
{
	pthread_mutex_unlock(&p->w[wi].lock);
}

void pipeline_worker_tick(struct pipeline *p, int wi, uint64_t now_us)
{
	struct pworker *w = &p->w[wi];

	behav_stage_end_epoch(p->behav, wi);
	flow_table_expire(w->flows, now_us);
}

int pipeline_worker_packet(struct pipeline *p, int wi, int linktype,
			   const struct cap_packet *pkt)
{
	struct pworker *w = &p->w[wi];
	struct vigil_stats *st = &w->st;
	struct decoded d;
	int to_server;

	st->packets++;
	st->bytes += pkt->wirelen;
	if (!st->first_ts_us || pkt->ts_us < st->first_ts_us)
		st->first_ts_us = pkt->ts_us;
	if (pkt->ts_us > st->last_ts_us)
		st->last_ts_us = pkt->ts_us;
	int e = decode_packet(w->dec, linktype, pkt->data, pkt->caplen, pkt->ts_us, &d);
	if (e == DECODE_ERR_NOT_IP) {
		st->not_ip++; /* not an error: a sensor sees ARP, STP, LLDP... */
		return e;
	}
	if (e != DECODE_OK) {
		st->decode_errors[e]++;
		st->decode_errors_total++;
		return e;
	}
	count_decoded(st, &d);
	struct flow *f = flow_table_packet(w->flows, &d, pkt->ts_us, d.ip_len, &to_server);
	if (!f)
		return DECODE_OK;
	/* held before it is classified: the packet that decides is evidence */
	if (w->evpool && w->detect)
		evid_packet(w->evpool, flow_evidence_slot(f), flow_get_id(f), linktype,
			    pkt->data, pkt->caplen, pkt->wirelen, pkt->ts_us);
	uint8_t *uf = flow_user_flags(f);
	int win = p->win_cap && !(*uf & UF_WIN_DONE) && detect_wants_window(w->detect, d.proto);
	if (win)
		flow_payload_add(&w->pool, flow_payload_slot(f), p->win_cap, &d, to_server);
	if (classify_packet(w->cls, flow_classifier_slot(f), &d, pkt->ts_us, to_server))
		decided_now(w, f, pkt->ts_us);
	else if (win && (*uf & UF_RULES_DONE))
		window_rules(w, f, NULL, pkt->ts_us, 0);
	return DECODE_OK;
}

/* A tick when packet time enters a new second (as the flow table's own
 * clock would), so one worker cuts epochs like several do. */
uint64_t pipeline_clock(uint64_t *max_ts_us, uint64_t *tick_s, uint64_t ts_us)
{
	if (ts_us > *max_ts_us)
		*max_ts_us = ts_us;
	if (*max_ts_us / US_PER_S == *tick_s)
		return 0;
	*tick_s = *max_ts_us / US_PER_S;
	return *max_ts_us;
}

int pipeline_packet(struct pipeline *p, int linktype, const struct cap_packet *pkt)
{
	struct pworker *w = &p->w[0];
	uint64_t now = pipeline_clock(&w->max_ts_us, &w->tick_s, pkt->ts_us);

	if (now)
		pipeline_worker_tick(p, 0, now);
	return pipeline_worker_packet(p, 0, linktype, pkt);
}

void pipeline_expire(struct pipeline *p, uint64_t now_us)
{
	for (int i = 0; i < p->n_workers; i++)
		pipeline_worker_tick(p, i, now_us);
}

/* The tallies of silenced alerts of one detect stage into p->sil (merged
 * by entry key), for the SQLite writer's next flush. A key that finds no
 * room (more entries silenced than SUPPRESS_MAX between two flushes, over
 * reloads: not on a sensor) is dropped. Under rs_lock. */
static void take_silenced_from(struct pipeline *p, struct detect *d)
{
	struct suppress_tally t[64];
	int n;

	do {
		n = detect_take_silenced(d, t, 64);
		pthread_mutex_lock(&p->sil_lock);
		for (int i = 0; i < n; i++) {
			int j = 0;
			while (j < p->n_sil && p->sil[j].key != t[i].key)
				j++;
			if (j == p->n_sil) {
				if (p->n_sil == SUPPRESS_MAX)
					continue;
				p->sil[p->n_sil++] = (struct suppress_tally){ t[i].key, 0, 0 };
			}
			p->sil[j].n += t[i].n;
			if (t[i].last_us > p->sil[j].last_us)
				p->sil[j].last_us = t[i].last_us;
		}
		pthread_mutex_unlock(&p->sil_lock);
	} while (n == 64);
}

/* Every detect stage's tallies (the workers' and the detectors') */
static void take_silenced(struct pipeline *p)
{
	if (!p->db_q)
		return;
	pthread_mutex_lock(&p->rs_lock);
	for (int i = 0; p->w && i < p->n_workers; i++)
		if (p->w[i].detect)
			take_silenced_from(p, p->w[i].detect);
	if (p->bdetect)
		take_silenced_from(p, p->bdetect);
	pthread_mutex_unlock(&p->rs_lock);
}

void pipeline_flush_sinks(struct pipeline *p)
{
	uint64_t last = 0;

	take_silenced(p);
	pthread_mutex_lock(&p->push_lock);
	if (p->eve_q)
		sinkq_push_flush(p->eve_q);
	if (p->db_q)
		sinkq_push_flush(p->db_q);
	pthread_mutex_unlock(&p->push_lock);
	for (int i = 0; i < p->n_workers; i++) {
		pthread_mutex_lock(&p->w[i].lock);
		if (p->w[i].st.last_ts_us > last)
			last = p->w[i].st.last_ts_us;
		pthread_mutex_unlock(&p->w[i].lock);
	}
	if (p->evw)
		evidence_tick(p->evw, last);
}

static void counters_add(struct detect_counters *to, const struct detect_counters *c)
{
	for (int i = 0; i < 3; i++)
		to->alerts[i] += c->alerts[i];
	to->suppressed += c->suppressed;
	to->flows_evaluated += c->flows_evaluated;
}

/* The detect stage is rebuilt on the new set; its counters carry over.
 * The records waiting for the detectors are judged by the old set first.
 * Between packets, with the workers' threads stopped (or one worker). */
void pipeline_set_rules(struct pipeline *p, struct ruleset *rules)
{
	struct detect *nd[p->n_workers], *nb = NULL;
	struct detect_counters c;
	int ok = 1;

	for (int i = 0; i < p->n_workers; i++)
		nd[i] = NULL;
	if (rules) {
		nb = detect_new(rules, on_behav_alert, p);
		ok = nb != NULL;
		for (int i = 0; i < p->n_workers && ok; i++)
			ok = (nd[i] = detect_new(rules, on_alert, &p->w[i])) != NULL;
	}
	if (!ok) {
		log_error("rules: out of memory; keeping the rules in force");
		for (int i = 0; i < p->n_workers; i++)
			detect_free(nd[i]);
		detect_free(nb);
		ruleset_free(rules);
		return;
	}
	for (int i = 0; i < p->n_workers; i++)
		behav_stage_end_epoch(p->behav, i);
	take_silenced(p);   /* what the old set silenced, the last epoch's too */
	for (int i = 0; i < p->n_workers; i++) {
		struct pworker *w = &p->w[i];
		if (w->detect) {
			detect_get_counters(w->detect, &c);
			counters_add(&w->detect_before, &c);
		}
		detect_free(w->detect);
		w->detect = nd[i];
	}
	if (p->bdetect) {
		detect_get_counters(p->bdetect, &c);
		counters_add(&p->bdetect_before, &c);
		/* the set's own tables (counted once, by the old set) */
		p->bdetect_before.threshold_evicted += c.threshold_evicted;
		p->bdetect_before.detector_dropped += c.detector_dropped;
	}
	detect_free(p->bdetect);
	ruleset_free(p->rules);
	p->bdetect = nb;
	p->rules = rules;
	p->behav_on = detectors_on(rules);
}

/* The packet counters of a worker added to the run's. */
static void stats_add(struct vigil_stats *to, const struct vigil_stats *s)
{
	to->packets += s->packets;
	to->bytes += s->bytes;
	to->decoded += s->decoded;
	to->ipv4 += s->ipv4;
	to->ipv6 += s->ipv6;
	to->tcp += s->tcp;
	to->udp += s->udp;
	to->icmp += s->icmp;
	to->sctp += s->sctp;
	to->other_l4 += s->other_l4;
	to->vlan += s->vlan;
	to->pppoe += s->pppoe;
	to->mpls += s->mpls;
	to->tunneled += s->tunneled;
	to->fragments += s->fragments;
	to->not_ip += s->not_ip;
	for (int i = 0; i < DECODE_ERR__COUNT; i++)
		to->decode_errors[i] += s->decode_errors[i];
	to->decode_errors_total += s->decode_errors_total;
	to->alerts += s->alerts;
	if (s->first_ts_us && (!to->first_ts_us || s->first_ts_us < to->first_ts_us))
		to->first_ts_us = s->first_ts_us;
	if (s->last_ts_us > to->last_ts_us)
		to->last_ts_us = s->last_ts_us;
}

void pipeline_stats(struct pipeline *p, struct vigil_stats *st)
{
	struct detect_counters dc = p->bdetect_before, c;

	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&p->rs_lock);
	if (p->bdetect) {
		/* the set's tables are counted once, here */
		detect_get_counters(p->bdetect, &c);
		counters_add(&dc, &c);
		dc.threshold_evicted += c.threshold_evicted;
		dc.detector_dropped += c.detector_dropped;
	}
	pthread_mutex_unlock(&p->rs_lock);
	pthread_mutex_lock(&p->push_lock);
	st->alerts = p->behav_alerts;
	pthread_mutex_unlock(&p->push_lock);
	for (int i = 0; i < p->n_workers; i++) {
		struct pworker *w = &p->w[i];
		struct flow_counters fc;
		struct classify_counters cc;

		pthread_mutex_lock(&w->lock);
		stats_add(st, &w->st);
		flow_table_counters(w->flows, &fc);
		classify_get_counters(w->cls, &cc);
		st->flows += fc.created;
		st->flows_ended += fc.ended;
		st->flows_evicted += fc.evicted;
		st->flows_interim += fc.interim;
		/* peaks of different workers need not coincide: their sum
		 * is what the run may have held at most */
		st->flows_peak += fc.peak_active;
		st->ndpi_states_peak += cc.ndpi_states_peak;
		st->flow_alloc_failed += fc.alloc_failed;
		st->frag_overwrites += w->dec->frag_overwrites;
		st->frag_orphans += w->dec->frag_orphans;
		st->payload_peak_bytes += w->pool.peak;
		st->payload_dropped_bytes += w->pool.dropped_bytes;
		counters_add(&dc, &w->detect_before);
		if (w->detect) {
			detect_get_counters(w->detect, &c);
			counters_add(&dc, &c);
		}
		pthread_mutex_unlock(&w->lock);
	}
	st->threshold_evicted = dc.threshold_evicted;
	st->detector_dropped = dc.detector_dropped;
	st->alerts_suppressed = dc.suppressed;
	st->alerts_signature = dc.alerts[ALERT_SIGNATURE];
	st->alerts_ioc = dc.alerts[ALERT_IOC];
	st->alerts_detector = dc.alerts[ALERT_DETECTOR];
	pipeline_output_stats(p, st, NULL);
}

void pipeline_output_stats(struct pipeline *p, struct vigil_stats *st, struct store_health *h)
{
	struct store_health mine;

	if (!h)
		h = &mine;
	pthread_mutex_lock(&p->health_lock);
	*h = p->db_health;
	pthread_mutex_unlock(&p->health_lock);
	st->db_flows_lost = h->flows_failed;
	st->db_alerts_lost = h->alerts_failed +
			     (p->db_q ? sinkq_alerts_lost(p->db_q) : p->db_alerts_unqueued);
	st->db_failures = h->episodes;
	st->eve_alerts_lost = p->eve_q ? sinkq_alerts_lost(p->eve_q) : p->eve_alerts_unqueued;
	if (p->ev_pool_limit) {
		struct evidence_counters wc = p->ev_final;
		if (p->evw)
			evidence_get_counters(p->evw, &wc);
		st->evidence_on = 1;
		st->ev_held = st->ev_pool_used = st->ev_pool_peak = 0;
		st->ev_pressure_pkts = st->ev_pressure_flows = st->ev_flows = 0;
		st->ev_cap_reached = 0;
		for (int i = 0; i < p->n_workers; i++) {
			struct evid_counters pc;
			if (!p->w[i].evpool)
				continue;
			pthread_mutex_lock(&p->w[i].lock);
			evid_get_counters(p->w[i].evpool, &pc);
			pthread_mutex_unlock(&p->w[i].lock);
			st->ev_held += pc.held;
			st->ev_pool_used += pc.pool_used;
			st->ev_pool_peak += pc.pool_peak;
			st->ev_pressure_pkts += pc.pressure_pkts;
			st->ev_pressure_flows += pc.pressure_flows;
			st->ev_flows += pc.flows_recorded;
			st->ev_cap_reached += pc.cap_reached;
		}
		st->ev_pool_limit = p->ev_pool_limit;
		st->ev_packets = wc.packets;
		st->ev_queue_drops = wc.queue_drops;
		st->ev_write_errors = wc.write_errors;
		st->ev_files = wc.files;
		st->ev_rotated = wc.rotated;
		st->ev_dir_bytes = wc.dir_bytes;
	}
}

void pipeline_stats_event(struct pipeline *p, const struct vigil_stats *st, uint64_t ts_us)
{
	if (!p->eve_q)
		return;
	pthread_mutex_lock(&p->stats_lock);
	p->stats_snap = *st;
	p->stats_ts_us = ts_us;
	p->stats_pending = 1;
	pthread_mutex_unlock(&p->stats_lock);
	sinkq_push_flush(p->eve_q);
}

uint64_t pipeline_drain(struct pipeline *p)
{
	uint64_t waits, last = 0;

	/* every flow ends; the records waiting for the detectors are
	 * judged (the last epoch) before the writers stop */
	for (int i = 0; p->w && i < p->n_workers; i++) {
		if (p->w[i].flows)
			flow_table_flush(p->w[i].flows);
		if (p->w[i].st.last_ts_us > last)
			last = p->w[i].st.last_ts_us;
	}
	for (int i = 0; p->behav && i < p->n_workers; i++)
		behav_stage_end_epoch(p->behav, i);
	if (p->db_q) {                       /* the last tallies to the writer */
		take_silenced(p);
		sinkq_push_flush(p->db_q);
	}
	pthread_mutex_lock(&p->push_lock);
	if (p->eve_q)
		p->eve_alerts_unqueued = sinkq_alerts_lost(p->eve_q);
	if (p->db_q)
		p->db_alerts_unqueued = sinkq_alerts_lost(p->db_q);
	pthread_mutex_unlock(&p->push_lock);
	waits = sinkq_close(p->eve_q) + sinkq_close(p->db_q);
	p->eve_q = p->db_q = NULL;
	if (p->evw) {
		evidence_tick(p->evw, last); /* ages: the run's last packet time */
		evidence_close(p->evw, &p->ev_final);
		p->evw = NULL;
	}
	return waits;
}

int pipeline_close_sinks(struct pipeline *p, const struct vigil_stats *st,
			 const char *sources, const char *home_net)
{
	int rc = 0;

	if (p->eve) {
		/* packet time; a run that read no packet (a failed replay) has
		 * none, and its stats event is dated now, not 1970 */
		uint64_t ts = st->last_ts_us ? st->last_ts_us : wall_us();
		if (eve_write_stats(p->eve, st, ts) < 0 || eve_close(p->eve) < 0) {
			log_error("EVE output: write failed (disk full?)");
			rc = 1;
		}
		p->eve = NULL;
	}
	if (p->store) {
		if (st->db_flows_lost || st->db_alerts_lost)
			log_error("database: %llu flows and %llu alerts of this run were not stored "
				  "(%llu episode(s) of failing writes)",
				  (unsigned long long)st->db_flows_lost,
				  (unsigned long long)st->db_alerts_lost,
				  (unsigned long long)st->db_failures);
		if (store_add_run(p->store, st, sources, home_net) < 0) {
			log_error("database: %s", store_error(p->store));
			rc = 1;
		}
		double t0 = mono_s();
		int closed = store_close(p->store);
		log_info("database closed in %.3f s (indexes, checkpoint)", mono_s() - t0);
		if (closed < 0) {
			log_error("database: closing failed");
			rc = 1;
		}
		p->store = NULL;
	}
	if (p->eve_failed || p->db_failed)
		rc = 1;
	return rc;
}

int pipeline_db_pause(struct pipeline *p, int timeout_ms)
{
	struct timespec until;
	int rc = 0;

	if (!p->db_q)
		return -1;
	until = timespec_in_ms(0, (uint64_t)timeout_ms);
	pthread_mutex_lock(&p->gate_lock);
	p->gate_want = 1;
	while (!p->gate_paused && rc == 0)
		rc = pthread_cond_timedwait(&p->gate_cv, &p->gate_lock, &until);
	if (!p->gate_paused) {
		p->gate_want = 0;
		rc = -1;
	} else {
		rc = 0;
	}
	pthread_mutex_unlock(&p->gate_lock);
	return rc;
}

void pipeline_db_resume(struct pipeline *p)
{
	pthread_mutex_lock(&p->gate_lock);
	p->gate_want = 0;
	pthread_cond_broadcast(&p->gate_cv);
	pthread_mutex_unlock(&p->gate_lock);
}

void pipeline_set_uplink(struct pipeline *p, struct uplink_set *u)
{
	p->uplink = u;
}

int pipeline_sink_failed(const struct pipeline *p)
{
	return p->eve_failed || p->db_failed;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_workers; i++)
		worker_free(&p->w[i]);
	free(p->w);
	behav_stage_free(p->behav);
	evidence_close(p->evw, NULL);
	detect_free(p->bdetect);
	ruleset_free(p->rules);
	pthread_mutex_destroy(&p->stats_lock);
	pthread_mutex_destroy(&p->push_lock);
	pthread_mutex_destroy(&p->rs_lock);
	pthread_mutex_destroy(&p->health_lock);
	pthread_mutex_destroy(&p->gate_lock);
	pthread_mutex_destroy(&p->sil_lock);
	pthread_cond_destroy(&p->gate_cv);
	free(p);
}
