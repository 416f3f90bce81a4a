/*
 * web_flows.c - the flow routes of the web API (see web_flows.h): the
 * list and its filters, and the top talkers.
 */
#include "web_flows.h"
#include "core/clock.h"

#include "web_sql.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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
	if (has_from)
		qb_and_int(q, " AND start_us >= ?", from);
	if (has_to)
		qb_and_int(q, " AND start_us <= ?", to);
}

void flows_h_list(struct web_req *r)
{
	static const char *const params[] = { "host", "app", "from", "to", "limit", "offset", NULL };
	char host[64] = "", app[72] = "", app_top[72];
	int64_t from = 0, to = 0, limit = WEB_LIST_DEFAULT, offset = 0, total = 0;
	int has_from, has_to;
	struct qb q;

	if (web_params_check(r, params) != 0 || web_param_host(r, "host", host, sizeof host) < 0 ||
	    web_param_range(r, &from, &to, &has_from, &has_to) != 0 ||
	    web_param_i64(r, "limit", 1, WEB_LIST_MAX, &limit) < 0 ||
	    web_param_i64(r, "offset", 0, WEB_OFFSET_MAX, &offset) < 0)
		return;
	const char *a = web_param(r, "app");
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
	if (web_count_query(r, &q, &total) != 0) {
		web_db_error(r);
		return;
	}
	qb_init(&q);
	qb_sql(&q, "SELECT " FLOW_COLS " FROM flows");
	flow_where(&q, host, app, app_top, has_from, from, has_to, to);
	qb_sql(&q, " ORDER BY start_us DESC, id DESC LIMIT ? OFFSET ?");
	qb_int(&q, limit);
	qb_int(&q, offset);
	web_answer_page(r, &q, total, "flows", FLOW_NCOLS);
}

/* from/to of the dashboard and top talkers: as given; a missing "to" is
 * now (or, when "from" is missing too, the newest flow), a missing "from"
 * the oldest flow: no range at all covers the whole database. */
int flows_default_range(struct web_req *r, int64_t *from, int64_t *to)
{
	int has_from, has_to;
	sqlite3_stmt *st = NULL;
	int64_t now = (int64_t)wall_us(), lo = now - WEB_DAY_US, hi = now;

	if (web_param_range(r, from, to, &has_from, &has_to) != 0)
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
void flows_home_nets(struct web_req *r, struct homenet *hn)
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

void flows_h_top_talkers(struct web_req *r)
{
	static const char *const params[] = { "from", "to", "limit", NULL };
	int64_t from, to, limit = 10;
	sqlite3_stmt *st = NULL;
	struct homenet hn;
	int rc;

	if (web_params_check(r, params) != 0 || web_param_i64(r, "limit", 1, 100, &limit) < 0 ||
	    flows_default_range(r, &from, &to) != 0)
		return;
	flows_home_nets(r, &hn);
	if (sqlite3_prepare_v2(r->db,
		"SELECT host, sum(n), sum(sent), sum(recv) FROM ("
		" SELECT src_ip AS host, count(*) AS n, sum(bytes_toserver) AS sent,"
		"  sum(bytes_toclient) AS recv FROM flows WHERE start_us BETWEEN ?1 AND ?2 GROUP BY src_ip"
		" UNION ALL"
		" SELECT dest_ip, count(*), sum(bytes_toclient), sum(bytes_toserver)"
		"  FROM flows WHERE start_us BETWEEN ?1 AND ?2 GROUP BY dest_ip)"
		" WHERE host IS NOT NULL GROUP BY host ORDER BY sum(sent) + sum(recv) DESC, host"
		" LIMIT ?3", -1, &st, NULL) != SQLITE_OK) {
		web_db_error(r);
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
		web_db_error(r);
}
