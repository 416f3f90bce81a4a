/*
 * rule_bundle.h - signed rule bundles: a tar of a rule-set directory (the
 * layout of rules/default) and its detached signature file (rules/README.md
 * "Rule bundles").
 *
 * Owns: the signature file's format - a short text header naming the
 * format, algorithm, key id, signing time, version, the tar's size and
 * SHA-256, then the ECDSA P-256 signature (base64 DER) of the SHA-256 of
 * every header byte before it - making one (`vigil rules sign`), reading
 * and verifying one against a public key (`vigil rules verify`, the
 * daemon's [rules_sync]), and checking a tar against it.
 */
#ifndef VIGIL_RULE_BUNDLE_H
#define VIGIL_RULE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "tls/tls_sign.h"

#define BUNDLE_SIG_MAX 2048       /* a signature file is never longer */
#define BUNDLE_ALGORITHM "ecdsa-p256-sha256"

struct bundle_sig {
	char key_id[TLS_KEY_ID_LEN + 1];
	char signed_at[32];           /* 2026-12-05T18:54:37Z */
	char version[65];             /* [A-Za-z0-9._:+-]{1,64} */
	uint64_t size;                /* of the tar */
	uint8_t sha256[32];           /* of the tar */
};

/* 1 when v is a usable version string. */
int bundle_version_ok(const char *v);

/* Sign a tar of n bytes: the signature file's text into out (outlen >=
 * BUNDLE_SIG_MAX). version NULL: the signing time (20261205T185437Z).
 * 0, or -1 with err. */
int bundle_sign(struct tls_sign_key *key, const void *tar, size_t n, const char *version,
		char *out, size_t outlen, char *err, size_t errlen);

/* Read the signature file's text (len bytes, not NUL-terminated) and
 * verify it with pub: the format, the algorithm, the key id (a bundle
 * signed by another key names both ids) and the signature over the
 * header. 0 with *out filled, or -1 with err. */
int bundle_verify_sig(const char *text, size_t len, struct tls_sign_key *pub,
		      struct bundle_sig *out, char *err, size_t errlen);

/* 0 when the tar (n bytes) is the one sig names (size and SHA-256), -1
 * with err ("the tar does not match its signature (tampered or ...)"). */
int bundle_check_tar(const struct bundle_sig *sig, const void *tar, size_t n,
		     char *err, size_t errlen);

/* Verify the signature file with pub, check the tar against it, and
 * unpack the tar into dest (an empty directory the caller made) with
 * core/tarball.h's rule-bundle limits. 0 with *out filled, or -1 with
 * err (dest may then hold part of the tar). */
int bundle_open(const char *sig_text, size_t sig_len, const void *tar, size_t n,
		struct tls_sign_key *pub, const char *dest, struct bundle_sig *out,
		char *err, size_t errlen);

/* Read a whole file of at most max bytes into *buf (malloc'd, NUL after
 * the data), *len its length. 0, or -1 with err ("FILE: over N bytes"). */
int bundle_read_file(const char *path, size_t max, char **buf, size_t *len,
		     char *err, size_t errlen);

#endif
