/*
 * web.c - the web stage's HTTP server (see web.h): libmicrohttpd with one
 * thread per connection, on a TCP address or a UNIX socket.
 *
 * Owns: the listening socket, the wiring of libmicrohttpd's callbacks to
 * the connection rules of web_conn.c (who may connect, deadlines for the
 * request to arrive), the request target's form (no NUL, no bad %-escape,
 * no raw byte outside printable ASCII), request bodies (64 KiB at most),
 * the router (the one place that decides, from the flags of web_routes[],
 * which requests need a session, a CSRF token or the admin role, and which
 * a session with a password change due may use), the pool of store
 * connections the handlers use, the static files of the page and
 * the headers every answer carries.
 *
 * The order of refusals for an API request: 404/405 (route), 413 (body
 * size), 400 (id), 415/400 (the request's form: web_request_form), 401/403
 * (session, CSRF, role), then the handler's own answers.
 */
#include "web.h"
#include "core/clock.h"
#include "core/log.h"
#include "output/store.h"
#include "web_auth.h"
#include "web_conn.h"
#include "web_req.h"
#include "web_routes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define WEB_POOL 4                 /* store connections shared by the requests */
#define WEB_CONN_TIMEOUT_S 60      /* idle, while the answer is sent (web_conn.h: before) */
#define WEB_DISCARD_MAX (1024 * 1024) /* oversized body read (and dropped) before hanging up */

static const char csp[] =
	"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
	"frame-ancestors 'none'";

struct web {
	struct web_env env;
	struct MHD_Daemon *mhd;
	struct web_conns *conns;       /* admission and request deadlines */
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char static_real[PATH_MAX];    /* realpath of static_dir, "" when none */

	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	sqlite3 *pool[WEB_POOL];
	int pool_busy[WEB_POOL];
};

/* Per-request state kept by libmicrohttpd between the handler's calls
 * (made by on_uri, before the headers are read). */
struct conn_state {
	char *body;
	size_t len;
	size_t dropped;            /* bytes read beyond WEB_BODY_MAX */
	int started;               /* the handler saw the headers */
	int answered;              /* a response was queued */
	const char *bad_target;    /* why the raw request target is refused, or NULL */
	struct web_conn *wc;       /* the connection's entry (deadlines) */
};

/* ---- store connections ------------------------------------------------------------ */

static sqlite3 *pool_get(struct web *w)
{
	struct timespec until;
	sqlite3 *db = NULL;

	until = timespec_in_ms(0, 10000);
	pthread_mutex_lock(&w->pool_lock);
	for (;;) {
		for (int i = 0; i < WEB_POOL; i++) {
			if (!w->pool_busy[i] && w->pool[i]) {
				w->pool_busy[i] = 1;
				db = w->pool[i];
				break;
			}
		}
		if (db || pthread_cond_timedwait(&w->pool_cond, &w->pool_lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&w->pool_lock);
	return db;
}

static void pool_put(struct web *w, sqlite3 *db)
{
	/* a handler that failed half-way leaves no transaction behind */
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&w->pool_lock);
	for (int i = 0; i < WEB_POOL; i++)
		if (w->pool[i] == db)
			w->pool_busy[i] = 0;
	pthread_cond_signal(&w->pool_cond);
	pthread_mutex_unlock(&w->pool_lock);
}

/* ---- answers ------------------------------------------------------------------------ */

static void add_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	add_common_headers(resp);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A JSON body (taken over: freed by libmicrohttpd). */
static struct MHD_Response *json_response(struct json *j)
{
	struct MHD_Response *resp;

	if (j->oom || !j->buf) {
		json_free(j);
		return NULL;
	}
	resp = MHD_create_response_from_buffer(j->len, j->buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		json_free(j);
		return NULL;
	}
	json_init(j);  /* the buffer belongs to the response now */
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return resp;
}

__attribute__((format(printf, 4, 5)))
static enum MHD_Result answer_error(struct MHD_Connection *conn, unsigned status,
				    const char *allow, const char *fmt, ...)
{
	struct MHD_Response *resp;
	struct json j;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "error");
	json_str(&j, msg);
	json_obj_end(&j);
	resp = json_response(&j);
	if (resp && allow)
		MHD_add_response_header(resp, "Allow", allow);
	return queue(conn, status, resp);
}

/* ---- the router --------------------------------------------------------------------- */

/* Does url match pattern? {id} matches a run of decimal digits; *id gets
 * its value, or -1 when it does not fit in 63 bits, -2 when it has a
 * leading zero ("007": one alert has one name). {name} matches a username
 * (1-64 of the characters usernames are made of) into name. */
static int route_match(const char *pattern, const char *url, int64_t *id,
		       char name[AUTH_USER_BUF])
{
	const char *p = pattern, *u = url;

	while (*p && *u) {
		if (strncmp(p, "{name}", 6) == 0) {
			size_t n = 0;
			while (u[n] && (isalnum((unsigned char)u[n]) || strchr("._@-", u[n])))
				n++;
			if (n == 0 || n > AUTH_USERNAME_MAX)
				return 0;
			memcpy(name, u, n);
			name[n] = '\0';
			u += n;
			p += 6;
			continue;
		}
		if (strncmp(p, "{id}", 4) == 0) {
			const char *s = u;
			int64_t v = 0;
			while (*u >= '0' && *u <= '9') {
				if (v > (INT64_MAX - 9) / 10)
					v = -1;
				if (v >= 0)
					v = v * 10 + (*u - '0');
				u++;
			}
			if (u == s)
				return 0;
			*id = (*s == '0' && u - s > 1 && v >= 0) ? -2 : v;
			p += 4;
			continue;
		}
		if (*p != *u)
			return 0;
		p++;
		u++;
	}
	return *p == '\0' && *u == '\0';
}

/* The client's address: the peer of a TCP connection; behind the proxy on
 * the UNIX socket, the last address the proxy put in X-Forwarded-For. */
static void client_address(struct web *w, struct MHD_Connection *conn, char *out, size_t outlen)
{
	snprintf(out, outlen, "unknown");
	if (w->env.on_unix_socket) {
		const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
		char buf[128];
		unsigned char tmp[16];

		snprintf(out, outlen, "unix");
		if (!xff)
			return;
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ')
			last++;
		snprintf(buf, sizeof buf, "%s", last);
		buf[strcspn(buf, " ")] = '\0';
		if (strlen(buf) < INET6_ADDRSTRLEN &&
		    (inet_pton(AF_INET, buf, tmp) == 1 || inet_pton(AF_INET6, buf, tmp) == 1))
			snprintf(out, outlen, "%.*s", INET6_ADDRSTRLEN, buf);
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out,
			  (socklen_t)outlen);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
			  (socklen_t)outlen);
}

/* Session, CSRF token, role and a due password change as the route's
 * flags demand: 1, or 0 with the refusal answered. */
static int authorize(struct web_req *r, const struct web_route *route)
{
	const char *cookie, *csrf;

	if (route->flags & WEB_PUBLIC)
		return 1;
	cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "vigil_session");
	csrf = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
	if (!auth_session_get(r->db, cookie, &r->sess)) {
		web_error(r, 401, "not logged in");
		return 0;
	}
	if (strcmp(r->method, "POST") == 0 && (!csrf || !auth_equal(csrf, r->sess.csrf))) {
		web_error(r, 403, "missing or wrong X-CSRF-Token");
		return 0;
	}
	if ((route->flags & WEB_ADMIN) && strcmp(r->sess.role, "admin") != 0) {
		web_error(r, 403, "only an admin may do this");
		return 0;
	}
	if (r->sess.must_change && !(route->flags & WEB_PWCHANGE)) {
		web_error(r, 403, "choose your own password first (POST /api/me/password)");
		return 0;
	}
	return 1;
}

static enum MHD_Result serve_api(struct web *w, struct MHD_Connection *conn, const char *url,
				 const char *method, struct conn_state *cs)
{
	const struct web_route *route = NULL;
	char allow[64] = "";
	struct web_req r;
	int64_t id = 0;
	char name[AUTH_USER_BUF] = "";

	for (size_t i = 0; i < web_n_routes; i++) {
		int64_t rid = 0;
		char rname[AUTH_USER_BUF] = "";
		if (!route_match(web_routes[i].pattern, url, &rid, rname))
			continue;
		if (strcmp(web_routes[i].method, method) == 0) {
			route = &web_routes[i];
			id = rid;
			memcpy(name, rname, sizeof name);
			break;
		}
		if (!strstr(allow, web_routes[i].method))
			snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
				 allow[0] ? ", " : "", web_routes[i].method);
	}
	if (!route) {
		if (allow[0])
			return answer_error(conn, 405, allow, "method %s not allowed here", method);
		return answer_error(conn, 404, NULL, "no such API route");
	}
	if (cs->dropped)
		return answer_error(conn, 413, NULL, "request body larger than %d bytes", WEB_BODY_MAX);
	if (id == -2)
		return answer_error(conn, 400, NULL, "id: a decimal number without leading zeros");
	if (id < 0)
		return answer_error(conn, 400, NULL, "id out of range");

	memset(&r, 0, sizeof r);
	json_init(&r.out);
	r.env = &w->env;
	r.conn = conn;
	r.method = method;
	r.path = url;
	r.body = cs->body ? cs->body : "";
	r.body_len = cs->len;
	r.id = id;
	memcpy(r.name, name, sizeof r.name);
	r.status = 500;
	client_address(w, conn, r.client, sizeof r.client);
	if (web_request_form(&r) == 0) {
		r.db = pool_get(w);
		if (!r.db) {
			jp_free(&r.doc);
			json_free(&r.out);
			return answer_error(conn, 503, NULL, "busy: no database connection free");
		}
		if (authorize(&r, route))
			route->handler(&r);
		pool_put(w, r.db);
	}
	jp_free(&r.doc);

	struct MHD_Response *resp = r.resp;
	if (resp)
		json_free(&r.out);
	else
		resp = json_response(&r.out);
	if (!resp)
		return answer_error(conn, 500, NULL, "out of memory");
	if (r.cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", r.cookie);
	if (r.retry_after) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", r.retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	log_debug("web: %s %s %d (%s)", method, url, r.status, r.client);
	return queue(conn, (unsigned)r.status, resp);
}

/* ---- static files -------------------------------------------------------------------- */

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".map", "application/json" },
		{ ".webmanifest", "application/manifest+json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".ico", "image/x-icon" },
		{ ".webp", "image/webp" },
		{ ".woff", "font/woff" },
		{ ".woff2", "font/woff2" },
		{ ".ttf", "font/ttf" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".wasm", "application/wasm" },
	};
	const char *dot = strrchr(path, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static enum MHD_Result serve_static(struct web *w, struct MHD_Connection *conn, const char *url,
				    const char *method)
{
	char full[PATH_MAX + 256], real[PATH_MAX], etag[64];
	struct stat sb;
	size_t rootlen = strlen(w->static_real);
	int fd;

	if (strcmp(method, "GET") != 0)
		return answer_error(conn, 405, "GET", "method %s not allowed here", method);
	/* libmicrohttpd has decoded %xx already: "%2e%2e" arrives as ".." */
	if (url[0] != '/' || strstr(url, "..") || strchr(url, '\\') || strstr(url, "//"))
		return answer_error(conn, 400, NULL, "bad path");
	if (!w->static_real[0])
		return answer_error(conn, 404, NULL, "no such file");
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	if (strstr(url, "/."))           /* hidden files (.git, .env, ...) */
		return answer_error(conn, 404, NULL, "no such file");
	if (snprintf(full, sizeof full, "%s%s", w->static_real, url) >= (int)sizeof full ||
	    !realpath(full, real) || strncmp(real, w->static_real, rootlen) != 0 ||
	    real[rootlen] != '/')
		return answer_error(conn, 404, NULL, "no such file");
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return answer_error(conn, 404, NULL, "no such file");
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return answer_error(conn, 404, NULL, "no such file");
	}
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)sb.st_mtime,
		 (unsigned long long)sb.st_size);
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
	struct MHD_Response *resp;
	unsigned status = 200;
	if (inm && strcmp(inm, etag) == 0) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = 304;
	} else {
		resp = MHD_create_response_from_fd64((uint64_t)sb.st_size, fd);  /* closes fd */
		if (!resp)
			close(fd);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", content_type(real));
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "ETag", etag);
	return queue(conn, status, resp);
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct web *w = cls;
	struct conn_state *cs = *con_cls;

	if (!cs)
		return MHD_NO;           /* on_uri could not allocate it */
	if (!cs->started) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

		cs->started = 1;
		web_conn_headers_done(w->conns, cs->wc, mono_ms());
		if (cl && strtoull(cl, NULL, 10) > WEB_BODY_MAX) {
			/* refuse before reading it; libmicrohttpd closes the connection */
			cs->answered = 1;
			web_conn_request_done(w->conns, cs->wc);
			return answer_error(conn, 413, NULL, "request body larger than %d bytes",
					    WEB_BODY_MAX);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (cs->answered)
			return MHD_YES;
		if (cs->dropped || cs->len + n > WEB_BODY_MAX) {
			cs->dropped += n;
			return cs->dropped > WEB_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		char *nb = realloc(cs->body, cs->len + n + 1);
		if (!nb)
			return MHD_NO;
		cs->body = nb;
		memcpy(cs->body + cs->len, upload_data, n);
		cs->len += n;
		cs->body[cs->len] = '\0';
		return MHD_YES;
	}
	if (cs->answered)
		return MHD_YES;
	cs->answered = 1;
	web_conn_request_done(w->conns, cs->wc);
	if (cs->bad_target)
		return answer_error(conn, 400, NULL, "bad request target: %s", cs->bad_target);
	if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0)
		return serve_api(w, conn, url, method, cs);
	return serve_static(w, conn, url, method);
}

/* Why the raw request target (path and query, before libmicrohttpd
 * decodes them) is refused, or NULL: a %00 (decoded, the text would end
 * there and the rest be silently dropped), a '%' without two hex digits
 * after it, a byte that is not printable ASCII (RFC 3986: such bytes are
 * sent %-escaped). */
static const char *target_problem(const char *uri)
{
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return "a byte that is not printable ASCII (escape it as %XX)";
		if (*p != '%')
			continue;
		if (!isxdigit(p[1]) || !isxdigit(p[2]))
			return "'%' without two hex digits after it";
		if (p[1] == '0' && p[2] == '0')
			return "%00 (NUL)";
		p += 2;
	}
	return NULL;
}

static struct web_conn *conn_entry(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The raw request URI, before libmicrohttpd decodes it: where a %00 can
 * still be seen. Returns the request's state (the handler's *con_cls). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct conn_state *cs = calloc(1, sizeof *cs);

	if (cs) {
		cs->bad_target = target_problem(uri);
		cs->wc = conn_entry(conn);
	}
	web_conn_request_started(((struct web *)cls)->conns, cs ? cs->wc : conn_entry(conn));
	return cs;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct web *w = cls;
	struct conn_state *cs = *con_cls;

	/* the next request on this connection has its own header deadline */
	web_conn_answer_done(w->conns, cs ? cs->wc : conn_entry(conn), mono_ms());
	if (cs) {
		free(cs->body);
		free(cs);
		*con_cls = NULL;
	}
}

/* At accept, before libmicrohttpd reads anything: admission (web_conn.h). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct web *w = cls;

	return web_conns_admit(w->conns, addr, addrlen) ? MHD_YES : MHD_NO;
}

/* A connection opened (its header deadline starts) or closed. libmicrohttpd
 * reports the close before it closes the socket (web_conn.c relies on it). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct web *w = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ad ? ad->client_addr : NULL;
		socklen_t len = !sa ? 0 : sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
			      : sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;

		*socket_context = web_conns_opened(w->conns, len ? sa : NULL, len,
						   fd ? fd->connect_fd : -1, mono_ms());
		if (!*socket_context && fd)
			shutdown(fd->connect_fd, SHUT_RDWR);   /* no entry: no deadline, no service */
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		web_conns_closed(w->conns, *socket_context);
		*socket_context = NULL;
	}
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("web: libmicrohttpd: %s", msg);
}

/* ---- listening ------------------------------------------------------------------------- */

/* A UNIX socket at path (mode 0660): a stale socket file is removed, a
 * live one (another server answers) or any other file is an error. */
static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "unix socket path empty or longer than %zu bytes",
			 sizeof sun.sun_path - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(fd);
			snprintf(err, errlen, "%s: another server is listening on it", path);
			return -1;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, 0660) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* "127.0.0.1:8080" or "[::1]:8080". */
static int listen_tcp(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char host[64];
	const char *colon = strrchr(addr, ':');
	unsigned long port;
	char *end;
	int fd, one = 1;

	if (!colon || colon == addr || !colon[1]) {
		snprintf(err, errlen, "listen address '%s': expected HOST:PORT, [IPv6]:PORT or unix:PATH",
			 addr);
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535 || !(colon[1] >= '0' && colon[1] <= '9')) {
		snprintf(err, errlen, "listen address '%s': bad port", addr);
		return -1;
	}
	size_t hl = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hl < 3 || addr[hl - 1] != ']' || hl - 2 >= sizeof host) {
			snprintf(err, errlen, "listen address '%s': bad IPv6 literal", addr);
			return -1;
		}
		memcpy(host, addr + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		if (hl >= sizeof host) {
			snprintf(err, errlen, "listen address '%s': bad host", addr);
			return -1;
		}
		memcpy(host, addr, hl);
		host[hl] = '\0';
	}
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (addr[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sslen = sizeof *sin;
	} else if (addr[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sslen = sizeof *sin6;
	} else {
		snprintf(err, errlen, "listen address '%s': the host must be an IPv4 address or"
			 " a bracketed IPv6 address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "listen on %s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- start / stop ----------------------------------------------------------------------- */

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void free_env(struct web_env *e)
{
	free((char *)e->cfg.listen);
	free((char *)e->cfg.static_dir);
	free((char *)e->cfg.db_path);
	free((char *)e->cfg.state_dir);
	free((char *)e->cfg.evidence_dir);
	free((char *)e->cfg.home_net);
	throttle_free(e->throttle);
}

/* Make sure the store has the web's tables (schema 3): migrate an older
 * database the way every vigil command does. */
static int ensure_schema(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int version = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s has schema version %d, newer than this vigil's %d", path,
			 version, STORE_SCHEMA_VERSION);
		return -1;
	}
	struct store *s = store_open(path, 0, err, errlen);
	if (!s)
		return -1;
	return store_close(s) == 0 ? 0 : (snprintf(err, errlen, "%s: migration failed", path), -1);
}

struct web *web_start(const struct web_config *cfg, web_status_fn status,
		      web_reload_fn reload, void *ctx, char *err, size_t errlen)
{
	char e2[256], token[80];
	struct web *w;
	int fd = -1;

	if (!cfg || !cfg->listen || !*cfg->listen || !cfg->db_path || !*cfg->db_path ||
	    !cfg->state_dir || !*cfg->state_dir) {
		snprintf(err, errlen, "web: listen, database and state_dir must be set");
		return NULL;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "web: out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->pool_lock, NULL);
	pthread_cond_init(&w->pool_cond, NULL);
	pthread_mutex_init(&w->env.suppress_lock, NULL);
	w->env.cfg = *cfg;
	w->env.cfg.listen = dup_or_empty(cfg->listen);
	w->env.cfg.static_dir = dup_or_empty(cfg->static_dir);
	w->env.cfg.db_path = dup_or_empty(cfg->db_path);
	w->env.cfg.state_dir = dup_or_empty(cfg->state_dir);
	w->env.cfg.evidence_dir = dup_or_empty(cfg->evidence_dir);
	w->env.cfg.home_net = dup_or_empty(cfg->home_net);
	w->env.status = status;
	w->env.reload = reload;
	w->env.ctx = ctx;
	w->env.started_us = wall_us();
	w->env.throttle = throttle_new();
	w->conns = web_conns_new(strncmp(cfg->listen, "unix:", 5) != 0);
	if (!w->env.cfg.listen || !w->env.cfg.static_dir || !w->env.cfg.db_path ||
	    !w->env.cfg.state_dir || !w->env.cfg.evidence_dir || !w->env.cfg.home_net || !w->env.throttle || !w->conns) {
		snprintf(err, errlen, "web: out of memory");
		goto fail;
	}
	if (cfg->static_dir && *cfg->static_dir) {
		if (!realpath(cfg->static_dir, w->static_real)) {
			log_warn("web: static files: %s: %s (only the API is served)", cfg->static_dir,
				 strerror(errno));
			w->static_real[0] = '\0';
		}
	}

	if (ensure_schema(cfg->db_path, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "web: %s", e2);
		goto fail;
	}
	for (int i = 0; i < WEB_POOL; i++) {
		if (web_db_open(cfg->db_path, &w->pool[i], e2, sizeof e2) != 0) {
			snprintf(err, errlen, "web: %s", e2);
			goto fail;
		}
	}
	if (auth_setup_init(w->pool[0], cfg->state_dir, token, sizeof token, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "web: setup token: %s", e2);
		goto fail;
	}
	explicit_bzero(token, sizeof token);

	if (strncmp(cfg->listen, "unix:", 5) == 0) {
		fd = listen_unix(cfg->listen + 5, e2, sizeof e2);
		if (fd >= 0)
			snprintf(w->unix_path, sizeof w->unix_path, "%s", cfg->listen + 5);
		w->env.on_unix_socket = 1;
	} else {
		fd = listen_tcp(cfg->listen, e2, sizeof e2);
	}
	if (fd < 0) {
		snprintf(err, errlen, "web: %s", e2);
		goto fail;
	}
	if (web_conns_start(w->conns, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "web: %s", e2);
		close(fd);
		goto fail;
	}
	/* strict: an HTTP/1.1 request without Host, a space in the target:
	 * refused by libmicrohttpd itself. The connection limit is ours
	 * (web_conns_admit, counting until libmicrohttpd reports the close);
	 * libmicrohttpd counts a connection until its thread is joined, later,
	 * and closes new ones unanswered at its limit: a burst right after
	 * another (40 clients, then 40 more) was reset while the first
	 * burst's finished threads waited to be joined on a slow machine.
	 * Its limit leaves room for those. */
	w->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				  MHD_USE_POLL | MHD_USE_ERROR_LOG,
				  0, on_accept, w, on_request, w,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * WEB_CONN_MAX),
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_CONN_TIMEOUT_S,
				  MHD_OPTION_STRICT_FOR_CLIENT, 1,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, w,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, w,
				  MHD_OPTION_END);
	if (!w->mhd) {
		snprintf(err, errlen, "web: cannot start the HTTP server on %s", cfg->listen);
		close(fd);
		goto fail;
	}
	log_info("web: listening on %s", cfg->listen);
	return w;

fail:
	if (w->unix_path[0])
		unlink(w->unix_path);
	for (int i = 0; i < WEB_POOL; i++)
		sqlite3_close(w->pool[i]);
	web_conns_free(w->conns);
	free_env(&w->env);
	pthread_mutex_destroy(&w->pool_lock);
	pthread_cond_destroy(&w->pool_cond);
	pthread_mutex_destroy(&w->env.suppress_lock);
	free(w);
	return NULL;
}

void web_stop(struct web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->mhd);   /* waits for the connection threads; closes the socket */
	web_conns_free(w->conns);  /* after: the callbacks use it to the end */
	if (w->unix_path[0])
		unlink(w->unix_path);
	for (int i = 0; i < WEB_POOL; i++)
		sqlite3_close(w->pool[i]);
	free_env(&w->env);
	pthread_mutex_destroy(&w->pool_lock);
	pthread_cond_destroy(&w->pool_cond);
	pthread_mutex_destroy(&w->env.suppress_lock);
	free(w);
}
