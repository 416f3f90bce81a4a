/*
 * web_conn.h - who may hold a connection to the web server, and how long
 * a request may take to arrive.
 *
 * Owns: the table of open connections (at most WEB_CONN_MAX) and two rules
 * that keep slow or greedy clients from locking everyone else out:
 *
 *  - admission, at accept: at most WEB_CONN_PER_ADDR connections from one
 *    address (IPv6: one /64), and once WEB_CONN_MAX - WEB_CONN_RESERVE are
 *    open, only addresses that hold none get one of the last slots. A
 *    refused connection is closed at once, without an answer. On a UNIX
 *    socket (behind the proxy, every connection comes from it) only the
 *    total counts.
 *  - deadlines, fixed when they start and not moved by what the client
 *    sends: the request line and headers must be complete
 *    WEB_HEADER_DEADLINE_S after accept (on a kept-alive connection: after
 *    the previous answer), the body WEB_BODY_DEADLINE_S after the headers.
 *    Past its deadline a connection is shut down (shutdown(2); the server's
 *    thread for it then sees the end of the stream and closes it). Once the
 *    request is in, the server's own idle timeout governs the answer.
 *
 * The table is plain bookkeeping under one lock plus a watchdog thread
 * that enforces the deadlines; web.c calls it from libmicrohttpd's
 * callbacks. Times are CLOCK_MONOTONIC milliseconds (mono_ms, clock.h).
 */
#ifndef VIGIL_WEB_CONN_H
#define VIGIL_WEB_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WEB_CONN_MAX 64           /* open connections (one thread each) */
#define WEB_CONN_PER_ADDR 16      /* from one client address */
#define WEB_CONN_RESERVE 16       /* the last slots: for addresses holding none */
#define WEB_HEADER_DEADLINE_S 10  /* accept (or the previous answer) -> headers complete */
#define WEB_BODY_DEADLINE_S 10    /* headers complete -> body complete */

struct web_conns;
struct web_conn;

/* per_addr: apply the per-address rules (TCP); 0 for a UNIX socket. */
struct web_conns *web_conns_new(int per_addr);
/* Start the watchdog thread. 0, or -1 with err. */
int web_conns_start(struct web_conns *t, char *err, size_t errlen);
/* Stop the watchdog and free the table (after the server has stopped). */
void web_conns_free(struct web_conns *t);

/* At accept: 1 when a connection from addr may be opened, else 0 (logged,
 * rate-limited). */
int web_conns_admit(struct web_conns *t, const struct sockaddr *addr, socklen_t addrlen);
/* A connection was opened on socket fd (-1: none to shut down, for tests):
 * its entry, or NULL when the table is full (the caller closes it). Its
 * header deadline starts now. */
struct web_conn *web_conns_opened(struct web_conns *t, const struct sockaddr *addr,
				  socklen_t addrlen, int fd, uint64_t now_ms);
void web_conns_closed(struct web_conns *t, struct web_conn *c);

/* The request's progress on connection c: its request line is in (the
 * deadline does not move; a connection cut before this is an idle one,
 * logged only at debug level, after it a slow one, logged as a warning),
 * headers complete (the body's deadline starts), the request is complete
 * (no deadline while it is answered), the answer is done (the next
 * request's header deadline starts). */
void web_conn_request_started(struct web_conns *t, struct web_conn *c);
void web_conn_headers_done(struct web_conns *t, struct web_conn *c, uint64_t now_ms);
void web_conn_request_done(struct web_conns *t, struct web_conn *c);
void web_conn_answer_done(struct web_conns *t, struct web_conn *c, uint64_t now_ms);

/* Shut down every connection past its deadline at now: how many. The
 * watchdog calls it four times a second; tests call it directly. */
unsigned web_conns_expire(struct web_conns *t, uint64_t now_ms);

/* Counters for tests and status: open connections, from addr's key. */
unsigned web_conns_open(struct web_conns *t);
unsigned web_conns_from(struct web_conns *t, const struct sockaddr *addr, socklen_t addrlen);

#endif
