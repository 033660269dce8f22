/*
 * log.c - per-object logging and the randomness hook.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/rand.h>

#include "internal.h"

void sansrtc_log(const sansrtc_logger *log, sansrtc_log_level level,
                 const char *fmt, ...) {
  if (log == NULL || !SANSRTC_LOG_ENABLED(log, level)) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  log->fn(log->user_data, level, msg);
}

int sansrtc_random(sansrtc_random_fn fn, void *user_data, uint8_t *buf,
                   size_t len) {
  if (len == 0) return SANSRTC_OK;
  if (fn != NULL) return fn(user_data, buf, len) == 0 ? SANSRTC_OK
                                                      : SANSRTC_ERR_CRYPTO;
  if (len > 0x7fffffff) return SANSRTC_ERR_INVALID_ARGUMENT;
  return RAND_bytes(buf, (int)len) == 1 ? SANSRTC_OK : SANSRTC_ERR_CRYPTO;
}
