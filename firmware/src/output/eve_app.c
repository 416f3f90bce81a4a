/*
 * eve_app.c - protocol names and protocol objects for EVE (see eve_app.h).
 *
 * Shapes follow Suricata 7's EVE (the DNS "version 2" form, which 8.0's
 * schema accepts as well): a consumer's DNS, TLS, HTTP and SSH dashboards
 * read these events as they read Suricata's. nDPI sees one transaction per
 * flow (the first query and its answer, the first HTTP request and its
 * status, one TLS handshake), so a flow yields at most one event of each
 * kind; docs/eve.md lists what Suricata writes that nDPI does not give.
 */
#include "eve_app.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* nDPI's lowercase names whose Suricata name differs. */
static const struct { const char *ndpi, *suricata; } app_names[] = {
	{ "http_proxy", "http" },   { "http_connect", "http" },
	{ "smbv1", "smb" },         { "smbv23", "smb" },
	{ "kerberos", "krb5" },     { "dce_rpc", "dcerpc" },
	{ "ftp_control", "ftp" },   { "ftp_data", "ftp-data" },
	{ "dhcpv6", "dhcp" },       { "ipsec", "ike" },
	{ "vnc", "rfb" },           { "ethernetip", "enip" },
	{ "postgresql", "pgsql" },  { "smtps", "tls" },
	{ "imaps", "tls" },         { "pops", "tls" },
	{ "doh_dot", "tls" },
};

const char *eve_app_proto(const char *n)
{
	if (!n || !*n || strcmp(n, "unknown") == 0)
		return NULL;
	for (size_t i = 0; i < sizeof app_names / sizeof app_names[0]; i++)
		if (strcmp(app_names[i].ndpi, n) == 0)
			return app_names[i].suricata;
	return n;
}

static int is_app(const struct flow_record *r, const char *name)
{
	const char *a = eve_app_proto(r->app_proto);
	return a && strcmp(a, name) == 0;
}

static int has(const char *s)
{
	return s && *s;
}

int eve_app_events(const struct flow_record *r, enum eve_app_kind kinds[EVE_APP_MAX_EVENTS])
{
	int n = 0;

	if (has(r->dns_rrname)) {
		kinds[n++] = EVE_APP_DNS_QUERY;
		if (r->dns_answered)
			kinds[n++] = EVE_APP_DNS_ANSWER;
	}
	if (has(r->tls_sni) || has(r->ja3) || has(r->ja3s) || has(r->tls_cert_sha1) ||
	    r->tls_version)
		kinds[n++] = is_app(r, "quic") ? EVE_APP_QUIC : EVE_APP_TLS;
	if (has(r->http_host) || has(r->http_url) || r->http_method || r->http_status)
		kinds[n++] = EVE_APP_HTTP;
	if (has(r->ssh_client) || has(r->ssh_server))
		kinds[n++] = EVE_APP_SSH;
	if (has(r->dhcp_hostname) || has(r->dhcp_class_ident))
		kinds[n++] = EVE_APP_DHCP;
	return n;
}

const char *eve_app_event_type(enum eve_app_kind k)
{
	static const char *const t[EVE_APP__COUNT] = {
		"dns", "dns", "tls", "quic", "http", "ssh", "dhcp",
	};
	return k < EVE_APP__COUNT ? t[k] : "unknown";
}

/* ---- dns ------------------------------------------------------------------- */

/* Suricata writes DNS types by name. */
static const char *dns_type_name(uint16_t t, char buf[8])
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 10: return "NULL";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 43: return "DS";
	case 46: return "RRSIG";
	case 48: return "DNSKEY";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 99: return "SPF";
	case 252: return "AXFR";
	case 255: return "ANY";
	default:
		snprintf(buf, 8, "%u", t);
		return buf;
	}
}

/* ... and response codes by their RFC 1035/2136 names. */
static const char *dns_rcode_name(uint8_t c, char buf[8])
{
	static const char *const n[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};
	if (c < sizeof n / sizeof n[0])
		return n[c];
	snprintf(buf, 8, "%u", c);
	return buf;
}

/* Suricata's "version 2" DNS form: a query, or an answer with its first
 * record (the one nDPI keeps) when it was an address. */
static void dns_object(struct json *j, const struct flow_record *r, int answer)
{
	char tb[8], rb[8];

	json_key(j, "dns");
	json_obj_begin(j);
	json_ku64(j, "version", 2);
	json_kstr(j, "type", answer ? "answer" : "query");
	if (answer)
		json_kbool(j, "qr", 1);
	json_kstr(j, "rrname", r->dns_rrname);
	if (r->dns_qtype)
		json_kstr(j, "rrtype", dns_type_name(r->dns_qtype, tb));
	if (answer) {
		json_kstr(j, "rcode", dns_rcode_name(r->dns_rcode, rb));
		if (has(r->dns_rsp_addr)) {
			json_key(j, "answers");
			json_arr_begin(j);
			json_obj_begin(j);
			json_kstr(j, "rrname", r->dns_rrname);
			json_kstr(j, "rrtype", dns_type_name(r->dns_rsp_type, tb));
			json_kstr(j, "rdata", r->dns_rsp_addr);
			json_obj_end(j);
			json_arr_end(j);
		}
	}
	json_obj_end(j);
}

/* ---- tls, quic ---------------------------------------------------------------- */

static const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return v ? "UNDETERMINED" : NULL;
	}
}

/* Suricata's certificate date form: 2024-01-31T12:00:00 (UTC). */
static void tls_date(struct json *j, const char *key, uint32_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 2999 || tm.tm_year + 1900 < 1000)
		return;
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	json_kstr(j, key, buf);
}

static void hash_object(struct json *j, const char *key, const char *hash)
{
	if (!has(hash))
		return;
	json_key(j, key);
	json_obj_begin(j);
	json_kstr(j, "hash", hash);
	json_obj_end(j);
}

static void tls_object(struct json *j, const struct flow_record *r)
{
	json_key(j, "tls");
	json_obj_begin(j);
	json_kstr(j, "sni", r->tls_sni);
	json_kstr(j, "version", tls_version_name(r->tls_version));
	json_kstr(j, "subject", r->tls_subject);
	json_kstr(j, "issuerdn", r->tls_issuerdn);
	if (r->tls_cert_sha1 && strlen(r->tls_cert_sha1) == 40) {
		/* Suricata's form: colon-separated pairs */
		char fp[60];
		for (int i = 0; i < 20; i++) {
			fp[3 * i] = r->tls_cert_sha1[2 * i];
			fp[3 * i + 1] = r->tls_cert_sha1[2 * i + 1];
			fp[3 * i + 2] = i < 19 ? ':' : '\0';
		}
		json_kstr(j, "fingerprint", fp);
	}
	tls_date(j, "notbefore", r->tls_notbefore);
	tls_date(j, "notafter", r->tls_notafter);
	hash_object(j, "ja3", r->ja3);
	hash_object(j, "ja3s", r->ja3s);
	json_obj_end(j);
}

static void quic_object(struct json *j, const struct flow_record *r)
{
	json_key(j, "quic");
	json_obj_begin(j);
	json_kstr(j, "sni", r->tls_sni);
	hash_object(j, "ja3", r->ja3);
	hash_object(j, "ja3s", r->ja3s);
	json_obj_end(j);
}

/* ---- http ------------------------------------------------------------------- */

/* nDPI 4.2 keeps the URL as host + request target; Suricata writes the
 * request target as sent ("/index.html"). */
static const char *http_url(const struct flow_record *r)
{
	const char *u = r->http_url;
	size_t n = r->http_host ? strlen(r->http_host) : 0;

	if (u && n && strncmp(u, r->http_host, n) == 0 && u[n] == '/')
		return u + n;
	return u;
}

static void http_object(struct json *j, const struct flow_record *r)
{
	json_key(j, "http");
	json_obj_begin(j);
	json_kstr(j, "hostname", r->http_host);
	json_kstr(j, "url", http_url(r));
	json_kstr(j, "http_user_agent", r->http_user_agent);
	json_kstr(j, "http_content_type", r->http_content_type);
	json_kstr(j, "http_method", r->http_method);
	if (r->http_method)
		json_kstr(j, "protocol", r->http_version ? "HTTP/1.1" : "HTTP/1.0");
	if (r->http_status)
		json_ku64(j, "status", r->http_status);
	json_obj_end(j);
}

/* ---- ssh -------------------------------------------------------------------- */

/* One side of the SSH banner ("SSH-2.0-OpenSSH_9.6 Ubuntu"): Suricata's
 * proto_version and software_version, and the side's HASSH. */
static void ssh_side(struct json *j, const char *key, const char *banner, const char *hassh)
{
	char proto[16] = "";
	const char *sw = banner;

	if (!has(banner) && !has(hassh))
		return;
	if (banner && strncmp(banner, "SSH-", 4) == 0) {
		const char *dash = strchr(banner + 4, '-');
		size_t n = dash ? (size_t)(dash - banner - 4) : 0;
		if (dash && n < sizeof proto) {
			memcpy(proto, banner + 4, n);
			proto[n] = '\0';
			sw = dash + 1;
		}
	}
	json_key(j, key);
	json_obj_begin(j);
	json_kstr(j, "proto_version", proto);
	json_kstr(j, "software_version", sw);
	if (has(hassh) && strlen(hassh) == 32) {
		/* nDPI writes it in capitals, Suricata (and HASSH lists) in small */
		char h[33];
		for (int i = 0; i < 33; i++)
			h[i] = (char)tolower((unsigned char)hassh[i]);
		hash_object(j, "hassh", h);
	}
	json_obj_end(j);
}

static void ssh_object(struct json *j, const struct flow_record *r)
{
	json_key(j, "ssh");
	json_obj_begin(j);
	ssh_side(j, "client", r->ssh_client, r->hassh_client);
	ssh_side(j, "server", r->ssh_server, r->hassh_server);
	json_obj_end(j);
}

/* ---- dhcp ------------------------------------------------------------------- */

/* nDPI keeps the client's host name (option 12) and vendor class (60),
 * both from the client's messages: a "request". */
static void dhcp_object(struct json *j, const struct flow_record *r)
{
	json_key(j, "dhcp");
	json_obj_begin(j);
	json_kstr(j, "type", "request");
	json_kstr(j, "hostname", r->dhcp_hostname);
	json_kstr(j, "vendor_class_identifier", r->dhcp_class_ident);
	json_obj_end(j);
}

void eve_app_object(struct json *j, const struct flow_record *r, enum eve_app_kind k)
{
	switch (k) {
	case EVE_APP_DNS_QUERY: dns_object(j, r, 0); break;
	case EVE_APP_DNS_ANSWER: dns_object(j, r, 1); break;
	case EVE_APP_TLS: tls_object(j, r); break;
	case EVE_APP_QUIC: quic_object(j, r); break;
	case EVE_APP_HTTP: http_object(j, r); break;
	case EVE_APP_SSH: ssh_object(j, r); break;
	case EVE_APP_DHCP: dhcp_object(j, r); break;
	default: break;
	}
}

void eve_app_objects(struct json *j, const struct flow_record *r)
{
	enum eve_app_kind k[EVE_APP_MAX_EVENTS];
	int n = eve_app_events(r, k);

	for (int i = 0; i < n; i++) {
		/* one dns object: the answer includes the query */
		if (k[i] == EVE_APP_DNS_QUERY && i + 1 < n && k[i + 1] == EVE_APP_DNS_ANSWER)
			continue;
		eve_app_object(j, r, k[i]);
	}
}
