/*
 * sansrtc/sansrtc.h - the threaded API: a WebRTC peer connection with
 * its own worker thread, driven by plain blocking calls.
 *
 * Each sansrtc_peer owns one worker thread, its UDP sockets and a
 * sans-I/O peer connection (sansrtc/peer.h). The worker blocks in poll()
 * on the sockets and its command mailbox with a timeout taken from the
 * core's next deadline, feeds received datagrams and the monotonic time
 * to the core, sends what the core produces and hands events to the
 * application. Application threads talk to it through two lock-protected
 * mailboxes:
 *
 *   commands  any thread -> worker. Calls that return a result (offer,
 *             answer, descriptions, candidates, channels, close) block the
 *             caller until the worker has done them. sansrtc_peer_send
 *             does not wait for the worker: it queues the message and
 *             returns, blocking only while the channel's send buffer is
 *             full and the caller asked to wait.
 *   events    worker -> application: sansrtc_peer_wait_event (blocking
 *             with a timeout, or 0 for a non-blocking check) and a file
 *             descriptor that is readable while events are queued, for
 *             programs that poll() several peers from one thread. Or, if
 *             the configuration names an event callback, the worker calls
 *             it instead and nothing is queued.
 *
 * A typical program:
 *
 *   sansrtc_peer_config cfg;
 *   sansrtc_peer_config_default(&cfg);
 *   sansrtc_peer *p;
 *   sansrtc_peer_create(&p, &cfg);
 *   uint32_t ch;
 *   sansrtc_peer_create_channel(p, "chat", NULL, &ch);
 *   char *offer;
 *   sansrtc_peer_create_offer(p, &offer);   ... send it to the other side
 *   free(offer);
 *   sansrtc_peer_set_remote_description(p, SANSRTC_SDP_ANSWER, answer);
 *   while (sansrtc_peer_wait_event(p, &ev, buf, sizeof buf, 1000) >= 0) ...
 *   sansrtc_peer_destroy(p);
 *
 * Thread-safety: every function taking a sansrtc_peer may be called from
 * any thread, concurrently with the others, except sansrtc_peer_destroy,
 * which must be the last call on that peer and must not run while another
 * thread is still inside a call on it. Different peers are independent.
 * The functions may also be called from inside the event callback (they
 * then run directly on the worker thread), except sansrtc_peer_destroy and
 * blocking sends (a send that would wait fails with SANSRTC_ERR_LIMIT).
 *
 * Memory: sansrtc_peer_create allocates the peer; sansrtc_peer_destroy
 * joins its thread and frees everything it holds, including events never
 * read and messages never sent. Strings returned through `char **` are
 * allocated with malloc and the caller frees them with free().
 *
 * Times: timeouts are milliseconds; negative means wait without limit,
 * 0 means do not wait.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SANSRTC_H
#define SANSRTC_SANSRTC_H

#include <sansrtc/common.h>
#include <sansrtc/datachannel.h>
#include <sansrtc/dtls.h>
#include <sansrtc/peer.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sansrtc_peer sansrtc_peer;

/* Called on the worker thread for each event when set in the
 * configuration (instead of queuing it). `data` holds a MESSAGE's
 * ev->len bytes and is valid only during the call. The callback must
 * return promptly: while it runs the connection does not move. */
typedef void (*sansrtc_peer_event_fn)(void *user_data, sansrtc_peer *peer,
                                      const sansrtc_pc_event *ev,
                                      const uint8_t *data);

typedef struct sansrtc_peer_config {
  /* UDP ports to bind, inclusive; 0 and 0 (the default): ephemeral. */
  uint16_t port_min, port_max;
  /* Address families to gather (both on by default). */
  int ipv4, ipv6;
  /* Interfaces to gather on: a comma-separated list of names ("eth0,lo"),
   * or NULL (the default) for every interface that is up. Link-local
   * addresses are never used. */
  const char *interfaces;
  /* Loopback addresses are gathered when this is set, or when listed in
   * `interfaces`, or when the machine has no other usable address. */
  int include_loopback;
  /* STUN servers to learn server-reflexive candidates from (a NAT's
   * public address): a comma-separated list of "host", "host:port" or
   * "[v6]:port", "stun:" prefix allowed, port 3478 by default; at most 4
   * addresses are used. Names are resolved by sansrtc_peer_create (which
   * may then block on DNS). NULL (the default): host candidates only.
   * TURN servers are not supported yet. */
  const char *stun_servers;
  /* The DTLS certificate (the peer keeps a reference); NULL generates an
   * ECDSA P-256 one. */
  const sansrtc_dtls_cert *cert;
  /* Largest message accepted (a=max-message-size), default 262144. A
   * receive buffer of this size always holds any MESSAGE event. */
  size_t max_message_size;
  /* Bytes a channel may hold queued for sending (not yet handed to SCTP)
   * before sansrtc_peer_send blocks or fails; default 4 MiB. A message
   * larger than the limit is accepted when nothing else is queued. */
  size_t send_buffer_limit;
  /* Optional event callback (see sansrtc_peer_event_fn); NULL queues
   * events for sansrtc_peer_wait_event. */
  sansrtc_peer_event_fn event_fn;
  void *event_user_data;
  /* Log messages at or above `log_level` go to log_fn, called from the
   * worker thread (and from the creating thread during create). NULL
   * log_fn: nothing is logged. */
  sansrtc_log_level log_level;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  /* The worker's stack size; default 256 KiB (threads of 8 MiB each would
   * make thousands of peers expensive in address space). */
  size_t thread_stack_size;
  /* Protocol time runs this many times slower than the clock; default 1.
   * Only for running under tools that slow a program down 20-100 times
   * (valgrind's helgrind or DRD), where retransmission, handshake and
   * consent timers would otherwise expire before the slowed-down peer
   * can answer. Every peer in a process must use the same value (usrsctp
   * keeps one clock per process), and so must the remote peer. Time limits
   * passed to API calls stay real milliseconds. At most 1000. */
  unsigned time_dilation;
} sansrtc_peer_config;

/* Fills in the defaults documented above. */
SANSRTC_API void sansrtc_peer_config_default(sansrtc_peer_config *cfg);

/*
 * Creates a peer: binds its sockets, gathers host candidates, starts
 * asking the STUN servers, and starts its worker thread. Its first
 * description lists every candidate, so no trickling is needed. Signaling state stable, nothing connected.
 * `cfg` may be NULL for the defaults; it is copied.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (including a malformed
 * STUN server list), SANSRTC_ERR_NOMEM,
 * SANSRTC_ERR_CRYPTO, SANSRTC_ERR_NOT_FOUND (no usable address on the
 * allowed interfaces, or a STUN server name that does not resolve) or
 * SANSRTC_ERR_SYSTEM (a socket, port range,
 * eventfd or the thread could not be had; errno tells which).
 */
SANSRTC_API int sansrtc_peer_create(sansrtc_peer **out,
                                    const sansrtc_peer_config *cfg);

/*
 * Stops the worker, joins it and frees everything, in any state. It sends
 * nothing: call sansrtc_peer_close first to tell the other side. NULL is
 * allowed. Must not be called from the event callback.
 */
SANSRTC_API void sansrtc_peer_destroy(sansrtc_peer *peer);

/* ---- offer / answer ------------------------------------------------------ */

/*
 * Creates an offer and applies it as the local description (JSEP
 * createOffer + setLocalDescription in one step). *sdp gets the SDP text
 * (malloc'd, NUL-terminated; free() it), with every candidate gathered and
 * a=end-of-candidates: with STUN servers configured the call first waits
 * until they have answered or been given up (at most about 3 s; from the
 * event callback it does not wait, and the text may lack the
 * server-reflexive candidates, which then come as LOCAL_CANDIDATE events).
 * Returns SANSRTC_OK or the codes of sansrtc_pc_create_offer /
 * sansrtc_pc_set_local_description.
 */
SANSRTC_API int sansrtc_peer_create_offer(sansrtc_peer *peer, char **sdp);

/* The same for an answer, after the remote offer was set. */
SANSRTC_API int sansrtc_peer_create_answer(sansrtc_peer *peer, char **sdp);

/*
 * Applies the other side's offer or answer (NUL-terminated SDP).
 * Returns the codes of sansrtc_pc_set_remote_description.
 */
SANSRTC_API int sansrtc_peer_set_remote_description(sansrtc_peer *peer,
                                                    sansrtc_sdp_type type,
                                                    const char *sdp);

/*
 * Adds a trickled remote candidate ("candidate:..." as in
 * RTCIceCandidate.candidate; NULL or "" means end of candidates), for the
 * section `mid` (NULL: the data section). Returns the codes of
 * sansrtc_pc_add_remote_candidate.
 */
SANSRTC_API int sansrtc_peer_add_remote_candidate(sansrtc_peer *peer,
                                                  const char *mid,
                                                  const char *candidate);

/* ---- data channels -------------------------------------------------------- */

/*
 * Creates a data channel. `init` may be NULL (ordered, reliable, in-band;
 * then `label` names it); when given, its label is used unless `label` is
 * not NULL. The handle goes to *channel. Returns the codes of
 * sansrtc_pc_create_data_channel.
 */
SANSRTC_API int sansrtc_peer_create_channel(sansrtc_peer *peer,
                                            const char *label,
                                            const sansrtc_dc_init *init,
                                            uint32_t *channel);

/*
 * Sends a message on a channel (binary, or a UTF-8 string when `binary`
 * is 0; an empty message is allowed). The bytes are copied; the worker
 * sends them in order with the channel's earlier messages. When the
 * channel's send buffer is full, waits up to `timeout_ms` for room, or
 * fails at once when timeout_ms is 0.
 * Returns SANSRTC_OK; SANSRTC_ERR_NOT_FOUND (no such channel, or it has
 * closed); SANSRTC_ERR_INVALID_STATE (the channel has no stream id yet,
 * is closing, or the peer is closed); SANSRTC_ERR_INVALID_ARGUMENT (larger
 * than the other side's maximum message size or this side's configured
 * max_message_size); SANSRTC_ERR_LIMIT (full,
 * timeout 0); SANSRTC_ERR_TIMEOUT (still full when the time ran out) or
 * SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_peer_send(sansrtc_peer *peer, uint32_t channel,
                                  const void *data, size_t len, int binary,
                                  int timeout_ms);

/* Bytes sent on the channel and not yet handed to SCTP (the W3C
 * bufferedAmount), 0 for an unknown channel. */
SANSRTC_API size_t sansrtc_peer_buffered_amount(sansrtc_peer *peer,
                                                uint32_t channel);

/* Sets the level at which BUFFERED_LOW fires. Returns the codes of
 * sansrtc_pc_set_buffered_amount_low_threshold. */
SANSRTC_API int sansrtc_peer_set_buffered_amount_low_threshold(
    sansrtc_peer *peer, uint32_t channel, size_t bytes);

/* Label, protocol and stream id of a channel. */
typedef struct sansrtc_channel_info {
  char label[SANSRTC_DC_LABEL_MAX + 1];
  char protocol[SANSRTC_DC_PROTOCOL_MAX + 1];
  int32_t id; /* SCTP stream id, -1 while unknown */
} sansrtc_channel_info;

/* Fills *info. Returns SANSRTC_OK or SANSRTC_ERR_NOT_FOUND. */
SANSRTC_API int sansrtc_peer_channel_info(sansrtc_peer *peer, uint32_t channel,
                                          sansrtc_channel_info *info);

/* Starts closing a channel; messages already sent are delivered first
 * (CHANNEL_CLOSING, then CHANNEL_CLOSED events). Returns SANSRTC_OK or
 * SANSRTC_ERR_NOT_FOUND. */
SANSRTC_API int sansrtc_peer_close_channel(sansrtc_peer *peer,
                                           uint32_t channel);

/* ---- events ----------------------------------------------------------------- */

/*
 * Takes the next event, waiting up to `timeout_ms` for one. A MESSAGE's
 * bytes go to buf/cap (buf may be NULL with cap 0 when messages are not
 * expected); a buffer of the configured max_message_size always
 * suffices. With a smaller one the call returns
 * SANSRTC_ERR_BUFFER_TOO_SMALL with ev->type and ev->len set to what is
 * needed and the event stays queued. Events are plain values; nothing
 * needs freeing. Events queue without limit: a program must keep reading
 * them or unread messages pile up in memory (receive flow control that
 * slows the sender instead is planned).
 * Returns 1 (an event), 0 (none in time), SANSRTC_ERR_BUFFER_TOO_SMALL,
 * SANSRTC_ERR_INVALID_STATE (events go to the callback instead) or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_peer_wait_event(sansrtc_peer *peer,
                                        sansrtc_pc_event *ev, uint8_t *buf,
                                        size_t cap, int timeout_ms);

/* A file descriptor that is readable (POLLIN) while events are queued;
 * owned by the peer (do not read or close it). */
SANSRTC_API int sansrtc_peer_event_fd(const sansrtc_peer *peer);

/* ---- state and closing ---------------------------------------------------------- */

/* Current states, as last reported by events (readable from any thread). */
SANSRTC_API sansrtc_pc_state sansrtc_peer_connection_state(sansrtc_peer *peer);
SANSRTC_API sansrtc_signaling_state sansrtc_peer_signaling_state(sansrtc_peer *peer);

/* The selected candidate pair's local and remote addresses. Returns
 * SANSRTC_OK, or SANSRTC_ERR_NOT_FOUND while none is selected. */
SANSRTC_API int sansrtc_peer_selected_pair(sansrtc_peer *peer,
                                           sansrtc_addr *local,
                                           sansrtc_addr *remote);

/* Why the connection failed, copied into buf/cap ("" when it did not).
 * Returns SANSRTC_OK. */
SANSRTC_API int sansrtc_peer_error_text(sansrtc_peer *peer, char *buf,
                                        size_t cap);

/*
 * Closes the connection gracefully, within `timeout_ms` in all: open
 * channels close (what was sent on them is delivered first), then SCTP
 * shuts down (SHUTDOWN: everything acknowledged), then DTLS sends
 * close_notify and every state becomes closed (events report it). What
 * has not finished when the time is up is ended at once (SCTP ABORT). The worker stays until destroy so
 * the events can be read. Returns SANSRTC_OK (also when already closed).
 */
SANSRTC_API int sansrtc_peer_close(sansrtc_peer *peer, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_SANSRTC_H */
