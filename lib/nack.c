/*
 * nack.c - the NACK / retransmission loop (RFC 4585 6.2.1, RFC 4588): the
 * sender's history of sent packets answering NACKs, the receiver's NACK
 * generator, and RTX unwrapping. See include/sansrtc/nack.h and
 * docs/nack.md.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/nack.h>
#include <sansrtc/rtcp.h>
#include <sansrtc/rtp.h>

#include "internal.h"

#define RTX_OSN_LEN 2          /* RFC 4588 4: original sequence number */
#define RTP_P_BIT 0x20u        /* padding bit of the first header byte */
#define NACK_FIXED 12u         /* RTCP header + sender and media SSRCs */
#define NACK_MAX_PAIRS 65000u  /* keeps the 16-bit RTCP length valid */
#define EXT_ORIGIN (1ull << 32) /* first extended sequence number's base */

/* ---- RTX mapping ------------------------------------------------------ */

static int rtx_config_valid(const sansrtc_rtx_config *rtx) {
  if (rtx->map_count > SANSRTC_RTX_MAX_MAP) return 0;
  for (size_t i = 0; i < rtx->map_count; i++)
    if (rtx->map[i].pt > 127 || rtx->map[i].rtx_pt > 127) return 0;
  return 1;
}

/* The RTX payload type for `pt`, or -1 when it has no mapping. */
static int rtx_pt_for(const sansrtc_rtx_config *rtx, uint8_t pt) {
  for (size_t i = 0; i < rtx->map_count; i++)
    if (rtx->map[i].pt == pt) return rtx->map[i].rtx_pt;
  return -1;
}

/* The original payload type for RTX payload type `rtx_pt`, or -1. */
static int apt_for(const sansrtc_rtx_config *rtx, uint8_t rtx_pt) {
  for (size_t i = 0; i < rtx->map_count; i++)
    if (rtx->map[i].rtx_pt == rtx_pt) return rtx->map[i].pt;
  return -1;
}

int sansrtc_rtx_unwrap(const sansrtc_rtx_config *rtx, uint32_t media_ssrc,
                       uint8_t *pkt, size_t *len) {
  if (rtx == NULL || pkt == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_rtp_packet p;
  if (sansrtc_rtp_parse(&p, pkt, *len) != SANSRTC_OK)
    return SANSRTC_ERR_MALFORMED;
  int apt = apt_for(rtx, p.payload_type);
  if (p.ssrc != rtx->rtx_ssrc || apt < 0) return SANSRTC_ERR_NOT_FOUND;
  if (p.payload.len < RTX_OSN_LEN) return SANSRTC_ERR_MALFORMED;
  uint16_t osn = rd16(p.payload.data);
  size_t body = p.payload.len - RTX_OSN_LEN;
  pkt[0] = (uint8_t)(pkt[0] & ~RTP_P_BIT);
  pkt[1] = (uint8_t)((pkt[1] & 0x80u) | (unsigned)apt);
  wr16(pkt + 2, osn);
  wr32(pkt + 8, media_ssrc);
  memmove(pkt + p.header_len, pkt + p.header_len + RTX_OSN_LEN, body);
  *len = p.header_len + body;
  return SANSRTC_OK;
}

/* ---- sender ----------------------------------------------------------- */

typedef struct history_slot {
  sansrtc_tstamp sent;    /* when on_sent stored it */
  sansrtc_tstamp resent;  /* when poll last handed it out */
  uint32_t len;           /* 0: empty */
  uint16_t seq;
  uint8_t has_resent;
  uint8_t queued;         /* in the resend queue */
} history_slot;

typedef struct resend_entry {
  uint32_t slot;
  uint16_t seq;
} resend_entry;

struct sansrtc_nack_sender {
  sansrtc_nack_sender_config cfg;
  history_slot *slots;   /* history_size */
  uint8_t *data;         /* history_size * max_packet_size bytes */
  resend_entry *queue;   /* ring of history_size entries */
  size_t q_head, q_count;
  uint16_t rtx_seq;      /* next RTX sequence number */
  sansrtc_nack_sender_stats stats;
};

void sansrtc_nack_sender_config_default(sansrtc_nack_sender_config *config) {
  if (config == NULL) return;
  memset(config, 0, sizeof *config);
  config->history_size = 512;
  config->max_packet_size = 1500;
  config->min_resend_interval = 10 * SANSRTC_MILLISECONDS;
  config->max_age = 1 * SANSRTC_SECONDS;
}

static int sender_config_valid(const sansrtc_nack_sender_config *c) {
  return c->history_size >= 1 && c->history_size <= 32768 &&
         c->max_packet_size >= SANSRTC_RTP_HEADER_SIZE &&
         c->max_packet_size <= 65535 && rtx_config_valid(&c->rtx);
}

int sansrtc_nack_sender_new(sansrtc_nack_sender **out,
                            const sansrtc_nack_sender_config *config) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || !sender_config_valid(config))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_nack_sender *s = calloc(1, sizeof *s);
  if (s == NULL) return SANSRTC_ERR_NOMEM;
  s->cfg = *config;
  s->rtx_seq = config->rtx_first_seq;
  s->slots = calloc(config->history_size, sizeof *s->slots);
  s->data = malloc(config->history_size * config->max_packet_size);
  s->queue = calloc(config->history_size, sizeof *s->queue);
  if (s->slots == NULL || s->data == NULL || s->queue == NULL) {
    sansrtc_nack_sender_del(s);
    return SANSRTC_ERR_NOMEM;
  }
  *out = s;
  return SANSRTC_OK;
}

void sansrtc_nack_sender_del(sansrtc_nack_sender *s) {
  if (s == NULL) return;
  free(s->slots);
  free(s->data);
  free(s->queue);
  free(s);
}

static uint8_t *slot_data(const sansrtc_nack_sender *s, size_t slot) {
  return s->data + slot * s->cfg.max_packet_size;
}

int sansrtc_nack_sender_on_sent(sansrtc_nack_sender *s, const uint8_t *pkt,
                                size_t len, sansrtc_tstamp now) {
  if (s == NULL || pkt == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_rtp_packet p;
  if (sansrtc_rtp_parse(&p, pkt, len) != SANSRTC_OK)
    return SANSRTC_ERR_MALFORMED;
  if (p.ssrc != s->cfg.ssrc) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len > s->cfg.max_packet_size) return SANSRTC_ERR_LIMIT;
  size_t i = p.sequence % s->cfg.history_size;
  history_slot *h = &s->slots[i];
  memcpy(slot_data(s, i), pkt, len);
  h->sent = now;
  h->len = (uint32_t)len;
  h->seq = p.sequence;
  h->has_resent = 0;
  h->queued = 0; /* a queue entry for the old packet is now stale */
  s->stats.packets_stored++;
  return SANSRTC_OK;
}

/* Whether slot `i` holds `seq`, sent no longer than max_age before now. */
static int slot_live(const sansrtc_nack_sender *s, size_t i, uint16_t seq,
                     sansrtc_tstamp now) {
  const history_slot *h = &s->slots[i];
  return h->len > 0 && h->seq == seq && now - h->sent <= s->cfg.max_age;
}

static void request_one(sansrtc_nack_sender *s, uint16_t seq,
                        sansrtc_tstamp now) {
  s->stats.requests++;
  size_t i = seq % s->cfg.history_size;
  history_slot *h = &s->slots[i];
  if (h->len == 0 || h->seq != seq) {
    s->stats.requests_unknown++;
    return;
  }
  if (now - h->sent > s->cfg.max_age) {
    s->stats.requests_too_old++;
    return;
  }
  if (h->queued || s->q_count == s->cfg.history_size ||
      (h->has_resent && now - h->resent < s->cfg.min_resend_interval)) {
    s->stats.requests_suppressed++;
    return;
  }
  size_t tail = (s->q_head + s->q_count) % s->cfg.history_size;
  s->queue[tail].slot = (uint32_t)i;
  s->queue[tail].seq = seq;
  s->q_count++;
  h->queued = 1;
}

/* Queues the packets of one NACK, a pair at a time (17 numbers at most). */
static void take_nack(sansrtc_nack_sender *s, const sansrtc_rtcp_nack *n,
                      sansrtc_tstamp now) {
  s->stats.nacks_received++;
  for (size_t k = 0; k < n->pair_count; k++) {
    sansrtc_rtcp_nack one = *n;
    one.pair_count = 1;
    one.pairs.data = n->pairs.data + 4 * k;
    one.pairs.len = 4;
    uint16_t lost[17];
    size_t count = 0;
    if (sansrtc_rtcp_nack_lost(&one, lost, 17, &count) != SANSRTC_OK) continue;
    for (size_t j = 0; j < count; j++) request_one(s, lost[j], now);
  }
}

int sansrtc_nack_sender_on_rtcp(sansrtc_nack_sender *s, const uint8_t *rtcp,
                                size_t len, sansrtc_tstamp now) {
  if (s == NULL || (rtcp == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, rtcp, len);
  int rc;
  while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) {
    if (sansrtc_rtcp_kind_of(&h) != SANSRTC_RTCP_KIND_NACK) continue;
    sansrtc_rtcp_nack n;
    if (sansrtc_rtcp_parse_nack(&h, &n) != SANSRTC_OK)
      return SANSRTC_ERR_MALFORMED;
    if (n.media_ssrc == s->cfg.ssrc) take_nack(s, &n, now);
  }
  return rc == 0 ? SANSRTC_OK : SANSRTC_ERR_MALFORMED;
}

/* Writes slot `i` in RTX form. */
static int write_rtx(sansrtc_nack_sender *s, size_t i, uint8_t rtx_pt,
                     uint8_t *buf, size_t cap, size_t *len) {
  const uint8_t *src = slot_data(s, i);
  sansrtc_rtp_packet p;
  if (sansrtc_rtp_parse(&p, src, s->slots[i].len) != SANSRTC_OK)
    return SANSRTC_ERR_MALFORMED; /* impossible: checked by on_sent */
  size_t need = p.header_len + RTX_OSN_LEN + p.payload.len;
  if (cap < need) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  memcpy(buf, src, p.header_len);
  buf[0] = (uint8_t)(buf[0] & ~RTP_P_BIT);
  buf[1] = (uint8_t)((buf[1] & 0x80u) | rtx_pt);
  wr16(buf + 2, s->rtx_seq);
  wr32(buf + 8, s->cfg.rtx.rtx_ssrc);
  wr16(buf + p.header_len, p.sequence);
  memcpy(buf + p.header_len + RTX_OSN_LEN, p.payload.data, p.payload.len);
  s->rtx_seq++;
  s->stats.rtx_packets++;
  *len = need;
  return SANSRTC_OK;
}

static int write_resend(sansrtc_nack_sender *s, size_t i, uint8_t *buf,
                        size_t cap, size_t *len) {
  const history_slot *h = &s->slots[i];
  int rtx_pt = rtx_pt_for(&s->cfg.rtx, slot_data(s, i)[1] & 0x7Fu);
  if (rtx_pt >= 0) return write_rtx(s, i, (uint8_t)rtx_pt, buf, cap, len);
  if (cap < h->len) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  memcpy(buf, slot_data(s, i), h->len);
  *len = h->len;
  return SANSRTC_OK;
}

int sansrtc_nack_sender_poll(sansrtc_nack_sender *s, sansrtc_tstamp now,
                             uint8_t *buf, size_t cap, size_t *len) {
  if (s == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  while (s->q_count > 0) {
    const resend_entry *e = &s->queue[s->q_head];
    history_slot *h = &s->slots[e->slot];
    if (h->queued && slot_live(s, e->slot, e->seq, now)) {
      int rc = write_resend(s, e->slot, buf, cap, len);
      if (rc == SANSRTC_ERR_BUFFER_TOO_SMALL) return rc;
      h->has_resent = rc == SANSRTC_OK;
      h->resent = now;
      h->queued = 0;
      s->q_head = (s->q_head + 1) % s->cfg.history_size;
      s->q_count--;
      if (rc != SANSRTC_OK) continue;
      s->stats.packets_resent++;
      return SANSRTC_OK;
    }
    if (h->seq == e->seq) h->queued = 0; /* expired while queued */
    s->q_head = (s->q_head + 1) % s->cfg.history_size;
    s->q_count--;
  }
  return SANSRTC_ERR_NOT_FOUND;
}

void sansrtc_nack_sender_get_stats(const sansrtc_nack_sender *s,
                                   sansrtc_nack_sender_stats *stats) {
  if (s == NULL || stats == NULL) return;
  *stats = s->stats;
}

/* ---- generator -------------------------------------------------------- */

typedef struct missing_entry {
  uint64_t ext;               /* extended sequence number */
  sansrtc_tstamp first_seen;  /* when the gap was noticed */
  sansrtc_tstamp next_at;     /* when the next NACK is due */
  uint32_t retries;           /* NACKs sent for it */
} missing_entry;

struct sansrtc_nack_generator {
  sansrtc_nack_generator_config cfg;
  missing_entry *list; /* ring of max_missing entries, ascending ext */
  size_t head, count;
  uint16_t *scratch;   /* max_missing sequence numbers for one NACK */
  int started;
  uint64_t highest;    /* highest extended sequence number seen */
  sansrtc_tstamp rtt;
  sansrtc_nack_generator_stats stats;
};

void sansrtc_nack_generator_config_default(
    sansrtc_nack_generator_config *config) {
  if (config == NULL) return;
  memset(config, 0, sizeof *config);
  config->max_missing = 1000;
  config->reorder_wait = 10 * SANSRTC_MILLISECONDS;
  config->initial_rtt = 100 * SANSRTC_MILLISECONDS;
  config->max_retries = 10;
  config->max_age = 1 * SANSRTC_SECONDS;
  config->reset_jump = 1000;
}

static sansrtc_tstamp clamp_rtt(sansrtc_tstamp rtt) {
  if (rtt < SANSRTC_MILLISECONDS) return SANSRTC_MILLISECONDS;
  if (rtt > 10 * SANSRTC_SECONDS) return 10 * SANSRTC_SECONDS;
  return rtt;
}

int sansrtc_nack_generator_new(sansrtc_nack_generator **out,
                               const sansrtc_nack_generator_config *config) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (config == NULL || config->max_missing < 1 ||
      config->max_missing > 65535 || config->max_retries < 1 ||
      config->reset_jump < 1 || config->reset_jump > 32767)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_nack_generator *g = calloc(1, sizeof *g);
  if (g == NULL) return SANSRTC_ERR_NOMEM;
  g->cfg = *config;
  g->rtt = clamp_rtt(config->initial_rtt);
  g->list = calloc(config->max_missing, sizeof *g->list);
  g->scratch = calloc(config->max_missing, sizeof *g->scratch);
  if (g->list == NULL || g->scratch == NULL) {
    sansrtc_nack_generator_del(g);
    return SANSRTC_ERR_NOMEM;
  }
  *out = g;
  return SANSRTC_OK;
}

void sansrtc_nack_generator_del(sansrtc_nack_generator *g) {
  if (g == NULL) return;
  free(g->list);
  free(g->scratch);
  free(g);
}

static missing_entry *entry_at(const sansrtc_nack_generator *g, size_t k) {
  return &g->list[(g->head + k) % g->cfg.max_missing];
}

static void drop_oldest(sansrtc_nack_generator *g) {
  g->head = (g->head + 1) % g->cfg.max_missing;
  g->count--;
  g->stats.given_up++;
}

static void add_missing(sansrtc_nack_generator *g, uint64_t ext,
                        sansrtc_tstamp now) {
  if (g->count == g->cfg.max_missing) drop_oldest(g);
  missing_entry *e = entry_at(g, g->count);
  e->ext = ext;
  e->first_seen = now;
  e->next_at = now + g->cfg.reorder_wait;
  e->retries = 0;
  g->count++;
}

/* Removes entry k, keeping the order (the ring closes up behind it). */
static void remove_at(sansrtc_nack_generator *g, size_t k) {
  for (size_t j = k; j + 1 < g->count; j++)
    *entry_at(g, j) = *entry_at(g, j + 1);
  g->count--;
}

/* Index of `ext` in the list, or -1 (binary search: the list ascends). */
static long find_missing(const sansrtc_nack_generator *g, uint64_t ext) {
  size_t lo = 0, hi = g->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t v = entry_at(g, mid)->ext;
    if (v == ext) return (long)mid;
    if (v < ext)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static void restart(sansrtc_nack_generator *g, uint16_t seq) {
  g->stats.given_up += g->count;
  g->head = 0;
  g->count = 0;
  g->started = 1;
  g->highest = EXT_ORIGIN + seq;
}

static void on_old(sansrtc_nack_generator *g, uint64_t ext) {
  long k = find_missing(g, ext);
  if (k < 0) {
    g->stats.packets_duplicate++;
    return;
  }
  if (entry_at(g, (size_t)k)->retries > 0)
    g->stats.recovered++;
  else
    g->stats.reordered++;
  remove_at(g, (size_t)k);
}

void sansrtc_nack_generator_on_packet(sansrtc_nack_generator *g, uint16_t seq,
                                      sansrtc_tstamp now) {
  if (g == NULL) return;
  g->stats.packets_received++;
  if (!g->started) {
    restart(g, seq);
    return;
  }
  int32_t diff = (int16_t)(uint16_t)(seq - (uint16_t)g->highest);
  uint64_t ext = (uint64_t)((int64_t)g->highest + diff);
  if (diff > (int32_t)g->cfg.reset_jump || -diff > (int32_t)g->cfg.reset_jump) {
    g->stats.resets++;
    restart(g, seq);
    return;
  }
  if (diff <= 0) {
    on_old(g, ext);
    return;
  }
  for (uint64_t m = g->highest + 1; m < ext; m++) add_missing(g, m, now);
  g->highest = ext;
}

void sansrtc_nack_generator_set_rtt(sansrtc_nack_generator *g,
                                    sansrtc_tstamp rtt) {
  if (g != NULL) g->rtt = clamp_rtt(rtt);
}

static sansrtc_tstamp expiry(const sansrtc_nack_generator *g,
                             const missing_entry *e) {
  return e->first_seen + g->cfg.max_age;
}

sansrtc_tstamp sansrtc_nack_generator_next_deadline(
    const sansrtc_nack_generator *g) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  if (g == NULL) return t;
  for (size_t k = 0; k < g->count; k++) {
    const missing_entry *e = entry_at(g, k);
    if (e->next_at < t) t = e->next_at;
    if (expiry(g, e) < t) t = expiry(g, e);
  }
  return t;
}

static int entry_dead(const sansrtc_nack_generator *g, const missing_entry *e,
                      sansrtc_tstamp now) {
  return now >= expiry(g, e) ||
         (e->retries >= g->cfg.max_retries && now >= e->next_at);
}

void sansrtc_nack_generator_handle_timeout(sansrtc_nack_generator *g,
                                           sansrtc_tstamp now) {
  if (g == NULL) return;
  size_t kept = 0, n = g->count;
  for (size_t k = 0; k < n; k++) {
    missing_entry e = *entry_at(g, k);
    if (entry_dead(g, &e, now)) {
      g->stats.given_up++;
      continue;
    }
    *entry_at(g, kept++) = e;
  }
  g->count = kept;
}

/* Picks the entries due at `now`, oldest first, while their PID/BLP pairs
 * (packed as sansrtc_rtcp_write_nack packs them) fit in `cap` bytes. */
static size_t pick_due(sansrtc_nack_generator *g, sansrtc_tstamp now,
                       size_t cap) {
  size_t n = 0, pairs = 0;
  uint16_t pid = 0;
  for (size_t k = 0; k < g->count; k++) {
    const missing_entry *e = entry_at(g, k);
    if (e->next_at > now) continue;
    uint16_t seq = (uint16_t)e->ext;
    int new_pair = n == 0 || (uint16_t)(seq - pid) > 16;
    if (new_pair) {
      if (pairs == NACK_MAX_PAIRS || NACK_FIXED + 4 * (pairs + 1) > cap) break;
      pairs++;
      pid = seq;
    }
    g->scratch[n++] = seq;
  }
  return n;
}

/* Moves the first `n` due entries one RTT later. */
static void reschedule(sansrtc_nack_generator *g, sansrtc_tstamp now,
                       size_t n) {
  for (size_t k = 0; k < g->count && n > 0; k++) {
    missing_entry *e = entry_at(g, k);
    if (e->next_at > now) continue;
    e->retries++;
    e->next_at = now + g->rtt;
    n--;
  }
}

int sansrtc_nack_generator_poll(sansrtc_nack_generator *g, sansrtc_tstamp now,
                                uint8_t *buf, size_t cap, size_t *len) {
  if (g == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (cap < NACK_FIXED + 4) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  sansrtc_nack_generator_handle_timeout(g, now);
  size_t n = pick_due(g, now, cap);
  if (n == 0) return SANSRTC_ERR_NOT_FOUND;
  sansrtc_rtcp_nack_desc d = {g->cfg.sender_ssrc, g->cfg.media_ssrc,
                              g->scratch, n};
  int rc = sansrtc_rtcp_write_nack(buf, cap, &d, len);
  if (rc != SANSRTC_OK) return rc; /* impossible: pick_due sized it */
  reschedule(g, now, n);
  g->stats.nacks_sent++;
  g->stats.packets_requested += n;
  return SANSRTC_OK;
}

size_t sansrtc_nack_generator_missing(const sansrtc_nack_generator *g) {
  return g == NULL ? 0 : g->count;
}

void sansrtc_nack_generator_get_stats(const sansrtc_nack_generator *g,
                                      sansrtc_nack_generator_stats *stats) {
  if (g == NULL || stats == NULL) return;
  *stats = g->stats;
}
