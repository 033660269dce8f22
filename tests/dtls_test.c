/*
 * dtls_test.c - two sans-I/O DTLS endpoints back to back in memory with
 * fake time: handshakes in both roles, fingerprints, SRTP keying, data,
 * loss and retransmission, close, and hostile datagrams.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <sansrtc/dtls.h>

#include "suites.h"

#define MS SANSRTC_MILLISECONDS
#define SEC SANSRTC_SECONDS
#define NOW_UNIX 1795000000 /* a fixed wall-clock time for certificates */

/* One certificate per side, made once: generation is the slow part. */
static sansrtc_dtls_cert *certs[2];

static void certs_setup(void) {
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(sansrtc_dtls_cert_generate(&certs[i], NOW_UNIX),
                     SANSRTC_OK);
}

static void certs_teardown(void) {
  for (int i = 0; i < 2; i++) {
    sansrtc_dtls_cert_free(certs[i]);
    certs[i] = NULL;
  }
}

/* ---- two endpoints over a lossy in-memory link -------------------------- */

typedef struct wire_pkt {
  int to;
  sansrtc_tstamp at;
  size_t len;
  uint8_t data[1500];
} wire_pkt;

typedef struct link {
  sansrtc_dtls *ep[2];
  wire_pkt q[256];
  size_t n;
  sansrtc_tstamp now, delay;
  /* Each datagram is delayed by an extra 0..jitter-1, which reorders. */
  sansrtc_tstamp jitter;
  uint32_t rng;
  unsigned loss_pct;
  /* Each side's datagrams numbered from 0; those numbered
   * drop_from..drop_from+drop_count-1 are lost. */
  int sent[2];
  int drop_from[2], drop_count[2];
  int delivered;
} link;

static uint32_t link_rand(link *l) {
  l->rng = l->rng * 1664525u + 1013904223u;
  return l->rng >> 8;
}

static void make_endpoint(link *l, int i, sansrtc_dtls_role role,
                          const sansrtc_dtls_cert *cert) {
  sansrtc_dtls_config cfg;
  sansrtc_dtls_config_default(&cfg);
  cfg.role = role;
  cfg.cert = cert;
  ck_assert_int_eq(sansrtc_dtls_new(&l->ep[i], &cfg), SANSRTC_OK);
}

static void link_init(link *l, uint32_t seed) {
  memset(l, 0, sizeof *l);
  l->rng = seed;
  l->delay = 5 * MS;
  make_endpoint(l, 0, SANSRTC_DTLS_CLIENT, certs[0]);
  make_endpoint(l, 1, SANSRTC_DTLS_SERVER, certs[1]);
}

static void exchange_fingerprints(link *l) {
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                         l->ep[i], "sha-256",
                         sansrtc_dtls_cert_fingerprint(certs[1 - i]), l->now),
                     SANSRTC_OK);
}

static void link_free(link *l) {
  sansrtc_dtls_del(l->ep[0]);
  sansrtc_dtls_del(l->ep[1]);
}

/* Moves what both endpoints queued onto the wire (with loss). */
static void link_drain(link *l) {
  for (int i = 0; i < 2; i++) {
    wire_pkt p;
    int rc;
    while ((rc = sansrtc_dtls_poll_transmit(l->ep[i], p.data, sizeof p.data,
                                            &p.len)) == 1) {
      ck_assert_uint_le(p.len, 1200);
      int index = l->sent[i]++;
      if (index >= l->drop_from[i] && index < l->drop_from[i] + l->drop_count[i])
        continue;
      if (l->loss_pct && link_rand(l) % 100 < l->loss_pct) continue;
      ck_assert_uint_lt(l->n, sizeof l->q / sizeof l->q[0]);
      p.to = 1 - i;
      p.at = l->now + l->delay;
      if (l->jitter) p.at += link_rand(l) % l->jitter;
      l->q[l->n++] = p;
    }
    ck_assert_int_eq(rc, 0);
  }
}

/* Advances to the next delivery or deadline, at most to `until`. */
static int link_step(link *l, sansrtc_tstamp until) {
  sansrtc_tstamp t = SANSRTC_TSTAMP_NEVER;
  size_t best = l->n;
  for (size_t k = 0; k < l->n; k++)
    if (l->q[k].at < t) {
      t = l->q[k].at;
      best = k;
    }
  for (int i = 0; i < 2; i++) {
    sansrtc_tstamp d = sansrtc_dtls_next_deadline(l->ep[i]);
    if (d < t) {
      t = d;
      best = l->n;
    }
  }
  if (t > until) {
    l->now = until;
    return 0;
  }
  if (t > l->now) l->now = t;
  if (best < l->n) {
    wire_pkt p = l->q[best];
    memmove(&l->q[best], &l->q[best + 1], (l->n - best - 1) * sizeof p);
    l->n--;
    (void)sansrtc_dtls_handle_datagram(l->ep[p.to], p.data, p.len, l->now);
    l->delivered++;
  }
  for (int i = 0; i < 2; i++)
    if (sansrtc_dtls_next_deadline(l->ep[i]) <= l->now)
      (void)sansrtc_dtls_handle_timeout(l->ep[i], l->now);
  link_drain(l);
  return 1;
}

static int both_connected(const link *l) {
  return sansrtc_dtls_get_state(l->ep[0]) == SANSRTC_DTLS_STATE_CONNECTED &&
         sansrtc_dtls_get_state(l->ep[1]) == SANSRTC_DTLS_STATE_CONNECTED;
}

static int settled(const link *l) {
  for (int i = 0; i < 2; i++) {
    sansrtc_dtls_state s = sansrtc_dtls_get_state(l->ep[i]);
    if (s == SANSRTC_DTLS_STATE_FAILED) return 1;
  }
  return both_connected(l);
}

static void run_until_settled(link *l, sansrtc_tstamp limit) {
  link_drain(l);
  while (!settled(l) && link_step(l, limit)) {
  }
}

static void run_for(link *l, sansrtc_tstamp duration) {
  sansrtc_tstamp until = l->now + duration;
  link_drain(l);
  while (link_step(l, until)) {
  }
}

static void connect_pair(link *l, uint32_t seed) {
  link_init(l, seed);
  exchange_fingerprints(l);
  ck_assert_int_eq(sansrtc_dtls_start(l->ep[0], 0), SANSRTC_OK);
  run_until_settled(l, 60 * SEC);
  ck_assert_msg(both_connected(l), "client %s (%s), server %s (%s)",
                sansrtc_dtls_state_name(sansrtc_dtls_get_state(l->ep[0])),
                sansrtc_dtls_error_text(l->ep[0]),
                sansrtc_dtls_state_name(sansrtc_dtls_get_state(l->ep[1])),
                sansrtc_dtls_error_text(l->ep[1]));
}

/* Sends one message from side i and returns what side 1-i received. */
static size_t roundtrip(link *l, int i, const uint8_t *msg, size_t len,
                        uint8_t *out, size_t cap) {
  ck_assert_int_eq(sansrtc_dtls_send(l->ep[i], msg, len), SANSRTC_OK);
  run_for(l, 50 * MS);
  size_t got = 0;
  ck_assert_int_eq(sansrtc_dtls_poll_data(l->ep[1 - i], out, cap, &got), 1);
  return got;
}

/* ---- certificates -------------------------------------------------------- */

START_TEST(test_certificate_fingerprint_form) {
  const char *fp = sansrtc_dtls_cert_fingerprint(certs[0]);
  ck_assert_uint_eq(strlen(fp), 95);
  for (size_t i = 0; i < 95; i++) {
    if (i % 3 == 2)
      ck_assert_int_eq(fp[i], ':');
    else
      ck_assert(strchr("0123456789ABCDEF", fp[i]) != NULL);
  }
  ck_assert_str_ne(fp, sansrtc_dtls_cert_fingerprint(certs[1]));
  sansrtc_dtls_cert *c = NULL;
  ck_assert_int_eq(sansrtc_dtls_cert_generate(NULL, NOW_UNIX),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_dtls_cert_generate(&c, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(c);
  sansrtc_dtls_cert_free(NULL);
}
END_TEST

/* An RSA certificate from PEM (as an application might supply) works as
 * either side, against an ECDSA peer. */
static void rsa_pem(char **cert_pem, char **key_pem) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  ck_assert_ptr_nonnull(key);
  X509 *x = X509_new();
  ck_assert_ptr_nonnull(x);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  ASN1_TIME_set(X509_getm_notBefore(x), NOW_UNIX);
  ASN1_TIME_set(X509_getm_notAfter(x), NOW_UNIX + 86400);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"rsa-peer", -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
  BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
  ck_assert(PEM_write_bio_X509(cb, x) == 1);
  ck_assert(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1);
  BIO *bios[2] = {cb, kb};
  char **outs[2] = {cert_pem, key_pem};
  for (int i = 0; i < 2; i++) {
    char *p;
    long n = BIO_get_mem_data(bios[i], &p);
    *outs[i] = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(*outs[i]);
    memcpy(*outs[i], p, (size_t)n);
    (*outs[i])[n] = '\0';
    BIO_free(bios[i]);
  }
  X509_free(x);
  EVP_PKEY_free(key);
}

START_TEST(test_rsa_certificate_from_pem) {
  char *cert_pem, *key_pem;
  rsa_pem(&cert_pem, &key_pem);
  sansrtc_dtls_cert *rsa = NULL;
  ck_assert_int_eq(sansrtc_dtls_cert_from_pem(&rsa, cert_pem, key_pem),
                   SANSRTC_OK);
  for (int rsa_side = 0; rsa_side < 2; rsa_side++) {
    link l;
    memset(&l, 0, sizeof l);
    l.delay = 5 * MS;
    make_endpoint(&l, 0, SANSRTC_DTLS_CLIENT, rsa_side == 0 ? rsa : certs[0]);
    make_endpoint(&l, 1, SANSRTC_DTLS_SERVER, rsa_side == 1 ? rsa : certs[1]);
    const char *fp0 = sansrtc_dtls_cert_fingerprint(rsa_side == 0 ? rsa : certs[0]);
    const char *fp1 = sansrtc_dtls_cert_fingerprint(rsa_side == 1 ? rsa : certs[1]);
    ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "SHA-256", fp1, 0),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[1], "sha-256", fp0, 0),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
    run_until_settled(&l, 10 * SEC);
    ck_assert(both_connected(&l));
    link_free(&l);
  }
  /* A copy shares the key and outlives the original. */
  sansrtc_dtls_cert *copy = NULL;
  ck_assert_int_eq(sansrtc_dtls_cert_copy(&copy, rsa), SANSRTC_OK);
  char fp_rsa[SANSRTC_DTLS_FINGERPRINT_STRLEN];
  snprintf(fp_rsa, sizeof fp_rsa, "%s", sansrtc_dtls_cert_fingerprint(rsa));
  sansrtc_dtls_cert_free(rsa);
  ck_assert_str_eq(sansrtc_dtls_cert_fingerprint(copy), fp_rsa);
  link l;
  memset(&l, 0, sizeof l);
  l.delay = 5 * MS;
  make_endpoint(&l, 0, SANSRTC_DTLS_CLIENT, certs[0]);
  make_endpoint(&l, 1, SANSRTC_DTLS_SERVER, copy);
  sansrtc_dtls_cert_free(copy); /* the endpoint keeps what it needs */
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-256", fp_rsa, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[1], "sha-256", sansrtc_dtls_cert_fingerprint(certs[0]), 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
  run_until_settled(&l, 10 * SEC);
  ck_assert(both_connected(&l));
  link_free(&l);
  ck_assert_int_eq(sansrtc_dtls_cert_copy(&copy, NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  /* Garbage, and a key that does not belong to the certificate. */
  sansrtc_dtls_cert *bad = NULL;
  ck_assert_int_eq(sansrtc_dtls_cert_from_pem(&bad, "not pem", key_pem),
                   SANSRTC_ERR_MALFORMED);
  char *cert2, *key2;
  rsa_pem(&cert2, &key2);
  ck_assert_int_eq(sansrtc_dtls_cert_from_pem(&bad, cert_pem, key2),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_ptr_null(bad);
  ck_assert_int_eq(sansrtc_dtls_cert_from_pem(&bad, NULL, key2),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  free(cert_pem);
  free(key_pem);
  free(cert2);
  free(key2);
}
END_TEST

/* ---- handshakes ------------------------------------------------------------ */

START_TEST(test_handshake_and_data_both_ways) {
  link l;
  connect_pair(&l, 1);
  /* Lossless, 5 ms one way: two round trips. */
  ck_assert_uint_le(l.now, 25 * MS);
  sansrtc_dtls_stats st;
  sansrtc_dtls_get_stats(l.ep[0], &st);
  ck_assert_uint_eq(st.retransmissions, 0);
  ck_assert_str_eq(sansrtc_dtls_error_text(l.ep[0]), "");

  uint8_t out[2000];
  const uint8_t hello[] = "hello from the client";
  ck_assert_uint_eq(roundtrip(&l, 0, hello, sizeof hello, out, sizeof out),
                    sizeof hello);
  ck_assert_mem_eq(out, hello, sizeof hello);
  const uint8_t reply[] = "and back from the server";
  ck_assert_uint_eq(roundtrip(&l, 1, reply, sizeof reply, out, sizeof out),
                    sizeof reply);
  ck_assert_mem_eq(out, reply, sizeof reply);

  /* The largest payload fits one datagram within the MTU; one more byte is
   * refused, as is an empty send. */
  size_t max = sansrtc_dtls_max_payload(l.ep[0]);
  ck_assert_uint_ge(max, 1100);
  uint8_t big[1200];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
  ck_assert_uint_eq(roundtrip(&l, 0, big, max, out, sizeof out), max);
  ck_assert_mem_eq(out, big, max);
  ck_assert_int_eq(sansrtc_dtls_send(l.ep[0], big, max + 1),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_dtls_send(l.ep[0], big, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  size_t len;
  ck_assert_int_eq(sansrtc_dtls_poll_data(l.ep[1], out, sizeof out, &len), 0);
  link_free(&l);
}
END_TEST

START_TEST(test_srtp_keying_agrees) {
  link l;
  connect_pair(&l, 2);
  unsigned p0 = sansrtc_dtls_srtp_profile(l.ep[0]);
  ck_assert_uint_eq(p0, sansrtc_dtls_srtp_profile(l.ep[1]));
  ck_assert_uint_eq(p0, SANSRTC_SRTP_AEAD_AES_128_GCM);
  uint8_t k0[100], k1[100];
  size_t n0, n1;
  ck_assert_int_eq(sansrtc_dtls_export_srtp_keying(l.ep[0], k0, sizeof k0, &n0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_export_srtp_keying(l.ep[1], k1, sizeof k1, &n1),
                   SANSRTC_OK);
  ck_assert_uint_eq(n0, 56);
  ck_assert_uint_eq(n1, 56);
  ck_assert_mem_eq(k0, k1, n0);
  ck_assert_int_eq(sansrtc_dtls_export_srtp_keying(l.ep[0], k0, 55, &n0),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  link_free(&l);
}
END_TEST

/* Each profile alone is negotiated with the key sizes RFC 5764/7714 give. */
START_TEST(test_srtp_each_profile) {
  static const struct {
    unsigned profile;
    size_t bytes;
  } cases[] = {{SANSRTC_SRTP_AES128_CM_SHA1_80, 60},
               {SANSRTC_SRTP_AES128_CM_SHA1_32, 60},
               {SANSRTC_SRTP_AEAD_AES_128_GCM, 56},
               {SANSRTC_SRTP_AEAD_AES_256_GCM, 88},
               {0, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    link l;
    memset(&l, 0, sizeof l);
    l.delay = 1 * MS;
    for (int s = 0; s < 2; s++) {
      sansrtc_dtls_config cfg;
      sansrtc_dtls_config_default(&cfg);
      cfg.role = s == 0 ? SANSRTC_DTLS_CLIENT : SANSRTC_DTLS_SERVER;
      cfg.cert = certs[s];
      cfg.srtp_profiles = cases[i].profile;
      ck_assert_int_eq(sansrtc_dtls_new(&l.ep[s], &cfg), SANSRTC_OK);
    }
    exchange_fingerprints(&l);
    ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
    run_until_settled(&l, 10 * SEC);
    ck_assert(both_connected(&l));
    ck_assert_uint_eq(sansrtc_dtls_srtp_profile(l.ep[0]), cases[i].profile);
    uint8_t k[100];
    size_t n = 0;
    int rc = sansrtc_dtls_export_srtp_keying(l.ep[1], k, sizeof k, &n);
    if (cases[i].profile == 0) {
      ck_assert_int_eq(rc, SANSRTC_ERR_INVALID_STATE);
    } else {
      ck_assert_int_eq(rc, SANSRTC_OK);
      ck_assert_uint_eq(n, cases[i].bytes);
    }
    link_free(&l);
  }
}
END_TEST

/* A wrong fingerprint fails the side that checks it, with a clear reason,
 * and not one byte of application data is delivered. */
START_TEST(test_fingerprint_mismatch_refused) {
  for (int checker = 0; checker < 2; checker++) {
    link l;
    link_init(&l, 3);
    /* The checker expects the wrong certificate (its own). */
    ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                         l.ep[checker], "sha-256",
                         sansrtc_dtls_cert_fingerprint(certs[checker]), 0),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                         l.ep[1 - checker], "sha-256",
                         sansrtc_dtls_cert_fingerprint(certs[checker]), 0),
                     SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
    run_for(&l, 30 * SEC);
    ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[checker]),
                     SANSRTC_DTLS_STATE_FAILED);
    ck_assert_str_eq(sansrtc_dtls_error_text(l.ep[checker]),
                     "remote certificate fingerprint mismatch");
    /* The other side learns of it by an alert (or never completes). */
    ck_assert_int_ne(sansrtc_dtls_get_state(l.ep[1 - checker]),
                     SANSRTC_DTLS_STATE_CONNECTED);
    uint8_t buf[64];
    ck_assert_int_eq(sansrtc_dtls_send(l.ep[1 - checker], buf, 4),
                     SANSRTC_ERR_INVALID_STATE);
    size_t len;
    ck_assert_int_eq(sansrtc_dtls_poll_data(l.ep[checker], buf, sizeof buf, &len), 0);
    link_free(&l);
  }
}
END_TEST

/* The fingerprint arrives after the handshake (the offerer gets the answer
 * late): data from the peer is held, then released once it matches. */
START_TEST(test_late_fingerprint_holds_data) {
  link l;
  link_init(&l, 4);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[1], "sha-256", sansrtc_dtls_cert_fingerprint(certs[0]), 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
  run_for(&l, 1 * SEC);
  ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[1]), SANSRTC_DTLS_STATE_CONNECTED);
  ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[0]), SANSRTC_DTLS_STATE_CONNECTING);
  const uint8_t early[] = "sent before the answer arrived";
  ck_assert_int_eq(sansrtc_dtls_send(l.ep[1], early, sizeof early), SANSRTC_OK);
  run_for(&l, 100 * MS);
  uint8_t out[100];
  size_t len;
  ck_assert_int_eq(sansrtc_dtls_poll_data(l.ep[0], out, sizeof out, &len), 0);
  sansrtc_dtls_stats st;
  sansrtc_dtls_get_stats(l.ep[0], &st);
  ck_assert_uint_eq(st.held_bytes, sizeof early);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[0], "sha-256", sansrtc_dtls_cert_fingerprint(certs[1]), l.now),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[0]), SANSRTC_DTLS_STATE_CONNECTED);
  ck_assert_int_eq(sansrtc_dtls_poll_data(l.ep[0], out, sizeof out, &len), 1);
  ck_assert_uint_eq(len, sizeof early);
  ck_assert_mem_eq(out, early, len);
  /* Setting it again to the same value is fine; another is refused. */
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[0], "sha-256", sansrtc_dtls_cert_fingerprint(certs[1]), l.now),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[0], "sha-256", sansrtc_dtls_cert_fingerprint(certs[0]), l.now),
                   SANSRTC_ERR_INVALID_STATE);
  link_free(&l);
}
END_TEST

START_TEST(test_late_wrong_fingerprint_discards_held_data) {
  link l;
  link_init(&l, 5);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[1], "sha-256", sansrtc_dtls_cert_fingerprint(certs[0]), 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
  run_for(&l, 1 * SEC);
  const uint8_t secret[] = "must never be delivered";
  ck_assert_int_eq(sansrtc_dtls_send(l.ep[1], secret, sizeof secret), SANSRTC_OK);
  run_for(&l, 100 * MS);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(
                       l.ep[0], "sha-256", sansrtc_dtls_cert_fingerprint(certs[0]), l.now),
                   SANSRTC_ERR_AUTH);
  ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[0]), SANSRTC_DTLS_STATE_FAILED);
  uint8_t out[100];
  size_t len;
  ck_assert_int_eq(sansrtc_dtls_poll_data(l.ep[0], out, sizeof out, &len), 0);
  sansrtc_dtls_stats st;
  sansrtc_dtls_get_stats(l.ep[0], &st);
  ck_assert_uint_eq(st.held_bytes, 0);
  link_free(&l);
}
END_TEST

START_TEST(test_fingerprint_arguments) {
  link l;
  link_init(&l, 6);
  const char *fp = sansrtc_dtls_cert_fingerprint(certs[1]);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "md5", fp, 0),
                   SANSRTC_ERR_UNSUPPORTED);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-1", fp, 0),
                   SANSRTC_ERR_MALFORMED); /* 32 bytes for a 20-byte hash */
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-256", "AB:CD", 0),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-256", "", 0),
                   SANSRTC_ERR_MALFORMED);
  char bad[96];
  strcpy(bad, fp);
  bad[5] = '-';
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-256", bad, 0),
                   SANSRTC_ERR_MALFORMED);
  strcpy(bad, fp);
  bad[0] = 'g';
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-256", bad, 0),
                   SANSRTC_ERR_MALFORMED);
  /* Lower case is accepted. */
  for (size_t i = 0; bad[i]; i++) bad[i] = fp[i] >= 'A' && fp[i] <= 'F' ? (char)(fp[i] + 32) : fp[i];
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(l.ep[0], "sha-256", bad, 0),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_set_remote_fingerprint(NULL, "sha-256", fp, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  link_free(&l);
}
END_TEST

/* ---- loss, retransmission, timeouts --------------------------------------- */

/* A lost ClientHello costs one initial RTO (100 ms), not a second. */
START_TEST(test_lost_client_hello_retransmitted_quickly) {
  link l;
  link_init(&l, 7);
  exchange_fingerprints(&l);
  l.drop_count[0] = 1;
  ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
  run_until_settled(&l, 10 * SEC);
  ck_assert(both_connected(&l));
  ck_assert_uint_le(l.now, 100 * MS + 25 * MS);
  sansrtc_dtls_stats st;
  sansrtc_dtls_get_stats(l.ep[0], &st);
  ck_assert_uint_eq(st.retransmissions, 1);
  link_free(&l);
}
END_TEST

/* A resent ClientHello is the same record under a new record sequence
 * number (a receiver drops a number it has seen), and the records OpenSSL
 * writes afterwards are numbered past it. */
START_TEST(test_resent_records_renumbered) {
  link l;
  link_init(&l, 11);
  exchange_fingerprints(&l);
  uint8_t first[1500], again[1500];
  size_t first_len, again_len;
  ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_poll_transmit(l.ep[0], first, sizeof first, &first_len), 1);
  sansrtc_tstamp t = sansrtc_dtls_next_deadline(l.ep[0]);
  ck_assert_uint_eq(t, 100 * MS);
  ck_assert_int_eq(sansrtc_dtls_handle_timeout(l.ep[0], t), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_poll_transmit(l.ep[0], again, sizeof again, &again_len), 1);
  ck_assert_uint_eq(again_len, first_len);
  ck_assert_mem_eq(again, first, 5);                /* type, version, epoch 0 */
  ck_assert_mem_eq(again + 11, first + 11, first_len - 11); /* length, body */
  ck_assert_uint_eq(first[10], 0);
  ck_assert_uint_eq(again[10], 1);
  /* The server answers the second copy; the client's next flight starts
   * after both numbers. */
  ck_assert_int_eq(sansrtc_dtls_handle_datagram(l.ep[1], again, again_len, t), SANSRTC_OK);
  uint8_t dg[1500];
  size_t len;
  while (sansrtc_dtls_poll_transmit(l.ep[1], dg, sizeof dg, &len) == 1)
    ck_assert_int_eq(sansrtc_dtls_handle_datagram(l.ep[0], dg, len, t), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_poll_transmit(l.ep[0], dg, sizeof dg, &len), 1);
  ck_assert_uint_eq(dg[3], 0); /* epoch 0 */
  ck_assert_uint_eq(dg[10], 2); /* OpenSSL's 1, moved past the resend's 1 */
  ck_assert_int_eq(sansrtc_dtls_handle_datagram(l.ep[1], dg, len, t), SANSRTC_OK);
  l.now = t;
  run_until_settled(&l, 5 * SEC);
  ck_assert(both_connected(&l));
  sansrtc_dtls_stats st;
  sansrtc_dtls_get_stats(l.ep[0], &st);
  ck_assert_uint_eq(st.retransmissions, 1);
  link_free(&l);
}
END_TEST

/* Every flight lost once in turn: server's first flight, client's second. */
START_TEST(test_lost_flights_recovered) {
  for (int side = 0; side < 2; side++) {
    for (int skip = 0; skip < 3; skip++) {
      link l;
      link_init(&l, 8);
      exchange_fingerprints(&l);
      /* Let `skip` datagrams of this side through, lose the next two. */
      l.drop_from[side] = skip;
      l.drop_count[side] = 2;
      ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
      run_until_settled(&l, 20 * SEC);
      ck_assert_msg(both_connected(&l), "side %d skip %d: %s / %s", side, skip,
                    sansrtc_dtls_error_text(l.ep[0]),
                    sansrtc_dtls_error_text(l.ep[1]));
      link_free(&l);
    }
  }
}
END_TEST

/* 30% loss each way on many seeds: every handshake completes, and the
 * retransmission schedule stays on fake time (no real waiting). */
START_TEST(test_handshake_under_loss) {
  unsigned total_retx = 0;
  for (uint32_t seed = 1; seed <= 30; seed++) {
    link l;
    link_init(&l, seed);
    l.loss_pct = 30;
    exchange_fingerprints(&l);
    ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
    run_until_settled(&l, 60 * SEC);
    ck_assert_msg(both_connected(&l), "seed %u: %s / %s", seed,
                  sansrtc_dtls_error_text(l.ep[0]),
                  sansrtc_dtls_error_text(l.ep[1]));
    sansrtc_dtls_stats a, b;
    sansrtc_dtls_get_stats(l.ep[0], &a);
    sansrtc_dtls_get_stats(l.ep[1], &b);
    total_retx += (unsigned)(a.retransmissions + b.retransmissions);
    link_free(&l);
  }
  ck_assert_uint_gt(total_retx, 0);
}
END_TEST

/* Flights split over several datagrams (MTU 300) and delivered out of
 * order (0-40 ms of jitter on a 5 ms link), with and without loss: the
 * handshake completes and data flows. Both roles reassemble reordered
 * fragments and flights. */
START_TEST(test_handshake_under_reordering) {
  unsigned reordered = 0;
  for (uint32_t seed = 1; seed <= 20; seed++) {
    link l;
    memset(&l, 0, sizeof l);
    l.rng = seed;
    l.delay = 5 * MS;
    l.jitter = 40 * MS;
    l.loss_pct = seed % 2 ? 0 : 10;
    for (int i = 0; i < 2; i++) {
      sansrtc_dtls_config cfg;
      sansrtc_dtls_config_default(&cfg);
      cfg.role = i == 0 ? SANSRTC_DTLS_CLIENT : SANSRTC_DTLS_SERVER;
      cfg.cert = certs[i];
      cfg.mtu = 300;
      ck_assert_int_eq(sansrtc_dtls_new(&l.ep[i], &cfg), SANSRTC_OK);
    }
    exchange_fingerprints(&l);
    ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
    /* Count deliveries that overtake an earlier datagram to the same side. */
    link_drain(&l);
    sansrtc_tstamp limit = 60 * SEC;
    while (!settled(&l)) {
      for (size_t a = 0; a < l.n; a++)
        for (size_t b = a + 1; b < l.n; b++)
          if (l.q[a].to == l.q[b].to && l.q[b].at < l.q[a].at) reordered++;
      if (!link_step(&l, limit)) break;
    }
    ck_assert_msg(both_connected(&l), "seed %u: %s / %s", seed,
                  sansrtc_dtls_error_text(l.ep[0]),
                  sansrtc_dtls_error_text(l.ep[1]));
    l.jitter = 0;
    l.loss_pct = 0;
    uint8_t out[64];
    ck_assert_uint_eq(roundtrip(&l, 0, (const uint8_t *)"after", 5, out, sizeof out), 5);
    ck_assert_uint_eq(roundtrip(&l, 1, (const uint8_t *)"reorder", 7, out, sizeof out), 7);
    link_free(&l);
  }
  /* The link did reorder. */
  ck_assert_uint_gt(reordered, 20);
}
END_TEST

/* Nobody answers: the client retransmits on its schedule and fails. */
START_TEST(test_handshake_timeout) {
  link l;
  link_init(&l, 9);
  l.drop_count[0] = 1000;
  ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
  run_for(&l, 60 * SEC);
  ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[0]), SANSRTC_DTLS_STATE_FAILED);
  ck_assert_str_eq(sansrtc_dtls_error_text(l.ep[0]), "handshake timed out");
  sansrtc_dtls_stats st;
  sansrtc_dtls_get_stats(l.ep[0], &st);
  ck_assert_uint_eq(st.retransmissions, 8);
  ck_assert_uint_eq(st.datagrams_sent, 9);
  ck_assert_uint_eq(sansrtc_dtls_next_deadline(l.ep[0]), SANSRTC_TSTAMP_NEVER);
  ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[1]), SANSRTC_DTLS_STATE_NEW);
  link_free(&l);
}
END_TEST

/* ---- close and hostile input ----------------------------------------------- */

START_TEST(test_close_notify) {
  for (int closer = 0; closer < 2; closer++) {
    link l;
    connect_pair(&l, 10);
    ck_assert_int_eq(sansrtc_dtls_close(l.ep[closer], l.now), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_dtls_close(l.ep[closer], l.now), SANSRTC_OK);
    run_for(&l, 100 * MS);
    ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[closer]), SANSRTC_DTLS_STATE_CLOSED);
    ck_assert_int_eq(sansrtc_dtls_get_state(l.ep[1 - closer]),
                     SANSRTC_DTLS_STATE_CLOSED);
    ck_assert_str_eq(sansrtc_dtls_error_text(l.ep[1 - closer]),
                     "peer closed the connection");
    uint8_t b[4] = {1, 2, 3, 4};
    ck_assert_int_eq(sansrtc_dtls_send(l.ep[closer], b, 4), SANSRTC_ERR_INVALID_STATE);
    ck_assert_int_eq(sansrtc_dtls_handle_datagram(l.ep[closer], b, 4, l.now),
                     SANSRTC_ERR_INVALID_STATE);
    link_free(&l);
  }
}
END_TEST

/* Random datagrams, and records with valid headers but garbage bodies,
 * change nothing on an established connection. */
START_TEST(test_hostile_datagrams) {
  link l;
  connect_pair(&l, 11);
  uint32_t rng = 77;
  for (int i = 0; i < 2000; i++) {
    uint8_t junk[300];
    size_t len = 1 + (rng = rng * 1664525u + 1013904223u) % sizeof junk;
    for (size_t k = 0; k < len; k++)
      junk[k] = (uint8_t)((rng = rng * 1664525u + 1013904223u) >> 24);
    if (i % 2 == 0 && len > 13) { /* a plausible DTLS 1.2 record header */
      junk[0] = 23;
      junk[1] = 0xFE;
      junk[2] = 0xFD;
      junk[3] = 0;
      junk[4] = 1;
      junk[11] = (uint8_t)((len - 13) >> 8);
      junk[12] = (uint8_t)(len - 13);
    }
    ck_assert_int_eq(sansrtc_dtls_handle_datagram(l.ep[i % 2], junk, len, l.now),
                     SANSRTC_OK);
  }
  ck_assert(both_connected(&l));
  uint8_t out[100];
  const uint8_t msg[] = "still fine";
  ck_assert_uint_eq(roundtrip(&l, 0, msg, sizeof msg, out, sizeof out), sizeof msg);
  size_t len;
  ck_assert_int_eq(sansrtc_dtls_poll_data(l.ep[1], out, sizeof out, &len), 0);
  link_free(&l);
}
END_TEST

/* A server fed garbage before any ClientHello stays usable. */
START_TEST(test_server_survives_garbage_before_hello) {
  link l;
  link_init(&l, 12);
  exchange_fingerprints(&l);
  const uint8_t junk[] = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};
  (void)sansrtc_dtls_handle_datagram(l.ep[1], junk, sizeof junk, 0);
  if (sansrtc_dtls_get_state(l.ep[1]) != SANSRTC_DTLS_STATE_FAILED) {
    ck_assert_int_eq(sansrtc_dtls_start(l.ep[0], 0), SANSRTC_OK);
    run_until_settled(&l, 10 * SEC);
    ck_assert(both_connected(&l));
  }
  link_free(&l);
}
END_TEST

/* RFC 8842 roles from a=setup, for both sides of an offer/answer. */
START_TEST(test_role_from_setup) {
  sansrtc_dtls_role r = SANSRTC_DTLS_SERVER;
  /* Answerer. */
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("actpass", 0, &r), SANSRTC_OK);
  ck_assert_int_eq(r, SANSRTC_DTLS_CLIENT);
  ck_assert_str_eq(sansrtc_dtls_setup_value(0, r), "active");
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("active", 0, &r), SANSRTC_OK);
  ck_assert_int_eq(r, SANSRTC_DTLS_SERVER);
  ck_assert_str_eq(sansrtc_dtls_setup_value(0, r), "passive");
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("passive", 0, &r), SANSRTC_OK);
  ck_assert_int_eq(r, SANSRTC_DTLS_CLIENT);
  /* Offerer: the answer decides; it may not say actpass. */
  ck_assert_str_eq(sansrtc_dtls_setup_value(1, SANSRTC_DTLS_CLIENT), "actpass");
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("active", 1, &r), SANSRTC_OK);
  ck_assert_int_eq(r, SANSRTC_DTLS_SERVER);
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("passive", 1, &r), SANSRTC_OK);
  ck_assert_int_eq(r, SANSRTC_DTLS_CLIENT);
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("actpass", 1, &r), SANSRTC_ERR_MALFORMED);
  /* Nonsense. */
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("holdconn", 0, &r), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("ACTIVE", 0, &r), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("", 0, &r), SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_dtls_role_from_setup(NULL, 0, &r), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_dtls_role_from_setup("active", 0, NULL), SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_config_and_arguments) {
  sansrtc_dtls_config cfg;
  sansrtc_dtls *d = NULL;
  sansrtc_dtls_config_default(&cfg);
  ck_assert_int_eq(sansrtc_dtls_new(&d, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.cert = certs[0];
  cfg.mtu = 100;
  ck_assert_int_eq(sansrtc_dtls_new(&d, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.mtu = 1200;
  cfg.srtp_profiles = 0x100;
  ck_assert_int_eq(sansrtc_dtls_new(&d, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  cfg.srtp_profiles = SANSRTC_SRTP_ALL_PROFILES;
  ck_assert_int_eq(sansrtc_dtls_new(NULL, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_dtls_new(&d, &cfg), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_get_state(d), SANSRTC_DTLS_STATE_NEW);
  ck_assert_uint_eq(sansrtc_dtls_next_deadline(d), SANSRTC_TSTAMP_NEVER);
  ck_assert_int_eq(sansrtc_dtls_start(d, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dtls_start(d, 0), SANSRTC_ERR_INVALID_STATE);
  ck_assert_uint_eq(sansrtc_dtls_next_deadline(d), 100 * MS);
  uint8_t small[10];
  size_t len;
  ck_assert_int_eq(sansrtc_dtls_poll_transmit(d, small, sizeof small, &len),
                   SANSRTC_ERR_BUFFER_TOO_SMALL);
  uint8_t buf[1500];
  ck_assert_int_eq(sansrtc_dtls_poll_transmit(d, buf, sizeof buf, &len), 1);
  ck_assert_uint_eq(buf[0], 22); /* handshake record: ClientHello */
  ck_assert_int_eq(sansrtc_dtls_poll_transmit(d, buf, sizeof buf, &len), 0);
  ck_assert_int_eq(sansrtc_dtls_send(d, buf, 10), SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_dtls_handle_datagram(d, NULL, 3, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_dtls_export_srtp_keying(d, buf, sizeof buf, &len),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert_str_eq(sansrtc_dtls_state_name(SANSRTC_DTLS_STATE_CONNECTING),
                   "connecting");
  ck_assert_int_eq(sansrtc_dtls_close(d, 0), SANSRTC_OK);
  ck_assert_str_eq(sansrtc_dtls_error_text(d), "closed locally");
  sansrtc_dtls_del(d);
  sansrtc_dtls_del(NULL);
}
END_TEST

Suite *dtls_suite(void) {
  Suite *s = suite_create("dtls");
  TCase *tc = tcase_create("dtls");
  tcase_add_unchecked_fixture(tc, certs_setup, certs_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_certificate_fingerprint_form);
  tcase_add_test(tc, test_rsa_certificate_from_pem);
  tcase_add_test(tc, test_handshake_and_data_both_ways);
  tcase_add_test(tc, test_srtp_keying_agrees);
  tcase_add_test(tc, test_srtp_each_profile);
  tcase_add_test(tc, test_fingerprint_mismatch_refused);
  tcase_add_test(tc, test_late_fingerprint_holds_data);
  tcase_add_test(tc, test_late_wrong_fingerprint_discards_held_data);
  tcase_add_test(tc, test_fingerprint_arguments);
  tcase_add_test(tc, test_lost_client_hello_retransmitted_quickly);
  tcase_add_test(tc, test_resent_records_renumbered);
  tcase_add_test(tc, test_lost_flights_recovered);
  tcase_add_test(tc, test_handshake_under_loss);
  tcase_add_test(tc, test_handshake_under_reordering);
  tcase_add_test(tc, test_handshake_timeout);
  tcase_add_test(tc, test_close_notify);
  tcase_add_test(tc, test_hostile_datagrams);
  tcase_add_test(tc, test_server_survives_garbage_before_hello);
  tcase_add_test(tc, test_role_from_setup);
  tcase_add_test(tc, test_config_and_arguments);
  suite_add_tcase(s, tc);
  return s;
}
