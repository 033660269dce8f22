/*
 * alloc_count - counts the heap calls made on sansrtc's per-packet media
 * paths and fails unless the RTP, RTCP and packetizer paths make none.
 *
 * The program defines malloc, calloc, realloc, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc itself. An executable's
 * definitions come first in the dynamic linker's symbol search, so every
 * call to them - from sansrtc (linked in statically), from libc, and from
 * shared libraries such as libsrtp2, NSS and OpenSSL - lands here. Each
 * call is counted in thread-local counters and forwarded to glibc's own
 * entry points (reallocarray goes through realloc) (__libc_malloc, __libc_calloc, __libc_realloc, __libc_free,
 * __libc_memalign, __libc_valloc, __libc_pvalloc, all exported by glibc
 * 2.36), so no dlsym lookup (which itself allocates) is needed.
 *
 * After building the objects and a warm-up, each path runs ITERATIONS
 * times between two snapshots of the counters:
 *   rtp           parse a 1,200-byte packet, look up and decode its TWCC
 *                 sequence number and mid, write a header with two
 *                 extensions
 *   rtcp:*        write and parse (every field) SR + SDES, RR + NACK +
 *                 TWCC, and a compound of every packet type
 *   packetize:*   packetize one fixture frame (1,200-byte payloads) and
 *                 depacketize it, for each codec
 *   srtp:*        protect and unprotect one 1,200-byte RTP packet, for
 *                 each profile, through sansrtc_srtp and then through
 *                 libsrtp2 directly with the same policies
 * It asserts zero heap calls for rtp, rtcp and packetize. libsrtp2 as
 * Debian builds it (on NSS) allocates per packet, so for srtp it asserts
 * that the calls through sansrtc equal those of libsrtp2 alone (sansrtc
 * adds none) and that allocations equal frees over the loop (nothing
 * grows). Before all that it checks the interposition works: a strdup in
 * libc and the creation of a libsrtp2 session must both be counted.
 *
 * usage: alloc_count   (from the repository root: it reads
 *                       tests/fixtures/media; exits 0 when every check
 *                       passes, 1 otherwise)
 * Not for sanitizer or valgrind builds: they replace malloc themselves.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/media_work.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#error "alloc_count replaces malloc; build it without sanitizers"
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#error "alloc_count replaces malloc; build it without sanitizers"
#endif
#endif

#define ITERATIONS 10000
#define WARMUP 200

/* ---- the interposer ------------------------------------------------------ */

/* glibc's allocator under its internal names (exported, GLIBC_2.2.5). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* Heap calls of this thread: blocks obtained (malloc and friends,
 * realloc(NULL, n)), blocks released (free of non-NULL, realloc(p, 0)),
 * and blocks resized (realloc(p, n)). Plain counters in thread-local
 * storage: no locks, nothing allocated. */
typedef struct heap_calls {
  unsigned long allocs, frees, reallocs;
} heap_calls;

/* volatile: glibc declares functions such as strdup "leaf" (they never
 * call back into this file), so without it the compiler may keep a
 * counter in a register across a call that did reach malloc here. */
static _Thread_local volatile heap_calls calls;

void *malloc(size_t size) {
  calls.allocs++;
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  calls.allocs++;
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
  if (p == NULL)
    calls.allocs++;
  else if (size == 0)
    calls.frees++;
  else
    calls.reallocs++;
  return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, n * size);
}

void free(void *p) {
  if (p != NULL) calls.frees++;
  __libc_free(p);
}

void *memalign(size_t align, size_t size) {
  calls.allocs++;
  return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size) {
  calls.allocs++;
  return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size) {
  calls.allocs++;
  if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
  void *p = __libc_memalign(align, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

void *valloc(size_t size) {
  calls.allocs++;
  return __libc_valloc(size);
}

void *pvalloc(size_t size) {
  calls.allocs++;
  return __libc_pvalloc(size);
}

/* ---- reporting ----------------------------------------------------------- */

static int failures;

static heap_calls snapshot(void) {
  return (heap_calls){calls.allocs, calls.frees, calls.reallocs};
}

static heap_calls since(heap_calls before) {
  heap_calls now = snapshot();
  return (heap_calls){now.allocs - before.allocs, now.frees - before.frees,
                      now.reallocs - before.reallocs};
}

/* One row of the summary table. */
static void report(const char *path, heap_calls c, const char *verdict,
                   int ok) {
  printf("%-26s %10lu %10lu %10lu %12.2f  %s\n", path, c.allocs, c.frees,
         c.reallocs, (double)(c.allocs + c.reallocs) / ITERATIONS, verdict);
  if (!ok) failures++;
}

static void expect_zero(const char *path, heap_calls c) {
  int ok = c.allocs == 0 && c.frees == 0 && c.reallocs == 0;
  report(path, c, ok ? "ok: none" : "FAIL: heap calls on a per-packet path", ok);
}

static void broken(const char *path, const char *what) {
  printf("%-26s FAIL: %s\n", path, what);
  failures++;
}

/* ---- paths --------------------------------------------------------------- */

static void run_rtp(void) {
  static mw_rtp w;
  long sink = 0;
  if (mw_rtp_init(&w) != 0) {
    broken("rtp", "could not build a packet");
    return;
  }
  for (int i = 0; i < WARMUP; i++)
    sink += mw_rtp_parse(&w) + mw_rtp_write(&w, (uint16_t)i);
  heap_calls before = snapshot();
  for (int i = 0; i < ITERATIONS; i++) {
    long a = mw_rtp_parse(&w), b = mw_rtp_write(&w, (uint16_t)i);
    if (a < 0 || b < 0) {
    broken("rtp", "parse or write failed");
    return;
  }
    sink += a + b;
  }
  heap_calls c = since(before);
  expect_zero(sink > 0 ? "rtp parse+lookup+write" : "rtp (no work)", c);
}

static void run_rtcp(void) {
  static const char *const names[MW_COMPOUNDS] = {
      "rtcp sr+sdes", "rtcp rr+nack+twcc", "rtcp all 11 types"};
  static mw_rtcp w;
  if (mw_rtcp_init(&w) != 0) {
    broken("rtcp", "could not build compounds");
    return;
  }
  for (int c = 0; c < MW_COMPOUNDS; c++) {
    long sink = 0;
    for (int i = 0; i < WARMUP; i++)
      sink += mw_rtcp_write(&w, (mw_compound)c, (uint32_t)i) +
              mw_rtcp_parse(&w, (mw_compound)c);
    heap_calls before = snapshot();
    for (int i = 0; i < ITERATIONS; i++) {
      long a = mw_rtcp_write(&w, (mw_compound)c, (uint32_t)i);
      long b = mw_rtcp_parse(&w, (mw_compound)c);
      if (a < 0 || b < 0) {
    broken(names[c], "write or parse failed");
    return;
  }
      sink += a + b;
    }
    heap_calls calls_c = since(before);
    expect_zero(sink > 0 ? names[c] : "rtcp (no work)", calls_c);
  }
}

static void run_packetize(sansrtc_codec codec, const char *name) {
  static mw_media w;
  char path[64];
  snprintf(path, sizeof path, "packetize+depacketize %s", name);
  if (mw_media_init(&w, codec) != 0) {
    broken(path, "no fixture");
    return;
  }
  size_t n = w.m->n;
  for (int i = 0; i < WARMUP; i++)
    if (mw_packetize(&w, (size_t)i % n) < 0 || mw_depacketize(&w) < 0) {
      mw_media_free(&w);
      {
    broken(path, "warm-up failed");
    return;
  }
    }
  uint64_t frames_before = w.frames_out;
  heap_calls before = snapshot();
  int ok = 1;
  for (int i = 0; i < ITERATIONS && ok; i++)
    ok = mw_packetize(&w, (size_t)i % n) >= 0 && mw_depacketize(&w) >= 0;
  heap_calls c = since(before);
  /* Every frame comes out (give or take the one held at the ends). */
  if (!ok || w.frames_incomplete != 0 ||
      w.frames_out - frames_before + 1 < ITERATIONS)
    broken(path, "frames were lost or refused");
  else
    expect_zero(path, c);
  mw_media_free(&w);
}

/* ---- SRTP ---------------------------------------------------------------- */

typedef struct srtp_counts {
  heap_calls calls;         /* the whole loop */
  unsigned long in_protect; /* of which during protect (allocs + reallocs) */
  int ok;
} srtp_counts;

static unsigned long obtained(heap_calls c) { return c.allocs + c.reallocs; }

/* ITERATIONS protect + unprotect of one packet through sansrtc. */
static srtp_counts srtp_via_sansrtc(sansrtc_srtp *s, uint16_t *seq) {
  uint8_t buf[MW_PACKET + SANSRTC_SRTP_MAX_TRAILER];
  srtp_counts r = {{0, 0, 0}, 0, 1};
  for (int i = 0; i < WARMUP + ITERATIONS && r.ok; i++) {
    if (i == WARMUP) r.calls = snapshot();
    mw_srtp_packet(buf, (*seq)++);
    size_t len = MW_PACKET;
    heap_calls p = snapshot();
    r.ok = sansrtc_srtp_protect_rtp(s, buf, &len, sizeof buf) == SANSRTC_OK;
    if (i >= WARMUP) r.in_protect += obtained(since(p));
    r.ok = r.ok && sansrtc_srtp_unprotect_rtp(s, buf, &len) == SANSRTC_OK &&
           len == MW_PACKET;
  }
  r.calls = since(r.calls);
  return r;
}

/* The same through libsrtp2 alone (sessions from mw_srtp_direct). */
static srtp_counts srtp_direct(srtp_t tx, srtp_t rx, uint16_t *seq) {
  uint8_t buf[MW_PACKET + SANSRTC_SRTP_MAX_TRAILER];
  srtp_counts r = {{0, 0, 0}, 0, 1};
  for (int i = 0; i < WARMUP + ITERATIONS && r.ok; i++) {
    if (i == WARMUP) r.calls = snapshot();
    mw_srtp_packet(buf, (*seq)++);
    int len = MW_PACKET;
    heap_calls p = snapshot();
    r.ok = srtp_protect(tx, buf, &len) == srtp_err_status_ok;
    if (i >= WARMUP) r.in_protect += obtained(since(p));
    r.ok = r.ok && srtp_unprotect(rx, buf, &len) == srtp_err_status_ok &&
           len == MW_PACKET;
  }
  r.calls = since(r.calls);
  return r;
}

/* The reference row: libsrtp2 alone, split into protect and unprotect. */
static void srtp_row(const char *path, srtp_counts r) {
  char label[64], note[96];
  snprintf(label, sizeof label, "%s libsrtp2", path);
  snprintf(note, sizeof note, "reference: %.2f in protect + %.2f in unprotect",
           (double)r.in_protect / ITERATIONS,
           (double)(obtained(r.calls) - r.in_protect) / ITERATIONS);
  report(label, r.calls, note, 1);
}

static void run_srtp(unsigned profile) {
  char path[64];
  snprintf(path, sizeof path, "srtp %s", mw_profile_name(profile));
  sansrtc_srtp *s = NULL;
  /* sansrtc's session first: it holds libsrtp's kernel initialised while
   * the direct sessions exist. */
  if (mw_srtp_loopback(&s, profile) != 0) {
    broken(path, "no session");
    return;
  }
  srtp_t tx = NULL, rx = NULL;
  heap_calls made = snapshot();
  int created = mw_srtp_direct(&tx, &rx, profile) == 0;
  made = since(made);
  uint16_t seq_a = 1, seq_b = 1;
  srtp_counts a = srtp_via_sansrtc(s, &seq_a);
  srtp_counts b = created ? srtp_direct(tx, rx, &seq_b)
                          : (srtp_counts){{0, 0, 0}, 0, 0};
  mw_srtp_direct_free(tx, rx);
  sansrtc_srtp_del(s);
  if (!created || made.allocs == 0)
    {
    broken(path, "libsrtp2's allocations are not seen: interposition broken");
    return;
  }
  if (!a.ok || !b.ok) {
    broken(path, "protect or unprotect failed");
    return;
  }
  srtp_row(path, b);
  int same = a.calls.allocs == b.calls.allocs && a.calls.frees == b.calls.frees &&
             a.calls.reallocs == b.calls.reallocs && a.in_protect == b.in_protect;
  int balanced = a.calls.allocs == a.calls.frees && b.calls.allocs == b.calls.frees;
  char label[64];
  snprintf(label, sizeof label, "%s sansrtc", path);
  report(label, a.calls,
         !same       ? "FAIL: sansrtc adds heap calls to libsrtp2's"
         : !balanced ? "FAIL: allocations and frees differ (growth)"
                     : "ok: = libsrtp2's, allocs = frees",
         same && balanced);
}

/* ---- main ---------------------------------------------------------------- */

/* The interposer must see a libc-internal allocation. */
static int interposition_works(void) {
  heap_calls before = snapshot();
  char *s = strdup("alloc_count");
  heap_calls c = since(before);
  free(s);
  return s != NULL && c.allocs == 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!interposition_works()) {
    printf("alloc_count: FAIL: malloc is not interposed (strdup not counted)\n");
    return 1;
  }
  printf("heap calls over %d iterations per path, after %d warm-up iterations\n",
         ITERATIONS, WARMUP);
  printf("(srtp: one iteration protects and unprotects one packet)\n");
  printf("%-26s %10s %10s %10s %12s  %s\n", "path", "allocs", "frees",
         "reallocs", "per iter.", "verdict");
  run_rtp();
  run_rtcp();
  static const struct {
    sansrtc_codec codec;
    const char *name;
  } codecs[] = {{SANSRTC_CODEC_OPUS, "opus"}, {SANSRTC_CODEC_VP8, "vp8"},
                {SANSRTC_CODEC_VP9, "vp9"},   {SANSRTC_CODEC_H264, "h264"},
                {SANSRTC_CODEC_H265, "h265"}, {SANSRTC_CODEC_AV1, "av1"}};
  for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
    run_packetize(codecs[i].codec, codecs[i].name);
  static const unsigned profiles[] = {
      SANSRTC_SRTP_AES128_CM_SHA1_80, SANSRTC_SRTP_AES128_CM_SHA1_32,
      SANSRTC_SRTP_AEAD_AES_128_GCM, SANSRTC_SRTP_AEAD_AES_256_GCM};
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    run_srtp(profiles[i]);
  printf("alloc_count: %s (%d failure%s)\n", failures ? "FAIL" : "ok", failures,
         failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
