/*
 * tarball.h - a directory to a tar file and a tar file, held in memory,
 * back to a directory, with libarchive, safely.
 *
 * Owns: which tar entries may be unpacked - plain files and directories
 * only (no symbolic or hard links, devices, FIFOs), relative names
 * without ".." or empty parts, a bounded depth, count and size - and how:
 * into a directory the caller has just made, files created with O_EXCL
 * and O_NOFOLLOW, nothing outside it. Anything else refuses the whole
 * archive with the entry's name and the reason. Only the POSIX tar
 * formats are read (no compression filters: the bundle is small and
 * every filter is more code that reads hostile input).
 */
#ifndef VIGIL_TARBALL_H
#define VIGIL_TARBALL_H

#include <stddef.h>
#include <stdint.h>

struct tarball_limits {
	unsigned max_entries;     /* files and directories */
	uint64_t max_file_bytes;  /* one file */
	uint64_t max_total_bytes; /* all files */
	unsigned max_depth;       /* directories below the top */
};

/* The limits a rule bundle gets: 4096 entries, 32 MiB a file, 64 MiB in
 * all, 4 levels. */
extern const struct tarball_limits TARBALL_RULES_LIMITS;

/* Write the files and directories below dir (not dir itself) into a tar
 * at out_path (replaced), names in order, owner root, modes 0644/0755.
 * A symbolic link or other special file below dir is an error. 0, or -1
 * with err filled. */
int tarball_pack(const char *dir, const char *out_path, const struct tarball_limits *lim,
		 char *err, size_t errlen);

/* Unpack n bytes of tar at data into dest (an existing, empty directory
 * the caller made). 0, or -1 with err filled ("ioc/../x: '..' in a
 * name"); on failure dest may hold part of the archive (the caller
 * removes it: tarball_remove_tree). */
int tarball_unpack(const void *data, size_t n, const char *dest,
		   const struct tarball_limits *lim, char *err, size_t errlen);

/* Remove dir and everything below it (not following links). 0 or -1. */
int tarball_remove_tree(const char *dir);

#endif
