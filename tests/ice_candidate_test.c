/*
 * ice_candidate_test.c - tests for lib/ice_candidate.c: RFC 8839 candidate
 * lines as browsers write them, formatting, round trips, priorities, and
 * hostile input.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sansrtc/ice.h>

#include "suites.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static sansrtc_ice_candidate parse_ok(const char *line) {
  sansrtc_ice_candidate c;
  int rc = sansrtc_ice_candidate_parse(&c, line);
  ck_assert_msg(rc == SANSRTC_OK, "'%s' gave %d", line, rc);
  return c;
}

static void assert_ip(const sansrtc_addr *a, const char *ip, uint16_t port) {
  sansrtc_addr want;
  ck_assert_int_eq(sansrtc_addr_parse(&want, ip, port), SANSRTC_OK);
  ck_assert_msg(sansrtc_addr_equal(a, &want), "address is not %s port %u", ip,
                (unsigned)port);
}

static void assert_no_addr(const sansrtc_addr *a) {
  static const uint8_t zero[16];
  ck_assert_int_eq(a->family, SANSRTC_AF_NONE);
  ck_assert_uint_eq(a->port, 0);
  ck_assert_mem_eq(a->ip, zero, sizeof zero);
}

static int same_addr(const sansrtc_addr *a, const sansrtc_addr *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

static int same_candidate(const sansrtc_ice_candidate *a,
                          const sansrtc_ice_candidate *b) {
  return strcmp(a->foundation, b->foundation) == 0 &&
         a->component == b->component && a->transport == b->transport &&
         a->priority == b->priority && same_addr(&a->addr, &b->addr) &&
         strcmp(a->hostname, b->hostname) == 0 && a->type == b->type &&
         same_addr(&a->related, &b->related) && a->tcptype == b->tcptype;
}

/* Formats `c` and checks the text and the returned length. */
static void assert_formats_as(const sansrtc_ice_candidate *c,
                              const char *want) {
  char buf[SANSRTC_ICE_CANDIDATE_STRLEN];
  int n = sansrtc_ice_candidate_format(c, buf, sizeof buf);
  ck_assert_int_eq(n, (int)strlen(want));
  ck_assert_str_eq(buf, want);
}

/* A candidate with every field set, built by hand. */
static sansrtc_ice_candidate sample_relay(void) {
  sansrtc_ice_candidate c;
  memset(&c, 0, sizeof c);
  strcpy(c.foundation, "a+b/C9");
  c.component = 2;
  c.transport = SANSRTC_ICE_TRANSPORT_UDP;
  c.priority = 16777214u;
  ck_assert_int_eq(sansrtc_addr_parse(&c.addr, "203.0.113.7", 3478),
                   SANSRTC_OK);
  c.type = SANSRTC_ICE_CANDIDATE_RELAY;
  ck_assert_int_eq(sansrtc_addr_parse(&c.related, "2001:db8::5", 50000),
                   SANSRTC_OK);
  return c;
}

static const char chrome_srflx[] =
    "candidate:842163049 1 udp 1677729535 1.2.3.4 46154 typ srflx raddr "
    "10.0.0.5 rport 46154 generation 0 ufrag EEtu network-id 3 "
    "network-cost 10";
static const char chrome_mdns[] =
    "candidate:1 1 udp 2122260223 4a8f6f4c-3bd5-4f54-9a36-2a8f12a3c1d7.local "
    "54321 typ host generation 0";
static const char firefox_v4[] =
    "candidate:0 1 UDP 2122252543 192.168.1.2 51234 typ host";
static const char firefox_v6[] =
    "candidate:1 1 UDP 2122187007 2001:db8::1 40000 typ host";
static const char tcp_active[] =
    "candidate:3 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active";

/* ------------------------------------------------------------------------ */
/* Browser lines                                                            */
/* ------------------------------------------------------------------------ */

START_TEST(test_chrome_srflx) {
  sansrtc_ice_candidate c = parse_ok(chrome_srflx);
  ck_assert_str_eq(c.foundation, "842163049");
  ck_assert_uint_eq(c.component, 1);
  ck_assert_int_eq(c.transport, SANSRTC_ICE_TRANSPORT_UDP);
  ck_assert_uint_eq(c.priority, 1677729535u);
  assert_ip(&c.addr, "1.2.3.4", 46154);
  ck_assert_str_eq(c.hostname, "");
  ck_assert_int_eq(c.type, SANSRTC_ICE_CANDIDATE_SRFLX);
  assert_ip(&c.related, "10.0.0.5", 46154);
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_NONE);
}
END_TEST

START_TEST(test_chrome_mdns_host) {
  sansrtc_ice_candidate c = parse_ok(chrome_mdns);
  ck_assert_str_eq(c.foundation, "1");
  ck_assert_uint_eq(c.component, 1);
  ck_assert_int_eq(c.transport, SANSRTC_ICE_TRANSPORT_UDP);
  ck_assert_uint_eq(c.priority, 2122260223u);
  ck_assert_int_eq(c.addr.family, SANSRTC_AF_NONE);
  ck_assert_uint_eq(c.addr.port, 54321);
  ck_assert_str_eq(c.hostname, "4a8f6f4c-3bd5-4f54-9a36-2a8f12a3c1d7.local");
  ck_assert_int_eq(c.type, SANSRTC_ICE_CANDIDATE_HOST);
  assert_no_addr(&c.related);
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_NONE);
}
END_TEST

START_TEST(test_firefox_ipv4) {
  sansrtc_ice_candidate c = parse_ok(firefox_v4);
  ck_assert_str_eq(c.foundation, "0");
  ck_assert_uint_eq(c.component, 1);
  ck_assert_int_eq(c.transport, SANSRTC_ICE_TRANSPORT_UDP);
  ck_assert_uint_eq(c.priority, 2122252543u);
  assert_ip(&c.addr, "192.168.1.2", 51234);
  ck_assert_str_eq(c.hostname, "");
  ck_assert_int_eq(c.type, SANSRTC_ICE_CANDIDATE_HOST);
  assert_no_addr(&c.related);
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_NONE);
}
END_TEST

START_TEST(test_firefox_ipv6) {
  sansrtc_ice_candidate c = parse_ok(firefox_v6);
  ck_assert_str_eq(c.foundation, "1");
  ck_assert_uint_eq(c.component, 1);
  ck_assert_int_eq(c.transport, SANSRTC_ICE_TRANSPORT_UDP);
  ck_assert_uint_eq(c.priority, 2122187007u);
  ck_assert_int_eq(c.addr.family, SANSRTC_AF_IPV6);
  assert_ip(&c.addr, "2001:db8::1", 40000);
  ck_assert_str_eq(c.hostname, "");
  ck_assert_int_eq(c.type, SANSRTC_ICE_CANDIDATE_HOST);
  assert_no_addr(&c.related);
}
END_TEST

START_TEST(test_tcp_active) {
  sansrtc_ice_candidate c = parse_ok(tcp_active);
  ck_assert_str_eq(c.foundation, "3");
  ck_assert_uint_eq(c.component, 1);
  ck_assert_int_eq(c.transport, SANSRTC_ICE_TRANSPORT_TCP);
  ck_assert_uint_eq(c.priority, 1518280447u);
  assert_ip(&c.addr, "192.168.1.2", 9);
  ck_assert_int_eq(c.type, SANSRTC_ICE_CANDIDATE_HOST);
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_ACTIVE);
  assert_no_addr(&c.related);

  c = parse_ok("candidate:4 1 TCP 1 ::1 0 typ prflx tcptype so");
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_SO);
  ck_assert_uint_eq(c.addr.port, 0);
  c = parse_ok("candidate:5 1 tcp 1 10.0.0.1 443 typ host tcptype PASSIVE");
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_PASSIVE);
  /* A TCP line without tcptype, and tcptype on a UDP line (skipped). */
  c = parse_ok("candidate:6 1 tcp 1 10.0.0.1 443 typ host");
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_NONE);
  c = parse_ok("candidate:7 1 udp 1 10.0.0.1 443 typ host tcptype passive");
  ck_assert_int_eq(c.transport, SANSRTC_ICE_TRANSPORT_UDP);
  ck_assert_int_eq(c.tcptype, SANSRTC_ICE_TCPTYPE_NONE);
}
END_TEST

/* "a=", "candidate:" and bare forms, CR/LF, tabs and case all give the same
 * candidate. */
START_TEST(test_prefixes_and_spacing) {
  static const char *const forms[] = {
      "a=candidate:0 1 UDP 2122252543 192.168.1.2 51234 typ host\r\n",
      "a=candidate:0 1 UDP 2122252543 192.168.1.2 51234 typ host",
      "candidate:0 1 UDP 2122252543 192.168.1.2 51234 typ host\n",
      "0 1 UDP 2122252543 192.168.1.2 51234 typ host",
      "candidate:0  1\tudp \t 2122252543   192.168.1.2 51234 TYP HOST \r\n",
      "candidate:0 1 Udp 2122252543 192.168.1.2 51234 Typ Host generation 0",
  };
  sansrtc_ice_candidate want = parse_ok(firefox_v4);
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    sansrtc_ice_candidate c = parse_ok(forms[i]);
    ck_assert_msg(same_candidate(&c, &want), "form %zu differs", i);
  }
}
END_TEST

/* raddr/rport in either order, in any case, with extensions around them. */
START_TEST(test_related_address) {
  sansrtc_ice_candidate c = parse_ok(
      "candidate:9 1 udp 1686052863 203.0.113.9 40000 typ srflx "
      "rport 0 raddr 0.0.0.0");
  assert_ip(&c.related, "0.0.0.0", 0);
  c = parse_ok("candidate:9 1 udp 1 203.0.113.9 40000 typ relay generation 0 "
               "RADDR :: network-cost 50 RPORT 65535");
  assert_ip(&c.related, "::", 65535);
  c = parse_ok("candidate:9 1 udp 1 203.0.113.9 40000 typ prflx raddr 10.0.0.1");
  assert_ip(&c.related, "10.0.0.1", 0);
  ck_assert_int_eq(c.type, SANSRTC_ICE_CANDIDATE_PRFLX);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Formatting                                                               */
/* ------------------------------------------------------------------------ */

START_TEST(test_format_exact) {
  sansrtc_ice_candidate c = parse_ok(chrome_srflx);
  assert_formats_as(&c, "candidate:842163049 1 udp 1677729535 1.2.3.4 46154 "
                        "typ srflx raddr 10.0.0.5 rport 46154");
  c = parse_ok(chrome_mdns);
  assert_formats_as(&c, "candidate:1 1 udp 2122260223 "
                        "4a8f6f4c-3bd5-4f54-9a36-2a8f12a3c1d7.local 54321 "
                        "typ host");
  c = parse_ok("a=" "candidate:0 1 UDP 2122252543 192.168.1.2 51234 typ host\r\n");
  assert_formats_as(&c, "candidate:0 1 udp 2122252543 192.168.1.2 51234 typ "
                        "host");
  c = parse_ok("candidate:1 1 UDP 2122187007 2001:0db8:0:0:0:0:0:1 40000 "
               "typ host");
  assert_formats_as(&c, "candidate:1 1 udp 2122187007 2001:db8::1 40000 typ "
                        "host");
  c = parse_ok(tcp_active);
  assert_formats_as(&c, tcp_active);
  c = sample_relay();
  assert_formats_as(&c, "candidate:a+b/C9 2 udp 16777214 203.0.113.7 3478 typ "
                        "relay raddr 2001:db8::5 rport 50000");
}
END_TEST

/* Fields the line cannot carry for this candidate are left out. */
START_TEST(test_format_omits) {
  sansrtc_ice_candidate c = sample_relay();
  c.tcptype = SANSRTC_ICE_TCPTYPE_ACTIVE; /* UDP: no tcptype */
  strcpy(c.hostname, "ignored.local");    /* an IP is present */
  memset(&c.related, 0, sizeof c.related);
  c.related.port = 9; /* no related family: no raddr/rport */
  assert_formats_as(&c, "candidate:a+b/C9 2 udp 16777214 203.0.113.7 3478 typ "
                        "relay");
  c.transport = SANSRTC_ICE_TRANSPORT_TCP;
  c.tcptype = SANSRTC_ICE_TCPTYPE_NONE;
  assert_formats_as(&c, "candidate:a+b/C9 2 tcp 16777214 203.0.113.7 3478 typ "
                        "relay");
  c.tcptype = SANSRTC_ICE_TCPTYPE_SO;
  assert_formats_as(&c, "candidate:a+b/C9 2 tcp 16777214 203.0.113.7 3478 typ "
                        "relay tcptype so");
}
END_TEST

START_TEST(test_round_trips) {
  static const char *const lines[] = {
      chrome_srflx,
      chrome_mdns,
      firefox_v4,
      firefox_v6,
      tcp_active,
      "a=candidate:0 1 UDP 2122252543 192.168.1.2 51234 typ host\r\n",
      "candidate:a+b/c 256 udp 4294967295 255.255.255.255 65535 typ relay "
      "raddr ffff::1 rport 65535",
      "candidate:x 2 tcp 1 ::ffff:1.2.3.4 0 typ srflx raddr 10.0.0.1 rport 1 "
      "tcptype passive",
      "candidate:h 1 udp 7 HOST-name.Example.org 1 typ prflx raddr :: rport 0",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    sansrtc_ice_candidate a = parse_ok(lines[i]), b;
    char buf[SANSRTC_ICE_CANDIDATE_STRLEN];
    int n = sansrtc_ice_candidate_format(&a, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(n, (int)strlen(buf));
    b = parse_ok(buf);
    ck_assert_msg(same_candidate(&a, &b), "round trip of '%s' via '%s'",
                  lines[i], buf);
  }
  sansrtc_ice_candidate a = sample_relay(), b;
  char buf[SANSRTC_ICE_CANDIDATE_STRLEN];
  ck_assert_int_gt(sansrtc_ice_candidate_format(&a, buf, sizeof buf), 0);
  b = parse_ok(buf);
  ck_assert(same_candidate(&a, &b));
}
END_TEST

/* For every short length the result is BUFFER_TOO_SMALL with a terminated
 * buffer, and one byte more is enough. Exact-size heap buffers let
 * valgrind/ASan see any overrun. */
START_TEST(test_format_buffer_sizes) {
  sansrtc_ice_candidate cands[3];
  cands[0] = parse_ok(chrome_srflx);
  cands[1] = parse_ok(chrome_mdns);
  cands[2] = parse_ok(tcp_active);
  for (size_t k = 0; k < 3; k++) {
    char full[SANSRTC_ICE_CANDIDATE_STRLEN];
    int need = sansrtc_ice_candidate_format(&cands[k], full, sizeof full);
    ck_assert_int_gt(need, 0);
    for (size_t len = 0; len <= (size_t)need; len++) {
      char *buf = malloc(len > 0 ? len : 1);
      ck_assert_ptr_nonnull(buf);
      memset(buf, 'Z', len > 0 ? len : 1);
      ck_assert_int_eq(sansrtc_ice_candidate_format(&cands[k], buf, len),
                       SANSRTC_ERR_BUFFER_TOO_SMALL);
      if (len > 0) ck_assert_ptr_nonnull(memchr(buf, '\0', len));
      free(buf);
    }
    char *exact = malloc((size_t)need + 1);
    ck_assert_ptr_nonnull(exact);
    ck_assert_int_eq(
        sansrtc_ice_candidate_format(&cands[k], exact, (size_t)need + 1), need);
    ck_assert_str_eq(exact, full);
    free(exact);
  }
}
END_TEST

/* The longest possible candidate fits SANSRTC_ICE_CANDIDATE_STRLEN. */
START_TEST(test_format_longest) {
  sansrtc_ice_candidate big, back;
  memset(&big, 0, sizeof big);
  memset(big.foundation, 'f', SANSRTC_ICE_FOUNDATION_MAX);
  memset(big.hostname, 'h', SANSRTC_ICE_HOSTNAME_MAX);
  big.component = 256;
  big.priority = UINT32_MAX;
  big.addr.port = 65535;
  big.transport = SANSRTC_ICE_TRANSPORT_TCP;
  big.tcptype = SANSRTC_ICE_TCPTYPE_PASSIVE;
  big.type = SANSRTC_ICE_CANDIDATE_SRFLX;
  ck_assert_int_eq(
      sansrtc_addr_parse(&big.related,
                         "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535),
      SANSRTC_OK);
  char buf[SANSRTC_ICE_CANDIDATE_STRLEN];
  int n = sansrtc_ice_candidate_format(&big, buf, sizeof buf);
  ck_assert_int_gt(n, 0);
  ck_assert_int_lt(n, SANSRTC_ICE_CANDIDATE_STRLEN);
  back = parse_ok(buf);
  ck_assert(same_candidate(&big, &back));
}
END_TEST

START_TEST(test_format_invalid) {
  const sansrtc_ice_candidate good = sample_relay();
  char buf[SANSRTC_ICE_CANDIDATE_STRLEN];
  sansrtc_ice_candidate c;

  ck_assert_int_eq(sansrtc_ice_candidate_format(NULL, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_candidate_format(&good, NULL, 64),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.foundation[0] = '\0';
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  memset(c.foundation, 'a', sizeof c.foundation); /* not terminated */
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  strcpy(c.foundation, "a b");
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.transport = (sansrtc_ice_transport)2;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.type = (sansrtc_ice_candidate_type)4;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.tcptype = (sansrtc_ice_tcptype)4;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  memset(&c.addr, 0, sizeof c.addr); /* no IP and no host name */
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  strcpy(c.hostname, "-bad");
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.addr.family = 5;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.related.family = 9;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* Values the parser would refuse are not printed either. */
  c = good;
  c.component = 0;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c.component = 257;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  c = good;
  c.priority = 0;
  ck_assert_int_eq(sansrtc_ice_candidate_format(&c, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* The good one still formats. */
  ck_assert_int_gt(sansrtc_ice_candidate_format(&good, buf, sizeof buf), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Priorities and names                                                     */
/* ------------------------------------------------------------------------ */

START_TEST(test_priority) {
  ck_assert_uint_eq(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_HOST, 65535, 1),
      2130706431u);
  ck_assert_uint_eq(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_SRFLX, 65535, 1),
      1694498815u);
  ck_assert_uint_eq(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_PRFLX, 0, 1),
      1845494015u);
  ck_assert_uint_eq(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_RELAY, 65535, 2),
      16777214u);
  ck_assert_uint_eq(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_HOST, 0, 256),
      126u << 24);
  /* Order: host > prflx > srflx > relay for the same local preference. */
  ck_assert_uint_gt(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_HOST, 0, 1),
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_PRFLX, 65535, 1));
  ck_assert_uint_gt(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_PRFLX, 0, 1),
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_SRFLX, 65535, 1));
  /* Component 1 beats component 2. */
  ck_assert_uint_eq(
      sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_SRFLX, 7, 1) -
          sansrtc_ice_candidate_priority(SANSRTC_ICE_CANDIDATE_SRFLX, 7, 2),
      1u);
}
END_TEST

START_TEST(test_type_name) {
  ck_assert_str_eq(sansrtc_ice_candidate_type_name(SANSRTC_ICE_CANDIDATE_HOST),
                   "host");
  ck_assert_str_eq(sansrtc_ice_candidate_type_name(SANSRTC_ICE_CANDIDATE_SRFLX),
                   "srflx");
  ck_assert_str_eq(sansrtc_ice_candidate_type_name(SANSRTC_ICE_CANDIDATE_PRFLX),
                   "prflx");
  ck_assert_str_eq(sansrtc_ice_candidate_type_name(SANSRTC_ICE_CANDIDATE_RELAY),
                   "relay");
  ck_assert_str_eq(sansrtc_ice_candidate_type_name((sansrtc_ice_candidate_type)4),
                   "unknown");
  ck_assert_str_eq(
      sansrtc_ice_candidate_type_name((sansrtc_ice_candidate_type)-1),
      "unknown");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Hostile input                                                            */
/* ------------------------------------------------------------------------ */

static const struct {
  const char *line;
  int rc;
} hostile[] = {
    {"", SANSRTC_ERR_MALFORMED},
    {"\r\n", SANSRTC_ERR_MALFORMED},
    {"candidate:", SANSRTC_ERR_MALFORMED},
    {"a=candidate:", SANSRTC_ERR_MALFORMED},
    {"a=candidate:\r\n", SANSRTC_ERR_MALFORMED},
    /* missing fields */
    {"candidate:1", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 type host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ bogus", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ hosts", SANSRTC_ERR_MALFORMED},
    /* foundation */
    {"candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
     SANSRTC_ERR_MALFORMED},
    {"candidate:ab! 1 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:a-b 1 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate: \t ", SANSRTC_ERR_MALFORMED},
    /* component */
    {"candidate:1 0 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 257 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1x udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 x1 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 +1 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 0001 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 99999999999 udp 1 1.2.3.4 5 typ host",
     SANSRTC_ERR_MALFORMED},
    /* transport */
    {"candidate:1 1 u?p 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 sctp 1 1.2.3.4 5 typ bogus", SANSRTC_ERR_MALFORMED},
    /* priority */
    {"candidate:1 1 udp 4294967296 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 99999999999 1.2.3.4 5 typ host",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 00000000001 1.2.3.4 5 typ host",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp -1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 0 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp  1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 0x10 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    /* address */
    {"candidate:1 1 udp 1 [::1] 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 -bad.local 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 .bad.local 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 bad_name.local 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 fe80::1%eth0 5 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4:5 5 typ host", SANSRTC_ERR_MALFORMED},
    /* port */
    {"candidate:1 1 udp 1 1.2.3.4 65536 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 -1 typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 abc typ host", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 000001 typ host", SANSRTC_ERR_MALFORMED},
    /* attributes after typ */
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host raddr", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host rport", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host generation 0 ufrag",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr example.com rport 1",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 rport 70000",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 rport x",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 raddr 2.2.2.2",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport 1 rport 2 raddr ::",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host rport 7", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype sideways",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype so tcptype so",
     SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host na(me) 1", SANSRTC_ERR_MALFORMED},
    /* line breaks inside the line */
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host\r\nx y", SANSRTC_ERR_MALFORMED},
    {"candidate:1 1 udp 1 1.2.3.4 5 typ host generation 0\rx",
     SANSRTC_ERR_MALFORMED},
    /* prefix spelled differently: the foundation then holds ':' */
    {"a=Candidate:1 1 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    {"b=candidate:1 1 udp 1 1.2.3.4 5 typ host", SANSRTC_ERR_MALFORMED},
    /* well-formed, other transports */
    {"candidate:1 1 sctp 1 1.2.3.4 5 typ host", SANSRTC_ERR_UNSUPPORTED},
    {"candidate:1 1 dccp 1 1.2.3.4 5 typ host generation 0",
     SANSRTC_ERR_UNSUPPORTED},
    {"candidate:1 1 SCTP 1 example.org 5 typ relay raddr ::1 rport 1",
     SANSRTC_ERR_UNSUPPORTED},
};

START_TEST(test_hostile_line) {
  sansrtc_ice_candidate c, sentinel;
  memset(&c, 0xA5, sizeof c);
  memset(&sentinel, 0xA5, sizeof sentinel);
  int rc = sansrtc_ice_candidate_parse(&c, hostile[_i].line);
  ck_assert_msg(rc == hostile[_i].rc, "'%s' gave %d, want %d",
                hostile[_i].line, rc, hostile[_i].rc);
  ck_assert_msg(memcmp(&c, &sentinel, sizeof c) == 0,
                "'%s' wrote the output on failure", hostile[_i].line);
}
END_TEST

/* Builds "candidate:1 1 udp 1 1.2.3.4 5 typ host x vvvv..." of `len`
 * characters (the value fills the rest). */
static char *line_of_length(size_t len) {
  static const char head[] = "candidate:1 1 udp 1 1.2.3.4 5 typ host x ";
  ck_assert_uint_gt(len, sizeof head);
  char *s = malloc(len + 1);
  ck_assert_ptr_nonnull(s);
  memcpy(s, head, sizeof head - 1);
  memset(s + sizeof head - 1, 'v', len - (sizeof head - 1));
  s[len] = '\0';
  return s;
}

START_TEST(test_long_lines) {
  sansrtc_ice_candidate c, sentinel;
  memset(&c, 0xA5, sizeof c);
  memset(&sentinel, 0xA5, sizeof sentinel);
  char *s = line_of_length(5000);
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&c, s), SANSRTC_ERR_MALFORMED);
  free(s);
  s = line_of_length(4097);
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&c, s), SANSRTC_ERR_MALFORMED);
  free(s);
  ck_assert_mem_eq(&c, &sentinel, sizeof c);
  s = line_of_length(4096);
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&c, s), SANSRTC_OK);
  free(s);
  ck_assert_str_eq(c.foundation, "1");
  /* A 254-character host name is one too many. */
  char line[400];
  char name[255];
  memset(name, 'n', 254);
  name[254] = '\0';
  strcpy(line, "candidate:1 1 udp 1 ");
  strcat(line, name);
  strcat(line, " 5 typ host");
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&c, line), SANSRTC_ERR_MALFORMED);
  name[253] = '\0';
  strcpy(line, "candidate:1 1 udp 1 ");
  strcat(line, name);
  strcat(line, " 5 typ host");
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&c, line), SANSRTC_OK);
  ck_assert_str_eq(c.hostname, name);
}
END_TEST

START_TEST(test_boundaries_accepted) {
  sansrtc_ice_candidate c;
  c = parse_ok("candidate:12345678901234567890123456789012 256 udp 4294967295 "
               "1.2.3.4 65535 typ host");
  ck_assert_uint_eq(strlen(c.foundation), 32);
  ck_assert_uint_eq(c.component, 256);
  ck_assert_uint_eq(c.priority, 4294967295u);
  ck_assert_uint_eq(c.addr.port, 65535);
  c = parse_ok("candidate:+/ 001 udp 0000000001 0.0.0.0 00000 typ relay");
  ck_assert_str_eq(c.foundation, "+/");
  ck_assert_uint_eq(c.component, 1);
  ck_assert_uint_eq(c.priority, 1);
  ck_assert_uint_eq(c.addr.port, 0);
  assert_ip(&c.addr, "0.0.0.0", 0);
}
END_TEST

START_TEST(test_null_arguments) {
  sansrtc_ice_candidate c;
  memset(&c, 0xA5, sizeof c);
  sansrtc_ice_candidate sentinel = c;
  ck_assert_int_eq(sansrtc_ice_candidate_parse(NULL, firefox_v4),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_candidate_parse(&c, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_candidate_parse(NULL, NULL),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_mem_eq(&c, &sentinel, sizeof c);
  char buf[8];
  ck_assert_int_eq(sansrtc_ice_candidate_format(NULL, buf, sizeof buf),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(sansrtc_ice_candidate_format(NULL, NULL, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Mutations                                                                */
/* ------------------------------------------------------------------------ */

static uint32_t lcg_next(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

/* Replaces, inserts or deletes one character of `line` (capacity `cap`). */
static void mutate(char *line, size_t cap, uint32_t *state) {
  static const char alphabet[] =
      "0123456789abcdefxyz:.-+/ \t\r\nAZ!%[]typhostsrflxrelayraddrport";
  size_t len = strlen(line);
  size_t pos = lcg_next(state) % (len + 1);
  char ch = alphabet[lcg_next(state) % (sizeof alphabet - 1)];
  switch (lcg_next(state) % 3) {
    case 0:
      if (pos < len) line[pos] = ch;
      break;
    case 1:
      if (len + 1 < cap) {
        memmove(line + pos + 1, line + pos, len - pos + 1);
        line[pos] = ch;
      }
      break;
    default:
      if (pos < len) memmove(line + pos, line + pos + 1, len - pos);
      break;
  }
}

START_TEST(test_mutations) {
  static const char *const seeds[] = {
      chrome_srflx, chrome_mdns, firefox_v4, firefox_v6, tcp_active,
      "a=candidate:a+b/c 256 udp 4294967295 255.255.255.255 65535 typ relay "
      "raddr ffff::1 rport 65535\r\n",
  };
  const size_t nseeds = sizeof seeds / sizeof seeds[0];
  uint32_t state = 12345u;
  unsigned parsed = 0, failed = 0;
  for (unsigned iter = 0; iter < 20000; iter++) {
    char line[300];
    strcpy(line, seeds[iter % nseeds]);
    unsigned edits = 1 + lcg_next(&state) % 4;
    for (unsigned k = 0; k < edits; k++) mutate(line, sizeof line, &state);

    sansrtc_ice_candidate a, b;
    if (sansrtc_ice_candidate_parse(&a, line) != SANSRTC_OK) {
      failed++;
      continue;
    }
    parsed++;
    char out[SANSRTC_ICE_CANDIDATE_STRLEN];
    int n = sansrtc_ice_candidate_format(&a, out, sizeof out);
    ck_assert_msg(n > 0 && (size_t)n == strlen(out), "cannot format '%s'",
                  line);
    ck_assert_msg(sansrtc_ice_candidate_parse(&b, out) == SANSRTC_OK,
                  "cannot re-parse '%s' (from '%s')", out, line);
    ck_assert_msg(same_candidate(&a, &b), "'%s' changed through '%s'", line,
                  out);
  }
  /* Both outcomes were exercised. */
  ck_assert_uint_gt(parsed, 1000);
  ck_assert_uint_gt(failed, 1000);
}
END_TEST

Suite *ice_candidate_suite(void) {
  Suite *s = suite_create("ice_candidate");

  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, test_chrome_srflx);
  tcase_add_test(tc, test_chrome_mdns_host);
  tcase_add_test(tc, test_firefox_ipv4);
  tcase_add_test(tc, test_firefox_ipv6);
  tcase_add_test(tc, test_tcp_active);
  tcase_add_test(tc, test_prefixes_and_spacing);
  tcase_add_test(tc, test_related_address);
  tcase_add_test(tc, test_boundaries_accepted);
  suite_add_tcase(s, tc);

  tc = tcase_create("format");
  tcase_add_test(tc, test_format_exact);
  tcase_add_test(tc, test_format_omits);
  tcase_add_test(tc, test_round_trips);
  tcase_add_test(tc, test_format_buffer_sizes);
  tcase_add_test(tc, test_format_longest);
  tcase_add_test(tc, test_format_invalid);
  suite_add_tcase(s, tc);

  tc = tcase_create("priority");
  tcase_add_test(tc, test_priority);
  tcase_add_test(tc, test_type_name);
  suite_add_tcase(s, tc);

  tc = tcase_create("hostile");
  tcase_add_loop_test(tc, test_hostile_line, 0,
                      (int)(sizeof hostile / sizeof hostile[0]));
  tcase_add_test(tc, test_long_lines);
  tcase_add_test(tc, test_null_arguments);
  tcase_add_test(tc, test_mutations);
  suite_add_tcase(s, tc);
  return s;
}
