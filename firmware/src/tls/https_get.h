/*
 * https_get.h - one HTTP GET over TLS (tls_client.h): the rule bundles'
 * download ([rules_sync]).
 *
 * Owns: https:// URLs (host, port, path; IPv6 literals in brackets), the
 * request (HTTP/1.1, Connection: close, If-None-Match / If-Modified-Since
 * from the last answer), the answer's status line and the headers we use
 * (Content-Length, Transfer-Encoding: chunked, ETag, Last-Modified), and
 * a body bounded as it arrives - a server that announces or sends more
 * than the limit is cut off at the limit, not read to the end.
 */
#ifndef VIGIL_HTTPS_GET_H
#define VIGIL_HTTPS_GET_H

#include <stddef.h>
#include <stdint.h>

#include "tls_client.h"

struct https_url {
	char host[256];
	char port[8];
	char path[1024];             /* from the first '/', query included */
};

struct https_answer {
	int status;                  /* 200, 304, 404, ... */
	char etag[200];              /* "" when none */
	char last_modified[64];      /* "" when none */
	char *body;                  /* malloc'd (status 200 only), NUL after it */
	size_t body_len;
	uint64_t wire_bytes;         /* bytes of the answer read (headers and body) */
};

/* Split an https:// URL. 0, or -1 with why. */
int https_parse_url(const char *url, struct https_url *u, char *why, size_t whylen);

/* GET u through c; etag / last_modified (NULL or "" for none) make it
 * conditional. A 200's body of more than max_body bytes is an error.
 * timeout_ms bounds the whole answer. 0 with *a filled (any status), or
 * -1 with err (connection, TLS, a malformed or oversized answer). */
int https_get(struct tls_client *c, const struct https_url *u, const char *etag,
	      const char *last_modified, size_t max_body, int timeout_ms,
	      struct https_answer *a, char *err, size_t errlen);

void https_answer_free(struct https_answer *a);

#endif
