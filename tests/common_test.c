/* Tests for lib/common.c: error strings and address helpers. */
#include <string.h>

#include <sansrtc/common.h>

#include "suites.h"

START_TEST(test_strerror_covers_every_code) {
  for (int e = SANSRTC_ERR_REPLAY; e <= SANSRTC_OK; e++) {
    const char *s = sansrtc_strerror(e);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_ne(s, "unknown error");
  }
  ck_assert_str_eq(sansrtc_strerror(-9999), "unknown error");
  ck_assert_str_eq(sansrtc_strerror(SANSRTC_ERR_REPLAY),
                   "replayed or too old packet");
  ck_assert_str_eq(sansrtc_strerror(SANSRTC_ERR_INTEGRITY),
                   "integrity check failed");
  ck_assert_str_eq(sansrtc_strerror(SANSRTC_ERR_REPLAY - 1), "unknown error");
  ck_assert_str_eq(sansrtc_strerror(12), "unknown error");
}
END_TEST

START_TEST(test_addr_parse_and_format_v4) {
  sansrtc_addr a;
  char buf[SANSRTC_ADDR_STRLEN];
  ck_assert_int_eq(sansrtc_addr_parse(&a, "192.0.2.1", 32853), SANSRTC_OK);
  ck_assert_int_eq(a.family, SANSRTC_AF_IPV4);
  ck_assert_int_eq(a.port, 32853);
  ck_assert_str_eq(sansrtc_addr_format(&a, buf, sizeof buf), "192.0.2.1:32853");
  ck_assert_str_eq(sansrtc_addr_format_ip(&a, buf, sizeof buf), "192.0.2.1");
}
END_TEST

START_TEST(test_addr_parse_and_format_v6) {
  sansrtc_addr a;
  char buf[SANSRTC_ADDR_STRLEN];
  ck_assert_int_eq(sansrtc_addr_parse(&a, "2001:db8:1234:5678:11:2233:4455:6677", 65535), SANSRTC_OK);
  ck_assert_int_eq(a.family, SANSRTC_AF_IPV6);
  ck_assert_str_eq(sansrtc_addr_format(&a, buf, sizeof buf),
                   "[2001:db8:1234:5678:11:2233:4455:6677]:65535");
  /* The longest form still fits the advertised size. */
  ck_assert_int_eq(sansrtc_addr_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535), SANSRTC_OK);
  sansrtc_addr_format(&a, buf, sizeof buf);
  ck_assert_uint_lt(strlen(buf), SANSRTC_ADDR_STRLEN);
}
END_TEST

START_TEST(test_addr_parse_rejects_names_and_garbage) {
  sansrtc_addr a;
  memset(&a, 0x5a, sizeof a);
  sansrtc_addr before = a;
  ck_assert_int_eq(sansrtc_addr_parse(&a, "localhost", 1), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_addr_parse(&a, "1.2.3.4.5", 1), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_addr_parse(&a, "", 1), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_addr_parse(&a, "[::1]", 1), SANSRTC_ERR_MALFORMED);
  ck_assert_mem_eq(&a, &before, sizeof a); /* untouched on failure */
  ck_assert_int_eq(sansrtc_addr_parse(NULL, "::1", 1), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_addr_parse(&a, NULL, 1), SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_addr_equal) {
  sansrtc_addr a, b, c;
  sansrtc_addr_parse(&a, "127.0.0.1", 1000);
  sansrtc_addr_parse(&b, "127.0.0.1", 1001);
  sansrtc_addr_parse(&c, "::1", 1000);
  ck_assert_int_eq(sansrtc_addr_equal(&a, &a), 1);
  ck_assert_int_eq(sansrtc_addr_equal(&a, &b), 0);
  ck_assert_int_eq(sansrtc_addr_equal_ip(&a, &b), 1);
  ck_assert_int_eq(sansrtc_addr_equal_ip(&a, &c), 0);
  ck_assert_int_eq(sansrtc_addr_equal(&a, NULL), 0);
  char buf[8];
  sansrtc_addr none;
  memset(&none, 0, sizeof none);
  ck_assert_str_eq(sansrtc_addr_format(&none, buf, sizeof buf), "-");
  /* Truncation is safe. */
  ck_assert_uint_eq(strlen(sansrtc_addr_format(&a, buf, sizeof buf)), 7);
}
END_TEST

START_TEST(test_packet_classify_rfc7983) {
  uint8_t p[32];
  memset(p, 0, sizeof p);
  static const struct {
    uint8_t first, second;
    size_t len;
    sansrtc_packet_kind kind;
  } cases[] = {
      {0, 1, 20, SANSRTC_PACKET_STUN},     {3, 0, 20, SANSRTC_PACKET_STUN},
      {1, 1, 19, SANSRTC_PACKET_UNKNOWN},  {4, 0, 32, SANSRTC_PACKET_UNKNOWN},
      {16, 0, 4, SANSRTC_PACKET_ZRTP},     {19, 0, 4, SANSRTC_PACKET_ZRTP},
      {20, 0, 13, SANSRTC_PACKET_DTLS},    {22, 0xFE, 13, SANSRTC_PACKET_DTLS},
      {63, 0, 32, SANSRTC_PACKET_DTLS},    {23, 0, 12, SANSRTC_PACKET_UNKNOWN},
      {64, 0, 4, SANSRTC_PACKET_TURN_CHANNEL},
      {79, 0, 4, SANSRTC_PACKET_TURN_CHANNEL},
      {64, 0, 3, SANSRTC_PACKET_UNKNOWN},  {80, 0, 32, SANSRTC_PACKET_UNKNOWN},
      {127, 0, 32, SANSRTC_PACKET_UNKNOWN},
      {128, 96, 12, SANSRTC_PACKET_RTP},   {0x80, 0xE0, 12, SANSRTC_PACKET_RTP},
      {0x80, 111, 11, SANSRTC_PACKET_UNKNOWN},
      {0x80, 200, 8, SANSRTC_PACKET_RTCP}, {0x81, 205, 12, SANSRTC_PACKET_RTCP},
      {0xBF, 223, 8, SANSRTC_PACKET_RTCP}, {0x80, 201, 7, SANSRTC_PACKET_UNKNOWN},
      {192, 0, 32, SANSRTC_PACKET_UNKNOWN}, {255, 0, 32, SANSRTC_PACKET_UNKNOWN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    p[0] = cases[i].first;
    p[1] = cases[i].second;
    ck_assert_msg(sansrtc_packet_classify(p, cases[i].len) == cases[i].kind,
                  "case %zu", i);
  }
  ck_assert_int_eq(sansrtc_packet_classify(NULL, 10), SANSRTC_PACKET_UNKNOWN);
  ck_assert_int_eq(sansrtc_packet_classify(p, 0), SANSRTC_PACKET_UNKNOWN);
}
END_TEST

Suite *common_suite(void) {
  Suite *s = suite_create("common");
  TCase *tc = tcase_create("addr");
  tcase_add_test(tc, test_strerror_covers_every_code);
  tcase_add_test(tc, test_packet_classify_rfc7983);
  tcase_add_test(tc, test_addr_parse_and_format_v4);
  tcase_add_test(tc, test_addr_parse_and_format_v6);
  tcase_add_test(tc, test_addr_parse_rejects_names_and_garbage);
  tcase_add_test(tc, test_addr_equal);
  suite_add_tcase(s, tc);
  return s;
}
