/*
 * sansrtc/srtp.h - SRTP and SRTCP protection (RFC 3711, RFC 7714) of RTP
 * and RTCP packets, keyed from DTLS-SRTP (RFC 5764), over libsrtp2.
 *
 * A session is one direction pair: it protects what this side sends with
 * the local master key and unprotects what the peer sends with the remote
 * one. Packets are transformed in place in the caller's buffer; nothing
 * changes owner. SSRCs are not declared: each new SSRC gets its own
 * cryptographic context (replay window, rollover counter) the first time
 * it is protected, or the first time a packet for it authenticates.
 *
 * Memory: a session allocates when it is created and once per new SSRC
 * (libsrtp's per-stream context, freed with the session). sansrtc's own
 * code allocates nothing per packet; the crypto backend libsrtp was built
 * with may allocate and free inside a call (Debian's libsrtp2 uses NSS,
 * which does) - see docs/srtp.md.
 *
 * Process-global state: libsrtp keeps one crypto kernel per process. It is
 * initialised (srtp_init) when the first session is created and shut down
 * (srtp_shutdown) when the last one is freed, counted under a mutex. This
 * is the second documented exception to "no global state" in the core,
 * after usrsctp. If the application itself had already initialised libsrtp
 * when the first session is made, sansrtc leaves it initialised instead.
 *
 * Thread-safety: a session is used from one thread at a time; different
 * sessions may be created, used and freed on any threads concurrently.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SRTP_H
#define SANSRTC_SRTP_H

#include <sansrtc/common.h>
#include <sansrtc/dtls.h> /* SANSRTC_SRTP_* profiles, sansrtc_dtls_role */

#ifdef __cplusplus
extern "C" {
#endif

/* The most bytes protecting a packet adds, for any profile: SRTCP with
 * AES-GCM, a 16-byte tag and the 4-byte E flag and index. A buffer with
 * this much room past the packet is always enough. */
#define SANSRTC_SRTP_MAX_TRAILER 20

/* The longest master key (AES-256) and master salt (AES-CM) of the
 * profiles, and the longest DTLS-SRTP keying material (AEAD_AES_256_GCM:
 * two 32-byte keys and two 12-byte salts). */
#define SANSRTC_SRTP_MAX_KEY_LEN 32
#define SANSRTC_SRTP_MAX_SALT_LEN 14
#define SANSRTC_SRTP_MAX_KEYING_LEN 88

/* The default SRTP replay window, in packets. */
#define SANSRTC_SRTP_DEFAULT_REPLAY_WINDOW 1024

/* Largest packet a session takes (protected or not): a UDP payload. */
#define SANSRTC_SRTP_MAX_PACKET 65535

/* Master key and salt lengths of a profile (one SANSRTC_SRTP_* value from
 * dtls.h): 16/14 for the AES-CM profiles, 16/12 for AEAD_AES_128_GCM and
 * 32/12 for AEAD_AES_256_GCM; 0 for anything else. */
SANSRTC_API size_t sansrtc_srtp_key_len(unsigned profile);
SANSRTC_API size_t sansrtc_srtp_salt_len(unsigned profile);

/* Bytes protecting adds to an RTP packet: the authentication tag, 10 for
 * SRTP_AES128_CM_SHA1_80, 4 for SRTP_AES128_CM_SHA1_32, 16 for the AEAD
 * profiles; 0 for an unknown profile. */
SANSRTC_API size_t sansrtc_srtp_rtp_overhead(unsigned profile);

/* Bytes protecting adds to an RTCP packet: the 4-byte E flag and SRTCP
 * index plus the tag, which is 80 bits for both AES-CM profiles (RFC 5764
 * 4.1.2: SHA1_32 shortens only the SRTP tag), so 14, 14, 20, 20; 0 for an
 * unknown profile. */
SANSRTC_API size_t sansrtc_srtp_rtcp_overhead(unsigned profile);

typedef struct sansrtc_srtp sansrtc_srtp;

typedef struct sansrtc_srtp_config {
  /* One SANSRTC_SRTP_* profile, e.g. sansrtc_dtls_srtp_profile()'s. */
  unsigned profile;
  /* SRTP replay window per SSRC, in packets: 64..32767 (libsrtp's bounds).
   * An RTP packet older than the window is refused as a replay. SRTCP's
   * window is libsrtp's fixed 128 packets. */
  unsigned replay_window;
  /* Non-zero: protecting an RTP packet whose sequence number was already
   * protected is allowed (a retransmission of the same packet; it must be
   * byte-identical or the keystream is reused). Zero: it is refused with
   * SANSRTC_ERR_REPLAY. */
  int allow_repeat_tx;
} sansrtc_srtp_config;

/* Defaults: SRTP_AES128_CM_SHA1_80, replay window
 * SANSRTC_SRTP_DEFAULT_REPLAY_WINDOW, repeated transmissions refused. */
SANSRTC_API void sansrtc_srtp_config_default(sansrtc_srtp_config *cfg);

/*
 * Creates a session from DTLS-SRTP keying material exactly as
 * sansrtc_dtls_export_srtp_keying gives it: client master key | server
 * master key | client master salt | server master salt (RFC 5764 4.2), so
 * keying_len is 2 x (key length + salt length) of cfg->profile. `role` is
 * this side's DTLS role: a client protects with the client half and
 * unprotects with the server half, a server the other way round. The
 * keying material is copied (and wiped from sansrtc's copies); the caller
 * keeps its buffer. The caller owns *out and frees it with
 * sansrtc_srtp_del; *out is untouched on failure.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL, unknown profile
 * or role, replay window out of range, keying_len not the profile's),
 * SANSRTC_ERR_NOMEM or SANSRTC_ERR_CRYPTO (libsrtp failed to initialise or
 * to create the contexts).
 */
SANSRTC_API int sansrtc_srtp_new(sansrtc_srtp **out,
                                 const sansrtc_srtp_config *cfg,
                                 sansrtc_dtls_role role,
                                 const uint8_t *keying, size_t keying_len);

/* A master key and salt, for sansrtc_srtp_new_with_keys. */
typedef struct sansrtc_srtp_master {
  const uint8_t *key;
  size_t key_len;  /* sansrtc_srtp_key_len(profile) */
  const uint8_t *salt;
  size_t salt_len; /* sansrtc_srtp_salt_len(profile) */
} sansrtc_srtp_master;

/*
 * Creates a session from explicit master keys: `local` protects what this
 * side sends, `remote` unprotects what it receives (for tests, SDES-style
 * keying or anything else that is not DTLS). Lengths must be the
 * profile's. Ownership, *out and return values as sansrtc_srtp_new.
 */
SANSRTC_API int sansrtc_srtp_new_with_keys(sansrtc_srtp **out,
                                           const sansrtc_srtp_config *cfg,
                                           const sansrtc_srtp_master *local,
                                           const sansrtc_srtp_master *remote);

/* Frees the session and its per-SSRC contexts, and drops its reference on
 * libsrtp (the last one shuts libsrtp down). NULL is allowed. */
SANSRTC_API void sansrtc_srtp_del(sansrtc_srtp *srtp);

/*
 * Protects the RTP packet of *len bytes at the start of `buf` (capacity
 * `cap` bytes) in place: the payload is encrypted and the tag appended, and
 * *len grows by sansrtc_srtp_rtp_overhead(profile). The header (version 2,
 * CSRCs and extension within *len) is checked first.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL, *len > cap),
 * SANSRTC_ERR_MALFORMED (not an RTP packet, or longer than
 * SANSRTC_SRTP_MAX_PACKET), SANSRTC_ERR_BUFFER_TOO_SMALL (cap - *len below
 * the overhead; nothing is written), SANSRTC_ERR_REPLAY (this sequence
 * number was already protected and allow_repeat_tx is off), SANSRTC_ERR_LIMIT
 * (the key's packet budget, 2^48 packets, is spent), SANSRTC_ERR_NOMEM (no
 * memory for a new SSRC's context) or SANSRTC_ERR_CRYPTO. On failure *len
 * is unchanged.
 */
SANSRTC_API int sansrtc_srtp_protect_rtp(sansrtc_srtp *srtp, uint8_t *buf,
                                         size_t *len, size_t cap);

/*
 * Protects the RTCP compound packet of *len bytes in place: encrypted,
 * E flag and SRTCP index and the tag appended (*len grows by
 * sansrtc_srtp_rtcp_overhead(profile)). Checks version 2 and a length of at
 * least 8. Returns as sansrtc_srtp_protect_rtp, except that SRTCP indexes
 * never repeat (no SANSRTC_ERR_REPLAY); SANSRTC_ERR_LIMIT after 2^31
 * packets of one SSRC.
 */
SANSRTC_API int sansrtc_srtp_protect_rtcp(sansrtc_srtp *srtp, uint8_t *buf,
                                          size_t *len, size_t cap);

/*
 * Authenticates and decrypts the SRTP packet of *len bytes in place; *len
 * shrinks to the RTP packet's length.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL),
 * SANSRTC_ERR_MALFORMED (not version 2, header or tag beyond *len, longer
 * than SANSRTC_SRTP_MAX_PACKET), SANSRTC_ERR_INTEGRITY (the tag does not
 * verify: tampered, wrong key, or not SRTP), SANSRTC_ERR_REPLAY (this
 * packet index was already received, or is older than the replay window),
 * SANSRTC_ERR_NOMEM (no memory for a new SSRC's context) or
 * SANSRTC_ERR_CRYPTO. On failure *len is unchanged and the packet must be
 * dropped; its bytes may have been changed.
 */
SANSRTC_API int sansrtc_srtp_unprotect_rtp(sansrtc_srtp *srtp, uint8_t *buf,
                                           size_t *len);

/*
 * Authenticates and decrypts the SRTCP packet of *len bytes in place; *len
 * shrinks to the RTCP packet's length. A packet shorter than 8 bytes plus
 * sansrtc_srtp_rtcp_overhead(profile) is SANSRTC_ERR_MALFORMED. Otherwise
 * returns as sansrtc_srtp_unprotect_rtp (replays by SRTCP index, window of
 * 128). An SRTCP packet whose E flag says it is not encrypted is
 * SANSRTC_ERR_INTEGRITY too: every profile here encrypts SRTCP.
 */
SANSRTC_API int sansrtc_srtp_unprotect_rtcp(sansrtc_srtp *srtp, uint8_t *buf,
                                            size_t *len);

/* The session's profile (as configured). 0 for NULL. */
SANSRTC_API unsigned sansrtc_srtp_profile(const sansrtc_srtp *srtp);

/*
 * Counters since creation. Every call above on a session ends in exactly
 * one of: a success (a *_protected or *_unprotected counter), an
 * authentication failure, a replay, or another error (malformed input,
 * short buffer, bad argument, crypto failure, key limit, no memory).
 */
typedef struct sansrtc_srtp_stats {
  uint64_t rtp_protected;
  uint64_t rtcp_protected;
  uint64_t rtp_unprotected;
  uint64_t rtcp_unprotected;
  uint64_t auth_failures; /* SANSRTC_ERR_INTEGRITY results */
  uint64_t replays;       /* SANSRTC_ERR_REPLAY results */
  uint64_t other_errors;  /* every other failure */
} sansrtc_srtp_stats;

/* Copies the counters into *out (zeroes for a NULL session). */
SANSRTC_API void sansrtc_srtp_get_stats(const sansrtc_srtp *srtp,
                                        sansrtc_srtp_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_SRTP_H */
