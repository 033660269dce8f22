/*
 * sansrtc/peer.h - the sans-I/O peer connection: ICE, DTLS, SCTP and data
 * channels behind one object, negotiated by SDP offer/answer (JSEP,
 * RFC 8829) the way browsers do it.
 *
 * Like every core object it does no I/O and reads no clock. The caller:
 *   - feeds datagrams it received (sansrtc_pc_handle_datagram) and the time
 *     when the deadline passes (sansrtc_pc_handle_timeout);
 *   - after every call, drains datagrams to send (sansrtc_pc_poll_transmit,
 *     each with the local address to send from and the remote address),
 *     events (sansrtc_pc_poll_event) and the next deadline
 *     (sansrtc_pc_next_deadline);
 *   - gathers local candidates (it owns the sockets) and hands them in with
 *     sansrtc_pc_add_local_candidate, then sansrtc_pc_end_of_local_candidates;
 *   - carries descriptions and candidates to the peer over its signaling.
 *
 * States follow the W3C RTCPeerConnection: signaling state, ICE gathering
 * state, ICE connection state, DTLS transport state and the aggregate
 * connection state, each reported by an event when it changes. A call made
 * in the wrong state returns SANSRTC_ERR_INVALID_STATE and changes nothing
 * (W3C's InvalidStateError).
 *
 * Data channels are named by a handle the peer connection assigns (1, 2, ...,
 * never reused by one peer connection); the SCTP stream id, which may not be
 * known when a channel is created (it depends on the DTLS role the answer
 * decides), is sansrtc_pc_channel_id.
 *
 * Ownership: sansrtc_pc_new allocates, sansrtc_pc_del frees everything.
 * Events are plain values; a message's bytes are copied into the caller's
 * buffer; nothing handed out needs freeing, so closing early loses nothing.
 * Thread-safety: one thread at a time per peer connection (the threads
 * layer gives each its own thread); different peer connections are
 * independent.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_PEER_H
#define SANSRTC_PEER_H

#include <sansrtc/common.h>
#include <sansrtc/datachannel.h>
#include <sansrtc/dtls.h>
#include <sansrtc/ice.h>
#include <sansrtc/sctp.h>
#include <sansrtc/sdp.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sansrtc_pc sansrtc_pc;

/* ---- configuration ------------------------------------------------------ */

typedef struct sansrtc_pc_config {
  /* The DTLS certificate; NULL generates an ECDSA P-256 one valid from a
   * day before `cert_unix_time` (seconds since 1970; the core reads no
   * clock) for 30 days. The peer connection keeps its own reference. */
  const sansrtc_dtls_cert *cert;
  int64_t cert_unix_time;
  /* Tuning of the layers. Fields the peer connection decides are ignored:
   * ice.role and credentials, dtls.role and cert, sctp ports and the
   * remote maximum message size, datachannels dtls_client. */
  sansrtc_ice_config ice;
  sansrtc_dtls_config dtls;
  sansrtc_sctp_config sctp;
  sansrtc_datachannels_config datachannels;
  /* Early DTLS datagrams (a ClientHello that arrives before the answer
   * that decides our role) are held, up to this many bytes. */
  size_t max_early_dtls_bytes;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
  sansrtc_random_fn random_fn; /* NULL: OpenSSL RAND_bytes */
  void *random_user_data;
} sansrtc_pc_config;

/* Defaults of every layer, a generated certificate (cert_unix_time 0:
 * set it), 16 KiB of early DTLS, no logging. */
SANSRTC_API void sansrtc_pc_config_default(sansrtc_pc_config *cfg);

/*
 * Creates a peer connection (signaling state stable, everything new).
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_CRYPTO (certificate or randomness).
 */
SANSRTC_API int sansrtc_pc_new(sansrtc_pc **out, const sansrtc_pc_config *cfg);

/* Frees the peer connection and everything it holds, sending nothing
 * (call sansrtc_pc_close and drain first to tell the peer). NULL is
 * allowed. */
SANSRTC_API void sansrtc_pc_del(sansrtc_pc *pc);

/* ---- offer/answer -------------------------------------------------------- */

typedef enum sansrtc_sdp_type {
  SANSRTC_SDP_OFFER = 0,
  SANSRTC_SDP_ANSWER = 1
} sansrtc_sdp_type;

typedef enum sansrtc_signaling_state {
  SANSRTC_SIGNALING_STABLE = 0,
  SANSRTC_SIGNALING_HAVE_LOCAL_OFFER,
  SANSRTC_SIGNALING_HAVE_REMOTE_OFFER,
  SANSRTC_SIGNALING_CLOSED
} sansrtc_signaling_state;

/*
 * Writes an offer (or, in have-remote-offer, an answer) as SDP text with a
 * trailing NUL into buf/cap; *len gets its length, or the length needed
 * with SANSRTC_ERR_BUFFER_TOO_SMALL (call with cap 0 to size a buffer).
 * The description holds one data-channel section (BUNDLE, rtcp-mux is
 * moot without media) with the local ICE credentials, fingerprint,
 * a=setup (actpass in offers, active in answers), SCTP port and maximum
 * message size, and the local candidates gathered so far. It changes no
 * state: apply it with sansrtc_pc_set_local_description. An answer accepts
 * the offer's data section in the offer's form and rejects every other
 * section with port 0.
 * Returns SANSRTC_OK, SANSRTC_ERR_BUFFER_TOO_SMALL,
 * SANSRTC_ERR_INVALID_STATE (offer: not stable; answer: not
 * have-remote-offer; or closed), SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_pc_create_offer(sansrtc_pc *pc, char *buf, size_t cap,
                                        size_t *len);
SANSRTC_API int sansrtc_pc_create_answer(sansrtc_pc *pc, char *buf,
                                         size_t cap, size_t *len);

/*
 * Applies a local description made by create_offer / create_answer (its
 * ICE credentials and fingerprint must be this peer connection's). An
 * offer moves stable to have-local-offer; an answer moves
 * have-remote-offer to stable and fixes the DTLS role. ICE gathering
 * starts (gathering state "gathering") with the first local description.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_STATE (wrong signaling state),
 * SANSRTC_ERR_MALFORMED (not SDP, or not ours; `err` says where, if not
 * NULL), SANSRTC_ERR_NOMEM or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_pc_set_local_description(sansrtc_pc *pc,
                                                 sansrtc_sdp_type type,
                                                 const char *sdp, size_t len,
                                                 sansrtc_tstamp now,
                                                 sansrtc_sdp_error *err);

/*
 * Applies the peer's description. An offer moves stable to
 * have-remote-offer (an offer in have-local-offer is glare and is refused
 * with SANSRTC_ERR_INVALID_STATE; roll back is not supported yet); an
 * answer moves have-local-offer to stable and fixes the DTLS role. Its ICE
 * credentials, candidates, end-of-candidates, fingerprint, setup, SCTP
 * port and maximum message size are applied.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_STATE, SANSRTC_ERR_MALFORMED
 * (bad SDP, a missing or bad attribute, a=setup that conflicts; `err` says
 * which), SANSRTC_ERR_NOT_FOUND (no data-channel section: this version
 * negotiates data channels only), SANSRTC_ERR_UNSUPPORTED (different ICE
 * credentials, an ICE restart, not supported yet), SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_pc_set_remote_description(sansrtc_pc *pc,
                                                  sansrtc_sdp_type type,
                                                  const char *sdp, size_t len,
                                                  sansrtc_tstamp now,
                                                  sansrtc_sdp_error *err);

SANSRTC_API sansrtc_signaling_state
sansrtc_pc_signaling_state(const sansrtc_pc *pc);

/* ---- candidates ----------------------------------------------------------- */

/*
 * A trickled remote candidate: "candidate:..." or "a=candidate:..." (the
 * W3C RTCIceCandidate.candidate string); NULL or "" signals the peer's
 * end-of-candidates. `mid` (may be NULL) must name the data section when
 * given; candidates for other sections are ignored. Candidates that arrive
 * before the remote description are kept and applied with it.
 * Returns SANSRTC_OK, SANSRTC_ERR_MALFORMED, SANSRTC_ERR_INVALID_STATE
 * (closed), SANSRTC_ERR_LIMIT or SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_pc_add_remote_candidate(sansrtc_pc *pc,
                                                const char *mid,
                                                const char *candidate,
                                                sansrtc_tstamp now);

/*
 * A local candidate the caller gathered (its socket's address; priority
 * and foundation are filled in when 0/empty). It is reported back as a
 * LOCAL_CANDIDATE event with its SDP form, to be sent to the peer, and is
 * included in descriptions created afterwards. Allowed before or after the
 * local description. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT,
 * SANSRTC_ERR_UNSUPPORTED, SANSRTC_ERR_LIMIT, SANSRTC_ERR_INVALID_STATE
 * (closed, or after end_of_local_candidates) or SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_pc_add_local_candidate(sansrtc_pc *pc,
                                               const sansrtc_ice_candidate *c,
                                               sansrtc_tstamp now);

/*
 * A STUN server (numeric address) to learn server-reflexive candidates
 * from (see sansrtc_ice_agent_add_stun_server): each one learnt is added
 * and reported as a LOCAL_CANDIDATE event. Call before
 * end_of_local_candidates. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT,
 * SANSRTC_ERR_LIMIT or SANSRTC_ERR_INVALID_STATE (closed, or after
 * end_of_local_candidates).
 */
SANSRTC_API int sansrtc_pc_add_stun_server(sansrtc_pc *pc,
                                           const sansrtc_addr *server,
                                           sansrtc_tstamp now);

/* 1 once every local candidate is known (end_of_local_candidates was
 * called and every STUN server answered or was given up), whether or not
 * a local description is set yet; 0 before. A description created then
 * lists every candidate and a=end-of-candidates. */
SANSRTC_API int sansrtc_pc_local_candidates_complete(const sansrtc_pc *pc);

/* The caller has no more local candidates. Gathering is complete (state
 * "complete" once a local description is set, a=end-of-candidates in
 * later descriptions) when, in addition, every STUN server has answered
 * or been given up (up to 3 s). Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_STATE (closed). */
SANSRTC_API int sansrtc_pc_end_of_local_candidates(sansrtc_pc *pc,
                                                   sansrtc_tstamp now);

/* ---- data channels --------------------------------------------------------- */

/*
 * Creates a data channel (all options of sansrtc_dc_init; `negotiated`
 * channels need an id). Its handle goes to *handle. Before the first
 * negotiation this raises NEGOTIATION_NEEDED. An in-band channel gets its
 * stream id when the DTLS role is known, and opens (CHANNEL_OPEN) once
 * the association is up and the peer acknowledged it. Sending is allowed
 * as soon as the stream id is known (messages wait until the channel is
 * up).
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_LIMIT,
 * SANSRTC_ERR_INVALID_STATE (closed, or a negotiated id already used) or
 * SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_pc_create_data_channel(sansrtc_pc *pc,
                                               const sansrtc_dc_init *init,
                                               uint32_t *handle);

/* The channel's SCTP stream id, or -1 while it is not known (or the
 * handle is unknown). */
SANSRTC_API int32_t sansrtc_pc_channel_id(const sansrtc_pc *pc,
                                          uint32_t handle);

/* Label and protocol (owned by the peer connection, valid while the
 * channel exists), or NULL for an unknown handle. */
SANSRTC_API const char *sansrtc_pc_channel_label(const sansrtc_pc *pc,
                                                 uint32_t handle);
SANSRTC_API const char *sansrtc_pc_channel_protocol(const sansrtc_pc *pc,
                                                    uint32_t handle);

/*
 * Sends a message (binary or string; empty allowed). Returns SANSRTC_OK,
 * SANSRTC_ERR_NOT_FOUND (unknown handle), SANSRTC_ERR_INVALID_STATE (no
 * stream id yet, closing or closed), SANSRTC_ERR_INVALID_ARGUMENT (larger
 * than the peer's maximum message size) or SANSRTC_ERR_LIMIT (the
 * channel's buffer limit). Messages queued with sansrtc_pc_send_more, on
 * any channel, go out with it.
 */
SANSRTC_API int sansrtc_pc_send(sansrtc_pc *pc, uint32_t handle,
                                const uint8_t *data, size_t len, int binary);

/*
 * As sansrtc_pc_send, but the message waits in its channel's queue for the
 * next sansrtc_pc_send or sansrtc_pc_flush, so that a burst of small
 * messages shares SCTP packets (and DTLS records and datagrams) instead of
 * taking one each. Same returns as sansrtc_pc_send. The queue is also
 * pushed out whenever the connection processes an incoming datagram.
 */
SANSRTC_API int sansrtc_pc_send_more(sansrtc_pc *pc, uint32_t handle,
                                     const uint8_t *data, size_t len,
                                     int binary);

/* Sends what sansrtc_pc_send_more queued, as far as SCTP has room.
 * Returns SANSRTC_OK or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_pc_flush(sansrtc_pc *pc);

/* Bytes accepted by sansrtc_pc_send not yet handed to SCTP (0 for an
 * unknown handle). */
SANSRTC_API size_t sansrtc_pc_buffered_amount(const sansrtc_pc *pc,
                                              uint32_t handle);

/* Sets the level for the BUFFERED_LOW event. Returns SANSRTC_OK,
 * SANSRTC_ERR_NOT_FOUND or SANSRTC_ERR_INVALID_STATE (no stream id yet). */
SANSRTC_API int sansrtc_pc_set_buffered_amount_low_threshold(sansrtc_pc *pc,
                                                             uint32_t handle,
                                                             size_t bytes);

/* Closes a channel (CHANNEL_CLOSING, then CHANNEL_CLOSED when both sides
 * are done; a channel that never got a stream id closes at once).
 * Returns SANSRTC_OK or SANSRTC_ERR_NOT_FOUND. */
SANSRTC_API int sansrtc_pc_close_channel(sansrtc_pc *pc, uint32_t handle);

/* ---- datagrams and time ------------------------------------------------------ */

/*
 * Feeds a datagram received on `local` from `remote`. STUN goes to ICE,
 * DTLS to the DTLS endpoint (held if it comes before the role is known),
 * anything else is counted and dropped. Returns SANSRTC_OK when the
 * datagram was taken (including held or ignored); an error code when it
 * was rejected (e.g. a STUN check with a wrong password), which changes
 * nothing; SANSRTC_ERR_INVALID_STATE when closed.
 */
SANSRTC_API int sansrtc_pc_handle_datagram(sansrtc_pc *pc,
                                           const sansrtc_addr *local,
                                           const sansrtc_addr *remote,
                                           const uint8_t *data, size_t len,
                                           sansrtc_tstamp now);

/* Runs what is due at `now`. Returns SANSRTC_OK (or SANSRTC_ERR_NOMEM). */
SANSRTC_API int sansrtc_pc_handle_timeout(sansrtc_pc *pc, sansrtc_tstamp now);

/* The earliest time handle_timeout is needed, or SANSRTC_TSTAMP_NEVER. */
SANSRTC_API sansrtc_tstamp sansrtc_pc_next_deadline(const sansrtc_pc *pc);

/*
 * The next datagram to send: copied into buf/cap (1500 is always enough),
 * with the local address to send it from and the destination. Returns 1,
 * 0 when there is none, or SANSRTC_ERR_BUFFER_TOO_SMALL /
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_pc_poll_transmit(sansrtc_pc *pc, uint8_t *buf,
                                         size_t cap, size_t *len,
                                         sansrtc_addr *local,
                                         sansrtc_addr *remote);

/* A queued datagram seen where it lies (sansrtc_pc_peek_transmit). */
typedef struct sansrtc_pc_datagram {
  const uint8_t *data; /* inside the connection's queue */
  size_t len;
  sansrtc_addr local, remote;
} sansrtc_pc_datagram;

/*
 * The same datagrams as sansrtc_pc_poll_transmit, without copying: fills
 * out[0..max) with the oldest queued ones in order and returns how many (0
 * when none or on NULL arguments). The pointers stay valid until the next
 * call on `pc` other than this one; the datagrams stay queued until
 * sansrtc_pc_consume_transmit removes them. For a caller that hands a
 * batch to sendmmsg().
 */
SANSRTC_API size_t sansrtc_pc_peek_transmit(sansrtc_pc *pc, sansrtc_pc_datagram *out,
                                           size_t max);

/* Removes the `n` oldest queued datagrams (sent, or given up on); more
 * than are queued removes all. NULL is ignored. */
SANSRTC_API void sansrtc_pc_consume_transmit(sansrtc_pc *pc, size_t n);

/* ---- states and events ----------------------------------------------------- */

typedef enum sansrtc_gathering_state {
  SANSRTC_GATHERING_NEW = 0,
  SANSRTC_GATHERING_GATHERING,
  SANSRTC_GATHERING_COMPLETE
} sansrtc_gathering_state;

/*
 * The connection state, as the W3C RTCPeerConnectionState, with one
 * difference: CLOSED also follows the peer's DTLS close_notify (its
 * close() or a graceful shutdown), since nothing can flow afterwards;
 * error_text stays "" then. W3C browsers stay "connected" until consent
 * expires.
 */
typedef enum sansrtc_pc_state {
  SANSRTC_PC_STATE_NEW = 0,
  SANSRTC_PC_STATE_CONNECTING,
  SANSRTC_PC_STATE_CONNECTED,
  SANSRTC_PC_STATE_DISCONNECTED,
  SANSRTC_PC_STATE_FAILED,
  SANSRTC_PC_STATE_CLOSED
} sansrtc_pc_state;

SANSRTC_API const char *sansrtc_signaling_state_name(sansrtc_signaling_state s);
SANSRTC_API const char *sansrtc_gathering_state_name(sansrtc_gathering_state s);
SANSRTC_API const char *sansrtc_pc_state_name(sansrtc_pc_state s);

SANSRTC_API sansrtc_pc_state sansrtc_pc_connection_state(const sansrtc_pc *pc);
SANSRTC_API sansrtc_ice_state sansrtc_pc_ice_connection_state(const sansrtc_pc *pc);
SANSRTC_API sansrtc_gathering_state sansrtc_pc_gathering_state(const sansrtc_pc *pc);
SANSRTC_API sansrtc_dtls_state sansrtc_pc_dtls_state(const sansrtc_pc *pc);

/* The largest message the peer accepts: its a=max-message-size (65536
 * when absent, RFC 8841), with "any size" and anything larger taken as
 * 64 MiB. 0 before a remote description is applied. */
SANSRTC_API size_t sansrtc_pc_remote_max_message_size(const sansrtc_pc *pc);

/* The selected candidate pair (the local address datagrams leave from and
 * the remote one). Returns SANSRTC_OK, or SANSRTC_ERR_NOT_FOUND when none
 * is selected. */
SANSRTC_API int sansrtc_pc_selected_pair(const sansrtc_pc *pc,
                                         sansrtc_addr *local,
                                         sansrtc_addr *remote);

/* Why the connection failed (DTLS alert, fingerprint mismatch, ICE
 * failure), or "" when it did not. Owned by the peer connection. */
SANSRTC_API const char *sansrtc_pc_error_text(const sansrtc_pc *pc);

typedef enum sansrtc_pc_event_type {
  SANSRTC_PC_EVENT_SIGNALING_STATE = 1, /* .state: sansrtc_signaling_state */
  SANSRTC_PC_EVENT_GATHERING_STATE,     /* .state: sansrtc_gathering_state */
  SANSRTC_PC_EVENT_ICE_STATE,           /* .state: sansrtc_ice_state */
  SANSRTC_PC_EVENT_DTLS_STATE,          /* .state: sansrtc_dtls_state */
  SANSRTC_PC_EVENT_CONNECTION_STATE,    /* .state: sansrtc_pc_state */
  SANSRTC_PC_EVENT_LOCAL_CANDIDATE,     /* .candidate ("candidate:..."), .mid */
  SANSRTC_PC_EVENT_NEGOTIATION_NEEDED,
  SANSRTC_PC_EVENT_DATA_CHANNEL,        /* .channel: the peer opened it */
  SANSRTC_PC_EVENT_CHANNEL_OPEN,        /* .channel */
  SANSRTC_PC_EVENT_MESSAGE,             /* .channel, .binary, .len (buf) */
  SANSRTC_PC_EVENT_BUFFERED_LOW,        /* .channel */
  SANSRTC_PC_EVENT_CHANNEL_CLOSING,     /* .channel */
  SANSRTC_PC_EVENT_CHANNEL_CLOSED,      /* .channel: the handle is gone */
  SANSRTC_PC_EVENT_CHANNEL_ERROR        /* .channel */
} sansrtc_pc_event_type;

/* An event: a plain value, nothing to free. */
typedef struct sansrtc_pc_event {
  sansrtc_pc_event_type type;
  int state;
  uint32_t channel;
  int binary;
  size_t len;
  char mid[33];
  char candidate[SANSRTC_ICE_CANDIDATE_STRLEN];
} sansrtc_pc_event;

/*
 * Takes the next event. A MESSAGE's bytes go to buf/cap (the local maximum
 * message size always suffices; a smaller buffer gets
 * SANSRTC_ERR_BUFFER_TOO_SMALL and the event stays). A CHANNEL_CLOSED
 * channel's handle is forgotten once the event is taken. Returns 1, 0 when
 * there is none, or an error code.
 */
SANSRTC_API int sansrtc_pc_poll_event(sansrtc_pc *pc, sansrtc_pc_event *ev,
                                      uint8_t *buf, size_t cap);

/* ---- closing --------------------------------------------------------------- */

/*
 * Closes the connection: channels close, the SCTP association is aborted
 * and DTLS sends close_notify (drain poll_transmit to send them), ICE
 * stops; every state becomes closed (events report it). Idempotent.
 */
SANSRTC_API void sansrtc_pc_close(sansrtc_pc *pc, sansrtc_tstamp now);

/*
 * Closes gracefully: SCTP SHUTDOWN, which completes only after everything
 * handed to SCTP has been delivered and acknowledged; when the association
 * has closed (at once when there is none) the connection closes as with
 * sansrtc_pc_close (DTLS close_notify, every state closed). Messages still
 * queued in channels that were not closed first are not sent: close the
 * channels and wait for CHANNEL_CLOSED before. A caller that cannot wait
 * calls sansrtc_pc_close when its own time limit passes. Idempotent.
 */
SANSRTC_API void sansrtc_pc_shutdown(sansrtc_pc *pc, sansrtc_tstamp now);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_PEER_H */
