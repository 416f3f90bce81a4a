/*
 * web_conn.c - connection admission and request deadlines (see
 * web_conn.h).
 *
 * Why a watchdog: libmicrohttpd's connection timeout is an idle timeout,
 * restarted by every byte, so a client sending one header line every few
 * seconds keeps its connection (and, with one thread per connection, a
 * thread) for as long as it likes. The watchdog holds the deadlines the
 * client cannot move. It may only shut down a socket that is still open:
 * entries are removed under the lock when libmicrohttpd reports the
 * connection closed, which it does before it closes the socket, and the
 * watchdog shuts sockets down under the same lock.
 */
#include "web_conn.h"
#include "core/clock.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_TICK_MS 250
#define LOG_EVERY_MS 10000     /* at most one line per kind and 10 s */

/* IDLE: no request line yet (a new or kept-alive connection; closing it
 * at the deadline is ordinary, browsers open connections they may not
 * use); HEADERS: the request line is in, the headers are not. */
enum phase { PH_IDLE, PH_HEADERS, PH_BODY, PH_ANSWER, PH_CUT };

/* Who a connection counts against: an IPv4 address or an IPv6 /64
 * (fam 0: no address, a UNIX socket). */
struct addr_key {
	uint8_t fam;
	uint8_t b[8];
};

struct web_conn {
	int used;
	int fd;
	struct addr_key key;
	char addr[INET6_ADDRSTRLEN + 4];
	enum phase phase;
	uint64_t deadline_ms;      /* 0: none */
};

struct ratelog {
	int logged;
	uint64_t last_ms;
	unsigned suppressed;
};

struct web_conns {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int running, stop;
	int per_addr;
	unsigned open;
	struct ratelog refused, cut, idle;
	struct web_conn c[WEB_CONN_MAX];
};

/* May a line be logged now? *suppressed: how many were not since. */
static int ratelog_ok(struct ratelog *r, uint64_t now, unsigned *suppressed)
{
	if (r->logged && now - r->last_ms < LOG_EVERY_MS) {
		r->suppressed++;
		return 0;
	}
	*suppressed = r->suppressed;
	r->suppressed = 0;
	r->logged = 1;
	r->last_ms = now;
	return 1;
}

/* " (N more since the last such line)" when lines were left out. */
static void more_text(char *out, size_t outlen, unsigned suppressed)
{
	out[0] = '\0';
	if (suppressed)
		snprintf(out, outlen, " (%u more since the last such line)", suppressed);
}

static void make_key(const struct sockaddr *sa, socklen_t len, struct addr_key *k, char *text,
		     size_t textlen)
{
	memset(k, 0, sizeof *k);
	snprintf(text, textlen, "unix");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		k->fam = 4;
		memcpy(k->b, &sin->sin_addr, 4);
		inet_ntop(AF_INET, &sin->sin_addr, text, (socklen_t)textlen);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			k->fam = 4;
			memcpy(k->b, sin6->sin6_addr.s6_addr + 12, 4);
			inet_ntop(AF_INET, sin6->sin6_addr.s6_addr + 12, text, (socklen_t)textlen);
		} else {
			struct in6_addr net;
			char buf[INET6_ADDRSTRLEN];

			k->fam = 6;
			memcpy(k->b, sin6->sin6_addr.s6_addr, 8);
			memset(&net, 0, sizeof net);
			memcpy(net.s6_addr, sin6->sin6_addr.s6_addr, 8);
			inet_ntop(AF_INET6, &net, buf, sizeof buf);
			snprintf(text, textlen, "%s/64", buf);
		}
	}
}

static unsigned count_key(struct web_conns *t, const struct addr_key *k)
{
	unsigned n = 0;

	for (int i = 0; i < WEB_CONN_MAX; i++)
		if (t->c[i].used && memcmp(&t->c[i].key, k, sizeof *k) == 0)
			n++;
	return n;
}

/* Shut down what is past its deadline (lock held); msg gets the line to
 * log once the lock is released ("" for none): a log line may block, the
 * lock must not wait for it. */
static unsigned expire_locked(struct web_conns *t, uint64_t now, char *msg, size_t msglen)
{
	unsigned n = 0, sup;

	msg[0] = '\0';
	for (int i = 0; i < WEB_CONN_MAX; i++) {
		struct web_conn *c = &t->c[i];

		if (!c->used || !c->deadline_ms || now < c->deadline_ms)
			continue;
		if (c->phase == PH_IDLE) {
			if (ratelog_ok(&t->idle, now, &sup))
				log_debug("web: %s: no request within %d s: connection closed", c->addr,
					  WEB_HEADER_DEADLINE_S);
		} else if (ratelog_ok(&t->cut, now, &sup)) {
			char more[64];

			more_text(more, sizeof more, sup);
			snprintf(msg, msglen, "web: %s: request %s not complete within %d s:"
				 " connection closed%s", c->addr, c->phase == PH_BODY ? "body" : "headers",
				 c->phase == PH_BODY ? WEB_BODY_DEADLINE_S : WEB_HEADER_DEADLINE_S, more);
		}
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
		c->phase = PH_CUT;
		c->deadline_ms = 0;
		n++;
	}
	return n;
}

static void *watchdog(void *arg)
{
	struct web_conns *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct timespec until;
		char msg[256];

		expire_locked(t, mono_ms(), msg, sizeof msg);
		if (msg[0]) {
			pthread_mutex_unlock(&t->lock);
			log_warn("%s", msg);
			pthread_mutex_lock(&t->lock);
		}
		until = timespec_in_ms(1, WATCHDOG_TICK_MS);
		pthread_cond_timedwait(&t->cond, &t->lock, &until);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct web_conns *web_conns_new(int per_addr)
{
	struct web_conns *t = calloc(1, sizeof *t);
	pthread_condattr_t ca;

	if (!t)
		return NULL;
	t->per_addr = per_addr;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	return t;
}

int web_conns_start(struct web_conns *t, char *err, size_t errlen)
{
	int rc = pthread_create(&t->thread, NULL, watchdog, t);

	if (rc != 0) {
		snprintf(err, errlen, "cannot start the connection watchdog: %s", strerror(rc));
		return -1;
	}
	t->running = 1;
	return 0;
}

void web_conns_free(struct web_conns *t)
{
	if (!t)
		return;
	if (t->running) {
		pthread_mutex_lock(&t->lock);
		t->stop = 1;
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
	}
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}

int web_conns_admit(struct web_conns *t, const struct sockaddr *addr, socklen_t addrlen)
{
	struct addr_key k;
	char text[INET6_ADDRSTRLEN + 4], why[160] = "";
	uint64_t now = mono_ms();
	unsigned sup;

	make_key(addr, addrlen, &k, text, sizeof text);
	pthread_mutex_lock(&t->lock);
	if (t->open >= WEB_CONN_MAX) {
		snprintf(why, sizeof why, "all %d connections are in use", WEB_CONN_MAX);
	} else if (t->per_addr && k.fam) {
		unsigned n = count_key(t, &k);

		if (n >= WEB_CONN_PER_ADDR)
			snprintf(why, sizeof why, "it holds %u connections, the limit per address", n);
		else if (n > 0 && t->open >= WEB_CONN_MAX - WEB_CONN_RESERVE)
			snprintf(why, sizeof why, "it holds %u connections and the last %d are kept"
				 " for new clients", n, WEB_CONN_RESERVE);
	}
	int log = why[0] && ratelog_ok(&t->refused, now, &sup);
	pthread_mutex_unlock(&t->lock);
	if (log) {
		char more[64];

		more_text(more, sizeof more, sup);
		log_warn("web: connection from %s refused: %s%s", text, why, more);
	}
	return why[0] == '\0';
}

struct web_conn *web_conns_opened(struct web_conns *t, const struct sockaddr *addr,
				  socklen_t addrlen, int fd, uint64_t now_ms)
{
	struct web_conn *c = NULL;

	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < WEB_CONN_MAX && !c; i++)
		if (!t->c[i].used)
			c = &t->c[i];
	if (c) {
		memset(c, 0, sizeof *c);
		c->used = 1;
		c->fd = fd;
		make_key(addr, addrlen, &c->key, c->addr, sizeof c->addr);
		c->phase = PH_IDLE;
		c->deadline_ms = now_ms + WEB_HEADER_DEADLINE_S * 1000ULL;
		t->open++;
	}
	pthread_mutex_unlock(&t->lock);
	return c;
}

void web_conns_closed(struct web_conns *t, struct web_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->used) {
		c->used = 0;
		c->fd = -1;
		t->open--;
	}
	pthread_mutex_unlock(&t->lock);
}

void web_conn_request_started(struct web_conns *t, struct web_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->phase == PH_IDLE)
		c->phase = PH_HEADERS;     /* the deadline stays where it is */
	pthread_mutex_unlock(&t->lock);
}

void web_conn_headers_done(struct web_conns *t, struct web_conn *c, uint64_t now_ms)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->phase == PH_IDLE || c->phase == PH_HEADERS) {
		c->phase = PH_BODY;
		c->deadline_ms = now_ms + WEB_BODY_DEADLINE_S * 1000ULL;
	}
	pthread_mutex_unlock(&t->lock);
}

void web_conn_request_done(struct web_conns *t, struct web_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->phase == PH_IDLE || c->phase == PH_HEADERS || c->phase == PH_BODY) {
		c->phase = PH_ANSWER;
		c->deadline_ms = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

void web_conn_answer_done(struct web_conns *t, struct web_conn *c, uint64_t now_ms)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->phase != PH_CUT) {
		c->phase = PH_IDLE;
		c->deadline_ms = now_ms + WEB_HEADER_DEADLINE_S * 1000ULL;
	}
	pthread_mutex_unlock(&t->lock);
}

unsigned web_conns_expire(struct web_conns *t, uint64_t now_ms)
{
	char msg[256];
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = expire_locked(t, now_ms, msg, sizeof msg);
	pthread_mutex_unlock(&t->lock);
	if (msg[0])
		log_warn("%s", msg);
	return n;
}

unsigned web_conns_open(struct web_conns *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = t->open;
	pthread_mutex_unlock(&t->lock);
	return n;
}

unsigned web_conns_from(struct web_conns *t, const struct sockaddr *addr, socklen_t addrlen)
{
	struct addr_key k;
	char text[INET6_ADDRSTRLEN + 4];
	unsigned n;

	make_key(addr, addrlen, &k, text, sizeof text);
	pthread_mutex_lock(&t->lock);
	n = count_key(t, &k);
	pthread_mutex_unlock(&t->lock);
	return n;
}
