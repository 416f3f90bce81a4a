/*
 * log.h - the one logger.
 *
 * Owns: the log level and where log lines go (stderr; the journal picks it
 * up under systemd). Messages never carry secrets.
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(int level);
int log_get_level(void);
/* The daemon's form of the lines: under systemd (stderr is the journal
 * stream) each line starts with its syslog priority ("<3>") so the journal
 * keeps the level; otherwise with the local time. Commands keep the plain
 * "vigil: level: message". */
void log_daemon_mode(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit with status code. */
void fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
