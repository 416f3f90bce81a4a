/*
 * daemon_status.c - what `vigil run` shows of itself (see daemon_status.h).
 *
 * The packet thread updates the status once a second; web threads read it
 * for GET /api/system; reload builders set the rule set part. One lock
 * guards all of it; the packet thread holds it only to copy.
 */
#include "daemon_status.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "decode/decode.h"
#include "output/eve.h"
#include "output/uplink.h"
#include "rules_sync.h"

#define MAX_PROBLEM_LINES 50  /* per rule set directory, for /api/system */

struct daemon_status {
	pthread_mutex_t lock;
	double start_mono;
	struct status_capture cap[CONFIG_MAX_IFACES + 1];   /* and the files */
	int n_cap;
	uint64_t decode_errors[DECODE_ERR__COUNT];
	struct vigil_stats st;          /* the pipeline's, for its drop counters */
	struct ruleset_dir dirs[CONFIG_MAX_RULE_DIRS + 1];
	int n_dirs;
	uint64_t reload_ts_us;
	int reload_ok;
	char reload_msg[600];
	/* the writers: failing database writes, records lost */
	int have_db, have_eve;
	struct store_health db;
	uint64_t db_alerts_lost, eve_alerts_lost;
	struct uplink_set *uplink;      /* its own lock; NULL when none or stopped */
	struct rules_sync *sync;        /* its own lock; NULL when none or stopped */
};

struct daemon_status *status_new(void)
{
	struct daemon_status *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->start_mono = mono_s();
	return s;
}

void status_free(struct daemon_status *s)
{
	if (!s)
		return;
	ruleset_dirs_free(s->dirs, s->n_dirs);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void status_update(struct daemon_status *s, const struct status_capture *cap, int n_cap,
		   const struct vigil_stats *st, const struct status_writers *w)
{
	pthread_mutex_lock(&s->lock);
	s->n_cap = 0;
	for (int i = 0; i < n_cap && i < (int)(sizeof s->cap / sizeof s->cap[0]); i++)
		s->cap[s->n_cap++] = cap[i];
	memcpy(s->decode_errors, st->decode_errors, sizeof s->decode_errors);
	s->db = w->db;
	s->have_db = w->have_db;
	s->have_eve = w->have_eve;
	s->db_alerts_lost = st->db_alerts_lost;
	s->eve_alerts_lost = st->eve_alerts_lost;
	s->st = *st;
	pthread_mutex_unlock(&s->lock);
}

void status_set_rules(struct daemon_status *s, struct rules_build *b)
{
	pthread_mutex_lock(&s->lock);
	ruleset_dirs_free(s->dirs, s->n_dirs);
	memcpy(s->dirs, b->dirs, sizeof s->dirs);
	s->n_dirs = b->n_dirs;
	memset(b->dirs, 0, sizeof b->dirs);
	b->n_dirs = 0;
	pthread_mutex_unlock(&s->lock);
}

void status_set_reload(struct daemon_status *s, int ok, const char *msg)
{
	pthread_mutex_lock(&s->lock);
	s->reload_ts_us = wall_us();
	s->reload_ok = ok;
	snprintf(s->reload_msg, sizeof s->reload_msg, "%s", msg);
	pthread_mutex_unlock(&s->lock);
}

/* What the stages dropped (each of their tables is bounded): the object
 * "drops" of GET /api/system, every member always there. */
static void drops_json(const struct vigil_stats *st, struct json *j)
{
	json_obj_begin(j);
	json_ku64(j, "kernel", st->kernel_drops);
	json_ku64(j, "frag_overwritten", st->frag_overwrites);
	json_ku64(j, "frag_orphans", st->frag_orphans);
	json_ku64(j, "flow_alloc_failed", st->flow_alloc_failed);
	json_ku64(j, "threshold_evicted", st->threshold_evicted);
	json_ku64(j, "detector_dropped", st->detector_dropped);
	json_ku64(j, "evidence_pool", st->ev_pressure_pkts);
	json_ku64(j, "evidence_queue", st->ev_queue_drops);
	json_obj_end(j);
}

/* "writers": is the database written (the last failure, since when), and
 * what the writers lost (lock held). */
static void status_writers_json(const struct daemon_status *s, struct json *j)
{
	json_key(j, "writers");
	json_obj_begin(j);
	if (s->have_db) {
		json_key(j, "database");
		json_obj_begin(j);
		json_kbool(j, "ok", !s->db.failing);
		json_key(j, "error");
		if (s->db.failing)
			json_str(j, s->db.error);
		else
			json_null(j);
		json_key(j, "failing_since_us");
		if (s->db.failing)
			json_u64(j, s->db.since_us);
		else
			json_null(j);
		json_ku64(j, "failures", s->db.episodes);
		json_key(j, "last_error");
		if (s->db.error[0])
			json_str(j, s->db.error);
		else
			json_null(j);
		json_ku64(j, "flows_lost", s->db.flows_failed);
		json_ku64(j, "alerts_lost", s->db_alerts_lost);
		json_obj_end(j);
	}
	if (s->have_eve) {
		json_key(j, "eve");
		json_obj_begin(j);
		json_ku64(j, "alerts_lost", s->eve_alerts_lost);
		json_obj_end(j);
	}
	json_obj_end(j);
}

void status_json(struct daemon_status *s, struct json *j)
{
	pthread_mutex_lock(&s->lock);
	json_kstr(j, "version", VIGIL_VERSION);
	json_ku64(j, "uptime_s", (uint64_t)(mono_s() - s->start_mono));
	json_key(j, "capture");
	json_arr_begin(j);
	for (int i = 0; i < s->n_cap; i++) {
		json_obj_begin(j);
		json_kstr(j, "name", s->cap[i].name);
		json_kstr(j, "method", s->cap[i].method);
		json_kstr(j, "state", s->cap[i].state);
		json_key(j, "error");
		if (s->cap[i].error[0])
			json_str(j, s->cap[i].error);
		else
			json_null(j);
		json_ku64(j, "packets", s->cap[i].packets);
		json_ku64(j, "drops", s->cap[i].drops);
		json_key(j, "pps");
		json_double(j, s->cap[i].pps, 1);
		json_key(j, "drops_per_s");
		json_double(j, s->cap[i].drops_per_s, 1);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "decode_errors");
	json_obj_begin(j);
	for (int i = 1; i < DECODE_ERR__COUNT; i++)
		if (s->decode_errors[i])
			json_ku64(j, decode_error_name(i), s->decode_errors[i]);
	json_obj_end(j);
	json_key(j, "drops");
	drops_json(&s->st, j);
	if (s->st.evidence_on) {
		json_key(j, "evidence");
		eve_evidence_stats(j, &s->st);
	}
	json_key(j, "rulesets");
	json_arr_begin(j);
	for (int i = 0; i < s->n_dirs; i++) {
		const struct ruleset_dir *rd = &s->dirs[i];
		json_obj_begin(j);
		json_kstr(j, "dir", rd->dir);
		json_ku64(j, "signatures", rd->signatures);
		json_ku64(j, "indicators", rd->indicators);
		json_ku64(j, "detectors", (uint64_t)rd->detectors);
		json_key(j, "problems");
		json_arr_begin(j);
		const char *p = rd->problem_text;
		for (int n = 0; p && *p && n < MAX_PROBLEM_LINES; n++) {
			size_t len = strcspn(p, "\n");
			json_strn(j, p, len);
			p += len + (p[len] == '\n');
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "last_reload");
	if (s->reload_ts_us) {
		json_obj_begin(j);
		json_ku64(j, "ts_us", s->reload_ts_us);
		json_kbool(j, "ok", s->reload_ok);
		json_key(j, "message");
		json_str(j, s->reload_msg);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	status_writers_json(s, j);
	json_key(j, "uplinks");
	uplink_status_json(s->uplink, j);
	json_key(j, "rules_sync");
	rules_sync_json(s->sync, j);
	pthread_mutex_unlock(&s->lock);
}

void status_set_uplink(struct daemon_status *s, struct uplink_set *u)
{
	pthread_mutex_lock(&s->lock);
	s->uplink = u;
	pthread_mutex_unlock(&s->lock);
}

void status_set_rules_sync(struct daemon_status *s, struct rules_sync *r)
{
	pthread_mutex_lock(&s->lock);
	s->sync = r;
	pthread_mutex_unlock(&s->lock);
}
