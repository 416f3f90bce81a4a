/*
 * web.c - the web stage's HTTP server (see web.h).
 *
 * Minimal first version: listens on the configured address and answers
 * every request with 503 until the API lands.
 */
#include "web.h"
#include "log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct web {
	struct MHD_Daemon *mhd;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	static const char body[] = "{\"error\":\"not ready\"}";
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = conn;
		return MHD_YES;
	}
	*upload_data_size = 0;
	r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, 503, r);
	MHD_destroy_response(r);
	return ret;
}

struct web *web_start(const struct web_config *cfg, web_status_fn status,
		      web_reload_fn reload, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	struct web *w;
	char host[64];
	const char *colon;
	unsigned port;

	(void)status; (void)reload; (void)ctx;
	if (!cfg || !cfg->listen || !(colon = strrchr(cfg->listen, ':')) ||
	    (size_t)(colon - cfg->listen) >= sizeof host ||
	    sscanf(colon + 1, "%u", &port) != 1 || port > 65535) {
		snprintf(err, errlen, "web: bad listen address");
		return NULL;
	}
	memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
	host[colon - cfg->listen] = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "web: bad listen address");
		return NULL;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "web: out of memory");
		return NULL;
	}
	w->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				  (uint16_t)port, NULL, NULL, on_request, w,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				  MHD_OPTION_END);
	if (!w->mhd) {
		snprintf(err, errlen, "web: cannot listen on %s", cfg->listen);
		free(w);
		return NULL;
	}
	log_info("web: listening on %s", cfg->listen);
	return w;
}

void web_stop(struct web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->mhd);
	free(w);
}
