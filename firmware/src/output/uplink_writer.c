/*
 * uplink_writer.c - the uplink's writer thread (see uplink.h): alerts and
 * flow records become EVE events with event_id and sensor, the summary is
 * tallied and ended on interval boundaries of packet time, and the rows
 * go to the outbox in short transactions, after which the senders wake.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "eve.h"
#include "uplink_internal.h"

/* A fresh event id: 128 random bits in hex. Stored with the row, so every
 * resend of the event carries the same one. */
static void new_event_id(char out[40])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	if (got < sizeof r) {   /* no getrandom: time and a counter, still unique here */
		static uint64_t ctr;
		uint64_t t = wall_us(), c = __atomic_add_fetch(&ctr, 1, __ATOMIC_RELAXED);
		memcpy(r, &t, 8);
		memcpy(r + 8, &c, 8);
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[32] = '\0';
}

/* Append event_id and sensor to the event open in j, and close it. */
static void add_ids(struct uplink_set *u, struct json *j, const char *event_id)
{
	json_kstr(j, "event_id", event_id);
	json_key(j, "sensor");
	json_obj_begin(j);
	json_kstr(j, "name", u->conf.sensor_name);
	json_kstr(j, "id", u->conf.sensor_id);
	json_obj_end(j);
	json_obj_end(j);
}

/* Write the rendered rows in one transaction and wake the senders. A
 * database that stays locked or full past the outbox's busy timeout loses
 * them (logged and counted); they are tried three times first. */
static void writer_commit(struct uplink_set *u)
{
	int ok = 0;

	if (!u->pending_rows)
		return;
	for (int attempt = 0; attempt < 3 && !ok; attempt++) {
		ok = 1;
		for (int i = 0; i < u->pending_rows && ok; i++) {
			struct pend *e = &u->pend[i];
			if (outbox_add(u->wob, u->link[e->link].cfg.name, e->kind, e->sev, e->queued_us,
				       e->event_id, e->body, e->len) < 0)
				ok = 0;
		}
		if (ok && outbox_commit(u->wob) < 0)
			ok = 0;
		if (!ok)
			log_warn("uplink: %s (attempt %d of 3)", outbox_error(u->wob), attempt + 1);
	}
	if (!ok) {
		log_error("uplink: %d events lost: %s", u->pending_rows, outbox_error(u->wob));
		u->rows_lost += (uint64_t)u->pending_rows;
	}
	for (int i = 0; i < u->pending_rows; i++)
		free(u->pend[i].body);
	u->pending_rows = 0;
	pthread_mutex_lock(&u->lock);
	u->gen++;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
}

/* Queue j's event for every uplink that takes kind (and this severity). */
static void queue_event(struct uplink_set *u, int kind, int alert_sev, int syslog_sev,
			const char *event_id)
{
	if (u->j.oom) {
		log_error("uplink: an event could not be rendered (out of memory)");
		u->rows_lost++;
		return;
	}
	for (int i = 0; i < u->n; i++) {
		const struct uplink_conf *c = &u->link[i].cfg;
		if ((kind == OUTBOX_ALERT && (!c->send_alerts || alert_sev > c->min_severity)) ||
		    (kind == OUTBOX_SUMMARY && !c->send_summaries) ||
		    (kind == OUTBOX_FLOW && !c->send_flows))
			continue;
		struct pend *e = &u->pend[u->pending_rows];
		if (!(e->body = malloc(u->j.len + 1))) {
			log_error("uplink %s: out of memory (event lost)", c->name);
			u->rows_lost++;
			continue;
		}
		memcpy(e->body, u->j.buf, u->j.len);
		e->len = u->j.len;
		e->link = i;
		e->kind = kind;
		e->sev = syslog_sev;
		e->queued_us = wall_us();
		snprintf(e->event_id, sizeof e->event_id, "%s", event_id);
		if (++u->pending_rows >= COMMIT_ROWS)
			writer_commit(u);
	}
}

/* Clock state for the summary: what the kernel's NTP discipline says. */
static const char *clock_state(void)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	int rc = adjtimex(&tx);
	if (rc < 0)
		return "unknown";
	return rc == TIME_ERROR || (tx.status & STA_UNSYNC) ? "unsynchronized" : "synchronized";
}

/* The summary of [start, end) into the outbox. */
static void emit_summary(struct uplink_set *u, uint64_t start_us, uint64_t end_us)
{
	struct summary_health h = { 0 };
	char ts[JSON_TS_LEN], event_id[40], rules_version[80];

	h.st = u->have_last_st ? &u->last_st : NULL;
	h.uptime_s = (uint64_t)(mono_s() - u->start_mono);
	h.clock = clock_state();
	struct stat sb;
	struct statvfs vfs;
	char wal[1100];
	if (stat(u->db_path, &sb) == 0)
		h.db_bytes = (uint64_t)sb.st_size;
	snprintf(wal, sizeof wal, "%s-wal", u->db_path);
	if (stat(wal, &sb) == 0)
		h.db_bytes += (uint64_t)sb.st_size;
	if (statvfs(u->db_path, &vfs) == 0)
		h.disk_free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	pthread_mutex_lock(&u->lock);
	for (int i = 0; i < u->n; i++)
		h.outbox_events += u->link[i].depth.events;
	memcpy(rules_version, u->rules_version, sizeof rules_version);
	pthread_mutex_unlock(&u->lock);
	h.rules_version = rules_version;
	for (int k = 0; k < 3; k++)
		h.outbox_dropped[k] = u->dropped_acc[k];
	memset(u->dropped_acc, 0, sizeof u->dropped_acc);
	new_event_id(event_id);
	json_reset(&u->j);
	json_obj_begin(&u->j);
	json_format_ts(ts, end_us);
	json_kstr(&u->j, "timestamp", ts);
	json_kstr(&u->j, "event_type", "summary");
	json_key(&u->j, "summary");
	json_obj_begin(&u->j);
	summary_render(u->sum, &u->j, start_us, end_us, &h);
	json_obj_end(&u->j);    /* summary */
	add_ids(u, &u->j, event_id);
	queue_event(u, OUTBOX_SUMMARY, 0, 6, event_id);
}

/* Time moved to ts: end the summary intervals that are over. A gap of
 * several empty intervals (a quiet night, the days between two captures)
 * gives one summary for the interval that was open, not one per interval. */
static void advance_time(struct uplink_set *u, uint64_t ts)
{
	uint64_t iv = (uint64_t)u->conf.summary_interval_s * US_PER_S;

	if (ts > u->max_ts_us)
		u->max_ts_us = ts;
	if (!u->need_summaries || !ts)
		return;
	if (!u->interval_start_us) {
		u->interval_start_us = ts - ts % iv;
		return;
	}
	if (u->max_ts_us >= u->interval_start_us + iv) {
		emit_summary(u, u->interval_start_us, u->interval_start_us + iv);
		u->interval_start_us = u->max_ts_us - u->max_ts_us % iv;
	}
}

static void writer_alert(struct uplink_set *u, const struct alert *a)
{
	char event_id[40];
	int sev = a->severity >= 1 && a->severity <= 3 ? a->severity : 3;

	advance_time(u, a->ts_us);
	if (u->need_summaries)
		summary_alert(u->sum, a);
	if (!u->need_alerts)
		return;
	new_event_id(event_id);
	json_reset(&u->j);
	eve_alert_json(&u->j, a);
	json_obj_end(&u->j);    /* vigil */
	add_ids(u, &u->j, event_id);
	/* Suricata severity 1, 2, 3 -> syslog crit, err, warning */
	queue_event(u, OUTBOX_ALERT, sev, sev + 1, event_id);
}

static void writer_flow(struct uplink_set *u, const struct flow_record *r)
{
	char event_id[40];

	advance_time(u, r->end_us);
	if (u->need_summaries)
		summary_flow(u->sum, r);
	if (!u->need_flows)
		return;
	new_event_id(event_id);
	json_reset(&u->j);
	eve_flow_json(&u->j, r);
	add_ids(u, &u->j, event_id);
	queue_event(u, OUTBOX_FLOW, 0, 6, event_id);
}

/* A flush slot: a tick (time, counters), maybe the final summary; commit. */
static void writer_tick(struct uplink_set *u)
{
	uint64_t now = 0;
	int final = 0;

	pthread_mutex_lock(&u->req_lock);
	if (u->req_pending) {
		now = u->req_now_us;
		final = u->req_final;
		if (u->req_have_st) {
			u->last_st = u->req_st;
			u->have_last_st = 1;
		}
		u->req_pending = u->req_final = 0;
	}
	pthread_mutex_unlock(&u->req_lock);
	if (now)
		advance_time(u, now);
	if (final && u->need_summaries) {
		uint64_t end = now > u->max_ts_us ? now : u->max_ts_us;
		if (!u->interval_start_us)
			u->interval_start_us = end;
		emit_summary(u, u->interval_start_us, end);
		u->interval_start_us = 0;
	}
	writer_commit(u);
	/* the bounds, and what they dropped for the next summary */
	for (int i = 0; i < u->n; i++) {
		const struct uplink_conf *c = &u->link[i].cfg;
		uint64_t dropped[OUTBOX__KINDS];
		int64_t n = outbox_enforce(u->wob, c->name, c->outbox_max_bytes,
					   (uint64_t)c->outbox_max_age_s * US_PER_S, wall_us());
		if (n > 0)
			log_warn("uplink %s: outbox over its bounds: %lld oldest events dropped "
				 "(summaries and flows before alerts)", c->name, (long long)n);
		if (n != 0 && outbox_take_dropped(u->wob, c->name, dropped) == 0) {
			for (int k = 0; k < OUTBOX__KINDS; k++)
				u->dropped_acc[k] += dropped[k];
			pthread_mutex_lock(&u->lock);
			for (int k = 0; k < OUTBOX__KINDS; k++)
				u->link[i].dropped[k] += dropped[k];
			pthread_mutex_unlock(&u->lock);
		}
	}
}

void uplink_writer_consume(void *ctx, const struct flow_record *rec, const struct alert *a)
{
	struct uplink_set *u = ctx;

	if (a)
		writer_alert(u, a);
	else if (rec)
		writer_flow(u, rec);
	else
		writer_tick(u);
}

