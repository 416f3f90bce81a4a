/*
 * retention.h - keeping the database within its age and size limits.
 *
 * Owns: what is deleted from the database, and when. Runs on its own
 * thread and its own SQLite connection; WAL lets it work beside the
 * writer, which it pauses around each delete.
 *
 * The rule, applied in this order by every pass (vigil.conf(5) says the
 * same to operators):
 *
 *  1. Age. Flows that started more than flow_max_age ago and alerts last
 *     seen more than alert_max_age ago go (with their links to flows and
 *     their notes). Ages are packet time: a replayed old capture stays.
 *  2. Links. An alert keeps its newest RETENTION_ALERT_LINKS links to
 *     flows (the occurrences its timeline on the page shows); older links
 *     go, the alert with its count and first/last seen stays. A flood of
 *     one alert grows its count, not the database.
 *  3. Audit log. It keeps its newest RETENTION_AUDIT_ROWS entries and at
 *     most an eighth of max_size, whatever else the database holds; older
 *     entries go first.
 *  4. Size. While the pages in use exceed max_size, the database is split
 *     in two halves: flows (the flows table and its indexes), and
 *     everything else (alerts with their links and notes, the audit log,
 *     accounts, sessions, run records). First the oldest flows go, but
 *     only while the flows take more than half of max_size; then the
 *     alerts seen longest ago go, but only while everything else takes
 *     more than half. A pass that deletes aims at 31/32 of max_size, so
 *     a busy link does not need a pass per batch. So the newest flows are
 *     never deleted for size (at least half of max_size of them stay, or
 *     all of them when they are fewer), and alerts keep half of the
 *     database whatever the traffic.
 *  5. Over. If the database is still above max_size after that (only
 *     what retention never deletes is left: accounts, run records, the
 *     schema), the pass says so with what takes the space (log line and
 *     retention_result.over_limit), and size passes wait for the next
 *     interval or for the database to grow instead of retrying at once.
 *
 * After a pass that removed anything the free pages go back to the file
 * system (incremental vacuum, WAL checkpoint), so the file is max_size
 * plus the WAL written since the pass.
 */
#ifndef VIGIL_RETENTION_H
#define VIGIL_RETENTION_H

#include <stddef.h>
#include <stdint.h>

/* The bounds of rules 2 and 3. */
#define RETENTION_ALERT_LINKS 1000
#define RETENTION_AUDIT_ROWS 10000

struct retention_limits {
	uint64_t max_bytes;          /* 0: no size limit */
	uint32_t flow_max_age_s;     /* 0: keep flows whatever their age */
	uint32_t alert_max_age_s;    /* 0: keep alerts whatever their age */
	uint32_t interval_s;         /* between passes */
};

/* What one pass removed, and what is left. */
struct retention_result {
	uint64_t flows_aged, alerts_aged;    /* older than the limits (rule 1) */
	uint64_t links_removed;              /* beyond an alert's newest links (2) */
	uint64_t audit_removed;              /* beyond the audit log's bound (3) */
	uint64_t flows_size, alerts_size;    /* removed for the size limit (4) */
	uint64_t bytes_before, bytes_after;  /* database + WAL file sizes */
	int64_t used_after;                  /* bytes of the pages in use after the pass */
	int64_t flow_bytes, other_bytes;     /* of which flows, and everything else
					      * (-1: not measured, no size limit) */
	int over_limit;                      /* rule 5: still above max_size */
};

/* Optional: pause the database writer around each delete (see
 * pipeline_db_pause); pause returns 0 when paused. */
struct retention_gate {
	int (*pause)(void *ctx, int timeout_ms);
	void (*resume)(void *ctx);
	void *ctx;
};

struct retention;

/* Start the thread: a pass every interval_s on db_path, and at once when
 * the pages in use outgrow max_bytes. gate may be NULL. NULL and err
 * filled if the database cannot be opened. */
struct retention *retention_start(const char *db_path, const struct retention_limits *lim,
				  const struct retention_gate *gate, char *err, size_t errlen);

/* The same without the thread: passes only through retention_run_now
 * (vigil's tests, a one-off pass). */
struct retention *retention_open(const char *db_path, const struct retention_limits *lim,
				 char *err, size_t errlen);

/* New limits (after a reload); the next pass uses them. */
void retention_set_limits(struct retention *r, const struct retention_limits *lim);

/* The daemon's clock (packet time, microseconds): ages are measured
 * against it, so a replayed capture is not deleted for being old. Until
 * it is set, only the size limit applies. */
void retention_set_now(struct retention *r, uint64_t now_us);

/* Passes run so far, and the last one's result (any thread). */
uint64_t retention_last(struct retention *r, struct retention_result *out);

/* Stop the thread (waits for a running pass); the connection stays for
 * retention_run_now. Before the writers it pauses are closed. */
void retention_halt(struct retention *r);

/* Stop the thread, then run one last pass on the calling thread (at
 * shutdown, once the writers are closed). */
int retention_run_now(struct retention *r, struct retention_result *out);

/* Stop the thread (waits for a running pass) and close the connection. */
void retention_stop(struct retention *r);

#endif
