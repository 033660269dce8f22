/*
 * packetizer.c - the common half of the RTP payload formats: packetizer and
 * depacketizer objects, Opus (RFC 7587), and the frame assembler that sorts
 * a frame's packets by sequence number and decides when it is whole. The
 * codec-specific halves are lib/pkt_*.c.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "packetizer_internal.h"

const char *sansrtc_codec_name(sansrtc_codec codec) {
  switch (codec) {
  case SANSRTC_CODEC_OPUS: return "opus";
  case SANSRTC_CODEC_VP8: return "VP8";
  case SANSRTC_CODEC_VP9: return "VP9";
  case SANSRTC_CODEC_H264: return "H264";
  case SANSRTC_CODEC_H265: return "H265";
  case SANSRTC_CODEC_AV1: return "AV1";
  }
  return "unknown";
}

static int codec_known(sansrtc_codec codec) {
  return codec >= SANSRTC_CODEC_OPUS && codec <= SANSRTC_CODEC_AV1;
}

/* ---- Opus (RFC 7587 4.2: one Opus packet per payload) ---------------- */

static int opus_frame(sansrtc_packetizer *p) {
  return p->frame_len > p->cfg.max_payload ? SANSRTC_ERR_LIMIT : SANSRTC_OK;
}

static int opus_next(sansrtc_packetizer *p, uint8_t *buf, size_t *len,
                     int *marker) {
  memcpy(buf, p->frame, p->frame_len);
  *len = p->frame_len;
  *marker = 0;
  p->pending = 0;
  return SANSRTC_OK;
}

static const pkt_codec_ops opus_ops = {opus_frame, opus_next};

static int opus_inspect(const uint8_t *pl, size_t len, unsigned *flags) {
  (void)pl;
  if (len == 0) return SANSRTC_ERR_MALFORMED;
  *flags = PKT_START | PKT_MAYSTART;
  return SANSRTC_OK;
}

static void opus_assemble(const pkt_frame_in *f, pkt_out *out, int *keyframe,
                          int *damaged) {
  for (size_t i = 0; i < f->n; i++) pkt_put(out, pkt_data(f, i), f->rec[i].len);
  *keyframe = 1;
  *damaged = 0;
}

static const pkt_depack_ops opus_depack_ops = {opus_inspect, opus_assemble};

/* ---- packetizer ------------------------------------------------------- */

static const pkt_codec_ops *codec_ops(sansrtc_codec codec) {
  switch (codec) {
  case SANSRTC_CODEC_OPUS: return &opus_ops;
  case SANSRTC_CODEC_VP8: return &sansrtc_pkt_vp8_ops;
  case SANSRTC_CODEC_VP9: return &sansrtc_pkt_vp9_ops;
  case SANSRTC_CODEC_H264:
  case SANSRTC_CODEC_H265: return &sansrtc_pkt_h26x_ops;
  case SANSRTC_CODEC_AV1: return &sansrtc_pkt_av1_ops;
  }
  return NULL;
}

void sansrtc_packetizer_config_default(sansrtc_packetizer_config *config,
                                       sansrtc_codec codec) {
  if (config == NULL) return;
  memset(config, 0, sizeof *config);
  config->codec = codec;
  config->max_payload = 1200;
  config->h264_packetization_mode = 1;
  config->insert_parameter_sets = 1;
  config->picture_id = 0;
}

int sansrtc_packetizer_new(sansrtc_packetizer **out,
                           const sansrtc_packetizer_config *config) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || !codec_known(config->codec) ||
      config->max_payload < SANSRTC_PACKETIZER_MIN_PAYLOAD ||
      config->max_payload > SANSRTC_PACKETIZER_MAX_PAYLOAD ||
      (config->h264_packetization_mode != 0 &&
       config->h264_packetization_mode != 1))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_packetizer *p = calloc(1, sizeof *p);
  if (p == NULL) return SANSRTC_ERR_NOMEM;
  p->cfg = *config;
  /* The id is advanced before each frame: start one below. */
  p->picture_id = (uint16_t)((config->picture_id - 1u) & 0x7FFFu);
  *out = p;
  return SANSRTC_OK;
}

void sansrtc_packetizer_del(sansrtc_packetizer *p) { free(p); }

int sansrtc_packetizer_frame(sansrtc_packetizer *p, const uint8_t *frame,
                             size_t len) {
  if (p == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  p->pending = 0;
  if (frame == NULL || len == 0) return SANSRTC_ERR_INVALID_ARGUMENT;
  p->frame = frame;
  p->frame_len = len;
  p->pos = 0;
  p->first = 1;
  int rc = codec_ops(p->cfg.codec)->frame(p);
  if (rc != SANSRTC_OK) return rc;
  p->picture_id = (uint16_t)((p->picture_id + 1u) & 0x7FFFu);
  p->pending = 1;
  return SANSRTC_OK;
}

int sansrtc_packetizer_pending(const sansrtc_packetizer *p) {
  return p != NULL && p->pending;
}

int sansrtc_packetizer_next(sansrtc_packetizer *p, uint8_t *buf, size_t cap,
                            size_t *len, int *marker) {
  if (p == NULL || buf == NULL || len == NULL || marker == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!p->pending) return SANSRTC_ERR_INVALID_STATE;
  if (cap < p->cfg.max_payload) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  int rc = codec_ops(p->cfg.codec)->next(p, buf, len, marker);
  p->first = 0;
  if (rc != SANSRTC_OK) p->pending = 0;
  return rc;
}

/* ---- depacketizer ----------------------------------------------------- */

struct sansrtc_depacketizer {
  sansrtc_depacketizer_config cfg;
  const pkt_depack_ops *ops;
  uint8_t *store;  /* payloads of the frame being assembled */
  size_t store_used;
  pkt_rec *rec;    /* its packets, sorted by sequence number */
  size_t n;
  uint32_t ts;     /* its timestamp, when n > 0 or refused > 0 */
  int refused;     /* a packet of it was refused (limit, malformed) */
  int open;        /* a frame is being assembled */
  uint8_t *out;    /* the frame ready for pop */
  sansrtc_frame ready;
  int ready_state; /* 0 none, 1 ready, 2 too large */
  int flushing;    /* flush was called while a frame was ready */
  int have_prev;   /* the previous frame ended with a marker at prev_end */
  uint16_t prev_end;
  int have_last_ts; /* last_ts is the timestamp of the last frame closed */
  uint32_t last_ts;
  sansrtc_depacketizer_stats stats;
};

static const pkt_depack_ops *depack_ops(sansrtc_codec codec) {
  switch (codec) {
  case SANSRTC_CODEC_OPUS: return &opus_depack_ops;
  case SANSRTC_CODEC_VP8: return &sansrtc_depack_vp8_ops;
  case SANSRTC_CODEC_VP9: return &sansrtc_depack_vp9_ops;
  case SANSRTC_CODEC_H264: return &sansrtc_depack_h264_ops;
  case SANSRTC_CODEC_H265: return &sansrtc_depack_h265_ops;
  case SANSRTC_CODEC_AV1: return &sansrtc_depack_av1_ops;
  }
  return NULL;
}

void sansrtc_depacketizer_config_default(sansrtc_depacketizer_config *config,
                                         sansrtc_codec codec) {
  if (config == NULL) return;
  memset(config, 0, sizeof *config);
  config->codec = codec;
  config->max_frame_size = 1u << 20;
  config->max_packets = 2048;
}

int sansrtc_depacketizer_new(sansrtc_depacketizer **out,
                             const sansrtc_depacketizer_config *config) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || !codec_known(config->codec) ||
      config->max_frame_size < 64 || config->max_frame_size > UINT32_MAX ||
      config->max_packets < 1 || config->max_packets > 65536)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_depacketizer *d = calloc(1, sizeof *d);
  if (d == NULL) return SANSRTC_ERR_NOMEM;
  d->cfg = *config;
  d->ops = depack_ops(config->codec);
  d->store = malloc(config->max_frame_size);
  d->out = malloc(config->max_frame_size);
  d->rec = calloc(config->max_packets, sizeof *d->rec);
  if (d->store == NULL || d->out == NULL || d->rec == NULL) {
    sansrtc_depacketizer_del(d);
    return SANSRTC_ERR_NOMEM;
  }
  *out = d;
  return SANSRTC_OK;
}

void sansrtc_depacketizer_del(sansrtc_depacketizer *d) {
  if (d == NULL) return;
  free(d->store);
  free(d->out);
  free(d->rec);
  free(d);
}

/* Whether the sorted packets run without a gap from a known start to a
 * marker. `final` is set when the frame is being closed anyway: then a
 * start that is only plausible (first frame of a stream, codecs without a
 * start flag) is taken as the start. */
static int frame_whole(const sansrtc_depacketizer *d, int final) {
  if (d->n == 0 || d->refused) return 0;
  if (d->cfg.codec == SANSRTC_CODEC_OPUS) return 1; /* one packet, no marker */
  if (!d->rec[d->n - 1].marker) return 0;
  for (size_t i = 1; i < d->n; i++)
    if ((uint16_t)(d->rec[i].seq - d->rec[i - 1].seq) != 1) return 0;
  const pkt_rec *first = &d->rec[0];
  if (first->flags & PKT_START) return 1;
  if (d->have_prev) return first->seq == (uint16_t)(d->prev_end + 1u);
  return final && (first->flags & PKT_MAYSTART);
}

/* Reassembles the open frame into d->out and makes it ready. */
static void close_frame(sansrtc_depacketizer *d) {
  if (!d->open) return;
  if (d->ready_state != 0) d->stats.frames_overwritten++;
  int whole = frame_whole(d, 1);
  pkt_out o = {d->out, d->cfg.max_frame_size, 0, 0};
  int key = 0, damaged = 0;
  pkt_frame_in f = {d->store, d->rec, d->n};
  if (d->n > 0) d->ops->assemble(&f, &o, &key, &damaged);
  memset(&d->ready, 0, sizeof d->ready);
  d->ready.data = d->out;
  d->ready.len = o.len;
  d->ready.timestamp = d->ts;
  if (d->n > 0) {
    d->ready.first_seq = d->rec[0].seq;
    d->ready.last_seq = d->rec[d->n - 1].seq;
  }
  d->ready.keyframe = key;
  d->ready.incomplete = !whole || damaged;
  d->ready_state = o.overflow ? 2 : 1;
  d->have_prev = d->n > 0 && d->rec[d->n - 1].marker;
  if (d->have_prev) d->prev_end = d->rec[d->n - 1].seq;
  d->have_last_ts = 1;
  d->last_ts = d->ts;
  d->open = 0;
  d->flushing = 0;
  d->n = 0;
  d->store_used = 0;
  d->refused = 0;
}

/* Opens a frame for `ts` if none is open, closing one of another ts. */
static void frame_for(sansrtc_depacketizer *d, uint32_t ts) {
  if (d->open && (d->ts != ts || d->cfg.codec == SANSRTC_CODEC_OPUS))
    close_frame(d);
  if (!d->open) {
    d->open = 1;
    d->ts = ts;
  }
}

static int store_packet(sansrtc_depacketizer *d, const uint8_t *payload,
                        size_t len, uint16_t seq, int marker,
                        unsigned flags) {
  /* Position by signed distance from the first packet (16-bit wrap). */
  size_t i = d->n;
  while (i > 0) {
    int16_t diff = (int16_t)(uint16_t)(seq - d->rec[i - 1].seq);
    if (diff == 0) {
      d->stats.packets_duplicate++;
      return SANSRTC_OK;
    }
    if (diff > 0) break;
    i--;
  }
  if (d->n == d->cfg.max_packets ||
      len > d->cfg.max_frame_size - d->store_used) {
    d->refused = 1;
    return SANSRTC_ERR_LIMIT;
  }
  memmove(&d->rec[i + 1], &d->rec[i], (d->n - i) * sizeof *d->rec);
  pkt_rec *r = &d->rec[i];
  r->off = (uint32_t)d->store_used;
  r->len = (uint32_t)len;
  r->seq = seq;
  r->marker = marker ? 1 : 0;
  r->flags = (uint8_t)flags;
  memcpy(d->store + d->store_used, payload, len);
  d->store_used += len;
  d->n++;
  return SANSRTC_OK;
}

int sansrtc_depacketizer_push(sansrtc_depacketizer *d, const uint8_t *payload,
                              size_t len, uint16_t seq, uint32_t timestamp,
                              int marker) {
  if (d == NULL || (payload == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->have_last_ts && d->last_ts == timestamp &&
      d->cfg.codec != SANSRTC_CODEC_OPUS) {
    d->stats.packets_late++;
    return SANSRTC_OK;
  }
  unsigned flags = 0;
  int rc = len == 0 ? SANSRTC_ERR_MALFORMED
                    : d->ops->inspect(payload, len, &flags);
  frame_for(d, timestamp);
  if (rc != SANSRTC_OK) {
    d->stats.packets_malformed++;
    d->refused = 1;
    return rc;
  }
  return store_packet(d, payload, len, seq, marker, flags);
}

int sansrtc_depacketizer_pop(sansrtc_depacketizer *d, sansrtc_frame *frame) {
  if (d == NULL || frame == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->ready_state == 0 && d->open &&
      (frame_whole(d, 0) || d->flushing ||
       d->cfg.codec == SANSRTC_CODEC_OPUS))
    close_frame(d);
  int state = d->ready_state;
  d->ready_state = 0;
  if (state == 0) return SANSRTC_ERR_NOT_FOUND;
  if (state == 2) {
    d->stats.frames_too_large++;
    return SANSRTC_ERR_LIMIT;
  }
  *frame = d->ready;
  d->stats.frames++;
  if (frame->incomplete) d->stats.frames_incomplete++;
  return SANSRTC_OK;
}

void sansrtc_depacketizer_flush(sansrtc_depacketizer *d) {
  if (d == NULL) return;
  if (d->ready_state == 0)
    close_frame(d);
  else if (d->open)
    d->flushing = 1;
}

int sansrtc_depacketizer_inspect(const sansrtc_depacketizer *d,
                                 const uint8_t *payload, size_t len) {
  if (d == NULL || (payload == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len == 0) return SANSRTC_ERR_MALFORMED;
  unsigned flags = 0;
  int rc = d->ops->inspect(payload, len, &flags);
  if (rc != SANSRTC_OK) return rc;
  if (flags & PKT_START) return SANSRTC_DEPACK_FRAME_START;
  return (flags & PKT_MAYSTART) ? SANSRTC_DEPACK_MAY_START
                                : SANSRTC_DEPACK_NOT_START;
}

void sansrtc_depacketizer_get_stats(const sansrtc_depacketizer *d,
                                    sansrtc_depacketizer_stats *stats) {
  if (d == NULL || stats == NULL) return;
  *stats = d->stats;
}
