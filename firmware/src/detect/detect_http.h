/*
 * detect_http.h - what the signatures read from a flow's payload window
 * (flow/flow_payload.h): the first HTTP request and response in it (the
 * request line and its parts, the status code, Content-Type, where each
 * message's body starts), the normalised URI, the kind of file a payload
 * starts with (filemagic), and when a window has shown enough for the
 * rules to decide.
 *
 * Parsing never allocates and never reads past the window: a message
 * whose head is cut by the window's end gives the parts that are complete.
 */
#ifndef VIGIL_DETECT_HTTP_H
#define VIGIL_DETECT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow_payload.h"

/* A piece of the window: p == NULL when absent. */
struct http_part {
	const uint8_t *p;
	uint32_t len;
};

struct http_view {
	int request, response;       /* a request / status line was found */
	struct http_part method, uri, request_line, stat_code;
	struct http_part ctype_req, ctype_rsp;   /* Content-Type values */
	struct http_part body[2];    /* [0] request body, [1] response body:
	                                what the window holds of it (p set and
	                                len 0 when the head ended at the window's
	                                end) */
	int64_t clen[2];             /* Content-Length, -1 if none */
};

/* Find the first request in w->data[0] and the first response in
 * w->data[1]. */
void http_parse(const struct flow_window *w, struct http_view *h);

/* Suricata's normalised URI: %XX decoded, "." and ".." path segments
 * resolved (never above the root), the query left as it is after
 * decoding. out has room for n bytes; returns the length written. */
size_t http_uri_normalise(const uint8_t *in, size_t n, uint8_t *out);

/* What a file starting with p[0..n) is, in the words of file(1) ("PE32
 * executable (MS Windows)", "ELF 64-bit LSB executable", "Zip archive
 * data", "PDF document", "POSIX shell script", ...); NULL when none of
 * the known kinds. */
const char *http_filemagic(const uint8_t *p, size_t n);

/* 1 when the window has shown what the rules look at: each direction is
 * full, cut, ended, answered by the other side, or (responses) holds a
 * complete HTTP head and its body or the first 512 bytes of it. */
int http_window_ready(const struct flow_window *w);

#endif
