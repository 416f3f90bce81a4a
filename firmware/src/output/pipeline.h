/*
 * pipeline.h - one packet's way through vigil, for replay and the daemon.
 *
 * Owns: the stages after capture - decode -> flow table -> classify ->
 * detect -> sinks (EVE and SQLite, each on its writer thread) - the
 * counters of a run (struct vigil_stats), and swapping the rule set
 * between two packets. Knows nothing about where packets come from or
 * about clocks: the caller passes packet times and says when time moves.
 */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/capture/capture.h"
#include "flow/flow.h"
#include "detect/ruleset.h"
#include "stats.h"
#include "store.h"

struct pipeline_config {
	struct flow_config flow;
	const char *eve_path;     /* NULL: no EVE output; "-" stdout */
	int eve_append;           /* append to the file instead of truncating */
	const char *db_path;      /* NULL: no database */
	int db_batch;             /* rows per transaction (0: the store's default) */
	const struct evidence_config *evidence; /* NULL: no packet evidence */
	unsigned db_recur;        /* statuses that recur (store_set_recur; 0: none) */
	int workers;              /* flow tables, nDPI and rule state side by side
	                             (workers.h drives 2 and more; 0 = 1) */
};

struct pipeline;
struct uplink_set;
struct evidence_config;

/* Build the stages and start the writer threads. rules (may be NULL: no
 * detection) becomes the pipeline's. NULL and err filled on failure. */
struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct ruleset *rules,
			      char *err, size_t errlen);

/* One captured packet of the given DLT_* link type. Returns DECODE_OK or
 * the decode_error reason it was skipped for (counted either way). */
int pipeline_packet(struct pipeline *p, int linktype, const struct cap_packet *pkt);

/* The worker interface (workers.h runs one thread per worker; worker 0
 * is also pipeline_packet's). Packets of one flow must always go to the
 * same worker, and every worker must see every tick - a tick when packet
 * time (the largest seen) enters a new second, before that packet: the
 * ticks cut time into the epochs that keep the detectors' view the same
 * whatever the number of workers (behav_stage.h). A worker's calls come
 * from one thread at a time. */
int pipeline_workers(const struct pipeline *p);
int pipeline_worker_packet(struct pipeline *p, int worker, int linktype,
			   const struct cap_packet *pkt);
void pipeline_worker_tick(struct pipeline *p, int worker, uint64_t now_us);

/* A worker's thread holds its worker while it calls the two above (a
 * batch at a time), so other threads read its counters whole
 * (pipeline_stats); pipeline_packet's caller needs none of this. */
void pipeline_worker_hold(struct pipeline *p, int worker);
void pipeline_worker_release(struct pipeline *p, int worker);

/* The tick clock: returns the time of a tick due before a packet of
 * ts_us (0: none) and moves the clock (*max_ts_us, *tick_s: zero at the
 * start). */
uint64_t pipeline_clock(uint64_t *max_ts_us, uint64_t *tick_s, uint64_t ts_us);

/* Let time move to now_us without a packet: flows idle since then end. */
void pipeline_expire(struct pipeline *p, uint64_t now_us);

/* Ask both writers to commit / flush what they have (about once a second);
 * the evidence writer also rotates its directory when due. */
void pipeline_flush_sinks(struct pipeline *p);

/* Put rules in force from the next packet on; the previous set is freed.
 * Flows in the table keep their state; detectors start afresh. */
void pipeline_set_rules(struct pipeline *p, struct ruleset *rules);

/* The run's counters as of now (flows, classify and detect included;
 * files and kernel_drops are the caller's to fill). */
void pipeline_stats(struct pipeline *p, struct vigil_stats *st);

/* The writers' part of them (records lost, failing database writes), and
 * the database writer's health when h is not NULL. The packet thread's,
 * like pipeline_stats. */
void pipeline_output_stats(struct pipeline *p, struct vigil_stats *st, struct store_health *h);

/* Queue an EVE stats event behind the records queued so far (written by
 * the EVE writer thread, which then flushes). No-op without EVE. */
void pipeline_stats_event(struct pipeline *p, const struct vigil_stats *st, uint64_t ts_us);

/* End every flow (reason "shutdown"), then drain and stop the writers.
 * Returns how often the packet thread waited for a writer. */
uint64_t pipeline_drain(struct pipeline *p);

/* After pipeline_drain: write the final stats event, record the run
 * (sources, home_net) in the database and close both sinks. Returns 0, or
 * 1 if any sink write failed during the run or now. */
int pipeline_close_sinks(struct pipeline *p, const struct vigil_stats *st,
			 const char *sources, const char *home_net);

/* Another SQLite connection (retention) wants to write: the database
 * writer commits its open batch and pauses, so the other connection does
 * not race the next batch for the write lock. Returns 0 once the writer is
 * paused (call pipeline_db_resume soon: records queue up meanwhile), -1
 * if it did not pause within timeout_ms (it only looks between records
 * and at the once-a-second flush) or there is no database. Any thread. */
int pipeline_db_pause(struct pipeline *p, int timeout_ms);
void pipeline_db_resume(struct pipeline *p);

/* Hand alerts and flow records to u as well (uplink.h; the caller owns it
 * and starts it after pipeline_new, so the store creates the database).
 * Before the first packet. */
void pipeline_set_uplink(struct pipeline *p, struct uplink_set *u);

/* 1 once a sink write failed (logged once per sink). */
int pipeline_sink_failed(const struct pipeline *p);

void pipeline_free(struct pipeline *p);

#endif
