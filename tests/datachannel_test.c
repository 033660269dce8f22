/*
 * datachannel_test.c - DCEP messages, and data channels over two real
 * usrsctp associations in memory with fake time: every channel kind opened,
 * used and closed from either side, empty and maximum-size messages, order,
 * partial reliability under loss, 100 channels, buffered amount.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/datachannel.h>

#include "sctp_pair.h"
#include "suites.h"

/* ---- DCEP codec ----------------------------------------------------------- */

START_TEST(test_dcep_open_roundtrip_and_bytes) {
  sansrtc_dcep_open o;
  memset(&o, 0, sizeof o);
  o.channel_type = SANSRTC_DCEP_PARTIAL_RELIABLE_REXMIT | SANSRTC_DCEP_UNORDERED_BIT;
  o.priority = 256;
  o.reliability = 3;
  o.label = (const uint8_t *)"chat";
  o.label_len = 4;
  o.protocol = (const uint8_t *)"x";
  o.protocol_len = 1;
  uint8_t buf[64];
  int n = sansrtc_dcep_write_open(&o, buf, sizeof buf);
  ck_assert_int_eq(n, 17);
  static const uint8_t want[17] = {0x03, 0x81, 0x01, 0x00, 0, 0, 0, 3, 0, 4,
                                   0, 1, 'c', 'h', 'a', 't', 'x'};
  ck_assert_mem_eq(buf, want, 17);
  sansrtc_dcep_open back;
  ck_assert_int_eq(sansrtc_dcep_parse_open(&back, buf, 17), SANSRTC_OK);
  ck_assert_uint_eq(back.channel_type, 0x81);
  ck_assert_uint_eq(back.priority, 256);
  ck_assert_uint_eq(back.reliability, 3);
  ck_assert_uint_eq(back.label_len, 4);
  ck_assert_mem_eq(back.label, "chat", 4);
  ck_assert_uint_eq(back.protocol_len, 1);
  for (int cap = 0; cap < 17; cap++)
    ck_assert_int_eq(sansrtc_dcep_write_open(&o, buf, (size_t)cap),
                     SANSRTC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(test_dcep_hostile) {
  uint8_t m[40];
  memset(m, 0, sizeof m);
  m[0] = 0x03;
  sansrtc_dcep_open o;
  /* Every truncation of a 12-byte header fails, as do lengths past the end,
   * trailing bytes, unknown types and the wrong message type. */
  for (size_t len = 0; len < 12; len++)
    ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, len), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 12), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 13), SANSRTC_ERR_MALFORMED);
  m[9] = 5; /* label length 5, only 3 bytes follow */
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 15), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 17), SANSRTC_OK);
  m[10] = 0xFF; /* protocol length huge */
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 40), SANSRTC_ERR_MALFORMED);
  m[10] = 0;
  m[1] = 0x03;
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 17), SANSRTC_ERR_MALFORMED);
  m[1] = 0x82;
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 17), SANSRTC_OK);
  m[0] = 0x02;
  ck_assert_int_eq(sansrtc_dcep_parse_open(&o, m, 17), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dcep_parse_open(NULL, m, 17), SANSRTC_ERR_INVALID_ARGUMENT);
  /* Random bytes never crash and accepted ones stay inside the input. */
  uint32_t r = 5;
  for (int i = 0; i < 20000; i++) {
    uint8_t junk[48];
    size_t len = (r = r * 1664525u + 1013904223u) % sizeof junk;
    for (size_t k = 0; k < len; k++) junk[k] = (uint8_t)((r = r * 1664525u + 1013904223u) >> 24);
    if (len > 0 && i % 2) junk[0] = 0x03;
    if (sansrtc_dcep_parse_open(&o, junk, len) == SANSRTC_OK)
      ck_assert(o.protocol + o.protocol_len == junk + len);
  }
}
END_TEST

/* ---- two channel sets over a pair of associations ------------------------ */

typedef struct dc_peer {
  sansrtc_datachannels *set;
  sansrtc_dc_event *ev;
  uint8_t **data;
  size_t n, cap;
} dc_peer;

typedef struct dc_world {
  pair p;
  dc_peer peer[2];
} dc_world;

static void collect(dc_peer *d) {
  static uint8_t buf[1 << 20]; /* the largest message any test allows */
  sansrtc_dc_event ev;
  while (sansrtc_datachannels_poll_event(d->set, &ev, buf, sizeof buf) == 1) {
    if (d->n == d->cap) {
      d->cap = d->cap ? d->cap * 2 : 256;
      d->ev = realloc(d->ev, d->cap * sizeof *d->ev);
      d->data = realloc(d->data, d->cap * sizeof *d->data);
      ck_assert(d->ev != NULL && d->data != NULL);
    }
    d->ev[d->n] = ev;
    d->data[d->n] = NULL;
    if (ev.type == SANSRTC_DC_EVENT_MESSAGE) {
      d->data[d->n] = malloc(ev.len + 1);
      ck_assert_ptr_nonnull(d->data[d->n]);
      memcpy(d->data[d->n], buf, ev.len);
    }
    d->n++;
  }
}

static void world_hook(pair *p) {
  dc_world *w = p->hook_user;
  for (int i = 0; i < 2; i++) {
    if (w->peer[i].set == NULL) continue;
    ck_assert_int_eq(sansrtc_datachannels_process(w->peer[i].set), SANSRTC_OK);
    collect(&w->peer[i]);
  }
}

static void forget_events(dc_peer *d) {
  for (size_t i = 0; i < d->n; i++) free(d->data[i]);
  free(d->ev);
  free(d->data);
  d->ev = NULL;
  d->data = NULL;
  d->n = d->cap = 0;
}

static dc_world *world_new_sctp(uint32_t seed,
                                const sansrtc_datachannels_config *cfg0,
                                const sansrtc_sctp_config *sc0) {
  dc_world *w = calloc(1, sizeof *w);
  ck_assert_ptr_nonnull(w);
  sansrtc_sctp_config sc;
  if (sc0 != NULL) sc = *sc0;
  else sansrtc_sctp_config_default(&sc);
  pair_init(&w->p, seed, &sc);
  for (int i = 0; i < 2; i++) {
    sansrtc_datachannels_config cfg;
    if (cfg0 != NULL) cfg = *cfg0;
    else sansrtc_datachannels_config_default(&cfg);
    cfg.dtls_client = i == 0;
    ck_assert_int_eq(sansrtc_datachannels_new(&w->peer[i].set, w->p.a[i], &cfg), SANSRTC_OK);
  }
  w->p.leave_events = 1;
  w->p.hook = world_hook;
  w->p.hook_user = w;
  return w;
}

static dc_world *world_new(uint32_t seed, const sansrtc_datachannels_config *cfg0) {
  return world_new_sctp(seed, cfg0, NULL);
}

static void world_free(dc_world *w) {
  for (int i = 0; i < 2; i++) {
    forget_events(&w->peer[i]);
    sansrtc_datachannels_del(w->peer[i].set);
  }
  pair_free(&w->p);
  free(w);
}

/* A connected world (defaults for NULL configs) with one default channel
 * opened by side `opener` and acknowledged; its id goes to *id. */
static dc_world *world_with_channel(uint32_t seed,
                                    const sansrtc_datachannels_config *cfg,
                                    const sansrtc_sctp_config *sc, int opener,
                                    uint16_t *id) {
  dc_world *w = world_new_sctp(seed, cfg, sc);
  pair_connect(&w->p);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[opener].set, &init, id), SANSRTC_OK);
  run_for(&w->p, 100 * MS);
  return w;
}

/* Index of the first event of `type` on `id`, or -1. */
static int find_event(const dc_peer *d, sansrtc_dc_event_type type, uint16_t id) {
  for (size_t i = 0; i < d->n; i++)
    if (d->ev[i].type == type && d->ev[i].id == id) return (int)i;
  return -1;
}

static size_t count_events(const dc_peer *d, sansrtc_dc_event_type type) {
  size_t c = 0;
  for (size_t i = 0; i < d->n; i++) c += d->ev[i].type == type;
  return c;
}

START_TEST(test_open_send_close_every_kind) {
  static const struct {
    int ordered;
    int32_t rtx, ttl;
    int negotiated;
  } kinds[] = {{1, -1, -1, 0}, {0, -1, -1, 0}, {1, 2, -1, 0}, {0, 0, -1, 0},
               {1, -1, 500, 0}, {0, -1, 100, 0}, {1, -1, -1, 1}, {0, 3, -1, 1}};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    for (int opener = 0; opener < 2; opener++) {
      dc_world *w = world_new(10 + (uint32_t)k, NULL);
      sansrtc_dc_init init;
      sansrtc_dc_init_default(&init);
      init.label = "kind";
      init.protocol = "proto";
      init.ordered = kinds[k].ordered;
      init.max_retransmits = kinds[k].rtx;
      init.max_packet_lifetime_ms = kinds[k].ttl;
      uint16_t id = 0, peer_id = 0;
      if (kinds[k].negotiated) {
        init.negotiated = 1;
        init.id = 42;
        ck_assert_int_eq(sansrtc_dc_open(w->peer[1 - opener].set, &init, &peer_id), SANSRTC_OK);
      }
      /* Opened before the association is up: OPEN goes out when it is. */
      ck_assert_int_eq(sansrtc_dc_open(w->peer[opener].set, &init, &id), SANSRTC_OK);
      if (!kinds[k].negotiated) ck_assert_int_eq(id % 2, opener == 0 ? 0 : 1);
      /* And data sent at once is delivered after the channel opens. */
      ck_assert_int_eq(sansrtc_dc_send(w->peer[opener].set, id, (const uint8_t *)"early", 5, 0),
                       SANSRTC_OK);
      pair_connect(&w->p);
      run_for(&w->p, 500 * MS);
      dc_peer *me = &w->peer[opener], *them = &w->peer[1 - opener];
      ck_assert_int_ge(find_event(me, SANSRTC_DC_EVENT_OPEN, id), 0);
      if (!kinds[k].negotiated) {
        ck_assert_int_ge(find_event(them, SANSRTC_DC_EVENT_REMOTE_OPEN, id), 0);
        ck_assert_str_eq(sansrtc_dc_label(them->set, id), "kind");
        ck_assert_str_eq(sansrtc_dc_protocol(them->set, id), "proto");
      }
      int m = find_event(them, SANSRTC_DC_EVENT_MESSAGE, id);
      ck_assert_int_ge(m, 0);
      ck_assert_uint_eq(them->ev[m].len, 5);
      ck_assert_mem_eq(them->data[m], "early", 5);
      ck_assert_int_eq(them->ev[m].binary, 0);
      /* Binary, empty string and empty binary messages the other way. */
      ck_assert_int_eq(sansrtc_dc_send(them->set, id, (const uint8_t *)"\x01\x02", 2, 1), SANSRTC_OK);
      ck_assert_int_eq(sansrtc_dc_send(them->set, id, NULL, 0, 0), SANSRTC_OK);
      ck_assert_int_eq(sansrtc_dc_send(them->set, id, NULL, 0, 1), SANSRTC_OK);
      run_for(&w->p, 500 * MS);
      ck_assert_uint_eq(count_events(me, SANSRTC_DC_EVENT_MESSAGE), 3);
      int first = find_event(me, SANSRTC_DC_EVENT_MESSAGE, id);
      if (kinds[k].ordered) {
        ck_assert_uint_eq(me->ev[first].len, 2);
        ck_assert_int_eq(me->ev[first].binary, 1);
        ck_assert_uint_eq(me->ev[first + 1].len, 0);
        ck_assert_int_eq(me->ev[first + 1].binary, 0);
        ck_assert_uint_eq(me->ev[first + 2].len, 0);
        ck_assert_int_eq(me->ev[first + 2].binary, 1);
      }
      /* Close from the side that did not open. */
      ck_assert_int_eq(sansrtc_dc_close(them->set, id), SANSRTC_OK);
      run_for(&w->p, 1 * SEC);
      ck_assert_int_ge(find_event(them, SANSRTC_DC_EVENT_CLOSED, id), 0);
      ck_assert_int_ge(find_event(me, SANSRTC_DC_EVENT_CLOSING, id), 0);
      ck_assert_int_ge(find_event(me, SANSRTC_DC_EVENT_CLOSED, id), 0);
      ck_assert_ptr_null(sansrtc_dc_label(me->set, id));
      ck_assert_int_eq(sansrtc_dc_send(me->set, id, (const uint8_t *)"x", 1, 0),
                       SANSRTC_ERR_NOT_FOUND);
      world_free(w);
    }
  }
}
END_TEST

/* 1 MiB does not fit one message (the maximum is 256 KiB): it is refused
 * clearly; 256 KiB messages pass whole, and so does a 1 MiB stream of them. */
START_TEST(test_max_size_messages) {
  uint16_t id;
  dc_world *w = world_with_channel(30, NULL, NULL, 0, &id);
  uint8_t *big = malloc(1 << 20);
  ck_assert_ptr_nonnull(big);
  for (size_t i = 0; i < (1u << 20); i++) big[i] = (uint8_t)(i ^ (i >> 8));
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, big, 1 << 20, 1),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  for (int part = 0; part < 4; part++)
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, big + part * 262144, 262144, 1),
                     SANSRTC_OK);
  run_for(&w->p, 5 * SEC);
  dc_peer *r = &w->peer[1];
  ck_assert_uint_eq(count_events(r, SANSRTC_DC_EVENT_MESSAGE), 4);
  int part = 0;
  for (size_t i = 0; i < r->n; i++) {
    if (r->ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
    ck_assert_uint_eq(r->ev[i].len, 262144);
    ck_assert(memcmp(r->data[i], big + part * 262144, 262144) == 0);
    part++;
  }
  free(big);
  world_free(w);
}
END_TEST

/* 10,000 small messages on an ordered reliable channel, in order. */
START_TEST(test_ten_thousand_in_order) {
  uint16_t id;
  dc_world *w = world_with_channel(31, NULL, NULL, 1, &id);
  uint32_t next = 0;
  dc_peer *r = &w->peer[0];
  while (next < 10000) {
    for (int k = 0; k < 500 && next < 10000; k++, next++)
      ck_assert_int_eq(sansrtc_dc_send(w->peer[1].set, id, (const uint8_t *)&next, 4, 1),
                       SANSRTC_OK);
    run_for(&w->p, 50 * MS);
  }
  run_for(&w->p, 2 * SEC);
  uint32_t expect = 0;
  for (size_t i = 0; i < r->n; i++) {
    if (r->ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
    uint32_t v;
    memcpy(&v, r->data[i], 4);
    ck_assert_uint_eq(v, expect);
    expect++;
  }
  ck_assert_uint_eq(expect, 10000);
  world_free(w);
}
END_TEST

static uint64_t packets_out(const dc_world *w, int side) {
  sansrtc_sctp_stats st;
  sansrtc_sctp_get_stats(w->p.a[side], &st);
  return st.packets_out;
}

/* Sends 200 four-byte messages, all with sansrtc_dc_send or all but the
 * last with sansrtc_dc_send_more; returns the SCTP packets they took and
 * checks they all arrived in order. */
static uint64_t burst_packets(uint32_t seed, int more) {
  uint16_t id;
  dc_world *w = world_with_channel(seed, NULL, NULL, 0, &id);
  run_for(&w->p, 1 * SEC);
  uint64_t before = packets_out(w, 0);
  for (uint32_t i = 0; i < 200; i++) {
    int rc = more && i < 199 ? sansrtc_dc_send_more(w->peer[0].set, id, (const uint8_t *)&i, 4, 1)
                             : sansrtc_dc_send(w->peer[0].set, id, (const uint8_t *)&i, 4, 1);
    ck_assert_int_eq(rc, SANSRTC_OK);
  }
  uint64_t used = packets_out(w, 0) - before;
  run_for(&w->p, 1 * SEC);
  dc_peer *r = &w->peer[1];
  uint32_t expect = 0;
  for (size_t i = 0; i < r->n; i++) {
    if (r->ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
    uint32_t v;
    memcpy(&v, r->data[i], 4);
    ck_assert_uint_eq(v, expect);
    expect++;
  }
  ck_assert_uint_eq(expect, 200);
  world_free(w);
  return used;
}

/* A burst queued with send_more leaves in a few full packets when the
 * last message is sent, not one packet per message; messages queued with
 * send_more alone wait for a flush. */
START_TEST(test_send_more_bundles_small_messages) {
  uint64_t one_by_one = burst_packets(41, 0);
  uint64_t bundled = burst_packets(42, 1);
  ck_assert_uint_ge(one_by_one, 100);
  ck_assert_uint_le(bundled, 12);
  uint16_t id;
  dc_world *w = world_with_channel(43, NULL, NULL, 0, &id);
  run_for(&w->p, 1 * SEC);
  uint64_t before = packets_out(w, 0);
  ck_assert_int_eq(sansrtc_dc_send_more(w->peer[0].set, id, (const uint8_t *)"abc", 3, 0),
                   SANSRTC_OK);
  ck_assert_uint_eq(packets_out(w, 0), before);
  ck_assert_uint_eq(sansrtc_dc_buffered_amount(w->peer[0].set, id), 3);
  ck_assert_int_eq(sansrtc_datachannels_flush(w->peer[0].set), SANSRTC_OK);
  ck_assert_uint_eq(packets_out(w, 0), before + 1);
  ck_assert_int_eq(sansrtc_datachannels_flush(NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  world_free(w);
}
END_TEST

/* Unordered, unreliable channel under 25% loss: messages are lost, never
 * duplicated, and a reliable channel beside it loses nothing. */
START_TEST(test_unreliable_beside_reliable_under_loss) {
  dc_world *w = world_new(32, NULL);
  pair_connect(&w->p);
  sansrtc_dc_init lossy, safe;
  sansrtc_dc_init_default(&lossy);
  lossy.ordered = 0;
  lossy.max_retransmits = 0;
  sansrtc_dc_init_default(&safe);
  uint16_t a, b;
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &lossy, &a), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &safe, &b), SANSRTC_OK);
  run_for(&w->p, 200 * MS);
  w->p.loss_pct = 25;
  for (uint32_t i = 0; i < 1000; i++) {
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, a, (const uint8_t *)&i, 4, 1), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, b, (const uint8_t *)&i, 4, 1), SANSRTC_OK);
    if (i % 20 == 19) run_for(&w->p, 20 * MS);
  }
  run_for(&w->p, 120 * SEC);
  static char seen[1000];
  memset(seen, 0, sizeof seen);
  uint32_t got_a = 0, next_b = 0;
  dc_peer *r = &w->peer[1];
  for (size_t i = 0; i < r->n; i++) {
    if (r->ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
    uint32_t v;
    memcpy(&v, r->data[i], 4);
    if (r->ev[i].id == a) {
      ck_assert_int_eq(seen[v], 0);
      seen[v] = 1;
      got_a++;
    } else {
      ck_assert_uint_eq(v, next_b);
      next_b++;
    }
  }
  ck_assert_uint_eq(next_b, 1000);
  ck_assert_uint_gt(got_a, 500);
  ck_assert_uint_lt(got_a, 1000);
  world_free(w);
}
END_TEST

/* Large messages on channels that give up (by retransmissions, unordered,
 * and by lifetime, ordered) under loss: a message whose delivery was
 * abandoned half way is dropped whole, never glued to the next one
 * (regression: 200000-byte messages arrived as 131313 bytes). */
START_TEST(test_abandoned_large_messages_are_dropped_whole) {
  sansrtc_sctp_config sc;
  sansrtc_sctp_config_default(&sc);
  sc.receive_buffer = 256 * 1024; /* usrsctp delivers big messages in parts */
  dc_world *w = world_new_sctp(42 + (uint32_t)_i, NULL, &sc);
  pair_connect(&w->p);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  if (_i == 0) {
    init.ordered = 0;
    init.max_retransmits = 0;
  } else {
    init.max_packet_lifetime_ms = 100;
  }
  uint16_t id;
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id), SANSRTC_OK);
  run_for(&w->p, 200 * MS);
  w->p.loss_pct = 10;
  static uint8_t msg[200000];
  for (uint32_t i = 0; i < 40; i++) {
    memset(msg, (int)i, sizeof msg);
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, msg, sizeof msg, 1), SANSRTC_OK);
    run_for(&w->p, 50 * MS);
  }
  w->p.loss_pct = 0;
  run_for(&w->p, 30 * SEC);
  dc_peer *r = &w->peer[1];
  size_t got = 0;
  for (size_t i = 0; i < r->n; i++) {
    if (r->ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
    ck_assert_uint_eq(r->ev[i].len, sizeof msg);
    for (size_t k = 1; k < sizeof msg; k++) ck_assert_int_eq(r->data[i][k], r->data[i][0]);
    got++;
  }
  ck_assert_uint_lt(got, 40); /* at 10% loss of ~170 packets each, most give up */
  world_free(w);
}
END_TEST

/* 100 channels at once, 50 from each side, each carrying its own data. */
START_TEST(test_hundred_channels) {
  dc_world *w = world_new(33, NULL);
  pair_connect(&w->p);
  uint16_t ids[2][50];
  for (int side = 0; side < 2; side++)
    for (int k = 0; k < 50; k++) {
      sansrtc_dc_init init;
      sansrtc_dc_init_default(&init);
      init.label = side ? "odd" : "even";
      ck_assert_int_eq(sansrtc_dc_open(w->peer[side].set, &init, &ids[side][k]), SANSRTC_OK);
    }
  run_for(&w->p, 500 * MS);
  for (int side = 0; side < 2; side++) {
    ck_assert_uint_eq(count_events(&w->peer[side], SANSRTC_DC_EVENT_OPEN), 50);
    ck_assert_uint_eq(count_events(&w->peer[side], SANSRTC_DC_EVENT_REMOTE_OPEN), 50);
  }
  for (int side = 0; side < 2; side++)
    for (int k = 0; k < 50; k++)
      ck_assert_int_eq(sansrtc_dc_send(w->peer[side].set, ids[side][k],
                                       (const uint8_t *)&ids[side][k], 2, 1),
                       SANSRTC_OK);
  run_for(&w->p, 500 * MS);
  for (int side = 0; side < 2; side++) {
    dc_peer *r = &w->peer[1 - side];
    ck_assert_uint_eq(count_events(r, SANSRTC_DC_EVENT_MESSAGE), 50);
    for (size_t i = 0; i < r->n; i++) {
      if (r->ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
      uint16_t v;
      memcpy(&v, r->data[i], 2);
      ck_assert_uint_eq(v, r->ev[i].id); /* each message on its own channel */
    }
  }
  world_free(w);
}
END_TEST

/* Sends beyond what SCTP takes are buffered and counted; a limit refuses
 * more with an error; the low-threshold event fires as the buffer drains. */
START_TEST(test_buffered_amount_and_low_event) {
  sansrtc_datachannels_config cfg;
  sansrtc_datachannels_config_default(&cfg);
  cfg.max_buffered_per_channel = 3u * 1024 * 1024;
  uint16_t id;
  dc_world *w = world_with_channel(34, &cfg, NULL, 0, &id);
  ck_assert_int_eq(sansrtc_dc_set_buffered_amount_low_threshold(w->peer[0].set, id, 65536),
                   SANSRTC_OK);
  static uint8_t chunk[65536];
  int sent = 0, rc;
  while ((rc = sansrtc_dc_send(w->peer[0].set, id, chunk, sizeof chunk, 1)) == SANSRTC_OK)
    sent++;
  ck_assert_int_eq(rc, SANSRTC_ERR_LIMIT);
  ck_assert_int_gt(sent, 16); /* well past what usrsctp's 1 MiB buffer took */
  size_t buffered = sansrtc_dc_buffered_amount(w->peer[0].set, id);
  ck_assert_uint_gt(buffered, 1024 * 1024);
  ck_assert_uint_le(buffered, cfg.max_buffered_per_channel);
  ck_assert_int_lt(find_event(&w->peer[0], SANSRTC_DC_EVENT_BUFFERED_LOW, id), 0);
  run_for(&w->p, 20 * SEC);
  ck_assert_uint_eq(sansrtc_dc_buffered_amount(w->peer[0].set, id), 0);
  ck_assert_uint_eq(count_events(&w->peer[0], SANSRTC_DC_EVENT_BUFFERED_LOW), 1);
  ck_assert_uint_eq(count_events(&w->peer[1], SANSRTC_DC_EVENT_MESSAGE), (size_t)sent);
  world_free(w);
}
END_TEST

/* With SCTP's send buffer full, a new channel's OPEN and the peer's ACK
 * cannot be handed over at once: they wait (regression: they were dropped
 * and the channel never opened) and go out before the channel's data. */
START_TEST(test_dcep_waits_for_send_room) {
  uint16_t bulk, late, back;
  dc_world *w = world_with_channel(39, NULL, NULL, 0, &bulk);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[1].set, &init, &back), SANSRTC_OK);
  run_for(&w->p, 100 * MS);
  /* Fill both sides' SCTP send buffers (1 MiB) and queue more behind. */
  static uint8_t chunk[65536];
  for (int i = 0; i < 24; i++) {
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, bulk, chunk, sizeof chunk, 1), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dc_send(w->peer[1].set, back, chunk, sizeof chunk, 1), SANSRTC_OK);
  }
  ck_assert_uint_gt(sansrtc_dc_buffered_amount(w->peer[0].set, bulk), 0);
  init.label = "late";
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &late), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, late, (const uint8_t *)"after open", 10, 0),
                   SANSRTC_OK);
  ck_assert_uint_eq(sansrtc_dc_buffered_amount(w->peer[0].set, late), 10);
  run_for(&w->p, 30 * SEC);
  ck_assert_int_ge(find_event(&w->peer[0], SANSRTC_DC_EVENT_OPEN, late), 0);
  int remote = find_event(&w->peer[1], SANSRTC_DC_EVENT_REMOTE_OPEN, late);
  int msg = find_event(&w->peer[1], SANSRTC_DC_EVENT_MESSAGE, late);
  ck_assert_int_ge(remote, 0);
  ck_assert_int_gt(msg, remote);
  ck_assert_mem_eq(w->peer[1].data[msg], "after open", 10);
  ck_assert_str_eq(sansrtc_dc_label(w->peer[1].set, late), "late");
  ck_assert_uint_eq(sansrtc_dc_buffered_amount(w->peer[0].set, late), 0);
  ck_assert_uint_eq(count_events(&w->peer[0], SANSRTC_DC_EVENT_ERROR), 0);
  world_free(w);
}
END_TEST

/* Closing a channel delivers what was queued on it first (regression:
 * the queue was dropped and the messages lost). */
START_TEST(test_close_delivers_queued_messages) {
  uint16_t id;
  dc_world *w = world_with_channel(41, NULL, NULL, 0, &id);
  static uint8_t chunk[65536];
  for (int i = 0; i < 24; i++) {
    memset(chunk, i, sizeof chunk);
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, chunk, sizeof chunk, 1), SANSRTC_OK);
  }
  ck_assert_uint_gt(sansrtc_dc_buffered_amount(w->peer[0].set, id), 0);
  ck_assert_int_eq(sansrtc_dc_close(w->peer[0].set, id), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, chunk, 1, 1), SANSRTC_ERR_INVALID_STATE);
  run_for(&w->p, 30 * SEC);
  ck_assert_uint_eq(count_events(&w->peer[1], SANSRTC_DC_EVENT_MESSAGE), 24);
  int last = -1;
  for (size_t i = 0; i < w->peer[1].n; i++) {
    if (w->peer[1].ev[i].type != SANSRTC_DC_EVENT_MESSAGE) continue;
    ck_assert_uint_eq(w->peer[1].ev[i].len, sizeof chunk);
    ck_assert_int_eq(w->peer[1].data[i][0], last + 1);
    last = w->peer[1].data[i][0];
  }
  int closed = find_event(&w->peer[1], SANSRTC_DC_EVENT_CLOSED, id);
  ck_assert_int_gt(closed, find_event(&w->peer[1], SANSRTC_DC_EVENT_MESSAGE, id));
  ck_assert_int_ge(find_event(&w->peer[0], SANSRTC_DC_EVENT_CLOSED, id), 0);
  world_free(w);
}
END_TEST

START_TEST(test_arguments_and_ids) {
  dc_world *w = world_new(35, NULL);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint16_t id;
  init.max_retransmits = 1;
  init.max_packet_lifetime_ms = 1;
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_dc_init_default(&init);
  init.negotiated = 1;
  init.id = 5000;
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id), SANSRTC_ERR_INVALID_ARGUMENT);
  init.id = 7;
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id), SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, 99, (const uint8_t *)"x", 1, 0),
                   SANSRTC_ERR_NOT_FOUND);
  ck_assert_int_eq(sansrtc_dc_close(w->peer[0].set, 99), SANSRTC_ERR_NOT_FOUND);
  /* Closing before the association is up closes at once. */
  ck_assert_int_eq(sansrtc_dc_close(w->peer[0].set, 7), SANSRTC_OK);
  sansrtc_dc_event ev;
  uint8_t b[4];
  int closed = 0;
  while (sansrtc_datachannels_poll_event(w->peer[0].set, &ev, b, sizeof b) == 1)
    closed |= ev.type == SANSRTC_DC_EVENT_CLOSED && ev.id == 7;
  ck_assert(closed);
  ck_assert_int_eq(sansrtc_datachannels_new(NULL, w->p.a[0], NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  world_free(w);
}
END_TEST

/* The channel table grows as channels open and stops at max_channels:
 * one more is refused with LIMIT, and a closed slot is used again. */
START_TEST(test_channel_table_grows_to_its_limit) {
  sansrtc_datachannels_config cfg;
  sansrtc_datachannels_config_default(&cfg);
  cfg.max_channels = 6;
  dc_world *w = world_new(37, &cfg);
  pair_connect(&w->p);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint16_t id[7];
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id[i]), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id[6]), SANSRTC_ERR_LIMIT);
  run_for(&w->p, 1 * SEC);
  for (int i = 0; i < 6; i++) {
    ck_assert_int_ge(find_event(&w->peer[0], SANSRTC_DC_EVENT_OPEN, id[i]), 0);
    ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id[i], (const uint8_t *)"m", 1, 0),
                     SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_dc_close(w->peer[0].set, id[2]), SANSRTC_OK);
  run_for(&w->p, 1 * SEC);
  ck_assert_int_ge(find_event(&w->peer[0], SANSRTC_DC_EVENT_CLOSED, id[2]), 0);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &id[6]), SANSRTC_OK);
  run_for(&w->p, 1 * SEC);
  ck_assert_int_ge(find_event(&w->peer[0], SANSRTC_DC_EVENT_OPEN, id[6]), 0);
  ck_assert_uint_eq(count_events(&w->peer[1], SANSRTC_DC_EVENT_MESSAGE), 6);
  world_free(w);
}
END_TEST

/* With a 1 MiB a=max-message-size on both sides, 1 MiB messages pass whole;
 * a peer limit below ours bounds what we may send. */
START_TEST(test_one_mebibyte_message_and_remote_limit) {
  sansrtc_sctp_config sc;
  sansrtc_sctp_config_default(&sc);
  sc.max_message_size = 1 << 20;
  sc.receive_buffer = 4u << 20;
  sc.send_buffer = 4u << 20;
  uint16_t id;
  dc_world *w = world_with_channel(36, NULL, &sc, 0, &id);
  uint8_t *big = malloc(1 << 20);
  ck_assert_ptr_nonnull(big);
  for (size_t i = 0; i < (1u << 20); i++) big[i] = (uint8_t)(i * 13 + (i >> 12));
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, big, 1 << 20, 1), SANSRTC_OK);
  run_for(&w->p, 10 * SEC);
  int m = find_event(&w->peer[1], SANSRTC_DC_EVENT_MESSAGE, id);
  ck_assert_int_ge(m, 0);
  ck_assert_uint_eq(w->peer[1].ev[m].len, 1u << 20);
  ck_assert(memcmp(w->peer[1].data[m], big, 1 << 20) == 0);
  world_free(w);

  sc.remote_max_message_size = 65536; /* the peer's SDP said 64 KiB */
  w = world_with_channel(37, NULL, &sc, 0, &id);
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, big, 65537, 1),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_dc_send(w->peer[0].set, id, big, 65536, 1), SANSRTC_OK);
  free(big);
  world_free(w);
}
END_TEST

/* An association that fails under open channels reports ERROR, then
 * CLOSING and CLOSED, on each of them. */
START_TEST(test_association_abort_fails_channels) {
  dc_world *w = world_new(38, NULL);
  pair_connect(&w->p);
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  uint16_t a, b;
  ck_assert_int_eq(sansrtc_dc_open(w->peer[0].set, &init, &a), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_open(w->peer[1].set, &init, &b), SANSRTC_OK);
  run_for(&w->p, 200 * MS);
  ck_assert_int_eq(sansrtc_sctp_abort(w->p.a[1], w->p.now), SANSRTC_OK);
  run_for(&w->p, 1 * SEC);
  for (int side = 0; side < 2; side++) {
    dc_peer *d = &w->peer[side];
    uint16_t ids[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      int e = find_event(d, SANSRTC_DC_EVENT_ERROR, ids[k]);
      int c = find_event(d, SANSRTC_DC_EVENT_CLOSED, ids[k]);
      ck_assert_int_ge(e, 0);
      ck_assert_int_gt(c, e);
    }
  }
  world_free(w);
}
END_TEST

Suite *datachannel_suite(void) {
  Suite *s = suite_create("datachannel");
  TCase *tc = tcase_create("datachannel");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_dcep_open_roundtrip_and_bytes);
  tcase_add_test(tc, test_dcep_hostile);
  tcase_add_test(tc, test_open_send_close_every_kind);
  tcase_add_test(tc, test_max_size_messages);
  tcase_add_test(tc, test_ten_thousand_in_order);
  tcase_add_test(tc, test_send_more_bundles_small_messages);
  tcase_add_test(tc, test_unreliable_beside_reliable_under_loss);
  tcase_add_test(tc, test_hundred_channels);
  tcase_add_test(tc, test_buffered_amount_and_low_event);
  tcase_add_test(tc, test_dcep_waits_for_send_room);
  tcase_add_test(tc, test_close_delivers_queued_messages);
  tcase_add_loop_test(tc, test_abandoned_large_messages_are_dropped_whole, 0, 2);
  tcase_add_test(tc, test_arguments_and_ids);
  tcase_add_test(tc, test_channel_table_grows_to_its_limit);
  tcase_add_test(tc, test_one_mebibyte_message_and_remote_limit);
  tcase_add_test(tc, test_association_abort_fails_channels);
  suite_add_tcase(s, tc);
  return s;
}
