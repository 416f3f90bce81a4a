/*
 * test_eve_app.c - the application layer in EVE (eve_app.h): the nDPI ->
 * Suricata app_proto table, which protocol events a record yields, and
 * each protocol object in Suricata's shape, compared as exact JSON text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "output/eve_app.h"

/* The names the issue tracker listed, nDPI 4.2's spelling on the left. */
static void test_app_proto_table(void **state)
{
	static const struct { const char *ndpi, *suricata; } map[] = {
		{ "kerberos", "krb5" }, { "smbv1", "smb" }, { "smbv23", "smb" },
		{ "ftp_control", "ftp" }, { "ftp_data", "ftp-data" }, { "dce_rpc", "dcerpc" },
		{ "dhcpv6", "dhcp" }, { "ipsec", "ike" }, { "vnc", "rfb" },
		{ "ethernetip", "enip" }, { "postgresql", "pgsql" },
		{ "http_proxy", "http" }, { "http_connect", "http" },
		{ "smtps", "tls" }, { "imaps", "tls" }, { "pops", "tls" },
		/* the same word in both */
		{ "tls", "tls" }, { "dns", "dns" }, { "http", "http" }, { "ssh", "ssh" },
		{ "dhcp", "dhcp" }, { "quic", "quic" }, { "rdp", "rdp" }, { "smtp", "smtp" },
		{ "ntp", "ntp" }, { "snmp", "snmp" }, { "sip", "sip" }, { "mqtt", "mqtt" },
		{ "ldap", "ldap" }, { "tftp", "tftp" }, { "telnet", "telnet" },
		{ "modbus", "modbus" }, { "dnp3", "dnp3" }, { "nfs", "nfs" }, { "mdns", "mdns" },
		/* no Suricata word: nDPI's stays */
		{ "netflix", "netflix" }, { "bittorrent", "bittorrent" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		const char *got = eve_app_proto(map[i].ndpi);
		if (!got || strcmp(got, map[i].suricata) != 0)
			fail_msg("%s: got %s, want %s", map[i].ndpi, got ? got : "(none)",
				 map[i].suricata);
	}
	/* nothing found: no app_proto at all, as Suricata */
	assert_null(eve_app_proto("unknown"));
	assert_null(eve_app_proto(""));
	assert_null(eve_app_proto(NULL));
}

static const char *objects(struct json *j, const struct flow_record *r)
{
	json_reset(j);
	json_obj_begin(j);
	eve_app_objects(j, r);
	json_obj_end(j);
	assert_false(j->oom);
	return j->buf;
}

static const char *event(struct json *j, const struct flow_record *r, enum eve_app_kind k)
{
	json_reset(j);
	json_obj_begin(j);
	eve_app_object(j, r, k);
	json_obj_end(j);
	assert_false(j->oom);
	return j->buf;
}

static void test_dns(void **state)
{
	struct flow_record r;
	struct json j;
	enum eve_app_kind k[EVE_APP_MAX_EVENTS];

	(void)state;
	json_init(&j);
	memset(&r, 0, sizeof r);
	r.app_proto = "dns";
	r.dns_rrname = "www.example.com";
	r.dns_qtype = 28;
	/* a query without an answer: one event */
	assert_int_equal(eve_app_events(&r, k), 1);
	assert_int_equal(k[0], EVE_APP_DNS_QUERY);
	assert_string_equal(eve_app_event_type(k[0]), "dns");
	assert_string_equal(event(&j, &r, k[0]),
		"{\"dns\":{\"version\":2,\"type\":\"query\",\"rrname\":\"www.example.com\","
		"\"rrtype\":\"AAAA\"}}");
	/* the answer nDPI saw: NXDOMAIN, no record */
	r.dns_answered = 1;
	r.dns_rcode = 3;
	assert_int_equal(eve_app_events(&r, k), 2);
	assert_int_equal(k[1], EVE_APP_DNS_ANSWER);
	assert_string_equal(event(&j, &r, k[1]),
		"{\"dns\":{\"version\":2,\"type\":\"answer\",\"qr\":true,\"rrname\":\"www.example.com\","
		"\"rrtype\":\"AAAA\",\"rcode\":\"NXDOMAIN\"}}");
	/* an address answer; flows and alerts carry the answer alone */
	r.dns_rcode = 0;
	r.dns_answers = 2;
	r.dns_rsp_type = 28;
	r.dns_rsp_addr = "2001:db8::1";
	assert_string_equal(objects(&j, &r),
		"{\"dns\":{\"version\":2,\"type\":\"answer\",\"qr\":true,\"rrname\":\"www.example.com\","
		"\"rrtype\":\"AAAA\",\"rcode\":\"NOERROR\",\"answers\":[{\"rrname\":\"www.example.com\","
		"\"rrtype\":\"AAAA\",\"rdata\":\"2001:db8::1\"}]}}");
	json_free(&j);
}

static void test_tls_quic(void **state)
{
	struct flow_record r;
	struct json j;
	enum eve_app_kind k[EVE_APP_MAX_EVENTS];

	(void)state;
	json_init(&j);
	memset(&r, 0, sizeof r);
	r.app_proto = "tls";
	r.tls_sni = "www.example.com";
	r.tls_version = 0x0303;
	r.tls_subject = "CN=www.example.com";
	r.tls_issuerdn = "C=US, O=Let's Encrypt, CN=R3";
	r.tls_cert_sha1 = "00112233445566778899aabbccddeeff0a1b2c3d";
	r.tls_notbefore = 1704067200;  /* 2024-01-01T00:00:00 */
	r.tls_notafter = 1711929599;   /* 2024-03-31T23:59:59 */
	r.ja3 = "0123456789abcdef0123456789abcdef";
	r.ja3s = "fedcba9876543210fedcba9876543210";
	assert_int_equal(eve_app_events(&r, k), 1);
	assert_string_equal(eve_app_event_type(k[0]), "tls");
	assert_string_equal(event(&j, &r, k[0]),
		"{\"tls\":{\"sni\":\"www.example.com\",\"version\":\"TLS 1.2\","
		"\"subject\":\"CN=www.example.com\",\"issuerdn\":\"C=US, O=Let's Encrypt, CN=R3\","
		"\"fingerprint\":\"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:0a:1b:2c:3d\","
		"\"notbefore\":\"2024-01-01T00:00:00\",\"notafter\":\"2024-03-31T23:59:59\","
		"\"ja3\":{\"hash\":\"0123456789abcdef0123456789abcdef\"},"
		"\"ja3s\":{\"hash\":\"fedcba9876543210fedcba9876543210\"}}}");
	r.tls_version = 0x0304;
	assert_non_null(strstr(event(&j, &r, k[0]), "\"version\":\"TLS 1.3\""));
	r.tls_version = 0x7f1c; /* a draft: Suricata's word for it */
	assert_non_null(strstr(event(&j, &r, k[0]), "\"version\":\"UNDETERMINED\""));
	/* QUIC: its own event type */
	memset(&r, 0, sizeof r);
	r.app_proto = "quic";
	r.tls_sni = "www.google.com";
	r.tls_version = 0x0304;
	assert_int_equal(eve_app_events(&r, k), 1);
	assert_string_equal(eve_app_event_type(k[0]), "quic");
	assert_string_equal(event(&j, &r, k[0]), "{\"quic\":{\"sni\":\"www.google.com\"}}");
	json_free(&j);
}

static void test_http_ssh_dhcp(void **state)
{
	struct flow_record r;
	struct json j;
	enum eve_app_kind k[EVE_APP_MAX_EVENTS];

	(void)state;
	json_init(&j);
	memset(&r, 0, sizeof r);
	r.app_proto = "http";
	r.http_host = "www.example.com";
	r.http_url = "www.example.com/index.html?q=1"; /* nDPI's: host + target */
	r.http_user_agent = "curl/8.0";
	r.http_method = "GET";
	r.http_version = 1;
	r.http_status = 404;
	r.http_content_type = "text/html";
	assert_int_equal(eve_app_events(&r, k), 1);
	assert_string_equal(eve_app_event_type(k[0]), "http");
	assert_string_equal(event(&j, &r, k[0]),
		"{\"http\":{\"hostname\":\"www.example.com\",\"url\":\"/index.html?q=1\","
		"\"http_user_agent\":\"curl/8.0\",\"http_content_type\":\"text/html\","
		"\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":404}}");

	memset(&r, 0, sizeof r);
	r.app_proto = "ssh";
	r.ssh_client = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3";
	r.ssh_server = "SSH-1.99-Cisco-1.25";
	r.hassh_client = "450DD755ECDAA9AE2EE5798F36E84008";
	assert_int_equal(eve_app_events(&r, k), 1);
	assert_string_equal(eve_app_event_type(k[0]), "ssh");
	assert_string_equal(event(&j, &r, k[0]),
		"{\"ssh\":{\"client\":{\"proto_version\":\"2.0\","
		"\"software_version\":\"OpenSSH_9.2p1 Debian-2+deb12u3\","
		"\"hassh\":{\"hash\":\"450dd755ecdaa9ae2ee5798f36e84008\"}},"
		"\"server\":{\"proto_version\":\"1.99\",\"software_version\":\"Cisco-1.25\"}}}");

	memset(&r, 0, sizeof r);
	r.app_proto = "dhcp";
	r.dhcp_hostname = "laptop-25";
	r.dhcp_class_ident = "MSFT 5.0";
	assert_int_equal(eve_app_events(&r, k), 1);
	assert_string_equal(event(&j, &r, k[0]),
		"{\"dhcp\":{\"type\":\"request\",\"hostname\":\"laptop-25\","
		"\"vendor_class_identifier\":\"MSFT 5.0\"}}");

	/* nothing nDPI extracted: no protocol event */
	memset(&r, 0, sizeof r);
	r.app_proto = "rdp";
	assert_int_equal(eve_app_events(&r, k), 0);
	assert_string_equal(objects(&j, &r), "{}");
	json_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_proto_table),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_tls_quic),
		cmocka_unit_test(test_http_ssh_dhcp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
