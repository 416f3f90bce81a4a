/*
 * test_config.c - vigil.conf (daemon/config.h) read through the one
 * configuration reader (core/conf.h): the defaults, every section's
 * settings with their units, lists that add up, and each kind of mistake
 * reported once as "file:line: reason" (or "file: reason" for what is
 * about the whole file) without stopping the rest of the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "drivers/capture/capture.h"

static char path[64];
static char *report;
static struct vigil_config cfg;

/* Write text as the configuration file, read it over the defaults: the
 * number of problems (their text in report). */
static int load(const char *text)
{
	FILE *f, *rep;
	size_t len = 0;
	int fd, problems;

	snprintf(path, sizeof path, "/tmp/vigil-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(report);
	report = NULL;
	rep = open_memstream(&report, &len);
	assert_non_null(rep);
	config_defaults(&cfg);
	problems = config_load(&cfg, path, rep);
	fclose(rep);
	unlink(path);
	return problems;
}

/* The report holds "<path>:<line>: <text>" (line 0: "<path>: <text>"). */
static void assert_problem(int line, const char *text)
{
	char want[512];

	if (line > 0)
		snprintf(want, sizeof want, "%s:%d: %s", path, line, text);
	else
		snprintf(want, sizeof want, "%s: %s", path, text);
	if (!strstr(report, want)) {
		print_error("wanted '%s' in:\n%s", want, report);
		fail();
	}
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(load("[capture]\ninterface = eth0\n"), 0);
	assert_string_equal(report, "");
	assert_int_equal(cfg.n_interfaces, 1);
	assert_string_equal(cfg.interfaces[0], "eth0");
	assert_int_equal(cfg.method, CAPTURE_AUTO);
	assert_int_equal(cfg.snaplen, 65535);
	assert_int_equal(cfg.ring_mb, 64);
	assert_int_equal(cfg.max_flows, 262144);
	assert_string_equal(cfg.database, "/var/lib/vigil/vigil.sqlite");
	assert_true(cfg.max_db_bytes == 2ULL << 30);
	assert_int_equal(cfg.flow_max_age_s, 30 * 86400);
	assert_int_equal(cfg.alert_max_age_s, 365 * 86400);
	assert_int_equal(cfg.retention_interval_s, 60);
	assert_string_equal(cfg.state_dir, "/var/lib/vigil");
	assert_string_equal(cfg.board_led, "auto");
	assert_int_equal(cfg.stats_interval_s, 60);
	assert_string_equal(cfg.path, path);
}

static void test_every_section(void **state)
{
	(void)state;
	assert_int_equal(load("# a comment\n"
			      "[capture]\n"
			      "interface = eth0, eth1\n"
			      "interface = eth2\n"
			      "method = pcap\n"
			      "snaplen = 1500\n"
			      "ring_size = 16M\n"
			      "max_flows = 1000\n"
			      "[detect]\n"
			      "home_net = 10.0.0.0/8, fd00::/8\n"
			      "rules = /a, /b\n"
			      "[store]\n"
			      "database = /data/v.sqlite\n"
			      "eve = /data/eve.json\n"
			      "max_size = 512M\n"
			      "flow_max_age = 12h\n"
			      "alert_max_age = 90d\n"
			      "retention_interval = 30s\n"
			      "[web]\n"
			      "listen = 127.0.0.1:8080\n"
			      "secure_cookies = yes\n"
			      "[daemon]\n"
			      "user = nobody\n"
			      "log_level = debug\n"
			      "stats_interval = 10\n"
			      "[board]\n"
			      "led = none\n"), 0);
	assert_int_equal(cfg.n_interfaces, 3);
	assert_string_equal(cfg.interfaces[2], "eth2");
	assert_int_equal(cfg.method, CAPTURE_PCAP);
	assert_int_equal(cfg.snaplen, 1500);
	assert_int_equal(cfg.ring_mb, 16);
	assert_int_equal(cfg.max_flows, 1000);
	assert_string_equal(cfg.home_net, "10.0.0.0/8, fd00::/8");
	assert_int_equal(cfg.n_rule_dirs, 2);
	assert_string_equal(cfg.rule_dirs[1], "/b");
	assert_string_equal(cfg.database, "/data/v.sqlite");
	assert_string_equal(cfg.eve, "/data/eve.json");
	assert_true(cfg.max_db_bytes == 512ULL << 20);
	assert_int_equal(cfg.flow_max_age_s, 12 * 3600);
	assert_int_equal(cfg.alert_max_age_s, 90 * 86400);
	assert_int_equal(cfg.retention_interval_s, 30);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_int_equal(cfg.secure_cookies, 1);
	assert_string_equal(cfg.user, "nobody");
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(cfg.stats_interval_s, 10);
	assert_string_equal(cfg.board_led, "none");
}

static void test_capture_files(void **state)
{
	char text[300];

	(void)state;
	/* files must be there: the test's own binary will do */
	snprintf(text, sizeof text, "[capture]\nsource = pcap:/proc/self/exe\n"
		 "replay_speed = fast\nloop = yes\n");
	assert_int_equal(load(text), 0);
	assert_int_equal(cfg.n_interfaces, 0);
	assert_int_equal(cfg.n_pcap_files, 1);
	assert_string_equal(cfg.pcap_files[0], "/proc/self/exe");
	assert_int_equal(cfg.replay_fast, 1);
	assert_int_equal(cfg.replay_loop, 1);

	assert_int_equal(load("[capture]\nsource = pcap:/no/such/file.pcap\n"), 1);
	assert_problem(2, "source: capture file /no/such/file.pcap: No such file or directory");
}

/* [evidence]: the defaults and every key, and its mistakes. */
static void test_evidence(void **state)
{
	(void)state;
	assert_int_equal(load("[capture]\ninterface = eth0\n"), 0);
	assert_int_equal(cfg.evidence.enabled, 1);
	assert_string_equal(cfg.evidence.dir, "/var/lib/vigil/evidence");
	assert_true(cfg.evidence.max_bytes == 1ULL << 30);
	assert_int_equal(cfg.evidence.max_bytes_auto, 1);
	assert_int_equal(cfg.evidence.max_age_s, 30 * 86400);
	assert_int_equal(cfg.evidence.hold.hold_pkts, 16);
	assert_int_equal(cfg.evidence.hold.hold_bytes, 32768);
	assert_true(cfg.evidence.hold.pool_bytes == 16ULL << 20);
	assert_true(cfg.evidence.hold.per_flow_cap == 1ULL << 20);
	/* beside the database when not set */
	assert_int_equal(load("[capture]\ninterface = eth0\n[store]\ndatabase = /data/v.sqlite\n"), 0);
	assert_string_equal(cfg.evidence.dir, "/data/evidence");
	assert_int_equal(load("[capture]\ninterface = eth0\n"
			      "[evidence]\n"
			      "enabled = no\n"
			      "dir = /data/evidence\n"
			      "max_size = 4G\n"
			      "max_age = 7d\n"
			      "per_flow_cap = 256K\n"
			      "pool_size = 8M\n"
			      "hold_packets = 8\n"
			      "hold_bytes = 16K\n"), 0);
	assert_int_equal(cfg.evidence.enabled, 0);
	assert_string_equal(cfg.evidence.dir, "/data/evidence");
	assert_true(cfg.evidence.max_bytes == 4ULL << 30);
	assert_int_equal(cfg.evidence.max_bytes_auto, 0);
	assert_int_equal(cfg.evidence.max_age_s, 7 * 86400);
	assert_true(cfg.evidence.hold.per_flow_cap == 256 << 10);
	assert_true(cfg.evidence.hold.pool_bytes == 8 << 20);
	assert_int_equal(cfg.evidence.hold.hold_pkts, 8);
	assert_int_equal(cfg.evidence.hold.hold_bytes, 16384);
	assert_int_equal(load("[capture]\ninterface = eth0\n"
			      "[evidence]\n"
			      "dir = evidence\n"          /* 4 */
			      "pool_size = 100K\n"        /* 5 */
			      "hold_packets = 0\n"        /* 6 */
			      "colour = red\n"), 4);      /* 7 */
	assert_problem(4, "dir: an absolute directory is needed, got 'evidence'");
	assert_problem(5, "pool_size: ");
	assert_problem(6, "hold_packets: ");
	assert_problem(7, "unknown setting 'colour' in [evidence]");
}

static void test_mistakes(void **state)
{
	(void)state;
	assert_int_equal(load("[capture]\n"
			      "interface = eth0\n"
			      "snaplen = lots\n"          /* 3 */
			      "max_flows = 1000\n"
			      "max_flows = 2000\n"        /* 5 */
			      "colour = blue\n"           /* 6 */
			      "[nowhere]\n"               /* 7 */
			      "key = ignored\n"
			      "[store]\n"
			      "max_size = 2 lorries\n"    /* 10 */
			      "flow_max_age = 7200500ms\n" /* 11 */
			      "[daemon]\n"
			      "log_level = chatty\n"),    /* 13 */
			 7);
	assert_problem(3, "snaplen: ");
	assert_problem(5, "max_flows is set twice (first on line 4)");
	assert_problem(6, "unknown setting 'colour' in [capture]");
	assert_problem(7, "unknown section [nowhere]");
	assert_problem(10, "max_size: expected a size like 512M or 2G, got '2 lorries'");
	assert_problem(11, "flow_max_age: '7200500ms' is not a whole number of seconds");
	assert_problem(13, "log_level: ");
	/* what was right is kept */
	assert_int_equal(cfg.max_flows, 1000);
}

/* [rules_sync]: values with their reasons, what is required, files that
 * must exist, and the defaults. */
static void test_rules_sync(void **state)
{
	(void)state;
	assert_int_equal(load("[capture]\ninterface = eth0\n"), 0);
	assert_int_equal(cfg.rules_sync.enabled, 0);
	assert_int_equal(cfg.rules_sync.interval_s, 3600);
	assert_int_equal(cfg.rules_sync.max_size, 16u << 20);

	assert_int_equal(load("[capture]\ninterface = eth0\n"
			      "[rules_sync]\n"                             /* line 3 */
			      "url = http://centre.example/rules.tar\n"    /* 4 */
			      "interval = 0s\n"                            /* 5 */
			      "max_size = 100M\n"                          /* 6 */
			      "public_key = /nonexistent/key.pub\n"        /* 7 */
			      "ca = /nonexistent/ca.pem\n"                 /* 8 */
			      "colour = blue\n"                            /* 9 */
			      "interval = 1h\n"                            /* 10 */
			      "[rules_sync]\n"),                           /* 11 */
			 9);
	assert_problem(4, "expected https://HOST[:PORT]/PATH, got 'http://centre.example/rules.tar'");
	assert_problem(5, "expected whole seconds from 1s to 604800s");
	assert_problem(6, "expected a size from 1K to 64M, got '100M'");
	assert_problem(7, "public_key: /nonexistent/key.pub: cannot read the file");
	assert_problem(8, "ca /nonexistent/ca.pem: cannot read the file");
	assert_problem(9, "unknown setting 'colour' in [rules_sync]");
	assert_problem(10, "interval is set twice (first on line 5)");
	assert_problem(11, "[rules_sync] appears twice (first on line 3)");
	assert_problem(3, "[rules_sync]: url is needed");

	assert_int_equal(load("[capture]\ninterface = eth0\n[rules_sync]\n"
			      "url = https://[2001:db8::1]:8443/r/b.tar\n"), 2);
	assert_string_equal(cfg.rules_sync.url, "https://[2001:db8::1]:8443/r/b.tar");
	assert_problem(3, "[rules_sync]: public_key is needed");
	assert_problem(3, "no CA bundle (ca =) to verify the server with");
}

static void test_whole_file(void **state)
{
	(void)state;
	assert_int_equal(load("[daemon]\nuser = root\n"), 1);
	assert_problem(0, "no capture source: set interface or source in [capture]");

	assert_int_equal(load("[capture]\ninterface = eth0\nloop = yes\n"), 1);
	assert_problem(3, "loop: only applies to source = pcap:FILE");

	assert_int_equal(load("[capture]\ninterface = eth0, eth0\n"), 1);
	assert_problem(2, "interface: interface eth0 is listed twice");

	/* a bad name is refused, and then there is no source at all */
	assert_int_equal(load("[capture]\ninterface = a/b\n"), 2);
	assert_problem(2, "interface: 'a/b' is not an interface name");
	assert_problem(0, "no capture source");
}

static void test_unreadable(void **state)
{
	FILE *rep;
	size_t len = 0;

	(void)state;
	free(report);
	report = NULL;
	rep = open_memstream(&report, &len);
	config_defaults(&cfg);
	/* a directory is not a configuration file; nothing hangs or crashes */
	assert_true(config_load(&cfg, "/tmp", rep) >= 1);
	fclose(rep);
	assert_non_null(strstr(report, "/tmp: "));
}

static int teardown(void **state)
{
	(void)state;
	free(report);
	report = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_section),
		cmocka_unit_test(test_capture_files),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_rules_sync),
		cmocka_unit_test(test_whole_file),
		cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
