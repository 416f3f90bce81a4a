/*
 * flow.c - the flow table (see flow.h).
 *
 * Layout: a chained hash table that doubles when it holds more flows than
 * buckets (so memory follows the number of live flows, not the limit), and
 * one LRU list per timeout class. Every packet moves its flow to the tail of
 * its class list, so each list is ordered by last activity and expiry only
 * looks at list heads. A second list, ordered by the time of the flow's last
 * record, drives the active timeout.
 *
 * Eviction policy when --max-flows is reached: the least recently active
 * flow (the oldest head of all class lists) is ended early with reason
 * "evicted" and counted; the new flow is always admitted.
 *
 * Time only moves forward: the table's clock is the largest packet time
 * seen, so captures whose timestamps step back (merged files) never expire
 * flows early or late.
 *
 * The bucket hash is keyed with a random seed per table (getrandom), so
 * traffic crafted to collide cannot pile flows into one chain. Nothing the
 * table hands out depends on it: flow ids hash the key with the flow's
 * first packet time only, and records are emitted in list order (activity,
 * record time), never in bucket order, so a replay gives the same output
 * byte for byte whatever the seed.
 */
#include "flow.h"
#include "flow_payload.h"

#include "core/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

enum tclass { TC_TCP_NEW, TC_TCP_EST, TC_TCP_CLOSED, TC_UDP, TC_ICMP, TC_OTHER, TC__COUNT };

/* TCP bookkeeping bits in flow->tcp */
#define TCPF_SYN_CLI 0x01
#define TCPF_SYNACK 0x02
#define TCPF_FIN_CLI 0x04
#define TCPF_FIN_SRV 0x08
#define TCPF_RST 0x10

/* The symmetric key: the (address, port) pair that sorts first is "a". */
struct flow_key {
	uint8_t a[16], b[16];
	uint16_t port_a, port_b;
	uint16_t vlan;
	uint8_t proto;
	uint8_t pad;
};

struct flow {
	struct flow *hnext;            /* hash chain */
	struct flow *prev, *next;      /* class list (by last activity) */
	struct flow *aprev, *anext;    /* active-timeout list (by last record) */
	void *cls;                     /* classifier's slot */
	void *ev;                      /* held packets (flow_evidence.h) */
	struct flow_payload *payload;  /* payload window (flow_payload.h), the pipeline's */
	uint64_t flow_id;
	uint64_t first_us, last_us, report_us;
	uint64_t pkts[2], bytes[2];    /* [0] to server, [1] to client; since the start */
	uint64_t rep_pkts[2], rep_bytes[2]; /* the same at the last interim record */
	struct flow_key key;
	uint8_t client_is_a;
	uint8_t tcp;
	uint8_t tclass;
	uint8_t ipver;
	uint8_t tunnel;
	uint8_t seen_reply;
	uint8_t flags[2];              /* TCP flags seen, [0] to server, [1] to client */
	uint8_t user;                  /* flow_user_flags() */
	uint8_t icmp_seen;             /* 1: icmp[0..1] set, 2: icmp[2..3] set */
	uint8_t icmp[4];               /* type, code of the first packet each way */
};

struct flist {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow_config cfg;
	flow_emit_fn emit;
	void *ctx;
	struct flow **buckets;
	uint32_t nbuckets;             /* power of two */
	struct flist cls[TC__COUNT];
	struct flow *ahead, *atail;
	uint64_t now_us;               /* largest packet time seen */
	uint64_t last_expire_s;
	uint64_t timeouts_us[TC__COUNT];
	uint64_t seed;                 /* of the bucket hash */
	struct flow_counters c;
};

void flow_config_defaults(struct flow_config *cfg)
{
	cfg->max_flows = 262144;
	cfg->payload_window = FLOW_PAYLOAD_DEFAULT;
	cfg->tcp_new_timeout = 30;
	cfg->tcp_est_timeout = 600;
	cfg->tcp_closed_timeout = 10;
	cfg->udp_timeout = 120;
	cfg->icmp_timeout = 60;
	cfg->other_timeout = 120;
	cfg->active_timeout = 1800;
}

/* 64-bit mix of the key (the key is already symmetric). */
static uint64_t key_hash(const struct flow_key *k, uint64_t seed)
{
	uint64_t w[5], h = seed ^ 0x9E3779B97F4A7C15ULL;
	memcpy(w, k, sizeof w);
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xFF51AFD7ED558CCDULL;
		h ^= h >> 33;
	}
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 29;
	return h;
}

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must be 40 bytes");

/* The bucket of a key in a table of nbuckets (a power of two). */
static uint32_t bucket_of(const struct flow_table *t, const struct flow_key *k, uint32_t nbuckets)
{
	return (uint32_t)key_hash(k, t->seed) & (nbuckets - 1);
}

/* A seed the traffic cannot guess. Without entropy yet (early boot) the
 * time and the table's address, which still differ per start. */
static uint64_t random_seed(const void *salt)
{
	uint64_t s;

	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)salt;
	return s;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_emit_fn emit,
				  void *ctx)
{
	struct flow_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (t->cfg.max_flows == 0)
		t->cfg.max_flows = 1;
	t->emit = emit;
	t->ctx = ctx;
	t->seed = random_seed(t);
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->timeouts_us[TC_TCP_NEW] = cfg->tcp_new_timeout * US_PER_S;
	t->timeouts_us[TC_TCP_EST] = cfg->tcp_est_timeout * US_PER_S;
	t->timeouts_us[TC_TCP_CLOSED] = cfg->tcp_closed_timeout * US_PER_S;
	t->timeouts_us[TC_UDP] = cfg->udp_timeout * US_PER_S;
	t->timeouts_us[TC_ICMP] = cfg->icmp_timeout * US_PER_S;
	t->timeouts_us[TC_OTHER] = cfg->other_timeout * US_PER_S;
	return t;
}

static void list_unlink(struct flist *l, struct flow *f)
{
	if (f->prev) f->prev->next = f->next; else l->head = f->next;
	if (f->next) f->next->prev = f->prev; else l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void list_append(struct flist *l, struct flow *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail) l->tail->next = f; else l->head = f;
	l->tail = f;
}

static void alist_unlink(struct flow_table *t, struct flow *f)
{
	if (f->aprev) f->aprev->anext = f->anext; else t->ahead = f->anext;
	if (f->anext) f->anext->aprev = f->aprev; else t->atail = f->aprev;
	f->aprev = f->anext = NULL;
}

static void alist_append(struct flow_table *t, struct flow *f)
{
	f->anext = NULL;
	f->aprev = t->atail;
	if (t->atail) t->atail->anext = f; else t->ahead = f;
	t->atail = f;
}

/* Double the bucket array; on allocation failure keep the old one (chains
 * just get longer). */
static void table_grow(struct flow_table *t)
{
	uint32_t n = t->nbuckets * 2;
	struct flow **nb = calloc(n, sizeof *nb);
	if (!nb)
		return;
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		struct flow *f = t->buckets[i];
		while (f) {
			struct flow *nx = f->hnext;
			uint32_t b = bucket_of(t, &f->key, n);
			f->hnext = nb[b];
			nb[b] = f;
			f = nx;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
}

/* Dotted quad by hand: inet_ntop goes through sprintf, and every flow
 * record formats two addresses. */
static void format_ip(char out[46], const uint8_t ip[16], uint8_t ipver)
{
	if (ipver != 4) {
		inet_ntop(AF_INET6, ip, out, 46);
		return;
	}
	char *p = out;
	for (int i = 12; i < 16; i++) {
		unsigned v = ip[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 15 ? '.' : '\0';
	}
}

static const char *flow_state_name(const struct flow *f)
{
	if (f->key.proto == IPPROTO_TCP && (f->tcp & (TCPF_RST | (TCPF_FIN_CLI | TCPF_FIN_SRV))) &&
	    ((f->tcp & TCPF_RST) || (f->tcp & (TCPF_FIN_CLI | TCPF_FIN_SRV)) == (TCPF_FIN_CLI | TCPF_FIN_SRV)))
		return "closed";
	return f->seen_reply ? "established" : "new";
}

/* The sink view of f. */
static void flow_fill(struct flow *f, struct flow_record *out)
{
	struct flow_record rec;
	const uint8_t *cip = f->client_is_a ? f->key.a : f->key.b;
	const uint8_t *sip = f->client_is_a ? f->key.b : f->key.a;

	memset(&rec, 0, sizeof rec);
	rec.flow_id = f->flow_id;
	rec.start_us = f->first_us;
	rec.end_us = f->last_us;
	rec.ipver = f->ipver;
	rec.proto = f->key.proto;
	rec.vlan = f->key.vlan;
	format_ip(rec.src_ip, cip, f->ipver);
	format_ip(rec.dest_ip, sip, f->ipver);
	memcpy(rec.src_addr, cip, 16);
	memcpy(rec.dest_addr, sip, 16);
	rec.tcp_flags_ts = f->flags[0];
	rec.tcp_flags_tc = f->flags[1];
	rec.src_port = f->client_is_a ? f->key.port_a : f->key.port_b;
	rec.dest_port = f->client_is_a ? f->key.port_b : f->key.port_a;
	rec.pkts_toserver = f->pkts[0] - f->rep_pkts[0];
	rec.pkts_toclient = f->pkts[1] - f->rep_pkts[1];
	rec.bytes_toserver = f->bytes[0] - f->rep_bytes[0];
	rec.bytes_toclient = f->bytes[1] - f->rep_bytes[1];
	rec.tot_pkts_toserver = f->pkts[0];
	rec.tot_pkts_toclient = f->pkts[1];
	rec.tot_bytes_toserver = f->bytes[0];
	rec.tot_bytes_toclient = f->bytes[1];
	rec.icmp_seen = f->icmp_seen;
	memcpy(rec.icmp, f->icmp, sizeof rec.icmp);
	rec.state = flow_state_name(f);
	rec.tunnel = f->tunnel;
	*out = rec;
}

/* Fill the sink view of f and hand it to the callback. */
static void flow_emit(struct flow_table *t, struct flow *f, const char *reason, int final)
{
	struct flow_record rec;

	flow_fill(f, &rec);
	rec.reason = reason;
	rec.interim = !final;
	t->emit(t->ctx, f, &rec, final);
}

void flow_table_snapshot(struct flow_table *t, struct flow *f, struct flow_record *rec)
{
	(void)t;
	flow_fill(f, rec);
}

uint8_t *flow_user_flags(struct flow *f)
{
	return &f->user;
}

/* Remove f from every structure, emit its final record and free it. */
static void flow_end(struct flow_table *t, struct flow *f, const char *reason)
{
	uint32_t b = bucket_of(t, &f->key, t->nbuckets);
	struct flow **pp = &t->buckets[b];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	list_unlink(&t->cls[f->tclass], f);
	alist_unlink(t, f);
	t->c.active--;
	t->c.ended++;
	flow_emit(t, f, reason, 1);
	free(f);
}

/* End flows idle longer than their class timeout, and checkpoint flows
 * older than the active timeout. */
void flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	if (now_us > t->now_us)
		t->now_us = now_us;
	now_us = t->now_us;
	/* a packet in this second does not expire again: a caller that
	 * drives time (a dispatcher's ticks) sees what the packet path does */
	t->last_expire_s = now_us / US_PER_S;
	for (int c = 0; c < TC__COUNT; c++) {
		struct flow *f;
		while ((f = t->cls[c].head) && f->last_us + t->timeouts_us[c] <= now_us) {
			t->c.timed_out++;
			flow_end(t, f, "timeout");
		}
	}
	if (t->cfg.active_timeout) {
		uint64_t at = t->cfg.active_timeout * US_PER_S;
		struct flow *f;
		while ((f = t->ahead) && f->report_us + at <= now_us) {
			flow_emit(t, f, "active_timeout", 0);
			t->c.interim++;
			memcpy(f->rep_pkts, f->pkts, sizeof f->pkts);
			memcpy(f->rep_bytes, f->bytes, sizeof f->bytes);
			f->report_us = now_us;
			alist_unlink(t, f);
			alist_append(t, f);
		}
	}
}

/* The flow with the oldest activity of all class heads. */
static struct flow *eviction_victim(struct flow_table *t)
{
	struct flow *v = NULL;
	for (int c = 0; c < TC__COUNT; c++) {
		struct flow *f = t->cls[c].head;
		if (f && (!v || f->last_us < v->last_us))
			v = f;
	}
	return v;
}

static enum tclass flow_tclass(const struct flow *f)
{
	switch (f->key.proto) {
	case IPPROTO_TCP:
		if ((f->tcp & TCPF_RST) ||
		    (f->tcp & (TCPF_FIN_CLI | TCPF_FIN_SRV)) == (TCPF_FIN_CLI | TCPF_FIN_SRV))
			return TC_TCP_CLOSED;
		return f->seen_reply ? TC_TCP_EST : TC_TCP_NEW;
	case IPPROTO_UDP:
		return TC_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return TC_ICMP;
	default:
		return TC_OTHER;
	}
}

/* Build the symmetric key; *src_is_a tells which side sent the packet. */
static void make_key(const struct decoded *d, struct flow_key *k, int *src_is_a)
{
	int c = memcmp(d->src, d->dst, 16);
	memset(k, 0, sizeof *k);
	if (c < 0 || (c == 0 && d->sport <= d->dport)) {
		memcpy(k->a, d->src, 16);
		memcpy(k->b, d->dst, 16);
		k->port_a = d->sport;
		k->port_b = d->dport;
		*src_is_a = 1;
	} else {
		memcpy(k->a, d->dst, 16);
		memcpy(k->b, d->src, 16);
		k->port_a = d->dport;
		k->port_b = d->sport;
		*src_is_a = 0;
	}
	k->vlan = d->vlan;
	k->proto = d->proto;
}

/* Who starts the conversation: the sender of the first packet, except a
 * SYN-ACK (its receiver is the client), and a TCP packet without SYN or a
 * UDP datagram sent from a well-known port to an ephemeral one: that is the
 * server answering, seen first because the capture started mid-exchange. */
static int first_sender_is_client(const struct decoded *d)
{
	if (d->proto == IPPROTO_TCP) {
		uint8_t fl = d->tcp_flags;
		if ((fl & 0x12) == 0x12)
			return 0;
		if (!(fl & 0x02) && d->sport < 1024 && d->dport >= 1024)
			return 0;
	}
	if (d->proto == IPPROTO_UDP && d->sport < 1024 && d->dport >= 1024)
		return 0;
	return 1;
}

struct flow *flow_table_packet(struct flow_table *t, const struct decoded *d,
			       uint64_t ts_us, uint32_t bytes, int *to_server)
{
	struct flow_key k;
	int src_is_a;
	uint64_t now_s;

	if (ts_us > t->now_us)
		t->now_us = ts_us;
	now_s = t->now_us / US_PER_S;
	if (now_s != t->last_expire_s) {
		t->last_expire_s = now_s;
		flow_table_expire(t, t->now_us);
	}

	make_key(d, &k, &src_is_a);
	uint32_t b = bucket_of(t, &k, t->nbuckets);
	struct flow *f = t->buckets[b];
	while (f && memcmp(&f->key, &k, sizeof k) != 0)
		f = f->hnext;

	if (!f) {
		if (t->c.active >= t->cfg.max_flows) {
			struct flow *v = eviction_victim(t);
			if (v) {
				t->c.evicted++;
				flow_end(t, v, "evicted");
			}
		}
		f = calloc(1, sizeof *f);
		if (!f) {
			t->c.alloc_failed++;
			return NULL;
		}
		f->key = k;
		f->ipver = d->ipver;
		f->tunnel = d->tunnel;
		f->first_us = f->last_us = f->report_us = ts_us;
		f->client_is_a = first_sender_is_client(d) ? (uint8_t)src_is_a : (uint8_t)!src_is_a;
		f->flow_id = key_hash(&k, ts_us) & ((1ULL << 53) - 1);
		f->tclass = TC__COUNT; /* not on a list yet */
		if (t->c.active + 1 > (uint64_t)t->nbuckets) {
			table_grow(t);
			b = bucket_of(t, &k, t->nbuckets);
		}
		f->hnext = t->buckets[b];
		t->buckets[b] = f;
		alist_append(t, f);
		t->c.created++;
		t->c.active++;
		if (t->c.active > t->c.peak_active)
			t->c.peak_active = t->c.active;
	}

	int ts_dir = (src_is_a == f->client_is_a); /* 1: client -> server */
	*to_server = ts_dir;
	f->pkts[ts_dir ? 0 : 1]++;
	f->bytes[ts_dir ? 0 : 1] += bytes;
	if (ts_us > f->last_us)
		f->last_us = ts_us;
	if (!ts_dir)
		f->seen_reply = 1;
	if ((d->proto == IPPROTO_ICMP || d->proto == IPPROTO_ICMPV6) && d->has_icmp &&
	    !(f->icmp_seen & (ts_dir ? 1 : 2))) {
		f->icmp_seen |= ts_dir ? 1 : 2;
		f->icmp[ts_dir ? 0 : 2] = d->icmp_type;
		f->icmp[ts_dir ? 1 : 3] = d->icmp_code;
	}
	if (d->proto == IPPROTO_TCP) {
		uint8_t fl = d->tcp_flags;
		f->flags[ts_dir ? 0 : 1] |= fl;
		if ((fl & 0x12) == 0x02 && ts_dir)
			f->tcp |= TCPF_SYN_CLI;
		if ((fl & 0x12) == 0x12)
			f->tcp |= TCPF_SYNACK;
		if (fl & 0x01)
			f->tcp |= ts_dir ? TCPF_FIN_CLI : TCPF_FIN_SRV;
		if (fl & 0x04)
			f->tcp |= TCPF_RST;
	}

	enum tclass nc = flow_tclass(f);
	if (f->tclass != TC__COUNT)
		list_unlink(&t->cls[f->tclass], f);
	f->tclass = (uint8_t)nc;
	list_append(&t->cls[nc], f);
	return f;
}

void flow_table_flush(struct flow_table *t)
{
	for (int c = 0; c < TC__COUNT; c++) {
		struct flow *f;
		while ((f = t->cls[c].head))
			flow_end(t, f, "shutdown");
	}
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	flow_table_flush(t);
	free(t->buckets);
	free(t);
}

void flow_table_counters(const struct flow_table *t, struct flow_counters *c)
{
	*c = t->c;
}

void **flow_classifier_slot(struct flow *f)
{
	return &f->cls;
}

void **flow_evidence_slot(struct flow *f)
{
	return &f->ev;
}

uint64_t flow_get_id(const struct flow *f)
{
	return f->flow_id;
}

struct flow_payload **flow_payload_slot(struct flow *f)
{
	return &f->payload;
}

uint64_t flow_table_seed(const struct flow_table *t)
{
	return t->seed;
}

uint64_t flow_packets(const struct flow *f)
{
	return f->pkts[0] + f->pkts[1] - f->rep_pkts[0] - f->rep_pkts[1];
}
