/*
 * web_export.c - the alert exports of the web API (see web_export.h):
 * CSV and EVE JSON lines, streamed from their own store connection.
 */
#include "web_export.h"

#include "core/log.h"
#include "decode/decode.h"
#include "output/eve.h"
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
	sqlite3_stmt *flow;     /* export.eve: an alert's stored flow */
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
	sqlite3_finalize(x->flow);
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
	" (SELECT flow_id FROM alert_flows WHERE alert_id = alerts.id ORDER BY ts_us DESC LIMIT 1)" \
	" AS flow_id"

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

/* The stored metadata (alert_meta_json's object of lists, detect/alert.h)
 * back into a's pairs, copied into pool (freed by the caller); what is
 * not that form gives a value of its JSON text, invalid JSON none. */
static void meta_pairs(sqlite3 *db, const char *text, struct alert *a, char **pool, int *n_pool)
{
	sqlite3_stmt *m = NULL, *v = NULL;

	if (!text || sqlite3_prepare_v2(db, "SELECT key, type, value FROM json_each(?1)"
					" WHERE json_type(?1) = 'object'", -1, &m, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT value FROM json_each(?1)", -1, &v, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(m, 1, text, -1, SQLITE_STATIC);
	while (a->n_meta < ALERT_MAX_META && sqlite3_step(m) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(m, 1);
		char *key = strdup((const char *)sqlite3_column_text(m, 0));
		int list = type && strcmp(type, "array") == 0;

		if (!key)
			break;
		int before = a->n_meta;
		pool[(*n_pool)++] = key;
		sqlite3_reset(v);
		sqlite3_bind_text(v, 1, (const char *)sqlite3_column_text(m, 2), -1, SQLITE_TRANSIENT);
		while (a->n_meta < ALERT_MAX_META) {
			const char *val;
			if (list) {
				if (sqlite3_step(v) != SQLITE_ROW)
					break;
				val = (const char *)sqlite3_column_text(v, 0);
			} else {
				val = (const char *)sqlite3_column_text(m, 2);
			}
			char *copy = strdup(val ? val : "");
			if (!copy)
				break;
			pool[(*n_pool)++] = copy;
			a->meta[a->n_meta].key = key;
			a->meta[a->n_meta++].value = copy;
			if (!list)
				break;
		}
		if (a->n_meta == before)    /* an empty list: no pair holds the key */
			free(pool[--(*n_pool)]);
	}
out:
	sqlite3_finalize(m);
	sqlite3_finalize(v);
}

/* The stored flow flow_id for an exported alert's flow{}: its start and
 * its records' counts summed (the store keeps them per interval), found
 * through the alerted-flows index (a detector's tipping flow is not
 * marked: then the source's flows of the day before the alert, as
 * schema 5's conversion looks for it), then (source, start). 1 when it
 * is stored, else 0. */
static int stored_flow(struct export *x, uint64_t flow_id, const struct alert *a,
		       struct flow_record *fr)
{
	int found = 0;

	if (!x->flow && sqlite3_prepare_v2(x->db,
			"SELECT min(f.start_us), sum(f.pkts_toserver), sum(f.pkts_toclient),"
			" sum(f.bytes_toserver), sum(f.bytes_toclient), count(*) FROM flows f,"
			" (SELECT src_ip, start_us FROM flows WHERE flow_id = ?1 AND alerted = 1"
			"  UNION ALL SELECT * FROM (SELECT src_ip, start_us FROM flows WHERE src_ip = ?2"
			"  AND start_us BETWEEN ?3 - 86400000000 AND ?3 AND flow_id = ?1"
			"  ORDER BY start_us DESC LIMIT 1)"
			"  LIMIT 1) k WHERE f.src_ip = k.src_ip AND f.start_us = k.start_us"
			" AND f.flow_id = ?1", -1, &x->flow, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(x->flow, 1, (sqlite3_int64)flow_id);
	sqlite3_bind_text(x->flow, 2, a->src_ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(x->flow, 3, (sqlite3_int64)a->ts_us);
	if (sqlite3_step(x->flow) == SQLITE_ROW && sqlite3_column_int64(x->flow, 5) > 0) {
		memset(fr, 0, sizeof *fr);
		fr->flow_id = flow_id;
		fr->start_us = (uint64_t)sqlite3_column_int64(x->flow, 0);
		fr->tot_pkts_toserver = (uint64_t)sqlite3_column_int64(x->flow, 1);
		fr->tot_pkts_toclient = (uint64_t)sqlite3_column_int64(x->flow, 2);
		fr->tot_bytes_toserver = (uint64_t)sqlite3_column_int64(x->flow, 3);
		fr->tot_bytes_toclient = (uint64_t)sqlite3_column_int64(x->flow, 4);
		found = 1;
	}
	sqlite3_reset(x->flow);
	return found;
}

/* An aggregated alert (its latest occurrence) in eve.c's layout (docs/
 * eve.md: nothing in alert{} that Suricata's schema does not have), with
 * the indicator and the aggregation added under "vigil". The row is read
 * by column name. */
static void export_eve_row(struct export *x)
{
	static const char *const engines[] = { "signature", "ioc", "detector" };
	struct json *j = &x->out;
	sqlite3_stmt *st = x->st;
	char ts[JSON_TS_LEN], *pool[2 * ALERT_MAX_META];
	int n_pool = 0;
	int64_t id = 0, count = 0, first = 0, last = 0;
	const char *status = NULL, *meta = NULL;
	struct alert a;
	struct flow_record fr;

	memset(&a, 0, sizeof a);
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		const char *name = sqlite3_column_name(st, i), *t = col_text(st, i);
		int64_t v = sqlite3_column_int64(st, i);
		int null = sqlite3_column_type(st, i) == SQLITE_NULL;

		if (strcmp(name, "id") == 0) id = v;
		else if (strcmp(name, "engine") == 0) {
			for (int k = 0; k < 3; k++)
				if (t && strcmp(t, engines[k]) == 0)
					a.engine = k;
		}
		else if (strcmp(name, "gid") == 0) a.gid = (uint32_t)v;
		else if (strcmp(name, "sid") == 0) a.sid = (uint32_t)v;
		else if (strcmp(name, "rev") == 0) a.rev = (uint32_t)v;
		else if (strcmp(name, "signature") == 0) a.signature = t;
		else if (strcmp(name, "category") == 0) a.category = t;
		else if (strcmp(name, "classtype") == 0) a.classtype = t;
		else if (strcmp(name, "severity") == 0) a.severity = (int)v;
		else if (strcmp(name, "detector") == 0) a.detector = t;
		else if (strcmp(name, "ioc_kind") == 0) a.ioc_kind = t;
		else if (strcmp(name, "ioc_indicator") == 0) a.ioc_indicator = t;
		else if (strcmp(name, "ioc_list") == 0) a.ioc_list = t;
		else if (strcmp(name, "src_ip") == 0) snprintf(a.src_ip, sizeof a.src_ip, "%s", t ? t : "");
		else if (strcmp(name, "dest_ip") == 0) snprintf(a.dest_ip, sizeof a.dest_ip, "%s", t ? t : "");
		else if (strcmp(name, "proto") == 0) a.proto = (uint8_t)v;
		else if (strcmp(name, "src_port") == 0) { a.src_port = (uint16_t)v; a.has_ports = !null; }
		else if (strcmp(name, "dest_port") == 0) a.dest_port = (uint16_t)v;
		else if (strcmp(name, "app_proto") == 0) a.app_proto = t;
		else if (strcmp(name, "count") == 0) count = v;
		else if (strcmp(name, "first_seen_us") == 0) first = v;
		else if (strcmp(name, "last_seen_us") == 0) last = v;
		else if (strcmp(name, "status") == 0) status = t;
		else if (strcmp(name, "metadata") == 0) meta = t;
		else if (strcmp(name, "community_id") == 0) a.community_id = t;
		else if (strcmp(name, "flow_id") == 0 && !null) {
			a.flow_ids[0] = (uint64_t)v;
			a.n_flow_ids = 1;
		}
	}
	a.ts_us = (uint64_t)last;
	if (a.n_flow_ids == 1 && stored_flow(x, a.flow_ids[0], &a, &fr))
		a.stored_flow = &fr;
	meta_pairs(x->db, meta, &a, pool, &n_pool);

	eve_alert_json(j, &a);   /* ends inside its "vigil" object */
	if (a.ioc_kind) {
		json_key(j, "ioc");
		json_obj_begin(j);
		json_kstr(j, "kind", a.ioc_kind);
		json_kstr(j, "indicator", a.ioc_indicator);
		json_kstr(j, "list", a.ioc_list);
		json_obj_end(j);
	}
	json_ku64(j, "alert_id", (uint64_t)id);
	json_ku64(j, "count", (uint64_t)count);
	json_format_ts(ts, (uint64_t)first);
	json_kstr(j, "first_seen", ts);
	json_format_ts(ts, (uint64_t)last);
	json_kstr(j, "last_seen", ts);
	json_kstr(j, "status", status);
	json_obj_end(j);
	json_obj_end(j);
	json_raw(j, "\n", 1);
	while (n_pool > 0)
		free(pool[--n_pool]);
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
				"src_port,dest_port,app_proto,count,first_seen_us,last_seen_us,status,"
				"ndpi_app_proto,community_id\r\n";
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
