/*
 * web_dashboard.c - GET /api/dashboard (see web_dashboard.h): the
 * overview of a time range in buckets, by severity, by application and by
 * host.
 */
#include "web_dashboard.h"

#include "web_flows.h"
#include "web_sql.h"

#include <stdio.h>
#include <string.h>

/* ---- GET /api/dashboard ---------------------------------------------------------------------------------- */

#define DASH_BUCKETS 96

/* The rows "bucket, a, b" of sql (?1 from, ?2 to, ?3 the bucket width)
 * into a[bucket] and b[bucket] (b may be NULL); buckets outside 0..nb-1
 * are left out. 0, or -1 on a database error. */
static int fill_buckets(sqlite3 *db, const char *sql, int64_t from, int64_t to, int64_t width,
			int64_t nb, int64_t *a, int64_t *b)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, width);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(st, 0);
		if (k >= 0 && k < nb) {
			a[k] = sqlite3_column_int64(st, 1);
			if (b)
				b[k] = sqlite3_column_int64(st, 2);
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void dashboard_h_get(struct web_req *r)
{
	static const char *const params[] = { "from", "to", NULL };
	int64_t from, to, width, nb;
	int64_t flows[DASH_BUCKETS], bytes[DASH_BUCKETS], alerts[DASH_BUCKETS], sev[5], sev_new[5];
	sqlite3_stmt *st = NULL;
	char key[12];
	int rc;

	if (web_params_check(r, params) != 0 || flows_default_range(r, &from, &to) != 0)
		return;
	/* whole seconds per bucket, so that the buckets read well */
	width = ((to - from) / DASH_BUCKETS + 1000000) / 1000000 * 1000000;
	nb = (to - from) / width + 1;
	memset(flows, 0, sizeof flows);
	memset(bytes, 0, sizeof bytes);
	memset(alerts, 0, sizeof alerts);
	memset(sev, 0, sizeof sev);
	memset(sev_new, 0, sizeof sev_new);

	if (fill_buckets(r->db, "SELECT (start_us - ?1) / ?3, count(*),"
			 " sum(bytes_toserver + bytes_toclient) FROM flows"
			 " WHERE start_us BETWEEN ?1 AND ?2 GROUP BY 1", from, to, width, nb,
			 flows, bytes) != 0 ||
	    fill_buckets(r->db, "SELECT (last_seen_us - ?1) / ?3, count(*), 0 FROM alerts"
			 " WHERE last_seen_us BETWEEN ?1 AND ?2 GROUP BY 1", from, to, width, nb,
			 alerts, NULL) != 0)
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

	/* EVE's app_proto; flows nothing recognised (NULL) as "unknown", which
	 * the flows' app filter takes */
	if (web_emit_range_rows(r, "apps", "SELECT coalesce(app_proto, 'unknown') AS app,"
				" count(*) AS flows, sum(bytes_toserver + bytes_toclient) AS bytes FROM flows"
				" WHERE start_us BETWEEN ?1 AND ?2 GROUP BY app_proto"
				" ORDER BY 2 DESC, 1 LIMIT 10", from, to, 3) != 0 ||
	    web_emit_range_rows(r, "top_alerting_hosts", "SELECT src_ip AS host, count(*) AS alerts"
				" FROM alerts WHERE last_seen_us BETWEEN ?1 AND ?2 GROUP BY src_ip"
				" ORDER BY 2 DESC, 1 LIMIT 10", from, to, 2) != 0)
		goto fail;

	if (sqlite3_prepare_v2(r->db, "SELECT severity, count(*), sum(status = 'new') FROM alerts"
			       " WHERE last_seen_us BETWEEN ?1 AND ?2 GROUP BY severity", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = sqlite3_column_int(st, 0);
		if (s >= 1 && s <= 4) {
			sev[s] = sqlite3_column_int64(st, 1);
			sev_new[s] = sqlite3_column_int64(st, 2);
		}
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
	/* of those, the new ones (nobody triaged them yet) */
	json_key(&r->out, "severity_new");
	json_obj_begin(&r->out);
	for (int s = 1; s <= 4; s++) {
		snprintf(key, sizeof key, "%d", s);
		json_key(&r->out, key);
		json_i64(&r->out, sev_new[s]);
	}
	json_obj_end(&r->out);
	json_obj_end(&r->out);
	return;
fail:
	web_db_error(r);
}
