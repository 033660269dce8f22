/*
 * libFuzzer target for the RTCP compound parser. Every input is iterated;
 * each packet found is classified and given to every parser; accepted
 * packets have their views checked against the input, their arrays and
 * iterators walked to the end (which must not fail after a successful
 * parse), and are written again from the parsed values, which must parse
 * to the same values. Aborts on any violation.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/rtcp.h>

static const uint8_t *g_data;
static size_t g_size;
static uint8_t out[1 << 19];

static void check_view(sansrtc_rtcp_bytes b) {
  if (b.len > 0 && (b.data < g_data || b.data + b.len > g_data + g_size))
    abort();
}

static void one_packet(const uint8_t *p, size_t n, sansrtc_rtcp_header *h) {
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_iter_init(&it, p, n);
  if (sansrtc_rtcp_iter_next(&it, h) != 1 || h->packet.len != n) abort();
}

static void fuzz_reports(const sansrtc_rtcp_reports *r, uint32_t ssrc,
                         const sansrtc_rtcp_sr *sr) {
  static sansrtc_rtcp_report rep[31];
  check_view(r->blocks);
  for (size_t i = 0; i < r->count; i++)
    if (sansrtc_rtcp_report_get(r, i, &rep[i]) != SANSRTC_OK) abort();
  size_t len;
  if (sr != NULL) {
    sansrtc_rtcp_sr_desc d = {
        ssrc, sr->ntp, sr->rtp_timestamp, sr->packet_count, sr->octet_count,
        rep,  r->count};
    if (sansrtc_rtcp_write_sr(out, sizeof out, &d, &len) != SANSRTC_OK) abort();
  } else {
    sansrtc_rtcp_rr_desc d = {ssrc, rep, r->count};
    if (sansrtc_rtcp_write_rr(out, sizeof out, &d, &len) != SANSRTC_OK) abort();
  }
  sansrtc_rtcp_header h;
  one_packet(out, len, &h);
  sansrtc_rtcp_rr rr;
  sansrtc_rtcp_sr sr2;
  const sansrtc_rtcp_reports *again;
  if (sr != NULL) {
    if (sansrtc_rtcp_parse_sr(&h, &sr2) != SANSRTC_OK || sr2.ntp != sr->ntp)
      abort();
    again = &sr2.reports;
  } else {
    if (sansrtc_rtcp_parse_rr(&h, &rr) != SANSRTC_OK) abort();
    again = &rr.reports;
  }
  sansrtc_rtcp_report x;
  for (size_t i = 0; i < r->count; i++) {
    if (sansrtc_rtcp_report_get(again, i, &x) != SANSRTC_OK ||
        x.cumulative_lost != rep[i].cumulative_lost || x.ssrc != rep[i].ssrc)
      abort();
  }
}

static void fuzz_sdes(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_sdes s;
  if (sansrtc_rtcp_parse_sdes(h, &s) != SANSRTC_OK) return;
  size_t off = 0, chunks = 0;
  sansrtc_rtcp_sdes_chunk c;
  int rc;
  while ((rc = sansrtc_rtcp_sdes_next_chunk(&s, &off, &c)) == 1) {
    check_view(c.items);
    size_t ioff = 0;
    sansrtc_rtcp_sdes_item it;
    int irc;
    while ((irc = sansrtc_rtcp_sdes_next_item(&c, &ioff, &it)) == 1)
      check_view((sansrtc_rtcp_bytes){it.data, it.len});
    if (irc != 0) abort();
    sansrtc_rtcp_bytes cname;
    (void)sansrtc_rtcp_sdes_cname(&s, c.ssrc, &cname);
    chunks++;
  }
  if (rc != 0 || chunks != s.chunk_count) abort();
}

static void fuzz_bye(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_bye b;
  if (sansrtc_rtcp_parse_bye(h, &b) != SANSRTC_OK) return;
  check_view(b.ssrcs);
  check_view(b.reason);
  uint32_t ssrcs[31];
  for (size_t i = 0; i < b.ssrc_count; i++)
    ssrcs[i] = sansrtc_rtcp_bye_ssrc(&b, i);
  sansrtc_rtcp_bye_desc d = {ssrcs, b.ssrc_count,
                             b.has_reason ? b.reason.data : NULL,
                             b.has_reason ? b.reason.len : 0};
  if (b.has_reason && d.reason == NULL) d.reason = (const uint8_t *)"";
  size_t len;
  if (sansrtc_rtcp_write_bye(out, sizeof out, &d, &len) != SANSRTC_OK) abort();
  sansrtc_rtcp_header h2;
  one_packet(out, len, &h2);
  sansrtc_rtcp_bye b2;
  if (sansrtc_rtcp_parse_bye(&h2, &b2) != SANSRTC_OK ||
      b2.ssrc_count != b.ssrc_count || b2.reason.len != b.reason.len)
    abort();
}

static void fuzz_nack(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_nack n;
  if (sansrtc_rtcp_parse_nack(h, &n) != SANSRTC_OK) return;
  static uint16_t lost[17 * 16384], again[17 * 16384];
  size_t count, count2, len;
  if (sansrtc_rtcp_nack_lost(&n, lost, 17 * 16384, &count) != SANSRTC_OK)
    abort();
  /* Expanded lists are not always ascending (pairs may overlap or go
   * backwards); the writer must still cover exactly the same numbers. */
  sansrtc_rtcp_nack_desc d = {n.sender_ssrc, n.media_ssrc, lost, count};
  if (sansrtc_rtcp_write_nack(out, sizeof out, &d, &len) != SANSRTC_OK) return;
  sansrtc_rtcp_header h2;
  one_packet(out, len, &h2);
  sansrtc_rtcp_nack n2;
  if (sansrtc_rtcp_parse_nack(&h2, &n2) != SANSRTC_OK ||
      sansrtc_rtcp_nack_lost(&n2, again, 17 * 16384, &count2) != SANSRTC_OK ||
      count2 > count)
    abort();
}

static void fuzz_twcc(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_twcc fb;
  if (sansrtc_rtcp_parse_twcc(h, &fb) != SANSRTC_OK) return;
  check_view(fb.chunks);
  check_view(fb.deltas);
  static sansrtc_rtcp_twcc_input in[65536];
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_iter_init(&it, &fb);
  sansrtc_rtcp_twcc_packet p;
  size_t n = 0;
  int rc;
  while ((rc = sansrtc_rtcp_twcc_next(&it, &p)) == 1) {
    /* Re-encode on a clock shifted far enough to stay positive. */
    in[n].seq = p.seq;
    in[n].received = p.status != SANSRTC_TWCC_NOT_RECEIVED;
    in[n].arrival = (sansrtc_tstamp)(p.arrival_us + (1LL << 42)) * 1000u;
    n++;
  }
  if (rc != 0 || n != fb.status_count) abort();
  if (n == 0) return;
  sansrtc_rtcp_twcc_desc d = {fb.sender_ssrc, fb.media_ssrc, fb.fb_count, in,
                              n};
  size_t len;
  if (sansrtc_rtcp_write_twcc(out, sizeof out, &d, &len) != SANSRTC_OK) abort();
  sansrtc_rtcp_header h2;
  one_packet(out, len, &h2);
  sansrtc_rtcp_twcc fb2;
  if (sansrtc_rtcp_parse_twcc(&h2, &fb2) != SANSRTC_OK ||
      fb2.status_count != fb.status_count || fb2.base_seq != fb.base_seq)
    abort();
  sansrtc_rtcp_twcc_iter_init(&it, &fb2);
  sansrtc_rtcp_twcc_iter it1;
  sansrtc_rtcp_twcc_iter_init(&it1, &fb);
  sansrtc_rtcp_twcc_packet q, p1, prev_q = {0}, prev_p = {0};
  int have = 0;
  while (sansrtc_rtcp_twcc_next(&it, &q) == 1) {
    if (sansrtc_rtcp_twcc_next(&it1, &p1) != 1) abort();
    if ((q.status == 0) != (p1.status == 0) || q.seq != p1.seq) abort();
    if (q.status != 0) {
      /* Differences between received packets are kept exactly. */
      if (have &&
          q.arrival_us - prev_q.arrival_us != p1.arrival_us - prev_p.arrival_us)
        abort();
      prev_q = q;
      prev_p = p1;
      have = 1;
    }
  }
}

static void fuzz_feedback(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_fb fb;
  if (sansrtc_rtcp_parse_fb(h, &fb) == SANSRTC_OK) check_view(fb.fci);
  fuzz_nack(h);
  fuzz_twcc(h);
  sansrtc_rtcp_pli pli;
  (void)sansrtc_rtcp_parse_pli(h, &pli);
  sansrtc_rtcp_fir fir;
  if (sansrtc_rtcp_parse_fir(h, &fir) == SANSRTC_OK) {
    sansrtc_rtcp_fir_entry e;
    for (size_t i = 0; i < fir.entry_count; i++)
      if (sansrtc_rtcp_fir_entry_get(&fir, i, &e) != SANSRTC_OK) abort();
  }
  sansrtc_rtcp_remb remb;
  if (sansrtc_rtcp_parse_remb(h, &remb) == SANSRTC_OK) {
    check_view(remb.ssrcs);
    for (size_t i = 0; i < remb.ssrc_count; i++)
      (void)sansrtc_rtcp_remb_ssrc(&remb, i);
    if (remb.exponent <= 46 && remb.bitrate != (uint64_t)remb.mantissa
                                                   << remb.exponent)
      abort();
  }
}

static void fuzz_packet(const sansrtc_rtcp_header *h) {
  check_view(h->packet);
  check_view(h->body);
  (void)sansrtc_rtcp_kind_of(h);
  sansrtc_rtcp_sr sr;
  if (sansrtc_rtcp_parse_sr(h, &sr) == SANSRTC_OK) {
    check_view(sr.extension);
    fuzz_reports(&sr.reports, sr.ssrc, &sr);
  }
  sansrtc_rtcp_rr rr;
  if (sansrtc_rtcp_parse_rr(h, &rr) == SANSRTC_OK) {
    check_view(rr.extension);
    fuzz_reports(&rr.reports, rr.ssrc, NULL);
  }
  fuzz_sdes(h);
  fuzz_bye(h);
  sansrtc_rtcp_app app;
  if (sansrtc_rtcp_parse_app(h, &app) == SANSRTC_OK) check_view(app.data);
  sansrtc_rtcp_xr xr;
  if (sansrtc_rtcp_parse_xr(h, &xr) == SANSRTC_OK) check_view(xr.blocks);
  fuzz_feedback(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_data = data;
  g_size = size;
  (void)sansrtc_rtcp_validate(data, size);
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  sansrtc_rtcp_iter_init(&it, data, size);
  int rc;
  while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) fuzz_packet(&h);
  if (rc != 0 && rc != SANSRTC_ERR_MALFORMED) abort();
  return 0;
}
