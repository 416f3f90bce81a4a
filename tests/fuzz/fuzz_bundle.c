/*
 * fuzz_bundle.c - what a sensor reads of a rule bundle from the centre:
 * the tar (core/tarball.h, libarchive) and the signature file
 * (detect/rule_bundle.h, mbedTLS).
 *
 * Input: one byte, then the rest. An even first byte: the rest is a tar,
 * unpacked with small limits (64 entries, 64 KiB a file, 256 KiB in all, 3
 * levels) into a new folder. An odd one: the rest is a signature file,
 * verified with the harness's test key.
 *
 * Checked beyond "no crash": a tar is unpacked or refused with a reason;
 * what it leaves below the folder is only plain files and directories,
 * within the limits, and nothing appears beside the folder. A signature
 * file is refused with a reason unless its signed header is byte for byte
 * the one the test key signed below (the signature's own encoding may
 * vary; the header, which names the tar's hash, may not), and then the
 * fields read are the header's.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/tarball.h"
#include "detect/rule_bundle.h"

static const char PUB[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEW0CekqopCjdlSX8DTrUgC9wGRqcf\n"
	"vHCDRXw+5A9iZG6D915Bexkfd1mmnPky5wLTGXd5vW0W7fydRwLjtyz/4Q==\n"
	"-----END PUBLIC KEY-----\n";
/* made with `vigil rules sign` and the private half of PUB (also a seed) */
static const char SIGNED_HEAD[] =
	"vigil-rules-signature: 1\n"
	"algorithm: ecdsa-p256-sha256\n"
	"key-id: 8b1ca89acf0ac8d2\n"
	"signed: 2026-12-05T19:36:08Z\n"
	"version: fuzz-1\n"
	"size: 20992\n"
	"sha256: 77a32ce24c9047407174dc3fe2d2b71d5aea598c58d54cb2739d0f1acd4443cf\n";

static const struct tarball_limits LIM = {
	.max_entries = 64, .max_file_bytes = 64 << 10, .max_total_bytes = 256 << 10,
	.max_depth = 3,
};

static struct tls_sign_key *pub;
static char top[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[600], err[300];

	(void)argc; (void)argv;
	fuzz_path(path, sizeof path, "pub.pem");
	fuzz_write_file(path, PUB, sizeof PUB - 1);
	if (!(pub = tls_sign_key_load(path, 0, err, sizeof err)))
		fuzz_fail("test key: %s", err);
	fuzz_path(top, sizeof top, "bundle");
	mkdir(top, 0755);
	return 0;
}

struct walk {
	unsigned entries;
	uint64_t bytes;
};

/* Check everything below dir (depth: its level below the destination). */
static void walk(const char *dir, unsigned depth, struct walk *w)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[2048];

	if (!d)
		fuzz_fail("%s: cannot open what unpacking made", dir);
	while ((e = readdir(d))) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			fuzz_fail("%s: vanished", path);
		if (++w->entries > LIM.max_entries)
			fuzz_fail("more than %u entries unpacked", LIM.max_entries);
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 > LIM.max_depth)
				fuzz_fail("%s: deeper than %u levels", path, LIM.max_depth);
			walk(path, depth + 1, w);
		} else if (S_ISREG(st.st_mode)) {
			w->bytes += (uint64_t)st.st_size;
			if ((uint64_t)st.st_size > LIM.max_file_bytes || w->bytes > LIM.max_total_bytes)
				fuzz_fail("%s: over the size limits", path);
		} else {
			fuzz_fail("%s: not a plain file or directory", path);
		}
	}
	closedir(d);
}

static void fuzz_tar(const uint8_t *data, size_t size)
{
	char dest[700], err[600] = "";
	struct walk w = { 0, 0 };
	static unsigned n;

	snprintf(dest, sizeof dest, "%s/d%u", top, n++ % 4);
	tarball_remove_tree(dest);
	if (mkdir(dest, 0755) < 0)
		fuzz_fail("%s: cannot make", dest);
	if (tarball_unpack(data, size, dest, &LIM, err, sizeof err) < 0 && !err[0])
		fuzz_fail("refused without a reason");
	walk(dest, 0, &w);
	tarball_remove_tree(dest);
	/* nothing beside the destinations */
	DIR *d = opendir(top);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && !(e->d_name[0] == 'd' && e->d_name[1] >= '0' &&
					     e->d_name[1] <= '3' && !e->d_name[2]))
			fuzz_fail("%s/%s: made outside the destination", top, e->d_name);
	if (d)
		closedir(d);
}

static void fuzz_sig(const uint8_t *data, size_t size)
{
	struct bundle_sig bs;
	char err[600] = "";

	if (bundle_verify_sig((const char *)data, size, pub, &bs, err, sizeof err) < 0) {
		if (!err[0])
			fuzz_fail("signature refused without a reason");
		return;
	}
	if (size < sizeof SIGNED_HEAD - 1 || memcmp(data, SIGNED_HEAD, sizeof SIGNED_HEAD - 1) ||
	    memcmp(data + sizeof SIGNED_HEAD - 1, "signature: ", 11))
		fuzz_fail("a signature file whose header the key never signed was accepted");
	if (strcmp(bs.version, "fuzz-1") || bs.size != 20992 || bs.sha256[0] != 0x77)
		fuzz_fail("accepted, but the fields read are not the header's");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_sig(data + 1, size - 1);
	else
		fuzz_tar(data + 1, size - 1);
	return 0;
}
