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

#include <stddef.h>
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
	uint64_t bytes_toserver, bytes_toclient; /* IP bytes (from IP headers),
	                            since the previous record of the flow */
	uint64_t tot_pkts_toserver, tot_pkts_toclient; /* the same since the */
	uint64_t tot_bytes_toserver, tot_bytes_toclient; /* flow's first packet */
	uint8_t icmp_seen;       /* ICMP/ICMPv6: 1 icmp[0..1] set, 2 icmp[2..3] set */
	uint8_t icmp[4];         /* type and code of the first packet to the
	                            server, then of the first one back */
	const char *state;       /* "new", "established", "closed" */
	const char *reason;      /* "timeout", "shutdown", "evicted", "active_timeout" */
	int interim;             /* 1: active-timeout checkpoint */
	int app_event;           /* 1: not a flow record but the flow's
	                            protocol event(s) (EVE only, see eve_app.h) */
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

	/* what else nDPI 4.2 extracts, for the protocol events (eve_app.h) */
	const char *http_url, *http_content_type;
	const char *http_method;     /* "GET", ...; static string */
	uint16_t http_status;        /* response status, 0 if none seen */
	uint8_t http_version;        /* 1: HTTP/1.1, 0: HTTP/1.0 (request line) */
	uint8_t dns_answered;        /* a response was seen */
	uint8_t dns_rcode;           /* its response code */
	uint8_t dns_answers;         /* its answer count */
	uint16_t dns_rsp_type;       /* type of its first answer */
	const char *dns_rsp_addr;    /* its first A/AAAA address, as text */
	uint16_t tls_version;        /* 0x0303 = TLS 1.2, ...; 0 if not seen */
	uint32_t tls_notbefore, tls_notafter; /* certificate validity (Unix s) */
	const char *tls_issuerdn, *tls_subject, *tls_alpn;
	const char *ssh_client, *ssh_server;     /* software version strings */
	const char *hassh_client, *hassh_server; /* 32 hex digits */
	const char *dhcp_class_ident;            /* DHCP option 60 */
	const char *dhcp_hostname;               /* DHCP option 12 */
};

/* Every string a record may point to that the classifier owns (freed when
 * the flow ends): what a copy must take along. FLOW_RECORD_STRINGS_MAX is
 * room for all of them at their caps. */
#define FLOW_RECORD_STRINGS_MAX 4096
/* Room for the ones the store and the detectors read (ndpi_protocol, SNI,
 * JA3, JA3S, DNS query, HTTP host and user agent, certificate SHA1), which
 * flow_record_copy takes first: a copy into this much never cuts them. */
#define FLOW_RECORD_STRINGS_BASIC 1536

/* Copy src into dst with its classifier-owned strings in buf (cap bytes,
 * FLOW_RECORD_STRINGS_MAX is always enough; a string longer than its cap
 * is cut). Names owned by nDPI or the classifier for the whole run (state,
 * app_proto, category, risks, ...) are shared, not copied. */
void flow_record_copy(struct flow_record *dst, const struct flow_record *src,
		      char *buf, size_t cap);

/* Bytes flow_record_copy will use in buf for src. */
size_t flow_record_strings_len(const struct flow_record *src);


#endif
