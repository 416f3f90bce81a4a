/*
 * sources.c - the daemon's live capture sources (see sources.h).
 *
 * Each configured interface has a slot for the daemon's whole life. An
 * AF_PACKET slot gets its socket and ring at the start, while privileged,
 * even when the interface is missing; from then on capture_attach() binds
 * it to whatever index the interface has, so a USB adapter plugged in
 * later, or a veth deleted and made again, is captured again without any
 * privilege. A libpcap slot is opened and, after an error, closed; it can
 * be opened again only while the daemon keeps its privileges (user = "").
 *
 * States: capturing (bound and up), down (bound, the link is down: the
 * kernel delivers again once it is up), missing (no such interface), error
 * (anything else, with the reason). What is not capturing is retried once
 * its backoff has passed: 1 s, doubling to 30 s, back to 1 s when the
 * state changes. Every change of state is logged; an unchanged failure is
 * logged again at most every 10 minutes.
 *
 * Time is what sources_tick() was last given (monotonic seconds): this
 * file reads no clock.
 */
#include "sources.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define BACKOFF_MIN_S 1.0
#define BACKOFF_MAX_S 30.0
#define REMIND_S 600.0          /* an unchanged failure is logged again after this */
#define ERROR_LOG_S 60.0        /* a read error that changes nothing: at most this often */

enum state { ST_CAPTURING, ST_DOWN, ST_MISSING, ST_ERROR };

static const char *const state_names[] = { "capturing", "down", "missing", "error" };

struct source {
	char name[16];
	int afpacket;               /* 1: follows the interface (capture_attach) */
	int can_reopen;             /* libpcap: a new open is possible (privileged) */
	struct capture *cap;        /* NULL: a libpcap source that is not open */
	enum state state;
	int captured;               /* has captured before: "capturing again" */
	char why[200];
	double next_try;            /* when to try again (not capturing) */
	double backoff;
	unsigned retries;
	double logged;              /* when the state was last logged */
	double error_logged;        /* when a read error was last logged */
	uint64_t packets_before, drops_before; /* of libpcap openings closed */
};

struct sources {
	struct source src[CONFIG_MAX_IFACES];
	int n;
	int snaplen, timeout_ms;
	double now;
};

/* Log a change of state (and start the backoff afresh). */
static void set_state(struct sources *ss, struct source *s, enum state st, const char *why)
{
	if (st == s->state && strcmp(why, s->why) == 0)
		return;
	if (st == ST_CAPTURING)
		log_info("%s: capturing%s with %s (link type %d, snaplen %d)", s->name,
			 s->captured ? " again" : "", s->afpacket ? "afpacket" : "pcap",
			 capture_linktype(s->cap), ss->snaplen);
	else if (st == ST_DOWN)
		log_warn("%s: down (%s); its packets are read again once it is up", s->name, why);
	else
		log_warn("%s: %s (%s); the other interfaces go on, this one is retried",
			 s->name, state_names[st], why);
	s->state = st;
	s->captured |= st == ST_CAPTURING;
	snprintf(s->why, sizeof s->why, "%s", st == ST_CAPTURING ? "" : why);
	s->retries = 0;
	s->backoff = BACKOFF_MIN_S;
	s->next_try = ss->now + s->backoff;
	s->logged = ss->now;
}

/* The same failure once more: back off; remind now and then. */
static void still(struct sources *ss, struct source *s)
{
	s->retries++;
	s->backoff = s->backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : s->backoff * 2;
	s->next_try = ss->now + s->backoff;
	if (ss->now - s->logged >= REMIND_S) {
		log_warn("%s: still %s after %u attempts (%s); retrying every %.0f s", s->name,
			 state_names[s->state], s->retries, s->why, s->backoff);
		s->logged = ss->now;
	}
}

/* Strip a leading "IF: " from a backend's message (we name the source). */
static const char *reason(const char *err, const char *name)
{
	size_t n = strlen(name);

	return strncmp(err, name, n) == 0 && err[n] == ':' && err[n + 1] == ' ' ? err + n + 2 : err;
}

/* An AF_PACKET source: bind (again) and see how the interface is. */
static void attach(struct sources *ss, struct source *s)
{
	char err[256] = "";
	enum state st;

	switch (capture_attach(s->cap, err, sizeof err)) {
	case CAPTURE_LINK_UP: st = ST_CAPTURING; break;
	case CAPTURE_LINK_DOWN: st = ST_DOWN; break;
	case CAPTURE_LINK_MISSING: st = ST_MISSING; break;
	default: st = ST_ERROR; break;
	}
	if (st == s->state && strcmp(reason(err, s->name), s->why) == 0 && st != ST_CAPTURING)
		still(ss, s);
	else
		set_state(ss, s, st, reason(err, s->name));
}

/* A libpcap source that failed: it stays closed for good when it cannot
 * be opened again (after the privilege drop). */
static void pcap_failed(struct sources *ss, struct source *s, const char *why)
{
	char msg[400];          /* why (< 256) and the sentence below */

	if (s->can_reopen) {
		set_state(ss, s, if_nametoindex(s->name) ? ST_ERROR : ST_MISSING, why);
		return;
	}
	snprintf(msg, sizeof msg, "%s; method = pcap cannot open it again after the privilege "
		 "drop (method = afpacket can)", why);
	set_state(ss, s, if_nametoindex(s->name) ? ST_ERROR : ST_MISSING, msg);
	s->next_try = 1e300;            /* nothing will change that */
}

/* A libpcap source: open it again (with privileges only). */
static void reopen(struct sources *ss, struct source *s)
{
	char err[256] = "";
	enum state st;

	s->cap = capture_open_iface(s->name, CAPTURE_PCAP, 0, ss->snaplen, ss->timeout_ms, err,
				    sizeof err);
	if (s->cap) {
		set_state(ss, s, ST_CAPTURING, "");
		return;
	}
	st = if_nametoindex(s->name) ? ST_ERROR : ST_MISSING;
	if (st == s->state && strcmp(reason(err, s->name), s->why) == 0)
		still(ss, s);
	else
		set_state(ss, s, st, reason(err, s->name));
}

struct sources *sources_open(const struct vigil_config *c, int drop_privileges, double now,
			     char *err, size_t errlen)
{
	struct sources *ss = calloc(1, sizeof *ss);
	int usable = 0, afp = capture_live_method(c->method) == CAPTURE_AFPACKET;
	char first[300] = "";

	if (!ss) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ss->now = now;
	ss->snaplen = c->snaplen;
	/* one source: wait long (few wake-ups); several: poll each briefly so
	 * an idle one does not hold up a busy one */
	ss->timeout_ms = c->n_interfaces > 1 ? 1 : 100;
	for (int i = 0; i < c->n_interfaces; i++) {
		struct source *s = &ss->src[ss->n++];
		char why[256] = "";

		snprintf(s->name, sizeof s->name, "%s", c->interfaces[i]);
		s->afpacket = afp;
		s->can_reopen = !afp && !drop_privileges;
		s->state = ST_MISSING;  /* until known: every first state is logged */
		s->why[0] = '\1';
		if (afp) {
			s->cap = capture_open_iface(s->name, CAPTURE_AFPACKET, c->ring_mb, c->snaplen,
						    ss->timeout_ms, why, sizeof why);
			if (s->cap) {
				attach(ss, s);
				usable++;
				continue;
			}
			/* no socket (no CAP_NET_RAW, ...): nothing to retry with */
			set_state(ss, s, ST_ERROR, reason(why, s->name));
			s->next_try = 1e300;
		} else {
			s->cap = capture_open_iface(s->name, CAPTURE_PCAP, 0, c->snaplen, ss->timeout_ms,
						    why, sizeof why);
			if (s->cap) {
				set_state(ss, s, ST_CAPTURING, "");
				usable++;
				continue;
			}
			usable += s->can_reopen;
			pcap_failed(ss, s, reason(why, s->name));
		}
		if (!first[0])
			snprintf(first, sizeof first, "%s: %s", s->name, reason(why, s->name));
	}
	if (!usable) {
		snprintf(err, errlen, "no interface can ever capture (first: %s)", first);
		sources_close(ss);
		return NULL;
	}
	return ss;
}

int sources_count(const struct sources *ss)
{
	return ss ? ss->n : 0;
}

int sources_active(const struct sources *ss)
{
	int n = 0;

	for (int i = 0; ss && i < ss->n; i++)
		n += ss->src[i].state == ST_CAPTURING || ss->src[i].state == ST_DOWN;
	return n;
}

/* A read error: what is the interface now? */
static void read_failed(struct sources *ss, struct source *s)
{
	char why[256];

	snprintf(why, sizeof why, "%s", reason(capture_error(s->cap), s->name));
	if (s->afpacket) {
		enum state before = s->state;
		attach(ss, s);
		/* still bound and up: an error that changed nothing, logged
		 * now and then (the next read may well work) */
		if (before == ST_CAPTURING && s->state == ST_CAPTURING &&
		    ss->now - s->error_logged >= ERROR_LOG_S) {
			log_error("%s: %s", s->name, why);
			s->error_logged = ss->now;
		}
		return;
	}
	/* libpcap: close, keep the counters, open it again later if it can be */
	struct capture_stats cs;
	capture_get_stats(s->cap, &cs);
	s->packets_before += cs.packets;
	s->drops_before += cs.kernel_drops;
	capture_close(s->cap);
	s->cap = NULL;
	pcap_failed(ss, s, why);
}

int sources_next(struct sources *ss, int i, struct cap_packet *pkt, int *linktype)
{
	struct source *s = &ss->src[i];
	int rc;

	if (!s->cap || (s->state != ST_CAPTURING && s->state != ST_DOWN))
		return CAPTURE_TIMEOUT;
	rc = capture_next(s->cap, pkt);
	if (rc == CAPTURE_PACKET) {
		if (s->state == ST_DOWN)
			set_state(ss, s, ST_CAPTURING, "");
		*linktype = capture_linktype(s->cap);
		return CAPTURE_PACKET;
	}
	if (rc != CAPTURE_TIMEOUT)
		read_failed(ss, s);
	return CAPTURE_TIMEOUT;
}

int sources_capturing(const struct sources *ss)
{
	int n = 0;

	for (int i = 0; ss && i < ss->n; i++)
		n += ss->src[i].state == ST_CAPTURING;
	return n;
}

void sources_tick(struct sources *ss, double now)
{
	if (!ss)
		return;
	ss->now = now;
	for (int i = 0; i < ss->n; i++) {
		struct source *s = &ss->src[i];

		if (s->state == ST_CAPTURING || now < s->next_try)
			continue;
		if (s->afpacket && s->cap)
			attach(ss, s);
		else if (!s->afpacket && !s->cap)
			reopen(ss, s);
	}
}

int sources_status(struct sources *ss, struct source_status *out, int max)
{
	int n = 0;

	for (int i = 0; ss && i < ss->n && n < max; i++, n++) {
		struct source *s = &ss->src[i];
		struct source_status *o = &out[n];
		struct capture_stats cs = { 0 };

		if (s->cap)
			capture_get_stats(s->cap, &cs);
		snprintf(o->name, sizeof o->name, "%s", s->name);
		o->method = s->afpacket ? "afpacket" : "pcap";
		o->state = state_names[s->state];
		snprintf(o->error, sizeof o->error, "%s", s->why);
		o->packets = s->packets_before + cs.packets;
		o->drops = s->drops_before + cs.kernel_drops;
		o->retries = s->retries;
	}
	return n;
}

void sources_close(struct sources *ss)
{
	if (!ss)
		return;
	for (int i = 0; i < ss->n; i++)
		capture_close(ss->src[i].cap);
	free(ss);
}
