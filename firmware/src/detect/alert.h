/*
 * alert.h - what the detection engines produce and the sinks consume.
 *
 * Owns: the alert layout (Suricata's alert fields plus vigil's engine,
 * detector and indicator details) and the two callback types every engine
 * uses: one for alerts, one for rule-set problems ("file:line: reason").
 */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include <stdint.h>

#include "core/json.h"
#include "flow/flow_record.h"

enum alert_engine { ALERT_SIGNATURE = 0, ALERT_IOC, ALERT_DETECTOR };

/* Generator ids of the alerts that are not signatures, so that
 * suppress.conf can name them like any rule (sid = the kind / detector). */
#define GID_SIGNATURE 1
#define GID_IOC 9100       /* sid: ioc_list_sid() of the list and kind (detect_ioc.h) */
#define GID_DETECTOR 9200  /* sid: enum behav_detector (detect_behav.h) */

#define ALERT_MAX_META 16
#define ALERT_MAX_FLOWS 16
#define ALERT_MAX_REFS 8

struct alert_kv {
	const char *key;
	const char *value;
};

struct alert {
	uint64_t ts_us;              /* packet time of the decision */
	int engine;                  /* enum alert_engine */
	uint32_t gid, sid, rev;
	const char *signature;       /* the rule's msg, or a generated text */
	const char *classtype;       /* short name, e.g. "trojan-activity" */
	const char *category;        /* its description, Suricata's alert.category */
	int severity;                /* 1 (highest) .. 4 */
	const char *detector;        /* engine detector: its name */
	const char *ioc_kind;        /* engine ioc: "ip", "domain", "ja3", ... */
	const char *ioc_indicator;   /* the list entry that matched */
	const char *ioc_list;        /* the list's file name */
	const char *ioc_description;
	const char *rule_text;       /* engine signature: the rule as written */
	const char *references[ALERT_MAX_REFS];
	int n_references;
	struct alert_kv meta[ALERT_MAX_META]; /* alert.metadata: key -> [value] */
	int n_meta;

	/* where: the flow's 5-tuple, or source/destination hosts for alerts
	 * about several flows (detectors) */
	uint8_t proto;               /* 0 when the alert spans protocols */
	char src_ip[46], dest_ip[46];/* dest_ip "" when there is none */
	uint16_t src_port, dest_port;
	int has_ports;
	const char *app_proto;       /* NULL when not about one flow */
	uint64_t flow_ids[ALERT_MAX_FLOWS]; /* flows the alert is about */
	int n_flow_ids;
	uint16_t evidence;           /* bit i: flow_ids[i]'s packets are recorded
	                                (output/evidence.h; set by the pipeline) */
	/* the flow as it was when the alert was raised (a detector: the flow
	 * that tipped the count), for the alert's flow{} and protocol objects;
	 * NULL when there is none */
	const struct flow_record *flow;
	/* without flow: what the store has of it (the web's export.eve):
	 * its Community ID, and its start and totals for flow{}; NULL when
	 * not known (alert_dup does not copy them) */
	const char *community_id;
	const struct flow_record *stored_flow;
};

typedef void (*alert_fn)(void *ctx, const struct alert *a);

/* A copy of an alert and all its strings, its flow record included, in one
 * allocation (free() it): what crosses from the packet thread to the
 * writer thread. */
struct alert *alert_dup(const struct alert *a);

/* The alert's metadata as one JSON object value, in Suricata's form: each
 * key once, holding the list of its values in the rule's order ("metadata:
 * a 1, a 2" is {"a": ["1", "2"]}). EVE and the store both write it so. */
void alert_meta_json(const struct alert *a, struct json *j);

/* A problem in a rule set file; line 0 when it is about the whole file. */
typedef void (*rule_problem_fn)(void *ctx, const char *file, int line, const char *msg);

#endif
