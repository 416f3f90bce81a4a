/*
 * json_parse.c - the strict JSON reader (see json_parse.h).
 *
 * Recursive descent over the text, one function per kind of value; the
 * recursion is bounded by JP_MAX_DEPTH and the value array by
 * JP_MAX_VALUES, so a hostile body costs at most a few hundred KiB and
 * time linear in its length (the duplicate-name check is quadratic in the
 * members of one object, which JP_MAX_MEMBERS bounds).
 */
#include "json_parse.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct jp_doc *d;
	const unsigned char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "at byte %zu: %s", p->pos, msg);
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* A new value of type t at the current position: its index, or -1. */
static long add_value(struct parser *p, enum jp_type t)
{
	struct jp_doc *d = p->d;

	if (d->n >= JP_MAX_VALUES)
		return fail(p, "more than %d values", JP_MAX_VALUES);
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		struct jp_value *nv;

		if (cap > JP_MAX_VALUES)
			cap = JP_MAX_VALUES;
		nv = realloc(d->v, cap * sizeof *nv);
		if (!nv)
			return fail(p, "out of memory");
		d->v = nv;
		d->cap = cap;
	}
	memset(&d->v[d->n], 0, sizeof d->v[d->n]);
	d->v[d->n].type = (uint8_t)t;
	d->v[d->n].pos = (uint32_t)p->pos;
	return d->n++;
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = s[i], x;

		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			x = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | x;
	}
	*out = v;
	return 0;
}

/* A string at the opening quote: checked, not decoded. */
static long parse_string(struct parser *p)
{
	long i = add_value(p, JP_STRING);

	if (i < 0)
		return -1;
	p->pos++;
	p->d->v[i].pos = (uint32_t)p->pos;
	for (;;) {
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		unsigned c = p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "control character in a string (escape it)");
		if (c == '\\') {
			p->d->v[i].escaped = 1;
			if (p->pos + 1 >= p->len)
				return fail(p, "unterminated string");
			c = p->s[p->pos + 1];
			if (c != 'u') {
				if (!strchr("\"\\/bfnrt", (int)c) || c == 0)
					return fail(p, "unknown escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
				p->pos += 2;
				continue;
			}
			unsigned cp, lo;
			if (p->pos + 6 > p->len || hex4(p->s + p->pos + 2, &cp) != 0)
				return fail(p, "\\u needs four hex digits");
			if (cp == 0)
				return fail(p, "\\u0000 (NUL) is not allowed in strings");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(p, "lone low surrogate \\u%04X", cp);
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p->pos + 12 > p->len || p->s[p->pos + 6] != '\\' ||
				    p->s[p->pos + 7] != 'u' || hex4(p->s + p->pos + 8, &lo) != 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return fail(p, "high surrogate \\u%04X without its low half", cp);
				p->pos += 12;
				continue;
			}
			p->pos += 6;
			continue;
		}
		size_t n = utf8_seq_len(p->s + p->pos, p->len - p->pos);
		if (n == 0)
			return fail(p, "invalid UTF-8 in a string");
		p->pos += n;
	}
	p->d->v[i].len = (uint32_t)(p->pos - p->d->v[i].pos);
	p->pos++;   /* the closing quote */
	p->d->v[i].next = p->d->n;
	return i;
}

static int is_digit(struct parser *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static long parse_number(struct parser *p)
{
	long i = add_value(p, JP_NUMBER);
	int integer = 1;

	if (i < 0)
		return -1;
	if (p->s[p->pos] == '-')
		p->pos++;
	if (!is_digit(p))
		return fail(p, "a number needs digits");
	if (p->s[p->pos] == '0') {
		p->pos++;
		if (is_digit(p))
			return fail(p, "leading zero in a number");
	} else {
		while (is_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integer = 0;
		p->pos++;
		if (!is_digit(p))
			return fail(p, "digits must follow the decimal point");
		while (is_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integer = 0;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!is_digit(p))
			return fail(p, "digits must follow the exponent");
		while (is_digit(p))
			p->pos++;
	}
	p->d->v[i].integer = (uint8_t)integer;
	p->d->v[i].len = (uint32_t)(p->pos - p->d->v[i].pos);
	p->d->v[i].next = p->d->n;
	return i;
}

static long parse_literal(struct parser *p, const char *word, enum jp_type t)
{
	size_t n = strlen(word);
	long i;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unexpected character '%c'",
			    p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f ? p->s[p->pos] : '?');
	i = add_value(p, t);
	if (i < 0)
		return -1;
	p->pos += n;
	p->d->v[i].len = (uint32_t)n;
	p->d->v[i].next = p->d->n;
	return i;
}

/* Do the names at indexes a and b (strings) decode to the same bytes? */
static int same_name(const struct jp_doc *d, uint32_t a, uint32_t b)
{
	char x[JP_MAX_NAME + 1], y[JP_MAX_NAME + 1];

	if (!d->v[a].escaped && !d->v[b].escaped)
		return d->v[a].len == d->v[b].len &&
		       memcmp(d->text + d->v[a].pos, d->text + d->v[b].pos, d->v[a].len) == 0;
	return jp_string(d, a, x, sizeof x) >= 0 && jp_string(d, b, y, sizeof y) >= 0 &&
	       strcmp(x, y) == 0;
}

static long parse_value(struct parser *p, int depth);

static long parse_object(struct parser *p, int depth)
{
	long o = add_value(p, JP_OBJECT);
	char name[JP_MAX_NAME + 1];

	if (o < 0)
		return -1;
	if (depth >= JP_MAX_DEPTH)
		return fail(p, "nested deeper than %d", JP_MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		p->d->v[o].next = p->d->n;
		return o;
	}
	for (;;) {
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"')
			return fail(p, "expected a member name in double quotes");
		size_t at = p->pos;
		long k = parse_string(p);
		if (k < 0)
			return -1;
		if (jp_string(p->d, (uint32_t)k, name, sizeof name) < 0) {
			p->pos = at;
			return fail(p, "member name longer than %d bytes", JP_MAX_NAME);
		}
		/* every earlier name of this object: name, value, name, ... */
		for (uint32_t c = (uint32_t)o + 1; c < (uint32_t)k; c = p->d->v[c + 1].next) {
			if (same_name(p->d, c, (uint32_t)k)) {
				p->pos = at;
				return fail(p, "member '%.40s' given twice", name);
			}
		}
		if (++p->d->v[o].count > JP_MAX_MEMBERS)
			return fail(p, "more than %d members in an object", JP_MAX_MEMBERS);
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':')
			return fail(p, "expected ':' after a member name");
		p->pos++;
		if (parse_value(p, depth + 1) < 0)
			return -1;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			break;
		}
		return fail(p, "expected ',' or '}'");
	}
	p->d->v[o].next = p->d->n;
	return o;
}

static long parse_array(struct parser *p, int depth)
{
	long a = add_value(p, JP_ARRAY);

	if (a < 0)
		return -1;
	if (depth >= JP_MAX_DEPTH)
		return fail(p, "nested deeper than %d", JP_MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		p->d->v[a].next = p->d->n;
		return a;
	}
	for (;;) {
		if (parse_value(p, depth + 1) < 0)
			return -1;
		p->d->v[a].count++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			break;
		}
		return fail(p, "expected ',' or ']'");
	}
	p->d->v[a].next = p->d->n;
	return a;
}

static long parse_value(struct parser *p, int depth)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "expected a value");
	switch (p->s[p->pos]) {
	case '{': return parse_object(p, depth);
	case '[': return parse_array(p, depth);
	case '"': return parse_string(p);
	case 't': return parse_literal(p, "true", JP_TRUE);
	case 'f': return parse_literal(p, "false", JP_FALSE);
	case 'n': return parse_literal(p, "null", JP_NULL);
	default:
		if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
			return parse_number(p);
		return fail(p, "unexpected character '%c'",
			    p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f ? p->s[p->pos] : '?');
	}
}

int jp_parse(struct jp_doc *d, const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = { d, (const unsigned char *)text, len, 0, err, errlen };

	memset(d, 0, sizeof *d);
	d->text = text;
	d->len = len;
	if (len > UINT32_MAX / 2) {
		snprintf(err, errlen, "document too large");
		return -1;
	}
	if (parse_value(&p, 0) < 0)
		return -1;
	skip_ws(&p);
	if (p.pos != len)
		return fail(&p, "more text after the value");
	return 0;
}

void jp_free(struct jp_doc *d)
{
	free(d->v);
	memset(d, 0, sizeof *d);
}

long jp_member(const struct jp_doc *d, uint32_t obj, const char *name)
{
	char k[JP_MAX_NAME + 1];
	size_t n = strlen(name);

	if (obj >= d->n || d->v[obj].type != JP_OBJECT)
		return -1;
	for (uint32_t c = obj + 1, m = 0; m < d->v[obj].count; m++, c = d->v[c + 1].next) {
		if (!d->v[c].escaped) {
			if (d->v[c].len == n && memcmp(d->text + d->v[c].pos, name, n) == 0)
				return c + 1;
		} else if (jp_string(d, c, k, sizeof k) >= 0 && strcmp(k, name) == 0) {
			return c + 1;
		}
	}
	return -1;
}

/* UTF-8 of code point cp into out: its length. */
static size_t put_utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

long jp_string(const struct jp_doc *d, uint32_t i, char *out, size_t outlen)
{
	const unsigned char *s, *end;
	size_t k = 0;

	if (i >= d->n || d->v[i].type != JP_STRING || outlen == 0)
		return -1;
	s = (const unsigned char *)d->text + d->v[i].pos;
	end = s + d->v[i].len;
	while (s < end) {
		char buf[4];
		size_t n = 1;

		if (*s != '\\') {
			buf[0] = (char)*s++;
		} else if (s[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			buf[0] = to[strchr(from, s[1]) - from];
			s += 2;
		} else {
			unsigned cp = 0, lo = 0;

			hex4(s + 2, &cp);
			s += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {   /* checked by the parser */
				hex4(s + 2, &lo);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			n = put_utf8(cp, buf);
		}
		if (k + n + 1 > outlen)
			return -1;
		memcpy(out + k, buf, n);
		k += n;
	}
	out[k] = '\0';
	return (long)k;
}

int jp_int64(const struct jp_doc *d, uint32_t i, int64_t *out)
{
	const char *s, *end;
	uint64_t v = 0, limit;
	int neg = 0;

	if (i >= d->n || d->v[i].type != JP_NUMBER || !d->v[i].integer)
		return JP_NOT_INTEGER;
	s = d->text + d->v[i].pos;
	end = s + d->v[i].len;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s < end; s++) {
		unsigned digit = (unsigned)(*s - '0');
		if (v > (limit - digit) / 10)
			return JP_RANGE;
		v = v * 10 + digit;
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}
