/*
 * sctp_pair.c - the in-memory SCTP link of sctp_pair.h (tests only).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sctp_pair.h"
#include "test_clock.h"

static uint32_t pair_rand(pair *p) {
  p->rng = p->rng * 1664525u + 1013904223u;
  return p->rng >> 8;
}

void pair_init(pair *p, uint32_t seed, const sansrtc_sctp_config *cfg) {
  memset(p, 0, sizeof *p);
  p->rng = seed;
  p->delay = 5 * MS;
  p->now = 1 * SEC;
  test_clock_follow(p->now);
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(sansrtc_sctp_new(&p->a[i], cfg), SANSRTC_OK);
}

void pair_free(pair *p) {
  sansrtc_sctp_del(p->a[0]);
  sansrtc_sctp_del(p->a[1]);
  free(p->q);
}

static void record_events(pair *p) {
  if (p->hook != NULL) p->hook(p);
  for (int i = 0; i < 2 && !p->leave_events; i++) {
    sansrtc_sctp_event ev;
    while (p->a[i] != NULL && sansrtc_sctp_poll_event(p->a[i], &ev) == 1) {
      if (ev.type == SANSRTC_SCTP_EVENT_CONNECTED) p->connected[i]++;
      if (ev.type == SANSRTC_SCTP_EVENT_CLOSED) p->closed[i]++;
      if (ev.type == SANSRTC_SCTP_EVENT_STREAM_RESET) {
        if (ev.incoming)
          p->resets_in[i]++;
        else
          p->resets_out[i]++;
      }
    }
  }
}

void pair_drain(pair *p) {
  for (int i = 0; i < 2; i++) {
    if (p->a[i] == NULL) continue;
    pkt k;
    while (sansrtc_sctp_poll_transmit(p->a[i], k.data, sizeof k.data, &k.len) == 1) {
      if (p->loss_pct && pair_rand(p) % 100 < p->loss_pct) continue;
      if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->q = realloc(p->q, p->cap * sizeof *p->q);
        ck_assert_ptr_nonnull(p->q);
      }
      k.to = 1 - i;
      k.at = p->now + p->delay;
      p->q[p->n++] = k;
    }
  }
  record_events(p);
}

/* Delivers what is due, runs timers; returns 0 once `until` is reached. */
int pair_step(pair *p, sansrtc_tstamp until) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  for (size_t k = 0; k < p->n; k++)
    if (p->q[k].at < t) t = p->q[k].at;
  for (int i = 0; i < 2; i++) {
    sansrtc_tstamp d = p->a[i] ? sansrtc_sctp_next_deadline(p->a[i])
                               : SANSRTC_TSTAMP_NEVER;
    if (d < t) t = d;
  }
  if (t > until) {
    p->now = until;
    return 0;
  }
  if (t > p->now) p->now = t;
  test_clock_follow(p->now);
  /* Deliver every packet due now, in queue order. */
  size_t k = 0;
  while (k < p->n) {
    if (p->q[k].at <= p->now) {
      pkt x = p->q[k];
      memmove(&p->q[k], &p->q[k + 1], (p->n - k - 1) * sizeof x);
      p->n--;
      if (p->a[x.to] != NULL)
        ck_assert_int_eq(sansrtc_sctp_handle_packet(p->a[x.to], x.data, x.len, p->now),
                         SANSRTC_OK);
    } else {
      k++;
    }
  }
  for (int i = 0; i < 2; i++)
    if (p->a[i] != NULL && sansrtc_sctp_next_deadline(p->a[i]) <= p->now)
      sansrtc_sctp_handle_timeout(p->a[i], p->now);
  pair_drain(p);
  return 1;
}

void run_for(pair *p, sansrtc_tstamp d) {
  sansrtc_tstamp until = p->now + d;
  pair_drain(p);
  while (pair_step(p, until)) {
  }
}

void pair_connect(pair *p) {
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(sansrtc_sctp_connect(p->a[i], p->now), SANSRTC_OK);
  sansrtc_tstamp until = p->now + 30 * SEC;
  pair_drain(p);
  while (!(sansrtc_sctp_is_connected(p->a[0]) &&
           sansrtc_sctp_is_connected(p->a[1])) &&
         pair_step(p, until)) {
  }
  ck_assert(sansrtc_sctp_is_connected(p->a[0]));
  ck_assert(sansrtc_sctp_is_connected(p->a[1]));
  if (!p->leave_events) {
    ck_assert_int_eq(p->connected[0], 1);
    ck_assert_int_eq(p->connected[1], 1);
  }
}

void connect_pair(pair *p, uint32_t seed, const sansrtc_sctp_config *cfg) {
  sansrtc_sctp_config def;
  if (cfg == NULL) {
    sansrtc_sctp_config_default(&def);
    cfg = &def;
  }
  pair_init(p, seed, cfg);
  pair_connect(p);
}
