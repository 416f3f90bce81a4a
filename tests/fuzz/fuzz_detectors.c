/*
 * fuzz_detectors.c - detectors.conf (detect_behav.h) and the detectors
 * it configures, fed with traffic that trips each of them.
 *
 * Input: the text of a detectors.conf. Lines "#@field value" (comments
 * to the reader) describe one more flow record, fed after the others.
 *
 * Checked beyond "no crash": every problem names the file and a line
 * that exists; the result is -1 exactly when a problem was reported;
 * the detectors then see a portscan, a host sweep, DNS tunnelling, a
 * beacon, a large upload and a brute force, and every alert is well
 * formed, of the detector engine, and written as valid EVE JSON.
 */
#include "fuzz.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/alert.h"
#include "detect/detect_behav.h"
#include "core/homenet.h"
#include "core/log.h"

#define T0 1700000000000000ULL
#define S 1000000ULL

static struct homenet home;
static char path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[200];

	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	if (homenet_parse(&home, HOMENET_DEFAULT, err, sizeof err) != 0)
		fuzz_fail("home net: %s", err);
	fuzz_path(path, sizeof path, "detectors.conf");
	return 0;
}

static void on_alert(void *ctx, const struct alert *a)
{
	if (a->engine != ALERT_DETECTOR || a->gid != GID_DETECTOR || !a->detector ||
	    !behav_detector_name((int)a->sid) || strcmp(a->detector, behav_detector_name((int)a->sid)))
		fuzz_fail("detector alert %u:%u names detector %s", a->gid, a->sid,
			  a->detector ? a->detector : "(none)");
	fuzz_alert_cb(ctx, a);
}

static void rec_init(struct flow_record *r, uint64_t id, uint64_t t, const char *src, const char *dst,
		     uint8_t proto, uint16_t sport, uint16_t dport, const char *app)
{
	memset(r, 0, sizeof *r);
	r->flow_id = id;
	r->start_us = t;
	r->end_us = t + 200000;
	r->proto = proto;
	snprintf(r->src_ip, sizeof r->src_ip, "%s", src);
	snprintf(r->dest_ip, sizeof r->dest_ip, "%s", dst);
	ip_parse16(src, r->src_addr);
	ip_parse16(dst, r->dest_addr);
	r->ipver = strchr(src, ':') ? 6 : 4;
	r->src_port = sport;
	r->dest_port = dport;
	r->pkts_toserver = 3;
	r->pkts_toclient = 2;
	r->bytes_toserver = 300;
	r->bytes_toclient = 200;
	r->state = "established";
	r->reason = "timeout";
	r->app_proto = app;
	r->ndpi_protocol = app;
}

/* A little of every behaviour the detectors look for. */
static void feed(struct behav *b, struct fuzz_alerts *fa, const struct flow_record *extra)
{
	struct flow_record r;
	char name[128], host[48];
	uint64_t id = 1;

	for (int i = 0; i < 40; i++) {     /* portscan */
		rec_init(&r, id++, T0 + i * 100000ULL, "10.0.0.66", "10.0.0.1", IPPROTO_TCP, 40000,
			 (uint16_t)(20 + i), "unknown");
		r.state = "new";
		r.tcp_flags_ts = 0x02;
		r.tcp_flags_tc = 0x14;
		behav_flow(b, &r, on_alert, fa);
	}
	for (int i = 0; i < 60; i++) {     /* host sweep */
		snprintf(host, sizeof host, "192.168.7.%d", i + 1);
		rec_init(&r, id++, T0 + i * 50000ULL, "192.168.7.200", host, IPPROTO_ICMP, 0, 0, "icmp");
		behav_flow(b, &r, on_alert, fa);
	}
	for (int i = 0; i < 50; i++) {     /* DNS tunnelling */
		snprintf(name, sizeof name, "q%02dx7f3a9c2b4d8e1f6a0b5c.t.tunnel.example", i);
		rec_init(&r, id++, T0 + i * 1000000ULL, "10.1.1.9", "10.1.1.1", IPPROTO_UDP, 53000,
			 53, "dns");
		r.dns_rrname = name;
		r.dns_qtype = 16;
		behav_flow(b, &r, on_alert, fa);
	}
	for (int i = 0; i < 12; i++) {     /* beacon, every 60 s */
		rec_init(&r, id++, T0 + i * 60 * S, "10.2.2.2", "203.0.113.80", IPPROTO_TCP, 50000,
			 443, "tls");
		behav_flow(b, &r, on_alert, fa);
	}
	for (int i = 0; i < 3; i++) {      /* exfil: interim records of a large upload */
		rec_init(&r, 9000, T0 + i * 30 * S, "fd00::10", "2001:db8::99", IPPROTO_TCP, 51000,
			 443, "tls");
		r.interim = i < 2;
		r.bytes_toserver = 400000000ULL;
		behav_flow(b, &r, on_alert, fa);
	}
	for (int i = 0; i < 40; i++) {     /* brute force on ssh */
		rec_init(&r, id++, T0 + i * 2 * S, "198.51.100.9", "10.3.3.3", IPPROTO_TCP,
			 (uint16_t)(30000 + i), 22, "ssh");
		behav_flow(b, &r, on_alert, fa);
	}
	behav_flow(b, extra, on_alert, fa);
	behav_expire(b, T0 + 7200 * S);
	behav_flow(b, extra, on_alert, fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_problem_ctx pc = { path, 0, 0 };
	struct fuzz_alerts fa;
	struct flow_record extra;
	struct behav *b;
	char *buf;
	int rc;

	fuzz_write_file(path, data, size);
	pc.max_line = fuzz_count_lines(data, size);
	b = behav_new(&home);
	if (!b)
		return 0;
	rc = behav_load_config(b, path, fuzz_problem_check, &pc);
	if ((rc < 0) != (pc.count > 0) || (rc != 0 && rc != -1))
		fuzz_fail("behav_load_config returned %d after %d problem(s)", rc, pc.count);
	if (behav_enabled(b) < 0 || behav_enabled(b) > BEHAV__COUNT - 1)
		fuzz_fail("%d detectors enabled", behav_enabled(b));

	buf = malloc(size + 1);
	if (!buf)
		fuzz_fail("out of memory");
	fuzz_record_from_text(data, size, buf, &extra);
	fuzz_alerts_open(&fa);
	feed(b, &fa, &extra);
	fuzz_alerts_close(&fa);
	free(buf);
	behav_free(b);
	return 0;
}
