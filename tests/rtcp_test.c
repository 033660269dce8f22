/*
 * rtcp_test.c - RTCP: packets hand-computed from the RFC layouts (RFC 3550
 * 6.4-6.7, RFC 4585 6.2.1/6.3.1, RFC 5104 4.3.1, draft-alvestrand-rmcat-
 * remb, draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1), round
 * trips for every type, the compound builder, every truncation, lying
 * lengths and random bytes.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtcp.h>

#include "suites.h"
#include "test_env.h"

static uint32_t lcg_next(uint32_t *state) {
  *state = *state * 1103515245u + 12345u;
  return *state >> 8;
}

/* RFC 3550 6.4.2: RR, RC=1, length 7; one report block with fraction
 * 0x40, cumulative lost -1, highest seq 0x00010064, jitter 16. */
static const uint8_t rr_pkt[] = {
    0x81, 0xC9, 0x00, 0x07, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22,
    0x22, 0x40, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x64, 0x00, 0x00,
    0x00, 0x10, 0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x01, 0x00, 0x00};

/* RFC 3550 6.4.1: SR, RC=0, length 6. */
static const uint8_t sr_pkt[] = {0x80, 0xC8, 0x00, 0x06, 0x11, 0x11, 0x11,
                                 0x11, 0xE1, 0x23, 0x45, 0x67, 0x89, 0xAB,
                                 0xCD, 0xEF, 0x00, 0x00, 0x03, 0xE8, 0x00,
                                 0x00, 0x00, 0x0A, 0x00, 0x00, 0x04, 0x00};

/* RFC 3550 6.5: SDES, one chunk, CNAME "abc", null octet, pad. */
static const uint8_t sdes_pkt[] = {0x81, 0xCA, 0x00, 0x03, 0x11, 0x11,
                                   0x11, 0x11, 0x01, 0x03, 'a',  'b',
                                   'c',  0x00, 0x00, 0x00};

/* RFC 3550 6.6: BYE, SC=1, reason "bye". */
static const uint8_t bye_pkt[] = {0x81, 0xCB, 0x00, 0x02, 0x11, 0x11,
                                  0x11, 0x11, 0x03, 'b',  'y',  'e'};

/* RFC 3550 6.7: APP subtype 3, name "TEST", 4 bytes of data. */
static const uint8_t app_pkt[] = {0x83, 0xCC, 0x00, 0x03, 0x11, 0x11,
                                  0x11, 0x11, 'T',  'E',  'S',  'T',
                                  0x01, 0x02, 0x03, 0x04};

/* RFC 4585 6.2.1: lost {100, 101, 103, 116, 117, 200}: (100, bits 0, 2,
 * 15 = 0x8005), (117, 0), (200, 0). */
static const uint8_t nack_pkt[] = {
    0x81, 0xCD, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x64, 0x80, 0x05, 0x00, 0x75, 0x00, 0x00, 0x00, 0xC8, 0x00, 0x00};

/* RFC 4585 6.3.1: PLI, length 2. */
static const uint8_t pli_pkt[] = {0x81, 0xCE, 0x00, 0x02, 0x00, 0x00,
                                  0x00, 0x01, 0x00, 0x00, 0x00, 0x02};

/* RFC 5104 4.3.1: FIR, media SSRC 0, one entry (SSRC 2, seq 7). */
static const uint8_t fir_pkt[] = {0x84, 0xCE, 0x00, 0x04, 0x00, 0x00, 0x00,
                                  0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x02, 0x07, 0x00, 0x00, 0x00};

/* REMB 1,000,000 bps = 250000 * 2^2: exponent 2, mantissa 0x3D090. */
static const uint8_t remb_pkt[] = {
    0x8F, 0xCE, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    'R',  'E',  'M',  'B',  0x01, 0x0B, 0xD0, 0x90, 0x00, 0x00, 0x00, 0x02};

/* TWCC: base 10, 4 statuses, reference 15 (960 ms), fb count 1; statuses
 * small, lost, small, large in a 2-bit vector (0xD180); deltas 164, 2,
 * -6; two bytes of zero padding. */
static const uint8_t twcc_pkt[] = {0x8F, 0xCD, 0x00, 0x06, 0x00, 0x00, 0x00,
                                   0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x0A,
                                   0x00, 0x04, 0x00, 0x00, 0x0F, 0x01, 0xD1,
                                   0x80, 0xA4, 0x02, 0xFF, 0xFA, 0x00, 0x00};

/* XR with one (made-up) block. */
static const uint8_t xr_pkt[] = {0x80, 0xCF, 0x00, 0x02, 0x11, 0x11,
                                 0x11, 0x11, 0x04, 0x00, 0x00, 0x00};

typedef struct vector {
  const uint8_t *bytes;
  size_t len;
  sansrtc_rtcp_kind kind;
} vector;

#define VEC(a, k) \
  { a, sizeof a, k }
static const vector vectors[] = {
    VEC(rr_pkt, SANSRTC_RTCP_KIND_RR),
    VEC(sr_pkt, SANSRTC_RTCP_KIND_SR),
    VEC(sdes_pkt, SANSRTC_RTCP_KIND_SDES),
    VEC(bye_pkt, SANSRTC_RTCP_KIND_BYE),
    VEC(app_pkt, SANSRTC_RTCP_KIND_APP),
    VEC(nack_pkt, SANSRTC_RTCP_KIND_NACK),
    VEC(pli_pkt, SANSRTC_RTCP_KIND_PLI),
    VEC(fir_pkt, SANSRTC_RTCP_KIND_FIR),
    VEC(remb_pkt, SANSRTC_RTCP_KIND_REMB),
    VEC(twcc_pkt, SANSRTC_RTCP_KIND_TWCC),
    VEC(xr_pkt, SANSRTC_RTCP_KIND_XR),
};
#define NVEC (sizeof vectors / sizeof vectors[0])

static void one_packet(const uint8_t *p, size_t n, sansrtc_rtcp_header *h) {
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_iter_init(&it, p, n);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, h), 1);
  sansrtc_rtcp_header again;
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &again), 0);
  ck_assert_uint_eq(h->packet.len, n);
}

static int bytes_eq(sansrtc_rtcp_bytes b, const char *s) {
  return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

/* Parses a packet with every parser; returns how many accepted it. All
 * views must lie inside the packet. */
static int parse_all(const sansrtc_rtcp_header *h);

START_TEST(test_vectors_kind_and_parse) {
  for (size_t i = 0; i < NVEC; i++) {
    sansrtc_rtcp_header h;
    one_packet(vectors[i].bytes, vectors[i].len, &h);
    ck_assert_msg(sansrtc_rtcp_kind_of(&h) == vectors[i].kind, "vector %zu", i);
    ck_assert_int_eq(sansrtc_rtcp_validate(vectors[i].bytes, vectors[i].len),
                     SANSRTC_OK);
    /* Exactly the matching parser accepts (NACK and TWCC also satisfy the
     * generic feedback parser, as do PLI, FIR and REMB). */
    int fb = h.type == SANSRTC_RTCP_RTPFB || h.type == SANSRTC_RTCP_PSFB;
    ck_assert_int_eq(parse_all(&h), fb ? 2 : 1);
  }
}
END_TEST

START_TEST(test_rr_sr) {
  sansrtc_rtcp_header h;
  one_packet(rr_pkt, sizeof rr_pkt, &h);
  sansrtc_rtcp_rr rr;
  ck_assert_int_eq(sansrtc_rtcp_parse_rr(&h, &rr), SANSRTC_OK);
  ck_assert_uint_eq(rr.ssrc, 0x11111111u);
  ck_assert_uint_eq(rr.reports.count, 1);
  ck_assert_uint_eq(rr.extension.len, 0);
  sansrtc_rtcp_report r;
  ck_assert_int_eq(sansrtc_rtcp_report_get(&rr.reports, 0, &r), SANSRTC_OK);
  ck_assert_uint_eq(r.ssrc, 0x22222222u);
  ck_assert_uint_eq(r.fraction_lost, 0x40);
  ck_assert_int_eq(r.cumulative_lost, -1);
  ck_assert_uint_eq(r.highest_seq, 0x00010064u);
  ck_assert_uint_eq(r.jitter, 16);
  ck_assert_uint_eq(r.lsr, 0xAABBCCDDu);
  ck_assert_uint_eq(r.dlsr, 0x00010000u);
  ck_assert_int_eq(sansrtc_rtcp_report_get(&rr.reports, 1, &r),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_rtcp_sr sr;
  ck_assert_int_eq(sansrtc_rtcp_parse_sr(&h, &sr),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  one_packet(sr_pkt, sizeof sr_pkt, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_sr(&h, &sr), SANSRTC_OK);
  ck_assert_uint_eq(sr.ssrc, 0x11111111u);
  ck_assert(sr.ntp == 0xE123456789ABCDEFull);
  ck_assert_uint_eq(sr.rtp_timestamp, 1000);
  ck_assert_uint_eq(sr.packet_count, 10);
  ck_assert_uint_eq(sr.octet_count, 1024);
  ck_assert_uint_eq(sr.reports.count, 0);
  /* Writers reproduce both byte for byte. */
  uint8_t buf[64];
  size_t len;
  const sansrtc_rtcp_rr_desc rd = {0x11111111u, &r, 1};
  ck_assert_int_eq(sansrtc_rtcp_write_rr(buf, sizeof buf, &rd, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof rr_pkt);
  ck_assert_mem_eq(buf, rr_pkt, len);
  const sansrtc_rtcp_sr_desc sd = {
      0x11111111u, 0xE123456789ABCDEFull, 1000, 10, 1024, NULL, 0};
  ck_assert_int_eq(sansrtc_rtcp_write_sr(buf, sizeof buf, &sd, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof sr_pkt);
  ck_assert_mem_eq(buf, sr_pkt, len);
}
END_TEST

START_TEST(test_cumulative_lost_sign_and_clamp) {
  sansrtc_rtcp_report in = {1, 2, 0, 3, 4, 5, 6}, out;
  static const int32_t values[] = {0,         1,         -1,        0x7FFFFF,
                                   -0x800000, 0x1000000, -0x1000000};
  static const int32_t expect[] = {0,         1,        -1,       0x7FFFFF,
                                   -0x800000, 0x7FFFFF, -0x800000};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    uint8_t buf[32];
    size_t len;
    in.cumulative_lost = values[i];
    const sansrtc_rtcp_rr_desc rd = {9, &in, 1};
    ck_assert_int_eq(sansrtc_rtcp_write_rr(buf, sizeof buf, &rd, &len),
                     SANSRTC_OK);
    sansrtc_rtcp_header h;
    one_packet(buf, len, &h);
    sansrtc_rtcp_rr rr;
    ck_assert_int_eq(sansrtc_rtcp_parse_rr(&h, &rr), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_rtcp_report_get(&rr.reports, 0, &out), SANSRTC_OK);
    ck_assert_int_eq(out.cumulative_lost, expect[i]);
  }
}
END_TEST

START_TEST(test_sdes) {
  sansrtc_rtcp_header h;
  one_packet(sdes_pkt, sizeof sdes_pkt, &h);
  sansrtc_rtcp_sdes s;
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_OK);
  sansrtc_rtcp_bytes cname;
  ck_assert_int_eq(sansrtc_rtcp_sdes_cname(&s, 0x11111111u, &cname),
                   SANSRTC_OK);
  ck_assert(bytes_eq(cname, "abc"));
  ck_assert_int_eq(sansrtc_rtcp_sdes_cname(&s, 5, &cname),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(
      sansrtc_rtcp_sdes_find(&s, 0x11111111u, SANSRTC_RTCP_SDES_TOOL, &cname),
      SANSRTC_ERR_NOT_FOUND);
  uint8_t buf[128];
  size_t len;
  const sansrtc_rtcp_sdes_item item = {SANSRTC_RTCP_SDES_CNAME,
                                       (const uint8_t *)"abc", 3};
  const sansrtc_rtcp_sdes_chunk_desc chunk = {0x11111111u, &item, 1};
  const sansrtc_rtcp_sdes_desc d = {&chunk, 1};
  ck_assert_int_eq(sansrtc_rtcp_write_sdes(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof sdes_pkt);
  ck_assert_mem_eq(buf, sdes_pkt, len);
  /* Two chunks, the second with two items and one with none; items whose
   * length ends on a boundary still get a whole word of nulls. */
  const sansrtc_rtcp_sdes_item items[2] = {
      {SANSRTC_RTCP_SDES_CNAME, (const uint8_t *)"xy", 2},
      {SANSRTC_RTCP_SDES_TOOL, (const uint8_t *)"sansrtc", 7}};
  const sansrtc_rtcp_sdes_chunk_desc chunks[3] = {
      {1, items, 1}, {2, items, 2}, {3, NULL, 0}};
  const sansrtc_rtcp_sdes_desc d3 = {chunks, 3};
  ck_assert_int_eq(sansrtc_rtcp_write_sdes(buf, sizeof buf, &d3, &len),
                   SANSRTC_OK);
  /* 4 + (4 + 4 + 1 -> 12) + (4 + 4 + 9 + 1 -> 20) + (4 + 1 -> 8) */
  ck_assert_uint_eq(len, 44);
  ck_assert_mem_eq(buf + 4, "\x00\x00\x00\x01\x01\x02xy\x00\x00\x00\x00", 12);
  one_packet(buf, len, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_OK);
  ck_assert_uint_eq(s.chunk_count, 3);
  ck_assert_int_eq(
      sansrtc_rtcp_sdes_find(&s, 2, SANSRTC_RTCP_SDES_TOOL, &cname),
      SANSRTC_OK);
  ck_assert(bytes_eq(cname, "sansrtc"));
  ck_assert_int_eq(sansrtc_rtcp_sdes_cname(&s, 1, &cname), SANSRTC_OK);
  ck_assert(bytes_eq(cname, "xy"));
  size_t off = 0, n = 0;
  sansrtc_rtcp_sdes_chunk c;
  while (sansrtc_rtcp_sdes_next_chunk(&s, &off, &c) == 1) n++;
  ck_assert_uint_eq(n, 3);
  /* A chunk count that lies, a missing terminator. */
  uint8_t bad[sizeof sdes_pkt];
  memcpy(bad, sdes_pkt, sizeof bad);
  bad[0] = 0x82;
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_ERR_MALFORMED);
  memcpy(bad, sdes_pkt, sizeof bad);
  bad[9] = 6; /* item runs to the end: no null octet left */
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_ERR_MALFORMED);
  bad[9] = 7;
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_ERR_MALFORMED);
  memcpy(bad, sdes_pkt, sizeof bad);
  bad[0] = 0x80; /* zero chunks but a body */
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_ERR_MALFORMED);
}
END_TEST

START_TEST(test_bye_app_xr) {
  sansrtc_rtcp_header h;
  one_packet(bye_pkt, sizeof bye_pkt, &h);
  sansrtc_rtcp_bye b;
  ck_assert_int_eq(sansrtc_rtcp_parse_bye(&h, &b), SANSRTC_OK);
  ck_assert_uint_eq(b.ssrc_count, 1);
  ck_assert_uint_eq(sansrtc_rtcp_bye_ssrc(&b, 0), 0x11111111u);
  ck_assert_uint_eq(sansrtc_rtcp_bye_ssrc(&b, 1), 0);
  ck_assert_int_eq(b.has_reason, 1);
  ck_assert(bytes_eq(b.reason, "bye"));
  uint8_t buf[64];
  size_t len;
  const uint32_t ssrc = 0x11111111u;
  sansrtc_rtcp_bye_desc bd = {&ssrc, 1, (const uint8_t *)"bye", 3};
  ck_assert_int_eq(sansrtc_rtcp_write_bye(buf, sizeof buf, &bd, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof bye_pkt);
  ck_assert_mem_eq(buf, bye_pkt, len);
  bd.reason = NULL;
  bd.reason_len = 0;
  ck_assert_int_eq(sansrtc_rtcp_write_bye(buf, sizeof buf, &bd, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 8);
  one_packet(buf, len, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_bye(&h, &b), SANSRTC_OK);
  ck_assert_int_eq(b.has_reason, 0);
  /* Reason longer than the packet. */
  uint8_t bad[sizeof bye_pkt];
  memcpy(bad, bye_pkt, sizeof bad);
  bad[8] = 4;
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_bye(&h, &b), SANSRTC_ERR_MALFORMED);
  bad[0] = 0x83; /* SC=3 SSRCs need 12 bytes */
  bad[8] = 3;
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_bye(&h, &b), SANSRTC_ERR_MALFORMED);

  one_packet(app_pkt, sizeof app_pkt, &h);
  sansrtc_rtcp_app a;
  ck_assert_int_eq(sansrtc_rtcp_parse_app(&h, &a), SANSRTC_OK);
  ck_assert_uint_eq(a.subtype, 3);
  ck_assert_uint_eq(a.ssrc, 0x11111111u);
  ck_assert_mem_eq(a.name, "TEST", 4);
  ck_assert_uint_eq(a.data.len, 4);
  sansrtc_rtcp_app_desc ad = {
      3, 0x11111111u, {'T', 'E', 'S', 'T'}, app_pkt + 12, 4};
  ck_assert_int_eq(sansrtc_rtcp_write_app(buf, sizeof buf, &ad, &len),
                   SANSRTC_OK);
  ck_assert_mem_eq(buf, app_pkt, sizeof app_pkt);
  ad.len = 3;
  ck_assert_int_eq(sansrtc_rtcp_write_app(buf, sizeof buf, &ad, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);

  one_packet(xr_pkt, sizeof xr_pkt, &h);
  sansrtc_rtcp_xr x;
  ck_assert_int_eq(sansrtc_rtcp_parse_xr(&h, &x), SANSRTC_OK);
  ck_assert_uint_eq(x.ssrc, 0x11111111u);
  ck_assert_uint_eq(x.blocks.len, 4);
  sansrtc_rtcp_desc xd = {.kind = SANSRTC_RTCP_KIND_XR};
  xd.u.raw.body = xr_pkt + 4;
  xd.u.raw.len = 8;
  ck_assert_int_eq(sansrtc_rtcp_write(buf, sizeof buf, &xd, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof xr_pkt);
  ck_assert_mem_eq(buf, xr_pkt, len);
}
END_TEST

START_TEST(test_nack) {
  sansrtc_rtcp_header h;
  one_packet(nack_pkt, sizeof nack_pkt, &h);
  sansrtc_rtcp_nack n;
  ck_assert_int_eq(sansrtc_rtcp_parse_nack(&h, &n), SANSRTC_OK);
  ck_assert_uint_eq(n.sender_ssrc, 1);
  ck_assert_uint_eq(n.media_ssrc, 2);
  ck_assert_uint_eq(n.pair_count, 3);
  uint16_t lost[64];
  size_t count;
  ck_assert_int_eq(sansrtc_rtcp_nack_lost(&n, lost, 64, &count), SANSRTC_OK);
  static const uint16_t expect[] = {100, 101, 103, 116, 117, 200};
  ck_assert_uint_eq(count, 6);
  ck_assert_mem_eq(lost, expect, sizeof expect);
  ck_assert_int_eq(sansrtc_rtcp_nack_lost(&n, lost, 2, &count),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(count, 6);
  ck_assert_uint_eq(lost[1], 101);
  uint8_t buf[64];
  size_t len;
  sansrtc_rtcp_nack_desc d = {1, 2, expect, 6};
  ck_assert_int_eq(sansrtc_rtcp_write_nack(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof nack_pkt);
  ck_assert_mem_eq(buf, nack_pkt, len);
  /* Wrap-around: 65535, 0, 2 is one pair (65535, 0x0005). */
  static const uint16_t wrap[] = {65535, 0, 2, 2};
  d.lost = wrap;
  d.lost_count = 4;
  ck_assert_int_eq(sansrtc_rtcp_write_nack(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 16);
  ck_assert_mem_eq(buf + 12, "\xff\xff\x00\x05", 4);
  one_packet(buf, len, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_nack(&h, &n), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtcp_nack_lost(&n, lost, 64, &count), SANSRTC_OK);
  ck_assert_uint_eq(count, 3);
  ck_assert_uint_eq(lost[0], 65535);
  ck_assert_uint_eq(lost[1], 0);
  ck_assert_uint_eq(lost[2], 2);
  /* A NACK without pairs is malformed; an empty list cannot be written. */
  uint8_t empty[12];
  memcpy(empty, nack_pkt, 12);
  empty[3] = 2;
  one_packet(empty, 12, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_nack(&h, &n), SANSRTC_ERR_MALFORMED);
  d.lost_count = 0;
  ck_assert_int_eq(sansrtc_rtcp_write_nack(buf, sizeof buf, &d, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_pli_fir_remb) {
  sansrtc_rtcp_header h;
  uint8_t buf[64];
  size_t len;
  one_packet(pli_pkt, sizeof pli_pkt, &h);
  sansrtc_rtcp_pli p;
  ck_assert_int_eq(sansrtc_rtcp_parse_pli(&h, &p), SANSRTC_OK);
  ck_assert_uint_eq(p.sender_ssrc, 1);
  ck_assert_uint_eq(p.media_ssrc, 2);
  const sansrtc_rtcp_pli_desc pd = {1, 2};
  ck_assert_int_eq(sansrtc_rtcp_write_pli(buf, sizeof buf, &pd, &len),
                   SANSRTC_OK);
  ck_assert_mem_eq(buf, pli_pkt, sizeof pli_pkt);
  one_packet(fir_pkt, sizeof fir_pkt, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_pli(&h, &p),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtcp_fir f;
  ck_assert_int_eq(sansrtc_rtcp_parse_fir(&h, &f), SANSRTC_OK);
  ck_assert_uint_eq(f.entry_count, 1);
  sansrtc_rtcp_fir_entry e;
  ck_assert_int_eq(sansrtc_rtcp_fir_entry_get(&f, 0, &e), SANSRTC_OK);
  ck_assert_uint_eq(e.ssrc, 2);
  ck_assert_uint_eq(e.seq, 7);
  ck_assert_int_eq(sansrtc_rtcp_fir_entry_get(&f, 1, &e),
                   SANSRTC_ERR_NOT_FOUND);
  const sansrtc_rtcp_fir_desc fd = {1, &e, 1};
  ck_assert_int_eq(sansrtc_rtcp_write_fir(buf, sizeof buf, &fd, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof fir_pkt);
  ck_assert_mem_eq(buf, fir_pkt, len);
  one_packet(remb_pkt, sizeof remb_pkt, &h);
  sansrtc_rtcp_remb r;
  ck_assert_int_eq(sansrtc_rtcp_parse_remb(&h, &r), SANSRTC_OK);
  ck_assert_uint_eq(r.exponent, 2);
  ck_assert_uint_eq(r.mantissa, 250000);
  ck_assert(r.bitrate == 1000000);
  ck_assert_uint_eq(r.ssrc_count, 1);
  ck_assert_uint_eq(sansrtc_rtcp_remb_ssrc(&r, 0), 2);
  const uint32_t ssrc = 2;
  sansrtc_rtcp_remb_desc rd = {1, 1000000, &ssrc, 1};
  ck_assert_int_eq(sansrtc_rtcp_write_remb(buf, sizeof buf, &rd, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof remb_pkt);
  ck_assert_mem_eq(buf, remb_pkt, len);
  /* Exponent 63 saturates; a count that lies is malformed. */
  uint8_t big[sizeof remb_pkt];
  memcpy(big, remb_pkt, sizeof big);
  big[17] = 0xFF;
  one_packet(big, sizeof big, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_remb(&h, &r), SANSRTC_OK);
  ck_assert(r.bitrate == UINT64_MAX);
  big[16] = 2;
  ck_assert_int_eq(sansrtc_rtcp_parse_remb(&h, &r), SANSRTC_ERR_MALFORMED);
  big[16] = 1;
  big[12] = 'X';
  ck_assert_int_eq(sansrtc_rtcp_parse_remb(&h, &r), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_rtcp_kind_of(&h), SANSRTC_RTCP_KIND_UNKNOWN);
  /* Bit rates round down to 18 bits of mantissa. */
  rd.bitrate = UINT64_MAX;
  ck_assert_int_eq(sansrtc_rtcp_write_remb(buf, sizeof buf, &rd, &len),
                   SANSRTC_OK);
  one_packet(buf, len, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_remb(&h, &r), SANSRTC_OK);
  ck_assert_uint_eq(r.exponent, 46);
  ck_assert_uint_eq(r.mantissa, 0x3FFFF);
  /* PLI with FCI is malformed. */
  memcpy(buf, pli_pkt, 12);
  buf[3] = 3;
  memset(buf + 12, 0, 4);
  one_packet(buf, 16, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_pli(&h, &p), SANSRTC_ERR_MALFORMED);
}
END_TEST

static size_t twcc_collect(const uint8_t *pkt, size_t len,
                           sansrtc_rtcp_twcc *fb, sansrtc_rtcp_twcc_packet *out,
                           size_t cap) {
  sansrtc_rtcp_header h;
  one_packet(pkt, len, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, fb), SANSRTC_OK);
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_iter_init(&it, fb);
  size_t n = 0;
  int rc;
  while ((rc = sansrtc_rtcp_twcc_next(&it, &out[n < cap ? n : cap - 1])) == 1)
    n++;
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(n, fb->status_count);
  return n;
}

START_TEST(test_twcc_vector) {
  sansrtc_rtcp_twcc fb;
  sansrtc_rtcp_twcc_packet p[8];
  ck_assert_uint_eq(twcc_collect(twcc_pkt, sizeof twcc_pkt, &fb, p, 8), 4);
  ck_assert_uint_eq(fb.base_seq, 10);
  ck_assert_int_eq(fb.reference_time, 15);
  ck_assert_uint_eq(fb.fb_count, 1);
  ck_assert_uint_eq(p[0].seq, 10);
  ck_assert_uint_eq(p[0].status, SANSRTC_TWCC_SMALL_DELTA);
  ck_assert_int_eq(p[0].delta, 164);
  ck_assert(p[0].arrival_us == 1001000);
  ck_assert_uint_eq(p[1].status, SANSRTC_TWCC_NOT_RECEIVED);
  ck_assert_int_eq(p[2].delta, 2);
  ck_assert(p[2].arrival_us == 1001500);
  ck_assert_uint_eq(p[3].seq, 13);
  ck_assert_uint_eq(p[3].status, SANSRTC_TWCC_LARGE_DELTA);
  ck_assert_int_eq(p[3].delta, -6);
  ck_assert(p[3].arrival_us == 1000000);
  /* The writer produces the same bytes. */
  const sansrtc_rtcp_twcc_input in[] = {{10, 1, 1001000000u},
                                        {11, 0, 0},
                                        {12, 1, 1001500000u},
                                        {13, 1, 1000000000u}};
  const sansrtc_rtcp_twcc_desc d = {1, 2, 1, in, 4};
  uint8_t buf[64];
  size_t len, size;
  ck_assert_int_eq(sansrtc_rtcp_twcc_size(&d, &size), SANSRTC_OK);
  ck_assert_uint_eq(size, sizeof twcc_pkt);
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof twcc_pkt);
  ck_assert_mem_eq(buf, twcc_pkt, len);
  /* The lost packet may be left out of the input too. */
  const sansrtc_rtcp_twcc_input gap[] = {
      {10, 1, 1001000000u}, {12, 1, 1001500000u}, {13, 1, 1000000000u}};
  const sansrtc_rtcp_twcc_desc dg = {1, 2, 1, gap, 3};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &dg, &len),
                   SANSRTC_OK);
  ck_assert_mem_eq(buf, twcc_pkt, sizeof twcc_pkt);
}
END_TEST

START_TEST(test_twcc_chunks) {
  uint8_t buf[256];
  size_t len;
  /* 20 received one tick apart from a 64 ms boundary: one run-length
   * chunk (symbol 1, run 20 = 0x2014) and 20 one-byte deltas. */
  sansrtc_rtcp_twcc_input in[20];
  for (unsigned i = 0; i < 20; i++) {
    in[i].seq = (uint16_t)(65530u + i); /* wraps through 0 */
    in[i].received = 1;
    in[i].arrival = 64 * SANSRTC_MILLISECONDS + i * 250 * SANSRTC_MICROSECONDS;
  }
  sansrtc_rtcp_twcc_desc d = {1, 2, 0, in, 20};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 44);
  ck_assert_mem_eq(buf + 12, "\xff\xfa\x00\x14\x00\x00\x01\x00\x20\x14\x00\x01",
                   12);
  sansrtc_rtcp_twcc fb;
  sansrtc_rtcp_twcc_packet p[32];
  ck_assert_uint_eq(twcc_collect(buf, len, &fb, p, 32), 20);
  for (unsigned i = 0; i < 20; i++) {
    ck_assert_uint_eq(p[i].seq, (uint16_t)(65530u + i));
    ck_assert(p[i].arrival_us == 64000 + 250 * (int64_t)i);
  }
  /* Received, 999 lost (left out), received 100 ms later: a 1-bit vector
   * (0xA000), a run of 986 lost (0x03DA), a run of 1 large (0x4001). */
  const sansrtc_rtcp_twcc_input sparse[2] = {
      {0, 1, 64 * SANSRTC_MILLISECONDS}, {1000, 1, 164 * SANSRTC_MILLISECONDS}};
  sansrtc_rtcp_twcc_desc ds = {1, 2, 7, sparse, 2};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &ds, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 32);
  ck_assert_mem_eq(buf + 12,
                   "\x00\x00\x03\xe9\x00\x00\x01\x07\xa0\x00\x03\xda\x40\x01"
                   "\x00\x01\x90\x00\x00\x00",
                   20);
  ck_assert_uint_eq(twcc_collect(buf, len, &fb, p, 32), 1001);
  /* Nothing received: runs of "not received", reference 0. */
  const sansrtc_rtcp_twcc_input none[2] = {{5, 0, 0}, {9, 0, 0}};
  sansrtc_rtcp_twcc_desc dn = {1, 2, 0, none, 2};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &dn, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 24);
  ck_assert_mem_eq(buf + 20, "\x00\x05\x00\x00", 4);
  /* A delta beyond 16 bits cannot be written; fit stops before it. */
  const sansrtc_rtcp_twcc_input far[3] = {{1, 1, SANSRTC_SECONDS},
                                          {2, 1, SANSRTC_SECONDS},
                                          {3, 1, 10 * SANSRTC_SECONDS}};
  sansrtc_rtcp_twcc_desc df = {1, 2, 0, far, 3};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &df, &len),
                   SANSRTC_ERR_LIMIT);
  size_t count;
  ck_assert_int_eq(sansrtc_rtcp_twcc_fit(&df, sizeof buf, &count), SANSRTC_OK);
  ck_assert_uint_eq(count, 2);
  /* Sequence numbers that do not ascend are refused. */
  const sansrtc_rtcp_twcc_input back[2] = {{5, 0, 0}, {4, 0, 0}};
  sansrtc_rtcp_twcc_desc db = {1, 2, 0, back, 2};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &db, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

/* The chunk choice at its thresholds: a run of 14 one-bit statuses is a
 * run-length chunk, a run of 7 two-bit statuses too. */
START_TEST(test_twcc_chunk_thresholds) {
  uint8_t buf[128];
  size_t len;
  sansrtc_rtcp_twcc_input in[15];
  sansrtc_tstamp t = 64 * SANSRTC_MILLISECONDS;
  for (unsigned i = 0; i < 15; i++) {
    in[i].seq = (uint16_t)i;
    in[i].received = 1;
    in[i].arrival = t;
    t += i < 13 ? 250 * SANSRTC_MICROSECONDS : 100 * SANSRTC_MILLISECONDS;
  }
  /* Statuses 1 x 14 then 2: chunks 0x200E, 0x4001; deltas 0, 1 x 13,
   * 400. */
  sansrtc_rtcp_twcc_desc d = {1, 2, 0, in, 15};
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 40);
  ck_assert_mem_eq(buf + 20, "\x20\x0e\x40\x01\x00\x01", 6);
  ck_assert_mem_eq(buf + 36, "\x01\x01\x01\x90", 4);
  /* Statuses 1, 2 x 13, 1: a 2-bit vector (1 and six 2s, 0xDAAA), a run
   * of seven 2s (0x4007), a run of one 1 (0x2001). */
  t = 64 * SANSRTC_MILLISECONDS;
  for (unsigned i = 0; i < 15; i++) {
    in[i].arrival = t;
    t += i < 13 ? 100 * SANSRTC_MILLISECONDS : 250 * SANSRTC_MICROSECONDS;
  }
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 56);
  ck_assert_mem_eq(buf + 20, "\xda\xaa\x40\x07\x20\x01\x00\x01\x90", 9);
  ck_assert_mem_eq(buf + 51, "\x01\x90\x01\x00\x00", 5);
  sansrtc_rtcp_twcc fb;
  sansrtc_rtcp_twcc_packet p[16];
  ck_assert_uint_eq(twcc_collect(buf, len, &fb, p, 16), 15);
  ck_assert_int_eq(p[13].delta, 400);
  ck_assert_int_eq(p[14].delta, 1);
}
END_TEST

/* Regression (found by fuzz_twcc): a delta that does not fit 16 bits
 * right after a large delta, within the 7 statuses of a 2-bit vector,
 * was encoded as symbol bits 0xFFFF instead of giving SANSRTC_ERR_LIMIT.
 * Statuses 216..222: 216 large (185 ms - 32 ms = 612 ticks), 217..221
 * lost, 222 at 49.783 s (198392 ticks later). */
START_TEST(test_twcc_limit_inside_vector) {
  static const sansrtc_rtcp_twcc_input in[] = {
      {98, 0, 0},
      {149, 1, 0},
      {164, 1, 0},
      {192, 1, 32 * SANSRTC_MILLISECONDS},
      {216, 1, 185 * SANSRTC_MILLISECONDS},
      {222, 1, 49783 * SANSRTC_MILLISECONDS}};
  sansrtc_rtcp_twcc_desc d = {1, 2, 0, in, 6};
  size_t size, count, len;
  uint8_t buf[256];
  ck_assert_int_eq(sansrtc_rtcp_twcc_size(&d, &size), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_rtcp_twcc_fit(&d, sizeof buf, &count), SANSRTC_OK);
  ck_assert_uint_eq(count, 5);
  d.packet_count = count;
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  sansrtc_rtcp_twcc fb;
  sansrtc_rtcp_twcc_packet p[128];
  ck_assert_uint_eq(twcc_collect(buf, len, &fb, p, 128), 119);
  ck_assert_uint_eq(p[118].status, SANSRTC_TWCC_LARGE_DELTA);
  ck_assert_int_eq(p[118].arrival_us, 185000);
}
END_TEST

START_TEST(test_twcc_fit_mtu) {
  /* 400 packets, every fifth lost, deltas alternating about +76 ms and
   * -74 ms (large): 2-bit vectors. */
  static sansrtc_rtcp_twcc_input in[400];
  for (unsigned i = 0; i < 400; i++) {
    in[i].seq = (uint16_t)i;
    in[i].received = (i % 5) != 3;
    in[i].arrival =
        SANSRTC_SECONDS + (i * 40 + (i % 2) * 3000) * SANSRTC_MICROSECONDS * 25;
  }
  sansrtc_rtcp_twcc_desc d = {1, 2, 0, in, 400};
  uint8_t buf[1200];
  size_t done = 0, rounds = 0;
  while (done < 400) {
    sansrtc_rtcp_twcc_desc part = d;
    part.packets = in + done;
    part.packet_count = 400 - done;
    size_t count, len;
    ck_assert_int_eq(sansrtc_rtcp_twcc_fit(&part, 300, &count), SANSRTC_OK);
    part.packet_count = count;
    ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, 300, &part, &len),
                     SANSRTC_OK);
    ck_assert_uint_le(len, 300);
    /* One more would not have fit. */
    if (done + count < 400) {
      part.packet_count = count + 1;
      size_t size;
      ck_assert_int_eq(sansrtc_rtcp_twcc_size(&part, &size), SANSRTC_OK);
      ck_assert_uint_gt(size, 300);
    }
    sansrtc_rtcp_twcc fb;
    static sansrtc_rtcp_twcc_packet p[400];
    size_t n = twcc_collect(buf, len, &fb, p, 400);
    ck_assert_uint_eq(n, count);
    for (size_t i = 0; i < n; i++) {
      ck_assert_uint_eq(p[i].status != 0, in[done + i].received);
      ck_assert_uint_eq(p[i].seq, in[done + i].seq);
    }
    done += count;
    rounds++;
  }
  ck_assert_uint_gt(rounds, 1);
  size_t count;
  ck_assert_int_eq(sansrtc_rtcp_twcc_fit(&d, 20, &count),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(test_twcc_hostile) {
  sansrtc_rtcp_header h;
  sansrtc_rtcp_twcc fb;
  uint8_t bad[sizeof twcc_pkt];
  /* More statuses than the chunk gives and no more chunk bytes (the
   * deltas are read as chunks: 0xA402 a 1-bit vector, 0xFFFA a 2-bit
   * vector with reserved symbols). */
  memcpy(bad, twcc_pkt, sizeof bad);
  bad[15] = 30;
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_ERR_MALFORMED);
  bad[15] = 200;
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_ERR_MALFORMED);
  bad[14] = 0xFF;
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_ERR_MALFORMED);
  /* A reserved symbol inside the status count. */
  memcpy(bad, twcc_pkt, sizeof bad);
  bad[21] = 0xC0; /* 4th symbol 3 */
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_ERR_MALFORMED);
  /* Deltas cut off: the packet ends after the first delta byte. */
  memcpy(bad, twcc_pkt, sizeof bad);
  bad[3] = 5;
  one_packet(bad, 24, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_ERR_MALFORMED);
  /* A run-length chunk covering more than the count: extra ignored. */
  memcpy(bad, twcc_pkt, sizeof bad);
  bad[20] = 0x20;
  bad[21] = 0x09; /* 9 received, small */
  bad[15] = 3;
  one_packet(bad, sizeof bad, &h);
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_OK);
  ck_assert_uint_eq(fb.deltas.len, 3);
  /* A status count of zero is an empty report. */
  bad[15] = 0;
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_OK);
  ck_assert_uint_eq(fb.chunks.len, 0);
  /* Run-length chunks of length 0 are skipped by the iterator. */
  memcpy(bad, twcc_pkt, sizeof bad);
  bad[15] = 1;
  bad[20] = 0x00;
  bad[21] = 0x00;
  bad[22] = 0x20;
  bad[23] = 0x01;
  bad[24] = 0x05;
  one_packet(bad, sizeof bad, &h);
  sansrtc_rtcp_twcc_packet p[2];
  ck_assert_uint_eq(twcc_collect(bad, sizeof bad, &fb, p, 2), 1);
  ck_assert_int_eq(p[0].delta, 5);
  /* The iterator refuses views that lie. */
  sansrtc_rtcp_twcc lie = fb;
  lie.deltas.len = 0;
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_iter_init(&it, &lie);
  ck_assert_int_eq(sansrtc_rtcp_twcc_next(&it, p), SANSRTC_ERR_MALFORMED);
  lie = fb;
  lie.chunks.len = 1;
  sansrtc_rtcp_twcc_iter_init(&it, &lie);
  ck_assert_int_eq(sansrtc_rtcp_twcc_next(&it, p), SANSRTC_ERR_MALFORMED);
}
END_TEST

START_TEST(test_compound_and_padding) {
  /* SR + SDES + NACK + TWCC with P=1 and 4 padding bytes on the last. */
  uint8_t buf[256];
  size_t off = 0;
  memcpy(buf + off, sr_pkt, sizeof sr_pkt);
  off += sizeof sr_pkt;
  memcpy(buf + off, sdes_pkt, sizeof sdes_pkt);
  off += sizeof sdes_pkt;
  memcpy(buf + off, nack_pkt, sizeof nack_pkt);
  off += sizeof nack_pkt;
  size_t last = off;
  memcpy(buf + off, twcc_pkt, sizeof twcc_pkt);
  off += sizeof twcc_pkt;
  memcpy(buf + off, "\x00\x00\x00\x04", 4);
  off += 4;
  buf[last] |= 0x20;
  buf[last + 3] = 7;
  ck_assert_int_eq(sansrtc_rtcp_validate(buf, off), SANSRTC_OK);
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_iter_init(&it, buf, off);
  sansrtc_rtcp_header h;
  static const sansrtc_rtcp_kind kinds[] = {
      SANSRTC_RTCP_KIND_SR, SANSRTC_RTCP_KIND_SDES, SANSRTC_RTCP_KIND_NACK,
      SANSRTC_RTCP_KIND_TWCC};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 1);
    ck_assert_int_eq(sansrtc_rtcp_kind_of(&h), kinds[i]);
  }
  ck_assert_uint_eq(h.padding, 1);
  ck_assert_uint_eq(h.body.len, sizeof twcc_pkt - 4);
  sansrtc_rtcp_twcc fb;
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 0);
  /* Padding count 0, or larger than the body. */
  buf[off - 1] = 0;
  ck_assert_int_eq(sansrtc_rtcp_validate(buf, off), SANSRTC_ERR_MALFORMED);
  buf[off - 1] = 29;
  ck_assert_int_eq(sansrtc_rtcp_validate(buf, off), SANSRTC_ERR_MALFORMED);
  buf[off - 1] = 28; /* the whole body: allowed, the parser then refuses */
  ck_assert_int_eq(sansrtc_rtcp_validate(buf, off), SANSRTC_OK);
  /* Version 1 in the middle, and the error sticks. */
  buf[off - 1] = 4;
  buf[sizeof sr_pkt] = 0x41;
  sansrtc_rtcp_iter_init(&it, buf, off);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 1);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), SANSRTC_ERR_MALFORMED);
  /* Reduced-size RTCP: a lone PLI is a valid datagram; empty is not. */
  ck_assert_int_eq(sansrtc_rtcp_validate(pli_pkt, sizeof pli_pkt), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtcp_validate(pli_pkt, 0), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_rtcp_validate(NULL, 4), SANSRTC_ERR_MALFORMED);
}
END_TEST

START_TEST(test_compound_builder) {
  sansrtc_rtcp_report rep[2] = {{7, 1, -5, 100, 3, 4, 5},
                                {8, 2, 6, 200, 3, 4, 5}};
  const sansrtc_rtcp_sdes_item cname = {SANSRTC_RTCP_SDES_CNAME,
                                        (const uint8_t *)"user@host", 9};
  const sansrtc_rtcp_sdes_chunk_desc chunk = {1, &cname, 1};
  static const uint16_t lost[] = {1, 2, 3, 50};
  sansrtc_rtcp_desc pkts[4];
  memset(pkts, 0, sizeof pkts);
  pkts[0].kind = SANSRTC_RTCP_KIND_RR;
  pkts[0].u.rr = (sansrtc_rtcp_rr_desc){1, rep, 2};
  pkts[1].kind = SANSRTC_RTCP_KIND_SDES;
  pkts[1].u.sdes = (sansrtc_rtcp_sdes_desc){&chunk, 1};
  pkts[2].kind = SANSRTC_RTCP_KIND_NACK;
  pkts[2].u.nack = (sansrtc_rtcp_nack_desc){1, 7, lost, 4};
  pkts[3].kind = SANSRTC_RTCP_KIND_PLI;
  pkts[3].u.pli = (sansrtc_rtcp_pli_desc){1, 7};
  /* Sizes: RR 56, SDES 20, NACK 20, PLI 12 = 108. */
  uint8_t buf[200];
  size_t written, len;
  ck_assert_int_eq(
      sansrtc_rtcp_write_compound(buf, sizeof buf, pkts, 4, &written, &len),
      SANSRTC_OK);
  ck_assert_uint_eq(written, 4);
  ck_assert_uint_eq(len, 108);
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_iter_init(&it, buf, len);
  sansrtc_rtcp_header h;
  size_t n = 0;
  while (sansrtc_rtcp_iter_next(&it, &h) == 1) {
    ck_assert_int_eq(parse_all(&h) > 0, 1);
    n++;
  }
  ck_assert_uint_eq(n, 4);
  /* An MTU of 100 takes three, then the rest goes in a second datagram. */
  ck_assert_int_eq(
      sansrtc_rtcp_write_compound(buf, 100, pkts, 4, &written, &len),
      SANSRTC_OK);
  ck_assert_uint_eq(written, 3);
  ck_assert_uint_eq(len, 96);
  ck_assert_int_eq(sansrtc_rtcp_write_compound(buf, 100, pkts + written,
                                               4 - written, &written, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(written, 1);
  ck_assert_uint_eq(len, 12);
  /* The first packet alone does not fit. */
  ck_assert_int_eq(
      sansrtc_rtcp_write_compound(buf, 55, pkts, 4, &written, &len),
      SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(written, 0);
  /* A bad packet stops the build and says which. */
  pkts[2].u.nack.lost_count = 0;
  ck_assert_int_eq(
      sansrtc_rtcp_write_compound(buf, sizeof buf, pkts, 4, &written, &len),
      SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(written, 2);
}
END_TEST

/* Every writer at every capacity below its size says BUFFER_TOO_SMALL. */
START_TEST(test_writers_every_capacity) {
  static const uint16_t lost[] = {9};
  const sansrtc_rtcp_twcc_input tw[2] = {{1, 1, 0}, {2, 1, 1000000}};
  const uint32_t ssrcs[3] = {1, 2, 3};
  const sansrtc_rtcp_fir_entry fe = {5, 6};
  sansrtc_rtcp_report rep = {1, 2, 3, 4, 5, 6, 7};
  sansrtc_rtcp_desc d[10];
  memset(d, 0, sizeof d);
  d[0].kind = SANSRTC_RTCP_KIND_SR;
  d[0].u.sr = (sansrtc_rtcp_sr_desc){1, 2, 3, 4, 5, &rep, 1};
  d[1].kind = SANSRTC_RTCP_KIND_RR;
  d[1].u.rr = (sansrtc_rtcp_rr_desc){1, &rep, 1};
  d[2].kind = SANSRTC_RTCP_KIND_BYE;
  d[2].u.bye = (sansrtc_rtcp_bye_desc){ssrcs, 3, (const uint8_t *)"x", 1};
  d[3].kind = SANSRTC_RTCP_KIND_APP;
  d[3].u.app = (sansrtc_rtcp_app_desc){1, 2, {'a', 'b', 'c', 'd'}, NULL, 0};
  d[4].kind = SANSRTC_RTCP_KIND_NACK;
  d[4].u.nack = (sansrtc_rtcp_nack_desc){1, 2, lost, 1};
  d[5].kind = SANSRTC_RTCP_KIND_PLI;
  d[6].kind = SANSRTC_RTCP_KIND_FIR;
  d[6].u.fir = (sansrtc_rtcp_fir_desc){1, &fe, 1};
  d[7].kind = SANSRTC_RTCP_KIND_REMB;
  d[7].u.remb = (sansrtc_rtcp_remb_desc){1, 12345, ssrcs, 3};
  d[8].kind = SANSRTC_RTCP_KIND_TWCC;
  d[8].u.twcc = (sansrtc_rtcp_twcc_desc){1, 2, 3, tw, 2};
  d[9].kind = SANSRTC_RTCP_KIND_UNKNOWN;
  d[9].u.raw = (sansrtc_rtcp_raw_desc){210, 1, (const uint8_t *)"abcd", 4};
  for (size_t k = 0; k < 10; k++) {
    uint8_t full[128];
    size_t size;
    ck_assert_int_eq(sansrtc_rtcp_write(full, sizeof full, &d[k], &size),
                     SANSRTC_OK);
    for (size_t cap = 0; cap < size; cap++) {
      uint8_t *b = malloc(cap > 0 ? cap : 1);
      ck_assert_ptr_nonnull(b);
      size_t len = 99;
      ck_assert_int_eq(sansrtc_rtcp_write(b, cap, &d[k], &len),
                       SANSRTC_ERR_BUFFER_TOO_SMALL);
      ck_assert_uint_eq(len, 0);
      free(b);
    }
    sansrtc_rtcp_header h;
    one_packet(full, size, &h);
    ck_assert_int_eq(sansrtc_rtcp_kind_of(&h), d[k].kind);
    if (d[k].kind != SANSRTC_RTCP_KIND_UNKNOWN)
      ck_assert_int_gt(parse_all(&h), 0);
  }
}
END_TEST

START_TEST(test_writer_arguments) {
  uint8_t buf[64];
  size_t len;
  sansrtc_rtcp_report rep[32];
  memset(rep, 0, sizeof rep);
  sansrtc_rtcp_rr_desc rr = {1, rep, 32};
  ck_assert_int_eq(sansrtc_rtcp_write_rr(buf, sizeof buf, &rr, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  rr.report_count = 1;
  rr.reports = NULL;
  ck_assert_int_eq(sansrtc_rtcp_write_rr(buf, sizeof buf, &rr, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtcp_write_rr(NULL, 64, &rr, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  const sansrtc_rtcp_sdes_item zero = {0, (const uint8_t *)"a", 1};
  const sansrtc_rtcp_sdes_chunk_desc c = {1, &zero, 1};
  const sansrtc_rtcp_sdes_desc sd = {&c, 1};
  ck_assert_int_eq(sansrtc_rtcp_write_sdes(buf, sizeof buf, &sd, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtcp_bye_desc bd = {NULL, 1, NULL, 0};
  ck_assert_int_eq(sansrtc_rtcp_write_bye(buf, sizeof buf, &bd, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtcp_fir_desc fd = {1, NULL, 0};
  ck_assert_int_eq(sansrtc_rtcp_write_fir(buf, sizeof buf, &fd, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtcp_raw_desc raw = {210, 32, NULL, 0};
  ck_assert_int_eq(sansrtc_rtcp_write_raw(buf, sizeof buf, &raw, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtcp_desc bad = {.kind = (sansrtc_rtcp_kind)99};
  ck_assert_int_eq(sansrtc_rtcp_write(buf, sizeof buf, &bad, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_rtcp_header h;
  memset(&h, 0, sizeof h);
  sansrtc_rtcp_sr sr;
  ck_assert_int_eq(sansrtc_rtcp_parse_sr(NULL, &sr),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtcp_iter_next(NULL, &h),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

/* Random descriptions of every kind: write, parse, compare. */
static void roundtrip_reports(uint32_t *st) {
  sansrtc_rtcp_report rep[31], got;
  size_t n = lcg_next(st) % 32;
  for (size_t i = 0; i < n; i++) {
    rep[i] =
        (sansrtc_rtcp_report){lcg_next(st),
                              (uint8_t)lcg_next(st),
                              (int32_t)(lcg_next(st) & 0xFFFFFF) - 0x800000,
                              lcg_next(st),
                              lcg_next(st),
                              lcg_next(st),
                              lcg_next(st)};
  }
  uint8_t buf[1024];
  size_t len;
  sansrtc_rtcp_sr_desc sd = {lcg_next(st),
                             (uint64_t)lcg_next(st) << 40 | lcg_next(st),
                             lcg_next(st),
                             lcg_next(st),
                             lcg_next(st),
                             rep,
                             n};
  ck_assert_int_eq(sansrtc_rtcp_write_sr(buf, sizeof buf, &sd, &len),
                   SANSRTC_OK);
  sansrtc_rtcp_header h;
  one_packet(buf, len, &h);
  sansrtc_rtcp_sr sr;
  ck_assert_int_eq(sansrtc_rtcp_parse_sr(&h, &sr), SANSRTC_OK);
  ck_assert(sr.ntp == sd.ntp && sr.ssrc == sd.ssrc &&
            sr.rtp_timestamp == sd.rtp_timestamp &&
            sr.packet_count == sd.packet_count &&
            sr.octet_count == sd.octet_count);
  ck_assert_uint_eq(sr.reports.count, n);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(sansrtc_rtcp_report_get(&sr.reports, i, &got), SANSRTC_OK);
    ck_assert(
        got.ssrc == rep[i].ssrc && got.fraction_lost == rep[i].fraction_lost &&
        got.cumulative_lost == rep[i].cumulative_lost &&
        got.highest_seq == rep[i].highest_seq && got.jitter == rep[i].jitter &&
        got.lsr == rep[i].lsr && got.dlsr == rep[i].dlsr);
  }
}

static void roundtrip_nack(uint32_t *st) {
  uint16_t lost[100], got[100 * 17];
  size_t n = 1 + lcg_next(st) % 100;
  uint16_t s = (uint16_t)lcg_next(st);
  for (size_t i = 0; i < n; i++) {
    lost[i] = s;
    s = (uint16_t)(s + 1 + lcg_next(st) % 20);
  }
  uint8_t buf[1024];
  size_t len, count;
  sansrtc_rtcp_nack_desc d = {1, 2, lost, n};
  ck_assert_int_eq(sansrtc_rtcp_write_nack(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  sansrtc_rtcp_header h;
  one_packet(buf, len, &h);
  sansrtc_rtcp_nack nk;
  ck_assert_int_eq(sansrtc_rtcp_parse_nack(&h, &nk), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtcp_nack_lost(&nk, got, 100 * 17, &count),
                   SANSRTC_OK);
  ck_assert_uint_eq(count, n);
  ck_assert_mem_eq(got, lost, n * sizeof lost[0]);
}

static void roundtrip_twcc(uint32_t *st) {
  sansrtc_rtcp_twcc_input in[300];
  size_t n = 1 + lcg_next(st) % 300;
  uint16_t s = (uint16_t)lcg_next(st);
  sansrtc_tstamp t = (sansrtc_tstamp)lcg_next(st) * SANSRTC_MICROSECONDS;
  unsigned loss = lcg_next(st) % 4, jump = lcg_next(st) % 3;
  for (size_t i = 0; i < n; i++) {
    in[i].seq = s;
    in[i].received = lcg_next(st) % 4 >= loss;
    t += (lcg_next(st) % (jump == 0   ? 2000
                          : jump == 1 ? 80000
                                      : 200)) *
         SANSRTC_MICROSECONDS;
    if (lcg_next(st) % 8 == 0 && t > 5 * SANSRTC_MILLISECONDS)
      t -= 5 * SANSRTC_MILLISECONDS; /* reordering: negative deltas */
    in[i].arrival = t;
    s = (uint16_t)(s + 1 + (lcg_next(st) % 6 == 0 ? lcg_next(st) % 40 : 0));
  }
  sansrtc_rtcp_twcc_desc d = {1, 2, (uint8_t)lcg_next(st), in, n};
  size_t count;
  ck_assert_int_eq(sansrtc_rtcp_twcc_fit(&d, 1200, &count), SANSRTC_OK);
  d.packet_count = count;
  uint8_t buf[1200];
  size_t len;
  ck_assert_int_eq(sansrtc_rtcp_write_twcc(buf, sizeof buf, &d, &len),
                   SANSRTC_OK);
  sansrtc_rtcp_header h;
  one_packet(buf, len, &h);
  sansrtc_rtcp_twcc fb;
  ck_assert_int_eq(sansrtc_rtcp_parse_twcc(&h, &fb), SANSRTC_OK);
  ck_assert_uint_eq(fb.base_seq, in[0].seq);
  ck_assert_uint_eq(fb.fb_count, d.fb_count);
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_iter_init(&it, &fb);
  sansrtc_rtcp_twcc_packet p;
  size_t k = 0;
  int64_t offset = 0, have = 0;
  while (sansrtc_rtcp_twcc_next(&it, &p) == 1) {
    if (k < count && p.seq == in[k].seq) {
      ck_assert_uint_eq(p.status != 0, in[k].received);
      if (in[k].received) {
        /* Arrival times agree with the input's 250 us grid up to a
         * constant (the reference time is taken modulo 2^24). */
        int64_t grid = (int64_t)(in[k].arrival / 250000u) * 250;
        if (!have) offset = grid - p.arrival_us, have = 1;
        ck_assert(grid - p.arrival_us == offset);
      }
      k++;
    } else {
      ck_assert_uint_eq(p.status, SANSRTC_TWCC_NOT_RECEIVED);
    }
  }
  ck_assert_uint_eq(k, count);
}

static void roundtrip_misc(uint32_t *st) {
  static uint8_t buf[8192], text[8][255];
  memset(text, 0x5A, sizeof text);
  sansrtc_rtcp_sdes_item items[8];
  size_t ni = lcg_next(st) % 8;
  for (size_t i = 0; i < ni; i++) {
    items[i].type = (uint8_t)(1 + lcg_next(st) % 8);
    items[i].len = lcg_next(st) % 256;
    for (size_t k = 0; k < items[i].len; k++)
      text[i][k] = (uint8_t)lcg_next(st);
    items[i].data = text[i];
  }
  sansrtc_rtcp_sdes_chunk_desc chunks[3] = {{lcg_next(st), items, ni},
                                            {lcg_next(st), NULL, 0},
                                            {lcg_next(st), items, ni}};
  sansrtc_rtcp_sdes_desc sd = {chunks, 1 + lcg_next(st) % 3};
  size_t len;
  ck_assert_int_eq(sansrtc_rtcp_write_sdes(buf, sizeof buf, &sd, &len),
                   SANSRTC_OK);
  sansrtc_rtcp_header h;
  one_packet(buf, len, &h);
  sansrtc_rtcp_sdes s;
  ck_assert_int_eq(sansrtc_rtcp_parse_sdes(&h, &s), SANSRTC_OK);
  size_t off = 0, ci = 0;
  sansrtc_rtcp_sdes_chunk c;
  while (sansrtc_rtcp_sdes_next_chunk(&s, &off, &c) == 1) {
    ck_assert_uint_eq(c.ssrc, chunks[ci].ssrc);
    size_t ioff = 0, k = 0;
    sansrtc_rtcp_sdes_item it;
    while (sansrtc_rtcp_sdes_next_item(&c, &ioff, &it) == 1) {
      ck_assert_uint_eq(it.type, chunks[ci].items[k].type);
      ck_assert_uint_eq(it.len, chunks[ci].items[k].len);
      ck_assert(it.len == 0 ||
                memcmp(it.data, chunks[ci].items[k].data, it.len) == 0);
      k++;
    }
    ck_assert_uint_eq(k, chunks[ci].item_count);
    ci++;
  }
  ck_assert_uint_eq(ci, sd.chunk_count);
  uint32_t ssrcs[31];
  size_t ns = lcg_next(st) % 32;
  for (size_t i = 0; i < ns; i++) ssrcs[i] = lcg_next(st);
  sansrtc_rtcp_remb_desc rd = {1, (uint64_t)lcg_next(st) << (lcg_next(st) % 30),
                               ssrcs, ns};
  ck_assert_int_eq(sansrtc_rtcp_write_remb(buf, sizeof buf, &rd, &len),
                   SANSRTC_OK);
  one_packet(buf, len, &h);
  sansrtc_rtcp_remb r;
  ck_assert_int_eq(sansrtc_rtcp_parse_remb(&h, &r), SANSRTC_OK);
  ck_assert(r.bitrate <= rd.bitrate &&
            r.bitrate + (rd.bitrate >> 17) + 1 > rd.bitrate);
  ck_assert_uint_eq(r.ssrc_count, ns);
  for (size_t i = 0; i < ns; i++)
    ck_assert_uint_eq(sansrtc_rtcp_remb_ssrc(&r, i), ssrcs[i]);
  sansrtc_rtcp_bye_desc bd = {ssrcs, ns, text[0], lcg_next(st) % 256};
  ck_assert_int_eq(sansrtc_rtcp_write_bye(buf, sizeof buf, &bd, &len),
                   SANSRTC_OK);
  one_packet(buf, len, &h);
  sansrtc_rtcp_bye b;
  ck_assert_int_eq(sansrtc_rtcp_parse_bye(&h, &b), SANSRTC_OK);
  ck_assert_uint_eq(b.ssrc_count, ns);
  ck_assert_uint_eq(b.reason.len, bd.reason_len);
  for (size_t i = 0; i < ns; i++)
    ck_assert_uint_eq(sansrtc_rtcp_bye_ssrc(&b, i), ssrcs[i]);
  sansrtc_rtcp_fir_entry fe[10], got;
  size_t nf = 1 + lcg_next(st) % 10;
  for (size_t i = 0; i < nf; i++)
    fe[i] = (sansrtc_rtcp_fir_entry){lcg_next(st), (uint8_t)lcg_next(st)};
  sansrtc_rtcp_fir_desc fd = {7, fe, nf};
  ck_assert_int_eq(sansrtc_rtcp_write_fir(buf, sizeof buf, &fd, &len),
                   SANSRTC_OK);
  one_packet(buf, len, &h);
  sansrtc_rtcp_fir f;
  ck_assert_int_eq(sansrtc_rtcp_parse_fir(&h, &f), SANSRTC_OK);
  ck_assert_uint_eq(f.entry_count, nf);
  for (size_t i = 0; i < nf; i++) {
    ck_assert_int_eq(sansrtc_rtcp_fir_entry_get(&f, i, &got), SANSRTC_OK);
    ck_assert(got.ssrc == fe[i].ssrc && got.seq == fe[i].seq);
  }
}

START_TEST(test_random_roundtrips) {
  uint32_t st = 4242;
  for (int i = 0; i < test_iterations(1000); i++) {
    roundtrip_reports(&st);
    roundtrip_nack(&st);
    roundtrip_twcc(&st);
    roundtrip_misc(&st);
  }
}
END_TEST

static int view_ok(sansrtc_rtcp_bytes b, const sansrtc_rtcp_header *h) {
  return b.len == 0 || (b.data >= h->packet.data &&
                        b.data + b.len <= h->packet.data + h->packet.len);
}

static int parse_sdes_all(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_sdes s;
  if (sansrtc_rtcp_parse_sdes(h, &s) != SANSRTC_OK) return 0;
  size_t off = 0;
  sansrtc_rtcp_sdes_chunk c;
  int rc;
  while ((rc = sansrtc_rtcp_sdes_next_chunk(&s, &off, &c)) == 1) {
    ck_assert(view_ok(c.items, h));
    size_t ioff = 0;
    sansrtc_rtcp_sdes_item it;
    int irc;
    while ((irc = sansrtc_rtcp_sdes_next_item(&c, &ioff, &it)) == 1)
      ck_assert(view_ok((sansrtc_rtcp_bytes){it.data, it.len}, h));
    ck_assert_int_eq(irc, 0);
  }
  ck_assert_int_eq(rc, 0);
  return 1;
}

static int parse_twcc_all(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_twcc fb;
  if (sansrtc_rtcp_parse_twcc(h, &fb) != SANSRTC_OK) return 0;
  ck_assert(view_ok(fb.chunks, h) && view_ok(fb.deltas, h));
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_iter_init(&it, &fb);
  sansrtc_rtcp_twcc_packet p;
  size_t n = 0;
  int rc;
  while ((rc = sansrtc_rtcp_twcc_next(&it, &p)) == 1) n++;
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(n, fb.status_count);
  return 1;
}

static int parse_all(const sansrtc_rtcp_header *h) {
  int ok = 0;
  sansrtc_rtcp_sr sr;
  sansrtc_rtcp_rr rr;
  sansrtc_rtcp_bye bye;
  sansrtc_rtcp_app app;
  sansrtc_rtcp_xr xr;
  sansrtc_rtcp_fb fb;
  sansrtc_rtcp_nack nack;
  sansrtc_rtcp_pli pli;
  sansrtc_rtcp_fir fir;
  sansrtc_rtcp_remb remb;
  sansrtc_rtcp_report rep;
  if (sansrtc_rtcp_parse_sr(h, &sr) == SANSRTC_OK) {
    ok++;
    ck_assert(view_ok(sr.reports.blocks, h) && view_ok(sr.extension, h));
    for (size_t i = 0; i < sr.reports.count; i++)
      ck_assert_int_eq(sansrtc_rtcp_report_get(&sr.reports, i, &rep),
                       SANSRTC_OK);
  }
  if (sansrtc_rtcp_parse_rr(h, &rr) == SANSRTC_OK) {
    ok++;
    ck_assert(view_ok(rr.reports.blocks, h) && view_ok(rr.extension, h));
  }
  ok += parse_sdes_all(h);
  if (sansrtc_rtcp_parse_bye(h, &bye) == SANSRTC_OK) {
    ok++;
    ck_assert(view_ok(bye.ssrcs, h) && view_ok(bye.reason, h));
  }
  if (sansrtc_rtcp_parse_app(h, &app) == SANSRTC_OK) {
    ok++;
    ck_assert(view_ok(app.data, h));
  }
  if (sansrtc_rtcp_parse_xr(h, &xr) == SANSRTC_OK) ok++;
  if (sansrtc_rtcp_parse_fb(h, &fb) == SANSRTC_OK) {
    ok++;
    ck_assert(view_ok(fb.fci, h));
  }
  if (sansrtc_rtcp_parse_nack(h, &nack) == SANSRTC_OK) {
    uint16_t lost[17 * 64];
    size_t count;
    int rc = sansrtc_rtcp_nack_lost(&nack, lost, 17 * 64, &count);
    ck_assert(rc == SANSRTC_OK || count > 17 * 64);
    ok++;
  }
  if (sansrtc_rtcp_parse_pli(h, &pli) == SANSRTC_OK) ok++;
  if (sansrtc_rtcp_parse_fir(h, &fir) == SANSRTC_OK) ok++;
  if (sansrtc_rtcp_parse_remb(h, &remb) == SANSRTC_OK) {
    ok++;
    ck_assert(view_ok(remb.ssrcs, h));
  }
  ok += parse_twcc_all(h);
  return ok;
}

/* Every truncation of every vector: the iterator refuses it (its length
 * lies); with the length field patched to the cut, parsers never read
 * past it. */
START_TEST(test_every_truncation) {
  for (size_t v = 0; v < NVEC; v++) {
    for (size_t len = 0; len < vectors[v].len; len++) {
      uint8_t *copy = malloc(len > 0 ? len : 1);
      ck_assert_ptr_nonnull(copy);
      memcpy(copy, vectors[v].bytes, len);
      sansrtc_rtcp_iter it;
      sansrtc_rtcp_header h;
      sansrtc_rtcp_iter_init(&it, copy, len);
      int rc = sansrtc_rtcp_iter_next(&it, &h);
      ck_assert_int_eq(rc, len == 0 ? 0 : SANSRTC_ERR_MALFORMED);
      if (len >= 4 && len % 4 == 0) {
        copy[2] = (uint8_t)((len / 4 - 1) >> 8);
        copy[3] = (uint8_t)(len / 4 - 1);
        sansrtc_rtcp_iter_init(&it, copy, len);
        ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 1);
        (void)parse_all(&h);
      }
      free(copy);
    }
  }
}
END_TEST

START_TEST(test_random_bytes) {
  uint32_t st = 99;
  uint8_t buf[128];
  static const uint8_t types[] = {200, 201, 202, 203, 204, 205, 206, 207};
  for (int i = 0; i < test_iterations(100000); i++) {
    size_t len = lcg_next(&st) % sizeof buf;
    for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)lcg_next(&st);
    /* Mostly plausible headers so the parsers get exercised. */
    if (len >= 4) {
      buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3F));
      buf[1] = types[lcg_next(&st) % 8];
      buf[2] = 0;
      buf[3] = (uint8_t)(lcg_next(&st) % 4 == 0 ? buf[3] : (len / 4) - 1);
      if (buf[1] == 206 && len >= 16 && (i & 1)) {
        buf[0] = 0x8F;
        memcpy(buf + 12, "REMB", 4);
      }
    }
    sansrtc_rtcp_iter it;
    sansrtc_rtcp_header h;
    sansrtc_rtcp_iter_init(&it, buf, len);
    int rc;
    while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) {
      ck_assert(h.packet.data >= buf &&
                h.packet.data + h.packet.len <= buf + len);
      (void)sansrtc_rtcp_kind_of(&h);
      (void)parse_all(&h);
    }
    ck_assert(rc == 0 || rc == SANSRTC_ERR_MALFORMED);
  }
}
END_TEST

Suite *rtcp_suite(void) {
  Suite *s = suite_create("rtcp");
  TCase *tc = tcase_create("rtcp");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_vectors_kind_and_parse);
  tcase_add_test(tc, test_rr_sr);
  tcase_add_test(tc, test_cumulative_lost_sign_and_clamp);
  tcase_add_test(tc, test_sdes);
  tcase_add_test(tc, test_bye_app_xr);
  tcase_add_test(tc, test_nack);
  tcase_add_test(tc, test_pli_fir_remb);
  tcase_add_test(tc, test_twcc_vector);
  tcase_add_test(tc, test_twcc_chunks);
  tcase_add_test(tc, test_twcc_chunk_thresholds);
  tcase_add_test(tc, test_twcc_limit_inside_vector);
  tcase_add_test(tc, test_twcc_fit_mtu);
  tcase_add_test(tc, test_twcc_hostile);
  tcase_add_test(tc, test_compound_and_padding);
  tcase_add_test(tc, test_compound_builder);
  tcase_add_test(tc, test_writers_every_capacity);
  tcase_add_test(tc, test_writer_arguments);
  tcase_add_test(tc, test_random_roundtrips);
  tcase_add_test(tc, test_every_truncation);
  tcase_add_test(tc, test_random_bytes);
  suite_add_tcase(s, tc);
  return s;
}
