/*
 * fuzz_web.c - the web API's request handling: libmicrohttpd's parser,
 * web.c's router and its session, CSRF and role checks, every handler
 * (query strings, JSON bodies, ids), static files, over a real store.
 *
 * The server is the real one, started with web_start() in this process
 * on a UNIX socket, as the appliance runs it behind lighttpd; each input
 * is one HTTP request sent over a fresh connection and its whole answer
 * read back. No part of the server is replaced: the same entry point,
 * the same threads, the same store connections. The store is a template
 * made once from real captures (the pipeline with rules/default and the
 * detection tests' rule sets), so alerts, flows and their details exist.
 *
 * Input (text; tests/fuzz/seeds/web has examples):
 *   line 1   who asks: 0 nobody, 1 the admin, 2 an analyst, 3 the admin
 *            without the X-CSRF-Token header, 4 the admin with a wrong one
 *   line 2   METHOD TARGET (bytes a request line cannot carry are
 *            %-encoded; a target not starting with '/' gets one)
 *   lines    header lines "Name: value" up to an empty line (Host,
 *            Content-Length, Connection, Transfer-Encoding and Expect are
 *            the harness's; so are Cookie and X-CSRF-Token when someone
 *            asks); Content-Type: application/json unless given
 *   rest     the body
 *
 * Checked beyond "no crash" and "an answer within 60 s": a status line
 * with a status 100-599 and never 500; the security headers on every
 * answer; API answers are JSON without repeated keys, valid UTF-8, with
 * Cache-Control: no-store, errors as {"error": "..."}; an EVE export is
 * JSON lines; no answer contains a file outside the static folder, a
 * password hash or another session's cookie (that the request did not
 * carry: answers may echo what they were sent); a route that needs a
 * session (per the server's own GET /api/routes) never succeeds without
 * one, an admin route never for the analyst, a POST never without the
 * right CSRF token; a suppress.conf the web writes loads without a
 * problem (the reload callback loads it as the daemon would).
 *
 * State carries over between inputs (notes, statuses, logouts): a session
 * the fuzzer ended is renewed by logging in again (changing the password
 * first when the account must: new accounts, resets), and the whole
 * environment is rebuilt from the template when that fails and every
 * 20000 inputs. Memory leaks are looked for then too (libFuzzer's own
 * per-input check does not suit a server with threads: run it with
 * -detect_leaks=0, as tests/fuzz/run.sh does).
 */
#include "fuzz.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/capture/capture.h"
#include "core/log.h"
#include "output/pipeline.h"
#include "detect/ruleset.h"
#include "web/web.h"

#ifndef VIGIL_FUZZ_SRCDIR
#define VIGIL_FUZZ_SRCDIR "."
#endif

#define ADMIN_PW "fuzz admin password 1"
#define ANALYST_PW "fuzz analyst password 1"
#define RESET_EVERY 20000
#define ANSWER_MAX (64 * 1024 * 1024)

enum { WHO_NOBODY, WHO_ADMIN, WHO_ANALYST, WHO_ADMIN_NO_CSRF, WHO_ADMIN_BAD_CSRF };

struct session {
	const char *user, *password;
	char pwbuf[2][96];       /* passwords the harness set (password points here) */
	char cookie[160];
	char csrf[100];
	int valid;
};

struct route {
	char method[16];
	char pattern[128];
	int session, admin;
};

static struct {
	char template_db[600];
	char dir[700], db[800], state[800], sock[800], stat[800];
	struct web *w;
	struct session s[2];     /* admin, analyst */
	struct route routes[128];
	int n_routes;
	unsigned login_seq;      /* X-Forwarded-For of the harness's own logins */
	long password_seq;
	long inputs, envs;
	struct homenet home;
	/* what no answer may hold: a file beside the static folder (random
	 * text), the password hashes, the sessions' cookies (E.s) - unless a
	 * request carried it first (then the server may have stored it) */
	char secret[64];
	char hashes[4][256];
	int n_hashes;
	int secret_sent, hash_sent[4], cookie_sent[2];
} E;

struct answer {
	char *raw;
	size_t rawlen;
	int status;
	char *head;              /* header lines, NUL-terminated copy */
	char *body;              /* de-chunked */
	size_t bodylen;
};

/* ---- HTTP over the UNIX socket ----------------------------------------------------- */

static const char *find_header(const struct answer *a, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = a->head; p && *p;) {
		const char *nl = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			return p;   /* up to "\r\n" */
		}
		p = nl ? nl + 2 : NULL;
	}
	return NULL;
}

static int header_is(const struct answer *a, const char *name, const char *value)
{
	const char *v = find_header(a, name);
	size_t n = strlen(value);

	return v && strncmp(v, value, n) == 0 && (v[n] == '\r' || v[n] == '\0');
}

static void answer_free(struct answer *a)
{
	free(a->raw);
	free(a->head);
	free(a->body);
	memset(a, 0, sizeof *a);
}

/* A chunked body into a->body. */
static void dechunk(struct answer *a, const char *p, const char *end)
{
	a->body = malloc((size_t)(end - p) + 1);
	a->bodylen = 0;
	if (!a->body)
		fuzz_fail("out of memory");
	for (;;) {
		char *e;
		unsigned long n = strtoul(p, &e, 16);
		const char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (e == p || !crlf)
			fuzz_fail("bad chunk header in a chunked answer");
		p = crlf + 2;
		if (n == 0)
			break;
		if ((size_t)(end - p) < n + 2 || p[n] != '\r' || p[n + 1] != '\n')
			fuzz_fail("chunk of %lu bytes cut short", n);
		memcpy(a->body + a->bodylen, p, n);
		a->bodylen += n;
		p += n + 2;
	}
	a->body[a->bodylen] = '\0';
}

/* Send one request on a new connection, read the whole answer. */
static void http(const char *req, size_t len, struct answer *a)
{
	struct sockaddr_un sun;
	struct timeval tv = { 60, 0 };
	size_t cap = 65536;
	int fd;

	memset(a, 0, sizeof *a);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, E.sock, strlen(E.sock) + 1);   /* length checked by env_start */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		fuzz_fail("connect %s: %s", E.sock, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;   /* the server may answer (413) and close before reading it all */
		off += (size_t)n;
	}
	a->raw = malloc(cap);
	if (!a->raw)
		fuzz_fail("out of memory");
	for (;;) {
		if (a->rawlen + 1 >= cap) {
			if (cap >= ANSWER_MAX)
				fuzz_fail("answer larger than %d bytes", ANSWER_MAX);
			cap *= 2;
			a->raw = realloc(a->raw, cap);
			if (!a->raw)
				fuzz_fail("out of memory");
		}
		ssize_t n = recv(fd, a->raw + a->rawlen, cap - a->rawlen - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fuzz_fail("no complete answer within 60 s (%zu bytes so far)", a->rawlen);
		if (n < 0 && errno == ECONNRESET)
			break;
		if (n < 0)
			fuzz_fail("recv: %s", strerror(errno));
		if (n == 0)
			break;
		a->rawlen += (size_t)n;
	}
	close(fd);
	a->raw[a->rawlen] = '\0';

	const char *eoh = memmem(a->raw, a->rawlen, "\r\n\r\n", 4);
	if (a->rawlen < 12 || memcmp(a->raw, "HTTP/1.", 7) != 0 || !eoh)
		fuzz_fail("no HTTP answer (%zu bytes: %.80s)", a->rawlen, a->raw);
	if (!(a->raw[9] >= '1' && a->raw[9] <= '5' && a->raw[10] >= '0' && a->raw[10] <= '9' &&
	      a->raw[11] >= '0' && a->raw[11] <= '9'))
		fuzz_fail("bad status line: %.40s", a->raw);
	a->status = atoi(a->raw + 9);
	const char *hs = strstr(a->raw, "\r\n") + 2;
	a->head = strndup(hs, (size_t)(eoh + 2 - hs));
	if (!a->head)
		fuzz_fail("out of memory");
	const char *b = eoh + 4, *end = a->raw + a->rawlen;
	if (header_is(a, "Transfer-Encoding", "chunked")) {
		dechunk(a, b, end);
	} else {
		a->bodylen = (size_t)(end - b);
		a->body = malloc(a->bodylen + 1);
		if (!a->body)
			fuzz_fail("out of memory");
		memcpy(a->body, b, a->bodylen);
		a->body[a->bodylen] = '\0';
	}
}

/* A request the harness itself makes (setup, logins). */
static void request(struct answer *a, const char *method, const char *path,
		    const struct session *s, const char *xff, const char *body)
{
	char req[8192];
	int n;

	n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n",
		     method, path);
	if (s)
		n += snprintf(req + n, sizeof req - (size_t)n,
			      "Cookie: vigil_session=%s\r\nX-CSRF-Token: %s\r\n", s->cookie, s->csrf);
	if (xff)
		n += snprintf(req + n, sizeof req - (size_t)n, "X-Forwarded-For: %s\r\n", xff);
	n += snprintf(req + n, sizeof req - (size_t)n,
		      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		      strlen(body), body);
	if (n >= (int)sizeof req)
		fuzz_fail("harness request too long");
	http(req, (size_t)n, a);
}

/* ---- the environment: a store, a server, two sessions ---------------------------------- */

struct json_pick {
	const char *key;
	int want;
	char out[256];
	int depth;
};

static void pick_event(void *ctx, int tok, const char *text, size_t len)
{
	struct json_pick *p = ctx;

	if (tok == FJ_OBJ || tok == FJ_ARR)
		p->depth++;
	else if (tok == FJ_OBJ_END || tok == FJ_ARR_END)
		p->depth--;
	else if (tok == FJ_KEY)
		p->want = p->depth == 1 && strcmp(text, p->key) == 0;
	else if (p->want && tok == FJ_STR) {
		snprintf(p->out, sizeof p->out, "%.*s", (int)len, text);
		p->want = 0;
	} else if (p->want && (tok == FJ_TRUE || tok == FJ_FALSE)) {
		snprintf(p->out, sizeof p->out, "%s", tok == FJ_TRUE ? "true" : "false");
		p->want = 0;
	}
}

/* A top-level string or boolean member of a JSON answer ("" if none). */
static void json_member(const struct answer *a, const char *key, char *out, size_t outlen)
{
	struct json_pick p = { key, 0, "", 0 };
	char why[200];

	fuzz_json_check(a->body, a->bodylen, 0, pick_event, &p, why, sizeof why);
	snprintf(out, outlen, "%s", p.out);
}

/* A session whose password must be changed first (a new account, a
 * reset) may only change it: do so, to a password of the harness's. */
static int change_password(struct session *s)
{
	struct answer a;
	char body[512];
	int ok;

	E.password_seq++;
	snprintf(s->pwbuf[E.password_seq & 1], sizeof s->pwbuf[0], "%s %ld", s->user == E.s[0].user ?
		 ADMIN_PW : ANALYST_PW, E.password_seq);
	snprintf(body, sizeof body, "{\"current\":\"%s\",\"password\":\"%s\"}", s->password,
		 s->pwbuf[E.password_seq & 1]);
	request(&a, "POST", "/api/me/password", s, NULL, body);
	ok = a.status == 200;
	answer_free(&a);
	if (ok)
		s->password = s->pwbuf[E.password_seq & 1];
	return ok ? 0 : -1;
}

static int login(struct session *s)
{
	struct answer a;
	char body[256], xff[64], must[8] = "";
	const char *c;

	E.login_seq++;
	snprintf(xff, sizeof xff, "198.18.%u.%u", (E.login_seq >> 8) & 255, E.login_seq & 255);
	snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", s->user, s->password);
	request(&a, "POST", "/api/login", NULL, xff, body);
	s->valid = 0;
	if (a.status == 200 && (c = find_header(&a, "Set-Cookie")) &&
	    strncmp(c, "vigil_session=", 14) == 0) {
		snprintf(s->cookie, sizeof s->cookie, "%.*s", (int)strcspn(c + 14, ";\r"), c + 14);
		json_member(&a, "csrf", s->csrf, sizeof s->csrf);
		json_member(&a, "must_change_password", must, sizeof must);
		s->valid = s->cookie[0] && s->csrf[0];
	}
	answer_free(&a);
	if (s->valid && !strcmp(must, "true") && change_password(s) != 0)
		s->valid = 0;
	return s->valid ? 0 : -1;
}

struct routes_ctx {
	int depth, field;
	struct route cur;
};

static void routes_event(void *ctx, int tok, const char *text, size_t len)
{
	struct routes_ctx *c = ctx;

	if (tok == FJ_OBJ || tok == FJ_ARR) {
		c->depth++;
		if (tok == FJ_OBJ && c->depth == 3)
			memset(&c->cur, 0, sizeof c->cur);
	} else if (tok == FJ_OBJ_END || tok == FJ_ARR_END) {
		if (tok == FJ_OBJ_END && c->depth == 3 && E.n_routes < 128)
			E.routes[E.n_routes++] = c->cur;
		c->depth--;
	} else if (tok == FJ_KEY && c->depth == 3) {
		c->field = !strcmp(text, "method") ? 1 : !strcmp(text, "path") ? 2 :
			   !strcmp(text, "session") ? 3 : !strcmp(text, "admin") ? 4 : 0;
	} else if (c->depth == 3) {
		if (c->field == 1 && tok == FJ_STR)
			snprintf(c->cur.method, sizeof c->cur.method, "%.*s", (int)len, text);
		else if (c->field == 2 && tok == FJ_STR)
			snprintf(c->cur.pattern, sizeof c->cur.pattern, "%.*s", (int)len, text);
		else if (c->field == 3)
			c->cur.session = tok == FJ_TRUE;
		else if (c->field == 4)
			c->cur.admin = tok == FJ_TRUE;
		c->field = 0;
	}
}

/* The server's own route table: which routes need a session or the admin. */
static void learn_routes(void)
{
	struct answer a;
	struct routes_ctx c;
	char why[200];

	memset(&c, 0, sizeof c);
	E.n_routes = 0;
	request(&a, "GET", "/api/routes", &E.s[0], NULL, "");
	if (a.status != 200 ||
	    fuzz_json_check(a.body, a.bodylen, 0, routes_event, &c, why, sizeof why) != 0 ||
	    E.n_routes == 0)
		fuzz_fail("GET /api/routes: %d %.200s", a.status, a.body);
	answer_free(&a);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char p[1100];

	if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, name) >= sizeof p)
		fuzz_fail("path too long: %s/%s", dir, name);
	fuzz_write_file(p, text, strlen(text));
}

/* The daemon's reload, reduced to what the web changes: the managed rule
 * set directory. What the web wrote must load without a problem. */
static int reload(void *ctx, char *msg, size_t msglen)
{
	struct fuzz_report rep;
	struct ruleset *rs;
	char dir[900];

	(void)ctx;
	snprintf(dir, sizeof dir, "%s/rules", E.state);
	fuzz_report_open(&rep);
	rs = ruleset_new(&E.home, rep.f);
	if (!rs)
		fuzz_fail("ruleset_new: out of memory");
	ruleset_load_dir(rs, dir);
	fflush(rep.f);
	if (ruleset_problems(rs))
		fuzz_fail("the suppress.conf the web wrote does not load: %.*s", (int)rep.len, rep.buf);
	ruleset_free(rs);
	fclose(rep.f);
	free(rep.buf);
	snprintf(msg, msglen, "reloaded");
	return 0;
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	char *buf = fuzz_read_file(from, &n);

	if (!buf)
		fuzz_fail("cannot read %s", from);
	fuzz_write_file(to, buf, n);
	free(buf);
}

static void read_hashes(void);

static void env_start(void)
{
	struct web_config cfg;
	struct answer a;
	char err[512], token[100] = "", path[1000], body[512], link[1000], listen[900];
	size_t n;

	E.envs++;
	snprintf(E.dir, sizeof E.dir, "%s/env%ld", fuzz_dir(), E.envs);
	snprintf(E.db, sizeof E.db, "%s/vigil.sqlite", E.dir);
	snprintf(E.state, sizeof E.state, "%s/state", E.dir);
	snprintf(E.sock, sizeof E.sock, "%s/web.sock", E.dir);
	snprintf(E.stat, sizeof E.stat, "%s/static", E.dir);
	if (strlen(E.sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		fuzz_fail("socket path %s too long for AF_UNIX: set TMPDIR to a shorter folder", E.sock);
	snprintf(path, sizeof path, "%s/static/assets", E.dir);
	if (mkdir(E.dir, 0700) || mkdir(E.state, 0700) || mkdir(E.stat, 0700) || mkdir(path, 0700))
		fuzz_fail("mkdir in %s: %s", E.dir, strerror(errno));
	copy_file(E.template_db, E.db);
	/* the page, a file outside it, and a link from inside to it */
	write_text(E.stat, "index.html", "<!doctype html><title>vigil</title>\n");
	write_text(path, "app.js", "console.log('vigil');\n");
	uint8_t rnd[12];
	if (getentropy(rnd, sizeof rnd) != 0)
		fuzz_fail("getentropy: %s", strerror(errno));
	snprintf(E.secret, sizeof E.secret, "VIGIL-FUZZ-SECRET-");
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(E.secret + strlen(E.secret), 3, "%02x", rnd[i]);
	E.secret_sent = 0;
	memset(E.hash_sent, 0, sizeof E.hash_sent);
	memset(E.cookie_sent, 0, sizeof E.cookie_sent);
	write_text(E.dir, "secret.txt", E.secret);
	snprintf(link, sizeof link, "%s/leak.txt", E.stat);
	if (symlink("../secret.txt", link) != 0)
		fuzz_fail("symlink %s: %s", link, strerror(errno));

	memset(&cfg, 0, sizeof cfg);
	snprintf(listen, sizeof listen, "unix:%s", E.sock);
	cfg.listen = listen;
	cfg.static_dir = E.stat;
	cfg.db_path = E.db;
	cfg.state_dir = E.state;
	cfg.max_db_bytes = 1ULL << 30;
	E.w = web_start(&cfg, NULL, reload, NULL, err, sizeof err);
	if (!E.w)
		fuzz_fail("web_start: %s", err);

	snprintf(path, sizeof path, "%s/setup-token", E.state);
	char *t = fuzz_read_file(path, &n);
	if (!t)
		fuzz_fail("no setup token in %s", E.state);
	snprintf(token, sizeof token, "%.*s", (int)strcspn(t, "\r\n"), t);
	free(t);
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"username\":\"admin\",\"password\":\"%s\"}",
		 token, ADMIN_PW);
	request(&a, "POST", "/api/setup", NULL, "198.18.255.1", body);
	if (a.status != 201)
		fuzz_fail("setup: %d %.200s", a.status, a.body);
	answer_free(&a);
	E.s[0].user = "admin";
	E.s[0].password = ADMIN_PW;
	E.s[1].user = "analyst";
	E.s[1].password = ANALYST_PW;
	if (login(&E.s[0]) != 0)
		fuzz_fail("the admin cannot log in");
	snprintf(body, sizeof body, "{\"username\":\"analyst\",\"password\":\"%s\",\"role\":\"analyst\"}",
		 ANALYST_PW);
	request(&a, "POST", "/api/users", &E.s[0], NULL, body);
	if (a.status != 201)
		fuzz_fail("adding the analyst: %d %.200s", a.status, a.body);
	answer_free(&a);
	if (login(&E.s[1]) != 0)
		fuzz_fail("the analyst cannot log in");
	learn_routes();
	read_hashes();
}

static int rm_tree_entry(const char *path)
{
	return remove(path);
}

static void env_stop(void)
{
	static const char *const files[] = { "vigil.sqlite", "vigil.sqlite-wal", "vigil.sqlite-shm",
		"state/setup-token", "state/rules/suppress.conf", "state/rules", "state",
		"static/index.html", "static/assets/app.js", "static/assets", "static/leak.txt",
		"static", "secret.txt", "web.sock" };
	char p[1000];

	web_stop(E.w);
	E.w = NULL;
	fuzz_leak_check();
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", E.dir, files[i]);
		rm_tree_entry(p);
	}
	rmdir(E.dir);   /* anything else the web left there stays for a look */
}

/* The template store: real captures through the pipeline with the
 * default rules and the detection tests' rule sets. */
static void make_template(void)
{
	static const char *const pcaps[] = {
		"tests/fixtures/demo.pcap", "tests/detect/sig_header.pcap", "tests/detect/sig_app.pcap",
		"tests/detect/sig_buffers.pcap", "tests/detect/ioc_plain.pcap",
		"tests/detect/ioc_urlhaus.pcap", "tests/detect/behav_portscan.pcap",
		"tests/detect/behav_dns_tunnel.pcap",
	};
	static const char *const dirs[] = { "rules/default", "tests/detect/rulesets/sig",
					    "tests/detect/rulesets/ioc", "tests/detect/rulesets/behav" };
	struct pipeline_config pc;
	struct vigil_stats st;
	struct ruleset *rs;
	struct pipeline *p;
	char err[512], path[1000];

	fuzz_path(E.template_db, sizeof E.template_db, "template.sqlite");
	rs = ruleset_new(&E.home, stderr);
	if (!rs)
		fuzz_fail("out of memory");
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", VIGIL_FUZZ_SRCDIR, dirs[i]);
		ruleset_load_dir(rs, path);
	}
	memset(&pc, 0, sizeof pc);
	flow_config_defaults(&pc.flow);
	pc.db_path = E.template_db;
	p = pipeline_new(&pc, rs, err, sizeof err);
	if (!p)
		fuzz_fail("pipeline_new: %s", err);
	for (size_t i = 0; i < sizeof pcaps / sizeof pcaps[0]; i++) {
		struct cap_packet pkt;
		struct capture *c;
		snprintf(path, sizeof path, "%s/%s", VIGIL_FUZZ_SRCDIR, pcaps[i]);
		if (!(c = capture_open_file(path, err, sizeof err)))
			fuzz_fail("%s: %s", path, err);
		while (capture_next(c, &pkt) == CAPTURE_PACKET)
			pipeline_packet(p, c->linktype, &pkt);
		capture_close(c);
	}
	pipeline_drain(p);
	pipeline_stats(p, &st);
	if (pipeline_close_sinks(p, &st, "fuzz", HOMENET_DEFAULT) != 0)
		fuzz_fail("writing the template store failed");
	pipeline_free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[200];

	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	signal(SIGPIPE, SIG_IGN);
	if (homenet_parse(&E.home, HOMENET_DEFAULT, err, sizeof err) != 0)
		fuzz_fail("home net: %s", err);
	make_template();
	env_start();
	return 0;
}

/* ---- one input ----------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			fuzz_fail("out of memory");
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int target_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/?%", c));
}

/* Next line of the input (without "\n" or "\r\n"); NULL at the end. */
static const uint8_t *next_line(const uint8_t **p, const uint8_t *end, size_t *n)
{
	const uint8_t *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	*n = nl ? (size_t)(nl - s) : (size_t)(end - s);
	*p = nl ? nl + 1 : end;
	if (*n && s[*n - 1] == '\r')
		(*n)--;
	return s;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The path as the server sees it: %xx decoded, up to '?'. */
static void decoded_path(const char *target, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = target; *p && *p != '?' && o + 1 < outlen; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* Does path match a route pattern ({x} = one non-empty segment)? */
static int pattern_match(const char *pat, const char *path)
{
	while (*pat && *path) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			if (!close || *path == '/')
				return 0;
			while (*path && *path != '/')
				path++;
			pat = close + 1;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	return !*pat && !*path;
}

static const struct route *find_route(const char *method, const char *path)
{
	for (int i = 0; i < E.n_routes; i++)
		if (!strcmp(E.routes[i].method, method) && pattern_match(E.routes[i].pattern, path))
			return &E.routes[i];
	return NULL;
}

/* Did a request carry what no answer may hold? From then on the server
 * may have stored it (a note, a username) and echo it rightly. */
static void note_sent(const char *req, size_t reqlen)
{
	E.secret_sent |= fuzz_contains(req, reqlen, E.secret);
	for (int i = 0; i < E.n_hashes; i++)
		E.hash_sent[i] |= fuzz_contains(req, reqlen, E.hashes[i]);
	for (int i = 0; i < 2; i++)
		E.cookie_sent[i] |= fuzz_contains(req, reqlen, E.s[i].cookie);
}

/* The password hashes of the store, to look for in answers. */
static void read_hashes(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	E.n_hashes = 0;
	if (sqlite3_open_v2(E.db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT hash FROM users", -1, &st, NULL) != SQLITE_OK)
		fuzz_fail("reading the users of %s: %s", E.db, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW && E.n_hashes < 4)
		snprintf(E.hashes[E.n_hashes++], sizeof E.hashes[0], "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (E.n_hashes < 2)
		fuzz_fail("%d password hashes in the store, 2 expected", E.n_hashes);
}

static void check_answer(const struct answer *a, const char *method, const char *path, int who,
			 int had_session, int csrf_ok)
{
	char why[200];
	int api = strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;

	if (a->status < 100 || a->status > 599 || a->status == 500)
		fuzz_fail("%s %s: status %d: %.300s", method, path, a->status, a->body);
	if (!header_is(a, "X-Content-Type-Options", "nosniff") ||
	    !header_is(a, "Referrer-Policy", "no-referrer") || !find_header(a, "Content-Security-Policy"))
		fuzz_fail("%s %s: %d without the security headers", method, path, a->status);
	if (!E.secret_sent && fuzz_contains(a->raw, a->rawlen, E.secret))
		fuzz_fail("%s %s: the answer holds a file outside the static folder", method, path);
	for (int i = 0; i < E.n_hashes; i++)
		if (!E.hash_sent[i] && fuzz_contains(a->raw, a->rawlen, E.hashes[i]))
			fuzz_fail("%s %s: the answer holds a password hash", method, path);
	for (int i = 0; i < 2; i++)
		if (E.s[i].valid && !E.cookie_sent[i] && fuzz_contains(a->raw, a->rawlen, E.s[i].cookie))
			fuzz_fail("%s %s: the answer holds %s's session cookie", method, path, E.s[i].user);

	if (!strcmp(method, "HEAD")) {
		if (a->bodylen)
			fuzz_fail("HEAD %s: %d with a body", path, a->status);
	} else if (header_is(a, "Content-Type", "application/json")) {
		if (!fuzz_utf8_valid((const uint8_t *)a->body, a->bodylen))
			fuzz_fail("%s %s: %d answer is not valid UTF-8", method, path, a->status);
		if (fuzz_json_check(a->body, a->bodylen, FJ_NO_DUP_KEYS, NULL, NULL, why, sizeof why) != 0)
			fuzz_fail("%s %s: %d answer is not valid JSON (%s): %.300s", method, path,
				  a->status, why, a->body);
		if (a->status >= 400) {
			char msg[256];
			json_member(a, "error", msg, sizeof msg);
			if (!msg[0])
				fuzz_fail("%s %s: %d without an \"error\": %.300s", method, path, a->status,
					  a->body);
		}
	} else if (api && a->status != 304) {
		const char *ct = find_header(a, "Content-Type");
		if (!ct || (strncmp(ct, "text/csv", 8) != 0 && strncmp(ct, "application/x-ndjson", 20) != 0 &&
			    strncmp(ct, "application/json", 16) != 0))
			fuzz_fail("%s %s: %d API answer of type %.40s", method, path, a->status,
				  ct ? ct : "(none)");
	}
	if (api && !header_is(a, "Cache-Control", "no-store"))
		fuzz_fail("%s %s: %d API answer without Cache-Control: no-store", method, path, a->status);
	if (api && a->status == 200 && strstr(path, "export.eve") && strcmp(method, "HEAD")) {
		size_t i = 0;
		while (i < a->bodylen) {
			char *s = a->body + i, *nl = memchr(s, '\n', a->bodylen - i);
			size_t n = nl ? (size_t)(nl - s) : a->bodylen - i;
			if (fuzz_json_check(s, n, FJ_NO_DUP_KEYS, NULL, NULL, why, sizeof why) != 0)
				fuzz_fail("EVE export line not valid JSON (%s): %.*s", why, (int)(n > 300 ? 300 : n), s);
			i += n + 1;
		}
	}

	/* who may do what: the server's own table */
	if (!api || a->status < 200 || a->status > 299)
		return;
	const struct route *r = find_route(method, path);
	if (!r)
		fuzz_fail("%s %s: %d from no route of GET /api/routes", method, path, a->status);
	if (r->session && !had_session)
		fuzz_fail("%s %s: %d without a session", method, path, a->status);
	if (r->admin && who == WHO_ANALYST)
		fuzz_fail("%s %s: %d for the analyst on an admin route", method, path, a->status);
	if (r->session && !strcmp(method, "POST") && !csrf_ok)
		fuzz_fail("%s %s: %d without the right X-CSRF-Token", method, path, a->status);
}

static int skipped_header(const char *name, size_t n, int who)
{
	static const char *const ours[] = { "host", "content-length", "connection",
					    "transfer-encoding", "expect" };

	for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
		if (n == strlen(ours[i]) && !strncasecmp(name, ours[i], n))
			return 1;
	if (who != WHO_NOBODY && ((n == 6 && !strncasecmp(name, "cookie", 6)) ||
				  (n == 12 && !strncasecmp(name, "x-csrf-token", 12))))
		return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *l;
	struct buf req = { 0 }, target = { 0 };
	struct answer a;
	char method[17] = "", path[4096], num[32];
	int who = WHO_NOBODY, has_ct = 0;
	size_t n;
	struct session *s = NULL;

	if (++E.inputs % RESET_EVERY == 0) {
		env_stop();
		env_start();
	}
	if ((l = next_line(&p, end, &n)) && n)
		who = (l[0] >= '0' && l[0] <= '4') ? l[0] - '0' : l[0] % 5;
	if (who != WHO_NOBODY) {
		s = &E.s[who == WHO_ANALYST ? 1 : 0];
		if (!s->valid && login(s) != 0) {
			env_stop();   /* the fuzzer changed a password or removed the user */
			env_start();
		}
	}

	/* request line */
	size_t mlen = 0;
	if ((l = next_line(&p, end, &n))) {
		size_t i = 0;
		while (i < n && tchar(l[i]) && mlen < 16)
			method[mlen++] = (char)l[i++];
		while (i < n && l[i] == ' ')
			i++;
		if (i >= n || l[i] != '/')
			puts_(&target, "/");
		for (; i < n && target.len < 4000; i++) {
			char e[4];
			if (target_char(l[i])) {
				put(&target, &l[i], 1);
			} else {
				snprintf(e, sizeof e, "%%%02X", l[i]);
				put(&target, e, 3);
			}
		}
	}
	method[mlen] = '\0';
	if (!mlen)
		snprintf(method, sizeof method, "GET");
	if (!target.s)
		puts_(&target, "/");
	puts_(&req, method);
	puts_(&req, " ");
	puts_(&req, target.s);
	puts_(&req, " HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n");

	/* headers */
	for (int h = 0; (l = next_line(&p, end, &n)) && n; h++) {
		const uint8_t *colon = memchr(l, ':', n);
		size_t nl = colon ? (size_t)(colon - l) : 0;
		int ok = colon && nl > 0 && h < 32;
		for (size_t i = 0; ok && i < nl; i++)
			ok = tchar(l[i]);
		if (!ok || skipped_header((const char *)l, nl, who))
			continue;
		if (nl == 12 && !strncasecmp((const char *)l, "content-type", 12))
			has_ct = 1;
		put(&req, l, nl);
		puts_(&req, ":");
		for (size_t i = nl + 1; i < n; i++)
			if (l[i] == '\t' || (l[i] >= 0x20 && l[i] != 0x7F))
				put(&req, &l[i], 1);
		puts_(&req, "\r\n");
	}
	if (s) {
		puts_(&req, "Cookie: vigil_session=");
		puts_(&req, s->cookie);
		puts_(&req, "\r\n");
		if (who == WHO_ADMIN_BAD_CSRF)
			puts_(&req, "X-CSRF-Token: 0000000000000000000000000000000000000000000000000000000000000000\r\n");
		else if (who != WHO_ADMIN_NO_CSRF) {
			puts_(&req, "X-CSRF-Token: ");
			puts_(&req, s->csrf);
			puts_(&req, "\r\n");
		}
	}
	size_t body = (size_t)(end - p);
	if (body && !has_ct)
		puts_(&req, "Content-Type: application/json\r\n");
	snprintf(num, sizeof num, "%zu", body);
	puts_(&req, "Content-Length: ");
	puts_(&req, num);
	puts_(&req, "\r\n\r\n");
	put(&req, p, body);

	note_sent((const char *)data, size);   /* what the input wrote (not the harness's cookie) */
	http(req.s, req.len, &a);
	decoded_path(target.s, path, sizeof path);
	check_answer(&a, method, path, who, s && s->valid,
		     s && s->valid && who != WHO_ADMIN_NO_CSRF && who != WHO_ADMIN_BAD_CSRF);
	if (getenv("VIGIL_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_web: %s %s (%s) -> %d, %zu bytes\n", method, target.s,
			who == WHO_NOBODY ? "nobody" : who == WHO_ANALYST ? "analyst" : "admin", a.status,
			a.bodylen);
	if (s && a.status == 401)
		s->valid = 0;   /* logged out, or the session was ended: log in again next time */
	answer_free(&a);
	free(req.s);
	free(target.s);
	return 0;
}
