/*
 * sink_queue.h - hand-off of flow records from the packet thread to the
 * writer thread that runs the sinks (EVE, SQLite).
 *
 * Owns: a bounded ring of record copies, the writer thread, and the count
 * of times the packet thread had to wait because the ring was full. A
 * slow disk (an SD card flushing) then delays the packet thread instead of
 * losing records; the wait counter says how often that happened. A
 * producer that waits is woken once half the ring is free (not for each
 * record written), so it waits at most once per half ring pushed.
 */
#ifndef VIGIL_SINK_QUEUE_H
#define VIGIL_SINK_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "detect/alert.h"
#include "flow/flow_record.h"

struct sink_queue;

/* At most one of rec and alert is non-NULL; both NULL is a flush request
 * (sinkq_push_flush): write out what is buffered. */
typedef void (*sink_consume_fn)(void *ctx, const struct flow_record *rec,
				const struct alert *alert);

/* Start the writer thread; consume is called on it, in push order.
 * slots: ring size. NULL if the thread cannot be started. */
struct sink_queue *sinkq_new(unsigned slots, sink_consume_fn consume, void *ctx);
/* The same with room for only `strings` bytes of a record's strings per
 * slot (flow_record_copy keeps the first fields; FLOW_RECORD_STRINGS_BASIC
 * is enough for the store): a large ring for a sink that needs less. */
struct sink_queue *sinkq_new_strings(unsigned slots, size_t strings,
				     sink_consume_fn consume, void *ctx);

/* Copy rec (its strings too) into the ring; waits while the ring is full. */
void sinkq_push(struct sink_queue *q, const struct flow_record *rec);

/* Copy an alert into the ring (waits while full). Returns -1 if the copy
 * could not be allocated (the alert is then counted as lost). */
int sinkq_push_alert(struct sink_queue *q, const struct alert *a);

/* Ask the writer to flush its sink (commit, fflush) once it has written
 * everything queued before; the daemon does this every second so a quiet
 * link still reaches the disk. */
void sinkq_push_flush(struct sink_queue *q);

/* Alerts that could not be queued (out of memory). */
uint64_t sinkq_alerts_lost(const struct sink_queue *q);

/* Wake the writer for whatever is queued (records are otherwise handed
 * over in groups); call it about once a second. */
void sinkq_kick(struct sink_queue *q);

/* Wait until everything pushed so far has been consumed. */
void sinkq_drain(struct sink_queue *q);

/* Drain, stop the thread, free. Returns how often push had to wait. */
uint64_t sinkq_close(struct sink_queue *q);

#endif
