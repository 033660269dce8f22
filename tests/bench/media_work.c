/*
 * media_work.c - see media_work.h.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "media_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/dtls.h>

/* ---- RTP ---------------------------------------------------------------- */

int mw_rtp_init(mw_rtp *w) {
  uint8_t twcc[2], ast[3], payload[MW_PACKET];
  (void)sansrtc_rtp_ext_encode_twcc_seq(4242, twcc);
  (void)sansrtc_rtp_ext_encode_abs_send_time(0x123456, ast);
  const sansrtc_rtp_ext ext[3] = {{MW_EXT_MID, (const uint8_t *)"0", 1},
                                  {MW_EXT_ABS_SEND_TIME, ast, 3},
                                  {MW_EXT_TWCC, twcc, 2}};
  sansrtc_rtp_header_fields h = {0};
  h.payload_type = 96;
  h.sequence = 1000;
  h.timestamp = 90000;
  h.ssrc = 0x11223344;
  h.ext = ext;
  h.ext_count = 3;
  size_t hlen;
  memset(payload, 0xA5, sizeof payload);
  if (sansrtc_rtp_write_header(&h, w->in, sizeof w->in, &hlen) != SANSRTC_OK)
    return -1;
  memcpy(w->in + hlen, payload, MW_PACKET - hlen);
  w->in_len = MW_PACKET;
  return 0;
}

long mw_rtp_parse(const mw_rtp *w) {
  sansrtc_rtp_packet p;
  sansrtc_rtp_ext e;
  sansrtc_rtp_bytes mid;
  uint16_t seq;
  if (sansrtc_rtp_parse(&p, w->in, w->in_len) != SANSRTC_OK ||
      sansrtc_rtp_ext_find(&p, MW_EXT_TWCC, &e) != SANSRTC_OK ||
      sansrtc_rtp_ext_parse_twcc_seq(&e, &seq) != SANSRTC_OK ||
      sansrtc_rtp_ext_find(&p, MW_EXT_MID, &e) != SANSRTC_OK ||
      sansrtc_rtp_ext_parse_mid(&e, &mid) != SANSRTC_OK)
    return -1;
  return (long)seq + (long)mid.len + (long)p.payload.len;
}

long mw_rtp_write(mw_rtp *w, uint16_t seq) {
  uint8_t twcc[2];
  (void)sansrtc_rtp_ext_encode_twcc_seq(seq, twcc);
  const sansrtc_rtp_ext ext[2] = {{MW_EXT_MID, (const uint8_t *)"0", 1},
                                  {MW_EXT_TWCC, twcc, 2}};
  sansrtc_rtp_header_fields h = {0};
  h.payload_type = 96;
  h.sequence = seq;
  h.timestamp = 90u * seq;
  h.ssrc = 0x11223344;
  h.ext = ext;
  h.ext_count = 2;
  size_t hlen;
  if (sansrtc_rtp_write_header(&h, w->out, sizeof w->out, &hlen) != SANSRTC_OK)
    return -1;
  return (long)hlen;
}

/* ---- RTCP --------------------------------------------------------------- */

static void describe(mw_rtcp *w) {
  sansrtc_rtcp_desc *d;
  w->report = (sansrtc_rtcp_report){0x55667788, 12, 34, 100200, 77, 0xABCD0000u,
                                    0x8000};
  w->cname = (sansrtc_rtcp_sdes_item){SANSRTC_RTCP_SDES_CNAME,
                                      (const uint8_t *)"bench@sansrtc", 13};
  w->chunk = (sansrtc_rtcp_sdes_chunk_desc){0x11223344, &w->cname, 1};
  static const uint16_t lost[6] = {500, 502, 503, 515, 530, 531};
  memcpy(w->lost, lost, sizeof lost);
  for (size_t i = 0; i < 40; i++)
    w->twcc[i] = (sansrtc_rtcp_twcc_input){(uint16_t)(7000 + i), i % 9 != 4,
                                           (sansrtc_tstamp)(1000000000 + i * 2500000)};
  w->ssrcs[0] = 0x55667788;
  w->ssrcs[1] = 0x99AABBCC;
  w->fir = (sansrtc_rtcp_fir_entry){0x55667788, 3};
  memcpy(w->app_data, "benchapp", 8);
  static const uint8_t xr[12] = {4, 0, 0, 2, 0xE1, 0x2E, 0x2F, 0x30, 0, 0, 0, 1};
  memcpy(w->xr_body, xr, sizeof xr);

  sansrtc_rtcp_desc sr = {.kind = SANSRTC_RTCP_KIND_SR};
  sr.u.sr = (sansrtc_rtcp_sr_desc){0x11223344, 0xE12E2F3000000000ull, 90000, 10,
                                   12000, &w->report, 1};
  sansrtc_rtcp_desc rr = {.kind = SANSRTC_RTCP_KIND_RR};
  rr.u.rr = (sansrtc_rtcp_rr_desc){0x11223344, &w->report, 1};
  sansrtc_rtcp_desc sdes = {.kind = SANSRTC_RTCP_KIND_SDES};
  sdes.u.sdes = (sansrtc_rtcp_sdes_desc){&w->chunk, 1};
  sansrtc_rtcp_desc nack = {.kind = SANSRTC_RTCP_KIND_NACK};
  nack.u.nack = (sansrtc_rtcp_nack_desc){0x11223344, 0x55667788, w->lost, 6};
  sansrtc_rtcp_desc twcc = {.kind = SANSRTC_RTCP_KIND_TWCC};
  twcc.u.twcc = (sansrtc_rtcp_twcc_desc){0x11223344, 0x55667788, 9, w->twcc, 40};
  sansrtc_rtcp_desc bye = {.kind = SANSRTC_RTCP_KIND_BYE};
  bye.u.bye = (sansrtc_rtcp_bye_desc){w->ssrcs, 2, (const uint8_t *)"done", 4};
  sansrtc_rtcp_desc app = {.kind = SANSRTC_RTCP_KIND_APP};
  app.u.app = (sansrtc_rtcp_app_desc){1, 0x11223344, {'s', 'r', 't', 'c'},
                                      w->app_data, 8};
  sansrtc_rtcp_desc pli = {.kind = SANSRTC_RTCP_KIND_PLI};
  pli.u.pli = (sansrtc_rtcp_pli_desc){0x11223344, 0x55667788};
  sansrtc_rtcp_desc fir = {.kind = SANSRTC_RTCP_KIND_FIR};
  fir.u.fir = (sansrtc_rtcp_fir_desc){0x11223344, &w->fir, 1};
  sansrtc_rtcp_desc remb = {.kind = SANSRTC_RTCP_KIND_REMB};
  remb.u.remb = (sansrtc_rtcp_remb_desc){0x11223344, 2500000, w->ssrcs, 2};
  sansrtc_rtcp_desc xrd = {.kind = SANSRTC_RTCP_KIND_XR};
  xrd.u.raw = (sansrtc_rtcp_raw_desc){SANSRTC_RTCP_XR, 0, w->xr_body, 12};

  d = w->desc[MW_SR_SDES];
  d[0] = sr;
  d[1] = sdes;
  w->count[MW_SR_SDES] = 2;
  d = w->desc[MW_RR_NACK_TWCC];
  d[0] = rr;
  d[1] = nack;
  d[2] = twcc;
  w->count[MW_RR_NACK_TWCC] = 3;
  d = w->desc[MW_ALL_TYPES];
  const sansrtc_rtcp_desc all[11] = {sr, rr, sdes, bye, app, nack,
                                     pli, fir, remb, twcc, xrd};
  memcpy(d, all, sizeof all);
  w->count[MW_ALL_TYPES] = 11;
}

int mw_rtcp_init(mw_rtcp *w) {
  memset(w, 0, sizeof *w);
  describe(w);
  for (int c = 0; c < MW_COMPOUNDS; c++)
    if (mw_rtcp_write(w, (mw_compound)c, 0) < 0 ||
        mw_rtcp_parse(w, (mw_compound)c) < 0)
      return -1;
  return 0;
}

long mw_rtcp_write(mw_rtcp *w, mw_compound c, uint32_t round) {
  size_t written, len;
  if (w->desc[c][0].kind == SANSRTC_RTCP_KIND_SR)
    w->desc[c][0].u.sr.packet_count = round;
  if (sansrtc_rtcp_write_compound(w->buf[c], sizeof w->buf[c], w->desc[c],
                                  w->count[c], &written, &len) != SANSRTC_OK ||
      written != w->count[c])
    return -1;
  w->len[c] = len;
  return (long)len;
}

static long sum_reports(const sansrtc_rtcp_reports *r) {
  long sum = 0;
  sansrtc_rtcp_report rep;
  for (size_t i = 0; i < r->count; i++) {
    if (sansrtc_rtcp_report_get(r, i, &rep) != SANSRTC_OK) return -1;
    sum += (long)(rep.highest_seq & 0xFFFF) + rep.cumulative_lost;
  }
  return sum;
}

static long sum_sdes(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_sdes s;
  sansrtc_rtcp_sdes_chunk c;
  sansrtc_rtcp_sdes_item it;
  size_t off = 0;
  long sum = 0;
  if (sansrtc_rtcp_parse_sdes(h, &s) != SANSRTC_OK) return -1;
  while (sansrtc_rtcp_sdes_next_chunk(&s, &off, &c) == 1) {
    size_t ioff = 0;
    while (sansrtc_rtcp_sdes_next_item(&c, &ioff, &it) == 1)
      sum += (long)it.len;
  }
  return sum;
}

static long sum_twcc(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_twcc fb;
  sansrtc_rtcp_twcc_iter it;
  sansrtc_rtcp_twcc_packet p;
  long sum = 0;
  int rc;
  if (sansrtc_rtcp_parse_twcc(h, &fb) != SANSRTC_OK) return -1;
  sansrtc_rtcp_twcc_iter_init(&it, &fb);
  while ((rc = sansrtc_rtcp_twcc_next(&it, &p)) == 1) sum += p.status + p.delta;
  return rc == 0 ? sum & 0xFFFFFF : -1;
}

static long sum_nack(const sansrtc_rtcp_header *h) {
  sansrtc_rtcp_nack n;
  uint16_t lost[17 * 8];
  size_t count;
  if (sansrtc_rtcp_parse_nack(h, &n) != SANSRTC_OK || n.pair_count > 8 ||
      sansrtc_rtcp_nack_lost(&n, lost, 17 * 8, &count) != SANSRTC_OK)
    return -1;
  return (long)count;
}

/* One packet of a compound, through its parser; a checksum or -1. */
static long parse_one(const sansrtc_rtcp_header *h) {
  union {
    sansrtc_rtcp_sr sr;
    sansrtc_rtcp_rr rr;
    sansrtc_rtcp_bye bye;
    sansrtc_rtcp_app app;
    sansrtc_rtcp_pli pli;
    sansrtc_rtcp_fir fir;
    sansrtc_rtcp_remb remb;
    sansrtc_rtcp_xr xr;
  } u;
  sansrtc_rtcp_fir_entry fe;
  switch (sansrtc_rtcp_kind_of(h)) {
  case SANSRTC_RTCP_KIND_SR:
    if (sansrtc_rtcp_parse_sr(h, &u.sr) != SANSRTC_OK) return -1;
    return sum_reports(&u.sr.reports);
  case SANSRTC_RTCP_KIND_RR:
    if (sansrtc_rtcp_parse_rr(h, &u.rr) != SANSRTC_OK) return -1;
    return sum_reports(&u.rr.reports);
  case SANSRTC_RTCP_KIND_SDES: return sum_sdes(h);
  case SANSRTC_RTCP_KIND_BYE:
    if (sansrtc_rtcp_parse_bye(h, &u.bye) != SANSRTC_OK) return -1;
    return (long)(sansrtc_rtcp_bye_ssrc(&u.bye, 1) & 0xFF) + (long)u.bye.reason.len;
  case SANSRTC_RTCP_KIND_APP:
    return sansrtc_rtcp_parse_app(h, &u.app) == SANSRTC_OK ? (long)u.app.data.len : -1;
  case SANSRTC_RTCP_KIND_NACK: return sum_nack(h);
  case SANSRTC_RTCP_KIND_PLI:
    return sansrtc_rtcp_parse_pli(h, &u.pli) == SANSRTC_OK ? 1 : -1;
  case SANSRTC_RTCP_KIND_FIR:
    if (sansrtc_rtcp_parse_fir(h, &u.fir) != SANSRTC_OK ||
        sansrtc_rtcp_fir_entry_get(&u.fir, 0, &fe) != SANSRTC_OK)
      return -1;
    return fe.seq;
  case SANSRTC_RTCP_KIND_REMB:
    if (sansrtc_rtcp_parse_remb(h, &u.remb) != SANSRTC_OK) return -1;
    return (long)(u.remb.bitrate >> 10) + (long)(sansrtc_rtcp_remb_ssrc(&u.remb, 0) & 0xFF);
  case SANSRTC_RTCP_KIND_TWCC: return sum_twcc(h);
  case SANSRTC_RTCP_KIND_XR:
    return sansrtc_rtcp_parse_xr(h, &u.xr) == SANSRTC_OK ? (long)u.xr.blocks.len : -1;
  default: return -1;
  }
}

long mw_rtcp_parse(const mw_rtcp *w, mw_compound c) {
  sansrtc_rtcp_iter it;
  sansrtc_rtcp_header h;
  long sum = 0;
  size_t n = 0;
  int rc;
  sansrtc_rtcp_iter_init(&it, w->buf[c], w->len[c]);
  while ((rc = sansrtc_rtcp_iter_next(&it, &h)) == 1) {
    long v = parse_one(&h);
    if (v < 0) return -1;
    sum += v;
    n++;
  }
  return rc == 0 && n == w->count[c] ? sum : -1;
}

/* ---- packetizers -------------------------------------------------------- */

sansrtc_codec mw_codec_by_name(const char *name) {
  static const struct {
    const char *name;
    sansrtc_codec codec;
  } map[] = {{"opus", SANSRTC_CODEC_OPUS}, {"vp8", SANSRTC_CODEC_VP8},
             {"vp9", SANSRTC_CODEC_VP9},   {"h264", SANSRTC_CODEC_H264},
             {"h265", SANSRTC_CODEC_H265}, {"av1", SANSRTC_CODEC_AV1}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(name, map[i].name) == 0) return map[i].codec;
  return (sansrtc_codec)0;
}

int mw_media_init(mw_media *w, sansrtc_codec codec) {
  memset(w, 0, sizeof *w);
  w->m = malloc(sizeof *w->m);
  w->payload = malloc(sizeof *w->payload * MW_MAX_PACKETS);
  if (w->m == NULL || w->payload == NULL || mf_load(w->m, codec) != 0) {
    free(w->m);
    free(w->payload);
    w->m = NULL;
    w->payload = NULL;
    return -1;
  }
  sansrtc_packetizer_config pc;
  sansrtc_packetizer_config_default(&pc, codec);
  pc.max_payload = MW_PACKET;
  sansrtc_depacketizer_config dc;
  sansrtc_depacketizer_config_default(&dc, codec);
  if (sansrtc_packetizer_new(&w->pk, &pc) != SANSRTC_OK ||
      sansrtc_depacketizer_new(&w->dp, &dc) != SANSRTC_OK) {
    mw_media_free(w);
    return -1;
  }
  w->seq = 65000; /* wraps early */
  return 0;
}

void mw_media_free(mw_media *w) {
  sansrtc_packetizer_del(w->pk);
  sansrtc_depacketizer_del(w->dp);
  if (w->m != NULL) mf_free(w->m);
  free(w->m);
  free(w->payload);
  memset(w, 0, sizeof *w);
}

long mw_packetize(mw_media *w, size_t i) {
  const mf_frame *f = &w->m->frames[i];
  if (sansrtc_packetizer_frame(w->pk, f->data, f->len) != SANSRTC_OK) return -1;
  size_t n = w->n;
  w->frame_no++;
  while (sansrtc_packetizer_pending(w->pk)) {
    if (n == MW_MAX_PACKETS ||
        sansrtc_packetizer_next(w->pk, w->payload[n], MW_PACKET, &w->len[n],
                                &w->marker[n]) != SANSRTC_OK)
      return -1;
    w->ts[n++] = w->frame_no * 3000u;
  }
  long count = (long)(n - w->n);
  w->n = n;
  return count;
}

long mw_depacketize(mw_media *w) {
  long bytes = 0;
  sansrtc_frame fr;
  for (size_t k = 0; k < w->n; k++) {
    if (sansrtc_depacketizer_push(w->dp, w->payload[k], w->len[k], w->seq++,
                                  w->ts[k], w->marker[k]) != SANSRTC_OK)
      return -1;
    int rc;
    while ((rc = sansrtc_depacketizer_pop(w->dp, &fr)) == SANSRTC_OK) {
      bytes += (long)fr.len;
      w->frames_out++;
      w->frames_incomplete += fr.incomplete != 0;
    }
    if (rc != SANSRTC_ERR_NOT_FOUND) return -1;
  }
  w->n = 0;
  return bytes;
}

/* ---- SRTP --------------------------------------------------------------- */

static const struct {
  const char *name;
  unsigned profile;
} profiles[] = {{"aes128cm80", SANSRTC_SRTP_AES128_CM_SHA1_80},
                {"aes128cm32", SANSRTC_SRTP_AES128_CM_SHA1_32},
                {"aes128gcm", SANSRTC_SRTP_AEAD_AES_128_GCM},
                {"aes256gcm", SANSRTC_SRTP_AEAD_AES_256_GCM}};

unsigned mw_profile_by_name(const char *name) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (strcmp(name, profiles[i].name) == 0) return profiles[i].profile;
  return 0;
}

const char *mw_profile_name(unsigned profile) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (profiles[i].profile == profile) return profiles[i].name;
  return "unknown";
}

static const uint8_t master[SANSRTC_SRTP_MAX_KEY_LEN + SANSRTC_SRTP_MAX_SALT_LEN] = {
    0x0b, 0x6e, 0x41, 0x3c, 0x92, 0x57, 0xd0, 0x1a, 0x33, 0xc5, 0x8f, 0x24,
    0x70, 0xe9, 0x16, 0xab, 0x5d, 0x02, 0xb8, 0x61, 0xcf, 0x49, 0x97, 0x3e,
    0xf0, 0x28, 0x84, 0x1d, 0x6a, 0xc3, 0x55, 0x0e, 0x79, 0xd4, 0x12, 0xa6,
    0x3b, 0xe7, 0x48, 0x90, 0x2c, 0xbd, 0x05, 0x63, 0xfa, 0x17};

static void set_policy(srtp_policy_t *p, unsigned profile, srtp_ssrc_type_t t,
                       uint8_t *key) {
  memset(p, 0, sizeof *p);
  switch (profile) {
  case SANSRTC_SRTP_AES128_CM_SHA1_80:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    break;
  case SANSRTC_SRTP_AES128_CM_SHA1_32:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    break;
  case SANSRTC_SRTP_AEAD_AES_128_GCM:
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    break;
  default:
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
    break;
  }
  p->ssrc.type = t;
  p->key = key;
  p->window_size = SANSRTC_SRTP_DEFAULT_REPLAY_WINDOW;
}

int mw_srtp_direct(srtp_t *tx, srtp_t *rx, unsigned profile) {
  uint8_t key[sizeof master]; /* libsrtp's key is key || salt */
  memcpy(key, master, sizeof key);
  srtp_policy_t ptx, prx;
  set_policy(&ptx, profile, ssrc_any_outbound, key);
  set_policy(&prx, profile, ssrc_any_inbound, key);
  *tx = *rx = NULL;
  if (srtp_create(tx, &ptx) == srtp_err_status_ok &&
      srtp_create(rx, &prx) == srtp_err_status_ok)
    return 0;
  mw_srtp_direct_free(*tx, *rx);
  *tx = *rx = NULL;
  return -1;
}

void mw_srtp_direct_free(srtp_t tx, srtp_t rx) {
  if (tx != NULL) srtp_dealloc(tx);
  if (rx != NULL) srtp_dealloc(rx);
}

int mw_srtp_loopback(sansrtc_srtp **out, unsigned profile) {
  sansrtc_srtp_config cfg;
  sansrtc_srtp_config_default(&cfg);
  cfg.profile = profile;
  size_t kl = sansrtc_srtp_key_len(profile);
  const sansrtc_srtp_master k = {master, kl, master + kl,
                                 sansrtc_srtp_salt_len(profile)};
  return sansrtc_srtp_new_with_keys(out, &cfg, &k, &k) == SANSRTC_OK ? 0 : -1;
}

void mw_srtp_packet(uint8_t *buf, uint16_t seq) {
  buf[0] = 0x80;
  buf[1] = 96;
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  uint32_t ts = 90u * seq;
  for (int i = 0; i < 4; i++) buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
  static const uint8_t ssrc[4] = {0x11, 0x22, 0x33, 0x44};
  memcpy(buf + 8, ssrc, 4);
  memset(buf + 12, 0x5A, MW_PACKET - 12);
}
