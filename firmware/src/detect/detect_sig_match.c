/*
 * detect_sig_match.c - signatures evaluated on flow metadata (see
 * detect_sig.h): the matcher and the threshold state. The rule set it
 * reads is detect_sig_set.c's; the rule language is detect_sig_parse.c's.
 *
 * Matching never allocates: a rule is a tree of small structures in the
 * set's arena, compared against the record's fields. All strings an alert
 * carries (msg, classtype, category, references, metadata, rule text)
 * point into the arena, so they stay valid until sig_set_free. A set is not
 * safe to match from two threads at once (threshold state, pcre match data).
 */
#include "detect_sig_set.h"

#include "detect_http.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- threshold table ----------------------------------------------------------- */

/* Per (rule, tracked addresses) counters for threshold and detection_filter,
 * bounded: when full, the entry whose window started first is dropped
 * (its count is lost and counted in thr_evicted). Entries sit in a hash
 * table (chained by index) and on a list ordered by window start (the
 * layout is in detect_sig_set.h: the set allocates and frees it). */
/* Keyed hash of the key (rule index and the tracked addresses): the
 * table's random seed keeps crafted addresses from sharing one chain.
 * Lookups only: what the table does never follows bucket order. */
static uint32_t thr_hash(const struct sig_thresh_table *t, uint32_t rule, const uint8_t a[16],
			 const uint8_t b[16])
{
	uint64_t w[4], h = t->seed ^ rule ^ 0x9E3779B97F4A7C15ULL;

	memcpy(w, a, 16);
	memcpy(w + 2, b, 16);
	for (int i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 0xFF51AFD7ED558CCDULL;
		h ^= h >> 33;
	}
	h *= 0xC4CEB9FE1A85EC53ULL;
	return (uint32_t)(h ^ (h >> 29)) & (THR_CAP - 1);
}

/* Take entry i off the age list. */
static void thr_unlink_age(struct sig_thresh_table *t, int32_t i)
{
	struct thr_entry *e = &t->e[i];

	if (e->prev >= 0)
		t->e[e->prev].next = e->next;
	else
		t->oldest = e->next;
	if (e->next >= 0)
		t->e[e->next].prev = e->prev;
	else
		t->newest = e->prev;
}

/* Put entry i at the young end of the age list (its window just began). */
static void thr_push_age(struct sig_thresh_table *t, int32_t i)
{
	t->e[i].prev = t->newest;
	t->e[i].next = -1;
	if (t->newest >= 0)
		t->e[t->newest].next = i;
	else
		t->oldest = i;
	t->newest = i;
}

/* Take entry i out of its hash chain. */
static void thr_unlink_hash(struct sig_thresh_table *t, int32_t i)
{
	const struct thr_entry *e = &t->e[i];
	int32_t *pp = &t->bucket[thr_hash(t, e->rule, e->a, e->b)];

	while (*pp != i)
		pp = &t->e[*pp].hnext;
	*pp = e->hnext;
}

/* Decide whether a match of rule r (index ri) produces an alert under its
 * threshold / detection_filter, counting in packet time. Windows begin
 * with the first match of a key; a match at or after start + window opens
 * a new window. */
static int thr_pass(struct sig_set *s, const struct sig_rule *r, uint32_t ri,
		    const struct flow_record *rec, uint64_t now_us)
{
	struct sig_thresh_table *t = s->thr;
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	struct thr_entry *e = NULL;
	uint32_t h;
	int32_t i;

	if (r->thr.type == ST_NONE)
		return 1;
	if (!t)
		return 1;   /* cannot happen: sig_add_rule allocated it */
	if (r->thr.track == TR_SRC || r->thr.track == TR_BOTH)
		memcpy(a, rec->src_addr, 16);
	if (r->thr.track == TR_DST)
		memcpy(a, rec->dest_addr, 16);
	if (r->thr.track == TR_BOTH)
		memcpy(b, rec->dest_addr, 16);

	h = thr_hash(t, ri, a, b);
	for (i = t->bucket[h]; i >= 0; i = t->e[i].hnext)
		if (t->e[i].rule == ri && memcmp(t->e[i].a, a, 16) == 0 &&
		    memcmp(t->e[i].b, b, 16) == 0)
			break;
	if (i >= 0) {
		e = &t->e[i];
		if (now_us >= e->start_us && now_us - e->start_us >= r->thr.window_us) {
			e->start_us = now_us;
			e->count = 0;
			thr_unlink_age(t, i);
			thr_push_age(t, i);
		}
	} else {
		if (t->used < THR_CAP) {
			i = (int32_t)t->used++;
		} else {
			i = t->oldest;
			thr_unlink_age(t, i);
			thr_unlink_hash(t, i);
			s->thr_evicted++;
		}
		e = &t->e[i];
		e->rule = ri;
		e->count = 0;
		e->start_us = now_us;
		memcpy(e->a, a, 16);
		memcpy(e->b, b, 16);
		e->hnext = t->bucket[h];
		t->bucket[h] = i;
		thr_push_age(t, i);
	}
	if (e->count < UINT32_MAX)
		e->count++;

	switch (r->thr.type) {
	case ST_LIMIT:
		return e->count <= r->thr.count;
	case ST_THRESHOLD:
		if (e->count >= r->thr.count) {
			e->count = 0;
			return 1;
		}
		return 0;
	case ST_BOTH:
		return e->count == r->thr.count;
	case ST_DFILTER:
		return e->count > r->thr.count;
	}
	return 1;
}

/* Threshold table occupancy and evictions, for the stats. */
void sig_get_counters(const struct sig_set *s, struct sig_counters *out)
{
	out->threshold_tracked = s->thr ? s->thr->used : 0;
	out->threshold_evicted = s->thr_evicted;
}

/* ---- matching -------------------------------------------------------------------- */

/* 1 if the first bits bits of a and net are equal. */
static int prefix_eq(const uint8_t a[16], const uint8_t net[16], int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ net[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

/* Address group test with Suricata's list semantics: a list matches if the
 * address is in one of its positive items (or it has none) and in none of
 * its negated items; '!' inverts the item it is written on. home: the
 * address is in $HOME_NET (worked out once per flow). */
static int addr_match(const struct sig_addr *g, const uint8_t ip[16], int home)
{
	int m;

	switch (g->kind) {
	case SA_CIDR:
		m = prefix_eq(ip, g->addr, g->bits);
		break;
	case SA_HOME:
		m = home;
		break;
	case SA_EXTERNAL:
		m = !home;
		break;
	case SA_LIST: {
		int npos = 0, pos_hit = 0;
		m = 1;
		for (int i = 0; i < g->n && m; i++) {
			const struct sig_addr *it = &g->items[i];
			if (it->neg)
				m = addr_match(it, ip, home);
			else {
				npos++;
				if (!pos_hit)
					pos_hit = addr_match(it, ip, home);
			}
		}
		if (m && npos && !pos_hit)
			m = 0;
		break;
	}
	default:
		m = 1;
	}
	return g->neg ? !m : m;
}

/* Port group test, the same list semantics as addresses. */
static int port_match(const struct sig_port *g, uint16_t port)
{
	int m;

	if (g->kind == SP_RANGE) {
		m = port >= g->lo && port <= g->hi;
	} else if (g->kind == SP_LIST) {
		int npos = 0, pos_hit = 0;
		m = 1;
		for (int i = 0; i < g->n && m; i++) {
			const struct sig_port *it = &g->items[i];
			if (it->neg)
				m = port_match(it, port);
			else {
				npos++;
				if (!pos_hit)
					pos_hit = port_match(it, port);
			}
		}
		if (m && npos && !pos_hit)
			m = 0;
	} else {
		m = 1;
	}
	return g->neg ? !m : m;
}

/* Longest buffer value with lowercase and dotprefix views (DNS names and
 * SNIs are far shorter); longer values are compared the slow way, and
 * dotprefix / pcre on a dotprefix buffer do not match them. Only the
 * metadata buffers (below SB_FIRST_WINDOW) get views. */
#define VIEW_MAX 512

/* Attempts one rule may make to place its relative contents (Suricata
 * bounds its recursion the same way): a crafted payload cannot make a
 * rule cost more than this. */
#define MATCH_STEPS 4096

#define N_DIRBUF (SB__COUNT - SB_FIRST_DIRECTIONAL)

/* What every rule asks of one flow, worked out once per sig_match_flow:
 * $HOME_NET membership of both ends and the sticky buffers' values, plus
 * (on first use) a lowercase copy and a copy with a leading '.' of each
 * metadata buffer, so that nocase and dotprefix compare with plain memcmp.
 * The buffers of the payload window are worked out on first use too. */
struct flow_view {
	const struct flow_record *rec;
	const struct flow_window *win;   /* NULL: none */
	int home_src, home_dst;
	int has_ports;
	int app_id;                      /* ids in the name table, -1: none */
	int whole_id;                    /* the whole nDPI name */
	int part_id[4];                  /* its dotted parts */
	int n_parts;
	int risk_id[FLOW_RECORD_MAX_RISKS];
	int n_risk_ids;
	const uint8_t *raw[SB__COUNT];   /* NULL: the flow has no value */
	size_t len[SB__COUNT];
	const uint8_t *draw[2][N_DIRBUF];/* directional buffers, per direction */
	size_t dlen[2][N_DIRBUF];
	uint32_t has_bufs;               /* 1 << enum sig_buf of the values */
	int window_done;                 /* window buffers worked out */
	int magic_done;                  /* SB_FILEMAGIC worked out */
	const uint8_t *mstart[2];        /* where each direction's file starts */
	size_t mlen[2];
	int dir;                         /* direction being evaluated (0, 1) */
	int steps;                       /* MATCH_STEPS left for this rule */
	char stat[4];                    /* nDPI's status code as text */
	uint8_t have_low[SB_FIRST_WINDOW], have_dot[SB_FIRST_WINDOW];
	char low[SB_FIRST_WINDOW][VIEW_MAX + 2];   /* '.' + lowercase value */
	char dot[SB_FIRST_WINDOW][VIEW_MAX + 2];   /* '.' + value */
};

/* 1 if the flow's protocol carries ports (TCP, UDP, SCTP). */
static int proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* Header addresses and ports, with sip/sport as the rule's source side. A
 * port constraint never matches a flow without ports. */
static int endpoints_match(const struct sig_rule *r, const uint8_t *sip, int shome,
			   uint16_t sport, const uint8_t *dip, int dhome, uint16_t dport,
			   int has_ports)
{
	if (r->src && !addr_match(r->src, sip, shome))
		return 0;
	if (r->dst && !addr_match(r->dst, dip, dhome))
		return 0;
	if (r->sport && (!has_ports || !port_match(r->sport, sport)))
		return 0;
	if (r->dport && (!has_ports || !port_match(r->dport, dport)))
		return 0;
	return 1;
}

/* 1 if id is the flow's app_proto or one dotted part of its nDPI name
 * ("TLS.YouTube": "tls" or "youtube"). */
static int proto_id_is(const struct flow_view *v, int id)
{
	if (id == v->app_id)
		return 1;
	for (int i = 0; i < v->n_parts; i++)
		if (id == v->part_id[i])
			return 1;
	return 0;
}

/* An application protocol condition (header or app-layer-protocol). */
static int app_match(const struct sig_app *a, const struct flow_view *v)
{
	int m = 0;

	for (int i = 0; i < a->n && !m; i++)
		m = proto_id_is(v, (int)a->ids[i]);
	return a->neg ? !m : m;
}

/* ndpi-protocol: a dotted value names the whole nDPI protocol, a plain one
 * either part of it. */
static int ndpi_match(const struct sig_ndpi *c, const struct flow_view *v)
{
	int m = 0;

	if (c->dotted)
		m = (int)c->id == v->whole_id;
	else
		for (int i = 0; i < v->n_parts && !m; i++)
			m = (int)c->id == v->part_id[i];
	return c->neg ? !m : m;
}

/* ndpi-risk: every listed risk is among the flow's (negated: not all). */
static int risk_match(const struct sig_risk *c, const struct flow_view *v)
{
	int all = 1;

	for (int i = 0; i < c->n && all; i++) {
		int found = 0;
		for (int j = 0; j < v->n_risk_ids && !found; j++)
			found = (int)c->ids[i] == v->risk_id[j];
		all = found;
	}
	return c->neg ? !all : all;
}

/* The record's value of a metadata buffer; NULL when not known (NULL or ""). */
static const char *buf_value(const struct flow_record *rec, int buf)
{
	const char *v = NULL;

	switch (buf) {
	case SB_DNS_QUERY: v = rec->dns_rrname; break;
	case SB_TLS_SNI: v = rec->tls_sni; break;
	case SB_HTTP_HOST: v = rec->http_host; break;
	case SB_HTTP_UA: v = rec->http_user_agent; break;
	case SB_JA3: v = rec->ja3; break;
	case SB_JA3S: v = rec->ja3s; break;
	}
	return v && *v ? v : NULL;
}

/* Set up the per-flow view (the copies are made later, on demand). */
static void view_init(struct flow_view *v, const struct sig_set *s, const struct flow_record *rec,
		      const struct flow_window *win)
{
	/* A protocol nDPI only guessed from a port or address when it gave up
	 * is no evidence: application conditions see such a flow as unknown
	 * (an unanswered SYN to port 8333 is not mining). */
	const char *p = rec->guessed ? "Unknown" : rec->ndpi_protocol;
	const char *app = rec->guessed ? "unknown" : rec->app_proto;

	v->rec = rec;
	v->win = win;
	v->app_id = app ? sig_name_find(s, app, strlen(app)) : -1;
	v->whole_id = p ? sig_name_find(s, p, strlen(p)) : -1;
	v->n_parts = 0;
	while (p && v->n_parts < 4) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		v->part_id[v->n_parts++] = sig_name_find(s, p, n);
		p = dot ? dot + 1 : NULL;
	}
	v->n_risk_ids = 0;
	for (int i = 0; s->has_risk_rules && i < rec->n_risks && i < FLOW_RECORD_MAX_RISKS; i++)
		if (rec->risks[i])
			v->risk_id[v->n_risk_ids++] = sig_name_find(s, rec->risks[i], strlen(rec->risks[i]));
	v->home_src = homenet_contains(&s->home, rec->src_addr);
	v->home_dst = homenet_contains(&s->home, rec->dest_addr);
	v->has_ports = proto_has_ports(rec->proto);
	v->has_bufs = 0;
	v->window_done = 0;
	v->magic_done = 0;
	v->dir = 0;
	for (int b = 0; b < SB__COUNT; b++) {
		v->raw[b] = NULL;
		v->len[b] = 0;
	}
	for (int b = 0; b < SB_FIRST_WINDOW; b++) {
		const char *x = buf_value(rec, b);
		v->raw[b] = (const uint8_t *)x;
		v->len[b] = x ? strlen(x) : 0;
		v->have_low[b] = v->have_dot[b] = 0;
		if (x)
			v->has_bufs |= 1u << b;
	}
}

/* Room for n bytes in the set's scratch buffer; NULL when out of memory. */
static uint8_t *scratch(struct sig_set *s, size_t n)
{
	if (n > s->scratch_cap) {
		size_t cap = n < 4096 ? 4096 : n;
		uint8_t *p = realloc(s->scratch, cap);
		if (!p)
			return NULL;
		memset(p, 0, cap);   /* PCRE2's JIT may look past a subject's end */
		s->scratch = p;
		s->scratch_cap = cap;
	}
	return s->scratch;
}

static void set_buf(struct flow_view *v, int b, const uint8_t *p, size_t n)
{
	if (!p)
		return;
	v->raw[b] = p;
	v->len[b] = n;
	v->has_bufs |= 1u << b;
}

static void set_dirbuf(struct flow_view *v, int dir, int b, const uint8_t *p, size_t n)
{
	if (!p)
		return;
	v->draw[dir][b - SB_FIRST_DIRECTIONAL] = p;
	v->dlen[dir][b - SB_FIRST_DIRECTIONAL] = n;
	v->has_bufs |= 1u << b;
}

/* The buffers of the payload window: the first request and response (or,
 * without one in the window, what nDPI extracted), the payload of each
 * direction, the HTTP bodies and the file kinds. Once per flow. */
static void view_window(struct sig_set *s, struct flow_view *v)
{
	const struct flow_record *rec = v->rec;
	struct http_view h;
	const uint8_t *uri = NULL;
	size_t uri_len = 0, need;
	uint8_t *sc;

	if (v->window_done)
		return;
	v->window_done = 1;
	memset(v->draw, 0, sizeof v->draw);
	memset(v->dlen, 0, sizeof v->dlen);
	if (v->win)
		http_parse(v->win, &h);
	else
		memset(&h, 0, sizeof h);
	if (h.request) {
		uri = h.uri.p;
		uri_len = h.uri.len;
		set_buf(v, SB_HTTP_METHOD, h.method.p, h.method.len);
		set_buf(v, SB_HTTP_REQLINE, h.request_line.p, h.request_line.len);
	} else if (rec->http_url && *rec->http_url) {
		const char *u = rec->http_url;
		size_t n = rec->http_host ? strlen(rec->http_host) : 0;
		if (n && strncmp(u, rec->http_host, n) == 0 && u[n] == '/')
			u += n;
		uri = (const uint8_t *)u;
		uri_len = strlen(u);
		if (rec->http_method)
			set_buf(v, SB_HTTP_METHOD, (const uint8_t *)rec->http_method,
				strlen(rec->http_method));
	}
	/* scratch: the normalised URI, then (nDPI only) the request line */
	need = uri_len * 2 + 64;
	sc = uri ? scratch(s, need) : NULL;
	if (uri) {
		set_buf(v, SB_HTTP_URI_RAW, uri, uri_len);
		if (sc) {
			size_t n = http_uri_normalise(uri, uri_len, sc);
			set_buf(v, SB_HTTP_URI, sc, n);
			if (!h.request && rec->http_method) {
				uint8_t *l = sc + n;
				int k = snprintf((char *)l, need - n, "%s %.*s HTTP/1.%d", rec->http_method,
						 (int)uri_len, (const char *)uri, rec->http_version ? 1 : 0);
				if (k > 0 && (size_t)k < need - n)
					set_buf(v, SB_HTTP_REQLINE, l, (size_t)k);
			}
		}
	}
	if (h.response)
		set_buf(v, SB_HTTP_STAT_CODE, h.stat_code.p, h.stat_code.len);
	else if (rec->http_status && rec->http_status < 1000) {
		v->stat[0] = (char)('0' + rec->http_status / 100);
		v->stat[1] = (char)('0' + rec->http_status / 10 % 10);
		v->stat[2] = (char)('0' + rec->http_status % 10);
		set_buf(v, SB_HTTP_STAT_CODE, (const uint8_t *)v->stat, 3);
	}
	if (h.ctype_rsp.p)
		set_buf(v, SB_HTTP_CTYPE, h.ctype_rsp.p, h.ctype_rsp.len);
	else if (h.ctype_req.p)
		set_buf(v, SB_HTTP_CTYPE, h.ctype_req.p, h.ctype_req.len);
	else if (rec->http_content_type && *rec->http_content_type)
		set_buf(v, SB_HTTP_CTYPE, (const uint8_t *)rec->http_content_type,
			strlen(rec->http_content_type));
	if (!v->win)
		return;
	memset(v->mstart, 0, sizeof v->mstart);
	for (int d = 0; d < 2; d++) {
		const uint8_t *start = v->win->data[d];
		size_t n = v->win->len[d];
		int http = d == 0 ? h.request : h.response;
		if (!n)
			continue;
		set_dirbuf(v, d, SB_PKT, start, n);
		if (http && h.body[d].p && h.body[d].len) {
			set_dirbuf(v, d, SB_FILEDATA, h.body[d].p, h.body[d].len);
			start = h.body[d].p;
			n = h.body[d].len;
		} else if (http) {
			continue;   /* no body (yet): no file */
		}
		v->mstart[d] = start;
		v->mlen[d] = n;
	}
}

/* SB_FILEMAGIC of each direction, on first use (after view_window). */
static void view_magic(struct flow_view *v)
{
	if (v->magic_done)
		return;
	v->magic_done = 1;
	for (int d = 0; d < 2; d++) {
		const char *magic = v->mstart[d] ? http_filemagic(v->mstart[d], v->mlen[d]) : NULL;
		if (magic)
			set_dirbuf(v, d, SB_FILEMAGIC, (const uint8_t *)magic, strlen(magic));
	}
}

/* Buffer b's bytes for the direction being evaluated; NULL when none. */
static const uint8_t *buf_get(const struct flow_view *v, int b, size_t *len)
{
	if (b >= SB_FIRST_DIRECTIONAL) {
		*len = v->dlen[v->dir][b - SB_FIRST_DIRECTIONAL];
		return v->draw[v->dir][b - SB_FIRST_DIRECTIONAL];
	}
	*len = v->len[b];
	return v->raw[b];
}

/* Metadata buffer b as a match sees it: lowercase or not, with a leading
 * '.' or not. NULL when the flow has no value or it is too long for a
 * copy. */
static const char *view_get(struct flow_view *v, int b, int lower, int dot, size_t *len)
{
	size_t n = v->len[b];
	const char *raw = (const char *)v->raw[b];

	if (!raw)
		return NULL;
	*len = n + (dot ? 1 : 0);
	if (!lower && !dot)
		return raw;
	if (n > VIEW_MAX || b >= SB_FIRST_WINDOW)
		return NULL;
	if (lower) {
		if (!v->have_low[b]) {
			v->low[b][0] = '.';
			for (size_t i = 0; i < n; i++) {
				char c = raw[i];
				v->low[b][i + 1] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
			}
			v->low[b][n + 1] = '\0';
			v->have_low[b] = 1;
		}
		return dot ? v->low[b] : v->low[b] + 1;
	}
	if (!v->have_dot[b]) {
		v->dot[b][0] = '.';
		memcpy(v->dot[b] + 1, raw, n);
		v->dot[b][n + 1] = '\0';
		v->have_dot[b] = 1;
	}
	return v->dot[b];
}

/* Bytes equal, ASCII case folded when fold (the pattern of a nocase
 * content is stored lowercase). */
static int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n, int fold)
{
	if (!fold)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (x != b[i])
			return 0;
	}
	return 1;
}

/* The first occurrence of the pattern starting in [from, to - len] of
 * buf, -1 if none. */
static long find_from(const struct sig_match *m, const uint8_t *buf, size_t from, size_t to, int fold)
{
	if (to < from || to - from < m->len)
		return -1;
	if (!fold) {
		const uint8_t *p = memmem(buf + from, to - from, m->pat, m->len);
		return p ? (long)(p - buf) : -1;
	}
	for (size_t p = from; p + m->len <= to; p++)
		if (bytes_eq(buf + p, m->pat, m->len, 1))
			return (long)p;
	return -1;
}

/* bsize: the buffer's length against the rule's size (offset, depth hold
 * the bounds). */
static int bsize_ok(const struct sig_match *m, size_t len)
{
	switch (m->op) {
	case BS_EQ: return len == m->offset;
	case BS_LT: return len < m->offset;
	case BS_GT: return len > m->offset;
	case BS_LE: return len <= m->offset;
	case BS_GE: return len >= m->offset;
	case BS_RANGE: return len > m->offset && len < m->depth;
	}
	return 0;
}

/* The window [lo, hi) a content may occupy, from its absolute (offset,
 * depth, startswith, endswith) or relative (distance, within: from prev,
 * the end of the previous match in the buffer) modifiers. 0 when empty. */
static int content_span(const struct sig_match *m, size_t len, size_t prev, size_t *lo, size_t *hi)
{
	size_t a = 0, b = len;

	if (m->flags & (SMF_DISTANCE | SMF_WITHIN)) {
		long start = (long)prev + ((m->flags & SMF_DISTANCE) ? m->distance : 0);
		a = start < 0 ? 0 : (size_t)start;
		if ((m->flags & SMF_WITHIN) && prev + m->within < b)
			b = prev + m->within;
	} else {
		if (m->flags & SMF_OFFSET)
			a = m->offset;
		if ((m->flags & SMF_DEPTH) && a + m->depth < b)
			b = a + m->depth;
	}
	if (a > b || b - a < m->len)
		return 0;
	if (m->flags & SMF_STARTS)
		b = a + m->len;
	if (m->flags & SMF_ENDS) {
		if (b != len)
			return 0;
		a = b - m->len;
	}
	*lo = a;
	*hi = b;
	return 1;
}

/* 1 if match m + 1 .. end (of one buffer) relies on where m matched. */
static int next_relative(const struct sig_match *m, const struct sig_match *end)
{
	const struct sig_match *n = m + 1;

	if (n == end)
		return 0;
	if (n->kind == SM_CONTENT)
		return (n->flags & (SMF_DISTANCE | SMF_WITHIN)) != 0;
	return (n->flags & SMF_RELATIVE) != 0;
}

/* Matches m .. end - 1, all on one buffer (buf, len; fold: nocase
 * contents compare folded), in order: each relative one placed after
 * where the one before it matched (prev). A content that is followed by
 * a relative match is tried at each of its occurrences in turn until the
 * rest fits, as Suricata does, within the view's step budget. */
static int chain(struct sig_set *s, struct flow_view *v, const struct sig_match *m,
		 const struct sig_match *end, const uint8_t *buf, size_t len, size_t prev)
{
	if (m == end)
		return 1;
	if (v->steps-- <= 0)
		return 0;
	switch (m->kind) {
	case SM_BSIZE:
		return bsize_ok(m, len) && chain(s, v, m + 1, end, buf, len, prev);
	case SM_ISDATAAT: {
		size_t at = ((m->flags & SMF_RELATIVE) ? prev : 0) + m->offset;
		int ok = at < len;
		if (m->flags & SMF_NEG)
			ok = !ok;
		return ok && chain(s, v, m + 1, end, buf, len, prev);
	}
	case SM_PCRE: {
		size_t from = (m->flags & SMF_RELATIVE) ? prev : 0;
		int rc;
		if (from > len)
			return 0;
		/* as Suricata: a relative pcre sees the buffer from there on
		 * (so '^' anchors at the previous match's end) */
		rc = pcre2_match(m->re, (PCRE2_SPTR)(buf + from), len - from, 0, 0, s->md, NULL);
		if (m->flags & SMF_NEG)
			return rc < 0 && chain(s, v, m + 1, end, buf, len, prev);
		if (rc < 0)
			return 0;
		return chain(s, v, m + 1, end, buf, len, from + pcre2_get_ovector_pointer(s->md)[1]);
	}
	default: {
		int fold = (m->flags & SMF_NOCASE) != 0;
		size_t lo, hi;
		long at;
		if (!content_span(m, len, prev, &lo, &hi)) {
			if (m->flags & SMF_NEG)
				return chain(s, v, m + 1, end, buf, len, prev);
			return 0;
		}
		at = find_from(m, buf, lo, hi, fold);
		if (m->flags & SMF_NEG)
			return at < 0 && chain(s, v, m + 1, end, buf, len, prev);
		while (at >= 0) {
			if (chain(s, v, m + 1, end, buf, len, (size_t)at + m->len))
				return 1;
			if (!next_relative(m, end) || v->steps <= 0)
				return 0;
			at = find_from(m, buf, (size_t)at + 1, hi, fold);
		}
		return 0;
	}
	}
}

/* The matches of one buffer, m .. end - 1. A buffer the flow does not
 * have never matches, negated or not (as Suricata). */
static int match_buffer(struct sig_set *s, const struct sig_match *m, const struct sig_match *end,
			struct flow_view *v)
{
	int b = m->buf, dot = (m->flags & SMF_DOTPREFIX) != 0;
	const uint8_t *buf;
	size_t len;

	buf = buf_get(v, b, &len);
	if (!buf)
		return 0;
	if (b < SB_FIRST_WINDOW) {
		/* metadata: short strings, one cheap pass per match (the
		 * lowercase and dotprefix views) unless a match is relative */
		int relative = 0;
		for (const struct sig_match *x = m; x < end; x++)
			if ((x->kind == SM_CONTENT && (x->flags & (SMF_DISTANCE | SMF_WITHIN))) ||
			    (x->kind != SM_CONTENT && (x->flags & SMF_RELATIVE)))
				relative = 1;
		if (!relative) {
			for (; m < end; m++) {
				int nocase = (m->flags & SMF_NOCASE) != 0, found;
				const char *p;
				size_t n, lo, hi;
				switch (m->kind) {
				case SM_CONTENT:
					p = view_get(v, b, nocase, dot, &n);
					if (p)
						found = content_span(m, n, 0, &lo, &hi) &&
							find_from(m, (const uint8_t *)p, lo, hi, 0) >= 0;
					else if (!dot)   /* too long for a lowercase copy */
						found = content_span(m, len, 0, &lo, &hi) &&
							find_from(m, buf, lo, hi, 1) >= 0;
					else
						return 0;
					break;
				case SM_PCRE:
					p = view_get(v, b, 0, dot, &n);
					if (!p)
						return 0;
					found = pcre2_match(m->re, (PCRE2_SPTR)p, n, 0, 0, s->md, NULL) >= 0;
					break;
				case SM_ISDATAAT:
					found = m->offset < len + (dot ? 1 : 0);
					break;
				default:
					found = bsize_ok(m, len + (dot ? 1 : 0));
				}
				if ((m->flags & SMF_NEG) ? found : !found)
					return 0;
			}
			return 1;
		}
		if (dot) {
			const char *p = view_get(v, b, 0, 1, &len);
			if (!p)
				return 0;
			buf = (const uint8_t *)p;
		}
	}
	return chain(s, v, m, end, buf, len, 0);
}

/* The quick checks of a rule (struct sig_hot): 0 when the rule cannot
 * match the flow, 1 when the full rule must be evaluated. */
static int hot_pass(struct sig_set *s, const struct sig_hot *h, struct flow_view *v)
{
	const char *p;
	size_t len;

	if (h->need_bufs >> SB_FIRST_WINDOW)
		view_window(s, v);
	if (h->need_bufs & (1u << SB_FILEMAGIC))
		view_magic(v);
	if (h->need_bufs & ~v->has_bufs)
		return 0;
	if (h->app.n && !app_match(&h->app, v))
		return 0;
	if (!h->qbuf)
		return 1;
	p = view_get(v, h->qbuf, h->qflags & HOT_Q_NOCASE, h->qflags & HOT_Q_DOT, &len);
	if (!p)
		return 1;   /* too long for a view: the full match decides */
	if (len < h->qmin)
		return 0;
	if (h->qflags & HOT_Q_ENDS)
		p += len - h->qlen;
	for (int i = 0; i < h->qlen; i++)
		if ((uint8_t)p[i] != h->q[i])
			return 0;
	return 1;
}

/* Every buffer match of r, in the direction v->dir for the directional
 * buffers. */
static int matches_ok(struct sig_set *s, const struct sig_rule *r, struct flow_view *v)
{
	const struct sig_match *m = r->matches, *end = r->matches + r->n_matches;

	v->steps = MATCH_STEPS;
	while (m < end) {
		const struct sig_match *g = m;
		while (g < end && g->buf == m->buf)
			g++;
		if (!match_buffer(s, m, g, v))
			return 0;
		m = g;
	}
	return 1;
}

/* Every condition of r but its buffer matches: protocol, addresses and
 * ports, flow state, application and risk conditions. */
static int rule_header_match(const struct sig_rule *r, struct flow_view *v)
{
	const struct flow_record *rec = v->rec;

	int fwd, rev;

	if (r->l4a && rec->proto != r->l4a && rec->proto != r->l4b)
		return 0;
	/* the header names the packet's sender first, as in Suricata: a
	 * flow:to_client rule is written from the responder's side */
	fwd = endpoints_match(r, rec->src_addr, v->home_src, rec->src_port, rec->dest_addr,
			      v->home_dst, rec->dest_port, v->has_ports);
	rev = (r->bidir || r->dir == 2) &&
	      endpoints_match(r, rec->dest_addr, v->home_dst, rec->dest_port, rec->src_addr,
			      v->home_src, rec->src_port, v->has_ports);
	if (r->dir == 2 ? !(rev || (r->bidir && fwd)) : !(fwd || rev))
		return 0;
	if (r->flow_state) {
		int est = rec->state && (strcmp(rec->state, "established") == 0 ||
					 strcmp(rec->state, "closed") == 0);
		if (est != (r->flow_state == SF_ESTABLISHED))
			return 0;
	}
	for (int i = 0; i < r->n_apps; i++)
		if (!app_match(&r->apps[i], v))
			return 0;
	for (int i = 0; i < r->n_ndpi; i++)
		if (!ndpi_match(&r->ndpi[i], v))
			return 0;
	for (int i = 0; i < r->n_risks; i++)
		if (!risk_match(&r->risks[i], v))
			return 0;
	return 1;
}

/* Every header and option condition of r against the flow (thresholds
 * aside; the header's application protocol and the presence of the
 * buffers were checked by hot_pass). Cheap tests first, buffer matches
 * last; a rule on pkt_data, file.data or filemagic is tried on the
 * direction its flow keyword names, or on each. */
static int rule_match(struct sig_set *s, const struct sig_rule *r, struct flow_view *v)
{
	if (!rule_header_match(r, v))
		return 0;
	if (!r->directional) {
		v->dir = 0;
		return matches_ok(s, r, v);
	}
	for (int d = 0; d < 2; d++) {
		if (r->dir && r->dir != d + 1)
			continue;
		v->dir = d;
		if (matches_ok(s, r, v))
			return 1;
	}
	return 0;
}

/* Fill the alert of rule r for the flow (the flow's orientation: src is
 * the initiator even when "<>" matched the other way round). */
static void build_alert(const struct sig_set *s, const struct sig_rule *r,
			const struct flow_record *rec, uint64_t now_us, struct alert *a)
{
	const struct sig_class *c = r->class_idx >= 0 ? &s->classes[r->class_idx] : NULL;

	memset(a, 0, sizeof *a);
	a->ts_us = now_us;
	a->engine = ALERT_SIGNATURE;
	a->gid = r->gid;
	a->sid = r->sid;
	a->rev = r->rev;
	a->signature = r->msg;
	a->classtype = c ? c->name : NULL;
	a->category = c ? c->desc : NULL;
	a->severity = r->priority ? r->priority : c ? c->prio : 3;
	a->rule_text = r->text;
	for (int i = 0; i < r->n_refs; i++)
		a->references[i] = r->refs[i];
	a->n_references = r->n_refs;
	for (int i = 0; i < r->n_meta; i++)
		a->meta[i] = r->meta[i];
	a->n_meta = r->n_meta;
	a->proto = rec->proto;
	snprintf(a->src_ip, sizeof a->src_ip, "%s", rec->src_ip);
	snprintf(a->dest_ip, sizeof a->dest_ip, "%s", rec->dest_ip);
	a->src_port = rec->src_port;
	a->dest_port = rec->dest_port;
	a->has_ports = proto_has_ports(rec->proto);
	a->app_proto = rec->app_proto;
	a->flow = rec;
	a->flow_ids[0] = rec->flow_id;
	a->n_flow_ids = 1;
}

/* The rule list for the flow's IP protocol (besides PL_ANY). */
static const struct sig_idx_list *proto_list(const struct sig_set *s, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return &s->plist[PL_TCP];
	case IPPROTO_UDP: return &s->plist[PL_UDP];
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return &s->plist[PL_ICMP];
	case IPPROTO_SCTP: return &s->plist[PL_SCTP];
	default: return NULL;
	}
}

/* Walk the protocol's rules and the protocol-less ones together, in load
 * order (both lists are sorted), matching each rule of the phase against
 * the flow. */
int sig_match_flow_phase(struct sig_set *s, const struct flow_record *rec,
			 const struct flow_window *win, int phase, uint64_t now_us,
			 alert_fn cb, void *ctx)
{
	const struct sig_idx_list *any = &s->plist[PL_ANY], *pl = proto_list(s, rec->proto);
	size_t ia = 0, ip = 0, np = pl ? pl->n : 0;
	int alerts = 0;

	/* the window phase walks the window rules only (in load order; the
	 * header's IP protocol is checked by rule_header_match) */
	if (phase == SIG_PHASE_WINDOW) {
		any = &s->wlist;
		np = 0;
	}
	struct flow_view v;
	const struct sig_app *no_app = NULL;   /* an application the flow is not */

	if (any->n == 0 && np == 0)
		return 0;
	if (phase == SIG_PHASE_META)
		s->window_applies = 0;
	if (phase == SIG_PHASE_WINDOW && s->n_window_rules == 0)
		return 0;
	view_init(&v, s, rec, win);

	while (ia < any->n || ip < np) {
		uint32_t ri;
		const struct sig_rule *r;

		if (ip >= np || (ia < any->n && any->v[ia] < pl->v[ip]))
			ri = any->v[ia++];
		else
			ri = pl->v[ip++];
		r = s->rules[ri];
		if (phase == SIG_PHASE_META && r->window) {
			/* not now: but will the window be worth keeping? (rules on
			 * the same application as one that did not fit are skipped) */
			const struct sig_app *ha = &s->hot[ri].app;
			if (s->window_applies || (ha->n && no_app && ha->ids[0] == no_app->ids[0] &&
						  ha->n == no_app->n && ha->neg == no_app->neg))
				continue;
			if (ha->n && !app_match(ha, &v))
				no_app = ha;
			else if (rule_header_match(r, &v))
				s->window_applies = 1;
			continue;
		}
		if (phase == SIG_PHASE_WINDOW && !r->window)
			continue;
		if (!hot_pass(s, &s->hot[ri], &v))
			continue;
		if (!rule_match(s, r, &v) || !thr_pass(s, r, ri, rec, now_us))
			continue;
		alerts++;
		if (cb) {
			struct alert a;
			build_alert(s, r, rec, now_us, &a);
			cb(ctx, &a);
		}
	}
	return alerts;
}

int sig_match_flow(struct sig_set *s, const struct flow_record *rec, uint64_t now_us,
		   alert_fn cb, void *ctx)
{
	return sig_match_flow_phase(s, rec, NULL, SIG_PHASE_ALL, now_us, cb, ctx);
}

int sig_window_rules(const struct sig_set *s)
{
	return s->n_window_rules;
}

int sig_window_applies(const struct sig_set *s)
{
	return s->window_applies;
}

int sig_window_proto(const struct sig_set *s, uint8_t proto)
{
	uint8_t bit = proto == IPPROTO_TCP ? WL4_TCP : proto == IPPROTO_UDP ? WL4_UDP : WL4_OTHER;

	return (s->window_l4 & bit) != 0;
}
