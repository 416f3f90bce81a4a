/*
 * evidence.c - the evidence writer and its directory (see evidence.h).
 *
 * The packet thread appends to a list under a mutex and returns; the
 * writer thread takes the whole list at once and writes it. Files of
 * flows still recording stay open (at most OPEN_MAX; the least recently
 * used is closed and later reopened for appending).
 */
#include "evidence.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define OPEN_MAX 32
#define SNAPLEN 262144
/* Seconds (wall) between rotation passes when nothing forces one. */
#define ROTATE_EVERY_S 60.0

struct ofile {
	uint64_t flow_id;
	pcap_t *dead;
	pcap_dumper_t *d;
	int linktype;
	uint64_t last_ts_us;
	uint64_t used;               /* LRU clock */
};

struct evidence {
	struct evidence_config cfg;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* shared under mu */
	struct evid_pkt *qhead, *qtail;
	uint64_t qbytes;
	int stop, tick;
	uint64_t tick_now_us;
	struct evidence_counters c;  /* queue_drops here; the rest copied in */

	/* the writer thread's own */
	struct ofile open[OPEN_MAX];
	int nopen;
	uint64_t clock;
	uint64_t now_us;             /* latest packet time seen */
	double now_mono;             /* when now_us last moved on (mono_s) */
	uint64_t dir_bytes;
	uint64_t files, packets, write_errors, rotated;
	double rotated_at;
	int short_of_space;          /* the file system is short of its reserve */
};

void evidence_config_defaults(struct evidence_config *c)
{
	memset(c, 0, sizeof *c);
	c->enabled = 1;
	snprintf(c->dir, sizeof c->dir, "/var/lib/vigil/evidence");
	c->max_bytes = 1024ULL * 1024 * 1024;
	c->max_bytes_auto = 1;
	c->max_age_s = 30 * 86400;
	evid_config_defaults(&c->hold);
}

void evidence_file_name(char *buf, size_t len, uint64_t flow_id)
{
	snprintf(buf, len, EVIDENCE_NAME_FMT, (unsigned long long)flow_id);
}

static void file_path(const struct evidence *e, char *buf, size_t len, uint64_t flow_id)
{
	char name[64];

	evidence_file_name(name, sizeof name, flow_id);
	snprintf(buf, len, "%s/%s", e->cfg.dir, name);
}

/* Close a file; its modification time becomes its last packet's time,
 * which is what age rotation reads. */
static void file_close(struct evidence *e, int i)
{
	struct ofile *o = &e->open[i];
	char path[1200];

	if (pcap_dump_flush(o->d) < 0)
		e->write_errors++;
	pcap_dump_close(o->d);
	pcap_close(o->dead);
	file_path(e, path, sizeof path, o->flow_id);
	struct timespec t[2] = {
		{ .tv_sec = (time_t)(o->last_ts_us / US_PER_S),
		  .tv_nsec = (long)(o->last_ts_us % US_PER_S) * 1000 },
	};
	t[1] = t[0];
	utimensat(AT_FDCWD, path, t, 0);
	e->open[i] = e->open[--e->nopen];
}

/* The open file of k's flow; opened (created 0640, or appended to) when
 * it is not. NULL if it cannot be. */
static struct ofile *file_for(struct evidence *e, const struct evid_pkt *k)
{
	char path[1200];
	struct ofile *o;
	int i, lru = 0;

	for (i = 0; i < e->nopen; i++) {
		if (e->open[i].flow_id == k->flow_id) {
			o = &e->open[i];
			o->used = ++e->clock;
			return o->linktype == k->linktype ? o : NULL;
		}
	}
	if (e->nopen == OPEN_MAX) {
		for (i = 1; i < e->nopen; i++)
			if (e->open[i].used < e->open[lru].used)
				lru = i;
		file_close(e, lru);
	}
	file_path(e, path, sizeof path, k->flow_id);
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(k->linktype, SNAPLEN,
							    PCAP_TSTAMP_PRECISION_MICRO);
	if (!dead)
		return NULL;
	pcap_dumper_t *d = NULL;
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > 0) {
		d = pcap_dump_open_append(dead, path);
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (!f && fd >= 0)
			close(fd);
		if (f && !(d = pcap_dump_fopen(dead, f)))
			fclose(f);
		if (d) {
			e->files++;
			e->dir_bytes += 24; /* the file header */
		}
	}
	if (!d) {
		pcap_close(dead);
		return NULL;
	}
	o = &e->open[e->nopen++];
	o->flow_id = k->flow_id;
	o->dead = dead;
	o->d = d;
	o->linktype = k->linktype;
	o->last_ts_us = k->ts_us;
	o->used = ++e->clock;
	return o;
}

static void write_one(struct evidence *e, const struct evid_pkt *k)
{
	struct ofile *o;
	struct pcap_pkthdr h;

	if (k->kind == EVID_END) {
		for (int i = 0; i < e->nopen; i++)
			if (e->open[i].flow_id == k->flow_id) {
				file_close(e, i);
				break;
			}
		return;
	}
	if (k->ts_us > e->now_us) {
		e->now_us = k->ts_us;
		e->now_mono = mono_s();
	}
	if (e->short_of_space || !(o = file_for(e, k))) {
		e->write_errors++;
		return;
	}
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(k->ts_us / US_PER_S);
	h.ts.tv_usec = (suseconds_t)(k->ts_us % US_PER_S);
	h.caplen = k->caplen;
	h.len = k->wirelen;
	pcap_dump((u_char *)o->d, &h, k->data);
	if (k->ts_us > o->last_ts_us)
		o->last_ts_us = k->ts_us;
	e->packets++;
	e->dir_bytes += 16 + k->caplen;
}

struct entry {
	char name[48];
	uint64_t size;
	int64_t mtime_us;
};

static int by_mtime(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return (x->mtime_us > y->mtime_us) - (x->mtime_us < y->mtime_us);
}

/* Bytes the file system of dir lacks to keep its reserve (0: none). */
static uint64_t reserve_short(const char *dir)
{
	struct statvfs v;
	uint64_t size, avail, reserve;

	if (statvfs(dir, &v) < 0)
		return 0;
	size = (uint64_t)v.f_blocks * v.f_frsize;
	avail = (uint64_t)v.f_bavail * v.f_frsize;
	reserve = size / 20 < EVIDENCE_RESERVE ? size / 20 : EVIDENCE_RESERVE;
	return avail < reserve ? reserve - avail : 0;
}

uint64_t evidence_rotate(const char *dir, uint64_t max_bytes, uint32_t max_age_s,
			 uint64_t now_us, const uint64_t *keep, int n, uint64_t *deleted)
{
	DIR *dh = opendir(dir);
	struct entry *v = NULL;
	size_t nv = 0, cap = 0;
	uint64_t total = 0, target, shortby;
	struct dirent *de;

	*deleted = 0;
	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		unsigned long long id;
		char tail[8];
		struct stat st;
		int kept = 0;

		if (sscanf(de->d_name, "flow-%llu.pcap%7s", &id, tail) != 1 ||
		    fstatat(dirfd(dh), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		char want[48];
		evidence_file_name(want, sizeof want, id);
		if (strcmp(want, de->d_name) != 0)
			continue;
		total += (uint64_t)st.st_size;
		for (int i = 0; i < n; i++)
			kept |= keep[i] == id;
		if (kept)
			continue;
		if (nv == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct entry *nvp = realloc(v, nc * sizeof *v);
			if (!nvp)
				break;
			v = nvp;
			cap = nc;
		}
		evidence_file_name(v[nv].name, sizeof v[nv].name, id); /* == d_name */
		v[nv].size = (uint64_t)st.st_size;
		v[nv].mtime_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
		nv++;
	}
	if (nv)
		qsort(v, nv, sizeof *v, by_mtime);
	/* a pass that deletes for size aims at 31/32 of the limit */
	target = max_bytes && total > max_bytes ? max_bytes - max_bytes / 32 : max_bytes;
	shortby = reserve_short(dir);
	for (size_t i = 0; i < nv; i++) {
		int old = max_age_s && now_us > (uint64_t)max_age_s * US_PER_S &&
			  v[i].mtime_us < (int64_t)(now_us - (uint64_t)max_age_s * US_PER_S);
		if (!old && !(max_bytes && total > target) && !shortby)
			continue;
		if (unlinkat(dirfd(dh), v[i].name, 0) < 0)
			continue;
		total -= v[i].size;
		shortby = shortby > v[i].size ? shortby - v[i].size : 0;
		(*deleted)++;
	}
	closedir(dh);
	free(v);
	return total;
}

/* The time ages are measured at: the latest packet time, run on by the
 * time since it last moved (like the daemon's clock: an idle sensor's
 * files still grow old); 0 before the first packet or tick. */
static uint64_t age_now(const struct evidence *e)
{
	double idle = mono_s() - e->now_mono;

	if (!e->now_us)
		return 0;
	return e->now_us + (idle > 0 ? (uint64_t)(idle * 1e6) : 0);
}

static void rotate(struct evidence *e)
{
	uint64_t keep[OPEN_MAX], deleted;

	for (int i = 0; i < e->nopen; i++)
		keep[i] = e->open[i].flow_id;
	e->dir_bytes = evidence_rotate(e->cfg.dir, e->cfg.max_bytes, e->cfg.max_age_s,
				       age_now(e), keep, e->nopen, &deleted);
	e->rotated += deleted;
	e->rotated_at = mono_s();
	int was = e->short_of_space;
	e->short_of_space = reserve_short(e->cfg.dir) > 0;
	if (e->short_of_space && !was)
		log_error("evidence: the file system of %s is short of free space; no evidence "
			  "is written until there is room again", e->cfg.dir);
	else if (was && !e->short_of_space)
		log_info("evidence: free space again in %s; writing evidence", e->cfg.dir);
}

/* Seconds between rotation passes: ROTATE_EVERY_S, or the age limit when
 * that is shorter. */
static double rotate_every(const struct evidence *e)
{
	uint32_t age = e->cfg.max_age_s;

	return age && age < ROTATE_EVERY_S ? (double)age : ROTATE_EVERY_S;
}

static void *writer(void *arg)
{
	struct evidence *e = arg;

	for (;;) {
		struct evid_pkt *k, *n;
		int tick, stop;

		pthread_mutex_lock(&e->mu);
		while (!e->qhead && !e->stop && !e->tick)
			pthread_cond_wait(&e->cv, &e->mu);
		k = e->qhead;
		e->qhead = e->qtail = NULL;
		e->qbytes = 0;
		tick = e->tick;
		e->tick = 0;
		if (e->tick_now_us > e->now_us) {
			e->now_us = e->tick_now_us;
			e->now_mono = mono_s();
		}
		stop = e->stop;
		pthread_mutex_unlock(&e->mu);

		for (; k; k = n) {
			n = k->next;
			write_one(e, k);
			free(k);
		}
		if (tick || stop) {
			for (int i = 0; i < e->nopen; i++)
				if (pcap_dump_flush(e->open[i].d) < 0)
					e->write_errors++;
		}
		if ((e->cfg.max_bytes && e->dir_bytes > e->cfg.max_bytes) || stop ||
		    ((tick) && (e->short_of_space || mono_s() - e->rotated_at >= rotate_every(e) ||
				reserve_short(e->cfg.dir))))
			rotate(e);
		pthread_mutex_lock(&e->mu);
		e->c.packets = e->packets;
		e->c.files = e->files;
		e->c.write_errors = e->write_errors;
		e->c.rotated = e->rotated;
		e->c.dir_bytes = e->dir_bytes;
		/* only a turn that began with stop set has done the final
		 * rotation: a stop set during this turn (after a tick, say) gets
		 * its own turn */
		stop = stop && !e->qhead;
		pthread_mutex_unlock(&e->mu);
		if (stop)
			break;
	}
	while (e->nopen)
		file_close(e, e->nopen - 1);
	return NULL;
}

int evidence_dir_prepare(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

struct evidence *evidence_open(const struct evidence_config *c, char *err, size_t errlen)
{
	struct evidence *e = calloc(1, sizeof *e);
	uint64_t deleted;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *c;
	if (evidence_dir_prepare(c->dir, err, errlen) < 0) {
		free(e);
		return NULL;
	}
	if (c->max_bytes_auto) {
		struct statvfs v;
		if (statvfs(c->dir, &v) == 0) {
			uint64_t quarter = (uint64_t)v.f_blocks * v.f_frsize / 4;
			if (quarter && quarter < e->cfg.max_bytes)
				e->cfg.max_bytes = quarter;
		}
	}
	/* take stock: sizes only, ages wait for packet time */
	e->dir_bytes = evidence_rotate(c->dir, e->cfg.max_bytes, 0, 0, NULL, 0, &deleted);
	e->rotated = deleted;
	e->rotated_at = mono_s();
	e->short_of_space = reserve_short(c->dir) > 0;
	e->c.dir_bytes = e->dir_bytes;
	e->c.rotated = e->rotated;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	if (pthread_create(&e->thread, NULL, writer, e) != 0) {
		snprintf(err, errlen, "cannot start the evidence writer thread");
		pthread_mutex_destroy(&e->mu);
		pthread_cond_destroy(&e->cv);
		free(e);
		return NULL;
	}
	e->started = 1;
	return e;
}

void evidence_push(void *ctx, struct evid_pkt *k)
{
	struct evidence *e = ctx;
	uint64_t cost = sizeof *k + k->caplen;
	int wake;

	k->next = NULL;
	pthread_mutex_lock(&e->mu);
	/* an end marker always goes in: it closes a file */
	if (k->kind != EVID_END && e->qbytes + cost > EVIDENCE_QUEUE_BYTES) {
		e->c.queue_drops++;
		pthread_mutex_unlock(&e->mu);
		free(k);
		return;
	}
	wake = !e->qhead;
	if (e->qtail) e->qtail->next = k; else e->qhead = k;
	e->qtail = k;
	e->qbytes += cost;
	if (e->qbytes > e->c.queue_peak)
		e->c.queue_peak = e->qbytes;
	pthread_mutex_unlock(&e->mu);
	if (wake)
		pthread_cond_signal(&e->cv);
}

void evidence_tick(struct evidence *e, uint64_t now_us)
{
	pthread_mutex_lock(&e->mu);
	e->tick = 1;
	if (now_us > e->tick_now_us)
		e->tick_now_us = now_us;
	pthread_mutex_unlock(&e->mu);
	pthread_cond_signal(&e->cv);
}

void evidence_get_counters(struct evidence *e, struct evidence_counters *c)
{
	pthread_mutex_lock(&e->mu);
	*c = e->c;
	pthread_mutex_unlock(&e->mu);
}

void evidence_close(struct evidence *e, struct evidence_counters *c)
{
	if (!e)
		return;
	if (e->started) {
		pthread_mutex_lock(&e->mu);
		e->stop = 1;
		pthread_mutex_unlock(&e->mu);
		pthread_cond_signal(&e->cv);
		pthread_join(e->thread, NULL);
	}
	if (c)
		*c = e->c;
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}
