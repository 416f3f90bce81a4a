/*
 * outbox.h - the uplink's store-and-forward queue, an SQLite file of its
 * own beside the flow database (outbox.sqlite in the database's folder).
 *
 * Why its own file: the flow writer (store.c) holds the database's write
 * lock through batches of up to a second and starts the next at once, and
 * retention deletes in long transactions; a commit of the outbox, or a
 * sender's delete, would wait behind them - and the outbox writer, waiting,
 * would stop taking records from the packet thread, which then could not
 * reach the tick that commits the flow batch. On its own file the outbox
 * never waits for the flow database, and neither does capture.
 *
 * Owns: the outbox tables, one connection per thread that uses it, and the
 * bounds.
 *
 * The contract: an event is committed (synchronous=FULL: on the disk, not
 * only in the page cache) before any transport sees it, and it leaves the
 * table only when its uplink says it was delivered (outbox_delete) or when
 * the bounds drop it (counted per kind, reported in the next summary). Rows
 * are per uplink: an event for two uplinks is two rows with one event_id.
 */
#ifndef VIGIL_OUTBOX_H
#define VIGIL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

enum outbox_kind { OUTBOX_ALERT = 0, OUTBOX_SUMMARY = 1, OUTBOX_FLOW = 2, OUTBOX__KINDS };

struct outbox;

struct outbox_row {
	int64_t id;
	int kind;
	int severity;             /* syslog severity 0-7 */
	uint64_t created_us;      /* event time */
	char event_id[40];
	char *body;               /* the JSON event (owned by the row) */
	size_t len;
};

/* Open path (creating the tables). NULL and err filled on failure. */
struct outbox *outbox_open(const char *path, char *err, size_t errlen);
void outbox_close(struct outbox *o);
const char *outbox_error(const struct outbox *o);

/* Queue one event for uplink. Rows are added in a transaction that
 * outbox_commit ends (one fsync for a burst). 0 or -1. */
int outbox_add(struct outbox *o, const char *uplink, int kind, int severity,
	       uint64_t created_us, const char *event_id, const char *body, size_t len);
int outbox_commit(struct outbox *o);

/* Up to max rows of uplink with id > after_id, oldest first, into rows
 * (free with outbox_rows_free). Returns how many, or -1. */
int outbox_fetch(struct outbox *o, const char *uplink, int64_t after_id,
		 struct outbox_row *rows, int max);
void outbox_rows_free(struct outbox_row *rows, int n);

/* Delivered: remove these rows. 0 or -1. */
int outbox_delete(struct outbox *o, const int64_t *ids, int n);

struct outbox_depth {
	uint64_t events;          /* rows waiting */
	uint64_t bytes;           /* their JSON */
	uint64_t oldest_us;       /* event time of the oldest, 0 if none */
};
int outbox_depth(struct outbox *o, const char *uplink, struct outbox_depth *d);

/* Apply the bounds to uplink's rows: rows older than max_age_us (before
 * now_us) go, then while the rows hold more than max_bytes the oldest
 * flows, then summaries, then alerts go. What was dropped is added to the
 * table's counters per kind. Returns the rows dropped, or -1. */
int64_t outbox_enforce(struct outbox *o, const char *uplink, uint64_t max_bytes,
		       uint64_t max_age_us, uint64_t now_us);

/* The drop counters of uplink since the last call (then reset), per kind. */
int outbox_take_dropped(struct outbox *o, const char *uplink, uint64_t dropped[OUTBOX__KINDS]);

#endif
