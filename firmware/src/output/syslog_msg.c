/*
 * syslog_msg.c - RFC 5424 messages, RFC 5425 frames (see syslog_msg.h).
 */
#include "syslog_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void sbuf_put(struct sbuf *b, const void *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_put(b, s, strlen(s));
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static void sd_value(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			sbuf_put(b, "\\", 1);
		sbuf_put(b, s, 1);
	}
}

/* A header field: printable US-ASCII without space, at most max, "-" if empty. */
static void header_field(struct sbuf *b, const char *s, size_t max)
{
	size_t n = 0;
	for (; s && *s && n < max; s++, n++) {
		char c = (*s > 32 && *s < 127) ? *s : '_';
		sbuf_put(b, &c, 1);
	}
	if (n == 0)
		sbuf_put(b, "-", 1);
}

void syslog_msg_append(struct sbuf *b, const struct syslog_ident *id, const struct outbox_row *r)
{
	static const char *msgid[] = { "alert", "summary", "flow" };
	char head[128];
	time_t secs = (time_t)(r->created_us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(head, sizeof head, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06uZ ",
		 id->facility * 8 + (r->severity & 7), tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(r->created_us % 1000000));
	sbuf_str(b, head);
	header_field(b, id->hostname, 255);
	sbuf_str(b, " vigil - ");
	sbuf_str(b, r->kind >= 0 && r->kind < OUTBOX__KINDS ? msgid[r->kind] : "event");
	sbuf_str(b, " [vigil@32473 event_id=\"");
	sd_value(b, r->event_id);
	sbuf_str(b, "\" sensor=\"");
	sd_value(b, id->sensor_id ? id->sensor_id : "");
	sbuf_str(b, "\"] ");
	sbuf_put(b, r->body, r->len);
}

void syslog_frame_append(struct sbuf *b, const struct syslog_ident *id, const struct outbox_row *r)
{
	struct sbuf m = { 0 };
	char len[24];

	syslog_msg_append(&m, id, r);
	if (m.oom) {
		b->oom = 1;
		sbuf_free(&m);
		return;
	}
	snprintf(len, sizeof len, "%zu ", m.len);
	sbuf_str(b, len);
	sbuf_put(b, m.p, m.len);
	sbuf_free(&m);
}
