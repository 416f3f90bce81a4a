/*
 * detect.h - the detect stage: runs the rule set's engines on flows.
 *
 * Owns: when each engine looks at a flow (signatures and indicators once,
 * when the flow's classification is final or at its end; detectors on every
 * record), suppression (suppress.conf silences alerts before any sink sees
 * them), and the alert counters.
 */
#ifndef VIGIL_DETECT_H
#define VIGIL_DETECT_H

#include <stdint.h>

#include "alert.h"
#include "flow/flow_record.h"
#include "ruleset.h"

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

/* Behavioural detectors: every final and interim record. Returns alerts. */
int detect_flow_behav(struct detect *d, const struct flow_record *rec);

void detect_get_counters(const struct detect *d, struct detect_counters *out);

#endif
