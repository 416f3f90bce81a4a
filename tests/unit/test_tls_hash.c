/*
 * test_tls_hash.c - SHA-256 through mbedTLS (tls_hash.h) against the
 * known answers of FIPS 180-4's examples and NIST's test vectors: the
 * empty message, "abc", the two-block message, a message whose padding
 * needs a block of its own (55, 56 and 64 bytes) and one million 'a'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tls/tls_hash.h"

static void hex_of(const void *data, size_t n, char out[2 * TLS_SHA256_LEN + 1])
{
	uint8_t d[TLS_SHA256_LEN];

	tls_sha256(data, n, d);
	for (int i = 0; i < TLS_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check(const char *msg, const char *want)
{
	char got[2 * TLS_SHA256_LEN + 1];

	hex_of(msg, strlen(msg), got);
	assert_string_equal(got, want);
}

static void test_fips_examples(void **state)
{
	(void)state;
	check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* 55 bytes: length fits the last block; 56: it does not; 64: a whole
 * block of message, then a block of padding. */
static void test_padding_edges(void **state)
{
	char m[65];

	(void)state;
	memset(m, 'a', 64);
	m[55] = '\0';
	check(m, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	memset(m, 'a', 64);
	m[56] = '\0';
	check(m, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	memset(m, 'a', 64);
	m[64] = '\0';
	check(m, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void test_million_a(void **state)
{
	size_t n = 1000000;
	char *m = malloc(n), got[2 * TLS_SHA256_LEN + 1];

	(void)state;
	assert_non_null(m);
	memset(m, 'a', n);
	hex_of(m, n, got);
	free(m);
	assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_padding_edges),
		cmocka_unit_test(test_million_a),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
