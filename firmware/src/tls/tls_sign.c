/*
 * tls_sign.c - ECDSA P-256 keys and signatures on mbedTLS (see tls_sign.h).
 *
 * Signing draws its nonce from mbedTLS's CTR-DRBG seeded by the system's
 * entropy (mbedTLS makes it deterministic, RFC 6979, where it is built
 * so); verifying needs no randomness. A key is checked to be an EC key on
 * secp256r1 when it is loaded, so a bundle signed with anything else never
 * verifies by accident of the library's defaults.
 */
#include "tls_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_hash.h"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

struct tls_sign_key {
	mbedtls_pk_context pk;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	int drbg_ready;
	char id[TLS_KEY_ID_LEN + 1];
};

void tls_sign_key_free(struct tls_sign_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);
	mbedtls_ctr_drbg_free(&k->drbg);
	mbedtls_entropy_free(&k->entropy);
	free(k);
}

/* The id: SHA-256 of the SubjectPublicKeyInfo DER, first 8 bytes in hex. */
static int compute_id(struct tls_sign_key *k)
{
	unsigned char der[256];
	uint8_t h[TLS_SHA256_LEN];
	int n = mbedtls_pk_write_pubkey_der(&k->pk, der, sizeof der);

	if (n <= 0)
		return -1;
	/* mbedTLS writes at the end of the buffer */
	tls_sha256(der + sizeof der - n, (size_t)n, h);
	for (int i = 0; i < TLS_KEY_ID_LEN / 2; i++)
		snprintf(k->id + 2 * i, 3, "%02x", h[i]);
	return 0;
}

struct tls_sign_key *tls_sign_key_load(const char *file, int private_key,
				       char *err, size_t errlen)
{
	static const char pers[] = "vigil-sign";
	struct tls_sign_key *k = calloc(1, sizeof *k);
	char eb[160];
	int rc;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mbedtls_pk_init(&k->pk);
	mbedtls_entropy_init(&k->entropy);
	mbedtls_ctr_drbg_init(&k->drbg);
	if (private_key) {
		if ((rc = mbedtls_ctr_drbg_seed(&k->drbg, mbedtls_entropy_func, &k->entropy,
						(const unsigned char *)pers, sizeof pers - 1)) != 0) {
			mbedtls_strerror(rc, eb, sizeof eb);
			snprintf(err, errlen, "random generator: %s", eb);
			goto fail;
		}
		k->drbg_ready = 1;
#if MBEDTLS_VERSION_MAJOR >= 3
		rc = mbedtls_pk_parse_keyfile(&k->pk, file, NULL, mbedtls_ctr_drbg_random, &k->drbg);
#else
		rc = mbedtls_pk_parse_keyfile(&k->pk, file, NULL);
#endif
	} else {
		rc = mbedtls_pk_parse_public_keyfile(&k->pk, file);
	}
	if (rc != 0) {
		mbedtls_strerror(rc, eb, sizeof eb);
		snprintf(err, errlen, "%s: %s", file,
			 rc == MBEDTLS_ERR_PK_FILE_IO_ERROR ? "cannot read the file"
			 : rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ? "encrypted keys are not supported"
			 : private_key ? "not a private key (PEM or DER)"
			 : "not a public key (PEM or DER SubjectPublicKeyInfo)");
		goto fail;
	}
	if (!mbedtls_pk_can_do(&k->pk, MBEDTLS_PK_ECDSA) ||
	    mbedtls_pk_ec(k->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		snprintf(err, errlen, "%s: not an EC P-256 (prime256v1) key", file);
		goto fail;
	}
	if (compute_id(k) < 0) {
		snprintf(err, errlen, "%s: cannot encode its public key", file);
		goto fail;
	}
	return k;
fail:
	tls_sign_key_free(k);
	return NULL;
}

void tls_sign_key_id(const struct tls_sign_key *k, char out[TLS_KEY_ID_LEN + 1])
{
	memcpy(out, k->id, TLS_KEY_ID_LEN + 1);
}

int tls_sign_digest(struct tls_sign_key *k, const uint8_t digest[32], uint8_t *sig,
		    size_t *siglen, char *err, size_t errlen)
{
	unsigned char buf[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	char eb[160];
	size_t n = 0;
	int rc;

	if (!k->drbg_ready) {
		snprintf(err, errlen, "a public key cannot sign");
		return -1;
	}
#if MBEDTLS_VERSION_MAJOR >= 3
	rc = mbedtls_pk_sign(&k->pk, MBEDTLS_MD_SHA256, digest, 32, buf, sizeof buf, &n,
			     mbedtls_ctr_drbg_random, &k->drbg);
#else
	rc = mbedtls_pk_sign(&k->pk, MBEDTLS_MD_SHA256, digest, 32, buf, &n,
			     mbedtls_ctr_drbg_random, &k->drbg);
#endif
	if (rc != 0 || n > TLS_SIG_MAX) {
		mbedtls_strerror(rc, eb, sizeof eb);
		snprintf(err, errlen, "signing failed: %s", rc ? eb : "signature too long");
		return -1;
	}
	memcpy(sig, buf, n);
	*siglen = n;
	return 0;
}

int tls_verify_digest(struct tls_sign_key *k, const uint8_t digest[32], const uint8_t *sig,
		      size_t siglen)
{
	return mbedtls_pk_verify(&k->pk, MBEDTLS_MD_SHA256, digest, 32, sig, siglen) == 0 ? 0 : -1;
}

int tls_base64_encode(const void *data, size_t n, char *out, size_t outlen)
{
	size_t w = 0;

	if (mbedtls_base64_encode((unsigned char *)out, outlen, &w, data, n) != 0)
		return -1;
	return 0;   /* mbedTLS NUL-terminates */
}

int tls_base64_decode(const char *text, void *out, size_t outlen, size_t *n)
{
	return mbedtls_base64_decode(out, outlen, n, (const unsigned char *)text,
				     strlen(text)) == 0 ? 0 : -1;
}
