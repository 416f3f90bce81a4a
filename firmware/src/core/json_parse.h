/*
 * json_parse.h - the strict JSON reader: what clients send (the web API's
 * request bodies) is read as RFC 8259 writes it, and nothing else.
 *
 * Owns: the grammar and the limits of what is accepted. Refused with the
 * byte offset and a reason: anything RFC 8259 does not allow (comments,
 * trailing commas, single quotes, NaN, leading zeros, "1.", a byte-order
 * mark, control characters in strings, unknown escapes); invalid UTF-8
 * (overlong forms, encoded surrogates, code points above U+10FFFF); lone
 * or reversed surrogate escapes; the escaped NUL (\u0000: C strings would
 * end there); a member name given twice in one object (RFC 8259 leaves its
 * meaning open, so two readers may see two different values); and, to
 * bound the work, nesting deeper than JP_MAX_DEPTH, more than
 * JP_MAX_VALUES values, more than JP_MAX_MEMBERS members in one object and
 * member names longer than JP_MAX_NAME bytes.
 *
 * A parsed document is a flat array of values in document order: the
 * elements of an array and the members of an object (name, then value)
 * follow it, and `next` is the index after a value and everything inside
 * it. Strings and numbers point into the text, which the caller keeps;
 * jp_string and jp_int64 convert them.
 */
#ifndef VIGIL_JSON_PARSE_H
#define VIGIL_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define JP_MAX_DEPTH 8        /* arrays and objects inside each other */
#define JP_MAX_VALUES 4096    /* values in a document (names included) */
#define JP_MAX_MEMBERS 64     /* members of one object */
#define JP_MAX_NAME 128       /* bytes of a member name (decoded) */

enum jp_type { JP_NULL, JP_FALSE, JP_TRUE, JP_NUMBER, JP_STRING, JP_ARRAY, JP_OBJECT };

struct jp_value {
	uint8_t type;             /* enum jp_type */
	uint8_t integer;          /* JP_NUMBER without fraction or exponent */
	uint8_t escaped;          /* JP_STRING with backslash escapes */
	uint32_t pos, len;        /* its text (a string's without the quotes) */
	uint32_t count;           /* JP_ARRAY: elements; JP_OBJECT: members */
	uint32_t next;            /* index after this value and its contents */
};

struct jp_doc {
	const char *text;
	size_t len;
	struct jp_value *v;       /* v[0] is the document's value */
	uint32_t n, cap;
};

/* Parse text (len bytes; need not be NUL-terminated). 0, or -1 with err
 * ("at byte N: reason"); jp_free in both cases. */
int jp_parse(struct jp_doc *d, const char *text, size_t len, char *err, size_t errlen);
void jp_free(struct jp_doc *d);

/* The value of member name of object obj, or -1 when there is none. */
long jp_member(const struct jp_doc *d, uint32_t obj, const char *name);

/* String i decoded into out, NUL-terminated (parsed strings never hold a
 * NUL): its length in bytes, or -1 when it does not fit in outlen. */
long jp_string(const struct jp_doc *d, uint32_t i, char *out, size_t outlen);

/* Number i as an integer: 0, JP_NOT_INTEGER (it has a fraction or an
 * exponent, whatever its value: 1.0 is not an integer here) or JP_RANGE
 * (beyond int64_t). */
enum { JP_NOT_INTEGER = -1, JP_RANGE = -2 };
int jp_int64(const struct jp_doc *d, uint32_t i, int64_t *out);

#endif
