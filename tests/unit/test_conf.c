/*
 * test_conf.c - the one configuration reader (conf.h): opening files that
 * are not regular files or are too large, the line reader's bounds, the
 * INI syntax every INI file shares, and the value parsers.
 *
 * Files are real files in a temporary directory (FIFOs, directories,
 * symlinks to /dev/zero included); every problem the reader reports is
 * collected with its line, so a test checks the exact "file:line: reason".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/conf.h"
#include "unit_tmpdir.h"

static char tmpdir[256];

/* ---- problems and INI events, collected ------------------------------------- */

struct probs {
	int n;
	int line[64];
	char msg[64][256];
	char file[64][300];
};

static void on_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct probs *p = ctx;

	if (p->n < 64) {
		p->line[p->n] = line;
		snprintf(p->msg[p->n], sizeof p->msg[0], "%s", msg);
		snprintf(p->file[p->n], sizeof p->file[0], "%s", file);
	}
	p->n++;
}

static void expect_problem(const struct probs *p, int line, const char *text)
{
	for (int i = 0; i < p->n && i < 64; i++)
		if (p->line[i] == line && strstr(p->msg[i], text))
			return;
	for (int i = 0; i < p->n && i < 64; i++)
		print_message("  problem %d: line %d: %s\n", i, p->line[i], p->msg[i]);
	fail_msg("no problem at line %d with '%s'", line, text);
}

struct items {
	struct probs probs;
	int n;
	int line[64];
	char section[64][64];
	char key[64][64];       /* "" for a section header */
	char value[64][512];
};

static void on_item(void *ctx, const struct conf_item *it)
{
	struct items *s = ctx;

	if (s->n < 64) {
		s->line[s->n] = it->line;
		snprintf(s->section[s->n], sizeof s->section[0], "%s", it->section);
		snprintf(s->key[s->n], sizeof s->key[0], "%s", it->key ? it->key : "");
		snprintf(s->value[s->n], sizeof s->value[0], "%s", it->value ? it->value : "");
	}
	s->n++;
}

static void on_item_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct items *s = ctx;
	on_problem(&s->probs, file, line, msg);
}

/* ---- files ------------------------------------------------------------------ */

static const char *tpath(const char *name)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
	return p;
}

static const char *write_bytes(const char *name, const void *data, size_t n)
{
	const char *path = tpath(name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *write_text(const char *name, const char *text)
{
	return write_bytes(name, text, strlen(text));
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(tmpdir_make(tmpdir, "conf"), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

/* Read path as INI into s (cleared first). */
static int read_ini(const char *path, struct items *s)
{
	memset(s, 0, sizeof *s);
	return conf_ini_read(path, CONF_MAX_CONFIG, on_item, on_item_problem, s);
}

/* ---- opening ------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A FIFO without a writer: refused at once (a plain open would block
 * until someone writes, for ever). */
static void test_open_fifo(void **state)
{
	const char *path = tpath("zz.rules");
	char why[256];
	double t0;
	int fd;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	t0 = now_s();
	fd = conf_open(path, CONF_MAX_RULES, why, sizeof why);
	assert_int_equal(fd, -1);
	assert_string_equal(why, "not a regular file (a FIFO)");
	assert_true(now_s() - t0 < 5.0); /* it returned: it did not wait on a writer */
}

static void test_open_directory_device_dangling(void **state)
{
	char why[256];
	const char *dir = tpath("local.rules"), *zero = tpath("zero.rules");
	const char *dangling = tpath("dangling.rules");

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(conf_open(dir, CONF_MAX_RULES, why, sizeof why), -1);
	assert_string_equal(why, "not a regular file (a directory)");
	assert_int_equal(errno, EISDIR);

	assert_int_equal(symlink("/dev/zero", zero), 0);
	assert_int_equal(conf_open(zero, CONF_MAX_RULES, why, sizeof why), -1);
	assert_string_equal(why, "not a regular file (a character device)");

	assert_int_equal(symlink(tpath("nothing-here"), dangling), 0);
	assert_int_equal(conf_open(dangling, CONF_MAX_RULES, why, sizeof why), -1);
	assert_string_equal(why, "cannot open: No such file or directory");
	assert_int_equal(errno, ENOENT);
}

/* A symlink to a regular file is followed (decided: rule feeds install
 * that way); the size bound is on the file it points to. */
static void test_open_symlink_and_size(void **state)
{
	char why[256];
	const char *real = write_text("real.rules", "0123456789"), *link = tpath("link.rules");
	int fd;

	(void)state;
	assert_int_equal(symlink(real, link), 0);
	fd = conf_open(link, 10, why, sizeof why);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(conf_open(link, 9, why, sizeof why), -1);
	assert_string_equal(why, "too large (10 bytes; at most 9 bytes)");
	assert_int_equal(errno, EFBIG);
}

/* An oversize file is refused from its size, before reading a byte. */
static void test_open_oversize(void **state)
{
	const char *path = tpath("big.rules");
	struct conf_lines lr;
	struct probs p = { 0 };
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CONF_MAX_RULES + 1), 0); /* sparse: costs no disk */
	close(fd);
	assert_int_equal(conf_lines_open(&lr, path, CONF_MAX_RULES, CONF_LINE_RULES, on_problem, &p), -1);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.line[0], 0);
	assert_string_equal(p.file[0], path);
	assert_string_equal(p.msg[0], "too large (64.1 MiB; at most 64 MiB)");
	assert_int_equal(conf_lines_close(&lr), 1);
}

/* ---- lines ------------------------------------------------------------------------ */

static void test_lines_ends_bom_nul_long(void **state)
{
	static const char data[] = "\xEF\xBB\xBF" "first\r\n"
				   "\n"
				   "with\0nul\n"
				   "0123456789abcdef\n"     /* 16 bytes: too long for a bound of 15 */
				   "0123456789abcde\r\n"    /* 15 + CR: fits */
				   "last, no newln";
	struct conf_lines lr;
	struct probs p = { 0 };
	char *line;

	(void)state;
	const char *path = write_bytes("lines.txt", data, sizeof data - 1);
	assert_int_equal(conf_lines_open(&lr, path, 1000, 15, on_problem, &p), 0);
	assert_int_equal(conf_lines_next(&lr, &line), 5);
	assert_string_equal(line, "first");
	assert_int_equal(lr.line, 1);
	assert_int_equal(conf_lines_next(&lr, &line), 0);
	assert_int_equal(lr.line, 2);
	assert_int_equal(conf_lines_next(&lr, &line), 15);
	assert_string_equal(line, "0123456789abcde");
	assert_int_equal(lr.line, 5);
	assert_int_equal(conf_lines_next(&lr, &line), 14);
	assert_string_equal(line, "last, no newln");
	assert_int_equal(lr.line, 6);
	assert_int_equal(conf_lines_next(&lr, &line), -1);
	assert_int_equal(conf_lines_next(&lr, &line), -1);
	assert_int_equal(conf_lines_close(&lr), 2);
	expect_problem(&p, 3, "NUL byte in the line");
	expect_problem(&p, 4, "line longer than 15 bytes");
	assert_int_equal(p.n, 2);
}

/* A line of 10 MB costs the bound in memory and one problem, and the
 * lines after it are read. */
static void test_lines_very_long(void **state)
{
	size_t big = 10u << 20;
	char *data = malloc(big + 32), *line;
	struct conf_lines lr;
	struct probs p = { 0 };

	(void)state;
	assert_non_null(data);
	memset(data, 'x', big);
	memcpy(data + big, "\nnext\n", 6);
	const char *path = write_bytes("long.txt", data, big + 6);
	free(data);
	assert_int_equal(conf_lines_open(&lr, path, CONF_MAX_RULES, CONF_LINE_RULES, on_problem, &p), 0);
	assert_int_equal(conf_lines_next(&lr, &line), 4);
	assert_string_equal(line, "next");
	assert_int_equal(lr.line, 2);
	assert_int_equal(conf_lines_next(&lr, &line), -1);
	conf_lines_close(&lr);
	assert_int_equal(p.n, 1);
	expect_problem(&p, 1, "line longer than 65536 bytes");
}

/* A file that grows past its bound while it is read stops at the bound. */
static void test_lines_file_grows(void **state)
{
	const char *path = write_text("grows.txt", "a\nb\n");
	struct conf_lines lr;
	struct probs p = { 0 };
	char *line;
	FILE *f;
	int n = 0;

	(void)state;
	assert_int_equal(conf_lines_open(&lr, path, 4, 100, on_problem, &p), 0);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("c\nd\n", f);
	fclose(f);
	while (conf_lines_next(&lr, &line) >= 0)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(conf_lines_close(&lr), 1);
	expect_problem(&p, 0, "grew past 4 bytes while being read");
}

/* ---- INI ----------------------------------------------------------------------------- */

static void test_ini_syntax(void **state)
{
	static const char text[] =
		"\xEF\xBB\xBF# comment\n"                    /* 1 */
		"; another\n"                                /* 2 */
		"  [ Capture ]   # a header\n"               /* 3 */
		"interface = lo, eth0   # inline\n"          /* 4 */
		"    snaplen=128;not a comment\n"            /* 5 */
		"  loop = yes ; a comment\n"                 /* 6 */
		"user = \"\"\n"                               /* 7 */
		"path = \" a # b ; c \"  # kept as written\n" /* 8 */
		"list = a,\n"                                /* 9 */
		"   b,   # comment\n"                        /* 10 */
		"\n"                                         /* 11 */
		"# between\n"                                /* 12 */
		"\tc\n"                                      /* 13 */
		"empty =\n"                                  /* 14 */
		"url = http://x/#frag\n"                     /* 15 */
		"[web]\n";                                   /* 16 */
	struct items s;

	(void)state;
	assert_int_equal(read_ini(write_text("good.ini", text), &s), 0);
	assert_int_equal(s.probs.n, 0);
	assert_int_equal(s.n, 10);
	assert_string_equal(s.section[0], "Capture");
	assert_string_equal(s.key[0], "");
	assert_int_equal(s.line[0], 3);
	assert_string_equal(s.key[1], "interface");
	assert_string_equal(s.value[1], "lo, eth0");
	assert_int_equal(s.line[1], 4);
	assert_string_equal(s.key[2], "snaplen");
	assert_string_equal(s.value[2], "128;not a comment");
	assert_string_equal(s.value[3], "yes");
	assert_string_equal(s.key[4], "user");
	assert_string_equal(s.value[4], "");
	assert_string_equal(s.value[5], " a # b ; c ");
	assert_string_equal(s.key[6], "list");
	assert_string_equal(s.value[6], "a, b, c");
	assert_int_equal(s.line[6], 9);
	assert_string_equal(s.key[7], "empty");
	assert_string_equal(s.value[7], "");
	assert_string_equal(s.value[8], "http://x/#frag");
	assert_string_equal(s.section[9], "web");
	assert_int_equal(s.line[9], 16);
}

static void test_ini_problems(void **state)
{
	static const char text[] =
		"early = 1\n"                                /* 1 */
		"[ok]\n"                                     /* 2 */
		"a = 1\n"                                    /* 3 */
		"   indented without a comma before\n"       /* 4 */
		"no equals sign\n"                           /* 5 */
		"[broken\n"                                  /* 6 */
		"hidden = 1\n"                               /* 7: under a broken header */
		"[bad name!]\n"                              /* 8 */
		"[ok2] trailing\n"                           /* 9 */
		"[ok3]\n"                                    /* 10 */
		"bad key! = 1\n"                             /* 11 */
		"= 1\n"                                      /* 12 */
		"q = \"open\n"                               /* 13 */
		"q2 = \"x\" y\n"                             /* 14 */
		"b = 2\n";                                   /* 15 */
	struct items s;

	(void)state;
	assert_int_equal(read_ini(write_text("bad.ini", text), &s), 10);
	expect_problem(&s.probs, 1, "setting 'early' outside a section");
	expect_problem(&s.probs, 4, "syntax error: expected 'key = value' or '[section]', got "
		       "'indented without a comma before' (a list goes on over an indented line "
		       "after a trailing comma)");
	expect_problem(&s.probs, 5, "syntax error: expected 'key = value' or '[section]', got "
		       "'no equals sign'");
	expect_problem(&s.probs, 6, "syntax error: section header without ']'");
	expect_problem(&s.probs, 8, "syntax error: bad section name 'bad name!'");
	expect_problem(&s.probs, 9, "syntax error: text after the section header");
	expect_problem(&s.probs, 11, "syntax error: bad setting name 'bad key!'");
	expect_problem(&s.probs, 12, "syntax error: bad setting name ''");
	expect_problem(&s.probs, 13, "syntax error: q: no closing '\"'");
	expect_problem(&s.probs, 14, "syntax error: q2: text after the closing '\"'");
	assert_int_equal(s.probs.n, 10);
	/* what is fine is still delivered, in order */
	assert_int_equal(s.n, 4);
	assert_string_equal(s.section[0], "ok");
	assert_string_equal(s.key[1], "a");
	assert_string_equal(s.value[1], "1");
	assert_string_equal(s.section[2], "ok3");
	assert_string_equal(s.key[3], "b");
	assert_int_equal(s.line[3], 15);
	/* a value ending in a comma before a line that is not indented: the
	 * list is delivered as it is (its parser sees the empty item) */
}

static void test_ini_long_and_nul_lines(void **state)
{
	char *text = malloc(20000);
	struct items s;
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	n += (size_t)sprintf(text + n, "[s]\nk = ");
	memset(text + n, 'v', 5000);
	n += 5000;
	n += (size_t)sprintf(text + n, "\nnul = a");
	text[n++] = '\0';
	n += (size_t)sprintf(text + n, "b\nlast = 1\n");
	assert_int_equal(read_ini(write_bytes("long.ini", text, n), &s), 2);
	free(text);
	expect_problem(&s.probs, 2, "line longer than 4096 bytes");
	expect_problem(&s.probs, 3, "NUL byte in the line");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key[1], "last");
	assert_int_equal(s.line[1], 4);
}

/* A list continued over many lines stops at a bound, with a problem. */
static void test_ini_value_bound(void **state)
{
	char *text = malloc(1 << 20);
	struct items s;
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	n += (size_t)sprintf(text + n, "[s]\nlist = a,\n");
	for (int i = 0; i < 2000; i++)
		n += (size_t)sprintf(text + n, "  item%04d,\n", i);
	n += (size_t)sprintf(text + n, "  end\nafter = 1\n");
	assert_int_equal(read_ini(write_bytes("list.ini", text, n), &s), 1);
	free(text);
	expect_problem(&s.probs, 2, "value of 'list' longer than 16383 bytes");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.key[1], "after");
}

static void test_ini_not_a_file(void **state)
{
	struct items s;
	const char *fifo = tpath("vigil.conf");

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(read_ini(fifo, &s), 1);
	expect_problem(&s.probs, 0, "not a regular file (a FIFO)");
	assert_string_equal(s.probs.file[0], fifo);
	assert_int_equal(s.n, 0);
	assert_int_equal(read_ini(tpath("missing.conf"), &s), 1);
	expect_problem(&s.probs, 0, "cannot open: No such file or directory");
}

/* ---- values ------------------------------------------------------------------------------ */

static void test_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "True", "on", "1" };
	static const char *const no[] = { "no", "False", "OFF", "0" };
	static const char *const bad[] = { "", " yes", "yes ", "y", "2", "-1", "enabled", "nope" };
	int v;

	(void)state;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		v = -1;
		assert_int_equal(conf_parse_bool(yes[i], &v), 0);
		assert_int_equal(v, 1);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		v = -1;
		assert_int_equal(conf_parse_bool(no[i], &v), 0);
		assert_int_equal(v, 0);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		assert_int_equal(conf_parse_bool(bad[i], &v), CONF_EBAD);
		assert_int_equal(v, 7); /* untouched */
	}
}

static void test_parse_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(conf_parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conf_parse_u64("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(conf_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(conf_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), CONF_ERANGE);
	assert_int_equal(conf_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), CONF_ERANGE);
	assert_int_equal(conf_parse_u64("11", 0, 10, &v), CONF_ERANGE);
	assert_int_equal(conf_parse_u64("1", 2, 10, &v), CONF_ERANGE);
	assert_int_equal(conf_parse_u64("", 0, 10, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64("-1", 0, 10, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64("+1", 0, 10, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64(" 1", 0, 10, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64("1 ", 0, 10, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64("1k", 0, 10000, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64("0x10", 0, 100, &v), CONF_EBAD);
	assert_int_equal(conf_parse_u64("1.0", 0, 100, &v), CONF_EBAD);
}

static void test_parse_size(void **state)
{
	static const struct { const char *in; uint64_t bytes; } ok[] = {
		{ "0", 0 }, { "512", 512 }, { "512B", 512 }, { "1K", 1024 }, { "1k", 1024 },
		{ "1KB", 1024 }, { "1KiB", 1024 }, { "1kib", 1024 }, { "100M", 100ULL << 20 },
		{ "100 M", 100ULL << 20 }, { "100MB", 100ULL << 20 }, { "100MiB", 100ULL << 20 },
		{ "2G", 2ULL << 30 }, { "3T", 3ULL << 40 }, { "16777215T", 16777215ULL << 40 },
		{ "18446744073709551615", UINT64_MAX }, { "18446744073709551615B", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "M", "-1", "-1M", "+1M", "1.5M", "1X", "1MM", "1MiBB", "1iB", "1 M B", "M1",
		"1E", "1P", "0x10", " 1M", "1M ", "1 2", "1 ",
	};
	static const char *const range[] = {
		"16777216T", "18446744073709551616", "17179869184G", "99999999999999999999999K",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		v = 1;
		if (conf_parse_size(ok[i].in, &v) != 0 || v != ok[i].bytes)
			fail_msg("'%s': got %llu", ok[i].in, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (conf_parse_size(bad[i], &v) != CONF_EBAD)
			fail_msg("'%s' accepted as a size", bad[i]);
	for (size_t i = 0; i < sizeof range / sizeof range[0]; i++)
		if (conf_parse_size(range[i], &v) != CONF_ERANGE)
			fail_msg("'%s' is not out of range", range[i]);
}

static void test_parse_duration(void **state)
{
	static const struct { const char *in; uint64_t ms; } ok[] = {
		{ "0", 0 }, { "60", 60000 }, { "60s", 60000 }, { "60 s", 60000 }, { "500ms", 500 },
		{ "2m", 120000 }, { "12h", 43200000 }, { "30d", 2592000000ULL },
		{ "2w", 1209600000ULL }, { "18446744073709551615ms", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "s", "-1", "-1s", "1.5h", "1x", "1H", "1S", "1mss", "1sec", "1min", "1 ", " 1",
		"1y", "ms",
	};
	static const char *const range[] = {
		"18446744073709551615s", "30500568905w", "99999999999999999999999",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		v = 1;
		if (conf_parse_duration_ms(ok[i].in, &v) != 0 || v != ok[i].ms)
			fail_msg("'%s': got %llu ms", ok[i].in, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (conf_parse_duration_ms(bad[i], &v) != CONF_EBAD)
			fail_msg("'%s' accepted as a duration", bad[i]);
	for (size_t i = 0; i < sizeof range / sizeof range[0]; i++)
		if (conf_parse_duration_ms(range[i], &v) != CONF_ERANGE)
			fail_msg("'%s' is not out of range", range[i]);
}

static void test_parse_real(void **state)
{
	double v = 0;

	(void)state;
	assert_int_equal(conf_parse_real("3.8", 0, 8, &v), 0);
	assert_true(v > 3.79 && v < 3.81);
	assert_int_equal(conf_parse_real("0", 0, 8, &v), 0);
	assert_int_equal(conf_parse_real("8", 0, 8, &v), 0);
	assert_int_equal(conf_parse_real("8.5", 0, 8, &v), CONF_ERANGE);
	assert_int_equal(conf_parse_real("1" "00000000000000000000000000000000000000000000000000"
					 "00000000000000000000000000000000000000000000000000"
					 "00000000000000000000000000000000000000000000000000"
					 "00000000000000000000000000000000000000000000000000"
					 "00000000000000000000000000000000000000000000000000"
					 "00000000000000000000000000000000000000000000000000"
					 "00000000000000000000000000000000000000000000000000", 0, 1e300, &v),
			 CONF_ERANGE);
	static const char *const bad[] = { "", "-1", "+1", ".5", "5.", "1e3", "inf", "nan",
					   "0x1p3", " 1", "1 ", "1,5", "1..2" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (conf_parse_real(bad[i], 0, 1e9, &v) != CONF_EBAD)
			fail_msg("'%s' accepted as a number", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_fifo),
		cmocka_unit_test(test_open_directory_device_dangling),
		cmocka_unit_test(test_open_symlink_and_size),
		cmocka_unit_test(test_open_oversize),
		cmocka_unit_test(test_lines_ends_bom_nul_long),
		cmocka_unit_test(test_lines_very_long),
		cmocka_unit_test(test_lines_file_grows),
		cmocka_unit_test(test_ini_syntax),
		cmocka_unit_test(test_ini_problems),
		cmocka_unit_test(test_ini_long_and_nul_lines),
		cmocka_unit_test(test_ini_value_bound),
		cmocka_unit_test(test_ini_not_a_file),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_real),
	};

	return cmocka_run_group_tests(tests, setup, group_teardown);
}
