/*
 * outbox.c - the uplink's store-and-forward queue in SQLite (see outbox.h).
 *
 * Crash behaviour: every row is in a committed transaction before a sender
 * can read it (senders only see committed rows), and this connection runs
 * synchronous=FULL, so a commit is on the disk when it returns: kill -9 or
 * a power cut after outbox_commit loses nothing. A row is deleted only
 * after its uplink confirmed delivery; a crash between the confirmation and
 * the delete sends the row again after the restart, with the same event_id,
 * so the centre can drop the duplicate.
 *
 * The file is shared by the uplink's writer and its senders only, each on
 * its own connection; their transactions are short, and busy_timeout makes
 * one wait for another instead of failing.
 */
#include "outbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBOX_BUSY_TIMEOUT_MS 30000

struct outbox {
	sqlite3 *db;
	sqlite3_stmt *insert;
	int in_tx;
	char err[256];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"  /* never reused: a sender's cursor stays valid */
	" uplink TEXT NOT NULL,"
	" kind INTEGER NOT NULL,"                 /* enum outbox_kind */
	" severity INTEGER NOT NULL,"
	" created_us INTEGER NOT NULL,"
	" event_id TEXT NOT NULL,"
	" size INTEGER NOT NULL,"                 /* of body: sums never read the bodies */
	" body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS outbox_by_uplink ON outbox(uplink, id);"
	"CREATE TABLE IF NOT EXISTS outbox_dropped ("
	" uplink TEXT NOT NULL, kind INTEGER NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY (uplink, kind));";

static int fail(struct outbox *o, const char *what)
{
	snprintf(o->err, sizeof o->err, "outbox: %s: %s", what, sqlite3_errmsg(o->db));
	return -1;
}

const char *outbox_error(const struct outbox *o)
{
	return o->err;
}

struct outbox *outbox_open(const char *path, char *err, size_t errlen)
{
	struct outbox *o = calloc(1, sizeof *o);
	char *msg = NULL;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, o->db ? sqlite3_errmsg(o->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(o->db, OUTBOX_BUSY_TIMEOUT_MS);
	if (sqlite3_exec(o->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
			 &msg) != SQLITE_OK ||
	    sqlite3_exec(o->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: outbox tables: %s", path, msg ? msg : "failed");
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlite3_prepare_v2(o->db, "INSERT INTO outbox (uplink, kind, severity, created_us, "
			       "event_id, size, body) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &o->insert,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(o->db));
		goto fail;
	}
	return o;
fail:
	sqlite3_close(o->db);
	free(o);
	return NULL;
}

void outbox_close(struct outbox *o)
{
	if (!o)
		return;
	if (o->in_tx)
		outbox_commit(o);
	sqlite3_finalize(o->insert);
	sqlite3_close(o->db);
	free(o);
}

int outbox_add(struct outbox *o, const char *uplink, int kind, int severity,
	       uint64_t created_us, const char *event_id, const char *body, size_t len)
{
	if (!o->in_tx) {
		if (sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return fail(o, "begin");
		o->in_tx = 1;
	}
	sqlite3_bind_text(o->insert, 1, uplink, -1, SQLITE_STATIC);
	sqlite3_bind_int(o->insert, 2, kind);
	sqlite3_bind_int(o->insert, 3, severity);
	sqlite3_bind_int64(o->insert, 4, (sqlite3_int64)created_us);
	sqlite3_bind_text(o->insert, 5, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o->insert, 6, (sqlite3_int64)len);
	sqlite3_bind_text(o->insert, 7, body, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(o->insert);
	sqlite3_reset(o->insert);
	sqlite3_clear_bindings(o->insert);
	if (rc != SQLITE_DONE) {
		fail(o, "insert");
		sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
		o->in_tx = 0;
		return -1;
	}
	return 0;
}

/* End the open transaction; on failure it is rolled back (the caller still
 * holds the events and adds them again). */
int outbox_commit(struct outbox *o)
{
	if (!o->in_tx)
		return 0;
	o->in_tx = 0;
	if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(o, "commit");
		sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int outbox_fetch(struct outbox *o, const char *uplink, int64_t after_id,
		 struct outbox_row *rows, int max)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(o->db, "SELECT id, kind, severity, created_us, event_id, body "
			       "FROM outbox WHERE uplink = ? AND id > ? ORDER BY id LIMIT ?", -1,
			       &st, NULL) != SQLITE_OK)
		return fail(o, "fetch");
	sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int(st, 3, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_row *r = &rows[n];
		const char *body = (const char *)sqlite3_column_text(st, 5);
		int len = sqlite3_column_bytes(st, 5);
		r->id = sqlite3_column_int64(st, 0);
		r->kind = sqlite3_column_int(st, 1);
		r->severity = sqlite3_column_int(st, 2);
		r->created_us = (uint64_t)sqlite3_column_int64(st, 3);
		snprintf(r->event_id, sizeof r->event_id, "%s",
			 (const char *)sqlite3_column_text(st, 4));
		if (!(r->body = malloc((size_t)len + 1))) {
			snprintf(o->err, sizeof o->err, "outbox: out of memory");
			rc = SQLITE_NOMEM;
			break;
		}
		memcpy(r->body, body ? body : "", (size_t)len);
		r->body[len] = '\0';
		r->len = (size_t)len;
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_NOMEM)
		fail(o, "fetch");
	sqlite3_finalize(st);
	/* what was read before a failure is handed out; the next call retries */
	if (n == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		return -1;
	return n;
}

void outbox_rows_free(struct outbox_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free(rows[i].body);
		rows[i].body = NULL;
	}
}

int outbox_delete(struct outbox *o, const int64_t *ids, int n)
{
	sqlite3_stmt *st = NULL;

	if (n <= 0)
		return 0;
	if (sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(o, "begin");
	if (sqlite3_prepare_v2(o->db, "DELETE FROM outbox WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		goto bad;
	for (int i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto bad;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto bad;
	return 0;
bad:
	fail(o, "delete");
	sqlite3_finalize(st);
	sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int outbox_depth(struct outbox *o, const char *uplink, struct outbox_depth *d)
{
	sqlite3_stmt *st = NULL;

	memset(d, 0, sizeof *d);
	if (sqlite3_prepare_v2(o->db, "SELECT count(*), coalesce(sum(size), 0), "
			       "coalesce(min(created_us), 0) FROM outbox WHERE uplink = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return fail(o, "depth");
	sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		d->events = (uint64_t)sqlite3_column_int64(st, 0);
		d->bytes = (uint64_t)sqlite3_column_int64(st, 1);
		d->oldest_us = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return 0;
}

/* Add n drops of kind to uplink's counters (inside the caller's transaction). */
static int count_dropped(struct outbox *o, const char *uplink, int kind, int64_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (n <= 0)
		return 0;
	if (sqlite3_prepare_v2(o->db, "INSERT INTO outbox_dropped (uplink, kind, n) VALUES (?, ?, ?) "
			       "ON CONFLICT (uplink, kind) DO UPDATE SET n = n + excluded.n", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kind);
	sqlite3_bind_int64(st, 3, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Delete the rows of one kind matching where (bound: uplink, then the
 * optional integer), counting them. Returns the rows or -1. */
static int64_t drop_where(struct outbox *o, const char *uplink, int kind, const char *where,
			  int64_t arg)
{
	char sql[400];
	sqlite3_stmt *st = NULL;
	int64_t n;

	snprintf(sql, sizeof sql, "DELETE FROM outbox WHERE uplink = ?1 AND kind = %d AND %s", kind,
		 where);
	if (sqlite3_prepare_v2(o->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, arg);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	n = sqlite3_changes(o->db);
	return count_dropped(o, uplink, kind, n) < 0 ? -1 : n;
}

int64_t outbox_enforce(struct outbox *o, const char *uplink, uint64_t max_bytes,
		       uint64_t max_age_us, uint64_t now_us)
{
	static const int order[] = { OUTBOX_FLOW, OUTBOX_SUMMARY, OUTBOX_ALERT };
	struct outbox_depth d;
	int64_t total = 0, n;

	if (outbox_depth(o, uplink, &d) < 0)
		return -1;
	int too_old = max_age_us && d.oldest_us && now_us > max_age_us &&
		d.oldest_us < now_us - max_age_us;
	if (!too_old && (!max_bytes || d.bytes <= max_bytes))
		return 0;
	if (sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(o, "begin");
	if (too_old) {
		for (int k = 0; k < 3; k++) {
			if ((n = drop_where(o, uplink, order[k], "created_us < ?2",
					    (int64_t)(now_us - max_age_us))) < 0)
				goto bad;
			total += n;
		}
	}
	/* over the size: the oldest rows of the least valuable kind first,
	 * just enough of them to cover the excess, then the next kind */
	for (int k = 0; k < 3 && max_bytes; k++) {
		sqlite3_stmt *st = NULL;
		uint64_t bytes = 0;
		if (sqlite3_prepare_v2(o->db, "SELECT coalesce(sum(size), 0) FROM outbox "
				       "WHERE uplink = ?", -1, &st, NULL) != SQLITE_OK)
			goto bad;
		sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			bytes = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (bytes <= max_bytes)
			break;
		char where[300];
		snprintf(where, sizeof where, "id IN (SELECT id FROM (SELECT id, size, sum(size) "
			 "OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS upto FROM outbox "
			 "WHERE uplink = ?1 AND kind = %d) WHERE upto - size < ?2)", order[k]);
		if ((n = drop_where(o, uplink, order[k], where, (int64_t)(bytes - max_bytes))) < 0)
			goto bad;
		total += n;
	}
	if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto bad;
	return total;
bad:
	fail(o, "bounds");
	sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int outbox_take_dropped(struct outbox *o, const char *uplink, uint64_t dropped[OUTBOX__KINDS])
{
	sqlite3_stmt *st = NULL;

	memset(dropped, 0, sizeof(uint64_t) * OUTBOX__KINDS);
	if (sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(o, "begin");
	if (sqlite3_prepare_v2(o->db, "SELECT kind, n FROM outbox_dropped WHERE uplink = ?", -1, &st,
			       NULL) != SQLITE_OK)
		goto bad;
	sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int k = sqlite3_column_int(st, 0);
		if (k >= 0 && k < OUTBOX__KINDS)
			dropped[k] += (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(o->db, "DELETE FROM outbox_dropped WHERE uplink = ?", -1, &st,
			       NULL) != SQLITE_OK)
		goto bad;
	sqlite3_bind_text(st, 1, uplink, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto bad;
	sqlite3_finalize(st);
	if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto bad;
	return 0;
bad:
	fail(o, "dropped counters");
	sqlite3_finalize(st);
	sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
