/*
 * rules_sync.c - signed rule bundles pulled from the centre (see
 * rules_sync.h, vigil.conf(5) [rules_sync], rules/README.md).
 *
 * One check: GET BUNDLE.tar.sig with the ETag / Last-Modified of the set
 * in force; 304 ends it. A new signature file is verified before the tar
 * is fetched (a wrong key costs a few hundred bytes), a bundle signed
 * before the one in force is refused (no rollback to an older set), the
 * tar must be the one the signature names and within max_size, and it is
 * unpacked by core/tarball.h into a new directory here. The daemon then
 * builds the sets with it and swaps it in; anything refused is removed,
 * logged and shown, and the old set keeps running.
 */
#include "rules_sync.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "core/tarball.h"
#include "detect/rule_bundle.h"
#include "tls/https_get.h"
#include "tls/tls_client.h"

/* What is in force, as the state file keeps it. */
struct current {
	char dir[64];                 /* set-<sha256 prefix>, below rules-sync/ */
	char version[65], signed_at[32], key_id[TLS_KEY_ID_LEN + 1];
	char etag[200], last_modified[64];
	char sha256[65];
	uint64_t applied_us;
};

struct rules_sync {
	struct rules_sync_conf conf;
	char base[1100];              /* <state_dir>/rules-sync */
	rules_sync_apply_fn apply;
	void *apply_ctx;
	struct tls_client *tls;
	struct tls_sign_key *pub;
	struct https_url url, sig_url;
	pthread_t thread;
	pthread_mutex_t lock;         /* what follows */
	pthread_cond_t cv;
	int stopping;
	struct current cur;
	int have_cur;
	uint64_t last_check_us, last_change_us;
	char result[16];              /* applied, unchanged, refused, failed; "" before */
	char error[600];              /* the last check's problem in words; "" */
	uint64_t checks, downloads, refused;
	/* the last .sig whose verdict does not change until it does: sent as
	 * If-None-Match / If-Modified-Since, so a refused bundle is neither
	 * downloaded nor logged again every interval */
	int seen;
	char seen_etag[200], seen_lm[64], seen_result[16], seen_error[600];
	/* the commit callback's argument */
	struct current pending;
};

/* ---- the state file ------------------------------------------------------------ */

static const char *const state_keys[] = {
	"dir", "version", "signed", "key-id", "etag", "last-modified", "sha256", "applied",
};

static int read_state(const char *base, struct current *c)
{
	char path[1200], line[400];
	FILE *f;

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "%s/state", base);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *v = strstr(line, ": ");
		if (!v)
			continue;
		*v = '\0';
		v += 2;
		v[strcspn(v, "\n")] = '\0';
		char *dst[] = { c->dir, c->version, c->signed_at, c->key_id, c->etag,
				c->last_modified, c->sha256 };
		size_t cap[] = { sizeof c->dir, sizeof c->version, sizeof c->signed_at,
				 sizeof c->key_id, sizeof c->etag, sizeof c->last_modified,
				 sizeof c->sha256 };
		for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
			if (strcmp(line, state_keys[i]) == 0)
				snprintf(dst[i], cap[i], "%s", v);
		if (strcmp(line, "applied") == 0)
			c->applied_us = strtoull(v, NULL, 10);
	}
	fclose(f);
	/* the directory's name is ours: set-<hex>; anything else is not used */
	if (strncmp(c->dir, "set-", 4) != 0 || strspn(c->dir + 4, "0123456789abcdef") !=
	    strlen(c->dir + 4) || !c->dir[4])
		return -1;
	return 0;
}

/* Write the state file (a new file renamed over the old, synced first). */
static int write_state(const char *base, const struct current *c)
{
	char path[1200], tmp[1200];
	FILE *f;

	snprintf(path, sizeof path, "%s/state", base);
	snprintf(tmp, sizeof tmp, "%s/state.new", base);
	if (!(f = fopen(tmp, "we")))
		return -1;
	fprintf(f, "dir: %s\nversion: %s\nsigned: %s\nkey-id: %s\netag: %s\nlast-modified: %s\n"
		"sha256: %s\napplied: %llu\n", c->dir, c->version, c->signed_at, c->key_id,
		c->etag, c->last_modified, c->sha256, (unsigned long long)c->applied_us);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	return rename(tmp, path);
}

int rules_sync_current_dir(const char *state_dir, char *dir, size_t dirlen)
{
	char base[1100], path[1200];
	struct current c;
	struct stat st;

	snprintf(base, sizeof base, "%s/rules-sync", state_dir);
	if (read_state(base, &c) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s", base, c.dir);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return -1;
	str_fmt(dir, dirlen, "%s", path);
	return 0;
}

/* ---- one check ------------------------------------------------------------------ */

/* The outcome of a check, for the status; logged when it differs from
 * the last one. final: the .sig answer this verdict belongs to (it holds
 * until that file changes), or NULL (a transient failure: try again). */
static void finish(struct rules_sync *s, const char *result, const struct https_answer *final,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void finish(struct rules_sync *s, const char *result, const struct https_answer *final,
		   const char *fmt, ...)
{
	char msg[600] = "";
	va_list ap;
	int same;

	if (fmt) {
		va_start(ap, fmt);
		str_vfmt(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&s->lock);
	same = strcmp(result, s->result) == 0 && strcmp(msg, s->error) == 0;
	snprintf(s->result, sizeof s->result, "%s", result);
	snprintf(s->error, sizeof s->error, "%s", msg);
	if (strcmp(result, "refused") == 0 && !same)
		s->refused++;
	if (final) {
		s->seen = 1;
		snprintf(s->seen_etag, sizeof s->seen_etag, "%s", final->etag);
		snprintf(s->seen_lm, sizeof s->seen_lm, "%s", final->last_modified);
		snprintf(s->seen_result, sizeof s->seen_result, "%s", result);
		snprintf(s->seen_error, sizeof s->seen_error, "%s", msg);
	}
	pthread_mutex_unlock(&s->lock);
	if (same)
		return;
	if (strcmp(result, "refused") == 0)
		log_error("rules_sync: bundle refused, the rules in force stay: %s", msg);
	else if (strcmp(result, "failed") == 0)
		log_warn("rules_sync: %s", msg);
}

/* Called by the daemon's apply under its reload lock, once the new set is
 * in force: the state file names it, the old directory goes. */
static void commit(void *arg)
{
	struct rules_sync *s = arg;
	char old[1200] = "";

	s->pending.applied_us = wall_us();
	if (write_state(s->base, &s->pending) < 0)
		log_error("rules_sync: %s/state: cannot write (%s); the set in force is not "
			  "remembered across a restart", s->base, strerror(errno));
	pthread_mutex_lock(&s->lock);
	if (s->have_cur && strcmp(s->cur.dir, s->pending.dir) != 0)
		snprintf(old, sizeof old, "%s/%s", s->base, s->cur.dir);
	s->cur = s->pending;
	s->have_cur = 1;
	s->last_change_us = s->pending.applied_us;
	pthread_mutex_unlock(&s->lock);
	if (old[0])
		tarball_remove_tree(old);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void check_once(struct rules_sync *s)
{
	struct https_answer sig = { 0 }, tar = { 0 };
	struct bundle_sig bs;
	struct current cur;
	char err[700], dir[1200], tmp[1200], msg[600];
	int have_cur, timeout_ms = (int)s->conf.timeout_s * 1000;

	char etag[200] = "", lm[64] = "", seen_result[16] = "", seen_error[600] = "";
	pthread_mutex_lock(&s->lock);
	s->checks++;
	s->last_check_us = wall_us();
	cur = s->cur;
	have_cur = s->have_cur;
	if (s->seen) {
		snprintf(etag, sizeof etag, "%s", s->seen_etag);
		snprintf(lm, sizeof lm, "%s", s->seen_lm);
		snprintf(seen_result, sizeof seen_result, "%s", s->seen_result);
		snprintf(seen_error, sizeof seen_error, "%s", s->seen_error);
	} else if (have_cur) {
		snprintf(etag, sizeof etag, "%s", cur.etag);
		snprintf(lm, sizeof lm, "%s", cur.last_modified);
	}
	pthread_mutex_unlock(&s->lock);

	if (https_get(s->tls, &s->sig_url, etag, lm, BUNDLE_SIG_MAX, timeout_ms, &sig, err,
		      sizeof err) < 0) {
		finish(s, "failed", NULL, "%s.sig: %s", s->conf.url, err);
		return;
	}
	if (sig.status == 304) {
		/* the .sig last seen: its verdict stands */
		if (strcmp(seen_result, "refused") == 0)
			finish(s, "refused", NULL, "%s", seen_error);
		else
			finish(s, "unchanged", NULL, NULL);
		return;
	}
	if (sig.status == 404) {
		finish(s, "refused", NULL, "%s.sig: not found (HTTP 404): an unsigned bundle is never "
		       "used", s->conf.url);
		goto out;
	}
	if (sig.status != 200) {
		finish(s, "failed", NULL, "%s.sig: HTTP status %d", s->conf.url, sig.status);
		goto out;
	}
	if (bundle_verify_sig(sig.body, sig.body_len, s->pub, &bs, err, sizeof err) < 0) {
		finish(s, "refused", &sig, "%s.sig: %s", s->conf.url, err);
		goto out;
	}
	char sha[65];
	hex(bs.sha256, 32, sha);
	if (have_cur && strcmp(sha, cur.sha256) == 0) {
		/* the same bundle (the server's validators changed): remember them */
		pthread_mutex_lock(&s->lock);
		snprintf(s->cur.etag, sizeof s->cur.etag, "%s", sig.etag);
		snprintf(s->cur.last_modified, sizeof s->cur.last_modified, "%s", sig.last_modified);
		cur = s->cur;
		pthread_mutex_unlock(&s->lock);
		write_state(s->base, &cur);
		finish(s, "unchanged", &sig, NULL);
		goto out;
	}
	if (have_cur && strcmp(bs.signed_at, cur.signed_at) < 0) {
		finish(s, "refused", &sig, "version %s was signed %s, before the set in force (%s, "
		       "signed %s): not going back", bs.version, bs.signed_at, cur.version,
		       cur.signed_at);
		goto out;
	}
	if (bs.size > s->conf.max_size) {
		finish(s, "refused", &sig, "the bundle is %llu bytes, over max_size (%llu)",
		       (unsigned long long)bs.size, (unsigned long long)s->conf.max_size);
		goto out;
	}
	if (https_get(s->tls, &s->url, NULL, NULL, (size_t)s->conf.max_size, timeout_ms, &tar,
		      err, sizeof err) < 0 || tar.status != 200) {
		if (tar.status && tar.status != 200)
			snprintf(err, sizeof err, "HTTP status %d", tar.status);
		finish(s, "failed", NULL, "%s: %s", s->conf.url, err);
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	s->downloads++;
	pthread_mutex_unlock(&s->lock);
	snprintf(tmp, sizeof tmp, "%s/new-XXXXXX", s->base);
	if (!mkdtemp(tmp)) {
		finish(s, "failed", NULL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (bundle_open(sig.body, sig.body_len, tar.body, tar.body_len, s->pub, tmp, &bs, err,
			sizeof err) < 0) {
		tarball_remove_tree(tmp);
		finish(s, "refused", NULL, "%s: %s", s->conf.url, err);
		goto out;
	}
	memset(&s->pending, 0, sizeof s->pending);
	snprintf(s->pending.dir, sizeof s->pending.dir, "set-%.16s", sha);
	snprintf(dir, sizeof dir, "%s/%s", s->base, s->pending.dir);
	if (have_cur && strcmp(cur.dir, s->pending.dir) == 0) {
		tarball_remove_tree(tmp);      /* cannot happen unless SHA-256 collides */
		finish(s, "failed", NULL, "%s: a set named %s is in force already", s->conf.url, dir);
		goto out;
	}
	tarball_remove_tree(dir);          /* left by an earlier refusal or a crash */
	if (rename(tmp, dir) < 0) {
		tarball_remove_tree(tmp);
		finish(s, "failed", NULL, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(s->pending.version, sizeof s->pending.version, "%s", bs.version);
	snprintf(s->pending.signed_at, sizeof s->pending.signed_at, "%s", bs.signed_at);
	snprintf(s->pending.key_id, sizeof s->pending.key_id, "%s", bs.key_id);
	snprintf(s->pending.etag, sizeof s->pending.etag, "%s", sig.etag);
	snprintf(s->pending.last_modified, sizeof s->pending.last_modified, "%s",
		 sig.last_modified);
	snprintf(s->pending.sha256, sizeof s->pending.sha256, "%s", sha);
	msg[0] = '\0';
	if (s->apply(s->apply_ctx, dir, commit, s, msg, sizeof msg) < 0) {
		tarball_remove_tree(dir);
		finish(s, "refused", &sig, "version %s: %s", bs.version, msg);
		goto out;
	}
	log_info("rules_sync: version %s (signed %s by key %s) in force", bs.version,
		 bs.signed_at, bs.key_id);
	finish(s, "applied", &sig, NULL);
out:
	https_answer_free(&sig);
	https_answer_free(&tar);
}

/* ---- the thread ----------------------------------------------------------------- */

static void *sync_main(void *arg)
{
	struct rules_sync *s = arg;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		int stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		check_once(s);
		struct timespec until = timespec_in_ms(1, (uint64_t)s->conf.interval_s * 1000);
		pthread_mutex_lock(&s->lock);
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->cv, &s->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* Remove what a crash or a refusal left here: everything but the state
 * file and the set in force. */
static void tidy(struct rules_sync *s)
{
	char path[1400];
	DIR *d = opendir(s->base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "state") == 0 ||
		    (s->have_cur && strcmp(e->d_name, s->cur.dir) == 0))
			continue;
		snprintf(path, sizeof path, "%s/%s", s->base, e->d_name);
		tarball_remove_tree(path);
	}
	closedir(d);
}

struct rules_sync *rules_sync_start(const struct rules_sync_conf *c, const char *state_dir,
				    rules_sync_apply_fn apply, void *ctx, char *err,
				    size_t errlen)
{
	struct rules_sync *s = calloc(1, sizeof *s);
	char why[600], sig_url[1100];
	pthread_condattr_t ca;

	if (!s) {
		str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = *c;
	s->apply = apply;
	s->apply_ctx = ctx;
	snprintf(s->base, sizeof s->base, "%s/rules-sync", state_dir);
	snprintf(sig_url, sizeof sig_url, "%s.sig", c->url);
	if (https_parse_url(c->url, &s->url, why, sizeof why) < 0 ||
	    https_parse_url(sig_url, &s->sig_url, why, sizeof why) < 0) {
		str_fmt(err, errlen, "[rules_sync] url: %s", why);
		free(s);
		return NULL;
	}
	struct tls_client_config tc = {
		.ca_file = c->ca, .cert_file = c->cert, .key_file = c->key, .pin = c->pin,
		.proxy = c->proxy, .connect_timeout_ms = (int)c->connect_timeout_s * 1000,
		.io_timeout_ms = (int)c->timeout_s * 1000,
	};
	if (!(s->pub = tls_sign_key_load(c->public_key, 0, why, sizeof why)) ||
	    !(s->tls = tls_client_new(&tc, why, sizeof why))) {
		str_fmt(err, errlen, "[rules_sync]: %s", why);
		tls_sign_key_free(s->pub);
		free(s);
		return NULL;
	}
	if (mkdir(s->base, 0750) < 0 && errno != EEXIST) {
		str_fmt(err, errlen, "[rules_sync]: %s: %s", s->base, strerror(errno));
		goto fail;
	}
	s->have_cur = rules_sync_current_dir(state_dir, why, sizeof why) == 0 &&
		      read_state(s->base, &s->cur) == 0;
	if (!s->have_cur)
		memset(&s->cur, 0, sizeof s->cur);
	s->last_change_us = s->cur.applied_us;
	tidy(s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->thread, NULL, sync_main, s) != 0) {
		str_fmt(err, errlen, "[rules_sync]: cannot start its thread");
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->lock);
		goto fail;
	}
	return s;
fail:
	tls_client_free(s->tls);
	tls_sign_key_free(s->pub);
	free(s);
	return NULL;
}

void rules_sync_stop(struct rules_sync *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->lock);
	tls_client_free(s->tls);
	tls_sign_key_free(s->pub);
	free(s);
}

void rules_sync_version(struct rules_sync *s, char *out, size_t len)
{
	pthread_mutex_lock(&s->lock);
	str_fmt(out, len, "%s", s->have_cur ? s->cur.version : "");
	pthread_mutex_unlock(&s->lock);
}

/* A time in microseconds since the epoch, null for none. */
static void kus(struct json *j, const char *key, uint64_t us)
{
	json_key(j, key);
	if (us)
		json_u64(j, us);
	else
		json_null(j);
}

static void kstr_or_null(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	if (v && *v)
		json_str(j, v);
	else
		json_null(j);
}

void rules_sync_json(struct rules_sync *s, struct json *j)
{
	if (!s) {
		json_null(j);
		return;
	}
	pthread_mutex_lock(&s->lock);
	json_obj_begin(j);
	json_kstr(j, "url", s->conf.url);
	/* in words: what the page shows first */
	json_kstr(j, "state", !s->result[0] ? "checking"
		  : strcmp(s->result, "refused") == 0 ? "refused"
		  : strcmp(s->result, "failed") == 0 ? "unreachable"
		  : s->have_cur ? "current" : "no bundle yet");
	kstr_or_null(j, "version", s->have_cur ? s->cur.version : NULL);
	kstr_or_null(j, "signed", s->have_cur ? s->cur.signed_at : NULL);
	kstr_or_null(j, "key_id", s->have_cur ? s->cur.key_id : NULL);
	kstr_or_null(j, "etag", s->have_cur ? s->cur.etag : NULL);
	kstr_or_null(j, "last_modified", s->have_cur ? s->cur.last_modified : NULL);
	kus(j, "applied_us", s->have_cur ? s->cur.applied_us : 0);
	kus(j, "last_check_us", s->last_check_us);
	kstr_or_null(j, "last_result", s->result);
	kstr_or_null(j, "last_error", s->error);
	json_ku64(j, "checks", s->checks);
	json_ku64(j, "downloads", s->downloads);
	json_ku64(j, "refused", s->refused);
	json_ku64(j, "interval_s", s->conf.interval_s);
	json_obj_end(j);
	pthread_mutex_unlock(&s->lock);
}
