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
 * printing it is the only way to deliver it.
 */
#ifndef VIGIL_WEB_AUTH_H
#define VIGIL_WEB_AUTH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "web_api.h"

#define AUTH_SESSION_IDLE_S (12 * 3600)  /* idle expiry */
#define AUTH_THROTTLE_FAILS 5            /* failures per source address ... */
#define AUTH_THROTTLE_WINDOW_S (15 * 60) /* ... within this window: blocked */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 1024
#define AUTH_USERNAME_MAX 64

/* Helpers: random bytes (getrandom), lower-case hex, SHA-256, comparison
 * in constant time. */
int auth_random(void *buf, size_t n);
void auth_hex(const uint8_t *in, size_t n, char *out /* 2n + 1 */);
void auth_sha256(const void *data, size_t n, uint8_t out[32]);
void auth_sha256_hex(const char *s, char out[65]);
int auth_equal(const char *a, const char *b); /* 1 when equal (time depends on lengths only) */

/* yescrypt ("$y$"): hash into out (>= 128 bytes), 0 or -1; verify: 1 match. */
int auth_hash_password(const char *password, char *out, size_t outlen);
int auth_verify_password(const char *password, const char *hash);
/* Usernames: 1-64 of [A-Za-z0-9._@-]. Roles: admin, analyst. */
int auth_valid_username(const char *name);
int auth_valid_role(const char *role);

/* At start: with no account yet, make a new setup token (its hash in table
 * setup, the token in <state_dir>/setup-token, mode 0600) and log it;
 * otherwise remove any leftover token. token (>= 65 bytes) gets the token
 * or "". 0, or -1 with err. */
int auth_setup_init(sqlite3 *db, const char *state_dir, char *token, size_t toklen,
		    char *err, size_t errlen);

/* The session of a request from its cookie value; 1 valid (s filled, last
 * seen refreshed at most once a minute), 0 none or expired. */
int auth_session_get(sqlite3 *db, const char *cookie, struct web_session *s);

/* Login throttling per source address (in memory, bounded). */
struct web_throttle;
struct web_throttle *throttle_new(void);
void throttle_free(struct web_throttle *t);
/* 0 when addr may try; else the seconds until it may (Retry-After). */
unsigned throttle_blocked(struct web_throttle *t, const char *addr, uint64_t now_us);
void throttle_failed(struct web_throttle *t, const char *addr, uint64_t now_us);
void throttle_reset(struct web_throttle *t, const char *addr);

/* Route handlers (web_api.c's table): setup, login, logout, me. */
void auth_h_setup_get(struct web_req *r);
void auth_h_setup_post(struct web_req *r);
void auth_h_login(struct web_req *r);
void auth_h_logout(struct web_req *r);
void auth_h_me(struct web_req *r);

#endif
