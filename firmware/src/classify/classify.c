/*
 * classify.c - nDPI 4.2 application detection (see classify.h).
 *
 * Per flow the classifier holds either
 *   - a struct cls_live: nDPI's flow state (~700 bytes) while detection or
 *     extra dissection (TLS certificate, JA3S, ...) is still possible, or
 *   - a struct cls_done: the small result (ids, risks, a few strings packed
 *     in one allocation) once the flow is decided.
 * The switch happens as soon as nDPI has nothing more to say, which is what
 * keeps a sensor with hundreds of thousands of flows within a small board's
 * memory. The rules for "decided" follow Debian's ndpiReader 4.2 so both
 * name the same application for the same packets: a protocol was found and
 * no extra dissection is possible, or 24 UDP / 80 TCP packets were fed; an
 * undecided flow is given up with port/IP guessing when it ends.
 */
#include "classify.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#define MAX_UDP_PKTS 24
#define MAX_TCP_PKTS 80

enum { CLS_LIVE = 1, CLS_DONE = 2, CLS_PENDING = 3 };

/* Header-only TCP packets held before nDPI state is allocated. */
#define PENDING_MAX 4
#define PENDING_MAX_HDR 128

/* String slots of a decided flow, in the order they are packed. */
enum {
	S_NAME, S_SNI, S_JA3, S_JA3S, S_DNS, S_HOST, S_UA, S_SHA1,
	S_URL, S_CTYPE, S_DNSADDR, S_ISSUER, S_SUBJECT, S_ALPN,
	S_SSHC, S_SSHS, S_HASSHC, S_HASSHS, S_DHCPVC, S_DHCPHOST, S__COUNT
};

struct cls_live {
	uint8_t kind;                 /* CLS_LIVE */
	uint8_t proto;                /* L4 protocol */
	uint16_t fed;                 /* packets given to nDPI */
	ndpi_protocol last;           /* nDPI's latest answer */
	struct ndpi_flow_struct *nf;
};

struct cls_pending {
	uint8_t kind;                 /* CLS_PENDING */
	uint8_t proto;
	uint8_t n;                    /* packets held */
	uint8_t pad;
	uint16_t len[PENDING_MAX];
	uint64_t ts_us[PENDING_MAX];
	uint8_t data[];               /* the IP packets, back to back */
};

struct cls_done {
	uint8_t kind;                 /* CLS_DONE */
	uint8_t guessed;
	uint8_t confidence;           /* ndpi_confidence_t */
	uint8_t pad;
	uint16_t master, app;
	uint16_t dns_qtype;
	uint16_t pad2;
	uint32_t category;            /* ndpi_protocol_category_t */
	uint64_t risk;
	/* protocol details for the EVE protocol events */
	uint16_t http_status, dns_rsp_type, tls_version;
	uint8_t http_method, http_version, dns_answered, dns_rcode, dns_answers;
	uint32_t tls_notbefore, tls_notafter;
	uint16_t off[S__COUNT];       /* offset into s[], 0xFFFF = absent */
	char s[];
};

struct classifier {
	struct ndpi_detection_module_struct *ndpi;
	char **names;                 /* nDPI's protocol names by id */
	char **lower_names;           /* the same in lowercase */
	unsigned n_names;
	uint32_t flow_size;
	struct classify_counters c;
};

struct classifier *classifier_new(char *err, size_t errlen)
{
	struct classifier *c = calloc(1, sizeof *c);
	NDPI_PROTOCOL_BITMASK all;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->ndpi) {
		snprintf(err, errlen, "nDPI initialisation failed");
		free(c);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
	ndpi_finalize_initialization(c->ndpi);
	c->flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();

	/* app_proto is the lowercase nDPI name: precompute them once. */
	c->n_names = ndpi_get_num_supported_protocols(c->ndpi);
	c->lower_names = calloc(c->n_names, sizeof *c->lower_names);
	c->names = calloc(c->n_names, sizeof *c->names);
	if (!c->lower_names || !c->names) {
		classifier_free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < c->n_names; i++) {
		const char *n = ndpi_get_proto_name(c->ndpi, (u_int16_t)i);
		c->names[i] = strdup(n ? n : "Unknown");
		char *l = strdup(n ? n : "unknown");
		if (!l)
			continue;
		for (char *p = l; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		c->lower_names[i] = l;
	}
	return c;
}

void classifier_free(struct classifier *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n_names; i++) {
		if (c->lower_names)
			free(c->lower_names[i]);
		if (c->names)
			free(c->names[i]);
	}
	free(c->lower_names);
	free(c->names);
	if (c->ndpi)
		ndpi_exit_detection_module(c->ndpi);
	free(c);
}

uint32_t classify_ndpi_flow_size(void)
{
	return ndpi_detection_get_sizeof_ndpi_flow_struct();
}

/* nDPI's "MASTER.APP" name (as ndpi_protocol2name gives it) from the
 * names cached at start, without its snprintf. */
static void protocol_name(const struct classifier *c, ndpi_protocol p, char *buf, size_t len)
{
	const char *m = p.master_protocol < c->n_names ? c->names[p.master_protocol] : NULL;
	const char *a = p.app_protocol < c->n_names ? c->names[p.app_protocol] : NULL;
	size_t n = 0;

	if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN && p.master_protocol != p.app_protocol && m) {
		n = strnlen(m, len - 1);
		memcpy(buf, m, n);
		if (p.app_protocol != NDPI_PROTOCOL_UNKNOWN && a && n + 1 < len - 1) {
			buf[n++] = '.';
			size_t k = strnlen(a, len - 1 - n);
			memcpy(buf + n, a, k);
			n += k;
		}
	} else {
		const char *x = a ? a : "Unknown";
		n = strnlen(x, len - 1);
		memcpy(buf, x, n);
	}
	buf[n] = '\0';
}

/* TLS-family flows are the only ones whose protos.tls_quic union member
 * nDPI fills; everything else must not read it. */
static int uses_tls_union(uint16_t master, uint16_t app)
{
	static const uint16_t ids[] = {
		NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_QUIC, NDPI_PROTOCOL_DTLS,
		NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS,
		NDPI_PROTOCOL_MAIL_SMTPS, NDPI_PROTOCOL_DOH_DOT,
	};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (master == ids[i] || app == ids[i])
			return 1;
	return 0;
}

/* A JA3 value is 32 lowercase hex digits; anything else is not kept. */
static int valid_md5_hex(const char *s)
{
	size_t i;
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[32] == '\0';
}

/* Turn nDPI's live state into the small decided record and free nDPI's
 * state. guess: give up with port/IP guessing if nothing was found. */
static struct cls_done *cls_decide(struct classifier *c, struct cls_live *lv, int guess)
{
	struct ndpi_flow_struct *nf = lv->nf;
	ndpi_protocol p = lv->last;
	uint8_t guessed = 0;
	const char *str[S__COUNT] = { 0 };
	char name[64], sha1[41], rsp_addr[46];
	uint16_t qtype = 0;
	struct cls_done num;
	size_t total = 0, len[S__COUNT];

	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN && guess) {
		p = ndpi_detection_giveup(c->ndpi, nf, 1, &guessed);
		c->c.flows_given_up++;
	} else {
		c->c.flows_classified++;
	}

	memset(&num, 0, sizeof num);
	protocol_name(c, p, name, sizeof name);
	str[S_NAME] = name;
	const char *hostname = nf->host_server_name[0] ? nf->host_server_name : NULL;
	uint16_t m = p.master_protocol, a = p.app_protocol;
	if (uses_tls_union(m, a)) {
		str[S_SNI] = hostname;
		if (valid_md5_hex(nf->protos.tls_quic.ja3_client))
			str[S_JA3] = nf->protos.tls_quic.ja3_client;
		if (valid_md5_hex(nf->protos.tls_quic.ja3_server))
			str[S_JA3S] = nf->protos.tls_quic.ja3_server;
		static const uint8_t zero[20];
		const uint8_t *fp = nf->protos.tls_quic.sha1_certificate_fingerprint;
		if (memcmp(fp, zero, 20) != 0) {
			static const char hex[] = "0123456789abcdef";
			for (int i = 0; i < 20; i++) {
				sha1[2 * i] = hex[fp[i] >> 4];
				sha1[2 * i + 1] = hex[fp[i] & 15];
			}
			sha1[40] = '\0';
			str[S_SHA1] = sha1;
		}
		str[S_ISSUER] = nf->protos.tls_quic.issuerDN;
		str[S_SUBJECT] = nf->protos.tls_quic.subjectDN;
		str[S_ALPN] = nf->protos.tls_quic.alpn;
		num.tls_version = nf->protos.tls_quic.ssl_version;
		num.tls_notbefore = nf->protos.tls_quic.notBefore;
		num.tls_notafter = nf->protos.tls_quic.notAfter;
	} else if (m == NDPI_PROTOCOL_DNS || a == NDPI_PROTOCOL_DNS ||
		   m == NDPI_PROTOCOL_MDNS || a == NDPI_PROTOCOL_MDNS ||
		   m == NDPI_PROTOCOL_LLMNR || a == NDPI_PROTOCOL_LLMNR) {
		str[S_DNS] = hostname;
		qtype = nf->protos.dns.query_type;
		/* nDPI keeps the first answer of the response, if one was seen */
		if (!nf->protos.dns.is_query || nf->protos.dns.num_answers) {
			num.dns_answered = 1;
			num.dns_rcode = nf->protos.dns.reply_code;
			num.dns_answers = nf->protos.dns.num_answers;
			num.dns_rsp_type = nf->protos.dns.rsp_type;
			if (num.dns_answers && num.dns_rsp_type == 1 &&
			    inet_ntop(AF_INET, &nf->protos.dns.rsp_addr.ipv4, rsp_addr, sizeof rsp_addr))
				str[S_DNSADDR] = rsp_addr;
			else if (num.dns_answers && num.dns_rsp_type == 28 &&
				 inet_ntop(AF_INET6, &nf->protos.dns.rsp_addr.ipv6, rsp_addr, sizeof rsp_addr))
				str[S_DNSADDR] = rsp_addr;
		}
	} else if (m == NDPI_PROTOCOL_SSH || a == NDPI_PROTOCOL_SSH) {
		str[S_SSHC] = nf->protos.ssh.client_signature;
		str[S_SSHS] = nf->protos.ssh.server_signature;
		if (valid_md5_hex(nf->protos.ssh.hassh_client))
			str[S_HASSHC] = nf->protos.ssh.hassh_client;
		if (valid_md5_hex(nf->protos.ssh.hassh_server))
			str[S_HASSHS] = nf->protos.ssh.hassh_server;
	} else if (m == NDPI_PROTOCOL_DHCP || a == NDPI_PROTOCOL_DHCP) {
		str[S_DHCPHOST] = hostname;
		str[S_DHCPVC] = nf->protos.dhcp.class_ident;
	} else if (m == NDPI_PROTOCOL_HTTP || a == NDPI_PROTOCOL_HTTP ||
		   m == NDPI_PROTOCOL_HTTP_CONNECT || a == NDPI_PROTOCOL_HTTP_CONNECT ||
		   m == NDPI_PROTOCOL_HTTP_PROXY || a == NDPI_PROTOCOL_HTTP_PROXY) {
		str[S_HOST] = hostname;
		str[S_UA] = nf->http.user_agent;
	}
	/* the HTTP fields live outside nDPI's protocol union: any flow that
	 * carried HTTP (subprotocols such as HTTP.Google too) has them */
	if (nf->http.url || nf->http.response_status_code) {
		str[S_URL] = nf->http.url;
		str[S_CTYPE] = nf->http.content_type;
		num.http_status = nf->http.response_status_code;
		num.http_method = (uint8_t)nf->http.method;
		num.http_version = nf->http.request_version;
	}
	for (int i = 0; i < S__COUNT; i++) {
		len[i] = (str[i] && *str[i]) ? strnlen(str[i], 512) : 0;
		total += len[i] ? len[i] + 1 : 0;
	}

	struct cls_done *d = malloc(sizeof *d + total);
	if (d) {
		size_t pos = 0;
		d->kind = CLS_DONE;
		d->guessed = guessed;
		d->confidence = (uint8_t)nf->confidence;
		d->pad = 0;
		d->master = m;
		d->app = a;
		d->dns_qtype = qtype;
		d->pad2 = 0;
		d->category = (uint32_t)p.category;
		d->risk = (uint64_t)nf->risk;
		d->http_status = num.http_status;
		d->dns_rsp_type = num.dns_rsp_type;
		d->tls_version = num.tls_version;
		d->http_method = num.http_method;
		d->http_version = num.http_version;
		d->dns_answered = num.dns_answered;
		d->dns_rcode = num.dns_rcode;
		d->dns_answers = num.dns_answers;
		d->tls_notbefore = num.tls_notbefore;
		d->tls_notafter = num.tls_notafter;
		for (int i = 0; i < S__COUNT; i++) {
			if (!len[i]) {
				d->off[i] = 0xFFFF;
				continue;
			}
			d->off[i] = (uint16_t)pos;
			memcpy(d->s + pos, str[i], len[i]);
			d->s[pos + len[i]] = '\0';
			pos += len[i] + 1;
		}
	} else {
		c->c.alloc_failures++;
	}
	ndpi_free_flow(nf);
	c->c.ndpi_states_live--;
	free(lv);
	return d;
}

/* A new live state with nDPI's per-flow structure; NULL when out of memory. */
static struct cls_live *live_new(struct classifier *c, uint8_t proto)
{
	struct cls_live *lv = calloc(1, sizeof *lv);
	if (!lv) {
		c->c.alloc_failures++;
		return NULL;
	}
	lv->nf = ndpi_flow_malloc(c->flow_size);
	if (!lv->nf) {
		free(lv);
		c->c.alloc_failures++;
		return NULL;
	}
	memset(lv->nf, 0, c->flow_size);
	lv->kind = CLS_LIVE;
	lv->proto = proto;
	c->c.ndpi_states_live++;
	if (c->c.ndpi_states_live > c->c.ndpi_states_peak)
		c->c.ndpi_states_peak = c->c.ndpi_states_live;
	return lv;
}

/* Give one IP packet to nDPI. Returns the decided record when the flow is
 * decided with this packet, NULL while nDPI still wants packets. */
static struct cls_done *live_feed(struct classifier *c, struct cls_live *lv,
				  const uint8_t *l3, uint32_t len, uint64_t ts_us,
				  int *decided)
{
	if (len > 65535)
		len = 65535;
	lv->last = ndpi_detection_process_packet(c->ndpi, lv->nf, l3, (unsigned short)len,
						 ts_us / 1000);
	lv->fed++;
	int enough = (lv->proto == IPPROTO_UDP && lv->fed > MAX_UDP_PKTS) ||
		     (lv->proto == IPPROTO_TCP && lv->fed > MAX_TCP_PKTS);
	*decided = 0;
	if (enough || lv->last.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
		if (!enough && ndpi_extra_dissection_possible(c->ndpi, lv->nf))
			return NULL; /* wait for certificate, JA3S, ... */
		*decided = 1;
		return cls_decide(c, lv, 1);
	}
	return NULL;
}

/* Turn a pending flow into a live one: nDPI gets the held packets first, in
 * order, so it sees exactly what it would have seen. */
static void *pending_to_live(struct classifier *c, struct cls_pending *pd)
{
	struct cls_live *lv = live_new(c, pd->proto);
	const uint8_t *p = pd->data;
	void *out = lv;

	if (!lv)
		return pd; /* keep holding; retried on the next packet */
	for (int i = 0; i < pd->n; i++) {
		int decided;
		struct cls_done *d = live_feed(c, lv, p, pd->len[i], pd->ts_us[i], &decided);
		p += pd->len[i];
		if (decided) {
			out = d;
			break;
		}
	}
	c->c.pending_live--;
	free(pd);
	return out;
}

/* Hold a header-only TCP packet (a SYN, SYN-ACK or bare ACK) instead of
 * allocating nDPI's state for it. Returns the new slot value, or NULL if
 * the packet cannot be held (then the flow goes live). */
static struct cls_pending *pending_add(struct classifier *c, struct cls_pending *pd,
				       const struct decoded *d, uint64_t ts_us)
{
	size_t used = 0;
	if (pd) {
		if (pd->n >= PENDING_MAX)
			return NULL;
		for (int i = 0; i < pd->n; i++)
			used += pd->len[i];
	}
	struct cls_pending *np = realloc(pd, sizeof *np + used + d->l3_caplen);
	if (!np)
		return NULL;
	if (!pd) {
		memset(np, 0, sizeof *np);
		np->kind = CLS_PENDING;
		np->proto = d->proto;
		c->c.pending_live++;
	}
	memcpy(np->data + used, d->l3, d->l3_caplen);
	np->len[np->n] = (uint16_t)d->l3_caplen;
	np->ts_us[np->n] = ts_us;
	np->n++;
	return np;
}

int classify_packet(struct classifier *c, void **slot, const struct decoded *d,
		     uint64_t ts_us, int to_server)
{
	struct cls_live *lv = *slot;

	(void)to_server;
	if (lv && lv->kind == CLS_DONE)
		return 0;
	/* nDPI parses headers itself: give it only packets that carry their
	 * L4 header (not the tails of IP fragments). */
	if (d->fragment && !d->payload && d->proto != IPPROTO_ICMP &&
	    d->proto != IPPROTO_ICMPV6)
		return 0;
	/* Most TCP flows on a monitored link start with packets that carry no
	 * payload, and many never carry any (scans, refused connections). Hold
	 * those few header bytes instead of ~1 KiB of nDPI state. */
	if (d->proto == IPPROTO_TCP && d->payload_len == 0 && d->l3_caplen <= PENDING_MAX_HDR &&
	    (!lv || lv->kind == CLS_PENDING)) {
		struct cls_pending *np = pending_add(c, (struct cls_pending *)lv, d, ts_us);
		if (np) {
			*slot = np;
			return 0;
		}
	}
	if (lv && lv->kind == CLS_PENDING) {
		*slot = pending_to_live(c, (struct cls_pending *)lv);
		lv = *slot;
		if (lv && lv->kind == CLS_DONE)
			return 1; /* decided on the held packets */
		if (lv && lv->kind != CLS_LIVE)
			return 0; /* still pending (no memory) */
	}
	if (!lv) {
		lv = live_new(c, d->proto);
		if (!lv)
			return 0;
		*slot = lv;
	}
	int decided;
	struct cls_done *dn = live_feed(c, lv, d->l3, d->l3_caplen, ts_us, &decided);
	if (decided)
		*slot = dn;
	return decided;
}

static const char *done_str(const struct cls_done *d, int i)
{
	return d->off[i] == 0xFFFF ? NULL : d->s + d->off[i];
}

void classify_fill_record(struct classifier *c, void **slot, struct flow_record *rec,
			  int final)
{
	struct cls_live *lv = *slot;
	struct cls_done *d;

	if (lv && lv->kind == CLS_PENDING) {
		if (!final) {
			rec->app_proto = "unknown";
			rec->ndpi_protocol = "Unknown";
			return;
		}
		/* the flow ends without payload: nDPI may still guess by port */
		*slot = pending_to_live(c, (struct cls_pending *)lv);
		lv = *slot;
		if (lv && lv->kind == CLS_PENDING) {
			classify_release(c, slot);
			lv = NULL;
		}
	}
	if (lv && lv->kind == CLS_LIVE) {
		if (!final) {
			/* interim record of an undecided flow */
			rec->app_proto = "unknown";
			rec->ndpi_protocol = "Unknown";
			return;
		}
		*slot = cls_decide(c, lv, 1);
	}
	d = *slot;
	if (!d) {
		rec->app_proto = "unknown";
		rec->ndpi_protocol = "Unknown";
		rec->ndpi_category = "Unspecified";
		return;
	}
	uint16_t top = d->master != NDPI_PROTOCOL_UNKNOWN ? d->master : d->app;
	rec->app_proto = top < c->n_names && c->lower_names[top] ? c->lower_names[top] : "unknown";
	rec->ndpi_protocol = done_str(d, S_NAME) ? done_str(d, S_NAME) : "Unknown";
	rec->ndpi_category = ndpi_category_get_name(c->ndpi, (ndpi_protocol_category_t)d->category);
	rec->ndpi_confidence = ndpi_confidence_get_name((ndpi_confidence_t)d->confidence);
	rec->guessed = d->guessed;
	rec->n_risks = 0;
	for (int i = 0; i < 64 && rec->n_risks < FLOW_RECORD_MAX_RISKS; i++)
		if (d->risk & (1ULL << i)) {
			const char *rn = ndpi_risk2str((ndpi_risk_enum)i);
			if (rn)
				rec->risks[rec->n_risks++] = rn;
		}
	rec->tls_sni = done_str(d, S_SNI);
	rec->ja3 = done_str(d, S_JA3);
	rec->ja3s = done_str(d, S_JA3S);
	rec->dns_rrname = done_str(d, S_DNS);
	rec->dns_qtype = d->dns_qtype;
	rec->tls_cert_sha1 = done_str(d, S_SHA1);
	rec->http_host = done_str(d, S_HOST);
	rec->http_user_agent = done_str(d, S_UA);
	rec->http_url = done_str(d, S_URL);
	rec->http_content_type = done_str(d, S_CTYPE);
	rec->http_method = d->http_method != NDPI_HTTP_METHOD_UNKNOWN ?
		ndpi_http_method2str((ndpi_http_method)d->http_method) : NULL;
	rec->http_status = d->http_status;
	rec->http_version = d->http_version;
	rec->dns_answered = d->dns_answered;
	rec->dns_rcode = d->dns_rcode;
	rec->dns_answers = d->dns_answers;
	rec->dns_rsp_type = d->dns_rsp_type;
	rec->dns_rsp_addr = done_str(d, S_DNSADDR);
	rec->tls_version = d->tls_version;
	rec->tls_notbefore = d->tls_notbefore;
	rec->tls_notafter = d->tls_notafter;
	rec->tls_issuerdn = done_str(d, S_ISSUER);
	rec->tls_subject = done_str(d, S_SUBJECT);
	rec->tls_alpn = done_str(d, S_ALPN);
	rec->ssh_client = done_str(d, S_SSHC);
	rec->ssh_server = done_str(d, S_SSHS);
	rec->hassh_client = done_str(d, S_HASSHC);
	rec->hassh_server = done_str(d, S_HASSHS);
	rec->dhcp_class_ident = done_str(d, S_DHCPVC);
	rec->dhcp_hostname = done_str(d, S_DHCPHOST);
}

void classify_release(struct classifier *c, void **slot)
{
	struct cls_live *lv = *slot;
	if (!lv)
		return;
	if (lv->kind == CLS_LIVE) {
		ndpi_free_flow(lv->nf);
		c->c.ndpi_states_live--;
	} else if (lv->kind == CLS_PENDING) {
		c->c.pending_live--;
	}
	free(lv);
	*slot = NULL;
}

void classify_get_counters(const struct classifier *c, struct classify_counters *out)
{
	*out = c->c;
}
