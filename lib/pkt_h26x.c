/*
 * pkt_h26x.c - H.264 (RFC 6184) and H.265 (RFC 7798) RTP payload formats,
 * which share their structure: single NAL unit packets, aggregation
 * (H.264 STAP-A type 24, H.265 AP type 48) and fragmentation (H.264 FU-A
 * type 28, H.265 FU type 49). H.265 is sent without DONL
 * (sprop-max-don-diff=0, RFC 7798 4.4).
 *
 * Packetizer: the access unit is Annex-B (start codes of 3 or 4 bytes);
 * each NAL unit that fits max_payload goes alone or, with the NAL units
 * after it that fit too, in one aggregation packet; a longer one is cut
 * into fragmentation units. H.264 packetization-mode 0 sends single NAL
 * units only. The marker bit is set on the access unit's last packet
 * (RFC 6184 5.1, RFC 7798 4.1).
 * Depacketizer: writes each NAL unit with a 4-byte start code.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "internal.h"
#include "packetizer_internal.h"

static const uint8_t start_code[4] = {0, 0, 0, 1};

/* Offset of the first start code (00 00 01) at or after `from`, or `len`
 * when there is none. memchr finds the candidate 01 bytes (it scans many
 * bytes per step; a byte-at-a-time loop made this the H.264/H.265
 * packetizers' main cost); each is then checked for the two zeros. */
static size_t find_start_code(const uint8_t *buf, size_t len, size_t from) {
  size_t i = from + 2; /* where the 01 of a start code at `from` would be */
  while (from < len && i < len) {
    const uint8_t *one = memchr(buf + i, 1, len - i);
    if (one == NULL) break;
    size_t k = (size_t)(one - buf);
    if (buf[k - 1] == 0 && buf[k - 2] == 0) return k - 2;
    i = k + 1;
  }
  return len;
}

int sansrtc_annexb_next(const uint8_t *buf, size_t len, size_t *pos,
                        pkt_view *nal) {
  size_t i = *pos;
  for (;;) {
    i = find_start_code(buf, len, i);
    if (i == len) {
      *pos = len;
      return 0;
    }
    size_t start = i + 3, end = find_start_code(buf, len, start);
    *pos = end;
    size_t stop = end;
    while (stop > start && buf[stop - 1] == 0) stop--;
    if (stop > start) {
      nal->p = buf + start;
      nal->len = stop - start;
      return 1;
    }
    i = end;
  }
}

/* ---- codec specifics -------------------------------------------------- */

static int is265(const sansrtc_packetizer *p) {
  return p->cfg.codec == SANSRTC_CODEC_H265;
}

static unsigned nal_type(int h265, const uint8_t *nal) {
  return h265 ? (nal[0] >> 1) & 0x3Fu : nal[0] & 0x1Fu;
}

static int is_key_type(int h265, unsigned type) {
  return h265 ? type >= 16 && type <= 21 : type == 5;
}

/* Parameter set slot (0 VPS, 1 SPS, 2 PPS) or -1. */
static int ps_slot(int h265, unsigned type) {
  if (h265) return type >= 32 && type <= 34 ? (int)type - 32 : -1;
  return type == 7 ? 1 : type == 8 ? 2 : -1;
}

/* ---- packetizer ------------------------------------------------------- */

/* The NAL unit sequence to send: the access unit's, with the stored
 * parameter sets before the first key NAL unit when they are inserted. */
typedef struct cursor {
  size_t pos;
  int inject;
  size_t ps_next;
} cursor;

static int cur_next(const sansrtc_packetizer *p, cursor *c, pkt_view *nal) {
  if (c->inject > 0) {
    size_t tmp = c->pos;
    pkt_view n;
    if (sansrtc_annexb_next(p->frame, p->frame_len, &tmp, &n) &&
        (size_t)(n.p - p->frame) == p->idr_pos) {
      nal->p = p->ps[c->ps_next];
      nal->len = p->ps_len[c->ps_next];
      c->ps_next++;
      c->inject--;
      return 1;
    }
  }
  return sansrtc_annexb_next(p->frame, p->frame_len, &c->pos, nal);
}

static cursor cur_get(const sansrtc_packetizer *p) {
  cursor c = {p->pos, p->ps_inject, p->ps_next};
  return c;
}

static void cur_set(sansrtc_packetizer *p, const cursor *c) {
  p->pos = c->pos;
  p->ps_inject = c->inject;
  p->ps_next = c->ps_next;
}

static int h26x_frame(sansrtc_packetizer *p) {
  const int h265 = is265(p);
  const size_t hdr = h265 ? 2 : 1;
  const int mode0 = !h265 && p->cfg.h264_packetization_mode == 0;
  size_t pos = 0, count = 0;
  int has_ps = 0, has_key = 0;
  pkt_view n;
  while (sansrtc_annexb_next(p->frame, p->frame_len, &pos, &n)) {
    if (n.len < hdr) return SANSRTC_ERR_MALFORMED;
    if (mode0 && n.len > p->cfg.max_payload) return SANSRTC_ERR_LIMIT;
    unsigned t = nal_type(h265, n.p);
    /* Types the payload format takes for its own packets (RFC 6184 5.2,
     * RFC 7798 4.4) cannot be sent as single NAL units. */
    if (h265 ? t >= 48 : t == 0 || t >= 24) return SANSRTC_ERR_MALFORMED;
    if (ps_slot(h265, t) >= 0) has_ps = 1;
    if (is_key_type(h265, t) && !has_key) {
      has_key = 1;
      p->idr_pos = (size_t)(n.p - p->frame);
    }
    count++;
  }
  if (count == 0) return SANSRTC_ERR_MALFORMED;
  const size_t first_slot = h265 ? 0 : 1;
  int stored = 1;
  for (size_t s = first_slot; s < 3; s++)
    if (p->ps_len[s] == 0 || (mode0 && p->ps_len[s] > p->cfg.max_payload))
      stored = 0;
  p->ps_inject = p->cfg.insert_parameter_sets && has_key && !has_ps && stored
                     ? (int)(3 - first_slot)
                     : 0;
  p->ps_next = first_slot;
  p->frag.p = NULL;
  p->frag_off = 0;
  if (has_ps) { /* remember the newest parameter sets */
    pos = 0;
    while (sansrtc_annexb_next(p->frame, p->frame_len, &pos, &n)) {
      int slot = ps_slot(h265, nal_type(h265, n.p));
      if (slot >= 0 && n.len <= SANSRTC_PACKETIZER_MAX_PARAM_SET) {
        memcpy(p->ps[slot], n.p, n.len);
        p->ps_len[slot] = n.len;
      }
    }
  }
  return SANSRTC_OK;
}

/* One fragmentation unit of p->frag (RFC 6184 5.8, RFC 7798 4.4.3). */
static size_t write_fu(sansrtc_packetizer *p, uint8_t *buf) {
  const int h265 = is265(p);
  const size_t hdr = h265 ? 2 : 1, fu_hdr = h265 ? 3 : 2;
  const uint8_t *nal = p->frag.p;
  size_t room = p->cfg.max_payload - fu_hdr;
  size_t left = p->frag.len - p->frag_off;
  size_t n = left < room ? left : room;
  uint8_t se = (uint8_t)((p->frag_off == hdr ? 0x80u : 0u) |
                         (n == left ? 0x40u : 0u));
  if (h265) {
    buf[0] = (uint8_t)((nal[0] & 0x81u) | (49u << 1));
    buf[1] = nal[1];
    buf[2] = (uint8_t)(se | nal_type(1, nal));
  } else {
    buf[0] = (uint8_t)((nal[0] & 0xE0u) | 28u);
    buf[1] = (uint8_t)(se | (nal[0] & 0x1Fu));
  }
  memcpy(buf + fu_hdr, nal + p->frag_off, n);
  p->frag_off += n;
  if (p->frag_off == p->frag.len) p->frag.p = NULL;
  return fu_hdr + n;
}

/* An aggregation packet of `first` and the NAL units after it that fit
 * (RFC 6184 5.7.1 STAP-A, RFC 7798 4.4.2 AP without DONL). */
static size_t write_aggregate(sansrtc_packetizer *p, cursor *c,
                              pkt_view first, uint8_t *buf) {
  const int h265 = is265(p);
  const size_t hdr = h265 ? 2 : 1;
  size_t off = hdr;
  unsigned f = 0, nri = 0, layer = 63, tid = 7;
  pkt_view n = first;
  for (;;) {
    wr16(buf + off, (uint16_t)n.len);
    memcpy(buf + off + 2, n.p, n.len);
    off += 2 + n.len;
    f |= n.p[0] & 0x80u;
    if (h265) {
      unsigned l = (unsigned)((n.p[0] & 1u) << 5 | n.p[1] >> 3);
      if (l < layer) layer = l;
      if ((n.p[1] & 7u) < tid) tid = n.p[1] & 7u;
    } else if ((n.p[0] & 0x60u) > nri) {
      nri = n.p[0] & 0x60u;
    }
    cursor look = *c;
    if (!cur_next(p, &look, &n) || off + 2 + n.len > p->cfg.max_payload)
      break;
    *c = look;
  }
  if (h265) {
    buf[0] = (uint8_t)(f | 48u << 1 | layer >> 5);
    buf[1] = (uint8_t)((layer & 0x1Fu) << 3 | tid);
  } else {
    buf[0] = (uint8_t)(f | nri | 24u);
  }
  return off;
}

static int h26x_next(sansrtc_packetizer *p, uint8_t *buf, size_t *len,
                     int *marker) {
  const int h265 = is265(p);
  const size_t agg_hdr = h265 ? 2 : 1;
  const int aggregate = h265 || p->cfg.h264_packetization_mode == 1;
  if (p->frag.p == NULL) {
    cursor c = cur_get(p);
    pkt_view n;
    if (!cur_next(p, &c, &n)) return SANSRTC_ERR_INVALID_STATE;
    if (n.len > p->cfg.max_payload) {
      p->frag = n;
      p->frag_off = h265 ? 2 : 1;
      cur_set(p, &c);
      *len = write_fu(p, buf);
    } else {
      cursor look = c;
      pkt_view n2;
      if (aggregate && cur_next(p, &look, &n2) &&
          agg_hdr + 4 + n.len + n2.len <= p->cfg.max_payload) {
        *len = write_aggregate(p, &c, n, buf);
      } else {
        memcpy(buf, n.p, n.len);
        *len = n.len;
      }
      cur_set(p, &c);
    }
  } else {
    *len = write_fu(p, buf);
  }
  cursor c = cur_get(p);
  pkt_view n;
  *marker = p->frag.p == NULL && !cur_next(p, &c, &n);
  if (*marker) p->pending = 0;
  return SANSRTC_OK;
}

const pkt_codec_ops sansrtc_pkt_h26x_ops = {h26x_frame, h26x_next};

/* ---- depacketizer ----------------------------------------------------- */

/* Checks an aggregation packet's units: each a 16-bit size then a NAL unit
 * of at least `min` bytes, filling the payload exactly. */
static int check_units(const uint8_t *p, size_t len, size_t off, size_t min) {
  size_t units = 0;
  while (off < len) {
    if (len - off < 2) return SANSRTC_ERR_MALFORMED;
    size_t size = rd16(p + off);
    off += 2;
    if (size < min || size > len - off) return SANSRTC_ERR_MALFORMED;
    off += size;
    units++;
  }
  return units > 0 ? SANSRTC_OK : SANSRTC_ERR_MALFORMED;
}

static int h264_inspect(const uint8_t *p, size_t len, unsigned *flags) {
  if (len < 1) return SANSRTC_ERR_MALFORMED;
  unsigned t = p[0] & 0x1Fu;
  *flags = PKT_MAYSTART;
  if (t >= 1 && t <= 23) return SANSRTC_OK;
  if (t == 24) return check_units(p, len, 1, 1);
  if (t == 28) {
    if (len < 2 || (p[1] & 0xC0u) == 0xC0u) return SANSRTC_ERR_MALFORMED;
    if (!(p[1] & 0x80u)) *flags = 0;
    return SANSRTC_OK;
  }
  if (t >= 25 && t <= 29) return SANSRTC_ERR_UNSUPPORTED; /* STAP-B, MTAP, FU-B */
  return SANSRTC_ERR_MALFORMED;                           /* 0, 30, 31 */
}

static int h265_inspect(const uint8_t *p, size_t len, unsigned *flags) {
  if (len < 2) return SANSRTC_ERR_MALFORMED;
  unsigned t = nal_type(1, p);
  *flags = PKT_MAYSTART;
  if (t <= 47) return SANSRTC_OK;
  if (t == 48) return check_units(p, len, 2, 2);
  if (t == 49) {
    if (len < 3 || (p[2] & 0xC0u) == 0xC0u) return SANSRTC_ERR_MALFORMED;
    if (!(p[2] & 0x80u)) *flags = 0;
    return SANSRTC_OK;
  }
  if (t == 50) return SANSRTC_ERR_UNSUPPORTED; /* PACI */
  return SANSRTC_ERR_MALFORMED;
}

/* Reassembly state across the packets of one access unit. */
typedef struct h26x_asm {
  int h265;
  pkt_out *out;
  int in_frag;
  size_t frag_start; /* out->len where the fragmented NAL unit began */
  int keyframe;
  int damaged;
} h26x_asm;

static void put_nal(h26x_asm *a, const uint8_t *nal, size_t len) {
  pkt_put(a->out, start_code, sizeof start_code);
  pkt_put(a->out, nal, len);
  if (is_key_type(a->h265, nal_type(a->h265, nal))) a->keyframe = 1;
}

static void drop_frag(h26x_asm *a) {
  if (!a->in_frag) return;
  a->out->len = a->frag_start;
  a->in_frag = 0;
  a->damaged = 1;
}

static void put_fu(h26x_asm *a, const uint8_t *p, size_t len) {
  const size_t fu_hdr = a->h265 ? 3 : 2;
  uint8_t fh = p[fu_hdr - 1];
  if (fh & 0x80u) {
    drop_frag(a);
    uint8_t h[2];
    if (a->h265) {
      h[0] = (uint8_t)((p[0] & 0x81u) | (fh & 0x3Fu) << 1);
      h[1] = p[1];
    } else {
      h[0] = (uint8_t)((p[0] & 0xE0u) | (fh & 0x1Fu));
    }
    a->frag_start = a->out->len;
    a->in_frag = 1;
    pkt_put(a->out, start_code, sizeof start_code);
    pkt_put(a->out, h, a->h265 ? 2 : 1);
    if (is_key_type(a->h265, nal_type(a->h265, h))) a->keyframe = 1;
  } else if (!a->in_frag) {
    a->damaged = 1; /* its start was lost */
    return;
  }
  pkt_put(a->out, p + fu_hdr, len - fu_hdr);
  if (fh & 0x40u) a->in_frag = 0;
}

static void h26x_assemble(int h265, const pkt_frame_in *f, pkt_out *out,
                          int *keyframe, int *damaged) {
  h26x_asm a = {h265, out, 0, 0, 0, 0};
  const unsigned agg = h265 ? 48 : 24, fu = h265 ? 49 : 28;
  const size_t hdr = h265 ? 2 : 1;
  for (size_t i = 0; i < f->n; i++) {
    const uint8_t *p = pkt_data(f, i);
    size_t len = f->rec[i].len;
    unsigned flags;
    int ok = h265 ? h265_inspect(p, len, &flags) : h264_inspect(p, len, &flags);
    if (ok != SANSRTC_OK) { /* not stored by push; defensive */
      a.damaged = 1;
      continue;
    }
    if (pkt_gap_before(f, i)) drop_frag(&a);
    unsigned t = nal_type(h265, p);
    if (t == fu) {
      put_fu(&a, p, len);
      continue;
    }
    drop_frag(&a);
    if (t == agg) {
      for (size_t off = hdr; off + 2 <= len;) {
        size_t size = rd16(p + off);
        put_nal(&a, p + off + 2, size);
        off += 2 + size;
      }
    } else {
      put_nal(&a, p, len);
    }
  }
  drop_frag(&a);
  *keyframe = a.keyframe;
  *damaged = a.damaged;
}

static void h264_assemble(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                          int *damaged) {
  h26x_assemble(0, f, out, keyframe, damaged);
}

static void h265_assemble(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                          int *damaged) {
  h26x_assemble(1, f, out, keyframe, damaged);
}

const pkt_depack_ops sansrtc_depack_h264_ops = {h264_inspect, h264_assemble};
const pkt_depack_ops sansrtc_depack_h265_ops = {h265_inspect, h265_assemble};
