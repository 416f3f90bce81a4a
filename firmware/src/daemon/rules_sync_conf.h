/*
 * rules_sync_conf.h - the [rules_sync] section of vigil.conf: where the
 * daemon fetches signed rule bundles from (rules_sync.h, vigil.conf(5)).
 *
 * Owns: the settings, their defaults, a value's reason when it is wrong,
 * and the checks of `vigil run -n` that need the files (the CA,
 * certificate and key parse as the uplink's TLS client loads them; the
 * public key is a P-256 key). config.c hands it the section's keys.
 */
#ifndef VIGIL_RULES_SYNC_CONF_H
#define VIGIL_RULES_SYNC_CONF_H

#include <stddef.h>
#include <stdint.h>

struct rules_sync_conf {
	int enabled;              /* the section is there */
	int line;                 /* of its header */
	char url[1024];           /* https://HOST[:PORT]/PATH/BUNDLE.tar (its .sig beside) */
	char ca[1024], cert[1024], key[1024], pin[64], proxy[300];
	char public_key[1024];    /* the CERT's signing key, public half */
	uint32_t interval_s;      /* between checks (default 1h) */
	uint32_t connect_timeout_s, timeout_s;
	uint64_t max_size;        /* of the tar (default 16M) */
	int seen[16];             /* line each key was set on */
};

void rules_sync_conf_defaults(struct rules_sync_conf *c);

/* key = value in [rules_sync]. 0, or -1 with why. */
int rules_sync_conf_set(struct rules_sync_conf *c, const char *key, const char *value,
			int line, char *why, size_t whylen);

/* After the file: url, ca and public_key set, the files parse. Calls
 * problem for each problem; returns their number. */
typedef void (*rules_sync_problem_fn)(void *ctx, int line, const char *msg);
int rules_sync_conf_check(const struct rules_sync_conf *c, rules_sync_problem_fn problem,
			  void *ctx);

#endif
