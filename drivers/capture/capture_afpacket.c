/*
 * capture_afpacket.c - the AF_PACKET TPACKET_V3 backend of the capture
 * stage (capture.h): one live interface read through an mmap'ed ring of
 * blocks shared with the kernel, without libpcap.
 *
 * The ring is tp_block_nr blocks of tp_block_size bytes. The kernel fills
 * one block at a time with variable-length packets (struct tpacket3_hdr
 * followed by the frame) and hands it to us by setting TP_STATUS_USER in
 * the block descriptor, either when it is full or when tp_retire_blk_tov
 * (our poll timeout) has passed since its first packet. We walk the
 * block's packets one capture_next() call at a time and give the block
 * back (TP_STATUS_KERNEL) at the start of the call after its last packet,
 * so a returned packet stays valid until the next call, as capture.h
 * promises. The block status word is the only thing the two sides share
 * concurrently: it is read with acquire and written with release ordering.
 *
 * Everything a source needs lives in struct afp_src; there is no global
 * state, so any number of interfaces can be opened side by side.
 *
 * Interfaces come and go (a USB adapter unplugged, a veth deleted): the
 * socket and its ring are made once, while privileged, and bound to the
 * interface by index whenever it exists (capture_attach). Binding needs no
 * privilege, so a daemon without capabilities follows an interface that
 * appears late or is deleted and made again. The socket starts with
 * protocol 0 and gets ETH_P_ALL only in bind(): until then it receives
 * nothing, not even another interface's packets.
 */
#include "capture.h"

#include "core/str.h"
#include "core/clock.h"

#ifdef __linux__
#include <linux/if_packet.h>
#endif

#if defined(__linux__) && defined(TP_STATUS_BLK_TMO) && defined(TPACKET3_HDRLEN)
#define AFP_HAVE_TPACKET_V3 1
#else
#define AFP_HAVE_TPACKET_V3 0
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if AFP_HAVE_TPACKET_V3
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/dlt.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#endif

/* Fill err (may be NULL) with a printf-style one-line message. */
#if AFP_HAVE_TPACKET_V3

#define AFP_DEFAULT_RING_MB 64          /* vigil.conf ring_size default */
#define AFP_MAX_RING_MB     1024
#define AFP_MAX_SNAP        262144      /* as libpcap's MAXIMUM_SNAPLEN */
#define AFP_DEFAULT_POLLMS  1000
#define AFP_BLOCK_SIZE      (1u << 20)  /* preferred block: 1 MiB */
#define AFP_MIN_BLOCKS      8           /* shrink blocks to keep at least this many */
#define AFP_MAC_SLACK       64          /* room the kernel leaves before the MAC header */
#define AFP_VLAN_TAG_LEN    4
#define AFP_ETH_ADDRS_LEN   12          /* destination + source MAC */

/* One AF_PACKET source; cap is what callers hold (cap.priv points back). */
struct afp_src {
	struct capture cap;
	int fd;
	unsigned ifindex;          /* bound to; 0: not yet (the interface is missing) */
	int timeout_ms;            /* how long next() waits for a block */
	uint8_t *ring;             /* block_nr blocks of block_size bytes */
	size_t ring_len;
	unsigned block_size, block_nr;
	unsigned cur;              /* block being read, or waited for */
	int held;                  /* 1: block cur is ours (TP_STATUS_USER) */
	uint32_t pkts_left;        /* packets of block cur not yet returned */
	uint32_t next_off;         /* offset of the next tpacket3_hdr in block cur */
	uint8_t *scratch;          /* a frame with its VLAN tag put back */
	size_t scratch_len;
	uint64_t packets, bytes;
	/* PACKET_STATISTICS resets the kernel counters on every read */
	uint64_t drops;
};

/* The descriptor at the start of block i (blocks are page-aligned). */
static struct tpacket_block_desc *afp_block(struct afp_src *s, unsigned i)
{
	return (struct tpacket_block_desc *)(void *)(s->ring + (size_t)i * s->block_size);
}

/* Give block cur back to the kernel and move on to the next one. The
 * release store orders our reads of the block before the kernel may
 * overwrite it. */
static void afp_release_block(struct afp_src *s)
{
	struct tpacket_block_desc *bd = afp_block(s, s->cur);

	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	s->held = 0;
	s->pkts_left = 0;
	s->cur = (s->cur + 1) % s->block_nr;
}

/* Take block cur if the kernel has handed it over. The acquire load orders
 * our reads of the packets after the kernel's writes. Returns 1 if taken. */
static int afp_take_block(struct afp_src *s)
{
	struct tpacket_block_desc *bd = afp_block(s, s->cur);

	if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return 0;
	s->held = 1;
	s->pkts_left = bd->hdr.bh1.num_pkts;
	s->next_off = bd->hdr.bh1.offset_to_first_pkt;
	return 1;
}

/* Wait in poll() until block cur is ours or timeout_ms has passed.
 * Returns CAPTURE_PACKET (a block is taken), CAPTURE_TIMEOUT (also on a
 * signal, so the caller can look at its flags) or CAPTURE_ERROR. */
static int afp_wait_block(struct afp_src *s)
{
	struct capture *c = &s->cap;
	int64_t deadline = (int64_t)mono_ms() + s->timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN | POLLERR };
		int64_t left = deadline - (int64_t)mono_ms();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR) {
			str_fmt(c->error, sizeof(c->error), "%s: poll: %s",
				c->source, strerror(errno));
			return CAPTURE_ERROR;
		}
		if (afp_take_block(s))
			return CAPTURE_PACKET;
		if (rc <= 0)
			return CAPTURE_TIMEOUT;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			int soerr = 0;
			socklen_t len = sizeof(soerr);

			if (pfd.revents & POLLNVAL)
				soerr = EBADF;
			else if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
				soerr = errno;
			if (soerr == ENETDOWN)
				str_fmt(c->error, sizeof(c->error),
					"%s: interface went down", c->source);
			else if (soerr)
				str_fmt(c->error, sizeof(c->error), "%s: %s",
					c->source, strerror(soerr));
			else
				str_fmt(c->error, sizeof(c->error),
					"%s: socket error", c->source);
			return CAPTURE_ERROR;
		}
		if (left == 0)
			return CAPTURE_TIMEOUT;
		/* POLLIN without a block for us: wait out the rest */
	}
}

/* Frames whose 802.1Q/802.1ad tag the kernel moved into tp_vlan_tci get
 * it back, in the scratch buffer, so the decoder sees the frame as it was
 * on the wire. */
static void afp_put_vlan_back(struct afp_src *s, const struct tpacket3_hdr *h,
			      struct cap_packet *pkt)
{
	uint16_t tpid = ETH_P_8021Q;
	uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;
	uint8_t *out = s->scratch;

	if (pkt->caplen < AFP_ETH_ADDRS_LEN ||
	    pkt->caplen + AFP_VLAN_TAG_LEN > s->scratch_len)
		return;
#ifdef TP_STATUS_VLAN_TPID_VALID
	if ((h->tp_status & TP_STATUS_VLAN_TPID_VALID) && h->hv1.tp_vlan_tpid)
		tpid = h->hv1.tp_vlan_tpid;
#endif
	memcpy(out, pkt->data, AFP_ETH_ADDRS_LEN);
	out[12] = (uint8_t)(tpid >> 8);
	out[13] = (uint8_t)tpid;
	out[14] = (uint8_t)(tci >> 8);
	out[15] = (uint8_t)tci;
	memcpy(out + AFP_ETH_ADDRS_LEN + AFP_VLAN_TAG_LEN, pkt->data + AFP_ETH_ADDRS_LEN,
	       pkt->caplen - AFP_ETH_ADDRS_LEN);
	pkt->data = out;
	pkt->caplen += AFP_VLAN_TAG_LEN;
	pkt->wirelen += AFP_VLAN_TAG_LEN;
}

/* Next packet: the next one in the block we hold; when that block is done,
 * give it back and take the next one, waiting up to timeout_ms for it. */
static int afp_next(struct capture *c, struct cap_packet *pkt)
{
	struct afp_src *s = c->priv;
	const struct tpacket3_hdr *h;
	const uint8_t *block;
	uint32_t off;

	for (;;) {
		if (s->held && s->pkts_left > 0)
			break;
		if (s->held)
			afp_release_block(s);
		if (!afp_take_block(s)) {
			int rc = afp_wait_block(s);
			if (rc != CAPTURE_PACKET)
				return rc;
		}
	}

	block = (const uint8_t *)afp_block(s, s->cur);
	off = s->next_off;
	if (off > s->block_size - sizeof(*h) || off % _Alignof(struct tpacket3_hdr) != 0)
		goto corrupt;
	h = (const struct tpacket3_hdr *)(const void *)(block + off);
	if (h->tp_mac > s->block_size - off ||
	    h->tp_snaplen > s->block_size - off - h->tp_mac)
		goto corrupt;

	s->pkts_left--;
	s->next_off = off + h->tp_next_offset;
	pkt->data = block + off + h->tp_mac;
	pkt->caplen = h->tp_snaplen;
	pkt->wirelen = h->tp_len < h->tp_snaplen ? h->tp_snaplen : h->tp_len;
	pkt->ts_us = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
	if ((h->tp_status & TP_STATUS_VLAN_VALID) && c->linktype == DLT_EN10MB)
		afp_put_vlan_back(s, h, pkt);
	s->packets++;
	s->bytes += pkt->wirelen;
	return CAPTURE_PACKET;

corrupt:
	str_fmt(c->error, sizeof(c->error), "%s: corrupt ring block %u (packet at %u)",
		c->source, s->cur, (unsigned)off);
	return CAPTURE_ERROR;
}

/* What we delivered, plus the kernel's ring drops. PACKET_STATISTICS
 * returns the counts since the previous read and resets them, so they
 * are summed into 64-bit totals. */
static void afp_stats(struct capture *c, struct capture_stats *st)
{
	struct afp_src *s = c->priv;
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof(ks);

	memset(&ks, 0, sizeof(ks));
	if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0)
		s->drops += ks.tp_drops;
	st->packets = s->packets;
	st->bytes = s->bytes;
	st->kernel_drops = s->drops;
	st->if_drops = 0;
}

/* Unmap the ring, close the socket, free everything. Also the cleanup of
 * a half-opened source (ring == NULL, fd == -1). */
static void afp_close(struct capture *c)
{
	struct afp_src *s = c->priv;

	if (s->ring)
		munmap(s->ring, s->ring_len);
	if (s->fd >= 0)
		close(s->fd);
	free(s->scratch);
	free(s);
}

static int afp_attach(struct capture *c, char *err, size_t errlen);

static const struct capture_ops afp_ops = {
	.name = "afpacket",
	.next = afp_next,
	.stats = afp_stats,
	.close = afp_close,
	.attach = afp_attach,
};

/* A name for an ARPHRD_* value, for the "unsupported link type" error. */
static const char *afp_arphrd_name(unsigned type)
{
	switch (type) {
	case ARPHRD_PPP: return "ppp";
	case ARPHRD_TUNNEL: return "ipip tunnel";
	case ARPHRD_TUNNEL6: return "ip6 tunnel";
	case ARPHRD_SIT: return "sit tunnel";
	case ARPHRD_IPGRE: return "gre tunnel";
	case ARPHRD_IEEE80211_RADIOTAP: return "802.11 radiotap";
	case ARPHRD_IEEE80211: return "802.11";
	case ARPHRD_INFINIBAND: return "infiniband";
	case ARPHRD_CAN: return "can";
	case ARPHRD_IEEE802154: return "802.15.4";
	default: return "unknown";
	}
}

/* The DLT for the interface's hardware type (SIOCGIFHWADDR), or -1 with
 * err filled. Loopback frames carry an Ethernet header too; tun and
 * raw-IP devices deliver bare IP packets. */
static int afp_linktype(int fd, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned type;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		str_fmt(err, errlen, "%s: SIOCGIFHWADDR: %s", ifname, strerror(errno));
		return -1;
	}
	type = ifr.ifr_hwaddr.sa_family;
	switch (type) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		return DLT_EN10MB;
	case ARPHRD_NONE:
#ifdef ARPHRD_RAWIP
	case ARPHRD_RAWIP:
#endif
		return DLT_RAW;
	default:
		str_fmt(err, errlen, "%s: unsupported link type %s (ARPHRD %u)",
			ifname, afp_arphrd_name(type), type);
		return -1;
	}
}

/* Socket options before the ring exists: TPACKET_V3 and, below the
 * maximum, a one-instruction BPF program that keeps snaplen bytes (the
 * ring itself only truncates at the block size). Returns 0 or -1. */
static int afp_setup_socket(int fd, const char *ifname, int snaplen,
			    char *err, size_t errlen)
{
	int version = TPACKET_V3;

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
		str_fmt(err, errlen, "%s: PACKET_VERSION TPACKET_V3: %s",
			ifname, strerror(errno));
		return -1;
	}
	if (snaplen < AFP_MAX_SNAP) {
		struct sock_filter keep = BPF_STMT(BPF_RET | BPF_K, (unsigned)snaplen);
		struct sock_fprog prog = { .len = 1, .filter = &keep };

		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
			str_fmt(err, errlen, "%s: snaplen filter: %s",
				ifname, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Ring geometry: frames hold snaplen plus headers; blocks are 1 MiB, or
 * a smaller power of two (>= a page and a frame) so that a small ring
 * still has AFP_MIN_BLOCKS blocks; at least two blocks. */
static void afp_geometry(unsigned ring_mb, int snaplen, struct tpacket_req3 *req)
{
	size_t ring_bytes = (size_t)ring_mb << 20;
	long page = sysconf(_SC_PAGESIZE);
	unsigned frame, min_block, block, nr;

	frame = TPACKET_ALIGN((unsigned)(TPACKET3_HDRLEN + AFP_MAC_SLACK + snaplen));
	min_block = page > 0 ? (unsigned)page : 4096;
	while (min_block < frame)
		min_block <<= 1;
	block = AFP_BLOCK_SIZE < min_block ? min_block : AFP_BLOCK_SIZE;
	while (block / 2 >= min_block && ring_bytes / block < AFP_MIN_BLOCKS)
		block /= 2;
	nr = (unsigned)(ring_bytes / block);
	if (nr < 2)
		nr = 2;

	memset(req, 0, sizeof(*req));
	req->tp_block_size = block;
	req->tp_block_nr = nr;
	req->tp_frame_size = frame;
	req->tp_frame_nr = (block / frame) * nr;
}

/* The allocation of the ring and its mapping into s. Returns 0 or -1. */
static int afp_setup_ring(struct afp_src *s, const char *ifname, unsigned ring_mb,
			  int snaplen, int timeout_ms, char *err, size_t errlen)
{
	struct tpacket_req3 req;
	void *ring;

	afp_geometry(ring_mb, snaplen, &req);
	/* the kernel hands over a partly filled block after this long */
	req.tp_retire_blk_tov = (unsigned)timeout_ms;
	if (setsockopt(s->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
		str_fmt(err, errlen, "%s: PACKET_RX_RING (%u blocks of %u KiB): %s",
			ifname, req.tp_block_nr, req.tp_block_size >> 10, strerror(errno));
		return -1;
	}
	s->block_size = req.tp_block_size;
	s->block_nr = req.tp_block_nr;
	s->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	ring = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (ring == MAP_FAILED) {
		str_fmt(err, errlen, "%s: mmap of the %zu KiB ring: %s",
			ifname, s->ring_len >> 10, strerror(errno));
		return -1;
	}
	s->ring = ring;
	return 0;
}

/* Attach the socket to the interface (all protocols) and switch the
 * interface to promiscuous mode (undone by the kernel on close). */
static int afp_bind(int fd, const char *ifname, unsigned ifindex, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		str_fmt(err, errlen, "%s: bind: %s", ifname, strerror(errno));
		return -1;
	}
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
		str_fmt(err, errlen, "%s: promiscuous mode: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

/* Bind to the interface's current index when it is not the one bound to
 * (first time, or the interface was deleted and made again) and say how
 * the interface is: CAPTURE_LINK_UP, _DOWN (bound; the kernel delivers
 * again once it is up), _MISSING or _ERROR (err filled). */
static int afp_attach(struct capture *c, char *err, size_t errlen)
{
	struct afp_src *s = c->priv;
	unsigned ifindex = if_nametoindex(c->source);
	struct ifreq ifr;
	int linktype;

	if (ifindex == 0) {
		if (errno == ENODEV || errno == ENXIO)
			str_fmt(err, errlen, "%s: no such interface", c->source);
		else
			str_fmt(err, errlen, "%s: no such interface (%s)", c->source,
				strerror(errno));
		return CAPTURE_LINK_MISSING;
	}
	if (ifindex != s->ifindex) {
		linktype = afp_linktype(s->fd, c->source, err, errlen);
		if (linktype < 0 || afp_bind(s->fd, c->source, ifindex, err, errlen) != 0)
			return CAPTURE_LINK_ERROR;
		s->ifindex = ifindex;
		c->linktype = linktype;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, c->source);
	if (ioctl(s->fd, SIOCGIFFLAGS, &ifr) != 0) {
		str_fmt(err, errlen, "%s: SIOCGIFFLAGS: %s", c->source, strerror(errno));
		return CAPTURE_LINK_ERROR;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		str_fmt(err, errlen, "%s: interface is down", c->source);
		return CAPTURE_LINK_DOWN;
	}
	return CAPTURE_LINK_UP;
}

struct capture *capture_prepare_afpacket(const char *ifname, unsigned ring_mb, int snaplen,
					 int timeout_ms, char *err, size_t errlen)
{
	struct afp_src *s;

	if (!ifname || !ifname[0]) {
		str_fmt(err, errlen, "afpacket: no interface name");
		return NULL;
	}
	if (strlen(ifname) >= IFNAMSIZ) {
		str_fmt(err, errlen, "%s: interface name too long", ifname);
		return NULL;
	}
	if (ring_mb == 0)
		ring_mb = AFP_DEFAULT_RING_MB;
	if (ring_mb > AFP_MAX_RING_MB) {
		str_fmt(err, errlen, "%s: ring of %u MiB is too large (at most %u)",
			ifname, ring_mb, AFP_MAX_RING_MB);
		return NULL;
	}
	if (snaplen <= 0 || snaplen > AFP_MAX_SNAP)
		snaplen = AFP_MAX_SNAP;
	if (timeout_ms <= 0)
		timeout_ms = AFP_DEFAULT_POLLMS;

	s = calloc(1, sizeof(*s));
	if (!s) {
		str_fmt(err, errlen, "%s: out of memory", ifname);
		return NULL;
	}
	s->cap.ops = &afp_ops;
	s->cap.priv = s;
	s->cap.linktype = DLT_EN10MB; /* until bound */
	snprintf(s->cap.source, sizeof(s->cap.source), "%s", ifname);
	s->timeout_ms = timeout_ms;
	s->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (s->fd < 0) {
		int e = errno;
		str_fmt(err, errlen, "%s: socket: %s%s", ifname, strerror(e),
			e == EPERM || e == EACCES ? " (needs CAP_NET_RAW)" : "");
		goto fail;
	}
	s->scratch_len = (size_t)snaplen + AFP_VLAN_TAG_LEN;
	s->scratch = malloc(s->scratch_len);
	if (!s->scratch) {
		str_fmt(err, errlen, "%s: out of memory", ifname);
		goto fail;
	}
	if (afp_setup_socket(s->fd, ifname, snaplen, err, errlen) != 0 ||
	    afp_setup_ring(s, ifname, ring_mb, snaplen, timeout_ms, err, errlen) != 0)
		goto fail;
	return &s->cap;

fail:
	afp_close(&s->cap);
	return NULL;
}

/* Open ifname: socket, TPACKET_V3 ring, bind, promiscuous mode. A missing
 * interface is said first, before anything is set up. */
struct capture *capture_open_afpacket(const char *ifname, unsigned ring_mb, int snaplen,
				      int timeout_ms, char *err, size_t errlen)
{
	struct capture *c;
	int rc;

	if (ifname && ifname[0] && strlen(ifname) < IFNAMSIZ && if_nametoindex(ifname) == 0) {
		str_fmt(err, errlen, "%s: no such interface", ifname);
		return NULL;
	}
	c = capture_prepare_afpacket(ifname, ring_mb, snaplen, timeout_ms, err, errlen);
	if (!c)
		return NULL;
	rc = afp_attach(c, err, errlen);
	if (rc == CAPTURE_LINK_MISSING || rc == CAPTURE_LINK_ERROR) {
		afp_close(c);
		return NULL;
	}
	return c;
}

int capture_afpacket_available(void)
{
	return 1;
}

#else /* !AFP_HAVE_TPACKET_V3 */

/* Not Linux, or headers without TPACKET_V3: the openers only explain. */
struct capture *capture_prepare_afpacket(const char *ifname, unsigned ring_mb, int snaplen,
					 int timeout_ms, char *err, size_t errlen)
{
	return capture_open_afpacket(ifname, ring_mb, snaplen, timeout_ms, err, errlen);
}

struct capture *capture_open_afpacket(const char *ifname, unsigned ring_mb, int snaplen,
				      int timeout_ms, char *err, size_t errlen)
{
	(void)ring_mb;
	(void)snaplen;
	(void)timeout_ms;
	str_fmt(err, errlen, "%s: AF_PACKET TPACKET_V3 capture is not available on this system",
		ifname ? ifname : "afpacket");
	return NULL;
}

int capture_afpacket_available(void)
{
	return 0;
}

#endif
