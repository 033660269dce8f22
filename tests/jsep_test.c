/*
 * jsep_test.c - building local descriptions and reading remote ones
 * (lib/jsep.c), on our own descriptions, hand-made edge cases and the real
 * browser descriptions in tests/fixtures/sdp/.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsep.h"
#include "suites.h"

#define FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

static void local_fixture(jsep_local *l, sansrtc_ice_candidate *c) {
  memset(l, 0, sizeof *l);
  l->session_id = 4611686018427387903ull;
  l->session_version = 2;
  l->ice_ufrag = "uFrg";
  l->ice_pwd = "0123456789abcdefghijkl";
  l->fingerprint_algo = "sha-256";
  l->fingerprint = FP;
  l->setup = "actpass";
  l->mid = "0";
  l->sctp_port = 5000;
  l->max_message_size = 262144;
  ck_assert_int_eq(sansrtc_ice_candidate_parse(
                       c, "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host"),
                   SANSRTC_OK);
  l->candidates = c;
  l->candidate_count = 1;
  l->end_of_candidates = 1;
}

static char *write_text(const sansrtc_sdp *sdp) {
  size_t len = 0;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len), SANSRTC_ERR_BUFFER_TOO_SMALL);
  char *text = malloc(len + 1);
  ck_assert_ptr_nonnull(text);
  ck_assert_int_eq(sansrtc_sdp_write(sdp, text, len + 1, &len), SANSRTC_OK);
  return text;
}

static sansrtc_sdp *parse_text(const char *text) {
  sansrtc_sdp *sdp = NULL;
  sansrtc_sdp_error err;
  int rc = sansrtc_sdp_parse(&sdp, text, strlen(text), &err);
  ck_assert_msg(rc == SANSRTC_OK, "parse: %s", err.message);
  return sdp;
}

START_TEST(test_offer_reads_back) {
  jsep_local l;
  sansrtc_ice_candidate c;
  local_fixture(&l, &c);
  sansrtc_sdp *offer;
  ck_assert_int_eq(jsep_build_offer(&l, &offer), SANSRTC_OK);
  char *text = write_text(offer);
  ck_assert_ptr_nonnull(strstr(text, "v=0\r\no=- 4611686018427387903 2 IN IP4 127.0.0.1\r\n"));
  ck_assert_ptr_nonnull(strstr(text, "a=group:BUNDLE 0\r\n"));
  ck_assert_ptr_nonnull(strstr(text, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  ck_assert_ptr_nonnull(strstr(text, "a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host\r\n"));
  ck_assert_ptr_nonnull(strstr(text, "a=end-of-candidates\r\n"));
  ck_assert_ptr_nonnull(strstr(text, "a=ice-options:trickle\r\n"));
  sansrtc_sdp *again = parse_text(text);
  jsep_remote r;
  ck_assert_int_eq(jsep_read_remote(again, &r, NULL), SANSRTC_OK);
  ck_assert_uint_eq(r.media_index, 0);
  ck_assert_str_eq(r.mid, "0");
  ck_assert_str_eq(r.ice_ufrag, "uFrg");
  ck_assert_str_eq(r.ice_pwd, "0123456789abcdefghijkl");
  ck_assert_str_eq(r.fingerprint_algo, "sha-256");
  ck_assert_str_eq(r.fingerprint, FP);
  ck_assert_str_eq(r.setup, "actpass");
  ck_assert_uint_eq(r.sctp_port, 5000);
  ck_assert_uint_eq(r.max_message_size, 262144);
  ck_assert_int_eq(r.legacy_sctpmap, 0);
  ck_assert_int_eq(r.end_of_candidates, 1);
  ck_assert_int_eq(r.ice_lite, 0);
  free(text);
  sansrtc_sdp_free(offer);
  sansrtc_sdp_free(again);
}
END_TEST

static const char *const av_offer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE a v d\r\n"
    "a=ice-ufrag:sEsS\r\na=ice-pwd:sessionlevelpassword1234\r\n"
    "a=fingerprint:SHA-256 " FP "\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:d\r\na=setup:actpass\r\na=sctp-port:5001\r\n";

/* Session-level ICE and DTLS attributes; audio and video rejected with
 * their mids kept; the data section accepted; no a=max-message-size means
 * 64 KiB. */
START_TEST(test_answer_rejects_media_keeps_data) {
  sansrtc_sdp *offer = parse_text(av_offer);
  jsep_remote r;
  ck_assert_int_eq(jsep_read_remote(offer, &r, NULL), SANSRTC_OK);
  ck_assert_uint_eq(r.media_index, 2);
  ck_assert_str_eq(r.mid, "d");
  ck_assert_str_eq(r.ice_ufrag, "sEsS");
  ck_assert_str_eq(r.fingerprint_algo, "SHA-256");
  ck_assert_uint_eq(r.sctp_port, 5001);
  ck_assert_uint_eq(r.max_message_size, JSEP_DEFAULT_MAX_MESSAGE_SIZE);
  jsep_local l;
  sansrtc_ice_candidate c;
  local_fixture(&l, &c);
  l.setup = "active";
  sansrtc_sdp *answer;
  ck_assert_int_eq(jsep_build_answer(offer, &r, &l, &answer), SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_sdp_media_count(answer), 3);
  sansrtc_sdp_mline ml;
  ck_assert_int_eq(sansrtc_sdp_media_line(answer, 0, &ml), SANSRTC_OK);
  ck_assert_str_eq(ml.media, "audio");
  ck_assert_uint_eq(ml.port, 0);
  ck_assert_str_eq(sansrtc_sdp_attr(answer, 0, "mid", 0), "a");
  ck_assert_int_eq(sansrtc_sdp_media_line(answer, 1, &ml), SANSRTC_OK);
  ck_assert_uint_eq(ml.port, 0);
  ck_assert_str_eq(sansrtc_sdp_attr(answer, 1, "mid", 0), "v");
  ck_assert_int_eq(sansrtc_sdp_media_line(answer, 2, &ml), SANSRTC_OK);
  ck_assert_uint_eq(ml.port, 9);
  ck_assert_str_eq(ml.proto, "UDP/DTLS/SCTP");
  ck_assert_str_eq(sansrtc_sdp_attr(answer, 2, "mid", 0), "d");
  ck_assert_str_eq(sansrtc_sdp_attr(answer, 2, "setup", 0), "active");
  ck_assert_str_eq(sansrtc_sdp_attr(answer, SANSRTC_SDP_SESSION, "group", 0), "BUNDLE d");
  /* The answer reads back as a remote description. */
  char *text = write_text(answer);
  sansrtc_sdp *again = parse_text(text);
  jsep_remote back;
  ck_assert_int_eq(jsep_read_remote(again, &back, NULL), SANSRTC_OK);
  ck_assert_uint_eq(back.media_index, 2);
  ck_assert_str_eq(back.setup, "active");
  free(text);
  sansrtc_sdp_free(again);
  sansrtc_sdp_free(answer);
  sansrtc_sdp_free(offer);
}
END_TEST

/* The legacy form is read and answered in kind. */
START_TEST(test_legacy_sctpmap_form) {
  static const char *const legacy =
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:lEgA\r\na=ice-pwd:legacypassword12345678\r\n"
      "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=mid:data\r\n"
      "a=sctpmap:5000 webrtc-datachannel 1024\r\n";
  sansrtc_sdp *offer = parse_text(legacy);
  jsep_remote r;
  ck_assert_int_eq(jsep_read_remote(offer, &r, NULL), SANSRTC_OK);
  ck_assert_int_eq(r.legacy_sctpmap, 1);
  ck_assert_uint_eq(r.sctp_port, 5000);
  jsep_local l;
  sansrtc_ice_candidate c;
  local_fixture(&l, &c);
  l.setup = "active";
  sansrtc_sdp *answer;
  ck_assert_int_eq(jsep_build_answer(offer, &r, &l, &answer), SANSRTC_OK);
  char *text = write_text(answer);
  ck_assert_ptr_nonnull(strstr(text, "m=application 9 DTLS/SCTP 5000\r\n"));
  ck_assert_ptr_nonnull(strstr(text, "a=sctpmap:5000 webrtc-datachannel 1024\r\n"));
  ck_assert_ptr_null(strstr(text, "a=sctp-port"));
  ck_assert_ptr_nonnull(strstr(text, "a=mid:data\r\n"));
  free(text);
  sansrtc_sdp_free(answer);
  sansrtc_sdp_free(offer);
}
END_TEST

/* What must be there, and what is malformed. */
START_TEST(test_remote_errors_and_defaults) {
  static const char *const head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  static const struct {
    const char *body;
    int rc;
    const char *why;
  } cases[] = {
      {"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n", SANSRTC_ERR_NOT_FOUND, "no data channel"},
      {"m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n", SANSRTC_ERR_NOT_FOUND,
       "no data channel"},
      {"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-pwd:legacypassword12345678\r\n"
       "a=fingerprint:sha-256 " FP "\r\n",
       SANSRTC_ERR_MALFORMED, "ice-ufrag"},
      {"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\n"
       "a=ice-pwd:legacypassword12345678\r\n",
       SANSRTC_ERR_MALFORMED, "fingerprint"},
      {"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\n"
       "a=ice-pwd:legacypassword12345678\r\na=fingerprint:sha-256\r\n",
       SANSRTC_ERR_MALFORMED, "fingerprint"},
      {"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\n"
       "a=ice-pwd:legacypassword12345678\r\na=fingerprint:sha-256 " FP "\r\n"
       "a=sctp-port:70000\r\n",
       SANSRTC_ERR_MALFORMED, "sctp"},
      {"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\n"
       "a=ice-pwd:legacypassword12345678\r\na=fingerprint:sha-256 " FP "\r\n"
       "a=max-message-size:-1\r\n",
       SANSRTC_ERR_MALFORMED, "max-message-size"},
      {"m=application 9 DTLS/SCTP 5000\r\na=ice-ufrag:abcd\r\n"
       "a=ice-pwd:legacypassword12345678\r\na=fingerprint:sha-256 " FP "\r\n",
       SANSRTC_ERR_NOT_FOUND, "no data channel"}, /* legacy without sctpmap */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[2048];
    snprintf(text, sizeof text, "%s%s", head, cases[i].body);
    sansrtc_sdp *sdp = parse_text(text);
    jsep_remote r;
    const char *why = NULL;
    ck_assert_int_eq(jsep_read_remote(sdp, &r, &why), cases[i].rc);
    ck_assert_msg(why != NULL && strstr(why, cases[i].why) != NULL, "case %zu: %s", i,
                  why ? why : "(null)");
    sansrtc_sdp_free(sdp);
  }
  /* Defaults: no sctp-port is 5000; max-message-size 0 is "any". */
  char text[2048];
  snprintf(text, sizeof text,
           "%sa=ice-lite\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
           "a=ice-ufrag:abcd\r\na=ice-pwd:legacypassword12345678\r\n"
           "a=fingerprint:sha-256 " FP "\r\na=max-message-size:0\r\n",
           head);
  sansrtc_sdp *sdp = parse_text(text);
  jsep_remote r;
  ck_assert_int_eq(jsep_read_remote(sdp, &r, NULL), SANSRTC_OK);
  ck_assert_uint_eq(r.sctp_port, 5000);
  ck_assert_uint_eq(r.max_message_size, 0);
  ck_assert_int_eq(r.ice_lite, 1);
  ck_assert_str_eq(r.setup, "");
  ck_assert_str_eq(r.mid, "");
  sansrtc_sdp_free(sdp);
  ck_assert_int_eq(jsep_read_remote(NULL, &r, NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_sdp *out = NULL;
  ck_assert_int_eq(jsep_build_offer(NULL, &out), SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- real browser descriptions ------------------------------------------- */

static const char *fixture_dir(void) {
  const char *d = getenv("SANSRTC_TEST_FIXTURES");
  return d != NULL ? d : "tests/fixtures";
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char *buf = malloc(256 * 1024);
  ck_assert_ptr_nonnull(buf);
  size_t n = fread(buf, 1, 256 * 1024 - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

static int candidate_counter(void *user, const char *line) {
  sansrtc_ice_candidate c;
  int rc = sansrtc_ice_candidate_parse(&c, line);
  ck_assert_msg(rc == SANSRTC_OK || rc == SANSRTC_ERR_UNSUPPORTED, "candidate %s", line);
  (*(int *)user)++;
  return 0;
}

/* Every captured browser description: its data section reads, offers are
 * answered (and the answer reads back), answers name a DTLS role. */
START_TEST(test_browser_descriptions) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/sdp", fixture_dir());
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "no fixture directory %s", dir);
  int seen = 0, offers = 0, answers = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".sdp") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *text = read_file(path);
    sansrtc_sdp *sdp = parse_text(text);
    jsep_remote r;
    const char *why = NULL;
    ck_assert_msg(jsep_read_remote(sdp, &r, &why) == SANSRTC_OK, "%s: %s", e->d_name,
                  why ? why : "");
    ck_assert_str_eq(r.fingerprint_algo, "sha-256");
    ck_assert_uint_gt(strlen(r.fingerprint), 90);
    ck_assert_uint_gt(r.sctp_port, 0);
    int candidates = 0;
    jsep_for_each_remote_candidate(sdp, &r, candidate_counter, &candidates);
    ck_assert_msg(candidates > 0 || strstr(e->d_name, "answer") != NULL,
                  "%s: no candidates", e->d_name);
    if (strstr(e->d_name, "offer") != NULL) {
      offers++;
      ck_assert_str_eq(r.setup, "actpass");
      jsep_local l;
      sansrtc_ice_candidate c;
      local_fixture(&l, &c);
      l.setup = "active";
      sansrtc_sdp *answer;
      ck_assert_int_eq(jsep_build_answer(sdp, &r, &l, &answer), SANSRTC_OK);
      ck_assert_uint_eq(sansrtc_sdp_media_count(answer), sansrtc_sdp_media_count(sdp));
      char *atext = write_text(answer);
      sansrtc_sdp *again = parse_text(atext);
      jsep_remote back;
      ck_assert_int_eq(jsep_read_remote(again, &back, NULL), SANSRTC_OK);
      ck_assert_str_eq(back.mid, r.mid);
      free(atext);
      sansrtc_sdp_free(again);
      sansrtc_sdp_free(answer);
    } else {
      answers++;
      ck_assert(strcmp(r.setup, "active") == 0 || strcmp(r.setup, "passive") == 0);
    }
    sansrtc_sdp_free(sdp);
    free(text);
    seen++;
  }
  closedir(d);
  ck_assert_int_ge(seen, 2);
  ck_assert_int_ge(offers, 1);
  ck_assert_int_ge(answers, 1);
}
END_TEST

Suite *jsep_suite(void) {
  Suite *s = suite_create("jsep");
  TCase *tc = tcase_create("jsep");
  tcase_add_test(tc, test_offer_reads_back);
  tcase_add_test(tc, test_answer_rejects_media_keeps_data);
  tcase_add_test(tc, test_legacy_sctpmap_form);
  tcase_add_test(tc, test_remote_errors_and_defaults);
  tcase_add_test(tc, test_browser_descriptions);
  suite_add_tcase(s, tc);
  return s;
}
