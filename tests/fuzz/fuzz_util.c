/*
 * fuzz_util.c - what the fuzz harnesses share (see fuzz.h).
 *
 * The JSON checker here is written apart from json.c on purpose: an
 * oracle that shares the writer's code would share its mistakes.
 */
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_LSAN 1
#endif
#ifdef FUZZ_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "detect/alert.h"
#include "output/eve.h"
#include "core/homenet.h"
#include "output/store.h"

#include <sqlite3.h>

/* ---- failing, scratch space ---------------------------------------------------- */

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: FINDING: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void fuzz_leak_check(void)
{
#ifdef FUZZ_LSAN
	if (__lsan_do_recoverable_leak_check())
		fuzz_fail("memory leaked (LeakSanitizer's report above)");
#endif
}

static char scratch[512];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void scratch_remove(void)
{
	if (scratch[0])
		nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
	if (!scratch[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(scratch, sizeof scratch, "%s/vigil-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch))
			fuzz_fail("cannot make a scratch folder %s: %s", scratch, strerror(errno));
		atexit(scratch_remove);
	}
	return scratch;
}

void fuzz_path(char *out, size_t outlen, const char *name)
{
	if ((size_t)snprintf(out, outlen, "%s/%s", fuzz_dir(), name) >= outlen)
		fuzz_fail("scratch path too long: %s", name);
}

void fuzz_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0)
		fuzz_fail("cannot write %s: %s", path, strerror(errno));
}

char *fuzz_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb)
				fuzz_fail("out of memory reading %s", path);
			buf = nb;
		}
		got = fread(buf + len, 1, 4096, f);
		len += got;
	} while (got > 0);
	fclose(f);
	buf[len] = '\0';
	*n = len;
	return buf;
}

/* A plain loop on purpose: this file is built without libFuzzer's
 * comparison hooks, and libc's memmem would hand the needle to the fuzzer
 * (which then writes it into inputs). */
int fuzz_contains(const void *hay, size_t n, const char *needle)
{
	const unsigned char *h = hay;
	size_t k = strlen(needle);

	if (!k || k > n)
		return 0;
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k && h[i + j] == (unsigned char)needle[j])
			j++;
		if (j == k)
			return 1;
	}
	return 0;
}

int fuzz_count_lines(const uint8_t *data, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		if (data[i] == '\n')
			lines++;
	if (n && data[n - 1] != '\n')
		lines++;
	return lines;
}

/* ---- UTF-8 ----------------------------------------------------------------------- */

/* Length of the valid sequence at s (n bytes left), 0 if none; *cp gets
 * the code point. Table-free on purpose (json.c uses ranges of lead
 * bytes; this one decodes and then checks the value). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) { len = 2; v = s[0] & 0x1F; min = 0x80; }
	else if ((s[0] & 0xF0) == 0xE0) { len = 3; v = s[0] & 0x0F; min = 0x800; }
	else if ((s[0] & 0xF8) == 0xF0) { len = 4; v = s[0] & 0x07; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

int fuzz_utf8_valid(const uint8_t *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

/* ---- JSON ------------------------------------------------------------------------ */

#define FJ_MAX_DEPTH 64

struct jp {
	const unsigned char *start, *p, *end;
	int flags, depth;
	fj_event_fn cb;
	void *ctx;
	char *why;
	size_t whylen;
	char *str;               /* the string being decoded */
	size_t slen, scap;
	char **keys;             /* keys of the open objects; NULL marks an object's start */
	size_t nkeys, capkeys;
};

__attribute__((format(printf, 2, 3)))
static int jp_err(struct jp *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(j->why, j->whylen, "at byte %zu: ", (size_t)(j->p - j->start));
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < j->whylen)
		vsnprintf(j->why + n, j->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static void jp_put(struct jp *j, const void *b, size_t n)
{
	if (j->slen + n + 1 > j->scap) {
		j->scap = (j->slen + n + 1) * 2;
		j->str = realloc(j->str, j->scap);
		if (!j->str)
			fuzz_fail("out of memory in the JSON checker");
	}
	memcpy(j->str + j->slen, b, n);
	j->slen += n;
	j->str[j->slen] = '\0';
}

static void jp_put_cp(struct jp *j, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
	else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | (cp >> 6)); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
	else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	jp_put(j, b, n);
}

static int jp_hex4(struct jp *j, uint32_t *v)
{
	*v = 0;
	if (j->end - j->p < 4)
		return jp_err(j, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		unsigned char c = *j->p++;
		*v <<= 4;
		if (c >= '0' && c <= '9') *v |= c - '0';
		else if (c >= 'a' && c <= 'f') *v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') *v |= c - 'A' + 10;
		else return jp_err(j, "bad hex digit in \\u escape");
	}
	return 0;
}

/* A string at j->p (the opening quote); decoded into j->str. */
static int jp_string(struct jp *j)
{
	j->slen = 0;
	jp_put(j, "", 0);
	j->p++;
	for (;;) {
		if (j->p >= j->end)
			return jp_err(j, "unterminated string");
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			return 0;
		}
		if (c < 0x20)
			return jp_err(j, "raw control character 0x%02x in a string", c);
		if (c == '\\') {
			uint32_t cp, lo;
			if (++j->p >= j->end)
				return jp_err(j, "unterminated escape");
			c = *j->p++;
			switch (c) {
			case '"': jp_put(j, "\"", 1); break;
			case '\\': jp_put(j, "\\", 1); break;
			case '/': jp_put(j, "/", 1); break;
			case 'b': jp_put(j, "\b", 1); break;
			case 'f': jp_put(j, "\f", 1); break;
			case 'n': jp_put(j, "\n", 1); break;
			case 'r': jp_put(j, "\r", 1); break;
			case 't': jp_put(j, "\t", 1); break;
			case 'u':
				if (jp_hex4(j, &cp) < 0)
					return -1;
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return jp_err(j, "lone low surrogate \\u%04x", cp);
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
						return jp_err(j, "high surrogate without its pair");
					j->p += 2;
					if (jp_hex4(j, &lo) < 0)
						return -1;
					if (lo < 0xDC00 || lo > 0xDFFF)
						return jp_err(j, "high surrogate followed by \\u%04x", lo);
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				jp_put_cp(j, cp);
				break;
			default:
				return jp_err(j, "bad escape \\%c", c);
			}
			continue;
		}
		uint32_t cp;
		size_t l = utf8_decode(j->p, (size_t)(j->end - j->p), &cp);
		if (!l)
			return jp_err(j, "invalid UTF-8 byte 0x%02x in a string", c);
		jp_put(j, j->p, l);
		j->p += l;
	}
}

static int jp_number(struct jp *j)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return jp_err(j, "truncated number");
	if (*j->p == '0') {
		j->p++;
	} else if (*j->p >= '1' && *j->p <= '9') {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	} else {
		return jp_err(j, "bad number");
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9'))
			return jp_err(j, "no digits after the decimal point");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9'))
			return jp_err(j, "no digits in the exponent");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->cb)
		j->cb(j->ctx, FJ_NUM, (const char *)s, (size_t)(j->p - s));
	return 0;
}

static void keys_push(struct jp *j, char *k)
{
	if (j->nkeys == j->capkeys) {
		j->capkeys = j->capkeys ? j->capkeys * 2 : 64;
		j->keys = realloc(j->keys, j->capkeys * sizeof *j->keys);
		if (!j->keys)
			fuzz_fail("out of memory in the JSON checker");
	}
	j->keys[j->nkeys++] = k;
}

static void keys_pop_object(struct jp *j)
{
	while (j->nkeys > 0) {
		char *k = j->keys[--j->nkeys];
		if (!k)
			break;
		free(k);
	}
}

static int jp_value(struct jp *j);

static int jp_object(struct jp *j)
{
	j->p++;
	if (j->cb)
		j->cb(j->ctx, FJ_OBJ, NULL, 0);
	if (j->flags & FJ_NO_DUP_KEYS)
		keys_push(j, NULL);
	jp_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		goto done;
	}
	for (;;) {
		jp_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return jp_err(j, "expected a key");
		if (jp_string(j) < 0)
			return -1;
		if (j->flags & FJ_NO_DUP_KEYS) {
			for (size_t i = j->nkeys; i > 0 && j->keys[i - 1]; i--)
				if (strlen(j->keys[i - 1]) == j->slen &&
				    memcmp(j->keys[i - 1], j->str, j->slen) == 0)
					return jp_err(j, "key \"%.60s\" repeated in one object", j->str);
			char *k = malloc(j->slen + 1);
			if (!k)
				fuzz_fail("out of memory in the JSON checker");
			memcpy(k, j->str, j->slen + 1);
			keys_push(j, k);
		}
		if (j->cb)
			j->cb(j->ctx, FJ_KEY, j->str, j->slen);
		jp_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return jp_err(j, "expected ':'");
		j->p++;
		if (jp_value(j) < 0)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			break;
		}
		return jp_err(j, "expected ',' or '}'");
	}
done:
	if (j->flags & FJ_NO_DUP_KEYS)
		keys_pop_object(j);
	if (j->cb)
		j->cb(j->ctx, FJ_OBJ_END, NULL, 0);
	return 0;
}

static int jp_array(struct jp *j)
{
	j->p++;
	if (j->cb)
		j->cb(j->ctx, FJ_ARR, NULL, 0);
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		goto done;
	}
	for (;;) {
		if (jp_value(j) < 0)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			break;
		}
		return jp_err(j, "expected ',' or ']'");
	}
done:
	if (j->cb)
		j->cb(j->ctx, FJ_ARR_END, NULL, 0);
	return 0;
}

static int jp_literal(struct jp *j, const char *word, int tok)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jp_err(j, "unexpected character '%c'", *j->p);
	j->p += n;
	if (j->cb)
		j->cb(j->ctx, tok, NULL, 0);
	return 0;
}

static int jp_value(struct jp *j)
{
	int rc;

	jp_ws(j);
	if (j->p >= j->end)
		return jp_err(j, "expected a value");
	if (++j->depth > FJ_MAX_DEPTH)
		return jp_err(j, "nested deeper than %d", FJ_MAX_DEPTH);
	switch (*j->p) {
	case '{': rc = jp_object(j); break;
	case '[': rc = jp_array(j); break;
	case '"':
		rc = jp_string(j);
		if (rc == 0 && j->cb)
			j->cb(j->ctx, FJ_STR, j->str, j->slen);
		break;
	case 't': rc = jp_literal(j, "true", FJ_TRUE); break;
	case 'f': rc = jp_literal(j, "false", FJ_FALSE); break;
	case 'n': rc = jp_literal(j, "null", FJ_NULL); break;
	default: rc = jp_number(j); break;
	}
	j->depth--;
	return rc;
}

int fuzz_json_check(const char *s, size_t n, int flags, fj_event_fn cb, void *ctx,
		    char *why, size_t whylen)
{
	struct jp j;
	int rc;

	memset(&j, 0, sizeof j);
	j.start = j.p = (const unsigned char *)s;
	j.end = j.p + n;
	j.flags = flags;
	j.cb = cb;
	j.ctx = ctx;
	j.why = why;
	j.whylen = whylen;
	rc = jp_value(&j);
	if (rc == 0) {
		jp_ws(&j);
		if (j.p != j.end)
			rc = jp_err(&j, "text after the value");
	}
	while (j.nkeys > 0)
		free(j.keys[--j.nkeys]);
	free(j.keys);
	free(j.str);
	return rc;
}

/* ---- packet sequences ----------------------------------------------------------- */

static unsigned le16(const uint8_t *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int fuzz_pkts_begin(struct fuzz_pkts *r, const uint8_t *data, size_t n, uint64_t base_us)
{
	if (n < 2)
		return -1;
	r->linktype = (int)le16(data);
	r->p = data + 2;
	r->end = data + n;
	r->ts_us = base_us;
	return 0;
}

int fuzz_pkts_next(struct fuzz_pkts *r, struct cap_packet *pkt)
{
	unsigned caplen;

	if (r->end - r->p < 6)
		return FUZZ_PKT_END;
	caplen = le16(r->p);
	r->delta_us = le32(r->p + 2);
	r->ts_us += r->delta_us;
	r->p += 6;
	memset(pkt, 0, sizeof *pkt);
	pkt->ts_us = r->ts_us;
	if (caplen == FUZZ_PKT_TIME_ONLY)
		return FUZZ_PKT_TICK;
	if ((size_t)(r->end - r->p) < caplen)
		caplen = (unsigned)(r->end - r->p);
	pkt->data = r->p;
	pkt->caplen = pkt->wirelen = caplen;
	r->p += caplen;
	return FUZZ_PKT_PACKET;
}

/* ---- flow records ------------------------------------------------------------- */

#define T0 1700000000000000ULL

static struct flow_record recs[] = {
	{ .flow_id = 1, .start_us = T0, .end_us = T0 + 2000000, .ipver = 4, .proto = IPPROTO_TCP,
	  .src_ip = "10.0.0.5", .dest_ip = "203.0.113.7", .src_port = 49152, .dest_port = 80,
	  .pkts_toserver = 6, .pkts_toclient = 5, .bytes_toserver = 800, .bytes_toclient = 5400,
	  .state = "closed", .reason = "timeout", .tcp_flags_ts = 0x1b, .tcp_flags_tc = 0x1b,
	  .app_proto = "http", .ndpi_protocol = "HTTP", .ndpi_category = "Web",
	  .ndpi_confidence = "DPI", .risks = { "Known Proto on Non Std Port", "HTTP Suspicious User-Agent" },
	  .n_risks = 2, .http_host = "www.example.com", .http_user_agent = "curl/7.88.1" },
	{ .flow_id = 2, .start_us = T0 + 100, .end_us = T0 + 900000, .ipver = 4, .proto = IPPROTO_TCP,
	  .src_ip = "192.168.1.20", .dest_ip = "198.51.100.23", .src_port = 50000, .dest_port = 443,
	  .pkts_toserver = 12, .pkts_toclient = 10, .bytes_toserver = 2100, .bytes_toclient = 9000,
	  .state = "established", .reason = "timeout", .tcp_flags_ts = 0x1a, .tcp_flags_tc = 0x12,
	  .app_proto = "tls", .ndpi_protocol = "TLS.Google", .ndpi_category = "Web",
	  .ndpi_confidence = "DPI", .tls_sni = "mail.example.org",
	  .ja3 = "e7d705a3286e19ea42f587b344ee6865", .ja3s = "f4febc55ea12b31ae17cfb7e614afda8",
	  .tls_cert_sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ .flow_id = 3, .start_us = T0 + 200, .end_us = T0 + 300, .ipver = 4, .proto = IPPROTO_UDP,
	  .src_ip = "10.1.2.3", .dest_ip = "8.8.8.8", .src_port = 53000, .dest_port = 53,
	  .pkts_toserver = 1, .pkts_toclient = 1, .bytes_toserver = 70, .bytes_toclient = 120,
	  .state = "established", .reason = "timeout", .app_proto = "dns", .ndpi_protocol = "DNS",
	  .ndpi_category = "Network", .ndpi_confidence = "DPI",
	  .dns_rrname = "aGVsbG8gd29ybGQ.tunnel.evil.example", .dns_qtype = 16 },
	{ .flow_id = 4, .start_us = T0 + 300, .end_us = T0 + 400, .ipver = 4, .proto = IPPROTO_ICMP,
	  .src_ip = "10.0.0.9", .dest_ip = "10.0.0.1", .pkts_toserver = 1, .pkts_toclient = 1,
	  .bytes_toserver = 84, .bytes_toclient = 84, .state = "established", .reason = "timeout",
	  .app_proto = "icmp", .ndpi_protocol = "ICMP", .ndpi_category = "Network",
	  .ndpi_confidence = "DPI" },
	{ .flow_id = 5, .start_us = T0 + 400, .end_us = T0 + 60000000, .ipver = 6, .proto = IPPROTO_UDP,
	  .src_ip = "fd00::5", .dest_ip = "2001:db8::1", .src_port = 40000, .dest_port = 4444,
	  .pkts_toserver = 3000, .pkts_toclient = 2, .bytes_toserver = 4000000, .bytes_toclient = 200,
	  .state = "new", .reason = "active_timeout", .interim = 1, .app_proto = "unknown",
	  .ndpi_protocol = "Unknown", .ndpi_category = "Unspecified", .ndpi_confidence = "Unknown",
	  .guessed = 1 },
	{ .flow_id = 6, .start_us = T0 + 500, .end_us = T0 + 700, .ipver = 4, .proto = IPPROTO_TCP,
	  .src_ip = "203.0.113.50", .dest_ip = "10.0.0.22", .src_port = 61000, .dest_port = 22,
	  .pkts_toserver = 2, .pkts_toclient = 1, .bytes_toserver = 120, .bytes_toclient = 60,
	  .state = "new", .reason = "timeout", .tcp_flags_ts = 0x02, .tcp_flags_tc = 0x14,
	  .app_proto = "ssh", .ndpi_protocol = "SSH", .ndpi_category = "RemoteAccess",
	  .ndpi_confidence = "Match by port", .guessed = 1 },
	{ .flow_id = 7, .start_us = T0 + 600, .end_us = T0 + 5000000, .ipver = 6, .proto = IPPROTO_TCP,
	  .src_ip = "2001:db8:1::10", .dest_ip = "fd00::1", .src_port = 443, .dest_port = 51111,
	  .pkts_toserver = 9, .pkts_toclient = 9, .bytes_toserver = 3000, .bytes_toclient = 900,
	  .state = "closed", .reason = "shutdown", .tcp_flags_ts = 0x1f, .tcp_flags_tc = 0x1f,
	  .app_proto = "http", .ndpi_protocol = "HTTP.Microsoft", .ndpi_category = "Cloud",
	  .ndpi_confidence = "DPI", .http_host = "203.0.113.7:8080", .http_user_agent = "" },
};

static void fill_addrs(struct flow_record *r)
{
	if (ip_parse16(r->src_ip, r->src_addr) != 0 || ip_parse16(r->dest_ip, r->dest_addr) != 0)
		fuzz_fail("bad address in a test record: %s / %s", r->src_ip, r->dest_ip);
}

const struct flow_record *fuzz_records(int *n)
{
	static int done;

	if (!done) {
		for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
			fill_addrs(&recs[i]);
		done = 1;
	}
	*n = (int)(sizeof recs / sizeof recs[0]);
	return recs;
}

int fuzz_record_from_text(const uint8_t *data, size_t n, char *buf, struct flow_record *rec)
{
	int any = 0;
	size_t i = 0;

	memset(rec, 0, sizeof *rec);
	rec->flow_id = 99;
	rec->start_us = T0;
	rec->end_us = T0 + 1000000;
	rec->ipver = 4;
	rec->proto = IPPROTO_TCP;
	snprintf(rec->src_ip, sizeof rec->src_ip, "10.9.8.7");
	snprintf(rec->dest_ip, sizeof rec->dest_ip, "192.0.2.99");
	rec->src_port = 40000;
	rec->dest_port = 443;
	rec->pkts_toserver = rec->pkts_toclient = 4;
	rec->bytes_toserver = rec->bytes_toclient = 400;
	rec->state = "established";
	rec->reason = "timeout";
	rec->app_proto = "unknown";
	rec->ndpi_protocol = "Unknown";
	memcpy(buf, data, n);
	buf[n] = '\0';
	while (i < n) {
		char *line = buf + i, *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;

		i += len + 1;
		line[len] = '\0';
		if (strncmp(line, "#@", 2) != 0)
			continue;
		char *key = line + 2, *val = strchr(key, ' ');
		if (!val)
			continue;
		*val++ = '\0';
		any = 1;
		if (strcmp(key, "src") == 0) snprintf(rec->src_ip, sizeof rec->src_ip, "%s", val);
		else if (strcmp(key, "dst") == 0) snprintf(rec->dest_ip, sizeof rec->dest_ip, "%s", val);
		else if (strcmp(key, "sport") == 0) rec->src_port = (uint16_t)strtoul(val, NULL, 10);
		else if (strcmp(key, "dport") == 0) rec->dest_port = (uint16_t)strtoul(val, NULL, 10);
		else if (strcmp(key, "proto") == 0) rec->proto = (uint8_t)strtoul(val, NULL, 10);
		else if (strcmp(key, "app") == 0) rec->app_proto = val;
		else if (strcmp(key, "ndpi") == 0) rec->ndpi_protocol = val;
		else if (strcmp(key, "sni") == 0) rec->tls_sni = val;
		else if (strcmp(key, "host") == 0) rec->http_host = val;
		else if (strcmp(key, "ua") == 0) rec->http_user_agent = val;
		else if (strcmp(key, "dns") == 0) rec->dns_rrname = val;
		else if (strcmp(key, "qtype") == 0) rec->dns_qtype = (uint16_t)strtoul(val, NULL, 10);
		else if (strcmp(key, "ja3") == 0) rec->ja3 = val;
		else if (strcmp(key, "ja3s") == 0) rec->ja3s = val;
		else if (strcmp(key, "cert") == 0) rec->tls_cert_sha1 = val;
		else if (strcmp(key, "state") == 0) rec->state = val;
		else if (strcmp(key, "risk") == 0 && rec->n_risks < FLOW_RECORD_MAX_RISKS)
			rec->risks[rec->n_risks++] = val;
	}
	/* what the flow table guarantees: the text and 16-byte forms agree */
	if (ip_parse16(rec->src_ip, rec->src_addr) != 0)
		snprintf(rec->src_ip, sizeof rec->src_ip, "10.9.8.7");
	if (ip_parse16(rec->dest_ip, rec->dest_addr) != 0)
		snprintf(rec->dest_ip, sizeof rec->dest_ip, "192.0.2.99");
	ip_parse16(rec->src_ip, rec->src_addr);
	ip_parse16(rec->dest_ip, rec->dest_addr);
	rec->ipver = memcmp(rec->src_addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 ? 4 : 6;
	return any;
}

/* ---- problem reports ----------------------------------------------------------- */

void fuzz_check_problem_lines(const char *out, size_t len, const char *file, int max_line)
{
	size_t flen = strlen(file), i = 0;

	while (i < len) {
		const char *line = out + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		i += n + 1;
		if (n < flen + 2 || memcmp(line, file, flen) != 0 || line[flen] != ':')
			fuzz_fail("problem line does not start with \"%s:\": %.*s", file, (int)n, line);
		const char *p = line + flen + 1, *e = line + n;
		if (*p >= '0' && *p <= '9') {
			long ln = 0;
			while (p < e && *p >= '0' && *p <= '9' && ln < 100000000)
				ln = ln * 10 + (*p++ - '0');
			if (ln < 1 || ln > max_line || p >= e || *p != ':')
				fuzz_fail("problem names line %ld of %d: %.*s", ln, max_line, (int)n, line);
			p++;
		}
		if (p >= e || *p != ' ' || p + 1 >= e)
			fuzz_fail("problem without a reason: %.*s", (int)n, line);
	}
}

void fuzz_problem_check(void *ctx, const char *file, int line, const char *msg)
{
	struct fuzz_problem_ctx *pc = ctx;

	pc->count++;
	if (strcmp(file, pc->file) != 0)
		fuzz_fail("problem names file %s, not %s", file, pc->file);
	if (line < 0 || line > pc->max_line)
		fuzz_fail("problem names line %d of %d: %s", line, pc->max_line, msg);
	if (!msg || !*msg)
		fuzz_fail("problem at %s:%d without a reason", file, line);
}

int fuzz_report_close(struct fuzz_report *r, const char *file, int max_line)
{
	int lines = 0;

	fclose(r->f);
	fuzz_check_problem_lines(r->buf, r->len, file, max_line);
	for (size_t i = 0; i < r->len; i++)
		if (r->buf[i] == '\n')
			lines++;
	free(r->buf);
	return lines;
}

void fuzz_report_open(struct fuzz_report *r)
{
	r->buf = NULL;
	r->len = 0;
	r->f = open_memstream(&r->buf, &r->len);
	if (!r->f)
		fuzz_fail("open_memstream: %s", strerror(errno));
}

/* ---- alerts ------------------------------------------------------------------ */

/* One store for the process: alerts go to it too, and their metadata is
 * read back as the web would serve it. */
static struct store *alert_store;
static sqlite3 *alert_db;

void fuzz_alerts_open(struct fuzz_alerts *fa)
{
	char err[256], db[600];

	fuzz_path(fa->path, sizeof fa->path, "alerts.json");
	fa->n = 0;
	fa->eve = eve_open(fa->path, err, sizeof err);
	if (!fa->eve)
		fuzz_fail("eve_open %s: %s", fa->path, err);
	if (!alert_store) {
		fuzz_path(db, sizeof db, "alerts.sqlite");
		alert_store = store_open(db, 0, err, sizeof err);
		if (!alert_store || sqlite3_open(db, &alert_db) != SQLITE_OK)
			fuzz_fail("store_open %s: %s", db, err);
	}
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void fuzz_alert_cb(void *ctx, const struct alert *a)
{
	struct fuzz_alerts *fa = ctx;
	struct alert *c;

	if (a->engine < ALERT_SIGNATURE || a->engine > ALERT_DETECTOR)
		fuzz_fail("alert with engine %d", a->engine);
	if (a->n_references < 0 || a->n_references > ALERT_MAX_REFS || a->n_meta < 0 ||
	    a->n_meta > ALERT_MAX_META || a->n_flow_ids < 0 || a->n_flow_ids > ALERT_MAX_FLOWS)
		fuzz_fail("alert with %d references, %d metadata, %d flow ids", a->n_references,
			  a->n_meta, a->n_flow_ids);
	if (!a->signature)
		fuzz_fail("alert %u:%u without a signature text", a->gid, a->sid);
	if (!memchr(a->src_ip, '\0', sizeof a->src_ip) || !memchr(a->dest_ip, '\0', sizeof a->dest_ip))
		fuzz_fail("alert address not terminated");
	for (int i = 0; i < a->n_meta; i++)
		if (!a->meta[i].key)
			fuzz_fail("alert metadata %d without a key", i);
	c = alert_dup(a);
	if (!c)
		fuzz_fail("alert_dup: out of memory");
	if (!str_eq(c->signature, a->signature) || !str_eq(c->classtype, a->classtype) ||
	    !str_eq(c->category, a->category) || !str_eq(c->rule_text, a->rule_text) ||
	    !str_eq(c->ioc_indicator, a->ioc_indicator) || !str_eq(c->ioc_list, a->ioc_list) ||
	    !str_eq(c->ioc_description, a->ioc_description) || !str_eq(c->detector, a->detector) ||
	    c->n_meta != a->n_meta || c->n_references != a->n_references)
		fuzz_fail("alert_dup's copy differs from the alert");
	for (int i = 0; i < a->n_meta; i++)
		if (!str_eq(c->meta[i].key, a->meta[i].key) || !str_eq(c->meta[i].value, a->meta[i].value))
			fuzz_fail("alert_dup's copy of metadata %d differs", i);
	for (int i = 0; i < a->n_references; i++)
		if (!str_eq(c->references[i], a->references[i]))
			fuzz_fail("alert_dup's copy of reference %d differs", i);
	if (eve_write_alert(fa->eve, c) < 0)
		fuzz_fail("eve_write_alert failed");
	if (store_add_alert(alert_store, c) < 0)
		fuzz_fail("store_add_alert: %s", store_error(alert_store));
	free(c);
	fa->n++;
}

void fuzz_alerts_close(struct fuzz_alerts *fa)
{
	size_t n, i = 0;
	char *buf, why[200];
	long lines = 0;

	if (eve_close(fa->eve) < 0)
		fuzz_fail("eve_close failed");
	fa->eve = NULL;
	buf = fuzz_read_file(fa->path, &n);
	if (!buf)
		fuzz_fail("no alert file %s", fa->path);
	while (i < n) {
		char *s = buf + i, *nl = memchr(s, '\n', n - i);
		if (!nl)
			fuzz_fail("alert event %ld has no newline", lines + 1);
		lines++;
		if (fuzz_json_check(s, (size_t)(nl - s), FJ_NO_DUP_KEYS, NULL, NULL, why, sizeof why) < 0)
			fuzz_fail("alert event %ld is not valid JSON (%s): %.*s", lines, why,
				  (int)(nl - s > 600 ? 600 : nl - s), s);
		i = (size_t)(nl - buf) + 1;
	}
	free(buf);
	if (lines != fa->n)
		fuzz_fail("%ld alerts, %ld alert events", fa->n, lines);
	if (fa->n > 0) {
		sqlite3_stmt *st;
		if (store_flush(alert_store) < 0)
			fuzz_fail("store_flush: %s", store_error(alert_store));
		if (sqlite3_prepare_v2(alert_db, "SELECT metadata FROM alerts", -1, &st, NULL) != SQLITE_OK)
			fuzz_fail("alerts: %s", sqlite3_errmsg(alert_db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *m = (const char *)sqlite3_column_text(st, 0);
			if (m && fuzz_json_check(m, strlen(m), FJ_NO_DUP_KEYS, NULL, NULL, why, sizeof why) < 0)
				fuzz_fail("stored alert metadata is not valid JSON (%s): %.300s", why, m);
		}
		sqlite3_finalize(st);
		if (sqlite3_exec(alert_db, "DELETE FROM alert_flows; DELETE FROM alerts", NULL, NULL,
				 NULL) != SQLITE_OK)
			fuzz_fail("emptying the alerts: %s", sqlite3_errmsg(alert_db));
	}
	if (getenv("VIGIL_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: %ld alert(s), valid EVE JSON\n", fa->n);
}
