/*
 * nack_test.c - the NACK loop: RTX form and unwrapping (RFC 4588 4), the
 * send history answering generic NACKs (RFC 4585 6.2.1) with its rate
 * limit, age and ring, and the NACK generator's gap detection, reorder
 * wait, retries, give-up, wrap, reset and packet sizes; then both halves
 * in a loop.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/nack.h>
#include <sansrtc/rtcp.h>
#include <sansrtc/rtp.h>

#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define T0 (1000 * SANSRTC_SECONDS) /* an arbitrary origin */
#define SSRC 0x11223344u
#define RTX_SSRC 0x55667788u
#define OUR_SSRC 0xCAFEBABEu

static const uint8_t payload[] = {0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03};

/* An RTP packet with a CSRC, a one-byte-header extension, marker and
 * `padding` bytes of padding. */
static size_t make_packet(uint8_t *buf, size_t cap, uint16_t seq,
                          uint8_t padding) {
  static const uint32_t csrc[1] = {0x0A0B0C0D};
  static const uint8_t level[1] = {0x85};
  sansrtc_rtp_ext ext = {1, level, 1};
  sansrtc_rtp_header_fields h = {1, 96, seq, 0x01020304u, SSRC,
                                 csrc, 1, &ext, 1};
  size_t len = 0;
  ck_assert_int_eq(sansrtc_rtp_write(&h, payload, sizeof payload, padding,
                                     buf, cap, &len),
                   SANSRTC_OK);
  return len;
}

static size_t make_nack(uint8_t *buf, size_t cap, uint32_t media,
                        const uint16_t *lost, size_t n) {
  sansrtc_rtcp_nack_desc d = {OUR_SSRC, media, lost, n};
  size_t len = 0;
  ck_assert_int_eq(sansrtc_rtcp_write_nack(buf, cap, &d, &len), SANSRTC_OK);
  return len;
}

static sansrtc_nack_sender *new_sender(int rtx) {
  sansrtc_nack_sender_config c;
  sansrtc_nack_sender_config_default(&c);
  c.ssrc = SSRC;
  if (rtx) {
    c.rtx.rtx_ssrc = RTX_SSRC;
    c.rtx.map_count = 2;
    c.rtx.map[0] = (sansrtc_rtx_map){100, 101};
    c.rtx.map[1] = (sansrtc_rtx_map){96, 97};
    c.rtx_first_seq = 0xFFFF; /* so the wrap is exercised */
  }
  sansrtc_nack_sender *s = NULL;
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c), SANSRTC_OK);
  return s;
}

/* Sends packet `seq` and NACKs it at `now`. */
static void nack_one(sansrtc_nack_sender *s, uint16_t seq, sansrtc_tstamp now) {
  uint8_t rtcp[64];
  size_t n = make_nack(rtcp, sizeof rtcp, SSRC, &seq, 1);
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, n, now), SANSRTC_OK);
}

/* RFC 4588 4: the RTX packet keeps the original header but for payload
 * type, sequence number and SSRC, and carries the OSN then the original
 * payload. Worked out byte by byte from a packet with a CSRC, an
 * extension, the marker and 4 bytes of padding (which RTX drops). */
START_TEST(test_rtx_form_exact) {
  sansrtc_nack_sender *s = new_sender(1);
  uint8_t orig[128], out[128];
  size_t olen = make_packet(orig, sizeof orig, 0x1234, 4);
  ck_assert_uint_eq(olen, 12 + 4 + 8 + sizeof payload + 4);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, orig, olen, T0), SANSRTC_OK);
  nack_one(s, 0x1234, T0 + 50 * MS);
  size_t len = 0;
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + 50 * MS, out, sizeof out,
                                            &len),
                   SANSRTC_OK);
  const uint8_t expect[] = {
      0x91, 0x80 | 97, 0xFF, 0xFF, /* V=2 X=1 CC=1, P cleared; M, RTX PT */
      0x01, 0x02, 0x03, 0x04,      /* same timestamp */
      0x55, 0x66, 0x77, 0x88,      /* RTX SSRC */
      0x0A, 0x0B, 0x0C, 0x0D,      /* CSRC kept */
      0xBE, 0xDE, 0x00, 0x01, 0x10, 0x85, 0x00, 0x00, /* extension kept */
      0x12, 0x34,                  /* OSN */
      0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03};
  ck_assert_uint_eq(len, sizeof expect);
  ck_assert_mem_eq(out, expect, sizeof expect);
  /* Unwrapped, it is the original without its padding. */
  sansrtc_rtx_config rtx = {RTX_SSRC, 1, {{96, 97}}};
  ck_assert_int_eq(sansrtc_rtx_unwrap(&rtx, SSRC, out, &len), SANSRTC_OK);
  uint8_t plain[128];
  size_t plen = make_packet(plain, sizeof plain, 0x1234, 0);
  ck_assert_uint_eq(len, plen);
  ck_assert_mem_eq(out, plain, plen);
  /* The next RTX packet has the next RTX sequence number (wrapped). */
  nack_one(s, 0x1234, T0 + 100 * MS);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + 100 * MS, out, sizeof out,
                                            &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(out[2], 0);
  ck_assert_uint_eq(out[3], 0);
  sansrtc_nack_sender_stats st;
  sansrtc_nack_sender_get_stats(s, &st);
  ck_assert_uint_eq(st.packets_resent, 2);
  ck_assert_uint_eq(st.rtx_packets, 2);
  sansrtc_nack_sender_del(s);
}
END_TEST

START_TEST(test_rtx_unwrap_errors) {
  sansrtc_nack_sender *s = new_sender(1);
  uint8_t orig[128], rtxp[128], work[128];
  size_t olen = make_packet(orig, sizeof orig, 7, 0);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, orig, olen, T0), SANSRTC_OK);
  nack_one(s, 7, T0);
  size_t rlen = 0;
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0, rtxp, sizeof rtxp, &rlen),
                   SANSRTC_OK);
  sansrtc_rtx_config rtx = {RTX_SSRC, 1, {{96, 97}}};
  size_t len;
  /* Every truncation short of header + OSN (24 + 2 bytes) is refused and
   * leaves the bytes alone (longer ones are shorter RTX packets). */
  ck_assert_uint_eq(rlen, 24 + 2 + sizeof payload);
  for (size_t n = 0; n < 26; n++) {
    memcpy(work, rtxp, rlen);
    len = n;
    int rc = sansrtc_rtx_unwrap(&rtx, SSRC, work, &len);
    ck_assert_int_ne(rc, SANSRTC_OK);
    ck_assert_mem_eq(work, rtxp, rlen);
  }
  /* Another SSRC or payload type: not ours. */
  sansrtc_rtx_config other = {RTX_SSRC + 1, 1, {{96, 97}}};
  memcpy(work, rtxp, rlen);
  len = rlen;
  ck_assert_int_eq(sansrtc_rtx_unwrap(&other, SSRC, work, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_rtx_config other_pt = {RTX_SSRC, 1, {{96, 98}}};
  ck_assert_int_eq(sansrtc_rtx_unwrap(&other_pt, SSRC, work, &len),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_uint_eq(len, rlen);
  /* A padding-only probe (no OSN) is malformed. */
  sansrtc_rtp_header_fields h = {0, 97, 1, 2, RTX_SSRC, NULL, 0, NULL, 0};
  ck_assert_int_eq(sansrtc_rtp_write(&h, NULL, 0, 20, work, sizeof work, &len),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtx_unwrap(&rtx, SSRC, work, &len),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_rtx_unwrap(NULL, SSRC, work, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtx_unwrap(&rtx, SSRC, NULL, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtx_unwrap(&rtx, SSRC, work, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_nack_sender_del(s);
}
END_TEST

/* Without RTX (or for a payload type without a mapping) the stored packet
 * goes out again byte for byte, padding included. */
START_TEST(test_plain_resend) {
  for (int rtx = 0; rtx < 2; rtx++) {
    sansrtc_nack_sender *s = new_sender(rtx);
    uint8_t orig[128], out[128];
    size_t olen = make_packet(orig, sizeof orig, 500, 8);
    if (rtx) orig[1] = 0x80 | 111; /* no mapping for PT 111 */
    ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, orig, olen, T0),
                     SANSRTC_OK);
    nack_one(s, 500, T0 + MS);
    size_t len = 0;
    ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + MS, out, sizeof out,
                                              &len),
                     SANSRTC_OK);
    ck_assert_uint_eq(len, olen);
    ck_assert_mem_eq(out, orig, olen);
    ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + MS, out, sizeof out,
                                              &len),
                     SANSRTC_ERR_NOT_FOUND);
    sansrtc_nack_sender_del(s);
  }
}
END_TEST

/* min_resend_interval (10 ms): a repeat within it is suppressed, one after
 * it is answered; a number twice in one NACK is queued once. */
START_TEST(test_resend_rate_limit) {
  sansrtc_nack_sender *s = new_sender(0);
  uint8_t pkt[128], out[128];
  size_t len = make_packet(pkt, sizeof pkt, 42, 0);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, len, T0), SANSRTC_OK);
  uint8_t rtcp[64];
  const uint16_t twice[] = {42, 42};
  /* Two pairs with the same PID: written by hand (the writer merges). */
  size_t n = make_nack(rtcp, sizeof rtcp, SSRC, twice, 1);
  memcpy(rtcp + n, rtcp + n - 4, 4);
  rtcp[3] = 4;
  n += 4;
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, n, T0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0, out, sizeof out, &len),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0, out, sizeof out, &len),
                   SANSRTC_ERR_NOT_FOUND);
  nack_one(s, 42, T0 + 9 * MS);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + 9 * MS, out, sizeof out,
                                            &len),
                   SANSRTC_ERR_NOT_FOUND);
  nack_one(s, 42, T0 + 10 * MS);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + 10 * MS, out, sizeof out,
                                            &len),
                   SANSRTC_OK);
  sansrtc_nack_sender_stats st;
  sansrtc_nack_sender_get_stats(s, &st);
  ck_assert_uint_eq(st.nacks_received, 3);
  ck_assert_uint_eq(st.requests, 4);
  ck_assert_uint_eq(st.requests_suppressed, 2);
  ck_assert_uint_eq(st.packets_resent, 2);
  sansrtc_nack_sender_del(s);
}
END_TEST

/* Unknown, overwritten and too old numbers are counted, not errors;
 * NACKs for another SSRC are ignored; answers follow NACK order. */
START_TEST(test_history_limits) {
  sansrtc_nack_sender_config c;
  sansrtc_nack_sender_config_default(&c);
  c.ssrc = SSRC;
  c.history_size = 8;
  sansrtc_nack_sender *s = NULL;
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c), SANSRTC_OK);
  uint8_t pkt[128], out[128], rtcp[256];
  for (uint16_t q = 0; q < 12; q++) {
    size_t len = make_packet(pkt, sizeof pkt, q, 0);
    ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, len, T0 + q * MS),
                     SANSRTC_OK);
  }
  /* 0..3 were overwritten by 8..11; 20 was never sent. */
  const uint16_t lost[] = {2, 9, 11, 20};
  size_t n = make_nack(rtcp, sizeof rtcp, SSRC, lost, 4);
  size_t m = make_nack(rtcp + n, sizeof rtcp - n, SSRC + 1, lost, 4);
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, n + m, T0 + 20 * MS),
                   SANSRTC_OK);
  size_t len;
  uint16_t seen[2];
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + 20 * MS, out,
                                              sizeof out, &len),
                     SANSRTC_OK);
    seen[i] = (uint16_t)(out[2] << 8 | out[3]);
  }
  ck_assert_uint_eq(seen[0], 9);
  ck_assert_uint_eq(seen[1], 11);
  sansrtc_nack_sender_stats st;
  sansrtc_nack_sender_get_stats(s, &st);
  ck_assert_uint_eq(st.nacks_received, 1);
  ck_assert_uint_eq(st.requests_unknown, 2);
  /* max_age (1 s): packet 10 was sent at T0 + 10 ms. */
  const uint16_t ten = 10;
  n = make_nack(rtcp, sizeof rtcp, SSRC, &ten, 1);
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, n,
                                               T0 + 1011 * MS),
                   SANSRTC_OK);
  sansrtc_nack_sender_get_stats(s, &st);
  ck_assert_uint_eq(st.requests_too_old, 1);
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, n, T0 + 1010 * MS),
                   SANSRTC_OK);
  /* Queued, then expired before poll: skipped. */
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0 + 1011 * MS, out,
                                            sizeof out, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_nack_sender_del(s);
}
END_TEST

START_TEST(test_sender_errors) {
  sansrtc_nack_sender_config c;
  sansrtc_nack_sender_config_default(&c);
  ck_assert_uint_eq(c.history_size, 512);
  ck_assert_uint_eq(c.max_packet_size, 1500);
  ck_assert_uint_eq(c.min_resend_interval, 10 * MS);
  ck_assert_uint_eq(c.max_age, SANSRTC_SECONDS);
  c.ssrc = SSRC;
  sansrtc_nack_sender *s = (sansrtc_nack_sender *)&c;
  c.history_size = 0;
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(s);
  c.history_size = 4;
  c.max_packet_size = 11;
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c.max_packet_size = 40;
  c.rtx.map_count = SANSRTC_RTX_MAX_MAP + 1;
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c.rtx.map_count = 1;
  c.rtx.map[0] = (sansrtc_rtx_map){96, 128};
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c.rtx.map[0] = (sansrtc_rtx_map){96, 97};
  ck_assert_int_eq(sansrtc_nack_sender_new(NULL, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_sender_new(&s, &c), SANSRTC_OK);
  uint8_t pkt[128], out[64];
  size_t len = make_packet(pkt, sizeof pkt, 1, 0);
  ck_assert_uint_eq(len, 31);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, len, T0), SANSRTC_OK);
  size_t big = make_packet(pkt, sizeof pkt, 2, 12);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, big, T0),
                   SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, 11, T0),
                   SANSRTC_ERR_MALFORMED);
  pkt[8] ^= 1; /* another SSRC */
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, big, T0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(NULL, pkt, len, T0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, NULL, len, T0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* A short buffer keeps the packet queued. */
  nack_one(s, 1, T0);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0, out, 32, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0, out, 33, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, 33);
  ck_assert_int_eq(sansrtc_nack_sender_poll(NULL, T0, out, 33, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_sender_poll(s, T0, NULL, 33, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* Bad RTCP: every truncation of a NACK is refused or taken whole. */
  uint8_t rtcp[64];
  uint16_t one = 1;
  size_t n = make_nack(rtcp, sizeof rtcp, SSRC, &one, 1);
  for (size_t k = 1; k < n; k++)
    ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, k, T0),
                     SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, 0, T0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, NULL, 4, T0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  rtcp[3] = 2; /* a NACK with no pair */
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, 12, T0),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_nack_sender_get_stats(s, NULL);
  sansrtc_nack_sender_get_stats(NULL, NULL);
  sansrtc_nack_sender_del(s);
  sansrtc_nack_sender_del(NULL);
}
END_TEST

/* ---- generator -------------------------------------------------------- */

static sansrtc_nack_generator *new_gen(size_t max_missing) {
  sansrtc_nack_generator_config c;
  sansrtc_nack_generator_config_default(&c);
  c.sender_ssrc = OUR_SSRC;
  c.media_ssrc = SSRC;
  c.max_missing = max_missing;
  sansrtc_nack_generator *g = NULL;
  ck_assert_int_eq(sansrtc_nack_generator_new(&g, &c), SANSRTC_OK);
  return g;
}

/* The sequence numbers a NACK packet asks for, via rtcp.h's parser. */
static size_t nacked(const uint8_t *buf, size_t len, uint16_t *out,
                     size_t cap) {
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, buf, len);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 1);
  ck_assert_uint_eq(h.packet.len, len);
  sansrtc_rtcp_nack n;
  ck_assert_int_eq(sansrtc_rtcp_parse_nack(&h, &n), SANSRTC_OK);
  ck_assert_uint_eq(n.sender_ssrc, OUR_SSRC);
  ck_assert_uint_eq(n.media_ssrc, SSRC);
  size_t count = 0;
  ck_assert_int_eq(sansrtc_rtcp_nack_lost(&n, out, cap, &count), SANSRTC_OK);
  return count;
}

/* 3 and 4 missing: nothing before the 10 ms reorder wait, then exactly
 * the RFC 4585 6.2.1 packet: PID 3, BLP bit 0 (PID + 1). */
START_TEST(test_gen_gap_exact) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g),
                    SANSRTC_TSTAMP_NEVER);
  for (uint16_t q = 0; q < 3; q++) sansrtc_nack_generator_on_packet(g, q, T0);
  sansrtc_nack_generator_on_packet(g, 5, T0 + MS);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 2);
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g), T0 + 11 * MS);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 11 * MS - 1, buf,
                                               sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 11 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_OK);
  const uint8_t expect[16] = {0x81, 0xCD, 0x00, 0x03, 0xCA, 0xFE, 0xBA, 0xBE,
                              0x11, 0x22, 0x33, 0x44, 0x00, 0x03, 0x00, 0x01};
  ck_assert_uint_eq(len, 16);
  ck_assert_mem_eq(buf, expect, 16);
  /* The retry is one (default 100 ms) RTT later. */
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g), T0 + 111 * MS);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 11 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_nack_generator_on_packet(g, 4, T0 + 60 * MS);
  sansrtc_nack_generator_on_packet(g, 4, T0 + 61 * MS);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 1);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 111 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_OK);
  uint16_t lost[17];
  ck_assert_uint_eq(nacked(buf, len, lost, 17), 1);
  ck_assert_uint_eq(lost[0], 3);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.packets_received, 6);
  ck_assert_uint_eq(st.nacks_sent, 2);
  ck_assert_uint_eq(st.packets_requested, 3);
  ck_assert_uint_eq(st.recovered, 1);
  ck_assert_uint_eq(st.packets_duplicate, 1);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* A packet late by less than the reorder wait is never asked for. */
START_TEST(test_gen_reorder_not_nacked) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_on_packet(g, 100, T0);
  sansrtc_nack_generator_on_packet(g, 102, T0 + MS);
  sansrtc_nack_generator_on_packet(g, 103, T0 + 2 * MS);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 10 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_nack_generator_on_packet(g, 101, T0 + 10 * MS);
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g),
                    SANSRTC_TSTAMP_NEVER);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + SANSRTC_SECONDS, buf,
                                               sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.reordered, 1);
  ck_assert_uint_eq(st.nacks_sent, 0);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* Retries at the RTT given by set_rtt, at most max_retries (10) NACKs,
 * then the entry is given up. */
START_TEST(test_gen_retries) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_set_rtt(g, 30 * MS);
  sansrtc_nack_generator_on_packet(g, 7, T0);
  sansrtc_nack_generator_on_packet(g, 9, T0);
  sansrtc_tstamp t = T0 + 10 * MS;
  for (int i = 0; i < 10; i++) {
    ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g), t);
    ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, sizeof buf, &len),
                     SANSRTC_OK);
    t += 30 * MS;
  }
  /* After the 10th NACK the entry lives until its next slot, then goes. */
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g), t);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 0);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.nacks_sent, 10);
  ck_assert_uint_eq(st.given_up, 1);
  /* RTT clamps: 0 becomes 1 ms. */
  sansrtc_nack_generator_set_rtt(g, 0);
  sansrtc_nack_generator_set_rtt(NULL, 0);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* max_age (1 s): with a long RTT the entry expires before its retries. */
START_TEST(test_gen_max_age) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_set_rtt(g, 700 * MS);
  sansrtc_nack_generator_on_packet(g, 1, T0);
  sansrtc_nack_generator_on_packet(g, 3, T0);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 10 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g), T0 + 710 * MS);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 710 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(g),
                    T0 + SANSRTC_SECONDS);
  sansrtc_nack_generator_handle_timeout(g, T0 + SANSRTC_SECONDS - 1);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 1);
  sansrtc_nack_generator_handle_timeout(g, T0 + SANSRTC_SECONDS);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 0);
  /* Arriving now, it is only a duplicate. */
  sansrtc_nack_generator_on_packet(g, 2, T0 + SANSRTC_SECONDS);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.given_up, 1);
  ck_assert_uint_eq(st.recovered, 0);
  ck_assert_uint_eq(st.packets_duplicate, 1);
  sansrtc_nack_generator_handle_timeout(NULL, T0);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* Across the 16-bit wrap: 65534, 65535, 1 leaves 0 missing; then 65535
 * again is a duplicate, not a jump. */
START_TEST(test_gen_wrap) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_on_packet(g, 65534, T0);
  sansrtc_nack_generator_on_packet(g, 65535, T0);
  sansrtc_nack_generator_on_packet(g, 1, T0);
  sansrtc_nack_generator_on_packet(g, 65535, T0);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 10 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_OK);
  uint16_t lost[17];
  ck_assert_uint_eq(nacked(buf, len, lost, 17), 1);
  ck_assert_uint_eq(lost[0], 0);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.packets_duplicate, 1);
  ck_assert_uint_eq(st.resets, 0);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* Jumps beyond reset_jump (1000) either way restart tracking: no NACK. */
START_TEST(test_gen_reset) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_on_packet(g, 10, T0);
  sansrtc_nack_generator_on_packet(g, 12, T0);
  sansrtc_nack_generator_on_packet(g, 1013, T0); /* 1001 ahead */
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 0);
  sansrtc_nack_generator_on_packet(g, 2013, T0); /* exactly 1000: a gap */
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 999);
  sansrtc_nack_generator_on_packet(g, 1012, T0); /* 1001 behind */
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 0);
  sansrtc_nack_generator_on_packet(g, 1013, T0);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + SANSRTC_SECONDS, buf,
                                               sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.resets, 2);
  ck_assert_uint_eq(st.given_up, 1 + 999);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* The list is bounded: the oldest entries make room. */
START_TEST(test_gen_bounded) {
  sansrtc_nack_generator *g = new_gen(5);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_on_packet(g, 0, T0);
  sansrtc_nack_generator_on_packet(g, 9, T0); /* 1..8 missing */
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 5);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, T0 + 10 * MS, buf,
                                               sizeof buf, &len),
                   SANSRTC_OK);
  uint16_t lost[17];
  ck_assert_uint_eq(nacked(buf, len, lost, 17), 5);
  for (uint16_t i = 0; i < 5; i++) ck_assert_uint_eq(lost[i], 4 + i);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.given_up, 3);
  sansrtc_nack_generator_del(g);
}
END_TEST

/* Output sizing: each 4-byte pair covers 17 numbers; a short buffer gets
 * the oldest entries that fit and the rest follow in later packets. */
START_TEST(test_gen_sizes) {
  sansrtc_nack_generator *g = new_gen(1000);
  uint8_t buf[64];
  size_t len;
  sansrtc_nack_generator_on_packet(g, 0, T0);
  for (uint16_t q = 2; q <= 100; q += 2)
    sansrtc_nack_generator_on_packet(g, q, T0);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 50); /* odd 1..99 */
  sansrtc_tstamp t = T0 + 10 * MS;
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, 15, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, 16, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 16);
  uint16_t lost[64];
  ck_assert_uint_eq(nacked(buf, len, lost, 64), 9); /* 1,3,...,17 */
  ck_assert_uint_eq(lost[8], 17);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, 19, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(nacked(buf, len, lost, 64), 9); /* 19..35 */
  ck_assert_uint_eq(lost[0], 19);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 12 + 4 * 4);
  ck_assert_uint_eq(nacked(buf, len, lost, 64), 32); /* 37..99 */
  ck_assert_uint_eq(lost[31], 99);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_nack_generator_poll(NULL, t, buf, 64, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, NULL, 64, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_generator_poll(g, t, buf, 64, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_nack_generator_del(g);
}
END_TEST

START_TEST(test_gen_config) {
  sansrtc_nack_generator_config c;
  sansrtc_nack_generator_config_default(&c);
  ck_assert_uint_eq(c.max_missing, 1000);
  ck_assert_uint_eq(c.reorder_wait, 10 * MS);
  ck_assert_uint_eq(c.initial_rtt, 100 * MS);
  ck_assert_uint_eq(c.max_retries, 10);
  ck_assert_uint_eq(c.max_age, SANSRTC_SECONDS);
  ck_assert_uint_eq(c.reset_jump, 1000);
  sansrtc_nack_generator *g = (sansrtc_nack_generator *)&c;
  sansrtc_nack_generator_config bad = c;
  bad.max_missing = 0;
  ck_assert_int_eq(sansrtc_nack_generator_new(&g, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(g);
  bad = c;
  bad.max_retries = 0;
  ck_assert_int_eq(sansrtc_nack_generator_new(&g, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  bad = c;
  bad.reset_jump = 32768;
  ck_assert_int_eq(sansrtc_nack_generator_new(&g, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_generator_new(NULL, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_nack_generator_new(&g, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_nack_generator_on_packet(NULL, 1, T0);
  ck_assert_uint_eq(sansrtc_nack_generator_next_deadline(NULL),
                    SANSRTC_TSTAMP_NEVER);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(NULL), 0);
  sansrtc_nack_generator_get_stats(NULL, NULL);
  sansrtc_nack_generator_del(NULL);
  sansrtc_nack_sender_config_default(NULL);
  sansrtc_nack_generator_config_default(NULL);
}
END_TEST

/* Both halves: packets 0..99 sent, every 7th lost; NACKs go to the
 * sender, RTX comes back and is unwrapped; nothing stays missing. */
START_TEST(test_loop) {
  sansrtc_nack_sender *s = new_sender(1);
  sansrtc_nack_generator *g = new_gen(1000);
  sansrtc_rtx_config rtx = {RTX_SSRC, 1, {{96, 97}}};
  uint8_t pkt[128], rtcp[256];
  sansrtc_tstamp t = T0;
  for (uint16_t q = 0; q < 100; q++, t += MS) {
    size_t len = make_packet(pkt, sizeof pkt, q, 0);
    ck_assert_int_eq(sansrtc_nack_sender_on_sent(s, pkt, len, t), SANSRTC_OK);
    if (q % 7 != 3) sansrtc_nack_generator_on_packet(g, q, t);
  }
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 14);
  t += 10 * MS;
  size_t n;
  while (sansrtc_nack_generator_poll(g, t, rtcp, sizeof rtcp, &n) == SANSRTC_OK)
    ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(s, rtcp, n, t), SANSRTC_OK);
  size_t len;
  int resent = 0;
  while (sansrtc_nack_sender_poll(s, t, pkt, sizeof pkt, &len) == SANSRTC_OK) {
    ck_assert_int_eq(sansrtc_rtx_unwrap(&rtx, SSRC, pkt, &len), SANSRTC_OK);
    sansrtc_rtp_packet p;
    ck_assert_int_eq(sansrtc_rtp_parse(&p, pkt, len), SANSRTC_OK);
    ck_assert_uint_eq(p.sequence % 7, 3);
    ck_assert_mem_eq(p.payload.data, payload, sizeof payload);
    sansrtc_nack_generator_on_packet(g, p.sequence, t);
    resent++;
  }
  ck_assert_int_eq(resent, 14);
  ck_assert_uint_eq(sansrtc_nack_generator_missing(g), 0);
  sansrtc_nack_generator_stats st;
  sansrtc_nack_generator_get_stats(g, &st);
  ck_assert_uint_eq(st.recovered, 14);
  sansrtc_nack_sender_del(s);
  sansrtc_nack_generator_del(g);
}
END_TEST

Suite *nack_suite(void) {
  Suite *s = suite_create("nack");
  TCase *tc = tcase_create("nack");
  tcase_add_test(tc, test_rtx_form_exact);
  tcase_add_test(tc, test_rtx_unwrap_errors);
  tcase_add_test(tc, test_plain_resend);
  tcase_add_test(tc, test_resend_rate_limit);
  tcase_add_test(tc, test_history_limits);
  tcase_add_test(tc, test_sender_errors);
  tcase_add_test(tc, test_gen_gap_exact);
  tcase_add_test(tc, test_gen_reorder_not_nacked);
  tcase_add_test(tc, test_gen_retries);
  tcase_add_test(tc, test_gen_max_age);
  tcase_add_test(tc, test_gen_wrap);
  tcase_add_test(tc, test_gen_reset);
  tcase_add_test(tc, test_gen_bounded);
  tcase_add_test(tc, test_gen_sizes);
  tcase_add_test(tc, test_gen_config);
  tcase_add_test(tc, test_loop);
  suite_add_tcase(s, tc);
  return s;
}
