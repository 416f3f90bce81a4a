/*
 * daemon_status.h - what `vigil run` shows of itself: the daemon's members
 * of GET /api/system (docs/api.md) - version and uptime, each capture
 * source, decode errors, what the bounded tables dropped, the rule sets
 * with their problems, the last reload, and the writers (failing database
 * writes, records lost).
 *
 * Owns: the status and its lock; callers hand it what they measured.
 */
#ifndef VIGIL_DAEMON_STATUS_H
#define VIGIL_DAEMON_STATUS_H

#include <stdint.h>

#include "core/json.h"
#include "daemon_rules.h"
#include "output/stats.h"
#include "output/store.h"

/* One capture source as the page shows it. */
struct status_capture {
	char name[1100];
	const char *method;       /* "afpacket", "pcap", "file" */
	const char *state;        /* capturing, down, missing, error; replaying, done */
	char error[200];          /* why not capturing; "" */
	uint64_t packets, drops;
	double pps, drops_per_s;
};

/* The writers' part. */
struct status_writers {
	int have_db, have_eve;    /* configured */
	struct store_health db;
};

struct daemon_status;

/* NULL when out of memory. Uptime counts from here. */
struct daemon_status *status_new(void);
void status_free(struct daemon_status *s);

/* Once a second, from the packet thread: the sources (n_cap of them), the
 * run's counters and the writers. */
void status_update(struct daemon_status *s, const struct status_capture *cap, int n_cap,
		   const struct vigil_stats *st, const struct status_writers *w);
/* Replace the rule set part with a build's (takes its problem texts). */
void status_set_rules(struct daemon_status *s, struct rules_build *b);
/* The outcome of a reload, at the wall-clock time now. */
void status_set_reload(struct daemon_status *s, int ok, const char *msg);

/* The uplinks /api/system shows (output/uplink.h), or NULL before one is
 * stopped: a web thread never reads a set being freed. */
struct uplink_set;
void status_set_uplink(struct daemon_status *s, struct uplink_set *u);

/* The rule-bundle fetcher /api/system shows (rules_sync.h), or NULL
 * before it is stopped. */
struct rules_sync;
void status_set_rules_sync(struct daemon_status *s, struct rules_sync *r);

/* The members into the open JSON object j (web_status_fn; a web thread). */
void status_json(struct daemon_status *s, struct json *j);

#endif
