/*
 * libFuzzer target for the RTP payload formats (sansrtc/packetizer.h).
 * Byte 0 chooses the codec (low 3 bits, modulo 6) and the mode:
 *  - bit 7 clear: the rest is a sequence of packets, each a control byte
 *    (bit 0 marker, bits 1-3 sequence step minus 2 so packets reorder and
 *    repeat, bits 4-5 timestamp: same, next, previous, far), a length byte
 *    and that many payload bytes, pushed into a depacketizer with a small
 *    frame limit; every ready frame is popped and checked against it.
 *  - bit 7 set: byte 1 picks max_payload (32 + 4 * byte 1) and the rest is
 *    a frame for the packetizer; every payload must fit, the marker must be
 *    on the last alone, and depacketizing the payloads must give a whole
 *    frame (for Opus, VP8 and VP9 the same bytes).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/packetizer.h>

#define MAX_FRAME 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(sansrtc_depacketizer *d) {
  sansrtc_frame f;
  int rc;
  while ((rc = sansrtc_depacketizer_pop(d, &f)) != SANSRTC_ERR_NOT_FOUND) {
    if (rc == SANSRTC_ERR_LIMIT) continue;
    if (rc != SANSRTC_OK || f.len > MAX_FRAME || (f.len > 0 && f.data == NULL))
      abort();
    volatile uint8_t sum = 0; /* touch every byte: ASan sees over-reads */
    for (size_t i = 0; i < f.len; i++) sum = (uint8_t)(sum + f.data[i]);
    (void)sum;
  }
}

static sansrtc_depacketizer *make_depacketizer(sansrtc_codec codec,
                                               size_t max_frame,
                                               size_t max_packets) {
  sansrtc_depacketizer_config c;
  sansrtc_depacketizer_config_default(&c, codec);
  c.max_frame_size = max_frame;
  c.max_packets = max_packets;
  sansrtc_depacketizer *d;
  if (sansrtc_depacketizer_new(&d, &c) != SANSRTC_OK) abort();
  return d;
}

static void packets(sansrtc_codec codec, const uint8_t *p, size_t n) {
  sansrtc_depacketizer *d = make_depacketizer(codec, MAX_FRAME, 64);
  uint16_t seq = 65530;
  uint32_t ts = 0xFFFFFFF0u;
  while (n >= 2) {
    uint8_t ctl = p[0];
    size_t len = p[1];
    p += 2;
    n -= 2;
    if (len > n) len = n;
    seq = (uint16_t)(seq + ((ctl >> 1) & 7u) - 2u);
    switch ((ctl >> 4) & 3u) {
    case 1: ts += 3000; break;
    case 2: ts -= 3000; break;
    case 3: ts += 0x40000000u; break;
    default: break;
    }
    (void)sansrtc_depacketizer_push(d, p, len, seq, ts, ctl & 1);
    drain(d);
    p += len;
    n -= len;
  }
  sansrtc_depacketizer_flush(d);
  drain(d);
  sansrtc_depacketizer_del(d);
}

static void round_trip(sansrtc_codec codec, size_t max_payload,
                       const uint8_t *frame, size_t len) {
  sansrtc_packetizer_config c;
  sansrtc_packetizer_config_default(&c, codec);
  c.max_payload = max_payload;
  sansrtc_packetizer *p;
  if (sansrtc_packetizer_new(&p, &c) != SANSRTC_OK) abort();
  if (sansrtc_packetizer_frame(p, frame, len) != SANSRTC_OK) {
    if (sansrtc_packetizer_pending(p)) abort();
    sansrtc_packetizer_del(p);
    return;
  }
  sansrtc_depacketizer *d = make_depacketizer(codec, 4 * len + 64, len + 16);
  uint8_t *buf = malloc(max_payload);
  if (buf == NULL) abort();
  uint16_t seq = 0;
  int marker = 0;
  while (sansrtc_packetizer_pending(p)) {
    size_t n;
    if (marker) abort(); /* nothing after the marker */
    if (sansrtc_packetizer_next(p, buf, max_payload, &n, &marker) != SANSRTC_OK ||
        n > max_payload || n == 0 || seq > 4 * len + 8)
      abort();
    if (sansrtc_depacketizer_push(d, buf, n, seq++, 1234, marker) != SANSRTC_OK)
      abort();
  }
  if (codec != SANSRTC_CODEC_OPUS && !marker) abort();
  sansrtc_depacketizer_flush(d);
  sansrtc_frame f;
  if (sansrtc_depacketizer_pop(d, &f) != SANSRTC_OK || f.incomplete) abort();
  if ((codec == SANSRTC_CODEC_OPUS || codec == SANSRTC_CODEC_VP8 ||
       codec == SANSRTC_CODEC_VP9) &&
      (f.len != len || memcmp(f.data, frame, len) != 0))
    abort();
  free(buf);
  sansrtc_depacketizer_del(d);
  sansrtc_packetizer_del(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  sansrtc_codec codec = (sansrtc_codec)(data[0] % 8 % 6 + 1);
  if (data[0] & 0x80)
    round_trip(codec, 32 + 4 * (size_t)data[1], data + 2, size - 2);
  else
    packets(codec, data + 1, size - 1);
  return 0;
}
