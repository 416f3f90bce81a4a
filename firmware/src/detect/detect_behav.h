/*
 * detect_behav.h - behavioural detectors over many flows.
 *
 * Owns: detectors.conf (INI: one section per detector with enabled,
 * thresholds, window and ignore), and each detector's bounded state:
 * portscan, hostsweep, dns_tunnel, beacon, exfil, bruteforce. Detectors
 * see every flow when it ends (and exfil sees interim records), count in
 * packet time, and report an ongoing behaviour once per window.
 */
#ifndef VIGIL_DETECT_BEHAV_H
#define VIGIL_DETECT_BEHAV_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "flow/flow_record.h"
#include "core/homenet.h"

/* sid of a detector alert (gid GID_DETECTOR) */
enum behav_detector {
	BEHAV_PORTSCAN = 1, BEHAV_HOSTSWEEP, BEHAV_DNS_TUNNEL, BEHAV_BEACON,
	BEHAV_EXFIL, BEHAV_BRUTEFORCE, BEHAV__COUNT
};

struct behav;

struct behav_counters {
	uint64_t tracked;      /* entries in the detectors' tables now */
	uint64_t dropped;      /* entries not tracked because a table was full */
};

/* home: the inside networks (exfil looks at inside -> outside). All
 * detectors start disabled until a configuration enables them. */
struct behav *behav_new(const struct homenet *home);
void behav_free(struct behav *b);

/* Read a detectors.conf. Returns 0, or -1 on problems (each reported
 * through problem() with its line; line 0: the whole file). On -1 the
 * configuration in use stays as it was; on 0 the file replaces it whole
 * (detectors without a section are disabled) and the detectors' state is
 * forgotten. A [section] enables its detector unless it says enabled = no. */
int behav_load_config(struct behav *b, const char *path, rule_problem_fn problem, void *ctx);

/* Number of detectors enabled. */
int behav_enabled(const struct behav *b);

/* "portscan", "hostsweep", ... for an enum behav_detector; NULL otherwise. */
const char *behav_detector_name(int det);
/* The signature text of detector det's alerts (the same for all of them),
 * NULL if det is none. */
const char *behav_signature(int det);

/* Feed one flow record (final or interim). Alerts go to cb; their
 * strings live until cb returns. Event time is rec->end_us (else
 * start_us); only exfil counts interim records; flows to multicast and
 * broadcast addresses are not counted. */
void behav_flow(struct behav *b, const struct flow_record *rec, alert_fn cb, void *ctx);

/* Forget state older than the windows (packet time). */
void behav_expire(struct behav *b, uint64_t now_us);

void behav_get_counters(const struct behav *b, struct behav_counters *out);

#endif
