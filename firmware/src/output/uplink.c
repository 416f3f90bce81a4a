/*
 * uplink.c - alerts, summaries and flows to the centre (see uplink.h):
 * the set, its API and its state for the page; the writer thread is in
 * uplink_writer.c, the senders in uplink_sender.c.
 *
 * Threads: the packet thread pushes copies into a sink_queue; the writer
 * thread (one per set) renders EVE events, adds event_id and sensor,
 * tallies the summary and commits rows to the outbox; one sender thread
 * per uplink reads its rows in id order, sends them and deletes what was
 * delivered. Writer and senders meet only in the outbox file (each has its
 * own connection) and in a condition variable the writer signals after a
 * commit, so a sender blocked on a dead centre holds nothing the writer
 * needs.
 *
 * Backoff: after a failed connection or session the sender waits
 * min(300 s, 2^failures s) times a random factor in [0.5, 1], so boxes
 * that lost the centre together do not come back in step.
 */
#include "uplink.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "uplink_internal.h"

/* ---- the set ---------------------------------------------------------------- */

struct uplink_set *uplink_start(const struct uplinks_conf *c, const char *outbox_path,
				const struct homenet *home, char *err, size_t errlen)
{
	struct uplink_set *u = calloc(1, sizeof *u);
	char why[600];

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->conf = *c;
	u->home = home;
	u->start_mono = mono_s();
	snprintf(u->db_path, sizeof u->db_path, "%s", outbox_path);
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->req_lock, NULL);
	pthread_cond_init(&u->cv, NULL);
	json_init(&u->j);
	if (!(u->wob = outbox_open(outbox_path, why, sizeof why))) {
		snprintf(err, errlen, "outbox: %s", why);
		goto fail;
	}
	for (int i = 0; i < c->n; i++) {
		struct link *l = &u->link[u->n];
		const struct uplink_conf *uc = &c->u[i];
		struct tls_client_config tc = {
			.ca_file = uc->ca, .cert_file = uc->cert, .key_file = uc->key, .pin = uc->pin,
			.proxy = uc->proxy, .connect_timeout_ms = (int)uc->connect_timeout_s * 1000,
			.io_timeout_ms = (int)uc->timeout_s * 1000,
		};
		l->set = u;
		l->cfg = *uc;
		l->rand_state = (unsigned)(wall_us() ^ (uint64_t)(uintptr_t)l);
		if (!(l->tls = tls_client_new(&tc, why, sizeof why))) {
			snprintf(err, errlen, "uplink %s: %s", uc->name, why);
			goto fail;
		}
		u->n++;
		u->need_alerts |= uc->send_alerts;
		u->need_summaries |= uc->send_summaries;
		u->need_flows |= uc->send_flows;
	}
	if (u->need_summaries && !(u->sum = summary_new(c->summary_top, home))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(u->q = sinkq_new(1024, uplink_writer_consume, u))) {
		snprintf(err, errlen, "cannot start the uplink writer thread");
		goto fail;
	}
	for (int i = 0; i < u->n; i++) {
		if (pthread_create(&u->link[i].thread, NULL, uplink_sender_main, &u->link[i]) != 0) {
			snprintf(err, errlen, "cannot start the uplink sender thread");
			goto fail;
		}
		u->link[i].started = 1;
	}
	return u;
fail:
	uplink_stop(u);
	return NULL;
}

void uplink_alert(struct uplink_set *u, const struct alert *a)
{
	if (u && (u->need_alerts || u->need_summaries) && sinkq_push_alert(u->q, a) < 0)
		log_error("uplink: alert lost (out of memory)");
}

void uplink_flow(struct uplink_set *u, const struct flow_record *rec)
{
	if (u && (u->need_flows || u->need_summaries))
		sinkq_push(u->q, rec);
}

static void request(struct uplink_set *u, uint64_t now_us, const struct vigil_stats *st, int final)
{
	pthread_mutex_lock(&u->req_lock);
	u->req_pending = 1;
	u->req_final |= final;
	if (now_us > u->req_now_us)
		u->req_now_us = now_us;
	if (st) {
		u->req_st = *st;
		u->req_have_st = 1;
	}
	pthread_mutex_unlock(&u->req_lock);
	sinkq_push_flush(u->q);
}

void uplink_tick(struct uplink_set *u, uint64_t now_us, const struct vigil_stats *st)
{
	if (u)
		request(u, now_us, st, 0);
}

void uplink_drain(struct uplink_set *u)
{
	if (!u)
		return;
	sinkq_push_flush(u->q);
	sinkq_drain(u->q);
}

void uplink_final_summary(struct uplink_set *u, uint64_t now_us, const struct vigil_stats *st)
{
	if (!u)
		return;
	request(u, now_us, st, 1);
	sinkq_drain(u->q);
}

int uplink_wait_delivered(struct uplink_set *u, int timeout_s, char *why, size_t whylen)
{
	double until = mono_s() + timeout_s;
	struct outbox *ob;
	char err[300];

	if (!(ob = outbox_open(u->db_path, err, sizeof err))) {
		snprintf(why, whylen, "outbox: %s", err);
		return -1;
	}
	for (;;) {
		uint64_t left = 0;
		int worst = -1;
		struct outbox_depth d[UPLINK_MAX];
		for (int i = 0; i < u->n; i++) {
			if (outbox_depth(ob, u->link[i].cfg.name, &d[i]) < 0)
				d[i].events = 1;
			left += d[i].events;
			if (d[i].events && worst < 0)
				worst = i;
		}
		if (!left) {
			outbox_close(ob);
			return 0;
		}
		if (mono_s() >= until) {
			size_t off = 0;
			why[0] = '\0';
			pthread_mutex_lock(&u->lock);
			for (int i = 0; i < u->n && off < whylen; i++) {
				if (!d[i].events)
					continue;
				const struct link *l = &u->link[i];
				off += (size_t)snprintf(why + off, whylen - off, "%s%llu event(s) "
							"undelivered to %s (%s): %s", off ? "; " : "",
							(unsigned long long)d[i].events, l->cfg.name,
							l->cfg.url, l->last_error[0] ? l->last_error
							: "no answer yet");
			}
			pthread_mutex_unlock(&u->lock);
			outbox_close(ob);
			return -1;
		}
		pthread_mutex_lock(&u->lock);
		uint64_t gen = u->gen;
		pthread_mutex_unlock(&u->lock);
		uplink_sender_wait(u, gen, 0.1);
	}
}

void uplink_set_rules_version(struct uplink_set *u, const char *version)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	snprintf(u->rules_version, sizeof u->rules_version, "%s", version);
	pthread_mutex_unlock(&u->lock);
}

void uplink_status_json(struct uplink_set *u, struct json *j)
{
	json_arr_begin(j);
	if (!u) {
		json_arr_end(j);
		return;
	}
	pthread_mutex_lock(&u->lock);
	for (int i = 0; i < u->n; i++) {
		const struct link *l = &u->link[i];
		json_obj_begin(j);
		json_kstr(j, "name", l->cfg.name);
		json_kstr(j, "url", l->cfg.url);
		json_kbool(j, "connected", l->connected);
		json_key(j, "last_success_us");
		if (l->last_success_us)
			json_u64(j, l->last_success_us);
		else
			json_null(j);
		json_ku64(j, "delivered", l->delivered);
		json_ku64(j, "queued", l->depth.events);
		json_ku64(j, "queued_bytes", l->depth.bytes);
		json_key(j, "oldest_queued_us");
		if (l->depth.oldest_us)
			json_u64(j, l->depth.oldest_us);
		else
			json_null(j);
		json_key(j, "last_error");
		if (l->last_error[0] && !l->connected)
			json_str(j, l->last_error);
		else
			json_null(j);
		json_key(j, "last_error_us");
		if (l->last_error_us)
			json_u64(j, l->last_error_us);
		else
			json_null(j);
		json_ku64(j, "failures", l->failures);
		json_key(j, "dropped");
		json_obj_begin(j);
		json_ku64(j, "alerts", l->dropped[OUTBOX_ALERT]);
		json_ku64(j, "summaries", l->dropped[OUTBOX_SUMMARY]);
		json_ku64(j, "flows", l->dropped[OUTBOX_FLOW]);
		json_obj_end(j);
		json_obj_end(j);
	}
	pthread_mutex_unlock(&u->lock);
	json_arr_end(j);
}

void uplink_stop(struct uplink_set *u)
{
	if (!u)
		return;
	if (u->q) {
		sinkq_push_flush(u->q);
		sinkq_close(u->q);
		u->q = NULL;
	}
	pthread_mutex_lock(&u->lock);
	u->stop = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
	for (int i = 0; i < u->n; i++) {
		if (u->link[i].started)
			pthread_join(u->link[i].thread, NULL);
		tls_client_free(u->link[i].tls);
	}
	outbox_close(u->wob);
	summary_free(u->sum);
	json_free(&u->j);
	pthread_mutex_destroy(&u->lock);
	pthread_mutex_destroy(&u->req_lock);
	pthread_cond_destroy(&u->cv);
	free(u);
}

