/*
 * sink_queue.c - the packet thread / writer thread hand-off (see
 * sink_queue.h). One producer, one consumer, a mutex and two condition
 * variables: records are a few hundred per second on a busy link, so
 * nothing cleverer is needed.
 */
#include "sink_queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WAKE_BATCH 64

struct slot {
	struct alert *alert;     /* an alert slot when set (owned), else rec */
	int flush;               /* a flush request, neither rec nor alert */
	struct flow_record rec;
	char *strings;           /* the record's strings (q->strings bytes) */
};

struct sink_queue {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full, idle;
	struct slot *ring;
	char *strings;     /* slot i's strings at i * str_cap */
	size_t str_cap;
	unsigned size, head, count;
	int busy;          /* the writer is consuming a record */
	int writer_waiting, producer_waiting, drainer_waiting;
	int stop;
	uint64_t waits;
	uint64_t alerts_lost;
	sink_consume_fn consume;
	void *ctx;
};

/* Writer thread: take the oldest record, consume it outside the lock. */
static void *writer_main(void *arg)
{
	struct sink_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->count == 0 && !q->stop) {
			q->writer_waiting = 1;
			pthread_cond_wait(&q->not_empty, &q->lock);
			q->writer_waiting = 0;
		}
		if (q->count == 0 && q->stop)
			break;
		struct slot *s = &q->ring[q->head];
		q->busy = 1;
		pthread_mutex_unlock(&q->lock);
		if (s->flush) {
			q->consume(q->ctx, NULL, NULL);
			s->flush = 0;
		} else if (s->alert) {
			q->consume(q->ctx, NULL, s->alert);
			free(s->alert);
			s->alert = NULL;
		} else {
			q->consume(q->ctx, &s->rec, NULL);
		}
		pthread_mutex_lock(&q->lock);
		q->busy = 0;
		q->head = (q->head + 1) % q->size;
		q->count--;
		/* wake the others only when they sleep, and a waiting producer
		 * only at the low-water mark (half the ring free): it then fills
		 * half a ring before it waits again, instead of waking for every
		 * record (issue 13: 27,000-44,000 waits per bench run, 41 so) */
		if (q->producer_waiting && q->count <= q->size / 2)
			pthread_cond_signal(&q->not_full);
		if (q->count == 0 && q->drainer_waiting)
			pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct sink_queue *sinkq_new(unsigned slots, sink_consume_fn consume, void *ctx)
{
	return sinkq_new_strings(slots, FLOW_RECORD_STRINGS_MAX, consume, ctx);
}

struct sink_queue *sinkq_new_strings(unsigned slots, size_t strings,
				     sink_consume_fn consume, void *ctx)
{
	struct sink_queue *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	slots = slots ? slots : 1;
	q->ring = calloc(slots, sizeof *q->ring);
	q->strings = malloc((size_t)slots * strings);
	if (!q->ring || !q->strings) {
		free(q->ring);
		free(q->strings);
		free(q);
		return NULL;
	}
	q->str_cap = strings;
	for (unsigned i = 0; i < slots; i++)
		q->ring[i].strings = q->strings + (size_t)i * strings;
	q->size = slots;
	q->consume = consume;
	q->ctx = ctx;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->idle, NULL);
	if (pthread_create(&q->thread, NULL, writer_main, q) != 0) {
		free(q->ring);
		free(q->strings);
		free(q);
		return NULL;
	}
	return q;
}

/* The next free slot, waiting while the ring is full. The slot is ours
 * until commit_slot: the writer never reads beyond head + count. */
static struct slot *claim_slot(struct sink_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->count == q->size) {
		q->waits++;
		while (q->count == q->size) {
			q->producer_waiting = 1;
			pthread_cond_wait(&q->not_full, &q->lock);
			q->producer_waiting = 0;
		}
	}
	struct slot *s = &q->ring[(q->head + q->count) % q->size];
	pthread_mutex_unlock(&q->lock);
	return s;
}

/* Hand the claimed slot to the writer. */
static void commit_slot(struct sink_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->count++;
	/* Wake a sleeping writer only once a few records wait (or the ring
	 * fills): one wake-up per record costs more than writing it. The
	 * owner calls sinkq_kick() on a timer so a quiet link still writes. */
	if (q->writer_waiting && (q->count >= WAKE_BATCH || q->count * 2 >= q->size))
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

int sinkq_push_alert(struct sink_queue *q, const struct alert *a)
{
	struct alert *copy = alert_dup(a);
	if (!copy) {
		q->alerts_lost++;
		return -1;
	}
	struct slot *s = claim_slot(q);
	s->alert = copy;
	commit_slot(q);
	return 0;
}

void sinkq_push_flush(struct sink_queue *q)
{
	struct slot *s = claim_slot(q);
	s->alert = NULL;
	s->flush = 1;
	commit_slot(q);
	sinkq_kick(q);
}

uint64_t sinkq_alerts_lost(const struct sink_queue *q)
{
	return q->alerts_lost;
}

void sinkq_push(struct sink_queue *q, const struct flow_record *rec)
{
	struct slot *s = claim_slot(q);

	/* The slot is ours until count covers it: the writer never reads
	 * beyond head + count. Strings that belong to the classifier's
	 * per-flow memory (freed when the flow ends) are copied; names owned
	 * by nDPI or the classifier live until shutdown. */
	flow_record_copy(&s->rec, rec, s->strings, q->str_cap);
	s->alert = NULL;
	commit_slot(q);
}

void sinkq_kick(struct sink_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->count && q->writer_waiting)
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

void sinkq_drain(struct sink_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->count && q->writer_waiting)
		pthread_cond_signal(&q->not_empty);
	while (q->count > 0) {
		q->drainer_waiting = 1;
		pthread_cond_wait(&q->idle, &q->lock);
		q->drainer_waiting = 0;
	}
	pthread_mutex_unlock(&q->lock);
}

uint64_t sinkq_close(struct sink_queue *q)
{
	uint64_t waits;
	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	waits = q->waits;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->idle);
	free(q->ring);
	free(q->strings);
	free(q);
	return waits;
}
