/*
 * uplink_internal.h - what output/uplink.c, uplink_writer.c and
 * uplink_sender.c share: the set, one uplink's state, and the threads'
 * entry points. Not for other modules (they use uplink.h).
 */
#ifndef VIGIL_UPLINK_INTERNAL_H
#define VIGIL_UPLINK_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "core/homenet.h"
#include "core/json.h"
#include "detect/alert.h"
#include "flow/flow_record.h"
#include "outbox.h"
#include "sink_queue.h"
#include "stats.h"
#include "summary.h"
#include "tls/tls_client.h"
#include "uplink_conf.h"

#define COMMIT_ROWS 256            /* rows per outbox transaction at most */
#define SYSLOG_PENDING_MAX 32768   /* rows written, waiting for their grace */
#define SYSLOG_BATCHES 512         /* writes waiting for their grace */
#define BACKOFF_MAX_S 300.0

struct link {
	struct uplink_set *set;
	struct uplink_conf cfg;
	struct tls_client *tls;
	pthread_t thread;
	int started;
	unsigned rand_state;
	/* state for the page (under set->lock) */
	int connected;
	uint64_t last_success_us, last_error_us, delivered, failures;
	char last_error[300];
	double next_try_mono;
	struct outbox_depth depth;
	uint64_t dropped[OUTBOX__KINDS];
};

struct uplink_set {
	struct uplinks_conf conf;
	char db_path[1024];         /* the outbox file */
	const struct homenet *home;
	struct sink_queue *q;
	/* writer thread */
	struct outbox *wob;
	struct summary *sum;
	struct json j;
	/* rows rendered, not yet in the outbox: written in one short
	 * transaction at the next tick or when COMMIT_ROWS are waiting, so
	 * the write lock is never held between two records */
	struct pend {
		int link, kind, sev;
		uint64_t queued_us;
		char event_id[40];
		char *body;
		size_t len;
	} pend[COMMIT_ROWS];
	int pending_rows;
	uint64_t max_ts_us;         /* latest packet time seen */
	uint64_t interval_start_us; /* of the summary being tallied, 0 before the first */
	uint64_t dropped_acc[OUTBOX__KINDS]; /* bounds' drops since the last summary */
	uint64_t rows_lost;         /* could not be committed */
	int need_flows, need_summaries, need_alerts;
	/* tick requests: set by the packet thread, read by the writer */
	pthread_mutex_t req_lock;
	int req_pending, req_final;
	uint64_t req_now_us;
	int req_have_st;
	struct vigil_stats req_st;
	struct vigil_stats last_st;
	int have_last_st;
	/* senders */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	char rules_version[80];     /* lock: the summaries' health.rules_version */
	uint64_t gen;               /* bumped after each commit */
	int stop;
	double start_mono;
	struct link link[UPLINK_MAX];
	int n;
};

/* The writer thread's sink_queue consumer (uplink_writer.c). */
void uplink_writer_consume(void *ctx, const struct flow_record *rec, const struct alert *a);

/* One uplink's sender thread (uplink_sender.c); arg is its struct link. */
void *uplink_sender_main(void *arg);

/* Wait on the set's condition variable until gen moves, stop, or secs. */
void uplink_sender_wait(struct uplink_set *u, uint64_t gen, double secs);

#endif
