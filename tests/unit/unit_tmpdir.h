/* unit_tmpdir.h - a unit test's own temporary directory and a database
 * path in it (cmocka fixture state), removed with everything in it. */
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
static int tmpdir_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A new /tmp/vigil-test-NAME-XXXXXX with db = DIR/DBNAME, as *state. */
static int tmpdir_setup(void **state, const char *name, const char *dbname)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/vigil-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/%s", f->dir, dbname);
	*state = f;
	return 0;
}

/* Delete the test's directory with everything in it. */
static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, tmpdir_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

#endif
