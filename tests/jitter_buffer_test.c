/*
 * jitter_buffer_test.c - the frame buffer over VP8 payloads made by the
 * packetizer: order, reordering, late repair, skips after max_wait, whole
 * lost frames, keyframe gating, PLI (RFC 4585 6.3.1) and FIR (RFC 5104
 * 4.3.1) bytes and rate, wrap, window and frame-table limits, restart,
 * Opus; and sansrtc_depacketizer_inspect.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/jitter_buffer.h>
#include <sansrtc/packetizer.h>

#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define T0 (5 * SANSRTC_SECONDS)
#define SSRC 0x01020304u
#define OUR_SSRC 0x0A0B0C0Du
#define MAX_PKTS 256
#define FRAME_LEN 70 /* 3 packets of at most 28 media bytes */

typedef struct tpkt {
  uint8_t data[64];
  size_t len;
  uint16_t seq;
  uint32_t ts;
  int marker;
  int frame; /* index of its frame */
} tpkt;

typedef struct tstream {
  tpkt p[MAX_PKTS];
  size_t n;
  uint8_t frames[32][FRAME_LEN];
  int key[32];
  int nframes;
} tstream;

/* `nframes` VP8 frames of FRAME_LEN bytes (a keyframe when key[i]: the
 * VP8 P bit, RFC 7741 4.3, is the low bit of the first byte), packetized
 * with 32-byte payloads from sequence number `seq0`, 3000 ticks apart. */
static void make_stream(tstream *s, int nframes, const char *keys,
                        uint16_t seq0) {
  sansrtc_packetizer_config c;
  sansrtc_packetizer_config_default(&c, SANSRTC_CODEC_VP8);
  c.max_payload = 32;
  sansrtc_packetizer *pk = NULL;
  ck_assert_int_eq(sansrtc_packetizer_new(&pk, &c), SANSRTC_OK);
  memset(s, 0, sizeof *s);
  s->nframes = nframes;
  uint16_t seq = seq0;
  for (int f = 0; f < nframes; f++) {
    s->key[f] = keys[f] == 'K';
    for (int i = 0; i < FRAME_LEN; i++)
      s->frames[f][i] = (uint8_t)(f * 31 + i * 7);
    s->frames[f][0] = s->key[f] ? 0x10 : 0x11;
    ck_assert_int_eq(sansrtc_packetizer_frame(pk, s->frames[f], FRAME_LEN),
                     SANSRTC_OK);
    while (sansrtc_packetizer_pending(pk)) {
      tpkt *p = &s->p[s->n++];
      ck_assert_int_eq(sansrtc_packetizer_next(pk, p->data, sizeof p->data,
                                               &p->len, &p->marker),
                       SANSRTC_OK);
      p->seq = seq++;
      p->ts = 90000u + 3000u * (uint32_t)f;
      p->frame = f;
    }
  }
  sansrtc_packetizer_del(pk);
}

static sansrtc_jitter_buffer *new_jb(sansrtc_keyframe_request req) {
  sansrtc_jitter_buffer_config c;
  sansrtc_jitter_buffer_config_default(&c, SANSRTC_CODEC_VP8);
  c.sender_ssrc = OUR_SSRC;
  c.media_ssrc = SSRC;
  c.keyframe_request = req;
  c.max_frame_size = 4096;
  sansrtc_jitter_buffer *jb = NULL;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &c), SANSRTC_OK);
  return jb;
}

static void push(sansrtc_jitter_buffer *jb, const tpkt *p, sansrtc_tstamp t) {
  ck_assert_int_eq(sansrtc_jitter_buffer_push(jb, p->data, p->len, p->seq,
                                              p->ts, p->marker, t),
                   SANSRTC_OK);
}

/* Pops every ready frame, checks each against the stream, and returns
 * how many came out; their indices go to `got` (from *n on). */
static int drain(sansrtc_jitter_buffer *jb, const tstream *s, int *got,
                 int *n) {
  sansrtc_frame fr;
  int count = 0;
  while (sansrtc_jitter_buffer_pop(jb, &fr) == SANSRTC_OK) {
    int f = (int)((fr.timestamp - 90000u) / 3000u);
    ck_assert_int_lt(f, s->nframes);
    ck_assert_uint_eq(fr.len, FRAME_LEN);
    ck_assert_mem_eq(fr.data, s->frames[f], FRAME_LEN);
    ck_assert_int_eq(fr.keyframe, s->key[f]);
    if (got != NULL) got[(*n)++] = f;
    count++;
  }
  return count;
}

START_TEST(test_in_order) {
  tstream s;
  make_stream(&s, 6, "KDDDDD", 1000);
  ck_assert_uint_eq(s.n, 18);
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  int got[8], n = 0;
  for (size_t i = 0; i < s.n; i++) {
    push(jb, &s.p[i], T0 + i * MS);
    drain(jb, &s, got, &n);
    /* A frame comes out exactly at its marker packet. */
    ck_assert_int_eq(n, (int)(i + 1) / 3);
  }
  for (int i = 0; i < 6; i++) ck_assert_int_eq(got[i], i);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames, 6);
  ck_assert_uint_eq(st.keyframes, 1);
  ck_assert_uint_eq(st.packets, 18);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb),
                    SANSRTC_TSTAMP_NEVER);
  uint8_t buf[32];
  size_t len;
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0, buf, sizeof buf,
                                                   &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* Packets shuffled within and across frames: frames still come out whole
 * and in order, each as soon as it and those before it are whole. */
START_TEST(test_reordered) {
  tstream s;
  make_stream(&s, 4, "KDDD", 65530); /* across the 16-bit wrap too */
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  static const int order[12] = {2, 0, 4, 5, 3, 1, 8, 9, 11, 10, 7, 6};
  int got[8], n = 0;
  for (int i = 0; i < 12; i++) {
    push(jb, &s.p[order[i]], T0 + (sansrtc_tstamp)i * MS);
    drain(jb, &s, got, &n);
    if (i == 4) ck_assert_int_eq(n, 0);
    if (i == 5) ck_assert_int_eq(n, 2); /* 0, 1, 2 done: frames 0 and 1 */
    if (i == 10) ck_assert_int_eq(n, 2); /* frame 2 still lacks packet 6 */
  }
  ck_assert_int_eq(n, 4);
  for (int i = 0; i < 4; i++) ck_assert_int_eq(got[i], i);
  /* Duplicates and late packets are dropped. */
  push(jb, &s.p[3], T0 + 20 * MS);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.packets_late, 1);
  ck_assert_uint_eq(st.frames_skipped, 0);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* A packet repaired before max_wait (200 ms): the frame waits, then comes
 * out whole, and nothing is skipped. The deadline is the head's. */
START_TEST(test_late_repair) {
  tstream s;
  make_stream(&s, 3, "KDD", 10);
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  for (size_t i = 0; i < s.n; i++)
    if (i != 4) push(jb, &s.p[i], T0 + 10 * MS);
  ck_assert_int_eq(drain(jb, &s, NULL, NULL), 1);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb), T0 + 210 * MS);
  sansrtc_jitter_buffer_handle_timeout(jb, T0 + 209 * MS);
  push(jb, &s.p[4], T0 + 209 * MS);
  ck_assert_int_eq(drain(jb, &s, NULL, NULL), 2);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames, 3);
  ck_assert_uint_eq(st.frames_skipped, 0);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

static const uint8_t pli_bytes[12] = {0x81, 0xCE, 0x00, 0x02, 0x0A, 0x0B,
                                      0x0C, 0x0D, 0x01, 0x02, 0x03, 0x04};

/* A packet never repaired: at max_wait its frame is skipped, the frames
 * after it are not decodable until the next keyframe, and a PLI goes out
 * at once, then every 500 ms until the keyframe. */
START_TEST(test_skip_and_pli) {
  tstream s;
  make_stream(&s, 6, "KDDKDD", 300);
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  for (size_t i = 0; i < 9; i++)
    if (i != 4) push(jb, &s.p[i], T0);
  int got[8], n = 0;
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 1);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb), T0 + 200 * MS);
  sansrtc_jitter_buffer_handle_timeout(jb, T0 + 200 * MS);
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 1); /* frame 2 is whole but not decodable */
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb), 0);
  uint8_t buf[32];
  size_t len;
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + 200 * MS, buf, 11,
                                                   &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + 200 * MS, buf,
                                                   sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 12);
  ck_assert_mem_eq(buf, pli_bytes, 12);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb), T0 + 700 * MS);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + 699 * MS, buf,
                                                   sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + 700 * MS, buf,
                                                   sizeof buf, &len),
                   SANSRTC_OK);
  for (size_t i = 9; i < s.n; i++) push(jb, &s.p[i], T0 + 710 * MS);
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 4);
  ck_assert_int_eq(got[1], 3);
  ck_assert_int_eq(got[3], 5);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb),
                    SANSRTC_TSTAMP_NEVER);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames_skipped, 1);
  ck_assert_uint_eq(st.frames_not_decodable, 1);
  ck_assert_uint_eq(st.keyframe_requests, 2);
  /* The missing packet, arriving now, is late. */
  push(jb, &s.p[4], T0 + 720 * MS);
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.packets_late, 1);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* A whole frame lost: the next frame (its start known from the VP8 S bit)
 * waits max_wait for it, then the gap is given up; a keyframe after the
 * gap is handed out. */
START_TEST(test_lost_frame_gap) {
  tstream s;
  make_stream(&s, 3, "KDK", 0);
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  for (size_t i = 0; i < s.n; i++)
    if (s.p[i].frame != 1) push(jb, &s.p[i], T0 + i * MS);
  int got[4], n = 0;
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 1);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb), T0 + 206 * MS);
  sansrtc_jitter_buffer_handle_timeout(jb, T0 + 206 * MS);
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(got[1], 2);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.gaps_skipped, 1);
  ck_assert_uint_eq(st.frames_skipped, 0);
  /* The keyframe cleared the request before it was sent. */
  uint8_t buf[32];
  size_t len;
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + SANSRTC_SECONDS,
                                                   buf, sizeof buf, &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* FIR: RFC 5104 4.3.1.1 layout (media SSRC 0, then SSRC and Seq nr.); a
 * repetition keeps the sequence number, a new request increments it. */
START_TEST(test_fir_sequence) {
  tstream s;
  make_stream(&s, 6, "KDDKDD", 0);
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_FIR);
  uint8_t buf[32];
  size_t len;
  uint8_t fir[20] = {0x84, 0xCE, 0x00, 0x04, 0x0A, 0x0B, 0x0C,
                     0x0D, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
                     0x03, 0x04, 0x00, 0x00, 0x00, 0x00};
  sansrtc_jitter_buffer_request_keyframe(jb);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0, buf, 19, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0, buf, sizeof buf,
                                                   &len),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, 20);
  ck_assert_mem_eq(buf, fir, 20);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + 500 * MS, buf,
                                                   sizeof buf, &len),
                   SANSRTC_OK);
  ck_assert_mem_eq(buf, fir, 20); /* repetition: Seq nr. 0 again */
  for (size_t i = 0; i < 6; i++) push(jb, &s.p[i], T0 + 600 * MS);
  ck_assert_int_eq(drain(jb, &s, NULL, NULL), 2); /* keyframe: satisfied */
  sansrtc_jitter_buffer_request_keyframe(jb);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0 + 1000 * MS, buf,
                                                   sizeof buf, &len),
                   SANSRTC_OK);
  fir[16] = 1;
  ck_assert_mem_eq(buf, fir, 20);
  sansrtc_jitter_buffer_del(jb);
  /* NONE never asks. */
  jb = new_jb(SANSRTC_KEYFRAME_REQUEST_NONE);
  sansrtc_jitter_buffer_request_keyframe(jb);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0, buf, sizeof buf,
                                                   &len),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* A stream starting with delta frames: they are dropped and a keyframe
 * is asked for; the first keyframe starts decoding. */
START_TEST(test_starts_without_keyframe) {
  tstream s;
  make_stream(&s, 4, "DDKD", 0);
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  int got[4], n = 0;
  for (size_t i = 0; i < 6; i++) push(jb, &s.p[i], T0);
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 0);
  uint8_t buf[32];
  size_t len;
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(jb, T0, buf, sizeof buf,
                                                   &len),
                   SANSRTC_OK);
  for (size_t i = 6; i < s.n; i++) push(jb, &s.p[i], T0);
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(got[0], 2);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* The window (max_packets) and the frame table (max_frames): a packet
 * beyond either skips the oldest frame. */
START_TEST(test_limits) {
  tstream s;
  make_stream(&s, 8, "KDDDKDDD", 0);
  sansrtc_jitter_buffer_config c;
  sansrtc_jitter_buffer_config_default(&c, SANSRTC_CODEC_VP8);
  c.max_packets = 8;
  c.max_frames = 2;
  c.max_frame_size = 256;
  sansrtc_jitter_buffer *jb = NULL;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &c), SANSRTC_OK);
  /* Frame 0 lacks its first packet: it blocks; frames 1 and 2 arrive. */
  for (size_t i = 1; i < 6; i++) push(jb, &s.p[i], T0);
  ck_assert_int_eq(drain(jb, &s, NULL, NULL), 0);
  /* Packet 6 (frame 2): a third frame, the table holds two: frame 0 goes,
   * frame 1 is whole but not a keyframe. */
  push(jb, &s.p[6], T0);
  ck_assert_int_eq(drain(jb, &s, NULL, NULL), 0);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames_skipped, 1);
  ck_assert_uint_eq(st.frames_not_decodable, 1);
  /* Packets 7, 9, 10: frame 2 waits for 8, frame 3 for 11. */
  push(jb, &s.p[7], T0);
  push(jb, &s.p[9], T0);
  push(jb, &s.p[10], T0);
  ck_assert_int_eq(drain(jb, &s, NULL, NULL), 0);
  push(jb, &s.p[12], T0); /* frame 4: a third frame, frame 2 goes */
  int got[8], n = 0;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames_skipped, 2);
  for (size_t i = 13; i < 15; i++) push(jb, &s.p[i], T0);
  drain(jb, &s, got, &n);
  /* Frame 3 lacks packet 11 (its marker) and frame 4 is a keyframe:
   * at max_wait frame 3 is skipped and frame 4 comes out. */
  ck_assert_int_eq(n, 0);
  sansrtc_jitter_buffer_handle_timeout(jb, T0 + c.max_wait);
  drain(jb, &s, got, &n);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(got[0], 4);
  /* The window: with frame 5 waiting at 16 (15 lost), a packet at
   * 16 + 8 = 24 pushes it out; one at 23 would not have. */
  push(jb, &s.p[16], T0);
  tpkt far = s.p[21];
  far.seq = 23;
  push(jb, &far, T0);
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames_skipped, 3);
  far.seq = 24;
  far.ts += 3000;
  push(jb, &far, T0);
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.frames_skipped, 4);
  /* Over max_payload: refused. */
  uint8_t big[1501] = {0x90, 0x80, 0x80, 0x00};
  ck_assert_int_eq(sansrtc_jitter_buffer_push(jb, big, sizeof big, 100, 1, 1,
                                              T0),
                   SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_jitter_buffer_push(jb, big, 0, 100, 1, 1, T0),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.packets_refused, 2);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* A jump back of more than max_packets is a restart: held frames go, the
 * new stream's keyframe is handed out. */
START_TEST(test_restart) {
  tstream a, b;
  make_stream(&a, 2, "KD", 20000);
  make_stream(&b, 2, "KD", 5000);
  for (size_t i = 0; i < b.n; i++) b.p[i].ts += 1000000;
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  for (size_t i = 0; i < a.n - 1; i++) push(jb, &a.p[i], T0);
  ck_assert_int_eq(drain(jb, &a, NULL, NULL), 1);
  sansrtc_frame fr;
  for (size_t i = 0; i < b.n; i++) push(jb, &b.p[i], T0 + MS);
  int count = 0;
  while (sansrtc_jitter_buffer_pop(jb, &fr) == SANSRTC_OK) {
    ck_assert_uint_eq(fr.timestamp,
                      1000000u + 90000u + 3000u * (unsigned)count);
    ck_assert_mem_eq(fr.data, b.frames[count], FRAME_LEN);
    count++;
  }
  ck_assert_int_eq(count, 2);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.resets, 1);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

/* Opus: every packet is a frame; a lost one is a gap given up at
 * max_wait, with no keyframe gating (every Opus frame is independent). */
START_TEST(test_opus) {
  sansrtc_jitter_buffer_config c;
  sansrtc_jitter_buffer_config_default(&c, SANSRTC_CODEC_OPUS);
  c.max_wait = 60 * MS;
  sansrtc_jitter_buffer *jb = NULL;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &c), SANSRTC_OK);
  uint8_t pl[3] = {0x78, 0x00, 0x00};
  sansrtc_frame fr;
  for (uint16_t q = 0; q < 5; q++) {
    pl[1] = (uint8_t)q;
    if (q == 2) continue;
    ck_assert_int_eq(sansrtc_jitter_buffer_push(jb, pl, 3, q, 960u * q, 0,
                                                T0 + q * 20 * MS),
                     SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_jitter_buffer_pop(jb, &fr), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_jitter_buffer_pop(jb, &fr), SANSRTC_OK);
  ck_assert_uint_eq(fr.data[1], 1);
  ck_assert_int_eq(sansrtc_jitter_buffer_pop(jb, &fr), SANSRTC_ERR_NOT_FOUND);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(jb), T0 + 120 * MS);
  sansrtc_jitter_buffer_handle_timeout(jb, T0 + 120 * MS);
  for (int i = 3; i < 5; i++) {
    ck_assert_int_eq(sansrtc_jitter_buffer_pop(jb, &fr), SANSRTC_OK);
    ck_assert_int_eq(fr.data[1], i);
    ck_assert_int_eq(fr.keyframe, 1);
  }
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

START_TEST(test_inspect) {
  sansrtc_depacketizer_config c;
  sansrtc_depacketizer_config_default(&c, SANSRTC_CODEC_VP8);
  sansrtc_depacketizer *d = NULL;
  ck_assert_int_eq(sansrtc_depacketizer_new(&d, &c), SANSRTC_OK);
  const uint8_t start[] = {0x10, 0x00}, mid[] = {0x00, 0x00},
                part[] = {0x11, 0x00}, bad[] = {0x80};
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, start, 2),
                   SANSRTC_DEPACK_FRAME_START);
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, mid, 2),
                   SANSRTC_DEPACK_NOT_START);
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, part, 2),
                   SANSRTC_DEPACK_NOT_START); /* S=1 but PID 1 */
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, bad, 1),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, start, 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, NULL, 2),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_depacketizer_inspect(NULL, start, 2),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_depacketizer_del(d);
  sansrtc_depacketizer_config_default(&c, SANSRTC_CODEC_H264);
  ck_assert_int_eq(sansrtc_depacketizer_new(&d, &c), SANSRTC_OK);
  const uint8_t idr[] = {0x65, 0x88, 0x80};
  ck_assert_int_eq(sansrtc_depacketizer_inspect(d, idr, 3),
                   SANSRTC_DEPACK_MAY_START);
  sansrtc_depacketizer_del(d);
}
END_TEST

/* Every truncation of a VP8 payload with the longest descriptor (X, I
 * with a 15-bit id, L, T/K: 6 bytes, RFC 7741 4.2) is refused, stores
 * nothing and leaves the buffer working. */
START_TEST(test_truncated_payloads) {
  sansrtc_jitter_buffer *jb = new_jb(SANSRTC_KEYFRAME_REQUEST_PLI);
  const uint8_t p[8] = {0x90, 0xF0, 0x80, 0x01, 0x05, 0x20, 0x10, 0x00};
  for (size_t n = 0; n <= 6; n++)
    ck_assert_int_eq(sansrtc_jitter_buffer_push(jb, p, n, 1, 0, 1, T0),
                     SANSRTC_ERR_MALFORMED);
  sansrtc_jitter_buffer_stats st;
  sansrtc_jitter_buffer_get_stats(jb, &st);
  ck_assert_uint_eq(st.packets, 0);
  ck_assert_uint_eq(st.packets_refused, 7);
  ck_assert_int_eq(sansrtc_jitter_buffer_push(jb, p, 8, 1, 0, 1, T0),
                   SANSRTC_OK);
  sansrtc_frame fr;
  ck_assert_int_eq(sansrtc_jitter_buffer_pop(jb, &fr), SANSRTC_OK);
  ck_assert_uint_eq(fr.len, 2);
  ck_assert_int_eq(fr.keyframe, 1);
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

START_TEST(test_config) {
  sansrtc_jitter_buffer_config c;
  sansrtc_jitter_buffer_config_default(&c, SANSRTC_CODEC_VP8);
  ck_assert_uint_eq(c.max_packets, 512);
  ck_assert_uint_eq(c.max_payload, 1500);
  ck_assert_uint_eq(c.max_frames, 128);
  ck_assert_uint_eq(c.max_wait, 200 * MS);
  ck_assert_int_eq(c.keyframe_request, SANSRTC_KEYFRAME_REQUEST_PLI);
  ck_assert_uint_eq(c.keyframe_interval, 500 * MS);
  sansrtc_jitter_buffer *jb = (sansrtc_jitter_buffer *)&c;
  sansrtc_jitter_buffer_config bad = c;
  bad.max_packets = 0;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(jb);
  bad = c;
  bad.max_frames = 4097;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  bad = c;
  bad.keyframe_request = (sansrtc_keyframe_request)3;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  bad = c;
  bad.codec = (sansrtc_codec)99;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  bad = c;
  bad.max_frame_size = 10; /* the depacketizer refuses it */
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &bad),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_jitter_buffer_new(NULL, &c),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_frame fr;
  uint8_t buf[16];
  size_t len;
  ck_assert_int_eq(sansrtc_jitter_buffer_push(NULL, buf, 1, 0, 0, 0, T0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_jitter_buffer_pop(NULL, &fr),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_jitter_buffer_poll_rtcp(NULL, T0, buf, 16, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(sansrtc_jitter_buffer_next_deadline(NULL),
                    SANSRTC_TSTAMP_NEVER);
  sansrtc_jitter_buffer_handle_timeout(NULL, T0);
  sansrtc_jitter_buffer_request_keyframe(NULL);
  sansrtc_jitter_buffer_get_stats(NULL, NULL);
  sansrtc_jitter_buffer_config_default(NULL, SANSRTC_CODEC_VP8);
  sansrtc_jitter_buffer_del(NULL);
}
END_TEST

/* Random pushes (sequence numbers near each other, timestamps from a few
 * frames, random payloads and times): never a crash, and every frame
 * popped is within the limits. */
START_TEST(test_random) {
  uint32_t x = 12345;
  sansrtc_jitter_buffer_config c;
  sansrtc_jitter_buffer_config_default(&c, SANSRTC_CODEC_VP8);
  c.max_packets = 16;
  c.max_frames = 4;
  c.max_frame_size = 1024;
  sansrtc_jitter_buffer *jb = NULL;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&jb, &c), SANSRTC_OK);
  sansrtc_tstamp t = T0;
  uint8_t pl[40], buf[32];
  size_t len;
  sansrtc_frame fr;
  for (int i = 0; i < 50000; i++) {
    x = x * 1103515245u + 12345u;
    uint16_t seq = (uint16_t)((i / 2) + (int)((x >> 8) % 9) - 4);
    uint32_t ts = 3000u * (uint32_t)(((unsigned)i / 6) + ((x >> 12) % 3));
    for (size_t k = 0; k < sizeof pl; k++) pl[k] = (uint8_t)(x >> (k % 24));
    pl[0] &= 0x9F;
    size_t n = 5 + (x >> 20) % 30;
    t += (x >> 16) % 3 * MS;
    sansrtc_jitter_buffer_push(jb, pl, n, seq, ts, (x >> 27) & 1, t);
    if (i % 7 == 0) sansrtc_jitter_buffer_handle_timeout(jb, t);
    while (sansrtc_jitter_buffer_pop(jb, &fr) == SANSRTC_OK)
      ck_assert_uint_le(fr.len, 1024);
    sansrtc_jitter_buffer_poll_rtcp(jb, t, buf, sizeof buf, &len);
  }
  sansrtc_jitter_buffer_del(jb);
}
END_TEST

Suite *jitter_buffer_suite(void) {
  Suite *s = suite_create("jitter_buffer");
  TCase *tc = tcase_create("jitter_buffer");
  tcase_add_test(tc, test_in_order);
  tcase_add_test(tc, test_reordered);
  tcase_add_test(tc, test_late_repair);
  tcase_add_test(tc, test_skip_and_pli);
  tcase_add_test(tc, test_lost_frame_gap);
  tcase_add_test(tc, test_fir_sequence);
  tcase_add_test(tc, test_starts_without_keyframe);
  tcase_add_test(tc, test_limits);
  tcase_add_test(tc, test_restart);
  tcase_add_test(tc, test_opus);
  tcase_add_test(tc, test_inspect);
  tcase_add_test(tc, test_truncated_payloads);
  tcase_add_test(tc, test_config);
  tcase_add_test(tc, test_random);
  suite_add_tcase(s, tc);
  return s;
}
