/*
 * uplink_sender.c - one uplink's sender thread (see uplink.h): connect
 * (TLS, proxy), send the outbox in id order, delete what was delivered
 * (RELP: on rsp 200; syslog+tls: batch by batch once the peer's TCP has
 * it and the connection stayed healthy for the grace), back off with
 * jitter when the centre is away, and keep the state the page shows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "relp.h"
#include "syslog_msg.h"
#include "uplink_internal.h"

/* a connection the server closes this soon after the handshake, before
 * anything was sent on it, was refused rather than timed out */
#define IDLE_CLOSE_REFUSED_S 10.0

static void set_error(struct link *l, const char *msg)
{
	struct uplink_set *u = l->set;
	int changed;

	pthread_mutex_lock(&u->lock);
	changed = strcmp(l->last_error, msg) != 0 || l->connected;
	snprintf(l->last_error, sizeof l->last_error, "%s", msg);
	l->last_error_us = wall_us();
	l->connected = 0;
	l->failures++;
	double delay = (double)(1ULL << (l->failures < 9 ? l->failures - 1 : 8));
	if (delay > BACKOFF_MAX_S)
		delay = BACKOFF_MAX_S;
	delay *= 0.5 + 0.5 * ((double)rand_r(&l->rand_state) / RAND_MAX);
	l->next_try_mono = mono_s() + delay;
	pthread_mutex_unlock(&u->lock);
	if (changed)
		log_warn("uplink %s (%s): %s; retrying in %.0f s", l->cfg.name, l->cfg.url, msg, delay);
	else
		log_debug("uplink %s: %s; retrying in %.0f s", l->cfg.name, msg, delay);
}

/* Wait on the set's condition variable until gen moves, stop, or secs. */
void uplink_sender_wait(struct uplink_set *u, uint64_t gen, double secs)
{
	struct timespec until = timespec_in_ms(0, secs > 0 ? (uint64_t)(secs * 1e3) : 0);
	pthread_mutex_lock(&u->lock);
	while (!u->stop && u->gen == gen)
		if (pthread_cond_timedwait(&u->cv, &u->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&u->lock);
}

static void delivered(struct link *l, struct outbox *ob, const int64_t *ids, int n)
{
	struct uplink_set *u = l->set;

	if (n <= 0)
		return;
	if (outbox_delete(ob, ids, n) < 0)
		log_error("uplink %s: %s (those events will be sent again)", l->cfg.name,
			  outbox_error(ob));
	pthread_mutex_lock(&u->lock);
	l->delivered += (uint64_t)n;
	l->last_success_us = wall_us();
	pthread_mutex_unlock(&u->lock);
}

void *uplink_sender_main(void *arg)
{
	struct link *l = arg;
	struct uplink_set *u = l->set;
	struct outbox *ob;
	struct tls_conn *conn = NULL;
	struct relp *relp = NULL;
	struct outbox_row rows[RELP_WINDOW];
	int64_t *pending = NULL, cursor = 0;
	int n_pending = 0;
	double last_depth = 0, conn_at = 0;
	/* syslog: the batches written and not yet confirmed, oldest first:
	 * where each ends in pending[], when it was written, and how far into
	 * the stream it reaches */
	struct batch { int end; double at; unsigned long long upto; } batches[SYSLOG_BATCHES];
	int n_batches = 0;
	struct sbuf out = { 0 };
	struct syslog_ident ident = { .hostname = u->conf.sensor_name,
				      .sensor_id = u->conf.sensor_id, .facility = 16 };
	char err[600];
	int syslog = l->cfg.proto == UPLINK_SYSLOG;

	if (!(ob = outbox_open(u->db_path, err, sizeof err))) {
		set_error(l, err);
		return NULL;
	}
	if (syslog && !(pending = malloc(sizeof *pending * SYSLOG_PENDING_MAX))) {
		set_error(l, "out of memory");
		outbox_close(ob);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&u->lock);
		int stop = u->stop;
		uint64_t gen = u->gen;
		double next_try = l->next_try_mono;
		pthread_mutex_unlock(&u->lock);
		if (stop)
			break;
		double now = mono_s();
		if (now - last_depth >= 1.0) {
			struct outbox_depth d;
			if (outbox_depth(ob, l->cfg.name, &d) == 0) {
				pthread_mutex_lock(&u->lock);
				l->depth = d;
				pthread_mutex_unlock(&u->lock);
			}
			last_depth = now;
		}
		/* syslog: rows written are delivered once the peer's TCP has them
		 * all and the connection stayed healthy through the grace */
		if (conn && n_pending) {
			if (!tls_alive(conn)) {
				set_error(l, "the server closed the connection (unconfirmed events "
					  "will be sent again)");
				tls_close(conn);
				conn = NULL;
				n_pending = 0;
				n_batches = 0;
				cursor = 0;
				continue;
			}
			/* a batch counts once the peer's TCP acknowledged its last
			 * byte and the connection stayed healthy for the grace since */
			int unacked = tls_unacked(conn);
			unsigned long long acked = unacked < 0 ? 0 :
				tls_bytes_sent(conn) - (unsigned long long)unacked;
			int done = 0, k = 0;
			while (k < n_batches && batches[k].upto <= acked &&
			       now - batches[k].at >= l->cfg.syslog_grace_s)
				done = batches[k++].end;
			if (done) {
				delivered(l, ob, pending, done);
				memmove(pending, pending + done, sizeof *pending * (size_t)(n_pending - done));
				n_pending -= done;
				for (int i = k; i < n_batches; i++)
					batches[i - k] = (struct batch){ batches[i].end - done, batches[i].at,
									batches[i].upto };
				n_batches -= k;
			}
		}
		if (conn && !n_pending && !tls_alive(conn)) {
			relp_free(relp);
			relp = NULL;
			tls_close(conn);
			conn = NULL;
			cursor = 0;
			if (now - conn_at < IDLE_CLOSE_REFUSED_S) {
				/* closed soon after the handshake: with TLS 1.3 that is how
				 * a server refuses our client certificate (it checks it after
				 * our side has finished); an error, with backoff */
				set_error(l, "the server closed the connection right after the TLS "
					  "handshake (our client certificate refused?)");
				continue;
			}
			/* closed while idle (a server's session timeout): anew */
			pthread_mutex_lock(&u->lock);
			l->connected = 0;
			pthread_mutex_unlock(&u->lock);
		}
		/* connect even with nothing to send: the page shows at once
		 * whether the centre can be reached, and the first alert finds
		 * a session ready */
		if (!conn) {
			if (now < next_try) {
				uplink_sender_wait(u, gen, next_try - now < 1.0 ? next_try - now : 1.0);
				continue;
			}
			err[0] = '\0';
			conn = tls_connect(l->tls, l->cfg.host, l->cfg.port, err, sizeof err);
			if (conn && !syslog && !(relp = relp_open(conn, (int)l->cfg.timeout_s * 1000,
								   err, sizeof err))) {
				tls_close(conn);
				conn = NULL;
			}
			if (!conn) {
				set_error(l, err);
				continue;
			}
			pthread_mutex_lock(&u->lock);
			l->connected = 1;
			l->failures = 0;
			pthread_mutex_unlock(&u->lock);
			log_info("uplink %s: connected to %s", l->cfg.name, l->cfg.url);
			conn_at = mono_s();
			cursor = 0;
			continue;
		}
		int room = syslog ? (n_batches < SYSLOG_BATCHES ? SYSLOG_PENDING_MAX - n_pending : 0) : RELP_WINDOW;
		int n = outbox_fetch(ob, l->cfg.name, cursor, rows, room < RELP_WINDOW ? room : RELP_WINDOW);
		if (n <= 0) {
			if (n < 0)
				log_error("uplink %s: %s", l->cfg.name, outbox_error(ob));
			uplink_sender_wait(u, gen, n_pending ? 0.2 : 1.0);
			continue;
		}
		if (!syslog) {
			int acked = relp_send(relp, &ident, rows, n, err, sizeof err);
			int64_t ids[RELP_WINDOW];
			for (int i = 0; i < acked; i++)
				ids[i] = rows[i].id;
			delivered(l, ob, ids, acked);
			if (acked > 0)
				cursor = rows[acked - 1].id;
			if (acked < n) {
				relp_free(relp);
				relp = NULL;
				tls_close(conn);
				conn = NULL;
				cursor = 0;
				set_error(l, err);
			}
		} else {
			sbuf_reset(&out);
			for (int i = 0; i < n; i++)
				syslog_frame_append(&out, &ident, &rows[i]);
			if (out.oom || tls_write(conn, out.p, out.len, err, sizeof err) < 0) {
				tls_close(conn);
				conn = NULL;
				n_pending = 0;
				n_batches = 0;
				cursor = 0;
				set_error(l, out.oom ? "out of memory" : err);
				out.oom = 0;
			} else {
				for (int i = 0; i < n; i++)
					pending[n_pending++] = rows[i].id;
				cursor = rows[n - 1].id;
				batches[n_batches++] = (struct batch){ n_pending, mono_s(),
								       tls_bytes_sent(conn) };
			}
		}
		outbox_rows_free(rows, n);
	}
	/* stopping: a syslog connection closed cleanly after its grace counts */
	if (conn && n_pending && tls_alive(conn) && tls_unacked(conn) == 0 &&
	    mono_s() - batches[n_batches - 1].at >= l->cfg.syslog_grace_s)
		delivered(l, ob, pending, n_pending);
	if (relp)
		relp_close(relp);
	tls_close(conn);
	sbuf_free(&out);
	free(pending);
	outbox_close(ob);
	return NULL;
}

