/*
 * detect_sig_parse.c - reading Suricata-syntax rule files and
 * classification.config into a rule set (see detect_sig.h); the set, its
 * arena and its tables are detect_sig_set.c's.
 *
 * A rule is parsed in three steps: the option list is split into
 * name/value pairs (quotes and backslash escapes respected), the header
 * (action, protocol, addresses, ports, direction) is parsed, then the
 * options are applied in order to a scratch state (sticky buffer, last
 * content) and finally copied into the set's arena. Any problem rejects the
 * whole rule: what it allocated is given back and one message names the
 * reason, so a rule is never half-applied.
 */
#include "detect_sig_set.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/log.h"

#define MAX_OPTIONS 128
#define MAX_MATCHES 32
#define MAX_CONDS 8        /* app-layer-protocol, ndpi-protocol, ndpi-risk each */
#define MAX_RISK_NAMES 16
#define MAX_NEST 8         /* nested address / port lists */
#define MAX_LIST 256       /* items in one address / port list */

struct option {
	char *name;
	char *value;             /* NULL: "name;" */
};

/* Scratch state of the rule being parsed. */
struct parse {
	struct sig_set *s;
	const char *file;        /* in the arena */
	int line;
	char err[512];           /* the first problem; "" while all is well */
	uint32_t sid_hint;       /* for messages; 0 unknown */

	struct sig_rule r;       /* header fields and scalars */
	int seen_msg, seen_sid, seen_rev, seen_gid, seen_class, seen_prio, seen_flow;
	int cur_buf;             /* enum sig_buf of the sticky buffer, SB_NONE */
	int cur_dotprefix;       /* dotprefix applies to the current buffer */
	int buf_used;            /* checks added since the buffer was chosen */
	int last_content;        /* index in m of the last content, -1 */
	int last_rel;            /* the last content or pcre (relative anchor), -1 */
	struct sig_match m[MAX_MATCHES];
	int n_m;
	struct sig_app apps[MAX_CONDS];
	int n_apps;
	struct sig_ndpi ndpi[MAX_CONDS];
	int n_ndpi;
	struct sig_risk risks[MAX_CONDS];
	int n_risks;
	const char *refs[ALERT_MAX_REFS];
	int n_refs;
	struct alert_kv meta[ALERT_MAX_META];
	int n_meta;
};

/* ---- small helpers --------------------------------------------------------- */

/* Record the reason the rule fails (the first one wins); returns -1 so
 * callers can "return fail(...)". */
__attribute__((format(printf, 2, 3)))
static int fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof ps->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Hand a problem to the caller's callback, or to the log without one. */
static void report(rule_problem_fn problem, void *ctx, const char *file, int line,
		   const char *msg)
{
	if (problem)
		problem(ctx, file, line, msg);
	else
		log_warn("%s:%d: %s", file, line, msg);
}

/* The first non-space character at or after p. */
static char *skip_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return (char *)p;
}

/* Strip leading and trailing white space in place. */
static char *trim(char *s)
{
	char *e;

	s = skip_ws(s);
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A decimal number within [0, max]; 0 ok, -1 bad. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* 1 if s is a non-empty run of letters, digits, '_', '-', '.'. */
static int is_ident(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* Remove the quotes around a value and resolve \x escapes in place; an
 * unquoted value is returned as it is. NULL (reason recorded) when the
 * quoted string is not closed or text follows it. */
static char *unquote(struct parse *ps, char *v, const char *opt)
{
	char *in, *out;

	if (*v != '"')
		return v;
	for (in = v + 1, out = v; *in && *in != '"'; in++) {
		if (*in == '\\' && in[1])
			in++;
		*out++ = *in;
	}
	if (*in != '"') {
		fail(ps, "unterminated quoted string in '%s'", opt);
		return NULL;
	}
	if (*skip_ws(in + 1)) {
		fail(ps, "unexpected text after the quoted value of '%s'", opt);
		return NULL;
	}
	*out = '\0';
	return v;
}

/* "!" in front of a value: sets *neg and returns the rest. */
static char *take_neg(char *v, uint8_t *neg)
{
	v = skip_ws(v);
	*neg = 0;
	if (*v == '!') {
		*neg = 1;
		v = skip_ws(v + 1);
	}
	return v;
}

/* ---- header: addresses ----------------------------------------------------- */

/* Items of the list whose '[' is just before p, -1 if it is not closed. */
static int count_items(const char *p)
{
	int depth = 0, n = 1;

	if (*skip_ws(p) == ']')
		return 0;
	for (; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']') {
			if (depth-- == 0)
				return n;
		} else if (*p == ',' && depth == 0)
			n++;
	}
	return -1;
}

/* Copy the next list item token (up to ',', ']', '[' or space) into tok. */
static const char *read_item(const char *p, char *tok, size_t cap)
{
	size_t n = 0;

	while (*p && *p != ',' && *p != ']' && *p != '[' && !isspace((unsigned char)*p)) {
		if (n + 1 < cap)
			tok[n++] = *p;
		p++;
	}
	tok[n] = '\0';
	return p;
}

/* One address: "a.b.c.d", IPv6, either with "/bits". */
static int parse_cidr(struct parse *ps, const char *tok, struct sig_addr *g)
{
	char buf[64];
	const char *slash = strchr(tok, '/');
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	uint64_t bits;
	int v4;

	if (alen == 0 || alen >= sizeof buf)
		return fail(ps, "bad address '%s'", tok);
	memcpy(buf, tok, alen);
	buf[alen] = '\0';
	if (ip_parse16(buf, g->addr) < 0)
		return fail(ps, "bad address '%s'", tok);
	v4 = strchr(buf, ':') == NULL;
	bits = v4 ? 32 : 128;
	if (slash && parse_uint(slash + 1, bits, &bits) < 0)
		return fail(ps, "bad address '%s'", tok);
	if (v4)
		bits += 96;
	g->kind = SA_CIDR;
	g->bits = (uint8_t)bits;
	for (int i = 0; i < 16; i++) {
		int keep = (int)bits - i * 8;
		if (keep < 8)
			g->addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));
	}
	return 0;
}

/* The list part of the address and port grammars, "[group, group, ...]"
 * at *pp: counts the items, allocates them (item_size bytes each) and
 * parses each with one(). *pp is left after the closing bracket. */
static int parse_list(struct parse *ps, const char **pp, const char *what, size_t item_size,
		      int (*one)(struct parse *, const char **, void *, int), int depth,
		      void **items_out, uint16_t *n_out)
{
	const char *p = *pp;
	int n = count_items(p + 1);
	char *items;

	if (n < 0)
		return fail(ps, "unterminated %s list '%s'", what, p);
	if (n == 0)
		return fail(ps, "empty %s list", what);
	if (n > MAX_LIST)
		return fail(ps, "%s list longer than %d items", what, MAX_LIST);
	items = sig_arena_alloc(&ps->s->arena, (size_t)n * item_size);
	if (!items)
		return fail(ps, "out of memory");
	p++;
	for (int i = 0; i < n; i++) {
		if (one(ps, &p, items + (size_t)i * item_size, depth + 1) < 0)
			return -1;
		p = skip_ws(p);
		if (*p != (i + 1 < n ? ',' : ']'))
			return fail(ps, "bad %s list near '%s'", what, p);
		p++;
	}
	*pp = p;
	*items_out = items;
	*n_out = (uint16_t)n;
	return 0;
}

static int parse_addr(struct parse *ps, const char **pp, struct sig_addr *g, int depth);
static int parse_port(struct parse *ps, const char **pp, struct sig_port *g, int depth);

/* parse_list's item callbacks */
static int addr_item(struct parse *ps, const char **pp, void *g, int depth)
{
	return parse_addr(ps, pp, g, depth);
}

static int port_item(struct parse *ps, const char **pp, void *g, int depth)
{
	return parse_port(ps, pp, g, depth);
}

/* An address group at *pp: [!]any | [!]address[/bits] | [!]$VAR | [!][group,...]. */
static int parse_addr(struct parse *ps, const char **pp, struct sig_addr *g, int depth)
{
	const char *p = skip_ws(*pp);
	char tok[128];

	if (depth > MAX_NEST)
		return fail(ps, "address list nested too deeply");
	g->neg = *p == '!';
	if (g->neg)
		p = skip_ws(p + 1);
	if (*p == '[') {
		void *items;
		if (parse_list(ps, &p, "address", sizeof *g->items, addr_item, depth, &items, &g->n) < 0)
			return -1;
		g->kind = SA_LIST;
		g->items = items;
	} else {
		p = read_item(p, tok, sizeof tok);
		if (!tok[0])
			return fail(ps, "missing address near '%s'", p);
		if (strcmp(tok, "any") == 0) {
			if (g->neg)
				return fail(ps, "bad address '!any' (it matches nothing)");
			g->kind = SA_ANY;
		} else if (tok[0] == '$') {
			if (strcmp(tok, "$HOME_NET") == 0)
				g->kind = SA_HOME;
			else if (strcmp(tok, "$EXTERNAL_NET") == 0)
				g->kind = SA_EXTERNAL;
			else
				return fail(ps, "unknown variable '%s'", tok);
		} else if (parse_cidr(ps, tok, g) < 0) {
			return -1;
		}
	}
	*pp = p;
	return 0;
}

/* A whole header address field; NULL in *out for a plain "any". */
static int parse_addr_field(struct parse *ps, const char *tok, const struct sig_addr **out)
{
	struct sig_addr *g = sig_arena_alloc(&ps->s->arena, sizeof *g);
	const char *p = tok;

	if (!g)
		return fail(ps, "out of memory");
	if (parse_addr(ps, &p, g, 0) < 0)
		return -1;
	if (*skip_ws(p))
		return fail(ps, "bad address '%s'", tok);
	*out = g->kind == SA_ANY && !g->neg ? NULL : g;
	return 0;
}

/* ---- header: ports -------------------------------------------------------------- */

/* One port item: N, a:b, a:, :b. */
static int parse_range(struct parse *ps, const char *tok, struct sig_port *g)
{
	const char *colon = strchr(tok, ':');
	uint64_t lo = 0, hi = 65535;
	char a[16];

	if (!colon) {
		if (parse_uint(tok, 65535, &lo) < 0)
			return fail(ps, "bad port '%s'", tok);
		hi = lo;
	} else {
		size_t n = (size_t)(colon - tok);
		if (n >= sizeof a || (n == 0 && !colon[1]))
			return fail(ps, "bad port '%s'", tok);
		memcpy(a, tok, n);
		a[n] = '\0';
		if ((n && parse_uint(a, 65535, &lo) < 0) ||
		    (colon[1] && parse_uint(colon + 1, 65535, &hi) < 0))
			return fail(ps, "bad port '%s'", tok);
		if (lo > hi)
			return fail(ps, "bad port range '%s'", tok);
	}
	g->kind = SP_RANGE;
	g->lo = (uint16_t)lo;
	g->hi = (uint16_t)hi;
	return 0;
}

/* A port group at *pp, the same grammar as addresses. */
static int parse_port(struct parse *ps, const char **pp, struct sig_port *g, int depth)
{
	const char *p = skip_ws(*pp);
	char tok[64];

	if (depth > MAX_NEST)
		return fail(ps, "port list nested too deeply");
	g->neg = *p == '!';
	if (g->neg)
		p = skip_ws(p + 1);
	if (*p == '[') {
		void *items;
		if (parse_list(ps, &p, "port", sizeof *g->items, port_item, depth, &items, &g->n) < 0)
			return -1;
		g->kind = SP_LIST;
		g->items = items;
	} else {
		p = read_item(p, tok, sizeof tok);
		if (!tok[0])
			return fail(ps, "missing port near '%s'", p);
		if (strcmp(tok, "any") == 0) {
			if (g->neg)
				return fail(ps, "bad port '!any' (it matches nothing)");
			g->kind = SP_ANY;
		} else if (tok[0] == '$') {
			return fail(ps, "unknown variable '%s'", tok);
		} else if (parse_range(ps, tok, g) < 0) {
			return -1;
		}
	}
	*pp = p;
	return 0;
}

/* A whole header port field; NULL in *out for a plain "any". */
static int parse_port_field(struct parse *ps, const char *tok, const struct sig_port **out)
{
	struct sig_port *g = sig_arena_alloc(&ps->s->arena, sizeof *g);
	const char *p = tok;

	if (!g)
		return fail(ps, "out of memory");
	if (parse_port(ps, &p, g, 0) < 0)
		return -1;
	if (*skip_ws(p))
		return fail(ps, "bad port '%s'", tok);
	*out = g->kind == SP_ANY && !g->neg ? NULL : g;
	return 0;
}

/* ---- header: protocol ------------------------------------------------------------- */

/* Suricata's application protocol names with the nDPI names they cover. */
static const struct { const char *name; const char *aliases[SIG_MAX_ALIASES - 1]; } app_aliases[] = {
	{ "http", { "http_proxy", "http_connect" } },
	{ "smb", { "smbv1", "smbv23" } },
	{ "krb5", { "kerberos" } },
	{ "dcerpc", { "dce_rpc" } },
	{ "ftp", { "ftp_control" } },
	{ "ftp-data", { "ftp_data" } },
	{ "dhcp", { "dhcpv6" } },
	{ "rfb", { "vnc" } },
	{ "enip", { "ethernetip" } },
	{ "pgsql", { "postgresql" } },
};

/* An application protocol name (header or app-layer-protocol) with its
 * aliases; the name is kept lowercase in the arena. */
static int resolve_app(struct parse *ps, const char *name, struct sig_app *a, const char *what)
{
	int id;

	if (!is_ident(name))
		return fail(ps, "bad %s '%s'", what, name);
	if ((id = sig_name_id(ps->s, name)) < 0)
		return fail(ps, "out of memory");
	a->n = 0;
	a->ids[a->n++] = (uint32_t)id;
	for (size_t i = 0; i < sizeof app_aliases / sizeof app_aliases[0]; i++) {
		if (strcasecmp(app_aliases[i].name, name) != 0)
			continue;
		for (int j = 0; j < SIG_MAX_ALIASES - 1 && app_aliases[i].aliases[j]; j++) {
			if ((id = sig_name_id(ps->s, app_aliases[i].aliases[j])) < 0)
				return fail(ps, "out of memory");
			a->ids[a->n++] = (uint32_t)id;
		}
	}
	return 0;
}

/* The header's protocol: an IP protocol or an application protocol. */
static int parse_proto(struct parse *ps, const char *tok)
{
	static const struct { const char *name; uint8_t a, b; } l4[] = {
		{ "ip", 0, 0 }, { "ipv4", 0, 0 }, { "ipv6", 0, 0 },
		{ "tcp", 6, 6 }, { "tcp-pkt", 6, 6 }, { "tcp-stream", 6, 6 },
		{ "udp", 17, 17 }, { "icmp", 1, 58 }, { "icmpv4", 1, 1 },
		{ "icmpv6", 58, 58 }, { "sctp", 132, 132 },
	};

	for (size_t i = 0; i < sizeof l4 / sizeof l4[0]; i++)
		if (strcasecmp(tok, l4[i].name) == 0) {
			ps->r.l4a = l4[i].a;
			ps->r.l4b = l4[i].b;
			return 0;
		}
	return resolve_app(ps, tok, &ps->r.hdr_app, "protocol");
}

/* Split the header at white space outside brackets into at most max
 * tokens (NUL-terminated in place); returns the count, max + 1 if more,
 * -1 if a '[' is not closed. */
static int split_header(char *h, char **tok, int max)
{
	int n = 0;

	for (char *p = skip_ws(h); *p; p = skip_ws(p)) {
		int depth = 0;
		if (n == max)
			return max + 1;
		tok[n++] = p;
		while (*p && (depth > 0 || !isspace((unsigned char)*p))) {
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth > 0)
				depth--;
			p++;
		}
		if (depth > 0)
			return -1;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* action proto src sport dir dst dport */
static int parse_header(struct parse *ps, char *h)
{
	char *t[7];
	int n = split_header(h, t, 7);

	if (n == 0)
		return fail(ps, "missing rule header");
	if (n < 0)
		return fail(ps, "unterminated '[' list in the rule header");
	if (strcmp(t[0], "alert") != 0)
		return fail(ps, "unsupported action '%s'", t[0]);
	if (n > 7)
		return fail(ps, "bad rule header: more than 7 fields "
			    "(expected 'alert proto src sport -> dst dport')");
	if (n < 7)
		return fail(ps, "incomplete rule header: %d of 7 fields "
			    "(expected 'alert proto src sport -> dst dport')", n);
	if (parse_proto(ps, t[1]) < 0)
		return -1;
	if (strcmp(t[4], "->") == 0)
		ps->r.bidir = 0;
	else if (strcmp(t[4], "<>") == 0)
		ps->r.bidir = 1;
	else
		return fail(ps, "bad direction '%s'", t[4]);
	if (parse_addr_field(ps, t[2], &ps->r.src) < 0 ||
	    parse_port_field(ps, t[3], &ps->r.sport) < 0 ||
	    parse_addr_field(ps, t[5], &ps->r.dst) < 0 ||
	    parse_port_field(ps, t[6], &ps->r.dport) < 0)
		return -1;
	return 0;
}

/* ---- options: splitting -------------------------------------------------------------- */

/* Split "name:value; name; ..." in place. A ';' inside quotes or after a
 * backslash does not end a value. Returns the option count or -1. */
static int split_options(struct parse *ps, char *p, struct option *o, int max)
{
	int n = 0;

	for (p = skip_ws(p); *p; p = skip_ws(p)) {
		char *name = p, *name_end;

		while (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-')
			p++;
		name_end = p;
		if (name_end == name)
			return fail(ps, "bad option near '%.24s'", p);
		p = skip_ws(p);
		if (n == max)
			return fail(ps, "more than %d options", max);
		o[n].name = name;
		o[n].value = NULL;
		if (*p == ';') {
			*name_end = '\0';
			p++;
		} else if (*p == ':') {
			char *v = p + 1;
			int in_q = 0;
			*name_end = '\0';
			for (p = v; *p; p++) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '"')
					in_q = !in_q;
				else if (*p == ';' && !in_q)
					break;
			}
			if (!*p) {
				if (in_q)
					return fail(ps, "unterminated quoted string in '%s'", name);
				return fail(ps, "unterminated option '%s' (missing ';')", name);
			}
			*p++ = '\0';
			o[n].value = trim(v);
		} else if (!*p) {
			*name_end = '\0';
			return fail(ps, "unterminated option '%s' (missing ';')", name);
		} else {
			*name_end = '\0';
			return fail(ps, "expected ':' or ';' after '%s'", name);
		}
		n++;
	}
	return n;
}

/* ---- options: content and friends ---------------------------------------------------------- */

/* A new buffer check on the current sticky buffer. */
static struct sig_match *new_match(struct parse *ps, int kind)
{
	struct sig_match *m;

	if (ps->n_m == MAX_MATCHES) {
		fail(ps, "more than %d content/pcre/bsize in one rule", MAX_MATCHES);
		return NULL;
	}
	m = &ps->m[ps->n_m++];
	memset(m, 0, sizeof *m);
	m->kind = (uint8_t)kind;
	m->buf = (uint8_t)ps->cur_buf;
	ps->buf_used++;
	if (ps->cur_dotprefix)
		m->flags |= SMF_DOTPREFIX;
	return m;
}

/* Value of a hex digit, -1 if c is not one. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* content:[!]"text|hex hex|text"; */
static int opt_content(struct parse *ps, const char *name, char *v)
{
	uint8_t neg;
	char *q = take_neg(v, &neg), *in;
	uint8_t *out;
	size_t n = 0;
	int hex = 0, nib = -1;
	struct sig_match *m;

	if (*q != '"')
		return fail(ps, "%s needs a quoted string", name);
	out = sig_arena_alloc(&ps->s->arena, strlen(q));
	if (!out)
		return fail(ps, "out of memory");
	for (in = q + 1; *in && *in != '"'; in++) {
		if (hex) {
			int h;
			if (*in == '|') {
				if (nib >= 0)
					return fail(ps, "odd number of hex digits in %s %s", name, q);
				hex = 0;
				continue;
			}
			if (isspace((unsigned char)*in))
				continue;
			h = hexval((unsigned char)*in);
			if (h < 0)
				return fail(ps, "bad hex '%c' in %s %s", *in, name, q);
			if (nib < 0)
				nib = h;
			else {
				out[n++] = (uint8_t)(nib << 4 | h);
				nib = -1;
			}
			continue;
		}
		if (*in == '|') {
			hex = 1;
			continue;
		}
		if (*in == '\\' && in[1])
			in++;
		out[n++] = (uint8_t)*in;
	}
	if (*in != '"')
		return fail(ps, "unterminated quoted string in '%s'", name);
	if (*skip_ws(in + 1))
		return fail(ps, "unexpected text after the quoted value of '%s'", name);
	if (hex)
		return fail(ps, "unterminated hex block in %s %s", name, q);
	if (n == 0)
		return fail(ps, "empty %s", name);
	m = new_match(ps, SM_CONTENT);
	if (!m)
		return -1;
	m->pat = out;
	m->len = (uint32_t)n;
	if (neg)
		m->flags |= SMF_NEG;
	ps->last_content = ps->n_m - 1;
	ps->last_rel = ps->n_m - 1;
	return 0;
}

/* pcre:[!]"/regex/flags"; flags i, s, m, x. */
static int opt_pcre(struct parse *ps, const char *name, char *v)
{
	uint8_t neg;
	char *q = take_neg(v, &neg), *end, *close;
	uint32_t opts = 0;
	int errcode, rel = 0, buf = SB_NONE;
	PCRE2_SIZE erroff;
	struct sig_match *m;

	(void)name;
	end = q + strlen(q);
	if (*q != '"' || end - q < 2 || end[-1] != '"')
		return fail(ps, "pcre needs a quoted \"/regex/flags\"");
	*--end = '\0';
	q++;
	if (*q != '/' || !(close = strrchr(q, '/')) || close == q)
		return fail(ps, "pcre needs the form \"/regex/flags\"");
	for (const char *f = close + 1; *f; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'R': rel = 1; break;
		case 'U': buf = SB_HTTP_URI; break;
		case 'I': buf = SB_HTTP_URI_RAW; break;
		case 'M': buf = SB_HTTP_METHOD; break;
		case 'S': buf = SB_HTTP_STAT_CODE; break;
		case 'B': case 'O': break;   /* rawbytes; match limit override */
		default:
			return fail(ps, "pcre: unsupported flag '%c'", *f);
		}
	}
	m = new_match(ps, SM_PCRE);
	if (!m)
		return -1;
	if (buf != SB_NONE) {
		if (ps->cur_buf != SB_NONE && ps->cur_buf != buf)
			return fail(ps, "pcre: flag for another buffer after a sticky buffer");
		m->buf = (uint8_t)buf;
	}
	if (rel)
		m->flags |= SMF_RELATIVE;
	ps->last_rel = ps->n_m - 1;
	m->re = pcre2_compile((PCRE2_SPTR)(q + 1), (PCRE2_SIZE)(close - q - 1), opts, &errcode,
			      &erroff, NULL);
	if (!m->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof msg);
		ps->n_m--;
		return fail(ps, "pcre: %s at offset %zu", (const char *)msg, (size_t)erroff);
	}
	pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE);   /* interpreted if JIT is missing */
	if (neg)
		m->flags |= SMF_NEG;
	return 0;
}

/* The content a modifier applies to, NULL (reason recorded) if none. */
static struct sig_match *modified(struct parse *ps, const char *name)
{
	if (ps->last_content < 0) {
		fail(ps, "'%s' needs a preceding content", name);
		return NULL;
	}
	return &ps->m[ps->last_content];
}

/* nocase, startswith, endswith, fast_pattern (no effect on a flow). */
static int opt_flag(struct parse *ps, const char *name, char *v)
{
	struct sig_match *m = modified(ps, name);

	(void)v;
	if (!m)
		return -1;
	if (strcmp(name, "nocase") == 0)
		m->flags |= SMF_NOCASE;
	else if (strcmp(name, "startswith") == 0) {
		if (m->flags & (SMF_DEPTH | SMF_OFFSET))
			return fail(ps, "'startswith' cannot be combined with depth or offset");
		m->flags |= SMF_STARTS;
	} else if (strcmp(name, "endswith") == 0)
		m->flags |= SMF_ENDS;
	return 0;
}

/* depth:N; offset:N; */
static int opt_depth_offset(struct parse *ps, const char *name, char *v)
{
	struct sig_match *m = modified(ps, name);
	uint64_t n;

	if (!m)
		return -1;
	if (parse_uint(v, 65535, &n) < 0)
		return fail(ps, "bad %s '%s'", name, v);
	if (m->flags & SMF_STARTS)
		return fail(ps, "'startswith' cannot be combined with depth or offset");
	if (m->flags & (SMF_DISTANCE | SMF_WITHIN))
		return fail(ps, "'%s' cannot be combined with distance or within on one content", name);
	if (strcmp(name, "depth") == 0) {
		if (n < m->len)
			return fail(ps, "depth %s is shorter than its content", v);
		m->depth = (uint32_t)n;
		m->flags |= SMF_DEPTH;
	} else {
		m->offset = (uint32_t)n;
		m->flags |= SMF_OFFSET;
	}
	return 0;
}

/* Sticky buffers: name -> buffer; the legacy names too. legacy: the old
 * form is also a modifier of the content just before it ("content:"x";
 * http_uri;"). */
static const struct { const char *name; int buf; int legacy; } sticky[] = {
	{ "dns.query", SB_DNS_QUERY, 0 }, { "dns_query", SB_DNS_QUERY, 1 },
	{ "tls.sni", SB_TLS_SNI, 0 }, { "tls_sni", SB_TLS_SNI, 1 },
	{ "http.host", SB_HTTP_HOST, 0 }, { "http_host", SB_HTTP_HOST, 1 },
	{ "http.user_agent", SB_HTTP_UA, 0 }, { "http_user_agent", SB_HTTP_UA, 1 },
	{ "ja3.hash", SB_JA3, 0 }, { "ja3_hash", SB_JA3, 1 },
	{ "ja3s.hash", SB_JA3S, 0 }, { "ja3s_hash", SB_JA3S, 1 },
	{ "http.uri", SB_HTTP_URI, 0 }, { "http_uri", SB_HTTP_URI, 1 },
	{ "http.uri.raw", SB_HTTP_URI_RAW, 0 }, { "http_raw_uri", SB_HTTP_URI_RAW, 1 },
	{ "http.method", SB_HTTP_METHOD, 0 }, { "http_method", SB_HTTP_METHOD, 1 },
	{ "http.stat_code", SB_HTTP_STAT_CODE, 0 }, { "http_stat_code", SB_HTTP_STAT_CODE, 1 },
	{ "http.content_type", SB_HTTP_CTYPE, 0 }, { "http_content_type", SB_HTTP_CTYPE, 1 },
	{ "http.request_line", SB_HTTP_REQLINE, 0 }, { "http_request_line", SB_HTTP_REQLINE, 1 },
	{ "pkt_data", SB_PKT, 0 },
	{ "file.data", SB_FILEDATA, 0 }, { "file_data", SB_FILEDATA, 0 },
	{ "http.response_body", SB_FILEDATA, 0 }, { "http_server_body", SB_FILEDATA, 1 },
};

/* A sticky buffer: later content/pcre look at it. The legacy names (e.g.
 * http_host, http_uri) are also accepted in their old role of a modifier
 * of the content just before them (when that content has no buffer yet). */
static int opt_sticky(struct parse *ps, const char *name, char *v)
{
	int buf = SB_NONE, legacy = 0;

	(void)v;
	for (size_t i = 0; i < sizeof sticky / sizeof sticky[0]; i++)
		if (strcmp(sticky[i].name, name) == 0) {
			buf = sticky[i].buf;
			legacy = sticky[i].legacy;
		}
	if (legacy && ps->last_content >= 0 && ps->m[ps->last_content].buf == SB_NONE) {
		ps->m[ps->last_content].buf = (uint8_t)buf;
		return 0;
	}
	ps->cur_buf = buf;
	ps->cur_dotprefix = 0;
	ps->buf_used = 0;
	ps->last_content = -1;
	ps->last_rel = -1;
	return 0;
}

/* dotprefix: the buffer with a '.' in front, right after a sticky buffer. */
static int opt_dotprefix(struct parse *ps, const char *name, char *v)
{
	(void)v;
	if (ps->cur_buf == SB_NONE || ps->buf_used)
		return fail(ps, "'%s' must directly follow a sticky buffer", name);
	ps->cur_dotprefix = 1;
	return 0;
}

/* bsize:N | <N | >N | <=N | >=N | N<>M on the current sticky buffer. */
static int opt_bsize(struct parse *ps, const char *name, char *v)
{
	struct sig_match *m;
	uint64_t a, b = 0;
	int op = BS_EQ;
	char *range = strstr(v, "<>");

	if (ps->cur_buf == SB_NONE)
		return fail(ps, "'%s' needs a sticky buffer", name);
	if (range) {
		*range = '\0';
		op = BS_RANGE;
		if (parse_uint(trim(v), UINT32_MAX, &a) < 0 ||
		    parse_uint(trim(range + 2), UINT32_MAX, &b) < 0 || a >= b) {
			*range = '<';
			return fail(ps, "bad %s '%s'", name, v);
		}
	} else {
		char *p = v;
		if (p[0] == '<' || p[0] == '>') {
			int eq = p[1] == '=';
			op = p[0] == '<' ? (eq ? BS_LE : BS_LT) : (eq ? BS_GE : BS_GT);
			p += eq ? 2 : 1;
		}
		if (parse_uint(trim(p), UINT32_MAX, &a) < 0)
			return fail(ps, "bad %s '%s'", name, v);
	}
	m = new_match(ps, SM_BSIZE);
	if (!m)
		return -1;
	m->op = (uint8_t)op;
	m->offset = (uint32_t)a;
	m->depth = (uint32_t)b;
	return 0;
}

/* distance:N (may be negative); within:N: relative to the end of the
 * previous content or pcre in the same buffer (its start when first). */
static int opt_relative(struct parse *ps, const char *name, char *v)
{
	struct sig_match *m = modified(ps, name);
	int neg = 0;
	uint64_t n;

	if (!m)
		return -1;
	v = trim(v);
	if (*v == '-' && name[0] == 'd') {
		neg = 1;
		v++;
	}
	if (parse_uint(v, 65535, &n) < 0)
		return fail(ps, "bad %s '%s'", name, v);
	if (m->flags & (SMF_DEPTH | SMF_OFFSET | SMF_STARTS))
		return fail(ps, "'%s' cannot be combined with depth, offset or startswith on one content",
			    name);
	if (name[0] == 'd') {
		m->distance = neg ? -(int32_t)n : (int32_t)n;
		m->flags |= SMF_DISTANCE;
	} else {
		if (n < m->len)
			return fail(ps, "within %s is shorter than its content", v);
		m->within = (uint32_t)n;
		m->flags |= SMF_WITHIN;
	}
	return 0;
}

/* isdataat:[!]N[,relative]; on the current buffer (pkt_data if none). */
static int opt_isdataat(struct parse *ps, const char *name, char *v)
{
	uint8_t neg;
	char *p = take_neg(v, &neg), *comma = strchr(p, ',');
	struct sig_match *m;
	uint64_t n;

	if (comma) {
		*comma = '\0';
		if (strcmp(trim(comma + 1), "relative") != 0)
			return fail(ps, "bad %s option '%s' (only 'relative')", name, trim(comma + 1));
	}
	if (parse_uint(trim(p), 65535, &n) < 0)
		return fail(ps, "bad %s '%s'", name, p);
	m = new_match(ps, SM_ISDATAAT);
	if (!m)
		return -1;
	m->offset = (uint32_t)n;
	if (neg)
		m->flags |= SMF_NEG;
	if (comma)
		m->flags |= SMF_RELATIVE;
	return 0;
}

/* filemagic:[!]"text"; the kind of file the payload or HTTP body starts
 * with (detect_http.h), compared without case; the sticky buffer stays. */
static int opt_filemagic(struct parse *ps, const char *name, char *v)
{
	int buf = ps->cur_buf, used = ps->buf_used, dot = ps->cur_dotprefix;
	int rc;

	ps->cur_buf = SB_FILEMAGIC;
	ps->cur_dotprefix = 0;
	rc = opt_content(ps, name, v);
	ps->cur_buf = buf;
	ps->buf_used = used;
	ps->cur_dotprefix = dot;
	if (rc < 0)
		return -1;
	ps->m[ps->n_m - 1].flags |= SMF_NOCASE;
	ps->last_content = -1;
	ps->last_rel = -1;
	return 0;
}

/* urilen:N | <N | >N | N<>M [,raw|,norm]: bsize on http.uri (.raw). */
static int opt_urilen(struct parse *ps, const char *name, char *v)
{
	char *comma = strchr(v, ',');
	int buf = SB_HTTP_URI, saved = ps->cur_buf, used = ps->buf_used, rc;

	if (comma) {
		*comma = '\0';
		if (strcmp(trim(comma + 1), "raw") == 0)
			buf = SB_HTTP_URI_RAW;
		else if (strcmp(trim(comma + 1), "norm") != 0)
			return fail(ps, "bad %s option '%s'", name, trim(comma + 1));
	}
	ps->cur_buf = buf;
	rc = opt_bsize(ps, name, v);
	ps->cur_buf = saved;
	ps->buf_used = used;
	return rc;
}

/* rawbytes: no effect (vigil never decodes pkt_data). */
static int opt_noop(struct parse *ps, const char *name, char *v)
{
	(void)ps;
	(void)name;
	(void)v;
	return 0;
}

/* ---- options: metadata of the rule ------------------------------------------------------------ */

/* msg:"..."; */
static int opt_msg(struct parse *ps, const char *name, char *v)
{
	if (ps->seen_msg++)
		return fail(ps, "duplicate option '%s'", name);
	v = unquote(ps, v, name);
	if (!v)
		return -1;
	ps->r.msg = sig_arena_strdup(&ps->s->arena, v);
	return ps->r.msg ? 0 : fail(ps, "out of memory");
}

/* sid, rev, gid: unsigned numbers (sid and gid > 0). */
static int opt_number(struct parse *ps, const char *name, char *v)
{
	uint64_t n;
	int *seen = name[0] == 's' ? &ps->seen_sid : name[0] == 'r' ? &ps->seen_rev : &ps->seen_gid;

	if ((*seen)++)
		return fail(ps, "duplicate option '%s'", name);
	v = unquote(ps, v, name);
	if (!v)
		return -1;
	if (parse_uint(v, UINT32_MAX, &n) < 0 || (n == 0 && name[0] != 'r'))
		return fail(ps, "bad %s '%s'", name, v);
	if (name[0] == 's')
		ps->r.sid = (uint32_t)n;
	else if (name[0] == 'r')
		ps->r.rev = (uint32_t)n;
	else
		ps->r.gid = (uint32_t)n;
	return 0;
}

/* classtype:name; must be in the classification table. */
static int opt_classtype(struct parse *ps, const char *name, char *v)
{
	if (ps->seen_class++)
		return fail(ps, "duplicate option '%s'", name);
	ps->r.class_idx = sig_class_find(ps->s, v);
	if (ps->r.class_idx < 0)
		return fail(ps, "unknown classtype '%s'", v);
	return 0;
}

/* priority:1..255; overrides the classtype's. */
static int opt_priority(struct parse *ps, const char *name, char *v)
{
	uint64_t n;

	if (ps->seen_prio++)
		return fail(ps, "duplicate option '%s'", name);
	if (parse_uint(v, 255, &n) < 0 || n == 0)
		return fail(ps, "bad priority '%s'", v);
	ps->r.priority = (int)n;
	return 0;
}

/* reference:type,id; kept as "type,id" (the first ALERT_MAX_REFS). */
static int opt_reference(struct parse *ps, const char *name, char *v)
{
	char *comma = strchr(v, ','), *type, *id, *s;
	size_t lt, li;

	(void)name;
	if (!comma)
		return fail(ps, "bad reference '%s' (expected type,id)", v);
	*comma = '\0';
	type = trim(v);
	id = trim(comma + 1);
	if (!*type || !*id) {
		*comma = ',';
		return fail(ps, "bad reference '%s' (expected type,id)", v);
	}
	if (ps->n_refs == ALERT_MAX_REFS)
		return 0;
	lt = strlen(type);
	li = strlen(id);
	s = sig_arena_alloc(&ps->s->arena, lt + li + 2);
	if (!s)
		return fail(ps, "out of memory");
	memcpy(s, type, lt);
	s[lt] = ',';
	memcpy(s + lt + 1, id, li + 1);
	ps->refs[ps->n_refs++] = s;
	return 0;
}

/* metadata:key value, key value; (the first ALERT_MAX_META pairs). */
static int opt_metadata(struct parse *ps, const char *name, char *v)
{
	char *save = NULL;

	(void)name;
	for (char *item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *key = trim(item), *val = key;
		if (!*key)
			continue;
		while (*val && !isspace((unsigned char)*val))
			val++;
		if (*val)
			*val++ = '\0';
		val = trim(val);
		if (ps->n_meta == ALERT_MAX_META)
			break;
		ps->meta[ps->n_meta].key = sig_arena_strdup(&ps->s->arena, key);
		ps->meta[ps->n_meta].value = sig_arena_strdup(&ps->s->arena, val);
		if (!ps->meta[ps->n_meta].key || !ps->meta[ps->n_meta].value)
			return fail(ps, "out of memory");
		ps->n_meta++;
	}
	return 0;
}

/* ---- options: flow conditions -------------------------------------------------------------- */

/* app-layer-protocol:[!]name; */
static int opt_app(struct parse *ps, const char *name, char *v)
{
	uint8_t neg;
	char *p = take_neg(v, &neg);

	if (ps->n_apps == MAX_CONDS)
		return fail(ps, "more than %d '%s'", MAX_CONDS, name);
	p = unquote(ps, p, name);
	if (!p || resolve_app(ps, trim(p), &ps->apps[ps->n_apps], name) < 0)
		return -1;
	ps->apps[ps->n_apps++].neg = neg;
	return 0;
}

/* ndpi-protocol:[!]name; "TLS.YouTube" exact, "YouTube" either part. */
static int opt_ndpi(struct parse *ps, const char *name, char *v)
{
	uint8_t neg;
	char *p = take_neg(v, &neg);
	struct sig_ndpi *c;
	int id;

	if (ps->n_ndpi == MAX_CONDS)
		return fail(ps, "more than %d '%s'", MAX_CONDS, name);
	p = unquote(ps, p, name);
	if (!p)
		return -1;
	p = trim(p);
	if (!*p || *p == '.' || p[strlen(p) - 1] == '.')
		return fail(ps, "bad %s '%s'", name, p);
	c = &ps->ndpi[ps->n_ndpi];
	id = sig_name_id(ps->s, p);
	if (id < 0)
		return fail(ps, "out of memory");
	c->id = (uint32_t)id;
	c->neg = neg;
	c->dotted = strchr(p, '.') != NULL;
	ps->n_ndpi++;
	return 0;
}

/* nDPI 4.2's risks: the code name Suricata 8's ndpi-risk keyword takes
 * (ndpi_risk_enum) and the description nDPI writes (ndpi_risk2str), which
 * is what flow records carry. Both forms are accepted in rules. */
static const struct { const char *code, *desc; } ndpi_risks[] = {
	{ "NDPI_URL_POSSIBLE_XSS", "XSS Attack" },
	{ "NDPI_URL_POSSIBLE_SQL_INJECTION", "SQL Injection" },
	{ "NDPI_URL_POSSIBLE_RCE_INJECTION", "RCE Injection" },
	{ "NDPI_BINARY_APPLICATION_TRANSFER", "Binary Application Transfer" },
	{ "NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT", "Known Protocol on Non Standard Port" },
	{ "NDPI_TLS_SELFSIGNED_CERTIFICATE", "Self-signed Certificate" },
	{ "NDPI_TLS_OBSOLETE_VERSION", "Obsolete TLS Version (1.1 or older)" },
	{ "NDPI_TLS_WEAK_CIPHER", "Weak TLS Cipher" },
	{ "NDPI_TLS_CERTIFICATE_EXPIRED", "TLS Expired Certificate" },
	{ "NDPI_TLS_CERTIFICATE_MISMATCH", "TLS Certificate Mismatch" },
	{ "NDPI_HTTP_SUSPICIOUS_USER_AGENT", "HTTP Suspicious User-Agent" },
	{ "NDPI_HTTP_NUMERIC_IP_HOST", "HTTP Numeric IP Address" },
	{ "NDPI_HTTP_SUSPICIOUS_URL", "HTTP Suspicious URL" },
	{ "NDPI_HTTP_SUSPICIOUS_HEADER", "HTTP Suspicious Header" },
	{ "NDPI_TLS_NOT_CARRYING_HTTPS", "TLS (probably) Not Carrying HTTPS" },
	{ "NDPI_SUSPICIOUS_DGA_DOMAIN", "Suspicious DGA Domain name" },
	{ "NDPI_MALFORMED_PACKET", "Malformed Packet" },
	{ "NDPI_SSH_OBSOLETE_CLIENT_VERSION_OR_CIPHER", "SSH Obsolete Client Version/Cipher" },
	{ "NDPI_SSH_OBSOLETE_SERVER_VERSION_OR_CIPHER", "SSH Obsolete Server Version/Cipher" },
	{ "NDPI_SMB_INSECURE_VERSION", "SMB Insecure Version" },
	{ "NDPI_TLS_SUSPICIOUS_ESNI_USAGE", "TLS Suspicious ESNI Usage" },
	{ "NDPI_UNSAFE_PROTOCOL", "Unsafe Protocol" },
	{ "NDPI_DNS_SUSPICIOUS_TRAFFIC", "Suspicious DNS Traffic" },
	{ "NDPI_TLS_MISSING_SNI", "Missing SNI TLS Extension" },
	{ "NDPI_HTTP_SUSPICIOUS_CONTENT", "HTTP Suspicious Content" },
	{ "NDPI_RISKY_ASN", "Risky ASN" },
	{ "NDPI_RISKY_DOMAIN", "Risky Domain Name" },
	{ "NDPI_MALICIOUS_JA3", "Possibly Malicious JA3 Fingerprint" },
	{ "NDPI_MALICIOUS_SHA1_CERTIFICATE", "Possibly Malicious SSL Cert. SHA1 Fingerprint" },
	{ "NDPI_DESKTOP_OR_FILE_SHARING_SESSION", "Desktop/File Sharing Session" },
	{ "NDPI_TLS_UNCOMMON_ALPN", "Uncommon TLS ALPN" },
	{ "NDPI_TLS_CERT_VALIDITY_TOO_LONG", "TLS Certificate Validity Too Long" },
	{ "NDPI_TLS_SUSPICIOUS_EXTENSION", "TLS Suspicious Extension" },
	{ "NDPI_TLS_FATAL_ALERT", "TLS Fatal Alert" },
	{ "NDPI_SUSPICIOUS_ENTROPY", "Suspicious Entropy" },
	{ "NDPI_CLEAR_TEXT_CREDENTIALS", "Clear-Text Credentials" },
	{ "NDPI_DNS_LARGE_PACKET", "DNS Packet Larger Than 512 bytes" },
	{ "NDPI_DNS_FRAGMENTED", "Fragmented DNS Message" },
	{ "NDPI_INVALID_CHARACTERS", "Text Contains Non-Printable Characters" },
	{ "NDPI_POSSIBLE_EXPLOIT", "Possible Exploit Detected" },
	{ "NDPI_TLS_CERTIFICATE_ABOUT_TO_EXPIRE", "TLS Certificate About To Expire" },
};

/* The description for a risk named by code (with or without "NDPI_") or
 * by description, case-insensitively; NULL for an unknown name. */
static const char *risk_desc(const char *name)
{
	for (size_t i = 0; i < sizeof ndpi_risks / sizeof ndpi_risks[0]; i++)
		if (strcasecmp(name, ndpi_risks[i].code) == 0 ||
		    strcasecmp(name, ndpi_risks[i].code + 5) == 0 ||
		    strcasecmp(name, ndpi_risks[i].desc) == 0)
			return ndpi_risks[i].desc;
	return NULL;
}

/* ndpi-risk:[!]name[,name...]; names may be quoted one by one. */
static int opt_risk(struct parse *ps, const char *name, char *v)
{
	uint8_t neg;
	char *p = take_neg(v, &neg), *item;
	uint32_t ids[MAX_RISK_NAMES];
	uint32_t *copy;
	int id;
	int n = 0;
	struct sig_risk *c;

	if (ps->n_risks == MAX_CONDS)
		return fail(ps, "more than %d '%s'", MAX_CONDS, name);
	while ((item = strsep(&p, ",")) != NULL) {
		char *it = unquote(ps, trim(item), name);
		if (!it)
			return -1;
		it = trim(it);
		if (!*it)
			return fail(ps, "empty name in '%s'", name);
		if (n == MAX_RISK_NAMES)
			return fail(ps, "more than %d names in '%s'", MAX_RISK_NAMES, name);
		const char *desc = risk_desc(it);
		if (!desc)
			return fail(ps, "unknown nDPI risk '%s' in '%s'", it, name);
		if ((id = sig_name_id(ps->s, desc)) < 0)
			return fail(ps, "out of memory");
		ids[n++] = (uint32_t)id;
	}
	if (n == 0)
		return fail(ps, "'%s' needs a risk name", name);
	c = &ps->risks[ps->n_risks];
	copy = sig_arena_alloc(&ps->s->arena, (size_t)n * sizeof *copy);
	if (!copy)
		return fail(ps, "out of memory");
	memcpy(copy, ids, (size_t)n * sizeof *ids);
	c->ids = copy;
	c->n = (uint8_t)n;
	c->neg = neg;
	ps->n_risks++;
	return 0;
}

/* flow:to_server,established,...; the state is checked, and the direction
 * picks the side of the payload window pkt_data, file.data and filemagic
 * read (a rule without one reads either side). */
static int opt_flow(struct parse *ps, const char *name, char *v)
{
	char *save = NULL;
	int dir = 0;

	if (ps->seen_flow++)
		return fail(ps, "duplicate option '%s'", name);
	for (char *item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *it = trim(item);
		int d = 0, st = SF_ANY;
		if (!strcmp(it, "to_server") || !strcmp(it, "from_client"))
			d = 1;
		else if (!strcmp(it, "to_client") || !strcmp(it, "from_server"))
			d = 2;
		else if (!strcmp(it, "established"))
			st = SF_ESTABLISHED;
		else if (!strcmp(it, "not_established"))
			st = SF_NOT_ESTABLISHED;
		else if (strcmp(it, "stateless") != 0)
			return fail(ps, "unsupported flow option '%s'", it);
		if (d && dir && d != dir)
			return fail(ps, "flow: conflicting directions");
		if (st && ps->r.flow_state && st != ps->r.flow_state)
			return fail(ps, "flow: conflicting 'established' and 'not_established'");
		if (d)
			dir = d;
		if (st)
			ps->r.flow_state = (uint8_t)st;
	}
	ps->r.dir = (uint8_t)dir;
	return 0;
}

/* threshold: type T, track K, count N, seconds M; detection_filter: the
 * same without type. */
static int opt_threshold(struct parse *ps, const char *name, char *v)
{
	int is_df = strcmp(name, "detection_filter") == 0;
	int have_type = 0, have_track = 0, have_count = 0, have_secs = 0;
	char *save = NULL;
	uint64_t n;

	if (ps->r.thr.type != ST_NONE)
		return fail(ps, "only one threshold or detection_filter per rule");
	for (char *item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *key = trim(item), *val = key;
		while (*val && !isspace((unsigned char)*val))
			val++;
		if (*val)
			*val++ = '\0';
		val = trim(val);
		if (!strcmp(key, "type") && !is_df) {
			have_type = 1;
			if (!strcmp(val, "limit"))
				ps->r.thr.type = ST_LIMIT;
			else if (!strcmp(val, "threshold"))
				ps->r.thr.type = ST_THRESHOLD;
			else if (!strcmp(val, "both"))
				ps->r.thr.type = ST_BOTH;
			else
				return fail(ps, "bad %s type '%s'", name, val);
		} else if (!strcmp(key, "track")) {
			have_track = 1;
			if (!strcmp(val, "by_src"))
				ps->r.thr.track = TR_SRC;
			else if (!strcmp(val, "by_dst"))
				ps->r.thr.track = TR_DST;
			else if (!strcmp(val, "by_rule"))
				ps->r.thr.track = TR_RULE;
			else if (!strcmp(val, "by_both"))
				ps->r.thr.track = TR_BOTH;
			else
				return fail(ps, "bad %s track '%s'", name, val);
		} else if (!strcmp(key, "count")) {
			have_count = 1;
			if (parse_uint(val, UINT32_MAX, &n) < 0 || n == 0)
				return fail(ps, "bad %s count '%s'", name, val);
			ps->r.thr.count = (uint32_t)n;
		} else if (!strcmp(key, "seconds")) {
			have_secs = 1;
			if (parse_uint(val, 100000000, &n) < 0 || n == 0)
				return fail(ps, "bad %s seconds '%s'", name, val);
			ps->r.thr.window_us = n * 1000000ULL;
		} else {
			return fail(ps, "bad %s: unknown setting '%s'", name, key);
		}
	}
	if (is_df)
		ps->r.thr.type = have_type ? ps->r.thr.type : ST_DFILTER;
	if (!is_df && !have_type)
		return fail(ps, "bad %s: missing 'type'", name);
	if (!have_track)
		return fail(ps, "bad %s: missing 'track'", name);
	if (!have_count)
		return fail(ps, "bad %s: missing 'count'", name);
	if (!have_secs)
		return fail(ps, "bad %s: missing 'seconds'", name);
	return 0;
}

/* ---- options: dispatch -------------------------------------------------------------------------- */

enum { V_NONE, V_NEEDED, V_ANY };

typedef int (*opt_fn)(struct parse *ps, const char *name, char *value);

static const struct { const char *name; opt_fn fn; int value; } options[] = {
	{ "msg", opt_msg, V_NEEDED },
	{ "sid", opt_number, V_NEEDED },
	{ "rev", opt_number, V_NEEDED },
	{ "gid", opt_number, V_NEEDED },
	{ "classtype", opt_classtype, V_NEEDED },
	{ "priority", opt_priority, V_NEEDED },
	{ "reference", opt_reference, V_NEEDED },
	{ "metadata", opt_metadata, V_NEEDED },
	{ "app-layer-protocol", opt_app, V_NEEDED },
	{ "ndpi-protocol", opt_ndpi, V_NEEDED },
	{ "ndpi-risk", opt_risk, V_NEEDED },
	{ "flow", opt_flow, V_NEEDED },
	{ "threshold", opt_threshold, V_NEEDED },
	{ "detection_filter", opt_threshold, V_NEEDED },
	{ "content", opt_content, V_NEEDED },
	{ "pcre", opt_pcre, V_NEEDED },
	{ "nocase", opt_flag, V_NONE },
	{ "startswith", opt_flag, V_NONE },
	{ "endswith", opt_flag, V_NONE },
	{ "fast_pattern", opt_flag, V_ANY },
	{ "depth", opt_depth_offset, V_NEEDED },
	{ "offset", opt_depth_offset, V_NEEDED },
	{ "dotprefix", opt_dotprefix, V_NONE },
	{ "bsize", opt_bsize, V_NEEDED },
	{ "distance", opt_relative, V_NEEDED },
	{ "within", opt_relative, V_NEEDED },
	{ "isdataat", opt_isdataat, V_NEEDED },
	{ "filemagic", opt_filemagic, V_NEEDED },
	{ "urilen", opt_urilen, V_NEEDED },
	{ "rawbytes", opt_noop, V_NONE },
};

/* Apply one option to the scratch state. */
static int apply_option(struct parse *ps, struct option *o)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		if (strcmp(options[i].name, o->name) != 0)
			continue;
		if (options[i].value == V_NEEDED && (!o->value || !*o->value))
			return fail(ps, "'%s' needs a value", o->name);
		if (options[i].value == V_NONE && o->value)
			return fail(ps, "'%s' takes no value", o->name);
		return options[i].fn(ps, o->name, o->value ? o->value : (char *)"");
	}
	for (size_t i = 0; i < sizeof sticky / sizeof sticky[0]; i++)
		if (strcmp(sticky[i].name, o->name) == 0) {
			if (o->value)
				return fail(ps, "'%s' takes no value", o->name);
			return opt_sticky(ps, o->name, NULL);
		}
	return fail(ps, "unsupported keyword '%s'", o->name);
}

/* ---- whole rules ---------------------------------------------------------------------------- */

/* Copy the scratch state into a rule in the arena. */
static struct sig_rule *finish_rule(struct parse *ps, const char *text)
{
	struct sig_arena *a = &ps->s->arena;
	struct sig_rule *r = sig_arena_alloc(a, sizeof *r);

	if (!r)
		return NULL;
	*r = ps->r;
	r->text = sig_arena_strdup(a, text);
	r->file = ps->file;
	r->line = ps->line;
	r->n_refs = (uint8_t)ps->n_refs;
	r->refs = sig_arena_alloc(a, sizeof *r->refs * (size_t)(ps->n_refs + 1));
	r->n_meta = (uint8_t)ps->n_meta;
	r->meta = sig_arena_alloc(a, sizeof *r->meta * (size_t)(ps->n_meta + 1));
	r->n_apps = (uint8_t)ps->n_apps;
	r->apps = sig_arena_alloc(a, sizeof *r->apps * (size_t)(ps->n_apps + 1));
	r->n_ndpi = (uint8_t)ps->n_ndpi;
	r->ndpi = sig_arena_alloc(a, sizeof *r->ndpi * (size_t)(ps->n_ndpi + 1));
	r->n_risks = (uint8_t)ps->n_risks;
	r->risks = sig_arena_alloc(a, sizeof *r->risks * (size_t)(ps->n_risks + 1));
	r->n_matches = (uint8_t)ps->n_m;
	r->matches = sig_arena_alloc(a, sizeof *r->matches * (size_t)(ps->n_m + 1));
	if (!r->text || !r->refs || !r->meta || !r->apps || !r->ndpi || !r->risks || !r->matches)
		return NULL;
	memcpy(r->refs, ps->refs, sizeof *r->refs * (size_t)ps->n_refs);
	memcpy(r->meta, ps->meta, sizeof *r->meta * (size_t)ps->n_meta);
	memcpy((void *)r->apps, ps->apps, sizeof *r->apps * (size_t)ps->n_apps);
	memcpy((void *)r->ndpi, ps->ndpi, sizeof *r->ndpi * (size_t)ps->n_ndpi);
	memcpy((void *)r->risks, ps->risks, sizeof *r->risks * (size_t)ps->n_risks);
	/* one group per buffer, in the order written (relative matches chain
	 * within their buffer only) */
	{
		int k = 0;
		for (int b = 0; b < SB__COUNT; b++)
			for (int i = 0; i < ps->n_m; i++)
				if (ps->m[i].buf == b)
					r->matches[k++] = ps->m[i];
	}
	for (int i = 0; i < ps->n_m; i++) {
		if (ps->m[i].buf >= SB_FIRST_WINDOW)
			r->window = 1;
		if (ps->m[i].buf >= SB_FIRST_DIRECTIONAL)
			r->directional = 1;
	}
	/* nocase contents are kept lowercase so the matcher can compare them
	 * with a lowercased buffer; http.host is always compared without case
	 * (Suricata lowercases that buffer and wants lowercase contents) */
	for (int i = 0; i < ps->n_m; i++) {
		struct sig_match *m = &r->matches[i];
		if (m->kind != SM_CONTENT)
			continue;
		if (m->buf == SB_HTTP_HOST)
			m->flags |= SMF_NOCASE;
		if (m->flags & SMF_NOCASE)
			for (uint32_t j = 0; j < m->len; j++)
				if (m->pat[j] >= 'A' && m->pat[j] <= 'Z')
					((uint8_t *)m->pat)[j] = (uint8_t)(m->pat[j] + 32);
	}
	return r;
}

/* The sid written in the options, for messages (0 if none or bad). */
static uint32_t sid_hint(const struct option *o, int n)
{
	uint64_t v;

	for (int i = 0; i < n; i++)
		if (strcmp(o[i].name, "sid") == 0 && o[i].value &&
		    parse_uint(o[i].value, UINT32_MAX, &v) == 0)
			return (uint32_t)v;
	return 0;
}

/* Parse one rule (text, joined, trimmed) and add it to the set. 1 added,
 * 0 rejected (reason in ps->err). */
static int parse_rule(struct parse *ps, const char *text)
{
	struct option opt[MAX_OPTIONS];
	char split_err[sizeof ps->err];
	char *work = strdup(text), *open, *close;
	struct sig_arena_mark mark = sig_arena_mark(&ps->s->arena);
	struct sig_rule *r;
	int n;

	memset(&ps->r, 0, sizeof ps->r);
	ps->r.gid = 1;
	ps->r.rev = 1;
	ps->r.class_idx = -1;
	ps->err[0] = '\0';
	ps->sid_hint = 0;
	ps->seen_msg = ps->seen_sid = ps->seen_rev = ps->seen_gid = 0;
	ps->seen_class = ps->seen_prio = ps->seen_flow = 0;
	ps->cur_buf = SB_NONE;
	ps->cur_dotprefix = 0;
	ps->buf_used = 0;
	ps->last_content = -1;
	ps->last_rel = -1;
	ps->n_m = ps->n_apps = ps->n_ndpi = ps->n_risks = ps->n_refs = ps->n_meta = 0;

	if (!work) {
		fail(ps, "out of memory");
		goto bad;
	}
	open = strchr(work, '(');
	if (!open) {
		if (parse_header(ps, work) == 0)
			fail(ps, "missing option list '(...)'");
		goto bad;
	}
	close = work + strlen(work);
	while (close > open && isspace((unsigned char)close[-1]))
		close--;
	*open = '\0';
	if (close == open + 1 || close[-1] != ')') {
		if (parse_header(ps, work) == 0)
			fail(ps, "unterminated option list (missing ')')");
		goto bad;
	}
	close[-1] = '\0';
	/* options are split first (for the sid in messages), but a problem
	 * in the header is the one reported */
	n = split_options(ps, open + 1, opt, MAX_OPTIONS);
	if (n >= 0)
		ps->sid_hint = sid_hint(opt, n);
	memcpy(split_err, ps->err, sizeof split_err);
	ps->err[0] = '\0';
	if (parse_header(ps, work) < 0)
		goto bad;
	if (n < 0) {
		memcpy(ps->err, split_err, sizeof ps->err);
		goto bad;
	}
	for (int i = 0; i < n; i++)
		if (apply_option(ps, &opt[i]) < 0)
			goto bad;
	for (int i = 0; i < ps->n_m; i++)
		if (ps->m[i].buf == SB_NONE)
			ps->m[i].buf = SB_PKT;   /* Suricata's default: the payload */
	if (!ps->seen_msg) {
		fail(ps, "missing msg");
		goto bad;
	}
	if (!ps->seen_sid) {
		fail(ps, "missing sid");
		goto bad;
	}
	r = finish_rule(ps, text);
	if (!r) {
		fail(ps, "out of memory");
		goto bad;
	}
	if (sig_add_rule(ps->s, r, ps->err, sizeof ps->err) < 0)
		goto bad;
	free(work);
	return 1;
bad:
	for (int i = 0; i < ps->n_m; i++)
		pcre2_code_free(ps->m[i].re);
	ps->n_m = 0;
	sig_arena_rewind(&ps->s->arena, mark);
	free(work);
	return 0;
}

/* Parse an accumulated rule and report its problem, if any. */
static int load_rule(struct parse *ps, char *text, rule_problem_fn problem, void *ctx)
{
	char msg[640];

	text = trim(text);
	if (!*text || *text == '#')
		return 0;
	if (parse_rule(ps, text))
		return 1;
	if (ps->sid_hint)
		snprintf(msg, sizeof msg, "%s (sid %u)", ps->err, ps->sid_hint);
	else
		snprintf(msg, sizeof msg, "%s", ps->err);
	report(problem, ctx, ps->file, ps->line, msg);
	return 0;
}

/* Append n bytes to the growable buffer *buf; -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = (*len + n + 1) * 2;
		char *b = realloc(*buf, c);
		if (!b)
			return -1;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

#define SIG_MAX_RULE_TEXT 262144 /* a rule with its continuation lines */

/* Read a rules file line by line (conf.h: a regular file of at most
 * CONF_MAX_RULES bytes, lines of at most CONF_LINE_RULES); a line ending in
 * '\' continues on the next, up to SIG_MAX_RULE_TEXT bytes. Problems are
 * reported at the rule's first line. */
int sig_load_file(struct sig_set *s, const char *path, rule_problem_fn problem, void *ctx)
{
	struct conf_lines lr;
	struct parse *ps;
	char *line, *acc = NULL;
	size_t alen = 0, acap = 0;
	ssize_t got;
	int loaded = 0, pending = 0, too_long = 0;

	if (conf_lines_open(&lr, path, CONF_MAX_RULES, CONF_LINE_RULES, problem, ctx) < 0)
		return -1;
	ps = calloc(1, sizeof *ps);
	if (!ps || !(ps->file = sig_arena_strdup(&s->arena, path))) {
		report(problem, ctx, path, 0, "out of memory");
		free(ps);
		conf_lines_close(&lr);
		return -1;
	}
	ps->s = s;
	while ((got = conf_lines_next(&lr, &line)) >= 0) {
		size_t n = (size_t)got;
		int cont;
		if (!pending) {
			alen = 0;
			too_long = 0;
			ps->line = lr.line;
		}
		while (n && isspace((unsigned char)line[n - 1]))
			n--;
		cont = n && line[n - 1] == '\\';
		if (cont)
			n--;
		pending = cont;
		if (alen + n > SIG_MAX_RULE_TEXT) {
			if (!too_long)
				report(problem, ctx, path, ps->line, "rule longer than 262144 bytes");
			too_long = 1;
			continue;
		}
		if (append(&acc, &alen, &acap, line, n) < 0) {
			report(problem, ctx, path, lr.line, "out of memory");
			break;
		}
		if (!cont && !too_long)
			loaded += load_rule(ps, acc, problem, ctx);
	}
	if (pending && acc && !too_long)
		loaded += load_rule(ps, acc, problem, ctx);
	free(acc);
	free(ps);
	conf_lines_close(&lr);
	return loaded;
}

/* ---- classification.config ------------------------------------------------------------------- */

/* "config classification: name,description,priority" -> the table. */
int sig_load_classification(struct sig_set *s, const char *path, rule_problem_fn problem,
			    void *ctx)
{
	struct conf_lines lr;
	char *line;
	int lineno, n = 0;

	if (conf_lines_open(&lr, path, CONF_MAX_CONFIG, CONF_LINE_INI, problem, ctx) < 0)
		return -1;
	while (conf_lines_next(&lr, &line) >= 0) {
		char *p = trim(line), *first, *last, *name, *desc;
		uint64_t prio;
		lineno = lr.line;
		if (!*p || *p == '#')
			continue;
		if (strncmp(p, "config", 6) != 0 || !isspace((unsigned char)p[6]) ||
		    strncmp(p = skip_ws(p + 6), "classification", 14) != 0 ||
		    *(p = skip_ws(p + 14)) != ':') {
			report(problem, ctx, path, lineno, "not a classification line (expected "
			       "'config classification: name,description,priority')");
			continue;
		}
		p++;
		first = strchr(p, ',');
		last = strrchr(p, ',');
		if (!first || first == last) {
			report(problem, ctx, path, lineno, "bad classification (expected "
			       "'name,description,priority')");
			continue;
		}
		*first = *last = '\0';
		name = trim(p);
		desc = trim(first + 1);
		if (!is_ident(name)) {
			report(problem, ctx, path, lineno, "bad classification name");
			continue;
		}
		if (!*desc) {
			report(problem, ctx, path, lineno, "missing classification description");
			continue;
		}
		if (parse_uint(trim(last + 1), 255, &prio) < 0 || prio == 0) {
			report(problem, ctx, path, lineno, "bad classification priority");
			continue;
		}
		if (sig_class_set(s, name, desc, (int)prio) < 0) {
			report(problem, ctx, path, lineno, "out of memory");
			break;
		}
		n++;
	}
	conf_lines_close(&lr);
	return n;
}
