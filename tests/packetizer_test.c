/*
 * packetizer_test.c - the RTP payload formats (sansrtc/packetizer.h):
 * every frame of real encoder output (tests/fixtures/media/) through
 * packetize -> shuffle within the frame -> depacketize, byte for byte, with
 * keyframes where ffprobe saw them; exact descriptor bytes worked out from
 * the RFCs; lost, duplicate and late packets; hostile payloads.
 * One test case per codec plus "assembler" for the shared frame assembly.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/packetizer.h>

#include "media_fixtures.h"
#include "packetizer_internal.h"
#include "suites.h"

#define MAX_PKTS 1024

static uint32_t prng_state;
static uint32_t prng(void) { /* xorshift32, fixed seed per run */
  uint32_t x = prng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return prng_state = x;
}

/* The packets of one frame. */
typedef struct pkts {
  uint8_t *buf; /* MAX_PKTS * max_payload */
  size_t max;
  size_t n;
  size_t len[MAX_PKTS];
  int marker[MAX_PKTS];
  uint16_t seq[MAX_PKTS];
} pkts;

static void pkts_init(pkts *p, size_t max) {
  p->buf = malloc(MAX_PKTS * max);
  ck_assert_ptr_nonnull(p->buf);
  p->max = max;
  p->n = 0;
}

static uint8_t *pkt_at(pkts *p, size_t i) { return p->buf + i * p->max; }

/* Packetizes `frame` into `out`, checking sizes and marker bits. */
static void packetize(sansrtc_packetizer *pz, const uint8_t *frame, size_t len,
                      pkts *out, uint16_t *seq, int video) {
  ck_assert_int_eq(sansrtc_packetizer_frame(pz, frame, len), SANSRTC_OK);
  out->n = 0;
  while (sansrtc_packetizer_pending(pz)) {
    ck_assert_uint_lt(out->n, MAX_PKTS);
    size_t i = out->n++;
    ck_assert_int_eq(sansrtc_packetizer_next(pz, pkt_at(out, i), out->max,
                                             &out->len[i], &out->marker[i]),
                     SANSRTC_OK);
    ck_assert_uint_le(out->len[i], out->max);
    ck_assert_uint_gt(out->len[i], 0);
    out->seq[i] = (*seq)++;
  }
  for (size_t i = 0; i < out->n; i++)
    ck_assert_int_eq(out->marker[i], video && i + 1 == out->n);
  size_t l;
  int m;
  ck_assert_int_eq(sansrtc_packetizer_next(pz, pkt_at(out, 0), out->max, &l, &m),
                   SANSRTC_ERR_INVALID_STATE);
}

static void shuffle(pkts *p) {
  uint8_t *tmp = malloc(p->max);
  ck_assert_ptr_nonnull(tmp);
  for (size_t i = p->n; i > 1; i--) {
    size_t j = prng() % i, k = i - 1;
    memcpy(tmp, pkt_at(p, k), p->max);
    memcpy(pkt_at(p, k), pkt_at(p, j), p->max);
    memcpy(pkt_at(p, j), tmp, p->max);
    size_t l = p->len[k];
    p->len[k] = p->len[j];
    p->len[j] = l;
    int m = p->marker[k];
    p->marker[k] = p->marker[j];
    p->marker[j] = m;
    uint16_t s = p->seq[k];
    p->seq[k] = p->seq[j];
    p->seq[j] = s;
  }
  free(tmp);
}

/* ---- what the depacketizer must give back ------------------------------ */

static const uint8_t sc4[4] = {0, 0, 0, 1};

static size_t leb(uint8_t *p, size_t v) {
  size_t n = 0;
  do {
    p[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) p[n] |= 0x80;
    n++;
  } while (v);
  return n;
}

/* H.264/H.265: every start code normalised to 4 bytes, trailing zero bytes
 * dropped. AV1: a temporal delimiter, then every OBU but temporal
 * delimiters and tile lists with a minimal LEB128 obu_size. Others: as is.
 * Returns the expected length in `dst`. */
static size_t expected(sansrtc_codec codec, const uint8_t *f, size_t len,
                       uint8_t *dst) {
  size_t o = 0;
  if (codec == SANSRTC_CODEC_H264 || codec == SANSRTC_CODEC_H265) {
    size_t pos = 0;
    pkt_view nal;
    while (sansrtc_annexb_next(f, len, &pos, &nal)) {
      memcpy(dst + o, sc4, 4);
      memcpy(dst + o + 4, nal.p, nal.len);
      o += 4 + nal.len;
    }
    return o;
  }
  if (codec == SANSRTC_CODEC_AV1) {
    dst[o++] = 0x12;
    dst[o++] = 0x00;
    size_t pos = 0;
    while (pos < len) {
      uint8_t h = f[pos];
      size_t hl = (h & 4) ? 2 : 1, off = pos + hl;
      ck_assert(h & 2); /* libaom writes sizes on every OBU */
      size_t size = 0, shift = 0;
      while (f[off] & 0x80) {
        size |= (size_t)(f[off++] & 0x7F) << shift;
        shift += 7;
      }
      size |= (size_t)f[off++] << shift;
      unsigned type = (h >> 3) & 15;
      if (type != 2 && type != 8) {
        memcpy(dst + o, f + pos, hl);
        o += hl;
        o += leb(dst + o, size);
        memcpy(dst + o, f + off, size);
        o += size;
      }
      pos = off + size;
    }
    return o;
  }
  memcpy(dst, f, len);
  return len;
}

/* ---- the fixture round trip -------------------------------------------- */

typedef struct trip {
  size_t frames;     /* popped */
  size_t incomplete; /* of which incomplete */
  size_t packets;
  size_t fragmented; /* frames of more than one packet */
} trip;

/* Every frame of the codec's fixture through packetize, shuffle and
 * depacketize. When drop_frame >= 0, the middle packet of that frame is
 * lost and exactly that frame must come out incomplete. */
static trip round_trip(sansrtc_codec codec, size_t max_payload,
                       long drop_frame) {
  static mf_media m;
  ck_assert_int_eq(mf_load(&m, codec), 0);
  ck_assert_uint_gt(m.n, 20);
  sansrtc_packetizer_config pc;
  sansrtc_packetizer_config_default(&pc, codec);
  pc.max_payload = max_payload;
  pc.picture_id = 0x7FF0; /* wraps during the run */
  sansrtc_packetizer *pz;
  ck_assert_int_eq(sansrtc_packetizer_new(&pz, &pc), SANSRTC_OK);
  sansrtc_depacketizer_config dc;
  sansrtc_depacketizer_config_default(&dc, codec);
  sansrtc_depacketizer *dp;
  ck_assert_int_eq(sansrtc_depacketizer_new(&dp, &dc), SANSRTC_OK);
  pkts p;
  pkts_init(&p, max_payload);
  uint8_t *want = malloc(1 << 20);
  ck_assert_ptr_nonnull(want);
  prng_state = 0x9E3779B9u;
  uint16_t seq = 65500; /* the 16-bit wrap happens in the run */
  uint32_t ts = 0xFFFF0000u;
  const int video = codec != SANSRTC_CODEC_OPUS;
  trip t = {0, 0, 0, 0};
  size_t next = 0; /* index of the frame the next pop must give */
  for (size_t i = 0; i <= m.n; i++) {
    if (i < m.n) {
      packetize(pz, m.frames[i].data, m.frames[i].len, &p, &seq, video);
      t.packets += p.n;
      if (p.n > 1) t.fragmented++;
      shuffle(&p);
    } else {
      p.n = 0;
    }
    for (size_t k = 0; k < p.n; k++) {
      if ((long)i == drop_frame) {
        ck_assert_uint_ge(p.n, 3);
        if (p.seq[k] == (uint16_t)(seq - p.n + p.n / 2)) continue;
      }
      ck_assert_int_eq(sansrtc_depacketizer_push(dp, pkt_at(&p, k), p.len[k],
                                                 p.seq[k], ts, p.marker[k]),
                       SANSRTC_OK);
      sansrtc_frame fr;
      int rc;
      while ((rc = sansrtc_depacketizer_pop(dp, &fr)) == SANSRTC_OK) {
        ck_assert_uint_lt(next, m.n);
        const mf_frame *want_f = &m.frames[next];
        size_t wl = expected(codec, want_f->data, want_f->len, want);
        int lost = (long)next == drop_frame;
        ck_assert_int_eq(fr.incomplete, lost);
        if (!lost) {
          ck_assert_uint_eq(fr.len, wl);
          ck_assert_mem_eq(fr.data, want, wl);
        }
        if (!lost && fr.keyframe != want_f->keyframe)
          ck_abort_msg("frame %zu: keyframe %d, expected %d", next, fr.keyframe,
                       want_f->keyframe);
        ck_assert_uint_eq(fr.timestamp, (uint32_t)(0xFFFF0000u + 3000u * next));
        t.frames++;
        t.incomplete += (size_t)fr.incomplete;
        next++;
      }
      ck_assert_int_eq(rc, SANSRTC_ERR_NOT_FOUND);
    }
    if (i == m.n) {
      sansrtc_depacketizer_flush(dp);
      sansrtc_frame fr;
      while (sansrtc_depacketizer_pop(dp, &fr) == SANSRTC_OK) {
        ck_assert_uint_lt(next, m.n);
        size_t wl = expected(codec, m.frames[next].data, m.frames[next].len,
                             want);
        ck_assert_uint_eq(fr.len, wl);
        ck_assert_mem_eq(fr.data, want, wl);
        ck_assert_int_eq(fr.incomplete, 0);
        t.frames++;
        next++;
      }
    }
    ts += 3000;
  }
  if (getenv("PKT_VERBOSE") != NULL) /* the figures the report quotes */
    fprintf(stderr, "%s max %zu: %zu frames, %zu packets, %zu fragmented, "
            "%zu incomplete\n", sansrtc_codec_name(codec), max_payload,
            t.frames, t.packets, t.fragmented, t.incomplete);
  ck_assert_uint_eq(next, m.n);
  sansrtc_depacketizer_stats st;
  sansrtc_depacketizer_get_stats(dp, &st);
  ck_assert_uint_eq(st.frames, m.n);
  ck_assert_uint_eq(st.frames_overwritten, 0);
  ck_assert_uint_eq(st.packets_malformed, 0);
  free(want);
  free(p.buf);
  sansrtc_depacketizer_del(dp);
  sansrtc_packetizer_del(pz);
  mf_free(&m);
  return t;
}

/* The fixture at 1200 and 300 bytes, then with a packet lost in a
 * fragmented key frame (frame 10). */
static void fixture_suite(sansrtc_codec codec) {
  trip big = round_trip(codec, 1200, -1);
  trip small = round_trip(codec, 300, -1);
  ck_assert_uint_eq(big.incomplete, 0);
  ck_assert_uint_eq(small.incomplete, 0);
  if (codec != SANSRTC_CODEC_OPUS) {
    ck_assert_uint_gt(small.packets, big.packets);
    ck_assert_uint_gt(small.fragmented, 0);
    trip lost = round_trip(codec, 300, 10);
    ck_assert_uint_eq(lost.incomplete, 1);
  }
}

/* ---- helpers for the exact-bytes tests --------------------------------- */

static sansrtc_packetizer *new_pz(sansrtc_codec codec, size_t max) {
  sansrtc_packetizer_config c;
  sansrtc_packetizer_config_default(&c, codec);
  c.max_payload = max;
  sansrtc_packetizer *p;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_OK);
  return p;
}

static sansrtc_depacketizer *new_dp(sansrtc_codec codec) {
  sansrtc_depacketizer_config c;
  sansrtc_depacketizer_config_default(&c, codec);
  c.max_frame_size = 4096;
  c.max_packets = 64;
  sansrtc_depacketizer *d;
  ck_assert_int_eq(sansrtc_depacketizer_new(&d, &c), SANSRTC_OK);
  return d;
}

/* Feeds every truncation of `pkt` and 2,000 random mutations of it. */
static void hostile(sansrtc_codec codec, const uint8_t *pkt, size_t len) {
  sansrtc_depacketizer *d = new_dp(codec);
  uint8_t buf[2048];
  sansrtc_frame fr;
  ck_assert_uint_le(len, sizeof buf);
  for (size_t cut = 0; cut <= len; cut++) {
    memcpy(buf, pkt, cut);
    (void)sansrtc_depacketizer_push(d, buf, cut, (uint16_t)cut, (uint32_t)cut,
                                    (int)(cut & 1));
    while (sansrtc_depacketizer_pop(d, &fr) != SANSRTC_ERR_NOT_FOUND) {
    }
  }
  prng_state = 12345;
  for (int i = 0; i < 2000; i++) {
    memcpy(buf, pkt, len);
    size_t l = prng() % (len + 1);
    for (int k = 0; k < 3; k++) buf[prng() % len] = (uint8_t)prng();
    (void)sansrtc_depacketizer_push(d, buf, l, (uint16_t)(prng() % 8),
                                    (uint32_t)(i / 4), (int)(prng() & 1));
    while (sansrtc_depacketizer_pop(d, &fr) != SANSRTC_ERR_NOT_FOUND) {
      ck_assert_uint_le(fr.len, 4096);
    }
  }
  sansrtc_depacketizer_flush(d);
  while (sansrtc_depacketizer_pop(d, &fr) != SANSRTC_ERR_NOT_FOUND) {
  }
  sansrtc_depacketizer_del(d);
}

/* Pushes one payload and pops one frame (which must come). */
static sansrtc_frame push_pop(sansrtc_depacketizer *d, const uint8_t *p,
                              size_t len, uint16_t seq, uint32_t ts,
                              int marker) {
  ck_assert_int_eq(sansrtc_depacketizer_push(d, p, len, seq, ts, marker),
                   SANSRTC_OK);
  sansrtc_frame fr;
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  return fr;
}

/* ---- Opus --------------------------------------------------------------- */

START_TEST(test_opus_fixture) { fixture_suite(SANSRTC_CODEC_OPUS); }
END_TEST

START_TEST(test_opus_exact) {
  /* RFC 7587 4.2: the payload is the Opus packet, unchanged. */
  static const uint8_t pkt[5] = {0x78, 0x01, 0x02, 0x03, 0x04};
  sansrtc_packetizer *p = new_pz(SANSRTC_CODEC_OPUS, 32);
  uint8_t out[64];
  size_t len;
  int marker;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, pkt, sizeof pkt), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, out, 31, &len, &marker),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_packetizer_next(p, out, sizeof out, &len, &marker),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 5);
  ck_assert_mem_eq(out, pkt, 5);
  ck_assert_int_eq(marker, 0);
  ck_assert_int_eq(sansrtc_packetizer_pending(p), 0);
  static uint8_t big[33];
  ck_assert_int_eq(sansrtc_packetizer_frame(p, big, sizeof big),
                   SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_packetizer_pending(p), 0);
  sansrtc_packetizer_del(p);
  /* Every Opus payload is a frame, whatever the timestamps. */
  sansrtc_depacketizer *d = new_dp(SANSRTC_CODEC_OPUS);
  sansrtc_frame fr = push_pop(d, pkt, sizeof pkt, 7, 960, 0);
  ck_assert_uint_eq(fr.len, 5);
  ck_assert_int_eq(fr.keyframe, 1);
  ck_assert_int_eq(fr.incomplete, 0);
  fr = push_pop(d, pkt, 3, 9, 960 * 3, 1);
  ck_assert_uint_eq(fr.len, 3);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 0, 10, 0, 0),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_depacketizer_del(d);
  hostile(SANSRTC_CODEC_OPUS, pkt, sizeof pkt);
}
END_TEST

/* ---- VP8 ---------------------------------------------------------------- */

START_TEST(test_vp8_fixture) { fixture_suite(SANSRTC_CODEC_VP8); }
END_TEST

START_TEST(test_vp8_exact) {
  /* RFC 7741 4.2: X=1 S=1 PID=0 -> 0x90; I=1 -> 0x80; M=1 and the 15-bit
   * PictureID 0x1234 -> 0x92 0x34. Then 0x80 (S=0) on later packets. */
  sansrtc_packetizer_config c;
  sansrtc_packetizer_config_default(&c, SANSRTC_CODEC_VP8);
  c.max_payload = 32;
  c.picture_id = 0x1234;
  sansrtc_packetizer *p;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_OK);
  uint8_t frame[40];
  for (size_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)(0x10 + i);
  frame[0] = 0x50; /* P bit 0: key frame */
  uint8_t a[32], b[32];
  size_t la, lb;
  int ma, mb;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, frame, sizeof frame), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, a, 32, &la, &ma), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, b, 32, &lb, &mb), SANSRTC_OK);
  static const uint8_t d1[4] = {0x90, 0x80, 0x92, 0x34};
  static const uint8_t d2[4] = {0x80, 0x80, 0x92, 0x34};
  ck_assert_uint_eq(la, 32);
  ck_assert_mem_eq(a, d1, 4);
  ck_assert_mem_eq(a + 4, frame, 28);
  ck_assert_int_eq(ma, 0);
  ck_assert_uint_eq(lb, 4 + 12);
  ck_assert_mem_eq(b, d2, 4);
  ck_assert_int_eq(mb, 1);
  /* The next frame has the next id. */
  ck_assert_int_eq(sansrtc_packetizer_frame(p, frame, 3), SANSRTC_OK);
  uint8_t c1[32];
  size_t lc;
  int mc;
  ck_assert_int_eq(sansrtc_packetizer_next(p, c1, 32, &lc, &mc), SANSRTC_OK);
  ck_assert_uint_eq(c1[2], 0x92);
  ck_assert_uint_eq(c1[3], 0x35);
  sansrtc_packetizer_del(p);

  /* Depacketize the two out of order: a key frame. */
  sansrtc_depacketizer *d = new_dp(SANSRTC_CODEC_VP8);
  sansrtc_frame fr;
  ck_assert_int_eq(sansrtc_depacketizer_push(d, b, lb, 101, 90000, 1),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_NOT_FOUND);
  fr = push_pop(d, a, la, 100, 90000, 0);
  ck_assert_uint_eq(fr.len, sizeof frame);
  ck_assert_mem_eq(fr.data, frame, sizeof frame);
  ck_assert_int_eq(fr.keyframe, 1);
  ck_assert_int_eq(fr.incomplete, 0);
  ck_assert_uint_eq(fr.first_seq, 100);
  ck_assert_uint_eq(fr.last_seq, 101);
  /* A minimal descriptor (X=0), S=1, P=1: not a key frame. A 7-bit
   * PictureID with L, T and K: descriptor 0x90 0xF0 0x05 0x01 0x40. */
  static const uint8_t m1[3] = {0x10, 0x01, 0xAA};
  fr = push_pop(d, m1, sizeof m1, 102, 93000, 1);
  ck_assert_uint_eq(fr.len, 2);
  ck_assert_int_eq(fr.keyframe, 0);
  static const uint8_t m2[7] = {0x90, 0xF0, 0x05, 0x01, 0x40, 0x00, 0xBB};
  fr = push_pop(d, m2, sizeof m2, 103, 96000, 1);
  ck_assert_uint_eq(fr.len, 2);
  ck_assert_uint_eq(fr.data[0], 0x00);
  ck_assert_int_eq(fr.keyframe, 1);
  /* Descriptor only, or cut inside it: malformed. */
  ck_assert_int_eq(sansrtc_depacketizer_push(d, m2, 5, 104, 99000, 1),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, m2, 3, 104, 99000, 1),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_depacketizer_del(d);
  hostile(SANSRTC_CODEC_VP8, a, la);
  hostile(SANSRTC_CODEC_VP8, m2, sizeof m2);
}
END_TEST

/* ---- VP9 ---------------------------------------------------------------- */

START_TEST(test_vp9_fixture) { fixture_suite(SANSRTC_CODEC_VP9); }
END_TEST

START_TEST(test_vp9_exact) {
  /* A profile-0 key frame header (VP9 spec 6.2): frame_marker 10, profile
   * 00, show_existing 0, frame_type 0, show_frame 1, error_res 0 -> 0x82;
   * sync code 49 83 42; color_space 000, color_range 0 -> 0000; width-1
   * 159 and height-1 119 in 16 bits each, from bit 36 on. */
  uint8_t key[40] = {0x82, 0x49, 0x83, 0x42, 0x00, 0x09, 0xF0, 0x07, 0x70};
  sansrtc_packetizer_config c;
  sansrtc_packetizer_config_default(&c, SANSRTC_CODEC_VP9);
  c.max_payload = 32;
  c.picture_id = 0x7FFF;
  sansrtc_packetizer *p;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_OK);
  uint8_t a[32], b[32];
  size_t la, lb;
  int ma, mb;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, key, sizeof key), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, a, 32, &la, &ma), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, b, 32, &lb, &mb), SANSRTC_OK);
  /* RFC 9628 4.2: I=1 P=0 L=0 F=0 B=1 E=0 V=1 Z=0 -> 0x8A; M=1, id 0x7FFF;
   * SS (4.2.1): N_S=0 Y=1 G=0 -> 0x10, width 160, height 120. */
  static const uint8_t d1[8] = {0x8A, 0xFF, 0xFF, 0x10, 0x00, 0xA0, 0x00, 0x78};
  ck_assert_mem_eq(a, d1, 8);
  ck_assert_uint_eq(la, 32);
  ck_assert_mem_eq(a + 8, key, 24);
  /* Then I=1 E=1 -> 0x84. */
  static const uint8_t d2[3] = {0x84, 0xFF, 0xFF};
  ck_assert_mem_eq(b, d2, 3);
  ck_assert_uint_eq(lb, 3 + 16);
  ck_assert_int_eq(ma, 0);
  ck_assert_int_eq(mb, 1);
  /* An inter frame (frame_type 1 -> 0x86): P=1, id wrapped to 0. */
  uint8_t inter[4] = {0x86, 1, 2, 3};
  ck_assert_int_eq(sansrtc_packetizer_frame(p, inter, sizeof inter), SANSRTC_OK);
  uint8_t c1[32];
  size_t lc;
  int mc;
  ck_assert_int_eq(sansrtc_packetizer_next(p, c1, 32, &lc, &mc), SANSRTC_OK);
  static const uint8_t d3[3] = {0xCC, 0x80, 0x00}; /* I P B E */
  ck_assert_mem_eq(c1, d3, 3);
  ck_assert_uint_eq(lc, 7);
  sansrtc_packetizer_del(p);

  sansrtc_depacketizer *d = new_dp(SANSRTC_CODEC_VP9);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, b, lb, 5, 1000, 1), SANSRTC_OK);
  sansrtc_frame fr = push_pop(d, a, la, 4, 1000, 0);
  ck_assert_uint_eq(fr.len, sizeof key);
  ck_assert_mem_eq(fr.data, key, sizeof key);
  ck_assert_int_eq(fr.keyframe, 1);
  fr = push_pop(d, c1, lc, 6, 4000, 1);
  ck_assert_int_eq(fr.keyframe, 0);
  ck_assert_uint_eq(fr.len, 4);
  /* Flexible mode: I=1 P=1 L=1 F=1 B=1 E=1 -> 0xFC, 7-bit id 0x05, layer
   * TID=0 U=0 SID=0 D=0, P_DIFFs 1 (N=1) and 2 (N=0), then the frame. */
  static const uint8_t flex[7] = {0xFC, 0x05, 0x00, 0x03, 0x04, 0x86, 0x00};
  fr = push_pop(d, flex, sizeof flex, 7, 7000, 1);
  ck_assert_uint_eq(fr.len, 2);
  ck_assert_uint_eq(fr.data[0], 0x86);
  ck_assert_int_eq(fr.keyframe, 0);
  /* Four P_DIFFs: malformed. So is an SS with a picture group cut short. */
  static const uint8_t flex4[8] = {0xFC, 0x05, 0x00, 0x03, 0x03, 0x03, 0x02, 0};
  ck_assert_int_eq(sansrtc_depacketizer_push(d, flex4, 8, 8, 9000, 1),
                   SANSRTC_ERR_MALFORMED);
  /* Non-flexible with SS and G: N_S=0 Y=0 G=1 (0x08), N_G=1, T=0 U=0 R=1
   * (0x04) P_DIFF 1; L with TL0PICIDX; B=1, P=0: a key frame. */
  static const uint8_t ss[9] = {0xAE, 0x01, 0x00, 0x07, 0x08,
                                0x01, 0x04, 0x01, 0x82};
  /* The frame of the refused packet comes out empty and incomplete. */
  fr = push_pop(d, ss, sizeof ss, 9, 10000, 1);
  ck_assert_uint_eq(fr.timestamp, 9000);
  ck_assert_uint_eq(fr.len, 0);
  ck_assert_int_eq(fr.incomplete, 1);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_uint_eq(fr.timestamp, 10000);
  ck_assert_int_eq(fr.incomplete, 0);
  ck_assert_uint_eq(fr.len, 1);
  ck_assert_int_eq(fr.keyframe, 1);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, ss, 8, 10, 11000, 1),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, ss, 6, 10, 11000, 1),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_depacketizer_del(d);
  hostile(SANSRTC_CODEC_VP9, a, la);
  hostile(SANSRTC_CODEC_VP9, flex, sizeof flex);
  hostile(SANSRTC_CODEC_VP9, ss, sizeof ss);
}
END_TEST

/* ---- H.264 -------------------------------------------------------------- */

START_TEST(test_h264_fixture) { fixture_suite(SANSRTC_CODEC_H264); }
END_TEST

/* An access unit: AUD, SPS, PPS (3-byte start codes) and an IDR slice of
 * `idr` bytes (4-byte start code). */
static size_t h264_au(uint8_t *au, size_t idr, int with_ps) {
  static const uint8_t head[] = {0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67, 0x42,
                                 0xC0, 0x0A, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80};
  size_t o = 0;
  if (with_ps) {
    memcpy(au, head, sizeof head);
    o = sizeof head;
  } else {
    memcpy(au, head, 5);
    o = 5;
  }
  memcpy(au + o, sc4, 4);
  o += 4;
  au[o++] = 0x65;
  for (size_t i = 1; i < idr; i++) au[o++] = (uint8_t)(i | 1);
  return o;
}

START_TEST(test_h264_exact) {
  uint8_t au[200], out[64];
  size_t n = h264_au(au, 60, 1), len;
  int marker;
  sansrtc_packetizer *p = new_pz(SANSRTC_CODEC_H264, 32);
  ck_assert_int_eq(sansrtc_packetizer_frame(p, au, n), SANSRTC_OK);
  /* RFC 6184 5.7.1 STAP-A: F=0, NRI = the highest (3, SPS) -> 0x78; then
   * each NAL unit with a 16-bit size. */
  static const uint8_t stap[] = {0x78, 0, 2, 0x09, 0xF0, 0, 4, 0x67, 0x42,
                                 0xC0, 0x0A, 0, 4, 0x68, 0xCE, 0x3C, 0x80};
  ck_assert_int_eq(sansrtc_packetizer_next(p, out, 64, &len, &marker),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, sizeof stap);
  ck_assert_mem_eq(out, stap, sizeof stap);
  ck_assert_int_eq(marker, 0);
  /* 5.8 FU-A: indicator F|NRI(3)|28 = 0x7C, header S|type 5 = 0x85; 30
   * bytes of the slice after its header; then E -> 0x45. */
  ck_assert_int_eq(sansrtc_packetizer_next(p, out, 64, &len, &marker),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 32);
  ck_assert_uint_eq(out[0], 0x7C);
  ck_assert_uint_eq(out[1], 0x85);
  ck_assert_uint_eq(out[2], 0x01);
  ck_assert_int_eq(marker, 0);
  ck_assert_int_eq(sansrtc_packetizer_next(p, out, 64, &len, &marker),
                   SANSRTC_OK);
  ck_assert_uint_eq(out[1], 0x45);
  ck_assert_uint_eq(len, 2 + 59 - 30);
  ck_assert_int_eq(marker, 1);
  /* An IDR access unit without SPS/PPS gets the stored ones first. */
  n = h264_au(au, 10, 0);
  ck_assert_int_eq(sansrtc_packetizer_frame(p, au, n), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, out, 64, &len, &marker),
                   SANSRTC_OK);
  ck_assert_uint_eq(out[0], 0x78);
  ck_assert_uint_eq(len, 1 + 4 + 6 + 6 + 12);
  ck_assert_mem_eq(out + 5, stap + 5, 12); /* SPS and PPS */
  ck_assert_uint_eq(out[17], 0);
  ck_assert_uint_eq(out[18], 10);
  ck_assert_uint_eq(out[19], 0x65);
  ck_assert_int_eq(marker, 1);
  sansrtc_packetizer_del(p);

  /* Mode 0: single NAL units only, and a NAL unit too long is an error. */
  sansrtc_packetizer_config c;
  sansrtc_packetizer_config_default(&c, SANSRTC_CODEC_H264);
  c.max_payload = 32;
  c.h264_packetization_mode = 0;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_OK);
  n = h264_au(au, 60, 1);
  ck_assert_int_eq(sansrtc_packetizer_frame(p, au, n), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_packetizer_pending(p), 0);
  n = h264_au(au, 20, 1);
  ck_assert_int_eq(sansrtc_packetizer_frame(p, au, n), SANSRTC_OK);
  size_t count = 0;
  while (sansrtc_packetizer_pending(p)) {
    ck_assert_int_eq(sansrtc_packetizer_next(p, out, 64, &len, &marker),
                     SANSRTC_OK);
    ck_assert_uint_le(out[0] & 0x1F, 23);
    count++;
  }
  ck_assert_uint_eq(count, 4);
  static const uint8_t zeros[8] = {0};
  ck_assert_int_eq(sansrtc_packetizer_frame(p, zeros, 8), SANSRTC_ERR_MALFORMED);
  sansrtc_packetizer_del(p);

  /* Depacketizer: STAP-A + two FU-As, reordered: Annex-B with 4-byte start
   * codes, a key frame. */
  sansrtc_depacketizer *d = new_dp(SANSRTC_CODEC_H264);
  static const uint8_t fu1[] = {0x7C, 0x85, 0xAA, 0xBB};
  static const uint8_t fu2[] = {0x7C, 0x45, 0xCC};
  static const uint8_t want[] = {0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x67,
                                 0x42, 0xC0, 0x0A, 0, 0, 0, 1, 0x68, 0xCE,
                                 0x3C, 0x80, 0, 0, 0, 1, 0x65, 0xAA, 0xBB,
                                 0xCC};
  ck_assert_int_eq(sansrtc_depacketizer_push(d, fu2, sizeof fu2, 3, 0, 1),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, stap, sizeof stap, 1, 0, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, fu1, sizeof fu1, 2, 0, 0),
                   SANSRTC_OK);
  sansrtc_frame fr;
  /* The stream's first frame: its start is only known when it closes. */
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_NOT_FOUND);
  static const uint8_t single[] = {0x41, 0x9A, 0x01};
  ck_assert_int_eq(sansrtc_depacketizer_push(d, single, 3, 4, 3000, 1),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_uint_eq(fr.len, sizeof want);
  ck_assert_mem_eq(fr.data, want, sizeof want);
  ck_assert_int_eq(fr.keyframe, 1);
  ck_assert_int_eq(fr.incomplete, 0);
  /* Then the single NAL unit frame, whole: it follows the marker. */
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_uint_eq(fr.len, 7);
  ck_assert_int_eq(fr.keyframe, 0);
  ck_assert_int_eq(fr.incomplete, 0);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_NOT_FOUND);
  /* A late packet of that frame is dropped; so is a duplicate. */
  ck_assert_int_eq(sansrtc_depacketizer_push(d, single, 3, 4, 3000, 1),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_NOT_FOUND);
  /* An FU-A whose start was lost: the frame is incomplete, the fragment
   * dropped. */
  ck_assert_int_eq(sansrtc_depacketizer_push(d, single, 3, 5, 6000, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, single, 3, 5, 6000, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, fu2, sizeof fu2, 7, 6000, 1),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_NOT_FOUND);
  sansrtc_depacketizer_flush(d);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_int_eq(fr.incomplete, 1);
  ck_assert_uint_eq(fr.len, 7);
  sansrtc_depacketizer_stats st;
  sansrtc_depacketizer_get_stats(d, &st);
  ck_assert_uint_eq(st.packets_late, 1);
  ck_assert_uint_eq(st.packets_duplicate, 1);
  ck_assert_uint_eq(st.frames_incomplete, 1);
  /* Types this module does not handle, and ones that do not exist. */
  static const uint8_t stapb[] = {0x19, 0, 0, 0, 1, 0x41};
  static const uint8_t mtap[] = {0x1A, 0, 0};
  static const uint8_t fub[] = {0x1D, 0x85, 0, 0, 1};
  static const uint8_t fuse[] = {0x7C, 0xC5, 1};
  static const uint8_t t30[] = {0x1E, 1};
  static const uint8_t stap_lie[] = {0x78, 0, 9, 0x67};
  static const uint8_t stap_zero[] = {0x78, 0, 0};
  ck_assert_int_eq(sansrtc_depacketizer_push(d, stapb, 6, 8, 9000, 0),
                   SANSRTC_ERR_UNSUPPORTED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, mtap, 3, 8, 9000, 0),
                   SANSRTC_ERR_UNSUPPORTED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, fub, 5, 8, 9000, 0),
                   SANSRTC_ERR_UNSUPPORTED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, fuse, 3, 8, 9000, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, t30, 2, 8, 9000, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, stap_lie, 4, 8, 9000, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, stap_zero, 3, 8, 9000, 0),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_depacketizer_del(d);
  hostile(SANSRTC_CODEC_H264, stap, sizeof stap);
  hostile(SANSRTC_CODEC_H264, fu1, sizeof fu1);
}
END_TEST

/* ---- H.265 -------------------------------------------------------------- */

START_TEST(test_h265_fixture) { fixture_suite(SANSRTC_CODEC_H265); }
END_TEST

START_TEST(test_h265_exact) {
  /* VPS (type 32: 0x40 0x01), SPS (0x42 0x01), PPS (0x44 0x01) and an
   * IDR_W_RADL slice (type 19: 0x26 0x01) of 50 bytes. */
  uint8_t au[128];
  size_t o = 0;
  static const uint8_t ps[] = {0, 0, 0, 1, 0x40, 0x01, 0x0C, 0, 0, 1, 0x42,
                               0x01, 0x01, 0, 0, 1, 0x44, 0x01, 0xC1};
  memcpy(au, ps, sizeof ps);
  o = sizeof ps;
  memcpy(au + o, sc4, 4);
  o += 4;
  au[o++] = 0x26;
  au[o++] = 0x01;
  for (int i = 0; i < 48; i++) au[o++] = (uint8_t)(0x80 | i);
  sansrtc_packetizer *p = new_pz(SANSRTC_CODEC_H265, 32);
  uint8_t a[32], b[32], c1[32];
  size_t la, lb, lc;
  int ma, mb, mc;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, au, o), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, a, 32, &la, &ma), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, b, 32, &lb, &mb), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, c1, 32, &lc, &mc), SANSRTC_OK);
  /* RFC 7798 4.4.2 AP: type 48, LayerId 0, TID 1 -> 0x60 0x01. */
  static const uint8_t ap[] = {0x60, 0x01, 0, 3, 0x40, 0x01, 0x0C, 0, 3,
                               0x42, 0x01, 0x01, 0, 3, 0x44, 0x01, 0xC1};
  ck_assert_uint_eq(la, sizeof ap);
  ck_assert_mem_eq(a, ap, sizeof ap);
  /* 4.4.3 FU: PayloadHdr type 49 -> 0x62 0x01; FU header S|19 = 0x93, then
   * E|19 = 0x53. */
  ck_assert_uint_eq(b[0], 0x62);
  ck_assert_uint_eq(b[1], 0x01);
  ck_assert_uint_eq(b[2], 0x93);
  ck_assert_uint_eq(b[3], 0x80);
  ck_assert_uint_eq(lb, 32);
  ck_assert_uint_eq(c1[2], 0x53);
  ck_assert_uint_eq(lc, 3 + 48 - 29);
  ck_assert_int_eq(ma + mb, 0);
  ck_assert_int_eq(mc, 1);
  sansrtc_packetizer_del(p);
  sansrtc_depacketizer *d = new_dp(SANSRTC_CODEC_H265);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, c1, lc, 2, 0, 1), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, a, la, 0, 0, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, b, lb, 1, 0, 0), SANSRTC_OK);
  sansrtc_depacketizer_flush(d);
  sansrtc_frame fr;
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  uint8_t want[160];
  size_t wl = expected(SANSRTC_CODEC_H265, au, o, want);
  ck_assert_uint_eq(fr.len, wl);
  ck_assert_mem_eq(fr.data, want, wl);
  ck_assert_int_eq(fr.keyframe, 1);
  ck_assert_int_eq(fr.incomplete, 0);
  static const uint8_t paci[] = {0x64, 0x01, 0, 0};
  static const uint8_t t60[] = {0x78, 0x01, 0};
  static const uint8_t fu_se[] = {0x62, 0x01, 0xD3, 0};
  ck_assert_int_eq(sansrtc_depacketizer_push(d, paci, 4, 3, 1, 0),
                   SANSRTC_ERR_UNSUPPORTED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, t60, 3, 3, 1, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, fu_se, 4, 3, 1, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, ap, 5, 3, 1, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, ap, 1, 3, 1, 0),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_depacketizer_del(d);
  hostile(SANSRTC_CODEC_H265, a, la);
  hostile(SANSRTC_CODEC_H265, b, lb);
}
END_TEST

/* ---- AV1 ---------------------------------------------------------------- */

START_TEST(test_av1_fixture) { fixture_suite(SANSRTC_CODEC_AV1); }
END_TEST

START_TEST(test_av1_exact) {
  /* A temporal unit (AV1 5.2): temporal delimiter 0x12 0x00, sequence
   * header (type 1: 0x0A, size 3), a frame (type 6: 0x32, size 40, first
   * payload byte 0x10: show_existing_frame 0, frame_type KEY_FRAME). */
  uint8_t tu[64];
  size_t o = 0;
  static const uint8_t head[] = {0x12, 0x00, 0x0A, 0x03, 0xAA, 0xBB, 0xCC,
                                 0x32, 40};
  memcpy(tu, head, sizeof head);
  o = sizeof head;
  for (int i = 0; i < 40; i++) tu[o++] = (uint8_t)(i == 0 ? 0x10 : i);
  sansrtc_packetizer *p = new_pz(SANSRTC_CODEC_AV1, 32);
  uint8_t a[32], b[32];
  size_t la, lb;
  int ma, mb;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, tu, o), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, a, 32, &la, &ma), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, b, 32, &lb, &mb), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_pending(p), 0);
  /* AV1 RTP 4.4: Z=0 Y=1 W=2 N=1 -> 0x68; element 1: length 4, the
   * sequence header with obu_has_size_field cleared (0x08); element 2 (the
   * last, no length): 0x30 and the first 26 bytes of the frame (32 bytes). */
  static const uint8_t a_want[7] = {0x68, 0x04, 0x08, 0xAA, 0xBB, 0xCC, 0x30};
  ck_assert_uint_eq(la, 32);
  ck_assert_mem_eq(a, a_want, 7);
  ck_assert_mem_eq(a + 7, tu + 9, 25);
  ck_assert_int_eq(ma, 0);
  /* Z=1 Y=0 W=1 -> 0x90, the rest: 40 - 25 = 15 bytes. */
  ck_assert_uint_eq(b[0], 0x90);
  ck_assert_uint_eq(lb, 16);
  ck_assert_mem_eq(b + 1, tu + 9 + 25, 15);
  ck_assert_int_eq(mb, 1);
  /* A temporal unit of only a temporal delimiter has nothing to send; an
   * OBU size that lies is malformed. */
  ck_assert_int_eq(sansrtc_packetizer_frame(p, head, 2), SANSRTC_ERR_MALFORMED);
  static const uint8_t lie[] = {0x32, 0x09, 0x00};
  ck_assert_int_eq(sansrtc_packetizer_frame(p, lie, 3), SANSRTC_ERR_MALFORMED);
  /* An OBU without size field (last in the unit) is sent too. */
  static const uint8_t nosize[] = {0x30, 0x50, 0x01};
  uint8_t c1[32];
  size_t lc;
  int mc;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, nosize, 3), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, c1, 32, &lc, &mc), SANSRTC_OK);
  static const uint8_t c_want[] = {0x10, 0x30, 0x50, 0x01};
  ck_assert_uint_eq(lc, 4);
  ck_assert_mem_eq(c1, c_want, 4);
  sansrtc_packetizer_del(p);
  /* An element of 199 bytes with 200 bytes of room: with a length (2 bytes)
   * it does not fit, without one (W=1) it does, whole (found by the
   * fuzzer: the packetizer once read past the OBU here). */
  p = new_pz(SANSRTC_CODEC_AV1, 201);
  uint8_t big[201] = {0x32, 0xC6, 0x01}; /* OBU_FRAME, size 198 */
  for (size_t i = 3; i < sizeof big; i++) big[i] = (uint8_t)i;
  uint8_t e[201];
  size_t le;
  int me;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, big, sizeof big), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_packetizer_next(p, e, sizeof e, &le, &me),
                   SANSRTC_OK);
  ck_assert_uint_eq(le, 200);
  ck_assert_uint_eq(e[0], 0x10);
  ck_assert_uint_eq(e[1], 0x30);
  ck_assert_mem_eq(e + 2, big + 3, 198);
  ck_assert_int_eq(me, 1);
  ck_assert_int_eq(sansrtc_packetizer_pending(p), 0);
  sansrtc_packetizer_del(p);

  sansrtc_depacketizer *d = new_dp(SANSRTC_CODEC_AV1);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, b, lb, 11, 0, 1), SANSRTC_OK);
  sansrtc_frame fr = push_pop(d, a, la, 10, 0, 0);
  ck_assert_uint_eq(fr.len, o);
  ck_assert_mem_eq(fr.data, tu, o);
  ck_assert_int_eq(fr.keyframe, 1);
  ck_assert_int_eq(fr.incomplete, 0);
  fr = push_pop(d, c1, lc, 12, 3000, 1);
  static const uint8_t c_out[] = {0x12, 0x00, 0x32, 0x02, 0x50, 0x01};
  ck_assert_uint_eq(fr.len, sizeof c_out);
  ck_assert_mem_eq(fr.data, c_out, sizeof c_out);
  ck_assert_int_eq(fr.keyframe, 0);
  /* W=0: every element has a length; an element that keeps its size. */
  static const uint8_t w0[] = {0x00, 0x02, 0x30, 0x07, 0x03, 0x32, 0x01, 0x09};
  fr = push_pop(d, w0, sizeof w0, 13, 6000, 1);
  static const uint8_t w0_out[] = {0x12, 0x00, 0x32, 0x01, 0x07,
                                   0x32, 0x01, 0x09};
  ck_assert_uint_eq(fr.len, sizeof w0_out);
  ck_assert_mem_eq(fr.data, w0_out, sizeof w0_out);
  /* Lengths that lie, an empty element, nothing after the header. */
  static const uint8_t bad1[] = {0x00, 0x05, 0x30};
  static const uint8_t bad2[] = {0x00, 0x00, 0x30};
  static const uint8_t bad3[] = {0x20, 0x05, 0x30, 0x30};
  ck_assert_int_eq(sansrtc_depacketizer_push(d, bad1, 3, 14, 9000, 1),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, bad2, 3, 14, 9000, 1),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, bad3, 4, 14, 9000, 1),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, bad3, 1, 14, 9000, 1),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_depacketizer_del(d);
  hostile(SANSRTC_CODEC_AV1, a, la);
  hostile(SANSRTC_CODEC_AV1, w0, sizeof w0);
}
END_TEST

/* ---- the shared assembler ------------------------------------------------ */

START_TEST(test_assembler_limits) {
  sansrtc_depacketizer_config c;
  sansrtc_depacketizer_config_default(&c, SANSRTC_CODEC_VP8);
  ck_assert_uint_eq(c.max_frame_size, 1u << 20);
  sansrtc_depacketizer *d;
  c.max_frame_size = 63;
  ck_assert_int_eq(sansrtc_depacketizer_new(&d, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(d);
  c.max_frame_size = 64;
  c.max_packets = 3;
  ck_assert_int_eq(sansrtc_depacketizer_new(&d, &c), SANSRTC_OK);
  uint8_t pkt[40] = {0x10, 0x00};
  /* Packet count limit: the fourth packet of a frame is refused. */
  for (uint16_t s = 0; s < 3; s++)
    ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 10, s, 1, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 10, 3, 1, 1),
                   SANSRTC_ERR_LIMIT);
  sansrtc_frame fr;
  sansrtc_depacketizer_flush(d);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_int_eq(fr.incomplete, 1);
  ck_assert_uint_eq(fr.len, 27);
  /* Byte limit: 40 + 40 > 64. */
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 40, 10, 2, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 40, 11, 2, 1),
                   SANSRTC_ERR_LIMIT);
  /* Sequence wrap inside a frame, packets in reverse order. */
  pkt[0] = 0x00;
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 5, 0, 3, 1), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_int_eq(fr.incomplete, 1); /* the frame of timestamp 2 */
  pkt[0] = 0x10;
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 5, 65535, 3, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_OK);
  ck_assert_int_eq(fr.incomplete, 0);
  ck_assert_uint_eq(fr.first_seq, 65535);
  ck_assert_uint_eq(fr.last_seq, 0);
  ck_assert_uint_eq(fr.len, 8);
  /* A ready frame not popped is overwritten by the next one. */
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 5, 1, 4, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 5, 2, 5, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, pkt, 5, 3, 6, 0), SANSRTC_OK);
  sansrtc_depacketizer_stats st;
  sansrtc_depacketizer_get_stats(d, &st);
  ck_assert_uint_eq(st.frames_overwritten, 1);
  ck_assert_int_eq(sansrtc_depacketizer_push(NULL, pkt, 1, 0, 0, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_depacketizer_push(d, NULL, 1, 0, 0, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_depacketizer_del(d);
  sansrtc_depacketizer_del(NULL);

  /* A reassembled frame larger than max_frame_size: H.264 adds start codes
   * (each 1-byte NAL unit in a STAP-A costs 3 bytes in, 5 out). */
  sansrtc_depacketizer_config_default(&c, SANSRTC_CODEC_H264);
  c.max_frame_size = 64;
  ck_assert_int_eq(sansrtc_depacketizer_new(&d, &c), SANSRTC_OK);
  uint8_t stap[61] = {0x78};
  for (size_t i = 1; i + 3 <= sizeof stap; i += 3) {
    stap[i] = 0;
    stap[i + 1] = 1;
    stap[i + 2] = 0x09;
  }
  ck_assert_int_eq(sansrtc_depacketizer_push(d, stap, 61, 0, 0, 1), SANSRTC_OK);
  sansrtc_depacketizer_flush(d);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_depacketizer_pop(d, &fr), SANSRTC_ERR_NOT_FOUND);
  sansrtc_depacketizer_get_stats(d, &st);
  ck_assert_uint_eq(st.frames_too_large, 1);
  sansrtc_depacketizer_del(d);
}
END_TEST

START_TEST(test_packetizer_arguments) {
  sansrtc_packetizer_config c;
  sansrtc_packetizer *p = (sansrtc_packetizer *)&c;
  sansrtc_packetizer_config_default(&c, SANSRTC_CODEC_H264);
  c.max_payload = SANSRTC_PACKETIZER_MIN_PAYLOAD - 1;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(p);
  c.max_payload = SANSRTC_PACKETIZER_MAX_PAYLOAD + 1;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_ERR_INVALID_ARGUMENT);
  c.max_payload = 1200;
  c.h264_packetization_mode = 2;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_ERR_INVALID_ARGUMENT);
  c.h264_packetization_mode = 1;
  c.codec = (sansrtc_codec)0;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_packetizer_new(NULL, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c.codec = SANSRTC_CODEC_VP8;
  ck_assert_int_eq(sansrtc_packetizer_new(&p, &c), SANSRTC_OK);
  uint8_t buf[1200];
  size_t len;
  int m;
  ck_assert_int_eq(sansrtc_packetizer_frame(p, NULL, 3),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_packetizer_frame(p, buf, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_packetizer_next(p, buf, sizeof buf, &len, &m),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_packetizer_next(p, NULL, sizeof buf, &len, &m),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_packetizer_pending(NULL), 0);
  sansrtc_packetizer_del(p);
  sansrtc_packetizer_del(NULL);
  ck_assert_str_eq(sansrtc_codec_name(SANSRTC_CODEC_H264), "H264");
  ck_assert_str_eq(sansrtc_codec_name(SANSRTC_CODEC_OPUS), "opus");
  ck_assert_str_eq(sansrtc_codec_name((sansrtc_codec)42), "unknown");
}
END_TEST

/* The start-code scan against a byte-at-a-time reference (Annex-B B.2: a
 * NAL unit runs from after 00 00 01 to the next 00 00 01 or the end,
 * trailing zero bytes dropped, empty ones skipped). */
static int annexb_reference(const uint8_t *b, size_t len, size_t *pos,
                            pkt_view *nal) {
  size_t i = *pos;
  for (;;) {
    while (i + 3 <= len && !(b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1)) i++;
    if (i + 3 > len) {
      *pos = len;
      return 0;
    }
    size_t start = i + 3, end = start;
    while (end + 3 <= len && !(b[end] == 0 && b[end + 1] == 0 && b[end + 2] == 1))
      end++;
    if (end + 3 > len) end = len;
    *pos = end;
    size_t stop = end;
    while (stop > start && b[stop - 1] == 0) stop--;
    if (stop > start) {
      nal->p = b + start;
      nal->len = stop - start;
      return 1;
    }
    i = end;
  }
}

START_TEST(test_annexb_scan) {
  /* Exact: 3- and 4-byte start codes, a trailing zero, an empty unit. */
  static const uint8_t au[] = {9, 0, 0, 1, 0x65, 0xAA, 0, 0, 0, 1, 0x41,
                               0xBB, 0,    0,    0, 1, 0, 0, 1, 0x06, 1};
  size_t pos = 0;
  pkt_view n;
  ck_assert_int_eq(sansrtc_annexb_next(au, sizeof au, &pos, &n), 1);
  ck_assert_int_eq(n.p - au, 4);
  ck_assert_uint_eq(n.len, 2);
  ck_assert_int_eq(sansrtc_annexb_next(au, sizeof au, &pos, &n), 1);
  ck_assert_int_eq(n.p - au, 10);
  ck_assert_uint_eq(n.len, 2);
  ck_assert_int_eq(sansrtc_annexb_next(au, sizeof au, &pos, &n), 1);
  ck_assert_int_eq(n.p - au, 19);
  ck_assert_uint_eq(n.len, 2);
  ck_assert_int_eq(sansrtc_annexb_next(au, sizeof au, &pos, &n), 0);
  ck_assert_uint_eq(pos, sizeof au);
  /* Random bytes, mostly 0 and 1, in buffers of 0..47 bytes. */
  prng_state = 0xA11B0C5u;
  uint8_t b[48];
  for (int trial = 0; trial < 50000; trial++) {
    size_t len = prng() % sizeof b;
    for (size_t i = 0; i < len; i++) {
      uint32_t r = prng() % 8;
      b[i] = (uint8_t)(r < 4 ? 0 : r < 7 ? 1 : prng());
    }
    size_t p1 = 0, p2 = 0;
    pkt_view n1, n2;
    for (;;) {
      int r1 = sansrtc_annexb_next(b, len, &p1, &n1);
      int r2 = annexb_reference(b, len, &p2, &n2);
      ck_assert_int_eq(r1, r2);
      ck_assert_uint_eq(p1, p2);
      if (r1 == 0) break;
      ck_assert_ptr_eq(n1.p, n2.p);
      ck_assert_uint_eq(n1.len, n2.len);
    }
  }
}
END_TEST

static TCase *codec_case(const char *name, const TTest *fixture,
                         const TTest *exact) {
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, fixture);
  tcase_add_test(tc, exact);
  return tc;
}

Suite *packetizer_suite(void) {
  Suite *s = suite_create("packetizer");
  suite_add_tcase(s, codec_case("opus", test_opus_fixture, test_opus_exact));
  suite_add_tcase(s, codec_case("vp8", test_vp8_fixture, test_vp8_exact));
  suite_add_tcase(s, codec_case("vp9", test_vp9_fixture, test_vp9_exact));
  suite_add_tcase(s, codec_case("h264", test_h264_fixture, test_h264_exact));
  suite_add_tcase(s, codec_case("h265", test_h265_fixture, test_h265_exact));
  suite_add_tcase(s, codec_case("av1", test_av1_fixture, test_av1_exact));
  TCase *tc = tcase_create("assembler");
  tcase_add_test(tc, test_assembler_limits);
  tcase_add_test(tc, test_packetizer_arguments);
  tcase_add_test(tc, test_annexb_scan);
  suite_add_tcase(s, tc);
  return s;
}
