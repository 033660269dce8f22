/*
 * sansrtc/common.h - types shared by every sansrtc module: error codes,
 * timestamps, transport addresses, logging and the export macro.
 *
 * Thread-safety: every function declared here is pure (no shared state) and
 * may be called from any thread at any time.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_COMMON_H
#define SANSRTC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SANSRTC_API marks the symbols exported from libsansrtc.so; everything else
 * is built with -fvisibility=hidden. */
#if defined(SANSRTC_BUILDING) && defined(__GNUC__)
#define SANSRTC_API __attribute__((visibility("default")))
#else
#define SANSRTC_API
#endif

#define SANSRTC_VERSION_MAJOR 0
#define SANSRTC_VERSION_MINOR 1
#define SANSRTC_VERSION_PATCH 0
#define SANSRTC_VERSION_STRING "0.1.0"

/* Returns SANSRTC_VERSION_STRING of the library actually linked. */
SANSRTC_API const char *sansrtc_version(void);

/*
 * Error codes. Every fallible sansrtc function returns SANSRTC_OK (0) or one
 * of these negative values; each function's comment lists the ones it can
 * return. Values are stable and never renumbered.
 */
typedef enum sansrtc_error {
  SANSRTC_OK = 0,
  SANSRTC_ERR_INVALID_ARGUMENT = -1, /* NULL where not allowed, bad value */
  SANSRTC_ERR_NOMEM = -2,            /* an allocation failed */
  SANSRTC_ERR_BUFFER_TOO_SMALL = -3, /* the caller's output buffer is short */
  SANSRTC_ERR_MALFORMED = -4,        /* input bytes do not parse */
  SANSRTC_ERR_INTEGRITY = -5,        /* integrity check failed: STUN
                                      * MESSAGE-INTEGRITY, SRTP/SRTCP tag */
  SANSRTC_ERR_FINGERPRINT = -6,      /* FINGERPRINT check failed */
  SANSRTC_ERR_INVALID_STATE = -7,    /* call not allowed in this state */
  SANSRTC_ERR_NOT_FOUND = -8,        /* the thing asked for does not exist */
  SANSRTC_ERR_UNSUPPORTED = -9,      /* valid input this build cannot use */
  SANSRTC_ERR_LIMIT = -10,           /* a configured limit was reached */
  SANSRTC_ERR_AUTH = -11,            /* credentials (e.g. USERNAME) wrong */
  SANSRTC_ERR_CRYPTO = -12,          /* the crypto library reported failure */
  SANSRTC_ERR_NOT_STUN = -13,        /* datagram is not a STUN message */
  SANSRTC_ERR_TIMEOUT = -14,         /* a blocking call ran out of time */
  SANSRTC_ERR_SYSTEM = -15,          /* the OS refused (socket, thread, fd) */
  SANSRTC_ERR_REPLAY = -16           /* a replayed or too old SRTP packet */
} sansrtc_error;

/* Returns a static, human-readable English description of an error code
 * (never NULL; unknown codes give "unknown error"). */
SANSRTC_API const char *sansrtc_strerror(int err);

/*
 * Time. The core never reads a clock: every function that needs the time
 * takes `now`, a monotonic timestamp in nanoseconds from an origin of the
 * caller's choosing (CLOCK_MONOTONIC in the threads layer, a counter in
 * tests). SANSRTC_TSTAMP_NEVER means "no deadline".
 */
typedef uint64_t sansrtc_tstamp;
#define SANSRTC_TSTAMP_NEVER UINT64_MAX
#define SANSRTC_MICROSECONDS ((sansrtc_tstamp)1000ULL)
#define SANSRTC_MILLISECONDS ((sansrtc_tstamp)1000000ULL)
#define SANSRTC_SECONDS ((sansrtc_tstamp)1000000000ULL)

/*
 * A transport address (IP address and port), independent of socket headers.
 * `ip` holds 4 bytes (family SANSRTC_AF_IPV4) or 16 bytes (SANSRTC_AF_IPV6)
 * in network order; `port` is in host order. A zeroed struct has family
 * SANSRTC_AF_NONE and is "no address".
 */
typedef enum sansrtc_af {
  SANSRTC_AF_NONE = 0,
  SANSRTC_AF_IPV4 = 4,
  SANSRTC_AF_IPV6 = 6
} sansrtc_af;

typedef struct sansrtc_addr {
  uint8_t family; /* sansrtc_af */
  uint16_t port;
  uint8_t ip[16];
} sansrtc_addr;

/* Longest text sansrtc_addr_format writes, terminator included:
 * "[" + 45-char IPv6 + "]:" + 5-digit port + NUL. */
#define SANSRTC_ADDR_STRLEN 56

/* Parses a numeric IPv4 ("192.0.2.1") or IPv6 ("2001:db8::1") address
 * without brackets into `out` with the given port. Returns SANSRTC_OK, or
 * SANSRTC_ERR_INVALID_ARGUMENT for NULL arguments, or SANSRTC_ERR_MALFORMED
 * when `text` is not a numeric address (host names are never resolved). */
SANSRTC_API int sansrtc_addr_parse(sansrtc_addr *out, const char *text,
                                   uint16_t port);

/* Writes "a.b.c.d:port" or "[v6]:port" into `buf` (at least
 * SANSRTC_ADDR_STRLEN bytes is always enough). Returns `buf`; writes "-" for
 * SANSRTC_AF_NONE. `buf` must not be NULL and `len` must be > 0. */
SANSRTC_API char *sansrtc_addr_format(const sansrtc_addr *addr, char *buf,
                                      size_t len);

/* Writes only the IP part ("a.b.c.d" or "v6" without brackets). Returns buf. */
SANSRTC_API char *sansrtc_addr_format_ip(const sansrtc_addr *addr, char *buf,
                                         size_t len);

/* Returns 1 when both addresses have the same family, IP and port, else 0. */
SANSRTC_API int sansrtc_addr_equal(const sansrtc_addr *a,
                                   const sansrtc_addr *b);

/* Returns 1 when both have the same family and IP (ports ignored), else 0. */
SANSRTC_API int sansrtc_addr_equal_ip(const sansrtc_addr *a,
                                      const sansrtc_addr *b);

/*
 * Demultiplexing (RFC 7983, RFC 5761): what a datagram received on an ICE
 * 5-tuple is, by its first bytes. A datagram too short for the header of
 * its kind is SANSRTC_PACKET_UNKNOWN, to be dropped.
 */
typedef enum sansrtc_packet_kind {
  SANSRTC_PACKET_UNKNOWN = 0,
  SANSRTC_PACKET_STUN,         /* first byte 0..3 */
  SANSRTC_PACKET_ZRTP,         /* 16..19 */
  SANSRTC_PACKET_DTLS,         /* 20..63 */
  SANSRTC_PACKET_TURN_CHANNEL, /* 64..79 */
  SANSRTC_PACKET_RTP,          /* 128..191, payload type not RTCP's */
  SANSRTC_PACKET_RTCP          /* 128..191, packet type 192..223 */
} sansrtc_packet_kind;

SANSRTC_API sansrtc_packet_kind sansrtc_packet_classify(const uint8_t *data,
                                                        size_t len);

/*
 * Logging. Each sansrtc object takes its own log callback and level in its
 * configuration (there is no global logger). The callback is called on the
 * thread that called into that object, only for messages at or below the
 * configured level, with a NUL-terminated message valid for the call only.
 */
typedef enum sansrtc_log_level {
  SANSRTC_LOG_NONE = 0,
  SANSRTC_LOG_ERROR = 1,
  SANSRTC_LOG_WARNING = 2,
  SANSRTC_LOG_INFO = 3,
  SANSRTC_LOG_DEBUG = 4,
  SANSRTC_LOG_TRACE = 5
} sansrtc_log_level;

typedef void (*sansrtc_log_fn)(void *user_data, sansrtc_log_level level,
                               const char *message);

/*
 * Randomness. Objects that need random bytes (transaction ids, credentials,
 * tie-breakers, jitter) take this callback in their configuration; NULL means
 * OpenSSL's RAND_bytes. Tests pass a seeded generator to be deterministic.
 * Returns 0 on success, non-zero on failure.
 */
typedef int (*sansrtc_random_fn)(void *user_data, uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_COMMON_H */
