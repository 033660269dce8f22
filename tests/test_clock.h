/*
 * test_clock.h - a fake wall clock for usrsctp in tests.
 *
 * usrsctp runs its timers on the ticks sansrtc hands it (the caller's
 * time), but stamps chunks and measures round trips with gettimeofday().
 * A retransmission timeout only resends chunks sent at least one RTO ago
 * by that wall clock, so under fake time, where hours pass in a
 * millisecond of real time, a lost last message would never be resent.
 * Production is consistent (the caller's time is the real clock); tests
 * make it consistent by moving this clock with their fake time.
 *
 * The test runner defines gettimeofday(), which the dynamic linker binds
 * usrsctp's calls to. It returns the real time until test_clock_follow()
 * is called, and the real time at that moment plus the fake time that
 * has passed since, afterwards. test_clock_real() switches back.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_TESTS_TEST_CLOCK_H
#define SANSRTC_TESTS_TEST_CLOCK_H

#include <sansrtc/common.h>

/* Moves the wall clock with a harness's fake time: forward by the time
 * since the previous call; a `now` earlier than that (a new harness
 * starting from zero) moves nothing, so the wall clock never goes back. */
void test_clock_follow(sansrtc_tstamp now);
/* Back to the real clock (tests with real threads and real time). */
void test_clock_real(void);

#endif
