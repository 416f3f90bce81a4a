/*
 * board_watchdog.h - the board's hardware watchdog, as the kernel's
 * watchdog class shows it (/sys/class/watchdog/watchdogN).
 *
 * Owns: finding out whether the board has a hardware watchdog, which one,
 * its timeout and whether it is armed, so the daemon can say so at start
 * (and warn when a board's watchdog is left unarmed).
 *
 * Who does what: systemd (PID 1) opens /dev/watchdog0 and keeps it fed
 * (RuntimeWatchdogSec= in a system.conf drop-in of the image): a hung
 * kernel or PID 1 resets the board. The daemon feeds systemd's service
 * watchdog (WatchdogSec= in vigil.service, sd_notify WATCHDOG=1 from its
 * packet loop): a hung packet loop gets the daemon killed and restarted.
 * The device itself is never opened here: a watchdog device has one owner,
 * and it is PID 1.
 *
 * sysfs is the root of the sysfs tree ("/sys"; tests pass their own). No
 * global state.
 */
#ifndef VIGIL_BOARD_WATCHDOG_H
#define VIGIL_BOARD_WATCHDOG_H

#include <stddef.h>

struct board_watchdog {
	int present;             /* 0: no hardware watchdog */
	char dev[32];            /* "watchdog0" */
	char identity[64];       /* the driver's name for it */
	int timeout_s;           /* -1 when the kernel does not say */
	int active;              /* 1 armed, 0 not armed, -1 the kernel does not say */
};

/* The first watchdog (lowest N) under sysfs/class/watchdog. Always fills
 * *w; returns w->present. */
int board_watchdog_probe(const char *sysfs, struct board_watchdog *w);

/* One line for the log: "watchdog0 (Broadcom BCM2835 Watchdog timer),
 * 15 s, armed" or "none". */
void board_watchdog_describe(const struct board_watchdog *w, char *buf, size_t len);

#endif
