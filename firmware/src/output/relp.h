/*
 * relp.h - a RELP client session (the Reliable Event Logging Protocol of
 * rsyslog's librelp) over a TLS connection.
 *
 * Owns: the frames (TXNR SP COMMAND SP DATALEN [SP DATA] LF), the session
 * (open with offers relp_version=0 and commands=syslog, close), the
 * transaction numbers and the window: a batch of syslog commands is
 * written in one go and their rsp frames are read in order. An event
 * counts as delivered only on its "rsp" with status 200.
 */
#ifndef VIGIL_RELP_H
#define VIGIL_RELP_H

#include <stddef.h>
#include "outbox.h"
#include "syslog_msg.h"
#include "tls/tls_client.h"

#define RELP_WINDOW 128         /* syslog commands in flight at most */

struct relp;

/* Open a session on t (which stays the caller's). NULL and err filled on
 * failure (the server's refusal in its words). */
struct relp *relp_open(struct tls_conn *t, int timeout_ms, char *err, size_t errlen);

/* Send rows[0..n) (n <= RELP_WINDOW) as syslog commands and read their
 * answers. Returns how many of the first rows were acknowledged with 200
 * (all n on success); when fewer, err says why and the session is broken. */
int relp_send(struct relp *r, const struct syslog_ident *id, const struct outbox_row *rows,
	      int n, char *err, size_t errlen);

/* Send close, wait briefly for its rsp, free the session. */
void relp_close(struct relp *r);

/* Free without the close exchange (the connection is broken). */
void relp_free(struct relp *r);

#endif
