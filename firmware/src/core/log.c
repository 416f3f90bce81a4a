/*
 * log.c - the one logger: level filter, one line per message on stderr.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static int log_level = LOG_LVL_WARN;
static enum { STYLE_PLAIN, STYLE_JOURNAL, STYLE_TIME } log_style = STYLE_PLAIN;

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

/* Is stderr the stream systemd connected to the journal? JOURNAL_STREAM
 * holds its "device:inode" (systemd.exec(5)). */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_daemon_mode(void)
{
	log_style = stderr_is_journal() ? STYLE_JOURNAL : STYLE_TIME;
}

/* Write "vigil: <level>: message" as one line; stderr is unbuffered, so one
 * fprintf keeps concurrent writers from interleaving mid-line. */
__attribute__((format(printf, 2, 0)))
static void log_vwrite(int level, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { 3, 4, 6, 7 }; /* LOG_ERR .. LOG_DEBUG */
	char line[1024], ts[40];
	struct tm tm;
	time_t now;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	switch (log_style) {
	case STYLE_JOURNAL:
		fprintf(stderr, "<%d>vigil: %s: %s\n", prio[level], names[level], line);
		break;
	case STYLE_TIME:
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s vigil: %s: %s\n", ts, names[level], line);
		break;
	default:
		fprintf(stderr, "vigil: %s: %s\n", names[level], line);
	}
}

#define LOG_FN(fn, lvl)                                 \
	void fn(const char *fmt, ...)                   \
	{                                               \
		va_list ap;                             \
		va_start(ap, fmt);                      \
		log_vwrite(lvl, fmt, ap);               \
		va_end(ap);                             \
	}
LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void fatal(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(code);
}
