/*
 * daemon.c - `vigil run` (see daemon.h and vigil.conf(5)).
 *
 * Start: config -> capture sources (root) -> drop privileges -> rule sets,
 * pipeline (store, EVE), retention, web -> READY. The main thread is the
 * packet thread: it reads the sources, feeds the pipeline and runs the
 * once-a-second timer. Signal handlers only set flags; the loop acts on
 * them between packets. A rule reload (SIGHUP on the reload thread, or
 * the web after a suppression on a web thread) reads the files and builds
 * the new set off the packet thread, then hands it over; the packet loop
 * swaps it in between two packets, so no flow and no alert is lost and a
 * slow disk never stops the capture. A set with problems is refused and
 * the old one stays.
 */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "drivers/capture/capture.h"
#include "core/clock.h"
#include "config.h"
#include "daemon_board.h"
#include "core/json.h"
#include "core/log.h"
#include "output/pipeline.h"
#include "output/retention.h"
#include "detect/ruleset.h"
#include "sources.h"
#include "output/stats.h"
#include "web/web.h"

#define BURST 256             /* packets from one source before the next */
#define LOOP_GAP_US US_PER_S  /* between two passes of a looping replay */
#define MAX_PROBLEM_LINES 50  /* per rule set directory, for /api/system */

static volatile sig_atomic_t got_hup, got_term;

/* ---- rule sets -------------------------------------------------------------- */

struct rules_build {
	struct ruleset *rs;
	struct ruleset_dir dirs[CONFIG_MAX_RULE_DIRS + 1];
	int n_dirs;
	int problems;
	char first[512];          /* the first problem, for log lines */
};

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Build a rule set from the configured directories and the managed one
 * (<state_dir>/rules, written by the web: suppressions), collecting every
 * problem. Returns b->problems; b->rs is NULL only when out of memory. */
static int rules_build(struct rules_build *b, const struct homenet *home,
		       char dirs[][1024], int n_dirs, const char *state_dir)
{
	const char *all[CONFIG_MAX_RULE_DIRS + 1];
	char managed[1100];
	int n = 0;

	memset(b, 0, sizeof *b);
	for (; n < n_dirs && n < CONFIG_MAX_RULE_DIRS; n++)
		all[n] = dirs[n];
	snprintf(managed, sizeof managed, "%s/rules", state_dir);
	if (is_dir(managed))
		all[n++] = managed;
	b->rs = ruleset_load(home, all, n, NULL, b->dirs);
	if (!b->rs) {
		snprintf(b->first, sizeof b->first, "out of memory");
		b->problems = 1;
		return b->problems;
	}
	b->n_dirs = n;
	b->problems = ruleset_problems(b->rs);
	for (int i = 0; i < n && !b->first[0]; i++)
		if (b->dirs[i].problems && b->dirs[i].problem_text)
			snprintf(b->first, sizeof b->first, "%.*s",
				 (int)strcspn(b->dirs[i].problem_text, "\n"), b->dirs[i].problem_text);
	return b->problems;
}

/* ---- status for the web (GET /api/system) ------------------------------- */

struct cap_status {
	char name[1100];
	const char *method;       /* "afpacket", "pcap", "file" */
	const char *state;        /* capturing, down, missing, error; replaying, done */
	char error[200];          /* why not capturing; "" */
	uint64_t packets, drops;
	double pps, drops_per_s;
};

struct status {
	pthread_mutex_t lock;
	double start_mono;
	struct cap_status cap[CONFIG_MAX_IFACES];
	int n_cap;
	uint64_t decode_errors[DECODE_ERR__COUNT];
	struct vigil_stats st;          /* the pipeline's, for its drop counters */
	struct ruleset_dir dirs[CONFIG_MAX_RULE_DIRS + 1];
	int n_dirs;
	uint64_t reload_ts_us;
	int reload_ok;
	char reload_msg[600];
	/* the writers: failing database writes, records lost */
	int have_db, have_eve;
	struct store_health db;
	uint64_t db_alerts_lost, eve_alerts_lost;
};

/* Replace the rule set part of the status with a build's (takes the
 * problem texts). */
static void status_set_rules(struct status *s, struct rules_build *b)
{
	pthread_mutex_lock(&s->lock);
	ruleset_dirs_free(s->dirs, s->n_dirs);
	memcpy(s->dirs, b->dirs, sizeof s->dirs);
	s->n_dirs = b->n_dirs;
	memset(b->dirs, 0, sizeof b->dirs);
	b->n_dirs = 0;
	pthread_mutex_unlock(&s->lock);
}

static void status_set_reload(struct status *s, int ok, const char *msg)
{
	pthread_mutex_lock(&s->lock);
	s->reload_ts_us = wall_us();
	s->reload_ok = ok;
	snprintf(s->reload_msg, sizeof s->reload_msg, "%s", msg);
	pthread_mutex_unlock(&s->lock);
}

/* What the stages dropped (each of their tables is bounded): the object
 * "drops" of GET /api/system, every member always there. */
static void drops_json(const struct vigil_stats *st, struct json *j)
{
	json_obj_begin(j);
	json_ku64(j, "kernel", st->kernel_drops);
	json_ku64(j, "frag_overwritten", st->frag_overwrites);
	json_ku64(j, "frag_orphans", st->frag_orphans);
	json_ku64(j, "flow_alloc_failed", st->flow_alloc_failed);
	json_ku64(j, "threshold_evicted", st->threshold_evicted);
	json_ku64(j, "detector_dropped", st->detector_dropped);
	json_obj_end(j);
}

/* "writers": is the database written (the last failure, since when), and
 * what the writers lost (lock held). */
static void status_writers_json(const struct status *s, struct json *j)
{
	json_key(j, "writers");
	json_obj_begin(j);
	if (s->have_db) {
		json_key(j, "database");
		json_obj_begin(j);
		json_kbool(j, "ok", !s->db.failing);
		json_key(j, "error");
		if (s->db.failing)
			json_str(j, s->db.error);
		else
			json_null(j);
		json_key(j, "failing_since_us");
		if (s->db.failing)
			json_u64(j, s->db.since_us);
		else
			json_null(j);
		json_ku64(j, "failures", s->db.episodes);
		json_key(j, "last_error");
		if (s->db.error[0])
			json_str(j, s->db.error);
		else
			json_null(j);
		json_ku64(j, "flows_lost", s->db.flows_failed);
		json_ku64(j, "alerts_lost", s->db_alerts_lost);
		json_obj_end(j);
	}
	if (s->have_eve) {
		json_key(j, "eve");
		json_obj_begin(j);
		json_ku64(j, "alerts_lost", s->eve_alerts_lost);
		json_obj_end(j);
	}
	json_obj_end(j);
}

/* The daemon's members of GET /api/system, from the status. */
static void status_json(struct status *s, struct json *j)
{

	pthread_mutex_lock(&s->lock);
	json_kstr(j, "version", VIGIL_VERSION);
	json_ku64(j, "uptime_s", (uint64_t)(mono_s() - s->start_mono));
	json_key(j, "capture");
	json_arr_begin(j);
	for (int i = 0; i < s->n_cap; i++) {
		json_obj_begin(j);
		json_kstr(j, "name", s->cap[i].name);
		json_kstr(j, "method", s->cap[i].method);
		json_kstr(j, "state", s->cap[i].state);
		json_key(j, "error");
		if (s->cap[i].error[0])
			json_str(j, s->cap[i].error);
		else
			json_null(j);
		json_ku64(j, "packets", s->cap[i].packets);
		json_ku64(j, "drops", s->cap[i].drops);
		json_key(j, "pps");
		json_double(j, s->cap[i].pps, 1);
		json_key(j, "drops_per_s");
		json_double(j, s->cap[i].drops_per_s, 1);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "decode_errors");
	json_obj_begin(j);
	for (int i = 1; i < DECODE_ERR__COUNT; i++)
		if (s->decode_errors[i])
			json_ku64(j, decode_error_name(i), s->decode_errors[i]);
	json_obj_end(j);
	json_key(j, "drops");
	drops_json(&s->st, j);
	json_key(j, "rulesets");
	json_arr_begin(j);
	for (int i = 0; i < s->n_dirs; i++) {
		const struct ruleset_dir *rd = &s->dirs[i];
		json_obj_begin(j);
		json_kstr(j, "dir", rd->dir);
		json_ku64(j, "signatures", rd->signatures);
		json_ku64(j, "indicators", rd->indicators);
		json_ku64(j, "detectors", (uint64_t)rd->detectors);
		json_key(j, "problems");
		json_arr_begin(j);
		const char *p = rd->problem_text;
		for (int n = 0; p && *p && n < MAX_PROBLEM_LINES; n++) {
			size_t len = strcspn(p, "\n");
			json_strn(j, p, len);
			p += len + (p[len] == '\n');
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "last_reload");
	if (s->reload_ts_us) {
		json_obj_begin(j);
		json_ku64(j, "ts_us", s->reload_ts_us);
		json_kbool(j, "ok", s->reload_ok);
		json_key(j, "message");
		json_str(j, s->reload_msg);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	status_writers_json(s, j);
	pthread_mutex_unlock(&s->lock);
}

/* ---- capture files: recorded speed, fast, loop ------------------------------ */

/* Replays a list of capture files as one source. At recorded speed or in
 * a loop, each file is shifted in time to start LOOP_GAP_US after the
 * previous one ended (and every pass after the previous pass), so packet
 * time runs forward as on a live link: the flow table, which lives on
 * across files and passes, times flows out, and recorded speed never waits
 * for the days between two captures. Fast and once, packet times stay as
 * recorded: the same flows as `vigil replay` of the same files. */
struct player {
	char (*files)[1024];
	int n, idx;
	int fast, loop;
	struct capture *cap;
	int64_t offset_us;      /* added to the packet times of this file */
	int file_packets;       /* packets read from the open file */
	uint64_t last_us;       /* latest (shifted) time handed out */
	uint64_t pass_packets;
	/* recorded speed: packet time ts0 is due at mono0 */
	int clock_set;
	double mono0;
	uint64_t ts0;
	int held;               /* pkt is read but not due yet */
	struct cap_packet pkt;
	int linktype;
	int done;
	uint32_t files_read;
	uint64_t packets;
};

/* The end of one file: the next, the next pass (loop), or done. */
static void player_next_file(struct player *pl)
{
	capture_close(pl->cap);
	pl->cap = NULL;
	if (++pl->idx < pl->n)
		return;
	pl->idx = 0;
	if (!pl->loop || pl->pass_packets == 0)
		pl->done = 1;
	pl->pass_packets = 0;
}

/* A packet read from the file: shifted, counted. */
static void player_take(struct player *pl)
{
	int64_t ts;

	if (pl->file_packets++ == 0 && (!pl->fast || pl->loop) && pl->last_us)
		pl->offset_us = (int64_t)(pl->last_us + LOOP_GAP_US) - (int64_t)pl->pkt.ts_us;
	ts = (int64_t)pl->pkt.ts_us + pl->offset_us;
	pl->pkt.ts_us = ts > 0 ? (uint64_t)ts : 0;
	if (pl->pkt.ts_us > pl->last_us)
		pl->last_us = pl->pkt.ts_us;
	pl->pass_packets++;
	pl->packets++;
	pl->linktype = capture_linktype(pl->cap);
}

/* Next packet of the replay: CAPTURE_PACKET, CAPTURE_TIMEOUT (a packet is
 * not due yet; slept a little) or CAPTURE_EOF (all done). */
static int player_next(struct player *pl, struct cap_packet *out, int *linktype)
{
	char err[512];

	while (!pl->done) {
		if (pl->held) {
			double due = pl->pkt.ts_us >= pl->ts0 ?
				pl->mono0 + (double)(pl->pkt.ts_us - pl->ts0) / 1e6 : 0;
			double now = mono_s();
			if (due > now) {
				sleep_s(due - now < 0.1 ? due - now : 0.1);
				return CAPTURE_TIMEOUT;
			}
			pl->held = 0;
			*out = pl->pkt;
			*linktype = pl->linktype;
			return CAPTURE_PACKET;
		}
		if (!pl->cap) {
			pl->cap = capture_open_file(pl->files[pl->idx], err, sizeof err);
			if (!pl->cap) {
				log_error("%s", err);
				player_next_file(pl);
				continue;
			}
			pl->files_read++;
			pl->file_packets = 0;
			log_info("%s: replaying (link type %d)", pl->files[pl->idx], capture_linktype(pl->cap));
		}
		int rc = capture_next(pl->cap, &pl->pkt);
		if (rc == CAPTURE_PACKET) {
			player_take(pl);
			if (pl->fast) {
				*out = pl->pkt;
				*linktype = pl->linktype;
				return CAPTURE_PACKET;
			}
			if (!pl->clock_set) {
				pl->clock_set = 1;
				pl->mono0 = mono_s();
				pl->ts0 = pl->pkt.ts_us;
			}
			pl->held = 1;
			continue;
		}
		if (rc == CAPTURE_ERROR)
			log_error("%s", capture_error(pl->cap));
		player_next_file(pl);
	}
	return CAPTURE_EOF;
}

/* Recorded speed: packet time now (the recording's clock running on). */
static uint64_t player_clock(const struct player *pl)
{
	uint64_t now;

	if (pl->fast || !pl->clock_set)
		return pl->last_us;
	now = pl->ts0 + (uint64_t)((mono_s() - pl->mono0) * 1e6);
	if (pl->held && now > pl->pkt.ts_us)
		now = pl->pkt.ts_us;
	return now > pl->last_us ? now : pl->last_us;
}

static void player_close(struct player *pl)
{
	if (pl && pl->cap)
		capture_close(pl->cap);
}

/* ---- the daemon ------------------------------------------------------------ */

struct daemon {
	struct vigil_config cfg;        /* in force; cfg_lock for other threads */
	pthread_mutex_t cfg_lock;
	struct sources *src;            /* live interfaces, or NULL */
	uint64_t prev_packets[CONFIG_MAX_IFACES], prev_drops[CONFIG_MAX_IFACES]; /* for pps */
	struct player player;
	int have_player;
	struct pipeline *pl;
	struct retention *ret;
	struct web *web;
	struct daemon_board *board;     /* status LED, watchdog report */
	char web_home_net[1024];
	struct status status;

	/* reloads: built off the packet thread, one at a time (reload_lock),
	 * by the reload thread (SIGHUP) or a web thread (a suppression); the
	 * builder hands the set (and, for SIGHUP, the settings read with it)
	 * to the packet loop and waits until it is in force */
	pthread_mutex_t reload_lock;
	pthread_mutex_t swap_lock;
	pthread_cond_t swap_cv;
	struct ruleset *swap_rs;        /* waiting for the packet loop */
	struct vigil_config *swap_cfg;  /* settings of a SIGHUP reload, or NULL */
	uint64_t swap_posted, swap_done;
	atomic_int swap_flag;
	int stopping;
	int hup_wanted;                 /* swap_lock: SIGHUP seen, not yet read */
	pthread_t reloader;
	int have_reloader;
	atomic_uint_fast64_t fed;       /* packets fed (a reload's "meanwhile") */

	uint64_t now_us;                /* the daemon's packet time */
	uint64_t tick_packets;          /* packets since the last tick */
	double last_tick, last_stats, last_watchdog;
	uint64_t watchdog_us;           /* 0: no watchdog */
	uint64_t stats_prev_packets;
	struct vigil_stats drops_reported; /* counters at the last drop warning */
};

/* ---- privileges ------------------------------------------------------------- */

/* mkdir -p; chown what we create to the user we will become (uid -1: no). */
static int make_dirs(const char *path, uid_t uid, gid_t gid)
{
	char tmp[1100];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0750) == 0) {
			if (uid != (uid_t)-1 && chown(tmp, uid, gid) != 0)
				log_warn("%s: chown: %s", tmp, strerror(errno));
		} else if (errno != EEXIST) {
			log_error("%s: %s", tmp, strerror(errno));
			return -1;
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

/* The directories the daemon writes in: state_dir (and its managed rules),
 * the database's and EVE's. What is missing is created for the user;
 * state_dir is the daemon's own, so a root-owned one is handed over too. */
static void prepare_dirs(const struct vigil_config *c, const struct passwd *pw)
{
	uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
	gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
	char rules[1100], buf[1024];
	struct stat st;

	make_dirs(c->state_dir, uid, gid);
	if (pw && stat(c->state_dir, &st) == 0 && st.st_uid == 0 &&
	    chown(c->state_dir, uid, gid) != 0)
		log_warn("%s: chown: %s (the daemon must be able to write there as %s)",
			 c->state_dir, strerror(errno), pw->pw_name);
	snprintf(rules, sizeof rules, "%s/rules", c->state_dir);
	make_dirs(rules, uid, gid);
	snprintf(buf, sizeof buf, "%s", c->database);
	make_dirs(dirname(buf), uid, gid);
	if (c->eve[0] && strcmp(c->eve, "-") != 0) {
		snprintf(buf, sizeof buf, "%s", c->eve);
		make_dirs(dirname(buf), uid, gid);
	}
}

/* Become user for good: groups, gid, uid, no way back (no_new_privs), and
 * no capabilities left. Sockets opened before keep working. */
static int drop_privileges(const struct passwd *pw)
{
	cap_t none;

	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		log_error("cannot become user %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("could become root again after dropping privileges");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_error("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	none = cap_init();
	if (!none || cap_set_proc(none) != 0) {
		log_error("cannot clear capabilities: %s", strerror(errno));
		cap_free(none);
		return -1;
	}
	cap_free(none);
	log_info("running as %s (uid %u, gid %u) without capabilities", pw->pw_name,
		 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}

/* ---- reloads --------------------------------------------------------------------- */

/* Settings a SIGHUP changes at once (vigil.conf(5), SIGNALS). Packet
 * thread, under cfg_lock: other threads read them under it. */
static void apply_settings(struct daemon *d, const struct vigil_config *nc)
{
	struct retention_limits lim;

	pthread_mutex_lock(&d->cfg_lock);
	memcpy(d->cfg.home_net, nc->home_net, sizeof nc->home_net);
	d->cfg.home = nc->home;
	memcpy(d->cfg.rule_dirs, nc->rule_dirs, sizeof nc->rule_dirs);
	d->cfg.n_rule_dirs = nc->n_rule_dirs;
	d->cfg.log_level = nc->log_level;
	d->cfg.stats_interval_s = nc->stats_interval_s;
	d->cfg.max_db_bytes = nc->max_db_bytes;
	d->cfg.flow_max_age_s = nc->flow_max_age_s;
	d->cfg.alert_max_age_s = nc->alert_max_age_s;
	d->cfg.retention_interval_s = nc->retention_interval_s;
	pthread_mutex_unlock(&d->cfg_lock);
	log_set_level(nc->log_level);
	lim.max_bytes = nc->max_db_bytes;
	lim.flow_max_age_s = nc->flow_max_age_s;
	lim.alert_max_age_s = nc->alert_max_age_s;
	lim.interval_s = nc->retention_interval_s;
	if (d->ret)
		retention_set_limits(d->ret, &lim);
}

/* Packet loop, between two packets: put a set handed over in force (with
 * its settings), wake the builder. The only blocking here is swap_lock,
 * which no one holds for longer than a few assignments. */
static void apply_swap(struct daemon *d)
{
	if (!atomic_load_explicit(&d->swap_flag, memory_order_acquire))
		return;
	pthread_mutex_lock(&d->swap_lock);
	if (d->swap_rs) {
		pipeline_set_rules(d->pl, d->swap_rs);
		d->swap_rs = NULL;
	}
	if (d->swap_cfg) {
		apply_settings(d, d->swap_cfg);
		d->swap_cfg = NULL;     /* the builder's; it frees it */
	}
	d->swap_done = d->swap_posted;
	atomic_store(&d->swap_flag, 0);
	pthread_cond_broadcast(&d->swap_cv);
	pthread_mutex_unlock(&d->swap_lock);
}

/* Builder (not the packet thread), holding reload_lock: hand rs (and nc,
 * may be NULL) to the packet loop and wait until they are in force.
 * Returns 0, or -1 when the daemon stops first (rs is freed then; nc
 * stays the caller's either way). */
static int post_swap(struct daemon *d, struct ruleset *rs, struct vigil_config *nc)
{
	uint64_t seq;
	int rc = -1;

	pthread_mutex_lock(&d->swap_lock);
	if (!d->stopping) {
		d->swap_rs = rs;
		d->swap_cfg = nc;
		seq = ++d->swap_posted;
		atomic_store_explicit(&d->swap_flag, 1, memory_order_release);
		while (d->swap_done < seq && !d->stopping)
			pthread_cond_wait(&d->swap_cv, &d->swap_lock);
		rc = d->swap_done >= seq ? 0 : -1;
	}
	if (rc < 0) {
		if (d->swap_rs == rs)
			d->swap_rs = NULL;
		if (d->swap_cfg == nc)
			d->swap_cfg = NULL;
		ruleset_free(rs);
	}
	pthread_mutex_unlock(&d->swap_lock);
	return rc;
}

/* Log and record a refused reload. */
static void reload_refused(struct daemon *d, int problems, const char *first,
			   char *msg, size_t msglen)
{
	char m[600];

	snprintf(m, sizeof m, "reload refused: %d problem%s (first: %s)", problems,
		 problems == 1 ? "" : "s", first);
	log_error("%s", m);
	status_set_reload(&d->status, 0, m);
	if (msg)
		snprintf(msg, msglen, "%s", m);
}

/* A summary of what is now loaded, for the log and last_reload. */
static void rules_summary(const struct rules_build *b, char *out, size_t len)
{
	struct ruleset_counts c;
	size_t sigs = 0, inds = 0;

	for (int i = 0; i < b->n_dirs; i++) {
		sigs += b->dirs[i].signatures;
		inds += b->dirs[i].indicators;
	}
	ruleset_get_counts(b->rs, &c);
	snprintf(out, len, "rules reloaded: %zu signatures, %zu indicators, %d detectors, "
		 "%d suppressions from %d director%s", sigs, inds, c.detectors,
		 c.suppressions, b->n_dirs, b->n_dirs == 1 ? "y" : "ies");
}

/* Settings that only a restart changes: warn when a reload asks for them. */
static void warn_restart_needed(const struct vigil_config *a, const struct vigil_config *b)
{
	if (memcmp(a->interfaces, b->interfaces, sizeof a->interfaces) ||
	    a->n_interfaces != b->n_interfaces || strcmp(a->pcap_file, b->pcap_file) ||
	    a->replay_fast != b->replay_fast || a->replay_loop != b->replay_loop ||
	    a->method != b->method || a->snaplen != b->snaplen || a->ring_mb != b->ring_mb ||
	    a->max_flows != b->max_flows || strcmp(a->database, b->database) ||
	    strcmp(a->eve, b->eve) || strcmp(a->listen, b->listen) ||
	    strcmp(a->static_dir, b->static_dir) || a->secure_cookies != b->secure_cookies ||
	    strcmp(a->user, b->user) || strcmp(a->state_dir, b->state_dir))
		log_warn("reload: capture, store, web and daemon settings other than "
			 "log_level and stats_interval take effect at the next restart");
}

/* SIGHUP, on the reload thread: read vigil.conf and the rule sets again
 * while the packet thread goes on, then swap the new set in between two
 * packets. A file that cannot be read (a FIFO, ...) refuses the reload
 * at once; a slow one only delays the swap. */
static void reload_from_signal(struct daemon *d)
{
	struct vigil_config *nc = malloc(sizeof *nc);
	struct rules_build b;
	char *buf = NULL, first[512] = "", summary[600], state_dir[1024];
	size_t len = 0;
	int problems;
	uint64_t fed0 = atomic_load_explicit(&d->fed, memory_order_relaxed);
	double t0 = mono_s();

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	log_info("SIGHUP: reloading %s and the rule sets", d->cfg.path);
	if (!nc) {
		log_error("reload refused: out of memory");
		goto out;
	}
	FILE *report = open_memstream(&buf, &len);
	config_defaults(nc);
	problems = config_load(nc, d->cfg.path, report);
	if (report)
		fclose(report);
	if (problems) {
		snprintf(first, sizeof first, "%.*s", (int)strcspn(buf ? buf : "", "\n"),
			 buf ? buf : "");
		reload_refused(d, problems, first, NULL, 0);
		goto out;
	}
	pthread_mutex_lock(&d->reload_lock);
	pthread_mutex_lock(&d->cfg_lock);
	memcpy(state_dir, d->cfg.state_dir, sizeof state_dir);
	warn_restart_needed(&d->cfg, nc);
	pthread_mutex_unlock(&d->cfg_lock);
	problems = rules_build(&b, &nc->home, nc->rule_dirs, nc->n_rule_dirs, state_dir);
	if (problems) {
		reload_refused(d, problems, b.first, NULL, 0);
		ruleset_free(b.rs);
		ruleset_dirs_free(b.dirs, b.n_dirs);
		pthread_mutex_unlock(&d->reload_lock);
		goto out;
	}
	rules_summary(&b, summary, sizeof summary);
	if (post_swap(d, b.rs, nc) < 0) {
		ruleset_dirs_free(b.dirs, b.n_dirs);
		pthread_mutex_unlock(&d->reload_lock);
		goto out;
	}
	status_set_rules(&d->status, &b);
	status_set_reload(&d->status, 1, summary);
	pthread_mutex_unlock(&d->reload_lock);
	log_info("%s (read in %.1f s while %llu packets went through)", summary,
		 mono_s() - t0,
		 (unsigned long long)(atomic_load_explicit(&d->fed, memory_order_relaxed) - fed0));
out:
	free(buf);
	free(nc);
	sd_notify(0, "READY=1\nSTATUS=running");
}

/* The reload thread: one SIGHUP reload at a time; SIGHUPs that arrive
 * meanwhile are one more reload after it (the files may have changed
 * after they were read). */
static void *reloader_main(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->swap_lock);
	for (;;) {
		while (!d->hup_wanted && !d->stopping)
			pthread_cond_wait(&d->swap_cv, &d->swap_lock);
		if (d->stopping)
			break;
		d->hup_wanted = 0;
		pthread_mutex_unlock(&d->swap_lock);
		reload_from_signal(d);
		pthread_mutex_lock(&d->swap_lock);
	}
	pthread_mutex_unlock(&d->swap_lock);
	return NULL;
}

/* Packet loop, on SIGHUP: wake the reload thread, never wait for it. */
static void request_reload(struct daemon *d)
{
	pthread_mutex_lock(&d->swap_lock);
	d->hup_wanted = 1;
	pthread_cond_broadcast(&d->swap_cv);
	pthread_mutex_unlock(&d->swap_lock);
}

/* web_reload_fn (a web thread): rebuild the rule sets with the settings in
 * force, hand the set to the packet loop, wait until it is in force. */
static int web_reload(void *ctx, char *msg, size_t msglen)
{
	struct daemon *d = ctx;
	struct homenet home;
	char (*dirs)[1024] = malloc(sizeof d->cfg.rule_dirs);
	char state_dir[1024], summary[600];
	struct rules_build b;
	int n, problems, rc = -1;

	if (!dirs) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&d->reload_lock);
	pthread_mutex_lock(&d->cfg_lock);
	home = d->cfg.home;
	n = d->cfg.n_rule_dirs;
	memcpy(dirs, d->cfg.rule_dirs, sizeof d->cfg.rule_dirs);
	memcpy(state_dir, d->cfg.state_dir, sizeof state_dir);
	pthread_mutex_unlock(&d->cfg_lock);

	problems = rules_build(&b, &home, dirs, n, state_dir);
	if (problems) {
		reload_refused(d, problems, b.first, msg, msglen);
		ruleset_free(b.rs);
		ruleset_dirs_free(b.dirs, b.n_dirs);
		goto out;
	}
	rules_summary(&b, summary, sizeof summary);
	rc = post_swap(d, b.rs, NULL);
	if (rc < 0) {
		snprintf(msg, msglen, "vigil is shutting down");
		ruleset_dirs_free(b.dirs, b.n_dirs);
		goto out;
	}
	status_set_rules(&d->status, &b);
	status_set_reload(&d->status, 1, summary);
	log_info("%s (asked by the web)", summary);
	snprintf(msg, msglen, "%s", summary);
out:
	pthread_mutex_unlock(&d->reload_lock);
	free(dirs);
	return rc;
}

/* ---- the loop ------------------------------------------------------------------ */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/* Handlers without SA_RESTART: a signal ends the source's poll at once. */
static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Block (how = SIG_BLOCK) or unblock the signals the loop handles: other
 * threads are started with them blocked, so they reach the main thread. */
static void mask_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(how, &set, NULL);
}

/* One packet into the pipeline, the clock moved along. */
static void feed(struct daemon *d, int linktype, const struct cap_packet *pkt)
{
	apply_swap(d);
	pipeline_packet(d->pl, linktype, pkt);
	if (pkt->ts_us > d->now_us)
		d->now_us = pkt->ts_us;
	d->tick_packets++;
	atomic_store_explicit(&d->fed, atomic_load_explicit(&d->fed, memory_order_relaxed) + 1,
			      memory_order_relaxed); /* only this thread writes it */
}

/* Read up to BURST packets from each source. Returns packets read. */
static int pump(struct daemon *d)
{
	struct cap_packet pkt;
	int got = 0, linktype;

	for (int i = 0; i < sources_count(d->src); i++)
		for (int k = 0; k < BURST && !got_term && !got_hup; k++) {
			if (sources_next(d->src, i, &pkt, &linktype) != CAPTURE_PACKET)
				break;
			feed(d, linktype, &pkt);
			got++;
		}
	if (d->have_player) {
		for (int k = 0; k < BURST && !got_term && !got_hup; k++) {
			if (player_next(&d->player, &pkt, &linktype) != CAPTURE_PACKET)
				break;
			feed(d, linktype, &pkt);
			got++;
		}
	}
	return got;
}

/* The run's counters with the sources' part filled in: kernel drops and
 * each live interface. */
static void collect_stats(struct daemon *d, struct vigil_stats *st)
{
	struct source_status ss[CONFIG_MAX_IFACES];
	int n = sources_status(d->src, ss, CONFIG_MAX_IFACES);

	pipeline_stats(d->pl, st);
	st->kernel_drops = 0;
	st->n_ifaces = 0;
	for (int i = 0; i < n && i < VIGIL_STATS_IFACES; i++) {
		struct vigil_iface_stats *f = &st->ifaces[st->n_ifaces++];
		snprintf(f->name, sizeof f->name, "%.15s", ss[i].name);
		snprintf(f->state, sizeof f->state, "%s", ss[i].state);
		snprintf(f->error, sizeof f->error, "%s", ss[i].error);
		f->packets = ss[i].packets;
		f->drops = ss[i].drops;
		st->kernel_drops += ss[i].drops;
	}
	st->files = d->have_player ? d->player.files_read : 0;
}

/* Capture counters and states into the status (and pps over the last dt
 * seconds). */
static void update_status(struct daemon *d, double dt)
{
	struct vigil_stats st;
	struct status *s = &d->status;
	struct source_status ss[CONFIG_MAX_IFACES];
	int n = sources_status(d->src, ss, CONFIG_MAX_IFACES);

	collect_stats(d, &st);
	pthread_mutex_lock(&s->lock);
	s->n_cap = 0;
	for (int i = 0; i < n; i++) {
		struct cap_status *c = &s->cap[s->n_cap++];
		snprintf(c->name, sizeof c->name, "%.15s", ss[i].name);
		c->method = ss[i].method;
		c->state = ss[i].state;
		snprintf(c->error, sizeof c->error, "%s", ss[i].error);
		c->packets = ss[i].packets;
		c->drops = ss[i].drops;
		c->pps = dt > 0 ? (double)(ss[i].packets - d->prev_packets[i]) / dt : 0;
		c->drops_per_s = dt > 0 ? (double)(ss[i].drops - d->prev_drops[i]) / dt : 0;
		d->prev_packets[i] = ss[i].packets;
		d->prev_drops[i] = ss[i].drops;
	}
	if (d->have_player) {
		struct cap_status *c = &s->cap[s->n_cap++];
		snprintf(c->name, sizeof c->name, "pcap:%s", d->cfg.pcap_file);
		c->method = "file";
		c->state = d->player.done ? "done" : "replaying";
		c->error[0] = '\0';
		c->pps = dt > 0 ? (double)(d->player.packets - c->packets) / dt : 0;
		c->packets = d->player.packets;
		c->drops = 0;
		c->drops_per_s = 0;
	}
	memcpy(s->decode_errors, st.decode_errors, sizeof s->decode_errors);
	pipeline_output_stats(d->pl, &st, &s->db);
	s->have_db = d->cfg.database[0] != '\0';
	s->have_eve = d->cfg.eve[0] != '\0';
	s->db_alerts_lost = st.db_alerts_lost;
	s->eve_alerts_lost = st.eve_alerts_lost;
	s->st = st;
	pthread_mutex_unlock(&s->lock);
}

/* A warning when a bounded table of decode, flow or detect dropped
 * something since the last report: at most one line per stats_interval. */
static void report_drops(struct daemon *d, const struct vigil_stats *st)
{
	const struct vigil_stats *o = &d->drops_reported;

	if (st->frag_overwrites > o->frag_overwrites || st->flow_alloc_failed > o->flow_alloc_failed ||
	    st->threshold_evicted > o->threshold_evicted || st->detector_dropped > o->detector_dropped)
		log_warn("stats: dropped since the last report: %llu fragment entries overwritten, "
			 "%llu packets without a flow (out of memory), %llu threshold and %llu "
			 "detector entries evicted (tables full)",
			 (unsigned long long)(st->frag_overwrites - o->frag_overwrites),
			 (unsigned long long)(st->flow_alloc_failed - o->flow_alloc_failed),
			 (unsigned long long)(st->threshold_evicted - o->threshold_evicted),
			 (unsigned long long)(st->detector_dropped - o->detector_dropped));
	d->drops_reported = *st;
}

/* Every stats_interval: one log line, an EVE stats event, systemd STATUS. */
static void report_stats(struct daemon *d, double dt)
{
	struct vigil_stats st;
	char status[300];

	collect_stats(d, &st);
	double pps = dt > 0 ? (double)(st.packets - d->stats_prev_packets) / dt : 0;
	d->stats_prev_packets = st.packets;
	log_info("stats: %llu packets (%.0f pps), %llu kernel drops, %llu decode errors, "
		 "%llu flows (%llu ended, %llu active), %llu alerts",
		 (unsigned long long)st.packets, pps, (unsigned long long)st.kernel_drops,
		 (unsigned long long)st.decode_errors_total, (unsigned long long)st.flows,
		 (unsigned long long)st.flows_ended,
		 (unsigned long long)(st.flows - st.flows_ended),
		 (unsigned long long)st.alerts);
	if (st.n_ifaces) {
		char line[1200];
		size_t off = 0;
		for (int i = 0; i < st.n_ifaces && off < sizeof line; i++) {
			const struct vigil_iface_stats *f = &st.ifaces[i];
			off += (size_t)snprintf(line + off, sizeof line - off, "%s%s %s (%llu packets, "
						"%llu drops%s%s)", i ? ", " : "", f->name, f->state,
						(unsigned long long)f->packets,
						(unsigned long long)f->drops, f->error[0] ? "; " : "",
						f->error);
		}
		log_info("stats: interfaces: %s", line);
	}
	report_drops(d, &st);
	pipeline_stats_event(d->pl, &st, d->now_us);
	snprintf(status, sizeof status, "STATUS=%llu packets, %.0f pps, %llu drops, %llu flows, "
		 "%llu alerts%s", (unsigned long long)st.packets, pps,
		 (unsigned long long)st.kernel_drops, (unsigned long long)st.flows,
		 (unsigned long long)st.alerts,
		 sources_count(d->src) > sources_active(d->src) ? "; not every interface captures" : "");
	sd_notify(0, status);
}

/* Once a second: move time on, flush the sinks, status, stats, watchdog. */
static void tick(struct daemon *d, double now)
{
	double dt = now - d->last_tick;

	if (d->have_player) {
		uint64_t t = player_clock(&d->player);
		if (t > d->now_us)
			d->now_us = t;
	} else if (d->tick_packets == 0) {
		/* live and idle: the clock runs on so idle flows still end */
		d->now_us += (uint64_t)(dt * 1e6);
	}
	d->tick_packets = 0;
	d->last_tick = now;
	if (d->now_us)
		pipeline_expire(d->pl, d->now_us);
	pipeline_flush_sinks(d->pl);
	sources_tick(d->src, now);
	update_status(d, dt);
	if (d->ret && d->now_us)
		retention_set_now(d->ret, d->now_us);
	if (now - d->last_stats >= d->cfg.stats_interval_s) {
		report_stats(d, now - d->last_stats);
		d->last_stats = now;
	}
	daemon_board_update(d->board, now,
			    sources_capturing(d->src) > 0 || (d->have_player && !d->player.done),
			    d->cfg.database);
	if (d->watchdog_us && (now - d->last_watchdog) * 1e6 >= d->watchdog_us / 2) {
		sd_notify(0, "WATCHDOG=1");
		d->last_watchdog = now;
	}
}

/* At SIGTERM: what the kernel already holds for us is read before the
 * sources close (a partly filled ring block is handed over within the
 * poll timeout), for at most two seconds. */
static void drain_live(struct daemon *d)
{
	double until = mono_s() + 2.0;
	struct cap_packet pkt;

	int linktype;

	for (int i = 0; i < sources_count(d->src); i++)
		while (mono_s() < until &&
		       sources_next(d->src, i, &pkt, &linktype) == CAPTURE_PACKET)
			feed(d, linktype, &pkt);
}

/* The packet loop: until SIGTERM/SIGINT, or the end of the files with
 * exit_when_done. An interface that fails is retried (sources.h); the
 * others go on. */
static void run_loop(struct daemon *d)
{
	d->last_tick = d->last_stats = d->last_watchdog = mono_s();
	sources_tick(d->src, d->last_tick);
	if (sources_count(d->src))
		d->now_us = wall_us();
	update_status(d, 0);      /* the web shows the interfaces from the start */
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			request_reload(d);
		}
		apply_swap(d);
		int got = pump(d);
		double now = mono_s();
		if (now - d->last_tick >= 1.0)
			tick(d, now);
		if (d->have_player && d->player.done && !got) {
			if (d->cfg.exit_when_done) {
				log_info("replay done: stopping (exit_when_done)");
				break;
			}
			if (!sources_count(d->src))
				sleep_s(0.1);
		}
		/* no interface to wait on (all missing): wait here instead */
		if (sources_count(d->src) && !sources_active(d->src) && !got)
			sleep_s(0.1);
	}
	if (got_term)
		drain_live(d);
}

/* ---- start and stop -------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out, "usage: vigil run [-n] [-c FILE]\n"
		"  -c FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
		"  -n       check the configuration and the rule sets, then exit\n"
		"See vigil.conf(5).\n");
}

/* vigil run -n: every problem of the file and of the rule sets. */
static int check_only(struct vigil_config *c, int problems)
{
	struct rules_build b;
	int rp = rules_build(&b, &c->home, c->rule_dirs, c->n_rule_dirs, c->state_dir);

	for (int i = 0; i < b.n_dirs; i++)
		if (b.dirs[i].problem_text)
			fputs(b.dirs[i].problem_text, stderr);
	if (rp && b.n_dirs == 0)
		fprintf(stderr, "%s\n", b.first);
	ruleset_free(b.rs);
	ruleset_dirs_free(b.dirs, b.n_dirs);
	problems += rp;
	if (problems) {
		fprintf(stderr, "vigil run: %d problem(s) in %s or its rule sets\n", problems, c->path);
		return 1;
	}
	printf("configuration OK\n");
	return 0;
}

/* web_status_fn (a web thread). */
static void web_status(void *ctx, struct json *j)
{
	struct daemon *d = ctx;
	status_json(&d->status, j);
}

/* Retention pauses the database writer around its deletes. */
static int gate_pause(void *ctx, int timeout_ms)
{
	return pipeline_db_pause(ctx, timeout_ms);
}

static void gate_resume(void *ctx)
{
	pipeline_db_resume(ctx);
}

/* Open what the daemon needs after the privilege drop: rules, pipeline
 * (store, EVE), retention, web. Returns 0 or -1 (logged). */
static int start_stages(struct daemon *d)
{
	struct vigil_config *c = &d->cfg;
	struct pipeline_config pc;
	struct rules_build b;
	char err[512], summary[600];

	if (rules_build(&b, &c->home, c->rule_dirs, c->n_rule_dirs, c->state_dir)) {
		log_error("%d problem(s) in the rule sets (first: %s); see vigil run -n",
			  b.problems, b.first);
		ruleset_free(b.rs);
		ruleset_dirs_free(b.dirs, b.n_dirs);
		return -1;
	}
	rules_summary(&b, summary, sizeof summary);
	log_info("%s", summary + strlen("rules reloaded: "));
	status_set_rules(&d->status, &b);

	memset(&pc, 0, sizeof pc);
	flow_config_defaults(&pc.flow);
	pc.flow.max_flows = c->max_flows;
	pc.eve_path = c->eve[0] ? c->eve : NULL;
	pc.eve_append = 1;
	pc.db_path = c->database;
	d->pl = pipeline_new(&pc, b.rs, err, sizeof err);
	if (!d->pl) {
		log_error("%s", err);
		return -1;
	}
	struct retention_gate gate = { .pause = gate_pause, .resume = gate_resume, .ctx = d->pl };
	struct retention_limits lim = {
		.max_bytes = c->max_db_bytes, .flow_max_age_s = c->flow_max_age_s,
		.alert_max_age_s = c->alert_max_age_s, .interval_s = c->retention_interval_s,
	};
	d->ret = retention_start(c->database, &lim, &gate, err, sizeof err);
	if (!d->ret) {
		log_error("retention: %s", err);
		return -1;
	}
	if (c->listen[0]) {
		/* the web keeps this pointer; a reload must not change it under it */
		snprintf(d->web_home_net, sizeof d->web_home_net, "%s", c->home_net);
		struct web_config wc = {
			.listen = c->listen, .static_dir = c->static_dir, .db_path = c->database,
			.state_dir = c->state_dir, .secure_cookies = c->secure_cookies,
			.max_db_bytes = c->max_db_bytes, .flow_max_age_s = c->flow_max_age_s,
			.alert_max_age_s = c->alert_max_age_s, .home_net = d->web_home_net,
		};
		d->web = web_start(&wc, web_status, web_reload, d, err, sizeof err);
		if (!d->web) {
			log_error("web: %s", err);
			return -1;
		}
	}
	return 0;
}

/* SIGTERM: stop reading, end every flow, drain the writers, record the
 * run, last retention pass, stop the web. Returns the exit status. */
static int shutdown_daemon(struct daemon *d)
{
	struct vigil_stats st;
	char sources[1200];
	int rc = 0;

	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	daemon_board_close(d->board);   /* capture is going down: LED off */
	d->board = NULL;
	pthread_mutex_lock(&d->swap_lock);
	d->stopping = 1;
	pthread_cond_broadcast(&d->swap_cv);
	pthread_mutex_unlock(&d->swap_lock);
	/* retention pauses the writer that closes now: commit the writer's
	 * batch (so a pass does not wait for it), end the pass and the thread */
	if (d->pl)
		pipeline_flush_sinks(d->pl);
	retention_halt(d->ret);
	if (d->pl) {
		apply_swap(d);
		pipeline_drain(d->pl);
		collect_stats(d, &st);
		if (d->have_player)
			snprintf(sources, sizeof sources, "pcap:%s", d->cfg.pcap_file);
		else {
			size_t off = 0;
			sources[0] = '\0';
			for (int i = 0; i < d->cfg.n_interfaces && off < sizeof sources; i++)
				off += (size_t)snprintf(sources + off, sizeof sources - off, "%s%s",
							i ? " " : "", d->cfg.interfaces[i]);
		}
		log_info("stopped: %llu packets, %llu kernel drops, %llu decode errors, "
			 "%llu flows (%llu ended), %llu alerts", (unsigned long long)st.packets,
			 (unsigned long long)st.kernel_drops,
			 (unsigned long long)st.decode_errors_total, (unsigned long long)st.flows,
			 (unsigned long long)st.flows_ended, (unsigned long long)st.alerts);
		if (pipeline_close_sinks(d->pl, &st, sources, d->cfg.home_net) != 0)
			rc = 1;
	}
	sources_close(d->src);
	d->src = NULL;
	player_close(&d->player);
	if (d->ret) {
		if (d->now_us)
			retention_set_now(d->ret, d->now_us);
		retention_run_now(d->ret, NULL);
		retention_stop(d->ret);
	}
	web_stop(d->web);
	if (d->have_reloader) {
		/* a reload being read ends first (its files are bounded) and
		 * finds the daemon stopping */
		pthread_join(d->reloader, NULL);
		d->have_reloader = 0;
	}
	pipeline_free(d->pl);
	pthread_mutex_lock(&d->status.lock);
	ruleset_dirs_free(d->status.dirs, d->status.n_dirs);
	pthread_mutex_unlock(&d->status.lock);
	log_info("vigil stopped");
	return rc;
}

static struct daemon *daemon_new(void)
{
	struct daemon *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	pthread_mutex_init(&d->cfg_lock, NULL);
	pthread_mutex_init(&d->reload_lock, NULL);
	pthread_mutex_init(&d->swap_lock, NULL);
	pthread_cond_init(&d->swap_cv, NULL);
	pthread_mutex_init(&d->status.lock, NULL);
	d->status.start_mono = mono_s();
	return d;
}

static void daemon_free(struct daemon *d)
{
	pthread_mutex_destroy(&d->cfg_lock);
	pthread_mutex_destroy(&d->reload_lock);
	pthread_mutex_destroy(&d->swap_lock);
	pthread_cond_destroy(&d->swap_cv);
	pthread_mutex_destroy(&d->status.lock);
	free(d);
}

int cmd_run(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	int c, check = 0, problems, rc;
	struct daemon *d;
	struct passwd *pw = NULL;

	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			if (optopt == 'c')
				fprintf(stderr, "vigil run: missing file after -c (see --help)\n");
			else
				fprintf(stderr, "vigil run: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!(d = daemon_new()))
		fatal(1, "out of memory");
	config_defaults(&d->cfg);
	problems = config_load(&d->cfg, path, stderr);
	if (check) {
		rc = check_only(&d->cfg, problems);
		daemon_free(d);
		return rc;
	}
	if (problems) {
		fprintf(stderr, "vigil run: %d problem(s) in %s (see vigil run -n)\n", problems, path);
		daemon_free(d);
		return 1;
	}
	log_daemon_mode();
	log_set_level(d->cfg.log_level);
	log_info("vigil %s (%s) starting with %s", VIGIL_VERSION, VIGIL_GITREV, path);
	mask_signals(SIG_BLOCK);
	setup_signals();

	/* 1. capture sources, while privileged */
	if (d->cfg.n_interfaces) {
		char err[600];
		int drop = d->cfg.user[0] && geteuid() == 0;
		if (!(d->src = sources_open(&d->cfg, drop, mono_s(), err, sizeof err))) {
			log_error("capture: %s", err);
			goto fail;
		}
	}
	d->board = daemon_board_open(d->cfg.board_led);
	if (d->cfg.n_pcap_files) {
		d->have_player = 1;
		d->player.files = d->cfg.pcap_files;
		d->player.n = d->cfg.n_pcap_files;
		d->player.fast = d->cfg.replay_fast;
		d->player.loop = d->cfg.replay_loop;
	}
	/* 2. privileges */
	if (d->cfg.user[0] && geteuid() == 0) {
		if (!(pw = getpwnam(d->cfg.user))) {
			log_error("no such user '%s'", d->cfg.user);
			goto fail;
		}
	} else if (d->cfg.user[0]) {
		log_info("not started as root: staying uid %u (user = %s is for root starts)",
			 (unsigned)geteuid(), d->cfg.user);
	}
	prepare_dirs(&d->cfg, pw);
	if (pw && drop_privileges(pw) < 0)
		goto fail;
	/* 3. everything else, unprivileged */
	if (start_stages(d) < 0)
		goto fail;
	if (pthread_create(&d->reloader, NULL, reloader_main, d) != 0) {
		log_error("cannot start the reload thread");
		goto fail;
	}
	d->have_reloader = 1;
	uint64_t wd = 0;
	if (sd_watchdog_enabled(0, &wd) > 0)
		d->watchdog_us = wd;
	mask_signals(SIG_UNBLOCK);
	sd_notify(0, "READY=1\nSTATUS=running");
	log_info("vigil running");
	run_loop(d);
	rc = shutdown_daemon(d);
	daemon_free(d);
	return rc;
fail:
	sd_notifyf(0, "STATUS=failed to start\nERRNO=%d", errno ? errno : 1);
	shutdown_daemon(d);
	daemon_free(d);
	return 1;
}
