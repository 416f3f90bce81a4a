/*
 * clock.h - the program's clocks outside packet time.
 *
 * Owns: how the monotonic and the wall clock are read, and the one name
 * for a second in microseconds. Packet time (the capture's timestamps)
 * drives flows, detection and retention, so replays stay deterministic;
 * these clocks are for what happens in real time: timers, pacing, uptime,
 * lock waits, and the wall-clock time of events the program makes itself
 * (a reload, a web request).
 */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define US_PER_S 1000000ULL

/* CLOCK_MONOTONIC in seconds, milliseconds and microseconds: never steps
 * back. */
double mono_s(void);
uint64_t mono_ms(void);
uint64_t mono_us(void);

/* CLOCK_REALTIME in microseconds since the epoch. */
uint64_t wall_us(void);

/* ms milliseconds from now on the wall clock (monotonic 0: what
 * pthread_cond_timedwait measures by default) or the monotonic clock (a
 * condition variable set to CLOCK_MONOTONIC). */
struct timespec timespec_in_ms(int monotonic, uint64_t ms);

/* Sleep s seconds (nothing when s <= 0); a signal ends it early, so the
 * caller's loop can look at its flags. */
void sleep_s(double s);

#endif
