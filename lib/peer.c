/*
 * peer.c - the sans-I/O peer connection: ICE, DTLS, SCTP and data
 * channels behind one object, negotiated by JSEP offer/answer.
 *
 * The ICE agent exists from the start (local candidates can come before
 * any description); its role is set by the first description. DTLS, SCTP
 * and the channel set are created when the DTLS role is fixed: when the
 * offerer applies the answer, or the answerer applies its own answer.
 * Channels created before that wait in the channel table without a stream
 * id, and DTLS datagrams that arrive before it are held.
 *
 * After every input the layers are pumped in the order data flows: ICE
 * events and datagrams, DTLS records up into SCTP, channel work, SCTP
 * packets down into DTLS, DTLS datagrams out on the selected pair.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/peer.h>

#include "dgram_queue.h"
#include "internal.h"
#include "jsep.h"

#define DATA_MID "0"
#define MAX_PENDING_REMOTE_CANDIDATES 64
#define OUT_QUEUE_BYTES (1024 * 1024)
#define SCTP_MAX_MESSAGE_CAP (64u * 1024 * 1024) /* "any size" (RFC 8841) */

typedef struct pc_path {
  sansrtc_addr local, remote;
} pc_path;

typedef struct pc_channel {
  uint32_t handle; /* 0: free slot */
  int32_t stream;  /* -1 until the DTLS role is known */
  sansrtc_dc_init init;
  char *label, *protocol;
  int closed; /* CHANNEL_CLOSED queued: freed when it is taken */
} pc_channel;

struct sansrtc_pc {
  sansrtc_pc_config cfg;
  sansrtc_logger log;
  sansrtc_dtls_cert *cert;
  int closing, closed;
  int shutting_down; /* sansrtc_pc_shutdown: closes when SCTP has */

  /* Signaling. */
  sansrtc_signaling_state signaling;
  uint64_t session_id, session_version;
  int have_local, have_remote, is_offerer;
  sansrtc_sdp *remote_offer; /* kept for create_answer */
  jsep_remote remote;
  char mid[JSEP_MID_MAX + 1];
  int negotiation_needed;

  /* ICE. */
  sansrtc_ice_agent *ice;
  sansrtc_ice_state ice_state;
  sansrtc_gathering_state gathering;
  int local_done;    /* the caller said gathering is over */
  int gathered;      /* ... and the agent's STUN servers are done too */
  sansrtc_ice_candidate *local_cands;
  size_t local_count, local_cap;
  char *pending_remote[MAX_PENDING_REMOTE_CANDIDATES];
  size_t pending_remote_count;
  int pending_remote_end;

  /* DTLS, SCTP, channels: created when the DTLS role is fixed. */
  sansrtc_dtls *dtls;
  sansrtc_dtls_role dtls_role;
  sansrtc_dtls_state dtls_state;
  int dtls_started;
  pc_path path; /* where DTLS goes: the selected pair, or the last sender */
  int have_path;
  sansrtc_dgram_queue early_dtls; /* pc_path + datagram */
  sansrtc_sctp *sctp;
  sansrtc_datachannels *dc;
  int sctp_started;

  pc_channel *ch;
  unsigned max_channels;
  unsigned n_ch; /* slots in `ch`, grown on demand up to max_channels */
  uint32_t next_handle;

  sansrtc_pc_state state;
  sansrtc_dgram_queue out;    /* pc_path + datagram */
  sansrtc_dgram_queue events; /* sansrtc_pc_event + message bytes */
  uint8_t *scratch;           /* one message or one SCTP packet */
  size_t scratch_cap;
  char error[160];
};

/* ------------------------------------------------------------------------ */
/* Names, configuration                                                     */
/* ------------------------------------------------------------------------ */

const char *sansrtc_signaling_state_name(sansrtc_signaling_state s) {
  switch (s) {
  case SANSRTC_SIGNALING_STABLE: return "stable";
  case SANSRTC_SIGNALING_HAVE_LOCAL_OFFER: return "have-local-offer";
  case SANSRTC_SIGNALING_HAVE_REMOTE_OFFER: return "have-remote-offer";
  case SANSRTC_SIGNALING_CLOSED: return "closed";
  }
  return "unknown";
}

const char *sansrtc_gathering_state_name(sansrtc_gathering_state s) {
  switch (s) {
  case SANSRTC_GATHERING_NEW: return "new";
  case SANSRTC_GATHERING_GATHERING: return "gathering";
  case SANSRTC_GATHERING_COMPLETE: return "complete";
  }
  return "unknown";
}

const char *sansrtc_pc_state_name(sansrtc_pc_state s) {
  switch (s) {
  case SANSRTC_PC_STATE_NEW: return "new";
  case SANSRTC_PC_STATE_CONNECTING: return "connecting";
  case SANSRTC_PC_STATE_CONNECTED: return "connected";
  case SANSRTC_PC_STATE_DISCONNECTED: return "disconnected";
  case SANSRTC_PC_STATE_FAILED: return "failed";
  case SANSRTC_PC_STATE_CLOSED: return "closed";
  }
  return "unknown";
}

void sansrtc_pc_config_default(sansrtc_pc_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  sansrtc_ice_config_default(&cfg->ice);
  sansrtc_dtls_config_default(&cfg->dtls);
  sansrtc_sctp_config_default(&cfg->sctp);
  sansrtc_datachannels_config_default(&cfg->datachannels);
  cfg->max_early_dtls_bytes = 16 * 1024;
}

/* ------------------------------------------------------------------------ */
/* Events and output                                                        */
/* ------------------------------------------------------------------------ */

static void emit(sansrtc_pc *pc, const sansrtc_pc_event *ev,
                 const uint8_t *data, size_t len) {
  if (sansrtc_dgram_queue_push2(&pc->events, (const uint8_t *)ev, sizeof *ev,
                                data, len) != SANSRTC_OK)
    sansrtc_log(&pc->log, SANSRTC_LOG_WARNING, "pc: event queue full, dropped");
}

static void emit_simple(sansrtc_pc *pc, sansrtc_pc_event_type type, int state,
                        uint32_t channel) {
  sansrtc_pc_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.state = state;
  ev.channel = channel;
  emit(pc, &ev, NULL, 0);
}

static void queue_datagram(sansrtc_pc *pc, const pc_path *path,
                           const uint8_t *data, size_t len) {
  if (sansrtc_dgram_queue_push2(&pc->out, (const uint8_t *)path, sizeof *path,
                                data, len) != SANSRTC_OK)
    sansrtc_log(&pc->log, SANSRTC_LOG_WARNING, "pc: transmit queue full");
}

static void set_error(sansrtc_pc *pc, const char *what) {
  if (pc->error[0] == '\0' && what != NULL && what[0] != '\0')
    snprintf(pc->error, sizeof pc->error, "%s", what);
}

/* W3C RTCPeerConnectionState from the ICE and DTLS transport states. */
static sansrtc_pc_state aggregate_state(const sansrtc_pc *pc) {
  sansrtc_ice_state i = pc->ice_state;
  sansrtc_dtls_state d = pc->dtls_state;
  if (pc->closed) return SANSRTC_PC_STATE_CLOSED;
  if (i == SANSRTC_ICE_STATE_FAILED || d == SANSRTC_DTLS_STATE_FAILED)
    return SANSRTC_PC_STATE_FAILED;
  if (i == SANSRTC_ICE_STATE_DISCONNECTED) return SANSRTC_PC_STATE_DISCONNECTED;
  int ice_idle = i == SANSRTC_ICE_STATE_NEW || i == SANSRTC_ICE_STATE_CLOSED;
  int dtls_idle = d == SANSRTC_DTLS_STATE_NEW || d == SANSRTC_DTLS_STATE_CLOSED;
  if (ice_idle && dtls_idle) return SANSRTC_PC_STATE_NEW;
  if (i == SANSRTC_ICE_STATE_CHECKING || ice_idle ||
      d == SANSRTC_DTLS_STATE_NEW || d == SANSRTC_DTLS_STATE_CONNECTING)
    return SANSRTC_PC_STATE_CONNECTING;
  return SANSRTC_PC_STATE_CONNECTED;
}

static void update_state(sansrtc_pc *pc) {
  sansrtc_pc_state s = aggregate_state(pc);
  if (s == pc->state) return;
  pc->state = s;
  emit_simple(pc, SANSRTC_PC_EVENT_CONNECTION_STATE, (int)s, 0);
}

static void set_signaling(sansrtc_pc *pc, sansrtc_signaling_state s) {
  if (s == pc->signaling) return;
  pc->signaling = s;
  emit_simple(pc, SANSRTC_PC_EVENT_SIGNALING_STATE, (int)s, 0);
}

static void set_gathering(sansrtc_pc *pc, sansrtc_gathering_state s) {
  if (s == pc->gathering) return;
  pc->gathering = s;
  emit_simple(pc, SANSRTC_PC_EVENT_GATHERING_STATE, (int)s, 0);
}

/* ------------------------------------------------------------------------ */
/* Channel table                                                            */
/* ------------------------------------------------------------------------ */

static pc_channel *channel_by_handle(const sansrtc_pc *pc, uint32_t handle) {
  for (unsigned i = 0; handle != 0 && i < pc->n_ch; i++)
    if (pc->ch[i].handle == handle && !pc->ch[i].closed) return &pc->ch[i];
  return NULL;
}

static pc_channel *channel_by_stream(const sansrtc_pc *pc, uint16_t stream) {
  for (unsigned i = 0; i < pc->n_ch; i++)
    if (pc->ch[i].handle != 0 && !pc->ch[i].closed &&
        pc->ch[i].stream == (int32_t)stream)
      return &pc->ch[i];
  return NULL;
}

static void free_channel(pc_channel *c) {
  free(c->label);
  free(c->protocol);
  memset(c, 0, sizeof *c);
}

static char *dup_text(const char *s) {
  size_t n = s != NULL ? strlen(s) : 0;
  char *d = malloc(n + 1);
  if (d != NULL) {
    if (n > 0) memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* A free slot, growing the table (which moves every slot) when all are
 * taken; NULL at max_channels or out of memory. */
static pc_channel *free_slot(sansrtc_pc *pc) {
  for (unsigned i = 0; i < pc->n_ch; i++)
    if (pc->ch[i].handle == 0) return &pc->ch[i];
  if (pc->n_ch == pc->max_channels) return NULL;
  unsigned n = pc->n_ch ? 2 * pc->n_ch : 4;
  if (n > pc->max_channels) n = pc->max_channels;
  pc_channel *t = realloc(pc->ch, n * sizeof *t);
  if (t == NULL) return NULL;
  unsigned first_new = pc->n_ch;
  memset(t + first_new, 0, (n - first_new) * sizeof *t);
  pc->ch = t;
  pc->n_ch = n;
  return &pc->ch[first_new];
}

static int table_full(const sansrtc_pc *pc) {
  if (pc->n_ch < pc->max_channels) return 0;
  for (unsigned i = 0; i < pc->n_ch; i++)
    if (pc->ch[i].handle == 0) return 0;
  return 1;
}

/* A free slot with a new handle and copies of label and protocol. */
static pc_channel *new_channel(sansrtc_pc *pc, const char *label,
                               const char *protocol) {
  pc_channel *c = free_slot(pc);
  if (c == NULL) return NULL;
  c->label = dup_text(label);
  c->protocol = dup_text(protocol);
  if (c->label == NULL || c->protocol == NULL) {
    free_channel(c);
    return NULL;
  }
  c->handle = ++pc->next_handle;
  c->stream = -1;
  return c;
}

/* Opens a waiting channel on the channel set now that it exists. */
static void open_waiting_channel(sansrtc_pc *pc, pc_channel *c) {
  sansrtc_dc_init init = c->init;
  init.label = c->label;
  init.protocol = c->protocol;
  uint16_t id;
  if (sansrtc_dc_open(pc->dc, &init, &id) == SANSRTC_OK) {
    c->stream = id;
    return;
  }
  emit_simple(pc, SANSRTC_PC_EVENT_CHANNEL_ERROR, 0, c->handle);
  emit_simple(pc, SANSRTC_PC_EVENT_CHANNEL_CLOSING, 0, c->handle);
  emit_simple(pc, SANSRTC_PC_EVENT_CHANNEL_CLOSED, 0, c->handle);
  c->closed = 1;
}

/* ------------------------------------------------------------------------ */
/* Creation                                                                 */
/* ------------------------------------------------------------------------ */

static int config_valid(const sansrtc_pc_config *c) {
  return c->datachannels.max_channels > 0 &&
         c->datachannels.max_channels <= 65535 &&
         (c->cert != NULL || c->cert_unix_time > 0) &&
         c->sctp.max_message_size > 0;
}

static int create_ice(sansrtc_pc *pc) {
  sansrtc_ice_config ic = pc->cfg.ice;
  ic.role = SANSRTC_ICE_CONTROLLED;
  ic.local_ufrag = NULL;
  ic.local_pwd = NULL;
  if (ic.random_fn == NULL) {
    ic.random_fn = pc->cfg.random_fn;
    ic.random_user_data = pc->cfg.random_user_data;
  }
  if (ic.log_fn == NULL) {
    ic.log_fn = pc->cfg.log_fn;
    ic.log_user_data = pc->cfg.log_user_data;
    ic.log_level = pc->cfg.log_level;
  }
  return sansrtc_ice_agent_new(&pc->ice, &ic);
}

int sansrtc_pc_new(sansrtc_pc **out, const sansrtc_pc_config *cfg) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (cfg == NULL || !config_valid(cfg)) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_pc *pc = calloc(1, sizeof *pc);
  if (pc == NULL) return SANSRTC_ERR_NOMEM;
  pc->cfg = *cfg;
  pc->cfg.cert = NULL;
  pc->log.fn = cfg->log_fn;
  pc->log.user_data = cfg->log_user_data;
  pc->log.level = cfg->log_level;
  pc->max_channels = cfg->datachannels.max_channels;
  pc->scratch_cap = cfg->sctp.max_message_size;
  sansrtc_dgram_queue_init(&pc->out, OUT_QUEUE_BYTES);
  sansrtc_dgram_queue_init(&pc->events, SIZE_MAX);
  sansrtc_dgram_queue_init(&pc->early_dtls, cfg->max_early_dtls_bytes);
  uint8_t id[8];
  int rc = cfg->cert != NULL ? sansrtc_dtls_cert_copy(&pc->cert, cfg->cert)
                             : sansrtc_dtls_cert_generate(&pc->cert,
                                                          cfg->cert_unix_time);
  if (rc == SANSRTC_OK) rc = create_ice(pc);
  if (rc == SANSRTC_OK)
    rc = sansrtc_random(cfg->random_fn, cfg->random_user_data, id, sizeof id);
  if (rc == SANSRTC_OK) {
    pc->scratch = malloc(pc->scratch_cap);
    if (pc->scratch == NULL) rc = SANSRTC_ERR_NOMEM;
  }
  if (rc != SANSRTC_OK) {
    sansrtc_pc_del(pc);
    return rc;
  }
  pc->session_id = rd64(id) >> 2; /* 62 bits, as JSEP asks */
  pc->ice_state = SANSRTC_ICE_STATE_NEW;
  pc->dtls_state = SANSRTC_DTLS_STATE_NEW;
  *out = pc;
  return SANSRTC_OK;
}

void sansrtc_pc_del(sansrtc_pc *pc) {
  if (pc == NULL) return;
  sansrtc_datachannels_del(pc->dc);
  sansrtc_sctp_del(pc->sctp);
  sansrtc_dtls_del(pc->dtls);
  sansrtc_ice_agent_del(pc->ice);
  sansrtc_dtls_cert_free(pc->cert);
  sansrtc_sdp_free(pc->remote_offer);
  for (size_t i = 0; i < pc->pending_remote_count; i++)
    free(pc->pending_remote[i]);
  for (unsigned i = 0; pc->ch != NULL && i < pc->n_ch; i++)
    free_channel(&pc->ch[i]);
  free(pc->ch);
  free(pc->local_cands);
  free(pc->scratch);
  sansrtc_dgram_queue_free(&pc->out);
  sansrtc_dgram_queue_free(&pc->events);
  sansrtc_dgram_queue_free(&pc->early_dtls);
  free(pc);
}

/* ------------------------------------------------------------------------ */
/* The pump: moving data between the layers                                 */
/* ------------------------------------------------------------------------ */

static void remember_local_candidate(sansrtc_pc *pc,
                                     const sansrtc_ice_candidate *c) {
  if (pc->local_count == pc->local_cap) {
    size_t cap = pc->local_cap ? pc->local_cap * 2 : 8;
    sansrtc_ice_candidate *n = realloc(pc->local_cands, cap * sizeof *n);
    if (n == NULL) return; /* still signaled by the event */
    pc->local_cands = n;
    pc->local_cap = cap;
  }
  pc->local_cands[pc->local_count++] = *c;
}

static void on_ice_event(sansrtc_pc *pc, const sansrtc_ice_event *e) {
  sansrtc_pc_event ev;
  switch (e->type) {
  case SANSRTC_ICE_EVENT_STATE_CHANGE:
    pc->ice_state = e->state;
    emit_simple(pc, SANSRTC_PC_EVENT_ICE_STATE, (int)e->state, 0);
    if (e->state == SANSRTC_ICE_STATE_FAILED) set_error(pc, "ICE failed");
    break;
  case SANSRTC_ICE_EVENT_LOCAL_CANDIDATE:
    remember_local_candidate(pc, &e->candidate);
    memset(&ev, 0, sizeof ev);
    ev.type = SANSRTC_PC_EVENT_LOCAL_CANDIDATE;
    snprintf(ev.mid, sizeof ev.mid, "%s", pc->mid[0] ? pc->mid : DATA_MID);
    (void)sansrtc_ice_candidate_format(&e->candidate, ev.candidate,
                                       sizeof ev.candidate);
    emit(pc, &ev, NULL, 0);
    break;
  case SANSRTC_ICE_EVENT_SELECTED_PAIR:
    if (sansrtc_ice_agent_selected_pair(pc->ice, &pc->path.local,
                                        &pc->path.remote) == SANSRTC_OK)
      pc->have_path = 1;
    break;
  case SANSRTC_ICE_EVENT_GATHERING_DONE:
    pc->gathered = 1;
    if (pc->have_local) set_gathering(pc, SANSRTC_GATHERING_COMPLETE);
    break;
  case SANSRTC_ICE_EVENT_ROLE_CHANGE:
    break;
  }
}

static void pump_ice(sansrtc_pc *pc) {
  sansrtc_ice_event e;
  while (sansrtc_ice_agent_poll_event(pc->ice, &e) == 1) on_ice_event(pc, &e);
  pc_path p;
  size_t len;
  while (sansrtc_ice_agent_poll_transmit(pc->ice, pc->scratch, pc->scratch_cap,
                                         &len, &p.local, &p.remote) == 1)
    queue_datagram(pc, &p, pc->scratch, len);
}

static void on_dtls_state(sansrtc_pc *pc, sansrtc_tstamp now) {
  sansrtc_dtls_state s = sansrtc_dtls_get_state(pc->dtls);
  if (s == pc->dtls_state) return;
  pc->dtls_state = s;
  emit_simple(pc, SANSRTC_PC_EVENT_DTLS_STATE, (int)s, 0);
  if (s == SANSRTC_DTLS_STATE_FAILED) set_error(pc, sansrtc_dtls_error_text(pc->dtls));
  if (s == SANSRTC_DTLS_STATE_CONNECTED && !pc->sctp_started) {
    pc->sctp_started = 1;
    (void)sansrtc_sctp_connect(pc->sctp, now);
  }
}

/* Records from DTLS up into SCTP. */
static void pump_dtls_up(sansrtc_pc *pc, sansrtc_tstamp now) {
  size_t len;
  while (sansrtc_dtls_poll_data(pc->dtls, pc->scratch, pc->scratch_cap, &len) == 1) {
    pc->sctp_started = 1; /* the peer's INIT starts our side too */
    (void)sansrtc_sctp_handle_packet(pc->sctp, pc->scratch, len, now);
  }
  on_dtls_state(pc, now);
}

static void on_channel_event(sansrtc_pc *pc, const sansrtc_dc_event *d,
                             const uint8_t *data) {
  pc_channel *c = channel_by_stream(pc, d->id);
  if (d->type == SANSRTC_DC_EVENT_REMOTE_OPEN && c == NULL) {
    c = new_channel(pc, sansrtc_dc_label(pc->dc, d->id),
                    sansrtc_dc_protocol(pc->dc, d->id));
    if (c == NULL) { /* no slot or memory: refuse it */
      (void)sansrtc_dc_close(pc->dc, d->id);
      return;
    }
    c->stream = d->id;
    emit_simple(pc, SANSRTC_PC_EVENT_DATA_CHANNEL, 0, c->handle);
    return;
  }
  if (c == NULL) return;
  sansrtc_pc_event ev;
  memset(&ev, 0, sizeof ev);
  ev.channel = c->handle;
  switch (d->type) {
  case SANSRTC_DC_EVENT_OPEN: ev.type = SANSRTC_PC_EVENT_CHANNEL_OPEN; break;
  case SANSRTC_DC_EVENT_MESSAGE:
    ev.type = SANSRTC_PC_EVENT_MESSAGE;
    ev.binary = d->binary;
    ev.len = d->len;
    emit(pc, &ev, data, d->len);
    return;
  case SANSRTC_DC_EVENT_BUFFERED_LOW: ev.type = SANSRTC_PC_EVENT_BUFFERED_LOW; break;
  case SANSRTC_DC_EVENT_CLOSING: ev.type = SANSRTC_PC_EVENT_CHANNEL_CLOSING; break;
  case SANSRTC_DC_EVENT_CLOSED:
    ev.type = SANSRTC_PC_EVENT_CHANNEL_CLOSED;
    c->closed = 1;
    break;
  case SANSRTC_DC_EVENT_ERROR:
    if (pc->closing) return; /* our own close, not a failure */
    ev.type = SANSRTC_PC_EVENT_CHANNEL_ERROR;
    break;
  case SANSRTC_DC_EVENT_REMOTE_OPEN: return; /* a duplicate */
  }
  emit(pc, &ev, NULL, 0);
}

/* Channel work, then SCTP packets down into DTLS. */
static void pump_sctp(sansrtc_pc *pc) {
  (void)sansrtc_datachannels_process(pc->dc);
  sansrtc_dc_event d;
  while (sansrtc_datachannels_poll_event(pc->dc, &d, pc->scratch,
                                         pc->scratch_cap) == 1)
    on_channel_event(pc, &d, pc->scratch);
  size_t len;
  while (sansrtc_sctp_poll_transmit(pc->sctp, pc->scratch, pc->scratch_cap,
                                    &len) == 1)
    (void)sansrtc_dtls_send(pc->dtls, pc->scratch, len);
}

/* DTLS datagrams out on the path, once there is one. */
static void pump_dtls_down(sansrtc_pc *pc) {
  if (!pc->have_path) return;
  size_t len;
  while (sansrtc_dtls_poll_transmit(pc->dtls, pc->scratch, pc->scratch_cap,
                                    &len) == 1)
    queue_datagram(pc, &pc->path, pc->scratch, len);
}

static void start_dtls_when_ready(sansrtc_pc *pc, sansrtc_tstamp now) {
  if (pc->dtls == NULL || pc->dtls_started || !pc->have_path ||
      (pc->ice_state != SANSRTC_ICE_STATE_CONNECTED &&
       pc->ice_state != SANSRTC_ICE_STATE_COMPLETED))
    return;
  pc->dtls_started = 1;
  if (pc->dtls_role == SANSRTC_DTLS_CLIENT) (void)sansrtc_dtls_start(pc->dtls, now);
}

static void pump(sansrtc_pc *pc, sansrtc_tstamp now) {
  pump_ice(pc);
  if (pc->dtls != NULL) {
    start_dtls_when_ready(pc, now);
    pump_dtls_up(pc, now);
    pump_sctp(pc);
    on_dtls_state(pc, now);
    pump_dtls_down(pc);
  }
  update_state(pc);
  /* A graceful shutdown ends when the association has. */
  if (pc->shutting_down && !pc->closed && !sansrtc_sctp_is_connected(pc->sctp))
    sansrtc_pc_close(pc, now);
  /* The peer's close_notify ends the connection: nothing can flow again. */
  if (!pc->closed && pc->dtls_state == SANSRTC_DTLS_STATE_CLOSED) sansrtc_pc_close(pc, now);
}

/* ------------------------------------------------------------------------ */
/* Fixing the DTLS role: DTLS, SCTP and channels come to life               */
/* ------------------------------------------------------------------------ */

static int create_transport(sansrtc_pc *pc, sansrtc_dtls_role role) {
  sansrtc_dtls_config dc = pc->cfg.dtls;
  dc.role = role;
  dc.cert = pc->cert;
  if (dc.log_fn == NULL) {
    dc.log_fn = pc->cfg.log_fn;
    dc.log_user_data = pc->cfg.log_user_data;
    dc.log_level = pc->cfg.log_level;
  }
  sansrtc_sctp_config sc = pc->cfg.sctp;
  sc.remote_port = pc->remote.sctp_port;
  sc.remote_max_message_size = sansrtc_pc_remote_max_message_size(pc);
  sansrtc_datachannels_config cc = pc->cfg.datachannels;
  cc.dtls_client = role == SANSRTC_DTLS_CLIENT;
  int rc = sansrtc_dtls_new(&pc->dtls, &dc);
  if (rc == SANSRTC_OK)
    rc = sansrtc_dtls_set_remote_fingerprint(pc->dtls, pc->remote.fingerprint_algo,
                                             pc->remote.fingerprint, 0);
  if (rc == SANSRTC_OK) rc = sansrtc_sctp_new(&pc->sctp, &sc);
  if (rc == SANSRTC_OK) rc = sansrtc_datachannels_new(&pc->dc, pc->sctp, &cc);
  if (rc != SANSRTC_OK) {
    sansrtc_datachannels_del(pc->dc);
    sansrtc_sctp_del(pc->sctp);
    sansrtc_dtls_del(pc->dtls);
    pc->dc = NULL;
    pc->sctp = NULL;
    pc->dtls = NULL;
    return rc;
  }
  pc->dtls_role = role;
  return SANSRTC_OK;
}

/* Feeds the DTLS datagrams that came before the endpoint existed. */
static void release_early_dtls(sansrtc_pc *pc, sansrtc_tstamp now) {
  pc_path p;
  size_t len;
  while (sansrtc_dgram_queue_pop2(&pc->early_dtls, (uint8_t *)&p, sizeof p,
                                  pc->scratch, pc->scratch_cap, &len) == 1) {
    if (!pc->have_path) {
      pc->path = p;
      pc->have_path = 1;
    }
    (void)sansrtc_dtls_handle_datagram(pc->dtls, pc->scratch, len, now);
  }
  sansrtc_dgram_queue_free(&pc->early_dtls);
}

static int fix_dtls_role(sansrtc_pc *pc, sansrtc_dtls_role role,
                         sansrtc_tstamp now) {
  if (pc->dtls != NULL) return SANSRTC_OK; /* renegotiation keeps it */
  int rc = create_transport(pc, role);
  if (rc != SANSRTC_OK) return rc;
  for (unsigned i = 0; i < pc->n_ch; i++)
    if (pc->ch[i].handle != 0 && !pc->ch[i].closed && pc->ch[i].stream < 0)
      open_waiting_channel(pc, &pc->ch[i]);
  release_early_dtls(pc, now);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Candidates                                                               */
/* ------------------------------------------------------------------------ */

static int apply_remote_candidate(sansrtc_pc *pc, const char *line,
                                  sansrtc_tstamp now) {
  sansrtc_ice_candidate c;
  int rc = sansrtc_ice_candidate_parse(&c, line);
  if (rc == SANSRTC_ERR_UNSUPPORTED) return SANSRTC_OK; /* e.g. a TCP-less transport */
  if (rc != SANSRTC_OK) return rc;
  return sansrtc_ice_agent_add_remote_candidate(pc->ice, &c, now);
}

static int apply_description_candidate(void *user, const char *line) {
  void **args = user;
  sansrtc_pc *pc = args[0];
  const sansrtc_tstamp *now = args[1];
  (void)apply_remote_candidate(pc, line, *now); /* a bad one is skipped */
  return 0;
}

static void apply_pending_candidates(sansrtc_pc *pc, sansrtc_tstamp now) {
  for (size_t i = 0; i < pc->pending_remote_count; i++) {
    (void)apply_remote_candidate(pc, pc->pending_remote[i], now);
    free(pc->pending_remote[i]);
  }
  pc->pending_remote_count = 0;
  if (pc->pending_remote_end)
    (void)sansrtc_ice_agent_end_of_remote_candidates(pc->ice, now);
}

int sansrtc_pc_add_remote_candidate(sansrtc_pc *pc, const char *mid,
                                    const char *candidate, sansrtc_tstamp now) {
  if (pc == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed) return SANSRTC_ERR_INVALID_STATE;
  if (pc->have_remote && mid != NULL && mid[0] != '\0' && pc->remote.mid[0] &&
      strcmp(mid, pc->remote.mid) != 0)
    return SANSRTC_OK; /* another section: nothing of ours */
  int end = candidate == NULL || candidate[0] == '\0';
  int rc = SANSRTC_OK;
  if (!end) {
    sansrtc_ice_candidate c;
    rc = sansrtc_ice_candidate_parse(&c, candidate);
    if (rc == SANSRTC_ERR_UNSUPPORTED) return SANSRTC_OK;
    if (rc != SANSRTC_OK) return rc;
  }
  if (!pc->have_remote) { /* before the description: keep it */
    if (end) {
      pc->pending_remote_end = 1;
      return SANSRTC_OK;
    }
    if (pc->pending_remote_count == MAX_PENDING_REMOTE_CANDIDATES)
      return SANSRTC_ERR_LIMIT;
    char *copy = dup_text(candidate);
    if (copy == NULL) return SANSRTC_ERR_NOMEM;
    pc->pending_remote[pc->pending_remote_count++] = copy;
    return SANSRTC_OK;
  }
  rc = end ? sansrtc_ice_agent_end_of_remote_candidates(pc->ice, now)
           : apply_remote_candidate(pc, candidate, now);
  pump(pc, now);
  return rc;
}

int sansrtc_pc_add_local_candidate(sansrtc_pc *pc, const sansrtc_ice_candidate *c,
                                   sansrtc_tstamp now) {
  if (pc == NULL || c == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed || pc->local_done) return SANSRTC_ERR_INVALID_STATE;
  int rc = sansrtc_ice_agent_add_local_candidate(pc->ice, c, now);
  pump(pc, now);
  return rc;
}

int sansrtc_pc_local_candidates_complete(const sansrtc_pc *pc) {
  return pc != NULL && pc->gathered;
}

int sansrtc_pc_add_stun_server(sansrtc_pc *pc, const sansrtc_addr *server,
                               sansrtc_tstamp now) {
  if (pc == NULL || server == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed || pc->local_done) return SANSRTC_ERR_INVALID_STATE;
  int rc = sansrtc_ice_agent_add_stun_server(pc->ice, server, now);
  pump(pc, now);
  return rc;
}

int sansrtc_pc_end_of_local_candidates(sansrtc_pc *pc, sansrtc_tstamp now) {
  if (pc == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed) return SANSRTC_ERR_INVALID_STATE;
  if (!pc->local_done) {
    pc->local_done = 1;
    (void)sansrtc_ice_agent_gathering_done(pc->ice, now); /* see GATHERING_DONE */
  }
  pump(pc, now);
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Offer/answer                                                             */
/* ------------------------------------------------------------------------ */

static void local_params(const sansrtc_pc *pc, jsep_local *l, const char *setup) {
  memset(l, 0, sizeof *l);
  l->session_id = pc->session_id;
  l->session_version = pc->session_version + 1;
  l->ice_ufrag = sansrtc_ice_agent_local_ufrag(pc->ice);
  l->ice_pwd = sansrtc_ice_agent_local_pwd(pc->ice);
  l->fingerprint_algo = "sha-256";
  l->fingerprint = sansrtc_dtls_cert_fingerprint(pc->cert);
  l->setup = setup;
  l->mid = pc->mid[0] ? pc->mid : DATA_MID;
  l->sctp_port = pc->cfg.sctp.local_port;
  l->max_message_size = pc->cfg.sctp.max_message_size;
  l->candidates = pc->local_cands;
  l->candidate_count = pc->local_count;
  l->end_of_candidates = pc->gathered;
}

/* Writes `sdp` into the caller's buffer and frees it. */
static int write_out(sansrtc_sdp *sdp, char *buf, size_t cap, size_t *len) {
  int rc = sansrtc_sdp_write(sdp, buf, cap, len);
  sansrtc_sdp_free(sdp);
  return rc;
}

static sansrtc_dtls_role answerer_role(const sansrtc_pc *pc) {
  sansrtc_dtls_role role = SANSRTC_DTLS_CLIENT;
  if (pc->remote.setup[0] != '\0')
    (void)sansrtc_dtls_role_from_setup(pc->remote.setup, 0, &role);
  return role;
}

int sansrtc_pc_create_offer(sansrtc_pc *pc, char *buf, size_t cap, size_t *len) {
  if (pc == NULL || len == NULL || (buf == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed || pc->signaling != SANSRTC_SIGNALING_STABLE)
    return SANSRTC_ERR_INVALID_STATE;
  jsep_local l;
  local_params(pc, &l, sansrtc_dtls_setup_value(1, SANSRTC_DTLS_CLIENT));
  sansrtc_sdp *sdp;
  int rc = jsep_build_offer(&l, &sdp);
  return rc != SANSRTC_OK ? rc : write_out(sdp, buf, cap, len);
}

int sansrtc_pc_create_answer(sansrtc_pc *pc, char *buf, size_t cap,
                             size_t *len) {
  if (pc == NULL || len == NULL || (buf == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed || pc->signaling != SANSRTC_SIGNALING_HAVE_REMOTE_OFFER)
    return SANSRTC_ERR_INVALID_STATE;
  jsep_local l;
  local_params(pc, &l, sansrtc_dtls_setup_value(0, answerer_role(pc)));
  sansrtc_sdp *sdp;
  int rc = jsep_build_answer(pc->remote_offer, &pc->remote, &l, &sdp);
  return rc != SANSRTC_OK ? rc : write_out(sdp, buf, cap, len);
}

static int fail_description(sansrtc_sdp_error *err, const char *why, int rc) {
  if (err != NULL) {
    err->line = 0;
    snprintf(err->message, sizeof err->message, "%s", why);
  }
  return rc;
}

/* Parses a description and reads its data section. On success *sdp is
 * owned by the caller. */
static int read_description(const char *text, size_t len, sansrtc_sdp **sdp,
                            jsep_remote *r, sansrtc_sdp_error *err) {
  int rc = sansrtc_sdp_parse(sdp, text, len, err);
  if (rc != SANSRTC_OK) return rc;
  const char *why = NULL;
  rc = jsep_read_remote(*sdp, r, &why);
  if (rc != SANSRTC_OK) {
    sansrtc_sdp_free(*sdp);
    *sdp = NULL;
    return fail_description(err, why, rc);
  }
  return SANSRTC_OK;
}

/* The W3C checks every set_*_description starts with, then the parse.
 * An offer needs stable; an answer needs the matching have-*-offer. */
static int begin_description(sansrtc_pc *pc, sansrtc_sdp_type type,
                             sansrtc_signaling_state answer_needs,
                             const char *text, size_t len, sansrtc_sdp **sdp,
                             jsep_remote *r, sansrtc_sdp_error *err) {
  if (pc == NULL || text == NULL ||
      (type != SANSRTC_SDP_OFFER && type != SANSRTC_SDP_ANSWER))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_signaling_state need =
      type == SANSRTC_SDP_OFFER ? SANSRTC_SIGNALING_STABLE : answer_needs;
  if (pc->closed || pc->signaling != need) return SANSRTC_ERR_INVALID_STATE;
  return read_description(text, len, sdp, r, err);
}

static void start_gathering(sansrtc_pc *pc) {
  if (pc->have_local) return;
  pc->have_local = 1;
  set_gathering(pc, pc->gathered ? SANSRTC_GATHERING_COMPLETE
                                 : SANSRTC_GATHERING_GATHERING);
}

int sansrtc_pc_set_local_description(sansrtc_pc *pc, sansrtc_sdp_type type,
                                     const char *text, size_t len,
                                     sansrtc_tstamp now, sansrtc_sdp_error *err) {
  sansrtc_sdp *sdp;
  jsep_remote mine;
  int rc = begin_description(pc, type, SANSRTC_SIGNALING_HAVE_REMOTE_OFFER, text,
                             len, &sdp, &mine, err);
  if (rc != SANSRTC_OK) return rc;
  sansrtc_sdp_free(sdp);
  if (strcmp(mine.ice_ufrag, sansrtc_ice_agent_local_ufrag(pc->ice)) != 0 ||
      strcmp(mine.ice_pwd, sansrtc_ice_agent_local_pwd(pc->ice)) != 0 ||
      strcmp(mine.fingerprint, sansrtc_dtls_cert_fingerprint(pc->cert)) != 0)
    return fail_description(err, "not this peer connection's description "
                                 "(ICE credentials or fingerprint differ)",
                            SANSRTC_ERR_MALFORMED);
  pc->session_version++;
  snprintf(pc->mid, sizeof pc->mid, "%s", mine.mid);
  if (type == SANSRTC_SDP_OFFER) {
    if (!pc->have_remote) {
      pc->is_offerer = 1;
      (void)sansrtc_ice_agent_set_role(pc->ice, SANSRTC_ICE_CONTROLLING);
    }
    set_signaling(pc, SANSRTC_SIGNALING_HAVE_LOCAL_OFFER);
  } else {
    /* Our answer's a=setup says which side we took. */
    sansrtc_dtls_role role;
    if (strcmp(mine.setup, "active") == 0)
      role = SANSRTC_DTLS_CLIENT;
    else if (strcmp(mine.setup, "passive") == 0)
      role = SANSRTC_DTLS_SERVER;
    else
      return fail_description(err, "a=setup of an answer must be active or passive",
                              SANSRTC_ERR_MALFORMED);
    rc = fix_dtls_role(pc, role, now);
    if (rc != SANSRTC_OK)
      return fail_description(err, "cannot create the DTLS/SCTP transport", rc);
    sansrtc_sdp_free(pc->remote_offer);
    pc->remote_offer = NULL;
    set_signaling(pc, SANSRTC_SIGNALING_STABLE);
  }
  start_gathering(pc);
  pump(pc, now);
  return SANSRTC_OK;
}

/* ICE credentials, role and candidates from the remote description. */
static int apply_remote_ice(sansrtc_pc *pc, const sansrtc_sdp *sdp,
                            const jsep_remote *r, sansrtc_tstamp now) {
  if (r->ice_lite && !pc->is_offerer)
    (void)sansrtc_ice_agent_set_role(pc->ice, SANSRTC_ICE_CONTROLLING);
  int rc = sansrtc_ice_agent_set_remote_credentials(pc->ice, r->ice_ufrag,
                                                    r->ice_pwd, now);
  if (rc == SANSRTC_ERR_INVALID_STATE) return SANSRTC_ERR_UNSUPPORTED;
  if (rc != SANSRTC_OK) return SANSRTC_ERR_MALFORMED;
  void *args[2] = {pc, &now};
  (void)jsep_for_each_remote_candidate(sdp, r, apply_description_candidate, args);
  if (r->end_of_candidates) (void)sansrtc_ice_agent_end_of_remote_candidates(pc->ice, now);
  return SANSRTC_OK;
}

int sansrtc_pc_set_remote_description(sansrtc_pc *pc, sansrtc_sdp_type type,
                                      const char *text, size_t len,
                                      sansrtc_tstamp now, sansrtc_sdp_error *err) {
  sansrtc_sdp *sdp;
  jsep_remote r;
  int rc = begin_description(pc, type, SANSRTC_SIGNALING_HAVE_LOCAL_OFFER, text,
                             len, &sdp, &r, err);
  if (rc != SANSRTC_OK) return rc;
  sansrtc_dtls_role role = SANSRTC_DTLS_CLIENT;
  if (type == SANSRTC_SDP_ANSWER &&
      sansrtc_dtls_role_from_setup(r.setup, 1, &role) != SANSRTC_OK) {
    sansrtc_sdp_free(sdp);
    return fail_description(err, "a=setup of an answer must be active or passive",
                            SANSRTC_ERR_MALFORMED);
  }
  if (type == SANSRTC_SDP_OFFER && r.setup[0] != '\0' &&
      strcmp(r.setup, "actpass") != 0 && strcmp(r.setup, "active") != 0 &&
      strcmp(r.setup, "passive") != 0) {
    sansrtc_sdp_free(sdp);
    return fail_description(err, "a=setup of an offer must be actpass, active or passive",
                            SANSRTC_ERR_MALFORMED);
  }
  rc = apply_remote_ice(pc, sdp, &r, now);
  if (rc != SANSRTC_OK) {
    sansrtc_sdp_free(sdp);
    return fail_description(err, rc == SANSRTC_ERR_UNSUPPORTED
                                     ? "different ICE credentials: ICE restart is not supported yet"
                                     : "bad a=ice-ufrag or a=ice-pwd",
                            rc);
  }
  pc->remote = r;
  pc->have_remote = 1;
  apply_pending_candidates(pc, now);
  if (type == SANSRTC_SDP_OFFER) {
    sansrtc_sdp_free(pc->remote_offer);
    pc->remote_offer = sdp;
    snprintf(pc->mid, sizeof pc->mid, "%s", r.mid);
    set_signaling(pc, SANSRTC_SIGNALING_HAVE_REMOTE_OFFER);
  } else {
    sansrtc_sdp_free(sdp);
    rc = fix_dtls_role(pc, role, now);
    if (rc != SANSRTC_OK)
      return fail_description(err, "cannot create the DTLS/SCTP transport", rc);
    set_signaling(pc, SANSRTC_SIGNALING_STABLE);
  }
  pump(pc, now);
  return SANSRTC_OK;
}

sansrtc_signaling_state sansrtc_pc_signaling_state(const sansrtc_pc *pc) {
  return pc != NULL ? pc->signaling : SANSRTC_SIGNALING_CLOSED;
}

/* ------------------------------------------------------------------------ */
/* Data channels                                                            */
/* ------------------------------------------------------------------------ */

int sansrtc_pc_create_data_channel(sansrtc_pc *pc, const sansrtc_dc_init *init,
                                   uint32_t *handle) {
  if (pc == NULL || init == NULL || handle == NULL ||
      (init->max_retransmits >= 0 && init->max_packet_lifetime_ms >= 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed) return SANSRTC_ERR_INVALID_STATE;
  if (init->negotiated)
    for (unsigned i = 0; i < pc->n_ch; i++)
      if (pc->ch[i].handle != 0 && !pc->ch[i].closed &&
          pc->ch[i].init.negotiated && pc->ch[i].init.id == init->id)
        return SANSRTC_ERR_INVALID_STATE;
  pc_channel *c = new_channel(pc, init->label, init->protocol);
  if (c == NULL) return table_full(pc) ? SANSRTC_ERR_LIMIT : SANSRTC_ERR_NOMEM;
  c->init = *init;
  c->init.label = NULL;
  c->init.protocol = NULL;
  if (pc->dc != NULL) {
    sansrtc_dc_init di = *init;
    di.label = c->label;
    di.protocol = c->protocol;
    uint16_t id;
    int rc = sansrtc_dc_open(pc->dc, &di, &id);
    if (rc != SANSRTC_OK) {
      free_channel(c);
      return rc;
    }
    c->stream = id;
  }
  *handle = c->handle;
  if (!pc->have_local && !pc->have_remote && !pc->negotiation_needed) {
    pc->negotiation_needed = 1;
    emit_simple(pc, SANSRTC_PC_EVENT_NEGOTIATION_NEEDED, 0, 0);
  }
  return SANSRTC_OK;
}

int32_t sansrtc_pc_channel_id(const sansrtc_pc *pc, uint32_t handle) {
  const pc_channel *c = pc != NULL ? channel_by_handle(pc, handle) : NULL;
  return c != NULL ? c->stream : -1;
}

const char *sansrtc_pc_channel_label(const sansrtc_pc *pc, uint32_t handle) {
  const pc_channel *c = pc != NULL ? channel_by_handle(pc, handle) : NULL;
  return c != NULL ? c->label : NULL;
}

const char *sansrtc_pc_channel_protocol(const sansrtc_pc *pc, uint32_t handle) {
  const pc_channel *c = pc != NULL ? channel_by_handle(pc, handle) : NULL;
  return c != NULL ? c->protocol : NULL;
}

static int send_message(sansrtc_pc *pc, uint32_t handle, const uint8_t *data,
                        size_t len, int binary, int more) {
  if (pc == NULL || (data == NULL && len > 0)) return SANSRTC_ERR_INVALID_ARGUMENT;
  pc_channel *c = channel_by_handle(pc, handle);
  if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
  if (pc->closed || c->stream < 0) return SANSRTC_ERR_INVALID_STATE;
  int rc = more ? sansrtc_dc_send_more(pc->dc, (uint16_t)c->stream, data, len, binary)
                : sansrtc_dc_send(pc->dc, (uint16_t)c->stream, data, len, binary);
  if (rc == SANSRTC_ERR_NOT_FOUND) rc = SANSRTC_ERR_INVALID_STATE;
  if (rc == SANSRTC_OK && !more) {
    pump_sctp(pc);
    pump_dtls_down(pc);
  }
  return rc;
}

int sansrtc_pc_send(sansrtc_pc *pc, uint32_t handle, const uint8_t *data,
                    size_t len, int binary) {
  return send_message(pc, handle, data, len, binary, 0);
}

int sansrtc_pc_send_more(sansrtc_pc *pc, uint32_t handle, const uint8_t *data,
                         size_t len, int binary) {
  return send_message(pc, handle, data, len, binary, 1);
}

int sansrtc_pc_flush(sansrtc_pc *pc) {
  if (pc == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->dc == NULL) return SANSRTC_OK;
  (void)sansrtc_datachannels_flush(pc->dc);
  pump_sctp(pc);
  pump_dtls_down(pc);
  return SANSRTC_OK;
}

size_t sansrtc_pc_buffered_amount(const sansrtc_pc *pc, uint32_t handle) {
  const pc_channel *c = pc != NULL ? channel_by_handle(pc, handle) : NULL;
  if (c == NULL || c->stream < 0) return 0;
  return sansrtc_dc_buffered_amount(pc->dc, (uint16_t)c->stream);
}

int sansrtc_pc_set_buffered_amount_low_threshold(sansrtc_pc *pc,
                                                 uint32_t handle, size_t bytes) {
  if (pc == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  pc_channel *c = channel_by_handle(pc, handle);
  if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
  if (c->stream < 0) return SANSRTC_ERR_INVALID_STATE;
  return sansrtc_dc_set_buffered_amount_low_threshold(pc->dc, (uint16_t)c->stream,
                                                      bytes);
}

int sansrtc_pc_close_channel(sansrtc_pc *pc, uint32_t handle) {
  if (pc == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  pc_channel *c = channel_by_handle(pc, handle);
  if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
  if (c->stream >= 0 && !pc->closed &&
      sansrtc_dc_close(pc->dc, (uint16_t)c->stream) == SANSRTC_OK) {
    pump_sctp(pc);
    pump_dtls_down(pc);
    return SANSRTC_OK;
  }
  /* Never opened (or already gone below): closed at once. */
  emit_simple(pc, SANSRTC_PC_EVENT_CHANNEL_CLOSING, 0, c->handle);
  emit_simple(pc, SANSRTC_PC_EVENT_CHANNEL_CLOSED, 0, c->handle);
  c->closed = 1;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Datagrams and time                                                       */
/* ------------------------------------------------------------------------ */

static void hold_early_dtls(sansrtc_pc *pc, const pc_path *p,
                            const uint8_t *data, size_t len) {
  if (sansrtc_dgram_queue_push2(&pc->early_dtls, (const uint8_t *)p, sizeof *p,
                                data, len) != SANSRTC_OK)
    sansrtc_log(&pc->log, SANSRTC_LOG_WARNING,
                "pc: early DTLS beyond max_early_dtls_bytes dropped");
}

int sansrtc_pc_handle_datagram(sansrtc_pc *pc, const sansrtc_addr *local,
                               const sansrtc_addr *remote, const uint8_t *data,
                               size_t len, sansrtc_tstamp now) {
  if (pc == NULL || local == NULL || remote == NULL || data == NULL || len == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed) return SANSRTC_ERR_INVALID_STATE;
  int rc = SANSRTC_OK;
  pc_path p = {*local, *remote};
  switch (sansrtc_packet_classify(data, len)) {
  case SANSRTC_PACKET_STUN:
    rc = sansrtc_ice_agent_handle_stun(pc->ice, local, remote, data, len, now);
    break;
  case SANSRTC_PACKET_DTLS:
    if (pc->dtls == NULL) {
      hold_early_dtls(pc, &p, data, len);
      break;
    }
    if (!pc->have_path) { /* answer where it came from until ICE selects */
      pc->path = p;
      pc->have_path = 1;
    }
    (void)sansrtc_dtls_handle_datagram(pc->dtls, data, len, now);
    break;
  default:
    break; /* RTP/RTCP until media exists, and noise */
  }
  pump(pc, now);
  return rc;
}

int sansrtc_pc_handle_timeout(sansrtc_pc *pc, sansrtc_tstamp now) {
  if (pc == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (pc->closed) return SANSRTC_OK;
  if (sansrtc_ice_agent_next_deadline(pc->ice) <= now)
    (void)sansrtc_ice_agent_handle_timeout(pc->ice, now);
  if (pc->dtls != NULL && sansrtc_dtls_next_deadline(pc->dtls) <= now)
    (void)sansrtc_dtls_handle_timeout(pc->dtls, now);
  if (pc->sctp != NULL && sansrtc_sctp_next_deadline(pc->sctp) <= now)
    (void)sansrtc_sctp_handle_timeout(pc->sctp, now);
  pump(pc, now);
  return SANSRTC_OK;
}

sansrtc_tstamp sansrtc_pc_next_deadline(const sansrtc_pc *pc) {
  if (pc == NULL || pc->closed) return SANSRTC_TSTAMP_NEVER;
  sansrtc_tstamp t = sansrtc_ice_agent_next_deadline(pc->ice);
  if (pc->dtls != NULL) {
    sansrtc_tstamp d = sansrtc_dtls_next_deadline(pc->dtls);
    if (d < t) t = d;
  }
  if (pc->sctp != NULL) {
    sansrtc_tstamp s = sansrtc_sctp_next_deadline(pc->sctp);
    if (s < t) t = s;
  }
  return t;
}

int sansrtc_pc_poll_transmit(sansrtc_pc *pc, uint8_t *buf, size_t cap,
                             size_t *len, sansrtc_addr *local,
                             sansrtc_addr *remote) {
  if (pc == NULL || buf == NULL || len == NULL || local == NULL || remote == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  pc_path p;
  int rc = sansrtc_dgram_queue_pop2(&pc->out, (uint8_t *)&p, sizeof p, buf, cap,
                                    len);
  if (rc == 1) {
    *local = p.local;
    *remote = p.remote;
  }
  return rc;
}

size_t sansrtc_pc_peek_transmit(sansrtc_pc *pc, sansrtc_pc_datagram *out,
                                size_t max) {
  if (pc == NULL || out == NULL) return 0;
  size_t n = 0, cursor = 0, len;
  uint8_t *entry;
  /* Every entry starts with its path (queue_datagram). */
  while (n < max && sansrtc_dgram_queue_next(&pc->out, &cursor, &entry, &len) &&
         len >= sizeof(pc_path)) {
    pc_path p;
    memcpy(&p, entry, sizeof p);
    out[n].data = entry + sizeof p;
    out[n].len = len - sizeof p;
    out[n].local = p.local;
    out[n].remote = p.remote;
    n++;
  }
  return n;
}

void sansrtc_pc_consume_transmit(sansrtc_pc *pc, size_t n) {
  for (size_t i = 0; pc != NULL && i < n && pc->out.count > 0; i++)
    sansrtc_dgram_queue_drop(&pc->out);
}

/* ------------------------------------------------------------------------ */
/* States, events, closing                                                  */
/* ------------------------------------------------------------------------ */

sansrtc_pc_state sansrtc_pc_connection_state(const sansrtc_pc *pc) {
  return pc != NULL ? pc->state : SANSRTC_PC_STATE_CLOSED;
}

sansrtc_ice_state sansrtc_pc_ice_connection_state(const sansrtc_pc *pc) {
  return pc != NULL ? pc->ice_state : SANSRTC_ICE_STATE_CLOSED;
}

sansrtc_gathering_state sansrtc_pc_gathering_state(const sansrtc_pc *pc) {
  return pc != NULL ? pc->gathering : SANSRTC_GATHERING_NEW;
}

sansrtc_dtls_state sansrtc_pc_dtls_state(const sansrtc_pc *pc) {
  return pc != NULL ? pc->dtls_state : SANSRTC_DTLS_STATE_CLOSED;
}

const char *sansrtc_pc_error_text(const sansrtc_pc *pc) {
  return pc != NULL ? pc->error : "";
}

/* Forgets a channel whose CHANNEL_CLOSED event was just taken. */
static void forget_closed_channel(sansrtc_pc *pc, uint32_t handle) {
  for (unsigned i = 0; i < pc->n_ch; i++)
    if (pc->ch[i].handle == handle && pc->ch[i].closed) free_channel(&pc->ch[i]);
}

int sansrtc_pc_poll_event(sansrtc_pc *pc, sansrtc_pc_event *ev, uint8_t *buf,
                          size_t cap) {
  if (pc == NULL || ev == NULL || (buf == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  uint8_t dummy[1];
  size_t len = 0;
  int rc = sansrtc_dgram_queue_pop2(&pc->events, (uint8_t *)ev, sizeof *ev,
                                    buf != NULL ? buf : dummy, cap, &len);
  if (rc == 1 && ev->type == SANSRTC_PC_EVENT_CHANNEL_CLOSED)
    forget_closed_channel(pc, ev->channel);
  return rc;
}

size_t sansrtc_pc_remote_max_message_size(const sansrtc_pc *pc) {
  if (pc == NULL || !pc->have_remote) return 0;
  /* 0 is "any size"; Firefox offers 1 GiB. Sends are bounded by what
   * the association accepts anyway. */
  size_t n = pc->remote.max_message_size;
  return n == 0 || n > SCTP_MAX_MESSAGE_CAP ? SCTP_MAX_MESSAGE_CAP : n;
}

int sansrtc_pc_selected_pair(const sansrtc_pc *pc, sansrtc_addr *local,
                             sansrtc_addr *remote) {
  if (pc == NULL || local == NULL || remote == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  return sansrtc_ice_agent_selected_pair(pc->ice, local, remote);
}

void sansrtc_pc_shutdown(sansrtc_pc *pc, sansrtc_tstamp now) {
  if (pc == NULL || pc->closed || pc->shutting_down) return;
  pc->closing = 1; /* channel failures from here on are ours */
  pc->shutting_down = 1;
  if (pc->sctp != NULL) {
    (void)sansrtc_sctp_shutdown(pc->sctp, now);
    pump_sctp(pc);
    pump_dtls_down(pc);
  }
  pump(pc, now); /* closes at once when there is no association */
}

void sansrtc_pc_close(sansrtc_pc *pc, sansrtc_tstamp now) {
  if (pc == NULL || pc->closed) return;
  pc->closing = 1;
  if (pc->dtls != NULL) {
    /* ABORT for the peer's association, then close_notify, both sent
     * before ICE stops. */
    (void)sansrtc_sctp_abort(pc->sctp, now);
    pump_sctp(pc);
    (void)sansrtc_dtls_close(pc->dtls, now);
    pump_dtls_down(pc);
  }
  for (unsigned i = 0; i < pc->n_ch; i++) {
    pc_channel *c = &pc->ch[i];
    if (c->handle == 0 || c->closed) continue;
    emit_simple(pc, SANSRTC_PC_EVENT_CHANNEL_CLOSED, 0, c->handle);
    c->closed = 1;
  }
  sansrtc_ice_agent_close(pc->ice);
  pc->closed = 1;
  pc->ice_state = SANSRTC_ICE_STATE_CLOSED;
  emit_simple(pc, SANSRTC_PC_EVENT_ICE_STATE, (int)pc->ice_state, 0);
  if (pc->dtls != NULL && pc->dtls_state != SANSRTC_DTLS_STATE_CLOSED) {
    pc->dtls_state = SANSRTC_DTLS_STATE_CLOSED;
    emit_simple(pc, SANSRTC_PC_EVENT_DTLS_STATE, (int)pc->dtls_state, 0);
  }
  set_signaling(pc, SANSRTC_SIGNALING_CLOSED);
  update_state(pc);
}
