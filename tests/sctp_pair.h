/*
 * sctp_pair.h - test harness: two sansrtc_sctp associations joined by an
 * in-memory link with delay, seeded loss and fake time (tests only).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_TESTS_SCTP_PAIR_H
#define SANSRTC_TESTS_SCTP_PAIR_H

#include <sansrtc/sctp.h>

#define MS SANSRTC_MILLISECONDS
#define SEC SANSRTC_SECONDS

typedef struct pkt {
  int to;
  sansrtc_tstamp at;
  size_t len;
  uint8_t data[1200];
} pkt;

typedef struct pair pair;
struct pair {
  sansrtc_sctp *a[2];
  pkt *q;
  size_t n, cap;
  sansrtc_tstamp now, delay;
  uint32_t rng;
  unsigned loss_pct;
  int connected[2], closed[2];
  int resets_in[2], resets_out[2];
  /* Data channel tests: leave the associations' events to their layer and
   * run `hook` after every step. */
  int leave_events;
  void (*hook)(struct pair *p);
  void *hook_user;
};

/* Creates both associations from `cfg` (not connected yet). */
void pair_init(pair *p, uint32_t seed, const sansrtc_sctp_config *cfg);
void pair_free(pair *p);
/* Moves queued packets onto the link (with loss) and records events. */
void pair_drain(pair *p);
/* Delivers what is due and runs deadlines; 0 once `until` is reached. */
int pair_step(pair *p, sansrtc_tstamp until);
void run_for(pair *p, sansrtc_tstamp d);
/* Connects both associations of an initialised pair and runs until both
 * are up. */
void pair_connect(pair *p);
/* pair_init (NULL cfg: defaults) then pair_connect. */
void connect_pair(pair *p, uint32_t seed, const sansrtc_sctp_config *cfg);

#endif
