/*
 * test_retention.c - the retention rule (retention.h) on real databases.
 *
 * Every test writes a database through the store (store.c), as the daemon
 * does, runs one retention pass with retention_run_now and checks what is
 * left with plain SQL on a separate connection: the newest flows stay,
 * alerts keep their half, links and the audit log keep their own bounds,
 * and a database that cannot get under its limit says so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/retention.h"
#include "output/store.h"

#include "unit_tmpdir.h"

#define MiB (1024 * 1024)
#define T0 1700000000000000ULL

/* Each test gets its own directory and a database path in it. */
static int setup(void **state)
{
	return tmpdir_setup(state, "retention", "vigil.sqlite");
}

/* Flow n: starts n seconds after T0, from one of 200 hosts. */
static struct flow_record make_flow(int n)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 1000 + (uint64_t)n;
	r.start_us = T0 + (uint64_t)n * 1000000u;
	r.end_us = r.start_us + 2500000u;
	r.ipver = 4;
	r.proto = 6;
	snprintf(r.src_ip, sizeof r.src_ip, "10.0.%d.%d", n % 200 / 100, n % 100 + 1);
	snprintf(r.dest_ip, sizeof r.dest_ip, "93.184.%d.%d", n % 7, n % 250 + 1);
	r.src_port = (uint16_t)(1024 + n % 60000);
	r.dest_port = 443;
	r.pkts_toserver = 10;
	r.pkts_toclient = 20;
	r.bytes_toserver = 1000;
	r.bytes_toclient = 30000;
	r.state = "closed";
	r.reason = "timeout";
	r.app_proto = "tls";
	r.ndpi_protocol = "TLS.YouTube";
	r.ndpi_category = "Media";
	r.ndpi_confidence = "DPI";
	r.tls_sni = "www.youtube.com";
	return r;
}

/* Alert n (its own source host, so a row of its own) seen at T0 + n s,
 * with about pad bytes of metadata, linked to n_links flows. */
static void add_alert(struct store *s, int n, int pad, int n_links)
{
	static char meta[4000];
	struct alert a;

	memset(&a, 0, sizeof a);
	memset(meta, 'm', sizeof meta - 1);
	meta[pad < (int)sizeof meta ? pad : (int)sizeof meta - 1] = '\0';
	a.engine = ALERT_SIGNATURE;
	a.gid = 1;
	a.sid = 2100001;
	a.rev = 1;
	a.signature = "vigil TEST retention";
	a.severity = 2;
	a.meta[0].key = "pad";
	a.meta[0].value = meta;
	a.n_meta = 1;
	snprintf(a.src_ip, sizeof a.src_ip, "10.%d.%d.%d", n / 65536 % 256, n / 256 % 256, n % 256);
	snprintf(a.dest_ip, sizeof a.dest_ip, "10.9.9.9");
	a.ts_us = T0 + (uint64_t)n * 1000000u;
	for (int i = 0; i < n_links && i < ALERT_MAX_FLOWS; i++)
		a.flow_ids[a.n_flow_ids++] = 1000 + (uint64_t)(n * ALERT_MAX_FLOWS + i);
	assert_int_equal(store_add_alert(s, &a), 0);
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void exec(sqlite3 *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Bytes of the flows table and its indexes, as dbstat counts them. */
static long long flow_bytes(sqlite3 *db)
{
	return query_int(db, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE aggregate = 1 AND"
			 " name IN (SELECT name FROM sqlite_schema WHERE tbl_name = 'flows')");
}

static long long used_bytes(sqlite3 *db)
{
	return query_int(db, "SELECT (page_count - freelist_count) * page_size FROM"
			 " pragma_page_count(), pragma_freelist_count(), pragma_page_size()");
}

/* One pass with these limits; the result. */
static struct retention_result pass(const char *path, uint64_t max_bytes, uint64_t now_us,
				    uint32_t flow_age_s, uint32_t alert_age_s)
{
	struct retention_limits lim = { .max_bytes = max_bytes, .flow_max_age_s = flow_age_s,
					.alert_max_age_s = alert_age_s, .interval_s = 60 };
	struct retention_result res;
	char err[256];
	struct retention *r = retention_open(path, &lim, err, sizeof err);

	assert_non_null(r);
	if (now_us)
		retention_set_now(r, now_us);
	assert_int_equal(retention_run_now(r, &res), 0);
	assert_int_equal(retention_last(r, NULL), 1);
	retention_stop(r);
	return res;
}

/* Many flows, few alerts: the oldest flows go until the database fits,
 * oldest first and no more than needed; the newest flow and every alert
 * stay, and the file shrinks to the limit. */
static void test_size_oldest_flows_first(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct retention_result res;
	const int n = 20000;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		struct flow_record r = make_flow(i);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	for (int i = 0; i < 10; i++)
		add_alert(s, n + i, 100, 2);
	assert_int_equal(store_close(s), 0);

	db = open_db(f->db);
	assert_true(used_bytes(db) > 4 * MiB);
	res = pass(f->db, 2 * MiB, 0, 0, 0);
	assert_int_equal(res.over_limit, 0);
	assert_true(res.flows_size > 0);
	assert_int_equal(res.alerts_size, 0);
	assert_true(res.used_after <= 2 * MiB);
	assert_true(used_bytes(db) <= 2 * MiB);
	/* the file itself shrank (incremental vacuum, WAL truncated) */
	assert_true(res.bytes_after <= 2 * MiB);
	/* oldest first: what is left is the newest, without a hole */
	assert_int_equal(query_int(db, "SELECT max(id) FROM flows"), n);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"),
			 query_int(db, "SELECT max(id) - min(id) + 1 FROM flows"));
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), n - (long long)res.flows_size);
	/* no more than needed: the flows fill what the rest leaves */
	assert_true(flow_bytes(db) >= 2 * MiB - res.other_bytes - MiB / 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"), 10);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_flows"), 20);
	sqlite3_close(db);

	/* a second pass has nothing to do */
	res = pass(f->db, 2 * MiB, 0, 0, 0);
	assert_int_equal(res.flows_size + res.alerts_size, 0);
	assert_int_equal(res.over_limit, 0);
}

/* Alerts bigger than half the limit: flows go down to their half (the
 * newest are kept), then the alerts seen longest ago go until everything
 * but flows fits in the other half. */
static void test_size_each_half(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct retention_result res;
	const int n = 12000, n_alerts = 3000;
	long long kept, oldest_kept, newer_than_oldest;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		struct flow_record r = make_flow(i);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	for (int i = 0; i < n_alerts; i++)
		add_alert(s, i, 1500, 1);
	assert_int_equal(store_close(s), 0);

	db = open_db(f->db);
	assert_true(flow_bytes(db) > 2 * MiB);
	assert_true(used_bytes(db) - flow_bytes(db) > 3 * MiB);
	res = pass(f->db, 2 * MiB, 0, 0, 0);
	assert_int_equal(res.over_limit, 0);
	assert_true(res.used_after <= 2 * MiB);
	assert_true(res.flows_size > 0);
	assert_true(res.alerts_size > 0);
	/* flows kept their half (a page or two of rounding) and are the newest */
	assert_true(flow_bytes(db) >= MiB - 16 * 4096);
	assert_true(res.flow_bytes >= MiB - 16 * 4096);
	assert_int_equal(query_int(db, "SELECT max(id) FROM flows"), n);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"),
			 query_int(db, "SELECT max(id) - min(id) + 1 FROM flows"));
	/* the alerts left are the newest by last occurrence */
	kept = query_int(db, "SELECT count(*) FROM alerts");
	assert_true(kept > 0);
	assert_int_equal(kept, n_alerts - (long long)res.alerts_size);
	oldest_kept = query_int(db, "SELECT min(last_seen_us) FROM alerts");
	newer_than_oldest = (long long)((T0 + (uint64_t)n_alerts * 1000000u - (uint64_t)oldest_kept)
					/ 1000000u);
	assert_int_equal(kept, newer_than_oldest);
	/* their links went with them */
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_flows"), kept);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_flows WHERE alert_id NOT IN"
				   " (SELECT id FROM alerts)"), 0);
	sqlite3_close(db);
}

/* A flood of one alert: the alert keeps its newest links, its count and
 * first/last seen. */
static void test_links_bounded(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct retention_result res;
	struct alert a;
	const int occ = 1500;
	sqlite3 *db;

	assert_non_null(s);
	memset(&a, 0, sizeof a);
	a.engine = ALERT_DETECTOR;
	a.gid = GID_DETECTOR;
	a.sid = 1;
	a.signature = "vigil portscan";
	snprintf(a.src_ip, sizeof a.src_ip, "10.0.0.66");
	for (int i = 0; i < occ; i++) {
		a.ts_us = T0 + (uint64_t)i * 1000u;
		a.n_flow_ids = 2;
		a.flow_ids[0] = (uint64_t)i * 2;
		a.flow_ids[1] = (uint64_t)i * 2 + 1;
		assert_int_equal(store_add_alert(s, &a), 0);
	}
	add_alert(s, 7, 10, 3);   /* a quiet alert keeps its few links */
	assert_int_equal(store_close(s), 0);

	res = pass(f->db, 0, 0, 0, 0);
	assert_int_equal(res.links_removed, 2 * occ - RETENTION_ALERT_LINKS);
	db = open_db(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_flows WHERE alert_id ="
				   " (SELECT id FROM alerts WHERE sid = 1)"), RETENTION_ALERT_LINKS);
	/* the newest: occurrences 1000..1499, two links each */
	assert_int_equal(query_int(db, "SELECT min(ts_us) FROM alert_flows WHERE alert_id ="
				   " (SELECT id FROM alerts WHERE sid = 1)"),
			 (long long)(T0 + (uint64_t)(occ - RETENTION_ALERT_LINKS / 2) * 1000u));
	assert_int_equal(query_int(db, "SELECT count FROM alerts WHERE sid = 1"), occ);
	assert_int_equal(query_int(db, "SELECT first_seen_us FROM alerts WHERE sid = 1"), (long long)T0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_flows WHERE alert_id ="
				   " (SELECT id FROM alerts WHERE sid = 2100001)"), 3);
	sqlite3_close(db);
}

/* The audit log keeps its newest RETENTION_AUDIT_ROWS entries, and no more
 * than an eighth of the size limit, whatever the rest holds. */
static void test_audit_bounded(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct retention_result res;
	const int n = RETENTION_AUDIT_ROWS + 2500;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < 100; i++) {
		struct flow_record r = make_flow(i);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	assert_int_equal(store_close(s), 0);
	db = open_db(f->db);
	exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < "
	     "12500) INSERT INTO audit (ts_us, username, action, target, detail)"
	     " SELECT i, NULL, 'setup_failed', '192.0.2.1', 'wrong setup token' FROM c");
	assert_int_equal(query_int(db, "SELECT count(*) FROM audit"), n);

	/* no size limit: the row bound */
	res = pass(f->db, 0, 0, 0, 0);
	assert_int_equal(res.audit_removed, n - RETENTION_AUDIT_ROWS);
	assert_int_equal(query_int(db, "SELECT count(*) FROM audit"), RETENTION_AUDIT_ROWS);
	assert_int_equal(query_int(db, "SELECT min(id) FROM audit"), n - RETENTION_AUDIT_ROWS + 1);

	/* entries with long details under a 1 MiB limit: an eighth of it */
	exec(db, "UPDATE audit SET detail = printf('%.300c', 'x')");
	res = pass(f->db, MiB, 0, 0, 0);
	assert_true(res.audit_removed > 0);
	assert_true(query_int(db, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE aggregate = 1"
			      " AND name IN ('audit', 'audit_ts')") <= MiB / 8);
	assert_int_equal(query_int(db, "SELECT max(id) FROM audit"), n);
	/* the flows were not touched for it */
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 100);
	assert_int_equal(res.flows_size, 0);
	assert_int_equal(res.over_limit, 0);
	sqlite3_close(db);
}

/* What retention never deletes (here run records) outgrows the limit: the
 * pass says so, keeps the newest flows, and a later pass with room says
 * nothing. */
static void test_over_limit_reported(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct retention_result res;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < 500; i++) {
		struct flow_record r = make_flow(i);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	add_alert(s, 1, 100, 1);
	assert_int_equal(store_close(s), 0);
	db = open_db(f->db);
	exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)"
	     " INSERT INTO runs (recorded_at, sources) SELECT i, printf('%.1000c', 's') FROM c");
	assert_true(used_bytes(db) > 3 * MiB);

	res = pass(f->db, 2 * MiB, 0, 0, 0);
	assert_int_equal(res.over_limit, 1);
	assert_true(res.used_after > 2 * MiB);
	assert_true(res.other_bytes > MiB);
	/* the flows were under their half: all kept; the alert went for room */
	assert_int_equal(res.flows_size, 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 500);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"), 0);

	res = pass(f->db, 8 * MiB, 0, 0, 0);
	assert_int_equal(res.over_limit, 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 500);
	sqlite3_close(db);
}

/* Ages in packet time: flows that started and alerts last seen before the
 * limit go; nothing without a clock. */
static void test_ages(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct retention_result res;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < 7200; i += 10) {
		struct flow_record r = make_flow(i);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	add_alert(s, 100, 10, 1);
	add_alert(s, 7000, 10, 1);
	assert_int_equal(store_close(s), 0);

	res = pass(f->db, 0, 0, 3600, 3600);
	assert_int_equal(res.flows_aged + res.alerts_aged, 0);
	/* now: T0 + 2 h; flows that started before T0 + 1 h go */
	res = pass(f->db, 0, T0 + 7200ULL * 1000000u, 3600, 3600);
	assert_int_equal(res.flows_aged, 360);
	assert_int_equal(res.alerts_aged, 1);
	db = open_db(f->db);
	assert_int_equal(query_int(db, "SELECT min(start_us) FROM flows"),
			 (long long)(T0 + 3600ULL * 1000000u));
	assert_int_equal(query_int(db, "SELECT last_seen_us FROM alerts"),
			 (long long)(T0 + 7000ULL * 1000000u));
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_size_oldest_flows_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_each_half, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_over_limit_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
