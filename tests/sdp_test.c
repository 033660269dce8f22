/*
 * sdp_test.c - tests for lib/sdp.c: parsing and writing back real browser
 * descriptions (tests/fixtures/sdp/) and hand-written ones, the accessors,
 * the builder, the limits, and hostile input.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sansrtc/sdp.h>

#include "suites.h"

/* ------------------------------------------------------------------------ */
/* Hand-written descriptions                                                */
/* ------------------------------------------------------------------------ */

/*
 * HAND-WRITTEN, not captured: a data-channel offer and answer in the form
 * Chromium writes them, so the suite has realistic input even before the
 * captured files in tests/fixtures/sdp/ exist. Identifiers, credentials and
 * fingerprints are made up.
 */
static const char hand_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Yq7v\r\n"
    "a=ice-pwd:7pYtQ5x0N2b4fFk8a1cWsQ9Z\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:19:71:"
    "17:44:94:D6:49:3C:9D:5C\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

/* HAND-WRITTEN: the answer to hand_offer, Chromium style, with a trickled
 * candidate already in it. */
static const char hand_answer[] =
    "v=0\r\n"
    "o=- 2317462580912735581 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host "
    "generation 0 network-id 1\r\n"
    "a=ice-ufrag:Hb2K\r\n"
    "a=ice-pwd:c3u9R1mZq0LxW6aTn5JdPe8s\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "34:60:BE:31:20:1E:69:FE:DA:A0:EE:E8:B9:99:7F:5C:7C:29:99:FD:AF:E5:93:25:"
    "3C:D6:54:AF:4D:FA:D7:14\r\n"
    "a=setup:active\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

/* HAND-WRITTEN: the pre-RFC 8841 form (m=... DTLS/SCTP <port>, sctpmap). */
static const char hand_legacy[] =
    "v=0\r\n"
    "o=- 1234567890123456789 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE data\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 9 DTLS/SCTP 5000\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:lEgA\r\n"
    "a=ice-pwd:Zk3mQ8pW1vX7yB2nC5dF9gH0\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "27:A0:AE:B3:FE:E9:23:2F:8A:F2:21:1F:9E:E4:91:C5:B1:0B:EC:B5:56:3B:FC:1E:"
    "6F:93:42:7E:CB:C8:FE:29\r\n"
    "a=setup:actpass\r\n"
    "a=mid:data\r\n"
    "a=sctpmap:5000 webrtc-datachannel 1024\r\n";

/* HAND-WRITTEN: an audio/video offer with the RTP attributes browsers
 * write; every line must come back unchanged. */
static const char hand_av[] =
    "v=0\r\n"
    "o=- 8157362421592538410 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:aV1d\r\n"
    "a=ice-pwd:Pq8rS2tU4vW6xY8zA0bC2dE4\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:19:71:"
    "17:44:94:D6:49:3C:9D:5C\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/"
    "draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream1 audiotrack1\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:1001 cname:abcDEF123\r\n"
    "a=ssrc:1001 msid:stream1 audiotrack1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:aV1d\r\n"
    "a=ice-pwd:Pq8rS2tU4vW6xY8zA0bC2dE4\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:7B:2E:D9:1E:3F:72:1F:CB:19:71:"
    "17:44:94:D6:49:3C:9D:5C\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream1 videotrack1\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 H264/90000\r\n"
    "a=rtcp-fb:98 nack\r\n"
    "a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=42e01f\r\n"
    "a=rtpmap:99 rtx/90000\r\n"
    "a=fmtp:99 apt=98\r\n"
    "a=rid:h send\r\n"
    "a=rid:l send\r\n"
    "a=simulcast:send h;l\r\n"
    "a=ssrc-group:FID 2001 2002\r\n"
    "a=ssrc:2001 cname:abcDEF123\r\n"
    "a=ssrc:2002 cname:abcDEF123\r\n";

/* HAND-WRITTEN: every RFC 8866 line type, lines no one defines, and odd
 * but legal attributes. */
static const char hand_unknown[] =
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "b=AS:512\r\n"
    "t=0 0\r\n"
    "r=604800 3600 0 90000\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=prompt\r\n"
    "x=foo\r\n"
    "a=x-google-flag:conference\r\n"
    "a=recvonly\r\n"
    "m=audio 49170/2 RTP/AVP 0 96\r\n"
    "i=audio\r\n"
    "c=IN IP4 233.252.0.1/127\r\n"
    "b=CT:64\r\n"
    "y=an unknown line type inside a media section\r\n"
    "a=rtpmap:96 L8/8000\r\n"
    "a=x-unknown\r\n"
    "a=x-empty:\r\n"
    "a=x-colons:a:b:c\r\n"
    "a=x-\t tab and control \x01 bytes\r\n"
    "m=video 0 RTP/AVP *\r\n"
    "a=inactive\r\n";

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static sansrtc_sdp *parse_ok(const char *text, size_t len, const char *name) {
  sansrtc_sdp *sdp = NULL;
  sansrtc_sdp_error err;
  int rc = sansrtc_sdp_parse(&sdp, text, len, &err);
  ck_assert_msg(rc == SANSRTC_OK, "%s: parse gave %d: %s", name, rc,
                err.message);
  ck_assert_ptr_nonnull(sdp);
  ck_assert_uint_eq(err.line, 0);
  ck_assert_str_eq(err.message, "");
  return sdp;
}

/* Writes `sdp` into a buffer of exactly the size asked for; the caller
 * frees it. */
static char *write_all(const sansrtc_sdp *sdp, size_t *out_len) {
  size_t len = 0;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  char *buf = malloc(len + 1);
  ck_assert_ptr_nonnull(buf);
  size_t got = 0;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, buf, len + 1, &got), SANSRTC_OK);
  ck_assert_uint_eq(got, len);
  ck_assert_uint_eq(strlen(buf), len);
  if (out_len != NULL) *out_len = len;
  return buf;
}

/* What the writer must give for `text`: its lines, split as the parser
 * splits them (LF or CRLF, the last maybe without), empty ones dropped,
 * each ending in CRLF. Identical to `text` for a CRLF text with no empty
 * lines. The caller frees the result. */
static char *normalize(const char *text, size_t len) {
  char *out = malloc(2 * len + 3);
  ck_assert_ptr_nonnull(out);
  size_t o = 0, pos = 0;
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
    size_t body = n;
    if (nl != NULL && body > 0 && text[pos + body - 1] == '\r') body--;
    if (body > 0) {
      memcpy(out + o, text + pos, body);
      o += body;
      out[o++] = '\r';
      out[o++] = '\n';
    }
    pos += n + (nl != NULL ? 1 : 0);
  }
  out[o] = '\0';
  return out;
}

/* Parses `text`, writes it, and checks the written text is the normalized
 * input; parses that again and checks it writes the same. Returns the
 * first parse for more checks. */
static sansrtc_sdp *round_trip(const char *text, size_t len,
                               const char *name) {
  sansrtc_sdp *sdp = parse_ok(text, len, name);
  size_t out_len;
  char *out = write_all(sdp, &out_len);
  char *want = normalize(text, len);
  ck_assert_msg(strcmp(out, want) == 0, "%s: written text differs", name);
  sansrtc_sdp *again = parse_ok(out, out_len, name);
  char *out2 = write_all(again, NULL);
  ck_assert_str_eq(out2, out);
  free(out2);
  sansrtc_sdp_free(again);
  free(want);
  free(out);
  return sdp;
}

static void assert_mline(const sansrtc_sdp *sdp, size_t m, const char *media,
                         unsigned port, unsigned count, const char *proto,
                         const char *fmt) {
  sansrtc_sdp_mline ml;
  ck_assert_int_eq(sansrtc_sdp_media_line(sdp, m, &ml), SANSRTC_OK);
  ck_assert_str_eq(ml.media, media);
  ck_assert_uint_eq(ml.port, port);
  ck_assert_uint_eq(ml.port_count, count);
  ck_assert_str_eq(ml.proto, proto);
  ck_assert_str_eq(ml.fmt, fmt);
}

static void assert_attr(const sansrtc_sdp *sdp, int section, const char *name,
                        size_t nth, const char *want) {
  const char *v = sansrtc_sdp_attr(sdp, section, name, nth);
  ck_assert_msg(v != NULL, "no a=%s (#%zu) in section %d", name, nth,
                section);
  ck_assert_str_eq(v, want);
}

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The checks every data-channel description must pass, captured or
 * hand-written: one m=application section, in the RFC 8841 form
 * (UDP/DTLS/SCTP webrtc-datachannel, a=sctp-port) or the legacy one
 * (DTLS/SCTP <port>, a=sctpmap); ICE credentials, fingerprint and setup at
 * either level; a=mid in the section; a=group:BUNDLE at session level.
 * `offer` selects the expected a=setup.
 */
static void check_data_description(const sansrtc_sdp *sdp, const char *name,
                                   int offer) {
  size_t app = 0, apps = 0;
  for (size_t m = 0; m < sansrtc_sdp_media_count(sdp); m++) {
    sansrtc_sdp_mline ml;
    ck_assert_int_eq(sansrtc_sdp_media_line(sdp, m, &ml), SANSRTC_OK);
    if (strcmp(ml.media, "application") == 0) {
      app = m;
      apps++;
    }
  }
  ck_assert_msg(apps == 1, "%s: %zu m=application sections", name, apps);
  sansrtc_sdp_mline ml;
  ck_assert_int_eq(sansrtc_sdp_media_line(sdp, app, &ml), SANSRTC_OK);
  int s = (int)app;
  if (strcmp(ml.proto, "DTLS/SCTP") == 0) {
    const char *map = sansrtc_sdp_attr(sdp, s, "sctpmap", 0);
    ck_assert_msg(map != NULL, "%s: legacy form without a=sctpmap", name);
    ck_assert_msg(starts_with(map, ml.fmt), "%s: sctpmap is not for %s", name,
                  ml.fmt);
    ck_assert_ptr_nonnull(strstr(map, " webrtc-datachannel"));
  } else {
    ck_assert_msg(strcmp(ml.proto, "UDP/DTLS/SCTP") == 0, "%s: proto %s",
                  name, ml.proto);
    ck_assert_str_eq(ml.fmt, "webrtc-datachannel");
    ck_assert_msg(sansrtc_sdp_attr(sdp, s, "sctp-port", 0) != NULL,
                  "%s: no a=sctp-port", name);
  }
  static const char *const needed[] = {"ice-ufrag", "ice-pwd", "fingerprint",
                                       "setup"};
  for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
    const char *v = sansrtc_sdp_media_attr(sdp, app, needed[i]);
    ck_assert_msg(v != NULL && v[0] != '\0', "%s: no a=%s", name, needed[i]);
  }
  ck_assert_msg(starts_with(sansrtc_sdp_media_attr(sdp, app, "fingerprint"),
                            "sha-256 "),
                "%s: fingerprint is not sha-256", name);
  const char *setup = sansrtc_sdp_media_attr(sdp, app, "setup");
  if (offer)
    ck_assert_msg(strcmp(setup, "actpass") == 0, "%s: setup %s", name, setup);
  else
    ck_assert_msg(strcmp(setup, "active") == 0 || strcmp(setup, "passive") == 0,
                  "%s: setup %s", name, setup);
  const char *mid = sansrtc_sdp_attr(sdp, s, "mid", 0);
  ck_assert_msg(mid != NULL && mid[0] != '\0', "%s: no a=mid", name);
  const char *group = sansrtc_sdp_attr(sdp, SANSRTC_SDP_SESSION, "group", 0);
  ck_assert_msg(group != NULL && starts_with(group, "BUNDLE "),
                "%s: no session-level a=group:BUNDLE", name);
  ck_assert_msg(strstr(group, mid) != NULL, "%s: mid %s not bundled", name,
                mid);
}

/* ------------------------------------------------------------------------ */
/* Parsing and writing                                                      */
/* ------------------------------------------------------------------------ */

START_TEST(test_hand_offer) {
  sansrtc_sdp *sdp = round_trip(hand_offer, strlen(hand_offer), "offer");
  check_data_description(sdp, "hand_offer", 1);
  ck_assert_uint_eq(sansrtc_sdp_media_count(sdp), 1);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, SANSRTC_SDP_SESSION), 7);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, 0), 10);
  assert_mline(sdp, 0, "application", 9, 1, "UDP/DTLS/SCTP",
               "webrtc-datachannel");
  assert_attr(sdp, SANSRTC_SDP_SESSION, "group", 0, "BUNDLE 0");
  assert_attr(sdp, SANSRTC_SDP_SESSION, "extmap-allow-mixed", 0, "");
  assert_attr(sdp, SANSRTC_SDP_SESSION, "msid-semantic", 0, " WMS");
  assert_attr(sdp, 0, "ice-ufrag", 0, "Yq7v");
  assert_attr(sdp, 0, "ice-pwd", 0, "7pYtQ5x0N2b4fFk8a1cWsQ9Z");
  assert_attr(sdp, 0, "sctp-port", 0, "5000");
  assert_attr(sdp, 0, "max-message-size", 0, "262144");
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, SANSRTC_SDP_SESSION, "mid", 0));

  char type = 0;
  const char *value = NULL;
  ck_assert_int_eq(sansrtc_sdp_line(sdp, SANSRTC_SDP_SESSION, 1, &type, &value),
                   SANSRTC_OK);
  ck_assert_int_eq(type, 'o');
  ck_assert_str_eq(value, "- 4611731400430051336 2 IN IP4 127.0.0.1");
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 0, 0, &type, &value), SANSRTC_OK);
  ck_assert_int_eq(type, 'm');
  ck_assert_str_eq(value, "application 9 UDP/DTLS/SCTP webrtc-datachannel");
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 0, 1, &type, &value), SANSRTC_OK);
  ck_assert_int_eq(type, 'c');
  ck_assert_str_eq(value, "IN IP4 0.0.0.0");
  sansrtc_sdp_free(sdp);
}
END_TEST

START_TEST(test_hand_answer_and_legacy) {
  sansrtc_sdp *sdp = round_trip(hand_answer, strlen(hand_answer), "answer");
  check_data_description(sdp, "hand_answer", 0);
  assert_attr(sdp, 0, "candidate", 0,
              "1467250027 1 udp 2122260223 192.0.2.10 46243 typ host "
              "generation 0 network-id 1");
  assert_attr(sdp, 0, "setup", 0, "active");
  sansrtc_sdp_free(sdp);

  sdp = round_trip(hand_legacy, strlen(hand_legacy), "legacy");
  check_data_description(sdp, "hand_legacy", 1);
  assert_mline(sdp, 0, "application", 9, 1, "DTLS/SCTP", "5000");
  assert_attr(sdp, 0, "sctpmap", 0, "5000 webrtc-datachannel 1024");
  assert_attr(sdp, 0, "mid", 0, "data");
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, 0, "sctp-port", 0));
  sansrtc_sdp_free(sdp);
}
END_TEST

START_TEST(test_audio_video) {
  sansrtc_sdp *sdp = round_trip(hand_av, strlen(hand_av), "av");
  ck_assert_uint_eq(sansrtc_sdp_media_count(sdp), 2);
  assert_mline(sdp, 0, "audio", 9, 1, "UDP/TLS/RTP/SAVPF",
               "111 63 9 0 8 13 110 126");
  assert_mline(sdp, 1, "video", 9, 1, "UDP/TLS/RTP/SAVPF", "96 97 98 99");
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 0, "rtpmap"), 8);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 1, "rtpmap"), 4);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 1, "rtcp-fb"), 6);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 0, "extmap"), 4);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 0, "ssrc"), 2);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 1, "rid"), 2);
  assert_attr(sdp, 0, "rtpmap", 0, "111 opus/48000/2");
  assert_attr(sdp, 0, "rtpmap", 7, "126 telephone-event/8000");
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, 0, "rtpmap", 8));
  assert_attr(sdp, 0, "fmtp", 0, "111 minptime=10;useinbandfec=1");
  assert_attr(sdp, 0, "ssrc", 1, "1001 msid:stream1 audiotrack1");
  assert_attr(sdp, 1, "rtcp-fb", 4, "96 nack pli");
  assert_attr(sdp, 1, "ssrc-group", 0, "FID 2001 2002");
  assert_attr(sdp, 1, "simulcast", 0, "send h;l");
  assert_attr(sdp, 1, "rid", 1, "l send");
  assert_attr(sdp, 1, "msid", 0, "stream1 videotrack1");
  assert_attr(sdp, 1, "rtcp-rsize", 0, "");
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, 0, "rtcp-rsize", 0));
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 1, "mid"), "1");
  sansrtc_sdp_free(sdp);
}
END_TEST

START_TEST(test_unknown_lines_kept) {
  sansrtc_sdp *sdp = round_trip(hand_unknown, strlen(hand_unknown), "unknown");
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, SANSRTC_SDP_SESSION), 16);
  char type = 0;
  const char *value = NULL;
  ck_assert_int_eq(
      sansrtc_sdp_line(sdp, SANSRTC_SDP_SESSION, 13, &type, &value),
      SANSRTC_OK);
  ck_assert_int_eq(type, 'x');
  ck_assert_str_eq(value, "foo");
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 0, 4, &type, &value), SANSRTC_OK);
  ck_assert_int_eq(type, 'y');
  ck_assert_str_eq(value, "an unknown line type inside a media section");
  assert_attr(sdp, SANSRTC_SDP_SESSION, "x-google-flag", 0, "conference");
  assert_attr(sdp, SANSRTC_SDP_SESSION, "recvonly", 0, "");
  assert_mline(sdp, 0, "audio", 49170, 2, "RTP/AVP", "0 96");
  assert_mline(sdp, 1, "video", 0, 1, "RTP/AVP", "*");
  assert_attr(sdp, 0, "x-unknown", 0, "");
  assert_attr(sdp, 0, "x-empty", 0, "");
  assert_attr(sdp, 0, "x-colons", 0, "a:b:c");
  assert_attr(sdp, 0, "x-\t tab and control \x01 bytes", 0, "");
  /* Media-level attributes fall back to the session, not to other media. */
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 1, "recvonly"), "");
  ck_assert_ptr_null(sansrtc_sdp_media_attr(sdp, 1, "rtpmap"));
  sansrtc_sdp_free(sdp);
}
END_TEST

/* LF, CRLF, a mix, empty lines and a missing last line end. */
START_TEST(test_line_ends) {
  static const char *const forms[] = {
      "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\na=x\n",
      "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\na=x",
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\ns=-\r\nt=0 0\nm=audio 9 RTP/AVP 0\r\na=x",
      ("\n\r\nv=0\r\n\r\no=- 1 1 IN IP4 0.0.0.0\n\ns=-\r\nt=0 0\r\n"
       "m=audio 9 RTP/AVP 0\r\n\r\n\na=x\r\n\r\n"),
  };
  static const char want[] =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
      "a=x\r\n";
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    sansrtc_sdp *sdp = round_trip(forms[i], strlen(forms[i]), forms[i]);
    char *out = write_all(sdp, NULL);
    ck_assert_str_eq(out, want);
    free(out);
    sansrtc_sdp_free(sdp);
  }
}
END_TEST

/* o=, s= and t= may come in any order; other session lines between. */
START_TEST(test_session_order) {
  static const char *const ok[] = {
      "v=0\r\nt=0 0\r\ns=-\r\no=- 1 1 IN IP4 0.0.0.0\r\n",
      ("v=0\r\na=ice-lite\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nb=AS:1\r\n"
       "o=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 RTP/AVP 0\r\n"),
      "v=0\r\no=a\r\ns=b\r\nt=c\r\nt=d\r\nm=x 0 y z\r\nv=0\r\no=again\r\n",
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    sansrtc_sdp *sdp = round_trip(ok[i], strlen(ok[i]), ok[i]);
    sansrtc_sdp_free(sdp);
  }
}
END_TEST

/* m= lines at the edges of what is accepted. */
START_TEST(test_mline_forms) {
  static const struct {
    const char *line;
    const char *media;
    unsigned port, count;
    const char *proto, *fmt;
  } cases[] = {
      {"m=audio 0 RTP/AVP 0", "audio", 0, 1, "RTP/AVP", "0"},
      {"m=audio 65535 RTP/AVP 0", "audio", 65535, 1, "RTP/AVP", "0"},
      {"m=audio 00009 RTP/AVP 0", "audio", 9, 1, "RTP/AVP", "0"},
      {"m=video 49170/2 RTP/AVP 31", "video", 49170, 2, "RTP/AVP", "31"},
      {"m=video 1/65535 RTP/AVP 31", "video", 1, 65535, "RTP/AVP", "31"},
      {"m=application 9 TCP/DTLS/SCTP webrtc-datachannel", "application", 9, 1,
       "TCP/DTLS/SCTP", "webrtc-datachannel"},
      {"m=message 9 TCP/MSRP *", "message", 9, 1, "TCP/MSRP", "*"},
      {"m=x-my.media 1 a.b-c/d_e f! g# h$", "x-my.media", 1, 1, "a.b-c/d_e",
       "f! g# h$"},
  };
  static const char head[] = "v=0\r\no=-\r\ns=-\r\nt=0 0\r\n";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[256];
    int n = snprintf(text, sizeof text, "%s%s\r\n", head, cases[i].line);
    ck_assert_int_gt(n, 0);
    sansrtc_sdp *sdp = round_trip(text, (size_t)n, cases[i].line);
    assert_mline(sdp, 0, cases[i].media, cases[i].port, cases[i].count,
                 cases[i].proto, cases[i].fmt);
    sansrtc_sdp_free(sdp);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Captured browser descriptions                                            */
/* ------------------------------------------------------------------------ */

static const char *fixture_dir(void) {
  const char *d = getenv("SANSRTC_TEST_FIXTURES");
  return d != NULL ? d : "tests/fixtures";
}

/* Reads a whole file (at most SANSRTC_SDP_MAX_TEXT + 1 bytes). */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char *buf = malloc(SANSRTC_SDP_MAX_TEXT + 2);
  ck_assert_ptr_nonnull(buf);
  *len = fread(buf, 1, SANSRTC_SDP_MAX_TEXT + 1, f);
  ck_assert_msg(!ferror(f), "cannot read %s", path);
  fclose(f);
  buf[*len] = '\0';
  return buf;
}

/* Whether every line of text/len ends in CRLF and none is empty: then the
 * writer must give back exactly those bytes. */
static int plain_crlf(const char *text, size_t len) {
  if (len < 2 || text[0] == '\r' || text[len - 2] != '\r' ||
      text[len - 1] != '\n')
    return 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return 0;
    if (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')) return 0;
    if (text[i] == '\n' && i + 2 < len && text[i + 1] == '\r') return 0;
  }
  return 1;
}

/*
 * Every .sdp file in tests/fixtures/sdp/ ($SANSRTC_TEST_FIXTURES/sdp/): it
 * parses, writes back byte for byte (after LF -> CRLF when the file uses
 * LF), and has what a data-channel description needs. Names containing
 * "offer" are offers, "answer" answers. An empty directory fails: captured
 * descriptions are the point of this test.
 */
START_TEST(test_browser_fixtures) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/sdp", fixture_dir());
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "no fixture directory %s (captured browser "
                "descriptions belong there)", dir);
  int seen = 0, offers = 0, answers = 0, exact = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".sdp") != 0) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *text = read_file(path, &len);
    sansrtc_sdp *sdp = round_trip(text, len, e->d_name);
    if (plain_crlf(text, len)) {
      size_t out_len;
      char *out = write_all(sdp, &out_len);
      ck_assert_msg(out_len == len && memcmp(out, text, len) == 0,
                    "%s: not written back byte for byte", e->d_name);
      free(out);
      exact++;
    }
    int offer = strstr(e->d_name, "offer") != NULL;
    int answer = strstr(e->d_name, "answer") != NULL;
    ck_assert_msg(offer != answer, "%s: name says neither offer nor answer",
                  e->d_name);
    check_data_description(sdp, e->d_name, offer);
    offers += offer;
    answers += answer;
    sansrtc_sdp_free(sdp);
    free(text);
    seen++;
  }
  closedir(d);
  ck_assert_msg(seen > 0, "no .sdp files in %s", dir);
  ck_assert_msg(exact > 0, "no fixture in CRLF form to compare byte for byte");
  ck_assert_int_ge(offers, 1);
  ck_assert_int_ge(answers, 1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Hostile input                                                            */
/* ------------------------------------------------------------------------ */

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define T(s) s, sizeof(s) - 1

static const struct {
  const char *text;
  size_t len;
  int rc;
  unsigned line;
  const char *needle; /* must occur in the message */
} hostile[] = {
    /* the example of the documentation, to the byte */
    {T(HEAD "m=audio x UDP\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "line 5: m= line needs \"<media> <port> <proto> <fmt>\": "
     "\"m=audio x UDP\""},
    /* nothing, or nothing but empty lines */
    {T(""), SANSRTC_ERR_MALFORMED, 0, "v=0"},
    {T("\r\n\n\r\n"), SANSRTC_ERR_MALFORMED, 0, "v=0"},
    /* v= */
    {T("o=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED,
     1, "line 1: the first line must be \"v=0\""},
    {T("\r\n\r\ns=-\r\n"), SANSRTC_ERR_MALFORMED, 3, "\"s=-\""},
    {T("v=1\r\no=-\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 1, "\"v=1\""},
    {T("v=00\r\no=-\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 1, "v=0"},
    {T("v=0 \r\no=-\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 1, "v=0"},
    {T("V=0\r\no=-\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 1,
     "lowercase"},
    /* o=, s=, t= missing */
    {T("v=0\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 0, "no o= line"},
    {T("v=0\r\no=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 0, "no s= line"},
    {T("v=0\r\no=-\r\ns=-\r\n"), SANSRTC_ERR_MALFORMED, 0, "no t= line"},
    {T("v=0\r\n"), SANSRTC_ERR_MALFORMED, 0, "no o= line"},
    {T("v=0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\no=-\r\n"),
     SANSRTC_ERR_MALFORMED, 4, "line 4: no o= line"},
    {T("v=0\r\no=-\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\nt=0 0\r\n"),
     SANSRTC_ERR_MALFORMED, 4, "no t= line in the session section before"},
    /* line shape */
    {T(HEAD "abc\r\n"), SANSRTC_ERR_MALFORMED, 5, "\"<type>=<value>\""},
    {T(HEAD "a\r\n"), SANSRTC_ERR_MALFORMED, 5, "\"<type>=<value>\""},
    {T(HEAD "a:b=c\r\n"), SANSRTC_ERR_MALFORMED, 5, "\"<type>=<value>\""},
    {T(HEAD "A=foo\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    {T(HEAD "M=audio 9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    {T(HEAD "=foo\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    {T(HEAD "1=foo\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    {T(HEAD " a=foo\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    {T(HEAD "\xc3\xa4=foo\r\n"), SANSRTC_ERR_MALFORMED, 5, "\"?\?=foo\""},
    {T(HEAD "a=\r\n"), SANSRTC_ERR_MALFORMED, 5, "line 5: empty value"},
    {T("v=0\r\no=-\r\ns=\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 3,
     "empty value"},
    {T(HEAD "a=ok\r\nm=\r\n"), SANSRTC_ERR_MALFORMED, 6, "empty value"},
    /* NUL and CR */
    {T(HEAD "a=foo\0bar\r\n"), SANSRTC_ERR_MALFORMED, 5, "\"a=foo?bar\""},
    {T(HEAD "a=foo\0"), SANSRTC_ERR_MALFORMED, 5, "NUL"},
    {T("v=0\0\r\no=-\r\ns=-\r\nt=0 0\r\n"), SANSRTC_ERR_MALFORMED, 1, "NUL"},
    {T(HEAD "\0=x\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    {T(HEAD "a\0=x\r\n"), SANSRTC_ERR_MALFORMED, 5, "<type>=<value>"},
    {T(HEAD "a=x\ry\r\n"), SANSRTC_ERR_MALFORMED, 5, "line 5: CR inside"},
    {T(HEAD "a=x\r\r\n"), SANSRTC_ERR_MALFORMED, 5, "CR inside"},
    {T(HEAD "a=x\r"), SANSRTC_ERR_MALFORMED, 5, "CR inside"},
    {T("v=0\ro=-\rs=-\rt=0 0\r"), SANSRTC_ERR_MALFORMED, 1, "CR inside"},
    {T(HEAD "\r\r\n"), SANSRTC_ERR_MALFORMED, 5, "lowercase"},
    /* m= fields */
    {T(HEAD "m=audio 65536 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "port must be 0..65535"},
    {T(HEAD "m=audio 99999 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 000009 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 18446744073709551625 RTP/AVP 0\r\n"),
     SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 9x RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio x9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio -1 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio +9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 0x10 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 9/0 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 9/ RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio /2 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 9/2/3 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= port must"},
    {T(HEAD "m=audio 9/65536 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "m= port must"},
    {T(HEAD "m=audio\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= line needs"},
    {T(HEAD "m=audio 9\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= line needs"},
    {T(HEAD "m=audio 9 RTP/AVP\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "m= line needs"},
    {T(HEAD "m=audio 9 RTP/AVP \r\n"), SANSRTC_ERR_MALFORMED, 5,
     "m= line needs"},
    {T(HEAD "m=audio  9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "m= line needs"},
    {T(HEAD "m= audio 9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "m= line needs"},
    {T(HEAD "m=audio\t9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "m= line needs"},
    {T(HEAD "m=audio 9 RTP/AVP 0 \r\n"), SANSRTC_ERR_MALFORMED, 5, "formats"},
    {T(HEAD "m=audio 9 RTP/AVP 0  8\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "formats"},
    {T(HEAD "m=audio 9 RTP/AVP 0 8\t\r\n"), SANSRTC_ERR_MALFORMED, 5,
     "formats"},
    {T(HEAD "m=audio 9 RTP/AVP 0:1\r\n"), SANSRTC_ERR_MALFORMED, 5, "formats"},
    {T(HEAD "m=au(dio 9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= media is not a token"},
    {T(HEAD "m=au/dio 9 RTP/AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= media is not a token"},
    {T(HEAD "m=audio 9 RTP//AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= proto is not"},
    {T(HEAD "m=audio 9 /AVP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= proto is not"},
    {T(HEAD "m=audio 9 RTP/ 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= proto is not"},
    {T(HEAD "m=audio 9 RTP/A;VP 0\r\n"), SANSRTC_ERR_MALFORMED, 5, "m= proto is not"},
    /* the error is on the second m= line, after valid sections */
    {T(HEAD "m=audio 9 RTP/AVP 0\r\na=x\r\n\r\nm=video 9 RTP/AVP\r\n"),
     SANSRTC_ERR_MALFORMED, 8, "line 8: m= line needs"},
    /* long lines are quoted in part */
    {T(HEAD "m=0123456789012345678901234567890123456789XYZ\r\n"),
     SANSRTC_ERR_MALFORMED, 5, "\"m=01234567890123456789012345678901234567...\""},
};

START_TEST(test_hostile) {
  static char not_null;
  sansrtc_sdp *sdp = (sansrtc_sdp *)(void *)&not_null; /* must be reset */
  sansrtc_sdp_error err;
  memset(&err, 0x5a, sizeof err);
  int rc = sansrtc_sdp_parse(&sdp, hostile[_i].text, hostile[_i].len, &err);
  ck_assert_msg(rc == hostile[_i].rc, "case %d gave %d, want %d (%s)", _i, rc,
                hostile[_i].rc, err.message);
  ck_assert_ptr_null(sdp);
  ck_assert_msg(memchr(err.message, '\0', sizeof err.message) != NULL,
                "case %d: message not terminated", _i);
  ck_assert_msg(err.line == hostile[_i].line, "case %d: line %u, want %u (%s)",
                _i, err.line, hostile[_i].line, err.message);
  ck_assert_msg(strstr(err.message, hostile[_i].needle) != NULL,
                "case %d: \"%s\" lacks \"%s\"", _i, err.message,
                hostile[_i].needle);
  if (err.line > 0) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "line %u: ", err.line);
    ck_assert_msg(starts_with(err.message, prefix), "case %d: \"%s\"", _i,
                  err.message);
  }
  /* The same without an error report. */
  ck_assert_int_eq(
      sansrtc_sdp_parse(&sdp, hostile[_i].text, hostile[_i].len, NULL),
      hostile[_i].rc);
  ck_assert_ptr_null(sdp);
}
END_TEST

static const char *const valid_texts[] = {hand_offer, hand_answer, hand_legacy,
                                          hand_av, hand_unknown};
#define VALID_COUNT (sizeof valid_texts / sizeof valid_texts[0])

/* The number of lines (LF-terminated or not) in text/len. */
static unsigned count_lines(const char *text, size_t len) {
  unsigned n = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') n++;
  return n + (len > 0 && text[len - 1] != '\n' ? 1 : 0);
}

/* Checks one parse of arbitrary text: a failure is MALFORMED with a
 * consistent report; a success writes the normalized text. Returns 1 when
 * it parsed. */
static int check_any(const char *text, size_t len) {
  sansrtc_sdp *sdp = NULL;
  sansrtc_sdp_error err;
  int rc = sansrtc_sdp_parse(&sdp, text, len, &err);
  if (rc != SANSRTC_OK) {
    ck_assert_int_eq(rc, SANSRTC_ERR_MALFORMED);
    ck_assert_ptr_null(sdp);
    ck_assert_uint_gt(strlen(err.message), 0);
    ck_assert_uint_le(err.line, count_lines(text, len));
    if (err.line > 0) ck_assert(starts_with(err.message, "line "));
    return 0;
  }
  char *out = write_all(sdp, NULL);
  char *want = normalize(text, len);
  ck_assert_str_eq(out, want);
  free(want);
  free(out);
  sansrtc_sdp_free(sdp);
  return 1;
}

/* Every prefix of every valid description (each parsed from a copy of
 * exactly that length, so a read past the end shows under the checkers). */
START_TEST(test_prefixes) {
  for (size_t t = 0; t < VALID_COUNT; t++) {
    size_t len = strlen(valid_texts[t]);
    size_t parsed = 0;
    for (size_t n = 0; n <= len; n++) {
      char *copy = malloc(n > 0 ? n : 1);
      ck_assert_ptr_nonnull(copy);
      memcpy(copy, valid_texts[t], n);
      parsed += (size_t)check_any(copy, n);
      free(copy);
    }
    ck_assert_uint_gt(parsed, 0);
  }
  /* A prefix cut inside "t=0 0\r\n" fails; the whole text passes. */
  ck_assert_int_eq(check_any(HEAD, sizeof HEAD - 5), 1);
  ck_assert_int_eq(check_any(HEAD, sizeof HEAD - 2), 0);
  ck_assert_int_eq(check_any(HEAD, sizeof HEAD - 1), 1);
}
END_TEST

static uint32_t xorshift32(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

/* Random bit flips (1 to 4 per copy) of valid descriptions, from a fixed
 * seed. */
START_TEST(test_bit_flips) {
  uint32_t state = 0x5d9c1e37u;
  size_t parsed = 0, failed = 0;
  for (int round = 0; round < 4000; round++) {
    const char *src = valid_texts[(size_t)round % VALID_COUNT];
    size_t len = strlen(src);
    char *copy = malloc(len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, src, len);
    unsigned flips = 1 + xorshift32(&state) % 4;
    for (unsigned k = 0; k < flips; k++) {
      uint32_t r = xorshift32(&state);
      copy[(r >> 3) % len] ^= (char)(1u << (r & 7u));
    }
    if (check_any(copy, len))
      parsed++;
    else
      failed++;
    free(copy);
  }
  ck_assert_uint_gt(parsed, 1000);
  ck_assert_uint_gt(failed, 100);
}
END_TEST

START_TEST(test_null_arguments) {
  sansrtc_sdp *sdp = NULL;
  sansrtc_sdp_error err;
  ck_assert_int_eq(sansrtc_sdp_parse(NULL, hand_offer, 10, &err),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(err.line, 0);
  ck_assert_int_eq(sansrtc_sdp_parse(&sdp, NULL, 10, &err),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(sdp);
  ck_assert_int_eq(sansrtc_sdp_parse(&sdp, NULL, 0, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_new(NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_sdp_free(NULL);

  size_t len = 7;
  char buf[8];
  ck_assert_int_eq(sansrtc_sdp_write(NULL, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(sansrtc_sdp_media_count(NULL), 0);
  ck_assert_uint_eq(sansrtc_sdp_line_count(NULL, SANSRTC_SDP_SESSION), 0);
  sansrtc_sdp_mline ml;
  ck_assert_int_eq(sansrtc_sdp_media_line(NULL, 0, &ml),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  char type;
  const char *value;
  ck_assert_int_eq(sansrtc_sdp_line(NULL, SANSRTC_SDP_SESSION, 0, &type, &value),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(sansrtc_sdp_attr(NULL, SANSRTC_SDP_SESSION, "a", 0));
  ck_assert_uint_eq(sansrtc_sdp_attr_count(NULL, SANSRTC_SDP_SESSION, "a"), 0);
  ck_assert_ptr_null(sansrtc_sdp_media_attr(NULL, 0, "a"));
  ck_assert_int_eq(sansrtc_sdp_add_line(NULL, SANSRTC_SDP_SESSION, 'a', "x"),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_attr(NULL, SANSRTC_SDP_SESSION, "x", NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_media(NULL, "audio", 9, "RTP/AVP", "0",
                                         NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_set_port(NULL, 0, 9),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(NULL, SANSRTC_SDP_SESSION, "x"),
                    0);

  sdp = parse_ok(hand_offer, strlen(hand_offer), "offer");
  ck_assert_int_eq(sansrtc_sdp_write(sdp, buf, sizeof buf, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 10, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_media_line(sdp, 0, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 0, 0, NULL, &value),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 0, 0, &type, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, 0, NULL, 0));
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 0, NULL), 0);
  ck_assert_ptr_null(sansrtc_sdp_media_attr(sdp, 0, NULL));
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, NULL), 0);
  sansrtc_sdp_free(sdp);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

/* A growing text buffer for building big inputs. */
typedef struct text_buf {
  char *p;
  size_t len;
  size_t cap;
} text_buf;

static void tb_add(text_buf *tb, const char *s, size_t n) {
  if (tb->len + n + 1 > tb->cap) {
    size_t cap = tb->cap > 0 ? tb->cap : 4096;
    while (cap < tb->len + n + 1) cap *= 2;
    char *p = realloc(tb->p, cap);
    ck_assert_ptr_nonnull(p);
    tb->p = p;
    tb->cap = cap;
  }
  memcpy(tb->p + tb->len, s, n);
  tb->len += n;
  tb->p[tb->len] = '\0';
}

static void tb_str(text_buf *tb, const char *s) { tb_add(tb, s, strlen(s)); }

/* Parses tb and checks the outcome; returns the error. */
static sansrtc_sdp_error parse_expect(const text_buf *tb, int want_rc) {
  sansrtc_sdp *sdp = NULL;
  sansrtc_sdp_error err;
  int rc = sansrtc_sdp_parse(&sdp, tb->p, tb->len, &err);
  ck_assert_msg(rc == want_rc, "gave %d, want %d: %s", rc, want_rc,
                err.message);
  if (rc == SANSRTC_OK) {
    size_t len;
    char *out = write_all(sdp, &len);
    ck_assert_uint_le(len, SANSRTC_SDP_MAX_TEXT);
    free(out);
  }
  sansrtc_sdp_free(sdp);
  return err;
}

START_TEST(test_limit_text) {
  /* One byte over: refused before looking at the bytes. */
  text_buf tb = {0};
  tb_str(&tb, HEAD);
  while (tb.len < SANSRTC_SDP_MAX_TEXT + 1) tb_str(&tb, "a=x\r\n");
  tb.len = SANSRTC_SDP_MAX_TEXT + 1;
  sansrtc_sdp_error err = parse_expect(&tb, SANSRTC_ERR_LIMIT);
  ck_assert_uint_eq(err.line, 0);
  ck_assert_ptr_nonnull(strstr(err.message, "1048576"));

  /* Exactly the limit, in few long lines: accepted. */
  tb.len = 0;
  tb_str(&tb, HEAD);
  char line[60000];
  memset(line, 'v', sizeof line);
  line[0] = 'a';
  line[1] = '=';
  while (tb.len + sizeof line + 2 <= SANSRTC_SDP_MAX_TEXT) {
    tb_add(&tb, line, sizeof line);
    tb_str(&tb, "\r\n");
  }
  size_t rest = SANSRTC_SDP_MAX_TEXT - tb.len;
  tb_add(&tb, line, rest - 2);
  tb_str(&tb, "\r\n");
  ck_assert_uint_eq(tb.len, SANSRTC_SDP_MAX_TEXT);
  parse_expect(&tb, SANSRTC_OK);

  /* Under the limit with LF, over it once written with CRLF. */
  tb.len = 0;
  tb_str(&tb, "v=0\no=-\ns=-\nt=0 0\n");
  memset(line + 2, 'c', 125);
  line[127] = '\n';
  while (tb.len + 128 <= SANSRTC_SDP_MAX_TEXT) tb_add(&tb, line, 128);
  err = parse_expect(&tb, SANSRTC_ERR_LIMIT);
  ck_assert_uint_gt(err.line, 8000);
  ck_assert_ptr_nonnull(strstr(err.message, "CRLF"));
  free(tb.p);
}
END_TEST

START_TEST(test_limit_lines) {
  text_buf tb = {0};
  tb_str(&tb, HEAD);
  for (unsigned i = 4; i < SANSRTC_SDP_MAX_LINES; i++) tb_str(&tb, "a=x\r\n");
  parse_expect(&tb, SANSRTC_OK);
  /* Empty lines do not count. */
  tb_str(&tb, "\r\n\n");
  parse_expect(&tb, SANSRTC_OK);
  tb_str(&tb, "a=y\r\n");
  sansrtc_sdp_error err = parse_expect(&tb, SANSRTC_ERR_LIMIT);
  ck_assert_uint_eq(err.line, SANSRTC_SDP_MAX_LINES + 3);
  ck_assert_str_eq(err.message, "line 16387: more than 16384 lines: \"a=y\"");
  free(tb.p);
}
END_TEST

START_TEST(test_limit_media) {
  text_buf tb = {0};
  tb_str(&tb, HEAD);
  for (unsigned i = 0; i < SANSRTC_SDP_MAX_MEDIA; i++)
    tb_str(&tb, "m=audio 9 RTP/AVP 0\r\na=mid:x\r\n");
  parse_expect(&tb, SANSRTC_OK);
  tb_str(&tb, "m=video 9 RTP/AVP 0\r\n");
  sansrtc_sdp_error err = parse_expect(&tb, SANSRTC_ERR_LIMIT);
  ck_assert_uint_eq(err.line, 4 + 2 * SANSRTC_SDP_MAX_MEDIA + 1);
  ck_assert_ptr_nonnull(strstr(err.message, "more than 256 media sections"));
  free(tb.p);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */
/* ------------------------------------------------------------------------ */

START_TEST(test_attr_lookup) {
  static const char text[] =
      "v=0\r\no=-\r\ns=-\r\nt=0 0\r\n"
      "a=name\r\n"
      "a=namefoo:1\r\n"
      "a=name:\r\n"
      "a=Name:upper\r\n"
      "a=name:v:w\r\n"
      "a=nam\r\n"
      "b=name:not an attribute\r\n"
      "a=:nameless\r\n"
      "a=ice-ufrag:session\r\n"
      "a=setup:actpass\r\n"
      "m=audio 9 RTP/AVP 0\r\n"
      "a=ice-ufrag:media\r\n"
      "m=video 9 RTP/AVP 0\r\n"
      "a=name:media\r\n";
  sansrtc_sdp *sdp = round_trip(text, sizeof text - 1, "attrs");
  int s = SANSRTC_SDP_SESSION;
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, s, "name"), 3);
  assert_attr(sdp, s, "name", 0, "");
  assert_attr(sdp, s, "name", 1, "");
  assert_attr(sdp, s, "name", 2, "v:w");
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, s, "name", 3));
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, s, "name", (size_t)-1));
  assert_attr(sdp, s, "namefoo", 0, "1");
  assert_attr(sdp, s, "Name", 0, "upper");
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, s, "NAME", 0));
  assert_attr(sdp, s, "nam", 0, "");
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, s, "nam"), 1);
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, s, "na", 0));
  assert_attr(sdp, s, "", 0, "nameless");
  /* A name holding ':' can never be the text before the first ':'. */
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, s, "name:v", 0));
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, s, "name:v"), 0);
  /* Sections that do not exist. */
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, 2, "name", 0));
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, -2, "name", 0));
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 2, "name"), 0);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, 2), 0);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, -2), 0);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, 1), 2);

  /* media_attr: the media value first, the session's as fallback. */
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 0, "ice-ufrag"), "media");
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 1, "ice-ufrag"), "session");
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 0, "setup"), "actpass");
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 1, "name"), "media");
  ck_assert_str_eq(sansrtc_sdp_media_attr(sdp, 0, "name"), "");
  ck_assert_ptr_null(sansrtc_sdp_media_attr(sdp, 0, "mid"));
  ck_assert_ptr_null(sansrtc_sdp_media_attr(sdp, 2, "ice-ufrag"));

  /* Line access out of range. */
  char type = 'q';
  const char *value = "unchanged";
  ck_assert_int_eq(sansrtc_sdp_line(sdp, s, 14, &type, &value),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 2, 0, &type, &value),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_sdp_line(sdp, -7, 0, &type, &value),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(type, 'q');
  ck_assert_str_eq(value, "unchanged");
  ck_assert_int_eq(sansrtc_sdp_line(sdp, s, 13, &type, &value), SANSRTC_OK);
  ck_assert_int_eq(type, 'a');
  ck_assert_str_eq(value, "setup:actpass");
  sansrtc_sdp_mline ml;
  ck_assert_int_eq(sansrtc_sdp_media_line(sdp, 2, &ml), SANSRTC_ERR_NOT_FOUND);
  sansrtc_sdp_free(sdp);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Building                                                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_new_is_empty) {
  sansrtc_sdp *sdp = NULL;
  ck_assert_int_eq(sansrtc_sdp_new(&sdp), SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_sdp_media_count(sdp), 0);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, SANSRTC_SDP_SESSION), 0);
  size_t len = 99;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(len, 0);
  char buf[1] = {'x'};
  ck_assert_int_eq(sansrtc_sdp_write(sdp, buf, sizeof buf, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(buf[0], '\0');
  ck_assert_ptr_null(sansrtc_sdp_attr(sdp, SANSRTC_SDP_SESSION, "x", 0));
  sansrtc_sdp_free(sdp);
}
END_TEST

/* The hand-written offer, built with the add functions, to the byte. */
START_TEST(test_build_offer) {
  sansrtc_sdp *sdp = NULL;
  int s = SANSRTC_SDP_SESSION;
  size_t m = 99;
  ck_assert_int_eq(sansrtc_sdp_new(&sdp), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'v', "0"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(
                       sdp, s, 'o', "- 4611731400430051336 2 IN IP4 127.0.0.1"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 's', "-"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 't', "0 0"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "group", "BUNDLE 0"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "extmap-allow-mixed", NULL),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "msid-semantic", " WMS"),
                   SANSRTC_OK);
  /* The media section does not exist yet. */
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "mid", "0"),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "application", 9,
                                         "UDP/DTLS/SCTP", "webrtc-datachannel",
                                         &m),
                   SANSRTC_OK);
  ck_assert_uint_eq(m, 0);
  int ms = (int)m;
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, ms, 'c', "IN IP4 0.0.0.0"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, ms, "ice-ufrag", "Yq7v"),
                   SANSRTC_OK);
  ck_assert_int_eq(
      sansrtc_sdp_add_attr(sdp, ms, "ice-pwd", "7pYtQ5x0N2b4fFk8a1cWsQ9Z"),
      SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, ms, "ice-options", "trickle"),
                   SANSRTC_OK);
  ck_assert_int_eq(
      sansrtc_sdp_add_attr(sdp, ms, "fingerprint",
                           "sha-256 A5:4D:CA:18:25:30:BB:1D:6D:13:2C:DE:D6:23:"
                           "7B:2E:D9:1E:3F:72:1F:CB:19:71:17:44:94:D6:49:3C:"
                           "9D:5C"),
      SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, ms, "setup", "actpass"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, ms, "mid", "0"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, ms, "sctp-port", "5000"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, ms, "max-message-size", "262144"),
                   SANSRTC_OK);
  size_t len;
  char *out = write_all(sdp, &len);
  ck_assert_str_eq(out, hand_offer);
  free(out);
  assert_mline(sdp, 0, "application", 9, 1, "UDP/DTLS/SCTP",
               "webrtc-datachannel");
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, ms), 10);

  /* A second section gets the next index; NULL index is allowed. */
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "audio", 0, "RTP/AVP", "0 8",
                                         &m),
                   SANSRTC_OK);
  ck_assert_uint_eq(m, 1);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "video", 65535, "RTP/AVP", "96",
                                         NULL),
                   SANSRTC_OK);
  assert_mline(sdp, 2, "video", 65535, 1, "RTP/AVP", "96");
  ck_assert_uint_eq(sansrtc_sdp_media_count(sdp), 3);
  out = write_all(sdp, NULL);
  ck_assert_ptr_nonnull(strstr(out, "m=audio 0 RTP/AVP 0 8\r\n"
                                    "m=video 65535 RTP/AVP 96\r\n"));
  sansrtc_sdp *again = round_trip(out, strlen(out), "built");
  sansrtc_sdp_free(again);
  free(out);
  sansrtc_sdp_free(sdp);
}
END_TEST

START_TEST(test_builder_refuses) {
  sansrtc_sdp *sdp = NULL;
  int s = SANSRTC_SDP_SESSION;
  ck_assert_int_eq(sansrtc_sdp_new(&sdp), SANSRTC_OK);
  static const char bad_types[] = {'m', 'A', 'Z', '0', '=', ' ', '\0', '{',
                                   '`', '\n'};
  for (size_t i = 0; i < sizeof bad_types; i++)
    ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, bad_types[i], "x"),
                     SANSRTC_ERR_INVALID_ARGUMENT);
  static const char *const bad_values[] = {"", "a\rb", "a\nb", "\r\n", "x\r"};
  for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
    ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'a', bad_values[i]),
                     SANSRTC_ERR_INVALID_ARGUMENT);
    if (bad_values[i][0] != '\0')
      ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "x", bad_values[i]),
                       SANSRTC_ERR_INVALID_ARGUMENT);
  }
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'a', NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "", "x"),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, NULL, "x"),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "a:b", "x"),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, s, "a\r\nb", NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* Not yet existing sections. */
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, 0, 'a', "x"),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, -2, 'a', "x"),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 0, 1), SANSRTC_ERR_NOT_FOUND);
  /* m= fields. */
  static const char *const bad_media[][3] = {
      {"", "RTP/AVP", "0"},         {"au dio", "RTP/AVP", "0"},
      {"au/dio", "RTP/AVP", "0"},   {"audio", "", "0"},
      {"audio", "RTP//AVP", "0"},   {"audio", "RTP/AVP/", "0"},
      {"audio", "RTP AVP", "0"},    {"audio", "RTP/AVP", ""},
      {"audio", "RTP/AVP", " 0"},   {"audio", "RTP/AVP", "0 "},
      {"audio", "RTP/AVP", "0  8"}, {"audio", "RTP/AVP", "0\r\n"},
      {"audio\r\n", "RTP/AVP", "0"}, {"audio", "RTP/AVP", "0\t8"},
  };
  for (size_t i = 0; i < sizeof bad_media / sizeof bad_media[0]; i++)
    ck_assert_msg(sansrtc_sdp_add_media(sdp, bad_media[i][0], 9,
                                        bad_media[i][1], bad_media[i][2],
                                        NULL) == SANSRTC_ERR_INVALID_ARGUMENT,
                  "m= case %zu accepted", i);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, NULL, 9, "RTP/AVP", "0", NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "audio", 9, NULL, "0", NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "audio", 9, "RTP/AVP", NULL,
                                         NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* Nothing was added by any of that. */
  size_t len = 1;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(len, 0);
  ck_assert_uint_eq(sansrtc_sdp_media_count(sdp), 0);
  /* Any lowercase letter but m, at either level, in any order. */
  for (char c = 'a'; c <= 'z'; c++)
    if (c != 'm') ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, c, "x"),
                                   SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, s), 25);
  sansrtc_sdp_free(sdp);
}
END_TEST

START_TEST(test_set_port) {
  static const char text[] = HEAD
      "m=audio 49170/2 RTP/AVP 0 96\r\n"
      "a=mid:a\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=mid:d\r\n"
      "m=video 00001 RTP/AVP 31\r\n";
  sansrtc_sdp *sdp = parse_ok(text, sizeof text - 1, "ports");
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 0, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 1, 65535), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 2, 7), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 3, 7), SANSRTC_ERR_NOT_FOUND);
  assert_mline(sdp, 0, "audio", 0, 2, "RTP/AVP", "0 96");
  assert_mline(sdp, 1, "application", 65535, 1, "UDP/DTLS/SCTP",
               "webrtc-datachannel");
  assert_mline(sdp, 2, "video", 7, 1, "RTP/AVP", "31");
  char *out = write_all(sdp, NULL);
  ck_assert_str_eq(out, HEAD
                   "m=audio 0/2 RTP/AVP 0 96\r\n"
                   "a=mid:a\r\n"
                   "m=application 65535 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                   "a=mid:d\r\n"
                   "m=video 7 RTP/AVP 31\r\n");
  free(out);
  /* And back: the text follows the port both ways. */
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 1, 9), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 0, 49170), SANSRTC_OK);
  char type;
  const char *value;
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 1, 0, &type, &value), SANSRTC_OK);
  ck_assert_str_eq(value, "application 9 UDP/DTLS/SCTP webrtc-datachannel");
  ck_assert_int_eq(sansrtc_sdp_line(sdp, 0, 0, &type, &value), SANSRTC_OK);
  ck_assert_str_eq(value, "audio 49170/2 RTP/AVP 0 96");
  out = write_all(sdp, NULL);
  sansrtc_sdp *again = round_trip(out, strlen(out), "ports again");
  sansrtc_sdp_free(again);
  free(out);
  sansrtc_sdp_free(sdp);
}
END_TEST

START_TEST(test_remove_attr) {
  sansrtc_sdp *sdp = parse_ok(hand_answer, strlen(hand_answer), "answer");
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "candidate",
                                        "2 1 udp 1 192.0.2.11 9 typ host"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "candidates", "x"),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "end-of-candidates", NULL),
                   SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 0, "candidate"), 2);
  size_t lines = sansrtc_sdp_line_count(sdp, 0);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "candidate"), 2);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, 0), lines - 2);
  ck_assert_uint_eq(sansrtc_sdp_attr_count(sdp, 0, "candidate"), 0);
  assert_attr(sdp, 0, "candidates", 0, "x");
  assert_attr(sdp, 0, "end-of-candidates", 0, "");
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "candidate"), 0);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "candidates"), 1);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "end-of-candidates"), 1);
  /* The m= line is not an attribute; other sections are left alone. */
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "application 9 UDP"), 0);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "group"), 0);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 1, "mid"), 0);
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 0, "mid:0"), 0);
  ck_assert_uint_eq(
      sansrtc_sdp_remove_attr(sdp, SANSRTC_SDP_SESSION, "extmap-allow-mixed"),
      1);
  char *out = write_all(sdp, NULL);
  ck_assert_ptr_null(strstr(out, "candidate"));
  ck_assert_ptr_null(strstr(out, "extmap-allow-mixed"));
  ck_assert_ptr_nonnull(strstr(out, "a=group:BUNDLE 0\r\na=msid-semantic"));
  ck_assert_ptr_nonnull(strstr(out, "c=IN IP4 0.0.0.0\r\na=ice-ufrag:Hb2K"));
  sansrtc_sdp *again = round_trip(out, strlen(out), "removed");
  check_data_description(again, "removed", 0);
  sansrtc_sdp_free(again);
  free(out);
  /* Removing every attribute of a section. */
  sansrtc_sdp_free(sdp);
  sdp = parse_ok(hand_av, strlen(hand_av), "av");
  size_t before = sansrtc_sdp_line_count(sdp, 1);
  size_t rtcp_fb = sansrtc_sdp_attr_count(sdp, 1, "rtcp-fb");
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 1, "rtcp-fb"), rtcp_fb);
  ck_assert_uint_eq(sansrtc_sdp_line_count(sdp, 1), before - rtcp_fb);
  sansrtc_sdp_free(sdp);
}
END_TEST

/* Write with no buffer, a short one, one byte short and the exact size;
 * nothing is written past `cap`. */
START_TEST(test_write_sizes) {
  sansrtc_sdp *sdp = parse_ok(hand_offer, strlen(hand_offer), "offer");
  size_t want = strlen(hand_offer), len = 0;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(len, want);
  char *buf = malloc(want + 16);
  ck_assert_ptr_nonnull(buf);
  for (size_t cap = 0; cap <= want + 1; cap++) {
    memset(buf, '#', want + 16);
    len = 0;
    int rc = sansrtc_sdp_write(sdp, buf, cap, &len);
    ck_assert_uint_eq(len, want);
    size_t past = 0;
    for (size_t i = cap; i < want + 16; i++) past += buf[i] != '#';
    ck_assert_msg(past == 0, "cap %zu: %zu bytes written past it", cap, past);
    if (cap <= want) {
      ck_assert_int_eq(rc, SANSRTC_ERR_BUFFER_TOO_SMALL);
    } else {
      ck_assert_int_eq(rc, SANSRTC_OK);
      ck_assert_str_eq(buf, hand_offer);
    }
  }
  free(buf);
  sansrtc_sdp_free(sdp);
}
END_TEST

/* The builder keeps the same limits as the parser, so whatever it builds
 * can be written and read back. */
START_TEST(test_builder_limits) {
  sansrtc_sdp *sdp = NULL;
  int s = SANSRTC_SDP_SESSION;
  ck_assert_int_eq(sansrtc_sdp_new(&sdp), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'v', "0"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'o', "-"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 's', "-"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 't', "0 0"), SANSRTC_OK);
  for (unsigned i = 0; i < SANSRTC_SDP_MAX_MEDIA; i++)
    ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "audio", 9, "RTP/AVP", "0",
                                           NULL),
                     SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "audio", 9, "RTP/AVP", "0",
                                         NULL),
                   SANSRTC_ERR_LIMIT);
  size_t in_3 = 0;
  for (size_t lines = 4 + SANSRTC_SDP_MAX_MEDIA; lines < SANSRTC_SDP_MAX_LINES;
       lines++) {
    int m = (int)(lines % 7);
    in_3 += m == 3;
    ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, m, "x", NULL), SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "x", NULL), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'a', "x"), SANSRTC_ERR_LIMIT);
  /* Room again after a removal. */
  ck_assert_uint_eq(sansrtc_sdp_remove_attr(sdp, 3, "x"), in_3);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "x", NULL), SANSRTC_OK);
  char *out = write_all(sdp, NULL);
  sansrtc_sdp *again = parse_ok(out, strlen(out), "many lines");
  sansrtc_sdp_free(again);
  free(out);
  sansrtc_sdp_free(sdp);

  /* Text: fill to exactly SANSRTC_SDP_MAX_TEXT, then nothing more fits and
   * a longer port does not either. */
  ck_assert_int_eq(sansrtc_sdp_new(&sdp), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'v', "0"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'o', "-"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 's', "-"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 't', "0 0"), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, "audio", 9, "RTP/AVP", "0",
                                         NULL),
                   SANSRTC_OK);
  char *big = malloc(SANSRTC_SDP_MAX_TEXT + 1);
  ck_assert_ptr_nonnull(big);
  memset(big, 'b', SANSRTC_SDP_MAX_TEXT);
  big[SANSRTC_SDP_MAX_TEXT] = '\0';
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, 0, 'a', big), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_sdp_add_attr(sdp, 0, "x", big), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_sdp_add_media(sdp, big, 9, "RTP/AVP", "0", NULL),
                   SANSRTC_ERR_LIMIT);
  size_t len;
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  size_t fill = SANSRTC_SDP_MAX_TEXT - len - 4; /* "a=" + value + CRLF */
  big[fill] = '\0';
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, 0, 'a', big), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, 0, 'a', "z"), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 0, 10), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_sdp_set_port(sdp, 0, 1), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_sdp_write(sdp, NULL, 0, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(len, SANSRTC_SDP_MAX_TEXT);
  ck_assert_int_eq(sansrtc_sdp_add_line(sdp, s, 'z', "z"), SANSRTC_ERR_LIMIT);
  out = write_all(sdp, &len);
  again = parse_ok(out, len, "big");
  sansrtc_sdp_free(again);
  free(out);
  free(big);
  sansrtc_sdp_free(sdp);
}
END_TEST

Suite *sdp_suite(void) {
  Suite *s = suite_create("sdp");

  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, test_hand_offer);
  tcase_add_test(tc, test_hand_answer_and_legacy);
  tcase_add_test(tc, test_audio_video);
  tcase_add_test(tc, test_unknown_lines_kept);
  tcase_add_test(tc, test_line_ends);
  tcase_add_test(tc, test_session_order);
  tcase_add_test(tc, test_mline_forms);
  tcase_add_test(tc, test_attr_lookup);
  suite_add_tcase(s, tc);

  tc = tcase_create("fixtures");
  tcase_add_test(tc, test_browser_fixtures);
  suite_add_tcase(s, tc);

  tc = tcase_create("hostile");
  tcase_add_loop_test(tc, test_hostile, 0,
                      (int)(sizeof hostile / sizeof hostile[0]));
  tcase_add_test(tc, test_prefixes);
  tcase_add_test(tc, test_bit_flips);
  tcase_add_test(tc, test_null_arguments);
  tcase_add_test(tc, test_limit_text);
  tcase_add_test(tc, test_limit_lines);
  tcase_add_test(tc, test_limit_media);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("build");
  tcase_add_test(tc, test_new_is_empty);
  tcase_add_test(tc, test_build_offer);
  tcase_add_test(tc, test_builder_refuses);
  tcase_add_test(tc, test_set_port);
  tcase_add_test(tc, test_remove_attr);
  tcase_add_test(tc, test_write_sizes);
  tcase_add_test(tc, test_builder_limits);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}
