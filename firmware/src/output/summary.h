/*
 * summary.h - the uplink's summary event: one EVE-style event of
 * event_type "summary" per summary_interval (packet time).
 *
 * Owns: the interval's tallies - traffic, application mix, top talkers,
 * alerts per signature and severity, home hosts seen for the first time -
 * in bounded tables (at most SUMMARY_MAX_KEYS per table and interval; what
 * does not fit is added to "other" and counted), and the rendering.
 * Fed on the uplink's writer thread only.
 */
#ifndef VIGIL_SUMMARY_H
#define VIGIL_SUMMARY_H

#include <stdint.h>

#include "core/homenet.h"
#include "core/json.h"
#include "detect/alert.h"
#include "flow/flow_record.h"
#include "stats.h"

#define SUMMARY_MAX_KEYS 1024
#define SUMMARY_MAX_HOSTS_SEEN 65536

struct summary;

/* What the summary says about the sensor and its uplink. */
struct summary_health {
	const struct vigil_stats *st;   /* the run's counters as of now, or NULL */
	uint64_t uptime_s;
	uint64_t outbox_events;         /* waiting, all uplinks */
	uint64_t outbox_dropped[3];     /* dropped by the bounds since the last summary:
					   alerts, summaries, flows */
	uint64_t db_bytes;              /* the database file and its WAL */
	uint64_t disk_free_bytes;       /* on its file system (0: unknown) */
	const char *rules_version;      /* "" if unknown */
	const char *clock;              /* "synchronized", "unsynchronized", "unknown" */
};

struct summary *summary_new(int top_n, const struct homenet *home);
void summary_free(struct summary *s);
void summary_flow(struct summary *s, const struct flow_record *r);
void summary_alert(struct summary *s, const struct alert *a);

/* Write the interval [start_us, end_us) into j as the members of the
 * summary object, then start a new interval. */
void summary_render(struct summary *s, struct json *j, uint64_t start_us, uint64_t end_us,
		    const struct summary_health *h);

#endif
