/*
 * common.c - error strings, version and transport-address helpers.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sansrtc/common.h>

const char *sansrtc_version(void) { return SANSRTC_VERSION_STRING; }

const char *sansrtc_strerror(int err) {
  switch ((sansrtc_error)err) {
  case SANSRTC_OK: return "success";
  case SANSRTC_ERR_INVALID_ARGUMENT: return "invalid argument";
  case SANSRTC_ERR_NOMEM: return "out of memory";
  case SANSRTC_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
  case SANSRTC_ERR_MALFORMED: return "malformed input";
  case SANSRTC_ERR_INTEGRITY: return "integrity check failed";
  case SANSRTC_ERR_FINGERPRINT: return "fingerprint check failed";
  case SANSRTC_ERR_INVALID_STATE: return "operation not allowed in this state";
  case SANSRTC_ERR_NOT_FOUND: return "not found";
  case SANSRTC_ERR_UNSUPPORTED: return "unsupported";
  case SANSRTC_ERR_LIMIT: return "configured limit reached";
  case SANSRTC_ERR_AUTH: return "authentication failed";
  case SANSRTC_ERR_CRYPTO: return "cryptographic library failure";
  case SANSRTC_ERR_NOT_STUN: return "not a STUN message";
  case SANSRTC_ERR_TIMEOUT: return "timed out";
  case SANSRTC_ERR_SYSTEM: return "operating system call failed";
  case SANSRTC_ERR_REPLAY: return "replayed or too old packet";
  }
  return "unknown error";
}

int sansrtc_addr_parse(sansrtc_addr *out, const char *text, uint16_t port) {
  if (out == NULL || text == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_addr a;
  memset(&a, 0, sizeof a);
  a.port = port;
  if (inet_pton(AF_INET, text, a.ip) == 1) {
    a.family = SANSRTC_AF_IPV4;
  } else if (inet_pton(AF_INET6, text, a.ip) == 1) {
    a.family = SANSRTC_AF_IPV6;
  } else {
    return SANSRTC_ERR_MALFORMED;
  }
  *out = a;
  return SANSRTC_OK;
}

char *sansrtc_addr_format_ip(const sansrtc_addr *addr, char *buf, size_t len) {
  char tmp[INET6_ADDRSTRLEN];
  const char *ip = "-";
  if (addr != NULL && addr->family == SANSRTC_AF_IPV4)
    ip = inet_ntop(AF_INET, addr->ip, tmp, sizeof tmp);
  else if (addr != NULL && addr->family == SANSRTC_AF_IPV6)
    ip = inet_ntop(AF_INET6, addr->ip, tmp, sizeof tmp);
  snprintf(buf, len, "%s", ip != NULL ? ip : "-");
  return buf;
}

char *sansrtc_addr_format(const sansrtc_addr *addr, char *buf, size_t len) {
  char ip[INET6_ADDRSTRLEN];
  if (addr == NULL || (addr->family != SANSRTC_AF_IPV4 &&
                       addr->family != SANSRTC_AF_IPV6)) {
    snprintf(buf, len, "-");
    return buf;
  }
  sansrtc_addr_format_ip(addr, ip, sizeof ip);
  if (addr->family == SANSRTC_AF_IPV6)
    snprintf(buf, len, "[%s]:%u", ip, (unsigned)addr->port);
  else
    snprintf(buf, len, "%s:%u", ip, (unsigned)addr->port);
  return buf;
}

static size_t addr_ip_len(const sansrtc_addr *a) {
  return a->family == SANSRTC_AF_IPV6 ? 16 : 4;
}

int sansrtc_addr_equal_ip(const sansrtc_addr *a, const sansrtc_addr *b) {
  if (a == NULL || b == NULL || a->family != b->family) return 0;
  if (a->family == SANSRTC_AF_NONE) return 1;
  return memcmp(a->ip, b->ip, addr_ip_len(a)) == 0;
}

int sansrtc_addr_equal(const sansrtc_addr *a, const sansrtc_addr *b) {
  return sansrtc_addr_equal_ip(a, b) && a->port == b->port;
}

sansrtc_packet_kind sansrtc_packet_classify(const uint8_t *data, size_t len) {
  if (data == NULL || len == 0) return SANSRTC_PACKET_UNKNOWN;
  uint8_t b = data[0];
  if (b <= 3) return len >= 20 ? SANSRTC_PACKET_STUN : SANSRTC_PACKET_UNKNOWN;
  if (b >= 16 && b <= 19) return SANSRTC_PACKET_ZRTP;
  if (b >= 20 && b <= 63)
    return len >= 13 ? SANSRTC_PACKET_DTLS : SANSRTC_PACKET_UNKNOWN;
  if (b >= 64 && b <= 79)
    return len >= 4 ? SANSRTC_PACKET_TURN_CHANNEL : SANSRTC_PACKET_UNKNOWN;
  if (b >= 128 && b <= 191 && len >= 2) {
    if (data[1] >= 192 && data[1] <= 223)
      return len >= 8 ? SANSRTC_PACKET_RTCP : SANSRTC_PACKET_UNKNOWN;
    return len >= 12 ? SANSRTC_PACKET_RTP : SANSRTC_PACKET_UNKNOWN;
  }
  return SANSRTC_PACKET_UNKNOWN;
}
