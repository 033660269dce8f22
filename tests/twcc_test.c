/*
 * twcc_test.c - transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): the receiver's
 * feedback parsed back reports exactly the arrival times fed in (all on
 * the 250 us grid), with losses, reordering, a sequence wrap, a gap whose
 * delta does not fit 16 bits, MTU splitting and late arrivals; the sender
 * reads a hand-made feedback packet and a 24-bit reference wrap; a sender
 * and receiver pair over a scripted lossy, reordering, duplicating link
 * with reordered and duplicated feedback.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtcp.h>
#include <sansrtc/twcc.h>

#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define US SANSRTC_MICROSECONDS
#define SEC SANSRTC_SECONDS
#define TICK (250 * US)

static sansrtc_twcc_receiver *make_receiver(size_t mtu, unsigned max_pending) {
  sansrtc_twcc_receiver_config cfg;
  sansrtc_twcc_receiver_config_default(&cfg);
  cfg.sender_ssrc = 0x51;
  cfg.mtu = mtu;
  cfg.max_pending = max_pending;
  sansrtc_twcc_receiver *r = NULL;
  ck_assert_int_eq(sansrtc_twcc_receiver_new(&r, &cfg), SANSRTC_OK);
  return r;
}

/* What one parsed feedback packet said. */
typedef struct parsed {
  sansrtc_rtcp_twcc fb;
  size_t count;
  sansrtc_rtcp_twcc_packet pk[1024];
} parsed;

static void parse_feedback(const uint8_t *buf, size_t len, parsed *p) {
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, buf, len);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 1);
  ck_assert_uint_eq(h.packet.len, len);
  ck_assert_int_eq(sansrtc_rtcp_kind_of(&h), SANSRTC_RTCP_KIND_TWCC);
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &p->fb), SANSRTC_OK);
  sansrtc_rtcp_twcc_iter ti;
  sansrtc_rtcp_twcc_iter_init(&ti, &p->fb);
  p->count = 0;
  while (sansrtc_rtcp_twcc_next(&ti, &p->pk[p->count]) == 1) {
    p->count++;
    ck_assert_uint_lt(p->count, 1024);
  }
  ck_assert_uint_eq(p->count, p->fb.status_count);
}

/* Due at `when`: not before, then exactly one packet. */
static void poll_one_at(sansrtc_twcc_receiver *r, sansrtc_tstamp when,
                        parsed *p) {
  uint8_t buf[1500];
  size_t len;
  ck_assert_uint_eq(sansrtc_twcc_receiver_next_deadline(r), when);
  ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, when - 1),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   0);
  ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, when), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   1);
  parse_feedback(buf, len, p);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   0);
  ck_assert_uint_eq(sansrtc_twcc_receiver_next_deadline(r),
                    SANSRTC_TSTAMP_NEVER);
}

/* A script: arrival[i] == 0 means packet base + i never arrives. */
static void check_statuses(const parsed *p, uint16_t base,
                           const sansrtc_tstamp *arrival, size_t n) {
  ck_assert_uint_eq(p->fb.base_seq, base);
  ck_assert_uint_eq(p->count, n);
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_eq(p->pk[i].seq, (uint16_t)(base + i));
    if (arrival[i] == 0) {
      ck_assert_uint_eq(p->pk[i].status, SANSRTC_TWCC_NOT_RECEIVED);
      continue;
    }
    ck_assert_uint_ne(p->pk[i].status, SANSRTC_TWCC_NOT_RECEIVED);
    ck_assert_int_eq(p->pk[i].arrival_us, (int64_t)(arrival[i] / US));
  }
}

START_TEST(test_config_and_arguments) {
  sansrtc_twcc_receiver_config rc;
  sansrtc_twcc_receiver_config_default(&rc);
  ck_assert_uint_eq(rc.interval, 100 * MS);
  ck_assert_uint_eq(rc.mtu, 1200);
  sansrtc_twcc_receiver *r = NULL;
  rc.history = 8;
  ck_assert_int_eq(sansrtc_twcc_receiver_new(&r, &rc),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  rc.history = 1024;
  rc.max_pending = 2000;
  ck_assert_int_eq(sansrtc_twcc_receiver_new(&r, &rc),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  rc.max_pending = 10;
  rc.mtu = 31;
  ck_assert_int_eq(sansrtc_twcc_receiver_new(&r, &rc),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(r);
  sansrtc_twcc_sender_config sc;
  sansrtc_twcc_sender_config_default(&sc);
  ck_assert_uint_eq(sc.history, 2048);
  sansrtc_twcc_sender *s = NULL;
  sc.history = 40000;
  ck_assert_int_eq(sansrtc_twcc_sender_new(&s, &sc),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sc.history = 64;
  sc.max_results = 0;
  ck_assert_int_eq(sansrtc_twcc_sender_new(&s, &sc),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_twcc_sender_new(NULL, &sc),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_twcc_sender_on_send(NULL, 1, 0, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(NULL, 1, 1, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(sansrtc_twcc_receiver_next_deadline(NULL),
                    SANSRTC_TSTAMP_NEVER);
  sansrtc_twcc_sender_del(NULL);
  sansrtc_twcc_receiver_del(NULL);
}
END_TEST

/*
 * Packets 100..110 arrive on the 250 us grid (times in us after 1 s):
 * 100 @0, 101 @1000, 102 @1250, 103 lost, 104 @70000 (68.75 ms after
 * 102 = 275 ticks, a 2-byte delta), 106 @70500, 105 @71000
 * (reordered: 106 arrives first, so 106's delta from 105 is -2 ticks),
 * 107 lost, 108 @71000 (delta 0), 109 @72000, 110 @80000.
 * Reference: 1 s / 64 ms = 15 (960 ms), so 100's delta is 40 ms = 160
 * ticks. Feedback is due 100 ms after the first arrival (1.1 s).
 */
START_TEST(test_receiver_losses_reordering) {
  sansrtc_twcc_receiver *r = make_receiver(1200, 256);
  static const uint16_t order[] = {100, 101, 102, 104, 106, 105, 108, 109, 110};
  static const sansrtc_tstamp at_us[] = {0,     1000,  1250,  70000, 70500,
                                         71000, 71000, 72000, 80000};
  sansrtc_tstamp arrival[11] = {0};
  for (size_t i = 0; i < 9; i++) {
    sansrtc_tstamp t = SEC + at_us[i] * US;
    ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 0xAB, order[i], t),
                     SANSRTC_OK);
    arrival[order[i] - 100] = t;
  }
  parsed *p = malloc(sizeof *p);
  poll_one_at(r, SEC + 100 * MS, p);
  ck_assert_uint_eq(p->fb.sender_ssrc, 0x51);
  ck_assert_uint_eq(p->fb.media_ssrc, 0xAB);
  ck_assert_uint_eq(p->fb.fb_count, 0);
  ck_assert_int_eq(p->fb.reference_time, 15);
  check_statuses(p, 100, arrival, 11);
  ck_assert_int_eq(p->pk[0].delta, 160);
  ck_assert_int_eq(p->pk[4].delta, 275);
  ck_assert_uint_eq(p->pk[4].status, SANSRTC_TWCC_LARGE_DELTA);
  ck_assert_int_eq(p->pk[5].delta, 4);  /* 105: 71000 - 70000 us */
  ck_assert_int_eq(p->pk[6].delta, -2); /* 106: 70500 - 71000 us */
  ck_assert_int_eq(p->pk[8].delta, 2);  /* 108: 71000 - 70500 us */
  /* The next feedback starts after 110 with the next fb count. */
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 0xAB, 111, 2 * SEC),
                   SANSRTC_OK);
  sansrtc_tstamp a111 = 2 * SEC;
  poll_one_at(r, 2 * SEC + 100 * MS, p);
  ck_assert_uint_eq(p->fb.fb_count, 1);
  check_statuses(p, 111, &a111, 1);
  sansrtc_twcc_receiver_stats st;
  ck_assert_int_eq(sansrtc_twcc_receiver_get_stats(r, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.packets, 10);
  ck_assert_uint_eq(st.feedback, 2);
  free(p);
  sansrtc_twcc_receiver_del(r);
}
END_TEST

/* 65530..65535, 0..5 every 2 ms from 5 s, 65535 and 1 lost: one
 * feedback, base 65530, 12 statuses. */
START_TEST(test_receiver_seq_wrap) {
  sansrtc_twcc_receiver *r = make_receiver(1200, 256);
  sansrtc_tstamp arrival[12];
  for (size_t i = 0; i < 12; i++) {
    uint16_t seq = (uint16_t)(65530u + i);
    arrival[i] = (seq == 65535 || seq == 1) ? 0 : 5 * SEC + i * 2 * MS;
    if (arrival[i] != 0)
      ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, seq, arrival[i]),
                       SANSRTC_OK);
  }
  parsed *p = malloc(sizeof *p);
  poll_one_at(r, 5 * SEC + 100 * MS, p);
  check_statuses(p, 65530, arrival, 12);
  free(p);
  sansrtc_twcc_receiver_del(r);
}
END_TEST

/* Gaps whose deltas do not fit 16 bits (32767 ticks = 8.19 s): 1 @1 s,
 * (2 lost), 3 @20 s, 4 @20.00025 s. The first feedback holds only packet
 * 1; the second starts at 2 (not received) with reference 20 s / 64 ms =
 * 312 (19.968 s). Then a late, large negative gap: 5 @30 s and 6 @ 10 s
 * (an arrival time before its predecessor by 20 s) split again. */
START_TEST(test_receiver_large_gap) {
  sansrtc_twcc_receiver *r = make_receiver(1200, 256);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 1, SEC), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 3, 20 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 4, 20 * SEC + TICK),
                   SANSRTC_OK);
  uint8_t buf[1500];
  size_t len;
  parsed *p = malloc(sizeof *p);
  ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, 21 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   1);
  parse_feedback(buf, len, p);
  sansrtc_tstamp one = SEC;
  check_statuses(p, 1, &one, 1);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   1);
  parse_feedback(buf, len, p);
  sansrtc_tstamp rest[3] = {0, 20 * SEC, 20 * SEC + TICK};
  check_statuses(p, 2, rest, 3);
  ck_assert_int_eq(p->fb.reference_time, 312);
  ck_assert_uint_eq(p->fb.fb_count, 1);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   0);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 5, 30 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 6, 10 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, 31 * SEC),
                   SANSRTC_OK);
  sansrtc_tstamp t5 = 30 * SEC, t6 = 10 * SEC;
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   1);
  parse_feedback(buf, len, p);
  check_statuses(p, 5, &t5, 1);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   1);
  parse_feedback(buf, len, p);
  check_statuses(p, 6, &t6, 1);
  free(p);
  sansrtc_twcc_receiver_del(r);
}
END_TEST

/* 600 packets, every third lost, the others with deltas cycling through
 * 1, 300 (2-byte) and 0 ticks, with an MTU of 100 bytes: several feedback
 * packets, each at most 100 bytes, each starting where the previous one
 * ended, with consecutive fb counts, together reporting every arrival. */
START_TEST(test_receiver_mtu_split) {
  sansrtc_twcc_receiver *r = make_receiver(100, 1024);
  static sansrtc_tstamp arrival[600];
  sansrtc_tstamp t = 3 * SEC;
  static const unsigned steps[] = {1, 300, 0};
  for (size_t i = 0; i < 600; i++) {
    t += steps[i % 3] * TICK;
    arrival[i] = (i % 3 == 1) ? 0 : t;
    if (arrival[i] != 0)
      ck_assert_int_eq(
          sansrtc_twcc_receiver_on_packet(r, 1, (uint16_t)(1000 + i), t),
          SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, 100 * SEC),
                   SANSRTC_OK);
  uint8_t buf[1500];
  size_t len, covered = 0, packets = 0;
  parsed *p = malloc(sizeof *p);
  int rc;
  while ((rc = sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf,
                                                   &len)) == 1) {
    ck_assert_uint_le(len, 100);
    parse_feedback(buf, len, p);
    ck_assert_uint_eq(p->fb.fb_count, packets);
    check_statuses(p, (uint16_t)(1000 + covered), arrival + covered, p->count);
    covered += p->count;
    packets++;
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(covered, 600);
  ck_assert_uint_gt(packets, 5);
  /* Too small for even one status: an error, nothing lost. */
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 1600, 101 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, 102 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, 20, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_twcc_receiver_poll_feedback(r, buf, sizeof buf, &len),
                   1);
  free(p);
  sansrtc_twcc_receiver_del(r);
}
END_TEST

/* Late arrival: 1, 2, 4 reported (3 lost); then 3 arrives: the next
 * feedback starts at 3 and repeats 4. A duplicate of 4 is ignored; a
 * packet more than `history` (1024) behind is too old. Early feedback:
 * max_pending 4 makes the 4th arrival due at once. */
START_TEST(test_receiver_late_duplicate_pending) {
  sansrtc_twcc_receiver *r = make_receiver(1200, 4);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 1, SEC), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 2, SEC + TICK),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 4, SEC + 2 * TICK),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 4, SEC + 3 * TICK),
                   SANSRTC_OK);
  parsed *p = malloc(sizeof *p);
  poll_one_at(r, SEC + 100 * MS, p);
  sansrtc_tstamp first[4] = {SEC, SEC + TICK, 0, SEC + 2 * TICK};
  check_statuses(p, 1, first, 4);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 3, 2 * SEC),
                   SANSRTC_OK);
  poll_one_at(r, 2 * SEC + 100 * MS, p);
  sansrtc_tstamp second[2] = {2 * SEC, SEC + 2 * TICK};
  check_statuses(p, 3, second, 2);
  for (uint16_t s = 5; s < 9; s++)
    ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, s, 3 * SEC),
                     SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_twcc_receiver_next_deadline(r), 3 * SEC);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 2000, 3 * SEC),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 1, 6, 3 * SEC),
                   SANSRTC_OK); /* 1994 behind 2000 */
  sansrtc_twcc_receiver_stats st;
  ck_assert_int_eq(sansrtc_twcc_receiver_get_stats(r, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.duplicates, 1);
  ck_assert_uint_eq(st.late, 1);
  ck_assert_uint_eq(st.too_old, 1);
  ck_assert_uint_eq(st.packets, 9);
  free(p);
  sansrtc_twcc_receiver_del(r);
}
END_TEST

static sansrtc_twcc_sender *make_sender(uint16_t first, unsigned history) {
  sansrtc_twcc_sender_config cfg;
  sansrtc_twcc_sender_config_default(&cfg);
  cfg.first_seq = first;
  cfg.history = history;
  sansrtc_twcc_sender *s = NULL;
  ck_assert_int_eq(sansrtc_twcc_sender_new(&s, &cfg), SANSRTC_OK);
  return s;
}

/* The feedback of rtcp_test.c, by hand: base 10, 4 statuses, reference 15,
 * fb count 1; small (164), lost, small (2), large (-6). Arrivals relative
 * to the reference: 164 * 250 = 41000 us, -, 166 * 250 = 41500, 160 * 250
 * = 40000; absolute 960000 us + those. */
static const uint8_t twcc_pkt[] = {0x8F, 0xCD, 0x00, 0x06, 0x00, 0x00, 0x00,
                                   0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x0A,
                                   0x00, 0x04, 0x00, 0x00, 0x0F, 0x01, 0xD1,
                                   0x80, 0xA4, 0x02, 0xFF, 0xFA, 0x00, 0x00};

START_TEST(test_sender_handmade_feedback) {
  sansrtc_twcc_sender *s = make_sender(8, 64);
  for (unsigned i = 0; i < 6; i++) {
    uint16_t seq;
    ck_assert_int_eq(sansrtc_twcc_sender_on_send(s, 100 + i, i * MS, &seq),
                     SANSRTC_OK);
    ck_assert_uint_eq(seq, 8 + i);
  }
  ck_assert_int_eq(sansrtc_twcc_sender_on_rtcp(s, twcc_pkt, sizeof twcc_pkt,
                                               50 * MS),
                   SANSRTC_OK);
  static const int got[] = {1, 0, 1, 1};
  static const int64_t rel[] = {41000, 0, 41500, 40000};
  sansrtc_twcc_result res;
  for (unsigned i = 0; i < 4; i++) {
    ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
    ck_assert_uint_eq(res.seq, 10 + i);
    ck_assert_uint_eq(res.seq_unwrapped, 2 + i);
    ck_assert_uint_eq(res.send_time, (2 + i) * MS);
    ck_assert_uint_eq(res.size, 102 + i);
    ck_assert_int_eq(res.received, got[i]);
    ck_assert_int_eq(res.arrival_from_reference_us, rel[i]);
    ck_assert_int_eq(res.arrival_us, got[i] ? 960000 + rel[i] : 0);
    ck_assert_uint_eq(res.fb_count, 1);
    ck_assert_uint_eq(res.feedback_time, 50 * MS);
  }
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 0);
  /* The same feedback again: nothing new. */
  ck_assert_int_eq(sansrtc_twcc_sender_on_rtcp(s, twcc_pkt, sizeof twcc_pkt,
                                               60 * MS),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 0);
  sansrtc_twcc_sender_stats st;
  ck_assert_int_eq(sansrtc_twcc_sender_get_stats(s, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.sent, 6);
  ck_assert_uint_eq(st.received, 3);
  ck_assert_uint_eq(st.lost, 1);
  ck_assert_uint_eq(st.feedback, 2);
  ck_assert_uint_eq(st.unknown, 0);
  /* Every truncation is malformed or skipped, never a crash. */
  for (size_t n = 0; n < sizeof twcc_pkt; n++) {
    int rc = sansrtc_twcc_sender_on_rtcp(s, twcc_pkt, n, 0);
    ck_assert(rc == SANSRTC_OK || rc == SANSRTC_ERR_MALFORMED);
  }
  sansrtc_twcc_sender_del(s);
}
END_TEST

/* Writes feedback for (seq, arrival) pairs and gives it to the sender. */
static void feed(sansrtc_twcc_sender *s, const sansrtc_rtcp_twcc_input *in,
                 size_t n, uint8_t fb_count) {
  sansrtc_rtcp_twcc_desc d = {1, 2, fb_count, in, n};
  uint8_t buf[1500];
  size_t len;
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_twcc_sender_on_rtcp(s, buf, len, 0), SANSRTC_OK);
}

/* The 24-bit reference wraps after 2^24 * 64 ms: arrivals just before
 * and after it stay continuous (reference 0xFFFFFF, then 0 unwrapped to
 * 2^24). Statuses about packets never sent, or older than the history
 * (16), are unknown. A lost packet later reported received gives a
 * second result. */
START_TEST(test_sender_reference_wrap_unknown_late) {
  sansrtc_twcc_sender *s = make_sender(0, 16);
  uint16_t seq;
  for (int i = 0; i < 40; i++)
    ck_assert_int_eq(sansrtc_twcc_sender_on_send(s, 10, 0, &seq), SANSRTC_OK);
  const sansrtc_tstamp wrap = (sansrtc_tstamp)0x1000000 * 64 * MS;
  sansrtc_rtcp_twcc_input a[2] = {{30, 1, wrap - 10 * MS}, {31, 0, 0}};
  feed(s, a, 2, 0);
  sansrtc_rtcp_twcc_input b[2] = {{31, 1, wrap + 5 * MS},
                                  {32, 1, wrap + 5 * MS + TICK}};
  feed(s, b, 2, 1);
  sansrtc_twcc_result res;
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
  ck_assert_int_eq(res.arrival_us, (int64_t)((wrap - 10 * MS) / US));
  ck_assert_int_eq(res.arrival_from_reference_us, 54000);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
  ck_assert_uint_eq(res.seq, 31);
  ck_assert_int_eq(res.received, 0);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
  ck_assert_uint_eq(res.seq, 31);
  ck_assert_int_eq(res.received, 1);
  ck_assert_int_eq(res.arrival_us, (int64_t)((wrap + 5 * MS) / US));
  ck_assert_int_eq(res.arrival_from_reference_us, 5000);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
  ck_assert_int_eq(res.arrival_us, (int64_t)((wrap + 5 * MS + TICK) / US));
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 0);
  sansrtc_twcc_sender_stats st;
  ck_assert_int_eq(sansrtc_twcc_sender_get_stats(s, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.received, 3);
  ck_assert_uint_eq(st.lost, 0);
  /* 5 is 34 behind the last sent (39): older than the history; 45 was
   * never sent (it reads as 65530 behind). */
  sansrtc_rtcp_twcc_input c[1] = {{5, 1, SEC}};
  feed(s, c, 1, 2);
  sansrtc_rtcp_twcc_input d[1] = {{45, 1, SEC}};
  feed(s, d, 1, 3);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 0);
  ck_assert_int_eq(sansrtc_twcc_sender_get_stats(s, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.unknown, 2);
  sansrtc_twcc_sender_del(s);
}
END_TEST

/*
 * Sender and receiver over a scripted link, on a 250 us clock. 400
 * packets, one every 2 ms, sequence numbers starting at 65300 (wrap
 * after 236). Fate of packet i: lost when i % 7 == 3; else delay 20 ms +
 * (i % 5) ms (so packets reorder), 400 ms for i % 50 == 17 (arriving
 * after feedback reported them lost); delivered twice when i % 11 == 0.
 * Feedback reaches the sender 10 ms after it is written; every third one
 * is held back until after the next, every fourth is delivered twice.
 * Each packet's last result must match its fate exactly (arrival time
 * to the microsecond), a "received" result never precedes another
 * result for it, and the counters add up.
 */
#define NPKT 400
typedef struct fb_msg {
  uint8_t data[1200];
  size_t len;
  sansrtc_tstamp at;
} fb_msg;

static sansrtc_tstamp fate_arrival(unsigned i) {
  if (i % 7 == 3) return 0;
  sansrtc_tstamp send = SEC + i * 2 * MS;
  if (i % 50 == 17) return send + 400 * MS;
  return send + 20 * MS + (i % 5) * MS;
}

START_TEST(test_pair_scripted_link) {
  sansrtc_twcc_sender *s = make_sender(65300, 2048);
  sansrtc_twcc_receiver *r = make_receiver(1200, 256);
  static fb_msg queue[256];
  size_t nq = 0, nfb = 0;
  uint16_t seqs[NPKT];
  unsigned sent = 0;
  for (sansrtc_tstamp t = SEC; t < 3 * SEC; t += TICK) {
    while (sent < NPKT && SEC + sent * 2 * MS == t) {
      ck_assert_int_eq(sansrtc_twcc_sender_on_send(s, 1000 + sent, t,
                                                   &seqs[sent]),
                       SANSRTC_OK);
      sent++;
    }
    for (unsigned i = 0; i < sent; i++) {
      if (fate_arrival(i) != t) continue;
      int copies = (i % 11 == 0) ? 2 : 1;
      for (int c = 0; c < copies; c++)
        ck_assert_int_eq(sansrtc_twcc_receiver_on_packet(r, 9, seqs[i], t),
                         SANSRTC_OK);
    }
    ck_assert_int_eq(sansrtc_twcc_receiver_handle_timeout(r, t), SANSRTC_OK);
    fb_msg m;
    while (sansrtc_twcc_receiver_poll_feedback(r, m.data, sizeof m.data,
                                               &m.len) == 1) {
      nfb++;
      m.at = t + 10 * MS + (nfb % 3 == 0 ? 15 * MS : 0);
      ck_assert_uint_lt(nq + 2, 256);
      queue[nq++] = m;
      if (nfb % 4 == 0) queue[nq++] = m;
    }
    for (size_t q = 0; q < nq; q++) {
      if (queue[q].at != t) continue;
      ck_assert_int_eq(
          sansrtc_twcc_sender_on_rtcp(s, queue[q].data, queue[q].len, t),
          SANSRTC_OK);
    }
    if (nq > 200) { /* forget delivered messages */
      size_t k = 0;
      for (size_t q = 0; q < nq; q++)
        if (queue[q].at > t) queue[k++] = queue[q];
      nq = k;
    }
  }
  ck_assert_uint_eq(sent, NPKT);
  int results[NPKT] = {0}, last_received[NPKT] = {0};
  int64_t last_arrival[NPKT] = {0};
  sansrtc_twcc_result res;
  while (sansrtc_twcc_sender_poll_result(s, &res) == 1) {
    ck_assert_uint_lt(res.seq_unwrapped, NPKT);
    unsigned i = (unsigned)res.seq_unwrapped;
    ck_assert_uint_eq(res.seq, seqs[i]);
    ck_assert_uint_eq(res.size, 1000 + i);
    ck_assert_uint_eq(res.send_time, SEC + i * 2 * MS);
    ck_assert_int_eq(last_received[i], 0); /* nothing after "received" */
    results[i]++;
    last_received[i] = res.received;
    last_arrival[i] = res.arrival_us;
  }
  unsigned lost = 0;
  for (unsigned i = 0; i < NPKT; i++) {
    ck_assert_msg(results[i] >= 1, "no result for packet %u", i);
    sansrtc_tstamp a = fate_arrival(i);
    ck_assert_int_eq(last_received[i], a != 0);
    if (a == 0) {
      lost++;
      ck_assert_int_eq(results[i], 1);
    } else {
      ck_assert_int_eq(last_arrival[i], (int64_t)(a / US));
    }
  }
  sansrtc_twcc_sender_stats st;
  ck_assert_int_eq(sansrtc_twcc_sender_get_stats(s, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.lost, lost);
  ck_assert_uint_eq(st.received, NPKT - lost);
  ck_assert_uint_eq(st.unknown, 0);
  sansrtc_twcc_receiver_stats rs;
  ck_assert_int_eq(sansrtc_twcc_receiver_get_stats(r, &rs), SANSRTC_OK);
  ck_assert_uint_gt(rs.late, 0);
  /* i % 11 == 0: 37 packets, 5 of them lost (i = 66, 143, 220, 297,
   * 374 have i % 7 == 3). */
  ck_assert_uint_eq(rs.duplicates, 32);
  sansrtc_twcc_sender_del(s);
  sansrtc_twcc_receiver_del(r);
}
END_TEST

/* A compound with an SR before the feedback: the SR is skipped. A result
 * queue of 2 keeps the first two results of 4 and counts 2 dropped. */
START_TEST(test_sender_compound_and_full_queue) {
  sansrtc_twcc_sender_config cfg;
  sansrtc_twcc_sender_config_default(&cfg);
  cfg.max_results = 2;
  cfg.first_seq = 8;
  sansrtc_twcc_sender *s = NULL;
  ck_assert_int_eq(sansrtc_twcc_sender_new(&s, &cfg), SANSRTC_OK);
  uint16_t seq;
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq(sansrtc_twcc_sender_on_send(s, 1, 0, &seq), SANSRTC_OK);
  sansrtc_rtcp_desc pk[1];
  memset(pk, 0, sizeof pk);
  pk[0].kind = SANSRTC_RTCP_KIND_SR;
  pk[0].u.sr.ssrc = 5;
  uint8_t buf[128];
  size_t written, len;
  ck_assert_int_eq(
      sansrtc_rtcp_write_compound(buf, sizeof buf, pk, 1, &written, &len),
      SANSRTC_OK);
  memcpy(buf + len, twcc_pkt, sizeof twcc_pkt);
  ck_assert_int_eq(
      sansrtc_twcc_sender_on_rtcp(s, buf, len + sizeof twcc_pkt, 0),
      SANSRTC_OK);
  sansrtc_twcc_result res;
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
  ck_assert_uint_eq(res.seq, 10);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 1);
  ck_assert_uint_eq(res.seq, 11);
  ck_assert_int_eq(sansrtc_twcc_sender_poll_result(s, &res), 0);
  sansrtc_twcc_sender_stats st;
  ck_assert_int_eq(sansrtc_twcc_sender_get_stats(s, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.results_dropped, 2);
  ck_assert_uint_eq(st.received, 3);
  ck_assert_uint_eq(st.lost, 1);
  ck_assert_uint_eq(st.feedback, 1);
  sansrtc_twcc_sender_del(s);
}
END_TEST

static uint32_t lcg(uint32_t *x) {
  *x = *x * 1103515245u + 12345u;
  return *x >> 8;
}

/* Random feedback-looking bytes: only OK or MALFORMED; counters stay
 * consistent (received + lost never more than sent). */
START_TEST(test_sender_random_bytes) {
  sansrtc_twcc_sender *s = make_sender(0, 64);
  uint16_t seq;
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(sansrtc_twcc_sender_on_send(s, 1, 0, &seq), SANSRTC_OK);
  uint32_t x = 11;
  sansrtc_twcc_result res;
  for (int i = 0; i < 20000; i++) {
    uint8_t b[80];
    size_t n = 20 + lcg(&x) % 60;
    for (size_t j = 0; j < n; j++) b[j] = (uint8_t)lcg(&x);
    b[0] = 0x8F;
    b[1] = 0xCD;
    b[2] = 0;
    b[3] = (uint8_t)(n / 4 - 1);
    b[12] = 0;
    b[13] = (uint8_t)(lcg(&x) % 100);
    int rc = sansrtc_twcc_sender_on_rtcp(s, b, n, 0);
    ck_assert(rc == SANSRTC_OK || rc == SANSRTC_ERR_MALFORMED);
    while (sansrtc_twcc_sender_poll_result(s, &res) == 1)
      ck_assert_uint_lt(res.seq_unwrapped, 100);
  }
  sansrtc_twcc_sender_stats st;
  ck_assert_int_eq(sansrtc_twcc_sender_get_stats(s, &st), SANSRTC_OK);
  ck_assert_uint_le(st.received + st.lost, 64);
  ck_assert_uint_gt(st.received + st.lost, 0);
  sansrtc_twcc_sender_del(s);
}
END_TEST

Suite *twcc_suite(void) {
  Suite *s = suite_create("twcc");
  TCase *tc = tcase_create("twcc");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_config_and_arguments);
  tcase_add_test(tc, test_receiver_losses_reordering);
  tcase_add_test(tc, test_receiver_seq_wrap);
  tcase_add_test(tc, test_receiver_large_gap);
  tcase_add_test(tc, test_receiver_mtu_split);
  tcase_add_test(tc, test_receiver_late_duplicate_pending);
  tcase_add_test(tc, test_sender_handmade_feedback);
  tcase_add_test(tc, test_sender_reference_wrap_unknown_late);
  tcase_add_test(tc, test_sender_compound_and_full_queue);
  tcase_add_test(tc, test_pair_scripted_link);
  tcase_add_test(tc, test_sender_random_bytes);
  suite_add_tcase(s, tc);
  return s;
}
