/*
 * sctp.c - one SCTP association over DTLS on usrsctp (AF_CONN), sans-I/O.
 *
 * usrsctp calls back into an association from whatever thread is running
 * usrsctp at the time: its owner (feeding a packet, sending) or another
 * association's owner advancing the shared timers. Callbacks therefore only
 * queue, under the association's lock, and wake the owner when it is not
 * the one inside usrsctp. They find the association through the id registry
 * of usrsctp_global.c, never through a pointer usrsctp kept.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <usrsctp.h>

#include <sansrtc/sctp.h>

#include "dgram_queue.h"
#include "internal.h"
#include "usrsctp_global.h"

#define MAX_EVENTS 64
#define MESSAGE_HEADER 7 /* stream u16, ppid u32, unordered u8 */
#define IDLE_AFTER (500 * SANSRTC_MILLISECONDS)

struct sansrtc_sctp {
  sansrtc_sctp_config cfg;
  sansrtc_logger log;
  uint32_t id;
  struct socket *sock;
  int started;
  /* Ticking (owner thread only): every tick_interval while the
   * association is busy, every idle_tick_interval once it is idle. */
  sansrtc_tstamp last_tick, last_activity;
  int touched; /* activity since the last tick, time unknown */
  int idle;
  int bundling; /* SCTP_NODELAY is off (sansrtc_sctp_set_bundling) */

  /* Everything below is shared with usrsctp callbacks: guarded by lock. */
  pthread_mutex_t lock;
  int owner_inside; /* the owner is in a call: it drains afterwards */
  int connected, closed;
  sansrtc_dgram_queue out;      /* packets for DTLS */
  sansrtc_dgram_queue messages; /* header + message */
  sansrtc_sctp_event events[MAX_EVENTS];
  unsigned ev_head, ev_count;
  uint8_t *partial; /* header + a message delivered in parts */
  size_t partial_len, partial_cap;
  int partial_dropping;
  sansrtc_sctp_stats stats;
};

void sansrtc_sctp_config_default(sansrtc_sctp_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->local_port = 5000;
  cfg->remote_port = 5000;
  cfg->mtu = 1150;
  cfg->streams = 256;
  cfg->max_message_size = 262144;
  cfg->receive_buffer = 1024 * 1024;
  cfg->send_buffer = 1024 * 1024;
  cfg->rto_initial_ms = 1000;
  cfg->rto_min_ms = 200;
  cfg->rto_max_ms = 10000;
  cfg->tick_interval = 10 * SANSRTC_MILLISECONDS;
  cfg->idle_tick_interval = 5 * SANSRTC_SECONDS;
}

/* ------------------------------------------------------------------------ */
/* Callbacks (any thread, registry lock held)                               */
/* ------------------------------------------------------------------------ */

/* Called with s->lock held after something was queued. */
static void wake_owner(const sansrtc_sctp *s) {
  if (!s->owner_inside && s->cfg.wake_fn != NULL)
    s->cfg.wake_fn(s->cfg.wake_user_data);
}

static void on_output(void *owner, const uint8_t *packet, size_t len) {
  sansrtc_sctp *s = owner;
  pthread_mutex_lock(&s->lock);
  if (sansrtc_dgram_queue_push(&s->out, packet, len) == SANSRTC_OK)
    s->stats.packets_out++;
  wake_owner(s);
  pthread_mutex_unlock(&s->lock);
}

static void push_event(sansrtc_sctp *s, const sansrtc_sctp_event *ev) {
  if (s->ev_count == MAX_EVENTS) return; /* the owner is not draining */
  s->events[(s->ev_head + s->ev_count++) % MAX_EVENTS] = *ev;
}

static void on_assoc_change(sansrtc_sctp *s, const struct sctp_assoc_change *c) {
  sansrtc_sctp_event ev;
  memset(&ev, 0, sizeof ev);
  if (c->sac_state == SCTP_COMM_UP || c->sac_state == SCTP_RESTART) {
    if (s->connected) return;
    s->connected = 1;
    ev.type = SANSRTC_SCTP_EVENT_CONNECTED;
    ev.inbound_streams = c->sac_inbound_streams;
    ev.outbound_streams = c->sac_outbound_streams;
    push_event(s, &ev);
  } else if (c->sac_state == SCTP_COMM_LOST ||
             c->sac_state == SCTP_SHUTDOWN_COMP ||
             c->sac_state == SCTP_CANT_STR_ASSOC) {
    if (s->closed) return;
    s->closed = 1;
    s->connected = 0;
    ev.type = SANSRTC_SCTP_EVENT_CLOSED;
    ev.graceful = c->sac_state == SCTP_SHUTDOWN_COMP;
    push_event(s, &ev);
  }
}

static void on_stream_reset(sansrtc_sctp *s,
                            const struct sctp_stream_reset_event *r) {
  if (r->strreset_flags &
      (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
    return;
  size_t n = (r->strreset_length - sizeof *r) / sizeof(uint16_t);
  for (size_t i = 0; i < n; i++) {
    sansrtc_sctp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SANSRTC_SCTP_EVENT_STREAM_RESET;
    ev.stream = r->strreset_stream_list[i];
    ev.incoming = (r->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) != 0;
    push_event(s, &ev);
  }
}

static void on_notification(sansrtc_sctp *s, const uint8_t *data, size_t len) {
  union sctp_notification n;
  if (len < sizeof n.sn_header) return;
  memcpy(&n.sn_header, data, sizeof n.sn_header);
  if (n.sn_header.sn_length != len) return;
  if (n.sn_header.sn_type == SCTP_ASSOC_CHANGE &&
      len >= sizeof(struct sctp_assoc_change)) {
    on_assoc_change(s, (const struct sctp_assoc_change *)(const void *)data);
  } else if (n.sn_header.sn_type == SCTP_PARTIAL_DELIVERY_EVENT &&
             len >= sizeof(struct sctp_pdapi_event)) {
    const struct sctp_pdapi_event *pd = (const void *)data;
    /* The rest of a message being delivered in parts was abandoned
     * (PR-SCTP): what arrived of it is dropped, not joined to the next. */
    if (pd->pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED) {
      if (s->partial_len > 0) s->stats.partial_aborted++;
      s->partial_len = 0;
      s->partial_dropping = 0;
    }
  } else if (n.sn_header.sn_type == SCTP_STREAM_RESET_EVENT &&
             len >= sizeof(struct sctp_stream_reset_event)) {
    on_stream_reset(s,
                    (const struct sctp_stream_reset_event *)(const void *)data);
  }
}

static void write_message_header(uint8_t *h, const struct sctp_rcvinfo *info) {
  wr16(h, info->rcv_sid);
  wr32(h + 2, ntohl(info->rcv_ppid));
  h[6] = (info->rcv_flags & SCTP_UNORDERED) != 0;
}

/* Collects one part of a message; queues it when `last`. */
static void on_message_part(sansrtc_sctp *s, const uint8_t *data, size_t len,
                            const struct sctp_rcvinfo *info, int last) {
  size_t have = s->partial_len > 0 ? s->partial_len - MESSAGE_HEADER : 0;
  if (!s->partial_dropping && have + len > s->cfg.max_message_size) {
    s->partial_dropping = 1;
    s->stats.oversized_dropped++;
  }
  if (!s->partial_dropping) {
    size_t need = MESSAGE_HEADER + have + len;
    if (need > s->partial_cap) {
      size_t cap = s->partial_cap ? s->partial_cap : 4096;
      while (cap < need) cap *= 2;
      uint8_t *p = realloc(s->partial, cap);
      if (p == NULL) {
        s->partial_dropping = 1;
      } else {
        s->partial = p;
        s->partial_cap = cap;
      }
    }
  }
  if (!s->partial_dropping) {
    if (s->partial_len == 0) {
      write_message_header(s->partial, info);
      s->partial_len = MESSAGE_HEADER;
    }
    memcpy(s->partial + s->partial_len, data, len);
    s->partial_len += len;
  }
  if (!last) return;
  if (!s->partial_dropping &&
      sansrtc_dgram_queue_push(&s->messages, s->partial, s->partial_len) ==
          SANSRTC_OK)
    s->stats.messages_in++;
  s->partial_len = 0;
  s->partial_dropping = 0;
  if (s->partial_cap > 65536) { /* do not keep a huge buffer around */
    free(s->partial);
    s->partial = NULL;
    s->partial_cap = 0;
  }
}

static void on_message(sansrtc_sctp *s, const uint8_t *data, size_t len,
                       const struct sctp_rcvinfo *info, int last) {
  if (!last || s->partial_len > 0) {
    on_message_part(s, data, len, info, last);
    return;
  }
  if (len > s->cfg.max_message_size) {
    s->stats.oversized_dropped++;
    return;
  }
  uint8_t h[MESSAGE_HEADER];
  write_message_header(h, info);
  if (sansrtc_dgram_queue_push2(&s->messages, h, sizeof h, data, len) ==
      SANSRTC_OK)
    s->stats.messages_in++;
}

typedef struct receive_args {
  const uint8_t *data;
  size_t len;
  const struct sctp_rcvinfo *info;
  int flags;
} receive_args;

static void on_receive(void *owner, void *arg) {
  sansrtc_sctp *s = owner;
  const receive_args *a = arg;
  pthread_mutex_lock(&s->lock);
  if (a->flags & MSG_NOTIFICATION)
    on_notification(s, a->data, a->len);
  else if (a->data != NULL)
    on_message(s, a->data, a->len, a->info, (a->flags & MSG_EOR) != 0);
  wake_owner(s);
  pthread_mutex_unlock(&s->lock);
}

static int receive_cb(struct socket *sock, union sctp_sockstore addr,
                      void *data, size_t len, struct sctp_rcvinfo info,
                      int flags, void *ulp_info) {
  (void)sock;
  (void)addr;
  receive_args a = {data, len, &info, flags};
  (void)sansrtc_usrsctp_with((uint32_t)(uintptr_t)ulp_info, on_receive, &a);
  free(data); /* usrsctp hands over a malloc'd buffer */
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Owner calls                                                              */
/* ------------------------------------------------------------------------ */

static void set_owner_inside(sansrtc_sctp *s, int inside) {
  pthread_mutex_lock(&s->lock);
  s->owner_inside = inside;
  pthread_mutex_unlock(&s->lock);
}

static int set_opt(sansrtc_sctp *s, int level, int name, const void *v,
                   socklen_t len) {
  return usrsctp_setsockopt(s->sock, level, name, v, len) == 0;
}

/* Advances usrsctp's clock (the owner is inside) and notes activity. */
static void tick_for_call(sansrtc_sctp *s, sansrtc_tstamp now, int activity) {
  sansrtc_usrsctp_tick(now);
  s->last_tick = now;
  if (activity) {
    s->last_activity = now;
    s->idle = 0;
  }
}

/* Idle: nothing happened for IDLE_AFTER and the association is
 * established with nothing queued or unacknowledged, so only its long
 * timers (heartbeat) remain, which a coarse tick serves. */
static int association_idle(sansrtc_sctp *s, sansrtc_tstamp now) {
  if (now - s->last_activity < IDLE_AFTER) return 0;
  struct sctp_status st;
  memset(&st, 0, sizeof st);
  socklen_t len = sizeof st;
  return usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &len) == 0 &&
         st.sstat_state == SCTP_ESTABLISHED && st.sstat_unackdata == 0 &&
         st.sstat_penddata == 0;
}

static int subscribe_events(sansrtc_sctp *s) {
  static const uint16_t types[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
                                   SCTP_PARTIAL_DELIVERY_EVENT};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    struct sctp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_type = types[i];
    ev.se_on = 1;
    if (!set_opt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev)) return 0;
  }
  return 1;
}

/* Socket options for WebRTC (RFC 8831) and this configuration. */
static int configure_socket(sansrtc_sctp *s) {
  const sansrtc_sctp_config *c = &s->cfg;
  struct linger lg = {1, 0}; /* close aborts at once */
  int on = 1, rcvbuf = (int)c->receive_buffer, sndbuf = (int)c->send_buffer;
  struct sctp_assoc_value reset = {SCTP_ALL_ASSOC,
                                   SCTP_ENABLE_RESET_STREAM_REQ};
  struct sctp_initmsg init;
  memset(&init, 0, sizeof init);
  init.sinit_num_ostreams = c->streams;
  init.sinit_max_instreams = c->streams;
  struct sctp_rtoinfo rto;
  memset(&rto, 0, sizeof rto);
  rto.srto_initial = c->rto_initial_ms;
  rto.srto_min = c->rto_min_ms;
  rto.srto_max = c->rto_max_ms;
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof pp);
  pp.spp_flags = SPP_PMTUD_DISABLE;
  pp.spp_pathmtu = c->mtu;
  return usrsctp_set_non_blocking(s->sock, 1) == 0 &&
         set_opt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) &&
         set_opt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) &&
         set_opt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) &&
         set_opt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset,
                 sizeof reset) &&
         set_opt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on) &&
         set_opt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) &&
         set_opt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) &&
         set_opt(s, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto) &&
         set_opt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) &&
         subscribe_events(s);
}

static struct sockaddr_conn conn_addr(const sansrtc_sctp *s, uint16_t port) {
  struct sockaddr_conn a;
  memset(&a, 0, sizeof a);
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(port);
  a.sconn_addr = sansrtc_usrsctp_addr(s->id);
  return a;
}

static int config_valid(const sansrtc_sctp_config *c) {
  return c->mtu >= 576 && c->streams > 0 && c->max_message_size > 0 &&
         c->max_message_size <= 64u * 1024 * 1024 &&
         c->remote_max_message_size <= 64u * 1024 * 1024 &&
         c->tick_interval > 0 &&
         c->rto_min_ms > 0 && c->rto_min_ms <= c->rto_initial_ms &&
         c->rto_initial_ms <= c->rto_max_ms && c->receive_buffer > 0 &&
         c->receive_buffer <= INT32_MAX && c->send_buffer > 0 &&
         c->send_buffer <= INT32_MAX && c->local_port != 0 &&
         c->remote_port != 0;
}

static int open_socket(sansrtc_sctp *s) {
  s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb,
                           NULL, 0, sansrtc_usrsctp_addr(s->id));
  if (s->sock == NULL) return SANSRTC_ERR_NOMEM;
  usrsctp_register_address(sansrtc_usrsctp_addr(s->id));
  if (!configure_socket(s)) return SANSRTC_ERR_UNSUPPORTED;
  struct sockaddr_conn local = conn_addr(s, s->cfg.local_port);
  if (usrsctp_bind(s->sock, (struct sockaddr *)&local, sizeof local) != 0)
    return SANSRTC_ERR_UNSUPPORTED;
  return SANSRTC_OK;
}

int sansrtc_sctp_new(sansrtc_sctp **out, const sansrtc_sctp_config *cfg) {
  if (out == NULL || cfg == NULL || !config_valid(cfg))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_sctp *s = calloc(1, sizeof *s);
  if (s == NULL) return SANSRTC_ERR_NOMEM;
  s->cfg = *cfg;
  s->log.fn = cfg->log_fn;
  s->log.user_data = cfg->log_user_data;
  s->log.level = cfg->log_level;
  pthread_mutex_init(&s->lock, NULL);
  sansrtc_dgram_queue_init(&s->out, 4u * cfg->send_buffer);
  sansrtc_dgram_queue_init(&s->messages,
                           4 * cfg->max_message_size + cfg->receive_buffer);
  sansrtc_usrsctp_entry entry = {s, on_output};
  int rc = sansrtc_usrsctp_acquire(&entry, &s->id);
  if (rc != SANSRTC_OK) {
    s->id = 0;
    sansrtc_sctp_del(s);
    return rc;
  }
  rc = open_socket(s);
  if (rc != SANSRTC_OK) {
    sansrtc_sctp_del(s);
    return rc;
  }
  *out = s;
  return SANSRTC_OK;
}

void sansrtc_sctp_del(sansrtc_sctp *s) {
  if (s == NULL) return;
  if (s->sock != NULL) {
    usrsctp_close(s->sock); /* SO_LINGER 0: no lingering shutdown */
    usrsctp_deregister_address(sansrtc_usrsctp_addr(s->id));
  }
  if (s->id != 0) sansrtc_usrsctp_release(s->id); /* no callback after */
  sansrtc_dgram_queue_free(&s->out);
  sansrtc_dgram_queue_free(&s->messages);
  free(s->partial);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

int sansrtc_sctp_connect(sansrtc_sctp *s, sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (s->started) return SANSRTC_ERR_INVALID_STATE;
  s->started = 1;
  struct sockaddr_conn remote = conn_addr(s, s->cfg.remote_port);
  set_owner_inside(s, 1);
  tick_for_call(s, now, 1);
  int rc = usrsctp_connect(s->sock, (struct sockaddr *)&remote, sizeof remote);
  int err = errno;
  set_owner_inside(s, 0);
  if (rc != 0 && err != EINPROGRESS) {
    sansrtc_log(&s->log, SANSRTC_LOG_WARNING, "sctp: connect failed (%d)", err);
    return SANSRTC_ERR_INVALID_STATE;
  }
  return SANSRTC_OK;
}

int sansrtc_sctp_handle_packet(sansrtc_sctp *s, const uint8_t *data,
                               size_t len, sansrtc_tstamp now) {
  if (s == NULL || data == NULL || len == 0) return SANSRTC_ERR_INVALID_ARGUMENT;
  /* A peer's INIT can come first; an unconnected one-to-one socket would
   * treat it as out of the blue, so start our side of the open now. */
  if (!s->started) (void)sansrtc_sctp_connect(s, now);
  set_owner_inside(s, 1);
  s->stats.packets_in++;
  tick_for_call(s, now, 1);
  usrsctp_conninput(sansrtc_usrsctp_addr(s->id), data, len, 0);
  set_owner_inside(s, 0);
  return SANSRTC_OK;
}

int sansrtc_sctp_handle_timeout(sansrtc_sctp *s, sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  set_owner_inside(s, 1);
  tick_for_call(s, now, s->touched);
  s->touched = 0;
  if (s->started) s->idle = association_idle(s, now);
  set_owner_inside(s, 0);
  return SANSRTC_OK;
}

sansrtc_tstamp sansrtc_sctp_next_deadline(const sansrtc_sctp *s) {
  if (s == NULL || !s->started) return SANSRTC_TSTAMP_NEVER;
  int slow = s->idle && !s->touched && s->cfg.idle_tick_interval > s->cfg.tick_interval;
  if (slow) return s->last_tick + s->cfg.idle_tick_interval;
  /* No faster than the process-wide timer wheel moves. */
  sansrtc_tstamp wheel =
      (sansrtc_tstamp)sansrtc_usrsctp_current_granularity_ms() * SANSRTC_MILLISECONDS;
  return s->last_tick + (s->cfg.tick_interval > wheel ? s->cfg.tick_interval : wheel);
}

int sansrtc_sctp_poll_transmit(sansrtc_sctp *s, uint8_t *buf, size_t cap,
                               size_t *len) {
  if (s == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&s->lock);
  int rc = sansrtc_dgram_queue_pop(&s->out, buf, cap, len);
  pthread_mutex_unlock(&s->lock);
  if (rc == 1) s->touched = 1;
  return rc;
}

int sansrtc_sctp_poll_event(sansrtc_sctp *s, sansrtc_sctp_event *ev) {
  if (s == NULL || ev == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&s->lock);
  int rc = 0;
  if (s->ev_count > 0) {
    *ev = s->events[s->ev_head];
    s->ev_head = (s->ev_head + 1) % MAX_EVENTS;
    s->ev_count--;
    rc = 1;
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int sansrtc_sctp_poll_message(sansrtc_sctp *s, uint8_t *buf, size_t cap,
                              size_t *len, sansrtc_sctp_message_info *info) {
  if (s == NULL || buf == NULL || len == NULL || info == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&s->lock);
  uint8_t h[MESSAGE_HEADER];
  int rc = sansrtc_dgram_queue_pop2(&s->messages, h, sizeof h, buf, cap, len);
  pthread_mutex_unlock(&s->lock);
  if (rc == 1) {
    info->stream = rd16(h);
    info->ppid = rd32(h + 2);
    info->unordered = h[6];
  }
  return rc;
}

int sansrtc_sctp_is_connected(const sansrtc_sctp *s) {
  if (s == NULL) return 0;
  pthread_mutex_lock((pthread_mutex_t *)&s->lock);
  int up = s->connected && !s->closed;
  pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
  return up;
}

size_t sansrtc_sctp_max_message_size(const sansrtc_sctp *s) {
  return s != NULL ? s->cfg.max_message_size : 0;
}

size_t sansrtc_sctp_max_send_size(const sansrtc_sctp *s) {
  if (s == NULL) return 0;
  return s->cfg.remote_max_message_size ? s->cfg.remote_max_message_size
                                        : s->cfg.max_message_size;
}

uint16_t sansrtc_sctp_streams(const sansrtc_sctp *s) {
  return s != NULL ? s->cfg.streams : 0;
}

int sansrtc_sctp_send(sansrtc_sctp *s, uint16_t stream, uint32_t ppid,
                      const uint8_t *data, size_t len, int unordered,
                      sansrtc_sctp_pr_policy policy, uint32_t pr_value) {
  if (s == NULL || data == NULL || len == 0 ||
      len > sansrtc_sctp_max_send_size(s) || stream >= s->cfg.streams ||
      (unsigned)policy > SANSRTC_SCTP_PR_TTL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!sansrtc_sctp_is_connected(s)) return SANSRTC_ERR_INVALID_STATE;
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof spa);
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = (uint16_t)(SCTP_EOR | (unordered ? SCTP_UNORDERED : 0));
  if (policy != SANSRTC_SCTP_PR_NONE) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy =
        policy == SANSRTC_SCTP_PR_RTX ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = pr_value;
  }
  set_owner_inside(s, 1);
  ssize_t n = usrsctp_sendv(s->sock, data, len, NULL, 0, &spa, sizeof spa,
                            SCTP_SENDV_SPA, 0);
  int err = errno;
  set_owner_inside(s, 0);
  s->touched = 1;
  if (n < 0)
    return err == EWOULDBLOCK || err == EAGAIN || err == ENOBUFS
               ? SANSRTC_ERR_LIMIT
               : SANSRTC_ERR_INVALID_STATE;
  s->stats.messages_out++;
  return SANSRTC_OK;
}

int sansrtc_sctp_set_bundling(sansrtc_sctp *s, int hold) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  hold = hold != 0;
  if (hold == s->bundling) return SANSRTC_OK;
  int nodelay = !hold;
  if (!set_opt(s, IPPROTO_SCTP, SCTP_NODELAY, &nodelay, sizeof nodelay))
    return SANSRTC_ERR_INVALID_STATE;
  s->bundling = hold;
  return SANSRTC_OK;
}

int sansrtc_sctp_reset_stream(sansrtc_sctp *s, uint16_t stream) {
  if (s == NULL || stream >= s->cfg.streams) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!sansrtc_sctp_is_connected(s)) return SANSRTC_ERR_INVALID_STATE;
  union {
    struct sctp_reset_streams srs;
    uint8_t bytes[sizeof(struct sctp_reset_streams) + sizeof(uint16_t)];
  } u;
  memset(&u, 0, sizeof u);
  u.srs.srs_assoc_id = SCTP_ALL_ASSOC;
  u.srs.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  u.srs.srs_number_streams = 1;
  u.srs.srs_stream_list[0] = stream;
  set_owner_inside(s, 1);
  int ok = set_opt(s, IPPROTO_SCTP, SCTP_RESET_STREAMS, &u, sizeof u);
  set_owner_inside(s, 0);
  s->touched = 1;
  return ok ? SANSRTC_OK : SANSRTC_ERR_INVALID_STATE;
}

int sansrtc_sctp_abort(sansrtc_sctp *s, sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!sansrtc_sctp_is_connected(s)) return SANSRTC_OK;
  struct sctp_sndinfo info;
  memset(&info, 0, sizeof info);
  info.snd_flags = SCTP_ABORT;
  set_owner_inside(s, 1);
  tick_for_call(s, now, 1);
  static const uint8_t none[1]; /* usrsctp refuses a NULL buffer */
  (void)usrsctp_sendv(s->sock, none, 0, NULL, 0, &info, sizeof info,
                      SCTP_SENDV_SNDINFO, 0);
  pthread_mutex_lock(&s->lock);
  s->owner_inside = 0;
  if (!s->closed) { /* usrsctp does not notify a local abort */
    sansrtc_sctp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SANSRTC_SCTP_EVENT_CLOSED;
    s->closed = 1;
    s->connected = 0;
    push_event(s, &ev);
  }
  pthread_mutex_unlock(&s->lock);
  return SANSRTC_OK;
}

int sansrtc_sctp_shutdown(sansrtc_sctp *s, sansrtc_tstamp now) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!sansrtc_sctp_is_connected(s)) return SANSRTC_OK;
  set_owner_inside(s, 1);
  tick_for_call(s, now, 1);
  (void)usrsctp_shutdown(s->sock, SHUT_WR); /* SHUT_RD would hide the
                                                 * completion event */
  set_owner_inside(s, 0);
  return SANSRTC_OK;
}

void sansrtc_sctp_get_stats(const sansrtc_sctp *s, sansrtc_sctp_stats *out) {
  if (s == NULL || out == NULL) return;
  pthread_mutex_lock((pthread_mutex_t *)&s->lock);
  *out = s->stats;
  pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
}
