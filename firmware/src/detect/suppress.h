/*
 * suppress.h - suppress.conf: the alerts an analyst silenced.
 *
 * Owns: the file's format (Suricata's: one entry a line,
 *   suppress gen_id G, sig_id S[, track by_src|by_dst|by_either, ip LIST]
 * and '#' comments; vigil's own addition, a trailing comment
 * "# expires YYYY-MM-DDTHH:MM:SSZ" after which the entry silences nothing),
 * reading it through the one reader (core/conf.h) with
 * every problem as "file:line: reason", the decision whether an alert is
 * silenced, and writing an entry (the web page's suppressions, in the
 * managed rule set): the format is read and written here and nowhere
 * else. Alerts that are not signatures are named by their generator
 * (alert.h: GID_IOC, GID_DETECTOR).
 */
#ifndef VIGIL_SUPPRESS_H
#define VIGIL_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "core/conf.h"
#include "core/homenet.h"

#define SUPPRESS_MAX 1024   /* entries, over all the files of a rule set */

/* track: every alert of the rule, or those whose source, destination or
 * either address is in the entry's ip list. */
enum suppress_track {
	SUPPRESS_ALL = 0, SUPPRESS_BY_SRC = 1, SUPPRESS_BY_DST = 2, SUPPRESS_BY_EITHER = 3
};

struct suppress_entry {
	uint32_t gid, sid;
	int track;               /* enum suppress_track */
	struct homenet ips;      /* when track is not SUPPRESS_ALL */
	int64_t expires;         /* seconds since 1970 (UTC) from a trailing
				  * "# expires YYYY-MM-DDTHH:MM:SSZ"; 0 never */
	uint64_t key;            /* the entry's identity (suppress_key_of) */
};

/* An entry's identity, stable across reloads and restarts: a 64-bit
 * FNV-1a hash of its fields in one canonical form (gid, sid, track, the ip
 * list without spaces, expiry), so the same entry written with other
 * spacing or comments is the same entry, and one with another expiry is
 * another. The count of alerts an entry silenced is kept under it
 * (store.h's suppress_counts). Never 0. */
uint64_t suppress_key_of(const struct suppress_entry *e, const char *ip);

/* Alerts silenced by one entry since they were last taken (detect.h's
 * detect_take_silenced): the entry's key, how many, the newest one's
 * packet time. */
struct suppress_tally {
	uint64_t key;
	uint64_t n;
	uint64_t last_us;
};

/* The entries of one or more files, in file order. NULL: out of memory. */
struct suppress *suppress_new(void);
void suppress_free(struct suppress *s);

/* Read path and add its entries (at most SUPPRESS_MAX in all); each bad
 * line is reported through problem(ctx, ...) and skipped. Returns the
 * entries added, or -1 when the file cannot be read (reported). */
int suppress_load(struct suppress *s, const char *path, conf_problem_fn problem, void *ctx);

int suppress_count(const struct suppress *s);
/* Entry i (0 .. suppress_count - 1), NULL outside. */
const struct suppress_entry *suppress_entry(const struct suppress *s, int i);

/* 1 if an entry silences a now: an entry whose expiry (wall clock, not
 * the alert's packet time) has passed silences nothing. */
int suppress_match(const struct suppress *s, const struct alert *a);
/* The same at the wall-clock time now (seconds since 1970). */
int suppress_match_at(const struct suppress *s, const struct alert *a, int64_t now);
/* The index of the first entry that silences a at now, or -1. */
int suppress_which(const struct suppress *s, const struct alert *a, int64_t now);

/* The key (suppress_key_of) of one line of the file, its trailing expiry
 * comment included: 0, or -1 when the line is not a valid entry. */
int suppress_line_key(const char *line, uint64_t *key);

/* " # expires YYYY-MM-DDTHH:MM:SSZ" for t (seconds since 1970, UTC), to
 * append to a line of suppress_format. */
void suppress_format_expiry(char *out, size_t outlen, int64_t t);
/* "YYYY-MM-DDTHH:MM:SSZ" into *t; 0, or -1 when s is not that. */
int suppress_parse_time(const char *s, int64_t *t);

/* The entry for the alert of gid and sid as a line of the file: all of
 * its alerts, or (track by_src, by_dst, by_either) those of address ip.
 * 0, or -1 when ip is not an IP address (it would go into a rule file). */
int suppress_format(char *out, size_t outlen, uint32_t gid, uint32_t sid, int track,
		    const char *ip);

/* Append comment and line to dir/suppress.conf (dir and file made as
 * needed; a new file starts with a note that vigil's page manages it),
 * unless the file holds that line already; the file is synced. path gets
 * the file's name. 1 added, 0 there already, -1 with err. Callers that
 * may run at once serialize. */
int suppress_append(const char *dir, const char *comment, const char *line, char *path,
		    size_t pathlen, char *err, size_t errlen);

/* One line of a suppress.conf that is not a comment: its number and text,
 * the '#' comment line just above it (the page writes who, when and why
 * there), and the entry when the line is valid. */
struct suppress_item {
	int line;
	char text[CONF_LINE_INI + 1];
	char note[CONF_LINE_INI + 1];
	int valid;
	struct suppress_entry e;
	char ip[CONF_LINE_INI + 1];      /* the ip field's text, without brackets */
};
typedef void (*suppress_item_fn)(void *ctx, const struct suppress_item *it);

/* fn for every entry line of path, in file order (a file that is not
 * there has none). The lines, or -1 when the file cannot be read. */
int suppress_each(const char *path, suppress_item_fn fn, void *ctx);

/* Remove the entry at line lineno of dir/suppress.conf, and the comment
 * just above it, if that line still reads text (as suppress_each gave it);
 * the file is rewritten beside itself, synced and renamed over. 1 removed,
 * 0 not there (err says why), -1 with err. Callers serialize with
 * suppress_append. */
int suppress_remove(const char *dir, int lineno, const char *text, char *err, size_t errlen);

#endif
