/*
 * dtls.c - sans-I/O DTLS 1.2 endpoint over OpenSSL 3.
 *
 * OpenSSL talks to a BIO of our own: reads return the one datagram being
 * fed, writes append to the endpoint's transmit queue. OpenSSL's DTLS timer
 * runs on the wall clock, so the endpoint takes retransmission away from
 * it: the timer callback sets OpenSSL's timeout to an hour, so OpenSSL never
 * resends by itself, and the endpoint keeps a copy of the last flight
 * OpenSSL wrote and resends those datagrams when its own deadline, on the
 * caller's time, passes. A resent record needs a new record sequence
 * number (a receiver that took and discarded the first copy, such as a
 * ChangeCipherSpec that arrived early, drops a replay), so plaintext
 * (epoch 0) records are renumbered on the way out. docs/dtls.md explains
 * the details.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sansrtc/dtls.h>

#include "dgram_queue.h"
#include "internal.h"

#define CERT_DAYS 30
#define MAX_RECORD 16384
#define MIN_MTU 256
#define FINGERPRINT_MAX 64 /* SHA-512 */
#define OPENSSL_TIMER_US 3600000000u /* an hour: OpenSSL never resends */
#define RECORD_HEADER 13 /* type, version(2), epoch(2), sequence(6), length(2) */
#define FINGERPRINT_MISMATCH "remote certificate fingerprint mismatch"

static const char cipher_list[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";

/* ------------------------------------------------------------------------ */
/* Certificates                                                             */
/* ------------------------------------------------------------------------ */

struct sansrtc_dtls_cert {
  SSL_CTX *ctx; /* holds the certificate and key; endpoints share it */
  char fingerprint[SANSRTC_DTLS_FINGERPRINT_STRLEN];
};

static void hex_fingerprint(const uint8_t *md, size_t n, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    out[3 * i] = hex[md[i] >> 4];
    out[3 * i + 1] = hex[md[i] & 0xF];
    out[3 * i + 2] = i + 1 < n ? ':' : '\0';
  }
}

static int verify_peer_cb(int preverify_ok, X509_STORE_CTX *store);

static SSL_CTX *make_ctx(X509 *x509, EVP_PKEY *key) {
  SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
  if (ctx == NULL) return NULL;
  int ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
           SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
           SSL_CTX_use_certificate(ctx, x509) == 1 &&
           SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1 &&
           SSL_CTX_set_cipher_list(ctx, cipher_list) == 1 &&
           SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1;
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
                               SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  /* Peers present self-signed certificates authenticated by the SDP
   * fingerprint, so chain errors and dates do not matter. */
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     verify_peer_cb);
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx),
                              X509_V_FLAG_NO_CHECK_TIME);
  return ctx;
}

static int cert_finish(sansrtc_dtls_cert **out, X509 *x509, EVP_PKEY *key) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x509, EVP_sha256(), md, &n) != 1 || n != 32)
    return SANSRTC_ERR_CRYPTO;
  sansrtc_dtls_cert *c = calloc(1, sizeof *c);
  if (c == NULL) return SANSRTC_ERR_NOMEM;
  c->ctx = make_ctx(x509, key);
  if (c->ctx == NULL) {
    free(c);
    return SANSRTC_ERR_CRYPTO;
  }
  hex_fingerprint(md, n, c->fingerprint);
  *out = c;
  return SANSRTC_OK;
}

static X509 *self_signed(EVP_PKEY *key, int64_t unix_time) {
  X509 *x = X509_new();
  X509_NAME *name = X509_NAME_new();
  uint8_t serial[8];
  int ok = x != NULL && name != NULL && RAND_bytes(serial, 8) == 1;
  if (ok) {
    serial[0] &= 0x7F; /* a positive serial */
    ok = X509_set_version(x, 2) == 1 &&
         ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), rd64(serial)) == 1 &&
         ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(unix_time - 86400)) &&
         ASN1_TIME_set(X509_getm_notAfter(x),
                       (time_t)(unix_time + CERT_DAYS * 86400LL)) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"sansrtc", -1, -1,
                                    0) == 1 &&
         X509_set_subject_name(x, name) == 1 &&
         X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, key) == 1 &&
         X509_sign(x, key, EVP_sha256()) > 0;
  }
  X509_NAME_free(name);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

int sansrtc_dtls_cert_generate(sansrtc_dtls_cert **out, int64_t unix_time) {
  if (out == NULL || unix_time < 86400) return SANSRTC_ERR_INVALID_ARGUMENT;
  EVP_PKEY *key = EVP_EC_gen("P-256");
  if (key == NULL) return SANSRTC_ERR_CRYPTO;
  X509 *x509 = self_signed(key, unix_time);
  int rc = x509 != NULL ? cert_finish(out, x509, key) : SANSRTC_ERR_CRYPTO;
  X509_free(x509);
  EVP_PKEY_free(key);
  return rc;
}

int sansrtc_dtls_cert_from_pem(sansrtc_dtls_cert **out, const char *cert_pem,
                               const char *key_pem) {
  if (out == NULL || cert_pem == NULL || key_pem == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
  X509 *x509 = cb != NULL ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
  EVP_PKEY *key =
      kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
  int rc = SANSRTC_ERR_MALFORMED;
  if (x509 != NULL && key != NULL && X509_check_private_key(x509, key) == 1)
    rc = cert_finish(out, x509, key);
  X509_free(x509);
  EVP_PKEY_free(key);
  BIO_free(cb);
  BIO_free(kb);
  ERR_clear_error();
  return rc;
}

int sansrtc_dtls_cert_copy(sansrtc_dtls_cert **out,
                           const sansrtc_dtls_cert *cert) {
  if (out == NULL || cert == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  sansrtc_dtls_cert *c = malloc(sizeof *c);
  if (c == NULL) return SANSRTC_ERR_NOMEM;
  if (SSL_CTX_up_ref(cert->ctx) != 1) {
    free(c);
    return SANSRTC_ERR_CRYPTO;
  }
  *c = *cert;
  *out = c;
  return SANSRTC_OK;
}

void sansrtc_dtls_cert_free(sansrtc_dtls_cert *cert) {
  if (cert == NULL) return;
  SSL_CTX_free(cert->ctx);
  free(cert);
}

const char *sansrtc_dtls_cert_fingerprint(const sansrtc_dtls_cert *cert) {
  return cert != NULL ? cert->fingerprint : "";
}

/* ------------------------------------------------------------------------ */
/* Endpoint state                                                           */
/* ------------------------------------------------------------------------ */

struct sansrtc_dtls {
  sansrtc_dtls_config cfg;
  sansrtc_logger log;
  SSL *ssl;
  BIO_METHOD *bio_method;
  sansrtc_dtls_state state;
  int handshake_done;

  /* The datagram being fed to OpenSSL (the BIO's read side). */
  const uint8_t *in;
  size_t in_len;

  sansrtc_dgram_queue out;  /* datagrams to send */
  sansrtc_dgram_queue data; /* decrypted records for the caller */

  /* Retransmission on the caller's time: the last flight OpenSSL wrote. */
  sansrtc_dgram_queue flight;
  int capturing;      /* writes now belong to a handshake step */
  int flight_started; /* this step wrote, replacing the saved flight */
  sansrtc_tstamp last_resend;
  sansrtc_tstamp deadline;
  sansrtc_tstamp rto;
  unsigned retransmits;
  /* Epoch 0 record numbers on the wire: OpenSSL's plus `epoch0_shift`;
   * resent records take fresh ones from `epoch0_next`. */
  uint64_t epoch0_shift;
  uint64_t epoch0_next;    /* the next unused number on the wire */
  uint64_t openssl_next0;  /* the number OpenSSL writes next */

  /* The fingerprint the peer's certificate must match. */
  const EVP_MD *fp_md;
  uint8_t fp[FINGERPRINT_MAX];
  unsigned fp_len;
  int verified;

  unsigned srtp_profile;
  char error[160];
  sansrtc_dtls_stats stats;
};

int sansrtc_dtls_role_from_setup(const char *remote_setup,
                                 int local_is_offerer,
                                 sansrtc_dtls_role *role) {
  if (remote_setup == NULL || role == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (strcmp(remote_setup, "active") == 0) {
    *role = SANSRTC_DTLS_SERVER;
  } else if (strcmp(remote_setup, "passive") == 0 ||
             (strcmp(remote_setup, "actpass") == 0 && !local_is_offerer)) {
    *role = SANSRTC_DTLS_CLIENT;
  } else {
    return SANSRTC_ERR_MALFORMED;
  }
  return SANSRTC_OK;
}

const char *sansrtc_dtls_setup_value(int local_is_offerer,
                                     sansrtc_dtls_role role) {
  if (local_is_offerer) return "actpass";
  return role == SANSRTC_DTLS_CLIENT ? "active" : "passive";
}

const char *sansrtc_dtls_state_name(sansrtc_dtls_state state) {
  switch (state) {
  case SANSRTC_DTLS_STATE_NEW: return "new";
  case SANSRTC_DTLS_STATE_CONNECTING: return "connecting";
  case SANSRTC_DTLS_STATE_CONNECTED: return "connected";
  case SANSRTC_DTLS_STATE_CLOSED: return "closed";
  case SANSRTC_DTLS_STATE_FAILED: return "failed";
  }
  return "unknown";
}

void sansrtc_dtls_config_default(sansrtc_dtls_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->role = SANSRTC_DTLS_CLIENT;
  cfg->mtu = 1200;
  cfg->srtp_profiles = SANSRTC_SRTP_ALL_PROFILES;
  cfg->rto_initial = 100 * SANSRTC_MILLISECONDS;
  cfg->rto_max = 3 * SANSRTC_SECONDS;
  cfg->max_retransmissions = 8;
  cfg->max_held_bytes = 64 * 1024;
  cfg->max_queued_bytes = 256 * 1024;
}

/* Records why the endpoint failed (a reason recorded earlier, such as an
 * alert or a fingerprint mismatch, wins) and moves to FAILED. */
static void fail(sansrtc_dtls *d, const char *reason) {
  if (d->error[0] == '\0') snprintf(d->error, sizeof d->error, "%s", reason);
  sansrtc_log(&d->log, SANSRTC_LOG_WARNING, "dtls: failed: %s", d->error);
  d->state = SANSRTC_DTLS_STATE_FAILED;
  d->deadline = SANSRTC_TSTAMP_NEVER;
  sansrtc_dgram_queue_clear(&d->data); /* nothing unverified leaks out */
  d->stats.held_bytes = 0;
}

/* ------------------------------------------------------------------------ */
/* The BIO between OpenSSL and the queues                                   */
/* ------------------------------------------------------------------------ */

/* Keeps a copy of a handshake datagram: the first write of a handshake
 * step starts a new flight. */
static int save_flight_datagram(sansrtc_dtls *d, const uint8_t *buf,
                                size_t len) {
  if (!d->flight_started) {
    sansrtc_dgram_queue_clear(&d->flight);
    d->flight_started = 1;
  }
  return sansrtc_dgram_queue_push(&d->flight, buf, len);
}

static uint64_t rd48(const uint8_t *p) {
  return (uint64_t)rd16(p) << 32 | rd32(p + 2);
}

static void wr48(uint8_t *p, uint64_t v) {
  wr16(p, (uint16_t)(v >> 32));
  wr32(p + 2, (uint32_t)v);
}

/* Gives the plaintext (epoch 0) records of an outgoing datagram their
 * sequence numbers on the wire: OpenSSL's shifted past every number used
 * so far, or, for a resent datagram, fresh ones. Encrypted records keep
 * theirs (the number is authenticated); they are never discarded after
 * being accepted, so a resent copy that is dropped as a replay is harmless.
 */
static void number_epoch0_records(sansrtc_dtls *d, uint8_t *p, size_t len,
                                  int resend) {
  while (len >= RECORD_HEADER) {
    size_t record = RECORD_HEADER + rd16(p + 11);
    if (record > len) break;
    if (rd16(p + 3) == 0) {
      uint64_t seq = rd48(p + 5);
      if (!resend) {
        d->openssl_next0 = seq + 1;
        seq += d->epoch0_shift;
      } else {
        seq = d->epoch0_next;
      }
      wr48(p + 5, seq);
      if (seq >= d->epoch0_next) d->epoch0_next = seq + 1;
    }
    p += record;
    len -= record;
  }
}

static int bio_write(BIO *b, const char *buf, int len) {
  sansrtc_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len < 0) return -1;
  uint8_t *p;
  if (sansrtc_dgram_queue_reserve(&d->out, (size_t)len, &p) != SANSRTC_OK)
    return -1;
  memcpy(p, buf, (size_t)len);
  number_epoch0_records(d, p, (size_t)len, 0);
  if (d->capturing && save_flight_datagram(d, p, (size_t)len) != SANSRTC_OK)
    return -1;
  d->stats.datagrams_sent++;
  return len;
}

static int bio_read(BIO *b, char *buf, int size) {
  sansrtc_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (d->in == NULL) {
    BIO_set_retry_read(b);
    return -1;
  }
  size_t n = d->in_len < (size_t)size ? d->in_len : (size_t)size;
  memcpy(buf, d->in, n);
  d->in = NULL;
  d->in_len = 0;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  sansrtc_dtls *d = BIO_get_data(b);
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH: return 1;
  case BIO_CTRL_PENDING: return d->in != NULL ? (long)d->in_len : 0;
  case BIO_CTRL_WPENDING: return 0;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return (long)d->cfg.mtu;
  case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0; /* mtu excludes IP/UDP */
  default: return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

static BIO *make_bio(sansrtc_dtls *d) {
  d->bio_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "sansrtc-dtls");
  if (d->bio_method == NULL) return NULL;
  BIO_meth_set_write(d->bio_method, bio_write);
  BIO_meth_set_read(d->bio_method, bio_read);
  BIO_meth_set_ctrl(d->bio_method, bio_ctrl);
  BIO_meth_set_create(d->bio_method, bio_create);
  BIO_meth_set_destroy(d->bio_method, bio_destroy);
  BIO *b = BIO_new(d->bio_method);
  if (b != NULL) BIO_set_data(b, d);
  return b;
}

/* ------------------------------------------------------------------------ */
/* OpenSSL callbacks                                                        */
/* ------------------------------------------------------------------------ */

/* OpenSSL's retransmission timer, read against the wall clock: set so long
 * that it never expires during a handshake. */
static unsigned int timer_cb(SSL *ssl, unsigned int previous_us) {
  (void)ssl;
  (void)previous_us;
  return OPENSSL_TIMER_US;
}

static void info_cb(const SSL *ssl, int where, int ret) {
  sansrtc_dtls *d = SSL_get_app_data(ssl);
  if ((where & SSL_CB_ALERT) == 0) return;
  const char *desc = SSL_alert_desc_string_long(ret);
  if ((where & SSL_CB_READ) && (ret >> 8) == SSL3_AL_FATAL &&
      d->error[0] == '\0')
    snprintf(d->error, sizeof d->error, "peer sent alert: %s", desc);
  sansrtc_log(&d->log, SANSRTC_LOG_DEBUG, "dtls: alert %s: %s",
              (where & SSL_CB_READ) ? "received" : "sent", desc);
}

/* Compares the peer certificate with the expected fingerprint. */
static int fingerprint_matches(const sansrtc_dtls *d, X509 *peer) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (peer == NULL || X509_digest(peer, d->fp_md, md, &n) != 1) return 0;
  return n == d->fp_len && CRYPTO_memcmp(md, d->fp, n) == 0;
}

static int verify_peer_cb(int preverify_ok, X509_STORE_CTX *store) {
  (void)preverify_ok;
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  SSL *ssl = X509_STORE_CTX_get_ex_data(store,
                                        SSL_get_ex_data_X509_STORE_CTX_idx());
  sansrtc_dtls *d = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
  if (d == NULL || d->fp_md == NULL) return 1; /* checked once known */
  if (fingerprint_matches(d, X509_STORE_CTX_get_current_cert(store))) return 1;
  snprintf(d->error, sizeof d->error, "%s", FINGERPRINT_MISMATCH);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Creation                                                                 */
/* ------------------------------------------------------------------------ */

static const struct {
  unsigned bit;
  const char *name;
  unsigned long id; /* RFC 5764 / RFC 7714 profile number */
} srtp_profiles[] = {
    {SANSRTC_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 0x0007},
    {SANSRTC_SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", 0x0008},
    {SANSRTC_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 0x0001},
    {SANSRTC_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 0x0002},
};
#define N_SRTP_PROFILES (sizeof srtp_profiles / sizeof srtp_profiles[0])

static int set_srtp_profiles(SSL *ssl, unsigned bits) {
  char list[128] = "";
  for (size_t i = 0; i < N_SRTP_PROFILES; i++) {
    if ((bits & srtp_profiles[i].bit) == 0) continue;
    if (list[0] != '\0') strcat(list, ":");
    strcat(list, srtp_profiles[i].name);
  }
  if (list[0] == '\0') return 1;
  return SSL_set_tlsext_use_srtp(ssl, list) == 0; /* 0 means success */
}

static int config_valid(const sansrtc_dtls_config *cfg) {
  return cfg->cert != NULL && cfg->mtu >= MIN_MTU &&
         (cfg->role == SANSRTC_DTLS_CLIENT ||
          cfg->role == SANSRTC_DTLS_SERVER) &&
         (cfg->srtp_profiles & ~(unsigned)SANSRTC_SRTP_ALL_PROFILES) == 0 &&
         cfg->rto_initial > 0 && cfg->rto_max >= cfg->rto_initial &&
         cfg->max_queued_bytes >= 2u * cfg->mtu;
}

static int setup_ssl(sansrtc_dtls *d) {
  d->ssl = SSL_new(d->cfg.cert->ctx);
  if (d->ssl == NULL) return SANSRTC_ERR_CRYPTO;
  SSL_set_app_data(d->ssl, d);
  BIO *bio = make_bio(d);
  if (bio == NULL) return SANSRTC_ERR_NOMEM;
  SSL_set_bio(d->ssl, bio, bio); /* one reference, owned by the SSL */
  if (d->cfg.role == SANSRTC_DTLS_CLIENT)
    SSL_set_connect_state(d->ssl);
  else
    SSL_set_accept_state(d->ssl);
  DTLS_set_timer_cb(d->ssl, timer_cb);
  SSL_set_info_callback(d->ssl, info_cb);
  SSL_set_mtu(d->ssl, d->cfg.mtu);
  /* OpenSSL 3.0 keeps DTLS record buffers (about 33 KiB) for the life of
   * the connection: SSL_MODE_RELEASE_BUFFERS has no effect on DTLS, and
   * SSL_free_buffers leaves a DTLS SSL_write crashing (found while trying
   * it; docs/performance.md). */
  if (!set_srtp_profiles(d->ssl, d->cfg.srtp_profiles))
    return SANSRTC_ERR_CRYPTO;
  return SANSRTC_OK;
}

int sansrtc_dtls_new(sansrtc_dtls **out, const sansrtc_dtls_config *cfg) {
  if (out == NULL || cfg == NULL || !config_valid(cfg))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_dtls *d = calloc(1, sizeof *d);
  if (d == NULL) return SANSRTC_ERR_NOMEM;
  d->cfg = *cfg;
  d->log.fn = cfg->log_fn;
  d->log.user_data = cfg->log_user_data;
  d->log.level = cfg->log_level;
  d->deadline = SANSRTC_TSTAMP_NEVER;
  sansrtc_dgram_queue_init(&d->out, cfg->max_queued_bytes);
  sansrtc_dgram_queue_init(&d->data, cfg->max_queued_bytes);
  sansrtc_dgram_queue_init(&d->flight, cfg->max_queued_bytes);
  int rc = setup_ssl(d);
  ERR_clear_error();
  if (rc != SANSRTC_OK) {
    sansrtc_dtls_del(d);
    return rc;
  }
  *out = d;
  return SANSRTC_OK;
}

void sansrtc_dtls_del(sansrtc_dtls *d) {
  if (d == NULL) return;
  SSL_free(d->ssl); /* frees the BIO */
  BIO_meth_free(d->bio_method);
  sansrtc_dgram_queue_free(&d->out);
  sansrtc_dgram_queue_free(&d->data);
  sansrtc_dgram_queue_free(&d->flight);
  free(d);
}

/* ------------------------------------------------------------------------ */
/* Handshake                                                                */
/* ------------------------------------------------------------------------ */

static void release_if_verified(sansrtc_dtls *d) {
  if (!d->handshake_done || d->fp_md == NULL ||
      d->state != SANSRTC_DTLS_STATE_CONNECTING)
    return;
  if (!fingerprint_matches(d, SSL_get0_peer_certificate(d->ssl))) {
    fail(d, FINGERPRINT_MISMATCH);
    return;
  }
  d->verified = 1;
  d->stats.held_bytes = 0;
  d->state = SANSRTC_DTLS_STATE_CONNECTED;
  sansrtc_log(&d->log, SANSRTC_LOG_INFO, "dtls: connected (%s, %s)",
              SSL_get_cipher_name(d->ssl),
              d->srtp_profile ? "DTLS-SRTP" : "no SRTP");
}

static void handshake_completed(sansrtc_dtls *d) {
  d->handshake_done = 1;
  d->deadline = SANSRTC_TSTAMP_NEVER;
  /* A client is done with its flights; a server keeps its last one for a
   * client that did not get it and retransmits its own (RFC 6347 4.2.4). */
  if (d->cfg.role == SANSRTC_DTLS_CLIENT) sansrtc_dgram_queue_free(&d->flight);
  const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
  for (size_t i = 0; p != NULL && i < N_SRTP_PROFILES; i++)
    if (srtp_profiles[i].id == p->id) d->srtp_profile = srtp_profiles[i].bit;
  release_if_verified(d);
}

static const char *openssl_reason(void) {
  unsigned long e = ERR_peek_last_error();
  const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
  return r != NULL ? r : "unknown error";
}

/* Reads decrypted records into the data queue until OpenSSL wants more. */
static int read_records(sansrtc_dtls *d) {
  uint8_t buf[MAX_RECORD];
  for (;;) {
    int n = SSL_read(d->ssl, buf, sizeof buf);
    if (n > 0) {
      /* The peer sends data only once it has our last flight. */
      if (d->flight.cap > 0) sansrtc_dgram_queue_free(&d->flight);
      size_t limit = d->verified ? d->cfg.max_queued_bytes
                                 : d->cfg.max_held_bytes;
      if (sansrtc_dgram_queue_bytes(&d->data) + (size_t)n + 4 > limit ||
          sansrtc_dgram_queue_push(&d->data, buf, (size_t)n) != SANSRTC_OK) {
        d->stats.dropped_data++;
      } else if (!d->verified) {
        d->stats.held_bytes += (uint64_t)n;
      }
      continue;
    }
    int err = SSL_get_error(d->ssl, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
      return SANSRTC_OK;
    if (err == SSL_ERROR_ZERO_RETURN) {
      snprintf(d->error, sizeof d->error, "peer closed the connection");
      d->state = SANSRTC_DTLS_STATE_CLOSED;
      return SANSRTC_OK;
    }
    fail(d, openssl_reason());
    return SANSRTC_ERR_CRYPTO;
  }
}

/* Runs the handshake as far as the input allows; arms the retransmission
 * deadline when a new flight went out. */
static int drive_handshake(sansrtc_dtls *d, sansrtc_tstamp now) {
  d->capturing = 1;
  d->flight_started = 0;
  int r = SSL_do_handshake(d->ssl);
  int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(d->ssl, r);
  d->capturing = 0;
  if (d->flight_started) { /* a new flight: restart the timer */
    d->rto = d->cfg.rto_initial;
    d->retransmits = 0;
    d->deadline = now + d->rto;
    d->last_resend = now;
  }
  if (r == 1) {
    handshake_completed(d);
    return SANSRTC_OK;
  }
  if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
    int mismatch = strcmp(d->error, FINGERPRINT_MISMATCH) == 0;
    fail(d, openssl_reason());
    return mismatch ? SANSRTC_ERR_AUTH : SANSRTC_ERR_CRYPTO;
  }
  return SANSRTC_OK;
}

int sansrtc_dtls_start(sansrtc_dtls *d, sansrtc_tstamp now) {
  if (d == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->state != SANSRTC_DTLS_STATE_NEW) return SANSRTC_ERR_INVALID_STATE;
  d->state = SANSRTC_DTLS_STATE_CONNECTING;
  int rc = drive_handshake(d, now);
  ERR_clear_error();
  return rc;
}

/* Queues the saved flight again, its plaintext records renumbered, and
 * moves OpenSSL's later plaintext records past the numbers it used. */
static void resend_flight(sansrtc_dtls *d, sansrtc_tstamp now) {
  size_t cursor = 0, len;
  uint8_t *p;
  while (sansrtc_dgram_queue_next(&d->flight, &cursor, &p, &len))
    number_epoch0_records(d, p, len, 1);
  d->epoch0_shift = d->epoch0_next - d->openssl_next0;
  size_t n = sansrtc_dgram_queue_append_all(&d->out, &d->flight);
  d->stats.datagrams_sent += n;
  d->last_resend = now;
  d->stats.retransmissions++;
}

int sansrtc_dtls_handle_datagram(sansrtc_dtls *d, const uint8_t *data,
                                 size_t len, sansrtc_tstamp now) {
  if (d == NULL || data == NULL || len == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->state == SANSRTC_DTLS_STATE_FAILED ||
      d->state == SANSRTC_DTLS_STATE_CLOSED)
    return SANSRTC_ERR_INVALID_STATE;
  if (d->state == SANSRTC_DTLS_STATE_NEW) d->state = SANSRTC_DTLS_STATE_CONNECTING;
  d->stats.datagrams_received++;
  d->in = data;
  d->in_len = len;
  int rc = SANSRTC_OK;
  int completed_before = d->handshake_done;
  if (!d->handshake_done) rc = drive_handshake(d, now);
  if (rc == SANSRTC_OK && d->handshake_done) rc = read_records(d);
  /* A handshake record after our final flight: the peer is retransmitting
   * because it did not get that flight. */
  if (rc == SANSRTC_OK && completed_before && data[0] == 22 &&
      d->flight.count > 0 && now >= d->last_resend + d->cfg.rto_initial)
    resend_flight(d, now);
  d->in = NULL;
  d->in_len = 0;
  ERR_clear_error();
  return rc;
}

int sansrtc_dtls_handle_timeout(sansrtc_dtls *d, sansrtc_tstamp now) {
  if (d == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->handshake_done || d->state != SANSRTC_DTLS_STATE_CONNECTING ||
      now < d->deadline)
    return SANSRTC_OK;
  if (d->retransmits >= d->cfg.max_retransmissions) {
    fail(d, "handshake timed out");
    return SANSRTC_ERR_CRYPTO;
  }
  resend_flight(d, now);
  d->retransmits++;
  d->rto = d->rto * 2 < d->cfg.rto_max ? d->rto * 2 : d->cfg.rto_max;
  d->deadline = now + d->rto;
  sansrtc_log(&d->log, SANSRTC_LOG_DEBUG, "dtls: retransmission %u",
              d->retransmits);
  return SANSRTC_OK;
}

sansrtc_tstamp sansrtc_dtls_next_deadline(const sansrtc_dtls *d) {
  return d != NULL ? d->deadline : SANSRTC_TSTAMP_NEVER;
}

/* ------------------------------------------------------------------------ */
/* Fingerprint                                                              */
/* ------------------------------------------------------------------------ */

static const EVP_MD *fingerprint_md(const char *algorithm) {
  if (strcasecmp(algorithm, "sha-256") == 0) return EVP_sha256();
  if (strcasecmp(algorithm, "sha-1") == 0) return EVP_sha1();
  if (strcasecmp(algorithm, "sha-384") == 0) return EVP_sha384();
  if (strcasecmp(algorithm, "sha-512") == 0) return EVP_sha512();
  return NULL;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parses "AB:CD:..." into bytes; returns the count or 0 when malformed. */
static unsigned parse_fingerprint(const char *s, uint8_t *out, unsigned cap) {
  unsigned n = 0;
  for (;;) {
    int hi = hex_value(s[0]), lo = hi >= 0 ? hex_value(s[1]) : -1;
    if (lo < 0 || n == cap) return 0;
    out[n++] = (uint8_t)(hi << 4 | lo);
    if (s[2] == '\0') return n;
    if (s[2] != ':') return 0;
    s += 3;
  }
}

int sansrtc_dtls_set_remote_fingerprint(sansrtc_dtls *d, const char *algorithm,
                                        const char *value,
                                        sansrtc_tstamp now) {
  (void)now;
  if (d == NULL || algorithm == NULL || value == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  const EVP_MD *md = fingerprint_md(algorithm);
  if (md == NULL) return SANSRTC_ERR_UNSUPPORTED;
  uint8_t fp[FINGERPRINT_MAX];
  unsigned n = parse_fingerprint(value, fp, sizeof fp);
  if (n == 0 || n != (unsigned)EVP_MD_get_size(md)) return SANSRTC_ERR_MALFORMED;
  if (d->fp_md != NULL) {
    int same = d->fp_md == md && d->fp_len == n && memcmp(d->fp, fp, n) == 0;
    return same ? SANSRTC_OK : SANSRTC_ERR_INVALID_STATE;
  }
  d->fp_md = md;
  memcpy(d->fp, fp, n);
  d->fp_len = n;
  release_if_verified(d);
  return d->state == SANSRTC_DTLS_STATE_FAILED ? SANSRTC_ERR_AUTH : SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Data                                                                     */
/* ------------------------------------------------------------------------ */

int sansrtc_dtls_poll_transmit(sansrtc_dtls *d, uint8_t *buf, size_t cap,
                               size_t *len) {
  if (d == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  return sansrtc_dgram_queue_pop(&d->out, buf, cap, len);
}

int sansrtc_dtls_poll_data(sansrtc_dtls *d, uint8_t *buf, size_t cap,
                           size_t *len) {
  if (d == NULL || buf == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (!d->verified) return 0; /* held until the fingerprint matches */
  return sansrtc_dgram_queue_pop(&d->data, buf, cap, len);
}

size_t sansrtc_dtls_max_payload(const sansrtc_dtls *d) {
  if (d == NULL) return 0;
  if (d->handshake_done) return DTLS_get_data_mtu(d->ssl);
  /* 13-byte header, explicit IV/nonce 16, tag or MAC and padding 48. */
  return d->cfg.mtu - 13u - 16u - 48u;
}

int sansrtc_dtls_send(sansrtc_dtls *d, const uint8_t *data, size_t len) {
  if (d == NULL || data == NULL || len == 0)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->state != SANSRTC_DTLS_STATE_CONNECTED) return SANSRTC_ERR_INVALID_STATE;
  if (len > sansrtc_dtls_max_payload(d)) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (sansrtc_dgram_queue_bytes(&d->out) + d->cfg.mtu + 4 >
      d->cfg.max_queued_bytes)
    return SANSRTC_ERR_LIMIT;
  int n = SSL_write(d->ssl, data, (int)len);
  ERR_clear_error();
  if (n != (int)len) return SANSRTC_ERR_CRYPTO;
  return SANSRTC_OK;
}

int sansrtc_dtls_close(sansrtc_dtls *d, sansrtc_tstamp now) {
  (void)now;
  if (d == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->state == SANSRTC_DTLS_STATE_CLOSED ||
      d->state == SANSRTC_DTLS_STATE_FAILED)
    return SANSRTC_OK;
  if (d->handshake_done) (void)SSL_shutdown(d->ssl);
  ERR_clear_error();
  d->state = SANSRTC_DTLS_STATE_CLOSED;
  d->deadline = SANSRTC_TSTAMP_NEVER;
  if (d->error[0] == '\0')
    snprintf(d->error, sizeof d->error, "closed locally");
  return SANSRTC_OK;
}

sansrtc_dtls_state sansrtc_dtls_get_state(const sansrtc_dtls *d) {
  return d != NULL ? d->state : SANSRTC_DTLS_STATE_FAILED;
}

const char *sansrtc_dtls_error_text(const sansrtc_dtls *d) {
  if (d == NULL) return "";
  if (d->state != SANSRTC_DTLS_STATE_FAILED &&
      d->state != SANSRTC_DTLS_STATE_CLOSED)
    return "";
  return d->error;
}

unsigned sansrtc_dtls_srtp_profile(const sansrtc_dtls *d) {
  return d != NULL && d->verified ? d->srtp_profile : 0;
}

int sansrtc_dtls_export_srtp_keying(const sansrtc_dtls *d, uint8_t *out,
                                    size_t cap, size_t *len) {
  if (d == NULL || out == NULL || len == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (d->state != SANSRTC_DTLS_STATE_CONNECTED || d->srtp_profile == 0)
    return SANSRTC_ERR_INVALID_STATE;
  size_t key = d->srtp_profile == SANSRTC_SRTP_AEAD_AES_256_GCM ? 32 : 16;
  size_t salt = (d->srtp_profile == SANSRTC_SRTP_AEAD_AES_128_GCM ||
                 d->srtp_profile == SANSRTC_SRTP_AEAD_AES_256_GCM)
                    ? 12
                    : 14;
  size_t need = 2 * (key + salt);
  if (cap < need) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  static const char label[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(d->ssl, out, need, label, sizeof label - 1,
                                 NULL, 0, 0) != 1) {
    ERR_clear_error();
    return SANSRTC_ERR_CRYPTO;
  }
  *len = need;
  return SANSRTC_OK;
}

void sansrtc_dtls_get_stats(const sansrtc_dtls *d, sansrtc_dtls_stats *out) {
  if (d == NULL || out == NULL) return;
  *out = d->stats;
}
