/*
 * test_json.c - the JSON writer (json.h): nesting and commas, string
 * escaping, UTF-8 repair, numbers, and the timestamp formatter with its
 * per-thread, per-second cache.
 *
 * Every check compares the whole document with the exact expected text, so
 * a stray or missing comma, quote or escape fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"

/* The document built so far, as a NUL-terminated string. */
static const char *doc(const struct json *j)
{
	assert_false(j->oom);
	assert_non_null(j->buf);
	assert_int_equal(strlen(j->buf), j->len);
	return j->buf;
}

/* One string value on its own, escaped. */
static void check_str(const char *in, size_t n, const char *want)
{
	struct json j;

	json_init(&j);
	json_strn(&j, in, n);
	assert_string_equal(doc(&j), want);
	json_free(&j);
}

/* ---- structure ------------------------------------------------------------ */

static void test_nested(void **state)
{
	struct json j;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_ku64(&j, "a", 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_str(&j, "two");
	json_obj_begin(&j);
	json_kbool(&j, "c", 1);
	json_key(&j, "d");
	json_null(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_bool(&j, 0);
	json_arr_end(&j);
	json_key(&j, "e");
	json_obj_begin(&j);
	json_key(&j, "f");
	json_obj_begin(&j);
	json_ku64(&j, "g", 7);
	json_obj_end(&j);
	json_ku64(&j, "h", 8);
	json_obj_end(&j);
	json_kstr(&j, "i", "x");
	json_obj_end(&j);
	assert_string_equal(doc(&j),
			    "{\"a\":1,\"b\":[1,\"two\",{\"c\":true,\"d\":null},[],{},false],"
			    "\"e\":{\"f\":{\"g\":7},\"h\":8},\"i\":\"x\"}");
	assert_int_equal(j.depth, 0);
	json_free(&j);
	assert_null(j.buf);
}

/* json_reset empties the document and forgets the comma state: the first
 * key of the next document gets no leading comma. */
static void test_reset(void **state)
{
	struct json j;
	char *buf;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_ku64(&j, "a", 1);
	json_ku64(&j, "b", 2);
	assert_string_equal(doc(&j), "{\"a\":1,\"b\":2");
	buf = j.buf;
	json_reset(&j);
	assert_int_equal(j.len, 0);
	assert_string_equal(j.buf, "");
	assert_ptr_equal(j.buf, buf); /* the allocation is kept */
	json_obj_begin(&j);
	json_ku64(&j, "c", 3);
	json_obj_end(&j);
	assert_string_equal(doc(&j), "{\"c\":3}");
	json_free(&j);
}

/* Scalars of every kind in one array, separated by commas. */
static void test_array_of_scalars(void **state)
{
	struct json j;

	(void)state;
	json_init(&j);
	json_arr_begin(&j);
	json_i64(&j, -1);
	json_i64(&j, INT64_MIN);
	json_i64(&j, INT64_MAX);
	json_double(&j, 1.5, 2);
	json_double(&j, -0.25, 3);
	json_double(&j, 2.0, 0);
	json_null(&j);
	json_bool(&j, 1);
	json_str(&j, NULL); /* NULL is the empty string */
	json_arr_end(&j);
	assert_string_equal(doc(&j),
			    "[-1,-9223372036854775808,9223372036854775807,1.50,-0.250,2,"
			    "null,true,\"\"]");
	json_free(&j);
}

/* ---- strings ------------------------------------------------------------ */

static void test_escape_quote_backslash(void **state)
{
	(void)state;
	check_str("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	check_str("C:\\dir\\", 7, "\"C:\\\\dir\\\\\"");
	check_str("\"", 1, "\"\\\"\"");
	check_str("", 0, "\"\"");
	/* '/' needs no escape */
	check_str("a/b", 3, "\"a/b\"");
}

static void test_escape_control(void **state)
{
	(void)state;
	check_str("a\nb", 3, "\"a\\u000ab\"");
	check_str("\t\r", 2, "\"\\u0009\\u000d\"");
	check_str("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	check_str("\x7f", 1, "\"\\u007f\"");
	check_str("\x1b[31m", 5, "\"\\u001b[31m\"");
	/* json_strn takes embedded NULs */
	check_str("a\0b", 3, "\"a\\u0000b\"");
	/* 0x20 (space) is not a control character */
	check_str(" ", 1, "\" \"");
}

/* Keys are literals of the program (json.c copies them without escaping):
 * they come out verbatim, with the comma and colon in the right places,
 * also when the buffer has to grow in the middle of a key. */
static void test_keys(void **state)
{
	struct json j;
	char key[600];
	const char *head = "{\"first_key\":1,\"", *tail = "\":2,\"\":3}";

	(void)state;
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "first_key");
	json_u64(&j, 1);
	json_key(&j, key);
	json_u64(&j, 2);
	json_key(&j, "");
	json_u64(&j, 3);
	json_obj_end(&j);
	assert_int_equal(j.len, strlen(head) + 599 + strlen(tail));
	assert_memory_equal(j.buf, head, strlen(head));
	assert_memory_equal(j.buf + strlen(head), key, 599);
	assert_string_equal(j.buf + strlen(head) + 599, tail);
	json_free(&j);
}

#define FFFD "\xEF\xBF\xBD"

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* a lone continuation byte / a byte that never occurs in UTF-8 */
	check_str("a\x80z", 3, "\"a" FFFD "z\"");
	check_str("\xff", 1, "\"" FFFD "\"");
	check_str("\xfe\xff", 2, "\"" FFFD FFFD "\"");
	/* overlong encodings of '/' : C0 AF and E0 80 AF */
	check_str("\xc0\xaf", 2, "\"" FFFD FFFD "\"");
	check_str("\xe0\x80\xaf", 3, "\"" FFFD FFFD FFFD "\"");
	/* a UTF-16 surrogate (U+D800) encoded in UTF-8 */
	check_str("\xed\xa0\x80", 3, "\"" FFFD FFFD FFFD "\"");
	/* above U+10FFFF */
	check_str("\xf4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"");
	/* a lead byte without its continuation: cut at the end, and followed
	 * by ASCII (the ASCII is kept) */
	check_str("ab\xe2\x82", 4, "\"ab" FFFD FFFD "\"");
	check_str("\xc3z", 2, "\"" FFFD "z\"");
	/* a replaced byte next to an escape */
	check_str("\xff\"", 2, "\"" FFFD "\\\"\"");
}

static void test_valid_utf8_kept(void **state)
{
	(void)state;
	check_str("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");                   /* U+00E9 */
	check_str("\xc2\x80", 2, "\"\xc2\x80\"");                         /* U+0080 */
	check_str("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");                 /* U+20AC */
	check_str("\xe0\xa0\x80", 3, "\"\xe0\xa0\x80\"");                 /* U+0800 */
	check_str("\xef\xbf\xbf", 3, "\"\xef\xbf\xbf\"");                 /* U+FFFF */
	check_str("\xed\x9f\xbf", 3, "\"\xed\x9f\xbf\"");                 /* U+D7FF */
	check_str("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");         /* U+1F600 */
	check_str("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");         /* U+10FFFF */
	check_str("\xe6\x97\xa5\xe6\x9c\xac.jp", 9, "\"\xe6\x97\xa5\xe6\x9c\xac.jp\"");
}

/* A string far larger than the first allocation survives growth intact. */
static void test_long_string(void **state)
{
	struct json j;
	size_t n = 100000;
	char *s = malloc(n + 1);

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = '\0';
	json_init(&j);
	json_arr_begin(&j);
	json_str(&j, s);
	json_str(&j, s);
	json_arr_end(&j);
	assert_int_equal(j.len, 2 * (n + 2) + 3);
	assert_int_equal(j.buf[0], '[');
	assert_int_equal(j.buf[1], '"');
	assert_memory_equal(j.buf + 2, s, n);
	assert_int_equal(j.buf[n + 2], '"');
	assert_int_equal(j.buf[n + 3], ',');
	assert_memory_equal(j.buf + n + 5, s, n);
	assert_string_equal(j.buf + 2 * n + 5, "\"]");
	free(s);
	json_free(&j);
}

/* ---- key + value helpers ---------------------------------------------------- */

static void test_kstr_skips_empty(void **state)
{
	struct json j;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_kstr(&j, "a", NULL);
	json_kstr(&j, "b", "");
	json_kstr(&j, "c", "x");
	json_kstr(&j, "d", NULL);
	json_kstr(&j, "e", "");
	json_ku64(&j, "f", 0);
	json_kstr(&j, "g", "");
	json_obj_end(&j);
	assert_string_equal(doc(&j), "{\"c\":\"x\",\"f\":0}");

	/* an object whose every pair was skipped is still valid */
	json_reset(&j);
	json_obj_begin(&j);
	json_kstr(&j, "a", NULL);
	json_kstr(&j, "b", "");
	json_obj_end(&j);
	assert_string_equal(doc(&j), "{}");
	json_free(&j);
}

static void test_numbers(void **state)
{
	struct json j;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_ku64(&j, "zero", 0);
	json_ku64(&j, "max", UINT64_MAX);
	json_ku64(&j, "ten", 10);
	json_ku64(&j, "p53", (1ULL << 53) - 1);
	json_kbool(&j, "t", 7);
	json_kbool(&j, "f", 0);
	json_obj_end(&j);
	assert_string_equal(doc(&j),
			    "{\"zero\":0,\"max\":18446744073709551615,\"ten\":10,"
			    "\"p53\":9007199254740991,\"t\":true,\"f\":false}");
	json_free(&j);
}

static void test_double_not_finite(void **state)
{
	struct json j;

	(void)state;
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "nan");
	json_double(&j, NAN, 3);
	json_key(&j, "mnan");
	json_double(&j, -NAN, 3);
	json_key(&j, "inf");
	json_double(&j, INFINITY, 1);
	json_key(&j, "minf");
	json_double(&j, -INFINITY, 1);
	json_key(&j, "pi");
	json_double(&j, 3.14159, 2);
	json_key(&j, "neg");
	json_double(&j, -2.5, 1);
	json_key(&j, "big");
	json_double(&j, 1e300, 0); /* too long for fixed notation: exponent form */
	json_obj_end(&j);
	assert_string_equal(doc(&j),
			    "{\"nan\":null,\"mnan\":null,\"inf\":null,\"minf\":null,"
			    "\"pi\":3.14,\"neg\":-2.5,\"big\":1.0000000000000001e+300}");
	json_free(&j);
}

/* ---- timestamps ----------------------------------------------------------- */

static void check_ts(uint64_t ts_us, const char *want)
{
	char out[JSON_TS_LEN];

	memset(out, 'X', sizeof out);
	json_format_ts(out, ts_us);
	assert_string_equal(out, want);
}

static void test_ts_values(void **state)
{
	(void)state;
	check_ts(0, "1970-01-01T00:00:00.000000+0000");
	check_ts(1704067205123456ULL, "2024-01-01T00:00:05.123456+0000");
	check_ts(1709251199999999ULL, "2024-02-29T23:59:59.999999+0000");
	check_ts(946684799000001ULL, "1999-12-31T23:59:59.000001+0000");
	check_ts(2147483648000000ULL, "2038-01-19T03:14:08.000000+0000");
	check_ts(253402300799999999ULL, "9999-12-31T23:59:59.999999+0000");
	/* five-digit years take the slow path */
	check_ts(253402300800000000ULL, "10000-01-01T00:00:00.000000+0000");
	check_ts(0, "1970-01-01T00:00:00.000000+0000");
}

/* The date part is cached per second: going to another second and back,
 * and several values inside one second, must all be right. */
static void test_ts_cache(void **state)
{
	(void)state;
	check_ts(1704067205123456ULL, "2024-01-01T00:00:05.123456+0000");
	check_ts(1704067205000000ULL, "2024-01-01T00:00:05.000000+0000");
	check_ts(1704067206000001ULL, "2024-01-01T00:00:06.000001+0000");
	check_ts(1704067205999999ULL, "2024-01-01T00:00:05.999999+0000");
	check_ts(1704067205999999ULL, "2024-01-01T00:00:05.999999+0000");
	check_ts(0, "1970-01-01T00:00:00.000000+0000");
	check_ts(1704067205000042ULL, "2024-01-01T00:00:05.000042+0000");
	/* a slow-path call in between does not poison the cache */
	check_ts(253402300800000000ULL, "10000-01-01T00:00:00.000000+0000");
	check_ts(1704067205000043ULL, "2024-01-01T00:00:05.000043+0000");
	check_ts(1704067204999999ULL, "2024-01-01T00:00:04.999999+0000");
	/* the day, month and year roll over */
	check_ts(1704067199999999ULL, "2023-12-31T23:59:59.999999+0000");
	check_ts(1704067200000000ULL, "2024-01-01T00:00:00.000000+0000");
}

/* The cache is per thread: another thread formatting another second at the
 * same time gets its own date. */
struct ts_job {
	uint64_t ts;
	const char *want;
	int bad;
};

static void *ts_thread(void *arg)
{
	struct ts_job *job = arg;
	char out[JSON_TS_LEN];

	for (int i = 0; i < 20000; i++) {
		json_format_ts(out, job->ts + (uint64_t)(i % 1000));
		if (memcmp(out, job->want, 20) != 0)
			job->bad++;
	}
	return NULL;
}

static void test_ts_threads(void **state)
{
	struct ts_job a = { 1704067205000000ULL, "2024-01-01T00:00:05.", 0 };
	struct ts_job b = { 946684799000000ULL, "1999-12-31T23:59:59.", 0 };
	pthread_t ta, tb;

	(void)state;
	assert_int_equal(pthread_create(&ta, NULL, ts_thread, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, ts_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.bad, 0);
	assert_int_equal(b.bad, 0);
}

/* The largest input does not overflow the buffer; the microseconds and
 * the zone are right. */
static void test_ts_huge(void **state)
{
	char out[JSON_TS_LEN];
	size_t n;

	(void)state;
	json_format_ts(out, UINT64_MAX);
	n = strlen(out);
	assert_true(n < JSON_TS_LEN);
	assert_true(n > 20);
	assert_string_equal(out + n - 12, ".551615+0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_array_of_scalars),
		cmocka_unit_test(test_escape_quote_backslash),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_long_string),
		cmocka_unit_test(test_kstr_skips_empty),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_double_not_finite),
		cmocka_unit_test(test_ts_values),
		cmocka_unit_test(test_ts_cache),
		cmocka_unit_test(test_ts_threads),
		cmocka_unit_test(test_ts_huge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
