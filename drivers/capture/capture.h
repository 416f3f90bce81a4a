/*
 * capture.h - the capture stage: where packets come from.
 *
 * Owns: opening a packet source (a pcap/pcapng file, a live interface via
 * libpcap or an AF_PACKET TPACKET_V3 ring, which can follow an interface
 * that appears late or comes back), handing out one packet at a time with
 * its timestamp and lengths, and the source's own counters (packets read,
 * kernel drops). Knows nothing about protocols.
 *
 * Every backend fills a struct capture_ops; callers only use the functions
 * below (capture.c, the front end, dispatches them), so a new backend
 * touches no other stage. The daemon opens its sources here while still
 * privileged; reading them needs no privilege.
 */
#ifndef VIGIL_CAPTURE_H
#define VIGIL_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* One packet as the source delivered it. data stays valid until the next
 * capture_next() or capture_close() on the same source. */
struct cap_packet {
	const uint8_t *data;
	uint32_t caplen;   /* bytes in data */
	uint32_t wirelen;  /* bytes on the wire (>= caplen when snapped) */
	uint64_t ts_us;    /* capture time, microseconds since the epoch */
};

struct capture_stats {
	uint64_t packets;       /* delivered to us */
	uint64_t bytes;         /* wire bytes delivered */
	uint64_t kernel_drops;  /* dropped by the kernel/ring (live only) */
	uint64_t if_drops;      /* dropped by the interface (live only) */
};

enum capture_result {
	CAPTURE_PACKET = 1,   /* *pkt is filled */
	CAPTURE_TIMEOUT = 0,  /* live source: nothing within the poll timeout */
	CAPTURE_EOF = -1,     /* file source: no more packets */
	CAPTURE_ERROR = -2,   /* read error: see capture_error() */
};

/* How a live interface is captured (vigil.conf's [capture] method). */
enum capture_method { CAPTURE_AUTO = 0, CAPTURE_PCAP, CAPTURE_AFPACKET };

struct capture;

/* The backend's side: what each kind of source does. Callers use the
 * functions below, never these. */
struct capture_ops {
	const char *name;
	int (*next)(struct capture *c, struct cap_packet *pkt);
	void (*stats)(struct capture *c, struct capture_stats *st);
	void (*close)(struct capture *c);
	int (*attach)(struct capture *c, char *err, size_t errlen); /* NULL: cannot */
};

struct capture {
	const struct capture_ops *ops;
	int linktype;          /* DLT_* value as libpcap numbers it */
	char source[256];      /* file path or interface name, for messages */
	char error[256];       /* last error, for messages */
	void *priv;            /* backend state */
};

/* The method a live interface gets: CAPTURE_AUTO is AF_PACKET where this
 * build has it, else libpcap. */
int capture_live_method(int method);

/* A live interface by method (resolved as above). AF_PACKET: the socket
 * and ring are prepared (capture_prepare_afpacket; capture_attach binds
 * them once the interface is there); libpcap: opened now
 * (capture_open_live). NULL and err on failure. Call while privileged. */
struct capture *capture_open_iface(const char *ifname, int method, unsigned ring_mb, int snaplen,
				   int timeout_ms, char *err, size_t errlen);

/* Open a pcap or pcapng file. Returns NULL and fills err on failure. */
struct capture *capture_open_file(const char *path, char *err, size_t errlen);

/* Open a live interface with libpcap (promiscuous, snaplen bytes, poll
 * timeout in ms). Returns NULL and fills err on failure. */
struct capture *capture_open_live(const char *ifname, int snaplen,
				  int timeout_ms, char *err, size_t errlen);

/* Open a live interface through an AF_PACKET TPACKET_V3 ring (Linux),
 * without libpcap: promiscuous, snaplen bytes (<= 0: 256 KiB), ring_mb MiB
 * of kernel ring (0: 64 MiB, at most 1024) in blocks of 1 MiB (smaller for
 * small rings), timeout_ms (<= 0: 1 s) both for how long capture_next()
 * waits and for how long the kernel holds a partly filled block. Link type
 * DLT_EN10MB (Ethernet, loopback) or DLT_RAW (tun, raw IP). VLAN tags the
 * kernel stripped are put back into the frame (so, as with libpcap, such a
 * frame's caplen can be snaplen + 4). Stats: packets and bytes delivered,
 * kernel_drops from the ring. Needs CAP_NET_RAW. Returns NULL and fills
 * err ("IF: reason") on failure. */
struct capture *capture_open_afpacket(const char *ifname, unsigned ring_mb, int snaplen,
				      int timeout_ms, char *err, size_t errlen);

/* The same socket and ring without the interface: it may be missing now.
 * Needs CAP_NET_RAW (so: before the privilege drop); capture_attach()
 * binds it once the interface is there, without privileges. NULL and err
 * filled only for what will not get better (no CAP_NET_RAW, a ring too
 * large, no memory). */
struct capture *capture_prepare_afpacket(const char *ifname, unsigned ring_mb, int snaplen,
					 int timeout_ms, char *err, size_t errlen);

/* How an interface is, for a live source that follows it. */
enum capture_link {
	CAPTURE_LINK_UP = 1,        /* bound, the interface is up: capturing */
	CAPTURE_LINK_DOWN = 2,      /* bound, the interface is down (no carrier
				       or set down): packets come once it is up */
	CAPTURE_LINK_MISSING = 0,   /* no such interface (yet, or any more) */
	CAPTURE_LINK_ERROR = -1,    /* something else: err says what */
};

/* (Re)bind a live source to its interface: after capture_prepare_afpacket,
 * after the interface was deleted and made again (a new index), or just
 * to learn whether it is up. One of enum capture_link; err filled unless
 * UP. Sources that cannot follow an interface (files, libpcap) return
 * CAPTURE_LINK_ERROR. */
int capture_attach(struct capture *c, char *err, size_t errlen);

/* 1 if this build has the AF_PACKET backend (Linux, TPACKET_V3 headers). */
int capture_afpacket_available(void);

/* Next packet: one of enum capture_result. */
static inline int capture_next(struct capture *c, struct cap_packet *pkt)
{
	return c->ops->next(c, pkt);
}

/* The source's link type (DLT_* as libpcap numbers it). */
static inline int capture_linktype(const struct capture *c)
{
	return c->linktype;
}

void capture_get_stats(struct capture *c, struct capture_stats *st);
const char *capture_error(const struct capture *c);
void capture_close(struct capture *c);

#endif
