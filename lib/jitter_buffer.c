/*
 * jitter_buffer.c - the receive-side frame buffer: a packet store indexed
 * by extended sequence number, frames grouped by RTP timestamp, decode in
 * sequence order through the depacketizer, bounded waits, keyframe gating
 * and PLI / FIR requests. See include/sansrtc/jitter_buffer.h and
 * docs/jitter_buffer.md.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/jitter_buffer.h>
#include <sansrtc/rtcp.h>

#include "internal.h"

#define EXT_ORIGIN (1ull << 32) /* first extended sequence number's base */

typedef struct jb_slot {
  uint64_t ext;
  uint32_t ts;
  uint32_t len;
  uint8_t used;
  uint8_t marker;
  uint8_t start; /* SANSRTC_DEPACK_* from sansrtc_depacketizer_inspect */
} jb_slot;

/* The packets held with one timestamp. */
typedef struct jb_frame {
  uint8_t used;
  uint8_t has_end;   /* a marker packet is held; end is its ext */
  uint32_t ts;
  uint64_t min, max; /* lowest and highest ext held */
  uint64_t end;
  size_t count;
  sansrtc_tstamp first_arrival;
} jb_frame;

struct sansrtc_jitter_buffer {
  sansrtc_jitter_buffer_config cfg;
  sansrtc_depacketizer *dp;
  jb_slot *slots;   /* max_packets, slot = ext % max_packets */
  uint8_t *store;   /* max_packets * max_payload bytes */
  jb_frame *frames; /* max_frames */
  size_t nframes;
  int started;
  uint64_t highest;  /* highest ext seen */
  int have_last;     /* a frame was emitted or skipped: */
  uint64_t last_end; /* its last ext (its marker's, when emitted) */
  uint32_t last_ts;
  int need_key;      /* no frame is handed out before a keyframe */
  int req_active;    /* a keyframe request is wanted */
  int req_new;       /* the next one sent is a new request, not a repeat */
  int req_sent_once;
  sansrtc_tstamp req_last; /* when the last one was written */
  int fir_started;
  uint8_t fir_seq;
  sansrtc_jitter_buffer_stats stats;
};

void sansrtc_jitter_buffer_config_default(sansrtc_jitter_buffer_config *config,
                                          sansrtc_codec codec) {
  if (config == NULL) return;
  memset(config, 0, sizeof *config);
  config->codec = codec;
  config->max_packets = 512;
  config->max_payload = 1500;
  config->max_frames = 128;
  config->max_frame_size = 1u << 20;
  config->max_wait = 200 * SANSRTC_MILLISECONDS;
  config->keyframe_request = SANSRTC_KEYFRAME_REQUEST_PLI;
  config->keyframe_interval = 500 * SANSRTC_MILLISECONDS;
}

static int config_valid(const sansrtc_jitter_buffer_config *c) {
  return c->max_packets >= 1 && c->max_packets <= 32768 &&
         c->max_payload >= 1 && c->max_payload <= 65535 &&
         c->max_frames >= 1 && c->max_frames <= 4096 &&
         c->keyframe_request >= SANSRTC_KEYFRAME_REQUEST_NONE &&
         c->keyframe_request <= SANSRTC_KEYFRAME_REQUEST_FIR;
}

int sansrtc_jitter_buffer_new(sansrtc_jitter_buffer **out,
                              const sansrtc_jitter_buffer_config *config) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || !config_valid(config))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_depacketizer_config dc;
  sansrtc_depacketizer_config_default(&dc, config->codec);
  dc.max_frame_size = config->max_frame_size;
  dc.max_packets = config->max_packets;
  sansrtc_jitter_buffer *jb = calloc(1, sizeof *jb);
  if (jb == NULL) return SANSRTC_ERR_NOMEM;
  jb->cfg = *config;
  jb->need_key = 1;
  jb->req_new = 1;
  int rc = sansrtc_depacketizer_new(&jb->dp, &dc);
  if (rc != SANSRTC_OK) {
    sansrtc_jitter_buffer_del(jb);
    return rc;
  }
  jb->slots = calloc(config->max_packets, sizeof *jb->slots);
  jb->store = malloc(config->max_packets * config->max_payload);
  jb->frames = calloc(config->max_frames, sizeof *jb->frames);
  if (jb->slots == NULL || jb->store == NULL || jb->frames == NULL) {
    sansrtc_jitter_buffer_del(jb);
    return SANSRTC_ERR_NOMEM;
  }
  *out = jb;
  return SANSRTC_OK;
}

void sansrtc_jitter_buffer_del(sansrtc_jitter_buffer *jb) {
  if (jb == NULL) return;
  sansrtc_depacketizer_del(jb->dp);
  free(jb->slots);
  free(jb->store);
  free(jb->frames);
  free(jb);
}

/* ---- store ------------------------------------------------------------ */

static size_t slot_of(const sansrtc_jitter_buffer *jb, uint64_t ext) {
  return (size_t)(ext % jb->cfg.max_packets);
}

static uint8_t *slot_data(const sansrtc_jitter_buffer *jb, size_t i) {
  return jb->store + i * jb->cfg.max_payload;
}

/* The slot holding packet `ext` of frame `f`, or NULL. */
static const jb_slot *packet_of(const sansrtc_jitter_buffer *jb,
                                const jb_frame *f, uint64_t ext) {
  const jb_slot *s = &jb->slots[slot_of(jb, ext)];
  return s->used && s->ext == ext && s->ts == f->ts ? s : NULL;
}

static jb_frame *find_frame(sansrtc_jitter_buffer *jb, uint32_t ts) {
  for (size_t i = 0; i < jb->cfg.max_frames; i++)
    if (jb->frames[i].used && jb->frames[i].ts == ts) return &jb->frames[i];
  return NULL;
}

/* The frame first in decode order: the one holding the lowest ext. */
static jb_frame *head_frame(const sansrtc_jitter_buffer *jb) {
  jb_frame *h = NULL;
  for (size_t i = 0; i < jb->cfg.max_frames; i++) {
    jb_frame *f = &jb->frames[i];
    if (f->used && (h == NULL || f->min < h->min)) h = f;
  }
  return h;
}

static uint64_t highest_held(const sansrtc_jitter_buffer *jb) {
  uint64_t m = 0;
  for (size_t i = 0; i < jb->cfg.max_frames; i++)
    if (jb->frames[i].used && jb->frames[i].max > m) m = jb->frames[i].max;
  return m;
}

/* Frees frame `f` and its packets, making it the decode position. */
static void retire_frame(sansrtc_jitter_buffer *jb, jb_frame *f) {
  for (uint64_t e = f->min; e <= f->max; e++) {
    jb_slot *s = &jb->slots[slot_of(jb, e)];
    if (s->used && s->ext == e && s->ts == f->ts) s->used = 0;
  }
  jb->have_last = 1;
  jb->last_end = f->has_end && f->end > f->max ? f->end : f->max;
  jb->last_ts = f->ts;
  f->used = 0;
  jb->nframes--;
}

/* ---- keyframe requests ----------------------------------------------- */

static void want_keyframe(sansrtc_jitter_buffer *jb) {
  jb->need_key = 1;
  if (jb->cfg.keyframe_request != SANSRTC_KEYFRAME_REQUEST_NONE)
    jb->req_active = 1;
}

static void got_keyframe(sansrtc_jitter_buffer *jb) {
  jb->need_key = 0;
  if (jb->req_active) jb->req_new = 1;
  jb->req_active = 0;
}

static sansrtc_tstamp request_due(const sansrtc_jitter_buffer *jb) {
  if (!jb->req_active) return SANSRTC_TSTAMP_NEVER;
  return jb->req_sent_once ? jb->req_last + jb->cfg.keyframe_interval : 0;
}

/* ---- frame state ------------------------------------------------------ */

static int start_known(const sansrtc_jitter_buffer *jb, const jb_frame *f) {
  const jb_slot *s = packet_of(jb, f, f->min);
  if (s == NULL) return 0;
  if (s->start == SANSRTC_DEPACK_FRAME_START) return 1;
  if (!jb->have_last) return s->start == SANSRTC_DEPACK_MAY_START;
  return f->min == jb->last_end + 1;
}

/* All packets from a known start to the marker are held. */
static int frame_whole(const sansrtc_jitter_buffer *jb, const jb_frame *f) {
  if (!start_known(jb, f)) return 0;
  if (jb->cfg.codec == SANSRTC_CODEC_OPUS) return 1;
  return f->has_end && f->max == f->end && f->count == f->end - f->min + 1;
}

static int gap_before(const sansrtc_jitter_buffer *jb, const jb_frame *f) {
  return jb->have_last && f->min != jb->last_end + 1;
}

static int ready(const sansrtc_jitter_buffer *jb, const jb_frame *f) {
  return frame_whole(jb, f) && !gap_before(jb, f);
}

/* Gives up the head frame (incomplete, or pushed out by the window). */
static void skip_head(sansrtc_jitter_buffer *jb, jb_frame *h) {
  jb->stats.frames_skipped++;
  retire_frame(jb, h);
  want_keyframe(jb);
}

/* ---- push ------------------------------------------------------------- */

static void restart(sansrtc_jitter_buffer *jb, uint16_t seq) {
  for (size_t i = 0; i < jb->cfg.max_frames; i++) jb->frames[i].used = 0;
  for (size_t i = 0; i < jb->cfg.max_packets; i++) jb->slots[i].used = 0;
  jb->nframes = 0;
  jb->have_last = 0;
  jb->started = 1;
  jb->highest = EXT_ORIGIN + seq;
}

/* Extends `seq` next to the highest seen; restarts on a long jump back. */
static uint64_t extend(sansrtc_jitter_buffer *jb, uint16_t seq) {
  if (!jb->started) restart(jb, seq);
  int32_t diff = (int16_t)(uint16_t)(seq - (uint16_t)jb->highest);
  if (-diff > (int32_t)jb->cfg.max_packets) {
    jb->stats.resets++;
    if (jb->nframes > 0 || jb->have_last) want_keyframe(jb);
    restart(jb, seq);
    return jb->highest;
  }
  uint64_t ext = (uint64_t)((int64_t)jb->highest + diff);
  if (ext > jb->highest) jb->highest = ext;
  return ext;
}

/* 0: store it; 1: drop it (counted); 2: a frame was skipped, check again. */
static int admit(sansrtc_jitter_buffer *jb, uint64_t ext, uint32_t ts) {
  if (jb->have_last && (ext <= jb->last_end || ts == jb->last_ts)) {
    jb->stats.packets_late++;
    return 1;
  }
  const jb_slot *s = &jb->slots[slot_of(jb, ext)];
  if (s->used && s->ext == ext) {
    jb->stats.packets_duplicate++;
    return 1;
  }
  if (jb->nframes == 0) return 0;
  jb_frame *h = head_frame(jb);
  if (ext >= h->min + jb->cfg.max_packets) {
    skip_head(jb, h);
    return 2;
  }
  if (ext + jb->cfg.max_packets <= highest_held(jb)) {
    jb->stats.packets_late++;
    return 1;
  }
  if (find_frame(jb, ts) == NULL && jb->nframes == jb->cfg.max_frames) {
    skip_head(jb, h);
    return 2;
  }
  return 0;
}

static jb_frame *frame_for(sansrtc_jitter_buffer *jb, uint32_t ts,
                           uint64_t ext, sansrtc_tstamp now) {
  jb_frame *f = find_frame(jb, ts);
  if (f != NULL) return f;
  for (size_t i = 0; i < jb->cfg.max_frames; i++) {
    f = &jb->frames[i];
    if (f->used) continue;
    memset(f, 0, sizeof *f);
    f->used = 1;
    f->ts = ts;
    f->min = f->max = ext;
    f->first_arrival = now;
    jb->nframes++;
    return f;
  }
  return NULL; /* impossible: admit made room */
}

static void store(sansrtc_jitter_buffer *jb, jb_frame *f, uint64_t ext,
                  const uint8_t *payload, size_t len, int marker, int start) {
  size_t i = slot_of(jb, ext);
  jb_slot *s = &jb->slots[i];
  s->used = 1;
  s->ext = ext;
  s->ts = f->ts;
  s->len = (uint32_t)len;
  s->marker = marker ? 1 : 0;
  s->start = (uint8_t)start;
  memcpy(slot_data(jb, i), payload, len);
  if (ext < f->min) f->min = ext;
  if (ext > f->max) f->max = ext;
  if (marker && (!f->has_end || ext < f->end)) {
    f->has_end = 1;
    f->end = ext;
  }
  f->count++;
  jb->stats.packets++;
}

int sansrtc_jitter_buffer_push(sansrtc_jitter_buffer *jb,
                               const uint8_t *payload, size_t len,
                               uint16_t seq, uint32_t timestamp, int marker,
                               sansrtc_tstamp now) {
  if (jb == NULL || (payload == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len > jb->cfg.max_payload) {
    jb->stats.packets_refused++;
    return SANSRTC_ERR_LIMIT;
  }
  int start = sansrtc_depacketizer_inspect(jb->dp, payload, len);
  if (start < 0) {
    jb->stats.packets_refused++;
    return start;
  }
  uint64_t ext = extend(jb, seq);
  int verdict;
  while ((verdict = admit(jb, ext, timestamp)) == 2) continue;
  if (verdict == 1) return SANSRTC_OK;
  jb_frame *f = frame_for(jb, timestamp, ext, now);
  if (f == NULL) return SANSRTC_ERR_LIMIT;
  store(jb, f, ext, payload, len, marker, start);
  return SANSRTC_OK;
}

/* ---- pop -------------------------------------------------------------- */

/* Feeds frame `f` to the depacketizer and takes the frame it rebuilds.
 * Returns SANSRTC_OK or the error that made it unusable. */
static int depacketize(sansrtc_jitter_buffer *jb, const jb_frame *f,
                       sansrtc_frame *out) {
  int rc = SANSRTC_OK;
  uint64_t last = jb->cfg.codec == SANSRTC_CODEC_OPUS ? f->min : f->end;
  for (uint64_t e = f->min; e <= last && rc == SANSRTC_OK; e++) {
    const jb_slot *s = packet_of(jb, f, e);
    if (s == NULL) return SANSRTC_ERR_INVALID_STATE; /* frame_whole said */
    rc = sansrtc_depacketizer_push(jb->dp, slot_data(jb, slot_of(jb, e)),
                                   s->len, (uint16_t)e, f->ts, s->marker);
  }
  sansrtc_depacketizer_flush(jb->dp);
  int pop = sansrtc_depacketizer_pop(jb->dp, out);
  sansrtc_frame spare;
  while (sansrtc_depacketizer_pop(jb->dp, &spare) != SANSRTC_ERR_NOT_FOUND)
    continue; /* nothing else may stay ready */
  return rc != SANSRTC_OK ? rc : pop;
}

int sansrtc_jitter_buffer_pop(sansrtc_jitter_buffer *jb,
                              sansrtc_frame *frame) {
  if (jb == NULL || frame == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  jb_frame *h;
  while ((h = head_frame(jb)) != NULL && ready(jb, h)) {
    int rc = depacketize(jb, h, frame);
    retire_frame(jb, h);
    if (rc != SANSRTC_OK) {
      jb->stats.frames_skipped++;
      want_keyframe(jb);
      continue;
    }
    if (jb->need_key && !frame->keyframe) {
      jb->stats.frames_not_decodable++;
      want_keyframe(jb);
      continue;
    }
    if (frame->keyframe) {
      got_keyframe(jb);
      jb->stats.keyframes++;
    }
    jb->stats.frames++;
    return SANSRTC_OK;
  }
  return SANSRTC_ERR_NOT_FOUND;
}

/* ---- timers ----------------------------------------------------------- */

static sansrtc_tstamp wait_expiry(const sansrtc_jitter_buffer *jb,
                                  const jb_frame *f) {
  sansrtc_tstamp t = f->first_arrival + jb->cfg.max_wait;
  return t < f->first_arrival ? SANSRTC_TSTAMP_NEVER : t;
}

sansrtc_tstamp sansrtc_jitter_buffer_next_deadline(
    const sansrtc_jitter_buffer *jb) {
  if (jb == NULL) return SANSRTC_TSTAMP_NEVER;
  sansrtc_tstamp t = request_due(jb);
  const jb_frame *h = head_frame(jb);
  if (h != NULL && wait_expiry(jb, h) < t) t = wait_expiry(jb, h);
  return t;
}

void sansrtc_jitter_buffer_handle_timeout(sansrtc_jitter_buffer *jb,
                                          sansrtc_tstamp now) {
  if (jb == NULL) return;
  jb_frame *h;
  while ((h = head_frame(jb)) != NULL && !ready(jb, h) &&
         now >= wait_expiry(jb, h)) {
    if (gap_before(jb, h) && frame_whole(jb, h)) {
      /* Whole frames were lost before a frame that is itself whole. */
      jb->stats.gaps_skipped++;
      jb->last_end = h->min - 1;
      want_keyframe(jb);
      continue;
    }
    skip_head(jb, h);
  }
}

/* ---- keyframe request output ----------------------------------------- */

static int write_request(sansrtc_jitter_buffer *jb, uint8_t *buf, size_t cap,
                         size_t *len) {
  if (jb->cfg.keyframe_request == SANSRTC_KEYFRAME_REQUEST_PLI) {
    sansrtc_rtcp_pli_desc d = {jb->cfg.sender_ssrc, jb->cfg.media_ssrc};
    return sansrtc_rtcp_write_pli(buf, cap, &d, len);
  }
  /* RFC 5104 4.3.1.2: a new request takes the next sequence number, a
   * repetition keeps it. */
  uint8_t seq = jb->fir_seq;
  if (jb->req_new && jb->fir_started) seq = (uint8_t)(seq + 1u);
  sansrtc_rtcp_fir_entry e = {jb->cfg.media_ssrc, seq};
  sansrtc_rtcp_fir_desc d = {jb->cfg.sender_ssrc, &e, 1};
  int rc = sansrtc_rtcp_write_fir(buf, cap, &d, len);
  if (rc == SANSRTC_OK) {
    jb->fir_seq = seq;
    jb->fir_started = 1;
  }
  return rc;
}

int sansrtc_jitter_buffer_poll_rtcp(sansrtc_jitter_buffer *jb,
                                    sansrtc_tstamp now, uint8_t *buf,
                                    size_t cap, size_t *len) {
  if (jb == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!jb->req_active || now < request_due(jb)) return SANSRTC_ERR_NOT_FOUND;
  int rc = write_request(jb, buf, cap, len);
  if (rc != SANSRTC_OK) return rc;
  jb->req_new = 0;
  jb->req_sent_once = 1;
  jb->req_last = now;
  jb->stats.keyframe_requests++;
  return SANSRTC_OK;
}

void sansrtc_jitter_buffer_request_keyframe(sansrtc_jitter_buffer *jb) {
  if (jb != NULL) want_keyframe(jb);
}

void sansrtc_jitter_buffer_get_stats(const sansrtc_jitter_buffer *jb,
                                     sansrtc_jitter_buffer_stats *stats) {
  if (jb == NULL || stats == NULL) return;
  *stats = jb->stats;
}
