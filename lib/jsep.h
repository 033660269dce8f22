/*
 * jsep.h - what a peer connection puts into and reads out of session
 * descriptions (JSEP, RFC 8829, for data channels; internal).
 *
 * jsep_build_offer and jsep_build_answer write the local description from
 * the local transport parameters; jsep_read_remote extracts the peer's
 * parameters from its description. Media sections are not negotiated yet:
 * an answer rejects them (port 0) and keeps their mid, so the rest of the
 * negotiation goes on.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_JSEP_H
#define SANSRTC_JSEP_H

#include <sansrtc/ice.h>
#include <sansrtc/sdp.h>

#define JSEP_MID_MAX 32
#define JSEP_FINGERPRINT_ALGO_MAX 16
#define JSEP_FINGERPRINT_MAX 192 /* "AB:CD:..." for SHA-512 */
#define JSEP_DEFAULT_MAX_MESSAGE_SIZE 65536 /* RFC 8841 6.1, when absent */

/* The local side of a description. Strings are borrowed for the call. */
typedef struct jsep_local {
  uint64_t session_id;      /* o= line */
  uint64_t session_version; /* o= line, incremented per new offer/answer */
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint_algo; /* "sha-256" */
  const char *fingerprint;      /* upper-case hex with colons */
  const char *setup;            /* "actpass", "active" or "passive" */
  const char *mid;              /* offers: the data section's mid */
  uint16_t sctp_port;
  size_t max_message_size;
  /* Local candidates gathered so far, and whether gathering is done
   * (a=end-of-candidates). */
  const sansrtc_ice_candidate *candidates;
  size_t candidate_count;
  int end_of_candidates;
} jsep_local;

/* The peer's data section, as read from its description. */
typedef struct jsep_remote {
  size_t media_index; /* the data m-section's index */
  char mid[JSEP_MID_MAX + 1];
  char ice_ufrag[SANSRTC_ICE_UFRAG_MAX + 1];
  char ice_pwd[SANSRTC_ICE_PWD_MAX + 1];
  char fingerprint_algo[JSEP_FINGERPRINT_ALGO_MAX + 1];
  char fingerprint[JSEP_FINGERPRINT_MAX + 1];
  char setup[8];  /* actpass, active, passive ("" when absent) */
  int ice_lite;
  int legacy_sctpmap; /* "DTLS/SCTP <port>" + a=sctpmap form */
  uint16_t sctp_port;
  size_t max_message_size; /* 0 means "any size" (RFC 8841) */
  int end_of_candidates;
} jsep_remote;

/* Builds an offer with one data section (BUNDLE group, mid, trickle, the
 * ICE and DTLS attributes, sctp-port, max-message-size, candidates).
 * Returns SANSRTC_OK with *out owned by the caller (sansrtc_sdp_free),
 * SANSRTC_ERR_INVALID_ARGUMENT or SANSRTC_ERR_NOMEM. */
int jsep_build_offer(const jsep_local *local, sansrtc_sdp **out);

/* Builds the answer to `offer`: the section `remote->media_index` is
 * accepted in the offer's form (current or legacy sctpmap) with local's
 * parameters and the offer's mid; every other section is rejected with
 * port 0 and its mid kept; the BUNDLE group lists the accepted mid.
 * Same returns as jsep_build_offer. */
int jsep_build_answer(const sansrtc_sdp *offer, const jsep_remote *remote,
                      const jsep_local *local, sansrtc_sdp **out);

/*
 * Finds the data section (the first m=application section with port other
 * than 0 and proto "UDP/DTLS/SCTP" or "DTLS/SCTP" with fmt
 * "webrtc-datachannel" or an a=sctpmap for it) and reads the peer's
 * parameters into *out. `why` (may be NULL) gets a static reason on error.
 * Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND (no data section),
 * SANSRTC_ERR_MALFORMED (a required attribute missing or bad: ice-ufrag,
 * ice-pwd, fingerprint, setup, sctp port) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
int jsep_read_remote(const sansrtc_sdp *sdp, jsep_remote *out,
                     const char **why);

/* Calls `fn` for each a=candidate line of the remote data section (the
 * attribute value after "candidate:" is given whole, with the
 * "candidate:" prefix), stopping early when it returns non-zero (which is
 * returned). */
int jsep_for_each_remote_candidate(const sansrtc_sdp *sdp,
                                   const jsep_remote *remote,
                                   int (*fn)(void *user, const char *line),
                                   void *user);

#endif
