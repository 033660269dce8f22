/*
 * rtcp.c - RTCP compound packets, the report and feedback messages WebRTC
 * uses, and their writers. No allocation, no state: parsers check every
 * count and length against the bytes present before reading, and keep
 * views into the caller's buffer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include <sansrtc/rtcp.h>

#include "internal.h"

#define MAX_PACKET (65536u * 4u) /* a 16-bit length in words, plus one */
#define MAX_COUNT 31u
#define FB_COMMON 8u       /* sender and media SSRC */
#define SR_SENDER_INFO 24u /* SSRC + NTP + RTP ts + counts */
#define FIR_ENTRY 8u
#define NACK_PAIR 4u
#define REMB_FIXED 8u /* "REMB", count, exponent, mantissa */
#define REMB_MAX_MANTISSA 0x3FFFFu
#define TWCC_FIXED 8u /* base seq, count, reference time, fb count */
#define TWCC_MAX_RUN 8191u
#define TWCC_VECTOR1 14u
#define TWCC_VECTOR2 7u
#define TWCC_TICK_NS 250000u
#define TWCC_REF_NS 64000000u
#define TWCC_TICKS_PER_REF 256

static size_t pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

static int32_t sign24(uint32_t v) {
  v &= 0xFFFFFFu;
  return (int32_t)v - ((v & 0x800000u) ? 0x1000000 : 0);
}

static uint32_t rd24(const uint8_t *p) {
  return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void wr24(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
}

static sansrtc_rtcp_bytes view(const uint8_t *p, size_t n) {
  sansrtc_rtcp_bytes b = {p, n};
  return b;
}

/* ------------------------------------------------------------------------ */
/* Compound packets                                                         */
/* ------------------------------------------------------------------------ */

static int parse_header(const uint8_t *p, size_t rest, sansrtc_rtcp_header *h) {
  if (rest < SANSRTC_RTCP_HEADER_SIZE || (p[0] >> 6) != 2)
    return SANSRTC_ERR_MALFORMED;
  size_t size = ((size_t)rd16(p + 2) + 1u) * 4u;
  if (size > rest) return SANSRTC_ERR_MALFORMED;
  size_t pad = 0;
  if (p[0] & 0x20u) {
    pad = p[size - 1];
    if (pad == 0 || pad > size - SANSRTC_RTCP_HEADER_SIZE)
      return SANSRTC_ERR_MALFORMED;
  }
  h->version = 2;
  h->padding = (uint8_t)((p[0] >> 5) & 1u);
  h->count = (uint8_t)(p[0] & 0x1Fu);
  h->type = p[1];
  h->length = rd16(p + 2);
  h->packet = view(p, size);
  h->body =
      view(p + SANSRTC_RTCP_HEADER_SIZE, size - SANSRTC_RTCP_HEADER_SIZE - pad);
  return SANSRTC_OK;
}

void sansrtc_rtcp_iter_init(sansrtc_rtcp_iter *it, const uint8_t *data,
                            size_t len) {
  if (it == NULL) return;
  it->data = data;
  it->len = len;
  it->off = 0;
}

int sansrtc_rtcp_iter_next(sansrtc_rtcp_iter *it, sansrtc_rtcp_header *out) {
  if (it == NULL || out == NULL || (it->data == NULL && it->len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (it->off >= it->len) return 0;
  int rc = parse_header(it->data + it->off, it->len - it->off, out);
  if (rc != SANSRTC_OK) return rc;
  it->off += out->packet.len;
  return 1;
}

int sansrtc_rtcp_validate(const uint8_t *data, size_t len) {
  if (data == NULL || len == 0) return SANSRTC_ERR_MALFORMED;
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, data, len);
  int rc;
  while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) {
  }
  return rc == 0 ? SANSRTC_OK : SANSRTC_ERR_MALFORMED;
}

static sansrtc_rtcp_kind rtpfb_kind(uint8_t fmt) {
  if (fmt == SANSRTC_RTCP_FMT_NACK) return SANSRTC_RTCP_KIND_NACK;
  if (fmt == SANSRTC_RTCP_FMT_TWCC) return SANSRTC_RTCP_KIND_TWCC;
  return SANSRTC_RTCP_KIND_UNKNOWN;
}

static int is_remb(const sansrtc_rtcp_bytes *body) {
  return body->len >= FB_COMMON + 4 &&
         memcmp(body->data + FB_COMMON, "REMB", 4) == 0;
}

static sansrtc_rtcp_kind psfb_kind(const sansrtc_rtcp_header *h) {
  if (h->count == SANSRTC_RTCP_FMT_PLI) return SANSRTC_RTCP_KIND_PLI;
  if (h->count == SANSRTC_RTCP_FMT_FIR) return SANSRTC_RTCP_KIND_FIR;
  if (h->count == SANSRTC_RTCP_FMT_AFB && is_remb(&h->body))
    return SANSRTC_RTCP_KIND_REMB;
  return SANSRTC_RTCP_KIND_UNKNOWN;
}

sansrtc_rtcp_kind sansrtc_rtcp_kind_of(const sansrtc_rtcp_header *h) {
  if (h == NULL) return SANSRTC_RTCP_KIND_UNKNOWN;
  switch (h->type) {
    case SANSRTC_RTCP_SR: return SANSRTC_RTCP_KIND_SR;
    case SANSRTC_RTCP_RR: return SANSRTC_RTCP_KIND_RR;
    case SANSRTC_RTCP_SDES: return SANSRTC_RTCP_KIND_SDES;
    case SANSRTC_RTCP_BYE: return SANSRTC_RTCP_KIND_BYE;
    case SANSRTC_RTCP_APP: return SANSRTC_RTCP_KIND_APP;
    case SANSRTC_RTCP_XR: return SANSRTC_RTCP_KIND_XR;
    case SANSRTC_RTCP_RTPFB: return rtpfb_kind(h->count);
    case SANSRTC_RTCP_PSFB: return psfb_kind(h);
    default: return SANSRTC_RTCP_KIND_UNKNOWN;
  }
}

/* ------------------------------------------------------------------------ */
/* SR, RR                                                                   */
/* ------------------------------------------------------------------------ */

static int check_type(const sansrtc_rtcp_header *h, const void *out,
                      uint8_t type) {
  return h != NULL && out != NULL && h->type == type &&
         (h->body.data != NULL || h->body.len == 0);
}

int sansrtc_rtcp_report_get(const sansrtc_rtcp_reports *r, size_t index,
                            sansrtc_rtcp_report *out) {
  if (r == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (index >= r->count || index >= r->blocks.len / SANSRTC_RTCP_REPORT_SIZE)
    return SANSRTC_ERR_NOT_FOUND;
  const uint8_t *p = r->blocks.data + index * SANSRTC_RTCP_REPORT_SIZE;
  out->ssrc = rd32(p);
  out->fraction_lost = p[4];
  out->cumulative_lost = sign24(rd24(p + 5));
  out->highest_seq = rd32(p + 8);
  out->jitter = rd32(p + 12);
  out->lsr = rd32(p + 16);
  out->dlsr = rd32(p + 20);
  return SANSRTC_OK;
}

/* Report blocks at body + off, and the extension after them. */
static int parse_reports(const sansrtc_rtcp_header *h, size_t off,
                         sansrtc_rtcp_reports *r, sansrtc_rtcp_bytes *ext) {
  size_t need = (size_t)h->count * SANSRTC_RTCP_REPORT_SIZE;
  if (h->body.len < off || need > h->body.len - off)
    return SANSRTC_ERR_MALFORMED;
  r->count = h->count;
  r->blocks = view(h->body.data + off, need);
  *ext = view(h->body.data + off + need, h->body.len - off - need);
  return SANSRTC_OK;
}

int sansrtc_rtcp_parse_sr(const sansrtc_rtcp_header *h, sansrtc_rtcp_sr *out) {
  if (!check_type(h, out, SANSRTC_RTCP_SR)) return SANSRTC_ERR_INVALID_ARGUMENT;
  int rc = parse_reports(h, SR_SENDER_INFO, &out->reports, &out->extension);
  if (rc != SANSRTC_OK) return rc;
  const uint8_t *b = h->body.data;
  out->ssrc = rd32(b);
  out->ntp = rd64(b + 4);
  out->rtp_timestamp = rd32(b + 12);
  out->packet_count = rd32(b + 16);
  out->octet_count = rd32(b + 20);
  return SANSRTC_OK;
}

int sansrtc_rtcp_parse_rr(const sansrtc_rtcp_header *h, sansrtc_rtcp_rr *out) {
  if (!check_type(h, out, SANSRTC_RTCP_RR)) return SANSRTC_ERR_INVALID_ARGUMENT;
  int rc = parse_reports(h, 4, &out->reports, &out->extension);
  if (rc != SANSRTC_OK) return rc;
  out->ssrc = rd32(h->body.data);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* SDES                                                                     */
/* ------------------------------------------------------------------------ */

/* The item list starting at d[i]: returns the offset of its terminating
 * null octet, or 0 when the list runs past n (i is always >= 4). */
static size_t items_end(const uint8_t *d, size_t n, size_t i) {
  while (i < n && d[i] != SANSRTC_RTCP_SDES_END) {
    if (n - i < 2 || d[i + 1] > n - i - 2) return 0;
    i += 2u + d[i + 1];
  }
  return i < n ? i : 0;
}

int sansrtc_rtcp_sdes_next_chunk(const sansrtc_rtcp_sdes *s, size_t *offset,
                                 sansrtc_rtcp_sdes_chunk *out) {
  if (s == NULL || offset == NULL || out == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  const uint8_t *d = s->chunks.data;
  size_t n = s->chunks.len, start = *offset;
  if (start >= n) return 0;
  if (n - start < 4) return SANSRTC_ERR_MALFORMED;
  size_t end = items_end(d, n, start + 4);
  if (end == 0) return SANSRTC_ERR_MALFORMED;
  size_t next = start + pad4(end + 1u - start);
  if (next > n) return SANSRTC_ERR_MALFORMED;
  out->ssrc = rd32(d + start);
  out->items = view(d + start + 4, end - start - 4);
  *offset = next;
  return 1;
}

int sansrtc_rtcp_sdes_next_item(const sansrtc_rtcp_sdes_chunk *c,
                                size_t *offset, sansrtc_rtcp_sdes_item *out) {
  if (c == NULL || offset == NULL || out == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t i = *offset, n = c->items.len;
  if (i >= n) return 0;
  const uint8_t *d = c->items.data;
  if (n - i < 2 || d[i] == SANSRTC_RTCP_SDES_END || d[i + 1] > n - i - 2)
    return SANSRTC_ERR_MALFORMED;
  out->type = d[i];
  out->len = d[i + 1];
  out->data = d + i + 2;
  *offset = i + 2u + out->len;
  return 1;
}

int sansrtc_rtcp_parse_sdes(const sansrtc_rtcp_header *h,
                            sansrtc_rtcp_sdes *out) {
  if (!check_type(h, out, SANSRTC_RTCP_SDES))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  out->chunk_count = h->count;
  out->chunks = h->body;
  size_t off = 0;
  sansrtc_rtcp_sdes_chunk c;
  for (size_t i = 0; i < out->chunk_count; i++) {
    if (sansrtc_rtcp_sdes_next_chunk(out, &off, &c) != 1)
      return SANSRTC_ERR_MALFORMED;
  }
  return off == h->body.len ? SANSRTC_OK : SANSRTC_ERR_MALFORMED;
}

static int chunk_find(const sansrtc_rtcp_sdes_chunk *c, uint8_t type,
                      sansrtc_rtcp_bytes *out) {
  size_t off = 0;
  sansrtc_rtcp_sdes_item item;
  int rc;
  while ((rc = sansrtc_rtcp_sdes_next_item(c, &off, &item)) == 1) {
    if (item.type == type) {
      *out = view(item.data, item.len);
      return SANSRTC_OK;
    }
  }
  return rc < 0 ? rc : SANSRTC_ERR_NOT_FOUND;
}

int sansrtc_rtcp_sdes_find(const sansrtc_rtcp_sdes *s, uint32_t ssrc,
                           uint8_t type, sansrtc_rtcp_bytes *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t off = 0;
  sansrtc_rtcp_sdes_chunk c;
  int rc;
  while ((rc = sansrtc_rtcp_sdes_next_chunk(s, &off, &c)) == 1) {
    if (c.ssrc != ssrc) continue;
    rc = chunk_find(&c, type, out);
    if (rc != SANSRTC_ERR_NOT_FOUND) return rc;
  }
  return rc < 0 ? rc : SANSRTC_ERR_NOT_FOUND;
}

int sansrtc_rtcp_sdes_cname(const sansrtc_rtcp_sdes *s, uint32_t ssrc,
                            sansrtc_rtcp_bytes *out) {
  return sansrtc_rtcp_sdes_find(s, ssrc, SANSRTC_RTCP_SDES_CNAME, out);
}

/* ------------------------------------------------------------------------ */
/* BYE, APP, XR                                                             */
/* ------------------------------------------------------------------------ */

int sansrtc_rtcp_parse_bye(const sansrtc_rtcp_header *h,
                           sansrtc_rtcp_bye *out) {
  if (!check_type(h, out, SANSRTC_RTCP_BYE))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t need = (size_t)h->count * 4u;
  if (need > h->body.len) return SANSRTC_ERR_MALFORMED;
  out->ssrc_count = h->count;
  out->ssrcs = view(h->body.data, need);
  out->has_reason = 0;
  out->reason = view(NULL, 0);
  size_t rest = h->body.len - need;
  if (rest == 0) return SANSRTC_OK;
  const uint8_t *r = h->body.data + need;
  if ((size_t)r[0] > rest - 1u) return SANSRTC_ERR_MALFORMED;
  out->has_reason = 1;
  out->reason = view(r + 1, r[0]);
  return SANSRTC_OK;
}

uint32_t sansrtc_rtcp_bye_ssrc(const sansrtc_rtcp_bye *b, size_t index) {
  if (b == NULL || index >= b->ssrc_count || index >= b->ssrcs.len / 4u)
    return 0;
  return rd32(b->ssrcs.data + 4u * index);
}

int sansrtc_rtcp_parse_app(const sansrtc_rtcp_header *h,
                           sansrtc_rtcp_app *out) {
  if (!check_type(h, out, SANSRTC_RTCP_APP))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (h->body.len < 8) return SANSRTC_ERR_MALFORMED;
  out->subtype = h->count;
  out->ssrc = rd32(h->body.data);
  memcpy(out->name, h->body.data + 4, 4);
  out->data = view(h->body.data + 8, h->body.len - 8);
  return SANSRTC_OK;
}

int sansrtc_rtcp_parse_xr(const sansrtc_rtcp_header *h, sansrtc_rtcp_xr *out) {
  if (!check_type(h, out, SANSRTC_RTCP_XR)) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (h->body.len < 4) return SANSRTC_ERR_MALFORMED;
  out->ssrc = rd32(h->body.data);
  out->blocks = view(h->body.data + 4, h->body.len - 4);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Feedback: generic, NACK, PLI, FIR, REMB                                  */
/* ------------------------------------------------------------------------ */

int sansrtc_rtcp_parse_fb(const sansrtc_rtcp_header *h, sansrtc_rtcp_fb *out) {
  if (h == NULL || out == NULL ||
      (h->type != SANSRTC_RTCP_RTPFB && h->type != SANSRTC_RTCP_PSFB) ||
      (h->body.data == NULL && h->body.len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (h->body.len < FB_COMMON) return SANSRTC_ERR_MALFORMED;
  out->type = h->type;
  out->fmt = h->count;
  out->sender_ssrc = rd32(h->body.data);
  out->media_ssrc = rd32(h->body.data + 4);
  out->fci = view(h->body.data + FB_COMMON, h->body.len - FB_COMMON);
  return SANSRTC_OK;
}

/* The feedback part of a packet that must be type/fmt. */
static int parse_fb_of(const sansrtc_rtcp_header *h, const void *out,
                       uint8_t type, uint8_t fmt, sansrtc_rtcp_fb *fb) {
  if (h == NULL || out == NULL || h->type != type || h->count != fmt)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  return sansrtc_rtcp_parse_fb(h, fb);
}

int sansrtc_rtcp_parse_nack(const sansrtc_rtcp_header *h,
                            sansrtc_rtcp_nack *out) {
  sansrtc_rtcp_fb fb;
  int rc = parse_fb_of(h, out, SANSRTC_RTCP_RTPFB, SANSRTC_RTCP_FMT_NACK, &fb);
  if (rc != SANSRTC_OK) return rc;
  if (fb.fci.len == 0 || fb.fci.len % NACK_PAIR != 0)
    return SANSRTC_ERR_MALFORMED;
  out->sender_ssrc = fb.sender_ssrc;
  out->media_ssrc = fb.media_ssrc;
  out->pair_count = fb.fci.len / NACK_PAIR;
  out->pairs = fb.fci;
  return SANSRTC_OK;
}

int sansrtc_rtcp_nack_lost(const sansrtc_rtcp_nack *n, uint16_t *out,
                           size_t cap, size_t *count) {
  if (n == NULL || count == NULL || (out == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t total = 0;
  size_t pairs = n->pair_count < n->pairs.len / NACK_PAIR
                     ? n->pair_count
                     : n->pairs.len / NACK_PAIR;
  for (size_t i = 0; i < pairs; i++) {
    const uint8_t *p = n->pairs.data + NACK_PAIR * i;
    uint16_t pid = rd16(p), blp = rd16(p + 2);
    if (total < cap) out[total] = pid;
    total++;
    for (unsigned b = 0; b < 16; b++) {
      if (!(((unsigned)blp >> b) & 1u)) continue;
      if (total < cap) out[total] = (uint16_t)(pid + b + 1u);
      total++;
    }
  }
  *count = total;
  return total <= cap ? SANSRTC_OK : SANSRTC_ERR_BUFFER_TOO_SMALL;
}

int sansrtc_rtcp_parse_pli(const sansrtc_rtcp_header *h,
                           sansrtc_rtcp_pli *out) {
  sansrtc_rtcp_fb fb;
  int rc = parse_fb_of(h, out, SANSRTC_RTCP_PSFB, SANSRTC_RTCP_FMT_PLI, &fb);
  if (rc != SANSRTC_OK) return rc;
  if (fb.fci.len != 0) return SANSRTC_ERR_MALFORMED;
  out->sender_ssrc = fb.sender_ssrc;
  out->media_ssrc = fb.media_ssrc;
  return SANSRTC_OK;
}

int sansrtc_rtcp_parse_fir(const sansrtc_rtcp_header *h,
                           sansrtc_rtcp_fir *out) {
  sansrtc_rtcp_fb fb;
  int rc = parse_fb_of(h, out, SANSRTC_RTCP_PSFB, SANSRTC_RTCP_FMT_FIR, &fb);
  if (rc != SANSRTC_OK) return rc;
  if (fb.fci.len == 0 || fb.fci.len % FIR_ENTRY != 0)
    return SANSRTC_ERR_MALFORMED;
  out->sender_ssrc = fb.sender_ssrc;
  out->media_ssrc = fb.media_ssrc;
  out->entry_count = fb.fci.len / FIR_ENTRY;
  out->entries = fb.fci;
  return SANSRTC_OK;
}

int sansrtc_rtcp_fir_entry_get(const sansrtc_rtcp_fir *f, size_t index,
                               sansrtc_rtcp_fir_entry *out) {
  if (f == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (index >= f->entry_count || index >= f->entries.len / FIR_ENTRY)
    return SANSRTC_ERR_NOT_FOUND;
  const uint8_t *p = f->entries.data + FIR_ENTRY * index;
  out->ssrc = rd32(p);
  out->seq = p[4];
  return SANSRTC_OK;
}

static uint64_t remb_bitrate(uint32_t mantissa, uint8_t exponent) {
  if (exponent > 0 && (uint64_t)mantissa > (UINT64_MAX >> exponent))
    return UINT64_MAX;
  return (uint64_t)mantissa << exponent;
}

int sansrtc_rtcp_parse_remb(const sansrtc_rtcp_header *h,
                            sansrtc_rtcp_remb *out) {
  sansrtc_rtcp_fb fb;
  int rc = parse_fb_of(h, out, SANSRTC_RTCP_PSFB, SANSRTC_RTCP_FMT_AFB, &fb);
  if (rc != SANSRTC_OK) return rc;
  const uint8_t *f = fb.fci.data;
  if (fb.fci.len < REMB_FIXED || memcmp(f, "REMB", 4) != 0)
    return SANSRTC_ERR_MALFORMED;
  size_t n = f[4];
  if (fb.fci.len != REMB_FIXED + 4u * n) return SANSRTC_ERR_MALFORMED;
  out->sender_ssrc = fb.sender_ssrc;
  out->media_ssrc = fb.media_ssrc;
  out->exponent = (uint8_t)(f[5] >> 2);
  out->mantissa = (uint32_t)(f[5] & 3u) << 16 | rd16(f + 6);
  out->bitrate = remb_bitrate(out->mantissa, out->exponent);
  out->ssrc_count = n;
  out->ssrcs = view(f + REMB_FIXED, 4u * n);
  return SANSRTC_OK;
}

uint32_t sansrtc_rtcp_remb_ssrc(const sansrtc_rtcp_remb *r, size_t index) {
  if (r == NULL || index >= r->ssrc_count || index >= r->ssrcs.len / 4u)
    return 0;
  return rd32(r->ssrcs.data + 4u * index);
}

/* ------------------------------------------------------------------------ */
/* Transport-wide congestion control feedback: parsing                      */
/* ------------------------------------------------------------------------ */

/* Symbols a packet chunk carries. */
static unsigned chunk_symbols(uint16_t chunk) {
  if (!(chunk & 0x8000u)) return chunk & 0x1FFFu; /* run length */
  return (chunk & 0x4000u) ? TWCC_VECTOR2 : TWCC_VECTOR1;
}

static unsigned chunk_symbol(uint16_t chunk, unsigned i) {
  unsigned c = chunk;
  if (!(c & 0x8000u)) return (c >> 13) & 3u;
  if (c & 0x4000u) return (c >> (12u - 2u * i)) & 3u;
  return (c >> (13u - i)) & 1u;
}

static size_t delta_size(unsigned symbol) {
  return symbol == SANSRTC_TWCC_SMALL_DELTA   ? 1u
         : symbol == SANSRTC_TWCC_LARGE_DELTA ? 2u
                                              : 0u;
}

/* Walks chunks from fci + TWCC_FIXED until `count` symbols are known;
 * sets *chunk_end and *delta_bytes. */
static int twcc_walk_chunks(const sansrtc_rtcp_bytes *fci, size_t count,
                            size_t *chunk_end, size_t *delta_bytes) {
  size_t off = TWCC_FIXED, seen = 0, deltas = 0;
  while (seen < count) {
    if (fci->len - off < 2) return SANSRTC_ERR_MALFORMED;
    uint16_t chunk = rd16(fci->data + off);
    off += 2;
    unsigned n = chunk_symbols(chunk);
    for (unsigned i = 0; i < n && seen < count; i++, seen++) {
      unsigned s = chunk_symbol(chunk, i);
      if (s == 3) return SANSRTC_ERR_MALFORMED; /* reserved */
      deltas += delta_size(s);
    }
  }
  *chunk_end = off;
  *delta_bytes = deltas;
  return SANSRTC_OK;
}

int sansrtc_rtcp_parse_twcc(const sansrtc_rtcp_header *h,
                            sansrtc_rtcp_twcc *out) {
  sansrtc_rtcp_fb fb;
  int rc = parse_fb_of(h, out, SANSRTC_RTCP_RTPFB, SANSRTC_RTCP_FMT_TWCC, &fb);
  if (rc != SANSRTC_OK) return rc;
  if (fb.fci.len < TWCC_FIXED) return SANSRTC_ERR_MALFORMED;
  const uint8_t *f = fb.fci.data;
  size_t chunk_end, deltas;
  rc = twcc_walk_chunks(&fb.fci, rd16(f + 2), &chunk_end, &deltas);
  if (rc != SANSRTC_OK) return rc;
  if (deltas > fb.fci.len - chunk_end) return SANSRTC_ERR_MALFORMED;
  out->sender_ssrc = fb.sender_ssrc;
  out->media_ssrc = fb.media_ssrc;
  out->base_seq = rd16(f);
  out->status_count = rd16(f + 2);
  out->reference_time = sign24(rd24(f + 4));
  out->fb_count = f[7];
  out->chunks = view(f + TWCC_FIXED, chunk_end - TWCC_FIXED);
  out->deltas = view(f + chunk_end, deltas);
  return SANSRTC_OK;
}

void sansrtc_rtcp_twcc_iter_init(sansrtc_rtcp_twcc_iter *it,
                                 const sansrtc_rtcp_twcc *fb) {
  if (it == NULL) return;
  memset(it, 0, sizeof *it);
  it->fb = fb;
  if (fb != NULL) it->ticks = (int64_t)fb->reference_time * TWCC_TICKS_PER_REF;
}

/* The next status symbol, or -1 when the chunks run out. */
static int twcc_next_symbol(sansrtc_rtcp_twcc_iter *it) {
  const sansrtc_rtcp_bytes *c = &it->fb->chunks;
  for (;;) {
    if (c->len < 2 || it->chunk_off > c->len - 2) return -1;
    uint16_t chunk = rd16(c->data + it->chunk_off);
    if (it->symbol < chunk_symbols(chunk))
      return (int)chunk_symbol(chunk, it->symbol++);
    it->chunk_off += 2;
    it->symbol = 0;
  }
}

/* Reads the delta a symbol says follows; -1 when the deltas run out. */
static int twcc_read_delta(sansrtc_rtcp_twcc_iter *it, int symbol,
                           int32_t *delta) {
  const sansrtc_rtcp_bytes *d = &it->fb->deltas;
  size_t size = delta_size((unsigned)symbol);
  if (size > d->len - it->delta_off) return -1;
  const uint8_t *p = d->data + it->delta_off;
  if (size == 1) *delta = p[0];
  if (size == 2) *delta = (int32_t)rd16(p) - (rd16(p) >= 0x8000u ? 0x10000 : 0);
  it->delta_off += size;
  return 0;
}

int sansrtc_rtcp_twcc_next(sansrtc_rtcp_twcc_iter *it,
                           sansrtc_rtcp_twcc_packet *out) {
  if (it == NULL || it->fb == NULL || out == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (it->done >= it->fb->status_count) return 0;
  int s = twcc_next_symbol(it);
  if (s < 0 || s == 3) return SANSRTC_ERR_MALFORMED;
  int32_t delta = 0;
  if (twcc_read_delta(it, s, &delta) < 0) return SANSRTC_ERR_MALFORMED;
  it->ticks += delta;
  out->seq = (uint16_t)(it->fb->base_seq + it->done);
  out->status = (uint8_t)s;
  out->delta = delta;
  out->arrival_us = it->ticks * SANSRTC_TWCC_DELTA_US;
  it->done++;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Writers: common parts                                                    */
/* ------------------------------------------------------------------------ */

/* Checks a writer's output arguments and the room for `size` bytes. */
static int begin(uint8_t *buf, size_t cap, size_t size) {
  if (buf == NULL || size > MAX_PACKET) return SANSRTC_ERR_INVALID_ARGUMENT;
  return size > cap ? SANSRTC_ERR_BUFFER_TOO_SMALL : SANSRTC_OK;
}

static void put_header(uint8_t *p, size_t count, uint8_t type, size_t size) {
  p[0] = (uint8_t)(0x80u | count);
  p[1] = type;
  wr16(p + 2, (uint16_t)(size / 4u - 1u));
}

static void put_report(uint8_t *p, const sansrtc_rtcp_report *r) {
  int32_t lost = r->cumulative_lost;
  if (lost > 0x7FFFFF) lost = 0x7FFFFF;
  if (lost < -0x800000) lost = -0x800000;
  wr32(p, r->ssrc);
  p[4] = r->fraction_lost;
  wr24(p + 5, (uint32_t)lost & 0xFFFFFFu);
  wr32(p + 8, r->highest_seq);
  wr32(p + 12, r->jitter);
  wr32(p + 16, r->lsr);
  wr32(p + 20, r->dlsr);
}

static int check_reports(const sansrtc_rtcp_report *r, size_t n) {
  return n <= MAX_COUNT && (r != NULL || n == 0);
}

int sansrtc_rtcp_write_sr(uint8_t *buf, size_t cap,
                          const sansrtc_rtcp_sr_desc *d, size_t *len) {
  if (len == NULL || d == NULL || !check_reports(d->reports, d->report_count))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size =
      4u + SR_SENDER_INFO + SANSRTC_RTCP_REPORT_SIZE * d->report_count;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_header(buf, d->report_count, SANSRTC_RTCP_SR, size);
  wr32(buf + 4, d->ssrc);
  wr64(buf + 8, d->ntp);
  wr32(buf + 16, d->rtp_timestamp);
  wr32(buf + 20, d->packet_count);
  wr32(buf + 24, d->octet_count);
  for (size_t i = 0; i < d->report_count; i++)
    put_report(buf + 28 + SANSRTC_RTCP_REPORT_SIZE * i, &d->reports[i]);
  *len = size;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_rr(uint8_t *buf, size_t cap,
                          const sansrtc_rtcp_rr_desc *d, size_t *len) {
  if (len == NULL || d == NULL || !check_reports(d->reports, d->report_count))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size = 8u + SANSRTC_RTCP_REPORT_SIZE * d->report_count;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_header(buf, d->report_count, SANSRTC_RTCP_RR, size);
  wr32(buf + 4, d->ssrc);
  for (size_t i = 0; i < d->report_count; i++)
    put_report(buf + 8 + SANSRTC_RTCP_REPORT_SIZE * i, &d->reports[i]);
  *len = size;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* SDES, BYE, APP, raw writers                                              */
/* ------------------------------------------------------------------------ */

/* Bytes one chunk takes, or 0 when it is invalid. */
static size_t chunk_size(const sansrtc_rtcp_sdes_chunk_desc *c) {
  if (c->items == NULL && c->item_count > 0) return 0;
  size_t n = 4;
  for (size_t i = 0; i < c->item_count; i++) {
    const sansrtc_rtcp_sdes_item *it = &c->items[i];
    if (it->type == SANSRTC_RTCP_SDES_END || it->len > 255 ||
        (it->data == NULL && it->len > 0) || n > MAX_PACKET)
      return 0;
    n += 2u + it->len;
  }
  return pad4(n + 1u); /* the terminating null octet, then alignment */
}

static int sdes_size(const sansrtc_rtcp_sdes_desc *d, size_t *size) {
  if (d->chunk_count > MAX_COUNT || (d->chunks == NULL && d->chunk_count > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t n = 4;
  for (size_t i = 0; i < d->chunk_count; i++) {
    size_t c = chunk_size(&d->chunks[i]);
    if (c == 0) return SANSRTC_ERR_INVALID_ARGUMENT;
    n += c;
  }
  *size = n;
  return SANSRTC_OK;
}

static size_t put_chunk(uint8_t *p, const sansrtc_rtcp_sdes_chunk_desc *c) {
  size_t size = chunk_size(c), off = 4;
  wr32(p, c->ssrc);
  for (size_t i = 0; i < c->item_count; i++) {
    p[off] = c->items[i].type;
    p[off + 1] = (uint8_t)c->items[i].len;
    if (c->items[i].len > 0)
      memcpy(p + off + 2, c->items[i].data, c->items[i].len);
    off += 2u + c->items[i].len;
  }
  memset(p + off, 0, size - off);
  return size;
}

int sansrtc_rtcp_write_sdes(uint8_t *buf, size_t cap,
                            const sansrtc_rtcp_sdes_desc *d, size_t *len) {
  if (len == NULL || d == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size;
  int rc = sdes_size(d, &size);
  if (rc == SANSRTC_OK) rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_header(buf, d->chunk_count, SANSRTC_RTCP_SDES, size);
  size_t off = 4;
  for (size_t i = 0; i < d->chunk_count; i++)
    off += put_chunk(buf + off, &d->chunks[i]);
  *len = size;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_bye(uint8_t *buf, size_t cap,
                           const sansrtc_rtcp_bye_desc *d, size_t *len) {
  if (len == NULL || d == NULL || d->ssrc_count > MAX_COUNT ||
      (d->ssrcs == NULL && d->ssrc_count > 0) || d->reason_len > 255 ||
      (d->reason == NULL && d->reason_len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t head = 4u + 4u * d->ssrc_count;
  size_t size = head + (d->reason != NULL ? pad4(1u + d->reason_len) : 0u);
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_header(buf, d->ssrc_count, SANSRTC_RTCP_BYE, size);
  for (size_t i = 0; i < d->ssrc_count; i++) wr32(buf + 4 + 4 * i, d->ssrcs[i]);
  if (d->reason != NULL) {
    memset(buf + head, 0, size - head);
    buf[head] = (uint8_t)d->reason_len;
    if (d->reason_len > 0) memcpy(buf + head + 1, d->reason, d->reason_len);
  }
  *len = size;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_app(uint8_t *buf, size_t cap,
                           const sansrtc_rtcp_app_desc *d, size_t *len) {
  if (len == NULL || d == NULL || d->subtype > MAX_COUNT || d->len % 4 != 0 ||
      (d->data == NULL && d->len > 0) || d->len > MAX_PACKET)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size = 12u + d->len;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_header(buf, d->subtype, SANSRTC_RTCP_APP, size);
  wr32(buf + 4, d->ssrc);
  memcpy(buf + 8, d->name, 4);
  if (d->len > 0) memcpy(buf + 12, d->data, d->len);
  *len = size;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_raw(uint8_t *buf, size_t cap,
                           const sansrtc_rtcp_raw_desc *d, size_t *len) {
  if (len == NULL || d == NULL || d->count > MAX_COUNT || d->len % 4 != 0 ||
      (d->body == NULL && d->len > 0) || d->len > MAX_PACKET)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size = 4u + d->len;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_header(buf, d->count, d->type, size);
  if (d->len > 0) memcpy(buf + 4, d->body, d->len);
  *len = size;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Feedback writers                                                         */
/* ------------------------------------------------------------------------ */

static void put_fb(uint8_t *p, uint8_t fmt, uint8_t type, size_t size,
                   uint32_t sender, uint32_t media) {
  put_header(p, fmt, type, size);
  wr32(p + 4, sender);
  wr32(p + 8, media);
}

/* Packs lost[] into PID/BLP pairs at p (NULL: count only); returns the
 * number of pairs. */
static size_t pack_nack(const uint16_t *lost, size_t n, uint8_t *p) {
  size_t pairs = 0, i = 0;
  while (i < n) {
    uint16_t pid = lost[i], blp = 0;
    size_t j = i + 1;
    for (; j < n; j++) {
      uint16_t d = (uint16_t)(lost[j] - pid);
      if (d > 16) break;
      if (d > 0) blp = (uint16_t)(blp | 1u << (d - 1u));
    }
    if (p != NULL) {
      wr16(p + NACK_PAIR * pairs, pid);
      wr16(p + NACK_PAIR * pairs + 2, blp);
    }
    pairs++;
    i = j;
  }
  return pairs;
}

int sansrtc_rtcp_write_nack(uint8_t *buf, size_t cap,
                            const sansrtc_rtcp_nack_desc *d, size_t *len) {
  if (len == NULL || d == NULL || d->lost == NULL || d->lost_count == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t pairs = pack_nack(d->lost, d->lost_count, NULL);
  if (pairs > MAX_PACKET / NACK_PAIR) return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t size = 4u + FB_COMMON + NACK_PAIR * pairs;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_fb(buf, SANSRTC_RTCP_FMT_NACK, SANSRTC_RTCP_RTPFB, size, d->sender_ssrc,
         d->media_ssrc);
  pack_nack(d->lost, d->lost_count, buf + 12);
  *len = size;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_pli(uint8_t *buf, size_t cap,
                           const sansrtc_rtcp_pli_desc *d, size_t *len) {
  if (len == NULL || d == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  int rc = begin(buf, cap, 12);
  if (rc != SANSRTC_OK) return rc;
  put_fb(buf, SANSRTC_RTCP_FMT_PLI, SANSRTC_RTCP_PSFB, 12, d->sender_ssrc,
         d->media_ssrc);
  *len = 12;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_fir(uint8_t *buf, size_t cap,
                           const sansrtc_rtcp_fir_desc *d, size_t *len) {
  if (len == NULL || d == NULL || d->entries == NULL || d->entry_count == 0 ||
      d->entry_count > MAX_PACKET / FIR_ENTRY)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size = 4u + FB_COMMON + FIR_ENTRY * d->entry_count;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_fb(buf, SANSRTC_RTCP_FMT_FIR, SANSRTC_RTCP_PSFB, size, d->sender_ssrc, 0);
  for (size_t i = 0; i < d->entry_count; i++) {
    uint8_t *p = buf + 12 + FIR_ENTRY * i;
    wr32(p, d->entries[i].ssrc);
    wr32(p + 4, (uint32_t)d->entries[i].seq << 24); /* reserved bits 0 */
  }
  *len = size;
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_remb(uint8_t *buf, size_t cap,
                            const sansrtc_rtcp_remb_desc *d, size_t *len) {
  if (len == NULL || d == NULL || d->ssrc_count > 255 ||
      (d->ssrcs == NULL && d->ssrc_count > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t size = 4u + FB_COMMON + REMB_FIXED + 4u * d->ssrc_count;
  int rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  put_fb(buf, SANSRTC_RTCP_FMT_AFB, SANSRTC_RTCP_PSFB, size, d->sender_ssrc, 0);
  unsigned exp = 0;
  while ((d->bitrate >> exp) > REMB_MAX_MANTISSA) exp++;
  uint32_t mantissa = (uint32_t)(d->bitrate >> exp);
  memcpy(buf + 12, "REMB", 4);
  buf[16] = (uint8_t)d->ssrc_count;
  buf[17] = (uint8_t)(exp << 2 | mantissa >> 16);
  wr16(buf + 18, (uint16_t)mantissa);
  for (size_t i = 0; i < d->ssrc_count; i++)
    wr32(buf + 20 + 4 * i, d->ssrcs[i]);
  *len = size;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Transport-wide congestion control feedback: writing                      */
/* ------------------------------------------------------------------------ */

/* Walks the statuses the input describes, one sequence number at a time. */
typedef struct twcc_cursor {
  const sansrtc_rtcp_twcc_input *pkts;
  size_t next;  /* the next input entry */
  uint16_t seq; /* the sequence number of the next status */
  int64_t prev; /* the previous received packet's time, in ticks */
} twcc_cursor;

static int64_t ticks_of(sansrtc_tstamp t) {
  return (int64_t)(t / TWCC_TICK_NS);
}

/* The status symbol of the next sequence number, its delta in *delta;
 * advances. Returns -1 when the delta does not fit 16 bits. */
static int cursor_step(twcc_cursor *c, int32_t *delta) {
  const sansrtc_rtcp_twcc_input *p = &c->pkts[c->next];
  *delta = 0;
  int sym = SANSRTC_TWCC_NOT_RECEIVED;
  if (p->seq == c->seq) {
    c->next++;
    if (p->received) {
      int64_t t = ticks_of(p->arrival), d = t - c->prev;
      if (d < INT16_MIN || d > INT16_MAX) return -1;
      c->prev = t;
      *delta = (int32_t)d;
      sym = (d >= 0 && d <= 255) ? SANSRTC_TWCC_SMALL_DELTA
                                 : SANSRTC_TWCC_LARGE_DELTA;
    }
  }
  c->seq++;
  return sym;
}

/* The input's status count (1 + the sum of sequence steps), or 0 when the
 * sequence numbers do not ascend by 1..32767 or the count passes 65535. */
static size_t twcc_status_count(const sansrtc_rtcp_twcc_input *p, size_t n) {
  size_t total = 1;
  for (size_t i = 1; i < n; i++) {
    uint16_t step = (uint16_t)(p[i].seq - p[i - 1].seq);
    if (step == 0 || step > 0x7FFFu) return 0;
    total += step;
    if (total > 0xFFFFu) return 0;
  }
  return total;
}

/* The reference time (in 64 ms) from the first received packet. */
static int64_t twcc_reference(const sansrtc_rtcp_twcc_input *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i].received) return (int64_t)(p[i].arrival / TWCC_REF_NS);
  }
  return 0;
}

static void cursor_init(twcc_cursor *c, const sansrtc_rtcp_twcc_desc *d) {
  c->pkts = d->packets;
  c->next = 0;
  c->seq = d->packets[0].seq;
  c->prev = twcc_reference(d->packets, d->packet_count) * TWCC_TICKS_PER_REF;
}

/* Length of the run of equal symbols at the cursor, up to `max`; the
 * first symbol in *first. -1 on a delta that does not fit. */
static long run_length(const twcc_cursor *c, size_t max, int *first) {
  twcc_cursor a = *c;
  int32_t d;
  *first = cursor_step(&a, &d);
  if (*first < 0) return -1;
  size_t run = 1;
  while (run < max) {
    twcc_cursor b = a;
    int s = cursor_step(&b, &d);
    if (s < 0) return -1;
    if (s != *first) break;
    a = b;
    run++;
  }
  return (long)run;
}

/* 1 when the next `n` symbols are all 0 or 1; -1 on a bad delta. */
static int one_bit_ok(const twcc_cursor *c, size_t n) {
  twcc_cursor a = *c;
  int32_t d;
  for (size_t i = 0; i < n; i++) {
    int s = cursor_step(&a, &d);
    if (s < 0) return -1;
    if (s > 1) return 0;
  }
  return 1;
}

/* Chooses and builds the next chunk at the cursor, advancing it by the
 * statuses the chunk covers (at most `remaining`). Returns the number of
 * statuses covered, or 0 on a delta that does not fit. */
static size_t next_chunk(twcc_cursor *c, size_t remaining, uint16_t *chunk) {
  size_t max_run = remaining < TWCC_MAX_RUN ? remaining : TWCC_MAX_RUN;
  int first;
  long run = run_length(c, max_run, &first);
  size_t v1 = remaining < TWCC_VECTOR1 ? remaining : TWCC_VECTOR1;
  int one = one_bit_ok(c, v1);
  if (run < 0 || one < 0) return 0;
  int32_t d;
  if ((size_t)run == remaining || run >= (long)TWCC_VECTOR1 ||
      (!one && run >= (long)TWCC_VECTOR2)) {
    for (long i = 0; i < run; i++) (void)cursor_step(c, &d);
    *chunk = (uint16_t)((unsigned)first << 13 | (unsigned)run);
    return (size_t)run;
  }
  size_t n = one ? v1 : (remaining < TWCC_VECTOR2 ? remaining : TWCC_VECTOR2);
  unsigned bits = one ? 1u : 2u, v = one ? 0x8000u : 0xC000u;
  for (size_t i = 0; i < n; i++) {
    int s = cursor_step(c, &d);
    if (s < 0) return 0; /* a delta past the checks above does not fit */
    v |= (unsigned)s << (14u - bits * (i + 1u));
  }
  *chunk = (uint16_t)v;
  return n;
}

/* Encodes (or, with out NULL, sizes) the chunks and deltas. */
static int twcc_body(const sansrtc_rtcp_twcc_desc *d, size_t count,
                     uint8_t *out, size_t *chunks, size_t *deltas) {
  twcc_cursor c;
  cursor_init(&c, d);
  size_t done = 0, nchunks = 0;
  while (done < count) {
    uint16_t chunk;
    size_t used = next_chunk(&c, count - done, &chunk);
    if (used == 0) return SANSRTC_ERR_LIMIT;
    if (out != NULL) wr16(out + 2 * nchunks, chunk);
    nchunks++;
    done += used;
  }
  size_t off = 2 * nchunks;
  cursor_init(&c, d);
  for (size_t i = 0; i < count; i++) {
    int32_t delta;
    int s = cursor_step(&c, &delta);
    if (s == SANSRTC_TWCC_SMALL_DELTA && out != NULL) out[off] = (uint8_t)delta;
    if (s == SANSRTC_TWCC_LARGE_DELTA && out != NULL)
      wr16(out + off, (uint16_t)delta);
    off += delta_size((unsigned)s);
  }
  *chunks = nchunks;
  *deltas = off - 2 * nchunks;
  return SANSRTC_OK;
}

static int twcc_check(const sansrtc_rtcp_twcc_desc *d, size_t *count) {
  if (d == NULL || d->packets == NULL || d->packet_count == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *count = twcc_status_count(d->packets, d->packet_count);
  return *count == 0 ? SANSRTC_ERR_INVALID_ARGUMENT : SANSRTC_OK;
}

int sansrtc_rtcp_twcc_size(const sansrtc_rtcp_twcc_desc *d, size_t *size) {
  size_t count, chunks, deltas;
  if (size == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  int rc = twcc_check(d, &count);
  if (rc == SANSRTC_OK) rc = twcc_body(d, count, NULL, &chunks, &deltas);
  if (rc != SANSRTC_OK) return rc;
  *size = pad4(4u + FB_COMMON + TWCC_FIXED + 2u * chunks + deltas);
  return SANSRTC_OK;
}

int sansrtc_rtcp_write_twcc(uint8_t *buf, size_t cap,
                            const sansrtc_rtcp_twcc_desc *d, size_t *len) {
  size_t size, count, chunks, deltas;
  if (len == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  int rc = sansrtc_rtcp_twcc_size(d, &size);
  if (rc == SANSRTC_OK) rc = begin(buf, cap, size);
  if (rc != SANSRTC_OK) return rc;
  (void)twcc_check(d, &count);
  memset(buf, 0, size);
  put_fb(buf, SANSRTC_RTCP_FMT_TWCC, SANSRTC_RTCP_RTPFB, size, d->sender_ssrc,
         d->media_ssrc);
  wr16(buf + 12, d->packets[0].seq);
  wr16(buf + 14, (uint16_t)count);
  wr24(buf + 16, (uint32_t)twcc_reference(d->packets, d->packet_count));
  buf[19] = d->fb_count;
  rc = twcc_body(d, count, buf + 20, &chunks, &deltas);
  if (rc != SANSRTC_OK) return rc;
  *len = size;
  return SANSRTC_OK;
}

/* 1 when the first n entries of d can be written in cap bytes. */
static int twcc_prefix_fits(const sansrtc_rtcp_twcc_desc *d, size_t n,
                            size_t cap) {
  sansrtc_rtcp_twcc_desc p = *d;
  p.packet_count = n;
  size_t size;
  return sansrtc_rtcp_twcc_size(&p, &size) == SANSRTC_OK && size <= cap;
}

int sansrtc_rtcp_twcc_fit(const sansrtc_rtcp_twcc_desc *d, size_t cap,
                          size_t *count) {
  size_t statuses;
  if (count == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *count = 0;
  int rc = twcc_check(d, &statuses);
  if (rc != SANSRTC_OK) return rc;
  if (!twcc_prefix_fits(d, 1, cap)) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  size_t lo = 1, hi = d->packet_count; /* lo fits; find the largest */
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    if (twcc_prefix_fits(d, mid, cap))
      lo = mid;
    else
      hi = mid - 1;
  }
  *count = lo;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Any packet, compound                                                     */
/* ------------------------------------------------------------------------ */

static int write_raw_kind(uint8_t *buf, size_t cap, const sansrtc_rtcp_desc *d,
                          size_t *len) {
  sansrtc_rtcp_raw_desc raw = d->u.raw;
  if (d->kind == SANSRTC_RTCP_KIND_XR) raw.type = SANSRTC_RTCP_XR;
  return sansrtc_rtcp_write_raw(buf, cap, &raw, len);
}

int sansrtc_rtcp_write(uint8_t *buf, size_t cap, const sansrtc_rtcp_desc *d,
                       size_t *len) {
  if (d == NULL || len == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  switch (d->kind) {
    case SANSRTC_RTCP_KIND_SR:
      return sansrtc_rtcp_write_sr(buf, cap, &d->u.sr, len);
    case SANSRTC_RTCP_KIND_RR:
      return sansrtc_rtcp_write_rr(buf, cap, &d->u.rr, len);
    case SANSRTC_RTCP_KIND_SDES:
      return sansrtc_rtcp_write_sdes(buf, cap, &d->u.sdes, len);
    case SANSRTC_RTCP_KIND_BYE:
      return sansrtc_rtcp_write_bye(buf, cap, &d->u.bye, len);
    case SANSRTC_RTCP_KIND_APP:
      return sansrtc_rtcp_write_app(buf, cap, &d->u.app, len);
    case SANSRTC_RTCP_KIND_NACK:
      return sansrtc_rtcp_write_nack(buf, cap, &d->u.nack, len);
    case SANSRTC_RTCP_KIND_PLI:
      return sansrtc_rtcp_write_pli(buf, cap, &d->u.pli, len);
    case SANSRTC_RTCP_KIND_FIR:
      return sansrtc_rtcp_write_fir(buf, cap, &d->u.fir, len);
    case SANSRTC_RTCP_KIND_REMB:
      return sansrtc_rtcp_write_remb(buf, cap, &d->u.remb, len);
    case SANSRTC_RTCP_KIND_TWCC:
      return sansrtc_rtcp_write_twcc(buf, cap, &d->u.twcc, len);
    case SANSRTC_RTCP_KIND_XR:
    case SANSRTC_RTCP_KIND_UNKNOWN: return write_raw_kind(buf, cap, d, len);
    default: return SANSRTC_ERR_INVALID_ARGUMENT;
  }
}

int sansrtc_rtcp_write_compound(uint8_t *buf, size_t mtu,
                                const sansrtc_rtcp_desc *pkts, size_t count,
                                size_t *written, size_t *len) {
  if (written == NULL || len == NULL || buf == NULL ||
      (pkts == NULL && count > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *written = 0;
  *len = 0;
  size_t off = 0;
  for (size_t i = 0; i < count; i++) {
    size_t n;
    int rc = sansrtc_rtcp_write(buf + off, mtu - off, &pkts[i], &n);
    if (rc == SANSRTC_ERR_BUFFER_TOO_SMALL && i > 0) break;
    if (rc != SANSRTC_OK) return rc;
    off += n;
    *written = i + 1;
    *len = off;
  }
  return SANSRTC_OK;
}
