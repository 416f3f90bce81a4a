/*
 * log.c - the one logger: level filter, one line per message on stderr.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int log_level = LOG_LVL_WARN;

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

/* Write "vigil: <level>: message" as one line; stderr is unbuffered, so one
 * fprintf keeps concurrent writers from interleaving mid-line. */
static void log_vwrite(int level, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char line[1024];

	if (level > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "vigil: %s: %s\n", names[level], line);
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
