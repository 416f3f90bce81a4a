/*
 * fuzz.h - what the fuzz harnesses (tests/fuzz/fuzz_*.c) share.
 *
 * Owns: the entry point every harness defines (libFuzzer's, also called
 * by replay_main.c in the gcc build), the oracles (a strict JSON and UTF-8
 * checker independent of json.c), the packet-sequence input format, a
 * private scratch folder, the hand-made flow records the detection
 * harnesses match against, and fuzz_fail(), which turns a broken
 * invariant into a crash the fuzzer keeps.
 *
 * Harnesses only use vigil's public headers: a module's own tests look
 * inside it, these look at what other modules and users can reach.
 */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "drivers/capture/capture.h"
#include "flow/flow_record.h"

/* libFuzzer's entry points (LLVMFuzzerInitialize is optional). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: print "fuzz: FINDING: ..." and abort, so libFuzzer
 * keeps the input (and the gcc replay fails). */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A private folder for this process ($TMPDIR or /tmp), made on first use
 * and removed at exit; fuzz_path() joins a name to it (static buffer per
 * call site: copy it if you need two). */
const char *fuzz_dir(void);
void fuzz_path(char *out, size_t outlen, const char *name);

/* Under LeakSanitizer: fail the run if memory leaked so far (libFuzzer's
 * per-input check is off for harnesses with threads). No-op otherwise. */
void fuzz_leak_check(void);

/* Write n bytes to path (truncating). Fails the run if that is impossible:
 * the harness's own scratch space must work. */
void fuzz_write_file(const char *path, const void *data, size_t n);

/* Read a whole file (NUL-terminated, *n its length); NULL if missing. */
char *fuzz_read_file(const char *path, size_t *n);

/* 1 if needle occurs in hay[0..n), found without telling the fuzzer what
 * was looked for (secrets a harness watches for must stay unknown to it). */
int fuzz_contains(const void *hay, size_t n, const char *needle);

/* Number of lines a text of n bytes has for a line reader (a last line
 * without '\n' counts). */
int fuzz_count_lines(const uint8_t *data, size_t n);

/* ---- oracles ---------------------------------------------------------------- */

/* 1 if s[0..n) is valid UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF). */
int fuzz_utf8_valid(const uint8_t *s, size_t n);

/* Events of a parsed JSON text: structure, keys and strings (decoded,
 * UTF-8), numbers (as written), literals. */
enum fj_tok { FJ_OBJ, FJ_OBJ_END, FJ_ARR, FJ_ARR_END, FJ_KEY, FJ_STR, FJ_NUM,
	      FJ_TRUE, FJ_FALSE, FJ_NULL };
typedef void (*fj_event_fn)(void *ctx, int tok, const char *text, size_t len);

#define FJ_NO_DUP_KEYS 1   /* a repeated key within one object is an error */

/* Check that s[0..n) is exactly one JSON value (RFC 8259, whitespace
 * around it allowed), valid UTF-8, strings without lone surrogates, at
 * most 64 levels deep. cb (may be NULL) sees every event in order.
 * Returns 0, or -1 with the reason and its byte offset in why. */
int fuzz_json_check(const char *s, size_t n, int flags, fj_event_fn cb, void *ctx,
		    char *why, size_t whylen);

/* ---- packet sequences ----------------------------------------------------------- */

/*
 * The input of the decode and pipeline harnesses (tests/fuzz/mkseeds.py
 * writes it from pcaps):
 *   u16 linktype (little-endian, libpcap's DLT_/LINKTYPE_ number)
 *   then records: u16 caplen, u32 delta_us (both little-endian), caplen
 *   bytes of packet (cut short at the end of the input).
 * caplen 0xFFFF is not a packet: time moves on by delta_us without one
 * (the pipeline expires idle flows then).
 */
#define FUZZ_PKT_TIME_ONLY 0xFFFF

struct fuzz_pkts {
	const uint8_t *p, *end;
	int linktype;
	uint64_t ts_us;
	uint32_t delta_us;       /* of the record just read */
};

enum { FUZZ_PKT_END = 0, FUZZ_PKT_PACKET = 1, FUZZ_PKT_TICK = 2 };

/* Start reading; base_us is the time of the first record (its delta is
 * added). Returns -1 when the input is too short for the header. */
int fuzz_pkts_begin(struct fuzz_pkts *r, const uint8_t *data, size_t n, uint64_t base_us);
/* The next record: FUZZ_PKT_PACKET (pkt filled, wirelen = caplen),
 * FUZZ_PKT_TICK (pkt->ts_us only) or FUZZ_PKT_END. */
int fuzz_pkts_next(struct fuzz_pkts *r, struct cap_packet *pkt);

/* ---- flow records for the detection harnesses ------------------------------------------ */

/* Hand-made records of the kinds detection sees (HTTP, TLS, DNS, ICMP,
 * IPv6, unclassified, home and external ends). Static; n in *n. */
const struct flow_record *fuzz_records(int *n);

/* A record whose fields the input names: lines "#@field value" anywhere
 * in the text (comments to every loader), fields src, dst, sport, dport,
 * proto, app, ndpi, sni, host, ua, dns, qtype, ja3, ja3s, cert, risk,
 * state. Strings point into buf (the caller's, >= n + 1 bytes, reused
 * for the record's lifetime). Returns 1 if any line named a field. */
int fuzz_record_from_text(const uint8_t *data, size_t n, char *buf, struct flow_record *rec);

/* The problems a loader printed as "file:line: reason" (or "file:
 * reason"): fail the run if a line does not name file, or names a line
 * outside 1..max_line, or has no reason. out holds the printed text. */
void fuzz_check_problem_lines(const char *out, size_t len, const char *file, int max_line);

/* A rule_problem_fn that checks the same (ctx: struct fuzz_problem_ctx). */
struct fuzz_problem_ctx {
	const char *file;
	int max_line;
	int count;
};
void fuzz_problem_check(void *ctx, const char *file, int line, const char *msg);

/* ---- alerts ------------------------------------------------------------------ */

struct eve;
struct alert;

/* Where the detection harnesses send alerts: each is checked (engine,
 * counts of its arrays, strings present, alert_dup gives an equal copy),
 * written as an EVE event and stored (a store kept for the process);
 * closing checks every event is valid JSON (no repeated keys) and valid
 * UTF-8, one per alert, and that the stored metadata is valid JSON too. */
struct fuzz_alerts {
	struct eve *eve;
	char path[600];
	long n;
};
void fuzz_alerts_open(struct fuzz_alerts *fa);
void fuzz_alert_cb(void *ctx, const struct alert *a);    /* an alert_fn */
void fuzz_alerts_close(struct fuzz_alerts *fa);

/* A memory stream for loaders that print problems to a FILE. */
struct fuzz_report {
	FILE *f;
	char *buf;
	size_t len;
};
void fuzz_report_open(struct fuzz_report *r);
/* Close it and check its lines as fuzz_check_problem_lines does; returns
 * the number of lines. */
int fuzz_report_close(struct fuzz_report *r, const char *file, int max_line);

#endif
