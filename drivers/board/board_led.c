/*
 * board_led.c - the status LED through the kernel's LED class (board_led.h).
 *
 * Writing an LED attribute is one write(2) of the whole value at offset 0:
 * sysfs hands it to the driver as one command. Each pattern change is at
 * most two such writes (trigger, then brightness when the pattern is a
 * steady light). Removing a trigger ("none") turns the LED off in the
 * kernel, so "none" comes first and the brightness after it.
 *
 * Everything an LED needs lives in struct board_led; there is no global
 * state.
 */
#include "board_led.h"

#include "core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LED_TRIGGERS_MAX (32 * 1024)  /* the trigger list; a few KiB in practice */

/* The boards whose status LED `led = auto` picks. compatible is a prefix
 * of one of the device tree's compatible strings; the first LED of the list
 * that exists wins. Names are those of Debian bookworm's kernel (6.1) and
 * its device trees; keep firmware/systemd/vigil.service's ReadWritePaths=
 * and board/common's tmpfiles.d list in step with this table. */
static const struct board_leds {
	const char *compatible;
	const char *leds[4];
} board_leds[] = {
	/* Raspberry Pi 3, 4, CM4, Zero 2 W: the green ACT LED (led0 under the
	 * Raspberry Pi kernel); the Pi 400 has only PWR */
	{ "raspberrypi,", { "ACT", "led0", "PWR", NULL } },
	/* NanoPi R2S: the red SYS LED */
	{ "friendlyarm,nanopi-r2s", { "nanopi-r2s:red:sys", NULL } },
	/* NanoPi R4S (and Enterprise): the red SYS LED, labelled "power" */
	{ "friendlyarm,nanopi-r4s", { "red:power", NULL } },
	/* ROCK Pi E: its one (blue) LED has no label in the device tree; the
	 * kernel names it after its colour */
	{ "radxa,rockpi-e", { "blue:", NULL } },
};

struct board_led {
	char name[BOARD_LED_NAME_MAX];
	int trigger_fd, brightness_fd;
	char on[16];               /* max_brightness, as text */
	int have_heartbeat, have_timer;
	char missing[32];
	int shown;                 /* enum board_led_pattern, -1 before the first set */
	char error[512];
};

/* A name the LED class could have made: no path separator, not . or .. */
static int led_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < BOARD_LED_NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Read a whole small file at fd from offset 0 into buf (NUL-terminated).
 * Returns the length, or -1. */
static ssize_t led_read_fd(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		ssize_t n = pread(fd, buf + got, len - 1 - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/* 1 if word (a trigger name) is in the trigger list, where the active
 * one is written [like this]. */
static int led_has_trigger(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p; ) {
		p += strspn(p, " \t\n[");
		size_t n = strcspn(p, " \t\n]");
		if (n == wl && strncmp(p, word, wl) == 0)
			return 1;
		p += n;
		p += strspn(p, "]");
	}
	return 0;
}

/* Write value to an attribute as one write at offset 0. ftruncate first:
 * sysfs ignores size changes, and a plain file (a test's tree) then holds
 * exactly the last value written, as the kernel's attribute would show. */
static int led_write(struct board_led *l, int fd, const char *attr, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;

	(void)!ftruncate(fd, 0);
	do
		n = pwrite(fd, value, len, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		str_fmt(l->error, sizeof l->error, "LED %s: %s = %s: %s", l->name, attr,
			value, n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

static int led_open_attr(const char *dir, const char *name, const char *attr, char *err,
			 size_t errlen)
{
	char path[1200];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, attr);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		str_fmt(err, errlen, "LED %s: %s: %s%s", name, path, strerror(errno),
			errno == EROFS ? " (a read-only /sys: under systemd, the unit needs "
			"ReadWritePaths= for this LED)" : "");
	return fd;
}

struct board_led *board_led_open(const char *name, const char *sysfs, char *err,
				 size_t errlen)
{
	char dir[1100], path[1200], *list = NULL;
	struct board_led *l;
	struct stat st;
	int fd;

	if (!name || !led_name_ok(name)) {
		str_fmt(err, errlen, "LED '%s': not an LED name", name ? name : "");
		return NULL;
	}
	snprintf(dir, sizeof dir, "%s/class/leds/%s", sysfs && *sysfs ? sysfs : "/sys", name);
	if (stat(dir, &st) != 0) {
		str_fmt(err, errlen, "LED %s: %s: %s", name, dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		str_fmt(err, errlen, "LED %s: %s: not an LED", name, dir);
		return NULL;
	}
	l = calloc(1, sizeof *l);
	list = malloc(LED_TRIGGERS_MAX);
	if (!l || !list) {
		str_fmt(err, errlen, "LED %s: out of memory", name);
		free(l);
		free(list);
		return NULL;
	}
	snprintf(l->name, sizeof l->name, "%s", name);
	l->shown = -1;
	l->brightness_fd = -1;
	l->trigger_fd = led_open_attr(dir, name, "trigger", err, errlen);
	if (l->trigger_fd < 0)
		goto fail;
	l->brightness_fd = led_open_attr(dir, name, "brightness", err, errlen);
	if (l->brightness_fd < 0)
		goto fail;
	if (led_read_fd(l->trigger_fd, list, LED_TRIGGERS_MAX) < 0) {
		str_fmt(err, errlen, "LED %s: %s/trigger: %s", name, dir, strerror(errno));
		goto fail;
	}
	l->have_heartbeat = led_has_trigger(list, "heartbeat");
	l->have_timer = led_has_trigger(list, "timer");
	snprintf(l->missing, sizeof l->missing, "%s%s%s", l->have_heartbeat ? "" : "heartbeat",
		 !l->have_heartbeat && !l->have_timer ? ", " : "", l->have_timer ? "" : "timer");
	/* the "on" value: max_brightness (1 for a GPIO LED, 255 for PWM) */
	snprintf(path, sizeof path, "%s/max_brightness", dir);
	snprintf(l->on, sizeof l->on, "1");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		char buf[16];
		if (led_read_fd(fd, buf, sizeof buf) > 0 && buf[0] >= '1' && buf[0] <= '9')
			snprintf(l->on, sizeof l->on, "%.*s", (int)strspn(buf, "0123456789"), buf);
		close(fd);
	}
	free(list);
	return l;
fail:
	free(list);
	board_led_close(l);
	return NULL;
}

int board_led_auto(const char *sysfs, char *name, char *board, size_t boardlen)
{
	char path[1200], compat[4096];
	const char *root = sysfs && *sysfs ? sysfs : "/sys";
	ssize_t len;
	int fd;

	if (board && boardlen)
		board[0] = '\0';
	snprintf(path, sizeof path, "%s/firmware/devicetree/base/compatible", root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	len = led_read_fd(fd, compat, sizeof compat);
	close(fd);
	if (len <= 0)
		return -1;
	/* compatible is a list of NUL-terminated strings, most specific first */
	for (const char *c = compat; c < compat + len; c += strlen(c) + 1) {
		for (size_t i = 0; i < sizeof board_leds / sizeof board_leds[0]; i++) {
			const struct board_leds *b = &board_leds[i];
			if (strncmp(c, b->compatible, strlen(b->compatible)) != 0)
				continue;
			if (board && boardlen)
				snprintf(board, boardlen, "%s", c);
			for (int k = 0; k < 4 && b->leds[k]; k++) {
				struct stat st;
				snprintf(path, sizeof path, "%s/class/leds/%s", root, b->leds[k]);
				if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
					snprintf(name, BOARD_LED_NAME_MAX, "%s", b->leds[k]);
					return 0;
				}
			}
		}
	}
	return -1;
}

int board_led_set(struct board_led *l, enum board_led_pattern p)
{
	const char *trigger = "none";
	int steady = 0;

	if (!l)
		return 0;
	if (l->shown == (int)p)
		return 0;
	if (p == BOARD_LED_RUNNING && l->have_heartbeat)
		trigger = "heartbeat";
	else if (p == BOARD_LED_ATTENTION && l->have_timer)
		trigger = "timer";
	else if (p != BOARD_LED_OFF)
		steady = 1;
	if (led_write(l, l->trigger_fd, "trigger", trigger) < 0 ||
	    ((p == BOARD_LED_OFF || steady) &&
	     led_write(l, l->brightness_fd, "brightness", steady ? l->on : "0") < 0)) {
		l->shown = -1;  /* unknown now: the next set writes again */
		return -1;
	}
	l->shown = (int)p;
	return 0;
}

const char *board_led_name(const struct board_led *l)
{
	return l ? l->name : "";
}

const char *board_led_error(const struct board_led *l)
{
	return l ? l->error : "";
}

const char *board_led_missing(const struct board_led *l)
{
	return l ? l->missing : "";
}

const char *board_led_pattern_name(enum board_led_pattern p)
{
	switch (p) {
	case BOARD_LED_OFF: return "off";
	case BOARD_LED_RUNNING: return "running";
	case BOARD_LED_ATTENTION: return "attention";
	}
	return "?";
}

void board_led_close(struct board_led *l)
{
	if (!l)
		return;
	if (l->trigger_fd >= 0)
		close(l->trigger_fd);
	if (l->brightness_fd >= 0)
		close(l->brightness_fd);
	free(l);
}
