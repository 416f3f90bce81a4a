/*
 * test_store_migrate.c - schema 5 (EVE's names and forms) over a real
 * database of the release before it: tests/fixtures/store-v4/store-v4.sql,
 * written by vigil at 4e2ea9f (see make.sh there). The store module opens
 * it and every row is checked against the same row of an untouched copy,
 * with the conversions computed here from the modules that own them
 * (detect_ioc, detect_behav, eve). Also: once, logged once, one
 * transaction, a newer database refused untouched, and suppress.conf
 * entries of the old indicator sids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect/detect_behav.h"
#include "detect/detect_ioc.h"
#include "detect/suppress.h"
#include "output/eve.h"
#include "output/eve_app.h"
#include "output/store.h"

#include "unit_tmpdir.h"

#define FIXTURE "tests/fixtures/store-v4/store-v4.sql"

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* A database file made from the fixture's SQL. */
static void load_fixture(const char *path)
{
	char *sql = read_file(FIXTURE, NULL);
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(sql);
}

/* f->db: the fixture; f->dir/old.sqlite: an untouched copy. */
static int setup(void **state)
{
	struct fixture *f;
	char old[160];

	tmpdir_setup(state, "migrate", "vigil.sqlite");
	f = *state;
	load_fixture(f->db);
	snprintf(old, sizeof old, "%s/old.sqlite", f->dir);
	load_fixture(old);
	return 0;
}

/* Open and close the store with stderr in a file; what was logged. */
static char *open_logged(const char *path, int *ok, char *err, size_t errlen)
{
	char logpath[] = "/tmp/vigil-test-migrate-log-XXXXXX";
	int fd = mkstemp(logpath), saved = dup(2);
	struct store *s;
	char *text;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, 2) >= 0);
	s = store_open(path, 0, err, errlen);
	*ok = s != NULL;
	if (s)
		assert_int_equal(store_close(s), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	text = read_file(logpath, NULL);
	unlink(logpath);
	return text;
}

static sqlite3 *open_both(const struct fixture *f)
{
	sqlite3 *db = NULL;
	char sql[256];

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof sql, "ATTACH '%s/old.sqlite' AS old", f->dir);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static sqlite3_int64 query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

/* Every column of every row of a table, as one text (for "nothing
 * changed" checks). */
static char *table_text(sqlite3 *db, const char *table)
{
	char sql[128], *out = NULL;
	size_t len = 0;
	sqlite3_stmt *st = NULL;
	FILE *m = open_memstream(&out, &len);

	assert_non_null(m);
	snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++)
			fprintf(m, "%s%s", i ? "|" : "", sqlite3_column_type(st, i) == SQLITE_NULL ?
				"<null>" : col(st, i));
		fputc('\n', m);
	}
	sqlite3_finalize(st);
	fclose(m);
	return out;
}

static const char *ip_full(const char *ip, char buf[EVE_IP_LEN])
{
	return eve_ip_text(ip, buf);
}

/* The database of the release before: every row converted as the new
 * code writes it, the rest of each row and every other table as it was. */
static void test_migrate_v4(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", want[1024], want_log[128], b1[EVE_IP_LEN], b2[EVE_IP_LEN];
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int ok, n;
	char *log = open_logged(f->db, &ok, err, sizeof err);

	assert_true(ok);
	db = open_both(f);
	assert_int_equal(query_int(db, "PRAGMA main.user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "PRAGMA old.user_version"), 4);
	/* logged once, with the rows converted: every alert, the flows that
	 * changed */
	snprintf(want_log, sizeof want_log, "store: migrated schema 4 -> %d, %lld rows\n",
		 STORE_SCHEMA_VERSION,
		 (long long)(query_int(db, "SELECT count(*) FROM alerts") +
			     query_int(db, "SELECT count(*) FROM flows WHERE ndpi_app_proto IS NOT NULL")));
	assert_non_null(strstr(log, want_log));
	assert_null(strstr(strstr(log, "migrated") + 1, "migrated"));   /* once */
	free(log);

	/* the same rows, ids and the columns no conversion touches */
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"),
			 query_int(db, "SELECT count(*) FROM old.alerts"));
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows"),
			 query_int(db, "SELECT count(*) FROM old.flows"));
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts a JOIN old.alerts o USING (id)"
				   " WHERE a.engine IS o.engine AND a.gid IS o.gid AND a.rev IS o.rev"
				   " AND a.category IS o.category AND a.classtype IS o.classtype"
				   " AND a.severity IS o.severity AND a.detector IS o.detector"
				   " AND a.ioc_kind IS o.ioc_kind AND a.ioc_indicator IS o.ioc_indicator"
				   " AND a.ioc_list IS o.ioc_list AND a.ioc_description IS o.ioc_description"
				   " AND a.count IS o.count AND a.first_seen_us IS o.first_seen_us"
				   " AND a.last_seen_us IS o.last_seen_us AND a.status IS o.status"
				   " AND a.rule_text IS o.rule_text AND a.refs IS o.refs"),
			 query_int(db, "SELECT count(*) FROM old.alerts"));
	/* statuses, notes, links, audit, runs: untouched */
	for (const char *const *t = (const char *const[]){ "alert_notes", "alert_flows", "audit",
							    "runs", NULL }; *t; t++) {
		char q[64], *a, *o;
		snprintf(q, sizeof q, "main.%s", *t);
		a = table_text(db, q);
		snprintf(q, sizeof q, "old.%s", *t);
		o = table_text(db, q);
		assert_string_equal(a, o);
		free(a);
		free(o);
	}
	assert_true(query_int(db, "SELECT count(*) FROM alert_notes") >= 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts WHERE status <> 'new'"), 3);

	/* every alert, against its old row */
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT o.id, o.gid, o.sid, o.signature, o.src_ip, o.dest_ip, o.app_proto, o.ioc_kind,"
		" o.ioc_list, o.ioc_indicator, o.ioc_description, o.detector, o.metadata, o.src_port,"
		" a.gid, a.sid, a.signature, a.src_ip, a.dest_ip, a.app_proto, a.ndpi_app_proto,"
		" a.metadata, a.src_port, a.dest_port, a.proto, o.last_seen_us"
		" FROM old.alerts o JOIN alerts a USING (id) ORDER BY o.id", -1, &st, NULL), SQLITE_OK);
	n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), gid = sqlite3_column_int64(st, 1);
		int64_t sid = sqlite3_column_int64(st, 2);
		const char *app = eve_app_proto(sqlite3_column_text(st, 6) ? col(st, 6) : NULL);

		n++;
		assert_int_equal(sqlite3_column_int64(st, 14), gid);
		/* app_proto: Suricata's name, nDPI's beside it (detectors: the
		 * tipping flow's, below) */
		if (gid != 9200) {
			assert_string_equal(col(st, 19), app ? app : "");
			assert_string_equal(col(st, 20), col(st, 6));
		}
		if (gid == 9100) {
			int kind = ioc_kind_of(col(st, 7));
			char sig[640];

			assert_true(kind >= 1 && kind <= 5 && sid == kind);  /* the old form */
			assert_int_equal(sqlite3_column_int64(st, 15), ioc_list_sid(col(st, 8), kind));
			ioc_signature(sig, sizeof sig, kind, col(st, 8));
			assert_string_equal(col(st, 16), sig);
			assert_null(strstr(col(st, 16), col(st, 9)));    /* no indicator in it */
			if (sqlite3_column_type(st, 10) == SQLITE_NULL)
				snprintf(want, sizeof want, "{\"indicator\":[\"%s\"],\"indicator_kind\":"
					 "[\"%s\"],\"indicator_list\":[\"%s\"]}", col(st, 9), col(st, 7),
					 col(st, 8));
			else
				snprintf(want, sizeof want, "{\"indicator\":[\"%s\"],\"indicator_kind\":"
					 "[\"%s\"],\"indicator_list\":[\"%s\"],\"indicator_description\":"
					 "[\"%s\"]}", col(st, 9), col(st, 7), col(st, 8), col(st, 10));
			assert_string_equal(col(st, 21), want);
			assert_string_equal(col(st, 17), ip_full(col(st, 4), b1));
			assert_string_equal(col(st, 18), ip_full(col(st, 5), b2));
		} else if (gid == 9200) {
			sqlite3_stmt *t = NULL;

			assert_int_equal(sqlite3_column_int64(st, 15), sid);
			assert_string_equal(col(st, 16), behav_signature((int)sid));
			assert_string_equal(col(st, 21), col(st, 12));   /* the figures stay */
			assert_string_equal(col(st, 17), ip_full(col(st, 4), b1));
			/* the tuple of the flow that tipped the latest occurrence
			 * (every detector alert of the fixture still has it) */
			assert_int_equal(sqlite3_prepare_v2(db,
				"SELECT dest_ip, proto, src_port, dest_port, app_proto FROM flows"
				" WHERE src_ip = ?1 AND end_us = ?2 AND flow_id IN"
				" (SELECT flow_id FROM alert_flows WHERE alert_id = ?3)", -1, &t, NULL),
				SQLITE_OK);
			sqlite3_bind_text(t, 1, col(st, 17), -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(t, 2, sqlite3_column_int64(st, 25));
			sqlite3_bind_int64(t, 3, id);
			assert_int_equal(sqlite3_step(t), SQLITE_ROW);
			if (col(st, 5)[0])
				assert_string_equal(col(st, 18), ip_full(col(st, 5), b2));
			assert_string_equal(col(st, 18), col(t, 0));
			assert_int_equal(sqlite3_column_int64(st, 24), sqlite3_column_int64(t, 1));
			if (sqlite3_column_int64(t, 1) == 6 || sqlite3_column_int64(t, 1) == 17) {
				assert_int_equal(sqlite3_column_int64(st, 22), sqlite3_column_int64(t, 2));
				assert_int_equal(sqlite3_column_int64(st, 23), sqlite3_column_int64(t, 3));
				assert_true(sqlite3_column_int64(st, 22) > 0);
			} else {
				assert_int_equal(sqlite3_column_type(st, 22), SQLITE_NULL);
			}
			assert_string_equal(col(st, 19), col(t, 4));
			sqlite3_finalize(t);
		} else {
			/* signatures: their identity was right already */
			assert_int_equal(sqlite3_column_int64(st, 15), sid);
			assert_string_equal(col(st, 16), col(st, 3));
			assert_string_equal(col(st, 21), col(st, 12));
			assert_string_equal(col(st, 17), ip_full(col(st, 4), b1));
			assert_string_equal(col(st, 18), ip_full(col(st, 5), b2));
			assert_int_equal(sqlite3_column_int64(st, 22), sqlite3_column_int64(st, 13));
		}
	}
	sqlite3_finalize(st);
	assert_int_equal(n, 43);
	/* each kind of row is there to be checked */
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts WHERE gid = 9200"), 6);
	assert_true(query_int(db, "SELECT count(*) FROM alerts WHERE gid = 9100") >= 20);
	assert_true(query_int(db, "SELECT count(*) FROM alerts WHERE gid = 1") >= 5);
	assert_true(query_int(db, "SELECT count(*) FROM alerts WHERE src_ip LIKE '%:%'") >= 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts WHERE app_proto = 'krb5'"
				   " AND ndpi_app_proto = 'kerberos'"), 1);

	/* every flow, against its old row */
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT o.app_proto, o.src_ip, o.dest_ip, f.app_proto, f.ndpi_app_proto, f.src_ip,"
		" f.dest_ip, f.community_id, f.icmp_type,"
		" (o.flow_id, o.start_us, o.end_us, o.proto, o.src_port, o.dest_port, o.pkts_toserver,"
		"  o.bytes_toclient, o.ndpi_protocol, o.tls_sni, o.dns_rrname, o.alerted, o.interim)"
		" IS (f.flow_id, f.start_us, f.end_us, f.proto, f.src_port, f.dest_port,"
		"  f.pkts_toserver, f.bytes_toclient, f.ndpi_protocol, f.tls_sni, f.dns_rrname,"
		"  f.alerted, f.interim)"
		" FROM old.flows o JOIN flows f USING (id) ORDER BY id", -1, &st, NULL), SQLITE_OK);
	n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *old_app = sqlite3_column_text(st, 0) ? col(st, 0) : NULL;
		const char *app = eve_app_proto(old_app);
		int changed = (app ? !old_app || strcmp(app, old_app) : !!old_app) ||
			      strchr(col(st, 1), ':') || strchr(col(st, 2), ':');

		n++;
		assert_string_equal(col(st, 3), app ? app : "");
		/* nDPI's name: set where the row changed, else the same */
		if (changed)
			assert_string_equal(col(st, 4), old_app);
		else
			assert_int_equal(sqlite3_column_type(st, 4), SQLITE_NULL);
		assert_string_equal(col(st, 5), ip_full(col(st, 1), b1));
		assert_string_equal(col(st, 6), ip_full(col(st, 2), b2));
		assert_int_equal(sqlite3_column_type(st, 7), SQLITE_NULL);  /* not known */
		assert_int_equal(sqlite3_column_type(st, 8), SQLITE_NULL);
		assert_int_equal(sqlite3_column_int(st, 9), 1);           /* the rest as it was */
	}
	sqlite3_finalize(st);
	assert_int_equal(n, query_int(db, "SELECT count(*) FROM old.flows"));
	for (const char *const *a = (const char *const[]){ "krb5", "smb", "ftp", "ftp-data", "ike",
							    NULL }; *a; a++) {
		char q[128];
		snprintf(q, sizeof q, "SELECT count(*) FROM flows WHERE app_proto = '%s'", *a);
		assert_true(query_int(db, q) >= 1);
	}
	assert_true(query_int(db, "SELECT count(*) FROM flows WHERE app_proto IS NULL"
			      " AND ndpi_app_proto = 'unknown'") >= 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM flows WHERE src_ip LIKE '%::%'"
				   " OR dest_ip LIKE '%::%'"), 0);
	assert_true(query_int(db, "SELECT count(*) FROM flows WHERE length(src_ip) = 39") >= 10);
	sqlite3_close(db);
}

/* The same rows the current code raises: a replay of the capture into a
 * new database gives the alert identities the migration wrote (the
 * integration and web suites replay; here the conversion functions are
 * fed the values of one new-style row). */
static void test_same_as_new_code(void **state)
{
	struct fixture *f = *state;
	char err[256], sig[640];
	struct store *s = store_open(f->db, 0, err, sizeof err);
	sqlite3 *db;

	assert_non_null(s);
	assert_int_equal(store_close(s), 0);
	db = open_both(f);
	/* misp_export.csv's domain alerts: sid 2903673, as detect_ioc.c
	 * raises them (docs/eve.md's formula) */
	assert_int_equal(ioc_list_sid("misp_export.csv", 2), 2903673);
	ioc_signature(sig, sizeof sig, 2, "misp_export.csv");
	assert_string_equal(sig, "vigil IOC: domain on list misp_export.csv");
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts WHERE sid = 2903673 AND"
				   " signature = 'vigil IOC: domain on list misp_export.csv'"), 2);
	/* the acknowledged one kept its status and note */
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts a JOIN alert_notes n"
				   " ON n.alert_id = a.id WHERE a.sid = 2903673 AND"
				   " a.status = 'acknowledged'"), 1);
	sqlite3_close(db);
}

/* A second open changes nothing and logs nothing. */
static void test_once(void **state)
{
	struct fixture *f = *state;
	char err[256], *log, *before[2], *after[2];
	sqlite3 *db;
	int ok;

	log = open_logged(f->db, &ok, err, sizeof err);
	assert_true(ok);
	free(log);
	db = open_both(f);
	before[0] = table_text(db, "main.alerts");
	before[1] = table_text(db, "main.flows");
	sqlite3_close(db);
	log = open_logged(f->db, &ok, err, sizeof err);
	assert_true(ok);
	assert_null(strstr(log, "migrated"));
	free(log);
	db = open_both(f);
	after[0] = table_text(db, "main.alerts");
	after[1] = table_text(db, "main.flows");
	sqlite3_close(db);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(before[i], after[i]);
		free(before[i]);
		free(after[i]);
	}
}

/* A step that fails leaves the database as it was: the whole migration is
 * one transaction. */
static void test_failure_rolls_back(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", *before, *after;
	sqlite3 *db = NULL;
	struct store *s;

	/* a column schema 5 adds, there already: its ALTER fails after the
	 * others have run */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE alerts ADD COLUMN community_id TEXT",
				      NULL, NULL, NULL), SQLITE_OK);
	before = table_text(db, "flows");
	sqlite3_close(db);

	s = store_open(f->db, 0, err, sizeof err);
	assert_null(s);
	assert_non_null(strstr(err, "schema 4 -> 5"));
	assert_non_null(strstr(err, "community_id"));
	db = open_both(f);
	assert_int_equal(query_int(db, "PRAGMA main.user_version"), 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('flows')"
				   " WHERE name = 'ndpi_app_proto'"), 0);
	after = table_text(db, "main.flows");
	assert_string_equal(before, after);
	assert_int_equal(query_int(db, "SELECT count(*) FROM alerts WHERE gid = 9100 AND sid < 6"),
			 query_int(db, "SELECT count(*) FROM old.alerts WHERE gid = 9100"));
	sqlite3_close(db);
	free(before);
	free(after);
}

/* A database of a newer vigil: refused with a clear message, not one byte
 * changed. */
static void test_newer_untouched(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", want[96], *before, *after;
	size_t n1, n2;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	before = read_file(f->db, &n1);
	assert_null(store_open(f->db, 0, err, sizeof err));
	snprintf(want, sizeof want, "schema version 99, newer than this vigil's %d",
		 STORE_SCHEMA_VERSION);
	assert_non_null(strstr(err, want));
	after = read_file(f->db, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	assert_int_equal(access(f->db, F_OK), 0);
	free(before);
	free(after);
}

static void problem(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	fail_msg("%s:%d: %s", file, line, msg);
}

/* suppress.conf lines written for the old indicator sids (gid 9100, sid =
 * kind) keep silencing that kind of indicator, on every list. */
static void test_old_suppressions(void **state)
{
	struct fixture *f = *state;
	char path[200];
	struct suppress *sp = suppress_new();
	struct alert a;
	FILE *fp;

	snprintf(path, sizeof path, "%s/suppress.conf", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("suppress gen_id 9100, sig_id 2, track by_src, ip 192.168.10.30\n"
	      "suppress gen_id 9200, sig_id 1\n", fp);
	fclose(fp);
	assert_non_null(sp);
	assert_int_equal(suppress_load(sp, path, problem, NULL), 2);

	memset(&a, 0, sizeof a);
	a.gid = 9100;
	a.sid = ioc_list_sid("misp_export.csv", 2);
	snprintf(a.src_ip, sizeof a.src_ip, "192.168.10.30");
	assert_true(suppress_match(sp, &a));                 /* a domain, any list */
	a.sid = ioc_list_sid("urlhaus.csv", 2);
	assert_true(suppress_match(sp, &a));
	a.sid = ioc_list_sid("misp_export.csv", 1);        /* an address: not */
	assert_false(suppress_match(sp, &a));
	a.sid = ioc_list_sid("misp_export.csv", 2);
	snprintf(a.src_ip, sizeof a.src_ip, "192.168.10.31"); /* another source */
	assert_false(suppress_match(sp, &a));
	a.gid = 9200;                                       /* detectors: as written */
	a.sid = 1;
	assert_true(suppress_match(sp, &a));
	a.sid = 1000001;
	assert_false(suppress_match(sp, &a));
	suppress_free(sp);
}

/* Schema 6: an alert's triage history (web_alerts.c: its audit rows by
 * target) reads the audit log through its index, not the whole log, on a
 * migrated database too. */
static void test_audit_by_target(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", plan[512] = "";
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int ok;
	char *log = open_logged(f->db, &ok, err, sizeof err);

	assert_true(ok);
	free(log);
	db = open_both(f);
	assert_int_equal(query_int(db, "SELECT count(*) FROM main.sqlite_master WHERE"
				   " type = 'index' AND name = 'audit_target'"), 1);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT ts_us, username, action,"
					    " detail FROM main.audit WHERE target = CAST(?1 AS TEXT)"
					    " AND action IN ('status', 'ack', 'recurred')"
					    " ORDER BY id DESC LIMIT 20", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s;", col(st, 3));
	sqlite3_finalize(st);
	assert_non_null(strstr(plan, "USING INDEX audit_target (target=?)"));
	assert_null(strstr(plan, "SCAN"));
	sqlite3_close(db);
}

/* Schema 6 -> 7 (issue 14): a database of schema 6 gets suppress_counts,
 * its rows untouched; counts add up
 * by entry key over store_add_silenced calls and reopens (a reload, a
 * restart), the newest packet time kept. */
static void test_migrate_v6_counts(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct suppress_tally t[2] = { { 0x8000000000000001ULL, 3, 1700000000000000ULL },
				       { 42, 1, 1600000000000000ULL } };
	struct store *s = store_open(f->db, 0, err, sizeof err);
	sqlite3 *db = NULL;
	sqlite3_int64 audit;

	assert_non_null(s);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE suppress_counts;"
				      "INSERT INTO audit (ts_us, username, action, target, detail)"
				      " VALUES (5, '(sensor)', 'recurred', '1', 'acknowledged -> new');"
				      "PRAGMA user_version = 6", NULL, NULL, NULL), SQLITE_OK);
	audit = query_int(db, "SELECT count(*) FROM audit");
	sqlite3_close(db);

	s = store_open(f->db, 0, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_add_silenced(s, t, 2), 0);
	t[0].n = 2;
	t[0].last_us = 1690000000000000ULL;               /* older: last stays */
	assert_int_equal(store_add_silenced(s, t, 1), 0);
	assert_int_equal(store_close(s), 0);
	s = store_open(f->db, 0, err, sizeof err);          /* a restart */
	assert_non_null(s);
	t[1].n = 4;
	t[1].last_us = 1650000000000000ULL;
	assert_int_equal(store_add_silenced(s, &t[1], 1), 0);
	assert_int_equal(store_close(s), 0);

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(db, "SELECT count(*) FROM audit"), audit);
	assert_int_equal(query_int(db, "SELECT silenced FROM suppress_counts"
				   " WHERE key = -9223372036854775807"), 5);
	assert_int_equal(query_int(db, "SELECT last_us FROM suppress_counts"
				   " WHERE key = -9223372036854775807"), 1700000000000000LL);
	assert_int_equal(query_int(db, "SELECT silenced FROM suppress_counts WHERE key = 42"), 5);
	assert_int_equal(query_int(db, "SELECT last_us FROM suppress_counts WHERE key = 42"),
			 1650000000000000LL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM suppress_counts"), 2);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_as_new_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_suppressions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_by_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v6_counts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
