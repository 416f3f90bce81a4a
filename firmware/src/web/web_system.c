/*
 * web_system.c - GET /api/system and GET /api/audit (see web_system.h):
 * what runs (from the daemon, or a stand-in under vigil serve), the
 * database and its limits, and the audit log.
 */
#include "web_system.h"
#include "core/clock.h"

#include "web_sql.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- GET /api/audit ------------------------------------------------------------------------------- */

void system_h_audit(struct web_req *r)
{
	static const char *const params[] = { "limit", "offset", NULL };
	int64_t limit = WEB_LIST_DEFAULT, offset = 0, total = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	if (web_params_check(r, params) != 0 || web_param_i64(r, "limit", 1, WEB_LIST_MAX, &limit) < 0 ||
	    web_param_i64(r, "offset", 0, WEB_OFFSET_MAX, &offset) < 0)
		return;
	if (sqlite3_prepare_v2(r->db, "SELECT count(*) FROM audit", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		web_db_error(r);
		return;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(r->db, "SELECT ts_us, username AS user, action, target, detail"
			       " FROM audit ORDER BY id DESC LIMIT ? OFFSET ?", -1, &st, NULL) != SQLITE_OK) {
		web_db_error(r);
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
		web_emit_row(&r->out, st, 0, 5);
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		web_db_error(r);
}

/* ---- GET /api/clock ---------------------------------------------------------------------------------- */

/* The clocks the page's time presets count back from: the wall clock,
 * the newest data, and whether packets come from a live link. */
void system_h_clock(struct web_req *r)
{
	static const char *const none[] = { NULL };
	sqlite3_stmt *st = NULL;
	int has_newest = 0;
	int64_t newest = 0;

	if (web_params_check(r, none) != 0)
		return;
	/* max() of an indexed column is one index seek each */
	if (sqlite3_prepare_v2(r->db, "SELECT max(coalesce((SELECT max(start_us) FROM flows), 0),"
			       " coalesce((SELECT max(last_seen_us) FROM alerts), 0))",
			       -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		web_db_error(r);
		return;
	}
	newest = sqlite3_column_int64(st, 0);
	has_newest = newest > 0;
	sqlite3_finalize(st);
	web_ok_begin(r, 200);
	json_key(&r->out, "now_us");
	json_u64(&r->out, wall_us());
	json_key(&r->out, "newest_us");
	if (has_newest)
		json_i64(&r->out, newest);
	else
		json_null(&r->out);
	json_kbool(&r->out, "live", r->env->cfg.live != 0);
	json_obj_end(&r->out);
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

void system_h_get(struct web_req *r)
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
		json_ku64(j, "uptime_s", (wall_us() - r->env->started_us) / 1000000);
		json_key(j, "capture");
		json_arr_begin(j);
		json_arr_end(j);
		json_key(j, "decode_errors");
		if (sqlite3_prepare_v2(r->db, "SELECT decode_errors FROM runs ORDER BY id DESC LIMIT 1",
				       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			web_emit_json_text(r->db, j, (const char *)sqlite3_column_text(st, 0), 1);
		else
			web_emit_json_text(r->db, j, NULL, 1);
		sqlite3_finalize(st);
		json_key(j, "rulesets");
		json_arr_begin(j);
		json_arr_end(j);
		json_key(j, "last_reload");
		json_null(j);
		json_key(j, "uplinks");   /* the daemon's senders; none here */
		json_arr_begin(j);
		json_arr_end(j);
		json_key(j, "rules_sync"); /* the daemon's bundle fetcher; none here */
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
