/*
 * sansrtc/nack.h - the NACK / retransmission loop of one RTP stream: generic
 * NACK (RFC 4585 6.2.1) and RTX retransmission (RFC 4588).
 *
 * Two sans-I/O objects and a helper:
 *
 *   sansrtc_nack_sender     the sending side's history. Consumes every RTP
 *                           packet the caller sends on the stream (before
 *                           SRTP protection) and every RTCP compound packet
 *                           received (after SRTCP unprotection); emits the
 *                           packets to send again, polled one at a time into
 *                           the caller's buffer (the original packet, or its
 *                           RTX form). It has no timers.
 *   sansrtc_nack_generator  the receiving side's loss detector. Consumes the
 *                           sequence number and arrival time of every RTP
 *                           packet received on the stream (RTX packets once
 *                           unwrapped); emits NACK RTCP packets, polled into
 *                           the caller's buffer; its next deadline is when
 *                           the next NACK is due or an entry expires.
 *   sansrtc_rtx_unwrap      turns a received RTX packet back into the
 *                           original packet, in place.
 *
 * Time is the caller's (`now`, ns); nothing here reads a clock or does I/O.
 * Memory: each object allocates its fixed tables in its constructor, from
 * its configuration, and never again: no call after _new allocates.
 *
 * Thread-safety: no shared state; each object may be used from any thread,
 * one thread at a time per object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_NACK_H
#define SANSRTC_NACK_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Most payload type mappings an RTX configuration holds. */
#define SANSRTC_RTX_MAX_MAP 8

/* One RTX payload type mapping: SDP "a=fmtp:<rtx_pt> apt=<pt>". */
typedef struct sansrtc_rtx_map {
  uint8_t pt;     /* original payload type, 0..127 */
  uint8_t rtx_pt; /* its RTX payload type, 0..127 */
} sansrtc_rtx_map;

/* RTX of one stream (RFC 4588 session multiplexing: its own SSRC). */
typedef struct sansrtc_rtx_config {
  uint32_t rtx_ssrc;
  size_t map_count; /* 0..SANSRTC_RTX_MAX_MAP; 0 means "no RTX" */
  sansrtc_rtx_map map[SANSRTC_RTX_MAX_MAP];
} sansrtc_rtx_config;

/*
 * Rewrites the RTX packet of `*len` bytes in `pkt` (the caller's, `*len`
 * bytes writable) into the packet it repairs (RFC 4588 4): payload type
 * from the mapping whose rtx_pt is the packet's, SSRC `media_ssrc`,
 * sequence number from the original sequence number (OSN, the first 2
 * payload bytes), the OSN removed; header, CSRCs, extensions, marker and
 * timestamp are kept; RTP padding is dropped (P cleared). *len gets the new
 * length (2 bytes less, plus any padding removed).
 * Returns SANSRTC_OK; SANSRTC_ERR_NOT_FOUND (not an RTX packet of `rtx`:
 * another SSRC, or a payload type not in the map; the packet is
 * unchanged); SANSRTC_ERR_MALFORMED (not RTP, or a payload under 2 bytes,
 * as padding-only probes are; unchanged); SANSRTC_ERR_INVALID_ARGUMENT
 * (NULL).
 */
SANSRTC_API int sansrtc_rtx_unwrap(const sansrtc_rtx_config *rtx,
                                   uint32_t media_ssrc, uint8_t *pkt,
                                   size_t *len);

/* ---------------------------------------------------------------------- */
/* Sender: send history                                                   */
/* ---------------------------------------------------------------------- */

/* Fill with sansrtc_nack_sender_config_default, then set ssrc (and rtx). */
typedef struct sansrtc_nack_sender_config {
  uint32_t ssrc; /* the media stream's SSRC; NACKs for others are ignored */
  /* Packets remembered: 1..32768. Default 512 (about 4 s of 1 Mbit/s video
   * in 1200-byte packets; with max_age 1 s that is enough up to 5 Mbit/s). */
  size_t history_size;
  /* Largest RTP packet remembered, in bytes: 12..65535. Default 1500 (an
   * Ethernet MTU: a packet the caller can send fits). Larger packets are
   * refused by on_sent with SANSRTC_ERR_LIMIT. The history holds
   * history_size copies of this size (768,000 bytes by default). */
  size_t max_packet_size;
  /* The same packet is not sent again less than this long after it was
   * last resent: NACKs repeated by a receiver before the first resend can
   * have reached it cost nothing. Default 10 ms (below any RTT a receiver
   * would retry at, above the spacing of NACKs repeated in one burst). */
  sansrtc_tstamp min_resend_interval;
  /* Packets sent longer ago than this are forgotten: a NACK for them is
   * counted (requests_too_old) and not answered. Default 1 s. */
  sansrtc_tstamp max_age;
  /* RTX: when rtx.map_count > 0, resends use RTX (RFC 4588) with the
   * payload type mapped from the original and rtx.rtx_ssrc; a packet whose
   * payload type has no mapping is resent as it was. */
  sansrtc_rtx_config rtx;
  uint16_t rtx_first_seq; /* first RTX sequence number; default 0 (choose
                           * a random one, RFC 3550 5.1) */
} sansrtc_nack_sender_config;

SANSRTC_API void sansrtc_nack_sender_config_default(
    sansrtc_nack_sender_config *config);

typedef struct sansrtc_nack_sender_stats {
  uint64_t packets_stored;     /* on_sent calls that stored a packet */
  uint64_t nacks_received;     /* NACK packets for our SSRC */
  uint64_t requests;           /* sequence numbers they asked for */
  uint64_t requests_unknown;   /* never sent, or overwritten in the ring */
  uint64_t requests_too_old;   /* older than max_age */
  uint64_t requests_suppressed; /* resent within min_resend_interval, or
                                 * already queued */
  uint64_t packets_resent;     /* packets poll handed out */
  uint64_t rtx_packets;        /* of which in RTX form */
} sansrtc_nack_sender_stats;

/* The history: a ring of history_size packet copies, indexed by sequence
 * number, and a queue of the same size of packets waiting to be resent.
 * Owned by the caller through _new/_del. */
typedef struct sansrtc_nack_sender sansrtc_nack_sender;

/*
 * Creates a sender in `*out` (NULL on failure); the config is copied.
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL, sizes out of
 * range, a mapped payload type over 127, map_count too large);
 * SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_nack_sender_new(
    sansrtc_nack_sender **out, const sansrtc_nack_sender_config *config);

/* Frees the sender; NULL is allowed. */
SANSRTC_API void sansrtc_nack_sender_del(sansrtc_nack_sender *s);

/*
 * Remembers one RTP packet of `len` bytes just sent at `now` (copied; the
 * caller keeps `pkt`). Pass the plain RTP packet, before SRTP. It replaces
 * whatever the ring held at its slot (sequence number modulo
 * history_size), and cancels a pending resend of that slot.
 * Returns SANSRTC_OK; SANSRTC_ERR_MALFORMED (not RTP);
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL, or an SSRC other than config.ssrc);
 * SANSRTC_ERR_LIMIT (longer than max_packet_size; not stored).
 */
SANSRTC_API int sansrtc_nack_sender_on_sent(sansrtc_nack_sender *s,
                                            const uint8_t *pkt, size_t len,
                                            sansrtc_tstamp now);

/*
 * Reads an RTCP compound packet of `len` bytes (the caller's, only read
 * during the call) received at `now`, and queues for resending every
 * packet a generic NACK for config.ssrc asks for that is in the history,
 * not older than max_age and not resent within min_resend_interval (the
 * others are counted in the stats, not errors). Other RTCP packets are
 * ignored. Call sansrtc_nack_sender_poll afterwards.
 * Returns SANSRTC_OK; SANSRTC_ERR_MALFORMED (the compound, or a NACK in
 * it, does not parse: the NACKs before it were taken);
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL).
 */
SANSRTC_API int sansrtc_nack_sender_on_rtcp(sansrtc_nack_sender *s,
                                            const uint8_t *rtcp, size_t len,
                                            sansrtc_tstamp now);

/*
 * Writes the next packet to resend into `buf` (`cap` bytes) and its length
 * into *len, in the order NACKs asked for them: the stored packet as it
 * was, or its RTX form (2 bytes longer, less any padding): the caller
 * protects it with SRTP and sends it. Packets that expired or were
 * overwritten while queued are skipped.
 * Returns SANSRTC_OK; SANSRTC_ERR_NOT_FOUND (nothing to resend);
 * SANSRTC_ERR_BUFFER_TOO_SMALL (the packet stays queued; max_packet_size
 * + 2 bytes is always enough); SANSRTC_ERR_INVALID_ARGUMENT (NULL).
 */
SANSRTC_API int sansrtc_nack_sender_poll(sansrtc_nack_sender *s,
                                         sansrtc_tstamp now, uint8_t *buf,
                                         size_t cap, size_t *len);

/* Copies the counters into `*stats` (nothing happens for NULL). */
SANSRTC_API void sansrtc_nack_sender_get_stats(
    const sansrtc_nack_sender *s, sansrtc_nack_sender_stats *stats);

/* ---------------------------------------------------------------------- */
/* Receiver: NACK generator                                               */
/* ---------------------------------------------------------------------- */

/* Fill with sansrtc_nack_generator_config_default, then set the SSRCs. */
typedef struct sansrtc_nack_generator_config {
  uint32_t sender_ssrc; /* ours, written as the NACK's packet sender */
  uint32_t media_ssrc;  /* the stream's, written as its media source */
  /* Most sequence numbers tracked as missing: 1..65535. Default 1000. When
   * full, the oldest entry is given up to make room. */
  size_t max_missing;
  /* A gap is NACKed only once it has been missing this long, so packets
   * merely reordered by the network are never asked for. Default 10 ms
   * (reordering on real paths is mostly a few ms; a NACK 10 ms later costs
   * little against an RTT of 50-200 ms). */
  sansrtc_tstamp reorder_wait;
  /* Retry interval until sansrtc_nack_generator_set_rtt gives one: the
   * same packet is asked for again after this long. Default 100 ms. */
  sansrtc_tstamp initial_rtt;
  /* Most NACKs for one packet (first one included). Default 10. */
  unsigned max_retries;
  /* A packet missing for longer than this is given up. Default 1 s. */
  sansrtc_tstamp max_age;
  /* A forward jump of more than this many sequence numbers, or a backward
   * one of more than this, is a new stream: the missing list is cleared
   * and tracking restarts at the new packet, so thousands of NACKs are
   * never sent. Default 1000; 1..32767. */
  uint32_t reset_jump;
} sansrtc_nack_generator_config;

SANSRTC_API void sansrtc_nack_generator_config_default(
    sansrtc_nack_generator_config *config);

typedef struct sansrtc_nack_generator_stats {
  uint64_t packets_received;  /* on_packet calls */
  uint64_t packets_duplicate; /* already received (or older, not missing) */
  uint64_t nacks_sent;        /* NACK RTCP packets poll wrote */
  uint64_t packets_requested; /* sequence numbers in them, retries too */
  uint64_t recovered;         /* missing packets that arrived after a NACK */
  uint64_t reordered;         /* missing packets that arrived before one */
  uint64_t given_up;          /* missing packets given up (age, retries,
                               * list full) */
  uint64_t resets;            /* jumps larger than reset_jump */
} sansrtc_nack_generator_stats;

/* The generator: the highest extended sequence number seen and a list of
 * up to max_missing missing ones, in order, each with its next NACK time
 * and retry count. Owned by the caller through _new/_del. */
typedef struct sansrtc_nack_generator sansrtc_nack_generator;

/*
 * Creates a generator in `*out` (NULL on failure); the config is copied.
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL, values out of
 * range, max_retries 0); SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_nack_generator_new(
    sansrtc_nack_generator **out, const sansrtc_nack_generator_config *config);

/* Frees the generator; NULL is allowed. */
SANSRTC_API void sansrtc_nack_generator_del(sansrtc_nack_generator *g);

/*
 * Feeds the sequence number of one RTP packet of the stream received at
 * `now` (also retransmissions, RTX ones after sansrtc_rtx_unwrap). A
 * sequence number ahead of the highest makes the ones skipped missing (a
 * 16-bit wrap is followed through extended sequence numbers); a missing
 * one arriving leaves the list. Never fails.
 */
SANSRTC_API void sansrtc_nack_generator_on_packet(sansrtc_nack_generator *g,
                                                  uint16_t seq,
                                                  sansrtc_tstamp now);

/* Sets the retry interval to `rtt` (the caller's estimate, e.g. from RTCP
 * receiver reports; 1 ms..10 s, clamped). Entries already scheduled keep
 * their time. */
SANSRTC_API void sansrtc_nack_generator_set_rtt(sansrtc_nack_generator *g,
                                               sansrtc_tstamp rtt);

/* The earliest time an entry is due for a NACK or expires, or
 * SANSRTC_TSTAMP_NEVER when nothing is missing. */
SANSRTC_API sansrtc_tstamp
sansrtc_nack_generator_next_deadline(const sansrtc_nack_generator *g);

/* Gives up the entries that are too old or out of retries at `now`. Call
 * it at the deadline, then sansrtc_nack_generator_poll. Never fails. */
SANSRTC_API void sansrtc_nack_generator_handle_timeout(
    sansrtc_nack_generator *g, sansrtc_tstamp now);

/*
 * Writes one NACK RTCP packet (RFC 4585 6.2.1, with sansrtc_rtcp_write_nack)
 * for the entries due at `now` into `buf` (`cap` bytes; 16 bytes take one
 * PID/BLP pair: 17 neighbouring numbers) and *len; as many entries as fit,
 * oldest first, and reschedules them one RTT later. Entries too old or
 * out of retries are given up first, as by handle_timeout. Call again
 * until SANSRTC_ERR_NOT_FOUND. The packet is one RTCP packet: put it in a
 * compound (after an RR) or send it alone with reduced-size RTCP.
 * Returns SANSRTC_OK; SANSRTC_ERR_NOT_FOUND (nothing due);
 * SANSRTC_ERR_BUFFER_TOO_SMALL (cap < 16; nothing changes);
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL).
 */
SANSRTC_API int sansrtc_nack_generator_poll(sansrtc_nack_generator *g,
                                            sansrtc_tstamp now, uint8_t *buf,
                                            size_t cap, size_t *len);

/* Number of sequence numbers currently tracked as missing. */
SANSRTC_API size_t
sansrtc_nack_generator_missing(const sansrtc_nack_generator *g);

/* Copies the counters into `*stats` (nothing happens for NULL). */
SANSRTC_API void sansrtc_nack_generator_get_stats(
    const sansrtc_nack_generator *g, sansrtc_nack_generator_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_NACK_H */
