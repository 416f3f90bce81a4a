/*
 * ruleset.c - rule set directories (see ruleset.h).
 *
 * A directory is read in a fixed order so that loading is deterministic:
 * classification.config, then *.rules in name order, then ioc/ in name
 * order, then detectors.conf and suppress.conf. Files that are none of
 * these (README.md, ...) are left alone. Every file read goes through
 * conf.h: a regular file (a symlink to one is followed) of bounded size,
 * opened without blocking; anything else under one of these names is a
 * problem ("file: not a regular file (a FIFO)"), so a reload never waits
 * on it and a rule set never silently loses a file.
 */
#include "ruleset.h"

#include "core/conf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RULESET_MAX_FILES 1024      /* *.rules files, and indicator lists, per directory */
#define RULESET_MAX_FILES_STR "1024"

/* The one place rule set problems are printed: "file:line: reason". */
static void print_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct ruleset *rs = ctx;
	rs->problems++;
	if (!rs->report)
		return;
	if (line > 0)
		fprintf(rs->report, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(rs->report, "%s: %s\n", file, msg);
}

struct ruleset *ruleset_new(const struct homenet *home, FILE *report)
{
	struct ruleset *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	rs->home = *home;
	rs->report = report;
	rs->sigs = sig_set_new(&rs->home);
	rs->iocs = ioc_db_new();
	rs->behav = behav_new(&rs->home);
	rs->suppress = calloc(SUPPRESS_MAX, sizeof *rs->suppress);
	if (!rs->sigs || !rs->iocs || !rs->behav || !rs->suppress) {
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	sig_set_free(rs->sigs);
	ioc_db_free(rs->iocs);
	behav_free(rs->behav);
	free(rs->suppress);
	free(rs);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Names in dir, sorted; NULL-terminated array the caller frees (and each
 * name). Hidden files are skipped. */
static char **sorted_names(const char *dir, int *n_out)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort), k = 0;
	if (n < 0)
		return NULL;
	char **names = calloc((size_t)n + 1, sizeof *names);
	for (int i = 0; i < n; i++) {
		if (names && list[i]->d_name[0] != '.')
			names[k++] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	*n_out = k;
	return names;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

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

/* One suppress.conf line; problems reported, entry added when valid. */
static void parse_suppress_line(struct ruleset *rs, const char *file, int lineno, char *line)
{
	struct suppress_entry e;
	char msg[300];
	int have_gid = 0, have_sid = 0, have_ip = 0, have_track = 0;

	memset(&e, 0, sizeof e);
	if (strncmp(line, "suppress", 8) != 0 || !isspace((unsigned char)line[8])) {
		char *sp = line;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		*sp = '\0';
		snprintf(msg, sizeof msg, "unsupported directive '%.64s' (only 'suppress' is)", line);
		print_problem(rs, file, lineno, msg);
		return;
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
			snprintf(msg, sizeof msg, "'%s' given twice", field);
			print_problem(rs, file, lineno, msg);
			return;
		}
		if (strcmp(field, "gen_id") == 0) {
			if (parse_u32(val, &e.gid) < 0) {
				snprintf(msg, sizeof msg, "bad gen_id '%.64s'", val);
				print_problem(rs, file, lineno, msg);
				return;
			}
			have_gid = 1;
		} else if (strcmp(field, "sig_id") == 0) {
			if (parse_u32(val, &e.sid) < 0) {
				snprintf(msg, sizeof msg, "bad sig_id '%.64s'", val);
				print_problem(rs, file, lineno, msg);
				return;
			}
			have_sid = 1;
		} else if (strcmp(field, "track") == 0) {
			have_track = 1;
			if (strcmp(val, "by_src") == 0) e.track = 1;
			else if (strcmp(val, "by_dst") == 0) e.track = 2;
			else if (strcmp(val, "by_either") == 0) e.track = 3;
			else {
				snprintf(msg, sizeof msg, "bad track '%.64s' (by_src, by_dst or by_either)", val);
				print_problem(rs, file, lineno, msg);
				return;
			}
		} else if (strcmp(field, "ip") == 0) {
			char err[200];
			size_t n = strlen(val);
			if (n >= 2 && val[0] == '[' && val[n - 1] == ']') {
				val[n - 1] = '\0';
				val++;
			}
			/* the whole list: a copy cut short could still parse */
			if (homenet_parse(&e.ips, val, err, sizeof err) < 0) {
				snprintf(msg, sizeof msg, "bad ip: %s", err);
				print_problem(rs, file, lineno, msg);
				return;
			}
			have_ip = 1;
		} else {
			snprintf(msg, sizeof msg, "unknown suppress field '%.64s'", field);
			print_problem(rs, file, lineno, msg);
			return;
		}
	}
	if (!have_gid || !have_sid) {
		print_problem(rs, file, lineno, have_gid ? "missing sig_id" : "missing gen_id");
		return;
	}
	if (e.track && !have_ip) {
		print_problem(rs, file, lineno, "track needs an ip");
		return;
	}
	if (have_ip && !e.track) {
		print_problem(rs, file, lineno, "ip needs a track (by_src, by_dst or by_either)");
		return;
	}
	if (rs->n_suppress >= SUPPRESS_MAX) {
		print_problem(rs, file, lineno, "too many suppress entries");
		return;
	}
	rs->suppress[rs->n_suppress++] = e;
}

/* Read suppress.conf (conf.h: a regular file, lines of at most
 * CONF_LINE_INI bytes): '#' comments, one entry per line. */
static void load_suppress(struct ruleset *rs, const char *path)
{
	struct conf_lines lr;
	char *line;

	if (conf_lines_open(&lr, path, CONF_MAX_CONFIG, CONF_LINE_INI, print_problem, rs) < 0)
		return;
	while (conf_lines_next(&lr, &line) >= 0) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *l = trim(line);
		if (*l)
			parse_suppress_line(rs, path, lr.line, l);
	}
	conf_lines_close(&lr);
}

/* The name is there at all. An optional file that is there must be a
 * regular file (or a symlink to one): the loaders (conf.h) report a FIFO,
 * a directory, a device or a dangling symlink by name instead of reading
 * it or skipping it silently. */
static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int ruleset_load_dir(struct ruleset *rs, const char *dir)
{
	char path[4096];
	int n, files = 0;
	char **names = sorted_names(dir, &n);

	if (!names) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read rule set directory: %s", strerror(errno));
		print_problem(rs, dir, 0, msg);
		return -1;
	}
	rs->dirs++;
	snprintf(path, sizeof path, "%s/classification.config", dir);
	if (exists(path))
		sig_load_classification(rs->sigs, path, print_problem, rs);

	for (int i = 0; i < n; i++) {
		if (!has_suffix(names[i], ".rules"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (++files > RULESET_MAX_FILES) {
			print_problem(rs, dir, 0, "more than " RULESET_MAX_FILES_STR " *.rules files");
			break;
		}
		if (sig_load_file(rs->sigs, path, print_problem, rs) >= 0)
			rs->sig_files++;
	}

	snprintf(path, sizeof path, "%s/ioc", dir);
	int ni;
	char **iocs = exists(path) ? sorted_names(path, &ni) : NULL;
	if (exists(path) && !iocs) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read the indicator directory: %s", strerror(errno));
		print_problem(rs, path, 0, msg);
	}
	if (iocs) {
		files = 0;
		for (int i = 0; i < ni; i++) {
			char fpath[4096];
			if (has_suffix(iocs[i], ".md"))
				continue;
			snprintf(fpath, sizeof fpath, "%s/ioc/%s", dir, iocs[i]);
			if (++files > RULESET_MAX_FILES) {
				print_problem(rs, path, 0, "more than " RULESET_MAX_FILES_STR
					      " indicator lists");
				break;
			}
			if (ioc_load_file(rs->iocs, fpath, print_problem, rs) >= 0)
				rs->ioc_files++;
		}
		free_names(iocs, ni);
	}

	snprintf(path, sizeof path, "%s/detectors.conf", dir);
	if (exists(path))
		behav_load_config(rs->behav, path, print_problem, rs);
	snprintf(path, sizeof path, "%s/suppress.conf", dir);
	if (exists(path))
		load_suppress(rs, path);
	free_names(names, n);
	return 0;
}

int ruleset_suppressed(const struct ruleset *rs, const struct alert *a)
{
	for (int i = 0; i < rs->n_suppress; i++) {
		const struct suppress_entry *e = &rs->suppress[i];
		uint8_t addr[16];
		if (e->gid != a->gid || e->sid != a->sid)
			continue;
		if (e->track == 0)
			return 1;
		if ((e->track & 1) && ip_parse16(a->src_ip, addr) == 0 &&
		    homenet_contains(&e->ips, addr))
			return 1;
		if ((e->track & 2) && a->dest_ip[0] && ip_parse16(a->dest_ip, addr) == 0 &&
		    homenet_contains(&e->ips, addr))
			return 1;
	}
	return 0;
}

void ruleset_print_summary(const struct ruleset *rs, FILE *out)
{
	struct ioc_counts ic;

	ioc_get_counts(rs->iocs, &ic);
	fprintf(out, "rule sets:    %d director%s\n", rs->dirs, rs->dirs == 1 ? "y" : "ies");
	fprintf(out, "signatures:   %zu from %ld file(s)\n", sig_count(rs->sigs), rs->sig_files);
	fprintf(out, "indicators:   %zu from %ld list(s): %zu ip, %zu cidr, %zu domain, "
		"%zu ja3, %zu ja3s, %zu cert_sha1 (%zu duplicates)\n",
		ic.ip + ic.cidr + ic.domain + ic.ja3 + ic.ja3s + ic.cert_sha1, rs->ioc_files,
		ic.ip, ic.cidr, ic.domain, ic.ja3, ic.ja3s, ic.cert_sha1, ic.duplicates);
	fprintf(out, "detectors:    %d enabled\n", behav_enabled(rs->behav));
	fprintf(out, "suppressions: %d\n", rs->n_suppress);
	fprintf(out, "problems:     %d\n", rs->problems);
}
