/*
 * conf.h - the one reader of the files an operator or a rule feed hands
 * vigil: vigil.conf, detectors.conf, suppress.conf, classification.config,
 * *.rules and indicator lists.
 *
 * Owns three layers, each usable alone:
 *  - opening: a file must be a regular file (a symlink to one is followed)
 *    of bounded size, opened without blocking (a FIFO, a directory or a
 *    device is refused with a reason before anything waits on it);
 *  - lines: one line at a time, its end of line (LF or CRLF) and a UTF-8
 *    byte order mark on line 1 removed, a line longer than the reader's
 *    bound or holding a NUL byte reported as "file:line: reason" and
 *    skipped, never cut in two or read to its end in memory;
 *  - INI: [section] headers and key = value lines, with the syntax that
 *    vigil.conf(5) describes once for every INI file.
 * and the value syntax every file shares: booleans, whole numbers, sizes
 * (powers of 1024: "100M" is 100 x 2^20 bytes wherever it is written),
 * durations and decimal numbers.
 *
 * Nothing here knows a setting's name or meaning; the callers do.
 */
#ifndef VIGIL_CONF_H
#define VIGIL_CONF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A problem in a file; line 0 when it is about the whole file. The same
 * shape as rule_problem_fn (alert.h). */
typedef void (*conf_problem_fn)(void *ctx, const char *file, int line, const char *msg);

/* The one form a problem is printed in: "file:line: reason" ("file:
 * reason" for line 0) and a newline, to the FILE * fp (NULL: nowhere). A
 * conf_problem_fn. */
void conf_print_problem(void *fp, const char *file, int line, const char *msg);

/* Format a problem (at most CONF_PROBLEM_MAX bytes) and hand it to
 * problem(ctx, ...); nothing when problem is NULL. */
#define CONF_PROBLEM_MAX 1536
void conf_vproblem(conf_problem_fn problem, void *ctx, const char *file, int line,
		   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Size bounds by kind of file (stated in vigil.conf(5) and rules/README.md). */
#define CONF_MAX_CONFIG   (1ULL << 20)   /* vigil.conf, detectors.conf, suppress.conf,
					    classification.config: 1 MiB */
#define CONF_MAX_RULES    (64ULL << 20)  /* one *.rules file: 64 MiB */
#define CONF_MAX_LIST     (256ULL << 20) /* one indicator list: 256 MiB */

/* Line bounds (bytes without the end of line). */
#define CONF_LINE_INI     4096           /* INI files, suppress.conf, classification.config */
#define CONF_LINE_RULES   65536          /* *.rules and indicator lists */

/* Open path for reading: refuse what is not a regular file or is larger
 * than max_bytes, without blocking (stat, then open with O_NONBLOCK and
 * fstat the descriptor, so a file swapped in between is caught too).
 * Returns a descriptor (O_CLOEXEC, blocking again) or -1 with why filled:
 * "not a regular file (a FIFO)", "too large (70 MiB; at most 64 MiB)",
 * or the system's reason. */
int conf_open(const char *path, uint64_t max_bytes, char *why, size_t whylen);

/* ---- lines ---------------------------------------------------------------- */

struct conf_lines {
	FILE *fp;
	const char *path;
	conf_problem_fn problem;  /* line and file problems go here */
	void *ctx;
	uint64_t max_bytes;       /* the file may not grow past this while read */
	uint64_t read_bytes;
	size_t max_line;
	char *buf;                /* max_line + 1 bytes */
	int line;                 /* number of the line last returned */
	int problems;             /* problems this reader reported */
	int done;
};

/* Open path (conf_open) for reading lines of at most max_line bytes. A
 * failure is reported as "file: reason" (line 0). Returns 0 or -1. */
int conf_lines_open(struct conf_lines *r, const char *path, uint64_t max_bytes,
		    size_t max_line, conf_problem_fn problem, void *ctx);

/* The next line: its length, *out pointing at it (NUL-terminated, valid
 * until the next call), r->line its number; -1 at the end of the file or
 * after a read error (reported). */
ssize_t conf_lines_next(struct conf_lines *r, char **out);

/* Close; returns the problems the reader reported (0: the file was read
 * whole and every line was fine). */
int conf_lines_close(struct conf_lines *r);

/* ---- INI ---------------------------------------------------------------------- */

/* One event of an INI file: a section header (key NULL) or a setting. */
struct conf_item {
	const char *file;
	int line;                 /* of the header, or of the key */
	const char *section;      /* "" before the first header */
	const char *key;          /* NULL for a section header */
	const char *value;        /* trimmed, without comment or quotes; lists
				     continued over indented lines are joined */
};

typedef void (*conf_ini_fn)(void *ctx, const struct conf_item *it);

/* Read path as INI, calling fn for every header and setting in file
 * order. Syntax problems are reported (and the line skipped); fn reports
 * its own problems (unknown names, bad values) through the same problem
 * function. Returns the problems the reader itself reported. */
int conf_ini_read(const char *path, uint64_t max_bytes, conf_ini_fn fn,
		  conf_problem_fn problem, void *ctx);

/* ---- values --------------------------------------------------------------------- */

/* Parsers return 0, CONF_EBAD (not the syntax) or CONF_ERANGE (the
 * syntax, but too large for 64 bits or out of [min, max]). */
#define CONF_EBAD   (-1)
#define CONF_ERANGE (-2)

/* yes/no, true/false, on/off, 1/0 (any case). */
int conf_parse_bool(const char *v, int *out);

/* A whole number of decimal digits (no sign, no unit) from min to max. */
int conf_parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out);

/* A size: bytes, or a whole number with K, M, G or T (powers of 1024; an
 * i and a B may follow: 64M = 64MB = 64MiB = 67108864), any case. */
int conf_parse_size(const char *v, uint64_t *bytes);

/* A duration: a whole number of seconds, or with ms, s, m, h, d or w. */
int conf_parse_duration_ms(const char *v, uint64_t *ms);

/* A decimal number: digits with an optional fraction (3.8), from min to max. */
int conf_parse_real(const char *v, double min, double max, double *out);

#endif
