/*
 * store.h - the SQLite sink: flows (and run statistics) on disk.
 *
 * Owns: the database file, its versioned schema and migrations, WAL mode,
 * and batching (many rows per transaction, so an SD card does not see an
 * fsync per flow). Flows are indexed by time, hosts and application.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "detect/alert.h"
#include "detect/suppress.h"
#include "flow/flow_record.h"
#include "stats.h"

#define STORE_SCHEMA_VERSION 7

struct store;

/* Open (create or migrate) the database. batch_rows: rows per transaction
 * (0 = default 10000). NULL and err filled on failure. */
struct store *store_open(const char *path, int batch_rows, char *err, size_t errlen);
int store_add_flow(struct store *s, const struct flow_record *rec);
/* Store an alert (aggregated with earlier ones of the same rule, hosts and
 * indicator) and link it to its flows. */
int store_add_alert(struct store *s, const struct alert *a);
/* Recurrence: an alert whose status is one of statuses (STORE_RECUR_*)
 * and that fires again is new again, and the audit log says so (user
 * "(sensor)", action "recurred", detail "acknowledged -> new: fired
 * again"). 0 (the default) keeps every status. 0, or -1 (store_error). */
#define STORE_RECUR_ACKNOWLEDGED 1u
#define STORE_RECUR_FALSE_POSITIVE 2u
#define STORE_RECUR_ESCALATED 4u
#define STORE_RECUR_ALL 7u
int store_set_recur(struct store *s, unsigned statuses);
/* Add what suppress.conf entries silenced (detect.h's
 * detect_take_silenced) to their counts in suppress_counts (by entry key:
 * alerts silenced, the newest one's packet time, when counted), and commit.
 * 0, or -1 (store_error; those tallies are lost). */
int store_add_silenced(struct store *s, const struct suppress_tally *t, int n);
/* Record one run's statistics, its capture sources and --home-net (also
 * commits the pending batch). */
int store_add_run(struct store *s, const struct vigil_stats *st,
		  const char *sources, const char *home_net);
/* Commit what is pending. */
int store_flush(struct store *s);
/* The once-a-second commit of the daemon: commits the pending batch if it
 * holds an alert (an alert waits a second at most), began 3 s ago or more
 * (flows wait 3 s at most: a power cut loses no more; a writer in another
 * process waits for the lock no longer), writes are failing, or another
 * writer of this process waits (store_busy_yielding). 0 or -1. */
int store_tick(struct store *s);
/* One-line reason for the last failure ("" if none). */
const char *store_error(const struct store *s);
/* Commit what is pending, checkpoint and truncate the WAL, close. Returns -1
 * if any of that failed (the store is freed either way; call store_flush
 * first if the reason matters). */
int store_close(struct store *s);

/* Rows that were handed to store_add_flow but are not on disk because their
 * batch failed (a failed batch is rolled back as a whole: its rows are lost
 * and counted here, rows of earlier committed batches are kept). */
uint64_t store_rows_failed(const struct store *s);

/* Failing writes, as episodes: an episode starts with a failed write and
 * ends once writes have worked for the settle time (10 s) after its last
 * failure. While one lasts, flows are tried again once a second at most
 * (in between they are counted as failed without a try); alerts are always
 * tried. The writer's thread only (store_health ends a settled episode). */
struct store_health {
	int failing;                   /* an episode is going on */
	uint64_t since_us;             /* wall clock: its first failure (0: never) */
	uint64_t episodes;             /* since open */
	uint64_t flows_failed;         /* = store_rows_failed() */
	uint64_t alerts_failed;        /* alerts (occurrences) not stored */
	uint64_t episode_flows, episode_alerts; /* of which in the current or last episode */
	char error[256];               /* the last failure ("" if none) */
};
void store_health(struct store *s, struct store_health *h);
/* How long writes must work before an episode ends (tests). */
void store_set_settle_ms(struct store *s, unsigned ms);
/* Rows in the flows table (interim ones included), as this connection sees
 * it: committed rows plus the pending batch. 0 or -1 on error. */
int store_count_flows(struct store *s, uint64_t *n);
/* Cap the database at pages pages (PRAGMA max_page_count; a page is 4 KiB by
 * default) for this connection: inserts beyond it fail with SQLITE_FULL like
 * a full disk. Usable to bound the DB size, and by tests to simulate a full
 * disk. SQLite never sets it below the current size. Returns the limit now
 * in force, or -1. */
int store_set_max_pages(struct store *s, int pages);

/* Writers of the same database in this process other than the store
 * (the web's connections) take this busy handler instead of
 * sqlite3_busy_timeout: while one of them waits for the write lock, the
 * store's writer commits its open batch at its next row and does not take
 * the lock again until the waiter stopped waiting (STORE_YIELD_MAX_MS at
 * most per batch). A saturated writer commits and begins again within
 * microseconds, so a waiter that polls the lock with sleeps in between
 * would otherwise lose every time and fail after its timeout ("database
 * is locked"). timeout_ms: how long the waiter waits in all. */
#define STORE_YIELD_MAX_MS 200
struct sqlite3;
void store_busy_yielding(struct sqlite3 *db, int timeout_ms);
/* How often the store's writer gave way to such a waiter (tests). */
uint64_t store_yields(const struct store *s);

#endif
