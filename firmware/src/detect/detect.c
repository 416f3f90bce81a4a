/*
 * detect.c - the detect stage (see detect.h).
 */
#include "detect.h"

#include "detect_http.h"

#include <stdlib.h>
#include <string.h>

struct detect {
	struct ruleset *rs;
	alert_fn out;
	void *ctx;
	int raised;              /* alerts passed on during the current call */
	struct detect_counters c;
};

struct detect *detect_new(struct ruleset *rs, alert_fn out, void *ctx)
{
	struct detect *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->rs = rs;
	d->out = out;
	d->ctx = ctx;
	return d;
}

void detect_free(struct detect *d)
{
	free(d);
}

/* Every engine's alerts pass here: suppression, counting, then out. */
static void detect_alert(void *ctx, const struct alert *a)
{
	struct detect *d = ctx;
	if (ruleset_suppressed(d->rs, a)) {
		d->c.suppressed++;
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

/* The stage's own counters and the drops of the set's bounded tables. */
void detect_get_counters(const struct detect *d, struct detect_counters *out)
{
	*out = d->c;
	ruleset_table_drops(d->rs, &out->threshold_evicted, &out->detector_dropped);
}
