/*
 * libFuzzer target for the RTP parser. Every input is parsed; an accepted
 * packet's views must lie inside the input, its extension elements are
 * iterated (which must not fail after a successful parse), typed accessors
 * are tried on each element, and the packet is written again from the
 * parsed fields, which must parse to the same values. Aborts on any
 * violation.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtp.h>

#define MAX_ELEMS 64

static void check_view(const uint8_t *p, size_t n, const uint8_t *data,
                       size_t size) {
  if (n > 0 && (p < data || p + n > data + size)) abort();
}

static void try_typed(const sansrtc_rtp_ext *e) {
  sansrtc_rtp_bytes v;
  uint32_t u32;
  uint16_t u16;
  int voice;
  uint8_t level;
  if (sansrtc_rtp_ext_parse_mid(e, &v) == SANSRTC_OK)
    check_view(v.data, v.len, e->data, e->len);
  if (sansrtc_rtp_ext_parse_rid(e, &v) == SANSRTC_OK)
    check_view(v.data, v.len, e->data, e->len);
  if (sansrtc_rtp_ext_parse_abs_send_time(e, &u32) == SANSRTC_OK &&
      u32 > 0xFFFFFFu)
    abort();
  (void)sansrtc_rtp_ext_parse_twcc_seq(e, &u16);
  if (sansrtc_rtp_ext_parse_audio_level(e, &voice, &level) == SANSRTC_OK &&
      level > 127)
    abort();
}

static void rewrite(const sansrtc_rtp_packet *p, const sansrtc_rtp_ext *elems,
                    size_t count) {
  static uint8_t out[70000];
  sansrtc_rtp_header_fields h = {.marker = p->marker,
                                 .payload_type = p->payload_type,
                                 .sequence = p->sequence,
                                 .timestamp = p->timestamp,
                                 .ssrc = p->ssrc,
                                 .csrc = p->csrc,
                                 .csrc_count = p->csrc_count,
                                 .ext = elems,
                                 .ext_count = count};
  size_t len;
  if (sansrtc_rtp_write(&h, p->payload.data, p->payload.len, p->padding_len,
                        out, sizeof out, &len) != SANSRTC_OK)
    abort();
  sansrtc_rtp_packet q;
  if (sansrtc_rtp_parse(&q, out, len) != SANSRTC_OK) abort();
  if (q.sequence != p->sequence || q.ssrc != p->ssrc ||
      q.timestamp != p->timestamp || q.payload_type != p->payload_type ||
      q.marker != p->marker || q.csrc_count != p->csrc_count ||
      q.payload.len != p->payload.len || q.padding_len != p->padding_len ||
      memcmp(q.csrc, p->csrc, sizeof q.csrc) != 0 ||
      (q.payload.len > 0 &&
       memcmp(q.payload.data, p->payload.data, q.payload.len) != 0))
    abort();
  size_t off = 0, n = 0;
  sansrtc_rtp_ext e;
  while (sansrtc_rtp_ext_next(&q, &off, &e) == 1) {
    if (n >= count || e.id != elems[n].id || e.len != elems[n].len) abort();
    n++;
  }
  if (n != count) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)sansrtc_rtp_is_rtcp(data, size);
  sansrtc_rtp_packet p;
  if (sansrtc_rtp_parse(&p, data, size) != SANSRTC_OK) return 0;
  check_view(p.payload.data, p.payload.len, data, size);
  check_view(p.ext.data, p.ext.len, data, size);
  if (p.header_len + p.payload.len + p.padding_len != size) abort();
  sansrtc_rtp_ext elems[MAX_ELEMS];
  size_t off = 0, count = 0;
  int rc;
  sansrtc_rtp_ext e;
  while ((rc = sansrtc_rtp_ext_next(&p, &off, &e)) == 1) {
    check_view(e.data, e.len, data, size);
    try_typed(&e);
    if (count < MAX_ELEMS) elems[count] = e;
    count++;
  }
  if (rc != 0) abort();
  /* Elements whose id the writer refuses (id 0 cannot occur) are all valid;
   * re-encode when the list fits our array. */
  if (count <= MAX_ELEMS) rewrite(&p, elems, count);
  return 0;
}
