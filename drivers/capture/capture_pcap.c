/*
 * capture_pcap.c - the libpcap backends of the capture stage (capture.h):
 * offline pcap/pcapng files of any link type, and live interfaces.
 *
 * Each backend is a struct capture_ops (pcap_file_ops, pcap_live_ops);
 * the front end (capture.c) dispatches through c->ops, so the AF_PACKET
 * backend lives in its own file and needs nothing from this one.
 */
#include "capture.h"

#include "core/str.h"

#include <errno.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_BUFFER_BYTES   (16 * 1024 * 1024)
#define LIVE_DEFAULT_SNAP   262144
#define LIVE_DEFAULT_POLLMS 1000
/* Files are read through a stdio buffer of this size: with glibc's
 * default (one 4 KiB block) a replay spent a sixth of the packet thread's
 * time in read(2). */
#define FILE_BUFFER_BYTES   (1024 * 1024)

/* One libpcap source; cap is what callers hold (cap.priv points back). */
struct pcap_src {
	struct capture cap;
	pcap_t *p;
	int fd;                 /* live: selectable fd in non-blocking mode, or -1 */
	int timeout_ms;         /* live: how long next() waits for a packet */
	uint64_t packets, bytes;
	/* pcap_stats counters are 32-bit and wrap: keep 64-bit totals */
	uint64_t drops, ifdrops;
	unsigned int last_drop, last_ifdrop;
	char *iobuf;            /* file: the stdio buffer, freed after pcap_close */
};

/* Next packet from libpcap; ts in microseconds (sources are opened with
 * microsecond precision). Negative (pre-1970) times are clamped to 0.
 * Live sources are non-blocking and wait in poll(): libpcap's own buffer
 * timeout (TPACKET_V3 on Linux) never fires while no packet arrives, and
 * the caller needs CAPTURE_TIMEOUT to run its timers. */
static int pcap_src_next(struct capture *c, struct cap_packet *pkt)
{
	struct pcap_src *s = c->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	int64_t ts;
	int rc;

	rc = pcap_next_ex(s->p, &h, &data);
	if (rc == 0 && s->fd >= 0) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		rc = poll(&pfd, 1, s->timeout_ms);
		if (rc < 0 && errno != EINTR) {
			str_fmt(c->error, sizeof(c->error), "%s: poll: %s",
				c->source, strerror(errno));
			return CAPTURE_ERROR;
		}
		if (rc <= 0)    /* timed out, or a signal for the caller */
			return CAPTURE_TIMEOUT;
		rc = pcap_next_ex(s->p, &h, &data);
	}
	if (rc == 1) {
		ts = (int64_t)h->ts.tv_sec * 1000000 + (int64_t)h->ts.tv_usec;
		pkt->data = data;
		pkt->caplen = h->caplen;
		pkt->wirelen = h->len < h->caplen ? h->caplen : h->len;
		pkt->ts_us = ts > 0 ? (uint64_t)ts : 0;
		s->packets++;
		s->bytes += pkt->wirelen;
		return CAPTURE_PACKET;
	}
	if (rc == 0)
		return CAPTURE_TIMEOUT;
	if (rc == PCAP_ERROR_BREAK)     /* end of file, or pcap_breakloop() */
		return CAPTURE_EOF;
	str_fmt(c->error, sizeof(c->error), "%s: %s", c->source,
		pcap_geterr(s->p));
	return CAPTURE_ERROR;
}

/* Files: only what we delivered; there is no kernel to drop anything. */
static void pcap_file_stats(struct capture *c, struct capture_stats *st)
{
	struct pcap_src *s = c->priv;

	st->packets = s->packets;
	st->bytes = s->bytes;
}

/* Live: ours plus pcap_stats() drops, accumulated across 32-bit wraps. */
static void pcap_live_stats(struct capture *c, struct capture_stats *st)
{
	struct pcap_src *s = c->priv;
	struct pcap_stat ps;

	if (pcap_stats(s->p, &ps) == 0) {
		s->drops += (unsigned int)(ps.ps_drop - s->last_drop);
		s->ifdrops += (unsigned int)(ps.ps_ifdrop - s->last_ifdrop);
		s->last_drop = ps.ps_drop;
		s->last_ifdrop = ps.ps_ifdrop;
	}
	st->packets = s->packets;
	st->bytes = s->bytes;
	st->kernel_drops = s->drops;
	st->if_drops = s->ifdrops;
}

static void pcap_src_close(struct capture *c)
{
	struct pcap_src *s = c->priv;

	pcap_close(s->p);
	free(s->iobuf);
	free(s);
}

static const struct capture_ops pcap_file_ops = {
	.name = "pcap-file",
	.next = pcap_src_next,
	.stats = pcap_file_stats,
	.close = pcap_src_close,
};

static const struct capture_ops pcap_live_ops = {
	.name = "pcap-live",
	.next = pcap_src_next,
	.stats = pcap_live_stats,
	.close = pcap_src_close,
};

/* Wrap an opened pcap_t; closes it on failure. */
static struct capture *pcap_src_new(pcap_t *p, const struct capture_ops *ops,
				    const char *source, char *err, size_t errlen)
{
	struct pcap_src *s = calloc(1, sizeof(*s));

	if (!s) {
		str_fmt(err, errlen, "%s: out of memory", source);
		pcap_close(p);
		return NULL;
	}
	s->p = p;
	s->fd = -1;
	s->cap.ops = ops;
	s->cap.linktype = pcap_datalink(p);
	s->cap.priv = s;
	str_fmt(s->cap.source, sizeof(s->cap.source), "%s", source);
	return &s->cap;
}

struct capture *capture_open_file(const char *path, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct capture *c;
	char *iobuf = NULL;
	FILE *fp = NULL;
	pcap_t *p;

	if (strcmp(path, "-") != 0) {
		/* opened here for a larger stdio buffer; libpcap closes it */
		if (!(fp = fopen(path, "rb"))) {
			str_fmt(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if ((iobuf = malloc(FILE_BUFFER_BYTES)))
			setvbuf(fp, iobuf, _IOFBF, FILE_BUFFER_BYTES);
		p = pcap_fopen_offline_with_tstamp_precision(fp,
							     PCAP_TSTAMP_PRECISION_MICRO, eb);
	} else {
		p = pcap_open_offline_with_tstamp_precision(path,
							    PCAP_TSTAMP_PRECISION_MICRO, eb);
	}
	if (!p) {
		if (fp)
			fclose(fp);
		free(iobuf);
		/* libpcap names the file for open(2) errors but not for format
		 * errors ("unknown file format"): always lead with the path. */
		if (strncmp(eb, path, strlen(path)) == 0)
			str_fmt(err, errlen, "%s", eb);
		else
			str_fmt(err, errlen, "%s: %s", path, eb[0] ? eb : "cannot open capture file");
		return NULL;
	}
	c = pcap_src_new(p, &pcap_file_ops, path, err, errlen);
	if (!c) {
		free(iobuf);   /* pcap_src_new closed p, and with it fp */
		return NULL;
	}
	((struct pcap_src *)c->priv)->iobuf = iobuf;
	return c;
}

/* Live: promiscuous, batched delivery (immediate mode off) with a 16 MB
 * kernel buffer; timeout_ms bounds how long capture_next() waits, so the
 * caller can run timers (<= 0: 1 s). snaplen <= 0: 256 KiB. */
struct capture *capture_open_live(const char *ifname, int snaplen,
				  int timeout_ms, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct capture *c;
	pcap_t *p;
	int rc;

	p = pcap_create(ifname, eb);
	if (!p) {
		/* some libpcap messages already start with the interface */
		if (strncmp(eb, ifname, strlen(ifname)) == 0 && eb[strlen(ifname)] == ':')
			str_fmt(err, errlen, "%s", eb);
		else
			str_fmt(err, errlen, "%s: %s", ifname, eb);
		return NULL;
	}
	if (snaplen <= 0)
		snaplen = LIVE_DEFAULT_SNAP;
	if (timeout_ms <= 0)
		timeout_ms = LIVE_DEFAULT_POLLMS;
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 1);
	pcap_set_immediate_mode(p, 0);
	pcap_set_buffer_size(p, LIVE_BUFFER_BYTES);
	pcap_set_timeout(p, timeout_ms);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);

	rc = pcap_activate(p);
	if (rc < 0) {
		const char *detail = pcap_geterr(p);
		if (!detail || !detail[0])
			detail = pcap_statustostr(rc);
		str_fmt(err, errlen, "%s: %s", ifname, detail);
		pcap_close(p);
		return NULL;
	}
	/* rc > 0 is a warning (e.g. promiscuous mode not supported): go on */
	c = pcap_src_new(p, &pcap_live_ops, ifname, err, errlen);
	if (c) {
		struct pcap_src *s = c->priv;
		s->timeout_ms = timeout_ms;
		/* no selectable fd: fall back to libpcap's blocking read */
		s->fd = pcap_get_selectable_fd(p);
		if (s->fd >= 0 && pcap_setnonblock(p, 1, eb) != 0)
			s->fd = -1;
	}
	return c;
}
