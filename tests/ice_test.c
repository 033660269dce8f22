/*
 * Tests for lib/ice.c: two real ICE agents wired back to back through an
 * in-memory network with fake time. The network can lose, delay, reorder
 * and duplicate datagrams from a seeded generator, so every run is
 * deterministic and nothing sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/ice.h>
#include <sansrtc/stun.h>

#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define SEC SANSRTC_SECONDS

/* ---- deterministic randomness ------------------------------------------ */

static uint64_t xorshift(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 2685821657736338717ULL;
}

static int test_random(void *user, uint8_t *buf, size_t len) {
  uint64_t *s = user;
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(xorshift(s) >> 56);
  return 0;
}

/* ---- the in-memory network --------------------------------------------- */

typedef struct pkt {
  sansrtc_tstamp at;
  sansrtc_addr src, dst;
  size_t len;
  uint8_t data[1280];
} pkt;

typedef struct side {
  sansrtc_ice_agent *agent;
  uint64_t rng;
  sansrtc_addr addrs[4];
  int naddrs;
  sansrtc_ice_state state;
  sansrtc_tstamp connected_at;
  sansrtc_tstamp disconnected_at;
  sansrtc_tstamp failed_at;
  int selected_events;
  int role_events;
  int local_candidates;
  int gathering_done_events;
  sansrtc_tstamp gathering_done_at;
  sansrtc_ice_candidate cands[4];
  sansrtc_ice_event last_pair;
} side;

typedef struct net {
  side s[2];
  pkt *q;
  size_t n, cap;
  uint64_t rng;
  unsigned loss_pct, dup_pct;
  sansrtc_tstamp delay, jitter;
  int blocked; /* drop everything */
  sansrtc_tstamp now;
  unsigned delivered;
  /* A STUN server at `server` answers when server_on; with `nat` it maps
   * every source to 203.0.113.1 and the source port + 1000. */
  sansrtc_addr server;
  int server_on, nat, server_error;
  unsigned server_requests;
  pkt last_server_request;
} net;

#ifdef DEBUG_LOG
static void debug_log(void *u, sansrtc_log_level l, const char *m) {
  (void)u; fprintf(stderr, "[%d] %s\n", (int)l, m);
}
#endif
static void cfg_for(sansrtc_ice_config *cfg, side *sd, sansrtc_ice_role role,
                    uint64_t seed) {
  sansrtc_ice_config_default(cfg);
  sd->rng = seed;
  cfg->role = role;
  cfg->random_fn = test_random;
  cfg->random_user_data = &sd->rng;
  cfg->software = "sansrtc-test";
#ifdef DEBUG_LOG
  cfg->log_fn = debug_log;
  cfg->log_level = SANSRTC_LOG_TRACE;
#endif
}

static void net_init(net *n, uint64_t seed) {
  memset(n, 0, sizeof *n);
  n->rng = seed | 1;
  n->delay = 1 * MS;
}

static void net_create(net *n, int i, sansrtc_ice_config *cfg) {
  ck_assert_int_eq(sansrtc_ice_agent_new(&n->s[i].agent, cfg), SANSRTC_OK);
}

static void net_free(net *n) {
  sansrtc_ice_agent_del(n->s[0].agent);
  sansrtc_ice_agent_del(n->s[1].agent);
  free(n->q);
}

static unsigned pct(net *n) { return (unsigned)(xorshift(&n->rng) % 100); }

static void net_send(net *n, const pkt *p) {
  if (n->n == n->cap) {
    n->cap = n->cap ? n->cap * 2 : 64;
    n->q = realloc(n->q, n->cap * sizeof *n->q);
    ck_assert_ptr_nonnull(n->q);
  }
  n->q[n->n++] = *p;
}

static void record_event(net *n, int i, const sansrtc_ice_event *ev) {
  side *sd = &n->s[i];
  switch (ev->type) {
  case SANSRTC_ICE_EVENT_STATE_CHANGE:
    sd->state = ev->state;
    if (ev->state == SANSRTC_ICE_STATE_CONNECTED && sd->connected_at == 0)
      sd->connected_at = n->now ? n->now : 1;
    if (ev->state == SANSRTC_ICE_STATE_DISCONNECTED && sd->disconnected_at == 0)
      sd->disconnected_at = n->now;
    if (ev->state == SANSRTC_ICE_STATE_FAILED && sd->failed_at == 0)
      sd->failed_at = n->now ? n->now : 1;
    break;
  case SANSRTC_ICE_EVENT_SELECTED_PAIR:
    sd->selected_events++;
    sd->last_pair = *ev;
    break;
  case SANSRTC_ICE_EVENT_ROLE_CHANGE:
    sd->role_events++;
    break;
  case SANSRTC_ICE_EVENT_LOCAL_CANDIDATE:
    if (sd->local_candidates < 4) sd->cands[sd->local_candidates] = ev->candidate;
    sd->local_candidates++;
    break;
  case SANSRTC_ICE_EVENT_GATHERING_DONE:
    sd->gathering_done_events++;
    sd->gathering_done_at = n->now;
    break;
  }
}

/* Moves every queued datagram of both agents into the network and records
 * their events. */
static void net_drain(net *n) {
  for (int i = 0; i < 2; i++) {
    if (n->s[i].agent == NULL) continue; /* single-agent tests */
    pkt p;
    int rc;
    while ((rc = sansrtc_ice_agent_poll_transmit(n->s[i].agent, p.data,
                                                 sizeof p.data, &p.len, &p.src,
                                                 &p.dst)) == 1) {
      ck_assert(sansrtc_stun_is_stun(p.data, p.len));
      if (n->blocked || (n->loss_pct && pct(n) < n->loss_pct)) continue;
      p.at = n->now + n->delay +
             (n->jitter ? xorshift(&n->rng) % n->jitter : 0);
      net_send(n, &p);
      if (n->dup_pct && pct(n) < n->dup_pct) {
        p.at += n->jitter ? xorshift(&n->rng) % n->jitter : 0;
        net_send(n, &p);
      }
    }
    ck_assert_int_eq(rc, 0);
    sansrtc_ice_event ev;
    while (sansrtc_ice_agent_poll_event(n->s[i].agent, &ev) == 1)
      record_event(n, i, &ev);
  }
}

static int owner_of(const net *n, const sansrtc_addr *a) {
  for (int i = 0; i < 2; i++)
    for (int k = 0; k < n->s[i].naddrs; k++)
      if (sansrtc_addr_equal(&n->s[i].addrs[k], a)) return i;
  return -1;
}

/* The test's STUN server: a success (or 400 error) response carrying the
 * request's source, NATed when asked, sent back after the link delay. */
static void stun_server_answer(net *n, const pkt *req) {
  sansrtc_stun_msg m;
  n->server_requests++;
  n->last_server_request = *req;
  ck_assert_int_eq(sansrtc_stun_decode(&m, req->data, req->len), SANSRTC_OK);
  ck_assert_int_eq(m.klass, SANSRTC_STUN_REQUEST);
  ck_assert(!sansrtc_stun_has(&m, SANSRTC_STUN_HAS_USERNAME)); /* no credentials */
  if (!n->server_on) return;
  sansrtc_addr mapped = req->src;
  if (n->nat) {
    ck_assert_int_eq(sansrtc_addr_parse(&mapped, "203.0.113.1", (uint16_t)(req->src.port + 1000)),
                     SANSRTC_OK);
  }
  pkt r;
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, r.data, sizeof r.data, SANSRTC_STUN_BINDING,
                           n->server_error ? SANSRTC_STUN_ERROR : SANSRTC_STUN_SUCCESS, m.txid);
  if (n->server_error) sansrtc_stun_writer_add_error(&w, 400, "Bad Request");
  else sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
  sansrtc_stun_writer_add_fingerprint(&w);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &r.len), SANSRTC_OK);
  r.src = n->server;
  r.dst = req->src;
  r.at = n->now + n->delay;
  net_send(n, &r);
}

/* Advances to the next event (a delivery or a deadline) no later than
 * `until`. Returns 0 when nothing is left to do before `until`. */
static int net_step(net *n, sansrtc_tstamp until) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  for (size_t k = 0; k < n->n; k++)
    if (n->q[k].at < t) t = n->q[k].at;
  for (int i = 0; i < 2; i++) {
    sansrtc_tstamp d = sansrtc_ice_agent_next_deadline(n->s[i].agent);
    if (d < t) t = d;
  }
  if (t > until) {
    n->now = until;
    return 0;
  }
  if (t > n->now) n->now = t;
  /* Deliver the earliest due datagram (one at a time keeps order by time). */
  size_t best = n->n;
  for (size_t k = 0; k < n->n; k++)
    if (n->q[k].at <= n->now && (best == n->n || n->q[k].at < n->q[best].at))
      best = k;
  if (best < n->n) {
    pkt p = n->q[best];
    n->q[best] = n->q[--n->n];
    if (n->server.port != 0 && sansrtc_addr_equal(&p.dst, &n->server)) {
      stun_server_answer(n, &p);
      p.len = 0;
    }
    int to = p.len > 0 ? owner_of(n, &p.dst) : -1;
    if (to >= 0) {
      (void)sansrtc_ice_agent_handle_stun(n->s[to].agent, &p.dst, &p.src,
                                          p.data, p.len, n->now);
      n->delivered++;
    }
  }
  for (int i = 0; i < 2; i++)
    if (sansrtc_ice_agent_next_deadline(n->s[i].agent) <= n->now)
      ck_assert_int_eq(sansrtc_ice_agent_handle_timeout(n->s[i].agent, n->now),
                       SANSRTC_OK);
  net_drain(n);
  return 1;
}

static int both_connected(const net *n) {
  return n->s[0].connected_at != 0 && n->s[1].connected_at != 0;
}

/* Runs until both sides are connected or `limit` passes. */
static int net_run_until_connected(net *n, sansrtc_tstamp limit) {
  net_drain(n);
  while (!both_connected(n) && net_step(n, limit)) {
  }
  return both_connected(n);
}

static void net_run_for(net *n, sansrtc_tstamp duration) {
  sansrtc_tstamp until = n->now + duration;
  net_drain(n);
  while (net_step(n, until)) {
  }
}

static void add_host(net *n, int i, const char *ip, uint16_t port) {
  side *sd = &n->s[i];
  sansrtc_ice_candidate c;
  memset(&c, 0, sizeof c);
  c.component = 1;
  c.type = SANSRTC_ICE_CANDIDATE_HOST;
  ck_assert_int_eq(sansrtc_addr_parse(&c.addr, ip, port), SANSRTC_OK);
  sd->addrs[sd->naddrs++] = c.addr;
  ck_assert_int_eq(sansrtc_ice_agent_add_local_candidate(sd->agent, &c, n->now),
                   SANSRTC_OK);
  net_drain(n);
}

/* Signals side i's credentials and gathered candidates to the other side. */
static void signal_to_peer(net *n, int i, int with_candidates) {
  side *from = &n->s[i], *to = &n->s[1 - i];
  ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(
                       to->agent, sansrtc_ice_agent_local_ufrag(from->agent),
                       sansrtc_ice_agent_local_pwd(from->agent), n->now),
                   SANSRTC_OK);
  for (int k = 0; with_candidates && k < from->local_candidates && k < 4; k++)
    ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(
                         to->agent, &from->cands[k], n->now),
                     SANSRTC_OK);
  net_drain(n);
}

static void finish_signaling(net *n) {
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(sansrtc_ice_agent_gathering_done(n->s[i].agent, n->now),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_ice_agent_end_of_remote_candidates(
                         n->s[1 - i].agent, n->now),
                     SANSRTC_OK);
  }
  net_drain(n);
}

/* Two agents, one controlling, each with one IPv4 host candidate. */
static void setup_pair(net *n, uint64_t seed) {
  sansrtc_ice_config c0, c1;
  net_init(n, seed);
  cfg_for(&c0, &n->s[0], SANSRTC_ICE_CONTROLLING, seed * 3 + 1);
  cfg_for(&c1, &n->s[1], SANSRTC_ICE_CONTROLLED, seed * 7 + 2);
  net_create(n, 0, &c0);
  net_create(n, 1, &c1);
  add_host(n, 0, "10.0.0.1", 5000);
  add_host(n, 1, "10.0.0.2", 6000);
}

static void assert_same_pair(const net *n) {
  sansrtc_addr l0, r0, l1, r1;
  ck_assert_int_eq(sansrtc_ice_agent_selected_pair(n->s[0].agent, &l0, &r0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_selected_pair(n->s[1].agent, &l1, &r1), SANSRTC_OK);
  ck_assert(sansrtc_addr_equal(&l0, &r1));
  ck_assert(sansrtc_addr_equal(&r0, &l1));
}

/* ---- configuration and lifecycle ---------------------------------------- */

START_TEST(test_config_and_credentials) {
  sansrtc_ice_config cfg;
  sansrtc_ice_agent *a = NULL;
  sansrtc_ice_config_default(&cfg);
  ck_assert_int_eq(sansrtc_ice_agent_new(&a, &cfg), SANSRTC_OK);
  ck_assert_uint_eq(strlen(sansrtc_ice_agent_local_ufrag(a)), 8);
  ck_assert_uint_eq(strlen(sansrtc_ice_agent_local_pwd(a)), 24);
  ck_assert_int_eq(sansrtc_ice_agent_state(a), SANSRTC_ICE_STATE_NEW);
  ck_assert_int_eq(sansrtc_ice_agent_role(a), SANSRTC_ICE_CONTROLLED);
  ck_assert_uint_eq(sansrtc_ice_agent_next_deadline(a), SANSRTC_TSTAMP_NEVER);
  sansrtc_ice_agent_del(a);

  cfg.local_ufrag = "abc"; /* too short */
  ck_assert_int_eq(sansrtc_ice_agent_new(&a, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.local_ufrag = "abcd";
  cfg.local_pwd = "short";
  ck_assert_int_eq(sansrtc_ice_agent_new(&a, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.local_pwd = "0123456789012345678901";
  cfg.max_pairs = 0;
  ck_assert_int_eq(sansrtc_ice_agent_new(&a, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.max_pairs = 8;
  ck_assert_int_eq(sansrtc_ice_agent_new(&a, &cfg), SANSRTC_OK);
  ck_assert_str_eq(sansrtc_ice_agent_local_ufrag(a), "abcd");
  /* The role may change until checking can start. */
  ck_assert_int_eq(sansrtc_ice_agent_set_role(a, SANSRTC_ICE_CONTROLLING), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_role(a), SANSRTC_ICE_CONTROLLING);
  ck_assert_int_eq(sansrtc_ice_agent_set_role(a, (sansrtc_ice_role)7), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(a, "ab:c", "0123456789012345678901", 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(a, "wxyz", "0123456789012345678901", 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(a, "wxyz", "0123456789012345678901", 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(a, "wxyq", "0123456789012345678901", 0),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_ice_agent_set_role(a, SANSRTC_ICE_CONTROLLED), SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_ice_agent_role(a), SANSRTC_ICE_CONTROLLING);
  sansrtc_ice_agent_del(a);
  sansrtc_ice_agent_del(NULL);
  ck_assert_int_eq(sansrtc_ice_agent_new(NULL, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_agent_new(&a, NULL), SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_local_candidate_event_and_limits) {
  net n;
  sansrtc_ice_config c;
  net_init(&n, 5);
  cfg_for(&c, &n.s[0], SANSRTC_ICE_CONTROLLED, 5);
  c.max_local_candidates = 2;
  net_create(&n, 0, &c);
  add_host(&n, 0, "192.0.2.1", 1000);
  add_host(&n, 0, "2001:db8::1", 1000);
  ck_assert_int_eq(n.s[0].local_candidates, 2);
  /* Host priority with the first (highest) local preference. */
  ck_assert_uint_eq(n.s[0].cands[0].priority, (126u << 24) | (65535u << 8) | 255u);
  ck_assert_uint_gt(n.s[0].cands[0].priority, n.s[0].cands[1].priority);
  ck_assert_str_ne(n.s[0].cands[0].foundation, n.s[0].cands[1].foundation);
  char line[SANSRTC_ICE_CANDIDATE_STRLEN];
  ck_assert_int_gt(sansrtc_ice_candidate_format(&n.s[0].cands[0], line, sizeof line), 0);
  sansrtc_ice_candidate back;
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&back, line), SANSRTC_OK);
  ck_assert(sansrtc_addr_equal(&back.addr, &n.s[0].cands[0].addr));

  sansrtc_ice_candidate extra = n.s[0].cands[0];
  extra.addr.port = 1001;
  ck_assert_int_eq(sansrtc_ice_agent_add_local_candidate(n.s[0].agent, &extra, 0),
                   SANSRTC_ERR_LIMIT);
  extra.transport = SANSRTC_ICE_TRANSPORT_TCP;
  ck_assert_int_eq(sansrtc_ice_agent_add_local_candidate(n.s[0].agent, &extra, 0),
                   SANSRTC_ERR_UNSUPPORTED);
  ck_assert_int_eq(sansrtc_ice_agent_gathering_done(n.s[0].agent, 0), SANSRTC_OK);
  extra.transport = SANSRTC_ICE_TRANSPORT_UDP;
  ck_assert_int_eq(sansrtc_ice_agent_add_local_candidate(n.s[0].agent, &extra, 0),
                   SANSRTC_ERR_INVALID_STATE);
  net_free(&n);
}
END_TEST

/* ---- connecting --------------------------------------------------------- */

START_TEST(test_connect_basic) {
  net n;
  setup_pair(&n, 1);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  finish_signaling(&n);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  assert_same_pair(&n);
  /* Over a 1 ms link the controlling side needs two round trips. */
  ck_assert_uint_le(n.s[0].connected_at, 10 * MS);
  ck_assert_uint_le(n.s[1].connected_at, 10 * MS);
  ck_assert_int_eq(n.s[0].selected_events, 1);
  ck_assert_int_eq(n.s[1].selected_events, 1);
  net_run_for(&n, 1 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_COMPLETED);
  ck_assert_int_eq(n.s[1].state, SANSRTC_ICE_STATE_COMPLETED);
  sansrtc_ice_stats st;
  sansrtc_ice_agent_stats(n.s[1].agent, &st);
  ck_assert_uint_eq(st.rejected_integrity + st.rejected_auth + st.rejected_malformed, 0);
  ck_assert_uint_eq(n.s[0].last_pair.pair.local.type, SANSRTC_ICE_CANDIDATE_HOST);
  net_free(&n);
}
END_TEST

START_TEST(test_connect_is_deterministic) {
  sansrtc_tstamp t[2][2];
  for (int run = 0; run < 2; run++) {
    net n;
    setup_pair(&n, 42);
    n.loss_pct = 20;
    n.jitter = 5 * MS;
    signal_to_peer(&n, 0, 1);
    signal_to_peer(&n, 1, 1);
    ck_assert(net_run_until_connected(&n, 60 * SEC));
    t[run][0] = n.s[0].connected_at;
    t[run][1] = n.s[1].connected_at;
    net_free(&n);
  }
  ck_assert_uint_eq(t[0][0], t[1][0]);
  ck_assert_uint_eq(t[0][1], t[1][1]);
}
END_TEST

START_TEST(test_trickle_one_at_a_time_late_credentials) {
  net n;
  setup_pair(&n, 2);
  /* Side 1 learns side 0's candidate before its credentials. */
  ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(n.s[1].agent, &n.s[0].cands[0], 0),
                   SANSRTC_OK);
  net_run_for(&n, 100 * MS);
  ck_assert_int_eq(sansrtc_ice_agent_state(n.s[1].agent), SANSRTC_ICE_STATE_NEW);
  signal_to_peer(&n, 0, 0);
  net_run_for(&n, 20 * MS);
  signal_to_peer(&n, 1, 0);
  ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(n.s[0].agent, &n.s[1].cands[0], n.now),
                   SANSRTC_OK);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  assert_same_pair(&n);
  net_free(&n);
}
END_TEST

/* Side 1 never learns side 0's address (e.g. mDNS-hidden, or no trickle),
 * and gets an unusable ".local" candidate: it connects through the
 * peer-reflexive candidate learned from side 0's checks. */
START_TEST(test_prflx_only_and_mdns_ignored) {
  for (int controlling_hidden = 0; controlling_hidden < 2; controlling_hidden++) {
    net n;
    setup_pair(&n, 3 + (uint64_t)controlling_hidden);
    int hidden = controlling_hidden ? 0 : 1; /* whose candidates are hidden */
    sansrtc_ice_candidate mdns;
    ck_assert_int_eq(sansrtc_ice_candidate_parse(&mdns,
        "candidate:1 1 udp 2113937151 2f6f8c1e-6a0a-4e9a-9a1b-1c2d3e4f5a6b.local 5000 typ host"),
        SANSRTC_OK);
    signal_to_peer(&n, hidden, 0);
    signal_to_peer(&n, 1 - hidden, 1);
    ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(n.s[1 - hidden].agent, &mdns, 0),
                     SANSRTC_OK);
    ck_assert(net_run_until_connected(&n, 5 * SEC));
    assert_same_pair(&n);
    sansrtc_ice_stats st;
    sansrtc_ice_agent_stats(n.s[1 - hidden].agent, &st);
    ck_assert_uint_eq(st.remote_candidates_ignored, 1);
    ck_assert_uint_ge(st.prflx_remote_learned, 1);
    ck_assert_int_eq(n.s[1 - hidden].last_pair.pair.remote.type, SANSRTC_ICE_CANDIDATE_PRFLX);
    net_free(&n);
  }
}
END_TEST

START_TEST(test_role_conflict_both_controlling_and_both_controlled) {
  for (int r = 0; r < 2; r++) {
    sansrtc_ice_role role = r ? SANSRTC_ICE_CONTROLLING : SANSRTC_ICE_CONTROLLED;
    for (uint64_t seed = 10; seed < 16; seed++) {
      net n;
      sansrtc_ice_config c0, c1;
      net_init(&n, seed);
      cfg_for(&c0, &n.s[0], role, seed);
      cfg_for(&c1, &n.s[1], role, seed + 100);
      net_create(&n, 0, &c0);
      net_create(&n, 1, &c1);
      add_host(&n, 0, "10.0.0.1", 5000);
      add_host(&n, 1, "10.0.0.2", 6000);
      signal_to_peer(&n, 0, 1);
      signal_to_peer(&n, 1, 1);
      ck_assert(net_run_until_connected(&n, 10 * SEC));
      assert_same_pair(&n);
      ck_assert_int_ne(sansrtc_ice_agent_role(n.s[0].agent),
                       sansrtc_ice_agent_role(n.s[1].agent));
      ck_assert_int_eq(n.s[0].role_events + n.s[1].role_events, 1);
      net_free(&n);
    }
  }
}
END_TEST

/* 20% loss, up to 20 ms of reordering jitter and 10% duplicates. */
START_TEST(test_connect_over_lossy_reordering_link) {
  for (uint64_t seed = 1; seed <= 25; seed++) {
    net n;
    setup_pair(&n, seed);
    n.loss_pct = 20;
    n.dup_pct = 10;
    n.jitter = 20 * MS;
    signal_to_peer(&n, 0, 1);
    signal_to_peer(&n, 1, 1);
    finish_signaling(&n);
    ck_assert_msg(net_run_until_connected(&n, 30 * SEC), "seed %llu",
                  (unsigned long long)seed);
    assert_same_pair(&n);
    /* And it stays up for a minute of consent checks over the same link. */
    net_run_for(&n, 60 * SEC);
    ck_assert_int_ne(n.s[0].state, SANSRTC_ICE_STATE_FAILED);
    ck_assert_int_ne(n.s[1].state, SANSRTC_ICE_STATE_FAILED);
    net_free(&n);
  }
}
END_TEST

START_TEST(test_dual_stack_picks_highest_priority_pair) {
  net n;
  sansrtc_ice_config c0, c1;
  net_init(&n, 7);
  cfg_for(&c0, &n.s[0], SANSRTC_ICE_CONTROLLING, 70);
  cfg_for(&c1, &n.s[1], SANSRTC_ICE_CONTROLLED, 71);
  net_create(&n, 0, &c0);
  net_create(&n, 1, &c1);
  add_host(&n, 0, "2001:db8::1", 5000);
  add_host(&n, 0, "10.0.0.1", 5000);
  add_host(&n, 1, "2001:db8::2", 6000);
  add_host(&n, 1, "10.0.0.2", 6000);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  finish_signaling(&n);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  assert_same_pair(&n);
  sansrtc_addr l, r;
  sansrtc_ice_agent_selected_pair(n.s[0].agent, &l, &r);
  ck_assert_int_eq(l.family, SANSRTC_AF_IPV6); /* added first: preferred */
  net_run_for(&n, 1 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_COMPLETED);
  net_free(&n);
}
END_TEST

/* ---- consent and failure ------------------------------------------------ */

START_TEST(test_consent_keeps_connection_for_minutes) {
  net n;
  setup_pair(&n, 8);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  net_run_for(&n, 120 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_CONNECTED);
  ck_assert_int_eq(n.s[1].state, SANSRTC_ICE_STATE_CONNECTED);
  ck_assert_uint_eq(n.s[0].disconnected_at, 0);
  sansrtc_ice_stats st;
  sansrtc_ice_agent_stats(n.s[0].agent, &st);
  /* One check every 4..6 s. */
  ck_assert_uint_ge(st.consent_requests_sent, 120 / 6);
  ck_assert_uint_le(st.consent_requests_sent, 120 / 4 + 1);
  net_free(&n);
}
END_TEST

START_TEST(test_dead_peer_detected_within_consent_timeout) {
  net n;
  setup_pair(&n, 9);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  sansrtc_tstamp cut = n.now;
  n.blocked = 1;
  net_run_for(&n, 40 * SEC);
  for (int i = 0; i < 2; i++) {
    ck_assert_uint_gt(n.s[i].disconnected_at, cut);
    ck_assert_uint_le(n.s[i].disconnected_at - cut, 8 * SEC + 100 * MS);
    ck_assert_uint_gt(n.s[i].failed_at, n.s[i].disconnected_at);
    ck_assert_uint_le(n.s[i].failed_at - cut, 30 * SEC + 100 * MS);
    ck_assert_int_eq(sansrtc_ice_agent_state(n.s[i].agent), SANSRTC_ICE_STATE_FAILED);
    ck_assert_uint_eq(sansrtc_ice_agent_next_deadline(n.s[i].agent), SANSRTC_TSTAMP_NEVER);
  }
  net_free(&n);
}
END_TEST

START_TEST(test_disconnected_then_recovers) {
  net n;
  setup_pair(&n, 11);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  n.blocked = 1;
  net_run_for(&n, 12 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_DISCONNECTED);
  n.blocked = 0;
  net_run_for(&n, 10 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_CONNECTED);
  ck_assert_int_eq(n.s[1].state, SANSRTC_ICE_STATE_CONNECTED);
  net_free(&n);
}
END_TEST

START_TEST(test_nothing_answers_fails_after_end_of_candidates) {
  net n;
  setup_pair(&n, 12);
  n.blocked = 1;
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  finish_signaling(&n);
  net_run_for(&n, 60 * SEC);
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(n.s[i].state, SANSRTC_ICE_STATE_FAILED);
    /* 7 transmissions: 250+500+1000+2000+2000+2000+2000 ms = 9.75 s. */
    ck_assert_uint_le(n.s[i].failed_at, 11 * SEC);
    ck_assert_uint_eq(n.s[i].connected_at, 0);
  }
  net_free(&n);
}
END_TEST

START_TEST(test_nothing_answers_without_end_of_candidates_times_out) {
  net n;
  setup_pair(&n, 13);
  n.blocked = 1;
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  net_run_for(&n, 20 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_CHECKING);
  net_run_for(&n, 15 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_FAILED);
  ck_assert_uint_le(n.s[0].failed_at, 30 * SEC + 10 * MS);
  net_free(&n);
}
END_TEST

/* ---- authentication and hostile input ----------------------------------- */

START_TEST(test_wrong_password_and_ufrag_are_rejected) {
  for (int wrong_ufrag = 0; wrong_ufrag < 2; wrong_ufrag++) {
    net n;
    setup_pair(&n, 14);
    signal_to_peer(&n, 0, 1);
    /* Side 0 is told wrong credentials for side 1. */
    ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(
                         n.s[0].agent,
                         wrong_ufrag ? "nope" : sansrtc_ice_agent_local_ufrag(n.s[1].agent),
                         wrong_ufrag ? sansrtc_ice_agent_local_pwd(n.s[1].agent)
                                     : "wrongwrongwrongwrongwrong",
                         0),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(n.s[0].agent, &n.s[1].cands[0], 0),
                     SANSRTC_OK);
    ck_assert(!net_run_until_connected(&n, 20 * SEC));
    sansrtc_ice_stats st;
    sansrtc_ice_agent_stats(n.s[1].agent, &st);
    if (wrong_ufrag)
      ck_assert_uint_gt(st.rejected_auth, 0);
    else
      ck_assert_uint_gt(st.rejected_integrity, 0);
    ck_assert_uint_eq(n.s[1].connected_at, 0);
    net_free(&n);
  }
}
END_TEST

/* A hand-made binding request gets a response with the right
 * XOR-MAPPED-ADDRESS, integrity and fingerprint. */
START_TEST(test_binding_response_contents) {
  net n;
  setup_pair(&n, 15);
  sansrtc_ice_agent *a = n.s[1].agent;
  const char *pwd = sansrtc_ice_agent_local_pwd(a);
  char user[64];
  snprintf(user, sizeof user, "%s:peer", sansrtc_ice_agent_local_ufrag(a));
  uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t buf[1280];
  size_t len;
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_BINDING, SANSRTC_STUN_REQUEST, txid);
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_USERNAME, user);
  sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_PRIORITY, 1853824767u);
  sansrtc_stun_writer_add_u64(&w, SANSRTC_STUN_ATTR_ICE_CONTROLLING, 1);
  sansrtc_stun_writer_add_integrity(&w, (const uint8_t *)pwd, strlen(pwd));
  sansrtc_stun_writer_add_fingerprint(&w);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  sansrtc_addr from;
  sansrtc_addr_parse(&from, "203.0.113.9", 40000);
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(a, &n.s[1].addrs[0], &from, buf, len, 0),
                   SANSRTC_OK);
  uint8_t out[1280];
  sansrtc_addr l, r;
  ck_assert_int_eq(sansrtc_ice_agent_poll_transmit(a, out, sizeof out, &len, &l, &r), 1);
  ck_assert(sansrtc_addr_equal(&r, &from));
  ck_assert(sansrtc_addr_equal(&l, &n.s[1].addrs[0]));
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, out, len), SANSRTC_OK);
  ck_assert_int_eq(m.klass, SANSRTC_STUN_SUCCESS);
  ck_assert_mem_eq(m.txid, txid, 12);
  ck_assert(sansrtc_addr_equal(&m.xor_mapped_address, &from));
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, (const uint8_t *)pwd, strlen(pwd)), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(&m), SANSRTC_OK);
  sansrtc_ice_stats st;
  sansrtc_ice_agent_stats(a, &st);
  ck_assert_uint_eq(st.prflx_remote_learned, 1);

  /* The same request with a wrong password: 401, counted, no new state. */
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_BINDING, SANSRTC_STUN_REQUEST, txid);
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_USERNAME, user);
  sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_PRIORITY, 1);
  sansrtc_stun_writer_add_integrity(&w, (const uint8_t *)"not-the-password-at-all", 23);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  sansrtc_addr other;
  sansrtc_addr_parse(&other, "203.0.113.10", 40000);
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(a, &n.s[1].addrs[0], &other, buf, len, 0),
                   SANSRTC_ERR_INTEGRITY);
  /* Drain the earlier triggered check, find the 401. */
  int saw_401 = 0;
  while (sansrtc_ice_agent_poll_transmit(a, out, sizeof out, &len, &l, &r) == 1) {
    ck_assert_int_eq(sansrtc_stun_decode(&m, out, len), SANSRTC_OK);
    if (m.klass == SANSRTC_STUN_ERROR && m.error_code == 401) saw_401 = 1;
  }
  ck_assert(saw_401);
  sansrtc_ice_agent_stats(a, &st);
  ck_assert_uint_eq(st.rejected_integrity, 1);
  ck_assert_uint_eq(st.prflx_remote_learned, 1);
  net_free(&n);
}
END_TEST

START_TEST(test_hostile_datagrams_never_crash) {
  net n;
  setup_pair(&n, 16);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  uint64_t rng = 99;
  uint8_t buf[600];
  sansrtc_addr from = n.s[0].addrs[0];
  for (int i = 0; i < 20000; i++) {
    size_t len = (size_t)(xorshift(&rng) % sizeof buf);
    for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)xorshift(&rng);
    if (len >= 20 && (i & 1)) { /* a plausible STUN header */
      buf[0] &= 0x01;
      buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xA4; buf[7] = 0x42;
      len &= ~(size_t)3;
      buf[2] = (uint8_t)((len - 20) >> 8);
      buf[3] = (uint8_t)(len - 20);
    }
    int rc = sansrtc_ice_agent_handle_stun(n.s[1].agent, &n.s[1].addrs[0], &from, buf, len, 0);
    ck_assert_int_le(rc, SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[1].agent, &n.s[1].addrs[0], &from, NULL, 0, 0),
                   SANSRTC_ERR_NOT_STUN);
  /* Still connects afterwards. */
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  net_free(&n);
}
END_TEST

START_TEST(test_unmatched_response_and_closed_agent) {
  net n;
  setup_pair(&n, 17);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  uint8_t buf[256];
  size_t len;
  uint8_t txid[12] = {9};
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_BINDING, SANSRTC_STUN_SUCCESS, txid);
  sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &n.s[0].addrs[0]);
  sansrtc_stun_writer_add_fingerprint(&w);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[0].agent, &n.s[0].addrs[0],
                                                 &n.s[1].addrs[0], buf, len, n.now),
                   SANSRTC_ERR_NOT_FOUND);
  sansrtc_ice_agent_close(n.s[0].agent);
  sansrtc_ice_agent_close(n.s[0].agent);
  net_drain(&n);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_CLOSED);
  ck_assert_uint_eq(sansrtc_ice_agent_next_deadline(n.s[0].agent), SANSRTC_TSTAMP_NEVER);
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[0].agent, &n.s[0].addrs[0],
                                                 &n.s[1].addrs[0], buf, len, n.now),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(n.s[0].agent, &n.s[1].cands[0], n.now),
                   SANSRTC_ERR_INVALID_STATE);
  uint8_t out[64];
  sansrtc_addr l, r;
  ck_assert_int_eq(sansrtc_ice_agent_poll_transmit(n.s[0].agent, out, sizeof out, &len, &l, &r), 0);
  net_free(&n);
}
END_TEST


/* ---- STUN servers: server-reflexive candidates --------------------------- */

/* One agent behind a NAT asks a STUN server: it gets a srflx candidate
 * based on its host candidate, and gathering ends only then. */
START_TEST(test_stun_server_gives_srflx_candidate) {
  net n;
  sansrtc_ice_config cfg;
  net_init(&n, 40);
  cfg_for(&cfg, &n.s[0], SANSRTC_ICE_CONTROLLING, 41);
  net_create(&n, 0, &cfg);
  ck_assert_int_eq(sansrtc_addr_parse(&n.server, "198.51.100.1", 3478), SANSRTC_OK);
  n.server_on = n.nat = 1;
  n.delay = 20 * MS;
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &n.server, n.now), SANSRTC_OK);
  add_host(&n, 0, "10.0.0.1", 5000);
  add_host(&n, 0, "fd00::1", 5002); /* other family: not sent to this server */
  ck_assert_int_eq(sansrtc_ice_agent_gathering_done(n.s[0].agent, n.now), SANSRTC_OK);
  net_drain(&n);
  ck_assert_int_eq(n.s[0].gathering_done_events, 0); /* the server has not answered */
  net_run_for(&n, 1 * SEC);
  ck_assert_uint_eq(n.server_requests, 1);
  ck_assert_int_eq(n.s[0].local_candidates, 3);
  const sansrtc_ice_candidate *c = &n.s[0].cands[2];
  ck_assert_int_eq(c->type, SANSRTC_ICE_CANDIDATE_SRFLX);
  char text[SANSRTC_ADDR_STRLEN];
  ck_assert_str_eq(sansrtc_addr_format(&c->addr, text, sizeof text), "203.0.113.1:6000");
  ck_assert(sansrtc_addr_equal(&c->related, &n.s[0].addrs[0]));
  ck_assert_uint_gt(n.s[0].cands[0].priority, c->priority); /* host before srflx */
  ck_assert_int_eq(n.s[0].gathering_done_events, 1);
  ck_assert_uint_eq(n.s[0].gathering_done_at, 40 * MS); /* one round trip */
  sansrtc_ice_stats st;
  sansrtc_ice_agent_stats(n.s[0].agent, &st);
  ck_assert_uint_eq(st.server_requests_sent, 1);
  ck_assert_uint_eq(st.server_responses_received, 1);
  /* Later servers are refused: gathering is over. */
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &n.server, n.now),
                   SANSRTC_ERR_INVALID_STATE);
  net_free(&n);
}
END_TEST

/* A server that never answers is asked 4 times (0, 200, 600, 1400 ms) and
 * given up at 3 s; one that answers with an error or with the host address
 * itself (no NAT) adds nothing. */
START_TEST(test_stun_server_silent_error_or_no_nat) {
  net n;
  sansrtc_ice_config cfg;
  net_init(&n, 42);
  cfg_for(&cfg, &n.s[0], SANSRTC_ICE_CONTROLLING, 43);
  net_create(&n, 0, &cfg);
  ck_assert_int_eq(sansrtc_addr_parse(&n.server, "198.51.100.1", 3478), SANSRTC_OK);
  n.server_on = _i != 0;
  n.server_error = _i == 1;
  n.nat = 0;
  add_host(&n, 0, "10.0.0.1", 5000);
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &n.server, n.now), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_gathering_done(n.s[0].agent, n.now), SANSRTC_OK);
  net_run_for(&n, 10 * SEC);
  ck_assert_int_eq(n.s[0].local_candidates, 1); /* the host candidate only */
  ck_assert_int_eq(n.s[0].gathering_done_events, 1);
  if (_i == 0) {
    ck_assert_uint_eq(n.server_requests, 4);
    ck_assert_uint_eq(n.s[0].gathering_done_at, 3 * SEC);
  } else {
    ck_assert_uint_eq(n.server_requests, 1);
    ck_assert_uint_eq(n.s[0].gathering_done_at, 2 * MS);
  }
  ck_assert_uint_eq(sansrtc_ice_agent_next_deadline(n.s[0].agent), SANSRTC_TSTAMP_NEVER);
  net_free(&n);
}
END_TEST

/* Forged server responses: from another address, to another local
 * address, or without a mapped address, are ignored or add nothing. */
START_TEST(test_stun_server_hostile_responses) {
  net n;
  sansrtc_ice_config cfg;
  net_init(&n, 44);
  cfg_for(&cfg, &n.s[0], SANSRTC_ICE_CONTROLLING, 45);
  net_create(&n, 0, &cfg);
  ck_assert_int_eq(sansrtc_addr_parse(&n.server, "198.51.100.1", 3478), SANSRTC_OK);
  n.server_on = 0; /* the test answers by hand */
  add_host(&n, 0, "10.0.0.1", 5000);
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &n.server, n.now), SANSRTC_OK);
  net_run_for(&n, 1 * MS);
  ck_assert_uint_eq(n.server_requests, 1);
  sansrtc_stun_msg req;
  ck_assert_int_eq(sansrtc_stun_decode(&req, n.last_server_request.data,
                                       n.last_server_request.len), SANSRTC_OK);
  uint8_t buf[256];
  size_t len;
  sansrtc_addr mapped, elsewhere;
  ck_assert_int_eq(sansrtc_addr_parse(&mapped, "203.0.113.9", 7000), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_addr_parse(&elsewhere, "198.51.100.66", 3478), SANSRTC_OK);
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, sizeof buf, SANSRTC_STUN_BINDING, SANSRTC_STUN_SUCCESS, req.txid);
  sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  /* From the wrong address, and to the wrong local address: ignored. */
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[0].agent, &n.s[0].addrs[0], &elsewhere,
                                                 buf, len, n.now), SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[0].agent, &mapped, &n.server,
                                                 buf, len, n.now), SANSRTC_ERR_NOT_FOUND);
  net_drain(&n);
  ck_assert_int_eq(n.s[0].local_candidates, 1);
  /* The genuine one, twice: one candidate. */
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[0].agent, &n.s[0].addrs[0], &n.server,
                                                 buf, len, n.now), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_handle_stun(n.s[0].agent, &n.s[0].addrs[0], &n.server,
                                                 buf, len, n.now), SANSRTC_ERR_NOT_FOUND);
  net_drain(&n);
  ck_assert_int_eq(n.s[0].local_candidates, 2);
  /* Arguments and the server limit. */
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(NULL, &n.server, 0), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_addr zero;
  memset(&zero, 0, sizeof zero);
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &zero, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  for (int k = 1; k < SANSRTC_ICE_MAX_STUN_SERVERS; k++)
    ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &elsewhere, n.now), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[0].agent, &elsewhere, n.now),
                   SANSRTC_ERR_LIMIT);
  net_free(&n);
}
END_TEST

/* Both sides behind "NATs" learn srflx candidates and signal them with the
 * host ones; the connection comes up (on the host pair: the srflx
 * addresses lead nowhere in this network) and completes. */
START_TEST(test_connect_with_srflx_candidates_signalled) {
  net n;
  sansrtc_ice_config c0, c1;
  net_init(&n, 46);
  cfg_for(&c0, &n.s[0], SANSRTC_ICE_CONTROLLING, 47);
  cfg_for(&c1, &n.s[1], SANSRTC_ICE_CONTROLLED, 48);
  net_create(&n, 0, &c0);
  net_create(&n, 1, &c1);
  ck_assert_int_eq(sansrtc_addr_parse(&n.server, "198.51.100.1", 3478), SANSRTC_OK);
  n.server_on = n.nat = 1;
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(sansrtc_ice_agent_add_stun_server(n.s[i].agent, &n.server, n.now), SANSRTC_OK);
  add_host(&n, 0, "10.0.0.1", 5000);
  add_host(&n, 1, "10.0.0.2", 6000);
  net_run_for(&n, 100 * MS);
  ck_assert_int_eq(n.s[0].local_candidates, 2);
  ck_assert_int_eq(n.s[1].local_candidates, 2);
  signal_to_peer(&n, 0, 1);
  signal_to_peer(&n, 1, 1);
  finish_signaling(&n);
  ck_assert(net_run_until_connected(&n, 5 * SEC));
  assert_same_pair(&n);
  net_run_for(&n, 2 * SEC);
  ck_assert_int_eq(n.s[0].state, SANSRTC_ICE_STATE_COMPLETED);
  ck_assert_int_eq(n.s[0].gathering_done_events, 1);
  net_free(&n);
}
END_TEST

START_TEST(test_poll_transmit_small_buffer_keeps_datagram) {
  net n;
  setup_pair(&n, 18);
  /* Side 0 gets side 1's credentials and candidate, without draining. */
  ck_assert_int_eq(sansrtc_ice_agent_set_remote_credentials(
                       n.s[0].agent, sansrtc_ice_agent_local_ufrag(n.s[1].agent),
                       sansrtc_ice_agent_local_pwd(n.s[1].agent), n.now),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_ice_agent_add_remote_candidate(n.s[0].agent, &n.s[1].cands[0], n.now),
                   SANSRTC_OK);
  /* The first check goes out at once or at the first pacing tick. */
  sansrtc_tstamp due = sansrtc_ice_agent_next_deadline(n.s[0].agent);
  if (due <= n.now + 20 * MS)
    ck_assert_int_eq(sansrtc_ice_agent_handle_timeout(n.s[0].agent, due), SANSRTC_OK);
  uint8_t small[40], big[1280];
  size_t len;
  sansrtc_addr l, r;
  ck_assert_int_eq(sansrtc_ice_agent_poll_transmit(n.s[0].agent, small, sizeof small, &len, &l, &r),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_ice_agent_poll_transmit(n.s[0].agent, big, sizeof big, &len, &l, &r), 1);
  sansrtc_stun_msg m;
  ck_assert_int_eq(sansrtc_stun_decode(&m, big, len), SANSRTC_OK);
  ck_assert_int_eq(m.klass, SANSRTC_STUN_REQUEST);
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_ICE_CONTROLLING));
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_PRIORITY));
  ck_assert(!sansrtc_stun_has(&m, SANSRTC_STUN_HAS_USE_CANDIDATE));
  /* Regression: SOFTWARE was once written after MESSAGE-INTEGRITY, where
   * receivers must ignore it. */
  ck_assert(sansrtc_stun_has(&m, SANSRTC_STUN_HAS_SOFTWARE));
  ck_assert_int_eq(sansrtc_stun_check_fingerprint(&m), SANSRTC_OK);
  const char *pwd = sansrtc_ice_agent_local_pwd(n.s[1].agent);
  ck_assert_int_eq(sansrtc_stun_check_integrity(&m, (const uint8_t *)pwd, strlen(pwd)), SANSRTC_OK);
  net_free(&n);
}
END_TEST

Suite *ice_suite(void) {
  Suite *s = suite_create("ice");
  TCase *api = tcase_create("api");
  tcase_add_test(api, test_config_and_credentials);
  tcase_add_test(api, test_local_candidate_event_and_limits);
  tcase_add_test(api, test_poll_transmit_small_buffer_keeps_datagram);
  suite_add_tcase(s, api);

  TCase *conn = tcase_create("connect");
  tcase_set_timeout(conn, 60);
  tcase_add_test(conn, test_connect_basic);
  tcase_add_test(conn, test_connect_is_deterministic);
  tcase_add_test(conn, test_trickle_one_at_a_time_late_credentials);
  tcase_add_test(conn, test_prflx_only_and_mdns_ignored);
  tcase_add_test(conn, test_role_conflict_both_controlling_and_both_controlled);
  tcase_add_test(conn, test_connect_over_lossy_reordering_link);
  tcase_add_test(conn, test_dual_stack_picks_highest_priority_pair);
  suite_add_tcase(s, conn);

  TCase *consent = tcase_create("consent");
  tcase_set_timeout(consent, 60);
  tcase_add_test(consent, test_consent_keeps_connection_for_minutes);
  tcase_add_test(consent, test_dead_peer_detected_within_consent_timeout);
  tcase_add_test(consent, test_disconnected_then_recovers);
  tcase_add_test(consent, test_nothing_answers_fails_after_end_of_candidates);
  tcase_add_test(consent, test_nothing_answers_without_end_of_candidates_times_out);
  suite_add_tcase(s, consent);

  TCase *hostile = tcase_create("hostile");
  tcase_set_timeout(hostile, 60);
  tcase_add_test(hostile, test_wrong_password_and_ufrag_are_rejected);
  tcase_add_test(hostile, test_binding_response_contents);
  tcase_add_test(hostile, test_hostile_datagrams_never_crash);
  tcase_add_test(hostile, test_unmatched_response_and_closed_agent);
  tcase_add_test(hostile, test_stun_server_gives_srflx_candidate);
  tcase_add_loop_test(hostile, test_stun_server_silent_error_or_no_nat, 0, 3);
  tcase_add_test(hostile, test_stun_server_hostile_responses);
  tcase_add_test(hostile, test_connect_with_srflx_candidates_signalled);
  suite_add_tcase(s, hostile);
  return s;
}
