/*
 * uplink.h - the sink that reports to the CERT's centre: alerts, interval
 * summaries and (optionally) flows, store-and-forward over TLS.
 *
 * Owns: the writer thread that turns alerts and flow records into EVE
 * events with an event_id and the sensor's name and id and commits them
 * to the outbox (output/outbox.h); one sender thread per configured uplink
 * (relp+tls or syslog+tls) that delivers the outbox in order, backs off
 * exponentially with jitter when the centre is away, and keeps the state
 * the System page shows. The packet thread only copies records into a ring
 * (sink_queue.h): a slow or dead centre never reaches it.
 *
 * Delivery: RELP - a row leaves the outbox on the peer's "rsp 200" for it.
 * syslog+tls (no acknowledgement in the protocol) - a row leaves once the
 * peer's TCP has acknowledged every byte written and the connection then
 * stayed open and quiet for syslog_grace; rows written to a connection that
 * breaks before that are sent again (same event_id). See vigil.conf(5).
 */
#ifndef VIGIL_UPLINK_H
#define VIGIL_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/homenet.h"
#include "core/json.h"
#include "detect/alert.h"
#include "flow/flow_record.h"
#include "stats.h"
#include "uplink_conf.h"

struct uplink_set;

/* Start the writer and the senders. The outbox is the SQLite file
 * outbox_path (see outbox.h for why it is not the flow database). home (for
 * the summaries' home/external) must outlive the set. NULL and err filled
 * on failure (an outbox that cannot be opened, a CA that does not load). */
struct uplink_set *uplink_start(const struct uplinks_conf *c, const char *outbox_path,
				const struct homenet *home, char *err, size_t errlen);

/* Packet thread: hand over an alert or a flow record (copied). */
void uplink_alert(struct uplink_set *u, const struct alert *a);
void uplink_flow(struct uplink_set *u, const struct flow_record *rec);

/* Packet thread, about once a second: time is now_us (packet time), st
 * the run's counters (NULL if not known). Commits what is queued and ends
 * a summary interval that is over. */
void uplink_tick(struct uplink_set *u, uint64_t now_us, const struct vigil_stats *st);

/* Wait until the writer has committed everything handed over so far. */
void uplink_drain(struct uplink_set *u);

/* The end of the input (replay, shutdown): the last, partial summary
 * interval up to now_us is written and committed. */
void uplink_final_summary(struct uplink_set *u, uint64_t now_us, const struct vigil_stats *st);

/* Wait until every uplink's outbox is empty or timeout_s passed. Returns 0
 * when all was delivered; else -1 with why ("12 events undelivered to
 * main: server certificate not trusted ..."). */
int uplink_wait_delivered(struct uplink_set *u, int timeout_s, char *why, size_t whylen);

/* The rule-set version the summaries' health part names from now on
 * (any thread; u NULL: nothing). */
void uplink_set_rules_version(struct uplink_set *u, const char *version);

/* The "uplinks" array of GET /api/system (any thread). */
void uplink_status_json(struct uplink_set *u, struct json *j);

/* Stop the threads (what is queued stays in the outbox), free. */
void uplink_stop(struct uplink_set *u);

#endif
