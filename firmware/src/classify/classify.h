/*
 * classify.h - the classify stage: nDPI application detection per flow.
 *
 * Owns: the nDPI detection module, the per-flow nDPI state while detection
 * (and extra dissection: certificates, JA3S) is still possible, and the
 * small result kept once a flow is classified (protocol, category,
 * confidence, risks, SNI / DNS query / HTTP host and user agent, JA3/JA3S).
 * nDPI's per-flow state (~700 bytes) is freed as soon as the flow is
 * classified; at flow end a still-undecided flow is given up with guessing.
 */
#ifndef VIGIL_CLASSIFY_H
#define VIGIL_CLASSIFY_H

#include <stdint.h>
#include "decode/decode.h"
#include "flow/flow_record.h"

struct classifier;

struct classify_counters {
	uint64_t flows_classified;   /* decided by DPI while the flow was live */
	uint64_t flows_given_up;     /* decided by giving up (guess) */
	uint64_t ndpi_states_live;   /* flows holding nDPI state now */
	uint64_t ndpi_states_peak;
	uint64_t pending_live;       /* flows holding header-only packets */
	uint64_t alloc_failures;     /* could not allocate state: flow stays Unknown */
};

struct classifier *classifier_new(char *err, size_t errlen);
void classifier_free(struct classifier *c);

/* Feed one packet of a flow. slot is the flow's classifier pointer
 * (flow_classifier_slot), initially NULL. Cheap once the flow is decided.
 * Returns 1 when this packet made the classification final, else 0. */
int classify_packet(struct classifier *c, void **slot, const struct decoded *d,
		     uint64_t ts_us, int to_server);

/* Fill the classification part of rec (gives up first if still undecided
 * and final is set). Strings point into the slot's memory and stay valid
 * until classify_release. */
void classify_fill_record(struct classifier *c, void **slot,
			  struct flow_record *rec, int final);

/* Free whatever the slot holds; sets *slot to NULL. */
void classify_release(struct classifier *c, void **slot);

void classify_get_counters(const struct classifier *c,
			   struct classify_counters *out);

/* Bytes of nDPI state one undecided flow holds (for reports). */
uint32_t classify_ndpi_flow_size(void);

#endif
