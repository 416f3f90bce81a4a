/*
 * detect.c - the detect stage (see detect.h).
 */
#include "detect.h"

#include "detect_http.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct detect {
	struct ruleset *rs;
	alert_fn out;
	void *ctx;
	int raised;              /* alerts passed on during the current call */
	struct detect_counters c;
	/* per suppress.conf entry (the set's order): alerts silenced since
	 * detect_take_silenced, and the newest one's packet time */
	int n_sup;
	uint64_t *sil_n, *sil_last_us;
};

struct detect *detect_new(struct ruleset *rs, alert_fn out, void *ctx)
{
	struct detect *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->rs = rs;
	d->out = out;
	d->ctx = ctx;
	d->n_sup = suppress_count(ruleset_suppressions(rs));
	if (d->n_sup > 0) {
		d->sil_n = calloc((size_t)d->n_sup, sizeof *d->sil_n);
		d->sil_last_us = calloc((size_t)d->n_sup, sizeof *d->sil_last_us);
		if (!d->sil_n || !d->sil_last_us) {
			detect_free(d);
			return NULL;
		}
	}
	return d;
}

void detect_free(struct detect *d)
{
	if (!d)
		return;
	free(d->sil_n);
	free(d->sil_last_us);
	free(d);
}

/* Every engine's alerts pass here: suppression, counting, then out. */
static void detect_alert(void *ctx, const struct alert *a)
{
	struct detect *d = ctx;
	int i = d->n_sup ? suppress_which(ruleset_suppressions(d->rs), a, (int64_t)time(NULL)) : -1;
	if (i >= 0) {
		d->c.suppressed++;
		if (i < d->n_sup) {
			d->sil_n[i]++;
			if (a->ts_us > d->sil_last_us[i])
				d->sil_last_us[i] = a->ts_us;
		}
		return;
	}
	if (a->engine >= 0 && a->engine < 3)
		d->c.alerts[a->engine]++;
	d->raised++;
	d->out(d->ctx, a);
}

int detect_flow_rules(struct detect *d, const struct flow_record *rec, uint64_t now_us)
{
	d->raised = 0;
	d->c.flows_evaluated++;
	ruleset_match_rules(d->rs, rec, now_us, detect_alert, d);
	return d->raised;
}

int detect_flow_window(struct detect *d, const struct flow_record *rec,
		       const struct flow_window *win, uint64_t now_us)
{
	d->raised = 0;
	ruleset_match_window(d->rs, rec, win, now_us, detect_alert, d);
	return d->raised;
}

int detect_wants_window(const struct detect *d, uint8_t proto)
{
	return d && ruleset_window_rules(d->rs) > 0 && ruleset_window_proto(d->rs, proto);
}

int detect_window_applies(const struct detect *d)
{
	return ruleset_window_applies(d->rs);
}

int detect_window_ready(const struct flow_window *win)
{
	return http_window_ready(win);
}

int detect_flow_behav(struct detect *d, const struct flow_record *rec)
{
	d->raised = 0;
	ruleset_match_behav(d->rs, rec, detect_alert, d);
	return d->raised;
}

int detect_take_silenced(struct detect *d, struct suppress_tally *out, int max)
{
	const struct suppress *s;
	int n = 0;

	if (!d || !d->n_sup)
		return 0;
	s = ruleset_suppressions(d->rs);
	for (int i = 0; i < d->n_sup && n < max; i++) {
		if (!d->sil_n[i])
			continue;
		out[n].key = suppress_entry(s, i)->key;
		out[n].n = d->sil_n[i];
		out[n].last_us = d->sil_last_us[i];
		d->sil_n[i] = d->sil_last_us[i] = 0;
		n++;
	}
	return n;
}

/* The stage's own counters and the drops of the set's bounded tables. */
void detect_get_counters(const struct detect *d, struct detect_counters *out)
{
	*out = d->c;
	ruleset_table_drops(d->rs, &out->threshold_evicted, &out->detector_dropped);
}
