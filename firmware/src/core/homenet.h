/*
 * homenet.h - the protected networks ($HOME_NET): a list of CIDRs.
 *
 * Owns: parsing "10.0.0.0/8,fc00::/7" and answering "is this address
 * inside". Addresses are 16 bytes, IPv4 as IPv4-mapped IPv6, as decode.h
 * stores them.
 */
#ifndef VIGIL_HOMENET_H
#define VIGIL_HOMENET_H

#include <stddef.h>
#include <stdint.h>

#define HOMENET_DEFAULT "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
#define HOMENET_MAX 64

struct homenet {
	struct { uint8_t addr[16]; uint8_t bits; } net[HOMENET_MAX];
	int n;
};

/* Parse a comma-separated CIDR list (bare addresses are /32 or /128).
 * Returns 0, or -1 with the offending item in err. */
int homenet_parse(struct homenet *h, const char *list, char *err, size_t errlen);

/* 1 if addr (16 bytes) is inside one of the networks. */
int homenet_contains(const struct homenet *h, const uint8_t addr[16]);

/* Parse one address (IPv4 or IPv6) into 16 bytes; 0 ok, -1 bad. */
int ip_parse16(const char *s, uint8_t out[16]);

#endif
