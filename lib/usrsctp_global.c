/*
 * usrsctp_global.c - the process-global usrsctp instance and the registry
 * of associations by id. The only global state in the core; see
 * usrsctp_global.h and docs/sctp.md.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <usrsctp.h>
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "usrsctp_global.h"

#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define MAX_SLOTS (SLOT_MASK - 1)
#define FINISH_ATTEMPTS 200

typedef struct slot {
  uint32_t id; /* 0 when free */
  uint16_t generation;
  sansrtc_usrsctp_entry entry;
} slot;

/* Initialising and finishing usrsctp, and `initialized`, `refs`, are
 * serialised by life_lock. The registry is guarded by `lock`, the only lock
 * usrsctp's callbacks take; life_lock is never taken inside a callback. */
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static unsigned refs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot *slots;
static uint32_t n_slots, cap_slots;
static uint32_t *free_slots;
static uint32_t n_free;
/* The timer wheel's time base. */
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static int tick_based;
static sansrtc_tstamp tick_base;
/* sansrtc_usrsctp_granularity_ms(refs), kept up to date under life_lock
 * and read by sansrtc_usrsctp_tick without it. */
static atomic_uint granularity_ms = SANSRTC_USRSCTP_GRANULARITY_MS;

#if defined(__x86_64__)
/* CRC32c with the SSE4.2 instruction, 8 bytes at a time. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *p, size_t n) {
  uint64_t crc = 0xFFFFFFFFu;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    crc = _mm_crc32_u64(crc, v);
  }
  uint32_t c = (uint32_t)crc;
  for (; n > 0; p++, n--) c = _mm_crc32_u8(c, *p);
  return ~c;
}
#endif

uint32_t sansrtc_usrsctp_crc32c(const uint8_t *data, size_t len) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2")) {
    return crc32c_sse42(data, len);
  }
#endif
  return usrsctp_crc32c((void *)(uintptr_t)data, len);
}

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos,
                       uint8_t set_df) {
  (void)tos;
  (void)set_df;
  /* usrsctp leaves the checksum to us (crc32c offload): computed here,
   * optimised, instead of by its byte-table code. */
  if (len >= 12) {
    uint8_t *packet = buf;
    memset(packet + 8, 0, 4);
    uint32_t crc = sansrtc_usrsctp_crc32c(packet, len);
    memcpy(packet + 8, &crc, 4);
  }
  uint32_t id = (uint32_t)(uintptr_t)addr;
  pthread_mutex_lock(&lock);
  uint32_t s = (id & SLOT_MASK) - 1;
  if (id != 0 && s < n_slots && slots[s].id == id)
    slots[s].entry.output(slots[s].entry.owner, buf, len);
  pthread_mutex_unlock(&lock);
  return 0;
}

static void no_debug_printf(const char *format, ...) { (void)format; }

/* Stack-wide settings for WebRTC data channels over DTLS (RFC 8831). */
static void configure_stack(void) {
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auto_asconf(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  usrsctp_sysctl_set_sctp_pr_enable(1);       /* partial reliability */
  usrsctp_sysctl_set_sctp_reconfig_enable(1); /* stream reset */
  usrsctp_sysctl_set_sctp_nrsack_enable(0);
  usrsctp_sysctl_set_sctp_pktdrop_enable(0);
  usrsctp_sysctl_set_sctp_blackhole(2);
  usrsctp_sysctl_set_sctp_initial_cwnd(10);
  usrsctp_enable_crc32c_offload(); /* see conn_output */
  usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
  usrsctp_sysctl_set_sctp_default_frag_interleave(2);
}

static int grow_slots(void) {
  uint32_t cap = cap_slots ? cap_slots * 2 : 64;
  if (cap > MAX_SLOTS) cap = MAX_SLOTS;
  if (cap <= cap_slots) return SANSRTC_ERR_LIMIT;
  slot *ns = realloc(slots, cap * sizeof *ns);
  if (ns == NULL) return SANSRTC_ERR_NOMEM;
  slots = ns;
  uint32_t *nf = realloc(free_slots, cap * sizeof *nf);
  if (nf == NULL) return SANSRTC_ERR_NOMEM;
  free_slots = nf;
  cap_slots = cap;
  return SANSRTC_OK;
}

static int take_slot(uint32_t *index) {
  if (n_free > 0) {
    *index = free_slots[--n_free];
    return SANSRTC_OK;
  }
  if (n_slots == cap_slots) {
    int rc = grow_slots();
    if (rc != SANSRTC_OK) return rc;
  }
  memset(&slots[n_slots], 0, sizeof slots[n_slots]);
  *index = n_slots++;
  return SANSRTC_OK;
}

int sansrtc_usrsctp_acquire(const sansrtc_usrsctp_entry *entry, uint32_t *id) {
  pthread_mutex_lock(&life_lock);
  pthread_mutex_lock(&lock);
  uint32_t s;
  int rc = take_slot(&s);
  if (rc == SANSRTC_OK) {
    slots[s].generation = (uint16_t)((slots[s].generation + 1) & 0xFFF);
    slots[s].id = (uint32_t)slots[s].generation << SLOT_BITS | (s + 1);
    slots[s].entry = *entry;
    *id = slots[s].id;
  }
  pthread_mutex_unlock(&lock);
  if (rc == SANSRTC_OK) {
    if (!initialized) {
      usrsctp_init_nothreads(0, conn_output, no_debug_printf);
      configure_stack();
      initialized = 1;
    }
    refs++;
    atomic_store(&granularity_ms, sansrtc_usrsctp_granularity_ms(refs));
  }
  pthread_mutex_unlock(&life_lock);
  return rc;
}

/* usrsctp frees closed sockets on its own schedule: its timers retry
 * while something still holds a reference, possibly its own iterator
 * thread (which walks every endpoint after an address is registered or
 * removed). Advance the timers and yield so that thread can finish, as
 * it may not get the CPU otherwise (valgrind runs one thread at a time). */
static void finish_stack(void) {
  for (int i = 0; i < FINISH_ATTEMPTS; i++) {
    if (usrsctp_finish() == 0) {
      initialized = 0;
      return;
    }
    usrsctp_handle_timers(100);
    sched_yield();
  }
}

void sansrtc_usrsctp_release(uint32_t id) {
  pthread_mutex_lock(&life_lock);
  pthread_mutex_lock(&lock);
  uint32_t s = (id & SLOT_MASK) - 1;
  int found = id != 0 && s < n_slots && slots[s].id == id;
  if (found) {
    slots[s].id = 0;
    free_slots[n_free++] = s;
  }
  pthread_mutex_unlock(&lock);
  if (found) atomic_store(&granularity_ms, sansrtc_usrsctp_granularity_ms(--refs));
  if (found && refs == 0) {
    finish_stack(); /* may run callbacks, which take `lock` */
    pthread_mutex_lock(&lock);
    if (!initialized) { /* nothing registered and nothing left in usrsctp */
      free(slots);
      free(free_slots);
      slots = NULL;
      free_slots = NULL;
      n_slots = cap_slots = n_free = 0;
    }
    pthread_mutex_unlock(&lock);
  }
  pthread_mutex_unlock(&life_lock);
}

int sansrtc_usrsctp_with(uint32_t id, void (*fn)(void *owner, void *arg),
                         void *arg) {
  int ran = 0;
  pthread_mutex_lock(&lock);
  uint32_t s = (id & SLOT_MASK) - 1;
  if (id != 0 && s < n_slots && slots[s].id == id) {
    fn(slots[s].entry.owner, arg);
    ran = 1;
  }
  pthread_mutex_unlock(&lock);
  return ran;
}

uint32_t sansrtc_usrsctp_granularity_ms(uint32_t associations) {
  uint32_t ms = associations / SANSRTC_USRSCTP_ASSOCIATIONS_PER_MS;
  if (ms < SANSRTC_USRSCTP_GRANULARITY_MS) ms = SANSRTC_USRSCTP_GRANULARITY_MS;
  if (ms > SANSRTC_USRSCTP_MAX_GRANULARITY_MS) ms = SANSRTC_USRSCTP_MAX_GRANULARITY_MS;
  return ms;
}

uint32_t sansrtc_usrsctp_current_granularity_ms(void) {
  return atomic_load_explicit(&granularity_ms, memory_order_relaxed);
}

void sansrtc_usrsctp_tick(sansrtc_tstamp now) {
  uint32_t elapsed_ms = 0;
  pthread_mutex_lock(&tick_lock);
  if (!tick_based || now < tick_base) {
    tick_based = 1;
    tick_base = now;
  } else {
    sansrtc_tstamp ms = (now - tick_base) / SANSRTC_MILLISECONDS;
    if (ms > UINT32_MAX) ms = UINT32_MAX;
    elapsed_ms = ms >= sansrtc_usrsctp_current_granularity_ms() ? (uint32_t)ms : 0;
    tick_base += (sansrtc_tstamp)elapsed_ms * SANSRTC_MILLISECONDS;
  }
  pthread_mutex_unlock(&tick_lock);
  if (elapsed_ms > 0) usrsctp_handle_timers(elapsed_ms);
}
