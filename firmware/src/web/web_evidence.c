/*
 * web_evidence.c - the packets behind alerts and flows, as pcap downloads
 * (see web_evidence.h).
 *
 * A flow's evidence is its file in the evidence directory (output/
 * evidence.h names it by flow id); an alert's are the files of the flows
 * the store links it to (alert_flows), merged in packet-time order into
 * one pcap. Files go when the evidence directory is rotated: the answer
 * is then 404 with the reason.
 */
#include "web_evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/evidence.h"

#define PCAP_MIME "application/vnd.tcpdump.pcap"

static const char gone[] =
	"no packets are kept for %s %lld: evidence is written for flows that alerted "
	"and is deleted when the evidence directory is rotated (max_size, max_age in "
	"[evidence] of vigil.conf)";

static int evidence_on(struct web_req *r)
{
	const char *dir = r->env->cfg.evidence_dir;

	if (dir && *dir)
		return 1;
	web_error(r, 404, "packet evidence is not kept ([evidence] enabled = no)");
	return 0;
}

static void flow_path(struct web_req *r, char *buf, size_t len, uint64_t flow_id)
{
	char name[64];

	evidence_file_name(name, sizeof name, flow_id);
	snprintf(buf, len, "%s/%s", r->env->cfg.evidence_dir, name);
}

int web_evidence_kept(struct web_req *r, uint64_t flow_id)
{
	char path[1200];
	struct stat st;

	if (!r->env->cfg.evidence_dir || !*r->env->cfg.evidence_dir)
		return 0;
	flow_path(r, path, sizeof path, flow_id);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 24;
}

static void pcap_headers(struct web_req *r, const char *what, long long id)
{
	char disp[96];

	snprintf(disp, sizeof disp, "attachment; filename=\"vigil-%s-%lld.pcap\"", what, id);
	MHD_add_response_header(r->resp, "Content-Type", PCAP_MIME);
	MHD_add_response_header(r->resp, "Content-Disposition", disp);
	MHD_add_response_header(r->resp, "Cache-Control", "no-store");
	MHD_add_response_header(r->resp, "X-Content-Type-Options", "nosniff");
	r->status = 200;
}

/* ---- GET /api/flows/{id}/pcap ------------------------------------------------------------------ */

void evidence_h_flow(struct web_req *r)
{
	static const char *const none[] = { NULL };
	char path[1200], target[32];
	struct stat st;
	int fd;

	if (web_params_check(r, none) != 0 || !evidence_on(r))
		return;
	if (r->id < 0) {
		web_error(r, 404, gone, "flow", (long long)r->id);
		return;
	}
	flow_path(r, path, sizeof path, (uint64_t)r->id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		web_error(r, 404, gone, "flow", (long long)r->id);
		return;
	}
	r->resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd); /* closes fd */
	if (!r->resp) {
		close(fd);
		web_error(r, 500, "out of memory");
		return;
	}
	pcap_headers(r, "flow", (long long)r->id);
	snprintf(target, sizeof target, "flow %lld", (long long)r->id);
	web_audit(r->db, r->sess.user, "download", target, "pcap");
}

/* ---- GET /api/alerts/{id}/pcap ----------------------------------------------------------------- */

/* One open evidence file of the merge. */
struct src {
	pcap_t *pc;
	struct pcap_pkthdr *h;
	const u_char *d;
	int more;
};

static void src_next(struct src *s)
{
	s->more = pcap_next_ex(s->pc, &s->h, &s->d) == 1;
}

static int earlier(const struct pcap_pkthdr *a, const struct pcap_pkthdr *b)
{
	return a->ts.tv_sec != b->ts.tv_sec ? a->ts.tv_sec < b->ts.tv_sec
					    : a->ts.tv_usec < b->ts.tv_usec;
}

void evidence_h_alert(struct web_req *r)
{
	static const char *const none[] = { NULL };
	struct src srcs[WEB_EVIDENCE_MERGE_FILES];
	int n = 0, exists = 0, linktype = -1;
	sqlite3_stmt *st = NULL;
	char path[1200], err[PCAP_ERRBUF_SIZE], target[32];
	char *buf = NULL;
	size_t len = 0, total = 0;
	FILE *mem = NULL;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;

	if (web_params_check(r, none) != 0 || !evidence_on(r))
		return;
	/* the alert, then its newest flows that still have their file */
	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		web_db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, r->id);
	exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!exists) {
		web_error(r, 404, "no alert %lld", (long long)r->id);
		return;
	}
	if (sqlite3_prepare_v2(r->db, "SELECT flow_id FROM alert_flows WHERE alert_id = ?"
			       " ORDER BY ts_us DESC LIMIT 1000", -1, &st, NULL) != SQLITE_OK) {
		web_db_error(r);
		return;
	}
	sqlite3_bind_int64(st, 1, r->id);
	while (n < WEB_EVIDENCE_MERGE_FILES && sqlite3_step(st) == SQLITE_ROW) {
		struct stat sb;
		flow_path(r, path, sizeof path, (uint64_t)sqlite3_column_int64(st, 0));
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
		    total + (size_t)sb.st_size > WEB_EVIDENCE_MERGE_BYTES)
			continue;
		pcap_t *pc = pcap_open_offline(path, err);
		if (!pc)
			continue;
		if (linktype < 0)
			linktype = pcap_datalink(pc);
		if (pcap_datalink(pc) != linktype) {
			pcap_close(pc);
			continue;
		}
		total += (size_t)sb.st_size;
		srcs[n].pc = pc;
		src_next(&srcs[n]);
		n++;
	}
	sqlite3_finalize(st);
	if (n == 0) {
		web_error(r, 404, gone, "alert", (long long)r->id);
		return;
	}
	/* merged by packet time into one file in memory (bounded above) */
	if (!(mem = open_memstream(&buf, &len)) ||
	    !(dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, PCAP_TSTAMP_PRECISION_MICRO)) ||
	    !(dump = pcap_dump_fopen(dead, mem))) {
		if (mem)
			fclose(mem);
		web_error(r, 500, "out of memory");
		goto out;
	}
	mem = NULL; /* the dumper's now */
	for (;;) {
		int best = -1;
		for (int i = 0; i < n; i++)
			if (srcs[i].more && (best < 0 || earlier(srcs[i].h, srcs[best].h)))
				best = i;
		if (best < 0)
			break;
		pcap_dump((u_char *)dump, srcs[best].h, srcs[best].d);
		src_next(&srcs[best]);
	}
	pcap_dump_close(dump);
	dump = NULL;
	r->resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r->resp) {
		web_error(r, 500, "out of memory");
		goto out;
	}
	buf = NULL;
	pcap_headers(r, "alert", (long long)r->id);
	snprintf(target, sizeof target, "alert %lld", (long long)r->id);
	snprintf(err, sizeof err, "pcap of %d flow(s)", n);
	web_audit(r->db, r->sess.user, "download", target, err);
out:
	for (int i = 0; i < n; i++)
		pcap_close(srcs[i].pc);
	if (dead)
		pcap_close(dead);
	free(buf);
}
