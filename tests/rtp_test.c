/*
 * rtp_test.c - RTP packets (RFC 3550 5.1) and header extensions (RFC 8285):
 * hand-computed packets, round trips, every truncation, lying lengths and
 * random bytes.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtp.h>

#include "suites.h"
#include "test_env.h"

static uint32_t lcg_next(uint32_t *state) {
  *state = *state * 1103515245u + 12345u;
  return *state >> 8;
}

/* RFC 3550 5.1: V=2 P=0 X=0 CC=0 | M=1 PT=96 | seq 0x1234 | ts | SSRC. */
static const uint8_t simple_pkt[] = {0x80, 0xE0, 0x12, 0x34, 0xDE,
                                     0xAD, 0xBE, 0xEF, 0x11, 0x22,
                                     0x33, 0x44, 'a',  'b',  'c'};

/* CC=2, X=1 with the one-byte form (RFC 8285 4.2): id 1 "a" (L=0), id 3
 * 0x0102 (L=1), then 3 bytes of padding to the 32-bit boundary. */
static const uint8_t ext1_pkt[] = {
    0x92, 0x6F, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0xCA, 0xFE, 0xBA, 0xBE,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xBE, 0xDE, 0x00, 0x02,
    0x10, 'a',  0x31, 0x01, 0x02, 0x00, 0x00, 0x00, 0xAA, 0xBB};

/* Two-byte form (RFC 8285 4.3): id 20 len 3 "xyz", id 2 len 0, pad 1;
 * then P=1 with 3 padding bytes. */
static const uint8_t ext2_pkt[] = {0xB0, 0x08, 0xFF, 0xFF, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x05, 0x10, 0x00,
                                   0x00, 0x02, 0x14, 0x03, 'x',  'y',  'z',
                                   0x02, 0x00, 0x00, 0x55, 0x00, 0x00, 0x03};

static int view_in(const sansrtc_rtp_bytes *b, const uint8_t *d, size_t n) {
  return b->len == 0 || (b->data >= d && b->data + b->len <= d + n);
}

START_TEST(test_parse_simple) {
  sansrtc_rtp_packet p;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, simple_pkt, sizeof simple_pkt),
                   SANSRTC_OK);
  ck_assert_uint_eq(p.version, 2);
  ck_assert_uint_eq(p.marker, 1);
  ck_assert_uint_eq(p.payload_type, 96);
  ck_assert_uint_eq(p.sequence, 0x1234);
  ck_assert_uint_eq(p.timestamp, 0xDEADBEEFu);
  ck_assert_uint_eq(p.ssrc, 0x11223344u);
  ck_assert_uint_eq(p.csrc_count, 0);
  ck_assert_uint_eq(p.extension, 0);
  ck_assert_uint_eq(p.header_len, 12);
  ck_assert_uint_eq(p.payload.len, 3);
  ck_assert_ptr_eq(p.payload.data, simple_pkt + 12);
  size_t off = 0;
  sansrtc_rtp_ext e;
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 0);
}
END_TEST

START_TEST(test_parse_one_byte_ext) {
  sansrtc_rtp_packet p;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, ext1_pkt, sizeof ext1_pkt),
                   SANSRTC_OK);
  ck_assert_uint_eq(p.marker, 0);
  ck_assert_uint_eq(p.payload_type, 111);
  ck_assert_uint_eq(p.csrc_count, 2);
  ck_assert_uint_eq(p.csrc[0], 1);
  ck_assert_uint_eq(p.csrc[1], 2);
  ck_assert_uint_eq(p.ext_profile, 0xBEDE);
  ck_assert_uint_eq(p.ext.len, 8);
  ck_assert_uint_eq(p.header_len, 32);
  ck_assert_uint_eq(p.payload.len, 2);
  ck_assert_uint_eq(p.payload.data[0], 0xAA);
  size_t off = 0;
  sansrtc_rtp_ext e;
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 1);
  ck_assert_uint_eq(e.id, 1);
  ck_assert_uint_eq(e.len, 1);
  sansrtc_rtp_bytes mid;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_mid(&e, &mid), SANSRTC_OK);
  ck_assert_uint_eq(mid.len, 1);
  ck_assert_uint_eq(mid.data[0], 'a');
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 1);
  ck_assert_uint_eq(e.id, 3);
  uint16_t seq;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_twcc_seq(&e, &seq), SANSRTC_OK);
  ck_assert_uint_eq(seq, 0x0102);
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 0);
  ck_assert_int_eq(sansrtc_rtp_ext_find(&p, 3, &e), SANSRTC_OK);
  ck_assert_ptr_eq(e.data, ext1_pkt + 27);
  ck_assert_int_eq(sansrtc_rtp_ext_find(&p, 2, &e), SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_rtp_ext_find(&p, 0, &e),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_parse_two_byte_ext_and_padding) {
  sansrtc_rtp_packet p;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, ext2_pkt, sizeof ext2_pkt),
                   SANSRTC_OK);
  ck_assert_uint_eq(p.padding, 1);
  ck_assert_uint_eq(p.padding_len, 3);
  ck_assert_uint_eq(p.ext_profile, 0x1000);
  ck_assert_uint_eq(p.header_len, 24);
  ck_assert_uint_eq(p.payload.len, 1);
  ck_assert_uint_eq(p.payload.data[0], 0x55);
  size_t off = 0;
  sansrtc_rtp_ext e;
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 1);
  ck_assert_uint_eq(e.id, 20);
  ck_assert_uint_eq(e.len, 3);
  ck_assert_mem_eq(e.data, "xyz", 3);
  sansrtc_rtp_bytes rid;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_rid(&e, &rid), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 1);
  ck_assert_uint_eq(e.id, 2);
  ck_assert_uint_eq(e.len, 0);
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 0);
}
END_TEST

/* RFC 8285 4.2: padding between elements is skipped; id 15 ends parsing
 * whatever its length nibble says. */
START_TEST(test_one_byte_padding_and_stop) {
  uint8_t pkt[] = {0x90, 0x60, 0,    1,    0,    0,    0,    0,
                   0,    0,    0,    0,    0xBE, 0xDE, 0x00, 0x02,
                   0x00, 0x22, 0xAB, 0xCD, 0xEF, 0x00, 0xFF, 0x51};
  sansrtc_rtp_packet p;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, pkt, sizeof pkt), SANSRTC_OK);
  size_t off = 0;
  sansrtc_rtp_ext e;
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 1);
  ck_assert_uint_eq(e.id, 2);
  ck_assert_uint_eq(e.len, 3);
  uint32_t ast;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_abs_send_time(&e, &ast), SANSRTC_OK);
  ck_assert_uint_eq(ast, 0xABCDEF);
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 0);
  ck_assert_uint_eq(off, 8);
  /* The element after id 15 is never produced. */
  ck_assert_int_eq(sansrtc_rtp_ext_find(&p, 5, &e), SANSRTC_ERR_NOT_FOUND);
  /* id 0 with a non-zero length is malformed. */
  pkt[16] = 0x01;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, pkt, sizeof pkt),
                   SANSRTC_ERR_MALFORMED);
  /* An element longer than the block is malformed. */
  pkt[16] = 0x00;
  pkt[21] = 0x33;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, pkt, sizeof pkt),
                   SANSRTC_ERR_MALFORMED);
  /* An unknown profile is kept raw with no elements. */
  pkt[12] = 0x12;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, pkt, sizeof pkt), SANSRTC_OK);
  off = 0;
  ck_assert_int_eq(sansrtc_rtp_ext_next(&p, &off, &e), 0);
  ck_assert_uint_eq(p.ext.len, 8);
}
END_TEST

START_TEST(test_lying_lengths) {
  sansrtc_rtp_packet p;
  uint8_t b[sizeof ext1_pkt];
  /* Version 0, 1 and 3. */
  for (unsigned v = 0; v < 4; v++) {
    memcpy(b, simple_pkt, sizeof simple_pkt);
    b[0] = (uint8_t)((b[0] & 0x3F) | v << 6);
    ck_assert_int_eq(sansrtc_rtp_parse(&p, b, sizeof simple_pkt),
                     v == 2 ? SANSRTC_OK : SANSRTC_ERR_MALFORMED);
  }
  /* CSRC count larger than the packet. */
  memcpy(b, simple_pkt, sizeof simple_pkt);
  b[0] = 0x81;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, 15), SANSRTC_ERR_MALFORMED);
  b[0] = 0x80 | 15;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, 15), SANSRTC_ERR_MALFORMED);
  /* Extension length larger than the packet. */
  memcpy(b, ext1_pkt, sizeof ext1_pkt);
  b[23] = 3;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, sizeof ext1_pkt),
                   SANSRTC_ERR_MALFORMED);
  b[22] = 0xFF;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, sizeof ext1_pkt),
                   SANSRTC_ERR_MALFORMED);
  /* X set but no room for the extension header. */
  memcpy(b, simple_pkt, sizeof simple_pkt);
  b[0] = 0x90;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, 15), SANSRTC_ERR_MALFORMED);
  /* Padding: count 0, count larger than what follows the header. */
  memcpy(b, simple_pkt, sizeof simple_pkt);
  b[0] = 0xA0;
  b[14] = 0;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, 15), SANSRTC_ERR_MALFORMED);
  b[14] = 4;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, 15), SANSRTC_ERR_MALFORMED);
  b[14] = 3; /* the whole payload is padding: empty payload */
  ck_assert_int_eq(sansrtc_rtp_parse(&p, b, 15), SANSRTC_OK);
  ck_assert_uint_eq(p.payload.len, 0);
  /* Arguments. */
  ck_assert_int_eq(sansrtc_rtp_parse(NULL, b, 15),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_parse(&p, NULL, 15),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_parse(&p, NULL, 0), SANSRTC_ERR_MALFORMED);
}
END_TEST

/* Every prefix of each packet: shorter than its header is malformed; a
 * prefix of a packet without padding is a valid shorter packet. */
static void truncate_all(const uint8_t *pkt, size_t n, size_t header_len) {
  for (size_t len = 0; len <= n; len++) {
    uint8_t *copy = malloc(len > 0 ? len : 1); /* exact size for valgrind */
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, pkt, len);
    sansrtc_rtp_packet p;
    int rc = sansrtc_rtp_parse(&p, copy, len);
    if (len < header_len) {
      ck_assert_msg(rc == SANSRTC_ERR_MALFORMED, "len %zu gave %d", len, rc);
    } else if (rc == SANSRTC_OK) {
      ck_assert(view_in(&p.payload, copy, len));
      ck_assert(view_in(&p.ext, copy, len));
      ck_assert_uint_eq(p.header_len, header_len);
    } else {
      ck_assert_msg(pkt[0] & 0x20, "len %zu gave %d", len, rc);
    }
    free(copy);
  }
}

START_TEST(test_every_truncation) {
  truncate_all(simple_pkt, sizeof simple_pkt, 12);
  truncate_all(ext1_pkt, sizeof ext1_pkt, 32);
  truncate_all(ext2_pkt, sizeof ext2_pkt, 24);
}
END_TEST

START_TEST(test_write_byte_exact) {
  uint8_t buf[64];
  size_t len;
  sansrtc_rtp_header_fields h = {.marker = 1,
                                 .payload_type = 96,
                                 .sequence = 0x1234,
                                 .timestamp = 0xDEADBEEF,
                                 .ssrc = 0x11223344};
  ck_assert_int_eq(sansrtc_rtp_write(&h, (const uint8_t *)"abc", 3, 0, buf,
                                     sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof simple_pkt);
  ck_assert_mem_eq(buf, simple_pkt, len);

  const uint32_t csrc[2] = {1, 2};
  uint8_t seq[2];
  sansrtc_rtp_ext_encode_twcc_seq(0x0102, seq);
  const sansrtc_rtp_ext ext1[2] = {{1, (const uint8_t *)"a", 1}, {3, seq, 2}};
  sansrtc_rtp_header_fields h1 = {.payload_type = 111,
                                  .sequence = 1,
                                  .timestamp = 16,
                                  .ssrc = 0xCAFEBABE,
                                  .csrc = csrc,
                                  .csrc_count = 2,
                                  .ext = ext1,
                                  .ext_count = 2};
  static const uint8_t pl1[2] = {0xAA, 0xBB};
  ck_assert_int_eq(sansrtc_rtp_write(&h1, pl1, 2, 0, buf, sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof ext1_pkt);
  ck_assert_mem_eq(buf, ext1_pkt, len);

  const sansrtc_rtp_ext ext2[2] = {{20, (const uint8_t *)"xyz", 3},
                                   {2, NULL, 0}};
  sansrtc_rtp_header_fields h2 = {.payload_type = 8,
                                  .sequence = 0xFFFF,
                                  .ssrc = 5,
                                  .ext = ext2,
                                  .ext_count = 2};
  static const uint8_t pl2[1] = {0x55};
  ck_assert_int_eq(sansrtc_rtp_write(&h2, pl2, 1, 3, buf, sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof ext2_pkt);
  ck_assert_mem_eq(buf, ext2_pkt, len);
}
END_TEST

START_TEST(test_write_header_then_payload) {
  uint8_t buf[40];
  size_t hl, len;
  sansrtc_rtp_header_fields h = {.marker = 1,
                                 .payload_type = 96,
                                 .sequence = 0x1234,
                                 .timestamp = 0xDEADBEEF,
                                 .ssrc = 0x11223344};
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &hl),
                   SANSRTC_OK);
  ck_assert_uint_eq(hl, 12);
  memcpy(buf + hl, "abc", 3);
  ck_assert_mem_eq(buf, simple_pkt, 15);
  ck_assert_int_eq(sansrtc_rtp_add_padding(buf, 15, sizeof buf, 5, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 20);
  ck_assert_uint_eq(buf[0], 0xA0);
  ck_assert_uint_eq(buf[19], 5);
  sansrtc_rtp_packet p;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, buf, len), SANSRTC_OK);
  ck_assert_uint_eq(p.payload.len, 3);
  ck_assert_int_eq(sansrtc_rtp_add_padding(buf, len, sizeof buf, 5, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  buf[0] = 0x80;
  ck_assert_int_eq(sansrtc_rtp_add_padding(buf, 15, 19, 5, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_rtp_add_padding(buf, 15, 40, 0, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_write_errors_and_every_capacity) {
  uint8_t buf[64];
  size_t len;
  sansrtc_rtp_header_fields h = {.payload_type = 128};
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  h.payload_type = 0;
  h.csrc_count = 16;
  uint32_t csrc[16] = {0};
  h.csrc = csrc;
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  h.csrc_count = 1;
  h.csrc = NULL;
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  h.csrc_count = 0;
  sansrtc_rtp_ext bad = {0, (const uint8_t *)"x", 1};
  h.ext = &bad;
  h.ext_count = 1;
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  bad.id = 1;
  bad.data = NULL;
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  bad.data = (const uint8_t *)"x";
  bad.len = 256;
  ck_assert_int_eq(sansrtc_rtp_write_header(&h, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* Every capacity short of the packet is BUFFER_TOO_SMALL. */
  const uint32_t two[2] = {1, 2};
  uint8_t seq[2];
  sansrtc_rtp_ext_encode_twcc_seq(0x0102, seq);
  const sansrtc_rtp_ext ext1[2] = {{1, (const uint8_t *)"a", 1}, {3, seq, 2}};
  sansrtc_rtp_header_fields h1 = {.payload_type = 111,
                                  .sequence = 1,
                                  .timestamp = 16,
                                  .ssrc = 0xCAFEBABE,
                                  .csrc = two,
                                  .csrc_count = 2,
                                  .ext = ext1,
                                  .ext_count = 2};
  static const uint8_t pl1[2] = {0xAA, 0xBB};
  for (size_t cap = 0; cap < sizeof ext1_pkt + 4; cap++) {
    uint8_t *out = malloc(cap > 0 ? cap : 1);
    ck_assert_ptr_nonnull(out);
    int rc = sansrtc_rtp_write(&h1, pl1, 2, 4, out, cap, &len);
    ck_assert_int_eq(rc, SANSRTC_ERR_BUFFER_TOO_SMALL);
    free(out);
  }
  ck_assert_int_eq(
      sansrtc_rtp_write(&h1, pl1, 2, 4, buf, sizeof ext1_pkt + 4, &len),
      SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof ext1_pkt + 4);
}
END_TEST

START_TEST(test_ext_form_choice) {
  uint8_t buf[300];
  size_t len;
  uint8_t big[17];
  memset(big, 7, sizeof big);
  /* 16 bytes with id 14 still fit the one-byte form. */
  sansrtc_rtp_ext e = {14, big, 16};
  ck_assert_int_eq(sansrtc_rtp_ext_write(buf, sizeof buf, &e, 1, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 4 + 20);
  ck_assert_uint_eq(buf[0], 0xBE);
  ck_assert_uint_eq(buf[3], 5);
  ck_assert_uint_eq(buf[4], 0xEF);
  /* 17 bytes, id 15, or a zero length need the two-byte form. */
  e.len = 17;
  ck_assert_int_eq(sansrtc_rtp_ext_write(buf, sizeof buf, &e, 1, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(buf[0], 0x10);
  ck_assert_uint_eq(buf[1], 0x00);
  ck_assert_uint_eq(len, 4 + 20);
  ck_assert_uint_eq(buf[4], 14);
  ck_assert_uint_eq(buf[5], 17);
  e.len = 1;
  e.id = 15;
  ck_assert_int_eq(sansrtc_rtp_ext_write(buf, sizeof buf, &e, 1, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(buf[0], 0x10);
  ck_assert_uint_eq(len, 8);
  ck_assert_mem_eq(buf + 4, "\x0f\x01\x07\x00", 4);
  e.id = 1;
  e.len = 0;
  ck_assert_int_eq(sansrtc_rtp_ext_write(buf, sizeof buf, &e, 1, &len),
                   SANSRTC_OK);
  ck_assert_mem_eq(buf, "\x10\x00\x00\x01\x01\x00\x00\x00", 8);
  /* No elements: nothing. */
  ck_assert_int_eq(sansrtc_rtp_ext_write(buf, sizeof buf, NULL, 0, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 0);
  e.len = 1;
  ck_assert_int_eq(sansrtc_rtp_ext_write(buf, 7, &e, 1, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(test_typed_values) {
  uint8_t b[8];
  sansrtc_rtp_ext e = {1, b, 0};
  /* abs-send-time: 1.5 s is 1.5 * 2^18 = 0x060000. */
  ck_assert_uint_eq(
      sansrtc_rtp_abs_send_time_from_ns(1500 * SANSRTC_MILLISECONDS), 0x060000);
  /* 64 s wraps to 0; 64.25 s is 0.25 * 2^18 = 0x010000. */
  ck_assert_uint_eq(sansrtc_rtp_abs_send_time_from_ns(64 * SANSRTC_SECONDS), 0);
  ck_assert_uint_eq(
      sansrtc_rtp_abs_send_time_from_ns(64250 * SANSRTC_MILLISECONDS),
      0x010000);
  ck_assert_uint_eq(sansrtc_rtp_abs_send_time_to_ns(0x060000),
                    1500 * SANSRTC_MILLISECONDS);
  /* Far from the origin: no overflow, still modulo 64 s. */
  ck_assert_uint_eq(sansrtc_rtp_abs_send_time_from_ns(
                        1000000 * SANSRTC_SECONDS + 500 * SANSRTC_MILLISECONDS),
                    ((1000000u % 64u) << 18) | 0x20000u);
  e.len = sansrtc_rtp_ext_encode_abs_send_time(0x123456, b);
  ck_assert_uint_eq(e.len, 3);
  ck_assert_mem_eq(b, "\x12\x34\x56", 3);
  uint32_t v;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_abs_send_time(&e, &v), SANSRTC_OK);
  ck_assert_uint_eq(v, 0x123456);
  e.len = 2;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_abs_send_time(&e, &v),
                   SANSRTC_ERR_MALFORMED);
  /* transport-wide-cc sequence number. */
  e.len = sansrtc_rtp_ext_encode_twcc_seq(0xFEDC, b);
  ck_assert_mem_eq(b, "\xfe\xdc", 2);
  uint16_t s;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_twcc_seq(&e, &s), SANSRTC_OK);
  ck_assert_uint_eq(s, 0xFEDC);
  e.len = 3;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_twcc_seq(&e, &s),
                   SANSRTC_ERR_MALFORMED);
  e.len = 4; /* transport-wide-cc-02 with a feedback request */
  ck_assert_int_eq(sansrtc_rtp_ext_parse_twcc_seq(&e, &s), SANSRTC_OK);
  ck_assert_uint_eq(s, 0xFEDC);
  /* RFC 6464 3: V=1 level 42 is 0xAA. */
  e.len = sansrtc_rtp_ext_encode_audio_level(1, 42, b);
  ck_assert_uint_eq(b[0], 0xAA);
  int voice;
  uint8_t level;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_audio_level(&e, &voice, &level),
                   SANSRTC_OK);
  ck_assert_int_eq(voice, 1);
  ck_assert_uint_eq(level, 42);
  sansrtc_rtp_ext_encode_audio_level(0, 200, b);
  ck_assert_uint_eq(b[0], 127);
  e.len = 2;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_audio_level(&e, &voice, &level),
                   SANSRTC_ERR_MALFORMED);
}
END_TEST

START_TEST(test_sdes_values) {
  uint8_t b[300];
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("audio0", 6, 0, b, sizeof b), 6);
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("hi-res_1", 8, 1, b, sizeof b),
                   8);
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("a b", 3, 0, b, sizeof b),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("a.b", 3, 1, b, sizeof b),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("a.b", 3, 0, b, sizeof b), 3);
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("", 0, 0, b, sizeof b),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_rtp_ext_encode_sdes("abc", 3, 0, b, 2),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  sansrtc_rtp_ext e = {1, (const uint8_t *)"q", 1};
  sansrtc_rtp_bytes v;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_rid(&e, &v), SANSRTC_OK);
  e.data = (const uint8_t *)"\x01";
  ck_assert_int_eq(sansrtc_rtp_ext_parse_mid(&e, &v), SANSRTC_ERR_MALFORMED);
  e.len = 0;
  ck_assert_int_eq(sansrtc_rtp_ext_parse_mid(&e, &v), SANSRTC_ERR_MALFORMED);
}
END_TEST

START_TEST(test_is_rtcp) {
  uint8_t b[2] = {0x80, 0};
  for (unsigned v = 0; v < 256; v++) {
    b[1] = (uint8_t)v;
    unsigned pt = v & 0x7F;
    ck_assert_int_eq(sansrtc_rtp_is_rtcp(b, 2), pt >= 64 && pt <= 95);
  }
  b[1] = 200;
  ck_assert_int_eq(sansrtc_rtp_is_rtcp(b, 1), 0);
  ck_assert_int_eq(sansrtc_rtp_is_rtcp(NULL, 2), 0);
  /* Agrees with the RFC 7983 classifier for real RTCP packet types. */
  uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0, 1};
  ck_assert_int_eq(sansrtc_rtp_is_rtcp(rr, 8), 1);
  ck_assert_int_eq(sansrtc_packet_classify(rr, 8), SANSRTC_PACKET_RTCP);
}
END_TEST

/* Random headers and extension lists: write, parse, compare. */
static void random_roundtrip(uint32_t *st) {
  uint8_t buf[1500], data[16][40], payload[64];
  uint32_t csrc[15];
  sansrtc_rtp_ext ext[16];
  sansrtc_rtp_header_fields h;
  memset(&h, 0, sizeof h);
  h.marker = (uint8_t)(lcg_next(st) & 1);
  h.payload_type = (uint8_t)(lcg_next(st) & 0x7F);
  h.sequence = (uint16_t)lcg_next(st);
  h.timestamp = lcg_next(st) << 8 ^ lcg_next(st);
  h.ssrc = lcg_next(st) << 8 ^ lcg_next(st);
  h.csrc_count = lcg_next(st) % 16;
  for (size_t i = 0; i < h.csrc_count; i++) csrc[i] = lcg_next(st);
  h.csrc = csrc;
  int two = (lcg_next(st) & 3) == 0;
  h.ext_count = lcg_next(st) % 6;
  for (size_t i = 0; i < h.ext_count; i++) {
    ext[i].id = (uint8_t)(two ? 1 + lcg_next(st) % 255 : 1 + lcg_next(st) % 14);
    ext[i].len = two ? lcg_next(st) % 40 : 1 + lcg_next(st) % 16;
    for (size_t k = 0; k < ext[i].len; k++) data[i][k] = (uint8_t)lcg_next(st);
    ext[i].data = data[i];
  }
  h.ext = ext;
  size_t plen = lcg_next(st) % sizeof payload;
  for (size_t k = 0; k < plen; k++) payload[k] = (uint8_t)lcg_next(st);
  uint8_t pad = (uint8_t)(lcg_next(st) % 3 == 0 ? 1 + lcg_next(st) % 20 : 0);
  size_t len;
  ck_assert_int_eq(
      sansrtc_rtp_write(&h, payload, plen, pad, buf, sizeof buf, &len),
      SANSRTC_OK);
  sansrtc_rtp_packet p;
  ck_assert_int_eq(sansrtc_rtp_parse(&p, buf, len), SANSRTC_OK);
  ck_assert_uint_eq(p.marker, h.marker);
  ck_assert_uint_eq(p.payload_type, h.payload_type);
  ck_assert_uint_eq(p.sequence, h.sequence);
  ck_assert_uint_eq(p.timestamp, h.timestamp);
  ck_assert_uint_eq(p.ssrc, h.ssrc);
  ck_assert_uint_eq(p.csrc_count, h.csrc_count);
  ck_assert_mem_eq(p.csrc, csrc, 4 * h.csrc_count);
  ck_assert_uint_eq(p.padding_len, pad);
  ck_assert_uint_eq(p.payload.len, plen);
  ck_assert(plen == 0 || memcmp(p.payload.data, payload, plen) == 0);
  size_t off = 0, n = 0;
  sansrtc_rtp_ext e;
  while (sansrtc_rtp_ext_next(&p, &off, &e) == 1) {
    ck_assert_uint_lt(n, h.ext_count);
    ck_assert_uint_eq(e.id, ext[n].id);
    ck_assert_uint_eq(e.len, ext[n].len);
    ck_assert(e.len == 0 || memcmp(e.data, ext[n].data, e.len) == 0);
    n++;
  }
  ck_assert_uint_eq(n, h.ext_count);
}

START_TEST(test_random_roundtrip) {
  uint32_t st = 12345;
  for (int i = 0; i < test_iterations(20000); i++) random_roundtrip(&st);
}
END_TEST

START_TEST(test_random_bytes) {
  uint32_t st = 777;
  uint8_t buf[96];
  for (int i = 0; i < test_iterations(100000); i++) {
    size_t len = lcg_next(&st) % sizeof buf;
    for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)lcg_next(&st);
    if (len > 0 && (i & 1)) buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3F));
    if (len > 13 && (i & 2)) {
      buf[0] |= 0x10;
      buf[0] &= 0xF0;
      buf[12] = 0xBE;
      buf[13] = 0xDE;
    }
    sansrtc_rtp_packet p;
    if (sansrtc_rtp_parse(&p, buf, len) != SANSRTC_OK) continue;
    ck_assert(view_in(&p.payload, buf, len));
    ck_assert(view_in(&p.ext, buf, len));
    ck_assert_uint_le(p.header_len + p.payload.len + p.padding_len, len);
    size_t off = 0;
    sansrtc_rtp_ext e;
    int rc;
    while ((rc = sansrtc_rtp_ext_next(&p, &off, &e)) == 1)
      ck_assert(e.len == 0 || (e.data >= buf && e.data + e.len <= buf + len));
    ck_assert_int_eq(rc, 0);
  }
}
END_TEST

Suite *rtp_suite(void) {
  Suite *s = suite_create("rtp");
  TCase *tc = tcase_create("rtp");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_parse_simple);
  tcase_add_test(tc, test_parse_one_byte_ext);
  tcase_add_test(tc, test_parse_two_byte_ext_and_padding);
  tcase_add_test(tc, test_one_byte_padding_and_stop);
  tcase_add_test(tc, test_lying_lengths);
  tcase_add_test(tc, test_every_truncation);
  tcase_add_test(tc, test_write_byte_exact);
  tcase_add_test(tc, test_write_header_then_payload);
  tcase_add_test(tc, test_write_errors_and_every_capacity);
  tcase_add_test(tc, test_ext_form_choice);
  tcase_add_test(tc, test_typed_values);
  tcase_add_test(tc, test_sdes_values);
  tcase_add_test(tc, test_is_rtcp);
  tcase_add_test(tc, test_random_roundtrip);
  tcase_add_test(tc, test_random_bytes);
  suite_add_tcase(s, tc);
  return s;
}
