/*
 * stats.h - the counters one run reports (EVE stats event, SQLite, summary).
 *
 * Owns only the layout: each stage keeps its own counters and the replay
 * loop copies them here.
 */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include <stdint.h>
#include "decode/decode.h"

/* One live interface of the daemon (sources.h), for the stats event. */
#define VIGIL_STATS_IFACES 8
struct vigil_iface_stats {
	char name[16];
	char state[12];                         /* capturing, down, missing, error */
	char error[200];                        /* why not capturing, "" when it is */
	uint64_t packets, drops;
};

struct vigil_stats {
	uint64_t packets;                       /* read from the sources */
	uint64_t bytes;                         /* wire bytes read */
	uint64_t decoded;                       /* packets that reached the flow table */
	uint64_t ipv4, ipv6, tcp, udp, icmp, sctp, other_l4;
	uint64_t vlan, pppoe, mpls, tunneled, fragments;
	uint64_t not_ip;                        /* ARP, LLDP, STP...: skipped, not errors */
	uint64_t decode_errors[DECODE_ERR__COUNT]; /* [DECODE_ERR_NOT_IP] stays 0 */
	uint64_t decode_errors_total;
	uint64_t kernel_drops;
	uint64_t flows;                         /* flows created */
	uint64_t flows_ended;
	uint64_t flows_evicted;
	uint64_t flows_interim;
	uint64_t flows_peak;                    /* most concurrent flows */
	uint64_t ndpi_states_peak;              /* most flows holding nDPI state */
	uint64_t alerts;                        /* raised (after suppression) */
	uint64_t alerts_signature, alerts_ioc, alerts_detector;
	uint64_t alerts_suppressed;
	/* drops of the decode, flow and detect stages (each bounded table's) */
	uint64_t frag_overwrites;               /* live fragment entries overwritten */
	uint64_t frag_orphans;                  /* fragments without their first */
	uint64_t flow_alloc_failed;             /* decoded packets left without a flow */
	uint64_t threshold_evicted;             /* signature threshold entries dropped */
	uint64_t detector_dropped;              /* detector table entries dropped */
	uint64_t payload_peak_bytes;            /* payload windows held at most */
	uint64_t payload_dropped_bytes;         /* payload not kept: their pool was full */
	uint64_t db_flows_lost;                 /* flow records the database could not store */
	uint64_t db_alerts_lost;                /* alerts it could not store or never got */
	uint64_t db_failures;                   /* episodes of failing database writes */
	uint64_t eve_alerts_lost;               /* alerts never queued for EVE (memory) */
	/* packet evidence (flow/flow_evidence.h, output/evidence.h); all 0 when off */
	int evidence_on;
	uint64_t ev_held;                       /* packets taken into the pool */
	uint64_t ev_pool_used, ev_pool_peak, ev_pool_limit; /* bytes */
	uint64_t ev_pressure_pkts, ev_pressure_flows; /* dropped: pool full, oldest first */
	uint64_t ev_flows;                      /* alerting flows recorded */
	uint64_t ev_cap_reached;                /* of them cut at per_flow_cap */
	uint64_t ev_packets;                    /* packets written to evidence files */
	uint64_t ev_queue_drops;                /* dropped: the writer's queue was full */
	uint64_t ev_write_errors;               /* could not be written (disk, no room) */
	uint64_t ev_files, ev_rotated;          /* files created, deleted by rotation */
	uint64_t ev_dir_bytes;                  /* evidence on disk */
	uint64_t first_ts_us, last_ts_us;       /* packet time covered */
	uint32_t files;                         /* capture files read */
	struct vigil_iface_stats ifaces[VIGIL_STATS_IFACES]; /* live interfaces */
	int n_ifaces;                           /* 0: none (files, replay) */
};

#endif
