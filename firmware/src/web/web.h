/*
 * web.h - the web stage: the JSON API and the page's static files.
 *
 * Owns: the HTTP server (libmicrohttpd, on a TCP address or a UNIX
 * socket), authentication (setup token, yescrypt passwords, sessions,
 * CSRF, login throttling), the API routes of docs/api.md over the SQLite
 * store (its own connections: reads never block the capture's writer), the
 * audit log, and the static files of the page. The daemon tells it the
 * live status and lets it ask for a rule reload; nothing else is shared.
 */
#ifndef VIGIL_WEB_H
#define VIGIL_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

struct web_config {
	const char *listen;       /* "unix:/run/vigil/web.sock" or "127.0.0.1:8080" */
	const char *static_dir;   /* the built page (index.html, assets/) */
	const char *db_path;      /* the store */
	const char *state_dir;    /* setup-token, rules/suppress.conf (managed) */
	int secure_cookies;       /* set Secure on cookies (behind HTTPS) */
	/* GET /api/system "database" (the retention settings, 0 = not set)
	 * and the home flag of top talkers (NULL: the latest run's
	 * home_net, else the default) */
	uint64_t max_db_bytes;
	uint32_t flow_max_age_s;
	uint32_t alert_max_age_s;
	const char *home_net;
};

/* The daemon's part of GET /api/system: write the members "version",
 * "uptime_s", "capture", "decode_errors", "rulesets", "last_reload" into
 * the open JSON object j. Called on web threads: the daemon locks. */
typedef void (*web_status_fn)(void *ctx, struct json *j);

/* Reload the rule sets (after the web changed the managed suppress.conf).
 * Returns 0 when the new rules are in force, else -1 with msg set. */
typedef int (*web_reload_fn)(void *ctx, char *msg, size_t msglen);

struct web;

/* Start serving. The first start without any account creates the setup
 * token (state_dir/setup-token) and logs it. NULL and err on failure. */
struct web *web_start(const struct web_config *cfg, web_status_fn status,
		      web_reload_fn reload, void *ctx, char *err, size_t errlen);
void web_stop(struct web *w);

/* `vigil serve`: the web for an existing database, without capture
 * (web_cmd.c). Returns the exit status. */
int web_cmd_serve(int argc, char **argv);
/* `vigil user`: the accounts from the console (web_user_cmd.c). */
int web_cmd_user(int argc, char **argv);

#endif
