/*
 * rtp.c - RTP packet parsing and writing (RFC 3550 5.1) and RFC 8285
 * header extensions. No allocation, no state: every length is checked
 * before the bytes it covers are read.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include <sansrtc/rtp.h>

#include "internal.h"

#define EXT_HEADER 4
#define ONE_BYTE_MAX_ID 14
#define ONE_BYTE_STOP_ID 15
#define ONE_BYTE_MAX_LEN 16
#define TWO_BYTE_MAX_LEN 255
#define MAX_EXT_WORDS 0xFFFFu
#define ABS_SEND_TIME_MASK 0xFFFFFFu

static size_t pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */
/* ------------------------------------------------------------------------ */

static int is_one_byte(uint16_t profile) {
  return profile == SANSRTC_RTP_EXT_ONE_BYTE;
}
static int is_two_byte(uint16_t profile) {
  return (profile & 0xFFF0u) == SANSRTC_RTP_EXT_TWO_BYTE;
}

/* One element of the one-byte form at ext[*off]; 1, 0 (end) or MALFORMED. */
static int next_one_byte(const sansrtc_rtp_bytes *ext, size_t *off,
                         sansrtc_rtp_ext *out) {
  while (*off < ext->len && ext->data[*off] == 0) (*off)++; /* padding */
  if (*off >= ext->len) return 0;
  uint8_t b = ext->data[*off];
  uint8_t id = (uint8_t)(b >> 4);
  if (id == ONE_BYTE_STOP_ID) {
    *off = ext->len; /* RFC 8285 4.2: stop processing here */
    return 0;
  }
  if (id == 0) return SANSRTC_ERR_MALFORMED;
  size_t len = (size_t)(b & 0x0Fu) + 1u;
  if (len > ext->len - *off - 1u) return SANSRTC_ERR_MALFORMED;
  out->id = id;
  out->data = ext->data + *off + 1;
  out->len = len;
  *off += 1u + len;
  return 1;
}

static int next_two_byte(const sansrtc_rtp_bytes *ext, size_t *off,
                         sansrtc_rtp_ext *out) {
  while (*off < ext->len && ext->data[*off] == 0) (*off)++; /* padding */
  if (*off >= ext->len) return 0;
  if (ext->len - *off < 2u) return SANSRTC_ERR_MALFORMED;
  size_t len = ext->data[*off + 1];
  if (len > ext->len - *off - 2u) return SANSRTC_ERR_MALFORMED;
  out->id = ext->data[*off];
  out->data = ext->data + *off + 2;
  out->len = len;
  *off += 2u + len;
  return 1;
}

int sansrtc_rtp_ext_next(const sansrtc_rtp_packet *pkt, size_t *offset,
                         sansrtc_rtp_ext *out) {
  if (pkt == NULL || offset == NULL || out == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!pkt->extension || pkt->ext.data == NULL) return 0;
  if (is_one_byte(pkt->ext_profile))
    return next_one_byte(&pkt->ext, offset, out);
  if (is_two_byte(pkt->ext_profile))
    return next_two_byte(&pkt->ext, offset, out);
  return 0;
}

int sansrtc_rtp_ext_find(const sansrtc_rtp_packet *pkt, uint8_t id,
                         sansrtc_rtp_ext *out) {
  if (pkt == NULL || out == NULL || id == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t off = 0;
  sansrtc_rtp_ext e;
  int rc;
  while ((rc = sansrtc_rtp_ext_next(pkt, &off, &e)) == 1) {
    if (e.id == id) {
      *out = e;
      return SANSRTC_OK;
    }
  }
  return rc < 0 ? rc : SANSRTC_ERR_NOT_FOUND;
}

/* Walks every element once so that later iteration cannot fail. */
static int check_ext_elements(const sansrtc_rtp_packet *pkt) {
  size_t off = 0;
  sansrtc_rtp_ext e;
  int rc;
  while ((rc = sansrtc_rtp_ext_next(pkt, &off, &e)) == 1) {
  }
  return rc;
}

static void parse_fixed(sansrtc_rtp_packet *pkt, const uint8_t *d) {
  pkt->version = (uint8_t)(d[0] >> 6);
  pkt->padding = (uint8_t)((d[0] >> 5) & 1u);
  pkt->extension = (uint8_t)((d[0] >> 4) & 1u);
  pkt->csrc_count = (uint8_t)(d[0] & 0x0Fu);
  pkt->marker = (uint8_t)(d[1] >> 7);
  pkt->payload_type = (uint8_t)(d[1] & 0x7Fu);
  pkt->sequence = rd16(d + 2);
  pkt->timestamp = rd32(d + 4);
  pkt->ssrc = rd32(d + 8);
}

/* The extension header at data[*off]; advances *off past the extension. */
static int parse_extension(sansrtc_rtp_packet *pkt, const uint8_t *data,
                           size_t len, size_t *off) {
  if (len - *off < EXT_HEADER) return SANSRTC_ERR_MALFORMED;
  pkt->ext_profile = rd16(data + *off);
  size_t ext_len = (size_t)rd16(data + *off + 2) * 4u;
  *off += EXT_HEADER;
  if (ext_len > len - *off) return SANSRTC_ERR_MALFORMED;
  pkt->ext.data = data + *off;
  pkt->ext.len = ext_len;
  *off += ext_len;
  return check_ext_elements(pkt) < 0 ? SANSRTC_ERR_MALFORMED : SANSRTC_OK;
}

int sansrtc_rtp_parse(sansrtc_rtp_packet *pkt, const uint8_t *data,
                      size_t len) {
  if (pkt == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  memset(pkt, 0, sizeof *pkt);
  if (len < SANSRTC_RTP_HEADER_SIZE) return SANSRTC_ERR_MALFORMED;
  parse_fixed(pkt, data);
  if (pkt->version != 2) return SANSRTC_ERR_MALFORMED;
  size_t off = SANSRTC_RTP_HEADER_SIZE;
  if ((size_t)pkt->csrc_count * 4u > len - off) return SANSRTC_ERR_MALFORMED;
  for (size_t i = 0; i < pkt->csrc_count; i++, off += 4)
    pkt->csrc[i] = rd32(data + off);
  if (pkt->extension) {
    int rc = parse_extension(pkt, data, len, &off);
    if (rc != SANSRTC_OK) return rc;
  }
  size_t pad = 0;
  if (pkt->padding) {
    pad = data[len - 1];
    if (pad == 0 || pad > len - off) return SANSRTC_ERR_MALFORMED;
  }
  pkt->header_len = off;
  pkt->padding_len = (uint8_t)pad;
  pkt->payload.data = data + off;
  pkt->payload.len = len - off - pad;
  return SANSRTC_OK;
}

int sansrtc_rtp_is_rtcp(const uint8_t *data, size_t len) {
  if (data == NULL || len < 2) return 0;
  unsigned pt = data[1] & 0x7Fu;
  return pt >= 64 && pt <= 95;
}

/* ------------------------------------------------------------------------ */
/* Writing extensions                                                       */
/* ------------------------------------------------------------------------ */

static int fits_one_byte(const sansrtc_rtp_ext *elems, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (elems[i].id > ONE_BYTE_MAX_ID || elems[i].len == 0 ||
        elems[i].len > ONE_BYTE_MAX_LEN)
      return 0;
  }
  return 1;
}

static int check_elem(const sansrtc_rtp_ext *e) {
  if (e->id == 0 || e->len > TWO_BYTE_MAX_LEN) return 0;
  return e->data != NULL || e->len == 0;
}

int sansrtc_rtp_ext_size(const sansrtc_rtp_ext *elems, size_t count,
                         size_t *size) {
  if (size == NULL || (elems == NULL && count > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *size = 0;
  if (count == 0) return SANSRTC_OK;
  size_t per = fits_one_byte(elems, count) ? 1u : 2u;
  size_t body = 0;
  for (size_t i = 0; i < count; i++) {
    if (!check_elem(&elems[i])) return SANSRTC_ERR_INVALID_ARGUMENT;
    body += per + elems[i].len;
    if (body > MAX_EXT_WORDS * 4u) return SANSRTC_ERR_INVALID_ARGUMENT;
  }
  *size = EXT_HEADER + pad4(body);
  return SANSRTC_OK;
}

static size_t put_elem(uint8_t *p, const sansrtc_rtp_ext *e, int one_byte) {
  if (one_byte) {
    p[0] = (uint8_t)((size_t)e->id << 4 | (e->len - 1u));
  } else {
    p[0] = e->id;
    p[1] = (uint8_t)e->len;
  }
  size_t hdr = one_byte ? 1u : 2u;
  if (e->len > 0) memcpy(p + hdr, e->data, e->len);
  return hdr + e->len;
}

int sansrtc_rtp_ext_write(uint8_t *buf, size_t cap,
                          const sansrtc_rtp_ext *elems, size_t count,
                          size_t *len) {
  size_t size;
  if (len == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  int rc = sansrtc_rtp_ext_size(elems, count, &size);
  if (rc != SANSRTC_OK) return rc;
  if (size == 0) return SANSRTC_OK;
  if (buf == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (size > cap) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  int one = fits_one_byte(elems, count);
  wr16(buf, one ? SANSRTC_RTP_EXT_ONE_BYTE : SANSRTC_RTP_EXT_TWO_BYTE);
  wr16(buf + 2, (uint16_t)((size - EXT_HEADER) / 4u));
  size_t off = EXT_HEADER;
  for (size_t i = 0; i < count; i++) off += put_elem(buf + off, &elems[i], one);
  memset(buf + off, 0, size - off);
  *len = size;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Typed extension values                                                   */
/* ------------------------------------------------------------------------ */

static int is_mid_char(uint8_t c) { return c >= 0x21 && c <= 0x7E; }

static int is_rid_char(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

static int check_sdes(const uint8_t *s, size_t len, int is_rid) {
  if (len == 0 || len > TWO_BYTE_MAX_LEN) return 0;
  for (size_t i = 0; i < len; i++) {
    if (is_rid ? !is_rid_char(s[i]) : !is_mid_char(s[i])) return 0;
  }
  return 1;
}

static int parse_sdes(const sansrtc_rtp_ext *e, sansrtc_rtp_bytes *out,
                      int is_rid) {
  if (e == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (e->data == NULL || !check_sdes(e->data, e->len, is_rid))
    return SANSRTC_ERR_MALFORMED;
  out->data = e->data;
  out->len = e->len;
  return SANSRTC_OK;
}

int sansrtc_rtp_ext_parse_mid(const sansrtc_rtp_ext *e,
                              sansrtc_rtp_bytes *mid) {
  return parse_sdes(e, mid, 0);
}

int sansrtc_rtp_ext_parse_rid(const sansrtc_rtp_ext *e,
                              sansrtc_rtp_bytes *rid) {
  return parse_sdes(e, rid, 1);
}

int sansrtc_rtp_ext_encode_sdes(const char *s, size_t len, int is_rid,
                                uint8_t *out, size_t cap) {
  if (s == NULL || out == NULL || !check_sdes((const uint8_t *)s, len, is_rid))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len > cap) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  memcpy(out, s, len);
  return (int)len;
}

int sansrtc_rtp_ext_parse_abs_send_time(const sansrtc_rtp_ext *e,
                                        uint32_t *value) {
  if (e == NULL || value == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (e->len != 3 || e->data == NULL) return SANSRTC_ERR_MALFORMED;
  *value = (uint32_t)e->data[0] << 16 | (uint32_t)e->data[1] << 8 | e->data[2];
  return SANSRTC_OK;
}

size_t sansrtc_rtp_ext_encode_abs_send_time(uint32_t value, uint8_t out[3]) {
  out[0] = (uint8_t)(value >> 16);
  out[1] = (uint8_t)(value >> 8);
  out[2] = (uint8_t)value;
  return 3;
}

uint32_t sansrtc_rtp_abs_send_time_from_ns(sansrtc_tstamp ns) {
  uint64_t secs = ns / SANSRTC_SECONDS;
  uint64_t frac = ns % SANSRTC_SECONDS;
  uint64_t v = (secs << 18) + (frac << 18) / SANSRTC_SECONDS;
  return (uint32_t)(v & ABS_SEND_TIME_MASK);
}

sansrtc_tstamp sansrtc_rtp_abs_send_time_to_ns(uint32_t value) {
  uint64_t v = value & ABS_SEND_TIME_MASK;
  return (v >> 18) * SANSRTC_SECONDS + ((v & 0x3FFFFu) * SANSRTC_SECONDS >> 18);
}

int sansrtc_rtp_ext_parse_twcc_seq(const sansrtc_rtp_ext *e, uint16_t *seq) {
  if (e == NULL || seq == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if ((e->len != 2 && e->len != 4) || e->data == NULL)
    return SANSRTC_ERR_MALFORMED; /* 4: transport-wide-cc-02 request bytes */
  *seq = rd16(e->data);
  return SANSRTC_OK;
}

size_t sansrtc_rtp_ext_encode_twcc_seq(uint16_t seq, uint8_t out[2]) {
  wr16(out, seq);
  return 2;
}

int sansrtc_rtp_ext_parse_audio_level(const sansrtc_rtp_ext *e, int *voice,
                                      uint8_t *level) {
  if (e == NULL || voice == NULL || level == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (e->len != 1 || e->data == NULL) return SANSRTC_ERR_MALFORMED;
  *voice = e->data[0] >> 7;
  *level = (uint8_t)(e->data[0] & 0x7Fu);
  return SANSRTC_OK;
}

size_t sansrtc_rtp_ext_encode_audio_level(int voice, uint8_t level,
                                          uint8_t out[1]) {
  if (level > 127) level = 127;
  out[0] = (uint8_t)((voice ? 0x80u : 0u) | level);
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Writing packets                                                          */
/* ------------------------------------------------------------------------ */

static int check_fields(const sansrtc_rtp_header_fields *h) {
  if (h->payload_type > 127 || h->marker > 1) return 0;
  if (h->csrc_count > SANSRTC_RTP_MAX_CSRC) return 0;
  return h->csrc != NULL || h->csrc_count == 0;
}

int sansrtc_rtp_write_header(const sansrtc_rtp_header_fields *h, uint8_t *buf,
                             size_t cap, size_t *header_len) {
  if (h == NULL || buf == NULL || header_len == NULL || !check_fields(h))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *header_len = 0;
  size_t ext_size;
  int rc = sansrtc_rtp_ext_size(h->ext, h->ext_count, &ext_size);
  if (rc != SANSRTC_OK) return rc;
  size_t fixed = SANSRTC_RTP_HEADER_SIZE + 4u * h->csrc_count;
  if (fixed + ext_size > cap) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  buf[0] = (uint8_t)(0x80u | (ext_size > 0 ? 0x10u : 0u) | h->csrc_count);
  buf[1] = (uint8_t)(h->marker << 7 | h->payload_type);
  wr16(buf + 2, h->sequence);
  wr32(buf + 4, h->timestamp);
  wr32(buf + 8, h->ssrc);
  for (size_t i = 0; i < h->csrc_count; i++) wr32(buf + 12 + 4 * i, h->csrc[i]);
  size_t written;
  rc = sansrtc_rtp_ext_write(buf + fixed, cap - fixed, h->ext, h->ext_count,
                             &written);
  if (rc != SANSRTC_OK) return rc;
  *header_len = fixed + written;
  return SANSRTC_OK;
}

int sansrtc_rtp_add_padding(uint8_t *buf, size_t len, size_t cap,
                            uint8_t padding, size_t *new_len) {
  if (buf == NULL || new_len == NULL || padding == 0 ||
      len < SANSRTC_RTP_HEADER_SIZE || (buf[0] & 0x20u) != 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len > cap || padding > cap - len) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  memset(buf + len, 0, padding - 1u);
  buf[len + padding - 1u] = padding;
  buf[0] |= 0x20u;
  *new_len = len + padding;
  return SANSRTC_OK;
}

int sansrtc_rtp_write(const sansrtc_rtp_header_fields *h,
                      const uint8_t *payload, size_t payload_len,
                      uint8_t padding, uint8_t *buf, size_t cap, size_t *len) {
  if (len == NULL || (payload == NULL && payload_len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = 0;
  size_t hl;
  int rc = sansrtc_rtp_write_header(h, buf, cap, &hl);
  if (rc != SANSRTC_OK) return rc;
  if (payload_len > cap - hl || padding > cap - hl - payload_len)
    return SANSRTC_ERR_BUFFER_TOO_SMALL;
  if (payload_len > 0) memcpy(buf + hl, payload, payload_len);
  size_t total = hl + payload_len;
  if (padding > 0)
    return sansrtc_rtp_add_padding(buf, total, cap, padding, len);
  *len = total;
  return SANSRTC_OK;
}
