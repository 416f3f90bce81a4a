/*
 * rule_bundle.c - signed rule bundles (see rule_bundle.h, rules/README.md).
 *
 * The signature covers the header, and the header names the tar's size
 * and SHA-256, so the version and the signing time are signed along with
 * the rules and a tar never verifies under another header. The reader
 * accepts exactly the lines the writer makes, in its order: anything
 * else is refused rather than guessed at.
 */
#include "rule_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "core/str.h"
#include "core/tarball.h"
#include "tls/tls_hash.h"

#define MAGIC "vigil-rules-signature: 1\n"

static const char *const header_keys[] = {
	"algorithm", "key-id", "signed", "version", "size", "sha256",
};
#define N_KEYS (sizeof header_keys / sizeof header_keys[0])

int bundle_version_ok(const char *v)
{
	size_t n = strlen(v);

	return n >= 1 && n <= 64 &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:+-") == n;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int bundle_sign(struct tls_sign_key *key, const void *tar, size_t n, const char *version,
		char *out, size_t outlen, char *err, size_t errlen)
{
	uint8_t tar_hash[32], head_hash[32], sig[TLS_SIG_MAX];
	char id[TLS_KEY_ID_LEN + 1], when[32], ver[65], tar_hex[65], b64[2 * TLS_SIG_MAX];
	size_t siglen;
	time_t now = time(NULL);
	struct tm tm;
	int len;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (version)
		snprintf(ver, sizeof ver, "%s", version);
	else
		strftime(ver, sizeof ver, "%Y%m%dT%H%M%SZ", &tm);
	if (!bundle_version_ok(ver)) {
		str_fmt(err, errlen, "version '%s': 1 to 64 letters, digits and . _ : + -", ver);
		return -1;
	}
	tls_sign_key_id(key, id);
	tls_sha256(tar, n, tar_hash);
	hex(tar_hash, 32, tar_hex);
	len = snprintf(out, outlen, MAGIC "algorithm: " BUNDLE_ALGORITHM "\nkey-id: %s\n"
		       "signed: %s\nversion: %s\nsize: %zu\nsha256: %s\n", id, when, ver, n,
		       tar_hex);
	if (len < 0 || (size_t)len >= outlen) {
		str_fmt(err, errlen, "signature file too long");
		return -1;
	}
	tls_sha256(out, (size_t)len, head_hash);
	if (tls_sign_digest(key, head_hash, sig, &siglen, err, errlen) < 0)
		return -1;
	if (tls_base64_encode(sig, siglen, b64, sizeof b64) < 0 ||
	    (size_t)snprintf(out + len, outlen - (size_t)len, "signature: %s\n", b64) >=
	    outlen - (size_t)len) {
		str_fmt(err, errlen, "signature file too long");
		return -1;
	}
	return 0;
}

/* One "key: value\n" line at *p (within end): value into val. */
static int take_line(const char **p, const char *end, const char *key, char *val,
		     size_t vallen)
{
	size_t kl = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl || (size_t)(nl - *p) < kl + 2 || memcmp(*p, key, kl) || (*p)[kl] != ':' ||
	    (*p)[kl + 1] != ' ')
		return -1;
	size_t vl = (size_t)(nl - *p) - kl - 2;
	if (vl == 0 || vl >= vallen || memchr(*p + kl + 2, '\0', vl))
		return -1;
	memcpy(val, *p + kl + 2, vl);
	val[vl] = '\0';
	*p = nl + 1;
	return 0;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (strspn(s + 2 * i, "0123456789abcdef") < 2 || sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int bundle_verify_sig(const char *text, size_t len, struct tls_sign_key *pub,
		      struct bundle_sig *out, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	char vals[N_KEYS][80], b64[200], id[TLS_KEY_ID_LEN + 1];
	uint8_t head_hash[32], sig[TLS_SIG_MAX];
	size_t siglen;
	unsigned long long size;
	char extra;

	memset(out, 0, sizeof *out);
	if (len > BUNDLE_SIG_MAX || len < sizeof MAGIC - 1 ||
	    memcmp(text, MAGIC, sizeof MAGIC - 1) != 0) {
		str_fmt(err, errlen, "not a vigil rule bundle signature (unsigned bundle?)");
		return -1;
	}
	p += sizeof MAGIC - 1;
	for (size_t i = 0; i < N_KEYS; i++)
		if (take_line(&p, end, header_keys[i], vals[i], sizeof vals[i]) < 0) {
			str_fmt(err, errlen, "signature file: expected the '%s:' line",
				header_keys[i]);
			return -1;
		}
	const char *head_end = p;
	if (take_line(&p, end, "signature", b64, sizeof b64) < 0 || p != end) {
		str_fmt(err, errlen, "signature file: expected the 'signature:' line, last");
		return -1;
	}
	if (strcmp(vals[0], BUNDLE_ALGORITHM) != 0) {
		str_fmt(err, errlen, "signature algorithm '%s' is not " BUNDLE_ALGORITHM, vals[0]);
		return -1;
	}
	tls_sign_key_id(pub, id);
	if (strcmp(vals[1], id) != 0) {
		str_fmt(err, errlen, "signed with key %.16s, not with the configured key %s",
			vals[1], id);
		return -1;
	}
	tls_sha256(text, (size_t)(head_end - text), head_hash);
	if (tls_base64_decode(b64, sig, sizeof sig, &siglen) < 0 ||
	    tls_verify_digest(pub, head_hash, sig, siglen) < 0) {
		str_fmt(err, errlen, "bad signature (the signature file was altered or not made "
			"with key %s)", id);
		return -1;
	}
	/* signed: what follows is the signer's, still checked for form */
	if (sscanf(vals[4], "%llu%c", &size, &extra) != 1 || unhex(vals[5], out->sha256, 32) < 0 ||
	    !bundle_version_ok(vals[3]) || strlen(vals[2]) >= sizeof out->signed_at) {
		str_fmt(err, errlen, "signature file: a malformed size, sha256, version or time");
		return -1;
	}
	memcpy(out->key_id, id, sizeof id);
	str_fmt(out->signed_at, sizeof out->signed_at, "%s", vals[2]);
	str_fmt(out->version, sizeof out->version, "%s", vals[3]);
	out->size = size;
	return 0;
}

int bundle_check_tar(const struct bundle_sig *sig, const void *tar, size_t n,
		     char *err, size_t errlen)
{
	uint8_t h[32];

	if ((uint64_t)n != sig->size) {
		str_fmt(err, errlen, "the tar is %zu bytes, its signature says %llu (tampered, "
			"or the tar and .sig on the server do not belong together)", n,
			(unsigned long long)sig->size);
		return -1;
	}
	tls_sha256(tar, n, h);
	if (memcmp(h, sig->sha256, 32) != 0) {
		str_fmt(err, errlen, "the tar's SHA-256 does not match its signature (tampered, "
			"or the tar and .sig on the server do not belong together)");
		return -1;
	}
	return 0;
}

int bundle_open(const char *sig_text, size_t sig_len, const void *tar, size_t n,
		struct tls_sign_key *pub, const char *dest, struct bundle_sig *out,
		char *err, size_t errlen)
{
	if (bundle_verify_sig(sig_text, sig_len, pub, out, err, errlen) < 0 ||
	    bundle_check_tar(out, tar, n, err, errlen) < 0)
		return -1;
	return tarball_unpack(tar, n, dest, &TARBALL_RULES_LIMITS, err, errlen);
}

int bundle_read_file(const char *path, size_t max, char **buf, size_t *len,
		     char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0, cap = 4096;
	char *b = NULL;
	ssize_t r;

	*buf = NULL;
	*len = 0;
	if (fd < 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (have + 1 >= cap || !b) {
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				str_fmt(err, errlen, "out of memory");
				goto fail;
			}
			b = nb;
		}
		if ((r = read(fd, b + have, cap - have - 1)) < 0) {
			if (errno == EINTR)
				continue;
			str_fmt(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if ((have += (size_t)r) > max) {
			str_fmt(err, errlen, "%s: over %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	b[have] = '\0';
	*buf = b;
	*len = have;
	return 0;
fail:
	close(fd);
	free(b);
	return -1;
}
