/*
 * json.h - the one JSON writer: builds JSON text into a growable buffer.
 *
 * Owns: escaping (RFC 8259: quotes, backslash, control characters; invalid
 * UTF-8 bytes become U+FFFD so consumers never choke), commas and nesting.
 * Writers call json_obj_begin/json_key_*; the buffer is reused per event.
 */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len, cap;
	int depth;
	uint8_t need_comma[JSON_MAX_DEPTH];
	int oom;              /* allocation failed or nesting too deep: output unusable */
};

void json_init(struct json *j);
void json_reset(struct json *j);
void json_free(struct json *j);

void json_obj_begin(struct json *j);            /* { (as a value) */
void json_obj_end(struct json *j);              /* } */
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key); /* "key": (value follows) */

void json_str(struct json *j, const char *s);   /* value */
void json_strn(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v, int decimals); /* null for NaN, inf */
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* n bytes as they are, for text that is not JSON in the same buffer (a
 * CSV line, the newline that ends an event): no escaping, no commas. */
void json_raw(struct json *j, const char *s, size_t n);

/* key + value in one call; json_kstr skips the pair when s is NULL/empty. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_ku64(struct json *j, const char *key, uint64_t v);
void json_kbool(struct json *j, const char *key, int v);

/* Suricata's timestamp form: 2016-01-01T12:34:56.123456+0000 (UTC). */
#define JSON_TS_LEN 96
void json_format_ts(char out[JSON_TS_LEN], uint64_t ts_us);

#endif
