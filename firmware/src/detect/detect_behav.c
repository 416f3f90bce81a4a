/*
 * detect_behav.c - behavioural detectors over many flows (detect_behav.h).
 *
 * Each detector owns one bounded table. An entry holds what the detector
 * counts for one key (a source; a source and a destination; a client and a
 * DNS domain; ...) in a tumbling window of packet time that opens with the
 * key's first event. When the count reaches the threshold the detector
 * raises one alert and mutes the key until the window ends; the next event
 * after that opens a fresh window. A table grows on demand up to
 * max_tracked entries and keeps its entries on a list in the order their
 * windows opened, so behav_expire() pops ended windows from the front and
 * a full table evicts its oldest entry (counted as dropped).
 *
 * Only the event time of the records (end_us, else start_us) is used,
 * never the wall clock, so replays give the same alerts as live capture.
 */
#include "detect_behav.h"

#include "core/clock.h"
#include "core/conf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define NIL UINT32_MAX
#define KEYLEN 40
#define BEACON_K 32              /* start times kept per beacon key */
#define BEACON_MERGE_US US_PER_S       /* starts closer than this are one check-in */
#define MAX_NAMES 32             /* entries of a name list (skip_apps, ...) */
#define NAME_LEN 64
#define MAX_PORTS 64
#define SAMPLE_PORTS 10
#define WINDOW_MAX_S 604800      /* 7 days */

#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static const char *const det_names[BEHAV__COUNT] = {
	[BEHAV_PORTSCAN] = "portscan", [BEHAV_HOSTSWEEP] = "hostsweep",
	[BEHAV_DNS_TUNNEL] = "dns_tunnel", [BEHAV_BEACON] = "beacon",
	[BEHAV_EXFIL] = "exfil", [BEHAV_BRUTEFORCE] = "bruteforce",
};

/* Suricata classification.config names and descriptions */
/* Each detector's classification and its signature text: the same text
 * for every alert of a detector (one sid, one text, so consumers can
 * group, suppress and threshold by sid); the figures of each alert go in
 * its metadata. */
static const struct { const char *classtype, *category, *sig; } det_class[BEHAV__COUNT] = {
	[BEHAV_PORTSCAN] = { "attempted-recon", "Attempted Information Leak",
			     "vigil portscan: one source probed many ports of one host" },
	[BEHAV_HOSTSWEEP] = { "attempted-recon", "Attempted Information Leak",
			      "vigil hostsweep: one source probed many hosts" },
	[BEHAV_DNS_TUNNEL] = { "bad-unknown", "Potentially Bad Traffic",
			       "vigil dns_tunnel: many unusual DNS queries under one domain" },
	[BEHAV_BEACON] = { "bad-unknown", "Potentially Bad Traffic",
			   "vigil beacon: connections to one server at a regular interval" },
	[BEHAV_EXFIL] = { "policy-violation", "Potential Corporate Privacy Violation",
			  "vigil exfil: an inside host sent unusually many bytes out" },
	[BEHAV_BRUTEFORCE] = { "attempted-user", "Attempted User Privilege Gain",
			       "vigil bruteforce: many short sessions to an authentication service" },
};

/* ---- configuration ------------------------------------------------------ */

struct names {
	int n;
	char v[MAX_NAMES][NAME_LEN];
};

struct dconf {
	uint32_t enabled, severity, max_tracked;
	uint64_t window_us;
	struct homenet ignore;        /* n == 0: nothing ignored */
	struct names skip_apps;
	uint32_t count;               /* ports, hosts, queries, min_connections, sessions */
	uint32_t label_length, min_length;
	double entropy, max_jitter;
	uint64_t min_interval_us, max_duration_us, bytes, max_bytes;
	int n_ports;
	uint16_t ports[MAX_PORTS];
	struct names apps, domains;
};

/* ---- tables --------------------------------------------------------------- */

/* The head of every entry; each detector's entry type starts with it. */
struct ent {
	uint8_t key[KEYLEN];
	uint64_t start_us;            /* the window opened */
	uint64_t expire_us;           /* the window ends: the entry may go */
	uint32_t hash, hnext, prev, next;
	uint8_t used, muted, n_fid, fid_pos;
	uint64_t fid[ALERT_MAX_FLOWS];/* ring: the last flows that contributed */
};

struct table {
	size_t stride;                /* size of one entry */
	uint32_t max, n, alloc, nbucket;
	char *mem;                    /* alloc entries */
	uint32_t *bucket;             /* nbucket chains (indexes) */
	uint32_t head, tail, freelist;/* list: oldest window first */
	uint64_t dropped;
	void (*release)(struct ent *e);
};

#define ENT(t, i) ((struct ent *)(void *)((t)->mem + (size_t)(i) * (t)->stride))

/* A set of nonzero 64-bit values: four inline, then an open hash table. */
struct set64 {
	uint32_t n, cap;              /* cap 0: inline */
	union { uint64_t in[4]; uint64_t *heap; } u;
};

struct det {
	struct dconf c;
	struct table t;
};

struct behav {
	struct homenet home;
	uint64_t seed;
	int n_enabled;
	struct det d[BEHAV__COUNT];
};

/* ---- hashing ------------------------------------------------------------ */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL), w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = mix64(h ^ w);
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	return mix64(h ^ w ^ ((uint64_t)n << 56));
}

/* ---- sets --------------------------------------------------------------- */

static void set_free(struct set64 *s)
{
	if (s->cap)
		free(s->u.heap);
	memset(s, 0, sizeof *s);
}

static int set_put(uint64_t *tab, uint32_t cap, uint64_t v)
{
	uint32_t i = (uint32_t)mix64(v) & (cap - 1);

	while (tab[i]) {
		if (tab[i] == v)
			return 0;
		i = (i + 1) & (cap - 1);
	}
	tab[i] = v;
	return 1;
}

static int set_grow(struct set64 *s, uint32_t cap)
{
	uint64_t *t = calloc(cap, sizeof *t);

	if (!t)
		return -1;
	if (s->cap) {
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->u.heap[i])
				set_put(t, cap, s->u.heap[i]);
		free(s->u.heap);
	} else {
		for (uint32_t i = 0; i < s->n; i++)
			set_put(t, cap, s->u.in[i]);
	}
	s->u.heap = t;
	s->cap = cap;
	return 0;
}

/* Add v (nonzero): 1 added, 0 already there, -1 out of memory. */
static int set_add(struct set64 *s, uint64_t v)
{
	if (!s->cap) {
		for (uint32_t i = 0; i < s->n; i++)
			if (s->u.in[i] == v)
				return 0;
		if (s->n < 4) {
			s->u.in[s->n++] = v;
			return 1;
		}
		if (set_grow(s, 16) < 0)
			return -1;
	} else if ((s->n + 1) * 2 > s->cap) {
		if (set_grow(s, s->cap * 2) < 0)
			return -1;
	}
	if (!set_put(s->u.heap, s->cap, v))
		return 0;
	s->n++;
	return 1;
}

/* ---- table operations ----------------------------------------------------- */

static void tab_init(struct table *t, size_t stride, uint32_t max, void (*release)(struct ent *))
{
	memset(t, 0, sizeof *t);
	t->stride = stride;
	t->max = max;
	t->head = t->tail = t->freelist = NIL;
	t->release = release;
}

static void tab_free(struct table *t)
{
	if (t->release)
		for (uint32_t i = 0; i < t->alloc; i++)
			if (ENT(t, i)->used)
				t->release(ENT(t, i));
	free(t->mem);
	free(t->bucket);
	t->mem = NULL;
	t->bucket = NULL;
	t->n = t->alloc = t->nbucket = 0;
	t->head = t->tail = t->freelist = NIL;
}

static uint32_t tab_index(const struct table *t, const struct ent *e)
{
	return (uint32_t)(((const char *)e - t->mem) / t->stride);
}

static void tab_link_bucket(struct table *t, uint32_t i)
{
	struct ent *e = ENT(t, i);
	uint32_t b = e->hash & (t->nbucket - 1);

	e->hnext = t->bucket[b];
	t->bucket[b] = i;
}

/* Make room for more entries (indexes stay valid, pointers do not). */
static int tab_grow(struct table *t)
{
	uint32_t na = t->alloc ? t->alloc * 2 : 64, nb = 1;
	char *m;
	uint32_t *bk;

	if (na > t->max)
		na = t->max;
	if (na <= t->alloc)
		return -1;
	while (nb < 2 * na) /* chains of 0.5 entries on average */
		nb <<= 1;
	m = realloc(t->mem, (size_t)na * t->stride);
	if (!m)
		return -1;
	t->mem = m;
	bk = malloc((size_t)nb * sizeof *bk);
	if (!bk)
		return -1; /* the new entries are not on the free list yet */
	memset((char *)m + (size_t)t->alloc * t->stride, 0, (size_t)(na - t->alloc) * t->stride);
	for (uint32_t i = na; i-- > t->alloc;) {
		ENT(t, i)->hnext = t->freelist;
		t->freelist = i;
	}
	t->alloc = na;
	free(t->bucket);
	t->bucket = bk;
	t->nbucket = nb;
	memset(bk, 0xff, (size_t)nb * sizeof *bk);
	for (uint32_t i = 0; i < t->alloc; i++)
		if (ENT(t, i)->used)
			tab_link_bucket(t, i);
	return 0;
}

static struct ent *tab_find(const struct table *t, const uint8_t *key, uint32_t h)
{
	if (!t->nbucket)
		return NULL;
	for (uint32_t i = t->bucket[h & (t->nbucket - 1)]; i != NIL; i = ENT(t, i)->hnext) {
		struct ent *e = ENT(t, i);
		if (e->hash == h && memcmp(e->key, key, KEYLEN) == 0)
			return e;
	}
	return NULL;
}

static void list_unlink(struct table *t, struct ent *e)
{
	if (e->prev != NIL)
		ENT(t, e->prev)->next = e->next;
	else
		t->head = e->next;
	if (e->next != NIL)
		ENT(t, e->next)->prev = e->prev;
	else
		t->tail = e->prev;
}

static void list_append(struct table *t, struct ent *e)
{
	uint32_t i = tab_index(t, e);

	e->next = NIL;
	e->prev = t->tail;
	if (t->tail != NIL)
		ENT(t, t->tail)->next = i;
	else
		t->head = i;
	t->tail = i;
}

static void tab_remove(struct table *t, struct ent *e)
{
	uint32_t i = tab_index(t, e), *pp = &t->bucket[e->hash & (t->nbucket - 1)];

	while (*pp != NIL && *pp != i)
		pp = &ENT(t, *pp)->hnext;
	if (*pp == i)
		*pp = e->hnext;
	list_unlink(t, e);
	if (t->release)
		t->release(e);
	e->used = 0;
	e->hnext = t->freelist;
	t->freelist = i;
	t->n--;
}

static void tab_expire(struct table *t, uint64_t now_us)
{
	while (t->head != NIL && ENT(t, t->head)->expire_us <= now_us)
		tab_remove(t, ENT(t, t->head));
}

/* A new zeroed entry for key, at the end of the list. When the table is
 * full, entries whose window ended by now go first, else the oldest
 * (counted as dropped). NULL: out of memory (counted as dropped). */
static struct ent *tab_add(struct table *t, const uint8_t *key, uint32_t h, uint64_t now_us)
{
	struct ent *e;
	uint32_t i;

	if (t->n >= t->max)
		tab_expire(t, now_us);
	if (t->n >= t->max && t->head != NIL) {
		tab_remove(t, ENT(t, t->head));
		t->dropped++;
	}
	if (t->freelist == NIL && tab_grow(t) < 0) {
		t->dropped++;
		return NULL;
	}
	i = t->freelist;
	e = ENT(t, i);
	t->freelist = e->hnext;
	memset(e, 0, t->stride);
	memcpy(e->key, key, KEYLEN);
	e->hash = h;
	e->used = 1;
	tab_link_bucket(t, i);
	list_append(t, e);
	t->n++;
	return e;
}

static void tab_touch(struct table *t, struct ent *e)
{
	if (t->tail == tab_index(t, e))
		return;
	list_unlink(t, e);
	list_append(t, e);
}

/* ---- detector entries ----------------------------------------------------- */

struct ps_ent {
	struct ent h;
	struct set64 ports;
	uint32_t unanswered;
	uint16_t sample[SAMPLE_PORTS];
	uint8_t n_sample;
};

struct hs_ent {
	struct ent h;
	struct set64 hosts;
	uint32_t n_icmp, n_tcp, n_udp;
};

struct dt_ent {
	struct ent h;
	struct set64 names;
	char domain[128];
	char sample[256];
};

struct bc_ent {
	struct ent h;
	uint64_t base_us;
	uint32_t t_ms[BEACON_K];      /* start times, ms after base_us, ascending */
	uint8_t n;
};

struct ex_ent {
	struct ent h;
	uint64_t bytes;
	uint32_t flows;
};

struct bf_ent {
	struct ent h;
	uint32_t sessions;
};

static void ps_release(struct ent *e) { set_free(&((struct ps_ent *)(void *)e)->ports); }
static void hs_release(struct ent *e) { set_free(&((struct hs_ent *)(void *)e)->hosts); }
static void dt_release(struct ent *e) { set_free(&((struct dt_ent *)(void *)e)->names); }

static void det_table_init(struct det *d, int det)
{
	static const size_t stride[BEHAV__COUNT] = {
		[BEHAV_PORTSCAN] = sizeof(struct ps_ent), [BEHAV_HOSTSWEEP] = sizeof(struct hs_ent),
		[BEHAV_DNS_TUNNEL] = sizeof(struct dt_ent), [BEHAV_BEACON] = sizeof(struct bc_ent),
		[BEHAV_EXFIL] = sizeof(struct ex_ent), [BEHAV_BRUTEFORCE] = sizeof(struct bf_ent),
	};
	static void (*const rel[BEHAV__COUNT])(struct ent *) = {
		[BEHAV_PORTSCAN] = ps_release, [BEHAV_HOSTSWEEP] = hs_release,
		[BEHAV_DNS_TUNNEL] = dt_release,
	};
	tab_init(&d->t, stride[det], d->c.max_tracked, rel[det]);
}

static void ent_add_flow(struct ent *e, uint64_t id)
{
	e->fid[e->fid_pos] = id;
	e->fid_pos = (uint8_t)((e->fid_pos + 1) % ALERT_MAX_FLOWS);
	if (e->n_fid < ALERT_MAX_FLOWS)
		e->n_fid++;
}

static int ent_has_flow(const struct ent *e, uint64_t id)
{
	for (int i = 0; i < e->n_fid; i++)
		if (e->fid[i] == id)
			return 1;
	return 0;
}

/* ---- lifecycle ------------------------------------------------------------ */

static void names_set(struct names *n, const char *list)
{
	char buf[512], *save = NULL;

	n->n = 0;
	snprintf(buf, sizeof buf, "%s", list);
	for (char *tok = strtok_r(buf, ", \t", &save); tok && n->n < MAX_NAMES;
	     tok = strtok_r(NULL, ", \t", &save))
		snprintf(n->v[n->n++], NAME_LEN, "%s", tok);
}

static void conf_defaults(struct dconf *c, int det)
{
	static const uint16_t bf_ports[] = { 22, 23, 21, 3389, 445, 139, 110, 143, 25, 587, 5900 };

	memset(c, 0, sizeof *c);
	c->max_tracked = 65536;
	c->severity = 2;
	switch (det) {
	case BEHAV_PORTSCAN:
		c->window_us = 120 * US_PER_S;
		c->count = 25;
		c->severity = 3;
		names_set(&c->skip_apps, "ftp_data, rtp, rtcp");
		break;
	case BEHAV_HOSTSWEEP:
		c->window_us = 300 * US_PER_S;
		c->count = 50;
		c->severity = 3;
		break;
	case BEHAV_DNS_TUNNEL:
		c->window_us = 300 * US_PER_S;
		c->count = 40;
		c->label_length = 40;
		c->entropy = 3.8;
		c->min_length = 20;
		break;
	case BEHAV_BEACON:
		c->window_us = 3600 * US_PER_S;
		c->count = 8;
		c->max_jitter = 0.1;
		c->min_interval_us = 10 * US_PER_S;
		names_set(&c->skip_apps, "dns, ntp, mdns, llmnr, netbios, dhcp, dhcpv6, snmp, ssdp");
		break;
	case BEHAV_EXFIL:
		c->window_us = 3600 * US_PER_S;
		c->bytes = 100000000ULL;
		names_set(&c->skip_apps, "stun, rtp, rtcp, zoom, teams, skype_teams, skypecall, "
					 "webex, whatsappcall, signalvoip, googlehangoutduo");
		break;
	case BEHAV_BRUTEFORCE:
		c->window_us = 600 * US_PER_S;
		c->count = 20;
		c->max_duration_us = 10 * US_PER_S;
		c->max_bytes = 10000;
		c->n_ports = (int)(sizeof bf_ports / sizeof bf_ports[0]);
		memcpy(c->ports, bf_ports, sizeof bf_ports);
		names_set(&c->apps, "ssh, telnet, ftp_control, rdp, smbv1, smbv23, vnc");
		break;
	}
}

struct behav *behav_new(const struct homenet *home)
{
	struct behav *b = calloc(1, sizeof *b);
	char err[128];

	if (!b)
		return NULL;
	if (home)
		b->home = *home;
	else
		homenet_parse(&b->home, HOMENET_DEFAULT, err, sizeof err);
	if (getrandom(&b->seed, sizeof b->seed, GRND_NONBLOCK) != (ssize_t)sizeof b->seed)
		b->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)b;
	for (int det = 1; det < BEHAV__COUNT; det++) {
		conf_defaults(&b->d[det].c, det);
		det_table_init(&b->d[det], det);
	}
	return b;
}

void behav_free(struct behav *b)
{
	if (!b)
		return;
	for (int det = 1; det < BEHAV__COUNT; det++)
		tab_free(&b->d[det].t);
	free(b);
}

int behav_enabled(const struct behav *b)
{
	return b ? b->n_enabled : 0;
}

const char *behav_detector_name(int det)
{
	return det > 0 && det < BEHAV__COUNT ? det_names[det] : NULL;
}

const char *behav_signature(int det)
{
	return det > 0 && det < BEHAV__COUNT ? det_class[det].sig : NULL;
}

void behav_expire(struct behav *b, uint64_t now_us)
{
	if (!b)
		return;
	for (int det = 1; det < BEHAV__COUNT; det++)
		if (b->d[det].c.enabled)
			tab_expire(&b->d[det].t, now_us);
}

void behav_get_counters(const struct behav *b, struct behav_counters *out)
{
	memset(out, 0, sizeof *out);
	if (!b)
		return;
	for (int det = 1; det < BEHAV__COUNT; det++) {
		out->tracked += b->d[det].t.n;
		out->dropped += b->d[det].t.dropped;
	}
}

/* ---- flow helpers ----------------------------------------------------------- */

static int is_v4(const uint8_t a[16])
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, pfx, 12) == 0;
}

/* Multicast or broadcast (IPv4 224/4, 240/4 incl. 255.255.255.255; ff00::/8). */
static int is_group(const uint8_t a[16])
{
	return is_v4(a) ? a[12] >= 224 : a[0] == 0xff;
}

static int is_v6_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static int tcp_handshake(const struct flow_record *rec)
{
	return (rec->tcp_flags_tc & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
}

/* No answer at all, or a TCP reset without a SYN-ACK. */
static int unanswered(const struct flow_record *rec)
{
	if (rec->pkts_toclient == 0)
		return 1;
	return rec->proto == IPPROTO_TCP && (rec->tcp_flags_tc & TH_RST) && !tcp_handshake(rec);
}

/* A flow that looks like a probe rather than use: ICMP, a TCP attempt
 * that got no answer or a reset or carried no payload, UDP without a reply. */
static int probe_like(const struct flow_record *rec)
{
	switch (rec->proto) {
	case IPPROTO_ICMP:
		return 1;
	case IPPROTO_ICMPV6:
		/* neighbour discovery comes from link-local addresses */
		return !is_v6_link_local(rec->src_addr);
	case IPPROTO_TCP: {
		/* IP + TCP headers with options stay under this per packet */
		uint64_t hdr = rec->ipver == 6 ? 100 : 80;
		if (unanswered(rec))
			return 1;
		return rec->pkts_toserver <= 4 && rec->pkts_toclient <= 2 &&
		       rec->bytes_toserver <= rec->pkts_toserver * hdr &&
		       rec->bytes_toclient <= rec->pkts_toclient * hdr;
	}
	case IPPROTO_UDP:
		return rec->pkts_toclient == 0;
	default:
		return 0;
	}
}

static int name_in(const struct names *n, const char *s, size_t len)
{
	for (int i = 0; i < n->n; i++)
		if (strlen(n->v[i]) == len && strncasecmp(n->v[i], s, len) == 0)
			return 1;
	return 0;
}

/* app_proto, or a part of ndpi_protocol ("TLS.Teams"), is in the list. */
static int app_in(const struct names *n, const struct flow_record *rec)
{
	if (!n->n)
		return 0;
	if (rec->app_proto && name_in(n, rec->app_proto, strlen(rec->app_proto)))
		return 1;
	if (rec->ndpi_protocol) {
		const char *s = rec->ndpi_protocol;
		while (*s) {
			size_t len = strcspn(s, ".");
			if (len && name_in(n, s, len))
				return 1;
			s += len;
			if (*s == '.')
				s++;
		}
	}
	return 0;
}

static void key_pair(uint8_t key[KEYLEN], const struct flow_record *rec)
{
	memset(key, 0, KEYLEN);
	memcpy(key, rec->src_addr, 16);
	memcpy(key + 16, rec->dest_addr, 16);
}

static uint32_t key_hash(const struct behav *b, const uint8_t key[KEYLEN])
{
	return (uint32_t)hash_bytes(b->seed, key, KEYLEN);
}

/* The entry of key with a window open at now: the one found, or a fresh
 * one (replacing an entry whose window ended). NULL: out of memory. */
static struct ent *win_entry(struct behav *b, struct det *d, const uint8_t key[KEYLEN], uint64_t now)
{
	uint32_t h = key_hash(b, key);
	struct ent *e = tab_find(&d->t, key, h);

	if (e && now >= e->expire_us) {
		tab_remove(&d->t, e);
		e = NULL;
	}
	if (!e) {
		e = tab_add(&d->t, key, h, now);
		if (!e)
			return NULL;
		e->start_us = now;
		e->expire_us = now + d->c.window_us;
	}
	return e;
}

/* ---- alerts ----------------------------------------------------------------- */

struct out {
	struct alert a;
	char val[ALERT_MAX_META][256];
};

static void out_begin(struct out *o, const struct det *d, int det, const struct flow_record *rec,
		      const struct ent *e, uint64_t now)
{
	struct alert *a = &o->a;

	memset(a, 0, sizeof *a);
	a->ts_us = now;
	a->engine = ALERT_DETECTOR;
	a->gid = GID_DETECTOR;
	a->sid = (uint32_t)det;
	a->rev = 1;
	a->signature = det_class[det].sig;
	a->classtype = det_class[det].classtype;
	a->category = det_class[det].category;
	a->severity = (int)d->c.severity;
	a->detector = det_names[det];
	/* the 5-tuple of the flow that tipped the count, as consumers expect
	 * of an alert (hostsweep names its last target, portscan the port it
	 * probed last); the aggregate is in the metadata */
	a->proto = rec->proto;
	snprintf(a->src_ip, sizeof a->src_ip, "%s", rec->src_ip);
	snprintf(a->dest_ip, sizeof a->dest_ip, "%s", rec->dest_ip);
	a->has_ports = rec->proto == IPPROTO_TCP || rec->proto == IPPROTO_UDP ||
		       rec->proto == IPPROTO_SCTP;
	a->src_port = rec->src_port;
	a->dest_port = rec->dest_port;
	a->app_proto = rec->app_proto;
	a->flow = rec;
	for (int i = 0; i < e->n_fid; i++)
		a->flow_ids[i] = e->fid[(e->fid_pos + ALERT_MAX_FLOWS - e->n_fid + i) % ALERT_MAX_FLOWS];
	a->n_flow_ids = e->n_fid;
}

static void out_meta(struct out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void out_meta(struct out *o, const char *key, const char *fmt, ...)
{
	va_list ap;
	int i = o->a.n_meta;

	if (i >= ALERT_MAX_META)
		return;
	va_start(ap, fmt);
	vsnprintf(o->val[i], sizeof o->val[i], fmt, ap);
	va_end(ap);
	o->a.meta[i].key = key;
	o->a.meta[i].value = o->val[i];
	o->a.n_meta = i + 1;
}

static unsigned long long window_s(const struct det *d)
{
	return (unsigned long long)(d->c.window_us / US_PER_S);
}

/* ---- portscan ----------------------------------------------------------------- */

static void det_portscan(struct behav *b, struct det *d, const struct flow_record *rec, uint64_t now,
			 alert_fn cb, void *ctx)
{
	uint8_t key[KEYLEN];
	struct ps_ent *e;
	struct out o;
	char sample[SAMPLE_PORTS * 6 + 1];
	size_t pos = 0;

	if (rec->proto != IPPROTO_TCP && rec->proto != IPPROTO_UDP)
		return;
	/* traceroute's UDP probes walk this range on one destination */
	if (rec->proto == IPPROTO_UDP && rec->dest_port >= 33434 && rec->dest_port <= 33534)
		return;
	key_pair(key, rec);
	e = (struct ps_ent *)(void *)win_entry(b, d, key, now);
	if (!e || e->h.muted)
		return;
	if (set_add(&e->ports, (uint64_t)rec->dest_port + 1) <= 0)
		return;
	if (e->n_sample < SAMPLE_PORTS)
		e->sample[e->n_sample++] = rec->dest_port;
	if (unanswered(rec))
		e->unanswered++;
	ent_add_flow(&e->h, rec->flow_id);
	if (e->ports.n < d->c.count)
		return;

	e->h.muted = 1;
	out_begin(&o, d, BEHAV_PORTSCAN, rec, &e->h, now);
	sample[0] = '\0';
	for (int i = 0; i < e->n_sample; i++)
		pos += (size_t)snprintf(sample + pos, sizeof sample - pos, "%s%u", i ? "," : "",
					(unsigned)e->sample[i]);
	out_meta(&o, "ports", "%u", e->ports.n);
	out_meta(&o, "window", "%llu", window_s(d));
	out_meta(&o, "sample_ports", "%s", sample);
	out_meta(&o, "unanswered", "%u", e->unanswered);
	cb(ctx, &o.a);
}

/* ---- hostsweep ---------------------------------------------------------------- */

static void det_hostsweep(struct behav *b, struct det *d, const struct flow_record *rec, uint64_t now,
			  alert_fn cb, void *ctx)
{
	uint8_t key[KEYLEN] = { 0 };
	struct hs_ent *e;
	struct out o;
	uint64_t item;

	if (!probe_like(rec))
		return;
	memcpy(key, rec->src_addr, 16);
	e = (struct hs_ent *)(void *)win_entry(b, d, key, now);
	if (!e || e->h.muted)
		return;
	item = hash_bytes(b->seed, rec->dest_addr, 16) | 1;
	if (set_add(&e->hosts, item) <= 0)
		return;
	if (rec->proto == IPPROTO_TCP)
		e->n_tcp++;
	else if (rec->proto == IPPROTO_UDP)
		e->n_udp++;
	else
		e->n_icmp++;
	ent_add_flow(&e->h, rec->flow_id);
	if (e->hosts.n < d->c.count)
		return;

	e->h.muted = 1;
	out_begin(&o, d, BEHAV_HOSTSWEEP, rec, &e->h, now);
	out_meta(&o, "hosts", "%u", e->hosts.n);
	out_meta(&o, "window", "%llu", window_s(d));
	out_meta(&o, "protocols", "icmp:%u,tcp:%u,udp:%u", e->n_icmp, e->n_tcp, e->n_udp);
	cb(ctx, &o.a);
}

/* ---- dns_tunnel --------------------------------------------------------------- */

/* Second-level labels under which ccTLDs register names (co.uk, com.au). */
static const char *const sld_suffixes[] = {
	"ac", "ad", "co", "com", "ed", "edu", "go", "gob", "gov", "govt", "gr", "gv", "lg",
	"ltd", "me", "mil", "ne", "net", "nhs", "nic", "nom", "or", "org", "plc", "sch",
};

/* Lowercase name without the trailing dot; its length, 0 if unusable. */
static size_t dns_norm(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; in[n] && n + 1 < outlen; n++)
		out[n] = (char)tolower((unsigned char)in[n]);
	if (in[n])
		return 0; /* longer than a DNS name may be */
	while (n && out[n - 1] == '.')
		n--;
	out[n] = '\0';
	return n;
}

/* Where the registered domain starts in name: the last two labels, or
 * three under a ccTLD's second-level label (example.co.uk). */
static size_t reg_domain(const char *name, size_t len)
{
	size_t dot[3];
	int nd = 0;

	for (size_t i = len; i-- > 0 && nd < 3;)
		if (name[i] == '.')
			dot[nd++] = i;
	if (nd < 2)
		return 0;
	if (len - dot[0] - 1 == 2) {
		size_t sl = dot[0] - dot[1] - 1;
		for (size_t i = 0; i < sizeof sld_suffixes / sizeof sld_suffixes[0]; i++)
			if (strlen(sld_suffixes[i]) == sl &&
			    memcmp(sld_suffixes[i], name + dot[1] + 1, sl) == 0)
				return nd >= 3 ? dot[2] + 1 : 0;
	}
	return dot[1] + 1;
}

/* Shannon entropy (bits per character) of s[0..n) without the dots. */
static double shannon(const char *s, size_t n, size_t *chars)
{
	unsigned cnt[256] = { 0 };
	size_t total = 0;
	double h = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] != '.') {
			cnt[(unsigned char)s[i]]++;
			total++;
		}
	*chars = total;
	if (!total)
		return 0;
	for (int c = 0; c < 256; c++)
		if (cnt[c]) {
			double p = (double)cnt[c] / (double)total;
			h -= p * log2(p);
		}
	return h;
}

/* The labels left of the registered domain (sub, sublen) look like data. */
static int dns_suspicious(const struct dconf *c, const char *sub, size_t sublen, uint16_t qtype)
{
	size_t longest = 0, run = 0, chars;
	int service = 0;

	for (size_t i = 0; i <= sublen; i++) {
		if (i == sublen || sub[i] == '.') {
			if (run > longest)
				longest = run;
			run = 0;
		} else {
			if (run == 0 && sub[i] == '_')
				service = 1;
			run++;
		}
	}
	/* TXT and NULL carry tunnel payloads; _dmarc, _domainkey, ... are mail */
	if ((qtype == 16 || qtype == 10) && !service)
		return 1;
	if (longest >= c->label_length)
		return 1;
	if (sublen && shannon(sub, sublen, &chars) >= c->entropy && chars >= c->min_length)
		return 1;
	return 0;
}

static int domain_ignored(const struct names *n, const char *name, size_t len)
{
	for (int i = 0; i < n->n; i++) {
		size_t l = strlen(n->v[i]);
		if (l <= len && memcmp(name + len - l, n->v[i], l) == 0 &&
		    (l == len || name[len - l - 1] == '.'))
			return 1;
	}
	return 0;
}

static void det_dns_tunnel(struct behav *b, struct det *d, const struct flow_record *rec, uint64_t now,
			   alert_fn cb, void *ctx)
{
	char name[256];
	size_t len, reg;
	uint8_t key[KEYLEN] = { 0 };
	uint64_t dh;
	struct dt_ent *e;
	struct out o;

	if (!rec->dns_rrname || !rec->dns_rrname[0])
		return;
	len = dns_norm(rec->dns_rrname, name, sizeof name);
	if (!len || !memchr(name, '.', len))
		return;
	if ((len >= 5 && strcmp(name + len - 5, ".arpa") == 0) ||
	    domain_ignored(&d->c.domains, name, len))
		return;
	reg = reg_domain(name, len);
	if (!dns_suspicious(&d->c, name, reg ? reg - 1 : 0, rec->dns_qtype))
		return;

	memcpy(key, rec->src_addr, 16);
	dh = hash_bytes(b->seed, name + reg, len - reg);
	memcpy(key + 16, &dh, 8);
	e = (struct dt_ent *)(void *)win_entry(b, d, key, now);
	if (!e || e->h.muted)
		return;
	if (!e->domain[0])
		snprintf(e->domain, sizeof e->domain, "%s", name + reg);
	/* tunnels vary their names to get past caches; repeats are ordinary */
	if (set_add(&e->names, hash_bytes(b->seed, name, len) | 1) <= 0)
		return;
	if (!e->sample[0])
		snprintf(e->sample, sizeof e->sample, "%s", name);
	ent_add_flow(&e->h, rec->flow_id);
	if (e->names.n < d->c.count)
		return;

	e->h.muted = 1;
	out_begin(&o, d, BEHAV_DNS_TUNNEL, rec, &e->h, now);
	out_meta(&o, "domain", "%s", e->domain);
	out_meta(&o, "queries", "%u", e->names.n);
	out_meta(&o, "window", "%llu", window_s(d));
	out_meta(&o, "sample_query", "%s", e->sample);
	cb(ctx, &o.a);
}

/* ---- beacon ------------------------------------------------------------------- */

static void det_beacon(struct behav *b, struct det *d, const struct flow_record *rec, uint64_t now,
		       alert_fn cb, void *ctx)
{
	uint8_t key[KEYLEN];
	uint32_t h;
	struct bc_ent *e;
	uint64_t t[BEACON_K + 1], s = rec->start_us, w = d->c.window_us;
	int n, pos, best = 0;
	double best_mean = 0, best_cv = 0, sum = 0, sumsq = 0;
	struct out o;

	if (rec->proto != IPPROTO_TCP && rec->proto != IPPROTO_UDP)
		return;
	key_pair(key, rec);
	memcpy(key + 32, &rec->dest_port, 2);
	key[34] = rec->proto;
	h = key_hash(b, key);
	e = (struct bc_ent *)(void *)tab_find(&d->t, key, h);
	if (e && now >= e->h.expire_us) {
		tab_remove(&d->t, &e->h);
		e = NULL;
	}
	if (!e) {
		e = (struct bc_ent *)(void *)tab_add(&d->t, key, h, now);
		if (!e)
			return;
		e->h.start_us = now;
		e->h.expire_us = s + w;
	}
	if (e->h.muted)
		return;

	/* the start times still inside the window, with this one in order */
	n = 0;
	for (int i = 0; i < e->n; i++) {
		uint64_t ti = e->base_us + (uint64_t)e->t_ms[i] * 1000;
		if (ti + w > s)
			t[n++] = ti;
	}
	for (pos = n; pos > 0 && t[pos - 1] > s; pos--)
		;
	ent_add_flow(&e->h, rec->flow_id);
	if ((pos > 0 && s - t[pos - 1] < BEACON_MERGE_US) || (pos < n && t[pos] - s < BEACON_MERGE_US))
		return; /* the same check-in (parallel connections) */
	memmove(t + pos + 1, t + pos, (size_t)(n - pos) * sizeof t[0]);
	t[pos] = s;
	n++;
	if (n > BEACON_K) {
		memmove(t, t + 1, (size_t)(n - 1) * sizeof t[0]);
		n--;
	}
	e->base_us = t[0];
	for (int i = 0; i < n; i++)
		e->t_ms[i] = (uint32_t)((t[i] - t[0]) / 1000);
	e->n = (uint8_t)n;
	if (t[n - 1] + w > e->h.expire_us) {
		e->h.expire_us = t[n - 1] + w;
		tab_touch(&d->t, &e->h);
	}

	/* the longest run of latest check-ins at a regular interval */
	for (int i = n - 1; i > 0; i--) {
		double iv = (double)(t[i] - t[i - 1]) / 1e6, mean, var, cv;
		int conns = n - i + 1, k = n - i;
		sum += iv;
		sumsq += iv * iv;
		mean = sum / k;
		var = sumsq / k - mean * mean;
		cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
		if (conns >= (int)d->c.count && mean * 1e6 >= (double)d->c.min_interval_us &&
		    mean > 0 && cv <= d->c.max_jitter) {
			best = conns;
			best_mean = mean;
			best_cv = cv;
		}
	}
	if (!best)
		return;

	e->h.muted = 1;
	e->h.expire_us = now + w;
	tab_touch(&d->t, &e->h);
	out_begin(&o, d, BEHAV_BEACON, rec, &e->h, now);
	out_meta(&o, "interval", "%.0f", best_mean);
	out_meta(&o, "jitter", "%.3f", best_cv);
	out_meta(&o, "connections", "%d", best);
	out_meta(&o, "window", "%llu", window_s(d));
	cb(ctx, &o.a);
}

/* ---- exfil --------------------------------------------------------------------- */

static void det_exfil(struct behav *b, struct det *d, const struct flow_record *rec, uint64_t now,
		      alert_fn cb, void *ctx)
{
	uint8_t key[KEYLEN];
	struct ex_ent *e;
	struct out o;

	if (!rec->bytes_toserver || !homenet_contains(&b->home, rec->src_addr) ||
	    homenet_contains(&b->home, rec->dest_addr))
		return;
	key_pair(key, rec);
	e = (struct ex_ent *)(void *)win_entry(b, d, key, now);
	if (!e || e->h.muted)
		return;
	e->bytes += rec->bytes_toserver;
	if (!ent_has_flow(&e->h, rec->flow_id)) {
		e->flows++;
		ent_add_flow(&e->h, rec->flow_id);
	}
	if (e->bytes <= d->c.bytes)
		return;

	e->h.muted = 1;
	out_begin(&o, d, BEHAV_EXFIL, rec, &e->h, now);
	out_meta(&o, "bytes", "%llu", (unsigned long long)e->bytes);
	out_meta(&o, "window", "%llu", window_s(d));
	out_meta(&o, "flows", "%u", e->flows);
	cb(ctx, &o.a);
}

/* ---- bruteforce ----------------------------------------------------------------- */

static void det_bruteforce(struct behav *b, struct det *d, const struct flow_record *rec, uint64_t now,
			   alert_fn cb, void *ctx)
{
	uint8_t key[KEYLEN];
	struct bf_ent *e;
	struct out o;
	int service = 0;
	uint64_t dur = rec->end_us > rec->start_us ? rec->end_us - rec->start_us : 0;

	if (rec->proto != IPPROTO_TCP)
		return;
	for (int i = 0; i < d->c.n_ports && !service; i++)
		service = rec->dest_port == d->c.ports[i];
	if (!service && !app_in(&d->c.apps, rec))
		return;
	/* a login attempt: the server accepted and talked, briefly and little */
	if (!tcp_handshake(rec) || rec->pkts_toclient < 2 || dur > d->c.max_duration_us ||
	    rec->bytes_toserver > d->c.max_bytes || rec->bytes_toclient > d->c.max_bytes)
		return;
	key_pair(key, rec);
	memcpy(key + 32, &rec->dest_port, 2);
	key[34] = rec->proto;
	e = (struct bf_ent *)(void *)win_entry(b, d, key, now);
	if (!e || e->h.muted)
		return;
	e->sessions++;
	ent_add_flow(&e->h, rec->flow_id);
	if (e->sessions < d->c.count)
		return;

	e->h.muted = 1;
	out_begin(&o, d, BEHAV_BRUTEFORCE, rec, &e->h, now);
	out_meta(&o, "sessions", "%u", e->sessions);
	out_meta(&o, "window", "%llu", window_s(d));
	out_meta(&o, "port", "%u", (unsigned)rec->dest_port);
	cb(ctx, &o.a);
}

/* ---- dispatch ------------------------------------------------------------------- */

void behav_flow(struct behav *b, const struct flow_record *rec, alert_fn cb, void *ctx)
{
	uint64_t now;

	if (!b || !rec || !b->n_enabled || is_group(rec->dest_addr))
		return;
	now = rec->end_us ? rec->end_us : rec->start_us;
	for (int det = 1; det < BEHAV__COUNT; det++) {
		struct det *d = &b->d[det];
		if (!d->c.enabled || (rec->interim && det != BEHAV_EXFIL))
			continue;
		if (d->c.ignore.n && (homenet_contains(&d->c.ignore, rec->src_addr) ||
				      homenet_contains(&d->c.ignore, rec->dest_addr)))
			continue;
		/* a classification nDPI only guessed (by port) is no reason to skip */
		if (!rec->guessed && app_in(&d->c.skip_apps, rec))
			continue;
		switch (det) {
		case BEHAV_PORTSCAN: det_portscan(b, d, rec, now, cb, ctx); break;
		case BEHAV_HOSTSWEEP: det_hostsweep(b, d, rec, now, cb, ctx); break;
		case BEHAV_DNS_TUNNEL: det_dns_tunnel(b, d, rec, now, cb, ctx); break;
		case BEHAV_BEACON: det_beacon(b, d, rec, now, cb, ctx); break;
		case BEHAV_EXFIL: det_exfil(b, d, rec, now, cb, ctx); break;
		case BEHAV_BRUTEFORCE: det_bruteforce(b, d, rec, now, cb, ctx); break;
		}
	}
}

/* ---- detectors.conf ------------------------------------------------------------- */

enum vtype { V_BOOL, V_COUNT, V_SECONDS, V_BYTES, V_REAL, V_CIDRS, V_NAMES, V_DOMAINS, V_PORTS };

#define ALL 0u
#define ONLY(d) (1u << (d))

static const struct setting {
	unsigned dets;
	const char *name;
	enum vtype type;
	size_t off;
	double min, max;
} settings[] = {
	{ ALL, "enabled", V_BOOL, offsetof(struct dconf, enabled), 0, 1 },
	{ ALL, "window", V_SECONDS, offsetof(struct dconf, window_us), 1, WINDOW_MAX_S },
	{ ALL, "severity", V_COUNT, offsetof(struct dconf, severity), 1, 4 },
	{ ALL, "max_tracked", V_COUNT, offsetof(struct dconf, max_tracked), 16, 4194304 },
	{ ALL, "ignore", V_CIDRS, offsetof(struct dconf, ignore), 0, 0 },
	{ ALL, "skip_apps", V_NAMES, offsetof(struct dconf, skip_apps), 0, 0 },
	{ ONLY(BEHAV_PORTSCAN), "ports", V_COUNT, offsetof(struct dconf, count), 2, 1024 },
	{ ONLY(BEHAV_HOSTSWEEP), "hosts", V_COUNT, offsetof(struct dconf, count), 2, 4096 },
	{ ONLY(BEHAV_DNS_TUNNEL), "queries", V_COUNT, offsetof(struct dconf, count), 1, 4096 },
	{ ONLY(BEHAV_DNS_TUNNEL), "label_length", V_COUNT, offsetof(struct dconf, label_length), 1, 63 },
	{ ONLY(BEHAV_DNS_TUNNEL), "entropy", V_REAL, offsetof(struct dconf, entropy), 0, 8 },
	{ ONLY(BEHAV_DNS_TUNNEL), "min_length", V_COUNT, offsetof(struct dconf, min_length), 1, 253 },
	{ ONLY(BEHAV_DNS_TUNNEL), "ignore_domains", V_DOMAINS, offsetof(struct dconf, domains), 0, 0 },
	{ ONLY(BEHAV_BEACON), "min_connections", V_COUNT, offsetof(struct dconf, count), 3, BEACON_K },
	{ ONLY(BEHAV_BEACON), "max_jitter", V_REAL, offsetof(struct dconf, max_jitter), 0, 10 },
	{ ONLY(BEHAV_BEACON), "min_interval", V_SECONDS, offsetof(struct dconf, min_interval_us), 1, 86400 },
	{ ONLY(BEHAV_EXFIL), "bytes", V_BYTES, offsetof(struct dconf, bytes), 1, 1e15 },
	{ ONLY(BEHAV_BRUTEFORCE), "sessions", V_COUNT, offsetof(struct dconf, count), 2, 100000 },
	{ ONLY(BEHAV_BRUTEFORCE), "max_duration", V_SECONDS, offsetof(struct dconf, max_duration_us), 0.001, 86400 },
	{ ONLY(BEHAV_BRUTEFORCE), "max_bytes", V_BYTES, offsetof(struct dconf, max_bytes), 1, 1e12 },
	{ ONLY(BEHAV_BRUTEFORCE), "ports", V_PORTS, offsetof(struct dconf, ports), 0, 0 },
	{ ONLY(BEHAV_BRUTEFORCE), "apps", V_NAMES, offsetof(struct dconf, apps), 0, 0 },
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

struct cfgp {
	const char *path;
	rule_problem_fn problem;
	void *ctx;
	int errors;
	int line;                   /* of the setting being read */
	int section_det;            /* detector of the current section, -1: unknown */
	int section_line[BEHAV__COUNT];
	unsigned char given[BEHAV__COUNT][N_SETTINGS]; /* lists: later lines append */
	struct dconf conf[BEHAV__COUNT];
};

static void cfg_problem(struct cfgp *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_problem(struct cfgp *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->errors++;
	va_start(ap, fmt);
	conf_vproblem(p->problem, p->ctx, p->path, line, fmt, ap);
	va_end(ap);
}

static int det_lookup(const char *name)
{
	for (int det = 1; det < BEHAV__COUNT; det++)
		if (strcasecmp(name, det_names[det]) == 0)
			return det;
	return -1;
}

static int add_names(struct cfgp *p, struct names *n, const char *v, const char *what,
		     const char *sec, int domains)
{
	char *buf = strdup(v), *save = NULL;

	if (!buf) {
		cfg_problem(p, p->line, "out of memory");
		return -1;
	}
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		size_t len = strlen(tok);
		int ok = len > 0 && len < NAME_LEN;
		for (size_t i = 0; ok && i < len; i++) {
			tok[i] = (char)tolower((unsigned char)tok[i]);
			ok = isalnum((unsigned char)tok[i]) || tok[i] == '_' || tok[i] == '-' ||
			     (tok[i] == '.' && (domains || i > 0));
		}
		if (domains && ok) {
			while (len && tok[len - 1] == '.')
				tok[--len] = '\0';
			ok = len > 0 && tok[0] != '.';
		}
		if (!ok) {
			cfg_problem(p, p->line, "bad %s '%s' in %s of [%s]", domains ? "domain" : "application name",
				    tok, what, sec);
			continue;
		}
		if (n->n >= MAX_NAMES) {
			cfg_problem(p, p->line, "more than %d entries in %s of [%s]", MAX_NAMES, what, sec);
			free(buf);
			return -1;
		}
		snprintf(n->v[n->n++], NAME_LEN, "%s", tok);
	}
	free(buf);
	return 0;
}

static void set_value(struct cfgp *p, int det, const struct setting *s, unsigned si, const char *v)
{
	struct dconf *c = &p->conf[det];
	void *field = (char *)c + s->off;
	const char *sec = det_names[det];
	int first = !p->given[det][si];
	double x;

	p->given[det][si] = 1;
	switch (s->type) {
	case V_BOOL: {
		int on;
		if (conf_parse_bool(v, &on) < 0)
			cfg_problem(p, p->line, "bad value '%s' for %s in [%s]: expected yes or no", v, s->name, sec);
		else
			*(uint32_t *)field = (uint32_t)on;
		break;
	}
	case V_COUNT: {
		uint64_t n;
		if (conf_parse_u64(v, (uint64_t)s->min, (uint64_t)s->max, &n) < 0)
			cfg_problem(p, p->line, "bad value '%s' for %s in [%s]: expected a whole number from %.0f to %.0f",
				    v, s->name, sec, s->min, s->max);
		else
			*(uint32_t *)field = (uint32_t)n;
		break;
	}
	case V_SECONDS: {
		uint64_t ms;
		if (conf_parse_duration_ms(v, &ms) < 0 || ms < s->min * 1000 || ms > s->max * 1000)
			cfg_problem(p, p->line, "bad value '%s' for %s in [%s]: expected a duration (seconds, or a "
				    "number with ms, s, m, h, d) from %g to %g s", v, s->name, sec, s->min, s->max);
		else
			*(uint64_t *)field = ms * 1000;
		break;
	}
	case V_BYTES: {
		uint64_t n;
		if (conf_parse_size(v, &n) < 0 || n < s->min || n > s->max)
			cfg_problem(p, p->line, "bad value '%s' for %s in [%s]: expected a size (bytes, or a number "
				    "with K, M, G) from %.0f to %.0f bytes", v, s->name, sec, s->min, s->max);
		else
			*(uint64_t *)field = n;
		break;
	}
	case V_REAL:
		if (conf_parse_real(v, s->min, s->max, &x) < 0)
			cfg_problem(p, p->line, "bad value '%s' for %s in [%s]: expected a number from %g to %g",
				    v, s->name, sec, s->min, s->max);
		else
			*(double *)field = x;
		break;
	case V_CIDRS: {
		struct homenet tmp, *h = field;
		char err[256];
		if (first)
			h->n = 0;
		if (!*v)
			break;
		if (homenet_parse(&tmp, v, err, sizeof err) < 0) {
			cfg_problem(p, p->line, "bad address in ignore of [%s]: %s", sec, err);
			break;
		}
		if (h->n + tmp.n > HOMENET_MAX) {
			cfg_problem(p, p->line, "more than %d networks in ignore of [%s]", HOMENET_MAX, sec);
			break;
		}
		memcpy(&h->net[h->n], tmp.net, (size_t)tmp.n * sizeof tmp.net[0]);
		h->n += tmp.n;
		break;
	}
	case V_NAMES:
	case V_DOMAINS:
		if (first)
			((struct names *)field)->n = 0;
		add_names(p, field, v, s->name, sec, s->type == V_DOMAINS);
		break;
	case V_PORTS: {
		char *buf = strdup(v), *save = NULL;
		if (first)
			c->n_ports = 0;
		if (!buf) {
			cfg_problem(p, p->line, "out of memory");
			break;
		}
		for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
			char *end;
			long port;
			errno = 0;
			port = strtol(tok, &end, 10);
			if (!isdigit((unsigned char)*tok) || *end || errno || port < 1 || port > 65535) {
				cfg_problem(p, p->line, "bad port '%s' in ports of [%s]: expected 1 to 65535", tok, sec);
				continue;
			}
			if (c->n_ports >= MAX_PORTS) {
				cfg_problem(p, p->line, "more than %d ports in [%s]", MAX_PORTS, sec);
				break;
			}
			c->ports[c->n_ports++] = (uint16_t)port;
		}
		free(buf);
		break;
	}
	}
}

/* conf_ini_fn: a [detector] header or one setting. */
static void cfg_handler(void *user, const struct conf_item *it)
{
	struct cfgp *p = user;
	int det;

	p->line = it->line;
	if (!it->key) {
		det = p->section_det = det_lookup(it->section);
		if (det < 0) {
			cfg_problem(p, it->line, "unknown detector '%s'", it->section);
		} else {
			/* a section enables its detector unless it says enabled = no */
			p->conf[det].enabled = 1;
			p->section_line[det] = it->line;
		}
		return;
	}
	det = p->section_det;
	if (det < 0)
		return; /* reported at the section header */
	for (unsigned i = 0; i < N_SETTINGS; i++)
		if ((settings[i].dets == ALL || (settings[i].dets & ONLY(det))) &&
		    strcasecmp(settings[i].name, it->key) == 0) {
			set_value(p, det, &settings[i], i, it->value);
			return;
		}
	cfg_problem(p, it->line, "unknown setting '%s' in [%s]", it->key, det_names[det]);
}

/* conf_problem_fn: the reader's problems count like ours. */
static void cfg_reader_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct cfgp *p = ctx;

	(void)file;
	cfg_problem(p, line, "%s", msg);
}

/* Settings that are fine one by one but not together. */
static void cfg_check(struct cfgp *p)
{
	struct dconf *c = &p->conf[BEHAV_BEACON];

	if (c->enabled && c->min_interval_us * (c->count - 1) > c->window_us)
		cfg_problem(p, p->section_line[BEHAV_BEACON],
			    "beacon can never fire: %u connections %llu s apart do not fit in a window of %llu s",
			    c->count, (unsigned long long)(c->min_interval_us / US_PER_S),
			    (unsigned long long)(c->window_us / US_PER_S));
}

int behav_load_config(struct behav *b, const char *path, rule_problem_fn problem, void *ctx)
{
	struct cfgp *p;

	if (!b || !path)
		return -1;
	p = calloc(1, sizeof *p);
	if (!p) {
		if (problem)
			problem(ctx, path, 0, "out of memory");
		return -1;
	}
	p->path = path;
	p->problem = problem;
	p->ctx = ctx;
	for (int det = 1; det < BEHAV__COUNT; det++)
		conf_defaults(&p->conf[det], det);
	p->section_det = -1;
	conf_ini_read(path, CONF_MAX_CONFIG, cfg_handler, cfg_reader_problem, p);
	cfg_check(p);

	if (p->errors) {
		free(p);
		return -1; /* the configuration in use stays */
	}
	b->n_enabled = 0;
	for (int det = 1; det < BEHAV__COUNT; det++) {
		struct det *d = &b->d[det];
		tab_free(&d->t);
		d->c = p->conf[det];
		det_table_init(d, det);
		b->n_enabled += d->c.enabled ? 1 : 0;
	}
	free(p);
	return 0;
}
