/*
 * sansrtc/packetizer.h - RTP payload formats for media: packetizers that cut
 * an encoded frame into RTP payloads and depacketizers that reassemble
 * frames from received payloads.
 *
 * Codecs and their payload formats:
 *   Opus  RFC 7587   one Opus packet per payload
 *   VP8   RFC 7741   payload descriptor with a 15-bit PictureID
 *   VP9   RFC 9628   non-flexible mode with a 15-bit picture id (packetizer);
 *                    flexible and non-flexible, SS parsed (depacketizer)
 *   H.264 RFC 6184   packetization-mode 0 (single NAL unit) and 1 (adds
 *                    STAP-A and FU-A)
 *   H.265 RFC 7798   single NAL unit, AP and FU, without DONL
 *   AV1   AOM "RTP Payload Format For AV1" v1.0
 *
 * These modules handle RTP payloads only: the caller writes and parses the
 * RTP header (sequence number, timestamp, marker bit, SSRC, payload type)
 * and passes or receives the payload bytes with the marker, timestamp and
 * sequence number. Nothing here reads a clock or does I/O.
 *
 * Frames: a "frame" is what one RTP timestamp carries: an Opus packet, a
 * VP8 frame, a VP9 superframe (as IVF stores it), an H.264/H.265 access
 * unit in Annex-B byte-stream format (start codes), or an AV1 temporal unit
 * in the low-overhead bitstream format (OBUs with obu_size, AV1 5.2).
 *
 * Memory: the objects allocate once, in their constructor; packetizing and
 * depacketizing never allocate.
 *
 * Thread-safety: no shared state; each object may be used from any thread,
 * one thread at a time per object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_PACKETIZER_H
#define SANSRTC_PACKETIZER_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sansrtc_codec {
  SANSRTC_CODEC_OPUS = 1,
  SANSRTC_CODEC_VP8 = 2,
  SANSRTC_CODEC_VP9 = 3,
  SANSRTC_CODEC_H264 = 4,
  SANSRTC_CODEC_H265 = 5,
  SANSRTC_CODEC_AV1 = 6
} sansrtc_codec;

/* Returns a static name ("opus", "VP8", "VP9", "H264", "H265", "AV1"), the
 * encoding name SDP uses, or "unknown". */
SANSRTC_API const char *sansrtc_codec_name(sansrtc_codec codec);

/* Smallest max_payload a packetizer accepts: room for every descriptor and
 * at least one byte of media in a fragment. */
#define SANSRTC_PACKETIZER_MIN_PAYLOAD 32
/* Largest max_payload (an RTP packet must fit a UDP datagram). */
#define SANSRTC_PACKETIZER_MAX_PAYLOAD 65000
/* Longest parameter set (H.264 SPS/PPS, H.265 VPS/SPS/PPS) the packetizer
 * stores for insertion before IDR/IRAP pictures; longer ones are sent as
 * they come but not stored. */
#define SANSRTC_PACKETIZER_MAX_PARAM_SET 512

/*
 * Packetizer configuration. Fill with sansrtc_packetizer_config_default and
 * change what you need.
 */
typedef struct sansrtc_packetizer_config {
  sansrtc_codec codec;
  /* Largest payload produced, in bytes (the RTP header and SRTP tag are not
   * included): SANSRTC_PACKETIZER_MIN_PAYLOAD..MAX_PAYLOAD. Default 1200. */
  size_t max_payload;
  /* H.264 packetization-mode: 0 (single NAL unit; a NAL unit longer than
   * max_payload is an error) or 1 (STAP-A and FU-A). Default 1. H.265
   * always aggregates and fragments. */
  int h264_packetization_mode;
  /* H.264/H.265: when non-zero, an access unit holding an IDR (H.264 NAL
   * type 5) or IRAP (H.265 types 16..21) picture but no parameter sets gets
   * the last SPS and PPS (and VPS) seen in earlier access units inserted
   * before its first IDR/IRAP NAL unit. Default 1. */
  int insert_parameter_sets;
  /* VP8/VP9: the first picture id sent (15 bits; it then increases by one
   * per frame, wrapping at 0x7FFF). Default 0. */
  uint16_t picture_id;
} sansrtc_packetizer_config;

/* Fills `config` with the defaults above for `codec`. */
SANSRTC_API void sansrtc_packetizer_config_default(
    sansrtc_packetizer_config *config, sansrtc_codec codec);

typedef struct sansrtc_packetizer sansrtc_packetizer;

/*
 * Creates a packetizer in `*out` (set to NULL on failure). The config is
 * copied. Free with sansrtc_packetizer_del.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL, unknown codec,
 * max_payload out of range, packetization mode not 0 or 1) or
 * SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_packetizer_new(sansrtc_packetizer **out,
                                       const sansrtc_packetizer_config *config);

/* Frees the packetizer; NULL is allowed. */
SANSRTC_API void sansrtc_packetizer_del(sansrtc_packetizer *p);

/*
 * Starts packetizing one frame. The packetizer keeps a pointer to `frame`:
 * the caller keeps it unchanged until sansrtc_packetizer_pending returns 0
 * or the next sansrtc_packetizer_frame call. A frame still pending is
 * abandoned. The whole frame is checked here, so a frame accepted is always
 * packetized completely.
 * Returns SANSRTC_OK, or:
 *   SANSRTC_ERR_INVALID_ARGUMENT  NULL, or len 0
 *   SANSRTC_ERR_MALFORMED         the frame does not parse (H.264/H.265: no
 *                                 start code, an empty stream, or a NAL
 *                                 unit type the payload format reserves:
 *                                 H.264 0 and 24..31, H.265 48..63; AV1: an
 *                                 OBU header or size that lies, or no OBU
 *                                 to send)
 *   SANSRTC_ERR_LIMIT             Opus packet longer than max_payload, or in
 *                                 H.264 mode 0 a NAL unit longer than it
 * After an error no frame is pending.
 */
SANSRTC_API int sansrtc_packetizer_frame(sansrtc_packetizer *p,
                                         const uint8_t *frame, size_t len);

/* Returns 1 while payloads of the current frame remain, else 0. */
SANSRTC_API int sansrtc_packetizer_pending(const sansrtc_packetizer *p);

/*
 * Writes the next payload of the current frame into `buf` (`cap` bytes,
 * which must be at least the configured max_payload) and its length into
 * `*len`. `*marker` is set to the RTP marker bit for this packet: 1 on the
 * last packet of a video frame, 0 otherwise; for Opus always 0 (RFC 7587
 * 4.1 leaves it to talkspurt starts, which are the caller's business).
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL),
 * SANSRTC_ERR_BUFFER_TOO_SMALL (cap < max_payload; nothing changes) or
 * SANSRTC_ERR_INVALID_STATE (no payload pending).
 */
SANSRTC_API int sansrtc_packetizer_next(sansrtc_packetizer *p, uint8_t *buf,
                                        size_t cap, size_t *len, int *marker);

/* ---------------------------------------------------------------------- */

/* Depacketizer configuration; fill with sansrtc_depacketizer_config_default. */
typedef struct sansrtc_depacketizer_config {
  sansrtc_codec codec;
  /* Largest frame reassembled, in bytes, and also the most payload bytes
   * stored for one frame. Default 1 MiB (1048576); at least 64. */
  size_t max_frame_size;
  /* Most packets stored for one frame. Default 2048; at least 1. */
  size_t max_packets;
} sansrtc_depacketizer_config;

SANSRTC_API void sansrtc_depacketizer_config_default(
    sansrtc_depacketizer_config *config, sansrtc_codec codec);

/* A reassembled frame. `data` points into the depacketizer and is valid
 * until the next call on it (push, pop, flush, del). */
typedef struct sansrtc_frame {
  const uint8_t *data;
  size_t len;
  uint32_t timestamp;  /* the RTP timestamp of its packets */
  uint16_t first_seq;  /* lowest and highest sequence numbers received */
  uint16_t last_seq;
  int keyframe;        /* independently decodable (see docs/packetizers.md);
                        * always 1 for Opus */
  int incomplete;      /* a packet is missing (sequence gap, no start, no
                        * marker) or was refused: the data is what could be
                        * rebuilt from the packets that arrived */
} sansrtc_frame;

typedef struct sansrtc_depacketizer_stats {
  uint64_t frames;            /* frames returned by pop */
  uint64_t frames_incomplete; /* of which flagged incomplete */
  uint64_t frames_too_large;  /* frames dropped: larger than max_frame_size */
  uint64_t frames_overwritten; /* ready frames replaced before pop */
  uint64_t packets_duplicate; /* same sequence number twice in a frame */
  uint64_t packets_late;      /* arrived after their frame was emitted */
  uint64_t packets_malformed; /* refused by push */
} sansrtc_depacketizer_stats;

typedef struct sansrtc_depacketizer sansrtc_depacketizer;

/*
 * Creates a depacketizer in `*out` (NULL on failure); it allocates its two
 * buffers of max_frame_size bytes and its packet table here, and never
 * again. Free with sansrtc_depacketizer_del.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL, unknown codec,
 * sizes out of range) or SANSRTC_ERR_NOMEM.
 */
SANSRTC_API int sansrtc_depacketizer_new(
    sansrtc_depacketizer **out, const sansrtc_depacketizer_config *config);

/* Frees the depacketizer; NULL is allowed. */
SANSRTC_API void sansrtc_depacketizer_del(sansrtc_depacketizer *d);

/*
 * Feeds one received RTP payload (copied; the caller keeps `payload`).
 * Packets of one frame (same timestamp) may come in any order. A packet
 * with a timestamp different from the frame being assembled closes that
 * frame (complete or flagged incomplete) and becomes ready for pop; so
 * after every push the caller calls sansrtc_depacketizer_pop until it
 * returns SANSRTC_ERR_NOT_FOUND, or a ready frame is overwritten (counted
 * in frames_overwritten). A packet for the frame last emitted is dropped
 * (packets_late) and a repeated sequence number too (packets_duplicate);
 * both return SANSRTC_OK. Opus packets are each a frame.
 * Returns SANSRTC_OK, or:
 *   SANSRTC_ERR_INVALID_ARGUMENT  NULL with len > 0
 *   SANSRTC_ERR_MALFORMED         the payload does not parse (empty, a
 *                                 descriptor or aggregation that lies)
 *   SANSRTC_ERR_UNSUPPORTED       a valid packet type this module does not
 *                                 handle (H.264 STAP-B, MTAP16/24, FU-B;
 *                                 H.265 PACI)
 *   SANSRTC_ERR_LIMIT             the frame already holds max_packets
 *                                 packets or max_frame_size payload bytes
 * A refused packet is not stored; its frame will be flagged incomplete.
 */
SANSRTC_API int sansrtc_depacketizer_push(sansrtc_depacketizer *d,
                                          const uint8_t *payload, size_t len,
                                          uint16_t seq, uint32_t timestamp,
                                          int marker);

/*
 * Takes the next ready frame into `*frame`. A frame is ready when its
 * marker packet and every packet back to its start have arrived (the start
 * is known from the payload descriptor for VP8, VP9 and Opus, or as the
 * packet after the previous frame's marker), or when it was closed by a
 * newer timestamp or by flush.
 * Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (NULL),
 * SANSRTC_ERR_NOT_FOUND (no frame ready), or SANSRTC_ERR_LIMIT: the next
 * frame, reassembled, exceeds max_frame_size and was dropped (call pop
 * again for any other).
 */
SANSRTC_API int sansrtc_depacketizer_pop(sansrtc_depacketizer *d,
                                         sansrtc_frame *frame);

/* Closes the frame being assembled, if any, so that pop returns it
 * (flagged incomplete unless it is whole). For the end of a stream. */
SANSRTC_API void sansrtc_depacketizer_flush(sansrtc_depacketizer *d);

/* What sansrtc_depacketizer_inspect says about a payload's place in its
 * frame. */
#define SANSRTC_DEPACK_NOT_START 0   /* continues a frame */
#define SANSRTC_DEPACK_MAY_START 1   /* may start one: H.264, H.265, AV1
                                      * without a start flag */
#define SANSRTC_DEPACK_FRAME_START 2 /* starts one for certain: VP8 S=1
                                      * PID=0, VP9 B=1 of spatial layer 0,
                                      * AV1 N=1 (new coded video sequence),
                                      * every Opus payload */

/*
 * Looks at one payload's descriptor (as push would, without storing it or
 * changing any state) and says whether it starts a frame, so a reorder
 * buffer (sansrtc/jitter_buffer.h) can tell where frames begin without
 * knowing the payload formats. Returns SANSRTC_DEPACK_NOT_START,
 * SANSRTC_DEPACK_MAY_START or SANSRTC_DEPACK_FRAME_START;
 * SANSRTC_ERR_MALFORMED when push would refuse the payload as malformed
 * (also for len 0); SANSRTC_ERR_UNSUPPORTED as push; or
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL d, or NULL payload with len > 0).
 */
SANSRTC_API int sansrtc_depacketizer_inspect(const sansrtc_depacketizer *d,
                                             const uint8_t *payload,
                                             size_t len);

/* Copies the counters into `*stats`. */
SANSRTC_API void sansrtc_depacketizer_get_stats(
    const sansrtc_depacketizer *d, sansrtc_depacketizer_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_PACKETIZER_H */
