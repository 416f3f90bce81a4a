/*
 * web_users.c - the administrators' account routes (see web_users.h).
 *
 * Every change runs in one write transaction (BEGIN IMMEDIATE) with its
 * checks, the end of the account's sessions and its audit row: two admins
 * acting at once are serialized, so they cannot both demote the other
 * last admin, and a disabled account has no session left the moment the
 * answer is sent. Password hashes are computed before the transaction
 * (yescrypt is slow on purpose; the write lock is not held meanwhile).
 */
#include "web_users.h"
#include "core/clock.h"
#include "core/log.h"
#include "web_auth.h"

#include <stdio.h>
#include <string.h>

static void db_error(struct web_req *r)
{
	log_warn("web: %s %s: database: %s", r->method, r->path, sqlite3_errmsg(r->db));
	web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

static void json_time_or_null(struct json *j, const char *key, int64_t us)
{
	json_key(j, key);
	if (us)
		json_i64(j, us);
	else
		json_null(j);
}

/* USER of docs/api.md. */
static void emit_user(struct json *j, const struct auth_user *u)
{
	json_obj_begin(j);
	json_key(j, "username");
	json_str(j, u->name);
	json_key(j, "role");
	json_str(j, u->role);
	json_key(j, "created_us");
	json_i64(j, u->created_us);
	json_kbool(j, "disabled", u->disabled_us != 0);
	json_time_or_null(j, "disabled_us", u->disabled_us);
	json_time_or_null(j, "last_login_us", u->last_login_us);
	json_kbool(j, "must_change_password", u->must_change);
	json_key(j, "sessions");
	json_i64(j, u->sessions);
	json_obj_end(j);
}

/* Answer status with the account {name} as it is now. */
static void answer_user(struct web_req *r, int status, const char *name)
{
	struct auth_user u;
	int found = auth_user_get(r->db, name, &u);

	if (found < 0) {
		db_error(r);
		return;
	}
	if (found == 0) {
		web_error(r, 404, "no such user '%s'", name);
		return;
	}
	r->status = status;
	json_reset(&r->out);
	emit_user(&r->out, &u);
}

static const char *const no_members[] = { NULL };

void users_h_list(struct web_req *r)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (web_params_check(r, no_members) != 0)
		return;
	if (sqlite3_prepare_v2(r->db, "SELECT username FROM users ORDER BY username", -1, &st,
			       NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	web_ok_begin(r, 200);
	json_key(&r->out, "users");
	json_arr_begin(&r->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct auth_user u;

		if (auth_user_get(r->db, (const char *)sqlite3_column_text(st, 0), &u) != 1) {
			rc = SQLITE_ERROR;
			break;
		}
		emit_user(&r->out, &u);
	}
	json_arr_end(&r->out);
	json_obj_end(&r->out);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		db_error(r);
}

/* POST /api/users {"username", "password", "role"}: the password is the
 * admin's choice, so its owner must replace it at the first sign-in. */
void users_h_add(struct web_req *r)
{
	static const char *const keys[] = { "username", "password", "role", NULL };
	char user[AUTH_USER_BUF], pw[AUTH_PASSWORD_MAX + 1], role[16], hash[256];
	const char *problem;
	sqlite3_stmt *st = NULL;
	int rc;

	hash[0] = '\0';
	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "username", user, sizeof user, AUTH_USERNAME_MAX, 1) != 1 ||
	    web_body_str(r, "password", pw, sizeof pw, AUTH_PASSWORD_MAX, 1) != 1 ||
	    web_body_str(r, "role", role, sizeof role, 10, 1) != 1)
		goto out;
	if (!auth_valid_username(user)) {
		web_error(r, 400, "username: 1-%d letters, digits or ._@- (not . or ..)",
			  AUTH_USERNAME_MAX);
		goto out;
	}
	if (!auth_valid_role(role)) {
		web_error(r, 400, "role: expected admin or analyst");
		goto out;
	}
	if ((problem = auth_password_problem(pw)) != NULL) {
		web_error(r, 400, "%s", problem);
		goto out;
	}
	if (auth_hash_answer(r, pw, hash, sizeof hash) != 0)
		goto out;
	rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "INSERT INTO users (username, hash, role, created_us,"
					" must_change) VALUES (?, ?, ?, ?, 1)", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_error(r);
		goto out;
	}
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)wall_us());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		web_error(r, 409, "user '%s' exists already", user);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		db_error(r);
		goto out;
	}
	if (web_audit(r->db, r->sess.user, "user_add", user, role) != 0 ||
	    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(r);
		goto out;
	}
	log_info("web: %s added user '%s' (%s)", r->sess.user, user, role);
	answer_user(r, 201, user);
out:
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(hash, sizeof hash);
}

enum user_action { ACT_DISABLE, ACT_ENABLE, ACT_ROLE, ACT_DELETE };

/* Run one action on the account {name}, in one write transaction with its
 * checks, the end of the sessions it takes away and the audit row. */
static void user_action(struct web_req *r, enum user_action act, const char *role)
{
	static const char *const names[] = { "user_disable", "user_enable", "user_role",
					     "user_delete" };
	struct auth_user u;
	sqlite3_stmt *st = NULL;
	char detail[96] = "";
	int found, ended = 0, change = 0;

	if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	if ((found = auth_user_get(r->db, r->name, &u)) <= 0) {
		if (found < 0) {
			db_error(r);
			return;
		}
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		web_error(r, 404, "no such user '%s'", r->name);
		return;
	}
	if (act == ACT_DISABLE || act == ACT_DELETE ||
	    (act == ACT_ROLE && strcmp(role, "admin") != 0)) {
		int last = auth_user_last_admin(r->db, r->name);

		if (last < 0) {
			db_error(r);
			return;
		}
		if (last) {
			sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
			web_error(r, 409, "'%s' is the last enabled administrator: make another"
				  " administrator first", r->name);
			return;
		}
	}

	switch (act) {
	case ACT_DISABLE:
		change = u.disabled_us == 0;
		if (change && sqlite3_prepare_v2(r->db, "UPDATE users SET disabled_us = ?"
						 " WHERE username = ?", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_us());
			sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
		}
		break;
	case ACT_ENABLE:
		change = u.disabled_us != 0;
		if (change && sqlite3_prepare_v2(r->db, "UPDATE users SET disabled_us = NULL"
						 " WHERE username = ?", -1, &st, NULL) == SQLITE_OK)
			sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
		break;
	case ACT_ROLE:
		change = strcmp(u.role, role) != 0;
		snprintf(detail, sizeof detail, "%s -> %s", u.role, role);
		if (change && sqlite3_prepare_v2(r->db, "UPDATE users SET role = ? WHERE username = ?",
						 -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
		}
		break;
	case ACT_DELETE:
		change = 1;
		if (sqlite3_prepare_v2(r->db, "DELETE FROM users WHERE username = ?", -1, &st,
				       NULL) == SQLITE_OK)
			sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
		break;
	}
	if (change) {
		/* the sessions go first: deleting the account would take them
		 * along (ON DELETE CASCADE), but uncounted */
		if ((act == ACT_DISABLE || act == ACT_DELETE) &&
		    (ended = auth_sessions_end(r->db, r->name, NULL)) < 0) {
			sqlite3_finalize(st);
			db_error(r);
			return;
		}
		if (!st || sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			db_error(r);
			return;
		}
		sqlite3_finalize(st);
		if (act == ACT_DISABLE || act == ACT_DELETE)
			snprintf(detail, sizeof detail, "%s%s%d session%s ended",
				 act == ACT_DELETE ? u.role : "", act == ACT_DELETE ? "; " : "",
				 ended, ended == 1 ? "" : "s");
		if (web_audit(r->db, r->sess.user, names[act], r->name, detail) != 0) {
			db_error(r);
			return;
		}
	}
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(r);
		return;
	}
	if (change)
		log_info("web: %s: %s '%s' %s", r->sess.user, names[act], r->name, detail);
	if (act == ACT_DELETE) {
		web_ok_begin(r, 200);
		json_kstr(&r->out, "deleted", r->name);
		json_obj_end(&r->out);
		return;
	}
	answer_user(r, 200, r->name);
}

void users_h_disable(struct web_req *r)
{
	if (web_body_object(r, no_members) == 0)
		user_action(r, ACT_DISABLE, NULL);
}

void users_h_enable(struct web_req *r)
{
	if (web_body_object(r, no_members) == 0)
		user_action(r, ACT_ENABLE, NULL);
}

void users_h_delete(struct web_req *r)
{
	if (web_body_object(r, no_members) == 0)
		user_action(r, ACT_DELETE, NULL);
}

void users_h_role(struct web_req *r)
{
	static const char *const keys[] = { "role", NULL };
	char role[16];

	if (web_body_object(r, keys) != 0 || web_body_str(r, "role", role, sizeof role, 10, 1) != 1)
		return;
	if (!auth_valid_role(role)) {
		web_error(r, 400, "role: expected admin or analyst");
		return;
	}
	user_action(r, ACT_ROLE, role);
}

/* POST /api/users/{name}/password {"password"}: a new password chosen by
 * the admin, for someone who forgot theirs; its owner must replace it at
 * the next sign-in, and every session of the account ends. */
void users_h_password(struct web_req *r)
{
	static const char *const keys[] = { "password", NULL };
	char pw[AUTH_PASSWORD_MAX + 1], err[256];
	const char *problem;
	int rc;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "password", pw, sizeof pw, AUTH_PASSWORD_MAX, 1) != 1)
		goto out;
	if ((problem = auth_password_problem(pw)) != NULL) {
		web_error(r, 400, "%s", problem);
		goto out;
	}
	rc = auth_password_reset(r->db, r->sess.user, r->name, pw, err, sizeof err);
	if (rc < 0) {
		log_warn("web: %s %s: %s", r->method, r->path, err);
		web_error(r, 500, "%s", err);
	} else if (rc == 1) {
		web_error(r, 404, "no such user '%s'", r->name);
	} else {
		answer_user(r, 200, r->name);
	}
out:
	explicit_bzero(pw, sizeof pw);
}
