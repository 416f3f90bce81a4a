/*
 * test_evidence.c - packet evidence: the pool of held packets
 * (flow/flow_evidence.h) and the evidence writer and its rotation
 * (output/evidence.h), with real files read back through libpcap.
 *
 * The pool's tests collect what leaves it through its evid_out_fn (the
 * pool's one way out) and check which packets, in which order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/clock.h"
#include "flow/flow_evidence.h"
#include "output/evidence.h"
#include "unit_tmpdir.h"

#define MAXOUT 4096

struct sink {
	int n, ends;
	uint64_t flow[MAXOUT];
	uint64_t ts[MAXOUT];
	uint32_t len[MAXOUT];
};

static void collect(void *ctx, struct evid_pkt *k)
{
	struct sink *s = ctx;

	if (k->kind == EVID_END) {
		s->ends++;
	} else if (s->n < MAXOUT) {
		s->flow[s->n] = k->flow_id;
		s->ts[s->n] = k->ts_us;
		s->len[s->n] = k->caplen;
		s->n++;
	}
	free(k);
}

static uint8_t frame[65536];

/* Packet i of flow id: caplen len, time id * 1000000 + i. */
static void pkt(struct evid_pool *p, void **slot, uint64_t id, int i, uint32_t len)
{
	memset(frame, (int)(id + (uint64_t)i), len);
	evid_packet(p, slot, id, 1, frame, len, len + 4, id * 1000000 + (uint64_t)i);
}

/* A flow that alerts hands over its first hold_pkts packets in order,
 * then its following packets; one that does not hands over nothing. */
static void test_hold_packets(void **state)
{
	struct evid_config c;
	struct sink s = { 0 };
	struct evid_counters k;
	void *a = NULL, *b = NULL;

	(void)state;
	evid_config_defaults(&c);
	assert_int_equal(c.hold_pkts, 16);
	assert_int_equal(c.hold_bytes, 32768);
	assert_int_equal(c.pool_bytes, 16 << 20);
	assert_int_equal(c.per_flow_cap, 1 << 20);
	struct evid_pool *p = evid_pool_new(&c, collect, &s);
	for (int i = 0; i < 20; i++) {
		pkt(p, &a, 7, i, 100);
		pkt(p, &b, 8, i, 100);
	}
	assert_int_equal(s.n, 0);
	assert_int_equal(evid_alerted(p, 7), 1);
	assert_int_equal(s.n, 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(s.flow[i], 7);
		assert_int_equal(s.ts[i], 7000000 + i);
	}
	pkt(p, &a, 7, 20, 100);
	assert_int_equal(s.n, 17);
	assert_int_equal(s.ts[16], 7000020);
	assert_int_equal(evid_alerted(p, 7), 1); /* a second alert: nothing new */
	assert_int_equal(s.n, 17);
	evid_release(p, &b);                     /* no alert: its packets go */
	assert_null(b);
	assert_int_equal(evid_alerted(p, 8), 0);
	evid_release(p, &a);
	assert_int_equal(s.ends, 1);
	evid_get_counters(p, &k);
	assert_int_equal(k.held, 32);
	assert_int_equal(k.flows_recorded, 1);
	assert_int_equal(k.pkts_recorded, 17);
	assert_int_equal(k.pool_used, 0);
	assert_int_equal(k.pressure_pkts, 0);
	evid_pool_free(p);
}

/* The byte hold: packets up to hold_bytes, whichever cap comes first. */
static void test_hold_bytes(void **state)
{
	struct evid_config c;
	struct sink s = { 0 };
	void *a = NULL;

	(void)state;
	evid_config_defaults(&c);
	struct evid_pool *p = evid_pool_new(&c, collect, &s);
	for (int i = 0; i < 16; i++)
		pkt(p, &a, 3, i, 1500);   /* 21 fit in 32 KiB: the count cap first */
	void *b = NULL;
	for (int i = 0; i < 16; i++)
		pkt(p, &b, 4, i, 9000);   /* 3 fit */
	evid_alerted(p, 3);
	assert_int_equal(s.n, 16);
	evid_alerted(p, 4);
	assert_int_equal(s.n, 19);
	uint32_t bytes = 0;
	for (int i = 16; i < 19; i++)
		bytes += s.len[i];
	assert_true(bytes <= 32768);
	/* a flow past its hold is not recorded until it alerts: packets
	 * between the hold and the alert are not evidence */
	assert_int_equal(s.ts[18], 4000002);
	evid_release(p, &a);
	evid_release(p, &b);
	evid_pool_free(p);
}

/* per_flow_cap: an alerting flow records at most that many bytes, then
 * stops, counted once. */
static void test_per_flow_cap(void **state)
{
	struct evid_config c;
	struct sink s = { 0 };
	struct evid_counters k;
	void *a = NULL;

	(void)state;
	evid_config_defaults(&c);
	c.per_flow_cap = 10000;
	struct evid_pool *p = evid_pool_new(&c, collect, &s);
	pkt(p, &a, 9, 0, 1000);
	evid_alerted(p, 9);
	for (int i = 1; i < 50; i++)
		pkt(p, &a, 9, i, 1000);
	assert_int_equal(s.n, 10);
	evid_get_counters(p, &k);
	assert_int_equal(k.cap_reached, 1);
	evid_release(p, &a);
	assert_int_equal(s.ends, 1);
	evid_pool_free(p);
}

/* Pressure: when the pool is full, the oldest undecided flows lose their
 * held packets first (counted); the newest keep theirs; a flow that lost
 * its packets has no evidence when it alerts. The pool never holds more
 * than its bound. */
static void test_pool_pressure(void **state)
{
	struct evid_config c;
	struct sink s = { 0 };
	struct evid_counters k;
	void *slots[64] = { 0 };

	(void)state;
	evid_config_defaults(&c);
	c.pool_bytes = 100 * 1024;
	struct evid_pool *p = evid_pool_new(&c, collect, &s);
	/* 64 flows of 16 x 1000 bytes, created in order 1..64, interleaved */
	for (int i = 0; i < 16; i++)
		for (int f = 0; f < 64; f++) {
			pkt(p, &slots[f], (uint64_t)f + 1, i, 1000);
			evid_get_counters(p, &k);
			assert_true(k.pool_used <= c.pool_bytes);
		}
	evid_get_counters(p, &k);
	assert_true(k.pressure_flows > 0);
	assert_true(k.pressure_pkts > 0);
	assert_true(k.pool_peak <= c.pool_bytes);
	assert_int_equal(evid_alerted(p, 1), 0);   /* the oldest: dropped */
	assert_int_equal(s.n, 0);
	assert_int_equal(evid_alerted(p, 64), 1);  /* the newest: kept */
	assert_true(s.n > 0);
	for (int i = 0; i < s.n; i++)
		assert_int_equal(s.flow[i], 64);
	/* dropped flows are the oldest: every flow that still has evidence
	 * is younger than every flow that lost it */
	int youngest_dropped = 0, oldest_kept = 65;
	for (int f = 2; f <= 63; f++) {
		if (evid_alerted(p, (uint64_t)f))
			oldest_kept = f < oldest_kept ? f : oldest_kept;
		else
			youngest_dropped = f;
	}
	assert_true(youngest_dropped < oldest_kept);
	for (int f = 0; f < 64; f++)
		evid_release(p, &slots[f]);
	evid_get_counters(p, &k);
	assert_int_equal(k.pool_used, 0);
	evid_pool_free(p);
}

/* Read a pcap file back: packet count, link type, and the times. */
static int read_pcap(const char *path, int *linktype, uint64_t *ts, int max)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;

	if (!pc)
		return -1;
	*linktype = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (n < max)
			ts[n] = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		n++;
	}
	pcap_close(pc);
	return n;
}

static struct evid_pkt *mk(uint64_t flow, uint64_t ts, uint32_t len, int kind)
{
	struct evid_pkt *k = calloc(1, sizeof *k + len);

	k->flow_id = flow;
	k->ts_us = ts;
	k->caplen = len;
	k->wirelen = len;
	k->linktype = DLT_EN10MB;
	k->kind = (uint32_t)kind;
	memset(k->data, 0xab, len);
	return k;
}

static int setup(void **state)
{
	return tmpdir_setup(state, "evidence", "unused");
}

/* The writer: one pcap per flow with its link type and packet times; a
 * closed file's modification time is its last packet's time. */
static void test_writer_files(void **state)
{
	struct fixture *f = *state;
	struct evidence_config c;
	struct evidence_counters k;
	char err[256], path[256];
	uint64_t ts[16];
	int lt;

	evidence_config_defaults(&c);
	snprintf(c.dir, sizeof c.dir, "%s/ev", f->dir);
	struct evidence *e = evidence_open(&c, err, sizeof err);
	assert_non_null(e);
	for (int i = 0; i < 5; i++)
		evidence_push(e, mk(11, 1700000000000000ULL + (uint64_t)i * 1500, 60, EVID_PACKET));
	evidence_push(e, mk(12, 1700000000000000ULL, 1514, EVID_PACKET));
	evidence_push(e, mk(11, 0, 0, EVID_END));
	evidence_close(e, &k);
	assert_int_equal(k.files, 2);
	assert_int_equal(k.packets, 6);
	assert_int_equal(k.queue_drops, 0);
	evidence_file_name(path, sizeof path, 11);
	assert_string_equal(path, "flow-11.pcap");
	snprintf(path, sizeof path, "%s/ev/flow-11.pcap", f->dir);
	assert_int_equal(read_pcap(path, &lt, ts, 16), 5);
	assert_int_equal(lt, DLT_EN10MB);
	assert_int_equal(ts[4], 1700000000006000ULL);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1700000000);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal((uint64_t)st.st_size, 24 + 5 * (16 + 60));
	snprintf(path, sizeof path, "%s/ev/flow-12.pcap", f->dir);
	assert_int_equal(read_pcap(path, &lt, ts, 16), 1);
}

static void make_file(const char *dir, uint64_t id, size_t size, time_t mtime)
{
	char path[300];
	struct timespec t[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
	FILE *fp;

	snprintf(path, sizeof path, "%s/flow-%llu.pcap", dir, (unsigned long long)id);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	for (size_t i = 0; i < size; i++)
		fputc(0, fp);
	fclose(fp);
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int exists(const char *dir, uint64_t id)
{
	char path[300];

	snprintf(path, sizeof path, "%s/flow-%llu.pcap", dir, (unsigned long long)id);
	return access(path, F_OK) == 0;
}

/* Rotation: oldest files go first until the directory is within its size
 * (aiming at 31/32 of it), files older than max_age (packet time) go,
 * files being written and other files are never touched. */
static void test_rotate(void **state)
{
	struct fixture *f = *state;
	uint64_t deleted, left, keep = 5;
	char other[300];

	for (uint64_t i = 1; i <= 10; i++)
		make_file(f->dir, i, 10000, (time_t)(1000000 + i * 100));
	snprintf(other, sizeof other, "%s/notes.txt", f->dir);
	FILE *fp = fopen(other, "w");
	fputs("x", fp);
	fclose(fp);
	/* size: 100000 bytes, limit 50000 -> down to at most 48437 */
	left = evidence_rotate(f->dir, 50000, 0, 0, &keep, 1, &deleted);
	assert_int_equal(left, 40000);
	for (uint64_t i = 1; i <= 4; i++)
		assert_false(exists(f->dir, i));
	assert_true(exists(f->dir, 5));     /* being written: kept */
	assert_false(exists(f->dir, 6));
	assert_false(exists(f->dir, 7));
	for (uint64_t i = 8; i <= 10; i++)
		assert_true(exists(f->dir, i));
	assert_int_equal(deleted, 6);       /* 1..4, 6, 7 */
	assert_int_equal(access(other, F_OK), 0);
	/* within the limit: nothing goes */
	left = evidence_rotate(f->dir, 50000, 0, 0, NULL, 0, &deleted);
	assert_int_equal(deleted, 0);
	assert_int_equal(left, 40000);
	/* age: now = 1000000 + 950 s, max age 200 s -> before 1000750 go */
	left = evidence_rotate(f->dir, 0, 200, (uint64_t)(1000000 + 950) * 1000000, NULL, 0, &deleted);
	assert_int_equal(deleted, 1);       /* 5 (no longer kept) */
	assert_false(exists(f->dir, 5));
	assert_true(exists(f->dir, 8));
	assert_int_equal(left, 30000);
}

/* Age rotation on an idle sensor: after the last packet, no traffic, only
 * the daemon's ticks (with that same last packet time). The file still
 * goes once it is older than max_age by the clock, never before. */
static void test_idle_age(void **state)
{
	struct fixture *f = *state;
	struct evidence_config c;
	struct evidence_counters k;
	char err[256], dir[200];
	uint64_t ts = wall_us();
	double give_up = mono_s() + 60;

	evidence_config_defaults(&c);
	snprintf(dir, sizeof dir, "%s/idle", f->dir);
	snprintf(c.dir, sizeof c.dir, "%s", dir);
	c.max_age_s = 2;
	struct evidence *e = evidence_open(&c, err, sizeof err);
	assert_non_null(e);
	evidence_push(e, mk(31, ts, 60, EVID_PACKET));
	evidence_push(e, mk(31, 0, 0, EVID_END));
	do {
		evidence_tick(e, ts);
		usleep(100000);
		evidence_get_counters(e, &k);
	} while (k.rotated == 0 && mono_s() < give_up);
	assert_int_equal(k.rotated, 1);
	assert_false(exists(dir, 31));
	/* not before its age: the pass that deleted it ran 2 s after the
	 * packet's time at the earliest */
	assert_true(wall_us() - ts >= 2 * 1000000ULL);
	evidence_close(e, &k);
	assert_int_equal(k.packets, 1);
}

/* The queue is bounded: packets beyond EVIDENCE_QUEUE_BYTES are dropped
 * and counted, never waited for; what was queued is written. */
static void test_queue_bound(void **state)
{
	struct fixture *f = *state;
	struct evidence_config c;
	struct evidence_counters k;
	char err[256];
	int n = 2 * (int)(EVIDENCE_QUEUE_BYTES / 60000);

	evidence_config_defaults(&c);
	snprintf(c.dir, sizeof c.dir, "%s/q", f->dir);
	struct evidence *e = evidence_open(&c, err, sizeof err);
	assert_non_null(e);
	for (int i = 0; i < n; i++)
		evidence_push(e, mk((uint64_t)(i % 20) + 1, 1700000000000000ULL + (uint64_t)i, 60000,
				    EVID_PACKET));
	evidence_close(e, &k);
	assert_int_equal(k.packets + k.queue_drops, (uint64_t)n);
	assert_true(k.queue_peak <= EVIDENCE_QUEUE_BYTES);
	assert_int_equal(k.write_errors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_packets),
		cmocka_unit_test(test_hold_bytes),
		cmocka_unit_test(test_per_flow_cap),
		cmocka_unit_test(test_pool_pressure),
		cmocka_unit_test_setup_teardown(test_writer_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_age, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
