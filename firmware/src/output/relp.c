/*
 * relp.c - RELP client on a TLS connection (see relp.h).
 *
 * Written from the protocol description of librelp (doc/relp.md); rsyslog's
 * imrelp is the peer it is tested against. librelp's servers speak
 * relp_version 0 (version 1 of the text was never finished), so that is
 * what the client offers.
 *
 * Reading: frames arrive in a bounded buffer (RELP_MAX_FRAME); a frame
 * that does not parse, or a response to a transaction number that is not
 * the next one expected, ends the session (the protocol's answer to any
 * framing error is to drop the connection; unacknowledged events are sent
 * again on the next one).
 */
#include "relp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELP_MAX_FRAME (128 * 1024)
#define RELP_IN_MAX (RELP_MAX_FRAME + 64)   /* a whole frame with its header */

struct relp {
	struct tls_conn *t;
	unsigned txnr;            /* of the last command sent */
	int timeout_ms;
	char *in;                 /* received, not yet parsed */
	size_t in_len;
	size_t consumed;          /* bytes of the frame handed out last */
	struct sbuf out;
};

struct frame {
	unsigned txnr;
	char cmd[33];
	const char *data;
	size_t len;
};

/* Parse one frame from the start of r->in. 1 and f filled, 0 when more
 * bytes are needed, -1 on a framing error. *used gets the frame's size. */
static int parse_frame(struct relp *r, struct frame *f, size_t *used)
{
	const char *p = r->in, *end = r->in + r->in_len, *q;
	unsigned long long v = 0;
	size_t n;

	/* TXNR */
	for (q = p; q < end && *q >= '0' && *q <= '9' && q - p < 10; q++)
		v = v * 10 + (unsigned)(*q - '0');
	if (q == end)
		return 0;
	if (q == p || *q != ' ' || q - p > 9)
		return -1;
	f->txnr = (unsigned)v;
	p = q + 1;
	/* COMMAND */
	for (q = p; q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')); q++)
		if (q - p >= 32)
			return -1;
	if (q == end)
		return 0;
	if (q == p || *q != ' ')
		return -1;
	memcpy(f->cmd, p, (size_t)(q - p));
	f->cmd[q - p] = '\0';
	p = q + 1;
	/* DATALEN */
	v = 0;
	for (q = p; q < end && *q >= '0' && *q <= '9' && q - p < 10; q++)
		v = v * 10 + (unsigned)(*q - '0');
	if (q == end)
		return 0;
	if (q == p || q - p > 9 || v > RELP_MAX_FRAME)
		return -1;
	n = (size_t)v;
	if (n == 0) {
		if (*q != '\n')
			return -1;
		f->data = q;
		f->len = 0;
		*used = (size_t)(q + 1 - r->in);
		return 1;
	}
	if (*q != ' ')
		return -1;
	p = q + 1;
	if ((size_t)(end - p) < n + 1)
		return 0;
	if (p[n] != '\n')
		return -1;
	f->data = p;
	f->len = n;
	*used = (size_t)(p + n + 1 - r->in);
	return 1;
}

/* The next frame from the peer. 1, or -1 with err filled. The frame's
 * data stays valid until the next call (its bytes are dropped then). */
static int read_frame(struct relp *r, struct frame *f, char *err, size_t errlen)
{
	size_t used = 0;

	if (r->consumed) {
		r->in_len -= r->consumed;
		memmove(r->in, r->in + r->consumed, r->in_len);
		r->consumed = 0;
	}
	for (;;) {
		int rc = parse_frame(r, f, &used);
		if (rc < 0) {
			snprintf(err, errlen, "RELP: the server sent a malformed frame");
			return -1;
		}
		if (rc > 0) {
			r->consumed = used;
			return 1;
		}
		if (r->in_len >= RELP_IN_MAX) {
			snprintf(err, errlen, "RELP: a frame from the server is too large");
			return -1;
		}
		ssize_t n = tls_read(r->t, r->in + r->in_len, RELP_IN_MAX - r->in_len,
				     r->timeout_ms, err, errlen);
		if (n == 0) {
			snprintf(err, errlen, "RELP: the server closed the connection");
			return -1;
		}
		if (n < 0) {
			if (n == -2)
				snprintf(err, errlen, "RELP: no acknowledgement within %d s",
					 r->timeout_ms / 1000);
			return -1;
		}
		r->in_len += (size_t)n;
	}
}

/* Append one command frame to r->out. */
static void put_frame(struct relp *r, const char *cmd, const char *data, size_t len)
{
	char head[64];
	r->txnr = r->txnr >= 999999999 ? 1 : r->txnr + 1;
	snprintf(head, sizeof head, "%u %s %zu%s", r->txnr, cmd, len, len ? " " : "");
	sbuf_put(&r->out, head, strlen(head));
	sbuf_put(&r->out, data, len);
	sbuf_put(&r->out, "\n", 1);
}

/* The rsp for txnr: 200 -> 0; otherwise -1 with err filled. */
static int expect_rsp(struct relp *r, unsigned txnr, char *err, size_t errlen)
{
	struct frame f;

	for (;;) {
		if (read_frame(r, &f, err, errlen) < 0)
			return -1;
		if (f.txnr == 0) {
			if (strcmp(f.cmd, "serverclose") == 0) {
				snprintf(err, errlen, "RELP: the server closed the session");
				return -1;
			}
			continue;   /* another hint: ignored, as the protocol allows */
		}
		if (strcmp(f.cmd, "rsp") != 0 || f.txnr != txnr) {
			snprintf(err, errlen, "RELP: expected the answer to %u, got '%s' for %u",
				 txnr, f.cmd, f.txnr);
			return -1;
		}
		if (f.len >= 3 && memcmp(f.data, "200", 3) == 0)
			return 0;
		const char *nl = memchr(f.data, '\n', f.len);
		snprintf(err, errlen, "RELP: the server refused: %.*s",
			 (int)(nl ? (size_t)(nl - f.data) : f.len), f.data);
		return -1;
	}
}

static struct relp *relp_new(struct tls_conn *t, int timeout_ms)
{
	struct relp *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	if (!(r->in = malloc(RELP_IN_MAX))) {
		free(r);
		return NULL;
	}
	r->t = t;
	r->timeout_ms = timeout_ms;
	return r;
}

void relp_free(struct relp *r)
{
	if (!r)
		return;
	sbuf_free(&r->out);
	free(r->in);
	free(r);
}

struct relp *relp_open(struct tls_conn *t, int timeout_ms, char *err, size_t errlen)
{
	static const char offers[] = "relp_version=0\nrelp_software=vigil," VIGIL_VERSION
		",https://github.com/vigil\ncommands=syslog";
	struct relp *r = relp_new(t, timeout_ms);
	struct frame f;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	put_frame(r, "open", offers, strlen(offers));
	if (r->out.oom || tls_write(t, r->out.p, r->out.len, err, errlen) < 0)
		goto fail;
	if (read_frame(r, &f, err, errlen) < 0)
		goto fail;
	if (strcmp(f.cmd, "rsp") != 0 || f.txnr != r->txnr || f.len < 3 ||
	    memcmp(f.data, "200", 3) != 0) {
		const char *nl = memchr(f.data, '\n', f.len);
		snprintf(err, errlen, "RELP: the server refused the session: %.*s",
			 (int)(nl ? (size_t)(nl - f.data) : f.len), f.data);
		goto fail;
	}
	/* the server must offer syslog back, or we may not use it */
	if (!memmem(f.data, f.len, "commands=", 9) || !memmem(f.data, f.len, "syslog", 6)) {
		snprintf(err, errlen, "RELP: the server does not accept syslog commands");
		goto fail;
	}
	return r;
fail:
	relp_free(r);
	return NULL;
}

int relp_send(struct relp *r, const struct syslog_ident *id, const struct outbox_row *rows,
	      int n, char *err, size_t errlen)
{
	struct sbuf msg = { 0 };
	unsigned first;
	int acked = 0;

	if (n > RELP_WINDOW)
		n = RELP_WINDOW;
	sbuf_reset(&r->out);
	first = r->txnr >= 999999999 ? 1 : r->txnr + 1;
	for (int i = 0; i < n; i++) {
		sbuf_reset(&msg);
		syslog_msg_append(&msg, id, &rows[i]);
		if (msg.oom) {
			snprintf(err, errlen, "out of memory");
			sbuf_free(&msg);
			return 0;
		}
		put_frame(r, "syslog", msg.p, msg.len);
	}
	sbuf_free(&msg);
	if (r->out.oom) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	if (tls_write(r->t, r->out.p, r->out.len, err, errlen) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		unsigned tx = first + (unsigned)i;
		if (tx > 999999999)
			tx -= 999999999;
		if (expect_rsp(r, tx, err, errlen) < 0)
			break;
		acked++;
	}
	return acked;
}

void relp_close(struct relp *r)
{
	char err[200];

	if (!r)
		return;
	sbuf_reset(&r->out);
	put_frame(r, "close", "", 0);
	r->timeout_ms = 2000;
	if (!r->out.oom && tls_write(r->t, r->out.p, r->out.len, err, sizeof err) == 0)
		expect_rsp(r, r->txnr, err, sizeof err);
	relp_free(r);
}
