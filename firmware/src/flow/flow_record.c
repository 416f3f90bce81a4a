/*
 * flow_record.c - copying a flow record across threads (see flow_record.h).
 *
 * One table names every string field the classifier owns with its cap, so
 * the sink queue (a record per slot) and alert_dup (the flow an alert was
 * raised on) copy the same fields the same way.
 */
#include "flow_record.h"

#include <stddef.h>
#include <string.h>

static const struct {
	size_t off;
	size_t cap;          /* bytes with the NUL */
} strs[] = {
	{ offsetof(struct flow_record, ndpi_protocol), 64 },
	{ offsetof(struct flow_record, tls_sni), 256 },
	{ offsetof(struct flow_record, ja3), 33 },
	{ offsetof(struct flow_record, ja3s), 33 },
	{ offsetof(struct flow_record, dns_rrname), 256 },
	{ offsetof(struct flow_record, http_host), 256 },
	{ offsetof(struct flow_record, http_user_agent), 512 },
	{ offsetof(struct flow_record, tls_cert_sha1), 41 },
	{ offsetof(struct flow_record, http_url), 1024 },
	{ offsetof(struct flow_record, http_content_type), 128 },
	{ offsetof(struct flow_record, dns_rsp_addr), 46 },
	{ offsetof(struct flow_record, tls_issuerdn), 384 },
	{ offsetof(struct flow_record, tls_subject), 384 },
	{ offsetof(struct flow_record, tls_alpn), 128 },
	{ offsetof(struct flow_record, ssh_client), 64 },
	{ offsetof(struct flow_record, ssh_server), 64 },
	{ offsetof(struct flow_record, hassh_client), 33 },
	{ offsetof(struct flow_record, hassh_server), 33 },
	{ offsetof(struct flow_record, dhcp_class_ident), 64 },
	{ offsetof(struct flow_record, dhcp_hostname), 64 },
};

/* The string field at table entry i of r. */
static const char **field(const struct flow_record *r, size_t i)
{
	return (const char **)(void *)((char *)(uintptr_t)r + strs[i].off);
}

size_t flow_record_strings_len(const struct flow_record *src)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		const char *s = *field(src, i);
		if (s)
			n += strnlen(s, strs[i].cap - 1) + 1;
	}
	return n;
}

void flow_record_copy(struct flow_record *dst, const struct flow_record *src,
		      char *buf, size_t cap)
{
	size_t off = 0;

	*dst = *src;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		const char *s = *field(src, i);
		const char **d = field(dst, i);
		size_t n;

		*d = NULL;
		if (!s)
			continue;
		n = strnlen(s, strs[i].cap - 1);
		if (off + n + 1 > cap)
			continue; /* cannot happen with FLOW_RECORD_STRINGS_MAX */
		memcpy(buf + off, s, n);
		buf[off + n] = '\0';
		*d = buf + off;
		off += n + 1;
	}
}
