/*
 * utf8.h - what valid UTF-8 is (RFC 3629).
 *
 * Owns: the one check of a UTF-8 sequence, shared by the JSON writer
 * (invalid bytes become U+FFFD), the strict JSON reader (invalid text is
 * refused) and the web's parameters and length limits (characters, not
 * bytes). Overlong forms, surrogates (U+D800..U+DFFF) and code points
 * beyond U+10FFFF are invalid.
 */
#ifndef VIGIL_UTF8_H
#define VIGIL_UTF8_H

#include <stddef.h>

/* Length of the valid sequence at s (n >= 1 bytes left): 1 to 4, or 0
 * when it is not valid (including one cut short by n). */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Characters (code points) in n bytes at s, or -1 when they are not all
 * valid UTF-8. */
long utf8_chars(const unsigned char *s, size_t n);

#endif
