/*
 * flow_payload.c - the payload inspection window of a flow (see
 * flow_payload.h).
 */
#include "flow_payload.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct fp_dir {
	uint8_t *buf;
	uint32_t len, alloc;
	uint32_t next_seq;       /* TCP: the next byte expected */
	uint8_t have_seq;
	uint8_t state;           /* FPW_* */
};

struct flow_payload {
	struct fp_dir d[2];      /* [0] to server, [1] to client */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

static void pool_take(struct flow_payload_pool *pool, uint64_t n)
{
	pool->used += n;
	if (pool->used > pool->peak)
		pool->peak = pool->used;
}

static uint64_t pool_limit(const struct flow_payload_pool *pool)
{
	return pool->limit ? pool->limit : FLOW_PAYLOAD_POOL_DEFAULT;
}

/* Append n bytes to direction x, growing its buffer up to cap (doubling,
 * from 256 bytes). Bytes that do not fit in cap mark it full; bytes the
 * pool cannot take cut the direction. */
static void dir_append(struct flow_payload_pool *pool, struct fp_dir *x, uint32_t cap,
		       const uint8_t *p, uint32_t n)
{
	uint32_t room = cap - x->len;

	if (n > room) {
		n = room;
		x->state |= FPW_FULL;
	}
	if (n == 0)
		return;
	if (x->len + n > x->alloc) {
		uint32_t want = x->alloc ? x->alloc : 256;
		uint8_t *nb;
		while (want < x->len + n)
			want *= 2;
		if (want > cap)
			want = cap;
		if (pool->used + (want - x->alloc) > pool_limit(pool) ||
		    !(nb = realloc(x->buf, want))) {
			pool->dropped_bytes += n;
			x->state |= FPW_CUT;
			return;
		}
		pool_take(pool, want - x->alloc);
		/* the slack is zeroed: PCRE2's JIT may look past a subject's end */
		memset(nb + x->alloc, 0, want - x->alloc);
		x->buf = nb;
		x->alloc = want;
	}
	memcpy(x->buf + x->len, p, n);
	x->len += n;
	if (x->len == cap)
		x->state |= FPW_FULL;
}

void flow_payload_add(struct flow_payload_pool *pool, struct flow_payload **fp, uint32_t cap,
		      const struct decoded *d, int to_server)
{
	struct flow_payload *w = *fp;
	int k = to_server ? 0 : 1;
	struct fp_dir *x;
	const uint8_t *p = d->payload;
	uint32_t n = d->payload_len, wire = n;

	if (cap == 0)
		return;
	if (cap > FLOW_PAYLOAD_MAX)
		cap = FLOW_PAYLOAD_MAX;
	if (!w) {
		if (n == 0 && !(d->proto == IPPROTO_TCP && (d->tcp_flags & TCP_SYN)))
			return;
		if (pool->used + sizeof *w > pool_limit(pool) || !(w = calloc(1, sizeof *w))) {
			pool->dropped_bytes += n;
			return;
		}
		pool_take(pool, sizeof *w);
		pool->windows++;
		*fp = w;
	}
	x = &w->d[k];
	if (d->proto == IPPROTO_TCP) {
		if ((d->tcp_flags & TCP_SYN) && !x->have_seq) {
			x->next_seq = d->tcp_seq + 1;
			x->have_seq = 1;
		}
		if (d->tcp_flags & TCP_RST) {
			w->d[0].state |= FPW_FIN;
			w->d[1].state |= FPW_FIN;
		}
	}
	if (n && d->l3 && d->payload > d->l3 && d->ip_len > (uint32_t)(d->payload - d->l3))
		wire = d->ip_len - (uint32_t)(d->payload - d->l3);
	if (n && !(x->state & (FPW_FULL | FPW_CUT))) {
		if (d->proto == IPPROTO_TCP) {
			int32_t diff;
			if (!x->have_seq) {
				x->next_seq = d->tcp_seq;
				x->have_seq = 1;
			}
			diff = (int32_t)(d->tcp_seq - x->next_seq);
			if (diff > 0) {
				x->state |= FPW_CUT;            /* a hole */
			} else if ((uint32_t)-diff < n) {
				uint32_t skip = (uint32_t)-diff;   /* overlap: new bytes only */
				dir_append(pool, x, cap, p + skip, n - skip);
				x->next_seq += n - skip;
				if (n < wire)
					x->state |= FPW_CUT;    /* snapped */
			}
		} else {
			dir_append(pool, x, cap, p, n);
			if (n < wire || d->fragment)
				x->state |= FPW_CUT;
		}
	}
	if (n) {
		x->state |= FPW_SEEN;
		if (w->d[!k].state & FPW_SEEN)
			w->d[!k].state |= FPW_ANSWERED;
	}
	if (d->proto == IPPROTO_TCP && (d->tcp_flags & TCP_FIN))
		x->state |= FPW_FIN;
}

void flow_payload_view(const struct flow_payload *fp, uint32_t cap, struct flow_window *w)
{
	memset(w, 0, sizeof *w);
	w->cap = cap;
	if (!fp)
		return;
	for (int k = 0; k < 2; k++) {
		w->data[k] = fp->d[k].buf;
		w->len[k] = fp->d[k].len;
		w->state[k] = fp->d[k].state;
	}
}

void flow_payload_free(struct flow_payload_pool *pool, struct flow_payload **fp)
{
	struct flow_payload *w = *fp;

	if (!w)
		return;
	for (int k = 0; k < 2; k++) {
		pool->used -= w->d[k].alloc;
		free(w->d[k].buf);
	}
	pool->used -= sizeof *w;
	pool->windows--;
	free(w);
	*fp = NULL;
}
