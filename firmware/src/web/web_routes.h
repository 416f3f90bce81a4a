/*
 * web_routes.h - the route table of the web API (docs/api.md).
 *
 * Owns: the one list of what the API serves and which routes need no
 * session (WEB_PUBLIC), the admin role (WEB_ADMIN) or are open to a
 * session whose password must be changed (WEB_PWCHANGE). The router in
 * web.c enforces these flags; handlers never check sessions themselves.
 */
#ifndef VIGIL_WEB_ROUTES_H
#define VIGIL_WEB_ROUTES_H

#include <stddef.h>

#include "web_req.h"

typedef void (*web_handler_fn)(struct web_req *r);

/* WEB_PWCHANGE: allowed to a session whose password must be changed
 * first (sign out, who am I, change it); every other route answers 403 to
 * such a session. */
enum { WEB_PUBLIC = 1, WEB_ADMIN = 2, WEB_PWCHANGE = 4 };

struct web_route {
	const char *method;
	const char *pattern;      /* "/api/alerts/{id}/status": {id} = decimal number,
				   * "/api/users/{name}/role": {name} = a username */
	web_handler_fn handler;
	int flags;
};

extern const struct web_route web_routes[];
extern const size_t web_n_routes;

#endif
