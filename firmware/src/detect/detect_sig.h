/*
 * detect_sig.h - signatures: Suricata's rule syntax, evaluated on flows.
 *
 * Owns: parsing *.rules files (header, options, variables $HOME_NET and
 * $EXTERNAL_NET, the classification table), matching a rule against a
 * flow record once the flow's classification is final, and the per-rule
 * threshold / detection_filter state (packet time).
 *
 * A rule is evaluated once per flow against its initiator (src) and
 * responder (dest); "<>" also tries the reverse orientation. Rules that
 * read the flow's payload window (pkt_data, file.data, filemagic, the
 * HTTP request and response buffers) are evaluated once the window is
 * ready, the others as soon as the classification is final. A rule with a
 * keyword vigil does not support is reported by name and skipped whole.
 */
#ifndef VIGIL_DETECT_SIG_H
#define VIGIL_DETECT_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "flow/flow_record.h"
#include "flow/flow_payload.h"
#include "core/homenet.h"

struct sig_set;

/* home: $HOME_NET; $EXTERNAL_NET is its complement. */
struct sig_set *sig_set_new(const struct homenet *home);
void sig_set_free(struct sig_set *s);

/* Load a classification.config (lines "config classification:
 * name,description,priority"); the built-in table is used otherwise and
 * entries of a file override it. Returns entries read, -1 if the file
 * cannot be read. Problems go to problem(). */
int sig_load_classification(struct sig_set *s, const char *path,
			    rule_problem_fn problem, void *ctx);

/* Load one .rules file. Returns the number of rules loaded; every bad or
 * unsupported rule is reported through problem() and skipped; -1 if the
 * file cannot be read. */
int sig_load_file(struct sig_set *s, const char *path, rule_problem_fn problem, void *ctx);

size_t sig_count(const struct sig_set *s);

/* Evaluate every rule against one flow (call once per flow). now_us is the
 * packet time for thresholds. Each matching rule that passes its
 * threshold produces one alert through cb. Returns alerts produced.
 * Not reentrant for one set (threshold state, pcre scratch space). */
int sig_match_flow(struct sig_set *s, const struct flow_record *rec, uint64_t now_us,
		   alert_fn cb, void *ctx);

/* The same for one phase of a flow's rules: SIG_PHASE_META the rules that
 * read flow metadata only (when the classification is final),
 * SIG_PHASE_WINDOW those that read the payload window (once it is ready),
 * SIG_PHASE_ALL both (sig_match_flow; a flow that ends undecided). win
 * is the flow's payload window, NULL when there is none (the HTTP
 * buffers then come from what nDPI extracted, pkt_data, file.data and
 * filemagic have no value). */
enum { SIG_PHASE_ALL, SIG_PHASE_META, SIG_PHASE_WINDOW };
int sig_match_flow_phase(struct sig_set *s, const struct flow_record *rec,
			 const struct flow_window *win, int phase, uint64_t now_us,
			 alert_fn cb, void *ctx);

/* Rules that read the payload window (0: the window need not be kept). */
int sig_window_rules(const struct sig_set *s);

/* After a SIG_PHASE_META call: 1 if some rule that reads the payload
 * window may apply to that flow (its protocol, addresses, ports,
 * application and risks allow it); when none does, the flow's window need
 * not wait. */
int sig_window_applies(const struct sig_set *s);

/* 1 if a rule that reads the payload window may apply to flows of this IP
 * protocol (rules on "http" count as TCP): else keep no window for them. */
int sig_window_proto(const struct sig_set *s, uint8_t proto);

/* Threshold / detection_filter state: keys tracked now, and keys dropped
 * (with their counts) because the table was full. */
struct sig_counters {
	uint64_t threshold_tracked;
	uint64_t threshold_evicted;
};

void sig_get_counters(const struct sig_set *s, struct sig_counters *out);

#endif
