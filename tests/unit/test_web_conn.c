/*
 * test_web_conn.c - the web server's connection rules (web_conn.h) on
 * their own, with made-up addresses and times: who is admitted (per
 * address, IPv6 by /64, the reserve for new clients, the total), and when
 * a connection is shut down (headers, body, kept-alive connections, never
 * while it is answered). Deadlines are checked with web_conns_expire at
 * chosen times, so nothing here depends on the machine's speed; the
 * watchdog thread and libmicrohttpd are tested end to end in
 * tests/web/test_api.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/log.h"
#include "web/web_conn.h"

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static socklen_t alen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Admit and open a connection from text, as libmicrohttpd does at accept:
 * its entry, or NULL when refused. */
static struct web_conn *connect_from(struct web_conns *t, const char *text, int fd, uint64_t now)
{
	struct sockaddr_storage ss = addr(text);

	if (!web_conns_admit(t, (struct sockaddr *)&ss, alen(&ss)))
		return NULL;
	struct web_conn *c = web_conns_opened(t, (struct sockaddr *)&ss, alen(&ss), fd, now);
	assert_non_null(c);
	return c;
}

static unsigned from(struct web_conns *t, const char *text)
{
	struct sockaddr_storage ss = addr(text);

	return web_conns_from(t, (struct sockaddr *)&ss, alen(&ss));
}

static void test_per_address(void **state)
{
	struct web_conns *t = web_conns_new(1);
	struct web_conn *c[WEB_CONN_PER_ADDR];

	(void)state;
	for (int i = 0; i < WEB_CONN_PER_ADDR; i++)
		assert_non_null(c[i] = connect_from(t, "192.0.2.1", -1, 0));
	assert_null(connect_from(t, "192.0.2.1", -1, 0));
	assert_int_equal(from(t, "192.0.2.1"), WEB_CONN_PER_ADDR);
	/* another address is not affected */
	assert_non_null(connect_from(t, "192.0.2.2", -1, 0));
	/* one closes: the address may open one again */
	web_conns_closed(t, c[3]);
	assert_int_equal(from(t, "192.0.2.1"), WEB_CONN_PER_ADDR - 1);
	assert_non_null(connect_from(t, "192.0.2.1", -1, 0));
	assert_null(connect_from(t, "192.0.2.1", -1, 0));
	assert_int_equal(web_conns_open(t), WEB_CONN_PER_ADDR + 1);
	web_conns_free(t);
}

static void test_ipv6_by_prefix(void **state)
{
	struct web_conns *t = web_conns_new(1);

	(void)state;
	/* every address of one /64 counts against the same limit */
	for (int i = 0; i < WEB_CONN_PER_ADDR; i++) {
		char a[64];
		snprintf(a, sizeof a, "2001:db8:1:2::%x", i + 1);
		assert_non_null(connect_from(t, a, -1, 0));
	}
	assert_null(connect_from(t, "2001:db8:1:2:ffff:ffff:ffff:ffff", -1, 0));
	assert_non_null(connect_from(t, "2001:db8:1:3::1", -1, 0));
	/* an IPv4-mapped address is the IPv4 address */
	for (int i = 0; i < WEB_CONN_PER_ADDR; i++)
		assert_non_null(connect_from(t, "198.51.100.7", -1, 0));
	assert_null(connect_from(t, "::ffff:198.51.100.7", -1, 0));
	assert_int_equal(from(t, "::ffff:198.51.100.7"), WEB_CONN_PER_ADDR);
	web_conns_free(t);
}

static void test_reserve_and_total(void **state)
{
	struct web_conns *t;
	int shared = WEB_CONN_MAX - WEB_CONN_RESERVE;
	char a[32];

	(void)state;
	/* shared - 1 slots taken by a few addresses, none at its own limit */
	t = web_conns_new(1);
	for (int i = 0; i < shared - 1; i++) {
		snprintf(a, sizeof a, "10.0.1.%d", i / (WEB_CONN_PER_ADDR - 1) + 1);
		assert_non_null(connect_from(t, a, -1, 0));
	}
	/* one below the reserve: an address with connections still gets one */
	unsigned had = from(t, "10.0.1.4");
	assert_true(had > 0 && had < WEB_CONN_PER_ADDR - 1);
	assert_non_null(connect_from(t, "10.0.1.4", -1, 0));
	assert_int_equal(web_conns_open(t), (unsigned)shared);
	/* in the reserve: a new address gets one, the others none, even below
	 * their own limit */
	assert_non_null(connect_from(t, "10.0.3.1", -1, 0));
	assert_null(connect_from(t, "10.0.3.1", -1, 0));
	assert_null(connect_from(t, "10.0.1.4", -1, 0));
	assert_int_equal(from(t, "10.0.1.1"), WEB_CONN_PER_ADDR - 1);
	assert_null(connect_from(t, "10.0.1.1", -1, 0));
	/* every new address gets one slot of the reserve, until all are taken */
	for (int i = 1; i < WEB_CONN_RESERVE; i++) {
		snprintf(a, sizeof a, "10.0.4.%d", i);
		assert_non_null(connect_from(t, a, -1, 0));
	}
	assert_int_equal(web_conns_open(t), WEB_CONN_MAX);
	assert_null(connect_from(t, "10.0.5.1", -1, 0));
	web_conns_free(t);
}

static void test_unix_socket_total_only(void **state)
{
	struct web_conns *t = web_conns_new(0);

	(void)state;
	/* behind the proxy every connection comes from it: only the total */
	for (int i = 0; i < WEB_CONN_MAX; i++) {
		assert_true(web_conns_admit(t, NULL, 0));
		assert_non_null(web_conns_opened(t, NULL, 0, -1, 0));
	}
	assert_false(web_conns_admit(t, NULL, 0));
	assert_null(web_conns_opened(t, NULL, 0, -1, 0));
	web_conns_free(t);
}

/* A connected socket pair: fd[0] is the server's side. */
static void pair(int fd[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0);
	assert_int_equal(fcntl(fd[1], F_SETFL, O_NONBLOCK), 0);
}

/* Has the server's side been shut down (the client reads the end)? */
static int cut(int client_fd)
{
	char b;
	ssize_t n = read(client_fd, &b, 1);

	return n == 0;
}

static void test_header_deadline(void **state)
{
	struct web_conns *t = web_conns_new(1);
	const uint64_t H = WEB_HEADER_DEADLINE_S * 1000ULL;
	int fd[2];

	(void)state;
	pair(fd);
	struct web_conn *c = connect_from(t, "192.0.2.1", fd[0], 1000);
	assert_non_null(c);
	/* whatever the client sends, the deadline stays where it was */
	web_conn_request_started(t, c);
	assert_int_equal(web_conns_expire(t, 1000 + H - 1), 0);
	assert_false(cut(fd[1]));
	assert_int_equal(web_conns_expire(t, 1000 + H), 1);
	assert_true(cut(fd[1]));
	/* once cut, never again; the next answer does not revive it */
	web_conn_answer_done(t, c, 1000 + H);
	assert_int_equal(web_conns_expire(t, 1000 + 10 * H), 0);
	web_conns_closed(t, c);
	assert_int_equal(web_conns_open(t), 0);
	close(fd[0]);
	close(fd[1]);
	web_conns_free(t);
}

static void test_body_and_keepalive(void **state)
{
	struct web_conns *t = web_conns_new(1);
	const uint64_t H = WEB_HEADER_DEADLINE_S * 1000ULL, B = WEB_BODY_DEADLINE_S * 1000ULL;
	int fd[2];

	(void)state;
	pair(fd);
	struct web_conn *c = connect_from(t, "192.0.2.1", fd[0], 0);
	/* headers complete at 3 s: the body has B from then */
	web_conn_headers_done(t, c, 3000);
	assert_int_equal(web_conns_expire(t, H), 0);
	assert_int_equal(web_conns_expire(t, 3000 + B - 1), 0);
	/* the body is in: no deadline while the answer is made and sent */
	web_conn_request_done(t, c);
	assert_int_equal(web_conns_expire(t, 3000 + 100 * B), 0);
	assert_false(cut(fd[1]));
	/* answered at 500 s: the next request's headers have H from then */
	web_conn_answer_done(t, c, 500000);
	assert_int_equal(web_conns_expire(t, 500000 + H - 1), 0);
	web_conn_headers_done(t, c, 500000 + H - 1);
	web_conn_request_done(t, c);
	web_conn_answer_done(t, c, 600000);
	/* a kept-alive connection that stays idle is closed at its deadline */
	assert_int_equal(web_conns_expire(t, 600000 + H - 1), 0);
	assert_false(cut(fd[1]));
	assert_int_equal(web_conns_expire(t, 600000 + H), 1);
	assert_true(cut(fd[1]));
	web_conns_closed(t, c);
	close(fd[0]);
	close(fd[1]);

	/* a body that does not arrive in time */
	pair(fd);
	c = connect_from(t, "192.0.2.1", fd[0], 0);
	web_conn_headers_done(t, c, 1000);
	assert_int_equal(web_conns_expire(t, 1000 + B - 1), 0);
	assert_int_equal(web_conns_expire(t, 1000 + B), 1);
	assert_true(cut(fd[1]));
	/* closed entries are never touched again */
	web_conns_closed(t, c);
	web_conns_closed(t, c);
	assert_int_equal(web_conns_open(t), 0);
	close(fd[0]);
	close(fd[1]);
	web_conns_free(t);
}

static void test_watchdog(void **state)
{
	struct web_conns *t = web_conns_new(1);
	char err[128];
	int fd[2];

	(void)state;
	assert_int_equal(web_conns_start(t, err, sizeof err), 0);
	pair(fd);
	/* opened long ago by the clock: the watchdog cuts it on its next round */
	uint64_t now = mono_ms();
	struct web_conn *c = connect_from(t, "192.0.2.1", fd[0],
					  now - WEB_HEADER_DEADLINE_S * 1000ULL);
	assert_int_equal(fcntl(fd[1], F_SETFL, 0), 0);   /* blocking: wait for it */
	struct timeval tv = { 30, 0 };
	assert_int_equal(setsockopt(fd[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	assert_true(cut(fd[1]));
	web_conns_closed(t, c);
	close(fd[0]);
	close(fd[1]);
	web_conns_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_address),
		cmocka_unit_test(test_ipv6_by_prefix),
		cmocka_unit_test(test_reserve_and_total),
		cmocka_unit_test(test_unix_socket_total_only),
		cmocka_unit_test(test_header_deadline),
		cmocka_unit_test(test_body_and_keepalive),
		cmocka_unit_test(test_watchdog),
	};
	log_set_level(LOG_LVL_ERROR);   /* the refusals log warnings */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
