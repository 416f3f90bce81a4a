/*
 * test_board.c - the board drivers (drivers/board) against a made-up sysfs
 * tree of plain files: the LED's patterns as trigger/brightness writes,
 * fallbacks when a trigger is missing, errors that name the LED, picking
 * the board's LED from the device tree, and the watchdog report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "drivers/board/board_led.h"
#include "drivers/board/board_watchdog.h"
#include "unit_tmpdir.h"

static char root[256];

static void put(const char *rel, const char *data, size_t len)
{
	char path[512], dir[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	/* mkdir -p of the parent */
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void puts_(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

static char *get(const char *rel)
{
	static char buf[4096];
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* A fresh tree: an LED called name whose kernel offers triggers. */
static void make_led(const char *name, const char *triggers, const char *max)
{
	char rel[256];

	snprintf(rel, sizeof rel, "class/leds/%s/trigger", name);
	puts_(rel, triggers);
	snprintf(rel, sizeof rel, "class/leds/%s/brightness", name);
	puts_(rel, "1\n");
	if (max) {
		snprintf(rel, sizeof rel, "class/leds/%s/max_brightness", name);
		puts_(rel, max);
	}
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(tmpdir_make(root, "board"), 0);
	return 0;
}

static int board_teardown(void **state)
{
	(void)state;
	assert_int_equal(tmpdir_remove(root), 0);
	return 0;
}

static void test_patterns(void **state)
{
	char err[600] = "";
	struct board_led *l;

	(void)state;
	make_led("ACT", "none rc-feedback kbd-scrolllock [mmc0] timer heartbeat default-on\n",
		 "255\n");
	l = board_led_open("ACT", root, err, sizeof err);
	if (!l)
		fail_msg("open: %s", err);
	assert_string_equal(board_led_name(l), "ACT");
	assert_string_equal(board_led_missing(l), "");
	/* opening changes nothing */
	assert_string_equal(get("class/leds/ACT/brightness"), "1\n");

	assert_int_equal(board_led_set(l, BOARD_LED_RUNNING), 0);
	assert_string_equal(get("class/leds/ACT/trigger"), "heartbeat");
	assert_int_equal(board_led_set(l, BOARD_LED_ATTENTION), 0);
	assert_string_equal(get("class/leds/ACT/trigger"), "timer");
	assert_int_equal(board_led_set(l, BOARD_LED_OFF), 0);
	assert_string_equal(get("class/leds/ACT/trigger"), "none");
	assert_string_equal(get("class/leds/ACT/brightness"), "0");

	/* the same pattern again writes nothing (a tick every second must not
	 * restart the blinking) */
	puts_("class/leds/ACT/trigger", "sentinel");
	assert_int_equal(board_led_set(l, BOARD_LED_OFF), 0);
	assert_string_equal(get("class/leds/ACT/trigger"), "sentinel");
	assert_int_equal(board_led_set(l, BOARD_LED_RUNNING), 0);
	assert_string_equal(get("class/leds/ACT/trigger"), "heartbeat");
	board_led_close(l);
	/* closing leaves the LED as it is */
	assert_string_equal(get("class/leds/ACT/trigger"), "heartbeat");
}

/* The driver writes through the descriptors it opened, never by path
 * again (after the privilege drop it could not open the files): move the
 * LED's directory away after opening, and the writes still land in it. */
static void test_kept_descriptors(void **state)
{
	char err[600] = "", from[512], to[512];
	struct board_led *l;

	(void)state;
	make_led("status", "none timer heartbeat\n", NULL);
	l = board_led_open("status", root, err, sizeof err);
	if (!l)
		fail_msg("open: %s", err);
	snprintf(from, sizeof from, "%s/class/leds/status", root);
	snprintf(to, sizeof to, "%s/class/leds/moved", root);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(board_led_set(l, BOARD_LED_ATTENTION), 0);
	assert_string_equal(get("class/leds/moved/trigger"), "timer");
	assert_int_equal(board_led_set(l, BOARD_LED_OFF), 0);
	board_led_close(l);
	assert_string_equal(get("class/leds/moved/trigger"), "none");
	assert_string_equal(get("class/leds/moved/brightness"), "0");
}

/* A kernel without ledtrig-timer: attention is a steady light at
 * max_brightness, still different from running and from off. */
static void test_missing_triggers(void **state)
{
	char err[600] = "";
	struct board_led *l;

	(void)state;
	make_led("pwm", "none [heartbeat] mmc0\n", "255\n");
	l = board_led_open("pwm", root, err, sizeof err);
	assert_non_null(l);
	assert_string_equal(board_led_missing(l), "timer");
	assert_int_equal(board_led_set(l, BOARD_LED_ATTENTION), 0);
	assert_string_equal(get("class/leds/pwm/trigger"), "none");
	assert_string_equal(get("class/leds/pwm/brightness"), "255");
	assert_int_equal(board_led_set(l, BOARD_LED_RUNNING), 0);
	assert_string_equal(get("class/leds/pwm/trigger"), "heartbeat");
	board_led_close(l);

	make_led("bare", "[none]\n", NULL);
	l = board_led_open("bare", root, err, sizeof err);
	assert_non_null(l);
	assert_string_equal(board_led_missing(l), "heartbeat, timer");
	assert_int_equal(board_led_set(l, BOARD_LED_RUNNING), 0);
	assert_string_equal(get("class/leds/bare/brightness"), "1");
	board_led_close(l);
}

static void test_errors(void **state)
{
	char err[600] = "";

	(void)state;
	assert_null(board_led_open("nosuch", root, err, sizeof err));
	assert_non_null(strstr(err, "LED nosuch: "));
	assert_non_null(strstr(err, "class/leds/nosuch"));
	assert_null(board_led_open("../../etc", root, err, sizeof err));
	assert_non_null(strstr(err, "not an LED name"));
	assert_null(board_led_open("", root, err, sizeof err));
	/* an LED directory without its trigger attribute */
	puts_("class/leds/half/brightness", "0\n");
	assert_null(board_led_open("half", root, err, sizeof err));
	assert_non_null(strstr(err, "LED half: "));
	assert_non_null(strstr(err, "half/trigger"));
	/* NULL is a no-op */
	assert_int_equal(board_led_set(NULL, BOARD_LED_RUNNING), 0);
	board_led_close(NULL);
}

static void test_auto(void **state)
{
	static const char pi4[] = "raspberrypi,4-model-b\0brcm,bcm2711";
	static const char pi400[] = "raspberrypi,400\0brcm,bcm2711";
	static const char r2s[] = "friendlyarm,nanopi-r2s\0rockchip,rk3328";
	static const char r4s[] = "friendlyarm,nanopi-r4s-enterprise\0rockchip,rk3399";
	static const char rockpie[] = "radxa,rockpi-e\0rockchip,rk3328";
	static const char other[] = "pine64,rockpro64\0rockchip,rk3399";
	char name[BOARD_LED_NAME_MAX], board[128];

	(void)state;
	/* no device tree (a PC): nothing */
	assert_int_equal(board_led_auto(root, name, board, sizeof board), -1);

	put("firmware/devicetree/base/compatible", pi4, sizeof pi4);
	make_led("ACT", "none timer heartbeat\n", NULL);
	make_led("PWR", "none timer heartbeat\n", NULL);
	assert_int_equal(board_led_auto(root, name, board, sizeof board), 0);
	assert_string_equal(name, "ACT");
	assert_string_equal(board, "raspberrypi,4-model-b");

	put("firmware/devicetree/base/compatible", pi400, sizeof pi400);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -r '%s/class/leds/ACT'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(board_led_auto(root, name, NULL, 0), 0);
	assert_string_equal(name, "PWR");

	put("firmware/devicetree/base/compatible", r2s, sizeof r2s);
	make_led("nanopi-r2s:red:sys", "none timer heartbeat\n", NULL);
	assert_int_equal(board_led_auto(root, name, board, sizeof board), 0);
	assert_string_equal(name, "nanopi-r2s:red:sys");

	put("firmware/devicetree/base/compatible", r4s, sizeof r4s);
	/* the board is known, its LED is not there: -1, and board says which */
	assert_int_equal(board_led_auto(root, name, board, sizeof board), -1);
	assert_string_equal(board, "friendlyarm,nanopi-r4s-enterprise");
	make_led("red:power", "none timer heartbeat\n", NULL);
	assert_int_equal(board_led_auto(root, name, board, sizeof board), 0);
	assert_string_equal(name, "red:power");
	assert_string_equal(board, "friendlyarm,nanopi-r4s-enterprise");

	put("firmware/devicetree/base/compatible", rockpie, sizeof rockpie);
	make_led("blue:", "none timer heartbeat\n", NULL);
	assert_int_equal(board_led_auto(root, name, board, sizeof board), 0);
	assert_string_equal(name, "blue:");

	put("firmware/devicetree/base/compatible", other, sizeof other);
	assert_int_equal(board_led_auto(root, name, board, sizeof board), -1);
	assert_string_equal(board, "");
}

static void test_watchdog(void **state)
{
	struct board_watchdog w;
	char line[200];

	(void)state;
	assert_int_equal(board_watchdog_probe(root, &w), 0);
	board_watchdog_describe(&w, line, sizeof line);
	assert_string_equal(line, "none");

	puts_("class/watchdog/watchdog1/identity", "i6300ESB timer\n");
	puts_("class/watchdog/watchdog0/identity", "Broadcom BCM2835 Watchdog timer\n");
	puts_("class/watchdog/watchdog0/timeout", "15\n");
	puts_("class/watchdog/watchdog0/state", "active\n");
	assert_int_equal(board_watchdog_probe(root, &w), 1);
	board_watchdog_describe(&w, line, sizeof line);
	assert_string_equal(line, "watchdog0 (Broadcom BCM2835 Watchdog timer), 15 s, armed");

	puts_("class/watchdog/watchdog0/state", "inactive\n");
	assert_int_equal(board_watchdog_probe(root, &w), 1);
	assert_int_equal(w.active, 0);
	board_watchdog_describe(&w, line, sizeof line);
	assert_string_equal(line, "watchdog0 (Broadcom BCM2835 Watchdog timer), 15 s, not armed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_patterns, setup, board_teardown),
		cmocka_unit_test_setup_teardown(test_kept_descriptors, setup, board_teardown),
		cmocka_unit_test_setup_teardown(test_missing_triggers, setup, board_teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, board_teardown),
		cmocka_unit_test_setup_teardown(test_auto, setup, board_teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup, board_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
