/*
 * conf.c - the one reader of configuration and rule-set files (see conf.h).
 *
 * Opening: stat() refuses what is not a regular file before anything is
 * opened (opening a device can have side effects: a tape rewinds), then
 * open(O_NONBLOCK) never waits (a FIFO without a writer would block a
 * plain open forever), and fstat() of the descriptor decides: a file
 * swapped for a FIFO between the two calls is caught there.
 *
 * Lines: read byte by byte from stdio's buffer into a buffer of the
 * reader's bound, so a line of a gigabyte costs max_line bytes of memory
 * and one "line too long" problem. The byte count is checked against the
 * size bound as well, so a file that grows while it is read (an appending
 * feed) stops at the bound with a problem instead of being read forever.
 *
 * INI (the one syntax of vigil.conf and detectors.conf):
 *   - lines are "[section]", "key = value", blank, or a comment starting
 *     with '#' or ';'; leading and trailing white space never matters;
 *   - in a value, '#' or ';' after white space starts a comment;
 *   - a value in double quotes is taken as it is (comments, leading and
 *     trailing blanks included): user = "" is empty;
 *   - a value ending with ',' goes on over the following indented lines
 *     (a list); any other line without '=' is a problem;
 *   - section and setting names are letters, digits, '_', '-' and '.'.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_NAME_MAX 64          /* section and setting names */
#define CONF_VALUE_MAX 16384      /* a value with its continuation lines */

/* ---- opening -------------------------------------------------------------- */

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m)) return "a directory";
	if (S_ISFIFO(m)) return "a FIFO";
	if (S_ISCHR(m)) return "a character device";
	if (S_ISBLK(m)) return "a block device";
	if (S_ISSOCK(m)) return "a socket";
	return "not a file";
}

/* "512 bytes", "3 KiB", "64.1 MiB": one decimal at most, rounded up so
 * that a file one byte over a bound never reads as within it. */
static void format_size(char *out, size_t len, uint64_t n)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	uint64_t div = 1, tenths;
	int u = 0;

	while (u < 4 && n / div >= 1024) {
		div *= 1024;
		u++;
	}
	if (u == 0) {
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
		return;
	}
	tenths = n / div * 10 + ((n % div) * 10 + div - 1) / div;
	if (tenths % 10)
		snprintf(out, len, "%llu.%llu %s", (unsigned long long)(tenths / 10),
			 (unsigned long long)(tenths % 10), unit[u]);
	else
		snprintf(out, len, "%llu %s", (unsigned long long)(tenths / 10), unit[u]);
}

/* The checks both stat() and fstat() make. */
static int check_stat(const struct stat *st, uint64_t max_bytes, char *why, size_t whylen)
{
	char have[32], most[32];

	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "not a regular file (%s)", file_kind(st->st_mode));
		errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	if ((uint64_t)st->st_size > max_bytes) {
		format_size(have, sizeof have, (uint64_t)st->st_size);
		format_size(most, sizeof most, max_bytes);
		snprintf(why, whylen, "too large (%s; at most %s)", have, most);
		errno = EFBIG;
		return -1;
	}
	return 0;
}

int conf_open(const char *path, uint64_t max_bytes, char *why, size_t whylen)
{
	struct stat st;
	int fd, fl;

	why[0] = '\0';
	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (check_stat(&st, max_bytes, why, whylen) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || check_stat(&st, max_bytes, why, whylen) < 0) {
		int e = errno;
		if (!why[0])
			snprintf(why, whylen, "cannot open: %s", strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	/* a regular file never blocks; clear the flag for stdio's sake */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* ---- problems ---------------------------------------------------------------- */

void conf_print_problem(void *fp, const char *file, int line, const char *msg)
{
	if (!fp)
		return;
	if (line > 0)
		fprintf(fp, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(fp, "%s: %s\n", file, msg);
}

void conf_vproblem(conf_problem_fn problem, void *ctx, const char *file, int line,
		   const char *fmt, va_list ap)
{
	char msg[CONF_PROBLEM_MAX];

	if (!problem)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	problem(ctx, file, line, msg);
}

/* ---- lines ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void lines_problem(struct conf_lines *r, int line, const char *fmt, ...)
{
	va_list ap;

	r->problems++;
	va_start(ap, fmt);
	conf_vproblem(r->problem, r->ctx, r->path, line, fmt, ap);
	va_end(ap);
}

int conf_lines_open(struct conf_lines *r, const char *path, uint64_t max_bytes,
		    size_t max_line, conf_problem_fn problem, void *ctx)
{
	char why[256];
	int fd;

	memset(r, 0, sizeof *r);
	r->path = path;
	r->problem = problem;
	r->ctx = ctx;
	r->max_bytes = max_bytes;
	r->max_line = max_line;
	r->done = 1;
	fd = conf_open(path, max_bytes, why, sizeof why);
	if (fd < 0) {
		int e = errno;
		lines_problem(r, 0, "%s", why);
		errno = e;
		return -1;
	}
	r->fp = fdopen(fd, "r");
	r->buf = malloc(max_line + 2);
	if (!r->fp || !r->buf) {
		if (r->fp)
			fclose(r->fp);
		else
			close(fd);
		r->fp = NULL;
		free(r->buf);
		r->buf = NULL;
		lines_problem(r, 0, "out of memory");
		return -1;
	}
	r->done = 0;
	return 0;
}

ssize_t conf_lines_next(struct conf_lines *r, char **out)
{
	while (!r->done) {
		size_t n = 0;
		int c = EOF, any = 0, nul = 0, over = 0;

		while ((c = getc_unlocked(r->fp)) != EOF) {
			any = 1;
			if (++r->read_bytes > r->max_bytes) {
				char most[32];
				format_size(most, sizeof most, r->max_bytes);
				lines_problem(r, 0, "grew past %s while being read", most);
				r->done = 1;
				return -1;
			}
			if (c == '\n')
				break;
			if (c == '\0')
				nul = 1;
			if (n <= r->max_line) /* one more than the bound: a CR may end it */
				r->buf[n++] = (char)c;
			else
				over = 1;
		}
		if (c == EOF) {
			r->done = 1;
			if (ferror(r->fp)) {
				lines_problem(r, 0, "read error: %s", strerror(errno));
				return -1;
			}
			if (!any)
				return -1;
		}
		r->line++;
		if (!over && n && r->buf[n - 1] == '\r')
			n--;
		if (over || n > r->max_line) {
			lines_problem(r, r->line, "line longer than %zu bytes", r->max_line);
			continue;
		}
		if (nul) {
			lines_problem(r, r->line, "NUL byte in the line");
			continue;
		}
		r->buf[n] = '\0';
		if (r->line == 1 && n >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
			memmove(r->buf, r->buf + 3, n - 2);
			n -= 3;
		}
		*out = r->buf;
		return (ssize_t)n;
	}
	return -1;
}

int conf_lines_close(struct conf_lines *r)
{
	if (r->fp)
		fclose(r->fp);
	free(r->buf);
	r->fp = NULL;
	r->buf = NULL;
	r->done = 1;
	return r->problems;
}

/* ---- INI ------------------------------------------------------------------ */

struct ini {
	struct conf_lines lr;
	conf_ini_fn fn;
	void *ctx;
	char section[CONF_NAME_MAX];
	int skip;                 /* after a broken header: its keys are not read */
	/* the setting read last, handed to fn once no continuation follows */
	int pending;
	int pending_line;
	char key[CONF_NAME_MAX];
	char value[CONF_VALUE_MAX];
	size_t vlen;
	int too_long;
};

static int is_space(int c)
{
	return c == ' ' || c == '\t';
}

static int is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* s[0..n) is a section or setting name. */
static int is_name(const char *s, size_t n)
{
	if (n == 0 || n >= CONF_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Trim white space at both ends, in place. */
static char *trim(char *s)
{
	char *e;

	while (is_space((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The value part of a line (after '=', or a continuation line): quotes
 * and comments handled, in place. NULL and *why set on a syntax error. */
static char *ini_value(char *v, const char **why)
{
	v = trim(v);
	if (*v == '"') {
		char *end = strchr(v + 1, '"'), *rest;
		if (!end) {
			*why = "no closing '\"'";
			return NULL;
		}
		*end = '\0';
		rest = trim(end + 1);
		if (*rest && *rest != '#' && *rest != ';') {
			*why = "text after the closing '\"'";
			return NULL;
		}
		return v + 1;
	}
	for (char *p = v; *p; p++)
		if ((*p == '#' || *p == ';') && (p == v || is_space((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	return trim(v);
}

/* Hand the pending setting to the caller. */
static void ini_flush(struct ini *p)
{
	struct conf_item it;

	if (!p->pending)
		return;
	p->pending = 0;
	if (p->too_long) {
		lines_problem(&p->lr, p->pending_line, "value of '%s' longer than %d bytes", p->key,
			      CONF_VALUE_MAX - 1);
		return;
	}
	it.file = p->lr.path;
	it.line = p->pending_line;
	it.section = p->section;
	it.key = p->key;
	it.value = p->value;
	p->fn(p->ctx, &it);
}

static void ini_append(struct ini *p, const char *s)
{
	size_t n = strlen(s);

	if (p->vlen + n + 1 >= sizeof p->value) {
		p->too_long = 1;
		return;
	}
	if (p->vlen && n)
		p->value[p->vlen++] = ' ';
	memcpy(p->value + p->vlen, s, n + 1);
	p->vlen += n;
}

static void ini_header(struct ini *p, char *t)
{
	char *end = strchr(t, ']'), *name, *rest;
	struct conf_item it;

	p->skip = 1;
	if (!end) {
		lines_problem(&p->lr, p->lr.line, "syntax error: section header without ']'");
		return;
	}
	*end = '\0';
	rest = trim(end + 1);
	if (*rest && *rest != '#' && *rest != ';') {
		lines_problem(&p->lr, p->lr.line, "syntax error: text after the section header");
		return;
	}
	name = trim(t + 1);
	if (!is_name(name, strlen(name))) {
		lines_problem(&p->lr, p->lr.line, "syntax error: bad section name '%.60s'", name);
		return;
	}
	p->skip = 0;
	snprintf(p->section, sizeof p->section, "%s", name);
	it.file = p->lr.path;
	it.line = p->lr.line;
	it.section = p->section;
	it.key = NULL;
	it.value = NULL;
	p->fn(p->ctx, &it);
}

static void ini_line(struct ini *p, char *line)
{
	int indented = is_space((unsigned char)line[0]);
	char *t = trim(line), *eq, *key, *v;
	const char *why = NULL;

	if (!*t || *t == '#' || *t == ';')
		return; /* a comment does not end a list going on */
	if (*t == '[') {
		ini_flush(p);
		ini_header(p, t);
		return;
	}
	eq = strchr(t, '=');
	if (!eq) {
		if (indented && p->pending && p->vlen && p->value[p->vlen - 1] == ',') {
			if (!(v = ini_value(t, &why)))
				lines_problem(&p->lr, p->lr.line, "%s", why);
			else
				ini_append(p, v);
			return;
		}
		ini_flush(p);
		lines_problem(&p->lr, p->lr.line, "syntax error: expected 'key = value' or '[section]', got '%.60s'%s",
			      t, indented ? " (a list goes on over an indented line after a "
			      "trailing comma)" : "");
		return;
	}
	ini_flush(p);
	*eq = '\0';
	key = trim(t);
	if (!is_name(key, strlen(key))) {
		lines_problem(&p->lr, p->lr.line, "syntax error: bad setting name '%.60s'", key);
		return;
	}
	if (!(v = ini_value(eq + 1, &why))) {
		lines_problem(&p->lr, p->lr.line, "syntax error: %s: %s", key, why);
		return;
	}
	if (p->skip)
		return; /* reported at the broken header */
	if (!p->section[0]) {
		lines_problem(&p->lr, p->lr.line, "setting '%s' outside a section", key);
		return;
	}
	p->pending = 1;
	p->pending_line = p->lr.line;
	p->too_long = 0;
	p->vlen = 0;
	p->value[0] = '\0';
	snprintf(p->key, sizeof p->key, "%s", key);
	ini_append(p, v);
}

int conf_ini_read(const char *path, uint64_t max_bytes, conf_ini_fn fn,
		  conf_problem_fn problem, void *ctx)
{
	struct ini *p = calloc(1, sizeof *p);
	char *line;
	int problems;

	if (!p) {
		if (problem)
			problem(ctx, path, 0, "out of memory");
		return 1;
	}
	p->fn = fn;
	p->ctx = ctx;
	if (conf_lines_open(&p->lr, path, max_bytes, CONF_LINE_INI, problem, ctx) < 0) {
		free(p);
		return 1;
	}
	while (conf_lines_next(&p->lr, &line) >= 0)
		ini_line(p, line);
	ini_flush(p);
	problems = conf_lines_close(&p->lr);
	free(p);
	return problems;
}

/* ---- values ------------------------------------------------------------------ */

int conf_parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return CONF_EBAD;
}

/* Leading decimal digits of *s into *n, *s moved past them. CONF_EBAD
 * without a digit, CONF_ERANGE past 64 bits. */
static int digits(const char **s, uint64_t *n)
{
	const char *p = *s;
	uint64_t v = 0;
	int range = 0;

	if (*p < '0' || *p > '9')
		return CONF_EBAD;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			range = 1;
		else
			v = v * 10 + d;
	}
	*s = p;
	*n = v;
	return range ? CONF_ERANGE : 0;
}

int conf_parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n;
	int rc = digits(&v, &n);

	if (rc == CONF_EBAD || *v)
		return CONF_EBAD;
	if (rc == CONF_ERANGE || n < min || n > max)
		return CONF_ERANGE;
	*out = n;
	return 0;
}

/* Blanks between a number and its unit are fine ("100 M"); trailing
 * ones are not. Returns 0 when blanks end the text. */
static int skip_to_unit(const char **v)
{
	const char *p = *v;

	while (is_space((unsigned char)*p))
		p++;
	if (p != *v && !*p)
		return 0;
	*v = p;
	return 1;
}

int conf_parse_size(const char *v, uint64_t *bytes)
{
	uint64_t n, mult = 1;
	int rc = digits(&v, &n);

	if (rc == CONF_EBAD || !skip_to_unit(&v))
		return CONF_EBAD;
	switch (*v) {
	case 'k': case 'K': mult = 1ULL << 10; v++; break;
	case 'm': case 'M': mult = 1ULL << 20; v++; break;
	case 'g': case 'G': mult = 1ULL << 30; v++; break;
	case 't': case 'T': mult = 1ULL << 40; v++; break;
	default: break;
	}
	if (mult > 1 && (*v == 'i' || *v == 'I'))
		v++;
	if (*v == 'b' || *v == 'B')
		v++;
	if (*v)
		return CONF_EBAD;
	if (rc == CONF_ERANGE || n > UINT64_MAX / mult)
		return CONF_ERANGE;
	*bytes = n * mult;
	return 0;
}

int conf_parse_duration_ms(const char *v, uint64_t *ms)
{
	uint64_t n, mult;
	int rc = digits(&v, &n);

	if (rc == CONF_EBAD || !skip_to_unit(&v))
		return CONF_EBAD;
	if (strcmp(v, "ms") == 0)
		mult = 1;
	else if (!*v || strcmp(v, "s") == 0)
		mult = 1000;
	else if (strcmp(v, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(v, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(v, "d") == 0)
		mult = 86400 * 1000;
	else if (strcmp(v, "w") == 0)
		mult = 7 * 86400 * 1000ULL;
	else
		return CONF_EBAD;
	if (rc == CONF_ERANGE || n > UINT64_MAX / mult)
		return CONF_ERANGE;
	*ms = n * mult;
	return 0;
}

int conf_parse_real(const char *v, double min, double max, double *out)
{
	const char *p = v;
	char *end;
	double x;

	if (*p < '0' || *p > '9')
		return CONF_EBAD;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return CONF_EBAD;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return CONF_EBAD;
	errno = 0;
	x = strtod(v, &end);
	if (end != p || errno || x < min || x > max)
		return CONF_ERANGE;
	*out = x;
	return 0;
}
