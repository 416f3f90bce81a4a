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

#include "web_config.h"

struct web;

/* Start serving. The first start without any account creates the setup
 * token (state_dir/setup-token) and logs it. NULL and err on failure. */
struct web *web_start(const struct web_config *cfg, web_status_fn status,
		      web_reload_fn reload, void *ctx, char *err, size_t errlen);
void web_stop(struct web *w);

#endif
