/*
 * usrsctp_global.h - the one module with process-global state (internal).
 *
 * usrsctp is a process-wide stack: one init, one timer wheel, callbacks that
 * identify an association only by the address it was registered under. This
 * module owns all of that so nothing else in the core keeps global state:
 *
 * - usrsctp is initialised (without threads) by the first reference and
 *   finished when the last one goes, under a mutex;
 * - each association is registered under an integer id, never a pointer;
 *   usrsctp callbacks carry the id, and sansrtc_usrsctp_with() runs code on
 *   the association only while holding the registry lock, so a callback that
 *   races with destruction finds nothing instead of freed memory;
 * - the timer wheel is advanced by whichever owner calls
 *   sansrtc_usrsctp_tick() with its time: a call advances it by the
 *   milliseconds elapsed since the wheel last moved, once at least the
 *   current granularity has. usrsctp walks every timer of the process on
 *   each move, so a move costs time in proportion to the number of
 *   associations; the granularity therefore grows with that number
 *   (sansrtc_usrsctp_granularity_ms), which keeps the walking to a small,
 *   bounded share of a core at thousands of associations at the price of
 *   coarser SCTP timers there.
 *
 * docs/sctp.md gives the thread-safety argument.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_USRSCTP_GLOBAL_H
#define SANSRTC_USRSCTP_GLOBAL_H

#include <stddef.h>
#include <stdint.h>

#include <sansrtc/common.h>

/* What the registry maps an id to: the owner's object and its handlers,
 * called with the registry lock held (they must only queue and wake). */
typedef struct sansrtc_usrsctp_entry {
  void *owner;
  /* An SCTP packet usrsctp wants sent for this association. */
  void (*output)(void *owner, const uint8_t *packet, size_t len);
} sansrtc_usrsctp_entry;

/* Takes a reference on usrsctp, initialising it first if needed, and
 * registers `entry` under a fresh id (never 0) in *id. Returns SANSRTC_OK,
 * SANSRTC_ERR_NOMEM or SANSRTC_ERR_LIMIT (ids exhausted). */
int sansrtc_usrsctp_acquire(const sansrtc_usrsctp_entry *entry, uint32_t *id);

/* Unregisters `id` (later callbacks for it are dropped) and drops the
 * reference; the last one finishes usrsctp once its sockets are gone. */
void sansrtc_usrsctp_release(uint32_t id);

/* Runs fn(owner, arg) with the registry lock held if `id` is registered;
 * returns 1 when it ran. */
int sansrtc_usrsctp_with(uint32_t id, void (*fn)(void *owner, void *arg),
                         void *arg);

/* The SCTP checksum (CRC32c, RFC 4960 appendix B) of a packet whose
 * checksum field is zero, as it is stored in the packet (native order,
 * which is what usrsctp does on the little-endian hosts sansrtc builds
 * for). usrsctp leaves outgoing checksums to conn_output. */
uint32_t sansrtc_usrsctp_crc32c(const uint8_t *data, size_t len);

/* The timer granularity for `associations` live associations: at least
 * SANSRTC_USRSCTP_GRANULARITY_MS, one more millisecond per
 * SANSRTC_USRSCTP_ASSOCIATIONS_PER_MS beyond that, at most
 * SANSRTC_USRSCTP_MAX_GRANULARITY_MS (below the 200 ms minimum RTO). At
 * 4,000 associations the wheel moves ten times a second. */
#define SANSRTC_USRSCTP_GRANULARITY_MS 10
#define SANSRTC_USRSCTP_ASSOCIATIONS_PER_MS 40
#define SANSRTC_USRSCTP_MAX_GRANULARITY_MS 100
uint32_t sansrtc_usrsctp_granularity_ms(uint32_t associations);

/* The granularity in force now (for the live associations); ticking more
 * often than this moves nothing. */
uint32_t sansrtc_usrsctp_current_granularity_ms(void);

/* Advances usrsctp's timers to `now` (see above). Time going backwards (a
 * new fake clock in tests) re-bases without advancing. */
void sansrtc_usrsctp_tick(sansrtc_tstamp now);

/* The usrsctp address (sconn_addr) for an id. */
static inline void *sansrtc_usrsctp_addr(uint32_t id) {
  return (void *)(uintptr_t)id;
}

#endif
