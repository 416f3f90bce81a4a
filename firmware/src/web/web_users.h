/*
 * web_users.h - the administrators' account routes of the web API
 * (docs/api.md, "Users"): list, add, disable, enable, change the role,
 * set a new password, delete.
 *
 * Owns: the rules of managing accounts - the last enabled administrator
 * is never disabled, demoted or deleted; a disabled or deleted account,
 * and one whose password an admin sets, loses its sessions at once; a
 * password an admin sets must be changed by its owner at the next
 * sign-in; every change is audited (who, whom, what; never a password).
 * How accounts and sessions are stored is web_auth's.
 */
#ifndef VIGIL_WEB_USERS_H
#define VIGIL_WEB_USERS_H

#include "web_req.h"

/* Route handlers (web_routes.c's table, all WEB_ADMIN). */
void users_h_list(struct web_req *r);
void users_h_add(struct web_req *r);
void users_h_disable(struct web_req *r);
void users_h_enable(struct web_req *r);
void users_h_role(struct web_req *r);
void users_h_password(struct web_req *r);
void users_h_delete(struct web_req *r);

#endif
