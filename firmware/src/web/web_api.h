/*
 * web_api.h - the routes of the web API (docs/api.md) and what the server
 * (web.c) and the handlers (web_api.c, web_auth.c, web_users.c) share.
 *
 * Owns: the route table, which is the one list of what the API serves and
 * which routes need no session (WEB_PUBLIC) or the admin role
 * (WEB_ADMIN); the router in web.c enforces these flags, handlers never
 * check sessions themselves. Also: the request's form (web_request_form:
 * a body is one JSON object sent as application/json, read by the strict
 * reader of json_parse.h), the accessors of body members and query
 * parameters (each refuses what docs/api.md does not allow, with a 400 and
 * a reason), error answers, the audit log and the store connections of the
 * web stage.
 */
#ifndef VIGIL_WEB_API_H
#define VIGIL_WEB_API_H

#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "core/json_parse.h"
#include "web.h"

#define WEB_BODY_MAX (64 * 1024)
#define AUTH_USER_BUF 65          /* a username (64) and its NUL */

struct web_throttle;

/* What every request may see of the server (immutable after start, but
 * the throttle table and the suppress.conf lock). */
struct web_env {
	struct web_config cfg;    /* strings copied at start */
	web_status_fn status;
	web_reload_fn reload;
	void *ctx;
	uint64_t started_us;
	int on_unix_socket;       /* listening on a UNIX socket (behind a proxy) */
	struct web_throttle *throttle;
	pthread_mutex_t suppress_lock;
};

struct web_session {
	char id_hash[65];         /* SHA-256 of the cookie value, hex */
	char user[AUTH_USER_BUF];
	char role[16];
	char csrf[65];
	int must_change;          /* the password was set by someone else:
				   * only WEB_PWCHANGE routes until it is changed */
};

/* One API request and its answer. */
struct web_req {
	struct web_env *env;
	struct MHD_Connection *conn;
	const char *method, *path;
	const char *body;         /* NUL-terminated; "" when there is none */
	size_t body_len;
	struct jp_doc doc;        /* the body, parsed (an empty body reads as {}) */
	int64_t id;               /* {id} of the path, when the route has one */
	char name[AUTH_USER_BUF]; /* {name} of the path (a username), when it has one */
	sqlite3 *db;              /* a connection of the pool, for this request */
	struct web_session sess;  /* valid for routes that need a session */
	char client[64];          /* source address (throttling, audit) */

	int status;               /* the answer: status and JSON body ... */
	struct json out;
	struct MHD_Response *resp;/* ... or a ready response (streams) */
	char cookie[256];         /* Set-Cookie, when not "" */
	unsigned retry_after;     /* Retry-After, when not 0 */
};


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

/* Answer status with {"error": "..."}. */
void web_error(struct web_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Start a JSON object answer with status (the handler adds members and
 * the caller closes it with json_obj_end). */
void web_ok_begin(struct web_req *r, int status);

/* A connection to the store for the web stage: busy timeout, foreign keys. */
int web_db_open(const char *path, sqlite3 **db, char *err, size_t errlen);

/* The request's form, checked by the router before the session: a body
 * only on POST, sent as application/json (else 415) and holding one
 * strict JSON object (parsed into r->doc); no query parameters on POST;
 * Content-Type and X-CSRF-Token at most once. 0, or -1 with the error
 * answered. */
int web_request_form(struct web_req *r);
/* Is ct (a Content-Type value) application/json, in any case, with
 * optional parameters of which a charset must be UTF-8? */
int web_content_type_json(const char *ct);

/* Request body: no member outside allowed (NULL-terminated). 0, or -1
 * with the error answered. */
int web_body_object(struct web_req *r, const char *const *allowed);
/* The accessors of body members: 1 present, 0 absent (the error answered
 * when required), -1 error answered. null is a value of its own, never the
 * same as leaving a member out.
 * A string into out (at most maxchars characters, fitting outlen). */
int web_body_str(struct web_req *r, const char *key, char *out, size_t outlen,
		 size_t maxchars, int required);
/* An integer (no fraction, no exponent: 1.0 is refused) within min..max. */
int web_body_i64(struct web_req *r, const char *key, int64_t min, int64_t max, int64_t *out,
		 int required);
/* true or false. */
int web_body_bool(struct web_req *r, const char *key, int *out, int required);
/* A list of 1..max distinct ids (integers >= 1) into ids; *n gets the count.
 * Always required. */
int web_body_ids(struct web_req *r, const char *key, int64_t *ids, int max, int *n);

/* Characters (code points) of s, valid UTF-8 (what the body accessors
 * hand out), or -1 when it is not: "at least 10 characters" counts these,
 * not bytes. */
long web_text_chars(const char *s);

/* Query parameters: only these (NULL-terminated), each at most once and
 * with a value ("?limit" alone is refused), valid UTF-8. 0, or -1 with the
 * error answered. */
int web_params_check(struct web_req *r, const char *const *allowed);

/* Append to the audit log. */
void web_audit(sqlite3 *db, const char *user, const char *action, const char *target,
	       const char *detail);

uint64_t web_now_us(void);

#endif
