/*
 * board_led.h - the board's status LED, through the kernel's LED class
 * (/sys/class/leds/NAME).
 *
 * Owns: finding the status LED (a configured name, or the board's own from
 * a table keyed by the device tree's compatible string), opening its
 * trigger and brightness attributes while the process is still root, and
 * showing one of three patterns. The patterns are kernel LED triggers, so
 * the LED blinks without the daemon waking up for it:
 *
 *   BOARD_LED_OFF        trigger "none", brightness 0
 *   BOARD_LED_RUNNING    trigger "heartbeat" (a double flash about once a
 *                        second, faster under load)
 *   BOARD_LED_ATTENTION  trigger "timer" with the kernel's default delays:
 *                        an even blink, 0.5 s on, 0.5 s off
 *
 * A kernel without a trigger (ledtrig-timer is a module in Debian's
 * kernel; heartbeat is built in) gets a steady light instead, logged once
 * at open.
 *
 * Privileges: the attributes are root's, mode 0644. They are opened before
 * the privilege drop and the descriptors kept; the unprivileged daemon can
 * write the two files it holds and nothing else (no udev rule or chown
 * hands the LED to the service user). Only trigger and brightness are
 * used because the timer's delay_on/delay_off files appear only while that
 * trigger is active, after the drop, when they can no longer be opened.
 *
 * sysfs is the root of the sysfs tree ("/sys"); tests pass a directory of
 * plain files laid out the same way, which the driver writes as it would
 * the kernel's attributes. No global state; every error names the LED.
 */
#ifndef VIGIL_BOARD_LED_H
#define VIGIL_BOARD_LED_H

#include <stddef.h>

#define BOARD_LED_NAME_MAX 64

enum board_led_pattern {
	BOARD_LED_OFF = 0,
	BOARD_LED_RUNNING,
	BOARD_LED_ATTENTION,
};

struct board_led;

/* Open /sys/class/leds/NAME (under sysfs). Returns NULL and fills err
 * ("LED ACT: /sys/class/leds/ACT/trigger: Permission denied") on failure.
 * Does not change the LED. */
struct board_led *board_led_open(const char *name, const char *sysfs, char *err,
				 size_t errlen);

/* The status LED of the board this runs on, from the device tree's
 * compatible strings and the table in board_led.c: the first of the board's
 * LED names that exists. Fills name (BOARD_LED_NAME_MAX bytes) and returns
 * 0; -1 when the board is not in the table or none of its LEDs exists.
 * board (if not NULL) gets the compatible string that matched the table,
 * "" if none did. */
int board_led_auto(const char *sysfs, char *name, char *board, size_t boardlen);

/* Show pattern p. Writes only when it differs from the last one shown.
 * 0, or -1 with board_led_error() set. */
int board_led_set(struct board_led *l, enum board_led_pattern p);

const char *board_led_name(const struct board_led *l);
const char *board_led_error(const struct board_led *l);
/* Triggers this LED's kernel lacks for the patterns ("timer"), "" if none. */
const char *board_led_missing(const struct board_led *l);
const char *board_led_pattern_name(enum board_led_pattern p);

/* Close the descriptors; the LED keeps the pattern it shows (callers set
 * BOARD_LED_OFF first when that is what they mean). NULL is ignored. */
void board_led_close(struct board_led *l);

#endif
