/*
 * alert.c - alert helpers (see alert.h).
 */
#include "alert.h"

#include <stdlib.h>
#include <string.h>

/* Bytes alert_dup needs for string s. */
static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copy s into the block at *p; NULL stays NULL. */
static const char *scopy(char **p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = *p;
	memcpy(d, s, n);
	*p += n;
	return d;
}

struct alert *alert_dup(const struct alert *a)
{
	size_t total = sizeof *a;
	total += slen(a->signature) + slen(a->classtype) + slen(a->category) +
		 slen(a->detector) + slen(a->ioc_kind) + slen(a->ioc_indicator) +
		 slen(a->ioc_list) + slen(a->ioc_description) + slen(a->rule_text) +
		 slen(a->app_proto);
	for (int i = 0; i < a->n_references && i < ALERT_MAX_REFS; i++)
		total += slen(a->references[i]);
	for (int i = 0; i < a->n_meta && i < ALERT_MAX_META; i++)
		total += slen(a->meta[i].key) + slen(a->meta[i].value);
	size_t flen = a->flow ? flow_record_strings_len(a->flow) : 0;
	if (a->flow)
		total += sizeof(struct flow_record) + flen;

	struct alert *c = malloc(total);
	if (!c)
		return NULL;
	*c = *a;
	c->community_id = NULL;      /* the web export's own, not copied */
	c->stored_flow = NULL;
	char *p = (char *)(c + 1);
	if (a->flow) {
		/* the record first: it is the only member that needs alignment */
		struct flow_record *fr = (struct flow_record *)(void *)p;
		p += sizeof *fr;
		flow_record_copy(fr, a->flow, p, flen);
		p += flen;
		c->flow = fr;
	}
	c->signature = scopy(&p, a->signature);
	c->classtype = scopy(&p, a->classtype);
	c->category = scopy(&p, a->category);
	c->detector = scopy(&p, a->detector);
	c->ioc_kind = scopy(&p, a->ioc_kind);
	c->ioc_indicator = scopy(&p, a->ioc_indicator);
	c->ioc_list = scopy(&p, a->ioc_list);
	c->ioc_description = scopy(&p, a->ioc_description);
	c->rule_text = scopy(&p, a->rule_text);
	c->app_proto = scopy(&p, a->app_proto);
	for (int i = 0; i < a->n_references && i < ALERT_MAX_REFS; i++)
		c->references[i] = scopy(&p, a->references[i]);
	for (int i = 0; i < a->n_meta && i < ALERT_MAX_META; i++) {
		c->meta[i].key = scopy(&p, a->meta[i].key);
		c->meta[i].value = scopy(&p, a->meta[i].value);
	}
	return c;
}

/* A key's values go into the list of its first appearance; later pairs
 * with the same key add to it (ALERT_MAX_META pairs: quadratic is fine). */
void alert_meta_json(const struct alert *a, struct json *j)
{
	int n = a->n_meta < ALERT_MAX_META ? a->n_meta : ALERT_MAX_META;

	json_obj_begin(j);
	for (int i = 0; i < n; i++) {
		const char *key = a->meta[i].key;
		int seen = 0;

		if (!key)
			continue;
		for (int k = 0; k < i && !seen; k++)
			seen = a->meta[k].key && strcmp(a->meta[k].key, key) == 0;
		if (seen)
			continue;
		json_key(j, key);
		json_arr_begin(j);
		for (int k = i; k < n; k++)
			if (a->meta[k].key && strcmp(a->meta[k].key, key) == 0)
				json_str(j, a->meta[k].value ? a->meta[k].value : "");
		json_arr_end(j);
	}
	json_obj_end(j);
}
