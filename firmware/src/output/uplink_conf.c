/*
 * uplink_conf.c - [uplink] / [uplink.NAME] settings (see uplink_conf.h and
 * vigil.conf(5)). Values use conf.h's syntax: sizes as "64M", durations as
 * "5m", booleans as yes/no.
 */
#include "uplink_conf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/conf.h"
#include "tls/tls_client.h"

enum { K_URL, K_CA, K_CERT, K_KEY, K_PIN, K_PROXY, K_SEND, K_MINSEV, K_MAXSIZE, K_MAXAGE,
       K_CTIMEOUT, K_TIMEOUT, K_GRACE, K__N };
static const char *const key_names[K__N] = {
	"url", "ca", "cert", "key", "pin", "proxy", "send", "min_severity", "outbox_max_size",
	"outbox_max_age", "connect_timeout", "timeout", "syslog_grace",
};
enum { G_NAME, G_ID, G_INTERVAL, G_TOP, G__N };
static const char *const global_names[G__N] = {
	"sensor_name", "sensor_id", "summary_interval", "summary_top",
};

static void uplink_defaults(struct uplink_conf *u)
{
	memset(u, 0, sizeof *u);
	u->send_alerts = u->send_summaries = 1;
	u->min_severity = 3;
	u->outbox_max_bytes = 64ULL << 20;
	u->outbox_max_age_s = 7 * 86400;
	u->connect_timeout_s = 10;
	u->timeout_s = 30;
	u->syslog_grace_s = 5;
}

void uplinks_conf_defaults(struct uplinks_conf *c)
{
	memset(c, 0, sizeof *c);
	c->summary_interval_s = 300;
	c->summary_top = 10;
	c->cur = -1;
}

int uplinks_conf_section(struct uplinks_conf *c, const char *section, int line,
			 char *why, size_t whylen)
{
	const char *name;

	c->cur = -1;
	if (strcasecmp(section, "uplink") == 0)
		name = "main";
	else if (strncasecmp(section, "uplink.", 7) == 0)
		name = section + 7;
	else
		return 0;
	if (!*name || strlen(name) >= sizeof c->u[0].name ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	    strlen(name)) {
		snprintf(why, whylen, "[%s]: an uplink name is 1 to 31 letters, digits, - or _",
			 section);
		return -1;
	}
	for (int i = 0; i < c->n; i++)
		if (strcasecmp(c->u[i].name, name) == 0) {
			snprintf(why, whylen, "[%s] appears twice (first on line %d)", section,
				 c->u[i].line);
			return -1;
		}
	if (c->n >= UPLINK_MAX) {
		snprintf(why, whylen, "[%s]: at most %d uplinks", section, UPLINK_MAX);
		return -1;
	}
	uplink_defaults(&c->u[c->n]);
	snprintf(c->u[c->n].name, sizeof c->u[0].name, "%s", name);
	c->u[c->n].line = line;
	c->cur = c->n++;
	return 1;
}

int uplink_parse_url(const char *url, int *proto, char *host, size_t hostlen,
		     char *port, size_t portlen, char *why, size_t whylen)
{
	const char *rest, *colon;
	const char *bad = "expected relp+tls://HOST:PORT or syslog+tls://HOST[:PORT]";

	if (strncasecmp(url, "relp+tls://", 11) == 0) {
		*proto = UPLINK_RELP;
		rest = url + 11;
	} else if (strncasecmp(url, "syslog+tls://", 13) == 0) {
		*proto = UPLINK_SYSLOG;
		rest = url + 13;
	} else {
		snprintf(why, whylen, "%s, got '%s'", bad, url);
		return -1;
	}
	if (*rest == '[') {              /* [IPv6]:port */
		const char *end = strchr(rest, ']');
		if (!end || (size_t)(end - rest - 1) >= hostlen || end == rest + 1) {
			snprintf(why, whylen, "%s, got '%s'", bad, url);
			return -1;
		}
		snprintf(host, hostlen, "%.*s", (int)(end - rest - 1), rest + 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon) {
			snprintf(why, whylen, "%s, got '%s'", bad, url);
			return -1;
		}
	} else {
		colon = strchr(rest, ':');
		size_t hl = colon ? (size_t)(colon - rest) : strlen(rest);
		if (hl == 0 || hl >= hostlen || memchr(rest, '/', hl)) {
			snprintf(why, whylen, "%s, got '%s'", bad, url);
			return -1;
		}
		snprintf(host, hostlen, "%.*s", (int)hl, rest);
	}
	if (colon) {
		uint64_t p;
		if (conf_parse_u64(colon + 1, 1, 65535, &p) != 0) {
			snprintf(why, whylen, "port: expected 1 to 65535 in '%s'", url);
			return -1;
		}
		snprintf(port, portlen, "%llu", (unsigned long long)p);
	} else if (*proto == UPLINK_SYSLOG) {
		snprintf(port, portlen, "6514");    /* RFC 5425 */
	} else {
		snprintf(why, whylen, "a RELP url needs its port (relp+tls://HOST:PORT)");
		return -1;
	}
	return 0;
}

static int set_path(char *dst, size_t cap, const char *v, char *why, size_t whylen)
{
	if (strlen(v) >= cap) {
		snprintf(why, whylen, "value too long (at most %zu characters)", cap - 1);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int set_duration(const char *v, uint32_t min, uint32_t max, uint32_t *out,
			char *why, size_t whylen)
{
	uint64_t ms;
	if (conf_parse_duration_ms(v, &ms) != 0 || ms / 1000 < min || ms / 1000 > max) {
		snprintf(why, whylen, "expected a duration from %us to %us (like 30s, 5m, 7d), got '%s'",
			 min, max, v);
		return -1;
	}
	*out = (uint32_t)(ms / 1000);
	return 0;
}

/* send = alerts, summaries, flows (any of them, at least one). */
static int set_send(struct uplink_conf *u, const char *v, char *why, size_t whylen)
{
	char buf[256], *save = NULL;
	int n = 0;

	snprintf(buf, sizeof buf, "%s", v);
	u->send_alerts = u->send_summaries = u->send_flows = 0;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (strcasecmp(t, "alerts") == 0)
			u->send_alerts = 1;
		else if (strcasecmp(t, "summaries") == 0)
			u->send_summaries = 1;
		else if (strcasecmp(t, "flows") == 0)
			u->send_flows = 1;
		else {
			snprintf(why, whylen, "expected alerts, summaries and/or flows, got '%s'", t);
			return -1;
		}
		n++;
	}
	if (!n) {
		snprintf(why, whylen, "name at least one of alerts, summaries, flows");
		return -1;
	}
	return 0;
}

static int set_global(struct uplinks_conf *c, int k, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	switch (k) {
	case G_NAME:
	case G_ID:
		if (!*v || strlen(v) >= sizeof c->sensor_name ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		    strlen(v)) {
			snprintf(why, whylen, "expected 1 to 63 letters, digits, '.', '-' or '_', got '%s'",
				 v);
			return -1;
		}
		snprintf(k == G_NAME ? c->sensor_name : c->sensor_id, sizeof c->sensor_name, "%s", v);
		return 0;
	case G_INTERVAL:
		return set_duration(v, 10, 86400, &c->summary_interval_s, why, whylen);
	default:
		if (conf_parse_u64(v, 1, 100, &n) != 0) {
			snprintf(why, whylen, "expected a number from 1 to 100, got '%s'", v);
			return -1;
		}
		c->summary_top = (int)n;
		return 0;
	}
}

int uplinks_conf_set(struct uplinks_conf *c, const char *key, const char *value, int line,
		     char *why, size_t whylen)
{
	struct uplink_conf *u;
	uint64_t n;
	int k;

	if (c->cur < 0) {
		snprintf(why, whylen, "not in an [uplink] section");
		return -1;
	}
	u = &c->u[c->cur];
	for (k = 0; k < G__N; k++)
		if (strcasecmp(key, global_names[k]) == 0)
			break;
	if (k < G__N) {
		if (strcmp(u->name, "main") != 0) {
			snprintf(why, whylen, "%s: set it in [uplink], it is the same for every uplink",
				 global_names[k]);
			return -1;
		}
		if (c->seen_global[k]) {
			snprintf(why, whylen, "%s is set twice (first on line %d)", global_names[k],
				 c->seen_global[k]);
			return -1;
		}
		c->seen_global[k] = line;
		if (set_global(c, k, value, why, whylen) < 0)
			return -1;
		return 0;
	}
	for (k = 0; k < K__N; k++)
		if (strcasecmp(key, key_names[k]) == 0)
			break;
	if (k == K__N) {
		snprintf(why, whylen, "unknown setting '%s' in [%s%s%s]", key, "uplink",
			 strcmp(u->name, "main") ? "." : "", strcmp(u->name, "main") ? u->name : "");
		return -1;
	}
	if (u->seen[k]) {
		snprintf(why, whylen, "%s is set twice (first on line %d)", key_names[k], u->seen[k]);
		return -1;
	}
	u->seen[k] = line;
	u->has_keys = 1;
	switch (k) {
	case K_URL:
		if (set_path(u->url, sizeof u->url, value, why, whylen) < 0)
			return -1;
		return uplink_parse_url(value, &u->proto, u->host, sizeof u->host, u->port,
					sizeof u->port, why, whylen);
	case K_CA: return set_path(u->ca, sizeof u->ca, value, why, whylen);
	case K_CERT: return set_path(u->cert, sizeof u->cert, value, why, whylen);
	case K_KEY: return set_path(u->key, sizeof u->key, value, why, whylen);
	case K_PIN: return set_path(u->pin, sizeof u->pin, value, why, whylen);
	case K_PROXY: return set_path(u->proxy, sizeof u->proxy, value, why, whylen);
	case K_SEND: return set_send(u, value, why, whylen);
	case K_MINSEV:
		if (conf_parse_u64(value, 1, 3, &n) != 0) {
			snprintf(why, whylen, "expected 1 (only the most severe alerts), 2 or 3 (all), "
				 "got '%s'", value);
			return -1;
		}
		u->min_severity = (int)n;
		return 0;
	case K_MAXSIZE:
		if (conf_parse_size(value, &n) != 0 || n < (64ULL << 10) || n > (16ULL << 30)) {
			snprintf(why, whylen, "expected a size from 64K to 16G, got '%s'", value);
			return -1;
		}
		u->outbox_max_bytes = n;
		return 0;
	case K_MAXAGE: return set_duration(value, 60, 366 * 86400, &u->outbox_max_age_s, why, whylen);
	case K_CTIMEOUT: return set_duration(value, 1, 600, &u->connect_timeout_s, why, whylen);
	case K_TIMEOUT: return set_duration(value, 1, 600, &u->timeout_s, why, whylen);
	default: return set_duration(value, 0, 600, &u->syslog_grace_s, why, whylen);
	}
}

/* The host name, or "vigil". */
static void default_name(char *out, size_t len)
{
	char h[256] = "";
	if (gethostname(h, sizeof h - 1) != 0 || !h[0])
		snprintf(h, sizeof h, "vigil");
	h[strcspn(h, ".")] = '\0';
	if (len == 0)
		return;
	/* a host name longer than the field is cut (sensor_name = sets it) */
	size_t n = strlen(h) < len - 1 ? strlen(h) : len - 1;
	memcpy(out, h, n);
	out[n] = '\0';
}

/* /etc/machine-id (32 hex digits), else the name. */
static void default_id(char *out, size_t len, const char *name)
{
	char id[64] = "";
	FILE *f = fopen("/etc/machine-id", "r");
	if (f) {
		if (!fgets(id, sizeof id, f))
			id[0] = '\0';
		fclose(f);
	}
	id[strcspn(id, "\r\n")] = '\0';
	const char *v = id[0] ? id : name;
	size_t n = strlen(v) < len - 1 ? strlen(v) : len - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

int uplinks_conf_check(struct uplinks_conf *c, int check_files, uplink_problem_fn problem, void *ctx)
{
	int problems = 0;
	char why[1400], msg[1500];

	if (!c->sensor_name[0])
		default_name(c->sensor_name, sizeof c->sensor_name);
	if (!c->sensor_id[0])
		default_id(c->sensor_id, sizeof c->sensor_id, c->sensor_name);
	for (int i = 0; i < c->n; i++) {
		struct uplink_conf *u = &c->u[i];
		if (!u->has_keys && strcmp(u->name, "main") == 0) {
			/* [uplink] with only the shared settings: no uplink of its own */
			memmove(&c->u[i], &c->u[i + 1], sizeof c->u[0] * (size_t)(c->n - i - 1));
			c->n--;
			i--;
			continue;
		}
		if (!u->url[0] || !u->proto) {
			if (!u->seen[K_URL]) {
				snprintf(msg, sizeof msg, "url: missing in [uplink%s%s]",
					 strcmp(u->name, "main") ? "." : "",
					 strcmp(u->name, "main") ? u->name : "");
				problem(ctx, u->line, msg);
				problems++;
			}
			continue;
		}
		if (!check_files)
			continue;
		struct tls_client_config tc = {
			.ca_file = u->ca, .cert_file = u->cert, .key_file = u->key, .pin = u->pin,
			.proxy = u->proxy,
		};
		why[0] = '\0';
		if (tls_client_check(&tc, why, sizeof why) < 0) {
			struct tls_client_lines l = {
				.section = u->line, .ca = u->seen[K_CA], .cert = u->seen[K_CERT],
				.key = u->seen[K_KEY], .pin = u->seen[K_PIN], .proxy = u->seen[K_PROXY],
			};
			problem(ctx, tls_client_check_line(why, &l), why);
			problems++;
		}
	}
	return problems;
}
