/*
 * packetizer_internal.h - what the payload-format modules (lib/pkt_*.c)
 * share with the common packetizer/depacketizer code in lib/packetizer.c.
 * Not installed.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_PACKETIZER_INTERNAL_H
#define SANSRTC_PACKETIZER_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include <sansrtc/packetizer.h>

/* A bounded writer: writes past `cap` are dropped and set `overflow`. */
typedef struct pkt_out {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int overflow;
} pkt_out;

static inline void pkt_put(pkt_out *o, const uint8_t *p, size_t n) {
  if (o->overflow || n > o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  if (n > 0) memcpy(o->buf + o->len, p, n);
  o->len += n;
}

static inline void pkt_byte(pkt_out *o, uint8_t b) { pkt_put(o, &b, 1); }

/* A NAL unit, OBU or other byte range of the frame being packetized. */
typedef struct pkt_view {
  const uint8_t *p;
  size_t len;
} pkt_view;

struct sansrtc_packetizer {
  sansrtc_packetizer_config cfg;
  const uint8_t *frame; /* the caller's frame, while pending */
  size_t frame_len;
  int pending;
  int first;          /* the next payload is the frame's first */
  size_t pos;         /* VP8/VP9/H.26x/AV1: next unread byte of the frame */
  uint16_t picture_id; /* VP8/VP9: id of the current frame */
  /* VP9 */
  int vp9_key;        /* the frame starts with a key frame */
  uint16_t vp9_width, vp9_height; /* from its uncompressed header, or 0 */
  size_t vp9_end;     /* bytes before the superframe index, if any */
  /* H.264/H.265 */
  int ps_inject;      /* stored parameter sets still to send (count) */
  size_t ps_next;     /* index of the next stored set to send */
  size_t idr_pos;     /* offset of the first IDR/IRAP NAL's start code */
  pkt_view frag;      /* NAL unit being fragmented (header included) */
  size_t frag_off;    /* bytes of it already sent, header included */
  uint8_t ps[3][SANSRTC_PACKETIZER_MAX_PARAM_SET]; /* VPS?, SPS, PPS */
  size_t ps_len[3];
  /* AV1 */
  size_t obu_off;     /* bytes of the current OBU element already sent */
  int av1_new_cvs;    /* the temporal unit starts a coded video sequence */
};

/* Per-codec packetizer hooks. `frame` checks the whole frame (setting up
 * state); `next` writes one payload of at most cfg.max_payload bytes. */
typedef struct pkt_codec_ops {
  int (*frame)(sansrtc_packetizer *p);
  int (*next)(sansrtc_packetizer *p, uint8_t *buf, size_t *len, int *marker);
} pkt_codec_ops;

/* A received payload stored by the depacketizer. */
typedef struct pkt_rec {
  uint32_t off; /* in the depacketizer's store */
  uint32_t len;
  uint16_t seq;
  uint8_t marker;
  uint8_t flags; /* PKT_START | PKT_MAYSTART from inspect */
} pkt_rec;

#define PKT_START 1u    /* certainly the first packet of a frame */
#define PKT_MAYSTART 2u /* may be a first packet (not a continuation) */

/* The packets of one frame in sequence order, for `assemble`. */
typedef struct pkt_frame_in {
  const uint8_t *store;
  const pkt_rec *rec;
  size_t n;
} pkt_frame_in;

static inline const uint8_t *pkt_data(const pkt_frame_in *f, size_t i) {
  return f->store + f->rec[i].off;
}
/* 1 when a sequence number is missing right before packet i. */
static inline int pkt_gap_before(const pkt_frame_in *f, size_t i) {
  return i > 0 && (uint16_t)(f->rec[i].seq - f->rec[i - 1].seq) != 1;
}

/* Per-codec depacketizer hooks. `inspect` validates one payload and sets
 * PKT_* flags; it returns SANSRTC_OK, SANSRTC_ERR_MALFORMED or
 * SANSRTC_ERR_UNSUPPORTED. `assemble` rebuilds the frame from inspected
 * packets into `out`, sets `*keyframe`, and sets `*damaged` when it had to
 * drop something (a fragment without its start, say). */
typedef struct pkt_depack_ops {
  int (*inspect)(const uint8_t *p, size_t len, unsigned *flags);
  void (*assemble)(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                   int *damaged);
} pkt_depack_ops;

extern const pkt_codec_ops sansrtc_pkt_vp8_ops;
extern const pkt_codec_ops sansrtc_pkt_vp9_ops;
extern const pkt_codec_ops sansrtc_pkt_h26x_ops;
extern const pkt_codec_ops sansrtc_pkt_av1_ops;
extern const pkt_depack_ops sansrtc_depack_vp8_ops;
extern const pkt_depack_ops sansrtc_depack_vp9_ops;
extern const pkt_depack_ops sansrtc_depack_h264_ops;
extern const pkt_depack_ops sansrtc_depack_h265_ops;
extern const pkt_depack_ops sansrtc_depack_av1_ops;

/* H.26x Annex-B scanning, shared by the H.264/H.265 code and tests:
 * finds the next NAL unit at or after *pos (skipping its start code),
 * stores it in *nal without trailing zero bytes, and moves *pos to the
 * start code after it. Returns 1 when a NAL unit was found, else 0. */
int sansrtc_annexb_next(const uint8_t *buf, size_t len, size_t *pos,
                        pkt_view *nal);

#endif
