/*
 * sansrtc/rtp_stats.h - RTP session statistics and RTCP reports (RFC 3550
 * 6.2-6.4 and appendix A): receiver statistics per remote SSRC (sequence
 * tracking, loss, interarrival jitter, LSR/DLSR), sender statistics per
 * local SSRC (packet and octet counts, the NTP/RTP timestamp mapping of a
 * sender report, round-trip time from the reports about it), and the RTCP
 * report timer that produces compound SR/RR + SDES CNAME packets.
 *
 * Sans-I/O: the object reads no clock. Every call that needs the time takes
 * `now` (ns on the caller's monotonic clock); the wall clock enters only
 * through sansrtc_rtp_stats_config.ntp_origin, the NTP time of now == 0.
 *
 * Consumes: each RTP packet sent (sansrtc_rtp_stats_on_sent) and received
 * (sansrtc_rtp_stats_on_received), each RTCP compound packet received
 * (sansrtc_rtp_stats_on_rtcp). Emits: compound RTCP reports the caller
 * polls (sansrtc_rtp_stats_poll_rtcp) after the report deadline
 * (sansrtc_rtp_stats_next_deadline, sansrtc_rtp_stats_handle_timeout);
 * statistics read with the _get functions.
 *
 * Memory: everything is allocated by sansrtc_rtp_stats_new (tables of
 * max_local and max_remote streams); no call after it allocates.
 *
 * Thread-safety: an object is not thread-safe; use it from one thread at a
 * time. Different objects are independent. sansrtc_rtp_stats_config_default
 * is pure.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_RTP_STATS_H
#define SANSRTC_RTP_STATS_H

#include <sansrtc/common.h>
#include <sansrtc/rtcp.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sansrtc_rtp_stats sansrtc_rtp_stats;

/* Upper bound of max_local and max_remote: one RTCP packet holds at most
 * 31 report blocks and an SDES packet at most 31 chunks. */
#define SANSRTC_RTP_STATS_MAX_STREAMS 31
#define SANSRTC_RTP_STATS_CNAME_MAX 255

/*
 * Configuration. Fill it with sansrtc_rtp_stats_config_default() and change
 * what you need; sansrtc_rtp_stats_new copies it (the CNAME too).
 */
typedef struct sansrtc_rtp_stats_config {
  /* SSRC that sends the RR and SDES when no local stream was added. */
  uint32_t ssrc;
  /* SDES CNAME (RFC 3550 6.5.1), NUL-terminated, 1..255 bytes. Required. */
  const char *cname;
  /* NTP time (RFC 3550 4: seconds since 1900 in the high 32 bits,
   * fraction in the low 32) of the instant the caller's `now` is 0. */
  uint64_t ntp_origin;
  /* Average report interval; each interval is drawn uniformly from
   * 0.5..1.5 times it (RFC 3550 6.3.1), the first from half that. */
  sansrtc_tstamp interval;
  unsigned max_local;  /* local streams, 1..31 */
  unsigned max_remote; /* remote streams, 1..31 */
  /* RFC 3550 A.1: packets in sequence before a source is valid (>= 1),
   * the largest forward jump taken as a loss, the largest backward jump
   * taken as reordering (1..32767 each, dropout + misorder <= 65536). */
  unsigned min_sequential;
  unsigned max_dropout;
  unsigned max_misorder;
  sansrtc_random_fn random_fn; /* NULL: OpenSSL RAND_bytes */
  void *random_user_data;
  sansrtc_log_fn log_fn;
  void *log_user_data;
  sansrtc_log_level log_level;
} sansrtc_rtp_stats_config;

/* Fills `cfg` with the defaults: ssrc 0, no CNAME (set one), NTP origin 0,
 * interval 1 s (RFC 3550's 5 s suits audio-only sessions), 4 local and 8
 * remote streams, MIN_SEQUENTIAL 2, MAX_DROPOUT 3000, MAX_MISORDER 100,
 * OpenSSL randomness, no logging. NULL is ignored. */
SANSRTC_API void sansrtc_rtp_stats_config_default(sansrtc_rtp_stats_config *cfg);

/*
 * Creates an object into *out; `now` starts the report timer (the first
 * report is due after half a randomised interval). The caller owns the
 * object and frees it with sansrtc_rtp_stats_del. Returns SANSRTC_OK,
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL, no or too long CNAME, interval 0,
 * limits out of range) or SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_rtp_stats_new(sansrtc_rtp_stats **out,
                                      const sansrtc_rtp_stats_config *cfg,
                                      sansrtc_tstamp now);

/* Frees the object. NULL is allowed. */
SANSRTC_API void sansrtc_rtp_stats_del(sansrtc_rtp_stats *s);

/* ---------------------------------------------------------------------- */
/* Streams                                                                */
/* ---------------------------------------------------------------------- */

/*
 * A local (sent) stream. Its RTP clock is given by one reference instant:
 * RTP timestamp `rtp_timestamp` at `time` (the caller's `now` scale); a
 * sender report extrapolates from the last packet sent, or from this
 * reference before any.
 */
typedef struct sansrtc_rtp_stats_local_config {
  uint32_t ssrc;
  uint32_t clock_rate; /* Hz, > 0 */
  uint32_t rtp_timestamp;
  sansrtc_tstamp time;
} sansrtc_rtp_stats_local_config;

/* Adds a local stream. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT
 * (NULL, clock rate 0, SSRC already added), SANSRTC_ERR_LIMIT (max_local
 * streams already). */
SANSRTC_API int sansrtc_rtp_stats_add_local(
    sansrtc_rtp_stats *s, const sansrtc_rtp_stats_local_config *local);

/* Adds a remote (received) stream with its RTP clock rate (Hz, > 0), used
 * for the jitter. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL,
 * rate 0, SSRC already added), SANSRTC_ERR_LIMIT (max_remote already). */
SANSRTC_API int sansrtc_rtp_stats_add_remote(sansrtc_rtp_stats *s,
                                             uint32_t ssrc,
                                             uint32_t clock_rate);

/* Forgets a remote stream (after a BYE, or a timeout the caller decides).
 * Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtp_stats_remove_remote(sansrtc_rtp_stats *s,
                                                uint32_t ssrc);

/* ---------------------------------------------------------------------- */
/* Input                                                                  */
/* ---------------------------------------------------------------------- */

/* Counts an RTP packet sent on local stream `ssrc` at `now` with RTP
 * timestamp `rtp_timestamp` and `payload_len` payload octets (header,
 * extension and padding excluded, RFC 3550 6.4.1). Returns SANSRTC_OK,
 * SANSRTC_ERR_NOT_FOUND (no such local stream) or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtp_stats_on_sent(sansrtc_rtp_stats *s, uint32_t ssrc,
                                          uint32_t rtp_timestamp,
                                          size_t payload_len,
                                          sansrtc_tstamp now);

/*
 * Records an RTP packet received on remote stream `ssrc` at `now`
 * (RFC 3550 A.1 sequence checks, A.8 jitter). Returns 1 when the packet
 * counts (the source is valid and the sequence number is plausible:
 * in order, a loss gap, a reordered or duplicate packet), 0 when it does
 * not (the source is still on probation, or a large jump not yet
 * confirmed by a second packet in sequence), SANSRTC_ERR_NOT_FOUND (no
 * such remote stream) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_rtp_stats_on_received(sansrtc_rtp_stats *s,
                                              uint32_t ssrc, uint16_t seq,
                                              uint32_t rtp_timestamp,
                                              sansrtc_tstamp now);

/*
 * Reads a received RTCP compound packet (`data`/`len`, the caller's, only
 * read during the call): an SR from a remote stream records its NTP time
 * for LSR/DLSR; report blocks in SRs and RRs about a local stream are kept
 * and give its round-trip time (RFC 3550 6.4.1: arrival - LSR - DLSR,
 * blocks with LSR 0 give none). Other packets are skipped. Returns
 * SANSRTC_OK, SANSRTC_ERR_MALFORMED (the packets before the bad one have
 * been used) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_rtp_stats_on_rtcp(sansrtc_rtp_stats *s,
                                          const uint8_t *data, size_t len,
                                          sansrtc_tstamp now);

/* ---------------------------------------------------------------------- */
/* Reports and timer                                                      */
/* ---------------------------------------------------------------------- */

/* When the next report is due (never SANSRTC_TSTAMP_NEVER). A report
 * already due and not yet polled does not count: poll it first. */
SANSRTC_API sansrtc_tstamp sansrtc_rtp_stats_next_deadline(
    const sansrtc_rtp_stats *s);

/* Marks a report due when `now` has reached the deadline and draws the
 * next deadline (now + 0.5..1.5 interval; without randomness, exactly one
 * interval). Calling it early is harmless. Returns SANSRTC_OK or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtp_stats_handle_timeout(sansrtc_rtp_stats *s,
                                                 sansrtc_tstamp now);

/*
 * When a report is due, writes it as one compound packet into `buf`
 * (`cap` bytes) with sansrtc_rtcp_write_compound, its length in *len:
 * first an SR from the first local stream that sent since the report
 * before last (RFC 3550 6.4) or else an RR (from the first local stream,
 * or config.ssrc when there is none), carrying a report block for every
 * remote stream that is valid; an SR for each other such local stream;
 * an SDES with the CNAME of each local stream (or config.ssrc). Writing
 * starts a new "since the last report" interval for fraction lost.
 * Returns 1 when a packet was written, 0 when none is due,
 * SANSRTC_ERR_BUFFER_TOO_SMALL (the whole compound does not fit; nothing
 * changes and the report stays due; 1200 bytes hold 31 report blocks
 * with a CNAME of up to 255 bytes and one local stream) or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_rtp_stats_poll_rtcp(sansrtc_rtp_stats *s, uint8_t *buf,
                                            size_t cap, sansrtc_tstamp now,
                                            size_t *len);

/* Writes the same compound report now, whether due or not (a due report
 * is then no longer due). Returns SANSRTC_OK or the errors of
 * sansrtc_rtp_stats_poll_rtcp. */
SANSRTC_API int sansrtc_rtp_stats_write_report(sansrtc_rtp_stats *s,
                                               uint8_t *buf, size_t cap,
                                               sansrtc_tstamp now,
                                               size_t *len);

/*
 * The report block remote stream `ssrc` would get at `now` (RFC 3550
 * 6.4.1, A.3): fraction lost since the last report written, cumulative
 * lost clamped to signed 24 bits, extended highest sequence number,
 * jitter, LSR and DLSR (0 and 0 before any SR). It does not start a new
 * interval. Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND, SANSRTC_ERR_INVALID_STATE
 * (the source is not valid yet) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_rtp_stats_report_block(const sansrtc_rtp_stats *s,
                                               uint32_t ssrc,
                                               sansrtc_tstamp now,
                                               sansrtc_rtcp_report *out);

/* The sender info an SR of local stream `ssrc` would carry at `now`.
 * Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtp_stats_sender_info(const sansrtc_rtp_stats *s,
                                              uint32_t ssrc,
                                              sansrtc_tstamp now,
                                              sansrtc_rtcp_sr_desc *out);

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */
/* ---------------------------------------------------------------------- */

typedef struct sansrtc_rtp_remote_stats {
  uint32_t ssrc;
  uint32_t clock_rate;
  int valid;                /* probation passed (RFC 3550 A.1) */
  uint64_t received;        /* packets counted, duplicates included */
  uint32_t base_seq;        /* first counted sequence number */
  uint32_t extended_max;    /* cycles * 65536 + highest sequence number */
  int64_t expected;         /* extended_max - base_seq + 1 */
  int64_t lost;             /* expected - received, unclamped */
  uint32_t jitter;          /* RTP timestamp units (A.8) */
  uint64_t bad;             /* packets not counted after probation */
  int has_sr;               /* an SR was received from it */
  uint64_t sr_ntp;          /* the last SR's NTP time */
  sansrtc_tstamp sr_arrival; /* when it arrived */
} sansrtc_rtp_remote_stats;

typedef struct sansrtc_rtp_local_stats {
  uint32_t ssrc;
  uint32_t clock_rate;
  uint64_t packets; /* sent; an SR carries the low 32 bits */
  uint64_t octets;  /* payload octets sent */
  int has_report;   /* a report block about this stream was received */
  sansrtc_rtcp_report report; /* the last one */
  int has_rtt;
  sansrtc_tstamp rtt; /* ns, from the last block with LSR != 0 */
} sansrtc_rtp_local_stats;

/* Copy the statistics of a stream into *out. Return SANSRTC_OK,
 * SANSRTC_ERR_NOT_FOUND or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtp_stats_remote_get(const sansrtc_rtp_stats *s,
                                             uint32_t ssrc,
                                             sansrtc_rtp_remote_stats *out);
SANSRTC_API int sansrtc_rtp_stats_local_get(const sansrtc_rtp_stats *s,
                                            uint32_t ssrc,
                                            sansrtc_rtp_local_stats *out);

/* NTP time (32.32) at `now`: config.ntp_origin + now. Pure. */
SANSRTC_API uint64_t sansrtc_rtp_stats_ntp(const sansrtc_rtp_stats *s,
                                           sansrtc_tstamp now);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_RTP_STATS_H */
