/*
 * stun.c - STUN message decoding, verification and encoding (RFC 8489).
 *
 * The decoder walks the attribute list once, validating every length before
 * reading, and records views into the caller's buffer. HMACs are computed
 * from parts with EVP digests so that verification never copies a message.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <sansrtc/stun.h>

#include "internal.h"

#define FINGERPRINT_XOR 0x5354554Eu
#define SHA1_SIZE 20
#define SHA256_SIZE 32
#define HMAC_BLOCK 64 /* SHA-1 and SHA-256 block size */
#define MAX_ATTR_VALUE 65531u
#define MAX_BODY 65532u /* largest multiple of 4 a 16-bit length holds */

static size_t pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

/* ------------------------------------------------------------------------ */
/* CRC-32 and HMAC                                                          */
/* ------------------------------------------------------------------------ */

uint32_t sansrtc_crc32(const uint8_t *data, size_t len) {
  /* Half-byte table for the reflected polynomial 0xEDB88320. */
  static const uint32_t table[16] = {
      0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
      0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
      0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
      0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    crc = (crc >> 4) ^ table[crc & 0xFu];
    crc = (crc >> 4) ^ table[crc & 0xFu];
  }
  return crc ^ 0xFFFFFFFFu;
}

/* A piece of the HMAC input; messages are hashed as header + body parts. */
typedef struct stun_part {
  const uint8_t *data;
  size_t len;
} stun_part;

static int digest_parts(EVP_MD_CTX *ctx, const EVP_MD *md,
                        const stun_part *parts, size_t count, uint8_t *out) {
  if (EVP_DigestInit_ex(ctx, md, NULL) != 1) return SANSRTC_ERR_CRYPTO;
  for (size_t i = 0; i < count; i++) {
    if (parts[i].len > 0 &&
        EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1)
      return SANSRTC_ERR_CRYPTO;
  }
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, out, &n) != 1) return SANSRTC_ERR_CRYPTO;
  return SANSRTC_OK;
}

/* HMAC (RFC 2104) of the concatenated parts; `out` gets EVP_MD_size bytes. */
static int hmac_parts(const EVP_MD *md, const uint8_t *key, size_t key_len,
                      const stun_part *parts, size_t count, uint8_t *out) {
  uint8_t block[HMAC_BLOCK] = {0};
  uint8_t inner[SHA256_SIZE];
  int rc = SANSRTC_ERR_CRYPTO;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL) return SANSRTC_ERR_CRYPTO;
  if (key_len > HMAC_BLOCK) {
    stun_part k = {key, key_len};
    if ((rc = digest_parts(ctx, md, &k, 1, block)) != SANSRTC_OK) goto done;
  } else if (key_len > 0) {
    memcpy(block, key, key_len);
  }
  uint8_t pad[HMAC_BLOCK];
  for (size_t i = 0; i < HMAC_BLOCK; i++) pad[i] = block[i] ^ 0x36u;
  if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
      EVP_DigestUpdate(ctx, pad, sizeof pad) != 1)
    goto done;
  for (size_t i = 0; i < count; i++) {
    if (parts[i].len > 0 &&
        EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1)
      goto done;
  }
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, inner, &n) != 1) goto done;
  for (size_t i = 0; i < HMAC_BLOCK; i++) pad[i] = block[i] ^ 0x5cu;
  stun_part outer[2] = {{pad, sizeof pad}, {inner, n}};
  rc = digest_parts(ctx, md, outer, 2, out);
done:
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  EVP_MD_CTX_free(ctx);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */
/* ------------------------------------------------------------------------ */

static uint16_t method_of(uint16_t type) {
  return (uint16_t)((type & 0x000Fu) | ((type >> 1) & 0x0070u) |
                    ((type >> 2) & 0x0F80u));
}

static sansrtc_stun_class class_of(uint16_t type) {
  return (sansrtc_stun_class)(((type >> 4) & 1u) | ((type >> 7) & 2u));
}

static uint16_t type_of(uint16_t method, sansrtc_stun_class klass) {
  unsigned m = method, c = (unsigned)klass;
  return (uint16_t)((m & 0x000Fu) | ((m & 0x0070u) << 1) |
                    ((m & 0x0F80u) << 2) | ((c & 1u) << 4) | ((c & 2u) << 7));
}

int sansrtc_stun_is_stun(const uint8_t *data, size_t len) {
  if (data == NULL || len < SANSRTC_STUN_HEADER_SIZE) return 0;
  if ((data[0] & 0xC0u) != 0) return 0;
  if (rd32(data + 4) != SANSRTC_STUN_MAGIC_COOKIE) return 0;
  size_t body = rd16(data + 2);
  return (body & 3u) == 0 && body + SANSRTC_STUN_HEADER_SIZE == len;
}

static int decode_addr(sansrtc_addr *out, const uint8_t *v, size_t len,
                       const uint8_t *xor_key) {
  if (len < 4) return SANSRTC_ERR_MALFORMED;
  size_t ip_len;
  if (v[1] == 0x01) {
    ip_len = 4;
  } else if (v[1] == 0x02) {
    ip_len = 16;
  } else {
    return SANSRTC_ERR_MALFORMED;
  }
  if (len != 4 + ip_len) return SANSRTC_ERR_MALFORMED;
  memset(out, 0, sizeof *out);
  out->family = ip_len == 4 ? SANSRTC_AF_IPV4 : SANSRTC_AF_IPV6;
  out->port = rd16(v + 2);
  memcpy(out->ip, v + 4, ip_len);
  if (xor_key != NULL) {
    out->port ^= (uint16_t)(SANSRTC_STUN_MAGIC_COOKIE >> 16);
    for (size_t i = 0; i < ip_len; i++) out->ip[i] ^= xor_key[i];
  }
  return SANSRTC_OK;
}

static int decode_error_code(sansrtc_stun_msg *m, const uint8_t *v,
                             size_t len) {
  if (len < 4) return SANSRTC_ERR_MALFORMED;
  unsigned klass = v[2] & 0x07u, number = v[3];
  if (klass < 3 || klass > 6 || number > 99) return SANSRTC_ERR_MALFORMED;
  m->error_code = (uint16_t)(klass * 100u + number);
  m->error_reason.data = v + 4;
  m->error_reason.len = len - 4;
  return SANSRTC_OK;
}

static int decode_unknown_list(sansrtc_stun_msg *m, const uint8_t *v,
                               size_t len) {
  if (len % 2 != 0) return SANSRTC_ERR_MALFORMED;
  for (size_t i = 0; i + 1 < len; i += 2) {
    if (m->unknown_attributes_count == SANSRTC_STUN_MAX_UNKNOWN) break;
    m->unknown_attributes[m->unknown_attributes_count++] = rd16(v + i);
  }
  return SANSRTC_OK;
}

static void set_bytes(sansrtc_stun_bytes *b, const uint8_t *v, size_t len) {
  b->data = v;
  b->len = len;
}

static int need_len(size_t len, size_t want) {
  return len == want ? SANSRTC_OK : SANSRTC_ERR_MALFORMED;
}

/* Maps an attribute type to its SANSRTC_STUN_HAS_* bit, or -1. */
static int has_bit_of(uint16_t type) {
  switch (type) {
  case SANSRTC_STUN_ATTR_MAPPED_ADDRESS: return SANSRTC_STUN_HAS_MAPPED_ADDRESS;
  case SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
    return SANSRTC_STUN_HAS_XOR_MAPPED_ADDRESS;
  case SANSRTC_STUN_ATTR_USERNAME: return SANSRTC_STUN_HAS_USERNAME;
  case SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY:
    return SANSRTC_STUN_HAS_MESSAGE_INTEGRITY;
  case SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    return SANSRTC_STUN_HAS_MESSAGE_INTEGRITY_SHA256;
  case SANSRTC_STUN_ATTR_FINGERPRINT: return SANSRTC_STUN_HAS_FINGERPRINT;
  case SANSRTC_STUN_ATTR_ERROR_CODE: return SANSRTC_STUN_HAS_ERROR_CODE;
  case SANSRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    return SANSRTC_STUN_HAS_UNKNOWN_ATTRIBUTES;
  case SANSRTC_STUN_ATTR_SOFTWARE: return SANSRTC_STUN_HAS_SOFTWARE;
  case SANSRTC_STUN_ATTR_PRIORITY: return SANSRTC_STUN_HAS_PRIORITY;
  case SANSRTC_STUN_ATTR_USE_CANDIDATE: return SANSRTC_STUN_HAS_USE_CANDIDATE;
  case SANSRTC_STUN_ATTR_ICE_CONTROLLED: return SANSRTC_STUN_HAS_ICE_CONTROLLED;
  case SANSRTC_STUN_ATTR_ICE_CONTROLLING:
    return SANSRTC_STUN_HAS_ICE_CONTROLLING;
  case SANSRTC_STUN_ATTR_REALM: return SANSRTC_STUN_HAS_REALM;
  case SANSRTC_STUN_ATTR_NONCE: return SANSRTC_STUN_HAS_NONCE;
  case SANSRTC_STUN_ATTR_LIFETIME: return SANSRTC_STUN_HAS_LIFETIME;
  case SANSRTC_STUN_ATTR_XOR_PEER_ADDRESS:
    return SANSRTC_STUN_HAS_XOR_PEER_ADDRESS;
  case SANSRTC_STUN_ATTR_XOR_RELAYED_ADDRESS:
    return SANSRTC_STUN_HAS_XOR_RELAYED_ADDRESS;
  case SANSRTC_STUN_ATTR_DATA: return SANSRTC_STUN_HAS_DATA;
  case SANSRTC_STUN_ATTR_CHANNEL_NUMBER: return SANSRTC_STUN_HAS_CHANNEL_NUMBER;
  case SANSRTC_STUN_ATTR_REQUESTED_TRANSPORT:
    return SANSRTC_STUN_HAS_REQUESTED_TRANSPORT;
  default: return -1;
  }
}

/* Decodes the value of a known attribute (bit from has_bit_of). */
static int decode_known(sansrtc_stun_msg *m, int bit, const uint8_t *v,
                        size_t len, const uint8_t *xor_key) {
  switch (bit) {
  case SANSRTC_STUN_HAS_MAPPED_ADDRESS:
    return decode_addr(&m->mapped_address, v, len, NULL);
  case SANSRTC_STUN_HAS_XOR_MAPPED_ADDRESS:
    return decode_addr(&m->xor_mapped_address, v, len, xor_key);
  case SANSRTC_STUN_HAS_XOR_PEER_ADDRESS:
    return decode_addr(&m->xor_peer_address, v, len, xor_key);
  case SANSRTC_STUN_HAS_XOR_RELAYED_ADDRESS:
    return decode_addr(&m->xor_relayed_address, v, len, xor_key);
  case SANSRTC_STUN_HAS_USERNAME: set_bytes(&m->username, v, len); break;
  case SANSRTC_STUN_HAS_SOFTWARE: set_bytes(&m->software, v, len); break;
  case SANSRTC_STUN_HAS_REALM: set_bytes(&m->realm, v, len); break;
  case SANSRTC_STUN_HAS_NONCE: set_bytes(&m->nonce, v, len); break;
  case SANSRTC_STUN_HAS_DATA: set_bytes(&m->data, v, len); break;
  case SANSRTC_STUN_HAS_ERROR_CODE: return decode_error_code(m, v, len);
  case SANSRTC_STUN_HAS_UNKNOWN_ATTRIBUTES:
    return decode_unknown_list(m, v, len);
  case SANSRTC_STUN_HAS_PRIORITY:
    if (len != 4) return SANSRTC_ERR_MALFORMED;
    m->priority = rd32(v);
    break;
  case SANSRTC_STUN_HAS_LIFETIME:
    if (len != 4) return SANSRTC_ERR_MALFORMED;
    m->lifetime = rd32(v);
    break;
  case SANSRTC_STUN_HAS_CHANNEL_NUMBER:
    if (len != 4) return SANSRTC_ERR_MALFORMED;
    m->channel_number = rd16(v);
    break;
  case SANSRTC_STUN_HAS_REQUESTED_TRANSPORT:
    if (len != 4) return SANSRTC_ERR_MALFORMED;
    m->requested_transport = v[0];
    break;
  case SANSRTC_STUN_HAS_ICE_CONTROLLED:
    if (len != 8) return SANSRTC_ERR_MALFORMED;
    m->ice_controlled = rd64(v);
    break;
  case SANSRTC_STUN_HAS_ICE_CONTROLLING:
    if (len != 8) return SANSRTC_ERR_MALFORMED;
    m->ice_controlling = rd64(v);
    break;
  case SANSRTC_STUN_HAS_USE_CANDIDATE: return need_len(len, 0);
  default: break; /* integrity and fingerprint: handled by the caller */
  }
  return SANSRTC_OK;
}

/* Where the walk is relative to the integrity and fingerprint attributes,
 * which decide which later attributes count (RFC 8489 14.5, 14.6, 14.7). */
typedef enum walk_phase {
  PHASE_BODY,        /* before any integrity attribute */
  PHASE_AFTER_MI,    /* after MESSAGE-INTEGRITY: only MI-SHA256, FINGERPRINT */
  PHASE_AFTER_MI256, /* after MESSAGE-INTEGRITY-SHA256: only FINGERPRINT */
  PHASE_AFTER_FP     /* after FINGERPRINT: nothing */
} walk_phase;

static int decode_trailer(sansrtc_stun_msg *m, walk_phase *phase,
                          uint16_t type, size_t off, const uint8_t *v,
                          size_t len) {
  if (type == SANSRTC_STUN_ATTR_FINGERPRINT) {
    if (len != 4) return SANSRTC_ERR_MALFORMED;
    m->fingerprint = rd32(v);
    m->fingerprint_offset = off;
    m->present |= 1u << SANSRTC_STUN_HAS_FINGERPRINT;
    *phase = PHASE_AFTER_FP;
  } else if (type == SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY) {
    if (len != SHA1_SIZE) return SANSRTC_ERR_MALFORMED;
    m->integrity_offset = off;
    m->present |= 1u << SANSRTC_STUN_HAS_MESSAGE_INTEGRITY;
    *phase = PHASE_AFTER_MI;
  } else {
    if (len < 16 || len > SHA256_SIZE || len % 4 != 0)
      return SANSRTC_ERR_MALFORMED;
    m->integrity_sha256_offset = off;
    m->present |= 1u << SANSRTC_STUN_HAS_MESSAGE_INTEGRITY_SHA256;
    *phase = PHASE_AFTER_MI256;
  }
  return SANSRTC_OK;
}

static int decode_attribute(sansrtc_stun_msg *m, walk_phase *phase,
                            uint16_t type, size_t off, const uint8_t *v,
                            size_t len, const uint8_t *xor_key) {
  if (*phase == PHASE_AFTER_FP) return SANSRTC_ERR_MALFORMED;
  int trailer = type == SANSRTC_STUN_ATTR_FINGERPRINT ||
                (type == SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 &&
                 *phase < PHASE_AFTER_MI256) ||
                (type == SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY &&
                 *phase == PHASE_BODY);
  if (trailer) return decode_trailer(m, phase, type, off, v, len);
  if (*phase != PHASE_BODY) return SANSRTC_OK; /* ignored after integrity */
  int bit = has_bit_of(type);
  if (bit < 0) {
    if (type < 0x8000u &&
        m->unknown_required_count < SANSRTC_STUN_MAX_UNKNOWN)
      m->unknown_required[m->unknown_required_count++] = type;
    return SANSRTC_OK;
  }
  if (sansrtc_stun_has(m, bit)) return SANSRTC_OK; /* first one wins */
  int rc = decode_known(m, bit, v, len, xor_key);
  if (rc == SANSRTC_OK) m->present |= 1u << bit;
  return rc;
}

int sansrtc_stun_decode(sansrtc_stun_msg *msg, const uint8_t *data,
                        size_t len) {
  if (msg == NULL || (data == NULL && len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (len < SANSRTC_STUN_HEADER_SIZE || (data[0] & 0xC0u) != 0 ||
      rd32(data + 4) != SANSRTC_STUN_MAGIC_COOKIE)
    return SANSRTC_ERR_NOT_STUN;
  size_t body = rd16(data + 2);
  if ((body & 3u) != 0 || body + SANSRTC_STUN_HEADER_SIZE != len)
    return SANSRTC_ERR_MALFORMED;

  sansrtc_stun_msg m;
  memset(&m, 0, sizeof m);
  uint16_t type = rd16(data);
  m.method = method_of(type);
  m.klass = class_of(type);
  memcpy(m.txid, data + 8, SANSRTC_STUN_TXID_SIZE);
  m.raw = data;
  m.raw_len = len;
  const uint8_t *xor_key = data + 4; /* cookie then transaction id */

  walk_phase phase = PHASE_BODY;
  size_t off = SANSRTC_STUN_HEADER_SIZE;
  while (off < len) {
    if (len - off < 4) return SANSRTC_ERR_MALFORMED;
    uint16_t atype = rd16(data + off);
    size_t alen = rd16(data + off + 2);
    if (pad4(alen) > len - off - 4) return SANSRTC_ERR_MALFORMED;
    int rc = decode_attribute(&m, &phase, atype, off, data + off + 4, alen,
                              xor_key);
    if (rc != SANSRTC_OK) return rc;
    off += 4 + pad4(alen);
  }
  *msg = m;
  return SANSRTC_OK;
}

int sansrtc_stun_next_attr(const sansrtc_stun_msg *msg, size_t *offset,
                           uint16_t *type, sansrtc_stun_bytes *value) {
  if (msg == NULL || msg->raw == NULL || offset == NULL) return 0;
  size_t off = *offset < SANSRTC_STUN_HEADER_SIZE ? SANSRTC_STUN_HEADER_SIZE
                                                  : *offset;
  if (off >= msg->raw_len || msg->raw_len - off < 4) return 0;
  size_t alen = rd16(msg->raw + off + 2);
  if (pad4(alen) > msg->raw_len - off - 4) return 0;
  if (type != NULL) *type = rd16(msg->raw + off);
  if (value != NULL) set_bytes(value, msg->raw + off + 4, alen);
  *offset = off + 4 + pad4(alen);
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Verification                                                             */
/* ------------------------------------------------------------------------ */

/* HMAC over the message up to the attribute at `attr_off`, with the header
 * length field rewritten to end after that attribute (value `value_len`). */
static int message_hmac(const sansrtc_stun_msg *msg, const EVP_MD *md,
                        size_t attr_off, size_t value_len, const uint8_t *key,
                        size_t key_len, uint8_t *out) {
  uint8_t header[SANSRTC_STUN_HEADER_SIZE];
  memcpy(header, msg->raw, sizeof header);
  wr16(header + 2,
       (uint16_t)(attr_off + 4 + value_len - SANSRTC_STUN_HEADER_SIZE));
  stun_part parts[2] = {
      {header, sizeof header},
      {msg->raw + SANSRTC_STUN_HEADER_SIZE,
       attr_off - SANSRTC_STUN_HEADER_SIZE}};
  return hmac_parts(md, key, key_len, parts, 2, out);
}

static int check_mac(const sansrtc_stun_msg *msg, const EVP_MD *md,
                     size_t attr_off, const uint8_t *key, size_t key_len) {
  if (msg == NULL || msg->raw == NULL || (key == NULL && key_len > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (attr_off == 0) return SANSRTC_ERR_NOT_FOUND;
  size_t carried = rd16(msg->raw + attr_off + 2);
  uint8_t mac[SHA256_SIZE];
  int rc = message_hmac(msg, md, attr_off, carried, key, key_len, mac);
  if (rc != SANSRTC_OK) return rc;
  return CRYPTO_memcmp(mac, msg->raw + attr_off + 4, carried) == 0
             ? SANSRTC_OK
             : SANSRTC_ERR_INTEGRITY;
}

int sansrtc_stun_check_integrity(const sansrtc_stun_msg *msg,
                                 const uint8_t *key, size_t key_len) {
  if (msg == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  return check_mac(msg, EVP_sha1(), msg->integrity_offset, key, key_len);
}

int sansrtc_stun_check_integrity_sha256(const sansrtc_stun_msg *msg,
                                        const uint8_t *key, size_t key_len) {
  if (msg == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  return check_mac(msg, EVP_sha256(), msg->integrity_sha256_offset, key,
                   key_len);
}

int sansrtc_stun_check_fingerprint(const sansrtc_stun_msg *msg) {
  if (msg == NULL || msg->raw == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (msg->fingerprint_offset == 0) return SANSRTC_ERR_NOT_FOUND;
  /* FINGERPRINT is last, so the header length already ends after it. */
  uint32_t want = sansrtc_crc32(msg->raw, msg->fingerprint_offset) ^
                  FINGERPRINT_XOR;
  return ((want ^ msg->fingerprint) == 0) ? SANSRTC_OK
                                          : SANSRTC_ERR_FINGERPRINT;
}

int sansrtc_stun_long_term_key(uint8_t key[16], const char *username,
                               const char *realm, const char *password) {
  if (key == NULL || username == NULL || realm == NULL || password == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  const uint8_t colon = ':';
  stun_part parts[5] = {{(const uint8_t *)username, strlen(username)},
                        {&colon, 1},
                        {(const uint8_t *)realm, strlen(realm)},
                        {&colon, 1},
                        {(const uint8_t *)password, strlen(password)}};
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL) return SANSRTC_ERR_CRYPTO;
  int rc = digest_parts(ctx, EVP_md5(), parts, 5, key);
  EVP_MD_CTX_free(ctx);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                 */
/* ------------------------------------------------------------------------ */

static void writer_fail(sansrtc_stun_writer *w, int err) {
  if (w->err == SANSRTC_OK) w->err = err;
}

void sansrtc_stun_writer_init(sansrtc_stun_writer *w, uint8_t *buf,
                              size_t cap, uint16_t method,
                              sansrtc_stun_class klass, const uint8_t *txid) {
  if (w == NULL) return;
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->err = SANSRTC_OK;
  if (buf == NULL || txid == NULL || method > 0x0FFFu ||
      (unsigned)klass > SANSRTC_STUN_ERROR) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  if (cap < SANSRTC_STUN_HEADER_SIZE) {
    writer_fail(w, SANSRTC_ERR_BUFFER_TOO_SMALL);
    return;
  }
  wr16(buf, type_of(method, klass));
  wr16(buf + 2, 0);
  wr32(buf + 4, SANSRTC_STUN_MAGIC_COOKIE);
  memcpy(buf + 8, txid, SANSRTC_STUN_TXID_SIZE);
  w->len = SANSRTC_STUN_HEADER_SIZE;
}

/* Appends an attribute header for a `len`-byte value, zeroes its padding,
 * updates the header length and returns where the value goes (NULL on
 * error, recorded in w->err). */
static uint8_t *writer_reserve(sansrtc_stun_writer *w, uint16_t type,
                               size_t len) {
  if (w == NULL || w->err != SANSRTC_OK) return NULL;
  if (len > MAX_ATTR_VALUE) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return NULL;
  }
  size_t need = 4 + pad4(len);
  if (w->len - SANSRTC_STUN_HEADER_SIZE + need > MAX_BODY ||
      need > w->cap - w->len) {
    writer_fail(w, SANSRTC_ERR_BUFFER_TOO_SMALL);
    return NULL;
  }
  uint8_t *p = w->buf + w->len;
  wr16(p, type);
  wr16(p + 2, (uint16_t)len);
  memset(p + 4 + len, 0, pad4(len) - len);
  w->len += need;
  wr16(w->buf + 2, (uint16_t)(w->len - SANSRTC_STUN_HEADER_SIZE));
  return p + 4;
}

void sansrtc_stun_writer_add(sansrtc_stun_writer *w, uint16_t type,
                             const void *value, size_t len) {
  if (w != NULL && value == NULL && len > 0) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  uint8_t *p = writer_reserve(w, type, len);
  if (p != NULL && len > 0) memcpy(p, value, len);
}

void sansrtc_stun_writer_add_u32(sansrtc_stun_writer *w, uint16_t type,
                                 uint32_t value) {
  uint8_t *p = writer_reserve(w, type, 4);
  if (p != NULL) wr32(p, value);
}

void sansrtc_stun_writer_add_u64(sansrtc_stun_writer *w, uint16_t type,
                                 uint64_t value) {
  uint8_t *p = writer_reserve(w, type, 8);
  if (p != NULL) wr64(p, value);
}

void sansrtc_stun_writer_add_flag(sansrtc_stun_writer *w, uint16_t type) {
  (void)writer_reserve(w, type, 0);
}

void sansrtc_stun_writer_add_string(sansrtc_stun_writer *w, uint16_t type,
                                    const char *s) {
  if (w != NULL && s == NULL) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  sansrtc_stun_writer_add(w, type, s, s != NULL ? strlen(s) : 0);
}

static void writer_add_address(sansrtc_stun_writer *w, uint16_t type,
                               const sansrtc_addr *addr, int xored) {
  if (w == NULL) return;
  if (addr == NULL ||
      (addr->family != SANSRTC_AF_IPV4 && addr->family != SANSRTC_AF_IPV6)) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  size_t ip_len = addr->family == SANSRTC_AF_IPV4 ? 4 : 16;
  uint8_t *p = writer_reserve(w, type, 4 + ip_len);
  if (p == NULL) return;
  p[0] = 0;
  p[1] = ip_len == 4 ? 0x01 : 0x02;
  uint16_t port = addr->port;
  if (xored) port ^= (uint16_t)(SANSRTC_STUN_MAGIC_COOKIE >> 16);
  wr16(p + 2, port);
  for (size_t i = 0; i < ip_len; i++)
    p[4 + i] = (uint8_t)(addr->ip[i] ^ (xored ? w->buf[4 + i] : 0u));
}

void sansrtc_stun_writer_add_addr(sansrtc_stun_writer *w, uint16_t type,
                                  const sansrtc_addr *addr) {
  writer_add_address(w, type, addr, 0);
}

void sansrtc_stun_writer_add_xor_addr(sansrtc_stun_writer *w, uint16_t type,
                                      const sansrtc_addr *addr) {
  writer_add_address(w, type, addr, 1);
}

static const char *standard_reason(uint16_t code) {
  switch (code) {
  case 300: return "Try Alternate";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 420: return "Unknown Attribute";
  case 437: return "Allocation Mismatch";
  case 438: return "Stale Nonce";
  case 440: return "Address Family not Supported";
  case 441: return "Wrong Credentials";
  case 442: return "Unsupported Transport Protocol";
  case 443: return "Peer Address Family Mismatch";
  case 486: return "Allocation Quota Reached";
  case 487: return "Role Conflict";
  case 500: return "Server Error";
  case 508: return "Insufficient Capacity";
  default: return "Error";
  }
}

void sansrtc_stun_writer_add_error(sansrtc_stun_writer *w, uint16_t code,
                                   const char *reason) {
  if (w == NULL) return;
  if (code < 300 || code > 699) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  if (reason == NULL) reason = standard_reason(code);
  size_t rlen = strlen(reason);
  if (rlen > 763) { /* RFC 8489 14.8: fewer than 128 characters, 763 bytes */
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  uint8_t *p = writer_reserve(w, SANSRTC_STUN_ATTR_ERROR_CODE, 4 + rlen);
  if (p == NULL) return;
  p[0] = 0;
  p[1] = 0;
  p[2] = (uint8_t)(code / 100u);
  p[3] = (uint8_t)(code % 100u);
  memcpy(p + 4, reason, rlen);
}

void sansrtc_stun_writer_add_unknown(sansrtc_stun_writer *w,
                                     const uint16_t *types, size_t count) {
  if (w == NULL) return;
  if ((types == NULL && count > 0) || count > MAX_ATTR_VALUE / 2) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  uint8_t *p =
      writer_reserve(w, SANSRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, count * 2);
  if (p == NULL) return;
  for (size_t i = 0; i < count; i++) wr16(p + 2 * i, types[i]);
}

static void writer_add_mac(sansrtc_stun_writer *w, uint16_t type,
                           const EVP_MD *md, size_t mac_len,
                           const uint8_t *key, size_t key_len) {
  if (w == NULL) return;
  if (key == NULL && key_len > 0) {
    writer_fail(w, SANSRTC_ERR_INVALID_ARGUMENT);
    return;
  }
  size_t attr_off = w->len;
  uint8_t *p = writer_reserve(w, type, mac_len);
  if (p == NULL) return;
  /* The header length already counts this attribute, as the MAC needs. */
  stun_part part = {w->buf, attr_off};
  int rc = hmac_parts(md, key, key_len, &part, 1, p);
  if (rc != SANSRTC_OK) writer_fail(w, rc);
}

void sansrtc_stun_writer_add_integrity(sansrtc_stun_writer *w,
                                       const uint8_t *key, size_t key_len) {
  writer_add_mac(w, SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY, EVP_sha1(),
                 SHA1_SIZE, key, key_len);
}

void sansrtc_stun_writer_add_integrity_sha256(sansrtc_stun_writer *w,
                                              const uint8_t *key,
                                              size_t key_len) {
  writer_add_mac(w, SANSRTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, EVP_sha256(),
                 SHA256_SIZE, key, key_len);
}

void sansrtc_stun_writer_add_fingerprint(sansrtc_stun_writer *w) {
  if (w == NULL) return;
  size_t attr_off = w->len;
  uint8_t *p = writer_reserve(w, SANSRTC_STUN_ATTR_FINGERPRINT, 4);
  if (p != NULL) wr32(p, sansrtc_crc32(w->buf, attr_off) ^ FINGERPRINT_XOR);
}

int sansrtc_stun_writer_finish(const sansrtc_stun_writer *w, size_t *len) {
  if (w == NULL || len == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (w->err != SANSRTC_OK) return w->err;
  *len = w->len;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

const char *sansrtc_stun_describe(uint16_t method, sansrtc_stun_class klass) {
  static const char *const names[][4] = {
      {"Binding request", "Binding indication", "Binding success response",
       "Binding error response"},
      {"Allocate request", "Allocate indication", "Allocate success response",
       "Allocate error response"},
      {"Refresh request", "Refresh indication", "Refresh success response",
       "Refresh error response"},
      {"Send request", "Send indication", "Send success response",
       "Send error response"},
      {"Data request", "Data indication", "Data success response",
       "Data error response"},
      {"CreatePermission request", "CreatePermission indication",
       "CreatePermission success response", "CreatePermission error response"},
      {"ChannelBind request", "ChannelBind indication",
       "ChannelBind success response", "ChannelBind error response"}};
  static const uint16_t methods[] = {
      SANSRTC_STUN_BINDING, SANSRTC_STUN_ALLOCATE,
      SANSRTC_STUN_REFRESH, SANSRTC_STUN_SEND,
      SANSRTC_STUN_DATA,    SANSRTC_STUN_CREATE_PERMISSION,
      SANSRTC_STUN_CHANNEL_BIND};
  if ((unsigned)klass > SANSRTC_STUN_ERROR) return "unknown STUN class";
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    if (methods[i] == method) return names[i][klass];
  }
  return "unknown STUN method";
}
