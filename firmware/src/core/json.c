/*
 * json.c - the one JSON writer (see json.h).
 *
 * Output is always valid JSON and valid UTF-8: strings from the network
 * (SNI, DNS names, user agents) may hold any bytes, so invalid sequences are
 * replaced by U+FFFD and control characters are escaped.
 */
#include "json.h"

#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void json_init(struct json *j)
{
	memset(j, 0, sizeof *j);
}

/* Empty the buffer for the next document; keeps the allocation. */
void json_reset(struct json *j)
{
	j->len = 0;
	j->depth = 0;
	j->oom = 0;
	memset(j->need_comma, 0, sizeof j->need_comma);
	if (j->buf)
		j->buf[0] = '\0';
}

void json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof *j);
}

/* Make room for n more bytes plus a NUL; sets oom instead of failing hard. */
static int json_reserve(struct json *j, size_t n)
{
	size_t want = j->len + n + 1;
	if (j->oom)
		return -1;
	if (want <= j->cap)
		return 0;
	size_t cap = j->cap ? j->cap : 512;
	while (cap < want)
		cap *= 2;
	char *nb = realloc(j->buf, cap);
	if (!nb) {
		j->oom = 1;
		return -1;
	}
	j->buf = nb;
	j->cap = cap;
	return 0;
}

static inline void json_put(struct json *j, const char *s, size_t n)
{
	if (j->len + n + 1 > j->cap && json_reserve(j, n) < 0)
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

void json_raw(struct json *j, const char *s, size_t n)
{
	json_put(j, s, n);
}

static inline void json_putc(struct json *j, char c)
{
	if (j->len + 2 > j->cap && json_reserve(j, 1) < 0)
		return;
	j->buf[j->len++] = c;
	j->buf[j->len] = '\0';
}

/* Comma handling: a value inside an array or object after another one. */
static void json_value_prefix(struct json *j)
{
	/* need_comma: 0 first element, 1 after an element, 2 after a key */
	if (j->depth > 0 && j->depth <= JSON_MAX_DEPTH) {
		if (j->need_comma[j->depth - 1] == 1)
			json_putc(j, ',');
		j->need_comma[j->depth - 1] = 1;
	}
}

void json_obj_begin(struct json *j)
{
	if (j->depth >= JSON_MAX_DEPTH)
		j->oom = 1; /* deeper than the writer tracks: refuse, never emit bad JSON */
	json_value_prefix(j);
	json_putc(j, '{');
	if (j->depth < JSON_MAX_DEPTH)
		j->need_comma[j->depth] = 0;
	j->depth++;
}

void json_obj_end(struct json *j)
{
	json_putc(j, '}');
	if (j->depth > 0)
		j->depth--;
}

void json_arr_begin(struct json *j)
{
	if (j->depth >= JSON_MAX_DEPTH)
		j->oom = 1;
	json_value_prefix(j);
	json_putc(j, '[');
	if (j->depth < JSON_MAX_DEPTH)
		j->need_comma[j->depth] = 0;
	j->depth++;
}

void json_arr_end(struct json *j)
{
	json_putc(j, ']');
	if (j->depth > 0)
		j->depth--;
}

/* A JSON string literal from n bytes of arbitrary data. */
static void json_put_string(struct json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	json_putc(j, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			json_put(j, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			json_put(j, e, 6);
			i++;
		} else if (c < 0x80) {
			size_t run = i + 1;
			while (run < n && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '"' &&
			       p[run] != '\\')
				run++;
			json_put(j, s + i, run - i);
			i = run;
		} else {
			size_t l = utf8_seq_len(p + i, n - i);
			if (l == 0) {
				json_put(j, "\xEF\xBF\xBD", 3);
				i++;
			} else {
				json_put(j, s + i, l);
				i += l;
			}
		}
	}
	json_putc(j, '"');
}

/* Most keys are this program's literals with nothing to escape: those are
 * copied as they are; others (metadata keys from rule files) are escaped. */
void json_key(struct json *j, const char *key)
{
	size_t n = 0;
	int plain = 1;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++, n++)
		if (*p < 0x20 || *p >= 0x7F || *p == '"' || *p == '\\')
			plain = 0;
	if (j->depth > 0 && j->depth <= JSON_MAX_DEPTH) {
		if (j->need_comma[j->depth - 1] == 1)
			json_putc(j, ',');
		j->need_comma[j->depth - 1] = 2;
	}
	if (!plain) {
		json_put_string(j, key, n);
		json_putc(j, ':');
		return;
	}
	if (j->len + n + 4 > j->cap && json_reserve(j, n + 3) < 0)
		return;
	j->buf[j->len++] = '"';
	memcpy(j->buf + j->len, key, n);
	j->len += n;
	j->buf[j->len++] = '"';
	j->buf[j->len++] = ':';
	j->buf[j->len] = '\0';
}

void json_strn(struct json *j, const char *s, size_t n)
{
	json_value_prefix(j);
	json_put_string(j, s, n);
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s ? s : "", s ? strlen(s) : 0);
}

/* Decimal digits of v at the end of b[24]; returns the first digit. */
static char *u64_digits(char b[24], uint64_t v)
{
	char *p = b + 24;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void json_u64(struct json *j, uint64_t v)
{
	char b[24];
	char *p = u64_digits(b, v);
	json_value_prefix(j);
	json_put(j, p, (size_t)(b + 24 - p));
}

void json_i64(struct json *j, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", (long long)v);
	json_value_prefix(j);
	json_put(j, b, (size_t)n);
}

/* A finite value too large for fixed notation in 64 bytes (1e60 with 6
 * decimals) is written in exponent form, never dropped. */
void json_double(struct json *j, double v, int decimals)
{
	char b[64];
	int n;

	json_value_prefix(j);
	if (!isfinite(v)) {
		json_put(j, "null", 4); /* NaN/inf are not JSON */
		return;
	}
	n = snprintf(b, sizeof b, "%.*f", decimals, v);
	if (n <= 0 || (size_t)n >= sizeof b)
		n = snprintf(b, sizeof b, "%.17g", v);
	json_put(j, b, (size_t)n);
}

void json_bool(struct json *j, int v)
{
	json_value_prefix(j);
	json_put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
	json_value_prefix(j);
	json_put(j, "null", 4);
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	if (!s || !*s)
		return;
	json_key(j, key);
	json_str(j, s);
}

void json_ku64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kbool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

/* Write n decimal digits of v (zero-padded) at p. */
static void put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Events come in time order, so the date and time of day change far less
 * often than the microseconds: the broken-down time of the last second is
 * kept per thread and only the fraction is formatted each time. */
void json_format_ts(char out[JSON_TS_LEN], uint64_t ts_us)
{
	static _Thread_local time_t last_sec = -1;
	static _Thread_local char last[32];
	time_t sec = (time_t)(ts_us / 1000000);

	if (sec != last_sec) {
		struct tm tm;
		gmtime_r(&sec, &tm);
		if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
			snprintf(out, JSON_TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec, (unsigned)(ts_us % 1000000));
			return;
		}
		/* "YYYY-MM-DDTHH:MM:SS." */
		put_digits(last, (unsigned)(tm.tm_year + 1900), 4);
		last[4] = '-';
		put_digits(last + 5, (unsigned)(tm.tm_mon + 1), 2);
		last[7] = '-';
		put_digits(last + 8, (unsigned)tm.tm_mday, 2);
		last[10] = 'T';
		put_digits(last + 11, (unsigned)tm.tm_hour, 2);
		last[13] = ':';
		put_digits(last + 14, (unsigned)tm.tm_min, 2);
		last[16] = ':';
		put_digits(last + 17, (unsigned)tm.tm_sec, 2);
		last[19] = '.';
		last_sec = sec;
	}
	memcpy(out, last, 20);
	put_digits(out + 20, (unsigned)(ts_us % 1000000), 6);
	memcpy(out + 26, "+0000", 6);
}
