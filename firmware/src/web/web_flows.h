/*
 * web_flows.h - the flow routes of the web API (docs/api.md, "Flows"):
 * the list with its filters, the top talkers.
 *
 * Owns: what a time range means when a request leaves it out, and which
 * networks are home (also for the dashboard).
 */
#ifndef VIGIL_WEB_FLOWS_H
#define VIGIL_WEB_FLOWS_H

#include "core/homenet.h"
#include "web_req.h"

#define FLOW_COLS "id, flow_id, start_us, end_us, src_ip, src_port, dest_ip, dest_port," \
	" proto, app_proto, ndpi_protocol, ndpi_category, risks, tls_sni, ja3, ja3s," \
	" dns_rrname, http_host, http_user_agent, pkts_toserver, pkts_toclient," \
	" bytes_toserver, bytes_toclient, state, alerted," \
	" coalesce(ndpi_app_proto, app_proto) AS ndpi_app_proto, community_id, icmp_type, icmp_code," \
	" response_icmp_type, response_icmp_code"
#define FLOW_NCOLS 31

/* from/to as given; a missing "to" is now (or, when "from" is missing
 * too, the newest flow), a missing "from" the oldest flow: no range at all
 * covers the whole database. 0, or -1 answered. */
int flows_default_range(struct web_req *r, int64_t *from, int64_t *to);
/* The home networks: the configured ones, else the latest run's, else
 * the default. */
void flows_home_nets(struct web_req *r, struct homenet *hn);

/* Route handlers (web_routes.c's table). */
void flows_h_list(struct web_req *r);
void flows_h_top_talkers(struct web_req *r);

#endif
