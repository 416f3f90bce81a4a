/*
 * web_req.h - one request of the web API (docs/api.md): what the server
 * (web.c) hands a route handler and what the handlers share.
 *
 * Owns: the request and its answer (struct web_req), the request's form (web_request_form:
 * a body is one JSON object sent as application/json, read by the strict
 * reader of json_parse.h), the accessors of body members and query
 * parameters (each refuses what docs/api.md does not allow, with a 400 and
 * a reason), error answers, the audit log and the store connections of the
 * web stage.
 */
#ifndef VIGIL_WEB_REQ_H
#define VIGIL_WEB_REQ_H

#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "core/json_parse.h"
#include "web_config.h"

#define WEB_BODY_MAX (64 * 1024)
#define WEB_LIST_MAX 500          /* rows of one page of a list */
#define WEB_LIST_DEFAULT 50
#define WEB_OFFSET_MAX 10000000
#define WEB_TIME_MAX ((int64_t)1 << 62)   /* microseconds: far beyond any real time */
#define WEB_DAY_US (86400LL * 1000000)
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

/* A database error: logged, answered 500. */
void web_db_error(struct web_req *r);

/* Query parameters after web_params_check: the value of name, or NULL. */
const char *web_param(struct web_req *r, const char *name);
/* The accessors of query parameters: 1 present, 0 absent, -1 error
 * answered (400 with the reason).
 * A decimal integer written plainly (an optional '-', no '+', no spaces,
 * no leading zeros, no "-0", no fraction or exponent) within min..max. */
int web_param_i64(struct web_req *r, const char *name, int64_t min, int64_t max, int64_t *out);
/* One of the words in choices (NULL-terminated), into out. */
int web_param_choice(struct web_req *r, const char *name, const char *const *choices,
		     char *out, size_t outlen);
/* An IP address, written back as vigil writes them (inet_ntop). */
int web_param_host(struct web_req *r, const char *name, char *out, size_t outlen);
/* from and to (microseconds, 0..WEB_TIME_MAX), from not after to: 0, or -1
 * answered. */
int web_param_range(struct web_req *r, int64_t *from, int64_t *to, int *has_from, int *has_to);

/* Append to the audit log: 0, or -1 (logged). A change made in a
 * transaction calls it before COMMIT and rolls back when it fails: no
 * change without its audit row. */
int web_audit(sqlite3 *db, const char *user, const char *action, const char *target,
	       const char *detail);


#endif
