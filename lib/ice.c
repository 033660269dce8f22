/*
 * ice.c - the sans-I/O ICE agent (RFC 8445), with trickle (RFC 8838) and
 * consent freshness (RFC 7675).
 *
 * One data stream, one component (rtcp-mux/BUNDLE, as WebRTC uses it), UDP.
 * The agent keeps:
 *   - local candidates (the caller gathers them) and remote candidates
 *     (signaled or learned peer-reflexive);
 *   - candidate pairs in an unsorted array (indices never change; at most
 *     max_pairs, so a linear scan is cheap) with the RFC 8445 pair states;
 *   - a small table of outstanding STUN transactions, each naming its pair;
 *   - a queue of datagrams to send, stored as "what to send" and encoded
 *     into the caller's buffer by sansrtc_ice_agent_poll_transmit;
 *   - a queue of events.
 * Every input ends with ice_run(), which does everything due at `now`, so
 * outputs are ready as soon as an input call returns.
 *
 * Pacing: ordinary and triggered checks go out at most one per Ta. The
 * controlling agent's nomination request is sent as soon as it decides to
 * nominate (a single request cannot burst the network; pacing it would add
 * Ta to every connection setup).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/ice.h>
#include <sansrtc/stun.h>

#include "internal.h"

#define ICE_MAX_TXNS 32     /* outstanding STUN transactions */
#define ICE_OUT_QUEUE 32    /* queued datagrams */
#define ICE_CONSENT_TRANSMISSIONS 4
#define ICE_SOFTWARE_MAX 128
#define ICE_TYPE_PREF_PRFLX 110u
/* Binding requests to a STUN server (RFC 8489 6.2.1, with a shorter RTO
 * for gathering): sent at 0, 200, 600 and 1400 ms, given up at 3 s. */
#define ICE_GATHER_RTO (200 * SANSRTC_MILLISECONDS)
#define ICE_GATHER_TRANSMISSIONS 4
#define ICE_GATHER_LAST_WAIT (1600 * SANSRTC_MILLISECONDS)

typedef enum pair_state {
  PAIR_FROZEN = 0,
  PAIR_WAITING,
  PAIR_IN_PROGRESS,
  PAIR_SUCCEEDED,
  PAIR_FAILED
} pair_state;

/* A candidate as the agent keeps it: `base` is the address datagrams are
 * sent from (equal to `addr` for host candidates). */
typedef struct ice_cand {
  sansrtc_addr addr;
  sansrtc_addr base;
  uint32_t priority;
  uint8_t type; /* sansrtc_ice_candidate_type */
  char foundation[SANSRTC_ICE_FOUNDATION_MAX + 1];
} ice_cand;

typedef struct ice_pair {
  uint16_t local;
  uint16_t remote;
  uint64_t priority;
  uint8_t state;            /* pair_state */
  uint8_t nominated;        /* nomination completed on this pair */
  uint8_t nominate_pending; /* controlled: USE-CANDIDATE seen, not valid yet */
  uint32_t triggered;       /* position in the triggered queue, 0 = none */
} ice_pair;

/* TXN_GATHER asks a STUN server for our server-reflexive address: its
 * `pair` field is then the local candidate (the base) and `server` the
 * server's index. */
typedef enum txn_kind {
  TXN_CHECK = 0,
  TXN_NOMINATION,
  TXN_CONSENT,
  TXN_GATHER
} txn_kind;

typedef struct ice_txn {
  uint8_t in_use;
  uint8_t kind; /* txn_kind */
  uint8_t role; /* sansrtc_ice_role the request was sent with */
  uint16_t pair;
  uint8_t server;
  uint8_t txid[SANSRTC_STUN_TXID_SIZE];
  unsigned transmissions;
  unsigned max_transmissions;
  sansrtc_tstamp rto;
  sansrtc_tstamp next_send;
} ice_txn;

typedef enum out_kind {
  OUT_REQUEST = 0,
  OUT_SUCCESS,
  OUT_ERROR,
  OUT_SERVER_REQUEST /* a plain Binding request to a STUN server */
} out_kind;

/* A datagram waiting to be encoded by poll_transmit. */
typedef struct ice_out {
  uint8_t kind; /* out_kind */
  uint8_t use_candidate;
  uint8_t role;          /* requests: the sender's sansrtc_ice_role */
  uint8_t authenticated; /* error responses: add MESSAGE-INTEGRITY */
  uint8_t unknown_count;
  uint16_t error_code;
  uint16_t unknown[SANSRTC_STUN_MAX_UNKNOWN];
  uint32_t priority;
  uint8_t txid[SANSRTC_STUN_TXID_SIZE];
  sansrtc_addr local;
  sansrtc_addr remote;
} ice_out;

typedef struct ice_event_rec {
  uint8_t type; /* sansrtc_ice_event_type */
  uint8_t state;
  uint8_t role;
  ice_cand a;
  ice_cand b;
} ice_event_rec;

struct sansrtc_ice_agent {
  sansrtc_ice_config cfg; /* string pointers cleared; copies below */
  sansrtc_logger log;
  sansrtc_ice_role role;
  sansrtc_ice_state state;
  uint64_t tie_breaker;
  char local_ufrag[SANSRTC_ICE_UFRAG_MAX + 1];
  char local_pwd[SANSRTC_ICE_PWD_MAX + 1];
  char remote_ufrag[SANSRTC_ICE_UFRAG_MAX + 1];
  char remote_pwd[SANSRTC_ICE_PWD_MAX + 1];
  char software[ICE_SOFTWARE_MAX + 1];
  uint8_t have_remote_credentials;
  uint8_t remote_end_of_candidates;
  uint8_t local_gathering_done;
  uint8_t gathering_reported; /* GATHERING_DONE emitted */
  sansrtc_addr stun_servers[SANSRTC_ICE_MAX_STUN_SERVERS];
  unsigned n_stun_servers;
  uint8_t was_completed; /* COMPLETED before a DISCONNECTED spell */

  ice_cand *locals;
  unsigned n_locals;
  ice_cand *remotes;
  unsigned n_remotes, cap_remotes;
  ice_pair *pairs;
  unsigned n_pairs, cap_pairs;
  int selected; /* pair index, or -1 */

  ice_txn txns[ICE_MAX_TXNS];
  ice_out out[ICE_OUT_QUEUE];
  unsigned out_head, out_count;

  ice_event_rec *events;
  unsigned ev_head, ev_count, ev_cap;

  uint32_t triggered_seq;
  uint8_t any_check_sent;
  sansrtc_tstamp last_check_sent;
  sansrtc_tstamp checking_started;
  sansrtc_tstamp first_valid_at;
  sansrtc_tstamp last_consent_response;
  sansrtc_tstamp next_consent;

  sansrtc_ice_stats stats;
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static sansrtc_tstamp tmin(sansrtc_tstamp a, sansrtc_tstamp b) {
  return a < b ? a : b;
}

static sansrtc_tstamp tadd(sansrtc_tstamp a, sansrtc_tstamp b) {
  return a > SANSRTC_TSTAMP_NEVER - b ? SANSRTC_TSTAMP_NEVER : a + b;
}

static int is_ice_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* ice-chars only, length within [min, max]. */
static int valid_ice_string(const char *s, size_t min, size_t max) {
  if (s == NULL) return 0;
  size_t n = strnlen(s, max + 1);
  if (n < min || n > max) return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_ice_char(s[i])) return 0;
  return 1;
}

static int random_ice_string(sansrtc_ice_agent *a, char *out, size_t n) {
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t raw[64];
  if (n > sizeof raw) return SANSRTC_ERR_INVALID_ARGUMENT;
  int rc = sansrtc_random(a->cfg.random_fn, a->cfg.random_user_data, raw, n);
  if (rc != SANSRTC_OK) return rc;
  for (size_t i = 0; i < n; i++) out[i] = alphabet[raw[i] & 63u];
  out[n] = '\0';
  return SANSRTC_OK;
}

static uint32_t random_u32(sansrtc_ice_agent *a) {
  uint8_t b[4] = {0, 0, 0, 0};
  (void)sansrtc_random(a->cfg.random_fn, a->cfg.random_user_data, b, 4);
  return rd32(b);
}

/* interval * U(0.8, 1.2), as RFC 7675 asks for consent checks. */
static sansrtc_tstamp jittered(sansrtc_ice_agent *a, sansrtc_tstamp interval) {
  sansrtc_tstamp spread = interval / 10 * 4;
  return interval / 10 * 8 + spread / 65536 * (random_u32(a) & 0xFFFFu);
}

static const char *addr_str(const sansrtc_addr *addr, char buf[SANSRTC_ADDR_STRLEN]) {
  return sansrtc_addr_format(addr, buf, SANSRTC_ADDR_STRLEN);
}

/* ------------------------------------------------------------------------ */
/* Configuration, creation, deletion                                        */
/* ------------------------------------------------------------------------ */

void sansrtc_ice_config_default(sansrtc_ice_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->role = SANSRTC_ICE_CONTROLLED;
  cfg->check_interval = 20 * SANSRTC_MILLISECONDS;
  cfg->check_rto = 250 * SANSRTC_MILLISECONDS;
  cfg->check_rto_max = 2 * SANSRTC_SECONDS;
  cfg->check_max_transmissions = 7;
  cfg->nomination_delay = 100 * SANSRTC_MILLISECONDS;
  cfg->consent_interval = 5 * SANSRTC_SECONDS;
  cfg->disconnected_timeout = 8 * SANSRTC_SECONDS;
  cfg->consent_timeout = 30 * SANSRTC_SECONDS;
  cfg->checking_timeout = 30 * SANSRTC_SECONDS;
  cfg->max_remote_candidates = 32;
  cfg->max_pairs = 64;
  cfg->max_local_candidates = 16;
  cfg->log_level = SANSRTC_LOG_NONE;
}

static int config_valid(const sansrtc_ice_config *c) {
  if (c->role != SANSRTC_ICE_CONTROLLED && c->role != SANSRTC_ICE_CONTROLLING)
    return 0;
  if (c->local_ufrag != NULL &&
      !valid_ice_string(c->local_ufrag, 4, SANSRTC_ICE_UFRAG_MAX))
    return 0;
  if (c->local_pwd != NULL &&
      !valid_ice_string(c->local_pwd, 22, SANSRTC_ICE_PWD_MAX))
    return 0;
  if (c->software != NULL && strnlen(c->software, ICE_SOFTWARE_MAX + 1) >
                                 ICE_SOFTWARE_MAX)
    return 0;
  if (c->check_rto == 0 || c->check_rto_max < c->check_rto ||
      c->check_max_transmissions == 0 || c->consent_interval == 0 ||
      c->consent_timeout == 0 || c->disconnected_timeout == 0)
    return 0;
  if (c->max_remote_candidates == 0 || c->max_pairs == 0 ||
      c->max_local_candidates == 0 || c->max_pairs > UINT16_MAX ||
      c->max_remote_candidates > UINT16_MAX ||
      c->max_local_candidates > UINT16_MAX)
    return 0;
  return 1;
}

static int agent_init_credentials(sansrtc_ice_agent *a,
                                  const sansrtc_ice_config *cfg) {
  int rc = SANSRTC_OK;
  if (cfg->local_ufrag != NULL)
    strcpy(a->local_ufrag, cfg->local_ufrag);
  else
    rc = random_ice_string(a, a->local_ufrag, 8);
  if (rc != SANSRTC_OK) return rc;
  if (cfg->local_pwd != NULL)
    strcpy(a->local_pwd, cfg->local_pwd);
  else
    rc = random_ice_string(a, a->local_pwd, 24);
  if (rc != SANSRTC_OK) return rc;
  a->tie_breaker = cfg->tie_breaker;
  while (a->tie_breaker == 0) {
    uint8_t b[8];
    rc = sansrtc_random(cfg->random_fn, cfg->random_user_data, b, sizeof b);
    if (rc != SANSRTC_OK) return rc;
    a->tie_breaker = rd64(b);
  }
  return SANSRTC_OK;
}

int sansrtc_ice_agent_new(sansrtc_ice_agent **out,
                          const sansrtc_ice_config *cfg) {
  if (out == NULL || cfg == NULL || !config_valid(cfg))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  sansrtc_ice_agent *a = calloc(1, sizeof *a);
  if (a == NULL) return SANSRTC_ERR_NOMEM;
  a->cfg = *cfg;
  a->cfg.local_ufrag = a->cfg.local_pwd = a->cfg.software = NULL;
  if (cfg->software != NULL) strcpy(a->software, cfg->software);
  a->log.fn = cfg->log_fn;
  a->log.user_data = cfg->log_user_data;
  a->log.level = cfg->log_level;
  a->role = cfg->role;
  a->state = SANSRTC_ICE_STATE_NEW;
  a->selected = -1;
  a->locals = calloc(cfg->max_local_candidates, sizeof *a->locals);
  if (a->locals == NULL) {
    sansrtc_ice_agent_del(a);
    return SANSRTC_ERR_NOMEM;
  }
  int rc = agent_init_credentials(a, cfg);
  if (rc != SANSRTC_OK) {
    sansrtc_ice_agent_del(a);
    return rc;
  }
  *out = a;
  return SANSRTC_OK;
}

void sansrtc_ice_agent_del(sansrtc_ice_agent *a) {
  if (a == NULL) return;
  free(a->locals);
  free(a->remotes);
  free(a->pairs);
  free(a->events);
  free(a);
}

const char *sansrtc_ice_agent_local_ufrag(const sansrtc_ice_agent *a) {
  return a != NULL ? a->local_ufrag : NULL;
}
const char *sansrtc_ice_agent_local_pwd(const sansrtc_ice_agent *a) {
  return a != NULL ? a->local_pwd : NULL;
}
int sansrtc_ice_agent_set_role(sansrtc_ice_agent *a, sansrtc_ice_role role) {
  if (a == NULL ||
      (role != SANSRTC_ICE_CONTROLLED && role != SANSRTC_ICE_CONTROLLING))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED || a->have_remote_credentials)
    return SANSRTC_ERR_INVALID_STATE;
  a->role = role;
  return SANSRTC_OK;
}

sansrtc_ice_role sansrtc_ice_agent_role(const sansrtc_ice_agent *a) {
  return a->role;
}
sansrtc_ice_state sansrtc_ice_agent_state(const sansrtc_ice_agent *a) {
  return a->state;
}

const char *sansrtc_ice_state_name(sansrtc_ice_state s) {
  switch (s) {
  case SANSRTC_ICE_STATE_NEW: return "new";
  case SANSRTC_ICE_STATE_CHECKING: return "checking";
  case SANSRTC_ICE_STATE_CONNECTED: return "connected";
  case SANSRTC_ICE_STATE_COMPLETED: return "completed";
  case SANSRTC_ICE_STATE_DISCONNECTED: return "disconnected";
  case SANSRTC_ICE_STATE_FAILED: return "failed";
  case SANSRTC_ICE_STATE_CLOSED: return "closed";
  }
  return "unknown";
}

void sansrtc_ice_agent_stats(const sansrtc_ice_agent *a,
                             sansrtc_ice_stats *stats) {
  if (a == NULL || stats == NULL) return;
  *stats = a->stats;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */

static int push_event(sansrtc_ice_agent *a, const ice_event_rec *ev) {
  if (a->ev_head > 0 && a->ev_head + a->ev_count == a->ev_cap) {
    memmove(a->events, a->events + a->ev_head, a->ev_count * sizeof *ev);
    a->ev_head = 0;
  }
  if (a->ev_count == a->ev_cap) {
    unsigned cap = a->ev_cap ? a->ev_cap * 2 : 8;
    ice_event_rec *n = realloc(a->events, cap * sizeof *n);
    if (n == NULL) return SANSRTC_ERR_NOMEM;
    a->events = n;
    a->ev_cap = cap;
  }
  a->events[a->ev_head + a->ev_count++] = *ev;
  return SANSRTC_OK;
}

static void emit_simple(sansrtc_ice_agent *a, sansrtc_ice_event_type type) {
  ice_event_rec ev;
  memset(&ev, 0, sizeof ev);
  ev.type = (uint8_t)type;
  ev.state = (uint8_t)a->state;
  ev.role = (uint8_t)a->role;
  if (push_event(a, &ev) != SANSRTC_OK)
    sansrtc_log(&a->log, SANSRTC_LOG_ERROR, "ice: event lost (no memory)");
}

static void set_state(sansrtc_ice_agent *a, sansrtc_ice_state s) {
  if (a->state == s) return;
  sansrtc_log(&a->log, SANSRTC_LOG_INFO, "ice: %s -> %s",
              sansrtc_ice_state_name(a->state), sansrtc_ice_state_name(s));
  a->state = s;
  emit_simple(a, SANSRTC_ICE_EVENT_STATE_CHANGE);
}

static void cand_to_public(const ice_cand *c, sansrtc_ice_candidate *out) {
  memset(out, 0, sizeof *out);
  memcpy(out->foundation, c->foundation, sizeof out->foundation);
  out->component = 1;
  out->transport = SANSRTC_ICE_TRANSPORT_UDP;
  out->priority = c->priority;
  out->addr = c->addr;
  out->type = (sansrtc_ice_candidate_type)c->type;
  if (c->type != SANSRTC_ICE_CANDIDATE_HOST) out->related = c->base;
}

int sansrtc_ice_agent_poll_event(sansrtc_ice_agent *a, sansrtc_ice_event *ev) {
  if (a == NULL || ev == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->ev_count == 0) return 0;
  const ice_event_rec *r = &a->events[a->ev_head];
  memset(ev, 0, sizeof *ev);
  ev->type = (sansrtc_ice_event_type)r->type;
  ev->state = (sansrtc_ice_state)r->state;
  ev->role = (sansrtc_ice_role)r->role;
  if (r->type == SANSRTC_ICE_EVENT_LOCAL_CANDIDATE)
    cand_to_public(&r->a, &ev->candidate);
  if (r->type == SANSRTC_ICE_EVENT_SELECTED_PAIR) {
    cand_to_public(&r->a, &ev->pair.local);
    cand_to_public(&r->b, &ev->pair.remote);
  }
  a->ev_head++;
  if (--a->ev_count == 0) a->ev_head = 0;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Output queue                                                             */
/* ------------------------------------------------------------------------ */

/* Queues a datagram description. When the queue is full the oldest entry is
 * dropped: these are UDP datagrams, and checks are retransmitted. */
static ice_out *queue_out(sansrtc_ice_agent *a, out_kind kind,
                          const sansrtc_addr *local,
                          const sansrtc_addr *remote) {
  if (a->out_count == ICE_OUT_QUEUE) {
    sansrtc_log(&a->log, SANSRTC_LOG_WARNING,
                "ice: send queue full, oldest datagram dropped");
    a->out_head = (a->out_head + 1) % ICE_OUT_QUEUE;
    a->out_count--;
  }
  ice_out *o = &a->out[(a->out_head + a->out_count++) % ICE_OUT_QUEUE];
  memset(o, 0, sizeof *o);
  o->kind = (uint8_t)kind;
  o->local = *local;
  o->remote = *remote;
  return o;
}

/* SOFTWARE goes before MESSAGE-INTEGRITY: receivers ignore what follows. */
static void add_software(const sansrtc_ice_agent *a, sansrtc_stun_writer *w) {
  if (a->software[0] != '\0')
    sansrtc_stun_writer_add_string(w, SANSRTC_STUN_ATTR_SOFTWARE, a->software);
}

static void write_request(const sansrtc_ice_agent *a, const ice_out *o,
                          sansrtc_stun_writer *w) {
  char user[2 * SANSRTC_ICE_UFRAG_MAX + 2];
  size_t ru = strlen(a->remote_ufrag), lu = strlen(a->local_ufrag);
  memcpy(user, a->remote_ufrag, ru);
  user[ru] = ':';
  memcpy(user + ru + 1, a->local_ufrag, lu + 1);
  sansrtc_stun_writer_add_string(w, SANSRTC_STUN_ATTR_USERNAME, user);
  sansrtc_stun_writer_add_u32(w, SANSRTC_STUN_ATTR_PRIORITY, o->priority);
  sansrtc_stun_writer_add_u64(w, o->role == SANSRTC_ICE_CONTROLLING
                                     ? SANSRTC_STUN_ATTR_ICE_CONTROLLING
                                     : SANSRTC_STUN_ATTR_ICE_CONTROLLED,
                              a->tie_breaker);
  if (o->use_candidate)
    sansrtc_stun_writer_add_flag(w, SANSRTC_STUN_ATTR_USE_CANDIDATE);
  add_software(a, w);
  sansrtc_stun_writer_add_integrity(w, (const uint8_t *)a->remote_pwd,
                                    strlen(a->remote_pwd));
}

static void write_response(const sansrtc_ice_agent *a, const ice_out *o,
                           sansrtc_stun_writer *w) {
  if (o->kind == OUT_SUCCESS) {
    sansrtc_stun_writer_add_xor_addr(w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                     &o->remote);
  } else {
    sansrtc_stun_writer_add_error(w, o->error_code, NULL);
    if (o->unknown_count > 0)
      sansrtc_stun_writer_add_unknown(w, o->unknown, o->unknown_count);
  }
  add_software(a, w);
  if (o->kind == OUT_SUCCESS || o->authenticated)
    sansrtc_stun_writer_add_integrity(w, (const uint8_t *)a->local_pwd,
                                      strlen(a->local_pwd));
}

int sansrtc_ice_agent_poll_transmit(sansrtc_ice_agent *a, uint8_t *buf,
                                    size_t cap, size_t *len,
                                    sansrtc_addr *local, sansrtc_addr *remote) {
  if (a == NULL || buf == NULL || len == NULL || local == NULL ||
      remote == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->out_count == 0) return 0;
  const ice_out *o = &a->out[a->out_head];
  static const sansrtc_stun_class klass[] = {
      SANSRTC_STUN_REQUEST, SANSRTC_STUN_SUCCESS, SANSRTC_STUN_ERROR,
      SANSRTC_STUN_REQUEST};
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, cap, SANSRTC_STUN_BINDING, klass[o->kind],
                           o->txid);
  if (o->kind == OUT_REQUEST)
    write_request(a, o, &w);
  else if (o->kind == OUT_SERVER_REQUEST)
    add_software(a, &w); /* no credentials: RFC 8489 Binding to a server */
  else
    write_response(a, o, &w);
  sansrtc_stun_writer_add_fingerprint(&w);
  int rc = sansrtc_stun_writer_finish(&w, len);
  if (rc != SANSRTC_OK) return rc;
  *local = o->local;
  *remote = o->remote;
  a->out_head = (a->out_head + 1) % ICE_OUT_QUEUE;
  a->out_count--;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Candidates and pairs                                                     */
/* ------------------------------------------------------------------------ */

/* RFC 8445 6.1.2.3: G is the controlling agent's candidate priority. */
static uint64_t pair_priority(const sansrtc_ice_agent *a, const ice_pair *p) {
  uint64_t l = a->locals[p->local].priority, r = a->remotes[p->remote].priority;
  uint64_t g = a->role == SANSRTC_ICE_CONTROLLING ? l : r;
  uint64_t d = a->role == SANSRTC_ICE_CONTROLLING ? r : l;
  uint64_t lo = g < d ? g : d, hi = g < d ? d : g;
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

static void recompute_pair_priorities(sansrtc_ice_agent *a) {
  for (unsigned i = 0; i < a->n_pairs; i++)
    a->pairs[i].priority = pair_priority(a, &a->pairs[i]);
}

static int find_local_by_base(const sansrtc_ice_agent *a,
                              const sansrtc_addr *addr) {
  for (unsigned i = 0; i < a->n_locals; i++)
    if (a->locals[i].type == SANSRTC_ICE_CANDIDATE_HOST &&
        sansrtc_addr_equal(&a->locals[i].base, addr))
      return (int)i;
  return -1;
}

static int find_remote(const sansrtc_ice_agent *a, const sansrtc_addr *addr) {
  for (unsigned i = 0; i < a->n_remotes; i++)
    if (sansrtc_addr_equal(&a->remotes[i].addr, addr)) return (int)i;
  return -1;
}

static int find_pair(const sansrtc_ice_agent *a, unsigned local,
                     unsigned remote) {
  for (unsigned i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].local == local && a->pairs[i].remote == remote)
      return (int)i;
  return -1;
}

static int same_foundation(const sansrtc_ice_agent *a, const ice_pair *p,
                           const ice_pair *q) {
  return strcmp(a->locals[p->local].foundation,
                a->locals[q->local].foundation) == 0 &&
         strcmp(a->remotes[p->remote].foundation,
                a->remotes[q->remote].foundation) == 0;
}

/* RFC 8445 6.1.2.6: for each foundation with nothing active yet, the
 * highest-priority Frozen pair becomes Waiting. */
static void unfreeze_initial(sansrtc_ice_agent *a) {
  for (unsigned i = 0; i < a->n_pairs; i++) {
    ice_pair *p = &a->pairs[i];
    if (p->state != PAIR_FROZEN) continue;
    int best = 1;
    for (unsigned j = 0; j < a->n_pairs && best; j++) {
      const ice_pair *q = &a->pairs[j];
      if (j == i || !same_foundation(a, p, q)) continue;
      if (q->state == PAIR_WAITING || q->state == PAIR_IN_PROGRESS ||
          q->state == PAIR_SUCCEEDED)
        best = 0;
      else if (q->state == PAIR_FROZEN && q->priority > p->priority)
        best = 0;
    }
    if (best) p->state = PAIR_WAITING;
  }
}

static int ensure_pair_room(sansrtc_ice_agent *a) {
  if (a->n_pairs < a->cap_pairs) return SANSRTC_OK;
  if (a->n_pairs >= a->cfg.max_pairs) return SANSRTC_ERR_LIMIT;
  unsigned cap = a->cap_pairs ? a->cap_pairs * 2 : 8;
  if (cap > a->cfg.max_pairs) cap = a->cfg.max_pairs;
  ice_pair *n = realloc(a->pairs, cap * sizeof *n);
  if (n == NULL) return SANSRTC_ERR_NOMEM;
  a->pairs = n;
  a->cap_pairs = cap;
  return SANSRTC_OK;
}

/* Adds the pair (local, remote) unless it exists; returns its index or a
 * negative error. Only host locals are paired: a server-reflexive
 * candidate's pairs are redundant with its base's (RFC 8445 6.1.2.4), and
 * relayed candidates need a TURN client this version does not have. */
static int add_pair(sansrtc_ice_agent *a, unsigned local, unsigned remote) {
  int idx = find_pair(a, local, remote);
  if (idx >= 0) return idx;
  int rc = ensure_pair_room(a);
  if (rc != SANSRTC_OK) {
    sansrtc_log(&a->log, SANSRTC_LOG_WARNING,
                "ice: pair limit (%u) reached, pair dropped", a->cfg.max_pairs);
    return rc;
  }
  ice_pair *p = &a->pairs[a->n_pairs];
  memset(p, 0, sizeof *p);
  p->local = (uint16_t)local;
  p->remote = (uint16_t)remote;
  p->state = PAIR_FROZEN;
  p->priority = pair_priority(a, p);
  return (int)a->n_pairs++;
}

static int pairable(const ice_cand *local, const ice_cand *remote) {
  return local->type == SANSRTC_ICE_CANDIDATE_HOST &&
         local->addr.family == remote->addr.family;
}

static void pair_remote_with_locals(sansrtc_ice_agent *a, unsigned remote) {
  for (unsigned i = 0; i < a->n_locals; i++)
    if (pairable(&a->locals[i], &a->remotes[remote]))
      (void)add_pair(a, i, remote);
  unfreeze_initial(a);
}

/* A derived foundation: equal for candidates of one type and base IP. */
static void derive_foundation(const ice_cand *c, char out[SANSRTC_ICE_FOUNDATION_MAX + 1]) {
  uint32_t h = 2166136261u; /* FNV-1a */
  uint8_t bytes[18];
  bytes[0] = c->type;
  bytes[1] = c->base.family;
  memcpy(bytes + 2, c->base.ip, 16);
  for (size_t i = 0; i < sizeof bytes; i++) {
    h ^= bytes[i];
    h *= 16777619u;
  }
  snprintf(out, SANSRTC_ICE_FOUNDATION_MAX + 1, "%u", (unsigned)h);
}

static int ice_run(sansrtc_ice_agent *a, sansrtc_tstamp now);
static void gather_finished(sansrtc_ice_agent *a, const ice_txn *t, const char *why);
static int begin_txn(sansrtc_ice_agent *a, unsigned pair, unsigned server,
                     txn_kind kind, sansrtc_tstamp now);

static int local_candidate_valid(const sansrtc_ice_candidate *c) {
  if (c->addr.family != SANSRTC_AF_IPV4 && c->addr.family != SANSRTC_AF_IPV6)
    return 0;
  if (c->type > SANSRTC_ICE_CANDIDATE_RELAY || c->component != 1) return 0;
  if (c->type != SANSRTC_ICE_CANDIDATE_HOST &&
      c->related.family != c->addr.family)
    return 0;
  if (c->foundation[0] != '\0' &&
      !valid_ice_string(c->foundation, 1, SANSRTC_ICE_FOUNDATION_MAX))
    return 0;
  return 1;
}

/* Adds a completed local candidate (validated by the caller), reports it
 * and pairs it. Returns its index, or an error code. */
static int add_local(sansrtc_ice_agent *a, const sansrtc_ice_candidate *c) {
  if (a->n_locals >= a->cfg.max_local_candidates) return SANSRTC_ERR_LIMIT;
  ice_cand *l = &a->locals[a->n_locals];
  memset(l, 0, sizeof *l);
  l->addr = c->addr;
  l->base = c->type == SANSRTC_ICE_CANDIDATE_HOST ? c->addr : c->related;
  l->type = (uint8_t)c->type;
  /* Earlier candidates get a higher local preference. */
  l->priority = c->priority != 0
                    ? c->priority
                    : sansrtc_ice_candidate_priority(
                          c->type, (uint16_t)(65535u - a->n_locals), 1);
  if (c->foundation[0] != '\0')
    memcpy(l->foundation, c->foundation, sizeof l->foundation);
  else
    derive_foundation(l, l->foundation);
  unsigned idx = a->n_locals++;

  ice_event_rec ev;
  memset(&ev, 0, sizeof ev);
  ev.type = SANSRTC_ICE_EVENT_LOCAL_CANDIDATE;
  ev.state = (uint8_t)a->state;
  ev.role = (uint8_t)a->role;
  ev.a = *l;
  if (push_event(a, &ev) != SANSRTC_OK) return SANSRTC_ERR_NOMEM;

  for (unsigned r = 0; r < a->n_remotes; r++)
    if (pairable(l, &a->remotes[r])) (void)add_pair(a, idx, r);
  unfreeze_initial(a);
  return (int)idx;
}

/* Starts a Binding transaction from host candidate `local` to `server`. */
static void start_gather(sansrtc_ice_agent *a, unsigned local, unsigned server,
                         sansrtc_tstamp now) {
  if (a->locals[local].type != SANSRTC_ICE_CANDIDATE_HOST ||
      a->locals[local].addr.family != a->stun_servers[server].family)
    return;
  if (begin_txn(a, local, server, TXN_GATHER, now) != SANSRTC_OK)
    sansrtc_log(&a->log, SANSRTC_LOG_WARNING,
                "ice: no room to ask a STUN server; candidate skipped");
}

static int gather_pending(const sansrtc_ice_agent *a) {
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++)
    if (a->txns[i].in_use && a->txns[i].kind == TXN_GATHER) return 1;
  return 0;
}

/* GATHERING_DONE once the caller is done and no server is being asked. */
static void report_gathering_done(sansrtc_ice_agent *a) {
  if (a->local_gathering_done && !a->gathering_reported && !gather_pending(a)) {
    a->gathering_reported = 1;
    emit_simple(a, SANSRTC_ICE_EVENT_GATHERING_DONE);
  }
}

static void gather_finished(sansrtc_ice_agent *a, const ice_txn *t, const char *why) {
  char l[SANSRTC_ADDR_STRLEN], srv[SANSRTC_ADDR_STRLEN];
  sansrtc_log(&a->log, SANSRTC_LOG_INFO, "ice: STUN server %s from %s: %s",
              addr_str(&a->stun_servers[t->server], srv),
              addr_str(&a->locals[t->pair].base, l), why);
  report_gathering_done(a);
}

int sansrtc_ice_agent_add_local_candidate(sansrtc_ice_agent *a,
                                          const sansrtc_ice_candidate *c,
                                          sansrtc_tstamp now) {
  if (a == NULL || c == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED || a->local_gathering_done)
    return SANSRTC_ERR_INVALID_STATE;
  if (c->transport != SANSRTC_ICE_TRANSPORT_UDP || c->hostname[0] != '\0')
    return SANSRTC_ERR_UNSUPPORTED;
  if (!local_candidate_valid(c)) return SANSRTC_ERR_INVALID_ARGUMENT;
  int idx = add_local(a, c);
  if (idx < 0) return idx;
  for (unsigned s = 0; s < a->n_stun_servers; s++)
    start_gather(a, (unsigned)idx, s, now);
  return ice_run(a, now);
}

int sansrtc_ice_agent_add_stun_server(sansrtc_ice_agent *a,
                                      const sansrtc_addr *server,
                                      sansrtc_tstamp now) {
  if (a == NULL || server == NULL || server->port == 0 ||
      (server->family != SANSRTC_AF_IPV4 && server->family != SANSRTC_AF_IPV6))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED || a->local_gathering_done)
    return SANSRTC_ERR_INVALID_STATE;
  if (a->n_stun_servers == SANSRTC_ICE_MAX_STUN_SERVERS) return SANSRTC_ERR_LIMIT;
  unsigned s = a->n_stun_servers++;
  a->stun_servers[s] = *server;
  for (unsigned l = 0; l < a->n_locals; l++) start_gather(a, l, s, now);
  return ice_run(a, now);
}

int sansrtc_ice_agent_gathering_done(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (a == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED) return SANSRTC_ERR_INVALID_STATE;
  a->local_gathering_done = 1;
  report_gathering_done(a);
  return ice_run(a, now);
}

static int ensure_remote_room(sansrtc_ice_agent *a) {
  if (a->n_remotes < a->cap_remotes) return SANSRTC_OK;
  if (a->n_remotes >= a->cfg.max_remote_candidates) return SANSRTC_ERR_LIMIT;
  unsigned cap = a->cap_remotes ? a->cap_remotes * 2 : 4;
  if (cap > a->cfg.max_remote_candidates) cap = a->cfg.max_remote_candidates;
  ice_cand *n = realloc(a->remotes, cap * sizeof *n);
  if (n == NULL) return SANSRTC_ERR_NOMEM;
  a->remotes = n;
  a->cap_remotes = cap;
  return SANSRTC_OK;
}

static void ignore_remote(sansrtc_ice_agent *a, const char *why) {
  a->stats.remote_candidates_ignored++;
  sansrtc_log(&a->log, SANSRTC_LOG_DEBUG, "ice: remote candidate ignored: %s",
              why);
}

int sansrtc_ice_agent_add_remote_candidate(sansrtc_ice_agent *a,
                                           const sansrtc_ice_candidate *c,
                                           sansrtc_tstamp now) {
  if (a == NULL || c == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED) return SANSRTC_ERR_INVALID_STATE;
  if (c->transport != SANSRTC_ICE_TRANSPORT_UDP) {
    ignore_remote(a, "not UDP");
    return SANSRTC_OK;
  }
  if (c->addr.family != SANSRTC_AF_IPV4 && c->addr.family != SANSRTC_AF_IPV6) {
    ignore_remote(a, "host name (e.g. mDNS) or no address");
    return SANSRTC_OK;
  }
  if (c->component != 1) {
    ignore_remote(a, "component other than 1 (rtcp-mux only)");
    return SANSRTC_OK;
  }
  int existing = find_remote(a, &c->addr);
  if (existing >= 0) {
    ice_cand *r = &a->remotes[existing];
    if (r->type == SANSRTC_ICE_CANDIDATE_PRFLX) {
      /* The signaled candidate replaces a peer-reflexive one learned first
       * (RFC 8445 7.3.1.3); its pairs keep their state. */
      r->type = (uint8_t)c->type;
      r->priority = c->priority;
      memcpy(r->foundation, c->foundation, sizeof r->foundation);
      recompute_pair_priorities(a);
    } else {
      ignore_remote(a, "duplicate");
    }
    return ice_run(a, now);
  }
  int rc = ensure_remote_room(a);
  if (rc == SANSRTC_ERR_LIMIT) {
    ignore_remote(a, "remote candidate limit reached");
    return SANSRTC_OK;
  }
  if (rc != SANSRTC_OK) return rc;
  ice_cand *r = &a->remotes[a->n_remotes];
  memset(r, 0, sizeof *r);
  r->addr = r->base = c->addr;
  r->type = (uint8_t)c->type;
  r->priority = c->priority;
  memcpy(r->foundation, c->foundation, sizeof r->foundation);
  r->foundation[SANSRTC_ICE_FOUNDATION_MAX] = '\0';
  pair_remote_with_locals(a, a->n_remotes++);
  return ice_run(a, now);
}

int sansrtc_ice_agent_end_of_remote_candidates(sansrtc_ice_agent *a,
                                               sansrtc_tstamp now) {
  if (a == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED) return SANSRTC_ERR_INVALID_STATE;
  a->remote_end_of_candidates = 1;
  return ice_run(a, now);
}

int sansrtc_ice_agent_set_remote_credentials(sansrtc_ice_agent *a,
                                             const char *ufrag,
                                             const char *pwd,
                                             sansrtc_tstamp now) {
  if (a == NULL || !valid_ice_string(ufrag, 4, SANSRTC_ICE_UFRAG_MAX) ||
      !valid_ice_string(pwd, 22, SANSRTC_ICE_PWD_MAX))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED) return SANSRTC_ERR_INVALID_STATE;
  if (a->have_remote_credentials) {
    if (strcmp(a->remote_ufrag, ufrag) == 0 && strcmp(a->remote_pwd, pwd) == 0)
      return SANSRTC_OK;
    return SANSRTC_ERR_INVALID_STATE; /* an ICE restart */
  }
  strcpy(a->remote_ufrag, ufrag);
  strcpy(a->remote_pwd, pwd);
  a->have_remote_credentials = 1;
  return ice_run(a, now);
}

/* ------------------------------------------------------------------------ */
/* Transactions and checks                                                  */
/* ------------------------------------------------------------------------ */

static ice_txn *find_txn(sansrtc_ice_agent *a, const uint8_t *txid) {
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++)
    if (a->txns[i].in_use &&
        memcmp(a->txns[i].txid, txid, SANSRTC_STUN_TXID_SIZE) == 0)
      return &a->txns[i];
  return NULL;
}

/* PRIORITY to put in a request: the priority of a peer-reflexive candidate
 * learned from it (RFC 8445 7.1.1), i.e. the local one with type prflx. */
static uint32_t request_priority(const ice_cand *local) {
  return (ICE_TYPE_PREF_PRFLX << 24) | (local->priority & 0x00FFFFFFu);
}

static void queue_request(sansrtc_ice_agent *a, const ice_txn *t) {
  if (t->kind == TXN_GATHER) {
    ice_out *o = queue_out(a, OUT_SERVER_REQUEST, &a->locals[t->pair].base,
                           &a->stun_servers[t->server]);
    memcpy(o->txid, t->txid, SANSRTC_STUN_TXID_SIZE);
    a->stats.server_requests_sent++;
    return;
  }
  const ice_pair *p = &a->pairs[t->pair];
  const ice_cand *l = &a->locals[p->local];
  ice_out *o = queue_out(a, OUT_REQUEST, &l->base, &a->remotes[p->remote].addr);
  memcpy(o->txid, t->txid, SANSRTC_STUN_TXID_SIZE);
  o->use_candidate = t->kind == TXN_NOMINATION;
  o->role = t->role;
  o->priority = request_priority(l);
  a->stats.requests_sent++;
  if (t->kind == TXN_CONSENT) a->stats.consent_requests_sent++;
}

/* Starts a new transaction on `pair` (for TXN_GATHER: from local candidate
 * `pair` to STUN server `server`) and queues its first request. */
static int begin_txn(sansrtc_ice_agent *a, unsigned pair, unsigned server,
                     txn_kind kind, sansrtc_tstamp now) {
  ice_txn *t = NULL;
  for (unsigned i = 0; i < ICE_MAX_TXNS && t == NULL; i++)
    if (!a->txns[i].in_use) t = &a->txns[i];
  if (t == NULL) return SANSRTC_ERR_LIMIT;
  int rc = sansrtc_random(a->cfg.random_fn, a->cfg.random_user_data, t->txid,
                          SANSRTC_STUN_TXID_SIZE);
  if (rc != SANSRTC_OK) return rc;
  t->in_use = 1;
  t->kind = (uint8_t)kind;
  t->role = (uint8_t)a->role;
  t->pair = (uint16_t)pair;
  t->server = (uint8_t)server;
  t->transmissions = 1;
  t->max_transmissions = kind == TXN_CONSENT ? ICE_CONSENT_TRANSMISSIONS
                         : kind == TXN_GATHER ? ICE_GATHER_TRANSMISSIONS
                                              : a->cfg.check_max_transmissions;
  t->rto = kind == TXN_GATHER ? ICE_GATHER_RTO : a->cfg.check_rto;
  t->next_send = tadd(now, t->rto);
  queue_request(a, t);
  return SANSRTC_OK;
}

static int start_txn(sansrtc_ice_agent *a, unsigned pair, txn_kind kind,
                     sansrtc_tstamp now) {
  return begin_txn(a, pair, 0, kind, now);
}

static void trigger_check(sansrtc_ice_agent *a, unsigned pair) {
  ice_pair *p = &a->pairs[pair];
  if (p->triggered == 0) p->triggered = ++a->triggered_seq;
  if (p->state == PAIR_FROZEN || p->state == PAIR_FAILED)
    p->state = PAIR_WAITING;
}

static void fail_pair(sansrtc_ice_agent *a, unsigned pair, const char *why) {
  ice_pair *p = &a->pairs[pair];
  if (p->state == PAIR_FAILED) return;
  char l[SANSRTC_ADDR_STRLEN], r[SANSRTC_ADDR_STRLEN];
  sansrtc_log(&a->log, SANSRTC_LOG_DEBUG, "ice: pair %s -> %s failed: %s",
              addr_str(&a->locals[p->local].base, l),
              addr_str(&a->remotes[p->remote].addr, r), why);
  p->state = PAIR_FAILED;
  p->triggered = 0;
  a->stats.pairs_failed++;
  /* A check that can no longer succeed cannot nominate either. */
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++)
    if (a->txns[i].in_use && a->txns[i].pair == pair &&
        (a->txns[i].kind == TXN_CHECK || a->txns[i].kind == TXN_NOMINATION))
      a->txns[i].in_use = 0;
}

/* Retransmits or expires transactions that are due. */
static void run_transactions(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++) {
    ice_txn *t = &a->txns[i];
    if (!t->in_use || t->next_send > now) continue;
    if (t->transmissions >= t->max_transmissions) {
      t->in_use = 0;
      if (t->kind == TXN_GATHER) gather_finished(a, t, "no response");
      else if (t->kind != TXN_CONSENT) fail_pair(a, t->pair, "no response");
      continue;
    }
    t->transmissions++;
    t->rto = t->kind == TXN_GATHER
                 ? (t->transmissions == t->max_transmissions ? ICE_GATHER_LAST_WAIT
                                                             : t->rto * 2)
                 : tmin(t->rto * 2, a->cfg.check_rto_max);
    t->next_send = tadd(now, t->rto);
    queue_request(a, t);
  }
}

/* The next pair to check: the oldest triggered one, else the Waiting pair
 * with the highest priority, else (RFC 8445 6.1.4.2) the highest-priority
 * Frozen pair. Returns -1 when there is none. */
static int next_pair_to_check(const sansrtc_ice_agent *a) {
  int best = -1;
  for (unsigned i = 0; i < a->n_pairs; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->triggered != 0 &&
        (best < 0 || p->triggered < a->pairs[best].triggered))
      best = (int)i;
  }
  if (best >= 0) return best;
  for (int pass = 0; pass < 2; pass++) {
    uint8_t want = pass == 0 ? PAIR_WAITING : PAIR_FROZEN;
    for (unsigned i = 0; i < a->n_pairs; i++)
      if (a->pairs[i].state == want &&
          (best < 0 || a->pairs[i].priority > a->pairs[best].priority))
        best = (int)i;
    if (best >= 0) return best;
  }
  return -1;
}

static int checks_allowed(const sansrtc_ice_agent *a) {
  return a->have_remote_credentials && a->state != SANSRTC_ICE_STATE_FAILED &&
         a->state != SANSRTC_ICE_STATE_CLOSED;
}

static sansrtc_tstamp next_check_time(const sansrtc_ice_agent *a) {
  return a->any_check_sent ? tadd(a->last_check_sent, a->cfg.check_interval)
                           : 0;
}

/* Sends at most one paced check if Ta has passed. */
static int run_paced_check(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (!checks_allowed(a) || now < next_check_time(a)) return SANSRTC_OK;
  int idx = next_pair_to_check(a);
  if (idx < 0) return SANSRTC_OK;
  ice_pair *p = &a->pairs[idx];
  int rc = start_txn(a, (unsigned)idx, TXN_CHECK, now);
  if (rc == SANSRTC_ERR_LIMIT) return SANSRTC_OK; /* retry when one ends */
  if (rc != SANSRTC_OK) return rc;
  p->triggered = 0;
  if (p->state != PAIR_SUCCEEDED) p->state = PAIR_IN_PROGRESS;
  a->any_check_sent = 1;
  a->last_check_sent = now;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Nomination, selection and consent                                        */
/* ------------------------------------------------------------------------ */

static int valid_pair_best(const sansrtc_ice_agent *a) {
  int best = -1;
  for (unsigned i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].state == PAIR_SUCCEEDED &&
        (best < 0 || a->pairs[i].priority > a->pairs[best].priority))
      best = (int)i;
  return best;
}

/* Highest priority among pairs that may still succeed or have. */
static uint64_t best_live_priority(const sansrtc_ice_agent *a) {
  uint64_t best = 0;
  for (unsigned i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].state != PAIR_FAILED && a->pairs[i].priority > best)
      best = a->pairs[i].priority;
  return best;
}

/* RFC 8445 8.1.2: once a pair is nominated, Waiting and Frozen pairs are
 * removed and lower-priority checks in progress stop. Removed pairs are
 * marked Failed (not counted as failures) so indices stay stable. */
static void prune_after_nomination(sansrtc_ice_agent *a, unsigned idx) {
  for (unsigned i = 0; i < a->n_pairs; i++) {
    ice_pair *q = &a->pairs[i];
    if (i == idx) continue;
    int drop = q->state == PAIR_FROZEN || q->state == PAIR_WAITING ||
               (q->state == PAIR_IN_PROGRESS &&
                q->priority < a->pairs[idx].priority);
    if (!drop) continue;
    q->state = PAIR_FAILED;
    q->triggered = 0;
    for (unsigned t = 0; t < ICE_MAX_TXNS; t++)
      if (a->txns[t].in_use && a->txns[t].pair == i) a->txns[t].in_use = 0;
  }
}

static void select_pair(sansrtc_ice_agent *a, unsigned idx, sansrtc_tstamp now) {
  ice_pair *p = &a->pairs[idx];
  prune_after_nomination(a, idx);
  p->nominated = 1;
  p->nominate_pending = 0;
  if (a->selected >= 0 && (unsigned)a->selected != idx &&
      a->pairs[a->selected].priority > p->priority)
    return; /* keep the better pair already selected */
  if (a->selected != (int)idx) {
    a->selected = (int)idx;
    char l[SANSRTC_ADDR_STRLEN], r[SANSRTC_ADDR_STRLEN];
    sansrtc_log(&a->log, SANSRTC_LOG_INFO, "ice: selected pair %s -> %s",
                addr_str(&a->locals[p->local].base, l),
                addr_str(&a->remotes[p->remote].addr, r));
    ice_event_rec ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SANSRTC_ICE_EVENT_SELECTED_PAIR;
    ev.state = (uint8_t)a->state;
    ev.role = (uint8_t)a->role;
    ev.a = a->locals[p->local];
    ev.b = a->remotes[p->remote];
    if (push_event(a, &ev) != SANSRTC_OK)
      sansrtc_log(&a->log, SANSRTC_LOG_ERROR, "ice: event lost (no memory)");
  }
  a->last_consent_response = now;
  a->next_consent = tadd(now, jittered(a, a->cfg.consent_interval));
  if (a->state == SANSRTC_ICE_STATE_NEW ||
      a->state == SANSRTC_ICE_STATE_CHECKING ||
      a->state == SANSRTC_ICE_STATE_DISCONNECTED)
    set_state(a, SANSRTC_ICE_STATE_CONNECTED);
}

static int nomination_in_progress(const sansrtc_ice_agent *a) {
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++)
    if (a->txns[i].in_use && a->txns[i].kind == TXN_NOMINATION) return 1;
  return 0;
}

/* Controlling agent, regular nomination: nominate the best valid pair once
 * no better pair can still succeed, or nomination_delay after the first. */
static int run_nomination(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (a->role != SANSRTC_ICE_CONTROLLING || a->selected >= 0 ||
      !checks_allowed(a) || nomination_in_progress(a))
    return SANSRTC_OK;
  int best = valid_pair_best(a);
  if (best < 0) return SANSRTC_OK;
  if (a->pairs[best].priority < best_live_priority(a) &&
      now < tadd(a->first_valid_at, a->cfg.nomination_delay))
    return SANSRTC_OK;
  int rc = start_txn(a, (unsigned)best, TXN_NOMINATION, now);
  return rc == SANSRTC_ERR_LIMIT ? SANSRTC_OK : rc;
}

static int run_consent(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (a->selected < 0 || a->state == SANSRTC_ICE_STATE_FAILED) return SANSRTC_OK;
  sansrtc_tstamp silent =
      now > a->last_consent_response ? now - a->last_consent_response : 0;
  if (silent >= a->cfg.consent_timeout) {
    sansrtc_log(&a->log, SANSRTC_LOG_WARNING,
                "ice: consent expired (no response for %llu ms)",
                (unsigned long long)(silent / SANSRTC_MILLISECONDS));
    set_state(a, SANSRTC_ICE_STATE_FAILED);
    return SANSRTC_OK;
  }
  if (silent >= a->cfg.disconnected_timeout &&
      (a->state == SANSRTC_ICE_STATE_CONNECTED ||
       a->state == SANSRTC_ICE_STATE_COMPLETED)) {
    a->was_completed = a->state == SANSRTC_ICE_STATE_COMPLETED;
    set_state(a, SANSRTC_ICE_STATE_DISCONNECTED);
  }
  if (now < a->next_consent) return SANSRTC_OK;
  a->next_consent = tadd(now, jittered(a, a->cfg.consent_interval));
  int rc = start_txn(a, (unsigned)a->selected, TXN_CONSENT, now);
  return rc == SANSRTC_ERR_LIMIT ? SANSRTC_OK : rc;
}

static int checks_pending(const sansrtc_ice_agent *a) {
  for (unsigned i = 0; i < a->n_pairs; i++) {
    uint8_t s = a->pairs[i].state;
    if (s == PAIR_FROZEN || s == PAIR_WAITING || s == PAIR_IN_PROGRESS ||
        a->pairs[i].triggered != 0)
      return 1;
  }
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++)
    if (a->txns[i].in_use &&
        (a->txns[i].kind == TXN_CHECK || a->txns[i].kind == TXN_NOMINATION))
      return 1;
  return 0;
}

/* A pair that succeeded but is not nominated yet may still be selected:
 * the controlling agent nominates it, or the controlled one waits for it. */
static int pairs_succeeded(const sansrtc_ice_agent *a) {
  for (unsigned i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].state == PAIR_SUCCEEDED) return 1;
  return 0;
}

/* CHECKING, COMPLETED and FAILED transitions that depend on the lists. */
static void update_state(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (a->state == SANSRTC_ICE_STATE_NEW && a->have_remote_credentials &&
      a->n_pairs > 0) {
    a->checking_started = now;
    set_state(a, SANSRTC_ICE_STATE_CHECKING);
  }
  if (a->state == SANSRTC_ICE_STATE_CHECKING && a->selected < 0) {
    int all_failed = !checks_pending(a) && !pairs_succeeded(a);
    if ((a->remote_end_of_candidates && all_failed) ||
        now >= tadd(a->checking_started, a->cfg.checking_timeout)) {
      sansrtc_log(&a->log, SANSRTC_LOG_WARNING, "ice: no working pair found");
      set_state(a, SANSRTC_ICE_STATE_FAILED);
    }
  }
  if (a->state == SANSRTC_ICE_STATE_CONNECTED && a->remote_end_of_candidates &&
      a->gathering_reported && !checks_pending(a))
    set_state(a, SANSRTC_ICE_STATE_COMPLETED);
}

static int ice_run(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (a->state == SANSRTC_ICE_STATE_CLOSED) return SANSRTC_OK;
  run_transactions(a, now);
  int rc = run_paced_check(a, now);
  if (rc == SANSRTC_OK) rc = run_nomination(a, now);
  if (rc == SANSRTC_OK) rc = run_consent(a, now);
  update_state(a, now);
  return rc;
}

int sansrtc_ice_agent_handle_timeout(sansrtc_ice_agent *a, sansrtc_tstamp now) {
  if (a == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  return ice_run(a, now);
}

sansrtc_tstamp sansrtc_ice_agent_next_deadline(const sansrtc_ice_agent *a) {
  if (a == NULL || a->state == SANSRTC_ICE_STATE_CLOSED ||
      a->state == SANSRTC_ICE_STATE_FAILED)
    return SANSRTC_TSTAMP_NEVER;
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  for (unsigned i = 0; i < ICE_MAX_TXNS; i++)
    if (a->txns[i].in_use) t = tmin(t, a->txns[i].next_send);
  if (checks_allowed(a) && next_pair_to_check(a) >= 0)
    t = tmin(t, next_check_time(a));
  if (a->role == SANSRTC_ICE_CONTROLLING && a->selected < 0 &&
      a->first_valid_at != 0 && !nomination_in_progress(a) &&
      valid_pair_best(a) >= 0)
    t = tmin(t, tadd(a->first_valid_at, a->cfg.nomination_delay));
  if (a->state == SANSRTC_ICE_STATE_CHECKING && a->selected < 0)
    t = tmin(t, tadd(a->checking_started, a->cfg.checking_timeout));
  if (a->selected >= 0) {
    t = tmin(t, a->next_consent);
    t = tmin(t, tadd(a->last_consent_response,
                     a->state == SANSRTC_ICE_STATE_DISCONNECTED
                         ? a->cfg.consent_timeout
                         : a->cfg.disconnected_timeout));
  }
  return t;
}

int sansrtc_ice_agent_selected_pair(const sansrtc_ice_agent *a,
                                    sansrtc_addr *local, sansrtc_addr *remote) {
  if (a == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->selected < 0) return SANSRTC_ERR_NOT_FOUND;
  const ice_pair *p = &a->pairs[a->selected];
  if (local != NULL) *local = a->locals[p->local].base;
  if (remote != NULL) *remote = a->remotes[p->remote].addr;
  return SANSRTC_OK;
}

void sansrtc_ice_agent_close(sansrtc_ice_agent *a) {
  if (a == NULL || a->state == SANSRTC_ICE_STATE_CLOSED) return;
  a->out_count = 0;
  a->out_head = 0;
  memset(a->txns, 0, sizeof a->txns);
  set_state(a, SANSRTC_ICE_STATE_CLOSED);
}

/* ------------------------------------------------------------------------ */
/* Incoming STUN                                                            */
/* ------------------------------------------------------------------------ */

static void queue_error(sansrtc_ice_agent *a, const sansrtc_stun_msg *m,
                        const sansrtc_addr *local, const sansrtc_addr *remote,
                        uint16_t code, int authenticated) {
  ice_out *o = queue_out(a, OUT_ERROR, local, remote);
  memcpy(o->txid, m->txid, SANSRTC_STUN_TXID_SIZE);
  o->error_code = code;
  o->authenticated = (uint8_t)authenticated;
  if (code == SANSRTC_STUN_ERR_UNKNOWN_ATTRIBUTE) {
    o->unknown_count = (uint8_t)m->unknown_required_count;
    memcpy(o->unknown, m->unknown_required,
           m->unknown_required_count * sizeof o->unknown[0]);
  }
  a->stats.error_responses_sent++;
}

/* USERNAME of a request to us is "<our ufrag>:<their ufrag>". */
static int username_matches(const sansrtc_ice_agent *a,
                            const sansrtc_stun_bytes *u) {
  size_t n = strlen(a->local_ufrag);
  if (u->len <= n || memcmp(u->data, a->local_ufrag, n) != 0 ||
      u->data[n] != ':')
    return 0;
  if (!a->have_remote_credentials) return 1; /* early check, RFC 8445 7.3 */
  size_t rn = strlen(a->remote_ufrag);
  return u->len - n - 1 == rn && memcmp(u->data + n + 1, a->remote_ufrag, rn) == 0;
}

static void switch_role(sansrtc_ice_agent *a, sansrtc_ice_role role) {
  sansrtc_log(&a->log, SANSRTC_LOG_INFO, "ice: role conflict, now %s",
              role == SANSRTC_ICE_CONTROLLING ? "controlling" : "controlled");
  a->role = role;
  recompute_pair_priorities(a);
  emit_simple(a, SANSRTC_ICE_EVENT_ROLE_CHANGE);
}

/* RFC 8445 7.3.1.1. Returns 1 when the request must be answered 487. */
static int resolve_role_conflict(sansrtc_ice_agent *a,
                                 const sansrtc_stun_msg *m) {
  if (a->role == SANSRTC_ICE_CONTROLLING &&
      sansrtc_stun_has(m, SANSRTC_STUN_HAS_ICE_CONTROLLING)) {
    a->stats.role_conflicts++;
    if (a->tie_breaker >= m->ice_controlling) return 1;
    switch_role(a, SANSRTC_ICE_CONTROLLED);
  } else if (a->role == SANSRTC_ICE_CONTROLLED &&
             sansrtc_stun_has(m, SANSRTC_STUN_HAS_ICE_CONTROLLED)) {
    a->stats.role_conflicts++;
    if (a->tie_breaker < m->ice_controlled) return 1;
    switch_role(a, SANSRTC_ICE_CONTROLLING);
  }
  return 0;
}

/* Finds the remote candidate a request came from, learning a
 * peer-reflexive one when it is new (RFC 8445 7.3.1.3). */
static int remote_for_request(sansrtc_ice_agent *a, const sansrtc_stun_msg *m,
                              const sansrtc_addr *remote) {
  int idx = find_remote(a, remote);
  if (idx >= 0) return idx;
  if (ensure_remote_room(a) != SANSRTC_OK) {
    ignore_remote(a, "no room for a peer-reflexive candidate");
    return -1;
  }
  ice_cand *r = &a->remotes[a->n_remotes];
  memset(r, 0, sizeof *r);
  r->addr = r->base = *remote;
  r->type = SANSRTC_ICE_CANDIDATE_PRFLX;
  r->priority = m->priority;
  /* A foundation unique to this candidate (RFC 8445 7.3.1.3: any). */
  snprintf(r->foundation, sizeof r->foundation, "prflx%u", a->n_remotes);
  a->stats.prflx_remote_learned++;
  char s[SANSRTC_ADDR_STRLEN];
  sansrtc_log(&a->log, SANSRTC_LOG_DEBUG, "ice: learned prflx remote %s",
              addr_str(remote, s));
  return (int)a->n_remotes++;
}

static int handle_request(sansrtc_ice_agent *a, const sansrtc_stun_msg *m,
                          const sansrtc_addr *local,
                          const sansrtc_addr *remote, sansrtc_tstamp now) {
  a->stats.requests_received++;
  if (!sansrtc_stun_has(m, SANSRTC_STUN_HAS_USERNAME) ||
      !sansrtc_stun_has(m, SANSRTC_STUN_HAS_MESSAGE_INTEGRITY) ||
      !sansrtc_stun_has(m, SANSRTC_STUN_HAS_PRIORITY)) {
    a->stats.rejected_malformed++;
    queue_error(a, m, local, remote, SANSRTC_STUN_ERR_BAD_REQUEST, 0);
    return SANSRTC_ERR_MALFORMED;
  }
  if (!username_matches(a, &m->username)) {
    a->stats.rejected_auth++;
    queue_error(a, m, local, remote, SANSRTC_STUN_ERR_UNAUTHORIZED, 0);
    return SANSRTC_ERR_AUTH;
  }
  if (sansrtc_stun_check_integrity(m, (const uint8_t *)a->local_pwd,
                                   strlen(a->local_pwd)) != SANSRTC_OK) {
    a->stats.rejected_integrity++;
    queue_error(a, m, local, remote, SANSRTC_STUN_ERR_UNAUTHORIZED, 0);
    return SANSRTC_ERR_INTEGRITY;
  }
  if (m->unknown_required_count > 0) {
    queue_error(a, m, local, remote, SANSRTC_STUN_ERR_UNKNOWN_ATTRIBUTE, 1);
    return SANSRTC_ERR_UNSUPPORTED;
  }
  if (resolve_role_conflict(a, m)) {
    queue_error(a, m, local, remote, SANSRTC_STUN_ERR_ROLE_CONFLICT, 1);
    return ice_run(a, now);
  }
  ice_out *o = queue_out(a, OUT_SUCCESS, local, remote);
  memcpy(o->txid, m->txid, SANSRTC_STUN_TXID_SIZE);
  a->stats.responses_sent++;

  int l = find_local_by_base(a, local);
  int r = remote_for_request(a, m, remote);
  int p = (l >= 0 && r >= 0) ? add_pair(a, (unsigned)l, (unsigned)r) : -1;
  if (p < 0) return ice_run(a, now);
  ice_pair *pair = &a->pairs[p];
  int use_candidate = sansrtc_stun_has(m, SANSRTC_STUN_HAS_USE_CANDIDATE) &&
                      a->role == SANSRTC_ICE_CONTROLLED;
  if (pair->state == PAIR_SUCCEEDED) {
    if (use_candidate) select_pair(a, (unsigned)p, now);
  } else {
    if (use_candidate) pair->nominate_pending = 1;
    trigger_check(a, (unsigned)p);
  }
  return ice_run(a, now);
}

static void pair_succeeded(sansrtc_ice_agent *a, unsigned idx,
                           sansrtc_tstamp now) {
  ice_pair *p = &a->pairs[idx];
  if (p->state != PAIR_SUCCEEDED) {
    p->state = PAIR_SUCCEEDED;
    p->triggered = 0;
    if (a->first_valid_at == 0) a->first_valid_at = now ? now : 1;
    /* RFC 8445 7.2.5.3.3: unfreeze pairs of the same foundation. */
    for (unsigned i = 0; i < a->n_pairs; i++)
      if (a->pairs[i].state == PAIR_FROZEN && same_foundation(a, p, &a->pairs[i]))
        a->pairs[i].state = PAIR_WAITING;
  }
  if (p->nominate_pending && a->role == SANSRTC_ICE_CONTROLLED)
    select_pair(a, idx, now);
}

/* A STUN server's answer: a server-reflexive candidate, unless it is one
 * we already have (no NAT: the host candidate itself). */
static int handle_server_response(sansrtc_ice_agent *a, ice_txn *t,
                                  const sansrtc_stun_msg *m,
                                  const sansrtc_addr *local,
                                  const sansrtc_addr *remote, sansrtc_tstamp now) {
  const ice_cand *base = &a->locals[t->pair];
  if (!sansrtc_addr_equal(remote, &a->stun_servers[t->server]) ||
      !sansrtc_addr_equal(local, &base->base)) {
    a->stats.unmatched_responses++;
    return SANSRTC_ERR_NOT_FOUND; /* not from where we asked: ignored */
  }
  ice_txn txn = *t;
  t->in_use = 0;
  a->stats.server_responses_received++;
  const sansrtc_addr *mapped =
      sansrtc_stun_has(m, SANSRTC_STUN_HAS_XOR_MAPPED_ADDRESS) ? &m->xor_mapped_address
      : sansrtc_stun_has(m, SANSRTC_STUN_HAS_MAPPED_ADDRESS)   ? &m->mapped_address
                                                               : NULL;
  const char *why = "no mapped address";
  if (m->klass == SANSRTC_STUN_ERROR) {
    why = "error response";
  } else if (mapped != NULL && mapped->family != base->addr.family) {
    why = "mapped address of the other family";
  } else if (mapped != NULL) {
    int known = 0;
    for (unsigned i = 0; i < a->n_locals; i++)
      known |= sansrtc_addr_equal(&a->locals[i].addr, mapped);
    why = known ? "mapped address already a candidate" : "server-reflexive candidate";
    if (!known && a->state != SANSRTC_ICE_STATE_CLOSED) {
      sansrtc_ice_candidate c;
      memset(&c, 0, sizeof c);
      c.component = 1;
      c.transport = SANSRTC_ICE_TRANSPORT_UDP;
      c.type = SANSRTC_ICE_CANDIDATE_SRFLX;
      c.addr = *mapped;
      c.related = base->base;
      int rc = add_local(a, &c);
      if (rc < 0) why = sansrtc_strerror(rc);
    }
  }
  gather_finished(a, &txn, why);
  return ice_run(a, now);
}

static int handle_response(sansrtc_ice_agent *a, const sansrtc_stun_msg *m,
                           const sansrtc_addr *local,
                           const sansrtc_addr *remote, sansrtc_tstamp now) {
  ice_txn *t = find_txn(a, m->txid);
  if (t == NULL) {
    a->stats.unmatched_responses++;
    return SANSRTC_ERR_NOT_FOUND;
  }
  if (t->kind == TXN_GATHER) return handle_server_response(a, t, m, local, remote, now);
  if (sansrtc_stun_check_integrity(m, (const uint8_t *)a->remote_pwd,
                                   strlen(a->remote_pwd)) != SANSRTC_OK) {
    a->stats.rejected_integrity++;
    return SANSRTC_ERR_INTEGRITY;
  }
  a->stats.responses_received++;
  ice_txn txn = *t;
  t->in_use = 0;
  ice_pair *p = &a->pairs[txn.pair];
  /* RFC 8445 7.2.5.2.1: responses must come back on the same 5-tuple. */
  if (!sansrtc_addr_equal(remote, &a->remotes[p->remote].addr) ||
      !sansrtc_addr_equal(local, &a->locals[p->local].base)) {
    fail_pair(a, txn.pair, "non-symmetric response");
    return ice_run(a, now);
  }
  if (m->klass == SANSRTC_STUN_ERROR) {
    if (m->error_code == SANSRTC_STUN_ERR_ROLE_CONFLICT &&
        sansrtc_stun_has(m, SANSRTC_STUN_HAS_ERROR_CODE)) {
      a->stats.role_conflicts++;
      /* RFC 8445 7.2.5.1: take the role opposite the one the request
       * carried, unless an earlier conflict already made us switch. */
      if (txn.role == a->role)
        switch_role(a, a->role == SANSRTC_ICE_CONTROLLING
                           ? SANSRTC_ICE_CONTROLLED
                           : SANSRTC_ICE_CONTROLLING);
      trigger_check(a, txn.pair);
    } else {
      fail_pair(a, txn.pair, "error response");
    }
    return ice_run(a, now);
  }
  if (txn.kind != TXN_CONSENT || p->state != PAIR_SUCCEEDED)
    pair_succeeded(a, txn.pair, now);
  if (txn.kind == TXN_NOMINATION) select_pair(a, txn.pair, now);
  if (a->selected == (int)txn.pair) {
    a->last_consent_response = now;
    if (a->state == SANSRTC_ICE_STATE_DISCONNECTED)
      set_state(a, a->was_completed ? SANSRTC_ICE_STATE_COMPLETED
                                    : SANSRTC_ICE_STATE_CONNECTED);
  }
  return ice_run(a, now);
}

int sansrtc_ice_agent_handle_stun(sansrtc_ice_agent *a,
                                  const sansrtc_addr *local,
                                  const sansrtc_addr *remote,
                                  const uint8_t *data, size_t len,
                                  sansrtc_tstamp now) {
  if (a == NULL || local == NULL || remote == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (a->state == SANSRTC_ICE_STATE_CLOSED) return SANSRTC_ERR_INVALID_STATE;
  sansrtc_stun_msg m;
  int rc = sansrtc_stun_decode(&m, data, len);
  if (rc == SANSRTC_ERR_NOT_STUN) return rc;
  if (rc != SANSRTC_OK || m.method != SANSRTC_STUN_BINDING) {
    a->stats.rejected_malformed++;
    return rc != SANSRTC_OK ? rc : SANSRTC_ERR_UNSUPPORTED;
  }
  if (sansrtc_stun_has(&m, SANSRTC_STUN_HAS_FINGERPRINT) &&
      sansrtc_stun_check_fingerprint(&m) != SANSRTC_OK) {
    a->stats.rejected_fingerprint++;
    return SANSRTC_ERR_FINGERPRINT;
  }
  switch (m.klass) {
  case SANSRTC_STUN_REQUEST:
    return handle_request(a, &m, local, remote, now);
  case SANSRTC_STUN_SUCCESS:
  case SANSRTC_STUN_ERROR:
    return handle_response(a, &m, local, remote, now);
  case SANSRTC_STUN_INDICATION:
    return SANSRTC_OK; /* keepalive (RFC 8445 11): nothing to do */
  }
  return SANSRTC_ERR_MALFORMED;
}
