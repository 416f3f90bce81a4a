/*
 * web_req.c - one API request: its form, its body and parameters, its
 * answer, the audit log (see web_req.h).
 *
 * Request bodies are read by the strict reader of json_parse.h (once, by
 * web_request_form, for the router); every answer is written with the one
 * JSON writer.
 */
#include "web_req.h"
#include "output/eve.h"
#include "output/store.h"

#include "core/clock.h"
#include "core/utf8.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- answers ----------------------------------------------------------------------- */

void web_error(struct web_req *r, int status, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_reset(&r->out);
	json_obj_begin(&r->out);
	json_key(&r->out, "error");
	json_str(&r->out, msg);
	json_obj_end(&r->out);
	r->status = status;
}

void web_ok_begin(struct web_req *r, int status)
{
	json_reset(&r->out);
	json_obj_begin(&r->out);
	r->status = status;
}

void web_db_error(struct web_req *r)
{
	log_warn("web: %s %s: database: %s", r->method, r->path, sqlite3_errmsg(r->db));
	web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
}

/* ---- store ---------------------------------------------------------------------------- */

int web_db_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK) {
		/* 5 s for the write lock; the store's writer gives way meanwhile */
		store_busy_yielding(*db, 5000);
		rc = sqlite3_exec(*db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
				  " PRAGMA cache_size = -4096", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "open %s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

int web_audit(sqlite3 *db, const char *user, const char *action, const char *target,
	      const char *detail)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, "INSERT INTO audit (ts_us, username, action, target, detail)"
			       " VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_us());
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		log_warn("web: audit log: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

long web_text_chars(const char *s)
{
	return utf8_chars((const unsigned char *)s, strlen(s));
}

/* ---- the request's form ----------------------------------------------------------------- */

static int is_tchar(int c)
{
	return c && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c));
}

int web_content_type_json(const char *ct)
{
	const char *p = ct;

	if (!ct || strncasecmp(p, "application/json", 16) != 0)
		return 0;
	p += 16;
	for (;;) {
		char name[16], val[32];
		size_t nl = 0, vl = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 1;
		if (*p++ != ';')
			return 0;
		while (*p == ' ' || *p == '\t')
			p++;
		for (; is_tchar((unsigned char)*p); p++)
			if (nl + 1 < sizeof name)
				name[nl++] = *p;
		name[nl] = '\0';
		if (!nl || *p++ != '=')
			return 0;
		if (*p == '"') {            /* quoted-string */
			for (p++; *p != '"'; p++) {
				if (!*p)
					return 0;
				if (*p == '\\' && !*++p)
					return 0;
				if (vl + 1 < sizeof val)
					val[vl++] = *p;
			}
			p++;
		} else {
			for (; is_tchar((unsigned char)*p); p++)
				if (vl + 1 < sizeof val)
					val[vl++] = *p;
			if (!vl)
				return 0;
		}
		val[vl] = '\0';
		if (strcasecmp(name, "charset") == 0 && strcasecmp(val, "utf-8") != 0)
			return 0;
	}
}

struct header_count {
	const char *name;
	int n;
};

static enum MHD_Result count_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct header_count *hc = cls;

	if (strcasecmp(key, hc->name) == 0)
		hc->n++;
	return MHD_YES;
}

/* How often header name was sent. */
static int header_count(struct MHD_Connection *conn, const char *name)
{
	struct header_count hc = { name, 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_iter, &hc);
	return hc.n;
}

int web_request_form(struct web_req *r)
{
	char err[200];
	int post = strcmp(r->method, "POST") == 0;

	if (r->body_len > 0 && !post) {
		web_error(r, 400, "a %s request takes no body", r->method);
		return -1;
	}
	if (post && MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) > 0) {
		web_error(r, 400, "a POST takes its input in the JSON body, not in query parameters");
		return -1;
	}
	if (header_count(r->conn, "Content-Type") > 1 || header_count(r->conn, "X-CSRF-Token") > 1) {
		web_error(r, 400, "Content-Type and X-CSRF-Token may be sent once each");
		return -1;
	}
	if (r->body_len == 0)
		return jp_parse(&r->doc, "{}", 2, err, sizeof err) == 0 ? 0 :
		       (web_error(r, 500, "out of memory"), -1);
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
	if (!web_content_type_json(ct)) {
		web_error(r, 415, "a request body must be sent as Content-Type: application/json"
			  " (got %s%.60s%s)", ct ? "'" : "", ct ? ct : "none", ct ? "'" : "");
		return -1;
	}
	if (jp_parse(&r->doc, r->body, r->body_len, err, sizeof err) != 0) {
		web_error(r, 400, "body: not valid JSON: %s", err);
		return -1;
	}
	if (r->doc.v[0].type != JP_OBJECT) {
		web_error(r, 400, "body: expected a JSON object");
		return -1;
	}
	return 0;
}

/* ---- request bodies --------------------------------------------------------------------- */

int web_body_object(struct web_req *r, const char *const *allowed)
{
	const struct jp_doc *d = &r->doc;
	char k[JP_MAX_NAME + 1];

	if (d->n == 0 || d->v[0].type != JP_OBJECT) {
		web_error(r, 400, "body: expected a JSON object");
		return -1;
	}
	for (uint32_t c = 1, m = 0; m < d->v[0].count; m++, c = d->v[c + 1].next) {
		int known = 0;

		if (jp_string(d, c, k, sizeof k) < 0)
			k[0] = '\0';
		for (int i = 0; allowed[i]; i++)
			if (strcmp(k, allowed[i]) == 0)
				known = 1;
		if (!known) {
			web_error(r, 400, "body: unknown member '%.40s'", k);
			return -1;
		}
	}
	return 0;
}

/* The value of body member key of type want: its index, or -1 absent
 * (answered when required), -2 answered (another type). */
static long body_member(struct web_req *r, const char *key, enum jp_type want, const char *what,
			int required)
{
	long i = jp_member(&r->doc, 0, key);

	if (i < 0) {
		if (required)
			web_error(r, 400, "body: '%s' is missing", key);
		return required ? -2 : -1;
	}
	if (r->doc.v[i].type != want &&
	    !(want == JP_TRUE && r->doc.v[i].type == JP_FALSE)) {
		web_error(r, 400, "body: '%s' must be %s", key, what);
		return -2;
	}
	return i;
}

int web_body_str(struct web_req *r, const char *key, char *out, size_t outlen,
		 size_t maxchars, int required)
{
	long i = body_member(r, key, JP_STRING, "a string", required), n, chars;

	out[0] = '\0';
	if (i < 0)
		return i == -1 ? 0 : -1;
	n = jp_string(&r->doc, (uint32_t)i, out, outlen);
	chars = n < 0 ? -1 : utf8_chars((const unsigned char *)out, (size_t)n);
	if (n < 0 || chars < 0 || (size_t)chars > maxchars) {
		out[0] = '\0';
		web_error(r, 400, "body: '%s' is longer than %zu characters", key, maxchars);
		return -1;
	}
	return 1;
}

int web_body_i64(struct web_req *r, const char *key, int64_t min, int64_t max, int64_t *out,
		 int required)
{
	long i = body_member(r, key, JP_NUMBER, "an integer", required);
	int64_t v;

	if (i < 0)
		return i == -1 ? 0 : -1;
	if (jp_int64(&r->doc, (uint32_t)i, &v) != 0 || v < min || v > max) {
		web_error(r, 400, "body: '%s' must be an integer from %lld to %lld", key,
			  (long long)min, (long long)max);
		return -1;
	}
	*out = v;
	return 1;
}

int web_body_bool(struct web_req *r, const char *key, int *out, int required)
{
	long i = body_member(r, key, JP_TRUE, "true or false", required);

	if (i < 0)
		return i == -1 ? 0 : -1;
	*out = r->doc.v[i].type == JP_TRUE;
	return 1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int web_body_ids(struct web_req *r, const char *key, int64_t *ids, int max, int *n)
{
	long a = body_member(r, key, JP_ARRAY, "a list of ids", 1);
	const struct jp_doc *d = &r->doc;
	int64_t *sorted;

	*n = 0;
	if (a < 0)
		return -1;
	if (d->v[a].count < 1 || d->v[a].count > (uint32_t)max) {
		web_error(r, 400, "body: '%s' must hold 1 to %d ids", key, max);
		return -1;
	}
	for (uint32_t c = (uint32_t)a + 1, k = 0; k < d->v[a].count; k++, c = d->v[c].next) {
		if (jp_int64(d, c, &ids[k]) != 0 || ids[k] < 1) {
			web_error(r, 400, "body: '%s': every id must be an integer from 1 to %lld",
				  key, (long long)INT64_MAX);
			return -1;
		}
	}
	sorted = malloc(d->v[a].count * sizeof *sorted);
	if (!sorted) {
		web_error(r, 500, "out of memory");
		return -1;
	}
	memcpy(sorted, ids, d->v[a].count * sizeof *sorted);
	qsort(sorted, d->v[a].count, sizeof *sorted, cmp_i64);
	for (uint32_t k = 1; k < d->v[a].count; k++) {
		if (sorted[k] == sorted[k - 1]) {
			web_error(r, 400, "body: '%s': id %lld given twice", key, (long long)sorted[k]);
			free(sorted);
			return -1;
		}
	}
	free(sorted);
	*n = (int)d->v[a].count;
	return 1;
}

/* ---- query parameters ---------------------------------------------------------------------- */

enum param_problem { PP_NONE, PP_UNKNOWN, PP_TWICE, PP_NO_VALUE, PP_NOT_TEXT };

struct param_check {
	const char *const *allowed;
	int count[24];
	char bad[48];
	enum param_problem why;
};

static enum MHD_Result param_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				  size_t key_size, const char *value, size_t value_size)
{
	struct param_check *pc = cls;

	snprintf(pc->bad, sizeof pc->bad, "%s", key);
	for (int i = 0; pc->allowed[i] && i < (int)(sizeof pc->count / sizeof pc->count[0]); i++) {
		if (strcmp(key, pc->allowed[i]) != 0 || strlen(key) != key_size)
			continue;
		if (++pc->count[i] > 1)
			pc->why = PP_TWICE;
		else if (!value)
			pc->why = PP_NO_VALUE;
		else if (strlen(value) != value_size ||
			 utf8_chars((const unsigned char *)value, value_size) < 0)
			pc->why = PP_NOT_TEXT;
		return pc->why ? MHD_NO : MHD_YES;
	}
	pc->why = PP_UNKNOWN;
	return MHD_NO;
}

int web_params_check(struct web_req *r, const char *const *allowed)
{
	struct param_check pc;

	memset(&pc, 0, sizeof pc);
	pc.allowed = allowed;
	MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, param_iter, &pc);
	switch (pc.why) {
	case PP_NONE:
		return 0;
	case PP_UNKNOWN:
		web_error(r, 400, "unknown parameter '%s'", pc.bad);
		break;
	case PP_TWICE:
		web_error(r, 400, "parameter '%s' given twice", pc.bad);
		break;
	case PP_NO_VALUE:
		web_error(r, 400, "parameter '%s' needs a value (%s=...)", pc.bad, pc.bad);
		break;
	case PP_NOT_TEXT:
		web_error(r, 400, "parameter '%s': not valid UTF-8 text", pc.bad);
		break;
	}
	return -1;
}

const char *web_param(struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* A decimal integer written plainly (an optional '-', no '+', no spaces, no
 * leading zeros, no "-0", no fraction or exponent) within min..max.
 * 1 present, 0 absent, -1 answered. */
int web_param_i64(struct web_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = web_param(r, name), *p;
	int neg = 0;
	int64_t x = 0;

	if (!v)
		return 0;
	p = v;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!*p || strlen(p) > 19 || (p[0] == '0' && (p[1] || neg)))
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		if (x > (INT64_MAX - (*p - '0')) / 10)
			goto bad;
		x = x * 10 + (*p - '0');
	}
	if (neg)
		x = -x;
	if (x < min || x > max)
		goto bad;
	*out = x;
	return 1;
bad:
	web_error(r, 400, "parameter '%s': expected an integer from %lld to %lld", name,
		  (long long)min, (long long)max);
	return -1;
}

/* One of the words in choices (NULL-terminated). 1, 0 absent, -1 answered. */
int web_param_choice(struct web_req *r, const char *name, const char *const *choices,
		     char *out, size_t outlen)
{
	const char *v = web_param(r, name);
	char list[160] = "";

	if (!v)
		return 0;
	for (int i = 0; choices[i]; i++) {
		if (strcmp(v, choices[i]) == 0) {
			snprintf(out, outlen, "%s", v);
			return 1;
		}
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
			 choices[i]);
	}
	web_error(r, 400, "parameter '%s': expected one of %s", name, list);
	return -1;
}

/* An IP address, written as vigil writes them (inet_ntop). */
int web_param_host(struct web_req *r, const char *name, char *out, size_t outlen)
{
	const char *v = web_param(r, name);
	unsigned char a[16];

	if (!v)
		return 0;
	if (strlen(v) < 64) {
		if (inet_pton(AF_INET, v, a) == 1 && inet_ntop(AF_INET, a, out, (socklen_t)outlen))
			return 1;
		/* the store's form: IPv6 with every group in full, as EVE */
		if (inet_pton(AF_INET6, v, a) == 1 && outlen >= EVE_IP_LEN) {
			char full[EVE_IP_LEN];
			snprintf(out, outlen, "%s", eve_ip_text(v, full));
			return 1;
		}
	}
	web_error(r, 400, "parameter '%s': expected an IPv4 or IPv6 address", name);
	return -1;
}

int web_param_range(struct web_req *r, int64_t *from, int64_t *to, int *has_from, int *has_to)
{
	int a = web_param_i64(r, "from", 0, WEB_TIME_MAX, from);
	if (a < 0)
		return -1;
	int b = web_param_i64(r, "to", 0, WEB_TIME_MAX, to);
	if (b < 0)
		return -1;
	*has_from = a;
	*has_to = b;
	if (a && b && *from > *to) {
		web_error(r, 400, "parameters: 'from' is after 'to'");
		return -1;
	}
	return 0;
}
