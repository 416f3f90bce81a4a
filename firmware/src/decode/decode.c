/*
 * decode.c - link-layer bytes to a flow key (the interface is decode.h).
 *
 * The decoder is a chain of small functions, one per protocol. Each gets a
 * pointer to its header and the number of captured bytes from there, checks
 * that its header is captured before reading it, fills its part of struct
 * decoded and hands the rest to the next layer. Multi-byte fields are read
 * byte by byte in network order: no alignment or host-endian assumptions.
 *
 * Two lengths travel with the IP payload: "cap", the bytes we have (bounded
 * by caplen and by the IP length, so Ethernet padding never counts), and
 * "wire", the bytes the IP header says there are. A header that does not fit
 * in cap is truncated if it would fit in wire, invalid otherwise.
 *
 * Tunnels (tunnel_inner): the inner packet overwrites the outer one in
 * struct decoded. If the tunnel payload turns out not to be IP (a bad
 * tunnel header, ARP inside VXLAN, ...), the outer packet is restored and
 * reported; if an inner IP header is there but broken, its error stands.
 *
 * Fragments: the first fragment's ports are remembered in the decoder's
 * table (keyed by addresses, IP id and, for IPv4, protocol) so that later
 * fragments, which carry no L4 header, land in the same flow. The table's
 * hash is keyed with a random seed; which entries share a set depends on
 * it, so only a replay that overflows a set (frag_overwrites > 0) can
 * differ between runs.
 */
#include "decode.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <pcap/dlt.h>

#ifndef LINKTYPE_RAW
#define LINKTYPE_RAW 101        /* raw IP as stored in files (DLT_RAW varies) */
#endif

#define ETH_HLEN        14
#define VLAN_MAX_TAGS   8       /* QinQ stacks deeper than this: give up */
#define MPLS_MAX_LABELS 16
#define IPV6_MAX_EXT    16      /* extension headers walked before giving up */
#define GTPU_MAX_EXT    8
#define LINK_MAX_NEST   16      /* Ethernet frames in one packet (pseudowires) */
#define DEFRAG_TTL_US   (60ULL * 1000000ULL)
#define DEFRAG_WAYS     4       /* the table is 4-way set associative */

_Static_assert((DEFRAG_SLOTS & (DEFRAG_SLOTS - 1)) == 0 &&
	       DEFRAG_SLOTS >= DEFRAG_WAYS, "DEFRAG_SLOTS: power of two");

enum ethertype {
	ET_IPV4 = 0x0800, ET_IPV6 = 0x86DD,
	ET_VLAN = 0x8100, ET_QINQ = 0x88A8, ET_QINQ_OLD = 0x9100,
	ET_PPPOE_SESSION = 0x8864,
	ET_MPLS_UC = 0x8847, ET_MPLS_MC = 0x8848,
	ET_TEB = 0x6558,            /* transparent Ethernet bridging (GRE) */
	ET_ERSPAN_2 = 0x88BE, ET_ERSPAN_3 = 0x22EB,
	ET_PPP = 0x880B,            /* PPP in enhanced GRE (PPTP) */
};

enum ipproto {
	P_HOPOPTS = 0, P_ICMP = 1, P_IPIP = 4, P_TCP = 6, P_UDP = 17,
	P_IPV6 = 41, P_ROUTING = 43, P_FRAGMENT = 44, P_GRE = 47, P_AH = 51,
	P_ICMPV6 = 58, P_DSTOPTS = 60, P_SCTP = 132, P_MOBILITY = 135,
};

enum { PPP_IPV4 = 0x21, PPP_IPV6 = 0x57 };   /* same value in 1 or 2 bytes */
enum { UDP_VXLAN = 4789, UDP_GTPU = 2152 };

/* GRE flags and version (RFC 2784/2890, RFC 2637 for version 1). */
enum {
	GRE_C = 0x8000, GRE_R = 0x4000, GRE_K = 0x2000, GRE_S = 0x1000,
	GRE_A = 0x0080, GRE_VER = 0x0007,
};

/* Per-packet state handed down the chain. */
struct ctx {
	struct decoder *dec;    /* fragment table; may be NULL */
	struct decoded *d;
	uint64_t ts_us;
	unsigned eth_nest;      /* Ethernet headers seen (bounds recursion) */
};

typedef int (*layer_fn)(struct ctx *c, const uint8_t *p, uint32_t len);

static int decode_ethernet(struct ctx *c, const uint8_t *p, uint32_t len);
static int decode_ethertype(struct ctx *c, uint16_t type, const uint8_t *p,
			    uint32_t len);
static int decode_ipv4(struct ctx *c, const uint8_t *p, uint32_t len);
static int decode_ipv6(struct ctx *c, const uint8_t *p, uint32_t len);

/* ---- helpers ------------------------------------------------------------ */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A header needing `need` bytes does not fit in what was captured: the
 * capture is short (truncated) unless the packet's own length says it can
 * never fit (invalid). */
static inline int short_err(uint32_t need, uint32_t wire, int trunc, int bad)
{
	return need > wire ? bad : trunc;
}

static void set_payload(struct decoded *d, const uint8_t *p, uint32_t n)
{
	d->payload = n ? p : NULL;
	d->payload_len = n;
}

/* ::ffff:a.b.c.d - IPv4 addresses share the 16-byte IPv6 layout. */
static void map_ipv4(uint8_t out[16], const uint8_t *a)
{
	memset(out, 0, 10);
	out[10] = 0xFF;
	out[11] = 0xFF;
	memcpy(out + 12, a, 4);
}

/* A new IP header: it becomes the reported one, L4 fields start over. */
static void begin_l3(struct decoded *d, uint8_t ver, const uint8_t *p,
		     uint32_t cap, uint32_t wire)
{
	d->ipver = ver;
	d->l3 = p;
	d->l3_caplen = cap;
	d->ip_len = wire;
	d->proto = 0;
	d->sport = d->dport = 0;
	d->tcp_flags = 0;
	d->tcp_seq = 0;
	d->icmp_type = d->icmp_code = d->has_icmp = 0;
	set_payload(d, NULL, 0);
}

/* ---- fragment table ----------------------------------------------------- */

static uint64_t age_us(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* Keyed hash of the fragment key (addresses, id, and the protocol unless
 * keyproto < 0, IPv6): the decoder's random seed keeps crafted fragments
 * from being aimed at one set of the table. */
static uint32_t defrag_hash(const struct decoder *dec, const struct decoded *d, uint32_t id,
			    int keyproto)
{
	uint64_t w[5], h = dec->seed ^ 0x9E3779B97F4A7C15ULL;

	memcpy(w, d->src, 16);
	memcpy(w + 2, d->dst, 16);
	w[4] = (uint64_t)id << 16 | (keyproto < 0 ? 0x100u : (uint32_t)keyproto);
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xFF51AFD7ED558CCDULL;
		h ^= h >> 33;
	}
	h *= 0xC4CEB9FE1A85EC53ULL;
	return (uint32_t)(h ^ (h >> 29));
}

static struct defrag_entry *defrag_set(struct decoder *dec,
				       const struct decoded *d, uint32_t id,
				       int keyproto)
{
	uint32_t i = defrag_hash(dec, d, id, keyproto) & (DEFRAG_SLOTS - DEFRAG_WAYS);
	return &dec->frags[i];
}

static int defrag_match(const struct defrag_entry *e, const struct decoded *d,
			uint32_t id, int keyproto)
{
	return e->used && e->id == id &&
	       (keyproto < 0 || e->proto == (uint8_t)keyproto) &&
	       memcmp(e->src, d->src, 16) == 0 && memcmp(e->dst, d->dst, 16) == 0;
}

/* First fragment: remember the ports of the L4 header at l4 under the key
 * (addresses in *d, id, keyproto); proto is the L4 protocol to report. */
static void defrag_first(struct ctx *c, uint32_t id, int keyproto, uint8_t proto,
			 const uint8_t *l4, uint32_t l4cap)
{
	struct defrag_entry *set, *victim = NULL, *oldest = NULL;
	unsigned i;

	if (!c->dec)
		return;
	set = defrag_set(c->dec, c->d, id, keyproto);
	for (i = 0; i < DEFRAG_WAYS && !victim; i++)
		if (defrag_match(&set[i], c->d, id, keyproto))
			victim = &set[i];
	for (i = 0; i < DEFRAG_WAYS && !victim; i++) {
		struct defrag_entry *e = &set[i];
		if (!e->used || age_us(c->ts_us, e->ts_us) >= DEFRAG_TTL_US)
			victim = e;
		else if (!oldest || e->ts_us < oldest->ts_us)
			oldest = e;
	}
	if (!victim) {
		victim = oldest;
		c->dec->frag_overwrites++;
	}
	memcpy(victim->src, c->d->src, 16);
	memcpy(victim->dst, c->d->dst, 16);
	victim->id = id;
	victim->proto = proto;
	victim->used = 1;
	victim->sport = victim->dport = 0;
	if ((proto == P_TCP || proto == P_UDP || proto == P_SCTP) && l4cap >= 4) {
		victim->sport = rd16(l4);
		victim->dport = rd16(l4 + 2);
	}
	victim->ts_us = c->ts_us;
}

/* Later fragment: no L4 header, take protocol and ports from the first. */
static int defrag_follow(struct ctx *c, uint32_t id, int keyproto)
{
	struct defrag_entry *set;
	unsigned i;

	if (c->dec) {
		set = defrag_set(c->dec, c->d, id, keyproto);
		for (i = 0; i < DEFRAG_WAYS; i++) {
			const struct defrag_entry *e = &set[i];
			if (!defrag_match(e, c->d, id, keyproto) ||
			    age_us(c->ts_us, e->ts_us) >= DEFRAG_TTL_US)
				continue;
			c->d->proto = e->proto;
			c->d->sport = e->sport;
			c->d->dport = e->dport;
			return DECODE_OK;
		}
		c->dec->frag_orphans++;
	}
	return DECODE_ERR_FRAG_ORPHAN;
}

/* ---- tunnels: common part ----------------------------------------------- */

/* Errors that mean "the tunnel payload was not an IP packet after all":
 * the outer packet is reported instead. Errors from an inner IP header or
 * below it are real and returned. */
static int inner_not_ip(int err)
{
	switch (err) {
	case DECODE_ERR_UNSUPPORTED_LINK:
	case DECODE_ERR_TRUNC_LINK:
	case DECODE_ERR_TRUNC_VLAN:
	case DECODE_ERR_TRUNC_PPPOE:
	case DECODE_ERR_TRUNC_MPLS:
	case DECODE_ERR_TRUNC_TUNNEL:
	case DECODE_ERR_NOT_IP:
		return 1;
	default:
		return 0;
	}
}

/* Decode a tunnel's payload with fn as the inner packet; falls back to the
 * outer packet (already in *d) when the payload is not IP. */
static int tunnel_inner(struct ctx *c, enum decode_tunnel kind, layer_fn fn,
			const uint8_t *p, uint32_t len)
{
	struct decoded outer = *c->d;
	int err;

	if (c->d->tunnel_depth >= DECODE_MAX_TUNNELS)
		return DECODE_ERR_TUNNEL_DEPTH;
	if (c->d->tunnel_depth == 0)
		c->d->tunnel = (uint8_t)kind;
	c->d->tunnel_depth++;
	err = fn(c, p, len);
	if (err != DECODE_OK && inner_not_ip(err)) {
		*c->d = outer;
		return DECODE_OK;
	}
	return err;
}

/* ---- link layers -------------------------------------------------------- */

/* IP with no link header: the version nibble tells which. */
static int decode_ip_guess(struct ctx *c, const uint8_t *p, uint32_t len)
{
	if (len < 1)
		return DECODE_ERR_TRUNC_LINK;
	switch (p[0] >> 4) {
	case 4: return decode_ipv4(c, p, len);
	case 6: return decode_ipv6(c, p, len);
	default: return DECODE_ERR_NOT_IP;
	}
}

/* Ethernet II: 14-byte header (addresses, ethertype), then the ethertype's
 * protocol. 802.3 length fields (< 0x600) fall through to not-IP. */
static int decode_ethernet(struct ctx *c, const uint8_t *p, uint32_t len)
{
	if (++c->eth_nest > LINK_MAX_NEST)
		return DECODE_ERR_NOT_IP;
	if (len < ETH_HLEN)
		return DECODE_ERR_TRUNC_LINK;
	return decode_ethertype(c, rd16(p + 12), p + ETH_HLEN, len - ETH_HLEN);
}

static int is_vlan_tpid(uint16_t type)
{
	return type == ET_VLAN || type == ET_QINQ || type == ET_QINQ_OLD;
}

/* 802.1Q/802.1ad/QinQ tags (TCI, next ethertype), stacked up to
 * VLAN_MAX_TAGS; the innermost VLAN id of the outer link is kept. */
static int decode_vlan(struct ctx *c, const uint8_t *p, uint32_t len)
{
	unsigned n;
	uint16_t type;

	for (n = 0; n < VLAN_MAX_TAGS; n++) {
		if (len < 4)
			return DECODE_ERR_TRUNC_VLAN;
		if (c->d->tunnel_depth == 0)
			c->d->vlan = rd16(p) & 0x0FFF;
		type = rd16(p + 2);
		p += 4;
		len -= 4;
		if (!is_vlan_tpid(type))
			return decode_ethertype(c, type, p, len);
	}
	return DECODE_ERR_NOT_IP;       /* absurdly deep stack: give up */
}

/* A PPP frame (RFC 1661): optional FF 03 address/control (HDLC framing, as
 * PPTP uses), then the protocol field, 1 byte when compressed (PFC: the low
 * bit of its first byte is set) or 2 bytes. Only IPv4/IPv6 go on. */
static int decode_ppp(struct ctx *c, const uint8_t *p, uint32_t len,
		      int trunc_err)
{
	uint16_t proto;
	uint32_t hl;

	if (len >= 2 && p[0] == 0xFF && p[1] == 0x03) {
		p += 2;
		len -= 2;
	}
	if (len < 1)
		return trunc_err;
	if (p[0] & 1) {
		proto = p[0];
		hl = 1;
	} else {
		if (len < 2)
			return trunc_err;
		proto = rd16(p);
		hl = 2;
	}
	switch (proto) {
	case PPP_IPV4: return decode_ipv4(c, p + hl, len - hl);
	case PPP_IPV6: return decode_ipv6(c, p + hl, len - hl);
	default: return DECODE_ERR_NOT_IP;  /* LCP, IPCP, CCP, ... */
	}
}

/* PPPoE session stage (RFC 2516): 6-byte header (ver/type, code, session,
 * length), then a PPP frame. */
static int decode_pppoe(struct ctx *c, const uint8_t *p, uint32_t len)
{
	c->d->pppoe = 1;
	if (len < 6)
		return DECODE_ERR_TRUNC_PPPOE;
	return decode_ppp(c, p + 6, len - 6, DECODE_ERR_TRUNC_PPPOE);
}

/* MPLS (RFC 3032): 4-byte labels until the bottom-of-stack bit. The payload
 * has no type field, so its first nibble decides: 4 or 6 is IP, 0 is a
 * pseudowire control word followed by an Ethernet frame (RFC 4448). */
static int decode_mpls(struct ctx *c, const uint8_t *p, uint32_t len)
{
	unsigned n;
	int bottom = 0;

	c->d->mpls = 1;
	for (n = 0; n < MPLS_MAX_LABELS && !bottom; n++) {
		if (len < 4)
			return DECODE_ERR_TRUNC_MPLS;
		bottom = p[2] & 1;
		p += 4;
		len -= 4;
	}
	if (!bottom || len < 1)
		return DECODE_ERR_TRUNC_MPLS;
	switch (p[0] >> 4) {
	case 4: return decode_ipv4(c, p, len);
	case 6: return decode_ipv6(c, p, len);
	case 0:
		if (len < 4)
			return DECODE_ERR_TRUNC_MPLS;
		return decode_ethernet(c, p + 4, len - 4);
	default: return DECODE_ERR_NOT_IP;
	}
}

/* What follows an ethertype (Ethernet, VLAN tag, SLL, Cisco HDLC). */
static int decode_ethertype(struct ctx *c, uint16_t type, const uint8_t *p,
			    uint32_t len)
{
	switch (type) {
	case ET_IPV4: return decode_ipv4(c, p, len);
	case ET_IPV6: return decode_ipv6(c, p, len);
	case ET_VLAN: case ET_QINQ: case ET_QINQ_OLD:
		return decode_vlan(c, p, len);
	case ET_PPPOE_SESSION: return decode_pppoe(c, p, len);
	case ET_MPLS_UC: case ET_MPLS_MC: return decode_mpls(c, p, len);
	default: return DECODE_ERR_NOT_IP;   /* ARP, LLDP, PPPoE discovery... */
	}
}

/* Linux cooked capture v1: 16-byte header, protocol at offset 14. */
static int decode_sll(struct ctx *c, const uint8_t *p, uint32_t len)
{
	if (len < 16)
		return DECODE_ERR_TRUNC_LINK;
	return decode_ethertype(c, rd16(p + 14), p + 16, len - 16);
}

/* Linux cooked capture v2: 20-byte header, protocol at offset 0. */
static int decode_sll2(struct ctx *c, const uint8_t *p, uint32_t len)
{
	if (len < 20)
		return DECODE_ERR_TRUNC_LINK;
	return decode_ethertype(c, rd16(p), p + 20, len - 20);
}

/* BSD null/loopback: a 4-byte address family, host order for DLT_NULL and
 * network order for DLT_LOOP; the writer's host is unknown, so both byte
 * orders are accepted. AF_INET6 is 10, 24, 28 or 30 depending on the OS. */
static int decode_null(struct ctx *c, const uint8_t *p, uint32_t len)
{
	uint32_t be, le;

	if (len < 4)
		return DECODE_ERR_TRUNC_LINK;
	be = rd32(p);
	le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	     (uint32_t)p[1] << 8 | p[0];
	if (be == 2 || le == 2)
		return decode_ipv4(c, p + 4, len - 4);
	if (be == 10 || be == 24 || be == 28 || be == 30 ||
	    le == 10 || le == 24 || le == 28 || le == 30)
		return decode_ipv6(c, p + 4, len - 4);
	return DECODE_ERR_NOT_IP;
}

/* Cisco HDLC: address, control, 2-byte ethertype (IP or MPLS). */
static int decode_chdlc(struct ctx *c, const uint8_t *p, uint32_t len)
{
	if (len < 4)
		return DECODE_ERR_TRUNC_LINK;
	return decode_ethertype(c, rd16(p + 2), p + 4, len - 4);
}

/* ---- L4 ------------------------------------------------------------------ */

/* TCP: ports, flags; the data offset must cover a 20-byte header. */
static int decode_tcp(struct ctx *c, const uint8_t *p, uint32_t cap,
		      uint32_t wire)
{
	uint32_t hl;

	if (cap < 20)
		return short_err(20, wire, DECODE_ERR_TRUNC_TCP, DECODE_ERR_BAD_TCP);
	hl = (uint32_t)(p[12] >> 4) * 4;
	if (hl < 20)
		return DECODE_ERR_BAD_TCP;
	if (hl > cap)
		return short_err(hl, wire, DECODE_ERR_TRUNC_TCP, DECODE_ERR_BAD_TCP);
	c->d->sport = rd16(p);
	c->d->dport = rd16(p + 2);
	c->d->tcp_flags = p[13];
	c->d->tcp_seq = (uint32_t)rd16(p + 4) << 16 | rd16(p + 6);
	set_payload(c->d, p + hl, cap - hl);
	return DECODE_OK;
}

/* Forward declarations: UDP hands its payload to the UDP tunnels. */
static int decode_vxlan(struct ctx *c, const uint8_t *p, uint32_t len);
static int decode_gtpu(struct ctx *c, const uint8_t *p, uint32_t len);
static int decode_gre(struct ctx *c, const uint8_t *p, uint32_t len);

/* UDP: ports and length (>= 8); the payload ends at the UDP length if that
 * is shorter. VXLAN (dport 4789) and GTP-U (port 2152) are opened; Teredo
 * (3544) deliberately is not: nDPI classifies the outer flow. */
static int decode_udp(struct ctx *c, const uint8_t *p, uint32_t cap,
		      uint32_t wire)
{
	uint32_t ulen, n;
	uint16_t sport, dport;

	if (cap < 8)
		return short_err(8, wire, DECODE_ERR_TRUNC_UDP, DECODE_ERR_BAD_UDP);
	ulen = rd16(p + 4);
	if (ulen < 8)
		return DECODE_ERR_BAD_UDP;
	sport = rd16(p);
	dport = rd16(p + 2);
	c->d->sport = sport;
	c->d->dport = dport;
	n = min32(cap, ulen) - 8;
	set_payload(c->d, p + 8, n);
	if (dport == UDP_VXLAN)
		return decode_vxlan(c, p + 8, n);
	if (sport == UDP_GTPU || dport == UDP_GTPU)
		return decode_gtpu(c, p + 8, n);
	return DECODE_OK;
}

/* ICMP/ICMPv6: type and code (4 bytes needed); no ports. The payload is
 * what follows the 8-byte header (echo id/seq, or the quoted packet). */
static int decode_icmp(struct ctx *c, const uint8_t *p, uint32_t cap)
{
	if (cap < 4)
		return DECODE_ERR_TRUNC_ICMP;
	c->d->icmp_type = p[0];
	c->d->icmp_code = p[1];
	c->d->has_icmp = 1;
	if (cap > 8)
		set_payload(c->d, p + 8, cap - 8);
	return DECODE_OK;
}

/* SCTP: the 12-byte common header gives the ports. */
static int decode_sctp(struct ctx *c, const uint8_t *p, uint32_t cap)
{
	if (cap < 12)
		return DECODE_ERR_TRUNC_SCTP;
	c->d->sport = rd16(p);
	c->d->dport = rd16(p + 2);
	set_payload(c->d, p + 12, cap - 12);
	return DECODE_OK;
}

/* The payload of an IP header: L4 headers and IP-carried tunnels. Other
 * protocols (ESP, OSPF, IGMP, ...) are flows without ports whose payload is
 * the whole IP payload. */
static int decode_l4(struct ctx *c, uint8_t proto, const uint8_t *p,
		     uint32_t cap, uint32_t wire)
{
	c->d->proto = proto;
	switch (proto) {
	case P_TCP: return decode_tcp(c, p, cap, wire);
	case P_UDP: return decode_udp(c, p, cap, wire);
	case P_ICMP: case P_ICMPV6: return decode_icmp(c, p, cap);
	case P_SCTP: return decode_sctp(c, p, cap);
	case P_GRE: return decode_gre(c, p, cap);
	case P_IPIP:
		set_payload(c->d, p, cap);
		return tunnel_inner(c, TUNNEL_IPIP, decode_ipv4, p, cap);
	case P_IPV6:
		set_payload(c->d, p, cap);
		return tunnel_inner(c, TUNNEL_IPIP, decode_ipv6, p, cap);
	default:
		set_payload(c->d, p, cap);
		return DECODE_OK;
	}
}

/* ---- IP -------------------------------------------------------------------- */

/* IPv4 (RFC 791): validate the header, note addresses, handle fragments,
 * then the payload as far as it is both captured and within total length.
 * Total length 0 (TSO/GSO, filled in later by the NIC): the captured length. */
static int decode_ipv4(struct ctx *c, const uint8_t *p, uint32_t len)
{
	struct decoded *d = c->d;
	uint32_t ihl, tot, cap;
	uint16_t frag;
	uint8_t proto;

	if (len < 20)
		return DECODE_ERR_TRUNC_IPV4;
	if ((p[0] >> 4) != 4)
		return DECODE_ERR_BAD_IPV4;
	ihl = (uint32_t)(p[0] & 0x0F) * 4;
	if (ihl < 20)
		return DECODE_ERR_BAD_IPV4;
	if (ihl > len)
		return DECODE_ERR_TRUNC_IPV4;
	tot = rd16(p + 2);
	if (tot == 0)
		tot = len;
	if (tot < ihl)
		return DECODE_ERR_BAD_IPV4;
	cap = min32(len, tot);
	proto = p[9];
	begin_l3(d, 4, p, cap, tot);
	map_ipv4(d->src, p + 12);
	map_ipv4(d->dst, p + 16);

	frag = rd16(p + 6);
	if (frag & 0x3FFF) {            /* MF set or offset != 0 */
		uint32_t id = rd16(p + 4);
		d->fragment = 1;
		if (frag & 0x1FFF) {
			d->proto = proto;
			return defrag_follow(c, id, proto);
		}
		defrag_first(c, id, proto, proto, p + ihl, cap - ihl);
	}
	return decode_l4(c, proto, p + ihl, cap - ihl, tot - ihl);
}

static int is_ipv6_ext(uint8_t nh)
{
	return nh == P_HOPOPTS || nh == P_ROUTING || nh == P_DSTOPTS ||
	       nh == P_FRAGMENT || nh == P_AH || nh == P_MOBILITY;
}

/* IPv6 (RFC 8200): fixed header, then the extension header chain (bounded)
 * to the upper-layer protocol. Payload length 0 (jumbogram, TSO): the
 * captured length. A fragment header is handled like IPv4 fragments, keyed
 * by the 32-bit identification. */
static int decode_ipv6(struct ctx *c, const uint8_t *p, uint32_t len)
{
	struct decoded *d = c->d;
	uint32_t tot, cap, off = 40, hl, frag_id = 0;
	int first_frag = 0;
	unsigned n;
	uint8_t nh;

	if (len < 40)
		return DECODE_ERR_TRUNC_IPV6;
	if ((p[0] >> 4) != 6)
		return DECODE_ERR_BAD_IPV6;
	tot = rd16(p + 4);
	tot = tot ? tot + 40 : len;
	cap = min32(len, tot);
	begin_l3(d, 6, p, cap, tot);
	memcpy(d->src, p + 8, 16);
	memcpy(d->dst, p + 24, 16);

	nh = p[6];
	for (n = 0; is_ipv6_ext(nh); n++) {
		if (n >= IPV6_MAX_EXT)
			return DECODE_ERR_BAD_IPV6;
		/* every extension header is at least 8 bytes */
		if (off + 8 > cap)
			return short_err(off + 8, tot, DECODE_ERR_TRUNC_IPV6,
					 DECODE_ERR_BAD_IPV6);
		if (nh == P_FRAGMENT) {
			uint16_t fo = rd16(p + off + 2);  /* offset<<3 | M */
			hl = 8;
			if (fo & 0xFFF9) {
				d->fragment = 1;
				frag_id = rd32(p + off + 4);
				if (fo & 0xFFF8) {
					d->proto = p[off];
					return defrag_follow(c, frag_id, -1);
				}
				first_frag = 1;
			}
		} else if (nh == P_AH) {
			hl = ((uint32_t)p[off + 1] + 2) * 4;
		} else {
			hl = ((uint32_t)p[off + 1] + 1) * 8;
		}
		if (off + hl > cap)
			return short_err(off + hl, tot, DECODE_ERR_TRUNC_IPV6,
					 DECODE_ERR_BAD_IPV6);
		nh = p[off];
		off += hl;
	}
	if (first_frag)
		defrag_first(c, frag_id, -1, nh, p + off, cap - off);
	return decode_l4(c, nh, p + off, cap - off, tot - off);
}

/* ---- tunnels ---------------------------------------------------------------- */

/* PPP inside PPTP's GRE: a truncated PPP header is a broken tunnel. */
static int decode_ppp_in_gre(struct ctx *c, const uint8_t *p, uint32_t len)
{
	return decode_ppp(c, p, len, DECODE_ERR_TRUNC_TUNNEL);
}

/* ERSPAN type II (8-byte header; type I when GRE has no sequence number:
 * no header at all) and type III (12 bytes, +8 when the O flag announces
 * the platform-specific subheader), each followed by the mirrored Ethernet
 * frame. A short ERSPAN header leaves the GRE packet as the flow. */
static int decode_erspan(struct ctx *c, uint16_t ptype, int gre_seq,
			 const uint8_t *p, uint32_t len)
{
	uint32_t hl;

	if (ptype == ET_ERSPAN_2) {
		hl = gre_seq ? 8 : 0;
	} else {
		if (len < 12)
			return DECODE_OK;
		hl = (p[11] & 1) ? 20 : 12;
	}
	if (len < hl)
		return DECODE_OK;
	return tunnel_inner(c, TUNNEL_ERSPAN, decode_ethernet, p + hl, len - hl);
}

/* GRE (RFC 2784/2890): version 0 with optional checksum, key, sequence,
 * carrying IP, Ethernet (TEB), ERSPAN or MPLS; version 1 is PPTP's enhanced
 * GRE (RFC 2637: key always, optional sequence and ack) carrying PPP.
 * Anything else, or a short header, is reported as the GRE flow itself. */
static int decode_gre(struct ctx *c, const uint8_t *p, uint32_t len)
{
	uint16_t flags, ptype;
	uint32_t hl;

	set_payload(c->d, p, len);     /* the fallback: proto 47, no ports */
	if (len < 4)
		return DECODE_OK;
	flags = rd16(p);
	ptype = rd16(p + 2);
	if ((flags & GRE_VER) == 1) {
		if (ptype != ET_PPP || !(flags & GRE_K) || !(flags & GRE_S))
			return DECODE_OK;  /* ack-only or not PPTP */
		hl = 8 + 4 + ((flags & GRE_A) ? 4 : 0);
		if (len < hl)
			return DECODE_OK;
		return tunnel_inner(c, TUNNEL_GRE, decode_ppp_in_gre, p + hl,
				    len - hl);
	}
	if ((flags & GRE_VER) != 0 || (flags & GRE_R))
		return DECODE_OK;          /* unknown version, source routing */
	hl = 4 + ((flags & GRE_C) ? 4 : 0) + ((flags & GRE_K) ? 4 : 0) +
	     ((flags & GRE_S) ? 4 : 0);
	if (len < hl)
		return DECODE_OK;
	p += hl;
	len -= hl;
	switch (ptype) {
	case ET_IPV4: return tunnel_inner(c, TUNNEL_GRE, decode_ipv4, p, len);
	case ET_IPV6: return tunnel_inner(c, TUNNEL_GRE, decode_ipv6, p, len);
	case ET_TEB: return tunnel_inner(c, TUNNEL_GRE, decode_ethernet, p, len);
	case ET_MPLS_UC: case ET_MPLS_MC:
		return tunnel_inner(c, TUNNEL_GRE, decode_mpls, p, len);
	case ET_ERSPAN_2: case ET_ERSPAN_3:
		return decode_erspan(c, ptype, (flags & GRE_S) != 0, p, len);
	default: return DECODE_OK;
	}
}

/* VXLAN (RFC 7348): 8-byte header whose I flag (0x08) marks a valid VNI,
 * then an Ethernet frame. Without it, the outer UDP flow stands. */
static int decode_vxlan(struct ctx *c, const uint8_t *p, uint32_t len)
{
	if (len < 8 || !(p[0] & 0x08))
		return DECODE_OK;
	return tunnel_inner(c, TUNNEL_VXLAN, decode_ethernet, p + 8, len - 8);
}

/* GTP-U (3GPP TS 29.281): GTPv1 with PT=1 and message type G-PDU (0xFF);
 * 8-byte header, +4 when any of E/S/PN is set, then the extension header
 * chain if E is set (each ext: length in 4-byte units, next type last);
 * the user packet is IPv4 or IPv6. Other messages (echo, error indication,
 * end marker) or malformed headers leave the outer UDP flow. */
static int decode_gtpu(struct ctx *c, const uint8_t *p, uint32_t len)
{
	uint32_t hl = 8, elen;
	uint8_t next;
	unsigned n;

	if (len < 8 || (p[0] >> 5) != 1 || !(p[0] & 0x10) || p[1] != 0xFF)
		return DECODE_OK;
	if (p[0] & 0x07) {
		hl = 12;
		if (len < hl)
			return DECODE_OK;
		if (p[0] & 0x04) {
			next = p[11];
			for (n = 0; next != 0; n++) {
				if (n >= GTPU_MAX_EXT || hl >= len)
					return DECODE_OK;
				elen = (uint32_t)p[hl] * 4;
				if (elen == 0 || elen > len - hl)
					return DECODE_OK;
				next = p[hl + elen - 1];
				hl += elen;
			}
		}
	}
	if (hl >= len)
		return DECODE_OK;
	switch (p[hl] >> 4) {
	case 4: return tunnel_inner(c, TUNNEL_GTPU, decode_ipv4, p + hl, len - hl);
	case 6: return tunnel_inner(c, TUNNEL_GTPU, decode_ipv6, p + hl, len - hl);
	default: return DECODE_OK;
	}
}

/* ---- public ----------------------------------------------------------------- */

static const char *const error_names[DECODE_ERR__COUNT] = {
	[DECODE_OK] = "ok",
#define X(e, s) [e] = s,
	DECODE_ERRORS(X)
#undef X
};

const char *decode_error_name(int err)
{
	if (err < 0 || err >= DECODE_ERR__COUNT)
		return "unknown";
	return error_names[err];
}

void decoder_init(struct decoder *dec)
{
	memset(dec, 0, sizeof(*dec));
	/* without entropy yet (early boot): the time and the address */
	if (getrandom(&dec->seed, sizeof dec->seed, GRND_NONBLOCK) != (ssize_t)sizeof dec->seed)
		dec->seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)dec;
}

int decode_packet(struct decoder *dec, int linktype, const uint8_t *pkt,
		  uint32_t caplen, uint64_t ts_us, struct decoded *d)
{
	struct ctx c = { .dec = dec, .d = d, .ts_us = ts_us, .eth_nest = 0 };

	memset(d, 0, sizeof(*d));
	if (!pkt)
		return DECODE_ERR_TRUNC_LINK;
	switch (linktype) {
	case DLT_EN10MB: return decode_ethernet(&c, pkt, caplen);
	case DLT_LINUX_SLL: return decode_sll(&c, pkt, caplen);
	case DLT_LINUX_SLL2: return decode_sll2(&c, pkt, caplen);
	case DLT_RAW: case LINKTYPE_RAW: case DLT_IPV4: case DLT_IPV6:
		return decode_ip_guess(&c, pkt, caplen);
	case DLT_NULL: case DLT_LOOP: return decode_null(&c, pkt, caplen);
	case DLT_C_HDLC: return decode_chdlc(&c, pkt, caplen);
	default: return DECODE_ERR_UNSUPPORTED_LINK;
	}
}

const char *decode_proto_name(uint8_t p, char buf[8])
{
	static const struct { uint8_t n; const char *name; } names[] = {
		{ 0, "HOPOPT" }, { 1, "ICMP" }, { 2, "IGMP" }, { 4, "IPv4" }, { 6, "TCP" },
		{ 8, "EGP" }, { 9, "IGP" }, { 17, "UDP" }, { 27, "RDP" }, { 33, "DCCP" },
		{ 41, "IPv6" }, { 43, "IPv6-Route" }, { 44, "IPv6-Frag" }, { 46, "RSVP" },
		{ 47, "GRE" }, { 50, "ESP" }, { 51, "AH" }, { 58, "IPv6-ICMP" },
		{ 59, "IPv6-NoNxt" }, { 60, "IPv6-Opts" }, { 88, "EIGRP" }, { 89, "OSPFIGP" },
		{ 94, "IPIP" }, { 97, "ETHERIP" }, { 98, "ENCAP" }, { 103, "PIM" },
		{ 108, "IPComp" }, { 112, "VRRP" }, { 115, "L2TP" }, { 124, "ISIS" },
		{ 132, "SCTP" }, { 136, "UDPLite" }, { 137, "MPLS-in-IP" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].n == p)
			return names[i].name;
	snprintf(buf, 8, "%u", p);
	return buf;
}
