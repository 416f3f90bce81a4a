/*
 * detect.h - the detect stage: runs the rule set's engines on flows.
 *
 * Owns: when each engine looks at a flow (signatures and indicators once,
 * when the flow's classification is final or at its end, the signatures
 * that read the payload window once it is ready; detectors on every
 * record), suppression (suppress.conf silences alerts before any sink sees
 * them, each entry's silenced alerts tallied), and the alert counters.
 */
#ifndef VIGIL_DETECT_H
#define VIGIL_DETECT_H

#include <stdint.h>

#include "alert.h"
#include "flow/flow_record.h"
#include "flow/flow_payload.h"
#include "ruleset.h"
#include "suppress.h"

struct detect;

struct detect_counters {
	uint64_t alerts[3];      /* by enum alert_engine, after suppression */
	uint64_t suppressed;
	uint64_t flows_evaluated;/* flows that went through signatures and indicators */
	uint64_t threshold_evicted; /* threshold/detection_filter entries dropped: table full */
	uint64_t detector_dropped;  /* detector table entries dropped: table full */
};

/* out receives every alert that is not suppressed. */
struct detect *detect_new(struct ruleset *rs, alert_fn out, void *ctx);
void detect_free(struct detect *d);

/* Signatures and indicators, once per flow. Returns alerts raised. */
int detect_flow_rules(struct detect *d, const struct flow_record *rec, uint64_t now_us);

/* Signatures that read the payload window, once per flow: when the window
 * is ready (detect_window_ready), or when the flow ends; win NULL when no
 * window is kept. Returns alerts raised. */
int detect_flow_window(struct detect *d, const struct flow_record *rec,
		       const struct flow_window *win, uint64_t now_us);

/* 1 if some signature reads the payload window of flows of this IP
 * protocol (else keep none); after detect_flow_rules, 1 if one may apply
 * to that flow (else its window can go now). */
int detect_wants_window(const struct detect *d, uint8_t proto);
int detect_window_applies(const struct detect *d);

/* 1 when the window has shown what those signatures look at (each
 * direction full, cut, ended or answered, or a complete HTTP response
 * head with its body's start). */
int detect_window_ready(const struct flow_window *win);

/* Behavioural detectors: every final and interim record. Returns alerts. */
int detect_flow_behav(struct detect *d, const struct flow_record *rec);

void detect_get_counters(const struct detect *d, struct detect_counters *out);

/* The alerts each suppress.conf entry silenced since the last call, one
 * suppress_tally per entry that silenced any (at most max; the rest stay
 * for the next call), and the tallies start again. Returns how many were
 * written into out. The caller's thread (the packet thread): the tallies
 * go to the store from there (output/pipeline.c). */
int detect_take_silenced(struct detect *d, struct suppress_tally *out, int max);

#endif
