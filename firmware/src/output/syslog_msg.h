/*
 * syslog_msg.h - RFC 5424 messages and RFC 5425 framing of outbox events.
 *
 * Owns: the one form in which an event leaves the sensor over syslog
 * (RELP carries the same message): <PRI>1 TIMESTAMP HOSTNAME vigil - MSGID
 * [vigil@32473 event_id="..." sensor="..." sensor_name="..."] JSON. The
 * SD-ID uses 32473, the enterprise number RFC 5612 reserves for
 * documentation, until vigil has its own.
 */
#ifndef VIGIL_SYSLOG_MSG_H
#define VIGIL_SYSLOG_MSG_H

#include <stddef.h>
#include "outbox.h"

struct syslog_ident {
	const char *hostname;     /* HOSTNAME field: the sensor's name */
	const char *sensor_id;
	int facility;             /* 16 = local0 */
};

/* A growable byte buffer the framers append to. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_put(struct sbuf *b, const void *s, size_t n);

/* Append the RFC 5424 message of row to b. */
void syslog_msg_append(struct sbuf *b, const struct syslog_ident *id, const struct outbox_row *r);

/* Append "LEN SP MSG" (RFC 5425 octet counting) for row to b. */
void syslog_frame_append(struct sbuf *b, const struct syslog_ident *id, const struct outbox_row *r);

#endif
