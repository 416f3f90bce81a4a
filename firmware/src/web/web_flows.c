/*
 * web_flows.c - the flow routes of the web API (see web_flows.h): the
 * list and its filters, and the top talkers.
 */
#include "web_flows.h"
#include "core/clock.h"

#include "output/eve_app.h"
#include "web_sql.h"

#include <ctype.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

/* ---- GET /api/flows ---------------------------------------------------------------------------------- */

/* The filters of GET /api/flows. */
struct flow_filter {
	char host[64], app[72], app_lower[72], app_top[72];
	char domain[2 * 253 + 8];       /* LIKE pattern: %text% */
	char ja3[33];
	int has_from, has_to, has_port, has_proto, has_min_bytes;
	int64_t from, to, port, proto, min_bytes;
	char sort[12], order[8];
};

static void flow_where(struct qb *q, const struct flow_filter *f)
{
	qb_sql(q, " WHERE 1");
	if (f->host[0]) {
		qb_sql(q, " AND (src_ip = ? OR dest_ip = ?)");
		qb_text(q, f->host);
		qb_text(q, f->host);
	}
	if (f->app[0]) {
		/* EVE's app_proto ("krb5"), nDPI's lowercase name ("kerberos":
		 * the flows of that name among those EVE calls krb5), or exactly
		 * nDPI's full name ("TLS.YouTube"); each through the app_proto
		 * index. "unknown": the flows without app_proto. */
		const char *mapped = eve_app_proto(f->app_lower), *top = eve_app_proto(f->app_top);

		if (!mapped)
			qb_sql(q, " AND ((app_proto IS NULL AND coalesce(ndpi_app_proto, 'unknown')"
			       " = 'unknown')");
		else if (strcmp(mapped, f->app_lower) == 0)
			qb_and_text(q, " AND (app_proto = ?", mapped);
		else {
			qb_and_text(q, " AND ((app_proto = ?", mapped);
			qb_and_text(q, " AND ndpi_app_proto = ?)", f->app_lower);
		}
		if (top) {
			qb_and_text(q, " OR (app_proto = ?", top);
			qb_and_text(q, " AND ndpi_protocol = ?)", f->app);
		} else {
			qb_and_text(q, " OR (app_proto IS NULL AND ndpi_protocol = ?)", f->app);
		}
		qb_sql(q, ")");
	}
	if (f->has_from)
		qb_and_int(q, " AND start_us >= ?", f->from);
	if (f->has_to)
		qb_and_int(q, " AND start_us <= ?", f->to);
	/* the rest has no index: they narrow what the indexes above (or the
	 * start time order) deliver */
	if (f->has_port) {
		qb_sql(q, " AND (src_port = ? OR dest_port = ?)");
		qb_int(q, f->port);
		qb_int(q, f->port);
	}
	if (f->has_proto)
		qb_and_int(q, " AND proto = ?", f->proto);
	if (f->domain[0]) {
		qb_sql(q, " AND (tls_sni LIKE ? ESCAPE '\\' OR dns_rrname LIKE ? ESCAPE '\\'"
		       " OR http_host LIKE ? ESCAPE '\\')");
		for (int i = 0; i < 3; i++)
			qb_text(q, f->domain);
	}
	if (f->ja3[0]) {
		qb_sql(q, " AND (ja3 = ? OR ja3s = ?)");
		qb_text(q, f->ja3);
		qb_text(q, f->ja3);
	}
	if (f->has_min_bytes)
		qb_and_int(q, " AND bytes_toserver + bytes_toclient >= ?", f->min_bytes);
}

/* The orders of the list ("desc": the biggest, longest or newest first). */
static const char *flow_order_sql(const struct flow_filter *f)
{
	static const struct { const char *sort, *desc, *asc; } o[] = {
		{ "start", " ORDER BY start_us DESC, id DESC", " ORDER BY start_us, id" },
		{ "bytes", " ORDER BY bytes_toserver + bytes_toclient DESC, start_us DESC, id DESC",
		  " ORDER BY bytes_toserver + bytes_toclient, start_us DESC, id DESC" },
		{ "packets", " ORDER BY pkts_toserver + pkts_toclient DESC, start_us DESC, id DESC",
		  " ORDER BY pkts_toserver + pkts_toclient, start_us DESC, id DESC" },
		{ "duration", " ORDER BY end_us - start_us DESC, start_us DESC, id DESC",
		  " ORDER BY end_us - start_us, start_us DESC, id DESC" },
	};
	int asc = strcmp(f->order, "asc") == 0;

	for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
		if (strcmp(f->sort, o[i].sort) == 0)
			return asc ? o[i].asc : o[i].desc;
	return o[0].desc;
}

/* A protocol by Suricata's name (any case) or number. 0, or -1 answered. */
static int param_proto(struct web_req *r, struct flow_filter *f)
{
	static const struct { const char *name; int n; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "ipv6-icmp", 58 }, { "icmpv6", 58 },
		{ "sctp", 132 }, { "gre", 47 }, { "esp", 50 },
	};
	const char *v = web_param(r, "proto");

	if (!v)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(v, names[i].name) == 0) {
			f->has_proto = 1;
			f->proto = names[i].n;
			return 0;
		}
	}
	if ((f->has_proto = web_param_i64(r, "proto", 0, 255, &f->proto)) < 0)
		return -1;
	return 0;
}

static int flow_filter_parse(struct web_req *r, struct flow_filter *f, int64_t *limit,
			     int64_t *offset)
{
	static const char *const params[] = { "host", "app", "from", "to", "port", "proto",
		"domain", "ja3", "min_bytes", "sort", "order", "limit", "offset", NULL };
	static const char *const sorts[] = { "start", "bytes", "packets", "duration", NULL };
	static const char *const orders[] = { "desc", "asc", NULL };

	memset(f, 0, sizeof *f);
	snprintf(f->sort, sizeof f->sort, "start");
	snprintf(f->order, sizeof f->order, "desc");
	if (web_params_check(r, params) != 0 || web_param_host(r, "host", f->host, sizeof f->host) < 0 ||
	    web_param_range(r, &f->from, &f->to, &f->has_from, &f->has_to) != 0 ||
	    web_param_i64(r, "limit", 1, WEB_LIST_MAX, limit) < 0 ||
	    web_param_i64(r, "offset", 0, WEB_OFFSET_MAX, offset) < 0 ||
	    (f->has_port = web_param_i64(r, "port", 0, 65535, &f->port)) < 0 ||
	    (f->has_min_bytes = web_param_i64(r, "min_bytes", 0, INT64_MAX, &f->min_bytes)) < 0 ||
	    param_proto(r, f) != 0 ||
	    web_param_choice(r, "sort", sorts, f->sort, sizeof f->sort) < 0 ||
	    web_param_choice(r, "order", orders, f->order, sizeof f->order) < 0)
		return -1;
	const char *a = web_param(r, "app");
	if (a) {
		size_t n = strlen(a);
		int ok = n >= 1 && n <= 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = isalnum((unsigned char)a[i]) || strchr("._-", a[i]);
		if (!ok) {
			web_error(r, 400, "parameter 'app': 1 to 64 letters, digits or ._-");
			return -1;
		}
		snprintf(f->app, sizeof f->app, "%s", a);
	}
	snprintf(f->app_lower, sizeof f->app_lower, "%s", f->app);
	for (char *p = f->app_lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(f->app_top, sizeof f->app_top, "%s", f->app_lower);
	f->app_top[strcspn(f->app_top, ".")] = '\0';
	const char *d = web_param(r, "domain");
	if (d) {
		/* a name or part of one: letters, digits, "-", "_", "." (a substring
		 * of the SNI, DNS query or HTTP host, any case) */
		size_t n = strlen(d), k = 0;
		int ok = n >= 1 && n <= 253;
		for (size_t i = 0; ok && i < n; i++)
			ok = isalnum((unsigned char)d[i]) || strchr(".-_", d[i]);
		if (!ok) {
			web_error(r, 400, "parameter 'domain': 1 to 253 letters, digits or .-_");
			return -1;
		}
		f->domain[k++] = '%';
		for (size_t i = 0; i < n; i++) {
			if (d[i] == '_')
				f->domain[k++] = '\\';
			f->domain[k++] = d[i];
		}
		f->domain[k++] = '%';
		f->domain[k] = '\0';
	}
	const char *j = web_param(r, "ja3");
	if (j) {
		size_t n = strlen(j);
		int ok = n == 32;
		for (size_t i = 0; ok && i < n; i++)
			ok = isxdigit((unsigned char)j[i]);
		if (!ok) {
			web_error(r, 400, "parameter 'ja3': an MD5 of 32 hex digits (JA3 or JA3S)");
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			f->ja3[i] = (char)tolower((unsigned char)j[i]);
		f->ja3[n] = '\0';
	}
	return 0;
}

/* total counts at most this many matches (a search on columns without an
 * index reads until then); "total_exact" says whether it stopped there */
#define FLOW_COUNT_CAP 100000

void flows_h_list(struct web_req *r)
{
	struct flow_filter f;
	int64_t limit = WEB_LIST_DEFAULT, offset = 0, total = 0;
	struct qb q;
	sqlite3_stmt *st;
	int rc;

	if (flow_filter_parse(r, &f, &limit, &offset) != 0)
		return;
	qb_init(&q);
	qb_sql(&q, "SELECT count(*) FROM (SELECT 1 FROM flows");
	flow_where(&q, &f);
	qb_sql(&q, " LIMIT ?)");
	qb_int(&q, FLOW_COUNT_CAP + 1);
	if (web_count_query(r, &q, &total) != 0) {
		web_db_error(r);
		return;
	}
	qb_init(&q);
	qb_sql(&q, "SELECT " FLOW_COLS " FROM flows");
	flow_where(&q, &f);
	qb_sql(&q, flow_order_sql(&f));
	qb_sql(&q, " LIMIT ? OFFSET ?");
	qb_int(&q, limit);
	qb_int(&q, offset);
	if (qb_prepare(&q, r->db, &st) != 0) {
		web_db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	json_key(&r->out, "total");
	json_i64(&r->out, total > FLOW_COUNT_CAP ? FLOW_COUNT_CAP : total);
	json_kbool(&r->out, "total_exact", total <= FLOW_COUNT_CAP);
	json_key(&r->out, "flows");
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		web_emit_row(&r->out, st, 0, FLOW_NCOLS);
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	if (rc != SQLITE_DONE)
		web_db_error(r);
	sqlite3_finalize(st);
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
