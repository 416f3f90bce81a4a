/*
 * eve.c - EVE JSON lines (see eve.h).
 *
 * Suricata's field names and forms wherever Suricata has the field, so jq
 * recipes, Filebeat's Suricata module and SIEM parsers read vigil's events
 * as they read Suricata's: every event validates against Suricata 8.0's
 * schema (etc/schema.json) and, but for "ndpi", 7.0's. nDPI's own view
 * goes under "ndpi", vigil's own fields under "vigil" (docs/eve.md). The
 * protocol objects are eve_app.c's, the Community ID community_id.c's.
 */
#include "eve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community_id.h"
#include "evidence.h"
#include "decode/decode.h"
#include "eve_app.h"
#include "core/json.h"

struct eve;
static struct eve *eve_open_mode(const char *path, int append, char *err, size_t errlen);

struct eve {
	FILE *fp;
	int is_stdout;
	int failed;
	struct json j;
	char *iobuf;       /* the file's stdio buffer (EVE_BUFFER), freed after fclose */
};

/* one write(2) per this much of events, not per line: glibc ignores the
 * size given to setvbuf without a buffer (it keeps one 4 KiB block) */
#define EVE_BUFFER (256 * 1024)

struct eve *eve_open(const char *path, char *err, size_t errlen)
{
	return eve_open_mode(path, 0, err, errlen);
}

/* The daemon appends: a restart must not wipe the events a SIEM has not
 * read yet (logrotate's copytruncate works with it). */
struct eve *eve_open_append(const char *path, char *err, size_t errlen)
{
	return eve_open_mode(path, 1, err, errlen);
}

/* Hand what is buffered to the kernel (the daemon does it every second). */
int eve_flush(struct eve *e)
{
	if (fflush(e->fp) != 0) {
		e->failed = 1;
		return -1;
	}
	return 0;
}

static struct eve *eve_open_mode(const char *path, int append, char *err, size_t errlen)
{
	struct eve *e = calloc(1, sizeof *e);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		e->fp = stdout;
		e->is_stdout = 1;
	} else {
		e->fp = fopen(path, append ? "a" : "w");
		if (!e->fp) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(e);
			return NULL;
		}
	}
	if (e->is_stdout)
		setvbuf(e->fp, NULL, _IOFBF, 0);
	else if ((e->iobuf = malloc(EVE_BUFFER)))
		setvbuf(e->fp, e->iobuf, _IOFBF, EVE_BUFFER);
	json_init(&e->j);
	return e;
}

static int has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* Suricata writes IPv6 addresses with every group in full
 * ("2001:0db8:0000:..."), so string joins with its data need the same. */
const char *eve_ip_text(const char *ip, char out[EVE_IP_LEN])
{
	uint8_t a[16];

	if (!strchr(ip, ':') || inet_pton(AF_INET6, ip, a) != 1)
		return ip;
	for (int i = 0; i < 8; i++)
		snprintf(out + 5 * i, EVE_IP_LEN - 5 * (size_t)i, "%02x%02x%s", a[2 * i], a[2 * i + 1],
			 i < 7 ? ":" : "");
	return out;
}

static int eve_emit(struct eve *e)
{
	if (e->j.oom) {
		e->failed = 1;
		return -1;
	}
	e->j.buf[e->j.len] = '\n';
	if (fwrite(e->j.buf, 1, e->j.len + 1, e->fp) != e->j.len + 1) {
		e->failed = 1;
		return -1;
	}
	return 0;
}

/* ICMP's type and code, as Suricata writes them for an ICMP flow. */
static void eve_icmp(struct json *j, const struct flow_record *r)
{
	if (r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6)
		return;
	if (r->icmp_seen & 1) {
		json_ku64(j, "icmp_type", r->icmp[0]);
		json_ku64(j, "icmp_code", r->icmp[1]);
	}
	if (r->icmp_seen & 2) {
		json_ku64(j, "response_icmp_type", r->icmp[2]);
		json_ku64(j, "response_icmp_code", r->icmp[3]);
	}
}

/* The flow's Community ID (seed 0): ICMP by the type and code of the
 * flow's first packet, as Suricata does. */
void eve_community_id_text(const struct flow_record *r, char out[COMMUNITY_ID_LEN])
{
	uint16_t sp = r->src_port, dp = r->dest_port;

	if (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6) {
		sp = r->icmp_seen & 1 ? r->icmp[0] : r->icmp[2];
		dp = r->icmp_seen & 1 ? r->icmp[1] : r->icmp[3];
	}
	community_id_v1(out, 0, r->ipver, r->src_addr, r->dest_addr, r->proto, sp, dp);
}

static void eve_community_id(struct json *j, const struct flow_record *r)
{
	char id[COMMUNITY_ID_LEN];

	eve_community_id_text(r, id);
	json_kstr(j, "community_id", id);
}

/* Start an event about flow r: timestamp, flow_id, event_type, the
 * 5-tuple, ICMP type/code and community_id. */
static void eve_header(struct json *j, const char *type, uint64_t ts_us,
		       const struct flow_record *r)
{
	char ts[JSON_TS_LEN], pb[8], ip[46];

	json_format_ts(ts, ts_us);
	json_obj_begin(j);
	json_kstr(j, "timestamp", ts);
	if (r)
		json_ku64(j, "flow_id", r->flow_id);
	json_kstr(j, "event_type", type);
	if (!r)
		return;
	if (r->vlan) {
		json_key(j, "vlan");
		json_arr_begin(j);
		json_u64(j, r->vlan);
		json_arr_end(j);
	}
	json_kstr(j, "src_ip", eve_ip_text(r->src_ip, ip));
	if (has_ports(r->proto))
		json_ku64(j, "src_port", r->src_port);
	json_kstr(j, "dest_ip", eve_ip_text(r->dest_ip, ip));
	if (has_ports(r->proto))
		json_ku64(j, "dest_port", r->dest_port);
	json_kstr(j, "proto", decode_proto_name(r->proto, pb));
	eve_icmp(j, r);
	eve_community_id(j, r);
}

/* Suricata's flow{} block. total: the counters since the flow's start
 * (flow events); else the record's own (an alert's view of the flow so
 * far, which for a flow without interim records is the same). */
static void eve_flow_block(struct json *j, const struct flow_record *r, int alert)
{
	char ts[JSON_TS_LEN];

	json_key(j, "flow");
	json_obj_begin(j);
	json_ku64(j, "pkts_toserver", r->tot_pkts_toserver);
	json_ku64(j, "pkts_toclient", r->tot_pkts_toclient);
	json_ku64(j, "bytes_toserver", r->tot_bytes_toserver);
	json_ku64(j, "bytes_toclient", r->tot_bytes_toclient);
	json_format_ts(ts, r->start_us);
	json_kstr(j, "start", ts);
	if (!alert) {
		json_format_ts(ts, r->end_us);
		json_kstr(j, "end", ts);
		json_ku64(j, "age", (r->end_us - r->start_us) / 1000000);
		json_kstr(j, "state", r->state);
		json_kstr(j, "reason", r->reason);
		json_kbool(j, "alerted", r->alerted);
	}
	json_obj_end(j);
}

/* nDPI's own view (Suricata 8's schema has an "ndpi" object for it). */
static void eve_ndpi(struct json *j, const struct flow_record *r)
{
	json_key(j, "ndpi");
	json_obj_begin(j);
	json_kstr(j, "protocol", r->ndpi_protocol ? r->ndpi_protocol : "Unknown");
	json_kstr(j, "app_proto", r->app_proto);
	json_kstr(j, "category", r->ndpi_category);
	json_kstr(j, "confidence", r->ndpi_confidence);
	if (r->guessed)
		json_kbool(j, "guessed", 1);
	json_key(j, "risks");
	json_arr_begin(j);
	for (int i = 0; i < r->n_risks; i++)
		json_str(j, r->risks[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* Suricata's flow event, left open (see eve.h). */
void eve_flow_json(struct json *j, const struct flow_record *r)
{
	eve_header(j, "flow", r->end_us, r);
	json_kstr(j, "app_proto", eve_app_proto(r->app_proto));
	eve_flow_block(j, r, 0);
	eve_ndpi(j, r);
	eve_app_objects(j, r);
}

int eve_write_flow(struct eve *e, const struct flow_record *r)
{
	if (r->app_event)
		return eve_write_app(e, r);
	json_reset(&e->j);
	eve_flow_json(&e->j, r);
	json_obj_end(&e->j);
	return eve_emit(e);
}

int eve_write_app(struct eve *e, const struct flow_record *r)
{
	struct json *j = &e->j;
	enum eve_app_kind k[EVE_APP_MAX_EVENTS];
	int n = eve_app_events(r, k);

	for (int i = 0; i < n; i++) {
		json_reset(j);
		eve_header(j, eve_app_event_type(k[i]), r->end_us, r);
		json_kstr(j, "app_proto", eve_app_proto(r->app_proto));
		eve_app_object(j, r, k[i]);
		json_obj_end(j);
		if (eve_emit(e) < 0)
			return -1;
	}
	return 0;
}

/* vigil's alert fields that Suricata has no place for: the engine, the
 * detector and the flows an aggregate alert is about (docs/eve.md), in an
 * object left open. The variable parts (indicator, counts, ports) are in
 * alert.metadata. */
static void eve_alert_vigil(struct json *j, const struct alert *a)
{
	static const char *engines[] = { "signature", "ioc", "detector" };

	json_key(j, "vigil");
	json_obj_begin(j);
	json_kstr(j, "engine", engines[a->engine >= 0 && a->engine < 3 ? a->engine : 0]);
	json_kstr(j, "detector", a->detector);
	if (a->n_flow_ids > 1) {
		json_key(j, "flow_ids");
		json_arr_begin(j);
		for (int i = 0; i < a->n_flow_ids; i++)
			json_u64(j, a->flow_ids[i]);
		json_arr_end(j);
	}
	if (a->evidence) {
		/* the files of its flows' packets, in the evidence directory */
		char name[64];
		json_key(j, "evidence");
		json_arr_begin(j);
		for (int i = 0; i < a->n_flow_ids && i < 16; i++) {
			if (!(a->evidence & (1u << i)))
				continue;
			evidence_file_name(name, sizeof name, a->flow_ids[i]);
			json_str(j, name);
		}
		json_arr_end(j);
	}
}

/* Suricata's alert event: the flow's 5-tuple and community_id, alert{},
 * the flow{} block and the protocol objects of the flow it was raised on;
 * vigil's own fields under "vigil", left open (see eve.h). */
void eve_alert_json(struct json *j, const struct alert *a)
{
	const struct flow_record *f = a->flow;
	char ts[JSON_TS_LEN], pb[8], ip[46];

	if (f) {
		eve_header(j, "alert", a->ts_us, f);
	} else {
		json_format_ts(ts, a->ts_us);
		json_obj_begin(j);
		json_kstr(j, "timestamp", ts);
		if (a->n_flow_ids > 0)
			json_ku64(j, "flow_id", a->flow_ids[a->n_flow_ids - 1]);
		json_kstr(j, "event_type", "alert");
		json_kstr(j, "src_ip", eve_ip_text(a->src_ip, ip));
		if (a->has_ports)
			json_ku64(j, "src_port", a->src_port);
		json_kstr(j, "dest_ip", eve_ip_text(a->dest_ip, ip));
		if (a->has_ports)
			json_ku64(j, "dest_port", a->dest_port);
		if (a->proto)
			json_kstr(j, "proto", decode_proto_name(a->proto, pb));
		if (a->community_id)
			json_kstr(j, "community_id", a->community_id);
	}
	json_kstr(j, "app_proto", eve_app_proto(f ? f->app_proto : a->app_proto));

	json_key(j, "alert");
	json_obj_begin(j);
	json_kstr(j, "action", "allowed");
	json_ku64(j, "gid", a->gid);
	json_ku64(j, "signature_id", a->sid);
	json_ku64(j, "rev", a->rev);
	json_kstr(j, "signature", a->signature ? a->signature : "");
	json_key(j, "category"); /* Suricata always writes it, "" without classtype */
	json_str(j, a->category ? a->category : "");
	json_ku64(j, "severity", (uint64_t)(a->severity > 0 ? a->severity : 3));
	if (a->n_meta > 0) {
		json_key(j, "metadata");
		alert_meta_json(a, j);
	}
	json_obj_end(j);
	if (f) {
		eve_flow_block(j, f, 1);
		eve_app_objects(j, f);
	} else if (a->stored_flow) {
		eve_flow_block(j, a->stored_flow, 1);
	}
	eve_alert_vigil(j, a);
}

int eve_write_alert(struct eve *e, const struct alert *a)
{
	json_reset(&e->j);
	eve_alert_json(&e->j, a);
	json_obj_end(&e->j);     /* vigil */
	json_obj_end(&e->j);
	return eve_emit(e);
}

/* The evidence counters (docs/eve.md), also GET /api/system's "evidence". */
void eve_evidence_stats(struct json *j, const struct vigil_stats *st)
{
	json_obj_begin(j);
	json_ku64(j, "held", st->ev_held);
	json_ku64(j, "pool_used", st->ev_pool_used);
	json_ku64(j, "pool_peak", st->ev_pool_peak);
	json_ku64(j, "pool_limit", st->ev_pool_limit);
	json_ku64(j, "pressure_dropped_packets", st->ev_pressure_pkts);
	json_ku64(j, "pressure_dropped_flows", st->ev_pressure_flows);
	json_ku64(j, "flows", st->ev_flows);
	json_ku64(j, "cap_reached", st->ev_cap_reached);
	json_ku64(j, "packets", st->ev_packets);
	json_ku64(j, "queue_dropped", st->ev_queue_drops);
	json_ku64(j, "write_errors", st->ev_write_errors);
	json_ku64(j, "files", st->ev_files);
	json_ku64(j, "rotated", st->ev_rotated);
	json_ku64(j, "bytes", st->ev_dir_bytes);
	json_obj_end(j);
}

/* Suricata's stats layout for the counters Suricata has; vigil's own
 * (decode errors by reason, flow table peaks, per-engine alerts, the
 * bounded tables' drops, the interfaces) under "vigil" (docs/eve.md). */
int eve_write_stats(struct eve *e, const struct vigil_stats *st, uint64_t ts_us)
{
	struct json *j = &e->j;

	json_reset(j);
	eve_header(j, "stats", ts_us, NULL);
	json_key(j, "stats");
	json_obj_begin(j);
	/* seconds of packet time since the first packet: a replay writes the
	 * same event every run; live, packets arrive from the start */
	json_ku64(j, "uptime", st->first_ts_us && ts_us > st->first_ts_us ?
		  (ts_us - st->first_ts_us) / 1000000 : 0);

	json_key(j, "capture");
	json_obj_begin(j);
	json_ku64(j, "kernel_packets", st->packets);
	json_ku64(j, "kernel_drops", st->kernel_drops);
	json_obj_end(j);

	json_key(j, "decoder");
	json_obj_begin(j);
	json_ku64(j, "pkts", st->packets);
	json_ku64(j, "bytes", st->bytes);
	json_ku64(j, "invalid", st->decode_errors_total);
	json_ku64(j, "ipv4", st->ipv4);
	json_ku64(j, "ipv6", st->ipv6);
	json_ku64(j, "tcp", st->tcp);
	json_ku64(j, "udp", st->udp);
	json_ku64(j, "sctp", st->sctp);
	json_ku64(j, "vlan", st->vlan);
	json_ku64(j, "pppoe", st->pppoe);
	json_ku64(j, "mpls", st->mpls);
	json_obj_end(j);

	json_key(j, "flow");
	json_obj_begin(j);
	json_ku64(j, "total", st->flows);
	json_ku64(j, "active", st->flows - st->flows_ended);
	json_obj_end(j);

	json_key(j, "detect");
	json_obj_begin(j);
	json_ku64(j, "alert", st->alerts);
	json_ku64(j, "alerts_suppressed", st->alerts_suppressed);
	json_obj_end(j);
	json_obj_end(j);

	json_key(j, "vigil");
	json_obj_begin(j);
	json_key(j, "decoder");
	json_obj_begin(j);
	json_ku64(j, "decoded", st->decoded);
	json_ku64(j, "icmp", st->icmp);
	json_ku64(j, "other", st->other_l4);
	json_ku64(j, "tunneled", st->tunneled);
	json_ku64(j, "fragments", st->fragments);
	json_ku64(j, "not_ip", st->not_ip);
	json_key(j, "errors");
	json_obj_begin(j);
	for (int i = 1; i < DECODE_ERR__COUNT; i++)
		if (st->decode_errors[i])
			json_ku64(j, decode_error_name(i), st->decode_errors[i]);
	json_obj_end(j);
	json_ku64(j, "frag_overwritten", st->frag_overwrites);
	json_ku64(j, "frag_orphans", st->frag_orphans);
	json_obj_end(j);

	json_key(j, "flow");
	json_obj_begin(j);
	json_ku64(j, "ended", st->flows_ended);
	json_ku64(j, "evicted", st->flows_evicted);
	json_ku64(j, "interim", st->flows_interim);
	json_ku64(j, "peak", st->flows_peak);
	json_ku64(j, "ndpi_state_peak", st->ndpi_states_peak);
	json_ku64(j, "alloc_failed", st->flow_alloc_failed);
	json_obj_end(j);

	json_key(j, "detect");
	json_obj_begin(j);
	json_ku64(j, "signature", st->alerts_signature);
	json_ku64(j, "ioc", st->alerts_ioc);
	json_ku64(j, "detector", st->alerts_detector);
	json_ku64(j, "threshold_evicted", st->threshold_evicted);
	json_ku64(j, "detector_dropped", st->detector_dropped);
	json_ku64(j, "payload_peak_bytes", st->payload_peak_bytes);
	json_ku64(j, "payload_dropped_bytes", st->payload_dropped_bytes);
	json_obj_end(j);

	/* records the writers lost (vigil's own section) */
	json_key(j, "output");
	json_obj_begin(j);
	json_ku64(j, "db_flows_lost", st->db_flows_lost);
	json_ku64(j, "db_alerts_lost", st->db_alerts_lost);
	json_ku64(j, "db_failures", st->db_failures);
	json_ku64(j, "eve_alerts_lost", st->eve_alerts_lost);
	json_obj_end(j);

	if (st->evidence_on) {
		json_key(j, "evidence");
		eve_evidence_stats(j, st);
	}

	json_key(j, "capture");
	json_obj_begin(j);
	json_ku64(j, "files", st->files);
	if (st->n_ifaces) {
		json_key(j, "interfaces");
		json_arr_begin(j);
		for (int i = 0; i < st->n_ifaces && i < VIGIL_STATS_IFACES; i++) {
			const struct vigil_iface_stats *f = &st->ifaces[i];
			json_obj_begin(j);
			json_kstr(j, "name", f->name);
			json_kstr(j, "state", f->state);
			json_ku64(j, "packets", f->packets);
			json_ku64(j, "kernel_drops", f->drops);
			json_kstr(j, "error", f->error);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_obj_end(j);
	json_obj_end(j);

	json_obj_end(j);
	return eve_emit(e);
}

int eve_close(struct eve *e)
{
	int rc;
	if (!e)
		return 0;
	rc = e->failed ? -1 : 0;
	if (fflush(e->fp) != 0)
		rc = -1;
	if (!e->is_stdout && fclose(e->fp) != 0)
		rc = -1;
	free(e->iobuf);
	json_free(&e->j);
	free(e);
	return rc;
}
