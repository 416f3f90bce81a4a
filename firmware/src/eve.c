/*
 * eve.c - EVE JSON lines (see eve.h).
 *
 * Suricata's field names wherever Suricata has the field, so jq recipes,
 * Filebeat's Suricata module and SIEM parsers read vigil's events as they
 * read Suricata's. nDPI's own view goes under "ndpi".
 */
#include "eve.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct eve;
static struct eve *eve_open_mode(const char *path, int append, char *err, size_t errlen);

struct eve {
	FILE *fp;
	int is_stdout;
	int failed;
	struct json j;
};

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
	/* Large buffer: one write(2) per ~256 KiB of events, not per line. */
	setvbuf(e->fp, NULL, _IOFBF, 256 * 1024);
	json_init(&e->j);
	return e;
}

/* Suricata's names for IP protocols. */
static const char *proto_name(uint8_t p, char buf[8])
{
	switch (p) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	case IPPROTO_SCTP: return "SCTP";
	case IPPROTO_GRE: return "GRE";
	case IPPROTO_ESP: return "ESP";
	default:
		snprintf(buf, 8, "%u", p);
		return buf;
	}
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

/* Start an event: timestamp, flow_id, event_type and the 5-tuple. */
static void eve_header(struct json *j, const char *type, uint64_t ts_us,
		       const struct flow_record *r)
{
	char ts[JSON_TS_LEN], pb[8];

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
	json_kstr(j, "src_ip", r->src_ip);
	if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP || r->proto == IPPROTO_SCTP)
		json_ku64(j, "src_port", r->src_port);
	json_kstr(j, "dest_ip", r->dest_ip);
	if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP || r->proto == IPPROTO_SCTP)
		json_ku64(j, "dest_port", r->dest_port);
	json_kstr(j, "proto", proto_name(r->proto, pb));
}

/* Suricata writes DNS types by name. */
static const char *dns_type_name(uint16_t t, char buf[8])
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 10: return "NULL";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 255: return "ANY";
	default:
		snprintf(buf, 8, "%u", t);
		return buf;
	}
}

int eve_write_flow(struct eve *e, const struct flow_record *r)
{
	struct json *j = &e->j;
	char ts[JSON_TS_LEN], tb[8];

	json_reset(j);
	eve_header(j, "flow", r->end_us, r);
	json_kstr(j, "app_proto", r->app_proto ? r->app_proto : "unknown");

	json_key(j, "flow");
	json_obj_begin(j);
	json_ku64(j, "pkts_toserver", r->pkts_toserver);
	json_ku64(j, "pkts_toclient", r->pkts_toclient);
	json_ku64(j, "bytes_toserver", r->bytes_toserver);
	json_ku64(j, "bytes_toclient", r->bytes_toclient);
	json_format_ts(ts, r->start_us);
	json_kstr(j, "start", ts);
	json_format_ts(ts, r->end_us);
	json_kstr(j, "end", ts);
	json_ku64(j, "age", (r->end_us - r->start_us) / 1000000);
	json_kstr(j, "state", r->state);
	json_kstr(j, "reason", r->reason);
	json_kbool(j, "alerted", r->alerted);
	if (r->interim)
		json_kbool(j, "interim", 1);
	json_obj_end(j);

	json_key(j, "ndpi");
	json_obj_begin(j);
	json_kstr(j, "protocol", r->ndpi_protocol ? r->ndpi_protocol : "Unknown");
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

	if (r->tls_sni || r->ja3 || r->ja3s || r->tls_cert_sha1) {
		json_key(j, "tls");
		json_obj_begin(j);
		json_kstr(j, "sni", r->tls_sni);
		if (r->tls_cert_sha1 && strlen(r->tls_cert_sha1) == 40) {
			/* Suricata's form: colon-separated pairs */
			char fp[60];
			for (int i = 0; i < 20; i++) {
				fp[3 * i] = r->tls_cert_sha1[2 * i];
				fp[3 * i + 1] = r->tls_cert_sha1[2 * i + 1];
				fp[3 * i + 2] = i < 19 ? ':' : '\0';
			}
			json_kstr(j, "fingerprint", fp);
		}
		if (r->ja3) {
			json_key(j, "ja3");
			json_obj_begin(j);
			json_kstr(j, "hash", r->ja3);
			json_obj_end(j);
		}
		if (r->ja3s) {
			json_key(j, "ja3s");
			json_obj_begin(j);
			json_kstr(j, "hash", r->ja3s);
			json_obj_end(j);
		}
		json_obj_end(j);
	}
	if (r->dns_rrname) {
		json_key(j, "dns");
		json_obj_begin(j);
		json_kstr(j, "rrname", r->dns_rrname);
		if (r->dns_qtype)
			json_kstr(j, "rrtype", dns_type_name(r->dns_qtype, tb));
		json_obj_end(j);
	}
	if (r->http_host || r->http_user_agent) {
		json_key(j, "http");
		json_obj_begin(j);
		json_kstr(j, "hostname", r->http_host);
		json_kstr(j, "http_user_agent", r->http_user_agent);
		json_obj_end(j);
	}
	json_obj_end(j);
	return eve_emit(e);
}

/* Suricata's alert event, plus alert.engine, alert.detector and
 * alert.ioc{kind, indicator, list, description} for vigil's engines. */
int eve_write_alert(struct eve *e, const struct alert *a)
{
	static const char *engines[] = { "signature", "ioc", "detector" };
	struct json *j = &e->j;
	char ts[JSON_TS_LEN], pb[8];

	json_reset(j);
	json_format_ts(ts, a->ts_us);
	json_obj_begin(j);
	json_kstr(j, "timestamp", ts);
	if (a->n_flow_ids > 0)
		json_ku64(j, "flow_id", a->flow_ids[a->n_flow_ids - 1]);
	json_kstr(j, "event_type", "alert");
	json_kstr(j, "src_ip", a->src_ip);
	if (a->has_ports)
		json_ku64(j, "src_port", a->src_port);
	json_kstr(j, "dest_ip", a->dest_ip);
	if (a->has_ports)
		json_ku64(j, "dest_port", a->dest_port);
	if (a->proto)
		json_kstr(j, "proto", proto_name(a->proto, pb));
	json_kstr(j, "app_proto", a->app_proto);

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
	json_kstr(j, "engine", engines[a->engine >= 0 && a->engine < 3 ? a->engine : 0]);
	json_kstr(j, "detector", a->detector);
	if (a->ioc_kind) {
		json_key(j, "ioc");
		json_obj_begin(j);
		json_kstr(j, "kind", a->ioc_kind);
		json_kstr(j, "indicator", a->ioc_indicator);
		json_kstr(j, "list", a->ioc_list);
		json_kstr(j, "description", a->ioc_description);
		json_obj_end(j);
	}
	if (a->n_meta > 0) {
		json_key(j, "metadata");
		alert_meta_json(a, j);
	}
	if (a->n_flow_ids > 1) {
		json_key(j, "flow_ids");
		json_arr_begin(j);
		for (int i = 0; i < a->n_flow_ids; i++)
			json_u64(j, a->flow_ids[i]);
		json_arr_end(j);
	}
	json_obj_end(j);
	json_obj_end(j);
	return eve_emit(e);
}

int eve_write_stats(struct eve *e, const struct vigil_stats *st, uint64_t ts_us)
{
	struct json *j = &e->j;

	json_reset(j);
	eve_header(j, "stats", ts_us, NULL);
	json_key(j, "stats");
	json_obj_begin(j);

	json_key(j, "decoder");
	json_obj_begin(j);
	json_ku64(j, "pkts", st->packets);
	json_ku64(j, "bytes", st->bytes);
	json_ku64(j, "decoded", st->decoded);
	json_ku64(j, "ipv4", st->ipv4);
	json_ku64(j, "ipv6", st->ipv6);
	json_ku64(j, "tcp", st->tcp);
	json_ku64(j, "udp", st->udp);
	json_ku64(j, "icmp", st->icmp);
	json_ku64(j, "sctp", st->sctp);
	json_ku64(j, "other", st->other_l4);
	json_ku64(j, "vlan", st->vlan);
	json_ku64(j, "pppoe", st->pppoe);
	json_ku64(j, "mpls", st->mpls);
	json_ku64(j, "tunneled", st->tunneled);
	json_ku64(j, "fragments", st->fragments);
	json_ku64(j, "not_ip", st->not_ip);
	json_key(j, "errors");
	json_obj_begin(j);
	for (int i = 1; i < DECODE_ERR__COUNT; i++)
		if (st->decode_errors[i])
			json_ku64(j, decode_error_name(i), st->decode_errors[i]);
	json_obj_end(j);
	json_ku64(j, "errors_total", st->decode_errors_total);
	json_ku64(j, "frag_overwritten", st->frag_overwrites);
	json_ku64(j, "frag_orphans", st->frag_orphans);
	json_obj_end(j);

	json_key(j, "flow");
	json_obj_begin(j);
	json_ku64(j, "total", st->flows);
	json_ku64(j, "ended", st->flows_ended);
	json_ku64(j, "evicted", st->flows_evicted);
	json_ku64(j, "interim", st->flows_interim);
	json_ku64(j, "peak", st->flows_peak);
	json_ku64(j, "ndpi_state_peak", st->ndpi_states_peak);
	json_ku64(j, "alloc_failed", st->flow_alloc_failed);
	json_obj_end(j);

	json_key(j, "detect");
	json_obj_begin(j);
	json_ku64(j, "alerts", st->alerts);
	json_ku64(j, "signature", st->alerts_signature);
	json_ku64(j, "ioc", st->alerts_ioc);
	json_ku64(j, "detector", st->alerts_detector);
	json_ku64(j, "suppressed", st->alerts_suppressed);
	json_ku64(j, "threshold_evicted", st->threshold_evicted);
	json_ku64(j, "detector_dropped", st->detector_dropped);
	json_obj_end(j);

	/* records the writers lost (vigil's own section) */
	json_key(j, "output");
	json_obj_begin(j);
	json_ku64(j, "db_flows_lost", st->db_flows_lost);
	json_ku64(j, "db_alerts_lost", st->db_alerts_lost);
	json_ku64(j, "db_failures", st->db_failures);
	json_ku64(j, "eve_alerts_lost", st->eve_alerts_lost);
	json_obj_end(j);

	json_key(j, "capture");
	json_obj_begin(j);
	json_ku64(j, "files", st->files);
	json_ku64(j, "kernel_drops", st->kernel_drops);
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
	json_free(&e->j);
	free(e);
	return rc;
}
