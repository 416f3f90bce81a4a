/*
 * str.h - formatting into the caller's buffer.
 *
 * Owns: the one way a module writes a message into an err/why buffer it
 * was handed: never past its size, never unterminated, and a NULL or
 * empty buffer (a caller that does not want the reason) is fine.
 */
#ifndef VIGIL_STR_H
#define VIGIL_STR_H

#include <stdarg.h>
#include <stddef.h>

/* printf into out (outlen bytes, cut to fit); nothing when out is NULL or
 * outlen 0; "" if formatting fails. */
void str_fmt(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void str_vfmt(char *out, size_t outlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
