/*
 * config.h - vigil.conf: the daemon's configuration (INI, read with conf.h).
 *
 * Owns: the settings of `vigil run`, their defaults, and validating them
 * with "file:line: reason" messages (`vigil run -n`). See vigil.conf(5).
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/homenet.h"
#include "output/evidence.h"
#include "output/uplink_conf.h"
#include "rules_sync_conf.h"

#define CONFIG_DEFAULT_PATH "/etc/vigil/vigil.conf"
#define CONFIG_MAX_IFACES 8
#define CONFIG_MAX_RULE_DIRS 16
#define CONFIG_MAX_PCAP_FILES 16

struct vigil_config {
	/* [capture] */
	char interfaces[CONFIG_MAX_IFACES][64];   /* interface = eth0, eth1 */
	int n_interfaces;
	char pcap_file[1024];      /* source = pcap:/path[,/path...] (instead of interfaces) */
	char pcap_files[CONFIG_MAX_PCAP_FILES][1024]; /* the same list, split */
	int n_pcap_files;
	int exit_when_done;        /* exit_when_done = yes: stop once the files are read */
	int replay_fast;           /* replay_speed = recorded (0, default), fast (1), first_fast (PLAYER_FAST_FIRST) */
	int replay_loop;           /* loop = yes|no: replay the file again and again */
	int method;                /* method = auto|pcap|afpacket (enum capture_method) */
	int snaplen;               /* snaplen = 65535 */
	uint32_t ring_mb;          /* ring_size = 64M (AF_PACKET ring per interface) */
	uint32_t max_flows;        /* max_flows = 262144 */
	int workers;               /* workers = N | auto (0: online cores less one,
	                              at least 1) */
	uint32_t payload_window;   /* [detect] payload_window = 2K; 0 = off */

	/* [detect] */
	char home_net[1024];       /* home_net = CIDR, ... (default RFC 1918 + ULA) */
	struct homenet home;
	char rule_dirs[CONFIG_MAX_RULE_DIRS][1024]; /* rules = DIR, DIR */
	int n_rule_dirs;

	/* [store] */
	char database[1024];       /* database = /var/lib/vigil/vigil.sqlite */
	char eve[1024];            /* eve = /var/log/vigil/eve.json ("" = none) */
	uint64_t max_db_bytes;     /* max_size = 2G */
	uint32_t flow_max_age_s;   /* flow_max_age = 30d */
	uint32_t alert_max_age_s;  /* alert_max_age = 365d */
	uint32_t retention_interval_s; /* retention_interval = 60s */
	unsigned store_recur;      /* recur = acknowledged (STORE_RECUR_*; none = 0) */

	/* [web] */
	char listen[1024];         /* listen = unix:/run/vigil/web.sock | 127.0.0.1:8080 | "" (off) */
	char static_dir[1024];     /* static_dir = /usr/share/vigil/web */
	int secure_cookies;        /* secure_cookies = yes when served behind HTTPS */

	/* [daemon] */
	char user[64];             /* user = vigil (drop privileges to it; "" = stay) */
	char state_dir[1024];      /* state_dir = /var/lib/vigil (setup token, managed rules) */
	int log_level;             /* log_level = error|warning|info|debug */
	uint32_t stats_interval_s; /* stats_interval = 60 */

	/* [board] */
	char board_led[64];        /* led = auto | none | NAME (/sys/class/leds/NAME) */

	/* [evidence] (output/evidence.h): enabled, dir, max_size, max_age,
	 * per_flow_cap, pool_size, hold_packets, hold_bytes */
	struct evidence_config evidence;

	/* [uplink], [uplink.NAME] (output/uplink_conf.h) */
	struct uplinks_conf uplinks;

	/* [rules_sync] (rules_sync_conf.h) */
	struct rules_sync_conf rules_sync;

	char path[1024];           /* the file this came from */
};

/* Defaults for every setting. */
void config_defaults(struct vigil_config *c);

/* Read path over the defaults. Every problem is printed to report as
 * "file:line: reason"; returns the number of problems (0 = usable). */
int config_load(struct vigil_config *c, const char *path, FILE *report);

#endif
