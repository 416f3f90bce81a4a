/*
 * test_clock.c - the program's clocks (clock.h): the monotonic clock in
 * seconds, milliseconds and microseconds agree and never step back, the
 * wall clock is the system's, deadlines lie ahead by what was asked, and
 * sleep_s sleeps at least what it is asked (how much longer depends on
 * the machine, so only the lower bound is checked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "core/clock.h"

static void test_monotonic(void **state)
{
	double s0 = mono_s();
	uint64_t ms0 = mono_ms();
	double s1 = mono_s();
	uint64_t ms1 = mono_ms();

	(void)state;
	assert_true(s0 > 0);
	assert_true(s1 >= s0);
	assert_true(ms1 >= ms0);
	/* the same clock: seconds and milliseconds read in between agree */
	assert_true((double)ms0 / 1000.0 >= s0 - 0.001);
	assert_true((double)ms0 / 1000.0 <= s1 + 0.001);
}

/* wall_us() is CLOCK_REALTIME in microseconds, between two readings of
 * the same clock (time() reads a coarse clock that may lag it across a
 * second boundary, so it cannot bound it). */
static void test_wall(void **state)
{
	struct timespec before, after;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &before);
	uint64_t us = wall_us();
	clock_gettime(CLOCK_REALTIME, &after);
	assert_int_equal(US_PER_S, 1000000);
	assert_true(us >= (uint64_t)before.tv_sec * US_PER_S + (uint64_t)before.tv_nsec / 1000);
	assert_true(us <= (uint64_t)after.tv_sec * US_PER_S + (uint64_t)after.tv_nsec / 1000);
}

/* t in seconds */
static double secs(struct timespec t)
{
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_microseconds_and_deadlines(void **state)
{
	uint64_t us0 = mono_us(), ms = mono_ms(), us1 = mono_us();
	struct timespec before, after, d;

	(void)state;
	assert_true(us1 >= us0);
	assert_true(ms * 1000 + 1000 >= us0 && ms * 1000 <= us1);
	/* a deadline is what was asked ahead of a time read between the two
	 * reads around it, on each clock, and normalized */
	clock_gettime(CLOCK_REALTIME, &before);
	d = timespec_in_ms(0, 1500);
	clock_gettime(CLOCK_REALTIME, &after);
	assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
	assert_true(secs(d) - 1.5 >= secs(before) - 1e-6 && secs(d) - 1.5 <= secs(after) + 1e-6);
	clock_gettime(CLOCK_MONOTONIC, &before);
	d = timespec_in_ms(1, 999);
	clock_gettime(CLOCK_MONOTONIC, &after);
	assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
	assert_true(secs(d) - 0.999 >= secs(before) - 1e-6 && secs(d) - 0.999 <= secs(after) + 1e-6);
}

static void test_sleep(void **state)
{
	double t0 = mono_s();

	(void)state;
	sleep_s(0);
	sleep_s(-1);
	sleep_s(0.05);
	assert_true(mono_s() - t0 >= 0.05);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_wall),
		cmocka_unit_test(test_microseconds_and_deadlines),
		cmocka_unit_test(test_sleep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
