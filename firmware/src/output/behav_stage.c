/*
 * behav_stage.c - epochs of flow records merged in one order (see
 * behav_stage.h).
 *
 * Each worker fills an open batch (a growing array of record copies);
 * ending the epoch moves it to the worker's list of ended batches. Under
 * the stage's lock, while every worker has an ended batch, the oldest
 * batch of each is taken, all are sorted together and judged. A worker
 * that runs ahead only adds batches to its list; it never waits.
 */
#include "behav_stage.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct item {
	struct flow_record rec;
	char *strings;              /* the record's strings (malloc) */
	void *tag;
};

struct batch {
	struct item *v;
	size_t n, cap;
	uint64_t epoch;             /* the worker's epoch it holds */
	struct batch *next;         /* the worker's list of ended batches */
};

struct wstate {
	struct batch *open;         /* the epoch being filled (worker only) */
	struct batch *head, *tail;  /* ended, oldest first (under lock) */
	uint64_t ended;             /* epochs ended (under lock); empty ones
	                               leave no batch */
};

struct behav_stage {
	pthread_mutex_t lock;
	int n;
	struct wstate *w;
	behav_judge_fn judge;
	void *ctx;
	struct item *merge;         /* scratch for one epoch of all workers */
	size_t merge_cap;
	uint64_t unordered;
};

struct behav_stage *behav_stage_new(int workers, behav_judge_fn judge, void *ctx)
{
	struct behav_stage *b = calloc(1, sizeof *b);

	if (!b || !(b->w = calloc((size_t)workers, sizeof *b->w))) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	b->n = workers;
	b->judge = judge;
	b->ctx = ctx;
	return b;
}

static void batch_free(struct batch *bt)
{
	if (!bt)
		return;
	for (size_t i = 0; i < bt->n; i++)
		free(bt->v[i].strings);
	free(bt->v);
	free(bt);
}

void behav_stage_free(struct behav_stage *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n; i++) {
		batch_free(b->w[i].open);
		while (b->w[i].head) {
			struct batch *bt = b->w[i].head;
			b->w[i].head = bt->next;
			batch_free(bt);
		}
	}
	free(b->merge);
	free(b->w);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

void behav_stage_add(struct behav_stage *b, int w, const struct flow_record *rec, void *tag)
{
	struct wstate *ws = &b->w[w];
	struct batch *bt = ws->open;
	size_t len = flow_record_strings_len(rec);
	char *s;

	if (!bt && (bt = ws->open = calloc(1, sizeof *bt)) == NULL)
		goto unordered;
	if (bt->n == bt->cap) {
		size_t cap = bt->cap ? bt->cap * 2 : 64;
		struct item *v = realloc(bt->v, cap * sizeof *v);
		if (!v)
			goto unordered;
		bt->v = v;
		bt->cap = cap;
	}
	if (!(s = malloc(len ? len : 1)))
		goto unordered;
	flow_record_copy(&bt->v[bt->n].rec, rec, s, len ? len : 1);
	bt->v[bt->n].tag = tag;
	bt->v[bt->n++].strings = s;
	return;
unordered: {
	struct flow_record copy = *rec;
	pthread_mutex_lock(&b->lock);
	b->unordered++;
	b->judge(b->ctx, &copy, tag);
	pthread_mutex_unlock(&b->lock);
}
}

/* Canonical order: independent of which worker had the flow. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct flow_record *a = &((const struct item *)pa)->rec;
	const struct flow_record *c = &((const struct item *)pb)->rec;

	if (a->end_us != c->end_us)
		return a->end_us < c->end_us ? -1 : 1;
	if (a->start_us != c->start_us)
		return a->start_us < c->start_us ? -1 : 1;
	if (a->flow_id != c->flow_id)
		return a->flow_id < c->flow_id ? -1 : 1;
	if (a->interim != c->interim)
		return a->interim ? -1 : 1;
	return 0;
}

/* Under the lock: judge every epoch all workers have ended, oldest
 * first. */
static void merge_ready(struct behav_stage *b)
{
	for (;;) {
		uint64_t ready = UINT64_MAX, e = UINT64_MAX;
		size_t total = 0, k = 0;

		for (int i = 0; i < b->n; i++) {
			if (b->w[i].ended < ready)
				ready = b->w[i].ended;
			if (b->w[i].head && b->w[i].head->epoch < e)
				e = b->w[i].head->epoch;
		}
		if (e >= ready)
			return;
		for (int i = 0; i < b->n; i++)
			if (b->w[i].head && b->w[i].head->epoch == e)
				total += b->w[i].head->n;
		if (total > b->merge_cap) {
			struct item *m = realloc(b->merge, total * sizeof *m);
			if (m) {
				b->merge = m;
				b->merge_cap = total;
			}
		}
		int sorted = total <= b->merge_cap;
		for (int i = 0; i < b->n; i++) {
			struct batch *bt = b->w[i].head;
			if (!bt || bt->epoch != e)
				continue;
			if (!(b->w[i].head = bt->next))
				b->w[i].tail = NULL;
			if (sorted) {
				memcpy(b->merge + k, bt->v, bt->n * sizeof *bt->v);
				k += bt->n;
				bt->n = 0;       /* the strings moved to merge */
			} else {
				/* no memory to merge: worker by worker, counted */
				for (size_t j = 0; j < bt->n; j++)
					b->judge(b->ctx, &bt->v[j].rec, bt->v[j].tag);
				b->unordered += bt->n;
			}
			batch_free(bt);
		}
		if (!sorted)
			continue;
		qsort(b->merge, total, sizeof *b->merge, item_cmp);
		for (size_t j = 0; j < total; j++) {
			b->judge(b->ctx, &b->merge[j].rec, b->merge[j].tag);
			free(b->merge[j].strings);
		}
	}
}

void behav_stage_end_epoch(struct behav_stage *b, int w)
{
	struct wstate *ws = &b->w[w];
	struct batch *bt = ws->open;

	pthread_mutex_lock(&b->lock);
	if (bt && bt->n) {
		ws->open = NULL;
		bt->epoch = ws->ended;
		if (ws->tail)
			ws->tail->next = bt;
		else
			ws->head = bt;
		ws->tail = bt;
	}
	ws->ended++;
	merge_ready(b);
	pthread_mutex_unlock(&b->lock);
}

uint64_t behav_stage_unordered(struct behav_stage *b)
{
	uint64_t n;

	pthread_mutex_lock(&b->lock);
	n = b->unordered;
	pthread_mutex_unlock(&b->lock);
	return n;
}
