/*
 * workers.h - the pipeline's workers on their own threads.
 *
 * Owns: one thread per pipeline worker and the bounded ring that feeds
 * it; the dispatch of each packet, on the reader's thread, to the worker
 * of its symmetric IP-pair hash (decode/pkt_hash.h: both directions,
 * fragments and tunnels stay on one worker), and the ticks every worker
 * must see (pipeline.h). A full ring makes the reader wait (counted):
 * nothing is dropped. The sinks stay the pipeline's single writers.
 */
#ifndef VIGIL_WORKERS_H
#define VIGIL_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/capture/capture.h"
#include "pipeline.h"

struct workers;

/* A thread for each of pipeline_workers(p) workers. NULL and err filled
 * on failure. */
struct workers *workers_start(struct pipeline *p, char *err, size_t errlen);

/* The reader's thread: hand over one packet (copied). */
void workers_packet(struct workers *ws, int linktype, const struct cap_packet *pkt);

/* The reader's thread: let time move to now_us without a packet (a live
 * link's idle clock): every worker ends its epoch and expires flows. */
void workers_expire(struct workers *ws, uint64_t now_us);

/* Wait until every packet handed over is processed, stop the threads
 * and free ws. Returns how often the reader waited for a full ring. */
uint64_t workers_stop(struct workers *ws);

#endif
