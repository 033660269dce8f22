/*
 * test_clock.c - the fake wall clock of test_clock.h (tests only).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <sys/time.h>
#include <time.h>

#include "test_clock.h"

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static int following;
static sansrtc_tstamp last_now;  /* the harness's time at the last call */
static sansrtc_tstamp fake_wall; /* nanoseconds since the epoch */

static sansrtc_tstamp real_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (sansrtc_tstamp)ts.tv_sec * 1000000000u + (sansrtc_tstamp)ts.tv_nsec;
}

void test_clock_follow(sansrtc_tstamp now) {
  pthread_mutex_lock(&clock_lock);
  if (!following) {
    following = 1;
    fake_wall = real_wall();
  } else if (now > last_now) {
    fake_wall += now - last_now;
  }
  last_now = now;
  pthread_mutex_unlock(&clock_lock);
}

void test_clock_real(void) {
  pthread_mutex_lock(&clock_lock);
  following = 0;
  pthread_mutex_unlock(&clock_lock);
}

/* Interposes the C library's gettimeofday for the whole test runner. */
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  pthread_mutex_lock(&clock_lock);
  sansrtc_tstamp t = following ? fake_wall : real_wall();
  pthread_mutex_unlock(&clock_lock);
  tv->tv_sec = (time_t)(t / 1000000000u); /* glibc declares tv nonnull */
  tv->tv_usec = (suseconds_t)(t % 1000000000u / 1000u);
  return 0;
}
