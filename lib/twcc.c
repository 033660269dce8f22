/*
 * twcc.c - transport-wide congestion control: the sender's history and
 * feedback matching, the receiver's arrival ring and feedback writer.
 * Fixed rings allocated by the constructors; no clock, no allocation
 * afterwards.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/twcc.h>

#include "internal.h"

#define MIN_HISTORY 16u
#define REF_US 64000
#define REF_MOD 0x1000000 /* the reference time is 24 bits */
#define MIN_MTU 32u

/* The unwrapped sequence number nearest to `near` with low 16 bits `seq`. */
static uint64_t unwrap16(uint64_t near, uint16_t seq) {
  int16_t d = (int16_t)(uint16_t)(seq - (uint16_t)near);
  return (uint64_t)((int64_t)near + d);
}

/* ------------------------------------------------------------------------ */
/* Sender                                                                   */
/* ------------------------------------------------------------------------ */

enum { FATE_UNKNOWN = 0, FATE_RECEIVED, FATE_LOST };

typedef struct sent_packet {
  uint64_t useq;
  sansrtc_tstamp send_time;
  size_t size;
  int fate;
} sent_packet;

struct sansrtc_twcc_sender {
  sansrtc_twcc_sender_config cfg;
  sansrtc_logger log;
  sent_packet *ring; /* cfg.history entries, by useq modulo history */
  uint64_t next;     /* unwrapped number of the next packet sent */
  sansrtc_twcc_result *results; /* cfg.max_results, a FIFO */
  size_t res_head, res_count;
  int has_ref;
  int32_t last_ref;    /* the last feedback's 24-bit reference */
  int64_t ref_unwrapped;
  sansrtc_twcc_sender_stats stats;
};

void sansrtc_twcc_sender_config_default(sansrtc_twcc_sender_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->history = 2048;
  cfg->max_results = 4096;
}

int sansrtc_twcc_sender_new(sansrtc_twcc_sender **out,
                            const sansrtc_twcc_sender_config *cfg) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (cfg == NULL || cfg->history < MIN_HISTORY ||
      cfg->history > SANSRTC_TWCC_MAX_HISTORY || cfg->max_results == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_twcc_sender *s = calloc(1, sizeof *s);
  if (s == NULL) return SANSRTC_ERR_NOMEM;
  s->ring = calloc(cfg->history, sizeof *s->ring);
  s->results = calloc(cfg->max_results, sizeof *s->results);
  if (s->ring == NULL || s->results == NULL) {
    sansrtc_twcc_sender_del(s);
    return SANSRTC_ERR_NOMEM;
  }
  s->cfg = *cfg;
  s->log = (sansrtc_logger){cfg->log_fn, cfg->log_user_data, cfg->log_level};
  *out = s;
  return SANSRTC_OK;
}

void sansrtc_twcc_sender_del(sansrtc_twcc_sender *s) {
  if (s == NULL) return;
  free(s->ring);
  free(s->results);
  free(s);
}

int sansrtc_twcc_sender_on_send(sansrtc_twcc_sender *s, size_t size,
                                sansrtc_tstamp now, uint16_t *seq) {
  if (s == NULL || seq == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  sent_packet *p = &s->ring[s->next % s->cfg.history];
  p->useq = s->next;
  p->send_time = now;
  p->size = size;
  p->fate = FATE_UNKNOWN;
  *seq = (uint16_t)(s->cfg.first_seq + s->next);
  s->next++;
  s->stats.sent++;
  return SANSRTC_OK;
}

/* The history entry of transport sequence number `seq`, or NULL. */
static sent_packet *lookup(const sansrtc_twcc_sender *s, uint16_t seq) {
  if (s->next == 0) return NULL;
  uint16_t last = (uint16_t)(s->cfg.first_seq + s->next - 1);
  uint64_t back = (uint16_t)(last - seq);
  if (back >= s->cfg.history || back >= s->next) return NULL;
  sent_packet *p = &s->ring[(s->next - 1 - back) % s->cfg.history];
  return p->useq == s->next - 1 - back ? p : NULL;
}

/* The feedback's 24-bit reference, unwrapped against the previous one. */
static int64_t unwrap_reference(sansrtc_twcc_sender *s, int32_t ref) {
  int32_t r24 = (int32_t)((uint32_t)ref & (REF_MOD - 1u));
  if (!s->has_ref) {
    s->has_ref = 1;
    s->ref_unwrapped = r24;
  } else {
    int32_t d = (r24 - s->last_ref) & (REF_MOD - 1);
    if (d >= REF_MOD / 2) d -= REF_MOD;
    s->ref_unwrapped += d;
  }
  s->last_ref = r24;
  return s->ref_unwrapped;
}

static void push_result(sansrtc_twcc_sender *s, const sansrtc_twcc_result *r) {
  if (s->res_count == s->cfg.max_results) {
    s->stats.results_dropped++;
    return;
  }
  s->results[(s->res_head + s->res_count) % s->cfg.max_results] = *r;
  s->res_count++;
}

/* Applies a status to a history entry; 1 when it is news. */
static int apply_status(sansrtc_twcc_sender *s, sent_packet *p, int received) {
  if (p->fate == FATE_RECEIVED) return 0;
  if (p->fate == FATE_LOST && !received) return 0;
  if (p->fate == FATE_LOST) s->stats.lost--;
  p->fate = received ? FATE_RECEIVED : FATE_LOST;
  if (received)
    s->stats.received++;
  else
    s->stats.lost++;
  return 1;
}

typedef struct feedback_ctx {
  const sansrtc_rtcp_twcc *fb;
  int64_t ref_us; /* the unwrapped reference, in us */
  sansrtc_tstamp now;
} feedback_ctx;

static void use_status(sansrtc_twcc_sender *s, const feedback_ctx *c,
                       const sansrtc_rtcp_twcc_packet *pk) {
  sent_packet *p = lookup(s, pk->seq);
  if (p == NULL) {
    s->stats.unknown++;
    return;
  }
  int received = pk->status != SANSRTC_TWCC_NOT_RECEIVED;
  if (!apply_status(s, p, received)) return;
  sansrtc_twcc_result r;
  memset(&r, 0, sizeof r);
  r.seq = pk->seq;
  r.seq_unwrapped = p->useq;
  r.send_time = p->send_time;
  r.size = p->size;
  r.received = received;
  if (received) {
    r.arrival_from_reference_us =
        pk->arrival_us - (int64_t)c->fb->reference_time * REF_US;
    r.arrival_us = c->ref_us + r.arrival_from_reference_us;
  }
  r.feedback_time = c->now;
  r.fb_count = c->fb->fb_count;
  push_result(s, &r);
}

int sansrtc_twcc_sender_on_feedback(sansrtc_twcc_sender *s,
                                    const sansrtc_rtcp_twcc *fb,
                                    sansrtc_tstamp now) {
  if (s == NULL || fb == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  feedback_ctx c = {fb, unwrap_reference(s, fb->reference_time) * REF_US, now};
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_packet pk;
  sansrtc_rtcp_twcc_iter_init(&it, fb);
  int rc;
  while ((rc = sansrtc_rtcp_twcc_next(&it, &pk)) == 1) use_status(s, &c, &pk);
  s->stats.feedback++;
  return rc < 0 ? SANSRTC_ERR_MALFORMED : SANSRTC_OK;
}

int sansrtc_twcc_sender_on_rtcp(sansrtc_twcc_sender *s, const uint8_t *data,
                                size_t len, sansrtc_tstamp now) {
  if (s == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, data, len);
  int rc;
  while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) {
    sansrtc_rtcp_twcc fb;
    if (sansrtc_rtcp_kind_of(&h) != SANSRTC_RTCP_KIND_TWCC) continue;
    if (sansrtc_rtcp_parse_twcc(&h, &fb) != SANSRTC_OK) {
      sansrtc_log(&s->log, SANSRTC_LOG_DEBUG, "twcc: malformed feedback");
      continue;
    }
    (void)sansrtc_twcc_sender_on_feedback(s, &fb, now);
  }
  return rc < 0 ? SANSRTC_ERR_MALFORMED : SANSRTC_OK;
}

int sansrtc_twcc_sender_poll_result(sansrtc_twcc_sender *s,
                                    sansrtc_twcc_result *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (s->res_count == 0) return 0;
  *out = s->results[s->res_head];
  s->res_head = (s->res_head + 1) % s->cfg.max_results;
  s->res_count--;
  return 1;
}

int sansrtc_twcc_sender_get_stats(const sansrtc_twcc_sender *s,
                                  sansrtc_twcc_sender_stats *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = s->stats;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Receiver                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct arrival {
  uint64_t useq;
  sansrtc_tstamp time;
  int received;
} arrival;

struct sansrtc_twcc_receiver {
  sansrtc_twcc_receiver_config cfg;
  sansrtc_logger log;
  arrival *ring;                   /* cfg.history, by useq modulo history */
  sansrtc_rtcp_twcc_input *inputs; /* cfg.history: scratch for a feedback */
  int has_any;
  uint64_t max_useq;     /* highest received */
  uint64_t next_report;  /* first not yet reported */
  uint64_t reported_end; /* everything below was in some feedback */
  uint32_t media_ssrc;
  unsigned pending; /* arrivals since the last complete feedback */
  sansrtc_tstamp due_at;
  int due;
  uint8_t fb_count;
  sansrtc_twcc_receiver_stats stats;
};

void sansrtc_twcc_receiver_config_default(sansrtc_twcc_receiver_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->interval = 100 * SANSRTC_MILLISECONDS;
  cfg->max_pending = 256;
  cfg->history = 1024;
  cfg->mtu = 1200;
}

static int receiver_config_ok(const sansrtc_twcc_receiver_config *c) {
  return c->interval > 0 && c->history >= MIN_HISTORY &&
         c->history <= SANSRTC_TWCC_MAX_HISTORY && c->max_pending >= 1 &&
         c->max_pending <= c->history && c->mtu >= MIN_MTU;
}

int sansrtc_twcc_receiver_new(sansrtc_twcc_receiver **out,
                              const sansrtc_twcc_receiver_config *cfg) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (cfg == NULL || !receiver_config_ok(cfg))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_twcc_receiver *r = calloc(1, sizeof *r);
  if (r == NULL) return SANSRTC_ERR_NOMEM;
  r->ring = calloc(cfg->history, sizeof *r->ring);
  r->inputs = calloc(cfg->history, sizeof *r->inputs);
  if (r->ring == NULL || r->inputs == NULL) {
    sansrtc_twcc_receiver_del(r);
    return SANSRTC_ERR_NOMEM;
  }
  r->cfg = *cfg;
  r->log = (sansrtc_logger){cfg->log_fn, cfg->log_user_data, cfg->log_level};
  *out = r;
  return SANSRTC_OK;
}

void sansrtc_twcc_receiver_del(sansrtc_twcc_receiver *r) {
  if (r == NULL) return;
  free(r->ring);
  free(r->inputs);
  free(r);
}

static arrival *slot(const sansrtc_twcc_receiver *r, uint64_t useq) {
  return &r->ring[useq % r->cfg.history];
}

static int have(const sansrtc_twcc_receiver *r, uint64_t useq) {
  const arrival *a = slot(r, useq);
  return a->received && a->useq == useq;
}

/* The oldest sequence number the ring still holds. */
static uint64_t window_start(const sansrtc_twcc_receiver *r) {
  return r->max_useq - (r->cfg.history - 1u);
}

/* Moves the highest received forward; unreported packets that fall out
 * of the ring are given up. */
static void advance_max(sansrtc_twcc_receiver *r, uint64_t useq) {
  r->max_useq = useq;
  if (r->next_report < window_start(r)) r->next_report = window_start(r);
}

static void count_pending(sansrtc_twcc_receiver *r, sansrtc_tstamp now) {
  if (r->pending++ == 0) r->due_at = now + r->cfg.interval;
  if (r->pending >= r->cfg.max_pending && r->due_at > now) r->due_at = now;
}

int sansrtc_twcc_receiver_on_packet(sansrtc_twcc_receiver *r,
                                    uint32_t media_ssrc, uint16_t seq,
                                    sansrtc_tstamp now) {
  if (r == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  uint64_t useq;
  if (!r->has_any) {
    useq = ((uint64_t)1 << 32) | seq; /* room below for reordering */
    r->has_any = 1;
    r->max_useq = r->next_report = useq;
  } else {
    useq = unwrap16(r->max_useq, seq);
  }
  if (useq < window_start(r)) {
    r->stats.too_old++;
    return SANSRTC_OK;
  }
  if (have(r, useq)) {
    r->stats.duplicates++;
    return SANSRTC_OK;
  }
  if (useq > r->max_useq) advance_max(r, useq);
  if (useq < r->reported_end) r->stats.late++;
  if (useq < r->next_report) r->next_report = useq;
  *slot(r, useq) = (arrival){useq, now, 1};
  r->media_ssrc = media_ssrc;
  r->stats.packets++;
  count_pending(r, now);
  return SANSRTC_OK;
}

sansrtc_tstamp sansrtc_twcc_receiver_next_deadline(
    const sansrtc_twcc_receiver *r) {
  if (r == NULL || r->pending == 0 || r->due) return SANSRTC_TSTAMP_NEVER;
  return r->due_at;
}

int sansrtc_twcc_receiver_handle_timeout(sansrtc_twcc_receiver *r,
                                         sansrtc_tstamp now) {
  if (r == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (r->pending > 0 && now >= r->due_at) r->due = 1;
  return SANSRTC_OK;
}

/* Lists the statuses from next_report to max_useq: the first entry
 * always, then every received one. Returns the entry count. */
static size_t build_inputs(sansrtc_twcc_receiver *r) {
  size_t n = 0;
  for (uint64_t u = r->next_report; u <= r->max_useq; u++) {
    int got = have(r, u);
    if (!got && n > 0) continue;
    sansrtc_rtcp_twcc_input *in = &r->inputs[n++];
    in->seq = (uint16_t)u;
    in->received = (uint8_t)got;
    in->arrival = got ? slot(r, u)->time : 0;
  }
  return n;
}

/* After a feedback covered up to `last`: the rest, or nothing, is due. */
static void reported_through(sansrtc_twcc_receiver *r, uint64_t last) {
  r->next_report = last + 1;
  if (r->next_report > r->reported_end) r->reported_end = r->next_report;
  if (r->next_report > r->max_useq) {
    r->due = 0;
    r->pending = 0;
  }
}

int sansrtc_twcc_receiver_poll_feedback(sansrtc_twcc_receiver *r, uint8_t *buf,
                                        size_t cap, size_t *len) {
  if (len != NULL) *len = 0;
  if (r == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!r->due || r->next_report > r->max_useq) return 0;
  size_t n = build_inputs(r);
  sansrtc_rtcp_twcc_desc d = {r->cfg.sender_ssrc, r->media_ssrc, r->fb_count,
                              r->inputs, n};
  size_t room = cap < r->cfg.mtu ? cap : r->cfg.mtu, count;
  int rc = sansrtc_rtcp_twcc_fit(&d, room, &count);
  if (rc != SANSRTC_OK) return rc;
  d.packet_count = count;
  rc = sansrtc_rtcp_write_twcc(buf, room, &d, len);
  if (rc != SANSRTC_OK) return rc;
  uint16_t span = (uint16_t)(r->inputs[count - 1].seq - r->inputs[0].seq);
  reported_through(r, r->next_report + span);
  r->fb_count++;
  r->stats.feedback++;
  return 1;
}

int sansrtc_twcc_receiver_get_stats(const sansrtc_twcc_receiver *r,
                                    sansrtc_twcc_receiver_stats *out) {
  if (r == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = r->stats;
  return SANSRTC_OK;
}
