/*
 * web_config.h - what the web stage is started with: its settings and
 * the two things it asks of whoever runs it (the live status for GET
 * /api/system, a rule reload after a suppression).
 *
 * Owns nothing but these types: web.h (the stage's interface) and
 * web_req.h (what every request sees) both take them from here.
 */
#ifndef VIGIL_WEB_CONFIG_H
#define VIGIL_WEB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

struct web_config {
	const char *listen;       /* "unix:/run/vigil/web.sock" or "127.0.0.1:8080" */
	const char *static_dir;   /* the built page (index.html, assets/) */
	const char *db_path;      /* the store */
	const char *state_dir;    /* setup-token, rules/suppress.conf (managed) */
	const char *evidence_dir; /* packet evidence (output/evidence.h); NULL or "": off */
	int secure_cookies;       /* set Secure on cookies (behind HTTPS) */
	/* GET /api/system "database" (the retention settings, 0 = not set)
	 * and the home flag of top talkers (NULL: the latest run's
	 * home_net, else the default) */
	uint64_t max_db_bytes;
	uint32_t flow_max_age_s;
	uint32_t alert_max_age_s;
	const char *home_net;
	/* GET /api/clock "live": packets come from live interfaces (0: capture
	 * files are replayed, or vigil serve shows a database) */
	int live;
};

/* The daemon's part of GET /api/system: write the members "version",
 * "uptime_s", "capture", "decode_errors", "rulesets", "last_reload" into
 * the open JSON object j. Called on web threads: the daemon locks. */
typedef void (*web_status_fn)(void *ctx, struct json *j);

/* Reload the rule sets (after the web changed the managed suppress.conf).
 * Returns 0 when the new rules are in force, else -1 with msg set. */
typedef int (*web_reload_fn)(void *ctx, char *msg, size_t msglen);

#endif
