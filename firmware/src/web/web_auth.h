/*
 * web_auth.h - who may use the web API: the setup token, accounts with
 * yescrypt passwords, sessions with their CSRF tokens, login throttling.
 *
 * Owns: every secret of the web stage and how it is kept. Only hashes are
 * stored: the setup token as SHA-256 (table setup, plus the token itself in
 * <state_dir>/setup-token, mode 0600, the way it reaches the admin),
 * passwords as yescrypt (libcrypt), session ids as SHA-256 (table
 * sessions). Secrets are compared in constant time. Nothing here logs a
 * secret, except the setup token once at start: it is single-use and
 * printing it is the only way to deliver it. Also: the state of an
 * account that decides whether it may sign in (disabled, a password
 * change due) and ending its sessions when that changes.
 */
#ifndef VIGIL_WEB_AUTH_H
#define VIGIL_WEB_AUTH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "web_req.h"

#define AUTH_SESSION_IDLE_S (12 * 3600)  /* idle expiry */
#define AUTH_THROTTLE_FAILS 5            /* failures per source address ... */
#define AUTH_THROTTLE_WINDOW_S (15 * 60) /* ... within this window: blocked */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 1024
#define AUTH_USERNAME_MAX 64

/* Helpers: random bytes (getrandom), lower-case hex, the SHA-256 of a
 * string in hex (tls_hash.h), comparison in constant time. */
int auth_random(void *buf, size_t n);
void auth_hex(const uint8_t *in, size_t n, char *out /* 2n + 1 */);
void auth_sha256_hex(const char *s, char out[65]);
int auth_equal(const char *a, const char *b); /* 1 when equal (time depends on lengths only) */

/* yescrypt ("$y$"): hash into out (>= 128 bytes), 0 or -1; verify: 1 match. */
int auth_hash_password(const char *password, char *out, size_t outlen);
int auth_verify_password(const char *password, const char *hash);
/* A request's new password hashed into hash, or 500 answered (-1). */
int auth_hash_answer(struct web_req *r, const char *pw, char *hash, size_t hashlen);
/* Usernames: 1-64 of [A-Za-z0-9._@-], not "." or ".." (a username is a
 * path segment of /api/users/{name}/...). Roles: admin, analyst. */
int auth_valid_username(const char *name);
int auth_valid_role(const char *role);
/* NULL when pw is an acceptable new password (AUTH_PASSWORD_MIN to
 * AUTH_PASSWORD_MAX characters), else the reason for the user. */
const char *auth_password_problem(const char *pw);

/* At start: with no account yet, make a new setup token (its hash in table
 * setup, the token in <state_dir>/setup-token, mode 0600) and log it;
 * otherwise remove any leftover token. token (>= 65 bytes) gets the token
 * or "". 0, or -1 with err. */
int auth_setup_init(sqlite3 *db, const char *state_dir, char *token, size_t toklen,
		    char *err, size_t errlen);

/* The session of a request from its cookie value; 1 valid (s filled, last
 * seen refreshed at most once a minute), 0 none, expired or its account
 * disabled. */
int auth_session_get(sqlite3 *db, const char *cookie, struct web_session *s);

/* ---- accounts: what the user routes (web_users.c) and `vigil user` share.
 * An account is disabled (cannot sign in, has no session), deleted, given
 * another role or a new password; each ends the account's sessions where
 * it takes access away. The caller holds a write transaction (BEGIN
 * IMMEDIATE) around a check and its change, so two admins cannot both
 * take away the last admin's rights. */
struct auth_user {
	char name[AUTH_USER_BUF];
	char role[16];
	int64_t created_us;
	int64_t disabled_us;      /* 0: enabled */
	int64_t last_login_us;    /* 0: never signed in */
	int must_change;          /* must choose a new password at the next sign-in */
	int64_t sessions;         /* sessions not expired */
};

/* One account: 1 found (u filled), 0 none, -1 database error. */
int auth_user_get(sqlite3 *db, const char *name, struct auth_user *u);
/* 1 when name is an enabled admin and no other enabled admin exists (it
 * must not be disabled, deleted or demoted), 0 otherwise, -1 error. */
int auth_user_last_admin(sqlite3 *db, const char *name);
/* End every session of name but the one whose id hash is keep (NULL: all).
 * The number ended, or -1. */
int auth_sessions_end(sqlite3 *db, const char *name, const char *keep);
/* Give name a password someone else chose (an admin, the console): set
 * its hash, mark it to be changed at the next sign-in, end every session,
 * audit it as done by `by` (detail: how many sessions ended). Its own
 * transaction. 0 done, 1 no such account, -1 error (err). */
int auth_password_reset(sqlite3 *db, const char *by, const char *name, const char *password,
			char *err, size_t errlen);
/* A random one-time password for the console: 4 groups of 5 letters and
 * digits without look-alikes ("k7mqz-..."), 100 bits. */
#define AUTH_TEMP_PASSWORD_LEN 24
int auth_temp_password(char out[AUTH_TEMP_PASSWORD_LEN]);

/* Login throttling per source address (in memory, bounded). */
struct web_throttle;
struct web_throttle *throttle_new(void);
void throttle_free(struct web_throttle *t);
/* A password check from addr is about to start: 0 when it may, and the
 * attempt is counted now, before the slow hash (so parallel requests
 * cannot all pass the check before any failure is recorded); else the
 * seconds until it may (Retry-After). A success then resets the count. */
unsigned throttle_attempt(struct web_throttle *t, const char *addr, uint64_t now_us);
/* 0 when addr may try; else the seconds until it may (Retry-After). */
unsigned throttle_blocked(struct web_throttle *t, const char *addr, uint64_t now_us);
void throttle_failed(struct web_throttle *t, const char *addr, uint64_t now_us);
void throttle_reset(struct web_throttle *t, const char *addr);

/* Route handlers (web_routes.c's table): setup, login, logout, me, and
 * changing one's own password. */
void auth_h_setup_get(struct web_req *r);
void auth_h_setup_post(struct web_req *r);
void auth_h_login(struct web_req *r);
void auth_h_logout(struct web_req *r);
void auth_h_me(struct web_req *r);
void auth_h_me_password(struct web_req *r);

#endif
