/*
 * test_workers.c - the pieces that keep several workers' results equal to
 * one worker's: the dispatch hash (decode/pkt_hash.h) and the ordered
 * behavioural stage (output/behav_stage.h).
 *
 * Real packets built byte by byte (Ethernet, VLAN, IPv4, IPv6, fragments,
 * a GRE tunnel); the real behav_stage, its workers played in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pcap/dlt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode/pkt_hash.h"
#include "output/behav_stage.h"

/* ---- the dispatch hash ----------------------------------------------------- */

/* An Ethernet frame (optionally VLAN-tagged) with an IPv4 header from a
 * to b; frag: the fragment offset field. Returns its length. */
static size_t eth4(uint8_t *p, int vlan, const uint8_t a[4], const uint8_t b[4],
		   uint16_t frag, uint8_t proto)
{
	size_t o = 12;

	memset(p, 0, 128);
	if (vlan) {
		p[o++] = 0x81; p[o++] = 0x00; p[o++] = 0x00; p[o++] = 0x07;
	}
	p[o++] = 0x08; p[o++] = 0x00;
	p[o] = 0x45;
	p[o + 3] = 40;
	p[o + 6] = (uint8_t)(frag >> 8);
	p[o + 7] = (uint8_t)frag;
	p[o + 9] = proto;
	memcpy(p + o + 12, a, 4);
	memcpy(p + o + 16, b, 4);
	return o + 40;
}

static void test_hash_symmetric(void **state)
{
	(void)state;
	uint8_t p[128], q[128];
	const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 192, 0, 2, 7 }, c[4] = { 192, 0, 2, 8 };
	size_t n = eth4(p, 0, a, b, 0, 6);
	uint32_t h = pkt_hash_pair(DLT_EN10MB, p, (uint32_t)n);

	assert_int_not_equal(h, 0);
	/* the other direction, a fragment, a VLAN tag: the same worker */
	n = eth4(q, 0, b, a, 0, 6);
	assert_int_equal(pkt_hash_pair(DLT_EN10MB, q, (uint32_t)n), h);
	n = eth4(q, 0, a, b, 0x2000 | 185, 17);
	assert_int_equal(pkt_hash_pair(DLT_EN10MB, q, (uint32_t)n), h);
	n = eth4(q, 1, b, a, 0, 6);
	assert_int_equal(pkt_hash_pair(DLT_EN10MB, q, (uint32_t)n), h);
	/* raw IP: the same pair, the same hash */
	assert_int_equal(pkt_hash_pair(DLT_RAW, p + 14, (uint32_t)(n - 18)), h);
	/* another pair: another hash */
	n = eth4(q, 0, a, c, 0, 6);
	assert_int_not_equal(pkt_hash_pair(DLT_EN10MB, q, (uint32_t)n), h);
	/* a GRE tunnel: the outer pair decides, whatever is inside */
	n = eth4(q, 0, a, b, 0, 47);
	assert_int_equal(pkt_hash_pair(DLT_EN10MB, q, (uint32_t)n), h);
}

static void test_hash_ipv6_and_junk(void **state)
{
	(void)state;
	uint8_t p[80], q[80];

	memset(p, 0, sizeof p);
	p[0] = 0x60;
	p[6] = 17;
	for (int i = 0; i < 16; i++) {
		p[8 + i] = (uint8_t)(0x20 + i);
		p[24 + i] = (uint8_t)(0x90 + i);
	}
	memcpy(q, p, sizeof q);
	memcpy(q + 8, p + 24, 16);
	memcpy(q + 24, p + 8, 16);
	uint32_t h = pkt_hash_pair(DLT_RAW, p, 40);
	assert_int_not_equal(h, 0);
	assert_int_equal(pkt_hash_pair(DLT_RAW, q, 40), h);
	/* truncated, not IP, unknown link: 0 (one worker counts them) */
	assert_int_equal(pkt_hash_pair(DLT_RAW, p, 39), 0);
	assert_int_equal(pkt_hash_pair(DLT_EN10MB, p, 10), 0);
	p[0] = 0x10;
	assert_int_equal(pkt_hash_pair(DLT_RAW, p, 40), 0);
	assert_int_equal(pkt_hash_pair(12345, q, 40), 0);
}

/* Many address pairs spread over 2 and 4 workers: each gets its share
 * (the low bits of the hash pick the worker). */
static void test_hash_balance(void **state)
{
	(void)state;
	uint8_t p[128];
	unsigned by2[2] = { 0, 0 }, by4[4] = { 0, 0, 0, 0 };

	for (unsigned i = 0; i < 4000; i++) {
		const uint8_t a[4] = { 10, (uint8_t)(i >> 8), (uint8_t)i, 1 };
		const uint8_t b[4] = { 198, 51, 100, (uint8_t)(i * 7) };
		size_t n = eth4(p, 0, a, b, 0, 6);
		uint32_t h = pkt_hash_pair(DLT_EN10MB, p, (uint32_t)n);
		by2[h % 2]++;
		by4[h % 4]++;
	}
	for (int i = 0; i < 2; i++)
		assert_in_range(by2[i], 1800, 2200);
	for (int i = 0; i < 4; i++)
		assert_in_range(by4[i], 850, 1150);
}

/* ---- the ordered behavioural stage ----------------------------------------- */

#define NREC 64

struct judged {
	int n;
	uint64_t ids[4 * NREC];
	uint64_t end[4 * NREC];
	char names[4 * NREC][32];
};

static void judge(void *ctx, struct flow_record *rec, void *tag)
{
	assert_true(tag == (void *)(uintptr_t)(rec->flow_id * 8));
	struct judged *j = ctx;

	if (j->n < 4 * NREC) {
		j->ids[j->n] = rec->flow_id;
		j->end[j->n] = rec->end_us;
		snprintf(j->names[j->n], sizeof j->names[0], "%s", rec->dns_rrname ? rec->dns_rrname : "");
	}
	j->n++;
}

static void rec_of(struct flow_record *r, uint64_t id, uint64_t end, char *name)
{
	memset(r, 0, sizeof *r);
	r->flow_id = id;
	r->start_us = end - 10;
	r->end_us = end;
	snprintf(name, 32, "q%llu.example", (unsigned long long)id);
	r->dns_rrname = name;
}

/* Records of two epochs spread over workers in some order: judged epoch
 * by epoch, each in (end, start, id) order, only once every worker ended
 * the epoch; their strings are copies. */
static void run_stage(int workers, unsigned seed, struct judged *j)
{
	struct behav_stage *b = behav_stage_new(workers, judge, j);
	struct flow_record r;
	char name[32];

	assert_non_null(b);
	memset(j, 0, sizeof *j);
	srand(seed);
	for (int e = 0; e < 2; e++) {
		for (int i = 0; i < NREC; i++) {
			uint64_t id = (uint64_t)(e * NREC + ((i * 37) % NREC)) + 1;
			rec_of(&r, id, 1000000 * (uint64_t)(e + 1) + (uint64_t)(rand() % 5), name);
			behav_stage_add(b, (int)(id % (uint64_t)workers), &r, (void *)(uintptr_t)(id * 8));
			memset(name, 'x', sizeof name - 1);  /* the stage must have copied it */
		}
		for (int w = 0; w < workers; w++) {
			int before = j->n;
			behav_stage_end_epoch(b, w);
			if (w < workers - 1)
				assert_int_equal(j->n, before);   /* waits for the others */
		}
		assert_int_equal(j->n, (e + 1) * NREC);
	}
	assert_int_equal(behav_stage_unordered(b), 0);
	behav_stage_free(b);
}

static void test_stage_order(void **state)
{
	(void)state;
	static struct judged one, two, four;

	run_stage(1, 7, &one);
	run_stage(2, 7, &two);
	run_stage(4, 7, &four);
	assert_int_equal(one.n, 2 * NREC);
	assert_memory_equal(one.ids, two.ids, sizeof one.ids);
	assert_memory_equal(one.ids, four.ids, sizeof one.ids);
	for (int i = 1; i < one.n; i++)
		assert_true(one.end[i - 1] < one.end[i] ||
			    (one.end[i - 1] == one.end[i] && one.ids[i - 1] < one.ids[i]));
	for (int i = 0; i < one.n; i++) {
		char want[32];
		snprintf(want, sizeof want, "q%llu.example", (unsigned long long)one.ids[i]);
		assert_string_equal(four.names[i], want);
	}
}

/* A worker that runs ahead by several epochs: nothing is judged until the
 * slow one catches up; then all, epoch by epoch. Empty epochs cost no
 * batch. */
static void test_stage_ahead(void **state)
{
	(void)state;
	static struct judged j;
	struct behav_stage *b = behav_stage_new(2, judge, &j);
	struct flow_record r;
	char name[32];

	memset(&j, 0, sizeof j);
	for (int e = 0; e < 3; e++) {
		rec_of(&r, 100 + (uint64_t)e, 5000000 - 1000 * (uint64_t)e, name);
		behav_stage_add(b, 0, &r, (void *)(uintptr_t)(r.flow_id * 8));
		behav_stage_end_epoch(b, 0);
	}
	assert_int_equal(j.n, 0);
	rec_of(&r, 7, 1, name);   /* worker 1, epoch 0: judged before epoch 1's */
	behav_stage_add(b, 1, &r, (void *)(uintptr_t)(r.flow_id * 8));
	behav_stage_end_epoch(b, 1);
	assert_int_equal(j.n, 2);
	assert_int_equal(j.ids[0], 7);
	assert_int_equal(j.ids[1], 100);
	behav_stage_end_epoch(b, 1);
	behav_stage_end_epoch(b, 1);
	assert_int_equal(j.n, 4);
	assert_int_equal(j.ids[2], 101);
	assert_int_equal(j.ids[3], 102);
	behav_stage_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_symmetric),
		cmocka_unit_test(test_hash_ipv6_and_junk),
		cmocka_unit_test(test_hash_balance),
		cmocka_unit_test(test_stage_order),
		cmocka_unit_test(test_stage_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
