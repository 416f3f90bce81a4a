/*
 * web_export.h - GET /api/alerts/export.csv and export.eve: the alerts a
 * filter selects (web_alerts.h), streamed as CSV (RFC 4180, formulas
 * defused) or as EVE JSON lines.
 */
#ifndef VIGIL_WEB_EXPORT_H
#define VIGIL_WEB_EXPORT_H

#include "web_req.h"

/* Route handlers (web_routes.c's table). */
void export_h_csv(struct web_req *r);
void export_h_eve(struct web_req *r);

#endif
