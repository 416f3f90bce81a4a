/*
 * tarball.c - tar files with libarchive, safely (see tarball.h).
 *
 * Unpacking never trusts a name: each entry's path is split into parts
 * checked one by one, directories are made with mkdirat below the
 * destination's descriptor and files opened with openat(O_EXCL |
 * O_NOFOLLOW), so nothing in the archive can reach outside dest, follow a
 * link or overwrite a file twice. Sizes are counted as the data is read,
 * not taken from the header.
 */
#include "tarball.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "str.h"

const struct tarball_limits TARBALL_RULES_LIMITS = {
	.max_entries = 4096,
	.max_file_bytes = 32ULL << 20,
	.max_total_bytes = 64ULL << 20,
	.max_depth = 4,
};

#define MAX_PATH 1024

/* ---- packing ------------------------------------------------------------------- */

struct pack {
	struct archive *a;
	const struct tarball_limits *lim;
	unsigned entries;
	uint64_t total;
	char *err;
	size_t errlen;
};

static int name_cmp(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int pack_file(struct pack *p, const char *path, const char *name, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	char buf[65536];
	int fd = -1, rc = -1;
	ssize_t n;

	if (!e) {
		str_fmt(p->err, p->errlen, "out of memory");
		return -1;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_mtime(e, st->st_mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (S_ISDIR(st->st_mode)) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
	} else {
		if ((uint64_t)st->st_size > p->lim->max_file_bytes ||
		    (p->total += (uint64_t)st->st_size) > p->lim->max_total_bytes) {
			str_fmt(p->err, p->errlen, "%s: over the size limit", path);
			goto out;
		}
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			str_fmt(p->err, p->errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, st->st_size);
	}
	if (archive_write_header(p->a, e) != ARCHIVE_OK) {
		str_fmt(p->err, p->errlen, "%s: %s", name, archive_error_string(p->a));
		goto out;
	}
	while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
		if (archive_write_data(p->a, buf, (size_t)n) != n) {
			str_fmt(p->err, p->errlen, "%s: %s", name, archive_error_string(p->a));
			goto out;
		}
	if (fd >= 0 && n < 0) {
		str_fmt(p->err, p->errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	return rc;
}

/* dir/rel (rel "" at the top): every entry in name order, recursively. */
static int pack_dir(struct pack *p, const char *top, const char *rel, unsigned depth)
{
	struct dirent **names = NULL;
	char dir[MAX_PATH], path[MAX_PATH], name[MAX_PATH];
	int n, rc = 0;

	snprintf(dir, sizeof dir, "%s%s%s", top, *rel ? "/" : "", rel);
	if ((n = scandir(dir, &names, NULL, name_cmp)) < 0) {
		str_fmt(p->err, p->errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		struct stat st;

		if (rc || strcmp(d, ".") == 0 || strcmp(d, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, d) >= sizeof path ||
		    (size_t)snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", d) >= 100) {
			str_fmt(p->err, p->errlen, "%s/%s: name too long", dir, d);
			rc = -1;
		} else if (lstat(path, &st) < 0) {
			str_fmt(p->err, p->errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			str_fmt(p->err, p->errlen, "%s: not a plain file or directory "
				"(links and special files do not go into a bundle)", path);
			rc = -1;
		} else if (++p->entries > p->lim->max_entries ||
			   (S_ISDIR(st.st_mode) && depth + 1 > p->lim->max_depth)) {
			str_fmt(p->err, p->errlen, "%s: over the limit of %u entries, %u levels",
				path, p->lim->max_entries, p->lim->max_depth);
			rc = -1;
		} else if (pack_file(p, path, name, &st) < 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = pack_dir(p, top, name, depth + 1);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int tarball_pack(const char *dir, const char *out_path, const struct tarball_limits *lim,
		 char *err, size_t errlen)
{
	struct pack p = { .lim = lim, .err = err, .errlen = errlen };
	int rc = -1;

	if (!(p.a = archive_write_new())) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (archive_write_set_format_ustar(p.a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(p.a) != ARCHIVE_OK ||
	    archive_write_open_filename(p.a, out_path) != ARCHIVE_OK) {
		str_fmt(err, errlen, "%s: %s", out_path, archive_error_string(p.a));
		goto out;
	}
	if (pack_dir(&p, dir, "", 0) < 0)
		goto out;
	if (archive_write_close(p.a) != ARCHIVE_OK) {
		str_fmt(err, errlen, "%s: %s", out_path, archive_error_string(p.a));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(p.a);
	if (rc < 0)
		unlink(out_path);
	return rc;
}

/* ---- unpacking ----------------------------------------------------------------- */

/* Check name and split it into parts (in place, in buf). Returns the
 * number of parts, or -1 with why. "./" at the front and one "/" at the
 * end (a directory) are allowed; "." alone is the top (0 parts). */
static int split_name(const char *name, char *buf, size_t buflen, char *parts[],
		      unsigned max_parts, const char **why)
{
	size_t len = strlen(name);
	int n = 0;

	if (len == 0 || len >= buflen) {
		*why = len ? "name too long" : "empty name";
		return -1;
	}
	if (name[0] == '/') {
		*why = "an absolute name";
		return -1;
	}
	memcpy(buf, name, len + 1);
	if (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	char *s = buf;
	if (strcmp(s, ".") == 0)
		return 0;
	if (strncmp(s, "./", 2) == 0)
		s += 2;
	for (;;) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		if (!*s) {
			*why = "an empty part in the name";
			return -1;
		}
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
			*why = "'.' or '..' in the name";
			return -1;
		}
		for (const char *c = s; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				*why = "a control character in the name";
				return -1;
			}
		if ((unsigned)n >= max_parts) {
			*why = "nested too deep";
			return -1;
		}
		parts[n++] = s;
		if (!slash)
			return n;
		s = slash + 1;
	}
}

/* Open (making it if needed) the directory parts[0..n) below top. */
static int open_parent(int top, char *parts[], int n)
{
	int fd = dup(top);

	for (int i = 0; i < n && fd >= 0; i++) {
		if (mkdirat(fd, parts[i], 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

/* Copy the entry's data into a new file name below dir. */
static int unpack_file(struct archive *a, int dir, const char *name, const char *shown,
		       const struct tarball_limits *lim, uint64_t *total, char *err, size_t errlen)
{
	char buf[65536];
	uint64_t size = 0;
	ssize_t n;
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0) {
		str_fmt(err, errlen, "%s: %s", shown,
			errno == EEXIST ? "appears twice in the archive" : strerror(errno));
		return -1;
	}
	while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
		size += (uint64_t)n;
		*total += (uint64_t)n;
		if (size > lim->max_file_bytes || *total > lim->max_total_bytes) {
			str_fmt(err, errlen, "%s: over the size limit (%llu bytes a file, %llu in all)",
				shown, (unsigned long long)lim->max_file_bytes,
				(unsigned long long)lim->max_total_bytes);
			close(fd);
			return -1;
		}
		if (write(fd, buf, (size_t)n) != n) {
			str_fmt(err, errlen, "%s: %s", shown, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (n < 0) {
		str_fmt(err, errlen, "%s: %s", shown, archive_error_string(a));
		close(fd);
		return -1;
	}
	return close(fd) == 0 ? 0 : -1;
}

int tarball_unpack(const void *data, size_t n, const char *dest,
		   const struct tarball_limits *lim, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[MAX_PATH], *parts[16];
	unsigned entries = 0, max_parts = lim->max_depth + 1;
	uint64_t total = 0;
	int top = -1, rc = -1, r;

	if (max_parts > 16)
		max_parts = 16;
	if (!a) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	if ((top = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		str_fmt(err, errlen, "%s: %s", dest, strerror(errno));
		goto out;
	}
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, data, n) != ARCHIVE_OK) {
		str_fmt(err, errlen, "not a tar file: %s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *why = NULL;
		mode_t type = archive_entry_filetype(e);
		int np;

		if (!name)
			name = "(no name)";
		if (++entries > lim->max_entries) {
			str_fmt(err, errlen, "more than %u entries", lim->max_entries);
			goto out;
		}
		if (archive_entry_hardlink(e) || archive_entry_symlink(e))
			why = "a link (only plain files and directories)";
		else if (type != AE_IFREG && type != AE_IFDIR)
			why = "not a plain file or directory (devices, FIFOs and links are refused)";
		if (why || (np = split_name(name, buf, sizeof buf, parts, max_parts, &why)) < 0) {
			str_fmt(err, errlen, "%s: %s", name, why);
			goto out;
		}
		if (np == 0) {
			if (type != AE_IFDIR) {
				str_fmt(err, errlen, "%s: not a directory", name);
				goto out;
			}
			continue;
		}
		int dir = open_parent(top, parts, type == AE_IFDIR ? np : np - 1);
		if (dir < 0) {
			str_fmt(err, errlen, "%s: %s", name, strerror(errno));
			goto out;
		}
		int frc = type == AE_IFDIR ? 0
			: unpack_file(a, dir, parts[np - 1], name, lim, &total, err, errlen);
		close(dir);
		if (frc < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		str_fmt(err, errlen, "not a valid tar file: %s", archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	if (top >= 0)
		close(top);
	archive_read_free(a);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int tarball_remove_tree(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT ? -1 : 0;
}
