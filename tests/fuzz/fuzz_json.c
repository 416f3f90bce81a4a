/*
 * fuzz_json.c - the JSON writer (json.h): escaping, UTF-8 repair,
 * nesting and commas, numbers, timestamps.
 *
 * Input: a little program, one operation per byte (low 4 bits), with its
 * operands after it:
 *   0 {   1 }   2 [   3 ]   4 string (len byte, bytes)   5 key (len, bytes)
 *   6 u64 (8 bytes)   7 i64 (8)   8 double (8 bytes, decimals byte)
 *   9 bool (byte)   10 null   11 key+string (len, bytes, len, bytes)
 *   12 key+u64 (len, bytes, 8)   13 key+bool (len, bytes, byte)
 *   14 timestamp as a string value (8 bytes)   15 string with NULs (len, bytes)
 * The harness keeps its own stack so every call sequence it makes is one
 * a writer may make: a value in an object gets a key first, a key
 * outside an object or a close that does not match is skipped, and what
 * is open at the end is closed.
 *
 * Checked: the document is valid JSON and valid UTF-8 (unless the writer
 * flagged it unusable, which it must do exactly when nesting went past
 * JSON_MAX_DEPTH), and reading it back gives exactly what was written:
 * the same structure and keys, every string equal to its input with
 * each invalid UTF-8 byte replaced by U+FFFD, the same integers, doubles
 * equal to the decimals asked for (null for NaN and infinities), and
 * timestamps equal to gmtime's reading of the time.
 */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"

#define MAX_NEST 20
#define MAX_EVENTS 4096

struct event {
	int tok;
	char *text;      /* KEY/STR: the expected decoded text; NUM: as written */
	size_t len;
	double num;      /* doubles: the value, decimals in dec (-1: exact text) */
	int dec;
};

struct prog {
	const uint8_t *p, *end;
	struct json j;
	int stack[MAX_NEST + 1];   /* FJ_OBJ or FJ_ARR */
	int depth, max_depth;
	int want_value;            /* in an object: a key was written */
	int root_done;
	struct event ev[MAX_EVENTS];
	int nev;
};

static struct prog P;

static const uint8_t *take(struct prog *g, size_t n)
{
	const uint8_t *s;

	if ((size_t)(g->end - g->p) < n)
		return NULL;
	s = g->p;
	g->p += n;
	return s;
}

/* A length byte and that many bytes (cut short at the end). */
static const uint8_t *take_str(struct prog *g, size_t *n)
{
	const uint8_t *l = take(g, 1), *s;

	if (!l)
		return NULL;
	*n = *l;
	if ((size_t)(g->end - g->p) < *n)
		*n = (size_t)(g->end - g->p);
	s = g->p;
	g->p += *n;
	return s;
}

static uint64_t take_u64(struct prog *g, int *ok)
{
	const uint8_t *b = take(g, 8);
	uint64_t v = 0;

	*ok = b != NULL;
	for (int i = 0; b && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* What a reader should get back from n raw bytes: each invalid UTF-8
 * byte becomes U+FFFD. Decoded here by value, not by lead-byte ranges. */
static char *repaired(const uint8_t *s, size_t n, size_t *outlen)
{
	char *out = malloc(n * 3 + 1);
	size_t o = 0;

	if (!out)
		fuzz_fail("out of memory");
	for (size_t i = 0; i < n;) {
		size_t l = 1;
		uint32_t cp = 0, min = 0;
		if (s[i] < 0x80) { cp = s[i]; min = 0; l = 1; }
		else if ((s[i] & 0xE0) == 0xC0) { cp = s[i] & 0x1F; min = 0x80; l = 2; }
		else if ((s[i] & 0xF0) == 0xE0) { cp = s[i] & 0x0F; min = 0x800; l = 3; }
		else if ((s[i] & 0xF8) == 0xF0) { cp = s[i] & 0x07; min = 0x10000; l = 4; }
		else l = 0;
		for (size_t k = 1; l && k < l; k++) {
			if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
				l = 0;
			else
				cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (l && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
			l = 0;
		if (!l) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static struct event *expect(struct prog *g, int tok)
{
	struct event *e;

	if (g->nev >= MAX_EVENTS)
		return NULL;
	e = &g->ev[g->nev++];
	memset(e, 0, sizeof *e);
	e->tok = tok;
	e->dec = -1;
	return e;
}

static void expect_text(struct prog *g, int tok, const uint8_t *s, size_t n)
{
	struct event *e = expect(g, tok);

	if (e)
		e->text = repaired(s, n, &e->len);
}

static void expect_num(struct prog *g, const char *text)
{
	struct event *e = expect(g, FJ_NUM);

	if (e) {
		e->text = strdup(text);
		e->len = strlen(text);
	}
}

/* Before a value: inside an object without a key, write one. */
static void before_value(struct prog *g)
{
	static const char *const names[] = { "k0", "k1", "k2", "k3" };

	if (g->depth > 0 && g->stack[g->depth - 1] == FJ_OBJ && !g->want_value) {
		const char *k = names[g->nev & 3];
		json_key(&g->j, k);
		expect_text(g, FJ_KEY, (const uint8_t *)k, strlen(k));
	}
	g->want_value = 0;
	if (g->depth == 0)
		g->root_done = 1;
}

/* A key from raw bytes: json_key takes a C string, so it ends at a NUL. */
static void write_key(struct prog *g, const uint8_t *s, size_t n)
{
	char *k = malloc(n + 1);

	if (!k)
		fuzz_fail("out of memory");
	memcpy(k, s, n);
	k[n] = '\0';
	json_key(&g->j, k);
	expect_text(g, FJ_KEY, (const uint8_t *)k, strlen(k));
	free(k);
	g->want_value = 1;
}

static int key_allowed(const struct prog *g)
{
	return g->depth > 0 && g->stack[g->depth - 1] == FJ_OBJ && !g->want_value;
}

static void open_container(struct prog *g, int tok)
{
	if (g->depth >= MAX_NEST)
		return;
	before_value(g);
	if (tok == FJ_OBJ)
		json_obj_begin(&g->j);
	else
		json_arr_begin(&g->j);
	expect(g, tok);
	g->stack[g->depth++] = tok;
	if (g->depth > g->max_depth)
		g->max_depth = g->depth;
	g->root_done = 0;
}

static void close_container(struct prog *g)
{
	if (g->stack[g->depth - 1] == FJ_OBJ) {
		if (g->want_value) {      /* a key waits for its value */
			json_null(&g->j);
			expect(g, FJ_NULL);
			g->want_value = 0;
		}
		json_obj_end(&g->j);
		expect(g, FJ_OBJ_END);
	} else {
		json_arr_end(&g->j);
		expect(g, FJ_ARR_END);
	}
	g->depth--;
	if (g->depth == 0)
		g->root_done = 1;
}

static void write_ts(struct prog *g, uint64_t ts)
{
	char out[JSON_TS_LEN], want[128];
	time_t sec = (time_t)(ts / 1000000);
	struct tm tm;

	json_format_ts(out, ts);
	if (!gmtime_r(&sec, &tm))
		fuzz_fail("gmtime_r failed for %llu", (unsigned long long)ts);
	snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ts % 1000000));
	if (strcmp(out, want) != 0)
		fuzz_fail("json_format_ts(%llu) = \"%s\", want \"%s\"", (unsigned long long)ts, out, want);
	before_value(g);
	json_str(&g->j, out);
	expect_text(g, FJ_STR, (const uint8_t *)out, strlen(out));
}

static void run(struct prog *g)
{
	const uint8_t *op, *s, *s2;
	size_t n, n2;
	uint64_t v;
	int ok;

	while (!g->root_done && (op = take(g, 1))) {
		switch (*op & 15) {
		case 0: open_container(g, FJ_OBJ); break;
		case 1:
			if (g->depth > 0 && g->stack[g->depth - 1] == FJ_OBJ)
				close_container(g);
			break;
		case 2: open_container(g, FJ_ARR); break;
		case 3:
			if (g->depth > 0 && g->stack[g->depth - 1] == FJ_ARR)
				close_container(g);
			break;
		case 4:
		case 15:
			if (!(s = take_str(g, &n)))
				return;
			before_value(g);
			if ((*op & 15) == 15) {
				json_strn(&g->j, (const char *)s, n);
				expect_text(g, FJ_STR, s, n);
			} else {
				/* json_str: a C string, up to its NUL */
				char *c = strndup((const char *)s, n);
				if (!c)
					fuzz_fail("out of memory");
				json_str(&g->j, c);
				expect_text(g, FJ_STR, (const uint8_t *)c, strlen(c));
				free(c);
			}
			break;
		case 5:
			if (!(s = take_str(g, &n)))
				return;
			if (key_allowed(g))
				write_key(g, s, n);
			break;
		case 6:
		case 7: {
			char b[32];
			v = take_u64(g, &ok);
			if (!ok)
				return;
			before_value(g);
			if ((*op & 15) == 6) {
				json_u64(&g->j, v);
				snprintf(b, sizeof b, "%llu", (unsigned long long)v);
			} else {
				json_i64(&g->j, (int64_t)v);
				snprintf(b, sizeof b, "%lld", (long long)(int64_t)v);
			}
			expect_num(g, b);
			break;
		}
		case 8: {
			double d;
			const uint8_t *dec;
			v = take_u64(g, &ok);
			if (!ok || !(dec = take(g, 1)))
				return;
			memcpy(&d, &v, sizeof d);
			before_value(g);
			json_double(&g->j, d, *dec % 10);
			struct event *e = expect(g, isfinite(d) ? FJ_NUM : FJ_NULL);
			if (e) {
				e->num = d;
				e->dec = *dec % 10;
			}
			break;
		}
		case 9:
			if (!(s = take(g, 1)))
				return;
			before_value(g);
			json_bool(&g->j, *s & 1);
			expect(g, *s & 1 ? FJ_TRUE : FJ_FALSE);
			break;
		case 10:
			before_value(g);
			json_null(&g->j);
			expect(g, FJ_NULL);
			break;
		case 11:
		case 12:
		case 13:
			if (!(s = take_str(g, &n)))
				return;
			if (!key_allowed(g)) {
				/* operands are consumed all the same */
				if ((*op & 15) == 11) take_str(g, &n2);
				else if ((*op & 15) == 12) take_u64(g, &ok);
				else take(g, 1);
				break;
			}
			{
				char *k = strndup((const char *)s, n);
				if (!k)
					fuzz_fail("out of memory");
				if ((*op & 15) == 11) {
					if (!(s2 = take_str(g, &n2))) {
						free(k);
						return;
					}
					char *val = strndup((const char *)s2, n2);
					if (!val)
						fuzz_fail("out of memory");
					json_kstr(&g->j, k, val);
					if (*val) {   /* an empty value skips the pair */
						expect_text(g, FJ_KEY, (const uint8_t *)k, strlen(k));
						expect_text(g, FJ_STR, (const uint8_t *)val, strlen(val));
					}
					free(val);
				} else if ((*op & 15) == 12) {
					char b[32];
					v = take_u64(g, &ok);
					if (!ok) {
						free(k);
						return;
					}
					json_ku64(&g->j, k, v);
					expect_text(g, FJ_KEY, (const uint8_t *)k, strlen(k));
					snprintf(b, sizeof b, "%llu", (unsigned long long)v);
					expect_num(g, b);
				} else {
					if (!(s2 = take(g, 1))) {
						free(k);
						return;
					}
					json_kbool(&g->j, k, *s2 & 1);
					expect_text(g, FJ_KEY, (const uint8_t *)k, strlen(k));
					expect(g, *s2 & 1 ? FJ_TRUE : FJ_FALSE);
				}
				free(k);
			}
			break;
		case 14:
			v = take_u64(g, &ok);
			if (!ok)
				return;
			write_ts(g, v);
			break;
		}
	}
}

struct cmp {
	struct prog *g;
	int i;
};

static void on_event(void *ctx, int tok, const char *text, size_t len)
{
	struct cmp *c = ctx;
	struct event *e;

	if (c->i >= c->g->nev)
		fuzz_fail("read back more than was written (event %d)", c->i);
	e = &c->g->ev[c->i++];
	if (e->tok != tok)
		fuzz_fail("event %d: read token %d, wrote %d", c->i - 1, tok, e->tok);
	if (tok == FJ_KEY || tok == FJ_STR) {
		if (len != e->len || memcmp(text, e->text, len) != 0)
			fuzz_fail("event %d: read \"%.*s\" (%zu bytes), want \"%.*s\" (%zu bytes)", c->i - 1,
				  (int)len, text, len, (int)e->len, e->text, e->len);
	} else if (tok == FJ_NUM && e->dec < 0) {
		if (len != e->len || memcmp(text, e->text, len) != 0)
			fuzz_fail("event %d: read number %.*s, want %s", c->i - 1, (int)len, text, e->text);
	} else if (tok == FJ_NUM) {
		char b[512];
		snprintf(b, sizeof b, "%.*s", (int)len, text);
		double got = strtod(b, NULL), tol = 0.5000001 * pow(10, -e->dec) + fabs(e->num) * 1e-15;
		if (!(fabs(got - e->num) <= tol))
			fuzz_fail("event %d: read %s for %.17g with %d decimals", c->i - 1, b, e->num, e->dec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog *g = &P;
	char why[200];

	memset(g, 0, sizeof *g);
	g->p = data;
	g->end = data + size;
	json_init(&g->j);
	run(g);
	while (g->depth > 0)
		close_container(g);
	if (g->nev >= MAX_EVENTS)
		goto out;    /* too long to compare; the writer was still exercised */

	int too_deep = g->max_depth > JSON_MAX_DEPTH;
	if (g->j.oom != too_deep)
		fuzz_fail("writer's unusable flag %d after nesting %d deep (limit %d)", g->j.oom,
			  g->max_depth, JSON_MAX_DEPTH);
	if (g->j.oom || g->nev == 0)
		goto out;
	if (!g->j.buf || strlen(g->j.buf) != g->j.len)
		fuzz_fail("document length %zu, but a NUL at %zu", g->j.len,
			  g->j.buf ? strlen(g->j.buf) : 0);
	if (!fuzz_utf8_valid((const uint8_t *)g->j.buf, g->j.len))
		fuzz_fail("document is not valid UTF-8: %.300s", g->j.buf);
	/* repeated keys are the caller's business here, not the writer's */
	struct cmp c = { g, 0 };
	if (fuzz_json_check(g->j.buf, g->j.len, 0, on_event, &c, why, sizeof why) < 0)
		fuzz_fail("document is not valid JSON (%s): %.300s", why, g->j.buf);
	if (c.i != g->nev)
		fuzz_fail("read back %d events, wrote %d", c.i, g->nev);
out:
	for (int i = 0; i < g->nev; i++)
		free(g->ev[i].text);
	json_free(&g->j);
	return 0;
}
