/*
 * tls_sign.h - ECDSA P-256 signatures over a SHA-256 digest, from mbedTLS
 * (the rule bundles' signatures, detect/rule_bundle.h).
 *
 * Owns: loading a P-256 key (a private key in PEM or DER to sign with, a
 * public key - SubjectPublicKeyInfo, `openssl ec -pubout` - to verify
 * with), a key's id (the first 8 bytes of the SHA-256 of its public key's
 * DER, in hex), signing and verifying a digest (ASN.1 DER signatures), and
 * base64 both ways. Any other key type or curve is refused by name.
 */
#ifndef VIGIL_TLS_SIGN_H
#define VIGIL_TLS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SIG_MAX 80            /* a DER ECDSA P-256 signature is at most 72 bytes */
#define TLS_KEY_ID_LEN 16         /* hex characters of a key id */

struct tls_sign_key;

/* Load a key from file: its private key when private_key (to sign), else
 * a public key. NULL and err filled ("KEY.pem: not a P-256 key") on
 * failure. */
struct tls_sign_key *tls_sign_key_load(const char *file, int private_key,
				       char *err, size_t errlen);
void tls_sign_key_free(struct tls_sign_key *k);

/* The key's id: TLS_KEY_ID_LEN hex characters and a NUL. */
void tls_sign_key_id(const struct tls_sign_key *k, char out[TLS_KEY_ID_LEN + 1]);

/* Sign a SHA-256 digest with a private key: sig gets the DER signature
 * (at most TLS_SIG_MAX bytes), *siglen its length. 0, or -1 with err. */
int tls_sign_digest(struct tls_sign_key *k, const uint8_t digest[32], uint8_t *sig,
		    size_t *siglen, char *err, size_t errlen);

/* 0 when sig is k's signature of digest, -1 otherwise. */
int tls_verify_digest(struct tls_sign_key *k, const uint8_t digest[32], const uint8_t *sig,
		      size_t siglen);

/* Base64 (RFC 4648, padded) of n bytes into out (NUL-terminated). 0, or
 * -1 when out is too small. */
int tls_base64_encode(const void *data, size_t n, char *out, size_t outlen);
/* Decode NUL-terminated text into out; *n gets the length. 0, or -1 when
 * it is not base64 or does not fit. */
int tls_base64_decode(const char *text, void *out, size_t outlen, size_t *n);

#endif
