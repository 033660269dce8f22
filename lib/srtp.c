/*
 * srtp.c - SRTP/SRTCP sessions over libsrtp2 (see include/sansrtc/srtp.h
 * and docs/srtp.md).
 *
 * Each sansrtc_srtp holds two libsrtp sessions: one with an
 * ssrc_any_outbound policy keyed with the local master key (protect), one
 * with ssrc_any_inbound keyed with the remote one (unprotect); libsrtp
 * cannot hold both wildcards in one session. libsrtp's process-wide crypto
 * kernel is reference-counted here (the core's second piece of global
 * state, after usrsctp_global.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include <sansrtc/srtp.h>

#include "internal.h"

#define RTP_HEADER_MIN 12
#define RTCP_HEADER_MIN 8
#define SRTCP_INDEX_LEN 4
#define MIN_REPLAY_WINDOW 64
#define MAX_REPLAY_WINDOW 0x7FFF

struct sansrtc_srtp {
  srtp_t tx; /* ssrc_any_outbound, local key */
  srtp_t rx; /* ssrc_any_inbound, remote key */
  unsigned profile;
  sansrtc_srtp_stats stats;
};

/* ---- libsrtp's process-global crypto kernel ----------------------------
 *
 * srtp_init is not thread-safe (it loads the kernel's cipher and debug
 * lists without a lock) and not idempotent: called again it re-runs the
 * self-tests and then fails with srtp_err_status_bad_param because its
 * debug module is already loaded. srtp_shutdown frees the kernel whoever
 * else uses it. So the first session initialises under `lib_lock`, the
 * last one shuts down; a bad_param from the first srtp_init means the
 * application initialised libsrtp itself, and then it is left alone. */
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned lib_refs;
static int lib_owned; /* 1 when sansrtc's srtp_init started the kernel */

static int lib_acquire(void) {
  int rc = SANSRTC_OK;
  pthread_mutex_lock(&lib_lock);
  if (lib_refs == 0) {
    srtp_err_status_t st = srtp_init();
    if (st == srtp_err_status_ok)
      lib_owned = 1;
    else if (st == srtp_err_status_bad_param)
      lib_owned = 0; /* already initialised by the application */
    else
      rc = SANSRTC_ERR_CRYPTO;
  }
  if (rc == SANSRTC_OK) lib_refs++;
  pthread_mutex_unlock(&lib_lock);
  return rc;
}

static void lib_release(void) {
  pthread_mutex_lock(&lib_lock);
  if (lib_refs > 0 && --lib_refs == 0 && lib_owned) {
    srtp_shutdown();
    lib_owned = 0;
  }
  pthread_mutex_unlock(&lib_lock);
}

/* ---- profiles ----------------------------------------------------------- */

static int is_aead(unsigned profile) {
  return profile == SANSRTC_SRTP_AEAD_AES_128_GCM ||
         profile == SANSRTC_SRTP_AEAD_AES_256_GCM;
}

static int is_known(unsigned profile) {
  return profile == SANSRTC_SRTP_AES128_CM_SHA1_80 ||
         profile == SANSRTC_SRTP_AES128_CM_SHA1_32 || is_aead(profile);
}

size_t sansrtc_srtp_key_len(unsigned profile) {
  if (!is_known(profile)) return 0;
  return profile == SANSRTC_SRTP_AEAD_AES_256_GCM ? 32 : 16;
}

size_t sansrtc_srtp_salt_len(unsigned profile) {
  if (!is_known(profile)) return 0;
  return is_aead(profile) ? 12 : 14;
}

size_t sansrtc_srtp_rtp_overhead(unsigned profile) {
  if (!is_known(profile)) return 0;
  if (is_aead(profile)) return 16;
  return profile == SANSRTC_SRTP_AES128_CM_SHA1_32 ? 4 : 10;
}

size_t sansrtc_srtp_rtcp_overhead(unsigned profile) {
  if (!is_known(profile)) return 0;
  return SRTCP_INDEX_LEN + (is_aead(profile) ? 16 : 10);
}

/* RFC 5764 4.1.2 and RFC 7714 14.2: SHA1_32 uses the 80-bit tag for
 * SRTCP; the GCM profiles use a 16-byte tag for both. */
static void set_crypto_policies(srtp_policy_t *p, unsigned profile) {
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
  default: /* SANSRTC_SRTP_AEAD_AES_256_GCM */
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
    break;
  }
}

void sansrtc_srtp_config_default(sansrtc_srtp_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->profile = SANSRTC_SRTP_AES128_CM_SHA1_80;
  cfg->replay_window = SANSRTC_SRTP_DEFAULT_REPLAY_WINDOW;
  cfg->allow_repeat_tx = 0;
}

/* ---- error mapping ------------------------------------------------------ */

static int map_status(srtp_err_status_t st) {
  switch (st) {
  case srtp_err_status_ok: return SANSRTC_OK;
  case srtp_err_status_auth_fail:
  /* An SRTCP packet whose E flag says "not encrypted": every profile here
   * encrypts, so it cannot be genuine. */
  case srtp_err_status_cant_check: return SANSRTC_ERR_INTEGRITY;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old:
  case srtp_err_status_pkt_idx_old: return SANSRTC_ERR_REPLAY;
  case srtp_err_status_alloc_fail: return SANSRTC_ERR_NOMEM;
  case srtp_err_status_key_expired: return SANSRTC_ERR_LIMIT;
  case srtp_err_status_parse_err:
  case srtp_err_status_bad_mki: return SANSRTC_ERR_MALFORMED;
  default: return SANSRTC_ERR_CRYPTO;
  }
}

/* Counts the outcome of a packet call on `s` and returns it. */
static int account(sansrtc_srtp *s, int rc, uint64_t *ok_counter) {
  if (rc == SANSRTC_OK)
    (*ok_counter)++;
  else if (rc == SANSRTC_ERR_INTEGRITY)
    s->stats.auth_failures++;
  else if (rc == SANSRTC_ERR_REPLAY)
    s->stats.replays++;
  else
    s->stats.other_errors++;
  return rc;
}

/* ---- construction ------------------------------------------------------- */

static int config_ok(const sansrtc_srtp_config *cfg) {
  return cfg != NULL && is_known(cfg->profile) &&
         cfg->replay_window >= MIN_REPLAY_WINDOW &&
         cfg->replay_window <= MAX_REPLAY_WINDOW;
}

static int master_ok(const sansrtc_srtp_master *m, unsigned profile) {
  return m != NULL && m->key != NULL && m->salt != NULL &&
         m->key_len == sansrtc_srtp_key_len(profile) &&
         m->salt_len == sansrtc_srtp_salt_len(profile);
}

/* One libsrtp session for one direction; libsrtp's key is key || salt. */
static int create_direction(srtp_t *out, const sansrtc_srtp_config *cfg,
                            const sansrtc_srtp_master *m, srtp_ssrc_type_t t) {
  uint8_t key[SANSRTC_SRTP_MAX_KEY_LEN + SANSRTC_SRTP_MAX_SALT_LEN];
  memcpy(key, m->key, m->key_len);
  memcpy(key + m->key_len, m->salt, m->salt_len);
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  set_crypto_policies(&p, cfg->profile);
  p.ssrc.type = t;
  p.key = key;
  p.window_size = cfg->replay_window;
  p.allow_repeat_tx = cfg->allow_repeat_tx != 0;
  p.next = NULL;
  srtp_err_status_t st = srtp_create(out, &p);
  OPENSSL_cleanse(key, sizeof key);
  if (st == srtp_err_status_ok) return SANSRTC_OK;
  *out = NULL;
  return st == srtp_err_status_alloc_fail ? SANSRTC_ERR_NOMEM
                                          : SANSRTC_ERR_CRYPTO;
}

int sansrtc_srtp_new_with_keys(sansrtc_srtp **out,
                               const sansrtc_srtp_config *cfg,
                               const sansrtc_srtp_master *local,
                               const sansrtc_srtp_master *remote) {
  if (out == NULL || !config_ok(cfg) || !master_ok(local, cfg->profile) ||
      !master_ok(remote, cfg->profile))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_srtp *s = calloc(1, sizeof *s);
  if (s == NULL) return SANSRTC_ERR_NOMEM;
  int rc = lib_acquire();
  if (rc != SANSRTC_OK) {
    free(s);
    return rc;
  }
  s->profile = cfg->profile;
  rc = create_direction(&s->tx, cfg, local, ssrc_any_outbound);
  if (rc == SANSRTC_OK)
    rc = create_direction(&s->rx, cfg, remote, ssrc_any_inbound);
  if (rc != SANSRTC_OK) {
    sansrtc_srtp_del(s);
    return rc;
  }
  *out = s;
  return SANSRTC_OK;
}

int sansrtc_srtp_new(sansrtc_srtp **out, const sansrtc_srtp_config *cfg,
                     sansrtc_dtls_role role, const uint8_t *keying,
                     size_t keying_len) {
  if (out == NULL || !config_ok(cfg) || keying == NULL ||
      (role != SANSRTC_DTLS_CLIENT && role != SANSRTC_DTLS_SERVER))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  size_t kl = sansrtc_srtp_key_len(cfg->profile);
  size_t sl = sansrtc_srtp_salt_len(cfg->profile);
  if (keying_len != 2 * (kl + sl)) return SANSRTC_ERR_INVALID_ARGUMENT;
  /* RFC 5764 4.2: client_write_SRTP_master_key | server_write_..._key |
   * client_write_SRTP_master_salt | server_write_..._salt. */
  const sansrtc_srtp_master client = {keying, kl, keying + 2 * kl, sl};
  const sansrtc_srtp_master server = {keying + kl, kl, keying + 2 * kl + sl,
                                      sl};
  if (role == SANSRTC_DTLS_CLIENT)
    return sansrtc_srtp_new_with_keys(out, cfg, &client, &server);
  return sansrtc_srtp_new_with_keys(out, cfg, &server, &client);
}

void sansrtc_srtp_del(sansrtc_srtp *s) {
  if (s == NULL) return;
  if (s->tx != NULL) srtp_dealloc(s->tx);
  if (s->rx != NULL) srtp_dealloc(s->rx);
  free(s);
  lib_release();
}

/* ---- packets ------------------------------------------------------------ */

/* Length of a version-2 RTP header (fixed part, CSRCs, extension) within
 * `len` bytes, or 0 when it does not fit or is not RTP version 2. */
static size_t rtp_header_len(const uint8_t *p, size_t len) {
  if (len < RTP_HEADER_MIN || (p[0] >> 6) != 2) return 0;
  size_t h = RTP_HEADER_MIN + 4u * (p[0] & 0x0Fu);
  if (p[0] & 0x10u) { /* header extension: 4-byte header, length in words */
    if (h + 4 > len) return 0;
    h += 4 + 4u * rd16(p + h + 2);
  }
  return h <= len ? h : 0;
}

static int rtcp_header_ok(const uint8_t *p, size_t len) {
  return len >= RTCP_HEADER_MIN && (p[0] >> 6) == 2;
}

/* Checks shared by the protect calls; SANSRTC_OK when libsrtp may run. */
static int protect_checks(const uint8_t *buf, const size_t *len, size_t cap,
                          size_t overhead, int is_rtp) {
  if (*len > cap) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (*len > SANSRTC_SRTP_MAX_PACKET) return SANSRTC_ERR_MALFORMED;
  if (is_rtp ? rtp_header_len(buf, *len) == 0 : !rtcp_header_ok(buf, *len))
    return SANSRTC_ERR_MALFORMED;
  if (cap - *len < overhead) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  return SANSRTC_OK;
}

int sansrtc_srtp_protect_rtp(sansrtc_srtp *s, uint8_t *buf, size_t *len,
                             size_t cap) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  uint64_t *ok = &s->stats.rtp_protected;
  if (buf == NULL || len == NULL)
    return account(s, SANSRTC_ERR_INVALID_ARGUMENT, ok);
  int rc = protect_checks(buf, len, cap, sansrtc_srtp_rtp_overhead(s->profile),
                          1);
  if (rc != SANSRTC_OK) return account(s, rc, ok);
  int n = (int)*len;
  rc = map_status(srtp_protect(s->tx, buf, &n));
  if (rc == SANSRTC_OK) *len = (size_t)n;
  return account(s, rc, ok);
}

int sansrtc_srtp_protect_rtcp(sansrtc_srtp *s, uint8_t *buf, size_t *len,
                              size_t cap) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  uint64_t *ok = &s->stats.rtcp_protected;
  if (buf == NULL || len == NULL)
    return account(s, SANSRTC_ERR_INVALID_ARGUMENT, ok);
  int rc = protect_checks(buf, len, cap,
                          sansrtc_srtp_rtcp_overhead(s->profile), 0);
  if (rc != SANSRTC_OK) return account(s, rc, ok);
  int n = (int)*len;
  rc = map_status(srtp_protect_rtcp(s->tx, buf, &n));
  if (rc == SANSRTC_OK) *len = (size_t)n;
  return account(s, rc, ok);
}

int sansrtc_srtp_unprotect_rtp(sansrtc_srtp *s, uint8_t *buf, size_t *len) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  uint64_t *ok = &s->stats.rtp_unprotected;
  if (buf == NULL || len == NULL)
    return account(s, SANSRTC_ERR_INVALID_ARGUMENT, ok);
  size_t tag = sansrtc_srtp_rtp_overhead(s->profile);
  size_t h = rtp_header_len(buf, *len);
  if (*len > SANSRTC_SRTP_MAX_PACKET || h == 0 || *len - h < tag)
    return account(s, SANSRTC_ERR_MALFORMED, ok);
  int n = (int)*len;
  int rc = map_status(srtp_unprotect(s->rx, buf, &n));
  if (rc == SANSRTC_OK) *len = (size_t)n;
  return account(s, rc, ok);
}

int sansrtc_srtp_unprotect_rtcp(sansrtc_srtp *s, uint8_t *buf, size_t *len) {
  if (s == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  uint64_t *ok = &s->stats.rtcp_unprotected;
  if (buf == NULL || len == NULL)
    return account(s, SANSRTC_ERR_INVALID_ARGUMENT, ok);
  size_t trailer = sansrtc_srtp_rtcp_overhead(s->profile);
  if (*len > SANSRTC_SRTP_MAX_PACKET || !rtcp_header_ok(buf, *len) ||
      *len - RTCP_HEADER_MIN < trailer)
    return account(s, SANSRTC_ERR_MALFORMED, ok);
  int n = (int)*len;
  int rc = map_status(srtp_unprotect_rtcp(s->rx, buf, &n));
  if (rc == SANSRTC_OK) *len = (size_t)n;
  return account(s, rc, ok);
}

unsigned sansrtc_srtp_profile(const sansrtc_srtp *s) {
  return s != NULL ? s->profile : 0;
}

void sansrtc_srtp_get_stats(const sansrtc_srtp *s, sansrtc_srtp_stats *out) {
  if (out == NULL) return;
  if (s == NULL)
    memset(out, 0, sizeof *out);
  else
    *out = s->stats;
}
