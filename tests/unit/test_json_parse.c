/*
 * test_json_parse.c - the strict JSON reader (json_parse.h): what it
 * accepts is exactly RFC 8259, what it refuses it refuses with the right
 * reason, and what it hands out (names, strings, integers, the layout of
 * arrays and objects) is what the text says.
 *
 * The refusals are the leniencies a looser reader (SQLite's JSON functions,
 * which the web API used before) lets through: duplicate names, integers
 * beyond 64 bits, lone surrogates, escaped NUL, raw control characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json_parse.h"

static void ok(const char *text, struct jp_doc *d)
{
	char err[200] = "";

	if (jp_parse(d, text, strlen(text), err, sizeof err) != 0)
		fail_msg("refused %s: %s", text, err);
}

/* text is refused and the reason contains want. */
static void bad_n(const char *text, size_t len, const char *want)
{
	struct jp_doc d;
	char err[200] = "";

	if (jp_parse(&d, text, len, err, sizeof err) == 0)
		fail_msg("accepted %.80s", text);
	if (!strstr(err, want))
		fail_msg("%.80s: reason '%s', expected '%s'", text, err, want);
	jp_free(&d);
}

static void bad(const char *text, const char *want)
{
	bad_n(text, strlen(text), want);
}

static void test_accepts_rfc8259(void **state)
{
	static const char *const good[] = {
		"{}", "[]", " \t\r\n{ } ", "0", "-0", "1", "-1", "1.5", "1e3", "1E+3", "1.0e-3",
		"\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u20AC\"",
		"\"\\ud83d\\ude00\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "true", "false",
		"null", "[1,\"a\",true,false,null,{},[]]", "{\"a\":{\"b\":[{\"c\":1}]}}",
		"{\"\":1}", "9223372036854775807", "99999999999999999999999",
	};
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct jp_doc d;
		ok(good[i], &d);
		jp_free(&d);
	}
}

static void test_refuses_grammar(void **state)
{
	(void)state;
	bad("", "expected a value");
	bad("   ", "expected a value");
	bad("{", "member name");
	bad("{\"a\"}", "':'");
	bad("{\"a\":}", "unexpected character '}'");
	bad("{\"a\":1,}", "member name");
	bad("[1,]", "unexpected character ']'");
	bad("[1 2]", "',' or ']'");
	bad("{'a':1}", "member name");
	bad("{a:1}", "member name");
	bad("{\"a\":1} x", "more text");
	bad("{}{}", "more text");
	bad("01", "leading zero");
	bad("-01", "leading zero");
	bad("1.", "decimal point");
	bad(".5", "unexpected character");
	bad("+1", "unexpected character");
	bad("-", "digits");
	bad("1e", "exponent");
	bad("1e+", "exponent");
	bad("NaN", "unexpected character");
	bad("Infinity", "unexpected character");
	bad("tru", "unexpected character");
	bad("nul", "unexpected character");
	bad("TRUE", "unexpected character");
	bad("/* c */ {}", "unexpected character");
	bad("{\"a\":1 // c\n}", "',' or '}'");
	bad("\xef\xbb\xbf{}", "unexpected character");   /* byte-order mark */
	bad("\"abc", "unterminated");
	bad("\"abc\\", "unterminated");
	bad_n("{\"a\":1}\0", 8, "more text");
	bad_n("{\"a\"\0:1}", 8, "':'");
}

static void test_refuses_strings(void **state)
{
	(void)state;
	bad("\"a\\u0000b\"", "NUL");
	bad("\"\\ud800\"", "without its low half");
	bad("\"\\ud800x\"", "without its low half");
	bad("\"\\ud800\\u0041\"", "without its low half");
	bad("\"\\udc00\"", "lone low surrogate");
	bad("\"\\ude00\\ud83d\"", "lone low surrogate");
	bad("\"\\u12\"", "four hex digits");
	bad("\"\\u12g4\"", "four hex digits");
	bad("\"\\x41\"", "unknown escape");
	bad("\"\\'\"", "unknown escape");
	bad("\"a\tb\"", "control character");
	bad("\"a\nb\"", "control character");
	bad_n("\"a\0b\"", 5, "control character");
	bad("\"\x80\"", "invalid UTF-8");
	bad("\"\xc3\"", "invalid UTF-8");
	bad("\"\xc0\xaf\"", "invalid UTF-8");                 /* overlong '/' */
	bad("\"\xe0\x80\xaf\"", "invalid UTF-8");             /* overlong */
	bad("\"\xed\xa0\x80\"", "invalid UTF-8");             /* encoded surrogate */
	bad("\"\xf4\x90\x80\x80\"", "invalid UTF-8");         /* above U+10FFFF */
	bad("\"\xf5\x80\x80\x80\"", "invalid UTF-8");
	bad("\"\xff\"", "invalid UTF-8");
}

static void test_refuses_duplicate_names(void **state)
{
	(void)state;
	bad("{\"status\":\"new\",\"status\":\"escalated\"}", "'status' given twice");
	bad("{\"a\":1,\"b\":2,\"a\":3}", "'a' given twice");
	/* the same name written with an escape is the same name */
	bad("{\"status\":1,\"st\\u0061tus\":2}", "'status' given twice");
	bad("{\"x\":{\"a\":1,\"a\":1}}", "'a' given twice");
	bad("[{\"a\":1,\"a\":1}]", "'a' given twice");
	/* the same name in different objects is fine */
	struct jp_doc d;
	ok("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", &d);
	jp_free(&d);
}

static void test_limits(void **state)
{
	char buf[20000];
	size_t n = 0;

	(void)state;
	/* depth */
	for (int i = 0; i < JP_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i < JP_MAX_DEPTH; i++)
		buf[n++] = ']';
	buf[n] = '\0';
	struct jp_doc d;
	ok(buf, &d);
	jp_free(&d);
	n = 0;
	for (int i = 0; i <= JP_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i <= JP_MAX_DEPTH; i++)
		buf[n++] = ']';
	buf[n] = '\0';
	bad(buf, "nested deeper");
	memset(buf, '[', 5000);
	buf[5000] = '\0';
	bad(buf, "nested deeper");

	/* values */
	n = 0;
	buf[n++] = '[';
	for (int i = 0; i < JP_MAX_VALUES - 1; i++) {
		buf[n++] = '0';
		buf[n++] = ',';
	}
	buf[n - 1] = ']';
	buf[n] = '\0';
	ok(buf, &d);
	assert_int_equal(d.n, JP_MAX_VALUES);
	assert_int_equal(d.v[0].count, JP_MAX_VALUES - 1);
	jp_free(&d);
	buf[n - 1] = ',';
	buf[n++] = '0';
	buf[n++] = ']';
	buf[n] = '\0';
	bad(buf, "more than 4096 values");

	/* members */
	n = (size_t)snprintf(buf, sizeof buf, "{");
	for (int i = 0; i < JP_MAX_MEMBERS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "\"m%d\":%d,", i, i);
	buf[n - 1] = '}';
	buf[n] = '\0';
	ok(buf, &d);
	assert_int_equal(d.v[0].count, JP_MAX_MEMBERS);
	jp_free(&d);
	snprintf(buf + n - 1, sizeof buf - n + 1, ",\"last\":0}");
	bad(buf, "more than 64 members");

	/* name length */
	n = (size_t)snprintf(buf, sizeof buf, "{\"");
	memset(buf + n, 'k', JP_MAX_NAME);
	n += JP_MAX_NAME;
	snprintf(buf + n, sizeof buf - n, "\":1}");
	ok(buf, &d);
	jp_free(&d);
	snprintf(buf + n, sizeof buf - n, "k\":1}");
	bad(buf, "longer than 128 bytes");
}

static void test_layout_and_members(void **state)
{
	struct jp_doc d;
	char s[64];
	int64_t v;
	long i;

	(void)state;
	ok("{\"ids\":[1,[2,3],4],\"text\":\"hi\",\"t\":true,\"n\":null,\"o\":{\"x\":1}}", &d);
	assert_int_equal(d.v[0].type, JP_OBJECT);
	assert_int_equal(d.v[0].count, 5);
	assert_int_equal(d.v[0].next, d.n);
	i = jp_member(&d, 0, "ids");
	assert_true(i > 0);
	assert_int_equal(d.v[i].type, JP_ARRAY);
	assert_int_equal(d.v[i].count, 3);
	/* walk the elements with next */
	uint32_t c = (uint32_t)i + 1;
	assert_int_equal(jp_int64(&d, c, &v), 0);
	assert_int_equal(v, 1);
	c = d.v[c].next;
	assert_int_equal(d.v[c].type, JP_ARRAY);
	c = d.v[c].next;
	assert_int_equal(jp_int64(&d, c, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(d.v[c].next, (uint32_t)jp_member(&d, 0, "text") - 1);
	i = jp_member(&d, 0, "text");
	assert_int_equal(jp_string(&d, (uint32_t)i, s, sizeof s), 2);
	assert_string_equal(s, "hi");
	assert_int_equal(d.v[jp_member(&d, 0, "t")].type, JP_TRUE);
	assert_int_equal(d.v[jp_member(&d, 0, "n")].type, JP_NULL);
	assert_int_equal(jp_member(&d, 0, "x"), -1);     /* only the top level's members */
	assert_int_equal(jp_member(&d, 0, "missing"), -1);
	assert_int_equal(jp_member(&d, (uint32_t)jp_member(&d, 0, "ids"), "x"), -1);
	jp_free(&d);

	/* names with escapes are found by their decoded text */
	ok("{\"st\\u0061tus\":\"a\\u00e9\\ud83d\\ude00\\n\"}", &d);
	i = jp_member(&d, 0, "status");
	assert_true(i > 0);
	assert_int_equal(jp_string(&d, (uint32_t)i, s, sizeof s), 8);
	assert_string_equal(s, "a\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(jp_string(&d, (uint32_t)i, s, 8), -1);   /* does not fit */
	assert_int_equal(jp_string(&d, (uint32_t)i, s, 9), 8);
	jp_free(&d);
}

static void test_integers(void **state)
{
	static const struct { const char *text; int rc; int64_t v; } cases[] = {
		{ "0", 0, 0 }, { "-0", 0, 0 }, { "42", 0, 42 }, { "-42", 0, -42 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", JP_RANGE, 0 },
		{ "-9223372036854775809", JP_RANGE, 0 },
		{ "99999999999999999999999", JP_RANGE, 0 },
		{ "18446744073709551616", JP_RANGE, 0 },
		{ "1.0", JP_NOT_INTEGER, 0 }, { "1e0", JP_NOT_INTEGER, 0 }, { "1E2", JP_NOT_INTEGER, 0 },
		{ "0.5", JP_NOT_INTEGER, 0 },
	};
	(void)state;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct jp_doc d;
		int64_t v = 12345;

		ok(cases[k].text, &d);
		assert_int_equal(jp_int64(&d, 0, &v), cases[k].rc);
		if (cases[k].rc == 0)
			assert_int_equal(v, cases[k].v);
		jp_free(&d);
	}
	struct jp_doc d;
	int64_t v;
	ok("\"1\"", &d);
	assert_int_equal(jp_int64(&d, 0, &v), JP_NOT_INTEGER);   /* a string is not a number */
	jp_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_rfc8259),
		cmocka_unit_test(test_refuses_grammar),
		cmocka_unit_test(test_refuses_strings),
		cmocka_unit_test(test_refuses_duplicate_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_layout_and_members),
		cmocka_unit_test(test_integers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
