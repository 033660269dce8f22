/*
 * media_fixtures.c - see media_fixtures.h. IVF: a 32-byte file header
 * ("DKIF", header size at byte 6), then frames each with a 12-byte header
 * (32-bit little-endian size, 64-bit timestamp). Annex-B: a new access
 * unit at each access unit delimiter (H.264 NAL type 9, H.265 type 35).
 * Ogg (RFC 3533): pages of "OggS", version, flags, granule position,
 * serial, sequence, CRC, segment count and lacing values; a packet ends at
 * a lacing value below 255. The first two Opus packets are OpusHead and
 * OpusTags (RFC 7845), not audio.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "media_fixtures.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

const char *mf_file_name(sansrtc_codec codec) {
  switch (codec) {
  case SANSRTC_CODEC_OPUS: return "opus.ogg";
  case SANSRTC_CODEC_VP8: return "vp8.ivf";
  case SANSRTC_CODEC_VP9: return "vp9.ivf";
  case SANSRTC_CODEC_H264: return "h264.h264";
  case SANSRTC_CODEC_H265: return "h265.h265";
  case SANSRTC_CODEC_AV1: return "av1.ivf";
  }
  return "none";
}

static int read_all(const char *path, uint8_t **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return -1;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *bigger = realloc(buf, cap * 2);
    if (bigger == NULL) {
      free(buf);
      buf = NULL;
    }
    buf = bigger;
    cap *= 2;
  }
  fclose(f);
  if (buf == NULL) return -1;
  *data = buf;
  *len = n;
  return 0;
}

static int add_frame(mf_media *m, const uint8_t *p, size_t len) {
  if (m->n == MF_MAX_FRAMES) return -1;
  m->frames[m->n].data = p;
  m->frames[m->n].len = len;
  m->frames[m->n].keyframe = 0;
  m->n++;
  return 0;
}

static int load_ivf(mf_media *m) {
  if (m->file_len < 32 || memcmp(m->file, "DKIF", 4) != 0) return -1;
  size_t off = (size_t)m->file[6] | (size_t)m->file[7] << 8;
  m->header_len = off;
  while (off < m->file_len) {
    if (m->file_len - off < 12) return -1;
    size_t size = le32(m->file + off);
    off += 12;
    if (size > m->file_len - off || add_frame(m, m->file + off, size) != 0)
      return -1;
    off += size;
  }
  return 0;
}

static int is_aud(sansrtc_codec codec, uint8_t h) {
  return codec == SANSRTC_CODEC_H264 ? (h & 0x1F) == 9 : ((h >> 1) & 0x3F) == 35;
}

static int load_annexb(mf_media *m) {
  const uint8_t *b = m->file;
  size_t len = m->file_len, au = SIZE_MAX;
  for (size_t i = 0; i + 3 < len; i++) {
    if (!(b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1)) continue;
    if (is_aud(m->codec, b[i + 3])) {
      size_t start = (i > 0 && b[i - 1] == 0) ? i - 1 : i;
      if (au != SIZE_MAX && add_frame(m, b + au, start - au) != 0) return -1;
      au = start;
    }
    i += 2;
  }
  if (au == SIZE_MAX) return -1;
  return add_frame(m, b + au, len - au);
}

static int load_ogg(mf_media *m) {
  m->packets = malloc(m->file_len);
  if (m->packets == NULL) return -1;
  size_t off = 0, used = 0, pkt_start = 0, count = 0;
  while (off < m->file_len) {
    if (m->file_len - off < 27 || memcmp(m->file + off, "OggS", 4) != 0)
      return -1;
    size_t segs = m->file[off + 26];
    if (m->file_len - off < 27 + segs) return -1;
    const uint8_t *lace = m->file + off + 27;
    size_t body = off + 27 + segs;
    for (size_t s = 0; s < segs; s++) {
      if (lace[s] > m->file_len - body) return -1;
      memcpy(m->packets + used, m->file + body, lace[s]);
      used += lace[s];
      body += lace[s];
      if (lace[s] < 255) { /* a packet ends */
        if (count >= 2 &&
            add_frame(m, m->packets + pkt_start, used - pkt_start) != 0)
          return -1;
        count++;
        pkt_start = used;
      }
    }
    off = body;
    if (m->header_len == 0) m->header_pages++;
    if (count == 2 && m->header_len == 0) m->header_len = off;
  }
  return count > 2 ? 0 : -1;
}

static int load_keyframes(mf_media *m, const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return m->codec == SANSRTC_CODEC_OPUS ? 0 : -1;
  unsigned long idx;
  int rc = 0;
  while (fscanf(f, "%lu", &idx) == 1) {
    if (idx >= m->n) rc = -1;
    else m->frames[idx].keyframe = 1;
  }
  fclose(f);
  return rc;
}

int mf_load(mf_media *m, sansrtc_codec codec) {
  memset(m, 0, sizeof *m);
  m->codec = codec;
  const char *dir = getenv("SANSRTC_TEST_FIXTURES");
  if (dir == NULL) dir = "tests/fixtures";
  char path[512];
  const char *name = mf_file_name(codec);
  snprintf(path, sizeof path, "%s/media/%s", dir, name);
  if (read_all(path, &m->file, &m->file_len) != 0) {
    fprintf(stderr, "cannot read %s\n", path);
    return -1;
  }
  int rc;
  switch (codec) {
  case SANSRTC_CODEC_OPUS: rc = load_ogg(m); break;
  case SANSRTC_CODEC_H264:
  case SANSRTC_CODEC_H265: rc = load_annexb(m); break;
  default: rc = load_ivf(m); break;
  }
  if (rc == 0) {
    snprintf(path, sizeof path, "%s/media/%.*s.keyframes", dir,
             (int)(strchr(name, '.') - name), name);
    rc = load_keyframes(m, path);
  }
  if (codec == SANSRTC_CODEC_OPUS)
    for (size_t i = 0; i < m->n; i++) m->frames[i].keyframe = 1;
  if (rc != 0) {
    fprintf(stderr, "cannot parse %s\n", path);
    mf_free(m);
  }
  return rc;
}

void mf_free(mf_media *m) {
  free(m->file);
  free(m->packets);
  m->file = m->packets = NULL;
  m->n = 0;
}

/* ---- writers ------------------------------------------------------------ */

/* Ogg CRC-32: polynomial 0x04C11DB7, no reflection, initial value 0. */
static uint32_t ogg_crc(const uint8_t *p, size_t len) {
  uint32_t crc = 0;
  for (size_t i = 0; i < len; i++) {
    crc ^= (uint32_t)p[i] << 24;
    for (int k = 0; k < 8; k++)
      crc = (crc & 0x80000000u) ? crc << 1 ^ 0x04C11DB7u : crc << 1;
  }
  return crc;
}

/* Samples at 48 kHz in an Opus packet (RFC 6716 3.1: TOC config and the
 * frame count code). */
static uint64_t opus_samples(const uint8_t *p, size_t len) {
  static const unsigned silk[4] = {480, 960, 1920, 2880};
  static const unsigned celt[4] = {120, 240, 480, 960};
  if (len == 0) return 0;
  unsigned config = p[0] >> 3, frame;
  if (config < 12) frame = silk[config & 3];
  else if (config < 16) frame = (config & 1) ? 960 : 480;
  else frame = celt[config & 3];
  unsigned code = p[0] & 3, frames = code == 0 ? 1 : code < 3 ? 2 : 0;
  if (code == 3) frames = len > 1 ? p[1] & 0x3F : 0;
  return (uint64_t)frame * frames;
}

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int mf_write_header(FILE *f, const mf_media *m) {
  return fwrite(m->file, 1, m->header_len, f) == m->header_len ? 0 : -1;
}

int mf_write_frame(FILE *f, const mf_media *m, size_t index,
                   const uint8_t *data, size_t len) {
  uint8_t hdr[27 + 255];
  switch (m->codec) {
  case SANSRTC_CODEC_H264:
  case SANSRTC_CODEC_H265:
    return fwrite(data, 1, len, f) == len ? 0 : -1;
  case SANSRTC_CODEC_OPUS: {
    uint64_t granule = 0;
    for (size_t i = 0; i <= index && i < m->n; i++)
      granule += opus_samples(m->frames[i].data, m->frames[i].len);
    size_t segs = len / 255 + 1;
    if (segs > 255) return -1;
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, "OggS", 4);
    hdr[5] = index + 1 == m->n ? 0x04 : 0x00; /* end of stream */
    put_le(hdr + 6, granule, 8);
    memcpy(hdr + 14, m->file + 14, 4); /* the fixture's serial number */
    put_le(hdr + 18, index + m->header_pages, 4); /* after the headers */
    hdr[26] = (uint8_t)segs;
    for (size_t s = 0; s < segs; s++)
      hdr[27 + s] = (uint8_t)(s + 1 < segs ? 255 : len % 255);
    size_t hlen = 27 + segs;
    uint8_t *page = malloc(hlen + len);
    if (page == NULL) return -1;
    memcpy(page, hdr, hlen);
    memcpy(page + hlen, data, len);
    put_le(page + 22, ogg_crc(page, hlen + len), 4);
    int rc = fwrite(page, 1, hlen + len, f) == hlen + len ? 0 : -1;
    free(page);
    return rc;
  }
  default:
    put_le(hdr, len, 4);
    put_le(hdr + 4, index, 8);
    if (fwrite(hdr, 1, 12, f) != 12) return -1;
    return fwrite(data, 1, len, f) == len ? 0 : -1;
  }
}
