/*
 * rules_sync_conf.c - [rules_sync] settings (see rules_sync_conf.h and
 * vigil.conf(5)). Durations as "30s", "1h"; sizes as "16M".
 */
#include "rules_sync_conf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/str.h"
#include "tls/https_get.h"
#include "tls/tls_client.h"
#include "tls/tls_sign.h"

enum { K_URL, K_CA, K_CERT, K_KEY, K_PIN, K_PROXY, K_PUBKEY, K_INTERVAL, K_CTIMEOUT,
       K_TIMEOUT, K_MAXSIZE, K__N };
static const char *const names[K__N] = {
	"url", "ca", "cert", "key", "pin", "proxy", "public_key", "interval", "connect_timeout",
	"timeout", "max_size",
};

void rules_sync_conf_defaults(struct rules_sync_conf *c)
{
	memset(c, 0, sizeof *c);
	c->interval_s = 3600;
	c->connect_timeout_s = 10;
	c->timeout_s = 60;
	c->max_size = 16ULL << 20;
}

static int set_str(char *dst, size_t cap, const char *v, char *why, size_t whylen)
{
	if (strlen(v) >= cap) {
		str_fmt(why, whylen, "value too long (at most %zu characters)", cap - 1);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int set_duration(const char *v, uint32_t min, uint32_t max, uint32_t *out,
			char *why, size_t whylen)
{
	uint64_t ms;

	if (conf_parse_duration_ms(v, &ms) != 0 || ms % 1000 || ms / 1000 < min ||
	    ms / 1000 > max) {
		str_fmt(why, whylen, "expected whole seconds from %us to %us (like 30s, 1h), got '%s'",
			min, max, v);
		return -1;
	}
	*out = (uint32_t)(ms / 1000);
	return 0;
}

int rules_sync_conf_set(struct rules_sync_conf *c, const char *key, const char *value,
			int line, char *why, size_t whylen)
{
	struct https_url u;
	int k = 0, rc;

	while (k < K__N && strcasecmp(names[k], key) != 0)
		k++;
	if (k == K__N) {
		str_fmt(why, whylen, "unknown setting '%s' in [rules_sync]", key);
		return -1;
	}
	if (c->seen[k]) {
		str_fmt(why, whylen, "%s is set twice (first on line %d)", names[k], c->seen[k]);
		return -1;
	}
	c->seen[k] = line;
	switch (k) {
	case K_URL:
		if (https_parse_url(value, &u, why, whylen) < 0)
			return -1;
		return set_str(c->url, sizeof c->url - 4, value, why, whylen);
	case K_CA: return set_str(c->ca, sizeof c->ca, value, why, whylen);
	case K_CERT: return set_str(c->cert, sizeof c->cert, value, why, whylen);
	case K_KEY: return set_str(c->key, sizeof c->key, value, why, whylen);
	case K_PIN: return set_str(c->pin, sizeof c->pin, value, why, whylen);
	case K_PROXY: return set_str(c->proxy, sizeof c->proxy, value, why, whylen);
	case K_PUBKEY: return set_str(c->public_key, sizeof c->public_key, value, why, whylen);
	case K_INTERVAL: return set_duration(value, 1, 7 * 86400, &c->interval_s, why, whylen);
	case K_CTIMEOUT: return set_duration(value, 1, 600, &c->connect_timeout_s, why, whylen);
	case K_TIMEOUT: return set_duration(value, 1, 3600, &c->timeout_s, why, whylen);
	default:
		rc = conf_parse_size(value, &c->max_size);
		if (rc != 0 || c->max_size < 1024 || c->max_size > (64ULL << 20)) {
			str_fmt(why, whylen, "expected a size from 1K to 64M, got '%s'", value);
			return -1;
		}
		return 0;
	}
}

int rules_sync_conf_check(const struct rules_sync_conf *c, rules_sync_problem_fn problem,
			  void *ctx)
{
	struct tls_client_config tc = {
		.ca_file = c->ca, .cert_file = c->cert, .key_file = c->key, .pin = c->pin,
		.proxy = c->proxy,
	};
	char why[1400], msg[1500];
	int n = 0;

	if (!c->enabled)
		return 0;
	if (!c->url[0]) {
		problem(ctx, c->line, "[rules_sync]: url is needed (https://HOST/PATH/BUNDLE.tar)");
		n++;
	}
	if (!c->public_key[0]) {
		problem(ctx, c->line, "[rules_sync]: public_key is needed (the CERT's signing "
			"key, public half)");
		n++;
	} else {
		struct tls_sign_key *k = tls_sign_key_load(c->public_key, 0, why, sizeof why);
		if (!k) {
			snprintf(msg, sizeof msg, "public_key: %s", why);
			problem(ctx, c->seen[K_PUBKEY], msg);
			n++;
		}
		tls_sign_key_free(k);
	}
	why[0] = '\0';
	if (tls_client_check(&tc, why, sizeof why) < 0) {
		struct tls_client_lines l = {
			.section = c->line, .ca = c->seen[K_CA], .cert = c->seen[K_CERT],
			.key = c->seen[K_KEY], .pin = c->seen[K_PIN], .proxy = c->seen[K_PROXY],
		};
		problem(ctx, tls_client_check_line(why, &l), why);
		n++;
	}
	return n;
}
