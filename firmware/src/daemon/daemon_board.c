/*
 * daemon_board.c - the status LED's pattern and the watchdog report for
 * `vigil run`, and `vigil led` (see daemon_board.h).
 */
#include "daemon_board.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/board/board_led.h"
#include "drivers/board/board_watchdog.h"
#include "core/log.h"


/* Severity of the alerts that make the LED ask for attention: 1, the
 * highest (Suricata's priority 1). */
#define ATTENTION_SEVERITY 1

struct daemon_board {
	struct board_led *led;
	sqlite3 *db;
	sqlite3_stmt *pending_st;
	double last_poll;          /* monotonic seconds; 0 = never */
	int pending;               /* last answer: 1 waiting, 0 none */
	int led_failing;           /* an LED write failed (logged once until it works) */
	int db_failing;            /* the query failed (logged once until it works) */
};

static const char *sysfs_root(void)
{
	const char *s = getenv("VIGIL_SYSFS");
	return s && *s ? s : "/sys";
}

/* The LED that led (auto, none, or a name) means here: fills name and
 * returns 1, or returns 0 for no LED with why filled. */
static int resolve_led(const char *led, char *name, char *why, size_t whylen)
{
	char board[128];

	if (strcmp(led, "none") == 0) {
		snprintf(why, whylen, "none (led = none)");
		return 0;
	}
	if (strcmp(led, "auto") != 0) {
		snprintf(name, BOARD_LED_NAME_MAX, "%s", led);
		snprintf(why, whylen, "%s", led);
		return 1;
	}
	if (board_led_auto(sysfs_root(), name, board, sizeof board) == 0) {
		snprintf(why, whylen, "%s (auto: %s)", name, board);
		return 1;
	}
	if (board[0])
		snprintf(why, whylen, "none (led = auto: board %s, but none of its LEDs is in "
			 "%s/class/leds; led = NAME names one)", board, sysfs_root());
	else
		snprintf(why, whylen, "none (led = auto: no board this build knows in the device "
			 "tree; led = NAME names one of %s/class/leds)", sysfs_root());
	return 0;
}

struct daemon_board *daemon_board_open(const char *led)
{
	struct daemon_board *b = calloc(1, sizeof *b);
	char name[BOARD_LED_NAME_MAX], why[300], err[600], wdline[200];
	struct board_watchdog wd;

	if (!b)
		return NULL;
	if (resolve_led(led, name, why, sizeof why)) {
		b->led = board_led_open(name, sysfs_root(), err, sizeof err);
		if (!b->led)
			log_error("status LED: %s; running without it", err);
		else if (*board_led_missing(b->led))
			log_warn("status LED %s: the kernel lacks the LED trigger %s (module "
				 "ledtrig-*): a steady light instead", why, board_led_missing(b->led));
		else
			log_info("status LED: %s", why);
	} else {
		log_info("status LED: %s", why);
	}
	board_watchdog_probe(sysfs_root(), &wd);
	board_watchdog_describe(&wd, wdline, sizeof wdline);
	if (wd.present && wd.active == 0)
		log_warn("hardware watchdog: %s: a hung kernel will not reset the board "
			 "(RuntimeWatchdogSec= in systemd's system.conf arms it)", wdline);
	else
		log_info("hardware watchdog: %s", wdline);
	return b;
}

static void close_db(struct daemon_board *b)
{
	sqlite3_finalize(b->pending_st);
	sqlite3_close(b->db);
	b->pending_st = NULL;
	b->db = NULL;
}

/* 1 if an alert of ATTENTION_SEVERITY or higher is still 'new', 0 if
 * not, -1 if the store cannot say right now (busy, not created yet). */
static int alerts_pending(struct daemon_board *b, const char *db_path)
{
	int rc;

	if (!b->db) {
		if (sqlite3_open_v2(db_path, &b->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
		    sqlite3_exec(b->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(b->db, "SELECT EXISTS (SELECT 1 FROM alerts"
				       " WHERE status = 'new' AND severity <= ?)", -1,
				       &b->pending_st, NULL) != SQLITE_OK) {
			if (!b->db_failing++)
				log_warn("status LED: %s: %s (alerts are not shown until it opens)",
					 db_path, b->db ? sqlite3_errmsg(b->db) : "out of memory");
			close_db(b);
			return -1;
		}
		sqlite3_bind_int(b->pending_st, 1, ATTENTION_SEVERITY);
	}
	rc = sqlite3_step(b->pending_st);
	int pending = rc == SQLITE_ROW ? sqlite3_column_int(b->pending_st, 0) != 0 : -1;
	sqlite3_reset(b->pending_st);
	if (pending < 0 && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
		if (!b->db_failing++)
			log_warn("status LED: %s: %s", db_path, sqlite3_errmsg(b->db));
		close_db(b);
	} else if (pending >= 0) {
		b->db_failing = 0;
	}
	return pending;
}

void daemon_board_update(struct daemon_board *b, double now, int capture_up,
			 const char *db_path)
{
	enum board_led_pattern p = BOARD_LED_OFF;

	if (!b || !b->led)
		return;
	if (capture_up) {
		if (b->last_poll == 0 || now - b->last_poll >= DAEMON_BOARD_POLL_S) {
			int pending = alerts_pending(b, db_path);
			if (pending >= 0)
				b->pending = pending;
			b->last_poll = now;
		}
		p = b->pending ? BOARD_LED_ATTENTION : BOARD_LED_RUNNING;
	}
	if (board_led_set(b->led, p) < 0) {
		if (!b->led_failing++)
			log_error("status LED: %s", board_led_error(b->led));
	} else {
		b->led_failing = 0;
	}
}

void daemon_board_close(struct daemon_board *b)
{
	if (!b)
		return;
	if (b->led && board_led_set(b->led, BOARD_LED_OFF) < 0)
		log_error("status LED: %s", board_led_error(b->led));
	board_led_close(b->led);
	close_db(b);
	free(b);
}

int daemon_board_led_once(const char *led, int want)
{
	char name[BOARD_LED_NAME_MAX], why[300], err[600];
	int rc = 0;

	if (!resolve_led(led, name, why, sizeof why) || want < 0) {
		printf("status LED: %s\n", why);
		return 0;
	}
	struct board_led *l = board_led_open(name, sysfs_root(), err, sizeof err);
	if (!l) {
		fprintf(stderr, "vigil led: %s\n", err);
		rc = 1;
	} else if (board_led_set(l, (enum board_led_pattern)want) < 0) {
		fprintf(stderr, "vigil led: %s\n", board_led_error(l));
		rc = 1;
	}
	board_led_close(l);
	return rc;
}
