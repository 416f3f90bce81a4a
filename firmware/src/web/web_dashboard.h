/*
 * web_dashboard.h - GET /api/dashboard (docs/api.md): a time range in
 * buckets (flows, bytes, alerts), alerts by severity, the top
 * applications and alerting hosts.
 */
#ifndef VIGIL_WEB_DASHBOARD_H
#define VIGIL_WEB_DASHBOARD_H

#include "web_req.h"

/* Route handler (web_routes.c's table). */
void dashboard_h_get(struct web_req *r);

#endif
