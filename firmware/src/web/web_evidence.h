/*
 * web_evidence.h - GET /api/alerts/{id}/pcap and GET /api/flows/{id}/pcap:
 * the packets the evidence writer kept (output/evidence.h) as pcap
 * downloads (application/vnd.tcpdump.pcap, vigil-alert-ID.pcap or
 * vigil-flow-ID.pcap), each download in the audit log; 404 with the
 * reason once rotation deleted them or when evidence is off.
 */
#ifndef VIGIL_WEB_EVIDENCE_H
#define VIGIL_WEB_EVIDENCE_H

#include <stdint.h>

#include "web_req.h"

/* An alert's download merges the files of at most this many of its
 * newest flows, and at most this many bytes of them. */
#define WEB_EVIDENCE_MERGE_FILES 64
#define WEB_EVIDENCE_MERGE_BYTES (64u * 1024 * 1024)

/* Route handlers (web_routes.c's table). */
void evidence_h_alert(struct web_req *r);
void evidence_h_flow(struct web_req *r);

/* 1 if the flow's packets are kept (its file exists). */
int web_evidence_kept(struct web_req *r, uint64_t flow_id);

#endif
