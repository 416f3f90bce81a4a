/*
 * eve.h - the EVE JSON sink: one JSON object per line, Suricata's fields.
 *
 * Owns: the output file (or stdout), the event layouts (flow, protocol
 * events, alert - also for the web's export -, stats), and buffering.
 * Field names follow Suricata's EVE wherever Suricata has the field;
 * nDPI's view lives under "ndpi", vigil's own fields under "vigil"
 * (docs/eve.md).
 */
#ifndef VIGIL_EVE_H
#define VIGIL_EVE_H

#include <stdint.h>
#include "community_id.h"
#include "core/json.h"
#include "detect/alert.h"
#include "flow/flow_record.h"
#include "stats.h"

struct eve;

/* path "-" is stdout. Returns NULL and fills err on failure. */
struct eve *eve_open(const char *path, char *err, size_t errlen);
/* The same, appending to an existing file (the daemon). */
struct eve *eve_open_append(const char *path, char *err, size_t errlen);
/* Write out the buffered events; -1 if that failed. */
int eve_flush(struct eve *e);
/* A flow event; for a record with app_event set, its protocol events. */
int eve_write_flow(struct eve *e, const struct flow_record *rec);
/* The protocol events (dns, tls, http, ...) of a flow record (eve_app.h). */
int eve_write_app(struct eve *e, const struct flow_record *rec);
int eve_write_alert(struct eve *e, const struct alert *a);
/* The layout of an alert event, for every writer of one (this sink and
 * the web's export): a's event into j, its last member the "vigil" object
 * left open, so that a caller may add members of its own there (the
 * export adds the aggregation) before it closes both with json_obj_end. */
void eve_alert_json(struct json *j, const struct alert *a);
/* The layout of a flow event (a record without app_event), for this sink
 * and the uplink: r's event into j, left open for the caller's members
 * (the uplink adds its ids) before it closes it with json_obj_end. */
void eve_flow_json(struct json *j, const struct flow_record *r);
/* An address as EVE writes it: IPv4 as it is, IPv6 with every group in
 * full ("2001:0db8:0000:0000:0000:0000:0000:0001", Suricata's form); the
 * store keeps the same text. Returns ip itself when it is not IPv6 text,
 * else out. */
#define EVE_IP_LEN 46
/* The flow's Community ID as its EVE events carry it (seed 0; ICMP by the
 * type and code of the flow's first packet). */
void eve_community_id_text(const struct flow_record *r, char out[COMMUNITY_ID_LEN]);
const char *eve_ip_text(const char *ip, char out[EVE_IP_LEN]);
int eve_write_stats(struct eve *e, const struct vigil_stats *st, uint64_t ts_us);

/* The packet evidence counters as one JSON object value (the stats
 * event's vigil.evidence, GET /api/system's "evidence"). */
void eve_evidence_stats(struct json *j, const struct vigil_stats *st);
/* Flush and close; returns -1 if any write failed (disk full, ...). */
int eve_close(struct eve *e);

#endif
