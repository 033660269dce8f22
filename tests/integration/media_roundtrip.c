/*
 * media_roundtrip - the decode check's helper: reads one media fixture,
 * sends every frame through the packetizer (payloads of at most 300 bytes,
 * so most frames are fragmented), shuffles each frame's payloads, feeds
 * them to a depacketizer, and writes the frames it gets back in the
 * fixture's container (IVF, Annex-B or Ogg). tests/integration/
 * media_decode.sh then has ffmpeg decode the result.
 *
 * usage: media_roundtrip opus|vp8|vp9|h264|h265|av1 OUTPUT_FILE
 * Exits 0 when every frame came back whole, 1 otherwise.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/packetizer.h>

#include "media_fixtures.h"

#define MAX_PAYLOAD 300
#define MAX_PKTS 1024

static uint8_t pkt[MAX_PKTS][MAX_PAYLOAD];
static size_t pkt_len[MAX_PKTS];
static int pkt_marker[MAX_PKTS];
static uint16_t pkt_seq[MAX_PKTS];

static int codec_by_name(const char *name, sansrtc_codec *codec) {
  static const struct {
    const char *name;
    sansrtc_codec codec;
  } map[] = {{"opus", SANSRTC_CODEC_OPUS}, {"vp8", SANSRTC_CODEC_VP8},
             {"vp9", SANSRTC_CODEC_VP9},   {"h264", SANSRTC_CODEC_H264},
             {"h265", SANSRTC_CODEC_H265}, {"av1", SANSRTC_CODEC_AV1}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(name, map[i].name) == 0) {
      *codec = map[i].codec;
      return 0;
    }
  return -1;
}

/* Packetizes one frame into pkt[]; returns the count or -1. */
static int packetize(sansrtc_packetizer *p, const mf_frame *f, uint16_t *seq) {
  if (sansrtc_packetizer_frame(p, f->data, f->len) != SANSRTC_OK) return -1;
  int n = 0;
  while (sansrtc_packetizer_pending(p)) {
    if (n == MAX_PKTS ||
        sansrtc_packetizer_next(p, pkt[n], MAX_PAYLOAD, &pkt_len[n],
                                &pkt_marker[n]) != SANSRTC_OK)
      return -1;
    pkt_seq[n++] = (*seq)++;
  }
  /* Reverse the order: the depacketizer must sort them back. */
  for (int i = 0, j = n - 1; i < j; i++, j--) {
    uint8_t tmp[MAX_PAYLOAD];
    memcpy(tmp, pkt[i], MAX_PAYLOAD);
    memcpy(pkt[i], pkt[j], MAX_PAYLOAD);
    memcpy(pkt[j], tmp, MAX_PAYLOAD);
    size_t l = pkt_len[i]; pkt_len[i] = pkt_len[j]; pkt_len[j] = l;
    int m = pkt_marker[i]; pkt_marker[i] = pkt_marker[j]; pkt_marker[j] = m;
    uint16_t s = pkt_seq[i]; pkt_seq[i] = pkt_seq[j]; pkt_seq[j] = s;
  }
  return n;
}

static int drain(sansrtc_depacketizer *d, FILE *out, const mf_media *m,
                 size_t *written) {
  sansrtc_frame fr;
  int rc;
  while ((rc = sansrtc_depacketizer_pop(d, &fr)) == SANSRTC_OK) {
    if (fr.incomplete || *written >= m->n ||
        fr.keyframe != m->frames[*written].keyframe) {
      fprintf(stderr, "frame %zu: incomplete %d keyframe %d\n", *written,
              fr.incomplete, fr.keyframe);
      return -1;
    }
    if (mf_write_frame(out, m, *written, fr.data, fr.len) != 0) return -1;
    (*written)++;
  }
  return rc == SANSRTC_ERR_NOT_FOUND ? 0 : -1;
}

int main(int argc, char **argv) {
  sansrtc_codec codec;
  if (argc != 3 || codec_by_name(argv[1], &codec) != 0) {
    fprintf(stderr, "usage: %s opus|vp8|vp9|h264|h265|av1 OUTPUT\n", argv[0]);
    return 2;
  }
  mf_media *m = malloc(sizeof *m);
  if (m == NULL || mf_load(m, codec) != 0) return 1;
  FILE *out = fopen(argv[2], "wb");
  if (out == NULL || mf_write_header(out, m) != 0) return 1;
  sansrtc_packetizer_config pc;
  sansrtc_packetizer_config_default(&pc, codec);
  pc.max_payload = MAX_PAYLOAD;
  sansrtc_depacketizer_config dc;
  sansrtc_depacketizer_config_default(&dc, codec);
  sansrtc_packetizer *p;
  sansrtc_depacketizer *d;
  if (sansrtc_packetizer_new(&p, &pc) != SANSRTC_OK ||
      sansrtc_depacketizer_new(&d, &dc) != SANSRTC_OK)
    return 1;
  uint16_t seq = 65000;
  size_t written = 0;
  int rc = 0;
  for (size_t i = 0; i < m->n && rc == 0; i++) {
    int n = packetize(p, &m->frames[i], &seq);
    if (n < 0) rc = -1;
    for (int k = 0; k < n && rc == 0; k++) {
      if (sansrtc_depacketizer_push(d, pkt[k], pkt_len[k], pkt_seq[k],
                                    (uint32_t)(i * 3000), pkt_marker[k]) !=
          SANSRTC_OK)
        rc = -1;
      else
        rc = drain(d, out, m, &written);
    }
  }
  sansrtc_depacketizer_flush(d);
  if (rc == 0) rc = drain(d, out, m, &written);
  if (fclose(out) != 0) rc = -1;
  if (rc == 0 && written != m->n) {
    fprintf(stderr, "%zu of %zu frames came back\n", written, m->n);
    rc = -1;
  }
  printf("%s: %zu frames through %d-byte payloads -> %s\n", argv[1], written,
         MAX_PAYLOAD, argv[2]);
  sansrtc_packetizer_del(p);
  sansrtc_depacketizer_del(d);
  mf_free(m);
  free(m);
  return rc == 0 ? 0 : 1;
}
