/*
 * web_auth.c - setup token, accounts, sessions, CSRF, login throttling
 * (see web_auth.h).
 */
#include "web_auth.h"
#include "core/clock.h"
#include "core/log.h"
#include "tls/tls_hash.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small crypto helpers ---------------------------------------------------- */

int auth_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

void auth_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* SHA-256 of a token or session id: they are random, so a plain hash (no
 * salt, no stretching) is what keeps a copy of the database from being a
 * set of live credentials. */
void auth_sha256_hex(const char *s, char out[65])
{
	uint8_t d[TLS_SHA256_LEN];

	tls_sha256(s, strlen(s), d);
	auth_hex(d, sizeof d, out);
}

int auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	/* walk the longer string whatever the content */
	for (size_t i = 0, n = la > lb ? la : lb; i < n; i++)
		diff |= (unsigned char)((i < la ? a[i] : 0) ^ (i < lb ? b[i] : 0));
	return diff == 0;
}

/* ---- passwords ---------------------------------------------------------------- */

int auth_hash_password(const char *password, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	int rc = -1;

	/* rbytes NULL: libcrypt takes its own random bytes */
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting))
		return -1;
	cd = calloc(1, sizeof *cd);
	if (!cd)
		return -1;
	const char *h = crypt_rn(password, setting, cd, sizeof *cd);
	if (h && h[0] == '$' && strlen(h) < outlen) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return rc;
}

int auth_verify_password(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	int ok = 0;

	if (!cd)
		return 0;
	const char *h = crypt_rn(password, hash, cd, sizeof *cd);
	if (h && h[0] == '$')
		ok = auth_equal(h, hash);
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return ok;
}

/* A login for an account that does not exist costs the same yescrypt
 * round as one that does: the answer time does not tell names apart. */
static char dummy_hash[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
	uint8_t r[16];
	char pw[33];

	if (auth_random(r, sizeof r) != 0)
		memset(r, 0x5a, sizeof r);
	auth_hex(r, sizeof r, pw);
	if (auth_hash_password(pw, dummy_hash, sizeof dummy_hash) != 0)
		dummy_hash[0] = '\0';
}

int auth_valid_username(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUTH_USERNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._@-", *p))
			return 0;
	return 1;
}

int auth_valid_role(const char *role)
{
	return strcmp(role, "admin") == 0 || strcmp(role, "analyst") == 0;
}

#define STR_(x) #x
#define STR(x) STR_(x)

const char *auth_password_problem(const char *pw)
{
	long chars = web_text_chars(pw);   /* characters, not bytes */

	if (chars < 0)
		return "password: not valid UTF-8 text";
	if (chars < AUTH_PASSWORD_MIN)
		return "password: at least " STR(AUTH_PASSWORD_MIN) " characters";
	if (chars > AUTH_PASSWORD_MAX)
		return "password: at most " STR(AUTH_PASSWORD_MAX) " characters";
	return NULL;
}

/* ---- setup token ---------------------------------------------------------------- */

static int count_users(sqlite3 *db, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM users", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Write the token to dir/setup-token (mode 0600, replacing the file). */
static int write_token_file(const char *dir, const char *token, char *err, size_t errlen)
{
	char path[1100], tmp[1110];
	int fd;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/setup-token", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t n = strlen(token);
	if (fchmod(fd, 0600) != 0 || write(fd, token, n) != (ssize_t)n ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		snprintf(err, errlen, "write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void remove_token_file(const char *dir)
{
	char path[1100];

	snprintf(path, sizeof path, "%s/setup-token", dir);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("web: cannot remove %s: %s", path, strerror(errno));
}

int auth_setup_init(sqlite3 *db, const char *state_dir, char *token, size_t toklen,
		    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	uint8_t raw[16];
	char tok[33], hash[65];
	int64_t users = 0;
	int rc;

	token[0] = '\0';
	if (count_users(db, &users) != 0) {
		snprintf(err, errlen, "read users: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (users > 0) {
		sqlite3_exec(db, "DELETE FROM setup", NULL, NULL, NULL);
		remove_token_file(state_dir);
		return 0;
	}
	if (auth_random(raw, sizeof raw) != 0) {
		snprintf(err, errlen, "no random bytes: %s", strerror(errno));
		return -1;
	}
	auth_hex(raw, sizeof raw, tok);
	auth_sha256_hex(tok, hash);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE; DELETE FROM setup", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO setup (token_hash, created_us) VALUES (?, ?)",
					-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)wall_us());
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "store setup token: %s", sqlite3_errmsg(db));
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (write_token_file(state_dir, tok, err, errlen) != 0)
		return -1;
	log_warn("first start: open the web page and set the admin password with the setup token: %s",
		 tok);
	snprintf(token, toklen, "%s", tok);
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(tok, sizeof tok);
	return 0;
}

/* ---- sessions ------------------------------------------------------------------- */

static int valid_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

int auth_session_get(sqlite3 *db, const char *cookie, struct web_session *s)
{
	sqlite3_stmt *st = NULL;
	uint64_t now = wall_us(), seen = 0;
	int found = 0, disabled = 0;

	memset(s, 0, sizeof *s);
	if (!cookie || !valid_hex(cookie, 64))
		return 0;
	auth_sha256_hex(cookie, s->id_hash);
	if (sqlite3_prepare_v2(db,
			"SELECT s.username, u.role, s.csrf, s.seen_us, u.disabled_us IS NOT NULL,"
			" u.must_change FROM sessions s"
			" JOIN users u ON u.username = s.username WHERE s.id = ?",
			-1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, s->id_hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(s->user, sizeof s->user, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(s->role, sizeof s->role, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(s->csrf, sizeof s->csrf, "%s", (const char *)sqlite3_column_text(st, 2));
		seen = (uint64_t)sqlite3_column_int64(st, 3);
		disabled = sqlite3_column_int(st, 4);
		s->must_change = sqlite3_column_int(st, 5) != 0;
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found)
		return 0;
	/* disabling ends the sessions in the same transaction; this is the
	 * second lock on the door */
	if (disabled || seen + (uint64_t)AUTH_SESSION_IDLE_S * 1000000 < now) {
		if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, s->id_hash, -1, SQLITE_STATIC);
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
		memset(s, 0, sizeof *s);
		return 0;
	}
	/* idle expiry has minute resolution: reading pages writes little */
	if (seen + 60 * US_PER_S < now &&
	    sqlite3_prepare_v2(db, "UPDATE sessions SET seen_us = ? WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_bind_text(st, 2, s->id_hash, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	return 1;
}

/* A new session for user: its cookie value into cookie_id (65 bytes). */
static int session_create(sqlite3 *db, const char *user, const char *role, int must_change,
			  struct web_session *s, char cookie_id[65])
{
	sqlite3_stmt *st = NULL;
	uint8_t raw[32], craw[32];
	uint64_t now = wall_us();
	int rc;

	if (auth_random(raw, sizeof raw) != 0 || auth_random(craw, sizeof craw) != 0)
		return -1;
	memset(s, 0, sizeof *s);
	auth_hex(raw, sizeof raw, cookie_id);
	auth_hex(craw, sizeof craw, s->csrf);
	auth_sha256_hex(cookie_id, s->id_hash);
	snprintf(s->user, sizeof s->user, "%s", user);
	snprintf(s->role, sizeof s->role, "%s", role);
	s->must_change = must_change;
	explicit_bzero(raw, sizeof raw);

	/* expired sessions go when someone logs in */
	if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE seen_us < ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - (uint64_t)AUTH_SESSION_IDLE_S * 1000000));
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	rc = sqlite3_prepare_v2(db, "INSERT INTO sessions (id, username, csrf, created_us, seen_us)"
				" VALUES (?, ?, ?, ?, ?)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, s->id_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s->csrf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* ---- accounts ---------------------------------------------------------------------- */

int auth_user_get(sqlite3 *db, const char *name, struct auth_user *u)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(u, 0, sizeof *u);
	if (sqlite3_prepare_v2(db,
			"SELECT username, role, created_us, coalesce(disabled_us, 0),"
			" coalesce(last_login_us, 0), must_change,"
			" (SELECT count(*) FROM sessions s WHERE s.username = u.username AND s.seen_us >= ?)"
			" FROM users u WHERE username = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(wall_us() -
						  (uint64_t)AUTH_SESSION_IDLE_S * 1000000));
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(u->name, sizeof u->name, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(u->role, sizeof u->role, "%s", (const char *)sqlite3_column_text(st, 1));
		u->created_us = sqlite3_column_int64(st, 2);
		u->disabled_us = sqlite3_column_int64(st, 3);
		u->last_login_us = sqlite3_column_int64(st, 4);
		u->must_change = sqlite3_column_int(st, 5) != 0;
		u->sessions = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int auth_user_last_admin(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int last = -1;

	if (sqlite3_prepare_v2(db,
			"SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1 AND role = 'admin'"
			"  AND disabled_us IS NULL)"
			" AND NOT EXISTS (SELECT 1 FROM users WHERE username <> ?1 AND role = 'admin'"
			"  AND disabled_us IS NULL)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		last = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return last;
}

int auth_sessions_end(sqlite3 *db, const char *name, const char *keep)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE username = ? AND id IS NOT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (keep)
		sqlite3_bind_text(st, 2, keep, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(db);
	sqlite3_finalize(st);
	return n;
}

int auth_password_reset(sqlite3 *db, const char *by, const char *name, const char *password,
			char *err, size_t errlen)
{
	char hash[256], detail[96];
	sqlite3_stmt *st = NULL;
	int rc, ended = 0, found = 0;

	/* the slow hash before the write lock */
	if (auth_hash_password(password, hash, sizeof hash) != 0) {
		snprintf(err, errlen, "cannot hash the password");
		return -1;
	}
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "UPDATE users SET hash = ?, must_change = 1 WHERE username = ?",
					-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		found = sqlite3_changes(db) == 1;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && found && (ended = auth_sessions_end(db, name, NULL)) < 0)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK && found) {
		snprintf(detail, sizeof detail, "must change it at the next sign-in; %d session%s ended",
			 ended, ended == 1 ? "" : "s");
		if (web_audit(db, by, "user_password_reset", name, detail) != 0)
			rc = SQLITE_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, found ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	explicit_bzero(hash, sizeof hash);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (found)
		log_info("web: %s set a new password for '%s' (%d session%s ended)", by, name, ended,
			 ended == 1 ? "" : "s");
	return found ? 0 : 1;
}

int auth_temp_password(char out[AUTH_TEMP_PASSWORD_LEN])
{
	/* 32 symbols, so 5 bits of a random byte pick one without bias */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	uint8_t r[20];
	size_t k = 0;

	if (auth_random(r, sizeof r) != 0)
		return -1;
	for (int i = 0; i < 20; i++) {
		if (i && i % 5 == 0)
			out[k++] = '-';
		out[k++] = alphabet[r[i] & 31];
	}
	out[k] = '\0';
	explicit_bzero(r, sizeof r);
	return 0;
}

static void set_cookie(struct web_req *r, const char *value, int clear)
{
	snprintf(r->cookie, sizeof r->cookie,
		 "vigil_session=%s; HttpOnly; SameSite=Strict; Path=/%s%s",
		 value, clear ? "; Max-Age=0" : "", r->env->cfg.secure_cookies ? "; Secure" : "");
}

/* ---- throttling ------------------------------------------------------------------ */

#define THROTTLE_SLOTS 256

struct web_throttle {
	pthread_mutex_t lock;
	struct {
		char addr[64];
		uint64_t first_us;     /* first failure of the window */
		unsigned fails;
	} e[THROTTLE_SLOTS];
};

struct web_throttle *throttle_new(void)
{
	struct web_throttle *t = calloc(1, sizeof *t);

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void throttle_free(struct web_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const uint64_t window_us = (uint64_t)AUTH_THROTTLE_WINDOW_S * 1000000;

/* The slot of addr, or NULL (lock held). */
static int throttle_find(struct web_throttle *t, const char *addr, uint64_t now_us)
{
	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		if (t->e[i].fails == 0 || strcmp(t->e[i].addr, addr) != 0)
			continue;
		if (t->e[i].first_us + window_us <= now_us) {
			t->e[i].fails = 0;     /* the window is over */
			return -1;
		}
		return i;
	}
	return -1;
}

/* Seconds until addr may try again, 0 when it may now (lock held). */
static unsigned throttle_wait(struct web_throttle *t, const char *addr, uint64_t now_us)
{
	int i = throttle_find(t, addr, now_us);

	if (i < 0 || t->e[i].fails < AUTH_THROTTLE_FAILS)
		return 0;
	return (unsigned)((t->e[i].first_us + window_us - now_us + 999999) / 1000000);
}

unsigned throttle_blocked(struct web_throttle *t, const char *addr, uint64_t now_us)
{
	unsigned wait;

	pthread_mutex_lock(&t->lock);
	wait = throttle_wait(t, addr, now_us);
	pthread_mutex_unlock(&t->lock);
	return wait;
}

/* Count one failure (or attempt) of addr (lock held). */
static void throttle_count(struct web_throttle *t, const char *addr, uint64_t now_us)
{
	int i = throttle_find(t, addr, now_us);
	if (i < 0) {
		/* a free or expired slot, else the one whose window started first */
		int victim = 0;
		for (int k = 0; k < THROTTLE_SLOTS; k++) {
			if (t->e[k].fails == 0 || t->e[k].first_us + window_us <= now_us) {
				victim = k;
				break;
			}
			if (t->e[k].first_us < t->e[victim].first_us)
				victim = k;
		}
		i = victim;
		snprintf(t->e[i].addr, sizeof t->e[i].addr, "%s", addr);
		t->e[i].first_us = now_us;
		t->e[i].fails = 0;
	}
	t->e[i].fails++;
}

void throttle_failed(struct web_throttle *t, const char *addr, uint64_t now_us)
{
	pthread_mutex_lock(&t->lock);
	throttle_count(t, addr, now_us);
	pthread_mutex_unlock(&t->lock);
}

unsigned throttle_attempt(struct web_throttle *t, const char *addr, uint64_t now_us)
{
	unsigned wait;

	pthread_mutex_lock(&t->lock);
	wait = throttle_wait(t, addr, now_us);
	if (!wait)
		throttle_count(t, addr, now_us);
	pthread_mutex_unlock(&t->lock);
	return wait;
}

void throttle_reset(struct web_throttle *t, const char *addr)
{
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < THROTTLE_SLOTS; i++)
		if (t->e[i].fails && strcmp(t->e[i].addr, addr) == 0)
			t->e[i].fails = 0;
	pthread_mutex_unlock(&t->lock);
}

/* From r's address: may a check of what kind start now (count: counted
 * now, throttle_attempt; else only asked, throttle_blocked)? 1 when not:
 * 429 with Retry-After answered. */
static int throttled(struct web_req *r, const char *what, int count)
{
	uint64_t now = wall_us();
	unsigned wait = count ? throttle_attempt(r->env->throttle, r->client, now)
			      : throttle_blocked(r->env->throttle, r->client, now);

	if (!wait)
		return 0;
	r->retry_after = wait;
	web_error(r, 429, "too many %s from %s; try again in %u s", what, r->client, wait);
	return 1;
}

int auth_hash_answer(struct web_req *r, const char *pw, char *hash, size_t hashlen)
{
	if (auth_hash_password(pw, hash, hashlen) == 0)
		return 0;
	web_error(r, 500, "cannot hash the password");
	return -1;
}

/* ---- handlers --------------------------------------------------------------------- */

static void session_answer(struct web_req *r, int status, const struct web_session *s)
{
	web_ok_begin(r, status);
	json_key(&r->out, "user");
	json_str(&r->out, s->user);
	json_key(&r->out, "role");
	json_str(&r->out, s->role);
	json_key(&r->out, "csrf");
	json_str(&r->out, s->csrf);
	json_kbool(&r->out, "must_change_password", s->must_change);
	json_obj_end(&r->out);
}

static const char *const no_params[] = { NULL };

void auth_h_setup_get(struct web_req *r)
{
	int64_t users = 0;

	if (web_params_check(r, no_params) != 0)
		return;
	if (count_users(r->db, &users) != 0) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
		return;
	}
	web_ok_begin(r, 200);
	json_kbool(&r->out, "setup_needed", users == 0);
	json_obj_end(&r->out);
}

/* Is token the setup token (its hash is in table setup)? */
static int token_matches(sqlite3 *db, const char *token)
{
	sqlite3_stmt *st = NULL;
	char hash[65];
	int ok = 0;

	auth_sha256_hex(token, hash);
	if (sqlite3_prepare_v2(db, "SELECT token_hash FROM setup", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		if (h && auth_equal(h, hash))
			ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

void auth_h_setup_post(struct web_req *r)
{
	static const char *const keys[] = { "token", "username", "password", NULL };
	char token[128], user[AUTH_USER_BUF], pw[AUTH_PASSWORD_MAX + 1], hash[256];
	sqlite3_stmt *st = NULL;
	int64_t users = 0;
	int rc;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "token", token, sizeof token, 100, 1) != 1 ||
	    web_body_str(r, "username", user, sizeof user, AUTH_USERNAME_MAX, 1) != 1 ||
	    web_body_str(r, "password", pw, sizeof pw, AUTH_PASSWORD_MAX, 1) != 1)
		goto out;
	if (!auth_valid_username(user)) {
		web_error(r, 400, "username: 1-%d letters, digits or ._@-", AUTH_USERNAME_MAX);
		goto out;
	}
	if (auth_password_problem(pw)) {
		web_error(r, 400, "%s", auth_password_problem(pw));
		goto out;
	}
	if (count_users(r->db, &users) != 0) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
		goto out;
	}
	if (users > 0) {
		web_error(r, 409, "setup is already done");
		goto out;
	}
	/* a token check counts like a password check of the address, before
	 * it is made: 40 parallel guesses get 5 checks */
	if (throttled(r, "wrong setup tokens", 1))
		goto out;
	if (!token_matches(r->db, token)) {
		web_audit(r->db, user, "setup_failed", r->client, "wrong setup token");
		log_info("web: wrong setup token from %s", r->client);
		web_error(r, 403, "wrong setup token");
		goto out;
	}
	if (auth_hash_answer(r, pw, hash, sizeof hash) != 0)
		goto out;
	/* one transaction: the token is used once even when two requests race */
	rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK && (count_users(r->db, &users) != 0 || users > 0 ||
				!token_matches(r->db, token))) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		web_error(r, 409, "setup is already done");
		goto out;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "INSERT INTO users (username, hash, role, created_us)"
					" VALUES (?, ?, 'admin', ?)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)wall_us());
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(r->db, "DELETE FROM setup", NULL, NULL, NULL);
	if (rc == SQLITE_OK && web_audit(r->db, user, "setup", user, "admin account created") != 0)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
		if (!sqlite3_get_autocommit(r->db))
			sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	remove_token_file(r->env->cfg.state_dir);
	throttle_reset(r->env->throttle, r->client);
	log_info("web: setup done, admin account '%s' created", user);
	web_ok_begin(r, 201);
	json_key(&r->out, "user");
	json_str(&r->out, user);
	json_key(&r->out, "role");
	json_str(&r->out, "admin");
	json_obj_end(&r->out);
out:
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(token, sizeof token);
}

void auth_h_login(struct web_req *r)
{
	static const char *const keys[] = { "username", "password", NULL };
	char user[AUTH_USER_BUF], pw[AUTH_PASSWORD_MAX + 1], hash[256], role[16], cookie[65];
	struct web_session s;
	sqlite3_stmt *st = NULL;
	int found = 0, disabled = 0, must_change = 0, ok;

	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "username", user, sizeof user, AUTH_USERNAME_MAX, 1) != 1 ||
	    web_body_str(r, "password", pw, sizeof pw, AUTH_PASSWORD_MAX, 1) != 1)
		goto out;
	/* counted before the slow hash: 40 requests at once get 5 checks */
	if (throttled(r, "failed logins", 1))
		goto out;
	if (sqlite3_prepare_v2(r->db, "SELECT hash, role, disabled_us IS NOT NULL, must_change"
			       " FROM users WHERE username = ?", -1, &st, NULL) != SQLITE_OK) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
		goto out;
	}
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(role, sizeof role, "%s", (const char *)sqlite3_column_text(st, 1));
		disabled = sqlite3_column_int(st, 2);
		must_change = sqlite3_column_int(st, 3) != 0;
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found) {
		pthread_once(&dummy_once, make_dummy_hash);
		snprintf(hash, sizeof hash, "%s", dummy_hash);
	}
	/* a disabled account gets the answer of a wrong password, after the
	 * same hash: neither the answer nor its time tells it apart; the
	 * attempt was counted by throttle_attempt */
	ok = auth_verify_password(pw, hash);
	if (!ok || !found || disabled) {
		web_audit(r->db, auth_valid_username(user) ? user : "?", "login_failed", r->client,
			  ok && found ? "account disabled" : "");
		log_info("web: failed login for '%s' from %s%s", auth_valid_username(user) ? user : "?",
			 r->client, ok && found ? " (account disabled)" : "");
		web_error(r, 401, "wrong username or password");
		goto out;
	}
	throttle_reset(r->env->throttle, r->client);
	if (session_create(r->db, user, role, must_change, &s, cookie) != 0) {
		web_error(r, 500, "cannot create a session: %s", sqlite3_errmsg(r->db));
		goto out;
	}
	set_cookie(r, cookie, 0);
	if (sqlite3_prepare_v2(r->db, "UPDATE users SET last_login_us = ? WHERE username = ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_us());
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	web_audit(r->db, user, "login", r->client, must_change ? "password change due" : "");
	session_answer(r, 200, &s);
	explicit_bzero(cookie, sizeof cookie);
out:
	explicit_bzero(pw, sizeof pw);
}

void auth_h_logout(struct web_req *r)
{
	static const char *const no_members[] = { NULL };
	sqlite3_stmt *st = NULL;

	if (web_body_object(r, no_members) != 0)
		return;
	if (sqlite3_prepare_v2(r->db, "DELETE FROM sessions WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, r->sess.id_hash, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	web_audit(r->db, r->sess.user, "logout", r->client, "");
	set_cookie(r, "", 1);
	web_ok_begin(r, 200);
	json_kbool(&r->out, "ok", 1);
	json_obj_end(&r->out);
}

void auth_h_me(struct web_req *r)
{
	if (web_params_check(r, no_params) != 0)
		return;
	session_answer(r, 200, &r->sess);
}

/* POST /api/me/password {"current", "password"}: a user chooses their own
 * password. The current one is required (a session left open on a shared
 * screen does not give the account away) and a wrong one counts as a
 * failed login of the address. Every other session of the account ends;
 * this one goes on, now without a password change due. */
void auth_h_me_password(struct web_req *r)
{
	static const char *const keys[] = { "current", "password", NULL };
	char cur[AUTH_PASSWORD_MAX + 1], pw[AUTH_PASSWORD_MAX + 1], old_hash[256], hash[256];
	char detail[64];
	const char *problem;
	sqlite3_stmt *st = NULL;
	int rc, found = 0, changed = 0, ended = 0;

	old_hash[0] = hash[0] = '\0';
	if (throttled(r, "failed password checks", 0))
		return;
	if (web_body_object(r, keys) != 0 ||
	    web_body_str(r, "current", cur, sizeof cur, AUTH_PASSWORD_MAX, 1) != 1 ||
	    web_body_str(r, "password", pw, sizeof pw, AUTH_PASSWORD_MAX, 1) != 1)
		goto out;
	if ((problem = auth_password_problem(pw)) != NULL) {
		web_error(r, 400, "%s", problem);
		goto out;
	}
	if (sqlite3_prepare_v2(r->db, "SELECT hash FROM users WHERE username = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
		goto out;
	}
	sqlite3_bind_text(st, 1, r->sess.user, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(old_hash, sizeof old_hash, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found) {
		web_error(r, 401, "not logged in");   /* deleted meanwhile */
		goto out;
	}
	/* checked and counted in one step before the slow hash: parallel
	 * guesses cannot all pass the check before any of them is counted */
	if (throttled(r, "failed password checks", 1))
		goto out;
	if (!auth_verify_password(cur, old_hash)) {
		web_audit(r->db, r->sess.user, "password_change_failed", r->sess.user,
			  "wrong current password");
		log_info("web: '%s' gave a wrong current password from %s", r->sess.user, r->client);
		web_error(r, 403, "the current password is wrong");
		goto out;
	}
	throttle_reset(r->env->throttle, r->client);
	if (auth_equal(cur, pw)) {
		web_error(r, 400, "password: the new password must differ from the current one");
		goto out;
	}
	if (auth_hash_answer(r, pw, hash, sizeof hash) != 0)
		goto out;
	/* Only if nothing changed since the check: the hash is still the one
	 * verified (no admin reset meanwhile) and this session still exists
	 * (not ended by a disable or a reset). */
	rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db,
				"UPDATE users SET hash = ?, must_change = 0 WHERE username = ? AND hash = ?"
				" AND disabled_us IS NULL AND EXISTS (SELECT 1 FROM sessions WHERE id = ?)",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->sess.user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, old_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->sess.id_hash, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		changed = sqlite3_changes(r->db) == 1;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && changed && (ended = auth_sessions_end(r->db, r->sess.user,
								     r->sess.id_hash)) < 0)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK && changed) {
		snprintf(detail, sizeof detail, "%d other session%s ended", ended,
			 ended == 1 ? "" : "s");
		if (web_audit(r->db, r->sess.user, "password_change", r->sess.user, detail) != 0)
			rc = SQLITE_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(r->db, changed ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		web_error(r, 500, "database: %s", sqlite3_errmsg(r->db));
		if (!sqlite3_get_autocommit(r->db))
			sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (!changed) {
		web_error(r, 409, "the account was changed meanwhile; sign in again");
		goto out;
	}
	log_info("web: '%s' changed their password (%d other session%s ended)", r->sess.user,
		 ended, ended == 1 ? "" : "s");
	r->sess.must_change = 0;
	session_answer(r, 200, &r->sess);
out:
	explicit_bzero(cur, sizeof cur);
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(old_hash, sizeof old_hash);
	explicit_bzero(hash, sizeof hash);
}
