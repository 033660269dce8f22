/*
 * sansrtc/ice.h - ICE candidates (RFC 8839 SDP syntax) and the sans-I/O ICE
 * agent (RFC 8445, trickle RFC 8838, consent freshness RFC 7675).
 *
 * The agent never opens a socket, reads a clock or starts a thread. The
 * caller adds local candidates it gathered, remote candidates it received by
 * signaling, feeds every STUN datagram with its 5-tuple and the time, and
 * after each call drains the agent: datagrams to send
 * (sansrtc_ice_agent_poll_transmit), events (sansrtc_ice_agent_poll_event),
 * and the next deadline (sansrtc_ice_agent_next_deadline), at which it calls
 * sansrtc_ice_agent_handle_timeout.
 *
 * Thread-safety: an agent is not thread-safe; use it from one thread at a
 * time. Different agents are independent. Candidate functions are pure.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_ICE_H
#define SANSRTC_ICE_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Candidates                                                               */
/* ------------------------------------------------------------------------ */

typedef enum sansrtc_ice_candidate_type {
  SANSRTC_ICE_CANDIDATE_HOST = 0,
  SANSRTC_ICE_CANDIDATE_SRFLX = 1,
  SANSRTC_ICE_CANDIDATE_PRFLX = 2,
  SANSRTC_ICE_CANDIDATE_RELAY = 3
} sansrtc_ice_candidate_type;

typedef enum sansrtc_ice_transport {
  SANSRTC_ICE_TRANSPORT_UDP = 0,
  SANSRTC_ICE_TRANSPORT_TCP = 1
} sansrtc_ice_transport;

typedef enum sansrtc_ice_tcptype {
  SANSRTC_ICE_TCPTYPE_NONE = 0,
  SANSRTC_ICE_TCPTYPE_ACTIVE = 1,
  SANSRTC_ICE_TCPTYPE_PASSIVE = 2,
  SANSRTC_ICE_TCPTYPE_SO = 3
} sansrtc_ice_tcptype;

#define SANSRTC_ICE_FOUNDATION_MAX 32 /* characters, RFC 8839 */
#define SANSRTC_ICE_HOSTNAME_MAX 253  /* characters of an FQDN */
/* Longest line sansrtc_ice_candidate_format writes, NUL included. */
#define SANSRTC_ICE_CANDIDATE_STRLEN 512

/*
 * One candidate. `addr` holds the IP and port; when the candidate line gave
 * a host name instead of an IP (e.g. an mDNS "<uuid>.local" name), `hostname`
 * holds it NUL-terminated, `addr.family` is SANSRTC_AF_NONE and `addr.port`
 * still holds the port. `related` is raddr/rport (family NONE when absent).
 * A plain value: copy it freely, nothing to free.
 */
typedef struct sansrtc_ice_candidate {
  char foundation[SANSRTC_ICE_FOUNDATION_MAX + 1];
  uint16_t component; /* 1 (RTP/everything with rtcp-mux) or 2 */
  sansrtc_ice_transport transport;
  uint32_t priority;
  sansrtc_addr addr;
  char hostname[SANSRTC_ICE_HOSTNAME_MAX + 1];
  sansrtc_ice_candidate_type type;
  sansrtc_addr related;
  sansrtc_ice_tcptype tcptype;
} sansrtc_ice_candidate;

/*
 * Parses one SDP candidate attribute into `out`. Accepted forms:
 * "a=candidate:...", "candidate:..." (the W3C RTCIceCandidate.candidate
 * form) and the bare value after "candidate:"; a trailing CR/LF is ignored.
 * Transport and "typ" values are case-insensitive; unknown extension
 * attributes (generation, ufrag, network-id, network-cost, ...) are skipped.
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT for NULL arguments;
 * SANSRTC_ERR_MALFORMED for a line that does not follow RFC 8839 grammar
 * (bad foundation, component, priority, port, address or type);
 * SANSRTC_ERR_UNSUPPORTED for a well-formed line with a transport other than
 * UDP or TCP. `out` is written only on success.
 */
SANSRTC_API int sansrtc_ice_candidate_parse(sansrtc_ice_candidate *out,
                                            const char *line);

/*
 * Writes `c` as "candidate:<foundation> <component> udp|tcp <priority>
 * <address> <port> typ <type> [raddr <a> rport <p>] [tcptype <t>]" (no "a="
 * prefix, no CRLF) into `buf`. Returns the length written (excluding NUL), or
 * SANSRTC_ERR_BUFFER_TOO_SMALL / SANSRTC_ERR_INVALID_ARGUMENT.
 * SANSRTC_ICE_CANDIDATE_STRLEN bytes are always enough.
 */
SANSRTC_API int sansrtc_ice_candidate_format(const sansrtc_ice_candidate *c,
                                             char *buf, size_t len);

/* Static name of a type: "host", "srflx", "prflx", "relay". */
SANSRTC_API const char *
sansrtc_ice_candidate_type_name(sansrtc_ice_candidate_type type);

/*
 * Candidate priority (RFC 8445 5.1.2.1): (2^24) * type preference +
 * (2^8) * local preference + (256 - component). Type preferences are
 * host 126, prflx 110, srflx 100, relay 0.
 */
SANSRTC_API uint32_t sansrtc_ice_candidate_priority(
    sansrtc_ice_candidate_type type, uint16_t local_preference,
    uint16_t component);

/* ------------------------------------------------------------------------ */
/* Agent                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct sansrtc_ice_agent sansrtc_ice_agent;

typedef enum sansrtc_ice_role {
  SANSRTC_ICE_CONTROLLED = 0,
  SANSRTC_ICE_CONTROLLING = 1
} sansrtc_ice_role;

/* W3C RTCIceConnectionState values. */
typedef enum sansrtc_ice_state {
  SANSRTC_ICE_STATE_NEW = 0,
  SANSRTC_ICE_STATE_CHECKING,
  SANSRTC_ICE_STATE_CONNECTED,
  SANSRTC_ICE_STATE_COMPLETED,
  SANSRTC_ICE_STATE_DISCONNECTED,
  SANSRTC_ICE_STATE_FAILED,
  SANSRTC_ICE_STATE_CLOSED
} sansrtc_ice_state;

/* Static name of a state: "new", "checking", ... */
SANSRTC_API const char *sansrtc_ice_state_name(sansrtc_ice_state state);

#define SANSRTC_ICE_UFRAG_MAX 256 /* characters, RFC 8839 */
#define SANSRTC_ICE_PWD_MAX 256

/*
 * Agent configuration. Fill it with sansrtc_ice_config_default() and change
 * what you need; the agent copies it (strings included) on creation.
 */
typedef struct sansrtc_ice_config {
  sansrtc_ice_role role;
  /* Local credentials; NULL generates random ones (8-char ufrag, 24-char
   * password). Otherwise ufrag 4..256 and pwd 22..256 ice-chars. */
  const char *local_ufrag;
  const char *local_pwd;
  /* Role-conflict tie-breaker; 0 draws a random one. */
  uint64_t tie_breaker;
  /* Pacing interval between new connectivity checks (Ta). */
  sansrtc_tstamp check_interval;
  /* First retransmission timeout of a check; doubles per retransmission up
   * to check_rto_max. A check is abandoned after check_max_transmissions. */
  sansrtc_tstamp check_rto;
  sansrtc_tstamp check_rto_max;
  unsigned check_max_transmissions;
  /* Controlling agent: how long to wait after the first valid pair for a
   * better one before nominating. The best possible pair is nominated at
   * once. */
  sansrtc_tstamp nomination_delay;
  /* Consent freshness (RFC 7675): a check every consent_interval (jittered
   * 0.8..1.2x); DISCONNECTED after disconnected_timeout without a
   * response, FAILED after consent_timeout. */
  sansrtc_tstamp consent_interval;
  sansrtc_tstamp disconnected_timeout;
  sansrtc_tstamp consent_timeout;
  /* FAILED when no pair has become valid this long after checking started
   * (covers peers that never send end-of-candidates). */
  sansrtc_tstamp checking_timeout;
  /* Limits: remote candidates kept, candidate pairs, local candidates. */
  unsigned max_remote_candidates;
  unsigned max_pairs;
  unsigned max_local_candidates;
  /* SOFTWARE attribute value, or NULL for none. */
  const char *software;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
  sansrtc_random_fn random_fn; /* NULL: OpenSSL RAND_bytes */
  void *random_user_data;
} sansrtc_ice_config;

/* Fills `cfg` with the defaults: controlled, random credentials, Ta 20 ms,
 * RTO 250 ms doubling to 2 s, 7 transmissions, nomination delay 100 ms,
 * consent every 5 s, disconnected at 8 s, failed at 30 s, checking timeout
 * 30 s, 32 remote candidates, 64 pairs, 16 local candidates, no logging. */
SANSRTC_API void sansrtc_ice_config_default(sansrtc_ice_config *cfg);

/*
 * Creates an agent into *out. The caller owns it and frees it with
 * sansrtc_ice_agent_del. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT
 * (NULL, bad credentials, zero limits), SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_CRYPTO (no randomness).
 */
SANSRTC_API int sansrtc_ice_agent_new(sansrtc_ice_agent **out,
                                      const sansrtc_ice_config *cfg);

/* Frees the agent and everything it holds. NULL is allowed. */
SANSRTC_API void sansrtc_ice_agent_del(sansrtc_ice_agent *agent);

/* Local credentials: NUL-terminated strings owned by the agent, valid until
 * it is deleted. */
SANSRTC_API const char *sansrtc_ice_agent_local_ufrag(const sansrtc_ice_agent *agent);
SANSRTC_API const char *sansrtc_ice_agent_local_pwd(const sansrtc_ice_agent *agent);

SANSRTC_API sansrtc_ice_role sansrtc_ice_agent_role(const sansrtc_ice_agent *agent);

/* Sets the role before checking starts (a peer connection learns it from
 * offer/answer after it created the agent). Returns SANSRTC_OK,
 * SANSRTC_ERR_INVALID_ARGUMENT or SANSRTC_ERR_INVALID_STATE (remote
 * credentials already set, or closed). */
SANSRTC_API int sansrtc_ice_agent_set_role(sansrtc_ice_agent *agent,
                                           sansrtc_ice_role role);
SANSRTC_API sansrtc_ice_state sansrtc_ice_agent_state(const sansrtc_ice_agent *agent);

/*
 * Sets the remote ufrag/pwd (from the remote description). Checks start once
 * these and at least one usable pair exist. Setting the same values again is
 * a no-op; different values while checking are an ICE restart, which this
 * version refuses with SANSRTC_ERR_INVALID_STATE.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (bad ice-chars or
 * length), SANSRTC_ERR_INVALID_STATE (closed, or different credentials).
 */
SANSRTC_API int sansrtc_ice_agent_set_remote_credentials(
    sansrtc_ice_agent *agent, const char *ufrag, const char *pwd,
    sansrtc_tstamp now);

/*
 * Adds a local candidate the caller gathered. `cand->addr` must be a
 * numeric address; for srflx and relay candidates `cand->related` must be
 * the base (the local address datagrams for it are sent from). When
 * `cand->priority` is 0 the agent computes it, and when `cand->foundation`
 * is empty it derives one. The completed candidate is reported as a
 * SANSRTC_ICE_EVENT_LOCAL_CANDIDATE event, ready for signaling.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_UNSUPPORTED
 * (TCP, or a hostname address), SANSRTC_ERR_LIMIT (max_local_candidates),
 * SANSRTC_ERR_INVALID_STATE (closed, or after gathering_done) or
 * SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_ice_agent_add_local_candidate(
    sansrtc_ice_agent *agent, const sansrtc_ice_candidate *cand,
    sansrtc_tstamp now);

#define SANSRTC_ICE_MAX_STUN_SERVERS 4

/*
 * Adds a STUN server (RFC 8489) to learn server-reflexive candidates from:
 * from every host candidate of the server's address family, added before
 * or after, the agent sends a Binding request (sent at 0, 200, 600 and
 * 1400 ms, given up at 3 s; no credentials). A success response whose
 * (XOR-)MAPPED-ADDRESS is not already a local candidate becomes a srflx
 * candidate with the host candidate as its base, reported like any other
 * (SANSRTC_ICE_EVENT_LOCAL_CANDIDATE). Responses must come from the
 * server's address to the host candidate's; others are ignored. Gathering
 * is done (SANSRTC_ICE_EVENT_GATHERING_DONE) only when the caller has said
 * so and every server has answered or been given up.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (not a numeric IPv4/IPv6
 * address with a port), SANSRTC_ERR_LIMIT (SANSRTC_ICE_MAX_STUN_SERVERS)
 * or SANSRTC_ERR_INVALID_STATE (closed, or after gathering_done).
 */
SANSRTC_API int sansrtc_ice_agent_add_stun_server(sansrtc_ice_agent *agent,
                                                  const sansrtc_addr *server,
                                                  sansrtc_tstamp now);

/* Tells the agent local gathering is complete. It emits
 * SANSRTC_ICE_EVENT_GATHERING_DONE then, or when the last STUN server
 * transaction ends. Returns SANSRTC_OK or SANSRTC_ERR_INVALID_STATE when
 * closed. */
SANSRTC_API int sansrtc_ice_agent_gathering_done(sansrtc_ice_agent *agent,
                                                 sansrtc_tstamp now);

/*
 * Adds a remote candidate (whole description or trickled). Candidates the
 * agent cannot use (TCP, host names such as mDNS ".local" names, a family no
 * local candidate has, a duplicate) are accepted and ignored: the function
 * returns SANSRTC_OK and counts them in stats.remote_candidates_ignored, and
 * the connection can still come up through peer-reflexive candidates.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT,
 * SANSRTC_ERR_INVALID_STATE (closed) or SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_ice_agent_add_remote_candidate(
    sansrtc_ice_agent *agent, const sansrtc_ice_candidate *cand,
    sansrtc_tstamp now);

/* The remote side signaled end-of-candidates. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_STATE when closed. */
SANSRTC_API int sansrtc_ice_agent_end_of_remote_candidates(
    sansrtc_ice_agent *agent, sansrtc_tstamp now);

/*
 * Feeds one received datagram that is STUN (see sansrtc_stun_is_stun),
 * received on `local` from `remote` at `now`. Answers binding requests,
 * matches responses, learns peer-reflexive candidates.
 * Returns SANSRTC_OK when the datagram was accepted (a role conflict
 * answered 487 counts as accepted). Otherwise the datagram was rejected and
 * the return says why; a rejected request may still have been answered with
 * an error response (400, 401 or 420), which poll_transmit yields:
 * SANSRTC_ERR_NOT_STUN; SANSRTC_ERR_MALFORMED (undecodable, or a request
 * without USERNAME, MESSAGE-INTEGRITY or PRIORITY); SANSRTC_ERR_UNSUPPORTED
 * (not a Binding message, or unknown comprehension-required attributes);
 * SANSRTC_ERR_AUTH (wrong USERNAME); SANSRTC_ERR_INTEGRITY (wrong
 * MESSAGE-INTEGRITY); SANSRTC_ERR_FINGERPRINT; SANSRTC_ERR_NOT_FOUND (a
 * response to no transaction of ours); SANSRTC_ERR_INVALID_ARGUMENT;
 * SANSRTC_ERR_INVALID_STATE (closed); SANSRTC_ERR_NOMEM. Every rejection is
 * counted in the stats; none changes the agent's state.
 */
SANSRTC_API int sansrtc_ice_agent_handle_stun(sansrtc_ice_agent *agent,
                                              const sansrtc_addr *local,
                                              const sansrtc_addr *remote,
                                              const uint8_t *data, size_t len,
                                              sansrtc_tstamp now);

/* Runs what is due at `now` (paced checks, retransmissions, consent,
 * timeouts). Call it when the deadline passes; calling it early is
 * harmless. Returns SANSRTC_OK (or SANSRTC_ERR_NOMEM). */
SANSRTC_API int sansrtc_ice_agent_handle_timeout(sansrtc_ice_agent *agent,
                                                 sansrtc_tstamp now);

/* The earliest time the agent needs handle_timeout, or SANSRTC_TSTAMP_NEVER.
 * Pending transmissions or events do not count: drain those first. */
SANSRTC_API sansrtc_tstamp sansrtc_ice_agent_next_deadline(
    const sansrtc_ice_agent *agent);

/*
 * Copies the next datagram to send into `buf` (`cap` bytes; 1280 is always
 * enough), its length into *len and its 5-tuple into *local (the address to
 * send from) and *remote. Returns 1 when a datagram was produced, 0 when
 * there is nothing to send, or SANSRTC_ERR_BUFFER_TOO_SMALL (the datagram
 * stays queued) / SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_ice_agent_poll_transmit(sansrtc_ice_agent *agent,
                                                uint8_t *buf, size_t cap,
                                                size_t *len,
                                                sansrtc_addr *local,
                                                sansrtc_addr *remote);

typedef enum sansrtc_ice_event_type {
  SANSRTC_ICE_EVENT_STATE_CHANGE = 1,    /* .state */
  SANSRTC_ICE_EVENT_LOCAL_CANDIDATE,     /* .candidate */
  SANSRTC_ICE_EVENT_GATHERING_DONE,      /* no payload */
  SANSRTC_ICE_EVENT_SELECTED_PAIR,       /* .pair */
  SANSRTC_ICE_EVENT_ROLE_CHANGE          /* .role (after a 487 conflict) */
} sansrtc_ice_event_type;

/* An event: a plain value copied out to the caller; nothing to free. */
typedef struct sansrtc_ice_event {
  sansrtc_ice_event_type type;
  sansrtc_ice_state state;
  sansrtc_ice_role role;
  sansrtc_ice_candidate candidate;
  struct {
    sansrtc_ice_candidate local;
    sansrtc_ice_candidate remote;
  } pair;
} sansrtc_ice_event;

/* Moves the next event into *event. Returns 1 when one was produced, 0 when
 * the queue is empty, SANSRTC_ERR_INVALID_ARGUMENT for NULL. */
SANSRTC_API int sansrtc_ice_agent_poll_event(sansrtc_ice_agent *agent,
                                             sansrtc_ice_event *event);

/* The selected pair's addresses: *local is the address to send from (the
 * base) and *remote the peer. Returns SANSRTC_OK or SANSRTC_ERR_NOT_FOUND
 * when none is selected. */
SANSRTC_API int sansrtc_ice_agent_selected_pair(const sansrtc_ice_agent *agent,
                                                sansrtc_addr *local,
                                                sansrtc_addr *remote);

/* Counters for diagnosis (getStats later). */
typedef struct sansrtc_ice_stats {
  uint64_t requests_received;
  uint64_t requests_sent;       /* including retransmissions */
  uint64_t responses_received;
  uint64_t responses_sent;
  uint64_t error_responses_sent;
  uint64_t rejected_auth;       /* wrong USERNAME */
  uint64_t rejected_integrity;  /* wrong MESSAGE-INTEGRITY */
  uint64_t rejected_fingerprint;
  uint64_t rejected_malformed;
  uint64_t unmatched_responses;
  uint64_t role_conflicts;
  uint64_t remote_candidates_ignored;
  uint64_t prflx_remote_learned;
  uint64_t pairs_failed;
  uint64_t consent_requests_sent;
  uint64_t server_requests_sent;     /* to STUN servers, with resends */
  uint64_t server_responses_received;
} sansrtc_ice_stats;

/* Copies the counters into *stats. */
SANSRTC_API void sansrtc_ice_agent_stats(const sansrtc_ice_agent *agent,
                                         sansrtc_ice_stats *stats);

/* Closes the agent: state CLOSED, queued datagrams dropped, no further
 * output. Idempotent. */
SANSRTC_API void sansrtc_ice_agent_close(sansrtc_ice_agent *agent);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_ICE_H */
