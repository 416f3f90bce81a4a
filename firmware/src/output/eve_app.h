/*
 * eve_app.h - the application layer in EVE: Suricata's protocol names and
 * the protocol objects (dns, tls, http, ssh, quic, dhcp) in Suricata's
 * field names and shapes, from what nDPI 4.2 extracts.
 *
 * Owns: the nDPI -> Suricata app_proto table, which protocol events a flow
 * record yields, and the layout of each protocol object. eve.c writes the
 * event around them (timestamp, 5-tuple, community_id); alerts and flow
 * events carry the same objects.
 */
#ifndef VIGIL_EVE_APP_H
#define VIGIL_EVE_APP_H

#include "flow/flow_record.h"
#include "core/json.h"

/* Suricata's name for an app_proto as the classifier gives it (nDPI's
 * lowercase name, "smbv23", "kerberos", ...): "smb", "krb5", ...; a name
 * Suricata has no own word for stays nDPI's; NULL for "unknown", NULL or
 * "" (Suricata writes no app_proto then). */
const char *eve_app_proto(const char *ndpi_name);

enum eve_app_kind {
	EVE_APP_DNS_QUERY, EVE_APP_DNS_ANSWER, EVE_APP_TLS, EVE_APP_QUIC,
	EVE_APP_HTTP, EVE_APP_SSH, EVE_APP_DHCP, EVE_APP__COUNT
};
#define EVE_APP_MAX_EVENTS EVE_APP__COUNT

/* The protocol events r yields, in order, into kinds[]; their count. */
int eve_app_events(const struct flow_record *r, enum eve_app_kind kinds[EVE_APP_MAX_EVENTS]);

/* The event_type of an event kind ("dns", "tls", ...). */
const char *eve_app_event_type(enum eve_app_kind k);

/* Write the object of event kind k as a member of the open object
 * ("dns": {...}, "tls": {...}). */
void eve_app_object(struct json *j, const struct flow_record *r, enum eve_app_kind k);

/* Write every protocol object r has as members of the open object (one
 * "dns" object: the answer when there was one): what alerts and flow
 * events carry. */
void eve_app_objects(struct json *j, const struct flow_record *r);

#endif
