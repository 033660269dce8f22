/*
 * libFuzzer target for the feedback consumers: the input is given as
 * received RTCP to a TWCC sender that has sent packets (results must
 * name sent packets only and the counters must add up) and to an RTP
 * statistics object whose local and remote SSRCs are taken from the
 * input so that its SRs and report blocks are used (its report must
 * still be written and parse). The same bytes, read as (sequence number,
 * time step) pairs, drive a TWCC receiver whose feedback must parse,
 * stay within the MTU and be accepted by the sender. Aborts on any
 * violation.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtcp.h>
#include <sansrtc/rtp_stats.h>
#include <sansrtc/twcc.h>

#define SENT 200u
#define MTU 300u

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int zero_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  memset(buf, 0, len);
  return 0;
}

static void drain_results(sansrtc_twcc_sender *s) {
  sansrtc_twcc_result r;
  while (sansrtc_twcc_sender_poll_result(s, &r) == 1) {
    if (r.seq_unwrapped >= SENT || r.size != r.seq_unwrapped) abort();
    if (r.seq != (uint16_t)(0xFFC0u + r.seq_unwrapped)) abort();
  }
  sansrtc_twcc_sender_stats st;
  if (sansrtc_twcc_sender_get_stats(s, &st) != SANSRTC_OK) abort();
  if (st.received + st.lost > 128) abort(); /* the history */
}

static sansrtc_twcc_sender *make_sender(void) {
  sansrtc_twcc_sender_config cfg;
  sansrtc_twcc_sender_config_default(&cfg);
  cfg.history = 128;
  cfg.max_results = 64; /* small: exercise dropping */
  cfg.first_seq = 0xFFC0u;
  sansrtc_twcc_sender *s = NULL;
  if (sansrtc_twcc_sender_new(&s, &cfg) != SANSRTC_OK) abort();
  for (unsigned i = 0; i < SENT; i++) {
    uint16_t seq;
    if (sansrtc_twcc_sender_on_send(s, i, i * 1000000ull, &seq) != SANSRTC_OK)
      abort();
  }
  return s;
}

static void check_rc(int rc) {
  if (rc != SANSRTC_OK && rc != SANSRTC_ERR_MALFORMED) abort();
}

static void fuzz_stats(const uint8_t *data, size_t size) {
  sansrtc_rtp_stats_config cfg;
  sansrtc_rtp_stats_config_default(&cfg);
  cfg.cname = "fuzz";
  cfg.random_fn = zero_random;
  sansrtc_rtp_stats *s = NULL;
  if (sansrtc_rtp_stats_new(&s, &cfg, 0) != SANSRTC_OK) abort();
  sansrtc_rtp_stats_local_config lc = {size >= 12 ? be32(data + 8) : 1, 90000,
                                       0, 0};
  (void)sansrtc_rtp_stats_add_local(s, &lc);
  (void)sansrtc_rtp_stats_add_remote(s, size >= 8 ? be32(data + 4) : 2, 48000);
  for (uint16_t i = 0; i < 3; i++)
    (void)sansrtc_rtp_stats_on_received(s, size >= 8 ? be32(data + 4) : 2, i,
                                        i * 960u, i * 20000000ull);
  check_rc(sansrtc_rtp_stats_on_rtcp(s, data, size, 5000000000ull));
  uint8_t out[1500];
  size_t len;
  if (sansrtc_rtp_stats_write_report(s, out, sizeof out, 6000000000ull, &len) !=
      SANSRTC_OK)
    abort();
  if (sansrtc_rtcp_validate(out, len) != SANSRTC_OK) abort();
  sansrtc_rtp_local_stats ls;
  if (sansrtc_rtp_stats_local_get(s, lc.ssrc, &ls) != SANSRTC_OK) abort();
  if (ls.has_rtt && ls.rtt > 32768ull * 1000000000ull) abort();
  sansrtc_rtp_stats_del(s);
}

/* One feedback packet from the receiver: parse it, give it to `s`. */
static void check_feedback(sansrtc_twcc_sender *s, const uint8_t *fb,
                           size_t len) {
  if (len > MTU) abort();
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_twcc t;
  sansrtc_rtcp_iter_init(&it, fb, len);
  if (sansrtc_rtcp_iter_next(&it, &h) != 1 || h.packet.len != len) abort();
  if (sansrtc_rtcp_parse_twcc(&h, &t) != SANSRTC_OK) abort();
  if (sansrtc_twcc_sender_on_rtcp(s, fb, len, 0) != SANSRTC_OK) abort();
}

static void fuzz_receiver(sansrtc_twcc_sender *s, const uint8_t *data,
                          size_t size) {
  sansrtc_twcc_receiver_config cfg;
  sansrtc_twcc_receiver_config_default(&cfg);
  cfg.history = 256;
  cfg.max_pending = 32;
  cfg.mtu = MTU;
  sansrtc_twcc_receiver *r = NULL;
  if (sansrtc_twcc_receiver_new(&r, &cfg) != SANSRTC_OK) abort();
  sansrtc_tstamp now = 0;
  uint8_t fb[MTU];
  size_t len;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    uint16_t seq = (uint16_t)(0xFFC0u + (data[i] << 8 | data[i + 1]) % 300u);
    now += (sansrtc_tstamp)data[i + 2] * 1000000ull * (data[i + 2] > 250 ? 97
                                                                         : 1);
    if (sansrtc_twcc_receiver_on_packet(r, 1, seq, now) != SANSRTC_OK) abort();
    if (sansrtc_twcc_receiver_handle_timeout(r, now) != SANSRTC_OK) abort();
    while (sansrtc_twcc_receiver_poll_feedback(r, fb, sizeof fb, &len) == 1)
      check_feedback(s, fb, len);
  }
  (void)sansrtc_twcc_receiver_handle_timeout(r, SANSRTC_TSTAMP_NEVER - 1);
  while (sansrtc_twcc_receiver_poll_feedback(r, fb, sizeof fb, &len) == 1)
    check_feedback(s, fb, len);
  if (sansrtc_twcc_receiver_next_deadline(r) != SANSRTC_TSTAMP_NEVER) abort();
  sansrtc_twcc_receiver_del(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sansrtc_twcc_sender *s = make_sender();
  check_rc(sansrtc_twcc_sender_on_rtcp(s, data, size, 0));
  drain_results(s);
  sansrtc_twcc_sender_del(s);
  fuzz_stats(data, size);
  s = make_sender();
  fuzz_receiver(s, data, size);
  drain_results(s);
  sansrtc_twcc_sender_del(s);
  return 0;
}
