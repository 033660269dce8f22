/*
 * pkt_av1.c - AV1 RTP payload format (AOM "RTP Payload Format For AV1"
 * v1.0, section 4).
 *
 * Packetizer: the temporal unit is in the low-overhead bitstream format
 * (AV1 spec 5.2: OBUs, each with obu_has_size_field=1 except possibly the
 * last). Temporal delimiter and tile list OBUs are dropped (4.5); every
 * other OBU is sent as an OBU element with obu_has_size_field cleared and
 * its size removed, its length given by the element. A payload is the
 * aggregation header (Z|Y|W|N) then OBU elements, each preceded by a
 * LEB128 length; when a payload holds one to three elements, W says how
 * many and the last element has no length (4.4). An OBU that does not fit
 * continues in the next payload (Y on this one, Z on that one). N=1 on the
 * first payload of a temporal unit that starts a coded video sequence: it
 * holds a sequence header and a key frame (frame_type KEY_FRAME, shown).
 * Depacketizer: rebuilds the temporal unit in the low-overhead format: a
 * temporal delimiter OBU first, then each OBU with obu_has_size_field=1 and
 * a minimal LEB128 obu_size (received OBUs that carry a size keep it;
 * received temporal delimiters are dropped). A key frame is a temporal
 * unit whose first payload has N=1.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "packetizer_internal.h"

enum {
  OBU_SEQUENCE_HEADER = 1,
  OBU_TEMPORAL_DELIMITER = 2,
  OBU_FRAME_HEADER = 3,
  OBU_FRAME = 6,
  OBU_TILE_LIST = 8
};

static size_t leb_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static size_t leb_write(uint8_t *p, uint64_t v) {
  size_t n = 0;
  do {
    uint8_t b = (uint8_t)(v & 0x7F);
    v >>= 7;
    p[n++] = (uint8_t)(b | (v ? 0x80u : 0u));
  } while (v);
  return n;
}

/* Reads a LEB128 value (at most 8 bytes, AV1 4.10.5); returns the bytes
 * used or 0 when truncated or larger than 32 bits. */
static size_t leb_read(const uint8_t *p, size_t len, uint64_t *v) {
  uint64_t val = 0;
  for (size_t i = 0; i < 8 && i < len; i++) {
    val |= (uint64_t)(p[i] & 0x7F) << (7 * i);
    if (!(p[i] & 0x80)) {
      if (val > UINT32_MAX) return 0;
      *v = val;
      return i + 1;
    }
  }
  return 0;
}

/* One OBU of a low-overhead temporal unit. */
typedef struct obu {
  const uint8_t *hdr;
  size_t hdr_len; /* 1 or 2 (extension) */
  const uint8_t *payload;
  size_t payload_len;
  unsigned type;
  size_t next; /* offset of the following OBU */
} obu;

/* Parses the OBU at `pos`; returns SANSRTC_OK or SANSRTC_ERR_MALFORMED. */
static int obu_at(const uint8_t *tu, size_t len, size_t pos, obu *o) {
  if (pos >= len) return SANSRTC_ERR_MALFORMED;
  const uint8_t h = tu[pos];
  if (h & 0x80) return SANSRTC_ERR_MALFORMED; /* obu_forbidden_bit */
  o->hdr = tu + pos;
  o->hdr_len = (h & 0x04) ? 2 : 1;
  o->type = (h >> 3) & 0x0Fu;
  size_t off = pos + o->hdr_len;
  if (off > len) return SANSRTC_ERR_MALFORMED;
  uint64_t size = len - off;
  if (h & 0x02) {
    size_t n = leb_read(tu + off, len - off, &size);
    if (n == 0) return SANSRTC_ERR_MALFORMED;
    off += n;
    if (size > len - off) return SANSRTC_ERR_MALFORMED;
  }
  o->payload = tu + off;
  o->payload_len = (size_t)size;
  o->next = off + (size_t)size;
  return SANSRTC_OK;
}

static int obu_dropped(unsigned type) {
  return type == OBU_TEMPORAL_DELIMITER || type == OBU_TILE_LIST;
}

/* ---- packetizer ------------------------------------------------------- */

/* Moves p->pos to the next OBU that is sent (or the end). */
static void skip_dropped(sansrtc_packetizer *p) {
  obu o;
  while (p->pos < p->frame_len &&
         obu_at(p->frame, p->frame_len, p->pos, &o) == SANSRTC_OK &&
         obu_dropped(o.type))
    p->pos = o.next;
}

static int av1_frame(sansrtc_packetizer *p) {
  size_t pos = 0, sent = 0;
  int seq_hdr = 0, key = -1;
  obu o;
  while (pos < p->frame_len) {
    if (obu_at(p->frame, p->frame_len, pos, &o) != SANSRTC_OK)
      return SANSRTC_ERR_MALFORMED;
    if (!obu_dropped(o.type)) sent++;
    if (o.type == OBU_SEQUENCE_HEADER) seq_hdr = 1;
    if ((o.type == OBU_FRAME || o.type == OBU_FRAME_HEADER) && key < 0)
      /* show_existing_frame (1 bit) = 0, frame_type (2 bits) = KEY_FRAME */
      key = o.payload_len > 0 && (o.payload[0] & 0xE0) == 0;
    pos = o.next;
  }
  if (sent == 0) return SANSRTC_ERR_MALFORMED;
  p->av1_new_cvs = seq_hdr && key == 1;
  p->obu_off = 0;
  skip_dropped(p);
  return SANSRTC_OK;
}

/* Copies n bytes of OBU o's element (header without obu_has_size_field,
 * then payload) from element offset `from`. */
static void copy_element(const obu *o, size_t from, size_t n, uint8_t *dst) {
  for (; n > 0 && from < o->hdr_len; n--, from++) {
    uint8_t b = o->hdr[from];
    *dst++ = from == 0 ? (uint8_t)(b & ~0x02u) : b;
  }
  if (n > 0) memcpy(dst, o->payload + (from - o->hdr_len), n);
}

static int av1_next(sansrtc_packetizer *p, uint8_t *buf, size_t *len,
                    int *marker) {
  const size_t max = p->cfg.max_payload;
  const int z = p->obu_off > 0;
  int y = 0;
  size_t off = 1, count = 0, last_len_pos = 0, last_len_size = 0;
  obu o;
  while (p->pos < p->frame_len &&
         obu_at(p->frame, p->frame_len, p->pos, &o) == SANSRTC_OK) {
    size_t rem = o.hdr_len + o.payload_len - p->obu_off;
    size_t space = max - off;
    size_t n = rem;
    int with_len = 1;
    if (leb_size(rem) + rem > space) { /* fragment: fill the payload */
      if (space < 2) break;
      if (count < 3) { /* it will be the last of W elements: no length */
        n = space < rem ? space : rem;
        with_len = 0;
      } else {
        n = space - leb_size(space);
        while (leb_size(n) + n > space) n--;
      }
    }
    last_len_pos = off;
    last_len_size = with_len ? leb_write(buf + off, n) : 0;
    off += last_len_size;
    copy_element(&o, p->obu_off, n, buf + off);
    off += n;
    count++;
    if (n < rem) {
      p->obu_off += n;
      y = 1;
      break;
    }
    p->obu_off = 0;
    p->pos = o.next;
    skip_dropped(p);
    if (!with_len) break; /* an element without length ends the payload */
  }
  if (count == 0) return SANSRTC_ERR_INVALID_STATE; /* cannot happen */
  unsigned w = 0;
  if (count <= 3) { /* the last element goes without its length */
    if (last_len_size > 0)
      memmove(buf + last_len_pos, buf + last_len_pos + last_len_size,
              off - last_len_pos - last_len_size);
    off -= last_len_size;
    w = (unsigned)count;
  }
  buf[0] = (uint8_t)((z ? 0x80u : 0u) | (y ? 0x40u : 0u) | w << 4 |
                     ((p->first && p->av1_new_cvs) ? 0x08u : 0u));
  *len = off;
  *marker = p->pos >= p->frame_len;
  if (*marker) p->pending = 0;
  return SANSRTC_OK;
}

const pkt_codec_ops sansrtc_pkt_av1_ops = {av1_frame, av1_next};

/* ---- depacketizer ----------------------------------------------------- */

/* Walks the OBU elements of a payload: calls `fn` for each with its index
 * and whether it is the last. Returns SANSRTC_OK or SANSRTC_ERR_MALFORMED
 * (a length that lies, an empty element, nothing after the header). */
typedef void (*element_fn)(void *ctx, const uint8_t *p, size_t n, size_t i,
                           int last);

static int walk_elements(const uint8_t *p, size_t len, element_fn fn,
                         void *ctx) {
  if (len < 2) return SANSRTC_ERR_MALFORMED;
  const unsigned w = (p[0] >> 4) & 3u;
  size_t off = 1;
  for (size_t i = 0; off < len; i++) {
    uint64_t n = len - off;
    int last = w != 0 && i + 1 == w;
    if (!last) {
      size_t ls = leb_read(p + off, len - off, &n);
      if (ls == 0) return SANSRTC_ERR_MALFORMED;
      off += ls;
      if (n > len - off) return SANSRTC_ERR_MALFORMED;
    }
    if (n == 0) return SANSRTC_ERR_MALFORMED;
    last = last || off + n == len;
    if (fn != NULL) fn(ctx, p + off, (size_t)n, i, last);
    off += (size_t)n;
    if (last && off != len) return SANSRTC_ERR_MALFORMED;
  }
  return SANSRTC_OK;
}

static int av1_inspect(const uint8_t *p, size_t len, unsigned *flags) {
  int rc = walk_elements(p, len, NULL, NULL);
  if (rc != SANSRTC_OK) return rc;
  *flags = (p[0] & 0x80) ? 0 : (p[0] & 0x08) ? PKT_START | PKT_MAYSTART
                                             : PKT_MAYSTART;
  return SANSRTC_OK;
}

typedef struct av1_asm {
  pkt_out *out;
  int z, y;          /* of the packet being walked */
  int in_obu;        /* an OBU is open at obu_start */
  size_t obu_start;
  int damaged;
} av1_asm;

static void drop_obu(av1_asm *a) {
  if (!a->in_obu) return;
  a->out->len = a->obu_start;
  a->in_obu = 0;
  a->damaged = 1;
}

/* Turns the element bytes at out[obu_start..] into an OBU with a size. */
static void finish_obu(av1_asm *a) {
  pkt_out *o = a->out;
  a->in_obu = 0;
  if (o->overflow) return;
  uint8_t *e = o->buf + a->obu_start;
  size_t total = o->len - a->obu_start;
  size_t hdr = (e[0] & 0x04) ? 2 : 1;
  unsigned type = (e[0] >> 3) & 0x0Fu;
  if (total < hdr || (e[0] & 0x80) || type == OBU_TEMPORAL_DELIMITER) {
    if (total < hdr || (e[0] & 0x80)) a->damaged = 1;
    o->len = a->obu_start;
    return;
  }
  if (e[0] & 0x02) { /* it kept its size: it must match */
    uint64_t size;
    size_t ls = leb_read(e + hdr, total - hdr, &size);
    if (ls == 0 || size != total - hdr - ls) {
      a->damaged = 1;
      o->len = a->obu_start;
    }
    return;
  }
  size_t payload = total - hdr;
  size_t ls = leb_size(payload);
  if (ls > o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  memmove(e + hdr + ls, e + hdr, payload);
  leb_write(e + hdr, payload);
  e[0] |= 0x02;
  o->len += ls;
}

static void on_element(void *ctx, const uint8_t *p, size_t n, size_t i,
                       int last) {
  av1_asm *a = ctx;
  if (i == 0 && a->z) {
    if (!a->in_obu) { /* the OBU's start was lost */
      a->damaged = 1;
      return;
    }
  } else {
    drop_obu(a);
    a->obu_start = a->out->len;
    a->in_obu = 1;
  }
  pkt_put(a->out, p, n);
  if (!(last && a->y)) finish_obu(a);
}

static void av1_assemble(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                         int *damaged) {
  static const uint8_t td[2] = {OBU_TEMPORAL_DELIMITER << 3 | 0x02, 0};
  av1_asm a = {out, 0, 0, 0, 0, 0};
  pkt_put(out, td, sizeof td);
  for (size_t i = 0; i < f->n; i++) {
    const uint8_t *p = pkt_data(f, i);
    if (pkt_gap_before(f, i)) drop_obu(&a);
    a.z = (p[0] & 0x80) != 0;
    a.y = (p[0] & 0x40) != 0;
    if (!a.z) drop_obu(&a);
    if (walk_elements(p, f->rec[i].len, on_element, &a) != SANSRTC_OK)
      a.damaged = 1; /* push refused these; defensive */
  }
  drop_obu(&a);
  const uint8_t *first = pkt_data(f, 0);
  *keyframe = (f->rec[0].flags & PKT_START) && (first[0] & 0x08);
  *damaged = a.damaged;
}

const pkt_depack_ops sansrtc_depack_av1_ops = {av1_inspect, av1_assemble};
