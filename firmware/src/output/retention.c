/*
 * retention.c - age and size limits of the database (see retention.h for
 * the rule).
 *
 * Deletes go in chunks of at most 10000 rows, one transaction each, with
 * the writer paused only for the chunk, so capture never waits long. The
 * size that counts is the pages in use ((page_count - freelist_count) *
 * page_size): deleting rows does not shrink the file by itself, so after a
 * pass that removed anything, PRAGMA incremental_vacuum gives the free
 * pages back (databases created by vigil use auto_vacuum = INCREMENTAL)
 * and a TRUNCATE checkpoint folds the WAL in and empties it.
 *
 * The two halves of rule 4 are measured, not guessed: the bytes of
 * everything but flows are the pages of the other tables and indexes as
 * SQLite's dbstat table counts them (it reads only those b-trees, which
 * the rule keeps to half of max_size); the flows are what is left of the
 * pages in use.
 */
#include "retention.h"

#include "core/clock.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "detect/alert.h"
#include "core/log.h"

#define CHUNK 10000
#define BUSY_TIMEOUT_MS 10000
#define GATE_TIMEOUT_MS 3000

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
	uint64_t passes;                 /* under lock */
	struct retention_result last;    /* under lock */
	int warned_no_vacuum;
	int warned_no_dbstat;
	int over;                        /* the last pass ended above max_size */
	int write_failed;                /* a delete of this pass failed */
	int64_t links_mark;              /* alerts last seen before were trimmed */
	char write_err[256];             /* why */
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

/* First column of the first row of sql (with ?1 = arg1, ?2 = arg2) as an
 * integer; -1 on error or without a row, 0 for NULL. */
static int64_t query_i64(struct retention *r, const char *sql, int64_t arg1, int64_t arg2)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, arg1);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, arg2);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Bytes of the pages in use: what the file shrinks to after a vacuum. */
static int64_t used_bytes(struct retention *r)
{
	int64_t pages = query_i64(r, "PRAGMA page_count", 0, 0);
	int64_t freel = query_i64(r, "PRAGMA freelist_count", 0, 0);
	int64_t psize = query_i64(r, "PRAGMA page_size", 0, 0);

	if (pages < 0 || freel < 0 || psize <= 0)
		return -1;
	return (pages - freel) * psize;
}

/* Bytes of the pages of the b-trees (tables and indexes) that the WHERE
 * clause on sqlite_schema selects, the schema's own b-tree too when
 * schema is set, as dbstat counts them; -1 when this SQLite has no dbstat
 * (said once). */
static int64_t tree_bytes(struct retention *r, const char *where, int schema)
{
	char sql[512];
	int64_t v;

	snprintf(sql, sizeof sql, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE aggregate = 1"
		 " AND name IN (SELECT name FROM sqlite_schema WHERE rootpage > 0 AND %s%s)",
		 where, schema ? " UNION ALL SELECT 'sqlite_schema'" : "");
	v = query_i64(r, sql, 0, 0);
	if (v < 0 && !r->warned_no_dbstat) {
		log_warn("retention: this SQLite has no dbstat table (%s): flows are deleted for "
			 "size before alerts without keeping the newest half", sqlite3_errmsg(r->db));
		r->warned_no_dbstat = 1;
	}
	return v;
}

/* Everything but flows (rule 4's other half). */
static int64_t other_bytes(struct retention *r)
{
	return tree_bytes(r, "tbl_name <> 'flows'", 1);
}

/* Pause the database writer for this pass (see pipeline_db_pause). The
 * writer is let go for a moment every half second, so a long pass delays
 * capture by at most that. */
static void gate_hold(struct retention *r)
{
	double now;

	if (!r->gate.pause || r->gate_failed)
		return;
	now = mono_s();
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
	if (rc == SQLITE_DONE) {
		n = sqlite3_changes(r->db);
	} else {
		/* said once per pass; the pass ends, the next tries again */
		if (!r->write_failed)
			log_warn("retention: %s (will try again)", sqlite3_errmsg(r->db));
		r->write_failed = 1;
		snprintf(r->write_err, sizeof r->write_err, "%s", sqlite3_errmsg(r->db));
	}
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

/* Rule 2: every alert keeps its newest RETENTION_ALERT_LINKS links to
 * flows. One occurrence links at most ALERT_MAX_FLOWS flows, so only
 * alerts whose count times that passes the bound can have more links, and
 * only those seen since the last look can have gained some: the (small)
 * alerts table and its last_seen index say where to look. */
static uint64_t trim_links(struct retention *r)
{
	sqlite3_stmt *st;
	int64_t ids[256], after = 0, links, n;
	int64_t mark = query_i64(r, "SELECT coalesce(max(last_seen_us), 0) FROM alerts", 0, 0);
	uint64_t total = 0;
	int k;

	do {
		k = 0;
		if (sqlite3_prepare_v2(r->db, "SELECT id FROM alerts WHERE count > ?1 AND id > ?2"
				       " AND last_seen_us >= ?3 ORDER BY id LIMIT 256",
				       -1, &st, NULL) != SQLITE_OK)
			return total;
		sqlite3_bind_int64(st, 1, RETENTION_ALERT_LINKS / ALERT_MAX_FLOWS);
		sqlite3_bind_int64(st, 2, after);
		sqlite3_bind_int64(st, 3, r->links_mark);
		while (k < 256 && sqlite3_step(st) == SQLITE_ROW)
			ids[k++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		for (int i = 0; i < k && !stop_requested(r); i++) {
			after = ids[i];
			links = query_i64(r, "SELECT count(*) FROM alert_flows WHERE alert_id = ?1",
					  ids[i], 0);
			if (links <= RETENTION_ALERT_LINKS)
				continue;
			n = write_sql(r, "DELETE FROM alert_flows WHERE alert_id = ?1 AND flow_id IN"
				      " (SELECT flow_id FROM alert_flows WHERE alert_id = ?1"
				      " ORDER BY ts_us, flow_id LIMIT ?2)",
				      ids[i], links - RETENTION_ALERT_LINKS);
			if (n > 0)
				total += (uint64_t)n;
		}
	} while (k == 256 && !stop_requested(r));
	/* a pass stopped half-way, or whose deletes failed, looks at all of
	 * them again next time */
	if (!stop_requested(r) && !r->write_failed && mark > 0)
		r->links_mark = mark;
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

/* One table's oldest rows, chunk by chunk, while bytes() (the part this
 * table counts in) exceeds its budget and the pages in use exceed
 * max_bytes (max_bytes 0: the budget alone). count_sql gives the rows
 * that can go, delete_sql deletes the ?2 oldest. The rows to delete are
 * guessed from the larger of the average row size (indexes included) and
 * what the deletes so far really gave back: a row frees less than its
 * share until whole index pages empty, and then more, so the guess stays
 * on the safe side and a pass does not delete far more than it needs.
 * With keep_budget, the table is all of its part and no chunk goes below
 * the budget's share of its rows (rows * budget / part): pages only get
 * emptier as rows go, so what is left still fills the budget. */
struct trim {
	const char *count_sql, *delete_sql;
	int64_t (*bytes)(struct retention *r);
	int64_t budget;
	int64_t max_bytes;
	int keep_budget;
};

static uint64_t trim_oldest(struct retention *r, const struct trim *t)
{
	int64_t used, part, over, rows, n, done, start = -1, last_n = 1;
	uint64_t deleted = 0;
	double avg, freed;

	while (!stop_requested(r)) {
		used = used_bytes(r);
		part = t->bytes(r);
		if (used < 0 || part < 0 || part <= t->budget)
			break;
		if (t->max_bytes && used <= t->max_bytes)
			break;
		over = part - t->budget;
		if (t->max_bytes && used - t->max_bytes < over)
			over = used - t->max_bytes;
		rows = query_i64(r, t->count_sql, 0, 0);
		if (rows <= 0)
			break;
		avg = (double)part / (double)rows;
		if (start < 0) {
			start = part;
			n = rows_for(rows, avg, over);
		} else if (start > part) {
			freed = (double)(start - part) / (double)deleted;
			n = rows_for(rows, freed > avg ? freed : avg, over);
		} else {
			n = last_n * 2 < rows ? last_n * 2 : rows; /* no progress yet */
		}
		if (n > CHUNK)
			n = CHUNK;
		if (t->keep_budget) {
			int64_t keep = (int64_t)((double)rows * (double)t->budget / (double)part) + 1;
			if (n > rows - keep)
				n = rows - keep;
			if (n <= 0)
				break;
		}
		last_n = n;
		done = write_sql(r, t->delete_sql, 0, n);
		if (done <= 0)
			break;
		deleted += (uint64_t)done;
	}
	return deleted;
}

/* The parts that rule 4 weighs. */
static int64_t flow_part(struct retention *r)
{
	int64_t used = used_bytes(r), other = other_bytes(r);

	if (used < 0)
		return -1;
	/* no dbstat: flows are all there is to weigh */
	return other < 0 ? used : used - other;
}

static int64_t audit_part(struct retention *r)
{
	return tree_bytes(r, "tbl_name = 'audit'", 0);
}

static int64_t audit_rows(struct retention *r)
{
	return query_i64(r, "SELECT count(*) FROM audit", 0, 0);
}

/* Rule 3: the audit log's own bound: its newest RETENTION_AUDIT_ROWS
 * entries, then at most an eighth of max_size. */
static uint64_t trim_audit(struct retention *r, uint64_t max_bytes)
{
	static const char del[] = "DELETE FROM audit WHERE id IN (SELECT id FROM audit"
				  " ORDER BY id LIMIT ?2)";
	uint64_t removed = 0;
	int64_t rows, n, done;

	while ((rows = audit_rows(r)) > RETENTION_AUDIT_ROWS && !stop_requested(r)) {
		n = rows - RETENTION_AUDIT_ROWS;
		done = write_sql(r, del, 0, n > CHUNK ? CHUNK : n);
		if (done <= 0)
			break;
		removed += (uint64_t)done;
	}
	if (max_bytes) {
		struct trim t = {
			.count_sql = "SELECT count(*) FROM audit", .delete_sql = del,
			.bytes = audit_part, .budget = (int64_t)(max_bytes / 8), .max_bytes = 0,
		};
		removed += trim_oldest(r, &t);
	}
	return removed;
}

/* Rule 4: flows down to their half, then alerts down to theirs; a pass
 * that has to delete frees a little more than the excess (down to 31/32
 * of the limit), so that a busy link does not need a pass per batch. */
static void enforce_size(struct retention *r, uint64_t max_bytes, struct retention_result *res)
{
	int64_t target = (int64_t)(max_bytes - max_bytes / 32);
	struct trim flows = {
		/* ids grow with time and the oldest go first: the id range is
		 * the row count without a scan of a big table */
		.count_sql = "SELECT coalesce(max(id) - min(id) + 1, 0) FROM flows",
		.delete_sql = "DELETE FROM flows WHERE id IN (SELECT id FROM flows ORDER BY id"
			      " LIMIT ?2)",
		.bytes = flow_part, .budget = (int64_t)(max_bytes / 2),
		.max_bytes = target, .keep_budget = 1,
	};
	struct trim alerts = {
		.count_sql = "SELECT count(*) FROM alerts",
		.delete_sql = "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts"
			      " ORDER BY last_seen_us, id LIMIT ?2)",
		.bytes = other_bytes, .budget = (int64_t)(max_bytes / 2),
		.max_bytes = target,
	};

	if (used_bytes(r) <= (int64_t)max_bytes)
		return;
	if (other_bytes(r) < 0) {
		/* no dbstat: the old order, every flow before any alert */
		flows.keep_budget = 0;
		res->flows_size += trim_oldest(r, &flows);
		if (query_i64(r, "SELECT count(*) FROM flows", 0, 0) > 0)
			return;
		alerts.bytes = used_bytes;
		alerts.budget = target;
	} else {
		res->flows_size += trim_oldest(r, &flows);
	}
	res->alerts_size += trim_oldest(r, &alerts);
}

/* Give free pages back and empty the WAL. */
static void shrink(struct retention *r)
{
	if (query_i64(r, "PRAGMA auto_vacuum", 0, 0) != 2) {
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

/* The log lines of a pass: what went, and (rule 5) a database that stays
 * above its limit, once when it happens and once when it is over. */
static void report(struct retention *r, const struct retention_limits *lim,
		   const struct retention_result *res)
{
	if (res->flows_aged || res->alerts_aged)
		log_info("retention: removed %llu flows older than %u d, %llu alerts older than %u d",
			 (unsigned long long)res->flows_aged, lim->flow_max_age_s / 86400,
			 (unsigned long long)res->alerts_aged, lim->alert_max_age_s / 86400);
	if (res->links_removed || res->audit_removed)
		log_info("retention: removed %llu links of alerts to flows (each alert keeps its "
			 "newest %d) and %llu audit entries (the log keeps its newest %d, at most "
			 "1/8 of max_size)", (unsigned long long)res->links_removed,
			 RETENTION_ALERT_LINKS, (unsigned long long)res->audit_removed,
			 RETENTION_AUDIT_ROWS);
	if (res->flows_size || res->alerts_size)
		log_info("retention: removed the %llu oldest flows and %llu oldest alerts to "
			 "stay under %.2f MiB: %.2f MiB in use (flows %.2f MiB, alerts and the "
			 "rest %.2f MiB)", (unsigned long long)res->flows_size,
			 (unsigned long long)res->alerts_size, lim->max_bytes / 1048576.0,
			 res->used_after / 1048576.0, res->flow_bytes / 1048576.0,
			 res->other_bytes / 1048576.0);
	if (res->over_limit && !r->over && r->write_failed)
		log_warn("retention: the database stays above its limit (%.2f MiB in use, "
			 "max_size %.2f MiB): deleting failed: %s", res->used_after / 1048576.0,
			 lim->max_bytes / 1048576.0, r->write_err);
	else if (res->over_limit && !r->over)
		log_warn("retention: the database stays above its limit: %.2f MiB in use, "
			 "max_size %.2f MiB; flows %.2f MiB (at most half is kept), alerts and the "
			 "rest %.2f MiB, of which retention cannot delete accounts, sessions, run "
			 "records and the schema; raise max_size",
			 res->used_after / 1048576.0, lim->max_bytes / 1048576.0,
			 res->flow_bytes / 1048576.0, res->other_bytes / 1048576.0);
	else if (!res->over_limit && r->over)
		log_info("retention: the database is within its limit again (%.2f MiB of %.2f MiB)",
			 res->used_after / 1048576.0, lim->max_bytes / 1048576.0);
	r->over = res->over_limit;
	if (res->bytes_after != res->bytes_before)
		log_info("retention: database %.1f MiB -> %.1f MiB (with WAL)",
			 res->bytes_before / 1048576.0, res->bytes_after / 1048576.0);
}

/* One pass over the limits at time now_us (the rule of retention.h). */
static int run_pass(struct retention *r, const struct retention_limits *lim, uint64_t now_us,
		    struct retention_result *res)
{
	memset(res, 0, sizeof *res);
	res->flow_bytes = res->other_bytes = -1;
	r->gate_failed = 0;
	r->write_failed = 0;
	res->bytes_before = disk_bytes(r);
	/* 1. ages; now_us 0: the daemon has no time yet, ages wait for one */
	if (lim->flow_max_age_s && now_us > (uint64_t)lim->flow_max_age_s * US_PER_S)
		res->flows_aged = delete_all(r, "DELETE FROM flows WHERE id IN (SELECT id FROM "
					     "flows WHERE start_us < ?1 ORDER BY start_us LIMIT ?2)",
					     (int64_t)(now_us - (uint64_t)lim->flow_max_age_s * US_PER_S));
	if (lim->alert_max_age_s && now_us > (uint64_t)lim->alert_max_age_s * US_PER_S)
		res->alerts_aged = delete_all(r, "DELETE FROM alerts WHERE id IN (SELECT id FROM "
					      "alerts WHERE last_seen_us < ?1 LIMIT ?2)",
					      (int64_t)(now_us - (uint64_t)lim->alert_max_age_s * US_PER_S));
	/* 2. links, 3. the audit log */
	res->links_removed = trim_links(r);
	res->audit_removed = trim_audit(r, lim->max_bytes);
	/* 4. size */
	if (lim->max_bytes)
		enforce_size(r, lim->max_bytes, res);
	if (res->flows_aged || res->alerts_aged || res->links_removed || res->audit_removed ||
	    res->flows_size || res->alerts_size)
		shrink(r);
	/* 5. what is left, measured while the writer is still held */
	res->used_after = used_bytes(r);
	if (lim->max_bytes) {
		res->other_bytes = other_bytes(r);
		res->flow_bytes = res->other_bytes < 0 ? -1 : res->used_after - res->other_bytes;
		res->over_limit = res->used_after > (int64_t)lim->max_bytes && !stop_requested(r);
	}
	gate_release(r);
	res->bytes_after = disk_bytes(r);
	report(r, lim, res);
	pthread_mutex_lock(&r->lock);
	r->passes++;
	r->last = *res;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* The thread: a pass every interval, and at once when the pages in use
 * outgrow max_bytes (looked at four times a second: three PRAGMAs), so a
 * burst of flows does not wait a whole interval. A database that stays
 * above its limit (rule 5) is not passed over again until it has grown
 * by another sixteenth of the limit or the interval is up. */
static void *retention_main(void *arg)
{
	struct retention *r = arg;
	struct retention_limits lim;
	struct retention_result res;
	struct timespec until;
	double last = 0, now_s;
	int64_t used, over_at = -1;
	uint64_t now;
	int due;

	last = mono_s();
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		until = timespec_in_ms(0, 250);
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
		if (r->stop)
			break;
		lim = r->lim;
		now = r->now_us;
		pthread_mutex_unlock(&r->lock);
		now_s = mono_s();
		due = now_s - last >= (lim.interval_s ? lim.interval_s : 60);
		if (!due && lim.max_bytes) {
			used = used_bytes(r);
			due = used > (int64_t)lim.max_bytes &&
			      (over_at < 0 || used > over_at + (int64_t)(lim.max_bytes / 16));
		}
		if (due) {
			run_pass(r, &lim, now, &res);
			over_at = res.over_limit ? res.used_after : -1;
			last = now_s;
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct retention *retention_open(const char *db_path, const struct retention_limits *lim,
				 char *err, size_t errlen)
{
	struct retention *r = calloc(1, sizeof *r);

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->path, sizeof r->path, "%s", db_path);
	r->lim = *lim;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (sqlite3_open_v2(db_path, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, r->db ? sqlite3_errmsg(r->db) : "cannot open");
		goto fail;
	}
	/* the store's writer gives way while this connection waits */
	store_busy_yielding(r->db, BUSY_TIMEOUT_MS);
	/* alert_flows and alert_notes rows go with their alert (ON DELETE CASCADE) */
	if (sqlite3_exec(r->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(r->db));
		goto fail;
	}
	return r;
fail:
	sqlite3_close(r->db);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
	return NULL;
}

struct retention *retention_start(const char *db_path, const struct retention_limits *lim,
				  const struct retention_gate *gate, char *err, size_t errlen)
{
	struct retention *r = retention_open(db_path, lim, err, errlen);

	if (!r)
		return NULL;
	if (gate)
		r->gate = *gate;
	if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
		snprintf(err, errlen, "cannot start the retention thread");
		retention_stop(r);
		return NULL;
	}
	r->started = 1;
	return r;
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

uint64_t retention_last(struct retention *r, struct retention_result *out)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->passes;
	if (out)
		*out = r->last;
	pthread_mutex_unlock(&r->lock);
	return n;
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
