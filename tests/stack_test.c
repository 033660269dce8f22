/*
 * stack_test.c - the data-channel stack end to end in memory: DTLS carries
 * SCTP, SCTP carries data channels, between two peers over a lossy link
 * with fake time. Checks the layers fit (record sizes, ordering of
 * handshakes, held data) and measures setup in round trips.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/datachannel.h>
#include <sansrtc/dtls.h>
#include <sansrtc/sctp.h>

#include "suites.h"
#include "test_clock.h"

#define MS SANSRTC_MILLISECONDS
#define SEC SANSRTC_SECONDS

typedef struct peer {
  sansrtc_dtls_cert *cert;
  sansrtc_dtls *dtls;
  sansrtc_sctp *sctp;
  sansrtc_datachannels *dc;
  int sctp_started;
  int opened, messages;
  uint8_t last[64];
  size_t last_len;
} peer;

typedef struct wire {
  int to;
  sansrtc_tstamp at;
  size_t len;
  uint8_t data[1500];
} wire;

typedef struct stack {
  peer p[2];
  wire q[512];
  size_t n;
  sansrtc_tstamp now, delay;
  uint32_t rng;
  unsigned loss_pct;
} stack;

static void stack_init(stack *s, uint32_t seed) {
  memset(s, 0, sizeof *s);
  s->rng = seed;
  s->delay = 10 * MS; /* 20 ms round trip */
  test_clock_follow(s->now);
  for (int i = 0; i < 2; i++) {
    peer *p = &s->p[i];
    ck_assert_int_eq(sansrtc_dtls_cert_generate(&p->cert, 1795000000), SANSRTC_OK);
    sansrtc_dtls_config dc;
    sansrtc_dtls_config_default(&dc);
    dc.role = i == 0 ? SANSRTC_DTLS_CLIENT : SANSRTC_DTLS_SERVER;
    dc.cert = p->cert;
    ck_assert_int_eq(sansrtc_dtls_new(&p->dtls, &dc), SANSRTC_OK);
    sansrtc_sctp_config sc;
    sansrtc_sctp_config_default(&sc);
    ck_assert_int_eq(sansrtc_sctp_new(&p->sctp, &sc), SANSRTC_OK);
    sansrtc_datachannels_config cc;
    sansrtc_datachannels_config_default(&cc);
    cc.dtls_client = i == 0;
    ck_assert_int_eq(sansrtc_datachannels_new(&p->dc, p->sctp, &cc), SANSRTC_OK);
  }
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                         s->p[i].dtls, "sha-256",
                         sansrtc_dtls_cert_fingerprint(s->p[1 - i].cert), 0),
                     SANSRTC_OK);
}

static void stack_free(stack *s) {
  for (int i = 0; i < 2; i++) {
    peer *p = &s->p[i];
    sansrtc_datachannels_del(p->dc);
    sansrtc_sctp_del(p->sctp);
    sansrtc_dtls_del(p->dtls);
    sansrtc_dtls_cert_free(p->cert);
  }
}

/* Moves data up and down one peer's layers, and its datagrams to the wire. */
static void pump(stack *s, int i) {
  peer *p = &s->p[i];
  uint8_t buf[16384];
  size_t len;
  /* Packets first, connect after: the association must cope with the
   * peer's INIT arriving before its own connect (regression: it used to
   * answer it as out of the blue and never come up). */
  while (sansrtc_dtls_poll_data(p->dtls, buf, sizeof buf, &len) == 1) {
    sansrtc_sctp_handle_packet(p->sctp, buf, len, s->now);
    p->sctp_started = 1;
  }
  if (!p->sctp_started &&
      sansrtc_dtls_get_state(p->dtls) == SANSRTC_DTLS_STATE_CONNECTED) {
    p->sctp_started = 1;
    sansrtc_sctp_connect(p->sctp, s->now);
  }
  sansrtc_datachannels_process(p->dc);
  while (sansrtc_sctp_poll_transmit(p->sctp, buf, sizeof buf, &len) == 1) {
    ck_assert_uint_le(len, sansrtc_dtls_max_payload(p->dtls));
    ck_assert_int_eq(sansrtc_dtls_send(p->dtls, buf, len), SANSRTC_OK);
  }
  sansrtc_dc_event ev;
  while (sansrtc_datachannels_poll_event(p->dc, &ev, buf, sizeof buf) == 1) {
    if (ev.type == SANSRTC_DC_EVENT_OPEN || ev.type == SANSRTC_DC_EVENT_REMOTE_OPEN)
      p->opened++;
    if (ev.type == SANSRTC_DC_EVENT_MESSAGE) {
      p->messages++;
      p->last_len = ev.len < sizeof p->last ? ev.len : sizeof p->last;
      memcpy(p->last, buf, p->last_len);
    }
  }
  while (sansrtc_dtls_poll_transmit(p->dtls, buf, sizeof buf, &len) == 1) {
    s->rng = s->rng * 1664525u + 1013904223u;
    if (s->loss_pct && (s->rng >> 8) % 100 < s->loss_pct) continue;
    ck_assert_uint_lt(s->n, sizeof s->q / sizeof s->q[0]);
    wire *w = &s->q[s->n++];
    w->to = 1 - i;
    w->at = s->now + s->delay;
    w->len = len;
    memcpy(w->data, buf, len);
  }
}

static sansrtc_tstamp peer_deadline(const peer *p) {
  sansrtc_tstamp a = sansrtc_dtls_next_deadline(p->dtls);
  sansrtc_tstamp b = sansrtc_sctp_next_deadline(p->sctp);
  return a < b ? a : b;
}

static int stack_step(stack *s, sansrtc_tstamp until) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  size_t best = s->n;
  for (size_t k = 0; k < s->n; k++)
    if (s->q[k].at < t) t = s->q[k].at, best = k;
  for (int i = 0; i < 2; i++) {
    sansrtc_tstamp d = peer_deadline(&s->p[i]);
    if (d < t) t = d, best = s->n;
  }
  if (t > until) {
    s->now = until;
    return 0;
  }
  if (t > s->now) s->now = t;
  test_clock_follow(s->now);
  if (best < s->n) {
    wire w = s->q[best];
    memmove(&s->q[best], &s->q[best + 1], (s->n - best - 1) * sizeof w);
    s->n--;
    peer *p = &s->p[w.to];
    if (sansrtc_packet_classify(w.data, w.len) == SANSRTC_PACKET_DTLS)
      (void)sansrtc_dtls_handle_datagram(p->dtls, w.data, w.len, s->now);
  }
  for (int i = 0; i < 2; i++) {
    peer *p = &s->p[i];
    if (sansrtc_dtls_next_deadline(p->dtls) <= s->now)
      sansrtc_dtls_handle_timeout(p->dtls, s->now);
    if (sansrtc_sctp_next_deadline(p->sctp) <= s->now)
      sansrtc_sctp_handle_timeout(p->sctp, s->now);
  }
  for (int i = 0; i < 2; i++) pump(s, i);
  return 1;
}

/* Runs until the answerer got the offerer's first message. */
static void open_and_exchange(stack *s) {
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  init.label = "chat";
  uint16_t id;
  ck_assert_int_eq(sansrtc_dc_open(s->p[0].dc, &init, &id), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dc_send(s->p[0].dc, id, (const uint8_t *)"hi there", 8, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_start(s->p[0].dtls, s->now), SANSRTC_OK);
  for (int i = 0; i < 2; i++) pump(s, i);
  while (s->p[1].messages == 0 && stack_step(s, 120 * SEC)) {
  }
  sansrtc_sctp_stats st0, st1;
  sansrtc_sctp_get_stats(s->p[0].sctp, &st0);
  sansrtc_sctp_get_stats(s->p[1].sctp, &st1);
  ck_assert_msg(s->p[1].messages == 1,
                "no message by %llu ms: dtls %s/%s (%s/%s), sctp %d/%d "
                "packets %llu/%llu in, %llu/%llu out",
                (unsigned long long)(s->now / MS),
                sansrtc_dtls_state_name(sansrtc_dtls_get_state(s->p[0].dtls)),
                sansrtc_dtls_state_name(sansrtc_dtls_get_state(s->p[1].dtls)),
                sansrtc_dtls_error_text(s->p[0].dtls),
                sansrtc_dtls_error_text(s->p[1].dtls),
                sansrtc_sctp_is_connected(s->p[0].sctp),
                sansrtc_sctp_is_connected(s->p[1].sctp),
                (unsigned long long)st0.packets_in, (unsigned long long)st1.packets_in,
                (unsigned long long)st0.packets_out, (unsigned long long)st1.packets_out);
  ck_assert_uint_eq(s->p[1].last_len, 8);
  ck_assert_mem_eq(s->p[1].last, "hi there", 8);
  ck_assert_int_eq(s->p[1].opened, 1);
}

/* Lossless, 20 ms round trip: DTLS takes two round trips, SCTP two more
 * (INIT, COOKIE), and the first message rides with the DCEP OPEN. */
START_TEST(test_stack_setup_round_trips) {
  stack s;
  stack_init(&s, 1);
  open_and_exchange(&s);
  ck_assert_uint_le(s.now, 4 * 20 * MS + 15 * MS);
  /* And the answer comes back. */
  ck_assert_int_eq(sansrtc_dc_send(s.p[1].dc, 0, (const uint8_t *)"hello", 5, 0), SANSRTC_OK);
  sansrtc_tstamp until = s.now + 1 * SEC;
  while (s.p[0].messages == 0 && stack_step(&s, until)) {
  }
  ck_assert_int_eq(s.p[0].messages, 1);
  ck_assert_mem_eq(s.p[0].last, "hello", 5);
  stack_free(&s);
}
END_TEST

START_TEST(test_stack_under_loss) {
  for (uint32_t seed = 1; seed <= 20; seed++) {
    stack s;
    stack_init(&s, seed);
    s.loss_pct = 20;
    open_and_exchange(&s);
    stack_free(&s);
  }
}
END_TEST

Suite *stack_suite(void) {
  Suite *s = suite_create("stack");
  TCase *tc = tcase_create("stack");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_stack_setup_round_trips);
  tcase_add_test(tc, test_stack_under_loss);
  suite_add_tcase(s, tc);
  return s;
}
