/*
 * workers.c - a thread per worker behind a ring of packets (see
 * workers.h).
 *
 * Each ring is a single-producer single-consumer byte ring: entries (a
 * header and the packet's bytes, 8-byte aligned) are written by the
 * reader and published by moving tail; the worker consumes them and
 * moves head. Both offsets only grow; their difference is what is in
 * use. Sleeping sides are woken with hysteresis (the worker once a batch
 * waits, the reader once half the ring is free) so a busy run costs no
 * system call per packet.
 */
#include "workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/pkt_hash.h"

#define RING_BYTES (4u << 20)
#define PKT_MAX (1u << 20)          /* longer packets are cut (never seen) */
#define WAKE_BYTES (64u << 10)      /* a sleeping worker wakes at this much */
#define WAKE_TICKS 64               /* ... or at this many ticks (seconds of
                                       packet time: how long the detectors
                                       may wait for a quiet worker) */
#define PUBLISH_EVERY 32            /* entries between head updates */

enum { E_PKT, E_TICK, E_WRAP };

struct ent {
	uint8_t kind;
	uint8_t pad[3];
	int32_t linktype;
	uint32_t caplen, wirelen;
	uint64_t ts_us;
};

struct ring {
	struct workers *ws;
	int id;
	pthread_t thread;
	uint8_t *buf;
	_Atomic uint64_t head, tail;
	_Atomic int consumer_sleeps, producer_sleeps, stop;
	pthread_mutex_t lock;
	pthread_cond_t cv;          /* both sides sleep on it */
	uint64_t ptail;             /* the reader's copy of tail */
	uint64_t unpublished;       /* bytes written since the last wake check */
	unsigned ticks;             /* ticks written since then */
	int started;
};

struct workers {
	struct pipeline *pl;
	int n;
	struct ring *r;
	uint64_t max_ts_us, tick_s; /* the tick clock (pipeline_clock) */
	uint64_t waits;
};

static uint32_t ent_size(uint32_t caplen)
{
	return (uint32_t)((sizeof(struct ent) + caplen + 7) & ~(size_t)7);
}

static void wake(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->lock);
}

static void *worker_main(void *arg)
{
	struct ring *r = arg;
	struct pipeline *pl = r->ws->pl;
	uint64_t head = atomic_load(&r->head);

	for (;;) {
		uint64_t tail = atomic_load(&r->tail);
		int n = 0;

		if (head == tail) {
			pthread_mutex_lock(&r->lock);
			atomic_store(&r->consumer_sleeps, 1);
			while (head == atomic_load(&r->tail) && !atomic_load(&r->stop))
				pthread_cond_wait(&r->cv, &r->lock);
			atomic_store(&r->consumer_sleeps, 0);
			pthread_mutex_unlock(&r->lock);
			if (head == atomic_load(&r->tail))
				break;  /* stopped, and everything consumed */
			continue;
		}
		pipeline_worker_hold(pl, r->id);
		while (head != tail) {
			uint32_t pos = (uint32_t)(head % RING_BYTES);
			struct ent *e = (struct ent *)(void *)(r->buf + pos);

			if (RING_BYTES - pos < sizeof *e || e->kind == E_WRAP) {
				head += RING_BYTES - pos;
				continue;
			}
			if (e->kind == E_TICK) {
				pipeline_worker_tick(pl, r->id, e->ts_us);
			} else {
				struct cap_packet pkt = {
					.data = (const uint8_t *)(e + 1), .caplen = e->caplen,
					.wirelen = e->wirelen, .ts_us = e->ts_us,
				};
				pipeline_worker_packet(pl, r->id, e->linktype, &pkt);
			}
			head += ent_size(e->kind == E_PKT ? e->caplen : 0);
			if (++n % PUBLISH_EVERY == 0) {
				/* a reader of the counters gets its turn */
				pipeline_worker_release(pl, r->id);
				pipeline_worker_hold(pl, r->id);
				atomic_store(&r->head, head);
				if (atomic_load(&r->producer_sleeps) &&
				    atomic_load(&r->tail) - head <= RING_BYTES / 2)
					wake(r);
			}
		}
		pipeline_worker_release(pl, r->id);
		atomic_store(&r->head, head);
		if (atomic_load(&r->producer_sleeps))
			wake(r);
	}
	return NULL;
}

/* The reader: room for need contiguous bytes at the tail, waiting while
 * the ring is too full (until half of it is free). Returns the entry. */
static struct ent *claim(struct workers *ws, struct ring *r, uint32_t need)
{
	uint32_t pos = (uint32_t)(r->ptail % RING_BYTES);
	uint32_t skip = RING_BYTES - pos < need ? RING_BYTES - pos : 0;

	if (r->ptail + skip + need - atomic_load(&r->head) > RING_BYTES) {
		ws->waits++;
		/* publish what is written, so the worker can empty the ring */
		atomic_store(&r->tail, r->ptail);
		pthread_mutex_lock(&r->lock);
		atomic_store(&r->producer_sleeps, 1);
		if (atomic_load(&r->consumer_sleeps))
			pthread_cond_broadcast(&r->cv);
		while (r->ptail + skip + need - atomic_load(&r->head) > RING_BYTES / 2 &&
		       r->ptail != atomic_load(&r->head))
			pthread_cond_wait(&r->cv, &r->lock);
		atomic_store(&r->producer_sleeps, 0);
		pthread_mutex_unlock(&r->lock);
	}
	if (skip) {
		if (skip >= sizeof(struct ent))
			((struct ent *)(void *)(r->buf + pos))->kind = E_WRAP;
		r->ptail += skip;
		pos = 0;
	}
	return (struct ent *)(void *)(r->buf + pos);
}

/* The reader: make the entry of size bytes visible; wake a sleeping
 * worker once a batch waits. */
static void publish(struct ring *r, uint32_t size, unsigned ticks)
{
	r->ptail += size;
	r->unpublished += size;
	r->ticks += ticks;
	atomic_store(&r->tail, r->ptail);
	if (!atomic_load(&r->consumer_sleeps)) {
		r->unpublished = 0;
		r->ticks = 0;
	} else if (r->unpublished >= WAKE_BYTES || r->ticks >= WAKE_TICKS) {
		r->unpublished = 0;
		r->ticks = 0;
		wake(r);
	}
}

/* A tick to every worker; wake: at once, not once 64 of them wait. */
static void send_tick(struct workers *ws, uint64_t now_us, int wake_now)
{
	for (int i = 0; i < ws->n; i++) {
		struct ring *r = &ws->r[i];
		struct ent *e = claim(ws, r, ent_size(0));
		memset(e, 0, sizeof *e);
		e->kind = E_TICK;
		e->ts_us = now_us;
		publish(r, ent_size(0), wake_now ? WAKE_TICKS : 1);
	}
}

void workers_expire(struct workers *ws, uint64_t now_us)
{
	if (now_us > ws->max_ts_us)
		ws->max_ts_us = now_us;
	ws->tick_s = ws->max_ts_us / 1000000;
	send_tick(ws, ws->max_ts_us, 1);
}

void workers_packet(struct workers *ws, int linktype, const struct cap_packet *pkt)
{
	uint64_t now = pipeline_clock(&ws->max_ts_us, &ws->tick_s, pkt->ts_us);
	uint32_t caplen = pkt->caplen > PKT_MAX ? PKT_MAX : pkt->caplen;
	struct ring *r;
	struct ent *e;

	if (now)
		send_tick(ws, now, 0);
	r = &ws->r[pkt_hash_pair(linktype, pkt->data, caplen) % (uint32_t)ws->n];
	e = claim(ws, r, ent_size(caplen));
	e->kind = E_PKT;
	e->linktype = linktype;
	e->caplen = caplen;
	e->wirelen = pkt->wirelen;
	e->ts_us = pkt->ts_us;
	memcpy(e + 1, pkt->data, caplen);
	publish(r, ent_size(caplen), 0);
}

static void ring_stop(struct ring *r)
{
	if (!r->started)
		return;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->stop, 1);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->started = 0;
}

uint64_t workers_stop(struct workers *ws)
{
	uint64_t waits;

	if (!ws)
		return 0;
	for (int i = 0; i < ws->n; i++)
		ring_stop(&ws->r[i]);
	for (int i = 0; i < ws->n; i++) {
		pthread_mutex_destroy(&ws->r[i].lock);
		pthread_cond_destroy(&ws->r[i].cv);
		free(ws->r[i].buf);
	}
	waits = ws->waits;
	free(ws->r);
	free(ws);
	return waits;
}

struct workers *workers_start(struct pipeline *p, char *err, size_t errlen)
{
	struct workers *ws = calloc(1, sizeof *ws);
	int n = pipeline_workers(p);

	if (!ws || !(ws->r = calloc((size_t)n, sizeof *ws->r))) {
		free(ws);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ws->pl = p;
	ws->n = n;
	for (int i = 0; i < n; i++) {
		struct ring *r = &ws->r[i];
		r->ws = ws;
		r->id = i;
		pthread_mutex_init(&r->lock, NULL);
		pthread_cond_init(&r->cv, NULL);
	}
	for (int i = 0; i < n; i++) {
		struct ring *r = &ws->r[i];
		if (!(r->buf = malloc(RING_BYTES))) {
			snprintf(err, errlen, "out of memory");
			workers_stop(ws);
			return NULL;
		}
		if (pthread_create(&r->thread, NULL, worker_main, r) != 0) {
			snprintf(err, errlen, "cannot start worker thread %d", i);
			workers_stop(ws);
			return NULL;
		}
		r->started = 1;
	}
	return ws;
}
