/*
 * web_alerts.h - the alert routes of the web API (docs/api.md, "Alerts"):
 * the list (sorted, or grouped by signature), one alert, its status and notes, acknowledging many at once,
 * suppressing one (a line in the managed suppress.conf, then a reload).
 *
 * Owns: the alert filters (shared with the exports, web_export.h) and the
 * alert columns the API shows.
 */
#ifndef VIGIL_WEB_ALERTS_H
#define VIGIL_WEB_ALERTS_H

#include "web_req.h"
#include "web_sql.h"

#define ALERT_COLS "id, engine, gid, sid, rev, signature, category, classtype, severity," \
	" detector, ioc_kind, ioc_indicator, ioc_list, src_ip, dest_ip, proto, src_port," \
	" dest_port, app_proto, count, first_seen_us, last_seen_us, status, ndpi_app_proto," \
	" community_id"
#define ALERT_NCOLS 25

#define Q_MAX_CHARS 200

/* The filters of GET /api/alerts and of the exports; sort and order
 * (the lists only) pick one of the fixed orders of web_alerts.c. */
struct alert_filter {
	int has_from, has_to, has_sev, has_sid, has_since, has_gid;
	int64_t from, to, severity, sid, since_id, limit, offset, gid;
	char engine[16], status[24], host[64], sort[16], order[8];
	char q[Q_MAX_CHARS * 2 + 8];   /* LIKE pattern */
};

/* The filters from the query parameters; list: limit and offset are
 * allowed too. 0, or -1 answered. */
int alerts_filter_parse(struct web_req *r, struct alert_filter *f, int list);
/* " WHERE ..." of the filters, values bound. */
void alerts_where(struct qb *q, const struct alert_filter *f);

/* Route handlers (web_routes.c's table). */
void alerts_h_list(struct web_req *r);
void alerts_h_groups(struct web_req *r);
void alerts_h_get(struct web_req *r);
void alerts_h_flows(struct web_req *r);
void alerts_h_status(struct web_req *r);
void alerts_h_notes(struct web_req *r);
void alerts_h_ack(struct web_req *r);
void alerts_h_suppress(struct web_req *r);
void alerts_h_suppressions(struct web_req *r);
void alerts_h_suppression_add(struct web_req *r);
void alerts_h_suppression_remove(struct web_req *r);

#endif
