/*
 * flow_record.h - what the sinks see of a flow.
 *
 * The flow table (flow.c) and the classifier (classify.c) fill one of these
 * when a flow ends (or at an active-timeout checkpoint); the sinks (eve.c,
 * store.c, report.c) read it and never see the table's internals or nDPI.
 * Strings are NUL-terminated; a NULL or empty string means "not known".
 */
#ifndef VIGIL_FLOW_RECORD_H
#define VIGIL_FLOW_RECORD_H

#include <stdint.h>

#define FLOW_RECORD_MAX_RISKS 24

struct flow_record {
	uint64_t flow_id;        /* stable for the flow, < 2^53 */
	uint64_t start_us;       /* first packet of the flow */
	uint64_t end_us;         /* last packet of the flow (so far) */
	uint8_t ipver;           /* 4 or 6 */
	uint8_t proto;           /* IPPROTO_* */
	uint16_t vlan;           /* 0 if none */
	char src_ip[46];         /* client (initiator) */
	char dest_ip[46];        /* server (responder) */
	uint8_t src_addr[16];    /* the same addresses, 16 bytes (IPv4 as */
	uint8_t dest_addr[16];   /* ::ffff:a.b.c.d), for matching */
	uint16_t src_port, dest_port;
	uint64_t pkts_toserver, pkts_toclient;
	uint64_t bytes_toserver, bytes_toclient; /* IP bytes (from IP headers) */
	const char *state;       /* "new", "established", "closed" */
	const char *reason;      /* "timeout", "shutdown", "evicted", "active_timeout" */
	int interim;             /* 1: active-timeout checkpoint, counters are
	                            the delta since the previous record */
	uint8_t tunnel;          /* enum decode_tunnel of the outer tunnel */
	uint8_t alerted;         /* an alert was raised on this flow */
	uint8_t tcp_flags_ts;    /* TCP flags seen client -> server (OR) */
	uint8_t tcp_flags_tc;    /* TCP flags seen server -> client (OR) */

	/* classification (classify.c) */
	const char *app_proto;       /* lowercase nDPI name: "tls", "dns", "unknown" */
	const char *ndpi_protocol;   /* nDPI name: "TLS.YouTube", "DNS", "Unknown" */
	const char *ndpi_category;   /* "Media", "Web", ... */
	const char *ndpi_confidence; /* "DPI", "Match by port", ... */
	int guessed;                 /* classified by giving up (port/IP guess) */
	const char *risks[FLOW_RECORD_MAX_RISKS];
	int n_risks;
	const char *tls_sni, *ja3, *ja3s;
	const char *dns_rrname;
	uint16_t dns_qtype;          /* query type of dns_rrname (1 A, 16 TXT, ...) */
	const char *tls_cert_sha1;   /* server certificate SHA1, 40 hex digits */
	const char *http_host, *http_user_agent;
};

#endif
