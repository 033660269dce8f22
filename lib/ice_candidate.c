/*
 * ice_candidate.c - RFC 8839 candidate lines: parsing and formatting of the
 * SDP "candidate" attribute, and the RFC 8445 candidate priority formula.
 * Pure functions: no global state, no allocation.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sansrtc/ice.h>

#include "internal.h"

/* Longest input line accepted, prefix and CR/LF included. */
#define CANDIDATE_LINE_MAX 4096

#define COMPONENT_MAX 256u
#define COMPONENT_DIGITS 3
#define PRIORITY_DIGITS 10
#define PORT_DIGITS 5

/* ------------------------------------------------------------------------ */
/* Character classes                                                        */
/* ------------------------------------------------------------------------ */

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839). */
static int is_ice_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

/* token-char of RFC 8866: visible ASCII except the separators. */
static int is_token_char(char c) {
  unsigned char u = (unsigned char)c;
  if (u < 0x21 || u > 0x7e) return 0;
  return u != 0x22 && u != 0x28 && u != 0x29 && u != 0x2c && u != 0x2f &&
         !(u >= 0x3a && u <= 0x40) && u != 0x5b && u != 0x5c && u != 0x5d;
}

static int is_hostname_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.';
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int is_line_end(char c) { return c == '\r' || c == '\n'; }

static char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                   */
/* ------------------------------------------------------------------------ */

/* A run of non-blank characters inside the line (not NUL-terminated). */
typedef struct cand_token {
  const char *p;
  size_t n;
} cand_token;

/* The unread rest of the line, [cur, end). */
typedef struct cand_lexer {
  const char *cur;
  const char *end;
} cand_lexer;

/* Takes the next blank-separated token; returns 0 at the end of the line. */
static int next_token(cand_lexer *lx, cand_token *t) {
  while (lx->cur < lx->end && is_space(*lx->cur)) lx->cur++;
  if (lx->cur == lx->end) return 0;
  t->p = lx->cur;
  while (lx->cur < lx->end && !is_space(*lx->cur)) lx->cur++;
  t->n = (size_t)(lx->cur - t->p);
  return 1;
}

/* Case-insensitive comparison of a token with a lowercase literal. */
static int token_is(const cand_token *t, const char *lit) {
  size_t n = strlen(lit);
  if (t->n != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (to_lower(t->p[i]) != lit[i]) return 0;
  return 1;
}

static int token_all(const cand_token *t, int (*pred)(char)) {
  for (size_t i = 0; i < t->n; i++)
    if (!pred(t->p[i])) return 0;
  return 1;
}

/* Decimal digits only (no sign, no blanks), at most `max_digits` of them,
 * value within [min, max]. */
static int token_to_uint(const cand_token *t, size_t max_digits, uint64_t min,
                         uint64_t max, uint64_t *out) {
  if (t->n == 0 || t->n > max_digits) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (!is_digit(t->p[i])) return 0;
    v = v * 10u + (uint64_t)(t->p[i] - '0');
  }
  if (v < min || v > max) return 0;
  *out = v;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                   */
/* ------------------------------------------------------------------------ */

static int parse_foundation(const cand_token *t, sansrtc_ice_candidate *c) {
  if (t->n < 1 || t->n > SANSRTC_ICE_FOUNDATION_MAX) return 0;
  if (!token_all(t, is_ice_char)) return 0;
  memcpy(c->foundation, t->p, t->n);
  c->foundation[t->n] = '\0';
  return 1;
}

static int parse_component(const cand_token *t, sansrtc_ice_candidate *c) {
  uint64_t v;
  if (!token_to_uint(t, COMPONENT_DIGITS, 1, COMPONENT_MAX, &v)) return 0;
  c->component = (uint16_t)v;
  return 1;
}

/* Returns SANSRTC_OK, SANSRTC_ERR_UNSUPPORTED for a well-formed transport
 * token other than UDP/TCP, or SANSRTC_ERR_MALFORMED. */
static int parse_transport(const cand_token *t, sansrtc_ice_candidate *c) {
  if (token_is(t, "udp")) {
    c->transport = SANSRTC_ICE_TRANSPORT_UDP;
    return SANSRTC_OK;
  }
  if (token_is(t, "tcp")) {
    c->transport = SANSRTC_ICE_TRANSPORT_TCP;
    return SANSRTC_OK;
  }
  return token_all(t, is_token_char) ? SANSRTC_ERR_UNSUPPORTED
                                     : SANSRTC_ERR_MALFORMED;
}

static int parse_priority(const cand_token *t, sansrtc_ice_candidate *c) {
  uint64_t v;
  if (!token_to_uint(t, PRIORITY_DIGITS, 1, UINT32_MAX, &v)) return 0;
  c->priority = (uint32_t)v;
  return 1;
}

static int parse_port(const cand_token *t, uint16_t *port) {
  uint64_t v;
  if (!token_to_uint(t, PORT_DIGITS, 0, UINT16_MAX, &v)) return 0;
  *port = (uint16_t)v;
  return 1;
}

/* 1..253 letters, digits, '-' and '.', not starting with '-' or '.'. */
static int valid_hostname(const char *s, size_t n) {
  if (n < 1 || n > SANSRTC_ICE_HOSTNAME_MAX) return 0;
  if (s[0] == '-' || s[0] == '.') return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_hostname_char(s[i])) return 0;
  return 1;
}

/* A numeric IPv4/IPv6 address (no brackets) into `addr`; port left 0. */
static int parse_ip(const cand_token *t, sansrtc_addr *addr) {
  char text[SANSRTC_ADDR_STRLEN];
  if (t->n == 0 || t->n >= sizeof text) return 0;
  memcpy(text, t->p, t->n);
  text[t->n] = '\0';
  return sansrtc_addr_parse(addr, text, 0) == SANSRTC_OK;
}

/* connection-address: a numeric IP, else a host name kept in `hostname`
 * with addr.family SANSRTC_AF_NONE. */
static int parse_connection_address(const cand_token *t,
                                    sansrtc_ice_candidate *c) {
  if (parse_ip(t, &c->addr)) return 1;
  if (!valid_hostname(t->p, t->n)) return 0;
  memset(&c->addr, 0, sizeof c->addr);
  memcpy(c->hostname, t->p, t->n);
  c->hostname[t->n] = '\0';
  return 1;
}

static int parse_type(const cand_token *t, sansrtc_ice_candidate *c) {
  static const sansrtc_ice_candidate_type types[] = {
      SANSRTC_ICE_CANDIDATE_HOST, SANSRTC_ICE_CANDIDATE_SRFLX,
      SANSRTC_ICE_CANDIDATE_PRFLX, SANSRTC_ICE_CANDIDATE_RELAY};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (token_is(t, sansrtc_ice_candidate_type_name(types[i]))) {
      c->type = types[i];
      return 1;
    }
  }
  return 0;
}

static int parse_tcptype(const cand_token *t, sansrtc_ice_candidate *c) {
  if (token_is(t, "active"))
    c->tcptype = SANSRTC_ICE_TCPTYPE_ACTIVE;
  else if (token_is(t, "passive"))
    c->tcptype = SANSRTC_ICE_TCPTYPE_PASSIVE;
  else if (token_is(t, "so"))
    c->tcptype = SANSRTC_ICE_TCPTYPE_SO;
  else
    return 0;
  return 1;
}

/*
 * Everything after "typ <type>": name/value pairs. raddr, rport and (for
 * TCP) tcptype are understood, each at most once; any other well-formed
 * name is skipped with its value. An rport without raddr is malformed: the
 * struct has no way to carry a port without an address.
 */
static int parse_attributes(cand_lexer *lx, sansrtc_ice_candidate *c,
                            int transport_known) {
  cand_token name, value;
  int have_raddr = 0, have_rport = 0, have_tcptype = 0;
  uint16_t rport = 0;
  while (next_token(lx, &name)) {
    if (!token_all(&name, is_token_char)) return 0;
    if (!next_token(lx, &value)) return 0;
    if (token_is(&name, "raddr")) {
      if (have_raddr++ || !parse_ip(&value, &c->related)) return 0;
    } else if (token_is(&name, "rport")) {
      if (have_rport++ || !parse_port(&value, &rport)) return 0;
    } else if (transport_known && c->transport == SANSRTC_ICE_TRANSPORT_TCP &&
               token_is(&name, "tcptype")) {
      if (have_tcptype++ || !parse_tcptype(&value, c)) return 0;
    }
    /* else: an extension attribute, skipped */
  }
  if (have_rport && !have_raddr) return 0;
  c->related.port = rport;
  return 1;
}

/* Finds the candidate value: skips an "a=candidate:" or "candidate:"
 * prefix and trailing CR/LF. Returns 0 for an over-long line or a CR/LF
 * inside it. */
static int locate_value(const char *line, cand_lexer *lx) {
  size_t n = 0;
  while (n <= CANDIDATE_LINE_MAX && line[n] != '\0') n++;
  if (n > CANDIDATE_LINE_MAX) return 0;
  while (n > 0 && is_line_end(line[n - 1])) n--;
  for (size_t i = 0; i < n; i++)
    if (is_line_end(line[i])) return 0;

  static const char *const prefixes[] = {"a=candidate:", "candidate:"};
  size_t skip = 0;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t plen = strlen(prefixes[i]);
    if (n >= plen && memcmp(line, prefixes[i], plen) == 0) {
      skip = plen;
      break;
    }
  }
  lx->cur = line + skip;
  lx->end = line + n;
  return 1;
}

/* Parses the whole value into `c` (zeroed by the caller). */
static int parse_value(cand_lexer *lx, sansrtc_ice_candidate *c) {
  cand_token t;
  if (!next_token(lx, &t) || !parse_foundation(&t, c)) goto malformed;
  if (!next_token(lx, &t) || !parse_component(&t, c)) goto malformed;
  if (!next_token(lx, &t)) goto malformed;
  int transport_rc = parse_transport(&t, c);
  if (transport_rc == SANSRTC_ERR_MALFORMED) goto malformed;
  if (!next_token(lx, &t) || !parse_priority(&t, c)) goto malformed;
  if (!next_token(lx, &t) || !parse_connection_address(&t, c)) goto malformed;
  uint16_t port;
  if (!next_token(lx, &t) || !parse_port(&t, &port)) goto malformed;
  c->addr.port = port;
  if (!next_token(lx, &t) || !token_is(&t, "typ")) goto malformed;
  if (!next_token(lx, &t) || !parse_type(&t, c)) goto malformed;
  if (!parse_attributes(lx, c, transport_rc == SANSRTC_OK)) goto malformed;
  /* Only a line that is otherwise well-formed is "unsupported". */
  return transport_rc;
malformed:
  return SANSRTC_ERR_MALFORMED;
}

int sansrtc_ice_candidate_parse(sansrtc_ice_candidate *out, const char *line) {
  if (out == NULL || line == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  cand_lexer lx;
  if (!locate_value(line, &lx)) return SANSRTC_ERR_MALFORMED;
  sansrtc_ice_candidate c;
  memset(&c, 0, sizeof c);
  int rc = parse_value(&lx, &c);
  if (rc != SANSRTC_OK) return rc;
  *out = c;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                               */
/* ------------------------------------------------------------------------ */

static const char *transport_name(sansrtc_ice_transport t) {
  switch (t) {
    case SANSRTC_ICE_TRANSPORT_UDP:
      return "udp";
    case SANSRTC_ICE_TRANSPORT_TCP:
      return "tcp";
  }
  return NULL;
}

static const char *tcptype_name(sansrtc_ice_tcptype t) {
  switch (t) {
    case SANSRTC_ICE_TCPTYPE_NONE:
      return "";
    case SANSRTC_ICE_TCPTYPE_ACTIVE:
      return "active";
    case SANSRTC_ICE_TCPTYPE_PASSIVE:
      return "passive";
    case SANSRTC_ICE_TCPTYPE_SO:
      return "so";
  }
  return NULL;
}

static int valid_type(sansrtc_ice_candidate_type t) {
  return t == SANSRTC_ICE_CANDIDATE_HOST || t == SANSRTC_ICE_CANDIDATE_SRFLX ||
         t == SANSRTC_ICE_CANDIDATE_PRFLX || t == SANSRTC_ICE_CANDIDATE_RELAY;
}

static int is_ip_family(uint8_t family) {
  return family == SANSRTC_AF_IPV4 || family == SANSRTC_AF_IPV6;
}

/* A NUL-terminated foundation of 1..32 ice-chars inside its array. */
static int valid_foundation_field(const char *f) {
  size_t n = 0;
  while (n < SANSRTC_ICE_FOUNDATION_MAX + 1 && f[n] != '\0') n++;
  if (n < 1 || n > SANSRTC_ICE_FOUNDATION_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_ice_char(f[i])) return 0;
  return 1;
}

/* A NUL-terminated, valid host name inside its array. */
static int valid_hostname_field(const char *h) {
  size_t n = 0;
  while (n < SANSRTC_ICE_HOSTNAME_MAX + 1 && h[n] != '\0') n++;
  return n <= SANSRTC_ICE_HOSTNAME_MAX && valid_hostname(h, n);
}

/* Writes the connection address text (IP or host name) into `buf`. */
static int format_address(const sansrtc_ice_candidate *c, char *buf,
                          size_t len) {
  if (is_ip_family(c->addr.family)) {
    sansrtc_addr_format_ip(&c->addr, buf, len);
    return 1;
  }
  if (c->addr.family != SANSRTC_AF_NONE || !valid_hostname_field(c->hostname))
    return 0;
  snprintf(buf, len, "%s", c->hostname);
  return 1;
}

/* Every field must be something sansrtc_ice_candidate_parse accepts. */
static int format_checks(const sansrtc_ice_candidate *c) {
  if (!valid_foundation_field(c->foundation)) return 0;
  if (c->component < 1 || c->component > COMPONENT_MAX) return 0;
  if (c->priority == 0) return 0;
  if (transport_name(c->transport) == NULL) return 0;
  if (!valid_type(c->type)) return 0;
  if (tcptype_name(c->tcptype) == NULL) return 0;
  if (c->related.family != SANSRTC_AF_NONE && !is_ip_family(c->related.family))
    return 0;
  return 1;
}

int sansrtc_ice_candidate_format(const sansrtc_ice_candidate *c, char *buf,
                                 size_t len) {
  if (c == NULL || buf == NULL || !format_checks(c))
    return SANSRTC_ERR_INVALID_ARGUMENT;

  char address[SANSRTC_ICE_HOSTNAME_MAX + 1];
  if (!format_address(c, address, sizeof address))
    return SANSRTC_ERR_INVALID_ARGUMENT;

  int has_related = is_ip_family(c->related.family);
  char raddr[SANSRTC_ADDR_STRLEN] = "";
  char rport[8] = "";
  if (has_related) {
    sansrtc_addr_format_ip(&c->related, raddr, sizeof raddr);
    snprintf(rport, sizeof rport, "%u", (unsigned)c->related.port);
  }
  int has_tcptype = c->transport == SANSRTC_ICE_TRANSPORT_TCP &&
                    c->tcptype != SANSRTC_ICE_TCPTYPE_NONE;

  int n = snprintf(buf, len, "candidate:%s %u %s %" PRIu32 " %s %u typ %s%s%s%s%s%s%s",
                   c->foundation, (unsigned)c->component,
                   transport_name(c->transport), c->priority, address,
                   (unsigned)c->addr.port,
                   sansrtc_ice_candidate_type_name(c->type),
                   has_related ? " raddr " : "", raddr,
                   has_related ? " rport " : "", rport,
                   has_tcptype ? " tcptype " : "",
                   has_tcptype ? tcptype_name(c->tcptype) : "");
  if (n < 0) return SANSRTC_ERR_INVALID_ARGUMENT;
  if ((size_t)n >= len) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  return n;
}

/* ------------------------------------------------------------------------ */
/* Names and priorities                                                     */
/* ------------------------------------------------------------------------ */

const char *sansrtc_ice_candidate_type_name(sansrtc_ice_candidate_type type) {
  switch (type) {
    case SANSRTC_ICE_CANDIDATE_HOST:
      return "host";
    case SANSRTC_ICE_CANDIDATE_SRFLX:
      return "srflx";
    case SANSRTC_ICE_CANDIDATE_PRFLX:
      return "prflx";
    case SANSRTC_ICE_CANDIDATE_RELAY:
      return "relay";
  }
  return "unknown";
}

/* RFC 8445 5.1.2.2 recommended type preferences; 0 for unknown types. */
static uint32_t type_preference(sansrtc_ice_candidate_type type) {
  switch (type) {
    case SANSRTC_ICE_CANDIDATE_HOST:
      return 126u;
    case SANSRTC_ICE_CANDIDATE_PRFLX:
      return 110u;
    case SANSRTC_ICE_CANDIDATE_SRFLX:
      return 100u;
    case SANSRTC_ICE_CANDIDATE_RELAY:
      return 0u;
  }
  return 0u;
}

uint32_t sansrtc_ice_candidate_priority(sansrtc_ice_candidate_type type,
                                        uint16_t local_preference,
                                        uint16_t component) {
  /* Components outside 1..256 would spill into the local preference. */
  uint32_t comp = (uint32_t)component;
  uint32_t comp_part = (comp >= 1u && comp <= COMPONENT_MAX) ? COMPONENT_MAX - comp
                                                             : 0u;
  return (type_preference(type) << 24) + ((uint32_t)local_preference << 8) +
         comp_part;
}
