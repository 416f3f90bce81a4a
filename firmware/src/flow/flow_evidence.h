/*
 * flow_evidence.h - the packets behind an alert, while the flow is judged.
 *
 * Owns: the shared, bounded pool of held packets. Every flow holds its
 * first packets (hold_pkts packets or hold_bytes bytes, whichever comes
 * first) until its rules and detectors have decided, which is at the
 * flow's end (detectors see the final record). A flow that did not alert
 * gives its packets back then; a flow that alerts hands them to the
 * evidence writer, and its following packets after them, up to
 * per_flow_cap bytes in all. The pool is bounded: when a packet does not
 * fit, the held packets of the oldest undecided flows are dropped first,
 * and counted.
 *
 * Packet thread only. The pool does not know where evidence goes: packets
 * leave through an evid_out_fn, which takes them over.
 */
#ifndef VIGIL_FLOW_EVIDENCE_H
#define VIGIL_FLOW_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

struct evid_config {
	uint32_t hold_pkts;       /* packets held per flow (16) */
	uint32_t hold_bytes;      /* bytes held per flow (32 KiB) */
	uint64_t pool_bytes;      /* all held packets of all flows (16 MiB) */
	uint64_t per_flow_cap;    /* bytes recorded per alerting flow (1 MiB) */
};

void evid_config_defaults(struct evid_config *c);

/* One packet on its way to the evidence writer: caplen bytes of the frame
 * as captured, and its link type. caplen 0 with EVID_END marks the end of
 * the flow's evidence (the writer closes its file). */
struct evid_pkt {
	struct evid_pkt *next;
	uint64_t flow_id;
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	int32_t linktype;
	uint32_t kind;            /* EVID_PACKET or EVID_END */
	uint8_t data[];
};

#define EVID_PACKET 0
#define EVID_END 1

/* Takes p over (frees it when done, or at once if it cannot take it). */
typedef void (*evid_out_fn)(void *ctx, struct evid_pkt *p);

struct evid_counters {
	uint64_t held;            /* packets taken into the pool */
	uint64_t pool_used;       /* bytes in the pool now (packets and bookkeeping) */
	uint64_t pool_peak;
	uint64_t pressure_pkts;   /* held packets dropped: pool full (oldest flows first) */
	uint64_t pressure_flows;  /* flows that lost their held packets so */
	uint64_t flows_recorded;  /* flows whose packets went to the writer */
	uint64_t pkts_recorded;   /* packets handed to the writer */
	uint64_t cap_reached;     /* alerting flows cut at per_flow_cap */
	uint64_t alloc_failed;    /* packets not held: out of memory */
};

struct evid_pool;

struct evid_pool *evid_pool_new(const struct evid_config *cfg, evid_out_fn out, void *ctx);
void evid_pool_free(struct evid_pool *p);

/* One packet of a flow; slot is the flow's evidence pointer (NULL when the
 * flow is new, see flow_evidence_slot). Held while the flow is undecided
 * and within its hold, handed out while the flow records. */
void evid_packet(struct evid_pool *p, void **slot, uint64_t flow_id, int linktype,
		 const uint8_t *data, uint32_t caplen, uint32_t wirelen, uint64_t ts_us);

/* The flow alerted: its held packets go out, its following packets will
 * follow up to per_flow_cap. Returns 1 if the flow has evidence (packets
 * out now or before), 0 if none is left (dropped under pressure, never
 * held). Looked up by id: a detector names flows other than the current. */
int evid_alerted(struct evid_pool *p, uint64_t flow_id);

/* Move a flow's hold to another slot (*to; *from is NULL afterwards): a
 * record that waits for the detectors keeps its flow's packets after the
 * flow is gone. */
void evid_move(void **from, void **to);

/* The flow ended (final record, after its detectors): an undecided flow's
 * held packets are freed; a recording flow's evidence is closed (EVID_END).
 * *slot is NULL afterwards. */
void evid_release(struct evid_pool *p, void **slot);

void evid_get_counters(const struct evid_pool *p, struct evid_counters *c);

#endif
