/*
 * detect.c - the detect stage (see detect.h).
 */
#include "detect.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>

struct detect {
	struct ruleset *rs;
	alert_fn out;
	void *ctx;
	uint64_t last_expire_s;
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
	sig_match_flow(d->rs->sigs, rec, now_us, detect_alert, d);
	ioc_match_flow(d->rs->iocs, rec, now_us, detect_alert, d);
	return d->raised;
}

int detect_flow_behav(struct detect *d, const struct flow_record *rec)
{
	uint64_t now_s = rec->end_us / US_PER_S;

	d->raised = 0;
	if (now_s > d->last_expire_s) {
		behav_expire(d->rs->behav, rec->end_us);
		d->last_expire_s = now_s;
	}
	behav_flow(d->rs->behav, rec, detect_alert, d);
	return d->raised;
}

/* The stage's own counters and the drops of the set's bounded tables. */
void detect_get_counters(const struct detect *d, struct detect_counters *out)
{
	struct sig_counters sc;
	struct behav_counters bc;

	*out = d->c;
	sig_get_counters(d->rs->sigs, &sc);
	behav_get_counters(d->rs->behav, &bc);
	out->threshold_evicted = sc.threshold_evicted;
	out->detector_dropped = bc.dropped;
}
