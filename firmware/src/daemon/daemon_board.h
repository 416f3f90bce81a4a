/*
 * daemon_board.h - the daemon's use of the board drivers (drivers/board):
 * the status LED and what it shows, and the hardware watchdog report.
 *
 * Owns: which LED ([board] led in vigil.conf: auto, none or a name), the
 * rule for its pattern, and the question "is an unacknowledged
 * high-severity alert waiting?":
 *
 *   capture down (the daemon stopping or stopped,
 *                 a capture file replayed to its end)     off
 *   capture running                                       heartbeat
 *   capture running, and an alert of severity 1 is
 *   still 'new'                                           even blink (1 Hz)
 *
 * An alert stops counting when an analyst acknowledges it, escalates it or
 * marks it a false positive (its status leaves 'new'), or when retention
 * removes it. The alert store is asked at most every DAEMON_BOARD_POLL_S
 * seconds, from the packet loop's once-a-second tick, on a read-only
 * connection of this module's own (one indexed lookup, alerts_triage: a
 * few microseconds; a busy database keeps the last answer rather than
 * waiting). A daemon killed without stopping cannot turn the LED off:
 * vigil.service's ExecStopPost= runs `vigil led off` for that.
 *
 * VIGIL_SYSFS (environment) replaces /sys, for tests.
 */
#ifndef VIGIL_DAEMON_BOARD_H
#define VIGIL_DAEMON_BOARD_H

#define DAEMON_BOARD_POLL_S 2.0

struct daemon_board;

/* Open the LED named by led (auto, none or a name) and log what the board
 * has (LED, missing triggers, hardware watchdog). Call while still root:
 * the LED's files are root's. A LED that cannot be opened is logged and
 * left out; the daemon runs on without it. NULL only when out of memory
 * (the other functions accept NULL). */
struct daemon_board *daemon_board_open(const char *led);

/* From the packet loop's tick: now is monotonic seconds, capture_up says
 * whether a source is running, db_path is the alert store. */
void daemon_board_update(struct daemon_board *b, double now, int capture_up,
			 const char *db_path);

/* Capture is down: LED off, everything closed. */
void daemon_board_close(struct daemon_board *b);

/* `vigil led`'s work, once, as root: set the LED named by led (auto, none
 * or a name) to want (an enum board_led_pattern), or with want < 0 print
 * which LED that is. Returns the exit status (errors on stderr). */
int daemon_board_led_once(const char *led, int want);

#endif
