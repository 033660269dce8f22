/*
 * Tests of the samples' signaling JSON reader (samples/sample_json.h):
 * the W3C shapes, escapes including \u as UTF-8 and surrogate pairs, and
 * hostile input that must be refused, not misread. (Fuzzed too.)
 */
#include <stdlib.h>
#include <string.h>

#include "../samples/sample_json.h"
#include "suites.h"

START_TEST(test_w3c_shapes_and_escapes) {
  char *s = NULL;
  long n = 0;
  const char *cand = "{\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\","
                     "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";
  ck_assert_int_eq(json_get(cand, "sdpMLineIndex", &s, &n), 2);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(json_get(cand, "sdpMid", &s, &n), 1);
  ck_assert_str_eq(s, "0");
  free(s);
  ck_assert_int_eq(json_get("{\"type\":\"offer\",\"sdp\":\"a\\r\\nb\\\"\\\\\\/\"}", "sdp", &s, &n), 1);
  ck_assert_str_eq(s, "a\r\nb\"\\/");
  free(s);
  ck_assert_int_eq(json_get("{\"d\":\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}", "d", &s, &n), 1);
  ck_assert_str_eq(s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  free(s);
  ck_assert_int_eq(json_get("{\"a\":true,\"b\":null,\"c\":-1.5e3}", "x", &s, &n), 0);
}
END_TEST

/* What the writer writes, the reader reads back unchanged. */
START_TEST(test_write_read_round_trip) {
  const char *text = "v=0\r\na=\"x\"\t\\ \x01 \xc3\xa9";
  char *json = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&json, &size);
  ck_assert_ptr_nonnull(f);
  fputs("{\"sdp\":", f);
  json_write_string(f, text);
  fputs("}", f);
  fclose(f);
  char *s = NULL;
  long n = 0;
  ck_assert_int_eq(json_get(json, "sdp", &s, &n), 1);
  ck_assert_str_eq(s, text);
  free(s);
  free(json);
}
END_TEST

START_TEST(test_hostile_input_refused) {
  static const char *const bad[] = {
      "", "[]", "{\"d\":\"open", "{\"d\":\"\\ud83d\"}", "{\"d\":\"\\ude00\"}",
      "{\"d\":\"\\ud83d\\u0041\"}", "{\"d\":\"\\u12\"}", "{\"d\":\"\\x\"}",
      "{\"d\" \"x\"}", "{\"d\":{\"nested\":1}}", "{d:1}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *s = NULL;
    long n = 0;
    ck_assert_msg(json_get(bad[i], "d", &s, &n) == -1, "accepted: %s", bad[i]);
    ck_assert_ptr_null(s);
  }
}
END_TEST

Suite *sample_json_suite(void) {
  Suite *s = suite_create("sample_json");
  TCase *tc = tcase_create("sample_json");
  tcase_add_test(tc, test_w3c_shapes_and_escapes);
  tcase_add_test(tc, test_write_read_round_trip);
  tcase_add_test(tc, test_hostile_input_refused);
  suite_add_tcase(s, tc);
  return s;
}
