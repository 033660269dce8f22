/*
 * pkt_vp8.c - VP8 RTP payload format (RFC 7741).
 *
 * Packetizer: every payload starts with a 4-byte descriptor (RFC 7741 4.2):
 * X=1, N=0, S=1 on the frame's first packet, PID=0 (the frame is not split
 * at partition boundaries, so every packet is in partition 0's numbering as
 * 4.4 allows), then I=1 and a 15-bit PictureID (M=1).
 * Depacketizer: any valid descriptor (X, I with 7 or 15 bits, L, T, K); the
 * frame starts at S=1, PID=0; it is a key frame when the P bit of the VP8
 * payload header (RFC 7741 4.3, first byte bit 0) is 0 there.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "packetizer_internal.h"

#define VP8_DESC_LEN 4

static int vp8_frame(sansrtc_packetizer *p) {
  (void)p;
  return SANSRTC_OK;
}

static int vp8_next(sansrtc_packetizer *p, uint8_t *buf, size_t *len,
                    int *marker) {
  size_t room = p->cfg.max_payload - VP8_DESC_LEN;
  size_t left = p->frame_len - p->pos;
  size_t n = left < room ? left : room;
  buf[0] = (uint8_t)(0x80u | (p->first ? 0x10u : 0u)); /* X, S, PID=0 */
  buf[1] = 0x80;                                        /* I */
  buf[2] = (uint8_t)(0x80u | (p->picture_id >> 8));     /* M, id high */
  buf[3] = (uint8_t)p->picture_id;
  memcpy(buf + VP8_DESC_LEN, p->frame + p->pos, n);
  p->pos += n;
  *len = VP8_DESC_LEN + n;
  *marker = p->pos == p->frame_len;
  if (*marker) p->pending = 0;
  return SANSRTC_OK;
}

const pkt_codec_ops sansrtc_pkt_vp8_ops = {vp8_frame, vp8_next};

/* Length of the payload descriptor, or 0 when it is truncated. */
static size_t vp8_desc_len(const uint8_t *p, size_t len) {
  size_t off = 1;
  if (len < 1) return 0;
  if (p[0] & 0x80) { /* X */
    if (len < 2) return 0;
    uint8_t x = p[1];
    off = 2;
    if (x & 0x80) { /* I */
      if (len < off + 1) return 0;
      off += (p[off] & 0x80) ? 2 : 1; /* M: 15-bit PictureID */
    }
    if (x & 0x40) off++;          /* L: TL0PICIDX */
    if (x & 0x30) off++;          /* T or K: TID/Y/KEYIDX */
  }
  return off <= len ? off : 0;
}

static int vp8_inspect(const uint8_t *p, size_t len, unsigned *flags) {
  size_t off = vp8_desc_len(p, len);
  if (off == 0 || off >= len) return SANSRTC_ERR_MALFORMED;
  *flags = ((p[0] & 0x10) && (p[0] & 0x07) == 0) ? PKT_START | PKT_MAYSTART
                                                 : 0;
  return SANSRTC_OK;
}

static void vp8_assemble(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                         int *damaged) {
  *keyframe = 0;
  *damaged = 0;
  for (size_t i = 0; i < f->n; i++) {
    const uint8_t *p = pkt_data(f, i);
    size_t off = vp8_desc_len(p, f->rec[i].len);
    if (off == 0 || off >= f->rec[i].len) { /* inspect refused these */
      *damaged = 1;
      continue;
    }
    if (i == 0 && (f->rec[0].flags & PKT_START)) *keyframe = !(p[off] & 1);
    pkt_put(out, p + off, f->rec[i].len - off);
  }
}

const pkt_depack_ops sansrtc_depack_vp8_ops = {vp8_inspect, vp8_assemble};
