/*
 * pkt_hash.c - the outer IP pair of a raw packet, hashed symmetrically
 * (see pkt_hash.h). A light walk over the link headers: no checksum, no
 * reassembly, no tunnel; what it cannot read hashes to 0 (one worker
 * decodes it and counts it as decode.c says).
 */
#include "pkt_hash.h"

#include <pcap/dlt.h>
#include <string.h>

#define LINKTYPE_RAW 101

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* 64-bit mix (splitmix64's finaliser). */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The address pair at ip, in an order that does not depend on direction. */
static uint32_t hash_ip(const uint8_t *ip, uint32_t len)
{
	uint64_t a[2] = { 0, 0 }, b[2] = { 0, 0 };
	uint64_t h;

	if (len >= 20 && ip[0] >> 4 == 4) {
		memcpy(a, ip + 12, 4);
		memcpy(b, ip + 16, 4);
	} else if (len >= 40 && ip[0] >> 4 == 6) {
		memcpy(a, ip + 8, 16);
		memcpy(b, ip + 24, 16);
	} else {
		return 0;
	}
	/* symmetric: the sum and the xor of the two addresses */
	h = mix(a[0] + b[0]) ^ mix((a[0] ^ b[0]) + 0x9e3779b97f4a7c15ULL);
	h ^= mix(a[1] + b[1] + 1) ^ mix((a[1] ^ b[1]) + 2);
	h ^= h >> 32;
	/* 0 means "not IP"; the low bits pick the worker, so leave them be */
	return (uint32_t)h ? (uint32_t)h : 1;
}

/* An ethertype's payload (VLAN, QinQ, PPPoE session, MPLS peeled). */
static uint32_t hash_ethertype(uint16_t et, const uint8_t *p, uint32_t len)
{
	for (int depth = 0; depth < 8; depth++) {
		switch (et) {
		case 0x0800: case 0x86DD:
			return hash_ip(p, len);
		case 0x8100: case 0x88A8: case 0x9100:
			if (len < 4)
				return 0;
			et = rd16(p + 2);
			p += 4;
			len -= 4;
			break;
		case 0x8864:
			if (len < 8)
				return 0;
			et = rd16(p + 6) == 0x0021 ? 0x0800 : rd16(p + 6) == 0x0057 ? 0x86DD : 0;
			if (!et && (p[6] == 0x21 || p[6] == 0x57)) {
				/* a compressed (one byte) PPP protocol field */
				et = p[6] == 0x21 ? 0x0800 : 0x86DD;
				p += 7;
				len -= 7;
				break;
			}
			p += 8;
			len -= 8;
			break;
		case 0x8847: case 0x8848:
			while (len >= 4 && !(p[2] & 1)) {
				p += 4;
				len -= 4;
			}
			if (len < 5)
				return 0;
			p += 4;
			len -= 4;
			et = p[0] >> 4 == 4 ? 0x0800 : p[0] >> 4 == 6 ? 0x86DD : 0;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

uint32_t pkt_hash_pair(int linktype, const uint8_t *p, uint32_t len)
{
	switch (linktype) {
	case DLT_EN10MB:
		return len < 14 ? 0 : hash_ethertype(rd16(p + 12), p + 14, len - 14);
	case DLT_LINUX_SLL:
		return len < 16 ? 0 : hash_ethertype(rd16(p + 14), p + 16, len - 16);
	case DLT_LINUX_SLL2:
		return len < 20 ? 0 : hash_ethertype(rd16(p), p + 20, len - 20);
	case DLT_RAW: case LINKTYPE_RAW: case DLT_IPV4: case DLT_IPV6:
		return hash_ip(p, len);
	case DLT_NULL: case DLT_LOOP:
		return len < 4 ? 0 : hash_ip(p + 4, len - 4);
	case DLT_C_HDLC:
		return len < 4 ? 0 : hash_ethertype(rd16(p + 2), p + 4, len - 4);
	default:
		return 0;
	}
}
