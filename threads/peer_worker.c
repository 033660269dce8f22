/*
 * peer_worker.c - the threaded API of sansrtc/sansrtc.h: one worker thread
 * per peer connection drives the sans-I/O core over real UDP sockets.
 *
 * Who touches what:
 *   - the worker alone uses the core (pc), the sockets and the scratch
 *     buffers;
 *   - `lock` guards the channel table (send accounting), the mirrored
 *     states and the completion flags of blocking calls;
 *   - the two mailboxes have their own locks. No lock is held while
 *     another is taken, except that the worker calls the core (which may
 *     take usrsctp's locks) while holding `lock` for buffered-amount reads.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sansrtc/sansrtc.h>

#include "internal.h"
#include "mailbox.h"
#include "udp.h"

#define DEFAULT_SEND_BUFFER_LIMIT (4u * 1024 * 1024)
#define DEFAULT_STACK_SIZE (256u * 1024)
#define RECV_BUDGET 64 /* datagrams per socket per loop turn */
#define SEND_BURST 64 /* sends handed to SCTP together */
#define DGRAM_MAX 2048

/* ---- commands ------------------------------------------------------------- */

typedef enum cmd_type {
  CMD_WAKE = 1,     /* SCTP queued output from another thread */
  CMD_STOP,         /* destroy */
  CMD_CALL,         /* a blocking call: `call` points at the caller's */
  CMD_SEND          /* channel, binary; the message follows */
} cmd_type;

typedef enum call_type {
  CALL_CREATE_OFFER = 1,
  CALL_CREATE_ANSWER,
  CALL_SET_REMOTE,
  CALL_ADD_CANDIDATE,
  CALL_CREATE_CHANNEL,
  CALL_CLOSE_CHANNEL,
  CALL_SET_LOW_THRESHOLD,
  CALL_CHANNEL_INFO,
  CALL_SELECTED_PAIR,
  CALL_ERROR_TEXT,
  CALL_CLOSE
} call_type;

/* A blocking call, on the caller's stack until `done`. */
typedef struct peer_call {
  call_type type;
  /* Arguments. */
  sansrtc_sdp_type sdp_type;
  const char *text; /* SDP, candidate */
  const char *mid;
  const sansrtc_dc_init *init;
  uint32_t channel;
  size_t bytes;
  int timeout_ms;
  /* Results. */
  int rc;
  char *sdp;
  sansrtc_channel_info *info;
  sansrtc_addr *local, *remote;
  char *buf;
  size_t cap;
  int done; /* under peer->lock */
} peer_call;

typedef struct cmd_hdr {
  cmd_type type;
  uint32_t channel;
  int binary;
  peer_call *call;
} cmd_hdr;

/* Events travel through the event mailbox as this header, then the
 * message bytes, or the mid and candidate strings of LOCAL_CANDIDATE. */
typedef struct event_hdr {
  sansrtc_pc_event_type type;
  int state;
  uint32_t channel;
  int binary;
} event_hdr;

/* ---- the peer ---------------------------------------------------------------- */

/* What senders need to know about a channel (under peer->lock). */
typedef struct peer_channel {
  uint32_t handle;
  int sendable;   /* stream id known and not closing */
  size_t queued;  /* bytes in the command mailbox */
  size_t buffered; /* the core's buffered amount at the last look */
} peer_channel;

struct sansrtc_peer {
  sansrtc_peer_config cfg;
  char *interfaces;
  sansrtc_logger log;
  sansrtc_pc *pc;
  udp_socket socks[UDP_MAX_SOCKETS];
  size_t nsocks;
  mailbox commands, events;
  int have_commands, have_events;
  pthread_t thread;
  int thread_running;
  atomic_int wake_pending;

  pthread_mutex_t lock;
  pthread_cond_t changed; /* a call finished, or send room appeared */
  peer_channel *chans;
  size_t nchans, chans_cap;
  int send_waiters;
  size_t max_send; /* the peer's maximum message size, 0 until known */
  sansrtc_pc_state state;
  sansrtc_signaling_state signaling;
  int closed; /* the core was closed */

  char *stun_servers;

  /* Worker only. */
  int stop;
  peer_call *deferred[8];      /* offers/answers waiting for gathering */
  size_t ndeferred;
  int in_callback;             /* inside cfg.event_fn */
  peer_call *close_call;       /* a close waiting for channels, SCTP */
  int shutting_down;            /* sansrtc_pc_shutdown was called */
  sansrtc_tstamp close_deadline;
  uint8_t *msg_buf;             /* one message (max_message_size) */
  size_t msg_cap;
  /* One recvmmsg's worth of datagrams, UDP_RECV_BATCH x DGRAM_MAX bytes
   * (malloc'd: pages a quiet connection never touches cost nothing). */
  uint8_t *rx;
};

static sansrtc_tstamp monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (sansrtc_tstamp)ts.tv_sec * SANSRTC_SECONDS + (sansrtc_tstamp)ts.tv_nsec;
}

/* The core's time: the clock slowed down by cfg.time_dilation. */
static sansrtc_tstamp core_now(const sansrtc_peer *p) {
  return monotonic_now() / p->cfg.time_dilation;
}

static int on_worker(const sansrtc_peer *p) {
  return p->thread_running && pthread_equal(pthread_self(), p->thread);
}

void sansrtc_peer_config_default(sansrtc_peer_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->ipv4 = 1;
  cfg->ipv6 = 1;
  cfg->max_message_size = 262144;
  cfg->send_buffer_limit = DEFAULT_SEND_BUFFER_LIMIT;
  cfg->thread_stack_size = DEFAULT_STACK_SIZE;
  cfg->time_dilation = 1;
}

/* ---- the channel table (callers hold peer->lock) ----------------------------- */

static peer_channel *find_channel(sansrtc_peer *p, uint32_t handle) {
  for (size_t i = 0; i < p->nchans; i++)
    if (p->chans[i].handle == handle) return &p->chans[i];
  return NULL;
}

static int add_channel(sansrtc_peer *p, uint32_t handle) {
  if (find_channel(p, handle) != NULL) return SANSRTC_OK;
  if (p->nchans == p->chans_cap) {
    size_t cap = p->chans_cap ? 2 * p->chans_cap : 4;
    peer_channel *c = realloc(p->chans, cap * sizeof *c);
    if (c == NULL) return SANSRTC_ERR_NOMEM;
    p->chans = c;
    p->chans_cap = cap;
  }
  peer_channel *c = &p->chans[p->nchans++];
  memset(c, 0, sizeof *c);
  c->handle = handle;
  c->sendable = sansrtc_pc_channel_id(p->pc, handle) >= 0;
  return SANSRTC_OK;
}

static void remove_channel(sansrtc_peer *p, uint32_t handle) {
  peer_channel *c = find_channel(p, handle);
  if (c == NULL) return;
  *c = p->chans[--p->nchans];
}

/* After a turn of the worker: refresh what senders see and wake them. */
static void refresh_channels(sansrtc_peer *p) {
  pthread_mutex_lock(&p->lock);
  for (size_t i = 0; i < p->nchans; i++) {
    peer_channel *c = &p->chans[i];
    c->buffered = sansrtc_pc_buffered_amount(p->pc, c->handle);
    if (!c->sendable && !p->closed && sansrtc_pc_channel_id(p->pc, c->handle) >= 0)
      c->sendable = 1;
  }
  if (p->send_waiters > 0) pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

/* ---- events ------------------------------------------------------------------- */

/* Mirrors what an event changes into the state senders and getters see. */
static void track_event(sansrtc_peer *p, const sansrtc_pc_event *ev) {
  pthread_mutex_lock(&p->lock);
  peer_channel *c;
  switch (ev->type) {
  case SANSRTC_PC_EVENT_CONNECTION_STATE: p->state = (sansrtc_pc_state)ev->state; break;
  case SANSRTC_PC_EVENT_SIGNALING_STATE:
    p->signaling = (sansrtc_signaling_state)ev->state;
    break;
  case SANSRTC_PC_EVENT_DATA_CHANNEL:
    if (add_channel(p, ev->channel) != SANSRTC_OK)
      sansrtc_log(&p->log, SANSRTC_LOG_ERROR, "peer: no memory for a channel");
    break;
  case SANSRTC_PC_EVENT_CHANNEL_CLOSING:
    if ((c = find_channel(p, ev->channel)) != NULL) c->sendable = 0;
    break;
  case SANSRTC_PC_EVENT_CHANNEL_CLOSED: remove_channel(p, ev->channel); break;
  default: break;
  }
  if (p->send_waiters > 0) pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

static void deliver_event(sansrtc_peer *p, const sansrtc_pc_event *ev,
                          const uint8_t *data) {
  if (p->cfg.event_fn != NULL) {
    p->in_callback = 1;
    p->cfg.event_fn(p->cfg.event_user_data, p, ev, data);
    p->in_callback = 0;
    return;
  }
  event_hdr h = {ev->type, ev->state, ev->channel, ev->binary};
  int rc;
  if (ev->type == SANSRTC_PC_EVENT_LOCAL_CANDIDATE) {
    char text[sizeof ev->mid + sizeof ev->candidate];
    size_t mlen = strlen(ev->mid) + 1, clen = strlen(ev->candidate) + 1;
    memcpy(text, ev->mid, mlen);
    memcpy(text + mlen, ev->candidate, clen);
    rc = mailbox_push(&p->events, &h, sizeof h, text, mlen + clen);
  } else {
    rc = mailbox_push(&p->events, &h, sizeof h, data,
                      ev->type == SANSRTC_PC_EVENT_MESSAGE ? ev->len : 0);
  }
  if (rc != SANSRTC_OK)
    sansrtc_log(&p->log, SANSRTC_LOG_ERROR, "peer: event lost: %s",
                sansrtc_strerror(rc));
}

static void drain_events(sansrtc_peer *p) {
  sansrtc_pc_event ev;
  while (sansrtc_pc_poll_event(p->pc, &ev, p->msg_buf, p->msg_cap) == 1) {
    track_event(p, &ev);
    deliver_event(p, &ev, p->msg_buf);
  }
}

/* ---- datagrams out ------------------------------------------------------------ */

static const udp_socket *socket_for(const sansrtc_peer *p, const sansrtc_addr *local) {
  for (size_t i = 0; i < p->nsocks; i++)
    if (sansrtc_addr_equal(&p->socks[i].addr, local)) return &p->socks[i];
  return NULL;
}

/* Sends what the core queued, straight from its queue, in batches of
 * consecutive datagrams that leave from the same socket. */
static void flush_transmit(sansrtc_peer *p) {
  sansrtc_pc_datagram d[UDP_SEND_BATCH];
  size_t n;
  while ((n = sansrtc_pc_peek_transmit(p->pc, d, UDP_SEND_BATCH)) > 0) {
    size_t same = 1;
    while (same < n && sansrtc_addr_equal(&d[same].local, &d[0].local)) same++;
    const udp_socket *s = socket_for(p, &d[0].local);
    size_t sent = s != NULL ? udp_send_batch(s, d, same) : 0;
    if (sent == 0) { /* the first cannot go: drop it, as UDP would */
      char text[SANSRTC_ADDR_STRLEN];
      sansrtc_log(&p->log, SANSRTC_LOG_DEBUG, "peer: could not send to %s",
                  sansrtc_addr_format(&d[0].remote, text, sizeof text));
      sent = 1;
    }
    sansrtc_pc_consume_transmit(p->pc, sent);
  }
}

/* ---- blocking calls, run on the worker -------------------------------------------- */

/* Creates an offer or answer, applies it, and returns its text. */
static int make_local_description(sansrtc_peer *p, sansrtc_sdp_type type,
                                  char **out, sansrtc_tstamp now) {
  int (*create)(sansrtc_pc *, char *, size_t, size_t *) =
      type == SANSRTC_SDP_OFFER ? sansrtc_pc_create_offer : sansrtc_pc_create_answer;
  size_t len = 0;
  int rc = create(p->pc, NULL, 0, &len);
  if (rc != SANSRTC_OK && rc != SANSRTC_ERR_BUFFER_TOO_SMALL) return rc;
  char *sdp = malloc(len + 1);
  if (sdp == NULL) return SANSRTC_ERR_NOMEM;
  rc = create(p->pc, sdp, len + 1, &len);
  if (rc == SANSRTC_OK)
    rc = sansrtc_pc_set_local_description(p->pc, type, sdp, len, now, NULL);
  if (rc != SANSRTC_OK) {
    free(sdp);
    return rc;
  }
  *out = sdp;
  return SANSRTC_OK;
}

static int create_channel(sansrtc_peer *p, peer_call *c) {
  sansrtc_dc_init init;
  if (c->init != NULL) init = *c->init;
  else sansrtc_dc_init_default(&init);
  if (c->text != NULL) init.label = c->text;
  int rc = sansrtc_pc_create_data_channel(p->pc, &init, &c->channel);
  if (rc != SANSRTC_OK) return rc;
  pthread_mutex_lock(&p->lock);
  rc = add_channel(p, c->channel);
  pthread_mutex_unlock(&p->lock);
  if (rc != SANSRTC_OK) (void)sansrtc_pc_close_channel(p->pc, c->channel);
  return rc;
}

static void copy_text(char *dst, size_t cap, const char *src) {
  if (cap == 0) return;
  size_t n = src != NULL ? strlen(src) : 0;
  if (n >= cap) n = cap - 1;
  if (n > 0) memcpy(dst, src, n);
  dst[n] = '\0';
}

static int channel_info(sansrtc_peer *p, peer_call *c) {
  const char *label = sansrtc_pc_channel_label(p->pc, c->channel);
  if (label == NULL) return SANSRTC_ERR_NOT_FOUND;
  copy_text(c->info->label, sizeof c->info->label, label);
  copy_text(c->info->protocol, sizeof c->info->protocol,
            sansrtc_pc_channel_protocol(p->pc, c->channel));
  c->info->id = sansrtc_pc_channel_id(p->pc, c->channel);
  return SANSRTC_OK;
}

static void drain_events(sansrtc_peer *p);
static void flush_transmit(sansrtc_peer *p);

/* Answers a call. What it changed is sent and its events are taken first,
 * so the states a caller reads afterwards already show its effect
 * (except inside the callback, which is itself delivering events). */
static void finish_call(sansrtc_peer *p, peer_call *c, int rc) {
  if (!p->in_callback && p->thread_running) {
    flush_transmit(p);
    drain_events(p);
  }
  pthread_mutex_lock(&p->lock);
  c->rc = rc;
  c->done = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

static void close_now(sansrtc_peer *p, sansrtc_tstamp now) {
  sansrtc_pc_close(p->pc, now);
  pthread_mutex_lock(&p->lock);
  p->closed = 1;
  for (size_t i = 0; i < p->nchans; i++) p->chans[i].sendable = 0;
  pthread_mutex_unlock(&p->lock);
  if (p->close_call != NULL) {
    finish_call(p, p->close_call, SANSRTC_OK);
    p->close_call = NULL;
  }
}

/* Starts a graceful close: channels close first, the core when they are
 * done or the time is up (checked by close_when_due). */
static int start_close(sansrtc_peer *p, peer_call *c, sansrtc_tstamp now) {
  if (p->close_call != NULL) return SANSRTC_ERR_INVALID_STATE;
  int wait = sansrtc_pc_connection_state(p->pc) == SANSRTC_PC_STATE_CONNECTED &&
             c->timeout_ms != 0;
  pthread_mutex_lock(&p->lock);
  size_t n = p->nchans;
  uint32_t *handles = n > 0 ? malloc(n * sizeof *handles) : NULL;
  for (size_t i = 0; handles != NULL && i < n; i++) handles[i] = p->chans[i].handle;
  pthread_mutex_unlock(&p->lock);
  for (size_t i = 0; handles != NULL && i < n; i++)
    (void)sansrtc_pc_close_channel(p->pc, handles[i]);
  free(handles);
  p->close_call = c;
  p->close_deadline = !wait ? now
                      : c->timeout_ms < 0 ? SANSRTC_TSTAMP_NEVER
                      : now + (sansrtc_tstamp)c->timeout_ms * SANSRTC_MILLISECONDS /
                                  p->cfg.time_dilation;
  return 1; /* answered later */
}

/* Runs the descriptions that waited, once gathering is over (or the
 * connection closed, which they then report). */
static void run_deferred(sansrtc_peer *p, sansrtc_tstamp now, int refuse) {
  if (p->ndeferred == 0 ||
      (!refuse && !sansrtc_pc_local_candidates_complete(p->pc) &&
       sansrtc_pc_signaling_state(p->pc) != SANSRTC_SIGNALING_CLOSED))
    return;
  size_t n = p->ndeferred;
  p->ndeferred = 0;
  for (size_t i = 0; i < n; i++) {
    peer_call *c = p->deferred[i];
    if (refuse) finish_call(p, c, SANSRTC_ERR_INVALID_STATE);
    else
      finish_call(p, c, make_local_description(p, c->type == CALL_CREATE_OFFER
                                                       ? SANSRTC_SDP_OFFER
                                                       : SANSRTC_SDP_ANSWER,
                                               &c->sdp, now));
  }
}

/* A graceful close in steps: channels finish closing (their data
 * delivered), then SCTP shuts down, then the core closes (close_notify).
 * Whatever is left when the time is up is closed at once. */
static void close_when_due(sansrtc_peer *p, sansrtc_tstamp now) {
  if (p->close_call == NULL) return;
  pthread_mutex_lock(&p->lock);
  int channels_left = p->nchans > 0;
  pthread_mutex_unlock(&p->lock);
  int connected = sansrtc_pc_connection_state(p->pc) == SANSRTC_PC_STATE_CONNECTED;
  if (now >= p->close_deadline || (!connected && !p->shutting_down)) {
    close_now(p, now);
    return;
  }
  if (channels_left) return;
  if (!p->shutting_down) {
    p->shutting_down = 1;
    sansrtc_pc_shutdown(p->pc, now);
  }
  if (sansrtc_pc_signaling_state(p->pc) == SANSRTC_SIGNALING_CLOSED) close_now(p, now);
}

/* Offers and answers list every candidate: while STUN servers are still
 * being asked (up to 3 s), they wait; from the callback they cannot. */
static int defer_description(sansrtc_peer *p, peer_call *c) {
  if (p->in_callback || sansrtc_pc_local_candidates_complete(p->pc) ||
      p->ndeferred == sizeof p->deferred / sizeof p->deferred[0] ||
      sansrtc_pc_signaling_state(p->pc) == SANSRTC_SIGNALING_CLOSED)
    return 0;
  p->deferred[p->ndeferred++] = c;
  return 1;
}

/* Runs a call; returns 1 when it will be answered later (close, or a
 * description waiting for gathering). */
static int run_call(sansrtc_peer *p, peer_call *c, sansrtc_tstamp now) {
  int rc;
  if ((c->type == CALL_CREATE_OFFER || c->type == CALL_CREATE_ANSWER) &&
      defer_description(p, c))
    return 1;
  switch (c->type) {
  case CALL_CREATE_OFFER:
    rc = make_local_description(p, SANSRTC_SDP_OFFER, &c->sdp, now);
    break;
  case CALL_CREATE_ANSWER:
    rc = make_local_description(p, SANSRTC_SDP_ANSWER, &c->sdp, now);
    break;
  case CALL_SET_REMOTE:
    rc = sansrtc_pc_set_remote_description(p->pc, c->sdp_type, c->text,
                                           strlen(c->text), now, NULL);
    pthread_mutex_lock(&p->lock);
    p->max_send = sansrtc_pc_remote_max_message_size(p->pc);
    pthread_mutex_unlock(&p->lock);
    break;
  case CALL_ADD_CANDIDATE:
    rc = sansrtc_pc_add_remote_candidate(p->pc, c->mid, c->text, now);
    break;
  case CALL_CREATE_CHANNEL: rc = create_channel(p, c); break;
  case CALL_CLOSE_CHANNEL: rc = sansrtc_pc_close_channel(p->pc, c->channel); break;
  case CALL_SET_LOW_THRESHOLD:
    rc = sansrtc_pc_set_buffered_amount_low_threshold(p->pc, c->channel, c->bytes);
    break;
  case CALL_CHANNEL_INFO: rc = channel_info(p, c); break;
  case CALL_SELECTED_PAIR:
    rc = sansrtc_pc_selected_pair(p->pc, c->local, c->remote);
    break;
  case CALL_ERROR_TEXT:
    copy_text(c->buf, c->cap, sansrtc_pc_error_text(p->pc));
    rc = SANSRTC_OK;
    break;
  case CALL_CLOSE:
    if (sansrtc_pc_signaling_state(p->pc) == SANSRTC_SIGNALING_CLOSED) {
      rc = SANSRTC_OK;
      break;
    }
    rc = start_close(p, c, now);
    if (rc == 1) return 1;
    break;
  default: rc = SANSRTC_ERR_INVALID_ARGUMENT; break;
  }
  finish_call(p, c, rc);
  return 0;
}

/* ---- the worker loop ---------------------------------------------------------------- */

/* Queued with "more": the burst goes out together (drain_commands). */
static void handle_send(sansrtc_peer *p, const cmd_hdr *h, size_t len) {
  int rc = sansrtc_pc_send_more(p->pc, h->channel, p->msg_buf, len, h->binary);
  pthread_mutex_lock(&p->lock);
  peer_channel *c = find_channel(p, h->channel);
  if (c != NULL) {
    c->queued -= len <= c->queued ? len : c->queued;
    c->buffered = sansrtc_pc_buffered_amount(p->pc, h->channel);
  }
  pthread_mutex_unlock(&p->lock);
  if (rc != SANSRTC_OK)
    sansrtc_log(&p->log, SANSRTC_LOG_WARNING,
                "peer: a message on channel %u was not sent: %s", h->channel,
                sansrtc_strerror(rc));
}

/* Runs every queued command. Sends are handed to SCTP in bursts of up to
 * SEND_BURST messages, so small ones share packets. */
static void drain_commands(sansrtc_peer *p, sansrtc_tstamp now) {
  cmd_hdr h;
  size_t len;
  int rc, held = 0;
  while ((rc = mailbox_pop(&p->commands, &h, sizeof h, p->msg_buf, p->msg_cap,
                           &len, 0)) == 1) {
    switch (h.type) {
    case CMD_WAKE: atomic_store(&p->wake_pending, 0); break;
    case CMD_STOP: p->stop = 1; return;
    case CMD_CALL:
      (void)sansrtc_pc_flush(p->pc);
      (void)run_call(p, h.call, now);
      break;
    case CMD_SEND:
      handle_send(p, &h, len);
      if (++held == SEND_BURST) {
        (void)sansrtc_pc_flush(p->pc);
        held = 0;
      }
      break;
    }
  }
  (void)sansrtc_pc_flush(p->pc);
  if (rc == SANSRTC_ERR_BUFFER_TOO_SMALL) { /* cannot happen: sends are checked */
    sansrtc_log(&p->log, SANSRTC_LOG_ERROR, "peer: oversized command dropped");
    mailbox_drop(&p->commands);
  }
}

static void receive_datagrams(sansrtc_peer *p, const udp_socket *s,
                              sansrtc_tstamp now) {
  size_t lens[UDP_RECV_BATCH];
  sansrtc_addr from[UDP_RECV_BATCH];
  for (int k = 0; k < RECV_BUDGET; k += UDP_RECV_BATCH) {
    int n = udp_recv_batch(s, p->rx, DGRAM_MAX, UDP_RECV_BATCH, lens, from);
    for (int i = 0; i < n; i++)
      if (lens[i] > 0)
        (void)sansrtc_pc_handle_datagram(p->pc, &s->addr, &from[i],
                                         p->rx + (size_t)i * DGRAM_MAX, lens[i], now);
    if (n < UDP_RECV_BATCH) break; /* nothing more waiting */
  }
}

/* Real milliseconds until core time `deadline`, rounded up, for poll(). */
static int poll_timeout(const sansrtc_peer *p, sansrtc_tstamp deadline, sansrtc_tstamp now) {
  if (deadline == SANSRTC_TSTAMP_NEVER) return -1;
  if (deadline <= now) return 0;
  sansrtc_tstamp ms = (deadline - now + SANSRTC_MILLISECONDS - 1) / SANSRTC_MILLISECONDS;
  ms *= p->cfg.time_dilation;
  return ms > 60000 ? 60000 : (int)ms;
}

static void *worker_main(void *arg) {
  sansrtc_peer *p = arg;
  struct pollfd fds[UDP_MAX_SOCKETS + 1];
  fds[0].fd = mailbox_fd(&p->commands);
  fds[0].events = POLLIN;
  for (size_t i = 0; i < p->nsocks; i++) {
    fds[i + 1].fd = p->socks[i].fd;
    fds[i + 1].events = POLLIN;
  }
  sansrtc_tstamp now = core_now(p);
  flush_transmit(p); /* what create queued (STUN server requests) */
  drain_events(p);
  while (!p->stop) {
    sansrtc_tstamp deadline = sansrtc_pc_next_deadline(p->pc);
    if (p->close_call != NULL && p->close_deadline < deadline)
      deadline = p->close_deadline;
    int n = poll(fds, (nfds_t)(p->nsocks + 1), poll_timeout(p, deadline, now));
    now = core_now(p);
    if (n < 0 && errno != EINTR) {
      sansrtc_log(&p->log, SANSRTC_LOG_ERROR, "peer: poll: %s", strerror(errno));
      break;
    }
    for (size_t i = 0; n > 0 && i < p->nsocks; i++)
      if (fds[i + 1].revents & (POLLIN | POLLERR)) receive_datagrams(p, &p->socks[i], now);
    if (n > 0 && (fds[0].revents & POLLIN)) drain_commands(p, now);
    if (sansrtc_pc_next_deadline(p->pc) <= now) (void)sansrtc_pc_handle_timeout(p->pc, now);
    close_when_due(p, now);
    run_deferred(p, now, 0);
    flush_transmit(p);
    drain_events(p);
    refresh_channels(p);
  }
  return NULL;
}

/* ---- create and destroy ----------------------------------------------------------------- */

/* Called by SCTP from whichever thread ran its timers. */
static void wake_worker(void *user_data) {
  sansrtc_peer *p = user_data;
  if (atomic_exchange(&p->wake_pending, 1) == 0) {
    cmd_hdr h = {CMD_WAKE, 0, 0, NULL};
    if (mailbox_push(&p->commands, &h, sizeof h, NULL, 0) != SANSRTC_OK)
      atomic_store(&p->wake_pending, 0);
  }
}

static int create_core(sansrtc_peer *p) {
  sansrtc_pc_config pc;
  sansrtc_pc_config_default(&pc);
  pc.cert = p->cfg.cert;
  pc.cert_unix_time = (int64_t)time(NULL);
  pc.sctp.max_message_size = p->cfg.max_message_size;
  pc.sctp.wake_fn = wake_worker;
  pc.sctp.wake_user_data = p;
  /* The threads layer applies its own send limit before the core's. */
  pc.datachannels.max_buffered_per_channel = SIZE_MAX / 4;
  pc.log_fn = p->cfg.log_fn;
  pc.log_user_data = p->cfg.log_user_data;
  pc.log_level = p->cfg.log_level;
  pc.ice.log_fn = pc.dtls.log_fn = pc.sctp.log_fn = p->cfg.log_fn;
  pc.ice.log_user_data = pc.dtls.log_user_data = pc.sctp.log_user_data =
      p->cfg.log_user_data;
  pc.ice.log_level = pc.dtls.log_level = pc.sctp.log_level = p->cfg.log_level;
  return sansrtc_pc_new(&p->pc, &pc);
}

static int gather(sansrtc_peer *p) {
  udp_gather_config g = {p->cfg.port_min, p->cfg.port_max, p->cfg.ipv4,
                         p->cfg.ipv6, p->interfaces, p->cfg.include_loopback};
  sansrtc_addr servers[SANSRTC_ICE_MAX_STUN_SERVERS];
  size_t nservers = 0;
  int rc = udp_resolve_servers(p->stun_servers, p->cfg.ipv4, p->cfg.ipv6, servers,
                               SANSRTC_ICE_MAX_STUN_SERVERS, &nservers);
  if (rc != SANSRTC_OK) {
    sansrtc_log(&p->log, SANSRTC_LOG_ERROR, "peer: bad STUN server list \"%s\": %s",
                p->stun_servers, sansrtc_strerror(rc));
    return rc;
  }
  sansrtc_tstamp now = core_now(p);
  for (size_t i = 0; i < nservers && rc == SANSRTC_OK; i++)
    rc = sansrtc_pc_add_stun_server(p->pc, &servers[i], now);
  if (rc == SANSRTC_OK)
    rc = udp_gather(&g, p->socks, UDP_MAX_SOCKETS, &p->nsocks, &p->log);
  for (size_t i = 0; rc == SANSRTC_OK && i < p->nsocks; i++) {
    sansrtc_ice_candidate c;
    memset(&c, 0, sizeof c);
    c.component = 1;
    c.transport = SANSRTC_ICE_TRANSPORT_UDP;
    c.type = SANSRTC_ICE_CANDIDATE_HOST;
    c.addr = p->socks[i].addr;
    rc = sansrtc_pc_add_local_candidate(p->pc, &c, now);
  }
  if (rc == SANSRTC_OK) rc = sansrtc_pc_end_of_local_candidates(p->pc, now);
  return rc;
}

static int start_thread(sansrtc_peer *p) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return SANSRTC_ERR_SYSTEM;
  size_t stack = p->cfg.thread_stack_size;
  if (stack < (size_t)PTHREAD_STACK_MIN) stack = (size_t)PTHREAD_STACK_MIN;
  int rc = pthread_attr_setstacksize(&attr, stack);
  if (rc == 0) rc = pthread_create(&p->thread, &attr, worker_main, p);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return SANSRTC_ERR_SYSTEM;
  }
  p->thread_running = 1;
  return SANSRTC_OK;
}

static int check_config(const sansrtc_peer_config *c) {
  if ((!c->ipv4 && !c->ipv6) || c->port_max < c->port_min ||
      (c->port_min == 0) != (c->port_max == 0) || c->max_message_size == 0 ||
      c->send_buffer_limit == 0 || c->time_dilation == 0 || c->time_dilation > 1000)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  return SANSRTC_OK;
}

int sansrtc_peer_create(sansrtc_peer **out, const sansrtc_peer_config *cfg) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  sansrtc_peer_config defaults;
  if (cfg == NULL) {
    sansrtc_peer_config_default(&defaults);
    cfg = &defaults;
  }
  if (check_config(cfg) != SANSRTC_OK) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_peer *p = calloc(1, sizeof *p);
  if (p == NULL) return SANSRTC_ERR_NOMEM;
  p->cfg = *cfg;
  p->log.fn = cfg->log_fn;
  p->log.user_data = cfg->log_user_data;
  p->log.level = cfg->log_level;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    free(p);
    return SANSRTC_ERR_SYSTEM;
  }
  pthread_condattr_t ca;
  int ok = pthread_condattr_init(&ca) == 0 &&
           pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
           pthread_cond_init(&p->changed, &ca) == 0;
  pthread_condattr_destroy(&ca);
  if (!ok) {
    pthread_mutex_destroy(&p->lock);
    free(p);
    return SANSRTC_ERR_SYSTEM;
  }
  int rc = SANSRTC_OK;
  if (cfg->interfaces != NULL && (p->interfaces = strdup(cfg->interfaces)) == NULL)
    rc = SANSRTC_ERR_NOMEM;
  if (cfg->stun_servers != NULL && (p->stun_servers = strdup(cfg->stun_servers)) == NULL)
    rc = SANSRTC_ERR_NOMEM;
  p->cfg.interfaces = p->interfaces;
  p->cfg.stun_servers = p->stun_servers;
  p->msg_cap = cfg->max_message_size;
  if (rc == SANSRTC_OK && (p->msg_buf = malloc(p->msg_cap)) == NULL)
    rc = SANSRTC_ERR_NOMEM;
  if (rc == SANSRTC_OK && (p->rx = malloc((size_t)UDP_RECV_BATCH * DGRAM_MAX)) == NULL)
    rc = SANSRTC_ERR_NOMEM;
  if (rc == SANSRTC_OK && (rc = mailbox_init(&p->commands, SIZE_MAX)) == SANSRTC_OK)
    p->have_commands = 1;
  if (rc == SANSRTC_OK && (rc = mailbox_init(&p->events, SIZE_MAX)) == SANSRTC_OK)
    p->have_events = 1;
  if (rc == SANSRTC_ERR_LIMIT) rc = SANSRTC_ERR_SYSTEM;
  if (rc == SANSRTC_OK) rc = create_core(p);
  if (rc == SANSRTC_OK) rc = gather(p);
  if (rc == SANSRTC_OK) rc = start_thread(p);
  if (rc != SANSRTC_OK) {
    int saved = errno;
    sansrtc_peer_destroy(p);
    errno = saved;
    return rc;
  }
  *out = p;
  return SANSRTC_OK;
}

/* Answers calls still queued when the worker has stopped. */
static void refuse_queued_calls(sansrtc_peer *p) {
  cmd_hdr h;
  size_t len;
  int rc;
  while ((rc = mailbox_pop(&p->commands, &h, sizeof h, NULL, 0, &len, 0)) != 0 &&
         rc != SANSRTC_ERR_INVALID_STATE) {
    if (rc == SANSRTC_ERR_BUFFER_TOO_SMALL) mailbox_drop(&p->commands);
    if (h.type == CMD_CALL) finish_call(p, h.call, SANSRTC_ERR_INVALID_STATE);
  }
}

void sansrtc_peer_destroy(sansrtc_peer *p) {
  if (p == NULL) return;
  if (on_worker(p)) {
    sansrtc_log(&p->log, SANSRTC_LOG_ERROR,
                "peer: sansrtc_peer_destroy called from the event callback; ignored");
    return;
  }
  if (p->thread_running) {
    cmd_hdr h = {CMD_STOP, 0, 0, NULL};
    while (mailbox_push(&p->commands, &h, sizeof h, NULL, 0) == SANSRTC_ERR_NOMEM) {
      struct timespec t = {0, 1000000};
      nanosleep(&t, NULL);
    }
    pthread_join(p->thread, NULL);
    p->thread_running = 0;
  }
  if (p->have_commands) {
    mailbox_close(&p->commands);
    if (p->close_call != NULL) finish_call(p, p->close_call, SANSRTC_OK);
    run_deferred(p, 0, 1);
    refuse_queued_calls(p);
  }
  /* The core goes before the mailboxes: SCTP may call wake_worker until
   * its association is freed. */
  sansrtc_pc_del(p->pc);
  udp_close_all(p->socks, p->nsocks);
  if (p->have_commands) mailbox_destroy(&p->commands);
  if (p->have_events) mailbox_destroy(&p->events);
  pthread_cond_destroy(&p->changed);
  pthread_mutex_destroy(&p->lock);
  free(p->chans);
  free(p->msg_buf);
  free(p->rx);
  free(p->interfaces);
  free(p->stun_servers);
  free(p);
}

/* ---- the calling side ----------------------------------------------------------------- */

/* Hands a call to the worker and waits for its answer (or runs it
 * directly when already on the worker, inside the event callback). */
static int call_worker(sansrtc_peer *p, peer_call *c) {
  if (on_worker(p)) {
    if (c->type == CALL_CLOSE) c->timeout_ms = 0; /* cannot wait on ourselves */
    if (run_call(p, c, core_now(p)) == 1) {
      close_now(p, core_now(p));
    }
    return c->rc;
  }
  c->done = 0;
  cmd_hdr h = {CMD_CALL, 0, 0, c};
  int rc = mailbox_push(&p->commands, &h, sizeof h, NULL, 0);
  if (rc != SANSRTC_OK) return rc;
  pthread_mutex_lock(&p->lock);
  while (!c->done) pthread_cond_wait(&p->changed, &p->lock);
  pthread_mutex_unlock(&p->lock);
  return c->rc;
}

static int describe(sansrtc_peer *p, call_type type, char **sdp) {
  if (p == NULL || sdp == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *sdp = NULL;
  peer_call c = {.type = type};
  int rc = call_worker(p, &c);
  if (rc == SANSRTC_OK) *sdp = c.sdp;
  else free(c.sdp);
  return rc;
}

int sansrtc_peer_create_offer(sansrtc_peer *p, char **sdp) {
  return describe(p, CALL_CREATE_OFFER, sdp);
}

int sansrtc_peer_create_answer(sansrtc_peer *p, char **sdp) {
  return describe(p, CALL_CREATE_ANSWER, sdp);
}

int sansrtc_peer_set_remote_description(sansrtc_peer *p, sansrtc_sdp_type type,
                                        const char *sdp) {
  if (p == NULL || sdp == NULL ||
      (type != SANSRTC_SDP_OFFER && type != SANSRTC_SDP_ANSWER))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_SET_REMOTE, .sdp_type = type, .text = sdp};
  return call_worker(p, &c);
}

int sansrtc_peer_add_remote_candidate(sansrtc_peer *p, const char *mid,
                                      const char *candidate) {
  if (p == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_ADD_CANDIDATE, .mid = mid, .text = candidate};
  return call_worker(p, &c);
}

int sansrtc_peer_create_channel(sansrtc_peer *p, const char *label,
                                const sansrtc_dc_init *init, uint32_t *channel) {
  if (p == NULL || channel == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_CREATE_CHANNEL, .text = label, .init = init};
  int rc = call_worker(p, &c);
  *channel = rc == SANSRTC_OK ? c.channel : 0;
  return rc;
}

int sansrtc_peer_close_channel(sansrtc_peer *p, uint32_t channel) {
  if (p == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_CLOSE_CHANNEL, .channel = channel};
  return call_worker(p, &c);
}

int sansrtc_peer_set_buffered_amount_low_threshold(sansrtc_peer *p,
                                                   uint32_t channel,
                                                   size_t bytes) {
  if (p == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_SET_LOW_THRESHOLD, .channel = channel, .bytes = bytes};
  return call_worker(p, &c);
}

int sansrtc_peer_channel_info(sansrtc_peer *p, uint32_t channel,
                              sansrtc_channel_info *info) {
  if (p == NULL || info == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_CHANNEL_INFO, .channel = channel, .info = info};
  return call_worker(p, &c);
}

int sansrtc_peer_selected_pair(sansrtc_peer *p, sansrtc_addr *local,
                               sansrtc_addr *remote) {
  if (p == NULL || local == NULL || remote == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_SELECTED_PAIR, .local = local, .remote = remote};
  return call_worker(p, &c);
}

int sansrtc_peer_error_text(sansrtc_peer *p, char *buf, size_t cap) {
  if (p == NULL || buf == NULL || cap == 0) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_ERROR_TEXT, .buf = buf, .cap = cap};
  return call_worker(p, &c);
}

int sansrtc_peer_close(sansrtc_peer *p, int timeout_ms) {
  if (p == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  peer_call c = {.type = CALL_CLOSE, .timeout_ms = timeout_ms};
  return call_worker(p, &c);
}

/* Reserves room for `len` bytes on the channel, waiting as allowed.
 * Called with p->lock held. */
static int reserve_send(sansrtc_peer *p, uint32_t channel, size_t len,
                        int timeout_ms) {
  struct timespec until = monotonic_deadline_ms(timeout_ms > 0 ? timeout_ms : 0);
  for (;;) {
    peer_channel *c = find_channel(p, channel);
    if (c == NULL) return SANSRTC_ERR_NOT_FOUND;
    if (!c->sendable || p->closed) return SANSRTC_ERR_INVALID_STATE;
    if (p->max_send > 0 && len > p->max_send) return SANSRTC_ERR_INVALID_ARGUMENT;
    size_t used = c->queued + c->buffered;
    if (used == 0 || used + len <= p->cfg.send_buffer_limit) {
      c->queued += len;
      return SANSRTC_OK;
    }
    if (timeout_ms == 0 || on_worker(p)) return SANSRTC_ERR_LIMIT;
    p->send_waiters++;
    int rc = timeout_ms < 0 ? pthread_cond_wait(&p->changed, &p->lock)
                            : pthread_cond_timedwait(&p->changed, &p->lock, &until);
    p->send_waiters--;
    if (rc == ETIMEDOUT) return SANSRTC_ERR_TIMEOUT;
  }
}

static void unreserve_send(sansrtc_peer *p, uint32_t channel, size_t len) {
  pthread_mutex_lock(&p->lock);
  peer_channel *c = find_channel(p, channel);
  if (c != NULL) c->queued -= len <= c->queued ? len : c->queued;
  pthread_mutex_unlock(&p->lock);
}

int sansrtc_peer_send(sansrtc_peer *p, uint32_t channel, const void *data,
                      size_t len, int binary, int timeout_ms) {
  if (p == NULL || (data == NULL && len > 0) || len > p->msg_cap)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (on_worker(p)) { /* from the callback: straight to the core */
    pthread_mutex_lock(&p->lock);
    int rc = reserve_send(p, channel, len, 0);
    peer_channel *c = find_channel(p, channel);
    if (rc == SANSRTC_OK && c != NULL) c->queued -= len;
    pthread_mutex_unlock(&p->lock);
    return rc != SANSRTC_OK ? rc
                            : sansrtc_pc_send(p->pc, channel, data, len, binary != 0);
  }
  pthread_mutex_lock(&p->lock);
  int rc = reserve_send(p, channel, len, timeout_ms);
  pthread_mutex_unlock(&p->lock);
  if (rc != SANSRTC_OK) return rc;
  cmd_hdr h = {CMD_SEND, channel, binary != 0, NULL};
  rc = mailbox_push(&p->commands, &h, sizeof h, data, len);
  if (rc != SANSRTC_OK) unreserve_send(p, channel, len);
  return rc;
}

size_t sansrtc_peer_buffered_amount(sansrtc_peer *p, uint32_t channel) {
  if (p == NULL) return 0;
  pthread_mutex_lock(&p->lock);
  peer_channel *c = find_channel(p, channel);
  size_t n = c != NULL ? c->queued + c->buffered : 0;
  pthread_mutex_unlock(&p->lock);
  return n;
}

/* Where an event's bytes go: a candidate's into the event itself, a
 * message's into the caller's buffer. */
typedef struct event_dest {
  uint8_t *buf;
  size_t cap;
  char text[sizeof ((sansrtc_pc_event *)0)->mid +
            sizeof ((sansrtc_pc_event *)0)->candidate];
} event_dest;

static void select_event_dest(void *arg, const void *hdr, void **buf, size_t *cap) {
  event_dest *d = arg;
  const event_hdr *h = hdr;
  if (h->type == SANSRTC_PC_EVENT_LOCAL_CANDIDATE) {
    *buf = d->text;
    *cap = sizeof d->text;
  } else {
    *buf = d->buf;
    *cap = d->cap;
  }
}

int sansrtc_peer_wait_event(sansrtc_peer *p, sansrtc_pc_event *ev, uint8_t *buf,
                            size_t cap, int timeout_ms) {
  if (p == NULL || ev == NULL || (buf == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (p->cfg.event_fn != NULL) return SANSRTC_ERR_INVALID_STATE;
  event_hdr h;
  event_dest d;
  d.buf = buf;
  d.cap = cap;
  size_t len = 0;
  memset(ev, 0, sizeof *ev);
  int rc = mailbox_pop_select(&p->events, &h, sizeof h, select_event_dest, &d, &len,
                              timeout_ms);
  if (rc != 1 && rc != SANSRTC_ERR_BUFFER_TOO_SMALL) return rc;
  ev->type = h.type;
  ev->state = h.state;
  ev->channel = h.channel;
  ev->binary = h.binary;
  ev->len = len;
  if (rc == 1 && h.type == SANSRTC_PC_EVENT_LOCAL_CANDIDATE) {
    /* The mid and the candidate, each NUL-terminated. */
    size_t mlen = len > 0 ? strnlen(d.text, len - 1) : 0;
    memcpy(ev->mid, d.text, mlen < sizeof ev->mid ? mlen : sizeof ev->mid - 1);
    if (mlen + 1 < len) {
      size_t clen = strnlen(d.text + mlen + 1, len - mlen - 1);
      if (clen >= sizeof ev->candidate) clen = sizeof ev->candidate - 1;
      memcpy(ev->candidate, d.text + mlen + 1, clen);
    }
    ev->len = 0;
  }
  return rc;
}

int sansrtc_peer_event_fd(const sansrtc_peer *p) {
  return p != NULL ? mailbox_fd(&p->events) : -1;
}

sansrtc_pc_state sansrtc_peer_connection_state(sansrtc_peer *p) {
  if (p == NULL) return SANSRTC_PC_STATE_CLOSED;
  pthread_mutex_lock(&p->lock);
  sansrtc_pc_state s = p->state;
  pthread_mutex_unlock(&p->lock);
  return s;
}

sansrtc_signaling_state sansrtc_peer_signaling_state(sansrtc_peer *p) {
  if (p == NULL) return SANSRTC_SIGNALING_CLOSED;
  pthread_mutex_lock(&p->lock);
  sansrtc_signaling_state s = p->signaling;
  pthread_mutex_unlock(&p->lock);
  return s;
}
