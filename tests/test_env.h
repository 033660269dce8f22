/*
 * test_env.h - what the environment asks of the tests.
 *
 * SANSRTC_TEST_SLOW=0 (set by `make valgrind`, where everything runs 20-50
 * times slower) asks for a tenth of the iterations in the randomised and
 * bulk loops: the same paths, fewer repetitions.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_TESTS_TEST_ENV_H
#define SANSRTC_TESTS_TEST_ENV_H

#include <stdlib.h>
#include <string.h>

static inline int test_iterations(int n) {
  const char *v = getenv("SANSRTC_TEST_SLOW");
  int quick = v != NULL && strcmp(v, "0") == 0;
  return quick && n >= 10 ? n / 10 : n;
}

#endif
