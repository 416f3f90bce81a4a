/*
 * daemon.h - `vigil run`: the sensor as a long-running service.
 *
 * Owns: the daemon's life - reading vigil.conf, opening the capture
 * sources while still privileged, dropping to the configured user with no
 * capabilities left, the stores, the web stage, the packet loop (live
 * interfaces round-robin, or capture files replayed at recorded speed or
 * as fast as possible, once or in a loop), the timers (flow expiry, sink
 * flushes, statistics, retention), signals (SIGHUP reloads, SIGTERM stops
 * without losing a flow) and the systemd protocol (READY, RELOADING,
 * STOPPING, STATUS, WATCHDOG).
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

/* vigil run [-n] [-c FILE]; exit 0 after a clean stop, 1 on failure. */
int cmd_run(int argc, char **argv);

#endif
