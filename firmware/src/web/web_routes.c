/*
 * web_routes.c - the route table of the web API (see web_routes.h) and
 * GET /api/routes, which lists it.
 */
#include "web_routes.h"

#include "web_alerts.h"
#include "web_auth.h"
#include "web_dashboard.h"
#include "web_evidence.h"
#include "web_export.h"
#include "web_flows.h"
#include "web_system.h"
#include "web_users.h"

/* ---- GET /api/routes -------------------------------------------------------------------------- */

static void routes_h_list(struct web_req *r)
{
	static const char *const none[] = { NULL };

	if (web_params_check(r, none) != 0)
		return;
	web_ok_begin(r, 200);
	json_key(&r->out, "routes");
	json_arr_begin(&r->out);
	for (size_t i = 0; i < web_n_routes; i++) {
		json_obj_begin(&r->out);
		json_kstr(&r->out, "method", web_routes[i].method);
		json_kstr(&r->out, "path", web_routes[i].pattern);
		json_kbool(&r->out, "session", !(web_routes[i].flags & WEB_PUBLIC));
		json_kbool(&r->out, "admin", (web_routes[i].flags & WEB_ADMIN) != 0);
		json_kbool(&r->out, "password_change", (web_routes[i].flags & WEB_PWCHANGE) != 0);
		json_obj_end(&r->out);
	}
	json_arr_end(&r->out);
	json_obj_end(&r->out);
}

/* ---- the routes --------------------------------------------------------------------------------------------- */

/* Literal paths before {id} patterns of the same shape (the router takes
 * the first match). */
const struct web_route web_routes[] = {
	{ "GET",  "/api/setup",                 auth_h_setup_get,  WEB_PUBLIC },
	{ "POST", "/api/setup",                 auth_h_setup_post, WEB_PUBLIC },
	{ "POST", "/api/login",                 auth_h_login,      WEB_PUBLIC },
	{ "POST", "/api/logout",                auth_h_logout,     WEB_PWCHANGE },
	{ "GET",  "/api/me",                    auth_h_me,         WEB_PWCHANGE },
	{ "POST", "/api/me/password",           auth_h_me_password, WEB_PWCHANGE },
	{ "GET",  "/api/routes",                routes_h_list,     0 },
	{ "GET",  "/api/alerts",                alerts_h_list,     0 },
	{ "GET",  "/api/alerts/groups",         alerts_h_groups,   0 },
	{ "GET",  "/api/alerts/export.csv",     export_h_csv,      0 },
	{ "GET",  "/api/alerts/export.eve",     export_h_eve,      0 },
	{ "POST", "/api/alerts/ack",            alerts_h_ack,      0 },
	{ "GET",  "/api/alerts/{id}",           alerts_h_get,      0 },
	{ "GET",  "/api/alerts/{id}/flows",     alerts_h_flows,    0 },
	{ "POST", "/api/alerts/{id}/status",    alerts_h_status,   0 },
	{ "POST", "/api/alerts/{id}/notes",     alerts_h_notes,    0 },
	{ "POST", "/api/alerts/{id}/suppress",  alerts_h_suppress, WEB_ADMIN },
	{ "GET",  "/api/alerts/{id}/pcap",      evidence_h_alert,  0 },
	{ "GET",  "/api/suppressions",          alerts_h_suppressions, 0 },
	{ "POST", "/api/suppressions",          alerts_h_suppression_add, WEB_ADMIN },
	{ "POST", "/api/suppressions/remove",   alerts_h_suppression_remove, WEB_ADMIN },
	{ "GET",  "/api/audit",                 system_h_audit,    0 },
	{ "GET",  "/api/flows",                 flows_h_list,      0 },
	{ "GET",  "/api/flows/top-talkers",     flows_h_top_talkers, 0 },
	{ "GET",  "/api/flows/{id}/pcap",       evidence_h_flow,   0 },
	{ "GET",  "/api/dashboard",             dashboard_h_get,   0 },
	{ "GET",  "/api/system",                system_h_get,      0 },
	{ "GET",  "/api/clock",                 system_h_clock,    0 },
	{ "GET",  "/api/users",                 users_h_list,      WEB_ADMIN },
	{ "POST", "/api/users",                 users_h_add,       WEB_ADMIN },
	{ "POST", "/api/users/{name}/disable",  users_h_disable,   WEB_ADMIN },
	{ "POST", "/api/users/{name}/enable",   users_h_enable,    WEB_ADMIN },
	{ "POST", "/api/users/{name}/role",     users_h_role,      WEB_ADMIN },
	{ "POST", "/api/users/{name}/password", users_h_password,  WEB_ADMIN },
	{ "POST", "/api/users/{name}/delete",   users_h_delete,    WEB_ADMIN },
};

const size_t web_n_routes = sizeof web_routes / sizeof web_routes[0];
