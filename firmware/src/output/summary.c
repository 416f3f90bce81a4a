/*
 * summary.c - the interval summary (see summary.h).
 *
 * Bytes are attributed to the interval in which a flow record is written
 * (a flow's end, or an active-timeout checkpoint, whose counters are the
 * delta since the previous record), so a long flow's bytes are spread over
 * the intervals of its checkpoints. Counting is exact up to the table
 * bounds; top lists are the N largest, ties by name.
 */
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tally {
	char key[64];             /* app name, host address, "gid:sid" */
	char text[120];           /* signature text (alerts) */
	uint64_t bytes, count;
	int flag;                 /* host: in home_net; alert: severity */
	int used;
};

struct table {
	struct tally *t;          /* SUMMARY_MAX_KEYS slots */
	int n;
	uint64_t other_bytes, other_count;   /* what did not fit */
};

struct summary {
	int top_n;
	const struct homenet *home;
	struct table apps, hosts, sigs;
	uint64_t flows, packets, bytes;
	uint64_t alerts, by_sev[4];
	/* home hosts seen since the start (hashes; bounded) */
	uint64_t *seen;
	int n_seen;
	uint64_t seen_untracked;
	char new_hosts[16][46];
	int n_new;
	uint64_t new_total;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

/* The tally of key, or NULL when the table is full (then "other"). */
static struct tally *tally_get(struct table *tb, const char *key)
{
	uint64_t h = hash_str(key);
	for (int i = 0; i < SUMMARY_MAX_KEYS; i++) {
		struct tally *e = &tb->t[(h + (uint64_t)i) % SUMMARY_MAX_KEYS];
		if (!e->used) {
			if (tb->n >= SUMMARY_MAX_KEYS * 3 / 4)
				return NULL;
			e->used = 1;
			snprintf(e->key, sizeof e->key, "%s", key);
			tb->n++;
			return e;
		}
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

static void table_reset(struct table *tb)
{
	memset(tb->t, 0, sizeof *tb->t * SUMMARY_MAX_KEYS);
	tb->n = 0;
	tb->other_bytes = tb->other_count = 0;
}

struct summary *summary_new(int top_n, const struct homenet *home)
{
	struct summary *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->top_n = top_n > 0 ? top_n : 10;
	s->home = home;
	s->apps.t = calloc(SUMMARY_MAX_KEYS, sizeof(struct tally));
	s->hosts.t = calloc(SUMMARY_MAX_KEYS, sizeof(struct tally));
	s->sigs.t = calloc(SUMMARY_MAX_KEYS, sizeof(struct tally));
	s->seen = calloc(SUMMARY_MAX_HOSTS_SEEN, sizeof(uint64_t));
	if (!s->apps.t || !s->hosts.t || !s->sigs.t || !s->seen) {
		summary_free(s);
		return NULL;
	}
	return s;
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	free(s->apps.t);
	free(s->hosts.t);
	free(s->sigs.t);
	free(s->seen);
	free(s);
}

/* A home host: note it if it was never seen before. */
static void host_seen(struct summary *s, const char *ip)
{
	uint64_t h = hash_str(ip);
	for (int i = 0; i < SUMMARY_MAX_HOSTS_SEEN; i++) {
		uint64_t *e = &s->seen[(h + (uint64_t)i) % SUMMARY_MAX_HOSTS_SEEN];
		if (*e == h)
			return;
		if (*e == 0) {
			if (s->n_seen >= SUMMARY_MAX_HOSTS_SEEN * 3 / 4) {
				s->seen_untracked++;
				return;
			}
			*e = h;
			s->n_seen++;
			s->new_total++;
			if (s->n_new < 16)
				snprintf(s->new_hosts[s->n_new++], sizeof s->new_hosts[0], "%s", ip);
			return;
		}
	}
}

static void add_host(struct summary *s, const char *ip, const uint8_t addr[16], uint64_t bytes)
{
	struct tally *e;
	int home;

	if (!ip[0])
		return;
	home = s->home && homenet_contains(s->home, addr);
	if (home)
		host_seen(s, ip);
	if ((e = tally_get(&s->hosts, ip))) {
		e->bytes += bytes;
		e->count++;
		e->flag = home;
	} else {
		s->hosts.other_bytes += bytes;
		s->hosts.other_count++;
	}
}

void summary_flow(struct summary *s, const struct flow_record *r)
{
	uint64_t bytes = r->bytes_toserver + r->bytes_toclient;
	struct tally *e;

	if (!r->interim)
		s->flows++;
	s->packets += r->pkts_toserver + r->pkts_toclient;
	s->bytes += bytes;
	if ((e = tally_get(&s->apps, r->app_proto && r->app_proto[0] ? r->app_proto : "unknown"))) {
		e->bytes += bytes;
		e->count += !r->interim;
	} else {
		s->apps.other_bytes += bytes;
		s->apps.other_count += !r->interim;
	}
	add_host(s, r->src_ip, r->src_addr, bytes);
	add_host(s, r->dest_ip, r->dest_addr, bytes);
}

void summary_alert(struct summary *s, const struct alert *a)
{
	char key[64];
	int sev = a->severity >= 1 && a->severity <= 3 ? a->severity : 3;
	struct tally *e;

	s->alerts++;
	s->by_sev[sev]++;
	if (a->engine == ALERT_DETECTOR && a->detector)
		snprintf(key, sizeof key, "detector:%s", a->detector);
	else
		snprintf(key, sizeof key, "%u:%u", a->gid, a->sid);
	if ((e = tally_get(&s->sigs, key))) {
		e->count++;
		e->flag = sev;
		if (!e->text[0])
			snprintf(e->text, sizeof e->text, "%s", a->signature ? a->signature : "");
	} else {
		s->sigs.other_count++;
	}
}

/* Sort helpers: larger first, then by key. */
static int by_bytes(const void *x, const void *y)
{
	const struct tally *a = *(const struct tally *const *)x, *b = *(const struct tally *const *)y;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int by_count(const void *x, const void *y)
{
	const struct tally *a = *(const struct tally *const *)x, *b = *(const struct tally *const *)y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* The table's entries, sorted; returns how many. */
static int sorted(struct table *tb, struct tally **out, int (*cmp)(const void *, const void *))
{
	int n = 0;
	for (int i = 0; i < SUMMARY_MAX_KEYS; i++)
		if (tb->t[i].used)
			out[n++] = &tb->t[i];
	qsort(out, (size_t)n, sizeof *out, cmp);
	return n;
}

void summary_render(struct summary *s, struct json *j, uint64_t start_us, uint64_t end_us,
		    const struct summary_health *h)
{
	static struct tally *list[SUMMARY_MAX_KEYS];   /* writer thread only */
	char ts[JSON_TS_LEN];
	uint64_t secs = end_us > start_us ? (end_us - start_us) / 1000000 : 0;
	int n;

	json_format_ts(ts, start_us);
	json_kstr(j, "start", ts);
	json_format_ts(ts, end_us);
	json_kstr(j, "end", ts);
	json_ku64(j, "seconds", secs);

	json_key(j, "traffic");
	json_obj_begin(j);
	json_ku64(j, "packets", s->packets);
	json_ku64(j, "bytes", s->bytes);
	json_ku64(j, "flows", s->flows);
	json_key(j, "bps");
	json_double(j, secs ? s->bytes * 8.0 / (double)secs : 0, 0);
	json_key(j, "flows_per_s");
	json_double(j, secs ? (double)s->flows / (double)secs : 0, 2);
	json_obj_end(j);

	json_key(j, "apps");
	json_arr_begin(j);
	n = sorted(&s->apps, list, by_bytes);
	for (int i = 0; i < n && i < s->top_n; i++) {
		json_obj_begin(j);
		json_kstr(j, "app", list[i]->key);
		json_ku64(j, "bytes", list[i]->bytes);
		json_ku64(j, "flows", list[i]->count);
		json_obj_end(j);
	}
	json_arr_end(j);

	json_key(j, "talkers");
	json_arr_begin(j);
	n = sorted(&s->hosts, list, by_bytes);
	for (int i = 0; i < n && i < s->top_n; i++) {
		json_obj_begin(j);
		json_kstr(j, "ip", list[i]->key);
		json_ku64(j, "bytes", list[i]->bytes);
		json_kbool(j, "home", list[i]->flag);
		json_obj_end(j);
	}
	json_arr_end(j);

	json_key(j, "alerts");
	json_obj_begin(j);
	json_ku64(j, "total", s->alerts);
	json_key(j, "by_severity");
	json_obj_begin(j);
	json_ku64(j, "1", s->by_sev[1]);
	json_ku64(j, "2", s->by_sev[2]);
	json_ku64(j, "3", s->by_sev[3]);
	json_obj_end(j);
	json_key(j, "top");
	json_arr_begin(j);
	n = sorted(&s->sigs, list, by_count);
	for (int i = 0; i < n && i < s->top_n; i++) {
		json_obj_begin(j);
		json_kstr(j, "id", list[i]->key);
		json_kstr(j, "signature", list[i]->text);
		json_ku64(j, "severity", (uint64_t)list[i]->flag);
		json_ku64(j, "count", list[i]->count);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);

	json_key(j, "new_hosts");
	json_obj_begin(j);
	json_ku64(j, "count", s->new_total);
	json_key(j, "first");
	json_arr_begin(j);
	for (int i = 0; i < s->n_new; i++)
		json_str(j, s->new_hosts[i]);
	json_arr_end(j);
	json_obj_end(j);

	json_key(j, "health");
	json_obj_begin(j);
	json_kstr(j, "version", VIGIL_VERSION);
	json_ku64(j, "uptime_s", h->uptime_s);
	if (h->rules_version && h->rules_version[0])
		json_kstr(j, "rules_version", h->rules_version);
	json_kstr(j, "clock", h->clock ? h->clock : "unknown");
	if (h->st) {
		json_ku64(j, "packets_total", h->st->packets);
		json_ku64(j, "kernel_drops", h->st->kernel_drops);
		json_ku64(j, "decode_errors", h->st->decode_errors_total);
		json_ku64(j, "flows_evicted", h->st->flows_evicted);
		json_ku64(j, "flow_alloc_failed", h->st->flow_alloc_failed);
	}
	json_ku64(j, "database_bytes", h->db_bytes);
	if (h->disk_free_bytes)
		json_ku64(j, "disk_free_bytes", h->disk_free_bytes);
	json_key(j, "outbox");
	json_obj_begin(j);
	json_ku64(j, "events", h->outbox_events);
	json_key(j, "dropped");
	json_obj_begin(j);
	json_ku64(j, "alerts", h->outbox_dropped[0]);
	json_ku64(j, "summaries", h->outbox_dropped[1]);
	json_ku64(j, "flows", h->outbox_dropped[2]);
	json_obj_end(j);
	json_obj_end(j);
	if (s->apps.other_count || s->hosts.other_count || s->sigs.other_count || s->seen_untracked) {
		json_key(j, "untallied");   /* what the bounded tables could not hold */
		json_obj_begin(j);
		json_ku64(j, "app_flows", s->apps.other_count);
		json_ku64(j, "host_flows", s->hosts.other_count);
		json_ku64(j, "alerts", s->sigs.other_count);
		json_ku64(j, "hosts_not_tracked", s->seen_untracked);
		json_obj_end(j);
	}
	json_obj_end(j);

	table_reset(&s->apps);
	table_reset(&s->hosts);
	table_reset(&s->sigs);
	s->flows = s->packets = s->bytes = s->alerts = 0;
	memset(s->by_sev, 0, sizeof s->by_sev);
	s->n_new = 0;
	s->new_total = 0;
	s->seen_untracked = 0;
}
