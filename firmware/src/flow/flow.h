/*
 * flow.h - the flow table: packets grouped into bidirectional flows.
 *
 * Owns: the symmetric hash on (addresses, ports, protocol, VLAN), who the
 * client is, per-direction packet and byte counters, TCP state, idle
 * timeouts per protocol and state, the active timeout (interim records for
 * long flows), and the bound on concurrent flows with its eviction policy.
 * Time is packet time: the table never reads a clock, so a replay gives the
 * same flows every run.
 *
 * Flow ends are handed to a callback together with the flow's classifier
 * state; the table does not know what classification is.
 */
#ifndef VIGIL_FLOW_H
#define VIGIL_FLOW_H

#include <stdint.h>
#include "decode/decode.h"
#include "flow_record.h"

struct flow;
struct flow_table;

struct flow_config {
	uint32_t max_flows;            /* bound on concurrent flows */
	uint32_t tcp_new_timeout;      /* s: handshake not completed */
	uint32_t tcp_est_timeout;      /* s: established, idle */
	uint32_t tcp_closed_timeout;   /* s: after FIN from both sides or RST */
	uint32_t udp_timeout;          /* s */
	uint32_t icmp_timeout;         /* s */
	uint32_t other_timeout;        /* s: other IP protocols */
	uint32_t active_timeout;       /* s: interim record every so often; 0 = off */
	uint32_t payload_window;       /* bytes of payload kept per direction for the
	                                  rules (flow_payload.h); 0 = off */
};

void flow_config_defaults(struct flow_config *cfg);

struct flow_counters {
	uint64_t created;      /* flows created */
	uint64_t ended;        /* final records emitted (timeout, shutdown, evicted) */
	uint64_t timed_out;
	uint64_t evicted;      /* ended early because the table was full */
	uint64_t interim;      /* active-timeout records */
	uint64_t active;       /* flows in the table now */
	uint64_t peak_active;
	uint64_t alloc_failed; /* packets left without a flow: out of memory */
};

/* Called for every record the table emits. cls is the flow's classifier
 * slot (see flow_classifier_slot); final is 0 for interim records, after a
 * final record the flow is freed. */
typedef void (*flow_emit_fn)(void *ctx, struct flow *f, struct flow_record *rec,
			     int final);

struct flow_table *flow_table_new(const struct flow_config *cfg,
				  flow_emit_fn emit, void *ctx);
void flow_table_free(struct flow_table *t);

/* Account one decoded packet. Returns its flow and sets *to_server to 1 if
 * the packet goes client->server. Runs timeouts up to ts_us first. NULL
 * (counted in alloc_failed) when a new flow cannot be allocated. */
struct flow *flow_table_packet(struct flow_table *t, const struct decoded *d,
			       uint64_t ts_us, uint32_t bytes, int *to_server);

/* Expire flows idle at time now_us (packet time). */
void flow_table_expire(struct flow_table *t, uint64_t now_us);

/* End every flow (reason "shutdown"). */
void flow_table_flush(struct flow_table *t);

void flow_table_counters(const struct flow_table *t, struct flow_counters *c);

/* One pointer per flow for the classifier's own state. */
void **flow_classifier_slot(struct flow *f);

/* One pointer per flow for its held packets (flow_evidence.h); the table
 * never looks at it, the pipeline releases it at the final record. */
void **flow_evidence_slot(struct flow *f);

/* The flow's id (flow_record.flow_id). */
uint64_t flow_get_id(const struct flow *f);

/* The flow's payload window (flow_payload.h), NULL until the owner (the
 * pipeline) makes one; the owner frees it, at the latest on the final
 * record. */
struct flow_payload;
struct flow_payload **flow_payload_slot(struct flow *f);

/* Fill rec with the flow as it is now (a mid-flow view for detection;
 * reason NULL, counters since the last record). */
void flow_table_snapshot(struct flow_table *t, struct flow *f, struct flow_record *rec);

/* Eight bits per flow for the pipeline's own bookkeeping (e.g. "rules
 * evaluated", "alerted"); zero when the flow is created. */
uint8_t *flow_user_flags(struct flow *f);

/* The random seed of the table's bucket hash (tests and diagnostics;
 * nothing the table emits depends on it). */
uint64_t flow_table_seed(const struct flow_table *t);

/* Packets seen in the flow so far (both directions). */
uint64_t flow_packets(const struct flow *f);

#endif
