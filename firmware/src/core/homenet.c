/*
 * homenet.c - CIDR lists (see homenet.h).
 */
#include "homenet.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_parse16(const char *s, uint8_t out[16])
{
	struct in_addr a4;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

/* Zero the host bits so that comparisons only look at the prefix. */
static void mask_prefix(uint8_t a[16], int bits)
{
	for (int i = 0; i < 16; i++) {
		int keep = bits - i * 8;
		if (keep >= 8)
			continue;
		a[i] &= keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));
	}
}

int homenet_parse(struct homenet *h, const char *list, char *err, size_t errlen)
{
	char buf[1024], *save = NULL;

	memset(h, 0, sizeof *h);
	if (strlen(list) >= sizeof buf) {
		snprintf(err, errlen, "list too long");
		return -1;
	}
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char *slash = strchr(tok, '/');
		int v4, bits;
		if (h->n >= HOMENET_MAX) {
			snprintf(err, errlen, "more than %d networks", HOMENET_MAX);
			return -1;
		}
		if (slash)
			*slash = '\0';
		if (ip_parse16(tok, h->net[h->n].addr) < 0) {
			snprintf(err, errlen, "'%s' is not an IP address", tok);
			return -1;
		}
		v4 = strchr(tok, ':') == NULL;
		bits = v4 ? 32 : 128;
		if (slash) {
			char *end;
			long b = strtol(slash + 1, &end, 10);
			if (!isdigit((unsigned char)slash[1]) || *end || b < 0 || b > bits) {
				snprintf(err, errlen, "'%s/%s': bad prefix length", tok, slash + 1);
				return -1;
			}
			bits = (int)b;
		}
		if (v4)
			bits += 96;
		h->net[h->n].bits = (uint8_t)bits;
		mask_prefix(h->net[h->n].addr, bits);
		h->n++;
	}
	if (h->n == 0) {
		snprintf(err, errlen, "empty list");
		return -1;
	}
	return 0;
}

int homenet_contains(const struct homenet *h, const uint8_t addr[16])
{
	for (int i = 0; i < h->n; i++) {
		uint8_t a[16];
		memcpy(a, addr, 16);
		mask_prefix(a, h->net[i].bits);
		if (memcmp(a, h->net[i].addr, 16) == 0)
			return 1;
	}
	return 0;
}
