/*
 * config.c - vigil.conf (see config.h and vigil.conf(5)).
 *
 * The one INI reader (conf.h) splits the file into sections and
 * (key, value) pairs and reports syntax problems; everything else is
 * here: a table of the known keys with one parser per value type (the
 * value syntax is conf.h's), the checks that need several keys, and
 * "file:line: reason" for every problem.
 */
#include "config.h"
#include "daemon_player.h"
#include "output/store.h"

#include "drivers/capture/capture.h"
#include "core/conf.h"
#include "flow/flow_payload.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct parse;
typedef int (*set_fn)(struct parse *p, const char *v, char *why, size_t whylen);

struct key {
	const char *section;
	const char *name;
	set_fn set;
	int list;          /* may be repeated: values add up */
};

/* What the parse knows while the reader (conf.h) walks the file. */
struct parse {
	struct vigil_config *c;
	FILE *report;
	const char *path;
	int problems;
	int section_ok;     /* the current section is known (no repeat reports) */
	int in_uplink;      /* it is [uplink] or [uplink.NAME]: uplink_conf.c's keys */
	int in_rules_sync;  /* it is [rules_sync]: rules_sync_conf.c's keys */
	int seen[64];       /* line each key of keys[] was set on, 0 = not set */
};

/* Report one problem; line 0 means "the whole file". */
__attribute__((format(printf, 3, 4)))
static void problem(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->problems++;
	va_start(ap, fmt);
	conf_vproblem(conf_print_problem, p->report, p->path, line, fmt, ap);
	va_end(ap);
}

/* ---- value parsers ------------------------------------------------------ */

/* Copy a string setting; too long is a problem, never a silent cut. */
static int set_str(char *dst, size_t cap, const char *v, char *why, size_t whylen)
{
	if (strlen(v) >= cap) {
		snprintf(why, whylen, "value too long (at most %zu characters)", cap - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* yes/no (also true/false, on/off, 1/0). */
static int parse_bool(const char *v, int *out, char *why, size_t whylen)
{
	if (conf_parse_bool(v, out) == 0)
		return 0;
	snprintf(why, whylen, "expected yes or no, got '%s'", v);
	return -1;
}

/* A plain unsigned number from min to max. */
static int parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out,
		     char *why, size_t whylen)
{
	if (conf_parse_u64(v, min, max, out) == 0)
		return 0;
	snprintf(why, whylen, "expected a number from %llu to %llu, got '%s'",
		 (unsigned long long)min, (unsigned long long)max, v);
	return -1;
}

/* A size (conf.h: powers of 1024) from min to max. */
static int size_in(const char *v, uint64_t min, uint64_t max, uint64_t *out,
		   char *why, size_t whylen)
{
	int rc = conf_parse_size(v, out);

	if (rc == CONF_EBAD) {
		snprintf(why, whylen, "expected a size like 512M or 2G, got '%s'", v);
		return -1;
	}
	if (rc == CONF_ERANGE || *out < min || *out > max) {
		snprintf(why, whylen, "'%s' is out of range (%lluM to %lluG)", v,
			 (unsigned long long)(min >> 20), (unsigned long long)(max >> 30));
		return -1;
	}
	return 0;
}

/* A duration in whole seconds from min to max. */
static int duration_in(const char *v, uint64_t min, uint64_t max, uint32_t *out,
		       char *why, size_t whylen)
{
	uint64_t ms;
	int rc = conf_parse_duration_ms(v, &ms);

	if (rc == CONF_EBAD) {
		snprintf(why, whylen, "expected a duration like 60s, 12h or 30d, got '%s'", v);
		return -1;
	}
	if (rc == CONF_ERANGE || ms / 1000 < min || ms / 1000 > max) {
		snprintf(why, whylen, "'%s' is out of range (%llu to %llu seconds)", v,
			 (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	if (ms % 1000) {
		snprintf(why, whylen, "'%s' is not a whole number of seconds", v);
		return -1;
	}
	*out = (uint32_t)(ms / 1000);
	return 0;
}

/* An interface name as the kernel takes it: 1-15 characters, no '/',
 * no white space, not "." or "..". */
static int check_ifname(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n == 0 || n > 15 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		goto bad;
	for (const char *s = v; *s; s++)
		if (*s == '/' || isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			goto bad;
	return 0;
bad:
	snprintf(why, whylen, "'%s' is not an interface name (1-15 characters, no '/' "
		 "or spaces)", v);
	return -1;
}

/* Split a comma-separated list into trimmed items; calls add per item.
 * An empty item is a problem. */
static int each_item(struct parse *p, const char *v, const char *what,
		     int (*add)(struct parse *, const char *, char *, size_t),
		     char *why, size_t whylen)
{
	char item[1100];
	const char *s = v;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		while (n && isspace((unsigned char)*s)) { s++; n--; }
		while (n && isspace((unsigned char)s[n - 1])) n--;
		if (n == 0) {
			snprintf(why, whylen, "empty %s in the list", what);
			return -1;
		}
		if (n >= sizeof item) {
			snprintf(why, whylen, "%s too long", what);
			return -1;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		if (add(p, item, why, whylen) < 0)
			return -1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* ---- the keys ------------------------------------------------------------- */

static int add_iface(struct parse *p, const char *v, char *why, size_t whylen)
{
	struct vigil_config *c = p->c;

	if (check_ifname(v, why, whylen) < 0)
		return -1;
	for (int i = 0; i < c->n_interfaces; i++)
		if (strcmp(c->interfaces[i], v) == 0) {
			snprintf(why, whylen, "interface %s is listed twice", v);
			return -1;
		}
	if (c->n_interfaces >= CONFIG_MAX_IFACES) {
		snprintf(why, whylen, "at most %d interfaces", CONFIG_MAX_IFACES);
		return -1;
	}
	snprintf(c->interfaces[c->n_interfaces++], sizeof c->interfaces[0], "%s", v);
	return 0;
}

static int set_interface(struct parse *p, const char *v, char *why, size_t whylen)
{
	return each_item(p, v, "interface name", add_iface, why, whylen);
}

static int add_pcap(struct parse *p, const char *v, char *why, size_t whylen)
{
	struct vigil_config *c = p->c;

	if (c->n_pcap_files >= CONFIG_MAX_PCAP_FILES) {
		snprintf(why, whylen, "at most %d capture files", CONFIG_MAX_PCAP_FILES);
		return -1;
	}
	if (strlen(v) >= sizeof c->pcap_files[0]) {
		snprintf(why, whylen, "file name too long");
		return -1;
	}
	if (access(v, R_OK) != 0) {
		snprintf(why, whylen, "capture file %s: %s", v, strerror(errno));
		return -1;
	}
	snprintf(c->pcap_files[c->n_pcap_files++], sizeof c->pcap_files[0], "%s", v);
	return 0;
}

/* source = pcap:FILE[,FILE...]; repeated lines add files. pcap_file keeps
 * the whole list for messages. */
static int set_source(struct parse *p, const char *v, char *why, size_t whylen)
{
	struct vigil_config *c = p->c;
	size_t used = strlen(c->pcap_file);

	if (strncmp(v, "pcap:", 5) != 0 || !v[5]) {
		snprintf(why, whylen, "expected pcap:FILE[,FILE...], got '%s'", v);
		return -1;
	}
	if (used + strlen(v + 5) + 2 > sizeof c->pcap_file) {
		snprintf(why, whylen, "the list of capture files is too long");
		return -1;
	}
	snprintf(c->pcap_file + used, sizeof c->pcap_file - used, "%s%s", used ? "," : "", v + 5);
	return each_item(p, v + 5, "file name", add_pcap, why, whylen);
}

/* recur = acknowledged, escalated | none: the statuses an alert leaves
 * when it fires again (store_set_recur) */
static int add_recur(struct parse *p, const char *v, char *why, size_t whylen)
{
	static const struct { const char *name; unsigned bit; } st[] = {
		{ "acknowledged", STORE_RECUR_ACKNOWLEDGED },
		{ "false_positive", STORE_RECUR_FALSE_POSITIVE },
		{ "escalated", STORE_RECUR_ESCALATED },
	};

	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
		if (strcmp(v, st[i].name) == 0) {
			p->c->store_recur |= st[i].bit;
			return 0;
		}
	}
	snprintf(why, whylen, "expected acknowledged, false_positive, escalated or none, got '%s'", v);
	return -1;
}

static int set_recur(struct parse *p, const char *v, char *why, size_t whylen)
{
	p->c->store_recur = 0;
	if (strcmp(v, "none") == 0)
		return 0;
	return each_item(p, v, "status", add_recur, why, whylen);
}

static int set_replay_speed(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (strcmp(v, "fast") == 0)
		p->c->replay_fast = 1;
	else if (strcmp(v, "recorded") == 0)
		p->c->replay_fast = 0;
	else if (strcmp(v, "first_fast") == 0)
		p->c->replay_fast = PLAYER_FAST_FIRST;
	else {
		snprintf(why, whylen, "expected fast, recorded or first_fast, got '%s'", v);
		return -1;
	}
	return 0;
}

static int set_loop(struct parse *p, const char *v, char *why, size_t whylen)
{
	return parse_bool(v, &p->c->replay_loop, why, whylen);
}

static int set_exit_when_done(struct parse *p, const char *v, char *why, size_t whylen)
{
	return parse_bool(v, &p->c->exit_when_done, why, whylen);
}

static int set_method(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (strcmp(v, "auto") == 0)
		p->c->method = CAPTURE_AUTO;
	else if (strcmp(v, "pcap") == 0)
		p->c->method = CAPTURE_PCAP;
	else if (strcmp(v, "afpacket") == 0 && capture_afpacket_available())
		p->c->method = CAPTURE_AFPACKET;
	else if (strcmp(v, "afpacket") == 0) {
		snprintf(why, whylen, "this build has no AF_PACKET capture; use pcap");
		return -1;
	}
	else {
		snprintf(why, whylen, "expected auto, pcap or afpacket, got '%s'", v);
		return -1;
	}
	return 0;
}

static int set_snaplen(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (parse_u64(v, 64, 262144, &n, why, whylen) < 0)
		return -1;
	p->c->snaplen = (int)n;
	return 0;
}

static int set_ring_size(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (size_in(v, 1ULL << 20, 1ULL << 30, &n, why, whylen) < 0)
		return -1;
	p->c->ring_mb = (uint32_t)(n >> 20);
	return 0;
}

static int set_workers(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (strcmp(v, "auto") == 0) {
		p->c->workers = 0;
		return 0;
	}
	if (parse_u64(v, 1, 64, &n, why, whylen) < 0) {
		snprintf(why, whylen, "expected auto or a number from 1 to 64, got '%s'", v);
		return -1;
	}
	p->c->workers = (int)n;
	return 0;
}

static int set_max_flows(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (parse_u64(v, 1, 100000000, &n, why, whylen) < 0)
		return -1;
	p->c->max_flows = (uint32_t)n;
	return 0;
}

static int set_payload_window(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;
	int rc = conf_parse_size(v, &n);

	if (rc == CONF_EBAD || rc == CONF_ERANGE || n > FLOW_PAYLOAD_MAX) {
		snprintf(why, whylen, "expected a size from 0 (off) to 64K, got '%s'", v);
		return -1;
	}
	p->c->payload_window = (uint32_t)n;
	return 0;
}

static int set_home_net(struct parse *p, const char *v, char *why, size_t whylen)
{
	char err[256];

	if (set_str(p->c->home_net, sizeof p->c->home_net, v, why, whylen) < 0)
		return -1;
	if (homenet_parse(&p->c->home, v, err, sizeof err) < 0) {
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	return 0;
}

static int add_rule_dir(struct parse *p, const char *v, char *why, size_t whylen)
{
	struct vigil_config *c = p->c;

	if (c->n_rule_dirs >= CONFIG_MAX_RULE_DIRS) {
		snprintf(why, whylen, "at most %d rule set directories", CONFIG_MAX_RULE_DIRS);
		return -1;
	}
	if (set_str(c->rule_dirs[c->n_rule_dirs], sizeof c->rule_dirs[0], v, why, whylen) < 0)
		return -1;
	c->n_rule_dirs++;
	return 0;
}

static int set_rules(struct parse *p, const char *v, char *why, size_t whylen)
{
	return each_item(p, v, "directory", add_rule_dir, why, whylen);
}

static int set_database(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (!*v) {
		snprintf(why, whylen, "a database file is needed");
		return -1;
	}
	return set_str(p->c->database, sizeof p->c->database, v, why, whylen);
}

static int set_eve(struct parse *p, const char *v, char *why, size_t whylen)
{
	return set_str(p->c->eve, sizeof p->c->eve, v, why, whylen);
}

static int set_max_size(struct parse *p, const char *v, char *why, size_t whylen)
{
	return size_in(v, 1ULL << 20, 1ULL << 50, &p->c->max_db_bytes, why, whylen);
}

static int set_flow_max_age(struct parse *p, const char *v, char *why, size_t whylen)
{
	return duration_in(v, 3600, 3650 * 86400ULL, &p->c->flow_max_age_s, why, whylen);
}

static int set_alert_max_age(struct parse *p, const char *v, char *why, size_t whylen)
{
	return duration_in(v, 3600, 3650 * 86400ULL, &p->c->alert_max_age_s, why, whylen);
}

static int set_retention_interval(struct parse *p, const char *v, char *why, size_t whylen)
{
	return duration_in(v, 1, 86400, &p->c->retention_interval_s, why, whylen);
}

/* "" (off), unix:/absolute/path, IPv4:port or [IPv6]:port. */
static int set_listen(struct parse *p, const char *v, char *why, size_t whylen)
{
	char host[64];
	const char *colon;
	unsigned char addr[16];
	uint64_t port;

	if (!*v || strncmp(v, "unix:", 5) == 0) {
		if (*v && v[5] != '/') {
			snprintf(why, whylen, "unix: needs an absolute socket path, got '%s'", v);
			return -1;
		}
		if (strlen(v) - (*v ? 5 : 0) >= 108) {
			snprintf(why, whylen, "socket path too long (at most 107 characters)");
			return -1;
		}
		return set_str(p->c->listen, sizeof p->c->listen, v, why, whylen);
	}
	colon = strrchr(v, ':');
	if (!colon || colon == v || (size_t)(colon - v) >= sizeof host)
		goto bad;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			goto bad;
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, addr) != 1)
			goto bad;
	} else if (inet_pton(AF_INET, host, addr) != 1) {
		goto bad;
	}
	if (parse_u64(colon + 1, 1, 65535, &port, why, whylen) < 0)
		goto bad;
	return set_str(p->c->listen, sizeof p->c->listen, v, why, whylen);
bad:
	snprintf(why, whylen, "expected unix:/path, ADDRESS:PORT or [IPv6]:PORT, got '%s'", v);
	return -1;
}

static int set_static_dir(struct parse *p, const char *v, char *why, size_t whylen)
{
	return set_str(p->c->static_dir, sizeof p->c->static_dir, v, why, whylen);
}

static int set_secure_cookies(struct parse *p, const char *v, char *why, size_t whylen)
{
	return parse_bool(v, &p->c->secure_cookies, why, whylen);
}

static int set_user(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (set_str(p->c->user, sizeof p->c->user, v, why, whylen) < 0)
		return -1;
	if (*v && !getpwnam(v)) {
		snprintf(why, whylen, "no such user '%s'", v);
		return -1;
	}
	return 0;
}

static int set_state_dir(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (!*v) {
		snprintf(why, whylen, "a directory is needed");
		return -1;
	}
	return set_str(p->c->state_dir, sizeof p->c->state_dir, v, why, whylen);
}

static int set_log_level(struct parse *p, const char *v, char *why, size_t whylen)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (strcmp(v, names[i]) == 0) {
			p->c->log_level = i;
			return 0;
		}
	snprintf(why, whylen, "expected error, warning, info or debug, got '%s'", v);
	return -1;
}

static int set_stats_interval(struct parse *p, const char *v, char *why, size_t whylen)
{
	return duration_in(v, 1, 86400, &p->c->stats_interval_s, why, whylen);
}

/* auto, none, or an LED's name in /sys/class/leds (board_led.h). */
static int set_board_led(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (!*v || strchr(v, '/') || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
		snprintf(why, whylen, "expected auto, none or an LED's name in /sys/class/leds, "
			 "got '%s'", v);
		return -1;
	}
	return set_str(p->c->board_led, sizeof p->c->board_led, v, why, whylen);
}

static int set_ev_enabled(struct parse *p, const char *v, char *why, size_t whylen)
{
	return parse_bool(v, &p->c->evidence.enabled, why, whylen);
}

static int set_ev_dir(struct parse *p, const char *v, char *why, size_t whylen)
{
	if (*v != '/') {
		snprintf(why, whylen, "an absolute directory is needed, got '%s'", v);
		return -1;
	}
	return set_str(p->c->evidence.dir, sizeof p->c->evidence.dir, v, why, whylen);
}

static int set_ev_max_size(struct parse *p, const char *v, char *why, size_t whylen)
{
	p->c->evidence.max_bytes_auto = 0;
	return size_in(v, 1ULL << 20, 1ULL << 50, &p->c->evidence.max_bytes, why, whylen);
}

static int set_ev_max_age(struct parse *p, const char *v, char *why, size_t whylen)
{
	return duration_in(v, 3600, 3650 * 86400ULL, &p->c->evidence.max_age_s, why, whylen);
}

static int set_ev_per_flow_cap(struct parse *p, const char *v, char *why, size_t whylen)
{
	return size_in(v, 4096, 1ULL << 30, &p->c->evidence.hold.per_flow_cap, why, whylen);
}

static int set_ev_pool_size(struct parse *p, const char *v, char *why, size_t whylen)
{
	return size_in(v, 1ULL << 20, 1ULL << 32, &p->c->evidence.hold.pool_bytes, why, whylen);
}

static int set_ev_hold_packets(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (parse_u64(v, 1, 1024, &n, why, whylen) < 0)
		return -1;
	p->c->evidence.hold.hold_pkts = (uint32_t)n;
	return 0;
}

static int set_ev_hold_bytes(struct parse *p, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (size_in(v, 1024, 16ULL << 20, &n, why, whylen) < 0)
		return -1;
	p->c->evidence.hold.hold_bytes = (uint32_t)n;
	return 0;
}

static const struct key keys[] = {
	{ "capture", "interface", set_interface, 1 },
	{ "capture", "source", set_source, 1 },
	{ "capture", "replay_speed", set_replay_speed, 0 },
	{ "capture", "loop", set_loop, 0 },
	{ "capture", "exit_when_done", set_exit_when_done, 0 },
	{ "capture", "method", set_method, 0 },
	{ "capture", "snaplen", set_snaplen, 0 },
	{ "capture", "ring_size", set_ring_size, 0 },
	{ "capture", "max_flows", set_max_flows, 0 },
	{ "capture", "workers", set_workers, 0 },
	{ "detect", "home_net", set_home_net, 0 },
	{ "detect", "rules", set_rules, 1 },
	{ "detect", "payload_window", set_payload_window, 0 },
	{ "store", "database", set_database, 0 },
	{ "store", "eve", set_eve, 0 },
	{ "store", "max_size", set_max_size, 0 },
	{ "store", "flow_max_age", set_flow_max_age, 0 },
	{ "store", "alert_max_age", set_alert_max_age, 0 },
	{ "store", "retention_interval", set_retention_interval, 0 },
	{ "store", "recur", set_recur, 0 },
	{ "web", "listen", set_listen, 0 },
	{ "web", "static_dir", set_static_dir, 0 },
	{ "web", "secure_cookies", set_secure_cookies, 0 },
	{ "daemon", "user", set_user, 0 },
	{ "daemon", "state_dir", set_state_dir, 0 },
	{ "daemon", "log_level", set_log_level, 0 },
	{ "daemon", "stats_interval", set_stats_interval, 0 },
	{ "board", "led", set_board_led, 0 },
	{ "evidence", "enabled", set_ev_enabled, 0 },
	{ "evidence", "dir", set_ev_dir, 0 },
	{ "evidence", "max_size", set_ev_max_size, 0 },
	{ "evidence", "max_age", set_ev_max_age, 0 },
	{ "evidence", "per_flow_cap", set_ev_per_flow_cap, 0 },
	{ "evidence", "pool_size", set_ev_pool_size, 0 },
	{ "evidence", "hold_packets", set_ev_hold_packets, 0 },
	{ "evidence", "hold_bytes", set_ev_hold_bytes, 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *const sections[] = { "capture", "detect", "store", "web", "daemon",
					 "board", "evidence" };

static int known_section(const char *s)
{
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (strcasecmp(s, sections[i]) == 0)
			return 1;
	return 0;
}

/* ---- reading -------------------------------------------------------------- */

/* conf_problem_fn: every problem the reader finds goes through problem(). */
static void reader_problem(void *ctx, const char *file, int line, const char *msg)
{
	(void)file;
	problem(ctx, line, "%s", msg);
}

/* conf_ini_fn: a section header or one key = value. */
static void handle(void *ctx, const struct conf_item *it)
{
	struct parse *p = ctx;
	char why[1400];

	if (!it->key) {
		int up = uplinks_conf_section(&p->c->uplinks, it->section, it->line, why, sizeof why);
		p->in_uplink = up != 0;
		p->in_rules_sync = strcasecmp(it->section, "rules_sync") == 0;
		if (p->in_rules_sync) {
			p->section_ok = !p->c->rules_sync.enabled;
			if (!p->section_ok)
				problem(p, it->line, "[rules_sync] appears twice (first on line %d)",
					p->c->rules_sync.line);
			p->c->rules_sync.enabled = 1;
			p->c->rules_sync.line = p->section_ok ? it->line : p->c->rules_sync.line;
			return;
		}
		if (up) {
			p->section_ok = up > 0;
			if (up < 0)
				problem(p, it->line, "%s", why);
			return;
		}
		p->section_ok = known_section(it->section);
		if (!p->section_ok)
			problem(p, it->line, "unknown section [%s]", it->section);
		return;
	}
	if (!p->section_ok)
		return; /* reported at the section header */
	if (p->in_rules_sync) {
		if (rules_sync_conf_set(&p->c->rules_sync, it->key, it->value, it->line, why,
					sizeof why) < 0)
			problem(p, it->line, "%s", why);
		return;
	}
	if (p->in_uplink) {
		if (uplinks_conf_set(&p->c->uplinks, it->key, it->value, it->line, why, sizeof why) < 0)
			problem(p, it->line, "%s", why);
		return;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcasecmp(keys[i].section, it->section) || strcasecmp(keys[i].name, it->key))
			continue;
		if (p->seen[i] && !keys[i].list) {
			problem(p, it->line, "%s is set twice (first on line %d)", keys[i].name,
				p->seen[i]);
			return;
		}
		if (!p->seen[i])
			p->seen[i] = it->line;
		why[0] = '\0';
		if (keys[i].set(p, it->value, why, sizeof why) < 0)
			problem(p, it->line, "%s: %s", keys[i].name, why);
		return;
	}
	problem(p, it->line, "unknown setting '%s' in [%s]", it->key, it->section);
}

/* The line a key was set on, 0 when it was not. */
static int line_of(const struct parse *p, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return p->seen[i];
	return 0;
}

static void uplink_problem(void *ctx, int line, const char *msg)
{
	problem(ctx, line, "%s", msg);
}

/* Checks that involve several settings. */
static void check_whole(struct parse *p)
{
	struct vigil_config *c = p->c;
	int live = c->n_interfaces > 0, files = c->n_pcap_files > 0;

	if (live && line_of(p, "source"))
		problem(p, line_of(p, "source"),
			"source: set either interface or source, not both");
	if (!live && !files && !line_of(p, "source"))
		problem(p, 0, "no capture source: set interface or source in [capture]");
	if (live) {
		static const char *file_only[] = { "replay_speed", "loop", "exit_when_done" };
		for (int i = 0; i < 3; i++)
			if (line_of(p, file_only[i]))
				problem(p, line_of(p, file_only[i]),
					"%s: only applies to source = pcap:FILE", file_only[i]);
	}
	if (c->replay_loop && c->exit_when_done)
		problem(p, line_of(p, "exit_when_done"),
			"exit_when_done: a looping replay is never done");
	uplinks_conf_check(&c->uplinks, 1, uplink_problem, p);
	rules_sync_conf_check(&c->rules_sync, uplink_problem, p);
	if (c->uplinks.n && !c->database[0])
		problem(p, c->uplinks.u[0].line, "[uplink]: the outbox lives beside the database "
			"(outbox.sqlite in its folder); set database in [store]");
}

void config_defaults(struct vigil_config *c)
{
	char err[64];

	memset(c, 0, sizeof *c);
	c->method = CAPTURE_AUTO;
	c->snaplen = 65535;
	c->ring_mb = 64;
	c->workers = 1;     /* auto when several workers pay (see vigil.conf.5) */
	c->max_flows = 262144;
	c->payload_window = FLOW_PAYLOAD_DEFAULT;
	snprintf(c->home_net, sizeof c->home_net, "%s", HOMENET_DEFAULT);
	homenet_parse(&c->home, HOMENET_DEFAULT, err, sizeof err);
	snprintf(c->database, sizeof c->database, "/var/lib/vigil/vigil.sqlite");
	c->max_db_bytes = 2ULL << 30;
	c->flow_max_age_s = 30 * 86400;
	c->alert_max_age_s = 365 * 86400;
	c->retention_interval_s = 60;
	c->store_recur = STORE_RECUR_ACKNOWLEDGED;
	snprintf(c->static_dir, sizeof c->static_dir, "/usr/share/vigil/web");
	snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/vigil");
	c->log_level = 2; /* info */
	c->stats_interval_s = 60;
	snprintf(c->board_led, sizeof c->board_led, "auto");
	evidence_config_defaults(&c->evidence);
	c->evidence.dir[0] = '\0'; /* config_load: beside the database */
	uplinks_conf_defaults(&c->uplinks);
	rules_sync_conf_defaults(&c->rules_sync);
}

int config_load(struct vigil_config *c, const char *path, FILE *report)
{
	struct parse p;

	memset(&p, 0, sizeof p);
	p.c = c;
	p.path = path;
	p.report = report;
	snprintf(c->path, sizeof c->path, "%s", path);
	conf_ini_read(path, CONF_MAX_CONFIG, handle, reader_problem, &p);
	check_whole(&p);
	if (!c->evidence.dir[0]) {
		/* evidence/ beside the database: on the data partition with it */
		const char *slash = strrchr(c->database, '/');
		char dir[1100];
		int n = snprintf(dir, sizeof dir, "%.*s/evidence",
				 slash ? (int)(slash - c->database) : 1, slash ? c->database : ".");
		if (n > 0 && (size_t)n < sizeof c->evidence.dir)
			memcpy(c->evidence.dir, dir, (size_t)n + 1);
		else if (c->evidence.enabled)
			problem(&p, 0, "[evidence]: the database's directory name is too long for dir; "
				"set dir in [evidence]");
	}
	return p.problems;
}
