/*
 * test_sink_queue.c - the packet thread / writer thread hand-off
 * (sink_queue.h) with a real writer thread.
 *
 * The consumer runs on the writer thread, where cmocka's assertions must
 * not be used (they longjmp): it counts what it saw and what was wrong,
 * and the test thread checks those counts once the queue is drained or
 * closed (both order the writer's work before their return).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "output/sink_queue.h"

static const char *const APP = "tls", *const STATE = "established", *const REASON = "timeout";
static const char *const RISK = "Self-signed Certificate";

struct consumer {
	atomic_ulong seen;         /* records consumed */
	atomic_ulong bad;          /* records with a wrong field */
	uint64_t next_id;          /* writer thread only */
	unsigned sleep_us;         /* slow consumer */
	pthread_t main_thread;
	int other_thread;          /* 1 if consume ran off the main thread */
	atomic_ulong alerts;       /* alerts consumed */
	atomic_ulong alerts_bad;   /* alerts whose copied strings were wrong */
	char first_bad[256];
};

static void mark_bad(struct consumer *c, const struct flow_record *r, const char *what)
{
	if (atomic_fetch_add(&c->bad, 1) == 0)
		snprintf(c->first_bad, sizeof c->first_bad, "flow_id %llu: %s",
			 (unsigned long long)r->flow_id, what);
}

/* The strings the producer wrote for record i (and then overwrote). */
static void expected(uint64_t i, char sni[64], char dns[64], char ua[64], char ndpi[32])
{
	snprintf(sni, 64, "host-%llu.example.com", (unsigned long long)i);
	snprintf(dns, 64, "q%llu.example.net", (unsigned long long)i);
	snprintf(ua, 64, "agent/%llu (\"quoted\")", (unsigned long long)i);
	snprintf(ndpi, 32, "TLS.App%llu", (unsigned long long)(i % 97));
}

static int same(const char *got, const char *want)
{
	return got && strcmp(got, want) == 0;
}

static void consume(void *ctx, const struct flow_record *r, const struct alert *a)
{
	if (a) {
		struct consumer *ca = ctx;
		char want[64];
		snprintf(want, sizeof want, "alert %lu", (unsigned long)atomic_load(&ca->alerts));
		if (!a->signature || strcmp(a->signature, want) != 0 ||
		    !a->meta[0].value || strcmp(a->meta[0].value, "42") != 0 ||
		    strcmp(a->src_ip, "192.0.2.9") != 0 || a->flow_ids[0] != 7)
			atomic_fetch_add(&ca->alerts_bad, 1);
		atomic_fetch_add(&ca->alerts, 1);
		return;
	}
	struct consumer *c = ctx;
	char sni[64], dns[64], ua[64], ndpi[32], ip[46];

	if (!pthread_equal(pthread_self(), c->main_thread))
		c->other_thread = 1;
	if (c->sleep_us)
		usleep(c->sleep_us);
	if (r->flow_id != c->next_id)
		mark_bad(c, r, "out of order");
	c->next_id = r->flow_id + 1;
	expected(r->flow_id, sni, dns, ua, ndpi);
	snprintf(ip, sizeof ip, "10.0.%u.%u", (unsigned)(r->flow_id >> 8 & 0xff),
		 (unsigned)(r->flow_id & 0xff));
	if (!same(r->tls_sni, sni))
		mark_bad(c, r, "tls_sni");
	if (!same(r->dns_rrname, dns))
		mark_bad(c, r, "dns_rrname");
	if (!same(r->http_user_agent, ua))
		mark_bad(c, r, "http_user_agent");
	if (!same(r->ndpi_protocol, ndpi))
		mark_bad(c, r, "ndpi_protocol");
	if (!same(r->src_ip, ip))
		mark_bad(c, r, "src_ip");
	/* optional strings: NULL stays NULL */
	if (r->flow_id % 2) {
		if (!same(r->ja3, "0123456789abcdef0123456789abcdef") || r->http_host)
			mark_bad(c, r, "ja3 / http_host (odd)");
	} else {
		if (r->ja3 || !same(r->http_host, "www.example.com"))
			mark_bad(c, r, "ja3 / http_host (even)");
	}
	if (r->ja3s)
		mark_bad(c, r, "ja3s");
	if (!same(r->tls_cert_sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"))
		mark_bad(c, r, "tls_cert_sha1");
	/* names that live until shutdown are passed as they are */
	if (r->app_proto != APP || r->state != STATE || r->reason != REASON ||
	    r->n_risks != 1 || r->risks[0] != RISK)
		mark_bad(c, r, "static names");
	if (r->pkts_toserver != r->flow_id * 3 || r->bytes_toclient != r->flow_id * 1000 + 7 ||
	    r->dest_port != 443 || r->vlan != (uint16_t)(r->flow_id % 4095))
		mark_bad(c, r, "numbers");
	atomic_fetch_add(&c->seen, 1);
}

static void consumer_init(struct consumer *c, unsigned sleep_us)
{
	memset(c, 0, sizeof *c);
	atomic_init(&c->seen, 0);
	atomic_init(&c->bad, 0);
	c->sleep_us = sleep_us;
	c->main_thread = pthread_self();
}

/* Push record i from buffers the producer owns, then scribble over them
 * right away as a flow table would reuse its memory. */
static void push(struct sink_queue *q, uint64_t i)
{
	char sni[64], dns[64], ua[64], ndpi[32], ja3[33], host[32], sha1[41];
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = i;
	snprintf(r.src_ip, sizeof r.src_ip, "10.0.%u.%u", (unsigned)(i >> 8 & 0xff),
		 (unsigned)(i & 0xff));
	strcpy(r.dest_ip, "192.0.2.1");
	r.dest_port = 443;
	r.vlan = (uint16_t)(i % 4095);
	r.pkts_toserver = i * 3;
	r.bytes_toclient = i * 1000 + 7;
	r.app_proto = APP;
	r.state = STATE;
	r.reason = REASON;
	r.risks[0] = RISK;
	r.n_risks = 1;
	expected(i, sni, dns, ua, ndpi);
	strcpy(ja3, "0123456789abcdef0123456789abcdef");
	strcpy(host, "www.example.com");
	strcpy(sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	r.tls_cert_sha1 = sha1;
	r.tls_sni = sni;
	r.dns_rrname = dns;
	r.http_user_agent = ua;
	r.ndpi_protocol = ndpi;
	r.ja3 = i % 2 ? ja3 : NULL;
	r.http_host = i % 2 ? NULL : host;
	sinkq_push(q, &r);
	memset(sni, '#', sizeof sni - 1);
	memset(dns, '#', sizeof dns - 1);
	memset(ua, '#', sizeof ua - 1);
	memset(ndpi, '#', sizeof ndpi - 1);
	memset(ja3, '#', sizeof ja3 - 1);
	memset(host, '#', sizeof host - 1);
	memset(sha1, '#', sizeof sha1 - 1);
	memset(&r, 0xA5, sizeof r);
}

static void check_clean(struct consumer *c, unsigned long n)
{
	if (atomic_load(&c->bad))
		fail_msg("%lu bad records, first: %s", (unsigned long)atomic_load(&c->bad),
			 c->first_bad);
	assert_int_equal(atomic_load(&c->seen), n);
	assert_int_equal(c->next_id, n);
}

static void test_order_and_copies(void **state)
{
	struct consumer c;
	struct sink_queue *q;
	uint64_t waits;

	(void)state;
	consumer_init(&c, 0);
	q = sinkq_new(1024, consume, &c);
	assert_non_null(q);
	for (uint64_t i = 0; i < 10000; i++)
		push(q, i);
	waits = sinkq_close(q);
	check_clean(&c, 10000);
	assert_true(c.other_thread);
	assert_true(waits <= 10000);
}

static void test_slow_consumer_waits(void **state)
{
	struct consumer c;
	struct sink_queue *q;
	uint64_t waits;

	(void)state;
	consumer_init(&c, 300);
	q = sinkq_new(4, consume, &c);
	assert_non_null(q);
	for (uint64_t i = 0; i < 300; i++)
		push(q, i);
	waits = sinkq_close(q);
	check_clean(&c, 300);
	/* 300 records through 4 slots, each taking 300 us to consume: the
	 * producer had to wait (and nothing was dropped for it) */
	assert_true(waits > 0);
	assert_true(waits <= 300);
}

/* A producer that waits is woken at the low-water mark (half the ring
 * free), not for every record the writer takes: it waits at most once per
 * half ring it pushes, however fast either side is. */
static void test_wake_at_low_water(void **state)
{
	struct consumer c;
	struct sink_queue *q;
	uint64_t waits;

	(void)state;
	consumer_init(&c, 50);
	q = sinkq_new(64, consume, &c);
	assert_non_null(q);
	for (uint64_t i = 0; i < 3200; i++)
		push(q, i);
	waits = sinkq_close(q);
	check_clean(&c, 3200);
	print_message("3200 records through 64 slots: the producer waited %llu times\n",
		      (unsigned long long)waits);
	/* the first wait after 64 pushes, then one per 32 at most */
	assert_true(waits > 0);
	assert_true(waits <= (3200 - 64) / 32 + 1);
}

/* One slot (and 0 meaning 1): every push after the first waits. */
static void test_single_slot(void **state)
{
	struct consumer c;
	struct sink_queue *q;

	(void)state;
	consumer_init(&c, 100);
	q = sinkq_new(0, consume, &c);
	assert_non_null(q);
	for (uint64_t i = 0; i < 100; i++)
		push(q, i);
	assert_true(sinkq_close(q) > 0);
	check_clean(&c, 100);
}

static void test_drain(void **state)
{
	struct consumer c;
	struct sink_queue *q;

	(void)state;
	consumer_init(&c, 200);
	q = sinkq_new(64, consume, &c);
	assert_non_null(q);
	/* nothing queued: returns at once */
	sinkq_drain(q);
	assert_int_equal(atomic_load(&c.seen), 0);
	for (uint64_t i = 0; i < 500; i++)
		push(q, i);
	sinkq_drain(q);
	/* returns only once every record has been consumed */
	check_clean(&c, 500);
	/* fewer records than the writer's wake-up batch: drain still wakes it */
	for (uint64_t i = 500; i < 503; i++)
		push(q, i);
	sinkq_drain(q);
	check_clean(&c, 503);
	push(q, 503);
	sinkq_drain(q);
	check_clean(&c, 504);
	sinkq_close(q);
	check_clean(&c, 504);
}

/* A few records in a large ring wait for a kick (or a drain/close); a kick
 * gets them written without closing. */
static void test_kick(void **state)
{
	struct consumer c;
	struct sink_queue *q;

	(void)state;
	consumer_init(&c, 0);
	q = sinkq_new(1024, consume, &c);
	assert_non_null(q);
	for (uint64_t i = 0; i < 3; i++)
		push(q, i);
	sinkq_kick(q);
	/* wait up to 10 s of real time for the writer */
	for (int k = 0; k < 10000 && atomic_load(&c.seen) < 3; k++)
		usleep(1000);
	assert_int_equal(atomic_load(&c.seen), 3);
	sinkq_kick(q); /* nothing queued: harmless */
	assert_int_equal(sinkq_close(q), 0);
	check_clean(&c, 3);
	assert_int_equal(sinkq_close(NULL), 0);
}

/* Records close() has not seen consumed yet are consumed before it returns. */
static void test_close_flushes(void **state)
{
	struct consumer c;
	struct sink_queue *q;

	(void)state;
	consumer_init(&c, 50);
	q = sinkq_new(128, consume, &c);
	assert_non_null(q);
	for (uint64_t i = 0; i < 100; i++)
		push(q, i);
	sinkq_close(q);
	check_clean(&c, 100);
}

/* Strings longer than their slot are cut at the documented caps, always
 * NUL-terminated. */
struct trunc_seen {
	size_t sni, dns, ua, host, ndpi, ja3, sha1;
	int n;
};

static void consume_trunc(void *ctx, const struct flow_record *r, const struct alert *a)
{
	(void)a;
	struct trunc_seen *t = ctx;

	t->sni = strlen(r->tls_sni);
	t->dns = strlen(r->dns_rrname);
	t->ua = strlen(r->http_user_agent);
	t->host = strlen(r->http_host);
	t->ndpi = strlen(r->ndpi_protocol);
	t->ja3 = strlen(r->ja3);
	t->sha1 = strlen(r->tls_cert_sha1);
	t->n++;
}

static void test_long_strings_cut(void **state)
{
	static char big[2000];
	struct trunc_seen t;
	struct sink_queue *q;
	struct flow_record r;

	(void)state;
	memset(&t, 0, sizeof t);
	memset(big, 'a', sizeof big - 1);
	q = sinkq_new(2, consume_trunc, &t);
	assert_non_null(q);
	memset(&r, 0, sizeof r);
	r.tls_sni = r.dns_rrname = r.http_user_agent = r.http_host = r.ndpi_protocol = r.ja3 = big;
	r.tls_cert_sha1 = big;
	sinkq_push(q, &r);
	sinkq_drain(q);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.ndpi, 63);
	assert_int_equal(t.sni, 255);
	assert_int_equal(t.ja3, 32);
	assert_int_equal(t.dns, 255);
	assert_int_equal(t.host, 255);
	assert_int_equal(t.ua, 511);
	assert_int_equal(t.sha1, 40);
	sinkq_close(q);
}

/* Every string of a record at its longest fits a slot of the default
 * queue (FLOW_RECORD_STRINGS_MAX), and a queue with room for the store's
 * strings only (FLOW_RECORD_STRINGS_BASIC) still carries those whole. */
struct all_seen {
	size_t url, issuer, subject, sshc, hassh, dhcp, ua, sha1;
	int n;
};

static void consume_all(void *ctx, const struct flow_record *r, const struct alert *a)
{
	struct all_seen *t = ctx;
	(void)a;
	t->url = r->http_url ? strlen(r->http_url) : 0;
	t->issuer = r->tls_issuerdn ? strlen(r->tls_issuerdn) : 0;
	t->subject = r->tls_subject ? strlen(r->tls_subject) : 0;
	t->sshc = r->ssh_client ? strlen(r->ssh_client) : 0;
	t->hassh = r->hassh_server ? strlen(r->hassh_server) : 0;
	t->dhcp = r->dhcp_hostname ? strlen(r->dhcp_hostname) : 0;
	t->ua = r->http_user_agent ? strlen(r->http_user_agent) : 0;
	t->sha1 = r->tls_cert_sha1 ? strlen(r->tls_cert_sha1) : 0;
	t->n++;
}

static void test_all_strings_fit(void **state)
{
	static char big[2000];
	struct all_seen t;
	struct flow_record r;
	const char **f[] = {
		&r.ndpi_protocol, &r.tls_sni, &r.ja3, &r.ja3s, &r.dns_rrname, &r.http_host,
		&r.http_user_agent, &r.tls_cert_sha1, &r.http_url, &r.http_content_type,
		&r.dns_rsp_addr, &r.tls_issuerdn, &r.tls_subject, &r.tls_alpn, &r.ssh_client,
		&r.ssh_server, &r.hassh_client, &r.hassh_server, &r.dhcp_class_ident,
		&r.dhcp_hostname,
	};

	(void)state;
	memset(big, 'b', sizeof big - 1);
	memset(&r, 0, sizeof r);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		*f[i] = big;
	assert_true(flow_record_strings_len(&r) <= FLOW_RECORD_STRINGS_MAX);

	memset(&t, 0, sizeof t);
	struct sink_queue *q = sinkq_new(2, consume_all, &t);
	assert_non_null(q);
	sinkq_push(q, &r);
	sinkq_close(q);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.url, 1023);
	assert_int_equal(t.issuer, 383);
	assert_int_equal(t.subject, 383);
	assert_int_equal(t.sshc, 63);
	assert_int_equal(t.hassh, 32);
	assert_int_equal(t.dhcp, 63);

	memset(&t, 0, sizeof t);
	q = sinkq_new_strings(2, FLOW_RECORD_STRINGS_BASIC, consume_all, &t);
	assert_non_null(q);
	sinkq_push(q, &r);
	sinkq_close(q);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.ua, 511);  /* the store's strings: whole */
	assert_int_equal(t.sha1, 40);
	assert_int_equal(t.url, 0);   /* the URL did not fit: left out, never cut */
}

/* Alerts travel in order with the records, as deep copies: the producer's
 * buffers are overwritten right after each push. */
static void test_alerts_copied(void **state)
{
	struct consumer c;
	(void)state;
	memset(&c, 0, sizeof c);
	c.main_thread = pthread_self();
	struct sink_queue *q = sinkq_new(8, consume, &c);
	assert_non_null(q);
	for (int i = 0; i < 500; i++) {
		char sig[64], val[16];
		struct alert a;
		memset(&a, 0, sizeof a);
		snprintf(sig, sizeof sig, "alert %d", i);
		snprintf(val, sizeof val, "42");
		a.signature = sig;
		a.meta[0].key = "count";
		a.meta[0].value = val;
		a.n_meta = 1;
		snprintf(a.src_ip, sizeof a.src_ip, "192.0.2.9");
		a.flow_ids[0] = 7;
		a.n_flow_ids = 1;
		assert_int_equal(sinkq_push_alert(q, &a), 0);
		memset(sig, 'x', sizeof sig - 1);
		memset(val, 'y', sizeof val - 1);
	}
	sinkq_close(q);
	assert_int_equal(atomic_load(&c.alerts), 500);
	assert_int_equal(atomic_load(&c.alerts_bad), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_copies),
		cmocka_unit_test(test_slow_consumer_waits),
		cmocka_unit_test(test_wake_at_low_water),
		cmocka_unit_test(test_single_slot),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_kick),
		cmocka_unit_test(test_close_flushes),
		cmocka_unit_test(test_long_strings_cut),
		cmocka_unit_test(test_alerts_copied),
		cmocka_unit_test(test_all_strings_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
