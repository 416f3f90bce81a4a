/* unit_tmpdir.h - a unit test's own temporary directory, removed with
 * everything in it: per test with a database path in it (cmocka fixture
 * state: tmpdir_setup, teardown), or one for a group of tests
 * (tmpdir_make, tmpdir_remove: a group's setup and teardown). */
#ifndef VIGIL_UNIT_TMPDIR_H
#define VIGIL_UNIT_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

struct fixture {
	char dir[64];
	char db[128];
};

/* Remove one file or directory of the fixture tree (nftw callback). */
static inline int tmpdir_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A new /tmp/vigil-test-NAME-XXXXXX into dir (64 bytes): 0, or -1. */
static inline int tmpdir_make(char dir[64], const char *name)
{
	snprintf(dir, 64, "/tmp/vigil-test-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove dir with everything in it: 0, or -1. */
static inline int tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A new /tmp/vigil-test-NAME-XXXXXX with db = DIR/DBNAME, as *state. */
static inline int tmpdir_setup(void **state, const char *name, const char *dbname)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, name), 0);
	snprintf(f->db, sizeof f->db, "%s/%s", f->dir, dbname);
	*state = f;
	return 0;
}

/* Delete the test's directory with everything in it. */
static inline int teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

#endif
