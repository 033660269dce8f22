/*
 * rtp_stats_test.c - RTP statistics: every expected value below is worked
 * out by hand from RFC 3550 (A.1 sequence tracking, A.3 loss, A.8 jitter,
 * 6.4.1 LSR/DLSR/RTT, 6.3.1 interval randomisation) for scripted arrival
 * patterns and fake times; hostile RTCP input.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtcp.h>
#include <sansrtc/rtp_stats.h>

#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define SEC SANSRTC_SECONDS
#define REMOTE 0x5EED0001u

/* A "random" source that replays fixed 16-bit values, then 0x8000. */
typedef struct script_rng {
  const uint16_t *values;
  size_t count, next;
} script_rng;

static int script_random(void *user, uint8_t *buf, size_t len) {
  script_rng *r = user;
  uint16_t v = r->next < r->count ? r->values[r->next++] : 0x8000u;
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(i == 0 ? v >> 8 : v);
  return 0;
}

static script_rng half_rng = {NULL, 0, 0};

static sansrtc_rtp_stats *make(unsigned min_sequential, uint32_t ssrc,
                               uint64_t ntp_origin) {
  sansrtc_rtp_stats_config cfg;
  sansrtc_rtp_stats_config_default(&cfg);
  cfg.cname = "user@example.org";
  cfg.ssrc = ssrc;
  cfg.ntp_origin = ntp_origin;
  cfg.min_sequential = min_sequential;
  cfg.random_fn = script_random;
  cfg.random_user_data = &half_rng;
  sansrtc_rtp_stats *s = NULL;
  ck_assert_int_eq(sansrtc_rtp_stats_new(&s, &cfg, 0), SANSRTC_OK);
  return s;
}

static sansrtc_rtp_stats *make_receiver(unsigned min_sequential,
                                        uint32_t rate) {
  sansrtc_rtp_stats *s = make(min_sequential, 0xB0B0B0B0u, 0);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, REMOTE, rate), SANSRTC_OK);
  return s;
}

static int recv_seq(sansrtc_rtp_stats *s, uint16_t seq) {
  return sansrtc_rtp_stats_on_received(s, REMOTE, seq, 0, 0);
}

static sansrtc_rtcp_report block(const sansrtc_rtp_stats *s) {
  sansrtc_rtcp_report b;
  ck_assert_int_eq(sansrtc_rtp_stats_report_block(s, REMOTE, 0, &b),
                   SANSRTC_OK);
  return b;
}

/* Starts a new reporting interval, as sending a report does. */
static void report(sansrtc_rtp_stats *s) {
  uint8_t buf[1500];
  size_t len;
  ck_assert_int_eq(sansrtc_rtp_stats_write_report(s, buf, sizeof buf, 0, &len),
                   SANSRTC_OK);
}

START_TEST(test_config_and_arguments) {
  sansrtc_rtp_stats_config cfg;
  sansrtc_rtp_stats_config_default(&cfg);
  ck_assert_uint_eq(cfg.interval, SEC);
  ck_assert_uint_eq(cfg.min_sequential, 2);
  ck_assert_uint_eq(cfg.max_dropout, 3000);
  ck_assert_uint_eq(cfg.max_misorder, 100);
  sansrtc_rtp_stats *s = NULL;
  ck_assert_int_eq(sansrtc_rtp_stats_new(&s, &cfg, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT); /* no CNAME */
  ck_assert_ptr_null(s);
  cfg.cname = "";
  ck_assert_int_eq(sansrtc_rtp_stats_new(&s, &cfg, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.cname = "c";
  cfg.max_remote = 32;
  ck_assert_int_eq(sansrtc_rtp_stats_new(&s, &cfg, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.max_remote = 1;
  cfg.max_local = 1;
  ck_assert_int_eq(sansrtc_rtp_stats_new(NULL, &cfg, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_stats_new(&s, &cfg, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, 1, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, 1, 48000), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, 1, 48000),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, 2, 48000),
                   SANSRTC_ERR_LIMIT);
  sansrtc_rtp_stats_local_config lc = {7, 48000, 0, 0};
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(s, &lc), SANSRTC_OK);
  lc.ssrc = 8;
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(s, &lc), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_rtp_stats_on_received(s, 3, 1, 0, 0),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_rtp_stats_on_sent(s, 3, 1, 0, 0),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_rtcp_report b;
  ck_assert_int_eq(sansrtc_rtp_stats_report_block(s, 1, 0, &b),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_rtp_stats_report_block(s, 9, 0, &b),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_rtp_stats_remove_remote(s, 1), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_remove_remote(s, 1),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, 2, 48000), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_on_rtcp(s, NULL, 1, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  size_t len;
  ck_assert_int_eq(sansrtc_rtp_stats_poll_rtcp(s, NULL, 10, 0, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtp_stats_del(s);
  sansrtc_rtp_stats_del(NULL);
}
END_TEST

/* A.1 with MIN_SEQUENTIAL 2: the first packet only starts probation; the
 * second in sequence makes the source valid, and init_seq() then makes it
 * the base (received 1). A packet out of sequence restarts probation. */
START_TEST(test_probation) {
  sansrtc_rtp_stats *s = make_receiver(2, 90000);
  ck_assert_int_eq(recv_seq(s, 100), 0);
  sansrtc_rtp_remote_stats st;
  ck_assert_int_eq(sansrtc_rtp_stats_remote_get(s, REMOTE, &st), SANSRTC_OK);
  ck_assert_int_eq(st.valid, 0);
  ck_assert_int_eq(recv_seq(s, 105), 0); /* out of sequence: probation 1 */
  ck_assert_int_eq(recv_seq(s, 106), 1); /* 105, 106 in sequence: valid */
  ck_assert_int_eq(sansrtc_rtp_stats_remote_get(s, REMOTE, &st), SANSRTC_OK);
  ck_assert_int_eq(st.valid, 1);
  ck_assert_uint_eq(st.received, 1);
  ck_assert_uint_eq(st.base_seq, 106);
  ck_assert_uint_eq(st.extended_max, 106);
  ck_assert_int_eq(st.expected, 1);
  ck_assert_int_eq(recv_seq(s, 107), 1);
  sansrtc_rtcp_report b = block(s);
  ck_assert_uint_eq(b.highest_seq, 107);
  ck_assert_int_eq(b.cumulative_lost, 0);
  ck_assert_uint_eq(b.fraction_lost, 0);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/*
 * Scripted loss, reordering and duplicates (MIN_SEQUENTIAL 1, base 1000),
 * A.3: expected = ext_max - base + 1; lost = expected - received (counts
 * duplicates); fraction = (lost_interval << 8) / expected_interval, 0 when
 * lost_interval <= 0.
 *  Interval 1: 1000 1001 1003 1002 1005 1005 1007 -> received 7, ext max
 *   1007, expected 8, lost 1 (1004 and 1006 missing, one duplicate),
 *   fraction 256 / 8 = 32.
 *  Interval 2: 1008 1008 1008 1009 -> received 11, expected 10, lost -1;
 *   interval expected 2, received 4, lost -2 -> fraction 0.
 *  Interval 3: 1012 -> received 12, expected 13, lost 1; interval expected
 *   3, received 1, lost 2 -> fraction 512 / 3 = 170.
 */
START_TEST(test_loss_reorder_duplicates) {
  sansrtc_rtp_stats *s = make_receiver(1, 90000);
  static const uint16_t one[] = {1000, 1001, 1003, 1002, 1005, 1005, 1007};
  for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
    ck_assert_int_eq(recv_seq(s, one[i]), 1);
  sansrtc_rtcp_report b = block(s);
  ck_assert_uint_eq(b.ssrc, REMOTE);
  ck_assert_uint_eq(b.highest_seq, 1007);
  ck_assert_int_eq(b.cumulative_lost, 1);
  ck_assert_uint_eq(b.fraction_lost, 32);
  report(s);
  static const uint16_t two[] = {1008, 1008, 1008, 1009};
  for (size_t i = 0; i < 4; i++) ck_assert_int_eq(recv_seq(s, two[i]), 1);
  b = block(s);
  ck_assert_uint_eq(b.highest_seq, 1009);
  ck_assert_int_eq(b.cumulative_lost, -1);
  ck_assert_uint_eq(b.fraction_lost, 0);
  report(s);
  ck_assert_int_eq(recv_seq(s, 1012), 1);
  b = block(s);
  ck_assert_uint_eq(b.highest_seq, 1012);
  ck_assert_int_eq(b.cumulative_lost, 1);
  ck_assert_uint_eq(b.fraction_lost, 170);
  sansrtc_rtp_remote_stats st;
  ck_assert_int_eq(sansrtc_rtp_stats_remote_get(s, REMOTE, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.received, 12);
  ck_assert_int_eq(st.expected, 13);
  ck_assert_int_eq(st.lost, 1);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/* 65534 65535 0 1: the wrap adds one cycle, ext max 65536 + 1 = 65537,
 * expected 65537 - 65534 + 1 = 4, lost 0. A late 65535 after the wrap is
 * reordering (udelta 65534 > 65536 - MAX_MISORDER): counted, no new cycle,
 * lost -1. */
START_TEST(test_sequence_wrap) {
  sansrtc_rtp_stats *s = make_receiver(1, 90000);
  static const uint16_t seqs[] = {65534, 65535, 0, 1};
  for (size_t i = 0; i < 4; i++) ck_assert_int_eq(recv_seq(s, seqs[i]), 1);
  sansrtc_rtcp_report b = block(s);
  ck_assert_uint_eq(b.highest_seq, 65537);
  ck_assert_int_eq(b.cumulative_lost, 0);
  ck_assert_int_eq(recv_seq(s, 65535), 1);
  b = block(s);
  ck_assert_uint_eq(b.highest_seq, 65537);
  ck_assert_int_eq(b.cumulative_lost, -1);
  /* Another full cycle in steps of 2999 (< MAX_DROPOUT): 2 + 65536 * 2 at
   * the end, each step losing 2998. */
  uint16_t seq = 1;
  uint32_t steps = 0;
  while (steps < 22) {
    seq = (uint16_t)(seq + 2999);
    ck_assert_int_eq(recv_seq(s, seq), 1);
    steps++;
  }
  /* 1 + 22 * 2999 = 65979 -> seq 443 in cycle 2: ext max 131072 + 443. */
  b = block(s);
  ck_assert_uint_eq(b.highest_seq, 131072u + 443u);
  ck_assert_int_eq(b.cumulative_lost, -1 + 22 * 2998);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/* Cumulative lost saturates at +0x7FFFFF (signed 24 bits): 2800 jumps of
 * 2999 lose 2800 * 2998 = 8,394,400 > 8,388,607. */
START_TEST(test_cumulative_lost_clamp) {
  sansrtc_rtp_stats *s = make_receiver(1, 90000);
  uint16_t seq = 0;
  ck_assert_int_eq(recv_seq(s, seq), 1);
  for (int i = 0; i < 2800; i++) {
    seq = (uint16_t)(seq + 2999);
    ck_assert_int_eq(recv_seq(s, seq), 1);
  }
  sansrtc_rtcp_report b = block(s);
  ck_assert_int_eq(b.cumulative_lost, 0x7FFFFF);
  ck_assert_uint_eq(b.fraction_lost, 255); /* 8394400 * 256 / 8397201 */
  sansrtc_rtp_remote_stats st;
  ck_assert_int_eq(sansrtc_rtp_stats_remote_get(s, REMOTE, &st), SANSRTC_OK);
  ck_assert_int_eq(st.lost, 8394400);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/* A.1 re-sync: 10 11, then 5000 (udelta 4989 >= MAX_DROPOUT 3000 and
 * <= 65536 - MAX_MISORDER) is not counted and remembered (bad_seq 5001);
 * 12 continues the old sequence. Then 5000 again is once more a lone
 * jump; 5001 == bad_seq confirms the restart: init_seq(5001), received 1,
 * base 5001. */
START_TEST(test_resync_on_jump) {
  sansrtc_rtp_stats *s = make_receiver(1, 90000);
  ck_assert_int_eq(recv_seq(s, 10), 1);
  ck_assert_int_eq(recv_seq(s, 11), 1);
  ck_assert_int_eq(recv_seq(s, 5000), 0);
  ck_assert_int_eq(recv_seq(s, 12), 1);
  sansrtc_rtp_remote_stats st;
  ck_assert_int_eq(sansrtc_rtp_stats_remote_get(s, REMOTE, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.received, 3);
  ck_assert_uint_eq(st.extended_max, 12);
  ck_assert_uint_eq(st.bad, 1);
  ck_assert_int_eq(recv_seq(s, 5000), 0);
  ck_assert_int_eq(recv_seq(s, 5001), 1);
  ck_assert_int_eq(sansrtc_rtp_stats_remote_get(s, REMOTE, &st), SANSRTC_OK);
  ck_assert_uint_eq(st.received, 1);
  ck_assert_uint_eq(st.base_seq, 5001);
  ck_assert_uint_eq(st.extended_max, 5001);
  ck_assert_int_eq(st.expected, 1);
  ck_assert_uint_eq(st.bad, 2);
  /* A backward jump beyond MAX_MISORDER (udelta 65536 - 200) is also a
   * lone jump. */
  ck_assert_int_eq(recv_seq(s, (uint16_t)(5001 - 200)), 0);
  ck_assert_int_eq(recv_seq(s, 5002), 1);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/*
 * A.8 jitter, 8000 Hz (one unit = 125 us), kept scaled by 16:
 * J16 += |D| - ((J16 + 8) >> 4), reported J16 >> 4.
 *  ts    arrival   arrival units  transit  |D|  J16                  J
 *   0    1.000 s   8000           8000     -    0                    0
 *  160   1.025 s   8200           8040     40   0+40-0   = 40        2
 *  320   1.040 s   8320           8000     40   40+40-3  = 77        4
 *  480   1.070 s   8560           8080     80   77+80-5  = 152       9
 *  640   1.080 s   8640           8000     80   152+80-10 = 222      13
 * (the float form J += (|D| - J) / 16 gives 2.5, 4.84, 9.54, 13.94).
 */
START_TEST(test_jitter_by_hand) {
  sansrtc_rtp_stats *s = make_receiver(1, 8000);
  static const uint32_t ts[] = {0, 160, 320, 480, 640};
  static const sansrtc_tstamp at[] = {1000 * MS, 1025 * MS, 1040 * MS,
                                      1070 * MS, 1080 * MS};
  static const uint32_t jitter[] = {0, 2, 4, 9, 13};
  for (size_t i = 0; i < 5; i++) {
    ck_assert_int_eq(sansrtc_rtp_stats_on_received(s, REMOTE, (uint16_t)i,
                                                   ts[i], at[i]),
                     1);
    sansrtc_rtcp_report b;
    ck_assert_int_eq(sansrtc_rtp_stats_report_block(s, REMOTE, at[i], &b),
                     SANSRTC_OK);
    ck_assert_uint_eq(b.jitter, jitter[i]);
  }
  sansrtc_rtp_stats_del(s);
}
END_TEST

static void parse_one(const uint8_t *buf, size_t len, size_t index,
                      sansrtc_rtcp_header *h) {
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_iter_init(&it, buf, len);
  for (size_t i = 0; i <= index; i++)
    ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, h), 1);
}

static void check_cname(const uint8_t *buf, size_t len, size_t index,
                        uint32_t ssrc) {
  sansrtc_rtcp_header h;
  parse_one(buf, len, index, &h);
  sansrtc_rtcp_sdes sdes;
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &sdes), SANSRTC_OK);
  sansrtc_rtcp_bytes cname;
  ck_assert_int_eq(sansrtc_rtcp_sdes_cname(&sdes, ssrc, &cname), SANSRTC_OK);
  ck_assert_uint_eq(cname.len, strlen("user@example.org"));
  ck_assert(memcmp(cname.data, "user@example.org", cname.len) == 0);
}

/*
 * SR -> RR exchange, one-way delay 25 ms, sender NTP origin
 * 0xE0000000.00000000 at its now 0.
 *  A sends seq 1..3 at 10, 20, 30 ms, ts 1000 + 900 k (90 kHz), 100 bytes.
 *  A's SR at 1.000 s: NTP 0xE0000001.00000000, RTP ts 3700 + 0.970 s *
 *   90000 = 91000, 3 packets, 300 octets. B gets it at 1.025 s: LSR is the
 *   middle 32 bits, 0x00010000.
 *  B's RR at 1.525 s: DLSR 0.5 s = 0x8000; the block for A: highest 3, no
 *   loss, jitter 0 (constant transit 1250 units).
 *  A gets it at 1.550 s: NTP 0xE0000001 + 0.55 * 2^32 = .8CCCCCCC, middle
 *   0x00018CCC; RTT = 0x18CCC - 0x10000 - 0x8000 = 0xCCC = 3276 / 65536 s
 *   = 49,987,792 ns (floor of 3276e9 / 65536).
 */
START_TEST(test_sr_rr_rtt_exchange) {
  sansrtc_rtp_stats *a = make(1, 0xAAAAAAAAu, 0xE000000000000000ull);
  sansrtc_rtp_stats *b = make(1, 0xBBBBBBBBu, 0x1234567800000000ull);
  sansrtc_rtp_stats_local_config lc = {0xAu, 90000, 1000, 0};
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(a, &lc), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(b, 0xAu, 90000), SANSRTC_OK);
  for (uint32_t k = 1; k <= 3; k++) {
    sansrtc_tstamp t = k * 10 * MS;
    uint32_t ts = 1000 + 900 * k;
    ck_assert_int_eq(sansrtc_rtp_stats_on_sent(a, 0xA, ts, 100, t), SANSRTC_OK);
    ck_assert_int_eq(
        sansrtc_rtp_stats_on_received(b, 0xA, (uint16_t)k, ts, t + 25 * MS), 1);
  }
  uint8_t buf[1500];
  size_t len;
  ck_assert_int_eq(sansrtc_rtp_stats_write_report(a, buf, sizeof buf, SEC, &len),
                   SANSRTC_OK);
  sansrtc_rtcp_header h;
  parse_one(buf, len, 0, &h);
  sansrtc_rtcp_sr sr;
  ck_assert_int_eq(sansrtc_rtcp_parse_sr(&h, &sr), SANSRTC_OK);
  ck_assert_uint_eq(sr.ssrc, 0xA);
  ck_assert_uint_eq(sr.ntp, 0xE000000100000000ull);
  ck_assert_uint_eq(sr.rtp_timestamp, 91000);
  ck_assert_uint_eq(sr.packet_count, 3);
  ck_assert_uint_eq(sr.octet_count, 300);
  ck_assert_uint_eq(sr.reports.count, 0);
  check_cname(buf, len, 1, 0xA);
  ck_assert_int_eq(sansrtc_rtp_stats_on_rtcp(b, buf, len, 1025 * MS),
                   SANSRTC_OK);

  ck_assert_int_eq(
      sansrtc_rtp_stats_write_report(b, buf, sizeof buf, 1525 * MS, &len),
      SANSRTC_OK);
  parse_one(buf, len, 0, &h);
  sansrtc_rtcp_rr rr;
  ck_assert_int_eq(sansrtc_rtcp_parse_rr(&h, &rr), SANSRTC_OK);
  ck_assert_uint_eq(rr.ssrc, 0xBBBBBBBBu);
  ck_assert_uint_eq(rr.reports.count, 1);
  sansrtc_rtcp_report rep;
  ck_assert_int_eq(sansrtc_rtcp_report_get(&rr.reports, 0, &rep), SANSRTC_OK);
  ck_assert_uint_eq(rep.ssrc, 0xA);
  ck_assert_uint_eq(rep.highest_seq, 3);
  ck_assert_int_eq(rep.cumulative_lost, 0);
  ck_assert_uint_eq(rep.fraction_lost, 0);
  ck_assert_uint_eq(rep.jitter, 0);
  ck_assert_uint_eq(rep.lsr, 0x00010000u);
  ck_assert_uint_eq(rep.dlsr, 0x8000u);
  check_cname(buf, len, 1, 0xBBBBBBBBu);

  ck_assert_int_eq(sansrtc_rtp_stats_on_rtcp(a, buf, len, 1550 * MS),
                   SANSRTC_OK);
  sansrtc_rtp_local_stats ls;
  ck_assert_int_eq(sansrtc_rtp_stats_local_get(a, 0xA, &ls), SANSRTC_OK);
  ck_assert_int_eq(ls.has_report, 1);
  ck_assert_int_eq(ls.has_rtt, 1);
  ck_assert_uint_eq(ls.rtt, 49987792u);
  ck_assert_uint_eq(ls.packets, 3);
  ck_assert_uint_eq(ls.octets, 300);
  sansrtc_rtp_stats_del(a);
  sansrtc_rtp_stats_del(b);
}
END_TEST

/* A block with LSR 0 (no SR seen yet) is kept but gives no RTT; a block
 * about an unknown SSRC is ignored. RR built by hand: RFC 3550 6.4.2. */
START_TEST(test_rr_without_lsr) {
  sansrtc_rtp_stats *a = make(1, 1, 0xE000000000000000ull);
  sansrtc_rtp_stats_local_config lc = {0xAu, 90000, 0, 0};
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(a, &lc), SANSRTC_OK);
  sansrtc_rtcp_report reps[2] = {{0xA, 12, 3, 77, 5, 0, 0},
                                 {0xC, 0, 0, 0, 0, 0x10000, 0}};
  sansrtc_rtcp_rr_desc d = {0x99, reps, 2};
  uint8_t buf[128];
  size_t len;
  ck_assert_int_eq(sansrtc_rtcp_write_rr(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_on_rtcp(a, buf, len, SEC), SANSRTC_OK);
  sansrtc_rtp_local_stats ls;
  ck_assert_int_eq(sansrtc_rtp_stats_local_get(a, 0xA, &ls), SANSRTC_OK);
  ck_assert_int_eq(ls.has_report, 1);
  ck_assert_int_eq(ls.has_rtt, 0);
  ck_assert_uint_eq(ls.report.fraction_lost, 12);
  ck_assert_int_eq(ls.report.cumulative_lost, 3);
  ck_assert_uint_eq(ls.report.highest_seq, 77);
  ck_assert_uint_eq(ls.report.jitter, 5);
  sansrtc_rtp_stats_del(a);
}
END_TEST

/*
 * The timer (RFC 3550 6.3.1 randomisation, interval 1 s). The scripted
 * random values u give intervals of 0.5 s + 1 s * u / 65536:
 *  u = 0 at creation: 0.5 s, halved for the first report: due at 0.25 s.
 *  u = 0xFFFF at 0.25 s: 0.5 s + 15258 * 65535 + 51712 * 65535 / 65536
 *   (1e9 = 15258 * 65536 + 51712) = 0.5 s + 999,984,741 ns, so the next
 *   deadline is 250,000,000 + 1,499,984,741 = 1,749,984,741 ns.
 *  u = 0x8000 at that deadline: exactly 1 s more.
 */
START_TEST(test_report_timer) {
  static const uint16_t values[] = {0x0000, 0xFFFF, 0x8000};
  script_rng rng = {values, 3, 0};
  sansrtc_rtp_stats_config cfg;
  sansrtc_rtp_stats_config_default(&cfg);
  cfg.cname = "user@example.org";
  cfg.ssrc = 0x77;
  cfg.random_fn = script_random;
  cfg.random_user_data = &rng;
  sansrtc_rtp_stats *s = NULL;
  ck_assert_int_eq(sansrtc_rtp_stats_new(&s, &cfg, 0), SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_rtp_stats_next_deadline(s), 250 * MS);
  uint8_t buf[1500];
  size_t len;
  ck_assert_int_eq(sansrtc_rtp_stats_handle_timeout(s, 100 * MS), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_poll_rtcp(s, buf, sizeof buf, 100 * MS,
                                               &len),
                   0);
  ck_assert_int_eq(sansrtc_rtp_stats_handle_timeout(s, 250 * MS), SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_rtp_stats_next_deadline(s), 1749984741u);
  /* Too small: stays due. RR (8 bytes) + SDES (4 + 4 + 2 + 16 + pad 2). */
  ck_assert_int_eq(sansrtc_rtp_stats_poll_rtcp(s, buf, 20, 250 * MS, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_rtp_stats_poll_rtcp(s, buf, sizeof buf, 250 * MS,
                                               &len),
                   1);
  ck_assert_uint_eq(len, 8 + 28);
  sansrtc_rtcp_header h;
  parse_one(buf, len, 0, &h);
  ck_assert_int_eq(sansrtc_rtcp_kind_of(&h), SANSRTC_RTCP_KIND_RR);
  ck_assert_uint_eq(h.count, 0);
  check_cname(buf, len, 1, 0x77);
  ck_assert_int_eq(sansrtc_rtp_stats_poll_rtcp(s, buf, sizeof buf, 250 * MS,
                                               &len),
                   0);
  ck_assert_int_eq(sansrtc_rtp_stats_handle_timeout(s, 1749984741u),
                   SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_rtp_stats_next_deadline(s), 2749984741u);
  ck_assert_int_eq(sansrtc_rtp_stats_poll_rtcp(s, buf, sizeof buf,
                                               1749984741u, &len),
                   1);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/* SR vs RR (RFC 3550 6.4): a stream that sent since the report before
 * last gets an SR; after two reports without sending, an RR again. Two
 * sending streams: the first SR carries the blocks, the second none; the
 * SDES has a chunk for each. */
START_TEST(test_sr_or_rr_choice) {
  sansrtc_rtp_stats *s = make(1, 0x77, 0);
  sansrtc_rtp_stats_local_config l1 = {0x10, 48000, 0, 0};
  sansrtc_rtp_stats_local_config l2 = {0x20, 90000, 0, 0};
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(s, &l1), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(s, &l2), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(s, REMOTE, 90000), SANSRTC_OK);
  ck_assert_int_eq(recv_seq(s, 1), 1);
  ck_assert_int_eq(sansrtc_rtp_stats_on_sent(s, 0x20, 0, 10, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_on_sent(s, 0x10, 0, 10, 0), SANSRTC_OK);
  uint8_t buf[1500];
  size_t len;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_sr sr;
  for (int round = 0; round < 2; round++) {
    ck_assert_int_eq(sansrtc_rtp_stats_write_report(s, buf, sizeof buf, 0, &len),
                     SANSRTC_OK);
    parse_one(buf, len, 0, &h);
    ck_assert_int_eq(sansrtc_rtcp_parse_sr(&h, &sr), SANSRTC_OK);
    ck_assert_uint_eq(sr.ssrc, 0x10);
    ck_assert_uint_eq(sr.reports.count, 1);
    parse_one(buf, len, 1, &h);
    ck_assert_int_eq(sansrtc_rtcp_parse_sr(&h, &sr), SANSRTC_OK);
    ck_assert_uint_eq(sr.ssrc, 0x20);
    ck_assert_uint_eq(sr.reports.count, 0);
    check_cname(buf, len, 2, 0x10);
    check_cname(buf, len, 2, 0x20);
  }
  ck_assert_int_eq(sansrtc_rtp_stats_write_report(s, buf, sizeof buf, 0, &len),
                   SANSRTC_OK);
  parse_one(buf, len, 0, &h);
  sansrtc_rtcp_rr rr;
  ck_assert_int_eq(sansrtc_rtcp_parse_rr(&h, &rr), SANSRTC_OK);
  ck_assert_uint_eq(rr.ssrc, 0x10);
  ck_assert_uint_eq(rr.reports.count, 1);
  /* Sender info before any packet: from the reference instant. 0x20 sent
   * ts 0 at 0; at 0.5 s: 45000. */
  sansrtc_rtcp_sr_desc info;
  ck_assert_int_eq(sansrtc_rtp_stats_sender_info(s, 0x20, 500 * MS, &info),
                   SANSRTC_OK);
  ck_assert_uint_eq(info.rtp_timestamp, 45000);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/* An SR from an SSRC that is not a remote stream leaves LSR at 0; one
 * from the remote stream sets it. */
START_TEST(test_sr_from_unknown_ssrc) {
  sansrtc_rtp_stats *s = make_receiver(1, 90000);
  ck_assert_int_eq(recv_seq(s, 1), 1);
  sansrtc_rtcp_sr_desc d = {0x999, 0x0000000512340000ull, 0, 0, 0, NULL, 0};
  uint8_t buf[64];
  size_t len;
  ck_assert_int_eq(sansrtc_rtcp_write_sr(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_on_rtcp(s, buf, len, SEC), SANSRTC_OK);
  sansrtc_rtcp_report b = block(s);
  ck_assert_uint_eq(b.lsr, 0);
  ck_assert_uint_eq(b.dlsr, 0);
  d.ssrc = REMOTE;
  ck_assert_int_eq(sansrtc_rtcp_write_sr(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_on_rtcp(s, buf, len, SEC), SANSRTC_OK);
  /* LSR: seconds 5 low 16 bits 0x0005, fraction high 16 bits 0x1234.
   * DLSR at 2 s: 1 s = 65536. */
  sansrtc_rtcp_report b2;
  ck_assert_int_eq(sansrtc_rtp_stats_report_block(s, REMOTE, 2 * SEC, &b2),
                   SANSRTC_OK);
  ck_assert_uint_eq(b2.lsr, 0x00051234u);
  ck_assert_uint_eq(b2.dlsr, 65536u);
  sansrtc_rtp_stats_del(s);
}
END_TEST

/* The RTP timestamp of an SR before any packet is sent: reference ts
 * 0xFFFFFF00 at 2 s; at 1.5 s (before it) 0xFFFFFF00 - 24000 at 48 kHz,
 * at 3 s 0xFFFFFF00 + 48000 modulo 2^32 = 0xBA80. NTP of 1.5 s with
 * origin 0: 1.80000000. */
START_TEST(test_sender_info_reference) {
  sansrtc_rtp_stats *s = make(1, 1, 0);
  sansrtc_rtp_stats_local_config lc = {0x10, 48000, 0xFFFFFF00u, 2 * SEC};
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(s, &lc), SANSRTC_OK);
  sansrtc_rtcp_sr_desc info;
  ck_assert_int_eq(sansrtc_rtp_stats_sender_info(s, 0x10, 1500 * MS, &info),
                   SANSRTC_OK);
  ck_assert_uint_eq(info.rtp_timestamp, 0xFFFFFF00u - 24000u);
  ck_assert_uint_eq(info.ntp, 0x180000000ull);
  ck_assert_int_eq(sansrtc_rtp_stats_sender_info(s, 0x10, 3 * SEC, &info),
                   SANSRTC_OK);
  ck_assert_uint_eq(info.rtp_timestamp, 0xBA80u);
  sansrtc_rtp_stats_del(s);
}
END_TEST

static uint32_t lcg(uint32_t *x) {
  *x = *x * 1103515245u + 12345u;
  return *x >> 8;
}

/* Every truncation of a valid compound and random bytes: never a crash,
 * only OK or MALFORMED. */
START_TEST(test_hostile_rtcp) {
  sansrtc_rtp_stats *a = make(1, 1, 0);
  sansrtc_rtp_stats_local_config lc = {0xAu, 90000, 0, 0};
  ck_assert_int_eq(sansrtc_rtp_stats_add_local(a, &lc), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_stats_add_remote(a, 0xBu, 90000), SANSRTC_OK);
  sansrtc_rtcp_report rep = {0xA, 1, 2, 3, 4, 5, 6};
  sansrtc_rtcp_desc pk[2];
  memset(pk, 0, sizeof pk);
  pk[0].kind = SANSRTC_RTCP_KIND_SR;
  pk[0].u.sr = (sansrtc_rtcp_sr_desc){0xB, 1, 2, 3, 4, &rep, 1};
  pk[1].kind = SANSRTC_RTCP_KIND_RR;
  pk[1].u.rr = (sansrtc_rtcp_rr_desc){0xB, &rep, 1};
  uint8_t buf[256];
  size_t written, len;
  ck_assert_int_eq(
      sansrtc_rtcp_write_compound(buf, sizeof buf, pk, 2, &written, &len),
      SANSRTC_OK);
  for (size_t n = 0; n <= len; n++) {
    uint8_t *copy = malloc(n + 1);
    memcpy(copy, buf, n);
    int rc = sansrtc_rtp_stats_on_rtcp(a, copy, n, SEC);
    ck_assert(rc == SANSRTC_OK || rc == SANSRTC_ERR_MALFORMED);
    free(copy);
  }
  uint32_t x = 7;
  for (int i = 0; i < 20000; i++) {
    uint8_t r[64];
    size_t n = lcg(&x) % sizeof r;
    for (size_t j = 0; j < n; j++) r[j] = (uint8_t)lcg(&x);
    if (n > 1 && (i & 1)) r[0] = 0x80 | (r[0] & 0x1F), r[1] = 200 + (r[1] & 1);
    int rc = sansrtc_rtp_stats_on_rtcp(a, r, n, SEC);
    ck_assert(rc == SANSRTC_OK || rc == SANSRTC_ERR_MALFORMED);
  }
  sansrtc_rtp_stats_del(a);
}
END_TEST

Suite *rtp_stats_suite(void) {
  Suite *s = suite_create("rtp_stats");
  TCase *tc = tcase_create("rtp_stats");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_config_and_arguments);
  tcase_add_test(tc, test_probation);
  tcase_add_test(tc, test_loss_reorder_duplicates);
  tcase_add_test(tc, test_sequence_wrap);
  tcase_add_test(tc, test_cumulative_lost_clamp);
  tcase_add_test(tc, test_resync_on_jump);
  tcase_add_test(tc, test_jitter_by_hand);
  tcase_add_test(tc, test_sr_rr_rtt_exchange);
  tcase_add_test(tc, test_rr_without_lsr);
  tcase_add_test(tc, test_report_timer);
  tcase_add_test(tc, test_sr_or_rr_choice);
  tcase_add_test(tc, test_sr_from_unknown_ssrc);
  tcase_add_test(tc, test_sender_info_reference);
  tcase_add_test(tc, test_hostile_rtcp);
  suite_add_tcase(s, tc);
  return s;
}
