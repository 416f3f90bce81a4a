/*
 * report.c - the `vigil summary` text, read from the SQLite store (see
 * report.h and store.c for the schema).
 *
 * The database is opened read-only, so a summary can run while a capture
 * is still writing (WAL lets readers and the writer work side by side).
 * Flow counts count final records only (interim = 0): a long flow has
 * several interim rows, each with the counter delta since the previous one,
 * so packets and bytes are summed over all rows.
 */
#include "report.h"
#include "core/homenet.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store.h"

#define REPORT_DEFAULT_TOP 10
#define REPORT_MAX_TOP 10000
#define REPORT_BUSY_TIMEOUT_MS 5000

struct report {
	sqlite3 *db;
	FILE *out;
	const char *path;
	char *err;
	size_t errlen;
};

/* One row of a top-N table: a name and three counters (applications:
 * flows, packets, bytes; talkers: flows, sent, received). */
struct top_row {
	char name[64];
	uint64_t v[3];
};

/* Record a one-line failure reason for the caller. */
__attribute__((format(printf, 2, 3)))
static void report_err(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->err || r->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

/* Record "what: SQLite's message" after a failed query. */
static void report_db_err(struct report *r, const char *what)
{
	report_err(r, "%s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
}

/* Read a column as an unsigned count (NULL and negatives read as 0). */
static uint64_t column_u64(sqlite3_stmt *st, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(st, col);

	return v > 0 ? (uint64_t)v : 0;
}

/* Copy a text column into buf (truncating), fallback if it is NULL. */
static void column_text(sqlite3_stmt *st, int col, char *buf, size_t buflen,
			const char *fallback)
{
	const unsigned char *txt = sqlite3_column_text(st, col);

	snprintf(buf, buflen, "%s", txt ? (const char *)txt : fallback);
}

/* Format a byte count in binary units: "512 B", "1.5 KiB", "3.2 MiB". */
static const char *human_bytes(uint64_t n, char *buf, size_t buflen)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = 0;

	if (n < 1024) {
		snprintf(buf, buflen, "%" PRIu64 " B", n);
		return buf;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, buflen, "%.1f %s", v, units[u]);
	return buf;
}

/* Format a microsecond timestamp as UTC ISO 8601: 2024-01-02T03:04:05Z. */
static const char *iso_time(uint64_t ts_us, char *buf, size_t buflen)
{
	time_t secs = (time_t)(ts_us / 1000000u);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, buflen, "?");
	return buf;
}

/* Format a duration in microseconds as "2d 3h 4m 5s", leading zero parts
 * left out. */
static const char *human_duration(uint64_t us, char *buf, size_t buflen)
{
	uint64_t s = us / 1000000u;
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d > 0)
		snprintf(buf, buflen, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s",
			 d, h, m, sec);
	else if (h > 0)
		snprintf(buf, buflen, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, sec);
	else if (m > 0)
		snprintf(buf, buflen, "%" PRIu64 "m %" PRIu64 "s", m, sec);
	else
		snprintf(buf, buflen, "%" PRIu64 ".%03" PRIu64 "s", sec,
			 us / 1000u % 1000u);
	return buf;
}

/* Run a query with no parameters whose first row's first column is an
 * integer. */
static int query_int(struct report *r, const char *sql, sqlite3_int64 *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		report_db_err(r, "read");
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Make sure the file is a vigil store we can read: a SQLite database with a
 * known non-zero schema version and the flows and runs tables. */
static int check_store(struct report *r)
{
	sqlite3_int64 version = 0, tables = 0;

	if (query_int(r, "PRAGMA user_version", &version) != 0)
		return -1;
	if (version == 0) {
		report_err(r, "%s is not a vigil store (schema version 0)", r->path);
		return -1;
	}
	if (version > STORE_SCHEMA_VERSION) {
		report_err(r, "%s has schema version %lld, newer than this vigil's %d",
			   r->path, (long long)version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (query_int(r, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
		      " AND name IN ('flows', 'runs')", &tables) != 0)
		return -1;
	if (tables != 2) {
		report_err(r, "%s is not a vigil store (no flows/runs tables)", r->path);
		return -1;
	}
	return 0;
}

/* Print the header: flows, packets, bytes and the time covered (from the
 * flows and the recorded runs), then one line about the runs. */
static int print_header(struct report *r)
{
	static const char flows_sql[] =
		"SELECT coalesce(sum(interim = 0), 0),"
		" coalesce(sum(pkts_toserver + pkts_toclient), 0),"
		" coalesce(sum(bytes_toserver + bytes_toclient), 0),"
		" min(start_us), max(end_us) FROM flows";
	static const char runs_sql[] =
		"SELECT count(*), coalesce(sum(packets), 0),"
		" coalesce(sum(decode_errors_total), 0), coalesce(sum(kernel_drops), 0),"
		" min(nullif(first_ts_us, 0)), max(nullif(last_ts_us, 0)) FROM runs";
	sqlite3_stmt *st = NULL;
	uint64_t flows = 0, packets = 0, bytes = 0, first = 0, last = 0;
	uint64_t runs = 0, run_packets = 0, run_errors = 0, run_drops = 0;
	char b1[32], t1[32], t2[32], dur[48];
	int rc;

	rc = sqlite3_prepare_v2(r->db, flows_sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		flows = column_u64(st, 0);
		packets = column_u64(st, 1);
		bytes = column_u64(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			first = column_u64(st, 3);
			last = column_u64(st, 4);
		}
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, runs_sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		runs = column_u64(st, 0);
		run_packets = column_u64(st, 1);
		run_errors = column_u64(st, 2);
		run_drops = column_u64(st, 3);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL &&
		    (first == 0 || column_u64(st, 4) < first))
			first = column_u64(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL && column_u64(st, 5) > last)
			last = column_u64(st, 5);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		report_db_err(r, "read totals");
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return -1;

	fprintf(r->out, "vigil summary: %" PRIu64 " flows, %" PRIu64 " packets, %s",
		flows, packets, human_bytes(bytes, b1, sizeof b1));
	if (first > 0 && last >= first)
		fprintf(r->out, ", %s to %s (%s)\n", iso_time(first, t1, sizeof t1),
			iso_time(last, t2, sizeof t2),
			human_duration(last - first, dur, sizeof dur));
	else
		fprintf(r->out, ", no time span recorded\n");
	fprintf(r->out, "runs: %" PRIu64 " recorded, %" PRIu64 " packets read, %" PRIu64
		" decode errors, %" PRIu64 " kernel drops\n",
		runs, run_packets, run_errors, run_drops);
	return 0;
}

/* Run a top-N query (?1 = top) whose rows are a name and three counters;
 * widens *width to the longest name. Returns the rows (free()) with *n
 * set, or NULL with the reason recorded. */
static struct top_row *read_top(struct report *r, const char *sql, int top, const char *null_name,
				const char *what, int *n, int *width)
{
	struct top_row *rows = calloc((size_t)top, sizeof *rows);
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (!rows) {
		report_err(r, "out of memory");
		return NULL;
	}
	rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, top);
	while (rc == SQLITE_OK && *n < top && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct top_row *row = &rows[(*n)++];

		column_text(st, 0, row->name, sizeof row->name, null_name);
		for (int i = 0; i < 3; i++)
			row->v[i] = column_u64(st, i + 1);
		if ((int)strlen(row->name) > *width)
			*width = (int)strlen(row->name);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		report_db_err(r, what);
		sqlite3_finalize(st);
		free(rows);
		return NULL;
	}
	sqlite3_finalize(st);
	return rows;
}

/* Print the applications table: flows, packets and bytes per nDPI protocol,
 * the top rows by flows. Rows are read first so the name column can be as
 * wide as the widest name. */
static int print_apps(struct report *r, int top)
{
	static const char sql[] =
		"SELECT coalesce(ndpi_protocol, 'Unknown') AS app,"
		" sum(interim = 0) AS nflows,"
		" sum(pkts_toserver + pkts_toclient),"
		" sum(bytes_toserver + bytes_toclient) AS nbytes"
		" FROM flows GROUP BY app ORDER BY nflows DESC, nbytes DESC, app LIMIT ?1";
	struct top_row *rows;
	int n, width = (int)strlen("Application");
	char b1[32];

	if (!(rows = read_top(r, sql, top, "Unknown", "read applications", &n, &width)))
		return -1;

	fprintf(r->out, "\nApplications (top %d by flows)\n", top);
	if (n == 0)
		fprintf(r->out, "  none\n");
	else
		fprintf(r->out, "  %-*s %10s %12s %12s\n", width, "Application", "Flows",
			"Packets", "Bytes");
	for (int i = 0; i < n; i++)
		fprintf(r->out, "  %-*s %10" PRIu64 " %12" PRIu64 " %12s\n", width,
			rows[i].name, rows[i].v[0], rows[i].v[1],
			human_bytes(rows[i].v[2], b1, sizeof b1));
	free(rows);
	return 0;
}

/* Print the top talkers: every address seen as client or server, with its
 * flows and the bytes it sent and received, the top rows by bytes. */
static int print_talkers(struct report *r, int top)
{
	static const char sql[] =
		"SELECT host, sum(final) AS nflows, sum(sent) AS s, sum(received) AS rx"
		" FROM (SELECT src_ip AS host, interim = 0 AS final,"
		"        bytes_toserver AS sent, bytes_toclient AS received FROM flows"
		"       UNION ALL"
		"       SELECT dest_ip, interim = 0, bytes_toclient, bytes_toserver FROM flows)"
		" WHERE host IS NOT NULL"
		" GROUP BY host ORDER BY s + rx DESC, nflows DESC, host LIMIT ?1";
	struct top_row *rows;
	int n, width = (int)strlen("Host");
	char b1[32], b2[32], b3[32];

	if (!(rows = read_top(r, sql, top, "?", "read top talkers", &n, &width)))
		return -1;

	/* Hosts inside the latest run's --home-net are marked: those are the
	 * ones the CERT looks after. */
	struct homenet hn;
	char home[1024] = "", herr[128];
	int have_home = 0;
	sqlite3_stmt *hs = NULL;
	if (sqlite3_prepare_v2(r->db, "SELECT home_net FROM runs WHERE home_net IS NOT NULL"
			       " ORDER BY id DESC LIMIT 1", -1, &hs, NULL) == SQLITE_OK &&
	    sqlite3_step(hs) == SQLITE_ROW) {
		column_text(hs, 0, home, sizeof home, "");
		have_home = home[0] && homenet_parse(&hn, home, herr, sizeof herr) == 0;
	}
	sqlite3_finalize(hs);

	fprintf(r->out, "\nTop talkers (top %d by bytes%s)\n", top,
		have_home ? "; * = inside the home network" : "");
	if (n == 0)
		fprintf(r->out, "  none\n");
	else
		fprintf(r->out, "  %-*s %10s %12s %12s %12s\n", width + 2, "Host", "Flows",
			"Sent", "Received", "Total");
	for (int i = 0; i < n; i++) {
		uint8_t a[16];
		int inside = have_home && ip_parse16(rows[i].name, a) == 0 &&
			     homenet_contains(&hn, a);
		fprintf(r->out, "  %-*s %s %10" PRIu64 " %12s %12s %12s\n", width,
			rows[i].name, inside ? "*" : " ", rows[i].v[0],
			human_bytes(rows[i].v[1], b1, sizeof b1),
			human_bytes(rows[i].v[2], b2, sizeof b2),
			human_bytes(rows[i].v[1] + rows[i].v[2], b3, sizeof b3));
	}
	free(rows);
	return 0;
}

/* Print the decode errors summed over all recorded runs, per reason, from
 * the runs' decode_errors JSON objects (read with SQLite's json_each; a
 * malformed or missing object counts as empty). */
static int print_decode_errors(struct report *r)
{
	static const char sql[] =
		"SELECT e.key, sum(e.value) AS n FROM runs,"
		" json_each(CASE WHEN json_valid(runs.decode_errors)"
		"           THEN runs.decode_errors ELSE '{}' END) AS e"
		" GROUP BY e.key HAVING n > 0 ORDER BY n DESC, e.key";
	sqlite3_stmt *st = NULL;
	int rc, rows = 0;
	char name[64];

	rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == 0)
			fprintf(r->out, "\nDecode errors (all runs)\n  %-28s %12s\n",
				"Reason", "Packets");
		column_text(st, 0, name, sizeof name, "?");
		fprintf(r->out, "  %-28s %12" PRIu64 "\n", name, column_u64(st, 1));
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		report_db_err(r, "read decode errors");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (rows == 0)
		fprintf(r->out, "\nDecode errors: none\n");
	return 0;
}

/* Open the store read-only, check it is one, and print every section. */
/* Print the alerts: rows of the aggregated alerts table, most severe and
 * most frequent first, with their count and hosts. Databases from before
 * alerts existed (schema 1) have no such table: nothing is printed. */
static int print_alerts(struct report *r, int top)
{
	static const char sql[] =
		"SELECT severity, count, engine, coalesce(signature, ''), src_ip, dest_ip"
		" FROM alerts ORDER BY severity ASC, count DESC, last_seen_us DESC LIMIT ?1";
	static const char total_sql[] =
		"SELECT count(*), coalesce(sum(count), 0) FROM alerts";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(r->db, total_sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0; /* no alerts table */
	}
	uint64_t rows = 0, total = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		rows = column_u64(st, 0);
		total = column_u64(st, 1);
	}
	sqlite3_finalize(st);
	fprintf(r->out, "\nAlerts (%" PRIu64 " raised, %" PRIu64 " distinct; top %d by severity)\n",
		total, rows, top);
	if (rows == 0) {
		fprintf(r->out, "  none\n");
		return 0;
	}
	rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, top);
	if (rc != SQLITE_OK) {
		report_db_err(r, "read alerts");
		sqlite3_finalize(st);
		return -1;
	}
	fprintf(r->out, "  %-3s %7s  %-9s %-56s %s\n", "Sev", "Count", "Engine", "Signature",
		"Source -> Destination");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char sig[57], src[64], dst[64], eng[16];
		column_text(st, 3, sig, sizeof sig, "");
		column_text(st, 4, src, sizeof src, "?");
		column_text(st, 5, dst, sizeof dst, "");
		column_text(st, 2, eng, sizeof eng, "?");
		fprintf(r->out, "  %-3" PRIu64 " %7" PRIu64 "  %-9s %-56s %s%s%s\n",
			column_u64(st, 0), column_u64(st, 1), eng, sig, src,
			dst[0] ? " -> " : "", dst);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		report_db_err(r, "read alerts");
		return -1;
	}
	return 0;
}

int report_summary(const char *path, FILE *out, int top, char *err, size_t errlen)
{
	struct report r = { .out = out, .path = path, .err = err, .errlen = errlen };
	struct stat sb;
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!path || !out) {
		report_err(&r, "summary: no database or output given");
		return 1;
	}
	if (top <= 0)
		top = REPORT_DEFAULT_TOP;
	if (top > REPORT_MAX_TOP)
		top = REPORT_MAX_TOP;
	/* SQLite's own message for a missing file is "unable to open database
	 * file"; stat first to say what is actually wrong. */
	if (stat(path, &sb) != 0) {
		report_err(&r, "%s: %s", path, strerror(errno));
		return 1;
	}
	if (!S_ISREG(sb.st_mode)) {
		report_err(&r, "%s: not a regular file", path);
		return 1;
	}
	rc = sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		report_err(&r, "open %s: %s", path,
			   r.db ? sqlite3_errmsg(r.db) : sqlite3_errstr(rc));
		sqlite3_close(r.db);
		return 1;
	}
	sqlite3_busy_timeout(r.db, REPORT_BUSY_TIMEOUT_MS);

	rc = check_store(&r);
	/* One read transaction, so all sections see the same snapshot even if
	 * a capture commits in between. */
	if (rc == 0 && sqlite3_exec(r.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		report_db_err(&r, "begin");
		rc = -1;
	}
	if (rc == 0)
		rc = print_header(&r);
	if (rc == 0)
		rc = print_apps(&r, top);
	if (rc == 0)
		rc = print_talkers(&r, top);
	if (rc == 0)
		rc = print_alerts(&r, top);
	if (rc == 0)
		rc = print_decode_errors(&r);
	if (!sqlite3_get_autocommit(r.db))
		sqlite3_exec(r.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(r.db);
	if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
		report_err(&r, "summary: writing the output failed");
		rc = -1;
	}
	return rc == 0 ? 0 : 1;
}
