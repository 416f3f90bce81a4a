/*
 * uplink_conf.h - the [uplink] and [uplink.NAME] sections of vigil.conf.
 *
 * Owns: the uplink settings, their defaults, parsing a value with a reason
 * ("url: expected relp+tls://host:port or syslog+tls://host:port") and the
 * checks of `vigil run -n` that need the files (CA, certificate, key must
 * exist and parse). config.c hands it the sections and keys it owns.
 */
#ifndef VIGIL_UPLINK_CONF_H
#define VIGIL_UPLINK_CONF_H

#include <stddef.h>
#include <stdint.h>

#define UPLINK_MAX 4

enum uplink_proto { UPLINK_RELP = 1, UPLINK_SYSLOG = 2 };

struct uplink_conf {
	char name[32];            /* "main" for [uplink], NAME for [uplink.NAME] */
	int line;                 /* of the section header */
	char url[512];
	int proto;
	char host[256], port[8];
	char ca[1024], cert[1024], key[1024], pin[64], proxy[300];
	int send_alerts, send_summaries, send_flows;
	int min_severity;         /* alerts of severity 1..min_severity (1 = most severe) */
	uint64_t outbox_max_bytes;
	uint32_t outbox_max_age_s;
	uint32_t connect_timeout_s, timeout_s;
	uint32_t syslog_grace_s;  /* syslog+tls: healthy this long after a write = delivered */
	int seen[16];             /* line each key was set on */
	int has_keys;             /* any per-uplink key set */
};

struct uplinks_conf {
	struct uplink_conf u[UPLINK_MAX];
	int n;                    /* sections read; uplinks_conf_check drops a bare [uplink] */
	char sensor_name[64];     /* sensor_name = (default: the host name) */
	char sensor_id[64];       /* sensor_id = (default: /etc/machine-id) */
	uint32_t summary_interval_s;
	int summary_top;
	int cur;                  /* index of the section being read, -1 */
	int seen_global[4];
};

void uplinks_conf_defaults(struct uplinks_conf *c);

/* A section header: 1 if it is [uplink] or [uplink.NAME] (and now
 * current), 0 if it is not an uplink section, -1 with why (bad name,
 * repeated, too many). */
int uplinks_conf_section(struct uplinks_conf *c, const char *section, int line,
			 char *why, size_t whylen);

/* key = value in the current uplink section. 0, or -1 with why ("unknown
 * setting" included). */
int uplinks_conf_set(struct uplinks_conf *c, const char *key, const char *value, int line,
		     char *why, size_t whylen);

/* After the file: every uplink has a url and its files parse; defaults
 * filled (sensor name and id). Calls problem for each problem (line 0 =
 * the whole file); returns their number. */
typedef void (*uplink_problem_fn)(void *ctx, int line, const char *msg);
int uplinks_conf_check(struct uplinks_conf *c, int check_files, uplink_problem_fn problem, void *ctx);

/* Split url into its protocol, host and port. 0, or -1 with why. */
int uplink_parse_url(const char *url, int *proto, char *host, size_t hostlen,
		     char *port, size_t portlen, char *why, size_t whylen);

#endif
