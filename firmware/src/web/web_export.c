/*
 * web_export.c - the alert exports of the web API (see web_export.h):
 * CSV and EVE JSON lines, streamed from their own store connection.
 */
#include "web_export.h"

#include "core/log.h"
#include "decode/decode.h"
#include "web_alerts.h"
#include "web_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_MAX 100000

/* ---- GET /api/alerts/export.csv, export.eve --------------------------------------------------------- */

struct export {
	sqlite3 *db;
	sqlite3_stmt *st;
	struct alert_filter f;
	struct qb q;
	int csv;
	struct json out;        /* the line being handed out: an EVE event, or
				 * CSV written with json_raw */
	size_t off;             /* of out.buf already handed out */
	int header_done;
	int done;
};

static void export_free(void *cls)
{
	struct export *x = cls;

	sqlite3_finalize(x->st);
	sqlite3_close(x->db);
	json_free(&x->out);
	free(x);
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; text that a spreadsheet would take for a formula gets a leading
 * apostrophe. */
static void csv_field(struct json *j, sqlite3_stmt *st, int i, int last)
{
	int t = sqlite3_column_type(st, i);

	if (t == SQLITE_INTEGER) {
		char b[24];
		int n = snprintf(b, sizeof b, "%lld", (long long)sqlite3_column_int64(st, i));
		json_raw(j, b, (size_t)n);
	} else if (t != SQLITE_NULL) {
		const char *s = (const char *)sqlite3_column_text(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);
		int quote = strpbrk(s, ",\"\r\n") != NULL;

		if (quote)
			json_raw(j, "\"", 1);
		if (n && strchr("=+-@\t\r", s[0]))
			json_raw(j, "'", 1);
		for (size_t k = 0; k < n; k++) {
			if (s[k] == '"')
				json_raw(j, "\"", 1);
			json_raw(j, s + k, 1);
		}
		if (quote)
			json_raw(j, "\"", 1);
	}
	json_raw(j, last ? "\r\n" : ",", last ? 2 : 1);
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
			const char *name = decode_proto_name((uint8_t)sqlite3_column_int(x->st, i), pb);
			json_raw(&x->out, name, strlen(name));
			json_raw(&x->out, i == ALERT_NCOLS - 1 ? "\r\n" : ",", i == ALERT_NCOLS - 1 ? 2 : 1);
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
	struct json *j = &x->out;
	sqlite3_stmt *st = x->st;
	char ts[JSON_TS_LEN], pb[8];

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
		json_kstr(j, "proto", decode_proto_name((uint8_t)sqlite3_column_int(st, 15), pb));
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
		web_emit_json_text(x->db, j, col_text(st, 23), 1);
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
	json_raw(j, "\n", 1);
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct export *x = cls;

	while (x->off >= x->out.len) {
		if (x->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		json_reset(&x->out);
		x->off = 0;
		if (x->csv && !x->header_done) {
			static const char header[] = "id,engine,gid,sid,rev,signature,category,classtype,"
				"severity,detector,ioc_kind,ioc_indicator,ioc_list,src_ip,dest_ip,proto,"
				"src_port,dest_port,app_proto,count,first_seen_us,last_seen_us,status\r\n";
			json_raw(&x->out, header, sizeof header - 1);
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
	json_init(&x->out);
	if (alerts_filter_parse(r, &x->f, 0) != 0) {
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
	alerts_where(&x->q, &x->f);
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

void export_h_csv(struct web_req *r)
{
	export_alerts(r, 1);
}

void export_h_eve(struct web_req *r)
{
	export_alerts(r, 0);
}
