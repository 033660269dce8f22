/*
 * sansrtc/jitter_buffer.h - the receive-side frame buffer of one RTP stream:
 * puts packets back in order, hands out whole frames in decode order
 * through the depacketizer of sansrtc/packetizer.h, skips a frame that
 * stays incomplete for too long, and asks for a keyframe (PLI, RFC 4585
 * 6.3.1, or FIR, RFC 5104 4.3.1) when a loss cannot be repaired.
 *
 * Consumes: RTP payloads with their sequence number, timestamp, marker
 * and arrival time (RTX packets once unwrapped; see sansrtc/nack.h).
 * Emits: frames (sansrtc_jitter_buffer_pop), keyframe requests as RTCP
 * packets written into the caller's buffer (sansrtc_jitter_buffer_poll_rtcp).
 * Next deadline: the wait expiry of the frame at the head of the decode
 * order, or the keyframe request retry, whichever is first.
 *
 * Calling pattern: after every push, and after handle_timeout, call pop
 * until SANSRTC_ERR_NOT_FOUND and poll_rtcp until SANSRTC_ERR_NOT_FOUND.
 *
 * Time is the caller's (`now`, ns); nothing here reads a clock or does I/O.
 * Memory: the buffer allocates its packet store, frame table and
 * depacketizer in its constructor and never again.
 *
 * Thread-safety: no shared state; each object may be used from any thread,
 * one thread at a time per object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_JITTER_BUFFER_H
#define SANSRTC_JITTER_BUFFER_H

#include <sansrtc/common.h>
#include <sansrtc/packetizer.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sansrtc_keyframe_request {
  SANSRTC_KEYFRAME_REQUEST_NONE = 0, /* never ask */
  SANSRTC_KEYFRAME_REQUEST_PLI = 1,  /* Picture Loss Indication */
  SANSRTC_KEYFRAME_REQUEST_FIR = 2   /* Full Intra Request */
} sansrtc_keyframe_request;

/* Fill with sansrtc_jitter_buffer_config_default, then set the SSRCs. */
typedef struct sansrtc_jitter_buffer_config {
  sansrtc_codec codec;
  uint32_t sender_ssrc; /* ours, the feedback's packet sender */
  uint32_t media_ssrc;  /* the stream's */
  /* Packets held at once: 1..32768, default 512. All packets held lie in
   * a window of this many sequence numbers from the oldest: a packet past
   * it skips the oldest frames (counted as lost) to make room. */
  size_t max_packets;
  /* Largest payload held, in bytes: 1..65535, default 1500; longer ones
   * are refused. The store is max_packets * max_payload bytes. */
  size_t max_payload;
  /* Frames (distinct timestamps) held at once: 1..4096, default 128. */
  size_t max_frames;
  /* Largest reassembled frame: as sansrtc_depacketizer_config, default
   * 1 MiB (the depacketizer allocates twice this). */
  size_t max_frame_size;
  /* How long the frame at the head of the decode order may stay
   * incomplete (or wait for a frame missing before it) after its first
   * packet arrived, before it is skipped so later frames continue. Default
   * 200 ms: two retransmission rounds at 100 ms RTT, and less than a
   * viewer tolerates as a freeze. Make it several RTTs when losses are
   * repaired by NACK. */
  sansrtc_tstamp max_wait;
  sansrtc_keyframe_request keyframe_request; /* default PLI */
  /* Keyframe requests are repeated at this interval while no keyframe
   * arrives, and never sent closer together. Default 500 ms. */
  sansrtc_tstamp keyframe_interval;
} sansrtc_jitter_buffer_config;

SANSRTC_API void sansrtc_jitter_buffer_config_default(
    sansrtc_jitter_buffer_config *config, sansrtc_codec codec);

typedef struct sansrtc_jitter_buffer_stats {
  uint64_t packets;           /* push calls that stored a packet */
  uint64_t packets_late;      /* for a frame already emitted or skipped */
  uint64_t packets_duplicate; /* a sequence number already held */
  uint64_t packets_refused;   /* malformed or over max_payload */
  uint64_t frames;            /* frames pop returned */
  uint64_t keyframes;         /* of which keyframes */
  uint64_t frames_skipped;    /* incomplete frames given up (max_wait,
                               * window or frame table full) */
  uint64_t gaps_skipped;      /* runs of sequence numbers given up without
                               * any packet of theirs (whole lost frames) */
  uint64_t frames_not_decodable; /* whole frames dropped while waiting
                                  * for a keyframe after a loss */
  uint64_t keyframe_requests; /* PLI / FIR packets written */
  uint64_t resets;            /* sequence jumps treated as a new stream */
} sansrtc_jitter_buffer_stats;

/* The buffer: a store of max_packets payload copies indexed by extended
 * sequence number, a table of max_frames frames, a depacketizer, and the
 * decode position (end of the last frame emitted or skipped). Owned by
 * the caller through _new/_del. */
typedef struct sansrtc_jitter_buffer sansrtc_jitter_buffer;

/*
 * Creates a buffer in `*out` (NULL on failure); the config is copied.
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL, sizes out of
 * range, unknown codec or request kind); SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_jitter_buffer_new(
    sansrtc_jitter_buffer **out, const sansrtc_jitter_buffer_config *config);

/* Frees the buffer; NULL is allowed. */
SANSRTC_API void sansrtc_jitter_buffer_del(sansrtc_jitter_buffer *jb);

/*
 * Stores one received RTP payload (copied; the caller keeps `payload`)
 * with its header's sequence number, timestamp and marker, received at
 * `now`. Late packets (of a frame already emitted or skipped, or too far
 * behind the packets held for the window) and duplicates are counted and
 * dropped with SANSRTC_OK. A packet more than max_packets sequence
 * numbers ahead of the oldest held skips the oldest frames (the window);
 * one more than max_packets behind the highest seen is a stream restart:
 * everything held is dropped (resets) and the stream starts over at it.
 * Returns SANSRTC_OK; SANSRTC_ERR_MALFORMED (the depacketizer cannot read
 * the payload descriptor; dropped); SANSRTC_ERR_UNSUPPORTED (a packet type
 * the depacketizer does not handle; dropped); SANSRTC_ERR_LIMIT (over
 * max_payload; dropped); SANSRTC_ERR_INVALID_ARGUMENT (NULL).
 */
SANSRTC_API int sansrtc_jitter_buffer_push(sansrtc_jitter_buffer *jb,
                                           const uint8_t *payload, size_t len,
                                           uint16_t seq, uint32_t timestamp,
                                           int marker, sansrtc_tstamp now);

/*
 * Takes the next whole frame in decode order into `*frame` (its data
 * points into the buffer until the next call on it). A frame is whole
 * when its packets run without a gap from its first (known from the
 * payload descriptor, or as the packet after the previous frame's end) to
 * its marker packet; it is handed out once every frame before it was
 * handed out or skipped. After a loss, frames are not handed out until a
 * keyframe (frames_not_decodable) and a keyframe request is raised.
 * Returns SANSRTC_OK; SANSRTC_ERR_NOT_FOUND (none ready);
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL).
 */
SANSRTC_API int sansrtc_jitter_buffer_pop(sansrtc_jitter_buffer *jb,
                                          sansrtc_frame *frame);

/* The earliest of: when the head frame's wait expires, when the next
 * keyframe request is due; SANSRTC_TSTAMP_NEVER for neither. */
SANSRTC_API sansrtc_tstamp
sansrtc_jitter_buffer_next_deadline(const sansrtc_jitter_buffer *jb);

/* Skips the frames (and whole lost frames) whose wait expired by `now`,
 * up to the first frame that can be handed out. Never fails. */
SANSRTC_API void sansrtc_jitter_buffer_handle_timeout(
    sansrtc_jitter_buffer *jb, sansrtc_tstamp now);

/*
 * Writes a keyframe request (PLI, or FIR with this media SSRC's command
 * sequence number: incremented for each new request, the same for a
 * repetition, RFC 5104 4.3.1.2) into `buf` (`cap` bytes; 12 for PLI, 20
 * for FIR) and *len, when one is due at `now`.
 * Returns SANSRTC_OK; SANSRTC_ERR_NOT_FOUND (none due);
 * SANSRTC_ERR_BUFFER_TOO_SMALL (stays due); SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_jitter_buffer_poll_rtcp(sansrtc_jitter_buffer *jb,
                                                sansrtc_tstamp now,
                                                uint8_t *buf, size_t cap,
                                                size_t *len);

/* Asks for a keyframe now (e.g. the decoder failed): as after a loss. */
SANSRTC_API void sansrtc_jitter_buffer_request_keyframe(
    sansrtc_jitter_buffer *jb);

/* Copies the counters into `*stats` (nothing happens for NULL). */
SANSRTC_API void sansrtc_jitter_buffer_get_stats(
    const sansrtc_jitter_buffer *jb, sansrtc_jitter_buffer_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_JITTER_BUFFER_H */
