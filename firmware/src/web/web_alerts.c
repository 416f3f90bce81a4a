/*
 * web_alerts.c - the alert routes of the web API (see web_alerts.h):
 * the list and its filters, one alert, its status, notes, acknowledging
 * many, suppressing one, and the suppressions listed and removed.
 */
#include "web_alerts.h"
#include "web_evidence.h"
#include "core/clock.h"

#include "core/log.h"
#include "detect/alert.h"
#include "detect/suppress.h"
#include "web_flows.h"
#include "web_sql.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ACK_MAX_IDS 1000
#define NOTE_MAX_CHARS 4000

/* ---- alerts: filters --------------------------------------------------------------------------- */

static const char *const alert_statuses[] = { "new", "acknowledged", "false_positive", "escalated",
					      NULL };
static const char *const alert_engines[] = { "signature", "ioc", "detector", NULL };
static const char *const alert_sorts[] = { "last_seen", "first_seen", "severity", "count", NULL };
static const char *const alert_orders[] = { "desc", "asc", NULL };

/* The orders of the lists, by sort and order: "desc" puts the worst,
 * the most or the newest first. Ties by last seen, then id (alerts) or
 * gid:sid (groups), so pages never overlap. */
struct alert_order {
	const char *sort, *list_desc, *list_asc, *group_desc, *group_asc;
};
static const struct alert_order alert_orders_sql[] = {
	{ "last_seen", " ORDER BY last_seen_us DESC, id DESC", " ORDER BY last_seen_us, id",
	  " ORDER BY last_seen_us DESC, gid, sid", " ORDER BY last_seen_us, gid, sid" },
	{ "first_seen", " ORDER BY first_seen_us DESC, id DESC", " ORDER BY first_seen_us, id",
	  " ORDER BY first_seen_us DESC, gid, sid", " ORDER BY first_seen_us, gid, sid" },
	{ "severity", " ORDER BY severity, last_seen_us DESC, id DESC",
	  " ORDER BY severity DESC, last_seen_us DESC, id DESC",
	  " ORDER BY severity, last_seen_us DESC, gid, sid",
	  " ORDER BY severity DESC, last_seen_us DESC, gid, sid" },
	{ "count", " ORDER BY count DESC, last_seen_us DESC, id DESC",
	  " ORDER BY count, last_seen_us DESC, id DESC",
	  " ORDER BY count DESC, last_seen_us DESC, gid, sid",
	  " ORDER BY count, last_seen_us DESC, gid, sid" },
};

/* The ORDER BY of the filter's sort and order (constants of this file). */
static const char *alert_order_sql(const struct alert_filter *f, int groups)
{
	int asc = strcmp(f->order, "asc") == 0;

	for (size_t i = 0; i < sizeof alert_orders_sql / sizeof alert_orders_sql[0]; i++) {
		const struct alert_order *o = &alert_orders_sql[i];
		if (strcmp(f->sort, o->sort) == 0)
			return groups ? (asc ? o->group_asc : o->group_desc)
				      : (asc ? o->list_asc : o->list_desc);
	}
	return groups ? alert_orders_sql[0].group_desc : alert_orders_sql[0].list_desc;
}

/* The filters of GET /api/alerts and its exports. list: limit and offset
 * are allowed too. 0, or -1 answered. */
int alerts_filter_parse(struct web_req *r, struct alert_filter *f, int list)
{
	static const char *const list_params[] = { "from", "to", "severity", "engine", "gid", "sid",
		"host", "status", "q", "since_id", "sort", "order", "limit", "offset", NULL };
	static const char *const export_params[] = { "from", "to", "severity", "engine", "gid",
		"sid", "host", "status", "q", "since_id", NULL };
	int rc;

	memset(f, 0, sizeof *f);
	f->limit = WEB_LIST_DEFAULT;
	snprintf(f->sort, sizeof f->sort, "last_seen");
	snprintf(f->order, sizeof f->order, "desc");
	if (web_params_check(r, list ? list_params : export_params) != 0 ||
	    (f->has_gid = web_param_i64(r, "gid", 0, UINT32_MAX, &f->gid)) < 0 ||
	    web_param_choice(r, "sort", alert_sorts, f->sort, sizeof f->sort) < 0 ||
	    web_param_choice(r, "order", alert_orders, f->order, sizeof f->order) < 0 ||
	    web_param_range(r, &f->from, &f->to, &f->has_from, &f->has_to) != 0 ||
	    (f->has_sev = web_param_i64(r, "severity", 1, 4, &f->severity)) < 0 ||
	    (f->has_sid = web_param_i64(r, "sid", 0, UINT32_MAX, &f->sid)) < 0 ||
	    (f->has_since = web_param_i64(r, "since_id", 0, INT64_MAX, &f->since_id)) < 0 ||
	    web_param_choice(r, "engine", alert_engines, f->engine, sizeof f->engine) < 0 ||
	    web_param_choice(r, "status", alert_statuses, f->status, sizeof f->status) < 0 ||
	    web_param_host(r, "host", f->host, sizeof f->host) < 0 ||
	    web_param_i64(r, "limit", 1, WEB_LIST_MAX, &f->limit) < 0 ||
	    web_param_i64(r, "offset", 0, WEB_OFFSET_MAX, &f->offset) < 0)
		return -1;
	const char *q = web_param(r, "q");
	if (q) {
		long n = web_text_chars(q);
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

void alerts_where(struct qb *q, const struct alert_filter *f)
{
	qb_sql(q, " WHERE 1");
	if (f->has_from)
		qb_and_int(q, " AND last_seen_us >= ?", f->from);
	if (f->has_to)
		qb_and_int(q, " AND last_seen_us <= ?", f->to);
	if (f->has_sev)
		qb_and_int(q, " AND severity <= ?", f->severity);
	if (f->engine[0])
		qb_and_text(q, " AND engine = ?", f->engine);
	if (f->has_gid)
		qb_and_int(q, " AND gid = ?", f->gid);
	if (f->has_sid)
		qb_and_int(q, " AND sid = ?", f->sid);
	if (f->host[0]) {
		qb_sql(q, " AND (src_ip = ? OR dest_ip = ?)");
		qb_text(q, f->host);
		qb_text(q, f->host);
	}
	if (f->status[0])
		qb_and_text(q, " AND status = ?", f->status);
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
		       " ('status', 'ack', 'recurred') AND ts_us > (SELECT coalesce(max(first_seen_us),"
		       " 9223372036854775807) FROM alerts WHERE id = ?)))");
		qb_int(q, f->since_id);
		qb_int(q, f->since_id);
		qb_int(q, f->since_id);
	}
}

/* The answer when the alert of the path was not read: 404 when the step
 * found no row (rc SQLITE_DONE), else a database error. */
static void alert_missing(struct web_req *r, int rc)
{
	if (rc == SQLITE_DONE)
		web_error(r, 404, "no alert %lld", (long long)r->id);
	else
		web_db_error(r);
}

/* sql, about the alert of the path ({id} bound as ?), stepped once: its
 * statement (*rc SQLITE_ROW: a row to read; else no row), which the
 * caller finalizes, or NULL when it could not be prepared (answered). */
static sqlite3_stmt *alert_step(struct web_req *r, const char *sql, int *rc)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		web_db_error(r);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, r->id);
	*rc = sqlite3_step(st);
	return st;
}

/* ---- GET /api/alerts ---------------------------------------------------------------------------- */

/* After ALERT_COLS in the list and the detail: when the alert last
 * recurred (fired again after it was triaged, store.h's store_set_recur;
 * the audit log's newest "recurred" row, through audit_target), or NULL. */
#define RECURRED_COL \
	" (SELECT max(ts_us) FROM audit WHERE action = 'recurred'" \
	" AND target = CAST(alerts.id AS TEXT)) AS recurred_us"

void alerts_h_list(struct web_req *r)
{
	struct alert_filter f;
	struct qb q;
	int64_t total = 0;

	if (alerts_filter_parse(r, &f, 1) != 0)
		return;
	qb_init(&q);
	qb_sql(&q, "SELECT count(*) FROM alerts");
	alerts_where(&q, &f);
	if (web_count_query(r, &q, &total) != 0) {
		web_db_error(r);
		return;
	}
	/* the page's ids first (from an index alone where the filters allow),
	 * then only those rows: sorting whole rows of thousands of matches
	 * would cost more than the query */
	qb_init(&q);
	qb_sql(&q, "SELECT " ALERT_COLS "," RECURRED_COL " FROM alerts WHERE id IN (SELECT id FROM alerts");
	alerts_where(&q, &f);
	qb_sql(&q, alert_order_sql(&f, 0));
	qb_sql(&q, " LIMIT ? OFFSET ?)");
	qb_sql(&q, alert_order_sql(&f, 0));
	qb_int(&q, f.limit);
	qb_int(&q, f.offset);
	web_answer_page(r, &q, total, "alerts", ALERT_NCOLS + 1);
}

/* ---- GET /api/alerts/groups --------------------------------------------------------------------- */

/* One row per signature (gid:sid) of the filtered alerts: how many
 * alerts (source/destination pairs), how many of them new, how many
 * distinct sources and destinations, the occurrences, the worst severity
 * and the first and last time seen. */
#define GROUP_COLS "gid, sid, max(engine) AS engine, max(signature) AS signature," \
	" max(category) AS category, max(detector) AS detector, min(severity) AS severity," \
	" count(*) AS alerts, sum(status = 'new') AS new, count(DISTINCT src_ip) AS sources," \
	" count(DISTINCT nullif(dest_ip, '')) AS destinations, sum(count) AS count," \
	" min(first_seen_us) AS first_seen_us, max(last_seen_us) AS last_seen_us"
#define GROUP_NCOLS 14

void alerts_h_groups(struct web_req *r)
{
	struct alert_filter f;
	struct qb q;
	int64_t total = 0;

	if (alerts_filter_parse(r, &f, 1) != 0)
		return;
	if (f.has_since) {
		web_error(r, 400, "parameter 'since_id': not for groups (ask /api/alerts)");
		return;
	}
	qb_init(&q);
	qb_sql(&q, "SELECT count(*) FROM (SELECT 1 FROM alerts");
	alerts_where(&q, &f);
	qb_sql(&q, " GROUP BY gid, sid)");
	if (web_count_query(r, &q, &total) != 0) {
		web_db_error(r);
		return;
	}
	qb_init(&q);
	qb_sql(&q, "SELECT " GROUP_COLS " FROM alerts");
	alerts_where(&q, &f);
	qb_sql(&q, " GROUP BY gid, sid");
	qb_sql(&q, alert_order_sql(&f, 1));
	qb_sql(&q, " LIMIT ? OFFSET ?");
	qb_int(&q, f.limit);
	qb_int(&q, f.offset);
	web_answer_page(r, &q, total, "groups", GROUP_NCOLS);
}

/* ---- GET /api/alerts/{id} ------------------------------------------------------------------------- */

/* The flows linked to alert ?1 (alert_flows) that are still stored:
 * alerted flows through the partial index on flow_id; flows written
 * before the alert (detectors decide after the fact) through the host
 * indexes around the alert's time (?2 its source, ?3 and ?4 a day before
 * its first sighting to its last). */
#define LINKED_FLOWS \
	" SELECT " FLOW_COLS " FROM flows WHERE alerted = 1 AND flow_id IN" \
	"  (SELECT flow_id FROM alert_flows WHERE alert_id = ?1)" \
	" UNION" \
	" SELECT " FLOW_COLS " FROM flows WHERE (src_ip = ?2 OR dest_ip = ?2)" \
	"  AND start_us BETWEEN ?3 AND ?4 AND alerted = 0 AND flow_id IN" \
	"  (SELECT flow_id FROM alert_flows WHERE alert_id = ?1)"

/* The ALERT members of alert id into the open object; 1 found, 0 not, -1 error. */
static int emit_alert_by_id(struct web_req *r, int64_t id, int detail)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT " ALERT_COLS ", rule_text, refs, metadata,"
			       RECURRED_COL " FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	for (int i = 0; i < ALERT_NCOLS; i++)
		web_emit_column(&r->out, st, i);
	if (detail) {
		const char *refs = (const char *)sqlite3_column_text(st, ALERT_NCOLS + 1);

		web_emit_column(&r->out, st, ALERT_NCOLS);     /* rule_text */
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
		web_emit_json_text(r->db, &r->out, (const char *)sqlite3_column_text(st, ALERT_NCOLS + 2), 1);
		web_emit_column(&r->out, st, ALERT_NCOLS + 3);  /* recurred_us */
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
		web_emit_row(&r->out, st, 0, 3);
	json_arr_end(&r->out);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* "pcap": the flows of the alert whose packets are kept (web_evidence.h),
 * the newest first: what GET /api/alerts/{id}/pcap gives and what the
 * page's download button waits for. */
static int alert_pcap(struct web_req *r)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	json_key(&r->out, "pcap");
	json_arr_begin(&r->out);
	if (sqlite3_prepare_v2(r->db, "SELECT flow_id FROM alert_flows WHERE alert_id = ?"
			       " ORDER BY ts_us DESC LIMIT 1000", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < WEB_EVIDENCE_MERGE_FILES) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		if (web_evidence_kept(r, id)) {
			json_u64(&r->out, id);
			n++;
		}
	}
	sqlite3_finalize(st);
	json_arr_end(&r->out);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

void alerts_h_get(struct web_req *r)
{
	static const char *const none[] = { NULL };
	sqlite3_stmt *st = NULL;
	char src[64] = "", dest[64] = "";
	int64_t first = 0, last = 0;
	int rc;

	if (web_params_check(r, none) != 0)
		return;
	if (!(st = alert_step(r, "SELECT src_ip, dest_ip, first_seen_us, last_seen_us"
			      " FROM alerts WHERE id = ?", &rc)))
		return;
	if (rc == SQLITE_ROW) {
		snprintf(src, sizeof src, "%s", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_text(st, 1))
			snprintf(dest, sizeof dest, "%s", (const char *)sqlite3_column_text(st, 1));
		first = sqlite3_column_int64(st, 2);
		last = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		alert_missing(r, rc);
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
	if (sqlite3_prepare_v2(r->db, "SELECT * FROM (" LINKED_FLOWS ")"
			       " ORDER BY start_us DESC, id DESC LIMIT 100", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, src, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, first - WEB_DAY_US);
	sqlite3_bind_int64(st, 4, last);
	if (web_emit_rows(&r->out, st, FLOW_NCOLS) != 0)
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
	if (web_emit_rows(&r->out, st, ALERT_NCOLS) != 0)
		goto fail;
	json_arr_end(&r->out);

	/* its triage: status changes and recurrences (the audit log, read by
	 * its index on target: schema 6), newest first */
	json_key(&r->out, "history");
	json_arr_begin(&r->out);
	if (sqlite3_prepare_v2(r->db, "SELECT ts_us, username AS user, action, detail FROM audit"
			       " WHERE target = CAST(?1 AS TEXT) AND action IN ('status', 'ack', 'recurred')"
			       " ORDER BY id DESC LIMIT 20", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	if (web_emit_rows(&r->out, st, 4) != 0)
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
	if (web_emit_rows(&r->out, st, 2) != 0)
		goto fail;
	json_arr_end(&r->out);
	if (alert_pcap(r) != 0)
		goto fail;
	json_obj_end(&r->out);
	return;
fail:
	web_db_error(r);
}

/* ---- GET /api/alerts/{id}/flows ------------------------------------------------------------------ */

/* A page of the alert's linked flows, newest first: how many are linked
 * (alert_flows), how many of those are still stored (retention removes
 * flows before alerts) and how many one decision links at most. */
void alerts_h_flows(struct web_req *r)
{
	static const char *const params[] = { "limit", "offset", NULL };
	sqlite3_stmt *st = NULL;
	char src[64] = "";
	int64_t first = 0, last = 0, limit = 20, offset = 0, linked = 0, stored = 0;
	int rc;

	if (web_params_check(r, params) != 0 || web_param_i64(r, "limit", 1, WEB_LIST_MAX, &limit) < 0 ||
	    web_param_i64(r, "offset", 0, WEB_OFFSET_MAX, &offset) < 0)
		return;
	if (!(st = alert_step(r, "SELECT src_ip, first_seen_us, last_seen_us, (SELECT count(*)"
			      " FROM alert_flows WHERE alert_id = alerts.id) FROM alerts WHERE id = ?", &rc)))
		return;
	if (rc == SQLITE_ROW) {
		snprintf(src, sizeof src, "%s", (const char *)sqlite3_column_text(st, 0));
		first = sqlite3_column_int64(st, 1);
		last = sqlite3_column_int64(st, 2);
		linked = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		alert_missing(r, rc);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (sqlite3_prepare_v2(r->db, pass == 0 ? "SELECT count(*) FROM (" LINKED_FLOWS ")"
				       : "SELECT * FROM (" LINKED_FLOWS ") ORDER BY start_us DESC, id DESC"
					 " LIMIT ?5 OFFSET ?6", -1, &st, NULL) != SQLITE_OK) {
			web_db_error(r);
			return;
		}
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_text(st, 2, src, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, first - WEB_DAY_US);
		sqlite3_bind_int64(st, 4, last);
		if (pass == 0) {
			if (sqlite3_step(st) != SQLITE_ROW) {
				sqlite3_finalize(st);
				web_db_error(r);
				return;
			}
			stored = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
	}
	sqlite3_bind_int64(st, 5, limit);
	sqlite3_bind_int64(st, 6, offset);
	web_ok_begin(r, 200);
	json_key(&r->out, "total");
	json_i64(&r->out, stored);
	json_key(&r->out, "linked");
	json_i64(&r->out, linked);
	json_key(&r->out, "per_decision_max");
	json_i64(&r->out, ALERT_MAX_FLOWS);
	json_key(&r->out, "flows");
	json_arr_begin(&r->out);
	rc = web_emit_rows(&r->out, st, FLOW_NCOLS);
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	if (rc != 0)
		web_db_error(r);
}

/* ---- POST /api/alerts/{id}/status, notes, ack ----------------------------------------------------- */

void alerts_h_status(struct web_req *r)
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
		web_db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, r->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		alert_missing(r, rc);
		return;
	}
	if (sqlite3_prepare_v2(r->db, "UPDATE alerts SET status = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		web_db_error(r);
		return;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	snprintf(target, sizeof target, "%lld", (long long)r->id);
	snprintf(detail, sizeof detail, "%s -> %s", old, status);
	if (rc != SQLITE_DONE || web_audit(r->db, r->sess.user, "status", target, detail) != 0 ||
	    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		web_db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	if (emit_alert_by_id(r, r->id, 0) != 1) {
		web_db_error(r);
		return;
	}
	json_obj_end(&r->out);
}

void alerts_h_notes(struct web_req *r)
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
		web_db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_us());
	sqlite3_bind_text(st, 2, r->sess.user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		web_db_error(r);
		return;
	}
	if (sqlite3_changes(r->db) == 0) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		web_error(r, 404, "no alert %lld", (long long)r->id);
		return;
	}
	snprintf(target, sizeof target, "%lld", (long long)r->id);
	if (web_audit(r->db, r->sess.user, "note", target, text) != 0 ||
	    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		web_db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	if (emit_notes(r, r->id) != 0) {
		web_db_error(r);
		return;
	}
	json_obj_end(&r->out);
}

void alerts_h_ack(struct web_req *r)
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
		web_db_error(r);
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
			if (web_audit(r->db, r->sess.user, "ack", target, detail) != 0) {
				rc = SQLITE_ERROR;
				break;
			}
		}
	}
	sqlite3_finalize(old);
	sqlite3_finalize(up);
	if (rc != SQLITE_DONE || sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		web_db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	json_key(&r->out, "updated");
	json_i64(&r->out, updated);
	json_obj_end(&r->out);
}

/* In the note of an entry suppressed from an alert, between the alert's
 * signature and the reason given. */
#define NOTE_WHY "; why: "

/* ---- POST /api/alerts/{id}/suppress ----------------------------------------------------------------- */

/* The managed suppress.conf (<state_dir>/rules, detect/suppress.h) gets
 * comment and line; one writer at a time. 1 added, 0 already there, -1 with err. */
static int append_suppress(struct web_req *r, const char *comment, const char *line,
			   char *path, size_t pathlen, char *err, size_t errlen)
{
	char dir[1100];
	int rc = -1;

	snprintf(dir, sizeof dir, "%s/rules", r->env->cfg.state_dir);
	pthread_mutex_lock(&r->env->suppress_lock);
	if (mkdir(r->env->cfg.state_dir, 0750) != 0 && errno != EEXIST)
		snprintf(err, errlen, "create %s: %s", r->env->cfg.state_dir, strerror(errno));
	else
		rc = suppress_append(dir, comment, line, path, pathlen, err, errlen);
	pthread_mutex_unlock(&r->env->suppress_lock);
	return rc;
}

/* reason and expires of a body (POST /api/alerts/{id}/suppress, POST
 * /api/suppressions) into the note's reason (one line) and the line's
 * trailing expiry (appended to line); 0, or -1 answered. */
static int suppress_reason_expiry(struct web_req *r, int need_reason, char *reason,
				  size_t reasonlen, char *line, size_t linelen)
{
	char expires[32] = "", ex[64];
	int64_t exp_s;
	int rc;

	if ((rc = web_body_str(r, "reason", reason, reasonlen, 200, need_reason)) < 0 ||
	    web_body_str(r, "expires", expires, sizeof expires, 20, 0) < 0)
		return -1;
	if (need_reason && (rc != 1 || !reason[strspn(reason, " \t")])) {
		web_error(r, 400, "reason: say why these alerts are silenced (1 to 200 characters)");
		return -1;
	}
	if (expires[0]) {
		if (suppress_parse_time(expires, &exp_s) != 0) {
			web_error(r, 400, "expires: expected YYYY-MM-DDTHH:MM:SSZ (UTC)");
			return -1;
		}
		if (exp_s <= (int64_t)(wall_us() / 1000000)) {
			web_error(r, 400, "expires: %s has passed", expires);
			return -1;
		}
		suppress_format_expiry(ex, sizeof ex, exp_s);
		snprintf(line + strlen(line), linelen - strlen(line), "%s", ex);
	}
	for (char *p = reason; *p; p++)   /* one comment line, whatever the text */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return 0;
}

/* The reload after a change of the managed file, audited; msg gets what
 * to tell. 1 reloaded. */
static int suppress_reload(struct web_req *r, char *msg, size_t msglen);
static void suppression_count_reset(struct web_req *r, const char *line);

/* POST /api/alerts/{id}/suppress {track, reason, expires} (admin): the
 * alert's rule silenced for its source, its destination or every host,
 * with why (required) and until when (optional) in the entry's note. */
void alerts_h_suppress(struct web_req *r)
{
	static const char *const keys[] = { "track", "reason", "expires", NULL };
	char track[16], src[64] = "", dest[64] = "", sig[200] = "", line[300], comment[600];
	char reason[201] = "", path[1200], err[1400], msg[300] = "", target[24], ts[JSON_TS_LEN];
	sqlite3_stmt *st = NULL;
	int64_t gid = 0, sid = 0;
	int rc, by, reloaded;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "track", track, sizeof track, 10, 1) != 1)
		return;
	if (strcmp(track, "by_src") != 0 && strcmp(track, "by_dst") != 0 && strcmp(track, "all") != 0) {
		web_error(r, 400, "track: expected by_src, by_dst or all");
		return;
	}
	if (!(st = alert_step(r, "SELECT gid, sid, src_ip, dest_ip, signature FROM alerts"
			      " WHERE id = ?", &rc)))
		return;
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
		alert_missing(r, rc);
		return;
	}
	by = strcmp(track, "by_src") == 0 ? SUPPRESS_BY_SRC :
	     strcmp(track, "by_dst") == 0 ? SUPPRESS_BY_DST : SUPPRESS_ALL;
	if (suppress_format(line, sizeof line, (uint32_t)gid, (uint32_t)sid, by,
			    by == SUPPRESS_BY_SRC ? src : dest) != 0) {
		web_error(r, 400, "track %s: the alert has no %s address", track,
			  by == SUPPRESS_BY_SRC ? "source" : "destination");
		return;
	}
	if (suppress_reason_expiry(r, 1, reason, sizeof reason, line, sizeof line) != 0)
		return;
	for (char *p = sig; *p; p++)      /* one comment line, whatever the text */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	json_format_ts(ts, wall_us());
	snprintf(comment, sizeof comment, "# alert %lld, by %s, %s: %s" NOTE_WHY "%s", (long long)r->id,
		 r->sess.user, ts, sig, reason);
	rc = append_suppress(r, comment, line, path, sizeof path, err, sizeof err);
	if (rc < 0) {
		log_warn("web: suppress: %s", err);
		web_error(r, 500, "%s", err);
		return;
	}
	snprintf(target, sizeof target, "%lld", (long long)r->id);
	if (rc == 1) {
		char detail[600];
		snprintf(detail, sizeof detail, "%s (%s)", line, reason);
		web_audit(r->db, r->sess.user, "suppress", target, detail);
		suppression_count_reset(r, line);
	}
	reloaded = suppress_reload(r, msg, sizeof msg);
	web_ok_begin(r, 200);
	json_kstr(&r->out, "line", line);
	json_kstr(&r->out, "file", path);
	json_kbool(&r->out, "added", rc == 1);
	json_kbool(&r->out, "reloaded", reloaded);
	json_key(&r->out, "message");
	json_str(&r->out, msg);
	json_obj_end(&r->out);
}

/* ---- GET /api/suppressions, POST /api/suppressions/remove ------------------------------------------ */

/* The note the page writes above its line, "alert ID, by USER, TS:
 * SIGNATURE" (from an alert) or "by USER, TS: REASON" (the Suppressions
 * page), into its parts (*alert 0 for the second); 0 when the note is not
 * one (a line written by hand: only its text is known). */
static int note_parts(const char *note, long long *alert, char *user, size_t userlen, char *ts,
		      size_t tslen, const char **sig)
{
	const char *by, *tsp, *end;
	char *numend;

	*alert = 0;
	if (strncmp(note, "by ", 3) == 0) {
		by = note + 3;
	} else {
		if (strncmp(note, "alert ", 6) != 0)
			return 0;
		*alert = strtoll(note + 6, &numend, 10);
		if (numend == note + 6 || strncmp(numend, ", by ", 5) != 0)
			return 0;
		by = numend + 5;
	}
	if (!(tsp = strstr(by, ", ")) || !(end = strstr(tsp + 2, ": ")))
		return 0;
	snprintf(user, userlen, "%.*s", (int)(tsp - by), by);
	snprintf(ts, tslen, "%.*s", (int)(end - (tsp + 2)), tsp + 2);
	*sig = end + 2;
	return 1;
}

/* GET /api/suppressions: the request, and the statement that reads an
 * entry's count (NULL: a database without suppress_counts, before
 * schema 7; no counts then). */
struct suppression_list {
	struct web_req *r;
	sqlite3_stmt *count;
};

static void suppression_json(void *ctx, const struct suppress_item *it)
{
	const char *why;
	static const char *const tracks[] = { "all", "by_src", "by_dst", "by_either" };
	struct suppression_list *sl = ctx;
	struct web_req *r = sl->r;
	char user[128], ts[64];
	const char *sig = "";
	long long alert = 0;
	int known = note_parts(it->note, &alert, user, sizeof user, ts, sizeof ts, &sig);

	json_obj_begin(&r->out);
	json_key(&r->out, "line");
	json_i64(&r->out, it->line);
	json_kstr(&r->out, "text", it->text);
	json_kbool(&r->out, "valid", it->valid);
	if (it->valid) {
		json_ku64(&r->out, "gen_id", it->e.gid);
		json_ku64(&r->out, "sig_id", it->e.sid);
		json_kstr(&r->out, "track", tracks[it->e.track & 3]);
		json_kstr(&r->out, "ip", it->ip);
	}
	json_kstr(&r->out, "note", it->note);
	json_key(&r->out, "alert_id");
	if (known && alert) json_i64(&r->out, alert); else json_null(&r->out);
	json_key(&r->out, "user");
	if (known) json_str(&r->out, user); else json_null(&r->out);
	json_key(&r->out, "added");
	if (known) json_str(&r->out, ts); else json_null(&r->out);
	/* from an alert: "SIGNATURE; why: REASON" (before issue 14's reason:
	 * the signature alone) */
	why = known && alert ? strstr(sig, NOTE_WHY) : NULL;
	if (known && alert) {
		json_key(&r->out, "signature");
		if (why) json_strn(&r->out, sig, (size_t)(why - sig)); else json_str(&r->out, sig);
	}
	json_key(&r->out, "reason");
	if (why) json_str(&r->out, why + strlen(NOTE_WHY));
	else if (known && !alert) json_str(&r->out, sig);
	else json_null(&r->out);
	json_key(&r->out, "expires");
	if (it->valid && it->e.expires) {
		char ex[64];
		suppress_format_expiry(ex, sizeof ex, it->e.expires);
		json_str(&r->out, ex + strlen(" # expires "));
	} else {
		json_null(&r->out);
	}
	json_kbool(&r->out, "expired", it->valid && it->e.expires && (int64_t)(wall_us() / 1000000) >= it->e.expires);
	/* the alerts it silenced since it was added (counted by the sensor,
	 * written about once a second) and the newest one's time */
	json_key(&r->out, "silenced");
	if (it->valid && sl->count) {
		int64_t n = 0, last = 0;
		sqlite3_bind_int64(sl->count, 1, (sqlite3_int64)it->e.key);
		if (sqlite3_step(sl->count) == SQLITE_ROW) {
			n = sqlite3_column_int64(sl->count, 0);
			last = sqlite3_column_int64(sl->count, 1);
		}
		sqlite3_reset(sl->count);
		json_i64(&r->out, n);
		json_key(&r->out, "last_silenced_us");
		if (n) json_i64(&r->out, last); else json_null(&r->out);
	} else {
		json_null(&r->out);
		json_key(&r->out, "last_silenced_us");
		json_null(&r->out);
	}
	json_obj_end(&r->out);
}

/* Forget the count of the entry line (text of suppress.conf) when it is
 * added or removed: a count is of the alerts silenced since it was added. */
static void suppression_count_reset(struct web_req *r, const char *line)
{
	sqlite3_stmt *st = NULL;
	uint64_t key;

	if (suppress_line_key(line, &key) != 0 ||
	    sqlite3_prepare_v2(r->db, "DELETE FROM suppress_counts WHERE key = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return;       /* before schema 7: nothing counted */
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)key);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("web: suppression count reset: %s", sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
}

void alerts_h_suppressions(struct web_req *r)
{
	static const char *const none[] = { NULL };
	struct suppression_list sl = { .r = r };
	char path[1200];
	int n;

	if (web_params_check(r, none) != 0)
		return;
	if (sqlite3_prepare_v2(r->db, "SELECT silenced, last_us FROM suppress_counts WHERE key = ?",
			       -1, &sl.count, NULL) != SQLITE_OK) {
		sqlite3_finalize(sl.count);
		sl.count = NULL;
	}
	snprintf(path, sizeof path, "%s/rules/suppress.conf", r->env->cfg.state_dir);
	web_ok_begin(r, 200);
	json_kstr(&r->out, "file", path);
	json_key(&r->out, "entries");
	json_arr_begin(&r->out);
	pthread_mutex_lock(&r->env->suppress_lock);
	n = suppress_each(path, suppression_json, &sl);
	pthread_mutex_unlock(&r->env->suppress_lock);
	sqlite3_finalize(sl.count);
	json_arr_end(&r->out);
	json_kbool(&r->out, "readable", n >= 0);
	json_obj_end(&r->out);
}

/* Reload the rules after a change of the managed file, audited; msg gets
 * what to tell. 1 reloaded. */
static int suppress_reload(struct web_req *r, char *msg, size_t msglen)
{
	int reloaded = 0;

	if (r->env->reload) {
		reloaded = r->env->reload(r->env->ctx, msg, msglen) == 0;
		if (reloaded && !msg[0])
			snprintf(msg, msglen, "rules reloaded");
		web_audit(r->db, r->sess.user, "reload", "rules", reloaded ? "ok" : msg);
	} else {
		snprintf(msg, msglen, "no capture is running here; the change applies when vigil"
			 " run loads %s/rules", r->env->cfg.state_dir);
	}
	return reloaded;
}

/* POST /api/suppressions {gen_id, sig_id, track, ip, reason, expires}: an
 * entry written by hand on the page, with who, when and why in its note
 * and an optional expiry (a future UTC time). */
void alerts_h_suppression_add(struct web_req *r)
{
	static const char *const keys[] = { "gen_id", "sig_id", "track", "ip", "reason", "expires",
					    NULL };
	char track[16], ip[64] = "", reason[201] = "", line[300];
	char comment[512], ts[JSON_TS_LEN], path[1200], err[1400], msg[300] = "";
	int64_t gid, sid;
	int by, rc, reloaded;

	if (web_body_object(r, keys) != 0 ||
	    web_body_i64(r, "gen_id", 1, 0xFFFFFFFFLL, &gid, 1) != 1 ||
	    web_body_i64(r, "sig_id", 1, 0xFFFFFFFFLL, &sid, 1) != 1 ||
	    web_body_str(r, "track", track, sizeof track, 10, 1) != 1 ||
	    web_body_str(r, "ip", ip, sizeof ip, 45, 0) < 0)
		return;
	by = strcmp(track, "by_src") == 0 ? SUPPRESS_BY_SRC : strcmp(track, "by_dst") == 0 ?
	     SUPPRESS_BY_DST : strcmp(track, "by_either") == 0 ? SUPPRESS_BY_EITHER :
	     strcmp(track, "all") == 0 ? SUPPRESS_ALL : -1;
	if (by < 0) {
		web_error(r, 400, "track: expected by_src, by_dst, by_either or all");
		return;
	}
	if (by == SUPPRESS_ALL && ip[0]) {
		web_error(r, 400, "ip: not with track all");
		return;
	}
	if (suppress_format(line, sizeof line, (uint32_t)gid, (uint32_t)sid, by, ip) != 0) {
		web_error(r, 400, "ip: expected an IPv4 or IPv6 address");
		return;
	}
	if (suppress_reason_expiry(r, 0, reason, sizeof reason, line, sizeof line) != 0)
		return;
	json_format_ts(ts, wall_us());
	snprintf(comment, sizeof comment, "# by %s, %s: %s", r->sess.user, ts,
		 reason[0] ? reason : "(no reason given)");
	rc = append_suppress(r, comment, line, path, sizeof path, err, sizeof err);
	if (rc < 0) {
		log_warn("web: suppress: %s", err);
		web_error(r, 500, "%s", err);
		return;
	}
	if (rc == 1) {
		web_audit(r->db, r->sess.user, "suppress", "page", line);
		suppression_count_reset(r, line);
	}
	reloaded = suppress_reload(r, msg, sizeof msg);
	web_ok_begin(r, rc == 1 ? 201 : 200);
	json_kstr(&r->out, "line", line);
	json_kstr(&r->out, "file", path);
	json_kbool(&r->out, "added", rc == 1);
	json_kbool(&r->out, "reloaded", reloaded);
	json_kstr(&r->out, "message", msg);
	json_obj_end(&r->out);
}

void alerts_h_suppression_remove(struct web_req *r)
{
	static const char *const keys[] = { "line", "text", NULL };
	char text[CONF_LINE_INI + 1], dir[1100], err[1400], msg[300] = "", target[24];
	int64_t line;
	int rc, reloaded = 0;

	if (web_body_object(r, keys) != 0 ||
	    web_body_i64(r, "line", 1, 1000000, &line, 1) != 1 ||
	    web_body_str(r, "text", text, sizeof text, CONF_LINE_INI, 1) != 1)
		return;
	snprintf(dir, sizeof dir, "%s/rules", r->env->cfg.state_dir);
	pthread_mutex_lock(&r->env->suppress_lock);
	rc = suppress_remove(dir, (int)line, text, err, sizeof err);
	pthread_mutex_unlock(&r->env->suppress_lock);
	if (rc < 0) {
		log_warn("web: suppression remove: %s", err);
		web_error(r, 500, "%s", err);
		return;
	}
	if (rc == 0) {
		web_error(r, 409, "%s", err);
		return;
	}
	snprintf(target, sizeof target, "line %lld", (long long)line);
	web_audit(r->db, r->sess.user, "unsuppress", target, text);
	suppression_count_reset(r, text);
	reloaded = suppress_reload(r, msg, sizeof msg);
	web_ok_begin(r, 200);
	json_kstr(&r->out, "removed", text);
	json_kbool(&r->out, "reloaded", reloaded);
	json_kstr(&r->out, "message", msg);
	json_obj_end(&r->out);
}
