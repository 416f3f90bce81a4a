/*
 * test_utf8.c - the one UTF-8 check (core/utf8.h) at its edges: each
 * length's first and last code point, overlong forms, surrogates, beyond
 * U+10FFFF, stray continuation bytes and sequences cut short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/utf8.h"

static size_t seq(const char *s)
{
	return utf8_seq_len((const unsigned char *)s, strlen(s));
}

static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(seq("A"), 1);
	assert_int_equal(seq("\x7f"), 1);
	assert_int_equal(seq("\xc2\x80"), 2);          /* U+0080 */
	assert_int_equal(seq("\xdf\xbf"), 2);          /* U+07FF */
	assert_int_equal(seq("\xe0\xa0\x80"), 3);      /* U+0800 */
	assert_int_equal(seq("\xed\x9f\xbf"), 3);      /* U+D7FF */
	assert_int_equal(seq("\xee\x80\x80"), 3);      /* U+E000 */
	assert_int_equal(seq("\xef\xbf\xbf"), 3);      /* U+FFFF */
	assert_int_equal(seq("\xf0\x90\x80\x80"), 4);  /* U+10000 */
	assert_int_equal(seq("\xf4\x8f\xbf\xbf"), 4);  /* U+10FFFF */
}

static void test_invalid(void **state)
{
	(void)state;
	assert_int_equal(seq("\x80"), 0);              /* a continuation alone */
	assert_int_equal(seq("\xc0\x80"), 0);          /* overlong NUL */
	assert_int_equal(seq("\xc1\xbf"), 0);
	assert_int_equal(seq("\xe0\x9f\xbf"), 0);      /* overlong, 3 bytes */
	assert_int_equal(seq("\xed\xa0\x80"), 0);      /* U+D800 */
	assert_int_equal(seq("\xed\xbf\xbf"), 0);      /* U+DFFF */
	assert_int_equal(seq("\xf0\x8f\xbf\xbf"), 0);  /* overlong, 4 bytes */
	assert_int_equal(seq("\xf4\x90\x80\x80"), 0);  /* U+110000 */
	assert_int_equal(seq("\xf5\x80\x80\x80"), 0);
	assert_int_equal(seq("\xff"), 0);
	assert_int_equal(seq("\xc3("), 0);             /* not a continuation */
	/* cut short by the length given */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 2), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
}

static void test_chars(void **state)
{
	const unsigned char *s = (const unsigned char *)"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

	(void)state;
	assert_int_equal(utf8_chars(s, 10), 4);
	assert_int_equal(utf8_chars(s, 0), 0);
	assert_int_equal(utf8_chars(s, 9), -1);        /* the last one cut */
	assert_int_equal(utf8_chars((const unsigned char *)"ok\xed\xa0\x80", 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
