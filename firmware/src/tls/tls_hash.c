/*
 * tls_hash.c - message digests, from mbedTLS (see tls_hash.h).
 */
#include "tls_hash.h"

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

void tls_sha256(const void *data, size_t n, uint8_t out[TLS_SHA256_LEN])
{
	/* one call, no context to leak; it cannot fail for SHA-256 in
	 * software (mbedTLS 2.x names it _ret, 3.x without) */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	(void)mbedtls_sha256(data, n, out, 0);
#else
	(void)mbedtls_sha256_ret(data, n, out, 0);
#endif
}
