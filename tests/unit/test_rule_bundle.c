/*
 * test_rule_bundle.c - signed rule bundles (detect/rule_bundle.h over
 * tls/tls_sign.h) and the tar reader's limits (core/tarball.h).
 *
 * Signatures: a bundle signed with one P-256 key verifies with its public
 * key and names its version, time, size and SHA-256; a changed tar, a
 * changed header line, another key (by id, and by a forged id), a
 * truncated or extended file and a non-P-256 key are refused.
 *
 * Tars, written block by block here (ustar headers): plain files and
 * directories unpack; "..", absolute names, empty and "." parts, symbolic
 * and hard links, devices and FIFOs, a file where a directory must go, a
 * name twice, more entries, bigger files, more bytes in all and deeper
 * directories than the limits, and bytes that are no tar are refused with
 * the entry's name, and nothing is written outside the destination.
 * The keys below are test keys made with openssl for this file only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/tarball.h"
#include "detect/rule_bundle.h"
#include "tls/tls_sign.h"
#include "unit_tmpdir.h"

static const char KEY_A[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIFw+jXeU/Ir9vaTqroGdjI67UPNEk8WzzjwL+rFnHXkIoAoGCCqGSM49\n"
	"AwEHoUQDQgAEW0CekqopCjdlSX8DTrUgC9wGRqcfvHCDRXw+5A9iZG6D915Bexkf\n"
	"d1mmnPky5wLTGXd5vW0W7fydRwLjtyz/4Q==\n"
	"-----END EC PRIVATE KEY-----\n";
static const char PUB_A[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEW0CekqopCjdlSX8DTrUgC9wGRqcf\n"
	"vHCDRXw+5A9iZG6D915Bexkfd1mmnPky5wLTGXd5vW0W7fydRwLjtyz/4Q==\n"
	"-----END PUBLIC KEY-----\n";
static const char KEY_B[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIFPgYN0qcO4CIigcgFGh4ADwFWHOg122bEmVC7yhfJ9qoAoGCCqGSM49\n"
	"AwEHoUQDQgAEpDxyZTSQiCnFmC3zCzSdUiJD0eZXv4ur2pdehRWZApfMzuvevioZ\n"
	"f3OBmDl0fVzN+9XAfyqjRy4BJo5jgvYKRg==\n"
	"-----END EC PRIVATE KEY-----\n";
static const char PUB_B[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpDxyZTSQiCnFmC3zCzSdUiJD0eZX\n"
	"v4ur2pdehRWZApfMzuvevioZf3OBmDl0fVzN+9XAfyqjRy4BJo5jgvYKRg==\n"
	"-----END PUBLIC KEY-----\n";

static int setup(void **state)
{
	return tmpdir_setup(state, "bundle", "unused");
}

static struct tls_sign_key *key_from(struct fixture *f, const char *name, const char *pem,
				     int private_key)
{
	char path[200], err[300];

	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(pem, fp);
	fclose(fp);
	struct tls_sign_key *k = tls_sign_key_load(path, private_key, err, sizeof err);
	if (!k)
		fail_msg("%s: %s", name, err);
	return k;
}

/* ---- signatures ----------------------------------------------------------------------- */

static const char TAR[] = "not really a tar, but the signature does not care";

static void test_sign_verify(void **state)
{
	struct fixture *f = *state;
	struct tls_sign_key *a = key_from(f, "a.pem", KEY_A, 1);
	struct tls_sign_key *pa = key_from(f, "a.pub", PUB_A, 0);
	char sig[BUNDLE_SIG_MAX], err[400], ida[17], idp[17];
	struct bundle_sig bs;

	tls_sign_key_id(a, ida);
	tls_sign_key_id(pa, idp);
	assert_string_equal(ida, idp);      /* the id is the public key's */
	assert_int_equal(bundle_sign(a, TAR, sizeof TAR, "2026.12-1", sig, sizeof sig, err,
				     sizeof err), 0);
	assert_int_equal(bundle_verify_sig(sig, strlen(sig), pa, &bs, err, sizeof err), 0);
	assert_string_equal(bs.version, "2026.12-1");
	assert_string_equal(bs.key_id, idp);
	assert_int_equal(bs.size, sizeof TAR);
	assert_int_equal(strlen(bs.signed_at), 20);
	assert_int_equal(bundle_check_tar(&bs, TAR, sizeof TAR, err, sizeof err), 0);

	/* the private key verifies too; a version that is not one is refused */
	assert_int_equal(bundle_verify_sig(sig, strlen(sig), a, &bs, err, sizeof err), 0);
	assert_int_equal(bundle_sign(a, TAR, sizeof TAR, "no spaces", sig, sizeof sig, err,
				     sizeof err), -1);
	tls_sign_key_free(a);
	tls_sign_key_free(pa);
}

static void test_tampering(void **state)
{
	struct fixture *f = *state;
	struct tls_sign_key *a = key_from(f, "a.pem", KEY_A, 1);
	struct tls_sign_key *pa = key_from(f, "a.pub", PUB_A, 0);
	struct tls_sign_key *b = key_from(f, "b.pem", KEY_B, 1);
	struct tls_sign_key *pb = key_from(f, "b.pub", PUB_B, 0);
	char sig[BUNDLE_SIG_MAX], sigb[BUNDLE_SIG_MAX], mod[BUNDLE_SIG_MAX + 64], err[400];
	char tar[sizeof TAR];
	struct bundle_sig bs;

	assert_int_equal(bundle_sign(a, TAR, sizeof TAR, "v1", sig, sizeof sig, err, sizeof err), 0);
	assert_int_equal(bundle_verify_sig(sig, strlen(sig), pa, &bs, err, sizeof err), 0);

	/* one byte of the tar, or its length */
	memcpy(tar, TAR, sizeof tar);
	tar[3] ^= 1;
	assert_int_equal(bundle_check_tar(&bs, tar, sizeof tar, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not match its signature"));
	assert_int_equal(bundle_check_tar(&bs, TAR, sizeof TAR - 1, err, sizeof err), -1);

	/* a header line changed: the version */
	snprintf(mod, sizeof mod, "%s", sig);
	char *v = strstr(mod, "version: v1");
	assert_non_null(v);
	v[10] = '2';
	assert_int_equal(bundle_verify_sig(mod, strlen(mod), pa, &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad signature"));

	/* signed by b: refused by its id; b's signature under a's id: refused */
	assert_int_equal(bundle_sign(b, TAR, sizeof TAR, "v1", sigb, sizeof sigb, err,
				     sizeof err), 0);
	assert_int_equal(bundle_verify_sig(sigb, strlen(sigb), pa, &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "not with the configured key"));
	char ida[17], idb[17];
	tls_sign_key_id(pa, ida);
	tls_sign_key_id(pb, idb);
	snprintf(mod, sizeof mod, "%s", sigb);
	memcpy(strstr(mod, idb), ida, 16);
	assert_int_equal(bundle_verify_sig(mod, strlen(mod), pa, &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad signature"));

	/* cut short, a line added, not a signature, empty */
	assert_int_equal(bundle_verify_sig(sig, strlen(sig) - 1, pa, &bs, err, sizeof err), -1);
	snprintf(mod, sizeof mod, "%sextra: 1\n", sig);
	assert_int_equal(bundle_verify_sig(mod, strlen(mod), pa, &bs, err, sizeof err), -1);
	assert_int_equal(bundle_verify_sig("hello\n", 6, pa, &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a vigil rule bundle signature"));
	assert_int_equal(bundle_verify_sig("", 0, pa, &bs, err, sizeof err), -1);
	tls_sign_key_free(a);
	tls_sign_key_free(pa);
	tls_sign_key_free(b);
	tls_sign_key_free(pb);
}

static void test_key_types(void **state)
{
	struct fixture *f = *state;
	char path[200], err[300];

	/* a public key is no private key, and the other way round */
	snprintf(path, sizeof path, "%s/pub.pem", f->dir);
	FILE *fp = fopen(path, "w");
	fputs(PUB_A, fp);
	fclose(fp);
	assert_null(tls_sign_key_load(path, 1, err, sizeof err));
	assert_null(tls_sign_key_load("/nonexistent/key.pem", 0, err, sizeof err));
	assert_non_null(strstr(err, "cannot read"));
	/* a P-384 key (made by openssl for this test) */
	static const char P384[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAElXWkq2O2yTFkMuetDV26zWSCEfD/TiJk\n"
		"hI6/GA6iobPy8p3VBM7l0rV4Qu5A7xwA81pmBOEptVxxrwb3afEpXa+N2urMHfE/\n"
		"ZCqEE+cInBiKAeknrOz5NnjfYFauR3Sm\n"
		"-----END PUBLIC KEY-----\n";
	snprintf(path, sizeof path, "%s/p384.pub", f->dir);
	fp = fopen(path, "w");
	fputs(P384, fp);
	fclose(fp);
	struct tls_sign_key *k = tls_sign_key_load(path, 0, err, sizeof err);
	if (k) {
		tls_sign_key_free(k);
		fail_msg("a P-384 key was taken");
	}
	assert_non_null(strstr(err, "not an EC P-256"));
}

/* ---- tars ----------------------------------------------------------------------------- */

struct tarbuf {
	unsigned char *b;
	size_t len, cap;
};

static void put(struct tarbuf *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->b = realloc(t->b, t->cap);
		assert_non_null(t->b);
	}
	memcpy(t->b + t->len, p, n);
	t->len += n;
}

/* One ustar entry: type '0' file, '5' directory, '1' hard link, '2'
 * symbolic link, '3' character device, '6' FIFO; data for files. */
static void entry(struct tarbuf *t, const char *name, char type, const char *data, size_t n,
		  const char *link)
{
	unsigned char h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof h);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", type == '0' ? n : 0);
	snprintf((char *)h + 136, 12, "%011o", 1700000000);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	put(t, h, sizeof h);
	if (type == '0' && n) {
		static const unsigned char zero[512];
		put(t, data, n);
		put(t, zero, (512 - n % 512) % 512);
	}
}

static void end(struct tarbuf *t)
{
	static const unsigned char zero[1024];
	put(t, zero, sizeof zero);
}

/* Unpack t into a new directory below the fixture; returns the result,
 * err filled. The destination is f->dir/out-N. */
static int unpack(struct fixture *f, struct tarbuf *t, const struct tarball_limits *lim,
		  char *dest, size_t destlen, char *err, size_t errlen)
{
	static int n;

	snprintf(dest, destlen, "%s/out-%d", f->dir, n++);
	assert_int_equal(mkdir(dest, 0755), 0);
	end(t);
	int rc = tarball_unpack(t->b, t->len, dest, lim, err, errlen);
	free(t->b);
	memset(t, 0, sizeof *t);
	return rc;
}

static void test_tar_good(void **state)
{
	struct fixture *f = *state;
	struct tarbuf t = { 0 };
	char dest[200], path[300], err[400], buf[64];

	entry(&t, "./", '5', NULL, 0, NULL);
	entry(&t, "./ioc/", '5', NULL, 0, NULL);
	entry(&t, "./ioc/list.txt", '0', "10.0.0.1\n", 9, NULL);
	entry(&t, "x.rules", '0', "alert\n", 6, NULL);
	entry(&t, "deep/er/file", '0', "", 0, NULL);   /* parents made on the way */
	assert_int_equal(unpack(f, &t, &TARBALL_RULES_LIMITS, dest, sizeof dest, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/ioc/list.txt", dest);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof buf, fp));
	fclose(fp);
	assert_string_equal(buf, "10.0.0.1\n");
	snprintf(path, sizeof path, "%s/deep/er/file", dest);
	assert_int_equal(access(path, F_OK), 0);
}

static void refused(void **state, struct tarbuf *t, const struct tarball_limits *lim,
		    const char *why)
{
	struct fixture *f = *state;
	char dest[200], err[400], outside[300];

	if (unpack(f, t, lim, dest, sizeof dest, err, sizeof err) != -1)
		fail_msg("not refused; expected '%s'", why);
	if (!strstr(err, why))
		fail_msg("refused with '%s', expected '%s'", err, why);
	snprintf(outside, sizeof outside, "%s/evil", f->dir);
	assert_int_not_equal(access(outside, F_OK), 0);
	assert_int_not_equal(access("/tmp/evil-vigil-test", F_OK), 0);
}

static void test_tar_names(void **state)
{
	struct tarbuf t = { 0 };

	entry(&t, "../evil", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "../evil: '.' or '..' in the name");
	entry(&t, "a/../../evil", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "'..'");
	entry(&t, "/tmp/evil-vigil-test", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "an absolute name");
	entry(&t, "a//b", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "an empty part");
	entry(&t, "a/./b", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "'.' or '..'");
	entry(&t, "a\nb", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "a control character");
	entry(&t, "x.rules", '0', "x", 1, NULL);
	entry(&t, "x.rules", '0', "y", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "appears twice");
	entry(&t, "x", '0', "x", 1, NULL);
	entry(&t, "x/y", '0', "y", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "x/y:");
}

static void test_tar_types(void **state)
{
	struct tarbuf t = { 0 };

	entry(&t, "evil", '2', NULL, 0, "/etc/passwd");
	refused(state, &t, &TARBALL_RULES_LIMITS, "evil: a link");
	/* a link first, then a file through it: the first is already refused */
	entry(&t, "d", '2', NULL, 0, "/tmp");
	entry(&t, "d/evil-vigil-test", '0', "x", 1, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "d: a link");
	entry(&t, "h", '1', NULL, 0, "x.rules");
	refused(state, &t, &TARBALL_RULES_LIMITS, "h: a link");
	entry(&t, "dev", '3', NULL, 0, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "dev: not a plain file or directory");
	entry(&t, "fifo", '6', NULL, 0, NULL);
	refused(state, &t, &TARBALL_RULES_LIMITS, "fifo: not a plain file or directory");
}

static void test_tar_limits(void **state)
{
	const struct tarball_limits lim = {
		.max_entries = 3, .max_file_bytes = 1000, .max_total_bytes = 1500, .max_depth = 2,
	};
	struct tarbuf t = { 0 };
	char big[1001];

	memset(big, 'a', sizeof big);
	for (int i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		entry(&t, name, '0', "x", 1, NULL);
	}
	refused(state, &t, &lim, "more than 3 entries");
	entry(&t, "big", '0', big, sizeof big, NULL);
	refused(state, &t, &lim, "big: over the size limit");
	entry(&t, "a", '0', big, 800, NULL);
	entry(&t, "b", '0', big, 800, NULL);
	refused(state, &t, &lim, "b: over the size limit");
	entry(&t, "a/b/c/d", '0', "x", 1, NULL);     /* three directories deep */
	refused(state, &t, &lim, "nested too deep");
	entry(&t, "a/b/c", '0', "x", 1, NULL);       /* two: the limit */
	struct fixture *f = *state;
	char dest[200], err[400];
	assert_int_equal(unpack(f, &t, &lim, dest, sizeof dest, err, sizeof err), 0);

	/* not a tar at all, and a tar cut in its data */
	put(&t, "garbage that is not a tar header at all", 40);
	refused(state, &t, &lim, "tar");
	entry(&t, "cut", '0', big, 900, NULL);
	t.len -= 700;                      /* no end blocks either */
	snprintf(dest, sizeof dest, "%s/cut", f->dir);
	assert_int_equal(mkdir(dest, 0755), 0);
	assert_int_equal(tarball_unpack(t.b, t.len, dest, &lim, err, sizeof err), -1);
	free(t.b);
}

static void test_pack_roundtrip(void **state)
{
	struct fixture *f = *state;
	char src[200], path[400], tar[300], dest[300], err[400];
	char *data;
	size_t n;

	snprintf(src, sizeof src, "%s/src", f->dir);
	assert_int_equal(mkdir(src, 0755), 0);
	snprintf(path, sizeof path, "%s/ioc", src);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/ioc/list.txt", src);
	FILE *fp = fopen(path, "w");
	fputs("evil.example\n", fp);
	fclose(fp);
	snprintf(tar, sizeof tar, "%s/b.tar", f->dir);
	assert_int_equal(tarball_pack(src, tar, &TARBALL_RULES_LIMITS, err, sizeof err), 0);
	assert_int_equal(bundle_read_file(tar, 1 << 20, &data, &n, err, sizeof err), 0);
	snprintf(dest, sizeof dest, "%s/back", f->dir);
	assert_int_equal(mkdir(dest, 0755), 0);
	assert_int_equal(tarball_unpack(data, n, dest, &TARBALL_RULES_LIMITS, err, sizeof err), 0);
	free(data);
	snprintf(path, sizeof path, "%s/ioc/list.txt", dest);
	assert_int_equal(access(path, R_OK), 0);
	/* over the read limit */
	assert_int_equal(bundle_read_file(tar, 100, &data, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "over 100 bytes"));

	/* a symbolic link in the directory: not packed */
	snprintf(path, sizeof path, "%s/link", src);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(tarball_pack(src, tar, &TARBALL_RULES_LIMITS, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a plain file or directory"));
	assert_int_not_equal(access(tar, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pack_roundtrip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
