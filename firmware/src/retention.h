/*
 * retention.h - keeping the database within its age and size limits.
 *
 * Owns: deleting flows older than flow_max_age, alerts (with their
 * alert_flows links) whose last occurrence is older than alert_max_age,
 * and, while the database holds more than max_size, the oldest flows -
 * alerts only once no flow is left - then giving the space back to the
 * file system (incremental vacuum, WAL checkpoint). Runs on its own
 * thread and its own SQLite connection; WAL lets it work beside the
 * writer.
 */
#ifndef VIGIL_RETENTION_H
#define VIGIL_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct retention_limits {
	uint64_t max_bytes;          /* 0: no size limit */
	uint32_t flow_max_age_s;     /* 0: keep flows whatever their age */
	uint32_t alert_max_age_s;    /* 0: keep alerts whatever their age */
	uint32_t interval_s;         /* between passes */
};

/* What one pass removed. */
struct retention_result {
	uint64_t flows_aged, alerts_aged;    /* older than the limits */
	uint64_t flows_size, alerts_size;    /* removed for the size limit */
	uint64_t bytes_before, bytes_after;  /* database + WAL file sizes */
};

/* Optional: pause the database writer around each delete (see
 * pipeline_db_pause); pause returns 0 when paused. */
struct retention_gate {
	int (*pause)(void *ctx, int timeout_ms);
	void (*resume)(void *ctx);
	void *ctx;
};

struct retention;

/* Start the thread: a pass every interval_s on db_path. gate may be NULL.
 * NULL and err filled if the database cannot be opened. */
struct retention *retention_start(const char *db_path, const struct retention_limits *lim,
				  const struct retention_gate *gate, char *err, size_t errlen);

/* New limits (after a reload); the next pass uses them. */
void retention_set_limits(struct retention *r, const struct retention_limits *lim);

/* The daemon's clock (packet time, microseconds): ages are measured
 * against it, so a replayed capture is not deleted for being old. Until
 * it is set, only the size limit applies. */
void retention_set_now(struct retention *r, uint64_t now_us);

/* Stop the thread (waits for a running pass); the connection stays for
 * retention_run_now. Before the writers it pauses are closed. */
void retention_halt(struct retention *r);

/* Stop the thread, then run one last pass on the calling thread (at
 * shutdown, once the writers are closed). */
int retention_run_now(struct retention *r, struct retention_result *out);

/* Stop the thread (waits for a running pass) and close the connection. */
void retention_stop(struct retention *r);

#endif
