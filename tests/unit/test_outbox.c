/*
 * test_outbox.c - the uplink's outbox (output/outbox.h) on a real SQLite
 * file: order, cursor, delivery, bounds by size (flows, then summaries,
 * then alerts) and by age, the drop counters, rows per uplink, and that
 * what was committed is there for another connection (a restart).
 * Also the RFC 5424/5425 framing (output/syslog_msg.h) of a row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "output/outbox.h"
#include "output/syslog_msg.h"

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "/tmp/vigil-test-outbox-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	char p[80];
	(void)state;
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	return 0;
}

/* A body of n bytes of JSON. */
static const char *body(size_t n)
{
	static char b[8192];
	assert_true(n >= 2 && n < sizeof b);
	memset(b, 'x', n);
	b[0] = '{';
	b[n - 1] = '}';
	b[n] = '\0';
	return b;
}

static void add(struct outbox *o, const char *uplink, int kind, uint64_t ts, int i, size_t n)
{
	char id[40];
	snprintf(id, sizeof id, "%032d", i);
	assert_int_equal(outbox_add(o, uplink, kind, 4, ts, id, body(n), n), 0);
}

static void test_order_and_delivery(void **state)
{
	char err[256];
	struct outbox *o = outbox_open(path, err, sizeof err);
	struct outbox_row rows[16];
	struct outbox_depth d;
	(void)state;

	assert_non_null(o);
	for (int i = 0; i < 10; i++)
		add(o, "main", i % 2 ? OUTBOX_ALERT : OUTBOX_SUMMARY, 1000 + (uint64_t)i, i, 100);
	add(o, "backup", OUTBOX_ALERT, 5000, 99, 50);
	assert_int_equal(outbox_commit(o), 0);

	/* another connection sees the committed rows, in order, per uplink */
	struct outbox *o2 = outbox_open(path, err, sizeof err);
	assert_non_null(o2);
	int n = outbox_fetch(o2, "main", 0, rows, 4);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		char id[40];
		snprintf(id, sizeof id, "%032d", i);
		assert_string_equal(rows[i].event_id, id);
		assert_int_equal(rows[i].len, 100);
		assert_int_equal(rows[i].created_us, 1000 + (uint64_t)i);
		if (i)
			assert_true(rows[i].id > rows[i - 1].id);
	}
	/* the cursor: rows after the last one sent */
	int64_t last = rows[3].id;
	int64_t ids[4] = { rows[0].id, rows[1].id, rows[2].id, rows[3].id };
	outbox_rows_free(rows, n);
	n = outbox_fetch(o2, "main", last, rows, 16);
	assert_int_equal(n, 6);
	outbox_rows_free(rows, n);
	/* delivered: gone; ids are never reused */
	assert_int_equal(outbox_delete(o2, ids, 4), 0);
	assert_int_equal(outbox_depth(o2, "main", &d), 0);
	assert_int_equal(d.events, 6);
	assert_int_equal(d.bytes, 600);
	assert_int_equal(d.oldest_us, 1004);
	assert_int_equal(outbox_depth(o2, "backup", &d), 0);
	assert_int_equal(d.events, 1);
	add(o, "main", OUTBOX_ALERT, 2000, 50, 10);
	assert_int_equal(outbox_commit(o), 0);
	n = outbox_fetch(o2, "main", 0, rows, 16);
	assert_int_equal(n, 7);
	assert_true(rows[6].id > last);
	outbox_rows_free(rows, n);
	outbox_close(o2);
	outbox_close(o);
}

static void test_bounds(void **state)
{
	char err[256];
	struct outbox *o = outbox_open(path, err, sizeof err);
	struct outbox_row rows[64];
	uint64_t dropped[OUTBOX__KINDS];
	(void)state;

	assert_non_null(o);
	/* 10 alerts, 10 summaries, 10 flows of 1000 bytes, interleaved */
	for (int i = 0; i < 30; i++)
		add(o, "main", i % 3, 1000000 + (uint64_t)i, i, 1000);
	assert_int_equal(outbox_commit(o), 0);
	/* room for 15 rows: every flow goes, then the oldest summaries */
	int64_t n = outbox_enforce(o, "main", 15000, 0, 0);
	assert_int_equal(n, 15);
	int got = outbox_fetch(o, "main", 0, rows, 64);
	assert_int_equal(got, 15);
	int alerts = 0, sums = 0;
	for (int i = 0; i < got; i++) {
		assert_int_not_equal(rows[i].kind, OUTBOX_FLOW);
		alerts += rows[i].kind == OUTBOX_ALERT;
		sums += rows[i].kind == OUTBOX_SUMMARY;
	}
	assert_int_equal(alerts, 10);
	assert_int_equal(sums, 5);
	/* the summaries kept are the newest */
	for (int i = 0; i < got; i++)
		if (rows[i].kind == OUTBOX_SUMMARY)
			assert_true(atoi(rows[i].event_id) >= 16);
	outbox_rows_free(rows, got);
	assert_int_equal(outbox_take_dropped(o, "main", dropped), 0);
	assert_int_equal(dropped[OUTBOX_FLOW], 10);
	assert_int_equal(dropped[OUTBOX_SUMMARY], 5);
	assert_int_equal(dropped[OUTBOX_ALERT], 0);
	/* taken: the counters start again */
	assert_int_equal(outbox_take_dropped(o, "main", dropped), 0);
	assert_int_equal(dropped[OUTBOX_FLOW] + dropped[OUTBOX_SUMMARY], 0);
	/* alerts go last, but they go: 5 alerts' room */
	n = outbox_enforce(o, "main", 5000, 0, 0);
	assert_int_equal(n, 10);
	assert_int_equal(outbox_take_dropped(o, "main", dropped), 0);
	assert_int_equal(dropped[OUTBOX_SUMMARY], 5);
	assert_int_equal(dropped[OUTBOX_ALERT], 5);
	/* by age: queued before now - max_age */
	n = outbox_enforce(o, "main", 0, 10, 1000000 + 28);
	assert_true(n > 0);
	got = outbox_fetch(o, "main", 0, rows, 64);
	for (int i = 0; i < got; i++)
		assert_true(rows[i].created_us >= 1000000 + 18);
	outbox_rows_free(rows, got);
	/* under the bounds: nothing happens */
	assert_int_equal(outbox_enforce(o, "main", 1 << 20, 3600ULL * 1000000, 1000000 + 28), 0);
	outbox_close(o);
}

static void test_syslog_frame(void **state)
{
	struct outbox_row r = { .id = 1, .kind = OUTBOX_ALERT, .severity = 3,
				.created_us = 1704067200123456ULL };
	struct syslog_ident id = { .hostname = "sensor 1", .sensor_id = "a\"b]", .facility = 16 };
	struct sbuf b = { 0 };
	(void)state;

	snprintf(r.event_id, sizeof r.event_id, "0123456789abcdef0123456789abcdef");
	r.body = (char *)"{\"event_type\":\"alert\"}";
	r.len = strlen(r.body);
	syslog_frame_append(&b, &id, &r);
	assert_false(b.oom);
	const char *want = "<131>1 2024-01-01T00:00:00.123456Z sensor_1 vigil - alert "
		"[vigil@32473 event_id=\"0123456789abcdef0123456789abcdef\" sensor=\"a\\\"b\\]\"] "
		"{\"event_type\":\"alert\"}";
	char head[16];
	snprintf(head, sizeof head, "%zu ", strlen(want));
	assert_int_equal(strncmp(b.p, head, strlen(head)), 0);
	assert_string_equal(b.p + strlen(head), want);
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test(test_syslog_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
