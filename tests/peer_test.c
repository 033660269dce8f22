/*
 * peer_test.c - two peer connections (real ICE, OpenSSL and usrsctp)
 * wired through an in-memory network with fake time: full offer/answer,
 * trickle, data channels both ways, closing, glare, a wrong fingerprint,
 * an answer that never comes, and calls in the wrong state.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/peer.h>

#include "suites.h"
#include "test_clock.h"

#define MS SANSRTC_MILLISECONDS
#define SEC SANSRTC_SECONDS
#define MAX_EVENTS 4096

typedef struct rec_event {
  sansrtc_pc_event ev;
  uint8_t *data;
} rec_event;

typedef struct side {
  sansrtc_pc *pc;
  sansrtc_addr addr;
  rec_event *ev;
  size_t n;
} side;

typedef struct packet {
  int to;
  sansrtc_tstamp at;
  sansrtc_addr from;
  size_t len;
  uint8_t data[1500];
} packet;

typedef struct world {
  side s[2];
  packet *q;
  size_t n, cap;
  sansrtc_tstamp now, delay;
  int trickle; /* forward LOCAL_CANDIDATE events to the other side */
  unsigned loss_pct; /* datagrams lost on the wire, seeded */
  uint32_t rng;
  int hold_candidates; /* keep them instead (sent later by the test) */
  char held[2][8][SANSRTC_ICE_CANDIDATE_STRLEN];
  size_t held_n[2];
  int peek; /* take datagrams with peek/consume instead of poll_transmit */
} world;

static void world_init(world *w) {
  memset(w, 0, sizeof *w);
  w->delay = 10 * MS;
  w->now = 1 * SEC;
  test_clock_follow(w->now);
  for (int i = 0; i < 2; i++) {
    sansrtc_pc_config cfg;
    sansrtc_pc_config_default(&cfg);
    cfg.cert_unix_time = 1795000000;
    ck_assert_int_eq(sansrtc_pc_new(&w->s[i].pc, &cfg), SANSRTC_OK);
    char ip[32];
    snprintf(ip, sizeof ip, "10.0.0.%d", i + 1);
    ck_assert_int_eq(sansrtc_addr_parse(&w->s[i].addr, ip, (uint16_t)(4000 + i)),
                     SANSRTC_OK);
    w->s[i].ev = calloc(MAX_EVENTS, sizeof *w->s[i].ev);
    ck_assert_ptr_nonnull(w->s[i].ev);
  }
}

static void world_free(world *w) {
  for (int i = 0; i < 2; i++) {
    sansrtc_pc_del(w->s[i].pc);
    for (size_t k = 0; k < w->s[i].n; k++) free(w->s[i].ev[k].data);
    free(w->s[i].ev);
  }
  free(w->q);
}

static void add_host_candidate(world *w, int i) {
  sansrtc_ice_candidate c;
  memset(&c, 0, sizeof c);
  c.component = 1;
  c.type = SANSRTC_ICE_CANDIDATE_HOST;
  c.addr = w->s[i].addr;
  ck_assert_int_eq(sansrtc_pc_add_local_candidate(w->s[i].pc, &c, w->now), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_end_of_local_candidates(w->s[i].pc, w->now), SANSRTC_OK);
}

/* The next datagram to send, by copy or (w->peek) seen in place: a batch
 * of up to four is looked at and only the first taken, so the next look
 * must start after it. */
static int take_datagram(const world *w, side *s, packet *p, sansrtc_addr *local) {
  if (!w->peek)
    return sansrtc_pc_poll_transmit(s->pc, p->data, sizeof p->data, &p->len, local,
                                    &p->from) == 1;
  sansrtc_pc_datagram d[4];
  size_t n = sansrtc_pc_peek_transmit(s->pc, d, 4);
  ck_assert_uint_eq(sansrtc_pc_peek_transmit(s->pc, d, 4), n); /* looking takes nothing */
  if (n == 0) return 0;
  ck_assert_uint_le(d[0].len, sizeof p->data);
  memcpy(p->data, d[0].data, d[0].len);
  p->len = d[0].len;
  *local = d[0].local;
  p->from = d[0].remote;
  sansrtc_pc_consume_transmit(s->pc, 1);
  return 1;
}

/* Moves one side's datagrams onto the wire and records its events. */
static void drain(world *w, int i) {
  side *s = &w->s[i];
  packet p;
  sansrtc_addr local;
  while (take_datagram(w, s, &p, &local)) {
    ck_assert(sansrtc_addr_equal(&local, &s->addr));
    ck_assert(sansrtc_addr_equal(&p.from, &w->s[1 - i].addr));
    p.from = s->addr;
    p.to = 1 - i;
    w->rng = w->rng * 1664525u + 1013904223u;
    if (w->loss_pct && (w->rng >> 8) % 100 < w->loss_pct) continue;
    p.at = w->now + w->delay;
    if (w->n == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 256;
      w->q = realloc(w->q, w->cap * sizeof *w->q);
      ck_assert_ptr_nonnull(w->q);
    }
    w->q[w->n++] = p;
  }
  static uint8_t buf[262144];
  rec_event r;
  while (sansrtc_pc_poll_event(s->pc, &r.ev, buf, sizeof buf) == 1) {
    ck_assert_uint_lt(s->n, MAX_EVENTS);
    r.data = NULL;
    if (r.ev.type == SANSRTC_PC_EVENT_MESSAGE) {
      r.data = malloc(r.ev.len + 1);
      ck_assert_ptr_nonnull(r.data);
      memcpy(r.data, buf, r.ev.len);
    }
    if (r.ev.type == SANSRTC_PC_EVENT_LOCAL_CANDIDATE) {
      if (w->trickle)
        ck_assert_int_eq(sansrtc_pc_add_remote_candidate(w->s[1 - i].pc, r.ev.mid,
                                                         r.ev.candidate, w->now),
                         SANSRTC_OK);
      else if (w->hold_candidates && w->held_n[i] < 8)
        memcpy(w->held[i][w->held_n[i]++], r.ev.candidate, sizeof r.ev.candidate);
    }
    s->ev[s->n++] = r;
  }
}

static void drain_all(world *w) {
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < 2; i++) drain(w, i);
}

static int step(world *w, sansrtc_tstamp until) {
  drain_all(w);
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  for (size_t k = 0; k < w->n; k++)
    if (w->q[k].at < t) t = w->q[k].at;
  for (int i = 0; i < 2; i++) {
    sansrtc_tstamp d = sansrtc_pc_next_deadline(w->s[i].pc);
    if (d < t) t = d;
  }
  if (t > until) {
    w->now = until;
    test_clock_follow(w->now);
    return 0;
  }
  if (t > w->now) w->now = t;
  test_clock_follow(w->now);
  for (size_t k = 0; k < w->n;) {
    if (w->q[k].at > w->now) {
      k++;
      continue;
    }
    packet p = w->q[k];
    memmove(&w->q[k], &w->q[k + 1], (w->n - k - 1) * sizeof p);
    w->n--;
    side *to = &w->s[p.to];
    (void)sansrtc_pc_handle_datagram(to->pc, &to->addr, &p.from, p.data, p.len, w->now);
  }
  for (int i = 0; i < 2; i++)
    if (sansrtc_pc_next_deadline(w->s[i].pc) <= w->now)
      ck_assert_int_eq(sansrtc_pc_handle_timeout(w->s[i].pc, w->now), SANSRTC_OK);
  drain_all(w);
  return 1;
}

static void run_for(world *w, sansrtc_tstamp d) {
  sansrtc_tstamp until = w->now + d;
  while (step(w, until)) {
  }
}

static int count(const side *s, sansrtc_pc_event_type type) {
  int c = 0;
  for (size_t k = 0; k < s->n; k++) c += s->ev[k].ev.type == type;
  return c;
}

/* Index of the first event of `type` (on `channel` when non-zero), or -1. */
static int find(const side *s, sansrtc_pc_event_type type, uint32_t channel) {
  for (size_t k = 0; k < s->n; k++)
    if (s->ev[k].ev.type == type && (channel == 0 || s->ev[k].ev.channel == channel))
      return (int)k;
  return -1;
}

/* The states a side went through for one kind of state event, as a
 * string of digits (e.g. "0123"). */
static void history(const side *s, sansrtc_pc_event_type type, char *out, size_t cap) {
  size_t n = 0;
  for (size_t k = 0; k < s->n && n + 1 < cap; k++)
    if (s->ev[k].ev.type == type) out[n++] = (char)('0' + s->ev[k].ev.state);
  out[n] = '\0';
}

static char *describe(sansrtc_pc *pc, int answer) {
  size_t len = 0;
  int rc = answer ? sansrtc_pc_create_answer(pc, NULL, 0, &len)
                  : sansrtc_pc_create_offer(pc, NULL, 0, &len);
  ck_assert_int_eq(rc, SANSRTC_ERR_BUFFER_TOO_SMALL);
  char *sdp = malloc(len + 1);
  ck_assert_ptr_nonnull(sdp);
  size_t got = 0;
  rc = answer ? sansrtc_pc_create_answer(pc, sdp, len + 1, &got)
              : sansrtc_pc_create_offer(pc, sdp, len + 1, &got);
  ck_assert_int_eq(rc, SANSRTC_OK);
  ck_assert_uint_eq(got, len);
  return sdp;
}

/* Offer from side 0 applied on both sides; answer from side 1 applied on
 * side 1 only. The caller frees both texts. */
static void offer_and_answer(world *w, char **offer, char **answer) {
  sansrtc_sdp_error err;
  *offer = describe(w->s[0].pc, 0);
  ck_assert_int_eq(sansrtc_pc_set_local_description(w->s[0].pc, SANSRTC_SDP_OFFER, *offer,
                                                    strlen(*offer), w->now, &err),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(w->s[1].pc, SANSRTC_SDP_OFFER, *offer,
                                                     strlen(*offer), w->now, &err),
                   SANSRTC_OK);
  *answer = describe(w->s[1].pc, 1);
  ck_assert_ptr_nonnull(strstr(*answer, "a=setup:active\r\n"));
  ck_assert_ptr_nonnull(strstr(*offer, "a=setup:actpass\r\n"));
  ck_assert_int_eq(sansrtc_pc_set_local_description(w->s[1].pc, SANSRTC_SDP_ANSWER, *answer,
                                                    strlen(*answer), w->now, &err),
                   SANSRTC_OK);
}

/* The whole exchange: the answer applied on side 0 too. */
static void negotiate(world *w) {
  char *offer, *answer;
  sansrtc_sdp_error err;
  offer_and_answer(w, &offer, &answer);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(w->s[0].pc, SANSRTC_SDP_ANSWER, answer,
                                                     strlen(answer), w->now, &err),
                   SANSRTC_OK);
  free(offer);
  free(answer);
}

static int both_connected(const world *w) {
  return sansrtc_pc_connection_state(w->s[0].pc) == SANSRTC_PC_STATE_CONNECTED &&
         sansrtc_pc_connection_state(w->s[1].pc) == SANSRTC_PC_STATE_CONNECTED;
}

static void run_until_connected(world *w) {
  sansrtc_tstamp until = w->now + 10 * SEC;
  while (!both_connected(w) && step(w, until)) {
  }
  ck_assert_msg(both_connected(w), "states %s/%s, errors '%s' '%s'",
                sansrtc_pc_state_name(sansrtc_pc_connection_state(w->s[0].pc)),
                sansrtc_pc_state_name(sansrtc_pc_connection_state(w->s[1].pc)),
                sansrtc_pc_error_text(w->s[0].pc), sansrtc_pc_error_text(w->s[1].pc));
}

/* The whole path: descriptions with candidates in them, a channel from
 * each side, data both ways, a channel closed, the connection closed. */
START_TEST(test_offer_answer_connect_exchange_close) {
  world w;
  world_init(&w);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  init.label = "from-offerer";
  uint32_t ch0;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &ch0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_channel_id(w.s[0].pc, ch0), -1); /* role unknown */
  ck_assert_int_eq(sansrtc_pc_send(w.s[0].pc, ch0, (const uint8_t *)"x", 1, 0),
                   SANSRTC_ERR_INVALID_STATE);
  add_host_candidate(&w, 0);
  add_host_candidate(&w, 1);
  drain_all(&w);
  ck_assert_int_eq(count(&w.s[0], SANSRTC_PC_EVENT_NEGOTIATION_NEEDED), 1);
  sansrtc_tstamp start = w.now;
  negotiate(&w);
  /* The answer made side 0 the DTLS server: odd stream ids. */
  ck_assert_int_eq(sansrtc_pc_channel_id(w.s[0].pc, ch0), 1);
  ck_assert_int_eq(sansrtc_pc_send(w.s[0].pc, ch0, (const uint8_t *)"early hello", 11, 0),
                   SANSRTC_OK);
  run_until_connected(&w);
  sansrtc_tstamp connect_time = w.now - start;
  init.label = "from-answerer";
  uint32_t ch1;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[1].pc, &init, &ch1), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_channel_id(w.s[1].pc, ch1), 0);
  ck_assert_int_eq(sansrtc_pc_send(w.s[1].pc, ch1, (const uint8_t *)"\x01\x02\x03", 3, 1),
                   SANSRTC_OK);
  run_for(&w, 500 * MS);
  /* Each side saw the other's channel, and its message. */
  int dc1 = find(&w.s[1], SANSRTC_PC_EVENT_DATA_CHANNEL, 0);
  ck_assert_int_ge(dc1, 0);
  uint32_t remote_on_1 = w.s[1].ev[dc1].ev.channel;
  ck_assert_str_eq(sansrtc_pc_channel_label(w.s[1].pc, remote_on_1), "from-offerer");
  int m1 = find(&w.s[1], SANSRTC_PC_EVENT_MESSAGE, remote_on_1);
  ck_assert_int_ge(m1, 0);
  ck_assert_uint_eq(w.s[1].ev[m1].ev.len, 11);
  ck_assert_mem_eq(w.s[1].ev[m1].data, "early hello", 11);
  int dc0 = find(&w.s[0], SANSRTC_PC_EVENT_DATA_CHANNEL, 0);
  ck_assert_int_ge(dc0, 0);
  uint32_t remote_on_0 = w.s[0].ev[dc0].ev.channel;
  int m0 = find(&w.s[0], SANSRTC_PC_EVENT_MESSAGE, remote_on_0);
  ck_assert_int_ge(m0, 0);
  ck_assert_int_eq(w.s[0].ev[m0].ev.binary, 1);
  ck_assert_mem_eq(w.s[0].ev[m0].data, "\x01\x02\x03", 3);
  ck_assert_int_ge(find(&w.s[0], SANSRTC_PC_EVENT_CHANNEL_OPEN, ch0), 0);
  ck_assert_int_ge(find(&w.s[1], SANSRTC_PC_EVENT_CHANNEL_OPEN, ch1), 0);
  /* W3C state histories. */
  char h[16];
  history(&w.s[0], SANSRTC_PC_EVENT_SIGNALING_STATE, h, sizeof h);
  ck_assert_str_eq(h, "10"); /* have-local-offer, stable */
  history(&w.s[1], SANSRTC_PC_EVENT_SIGNALING_STATE, h, sizeof h);
  ck_assert_str_eq(h, "20"); /* have-remote-offer, stable */
  for (int i = 0; i < 2; i++) {
    history(&w.s[i], SANSRTC_PC_EVENT_CONNECTION_STATE, h, sizeof h);
    ck_assert_str_eq(h, "12"); /* connecting, connected */
    history(&w.s[i], SANSRTC_PC_EVENT_GATHERING_STATE, h, sizeof h);
    ck_assert_str_eq(h, "2"); /* gathered before: straight to complete */
    history(&w.s[i], SANSRTC_PC_EVENT_DTLS_STATE, h, sizeof h);
    ck_assert_str_eq(h, "12"); /* connecting, connected */
  }
  /* Connected (ICE and DTLS up; fake time, so exact): the nominating
   * check and two DTLS round trips on a 20 ms round trip took 70 ms. A
   * wasted round trip or a retransmission timeout would show here. */
  ck_assert_uint_le(connect_time, 80 * MS);
  /* Close the answerer's channel from the offerer's side. */
  ck_assert_int_eq(sansrtc_pc_close_channel(w.s[0].pc, remote_on_0), SANSRTC_OK);
  run_for(&w, 500 * MS);
  ck_assert_int_ge(find(&w.s[0], SANSRTC_PC_EVENT_CHANNEL_CLOSED, remote_on_0), 0);
  ck_assert_int_ge(find(&w.s[1], SANSRTC_PC_EVENT_CHANNEL_CLOSED, ch1), 0);
  ck_assert_ptr_null(sansrtc_pc_channel_label(w.s[1].pc, ch1));
  ck_assert_int_eq(sansrtc_pc_send(w.s[1].pc, ch1, (const uint8_t *)"x", 1, 0),
                   SANSRTC_ERR_NOT_FOUND);
  /* The other channel still works. */
  ck_assert_int_eq(sansrtc_pc_send(w.s[1].pc, remote_on_1, (const uint8_t *)"still", 5, 0),
                   SANSRTC_OK);
  run_for(&w, 200 * MS);
  ck_assert_int_eq(count(&w.s[0], SANSRTC_PC_EVENT_MESSAGE), 2);
  /* A burst with send_more waits for the flush, then arrives in order. */
  ck_assert_int_eq(sansrtc_pc_send_more(w.s[1].pc, remote_on_1, (const uint8_t *)"b1", 2, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_send_more(w.s[1].pc, remote_on_1, (const uint8_t *)"b2", 2, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_send_more(w.s[1].pc, 999, (const uint8_t *)"x", 1, 0),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_uint_eq(sansrtc_pc_buffered_amount(w.s[1].pc, remote_on_1), 4);
  ck_assert_int_eq(sansrtc_pc_flush(w.s[1].pc), SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_pc_buffered_amount(w.s[1].pc, remote_on_1), 0);
  ck_assert_int_eq(sansrtc_pc_flush(NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  run_for(&w, 200 * MS);
  ck_assert_int_eq(count(&w.s[0], SANSRTC_PC_EVENT_MESSAGE), 4);
  int last = -1; /* the last message event is "b2" */
  for (size_t k = 0; k < w.s[0].n; k++)
    if (w.s[0].ev[k].ev.type == SANSRTC_PC_EVENT_MESSAGE) last = (int)k;
  ck_assert_mem_eq(w.s[0].ev[last].data, "b2", 2);
  /* Closing the connection: the peer's channels fail over (SCTP ABORT). */
  sansrtc_pc_close(w.s[0].pc, w.now);
  ck_assert_int_eq(sansrtc_pc_connection_state(w.s[0].pc), SANSRTC_PC_STATE_CLOSED);
  ck_assert_int_eq(sansrtc_pc_signaling_state(w.s[0].pc), SANSRTC_SIGNALING_CLOSED);
  ck_assert_int_eq(sansrtc_pc_handle_datagram(w.s[0].pc, &w.s[0].addr, &w.s[1].addr,
                                              (const uint8_t *)"\x17", 1, w.now),
                   SANSRTC_ERR_INVALID_STATE);
  run_for(&w, 500 * MS);
  ck_assert_int_ge(find(&w.s[1], SANSRTC_PC_EVENT_CHANNEL_CLOSED, remote_on_1), 0);
  ck_assert_int_eq(sansrtc_pc_dtls_state(w.s[1].pc), SANSRTC_DTLS_STATE_CLOSED);
  /* The peer's close_notify closed the other side too (found with Chromium,
   * whose close went unnoticed until consent expired). */
  ck_assert_int_eq(sansrtc_pc_connection_state(w.s[1].pc), SANSRTC_PC_STATE_CLOSED);
  ck_assert_int_eq(sansrtc_pc_signaling_state(w.s[1].pc), SANSRTC_SIGNALING_CLOSED);
  ck_assert_str_eq(sansrtc_pc_error_text(w.s[1].pc), ""); /* closed, not failed */
  sansrtc_pc_close(w.s[0].pc, w.now); /* idempotent */
  world_free(&w);
}
END_TEST

/* Trickle: descriptions carry no candidates; candidates travel as events,
 * some before the remote description has arrived (they wait for it). */
START_TEST(test_trickled_candidates) {
  world w;
  world_init(&w);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint32_t ch;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &ch), SANSRTC_OK);
  sansrtc_sdp_error err;
  char *offer = describe(w.s[0].pc, 0);
  ck_assert_ptr_null(strstr(offer, "a=candidate"));
  ck_assert_ptr_null(strstr(offer, "a=end-of-candidates"));
  ck_assert_int_eq(sansrtc_pc_set_local_description(w.s[0].pc, SANSRTC_SDP_OFFER, offer,
                                                    strlen(offer), w.now, &err),
                   SANSRTC_OK);
  /* Side 0 gathers now; its candidate reaches side 1 before the offer. */
  w.hold_candidates = 1;
  add_host_candidate(&w, 0);
  drain_all(&w);
  ck_assert_uint_eq(w.held_n[0], 1);
  ck_assert_int_eq(sansrtc_pc_add_remote_candidate(w.s[1].pc, "0", w.held[0][0], w.now),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_add_remote_candidate(w.s[1].pc, "0", NULL, w.now), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(w.s[1].pc, SANSRTC_SDP_OFFER, offer,
                                                     strlen(offer), w.now, &err),
                   SANSRTC_OK);
  char *answer = describe(w.s[1].pc, 1);
  ck_assert_int_eq(sansrtc_pc_set_local_description(w.s[1].pc, SANSRTC_SDP_ANSWER, answer,
                                                    strlen(answer), w.now, &err),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(w.s[0].pc, SANSRTC_SDP_ANSWER, answer,
                                                     strlen(answer), w.now, &err),
                   SANSRTC_OK);
  /* Side 1 gathers after the answer and trickles. */
  w.hold_candidates = 0;
  w.trickle = 1;
  add_host_candidate(&w, 1);
  run_until_connected(&w);
  char h[16];
  history(&w.s[1], SANSRTC_PC_EVENT_GATHERING_STATE, h, sizeof h);
  ck_assert_str_eq(h, "12"); /* gathering, complete */
  run_for(&w, 300 * MS);
  ck_assert_int_ge(find(&w.s[1], SANSRTC_PC_EVENT_DATA_CHANNEL, 0), 0);
  ck_assert_int_ge(find(&w.s[0], SANSRTC_PC_EVENT_CHANNEL_OPEN, ch), 0);
  /* A candidate for another section is ignored; garbage is refused. */
  ck_assert_int_eq(sansrtc_pc_add_remote_candidate(w.s[0].pc, "7", w.held[0][0], w.now),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_add_remote_candidate(w.s[0].pc, "0", "candidate:nonsense", w.now),
                   SANSRTC_ERR_MALFORMED);
  free(offer);
  free(answer);
  world_free(&w);
}
END_TEST

/* Both sides offer at once: an offer in have-local-offer is refused and
 * changes nothing. */
START_TEST(test_glare_rejected) {
  world w;
  world_init(&w);
  sansrtc_sdp_error err;
  char *o0 = describe(w.s[0].pc, 0), *o1 = describe(w.s[1].pc, 0);
  ck_assert_int_eq(sansrtc_pc_set_local_description(w.s[0].pc, SANSRTC_SDP_OFFER, o0,
                                                    strlen(o0), w.now, &err), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_set_local_description(w.s[1].pc, SANSRTC_SDP_OFFER, o1,
                                                    strlen(o1), w.now, &err), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(w.s[0].pc, SANSRTC_SDP_OFFER, o1,
                                                     strlen(o1), w.now, &err),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_pc_signaling_state(w.s[0].pc), SANSRTC_SIGNALING_HAVE_LOCAL_OFFER);
  size_t len;
  ck_assert_int_eq(sansrtc_pc_create_answer(w.s[0].pc, NULL, 0, &len), SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_pc_create_offer(w.s[0].pc, NULL, 0, &len), SANSRTC_ERR_INVALID_STATE);
  free(o0);
  free(o1);
  world_free(&w);
}
END_TEST

/* A fingerprint in the answer that does not match the certificate: the
 * connection fails with a clear reason and no message is delivered. */
START_TEST(test_wrong_fingerprint_fails) {
  world w;
  world_init(&w);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint32_t ch;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &ch), SANSRTC_OK);
  add_host_candidate(&w, 0);
  add_host_candidate(&w, 1);
  sansrtc_sdp_error err;
  char *offer, *answer;
  offer_and_answer(&w, &offer, &answer);
  /* Flip one hex digit of the answer's fingerprint on its way to side 0. */
  char *fp = strstr(answer, "a=fingerprint:sha-256 ");
  ck_assert_ptr_nonnull(fp);
  char *digit = fp + strlen("a=fingerprint:sha-256 ");
  *digit = *digit == 'A' ? 'B' : 'A';
  ck_assert_int_eq(sansrtc_pc_set_remote_description(w.s[0].pc, SANSRTC_SDP_ANSWER, answer,
                                                     strlen(answer), w.now, &err), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_send(w.s[0].pc, ch, (const uint8_t *)"secret", 6, 0), SANSRTC_OK);
  run_for(&w, 5 * SEC);
  ck_assert_int_eq(sansrtc_pc_connection_state(w.s[0].pc), SANSRTC_PC_STATE_FAILED);
  ck_assert_int_eq(sansrtc_pc_dtls_state(w.s[0].pc), SANSRTC_DTLS_STATE_FAILED);
  ck_assert_ptr_nonnull(strstr(sansrtc_pc_error_text(w.s[0].pc), "fingerprint"));
  ck_assert_int_ne(sansrtc_pc_connection_state(w.s[1].pc), SANSRTC_PC_STATE_CONNECTED);
  ck_assert_int_eq(count(&w.s[0], SANSRTC_PC_EVENT_MESSAGE), 0);
  ck_assert_int_eq(count(&w.s[1], SANSRTC_PC_EVENT_MESSAGE), 0);
  ck_assert_int_eq(count(&w.s[1], SANSRTC_PC_EVENT_DATA_CHANNEL), 0);
  free(offer);
  free(answer);
  world_free(&w);
}
END_TEST

/* The answer never reaches the offerer: it stays connecting (never
 * connected, never failed by itself), and closes cleanly. */
START_TEST(test_answer_never_arrives) {
  world w;
  world_init(&w);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint32_t ch;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &ch), SANSRTC_OK);
  add_host_candidate(&w, 0);
  add_host_candidate(&w, 1);
  char *offer, *answer;
  offer_and_answer(&w, &offer, &answer);
  run_for(&w, 20 * SEC);
  sansrtc_pc_state s0 = sansrtc_pc_connection_state(w.s[0].pc);
  ck_assert_msg(s0 == SANSRTC_PC_STATE_NEW || s0 == SANSRTC_PC_STATE_CONNECTING,
                "offerer is %s", sansrtc_pc_state_name(s0));
  ck_assert_int_eq(sansrtc_pc_signaling_state(w.s[0].pc), SANSRTC_SIGNALING_HAVE_LOCAL_OFFER);
  ck_assert_int_eq(sansrtc_pc_channel_id(w.s[0].pc, ch), -1);
  for (int i = 0; i < 2; i++) sansrtc_pc_close(w.s[i].pc, w.now);
  drain_all(&w);
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(sansrtc_pc_connection_state(w.s[i].pc), SANSRTC_PC_STATE_CLOSED);
    ck_assert_uint_eq(sansrtc_pc_next_deadline(w.s[i].pc), SANSRTC_TSTAMP_NEVER);
  }
  ck_assert_int_ge(find(&w.s[0], SANSRTC_PC_EVENT_CHANNEL_CLOSED, ch), 0);
  free(offer);
  free(answer);
  world_free(&w);
}
END_TEST

/* Calls in the wrong state or with bad input return an error and change
 * nothing. */
START_TEST(test_wrong_state_and_bad_descriptions) {
  world w;
  world_init(&w);
  sansrtc_pc *pc = w.s[0].pc;
  sansrtc_sdp_error err;
  size_t len;
  ck_assert_int_eq(sansrtc_pc_create_answer(pc, NULL, 0, &len), SANSRTC_ERR_INVALID_STATE);
  char *offer1 = describe(w.s[1].pc, 0);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(pc, SANSRTC_SDP_ANSWER, offer1,
                                                     strlen(offer1), w.now, &err),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_pc_set_local_description(pc, SANSRTC_SDP_ANSWER, offer1,
                                                    strlen(offer1), w.now, &err),
                   SANSRTC_ERR_INVALID_STATE);
  /* Someone else's offer is not ours to apply locally. */
  ck_assert_int_eq(sansrtc_pc_set_local_description(pc, SANSRTC_SDP_OFFER, offer1,
                                                    strlen(offer1), w.now, &err),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_ptr_nonnull(strstr(err.message, "not this peer connection"));
  /* Not SDP: the error names the line. */
  const char *junk = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application x\r\n";
  ck_assert_int_eq(sansrtc_pc_set_remote_description(pc, SANSRTC_SDP_OFFER, junk,
                                                     strlen(junk), w.now, &err),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_uint_eq(err.line, 5);
  /* SDP without a data section. */
  const char *audio = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";
  ck_assert_int_eq(sansrtc_pc_set_remote_description(pc, SANSRTC_SDP_OFFER, audio,
                                                     strlen(audio), w.now, &err),
                   SANSRTC_ERR_NOT_FOUND);
  /* A data section missing its fingerprint. */
  char *nofp = strdup(offer1);
  ck_assert_ptr_nonnull(nofp);
  char *fp = strstr(nofp, "a=fingerprint:");
  ck_assert_ptr_nonnull(fp);
  memcpy(fp, "a=fingerprinx:", 14);
  ck_assert_int_eq(sansrtc_pc_set_remote_description(pc, SANSRTC_SDP_OFFER, nofp,
                                                     strlen(nofp), w.now, &err),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_ptr_nonnull(strstr(err.message, "fingerprint"));
  ck_assert_int_eq(sansrtc_pc_signaling_state(pc), SANSRTC_SIGNALING_STABLE);
  /* Arguments. */
  ck_assert_int_eq(sansrtc_pc_set_remote_description(pc, (sansrtc_sdp_type)9, offer1,
                                                     strlen(offer1), w.now, &err),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  init.max_retransmits = 1;
  init.max_packet_lifetime_ms = 1;
  uint32_t h;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(pc, &init, &h), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_pc_close_channel(pc, 12345), SANSRTC_ERR_NOT_FOUND);
  sansrtc_pc_config cfg;
  sansrtc_pc_config_default(&cfg);
  sansrtc_pc *none = NULL;
  ck_assert_int_eq(sansrtc_pc_new(&none, &cfg), SANSRTC_ERR_INVALID_ARGUMENT); /* no time */
  ck_assert_ptr_null(none);
  /* A channel that never got an id closes at once. */
  sansrtc_dc_init_default(&init);
  ck_assert_int_eq(sansrtc_pc_create_data_channel(pc, &init, &h), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_pc_close_channel(pc, h), SANSRTC_OK);
  drain_all(&w);
  ck_assert_int_ge(find(&w.s[0], SANSRTC_PC_EVENT_CHANNEL_CLOSED, h), 0);
  ck_assert_ptr_null(sansrtc_pc_channel_label(pc, h));
  free(nofp);
  free(offer1);
  world_free(&w);
}
END_TEST

/* Real browser offers are answered: the answer accepts their data
 * section in their form, and applying it fixes the DTLS role (client). */
START_TEST(test_answers_browser_offers) {
  static const char *const files[] = {
      "chromium_offer_datachannel.sdp", "firefox_offer_datachannel.sdp",
      "chromium_offer_av_datachannel.sdp", "firefox_offer_av_simulcast_datachannel.sdp",
      "aiortc_offer_datachannel_legacy.sdp"};
  const char *dir = getenv("SANSRTC_TEST_FIXTURES");
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/sdp/%s", dir != NULL ? dir : "tests/fixtures", files[i]);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char offer[65536];
    size_t n = fread(offer, 1, sizeof offer - 1, f);
    fclose(f);
    offer[n] = '\0';
    world w;
    world_init(&w);
    sansrtc_sdp_error err;
    int rc = sansrtc_pc_set_remote_description(w.s[0].pc, SANSRTC_SDP_OFFER, offer, n,
                                               w.now, &err);
    ck_assert_msg(rc == SANSRTC_OK, "%s: %s", files[i], err.message);
    char *answer = describe(w.s[0].pc, 1);
    rc = sansrtc_pc_set_local_description(w.s[0].pc, SANSRTC_SDP_ANSWER, answer,
                                          strlen(answer), w.now, &err);
    ck_assert_msg(rc == SANSRTC_OK, "%s: %d %s", files[i], rc, err.message);
    ck_assert_int_eq(sansrtc_pc_signaling_state(w.s[0].pc), SANSRTC_SIGNALING_STABLE);
    ck_assert_ptr_nonnull(strstr(answer, "a=setup:active\r\n"));
    if (strstr(files[i], "legacy") != NULL)
      ck_assert_ptr_nonnull(strstr(answer, "a=sctpmap:5000 webrtc-datachannel"));
    else
      ck_assert_ptr_nonnull(strstr(answer, " UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    /* A channel created now gets an even id: we are the DTLS client. */
    sansrtc_dc_init init;
    sansrtc_dc_init_default(&init);
    uint32_t h;
    ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &h), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_pc_channel_id(w.s[0].pc, h) % 2, 0);
    free(answer);
    world_free(&w);
  }
}
END_TEST

/* 20 % loss each way on many seeds: every connection comes up (ICE, DTLS
 * and SCTP retransmit on fake time) and 200 ordered messages arrive once
 * each, in order. */
START_TEST(test_connect_and_deliver_under_loss) {
  for (uint32_t seed = 1; seed <= 12; seed++) {
    world w;
    world_init(&w);
    w.rng = seed;
    w.loss_pct = 20;
    w.peek = seed % 2; /* half the runs send in place (sendmmsg's way) */
    sansrtc_dc_init init;
    sansrtc_dc_init_default(&init);
    uint32_t ch;
    ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &ch), SANSRTC_OK);
    add_host_candidate(&w, 0);
    add_host_candidate(&w, 1);
    negotiate(&w);
    for (uint32_t k = 0; k < 200; k++) {
      uint8_t m[4];
      memcpy(m, &k, 4);
      ck_assert_int_eq(sansrtc_pc_send(w.s[0].pc, ch, m, sizeof m, 1), SANSRTC_OK);
    }
    sansrtc_tstamp until = w.now + 60 * SEC;
    while (count(&w.s[1], SANSRTC_PC_EVENT_MESSAGE) < 200 && step(&w, until)) {
    }
    ck_assert_msg(count(&w.s[1], SANSRTC_PC_EVENT_MESSAGE) == 200,
                  "seed %u: %d messages, states %s/%s", seed,
                  count(&w.s[1], SANSRTC_PC_EVENT_MESSAGE),
                  sansrtc_pc_state_name(sansrtc_pc_connection_state(w.s[0].pc)),
                  sansrtc_pc_state_name(sansrtc_pc_connection_state(w.s[1].pc)));
    uint32_t next = 0;
    for (size_t k = 0; k < w.s[1].n; k++) {
      if (w.s[1].ev[k].ev.type != SANSRTC_PC_EVENT_MESSAGE) continue;
      uint32_t got;
      memcpy(&got, w.s[1].ev[k].data, 4);
      ck_assert_uint_eq(got, next);
      next++;
    }
    sansrtc_pc_datagram d[1];
    ck_assert_uint_eq(sansrtc_pc_peek_transmit(NULL, d, 1), 0);
    sansrtc_pc_consume_transmit(w.s[0].pc, 1000); /* more than queued: all */
    ck_assert_uint_eq(sansrtc_pc_peek_transmit(w.s[0].pc, d, 1), 0);
    world_free(&w);
  }
}
END_TEST

/* Graceful shutdown: data handed to SCTP is delivered and acknowledged,
 * SCTP closes with SHUTDOWN (the peer's channels close without an error,
 * unlike after an ABORT), then DTLS close_notify; the connection is not
 * closed before SCTP is done. Without an association it closes at once. */
START_TEST(test_graceful_shutdown) {
  world w;
  world_init(&w);
  w.rng = 7;
  w.loss_pct = _i == 1 ? 10 : 0;
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint32_t ch;
  ck_assert_int_eq(sansrtc_pc_create_data_channel(w.s[0].pc, &init, &ch), SANSRTC_OK);
  add_host_candidate(&w, 0);
  add_host_candidate(&w, 1);
  negotiate(&w);
  run_until_connected(&w);
  run_for(&w, 200 * MS);
  static uint8_t m[50000];
  for (uint32_t k = 0; k < 10; k++) {
    memset(m, (int)k, sizeof m);
    ck_assert_int_eq(sansrtc_pc_send(w.s[0].pc, ch, m, sizeof m, 1), SANSRTC_OK);
  }
  drain_all(&w); /* handed to SCTP */
  sansrtc_pc_shutdown(w.s[0].pc, w.now);
  ck_assert_int_ne(sansrtc_pc_signaling_state(w.s[0].pc), SANSRTC_SIGNALING_CLOSED);
  run_for(&w, 30 * SEC);
  ck_assert_int_eq(count(&w.s[1], SANSRTC_PC_EVENT_MESSAGE), 10);
  ck_assert_int_eq(count(&w.s[1], SANSRTC_PC_EVENT_CHANNEL_ERROR), 0);
  ck_assert_int_eq(count(&w.s[0], SANSRTC_PC_EVENT_CHANNEL_ERROR), 0);
  ck_assert_int_eq(sansrtc_pc_connection_state(w.s[0].pc), SANSRTC_PC_STATE_CLOSED);
  ck_assert_int_eq(sansrtc_pc_dtls_state(w.s[1].pc), SANSRTC_DTLS_STATE_CLOSED);
  ck_assert_int_eq(sansrtc_pc_connection_state(w.s[1].pc), SANSRTC_PC_STATE_CLOSED);
  sansrtc_pc_shutdown(w.s[0].pc, w.now); /* idempotent */
  world_free(&w);
  /* No association yet: closes at once. */
  world_init(&w);
  sansrtc_pc_shutdown(w.s[0].pc, w.now);
  ck_assert_int_eq(sansrtc_pc_signaling_state(w.s[0].pc), SANSRTC_SIGNALING_CLOSED);
  world_free(&w);
}
END_TEST

Suite *peer_suite(void) {
  Suite *s = suite_create("peer");
  TCase *tc = tcase_create("peer");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_offer_answer_connect_exchange_close);
  tcase_add_test(tc, test_trickled_candidates);
  tcase_add_test(tc, test_glare_rejected);
  tcase_add_test(tc, test_wrong_fingerprint_fails);
  tcase_add_test(tc, test_answer_never_arrives);
  tcase_add_test(tc, test_wrong_state_and_bad_descriptions);
  tcase_add_test(tc, test_answers_browser_offers);
  tcase_add_test(tc, test_connect_and_deliver_under_loss);
  tcase_add_loop_test(tc, test_graceful_shutdown, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
