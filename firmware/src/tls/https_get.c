/*
 * https_get.c - one HTTP GET over TLS (see https_get.h).
 *
 * The answer is read into one buffer: first the header (at most
 * HEAD_MAX), then the body, which grows to the announced length or, for
 * a chunked answer, is decoded in place as the chunks arrive (the decoded
 * data never overtakes the raw data behind it); an answer with neither
 * ends with the connection, which must end with TLS's close_notify (a
 * bundle's size and hash are signed besides). Every read waits at most
 * what is left of the whole answer's deadline.
 */
#include "https_get.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/str.h"

#define HEAD_MAX 16384

int https_parse_url(const char *url, struct https_url *u, char *why, size_t whylen)
{
	const char *rest, *path, *colon = NULL;
	size_t hl;

	memset(u, 0, sizeof *u);
	if (strncasecmp(url, "https://", 8) != 0)
		goto bad;
	rest = url + 8;
	path = strchr(rest, '/');
	if (!path)
		path = rest + strlen(rest);
	if (*rest == '[') {
		const char *end = memchr(rest, ']', (size_t)(path - rest));
		if (!end || end == rest + 1)
			goto bad;
		hl = (size_t)(end - rest - 1);
		if (hl >= sizeof u->host)
			goto bad;
		memcpy(u->host, rest + 1, hl);
		if (end + 1 != path && end[1] != ':')
			goto bad;
		colon = end + 1 != path ? end + 1 : NULL;
	} else {
		colon = memchr(rest, ':', (size_t)(path - rest));
		hl = (size_t)((colon ? colon : path) - rest);
		if (hl == 0 || hl >= sizeof u->host)
			goto bad;
		memcpy(u->host, rest, hl);
	}
	if (colon) {
		size_t pl = (size_t)(path - colon - 1);
		if (pl == 0 || pl >= sizeof u->port || strspn(colon + 1, "0123456789") < pl)
			goto bad;
		memcpy(u->port, colon + 1, pl);
	} else {
		snprintf(u->port, sizeof u->port, "443");
	}
	if (strlen(*path ? path : "/") >= sizeof u->path)
		goto bad;
	snprintf(u->path, sizeof u->path, "%s", *path ? path : "/");
	for (const char *s = u->path; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			goto bad;
	for (const char *s = u->host; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/' || *s == '@')
			goto bad;
	return 0;
bad:
	str_fmt(why, whylen, "expected https://HOST[:PORT]/PATH, got '%s'", url);
	return -1;
}

void https_answer_free(struct https_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->body_len = 0;
}

/* Read more into buf[*have..cap), waiting until the deadline. Returns the
 * bytes read, 0 at the end of the stream, -1 with err. */
static long read_more(struct tls_conn *t, char *buf, size_t *have, size_t cap,
		      uint64_t deadline_ms, char *err, size_t errlen)
{
	uint64_t now = mono_ms();

	if (now >= deadline_ms || *have >= cap) {
		str_fmt(err, errlen, now >= deadline_ms ? "the answer took too long"
			: "the answer is too long");
		return -1;
	}
	ssize_t n = tls_read(t, buf + *have, cap - *have, (int)(deadline_ms - now), err, errlen);
	if (n == -2)
		str_fmt(err, errlen, "the answer took too long");
	if (n < 0)
		return -1;
	*have += (size_t)n;
	return (long)n;
}

/* A header's value (trimmed) into out when line is "name: value". */
static int header(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	str_fmt(out, outlen, "%.*s", (int)(end - v), v);
	return 1;
}

/* Decode the chunks of b[*in..have) to b[*out..): returns 1 at the last
 * chunk, 0 when more data is needed, -1 when malformed. */
static int dechunk(char *b, size_t have, size_t *in, size_t *out, size_t max_body)
{
	for (;;) {
		char *line = b + *in, *crlf = memmem(line, have - *in, "\r\n", 2);
		if (!crlf)
			return have - *in > 64 ? -1 : 0;
		char *end;
		unsigned long long size = strtoull(line, &end, 16);
		if (end == line || (end != crlf && *end != ';'))
			return -1;
		if (size == 0)
			return 1;
		size_t data = (size_t)(crlf + 2 - b);
		if (size > max_body - *out)
			return -1;
		if (have - data < size + 2)
			return 0;
		if (memcmp(b + data + size, "\r\n", 2) != 0)
			return -1;
		memmove(b + *out, b + data, (size_t)size);
		*out += (size_t)size;
		*in = data + (size_t)size + 2;
	}
}

int https_get(struct tls_client *c, const struct https_url *u, const char *etag,
	      const char *last_modified, size_t max_body, int timeout_ms,
	      struct https_answer *a, char *err, size_t errlen)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
	char req[2048], host[300], *b = NULL, val[200];
	size_t have = 0, cap = HEAD_MAX, head_len;
	unsigned long long clen = 0;
	int have_clen = 0, chunked = 0, rc = -1;
	struct tls_conn *t;

	memset(a, 0, sizeof *a);
	snprintf(host, sizeof host, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
	if (strcmp(u->port, "443"))
		snprintf(host + strlen(host), sizeof host - strlen(host), ":%s", u->port);
	int rl = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil/"
			  VIGIL_VERSION "\r\nAccept: */*\r\nConnection: close\r\n%s%s%s%s%s%s\r\n",
			  u->path, host,
			  etag && *etag ? "If-None-Match: " : "", etag && *etag ? etag : "",
			  etag && *etag ? "\r\n" : "",
			  last_modified && *last_modified ? "If-Modified-Since: " : "",
			  last_modified && *last_modified ? last_modified : "",
			  last_modified && *last_modified ? "\r\n" : "");
	if (rl < 0 || (size_t)rl >= sizeof req) {
		str_fmt(err, errlen, "request too long");
		return -1;
	}
	if (!(t = tls_connect(c, u->host, u->port, err, errlen)))
		return -1;
	if (tls_write(t, req, (size_t)rl, err, errlen) < 0)
		goto out;
	if (!(b = malloc(cap + 1))) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	/* the header */
	char *end;
	while (!(end = memmem(b, have, "\r\n\r\n", 4))) {
		long n = read_more(t, b, &have, cap, deadline, err, errlen);
		if (n == 0)
			str_fmt(err, errlen, "the server closed the connection before its answer");
		if (n <= 0)
			goto out;
	}
	head_len = (size_t)(end - b) + 4;
	int minor;
	if (sscanf(b, "HTTP/1.%d %3d", &minor, &a->status) != 2 || a->status < 100 ||
	    a->status > 599) {
		str_fmt(err, errlen, "not an HTTP answer");
		goto out;
	}
	for (char *line = memmem(b, head_len, "\r\n", 2) + 2; line < end;) {
		char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		size_t len = (size_t)(eol - line);
		if (header(line, len, "content-length", val, sizeof val)) {
			char *e;
			clen = strtoull(val, &e, 10);
			if (!*val || *e || !isdigit((unsigned char)*val)) {
				str_fmt(err, errlen, "a malformed Content-Length");
				goto out;
			}
			have_clen = 1;
		} else if (header(line, len, "transfer-encoding", val, sizeof val)) {
			chunked = strcasecmp(val, "chunked") == 0;
			if (!chunked) {
				str_fmt(err, errlen, "Transfer-Encoding %s is not supported", val);
				goto out;
			}
		} else {
			header(line, len, "etag", a->etag, sizeof a->etag);
			header(line, len, "last-modified", a->last_modified, sizeof a->last_modified);
		}
		line = eol + 2;
	}
	if (a->status != 200) {
		a->wire_bytes = have;
		rc = 0;
		goto out;
	}
	if (have_clen && clen > max_body) {
		str_fmt(err, errlen, "the file is %llu bytes, over the limit of %zu", clen, max_body);
		goto out;
	}
	/* the body: moved to the front, then read to its length */
	have -= head_len;
	memmove(b, b + head_len, have);
	cap = have_clen ? (size_t)clen : max_body + 64 * 1024;
	if (have > cap)
		have = cap;
	char *nb = realloc(b, cap + 1);
	if (!nb) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	b = nb;
	size_t in = 0, out = 0;
	for (;;) {
		if (chunked) {
			int d = dechunk(b, have, &in, &out, max_body);
			if (d < 0) {
				str_fmt(err, errlen, "a malformed chunked answer, or over the limit of %zu",
					max_body);
				goto out;
			}
			if (d > 0)
				break;
			if (in > 0) {           /* room for more raw data */
				memmove(b + out, b + in, have - in);
				have -= in - out;
				in = out;
			}
		} else if (have_clen && have >= cap) {
			out = have;
			break;
		} else if (!have_clen && have > max_body) {
			str_fmt(err, errlen, "the file is over the limit of %zu", max_body);
			goto out;
		}
		long n = read_more(t, b, &have, cap, deadline, err, errlen);
		if (n == 0 && !have_clen && !chunked) {
			/* HTTP/1.0 style: the body ends with the connection, closed
			 * with TLS's close_notify (a cut one is an error above) */
			out = have;
			break;
		}
		if (n == 0)
			str_fmt(err, errlen, "the server closed the connection mid-answer");
		if (n <= 0)
			goto out;
	}
	b[out] = '\0';
	a->body = b;
	a->body_len = out;
	a->wire_bytes = head_len + have;
	b = NULL;
	rc = 0;
out:
	free(b);
	tls_close(t);
	return rc;
}
