/*
 * pkt_vp9.c - VP9 RTP payload format (RFC 9628).
 *
 * Packetizer (non-flexible mode, one spatial and temporal layer): every
 * payload starts with the descriptor of RFC 9628 4.2: I=1 with a 15-bit
 * picture id (M=1), P=1 unless the frame is a key frame, L=0, F=0, B on the
 * first packet, E on the last (with the RTP marker), and on the first
 * packet of a key frame V=1 with a scalability structure (4.2.1) giving one
 * spatial layer (N_S=0) and its resolution (Y=1, from the key frame's
 * uncompressed header), no picture group (G=0). The frame (a VP9 frame or
 * superframe, index included, as libvpx produces it) is cut into payloads
 * in order.
 * Depacketizer: flexible (F=1, up to three P_DIFF) and non-flexible (F=0,
 * TL0PICIDX) descriptors, layer indices, SS skipped after validation. A
 * frame starts at B=1 in spatial layer 0; it is a key frame when that
 * packet has P=0.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "internal.h"
#include "packetizer_internal.h"

/* ---- uncompressed header (VP9 bitstream spec 6.2) --------------------- */

typedef struct bits {
  const uint8_t *p;
  size_t len;
  size_t bit;
  int err;
} bits;

static unsigned get_bits(bits *b, unsigned n) {
  unsigned v = 0;
  for (unsigned i = 0; i < n; i++) {
    if (b->bit >= b->len * 8) {
      b->err = 1;
      return 0;
    }
    v = v << 1 | ((unsigned)b->p[b->bit / 8] >> (7 - b->bit % 8) & 1u);
    b->bit++;
  }
  return v;
}

/* Sets p->vp9_key and, for key frames, p->vp9_width/height (0 when the
 * header is too short to say). */
static void parse_header(sansrtc_packetizer *p) {
  bits b = {p->frame, p->frame_len, 0, 0};
  p->vp9_key = 0;
  p->vp9_width = p->vp9_height = 0;
  if (get_bits(&b, 2) != 2) return; /* frame_marker */
  unsigned profile = get_bits(&b, 1);
  profile |= get_bits(&b, 1) << 1;
  if (profile == 3) get_bits(&b, 1);
  if (get_bits(&b, 1)) return;      /* show_existing_frame */
  if (get_bits(&b, 1) != 0) return; /* frame_type: NON_KEY_FRAME */
  get_bits(&b, 2);                  /* show_frame, error_resilient_mode */
  if (b.err) return;
  p->vp9_key = 1;
  if (get_bits(&b, 24) != 0x498342) return; /* frame_sync_code */
  if (profile >= 2) get_bits(&b, 1);        /* ten_or_twelve_bit */
  unsigned color_space = get_bits(&b, 3);
  if (color_space != 7) { /* not CS_RGB */
    get_bits(&b, 1);      /* color_range */
    if (profile == 1 || profile == 3) get_bits(&b, 3);
  } else if (profile == 1 || profile == 3) {
    get_bits(&b, 1);
  }
  unsigned w = get_bits(&b, 16) + 1, h = get_bits(&b, 16) + 1;
  if (b.err) return;
  p->vp9_width = (uint16_t)w;
  p->vp9_height = (uint16_t)h;
}

/* ---- packetizer ------------------------------------------------------- */

static int vp9_frame(sansrtc_packetizer *p) {
  parse_header(p);
  return SANSRTC_OK;
}

static int vp9_next(sansrtc_packetizer *p, uint8_t *buf, size_t *len,
                    int *marker) {
  const int ss = p->first && p->vp9_key && p->vp9_width > 0;
  size_t hdr = 3 + (ss ? 5 : 0);
  size_t room = p->cfg.max_payload - hdr;
  size_t left = p->frame_len - p->pos;
  size_t n = left < room ? left : room;
  int last = n == left;
  buf[0] = (uint8_t)(0x80u | (p->vp9_key ? 0u : 0x40u) |
                     (p->first ? 0x08u : 0u) | (last ? 0x04u : 0u) |
                     (ss ? 0x02u : 0u)); /* I P L=0 F=0 B E V Z=0 */
  buf[1] = (uint8_t)(0x80u | (p->picture_id >> 8));
  buf[2] = (uint8_t)p->picture_id;
  if (ss) {
    buf[3] = 0x10; /* N_S=0, Y=1, G=0 */
    wr16(buf + 4, p->vp9_width);
    wr16(buf + 6, p->vp9_height);
  }
  memcpy(buf + hdr, p->frame + p->pos, n);
  p->pos += n;
  *len = hdr + n;
  *marker = last;
  if (last) p->pending = 0;
  return SANSRTC_OK;
}

const pkt_codec_ops sansrtc_pkt_vp9_ops = {vp9_frame, vp9_next};

/* ---- depacketizer ----------------------------------------------------- */

/* Skips the scalability structure at p[off]; returns the offset after it
 * or 0 when it is truncated (RFC 9628 4.2.1). */
static size_t skip_ss(const uint8_t *p, size_t len, size_t off) {
  if (off >= len) return 0;
  uint8_t h = p[off++];
  size_t layers = (size_t)(h >> 5) + 1;
  if (h & 0x10) off += 4 * layers; /* Y: WIDTH, HEIGHT per layer */
  if (h & 0x08) {                  /* G: picture group */
    if (off >= len) return 0;
    size_t groups = p[off++];
    for (size_t g = 0; g < groups; g++) {
      if (off >= len) return 0;
      size_t refs = (p[off++] >> 2) & 3u; /* R */
      off += refs;
    }
  }
  return off <= len ? off : 0;
}

/* Descriptor length, or 0 when it is truncated or invalid. */
static size_t vp9_desc_len(const uint8_t *p, size_t len) {
  if (len < 1) return 0;
  const uint8_t h = p[0];
  size_t off = 1;
  if (h & 0x80) { /* I */
    if (off >= len) return 0;
    off += (p[off] & 0x80) ? 2 : 1;
  }
  if (h & 0x20) {                  /* L */
    off += (h & 0x10) ? 1 : 2;     /* F: no TL0PICIDX in flexible mode */
  }
  if ((h & 0x10) && (h & 0x40)) { /* F and P: P_DIFF list */
    for (int i = 0;; i++) {
      if (i == 3 || off >= len) return 0;
      if (!(p[off++] & 1)) break; /* N: another P_DIFF follows */
    }
  }
  if (off > len) return 0;
  if (h & 0x02) off = skip_ss(p, len, off); /* V */
  return off;
}

/* The spatial layer id of the descriptor, 0 without layer indices. */
static unsigned vp9_sid(const uint8_t *p) {
  if (!(p[0] & 0x20)) return 0;
  size_t off = 1;
  if (p[0] & 0x80) off += (p[1] & 0x80) ? 2 : 1;
  return (p[off] >> 1) & 7u;
}

static int vp9_inspect(const uint8_t *p, size_t len, unsigned *flags) {
  size_t off = vp9_desc_len(p, len);
  if (off == 0 || off >= len) return SANSRTC_ERR_MALFORMED;
  *flags = ((p[0] & 0x08) && vp9_sid(p) == 0) ? PKT_START | PKT_MAYSTART : 0;
  return SANSRTC_OK;
}

static void vp9_assemble(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                         int *damaged) {
  *keyframe = (f->rec[0].flags & PKT_START) && !(pkt_data(f, 0)[0] & 0x40);
  *damaged = 0;
  for (size_t i = 0; i < f->n; i++) {
    const uint8_t *p = pkt_data(f, i);
    size_t off = vp9_desc_len(p, f->rec[i].len);
    if (off == 0 || off >= f->rec[i].len) {
      *damaged = 1;
      continue;
    }
    pkt_put(out, p + off, f->rec[i].len - off);
  }
}

const pkt_depack_ops sansrtc_depack_vp9_ops = {vp9_inspect, vp9_assemble};
