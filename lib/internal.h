/*
 * internal.h - helpers shared by the core's modules (not installed):
 * big-endian load/store and per-object logging.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_INTERNAL_H
#define SANSRTC_INTERNAL_H

#include <stdint.h>

#include <sansrtc/common.h>

static inline uint16_t rd16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}
static inline uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}
static inline void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline void wr64(uint8_t *p, uint64_t v) {
  wr32(p, (uint32_t)(v >> 32));
  wr32(p + 4, (uint32_t)v);
}

/* A logger as objects embed it: callback, its argument and the level. */
typedef struct sansrtc_logger {
  sansrtc_log_fn fn;
  void *user_data;
  sansrtc_log_level level;
} sansrtc_logger;

/* Formats and delivers a message when `level` is enabled; the level test
 * happens before any formatting. */
void sansrtc_log(const sansrtc_logger *log, sansrtc_log_level level,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define SANSRTC_LOG_ENABLED(lg, lvl) \
  ((lg)->fn != NULL && (lvl) <= (lg)->level)

/* Fills `buf` with random bytes from the callback, or OpenSSL when NULL.
 * Returns SANSRTC_OK or SANSRTC_ERR_CRYPTO. */
int sansrtc_random(sansrtc_random_fn fn, void *user_data, uint8_t *buf,
                   size_t len);

#endif
