/*
 * web_system.h - GET /api/system (what runs: the daemon's status, or a
 * stand-in under vigil serve; the database and its limits) and GET
 * /api/audit (the audit log, newest first) and GET /api/clock (the wall
 * clock, the newest data, live or replayed: what time presets count from).
 */
#ifndef VIGIL_WEB_SYSTEM_H
#define VIGIL_WEB_SYSTEM_H

#include "web_req.h"

/* Route handlers (web_routes.c's table). */
void system_h_get(struct web_req *r);
void system_h_audit(struct web_req *r);
void system_h_clock(struct web_req *r);

#endif
