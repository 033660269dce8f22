/*
 * libFuzzer target for SRTP/SRTCP unprotect. Every input is unprotected as
 * SRTP and as SRTCP on fixed-key sessions of each of the four profiles,
 * each time from its own heap copy of exactly the input's length, so any
 * read or write past the packet is caught. A result must be one of the
 * documented ones; success must shrink the packet by exactly the profile's
 * overhead; failure must leave the length alone.
 *
 * Keys (for making seeds): the sessions are the server side of DTLS-SRTP
 * keying material whose byte i is (uint8_t)(0x40 + i), so a client-role
 * session built from the same bytes protects packets they accept; the
 * seeds in tests/fuzz/corpus/srtp are such packets (see docs/srtp.md).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/srtp.h>

static const unsigned profiles[4] = {
    SANSRTC_SRTP_AES128_CM_SHA1_80, SANSRTC_SRTP_AES128_CM_SHA1_32,
    SANSRTC_SRTP_AEAD_AES_128_GCM, SANSRTC_SRTP_AEAD_AES_256_GCM};

static sansrtc_srtp *sessions[4];

static sansrtc_srtp *make_session(unsigned profile) {
  uint8_t keying[SANSRTC_SRTP_MAX_KEYING_LEN];
  size_t n = 2 * (sansrtc_srtp_key_len(profile) + sansrtc_srtp_salt_len(profile));
  for (size_t i = 0; i < n; i++) keying[i] = (uint8_t)(0x40 + i);
  sansrtc_srtp_config cfg;
  sansrtc_srtp_config_default(&cfg);
  cfg.profile = profile;
  sansrtc_srtp *s = NULL;
  if (sansrtc_srtp_new(&s, &cfg, SANSRTC_DTLS_SERVER, keying, n) != SANSRTC_OK)
    abort();
  return s;
}

static int expected(int rc) {
  return rc == SANSRTC_OK || rc == SANSRTC_ERR_MALFORMED ||
         rc == SANSRTC_ERR_INTEGRITY || rc == SANSRTC_ERR_REPLAY;
}

static void one(sansrtc_srtp *s, const uint8_t *data, size_t size, int rtcp) {
  uint8_t *buf = malloc(size > 0 ? size : 1);
  if (buf == NULL) abort();
  if (size > 0) memcpy(buf, data, size);
  size_t len = size;
  int rc = rtcp ? sansrtc_srtp_unprotect_rtcp(s, buf, &len)
                : sansrtc_srtp_unprotect_rtp(s, buf, &len);
  if (!expected(rc)) abort();
  unsigned profile = sansrtc_srtp_profile(s);
  size_t over = rtcp ? sansrtc_srtp_rtcp_overhead(profile)
                     : sansrtc_srtp_rtp_overhead(profile);
  if (rc == SANSRTC_OK ? len + over != size : len != size) abort();
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int i = 0; i < 4; i++) {
    if (sessions[i] == NULL) sessions[i] = make_session(profiles[i]);
    one(sessions[i], data, size, 0);
    one(sessions[i], data, size, 1);
  }
  return 0;
}
