/*
 * fuzz_pipeline.c - the whole pipeline on a packet sequence: decode ->
 * flow table -> nDPI -> detection (rules/default and
 * tests/fuzz/pipeline-rules: signatures, indicators, all detectors,
 * suppression) -> EVE and SQLite on their writer threads.
 *
 * Input: a packet sequence (fuzz.h). A record with caplen 0xFFFF moves
 * time without a packet (flows time out); one with caplen 0xFFFF and
 * delta 0 reloads the rules between two packets, as SIGHUP does.
 *
 * Building the pipeline costs about 25 ms (nDPI's tables), so one
 * pipeline serves a batch of inputs (VIGIL_FUZZ_BATCH, default 128; 1
 * when replaying, and to reproduce a finding exactly). Inputs of a batch
 * are kept apart in packet time: each starts a day after the previous one
 * ended, and its flows are ended then, so state carried over (fragment
 * table, detector windows, thresholds) has expired.
 *
 * Checked beyond "no crash", per input: every packet is counted once
 * (decoded, not IP or one decode error); per batch, after the sinks are
 * closed: every EVE line is valid JSON and UTF-8 with an event_type, the
 * EVE file has one flow event per flow record (final and interim) and one
 * alert event per alert, the database passes integrity_check and holds
 * the same flow rows, and its alert counts add up to the alerts raised;
 * stats events asked for arrive (those waiting together coalesce).
 */
#include "fuzz.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode/decode.h"
#include "core/log.h"
#include "output/pipeline.h"

#ifndef VIGIL_FUZZ_SRCDIR
#define VIGIL_FUZZ_SRCDIR "."
#endif

#define DAY_US (86400ULL * 1000000)

static struct pipeline *pl;
static int batch_max = 128, in_batch;
static uint64_t base_us;     /* packet time of the next input: 2024-01-01 + k days */
static uint64_t stats_events;
static char eve_path[600], db_path[600];

static struct ruleset *load_rules(void)
{
	static const char *const dirs[] = { VIGIL_FUZZ_SRCDIR "/rules/default",
					    VIGIL_FUZZ_SRCDIR "/tests/fuzz/pipeline-rules" };
	struct homenet home;
	char err[200];
	struct ruleset *rs;

	if (homenet_parse(&home, HOMENET_DEFAULT, err, sizeof err) != 0)
		fuzz_fail("home net: %s", err);
	rs = ruleset_new(&home, stderr);
	if (!rs)
		fuzz_fail("ruleset_new: out of memory");
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (ruleset_load_dir(rs, dirs[i]) != 0 || ruleset_problems(rs))
			fuzz_fail("the fuzz rule set %s does not load cleanly", dirs[i]);
	return rs;
}

static void batch_open(void)
{
	struct pipeline_config pc;
	char err[512];

	memset(&pc, 0, sizeof pc);
	flow_config_defaults(&pc.flow);
	/* small enough that eviction, timeouts and interim records happen */
	pc.flow.max_flows = 64;
	pc.flow.active_timeout = 30;
	pc.eve_path = eve_path;
	pc.db_path = db_path;
	pc.db_batch = 50;
	unlink(db_path);
	unlink(eve_path);
	pl = pipeline_new(&pc, load_rules(), err, sizeof err);
	if (!pl)
		fuzz_fail("pipeline_new: %s", err);
	in_batch = 0;
	stats_events = 0;
	base_us = 1704067200000000ULL;
}

struct eve_counts {
	uint64_t flow, alert, stats;
	int depth;
	int want_type;     /* the next string is event_type's value */
	int has_type;
};

static void eve_event(void *ctx, int tok, const char *text, size_t len)
{
	struct eve_counts *c = ctx;

	if (tok == FJ_OBJ || tok == FJ_ARR)
		c->depth++;
	else if (tok == FJ_OBJ_END || tok == FJ_ARR_END)
		c->depth--;
	else if (tok == FJ_KEY && c->depth == 1)
		c->want_type = len == 10 && memcmp(text, "event_type", 10) == 0;
	else if (c->want_type) {
		c->want_type = 0;
		c->has_type = 1;
		if (tok == FJ_STR && strcmp(text, "flow") == 0) c->flow++;
		else if (tok == FJ_STR && strcmp(text, "alert") == 0) c->alert++;
		else if (tok == FJ_STR && strcmp(text, "stats") == 0) c->stats++;
	}
}

static void check_eve(const struct vigil_stats *st)
{
	struct eve_counts c;
	size_t n, i = 0;
	char *buf = fuzz_read_file(eve_path, &n), why[200];
	long line = 0;

	if (!buf)
		fuzz_fail("no EVE file %s", eve_path);
	memset(&c, 0, sizeof c);
	while (i < n) {
		char *s = buf + i, *nl = memchr(s, '\n', n - i);
		if (!nl)
			fuzz_fail("EVE line %ld has no newline", line + 1);
		line++;
		c.has_type = 0;
		if (fuzz_json_check(s, (size_t)(nl - s), FJ_NO_DUP_KEYS, eve_event, &c, why, sizeof why) < 0)
			fuzz_fail("EVE line %ld is not valid JSON (%s): %.*s", line, why,
				  (int)(nl - s > 400 ? 400 : nl - s), s);
		if (!c.has_type)
			fuzz_fail("EVE line %ld has no event_type", line);
		i = (size_t)(nl - buf) + 1;
	}
	free(buf);
	if (c.flow != st->flows_ended + st->flows_interim)
		fuzz_fail("EVE has %llu flow events for %llu final + %llu interim records",
			  (unsigned long long)c.flow, (unsigned long long)st->flows_ended,
			  (unsigned long long)st->flows_interim);
	if (c.alert != st->alerts)
		fuzz_fail("EVE has %llu alert events for %llu alerts raised",
			  (unsigned long long)c.alert, (unsigned long long)st->alerts);
	/* requests waiting for the writer coalesce; the last one and the
	 * final event of the close are always written */
	if (c.stats > stats_events + 1 || c.stats < (stats_events ? 2 : 1))
		fuzz_fail("EVE has %llu stats events, %llu were asked for",
			  (unsigned long long)c.stats, (unsigned long long)stats_events + 1);
}

static int64_t query_i64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fuzz_fail("database: %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void check_db(const struct vigil_stats *st)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	char why[200];

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fuzz_fail("database %s: %s", db_path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0)
		fuzz_fail("database integrity_check failed");
	sqlite3_finalize(q);
	int64_t flows = query_i64(db, "SELECT count(*) FROM flows");
	if ((uint64_t)flows != st->flows_ended + st->flows_interim)
		fuzz_fail("database has %lld flow rows for %llu final + %llu interim records",
			  (long long)flows, (unsigned long long)st->flows_ended,
			  (unsigned long long)st->flows_interim);
	int64_t alerts = query_i64(db, "SELECT coalesce(sum(count), 0) FROM alerts");
	if ((uint64_t)alerts != st->alerts)
		fuzz_fail("database counts %lld alerts, %llu were raised", (long long)alerts,
			  (unsigned long long)st->alerts);
	/* the web serves these as JSON */
	if (sqlite3_prepare_v2(db, "SELECT metadata FROM alerts WHERE metadata IS NOT NULL", -1, &q,
			       NULL) != SQLITE_OK)
		fuzz_fail("database: %s", sqlite3_errmsg(db));
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(q, 0);
		if (m && fuzz_json_check(m, strlen(m), FJ_NO_DUP_KEYS, NULL, NULL, why, sizeof why) < 0)
			fuzz_fail("alert metadata is not valid JSON (%s): %.200s", why, m);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void batch_close(void)
{
	struct vigil_stats st;

	if (!pl)
		return;
	pipeline_drain(pl);
	pipeline_stats(pl, &st);
	if (st.flows_ended != st.flows)
		fuzz_fail("%llu flows created, %llu ended after the drain",
			  (unsigned long long)st.flows, (unsigned long long)st.flows_ended);
	if (pipeline_close_sinks(pl, &st, "fuzz", HOMENET_DEFAULT) != 0)
		fuzz_fail("a sink failed (see above)");
	pipeline_free(pl);
	pl = NULL;
	fuzz_leak_check();   /* libFuzzer's own check does not suit writer threads */
	check_eve(&st);
	check_db(&st);
	if (getenv("VIGIL_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_pipeline: batch of %d: %llu packets, %llu decoded, %llu flows, "
			"%llu interim, %llu alerts (%llu suppressed): EVE and database agree\n", in_batch,
			(unsigned long long)st.packets, (unsigned long long)st.decoded,
			(unsigned long long)st.flows, (unsigned long long)st.flows_interim,
			(unsigned long long)st.alerts, (unsigned long long)st.alerts_suppressed);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *b = getenv("VIGIL_FUZZ_BATCH");

	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	if (getenv("VIGIL_FUZZ_REPLAY"))
		batch_max = 1;
	if (b && atoi(b) > 0)
		batch_max = atoi(b);
	fuzz_path(eve_path, sizeof eve_path, "eve.json");
	fuzz_path(db_path, sizeof db_path, "vigil.sqlite");
	atexit(batch_close);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pkts r;
	struct cap_packet pkt;
	struct vigil_stats before, after;
	uint64_t fed = 0, last;
	int kind;

	if (size < 2)
		return 0;
	if (!pl)
		batch_open();
	fuzz_pkts_begin(&r, data, size, base_us);
	last = base_us;
	pipeline_stats(pl, &before);
	while ((kind = fuzz_pkts_next(&r, &pkt)) != FUZZ_PKT_END) {
		last = pkt.ts_us;
		if (kind == FUZZ_PKT_TICK) {
			if (r.delta_us == 0)
				pipeline_set_rules(pl, load_rules());
			else
				pipeline_expire(pl, pkt.ts_us);
			continue;
		}
		/* exactly caplen bytes: an over-read is ASan's, not the next packet's */
		uint8_t *buf = malloc(pkt.caplen ? pkt.caplen : 1);
		if (!buf)
			return 0;
		memcpy(buf, pkt.data, pkt.caplen);
		pkt.data = buf;
		int e = pipeline_packet(pl, r.linktype, &pkt);
		free(buf);
		if (e < 0 || e >= DECODE_ERR__COUNT)
			fuzz_fail("pipeline_packet returned %d", e);
		fed++;
	}
	/* the end of this input's traffic: its flows end, the sinks flush */
	pipeline_expire(pl, last + DAY_US);
	pipeline_stats(pl, &after);
	pipeline_stats_event(pl, &after, last + DAY_US);
	stats_events++;
	if (after.packets - before.packets != fed)
		fuzz_fail("%llu packets fed, %llu counted", (unsigned long long)fed,
			  (unsigned long long)(after.packets - before.packets));
	uint64_t errs = 0;
	for (int i = 0; i < DECODE_ERR__COUNT; i++)
		errs += after.decode_errors[i] - before.decode_errors[i];
	if (errs != after.decode_errors_total - before.decode_errors_total)
		fuzz_fail("decode errors by reason do not add up to the total");
	if ((after.decoded - before.decoded) + (after.not_ip - before.not_ip) + errs != fed)
		fuzz_fail("%llu packets: %llu decoded + %llu not IP + %llu errors",
			  (unsigned long long)fed, (unsigned long long)(after.decoded - before.decoded),
			  (unsigned long long)(after.not_ip - before.not_ip), (unsigned long long)errs);
	base_us = last + 2 * DAY_US;
	if (++in_batch >= batch_max)
		batch_close();
	return 0;
}
