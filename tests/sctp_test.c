/*
 * sctp_test.c - two SCTP associations (real usrsctp) back to back through
 * an in-memory link with fake time: establishment, messages of every size
 * up to the maximum, order under loss, partial reliability, stream reset,
 * shutdown, abort, and many associations at once.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sansrtc/sctp.h>

#include "suites.h"
#include "usrsctp_global.h"
#include <usrsctp.h>

#include "sctp_pair.h"
#include "test_clock.h"

START_TEST(test_connect_and_exchange) {
  pair p;
  connect_pair(&p, 1, NULL);
  uint8_t out[1000];
  size_t len;
  sansrtc_sctp_message_info info;
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 1, SANSRTC_PPID_STRING,
                                     (const uint8_t *)"hello", 5, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[1], 2, SANSRTC_PPID_BINARY,
                                     (const uint8_t *)"\x00\x01\x02", 3, 1,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  run_for(&p, 200 * MS);
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info), 1);
  ck_assert_uint_eq(len, 5);
  ck_assert_mem_eq(out, "hello", 5);
  ck_assert_uint_eq(info.stream, 1);
  ck_assert_uint_eq(info.ppid, SANSRTC_PPID_STRING);
  ck_assert_uint_eq(info.unordered, 0);
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[0], out, sizeof out, &len, &info), 1);
  ck_assert_uint_eq(len, 3);
  ck_assert_uint_eq(info.stream, 2);
  ck_assert_uint_eq(info.ppid, SANSRTC_PPID_BINARY);
  ck_assert_uint_eq(info.unordered, 1);
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[0], out, sizeof out, &len, &info), 0);
  /* Argument checks. */
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 256, 51, out, 1, 0, SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 0, 51, out, 0, 0, SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  pair_free(&p);
}
END_TEST

/* Outgoing checksums are ours (usrsctp's crc32c offload): they must equal
 * usrsctp's own, at every length and alignment. */
START_TEST(test_checksum_matches_usrsctp) {
  static uint8_t buf[2100];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof buf; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (uint8_t)(x >> 24);
  }
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len + off <= sizeof buf; len += 1 + len / 7)
      ck_assert_uint_eq(sansrtc_usrsctp_crc32c(buf + off, len),
                        usrsctp_crc32c(buf + off, len));
  /* RFC 3720 B.4: 32 bytes of zeros. */
  static const uint8_t zeros[32];
  uint32_t crc = sansrtc_usrsctp_crc32c(zeros, sizeof zeros);
  ck_assert_uint_eq(crc, 0x8a9136aau);
}
END_TEST

/* An idle association ticks once a second, not every 10 ms (thousands of
 * idle connections in one process must not keep the CPU busy), and a send
 * brings the fast ticks back at once. */
START_TEST(test_idle_association_ticks_slowly) {
  pair p;
  connect_pair(&p, 4, NULL);
  uint8_t out[16];
  size_t len;
  sansrtc_sctp_message_info info;
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 1, SANSRTC_PPID_STRING, (const uint8_t *)"a", 1,
                                     0, SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  run_for(&p, 50 * MS);
  ck_assert_uint_le(sansrtc_sctp_next_deadline(p.a[0]), p.now + 10 * MS);
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info), 1);
  run_for(&p, 3 * SEC);
  for (int i = 0; i < 2; i++)
    ck_assert_uint_gt(sansrtc_sctp_next_deadline(p.a[i]), p.now + 100 * MS);
  /* A send while idle: fast ticks again, delivered promptly. */
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 1, SANSRTC_PPID_STRING, (const uint8_t *)"b", 1,
                                     0, SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  ck_assert_uint_le(sansrtc_sctp_next_deadline(p.a[0]), p.now + 10 * MS);
  run_for(&p, 100 * MS);
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info), 1);
  ck_assert_mem_eq(out, "b", 1);
  /* A message lost while idle is still resent by the (fast) timer. */
  run_for(&p, 3 * SEC);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 1, SANSRTC_PPID_STRING, (const uint8_t *)"c", 1,
                                     0, SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  p.loss_pct = 100;
  pair_drain(&p);
  p.loss_pct = 0;
  sansrtc_tstamp sent = p.now;
  int got = 0;
  while (!got && p.now < sent + 10 * SEC) {
    run_for(&p, 50 * MS);
    got = sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info);
  }
  ck_assert_int_eq(got, 1);
  ck_assert_uint_le(p.now - sent, 1 * SEC);
  pair_free(&p);
}
END_TEST

/* usrsctp's timer list moves less often as associations multiply (each
 * move walks all of them): 10 ms up to 400, 25 ms at 1,000, 100 ms from
 * 4,000 on; with a few associations a busy one ticks every 10 ms. */
START_TEST(test_timer_granularity_scales) {
  ck_assert_uint_eq(sansrtc_usrsctp_granularity_ms(0), 10);
  ck_assert_uint_eq(sansrtc_usrsctp_granularity_ms(400), 10);
  ck_assert_uint_eq(sansrtc_usrsctp_granularity_ms(440), 11);
  ck_assert_uint_eq(sansrtc_usrsctp_granularity_ms(1000), 25);
  ck_assert_uint_eq(sansrtc_usrsctp_granularity_ms(4000), 100);
  ck_assert_uint_eq(sansrtc_usrsctp_granularity_ms(UINT32_MAX), 100);
  pair p;
  connect_pair(&p, 4, NULL);
  ck_assert_uint_eq(sansrtc_usrsctp_current_granularity_ms(), 10);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 1, SANSRTC_PPID_STRING, (const uint8_t *)"a", 1,
                                     0, SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  ck_assert_uint_le(sansrtc_sctp_next_deadline(p.a[0]), p.now + 10 * MS);
  pair_free(&p);
}
END_TEST

/* Only one side calls connect: the peer's INIT starts the other side's
 * association instead of being answered as out of the blue (a DTLS layer
 * that held the INIT can hand it over before the owner got to connect). */
START_TEST(test_init_before_connect) {
  pair p;
  sansrtc_sctp_config cfg;
  sansrtc_sctp_config_default(&cfg);
  pair_init(&p, 12, &cfg);
  ck_assert_int_eq(sansrtc_sctp_connect(p.a[0], p.now), SANSRTC_OK);
  run_for(&p, 1 * SEC);
  ck_assert(sansrtc_sctp_is_connected(p.a[0]));
  ck_assert(sansrtc_sctp_is_connected(p.a[1]));
  ck_assert_int_eq(p.connected[0], 1);
  ck_assert_int_eq(p.connected[1], 1);
  /* It was started, so a late connect is refused, not a second open. */
  ck_assert_int_eq(sansrtc_sctp_connect(p.a[1], p.now), SANSRTC_ERR_INVALID_STATE);
  pair_free(&p);
}
END_TEST

/* A lost last message, which no later SACK reports missing, comes back
 * by the retransmission timer alone. Regression: usrsctp compares chunk
 * send times on its own wall clock, which stood still under fake time,
 * so the timer fired and resent nothing (test_clock.h). */
START_TEST(test_lost_last_message_resent_by_timer) {
  pair p;
  connect_pair(&p, 3, NULL);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 1, SANSRTC_PPID_STRING,
                                     (const uint8_t *)"last", 4, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  p.loss_pct = 100;
  pair_drain(&p);
  p.loss_pct = 0;
  uint8_t out[16];
  size_t len;
  sansrtc_sctp_message_info info;
  int got = 0;
  while (!got && p.now < 30 * SEC) {
    run_for(&p, 100 * MS);
    got = sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info);
  }
  ck_assert_int_eq(got, 1);
  ck_assert_mem_eq(out, "last", 4);
  /* The handshake measured a 10 ms round trip, so one RTO is rto_min
   * (200 ms): delivered within half a second, not after the ~60 s abort. */
  ck_assert_uint_le(p.now, 1 * SEC + 500 * MS);
  pair_free(&p);
}
END_TEST

/* Messages up to the negotiated maximum arrive whole, both ways; one byte
 * more is refused on send. */
START_TEST(test_large_messages) {
  pair p;
  connect_pair(&p, 2, NULL);
  static uint8_t big[262144], out[262144];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + (i >> 9));
  static const size_t sizes[] = {1, 1100, 1200, 65536, 100000, 262144};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    for (int dir = 0; dir < 2; dir++) {
      ck_assert_int_eq(sansrtc_sctp_send(p.a[dir], 3, SANSRTC_PPID_BINARY, big,
                                         sizes[k], 0, SANSRTC_SCTP_PR_NONE, 0),
                       SANSRTC_OK);
      run_for(&p, 2 * SEC);
      size_t len = 0;
      sansrtc_sctp_message_info info;
      ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[1 - dir], out, sizeof out, &len, &info), 1);
      ck_assert_uint_eq(len, sizes[k]);
      ck_assert(memcmp(out, big, len) == 0);
    }
  }
  uint8_t *over = malloc(262145);
  ck_assert_ptr_nonnull(over);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 3, SANSRTC_PPID_BINARY, over, 262145, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  free(over);
  pair_free(&p);
}
END_TEST

/* A receiver with a smaller maximum drops bigger messages whole (counted),
 * and keeps delivering the ones after. */
START_TEST(test_oversized_incoming_dropped) {
  sansrtc_sctp_config small, large;
  sansrtc_sctp_config_default(&small);
  sansrtc_sctp_config_default(&large);
  small.max_message_size = 2000;
  pair p;
  memset(&p, 0, sizeof p);
  p.rng = 3;
  p.delay = 5 * MS;
  p.now = 1 * SEC;
  ck_assert_int_eq(sansrtc_sctp_new(&p.a[0], &large), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sctp_new(&p.a[1], &small), SANSRTC_OK);
  for (int i = 0; i < 2; i++) sansrtc_sctp_connect(p.a[i], p.now);
  run_for(&p, 2 * SEC);
  ck_assert(sansrtc_sctp_is_connected(p.a[0]) && sansrtc_sctp_is_connected(p.a[1]));
  static uint8_t msg[5000];
  memset(msg, 'x', sizeof msg);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 0, 53, msg, 5000, 0, SANSRTC_SCTP_PR_NONE, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 0, 53, msg, 1500, 0, SANSRTC_SCTP_PR_NONE, 0), SANSRTC_OK);
  run_for(&p, 1 * SEC);
  uint8_t out[5000];
  size_t len;
  sansrtc_sctp_message_info info;
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info), 1);
  ck_assert_uint_eq(len, 1500);
  sansrtc_sctp_stats st;
  sansrtc_sctp_get_stats(p.a[1], &st);
  ck_assert_uint_eq(st.oversized_dropped, 1);
  pair_free(&p);
}
END_TEST

/* 10,000 small messages arrive once each and in order on an ordered,
 * reliable stream, over a link losing 10% of packets. */
START_TEST(test_ordered_under_loss) {
  pair p;
  connect_pair(&p, 4, NULL);
  p.loss_pct = 10;
  uint32_t next_send = 0, next_recv = 0;
  while (next_recv < 10000 && p.now < 600 * SEC) {
    while (next_send < 10000) {
      uint8_t m[8];
      memcpy(m, &next_send, 4);
      memcpy(m + 4, "seq!", 4);
      int rc = sansrtc_sctp_send(p.a[0], 5, 53, m, sizeof m, 0, SANSRTC_SCTP_PR_NONE, 0);
      if (rc == SANSRTC_ERR_LIMIT) break;
      ck_assert_int_eq(rc, SANSRTC_OK);
      next_send++;
    }
    run_for(&p, 20 * MS);
    uint8_t out[64];
    size_t len;
    sansrtc_sctp_message_info info;
    while (sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info) == 1) {
      uint32_t seq;
      ck_assert_uint_eq(len, 8);
      memcpy(&seq, out, 4);
      ck_assert_uint_eq(seq, next_recv);
      next_recv++;
    }
  }
  ck_assert_uint_eq(next_recv, 10000);
  pair_free(&p);
}
END_TEST

/* Unordered, zero-retransmission messages under 30% loss: some are lost,
 * none is duplicated, and the stream does not stall. */
START_TEST(test_partial_reliability_under_loss) {
  pair p;
  connect_pair(&p, 5, NULL);
  p.loss_pct = 30;
  static int seen[2000];
  memset(seen, 0, sizeof seen);
  for (uint32_t i = 0; i < 2000; i++) {
    uint8_t m[4];
    memcpy(m, &i, 4);
    int rc;
    while ((rc = sansrtc_sctp_send(p.a[0], 7, 53, m, 4, 1, SANSRTC_SCTP_PR_RTX,
                                   0)) == SANSRTC_ERR_LIMIT)
      run_for(&p, 20 * MS); /* the send buffer drains as time passes */
    ck_assert_int_eq(rc, SANSRTC_OK);
    if (i % 50 == 49) run_for(&p, 20 * MS);
  }
  run_for(&p, 10 * SEC);
  unsigned got = 0;
  uint8_t out[16];
  size_t len;
  sansrtc_sctp_message_info info;
  while (sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info) == 1) {
    uint32_t v;
    memcpy(&v, out, 4);
    ck_assert_uint_lt(v, 2000);
    ck_assert_int_eq(seen[v], 0);
    seen[v] = 1;
    got++;
  }
  ck_assert_uint_gt(got, 1000);
  ck_assert_uint_lt(got, 2000);
  /* A reliable message afterwards still gets through. */
  p.loss_pct = 0;
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 8, 51, (const uint8_t *)"ok", 2, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  run_for(&p, 2 * SEC);
  ck_assert_int_eq(sansrtc_sctp_poll_message(p.a[1], out, sizeof out, &len, &info), 1);
  ck_assert_uint_eq(info.stream, 8);
  pair_free(&p);
}
END_TEST

START_TEST(test_stream_reset_both_sides) {
  pair p;
  connect_pair(&p, 6, NULL);
  ck_assert_int_eq(sansrtc_sctp_send(p.a[0], 9, 51, (const uint8_t *)"x", 1, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_OK);
  run_for(&p, 100 * MS);
  ck_assert_int_eq(sansrtc_sctp_reset_stream(p.a[0], 9), SANSRTC_OK);
  run_for(&p, 500 * MS);
  ck_assert_int_ge(p.resets_out[0], 1);
  ck_assert_int_ge(p.resets_in[1], 1);
  ck_assert_int_eq(sansrtc_sctp_reset_stream(p.a[0], 300), SANSRTC_ERR_INVALID_ARGUMENT);
  pair_free(&p);
}
END_TEST

START_TEST(test_shutdown_and_abort) {
  pair p;
  connect_pair(&p, 7, NULL);
  ck_assert_int_eq(sansrtc_sctp_shutdown(p.a[0], p.now), SANSRTC_OK);
  run_for(&p, 2 * SEC);
  ck_assert_int_eq(p.closed[0], 1);
  ck_assert_int_eq(p.closed[1], 1);
  ck_assert(!sansrtc_sctp_is_connected(p.a[1]));
  ck_assert_int_eq(sansrtc_sctp_send(p.a[1], 0, 51, (const uint8_t *)"x", 1, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_ERR_INVALID_STATE);
  pair_free(&p);

  /* An abort closes both sides at once. */
  connect_pair(&p, 8, NULL);
  ck_assert_int_eq(sansrtc_sctp_abort(p.a[0], p.now), SANSRTC_OK);
  run_for(&p, 1 * SEC);
  ck_assert_int_eq(p.closed[0], 1);
  ck_assert_int_eq(p.closed[1], 1);
  ck_assert_int_eq(sansrtc_sctp_abort(p.a[0], p.now), SANSRTC_OK);
  pair_free(&p);

  /* Deleting an association that is up sends nothing and is safe; the
   * peer's own timers still run. */
  connect_pair(&p, 9, NULL);
  sansrtc_sctp_del(p.a[0]);
  p.a[0] = NULL;
  run_for(&p, 1 * SEC);
  ck_assert_int_eq(p.closed[1], 0);
  pair_free(&p);
}
END_TEST

/* Many associations live at once in one process, each with its own peer. */
START_TEST(test_many_associations) {
  enum { PAIRS = 50 };
  pair *ps = calloc(PAIRS, sizeof *ps);
  ck_assert_ptr_nonnull(ps);
  sansrtc_sctp_config cfg;
  sansrtc_sctp_config_default(&cfg);
  for (int i = 0; i < PAIRS; i++) connect_pair(&ps[i], 100 + (uint32_t)i, &cfg);
  for (int i = 0; i < PAIRS; i++) {
    uint8_t m[4];
    memcpy(m, &i, 4);
    ck_assert_int_eq(sansrtc_sctp_send(ps[i].a[0], 1, 53, m, 4, 0, SANSRTC_SCTP_PR_NONE, 0),
                     SANSRTC_OK);
  }
  for (int i = 0; i < PAIRS; i++) run_for(&ps[i], 100 * MS);
  for (int i = 0; i < PAIRS; i++) {
    uint8_t out[8];
    size_t len;
    sansrtc_sctp_message_info info;
    ck_assert_int_eq(sansrtc_sctp_poll_message(ps[i].a[1], out, sizeof out, &len, &info), 1);
    int v;
    memcpy(&v, out, 4);
    ck_assert_int_eq(v, i); /* each message reached its own peer only */
  }
  for (int i = 0; i < PAIRS; i++) pair_free(&ps[i]);
  free(ps);
}
END_TEST

START_TEST(test_config_and_arguments) {
  sansrtc_sctp_config cfg;
  sansrtc_sctp *s = NULL;
  sansrtc_sctp_config_default(&cfg);
  cfg.mtu = 100;
  ck_assert_int_eq(sansrtc_sctp_new(&s, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_sctp_config_default(&cfg);
  cfg.streams = 0;
  ck_assert_int_eq(sansrtc_sctp_new(&s, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_sctp_config_default(&cfg);
  cfg.rto_min_ms = 5000;
  ck_assert_int_eq(sansrtc_sctp_new(&s, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_sctp_config_default(&cfg);
  ck_assert_int_eq(sansrtc_sctp_new(NULL, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sctp_new(&s, &cfg), SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_sctp_next_deadline(s), SANSRTC_TSTAMP_NEVER);
  ck_assert(!sansrtc_sctp_is_connected(s));
  ck_assert_int_eq(sansrtc_sctp_send(s, 0, 51, (const uint8_t *)"x", 1, 0,
                                     SANSRTC_SCTP_PR_NONE, 0),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_sctp_connect(s, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sctp_connect(s, 0), SANSRTC_ERR_INVALID_STATE);
  ck_assert_uint_eq(sansrtc_sctp_next_deadline(s), 10 * MS);
  uint8_t buf[1200];
  size_t len;
  ck_assert_int_eq(sansrtc_sctp_poll_transmit(s, buf, sizeof buf, &len), 1); /* INIT */
  ck_assert_uint_eq(buf[12], 1); /* chunk type INIT */
  /* Garbage packets are dropped by usrsctp without effect. */
  for (int i = 0; i < 100; i++) {
    uint8_t junk[64];
    for (size_t k = 0; k < sizeof junk; k++) junk[k] = (uint8_t)((size_t)i * 31 + k * 7);
    ck_assert_int_eq(sansrtc_sctp_handle_packet(s, junk, sizeof junk, 0), SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_sctp_handle_packet(s, NULL, 3, 0), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_sctp_del(s);
  sansrtc_sctp_del(NULL);
}
END_TEST

/* ---- threads: the shared usrsctp from several owners at once ----------- */

static sansrtc_tstamp monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (sansrtc_tstamp)ts.tv_sec * SEC + (sansrtc_tstamp)ts.tv_nsec;
}

typedef struct thread_job {
  int index;
  int received; /* messages received in order, or -1 on a wrong one */
  int wakes;
  pthread_mutex_t wake_lock;
} thread_job;

static void count_wake(void *user) {
  thread_job *j = user;
  pthread_mutex_lock(&j->wake_lock);
  j->wakes++;
  pthread_mutex_unlock(&j->wake_lock);
}

/* Moves packets between a pair directly (no delay, no loss). */
static void shuttle_now(sansrtc_sctp *a[2], sansrtc_tstamp now) {
  uint8_t buf[1200];
  size_t len;
  for (int moved = 1; moved;) {
    moved = 0;
    for (int i = 0; i < 2; i++) {
      while (sansrtc_sctp_poll_transmit(a[i], buf, sizeof buf, &len) == 1) {
        sansrtc_sctp_handle_packet(a[1 - i], buf, len, now);
        moved = 1;
      }
      if (sansrtc_sctp_next_deadline(a[i]) <= now)
        sansrtc_sctp_handle_timeout(a[i], now);
    }
  }
}

static void *run_pair_thread(void *arg) {
  thread_job *j = arg;
  sansrtc_sctp_config cfg;
  sansrtc_sctp_config_default(&cfg);
  cfg.wake_fn = count_wake;
  cfg.wake_user_data = j;
  sansrtc_sctp *a[2];
  for (int i = 0; i < 2; i++) {
    if (sansrtc_sctp_new(&a[i], &cfg) != SANSRTC_OK) return NULL;
    sansrtc_sctp_connect(a[i], monotonic_now());
  }
  sansrtc_tstamp give_up = monotonic_now() + 60 * SEC; /* a hang guard */
  while (!(sansrtc_sctp_is_connected(a[0]) && sansrtc_sctp_is_connected(a[1])) &&
         monotonic_now() < give_up)
    shuttle_now(a, monotonic_now());
  uint32_t sent = 0;
  while (j->received >= 0 && j->received < 3000 && monotonic_now() < give_up) {
    while (sent < 3000) {
      uint8_t m[12];
      memcpy(m, &sent, 4);
      memcpy(m + 4, &j->index, 4);
      memcpy(m + 8, "msg", 4);
      if (sansrtc_sctp_send(a[0], 1, 53, m, sizeof m, 0, SANSRTC_SCTP_PR_NONE, 0) !=
          SANSRTC_OK)
        break;
      sent++;
    }
    shuttle_now(a, monotonic_now());
    uint8_t out[64];
    size_t len;
    sansrtc_sctp_message_info info;
    while (sansrtc_sctp_poll_message(a[1], out, sizeof out, &len, &info) == 1) {
      uint32_t seq;
      int who;
      memcpy(&seq, out, 4);
      memcpy(&who, out + 4, 4);
      if (len != 12 || who != j->index || seq != (uint32_t)j->received) {
        j->received = -1;
        break;
      }
      j->received++;
    }
  }
  sansrtc_sctp_del(a[0]);
  sansrtc_sctp_del(a[1]);
  return NULL;
}

/* Four owners drive their own pairs concurrently on the real clock. Timers
 * one thread advances fire for associations another owns; their packets
 * must reach the right queue, and each stream stays intact and ordered. */
START_TEST(test_concurrent_owners) {
  test_clock_real(); /* real threads on the real clock */
  enum { THREADS = 4 };
  thread_job jobs[THREADS];
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&jobs[i], 0, sizeof jobs[i]);
    jobs[i].index = i;
    pthread_mutex_init(&jobs[i].wake_lock, NULL);
    ck_assert_int_eq(pthread_create(&th[i], NULL, run_pair_thread, &jobs[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    ck_assert_int_eq(jobs[i].received, 3000);
    pthread_mutex_destroy(&jobs[i].wake_lock);
  }
}
END_TEST

Suite *sctp_suite(void) {
  Suite *s = suite_create("sctp");
  TCase *tc = tcase_create("sctp");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_connect_and_exchange);
  tcase_add_test(tc, test_init_before_connect);
  tcase_add_test(tc, test_lost_last_message_resent_by_timer);
  tcase_add_test(tc, test_idle_association_ticks_slowly);
  tcase_add_test(tc, test_timer_granularity_scales);
  tcase_add_test(tc, test_checksum_matches_usrsctp);
  tcase_add_test(tc, test_large_messages);
  tcase_add_test(tc, test_oversized_incoming_dropped);
  tcase_add_test(tc, test_ordered_under_loss);
  tcase_add_test(tc, test_partial_reliability_under_loss);
  tcase_add_test(tc, test_stream_reset_both_sides);
  tcase_add_test(tc, test_shutdown_and_abort);
  tcase_add_test(tc, test_many_associations);
  tcase_add_test(tc, test_config_and_arguments);
  tcase_add_test(tc, test_concurrent_owners);
  suite_add_tcase(s, tc);
  return s;
}
