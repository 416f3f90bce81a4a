/*
 * store.c - the SQLite sink: flows and run statistics on disk (see store.h).
 *
 * Schema: versioned with PRAGMA user_version. migrations[i] takes a database
 * from version i to i + 1; all the steps an open needs run in one
 * transaction together with the user_version bump, so a crash leaves the
 * database as it was. A database newer than STORE_SCHEMA_VERSION is refused
 * untouched. Names and forms are EVE's (docs/eve.md): app_proto in
 * Suricata's names (nDPI's in ndpi_app_proto), IPv6 addresses in full, the
 * alert identities eve.c writes; schema 5 converts what older versions
 * wrote (store_sql_functions: the conversions, from the modules that own
 * them).
 *
 * Writes: one prepared INSERT reused for every flow. The first row of a
 * batch opens a transaction, which is committed after batch_rows rows
 * (10,000 by default), by store_tick once it holds an alert or is 3 s old,
 * or by store_flush / store_add_run / store_close. Each commit appends to
 * the WAL every page the batch touched - the table's last page and a leaf
 * of each index per row, scattered for the host indexes - so few large
 * commits write far fewer bytes per flow to the card than many small ones
 * (issue 13: batches of 1,000 rows wrote 1,361 bytes per flow, of 10,000
 * 848). WAL with synchronous=NORMAL means one fsync per checkpoint, not
 * per commit, which an SD card likes.
 *
 * Failures (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY after the 5 s timeout,
 * ...): the call returns -1 and store_error() says why in one line. The
 * failed batch is rolled back as a whole, so the rows of that batch are
 * lost: its flows are counted in rows_failed (store_rows_failed()), its
 * alerts in alerts_failed. Rows of batches committed earlier stay on disk,
 * and the store remains usable: the next store_add_flow starts a new batch.
 *
 * A failure starts an episode (store_health()). It ends once writes have
 * worked for the settle time (10 s) after its last failure: a disk that
 * is nearly full lets some commits through (freed pages are reused), and
 * one episode with a start and an end says more than dozens. During an
 * episode flows are not tried for STORE_RETRY_US after each failure, only
 * counted as failed: a full disk is not hammered, and the write lock is
 * free for the other connections (the web, retention), which then see the
 * real reason - "database or disk is full" - instead of waiting for the
 * lock. Alerts are always tried, each committed at once while the episode
 * lasts.
 *
 * Taking turns: the writer commits a batch and begins the next at once,
 * so another writer of the same file polling the lock with sleeps in
 * between (SQLite's busy timeout) could lose every time. The web's
 * connections wait with store_busy_yielding(), which says so in a
 * process-wide timestamp; while it is fresh the writer commits at its next
 * row and does not begin again (STORE_YIELD_MAX_MS at most).
 */
#include "store.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "detect/detect_behav.h"
#include "detect/detect_ioc.h"
#include "eve.h"
#include "eve_app.h"

#include <limits.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_DEFAULT_BATCH 10000
#define STORE_COMMIT_US 3000000ULL /* store_tick: flows wait this long at most */
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_RETRY_US 1000000ULL  /* during an episode, between tries */
#define STORE_SETTLE_MS 10000      /* writes working this long end an episode */
#define STORE_POLL_US 1000         /* a writer waiting for the lock tries this often */
#define STORE_WAITER_FRESH_US 25000 /* a waiter that polled this recently still waits */

struct store {
	sqlite3 *db;
	sqlite3_stmt *insert_flow;  /* prepared once, reused per row */
	sqlite3_stmt *insert_run;
	sqlite3_stmt *upsert_alert;
	sqlite3_stmt *link_alert;
	sqlite3_stmt *recur_audit;  /* store_set_recur: prepared then */
	sqlite3_stmt *add_silenced; /* store_add_silenced: prepared then */
	unsigned recur;             /* STORE_RECUR_* */
	int batch_rows;             /* rows per transaction */
	int in_batch;               /* a transaction is open */
	int batch_pending;          /* rows inserted in the open transaction */
	int batch_alerts;           /* of which alerts */
	uint64_t batch_began_us;    /* monotonic: when the open batch began */
	uint64_t rows_failed;       /* flows lost with a failed batch */
	uint64_t alerts_failed;     /* alerts that could not be stored */
	/* failure episodes (see the top of this file) */
	int failing;
	uint64_t fail_since_us;     /* wall clock, the episode's first failure */
	uint64_t last_fail_us;      /* monotonic, its latest failure */
	uint64_t last_ok_us;        /* monotonic, the latest commit that worked */
	uint64_t retry_at_us;       /* monotonic: flows are not tried before */
	uint64_t settle_us;         /* STORE_SETTLE_MS, or what a test set */
	uint64_t episodes;
	uint64_t episode_flows, episode_alerts; /* lost in this (or the last) one */
	uint64_t yields;            /* times the writer gave way to another writer */
	char err[256];              /* last failure, one line */
};

/* The latest poll (monotonic us) of another writer of this process
 * waiting for the write lock (store_busy_yielding); 0: none yet. */
static _Atomic uint64_t waiter_polled_us;

/* ---- schema ---------------------------------------------------------------- */

/* Version 0 -> 1: everything. */
static const char schema_v1[] =
	"CREATE TABLE flows ("
	" id INTEGER PRIMARY KEY,"
	" flow_id INTEGER NOT NULL,"       /* interim records share it */
	" start_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL,"
	" ipver INTEGER, proto INTEGER, vlan INTEGER,"
	" src_ip TEXT, src_port INTEGER,"
	" dest_ip TEXT, dest_port INTEGER,"
	" pkts_toserver INTEGER, pkts_toclient INTEGER,"
	" bytes_toserver INTEGER, bytes_toclient INTEGER,"
	" state TEXT, reason TEXT,"
	" interim INTEGER NOT NULL DEFAULT 0,"
	" tunnel INTEGER NOT NULL DEFAULT 0,"
	" app_proto TEXT, ndpi_protocol TEXT, ndpi_category TEXT,"
	" ndpi_confidence TEXT,"
	" guessed INTEGER NOT NULL DEFAULT 0,"
	" risks TEXT,"                     /* comma-separated names, NULL if none */
	" tls_sni TEXT, ja3 TEXT, ja3s TEXT, dns_rrname TEXT,"
	" http_host TEXT, http_user_agent TEXT,"
	" dns_rrtype INTEGER, tls_cert_sha1 TEXT,"
	" tcp_flags_ts INTEGER, tcp_flags_tc INTEGER);"
	"CREATE INDEX flows_start ON flows(start_us);"
	"CREATE INDEX flows_src ON flows(src_ip, start_us);"
	"CREATE INDEX flows_dest ON flows(dest_ip, start_us);"
	"CREATE INDEX flows_app ON flows(app_proto, start_us);"
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY,"
	" recorded_at INTEGER NOT NULL,"   /* unix seconds, wall clock */
	" sources TEXT,"
	" home_net TEXT,"                  /* the --home-net of the run */
	" first_ts_us INTEGER, last_ts_us INTEGER,"
	" packets INTEGER, bytes INTEGER, decoded INTEGER,"
	" decode_errors_total INTEGER,"
	" decode_errors TEXT,"             /* JSON object: reason -> count */
	" flows INTEGER, flows_evicted INTEGER, flows_peak INTEGER,"
	" kernel_drops INTEGER);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta(key, value) VALUES ('application', 'vigil');";

/* Version 1 -> 2: alerts. Repeats of one rule for the same source and
 * destination (and, for indicator alerts, the same indicator) are one row
 * with a count and first/last seen, so a flood is one line to triage;
 * alert_flows links each row to every flow it was raised on. Flows that
 * raised an alert are marked and indexed by flow_id for that join. */
static const char schema_v2[] =
	"ALTER TABLE flows ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX flows_alerted ON flows(flow_id) WHERE alerted = 1;"
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY,"
	" engine TEXT NOT NULL,"           /* signature, ioc, detector */
	" gid INTEGER NOT NULL, sid INTEGER NOT NULL, rev INTEGER,"
	" signature TEXT, classtype TEXT, category TEXT, severity INTEGER,"
	" detector TEXT,"
	" ioc_kind TEXT, ioc_indicator TEXT NOT NULL DEFAULT '', ioc_list TEXT,"
	" ioc_description TEXT,"
	" src_ip TEXT NOT NULL, dest_ip TEXT NOT NULL DEFAULT '',"
	" proto INTEGER, src_port INTEGER, dest_port INTEGER, app_proto TEXT,"
	" first_seen_us INTEGER NOT NULL, last_seen_us INTEGER NOT NULL,"
	" count INTEGER NOT NULL DEFAULT 1,"
	" metadata TEXT,"                  /* JSON object of the latest occurrence */
	" rule_text TEXT, refs TEXT,"
	" status TEXT NOT NULL DEFAULT 'new',"
	" UNIQUE (gid, sid, src_ip, dest_ip, ioc_indicator));"
	"CREATE INDEX alerts_last ON alerts(last_seen_us);"
	"CREATE INDEX alerts_src ON alerts(src_ip, last_seen_us);"
	"CREATE INDEX alerts_dest ON alerts(dest_ip, last_seen_us);"
	"CREATE TABLE alert_flows ("
	" alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
	" flow_id INTEGER NOT NULL,"
	" ts_us INTEGER NOT NULL,"
	" PRIMARY KEY (alert_id, flow_id)) WITHOUT ROWID;";

/* Version 2 -> 3: the web stage. Accounts (yescrypt hashes), sessions
 * (the SHA-256 of the cookie value, never the value), the audit log of
 * every change made through the web, analysts' notes on alerts, the
 * SHA-256 of the one-time setup token while no account exists, and an
 * index for the web's alert filters. */
static const char schema_v3[] =
	"CREATE TABLE users ("
	" username TEXT PRIMARY KEY,"
	" hash TEXT NOT NULL,"             /* yescrypt, crypt(5) form */
	" role TEXT NOT NULL,"             /* admin, analyst */
	" created_us INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	" id TEXT PRIMARY KEY,"            /* SHA-256 of the cookie value, hex */
	" username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,"
	" csrf TEXT NOT NULL,"
	" created_us INTEGER NOT NULL, seen_us INTEGER NOT NULL);"
	"CREATE INDEX sessions_user ON sessions(username);"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" ts_us INTEGER NOT NULL,"
	" username TEXT, action TEXT NOT NULL, target TEXT, detail TEXT);"
	"CREATE INDEX audit_ts ON audit(ts_us);"
	"CREATE TABLE alert_notes ("
	" id INTEGER PRIMARY KEY,"
	" alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
	" ts_us INTEGER NOT NULL,"
	" username TEXT, text TEXT NOT NULL);"
	"CREATE INDEX alert_notes_alert ON alert_notes(alert_id);"
	"CREATE TABLE setup (token_hash TEXT NOT NULL, created_us INTEGER NOT NULL);"
	/* the alert list's filters, counted from the index alone */
	"CREATE INDEX alerts_triage ON alerts(status, severity, engine, last_seen_us);";

/* Version 3 -> 4: accounts can be revoked. disabled_us: when an admin
 * disabled the account (NULL: enabled; a disabled account cannot sign in
 * and has no sessions); last_login_us: the last successful sign-in;
 * must_change: the password was set by an admin (new account, reset) or
 * the console, and its owner must choose their own before anything else. */
static const char schema_v4[] =
	"ALTER TABLE users ADD COLUMN disabled_us INTEGER;"
	"ALTER TABLE users ADD COLUMN last_login_us INTEGER;"
	"ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;";

/* Version 4 -> 5: EVE's names and forms (issue 10). New columns: nDPI's
 * own lowercase name beside app_proto, which now holds Suricata's name
 * (NULL when nothing was recognised), the Community ID, ICMP type and code
 * each way. Then the rows written before are converted in place:
 * - flows and alerts: app_proto to Suricata's name (nDPI's kept in
 *   ndpi_app_proto), IPv6 addresses written in full. Only the flows that
 *   change are written (a big table is not rewritten whole on an SD
 *   card): an old flow whose two names are the same keeps ndpi_app_proto
 *   NULL, which readers take as app_proto (coalesce);
 * - indicator alerts (gid 9100, sid = kind 1..5, the indicator in the
 *   text): the sid and text of their list and kind, the indicator, kind,
 *   list and description in the metadata, as detect_ioc.c raises them;
 * - detector alerts: the detector's one text; the 5-tuple of the flow that
 *   tipped the latest occurrence when it is still stored (its end is the
 *   alert's time; looked for in the source's flows of the day before,
 *   through the flows_src index), else no source port instead of 0.
 * Rows, ids, statuses, notes and links stay: only these columns change.
 * An alert whose new identity (gid, sid, hosts, indicator) another row
 * already has - a database written by a development build between the
 * EVE change and this schema - keeps its old one (UPDATE OR IGNORE).
 * Community IDs and ICMP codes are not known for old flows (NULL). */
static const char schema_v5[] =
	"ALTER TABLE flows ADD COLUMN ndpi_app_proto TEXT;"
	"ALTER TABLE flows ADD COLUMN community_id TEXT;"
	"ALTER TABLE flows ADD COLUMN icmp_type INTEGER;"
	"ALTER TABLE flows ADD COLUMN icmp_code INTEGER;"
	"ALTER TABLE flows ADD COLUMN response_icmp_type INTEGER;"
	"ALTER TABLE flows ADD COLUMN response_icmp_code INTEGER;"
	"ALTER TABLE alerts ADD COLUMN ndpi_app_proto TEXT;"
	"ALTER TABLE alerts ADD COLUMN community_id TEXT;"
	"UPDATE flows SET ndpi_app_proto = app_proto, app_proto = vigil_app_proto(app_proto),"
	" src_ip = vigil_ip(src_ip), dest_ip = vigil_ip(dest_ip)"
	" WHERE vigil_app_proto(app_proto) IS NOT app_proto"
	" OR src_ip LIKE '%:%' OR dest_ip LIKE '%:%';"
	"UPDATE alerts SET ndpi_app_proto = app_proto, app_proto = vigil_app_proto(app_proto);"
	"UPDATE OR IGNORE alerts SET src_ip = vigil_ip(src_ip), dest_ip = vigil_ip(dest_ip)"
	" WHERE src_ip LIKE '%:%' OR dest_ip LIKE '%:%';"
	/* detectors: the tipping flow's tuple, then the one text */
	"UPDATE OR IGNORE alerts SET (dest_ip, proto, src_port, dest_port, ndpi_app_proto, app_proto) ="
	" (SELECT CASE WHEN alerts.dest_ip = '' THEN f.dest_ip ELSE alerts.dest_ip END, f.proto,"
	"  CASE WHEN f.proto IN (6, 17, 132) THEN f.src_port END,"
	"  CASE WHEN f.proto IN (6, 17, 132) THEN f.dest_port END,"
	"  coalesce(f.ndpi_app_proto, f.app_proto), f.app_proto"
	"  FROM flows f WHERE f.src_ip = alerts.src_ip AND f.end_us = alerts.last_seen_us"
	"  AND f.start_us BETWEEN alerts.last_seen_us - 86400000000 AND alerts.last_seen_us"
	"  AND f.flow_id IN (SELECT flow_id FROM alert_flows WHERE alert_id = alerts.id)"
	"  ORDER BY f.interim, f.id DESC LIMIT 1)"
	" WHERE gid = 9200 AND signature IS NOT vigil_detector_signature(detector)"
	" AND EXISTS (SELECT 1 FROM flows f WHERE f.src_ip = alerts.src_ip"
	"  AND f.end_us = alerts.last_seen_us"
	"  AND f.start_us BETWEEN alerts.last_seen_us - 86400000000 AND alerts.last_seen_us"
	"  AND f.flow_id IN (SELECT flow_id FROM alert_flows WHERE alert_id = alerts.id));"
	"UPDATE alerts SET src_port = NULL WHERE gid = 9200 AND src_port = 0"
	" AND signature IS NOT vigil_detector_signature(detector);"
	"UPDATE alerts SET signature = vigil_detector_signature(detector)"
	" WHERE gid = 9200 AND vigil_detector_signature(detector) IS NOT NULL"
	" AND signature IS NOT vigil_detector_signature(detector);"
	/* indicators: the list's sid and text, the variable parts in metadata */
	"UPDATE OR IGNORE alerts SET sid = vigil_ioc_sid(ioc_list, ioc_kind),"
	" signature = vigil_ioc_signature(ioc_kind, ioc_list),"
	" metadata = CASE WHEN ioc_description IS NULL OR ioc_description = ''"
	"  THEN json_object('indicator', json_array(ioc_indicator),"
	"   'indicator_kind', json_array(ioc_kind), 'indicator_list', json_array(ioc_list))"
	"  ELSE json_object('indicator', json_array(ioc_indicator),"
	"   'indicator_kind', json_array(ioc_kind), 'indicator_list', json_array(ioc_list),"
	"   'indicator_description', json_array(ioc_description)) END"
	" WHERE gid = 9100 AND sid BETWEEN 1 AND 5 AND vigil_ioc_sid(ioc_list, ioc_kind) IS NOT NULL;";

/* Version 5 -> 6: the audit log by target, for an alert's triage history
 * (its status changes and recurrences: target is the alert id), which
 * read the whole log once per alert shown. */
static const char schema_v6[] =
	"CREATE INDEX audit_target ON audit(target);";

/* Version 6 -> 7 (issue 14): how many alerts each suppress.conf entry
 * silenced, kept by the entry's key (suppress.h's suppress_key_of: the
 * same entry after a reload or a restart is the same row; the web deletes
 * the row when it adds or removes the entry), the newest silenced alert's
 * packet time and when the row was last counted (wall clock). */
static const char schema_v7[] =
	"CREATE TABLE suppress_counts ("
	" key INTEGER PRIMARY KEY,"        /* suppress_key_of, as a signed 64-bit */
	" silenced INTEGER NOT NULL,"
	" last_us INTEGER NOT NULL,"
	" updated_us INTEGER NOT NULL);";

/* The flows table's secondary indexes, as schema 1 created them; every
 * open makes sure they exist (a database whose index was dropped by hand
 * heals on the next open). */
static const char *const flow_indexes[] = {
	"CREATE INDEX IF NOT EXISTS flows_start ON flows(start_us)",
	"CREATE INDEX IF NOT EXISTS flows_src ON flows(src_ip, start_us)",
	"CREATE INDEX IF NOT EXISTS flows_dest ON flows(dest_ip, start_us)",
	"CREATE INDEX IF NOT EXISTS flows_app ON flows(app_proto, start_us)",
};

static int ensure_flow_indexes(struct store *s);

/* migrations[i] takes the database from user_version i to i + 1; rows:
 * how many rows of the existing data the step converted (for the log),
 * NULL for a step that converts none. */
static const struct {
	const char *sql, *rows;
} migrations[] = {
	{ schema_v1, NULL },
	{ schema_v2, NULL },
	{ schema_v3, NULL },
	{ schema_v4, NULL },
	/* every alert row; the flows that changed (the others keep
	 * ndpi_app_proto NULL) */
	{ schema_v5, "SELECT (SELECT count(*) FROM flows WHERE ndpi_app_proto IS NOT NULL)"
		     " + (SELECT count(*) FROM alerts)" },
	{ schema_v6, NULL },
	{ schema_v7, NULL },
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

static const char insert_flow_sql[] =
	"INSERT INTO flows (flow_id, start_us, end_us, ipver, proto, vlan,"
	" src_ip, src_port, dest_ip, dest_port,"
	" pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient,"
	" state, reason, interim, tunnel,"
	" app_proto, ndpi_protocol, ndpi_category, ndpi_confidence, guessed, risks,"
	" tls_sni, ja3, ja3s, dns_rrname, http_host, http_user_agent,"
	" dns_rrtype, tls_cert_sha1, tcp_flags_ts, tcp_flags_tc, alerted,"
	" ndpi_app_proto, community_id, icmp_type, icmp_code, response_icmp_type,"
	" response_icmp_code)"
	" VALUES (?,?,?,?,?,?, ?,?,?,?, ?,?,?,?, ?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,"
	" ?,?,?,?,?,?)";

/* An alert's status as a bit of STORE_RECUR_* */
#define STATUS_BIT "(CASE status WHEN 'acknowledged' THEN 1 WHEN 'false_positive' THEN 2" \
	" WHEN 'escalated' THEN 4 ELSE 0 END)"

static const char upsert_alert_sql[] =
	"INSERT INTO alerts (engine, gid, sid, rev, signature, classtype, category,"
	" severity, detector, ioc_kind, ioc_indicator, ioc_list, ioc_description,"
	" src_ip, dest_ip, proto, src_port, dest_port, app_proto,"
	" first_seen_us, last_seen_us, metadata, rule_text, refs, ndpi_app_proto, community_id)"
	" VALUES (?,?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?,?)"
	" ON CONFLICT (gid, sid, src_ip, dest_ip, ioc_indicator) DO UPDATE SET"
	" count = count + 1,"
	" first_seen_us = min(first_seen_us, excluded.first_seen_us),"
	" last_seen_us = max(last_seen_us, excluded.last_seen_us),"
	" rev = excluded.rev, signature = excluded.signature,"
	" severity = min(severity, excluded.severity),"
	" metadata = excluded.metadata,"
	/* the tuple is the latest occurrence's flow (a detector's changes) */
	" proto = excluded.proto, src_port = excluded.src_port, dest_port = excluded.dest_port,"
	" app_proto = excluded.app_proto, ndpi_app_proto = excluded.ndpi_app_proto,"
	" community_id = excluded.community_id,"
	/* recurrence (store_set_recur): a triaged status in the mask ?27 is new again */
	" status = CASE WHEN ?27 & " STATUS_BIT " THEN 'new' ELSE status END"
	" RETURNING id";

/* The audit row of a recurrence, before the upsert changes the status:
 * ?1 wall clock, ?2 the statuses that recur, ?3-?7 the alert's key. */
static const char recur_audit_sql[] =
	"INSERT INTO audit (ts_us, username, action, target, detail)"
	" SELECT ?1, '(sensor)', 'recurred', CAST(id AS TEXT), status || ' -> new: fired again'"
	" FROM alerts WHERE gid = ?3 AND sid = ?4 AND src_ip = ?5 AND dest_ip = ?6"
	" AND ioc_indicator = ?7 AND ?2 & " STATUS_BIT;

static const char add_silenced_sql[] =
	"INSERT INTO suppress_counts (key, silenced, last_us, updated_us) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT (key) DO UPDATE SET silenced = silenced + excluded.silenced,"
	" last_us = max(last_us, excluded.last_us), updated_us = excluded.updated_us";

static const char link_alert_sql[] =
	"INSERT OR IGNORE INTO alert_flows (alert_id, flow_id, ts_us) VALUES (?,?,?)";

static const char insert_run_sql[] =
	"INSERT INTO runs (recorded_at, sources, home_net, first_ts_us, last_ts_us,"
	" packets, bytes, decoded, decode_errors_total, decode_errors,"
	" flows, flows_evicted, flows_peak, kernel_drops)"
	" VALUES (?,?,?,?,?, ?,?,?,?,?, ?,?,?,?)";

/* ---- errors ---------------------------------------------------------------- */

/* Record a one-line failure reason in the store, for store_error(). */
__attribute__((format(printf, 2, 3)))
static void set_err(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

/* Record "what: SQLite's message (code N)" after a failed SQLite call; the
 * message is taken now, before a rollback can overwrite it. */
static void set_db_err(struct store *s, const char *what, int rc)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	set_err(s, "%s: %s (sqlite code %d)", what, msg, rc);
}

/* Append more text to the recorded failure reason (still one line). */
__attribute__((format(printf, 2, 3)))
static void append_err(struct store *s, const char *fmt, ...)
{
	size_t len = strlen(s->err);
	va_list ap;

	if (len + 1 >= sizeof s->err)
		return;
	va_start(ap, fmt);
	vsnprintf(s->err + len, sizeof s->err - len, fmt, ap);
	va_end(ap);
}

/* Run SQL that returns no rows we need; on failure record "what: reason". */
static int exec_sql(struct store *s, const char *what, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		set_db_err(s, what, rc);
		return -1;
	}
	return 0;
}

/* Run a query whose first column of its first row is an integer (a PRAGMA,
 * a count) and store that value in *out. */
static int query_int64(struct store *s, const char *what, const char *sql,
		       sqlite3_int64 *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		set_db_err(s, what, rc);
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* ---- failure episodes -------------------------------------------------------- */

/* A write failed: flows and alerts were lost (already counted in the
 * totals). The first failure after a good commit opens an episode. */
static void note_failure(struct store *s, uint64_t flows, uint64_t alerts)
{
	if (!s->failing) {
		s->failing = 1;
		s->episodes++;
		s->fail_since_us = wall_us();
		s->episode_flows = s->episode_alerts = 0;
	}
	s->episode_flows += flows;
	s->episode_alerts += alerts;
	s->last_fail_us = mono_us();
	s->retry_at_us = s->last_fail_us + STORE_RETRY_US;
}

/* The episode is over when a commit worked after its last failure and
 * the settle time has passed since that failure. */
static void check_settled(struct store *s)
{
	if (s->failing && s->last_ok_us > s->last_fail_us &&
	    mono_us() >= s->last_fail_us + s->settle_us)
		s->failing = 0;
}

/* During an episode, before the next try: the flow is counted as lost
 * without touching the database. */
static int backing_off(struct store *s)
{
	return s->failing && mono_us() < s->retry_at_us;
}

/* ---- taking turns with the other writers --------------------------------------- */

/* The busy handler of store_busy_yielding (signal set) and of the store's
 * own connection: try again every STORE_POLL_US until the timeout; arg is
 * timeout_ms * 2 + signal. The start of a wait is per thread (a connection
 * is used by one thread at a time). */
static int busy_poll(void *arg, int count)
{
	static _Thread_local uint64_t since;
	intptr_t a = (intptr_t)arg;
	uint64_t now = mono_us(), timeout_us = (uint64_t)(a / 2) * 1000;
	struct timespec ts = { 0, STORE_POLL_US * 1000L };

	if (count == 0)
		since = now;
	if (now - since >= timeout_us)
		return 0;
	if (a & 1)
		atomic_store_explicit(&waiter_polled_us, now, memory_order_relaxed);
	nanosleep(&ts, NULL);
	return 1;
}

void store_busy_yielding(struct sqlite3 *db, int timeout_ms)
{
	sqlite3_busy_handler(db, busy_poll, (void *)((intptr_t)timeout_ms * 2 + 1));
}

/* Another writer of this process waits for the lock now. */
static int waiter_now(uint64_t now)
{
	uint64_t t = atomic_load_explicit(&waiter_polled_us, memory_order_relaxed);

	return t && now < t + STORE_WAITER_FRESH_US;
}

/* Before taking the write lock: while another writer waits for it, leave
 * it to them (STORE_YIELD_MAX_MS at most; a waiter that got the lock stops
 * polling, and our BEGIN then waits for its commit). */
static void yield_to_waiters(struct store *s)
{
	uint64_t start = mono_us(), now = start;
	struct timespec ts = { 0, STORE_POLL_US * 1000L };

	if (!waiter_now(now))
		return;
	s->yields++;
	while (waiter_now(now) && now - start < STORE_YIELD_MAX_MS * 1000ULL) {
		nanosleep(&ts, NULL);
		now = mono_us();
	}
}

uint64_t store_yields(const struct store *s)
{
	return s ? s->yields : 0;
}

/* ---- batches ---------------------------------------------------------------- */

/* Give up on the open batch after a failure: roll it back (SQLite may have
 * done so already for some errors), count its rows plus `extra` rows that
 * never made it into it as failed, and note the loss in the error text.
 * Afterwards no transaction is open and the next row starts a new batch. */
static void abandon_batch(struct store *s, int extra_flows, int extra_alerts)
{
	uint64_t alerts = (uint64_t)s->batch_alerts + (uint64_t)extra_alerts;
	uint64_t flows = (uint64_t)(s->batch_pending - s->batch_alerts) + (uint64_t)extra_flows;

	if (!sqlite3_get_autocommit(s->db) &&
	    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		append_err(s, "; rollback failed too: %s", sqlite3_errmsg(s->db));
	if (flows + alerts > 0)
		append_err(s, "; %llu flow(s) and %llu alert(s) dropped",
			   (unsigned long long)flows, (unsigned long long)alerts);
	s->rows_failed += flows;
	s->alerts_failed += alerts;
	note_failure(s, flows, alerts);
	s->in_batch = 0;
	s->batch_pending = 0;
	s->batch_alerts = 0;
}

/* Open the transaction that the next batch_rows rows go into. IMMEDIATE
 * takes the write lock now (waiting up to the busy timeout) rather than in
 * the middle of the batch. */
static int begin_batch(struct store *s)
{
	yield_to_waiters(s);
	if (exec_sql(s, "begin batch", "BEGIN IMMEDIATE") != 0)
		return -1;
	s->in_batch = 1;
	s->batch_pending = 0;
	s->batch_alerts = 0;
	s->batch_began_us = mono_us();
	return 0;
}

/* Commit the open batch, if any. On failure the batch is rolled back and
 * its rows are counted as failed. */
static int commit_batch(struct store *s)
{
	int rc;

	if (!s->in_batch)
		return 0;
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		set_db_err(s, "commit batch", rc);
		abandon_batch(s, 0, 0);
		return -1;
	}
	s->in_batch = 0;
	s->batch_pending = 0;
	s->batch_alerts = 0;
	s->last_ok_us = mono_us();
	check_settled(s);
	return 0;
}

/* ---- binding ---------------------------------------------------------------- */

/* Binds parameters 1, 2, 3, ... in order and remembers the first failure,
 * so the column lists above and the bind calls below read side by side. */
struct binder {
	sqlite3_stmt *st;
	int idx;
	int rc;
};

/* Bind an unsigned counter or timestamp (they are all < 2^63). */
static void bind_u64(struct binder *b, uint64_t v)
{
	int idx = ++b->idx;

	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->st, idx, (sqlite3_int64)v);
}

/* Bind a string of at most maxlen bytes; NULL or "" (not known) binds NULL.
 * SQLITE_STATIC: the caller's strings outlive the statement's step; every
 * parameter is bound again before the next step (so no
 * sqlite3_clear_bindings per row: work for nothing). */
static void bind_text(struct binder *b, const char *str, size_t maxlen)
{
	int idx = ++b->idx;
	size_t len = str ? strnlen(str, maxlen) : 0;

	if (b->rc != SQLITE_OK)
		return;
	if (len == 0)
		b->rc = sqlite3_bind_null(b->st, idx);
	else
		b->rc = sqlite3_bind_text(b->st, idx, str, (int)len, SQLITE_STATIC);
}

/* Join the record's risk names with commas into buf; returns buf, or NULL
 * when the flow has no risks. Names that would not fit are left out. */
static const char *join_risks(const struct flow_record *rec, char *buf, size_t buflen)
{
	int n = rec->n_risks;
	size_t len = 0;

	if (n > FLOW_RECORD_MAX_RISKS)
		n = FLOW_RECORD_MAX_RISKS;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = rec->risks[i];
		size_t nlen = name ? strlen(name) : 0;

		if (nlen == 0)
			continue;
		if (len + (len > 0) + nlen + 1 > buflen)
			break;
		if (len > 0)
			buf[len++] = ',';
		memcpy(buf + len, name, nlen + 1);
		len += nlen;
	}
	return len > 0 ? buf : NULL;
}

/* ---- open ------------------------------------------------------------------- */

/* Refuse a database written by a newer vigil before changing anything in it
 * (even the journal mode): we do not know what its schema means. */
static int check_not_newer(struct store *s, const char *path)
{
	sqlite3_int64 version = 0;

	if (query_int64(s, "read schema version", "PRAGMA user_version", &version) != 0)
		return -1;
	if (version > STORE_SCHEMA_VERSION) {
		set_err(s, "%s has schema version %lld, newer than this vigil's %d; "
			"refusing to touch it", path, (long long)version,
			STORE_SCHEMA_VERSION);
		return -1;
	}
	if (version < 0) {
		set_err(s, "%s has an invalid schema version %lld", path,
			(long long)version);
		return -1;
	}
	return 0;
}

/* Switch the database to write-ahead logging (persistent in the file):
 * readers (vigil summary) do not block the writer and commits are cheap. */
static int enable_wal(struct store *s)
{
	sqlite3_stmt *st = NULL;
	char mode[16] = "";
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *txt = sqlite3_column_text(st, 0);

			snprintf(mode, sizeof mode, "%s", txt ? (const char *)txt : "");
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		set_db_err(s, "enable WAL", rc);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return -1;
	/* An in-memory database reports "memory"; that is fine too. */
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		set_err(s, "enable WAL: journal mode stayed '%s'", mode);
		return -1;
	}
	return 0;
}

/* ---- the conversions schema 5 runs in SQL ------------------------------------ */

static const char *arg_text(sqlite3_value *v)
{
	return sqlite3_value_type(v) == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(v);
}

static void result_text(sqlite3_context *c, const char *t)
{
	if (t)
		sqlite3_result_text(c, t, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(c);
}

/* vigil_app_proto(ndpi_name): Suricata's name (eve_app_proto). */
static void fn_app_proto(sqlite3_context *c, int n, sqlite3_value **v)
{
	(void)n;
	result_text(c, eve_app_proto(arg_text(v[0])));
}

/* vigil_ip(text): the address as EVE writes it (IPv6 in full). */
static void fn_ip(sqlite3_context *c, int n, sqlite3_value **v)
{
	const char *ip = arg_text(v[0]);
	char buf[EVE_IP_LEN];

	(void)n;
	result_text(c, ip ? eve_ip_text(ip, buf) : NULL);
}

/* vigil_ioc_sid(list, kind_name): the sid of the list's indicators of that
 * kind; NULL for a kind that is none. */
static void fn_ioc_sid(sqlite3_context *c, int n, sqlite3_value **v)
{
	const char *list = arg_text(v[0]);
	int kind = ioc_kind_of(arg_text(v[1]));

	(void)n;
	if (list && kind)
		sqlite3_result_int64(c, ioc_list_sid(list, kind));
	else
		sqlite3_result_null(c);
}

/* vigil_ioc_signature(kind_name, list): their signature text. */
static void fn_ioc_signature(sqlite3_context *c, int n, sqlite3_value **v)
{
	const char *list = arg_text(v[1]);
	int kind = ioc_kind_of(arg_text(v[0]));
	char sig[640];

	(void)n;
	if (!list || !kind) {
		sqlite3_result_null(c);
		return;
	}
	ioc_signature(sig, sizeof sig, kind, list);
	result_text(c, sig);
}

/* vigil_detector_signature(name): the detector's text; NULL for a name
 * that is none. */
static void fn_detector_signature(sqlite3_context *c, int n, sqlite3_value **v)
{
	const char *name = arg_text(v[0]);

	(void)n;
	for (int det = 1; name && behav_detector_name(det); det++)
		if (strcmp(behav_detector_name(det), name) == 0) {
			result_text(c, behav_signature(det));
			return;
		}
	sqlite3_result_null(c);
}

/* The functions the migrations call, on this connection only. */
static int store_sql_functions(struct store *s)
{
	static const struct {
		const char *name;
		int nargs;
		void (*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{ "vigil_app_proto", 1, fn_app_proto },
		{ "vigil_ip", 1, fn_ip },
		{ "vigil_ioc_sid", 2, fn_ioc_sid },
		{ "vigil_ioc_signature", 2, fn_ioc_signature },
		{ "vigil_detector_signature", 1, fn_detector_signature },
	};

	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		int rc = sqlite3_create_function(s->db, fns[i].name, fns[i].nargs,
						 SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
						 fns[i].fn, NULL, NULL);
		if (rc != SQLITE_OK) {
			set_db_err(s, "register SQL function", rc);
			return -1;
		}
	}
	return 0;
}

/* Bring the schema up to STORE_SCHEMA_VERSION: every step the database
 * needs, the user_version bump and a meta note per step in one
 * transaction, so a failure or a crash leaves it as it was. The version is
 * re-read inside the write transaction, so two processes opening a file at
 * once cannot both run a step. An existing database (not a new one) that
 * was migrated is logged once, with the rows its conversions changed. */
static int migrate(struct store *s)
{
	sqlite3_int64 version = 0, from, changes = 0;  /* rows the steps converted */
	char sql[256];
	time_t now = time(NULL);

	if (exec_sql(s, "begin migration", "BEGIN IMMEDIATE") != 0)
		return -1;
	if (query_int64(s, "read schema version", "PRAGMA user_version", &version) != 0)
		goto fail;
	if (version >= STORE_SCHEMA_VERSION)
		return exec_sql(s, "end migration", "COMMIT") != 0 ? -1 : 0;
	if (version < 0) {
		set_err(s, "invalid schema version %lld", (long long)version);
		goto fail;
	}
	from = version;
	for (; version < STORE_SCHEMA_VERSION; version++) {
		sqlite3_int64 rows = 0;

		if (exec_sql(s, "migrate schema", migrations[version].sql) != 0) {
			append_err(s, " (schema %lld -> %lld)", (long long)version,
				   (long long)version + 1);
			goto fail;
		}
		if (migrations[version].rows &&
		    query_int64(s, "count converted rows", migrations[version].rows, &rows) != 0)
			goto fail;
		changes += rows;
		snprintf(sql, sizeof sql,
			 "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '%lld');"
			 "INSERT OR REPLACE INTO meta(key, value) VALUES ('migration_%lld_at', '%lld');",
			 (long long)version + 1, (long long)version + 1, (long long)now);
		if (exec_sql(s, "record schema version", sql) != 0)
			goto fail;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (exec_sql(s, "record schema version", sql) != 0 ||
	    exec_sql(s, "commit migration", "COMMIT") != 0)
		goto fail;
	/* a change to the operator's data: shown at every command's default
	 * level (warnings), once - the next open finds the schema current */
	if (from > 0)
		log_warn("store: migrated schema %lld -> %d, %lld rows", (long long)from,
			 STORE_SCHEMA_VERSION, (long long)changes);
	return 0;
fail:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Open (creating if needed) the database, set the connection up (busy
 * timeout, foreign keys, WAL, synchronous=NORMAL), migrate the schema and
 * prepare the INSERT statements. On failure returns NULL with the reason in
 * err. */
struct store *store_open(const char *path, int batch_rows, char *err, size_t errlen)
{
	struct store *s;
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!path || !*path) {
		if (err && errlen > 0)
			snprintf(err, errlen, "store: no database path given");
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		if (err && errlen > 0)
			snprintf(err, errlen, "store: out of memory");
		return NULL;
	}
	s->batch_rows = batch_rows > 0 ? batch_rows : STORE_DEFAULT_BATCH;
	s->settle_us = STORE_SETTLE_MS * 1000ULL;

	/* NOMUTEX: the connection is the store's alone, used by one thread at
	 * a time (the writer's), so SQLite's per-call mutex is skipped */
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;

		set_err(s, "open %s: %s%s%s%s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
			sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* polls every ms (not SQLite's growing sleeps): a waiter the store
	 * gave way to is done within a ms or two */
	sqlite3_busy_handler(s->db, busy_poll, (void *)((intptr_t)STORE_BUSY_TIMEOUT_MS * 2));

	if (check_not_newer(s, path) != 0)
		goto fail;
	if (exec_sql(s, "enable foreign keys", "PRAGMA foreign_keys = ON") != 0)
		goto fail;
	/* A new database gets incremental auto-vacuum (it can only be chosen
	 * before the first table): retention frees pages with
	 * PRAGMA incremental_vacuum, so the file really shrinks and the box
	 * never fills its disk. */
	sqlite3_int64 ntables = 0;
	if (query_int64(s, "count tables", "SELECT count(*) FROM sqlite_master", &ntables) != 0)
		goto fail;
	if (ntables == 0 &&
	    exec_sql(s, "set auto-vacuum", "PRAGMA auto_vacuum = INCREMENTAL") != 0)
		goto fail;
	if (enable_wal(s) != 0)
		goto fail;
	/* 16 MiB of page cache keeps the index pages hot while a batch is
	 * written (the default 2 MiB makes every insert re-read them). The
	 * WAL is checkpointed every 2000 pages (8 MiB): on the writer thread
	 * while capture goes on, so little is left for close, and with few
	 * syncs for an SD card. */
	if (exec_sql(s, "set cache size", "PRAGMA cache_size = -16384") != 0 ||
	    exec_sql(s, "set checkpoint", "PRAGMA wal_autocheckpoint = 2000") != 0)
		goto fail;
	if (exec_sql(s, "set synchronous", "PRAGMA synchronous = NORMAL") != 0)
		goto fail;
	if (store_sql_functions(s) != 0 || migrate(s) != 0)
		goto fail;
	if (ensure_flow_indexes(s) != 0)
		goto fail;

	rc = sqlite3_prepare_v3(s->db, insert_flow_sql, -1, SQLITE_PREPARE_PERSISTENT,
				&s->insert_flow, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->db, insert_run_sql, -1,
					SQLITE_PREPARE_PERSISTENT, &s->insert_run, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->db, upsert_alert_sql, -1,
					SQLITE_PREPARE_PERSISTENT, &s->upsert_alert, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->db, link_alert_sql, -1,
					SQLITE_PREPARE_PERSISTENT, &s->link_alert, NULL);
	if (rc != SQLITE_OK) {
		set_db_err(s, "prepare insert", rc);
		goto fail;
	}
	s->err[0] = '\0';
	return s;

fail:
	if (err && errlen > 0)
		snprintf(err, errlen, "%s", s->err);
	sqlite3_finalize(s->insert_flow);
	sqlite3_finalize(s->insert_run);
	sqlite3_finalize(s->upsert_alert);
	sqlite3_finalize(s->link_alert);
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

/* ---- writes ------------------------------------------------------------------ */

/* Insert one flow record into the current batch (opening one if needed) and
 * commit when the batch is full. -1 on failure: the batch is lost and
 * counted, see the top of this file. */
int store_add_flow(struct store *s, const struct flow_record *rec)
{
	struct binder b;
	char risks[1024], src[EVE_IP_LEN], dest[EVE_IP_LEN], cid[COMMUNITY_ID_LEN];
	int rc, icmp = rec && (rec->proto == IPPROTO_ICMP || rec->proto == IPPROTO_ICMPV6);

	if (!s)
		return -1;
	if (!rec) {
		set_err(s, "insert flow: no record");
		return -1;
	}
	if (!s->in_batch && backing_off(s)) {
		s->rows_failed++;
		s->episode_flows++;
		return -1;
	}
	if (!s->in_batch && begin_batch(s) != 0) {
		s->rows_failed++;
		note_failure(s, 1, 0);
		return -1;
	}

	b.st = s->insert_flow;
	b.idx = 0;
	b.rc = SQLITE_OK;
	bind_u64(&b, rec->flow_id);
	bind_u64(&b, rec->start_us);
	bind_u64(&b, rec->end_us);
	bind_u64(&b, rec->ipver);
	bind_u64(&b, rec->proto);
	bind_u64(&b, rec->vlan);
	bind_text(&b, eve_ip_text(rec->src_ip, src), EVE_IP_LEN);
	bind_u64(&b, rec->src_port);
	bind_text(&b, eve_ip_text(rec->dest_ip, dest), EVE_IP_LEN);
	bind_u64(&b, rec->dest_port);
	bind_u64(&b, rec->pkts_toserver);
	bind_u64(&b, rec->pkts_toclient);
	bind_u64(&b, rec->bytes_toserver);
	bind_u64(&b, rec->bytes_toclient);
	bind_text(&b, rec->state, SIZE_MAX);
	bind_text(&b, rec->reason, SIZE_MAX);
	bind_u64(&b, rec->interim ? 1 : 0);
	bind_u64(&b, rec->tunnel);
	bind_text(&b, eve_app_proto(rec->app_proto), SIZE_MAX);
	bind_text(&b, rec->ndpi_protocol, SIZE_MAX);
	bind_text(&b, rec->ndpi_category, SIZE_MAX);
	bind_text(&b, rec->ndpi_confidence, SIZE_MAX);
	bind_u64(&b, rec->guessed ? 1 : 0);
	bind_text(&b, join_risks(rec, risks, sizeof risks), sizeof risks);
	bind_text(&b, rec->tls_sni, SIZE_MAX);
	bind_text(&b, rec->ja3, SIZE_MAX);
	bind_text(&b, rec->ja3s, SIZE_MAX);
	bind_text(&b, rec->dns_rrname, SIZE_MAX);
	bind_text(&b, rec->http_host, SIZE_MAX);
	bind_text(&b, rec->http_user_agent, SIZE_MAX);
	if (rec->dns_qtype)
		bind_u64(&b, rec->dns_qtype);
	else
		bind_text(&b, NULL, 0);
	bind_text(&b, rec->tls_cert_sha1, SIZE_MAX);
	bind_u64(&b, rec->tcp_flags_ts);
	bind_u64(&b, rec->tcp_flags_tc);
	bind_u64(&b, rec->alerted ? 1 : 0);
	bind_text(&b, rec->app_proto, SIZE_MAX);
	eve_community_id_text(rec, cid);
	bind_text(&b, cid, sizeof cid);
	for (int i = 0; i < 4; i++)      /* type and code to the server, then back */
		if (icmp && (rec->icmp_seen & (i < 2 ? 1 : 2)))
			bind_u64(&b, rec->icmp[i]);
		else
			bind_text(&b, NULL, 0);

	if (b.rc != SQLITE_OK) {
		rc = b.rc;
		set_db_err(s, "bind flow", rc);
	} else {
		rc = sqlite3_step(s->insert_flow);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		else
			set_db_err(s, "insert flow", rc);
	}
	sqlite3_reset(s->insert_flow);   /* every parameter is bound again next row */
	if (rc != SQLITE_OK) {
		abandon_batch(s, 1, 0);
		return -1;
	}

	s->batch_pending++;
	/* another writer waits for the lock: commit now, give way at the
	 * next begin */
	if (s->batch_pending >= s->batch_rows || waiter_now(mono_us()))
		return commit_batch(s);
	return 0;
}

/* The alert's metadata as a JSON object in Suricata's form (alert.h),
 * built in j; NULL when there is none. */
static const char *alert_meta_text(const struct alert *a, struct json *j)
{
	if (a->n_meta <= 0)
		return NULL;
	alert_meta_json(a, j);
	return j->oom || !j->buf ? "{}" : j->buf;
}

/* Store one alert in the open batch: a new row, or one more occurrence of
 * the row with the same rule, hosts (and indicator), plus a link to each
 * flow it was raised on. */
/* The audit rows of the alert a is an occurrence of when its status
 * recurs: before the upsert sets it to new. An SQLite result code. */
static int recur_audit(struct store *s, const struct alert *a)
{
	sqlite3_stmt *st = s->recur_audit;
	char src[EVE_IP_LEN], dest[EVE_IP_LEN];
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)wall_us());
	sqlite3_bind_int64(st, 2, s->recur);
	sqlite3_bind_int64(st, 3, a->gid);
	sqlite3_bind_int64(st, 4, a->sid);
	/* the key as the upsert writes it (addresses in EVE's form) */
	sqlite3_bind_text(st, 5, eve_ip_text(a->src_ip, src), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, eve_ip_text(a->dest_ip, dest), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, a->ioc_indicator ? a->ioc_indicator : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		set_db_err(s, "audit a recurrence", rc);
		return rc;
	}
	return SQLITE_OK;
}

int store_set_recur(struct store *s, unsigned statuses)
{
	int rc;

	if (!s->recur_audit) {
		rc = sqlite3_prepare_v3(s->db, recur_audit_sql, -1, SQLITE_PREPARE_PERSISTENT,
					&s->recur_audit, NULL);
		if (rc != SQLITE_OK) {
			set_db_err(s, "prepare recurrence", rc);
			return -1;
		}
	}
	s->recur = statuses & STORE_RECUR_ALL;
	return 0;
}

int store_add_silenced(struct store *s, const struct suppress_tally *t, int n)
{
	int rc = SQLITE_OK;

	if (!s)
		return -1;
	if (n <= 0)
		return 0;
	if (!s->add_silenced) {
		rc = sqlite3_prepare_v3(s->db, add_silenced_sql, -1, SQLITE_PREPARE_PERSISTENT,
					&s->add_silenced, NULL);
		if (rc != SQLITE_OK) {
			set_db_err(s, "prepare suppression counts", rc);
			return -1;
		}
	}
	if (!s->in_batch && begin_batch(s) != 0)
		return -1;
	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(s->add_silenced, 1, (sqlite3_int64)t[i].key);
		sqlite3_bind_int64(s->add_silenced, 2, (sqlite3_int64)t[i].n);
		sqlite3_bind_int64(s->add_silenced, 3, (sqlite3_int64)t[i].last_us);
		sqlite3_bind_int64(s->add_silenced, 4, (sqlite3_int64)wall_us());
		rc = sqlite3_step(s->add_silenced);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		else
			set_db_err(s, "count suppressed alerts", rc);
		sqlite3_reset(s->add_silenced);
	}
	if (rc != SQLITE_OK) {
		abandon_batch(s, 0, 0);
		return -1;
	}
	return commit_batch(s);
}

int store_add_alert(struct store *s, const struct alert *a)
{
	static const char *engines[] = { "signature", "ioc", "detector" };
	char refs[2048], src[EVE_IP_LEN], dest[EVE_IP_LEN], cid[COMMUNITY_ID_LEN];
	struct json meta;
	struct binder b;
	sqlite3_int64 id = 0;
	int rc;

	if (!s || !a)
		return -1;
	if (!s->in_batch && begin_batch(s) != 0) {
		s->alerts_failed++;
		note_failure(s, 0, 1);
		return -1;
	}
	refs[0] = '\0';
	for (int i = 0, off = 0; i < a->n_references && i < ALERT_MAX_REFS; i++) {
		int n = snprintf(refs + off, sizeof refs - (size_t)off, "%s%s", i ? "\n" : "",
				 a->references[i] ? a->references[i] : "");
		if (n < 0 || (size_t)(off + n) >= sizeof refs)
			break;
		off += n;
	}

	b.st = s->upsert_alert;
	b.idx = 0;
	b.rc = SQLITE_OK;
	bind_text(&b, engines[a->engine >= 0 && a->engine < 3 ? a->engine : 0], SIZE_MAX);
	bind_u64(&b, a->gid);
	bind_u64(&b, a->sid);
	bind_u64(&b, a->rev);
	bind_text(&b, a->signature, SIZE_MAX);
	bind_text(&b, a->classtype, SIZE_MAX);
	bind_text(&b, a->category, SIZE_MAX);
	bind_u64(&b, (uint64_t)(a->severity > 0 ? a->severity : 3));
	bind_text(&b, a->detector, SIZE_MAX);
	bind_text(&b, a->ioc_kind, SIZE_MAX);
	/* NOT NULL key columns: "" (bind_text would bind NULL) */
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_text(b.st, ++b.idx, a->ioc_indicator ? a->ioc_indicator : "",
					 -1, SQLITE_STATIC);
	bind_text(&b, a->ioc_list, SIZE_MAX);
	bind_text(&b, a->ioc_description, SIZE_MAX);
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_text(b.st, ++b.idx, eve_ip_text(a->src_ip, src), -1,
					 SQLITE_STATIC);
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_text(b.st, ++b.idx, eve_ip_text(a->dest_ip, dest), -1,
					 SQLITE_STATIC);
	bind_u64(&b, a->proto);
	if (a->has_ports) {
		bind_u64(&b, a->src_port);
		bind_u64(&b, a->dest_port);
	} else {
		bind_text(&b, NULL, 0);
		if (a->dest_port)
			bind_u64(&b, a->dest_port);
		else
			bind_text(&b, NULL, 0);
	}
	bind_text(&b, eve_app_proto(a->app_proto), SIZE_MAX);
	bind_u64(&b, a->ts_us);
	bind_u64(&b, a->ts_us);
	json_init(&meta);
	bind_text(&b, alert_meta_text(a, &meta), SIZE_MAX);
	bind_text(&b, a->rule_text, SIZE_MAX);
	bind_text(&b, refs, sizeof refs);
	bind_text(&b, a->app_proto, SIZE_MAX);
	if (a->flow)
		eve_community_id_text(a->flow, cid);
	bind_text(&b, a->flow ? cid : NULL, sizeof cid);
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_int64(b.st, 27, s->recur);
	if (b.rc == SQLITE_OK && s->recur)
		b.rc = recur_audit(s, a);

	if (b.rc != SQLITE_OK) {
		rc = b.rc;
		set_db_err(s, "bind alert", rc);
	} else {
		rc = sqlite3_step(s->upsert_alert);
		if (rc == SQLITE_ROW) {
			id = sqlite3_column_int64(s->upsert_alert, 0);
			rc = sqlite3_step(s->upsert_alert);
		}
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		else
			set_db_err(s, "insert alert", rc);
	}
	sqlite3_reset(s->upsert_alert);
	json_free(&meta);

	for (int i = 0; rc == SQLITE_OK && i < a->n_flow_ids && i < ALERT_MAX_FLOWS; i++) {
		sqlite3_bind_int64(s->link_alert, 1, id);
		sqlite3_bind_int64(s->link_alert, 2, (sqlite3_int64)a->flow_ids[i]);
		sqlite3_bind_int64(s->link_alert, 3, (sqlite3_int64)a->ts_us);
		rc = sqlite3_step(s->link_alert);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		else
			set_db_err(s, "link alert to flow", rc);
		sqlite3_reset(s->link_alert);
	}
	if (rc != SQLITE_OK) {
		abandon_batch(s, 0, 1);
		return -1;
	}
	s->batch_pending++;
	s->batch_alerts++;
	/* while writes fail, an alert does not wait for a batch to fill */
	if (s->batch_pending >= s->batch_rows || s->failing || waiter_now(mono_us()))
		return commit_batch(s);
	return 0;
}

/* Format the non-zero decode error counters as a JSON object, e.g.
 * {"truncated_ipv4":3,"not_ip":1}. The names are identifiers, so no
 * escaping is needed. Slot 0 is DECODE_OK, not an error. */
static void decode_errors_json(const struct vigil_stats *st, char *buf, size_t buflen)
{
	size_t len = 0;
	int first = 1;

	len += (size_t)snprintf(buf, buflen, "{");
	for (int i = 1; i < DECODE_ERR__COUNT; i++) {
		const char *name = decode_error_name(i);
		int n;

		if (st->decode_errors[i] == 0 || !name)
			continue;
		n = snprintf(buf + len, buflen - len, "%s\"%s\":%llu", first ? "" : ",",
			     name, (unsigned long long)st->decode_errors[i]);
		if (n < 0 || (size_t)n >= buflen - len - 1)
			break;  /* cannot happen with the buffer below; stay valid JSON */
		len += (size_t)n;
		first = 0;
	}
	snprintf(buf + len, buflen - len, "}");
}

/* Record one run's statistics. The pending flow batch is committed first so
 * the run row never describes flows that are not on disk; the run row is
 * then written in its own transaction, even if that commit failed. */
int store_add_run(struct store *s, const struct vigil_stats *st, const char *sources,
		  const char *home_net)
{
	char errors_json[2048];
	struct binder b;
	int flush_rc, rc;

	if (!s)
		return -1;
	if (!st) {
		set_err(s, "insert run: no statistics");
		return -1;
	}
	flush_rc = commit_batch(s);
	decode_errors_json(st, errors_json, sizeof errors_json);

	b.st = s->insert_run;
	b.idx = 0;
	b.rc = SQLITE_OK;
	bind_u64(&b, (uint64_t)time(NULL));
	bind_text(&b, sources, SIZE_MAX);
	bind_text(&b, home_net, SIZE_MAX);
	bind_u64(&b, st->first_ts_us);
	bind_u64(&b, st->last_ts_us);
	bind_u64(&b, st->packets);
	bind_u64(&b, st->bytes);
	bind_u64(&b, st->decoded);
	bind_u64(&b, st->decode_errors_total);
	bind_text(&b, errors_json, sizeof errors_json);
	bind_u64(&b, st->flows);
	bind_u64(&b, st->flows_evicted);
	bind_u64(&b, st->flows_peak);
	bind_u64(&b, st->kernel_drops);

	if (b.rc != SQLITE_OK) {
		rc = b.rc;
		set_db_err(s, "bind run", rc);
	} else {
		rc = sqlite3_step(s->insert_run);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		else
			set_db_err(s, "insert run", rc);
	}
	sqlite3_reset(s->insert_run);
	sqlite3_clear_bindings(s->insert_run);
	if (rc != SQLITE_OK)
		return -1;
	return flush_rc;
}

/* Commit the pending batch now (end of a file, a timer, shutdown). */
int store_flush(struct store *s)
{
	if (!s)
		return -1;
	return commit_batch(s);
}

/* The daemon's timer (once a second): alerts are committed now, flows
 * once their batch is STORE_COMMIT_US old (or full). Also now: while
 * writes fail (as before: a second at most), and when another writer of
 * this process waits for the lock (an idle writer sees it only here). */
int store_tick(struct store *s)
{
	uint64_t now = mono_us();

	if (!s)
		return -1;
	if (!s->in_batch)
		return 0;
	if (!s->batch_alerts && !s->failing && !waiter_now(now) &&
	    now - s->batch_began_us < STORE_COMMIT_US)
		return 0;
	return commit_batch(s);
}

/* The last failure as one line, "" if nothing failed yet. */
const char *store_error(const struct store *s)
{
	return s ? s->err : "store: not open";
}

/* Rows lost with failed batches since the store was opened. */
uint64_t store_rows_failed(const struct store *s)
{
	return s ? s->rows_failed : 0;
}

void store_health(struct store *s, struct store_health *h)
{
	memset(h, 0, sizeof *h);
	if (!s)
		return;
	check_settled(s);
	h->failing = s->failing;
	h->since_us = s->fail_since_us;
	h->episodes = s->episodes;
	h->flows_failed = s->rows_failed;
	h->alerts_failed = s->alerts_failed;
	h->episode_flows = s->episode_flows;
	h->episode_alerts = s->episode_alerts;
	snprintf(h->error, sizeof h->error, "%s", s->err);
}

/* Count the rows of the flows table; mostly for tests and diagnostics. */
int store_count_flows(struct store *s, uint64_t *n)
{
	sqlite3_int64 count = 0;

	if (!s || !n)
		return -1;
	if (query_int64(s, "count flows", "SELECT count(*) FROM flows", &count) != 0)
		return -1;
	*n = (uint64_t)count;
	return 0;
}

void store_set_settle_ms(struct store *s, unsigned ms)
{
	if (s)
		s->settle_us = (uint64_t)ms * 1000;
}

/* Set PRAGMA max_page_count for this connection and return the limit that
 * SQLite applied (it never goes below the current page count). */
int store_set_max_pages(struct store *s, int pages)
{
	sqlite3_int64 applied = 0;
	char sql[64];

	if (!s)
		return -1;
	if (pages <= 0) {
		set_err(s, "set max pages: %d is not a page count", pages);
		return -1;
	}
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", pages);
	if (query_int64(s, "set max pages", sql, &applied) != 0)
		return -1;
	return applied > INT_MAX ? INT_MAX : (int)applied;
}

/* Commit, fold the WAL back into the database and truncate it (so the file
 * is self-contained and the WAL does not keep its peak size), then close. */
/* Create any missing flow index. */
static int ensure_flow_indexes(struct store *s)
{
	for (size_t i = 0; i < sizeof flow_indexes / sizeof flow_indexes[0]; i++)
		if (exec_sql(s, "create index", flow_indexes[i]) != 0)
			return -1;
	return 0;
}

int store_close(struct store *s)
{
	int rc;

	if (!s)
		return 0;
	rc = commit_batch(s);
	sqlite3_finalize(s->insert_flow);
	sqlite3_finalize(s->insert_run);
	sqlite3_finalize(s->upsert_alert);
	sqlite3_finalize(s->link_alert);
	sqlite3_finalize(s->recur_audit);
	sqlite3_finalize(s->add_silenced);
	if (exec_sql(s, "checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)") != 0)
		rc = -1;
	if (sqlite3_close(s->db) != SQLITE_OK)
		rc = -1;
	free(s);
	return rc;
}
