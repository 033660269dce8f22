/*
 * stun_test.c - STUN codec: RFC 5769 and RFC 8489 test vectors, the encoder,
 * tampering, truncation and hostile input.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sansrtc/stun.h>

#include "suites.h"

static const char rfc_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

/* RFC 5769 2.1: Binding request, short-term credentials. */
static const uint8_t rfc_request[108] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

/* RFC 5769 2.2: Binding success response, IPv4. */
static const uint8_t rfc_response_v4[80] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* RFC 5769 2.3: Binding success response, IPv6. */
static const uint8_t rfc_response_v6[92] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

/* RFC 5769 2.4: Binding request with long-term credentials. */
static const uint8_t rfc_long_term[116] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
    0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12,
    0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83,
    0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c,
    0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79,
    0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14,
    0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71,
    0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66};

/* RFC 8489 B.1: long-term credentials with MESSAGE-INTEGRITY-SHA256,
 * USERHASH and PASSWORD-ALGORITHM (SHA-256). */
static const uint8_t rfc_sha256[164] = {
    0x00, 0x01, 0x00, 0x90, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
    0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x1e, 0x00, 0x20,
    0x4a, 0x3c, 0xf3, 0x8f, 0xef, 0x69, 0x92, 0xbd, 0xa9, 0x52, 0xc6, 0x78,
    0x04, 0x17, 0xda, 0x0f, 0x24, 0x81, 0x94, 0x15, 0x56, 0x9e, 0x60, 0xb2,
    0x05, 0xc4, 0x6e, 0x41, 0x40, 0x7f, 0x17, 0x04, 0x00, 0x15, 0x00, 0x29,
    0x6f, 0x62, 0x4d, 0x61, 0x74, 0x4a, 0x6f, 0x73, 0x32, 0x41, 0x41, 0x41,
    0x43, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64,
    0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76,
    0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
    0x00, 0x1d, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x20,
    0xb5, 0xc7, 0xbf, 0x00, 0x5b, 0x6c, 0x52, 0xa2, 0x1c, 0x51, 0xc5, 0xe8,
    0x92, 0xf8, 0x19, 0x24, 0x13, 0x62, 0x96, 0xcb, 0x92, 0x7c, 0x43, 0x14,
    0x93, 0x09, 0x27, 0x8c, 0xc6, 0x51, 0x8e, 0x65};

/* "マトリックス" in UTF-8, the RFC 5769 2.4 user name. */
static const char matrix_user[] =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

static const uint8_t *pwd(void) { return (const uint8_t *)rfc_password; }

static int bytes_eq(sansrtc_stun_bytes b, const char *s) {
  return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

static sansrtc_addr addr_of(const char *ip, uint16_t port) {
  sansrtc_addr a;
  ck_assert_int_eq(sansrtc_addr_parse(&a, ip, port), SANSRTC_OK);
  return a;
}

/* A deterministic generator for the hostile-input loops. */
static uint32_t lcg_next(uint32_t *state) {
  *state = *state * 1103515245u + 12345u;
  return *state >> 8;
}

START_TEST(test_rfc5769_request) {
  sansrtc_stun_msg m;
  ck_assert(sansrtc_stun_is_stun(rfc_request, sizeof rfc_request));
  ck_assert_int_eq(sansrtc_stun_decode(&m, rfc_request, sizeof rfc_request),
                   SANSRTC_OK);
  ck_assert_uint_eq(m.method, SANSRTC_STUN_BINDING);
  ck_assert_int_eq(m.klass, SANSRTC_STUN_REQUEST);
  ck_assert_mem_eq(m.txid, rfc_txid, 12);
  ck_assert_uint_eq(m.raw_len, 108);
  ck_assert(bytes_eq(m.software, "STUN test client"));
  ck_assert(bytes_eq(m.username, "evtj:h6vY"));
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_PRIORITY));
  ck_assert_uint_eq(m.priority, 0x6e0001ffu);
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_ICE_CONTROLLED));
  ck_assert(!sansrtc_stun_has(&m, SANSRTC_STUN_HAS_ICE_CONTROLLING));
  ck_assert(m.ice_controlled == 0x932ff9b151263b36ull);
  ck_assert_uint_eq(m.integrity_offset, 76);
  ck_assert_uint_eq(m.fingerprint_offset, 100);
  ck_assert_uint_eq(m.fingerprint, 0xe57a3bcfu);
  ck_assert_uint_eq(m.unknown_required_count, 0);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, pwd(), strlen(rfc_password)),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(&m), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, pwd(), 5),
                   SANSRTC_ERR_INTEGRITY);
  ck_assert_int_eq(sansrtc_stun_check_integrity_sha256(&m, pwd(), 5),
                   SANSRTC_ERR_NOT_FOUND);
}
END_TEST

static void check_response(const uint8_t *vec, size_t len,
                           const sansrtc_addr *want) {
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, vec, len), SANSRTC_OK);
  ck_assert_uint_eq(m.method, SANSRTC_STUN_BINDING);
  ck_assert_int_eq(m.klass, SANSRTC_STUN_SUCCESS);
  ck_assert(bytes_eq(m.software, "test vector"));
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_XOR_MAPPED_ADDRESS));
  ck_assert(sansrtc_addr_equal(&m.xor_mapped_address, want));
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, pwd(), strlen(rfc_password)),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(&m), SANSRTC_OK);
}

START_TEST(test_rfc5769_responses) {
  sansrtc_addr v4 = addr_of("192.0.2.1", 32853);
  sansrtc_addr v6 = addr_of("2001:db8:1234:5678:11:2233:4455:6677", 32853);
  check_response(rfc_response_v4, sizeof rfc_response_v4, &v4);
  check_response(rfc_response_v6, sizeof rfc_response_v6, &v6);
}
END_TEST

START_TEST(test_rfc5769_long_term) {
  sansrtc_stun_msg m;
  ck_assert_int_eq(
      sansrtc_stun_decode(&m, rfc_long_term, sizeof rfc_long_term),
      SANSRTC_OK);
  ck_assert(bytes_eq(m.username, matrix_user));
  ck_assert(bytes_eq(m.nonce, "f//499k954d6OL34oL9FSTvy64sA"));
  ck_assert(bytes_eq(m.realm, "example.org"));
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(&m), SANSRTC_ERR_NOT_FOUND);
  uint8_t key[16];
  ck_assert_int_eq(
      sansrtc_stun_long_term_key(key, matrix_user, "example.org", "TheMatrIX"),
      SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, key, sizeof key),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_long_term_key(NULL, "a", "b", "c"),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_long_term_key(key, "a", NULL, "c"),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

/* The encoder reproduces RFC 5769 2.4 byte for byte (its padding is zero). */
START_TEST(test_writer_reproduces_long_term) {
  uint8_t key[16], buf[200];
  ck_assert_int_eq(
      sansrtc_stun_long_term_key(key, matrix_user, "example.org", "TheMatrIX"),
      SANSRTC_OK);
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_BINDING,
                           SANSRTC_STUN_REQUEST, rfc_long_term + 8);
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_USERNAME, matrix_user);
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_NONCE,
                                 "f//499k954d6OL34oL9FSTvy64sA");
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_REALM, "example.org");
  sansrtc_stun_writer_add_integrity(&w, key, sizeof key);
  size_t len = 0;
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof rfc_long_term);
  ck_assert_mem_eq(buf, rfc_long_term, len);
}
END_TEST

static void sha256_key(uint8_t out[32]) {
  char text[128];
  size_t n = (size_t)snprintf(text, sizeof text, "%s:example.org:TheMatrIX",
                              matrix_user);
  unsigned int out_len = 0;
  ck_assert(EVP_Digest(text, n, out, &out_len, EVP_sha256(), NULL) == 1);
}

START_TEST(test_rfc8489_sha256) {
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, rfc_sha256, sizeof rfc_sha256),
                   SANSRTC_OK);
  ck_assert(bytes_eq(m.realm, "example.org"));
  ck_assert(bytes_eq(m.nonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"));
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_MESSAGE_INTEGRITY_SHA256));
  ck_assert(!sansrtc_stun_has(&m, SANSRTC_STUN_HAS_MESSAGE_INTEGRITY));
  /* USERHASH and PASSWORD-ALGORITHM are comprehension-required and not
   * decoded here: they are reported for a 420 answer. */
  ck_assert_uint_eq(m.unknown_required_count, 2);
  ck_assert_uint_eq(m.unknown_required[0], SANSRTC_STUN_ATTR_USERHASH);
  ck_assert_uint_eq(m.unknown_required[1], SANSRTC_STUN_ATTR_PASSWORD_ALGORITHM);
  uint8_t key[32];
  sha256_key(key);
  ck_assert_int_eq(sansrtc_stun_check_integrity_sha256(&m, key, sizeof key),
                   SANSRTC_OK);
  key[0] ^= 1;
  ck_assert_int_eq(sansrtc_stun_check_integrity_sha256(&m, key, sizeof key),
                   SANSRTC_ERR_INTEGRITY);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, key, sizeof key),
                   SANSRTC_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_crc32) {
  ck_assert_uint_eq(sansrtc_crc32((const uint8_t *)"123456789", 9),
                    0xCBF43926u);
  ck_assert_uint_eq(sansrtc_crc32(NULL, 0), 0);
}
END_TEST

START_TEST(test_message_types) {
  static const struct {
    uint16_t method;
    sansrtc_stun_class klass;
    uint16_t wire;
  } cases[] = {
      {SANSRTC_STUN_BINDING, SANSRTC_STUN_REQUEST, 0x0001},
      {SANSRTC_STUN_BINDING, SANSRTC_STUN_INDICATION, 0x0011},
      {SANSRTC_STUN_BINDING, SANSRTC_STUN_SUCCESS, 0x0101},
      {SANSRTC_STUN_BINDING, SANSRTC_STUN_ERROR, 0x0111},
      {SANSRTC_STUN_ALLOCATE, SANSRTC_STUN_REQUEST, 0x0003},
      {SANSRTC_STUN_ALLOCATE, SANSRTC_STUN_ERROR, 0x0113},
      {SANSRTC_STUN_SEND, SANSRTC_STUN_INDICATION, 0x0016},
      {SANSRTC_STUN_DATA, SANSRTC_STUN_INDICATION, 0x0017},
      {SANSRTC_STUN_CHANNEL_BIND, SANSRTC_STUN_SUCCESS, 0x0109},
      {0xFFF, SANSRTC_STUN_ERROR, 0x3FFF},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t buf[20];
    sansrtc_stun_writer w;
    sansrtc_stun_writer_init(&w, buf, sizeof buf, cases[i].method,
                             cases[i].klass, rfc_txid);
    size_t len;
    ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
    ck_assert_uint_eq(len, 20);
    ck_assert_uint_eq((unsigned)buf[0] << 8 | buf[1], cases[i].wire);
    sansrtc_stun_msg m;
    ck_assert_int_eq(sansrtc_stun_decode(&m, buf, len), SANSRTC_OK);
    ck_assert_uint_eq(m.method, cases[i].method);
    ck_assert_int_eq(m.klass, cases[i].klass);
  }
  /* Every method and class round-trips. */
  for (unsigned method = 0; method <= 0xFFF; method++) {
    for (int klass = 0; klass < 4; klass++) {
      uint8_t buf[20];
      sansrtc_stun_writer w;
      sansrtc_stun_writer_init(&w, buf, sizeof buf, (uint16_t)method,
                               (sansrtc_stun_class)klass, rfc_txid);
      sansrtc_stun_msg m;
      ck_assert_int_eq(sansrtc_stun_decode(&m, buf, 20), SANSRTC_OK);
      ck_assert_uint_eq(m.method, method);
      ck_assert_int_eq(m.klass, klass);
    }
  }
}
END_TEST

START_TEST(test_is_stun) {
  uint8_t buf[sizeof rfc_request];
  memcpy(buf, rfc_request, sizeof buf);
  ck_assert(sansrtc_stun_is_stun(buf, sizeof buf));
  ck_assert(!sansrtc_stun_is_stun(buf, sizeof buf - 4));
  ck_assert(!sansrtc_stun_is_stun(buf, 19));
  ck_assert(!sansrtc_stun_is_stun(NULL, 108));
  buf[0] = 0x40; /* RFC 7983: not STUN (ZRTP/DTLS/RTP ranges) */
  ck_assert(!sansrtc_stun_is_stun(buf, sizeof buf));
  memcpy(buf, rfc_request, sizeof buf);
  buf[4] ^= 1; /* magic cookie */
  ck_assert(!sansrtc_stun_is_stun(buf, sizeof buf));
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, buf, sizeof buf),
                   SANSRTC_ERR_NOT_STUN);
  ck_assert_int_eq(sansrtc_stun_decode(NULL, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_decode(&m, NULL, 4),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_decode(&m, NULL, 0), SANSRTC_ERR_NOT_STUN);
}
END_TEST

/* Every truncation of a valid message is rejected without over-reading. */
START_TEST(test_truncation) {
  for (size_t len = 0; len < sizeof rfc_request; len++) {
    uint8_t *copy = malloc(len > 0 ? len : 1); /* exact size for valgrind */
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, rfc_request, len);
    sansrtc_stun_msg m;
    int rc = sansrtc_stun_decode(&m, copy, len);
    ck_assert_msg(rc == SANSRTC_ERR_NOT_STUN || rc == SANSRTC_ERR_MALFORMED,
                  "length %zu gave %d", len, rc);
    /* Also with the header length patched to match the truncation. */
    if (len >= 20 && len % 4 == 0) {
      copy[2] = (uint8_t)((len - 20) >> 8);
      copy[3] = (uint8_t)(len - 20);
      rc = sansrtc_stun_decode(&m, copy, len);
      if (rc == SANSRTC_OK) {
        /* A cut on an attribute boundary is a valid, shorter message; it
         * must then fail integrity or lack it. */
        ck_assert(sansrtc_stun_check_integrity(&m, pwd(),
                                               strlen(rfc_password)) !=
                      SANSRTC_OK ||
                  sansrtc_stun_check_fingerprint(&m) != SANSRTC_OK);
      } else {
        ck_assert_int_eq(rc, SANSRTC_ERR_MALFORMED);
      }
    }
    free(copy);
  }
}
END_TEST

/* Flipping any single bit of the RFC request is detected: by the decoder,
 * the integrity check or the fingerprint. */
START_TEST(test_tamper_every_bit) {
  uint8_t buf[sizeof rfc_request];
  for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
    memcpy(buf, rfc_request, sizeof buf);
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    sansrtc_stun_msg m;
    if (sansrtc_stun_decode(&m, buf, sizeof buf) != SANSRTC_OK) continue;
    int accepted =
        sansrtc_stun_check_integrity(&m, pwd(), strlen(rfc_password)) ==
            SANSRTC_OK &&
        sansrtc_stun_check_fingerprint(&m) == SANSRTC_OK;
    ck_assert_msg(!accepted, "bit %zu flipped went unnoticed", bit);
  }
}
END_TEST

/* Builds a message of header + the given attribute bytes. */
static size_t build(uint8_t *out, uint16_t type, const uint8_t *attrs,
                    size_t attrs_len) {
  out[0] = (uint8_t)(type >> 8);
  out[1] = (uint8_t)type;
  out[2] = (uint8_t)(attrs_len >> 8);
  out[3] = (uint8_t)attrs_len;
  memcpy(out + 4, "\x21\x12\xa4\x42", 4);
  memcpy(out + 8, rfc_txid, 12);
  memcpy(out + 20, attrs, attrs_len);
  return 20 + attrs_len;
}

static int decode_attrs(sansrtc_stun_msg *m, uint8_t *buf, const void *attrs,
                        size_t attrs_len) {
  size_t len = build(buf, 0x0001, attrs, attrs_len);
  return sansrtc_stun_decode(m, buf, len);
}

START_TEST(test_malformed_attributes) {
  static const struct {
    const char *what;
    const char *attrs;
    size_t len;
  } bad[] = {
      {"attribute longer than message", "\x00\x06\x00\x05\x41\x41\x41\x41", 8},
      {"priority too short", "\x00\x24\x00\x02\x00\x01\x00\x00", 8},
      {"ice-controlling too short", "\x80\x2a\x00\x04\x00\x00\x00\x01", 8},
      {"use-candidate with value", "\x00\x25\x00\x04\x00\x00\x00\x01", 8},
      {"address family 3", "\x00\x20\x00\x08\x00\x03\x00\x01\x01\x02\x03\x04",
       12},
      {"ipv4 address with v6 length",
       "\x00\x20\x00\x14\x00\x01\x00\x01\x01\x02\x03\x04\x00\x00\x00\x00"
       "\x00\x00\x00\x00\x00\x00\x00\x00",
       24},
      {"address too short", "\x00\x01\x00\x02\x00\x01\x00\x00", 8},
      {"error class 7", "\x00\x09\x00\x04\x00\x00\x07\x00", 8},
      {"error number 100", "\x00\x09\x00\x04\x00\x00\x04\x64", 8},
      {"error code too short", "\x00\x09\x00\x02\x00\x00\x00\x00", 8},
      {"odd unknown-attributes", "\x00\x0a\x00\x03\x00\x01\x00\x00", 8},
      {"fingerprint length 2", "\x80\x28\x00\x02\x00\x00\x00\x00", 8},
      {"integrity length 16",
       "\x00\x08\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x00\x00\x00",
       20},
      {"integrity-sha256 length 12",
       "\x00\x1c\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16},
      {"attribute after fingerprint",
       "\x80\x28\x00\x04\x00\x00\x00\x00\x80\x22\x00\x00", 12},
      {"lifetime length 8",
       "\x00\x0d\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00", 12},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t buf[64];
    sansrtc_stun_msg m;
    int rc = decode_attrs(&m, buf, bad[i].attrs, bad[i].len);
    ck_assert_msg(rc == SANSRTC_ERR_MALFORMED, "%s: %d", bad[i].what, rc);
  }
  /* Header length not a multiple of four. */
  uint8_t buf[64];
  size_t len = build(buf, 0x0001, (const uint8_t *)"\x80\x22\x00\x02" "ab", 6);
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, buf, len), SANSRTC_ERR_MALFORMED);
  /* Header length disagreeing with the datagram. */
  len = build(buf, 0x0001, (const uint8_t *)"\x80\x22\x00\x00", 4);
  ck_assert_int_eq(sansrtc_stun_decode(&m, buf, len + 4),
                   SANSRTC_ERR_MALFORMED);
}
END_TEST

START_TEST(test_attribute_rules) {
  uint8_t buf[128];
  sansrtc_stun_msg m;
  /* First occurrence wins. */
  ck_assert_int_eq(decode_attrs(&m, buf,
                                "\x00\x24\x00\x04\x00\x00\x00\x07"
                                "\x00\x24\x00\x04\x00\x00\x00\x09",
                                16),
                   SANSRTC_OK);
  ck_assert_uint_eq(m.priority, 7);
  /* Unknown comprehension-required attributes are reported (at most 8),
   * unknown optional ones are not. */
  uint8_t attrs[4 * 12];
  for (int i = 0; i < 10; i++) {
    attrs[4 * i] = 0x7f;
    attrs[4 * i + 1] = (uint8_t)i;
    attrs[4 * i + 2] = 0;
    attrs[4 * i + 3] = 0;
  }
  memcpy(attrs + 40, "\xc0\x01\x00\x00\x80\x55\x00\x00", 8);
  ck_assert_int_eq(decode_attrs(&m, buf, attrs, sizeof attrs), SANSRTC_OK);
  ck_assert_uint_eq(m.unknown_required_count, SANSRTC_STUN_MAX_UNKNOWN);
  ck_assert_uint_eq(m.unknown_required[0], 0x7f00);
  ck_assert_uint_eq(m.unknown_required[7], 0x7f07);
  /* After MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
   * count; anything else, even malformed, is ignored. */
  uint8_t after_mi[24 + 8 + 36 + 8];
  memset(after_mi, 0, sizeof after_mi);
  memcpy(after_mi, "\x00\x08\x00\x14", 4);
  memcpy(after_mi + 24, "\x00\x24\x00\x02\x00\x00\x00\x00", 8);
  memcpy(after_mi + 32, "\x00\x1c\x00\x20", 4);
  memcpy(after_mi + 68, "\x80\x28\x00\x04", 4);
  ck_assert_int_eq(decode_attrs(&m, buf, after_mi, sizeof after_mi),
                   SANSRTC_OK);
  ck_assert(!sansrtc_stun_has(&m, SANSRTC_STUN_HAS_PRIORITY));
  ck_assert_uint_eq(m.integrity_offset, 20);
  ck_assert_uint_eq(m.integrity_sha256_offset, 52);
  ck_assert_uint_eq(m.fingerprint_offset, 88);
  /* A second MESSAGE-INTEGRITY after the first is ignored, not taken. */
  uint8_t two_mi[48];
  memset(two_mi, 0, sizeof two_mi);
  memcpy(two_mi, "\x00\x08\x00\x14", 4);
  memcpy(two_mi + 24, "\x00\x08\x00\x14", 4);
  ck_assert_int_eq(decode_attrs(&m, buf, two_mi, sizeof two_mi), SANSRTC_OK);
  ck_assert_uint_eq(m.integrity_offset, 20);
  /* Non-zero padding is accepted (RFC 5769 pads with spaces). */
  ck_assert_int_eq(decode_attrs(&m, buf, "\x00\x06\x00\x01zzzz", 8),
                   SANSRTC_OK);
  ck_assert(bytes_eq(m.username, "z"));
}
END_TEST

START_TEST(test_next_attr) {
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, rfc_request, sizeof rfc_request),
                   SANSRTC_OK);
  static const uint16_t want[] = {
      SANSRTC_STUN_ATTR_SOFTWARE,       SANSRTC_STUN_ATTR_PRIORITY,
      SANSRTC_STUN_ATTR_ICE_CONTROLLED, SANSRTC_STUN_ATTR_USERNAME,
      SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY, SANSRTC_STUN_ATTR_FINGERPRINT};
  size_t off = 0, n = 0;
  uint16_t type;
  sansrtc_stun_bytes value;
  while (sansrtc_stun_next_attr(&m, &off, &type, &value)) {
    ck_assert_uint_lt(n, 6);
    ck_assert_uint_eq(type, want[n]);
    if (type == SANSRTC_STUN_ATTR_USERNAME) ck_assert_uint_eq(value.len, 9);
    n++;
  }
  ck_assert_uint_eq(n, 6);
  ck_assert_uint_eq(off, sizeof rfc_request);
  ck_assert(!sansrtc_stun_next_attr(NULL, &off, &type, &value));
}
END_TEST

/* Every attribute the writer knows round-trips through the decoder. */
START_TEST(test_writer_roundtrip) {
  uint8_t buf[512];
  sansrtc_stun_writer w;
  sansrtc_addr v4 = addr_of("203.0.113.7", 3478);
  sansrtc_addr v6 = addr_of("2001:db8::42", 65535);
  const uint16_t unknown[3] = {0x7001, 0x7002, 0x0003};
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_ALLOCATE,
                           SANSRTC_STUN_ERROR, rfc_txid);
  sansrtc_stun_writer_add_addr(&w, SANSRTC_STUN_ATTR_MAPPED_ADDRESS, &v6);
  sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                   &v4);
  sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_PEER_ADDRESS,
                                   &v6);
  sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                   &v4);
  sansrtc_stun_writer_add_error(&w, 420, NULL);
  sansrtc_stun_writer_add_unknown(&w, unknown, 3);
  sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_LIFETIME, 600);
  sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_CHANNEL_NUMBER,
                              0x40010000u);
  sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_REQUESTED_TRANSPORT,
                              17u << 24);
  sansrtc_stun_writer_add(&w, SANSRTC_STUN_ATTR_DATA, "\x01\x02\x03", 3);
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_REALM, "realm");
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_NONCE, "nonce!");
  sansrtc_stun_writer_add_u64(&w, SANSRTC_STUN_ATTR_ICE_CONTROLLING, 42);
  sansrtc_stun_writer_add_flag(&w, SANSRTC_STUN_ATTR_USE_CANDIDATE);
  sansrtc_stun_writer_add_integrity(&w, pwd(), strlen(rfc_password));
  sansrtc_stun_writer_add_integrity_sha256(&w, pwd(), strlen(rfc_password));
  sansrtc_stun_writer_add_fingerprint(&w);
  size_t len;
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  ck_assert_uint_eq(len % 4, 0);

  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, buf, len), SANSRTC_OK);
  ck_assert_uint_eq(m.method, SANSRTC_STUN_ALLOCATE);
  ck_assert_int_eq(m.klass, SANSRTC_STUN_ERROR);
  ck_assert(sansrtc_addr_equal(&m.mapped_address, &v6));
  ck_assert(sansrtc_addr_equal(&m.xor_mapped_address, &v4));
  ck_assert(sansrtc_addr_equal(&m.xor_peer_address, &v6));
  ck_assert(sansrtc_addr_equal(&m.xor_relayed_address, &v4));
  ck_assert_uint_eq(m.error_code, 420);
  ck_assert(bytes_eq(m.error_reason, "Unknown Attribute"));
  ck_assert_uint_eq(m.unknown_attributes_count, 3);
  ck_assert_uint_eq(m.unknown_attributes[2], 0x0003);
  ck_assert_uint_eq(m.lifetime, 600);
  ck_assert_uint_eq(m.channel_number, 0x4001);
  ck_assert_uint_eq(m.requested_transport, 17);
  ck_assert_uint_eq(m.data.len, 3);
  ck_assert_mem_eq(m.data.data, "\x01\x02\x03", 3);
  ck_assert(bytes_eq(m.realm, "realm"));
  ck_assert(bytes_eq(m.nonce, "nonce!"));
  ck_assert(m.ice_controlling == 42);
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_USE_CANDIDATE));
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, pwd(), strlen(rfc_password)),
                   SANSRTC_OK);
  ck_assert_int_eq(
      sansrtc_stun_check_integrity_sha256(&m, pwd(), strlen(rfc_password)),
      SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(&m), SANSRTC_OK);
  ck_assert_str_eq(sansrtc_stun_describe(m.method, m.klass),
                   "Allocate error response");
}
END_TEST

/* The encoder's XOR-MAPPED-ADDRESS matches RFC 5769 2.2 and 2.3 bytes, and
 * the integrity it writes verifies against an independent HMAC. */
START_TEST(test_writer_matches_vectors) {
  uint8_t buf[128];
  sansrtc_addr v6 = addr_of("2001:db8:1234:5678:11:2233:4455:6677", 32853);
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_BINDING,
                           SANSRTC_STUN_SUCCESS, rfc_txid);
  sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                   &v6);
  size_t len;
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, 44);
  ck_assert_mem_eq(buf + 20, rfc_response_v6 + 36, 24);

  /* A key longer than the HMAC block is hashed first (RFC 2104). */
  uint8_t long_key[100];
  for (size_t i = 0; i < sizeof long_key; i++) long_key[i] = (uint8_t)i;
  sansrtc_stun_writer_add_integrity(&w, long_key, sizeof long_key);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  uint8_t mac[20];
  unsigned int mac_len = 0;
  ck_assert_ptr_nonnull(HMAC(EVP_sha1(), long_key, sizeof long_key, buf,
                             len - 24, mac, &mac_len));
  ck_assert_mem_eq(buf + len - 20, mac, 20);
}
END_TEST

START_TEST(test_writer_errors) {
  uint8_t buf[64];
  sansrtc_stun_writer w;
  size_t len = 99;
  /* Too small for the header. */
  sansrtc_stun_writer_init(&w, buf, 19, SANSRTC_STUN_BINDING,
                           SANSRTC_STUN_REQUEST, rfc_txid);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(len, 99);
  /* Bad arguments. */
  sansrtc_stun_writer_init(&w, NULL, 64, 1, SANSRTC_STUN_REQUEST, rfc_txid);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_stun_writer_init(&w, buf, 64, 0x1000, SANSRTC_STUN_REQUEST,
                           rfc_txid);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_stun_writer_init(&w, buf, 64, 1, SANSRTC_STUN_REQUEST, NULL);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_writer_finish(NULL, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);

  /* Each bad add is sticky: later adds do nothing. */
  sansrtc_addr none;
  memset(&none, 0, sizeof none);
  for (int which = 0; which < 6; which++) {
    sansrtc_stun_writer_init(&w, buf, sizeof buf, 1, SANSRTC_STUN_REQUEST,
                             rfc_txid);
    switch (which) {
    case 0: sansrtc_stun_writer_add_addr(&w, 1, &none); break;
    case 1: sansrtc_stun_writer_add_error(&w, 299, "x"); break;
    case 2: sansrtc_stun_writer_add_error(&w, 700, NULL); break;
    case 3: sansrtc_stun_writer_add_string(&w, 6, NULL); break;
    case 4: sansrtc_stun_writer_add(&w, 6, NULL, 3); break;
    default: sansrtc_stun_writer_add_unknown(&w, NULL, 2); break;
    }
    size_t before = w.len;
    sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_PRIORITY, 1);
    ck_assert_uint_eq(w.len, before);
    ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                     SANSRTC_ERR_INVALID_ARGUMENT);
  }
  /* Values over 65531 bytes are refused. */
  static uint8_t big[70000];
  uint8_t *huge = malloc(70100);
  ck_assert_ptr_nonnull(huge);
  sansrtc_stun_writer_init(&w, huge, 70100, 1, SANSRTC_STUN_INDICATION,
                           rfc_txid);
  sansrtc_stun_writer_add(&w, SANSRTC_STUN_ATTR_DATA, big, 65532);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* The largest message body fits exactly; one more attribute does not. */
  sansrtc_stun_writer_init(&w, huge, 70100, 1, SANSRTC_STUN_INDICATION,
                           rfc_txid);
  sansrtc_stun_writer_add(&w, SANSRTC_STUN_ATTR_DATA, big, 65528);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, 20 + 65532);
  sansrtc_stun_writer_add_flag(&w, SANSRTC_STUN_ATTR_USE_CANDIDATE);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  free(huge);
}
END_TEST

/* A full ICE request fails cleanly at every buffer size below its length. */
START_TEST(test_writer_every_capacity) {
  uint8_t full[256];
  size_t need = 0;
  for (size_t cap = 0; cap <= sizeof full; cap++) {
    uint8_t *buf = malloc(cap > 0 ? cap : 1);
    ck_assert_ptr_nonnull(buf);
    sansrtc_stun_writer w;
    sansrtc_stun_writer_init(&w, buf, cap, SANSRTC_STUN_BINDING,
                             SANSRTC_STUN_REQUEST, rfc_txid);
    sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_USERNAME,
                                   "evtj:h6vY");
    sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_PRIORITY, 0x6e0001ff);
    sansrtc_stun_writer_add_u64(&w, SANSRTC_STUN_ATTR_ICE_CONTROLLED, 1);
    sansrtc_stun_writer_add_integrity(&w, pwd(), strlen(rfc_password));
    sansrtc_stun_writer_add_fingerprint(&w);
    size_t len = 0;
    int rc = sansrtc_stun_writer_finish(&w, &len);
    if (need == 0 && rc == SANSRTC_OK) {
      need = len;
      ck_assert_uint_eq(cap, len);
      memcpy(full, buf, len);
    } else if (need == 0) {
      ck_assert_int_eq(rc, SANSRTC_ERR_BUFFER_TOO_SMALL);
    } else {
      ck_assert_int_eq(rc, SANSRTC_OK);
      ck_assert_mem_eq(buf, full, need);
    }
    free(buf);
  }
  ck_assert_uint_eq(need, 20 + 16 + 8 + 12 + 24 + 8);
}
END_TEST

START_TEST(test_describe) {
  ck_assert_str_eq(
      sansrtc_stun_describe(SANSRTC_STUN_BINDING, SANSRTC_STUN_REQUEST),
      "Binding request");
  ck_assert_str_eq(
      sansrtc_stun_describe(SANSRTC_STUN_CHANNEL_BIND, SANSRTC_STUN_SUCCESS),
      "ChannelBind success response");
  ck_assert_str_eq(sansrtc_stun_describe(0x0FF, SANSRTC_STUN_REQUEST),
                   "unknown STUN method");
  ck_assert_str_eq(
      sansrtc_stun_describe(SANSRTC_STUN_BINDING, (sansrtc_stun_class)9),
      "unknown STUN class");
}
END_TEST

START_TEST(test_check_arguments) {
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, rfc_request, sizeof rfc_request),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_integrity(NULL, pwd(), 3),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, NULL, 3),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, NULL, 0),
                   SANSRTC_ERR_INTEGRITY);
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_stun_check_integrity_sha256(NULL, pwd(), 3),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

/* Random attribute soup behind a valid header: never a crash or over-read,
 * and every accepted message's views lie inside the buffer. */
START_TEST(test_random_attributes) {
  uint32_t seed = 12345;
  for (int iter = 0; iter < 20000; iter++) {
    size_t body = (lcg_next(&seed) % 64) * 4;
    uint8_t *buf = malloc(20 + body);
    ck_assert_ptr_nonnull(buf);
    uint8_t attrs[256];
    for (size_t i = 0; i < body; i++) attrs[i] = (uint8_t)lcg_next(&seed);
    /* Bias toward plausible attribute headers. */
    for (size_t off = 0; off + 4 <= body; off += 4 + (lcg_next(&seed) % 5) * 4) {
      static const uint16_t types[] = {0x0001, 0x0006, 0x0008, 0x0009, 0x000a,
                                       0x0020, 0x0024, 0x0025, 0x8028, 0x8029,
                                       0x802a, 0x001c, 0x0013, 0x7777};
      uint16_t t = types[lcg_next(&seed) % (sizeof types / sizeof types[0])];
      attrs[off] = (uint8_t)(t >> 8);
      attrs[off + 1] = (uint8_t)t;
      attrs[off + 2] = 0;
      attrs[off + 3] = (uint8_t)(lcg_next(&seed) % 40);
    }
    size_t len = build(buf, (uint16_t)(lcg_next(&seed) & 0x3FFF), attrs, body);
    sansrtc_stun_msg m;
    if (sansrtc_stun_decode(&m, buf, len) == SANSRTC_OK) {
      ck_assert(m.username.len == 0 ||
                (m.username.data >= buf &&
                 m.username.data + m.username.len <= buf + len));
      ck_assert(m.error_reason.len == 0 ||
                m.error_reason.data + m.error_reason.len <= buf + len);
      (void)sansrtc_stun_check_integrity(&m, pwd(), 4);
      (void)sansrtc_stun_check_integrity_sha256(&m, pwd(), 4);
      (void)sansrtc_stun_check_fingerprint(&m);
      size_t off = 0;
      uint16_t type;
      sansrtc_stun_bytes v;
      while (sansrtc_stun_next_attr(&m, &off, &type, &v))
        ck_assert(v.data + v.len <= buf + len);
    }
    free(buf);
  }
}
END_TEST

Suite *stun_suite(void) {
  Suite *s = suite_create("stun");
  TCase *tc = tcase_create("stun");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_rfc5769_request);
  tcase_add_test(tc, test_rfc5769_responses);
  tcase_add_test(tc, test_rfc5769_long_term);
  tcase_add_test(tc, test_writer_reproduces_long_term);
  tcase_add_test(tc, test_rfc8489_sha256);
  tcase_add_test(tc, test_crc32);
  tcase_add_test(tc, test_message_types);
  tcase_add_test(tc, test_is_stun);
  tcase_add_test(tc, test_truncation);
  tcase_add_test(tc, test_tamper_every_bit);
  tcase_add_test(tc, test_malformed_attributes);
  tcase_add_test(tc, test_attribute_rules);
  tcase_add_test(tc, test_next_attr);
  tcase_add_test(tc, test_writer_roundtrip);
  tcase_add_test(tc, test_writer_matches_vectors);
  tcase_add_test(tc, test_writer_errors);
  tcase_add_test(tc, test_writer_every_capacity);
  tcase_add_test(tc, test_describe);
  tcase_add_test(tc, test_check_arguments);
  tcase_add_test(tc, test_random_attributes);
  suite_add_tcase(s, tc);
  return s;
}
