/*
 * flow_evidence.c - the pool of held packets (see flow_evidence.h).
 *
 * Each flow that has packets in the pool has a hold: its packets in
 * arrival order, on a list of undecided holds by age (oldest first, the
 * first to go under pressure) and in a hash by flow id (a detector's alert
 * names flows by id). Every byte the pool takes - packets and holds - is
 * counted against pool_bytes.
 */
#include "flow_evidence.h"

#include <stdlib.h>
#include <string.h>

enum hold_state {
	H_HOLDING = 0,   /* undecided, taking packets */
	H_FULL,          /* undecided, hold cap reached: keeps what it has */
	H_NONE,          /* no evidence: dropped under pressure, or no room */
	H_RECORDING,     /* alerted: packets go to the writer */
	H_CAPPED,        /* alerted, per_flow_cap reached */
};

struct evid_hold {
	struct evid_hold *prev, *next;   /* undecided list, oldest first */
	struct evid_hold *hnext, **hpprev;
	void **slot;                     /* the flow's evidence pointer */
	uint64_t flow_id;
	struct evid_pkt *head, *tail;
	uint32_t npkts, nbytes;          /* held (caplen bytes) */
	uint64_t recorded;               /* caplen bytes handed to the writer */
	uint8_t state;
	uint8_t listed;
};

#define HASH_BUCKETS (1u << 14)

struct evid_pool {
	struct evid_config cfg;
	evid_out_fn out;
	void *ctx;
	struct evid_hold *head, *tail;   /* undecided holds, oldest first */
	struct evid_hold **buckets;
	struct evid_counters c;
};

/* What a flow points to when it has no evidence: its held packets were
 * dropped under pressure, or the pool had no room for its hold. */
static struct evid_hold no_hold = { .state = H_NONE };

void evid_config_defaults(struct evid_config *c)
{
	c->hold_pkts = 16;
	c->hold_bytes = 32 * 1024;
	c->pool_bytes = 16ULL * 1024 * 1024;
	c->per_flow_cap = 1024 * 1024;
}

struct evid_pool *evid_pool_new(const struct evid_config *cfg, evid_out_fn out, void *ctx)
{
	struct evid_pool *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->buckets = calloc(HASH_BUCKETS, sizeof *p->buckets);
	if (!p->buckets) {
		free(p);
		return NULL;
	}
	p->cfg = *cfg;
	p->out = out;
	p->ctx = ctx;
	return p;
}

static size_t pkt_cost(uint32_t caplen)
{
	return sizeof(struct evid_pkt) + caplen;
}

static void used_add(struct evid_pool *p, size_t n)
{
	p->c.pool_used += n;
	if (p->c.pool_used > p->c.pool_peak)
		p->c.pool_peak = p->c.pool_used;
}

static void unlist(struct evid_pool *p, struct evid_hold *h)
{
	if (!h->listed)
		return;
	if (h->prev) h->prev->next = h->next; else p->head = h->next;
	if (h->next) h->next->prev = h->prev; else p->tail = h->prev;
	h->prev = h->next = NULL;
	h->listed = 0;
}

/* Free the held packets (not handed out). */
static void free_held(struct evid_pool *p, struct evid_hold *h)
{
	struct evid_pkt *k = h->head, *n;

	for (; k; k = n) {
		n = k->next;
		p->c.pool_used -= pkt_cost(k->caplen);
		free(k);
	}
	h->head = h->tail = NULL;
	h->npkts = h->nbytes = 0;
}

/* Free a hold and everything it holds; its flow points to no_hold. */
static void hold_free(struct evid_pool *p, struct evid_hold *h)
{
	free_held(p, h);
	unlist(p, h);
	*h->hpprev = h->hnext;
	if (h->hnext)
		h->hnext->hpprev = h->hpprev;
	*h->slot = &no_hold;
	p->c.pool_used -= sizeof *h;
	free(h);
}

/* Pressure: the oldest undecided flow loses its held packets. */
static void drop_oldest(struct evid_pool *p)
{
	struct evid_hold *h = p->head;

	p->c.pressure_pkts += h->npkts;
	p->c.pressure_flows++;
	hold_free(p, h);
}

/* Make room for n more bytes; 0 if they fit now. */
static int make_room(struct evid_pool *p, size_t n)
{
	if (n > p->cfg.pool_bytes)
		return -1;
	while (p->c.pool_used + n > p->cfg.pool_bytes && p->head)
		drop_oldest(p);
	return p->c.pool_used + n <= p->cfg.pool_bytes ? 0 : -1;
}

static struct evid_pkt *pkt_new(uint64_t flow_id, int linktype, const uint8_t *data,
				uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	struct evid_pkt *k = malloc(pkt_cost(caplen));

	if (!k)
		return NULL;
	k->next = NULL;
	k->flow_id = flow_id;
	k->ts_us = ts_us;
	k->caplen = caplen;
	k->wirelen = wirelen;
	k->linktype = linktype;
	k->kind = EVID_PACKET;
	memcpy(k->data, data, caplen);
	return k;
}

static struct evid_hold *hold_new(struct evid_pool *p, void **slot, uint64_t flow_id)
{
	struct evid_hold *h;
	struct evid_hold **b;

	if (make_room(p, sizeof *h) < 0 || !(h = calloc(1, sizeof *h))) {
		p->c.alloc_failed++;
		return &no_hold;
	}
	used_add(p, sizeof *h);
	h->slot = slot;
	h->flow_id = flow_id;
	b = &p->buckets[(flow_id ^ (flow_id >> 17)) & (HASH_BUCKETS - 1)];
	h->hnext = *b;
	if (*b)
		(*b)->hpprev = &h->hnext;
	h->hpprev = b;
	*b = h;
	h->prev = p->tail;
	if (p->tail) p->tail->next = h; else p->head = h;
	p->tail = h;
	h->listed = 1;
	return h;
}

static void record(struct evid_pool *p, struct evid_hold *h, struct evid_pkt *k)
{
	if (h->recorded + k->caplen > p->cfg.per_flow_cap) {
		free(k);
		if (h->state != H_CAPPED)
			p->c.cap_reached++;
		h->state = H_CAPPED;
		return;
	}
	h->recorded += k->caplen;
	p->c.pkts_recorded++;
	p->out(p->ctx, k);
}

void evid_packet(struct evid_pool *p, void **slot, uint64_t flow_id, int linktype,
		 const uint8_t *data, uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	struct evid_hold *h = *slot;
	struct evid_pkt *k;

	if (!h)
		*slot = h = hold_new(p, slot, flow_id);
	switch (h->state) {
	case H_HOLDING:
		if (h->npkts >= p->cfg.hold_pkts || h->nbytes + caplen > p->cfg.hold_bytes) {
			h->state = H_FULL;
			return;
		}
		if (make_room(p, pkt_cost(caplen)) < 0 || *slot != h)
			return; /* the flow itself was the oldest (counted) */
		if (!(k = pkt_new(flow_id, linktype, data, caplen, wirelen, ts_us))) {
			p->c.alloc_failed++;
			return;
		}
		used_add(p, pkt_cost(caplen));
		if (h->tail) h->tail->next = k; else h->head = k;
		h->tail = k;
		h->npkts++;
		h->nbytes += caplen;
		p->c.held++;
		return;
	case H_RECORDING:
		if ((k = pkt_new(flow_id, linktype, data, caplen, wirelen, ts_us)))
			record(p, h, k);
		return;
	default:
		return;
	}
}

static struct evid_hold *find(struct evid_pool *p, uint64_t flow_id)
{
	struct evid_hold *h = p->buckets[(flow_id ^ (flow_id >> 17)) & (HASH_BUCKETS - 1)];

	while (h && h->flow_id != flow_id)
		h = h->hnext;
	return h;
}

int evid_alerted(struct evid_pool *p, uint64_t flow_id)
{
	struct evid_hold *h = find(p, flow_id);
	struct evid_pkt *k, *n;

	if (!h)
		return 0;
	switch (h->state) {
	case H_HOLDING:
	case H_FULL:
		if (!h->head) {
			/* nothing held yet (an alert on the first packet cannot
			 * happen, but a hold cap of 0 can): record from here */
			unlist(p, h);
			h->state = H_RECORDING;
			p->c.flows_recorded++;
			return 1;
		}
		unlist(p, h);
		h->state = H_RECORDING;
		p->c.flows_recorded++;
		k = h->head;
		h->head = h->tail = NULL;
		h->npkts = h->nbytes = 0;
		for (; k; k = n) {
			n = k->next;
			k->next = NULL;
			p->c.pool_used -= pkt_cost(k->caplen);
			record(p, h, k);
		}
		return 1;
	case H_RECORDING:
	case H_CAPPED:
		return 1;
	default:
		return 0;
	}
}

void evid_move(void **from, void **to)
{
	struct evid_hold *h = *from;

	*to = h;
	*from = NULL;
	if (h && h != &no_hold)
		h->slot = to;
}

void evid_release(struct evid_pool *p, void **slot)
{
	struct evid_hold *h = *slot;

	if (!h || h == &no_hold) {
		*slot = NULL;
		return;
	}
	if (h->state == H_RECORDING || h->state == H_CAPPED) {
		struct evid_pkt *end = calloc(1, sizeof *end);
		if (end) {
			end->flow_id = h->flow_id;
			end->kind = EVID_END;
			p->out(p->ctx, end);
		}
	}
	hold_free(p, h);
	*slot = NULL;
}

void evid_get_counters(const struct evid_pool *p, struct evid_counters *c)
{
	*c = p->c;
}

void evid_pool_free(struct evid_pool *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < HASH_BUCKETS; i++) {
		struct evid_hold *h = p->buckets[i], *n;
		for (; h; h = n) {
			n = h->hnext;
			free_held(p, h);
			free(h);
		}
	}
	free(p->buckets);
	free(p);
}
