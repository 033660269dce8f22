/*
 * sansrtc/dtls.h - sans-I/O DTLS 1.2 (RFC 6347) for WebRTC: certificates
 * and fingerprints (RFC 8122, RFC 8842), the DTLS-SRTP extension
 * (RFC 5764) and keying-material export, over OpenSSL 3 without sockets.
 *
 * A sansrtc_dtls endpoint never touches the network or a clock. The caller
 * feeds every DTLS datagram it receives (sansrtc_dtls_handle_datagram) with
 * the current time, and after each call drains the endpoint: datagrams to
 * send (sansrtc_dtls_poll_transmit), decrypted application data
 * (sansrtc_dtls_poll_data), and the next deadline
 * (sansrtc_dtls_next_deadline), at which it calls
 * sansrtc_dtls_handle_timeout.
 *
 * Retransmission is scheduled by the endpoint on the caller's time, not by
 * OpenSSL's clock: see docs/dtls.md for how OpenSSL's own timer is kept out
 * of the decision.
 *
 * Thread-safety: an endpoint is used from one thread at a time. A
 * certificate is immutable once created and may be shared by endpoints on
 * any threads.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_DTLS_H
#define SANSRTC_DTLS_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Certificates                                                             */
/* ------------------------------------------------------------------------ */

typedef struct sansrtc_dtls_cert sansrtc_dtls_cert;

/* "AB:CD:...:EF", 32 bytes of SHA-256 as upper-case hex pairs, plus NUL. */
#define SANSRTC_DTLS_FINGERPRINT_STRLEN 96

/*
 * Generates an ECDSA P-256 key and a self-signed certificate for it, valid
 * from one day before `unix_time` (seconds since 1970, the caller's wall
 * clock) for 30 days. The caller owns *out and frees it with
 * sansrtc_dtls_cert_free; endpoints keep what they need, so it may be freed
 * while they still run.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_CRYPTO.
 */
SANSRTC_API int sansrtc_dtls_cert_generate(sansrtc_dtls_cert **out,
                                           int64_t unix_time);

/*
 * Loads a certificate and its private key (ECDSA or RSA) from PEM text,
 * both NUL-terminated. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT,
 * SANSRTC_ERR_MALFORMED (not PEM, or the key does not match), or
 * SANSRTC_ERR_NOMEM / SANSRTC_ERR_CRYPTO.
 */
SANSRTC_API int sansrtc_dtls_cert_from_pem(sansrtc_dtls_cert **out,
                                           const char *cert_pem,
                                           const char *key_pem);

/* A second handle on the same certificate and key (they are shared, not
 * duplicated), freed separately with sansrtc_dtls_cert_free. Returns
 * SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_CRYPTO. */
SANSRTC_API int sansrtc_dtls_cert_copy(sansrtc_dtls_cert **out,
                                       const sansrtc_dtls_cert *cert);

/* Frees a certificate; NULL is allowed. */
SANSRTC_API void sansrtc_dtls_cert_free(sansrtc_dtls_cert *cert);

/* The certificate's SHA-256 fingerprint in SDP form (the value after
 * "a=fingerprint:sha-256 "), owned by the certificate. */
SANSRTC_API const char *
sansrtc_dtls_cert_fingerprint(const sansrtc_dtls_cert *cert);

/* ------------------------------------------------------------------------ */
/* Endpoint                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct sansrtc_dtls sansrtc_dtls;

/* Client or server. With RFC 8842, "a=setup:active" is the client and
 * "a=setup:passive" the server. */
typedef enum sansrtc_dtls_role {
  SANSRTC_DTLS_CLIENT = 0,
  SANSRTC_DTLS_SERVER = 1
} sansrtc_dtls_role;

/*
 * The role this side takes from the remote description's a=setup value
 * (RFC 8842, "actpass", "active", "passive"; case-sensitive, as in SDP).
 * An offerer offered "actpass", so the answer decides: "active" makes this
 * side the server, "passive" the client. An answerer answers an "actpass"
 * or "passive" offer with "active" (client) and an "active" offer with
 * "passive" (server); sansrtc_dtls_setup_value gives the value to write.
 * Returns SANSRTC_OK with *role set, SANSRTC_ERR_MALFORMED (an unknown
 * value, "holdconn", or "actpass" in an answer) or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_dtls_role_from_setup(const char *remote_setup,
                                             int local_is_offerer,
                                             sansrtc_dtls_role *role);

/* The a=setup value this side writes: "actpass" in an offer, else
 * "active" for the client and "passive" for the server. Static string. */
SANSRTC_API const char *sansrtc_dtls_setup_value(int local_is_offerer,
                                                 sansrtc_dtls_role role);

typedef enum sansrtc_dtls_state {
  SANSRTC_DTLS_STATE_NEW = 0,    /* not started */
  SANSRTC_DTLS_STATE_CONNECTING, /* handshake under way */
  SANSRTC_DTLS_STATE_CONNECTED,  /* handshake done, peer verified */
  SANSRTC_DTLS_STATE_CLOSED,     /* close_notify sent or received */
  SANSRTC_DTLS_STATE_FAILED      /* see sansrtc_dtls_error_text */
} sansrtc_dtls_state;

SANSRTC_API const char *sansrtc_dtls_state_name(sansrtc_dtls_state state);

/* DTLS-SRTP protection profiles (RFC 5764, RFC 7714), as bits of
 * sansrtc_dtls_config.srtp_profiles and values of the negotiated one. */
enum {
  SANSRTC_SRTP_AES128_CM_SHA1_80 = 1 << 0,
  SANSRTC_SRTP_AES128_CM_SHA1_32 = 1 << 1,
  SANSRTC_SRTP_AEAD_AES_128_GCM = 1 << 2,
  SANSRTC_SRTP_AEAD_AES_256_GCM = 1 << 3
};
#define SANSRTC_SRTP_ALL_PROFILES 0xF

typedef struct sansrtc_dtls_config {
  sansrtc_dtls_role role;
  /* Our certificate (required). The endpoint keeps its own reference. */
  const sansrtc_dtls_cert *cert;
  /* Largest datagram the endpoint writes (IP/UDP headers excluded). */
  uint16_t mtu;
  /* Offered/accepted DTLS-SRTP profiles; 0 omits the use_srtp extension. */
  unsigned srtp_profiles;
  /* Handshake retransmission: first timeout, doubling up to rto_max, and
   * the handshake fails after max_retransmissions without progress. */
  sansrtc_tstamp rto_initial;
  sansrtc_tstamp rto_max;
  unsigned max_retransmissions;
  /* Decrypted data that arrives before the remote fingerprint is known is
   * held (at most this many bytes) and released once it is verified. */
  size_t max_held_bytes;
  /* Queues of datagrams to send and of decrypted data, in bytes. A full
   * queue fails sends with SANSRTC_ERR_LIMIT and drops received data
   * (counted in stats.dropped_data). */
  size_t max_queued_bytes;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
} sansrtc_dtls_config;

/* Defaults: client, no certificate (must be set), MTU 1200, all four SRTP
 * profiles, RTO 100 ms doubling to 3 s, 8 retransmissions, 64 KiB held,
 * 256 KiB queued, no logging. */
SANSRTC_API void sansrtc_dtls_config_default(sansrtc_dtls_config *cfg);

/*
 * Creates an endpoint. The caller owns *out and frees it with
 * sansrtc_dtls_del. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL,
 * no certificate, MTU below 256), SANSRTC_ERR_NOMEM or SANSRTC_ERR_CRYPTO.
 */
SANSRTC_API int sansrtc_dtls_new(sansrtc_dtls **out,
                                 const sansrtc_dtls_config *cfg);

/* Frees the endpoint without sending anything; NULL is allowed. */
SANSRTC_API void sansrtc_dtls_del(sansrtc_dtls *dtls);

/*
 * Sets the fingerprint the peer's certificate must have, from the remote
 * description's "a=fingerprint:<algorithm> <value>". Algorithms: "sha-256"
 * (also "sha-1", "sha-384", "sha-512"), case-insensitive; the value is hex
 * pairs separated by colons, either case. May be called before or during
 * the handshake, or after it (the handshake then completes but data is
 * held until the fingerprint arrives and matches). A mismatch fails the
 * endpoint.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_MALFORMED
 * (bad value), SANSRTC_ERR_UNSUPPORTED (algorithm), or
 * SANSRTC_ERR_INVALID_STATE (already set to a different value).
 */
SANSRTC_API int sansrtc_dtls_set_remote_fingerprint(sansrtc_dtls *dtls,
                                                    const char *algorithm,
                                                    const char *value,
                                                    sansrtc_tstamp now);

/* Starts the handshake: a client queues its ClientHello, a server waits.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_STATE (already started). */
SANSRTC_API int sansrtc_dtls_start(sansrtc_dtls *dtls, sansrtc_tstamp now);

/*
 * Feeds one received DTLS datagram (first byte 20..63, RFC 7983). A server
 * that was not started starts on its first datagram, so a ClientHello
 * arriving before the caller is ready is processed, never dropped.
 * Returns SANSRTC_OK (also for records that were discarded, such as
 * replays), SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_INVALID_STATE (the
 * endpoint is closed or failed) or, when this datagram made the endpoint
 * fail, SANSRTC_ERR_AUTH (fingerprint mismatch) or SANSRTC_ERR_CRYPTO
 * (handshake failure or fatal alert).
 */
SANSRTC_API int sansrtc_dtls_handle_datagram(sansrtc_dtls *dtls,
                                             const uint8_t *data, size_t len,
                                             sansrtc_tstamp now);

/* Runs retransmission. Returns SANSRTC_OK, or SANSRTC_ERR_CRYPTO when the
 * handshake gave up (the endpoint is then FAILED). */
SANSRTC_API int sansrtc_dtls_handle_timeout(sansrtc_dtls *dtls,
                                            sansrtc_tstamp now);

/* When sansrtc_dtls_handle_timeout must next be called, or
 * SANSRTC_TSTAMP_NEVER. */
SANSRTC_API sansrtc_tstamp sansrtc_dtls_next_deadline(const sansrtc_dtls *dtls);

/*
 * Takes the next datagram to send into buf/cap. Returns 1 with *len set, 0
 * when none is queued, SANSRTC_ERR_BUFFER_TOO_SMALL (the datagram stays
 * queued; `mtu` bytes always suffice) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_dtls_poll_transmit(sansrtc_dtls *dtls, uint8_t *buf,
                                           size_t cap, size_t *len);

/*
 * Takes the next decrypted application-data record. Returns 1 with *len
 * set, 0 when none, SANSRTC_ERR_BUFFER_TOO_SMALL (it stays queued; 16384
 * bytes always suffice) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_dtls_poll_data(sansrtc_dtls *dtls, uint8_t *buf,
                                       size_t cap, size_t *len);

/*
 * Encrypts `len` bytes (1..mtu minus record overhead) as one record and
 * queues the datagram. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_STATE (not
 * CONNECTED), SANSRTC_ERR_INVALID_ARGUMENT (NULL, empty or too large),
 * SANSRTC_ERR_LIMIT (the transmit queue is full) or SANSRTC_ERR_CRYPTO.
 */
SANSRTC_API int sansrtc_dtls_send(sansrtc_dtls *dtls, const uint8_t *data,
                                  size_t len);

/* Largest payload sansrtc_dtls_send accepts (once CONNECTED; before that,
 * a conservative bound for the configured MTU). */
SANSRTC_API size_t sansrtc_dtls_max_payload(const sansrtc_dtls *dtls);

/* Sends close_notify (if the handshake completed) and moves to CLOSED.
 * Idempotent. Returns SANSRTC_OK or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_dtls_close(sansrtc_dtls *dtls, sansrtc_tstamp now);

SANSRTC_API sansrtc_dtls_state sansrtc_dtls_get_state(const sansrtc_dtls *dtls);

/* Why the endpoint failed or closed, e.g. "remote certificate fingerprint
 * mismatch" or "peer sent alert: handshake failure"; "" otherwise. Owned by
 * the endpoint. */
SANSRTC_API const char *sansrtc_dtls_error_text(const sansrtc_dtls *dtls);

/* The negotiated SRTP profile (one SANSRTC_SRTP_* value), or 0 when none
 * was negotiated or the handshake is not complete. */
SANSRTC_API unsigned sansrtc_dtls_srtp_profile(const sansrtc_dtls *dtls);

/*
 * Exports the DTLS-SRTP keying material (RFC 5764 4.2, label
 * "EXTRACTOR-dtls_srtp"): client key, server key, client salt, server salt
 * for the negotiated profile, into `out`. *len receives the size used (30
 * bytes x 2 for AES-CM, 28 x 2 for AES-128-GCM, 44 x 2 for AES-256-GCM).
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_STATE (not CONNECTED or no
 * profile), SANSRTC_ERR_BUFFER_TOO_SMALL or SANSRTC_ERR_CRYPTO.
 */
SANSRTC_API int sansrtc_dtls_export_srtp_keying(const sansrtc_dtls *dtls,
                                                uint8_t *out, size_t cap,
                                                size_t *len);

typedef struct sansrtc_dtls_stats {
  uint64_t datagrams_received;
  uint64_t datagrams_sent;
  uint64_t retransmissions;    /* handshake flights resent on timeout */
  uint64_t dropped_data;       /* records dropped: queue or hold full */
  uint64_t held_bytes;         /* held now, waiting for the fingerprint */
} sansrtc_dtls_stats;

SANSRTC_API void sansrtc_dtls_get_stats(const sansrtc_dtls *dtls,
                                        sansrtc_dtls_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_DTLS_H */
