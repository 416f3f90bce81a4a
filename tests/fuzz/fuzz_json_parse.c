/*
 * fuzz_json_parse.c - the strict JSON reader of request bodies
 * (json_parse.h), against the harnesses' own JSON checker (fuzz_util.c,
 * written apart from it).
 *
 * Input: any bytes, read as a request body.
 *
 * Checked: what jp_parse accepts is valid JSON to the checker, and reads
 * the same: the same values in the same order, strings decoded alike
 * (jp_string; one byte short of room is refused), numbers with the same
 * text, integers converted as strtoll does (or JP_RANGE, JP_NOT_INTEGER),
 * every member found by jp_member, `next` and `count` consistent. What
 * it refuses is either invalid to the checker or over one of its stated
 * limits (nesting, values, members, name length, an escaped NUL), and
 * the reason names a byte offset within the text.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_parse.h"

struct ev {
	int tok;
	char *text;
	size_t len;
};

struct seen {
	struct ev *ev;
	int n, cap;
	int depth, max_depth;
	long values;                  /* names included, as jp counts */
	int members[JP_MAX_DEPTH + 70];/* members of the open objects, by depth */
	int max_members;
	size_t max_name;
	int nul;                      /* a decoded string or name holds a NUL */
	int in_obj[JP_MAX_DEPTH + 70];
};

static void on_event(void *ctx, int tok, const char *text, size_t len)
{
	struct seen *s = ctx;
	struct ev *e;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->ev = realloc(s->ev, (size_t)s->cap * sizeof *s->ev);
		if (!s->ev)
			fuzz_fail("out of memory");
	}
	e = &s->ev[s->n++];
	e->tok = tok;
	e->text = NULL;
	e->len = len;
	if (text) {
		e->text = malloc(len + 1);
		if (!e->text)
			fuzz_fail("out of memory");
		memcpy(e->text, text, len);
		e->text[len] = '\0';
		if (memchr(text, '\0', len))
			s->nul = 1;
	}
	switch (tok) {
	case FJ_OBJ:
	case FJ_ARR:
		s->values++;
		s->depth++;
		if (s->depth > s->max_depth)
			s->max_depth = s->depth;
		if (s->depth < (int)(sizeof s->members / sizeof s->members[0])) {
			s->members[s->depth] = 0;
			s->in_obj[s->depth] = tok == FJ_OBJ;
		}
		break;
	case FJ_OBJ_END:
	case FJ_ARR_END:
		s->depth--;
		break;
	case FJ_KEY:
		s->values++;
		if (len > s->max_name)
			s->max_name = len;
		if (s->depth < (int)(sizeof s->members / sizeof s->members[0]) &&
		    ++s->members[s->depth] > s->max_members)
			s->max_members = s->members[s->depth];
		break;
	default:
		s->values++;
	}
}

struct walk {
	const struct jp_doc *d;
	struct seen *s;
	int k;                        /* next event */
};

static struct ev *next_ev(struct walk *w, int tok)
{
	if (w->k >= w->s->n)
		fuzz_fail("jp_parse read more values than the checker (%d)", w->s->n);
	struct ev *e = &w->s->ev[w->k++];
	if (e->tok != tok)
		fuzz_fail("value %d: jp_parse read kind %d, the checker %d", w->k - 1, tok, e->tok);
	return e;
}

static void check_string(struct walk *w, uint32_t i, int tok)
{
	struct ev *e = next_ev(w, tok);
	char *out = malloc(e->len + 1);

	if (!out)
		fuzz_fail("out of memory");
	if (e->len && jp_string(w->d, i, out, e->len) != -1)
		fuzz_fail("jp_string wrote %zu bytes and a NUL into %zu", e->len, e->len);
	long n = jp_string(w->d, i, out, e->len + 1);
	if (n < 0 || (size_t)n != e->len || memcmp(out, e->text, e->len) != 0)
		fuzz_fail("string %u: jp_string gave %ld bytes \"%.80s\", the checker %zu \"%.80s\"", i,
			  n, n > 0 ? out : "", e->len, e->text);
	free(out);
}

static void check_number(struct walk *w, uint32_t i)
{
	const struct jp_value *v = &w->d->v[i];
	struct ev *e = next_ev(w, FJ_NUM);
	int integer = !memchr(e->text, '.', e->len) && !memchr(e->text, 'e', e->len) &&
		      !memchr(e->text, 'E', e->len);
	int64_t got = 0;
	int rc;

	if (v->len != e->len || memcmp(w->d->text + v->pos, e->text, e->len) != 0)
		fuzz_fail("number %u: jp_parse read \"%.*s\", the checker \"%s\"", i, (int)v->len,
			  w->d->text + v->pos, e->text);
	if (v->integer != integer)
		fuzz_fail("number %s: integer flag %u", e->text, v->integer);
	rc = jp_int64(w->d, i, &got);
	if (!integer) {
		if (rc != JP_NOT_INTEGER)
			fuzz_fail("jp_int64(%s) = %d, not JP_NOT_INTEGER", e->text, rc);
		return;
	}
	errno = 0;
	long long want = strtoll(e->text, NULL, 10);
	if (errno == ERANGE) {
		if (rc != JP_RANGE)
			fuzz_fail("jp_int64(%s) = %d, not JP_RANGE", e->text, rc);
	} else if (rc != 0 || got != want) {
		fuzz_fail("jp_int64(%s) = %d, %lld; strtoll gives %lld", e->text, rc, (long long)got, want);
	}
}

/* Walk value i as the checker's events saw it; returns the index after it. */
static uint32_t check_value(struct walk *w, uint32_t i)
{
	const struct jp_doc *d = w->d;
	const struct jp_value *v;
	uint32_t j;

	if (i >= d->n)
		fuzz_fail("value index %u beyond the %u values", i, d->n);
	v = &d->v[i];
	switch (v->type) {
	case JP_NULL: next_ev(w, FJ_NULL); j = i + 1; break;
	case JP_TRUE: next_ev(w, FJ_TRUE); j = i + 1; break;
	case JP_FALSE: next_ev(w, FJ_FALSE); j = i + 1; break;
	case JP_NUMBER: check_number(w, i); j = i + 1; break;
	case JP_STRING: check_string(w, i, FJ_STR); j = i + 1; break;
	case JP_ARRAY:
		next_ev(w, FJ_ARR);
		j = i + 1;
		for (uint32_t k = 0; k < v->count; k++)
			j = check_value(w, j);
		next_ev(w, FJ_ARR_END);
		break;
	case JP_OBJECT:
		next_ev(w, FJ_OBJ);
		j = i + 1;
		for (uint32_t k = 0; k < v->count; k++) {
			char name[JP_MAX_NAME + 1];
			if (j >= d->n || d->v[j].type != JP_STRING)
				fuzz_fail("member %u of object %u has no name", k, i);
			check_string(w, j, FJ_KEY);
			if (jp_string(d, j, name, sizeof name) < 0)
				fuzz_fail("member name %u longer than JP_MAX_NAME", j);
			if (jp_member(d, i, name) != (long)j + 1)
				fuzz_fail("jp_member(\"%s\") = %ld, the member's value is %u", name,
					  jp_member(d, i, name), j + 1);
			j = check_value(w, j + 1);
		}
		if (jp_member(d, i, "\x01 no such member") != -1)
			fuzz_fail("jp_member found a member that is not there");
		next_ev(w, FJ_OBJ_END);
		break;
	default:
		fuzz_fail("value %u of type %u", i, v->type);
	}
	if (v->next != j)
		fuzz_fail("value %u: next is %u, its contents end at %u", i, v->next, j);
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jp_doc d;
	struct seen s;
	char err[256] = "", why[200];
	int mine, theirs;

	memset(&s, 0, sizeof s);
	memset(&d, 0, sizeof d);
	mine = fuzz_json_check((const char *)data, size, FJ_NO_DUP_KEYS, on_event, &s, why, sizeof why);
	theirs = jp_parse(&d, (const char *)data, size, err, sizeof err);

	if (theirs == 0) {
		struct walk w = { &d, &s, 0 };
		if (mine != 0)
			fuzz_fail("jp_parse accepts what is not valid JSON (%s)", why);
		if (d.n == 0 || check_value(&w, 0) != d.n || w.k != s.n)
			fuzz_fail("jp_parse read %u values, the checker %d events (%d compared)", d.n, s.n, w.k);
	} else {
		long at;
		if (strncmp(err, "at byte ", 8) != 0 || (at = strtol(err + 8, NULL, 10)) < 0 ||
		    (size_t)at > size)
			fuzz_fail("jp_parse's reason does not name a byte of the text: %s", err);
		if (mine == 0 && s.max_depth <= JP_MAX_DEPTH && s.values <= JP_MAX_VALUES &&
		    s.max_members <= JP_MAX_MEMBERS && s.max_name <= JP_MAX_NAME && !s.nul)
			fuzz_fail("jp_parse refuses valid JSON within its limits (%s; depth %d, %ld values,"
				  " %d members, name %zu bytes)", err, s.max_depth, s.values,
				  s.max_members, s.max_name);
	}
	jp_free(&d);
	for (int i = 0; i < s.n; i++)
		free(s.ev[i].text);
	free(s.ev);
	return 0;
}
