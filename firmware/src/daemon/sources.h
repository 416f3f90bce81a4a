/*
 * sources.h - the daemon's live capture sources: one per configured
 * interface, each capturing, down, missing or in error, and retried.
 *
 * Owns: opening every interface while privileged (one that is missing or
 * broken does not stop the others), noticing an interface that goes away
 * or comes back, retrying what does not capture with a backoff (1 s
 * doubling to 30 s), logging each change of state and at most one
 * reminder per interface every 10 minutes, and each interface's state and
 * counters for the stats and the web. AF_PACKET sources follow their
 * interface without privileges (capture_attach); libpcap sources can only
 * be reopened while the daemon keeps its privileges.
 */
#ifndef VIGIL_SOURCES_H
#define VIGIL_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/capture/capture.h"
#include "config.h"

struct sources;

/* One interface as the stats and the web show it. */
struct source_status {
	char name[16];
	const char *method;     /* "afpacket" or "pcap" */
	const char *state;      /* "capturing", "down", "missing" or "error" */
	char error[200];        /* why it is not capturing; "" when it is */
	uint64_t packets;       /* read since the start (all openings) */
	uint64_t drops;         /* the kernel dropped since the start */
	unsigned retries;       /* attempts since the state last changed */
};

/* Open c's interfaces (call while privileged; drop_privileges: the
 * daemon will drop them, so a libpcap source cannot be reopened later;
 * now: monotonic seconds, as sources_tick() will be given).
 * Every interface gets a slot, whatever its state. NULL with err filled
 * only when no interface can ever capture (each failed in a way a retry
 * cannot mend, e.g. no CAP_NET_RAW). */
struct sources *sources_open(const struct vigil_config *c, int drop_privileges, double now,
			     char *err, size_t errlen);

int sources_count(const struct sources *s);

/* The next packet of source i: CAPTURE_PACKET (*linktype set) or
 * CAPTURE_TIMEOUT (nothing now, or the source is not capturing). A read
 * error is handled here: the state is updated, logged, retried later. */
int sources_next(struct sources *s, int i, struct cap_packet *pkt, int *linktype);

/* Sources that can deliver packets now (capturing or down). */
int sources_active(const struct sources *s);

/* Sources capturing now. */
int sources_capturing(const struct sources *s);

/* Once a second (monotonic seconds): retry what is not capturing when
 * its backoff has passed. */
void sources_tick(struct sources *s, double now);

/* Fill out[0..n) (n = sources_count); returns n. */
int sources_status(struct sources *s, struct source_status *out, int max);

void sources_close(struct sources *s);

#endif
