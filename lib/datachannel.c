/*
 * datachannel.c - data channels (RFC 8831) and DCEP (RFC 8832) over a
 * sansrtc_sctp association.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/datachannel.h>

#include "dgram_queue.h"
#include "internal.h"

#define DCEP_OPEN_HEADER 12
#define EVENT_HEADER 4 /* type u8, id u16, binary u8 */
#define SEND_HEADER 4  /* ppid u32 */

/* ------------------------------------------------------------------------ */
/* DCEP                                                                     */
/* ------------------------------------------------------------------------ */

static int known_channel_type(uint8_t t) {
  uint8_t base = t & (uint8_t)~SANSRTC_DCEP_UNORDERED_BIT;
  return base == SANSRTC_DCEP_RELIABLE ||
         base == SANSRTC_DCEP_PARTIAL_RELIABLE_REXMIT ||
         base == SANSRTC_DCEP_PARTIAL_RELIABLE_TIMED;
}

int sansrtc_dcep_parse_open(sansrtc_dcep_open *out, const uint8_t *data,
                            size_t len) {
  if (out == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len < DCEP_OPEN_HEADER || data[0] != SANSRTC_DCEP_OPEN ||
      !known_channel_type(data[1]))
    return SANSRTC_ERR_MALFORMED;
  size_t label_len = rd16(data + 8), protocol_len = rd16(data + 10);
  if (len != DCEP_OPEN_HEADER + label_len + protocol_len)
    return SANSRTC_ERR_MALFORMED;
  out->channel_type = data[1];
  out->priority = rd16(data + 2);
  out->reliability = rd32(data + 4);
  out->label = data + DCEP_OPEN_HEADER;
  out->label_len = label_len;
  out->protocol = data + DCEP_OPEN_HEADER + label_len;
  out->protocol_len = protocol_len;
  return SANSRTC_OK;
}

int sansrtc_dcep_write_open(const sansrtc_dcep_open *o, uint8_t *buf,
                            size_t cap) {
  if (o == NULL || buf == NULL || o->label_len > 0xFFFF ||
      o->protocol_len > 0xFFFF || (o->label == NULL && o->label_len > 0) ||
      (o->protocol == NULL && o->protocol_len > 0) ||
      !known_channel_type(o->channel_type))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t need = DCEP_OPEN_HEADER + o->label_len + o->protocol_len;
  if (need > cap) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  buf[0] = SANSRTC_DCEP_OPEN;
  buf[1] = o->channel_type;
  wr16(buf + 2, o->priority);
  wr32(buf + 4, o->reliability);
  wr16(buf + 8, (uint16_t)o->label_len);
  wr16(buf + 10, (uint16_t)o->protocol_len);
  if (o->label_len > 0) memcpy(buf + DCEP_OPEN_HEADER, o->label, o->label_len);
  if (o->protocol_len > 0)
    memcpy(buf + DCEP_OPEN_HEADER + o->label_len, o->protocol,
           o->protocol_len);
  return (int)need;
}

/* ------------------------------------------------------------------------ */
/* Channel set                                                              */
/* ------------------------------------------------------------------------ */

typedef enum dc_state {
  DC_FREE = 0,
  DC_CONNECTING, /* ours, OPEN sent or to be sent, no ACK yet */
  DC_OPEN,
  DC_CLOSING,
  DC_CLOSED_WAIT /* both directions reset: freed after the event */
} dc_state;

typedef struct dc_channel {
  dc_state state;
  uint16_t id;
  uint8_t channel_type; /* DCEP type: ordering and reliability */
  uint32_t reliability;
  int negotiated;
  int dcep_sent;        /* our OPEN, or the ACK of the peer's, is in SCTP */
  int ack_owed;         /* the ACK of the peer's OPEN is not in SCTP yet */
  int reset_in, reset_out;
  char *label, *protocol;
  sansrtc_dgram_queue pending; /* ppid + message, not yet in SCTP */
  size_t buffered;             /* payload bytes in `pending` */
  size_t low_threshold;
} dc_channel;

struct sansrtc_datachannels {
  sansrtc_datachannels_config cfg;
  sansrtc_sctp *sctp;
  dc_channel *ch; /* n_ch slots, grown on demand up to max_channels */
  unsigned n_ch;
  int sctp_up;
  sansrtc_dgram_queue events; /* event header + payload */
  uint8_t *scratch;           /* one SCTP message */
  size_t scratch_cap;
};

void sansrtc_dc_init_default(sansrtc_dc_init *init) {
  if (init == NULL) return;
  memset(init, 0, sizeof *init);
  init->ordered = 1;
  init->max_retransmits = -1;
  init->max_packet_lifetime_ms = -1;
}

void sansrtc_datachannels_config_default(sansrtc_datachannels_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->max_channels = 128;
  cfg->max_buffered_per_channel = 16u * 1024 * 1024;
}

int sansrtc_datachannels_new(sansrtc_datachannels **out, sansrtc_sctp *sctp,
                             const sansrtc_datachannels_config *cfg) {
  if (out == NULL || sctp == NULL || cfg == NULL || cfg->max_channels == 0 ||
      cfg->max_channels > 65535)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_datachannels *set = calloc(1, sizeof *set);
  if (set == NULL) return SANSRTC_ERR_NOMEM;
  size_t rx = sansrtc_sctp_max_message_size(sctp);
  size_t tx = sansrtc_sctp_max_send_size(sctp);
  set->scratch_cap = rx > tx ? rx : tx;
  set->scratch = malloc(set->scratch_cap);
  if (set->scratch == NULL) {
    free(set);
    return SANSRTC_ERR_NOMEM;
  }
  set->cfg = *cfg;
  set->sctp = sctp;
  sansrtc_dgram_queue_init(&set->events, SIZE_MAX);
  *out = set;
  return SANSRTC_OK;
}

static void free_channel(dc_channel *c) {
  free(c->label);
  free(c->protocol);
  sansrtc_dgram_queue_free(&c->pending);
  memset(c, 0, sizeof *c);
}

void sansrtc_datachannels_del(sansrtc_datachannels *set) {
  if (set == NULL) return;
  for (unsigned i = 0; i < set->n_ch; i++)
    free_channel(&set->ch[i]);
  free(set->ch);
  free(set->scratch);
  sansrtc_dgram_queue_free(&set->events);
  free(set);
}

static dc_channel *find(const sansrtc_datachannels *set, uint16_t id) {
  for (unsigned i = 0; i < set->n_ch; i++)
    if (set->ch[i].state != DC_FREE && set->ch[i].id == id) return &set->ch[i];
  return NULL;
}

/* A free slot, growing the table (which moves every slot) when all are
 * taken; NULL at max_channels or out of memory. */
static dc_channel *free_slot(sansrtc_datachannels *set) {
  for (unsigned i = 0; i < set->n_ch; i++)
    if (set->ch[i].state == DC_FREE) return &set->ch[i];
  if (set->n_ch == set->cfg.max_channels) return NULL;
  unsigned n = set->n_ch ? 2 * set->n_ch : 4;
  if (n > set->cfg.max_channels) n = set->cfg.max_channels;
  dc_channel *t = realloc(set->ch, n * sizeof *t);
  if (t == NULL) return NULL;
  unsigned first_new = set->n_ch;
  memset(t + first_new, 0, (n - first_new) * sizeof *t);
  set->ch = t;
  set->n_ch = n;
  return &set->ch[first_new];
}

static int emit(sansrtc_datachannels *set, sansrtc_dc_event_type type,
                uint16_t id, int binary, const uint8_t *data, size_t len) {
  uint8_t h[EVENT_HEADER];
  h[0] = (uint8_t)type;
  wr16(h + 1, id);
  h[3] = (uint8_t)(binary != 0);
  return sansrtc_dgram_queue_push2(&set->events, h, sizeof h, data, len);
}

static char *copy_text(const uint8_t *s, size_t len, size_t max) {
  if (len > max) len = max;
  char *t = malloc(len + 1);
  if (t == NULL) return NULL;
  if (len > 0) memcpy(t, s, len);
  t[len] = '\0';
  return t;
}

/* SCTP reliability parameters of a channel. */
static void channel_reliability(const dc_channel *c, int *unordered,
                                sansrtc_sctp_pr_policy *policy) {
  uint8_t base = c->channel_type & (uint8_t)~SANSRTC_DCEP_UNORDERED_BIT;
  *unordered = (c->channel_type & SANSRTC_DCEP_UNORDERED_BIT) != 0;
  *policy = base == SANSRTC_DCEP_PARTIAL_RELIABLE_REXMIT ? SANSRTC_SCTP_PR_RTX
            : base == SANSRTC_DCEP_PARTIAL_RELIABLE_TIMED ? SANSRTC_SCTP_PR_TTL
                                                          : SANSRTC_SCTP_PR_NONE;
}

static void reset_outgoing(sansrtc_datachannels *set, dc_channel *c);

/* Hands queued messages to SCTP while it has room; a closing channel's
 * stream is reset once its queue is empty. */
static void flush_channel(sansrtc_datachannels *set, dc_channel *c) {
  if (!set->sctp_up || c->state == DC_FREE || c->reset_out) return;
  int unordered;
  sansrtc_sctp_pr_policy policy;
  channel_reliability(c, &unordered, &policy);
  /* RFC 8832 6: ordered until the peer's ACK, so data never overtakes the
   * OPEN. */
  if (c->state == DC_CONNECTING && !c->negotiated) unordered = 0;
  size_t before = c->buffered;
  const uint8_t *entry;
  size_t entry_len;
  /* Sent from where it is queued: a message usrsctp has no room for yet
   * is tried again later without being copied again. */
  while (sansrtc_dgram_queue_front(&c->pending, &entry, &entry_len) == 1) {
    if (entry_len <= SEND_HEADER) { /* cannot happen: queued with a header */
      sansrtc_dgram_queue_drop(&c->pending);
      continue;
    }
    uint32_t ppid = rd32(entry);
    size_t len = entry_len - SEND_HEADER;
    /* Several small messages share packets: held while more follow, and
     * the last one pushes them all out. */
    (void)sansrtc_sctp_set_bundling(set->sctp, c->pending.count > 1);
    int rc = sansrtc_sctp_send(set->sctp, c->id, ppid, entry + SEND_HEADER, len,
                               unordered, policy, c->reliability);
    if (rc == SANSRTC_ERR_LIMIT) break; /* no room: stays first in line */
    /* Sent, or refused for good (e.g. the association went away). */
    sansrtc_dgram_queue_drop(&c->pending);
    if (rc != SANSRTC_OK)
      (void)emit(set, SANSRTC_DC_EVENT_ERROR, c->id, 0, NULL, 0);
    int empty = ppid == SANSRTC_PPID_STRING_EMPTY ||
                ppid == SANSRTC_PPID_BINARY_EMPTY;
    size_t payload = empty ? 0 : len;
    c->buffered -= payload < c->buffered ? payload : c->buffered;
  }
  (void)sansrtc_sctp_set_bundling(set->sctp, 0);
  if (before > c->low_threshold && c->buffered <= c->low_threshold)
    (void)emit(set, SANSRTC_DC_EVENT_BUFFERED_LOW, c->id, 0, NULL, 0);
  if (c->state == DC_CLOSING && c->pending.count == 0) reset_outgoing(set, c);
}

static int send_dcep_open(sansrtc_datachannels *set, dc_channel *c) {
  sansrtc_dcep_open o;
  memset(&o, 0, sizeof o);
  o.channel_type = c->channel_type;
  o.reliability = c->reliability;
  o.label = (const uint8_t *)c->label;
  o.label_len = strlen(c->label);
  o.protocol = (const uint8_t *)c->protocol;
  o.protocol_len = strlen(c->protocol);
  int n = sansrtc_dcep_write_open(&o, set->scratch, set->scratch_cap);
  if (n < 0) return n;
  return sansrtc_sctp_send(set->sctp, c->id, SANSRTC_PPID_DCEP, set->scratch,
                           (size_t)n, 0, SANSRTC_SCTP_PR_NONE, 0);
}

static int send_dcep_ack(sansrtc_datachannels *set, const dc_channel *c) {
  static const uint8_t ack[1] = {SANSRTC_DCEP_ACK};
  return sansrtc_sctp_send(set->sctp, c->id, SANSRTC_PPID_DCEP, ack, 1, 0,
                           SANSRTC_SCTP_PR_NONE, 0);
}

/* Hands the channel's owed DCEP message (our OPEN, or the ACK of the
 * peer's) to SCTP. Returns 1 when nothing is owed any more, 0 when SCTP
 * had no room (retried on the next process call). */
static int send_owed_dcep(sansrtc_datachannels *set, dc_channel *c) {
  int owe_open = !c->negotiated && c->state == DC_CONNECTING && !c->dcep_sent;
  if (!owe_open && !c->ack_owed) return 1;
  int rc = c->ack_owed ? send_dcep_ack(set, c) : send_dcep_open(set, c);
  if (rc == SANSRTC_ERR_LIMIT) return 0;
  if (rc != SANSRTC_OK) (void)emit(set, SANSRTC_DC_EVENT_ERROR, c->id, 0, NULL, 0);
  c->ack_owed = 0;
  c->dcep_sent = 1;
  return 1;
}

/* Work a channel can do whenever the association is up: open a negotiated
 * channel, send owed DCEP, then queued messages. */
static void run_channel(sansrtc_datachannels *set, dc_channel *c) {
  if (!set->sctp_up || c->state == DC_FREE) return;
  if (c->negotiated && c->state == DC_CONNECTING) {
    c->state = DC_OPEN;
    (void)emit(set, SANSRTC_DC_EVENT_OPEN, c->id, 0, NULL, 0);
  }
  /* DCEP goes first on the stream: no data before the OPEN or the ACK. */
  if (send_owed_dcep(set, c)) flush_channel(set, c);
}

static int parity_ok(const sansrtc_datachannels *set, uint16_t id) {
  return (id % 2 == 0) == (set->cfg.dtls_client != 0);
}

static int pick_id(const sansrtc_datachannels *set, uint16_t *id) {
  uint16_t streams = sansrtc_sctp_streams(set->sctp);
  for (uint32_t i = set->cfg.dtls_client ? 0 : 1; i < streams; i += 2) {
    if (find(set, (uint16_t)i) == NULL) {
      *id = (uint16_t)i;
      return 1;
    }
  }
  return 0;
}

static int init_channel(dc_channel *c, const sansrtc_dc_init *init) {
  const char *label = init->label ? init->label : "";
  const char *protocol = init->protocol ? init->protocol : "";
  c->label = copy_text((const uint8_t *)label, strlen(label),
                       SANSRTC_DC_LABEL_MAX);
  c->protocol = copy_text((const uint8_t *)protocol, strlen(protocol),
                          SANSRTC_DC_PROTOCOL_MAX);
  if (c->label == NULL || c->protocol == NULL) return SANSRTC_ERR_NOMEM;
  uint8_t type = SANSRTC_DCEP_RELIABLE;
  if (init->max_retransmits >= 0) {
    type = SANSRTC_DCEP_PARTIAL_RELIABLE_REXMIT;
    c->reliability = (uint32_t)init->max_retransmits;
  } else if (init->max_packet_lifetime_ms >= 0) {
    type = SANSRTC_DCEP_PARTIAL_RELIABLE_TIMED;
    c->reliability = (uint32_t)init->max_packet_lifetime_ms;
  }
  if (!init->ordered) type |= SANSRTC_DCEP_UNORDERED_BIT;
  c->channel_type = type;
  c->negotiated = init->negotiated != 0;
  c->state = DC_CONNECTING;
  sansrtc_dgram_queue_init(&c->pending, SIZE_MAX);
  return SANSRTC_OK;
}

int sansrtc_dc_open(sansrtc_datachannels *set, const sansrtc_dc_init *init,
                    uint16_t *id) {
  if (set == NULL || init == NULL || id == NULL ||
      (init->max_retransmits >= 0 && init->max_packet_lifetime_ms >= 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  uint16_t chosen;
  if (init->negotiated) {
    if (init->id >= sansrtc_sctp_streams(set->sctp))
      return SANSRTC_ERR_INVALID_ARGUMENT;
    if (find(set, init->id) != NULL) return SANSRTC_ERR_INVALID_STATE;
    chosen = init->id;
  } else if (!pick_id(set, &chosen)) {
    return SANSRTC_ERR_LIMIT;
  }
  dc_channel *c = free_slot(set);
  if (c == NULL)
    return set->n_ch == set->cfg.max_channels ? SANSRTC_ERR_LIMIT : SANSRTC_ERR_NOMEM;
  c->id = chosen;
  c->low_threshold = set->cfg.buffered_amount_low_threshold;
  int rc = init_channel(c, init);
  if (rc != SANSRTC_OK) {
    free_channel(c);
    return rc;
  }
  *id = chosen;
  run_channel(set, c);
  return SANSRTC_OK;
}

/* Queues a message; `more`: leave it queued for a later flush. */
static int queue_message(sansrtc_datachannels *set, uint16_t id,
                         const uint8_t *data, size_t len, int binary, int more) {
  if (set == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  dc_channel *c = find(set, id);
  if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
  if (c->state != DC_CONNECTING && c->state != DC_OPEN)
    return SANSRTC_ERR_INVALID_STATE;
  if (len > sansrtc_sctp_max_send_size(set->sctp))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (c->buffered + len > set->cfg.max_buffered_per_channel)
    return SANSRTC_ERR_LIMIT;
  static const uint8_t empty[1] = {0};
  uint32_t ppid = binary ? (len ? SANSRTC_PPID_BINARY : SANSRTC_PPID_BINARY_EMPTY)
                         : (len ? SANSRTC_PPID_STRING : SANSRTC_PPID_STRING_EMPTY);
  uint8_t h[SEND_HEADER];
  wr32(h, ppid);
  int rc = sansrtc_dgram_queue_push2(&c->pending, h, sizeof h,
                                     len ? data : empty, len ? len : 1);
  if (rc != SANSRTC_OK) return rc;
  c->buffered += len;
  if (!more) (void)sansrtc_datachannels_flush(set);
  return SANSRTC_OK;
}

int sansrtc_dc_send(sansrtc_datachannels *set, uint16_t id,
                    const uint8_t *data, size_t len, int binary) {
  return queue_message(set, id, data, len, binary, 0);
}

int sansrtc_dc_send_more(sansrtc_datachannels *set, uint16_t id,
                         const uint8_t *data, size_t len, int binary) {
  return queue_message(set, id, data, len, binary, 1);
}

int sansrtc_datachannels_flush(sansrtc_datachannels *set) {
  if (set == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  for (unsigned i = 0; i < set->n_ch; i++) run_channel(set, &set->ch[i]);
  return SANSRTC_OK;
}

static void reset_outgoing(sansrtc_datachannels *set, dc_channel *c) {
  if (c->reset_out || !set->sctp_up) return;
  if (sansrtc_sctp_reset_stream(set->sctp, c->id) != SANSRTC_OK)
    c->reset_out = 1; /* nothing to reset on a dead association */
}

/* Frees the channel once both directions are reset. */
static void maybe_closed(sansrtc_datachannels *set, dc_channel *c) {
  if (!(c->reset_in && c->reset_out)) return;
  (void)emit(set, SANSRTC_DC_EVENT_CLOSED, c->id, 0, NULL, 0);
  free_channel(c);
}

int sansrtc_dc_close(sansrtc_datachannels *set, uint16_t id) {
  if (set == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  dc_channel *c = find(set, id);
  if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
  if (c->state == DC_CLOSING) return SANSRTC_OK;
  c->state = DC_CLOSING;
  (void)emit(set, SANSRTC_DC_EVENT_CLOSING, c->id, 0, NULL, 0);
  if (!set->sctp_up) { /* never reached the peer */
    sansrtc_dgram_queue_free(&c->pending);
    c->buffered = 0;
    c->reset_in = c->reset_out = 1;
    maybe_closed(set, c);
    return SANSRTC_OK;
  }
  /* As browsers do, messages already sent go out before the reset. */
  run_channel(set, c);
  if (c->pending.count == 0) reset_outgoing(set, c);
  return SANSRTC_OK;
}

size_t sansrtc_dc_buffered_amount(const sansrtc_datachannels *set,
                                  uint16_t id) {
  const dc_channel *c = set != NULL ? find(set, id) : NULL;
  return c != NULL ? c->buffered : 0;
}

int sansrtc_dc_set_buffered_amount_low_threshold(sansrtc_datachannels *set,
                                                 uint16_t id, size_t bytes) {
  dc_channel *c = set != NULL ? find(set, id) : NULL;
  if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
  c->low_threshold = bytes;
  return SANSRTC_OK;
}

const char *sansrtc_dc_label(const sansrtc_datachannels *set, uint16_t id) {
  const dc_channel *c = set != NULL ? find(set, id) : NULL;
  return c != NULL ? c->label : NULL;
}

const char *sansrtc_dc_protocol(const sansrtc_datachannels *set, uint16_t id) {
  const dc_channel *c = set != NULL ? find(set, id) : NULL;
  return c != NULL ? c->protocol : NULL;
}

/* ------------------------------------------------------------------------ */
/* Incoming                                                                 */
/* ------------------------------------------------------------------------ */

static void on_remote_open(sansrtc_datachannels *set, uint16_t stream,
                           const uint8_t *data, size_t len) {
  sansrtc_dcep_open o;
  if (sansrtc_dcep_parse_open(&o, data, len) != SANSRTC_OK) return;
  /* The peer must use its own parity; a clash with a live channel is
   * ignored (RFC 8832 leaves it to the opener to avoid). */
  if (parity_ok(set, stream) || find(set, stream) != NULL) return;
  dc_channel *c = free_slot(set);
  if (c == NULL) return;
  c->id = stream;
  c->label = copy_text(o.label, o.label_len, SANSRTC_DC_LABEL_MAX);
  c->protocol = copy_text(o.protocol, o.protocol_len, SANSRTC_DC_PROTOCOL_MAX);
  if (c->label == NULL || c->protocol == NULL) {
    free_channel(c);
    return;
  }
  c->channel_type = o.channel_type;
  c->reliability = o.reliability;
  c->low_threshold = set->cfg.buffered_amount_low_threshold;
  c->state = DC_OPEN;
  sansrtc_dgram_queue_init(&c->pending, SIZE_MAX);
  c->ack_owed = 1;
  (void)emit(set, SANSRTC_DC_EVENT_REMOTE_OPEN, stream, 0, NULL, 0);
  run_channel(set, c);
}

static void on_dcep(sansrtc_datachannels *set, uint16_t stream,
                    const uint8_t *data, size_t len) {
  if (len == 0) return;
  if (data[0] == SANSRTC_DCEP_OPEN) {
    on_remote_open(set, stream, data, len);
  } else if (data[0] == SANSRTC_DCEP_ACK && len == 1) {
    dc_channel *c = find(set, stream);
    if (c != NULL && c->state == DC_CONNECTING && !c->negotiated) {
      c->state = DC_OPEN;
      (void)emit(set, SANSRTC_DC_EVENT_OPEN, c->id, 0, NULL, 0);
    }
  }
}

static void on_message(sansrtc_datachannels *set,
                       const sansrtc_sctp_message_info *info,
                       const uint8_t *data, size_t len) {
  if (info->ppid == SANSRTC_PPID_DCEP) {
    on_dcep(set, info->stream, data, len);
    return;
  }
  dc_channel *c = find(set, info->stream);
  if (c == NULL || c->reset_in) return;
  /* Data on a channel we opened implies the peer got our OPEN. */
  if (c->state == DC_CONNECTING && !c->negotiated) {
    c->state = DC_OPEN;
    (void)emit(set, SANSRTC_DC_EVENT_OPEN, c->id, 0, NULL, 0);
  }
  switch (info->ppid) {
  case SANSRTC_PPID_STRING: (void)emit(set, SANSRTC_DC_EVENT_MESSAGE, c->id, 0, data, len); break;
  case SANSRTC_PPID_BINARY: (void)emit(set, SANSRTC_DC_EVENT_MESSAGE, c->id, 1, data, len); break;
  case SANSRTC_PPID_STRING_EMPTY: (void)emit(set, SANSRTC_DC_EVENT_MESSAGE, c->id, 0, NULL, 0); break;
  case SANSRTC_PPID_BINARY_EMPTY: (void)emit(set, SANSRTC_DC_EVENT_MESSAGE, c->id, 1, NULL, 0); break;
  default: break; /* deprecated or unknown PPIDs are dropped */
  }
}

static void on_stream_reset(sansrtc_datachannels *set,
                            const sansrtc_sctp_event *ev) {
  dc_channel *c = find(set, ev->stream);
  if (c == NULL) return;
  if (ev->incoming) {
    c->reset_in = 1;
    if (c->state != DC_CLOSING) { /* the peer closed it: close ours too */
      c->state = DC_CLOSING;
      (void)emit(set, SANSRTC_DC_EVENT_CLOSING, c->id, 0, NULL, 0);
      sansrtc_dgram_queue_free(&c->pending);
      c->buffered = 0;
    }
    reset_outgoing(set, c);
  } else {
    c->reset_out = 1;
  }
  maybe_closed(set, c);
}

static void on_sctp_event(sansrtc_datachannels *set,
                          const sansrtc_sctp_event *ev) {
  if (ev->type == SANSRTC_SCTP_EVENT_CONNECTED) {
    set->sctp_up = 1;
    for (unsigned i = 0; i < set->n_ch; i++)
      run_channel(set, &set->ch[i]);
  } else if (ev->type == SANSRTC_SCTP_EVENT_CLOSED) {
    set->sctp_up = 0;
    for (unsigned i = 0; i < set->n_ch; i++) {
      dc_channel *c = &set->ch[i];
      if (c->state == DC_FREE) continue;
      if (c->state != DC_CLOSING) { /* not closed by anyone */
        if (!ev->graceful) /* aborted or lost: a failure */
          (void)emit(set, SANSRTC_DC_EVENT_ERROR, c->id, 0, NULL, 0);
        (void)emit(set, SANSRTC_DC_EVENT_CLOSING, c->id, 0, NULL, 0);
      }
      c->reset_in = c->reset_out = 1;
      maybe_closed(set, c);
    }
  } else if (ev->type == SANSRTC_SCTP_EVENT_STREAM_RESET) {
    on_stream_reset(set, ev);
  }
}

int sansrtc_datachannels_process(sansrtc_datachannels *set) {
  if (set == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_sctp_event ev;
  sansrtc_sctp_message_info info;
  size_t len;
  for (;;) {
    /* Events first: CONNECTED precedes the first messages. */
    if (sansrtc_sctp_poll_event(set->sctp, &ev) == 1) {
      on_sctp_event(set, &ev);
      continue;
    }
    if (sansrtc_sctp_poll_message(set->sctp, set->scratch, set->scratch_cap,
                                  &len, &info) == 1) {
      on_message(set, &info, set->scratch, len);
      continue;
    }
    break;
  }
  return sansrtc_datachannels_flush(set);
}

int sansrtc_datachannels_poll_event(sansrtc_datachannels *set,
                                    sansrtc_dc_event *ev, uint8_t *buf,
                                    size_t cap) {
  if (set == NULL || ev == NULL || (buf == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  uint8_t h[EVENT_HEADER];
  size_t len = 0;
  uint8_t dummy[1];
  int rc = sansrtc_dgram_queue_pop2(&set->events, h, sizeof h,
                                    buf != NULL ? buf : dummy, cap, &len);
  if (rc != 1) return rc;
  memset(ev, 0, sizeof *ev);
  ev->type = (sansrtc_dc_event_type)h[0];
  ev->id = rd16(h + 1);
  ev->binary = h[3];
  ev->len = len;
  return 1;
}
