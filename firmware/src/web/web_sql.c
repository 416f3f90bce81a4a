/*
 * web_sql.c - the web API's queries and rows (see web_sql.h).
 *
 * Every query is a constant SQL text with bound parameters: filters add
 * fixed fragments ("AND severity <= ?") and bind the values, so nothing a
 * client sends ever becomes SQL.
 */
#include "web_sql.h"

#include "decode/decode.h"

#include <stdio.h>
#include <string.h>

/* ---- SQL built from fixed fragments and bound values ----------------------------------------- */

void qb_init(struct qb *q)
{
	memset(q, 0, sizeof *q);
}

/* fragment: a constant of this file, never client data */
void qb_sql(struct qb *q, const char *fragment)
{
	size_t n = strlen(fragment);

	if (q->len + n + 1 > sizeof q->sql) {
		q->overflow = 1;
		return;
	}
	memcpy(q->sql + q->len, fragment, n + 1);
	q->len += n;
}

void qb_int(struct qb *q, int64_t v)
{
	if (q->n >= QB_MAX_BINDS) {
		q->overflow = 1;
		return;
	}
	q->b[q->n].text = 0;
	q->b[q->n++].i = v;
}

void qb_text(struct qb *q, const char *s)
{
	if (q->n >= QB_MAX_BINDS) {
		q->overflow = 1;
		return;
	}
	q->b[q->n].text = 1;
	q->b[q->n++].s = s;
}

void qb_and_int(struct qb *q, const char *fragment, int64_t v)
{
	qb_sql(q, fragment);
	qb_int(q, v);
}

void qb_and_text(struct qb *q, const char *fragment, const char *s)
{
	qb_sql(q, fragment);
	qb_text(q, s);
}

int qb_prepare(struct qb *q, sqlite3 *db, sqlite3_stmt **st)
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

/* Column i of a row as a member named after the column: integers as
 * numbers, text as strings, NULL and "" as null; proto by name, risks as
 * a list, alerted as a boolean. */
void web_emit_column(struct json *j, sqlite3_stmt *st, int i)
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
			json_str(j, decode_proto_name((uint8_t)p, pb));
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

void web_emit_row(struct json *j, sqlite3_stmt *st, int first, int n)
{
	json_obj_begin(j);
	for (int i = first; i < first + n; i++)
		web_emit_column(j, st, i);
	json_obj_end(j);
}

int web_emit_rows(struct json *j, sqlite3_stmt *st, int ncols)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		web_emit_row(j, st, 0, ncols);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A page of a list: {"total": total, key: [rows of the query]}. */
void web_answer_page(struct web_req *r, struct qb *q, int64_t total, const char *key,
		     int ncols)
{
	sqlite3_stmt *st;
	int rc;

	if (qb_prepare(q, r->db, &st) != 0) {
		web_db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	json_key(&r->out, "total");
	json_i64(&r->out, total);
	json_key(&r->out, key);
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		web_emit_row(&r->out, st, 0, ncols);
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	if (rc != SQLITE_DONE)
		web_db_error(r);
	sqlite3_finalize(st);
}

/* key: [rows of sql], whose ?1 and ?2 are the time range. 0, or -1 on a
 * database error (the caller answers it). */
int web_emit_range_rows(struct web_req *r, const char *key, const char *sql, int64_t from,
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
	rc = web_emit_rows(&r->out, st, ncols);
	json_arr_end(&r->out);
	return rc;
}

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
void web_emit_json_text(sqlite3 *db, struct json *j, const char *src, int object_fallback)
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

int web_count_query(struct web_req *r, struct qb *q, int64_t *total)
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
