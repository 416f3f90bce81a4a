/*
 * suppress.c - suppress.conf, read and written (see suppress.h).
 *
 * Reading goes through conf.h (a regular file of bounded size, lines of at
 * most CONF_LINE_INI bytes, '#' comments); each problem is reported once
 * as "file:line: reason" and its line is skipped. Writing appends one
 * entry under a comment and syncs the file: a suppression the web page
 * confirmed is on disk.
 */
#include "suppress.h"

#include "core/conf.h"
#include "core/str.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct suppress {
	struct suppress_entry e[SUPPRESS_MAX];
	int n;
};

/* One file being read: where its problems go, what it added. */
struct sload {
	const char *path;
	conf_problem_fn problem;
	void *ctx;
	int added;
};

__attribute__((format(printf, 3, 4)))
static void problem(struct sload *ld, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vproblem(ld->problem, ld->ctx, ld->path, line, fmt, ap);
	va_end(ap);
}

struct suppress *suppress_new(void)
{
	return calloc(1, sizeof(struct suppress));
}

void suppress_free(struct suppress *s)
{
	free(s);
}

int suppress_count(const struct suppress *s)
{
	return s->n;
}

const struct suppress_entry *suppress_entry(const struct suppress *s, int i)
{
	return i >= 0 && i < s->n ? &s->e[i] : NULL;
}

/* ---- reading ------------------------------------------------------------------ */

/* Trim spaces at both ends, in place. */
static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parse a number field of suppress.conf. */
static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;
	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xFFFFFFFFUL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int suppress_parse_time(const char *s, int64_t *t)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 20 || s[n] ||
	    tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = (int64_t)timegm(&tm);
	return 0;
}

void suppress_format_expiry(char *out, size_t outlen, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char ts[32];

	gmtime_r(&tt, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	str_fmt(out, outlen, " # expires %s", ts);
}

/* The comment after an entry (hash: its '#', or NULL): "expires TIME" sets
 * *t; any other comment is a comment. 0, or -1 with the problem reported. */
static int parse_expiry(struct sload *ld, int lineno, const char *hash, int64_t *t)
{
	char buf[64];

	*t = 0;
	if (!hash)
		return 0;
	hash++;
	while (isspace((unsigned char)*hash))
		hash++;
	if (strncmp(hash, "expires", 7) != 0 || (hash[7] && !isspace((unsigned char)hash[7])))
		return 0;
	str_fmt(buf, sizeof buf, "%s", hash + 7);
	if (suppress_parse_time(trim(buf), t) != 0 || *t <= 0) {
		problem(ld, lineno, "bad expires '%.40s' (YYYY-MM-DDTHH:MM:SSZ, UTC)", trim(buf));
		return -1;
	}
	return 0;
}

/* One line into *e (ip: the ip field's text, brackets removed, when iplen);
 * 0, or -1 with the problem reported. */
static int parse_entry(struct sload *ld, int lineno, char *line, struct suppress_entry *ep,
		       char *ip, size_t iplen)
{
	struct suppress_entry e;
	int have_gid = 0, have_sid = 0, have_ip = 0, have_track = 0;

	memset(&e, 0, sizeof e);
	if (strncmp(line, "suppress", 8) != 0 || !isspace((unsigned char)line[8])) {
		char *sp = line;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		*sp = '\0';
		problem(ld, lineno, "unsupported directive '%.64s' (only 'suppress' is)", line);
		return -1;
	}
	/* fields are "key value" pairs separated by commas; an ip list in
	 * brackets may itself hold commas */
	char *p = line + 9;
	while (*p) {
		char *start = p;
		int depth = 0;
		while (*p && (depth > 0 || *p != ',')) {
			if (*p == '[') depth++;
			if (*p == ']') depth--;
			p++;
		}
		if (*p)
			*p++ = '\0';
		char *field = trim(start);
		if (!*field)
			continue;
		char *val = field;
		while (*val && !isspace((unsigned char)*val))
			val++;
		if (*val)
			*val++ = '\0';
		val = trim(val);
		/* a field given twice is a line that says two things: refused */
		if ((strcmp(field, "gen_id") == 0 && have_gid) ||
		    (strcmp(field, "sig_id") == 0 && have_sid) ||
		    (strcmp(field, "track") == 0 && have_track) ||
		    (strcmp(field, "ip") == 0 && have_ip)) {
			problem(ld, lineno, "'%s' given twice", field);
			return -1;
		}
		if (strcmp(field, "gen_id") == 0) {
			if (parse_u32(val, &e.gid) < 0) {
				problem(ld, lineno, "bad gen_id '%.64s'", val);
				return -1;
			}
			have_gid = 1;
		} else if (strcmp(field, "sig_id") == 0) {
			if (parse_u32(val, &e.sid) < 0) {
				problem(ld, lineno, "bad sig_id '%.64s'", val);
				return -1;
			}
			have_sid = 1;
		} else if (strcmp(field, "track") == 0) {
			have_track = 1;
			if (strcmp(val, "by_src") == 0) e.track = SUPPRESS_BY_SRC;
			else if (strcmp(val, "by_dst") == 0) e.track = SUPPRESS_BY_DST;
			else if (strcmp(val, "by_either") == 0) e.track = SUPPRESS_BY_EITHER;
			else {
				problem(ld, lineno, "bad track '%.64s' (by_src, by_dst or by_either)", val);
				return -1;
			}
		} else if (strcmp(field, "ip") == 0) {
			char err[200];
			size_t n = strlen(val);
			if (n >= 2 && val[0] == '[' && val[n - 1] == ']') {
				val[n - 1] = '\0';
				val++;
			}
			if (ip && iplen)
				str_fmt(ip, iplen, "%s", val);
			/* the whole list: a copy cut short could still parse */
			if (homenet_parse(&e.ips, val, err, sizeof err) < 0) {
				problem(ld, lineno, "bad ip: %s", err);
				return -1;
			}
			have_ip = 1;
		} else {
			problem(ld, lineno, "unknown suppress field '%.64s'", field);
			return -1;
		}
	}
	if (!have_gid || !have_sid) {
		problem(ld, lineno, have_gid ? "missing sig_id" : "missing gen_id");
		return -1;
	}
	if (e.track && !have_ip) {
		problem(ld, lineno, "track needs an ip");
		return -1;
	}
	if (have_ip && !e.track) {
		problem(ld, lineno, "ip needs a track (by_src, by_dst or by_either)");
		return -1;
	}
	*ep = e;
	return 0;
}

uint64_t suppress_key_of(const struct suppress_entry *e, const char *ip)
{
	char canon[64];
	uint64_t h = 14695981039346656037ULL;   /* FNV-1a 64 */

	str_fmt(canon, sizeof canon, "%u:%u:%d:%lld:", e->gid, e->sid, e->track,
		(long long)e->expires);
	for (const char *p = canon; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (const char *p = e->track ? ip : ""; p && *p; p++)
		if (!isspace((unsigned char)*p))
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1;
}

/* One line; problems reported, the entry added when valid. */
static void parse_line(struct suppress *s, struct sload *ld, int lineno, char *line,
		       int64_t expires)
{
	struct suppress_entry e;
	char ip[CONF_LINE_INI + 1] = "";

	if (parse_entry(ld, lineno, line, &e, ip, sizeof ip) != 0)
		return;
	e.expires = expires;
	e.key = suppress_key_of(&e, ip);
	if (s->n >= SUPPRESS_MAX) {
		problem(ld, lineno, "too many suppress entries");
		return;
	}
	s->e[s->n++] = e;
	ld->added++;
}

int suppress_load(struct suppress *s, const char *path, conf_problem_fn problem_fn, void *ctx)
{
	struct sload ld = { .path = path, .problem = problem_fn, .ctx = ctx };
	struct conf_lines lr;
	char *line;

	if (conf_lines_open(&lr, path, CONF_MAX_CONFIG, CONF_LINE_INI, problem_fn, ctx) < 0)
		return -1;
	while (conf_lines_next(&lr, &line) >= 0) {
		char *hash = strchr(line, '#');
		int64_t expires;
		if (hash)
			*hash = '\0';
		char *l = trim(line);
		if (*l && parse_expiry(&ld, lr.line, hash, &expires) == 0)
			parse_line(s, &ld, lr.line, l, expires);
	}
	conf_lines_close(&lr);
	return ld.added;
}

/* ---- the decision ------------------------------------------------------------- */

/* Before one sid per list (issue 10), indicator alerts had gid 9100 and
 * sid = their kind (1 ip, 2 domain, 3 ja3, 4 ja3s, 5 cert_sha1); now
 * their sid is kind * 1000000 + the list's hash. An entry written for an
 * old sid keeps meaning what it meant: that kind on every list. */
static int old_ioc_sid(const struct suppress_entry *e, const struct alert *a)
{
	return e->gid == GID_IOC && e->sid >= 1 && e->sid <= 5 && a->sid / 1000000 == e->sid;
}

int suppress_match(const struct suppress *s, const struct alert *a)
{
	return suppress_match_at(s, a, (int64_t)time(NULL));
}

int suppress_match_at(const struct suppress *s, const struct alert *a, int64_t now)
{
	return suppress_which(s, a, now) >= 0;
}

int suppress_which(const struct suppress *s, const struct alert *a, int64_t now)
{
	for (int i = 0; i < s->n; i++) {
		const struct suppress_entry *e = &s->e[i];
		uint8_t addr[16];
		if (e->gid != a->gid || (e->sid != a->sid && !old_ioc_sid(e, a)))
			continue;
		if (e->expires && now >= e->expires)
			continue;
		if (e->track == SUPPRESS_ALL)
			return i;
		if ((e->track & SUPPRESS_BY_SRC) && ip_parse16(a->src_ip, addr) == 0 &&
		    homenet_contains(&e->ips, addr))
			return i;
		if ((e->track & SUPPRESS_BY_DST) && a->dest_ip[0] && ip_parse16(a->dest_ip, addr) == 0 &&
		    homenet_contains(&e->ips, addr))
			return i;
	}
	return -1;
}

/* ---- writing ------------------------------------------------------------------ */

int suppress_format(char *out, size_t outlen, uint32_t gid, uint32_t sid, int track,
		    const char *ip)
{
	static const char *const tracks[] = { "", "by_src", "by_dst", "by_either" };
	uint8_t a16[16];

	if (track == SUPPRESS_ALL) {
		str_fmt(out, outlen, "suppress gen_id %u, sig_id %u", gid, sid);
		return 0;
	}
	/* the address goes into a rule file: only a real address will do */
	if (track < SUPPRESS_BY_SRC || track > SUPPRESS_BY_EITHER || !ip || !ip[0] ||
	    ip_parse16(ip, a16) != 0)
		return -1;
	str_fmt(out, outlen, "suppress gen_id %u, sig_id %u, track %s, ip %s", gid, sid,
		tracks[track], ip);
	return 0;
}

/* Does the file at path hold line (as a whole line)? Read as every
 * suppress.conf is (a file that is not there holds nothing; one that
 * cannot be read is reported when the rules load). */
static int file_has_line(const char *path, const char *line)
{
	struct conf_lines lr;
	int found = 0;
	char *l;

	if (access(path, F_OK) != 0 ||
	    conf_lines_open(&lr, path, CONF_MAX_CONFIG, CONF_LINE_INI, NULL, NULL) < 0)
		return 0;
	while (!found && conf_lines_next(&lr, &l) >= 0)
		found = strcmp(l, line) == 0;
	conf_lines_close(&lr);
	return found;
}

int suppress_append(const char *dir, const char *comment, const char *line, char *path,
		    size_t pathlen, char *err, size_t errlen)
{
	struct stat sb;
	char text[2048];
	int fd, n;

	str_fmt(path, pathlen, "%s/suppress.conf", dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		str_fmt(err, errlen, "create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (file_has_line(path, line))
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		str_fmt(err, errlen, "open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = snprintf(text, sizeof text, "%s%s\n%s\n",
		     sb.st_size == 0 ? "# Managed by vigil's web page: suppressions added from alerts.\n"
				       "# Lines may be removed by hand; reload the rules afterwards.\n" : "",
		     comment, line);
	if (n < 0 || (size_t)n >= sizeof text || write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		str_fmt(err, errlen, "write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

/* ---- the managed file, entry by entry ----------------------------------------- */

int suppress_each(const char *path, suppress_item_fn fn, void *ctx)
{
	struct sload ld = { .path = path };
	struct conf_lines lr;
	char note[CONF_LINE_INI + 1] = "", *line;
	int n = 0;

	if (access(path, F_OK) != 0)
		return 0;
	if (conf_lines_open(&lr, path, CONF_MAX_CONFIG, CONF_LINE_INI, NULL, NULL) < 0)
		return -1;
	while (conf_lines_next(&lr, &line) >= 0) {
		struct suppress_item it;
		char *l = trim(line), *hash;

		if (*l == '#') {                  /* the comment just above an entry is its note */
			str_fmt(note, sizeof note, "%s", trim(l + 1));
			continue;
		}
		if (!*l) {
			note[0] = '\0';
			continue;
		}
		memset(&it, 0, sizeof it);
		it.line = lr.line;
		str_fmt(it.text, sizeof it.text, "%s", l);
		str_fmt(it.note, sizeof it.note, "%s", note);
		note[0] = '\0';
		if ((hash = strchr(l, '#')) != NULL)
			*hash = '\0';
		l = trim(l);
		it.valid = parse_expiry(&ld, lr.line, hash, &it.e.expires) == 0;
		if (it.valid) {
			int64_t expires = it.e.expires;
			it.valid = parse_entry(&ld, lr.line, l, &it.e, it.ip, sizeof it.ip) == 0;
			it.e.expires = expires;
			it.e.key = it.valid ? suppress_key_of(&it.e, it.ip) : 0;
		}
		fn(ctx, &it);
		n++;
	}
	conf_lines_close(&lr);
	return n;
}

int suppress_line_key(const char *line, uint64_t *key)
{
	struct sload ld = { .path = "" };
	struct suppress_entry e;
	char buf[CONF_LINE_INI + 1], ip[CONF_LINE_INI + 1] = "", *hash, *l;
	int64_t expires;

	str_fmt(buf, sizeof buf, "%s", line);
	if ((hash = strchr(buf, '#')) != NULL)
		*hash = '\0';
	l = trim(buf);
	if (parse_expiry(&ld, 0, hash, &expires) != 0 ||
	    parse_entry(&ld, 0, l, &e, ip, sizeof ip) != 0)
		return -1;
	e.expires = expires;
	*key = suppress_key_of(&e, ip);
	return 0;
}

int suppress_remove(const char *dir, int lineno, const char *text, char *err, size_t errlen)
{
	char path[1200], tmp[1300], *l;
	char prev[CONF_LINE_INI + 1] = "";
	struct conf_lines lr;
	FILE *out;
	int fd, found = 0, have_prev = 0, bad = 0;

	str_fmt(path, sizeof path, "%s/suppress.conf", dir);
	str_fmt(tmp, sizeof tmp, "%s/.suppress.conf.tmp", dir);
	if (access(path, F_OK) != 0) {
		str_fmt(err, errlen, "no suppressions (%s is not there)", path);
		return 0;
	}
	if (conf_lines_open(&lr, path, CONF_MAX_CONFIG, CONF_LINE_INI, NULL, NULL) < 0) {
		str_fmt(err, errlen, "read %s: cannot be read", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		str_fmt(err, errlen, "create %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		conf_lines_close(&lr);
		return -1;
	}
	/* each line is written one behind, so that the note just above the
	 * removed entry ("# alert N, by ...") goes with it */
	while (conf_lines_next(&lr, &l) >= 0) {
		char cmp[CONF_LINE_INI + 1];
		str_fmt(cmp, sizeof cmp, "%s", l);
		if (lr.line == lineno && strcmp(trim(cmp), text) == 0) {
			found = 1;
			if (have_prev && prev[strspn(prev, " \t")] != '#' && fprintf(out, "%s\n", prev) < 0)
				bad = 1;
			have_prev = 0;
			continue;
		}
		if (have_prev && fprintf(out, "%s\n", prev) < 0)
			bad = 1;
		str_fmt(prev, sizeof prev, "%s", l);
		have_prev = 1;
	}
	conf_lines_close(&lr);
	if (have_prev && fprintf(out, "%s\n", prev) < 0)
		bad = 1;
	if (fflush(out) != 0 || fsync(fileno(out)) != 0)
		bad = 1;
	if (fclose(out) != 0)
		bad = 1;
	if (!found || bad) {
		unlink(tmp);
		if (bad) {
			str_fmt(err, errlen, "write %s: %s", tmp, strerror(errno));
			return -1;
		}
		str_fmt(err, errlen, "line %d of %s is not that entry (the file changed: list it again)",
			lineno, path);
		return 0;
	}
	if (rename(tmp, path) != 0) {
		str_fmt(err, errlen, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 1;
}
