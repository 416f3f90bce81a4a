/*
 * behav_stage.h - the one behavioural stage all workers feed.
 *
 * Owns: the order in which flow records reach the detectors that count
 * across flows (scans, sweeps, beacons, exfiltration, brute force), so
 * they raise the same alerts whatever the number of workers. Time is cut
 * into epochs by the dispatcher's ticks (a new second of packet time, the
 * same ticks for every worker); each worker hands the records of an epoch
 * as a batch, and once every worker has handed epoch k its records are
 * judged in one canonical order (end time, start time, flow id, interim
 * before final) - not in the order the workers happened to emit them.
 * Records are copied with their strings (the flow may be gone by then).
 * Memory: the records of one epoch of every worker (a final flush is one
 * epoch: at most the flow tables' limit).
 */
#ifndef VIGIL_BEHAV_STAGE_H
#define VIGIL_BEHAV_STAGE_H

#include <stdint.h>

#include "flow/flow_record.h"

struct behav_stage;

/* Called for each record, in canonical order, from the thread that
 * completed the epoch, with the stage's lock held (one call at a time).
 * The record's strings live until it returns; tag is behav_stage_add's. */
typedef void (*behav_judge_fn)(void *ctx, struct flow_record *rec, void *tag);

struct behav_stage *behav_stage_new(int workers, behav_judge_fn judge, void *ctx);
void behav_stage_free(struct behav_stage *b);

/* Worker w: keep rec (and the caller's tag) for the end of its current
 * epoch. When it cannot be copied (out of memory) it is judged at once,
 * out of order (counted). */
void behav_stage_add(struct behav_stage *b, int w, const struct flow_record *rec, void *tag);

/* Worker w's current epoch ends; judges every epoch all workers ended. */
void behav_stage_end_epoch(struct behav_stage *b, int w);

/* Records judged out of order for want of memory. */
uint64_t behav_stage_unordered(struct behav_stage *b);

#endif
