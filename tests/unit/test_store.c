/*
 * test_store.c - the SQLite sink (store.c) and the summary (report.c).
 *
 * Every test gets a fresh directory from mkdtemp, writes through the store
 * API and checks the result with plain SQL on a separate connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "output/report.h"
#include "output/store.h"
#include "web/web_req.h"

#include "unit_tmpdir.h"

/* Each test gets its own directory and a database path in it. */
static int setup(void **state)
{
	return tmpdir_setup(state, "store", "flows.sqlite");
}

/* A plausible finished TLS flow; n varies the id, ports and times. */
static struct flow_record make_record(int n)
{
	struct flow_record r;

	memset(&r, 0, sizeof r);
	r.flow_id = 1000 + (uint64_t)n;
	r.start_us = 1700000000000000ull + (uint64_t)n * 1000000u;
	r.end_us = r.start_us + 2500000u;
	r.ipver = 4;
	r.proto = 6;
	r.vlan = 0;
	snprintf(r.src_ip, sizeof r.src_ip, "10.0.0.1");
	snprintf(r.dest_ip, sizeof r.dest_ip, "93.184.216.34");
	r.src_port = (uint16_t)(40000 + n);
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

/* Open a second, read-only connection to the test database. */
static sqlite3 *open_reader(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

/* First column of the first row of sql as an integer. */
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

/* First column of the first row of sql as text (caller frees), or NULL
 * when the value is SQL NULL. */
static char *query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	t = sqlite3_column_text(st, 0);
	v = t ? strdup((const char *)t) : NULL;
	sqlite3_finalize(st);
	return v;
}

/* Assert that sql yields the text want (NULL: SQL NULL). */
static void assert_query_text(sqlite3 *db, const char *sql, const char *want)
{
	char *got = query_text(db, sql);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* A new database gets the current schema: version, WAL, tables, indexes. */
static void test_schema(void **state)
{
	struct fixture *f = *state;
	static const char *const indexes[] = {
		"flows_start", "flows_src", "flows_dest", "flows_app",
	};
	char err[256] = "x", sql[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	sqlite3 *db;

	assert_non_null(s);
	assert_string_equal(err, "");
	assert_string_equal(store_error(s), "");
	db = open_reader(f->db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_query_text(db, "PRAGMA journal_mode", "wal");
	assert_int_equal(query_int(db, "PRAGMA auto_vacuum"), 2); /* incremental */
	for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE"
			 " type = 'index' AND tbl_name = 'flows' AND name = '%s'", indexes[i]);
		assert_int_equal(query_int(db, sql), 1);
	}
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				   " AND name IN ('flows', 'runs', 'meta', 'alerts', 'alert_flows')"), 5);
	/* schema 3: the web stage's tables */
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				   " AND name IN ('users', 'sessions', 'audit', 'alert_notes', 'setup')"), 5);
	/* schema 4: accounts can be disabled, remember the last sign-in and
	 * whether the password must be changed */
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('users') WHERE"
				   " name IN ('disabled_us', 'last_login_us', 'must_change')"), 3);
	snprintf(sql, sizeof sql, "%d", STORE_SCHEMA_VERSION);
	assert_query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'", sql);
	/* alerted flows are indexed by flow_id (partial index) */
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE"
				   " type = 'index' AND name = 'flows_alerted'"), 1);
	assert_query_text(db, "SELECT value FROM meta WHERE key = 'application'", "vigil");
	/* the (src_ip, start_us) index really has both columns */
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_index_info('flows_src')"), 2);
	sqlite3_close(db);
	assert_int_equal(store_close(s), 0);
}

/* Values land in the right columns; unknown strings become NULL; risks are
 * joined with commas. */
static void test_values(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct flow_record full = make_record(1), sparse;
	uint64_t n = 0;
	sqlite3 *db;

	assert_non_null(s);
	full.vlan = 42;
	full.interim = 1;
	full.tunnel = 3;
	full.guessed = 1;
	full.risks[0] = "known_proto_on_non_std_port";
	full.risks[1] = "self_signed_cert";
	full.n_risks = 2;
	full.ja3 = "aaaa";
	full.ja3s = "bbbb";
	full.http_host = "example.org";
	full.http_user_agent = "curl/8.0";
	full.dns_rrname = "example.org";
	full.bytes_toclient = 1ull << 40;
	assert_int_equal(store_add_flow(s, &full), 0);

	memset(&sparse, 0, sizeof sparse);
	sparse.flow_id = 7;
	sparse.ipver = 6;
	sparse.proto = 17;
	snprintf(sparse.src_ip, sizeof sparse.src_ip, "2001:db8::1");
	snprintf(sparse.dest_ip, sizeof sparse.dest_ip, "2001:db8::2");
	sparse.app_proto = "";          /* empty means unknown too */
	assert_int_equal(store_add_flow(s, &sparse), 0);
	assert_int_equal(store_add_flow(s, NULL), -1);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_count_flows(s, &n), 0);
	assert_int_equal(n, 2);

	db = open_reader(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 2);
	assert_int_equal(query_int(db, "SELECT flow_id FROM flows WHERE id = 1"), 1001);
	assert_int_equal(query_int(db, "SELECT start_us FROM flows WHERE id = 1"),
			 1700000001000000ll);
	assert_int_equal(query_int(db, "SELECT end_us - start_us FROM flows WHERE id = 1"), 2500000);
	assert_int_equal(query_int(db, "SELECT vlan FROM flows WHERE id = 1"), 42);
	assert_int_equal(query_int(db, "SELECT src_port FROM flows WHERE id = 1"), 40001);
	assert_int_equal(query_int(db, "SELECT dest_port FROM flows WHERE id = 1"), 443);
	assert_int_equal(query_int(db, "SELECT pkts_toserver + pkts_toclient FROM flows WHERE id = 1"), 30);
	assert_int_equal(query_int(db, "SELECT bytes_toclient FROM flows WHERE id = 1"), 1ll << 40);
	assert_int_equal(query_int(db, "SELECT interim FROM flows WHERE id = 1"), 1);
	assert_int_equal(query_int(db, "SELECT tunnel FROM flows WHERE id = 1"), 3);
	assert_int_equal(query_int(db, "SELECT guessed FROM flows WHERE id = 1"), 1);
	assert_query_text(db, "SELECT src_ip FROM flows WHERE id = 1", "10.0.0.1");
	assert_query_text(db, "SELECT dest_ip FROM flows WHERE id = 1", "93.184.216.34");
	assert_query_text(db, "SELECT state || '/' || reason FROM flows WHERE id = 1", "closed/timeout");
	assert_query_text(db, "SELECT ndpi_protocol FROM flows WHERE id = 1", "TLS.YouTube");
	assert_query_text(db, "SELECT ndpi_category FROM flows WHERE id = 1", "Media");
	assert_query_text(db, "SELECT ndpi_confidence FROM flows WHERE id = 1", "DPI");
	assert_query_text(db, "SELECT risks FROM flows WHERE id = 1",
			  "known_proto_on_non_std_port,self_signed_cert");
	assert_query_text(db, "SELECT tls_sni FROM flows WHERE id = 1", "www.youtube.com");
	assert_query_text(db, "SELECT ja3 || ja3s FROM flows WHERE id = 1", "aaaabbbb");
	assert_query_text(db, "SELECT http_user_agent FROM flows WHERE id = 1", "curl/8.0");

	/* IPv6 in full, as EVE writes it */
	assert_query_text(db, "SELECT src_ip FROM flows WHERE id = 2",
			  "2001:0db8:0000:0000:0000:0000:0000:0001");
	assert_int_equal(query_int(db, "SELECT ipver * 100 + proto FROM flows WHERE id = 2"), 617);
	assert_query_text(db, "SELECT app_proto FROM flows WHERE id = 2", NULL);
	assert_query_text(db, "SELECT ndpi_protocol FROM flows WHERE id = 2", NULL);
	assert_query_text(db, "SELECT state FROM flows WHERE id = 2", NULL);
	assert_query_text(db, "SELECT risks FROM flows WHERE id = 2", NULL);
	assert_query_text(db, "SELECT tls_sni FROM flows WHERE id = 2", NULL);
	assert_query_text(db, "SELECT http_host FROM flows WHERE id = 2", NULL);
	sqlite3_close(db);
	assert_int_equal(store_rows_failed(s), 0);
	assert_int_equal(store_close(s), 0);
}

/* Rows are committed in batches of batch_rows; flush commits the rest. */
static void test_batching(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 10, err, sizeof err);
	uint64_t n = 0;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < 25; i++) {
		struct flow_record r = make_record(i);

		assert_int_equal(store_add_flow(s, &r), 0);
	}
	db = open_reader(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 20);
	assert_int_equal(store_count_flows(s, &n), 0);
	assert_int_equal(n, 25);        /* the writer sees its own batch */
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 25);
	assert_int_equal(store_flush(s), 0);    /* nothing pending: fine */
	sqlite3_close(db);
	assert_int_equal(store_close(s), 0);
}

/* Reopening keeps the rows and does not run the migration again; close
 * commits what is pending and leaves no WAL content behind. */
static void test_reopen(void **state)
{
	struct fixture *f = *state;
	char err[256], wal[160];
	struct store *s = store_open(f->db, 100, err, sizeof err);
	struct flow_record r = make_record(1);
	sqlite3 *db;
	FILE *fp;

	assert_non_null(s);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_add_flow(s, &r), 0);
	assert_int_equal(store_close(s), 0);    /* commits the 3 pending rows */
	snprintf(wal, sizeof wal, "%s-wal", f->db);
	fp = fopen(wal, "rb");
	if (fp) {       /* truncated to zero bytes, or removed on last close */
		assert_int_equal(fseek(fp, 0, SEEK_END), 0);
		assert_int_equal(ftell(fp), 0);
		fclose(fp);
	}

	s = store_open(f->db, 100, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_add_flow(s, &r), 0);
	assert_int_equal(store_close(s), 0);

	db = open_reader(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 4);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* one note per migration step, none added by the reopen */
	assert_int_equal(query_int(db, "SELECT count(*) FROM meta WHERE key LIKE 'migration%'"),
			 STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows WHERE flow_id = 1001"), 4);
	sqlite3_close(db);
}

/* A database written by schema 1 (flows only, as vigil 0.1 made them) is
 * migrated to the current schema with its rows kept. */
static void test_migrate_from_v1(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	char err[256];

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		/* schema 1 as vigil 0.1 created it (frozen: never edit) */
		"PRAGMA journal_mode=WAL;"
		"CREATE TABLE flows (id INTEGER PRIMARY KEY, flow_id INTEGER NOT NULL,"
		" start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, ipver INTEGER, proto INTEGER,"
		" vlan INTEGER, src_ip TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER,"
		" pkts_toserver INTEGER, pkts_toclient INTEGER, bytes_toserver INTEGER,"
		" bytes_toclient INTEGER, state TEXT, reason TEXT,"
		" interim INTEGER NOT NULL DEFAULT 0, tunnel INTEGER NOT NULL DEFAULT 0,"
		" app_proto TEXT, ndpi_protocol TEXT, ndpi_category TEXT, ndpi_confidence TEXT,"
		" guessed INTEGER NOT NULL DEFAULT 0, risks TEXT, tls_sni TEXT, ja3 TEXT, ja3s TEXT,"
		" dns_rrname TEXT, http_host TEXT, http_user_agent TEXT, dns_rrtype INTEGER,"
		" tls_cert_sha1 TEXT, tcp_flags_ts INTEGER, tcp_flags_tc INTEGER);"
		"CREATE INDEX flows_start ON flows(start_us);"
		"CREATE INDEX flows_src ON flows(src_ip, start_us);"
		"CREATE INDEX flows_dest ON flows(dest_ip, start_us);"
		"CREATE INDEX flows_app ON flows(app_proto, start_us);"
		"CREATE TABLE runs (id INTEGER PRIMARY KEY, recorded_at INTEGER NOT NULL,"
		" sources TEXT, home_net TEXT, first_ts_us INTEGER, last_ts_us INTEGER,"
		" packets INTEGER, bytes INTEGER, decoded INTEGER, decode_errors_total INTEGER,"
		" decode_errors TEXT, flows INTEGER, flows_evicted INTEGER, flows_peak INTEGER,"
		" kernel_drops INTEGER);"
		"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
		"INSERT INTO meta VALUES ('application', 'vigil');"
		"INSERT INTO flows (flow_id, start_us, end_us, src_ip, dest_ip)"
		" VALUES (77, 1, 2, '10.0.0.1', '10.0.0.2');"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct store *s = store_open(f->db, 0, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_close(s), 0);
	db = open_reader(f->db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows WHERE flow_id = 77 AND alerted = 0"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"), 0);
	/* ... and through schema 3: the web stage's tables, empty */
	assert_int_equal(query_int(db, "SELECT count(*) FROM users"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_notes"), 0);
	sqlite3_close(db);
}

/* A database of schema 3 (accounts without the revocation columns) keeps
 * its accounts and sessions through the step to 4: enabled, no password
 * change due. */
static void test_migrate_from_v3(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);

	assert_non_null(s);
	assert_int_equal(store_close(s), 0);
	/* back to schema 3: the users table as it was, without
	 * the three columns, and without schema 5's (DROP COLUMN needs
	 * SQLite >= 3.35) and 6's */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"DROP TABLE suppress_counts; DROP INDEX audit_target;"
		"DELETE FROM meta WHERE key = 'migration_7_at';"
		"DELETE FROM meta WHERE key = 'migration_6_at';"
		"ALTER TABLE flows DROP COLUMN ndpi_app_proto;"
		"ALTER TABLE flows DROP COLUMN community_id;"
		"ALTER TABLE flows DROP COLUMN icmp_type;"
		"ALTER TABLE flows DROP COLUMN icmp_code;"
		"ALTER TABLE flows DROP COLUMN response_icmp_type;"
		"ALTER TABLE flows DROP COLUMN response_icmp_code;"
		"ALTER TABLE alerts DROP COLUMN ndpi_app_proto;"
		"ALTER TABLE alerts DROP COLUMN community_id;"
		"DELETE FROM meta WHERE key = 'migration_5_at';"
		"ALTER TABLE users DROP COLUMN disabled_us;"
		"ALTER TABLE users DROP COLUMN last_login_us;"
		"ALTER TABLE users DROP COLUMN must_change;"
		"DELETE FROM meta WHERE key = 'migration_4_at';"
		"UPDATE meta SET value = '3' WHERE key = 'schema_version';"
		"INSERT INTO users VALUES ('ana', '$y$x', 'analyst', 5);"
		"INSERT INTO sessions VALUES ('abc', 'ana', 'c', 5, 6);"
		"PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(f->db, 0, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_close(s), 0);
	db = open_reader(f->db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT count(*) FROM users WHERE username = 'ana' AND"
				   " role = 'analyst' AND disabled_us IS NULL AND last_login_us IS NULL"
				   " AND must_change = 0"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sessions WHERE username = 'ana'"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM meta WHERE key = 'migration_4_at'"), 1);
	sqlite3_close(db);
}

/* Repeats of one rule for the same hosts are one row with a count and
 * first/last seen; each occurrence links its flow; another destination or
 * indicator is another row. */
static void test_alerts_aggregated(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct alert a;
	sqlite3 *db;

	assert_non_null(s);
	memset(&a, 0, sizeof a);
	a.engine = ALERT_SIGNATURE;
	a.gid = 1;
	a.sid = 2100001;
	a.rev = 1;
	a.signature = "vigil POLICY Telnet session";
	a.category = "Potential corporate privacy violation";
	a.severity = 2;
	a.meta[0].key = "policy";
	a.meta[0].value = "clear-text-admin";
	a.n_meta = 1;
	snprintf(a.src_ip, sizeof a.src_ip, "10.0.0.5");
	snprintf(a.dest_ip, sizeof a.dest_ip, "10.0.0.9");
	a.proto = 6;
	a.has_ports = 1;
	a.src_port = 40000;
	a.dest_port = 23;
	for (int i = 0; i < 5; i++) {
		a.ts_us = 1000000ULL * (uint64_t)(10 + i);
		a.flow_ids[0] = 500 + (uint64_t)i;
		a.n_flow_ids = 1;
		assert_int_equal(store_add_alert(s, &a), 0);
	}
	snprintf(a.dest_ip, sizeof a.dest_ip, "10.0.0.10");
	assert_int_equal(store_add_alert(s, &a), 0);
	memset(&a, 0, sizeof a);
	a.engine = ALERT_IOC;
	a.gid = GID_IOC;
	a.sid = 1;
	a.ioc_kind = "ip";
	a.ioc_list = "list.txt";
	snprintf(a.src_ip, sizeof a.src_ip, "10.0.0.5");
	snprintf(a.dest_ip, sizeof a.dest_ip, "203.0.113.7");
	a.ioc_indicator = "203.0.113.7";
	assert_int_equal(store_add_alert(s, &a), 0);
	a.ioc_indicator = "203.0.113.0/24";
	assert_int_equal(store_add_alert(s, &a), 0);
	assert_int_equal(store_close(s), 0);

	db = open_reader(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"), 4);
	assert_int_equal(query_int(db, "SELECT count FROM alerts WHERE sid = 2100001 AND dest_ip = '10.0.0.9'"), 5);
	assert_int_equal(query_int(db, "SELECT first_seen_us FROM alerts WHERE dest_ip = '10.0.0.9'"), 10000000);
	assert_int_equal(query_int(db, "SELECT last_seen_us FROM alerts WHERE dest_ip = '10.0.0.9'"), 14000000);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alert_flows JOIN alerts ON alerts.id = alert_id"
				   " WHERE dest_ip = '10.0.0.9'"), 5);
	assert_query_text(db, "SELECT metadata FROM alerts WHERE dest_ip = '10.0.0.9'",
			  "{\"policy\":[\"clear-text-admin\"]}");
	assert_query_text(db, "SELECT engine FROM alerts WHERE ioc_indicator = '203.0.113.0/24'", "ioc");
	assert_query_text(db, "SELECT status FROM alerts WHERE dest_ip = '10.0.0.10'", "new");
	sqlite3_close(db);
}

/* The stored metadata is alert_meta_json's text, as EVE writes it: a key
 * repeated in the rule is one member with all its values, and a text
 * over 4 KiB is stored whole (it was cut to invalid JSON at 4095 bytes). */
static void test_alert_metadata(void **state)
{
	struct fixture *f = *state;
	char err[256], *longval, *want;
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct alert a;
	sqlite3 *db;
	size_t n = 6000;

	assert_non_null(s);
	longval = malloc(n + 1);
	want = malloc(n + 100);
	assert_non_null(longval);
	assert_non_null(want);
	memset(longval, 'x', n);
	longval[n] = '\0';
	memset(&a, 0, sizeof a);
	a.engine = ALERT_SIGNATURE;
	a.gid = 1;
	a.sid = 9;
	a.signature = "meta";
	snprintf(a.src_ip, sizeof a.src_ip, "10.0.0.1");
	snprintf(a.dest_ip, sizeof a.dest_ip, "10.0.0.2");
	a.meta[0].key = "a";
	a.meta[0].value = "1";
	a.meta[1].key = "b";
	a.meta[1].value = "x";
	a.meta[2].key = "a";
	a.meta[2].value = "2";
	a.n_meta = 3;
	a.ts_us = 1000000;
	assert_int_equal(store_add_alert(s, &a), 0);
	a.sid = 10;
	a.meta[0].key = "k";
	a.meta[0].value = longval;
	a.n_meta = 1;
	assert_int_equal(store_add_alert(s, &a), 0);
	assert_int_equal(store_close(s), 0);

	db = open_reader(f->db);
	assert_query_text(db, "SELECT metadata FROM alerts WHERE sid = 9",
			  "{\"a\":[\"1\",\"2\"],\"b\":[\"x\"]}");
	snprintf(want, n + 100, "{\"k\":[\"%s\"]}", longval);
	assert_query_text(db, "SELECT metadata FROM alerts WHERE sid = 10", want);
	sqlite3_close(db);
	free(longval);
	free(want);
}

/* A database from a newer vigil is refused and left alone. */
static void test_newer_refused(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	sqlite3 *db = NULL;
	struct store *s;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future(x); PRAGMA user_version = 99",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(f->db, 0, err, sizeof err);
	assert_null(s);
	assert_non_null(strstr(err, "99"));
	assert_non_null(strstr(err, "newer"));
	assert_null(strchr(err, '\n'));

	db = open_reader(f->db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 99);
	assert_query_text(db, "PRAGMA journal_mode", "delete");        /* untouched */
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'flows'"), 0);
	sqlite3_close(db);
}

/* A path in a directory that does not exist fails with a message naming it;
 * so does a file that is not a database. */
static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", path[160];
	FILE *fp;

	snprintf(path, sizeof path, "%s/no/such/dir/flows.sqlite", f->dir);
	assert_null(store_open(path, 0, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "unable to open"));

	err[0] = '\0';
	assert_null(store_open(NULL, 0, err, sizeof err));
	assert_true(strlen(err) > 0);

	snprintf(path, sizeof path, "%s/garbage.sqlite", f->dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database. ", fp);
	fclose(fp);
	err[0] = '\0';
	assert_null(store_open(path, 0, err, sizeof err));
	assert_non_null(strstr(err, "not a database"));
}

/* store_add_run commits the pending batch and writes the run's counters,
 * with the non-zero decode errors as a JSON object. */
static void test_add_run(void **state)
{
	struct fixture *f = *state;
	char err[256], want[128];
	struct store *s = store_open(f->db, 100, err, sizeof err);
	struct flow_record r = make_record(1);
	struct vigil_stats st;
	sqlite3 *db;

	assert_non_null(s);
	memset(&st, 0, sizeof st);
	st.packets = 1234;
	st.bytes = 567890;
	st.decoded = 1200;
	st.decode_errors[DECODE_ERR_TRUNC_IPV4] = 3;
	st.decode_errors[DECODE_ERR_NOT_IP] = 31;
	st.decode_errors_total = 34;
	st.flows = 40;
	st.flows_evicted = 2;
	st.flows_peak = 17;
	st.kernel_drops = 5;
	st.first_ts_us = 1700000000000000ull;
	st.last_ts_us = 1700000060000000ull;

	assert_int_equal(store_add_flow(s, &r), 0);
	assert_int_equal(store_add_run(s, &st, "a.pcap,b.pcap", "10.0.0.0/8"), 0);
	db = open_reader(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 1);   /* committed */
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 1);
	assert_query_text(db, "SELECT sources FROM runs", "a.pcap,b.pcap");
	assert_int_equal(query_int(db, "SELECT packets FROM runs"), 1234);
	assert_int_equal(query_int(db, "SELECT bytes FROM runs"), 567890);
	assert_int_equal(query_int(db, "SELECT decoded FROM runs"), 1200);
	assert_int_equal(query_int(db, "SELECT decode_errors_total FROM runs"), 34);
	assert_int_equal(query_int(db, "SELECT flows * 10000 + flows_evicted * 100 + flows_peak FROM runs"),
			 400217);
	assert_int_equal(query_int(db, "SELECT kernel_drops FROM runs"), 5);
	assert_int_equal(query_int(db, "SELECT last_ts_us - first_ts_us FROM runs"), 60000000);
	assert_true(query_int(db, "SELECT recorded_at FROM runs") > 1600000000);
	snprintf(want, sizeof want, "{\"%s\":3,\"%s\":31}",
		 decode_error_name(DECODE_ERR_TRUNC_IPV4), decode_error_name(DECODE_ERR_NOT_IP));
	assert_query_text(db, "SELECT decode_errors FROM runs", want);
	assert_int_equal(query_int(db, "SELECT json_valid(decode_errors) FROM runs"), 1);

	/* a run without errors stores an empty object */
	memset(&st, 0, sizeof st);
	assert_int_equal(store_add_run(s, &st, NULL, NULL), 0);
	assert_query_text(db, "SELECT decode_errors FROM runs WHERE id = 2", "{}");
	assert_query_text(db, "SELECT sources FROM runs WHERE id = 2", NULL);
	sqlite3_close(db);
	assert_int_equal(store_close(s), 0);
}

/* A full disk (simulated with max_page_count): the insert or commit fails
 * with a message, the failed batch is dropped and counted, committed rows
 * stay, and once there is room again the store works. */
static void test_disk_full(void **state)
{
	struct fixture *f = *state;
	char err[256], agent[2000];
	struct store *s = store_open(f->db, 20, err, sizeof err);
	uint64_t before = 0, after = 0, failed;
	int pages, rc = 0, attempts = 0;
	sqlite3 *db;

	assert_non_null(s);
	for (int i = 0; i < 30; i++) {
		struct flow_record r = make_record(i);

		assert_int_equal(store_add_flow(s, &r), 0);
	}
	assert_int_equal(store_flush(s), 0);

	memset(agent, 'A', sizeof agent - 1);
	agent[sizeof agent - 1] = '\0';
	pages = store_set_max_pages(s, 1);      /* clamped to the current size */
	assert_true(pages > 1);
	assert_int_equal(store_set_max_pages(s, pages + 8), pages + 8);
	for (attempts = 0; attempts < 10000; attempts++) {
		struct flow_record r = make_record(100 + attempts);

		r.http_user_agent = agent;
		rc = store_add_flow(s, &r);
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, -1);
	assert_non_null(strstr(store_error(s), "full"));
	assert_null(strchr(store_error(s), '\n'));
	failed = store_rows_failed(s);
	assert_true(failed >= 1);
	assert_true(failed <= 20);

	/* what was committed is still there, the failed batch is not */
	assert_int_equal(store_count_flows(s, &before), 0);
	assert_int_equal(before + failed, 30 + (uint64_t)attempts + 1);
	db = open_reader(f->db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), (long long)before);
	assert_query_text(db, "PRAGMA integrity_check", "ok");

	/* room again: small inserts work, once the store tries again (a
	 * second after the failure: see test_failure_episodes) */
	assert_true(store_set_max_pages(s, 1000000) >= 1000000);
	usleep(1100000);
	for (int i = 0; i < 5; i++) {
		struct flow_record r = make_record(5000 + i);

		assert_int_equal(store_add_flow(s, &r), 0);
	}
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_count_flows(s, &after), 0);
	assert_int_equal(after, before + 5);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), (long long)after);
	assert_int_equal(store_rows_failed(s), failed);
	sqlite3_close(db);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_set_max_pages(NULL, 10), -1);
}

/* A small signature alert on flow_id, for the episode test. */
static struct alert small_alert(uint64_t flow_id, uint64_t ts_us)
{
	struct alert a;

	memset(&a, 0, sizeof a);
	a.engine = ALERT_SIGNATURE;
	a.gid = 1;
	a.sid = 2100009;
	a.signature = "vigil TEST episode";
	snprintf(a.src_ip, sizeof a.src_ip, "10.0.0.7");
	snprintf(a.dest_ip, sizeof a.dest_ip, "10.0.0.8");
	a.ts_us = ts_us;
	a.flow_ids[0] = flow_id;
	a.n_flow_ids = 1;
	return a;
}

/* Failing writes come in episodes: the first failure opens one; it ends
 * once writes have worked for the settle time after its last failure.
 * Meanwhile flows are not tried for a second after a failure (counted,
 * and the write lock stays free for other connections), alerts are tried
 * at once; every lost flow and alert is counted. */
static void test_failure_episodes(void **state)
{
	struct fixture *f = *state;
	char err[256], agent[2000];
	struct store *s = store_open(f->db, 50, err, sizeof err);
	static char big[20000];
	struct store_health h;
	struct alert a;
	sqlite3 *other;
	int pages, i, rc = 0;
	uint64_t lost;

	assert_non_null(s);
	store_set_settle_ms(s, 300);
	store_health(s, &h);
	assert_int_equal(h.failing, 0);
	assert_int_equal(h.episodes, 0);
	assert_string_equal(h.error, "");
	for (i = 0; i < 10; i++) {
		struct flow_record r = make_record(i);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	assert_int_equal(store_flush(s), 0);

	/* the "disk" fills up: an alert and big flows in one batch */
	memset(agent, 'A', sizeof agent - 1);
	agent[sizeof agent - 1] = '\0';
	memset(big, 'r', sizeof big - 1);
	pages = store_set_max_pages(s, 1);
	assert_int_equal(store_set_max_pages(s, pages + 2), pages + 2);
	a = small_alert(1000, 5);
	assert_int_equal(store_add_alert(s, &a), 0);
	for (i = 0; i < 1000 && rc == 0; i++) {
		struct flow_record r = make_record(100 + i);
		r.http_user_agent = agent;
		rc = store_add_flow(s, &r);
	}
	assert_int_equal(rc, -1);
	store_health(s, &h);
	assert_int_equal(h.failing, 1);
	assert_int_equal(h.episodes, 1);
	assert_true(h.since_us > 1600000000000000ULL);
	assert_non_null(strstr(h.error, "full"));
	/* every row of the failed batch is counted: the flows and the alert */
	assert_int_equal(h.flows_failed, (uint64_t)i);
	assert_int_equal(h.alerts_failed, 1);
	assert_int_equal(h.episode_flows, (uint64_t)i);
	assert_int_equal(h.episode_alerts, 1);
	assert_int_equal(store_rows_failed(s), (uint64_t)i);

	/* right after the failure flows are counted, not tried: the write lock
	 * is free for another connection at once */
	lost = h.flows_failed;
	for (int k = 0; k < 100; k++) {
		struct flow_record r = make_record(5000 + k);
		assert_int_equal(store_add_flow(s, &r), -1);
	}
	other = NULL;
	assert_int_equal(sqlite3_open(f->db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	store_health(s, &h);
	assert_int_equal(h.flows_failed, lost + 100);
	assert_int_equal(h.episodes, 1);
	/* an alert is tried (and committed at once): too big for the room */
	a = small_alert(1001, 6);
	a.rule_text = big;
	assert_int_equal(store_add_alert(s, &a), -1);
	store_health(s, &h);
	assert_int_equal(h.alerts_failed, 2);
	assert_int_equal(h.episodes, 1);

	/* room again: an alert goes through at once; the episode lasts until
	 * writes have worked for the settle time */
	assert_true(store_set_max_pages(s, 1000000) >= 1000000);
	a = small_alert(1002, 7);
	assert_int_equal(store_add_alert(s, &a), 0);
	store_health(s, &h);
	assert_int_equal(h.failing, 1);
	usleep(1100000);         /* past the retry time and the settle time */
	for (int k = 0; k < 10; k++) {
		struct flow_record r = make_record(7000 + k);
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	assert_int_equal(store_flush(s), 0);
	store_health(s, &h);
	assert_int_equal(h.failing, 0);
	assert_int_equal(h.episodes, 1);
	assert_int_equal(h.episode_alerts, 2);   /* what the last episode lost */

	/* full again: a second episode, counted from zero */
	pages = store_set_max_pages(s, 1);
	assert_int_equal(store_set_max_pages(s, pages + 1), pages + 1);
	rc = 0;
	for (i = 0; i < 1000 && rc == 0; i++) {
		struct flow_record r = make_record(9000 + i);
		r.http_user_agent = agent;
		rc = store_add_flow(s, &r);
		if (rc == 0 && i % 10 == 9)
			rc = store_flush(s);
	}
	assert_int_equal(rc, -1);
	store_health(s, &h);
	assert_int_equal(h.failing, 1);
	assert_int_equal(h.episodes, 2);
	assert_true(h.episode_flows >= 1 && h.episode_flows <= 10);
	assert_int_equal(h.episode_alerts, 0);
	assert_int_equal(store_close(s), 0);
}

/* The line of text that starts (after indentation) with word, or NULL. */
static const char *find_row(const char *text, const char *word)
{
	size_t wlen = strlen(word);

	for (const char *line = text; line && *line; ) {
		const char *p = line;

		while (*p == ' ')
			p++;
		if (strncmp(p, word, wlen) == 0 && p[wlen] == ' ')
			return p;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

/* Run report_summary on path into a string (caller frees). */
static char *summary_text(const char *path, int top, int *rc, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*rc = report_summary(path, out, top, err, errlen);
	fclose(out);
	return buf;
}

/* The summary shows the totals, applications, talkers and decode errors of
 * what was stored, with interim rows counted as bytes but not as flows. */
static void test_report(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", name[64], line[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct vigil_stats st;
	unsigned long long flows, pkts;
	const char *row;
	char *text;
	int rc;

	assert_non_null(s);
	/* TLS.YouTube: 2 flows, one with an interim checkpoint first */
	for (int i = 0; i < 2; i++) {
		struct flow_record r = make_record(i);

		assert_int_equal(store_add_flow(s, &r), 0);
	}
	{
		struct flow_record r = make_record(1);

		r.interim = 1;
		r.reason = "active_timeout";
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	/* DNS: 3 flows from another host */
	for (int i = 0; i < 3; i++) {
		struct flow_record r = make_record(10 + i);

		snprintf(r.src_ip, sizeof r.src_ip, "10.0.0.2");
		snprintf(r.dest_ip, sizeof r.dest_ip, "8.8.8.8");
		r.proto = 17;
		r.dest_port = 53;
		r.pkts_toserver = 1;
		r.pkts_toclient = 1;
		r.bytes_toserver = 60;
		r.bytes_toclient = 120;
		r.app_proto = "dns";
		r.ndpi_protocol = "DNS";
		r.ndpi_category = "Network";
		r.tls_sni = NULL;
		assert_int_equal(store_add_flow(s, &r), 0);
	}
	memset(&st, 0, sizeof st);
	st.packets = 100;
	st.decode_errors[DECODE_ERR_TRUNC_IPV4] = 3;
	st.decode_errors_total = 3;
	assert_int_equal(store_add_run(s, &st, "a.pcap", "192.168.0.0/16"), 0);
	st.decode_errors[DECODE_ERR_NOT_IP] = 2;
	st.decode_errors_total = 5;
	assert_int_equal(store_add_run(s, &st, "b.pcap", "10.0.0.0/8"), 0);
	assert_int_equal(store_close(s), 0);

	text = summary_text(f->db, 10, &rc, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_non_null(text);
	/* 5 final flows; packets 3 * 30 + 3 * 2; bytes 3 * 31000 + 3 * 180 */
	assert_non_null(strstr(text, "5 flows, 96 packets, 91.3 KiB"));
	assert_non_null(strstr(text, "2023-11-14T22:13:20Z"));
	assert_non_null(strstr(text, "2 recorded, 200 packets read, 8 decode errors"));

	row = find_row(text, "TLS.YouTube");
	assert_non_null(row);
	assert_int_equal(sscanf(row, "%63s %llu %llu", name, &flows, &pkts), 3);
	assert_int_equal(flows, 2);
	assert_int_equal(pkts, 90);
	assert_non_null(strstr(row, "90.8 KiB"));
	row = find_row(text, "DNS");
	assert_non_null(row);
	assert_int_equal(sscanf(row, "%63s %llu %llu", name, &flows, &pkts), 3);
	assert_int_equal(flows, 3);
	assert_int_equal(pkts, 6);
	assert_non_null(strstr(row, "540 B"));
	/* by flows: DNS (3) before TLS.YouTube (2) */
	assert_true(find_row(text, "DNS") < find_row(text, "TLS.YouTube"));

	row = find_row(text, "93.184.216.34");
	assert_non_null(row);
	assert_int_equal(sscanf(row, "%63s %llu", name, &flows), 2);
	assert_int_equal(flows, 2);
	/* outside the latest run's home net: no mark on its line */
	assert_true(strstr(row, " * ") == NULL || strstr(row, " * ") > strchr(row, '\n'));
	row = find_row(text, "10.0.0.2");
	assert_non_null(row);
	/* inside 10.0.0.0/8, the latest run's --home-net: marked */
	assert_non_null(strstr(text, "* = inside the home network"));
	assert_int_equal(sscanf(row, "%63s * %llu", name, &flows), 2);
	assert_int_equal(flows, 3);
	assert_non_null(find_row(text, "10.0.0.1"));
	assert_non_null(find_row(text, "8.8.8.8"));

	row = find_row(text, decode_error_name(DECODE_ERR_TRUNC_IPV4));
	assert_non_null(row);
	assert_int_equal(sscanf(row, "%63s %llu", name, &flows), 2);
	assert_int_equal(flows, 6);
	row = find_row(text, decode_error_name(DECODE_ERR_NOT_IP));
	assert_non_null(row);
	assert_int_equal(sscanf(row, "%63s %llu", name, &flows), 2);
	assert_int_equal(flows, 2);
	free(text);

	/* top 1 keeps only the first row of each table */
	text = summary_text(f->db, 1, &rc, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_non_null(find_row(text, "DNS"));
	assert_null(find_row(text, "TLS.YouTube"));
	free(text);

	snprintf(line, sizeof line, "%s/missing.sqlite", f->dir);
	text = summary_text(line, 10, &rc, err, sizeof err);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err, "missing.sqlite"));
	assert_non_null(strstr(err, "No such file"));
	free(text);
}

/* The summary of an empty store says so; a database that is not a store is
 * refused. */
static void test_report_empty_and_foreign(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", path[160];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	sqlite3 *db = NULL;
	char *text;
	int rc;

	assert_non_null(s);
	assert_int_equal(store_close(s), 0);
	text = summary_text(f->db, 0, &rc, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "0 flows, 0 packets, 0 B, no time span"));
	assert_non_null(strstr(text, "Decode errors: none"));
	free(text);

	snprintf(path, sizeof path, "%s/other.sqlite", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	err[0] = '\0';
	text = summary_text(path, 10, &rc, err, sizeof err);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err, "not a vigil store"));
	free(text);
}

/* A writer that stores flows as fast as it can (a replay looping at full
 * speed) until told to stop. */
struct saturated {
	struct store *s;
	atomic_int stop;
	atomic_int rows;
	int failed;
};

static void *saturate_main(void *arg)
{
	struct saturated *w = arg;

	for (int i = 0; !atomic_load(&w->stop); i++) {
		struct flow_record r = make_record(i);

		if (store_add_flow(w->s, &r) != 0)
			w->failed++;
		atomic_fetch_add(&w->rows, 1);
	}
	return NULL;
}

/* The store's writer saturated (it commits a batch and begins the next at
 * once) must not starve the web's writes: each web write transaction
 * (BEGIN IMMEDIATE on a connection of web_db_open, 5 s for the lock) gets
 * through. With SQLite's own busy handler the web polled the lock with
 * growing sleeps and lost to the writer nearly every time ("database is
 * locked" after 5 s; on a fast machine it won during the writer's WAL
 * checkpoints, which a reader holding a snapshot - a page query - turns
 * into no-ops; one is held here). Asserts that every write succeeded, not
 * how fast. */
static void test_writer_gives_way(void **state)
{
	struct fixture *f = *state;
	struct saturated w = { .failed = 0 };
	char err[256];
	sqlite3 *web = NULL, *reader;
	pthread_t t;
	int ok = 0, writes = 10;

	w.s = store_open(f->db, 500, err, sizeof err);
	assert_non_null(w.s);
	assert_int_equal(web_db_open(f->db, &web, err, sizeof err), 0);
	reader = open_reader(f->db);
	assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM flows", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_int_equal(pthread_create(&t, NULL, saturate_main, &w), 0);
	for (int i = 0; i < writes; i++) {
		int before = atomic_load(&w.rows);
		char sql[128];

		/* the writer has the lock and is at full speed */
		while (atomic_load(&w.rows) < before + 2000)
			usleep(1000);
		snprintf(sql, sizeof sql, "INSERT INTO audit (ts_us, username, action)"
			 " VALUES (%d, 'admin', 'test')", i);
		if (sqlite3_exec(web, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(web, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(web, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			print_message("web write %d: %s\n", i, sqlite3_errmsg(web));
			sqlite3_exec(web, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		ok++;
	}
	atomic_store(&w.stop, 1);
	pthread_join(t, NULL);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	print_message("web writes %d/%d, store rows %d, the writer gave way %llu times\n", ok,
		      writes, atomic_load(&w.rows), (unsigned long long)store_yields(w.s));
	assert_int_equal(ok, writes);
	assert_int_equal(w.failed, 0);
	assert_int_equal(query_int(web, "SELECT count(*) FROM audit WHERE action = 'test'"), writes);
	assert_int_equal(store_flush(w.s), 0);
	assert_int_equal(query_int(web, "SELECT count(*) FROM flows"), atomic_load(&w.rows));
	sqlite3_close(web);
	assert_int_equal(store_close(w.s), 0);
}

/* The daemon's once-a-second store_tick: an alert is committed at the
 * next tick with the flows before it; flows alone wait for their batch to
 * be 3 s old (asserted only when the tick came sooner than that). */
static void test_tick(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	struct flow_record r = make_record(1), r2 = make_record(2);
	struct alert a = small_alert(r2.flow_id, r2.start_us);
	uint64_t t0 = mono_us();
	sqlite3 *db;

	assert_non_null(s);
	db = open_reader(f->db);
	assert_int_equal(store_add_flow(s, &r), 0);
	assert_int_equal(store_tick(s), 0);
	if (mono_us() - t0 < 3000000)
		assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 0);
	assert_int_equal(store_add_flow(s, &r2), 0);
	assert_int_equal(store_add_alert(s, &a), 0);
	assert_int_equal(store_tick(s), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"), 1);
	assert_int_equal(store_tick(s), 0);     /* nothing pending: fine */
	sqlite3_close(db);
	assert_int_equal(store_close(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_gives_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_aggregated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_episodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_empty_and_foreign, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
