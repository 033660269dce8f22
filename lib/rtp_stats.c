/*
 * rtp_stats.c - RTP session statistics (RFC 3550 appendix A) and the RTCP
 * report timer. Fixed tables allocated by the constructor; no allocation
 * afterwards, no clock: time comes in as `now`.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtp_stats.h>

#include "internal.h"

#define SEQ_MOD 65536u
#define NS_PER_S 1000000000ull
#define LOST_MAX 0x7FFFFF   /* signed 24-bit cumulative lost */
#define LOST_MIN (-0x800000)

typedef struct remote {
  int used;
  uint32_t ssrc;
  uint32_t clock_rate;
  /* RFC 3550 A.1 source state. */
  uint16_t max_seq;
  uint32_t cycles; /* shifted count of sequence number cycles */
  uint32_t base_seq;
  uint32_t bad_seq;
  unsigned probation;
  uint64_t received;
  uint64_t expected_prior;
  uint64_t received_prior;
  uint64_t bad;
  /* A.8 jitter, scaled by 16. */
  int has_transit;
  uint32_t transit;
  uint32_t jitter16;
  /* The last SR from this source. */
  int has_sr;
  uint64_t sr_ntp;
  sansrtc_tstamp sr_arrival;
} remote;

typedef struct local {
  int used;
  sansrtc_rtp_stats_local_config cfg;
  uint64_t packets;
  uint64_t octets;
  int has_sent;
  uint32_t last_ts;
  sansrtc_tstamp last_time;
  uint64_t packets_at_report[2]; /* [0] last report, [1] the one before */
  int has_report;
  sansrtc_rtcp_report report;
  int has_rtt;
  sansrtc_tstamp rtt;
} local;

struct sansrtc_rtp_stats {
  sansrtc_rtp_stats_config cfg;
  char cname[SANSRTC_RTP_STATS_CNAME_MAX + 1];
  size_t cname_len;
  sansrtc_logger log;
  local *locals;
  remote *remotes;
  sansrtc_tstamp deadline;
  int due;
};

/* ------------------------------------------------------------------------ */
/* Time conversions                                                         */
/* ------------------------------------------------------------------------ */

/* ns converted to units of 1/rate s, truncated; no overflow for any ns. */
static uint64_t ns_to_units(sansrtc_tstamp ns, uint32_t rate) {
  return (ns / NS_PER_S) * rate + (ns % NS_PER_S) * rate / NS_PER_S;
}

static uint64_t ns_to_ntp(sansrtc_tstamp ns) {
  return (ns / NS_PER_S) << 32 | ((ns % NS_PER_S) << 32) / NS_PER_S;
}

uint64_t sansrtc_rtp_stats_ntp(const sansrtc_rtp_stats *s,
                               sansrtc_tstamp now) {
  return (s == NULL ? 0 : s->cfg.ntp_origin) + ns_to_ntp(now);
}

static uint32_t ntp_mid(uint64_t ntp) { return (uint32_t)(ntp >> 16); }

/* ------------------------------------------------------------------------ */
/* Construction                                                             */
/* ------------------------------------------------------------------------ */

void sansrtc_rtp_stats_config_default(sansrtc_rtp_stats_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->interval = SANSRTC_SECONDS;
  cfg->max_local = 4;
  cfg->max_remote = 8;
  cfg->min_sequential = 2;
  cfg->max_dropout = 3000;
  cfg->max_misorder = 100;
}

static int config_ok(const sansrtc_rtp_stats_config *c) {
  if (c->cname == NULL) return 0;
  size_t n = strlen(c->cname);
  return n >= 1 && n <= SANSRTC_RTP_STATS_CNAME_MAX && c->interval > 0 &&
         c->max_local >= 1 && c->max_local <= SANSRTC_RTP_STATS_MAX_STREAMS &&
         c->max_remote >= 1 &&
         c->max_remote <= SANSRTC_RTP_STATS_MAX_STREAMS &&
         c->min_sequential >= 1 && c->max_dropout >= 1 &&
         c->max_dropout <= 32767 && c->max_misorder >= 1 &&
         c->max_misorder <= 32767;
}

/* One report interval drawn from 0.5..1.5 times the configured one. */
static sansrtc_tstamp draw_interval(const sansrtc_rtp_stats *s) {
  uint8_t r[2];
  sansrtc_tstamp iv = s->cfg.interval;
  if (sansrtc_random(s->cfg.random_fn, s->cfg.random_user_data, r, 2) != 0)
    return iv;
  uint64_t u = (uint64_t)rd16(r); /* 0..65535 */
  return iv / 2 + (sansrtc_tstamp)((iv / 65536) * u +
                                   (iv % 65536) * u / 65536);
}

int sansrtc_rtp_stats_new(sansrtc_rtp_stats **out,
                          const sansrtc_rtp_stats_config *cfg,
                          sansrtc_tstamp now) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (cfg == NULL || !config_ok(cfg)) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_rtp_stats *s = calloc(1, sizeof *s);
  if (s == NULL) return SANSRTC_ERR_NOMEM;
  s->locals = calloc(cfg->max_local, sizeof *s->locals);
  s->remotes = calloc(cfg->max_remote, sizeof *s->remotes);
  if (s->locals == NULL || s->remotes == NULL) {
    sansrtc_rtp_stats_del(s);
    return SANSRTC_ERR_NOMEM;
  }
  s->cfg = *cfg;
  s->cname_len = strlen(cfg->cname);
  memcpy(s->cname, cfg->cname, s->cname_len + 1);
  s->cfg.cname = s->cname;
  s->log = (sansrtc_logger){cfg->log_fn, cfg->log_user_data, cfg->log_level};
  s->deadline = now + draw_interval(s) / 2;
  *out = s;
  return SANSRTC_OK;
}

void sansrtc_rtp_stats_del(sansrtc_rtp_stats *s) {
  if (s == NULL) return;
  free(s->locals);
  free(s->remotes);
  free(s);
}

/* ------------------------------------------------------------------------ */
/* Stream tables                                                            */
/* ------------------------------------------------------------------------ */

static local *find_local(const sansrtc_rtp_stats *s, uint32_t ssrc) {
  for (unsigned i = 0; i < s->cfg.max_local; i++)
    if (s->locals[i].used && s->locals[i].cfg.ssrc == ssrc)
      return &s->locals[i];
  return NULL;
}

static remote *find_remote(const sansrtc_rtp_stats *s, uint32_t ssrc) {
  for (unsigned i = 0; i < s->cfg.max_remote; i++)
    if (s->remotes[i].used && s->remotes[i].ssrc == ssrc)
      return &s->remotes[i];
  return NULL;
}

int sansrtc_rtp_stats_add_local(sansrtc_rtp_stats *s,
                                const sansrtc_rtp_stats_local_config *lc) {
  if (s == NULL || lc == NULL || lc->clock_rate == 0 ||
      find_local(s, lc->ssrc) != NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  for (unsigned i = 0; i < s->cfg.max_local; i++) {
    if (s->locals[i].used) continue;
    memset(&s->locals[i], 0, sizeof s->locals[i]);
    s->locals[i].used = 1;
    s->locals[i].cfg = *lc;
    return SANSRTC_OK;
  }
  return SANSRTC_ERR_LIMIT;
}

int sansrtc_rtp_stats_add_remote(sansrtc_rtp_stats *s, uint32_t ssrc,
                                 uint32_t clock_rate) {
  if (s == NULL || clock_rate == 0 || find_remote(s, ssrc) != NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  for (unsigned i = 0; i < s->cfg.max_remote; i++) {
    remote *r = &s->remotes[i];
    if (r->used) continue;
    memset(r, 0, sizeof *r);
    r->used = 1;
    r->ssrc = ssrc;
    r->clock_rate = clock_rate;
    return SANSRTC_OK;
  }
  return SANSRTC_ERR_LIMIT;
}

int sansrtc_rtp_stats_remove_remote(sansrtc_rtp_stats *s, uint32_t ssrc) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  remote *r = find_remote(s, ssrc);
  if (r == NULL) return SANSRTC_ERR_NOT_FOUND;
  r->used = 0;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

int sansrtc_rtp_stats_on_sent(sansrtc_rtp_stats *s, uint32_t ssrc,
                              uint32_t rtp_timestamp, size_t payload_len,
                              sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  local *l = find_local(s, ssrc);
  if (l == NULL) return SANSRTC_ERR_NOT_FOUND;
  l->packets++;
  l->octets += payload_len;
  l->has_sent = 1;
  l->last_ts = rtp_timestamp;
  l->last_time = now;
  return SANSRTC_OK;
}

/* The RTP timestamp of `now`, extrapolated from (ts, at). */
static uint32_t extrapolate(uint32_t ts, sansrtc_tstamp at, uint32_t rate,
                            sansrtc_tstamp now) {
  if (now >= at) return ts + (uint32_t)ns_to_units(now - at, rate);
  return ts - (uint32_t)ns_to_units(at - now, rate);
}

static void sender_info(const sansrtc_rtp_stats *s, const local *l,
                        sansrtc_tstamp now, sansrtc_rtcp_sr_desc *d) {
  memset(d, 0, sizeof *d);
  d->ssrc = l->cfg.ssrc;
  d->ntp = sansrtc_rtp_stats_ntp(s, now);
  if (l->has_sent)
    d->rtp_timestamp =
        extrapolate(l->last_ts, l->last_time, l->cfg.clock_rate, now);
  else
    d->rtp_timestamp = extrapolate(l->cfg.rtp_timestamp, l->cfg.time,
                                   l->cfg.clock_rate, now);
  d->packet_count = (uint32_t)l->packets;
  d->octet_count = (uint32_t)l->octets;
}

int sansrtc_rtp_stats_sender_info(const sansrtc_rtp_stats *s, uint32_t ssrc,
                                  sansrtc_tstamp now,
                                  sansrtc_rtcp_sr_desc *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  const local *l = find_local(s, ssrc);
  if (l == NULL) return SANSRTC_ERR_NOT_FOUND;
  sender_info(s, l, now, out);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Receiving: RFC 3550 A.1 and A.8                                          */
/* ------------------------------------------------------------------------ */

static void init_seq(remote *r, uint16_t seq) {
  r->base_seq = seq;
  r->max_seq = seq;
  r->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
  r->cycles = 0;
  r->received = 0;
  r->received_prior = 0;
  r->expected_prior = 0;
}

/* Probation (A.1): MIN_SEQUENTIAL packets in sequence make a source
 * valid. Returns 1 when this packet completed it. */
static int probation_step(remote *r, uint16_t seq, unsigned min_sequential) {
  if (seq == (uint16_t)(r->max_seq + 1)) {
    r->probation--;
    r->max_seq = seq;
    if (r->probation == 0) {
      init_seq(r, seq);
      r->received++;
      return 1;
    }
  } else {
    r->probation = min_sequential - 1;
    r->max_seq = seq;
  }
  return 0;
}

/* A.1 update_seq for a valid source; 1 when the packet counts. */
static int update_seq(remote *r, uint16_t seq, const sansrtc_rtp_stats_config *c) {
  uint16_t udelta = (uint16_t)(seq - r->max_seq);
  if (udelta < c->max_dropout) {
    if (seq < r->max_seq) r->cycles += SEQ_MOD; /* wrapped */
    r->max_seq = seq;
  } else if (udelta <= SEQ_MOD - c->max_misorder) {
    if (seq != r->bad_seq) { /* a big jump: wait for the next one */
      r->bad_seq = (uint32_t)(uint16_t)(seq + 1);
      r->bad++;
      return 0;
    }
    init_seq(r, seq); /* two in sequence: the sender restarted */
  }
  /* else: duplicate or reordered packet */
  r->received++;
  return 1;
}

/* A.8: transit times in RTP units; jitter16 += |D| - jitter16 / 16. */
static void update_jitter(remote *r, uint32_t rtp_ts, sansrtc_tstamp now) {
  uint32_t arrival = (uint32_t)ns_to_units(now, r->clock_rate);
  uint32_t transit = arrival - rtp_ts;
  if (r->has_transit) {
    int32_t d = (int32_t)(transit - r->transit);
    uint32_t ad = d < 0 ? (uint32_t)0 - (uint32_t)d : (uint32_t)d;
    r->jitter16 += ad - ((r->jitter16 + 8) >> 4);
  }
  r->transit = transit;
  r->has_transit = 1;
}

int sansrtc_rtp_stats_on_received(sansrtc_rtp_stats *s, uint32_t ssrc,
                                  uint16_t seq, uint32_t rtp_timestamp,
                                  sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  remote *r = find_remote(s, ssrc);
  if (r == NULL) return SANSRTC_ERR_NOT_FOUND;
  int counted;
  if (r->received == 0 && r->probation == 0) { /* first packet */
    init_seq(r, seq);
    r->max_seq = (uint16_t)(seq - 1);
    r->probation = s->cfg.min_sequential;
  }
  if (r->probation > 0)
    counted = probation_step(r, seq, s->cfg.min_sequential);
  else
    counted = update_seq(r, seq, &s->cfg);
  if (counted) update_jitter(r, rtp_timestamp, now);
  return counted;
}

/* ------------------------------------------------------------------------ */
/* Report blocks (A.3)                                                      */
/* ------------------------------------------------------------------------ */

static uint32_t extended_max(const remote *r) {
  return r->cycles + r->max_seq;
}

static int64_t expected_of(const remote *r) {
  return (int64_t)extended_max(r) - (int64_t)r->base_seq + 1;
}

static int32_t clamp_lost(int64_t lost) {
  if (lost > LOST_MAX) return LOST_MAX;
  if (lost < LOST_MIN) return LOST_MIN;
  return (int32_t)lost;
}

static uint8_t fraction_lost(const remote *r) {
  int64_t expected_interval = expected_of(r) - (int64_t)r->expected_prior;
  int64_t received_interval =
      (int64_t)r->received - (int64_t)r->received_prior;
  int64_t lost_interval = expected_interval - received_interval;
  if (expected_interval <= 0 || lost_interval <= 0) return 0;
  int64_t f = (lost_interval << 8) / expected_interval;
  return (uint8_t)(f > 255 ? 255 : f);
}

static void block_of(const remote *r, sansrtc_tstamp now,
                     sansrtc_rtcp_report *b) {
  memset(b, 0, sizeof *b);
  b->ssrc = r->ssrc;
  b->fraction_lost = fraction_lost(r);
  b->cumulative_lost = clamp_lost(expected_of(r) - (int64_t)r->received);
  b->highest_seq = extended_max(r);
  b->jitter = r->jitter16 >> 4;
  if (r->has_sr) {
    b->lsr = ntp_mid(r->sr_ntp);
    sansrtc_tstamp d = now > r->sr_arrival ? now - r->sr_arrival : 0;
    uint64_t dlsr = ns_to_units(d, 65536);
    b->dlsr = dlsr > UINT32_MAX ? UINT32_MAX : (uint32_t)dlsr;
  }
}

static int remote_valid(const remote *r) {
  return r->used && r->probation == 0 && r->received > 0;
}

int sansrtc_rtp_stats_report_block(const sansrtc_rtp_stats *s, uint32_t ssrc,
                                   sansrtc_tstamp now,
                                   sansrtc_rtcp_report *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  const remote *r = find_remote(s, ssrc);
  if (r == NULL) return SANSRTC_ERR_NOT_FOUND;
  if (!remote_valid(r)) return SANSRTC_ERR_INVALID_STATE;
  block_of(r, now, out);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Received RTCP                                                            */
/* ------------------------------------------------------------------------ */

/* RFC 3550 6.4.1: RTT = A - LSR - DLSR in 1/65536 s. */
static void use_block(sansrtc_rtp_stats *s, const sansrtc_rtcp_report *b,
                      sansrtc_tstamp now) {
  local *l = find_local(s, b->ssrc);
  if (l == NULL) return;
  l->has_report = 1;
  l->report = *b;
  if (b->lsr == 0) return;
  uint32_t a = ntp_mid(sansrtc_rtp_stats_ntp(s, now));
  uint32_t rtt = a - b->lsr - b->dlsr;
  if (rtt > 0x7FFFFFFFu) return; /* negative: clocks or values are off */
  l->has_rtt = 1;
  l->rtt = (sansrtc_tstamp)(((uint64_t)rtt * NS_PER_S) >> 16);
}

static void use_blocks(sansrtc_rtp_stats *s, const sansrtc_rtcp_reports *rs,
                       sansrtc_tstamp now) {
  sansrtc_rtcp_report b;
  for (size_t i = 0; i < rs->count; i++)
    if (sansrtc_rtcp_report_get(rs, i, &b) == SANSRTC_OK) use_block(s, &b, now);
}

static void use_sr(sansrtc_rtp_stats *s, const sansrtc_rtcp_header *h,
                   sansrtc_tstamp now) {
  sansrtc_rtcp_sr sr;
  if (sansrtc_rtcp_parse_sr(h, &sr) != SANSRTC_OK) return;
  remote *r = find_remote(s, sr.ssrc);
  if (r != NULL) {
    r->has_sr = 1;
    r->sr_ntp = sr.ntp;
    r->sr_arrival = now;
  }
  use_blocks(s, &sr.reports, now);
}

static void use_rr(sansrtc_rtp_stats *s, const sansrtc_rtcp_header *h,
                   sansrtc_tstamp now) {
  sansrtc_rtcp_rr rr;
  if (sansrtc_rtcp_parse_rr(h, &rr) == SANSRTC_OK)
    use_blocks(s, &rr.reports, now);
}

int sansrtc_rtp_stats_on_rtcp(sansrtc_rtp_stats *s, const uint8_t *data,
                              size_t len, sansrtc_tstamp now) {
  if (s == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, data, len);
  int rc;
  while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) {
    sansrtc_rtcp_kind k = sansrtc_rtcp_kind_of(&h);
    if (k == SANSRTC_RTCP_KIND_SR) use_sr(s, &h, now);
    if (k == SANSRTC_RTCP_KIND_RR) use_rr(s, &h, now);
  }
  if (rc < 0) {
    sansrtc_log(&s->log, SANSRTC_LOG_DEBUG, "rtp_stats: malformed RTCP");
    return SANSRTC_ERR_MALFORMED;
  }
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Compound reports                                                         */
/* ------------------------------------------------------------------------ */

/* Sent since the report before last (RFC 3550 6.4). */
static int local_active(const local *l) {
  return l->used && l->packets != l->packets_at_report[1];
}

/* Scratch space for one compound report, on the caller's stack. */
typedef struct report_plan {
  sansrtc_rtcp_report blocks[SANSRTC_RTP_STATS_MAX_STREAMS];
  sansrtc_rtcp_desc pkts[SANSRTC_RTP_STATS_MAX_STREAMS + 1];
  sansrtc_rtcp_sdes_chunk_desc chunks[SANSRTC_RTP_STATS_MAX_STREAMS];
  sansrtc_rtcp_sdes_item cname;
  size_t nblocks, npkts, nchunks;
} report_plan;

static void plan_blocks(const sansrtc_rtp_stats *s, sansrtc_tstamp now,
                        report_plan *p) {
  for (unsigned i = 0; i < s->cfg.max_remote; i++)
    if (remote_valid(&s->remotes[i]))
      block_of(&s->remotes[i], now, &p->blocks[p->nblocks++]);
}

/* The first packet: an SR of the first active stream, else an RR. */
static const local *plan_first(const sansrtc_rtp_stats *s, sansrtc_tstamp now,
                               report_plan *p) {
  sansrtc_rtcp_desc *d = &p->pkts[p->npkts++];
  for (unsigned i = 0; i < s->cfg.max_local; i++) {
    if (!local_active(&s->locals[i])) continue;
    d->kind = SANSRTC_RTCP_KIND_SR;
    sender_info(s, &s->locals[i], now, &d->u.sr);
    d->u.sr.reports = p->blocks;
    d->u.sr.report_count = p->nblocks;
    return &s->locals[i];
  }
  d->kind = SANSRTC_RTCP_KIND_RR;
  d->u.rr.ssrc = s->cfg.ssrc;
  for (unsigned i = 0; i < s->cfg.max_local; i++) {
    if (!s->locals[i].used) continue;
    d->u.rr.ssrc = s->locals[i].cfg.ssrc;
    break;
  }
  d->u.rr.reports = p->blocks;
  d->u.rr.report_count = p->nblocks;
  return NULL;
}

static void plan_chunk(report_plan *p, uint32_t ssrc) {
  sansrtc_rtcp_sdes_chunk_desc *c = &p->chunks[p->nchunks++];
  c->ssrc = ssrc;
  c->items = &p->cname;
  c->item_count = 1;
}

static void plan_report(const sansrtc_rtp_stats *s, sansrtc_tstamp now,
                        report_plan *p) {
  memset(p, 0, sizeof *p);
  plan_blocks(s, now, p);
  const local *first = plan_first(s, now, p);
  for (unsigned i = 0; i < s->cfg.max_local; i++) {
    const local *l = &s->locals[i];
    if (!l->used) continue;
    plan_chunk(p, l->cfg.ssrc);
    if (l == first || !local_active(l)) continue;
    sansrtc_rtcp_desc *d = &p->pkts[p->npkts++];
    d->kind = SANSRTC_RTCP_KIND_SR;
    sender_info(s, l, now, &d->u.sr);
  }
  if (p->nchunks == 0) plan_chunk(p, p->pkts[0].u.rr.ssrc);
  p->cname = (sansrtc_rtcp_sdes_item){SANSRTC_RTCP_SDES_CNAME,
                                      (const uint8_t *)s->cname, s->cname_len};
  sansrtc_rtcp_desc *d = &p->pkts[p->npkts++];
  d->kind = SANSRTC_RTCP_KIND_SDES;
  d->u.sdes.chunks = p->chunks;
  d->u.sdes.chunk_count = p->nchunks;
}

/* A report was sent: new intervals for fraction lost and "active". */
static void commit_report(sansrtc_rtp_stats *s) {
  for (unsigned i = 0; i < s->cfg.max_remote; i++) {
    remote *r = &s->remotes[i];
    if (!remote_valid(r)) continue;
    r->expected_prior = (uint64_t)expected_of(r);
    r->received_prior = r->received;
  }
  for (unsigned i = 0; i < s->cfg.max_local; i++) {
    local *l = &s->locals[i];
    l->packets_at_report[1] = l->packets_at_report[0];
    l->packets_at_report[0] = l->packets;
  }
  s->due = 0;
}

int sansrtc_rtp_stats_write_report(sansrtc_rtp_stats *s, uint8_t *buf,
                                   size_t cap, sansrtc_tstamp now,
                                   size_t *len) {
  if (len != NULL) *len = 0;
  if (s == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  report_plan p;
  plan_report(s, now, &p);
  size_t written = 0, n = 0;
  int rc = sansrtc_rtcp_write_compound(buf, cap, p.pkts, p.npkts, &written, &n);
  if (rc != SANSRTC_OK) return rc;
  if (written != p.npkts) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  commit_report(s);
  *len = n;
  return SANSRTC_OK;
}

int sansrtc_rtp_stats_poll_rtcp(sansrtc_rtp_stats *s, uint8_t *buf, size_t cap,
                                sansrtc_tstamp now, size_t *len) {
  if (len != NULL) *len = 0;
  if (s == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!s->due) return 0;
  int rc = sansrtc_rtp_stats_write_report(s, buf, cap, now, len);
  return rc == SANSRTC_OK ? 1 : rc;
}

sansrtc_tstamp sansrtc_rtp_stats_next_deadline(const sansrtc_rtp_stats *s) {
  return s == NULL ? SANSRTC_TSTAMP_NEVER : s->deadline;
}

int sansrtc_rtp_stats_handle_timeout(sansrtc_rtp_stats *s, sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (now < s->deadline) return SANSRTC_OK;
  s->due = 1;
  s->deadline = now + draw_interval(s);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

int sansrtc_rtp_stats_remote_get(const sansrtc_rtp_stats *s, uint32_t ssrc,
                                 sansrtc_rtp_remote_stats *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  const remote *r = find_remote(s, ssrc);
  if (r == NULL) return SANSRTC_ERR_NOT_FOUND;
  memset(out, 0, sizeof *out);
  out->ssrc = r->ssrc;
  out->clock_rate = r->clock_rate;
  out->valid = remote_valid(r);
  if (out->valid) {
    out->received = r->received;
    out->base_seq = r->base_seq;
    out->extended_max = extended_max(r);
    out->expected = expected_of(r);
    out->lost = out->expected - (int64_t)r->received;
  }
  out->jitter = r->jitter16 >> 4;
  out->bad = r->bad;
  out->has_sr = r->has_sr;
  out->sr_ntp = r->sr_ntp;
  out->sr_arrival = r->sr_arrival;
  return SANSRTC_OK;
}

int sansrtc_rtp_stats_local_get(const sansrtc_rtp_stats *s, uint32_t ssrc,
                                sansrtc_rtp_local_stats *out) {
  if (s == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  const local *l = find_local(s, ssrc);
  if (l == NULL) return SANSRTC_ERR_NOT_FOUND;
  memset(out, 0, sizeof *out);
  out->ssrc = l->cfg.ssrc;
  out->clock_rate = l->cfg.clock_rate;
  out->packets = l->packets;
  out->octets = l->octets;
  out->has_report = l->has_report;
  out->report = l->report;
  out->has_rtt = l->has_rtt;
  out->rtt = l->rtt;
  return SANSRTC_OK;
}
