/*
 * decode.h - the decode stage: from link-layer bytes to a flow key.
 *
 * Owns: parsing link layers (Ethernet, Linux cooked SLL/SLL2, raw IP, BSD
 * null/loopback, Cisco HDLC), VLAN/QinQ, PPPoE, MPLS, IPv4 (with fragment
 * bookkeeping), IPv6 and its extension headers, the L4 headers (TCP, UDP,
 * ICMP, ICMPv6, SCTP) and tunnels whose inner packet is the one that counts
 * (GRE, ERSPAN, VXLAN, GTP-U, IP-in-IP). It never allocates per packet and
 * never trusts a length field: every read is bounds-checked against caplen.
 *
 * A packet that cannot be decoded gets one reason code; the caller counts it
 * and skips the packet.
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Reasons a packet is skipped. X(enum, "name in stats") */
#define DECODE_ERRORS(X)                                        \
	X(DECODE_ERR_UNSUPPORTED_LINK, "unsupported_linktype")  \
	X(DECODE_ERR_TRUNC_LINK, "truncated_link")              \
	X(DECODE_ERR_TRUNC_VLAN, "truncated_vlan")              \
	X(DECODE_ERR_TRUNC_PPPOE, "truncated_pppoe")            \
	X(DECODE_ERR_TRUNC_MPLS, "truncated_mpls")              \
	X(DECODE_ERR_TRUNC_IPV4, "truncated_ipv4")              \
	X(DECODE_ERR_BAD_IPV4, "invalid_ipv4")                  \
	X(DECODE_ERR_TRUNC_IPV6, "truncated_ipv6")              \
	X(DECODE_ERR_BAD_IPV6, "invalid_ipv6")                  \
	X(DECODE_ERR_TRUNC_TCP, "truncated_tcp")                \
	X(DECODE_ERR_BAD_TCP, "invalid_tcp")                    \
	X(DECODE_ERR_TRUNC_UDP, "truncated_udp")                \
	X(DECODE_ERR_BAD_UDP, "invalid_udp")                    \
	X(DECODE_ERR_TRUNC_ICMP, "truncated_icmp")              \
	X(DECODE_ERR_TRUNC_SCTP, "truncated_sctp")              \
	X(DECODE_ERR_TRUNC_TUNNEL, "truncated_tunnel")          \
	X(DECODE_ERR_TUNNEL_DEPTH, "tunnel_too_deep")           \
	X(DECODE_ERR_NOT_IP, "not_ip")                          \
	X(DECODE_ERR_FRAG_ORPHAN, "fragment_without_first")

enum decode_error {
	DECODE_OK = 0,
#define X(e, s) e,
	DECODE_ERRORS(X)
#undef X
	DECODE_ERR__COUNT
};

/* Name of a reason as it appears in stats ("truncated_ipv4"). */
const char *decode_error_name(int err);

/* An IP protocol's name as Suricata's EVE writes it (the IANA keywords of
 * Suricata's table: "TCP", "IPv6-ICMP", "IGMP"), or its number written
 * into buf for the rare rest. */
const char *decode_proto_name(uint8_t proto, char buf[8]);

#define DECODE_MAX_TUNNELS 4

enum decode_tunnel {
	TUNNEL_NONE = 0,
	TUNNEL_IPIP,   /* IPv4/IPv6 in IPv4/IPv6 (proto 4, 41) */
	TUNNEL_GRE,
	TUNNEL_ERSPAN,
	TUNNEL_VXLAN,
	TUNNEL_GTPU,
};

/* What the flow table and classifier need of one packet. Addresses of both
 * families are stored in 16 bytes: IPv4 as ::ffff:a.b.c.d (IPv4-mapped). */
struct decoded {
	uint8_t ipver;          /* 4 or 6 (innermost IP header) */
	uint8_t proto;          /* L4 protocol number (IPPROTO_*) */
	uint8_t tcp_flags;      /* TCP only */
	uint32_t tcp_seq;       /* TCP only: sequence number */
	uint8_t tunnel;         /* enum decode_tunnel of the outermost tunnel */
	uint8_t tunnel_depth;   /* how many tunnels were stripped */
	uint8_t fragment;       /* 1: IP fragment (first or not) */
	uint8_t pppoe, mpls;    /* seen on the way (informational) */
	uint16_t vlan;          /* innermost VLAN id of the outer link, 0 if none */
	uint16_t sport, dport;  /* TCP/UDP/SCTP ports; ICMP: 0 */
	uint8_t src[16], dst[16];
	uint8_t icmp_type, icmp_code;
	uint8_t has_icmp;       /* 1: icmp_type/code read from this packet's header */
	const uint8_t *l3;      /* innermost IP header (captured bytes) */
	uint32_t l3_caplen;     /* captured bytes from l3 to the end */
	uint32_t ip_len;        /* IP total length from the header (for byte
	                           counts, right even when the capture is snapped) */
	const uint8_t *payload; /* L4 payload (captured), NULL if none */
	uint32_t payload_len;   /* captured payload bytes */
};

/* The fragment tracker: maps non-first IP fragments to the ports of their
 * first fragment so that every fragment is counted in its flow. Bounded:
 * DEFRAG_SLOTS entries, oldest overwritten; packet time expires entries. */
#define DEFRAG_SLOTS 4096
struct defrag_entry {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto, used;
	uint16_t sport, dport;
	uint64_t ts_us;
};
struct decoder {
	struct defrag_entry frags[DEFRAG_SLOTS];
	uint64_t seed;           /* of the table's hash (random, decoder_init) */
	uint64_t frag_orphans;   /* non-first fragment with no first seen */
	uint64_t frag_overwrites;/* table slot reused while live */
};

/* Empty table, a fresh random hash seed. */
void decoder_init(struct decoder *dec);

/* Decode one captured packet of the given DLT_* link type.
 * Returns DECODE_OK and fills *d, or a DECODE_ERR_* reason. */
int decode_packet(struct decoder *dec, int linktype, const uint8_t *pkt,
		  uint32_t caplen, uint64_t ts_us, struct decoded *d);

#endif
