/*
 * community_id.h - Community ID v1 flow hashing (corelight/community-id-spec).
 *
 * Owns: the hash input layout (seed, endpoints ordered so the smaller
 * address:port comes first, protocol, ports), the ICMP/ICMPv6 type to
 * "port" mapping taken from Zeek, and the "1:" + base64 rendering. Analysts
 * pivot on this string between vigil, Suricata, Zeek and packet stores:
 * for the same 5-tuple and seed every implementation gives the same value.
 */
#ifndef VIGIL_COMMUNITY_ID_H
#define VIGIL_COMMUNITY_ID_H

#include <stdint.h>

/* "1:" + 28 base64 characters + NUL */
#define COMMUNITY_ID_LEN 31

/* The 20-byte SHA-1 digest of a flow's tuple. Addresses are 16 bytes, IPv4
 * as ::ffff:a.b.c.d (ipver 4 hashes the last four). For ICMP (1) and
 * ICMPv6 (58) sport is the type and dport the code of the flow's first
 * packet; other protocols without ports (anything but TCP, UDP, SCTP and
 * the two ICMPs) hash no ports at all, as the specification says. */
void community_id_digest(uint8_t digest[20], uint16_t seed, uint8_t ipver,
			 const uint8_t saddr[16], const uint8_t daddr[16],
			 uint8_t proto, uint16_t sport, uint16_t dport);

/* The same rendered as Community ID v1 text: "1:" + base64(digest). */
void community_id_v1(char out[COMMUNITY_ID_LEN], uint16_t seed, uint8_t ipver,
		     const uint8_t saddr[16], const uint8_t daddr[16],
		     uint8_t proto, uint16_t sport, uint16_t dport);

#endif
