/*
 * test_homenet.c - $HOME_NET lists (homenet.h): parsing CIDR lists, the
 * "inside" test for IPv4 (as IPv4-mapped IPv6) and IPv6 addresses, and the
 * error messages for bad items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/homenet.h"

/* 1 if the textual address s is inside h (s must parse). */
static int inside(const struct homenet *h, const char *s)
{
	uint8_t a[16];

	assert_int_equal(ip_parse16(s, a), 0);
	return homenet_contains(h, a);
}

static void parse_ok(struct homenet *h, const char *list)
{
	char err[256] = "";

	assert_int_equal(homenet_parse(h, list, err, sizeof err), 0);
}

/* The list must fail; the message must name want (the offending item). */
static void parse_bad(const char *list, const char *want)
{
	struct homenet h;
	char err[256] = "";

	assert_int_equal(homenet_parse(&h, list, err, sizeof err), -1);
	assert_true(err[0] != '\0');
	if (!strstr(err, want))
		fail_msg("error for '%s' is '%s', expected it to name '%s'", list, err, want);
}

static void test_ip_parse16(void **state)
{
	static const uint8_t v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 };
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t a[16];

	(void)state;
	assert_int_equal(ip_parse16("10.1.2.3", a), 0);
	assert_memory_equal(a, v4, 16);
	assert_int_equal(ip_parse16("fd00::1", a), 0);
	assert_memory_equal(a, v6, 16);
	assert_int_equal(ip_parse16("::ffff:10.1.2.3", a), 0);
	assert_memory_equal(a, v4, 16);
	assert_int_equal(ip_parse16("10.1.2", a), -1);
	assert_int_equal(ip_parse16("256.1.1.1", a), -1);
	assert_int_equal(ip_parse16("fd00:::1", a), -1);
	assert_int_equal(ip_parse16("", a), -1);
}

static void test_default_list(void **state)
{
	struct homenet h;

	(void)state;
	parse_ok(&h, HOMENET_DEFAULT);
	assert_int_equal(h.n, 4);
	assert_int_equal(h.net[0].bits, 96 + 8);
	assert_int_equal(h.net[1].bits, 96 + 12);
	assert_int_equal(h.net[2].bits, 96 + 16);
	assert_int_equal(h.net[3].bits, 7);

	assert_true(inside(&h, "10.1.2.3"));
	assert_true(inside(&h, "10.0.0.0"));
	assert_true(inside(&h, "10.255.255.255"));
	assert_false(inside(&h, "11.0.0.0"));
	assert_false(inside(&h, "9.255.255.255"));
	assert_true(inside(&h, "172.16.0.1"));
	assert_true(inside(&h, "172.31.255.255"));
	assert_false(inside(&h, "172.32.0.1"));
	assert_false(inside(&h, "172.15.255.255"));
	assert_true(inside(&h, "192.168.1.1"));
	assert_false(inside(&h, "192.169.0.1"));
	assert_false(inside(&h, "8.8.8.8"));
	assert_true(inside(&h, "fd00::1"));
	assert_true(inside(&h, "fc00::"));
	assert_true(inside(&h, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(inside(&h, "fe80::1"));
	assert_false(inside(&h, "2001:db8::1"));
	/* an IPv6 address whose low 32 bits look like 10.x is not 10/8 */
	assert_false(inside(&h, "::a01:203"));
	assert_false(inside(&h, "2001:db8::10.1.2.3"));
}

static void test_bare_address(void **state)
{
	struct homenet h;

	(void)state;
	parse_ok(&h, "192.0.2.7");
	assert_int_equal(h.n, 1);
	assert_int_equal(h.net[0].bits, 128); /* /32 of the mapped address */
	assert_true(inside(&h, "192.0.2.7"));
	assert_false(inside(&h, "192.0.2.6"));
	assert_false(inside(&h, "192.0.2.8"));

	parse_ok(&h, "2001:db8::5");
	assert_int_equal(h.net[0].bits, 128);
	assert_true(inside(&h, "2001:db8::5"));
	assert_false(inside(&h, "2001:db8::4"));
}

static void test_ipv6_prefix(void **state)
{
	struct homenet h;

	(void)state;
	parse_ok(&h, "2001:db8:1:2::/64");
	assert_int_equal(h.net[0].bits, 64);
	assert_true(inside(&h, "2001:db8:1:2::1"));
	assert_true(inside(&h, "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	assert_false(inside(&h, "2001:db8:1:3::1"));
	assert_false(inside(&h, "2001:db8:1:1:ffff:ffff:ffff:ffff"));
	/* host bits in the network are ignored */
	parse_ok(&h, "2001:db8:1:2:dead:beef::1/64");
	assert_true(inside(&h, "2001:db8:1:2::1"));
	assert_false(inside(&h, "2001:db8:1:3::1"));
}

static void test_prefix_edges(void **state)
{
	struct homenet h;

	(void)state;
	/* an odd prefix length and host bits set in the network */
	parse_ok(&h, "198.51.100.77/27");
	assert_true(inside(&h, "198.51.100.64"));
	assert_true(inside(&h, "198.51.100.95"));
	assert_false(inside(&h, "198.51.100.96"));
	assert_false(inside(&h, "198.51.100.63"));

	/* /0 of IPv4 is every IPv4 address, and no IPv6 one */
	parse_ok(&h, "0.0.0.0/0");
	assert_int_equal(h.net[0].bits, 96);
	assert_true(inside(&h, "1.2.3.4"));
	assert_true(inside(&h, "255.255.255.255"));
	assert_false(inside(&h, "2001:db8::1"));

	/* ::/0 is everything */
	parse_ok(&h, "::/0");
	assert_true(inside(&h, "1.2.3.4"));
	assert_true(inside(&h, "2001:db8::1"));

	parse_ok(&h, "203.0.113.9/32");
	assert_true(inside(&h, "203.0.113.9"));
	assert_false(inside(&h, "203.0.113.8"));
	parse_ok(&h, "2001:db8::9/128");
	assert_true(inside(&h, "2001:db8::9"));
	assert_false(inside(&h, "2001:db8::8"));
}

static void test_separators(void **state)
{
	struct homenet h;

	(void)state;
	parse_ok(&h, " 10.0.0.0/8 , 2001:db8::/32,,192.0.2.1 ");
	assert_int_equal(h.n, 3);
	assert_true(inside(&h, "10.9.9.9"));
	assert_true(inside(&h, "2001:db8:ffff::1"));
	assert_true(inside(&h, "192.0.2.1"));
	assert_false(inside(&h, "192.0.2.2"));
	assert_false(inside(&h, "2001:db9::1"));
}

static void test_errors(void **state)
{
	struct homenet h;
	char err[256];
	char list[1100];

	(void)state;
	parse_bad("10.0.0.0/33", "10.0.0.0/33");
	parse_bad("foo", "foo");
	parse_bad("1.2.3.4/x", "1.2.3.4/x");
	parse_bad("1.2.3.4/", "1.2.3.4/");
	parse_bad("1.2.3.4/8x", "1.2.3.4/8x");
	parse_bad("2001:db8::/129", "2001:db8::/129");
	parse_bad("10.0.0.0/8,bar/8", "bar");
	parse_bad("10.0.0.0/8,300.1.1.1", "300.1.1.1");

	/* nothing in the list */
	err[0] = '\0';
	assert_int_equal(homenet_parse(&h, "", err, sizeof err), -1);
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_int_equal(homenet_parse(&h, " , ,", err, sizeof err), -1);
	assert_true(err[0] != '\0');

	/* more networks than fit */
	list[0] = '\0';
	for (int i = 0; i < HOMENET_MAX + 1; i++) {
		char item[16];
		snprintf(item, sizeof item, "%s10.%d.0.0/16", i ? "," : "", i);
		strcat(list, item);
	}
	assert_true(strlen(list) < 1024);
	assert_int_equal(homenet_parse(&h, list, err, sizeof err), -1);
	assert_true(err[0] != '\0');

	/* exactly HOMENET_MAX is fine */
	*strrchr(list, ',') = '\0';
	assert_int_equal(homenet_parse(&h, list, err, sizeof err), 0);
	assert_int_equal(h.n, HOMENET_MAX);
	assert_true(inside(&h, "10.63.1.1"));
	assert_false(inside(&h, "10.64.1.1"));

	/* a list too long for the parser's buffer is refused, not cut */
	memset(list, ' ', sizeof list - 1);
	list[sizeof list - 1] = '\0';
	memcpy(list, "10.0.0.0/8", 10);
	err[0] = '\0';
	assert_int_equal(homenet_parse(&h, list, err, sizeof err), -1);
	assert_true(err[0] != '\0');

	/* a small error buffer is not overrun */
	memset(err, 'X', sizeof err);
	assert_int_equal(homenet_parse(&h, "not-an-address-at-all", err, 8), -1);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse16),
		cmocka_unit_test(test_default_list),
		cmocka_unit_test(test_bare_address),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_prefix_edges),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
