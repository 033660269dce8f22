/*
 * sansrtc/rtp.h - RTP packets (RFC 3550 5.1) and RTP header extensions
 * (RFC 8285, one-byte and two-byte forms), with typed values for the
 * extensions WebRTC negotiates (mid, rid, repaired-rid, abs-send-time,
 * transport-wide-cc sequence number, audio level).
 *
 * Parsing never copies: a parsed sansrtc_rtp_packet points into the caller's
 * buffer, which must outlive it and stay unchanged. Writing fills a
 * caller-owned buffer. Nothing here allocates memory or keeps state, and
 * every function is safe on any input: malformed bytes give
 * SANSRTC_ERR_MALFORMED, never an over-read. This module depends on
 * sansrtc/common.h only.
 *
 * Thread-safety: no shared state; every function may be called from any
 * thread, one thread at a time per object passed in.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_RTP_H
#define SANSRTC_RTP_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SANSRTC_RTP_HEADER_SIZE 12 /* fixed header, no CSRC, no extension */
#define SANSRTC_RTP_MAX_CSRC 15
#define SANSRTC_RTP_EXT_ONE_BYTE 0xBEDEu /* RFC 8285 4.2 profile */
#define SANSRTC_RTP_EXT_TWO_BYTE 0x1000u /* RFC 8285 4.3, low 4 bits appbits \
                                          */

/* A (pointer, length) view into a caller's buffer; not NUL-terminated. */
typedef struct sansrtc_rtp_bytes {
  const uint8_t *data;
  size_t len;
} sansrtc_rtp_bytes;

/*
 * A parsed RTP packet. Every view is valid only while the buffer given to
 * sansrtc_rtp_parse is. `payload` excludes the header, CSRCs, extension and
 * padding.
 */
typedef struct sansrtc_rtp_packet {
  uint8_t version;      /* always 2 after a successful parse */
  uint8_t padding;      /* P bit */
  uint8_t extension;    /* X bit */
  uint8_t marker;       /* M bit */
  uint8_t payload_type; /* 0..127 */
  uint16_t sequence;
  uint32_t timestamp;
  uint32_t ssrc;
  uint8_t csrc_count; /* 0..15 */
  uint32_t csrc[SANSRTC_RTP_MAX_CSRC];
  uint16_t ext_profile;  /* "defined by profile" field when X is set */
  sansrtc_rtp_bytes ext; /* extension data after its 4-byte header */
  size_t header_len;     /* 12 + 4 * CC + extension (4 + 4 * length) */
  uint8_t padding_len;   /* trailing padding bytes, count byte included */
  sansrtc_rtp_bytes payload;
} sansrtc_rtp_packet;

/*
 * Parses one RTP packet from `data`/`len` into `pkt` (RFC 3550 5.1). Checks:
 * version 2, 12 + 4 * CC bytes present, the extension header and its
 * length, a padding count that is non-zero and no larger than what follows
 * the header. When the extension uses the RFC 8285 one-byte (0xBEDE) or
 * two-byte (0x100X) form every element is checked too (see
 * sansrtc_rtp_ext_next), so iteration of a parsed packet cannot fail.
 * Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL pkt, or NULL data
 * with len > 0); SANSRTC_ERR_MALFORMED (any check above fails).
 */
SANSRTC_API int sansrtc_rtp_parse(sansrtc_rtp_packet *pkt, const uint8_t *data,
                                  size_t len);

/*
 * RFC 5761 4 demultiplexing of RTP and RTCP sharing one port: returns 1
 * when the second byte with the marker bit masked off is 64..95 (that is,
 * an RTCP packet type 192..223 or a payload type RFC 5761 forbids), 0 when
 * it is RTP, and 0 for fewer than 2 bytes or a NULL pointer. The first-byte
 * demultiplexing of RFC 7983 (STUN / DTLS / RTP) is sansrtc_packet_classify
 * in sansrtc/common.h.
 */
SANSRTC_API int sansrtc_rtp_is_rtcp(const uint8_t *data, size_t len);

/* ---------------------------------------------------------------------- */
/* Header extensions (RFC 8285)                                           */
/* ---------------------------------------------------------------------- */

/* One extension element: local id (from SDP a=extmap) and its data. */
typedef struct sansrtc_rtp_ext {
  uint8_t id;          /* one-byte form 1..14, two-byte form 1..255 */
  const uint8_t *data; /* caller-owned (writing) or a view (parsing) */
  size_t len;          /* one-byte form 1..16, two-byte form 0..255 */
} sansrtc_rtp_ext;

/*
 * Iterates the extension elements of a parsed packet. Start with
 * *offset = 0; each call stores the next element in `out` (its data a view
 * into the packet) and advances *offset. Padding bytes (value 0) are
 * skipped; in the one-byte form an element with id 15 ends the list (RFC
 * 8285 4.2). Packets without an extension, or with a profile other than
 * the two RFC 8285 forms, have no elements.
 * Returns 1 when an element was produced, 0 at the end,
 * SANSRTC_ERR_MALFORMED when an element runs past the extension or a
 * one-byte element has id 0 with a non-zero length (impossible after a
 * successful sansrtc_rtp_parse), SANSRTC_ERR_INVALID_ARGUMENT for NULL.
 */
SANSRTC_API int sansrtc_rtp_ext_next(const sansrtc_rtp_packet *pkt,
                                     size_t *offset, sansrtc_rtp_ext *out);

/*
 * Finds the first element with local id `id` and stores it in `out`.
 * Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND, SANSRTC_ERR_MALFORMED (as
 * sansrtc_rtp_ext_next) or SANSRTC_ERR_INVALID_ARGUMENT (NULL, id 0).
 */
SANSRTC_API int sansrtc_rtp_ext_find(const sansrtc_rtp_packet *pkt, uint8_t id,
                                     sansrtc_rtp_ext *out);

/*
 * Number of bytes sansrtc_rtp_ext_write produces for `elems`: 0 for no
 * elements, else 4 + elements, rounded up to a multiple of 4. The form is
 * one-byte when every id is 1..14 and every length 1..16, else two-byte.
 * Returns SANSRTC_OK with *size set; SANSRTC_ERR_INVALID_ARGUMENT for a
 * NULL pointer (elems may be NULL when count is 0), an id of 0, a length
 * over 255, NULL data with a non-zero length, or a total over 262140 bytes.
 */
SANSRTC_API int sansrtc_rtp_ext_size(const sansrtc_rtp_ext *elems, size_t count,
                                     size_t *size);

/*
 * Writes the RTP header extension block for `elems` (profile field, length
 * in 32-bit words, the elements, zero padding to a 32-bit boundary) at
 * `buf` (`cap` bytes). Writes nothing for count 0. Stores the bytes written
 * in *len. Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (as
 * sansrtc_rtp_ext_size); SANSRTC_ERR_BUFFER_TOO_SMALL.
 */
SANSRTC_API int sansrtc_rtp_ext_write(uint8_t *buf, size_t cap,
                                      const sansrtc_rtp_ext *elems,
                                      size_t count, size_t *len);

/*
 * Typed extension values. Ids come from SDP negotiation, so these take an
 * element's data (as found by sansrtc_rtp_ext_find) rather than a packet.
 * Parsers return SANSRTC_OK, SANSRTC_ERR_MALFORMED (wrong length or value)
 * or SANSRTC_ERR_INVALID_ARGUMENT (NULL output). Encoders write into `out`
 * and return the number of bytes written (the element's length).
 * playout-delay and video-orientation are used as raw bytes.
 */

/* urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8843): 1..255 bytes, each a
 * visible ASCII character (0x21..0x7E); the view points into `e`. */
SANSRTC_API int sansrtc_rtp_ext_parse_mid(const sansrtc_rtp_ext *e,
                                          sansrtc_rtp_bytes *mid);
/* rtp-stream-id and repaired-rtp-stream-id (RFC 8852): 1..255 bytes of
 * letters, digits, '-' or '_' (RFC 8851 rid-id). */
SANSRTC_API int sansrtc_rtp_ext_parse_rid(const sansrtc_rtp_ext *e,
                                          sansrtc_rtp_bytes *rid);
/* Validates and copies a mid or rid string of `len` bytes into `out`
 * (`cap` bytes); `is_rid` selects the rid alphabet. Returns the length
 * written (1..255), or SANSRTC_ERR_INVALID_ARGUMENT (bad string, NULL) or
 * SANSRTC_ERR_BUFFER_TOO_SMALL, as a negative int. */
SANSRTC_API int sansrtc_rtp_ext_encode_sdes(const char *s, size_t len,
                                            int is_rid, uint8_t *out,
                                            size_t cap);

/* abs-send-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time):
 * 3 bytes, seconds in 6.18 fixed point, wrapping every 64 s. */
SANSRTC_API int sansrtc_rtp_ext_parse_abs_send_time(const sansrtc_rtp_ext *e,
                                                    uint32_t *value);
SANSRTC_API size_t sansrtc_rtp_ext_encode_abs_send_time(uint32_t value,
                                                        uint8_t out[3]);
/* Converts a timestamp in nanoseconds to the 24-bit 6.18 value (the time
 * modulo 64 s, rounded down), and a 24-bit value back to nanoseconds
 * within 0..64 s. */
SANSRTC_API uint32_t sansrtc_rtp_abs_send_time_from_ns(sansrtc_tstamp ns);
SANSRTC_API sansrtc_tstamp sansrtc_rtp_abs_send_time_to_ns(uint32_t value);

/* transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions-01
 * 2): a 16-bit transport-wide sequence number, 2 bytes (4 bytes, as
 * transport-wide-cc-02 sends with a feedback request, are accepted and the
 * request bytes ignored). */
SANSRTC_API int sansrtc_rtp_ext_parse_twcc_seq(const sansrtc_rtp_ext *e,
                                               uint16_t *seq);
SANSRTC_API size_t sansrtc_rtp_ext_encode_twcc_seq(uint16_t seq,
                                                   uint8_t out[2]);

/* ssrc-audio-level (RFC 6464 3): 1 byte, V bit (voice activity) and the
 * level in -dBov, 0..127. */
SANSRTC_API int sansrtc_rtp_ext_parse_audio_level(const sansrtc_rtp_ext *e,
                                                  int *voice, uint8_t *level);
/* `level` above 127 is clamped to 127 (the quietest). */
SANSRTC_API size_t sansrtc_rtp_ext_encode_audio_level(int voice, uint8_t level,
                                                      uint8_t out[1]);

/* ---------------------------------------------------------------------- */
/* Writing                                                                */
/* ---------------------------------------------------------------------- */

/* What to put in an RTP header. All pointers are the caller's and only read
 * during the call. */
typedef struct sansrtc_rtp_header_fields {
  uint8_t marker;       /* 0 or 1 */
  uint8_t payload_type; /* 0..127 */
  uint16_t sequence;
  uint32_t timestamp;
  uint32_t ssrc;
  const uint32_t *csrc;       /* csrc_count entries, may be NULL when 0 */
  size_t csrc_count;          /* 0..15 */
  const sansrtc_rtp_ext *ext; /* RFC 8285 elements, may be NULL when 0 */
  size_t ext_count;
} sansrtc_rtp_header_fields;

/*
 * Writes the header, CSRCs and extension block into `buf` (`cap` bytes),
 * so the caller can put the payload right after it (zero copy). The P bit
 * is clear; see sansrtc_rtp_add_padding. Stores the header length in
 * *header_len. Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL,
 * payload type > 127, more than 15 CSRCs, bad extension elements);
 * SANSRTC_ERR_BUFFER_TOO_SMALL.
 */
SANSRTC_API int sansrtc_rtp_write_header(const sansrtc_rtp_header_fields *h,
                                         uint8_t *buf, size_t cap,
                                         size_t *header_len);

/*
 * Writes a whole packet: header, a copy of `payload` (`payload_len` bytes,
 * may be NULL when 0) and `padding` bytes of padding (0 for none; else
 * padding - 1 zero bytes and the count, with the P bit set). Stores the
 * packet length in *len. Errors as sansrtc_rtp_write_header.
 */
SANSRTC_API int sansrtc_rtp_write(const sansrtc_rtp_header_fields *h,
                                  const uint8_t *payload, size_t payload_len,
                                  uint8_t padding, uint8_t *buf, size_t cap,
                                  size_t *len);

/*
 * Appends `padding` (1..255) bytes of RTP padding to the packet of `len`
 * bytes in `buf` (`cap` bytes) and sets its P bit; *new_len gets the new
 * length. Returns SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL, padding
 * 0, len < 12, or P already set); SANSRTC_ERR_BUFFER_TOO_SMALL.
 */
SANSRTC_API int sansrtc_rtp_add_padding(uint8_t *buf, size_t len, size_t cap,
                                        uint8_t padding, size_t *new_len);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_RTP_H */
