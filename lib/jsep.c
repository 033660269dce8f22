/*
 * jsep.c - building local descriptions and reading remote ones for a
 * data-channel peer connection (RFC 8829 JSEP, RFC 8841 SCTP SDP,
 * RFC 8839 ICE SDP, RFC 8122/8842 DTLS SDP).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsep.h"

#define DATA_PROTO "UDP/DTLS/SCTP"
#define LEGACY_PROTO "DTLS/SCTP"
#define DATA_FMT "webrtc-datachannel"

/* ---- building ------------------------------------------------------------- */

static int local_valid(const jsep_local *l) {
  return l != NULL && l->ice_ufrag != NULL && l->ice_pwd != NULL &&
         l->fingerprint_algo != NULL && l->fingerprint != NULL &&
         l->setup != NULL && (l->candidates != NULL || l->candidate_count == 0);
}

/* v=, o=, s=, t= and the session attributes every WebRTC offer has. */
static int add_session(sansrtc_sdp *sdp, const jsep_local *l,
                       const char *bundle_mid) {
  char o[96], group[16 + JSEP_MID_MAX];
  snprintf(o, sizeof o, "- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1",
           l->session_id, l->session_version);
  int rc;
  if ((rc = sansrtc_sdp_add_line(sdp, SANSRTC_SDP_SESSION, 'v', "0")) ||
      (rc = sansrtc_sdp_add_line(sdp, SANSRTC_SDP_SESSION, 'o', o)) ||
      (rc = sansrtc_sdp_add_line(sdp, SANSRTC_SDP_SESSION, 's', "-")) ||
      (rc = sansrtc_sdp_add_line(sdp, SANSRTC_SDP_SESSION, 't', "0 0")))
    return rc;
  if (bundle_mid == NULL || bundle_mid[0] == '\0') return SANSRTC_OK;
  snprintf(group, sizeof group, "BUNDLE %s", bundle_mid);
  return sansrtc_sdp_add_attr(sdp, SANSRTC_SDP_SESSION, "group", group);
}

static int add_candidates(sansrtc_sdp *sdp, int m, const jsep_local *l) {
  for (size_t i = 0; i < l->candidate_count; i++) {
    char line[SANSRTC_ICE_CANDIDATE_STRLEN];
    int n = sansrtc_ice_candidate_format(&l->candidates[i], line, sizeof line);
    if (n < 0) return n;
    /* sansrtc_ice_candidate_format writes "candidate:<value>". */
    int rc = sansrtc_sdp_add_attr(sdp, m, "candidate", line + 10);
    if (rc != SANSRTC_OK) return rc;
  }
  if (l->end_of_candidates)
    return sansrtc_sdp_add_attr(sdp, m, "end-of-candidates", NULL);
  return SANSRTC_OK;
}

/* The data section's body after its m= line, in the order browsers use. */
static int add_data_section(sansrtc_sdp *sdp, int m, const jsep_local *l,
                            const char *mid, int legacy) {
  char fp[JSEP_FINGERPRINT_ALGO_MAX + JSEP_FINGERPRINT_MAX + 2];
  char num[32];
  snprintf(fp, sizeof fp, "%s %s", l->fingerprint_algo, l->fingerprint);
  int rc;
  if ((rc = sansrtc_sdp_add_line(sdp, m, 'c', "IN IP4 0.0.0.0")) ||
      (rc = add_candidates(sdp, m, l)) ||
      (rc = sansrtc_sdp_add_attr(sdp, m, "ice-ufrag", l->ice_ufrag)) ||
      (rc = sansrtc_sdp_add_attr(sdp, m, "ice-pwd", l->ice_pwd)) ||
      (rc = sansrtc_sdp_add_attr(sdp, m, "ice-options", "trickle")) ||
      (rc = sansrtc_sdp_add_attr(sdp, m, "fingerprint", fp)) ||
      (rc = sansrtc_sdp_add_attr(sdp, m, "setup", l->setup)))
    return rc;
  if (mid != NULL && mid[0] != '\0' &&
      (rc = sansrtc_sdp_add_attr(sdp, m, "mid", mid)))
    return rc;
  if (legacy) {
    snprintf(num, sizeof num, "%u webrtc-datachannel 1024", l->sctp_port);
    return sansrtc_sdp_add_attr(sdp, m, "sctpmap", num);
  }
  snprintf(num, sizeof num, "%u", l->sctp_port);
  if ((rc = sansrtc_sdp_add_attr(sdp, m, "sctp-port", num))) return rc;
  snprintf(num, sizeof num, "%zu", l->max_message_size);
  return sansrtc_sdp_add_attr(sdp, m, "max-message-size", num);
}

int jsep_build_offer(const jsep_local *l, sansrtc_sdp **out) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!local_valid(l) || l->mid == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_sdp *sdp;
  int rc = sansrtc_sdp_new(&sdp);
  if (rc != SANSRTC_OK) return rc;
  size_t m = 0;
  if ((rc = add_session(sdp, l, l->mid)) ||
      (rc = sansrtc_sdp_add_media(sdp, "application", 9, DATA_PROTO, DATA_FMT,
                                  &m)) ||
      (rc = add_data_section(sdp, (int)m, l, l->mid, 0))) {
    sansrtc_sdp_free(sdp);
    return rc;
  }
  *out = sdp;
  return SANSRTC_OK;
}

/* A rejected section: the offer's m= line with port 0, and its mid. */
static int add_rejected_section(sansrtc_sdp *sdp, const sansrtc_sdp *offer,
                                size_t i) {
  sansrtc_sdp_mline ml;
  size_t m = 0;
  int rc = sansrtc_sdp_media_line(offer, i, &ml);
  if (rc != SANSRTC_OK) return rc;
  rc = sansrtc_sdp_add_media(sdp, ml.media, 0, ml.proto, ml.fmt, &m);
  if (rc != SANSRTC_OK) return rc;
  const char *mid = sansrtc_sdp_attr(offer, (int)i, "mid", 0);
  if (mid != NULL) rc = sansrtc_sdp_add_attr(sdp, (int)m, "mid", mid);
  return rc;
}

int jsep_build_answer(const sansrtc_sdp *offer, const jsep_remote *r,
                      const jsep_local *l, sansrtc_sdp **out) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (offer == NULL || r == NULL || !local_valid(l) ||
      r->media_index >= sansrtc_sdp_media_count(offer))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sansrtc_sdp *sdp;
  int rc = sansrtc_sdp_new(&sdp);
  if (rc != SANSRTC_OK) return rc;
  rc = add_session(sdp, l, r->mid);
  for (size_t i = 0; rc == SANSRTC_OK && i < sansrtc_sdp_media_count(offer);
       i++) {
    if (i != r->media_index) {
      rc = add_rejected_section(sdp, offer, i);
      continue;
    }
    size_t m = 0;
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%u", l->sctp_port);
    rc = sansrtc_sdp_add_media(sdp, "application", 9,
                               r->legacy_sctpmap ? LEGACY_PROTO : DATA_PROTO,
                               r->legacy_sctpmap ? fmt : DATA_FMT, &m);
    if (rc == SANSRTC_OK)
      rc = add_data_section(sdp, (int)m, l, r->mid, r->legacy_sctpmap);
  }
  if (rc != SANSRTC_OK) {
    sansrtc_sdp_free(sdp);
    return rc;
  }
  *out = sdp;
  return SANSRTC_OK;
}

/* ---- reading -------------------------------------------------------------- */

/* Copies `src` into a fixed buffer; 0 when it does not fit or is empty. */
static int copy_field(char *dst, size_t cap, const char *src) {
  size_t n = src != NULL ? strlen(src) : 0;
  if (n == 0 || n >= cap) return 0;
  memcpy(dst, src, n + 1);
  return 1;
}

/* Parses a decimal number in 0..max filling the whole string. */
static int parse_number(const char *s, uint64_t max, uint64_t *out) {
  if (s == NULL || *s < '0' || *s > '9') return 0;
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > max) return 0;
  }
  if (*s != '\0') return 0;
  *out = v;
  return 1;
}

/* The port of "a=sctpmap:<port> webrtc-datachannel [<streams>]", or 0. */
static uint16_t sctpmap_port(const sansrtc_sdp *sdp, size_t m) {
  const char *v;
  for (size_t k = 0; (v = sansrtc_sdp_attr(sdp, (int)m, "sctpmap", k)); k++) {
    char port[8];
    const char *sp = strchr(v, ' ');
    if (sp == NULL || (size_t)(sp - v) >= sizeof port) continue;
    memcpy(port, v, (size_t)(sp - v));
    port[sp - v] = '\0';
    uint64_t p;
    if (parse_number(port, 65535, &p) && p > 0 &&
        strncmp(sp + 1, DATA_FMT, strlen(DATA_FMT)) == 0)
      return (uint16_t)p;
  }
  return 0;
}

/* Whether section m is a data section, and in which form. */
static int is_data_section(const sansrtc_sdp *sdp, size_t m, int *legacy) {
  sansrtc_sdp_mline ml;
  if (sansrtc_sdp_media_line(sdp, m, &ml) != SANSRTC_OK ||
      strcmp(ml.media, "application") != 0 || ml.port == 0)
    return 0;
  if (strcmp(ml.proto, DATA_PROTO) == 0 || strcmp(ml.proto, "TCP/DTLS/SCTP") == 0) {
    *legacy = 0;
    return strcmp(ml.fmt, DATA_FMT) == 0;
  }
  if (strcmp(ml.proto, LEGACY_PROTO) == 0) {
    *legacy = 1;
    return sctpmap_port(sdp, m) != 0;
  }
  return 0;
}

static int read_fingerprint(const sansrtc_sdp *sdp, size_t m, jsep_remote *r) {
  const char *v = sansrtc_sdp_media_attr(sdp, m, "fingerprint");
  const char *sp = v != NULL ? strchr(v, ' ') : NULL;
  if (sp == NULL || sp == v || (size_t)(sp - v) > JSEP_FINGERPRINT_ALGO_MAX)
    return 0;
  memcpy(r->fingerprint_algo, v, (size_t)(sp - v));
  r->fingerprint_algo[sp - v] = '\0';
  return copy_field(r->fingerprint, sizeof r->fingerprint, sp + 1);
}

static int read_sctp(const sansrtc_sdp *sdp, size_t m, jsep_remote *r) {
  uint64_t v;
  if (r->legacy_sctpmap) {
    r->sctp_port = sctpmap_port(sdp, m);
  } else {
    const char *port = sansrtc_sdp_attr(sdp, (int)m, "sctp-port", 0);
    if (port == NULL) {
      r->sctp_port = 5000; /* RFC 8841 5.2: absent means 5000 */
    } else if (parse_number(port, 65535, &v) && v > 0) {
      r->sctp_port = (uint16_t)v;
    } else {
      return 0;
    }
  }
  const char *mms = sansrtc_sdp_attr(sdp, (int)m, "max-message-size", 0);
  if (mms == NULL) {
    r->max_message_size = JSEP_DEFAULT_MAX_MESSAGE_SIZE;
  } else if (parse_number(mms, UINT32_MAX, &v)) {
    r->max_message_size = (size_t)v;
  } else {
    return 0;
  }
  return 1;
}

int jsep_read_remote(const sansrtc_sdp *sdp, jsep_remote *r, const char **why) {
  const char *dummy;
  if (why == NULL) why = &dummy;
  *why = NULL;
  if (sdp == NULL || r == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  memset(r, 0, sizeof *r);
  size_t count = sansrtc_sdp_media_count(sdp), m = 0;
  int legacy = 0;
  while (m < count && !is_data_section(sdp, m, &legacy)) m++;
  if (m == count) {
    *why = "no data channel (m=application ... webrtc-datachannel) section";
    return SANSRTC_ERR_NOT_FOUND;
  }
  r->media_index = m;
  r->legacy_sctpmap = legacy;
  const char *mid = sansrtc_sdp_attr(sdp, (int)m, "mid", 0);
  if (mid != NULL && !copy_field(r->mid, sizeof r->mid, mid)) {
    *why = "a=mid too long or empty";
    return SANSRTC_ERR_MALFORMED;
  }
  if (!copy_field(r->ice_ufrag, sizeof r->ice_ufrag,
                  sansrtc_sdp_media_attr(sdp, m, "ice-ufrag")) ||
      !copy_field(r->ice_pwd, sizeof r->ice_pwd,
                  sansrtc_sdp_media_attr(sdp, m, "ice-pwd"))) {
    *why = "a=ice-ufrag or a=ice-pwd missing or too long";
    return SANSRTC_ERR_MALFORMED;
  }
  if (!read_fingerprint(sdp, m, r)) {
    *why = "a=fingerprint missing or malformed";
    return SANSRTC_ERR_MALFORMED;
  }
  const char *setup = sansrtc_sdp_media_attr(sdp, m, "setup");
  if (setup != NULL && !copy_field(r->setup, sizeof r->setup, setup)) {
    *why = "a=setup malformed";
    return SANSRTC_ERR_MALFORMED;
  }
  if (!read_sctp(sdp, m, r)) {
    *why = "a=sctp-port, a=sctpmap or a=max-message-size malformed";
    return SANSRTC_ERR_MALFORMED;
  }
  r->ice_lite = sansrtc_sdp_attr(sdp, SANSRTC_SDP_SESSION, "ice-lite", 0) != NULL;
  r->end_of_candidates =
      sansrtc_sdp_media_attr(sdp, m, "end-of-candidates") != NULL;
  return SANSRTC_OK;
}

int jsep_for_each_remote_candidate(const sansrtc_sdp *sdp,
                                   const jsep_remote *r,
                                   int (*fn)(void *user, const char *line),
                                   void *user) {
  const char *v;
  char line[SANSRTC_ICE_CANDIDATE_STRLEN + 256];
  for (size_t k = 0;
       (v = sansrtc_sdp_attr(sdp, (int)r->media_index, "candidate", k)); k++) {
    snprintf(line, sizeof line, "candidate:%s", v);
    int rc = fn(user, line);
    if (rc != 0) return rc;
  }
  return 0;
}
