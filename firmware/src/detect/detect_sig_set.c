/*
 * detect_sig_set.c - the signature rule set (see detect_sig_set.h): its
 * life, the arena rules live in, the classification table (with the
 * built-in one), the table of protocol / risk names, and adding a parsed
 * rule (the sid index, the per-protocol rule lists, the quick checks).
 *
 * The parser (detect_sig_parse.c) fills a set through these functions and
 * the matcher (detect_sig_match.c) reads it; neither uses the other.
 */
#include "detect_sig_set.h"

#include <netinet/in.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* ---- set lifecycle ----------------------------------------------------------- */

/* An empty set with the built-in classification table. */
struct sig_set *sig_set_new(const struct homenet *home)
{
	struct sig_set *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	if (home)
		s->home = *home;
	s->md = pcre2_match_data_create(1, NULL);
	if (!s->md)
		goto fail;
	if (sig_class_builtin(s) < 0)
		goto fail;
	return s;
fail:
	sig_set_free(s);
	return NULL;
}

/* Free the rules (their compiled pcres), the tables and the arena. */
void sig_set_free(struct sig_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rules; i++)
		for (int j = 0; j < s->rules[i]->n_matches; j++)
			pcre2_code_free(s->rules[i]->matches[j].re);
	for (int i = 0; i < PL__COUNT; i++)
		free(s->plist[i].v);
	free(s->wlist.v);
	free(s->rules);
	free(s->hot);
	free(s->classes);
	for (size_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->names);
	free(s->name_len);
	free(s->sid_keys);
	free(s->sid_rule);
	free(s->thr);
	pcre2_match_data_free(s->md);
	free(s->scratch);
	sig_arena_free(&s->arena);
	free(s);
}

/* Rules loaded (bad and unsupported ones are not counted). */
size_t sig_count(const struct sig_set *s)
{
	return s->n_rules;
}

/* ---- arena ----------------------------------------------------------------- */

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16

struct sig_arena_chunk {
	struct sig_arena_chunk *prev;
	size_t used, cap;
	alignas(ARENA_ALIGN) unsigned char data[];
};

/* n zeroed bytes, 16-aligned, owned by the arena. Rules are thousands of
 * small pieces freed all at once, which an arena does in a few calls. */
void *sig_arena_alloc(struct sig_arena *a, size_t n)
{
	struct sig_arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need == 0)
		need = ARENA_ALIGN;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->prev = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

/* A NUL-terminated copy of the first n bytes of s in the arena. */
char *sig_arena_strndup(struct sig_arena *a, const char *s, size_t n)
{
	char *d = sig_arena_alloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* A copy of s in the arena. */
char *sig_arena_strdup(struct sig_arena *a, const char *s)
{
	return sig_arena_strndup(a, s, strlen(s));
}

/* Where the arena stands now, so a rule that fails half-way can give back
 * what it allocated (sig_arena_rewind). */
struct sig_arena_mark sig_arena_mark(const struct sig_arena *a)
{
	struct sig_arena_mark m = { a->head, a->head ? a->head->used : 0 };
	return m;
}

/* Free everything allocated after mark m. */
void sig_arena_rewind(struct sig_arena *a, struct sig_arena_mark m)
{
	while (a->head && a->head != m.chunk) {
		struct sig_arena_chunk *prev = a->head->prev;
		free(a->head);
		a->head = prev;
	}
	if (a->head)
		a->head->used = m.used;
}

/* Free every chunk. */
void sig_arena_free(struct sig_arena *a)
{
	struct sig_arena_mark none = { NULL, 0 };
	sig_arena_rewind(a, none);
}

/* ---- classification table ---------------------------------------------------- */

/* vigil's own classification table, the same as rules/classification.config
 * (a unit test checks they agree):
 * Suricata's class names, vigil's descriptions, 1 = most severe. */
static const struct { const char *name, *desc; int prio; } builtin_classes[] = {
	{ "not-suspicious", "Ordinary traffic that is no sign of an attack", 3 },
	{ "unknown", "Traffic of unknown nature", 3 },
	{ "bad-unknown", "Traffic that may be malicious", 2 },
	{ "attempted-recon", "Attempt to gather information about a host", 2 },
	{ "successful-recon-limited", "Some information about a host was disclosed", 2 },
	{ "successful-recon-largescale", "Much information about hosts was disclosed", 2 },
	{ "attempted-dos", "Attempt to make a service unavailable", 2 },
	{ "successful-dos", "A service was made unavailable", 2 },
	{ "attempted-user", "Attempt to obtain a user's rights on a host", 1 },
	{ "unsuccessful-user", "Failed attempt to obtain a user's rights", 1 },
	{ "successful-user", "A user's rights on a host were obtained", 1 },
	{ "attempted-admin", "Attempt to obtain administrator rights on a host", 1 },
	{ "successful-admin", "Administrator rights on a host were obtained", 1 },
	{ "rpc-portmap-decode", "RPC portmapper request seen", 2 },
	{ "shellcode-detect", "Machine code sent over the network", 1 },
	{ "string-detect", "A suspicious text was seen", 3 },
	{ "suspicious-filename-detect", "A suspicious file name was seen", 2 },
	{ "suspicious-login", "Login with a suspicious account name", 2 },
	{ "system-call-detect", "An operating system call was seen", 2 },
	{ "tcp-connection", "A TCP connection was seen", 4 },
	{ "trojan-activity", "Malware or trojan traffic", 1 },
	{ "unusual-client-port-connection", "Client connecting from an unusual port", 2 },
	{ "network-scan", "Scan of hosts or ports", 3 },
	{ "denial-of-service", "Traffic of a denial of service", 2 },
	{ "non-standard-protocol", "A protocol or event that breaks the standard", 2 },
	{ "protocol-command-decode", "A protocol command of interest was seen", 3 },
	{ "web-application-activity", "Use of a web application that may be vulnerable", 2 },
	{ "web-application-attack", "Attack on a web application", 1 },
	{ "misc-activity", "Other activity worth noting", 3 },
	{ "misc-attack", "Other kind of attack", 2 },
	{ "icmp-event", "An ICMP message of interest", 3 },
	{ "inappropriate-content", "Content that is out of place on this network", 1 },
	{ "policy-violation", "Traffic that may break the site's policy", 1 },
	{ "default-login-attempt", "Login with a vendor's default account or password", 2 },
	{ "targeted-activity", "Activity aimed at this organisation", 1 },
	{ "exploit-kit", "Exploit kit traffic", 1 },
	{ "external-ip-check", "A host asked a service for its public address", 2 },
	{ "domain-c2", "Contact with a domain used to control malware", 1 },
	{ "pup-activity", "Software the user probably did not want", 2 },
	{ "credential-theft", "Passwords or other credentials being stolen", 1 },
	{ "social-engineering", "Attempt to trick a user", 2 },
	{ "coin-mining", "Cryptocurrency mining", 2 },
	{ "command-and-control", "Malware talking to its controller", 1 },
};

/* Put the built-in table into a new set; 0, or -1 when out of memory. */
int sig_class_builtin(struct sig_set *s)
{
	for (size_t i = 0; i < sizeof builtin_classes / sizeof builtin_classes[0]; i++)
		if (sig_class_set(s, builtin_classes[i].name, builtin_classes[i].desc,
				  builtin_classes[i].prio) < 0)
			return -1;
	return 0;
}

/* Index of the classtype name (case-insensitive), -1 if unknown. */
int sig_class_find(const struct sig_set *s, const char *name)
{
	for (size_t i = 0; i < s->n_classes; i++)
		if (strcasecmp(s->classes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Add a classtype or replace one of the same name. Old strings stay in the
 * arena, so alerts already handed out keep valid pointers. 0 or -1 (no
 * memory). */
int sig_class_set(struct sig_set *s, const char *name, const char *desc, int prio)
{
	int i = sig_class_find(s, name);
	const char *d = sig_arena_strdup(&s->arena, desc);

	if (!d)
		return -1;
	if (i < 0) {
		const char *n = sig_arena_strdup(&s->arena, name);
		if (!n)
			return -1;
		if (s->n_classes == s->cap_classes) {
			size_t cap = s->cap_classes ? s->cap_classes * 2 : 64;
			struct sig_class *c = realloc(s->classes, cap * sizeof *c);
			if (!c)
				return -1;
			s->classes = c;
			s->cap_classes = cap;
		}
		i = (int)s->n_classes++;
		s->classes[i].name = n;
	}
	s->classes[i].desc = d;
	s->classes[i].prio = prio;
	return 0;
}

/* ---- name table ----------------------------------------------------------------- */

/* 1 if the n bytes at p equal the lowercase name (ASCII case folding: the
 * locale-aware strcasecmp is far slower and names are ASCII). */
static int fold_eq(const char *p, size_t n, const char *lower, size_t lower_len)
{
	if (n != lower_len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lower[i])
			return 0;
	}
	return 1;
}

/* Id of the n bytes at p in the name table, -1 if no rule uses the name. */
int sig_name_find(const struct sig_set *s, const char *p, size_t n)
{
	for (size_t i = 0; i < s->n_names; i++)
		if (fold_eq(p, n, s->names[i], s->name_len[i]))
			return (int)i;
	return -1;
}

int sig_name_id(struct sig_set *s, const char *name)
{
	size_t n = strlen(name);
	int id = sig_name_find(s, name, n);
	char *low;

	if (id >= 0)
		return id;
	if (s->n_names == s->cap_names) {
		size_t cap = s->cap_names ? s->cap_names * 2 : 32;
		char **v = realloc(s->names, cap * sizeof *v);
		size_t *l;
		if (!v)
			return -1;
		s->names = v;
		l = realloc(s->name_len, cap * sizeof *l);
		if (!l)
			return -1;
		s->name_len = l;
		s->cap_names = cap;
	}
	low = strdup(name);
	if (!low)
		return -1;
	for (char *c = low; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	s->names[s->n_names] = low;
	s->name_len[s->n_names] = n;
	return (int)s->n_names++;
}

/* The table, all buckets empty; NULL when out of memory. */
static struct sig_thresh_table *thr_new(void)
{
	struct sig_thresh_table *t = malloc(sizeof *t);

	if (!t)
		return NULL;
	memset(t->bucket, 0xff, sizeof t->bucket);
	if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != (ssize_t)sizeof t->seed)
		t->seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)t;
	t->used = 0;
	t->oldest = t->newest = -1;
	return t;
}

/* ---- adding rules ---------------------------------------------------------------- */

/* Append ri to an index list; -1 when out of memory. */
static int idx_push(struct sig_idx_list *l, uint32_t ri)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ri;
	return 0;
}

/* Slot of key in the sid index (its own or the empty one it would take). */
static size_t sid_slot(const struct sig_set *s, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (s->sid_cap - 1);

	while (s->sid_keys[i] != 0 && s->sid_keys[i] != key)
		i = (i + 1) & (s->sid_cap - 1);
	return i;
}

/* Double the sid index (kept at most half full); -1 when out of memory. */
static int sid_grow(struct sig_set *s)
{
	size_t old_cap = s->sid_cap, cap = old_cap ? old_cap * 2 : 1024;
	uint64_t *old_keys = s->sid_keys;
	uint32_t *old_rule = s->sid_rule;

	s->sid_keys = calloc(cap, sizeof *s->sid_keys);
	s->sid_rule = calloc(cap, sizeof *s->sid_rule);
	if (!s->sid_keys || !s->sid_rule) {
		free(s->sid_keys);
		free(s->sid_rule);
		s->sid_keys = old_keys;
		s->sid_rule = old_rule;
		return -1;
	}
	s->sid_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old_keys[i]) {
			size_t j = sid_slot(s, old_keys[i]);
			s->sid_keys[j] = old_keys[i];
			s->sid_rule[j] = old_rule[i];
		}
	free(old_keys);
	free(old_rule);
	return 0;
}

/* The per-protocol list a rule belongs to. */
static enum sig_plist rule_plist(const struct sig_rule *r)
{
	switch (r->l4a) {
	case IPPROTO_TCP: return PL_TCP;
	case IPPROTO_UDP: return PL_UDP;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return PL_ICMP;
	case IPPROTO_SCTP: return PL_SCTP;
	default: return PL_ANY;
	}
}

/* The quick-reject summary of rule r (see struct sig_hot). */
static void hot_fill(struct sig_hot *h, const struct sig_rule *r)
{
	memset(h, 0, sizeof *h);
	h->app = r->hdr_app;
	for (int i = 0; i < r->n_matches; i++) {
		const struct sig_match *m = &r->matches[i];
		h->need_bufs |= 1u << m->buf;
		if (h->qbuf || m->kind != SM_CONTENT || (m->flags & SMF_NEG) ||
		    m->buf >= SB_FIRST_WINDOW || (m->flags & (SMF_DISTANCE | SMF_WITHIN)))
			continue;
		h->qbuf = m->buf;
		h->qmin = m->len + ((m->flags & SMF_OFFSET) ? m->offset : 0);
		if (m->flags & SMF_NOCASE)
			h->qflags |= HOT_Q_NOCASE;
		if (m->flags & SMF_DOTPREFIX)
			h->qflags |= HOT_Q_DOT;
		if ((m->flags & SMF_ENDS) || ((m->flags & SMF_STARTS) && !(m->flags & SMF_OFFSET))) {
			h->qlen = (uint8_t)(m->len < 4 ? m->len : 4);
			if (m->flags & SMF_ENDS) {
				h->qflags |= HOT_Q_ENDS;
				memcpy(h->q, m->pat + m->len - h->qlen, h->qlen);
			} else {
				memcpy(h->q, m->pat, h->qlen);
			}
		}
	}
}

/* Register a parsed rule: unique (gid, sid), threshold table on first
 * need, appended to its protocol list so load order is kept. */
int sig_add_rule(struct sig_set *s, struct sig_rule *r, char *err, size_t errlen)
{
	uint64_t key = (uint64_t)r->gid << 32 | r->sid;
	uint32_t ri = (uint32_t)s->n_rules;
	size_t slot;

	if ((s->sid_used + 1) * 2 > s->sid_cap && sid_grow(s) < 0)
		goto oom;
	slot = sid_slot(s, key);
	if (s->sid_keys[slot]) {
		const struct sig_rule *first = s->rules[s->sid_rule[slot]];
		snprintf(err, errlen, "duplicate sid %u (gid %u), first defined at %s:%d",
			 r->sid, r->gid, first->file, first->line);
		return -1;
	}
	if (r->thr.type != ST_NONE && !s->thr && !(s->thr = thr_new()))
		goto oom;
	if (r->n_risks)
		s->has_risk_rules = 1;
	if (s->n_rules == s->cap_rules) {
		size_t cap = s->cap_rules ? s->cap_rules * 2 : 256;
		struct sig_rule **v = realloc(s->rules, cap * sizeof *v);
		struct sig_hot *h;
		if (!v)
			goto oom;
		s->rules = v;
		h = realloc(s->hot, cap * sizeof *h);
		if (!h)
			goto oom;
		s->hot = h;
		s->cap_rules = cap;
	}
	if (r->window && idx_push(&s->wlist, ri) < 0)
		goto oom;
	if (idx_push(&s->plist[rule_plist(r)], ri) < 0) {
		if (r->window)
			s->wlist.n--;
		goto oom;
	}
	hot_fill(&s->hot[ri], r);
	if (r->window) {
		s->n_window_rules++;
		if (r->l4a == IPPROTO_TCP)
			s->window_l4 |= WL4_TCP;
		else if (r->l4a == IPPROTO_UDP)
			s->window_l4 |= WL4_UDP;
		else if (r->l4a)
			s->window_l4 |= WL4_OTHER;
		else if (r->hdr_app.n && !r->hdr_app.neg &&
			 r->hdr_app.ids[0] == (uint32_t)sig_name_find(s, "http", 4))
			s->window_l4 |= WL4_TCP;   /* HTTP (and its proxies): TCP */
		else
			s->window_l4 |= WL4_TCP | WL4_UDP | WL4_OTHER;
	}
	s->rules[s->n_rules++] = r;
	s->sid_keys[slot] = key;
	s->sid_rule[slot] = ri;
	s->sid_used++;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}
