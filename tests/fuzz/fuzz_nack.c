/*
 * libFuzzer target for the NACK loop and the jitter buffer. The first
 * byte chooses what the rest feeds:
 *   0  RTCP bytes to a send history holding 64 packets (half of them
 *      with RTX); every resend must unwrap to the stored packet.
 *   1  (sequence number, time step) records to a NACK generator; every
 *      NACK it writes must parse and ask only for numbers seen missing.
 *   2  (sequence step, timestamp, marker, length) records with VP8 payload
 *      bytes to a jitter buffer, with timeouts and RTCP polls between.
 *   3  an RTP packet to sansrtc_rtx_unwrap.
 * Aborts on any violation.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/jitter_buffer.h>
#include <sansrtc/nack.h>
#include <sansrtc/rtcp.h>
#include <sansrtc/rtp.h>

#define MS SANSRTC_MILLISECONDS
#define SSRC 0x11111111u
#define RTX_SSRC 0x22222222u

static const sansrtc_rtx_config rtx = {RTX_SSRC, 1, {{96, 97}}};

static size_t stored_packet(uint8_t *buf, uint16_t seq, uint8_t pt) {
  uint8_t payload[40];
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(seq + i);
  sansrtc_rtp_header_fields h = {seq & 1, pt, seq, 1000u * seq, SSRC,
                                 NULL, 0, NULL, 0};
  size_t len = 0;
  if (sansrtc_rtp_write(&h, payload, seq % 40, (uint8_t)(seq % 3), buf, 200,
                        &len) != SANSRTC_OK)
    abort();
  return len;
}

static void fuzz_sender(const uint8_t *data, size_t size) {
  sansrtc_nack_sender_config c;
  sansrtc_nack_sender_config_default(&c);
  c.ssrc = SSRC;
  c.history_size = 64;
  c.max_packet_size = 200;
  c.rtx = rtx;
  sansrtc_nack_sender *s = NULL;
  if (sansrtc_nack_sender_new(&s, &c) != SANSRTC_OK) abort();
  uint8_t pkt[256], out[256];
  for (uint16_t q = 0; q < 80; q++) { /* 0..15 overwritten by 64..79 */
    size_t len = stored_packet(pkt, q, q % 2 ? 96 : 100);
    if (sansrtc_nack_sender_on_sent(s, pkt, len, q * MS) != SANSRTC_OK) abort();
  }
  for (int round = 0; round < 2; round++) {
    sansrtc_tstamp now = (100 + 5 * (sansrtc_tstamp)round) * MS;
    sansrtc_nack_sender_on_rtcp(s, data, size, now);
    size_t len;
    while (sansrtc_nack_sender_poll(s, now, out, sizeof out, &len) ==
           SANSRTC_OK) {
      sansrtc_rtp_packet p;
      if (sansrtc_rtp_parse(&p, out, len) != SANSRTC_OK) abort();
      uint16_t seq = p.sequence;
      if (p.ssrc == RTX_SSRC) {
        if (sansrtc_rtx_unwrap(&rtx, SSRC, out, &len) != SANSRTC_OK) abort();
        if (sansrtc_rtp_parse(&p, out, len) != SANSRTC_OK) abort();
        seq = p.sequence;
      }
      size_t n = stored_packet(pkt, seq, p.payload_type);
      if (seq < 16 || seq >= 80) abort();
      if (p.ssrc != SSRC || p.payload.len != seq % 40 ||
          memcmp(p.payload.data, pkt + 12, p.payload.len) != 0)
        abort();
      (void)n;
    }
  }
  sansrtc_nack_sender_del(s);
}

static void fuzz_generator(const uint8_t *data, size_t size) {
  sansrtc_nack_generator_config c;
  sansrtc_nack_generator_config_default(&c);
  c.max_missing = 64;
  c.reset_jump = 300;
  c.media_ssrc = SSRC;
  sansrtc_nack_generator *g = NULL;
  if (sansrtc_nack_generator_new(&g, &c) != SANSRTC_OK) abort();
  static uint8_t missing_ever[65536];
  memset(missing_ever, 0, sizeof missing_ever);
  sansrtc_tstamp now = 0;
  uint16_t last = 0;
  int started = 0;
  uint8_t buf[128];
  size_t len;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
    now += (sansrtc_tstamp)data[i + 2] * MS;
    if (data[i + 2] == 0xFF) sansrtc_nack_generator_set_rtt(g, seq * MS);
    /* Mirror the generator: a step forward of 1..300 leaves the numbers
     * in between missing; a larger jump either way restarts at seq. */
    int32_t diff = (int16_t)(uint16_t)(seq - last);
    if (started && diff > 0 && diff <= 300)
      for (uint16_t q = (uint16_t)(last + 1); q != seq; q++)
        missing_ever[q] = 1;
    if (!started || diff > 0 || diff < -300) last = seq;
    started = 1;
    sansrtc_nack_generator_on_packet(g, seq, now);
    if (sansrtc_nack_generator_next_deadline(g) <= now)
      sansrtc_nack_generator_handle_timeout(g, now);
    size_t cap = 16 + data[i + 2] % 100;
    while (sansrtc_nack_generator_poll(g, now, buf, cap, &len) == SANSRTC_OK) {
      sansrtc_rtcp_iter it;
      sansrtc_rtcp_header h;
      sansrtc_rtcp_nack n;
      uint16_t lost[1100];
      size_t count;
      sansrtc_rtcp_iter_init(&it, buf, len);
      if (len > cap || sansrtc_rtcp_iter_next(&it, &h) != 1 ||
          sansrtc_rtcp_parse_nack(&h, &n) != SANSRTC_OK ||
          sansrtc_rtcp_nack_lost(&n, lost, 1100, &count) != SANSRTC_OK)
        abort();
      for (size_t k = 0; k < count; k++)
        if (!missing_ever[lost[k]]) abort();
    }
  }
  if (sansrtc_nack_generator_missing(g) > 64) abort();
  sansrtc_nack_generator_del(g);
}

static void fuzz_jitter(const uint8_t *data, size_t size) {
  sansrtc_jitter_buffer_config c;
  sansrtc_jitter_buffer_config_default(&c, SANSRTC_CODEC_VP8);
  c.max_packets = 32;
  c.max_payload = 64;
  c.max_frames = 8;
  c.max_frame_size = 1024;
  c.keyframe_request = size % 2 ? SANSRTC_KEYFRAME_REQUEST_FIR
                                : SANSRTC_KEYFRAME_REQUEST_PLI;
  sansrtc_jitter_buffer *jb = NULL;
  if (sansrtc_jitter_buffer_new(&jb, &c) != SANSRTC_OK) abort();
  sansrtc_tstamp now = 0;
  uint16_t seq = 0;
  size_t i = 0;
  uint8_t buf[64];
  size_t len;
  sansrtc_frame fr;
  while (i + 4 <= size) {
    seq = (uint16_t)(seq + (int8_t)data[i]);
    uint32_t ts = 3000u * (data[i + 1] & 0x3Fu);
    int marker = data[i + 1] >> 7;
    size_t n = data[i + 2] % 80;
    now += (sansrtc_tstamp)(data[i + 3] & 0x3F) * 4 * MS;
    i += 4;
    if (n > size - i) n = size - i;
    sansrtc_jitter_buffer_push(jb, data + i, n, seq, ts, marker, now);
    i += n;
    if (sansrtc_jitter_buffer_next_deadline(jb) <= now)
      sansrtc_jitter_buffer_handle_timeout(jb, now);
    while (sansrtc_jitter_buffer_pop(jb, &fr) == SANSRTC_OK)
      if (fr.len > 1024 || (fr.len > 0 && fr.data == NULL)) abort();
    while (sansrtc_jitter_buffer_poll_rtcp(jb, now, buf, sizeof buf, &len) ==
           SANSRTC_OK)
      if (len != 12 && len != 20) abort();
  }
  sansrtc_jitter_buffer_del(jb);
}

static void fuzz_unwrap(const uint8_t *data, size_t size) {
  static uint8_t work[65536];
  if (size > sizeof work) return;
  memcpy(work, data, size);
  size_t len = size;
  int rc = sansrtc_rtx_unwrap(&rtx, SSRC, work, &len);
  if (rc == SANSRTC_OK) {
    sansrtc_rtp_packet p;
    if (len + 2 > size || sansrtc_rtp_parse(&p, work, len) != SANSRTC_OK ||
        p.ssrc != SSRC || p.payload_type != 96 || p.padding)
      abort();
  } else if (memcmp(work, data, size) != 0) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 4) {
    case 0: fuzz_sender(data + 1, size - 1); break;
    case 1: fuzz_generator(data + 1, size - 1); break;
    case 2: fuzz_jitter(data + 1, size - 1); break;
    default: fuzz_unwrap(data + 1, size - 1); break;
  }
  return 0;
}
