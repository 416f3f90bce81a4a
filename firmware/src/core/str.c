/*
 * str.c - formatting into the caller's buffer (see str.h).
 */
#include "str.h"

#include <stdio.h>

void str_vfmt(char *out, size_t outlen, const char *fmt, va_list ap)
{
	if (!out || outlen == 0)
		return;
	if (vsnprintf(out, outlen, fmt, ap) < 0)
		out[0] = '\0';
}

void str_fmt(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	str_vfmt(out, outlen, fmt, ap);
	va_end(ap);
}
