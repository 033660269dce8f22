/*
 * srtp_test.c - SRTP/SRTCP sessions: an independent reference of the
 * transforms (OpenSSL, written from RFC 3711 and RFC 7714) checked against
 * the RFCs' published vectors, the sessions checked byte-exactly against
 * that reference, round trips for every profile and role, replay, tamper,
 * rollover, hostile input, argument checks, allocation and threads.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <srtp2/srtp.h>

#include <sansrtc/srtp.h>

#include "suites.h"
#include "test_env.h"

static const unsigned profiles[4] = {
    SANSRTC_SRTP_AES128_CM_SHA1_80, SANSRTC_SRTP_AES128_CM_SHA1_32,
    SANSRTC_SRTP_AEAD_AES_128_GCM, SANSRTC_SRTP_AEAD_AES_256_GCM};

/* Hex with optional white space into out; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (; *s != '\0'; s++) {
    int v;
    if (*s >= '0' && *s <= '9') v = *s - '0';
    else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
    else continue;
    if (hi < 0) {
      hi = v;
    } else {
      ck_assert_uint_lt(n, cap);
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  ck_assert_int_lt(hi, 0);
  return n;
}

static void wr16b(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void wr32b(uint8_t *p, uint32_t v) {
  wr16b(p, v >> 16);
  wr16b(p + 2, v & 0xFFFF);
}

/* ===== The reference transforms (OpenSSL) ================================ */

/* AES in counter mode (RFC 3711 4.1.1): keystream XOR in, 16-byte IV. */
static void ref_aes_ctr(const uint8_t *key, size_t key_len, const uint8_t *iv,
                        const uint8_t *in, uint8_t *out, size_t n) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  ck_assert_ptr_nonnull(c);
  const EVP_CIPHER *ci = key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
  int outl = 0;
  ck_assert_int_eq(EVP_EncryptInit_ex(c, ci, NULL, key, iv), 1);
  if (n > 0)
    ck_assert_int_eq(EVP_EncryptUpdate(c, out, &outl, in, (int)n), 1);
  EVP_CIPHER_CTX_free(c);
}

/* The AES-CM PRF key derivation with kdr 0 (RFC 3711 4.3.1 and 4.3.3;
 * RFC 6188 for AES-256): x = (label << 48) XOR master salt, where the salt
 * is 14 bytes; a 12-byte AEAD salt is padded with two zero bytes on the
 * right (RFC 7714 section 11, erratum 4807). */
static void ref_kdf(const uint8_t *mkey, size_t mkey_len, const uint8_t *msalt,
                    size_t msalt_len, uint8_t label, uint8_t *out,
                    size_t out_len) {
  uint8_t iv[16] = {0};
  memcpy(iv, msalt, msalt_len);
  iv[7] ^= label;
  uint8_t zeros[64] = {0};
  ck_assert_uint_le(out_len, sizeof zeros);
  ref_aes_ctr(mkey, mkey_len, iv, zeros, out, out_len);
}

typedef struct ref_keys {
  uint8_t enc[32];
  size_t enc_len;
  uint8_t salt[14];
  size_t salt_len;
  uint8_t auth[20];
} ref_keys;

/* Session keys for SRTP (rtcp = 0, labels 0-2) or SRTCP (labels 3-5). */
static ref_keys ref_session(const uint8_t *mkey, size_t mkey_len,
                            const uint8_t *msalt, size_t msalt_len, int rtcp) {
  ref_keys k;
  memset(&k, 0, sizeof k);
  uint8_t base = rtcp ? 3 : 0;
  k.enc_len = mkey_len;
  k.salt_len = msalt_len;
  ref_kdf(mkey, mkey_len, msalt, msalt_len, base, k.enc, k.enc_len);
  ref_kdf(mkey, mkey_len, msalt, msalt_len, (uint8_t)(base + 1), k.auth, 20);
  ref_kdf(mkey, mkey_len, msalt, msalt_len, (uint8_t)(base + 2), k.salt,
          k.salt_len);
  return k;
}

static void hmac_sha1(const uint8_t *key, const uint8_t *a, size_t a_len,
                      const uint8_t *b, size_t b_len, uint8_t out[20]) {
  uint8_t msg[2048];
  ck_assert_uint_le(a_len + b_len, sizeof msg);
  memcpy(msg, a, a_len);
  if (b_len > 0) memcpy(msg + a_len, b, b_len);
  unsigned outl = 0;
  ck_assert_ptr_nonnull(
      HMAC(EVP_sha1(), key, 20, msg, a_len + b_len, out, &outl));
  ck_assert_uint_eq(outl, 20);
}

/* AES-CM counter block (RFC 3711 4.1.1): salt * 2^16 XOR SSRC * 2^64 XOR
 * index * 2^16. */
static void cm_iv(const ref_keys *k, uint32_t ssrc, uint64_t index,
                  uint8_t iv[16]) {
  memset(iv, 0, 16);
  memcpy(iv, k->salt, 14);
  uint8_t s[4];
  wr32b(s, ssrc);
  for (int i = 0; i < 4; i++) iv[4 + i] ^= s[i];
  for (int i = 0; i < 6; i++) iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* SRTP with AES-CM and HMAC-SHA1 (RFC 3711 3.1, 4.1, 4.2): returns the
 * protected length. `hdr` is the RTP header length. */
static size_t ref_srtp_cm(const ref_keys *k, const uint8_t *rtp, size_t len,
                          size_t hdr, uint32_t roc, size_t tag_len,
                          uint8_t *out) {
  uint32_t ssrc = (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 |
                  (uint32_t)rtp[10] << 8 | rtp[11];
  uint64_t index = (uint64_t)roc << 16 | (uint64_t)(rtp[2] << 8 | rtp[3]);
  uint8_t iv[16];
  cm_iv(k, ssrc, index, iv);
  memcpy(out, rtp, hdr);
  ref_aes_ctr(k->enc, k->enc_len, iv, rtp + hdr, out + hdr, len - hdr);
  uint8_t r[4], tag[20];
  wr32b(r, roc);
  hmac_sha1(k->auth, out, len, r, 4, tag);
  memcpy(out + len, tag, tag_len);
  return len + tag_len;
}

/* SRTCP with AES-CM and HMAC-SHA1-80 (RFC 3711 3.4): encrypted after the
 * first 8 bytes, then E flag | index and the tag over all of it. */
static size_t ref_srtcp_cm(const ref_keys *k, const uint8_t *rtcp, size_t len,
                           uint32_t index, uint8_t *out) {
  uint32_t ssrc = (uint32_t)rtcp[4] << 24 | (uint32_t)rtcp[5] << 16 |
                  (uint32_t)rtcp[6] << 8 | rtcp[7];
  uint8_t iv[16];
  cm_iv(k, ssrc, index, iv);
  memcpy(out, rtcp, 8);
  ref_aes_ctr(k->enc, k->enc_len, iv, rtcp + 8, out + 8, len - 8);
  wr32b(out + len, 0x80000000u | index);
  uint8_t tag[20];
  hmac_sha1(k->auth, out, len + 4, NULL, 0, tag);
  memcpy(out + len + 4, tag, 10);
  return len + 14;
}

/* AES-GCM encryption with a 12-byte IV and a 16-byte tag appended. */
static void ref_gcm(const uint8_t *key, size_t key_len, const uint8_t *iv,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in,
                    size_t n, uint8_t *out) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  ck_assert_ptr_nonnull(c);
  const EVP_CIPHER *ci = key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
  int outl = 0;
  ck_assert_int_eq(EVP_EncryptInit_ex(c, ci, NULL, key, iv), 1);
  ck_assert_int_eq(EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len), 1);
  if (n > 0)
    ck_assert_int_eq(EVP_EncryptUpdate(c, out, &outl, in, (int)n), 1);
  ck_assert_int_eq(EVP_EncryptFinal_ex(c, out + n, &outl), 1);
  ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n),
                   1);
  EVP_CIPHER_CTX_free(c);
}

/* SRTP with AES-GCM (RFC 7714 8.1, 9.1): IV = (00 00 | SSRC | ROC | SEQ)
 * XOR salt, the header is the AAD. */
static size_t ref_srtp_gcm(const ref_keys *k, const uint8_t *rtp, size_t len,
                           size_t hdr, uint32_t roc, uint8_t *out) {
  uint8_t iv[12] = {0};
  memcpy(iv + 2, rtp + 8, 4);
  wr32b(iv + 6, roc);
  memcpy(iv + 10, rtp + 2, 2);
  for (int i = 0; i < 12; i++) iv[i] ^= k->salt[i];
  memcpy(out, rtp, hdr);
  ref_gcm(k->enc, k->enc_len, iv, rtp, hdr, rtp + hdr, len - hdr, out + hdr);
  return len + 16;
}

/* SRTCP with AES-GCM (RFC 7714 9.1, 17): IV = (00 00 | SSRC | 00 00 |
 * index) XOR salt, AAD = first 8 bytes | E flag | index; the trailer is
 * the tag then E | index. */
static size_t ref_srtcp_gcm(const ref_keys *k, const uint8_t *rtcp,
                            size_t len, uint32_t index, uint8_t *out) {
  uint8_t iv[12] = {0};
  memcpy(iv + 2, rtcp + 4, 4);
  wr32b(iv + 8, index);
  for (int i = 0; i < 12; i++) iv[i] ^= k->salt[i];
  uint8_t aad[12];
  memcpy(aad, rtcp, 8);
  wr32b(aad + 8, 0x80000000u | index);
  memcpy(out, rtcp, 8);
  ref_gcm(k->enc, k->enc_len, iv, aad, sizeof aad, rtcp + 8, len - 8,
          out + 8);
  wr32b(out + len + 16, 0x80000000u | index);
  return len + 20;
}

/* ===== The reference against the RFCs ==================================== */

/* RFC 3711 B.2: AES-CM keystream for session key 2B7E..., with SSRC and
 * index zero the counter block is the salt F0F1...FCFD shifted. */
START_TEST(test_reference_rfc3711_b2_keystream) {
  uint8_t key[16], iv[16], want[48], zeros[48] = {0}, got[48];
  unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof key);
  unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof iv);
  unhex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB "
        "41E95B3BB0A2E8DD477901E4FCA894C0",
        want, sizeof want);
  ref_aes_ctr(key, 16, iv, zeros, got, sizeof got);
  ck_assert_mem_eq(got, want, sizeof want);
  /* The counter block as cm_iv builds it from the salt. */
  ref_keys k;
  memset(&k, 0, sizeof k);
  unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", k.salt, 14);
  uint8_t built[16];
  cm_iv(&k, 0, 0, built);
  ck_assert_mem_eq(built, iv, 16);
}
END_TEST

/* RFC 3711 B.3: key derivation. */
static const char b3_master_key[] = "E1F97A0D3E018BE0D64FA32C06DE4139";
static const char b3_master_salt[] = "0EC675AD498AFEEBB6960B3AABE6";

START_TEST(test_reference_rfc3711_b3_kdf) {
  uint8_t mk[16], ms[14], want[20];
  unhex(b3_master_key, mk, sizeof mk);
  unhex(b3_master_salt, ms, sizeof ms);
  ref_keys k = ref_session(mk, 16, ms, 14, 0);
  unhex("C61E7A93744F39EE10734AFE3FF7A087", want, 16);
  ck_assert_mem_eq(k.enc, want, 16);
  unhex("30CBBC08863D8C85D49DB34A9AE1", want, 14);
  ck_assert_mem_eq(k.salt, want, 14);
  unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, 20);
  ck_assert_mem_eq(k.auth, want, 20);
}
END_TEST

/* RFC 7714 sections 16 and 17: the session key 00 01 .. (16 or 32 bytes)
 * and salt "Quid pro quo". */
static const char r7714_rtp[] =
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 "
    "20646976 69736120 696e2070 61727465 73207472 6573";
static const char r7714_rtcp[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 "
    "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef";
static const char r7714_salt[] = "517569642070726f2071756f";

static ref_keys r7714_keys(size_t key_len) {
  ref_keys k;
  memset(&k, 0, sizeof k);
  for (size_t i = 0; i < key_len; i++) k.enc[i] = (uint8_t)i;
  k.enc_len = key_len;
  k.salt_len = unhex(r7714_salt, k.salt, 12);
  return k;
}

static void check_r7714(size_t key_len, const char *want_rtp,
                        const char *want_rtcp) {
  ref_keys k = r7714_keys(key_len);
  uint8_t in[128], want[128], got[160];
  size_t n = unhex(r7714_rtp, in, sizeof in);
  size_t wn = unhex(want_rtp, want, sizeof want);
  ck_assert_uint_eq(ref_srtp_gcm(&k, in, n, 12, 0, got), wn);
  ck_assert_mem_eq(got, want, wn);
  n = unhex(r7714_rtcp, in, sizeof in);
  wn = unhex(want_rtcp, want, sizeof want);
  ck_assert_uint_eq(ref_srtcp_gcm(&k, in, n, 0x5d4, got), wn);
  ck_assert_mem_eq(got, want, wn);
}

START_TEST(test_reference_rfc7714_aes_128_gcm) {
  /* 16.1.1 (SRTP) and 17.1 (SRTCP, index 0x5d4). */
  check_r7714(16,
              "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca "
              "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 "
              "6a9152cf 765ee439 0cce",
              "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 "
              "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 "
              "96cf4d2f c5abf872 45d9eade 800005d4");
}
END_TEST

START_TEST(test_reference_rfc7714_aes_256_gcm) {
  /* 16.2.1 (SRTP) and 17.2 (SRTCP). */
  check_r7714(32,
              "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa "
              "b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff "
              "d6b0f9bb 7878d7a7 6c13",
              "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d "
              "bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c "
              "4446839f 57ff6f6c b26ac3be 800005d4");
}
END_TEST

/* ===== Sessions ========================================================== */

static sansrtc_srtp *new_keys(unsigned profile, const uint8_t *lk,
                              const uint8_t *ls, const uint8_t *rk,
                              const uint8_t *rs) {
  sansrtc_srtp_config cfg;
  sansrtc_srtp_config_default(&cfg);
  cfg.profile = profile;
  size_t kl = sansrtc_srtp_key_len(profile), sl = sansrtc_srtp_salt_len(profile);
  const sansrtc_srtp_master local = {lk, kl, ls, sl}, remote = {rk, kl, rs, sl};
  sansrtc_srtp *s = NULL;
  ck_assert_int_eq(sansrtc_srtp_new_with_keys(&s, &cfg, &local, &remote),
                   SANSRTC_OK);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Deterministic keying material of the profile's length. */
static size_t make_keying(unsigned profile, uint8_t seed, uint8_t *out) {
  size_t n = 2 * (sansrtc_srtp_key_len(profile) + sansrtc_srtp_salt_len(profile));
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(seed + 7 * i + (i >> 3));
  return n;
}

static sansrtc_srtp *new_dtls(unsigned profile, sansrtc_dtls_role role,
                              uint8_t seed) {
  uint8_t keying[SANSRTC_SRTP_MAX_KEYING_LEN];
  size_t n = make_keying(profile, seed, keying);
  sansrtc_srtp_config cfg;
  sansrtc_srtp_config_default(&cfg);
  cfg.profile = profile;
  sansrtc_srtp *s = NULL;
  ck_assert_int_eq(sansrtc_srtp_new(&s, &cfg, role, keying, n), SANSRTC_OK);
  return s;
}

/* An RTP packet: 12-byte header, `plen` payload bytes. */
static size_t make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, size_t plen) {
  p[0] = 0x80;
  p[1] = 96;
  wr16b(p + 2, seq);
  wr32b(p + 4, 1000u * seq);
  wr32b(p + 8, ssrc);
  for (size_t i = 0; i < plen; i++) p[12 + i] = (uint8_t)(seq + 3 * i);
  return 12 + plen;
}

/* An RTCP receiver report with one report block (32 bytes). */
static size_t make_rtcp(uint8_t *p, uint32_t ssrc, uint8_t fill) {
  p[0] = 0x81;
  p[1] = 201;
  wr16b(p + 2, 7);
  wr32b(p + 4, ssrc);
  for (size_t i = 8; i < 32; i++) p[i] = (uint8_t)(fill + i);
  return 32;
}

/* RFC 3711 B.3's master key and salt through a session: the SRTP and
 * SRTCP packets are byte for byte what the reference (itself checked
 * against B.2 and B.3 above) computes with the B.3 session keys. */
static void check_b3_session(unsigned profile, size_t tag_len) {
  uint8_t mk[16], ms[14], other[16] = {0};
  unhex(b3_master_key, mk, sizeof mk);
  unhex(b3_master_salt, ms, sizeof ms);
  sansrtc_srtp *tx = new_keys(profile, mk, ms, other, other);
  sansrtc_srtp *rx = new_keys(profile, other, other, mk, ms);
  ref_keys krtp = ref_session(mk, 16, ms, 14, 0);
  ref_keys krtcp = ref_session(mk, 16, ms, 14, 1);

  uint8_t plain[256], buf[256], want[256];
  size_t n = make_rtp(plain, 0x1234, 0xCAFEBABE, 40);
  memcpy(buf, plain, n);
  size_t len = n;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(tx, buf, &len, sizeof buf),
                   SANSRTC_OK);
  size_t wn = ref_srtp_cm(&krtp, plain, n, 12, 0, tag_len, want);
  ck_assert_uint_eq(len, wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, n);
  ck_assert_mem_eq(buf, plain, n);

  n = make_rtcp(plain, 0xCAFEBABE, 9);
  for (int i = 0; i < 2; i++) { /* consecutive SRTCP indexes */
    memcpy(buf, plain, n);
    len = n;
    ck_assert_int_eq(sansrtc_srtp_protect_rtcp(tx, buf, &len, sizeof buf),
                     SANSRTC_OK);
    ck_assert_uint_eq(len, n + 14);
    uint32_t e_index = (uint32_t)buf[n] << 24 | (uint32_t)buf[n + 1] << 16 |
                       (uint32_t)buf[n + 2] << 8 | buf[n + 3];
    ck_assert_uint_eq(e_index >> 31, 1); /* E: encrypted */
    static uint32_t first;
    if (i == 0) first = e_index & 0x7FFFFFFF;
    else ck_assert_uint_eq(e_index & 0x7FFFFFFF, first + 1);
    wn = ref_srtcp_cm(&krtcp, plain, n, e_index & 0x7FFFFFFF, want);
    ck_assert_uint_eq(len, wn);
    ck_assert_mem_eq(buf, want, wn);
    ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(rx, buf, &len), SANSRTC_OK);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(buf, plain, n);
  }
  sansrtc_srtp_del(tx);
  sansrtc_srtp_del(rx);
}

START_TEST(test_rfc3711_b3_keys_through_session_sha1_80) {
  check_b3_session(SANSRTC_SRTP_AES128_CM_SHA1_80, 10);
}
END_TEST

START_TEST(test_rfc3711_b3_keys_through_session_sha1_32) {
  /* 32-bit SRTP tag; SRTCP keeps the 80-bit one (RFC 5764 4.1.2). */
  check_b3_session(SANSRTC_SRTP_AES128_CM_SHA1_32, 4);
}
END_TEST

/* RFC 7714's packets through GCM sessions whose master key and salt are
 * the RFC's values: byte-exact against the reference (checked against
 * sections 16 and 17 above) with the session keys the AES-CM PRF derives
 * (AES-256 PRF for AEAD_AES_256_GCM, the 96-bit salt padded on the right). */
static void check_gcm_session(unsigned profile) {
  size_t kl = sansrtc_srtp_key_len(profile);
  ref_keys m = r7714_keys(kl);
  uint8_t other[32] = {0};
  sansrtc_srtp *tx = new_keys(profile, m.enc, m.salt, other, other);
  sansrtc_srtp *rx = new_keys(profile, other, other, m.enc, m.salt);
  ref_keys krtp = ref_session(m.enc, kl, m.salt, 12, 0);
  ref_keys krtcp = ref_session(m.enc, kl, m.salt, 12, 1);

  uint8_t plain[128], buf[160], want[160];
  size_t n = unhex(r7714_rtp, plain, sizeof plain);
  memcpy(buf, plain, n);
  size_t len = n;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(tx, buf, &len, sizeof buf),
                   SANSRTC_OK);
  size_t wn = ref_srtp_gcm(&krtp, plain, n, 12, 0, want);
  ck_assert_uint_eq(len, wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, n);
  ck_assert_mem_eq(buf, plain, n);

  n = unhex(r7714_rtcp, plain, sizeof plain);
  memcpy(buf, plain, n);
  len = n;
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(tx, buf, &len, sizeof buf),
                   SANSRTC_OK);
  uint32_t e_index = (uint32_t)buf[len - 4] << 24 |
                     (uint32_t)buf[len - 3] << 16 |
                     (uint32_t)buf[len - 2] << 8 | buf[len - 1];
  ck_assert_uint_eq(e_index >> 31, 1);
  wn = ref_srtcp_gcm(&krtcp, plain, n, e_index & 0x7FFFFFFF, want);
  ck_assert_uint_eq(len, wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(rx, buf, &len), SANSRTC_OK);
  ck_assert_uint_eq(len, n);
  ck_assert_mem_eq(buf, plain, n);
  sansrtc_srtp_del(tx);
  sansrtc_srtp_del(rx);
}

START_TEST(test_rfc7714_packets_through_gcm_sessions) {
  check_gcm_session(SANSRTC_SRTP_AEAD_AES_128_GCM);
  check_gcm_session(SANSRTC_SRTP_AEAD_AES_256_GCM);
}
END_TEST

/* Protects with `a`, unprotects with `b`; returns b's result. */
static int rtp_across(sansrtc_srtp *a, sansrtc_srtp *b, uint16_t seq,
                      uint32_t ssrc) {
  uint8_t plain[300], buf[300 + SANSRTC_SRTP_MAX_TRAILER];
  size_t n = make_rtp(plain, seq, ssrc, 200);
  memcpy(buf, plain, n);
  size_t len = n;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(a, buf, &len, sizeof buf),
                   SANSRTC_OK);
  ck_assert_uint_eq(len, n + sansrtc_srtp_rtp_overhead(sansrtc_srtp_profile(a)));
  ck_assert_mem_ne(buf + 12, plain + 12, 16); /* encrypted */
  int rc = sansrtc_srtp_unprotect_rtp(b, buf, &len);
  if (rc == SANSRTC_OK) {
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(buf, plain, n);
  }
  return rc;
}

static int rtcp_across(sansrtc_srtp *a, sansrtc_srtp *b, uint32_t ssrc) {
  uint8_t plain[64], buf[64 + SANSRTC_SRTP_MAX_TRAILER];
  size_t n = make_rtcp(plain, ssrc, 1);
  memcpy(buf, plain, n);
  size_t len = n;
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(a, buf, &len, sizeof buf),
                   SANSRTC_OK);
  ck_assert_uint_eq(len,
                    n + sansrtc_srtp_rtcp_overhead(sansrtc_srtp_profile(a)));
  int rc = sansrtc_srtp_unprotect_rtcp(b, buf, &len);
  if (rc == SANSRTC_OK) {
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(buf, plain, n);
  }
  return rc;
}

/* Every profile: a client session and a server session from the same
 * keying material talk both ways, RTP and RTCP, several SSRCs. */
START_TEST(test_round_trip_every_profile_both_roles) {
  unsigned profile = profiles[_i];
  sansrtc_srtp *client = new_dtls(profile, SANSRTC_DTLS_CLIENT, 5);
  sansrtc_srtp *server = new_dtls(profile, SANSRTC_DTLS_SERVER, 5);
  ck_assert_uint_eq(sansrtc_srtp_profile(client), profile);
  for (uint16_t seq = 100; seq < 110; seq++) {
    for (uint32_t ssrc = 1; ssrc <= 3; ssrc++) {
      ck_assert_int_eq(rtp_across(client, server, seq, ssrc), SANSRTC_OK);
      ck_assert_int_eq(rtp_across(server, client, seq, ssrc), SANSRTC_OK);
      ck_assert_int_eq(rtcp_across(client, server, ssrc), SANSRTC_OK);
      ck_assert_int_eq(rtcp_across(server, client, ssrc), SANSRTC_OK);
    }
  }
  sansrtc_srtp_stats st;
  sansrtc_srtp_get_stats(client, &st);
  ck_assert_uint_eq(st.rtp_protected, 30);
  ck_assert_uint_eq(st.rtp_unprotected, 30);
  ck_assert_uint_eq(st.rtcp_protected, 30);
  ck_assert_uint_eq(st.rtcp_unprotected, 30);
  ck_assert_uint_eq(st.auth_failures + st.replays + st.other_errors, 0);
  sansrtc_srtp_del(client);
  sansrtc_srtp_del(server);
}
END_TEST

/* The same role on both ends uses the same key to send and expects the
 * other half to receive: authentication fails, which proves the halves
 * are taken the right way round. */
START_TEST(test_same_role_both_ends_fails) {
  unsigned profile = profiles[_i];
  for (int r = 0; r < 2; r++) {
    sansrtc_dtls_role role = r ? SANSRTC_DTLS_SERVER : SANSRTC_DTLS_CLIENT;
    sansrtc_srtp *a = new_dtls(profile, role, 5);
    sansrtc_srtp *b = new_dtls(profile, role, 5);
    ck_assert_int_eq(rtp_across(a, b, 1, 7), SANSRTC_ERR_INTEGRITY);
    ck_assert_int_eq(rtcp_across(a, b, 7), SANSRTC_ERR_INTEGRITY);
    sansrtc_srtp_stats st;
    sansrtc_srtp_get_stats(b, &st);
    ck_assert_uint_eq(st.auth_failures, 2);
    ck_assert_uint_eq(st.rtp_unprotected + st.rtcp_unprotected, 0);
    sansrtc_srtp_del(a);
    sansrtc_srtp_del(b);
  }
}
END_TEST

/* The exact split of RFC 5764 4.2: a client sends with bytes [0, kl) and
 * salt [2kl, 2kl + sl); the server with [kl, 2kl) and [2kl + sl, ...). */
START_TEST(test_keying_halves_are_rfc5764_layout) {
  unsigned profile = profiles[_i];
  size_t kl = sansrtc_srtp_key_len(profile), sl = sansrtc_srtp_salt_len(profile);
  uint8_t keying[SANSRTC_SRTP_MAX_KEYING_LEN], zero[32] = {0};
  make_keying(profile, 11, keying);
  const uint8_t *ck = keying, *sk = keying + kl, *cs = keying + 2 * kl,
                *ss = keying + 2 * kl + sl;
  sansrtc_srtp *client = new_dtls(profile, SANSRTC_DTLS_CLIENT, 11);
  sansrtc_srtp *server = new_dtls(profile, SANSRTC_DTLS_SERVER, 11);
  sansrtc_srtp *hears_client = new_keys(profile, zero, zero, ck, cs);
  sansrtc_srtp *hears_server = new_keys(profile, zero, zero, sk, ss);
  sansrtc_srtp *as_client = new_keys(profile, ck, cs, zero, zero);
  ck_assert_int_eq(rtp_across(client, hears_client, 1, 1), SANSRTC_OK);
  ck_assert_int_eq(rtp_across(server, hears_server, 1, 1), SANSRTC_OK);
  ck_assert_int_eq(rtp_across(as_client, server, 2, 1), SANSRTC_OK);
  ck_assert_int_eq(rtp_across(client, hears_server, 3, 1),
                   SANSRTC_ERR_INTEGRITY);
  sansrtc_srtp_del(client);
  sansrtc_srtp_del(server);
  sansrtc_srtp_del(hears_client);
  sansrtc_srtp_del(hears_server);
  sansrtc_srtp_del(as_client);
}
END_TEST

/* Replay: the same packet twice, a tampered byte, a packet older than the
 * window; each counted. */
START_TEST(test_replay_tamper_and_old) {
  unsigned profile = profiles[_i];
  sansrtc_srtp_config cfg;
  sansrtc_srtp_config_default(&cfg);
  cfg.profile = profile;
  cfg.replay_window = 64;
  uint8_t keying[SANSRTC_SRTP_MAX_KEYING_LEN];
  size_t kn = make_keying(profile, 3, keying);
  sansrtc_srtp *tx = NULL, *rx = NULL;
  ck_assert_int_eq(sansrtc_srtp_new(&tx, &cfg, SANSRTC_DTLS_CLIENT, keying, kn),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_srtp_new(&rx, &cfg, SANSRTC_DTLS_SERVER, keying, kn),
                   SANSRTC_OK);
  static uint8_t pkts[201][128];
  size_t lens[201];
  for (uint16_t s = 0; s <= 200; s++) {
    lens[s] = make_rtp(pkts[s], s, 42, 60);
    ck_assert_int_eq(sansrtc_srtp_protect_rtp(tx, pkts[s], &lens[s], 128),
                     SANSRTC_OK);
  }
  uint8_t buf[128];
  size_t len;
  /* Tampered first: nothing is learnt from a packet that fails. */
  for (size_t at = 0; at < lens[10]; at += 7) {
    memcpy(buf, pkts[10], lens[10]);
    buf[at] ^= 0x01;
    len = lens[10];
    int rc = sansrtc_srtp_unprotect_rtp(rx, buf, &len);
    ck_assert_msg(rc == SANSRTC_ERR_INTEGRITY || rc == SANSRTC_ERR_MALFORMED,
                  "byte %zu: %d", at, rc);
    ck_assert_uint_eq(len, lens[10]);
  }
  sansrtc_srtp_stats st;
  sansrtc_srtp_get_stats(rx, &st);
  uint64_t tampered = st.auth_failures;
  ck_assert_uint_gt(tampered, 0);
  /* Then the real packet, twice. */
  memcpy(buf, pkts[10], lens[10]);
  len = lens[10];
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_OK);
  memcpy(buf, pkts[10], lens[10]);
  len = lens[10];
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_ERR_REPLAY);
  ck_assert_uint_eq(len, lens[10]);
  /* Move to 200: 100 is unseen but 100 behind (window 64): replay;
   * 150 is unseen and within: accepted, once. */
  memcpy(buf, pkts[200], lens[200]);
  len = lens[200];
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_OK);
  memcpy(buf, pkts[100], lens[100]);
  len = lens[100];
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_ERR_REPLAY);
  memcpy(buf, pkts[150], lens[150]);
  len = lens[150];
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_OK);
  memcpy(buf, pkts[150], lens[150]);
  len = lens[150];
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_ERR_REPLAY);
  sansrtc_srtp_get_stats(rx, &st);
  ck_assert_uint_eq(st.replays, 3);
  ck_assert_uint_eq(st.rtp_unprotected, 3);
  ck_assert_uint_eq(st.auth_failures, tampered);

  /* SRTCP: the same packet twice, and a tampered one. */
  uint8_t rtcp[64];
  size_t rn = make_rtcp(rtcp, 42, 0);
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(tx, rtcp, &rn, sizeof rtcp),
                   SANSRTC_OK);
  memcpy(buf, rtcp, rn);
  buf[rn - 1] ^= 0x80;
  len = rn;
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(rx, buf, &len),
                   SANSRTC_ERR_INTEGRITY);
  memcpy(buf, rtcp, rn);
  len = rn;
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(rx, buf, &len), SANSRTC_OK);
  memcpy(buf, rtcp, rn);
  len = rn;
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(rx, buf, &len),
                   SANSRTC_ERR_REPLAY);
  sansrtc_srtp_get_stats(rx, &st);
  ck_assert_uint_eq(st.replays, 4);
  ck_assert_uint_eq(st.auth_failures, tampered + 1);
  ck_assert_uint_eq(st.rtcp_unprotected, 1);
  ck_assert_uint_eq(st.other_errors, 0);
  sansrtc_srtp_del(tx);
  sansrtc_srtp_del(rx);
}
END_TEST

/* Protecting a sequence number twice is a replay unless allowed. */
START_TEST(test_repeat_tx) {
  for (int allow = 0; allow < 2; allow++) {
    sansrtc_srtp_config cfg;
    sansrtc_srtp_config_default(&cfg);
    cfg.allow_repeat_tx = allow;
    uint8_t keying[SANSRTC_SRTP_MAX_KEYING_LEN];
    size_t kn = make_keying(cfg.profile, 1, keying);
    sansrtc_srtp *s = NULL;
    ck_assert_int_eq(sansrtc_srtp_new(&s, &cfg, SANSRTC_DTLS_CLIENT, keying, kn),
                     SANSRTC_OK);
    uint8_t a[64], b[64];
    size_t la = make_rtp(a, 9, 9, 20), lb = make_rtp(b, 9, 9, 20);
    ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, a, &la, sizeof a), SANSRTC_OK);
    int rc = sansrtc_srtp_protect_rtp(s, b, &lb, sizeof b);
    if (allow) {
      ck_assert_int_eq(rc, SANSRTC_OK);
      ck_assert_uint_eq(la, lb);
      ck_assert_mem_eq(a, b, la); /* the identical packet again */
    } else {
      ck_assert_int_eq(rc, SANSRTC_ERR_REPLAY);
      ck_assert_uint_eq(lb, 32);
    }
    sansrtc_srtp_del(s);
  }
}
END_TEST

/* Sequence numbers wrap 65535 -> 0: the sender's rollover counter goes to
 * 1 (checked byte-exactly against the reference with ROC 1) and the
 * receiver follows. */
START_TEST(test_rollover) {
  unsigned profile = profiles[_i];
  size_t kl = sansrtc_srtp_key_len(profile), sl = sansrtc_srtp_salt_len(profile);
  uint8_t mk[32], ms[14], zero[32] = {0};
  for (size_t i = 0; i < sizeof mk; i++) mk[i] = (uint8_t)(0xA0 + i);
  for (size_t i = 0; i < sizeof ms; i++) ms[i] = (uint8_t)(0x50 + i);
  sansrtc_srtp *tx = new_keys(profile, mk, ms, zero, zero);
  sansrtc_srtp *rx = new_keys(profile, zero, zero, mk, ms);
  ref_keys k = ref_session(mk, kl, ms, sl, 0);
  uint16_t seq = 65530;
  for (int i = 0; i < 12; i++, seq++) {
    uint8_t plain[128], buf[160], want[160];
    size_t n = make_rtp(plain, seq, 0x10203040, 50);
    memcpy(buf, plain, n);
    size_t len = n;
    ck_assert_int_eq(sansrtc_srtp_protect_rtp(tx, buf, &len, sizeof buf),
                     SANSRTC_OK);
    uint32_t roc = seq >= 65530 ? 0 : 1;
    size_t wn = sansrtc_srtp_rtp_overhead(profile) == 16
                    ? ref_srtp_gcm(&k, plain, n, 12, roc, want)
                    : ref_srtp_cm(&k, plain, n, 12, roc,
                                  sansrtc_srtp_rtp_overhead(profile), want);
    ck_assert_uint_eq(len, wn);
    ck_assert_msg(memcmp(buf, want, wn) == 0, "seq %u", (unsigned)seq);
    ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, buf, &len), SANSRTC_OK);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(buf, plain, n);
  }
  sansrtc_srtp_del(tx);
  sansrtc_srtp_del(rx);
}
END_TEST

/* Every truncation of valid SRTP and SRTCP packets, zero length and
 * lengths under the header: clean errors, never success, *len kept.
 * Buffers are heap copies of exactly the given length so that ASan and
 * valgrind see any read past them. */
START_TEST(test_truncations) {
  unsigned profile = profiles[_i];
  sansrtc_srtp *tx = new_dtls(profile, SANSRTC_DTLS_CLIENT, 8);
  sansrtc_srtp *rx = new_dtls(profile, SANSRTC_DTLS_SERVER, 8);
  uint8_t rtp[160], rtcp[80];
  size_t rn = make_rtp(rtp, 5, 5, 100), cn = make_rtcp(rtcp, 5, 5);
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(tx, rtp, &rn, sizeof rtp),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(tx, rtcp, &cn, sizeof rtcp),
                   SANSRTC_OK);
  for (size_t n = 0; n < rn; n++) {
    uint8_t *b = malloc(n > 0 ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, rtp, n);
    size_t len = n;
    int rc = sansrtc_srtp_unprotect_rtp(rx, b, &len);
    ck_assert_msg(rc == SANSRTC_ERR_MALFORMED || rc == SANSRTC_ERR_INTEGRITY,
                  "rtp length %zu: %d", n, rc);
    ck_assert_uint_eq(len, n);
    if (n < 12 + sansrtc_srtp_rtp_overhead(profile))
      ck_assert_int_eq(rc, SANSRTC_ERR_MALFORMED);
    free(b);
  }
  for (size_t n = 0; n < cn; n++) {
    uint8_t *b = malloc(n > 0 ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, rtcp, n);
    size_t len = n;
    int rc = sansrtc_srtp_unprotect_rtcp(rx, b, &len);
    ck_assert_msg(rc == SANSRTC_ERR_MALFORMED || rc == SANSRTC_ERR_INTEGRITY,
                  "rtcp length %zu: %d", n, rc);
    ck_assert_uint_eq(len, n);
    if (n < 8 + sansrtc_srtp_rtcp_overhead(profile))
      ck_assert_int_eq(rc, SANSRTC_ERR_MALFORMED);
    free(b);
  }
  /* The whole packets still authenticate afterwards. */
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(rx, rtp, &rn), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(rx, rtcp, &cn), SANSRTC_OK);
  sansrtc_srtp_del(tx);
  sansrtc_srtp_del(rx);
}
END_TEST

/* Headers whose CSRC count or extension length lie. */
START_TEST(test_lying_headers) {
  sansrtc_srtp *s = new_dtls(SANSRTC_SRTP_AES128_CM_SHA1_80,
                             SANSRTC_DTLS_CLIENT, 1);
  uint8_t p[64];
  size_t len;
  /* Protect: version 1, 15 CSRCs in 40 bytes, an extension past the end. */
  make_rtp(p, 1, 1, 28);
  p[0] = 0x40;
  len = 40;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, p, &len, sizeof p),
                   SANSRTC_ERR_MALFORMED);
  p[0] = 0x8F;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, p, &len, sizeof p),
                   SANSRTC_ERR_MALFORMED);
  p[0] = 0x90;
  wr16b(p + 14, 10); /* 40 bytes of extension after a 16-byte header */
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, p, &len, sizeof p),
                   SANSRTC_ERR_MALFORMED);
  len = 14; /* the extension header itself cut */
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, p, &len, sizeof p),
                   SANSRTC_ERR_MALFORMED);
  wr16b(p + 14, 2); /* a real 8-byte extension: fine */
  len = 40;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, p, &len, sizeof p), SANSRTC_OK);
  ck_assert_uint_eq(len, 50);
  /* Unprotect with the same lies. */
  p[0] = 0x8F;
  len = 40;
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(s, p, &len),
                   SANSRTC_ERR_MALFORMED);
  p[0] = 0x90;
  wr16b(p + 14, 6); /* header ends at 40: no room for the tag */
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(s, p, &len),
                   SANSRTC_ERR_MALFORMED);
  /* RTCP: version 0, under 8 bytes. */
  make_rtcp(p, 1, 1);
  p[0] = 0x01;
  len = 32;
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(s, p, &len, sizeof p),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(s, p, &len),
                   SANSRTC_ERR_MALFORMED);
  p[0] = 0x81;
  len = 7;
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(s, p, &len, sizeof p),
                   SANSRTC_ERR_MALFORMED);
  /* Longer than a datagram. */
  static uint8_t big[SANSRTC_SRTP_MAX_PACKET + 64];
  len = make_rtp(big, 1, 1, 100);
  len = SANSRTC_SRTP_MAX_PACKET + 1;
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, big, &len, sizeof big),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(s, big, &len),
                   SANSRTC_ERR_MALFORMED);
  sansrtc_srtp_stats st;
  sansrtc_srtp_get_stats(s, &st);
  ck_assert_uint_eq(st.other_errors, 11);
  ck_assert_uint_eq(st.rtp_protected, 1);
  sansrtc_srtp_del(s);
}
END_TEST

/* Random bytes into every unprotect, on every profile. */
START_TEST(test_random_input) {
  unsigned profile = profiles[_i];
  sansrtc_srtp *s = new_dtls(profile, SANSRTC_DTLS_SERVER, 2);
  uint32_t x = 12345u + (uint32_t)_i;
  const int iters = test_iterations(3000);
  for (int iter = 0; iter < iters; iter++) {
    x = x * 1103515245u + 12345u;
    size_t n = (x >> 16) % 200;
    uint8_t *b = malloc(n > 0 ? n : 1);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++) {
      x = x * 1103515245u + 12345u;
      b[i] = (uint8_t)(x >> 16);
    }
    if (n > 0 && (iter & 1)) b[0] = (uint8_t)(0x80 | (b[0] & 0x3F));
    size_t len = n;
    ck_assert_int_ne(sansrtc_srtp_unprotect_rtp(s, b, &len), SANSRTC_OK);
    ck_assert_uint_eq(len, n);
    ck_assert_int_ne(sansrtc_srtp_unprotect_rtcp(s, b, &len), SANSRTC_OK);
    ck_assert_uint_eq(len, n);
    free(b);
  }
  sansrtc_srtp_stats st;
  sansrtc_srtp_get_stats(s, &st);
  ck_assert_uint_eq(st.auth_failures + st.replays + st.other_errors, (uint64_t)(2 * iters));
  sansrtc_srtp_del(s);
}
END_TEST

/* Capacity: every capacity short of the overhead is refused with nothing
 * written past the packet; exactly the overhead works (a heap buffer of
 * exactly that size, so ASan and valgrind catch any write beyond). */
START_TEST(test_buffer_capacity) {
  unsigned profile = profiles[_i];
  sansrtc_srtp *s = new_dtls(profile, SANSRTC_DTLS_CLIENT, 4);
  for (int rtcp = 0; rtcp < 2; rtcp++) {
    size_t over = rtcp ? sansrtc_srtp_rtcp_overhead(profile)
                       : sansrtc_srtp_rtp_overhead(profile);
    ck_assert_uint_le(over, SANSRTC_SRTP_MAX_TRAILER);
    uint8_t plain[64];
    size_t n = rtcp ? make_rtcp(plain, 3, 3) : make_rtp(plain, 3, 3, 20);
    for (size_t cap = n; cap <= n + over; cap++) {
      uint8_t *b = malloc(cap);
      ck_assert_ptr_nonnull(b);
      memcpy(b, plain, n);
      memset(b + n, 0xEE, cap - n);
      size_t len = n;
      int rc = rtcp ? sansrtc_srtp_protect_rtcp(s, b, &len, cap)
                    : sansrtc_srtp_protect_rtp(s, b, &len, cap);
      if (cap < n + over) {
        ck_assert_int_eq(rc, SANSRTC_ERR_BUFFER_TOO_SMALL);
        ck_assert_uint_eq(len, n);
        ck_assert_mem_eq(b, plain, n);
        for (size_t i = n; i < cap; i++) ck_assert_uint_eq(b[i], 0xEE);
      } else {
        ck_assert_int_eq(rc, SANSRTC_OK);
        ck_assert_uint_eq(len, cap);
      }
      free(b);
    }
    size_t len = n;
    ck_assert_int_eq(rtcp ? sansrtc_srtp_protect_rtcp(s, plain, &len, n - 1)
                          : sansrtc_srtp_protect_rtp(s, plain, &len, n - 1),
                     SANSRTC_ERR_INVALID_ARGUMENT);
  }
  sansrtc_srtp_del(s);
}
END_TEST

START_TEST(test_profile_sizes) {
  const size_t key[4] = {16, 16, 16, 32}, salt[4] = {14, 14, 12, 12},
               rtp[4] = {10, 4, 16, 16}, rtcp[4] = {14, 14, 20, 20};
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_eq(sansrtc_srtp_key_len(profiles[i]), key[i]);
    ck_assert_uint_eq(sansrtc_srtp_salt_len(profiles[i]), salt[i]);
    ck_assert_uint_eq(sansrtc_srtp_rtp_overhead(profiles[i]), rtp[i]);
    ck_assert_uint_eq(sansrtc_srtp_rtcp_overhead(profiles[i]), rtcp[i]);
  }
  ck_assert_uint_eq(sansrtc_srtp_key_len(0), 0);
  ck_assert_uint_eq(sansrtc_srtp_salt_len(3), 0);
  ck_assert_uint_eq(sansrtc_srtp_rtp_overhead(1u << 4), 0);
  ck_assert_uint_eq(sansrtc_srtp_rtcp_overhead(0), 0);
  /* The longest DTLS-SRTP keying material (RFC 5764 4.2). */
  ck_assert_uint_eq(2 * (32 + 12), SANSRTC_SRTP_MAX_KEYING_LEN);
}
END_TEST

START_TEST(test_arguments) {
  sansrtc_srtp_config cfg;
  sansrtc_srtp_config_default(&cfg);
  ck_assert_uint_eq(cfg.profile, SANSRTC_SRTP_AES128_CM_SHA1_80);
  ck_assert_uint_eq(cfg.replay_window, 1024);
  ck_assert_int_eq(cfg.allow_repeat_tx, 0);
  sansrtc_srtp_config_default(NULL);
  uint8_t keying[SANSRTC_SRTP_MAX_KEYING_LEN];
  size_t kn = make_keying(cfg.profile, 0, keying);
  sansrtc_srtp *s = (sansrtc_srtp *)&cfg; /* must stay untouched */
  sansrtc_srtp *const sentinel = s;
  ck_assert_int_eq(sansrtc_srtp_new(NULL, &cfg, SANSRTC_DTLS_CLIENT, keying, kn),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new(&s, NULL, SANSRTC_DTLS_CLIENT, keying, kn),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new(&s, &cfg, SANSRTC_DTLS_CLIENT, NULL, kn),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new(&s, &cfg, (sansrtc_dtls_role)2, keying, kn),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new(&s, &cfg, SANSRTC_DTLS_CLIENT, keying, kn - 1),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new(&s, &cfg, SANSRTC_DTLS_CLIENT, keying, kn + 1),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  const unsigned bad_profiles[] = {0, 3, 1u << 4, SANSRTC_SRTP_ALL_PROFILES};
  for (size_t i = 0; i < 4; i++) {
    sansrtc_srtp_config c = cfg;
    c.profile = bad_profiles[i];
    ck_assert_int_eq(sansrtc_srtp_new(&s, &c, SANSRTC_DTLS_CLIENT, keying, kn),
                     SANSRTC_ERR_INVALID_ARGUMENT);
  }
  const unsigned windows[] = {0, 63, 32768, 100000};
  for (size_t i = 0; i < 4; i++) {
    sansrtc_srtp_config c = cfg;
    c.replay_window = windows[i];
    ck_assert_int_eq(sansrtc_srtp_new(&s, &c, SANSRTC_DTLS_CLIENT, keying, kn),
                     SANSRTC_ERR_INVALID_ARGUMENT);
  }
  ck_assert_ptr_eq(s, sentinel);
  /* The window's bounds themselves are accepted. */
  const unsigned ok_windows[] = {64, 32767};
  for (size_t i = 0; i < 2; i++) {
    sansrtc_srtp_config c = cfg;
    c.replay_window = ok_windows[i];
    s = NULL;
    ck_assert_int_eq(sansrtc_srtp_new(&s, &c, SANSRTC_DTLS_SERVER, keying, kn),
                     SANSRTC_OK);
    sansrtc_srtp_del(s);
  }
  /* Explicit keys of the wrong lengths. */
  uint8_t k[32] = {0};
  sansrtc_srtp_master good = {k, 16, k, 14}, short_key = {k, 15, k, 14},
                      gcm_salt = {k, 16, k, 12}, no_key = {NULL, 16, k, 14};
  s = sentinel;
  ck_assert_int_eq(sansrtc_srtp_new_with_keys(&s, &cfg, &good, &short_key),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new_with_keys(&s, &cfg, &gcm_salt, &good),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new_with_keys(&s, &cfg, &no_key, &good),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_new_with_keys(&s, &cfg, NULL, &good),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_eq(s, sentinel);
  /* NULL sessions and buffers. */
  uint8_t p[64];
  size_t len = make_rtp(p, 1, 1, 10);
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(NULL, p, &len, sizeof p),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(NULL, p, &len, sizeof p),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(NULL, p, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(NULL, p, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  s = new_dtls(cfg.profile, SANSRTC_DTLS_CLIENT, 0);
  ck_assert_int_eq(sansrtc_srtp_protect_rtp(s, NULL, &len, sizeof p),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_protect_rtcp(s, p, NULL, sizeof p),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(s, NULL, &len),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(s, p, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_srtp_stats st;
  sansrtc_srtp_get_stats(s, &st);
  ck_assert_uint_eq(st.other_errors, 4);
  sansrtc_srtp_get_stats(s, NULL);
  sansrtc_srtp_get_stats(NULL, &st);
  ck_assert_uint_eq(st.other_errors, 0);
  ck_assert_uint_eq(sansrtc_srtp_profile(NULL), 0);
  sansrtc_srtp_del(s);
  sansrtc_srtp_del(NULL);
}
END_TEST

/* Per-packet memory: after the first packet of an SSRC (which creates
 * libsrtp's stream context), 10,000 protect + unprotect pairs of every
 * profile leave the heap's in-use bytes (mallinfo2().uordblks) exactly
 * where they were: nothing is kept per packet. (Under valgrind and ASan
 * the figure is not glibc's and the check is vacuous; plain runs make it.)
 * Allocations a backend makes and frees inside one call are not seen
 * here; docs/srtp.md says why that is the backend's, not sansrtc's. */
START_TEST(test_no_memory_kept_per_packet) {
  unsigned profile = profiles[_i];
  sansrtc_srtp *a = new_dtls(profile, SANSRTC_DTLS_CLIENT, 6);
  sansrtc_srtp *b = new_dtls(profile, SANSRTC_DTLS_SERVER, 6);
  uint8_t buf[256];
  uint16_t seq = 0;
  for (int i = 0; i < 100; i++, seq++) { /* warm-up: contexts, caches */
    size_t len = make_rtp(buf, seq, 77, 160);
    ck_assert_int_eq(sansrtc_srtp_protect_rtp(a, buf, &len, sizeof buf),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(b, buf, &len), SANSRTC_OK);
    len = make_rtcp(buf, 77, (uint8_t)i);
    ck_assert_int_eq(sansrtc_srtp_protect_rtcp(b, buf, &len, sizeof buf),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(a, buf, &len), SANSRTC_OK);
  }
  size_t before = mallinfo2().uordblks;
  for (int i = 0; i < test_iterations(10000); i++, seq++) {
    size_t len = make_rtp(buf, seq, 77, 160);
    ck_assert_int_eq(sansrtc_srtp_protect_rtp(a, buf, &len, sizeof buf),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_srtp_unprotect_rtp(b, buf, &len), SANSRTC_OK);
    if (i % 100 == 0) {
      len = make_rtcp(buf, 77, (uint8_t)i);
      ck_assert_int_eq(sansrtc_srtp_protect_rtcp(b, buf, &len, sizeof buf),
                       SANSRTC_OK);
      ck_assert_int_eq(sansrtc_srtp_unprotect_rtcp(a, buf, &len), SANSRTC_OK);
    }
  }
  /* Nothing kept: in-use heap did not grow (it may shrink when a cache the
   * earlier suites left behind is released during the loop). */
  size_t after = mallinfo2().uordblks;
  ck_assert_uint_le(after, before);
  sansrtc_srtp_del(a);
  sansrtc_srtp_del(b);
}
END_TEST

/* An application that initialised libsrtp itself keeps it: sansrtc's last
 * session does not shut it down. */
START_TEST(test_application_initialised_libsrtp) {
  ck_assert_int_eq(srtp_init(), srtp_err_status_ok);
  sansrtc_srtp *a = new_dtls(SANSRTC_SRTP_AEAD_AES_128_GCM,
                             SANSRTC_DTLS_CLIENT, 1);
  sansrtc_srtp *b = new_dtls(SANSRTC_SRTP_AEAD_AES_128_GCM,
                             SANSRTC_DTLS_SERVER, 1);
  ck_assert_int_eq(rtp_across(a, b, 1, 1), SANSRTC_OK);
  sansrtc_srtp_del(a);
  sansrtc_srtp_del(b);
  /* libsrtp still works for the application. */
  uint8_t key[30] = {1};
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  srtp_crypto_policy_set_rtp_default(&p.rtp);
  srtp_crypto_policy_set_rtcp_default(&p.rtcp);
  p.ssrc.type = ssrc_any_outbound;
  p.key = key;
  srtp_t session = NULL;
  ck_assert_int_eq(srtp_create(&session, &p), srtp_err_status_ok);
  ck_assert_int_eq(srtp_dealloc(session), srtp_err_status_ok);
  ck_assert_int_eq(srtp_shutdown(), srtp_err_status_ok);
  /* And sansrtc initialises it again for its next session. */
  a = new_dtls(SANSRTC_SRTP_AES128_CM_SHA1_80, SANSRTC_DTLS_CLIENT, 1);
  b = new_dtls(SANSRTC_SRTP_AES128_CM_SHA1_80, SANSRTC_DTLS_SERVER, 1);
  ck_assert_int_eq(rtp_across(b, a, 1, 1), SANSRTC_OK);
  sansrtc_srtp_del(a);
  sansrtc_srtp_del(b);
}
END_TEST

/* Sessions created, used and freed on several threads at once: the
 * reference count on libsrtp's kernel holds (run under helgrind/tsan too). */
static void *thread_body(void *arg) {
  unsigned t = (unsigned)(uintptr_t)arg;
  for (int i = 0; i < 15; i++) {
    unsigned profile = profiles[(t + (unsigned)i) % 4];
    sansrtc_srtp *a = new_dtls(profile, SANSRTC_DTLS_CLIENT, (uint8_t)t);
    sansrtc_srtp *b = new_dtls(profile, SANSRTC_DTLS_SERVER, (uint8_t)t);
    ck_assert_int_eq(rtp_across(a, b, (uint16_t)i, t), SANSRTC_OK);
    ck_assert_int_eq(rtcp_across(b, a, t), SANSRTC_OK);
    sansrtc_srtp_del(a);
    sansrtc_srtp_del(b);
  }
  return NULL;
}

START_TEST(test_threads) {
  pthread_t th[4];
  for (uintptr_t i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&th[i], NULL, thread_body, (void *)i), 0);
  for (int i = 0; i < 4; i++) ck_assert_int_eq(pthread_join(th[i], NULL), 0);
}
END_TEST

/* One session alive for a whole test case keeps libsrtp (and NSS under it)
 * initialised across its tests instead of starting it for each: under
 * valgrind that start-up was most of the suite's time. */
static sansrtc_srtp *keeper;
static void keep_libsrtp(void) {
  keeper = new_dtls(SANSRTC_SRTP_AES128_CM_SHA1_80, SANSRTC_DTLS_CLIENT, 99);
}
static void release_libsrtp(void) {
  sansrtc_srtp_del(keeper);
  keeper = NULL;
}

Suite *srtp_suite(void) {
  Suite *s = suite_create("srtp");
  TCase *tc = tcase_create("vectors");
  tcase_add_unchecked_fixture(tc, keep_libsrtp, release_libsrtp);
  tcase_add_test(tc, test_reference_rfc3711_b2_keystream);
  tcase_add_test(tc, test_reference_rfc3711_b3_kdf);
  tcase_add_test(tc, test_reference_rfc7714_aes_128_gcm);
  tcase_add_test(tc, test_reference_rfc7714_aes_256_gcm);
  tcase_add_test(tc, test_rfc3711_b3_keys_through_session_sha1_80);
  tcase_add_test(tc, test_rfc3711_b3_keys_through_session_sha1_32);
  tcase_add_test(tc, test_rfc7714_packets_through_gcm_sessions);
  tcase_add_loop_test(tc, test_rollover, 0, 4);
  suite_add_tcase(s, tc);

  tc = tcase_create("session");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_profile_sizes);
  tcase_add_test(tc, test_arguments);
  tcase_add_loop_test(tc, test_round_trip_every_profile_both_roles, 0, 4);
  tcase_add_loop_test(tc, test_same_role_both_ends_fails, 0, 4);
  tcase_add_loop_test(tc, test_keying_halves_are_rfc5764_layout, 0, 4);
  tcase_add_loop_test(tc, test_replay_tamper_and_old, 0, 4);
  tcase_add_test(tc, test_repeat_tx);
  tcase_add_unchecked_fixture(tc, keep_libsrtp, release_libsrtp);
  suite_add_tcase(s, tc);

  /* Needs libsrtp not initialised by sansrtc when it starts. */
  tc = tcase_create("global");
  tcase_add_test(tc, test_application_initialised_libsrtp);
  suite_add_tcase(s, tc);

  tc = tcase_create("hostile");
  tcase_set_timeout(tc, 120);
  tcase_add_unchecked_fixture(tc, keep_libsrtp, release_libsrtp);
  tcase_add_loop_test(tc, test_truncations, 0, 4);
  tcase_add_test(tc, test_lying_headers);
  tcase_add_loop_test(tc, test_random_input, 0, 4);
  tcase_add_loop_test(tc, test_buffer_capacity, 0, 4);
  suite_add_tcase(s, tc);

  tc = tcase_create("resources");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, keep_libsrtp, release_libsrtp);
  tcase_add_loop_test(tc, test_no_memory_kept_per_packet, 0, 4);
  tcase_add_test(tc, test_threads);
  suite_add_tcase(s, tc);
  return s;
}
