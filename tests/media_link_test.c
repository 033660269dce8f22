/*
 * media_link_test.c - the whole NACK / RTX / jitter buffer loop on fake
 * time: a VP8 sender (the fixture's 30 frames looped to 30 s at 30 fps,
 * RTP headers from rtp.h, a send history with RTX) and a receiver (NACK
 * generator, RTX unwrap, jitter buffer) joined by two in-memory links
 * with a seeded PRNG: loss, reordering (a random extra delay), duplication
 * and a one-way delay; feedback (NACK, PLI) goes back over the second.
 *
 * With 10% loss both ways, reordering and 1% duplication every frame must
 * come out whole, byte-for-byte, in order; no packet the link delivered
 * (reordered but in time) may be NACKed. With a 2 s outage frames are
 * skipped, a keyframe request reaches the sender, and decoding resumes at
 * a keyframe with every frame after it. Packets of a frame leave 1 ms
 * apart, as from a pacer. All deterministic.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/jitter_buffer.h>
#include <sansrtc/nack.h>
#include <sansrtc/packetizer.h>
#include <sansrtc/rtcp.h>
#include <sansrtc/rtp.h>

#include "media_fixtures.h"
#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define T0 (100 * SANSRTC_SECONDS)
#define FRAME_NS (SANSRTC_SECONDS / 30)
#define NFRAMES 900 /* 30 s at 30 fps */
#define VIDEO_SSRC 0x1EE7C0DEu
#define RTX_SSRC 0x1EE7C0DFu
#define RECV_SSRC 0xFEEDF00Du
#define PT_VP8 96
#define PT_RTX 97
#define LINK_SLOTS 1024
#define PKT_MAX 1500

/* ---- the link --------------------------------------------------------- */

typedef struct link_pkt {
  sansrtc_tstamp at; /* delivery time */
  uint64_t order;    /* send order, to break ties and see reordering */
  size_t len;
  uint8_t data[PKT_MAX];
} link_pkt;

typedef struct link {
  uint32_t loss_ppm, dup_ppm; /* per million */
  sansrtc_tstamp delay, spread; /* one way, plus uniform 0..spread */
  sansrtc_tstamp lossy_from;    /* no random loss before this */
  sansrtc_tstamp outage_from, outage_to; /* everything sent in it is lost */
  uint64_t rng;
  uint64_t sent_order, last_delivered;
  uint64_t dropped, duplicated, reordered;
  size_t n;
  link_pkt q[LINK_SLOTS]; /* unordered; earliest found by a scan */
} link;

static link fwd, rev;

static uint32_t rnd(link *l) { /* xorshift64* */
  l->rng ^= l->rng >> 12;
  l->rng ^= l->rng << 25;
  l->rng ^= l->rng >> 27;
  return (uint32_t)((l->rng * 2685821657736338717ull) >> 32);
}

static void link_init(link *l, uint64_t seed, uint32_t loss_ppm) {
  memset(l, 0, sizeof *l);
  l->rng = seed;
  l->loss_ppm = loss_ppm;
  l->dup_ppm = 10000;
  l->delay = 25 * MS;
  l->spread = 8 * MS;
  l->lossy_from = T0 + 100 * MS;
}

static void link_queue(link *l, const uint8_t *p, size_t len,
                       sansrtc_tstamp now) {
  ck_assert_uint_lt(l->n, LINK_SLOTS);
  ck_assert_uint_le(len, PKT_MAX);
  link_pkt *e = &l->q[l->n++];
  e->at = now + l->delay + (sansrtc_tstamp)(rnd(l) % (l->spread + 1));
  e->order = l->sent_order;
  e->len = len;
  memcpy(e->data, p, len);
}

/* Sends a packet; returns 0 when the link dropped it. */
static int link_send(link *l, const uint8_t *p, size_t len,
                     sansrtc_tstamp now) {
  l->sent_order++;
  int outage = now >= l->outage_from && now < l->outage_to;
  int lost = now >= l->lossy_from && rnd(l) % 1000000 < l->loss_ppm;
  if (outage || lost) {
    l->dropped++;
    return 0;
  }
  link_queue(l, p, len, now);
  if (rnd(l) % 1000000 < l->dup_ppm) {
    link_queue(l, p, len, now);
    l->duplicated++;
  }
  return 1;
}

static sansrtc_tstamp link_next(const link *l) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  for (size_t i = 0; i < l->n; i++)
    if (l->q[i].at < t) t = l->q[i].at;
  return t;
}

/* Takes the earliest packet due by `now` into `out`; 0 when none. */
static int link_recv(link *l, sansrtc_tstamp now, uint8_t *out,
                     size_t *len) {
  size_t best = l->n;
  for (size_t i = 0; i < l->n; i++)
    if (l->q[i].at <= now &&
        (best == l->n || l->q[i].at < l->q[best].at ||
         (l->q[i].at == l->q[best].at && l->q[i].order < l->q[best].order)))
      best = i;
  if (best == l->n) return 0;
  memcpy(out, l->q[best].data, l->q[best].len);
  *len = l->q[best].len;
  if (l->q[best].order < l->last_delivered) l->reordered++;
  l->last_delivered = l->q[best].order;
  l->q[best] = l->q[--l->n];
  return 1;
}

/* ---- the two ends ----------------------------------------------------- */

typedef struct sim {
  mf_media media;
  /* sender */
  sansrtc_packetizer *pk;
  sansrtc_nack_sender *hist;
  uint16_t seq;
  int next_frame;
  uint64_t plis_at_sender;
  uint8_t dropped[65536]; /* original of this sequence number was lost */
  /* receiver */
  sansrtc_nack_generator *gen;
  sansrtc_jitter_buffer *jb;
  sansrtc_rtx_config rtx;
  uint8_t nacked[65536];  /* the generator asked for it */
  int out[NFRAMES];       /* indices of the frames handed out, in order */
  int nout;
  uint64_t rtx_received;
} sim;

static sim S;

static void sim_init(uint64_t seed, uint32_t loss_ppm) {
  memset(&S, 0, sizeof S);
  ck_assert_int_eq(mf_load(&S.media, SANSRTC_CODEC_VP8), 0);
  ck_assert_uint_eq(S.media.n, 30);
  link_init(&fwd, seed, loss_ppm);
  link_init(&rev, seed * 7 + 1, loss_ppm);
  sansrtc_packetizer_config pc;
  sansrtc_packetizer_config_default(&pc, SANSRTC_CODEC_VP8);
  ck_assert_int_eq(sansrtc_packetizer_new(&S.pk, &pc), SANSRTC_OK);
  S.rtx.rtx_ssrc = RTX_SSRC;
  S.rtx.map_count = 1;
  S.rtx.map[0] = (sansrtc_rtx_map){PT_VP8, PT_RTX};
  sansrtc_nack_sender_config hc;
  sansrtc_nack_sender_config_default(&hc);
  hc.ssrc = VIDEO_SSRC;
  hc.rtx = S.rtx;
  hc.rtx_first_seq = 40000;
  ck_assert_int_eq(sansrtc_nack_sender_new(&S.hist, &hc), SANSRTC_OK);
  sansrtc_nack_generator_config gc;
  sansrtc_nack_generator_config_default(&gc);
  gc.sender_ssrc = RECV_SSRC;
  gc.media_ssrc = VIDEO_SSRC;
  ck_assert_int_eq(sansrtc_nack_generator_new(&S.gen, &gc), SANSRTC_OK);
  /* The RTT a caller would take from RTCP reports: 2 x 25 ms plus the
   * spread and a margin. */
  sansrtc_nack_generator_set_rtt(S.gen, 60 * MS);
  sansrtc_jitter_buffer_config jc;
  sansrtc_jitter_buffer_config_default(&jc, SANSRTC_CODEC_VP8);
  jc.sender_ssrc = RECV_SSRC;
  jc.media_ssrc = VIDEO_SSRC;
  /* Several RTTs: at 10% loss each way a repair round fails 19% of the
   * time, so 500 ms (8 rounds) loses a packet with odds of about 1e-6. */
  jc.max_wait = 500 * MS;
  jc.max_frame_size = 65536;
  ck_assert_int_eq(sansrtc_jitter_buffer_new(&S.jb, &jc), SANSRTC_OK);
  S.seq = 65000; /* wraps during the run */
}

static void sim_free(void) {
  sansrtc_packetizer_del(S.pk);
  sansrtc_nack_sender_del(S.hist);
  sansrtc_nack_generator_del(S.gen);
  sansrtc_jitter_buffer_del(S.jb);
  mf_free(&S.media);
}

static void send_frame(sansrtc_tstamp now) {
  const mf_frame *f = &S.media.frames[S.next_frame % 30];
  uint32_t ts = 1234567u + 3000u * (uint32_t)S.next_frame;
  ck_assert_int_eq(sansrtc_packetizer_frame(S.pk, f->data, f->len),
                   SANSRTC_OK);
  for (sansrtc_tstamp at = now; sansrtc_packetizer_pending(S.pk); at += MS) {
    uint8_t pkt[PKT_MAX];
    size_t hl = 0, pl = 0;
    int marker = 0;
    sansrtc_rtp_header_fields h = {0, PT_VP8, S.seq, ts, VIDEO_SSRC,
                                   NULL, 0, NULL, 0};
    ck_assert_int_eq(sansrtc_rtp_write_header(&h, pkt, sizeof pkt, &hl),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_packetizer_next(S.pk, pkt + hl, sizeof pkt - hl,
                                             &pl, &marker),
                     SANSRTC_OK);
    if (marker) pkt[1] |= 0x80;
    ck_assert_int_eq(sansrtc_nack_sender_on_sent(S.hist, pkt, hl + pl, at),
                     SANSRTC_OK);
    if (!link_send(&fwd, pkt, hl + pl, at)) S.dropped[S.seq] = 1;
    S.seq++;
  }
  S.next_frame++;
}

/* Sender: NACKs and keyframe requests in, retransmissions out. */
static void sender_rtcp(const uint8_t *p, size_t len, sansrtc_tstamp now) {
  ck_assert_int_eq(sansrtc_nack_sender_on_rtcp(S.hist, p, len, now),
                   SANSRTC_OK);
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, p, len);
  while (sansrtc_rtcp_iter_next(&it, &h) == 1)
    if (sansrtc_rtcp_kind_of(&h) == SANSRTC_RTCP_KIND_PLI) S.plis_at_sender++;
  uint8_t out[PKT_MAX];
  size_t n;
  while (sansrtc_nack_sender_poll(S.hist, now, out, sizeof out, &n) ==
         SANSRTC_OK)
    link_send(&fwd, out, n, now);
}

static void check_frame(const sansrtc_frame *fr) {
  int idx = (int)((fr->timestamp - 1234567u) / 3000u);
  ck_assert_int_lt(idx, NFRAMES);
  if (S.nout > 0) ck_assert_int_gt(idx, S.out[S.nout - 1]);
  const mf_frame *f = &S.media.frames[idx % 30];
  ck_assert_uint_eq(fr->len, f->len);
  ck_assert_mem_eq(fr->data, f->data, f->len);
  ck_assert_int_eq(fr->keyframe, f->keyframe);
  S.out[S.nout++] = idx;
}

/* Receiver output: frames, then NACKs and keyframe requests. */
static void receiver_output(sansrtc_tstamp now) {
  sansrtc_frame fr;
  while (sansrtc_jitter_buffer_pop(S.jb, &fr) == SANSRTC_OK) check_frame(&fr);
  uint8_t buf[PKT_MAX];
  size_t n;
  while (sansrtc_nack_generator_poll(S.gen, now, buf, sizeof buf, &n) ==
         SANSRTC_OK) {
    sansrtc_rtcp_iter it;
    sansrtc_rtcp_header h;
    sansrtc_rtcp_nack nk;
    uint16_t lost[1024];
    size_t count = 0;
    sansrtc_rtcp_iter_init(&it, buf, n);
    ck_assert_int_eq(sansrtc_rtcp_iter_next(&it, &h), 1);
    ck_assert_int_eq(sansrtc_rtcp_parse_nack(&h, &nk), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_rtcp_nack_lost(&nk, lost, 1024, &count),
                     SANSRTC_OK);
    for (size_t i = 0; i < count; i++) S.nacked[lost[i]] = 1;
    link_send(&rev, buf, n, now);
  }
  while (sansrtc_jitter_buffer_poll_rtcp(S.jb, now, buf, sizeof buf, &n) ==
         SANSRTC_OK)
    link_send(&rev, buf, n, now);
}

static void receive_rtp(uint8_t *p, size_t len, sansrtc_tstamp now) {
  if (sansrtc_rtx_unwrap(&S.rtx, VIDEO_SSRC, p, &len) == SANSRTC_OK)
    S.rtx_received++;
  sansrtc_rtp_packet rp;
  ck_assert_int_eq(sansrtc_rtp_parse(&rp, p, len), SANSRTC_OK);
  ck_assert_uint_eq(rp.ssrc, VIDEO_SSRC);
  sansrtc_nack_generator_on_packet(S.gen, rp.sequence, now);
  ck_assert_int_eq(sansrtc_jitter_buffer_push(S.jb, rp.payload.data,
                                              rp.payload.len, rp.sequence,
                                              rp.timestamp, rp.marker, now),
                   SANSRTC_OK);
}

static sansrtc_tstamp min_t(sansrtc_tstamp a, sansrtc_tstamp b) {
  return a < b ? a : b;
}

static sansrtc_tstamp next_event(void) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  if (S.next_frame < NFRAMES)
    t = T0 + (sansrtc_tstamp)S.next_frame * FRAME_NS;
  t = min_t(t, link_next(&fwd));
  t = min_t(t, link_next(&rev));
  t = min_t(t, sansrtc_nack_generator_next_deadline(S.gen));
  return min_t(t, sansrtc_jitter_buffer_next_deadline(S.jb));
}

/* One step of the event loop at `now`. */
static void step(sansrtc_tstamp now) {
  uint8_t p[PKT_MAX];
  size_t len;
  if (S.next_frame < NFRAMES &&
      now >= T0 + (sansrtc_tstamp)S.next_frame * FRAME_NS)
    send_frame(now);
  while (link_recv(&fwd, now, p, &len)) receive_rtp(p, len, now);
  while (link_recv(&rev, now, p, &len)) sender_rtcp(p, len, now);
  if (sansrtc_nack_generator_next_deadline(S.gen) <= now)
    sansrtc_nack_generator_handle_timeout(S.gen, now);
  if (sansrtc_jitter_buffer_next_deadline(S.jb) <= now)
    sansrtc_jitter_buffer_handle_timeout(S.jb, now);
  receiver_output(now);
}

/* Runs until every frame was sent and the links are quiet, measuring the
 * heap in use after `warm` frames and at the end. */
static void run(int warm, size_t *heap_before, size_t *heap_after) {
  sansrtc_tstamp end = T0 + NFRAMES * FRAME_NS + 3 * SANSRTC_SECONDS;
  for (;;) {
    sansrtc_tstamp t = next_event();
    if (t > end) break;
    step(t);
    if (S.next_frame == warm && *heap_before == 0)
      *heap_before = mallinfo2().uordblks;
  }
  *heap_after = mallinfo2().uordblks;
}

/* 10% loss each way, reordering within 8 ms, 1% duplication: every frame
 * arrives whole and in order; only packets the link dropped are NACKed.
 * The steady state allocates nothing: the heap in use (glibc's
 * mallinfo2().uordblks) is the same after 60 frames and at the end, a
 * coarse check that under valgrind and ASan is vacuous (their allocator
 * is not glibc's), as in srtp_test.c. */
START_TEST(test_lossy_link_every_frame) {
  sim_init(0x5EED5EED12345678ull, 100000);
  size_t before = 0, after = 0;
  run(60, &before, &after);
  ck_assert_uint_eq(after, before);
  ck_assert_int_eq(S.nout, NFRAMES);
  for (int i = 0; i < NFRAMES; i++) ck_assert_int_eq(S.out[i], i);
  /* The link did what it says. */
  ck_assert_uint_gt(fwd.dropped, 150);
  ck_assert_uint_gt(rev.dropped, 10);
  ck_assert_uint_gt(fwd.reordered, 20);
  ck_assert_uint_gt(fwd.duplicated, 5);
  /* Never a NACK for a packet whose original arrived. */
  int nacked = 0;
  for (int q = 0; q < 65536; q++) {
    if (S.nacked[q]) ck_assert_msg(S.dropped[q], "seq %d NACKed in time", q);
    nacked += S.nacked[q];
  }
  ck_assert_int_gt(nacked, 150);
  sansrtc_jitter_buffer_stats js;
  sansrtc_jitter_buffer_get_stats(S.jb, &js);
  ck_assert_uint_eq(js.frames_skipped, 0);
  ck_assert_uint_eq(js.gaps_skipped, 0);
  ck_assert_uint_eq(js.frames_not_decodable, 0);
  ck_assert_uint_eq(js.keyframe_requests, 0);
  sansrtc_nack_generator_stats gs;
  sansrtc_nack_generator_get_stats(S.gen, &gs);
  ck_assert_uint_gt(gs.recovered, 150);
  ck_assert_uint_eq(gs.resets, 0);
  ck_assert_uint_gt(S.rtx_received, 150);
  sim_free();
}
END_TEST

/* A 2 s outage both ways (no other loss), starting after the first
 * packet of frame 300 (a keyframe): that frame is skipped at max_wait, a
 * PLI goes out and is repeated every 500 ms until one reaches the sender
 * after the outage, and decoding resumes at a keyframe, with every frame
 * after it. */
START_TEST(test_outage_resumes_at_keyframe) {
  sim_init(0xABCDEF0123456789ull, 0);
  fwd.outage_from = rev.outage_from = T0 + 300 * FRAME_NS + MS / 2;
  fwd.outage_to = rev.outage_to = fwd.outage_from + 2 * SANSRTC_SECONDS;
  size_t before = 0, after = 0;
  run(60, &before, &after);
  ck_assert_int_gt(S.nout, 0);
  int resume = -1;
  for (int i = 1; i < S.nout; i++) {
    if (S.out[i] == S.out[i - 1] + 1) continue;
    ck_assert_int_eq(resume, -1); /* one hole only */
    resume = i;
  }
  ck_assert_int_ge(resume, 0);
  ck_assert_int_eq(S.out[0], 0);
  int first_after = S.out[resume];
  ck_assert(S.media.frames[first_after % 30].keyframe);
  ck_assert_int_eq(S.out[S.nout - 1], NFRAMES - 1);
  /* The hole starts at the outage (frame 300 is cut, 301..360 were sent
   * in it; those of its last second can still be repaired once it ends,
   * so decoding may resume at a keyframe inside it, but after 300). */
  ck_assert_int_eq(S.out[resume - 1], 299);
  ck_assert_int_ge(first_after, 310);
  sansrtc_jitter_buffer_stats js;
  sansrtc_jitter_buffer_get_stats(S.jb, &js);
  ck_assert_uint_gt(js.frames_skipped + js.gaps_skipped, 0);
  ck_assert_uint_ge(js.keyframe_requests, 1);
  ck_assert_uint_ge(S.plis_at_sender, 1);
  sim_free();
}
END_TEST

Suite *media_link_suite(void) {
  Suite *s = suite_create("media_link");
  TCase *tc = tcase_create("media_link");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_lossy_link_every_frame);
  tcase_add_test(tc, test_outage_resumes_at_keyframe);
  suite_add_tcase(s, tc);
  return s;
}
