/*
 * libFuzzer target for the SDP parser and writer. Every input is parsed as
 * it is (no NUL added). An accepted description must write; the written
 * text must parse again and write to the same bytes. Every accessor is run
 * over it, then the builder changes it (port, attributes) and the result
 * must still write and parse. A rejected input must leave a terminated
 * error message. Any failure aborts.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/sdp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes `sdp` into a new buffer of the size it asks for; aborts on any
 * inconsistency. The caller frees the text. */
static char *write_text(const sansrtc_sdp *sdp, size_t *len) {
  size_t need = 0, got = 0;
  if (sansrtc_sdp_write(sdp, NULL, 0, &need) != SANSRTC_ERR_BUFFER_TOO_SMALL)
    abort();
  if (need > SANSRTC_SDP_MAX_TEXT) abort();
  char *text = malloc(need + 1);
  if (text == NULL) abort();
  if (need > 0 && sansrtc_sdp_write(sdp, text, need, &got) !=
                      SANSRTC_ERR_BUFFER_TOO_SMALL)
    abort();
  if (sansrtc_sdp_write(sdp, text, need + 1, &got) != SANSRTC_OK ||
      got != need || strlen(text) != need)
    abort();
  *len = need;
  return text;
}

/* Parses text that must parse. */
static sansrtc_sdp *must_parse(const char *text, size_t len) {
  sansrtc_sdp *sdp = NULL;
  sansrtc_sdp_error err;
  if (sansrtc_sdp_parse(&sdp, text, len, &err) != SANSRTC_OK || sdp == NULL)
    abort();
  return sdp;
}

/* Every line of every section, and the attribute lookups on each a= name
 * seen, must be consistent with each other. */
static void walk(const sansrtc_sdp *sdp) {
  size_t media = sansrtc_sdp_media_count(sdp);
  for (int s = SANSRTC_SDP_SESSION; s < (int)media; s++) {
    size_t lines = sansrtc_sdp_line_count(sdp, s);
    for (size_t i = 0; i < lines; i++) {
      char type = 0;
      const char *value = NULL;
      if (sansrtc_sdp_line(sdp, s, i, &type, &value) != SANSRTC_OK) abort();
      if (type < 'a' || type > 'z' || value == NULL || value[0] == '\0')
        abort();
      if ((type == 'm') != (s >= 0 && i == 0)) abort();
      if (type != 'a' || strchr(value, ':') == NULL) continue;
      char name[64];
      size_t n = (size_t)(strchr(value, ':') - value);
      if (n >= sizeof name) continue;
      memcpy(name, value, n);
      name[n] = '\0';
      size_t count = sansrtc_sdp_attr_count(sdp, s, name);
      if (count == 0) abort();
      if (sansrtc_sdp_attr(sdp, s, name, count - 1) == NULL) abort();
      if (sansrtc_sdp_attr(sdp, s, name, count) != NULL) abort();
      if (s >= 0 && sansrtc_sdp_media_attr(sdp, (size_t)s, name) !=
                        sansrtc_sdp_attr(sdp, s, name, 0))
        abort();
    }
    char type;
    const char *value;
    if (sansrtc_sdp_line(sdp, s, lines, &type, &value) != SANSRTC_ERR_NOT_FOUND)
      abort();
  }
  for (size_t m = 0; m < media; m++) {
    sansrtc_sdp_mline ml;
    if (sansrtc_sdp_media_line(sdp, m, &ml) != SANSRTC_OK) abort();
    if (ml.media[0] == '\0' || ml.proto[0] == '\0' || ml.fmt[0] == '\0' ||
        ml.port_count == 0)
      abort();
    sansrtc_sdp_media_attr(sdp, m, "ice-ufrag");
    sansrtc_sdp_media_attr(sdp, m, "fingerprint");
  }
  sansrtc_sdp_mline ml;
  if (sansrtc_sdp_media_line(sdp, media, &ml) != SANSRTC_ERR_NOT_FOUND)
    abort();
}

/* Changes the description through the builder; it must stay parseable. */
static void edit(sansrtc_sdp *sdp) {
  size_t media = sansrtc_sdp_media_count(sdp);
  for (size_t m = 0; m < media; m++) {
    int rc = sansrtc_sdp_set_port(sdp, m, (uint16_t)(m * 7919u));
    if (rc != SANSRTC_OK && rc != SANSRTC_ERR_LIMIT) abort();
    sansrtc_sdp_remove_attr(sdp, (int)m, "candidate");
    if (sansrtc_sdp_attr_count(sdp, (int)m, "candidate") != 0) abort();
  }
  sansrtc_sdp_remove_attr(sdp, SANSRTC_SDP_SESSION, "group");
  int rc = sansrtc_sdp_add_attr(sdp, SANSRTC_SDP_SESSION, "fuzz", "1");
  if (rc != SANSRTC_OK && rc != SANSRTC_ERR_LIMIT) abort();
  rc = sansrtc_sdp_add_media(sdp, "application", 9, "UDP/DTLS/SCTP",
                             "webrtc-datachannel", NULL);
  if (rc != SANSRTC_OK && rc != SANSRTC_ERR_LIMIT) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sansrtc_sdp *first = NULL;
  sansrtc_sdp_error err;
  int rc = sansrtc_sdp_parse(&first, (const char *)data, size, &err);
  if (rc != SANSRTC_OK) {
    if (first != NULL) abort();
    if (memchr(err.message, '\0', sizeof err.message) == NULL) abort();
    if (rc != SANSRTC_ERR_MALFORMED && rc != SANSRTC_ERR_LIMIT) abort();
    return 0;
  }
  size_t len1, len2, len3;
  char *text1 = write_text(first, &len1);
  sansrtc_sdp *second = must_parse(text1, len1);
  char *text2 = write_text(second, &len2);
  if (len1 != len2 || memcmp(text1, text2, len1) != 0) abort();
  walk(first);

  edit(second);
  walk(second);
  char *text3 = write_text(second, &len3);
  sansrtc_sdp *third = must_parse(text3, len3);
  walk(third);

  sansrtc_sdp_free(third);
  sansrtc_sdp_free(second);
  sansrtc_sdp_free(first);
  free(text3);
  free(text2);
  free(text1);
  return 0;
}
