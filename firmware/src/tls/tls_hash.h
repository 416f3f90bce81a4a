/*
 * tls_hash.h - message digests, from mbedTLS.
 *
 * Owns: the program's use of mbedTLS's hash functions. The tls files are
 * the only ones that include mbedTLS; everything else calls them through
 * this small interface, so a new mbedTLS version changes one folder.
 */
#ifndef VIGIL_TLS_HASH_H
#define VIGIL_TLS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SHA256_LEN 32

/* SHA-256 (FIPS 180-4) of n bytes at data. */
void tls_sha256(const void *data, size_t n, uint8_t out[TLS_SHA256_LEN]);

#endif
