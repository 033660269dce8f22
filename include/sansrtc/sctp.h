/*
 * sansrtc/sctp.h - an SCTP association over DTLS (RFC 8261) for WebRTC data
 * channels, on usrsctp, driven sans-I/O.
 *
 * The caller feeds every SCTP packet that DTLS decrypted
 * (sansrtc_sctp_handle_packet) and drains the association: SCTP packets to
 * encrypt and send (sansrtc_sctp_poll_transmit), received messages
 * (sansrtc_sctp_poll_message), events (sansrtc_sctp_poll_event), and the
 * next deadline (sansrtc_sctp_next_deadline), at which it calls
 * sansrtc_sctp_handle_timeout.
 *
 * usrsctp is process-global. sansrtc confines that to one internal module
 * (lib/usrsctp_global.c): usrsctp runs without threads of its own, its
 * timers advance when any association's owner calls
 * sansrtc_sctp_handle_timeout, and a timer may therefore produce packets or
 * events for an association while another thread is inside usrsctp. Those
 * are only queued here (under the association's lock) and the owner is told
 * through `wake_fn`; see docs/sctp.md.
 *
 * Thread-safety: an association is used by one thread at a time (its
 * owner). Different associations may be used from different threads at
 * once. `wake_fn` may be called from any thread that calls into sansrtc
 * SCTP, including inside these functions.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SCTP_H
#define SANSRTC_SCTP_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sansrtc_sctp sansrtc_sctp;

/* Payload protocol identifiers of WebRTC data channels (RFC 8831 8). */
#define SANSRTC_PPID_DCEP 50
#define SANSRTC_PPID_STRING 51
#define SANSRTC_PPID_BINARY 53
#define SANSRTC_PPID_STRING_EMPTY 56
#define SANSRTC_PPID_BINARY_EMPTY 57

/* Partial reliability policies (RFC 3758, RFC 7496). */
typedef enum sansrtc_sctp_pr_policy {
  SANSRTC_SCTP_PR_NONE = 0,  /* reliable */
  SANSRTC_SCTP_PR_RTX = 1,   /* at most pr_value retransmissions */
  SANSRTC_SCTP_PR_TTL = 2    /* give up after pr_value milliseconds */
} sansrtc_sctp_pr_policy;

typedef struct sansrtc_sctp_config {
  uint16_t local_port;  /* a=sctp-port, default 5000 */
  uint16_t remote_port; /* the peer's a=sctp-port, default 5000 */
  /* Largest SCTP packet (the DTLS payload size), default 1150. */
  uint16_t mtu;
  /* Streams offered each way; data channel ids must stay below this. */
  uint16_t streams;
  /* Largest message this side accepts whole (its a=max-message-size),
   * default 262144. Bigger incoming messages are dropped and counted. */
  size_t max_message_size;
  /* Largest message the peer accepts (the remote description's
   * a=max-message-size; RFC 8841 says 64 KiB when it is absent, 0 there
   * meaning "any"). Sends above it are refused. 0 here: same as
   * max_message_size. */
  size_t remote_max_message_size;
  /* Receive buffer and send buffer sizes given to usrsctp. */
  uint32_t receive_buffer;
  uint32_t send_buffer;
  /* RTO bounds in milliseconds: initial, minimum, maximum. */
  uint32_t rto_initial_ms, rto_min_ms, rto_max_ms;
  /* How often the owner advances usrsctp's timers while the association
   * lives and is busy (usrsctp has no "next timer" query). Default 10 ms.
   * With many associations in the process the deadline is spaced further
   * (up to 100 ms at 4,000 and beyond), as usrsctp's process-wide timer
   * list moves no more often than that: each move walks every timer of
   * every association (docs/sctp.md). */
  sansrtc_tstamp tick_interval;
  /* The same once the association is idle: established, nothing queued or
   * unacknowledged, and no packet in or out for 500 ms; any send, packet
   * or stream reset returns to tick_interval at once. Default 5 s, so an
   * idle connection wakes about as often as ICE consent freshness wakes
   * it anyway, instead of a hundred times a second; the only SCTP timer
   * left then is the 30 s heartbeat, which may run up to 5 s late.
   * Values not above tick_interval disable the idle rate. */
  sansrtc_tstamp idle_tick_interval;
  /* Called, from whatever thread runs usrsctp at that moment, when packets
   * or events were queued for this association outside a call by its
   * owner (a timer fired on another thread). It must only wake the owner,
   * e.g. write to an eventfd. NULL: none. */
  void (*wake_fn)(void *user_data);
  void *wake_user_data;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
} sansrtc_sctp_config;

/* Defaults: ports 5000/5000, MTU 1150, 256 streams, 256 KiB messages,
 * 1 MiB receive and send buffers, RTO 1000/200/10000 ms, 10 ms ticks
 * (1 s when idle). */
SANSRTC_API void sansrtc_sctp_config_default(sansrtc_sctp_config *cfg);

/*
 * Creates an association (idle until sansrtc_sctp_connect). The caller
 * owns it; sansrtc_sctp_del frees it. Returns SANSRTC_OK,
 * SANSRTC_ERR_INVALID_ARGUMENT, SANSRTC_ERR_NOMEM, SANSRTC_ERR_LIMIT or
 * SANSRTC_ERR_UNSUPPORTED (usrsctp refused a socket option).
 */
SANSRTC_API int sansrtc_sctp_new(sansrtc_sctp **out,
                                 const sansrtc_sctp_config *cfg);

/* Frees the association without sending anything (use sansrtc_sctp_abort
 * or sansrtc_sctp_shutdown first to tell the peer). After this returns no
 * usrsctp callback touches it. NULL is allowed. */
SANSRTC_API void sansrtc_sctp_del(sansrtc_sctp *sctp);

/* Starts the association (sends INIT). Both WebRTC peers call this once
 * DTLS is up; SCTP resolves the simultaneous open. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_STATE (already started). */
SANSRTC_API int sansrtc_sctp_connect(sansrtc_sctp *sctp, sansrtc_tstamp now);

/* Feeds one SCTP packet (a decrypted DTLS record). An association that
 * was not started is started first (sansrtc_sctp_connect), since the peer's
 * INIT may arrive before the caller got to it. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_ARGUMENT. Malformed packets are dropped by usrsctp. */
SANSRTC_API int sansrtc_sctp_handle_packet(sansrtc_sctp *sctp,
                                           const uint8_t *data, size_t len,
                                           sansrtc_tstamp now);

/* Advances usrsctp's timers to `now`. Returns SANSRTC_OK. */
SANSRTC_API int sansrtc_sctp_handle_timeout(sansrtc_sctp *sctp,
                                            sansrtc_tstamp now);

/* The next time sansrtc_sctp_handle_timeout should run. */
SANSRTC_API sansrtc_tstamp sansrtc_sctp_next_deadline(const sansrtc_sctp *sctp);

/* Takes the next SCTP packet to send into buf/cap: 1 with *len set, 0 when
 * none, SANSRTC_ERR_BUFFER_TOO_SMALL (kept; `mtu` bytes suffice). */
SANSRTC_API int sansrtc_sctp_poll_transmit(sansrtc_sctp *sctp, uint8_t *buf,
                                           size_t cap, size_t *len);

typedef enum sansrtc_sctp_event_type {
  SANSRTC_SCTP_EVENT_CONNECTED = 1, /* association up */
  SANSRTC_SCTP_EVENT_CLOSED,        /* association gone (see reason) */
  SANSRTC_SCTP_EVENT_STREAM_RESET   /* a stream was reset (closed) */
} sansrtc_sctp_event_type;

typedef struct sansrtc_sctp_event {
  sansrtc_sctp_event_type type;
  uint16_t stream;   /* STREAM_RESET: the stream id */
  uint8_t incoming;  /* STREAM_RESET: 1 = the peer reset it */
  /* CONNECTED: negotiated stream counts. */
  uint16_t inbound_streams, outbound_streams;
  /* CLOSED: 1 when ended by SHUTDOWN (either side's), 0 when aborted or
   * lost. */
  uint8_t graceful;
} sansrtc_sctp_event;

/* Takes the next event: 1, or 0 when none. */
SANSRTC_API int sansrtc_sctp_poll_event(sansrtc_sctp *sctp,
                                        sansrtc_sctp_event *ev);

/* One received message. */
typedef struct sansrtc_sctp_message_info {
  uint16_t stream;
  uint32_t ppid;
  uint8_t unordered;
} sansrtc_sctp_message_info;

/*
 * Takes the next whole received message into buf/cap: 1 with *len and
 * *info set, 0 when none, SANSRTC_ERR_BUFFER_TOO_SMALL (kept; the
 * configured max_message_size always suffices).
 */
SANSRTC_API int sansrtc_sctp_poll_message(sansrtc_sctp *sctp, uint8_t *buf,
                                          size_t cap, size_t *len,
                                          sansrtc_sctp_message_info *info);

/*
 * Sends one message on `stream` with `ppid`. Empty messages are the
 * caller's to encode (WebRTC sends one zero byte with PPID 56/57).
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_STATE (not connected);
 * SANSRTC_ERR_INVALID_ARGUMENT (stream out of range, len 0, or longer than
 * the peer's maximum, sansrtc_sctp_max_send_size); SANSRTC_ERR_LIMIT (the
 * send buffer is full: retry after the peer acknowledges data).
 */
SANSRTC_API int sansrtc_sctp_send(sansrtc_sctp *sctp, uint16_t stream,
                                  uint32_t ppid, const uint8_t *data,
                                  size_t len, int unordered,
                                  sansrtc_sctp_pr_policy policy,
                                  uint32_t pr_value);

/*
 * Bundling of small messages. By default (hold 0) every send goes out at
 * once (SCTP_NODELAY), one packet per small message. With hold 1, usrsctp
 * keeps small messages back while earlier data is unacknowledged, to fill
 * packets (Nagle); clearing it again makes the next send push everything
 * queued out at once, several messages per packet. The channel layer sets
 * it around a batch of queued messages and clears it for the last one;
 * nothing stays held past a call that ends with hold 0. Returns SANSRTC_OK,
 * SANSRTC_ERR_INVALID_ARGUMENT or SANSRTC_ERR_INVALID_STATE.
 */
SANSRTC_API int sansrtc_sctp_set_bundling(sansrtc_sctp *sctp, int hold);

/* Resets (closes) outgoing `stream` (RFC 6525). Returns SANSRTC_OK,
 * SANSRTC_ERR_INVALID_STATE or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_sctp_reset_stream(sansrtc_sctp *sctp, uint16_t stream);

/* Aborts the association: queues an ABORT for the peer (drain it with
 * sansrtc_sctp_poll_transmit) and a CLOSED event. Idempotent. */
SANSRTC_API int sansrtc_sctp_abort(sansrtc_sctp *sctp, sansrtc_tstamp now);

/* Shuts the association down gracefully (SHUTDOWN); a CLOSED event
 * follows. Idempotent. */
SANSRTC_API int sansrtc_sctp_shutdown(sansrtc_sctp *sctp, sansrtc_tstamp now);

/* 1 while the association is up (CONNECTED seen, not closed), else 0. */
SANSRTC_API int sansrtc_sctp_is_connected(const sansrtc_sctp *sctp);

/* The largest message received whole (max_message_size), the largest one
 * that may be sent (remote_max_message_size, or max_message_size when that
 * is 0), and the number of streams. */
SANSRTC_API size_t sansrtc_sctp_max_message_size(const sansrtc_sctp *sctp);
SANSRTC_API size_t sansrtc_sctp_max_send_size(const sansrtc_sctp *sctp);
SANSRTC_API uint16_t sansrtc_sctp_streams(const sansrtc_sctp *sctp);

typedef struct sansrtc_sctp_stats {
  uint64_t packets_in, packets_out;
  uint64_t messages_in, messages_out;
  uint64_t oversized_dropped; /* incoming messages over max_message_size */
  uint64_t partial_aborted;   /* messages abandoned after part arrived */
} sansrtc_sctp_stats;

SANSRTC_API void sansrtc_sctp_get_stats(const sansrtc_sctp *sctp,
                                        sansrtc_sctp_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_SCTP_H */
