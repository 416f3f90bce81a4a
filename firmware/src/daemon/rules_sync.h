/*
 * rules_sync.h - rule updates from the centre ([rules_sync]): a thread
 * that fetches a signed rule bundle over HTTPS every interval, verifies
 * and unpacks it, has the daemon check and swap it in, and remembers what
 * is in force.
 *
 * Owns: <state_dir>/rules-sync/ - the rule-set directory in force
 * (set-<sha256 prefix>), the file naming it with its version, signing
 * time, key id, ETag and Last-Modified (state), and nothing else there
 * for long (a new bundle is unpacked beside it, the old set removed once
 * the new one is in force) - and the state the System page shows. It
 * never touches the packet path: the daemon's apply function builds the
 * set and hands it to the packet loop as a SIGHUP does.
 */
#ifndef VIGIL_RULES_SYNC_H
#define VIGIL_RULES_SYNC_H

#include <stddef.h>

#include "core/json.h"
#include "rules_sync_conf.h"

struct rules_sync;

/* The daemon's part: build the rule sets with dir as the synced set,
 * refuse it (every problem logged as file:line: reason, the first into
 * msg) or put it in force and call commit(commit_ctx) before anything
 * else can reload. 0 when in force, -1 when refused. */
typedef int (*rules_sync_apply_fn)(void *ctx, const char *dir, void (*commit)(void *),
				   void *commit_ctx, char *msg, size_t msglen);

/* The synced set in force (its directory), for the daemon's rule builds:
 * 0 with dir filled, -1 when there is none. */
int rules_sync_current_dir(const char *state_dir, char *dir, size_t dirlen);

/* Start the thread (its first check at once). NULL with err on failure. */
struct rules_sync *rules_sync_start(const struct rules_sync_conf *c, const char *state_dir,
				    rules_sync_apply_fn apply, void *ctx, char *err,
				    size_t errlen);
/* Stop it (a download under way ends within its timeout) and free. */
void rules_sync_stop(struct rules_sync *s);

/* The version of the set in force ("" before the first bundle). */
void rules_sync_version(struct rules_sync *s, char *out, size_t len);

/* The "rules_sync" member's value for /api/system (docs/api.md); null for
 * s NULL. */
void rules_sync_json(struct rules_sync *s, struct json *j);

#endif
