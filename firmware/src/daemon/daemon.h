/*
 * daemon.h - `vigil run`: the sensor as a long-running service.
 *
 * Owns: the daemon's life - opening the capture sources while still
 * privileged (sources.h, daemon_player.h), dropping to the configured user
 * with no capabilities left (daemon_privs.h), the rule sets and their
 * reloads (daemon_rules.h), the stores, the web stage, the packet loop
 * (live interfaces round-robin, or capture files), the timers (flow
 * expiry, sink flushes, statistics, retention, the status of
 * daemon_status.h), signals (SIGHUP reloads, SIGTERM stops without losing
 * a flow) and the systemd protocol (READY, RELOADING, STOPPING, STATUS,
 * WATCHDOG). vigil.conf is read by the caller (cmd/cmd_run.c).
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include "config.h"

/* Run as cfg says (a checked configuration, copied) until SIGTERM or
 * SIGINT, or the end of the files with exit_when_done. The exit status:
 * 0 after a clean stop, 1 on failure. */
int daemon_run(const struct vigil_config *cfg);

#endif
