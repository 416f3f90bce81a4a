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
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "daemon_board.h"
#include "daemon_player.h"
#include "daemon_privs.h"
#include "daemon_rules.h"
#include "daemon_status.h"
#include "rules_sync.h"
#include "detect/ruleset.h"
#include "drivers/capture/capture.h"
#include "output/pipeline.h"
#include "output/retention.h"
#include "output/stats.h"
#include "output/uplink.h"
#include "output/workers.h"
#include "sources.h"
#include "web/web.h"

#define BURST 256             /* packets from one source before the next */

static volatile sig_atomic_t got_hup, got_term;

/* ---- the daemon ------------------------------------------------------------ */

struct daemon {
	struct vigil_config cfg;        /* in force; cfg_lock for other threads */
	pthread_mutex_t cfg_lock;
	struct sources *src;            /* live interfaces, or NULL */
	uint64_t prev_packets[CONFIG_MAX_IFACES], prev_drops[CONFIG_MAX_IFACES]; /* for pps */
	uint64_t prev_player_packets;
	struct player *player;          /* capture files, or NULL */
	struct pipeline *pl;
	struct workers *ws;             /* the workers' threads when more than one */
	struct uplink_set *uplink;      /* reports to the centre, or NULL */
	struct rules_sync *sync;        /* rule bundles from the centre, or NULL */
	struct homenet uplink_home;     /* the summaries' home_net (reloads keep it) */
	int evidence_on;                /* [evidence] in force (its directory usable) */
	struct retention *ret;
	struct web *web;
	struct daemon_board *board;     /* status LED, watchdog report */
	char web_home_net[1024];
	struct daemon_status *status;

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
		/* the workers' threads stop (their rings drained) while the
		 * sets change hands, and start again */
		char err[256];
		workers_stop(d->ws);
		d->ws = NULL;
		pipeline_set_rules(d->pl, d->swap_rs);
		d->swap_rs = NULL;
		if (pipeline_workers(d->pl) > 1 && !(d->ws = workers_start(d->pl, err, sizeof err)))
			fatal(1, "workers: %s", err);
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

/* The synced set to build with: rules_sync's directory in force when
 * [rules_sync] is configured ("" otherwise). */
static void synced_dir(const struct vigil_config *c, char *out, size_t len)
{
	out[0] = '\0';
	if (c->rules_sync.enabled && rules_sync_current_dir(c->state_dir, out, len) < 0)
		out[0] = '\0';
}

/* Log and record a refused reload. */
static void reload_refused(struct daemon *d, int problems, const char *first,
			   char *msg, size_t msglen)
{
	char m[600];

	snprintf(m, sizeof m, "reload refused: %d problem%s (first: %s)", problems,
		 problems == 1 ? "" : "s", first);
	log_error("%s", m);
	status_set_reload(d->status, 0, m);
	if (msg)
		snprintf(msg, msglen, "%s", m);
}

/* [capture] workers: auto is the online cores less one (the writers'),
 * at least 1. */
static int daemon_workers(const struct vigil_config *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) - 1;

	if (c->workers > 0)
		return c->workers;
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Settings that only a restart changes: warn when a reload asks for them. */
static void warn_restart_needed(const struct vigil_config *a, const struct vigil_config *b)
{
	if (memcmp(a->interfaces, b->interfaces, sizeof a->interfaces) ||
	    a->n_interfaces != b->n_interfaces || strcmp(a->pcap_file, b->pcap_file) ||
	    a->replay_fast != b->replay_fast || a->replay_loop != b->replay_loop ||
	    a->method != b->method || a->snaplen != b->snaplen || a->ring_mb != b->ring_mb ||
	    a->max_flows != b->max_flows || a->workers != b->workers ||
	    strcmp(a->database, b->database) ||
	    strcmp(a->eve, b->eve) || strcmp(a->listen, b->listen) ||
	    strcmp(a->static_dir, b->static_dir) || a->secure_cookies != b->secure_cookies ||
	    strcmp(a->user, b->user) || strcmp(a->state_dir, b->state_dir) ||
	    a->store_recur != b->store_recur)
		log_warn("reload: capture, store, web and daemon settings other than "
			 "log_level and stats_interval take effect at the next restart");
	/* the uplinks' settings (cur is the reader's position, not a setting) */
	struct uplinks_conf ua = a->uplinks, ub = b->uplinks;
	ua.cur = ub.cur = -1;
	if (memcmp(&ua, &ub, sizeof ua))
		log_warn("reload: [uplink] settings take effect at the next restart");
	if (memcmp(&a->rules_sync, &b->rules_sync, sizeof a->rules_sync))
		log_warn("reload: [rules_sync] settings take effect at the next restart");
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
	char synced[1200];
	synced_dir(&d->cfg, synced, sizeof synced);  /* the thread of this run's [rules_sync] */
	problems = rules_build(&b, &nc->home, nc->rule_dirs, nc->n_rule_dirs, synced, state_dir);
	if (problems) {
		rules_log_problems(&b, "reload: ", 50);
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
	status_set_rules(d->status, &b);
	status_set_reload(d->status, 1, summary);
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
	char synced[1200];
	synced_dir(&d->cfg, synced, sizeof synced);
	pthread_mutex_unlock(&d->cfg_lock);

	problems = rules_build(&b, &home, dirs, n, synced, state_dir);
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
	status_set_rules(d->status, &b);
	status_set_reload(d->status, 1, summary);
	log_info("%s (asked by the web)", summary);
	snprintf(msg, msglen, "%s", summary);
out:
	pthread_mutex_unlock(&d->reload_lock);
	free(dirs);
	return rc;
}

/* The rule-set version the summaries report: the synced bundle's, or
 * "local" when the sets are only the configured directories. */
static void tell_rules_version(struct daemon *d)
{
	char v[80] = "";

	if (d->sync)
		rules_sync_version(d->sync, v, sizeof v);
	uplink_set_rules_version(d->uplink, v[0] ? v : "local");
}

/* rules_sync_apply_fn (the rules_sync thread): build the sets with dir as
 * the synced set and the settings in force; refuse them (every problem
 * logged) or put them in force and commit, under the reload lock. */
static int sync_apply(void *ctx, const char *dir, void (*commit)(void *), void *commit_ctx,
		      char *msg, size_t msglen)
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

	problems = rules_build(&b, &home, dirs, n, dir, state_dir);
	if (problems) {
		rules_log_problems(&b, "rules_sync: ", 50);
		snprintf(msg, msglen, "%d problem%s in its rules (first: %s)", problems,
			 problems == 1 ? "" : "s", b.first);
		ruleset_free(b.rs);
		ruleset_dirs_free(b.dirs, b.n_dirs);
		goto out;
	}
	rules_summary(&b, summary, sizeof summary);
	if (post_swap(d, b.rs, NULL) < 0) {
		snprintf(msg, msglen, "vigil is shutting down");
		ruleset_dirs_free(b.dirs, b.n_dirs);
		goto out;
	}
	commit(commit_ctx);
	status_set_rules(d->status, &b);
	status_set_reload(d->status, 1, summary);
	tell_rules_version(d);
	log_info("%s (a bundle from [rules_sync])", summary);
	rc = 0;
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
	if (d->ws)
		workers_packet(d->ws, linktype, pkt);
	else
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
	if (d->player) {
		for (int k = 0; k < BURST && !got_term && !got_hup; k++) {
			if (player_next(d->player, &pkt, &linktype) != CAPTURE_PACKET)
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
	st->files = d->player ? player_files_read(d->player) : 0;
}

/* Capture counters and states into the status (and pps over the last dt
 * seconds). */
static void update_status(struct daemon *d, double dt)
{
	struct vigil_stats st;
	struct status_capture cap[CONFIG_MAX_IFACES + 1];
	struct status_writers w;
	struct source_status ss[CONFIG_MAX_IFACES];
	int n = sources_status(d->src, ss, CONFIG_MAX_IFACES), n_cap = 0;

	collect_stats(d, &st);
	for (int i = 0; i < n; i++) {
		struct status_capture *c = &cap[n_cap++];
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
	if (d->player) {
		struct status_capture *c = &cap[n_cap++];
		uint64_t packets = player_packets(d->player);
		snprintf(c->name, sizeof c->name, "pcap:%s", d->cfg.pcap_file);
		c->method = "file";
		c->state = player_done(d->player) ? "done" : "replaying";
		c->error[0] = '\0';
		c->pps = dt > 0 ? (double)(packets - d->prev_player_packets) / dt : 0;
		c->packets = packets;
		c->drops = 0;
		c->drops_per_s = 0;
		d->prev_player_packets = packets;
	}
	memset(&w, 0, sizeof w);
	pipeline_output_stats(d->pl, &st, &w.db);
	w.have_db = d->cfg.database[0] != '\0';
	w.have_eve = d->cfg.eve[0] != '\0';
	status_update(d->status, cap, n_cap, &st, &w);
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
	if (st->ev_pressure_flows > o->ev_pressure_flows || st->ev_queue_drops > o->ev_queue_drops)
		log_warn("evidence: since the last report %llu flows lost their held packets (pool "
			 "full: pool_size in [evidence]) and %llu packets were dropped on the way to "
			 "the disk (writer's queue full)",
			 (unsigned long long)(st->ev_pressure_flows - o->ev_pressure_flows),
			 (unsigned long long)(st->ev_queue_drops - o->ev_queue_drops));
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
	uplink_tick(d->uplink, d->now_us, &st);
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

	if (d->player) {
		uint64_t t = player_clock(d->player);
		if (t > d->now_us)
			d->now_us = t;
	} else if (d->tick_packets == 0) {
		/* live and idle: the clock runs on so idle flows still end */
		d->now_us += (uint64_t)(dt * 1e6);
	}
	d->tick_packets = 0;
	d->last_tick = now;
	if (d->now_us && d->ws)
		workers_expire(d->ws, d->now_us);
	else if (d->now_us)
		pipeline_expire(d->pl, d->now_us);
	pipeline_flush_sinks(d->pl);
	uplink_tick(d->uplink, d->now_us, NULL);
	sources_tick(d->src, now);
	update_status(d, dt);
	if (d->ret && d->now_us)
		retention_set_now(d->ret, d->now_us);
	if (now - d->last_stats >= d->cfg.stats_interval_s) {
		report_stats(d, now - d->last_stats);
		d->last_stats = now;
	}
	daemon_board_update(d->board, now,
			    sources_capturing(d->src) > 0 || (d->player && !player_done(d->player)),
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
		if (d->player && player_done(d->player) && !got) {
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

/* web_status_fn (a web thread). */
static void web_status(void *ctx, struct json *j)
{
	struct daemon *d = ctx;
	status_json(d->status, j);
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

	char synced[1200];
	synced_dir(c, synced, sizeof synced);
	if (rules_build(&b, &c->home, c->rule_dirs, c->n_rule_dirs, synced, c->state_dir) &&
	    synced[0]) {
		/* the synced set was checked when it came; a new vigil may read
		 * it otherwise: run without it rather than not at all */
		rules_log_problems(&b, "", 50);
		log_error("[rules_sync]: the set in force (%s) has problems now; starting "
			  "without it until the next bundle", synced);
		ruleset_free(b.rs);
		ruleset_dirs_free(b.dirs, b.n_dirs);
		synced[0] = '\0';
		rules_build(&b, &c->home, c->rule_dirs, c->n_rule_dirs, NULL, c->state_dir);
	}
	if (b.problems) {
		log_error("%d problem(s) in the rule sets (first: %s); see vigil run -n",
			  b.problems, b.first);
		ruleset_free(b.rs);
		ruleset_dirs_free(b.dirs, b.n_dirs);
		return -1;
	}
	rules_summary(&b, summary, sizeof summary);
	log_info("%s", summary + strlen("rules reloaded: "));
	status_set_rules(d->status, &b);

	memset(&pc, 0, sizeof pc);
	flow_config_defaults(&pc.flow);
	pc.flow.max_flows = c->max_flows;
	pc.flow.payload_window = c->payload_window;
	pc.eve_path = c->eve[0] ? c->eve : NULL;
	pc.eve_append = 1;
	pc.db_path = c->database;
	pc.evidence = c->evidence.enabled ? &c->evidence : NULL;
	/* the box keeps working without evidence rather than not at all */
	if (pc.evidence && evidence_dir_prepare(c->evidence.dir, err, sizeof err) < 0) {
		log_error("evidence: %s; running without packet evidence", err);
		pc.evidence = NULL;
	}
	d->evidence_on = pc.evidence != NULL;
	pc.db_recur = c->store_recur;
	pc.workers = daemon_workers(c);
	d->pl = pipeline_new(&pc, b.rs, err, sizeof err);
	if (!d->pl) {
		log_error("%s", err);
		return -1;
	}
	if (c->uplinks.n) {
		char outbox[1100], dir[1024];
		snprintf(dir, sizeof dir, "%s", c->database);
		snprintf(outbox, sizeof outbox, "%s/outbox.sqlite", dirname(dir));
		d->uplink_home = c->home;
		if (!(d->uplink = uplink_start(&c->uplinks, outbox, &d->uplink_home, err,
					       sizeof err))) {
			log_error("%s", err);
			return -1;
		}
		status_set_uplink(d->status, d->uplink);
		pipeline_set_uplink(d->pl, d->uplink);
	}
	if (c->rules_sync.enabled) {
		if (!(d->sync = rules_sync_start(&c->rules_sync, c->state_dir, sync_apply, d, err,
						 sizeof err))) {
			log_error("%s", err);
			return -1;
		}
		status_set_rules_sync(d->status, d->sync);
	}
	tell_rules_version(d);
	/* after the uplink is set: the threads read it */
	if (pc.workers > 1 && !(d->ws = workers_start(d->pl, err, sizeof err))) {
		log_error("workers: %s", err);
		return -1;
	}
	log_info("%d packet worker(s)", pc.workers);
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
			.evidence_dir = d->evidence_on ? c->evidence.dir : "",
			.live = c->n_interfaces > 0,
		};
		d->web = web_start(&wc, web_status, web_reload, d, err, sizeof err);
		if (!d->web) {
			log_error("%s", err);       /* "web: ..." already */
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
	/* a check under way ends within its timeout; a bundle being applied
	 * finds the daemon stopping and is not put in force */
	status_set_rules_sync(d->status, NULL);
	rules_sync_stop(d->sync);
	d->sync = NULL;
	/* retention pauses the writer that closes now: commit the writer's
	 * batch (so a pass does not wait for it), end the pass and the thread */
	if (d->pl)
		pipeline_flush_sinks(d->pl);
	retention_halt(d->ret);
	if (d->pl) {
		apply_swap(d);
		workers_stop(d->ws);
		d->ws = NULL;
		pipeline_drain(d->pl);
		collect_stats(d, &st);
		if (d->player)
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
		/* the last, partial summary interval (its figures include the
		 * flows ended now); what is not delivered yet stays in the
		 * outbox for the next start */
		uplink_final_summary(d->uplink, d->now_us, &st);
		status_set_uplink(d->status, NULL);
		uplink_stop(d->uplink);
		d->uplink = NULL;
	}
	sources_close(d->src);
	d->src = NULL;
	player_free(d->player);
	d->player = NULL;
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
	if (d->uplink) {            /* the pipeline never started */
		status_set_uplink(d->status, NULL);
		uplink_stop(d->uplink);
		d->uplink = NULL;
	}
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
	if (!(d->status = status_new())) {
		free(d);
		return NULL;
	}
	return d;
}

static void daemon_free(struct daemon *d)
{
	pthread_mutex_destroy(&d->cfg_lock);
	pthread_mutex_destroy(&d->reload_lock);
	pthread_mutex_destroy(&d->swap_lock);
	pthread_cond_destroy(&d->swap_cv);
	status_free(d->status);
	free(d);
}

int daemon_run(const struct vigil_config *cfg)
{
	struct daemon *d;
	struct passwd *pw = NULL;
	int rc;

	if (!(d = daemon_new()))
		fatal(1, "out of memory");
	d->cfg = *cfg;
	log_daemon_mode();
	log_set_level(d->cfg.log_level);
	log_info("vigil %s (%s) starting with %s", VIGIL_VERSION, VIGIL_GITREV, d->cfg.path);
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
	if (d->cfg.n_pcap_files &&
	    !(d->player = player_new(d->cfg.pcap_files, d->cfg.n_pcap_files, d->cfg.replay_fast,
				     d->cfg.replay_loop))) {
		log_error("out of memory");
		goto fail;
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
	privs_prepare_dirs(&d->cfg, pw);
	if (pw && privs_drop(pw) < 0)
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
