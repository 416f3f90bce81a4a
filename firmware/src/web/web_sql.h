/*
 * web_sql.h - how the web API queries the store and writes rows.
 *
 * Owns: the query builder (struct qb: constant SQL fragments and bound
 * values, so nothing a client sends ever becomes SQL) and writing result
 * rows as JSON: a column as a member named after it (integers as numbers,
 * text as strings, NULL and "" as null; proto by name, risks as a list,
 * alerted as a boolean), pages of lists, and JSON text kept in the store
 * written again with the one writer.
 */
#ifndef VIGIL_WEB_SQL_H
#define VIGIL_WEB_SQL_H

#include "web_req.h"

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

void qb_init(struct qb *q);
/* fragment: a constant of the caller's file, never client data */
void qb_sql(struct qb *q, const char *fragment);
void qb_int(struct qb *q, int64_t v);
void qb_text(struct qb *q, const char *s);   /* s must outlive the statement */
/* A condition with one value: fragment (" AND x = ?") and its value. */
void qb_and_int(struct qb *q, const char *fragment, int64_t v);
void qb_and_text(struct qb *q, const char *fragment, const char *s);
/* Prepare and bind: 0, or -1 (too long, too many binds, or SQLite's error). */
int qb_prepare(struct qb *q, sqlite3 *db, sqlite3_stmt **st);

/* Column i of a row as a member named after the column. */
void web_emit_column(struct json *j, sqlite3_stmt *st, int i);
/* Columns first..first+n of the row as one object. */
void web_emit_row(struct json *j, sqlite3_stmt *st, int first, int n);
/* Every row of st, each as an object (web_emit_row), into the open array;
 * st is finalized. 0, or -1 on a database error. */
int web_emit_rows(struct json *j, sqlite3_stmt *st, int ncols);
/* A page of a list: {"total": total, key: [rows of the query]} (errors
 * answered). */
void web_answer_page(struct web_req *r, struct qb *q, int64_t total, const char *key, int ncols);
/* key: [rows of sql], whose ?1 and ?2 are the time range. 0, or -1 on a
 * database error (the caller answers it). */
int web_emit_range_rows(struct web_req *r, const char *key, const char *sql, int64_t from,
			int64_t to, int ncols);
/* The JSON text src written again with the writer, structure and types
 * kept. Invalid JSON is written as fallback ("{}" or "null"). */
void web_emit_json_text(sqlite3 *db, struct json *j, const char *src, int object_fallback);
/* The single number a count query gives: 0, or -1. */
int web_count_query(struct web_req *r, struct qb *q, int64_t *total);

#endif
