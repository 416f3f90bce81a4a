/*
 * retention.c - age and size limits of the database (see retention.h).
 *
 * Deletes go in chunks of at most 10000 rows, one transaction each, with
 * the writer paused only for the chunk, so capture never waits long. The
 * size that counts is the pages in use ((page_count - freelist_count) *
 * page_size): deleting rows does not shrink the file by itself, so after a
 * pass that removed anything, PRAGMA incremental_vacuum gives the free
 * pages back (databases created by vigil use auto_vacuum = INCREMENTAL)
 * and a TRUNCATE checkpoint folds the WAL in and empties it.
 */
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

#define CHUNK 10000
#define BUSY_TIMEOUT_MS 10000
#define GATE_TIMEOUT_MS 3000
#define US 1000000ULL

struct retention {
	sqlite3 *db;
	char path[1024];
	struct retention_gate gate;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	struct retention_limits lim;     /* under lock */
	uint64_t now_us;                 /* under lock */
	int warned_no_vacuum;
	int paused;                      /* the writer is held (gate_hold) */
	int gate_failed;                 /* it did not pause: this pass goes without */
	double paused_since;
};

/* Size of a file, 0 if it does not exist. */
static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The database and its WAL, as they are on disk. */
static uint64_t disk_bytes(const struct retention *r)
{
	char wal[1100];
	snprintf(wal, sizeof wal, "%s-wal", r->path);
	return file_size(r->path) + file_size(wal);
}

/* First column of the first row of sql as an integer; -1 on error. */
static int64_t query_i64(struct retention *r, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Bytes of the pages in use: what the file shrinks to after a vacuum. */
static int64_t used_bytes(struct retention *r)
{
	int64_t pages = query_i64(r, "PRAGMA page_count");
	int64_t freel = query_i64(r, "PRAGMA freelist_count");
	int64_t psize = query_i64(r, "PRAGMA page_size");

	if (pages < 0 || freel < 0 || psize <= 0)
		return -1;
	return (pages - freel) * psize;
}

/* Pause the database writer for this pass (see pipeline_db_pause). The
 * writer is let go for a moment every half second, so a long pass delays
 * capture by at most that. */
static void gate_hold(struct retention *r)
{
	struct timespec ts;
	double now;

	if (!r->gate.pause || r->gate_failed)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (r->paused && now - r->paused_since < 0.5)
		return;
	if (r->paused)
		r->gate.resume(r->gate.ctx);
	r->paused = r->gate.pause(r->gate.ctx, GATE_TIMEOUT_MS) == 0;
	r->paused_since = now;
	/* an idle writer holds no batch for long: the rest of the pass goes
	 * on without waiting for it again (the busy timeout covers a commit) */
	if (!r->paused)
		r->gate_failed = 1;
}

/* The thread was asked to stop: a running pass ends between chunks. */
static int stop_requested(struct retention *r)
{
	int stop;

	pthread_mutex_lock(&r->lock);
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

static void gate_release(struct retention *r)
{
	if (r->paused)
		r->gate.resume(r->gate.ctx);
	r->paused = 0;
}

/* Run one DELETE (or other write) with ?1 = arg1, ?2 = arg2, the writer
 * held; returns the rows it changed, or -1. */
static int64_t write_sql(struct retention *r, const char *sql, int64_t arg1, int64_t arg2)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	int rc;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("retention: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, arg1);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, arg2);
	gate_hold(r);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc == SQLITE_DONE)
		n = sqlite3_changes(r->db);
	else
		log_warn("retention: %s (will try again)", sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	return n;
}

/* Delete, chunk by chunk, what sql selects (it ends in LIMIT ?2);
 * returns the rows removed. */
static uint64_t delete_all(struct retention *r, const char *sql, int64_t arg)
{
	uint64_t total = 0;
	int64_t n;

	do {
		n = write_sql(r, sql, arg, CHUNK);
		if (n > 0)
			total += (uint64_t)n;
	} while (n == CHUNK && !stop_requested(r));
	return total;
}

/* Rows to delete to free `over` bytes at bytes_per_row; at least 1, at
 * most a chunk and what the table has. */
static int64_t rows_for(int64_t rows, double bytes_per_row, int64_t over)
{
	int64_t n;

	if (rows <= 0)
		return 0;
	n = bytes_per_row > 0 ? (int64_t)((double)over / bytes_per_row) + 1 : CHUNK;
	if (n > rows)
		n = rows;
	return n < 1 ? 1 : n > CHUNK ? CHUNK : n;
}

/* Remove the oldest flows (then, with no flow left, the oldest alerts)
 * while the pages in use exceed max_bytes. The first guess of the rows to
 * delete is the average row size (indexes included); after that, what the
 * deletes really gave back (a row frees less than its share until whole
 * index pages empty), so it neither creeps nor overshoots. */
static void enforce_size(struct retention *r, uint64_t max_bytes, struct retention_result *res)
{
	int64_t used, start = used_bytes(r), over, n, done, rows, last_n = 1;
	uint64_t deleted = 0;
	int alerts = 0;

	while ((used = used_bytes(r)) > (int64_t)max_bytes && !stop_requested(r)) {
		over = used - (int64_t)max_bytes;
		if (!alerts) {
			/* ids grow with time and the oldest go first: the id
			 * range is the row count without a scan of a big table */
			rows = query_i64(r, "SELECT coalesce(max(id) - min(id) + 1, 0) FROM flows");
			if (rows <= 0) {
				alerts = 1; /* no flow left: the alerts go, oldest first */
				deleted = 0;
				start = used;
				continue;
			}
		} else {
			rows = query_i64(r, "SELECT count(*) FROM alerts");
			if (rows <= 0)
				return; /* nothing left to delete: the schema alone is bigger */
		}
		if (!deleted)
			n = rows_for(rows, (double)used / (double)rows, over);
		else if (start > used)
			n = rows_for(rows, (double)(start - used) / (double)deleted, over);
		else
			n = last_n * 2 < rows ? last_n * 2 : rows; /* no progress yet */
		if (n > CHUNK)
			n = CHUNK;
		last_n = n;
		done = write_sql(r, alerts ? "DELETE FROM alerts WHERE id IN (SELECT id FROM "
				 "alerts ORDER BY last_seen_us, id LIMIT ?2)"
				 : "DELETE FROM flows WHERE id IN "
				 "(SELECT id FROM flows ORDER BY id LIMIT ?2)", 0, n);
		if (done <= 0)
			return;
		deleted += (uint64_t)done;
		if (alerts)
			res->alerts_size += (uint64_t)done;
		else
			res->flows_size += (uint64_t)done;
	}
}

/* Give free pages back and empty the WAL. */
static void shrink(struct retention *r)
{
	if (query_i64(r, "PRAGMA auto_vacuum") != 2) {
		if (!r->warned_no_vacuum)
			log_warn("retention: %s was created without incremental auto-vacuum; "
				 "freed space is reused but the file does not shrink", r->path);
		r->warned_no_vacuum = 1;
	} else {
		write_sql(r, "PRAGMA incremental_vacuum", 0, 0);
	}
	gate_hold(r);
	if (sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
		log_debug("retention: checkpoint: %s", sqlite3_errmsg(r->db));
}

/* One pass over the limits at time now_us. */
static int run_pass(struct retention *r, const struct retention_limits *lim, uint64_t now_us,
		    struct retention_result *res)
{
	memset(res, 0, sizeof *res);
	r->gate_failed = 0;
	res->bytes_before = disk_bytes(r);
	/* now_us 0: the daemon has no time yet; ages wait for one */
	if (lim->flow_max_age_s && now_us > (uint64_t)lim->flow_max_age_s * US)
		res->flows_aged = delete_all(r, "DELETE FROM flows WHERE id IN (SELECT id FROM "
					     "flows WHERE start_us < ?1 ORDER BY start_us LIMIT ?2)",
					     (int64_t)(now_us - (uint64_t)lim->flow_max_age_s * US));
	if (lim->alert_max_age_s && now_us > (uint64_t)lim->alert_max_age_s * US)
		res->alerts_aged = delete_all(r, "DELETE FROM alerts WHERE id IN (SELECT id FROM "
					      "alerts WHERE last_seen_us < ?1 LIMIT ?2)",
					      (int64_t)(now_us - (uint64_t)lim->alert_max_age_s * US));
	if (lim->max_bytes)
		enforce_size(r, lim->max_bytes, res);
	if (res->flows_aged || res->alerts_aged || res->flows_size || res->alerts_size)
		shrink(r);
	gate_release(r);
	res->bytes_after = disk_bytes(r);
	if (res->flows_aged || res->alerts_aged)
		log_info("retention: removed %llu flows older than %u d, %llu alerts older than %u d",
			 (unsigned long long)res->flows_aged, lim->flow_max_age_s / 86400,
			 (unsigned long long)res->alerts_aged, lim->alert_max_age_s / 86400);
	if (res->flows_size || res->alerts_size)
		log_info("retention: removed the %llu oldest flows and %llu oldest alerts to "
			 "stay under %llu MiB", (unsigned long long)res->flows_size,
			 (unsigned long long)res->alerts_size,
			 (unsigned long long)(lim->max_bytes >> 20));
	if (res->bytes_after != res->bytes_before)
		log_info("retention: database %.1f MiB -> %.1f MiB (with WAL)",
			 res->bytes_before / 1048576.0, res->bytes_after / 1048576.0);
	return 0;
}

/* The thread: a pass every interval, and at once when the pages in use
 * outgrow max_bytes (looked at four times a second: three PRAGMAs), so a
 * burst of flows does not wait a whole interval. */
static void *retention_main(void *arg)
{
	struct retention *r = arg;
	struct retention_limits lim;
	struct retention_result res;
	struct timespec until, mono;
	double last = 0, now_s;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	last = (double)mono.tv_sec + mono.tv_nsec / 1e9;
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
		if (r->stop)
			break;
		lim = r->lim;
		now = r->now_us;
		pthread_mutex_unlock(&r->lock);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		now_s = (double)mono.tv_sec + mono.tv_nsec / 1e9;
		if (now_s - last >= (lim.interval_s ? lim.interval_s : 60) ||
		    (lim.max_bytes && used_bytes(r) > (int64_t)lim.max_bytes)) {
			run_pass(r, &lim, now, &res);
			last = now_s;
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct retention *retention_start(const char *db_path, const struct retention_limits *lim,
				  const struct retention_gate *gate, char *err, size_t errlen)
{
	struct retention *r = calloc(1, sizeof *r);

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->path, sizeof r->path, "%s", db_path);
	r->lim = *lim;
	if (gate)
		r->gate = *gate;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (sqlite3_open_v2(db_path, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, r->db ? sqlite3_errmsg(r->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
	/* alert_flows rows go with their alert (ON DELETE CASCADE) */
	if (sqlite3_exec(r->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(r->db));
		goto fail;
	}
	if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
		snprintf(err, errlen, "cannot start the retention thread");
		goto fail;
	}
	r->started = 1;
	return r;
fail:
	sqlite3_close(r->db);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
	return NULL;
}

void retention_set_limits(struct retention *r, const struct retention_limits *lim)
{
	pthread_mutex_lock(&r->lock);
	r->lim = *lim;
	pthread_mutex_unlock(&r->lock);
}

void retention_set_now(struct retention *r, uint64_t now_us)
{
	pthread_mutex_lock(&r->lock);
	r->now_us = now_us;
	pthread_mutex_unlock(&r->lock);
}

/* Stop the thread; the connection stays open for retention_run_now. */
static void stop_thread(struct retention *r)
{
	if (!r->started)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->started = 0;
	pthread_mutex_lock(&r->lock);
	r->stop = 0; /* for retention_run_now */
	pthread_mutex_unlock(&r->lock);
}

void retention_halt(struct retention *r)
{
	if (r)
		stop_thread(r);
}

int retention_run_now(struct retention *r, struct retention_result *out)
{
	struct retention_limits lim;
	struct retention_result res;
	uint64_t now;

	stop_thread(r);
	pthread_mutex_lock(&r->lock);
	lim = r->lim;
	now = r->now_us;
	pthread_mutex_unlock(&r->lock);
	return run_pass(r, &lim, now, out ? out : &res);
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	stop_thread(r);
	sqlite3_close(r->db);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
