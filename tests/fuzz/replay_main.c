/*
 * replay_main.c - a harness without libFuzzer: runs LLVMFuzzerTestOneInput
 * once on each file given (folders: every file in them, in name order).
 *
 * This is how the regular build (gcc, and gcc with ASan/UBSan, and arm64
 * under qemu) replays the checked-in regression inputs and seeds of
 * tests/fuzz/: `make test-unit` runs it. A finding aborts, so the exit
 * status says whether every input went through.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static long replayed;

static int run_file(const char *path)
{
	size_t n;
	char *buf = fuzz_read_file(path, &n);
	uint8_t *copy;

	if (!buf) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* the input in a buffer of exactly its size, as libFuzzer hands it */
	copy = malloc(n ? n : 1);
	if (!copy) {
		free(buf);
		return -1;
	}
	memcpy(copy, buf, n);
	free(buf);
	if (getenv("VIGIL_FUZZ_VERBOSE"))
		fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	replayed++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				break;
			names = nn;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (names[i] && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && run_file(path) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	setenv("VIGIL_FUZZ_REPLAY", "1", 0);   /* harnesses check each input on its own */
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(sb.st_mode) ? run_dir(argv[i]) < 0 : run_file(argv[i]) < 0) {
			rc = 1;
		}
	}
	printf("%s: %ld input(s) replayed\n", argv[0], replayed);
	return rc;
}
