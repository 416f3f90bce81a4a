/*
 * web_api.c - the routes of docs/api.md over the SQLite store (see
 * web_api.h).
 *
 * Every query is a constant SQL text with bound parameters: filters add
 * fixed fragments ("AND severity <= ?") and bind the values, so nothing a
 * client sends ever becomes SQL. Request bodies are read by the strict
 * reader of json_parse.h (once, by web_request_form, for the router);
 * every answer is written with the one JSON writer.
 */
#include "web_api.h"
#include "core/homenet.h"
#include "core/log.h"
#include "web_auth.h"
#include "web_users.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIST_LIMIT_MAX 500
#define LIST_LIMIT_DEFAULT 50
#define OFFSET_MAX 10000000
#define EXPORT_MAX 100000
#define ACK_MAX_IDS 1000
#define NOTE_MAX_CHARS 4000
#define Q_MAX_CHARS 200
#define TIME_MAX ((int64_t)1 << 62)   /* microseconds: far beyond any real time */
#define DAY_US (86400LL * 1000000)

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

static void db_error(struct web_req *r)
{
	log_warn("web: %s %s: database: %s", r->method, r->path, sqlite3_errmsg(r->db));
	web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
}

/* ---- store ---------------------------------------------------------------------------- */

int web_db_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(*db, 5000);
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

void web_audit(sqlite3 *db, const char *user, const char *action, const char *target,
	       const char *detail)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "INSERT INTO audit (ts_us, username, action, target, detail)"
			       " VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)web_now_us());
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			log_warn("web: audit log: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
}

/* Characters (code points) of valid UTF-8 s, or -1 when it is not. */
static long utf8_chars(const unsigned char *s, size_t n)
{
	long chars = 0;

	for (size_t i = 0; i < n; chars++) {
		unsigned c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) { i++; continue; }
		if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
		else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
		else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
		else return -1;
		if (i + len > n)
			return -1;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return -1;
		i += len;
	}
	return chars;
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

static const char *param(struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* A decimal integer written plainly (an optional '-', no '+', no spaces, no
 * leading zeros, no "-0", no fraction or exponent) within min..max.
 * 1 present, 0 absent, -1 answered. */
static int param_i64(struct web_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = param(r, name), *p;
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
static int param_choice(struct web_req *r, const char *name, const char *const *choices,
			char *out, size_t outlen)
{
	const char *v = param(r, name);
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
static int param_host(struct web_req *r, const char *name, char *out, size_t outlen)
{
	const char *v = param(r, name);
	unsigned char a[16];

	if (!v)
		return 0;
	if (strlen(v) < 64) {
		if (inet_pton(AF_INET, v, a) == 1 && inet_ntop(AF_INET, a, out, (socklen_t)outlen))
			return 1;
		if (inet_pton(AF_INET6, v, a) == 1 && inet_ntop(AF_INET6, a, out, (socklen_t)outlen))
			return 1;
	}
	web_error(r, 400, "parameter '%s': expected an IPv4 or IPv6 address", name);
	return -1;
}

static int param_range(struct web_req *r, int64_t *from, int64_t *to, int *has_from, int *has_to)
{
	int a = param_i64(r, "from", 0, TIME_MAX, from);
	if (a < 0)
		return -1;
	int b = param_i64(r, "to", 0, TIME_MAX, to);
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

/* ---- SQL built from fixed fragments and bound values ----------------------------------------- */

#define QB_MAX_BINDS 32

struct qb {
	char sql[3072];
	size_t len;
	int overflow;
	int n;
	struct {
		int text;
		int64_t i;
		const char *s;
	} b[QB_MAX_BINDS];
};

static void qb_init(struct qb *q)
{
	memset(q, 0, sizeof *q);
}

/* fragment: a constant of this file, never client data */
static void qb_sql(struct qb *q, const char *fragment)
{
	size_t n = strlen(fragment);

	if (q->len + n + 1 > sizeof q->sql) {
		q->overflow = 1;
		return;
	}
	memcpy(q->sql + q->len, fragment, n + 1);
	q->len += n;
}

static void qb_int(struct qb *q, int64_t v)
{
	if (q->n >= QB_MAX_BINDS) {
		q->overflow = 1;
		return;
	}
	q->b[q->n].text = 0;
	q->b[q->n++].i = v;
}

static void qb_text(struct qb *q, const char *s)
{
	if (q->n >= QB_MAX_BINDS) {
		q->overflow = 1;
		return;
	}
	q->b[q->n].text = 1;
	q->b[q->n++].s = s;
}

static int qb_prepare(struct qb *q, sqlite3 *db, sqlite3_stmt **st)
{
	*st = NULL;
	if (q->overflow || sqlite3_prepare_v2(db, q->sql, -1, st, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < q->n; i++) {
		int rc = q->b[i].text ? sqlite3_bind_text(*st, i + 1, q->b[i].s, -1, SQLITE_STATIC)
				      : sqlite3_bind_int64(*st, i + 1, q->b[i].i);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(*st);
			*st = NULL;
			return -1;
		}
	}
	return 0;
}


/* ---- writing rows ---------------------------------------------------------------------------- */

static const char *proto_name(int p, char buf[8])
{
	switch (p) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	default:
		snprintf(buf, 8, "%d", p & 0xff);
		return buf;
	}
}

/* Column i of a row as a member named after the column: integers as
 * numbers, text as strings, NULL and "" as null; proto by name, risks as
 * a list, alerted as a boolean. */
static void emit_column(struct json *j, sqlite3_stmt *st, int i)
{
	const char *name = sqlite3_column_name(st, i);
	int t = sqlite3_column_type(st, i);
	char pb[8];

	json_key(j, name);
	if (strcmp(name, "proto") == 0) {
		int p = sqlite3_column_int(st, i);
		if (t == SQLITE_NULL || p == 0)
			json_null(j);
		else
			json_str(j, proto_name(p, pb));
	} else if (strcmp(name, "alerted") == 0) {
		json_bool(j, sqlite3_column_int(st, i) != 0);
	} else if (strcmp(name, "risks") == 0) {
		const char *s = (const char *)sqlite3_column_text(st, i);
		json_arr_begin(j);
		while (s && *s) {
			size_t n = strcspn(s, ",");
			if (n)
				json_strn(j, s, n);
			s += n;
			if (*s == ',')
				s++;
		}
		json_arr_end(j);
	} else if (t == SQLITE_INTEGER) {
		json_i64(j, sqlite3_column_int64(st, i));
	} else if (t == SQLITE_FLOAT) {
		json_double(j, sqlite3_column_double(st, i), 6);
	} else if (t == SQLITE_TEXT && sqlite3_column_bytes(st, i) > 0) {
		json_strn(j, (const char *)sqlite3_column_text(st, i),
			  (size_t)sqlite3_column_bytes(st, i));
	} else {
		json_null(j);
	}
}

static void emit_row(struct json *j, sqlite3_stmt *st, int first, int n)
{
	json_obj_begin(j);
	for (int i = first; i < first + n; i++)
		emit_column(j, st, i);
	json_obj_end(j);
}

/* A page of a list: {"total": total, key: [rows of the query]}. */
static void answer_page(struct web_req *r, struct qb *q, int64_t total, const char *key,
			int ncols)
{
	sqlite3_stmt *st;
	int rc;

	if (qb_prepare(q, r->db, &st) != 0) {
		db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	json_key(&r->out, "total");
	json_i64(&r->out, total);
	json_key(&r->out, key);
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, ncols);
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	if (rc != SQLITE_DONE)
		db_error(r);
	sqlite3_finalize(st);
}

/* key: [rows of sql], whose ?1 and ?2 are the time range. 0, or -1 on a
 * database error (the caller answers it). */
static int emit_range_rows(struct web_req *r, const char *key, const char *sql, int64_t from,
			   int64_t to, int ncols)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	json_key(&r->out, key);
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, ncols);
	json_arr_end(&r->out);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

#define ALERT_COLS "id, engine, gid, sid, rev, signature, category, classtype, severity," \
	" detector, ioc_kind, ioc_indicator, ioc_list, src_ip, dest_ip, proto, src_port," \
	" dest_port, app_proto, count, first_seen_us, last_seen_us, status"
#define ALERT_NCOLS 23

#define FLOW_COLS "id, flow_id, start_us, end_us, src_ip, src_port, dest_ip, dest_port," \
	" proto, app_proto, ndpi_protocol, ndpi_category, risks, tls_sni, ja3, ja3s," \
	" dns_rrname, http_host, http_user_agent, pkts_toserver, pkts_toclient," \
	" bytes_toserver, bytes_toclient, state, alerted"
#define FLOW_NCOLS 25

/* How deep the containers of valid JSON text src nest (0: a scalar;
 * JSON_MAX_DEPTH + 1 when deeper than the writer nests). */
static int json_text_depth(sqlite3 *db, const char *src)
{
	sqlite3_stmt *st = NULL;
	int64_t stack[JSON_MAX_DEPTH + 1];
	int depth = 0, max = 0;

	if (sqlite3_prepare_v2(db, "SELECT type, id, parent FROM json_tree(?1) ORDER BY id", -1,
			       &st, NULL) != SQLITE_OK)
		return JSON_MAX_DEPTH + 1;
	sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
	while (max <= JSON_MAX_DEPTH && sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		int has_parent = sqlite3_column_type(st, 2) != SQLITE_NULL;

		while (depth > 0 && (!has_parent || stack[depth - 1] != sqlite3_column_int64(st, 2)))
			depth--;
		if (type && (strcmp(type, "object") == 0 || strcmp(type, "array") == 0)) {
			stack[depth++] = sqlite3_column_int64(st, 1);
			if (depth > max)
				max = depth;
		}
	}
	sqlite3_finalize(st);
	return max;
}

/* The JSON text src written again with the writer, structure and types
 * kept (SQLite's json_tree walks it in document order). Invalid JSON is
 * written as fallback ("{}" or "null"). */
static void emit_json_text(sqlite3 *db, struct json *j, const char *src, int object_fallback)
{
	sqlite3_stmt *st = NULL;
	int64_t stack_id[JSON_MAX_DEPTH];
	int stack_obj[JSON_MAX_DEPTH];
	int depth = 0, ok = 0;

	if (src && sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (ok && json_text_depth(db, src) > JSON_MAX_DEPTH - 1 - j->depth)
		ok = 0;                 /* deeper than the writer can nest here */
	if (!ok || sqlite3_prepare_v2(db, "SELECT key, type, atom, id, parent FROM json_tree(?1)"
				      " ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		if (object_fallback) {
			json_obj_begin(j);
			json_obj_end(j);
		} else {
			json_null(j);
		}
		sqlite3_finalize(st);
		return;
	}
	sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		int64_t id = sqlite3_column_int64(st, 3);
		int has_parent = sqlite3_column_type(st, 4) != SQLITE_NULL;
		int64_t parent = sqlite3_column_int64(st, 4);

		while (depth > 0 && (!has_parent || stack_id[depth - 1] != parent)) {
			depth--;
			if (stack_obj[depth])
				json_obj_end(j);
			else
				json_arr_end(j);
		}
		if (depth > 0 && stack_obj[depth - 1])
			json_key(j, (const char *)sqlite3_column_text(st, 0));
		if (!type)
			json_null(j);
		else if (strcmp(type, "object") == 0 || strcmp(type, "array") == 0) {
			int obj = type[0] == 'o';
			if (obj)
				json_obj_begin(j);
			else
				json_arr_begin(j);
			stack_id[depth] = id;
			stack_obj[depth++] = obj;
		} else if (strcmp(type, "integer") == 0)
			json_i64(j, sqlite3_column_int64(st, 2));
		else if (strcmp(type, "real") == 0)
			json_double(j, sqlite3_column_double(st, 2), 6);
		else if (strcmp(type, "true") == 0)
			json_bool(j, 1);
		else if (strcmp(type, "false") == 0)
			json_bool(j, 0);
		else if (strcmp(type, "text") == 0)
			json_strn(j, (const char *)sqlite3_column_text(st, 2),
				  (size_t)sqlite3_column_bytes(st, 2));
		else
			json_null(j);
	}
	while (depth > 0) {
		depth--;
		if (stack_obj[depth])
			json_obj_end(j);
		else
			json_arr_end(j);
	}
	sqlite3_finalize(st);
}

/* ---- GET /api/routes -------------------------------------------------------------------------- */

static void h_routes(struct web_req *r)
{
	static const char *const none[] = { NULL };

	if (web_params_check(r, none) != 0)
		return;
	web_ok_begin(r, 200);
	json_key(&r->out, "routes");
	json_arr_begin(&r->out);
	for (size_t i = 0; i < web_n_routes; i++) {
		json_obj_begin(&r->out);
		json_kstr(&r->out, "method", web_routes[i].method);
		json_kstr(&r->out, "path", web_routes[i].pattern);
		json_kbool(&r->out, "session", !(web_routes[i].flags & WEB_PUBLIC));
		json_kbool(&r->out, "admin", (web_routes[i].flags & WEB_ADMIN) != 0);
		json_kbool(&r->out, "password_change", (web_routes[i].flags & WEB_PWCHANGE) != 0);
		json_obj_end(&r->out);
	}
	json_arr_end(&r->out);
	json_obj_end(&r->out);
}

/* ---- alerts: filters --------------------------------------------------------------------------- */

static const char *const alert_statuses[] = { "new", "acknowledged", "false_positive", "escalated",
					      NULL };
static const char *const alert_engines[] = { "signature", "ioc", "detector", NULL };

struct alert_filter {
	int has_from, has_to, has_sev, has_sid, has_since;
	int64_t from, to, severity, sid, since_id, limit, offset;
	char engine[16], status[24], host[64];
	char q[Q_MAX_CHARS * 2 + 8];   /* LIKE pattern */
};

/* The filters of GET /api/alerts and its exports. list: limit and offset
 * are allowed too. 0, or -1 answered. */
static int alert_filter_parse(struct web_req *r, struct alert_filter *f, int list)
{
	static const char *const list_params[] = { "from", "to", "severity", "engine", "sid", "host",
		"status", "q", "since_id", "limit", "offset", NULL };
	static const char *const export_params[] = { "from", "to", "severity", "engine", "sid",
		"host", "status", "q", "since_id", NULL };
	int rc;

	memset(f, 0, sizeof *f);
	f->limit = LIST_LIMIT_DEFAULT;
	if (web_params_check(r, list ? list_params : export_params) != 0 ||
	    param_range(r, &f->from, &f->to, &f->has_from, &f->has_to) != 0 ||
	    (f->has_sev = param_i64(r, "severity", 1, 4, &f->severity)) < 0 ||
	    (f->has_sid = param_i64(r, "sid", 0, UINT32_MAX, &f->sid)) < 0 ||
	    (f->has_since = param_i64(r, "since_id", 0, INT64_MAX, &f->since_id)) < 0 ||
	    param_choice(r, "engine", alert_engines, f->engine, sizeof f->engine) < 0 ||
	    param_choice(r, "status", alert_statuses, f->status, sizeof f->status) < 0 ||
	    param_host(r, "host", f->host, sizeof f->host) < 0 ||
	    param_i64(r, "limit", 1, LIST_LIMIT_MAX, &f->limit) < 0 ||
	    param_i64(r, "offset", 0, OFFSET_MAX, &f->offset) < 0)
		return -1;
	const char *q = param(r, "q");
	if (q) {
		long n = utf8_chars((const unsigned char *)q, strlen(q));
		if (n < 1 || n > Q_MAX_CHARS) {
			web_error(r, 400, "parameter 'q': 1 to %d characters of text", Q_MAX_CHARS);
			return -1;
		}
		/* a substring: LIKE's own wildcards are escaped */
		size_t k = 0;
		f->q[k++] = '%';
		for (const char *p = q; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				f->q[k++] = '\\';
			f->q[k++] = *p;
		}
		f->q[k++] = '%';
		f->q[k] = '\0';
	}
	rc = 0;
	return rc;
}

static void alert_where(struct qb *q, const struct alert_filter *f)
{
	qb_sql(q, " WHERE 1");
	if (f->has_from) {
		qb_sql(q, " AND last_seen_us >= ?");
		qb_int(q, f->from);
	}
	if (f->has_to) {
		qb_sql(q, " AND last_seen_us <= ?");
		qb_int(q, f->to);
	}
	if (f->has_sev) {
		qb_sql(q, " AND severity <= ?");
		qb_int(q, f->severity);
	}
	if (f->engine[0]) {
		qb_sql(q, " AND engine = ?");
		qb_text(q, f->engine);
	}
	if (f->has_sid) {
		qb_sql(q, " AND sid = ?");
		qb_int(q, f->sid);
	}
	if (f->host[0]) {
		qb_sql(q, " AND (src_ip = ? OR dest_ip = ?)");
		qb_text(q, f->host);
		qb_text(q, f->host);
	}
	if (f->status[0]) {
		qb_sql(q, " AND status = ?");
		qb_text(q, f->status);
	}
	if (f->q[0]) {
		qb_sql(q, " AND (signature LIKE ? ESCAPE '\\' OR category LIKE ? ESCAPE '\\'"
		       " OR detector LIKE ? ESCAPE '\\' OR ioc_indicator LIKE ? ESCAPE '\\'"
		       " OR src_ip LIKE ? ESCAPE '\\' OR dest_ip LIKE ? ESCAPE '\\')");
		for (int i = 0; i < 6; i++)
			qb_text(q, f->q);
	}
	if (f->has_since) {
		/* new alerts, and older ones with an occurrence or a status change
		 * after alert since_id was first seen */
		qb_sql(q, " AND (id > ? OR last_seen_us > (SELECT coalesce(max(first_seen_us),"
		       " 9223372036854775807) FROM alerts WHERE id = ?)"
		       " OR id IN (SELECT CAST(target AS INTEGER) FROM audit WHERE action IN"
		       " ('status', 'ack') AND ts_us > (SELECT coalesce(max(first_seen_us),"
		       " 9223372036854775807) FROM alerts WHERE id = ?)))");
		qb_int(q, f->since_id);
		qb_int(q, f->since_id);
		qb_int(q, f->since_id);
	}
}

static int count_query(struct web_req *r, struct qb *q, int64_t *total)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (qb_prepare(q, r->db, &st) == 0 && sqlite3_step(st) == SQLITE_ROW) {
		*total = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- GET /api/alerts ---------------------------------------------------------------------------- */

static void h_alerts(struct web_req *r)
{
	struct alert_filter f;
	struct qb q;
	int64_t total = 0;

	if (alert_filter_parse(r, &f, 1) != 0)
		return;
	qb_init(&q);
	qb_sql(&q, "SELECT count(*) FROM alerts");
	alert_where(&q, &f);
	if (count_query(r, &q, &total) != 0) {
		db_error(r);
		return;
	}
	/* the page's ids first (from an index alone where the filters allow),
	 * then only those rows: sorting whole rows of thousands of matches
	 * would cost more than the query */
	qb_init(&q);
	qb_sql(&q, "SELECT " ALERT_COLS " FROM alerts WHERE id IN (SELECT id FROM alerts");
	alert_where(&q, &f);
	qb_sql(&q, " ORDER BY last_seen_us DESC, id DESC LIMIT ? OFFSET ?)"
	       " ORDER BY last_seen_us DESC, id DESC");
	qb_int(&q, f.limit);
	qb_int(&q, f.offset);
	answer_page(r, &q, total, "alerts", ALERT_NCOLS);
}

/* ---- GET /api/alerts/{id} ------------------------------------------------------------------------- */

/* The ALERT members of alert id into the open object; 1 found, 0 not, -1 error. */
static int emit_alert_by_id(struct web_req *r, int64_t id, int detail)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT " ALERT_COLS ", rule_text, refs, metadata"
			       " FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	for (int i = 0; i < ALERT_NCOLS; i++)
		emit_column(&r->out, st, i);
	if (detail) {
		const char *refs = (const char *)sqlite3_column_text(st, ALERT_NCOLS + 1);

		emit_column(&r->out, st, ALERT_NCOLS);     /* rule_text */
		json_key(&r->out, "references");
		json_arr_begin(&r->out);
		while (refs && *refs) {
			size_t n = strcspn(refs, "\n");
			if (n)
				json_strn(&r->out, refs, n);
			refs += n;
			if (*refs == '\n')
				refs++;
		}
		json_arr_end(&r->out);
		json_key(&r->out, "metadata");
		emit_json_text(r->db, &r->out, (const char *)sqlite3_column_text(st, ALERT_NCOLS + 2), 1);
	}
	sqlite3_finalize(st);
	return 1;
}

static int emit_notes(struct web_req *r, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT username AS user, ts_us, text FROM alert_notes"
			       " WHERE alert_id = ? ORDER BY ts_us, id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	json_key(&r->out, "notes");
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, 3);
	json_arr_end(&r->out);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void h_alert(struct web_req *r)
{
	static const char *const none[] = { NULL };
	sqlite3_stmt *st = NULL;
	char src[64] = "", dest[64] = "";
	int64_t first = 0, last = 0;
	int rc;

	if (web_params_check(r, none) != 0)
		return;
	if (sqlite3_prepare_v2(r->db, "SELECT src_ip, dest_ip, first_seen_us, last_seen_us"
			       " FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, r->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(src, sizeof src, "%s", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_text(st, 1))
			snprintf(dest, sizeof dest, "%s", (const char *)sqlite3_column_text(st, 1));
		first = sqlite3_column_int64(st, 2);
		last = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			web_error(r, 404, "no alert %lld", (long long)r->id);
		else
			db_error(r);
		return;
	}

	web_ok_begin(r, 200);
	if (emit_alert_by_id(r, r->id, 1) != 1 || emit_notes(r, r->id) != 0)
		goto fail;

	/* the linked flows: alerted flows through the partial index on
	 * flow_id; flows written before the alert (detectors decide after the
	 * fact) through the host indexes around the alert's time */
	json_key(&r->out, "flows");
	json_arr_begin(&r->out);
	if (sqlite3_prepare_v2(r->db,
		"SELECT * FROM ("
		" SELECT " FLOW_COLS " FROM flows WHERE alerted = 1 AND flow_id IN"
		"  (SELECT flow_id FROM alert_flows WHERE alert_id = ?1)"
		" UNION"
		" SELECT " FLOW_COLS " FROM flows WHERE (src_ip = ?2 OR dest_ip = ?2)"
		"  AND start_us BETWEEN ?3 AND ?4 AND alerted = 0 AND flow_id IN"
		"  (SELECT flow_id FROM alert_flows WHERE alert_id = ?1))"
		" ORDER BY start_us DESC, id DESC LIMIT 100", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, src, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, first - DAY_US);
	sqlite3_bind_int64(st, 4, last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, FLOW_NCOLS);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	json_arr_end(&r->out);

	/* other alerts of the same hosts */
	json_key(&r->out, "related");
	json_arr_begin(&r->out);
	if (sqlite3_prepare_v2(r->db, "SELECT " ALERT_COLS " FROM alerts WHERE id <> ?1 AND id IN"
			       " (SELECT id FROM alerts WHERE src_ip = ?2 UNION SELECT id FROM alerts"
			       " WHERE dest_ip = ?2 UNION SELECT id FROM alerts WHERE src_ip = ?3"
			       " UNION SELECT id FROM alerts WHERE dest_ip = ?3)"
			       " ORDER BY last_seen_us DESC, id DESC LIMIT 20", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, src, -1, SQLITE_STATIC);
	/* no destination: the source twice (never '', which detectors' alerts share) */
	sqlite3_bind_text(st, 3, dest[0] ? dest : src, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, ALERT_NCOLS);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	json_arr_end(&r->out);

	/* occurrences: the newest 1000, oldest first */
	json_key(&r->out, "timeline");
	json_arr_begin(&r->out);
	if (sqlite3_prepare_v2(r->db, "SELECT * FROM (SELECT ts_us, flow_id FROM alert_flows"
			       " WHERE alert_id = ? ORDER BY ts_us DESC LIMIT 1000) ORDER BY ts_us",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, 2);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	return;
fail:
	db_error(r);
}

/* ---- POST /api/alerts/{id}/status, notes, ack ----------------------------------------------------- */

static void h_alert_status(struct web_req *r)
{
	static const char *const keys[] = { "status", NULL };
	sqlite3_stmt *st = NULL;
	char status[32], old[32] = "", target[24], detail[80];
	int ok = 0, rc;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "status", status, sizeof status, 30, 1) != 1)
		return;
	for (int i = 0; alert_statuses[i]; i++)
		if (strcmp(status, alert_statuses[i]) == 0)
			ok = 1;
	if (!ok) {
		web_error(r, 400, "status: expected new, acknowledged, false_positive or escalated");
		return;
	}
	if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "SELECT status FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, r->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		if (rc == SQLITE_DONE)
			web_error(r, 404, "no alert %lld", (long long)r->id);
		else
			db_error(r);
		return;
	}
	if (sqlite3_prepare_v2(r->db, "UPDATE alerts SET status = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	snprintf(target, sizeof target, "%lld", (long long)r->id);
	snprintf(detail, sizeof detail, "%s -> %s", old, status);
	if (rc == SQLITE_DONE)
		web_audit(r->db, r->sess.user, "status", target, detail);
	if (rc != SQLITE_DONE || sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	if (emit_alert_by_id(r, r->id, 0) != 1) {
		db_error(r);
		return;
	}
	json_obj_end(&r->out);
}

static void h_alert_notes(struct web_req *r)
{
	static const char *const keys[] = { "text", NULL };
	char text[NOTE_MAX_CHARS * 4 + 1], target[24];
	sqlite3_stmt *st = NULL;
	int rc;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "text", text, sizeof text, NOTE_MAX_CHARS, 1) != 1)
		return;
	if (!text[0]) {
		web_error(r, 400, "text: 1 to %d characters", NOTE_MAX_CHARS);
		return;
	}
	if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "INSERT INTO alert_notes (alert_id, ts_us, username, text)"
			       " SELECT id, ?, ?, ? FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)web_now_us());
	sqlite3_bind_text(st, 2, r->sess.user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_error(r);
		return;
	}
	if (sqlite3_changes(r->db) == 0) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		web_error(r, 404, "no alert %lld", (long long)r->id);
		return;
	}
	snprintf(target, sizeof target, "%lld", (long long)r->id);
	web_audit(r->db, r->sess.user, "note", target, text);
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	if (emit_notes(r, r->id) != 0) {
		db_error(r);
		return;
	}
	json_obj_end(&r->out);
}

static void h_alerts_ack(struct web_req *r)
{
	static const char *const keys[] = { "ids", NULL };
	sqlite3_stmt *up = NULL, *old = NULL;
	int64_t ids[ACK_MAX_IDS];
	int n = 0, updated = 0, rc = SQLITE_DONE;

	if (web_body_object(r, keys) != 0 || web_body_ids(r, "ids", ids, ACK_MAX_IDS, &n) != 1)
		return;
	if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "SELECT status FROM alerts WHERE id = ?", -1, &old, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "UPDATE alerts SET status = 'acknowledged' WHERE id = ?"
			       " AND status <> 'acknowledged'", -1, &up, NULL) != SQLITE_OK) {
		sqlite3_finalize(old);
		db_error(r);
		return;
	}
	for (int i = 0; i < n; i++) {
		char target[24], detail[64] = "";

		sqlite3_bind_int64(old, 1, ids[i]);
		if (sqlite3_step(old) == SQLITE_ROW)
			snprintf(detail, sizeof detail, "%s -> acknowledged",
				 (const char *)sqlite3_column_text(old, 0));
		sqlite3_reset(old);
		sqlite3_bind_int64(up, 1, ids[i]);
		rc = sqlite3_step(up);
		sqlite3_reset(up);
		if (rc != SQLITE_DONE)
			break;
		if (sqlite3_changes(r->db) > 0) {
			updated++;
			snprintf(target, sizeof target, "%lld", (long long)ids[i]);
			web_audit(r->db, r->sess.user, "ack", target, detail);
		}
	}
	sqlite3_finalize(old);
	sqlite3_finalize(up);
	if (rc != SQLITE_DONE || sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	json_key(&r->out, "updated");
	json_i64(&r->out, updated);
	json_obj_end(&r->out);
}

/* ---- POST /api/alerts/{id}/suppress ----------------------------------------------------------------- */

/* Does the file at path hold line (as a whole line)? */
static int file_has_line(const char *path, const char *line)
{
	char buf[1024];
	FILE *fp = fopen(path, "r");
	int found = 0;

	if (!fp)
		return 0;
	while (!found && fgets(buf, sizeof buf, fp)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		found = strcmp(buf, line) == 0;
	}
	fclose(fp);
	return found;
}

/* Append the comment and line to <state_dir>/rules/suppress.conf
 * (directory and file created as needed). 1 added, 0 already there, -1 error. */
static int append_suppress(struct web_req *r, const char *comment, const char *line,
			   char *path, size_t pathlen, char *err, size_t errlen)
{
	char dir[1100];
	struct stat sb;
	int fd, rc = -1;

	snprintf(dir, sizeof dir, "%s/rules", r->env->cfg.state_dir);
	snprintf(path, pathlen, "%s/suppress.conf", dir);
	pthread_mutex_lock(&r->env->suppress_lock);
	if (mkdir(r->env->cfg.state_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "create %s: %s", r->env->cfg.state_dir, strerror(errno));
		goto out;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (file_has_line(path, line)) {
		rc = 0;
		goto out;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	char text[2048];
	int n = snprintf(text, sizeof text, "%s%s\n%s\n",
			 sb.st_size == 0 ? "# Managed by vigil's web page: suppressions added from alerts.\n"
					   "# Lines may be removed by hand; reload the rules afterwards.\n" : "",
			 comment, line);
	if (n < 0 || (size_t)n >= sizeof text || write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		snprintf(err, errlen, "write %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	rc = 1;
out:
	pthread_mutex_unlock(&r->env->suppress_lock);
	return rc;
}

static void h_alert_suppress(struct web_req *r)
{
	static const char *const keys[] = { "track", NULL };
	char track[16], src[64] = "", dest[64] = "", sig[200] = "", line[256], comment[512];
	char path[1200], err[1400], msg[300] = "", target[24], ts[JSON_TS_LEN];
	sqlite3_stmt *st = NULL;
	int64_t gid = 0, sid = 0;
	uint8_t a16[16];
	int rc, reloaded = 0;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "track", track, sizeof track, 10, 1) != 1)
		return;
	if (strcmp(track, "by_src") != 0 && strcmp(track, "by_dst") != 0 && strcmp(track, "all") != 0) {
		web_error(r, 400, "track: expected by_src, by_dst or all");
		return;
	}
	if (sqlite3_prepare_v2(r->db, "SELECT gid, sid, src_ip, dest_ip, signature FROM alerts"
			       " WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, r->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		gid = sqlite3_column_int64(st, 0);
		sid = sqlite3_column_int64(st, 1);
		snprintf(src, sizeof src, "%s", sqlite3_column_text(st, 2) ?
			 (const char *)sqlite3_column_text(st, 2) : "");
		snprintf(dest, sizeof dest, "%s", sqlite3_column_text(st, 3) ?
			 (const char *)sqlite3_column_text(st, 3) : "");
		snprintf(sig, sizeof sig, "%s", sqlite3_column_text(st, 4) ?
			 (const char *)sqlite3_column_text(st, 4) : "");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			web_error(r, 404, "no alert %lld", (long long)r->id);
		else
			db_error(r);
		return;
	}
	const char *ip = strcmp(track, "by_src") == 0 ? src : dest;
	if (strcmp(track, "all") == 0) {
		snprintf(line, sizeof line, "suppress gen_id %lld, sig_id %lld", (long long)gid,
			 (long long)sid);
	} else {
		/* the address goes into a rule file: only a real address will do */
		if (!ip[0] || ip_parse16(ip, a16) != 0) {
			web_error(r, 400, "track %s: the alert has no %s address", track,
				  strcmp(track, "by_src") == 0 ? "source" : "destination");
			return;
		}
		snprintf(line, sizeof line, "suppress gen_id %lld, sig_id %lld, track %s, ip %s",
			 (long long)gid, (long long)sid, track, ip);
	}
	for (char *p = sig; *p; p++)      /* one comment line, whatever the text */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	json_format_ts(ts, web_now_us());
	snprintf(comment, sizeof comment, "# alert %lld, by %s, %s: %s", (long long)r->id,
		 r->sess.user, ts, sig);
	rc = append_suppress(r, comment, line, path, sizeof path, err, sizeof err);
	if (rc < 0) {
		log_warn("web: suppress: %s", err);
		web_error(r, 500, "%s", err);
		return;
	}
	snprintf(target, sizeof target, "%lld", (long long)r->id);
	if (rc == 1)
		web_audit(r->db, r->sess.user, "suppress", target, line);
	if (r->env->reload) {
		reloaded = r->env->reload(r->env->ctx, msg, sizeof msg) == 0;
		if (reloaded && !msg[0])
			snprintf(msg, sizeof msg, "rules reloaded");
		web_audit(r->db, r->sess.user, "reload", "rules", reloaded ? "ok" : msg);
	} else {
		snprintf(msg, sizeof msg, "no capture is running here; the line applies when vigil"
			 " run loads %s/rules", r->env->cfg.state_dir);
	}
	web_ok_begin(r, 200);
	json_kstr(&r->out, "line", line);
	json_kstr(&r->out, "file", path);
	json_kbool(&r->out, "added", rc == 1);
	json_kbool(&r->out, "reloaded", reloaded);
	json_key(&r->out, "message");
	json_str(&r->out, msg);
	json_obj_end(&r->out);
}

/* ---- GET /api/alerts/export.csv, export.eve --------------------------------------------------------- */

/* A growable string: one CSV or EVE line at a time. */
struct line {
	char *buf;
	size_t len, cap;
	int oom;
};

struct export {
	sqlite3 *db;
	sqlite3_stmt *st;
	struct alert_filter f;
	struct qb q;
	int csv;
	struct json j;          /* an EVE event */
	struct line out;        /* the line being handed out */
	size_t off;             /* of out.buf already handed out */
	int header_done;
	int done;
};

static void export_free(void *cls)
{
	struct export *x = cls;

	sqlite3_finalize(x->st);
	sqlite3_close(x->db);
	json_free(&x->j);
	free(x->out.buf);
	free(x);
}

static void buf_put(struct line *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 1024;
		while (cap < l->len + n)
			cap *= 2;
		char *nb = realloc(l->buf, cap);
		if (!nb) {
			l->oom = 1;
			return;
		}
		l->buf = nb;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; text that a spreadsheet would take for a formula gets a leading
 * apostrophe. */
static void csv_field(struct line *j, sqlite3_stmt *st, int i, int last)
{
	int t = sqlite3_column_type(st, i);

	if (t == SQLITE_INTEGER) {
		char b[24];
		int n = snprintf(b, sizeof b, "%lld", (long long)sqlite3_column_int64(st, i));
		buf_put(j, b, (size_t)n);
	} else if (t != SQLITE_NULL) {
		const char *s = (const char *)sqlite3_column_text(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);
		int quote = strpbrk(s, ",\"\r\n") != NULL;

		if (quote)
			buf_put(j, "\"", 1);
		if (n && strchr("=+-@\t\r", s[0]))
			buf_put(j, "'", 1);
		for (size_t k = 0; k < n; k++) {
			if (s[k] == '"')
				buf_put(j, "\"", 1);
			buf_put(j, s + k, 1);
		}
		if (quote)
			buf_put(j, "\"", 1);
	}
	buf_put(j, last ? "\r\n" : ",", last ? 2 : 1);
}

#define EXPORT_COLS ALERT_COLS ", metadata," \
	" (SELECT flow_id FROM alert_flows WHERE alert_id = alerts.id ORDER BY ts_us DESC LIMIT 1)"

static void export_csv_row(struct export *x)
{
	for (int i = 0; i < ALERT_NCOLS; i++) {
		/* proto by name, as the JSON API gives it */
		if (strcmp(sqlite3_column_name(x->st, i), "proto") == 0 &&
		    sqlite3_column_type(x->st, i) == SQLITE_INTEGER) {
			char pb[8];
			const char *name = proto_name(sqlite3_column_int(x->st, i), pb);
			buf_put(&x->out, name, strlen(name));
			buf_put(&x->out, i == ALERT_NCOLS - 1 ? "\r\n" : ",", i == ALERT_NCOLS - 1 ? 2 : 1);
			continue;
		}
		csv_field(&x->out, x->st, i, i == ALERT_NCOLS - 1);
	}
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s && *s ? s : NULL;
}

/* Suricata's alert event for an aggregated alert (its latest occurrence),
 * with vigil's engine fields and the aggregation under "vigil", as the
 * EVE sink writes them (docs/eve.md): nothing in alert{} that Suricata's
 * schema does not have. */
static void export_eve_row(struct export *x)
{
	struct json *j = &x->j;
	sqlite3_stmt *st = x->st;
	char ts[JSON_TS_LEN], pb[8];

	json_reset(j);
	json_obj_begin(j);
	json_format_ts(ts, (uint64_t)sqlite3_column_int64(st, 21));
	json_kstr(j, "timestamp", ts);
	if (sqlite3_column_type(st, 24) != SQLITE_NULL)
		json_ku64(j, "flow_id", (uint64_t)sqlite3_column_int64(st, 24));
	json_kstr(j, "event_type", "alert");
	json_kstr(j, "src_ip", col_text(st, 13));
	if (sqlite3_column_type(st, 16) != SQLITE_NULL)
		json_ku64(j, "src_port", (uint64_t)sqlite3_column_int64(st, 16));
	json_kstr(j, "dest_ip", col_text(st, 14));
	if (sqlite3_column_type(st, 17) != SQLITE_NULL)
		json_ku64(j, "dest_port", (uint64_t)sqlite3_column_int64(st, 17));
	if (sqlite3_column_int(st, 15))
		json_kstr(j, "proto", proto_name(sqlite3_column_int(st, 15), pb));
	json_kstr(j, "app_proto", col_text(st, 18));
	json_key(j, "alert");
	json_obj_begin(j);
	json_kstr(j, "action", "allowed");
	json_ku64(j, "gid", (uint64_t)sqlite3_column_int64(st, 2));
	json_ku64(j, "signature_id", (uint64_t)sqlite3_column_int64(st, 3));
	json_ku64(j, "rev", (uint64_t)sqlite3_column_int64(st, 4));
	json_key(j, "signature");
	json_str(j, (const char *)sqlite3_column_text(st, 5));
	json_key(j, "category");
	json_str(j, (const char *)sqlite3_column_text(st, 6));
	json_ku64(j, "severity", (uint64_t)sqlite3_column_int64(st, 8));
	if (col_text(st, 23)) {
		json_key(j, "metadata");
		emit_json_text(x->db, j, col_text(st, 23), 1);
	}
	json_obj_end(j);
	json_key(j, "vigil");
	json_obj_begin(j);
	json_kstr(j, "engine", col_text(st, 1));
	json_kstr(j, "detector", col_text(st, 9));
	if (col_text(st, 10)) {
		json_key(j, "ioc");
		json_obj_begin(j);
		json_kstr(j, "kind", col_text(st, 10));
		json_kstr(j, "indicator", col_text(st, 11));
		json_kstr(j, "list", col_text(st, 12));
		json_obj_end(j);
	}
	json_ku64(j, "alert_id", (uint64_t)sqlite3_column_int64(st, 0));
	json_ku64(j, "count", (uint64_t)sqlite3_column_int64(st, 19));
	json_format_ts(ts, (uint64_t)sqlite3_column_int64(st, 20));
	json_kstr(j, "first_seen", ts);
	json_format_ts(ts, (uint64_t)sqlite3_column_int64(st, 21));
	json_kstr(j, "last_seen", ts);
	json_kstr(j, "status", col_text(st, 22));
	json_obj_end(j);
	json_obj_end(j);
	if (j->oom) {
		x->out.oom = 1;
		return;
	}
	buf_put(&x->out, j->buf, j->len);
	buf_put(&x->out, "\n", 1);
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct export *x = cls;

	while (x->off >= x->out.len) {
		if (x->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		x->out.len = 0;
		x->off = 0;
		if (x->csv && !x->header_done) {
			static const char header[] = "id,engine,gid,sid,rev,signature,category,classtype,"
				"severity,detector,ioc_kind,ioc_indicator,ioc_list,src_ip,dest_ip,proto,"
				"src_port,dest_port,app_proto,count,first_seen_us,last_seen_us,status\r\n";
			buf_put(&x->out, header, sizeof header - 1);
			x->header_done = 1;
			continue;
		}
		int rc = sqlite3_step(x->st);
		if (rc == SQLITE_DONE) {
			x->done = 1;
			continue;
		}
		if (rc != SQLITE_ROW) {
			log_warn("web: export: %s", sqlite3_errmsg(x->db));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (x->csv)
			export_csv_row(x);
		else
			export_eve_row(x);
		if (x->out.oom)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	size_t n = x->out.len - x->off;
	if (n > max)
		n = max;
	memcpy(buf, x->out.buf + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

static void export_alerts(struct web_req *r, int csv)
{
	struct export *x;
	char err[256];

	x = calloc(1, sizeof *x);
	if (!x) {
		web_error(r, 500, "out of memory");
		return;
	}
	x->csv = csv;
	json_init(&x->j);
	if (alert_filter_parse(r, &x->f, 0) != 0) {
		free(x);
		return;
	}
	/* its own connection: the stream outlives this request's pool slot */
	if (web_db_open(r->env->cfg.db_path, &x->db, err, sizeof err) != 0) {
		web_error(r, 500, "%s", err);
		free(x);
		return;
	}
	qb_init(&x->q);
	qb_sql(&x->q, "SELECT " EXPORT_COLS " FROM alerts");
	alert_where(&x->q, &x->f);
	qb_sql(&x->q, " ORDER BY last_seen_us DESC, id DESC LIMIT ?");
	qb_int(&x->q, EXPORT_MAX);
	if (qb_prepare(&x->q, x->db, &x->st) != 0) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(x->db));
		export_free(x);
		return;
	}
	r->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, export_read, x,
						    export_free);
	if (!r->resp) {
		export_free(x);
		web_error(r, 500, "out of memory");
		return;
	}
	MHD_add_response_header(r->resp, "Content-Type",
				csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
	MHD_add_response_header(r->resp, "Content-Disposition",
				csv ? "attachment; filename=\"vigil-alerts.csv\""
				    : "attachment; filename=\"vigil-alerts.eve.json\"");
	MHD_add_response_header(r->resp, "Cache-Control", "no-store");
	r->status = 200;
	web_audit(r->db, r->sess.user, "export", csv ? "csv" : "eve", r->path);
}

static void h_export_csv(struct web_req *r)
{
	export_alerts(r, 1);
}

static void h_export_eve(struct web_req *r)
{
	export_alerts(r, 0);
}

/* ---- GET /api/audit ------------------------------------------------------------------------------- */

static void h_audit(struct web_req *r)
{
	static const char *const params[] = { "limit", "offset", NULL };
	int64_t limit = LIST_LIMIT_DEFAULT, offset = 0, total = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	if (web_params_check(r, params) != 0 || param_i64(r, "limit", 1, LIST_LIMIT_MAX, &limit) < 0 ||
	    param_i64(r, "offset", 0, OFFSET_MAX, &offset) < 0)
		return;
	if (sqlite3_prepare_v2(r->db, "SELECT count(*) FROM audit", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		db_error(r);
		return;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(r->db, "SELECT ts_us, username AS user, action, target, detail"
			       " FROM audit ORDER BY id DESC LIMIT ? OFFSET ?", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, limit);
	sqlite3_bind_int64(st, 2, offset);
	web_ok_begin(r, 200);
	json_key(&r->out, "total");
	json_i64(&r->out, total);
	json_key(&r->out, "entries");
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit_row(&r->out, st, 0, 5);
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(r);
}

/* ---- GET /api/flows ---------------------------------------------------------------------------------- */

static void flow_where(struct qb *q, const char *host, const char *app, const char *app_top,
		       int has_from, int64_t from, int has_to, int64_t to)
{
	qb_sql(q, " WHERE 1");
	if (host[0]) {
		qb_sql(q, " AND (src_ip = ? OR dest_ip = ?)");
		qb_text(q, host);
		qb_text(q, host);
	}
	if (app[0]) {
		/* app_proto (any case) or exactly nDPI's name; app_proto is the
		 * lower-case first part of nDPI's name, so both go through the
		 * app_proto index */
		qb_sql(q, " AND (app_proto = lower(?) OR (app_proto = ? AND ndpi_protocol = ?))");
		qb_text(q, app);
		qb_text(q, app_top);
		qb_text(q, app);
	}
	if (has_from) {
		qb_sql(q, " AND start_us >= ?");
		qb_int(q, from);
	}
	if (has_to) {
		qb_sql(q, " AND start_us <= ?");
		qb_int(q, to);
	}
}

static void h_flows(struct web_req *r)
{
	static const char *const params[] = { "host", "app", "from", "to", "limit", "offset", NULL };
	char host[64] = "", app[72] = "", app_top[72];
	int64_t from = 0, to = 0, limit = LIST_LIMIT_DEFAULT, offset = 0, total = 0;
	int has_from, has_to;
	struct qb q;

	if (web_params_check(r, params) != 0 || param_host(r, "host", host, sizeof host) < 0 ||
	    param_range(r, &from, &to, &has_from, &has_to) != 0 ||
	    param_i64(r, "limit", 1, LIST_LIMIT_MAX, &limit) < 0 ||
	    param_i64(r, "offset", 0, OFFSET_MAX, &offset) < 0)
		return;
	const char *a = param(r, "app");
	if (a) {
		size_t n = strlen(a);
		int ok = n >= 1 && n <= 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = isalnum((unsigned char)a[i]) || strchr("._-", a[i]);
		if (!ok) {
			web_error(r, 400, "parameter 'app': 1 to 64 letters, digits or ._-");
			return;
		}
		snprintf(app, sizeof app, "%s", a);
	}
	snprintf(app_top, sizeof app_top, "%s", app);
	app_top[strcspn(app_top, ".")] = '\0';
	for (char *p = app_top; *p; p++)
		*p = (char)tolower((unsigned char)*p);

	qb_init(&q);
	qb_sql(&q, "SELECT count(*) FROM flows");
	flow_where(&q, host, app, app_top, has_from, from, has_to, to);
	if (count_query(r, &q, &total) != 0) {
		db_error(r);
		return;
	}
	qb_init(&q);
	qb_sql(&q, "SELECT " FLOW_COLS " FROM flows");
	flow_where(&q, host, app, app_top, has_from, from, has_to, to);
	qb_sql(&q, " ORDER BY start_us DESC, id DESC LIMIT ? OFFSET ?");
	qb_int(&q, limit);
	qb_int(&q, offset);
	answer_page(r, &q, total, "flows", FLOW_NCOLS);
}

/* from/to of the dashboard and top talkers: as given; a missing "to" is
 * now (or, when "from" is missing too, the newest flow), a missing "from"
 * the oldest flow: no range at all covers the whole database. */
static int default_range(struct web_req *r, int64_t *from, int64_t *to)
{
	int has_from, has_to;
	sqlite3_stmt *st = NULL;
	int64_t now = (int64_t)web_now_us(), lo = now - DAY_US, hi = now;

	if (param_range(r, from, to, &has_from, &has_to) != 0)
		return -1;
	if (sqlite3_prepare_v2(r->db, "SELECT (SELECT min(start_us) FROM flows),"
			       " (SELECT max(start_us) FROM flows)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(st, 0);
		hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (!has_to)
		*to = has_from ? (now > *from ? now : *from) : hi;
	if (!has_from)
		*from = lo < *to ? lo : *to;
	return 0;
}

/* The home networks: the configured ones, else the latest run's, else
 * the default. */
static void home_nets(struct web_req *r, struct homenet *hn)
{
	sqlite3_stmt *st = NULL;
	char list[1024] = "", err[128];

	if (r->env->cfg.home_net && r->env->cfg.home_net[0])
		snprintf(list, sizeof list, "%s", r->env->cfg.home_net);
	else if (sqlite3_prepare_v2(r->db, "SELECT home_net FROM runs WHERE home_net IS NOT NULL"
				    " ORDER BY id DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK &&
		 sqlite3_step(st) == SQLITE_ROW)
		snprintf(list, sizeof list, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!list[0] || homenet_parse(hn, list, err, sizeof err) != 0)
		homenet_parse(hn, HOMENET_DEFAULT, err, sizeof err);
}

static void h_top_talkers(struct web_req *r)
{
	static const char *const params[] = { "from", "to", "limit", NULL };
	int64_t from, to, limit = 10;
	sqlite3_stmt *st = NULL;
	struct homenet hn;
	int rc;

	if (web_params_check(r, params) != 0 || param_i64(r, "limit", 1, 100, &limit) < 0 ||
	    default_range(r, &from, &to) != 0)
		return;
	home_nets(r, &hn);
	if (sqlite3_prepare_v2(r->db,
		"SELECT host, sum(n), sum(sent), sum(recv) FROM ("
		" SELECT src_ip AS host, count(*) AS n, sum(bytes_toserver) AS sent,"
		"  sum(bytes_toclient) AS recv FROM flows WHERE start_us BETWEEN ?1 AND ?2 GROUP BY src_ip"
		" UNION ALL"
		" SELECT dest_ip, count(*), sum(bytes_toclient), sum(bytes_toserver)"
		"  FROM flows WHERE start_us BETWEEN ?1 AND ?2 GROUP BY dest_ip)"
		" WHERE host IS NOT NULL GROUP BY host ORDER BY sum(sent) + sum(recv) DESC, host"
		" LIMIT ?3", -1, &st, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, limit);
	web_ok_begin(r, 200);
	json_key(&r->out, "from_us");
	json_i64(&r->out, from);
	json_key(&r->out, "to_us");
	json_i64(&r->out, to);
	json_key(&r->out, "hosts");
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *host = (const char *)sqlite3_column_text(st, 0);
		uint8_t a[16];

		json_obj_begin(&r->out);
		json_key(&r->out, "host");
		json_str(&r->out, host);
		json_key(&r->out, "flows");
		json_i64(&r->out, sqlite3_column_int64(st, 1));
		json_key(&r->out, "bytes_sent");
		json_i64(&r->out, sqlite3_column_int64(st, 2));
		json_key(&r->out, "bytes_received");
		json_i64(&r->out, sqlite3_column_int64(st, 3));
		json_kbool(&r->out, "home", host && ip_parse16(host, a) == 0 && homenet_contains(&hn, a));
		json_obj_end(&r->out);
	}
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(r);
}

/* ---- GET /api/dashboard ---------------------------------------------------------------------------------- */

#define DASH_BUCKETS 96

static void h_dashboard(struct web_req *r)
{
	static const char *const params[] = { "from", "to", NULL };
	int64_t from, to, width, nb;
	int64_t flows[DASH_BUCKETS], bytes[DASH_BUCKETS], alerts[DASH_BUCKETS], sev[5];
	sqlite3_stmt *st = NULL;
	char key[12];
	int rc;

	if (web_params_check(r, params) != 0 || default_range(r, &from, &to) != 0)
		return;
	/* whole seconds per bucket, so that the buckets read well */
	width = ((to - from) / DASH_BUCKETS + 1000000) / 1000000 * 1000000;
	nb = (to - from) / width + 1;
	memset(flows, 0, sizeof flows);
	memset(bytes, 0, sizeof bytes);
	memset(alerts, 0, sizeof alerts);
	memset(sev, 0, sizeof sev);

	if (sqlite3_prepare_v2(r->db, "SELECT (start_us - ?1) / ?3, count(*),"
			       " sum(bytes_toserver + bytes_toclient) FROM flows"
			       " WHERE start_us BETWEEN ?1 AND ?2 GROUP BY 1", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, width);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0);
		if (b >= 0 && b < nb) {
			flows[b] = sqlite3_column_int64(st, 1);
			bytes[b] = sqlite3_column_int64(st, 2);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(r->db, "SELECT (last_seen_us - ?1) / ?3, count(*) FROM alerts"
			       " WHERE last_seen_us BETWEEN ?1 AND ?2 GROUP BY 1", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, width);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0);
		if (b >= 0 && b < nb)
			alerts[b] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	web_ok_begin(r, 200);
	json_key(&r->out, "from_us");
	json_i64(&r->out, from);
	json_key(&r->out, "to_us");
	json_i64(&r->out, to);
	json_key(&r->out, "bucket_us");
	json_i64(&r->out, width);
	json_key(&r->out, "buckets");
	json_arr_begin(&r->out);
	for (int64_t b = 0; b < nb; b++) {
		json_obj_begin(&r->out);
		json_key(&r->out, "t_us");
		json_i64(&r->out, from + b * width);
		json_key(&r->out, "flows");
		json_i64(&r->out, flows[b]);
		json_key(&r->out, "bytes");
		json_i64(&r->out, bytes[b]);
		json_key(&r->out, "alerts");
		json_i64(&r->out, alerts[b]);
		json_obj_end(&r->out);
	}
	json_arr_end(&r->out);

	if (emit_range_rows(r, "apps", "SELECT app_proto AS app, count(*) AS flows,"
			    " sum(bytes_toserver + bytes_toclient) AS bytes FROM flows"
			    " WHERE start_us BETWEEN ?1 AND ?2 GROUP BY app_proto"
			    " ORDER BY 2 DESC, 1 LIMIT 10", from, to, 3) != 0 ||
	    emit_range_rows(r, "top_alerting_hosts", "SELECT src_ip AS host, count(*) AS alerts"
			    " FROM alerts WHERE last_seen_us BETWEEN ?1 AND ?2 GROUP BY src_ip"
			    " ORDER BY 2 DESC, 1 LIMIT 10", from, to, 2) != 0)
		goto fail;

	if (sqlite3_prepare_v2(r->db, "SELECT severity, count(*) FROM alerts"
			       " WHERE last_seen_us BETWEEN ?1 AND ?2 GROUP BY severity", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = sqlite3_column_int(st, 0);
		if (s >= 1 && s <= 4)
			sev[s] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	json_key(&r->out, "severity");
	json_obj_begin(&r->out);
	for (int s = 1; s <= 4; s++) {
		snprintf(key, sizeof key, "%d", s);
		json_key(&r->out, key);
		json_i64(&r->out, sev[s]);
	}
	json_obj_end(&r->out);
	json_obj_end(&r->out);
	return;
fail:
	db_error(r);
}

/* ---- GET /api/system --------------------------------------------------------------------------------- */

static int64_t query_i64(sqlite3 *db, const char *sql, int *is_null)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	if (is_null)
		*is_null = 1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		v = sqlite3_column_int64(st, 0);
		if (is_null)
			*is_null = 0;
	}
	sqlite3_finalize(st);
	return v;
}

static void h_system(struct web_req *r)
{
	static const char *const none[] = { NULL };
	const struct web_config *c = &r->env->cfg;
	struct json *j = &r->out;
	char wal[1100];
	struct stat sb;
	int null;

	if (web_params_check(r, none) != 0)
		return;
	web_ok_begin(r, 200);
	if (r->env->status) {
		r->env->status(r->env->ctx, j);
	} else {
		/* vigil serve: no capture behind this page */
		sqlite3_stmt *st = NULL;

		json_kstr(j, "version", VIGIL_VERSION);
		json_ku64(j, "uptime_s", (web_now_us() - r->env->started_us) / 1000000);
		json_key(j, "capture");
		json_arr_begin(j);
		json_arr_end(j);
		json_key(j, "decode_errors");
		if (sqlite3_prepare_v2(r->db, "SELECT decode_errors FROM runs ORDER BY id DESC LIMIT 1",
				       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			emit_json_text(r->db, j, (const char *)sqlite3_column_text(st, 0), 1);
		else
			emit_json_text(r->db, j, NULL, 1);
		sqlite3_finalize(st);
		json_key(j, "rulesets");
		json_arr_begin(j);
		json_arr_end(j);
		json_key(j, "last_reload");
		json_null(j);
	}
	json_key(j, "database");
	json_obj_begin(j);
	json_kstr(j, "path", c->db_path);
	snprintf(wal, sizeof wal, "%s-wal", c->db_path);
	json_key(j, "size_bytes");
	json_i64(j, query_i64(r->db, "SELECT page_count * page_size FROM pragma_page_count(),"
			      " pragma_page_size()", NULL) +
		 (stat(wal, &sb) == 0 ? (int64_t)sb.st_size : 0));
	json_key(j, "max_bytes");
	if (c->max_db_bytes)
		json_u64(j, c->max_db_bytes);
	else
		json_null(j);
	json_key(j, "flows");
	json_i64(j, query_i64(r->db, "SELECT count(*) FROM flows", NULL));
	json_key(j, "alerts");
	json_i64(j, query_i64(r->db, "SELECT count(*) FROM alerts", NULL));
	int64_t oldest = query_i64(r->db, "SELECT min(start_us) FROM flows", &null);
	json_key(j, "oldest_flow_us");
	if (null)
		json_null(j);
	else
		json_i64(j, oldest);
	json_key(j, "flow_max_age_s");
	if (c->flow_max_age_s)
		json_u64(j, c->flow_max_age_s);
	else
		json_null(j);
	json_key(j, "alert_max_age_s");
	if (c->alert_max_age_s)
		json_u64(j, c->alert_max_age_s);
	else
		json_null(j);
	json_obj_end(j);
	json_obj_end(j);
}

/* ---- the routes --------------------------------------------------------------------------------------------- */

/* Literal paths before {id} patterns of the same shape (the router takes
 * the first match). */
const struct web_route web_routes[] = {
	{ "GET",  "/api/setup",                 auth_h_setup_get,  WEB_PUBLIC },
	{ "POST", "/api/setup",                 auth_h_setup_post, WEB_PUBLIC },
	{ "POST", "/api/login",                 auth_h_login,      WEB_PUBLIC },
	{ "POST", "/api/logout",                auth_h_logout,     WEB_PWCHANGE },
	{ "GET",  "/api/me",                    auth_h_me,         WEB_PWCHANGE },
	{ "POST", "/api/me/password",           auth_h_me_password, WEB_PWCHANGE },
	{ "GET",  "/api/routes",                h_routes,          0 },
	{ "GET",  "/api/alerts",                h_alerts,          0 },
	{ "GET",  "/api/alerts/export.csv",     h_export_csv,      0 },
	{ "GET",  "/api/alerts/export.eve",     h_export_eve,      0 },
	{ "POST", "/api/alerts/ack",            h_alerts_ack,      0 },
	{ "GET",  "/api/alerts/{id}",           h_alert,           0 },
	{ "POST", "/api/alerts/{id}/status",    h_alert_status,    0 },
	{ "POST", "/api/alerts/{id}/notes",     h_alert_notes,     0 },
	{ "POST", "/api/alerts/{id}/suppress",  h_alert_suppress,  0 },
	{ "GET",  "/api/audit",                 h_audit,           0 },
	{ "GET",  "/api/flows",                 h_flows,           0 },
	{ "GET",  "/api/flows/top-talkers",     h_top_talkers,     0 },
	{ "GET",  "/api/dashboard",             h_dashboard,       0 },
	{ "GET",  "/api/system",                h_system,          0 },
	{ "GET",  "/api/users",                 users_h_list,      WEB_ADMIN },
	{ "POST", "/api/users",                 users_h_add,       WEB_ADMIN },
	{ "POST", "/api/users/{name}/disable",  users_h_disable,   WEB_ADMIN },
	{ "POST", "/api/users/{name}/enable",   users_h_enable,    WEB_ADMIN },
	{ "POST", "/api/users/{name}/role",     users_h_role,      WEB_ADMIN },
	{ "POST", "/api/users/{name}/password", users_h_password,  WEB_ADMIN },
	{ "POST", "/api/users/{name}/delete",   users_h_delete,    WEB_ADMIN },
};

const size_t web_n_routes = sizeof web_routes / sizeof web_routes[0];
