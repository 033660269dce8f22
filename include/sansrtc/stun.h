/*
 * sansrtc/stun.h - STUN message encoding and decoding (RFC 8489, RFC 5389),
 * with the attributes ICE (RFC 8445) and TURN (RFC 8656) use.
 *
 * Decoding never copies: a decoded sansrtc_stun_msg points into the caller's
 * buffer, which must outlive it. Encoding writes into a caller-owned buffer.
 * Nothing here allocates memory, and every function is safe on any input:
 * malformed bytes give SANSRTC_ERR_MALFORMED, never an over-read.
 *
 * Thread-safety: no shared state; objects may be used from any thread, one
 * thread at a time per object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_STUN_H
#define SANSRTC_STUN_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SANSRTC_STUN_HEADER_SIZE 20
#define SANSRTC_STUN_MAGIC_COOKIE 0x2112A442u
#define SANSRTC_STUN_TXID_SIZE 12

/* Methods (RFC 8489, RFC 8656). */
#define SANSRTC_STUN_BINDING 0x001
#define SANSRTC_STUN_ALLOCATE 0x003
#define SANSRTC_STUN_REFRESH 0x004
#define SANSRTC_STUN_SEND 0x006
#define SANSRTC_STUN_DATA 0x007
#define SANSRTC_STUN_CREATE_PERMISSION 0x008
#define SANSRTC_STUN_CHANNEL_BIND 0x009

/* Classes. */
typedef enum sansrtc_stun_class {
  SANSRTC_STUN_REQUEST = 0,
  SANSRTC_STUN_INDICATION = 1,
  SANSRTC_STUN_SUCCESS = 2,
  SANSRTC_STUN_ERROR = 3
} sansrtc_stun_class;

/* Attribute types. */
#define SANSRTC_STUN_ATTR_MAPPED_ADDRESS 0x0001
#define SANSRTC_STUN_ATTR_USERNAME 0x0006
#define SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define SANSRTC_STUN_ATTR_ERROR_CODE 0x0009
#define SANSRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define SANSRTC_STUN_ATTR_CHANNEL_NUMBER 0x000C
#define SANSRTC_STUN_ATTR_LIFETIME 0x000D
#define SANSRTC_STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define SANSRTC_STUN_ATTR_DATA 0x0013
#define SANSRTC_STUN_ATTR_REALM 0x0014
#define SANSRTC_STUN_ATTR_NONCE 0x0015
#define SANSRTC_STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define SANSRTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY 0x0017
#define SANSRTC_STUN_ATTR_EVEN_PORT 0x0018
#define SANSRTC_STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define SANSRTC_STUN_ATTR_DONT_FRAGMENT 0x001A
#define SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define SANSRTC_STUN_ATTR_PASSWORD_ALGORITHM 0x001D
#define SANSRTC_STUN_ATTR_USERHASH 0x001E
#define SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define SANSRTC_STUN_ATTR_RESERVATION_TOKEN 0x0022
#define SANSRTC_STUN_ATTR_PRIORITY 0x0024
#define SANSRTC_STUN_ATTR_USE_CANDIDATE 0x0025
#define SANSRTC_STUN_ATTR_PASSWORD_ALGORITHMS 0x8002
#define SANSRTC_STUN_ATTR_ALTERNATE_DOMAIN 0x8003
#define SANSRTC_STUN_ATTR_SOFTWARE 0x8022
#define SANSRTC_STUN_ATTR_ALTERNATE_SERVER 0x8023
#define SANSRTC_STUN_ATTR_FINGERPRINT 0x8028
#define SANSRTC_STUN_ATTR_ICE_CONTROLLED 0x8029
#define SANSRTC_STUN_ATTR_ICE_CONTROLLING 0x802A

/* Error codes used by ICE and TURN. */
#define SANSRTC_STUN_ERR_TRY_ALTERNATE 300
#define SANSRTC_STUN_ERR_BAD_REQUEST 400
#define SANSRTC_STUN_ERR_UNAUTHORIZED 401
#define SANSRTC_STUN_ERR_UNKNOWN_ATTRIBUTE 420
#define SANSRTC_STUN_ERR_STALE_NONCE 438
#define SANSRTC_STUN_ERR_ROLE_CONFLICT 487
#define SANSRTC_STUN_ERR_SERVER_ERROR 500

/* Most unknown comprehension-required attributes one message reports. */
#define SANSRTC_STUN_MAX_UNKNOWN 8

/* A (pointer, length) view into the decoded buffer; not NUL-terminated. */
typedef struct sansrtc_stun_bytes {
  const uint8_t *data;
  size_t len;
} sansrtc_stun_bytes;

/*
 * A decoded message. Every field is valid only while the buffer given to
 * sansrtc_stun_decode is. `present` has bit (1u << SANSRTC_STUN_HAS_x) set
 * for each known attribute found (first occurrence wins, as RFC 8489 says).
 */
enum {
  SANSRTC_STUN_HAS_MAPPED_ADDRESS = 0,
  SANSRTC_STUN_HAS_XOR_MAPPED_ADDRESS,
  SANSRTC_STUN_HAS_USERNAME,
  SANSRTC_STUN_HAS_MESSAGE_INTEGRITY,
  SANSRTC_STUN_HAS_MESSAGE_INTEGRITY_SHA256,
  SANSRTC_STUN_HAS_FINGERPRINT,
  SANSRTC_STUN_HAS_ERROR_CODE,
  SANSRTC_STUN_HAS_UNKNOWN_ATTRIBUTES,
  SANSRTC_STUN_HAS_SOFTWARE,
  SANSRTC_STUN_HAS_PRIORITY,
  SANSRTC_STUN_HAS_USE_CANDIDATE,
  SANSRTC_STUN_HAS_ICE_CONTROLLED,
  SANSRTC_STUN_HAS_ICE_CONTROLLING,
  SANSRTC_STUN_HAS_REALM,
  SANSRTC_STUN_HAS_NONCE,
  SANSRTC_STUN_HAS_LIFETIME,
  SANSRTC_STUN_HAS_XOR_PEER_ADDRESS,
  SANSRTC_STUN_HAS_XOR_RELAYED_ADDRESS,
  SANSRTC_STUN_HAS_DATA,
  SANSRTC_STUN_HAS_CHANNEL_NUMBER,
  SANSRTC_STUN_HAS_REQUESTED_TRANSPORT
};

typedef struct sansrtc_stun_msg {
  uint16_t method;          /* e.g. SANSRTC_STUN_BINDING */
  sansrtc_stun_class klass; /* request, indication, success or error */
  uint8_t txid[SANSRTC_STUN_TXID_SIZE];
  const uint8_t *raw; /* the whole message as given to decode */
  size_t raw_len;     /* 20 + the header's length field */
  uint32_t present;   /* SANSRTC_STUN_HAS_* bits */

  sansrtc_addr mapped_address;
  sansrtc_addr xor_mapped_address; /* already un-XORed */
  sansrtc_addr xor_peer_address;
  sansrtc_addr xor_relayed_address;
  sansrtc_stun_bytes username;
  sansrtc_stun_bytes software;
  sansrtc_stun_bytes realm;
  sansrtc_stun_bytes nonce;
  sansrtc_stun_bytes data;
  uint16_t error_code;          /* 300..699 */
  sansrtc_stun_bytes error_reason;
  uint32_t priority;
  uint64_t ice_controlled;      /* tie-breaker */
  uint64_t ice_controlling;     /* tie-breaker */
  uint32_t lifetime;
  uint16_t channel_number;
  uint8_t requested_transport;  /* protocol number, e.g. 17 for UDP */
  uint32_t fingerprint;         /* the value carried, as sent */

  /* Offsets from `raw` of the MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT
   * attribute headers, or 0 when absent. */
  size_t integrity_offset;
  size_t integrity_sha256_offset;
  size_t fingerprint_offset;

  /* UNKNOWN-ATTRIBUTES carried by an error response (types as sent). */
  uint16_t unknown_attributes[SANSRTC_STUN_MAX_UNKNOWN];
  size_t unknown_attributes_count;

  /* Comprehension-required (type < 0x8000) attributes this decoder does
   * not know, found in the message: a server answers 420 with these. */
  uint16_t unknown_required[SANSRTC_STUN_MAX_UNKNOWN];
  size_t unknown_required_count;
} sansrtc_stun_msg;

/*
 * Returns 1 when `data` looks like a STUN message by its first bytes (top two
 * bits zero, magic cookie, length a multiple of 4 matching len - 20), else 0.
 * This is the RFC 7983 demultiplexing test plus the cookie; cheap, no parse.
 */
SANSRTC_API int sansrtc_stun_is_stun(const uint8_t *data, size_t len);

/*
 * Decodes one STUN message from `data`/`len` into `msg`. Attributes after
 * MESSAGE-INTEGRITY are ignored except FINGERPRINT; nothing may follow
 * FINGERPRINT. Does not verify integrity or fingerprint (see below).
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL msg, or NULL data
 * with len > 0); SANSRTC_ERR_NOT_STUN (not a STUN header); or
 * SANSRTC_ERR_MALFORMED (bad length, truncated or malformed attribute).
 */
SANSRTC_API int sansrtc_stun_decode(sansrtc_stun_msg *msg, const uint8_t *data,
                                    size_t len);

/* Returns 1 when bit SANSRTC_STUN_HAS_`bit` is set in msg->present. */
static inline int sansrtc_stun_has(const sansrtc_stun_msg *msg, int bit) {
  return (msg->present >> bit) & 1u;
}

/*
 * Verifies MESSAGE-INTEGRITY (HMAC-SHA1) with `key`: for ICE and short-term
 * credentials the password bytes; for long-term credentials the output of
 * sansrtc_stun_long_term_key. The comparison is constant-time.
 * Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND (no MESSAGE-INTEGRITY),
 * SANSRTC_ERR_INTEGRITY (mismatch), SANSRTC_ERR_INVALID_ARGUMENT or
 * SANSRTC_ERR_CRYPTO.
 */
SANSRTC_API int sansrtc_stun_check_integrity(const sansrtc_stun_msg *msg,
                                             const uint8_t *key,
                                             size_t key_len);

/* Same for MESSAGE-INTEGRITY-SHA256 (RFC 8489), constant-time. The
 * attribute may be truncated to 16..32 bytes in multiples of 4. */
SANSRTC_API int sansrtc_stun_check_integrity_sha256(const sansrtc_stun_msg *msg,
                                                    const uint8_t *key,
                                                    size_t key_len);

/*
 * Verifies FINGERPRINT (CRC-32 of the message up to it, XOR 0x5354554E),
 * constant-time. Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND (absent) or
 * SANSRTC_ERR_FINGERPRINT.
 */
SANSRTC_API int sansrtc_stun_check_fingerprint(const sansrtc_stun_msg *msg);

/* Long-term credential key (RFC 8489 9.2.2): MD5(username ":" realm ":"
 * password) into `key` (16 bytes). Inputs are used as given (already
 * SASLprep'ed or OpaqueString-processed by the caller).
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT or SANSRTC_ERR_CRYPTO. */
SANSRTC_API int sansrtc_stun_long_term_key(uint8_t key[16],
                                           const char *username,
                                           const char *realm,
                                           const char *password);

/* CRC-32 (ISO-HDLC, as zlib and STUN use it) of `len` bytes. */
SANSRTC_API uint32_t sansrtc_crc32(const uint8_t *data, size_t len);

/*
 * Attribute iteration, for attributes this decoder does not decode itself.
 * Start with *offset = 0; each call yields the next attribute's type, value
 * and length and advances *offset. Returns 1 while an attribute was
 * produced, 0 at the end. `msg` must have been decoded successfully.
 */
SANSRTC_API int sansrtc_stun_next_attr(const sansrtc_stun_msg *msg,
                                       size_t *offset, uint16_t *type,
                                       sansrtc_stun_bytes *value);

/*
 * Encoder. Writes one message into a caller-owned buffer. Errors are sticky:
 * after the first failure every later call does nothing and
 * sansrtc_stun_writer_finish returns that error, so callers may chain adds
 * and check once. The writer holds no resources and needs no cleanup.
 */
typedef struct sansrtc_stun_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
} sansrtc_stun_writer;

/* Starts a message of `method`/`klass` with transaction id `txid` (12 bytes)
 * in buf/cap (cap >= 20, else the sticky error is BUFFER_TOO_SMALL). */
SANSRTC_API void sansrtc_stun_writer_init(sansrtc_stun_writer *w, uint8_t *buf,
                                          size_t cap, uint16_t method,
                                          sansrtc_stun_class klass,
                                          const uint8_t *txid);

/* Appends an attribute with an arbitrary value (padded to 4 bytes with
 * zeros). `len` must be <= 65531. */
SANSRTC_API void sansrtc_stun_writer_add(sansrtc_stun_writer *w, uint16_t type,
                                         const void *value, size_t len);

/* Typed helpers. */
SANSRTC_API void sansrtc_stun_writer_add_u32(sansrtc_stun_writer *w,
                                             uint16_t type, uint32_t value);
SANSRTC_API void sansrtc_stun_writer_add_u64(sansrtc_stun_writer *w,
                                             uint16_t type, uint64_t value);
SANSRTC_API void sansrtc_stun_writer_add_flag(sansrtc_stun_writer *w,
                                              uint16_t type);
SANSRTC_API void sansrtc_stun_writer_add_string(sansrtc_stun_writer *w,
                                                uint16_t type, const char *s);
/* MAPPED-ADDRESS form (not XORed). */
SANSRTC_API void sansrtc_stun_writer_add_addr(sansrtc_stun_writer *w,
                                              uint16_t type,
                                              const sansrtc_addr *addr);
/* XOR-MAPPED-ADDRESS form (XOR with the cookie and transaction id). */
SANSRTC_API void sansrtc_stun_writer_add_xor_addr(sansrtc_stun_writer *w,
                                                  uint16_t type,
                                                  const sansrtc_addr *addr);
/* ERROR-CODE with a reason phrase (NULL gives a standard phrase). */
SANSRTC_API void sansrtc_stun_writer_add_error(sansrtc_stun_writer *w,
                                               uint16_t code,
                                               const char *reason);
/* UNKNOWN-ATTRIBUTES listing `count` attribute types. */
SANSRTC_API void sansrtc_stun_writer_add_unknown(sansrtc_stun_writer *w,
                                                 const uint16_t *types,
                                                 size_t count);
/* MESSAGE-INTEGRITY (HMAC-SHA1 over everything so far) with `key`. */
SANSRTC_API void sansrtc_stun_writer_add_integrity(sansrtc_stun_writer *w,
                                                   const uint8_t *key,
                                                   size_t key_len);
/* MESSAGE-INTEGRITY-SHA256 (full 32 bytes). */
SANSRTC_API void sansrtc_stun_writer_add_integrity_sha256(
    sansrtc_stun_writer *w, const uint8_t *key, size_t key_len);
/* FINGERPRINT; must be the last attribute. */
SANSRTC_API void sansrtc_stun_writer_add_fingerprint(sansrtc_stun_writer *w);

/* Ends the message: returns SANSRTC_OK and the total length in *len, or the
 * first error met (SANSRTC_ERR_BUFFER_TOO_SMALL, SANSRTC_ERR_INVALID_ARGUMENT,
 * SANSRTC_ERR_CRYPTO). */
SANSRTC_API int sansrtc_stun_writer_finish(const sansrtc_stun_writer *w,
                                           size_t *len);

/* Static English name of a method/class pair for logs, e.g. "Binding
 * request". */
SANSRTC_API const char *sansrtc_stun_describe(uint16_t method,
                                              sansrtc_stun_class klass);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_STUN_H */
