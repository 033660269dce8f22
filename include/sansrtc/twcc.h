/*
 * sansrtc/twcc.h - transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): the sender side
 * numbers outgoing packets and turns the feedback it receives into
 * per-packet results for a congestion controller; the receiver side
 * records arrivals and writes the feedback packets.
 *
 * Sans-I/O: no clock is read; time is the caller's `now` in ns. The
 * transport sequence number travels in the RTP header extension whose id
 * SDP negotiated for
 * "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01":
 * the caller writes it with sansrtc_rtp_ext_encode_twcc_seq and reads it
 * with sansrtc_rtp_ext_parse_twcc_seq (sansrtc/rtp.h). Feedback is parsed
 * and written with sansrtc/rtcp.h.
 *
 * Sender: consumes each packet sent (sansrtc_twcc_sender_on_send, which
 * assigns its sequence number) and received RTCP (sansrtc_twcc_sender_on_rtcp);
 * emits results polled with sansrtc_twcc_sender_poll_result. No timers.
 *
 * Receiver: consumes arrivals (sansrtc_twcc_receiver_on_packet); emits
 * feedback packets polled with sansrtc_twcc_receiver_poll_feedback once
 * sansrtc_twcc_receiver_handle_timeout has been called at or after
 * sansrtc_twcc_receiver_next_deadline.
 *
 * Memory: each object allocates fixed rings in its constructor (sizes in
 * its config) and nothing afterwards.
 *
 * Thread-safety: an object is not thread-safe; use it from one thread at a
 * time. Different objects are independent. The _config_default functions
 * are pure.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_TWCC_H
#define SANSRTC_TWCC_H

#include <sansrtc/common.h>
#include <sansrtc/rtcp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest history of either side: sequence numbers further apart than
 * 2^15 could not be told apart modulo 2^16. */
#define SANSRTC_TWCC_MAX_HISTORY 32768

/* ---------------------------------------------------------------------- */
/* Sender side                                                            */
/* ---------------------------------------------------------------------- */

typedef struct sansrtc_twcc_sender sansrtc_twcc_sender;

typedef struct sansrtc_twcc_sender_config {
  /* Packets remembered for matching feedback, 16..32768: feedback about
   * a packet more than `history` packets old is ignored. */
  unsigned history;
  /* Results queued for sansrtc_twcc_sender_poll_result, >= 1; results
   * beyond it are dropped (and counted). */
  unsigned max_results;
  uint16_t first_seq; /* the first sequence number assigned */
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
} sansrtc_twcc_sender_config;

/* Defaults: history 2048, 4096 results, first sequence number 0, no
 * logging. NULL is ignored. */
SANSRTC_API void sansrtc_twcc_sender_config_default(
    sansrtc_twcc_sender_config *cfg);

/* Creates a sender into *out; the caller frees it with
 * sansrtc_twcc_sender_del. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT
 * (NULL, limits out of range) or SANSRTC_ERR_NOMEM. */
SANSRTC_API int sansrtc_twcc_sender_new(sansrtc_twcc_sender **out,
                                        const sansrtc_twcc_sender_config *cfg);

/* Frees the sender. NULL is allowed. */
SANSRTC_API void sansrtc_twcc_sender_del(sansrtc_twcc_sender *s);

/* Assigns the next transport sequence number (modulo 2^16) to a packet
 * of `size` bytes sent at `now`, stores it in *seq and remembers the
 * packet (the oldest is forgotten when the history is full). Returns
 * SANSRTC_OK or SANSRTC_ERR_INVALID_ARGUMENT (NULL). */
SANSRTC_API int sansrtc_twcc_sender_on_send(sansrtc_twcc_sender *s,
                                            size_t size, sansrtc_tstamp now,
                                            uint16_t *seq);

/*
 * Reads a received RTCP compound packet (the caller's bytes, only read
 * during the call) and uses every TWCC feedback packet in it; other
 * packets are skipped. Per packet of the history the feedback covers:
 * the first news (received, or not received) gives a result; "received"
 * after an earlier "not received" (a late arrival the receiver reported
 * again) gives a new result and moves the packet from lost to received;
 * repeats (duplicated or reordered feedback) and "not received" after
 * "received" are ignored; sequence numbers never sent or older than the
 * history are counted as unknown. Returns SANSRTC_OK,
 * SANSRTC_ERR_MALFORMED (the packets before the bad one were used) or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_twcc_sender_on_rtcp(sansrtc_twcc_sender *s,
                                            const uint8_t *data, size_t len,
                                            sansrtc_tstamp now);

/* Uses one feedback packet parsed with sansrtc_rtcp_parse_twcc (its views
 * must still be valid), as sansrtc_twcc_sender_on_rtcp does. Returns
 * SANSRTC_OK, SANSRTC_ERR_MALFORMED or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_twcc_sender_on_feedback(sansrtc_twcc_sender *s,
                                                const sansrtc_rtcp_twcc *fb,
                                                sansrtc_tstamp now);

/* The fate of one sent packet, as feedback reported it. */
typedef struct sansrtc_twcc_result {
  uint16_t seq;              /* transport sequence number */
  uint64_t seq_unwrapped;    /* counting from the first sent, 0.. */
  sansrtc_tstamp send_time;  /* `now` given to on_send */
  size_t size;               /* bytes given to on_send */
  int received;              /* 1: received, 0: reported not received */
  /* When received: arrival relative to the feedback's reference time
   * (multiples of 250 us, may be negative), and on the receiver's clock
   * as reference time (24-bit wrap undone across feedback) * 64 ms plus
   * that offset. The receiver's clock has its own origin: use
   * differences. */
  int64_t arrival_from_reference_us;
  int64_t arrival_us;
  sansrtc_tstamp feedback_time; /* `now` when the feedback was used */
  uint8_t fb_count;             /* the feedback packet count */
} sansrtc_twcc_result;

/* Takes the oldest queued result into *out. Returns 1 when a result was
 * produced, 0 when none is queued, SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_twcc_sender_poll_result(sansrtc_twcc_sender *s,
                                                sansrtc_twcc_result *out);

typedef struct sansrtc_twcc_sender_stats {
  uint64_t sent;            /* sequence numbers assigned */
  uint64_t received;        /* packets reported received */
  uint64_t lost;            /* reported not received and not since */
  uint64_t feedback;        /* feedback packets used */
  uint64_t unknown;         /* statuses about packets not in the history */
  uint64_t results_dropped; /* results lost to a full queue */
} sansrtc_twcc_sender_stats;

/* Copies the counters into *out. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_twcc_sender_get_stats(const sansrtc_twcc_sender *s,
                                              sansrtc_twcc_sender_stats *out);

/* ---------------------------------------------------------------------- */
/* Receiver side                                                          */
/* ---------------------------------------------------------------------- */

typedef struct sansrtc_twcc_receiver sansrtc_twcc_receiver;

typedef struct sansrtc_twcc_receiver_config {
  uint32_t sender_ssrc; /* the feedback's packet sender SSRC */
  /* Feedback is due `interval` after the first arrival not yet reported,
   * or at once when `max_pending` arrivals wait (1..history). */
  sansrtc_tstamp interval;
  unsigned max_pending;
  /* Arrivals remembered, 16..32768: a packet whose sequence number is
   * more than `history` behind the highest received is too old to
   * report. */
  unsigned history;
  /* Largest feedback packet written (at least 32 bytes); feedback that
   * does not fit is split across several packets. */
  size_t mtu;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
} sansrtc_twcc_receiver_config;

/* Defaults: sender SSRC 0, interval 100 ms, max_pending 256, history
 * 1024, MTU 1200, no logging. NULL is ignored. */
SANSRTC_API void sansrtc_twcc_receiver_config_default(
    sansrtc_twcc_receiver_config *cfg);

/* Creates a receiver into *out; the caller frees it with
 * sansrtc_twcc_receiver_del. Returns SANSRTC_OK,
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL, interval 0, limits out of range) or
 * SANSRTC_ERR_NOMEM. */
SANSRTC_API int sansrtc_twcc_receiver_new(
    sansrtc_twcc_receiver **out, const sansrtc_twcc_receiver_config *cfg);

/* Frees the receiver. NULL is allowed. */
SANSRTC_API void sansrtc_twcc_receiver_del(sansrtc_twcc_receiver *r);

/*
 * Records the arrival at `now` of the packet with transport sequence
 * number `seq` (from its header extension), sent by media SSRC
 * `media_ssrc` (the latest one goes into the feedback's media SSRC
 * field). Sequence numbers are unwrapped against the highest received.
 * Duplicates are ignored. A packet arriving after feedback already
 * covered it (reported it as not received) is reported again: the next
 * feedback starts at it, so the packets after it are repeated too (the
 * sender ignores repeats). A packet more than `history` behind the
 * highest is dropped as too old. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL).
 */
SANSRTC_API int sansrtc_twcc_receiver_on_packet(sansrtc_twcc_receiver *r,
                                                uint32_t media_ssrc,
                                                uint16_t seq,
                                                sansrtc_tstamp now);

/* When feedback is due, or SANSRTC_TSTAMP_NEVER when no arrival waits.
 * Feedback already due and not yet polled does not count: poll it. */
SANSRTC_API sansrtc_tstamp sansrtc_twcc_receiver_next_deadline(
    const sansrtc_twcc_receiver *r);

/* Makes the waiting arrivals due when `now` has reached the deadline.
 * Calling it early is harmless. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_twcc_receiver_handle_timeout(sansrtc_twcc_receiver *r,
                                                     sansrtc_tstamp now);

/*
 * Writes the next due feedback packet into `buf` (at most min(cap, mtu)
 * bytes; its length in *len) with sansrtc_rtcp_write_twcc: statuses from
 * the first sequence number not yet reported up to the highest received
 * (missing ones as not received), the reference time from the first
 * received packet in it, and an incrementing feedback packet count. When
 * everything does not fit, or a receive delta does not fit 16 bits, the
 * packet stops there and the next call continues: call until it returns
 * 0, sending each packet. Returns 1 (a packet was written), 0 (nothing
 * due), SANSRTC_ERR_BUFFER_TOO_SMALL (not even one status fits; nothing
 * changes) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_twcc_receiver_poll_feedback(sansrtc_twcc_receiver *r,
                                                    uint8_t *buf, size_t cap,
                                                    size_t *len);

typedef struct sansrtc_twcc_receiver_stats {
  uint64_t packets;    /* arrivals recorded */
  uint64_t duplicates; /* arrivals of a sequence number already recorded */
  uint64_t late;       /* arrivals after feedback had covered them */
  uint64_t too_old;    /* arrivals more than `history` behind, dropped */
  uint64_t feedback;   /* feedback packets written */
} sansrtc_twcc_receiver_stats;

/* Copies the counters into *out. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_twcc_receiver_get_stats(
    const sansrtc_twcc_receiver *r, sansrtc_twcc_receiver_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_TWCC_H */
