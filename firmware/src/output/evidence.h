/*
 * evidence.h - the evidence store: pcap files of the flows that alerted.
 *
 * Owns: the evidence directory and its files (one pcap file per alerting
 * flow, EVIDENCE_NAME_FMT, written with libpcap's pcap_dump in the
 * capture's link type), the writer thread that writes them, the bounded
 * queue from the packet thread to it (packets that do not fit are dropped
 * and counted: the packet thread never waits for the disk), and rotation:
 * the directory is kept below max_bytes and max_age (oldest files first;
 * ages in packet time like the database's, run on by the wall clock
 * while no packets come so an idle sensor's files still age; a closed
 * file's modification time being its flow's last packet), and it never takes the last
 * EVIDENCE_RESERVE of its file system, which the database keeps: evidence
 * goes before alerts.
 *
 * Why one file per flow, not per alert: a flow that raises several alerts
 * is written once, its following packets go to one place, and a
 * detector's alert about several flows names several files (which the
 * web's download merges by time). The file name is the flow id, so the
 * database's alert-to-flow links find an alert's files.
 */
#ifndef VIGIL_EVIDENCE_H
#define VIGIL_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow_evidence.h"

/* A flow's file in the evidence directory. */
#define EVIDENCE_NAME_FMT "flow-%llu.pcap"
/* Bytes of evidence the writer may have queued (beyond: dropped). */
#define EVIDENCE_QUEUE_BYTES (8u * 1024 * 1024)
/* Free space the evidence leaves on its file system: 64 MiB, or 5% of a
 * smaller one. */
#define EVIDENCE_RESERVE (64ULL * 1024 * 1024)

struct evidence_config {
	int enabled;                /* [evidence] enabled = yes */
	char dir[1024];             /* dir = (evidence/ beside the database) */
	uint64_t max_bytes;         /* max_size = 1G */
	int max_bytes_auto;         /* max_size not set: at most a quarter of
	                               the directory's file system */
	uint32_t max_age_s;         /* max_age = 30d */
	struct evid_config hold;    /* per_flow_cap, pool_size, hold_packets, hold_bytes */
};

void evidence_config_defaults(struct evidence_config *c);

struct evidence_counters {
	uint64_t packets;           /* written */
	uint64_t files;             /* created */
	uint64_t queue_drops;       /* packets dropped: the writer's queue was full */
	uint64_t write_errors;      /* packets that could not be written */
	uint64_t rotated;           /* files deleted for age, size or disk space */
	uint64_t dir_bytes;         /* bytes in the directory's evidence files */
	uint64_t queue_peak;        /* most bytes queued at once */
};

struct evidence;

/* Create dir (0750) if needed; 0 if it is a directory we may write, else
 * -1 with the reason in err. */
int evidence_dir_prepare(const char *dir, char *err, size_t errlen);

/* Create dir if needed, take stock of it, start the writer thread. */
struct evidence *evidence_open(const struct evidence_config *c, char *err, size_t errlen);

/* Packet thread: queue k for writing (takes it over; never waits). An
 * evid_out_fn for flow_evidence.h. */
void evidence_push(void *ctx, struct evid_pkt *k);

/* About once a second, with the latest packet time: files are flushed and
 * the directory rotated when due. */
void evidence_tick(struct evidence *e, uint64_t now_us);

void evidence_get_counters(struct evidence *e, struct evidence_counters *c);

/* Write what is queued, close every file, stop the thread, free; the
 * final counters into c when it is not NULL. */
void evidence_close(struct evidence *e, struct evidence_counters *c);

/* The file name of a flow's evidence (EVIDENCE_NAME_FMT) into buf. */
void evidence_file_name(char *buf, size_t len, uint64_t flow_id);

/* Delete evidence files of dir, oldest first, until at most max_bytes
 * remain and none is older than max_age_s before now_us (0: no age
 * limit), nor the file system short of its reserve. Names in keep (n
 * flow ids) are files still being written, never deleted. Returns the
 * bytes left; *deleted counts the files removed. */
uint64_t evidence_rotate(const char *dir, uint64_t max_bytes, uint32_t max_age_s,
			 uint64_t now_us, const uint64_t *keep, int n, uint64_t *deleted);

#endif
