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
 * dotprefix / pcre on a dotprefix buffer do not match them. */
#define VIEW_MAX 512

/* What every rule asks of one flow, worked out once per sig_match_flow:
 * $HOME_NET membership of both ends and the sticky buffers' values, plus
 * (on first use) a lowercase copy and a copy with a leading '.' of each
 * buffer, so that nocase and dotprefix compare with plain memcmp. */
struct flow_view {
	const struct flow_record *rec;
	int home_src, home_dst;
	int has_ports;
	int app_id;                      /* ids in the name table, -1: none */
	int whole_id;                    /* the whole nDPI name */
	int part_id[4];                  /* its dotted parts */
	int n_parts;
	int risk_id[FLOW_RECORD_MAX_RISKS];
	int n_risk_ids;
	const char *raw[SB__COUNT];      /* NULL: the flow has no value */
	uint8_t has_bufs;                /* 1 << enum sig_buf of the values */
	size_t len[SB__COUNT];
	uint8_t have_low[SB__COUNT], have_dot[SB__COUNT];
	char low[SB__COUNT][VIEW_MAX + 2];   /* '.' + lowercase value */
	char dot[SB__COUNT][VIEW_MAX + 2];   /* '.' + value */
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

/* The record's value of a sticky buffer; NULL when not known (NULL or ""). */
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
static void view_init(struct flow_view *v, const struct sig_set *s, const struct flow_record *rec)
{
	/* A protocol nDPI only guessed from a port or address when it gave up
	 * is no evidence: application conditions see such a flow as unknown
	 * (an unanswered SYN to port 8333 is not mining). */
	const char *p = rec->guessed ? "Unknown" : rec->ndpi_protocol;
	const char *app = rec->guessed ? "unknown" : rec->app_proto;

	v->rec = rec;
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
	for (int b = 0; b < SB__COUNT; b++) {
		v->raw[b] = buf_value(rec, b);
		v->len[b] = v->raw[b] ? strlen(v->raw[b]) : 0;
		v->have_low[b] = v->have_dot[b] = 0;
		if (v->raw[b])
			v->has_bufs |= (uint8_t)(1u << b);
	}
}

/* Buffer b as a match sees it: lowercase or not, with a leading '.' or
 * not. NULL when the flow has no value or it is too long for a copy. */
static const char *view_get(struct flow_view *v, int b, int lower, int dot, size_t *len)
{
	size_t n = v->len[b];

	if (!v->raw[b])
		return NULL;
	*len = n + (dot ? 1 : 0);
	if (!lower && !dot)
		return v->raw[b];
	if (n > VIEW_MAX)
		return NULL;
	if (lower) {
		if (!v->have_low[b]) {
			v->low[b][0] = '.';
			for (size_t i = 0; i <= n; i++) {
				char c = v->raw[b][i];
				v->low[b][i + 1] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
			}
			v->have_low[b] = 1;
		}
		return dot ? v->low[b] : v->low[b] + 1;
	}
	if (!v->have_dot[b]) {
		v->dot[b][0] = '.';
		memcpy(v->dot[b] + 1, v->raw[b], n + 1);
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

/* 1 if the content occurs in buf within its offset/depth window and at the
 * start / end when startswith / endswith ask for it (negation not applied).
 * fold: buf is not lowercased yet but the pattern is. */
static int content_found(const struct sig_match *m, const uint8_t *buf, size_t len, int fold)
{
	size_t start = (m->flags & SMF_OFFSET) ? m->offset : 0, end = len;

	if (m->flags & SMF_DEPTH) {
		size_t lim = (size_t)start + m->depth;
		if (lim < end)
			end = lim;
	}
	if (start > end || end - start < m->len)
		return 0;
	if (m->flags & SMF_STARTS)
		end = start + m->len;
	if (m->flags & SMF_ENDS) {
		if (end != len)
			return 0;
		start = end - m->len;
	}
	if (end - start == m->len)
		return bytes_eq(buf + start, m->pat, m->len, fold);
	if (!fold)
		return memmem(buf + start, end - start, m->pat, m->len) != NULL;
	for (size_t p = start; p + m->len <= end; p++)
		if (bytes_eq(buf + p, m->pat, m->len, 1))
			return 1;
	return 0;
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

/* One content / pcre / bsize on its buffer. A buffer the flow does not have
 * never matches, negated or not (as Suricata). */
static int match_one(struct sig_set *s, const struct sig_match *m, struct flow_view *v)
{
	int dot = (m->flags & SMF_DOTPREFIX) != 0, nocase = (m->flags & SMF_NOCASE) != 0;
	const char *p;
	size_t len;
	int found;

	if (!v->raw[m->buf])
		return 0;
	switch (m->kind) {
	case SM_CONTENT:
		p = view_get(v, m->buf, nocase, dot, &len);
		if (p)
			found = content_found(m, (const uint8_t *)p, len, 0);
		else if (!dot)   /* too long for a lowercase copy */
			found = content_found(m, (const uint8_t *)v->raw[m->buf], v->len[m->buf], 1);
		else
			return 0;
		break;
	case SM_PCRE:
		p = view_get(v, m->buf, 0, dot, &len);
		if (!p)
			return 0;
		found = pcre2_match(m->re, (PCRE2_SPTR)p, len, 0, 0, s->md, NULL) >= 0;
		break;
	default:
		found = bsize_ok(m, v->len[m->buf] + (dot ? 1 : 0));
	}
	return (m->flags & SMF_NEG) ? !found : found;
}

/* The quick checks of a rule (struct sig_hot): 0 when the rule cannot
 * match the flow, 1 when the full rule must be evaluated. */
static int hot_pass(const struct sig_hot *h, struct flow_view *v)
{
	const char *p;
	size_t len;

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

/* Every header and option condition of r against the flow (thresholds
 * aside; the header's application protocol and the presence of the
 * buffers were checked by hot_pass). Cheap tests first, buffer matches
 * last. */
static int rule_match(struct sig_set *s, const struct sig_rule *r, struct flow_view *v)
{
	const struct flow_record *rec = v->rec;

	if (r->l4a && rec->proto != r->l4a && rec->proto != r->l4b)
		return 0;
	if (!endpoints_match(r, rec->src_addr, v->home_src, rec->src_port, rec->dest_addr,
			     v->home_dst, rec->dest_port, v->has_ports) &&
	    !(r->bidir && endpoints_match(r, rec->dest_addr, v->home_dst, rec->dest_port,
					  rec->src_addr, v->home_src, rec->src_port, v->has_ports)))
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
	for (int i = 0; i < r->n_matches; i++)
		if (!match_one(s, &r->matches[i], v))
			return 0;
	return 1;
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
 * order (both lists are sorted), matching each against the flow. */
int sig_match_flow(struct sig_set *s, const struct flow_record *rec, uint64_t now_us,
		   alert_fn cb, void *ctx)
{
	const struct sig_idx_list *any = &s->plist[PL_ANY], *pl = proto_list(s, rec->proto);
	size_t ia = 0, ip = 0, np = pl ? pl->n : 0;
	int alerts = 0;
	struct flow_view v;

	if (any->n == 0 && np == 0)
		return 0;
	view_init(&v, s, rec);

	while (ia < any->n || ip < np) {
		uint32_t ri;
		const struct sig_rule *r;

		if (ip >= np || (ia < any->n && any->v[ia] < pl->v[ip]))
			ri = any->v[ia++];
		else
			ri = pl->v[ip++];
		if (!hot_pass(&s->hot[ri], &v))
			continue;
		r = s->rules[ri];
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
