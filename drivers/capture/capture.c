/*
 * capture.c - the capture stage's front end (see capture.h): which
 * backend a live interface gets, and the calls every source answers,
 * dispatched to its backend's struct capture_ops. As Redis's ae.c fronts
 * epoll and select, callers never name a backend's file.
 */
#include "capture.h"

#include "core/str.h"

#include <stdio.h>
#include <string.h>

int capture_live_method(int method)
{
	if (method == CAPTURE_AUTO)
		return capture_afpacket_available() ? CAPTURE_AFPACKET : CAPTURE_PCAP;
	return method;
}

struct capture *capture_open_iface(const char *ifname, int method, unsigned ring_mb, int snaplen,
				   int timeout_ms, char *err, size_t errlen)
{
	if (capture_live_method(method) == CAPTURE_AFPACKET)
		return capture_prepare_afpacket(ifname, ring_mb, snaplen, timeout_ms, err, errlen);
	return capture_open_live(ifname, snaplen, timeout_ms, err, errlen);
}

int capture_attach(struct capture *c, char *err, size_t errlen)
{
	if (c && c->ops->attach)
		return c->ops->attach(c, err, errlen);
	str_fmt(err, errlen, "%s: a %s source cannot be reattached", c ? c->source : "?",
		c ? c->ops->name : "?");
	return CAPTURE_LINK_ERROR;
}

void capture_get_stats(struct capture *c, struct capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (c && c->ops->stats)
		c->ops->stats(c, st);
}

const char *capture_error(const struct capture *c)
{
	if (!c)
		return "no capture source";
	return c->error[0] ? c->error : "no error";
}

void capture_close(struct capture *c)
{
	if (c)
		c->ops->close(c);
}
