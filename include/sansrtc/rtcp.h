/*
 * sansrtc/rtcp.h - RTCP packets: compound packets (RFC 3550 6.1) and
 * reduced-size RTCP (RFC 5506); SR, RR, SDES, BYE, APP (RFC 3550 6.4-6.7);
 * generic NACK and PLI (RFC 4585 6.2.1, 6.3.1); FIR (RFC 5104 4.3.1); REMB
 * (draft-alvestrand-rmcat-remb-03); transport-wide congestion control
 * feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1); XR
 * (RFC 3611) as a raw body.
 *
 * Parsing never copies and never allocates: parsed structs hold views into
 * the caller's buffer, which must outlive them and stay unchanged; arrays
 * (report blocks, chunks, SSRC lists, NACK pairs, FIR entries, TWCC
 * statuses) are read in place through accessors or iterators. Writers fill
 * a caller-owned buffer and return SANSRTC_ERR_BUFFER_TOO_SMALL when it is
 * short, having then written nothing the caller should send. Every function
 * is safe on any input: malformed bytes give SANSRTC_ERR_MALFORMED, never an
 * over-read. This module depends on sansrtc/common.h only.
 *
 * Thread-safety: no shared state; every function may be called from any
 * thread, one thread at a time per object passed in.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_RTCP_H
#define SANSRTC_RTCP_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Packet types (RFC 3550 12.1, RFC 4585 6.1, RFC 3611). */
#define SANSRTC_RTCP_SR 200
#define SANSRTC_RTCP_RR 201
#define SANSRTC_RTCP_SDES 202
#define SANSRTC_RTCP_BYE 203
#define SANSRTC_RTCP_APP 204
#define SANSRTC_RTCP_RTPFB 205
#define SANSRTC_RTCP_PSFB 206
#define SANSRTC_RTCP_XR 207

/* Feedback message types (the FMT field). */
#define SANSRTC_RTCP_FMT_NACK 1  /* RTPFB, RFC 4585 6.2.1 */
#define SANSRTC_RTCP_FMT_TWCC 15 /* RTPFB, transport-wide-cc */
#define SANSRTC_RTCP_FMT_PLI 1   /* PSFB, RFC 4585 6.3.1 */
#define SANSRTC_RTCP_FMT_FIR 4   /* PSFB, RFC 5104 4.3.1 */
#define SANSRTC_RTCP_FMT_AFB 15  /* PSFB application layer (REMB) */

/* SDES item types (RFC 3550 6.5). */
#define SANSRTC_RTCP_SDES_END 0
#define SANSRTC_RTCP_SDES_CNAME 1
#define SANSRTC_RTCP_SDES_NAME 2
#define SANSRTC_RTCP_SDES_TOOL 6
#define SANSRTC_RTCP_SDES_NOTE 7
#define SANSRTC_RTCP_SDES_PRIV 8

#define SANSRTC_RTCP_HEADER_SIZE 4
#define SANSRTC_RTCP_REPORT_SIZE 24 /* one report block */
#define SANSRTC_RTCP_MAX_REPORTS 31 /* a 5-bit count */

/* A (pointer, length) view into a caller's buffer; not NUL-terminated. */
typedef struct sansrtc_rtcp_bytes {
  const uint8_t *data;
  size_t len;
} sansrtc_rtcp_bytes;

/* ---------------------------------------------------------------------- */
/* Compound packets                                                       */
/* ---------------------------------------------------------------------- */

/* One RTCP packet of a compound packet. */
typedef struct sansrtc_rtcp_header {
  uint8_t version;           /* always 2 */
  uint8_t padding;           /* P bit */
  uint8_t count;             /* RC, SC, FMT or APP subtype: 0..31 */
  uint8_t type;              /* PT, e.g. SANSRTC_RTCP_SR */
  uint16_t length;           /* as sent: 32-bit words minus one */
  sansrtc_rtcp_bytes packet; /* the whole packet, header and padding too */
  sansrtc_rtcp_bytes body;   /* after the 4-byte header, padding removed */
} sansrtc_rtcp_header;

/* Walks a compound packet. Initialise with sansrtc_rtcp_iter_init; the
 * fields are private. Holds no resources. */
typedef struct sansrtc_rtcp_iter {
  const uint8_t *data;
  size_t len;
  size_t off;
} sansrtc_rtcp_iter;

/* Starts iterating `data`/`len` (the caller's; must outlive the iterator). */
SANSRTC_API void sansrtc_rtcp_iter_init(sansrtc_rtcp_iter *it,
                                        const uint8_t *data, size_t len);

/*
 * Stores the next packet's header and views in `out`. Each packet needs
 * version 2, a length field that stays inside the buffer and, with P set,
 * a padding count of 1..body length (RFC 3550 6.4.1, A.2). Any first
 * packet type is accepted (reduced-size RTCP, RFC 5506). Returns 1 when a
 * packet was produced, 0 at the end, SANSRTC_ERR_MALFORMED (and the same
 * on every later call) when the next packet is bad,
 * SANSRTC_ERR_INVALID_ARGUMENT for NULL.
 */
SANSRTC_API int sansrtc_rtcp_iter_next(sansrtc_rtcp_iter *it,
                                       sansrtc_rtcp_header *out);

/* Checks a whole compound packet: at least one packet and every header
 * valid as sansrtc_rtcp_iter_next requires (bodies are not parsed).
 * Returns SANSRTC_OK or SANSRTC_ERR_MALFORMED. */
SANSRTC_API int sansrtc_rtcp_validate(const uint8_t *data, size_t len);

/* What a packet is, from its type, FMT and (for REMB) body. */
typedef enum sansrtc_rtcp_kind {
  SANSRTC_RTCP_KIND_UNKNOWN = 0, /* also other feedback messages */
  SANSRTC_RTCP_KIND_SR,
  SANSRTC_RTCP_KIND_RR,
  SANSRTC_RTCP_KIND_SDES,
  SANSRTC_RTCP_KIND_BYE,
  SANSRTC_RTCP_KIND_APP,
  SANSRTC_RTCP_KIND_NACK,
  SANSRTC_RTCP_KIND_PLI,
  SANSRTC_RTCP_KIND_FIR,
  SANSRTC_RTCP_KIND_REMB,
  SANSRTC_RTCP_KIND_TWCC,
  SANSRTC_RTCP_KIND_XR
} sansrtc_rtcp_kind;

SANSRTC_API sansrtc_rtcp_kind
sansrtc_rtcp_kind_of(const sansrtc_rtcp_header *h);

/*
 * Parsers. Each takes a header from sansrtc_rtcp_iter_next and fills its
 * struct with values and views into the same buffer. They return
 * SANSRTC_OK; SANSRTC_ERR_INVALID_ARGUMENT (NULL, or a header of another
 * type/FMT); SANSRTC_ERR_MALFORMED (the body does not hold what its counts
 * and lengths say). After SANSRTC_OK the accessors and iterators of that
 * struct cannot fail on bounds.
 */

/* A report block (RFC 3550 6.4.1). */
typedef struct sansrtc_rtcp_report {
  uint32_t ssrc;
  uint8_t fraction_lost;   /* fixed point, /256 */
  int32_t cumulative_lost; /* signed 24-bit, sign-extended */
  uint32_t highest_seq;    /* extended highest sequence number received */
  uint32_t jitter;
  uint32_t lsr;  /* middle 32 bits of the last SR's NTP timestamp */
  uint32_t dlsr; /* delay since last SR, 1/65536 s */
} sansrtc_rtcp_report;

/* Report blocks as they lie in the packet: `count` blocks of 24 bytes. */
typedef struct sansrtc_rtcp_reports {
  size_t count;
  sansrtc_rtcp_bytes blocks;
} sansrtc_rtcp_reports;

/* Decodes block `index`. Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND (index
 * >= count or beyond the view) or SANSRTC_ERR_INVALID_ARGUMENT (NULL). */
SANSRTC_API int sansrtc_rtcp_report_get(const sansrtc_rtcp_reports *r,
                                        size_t index, sansrtc_rtcp_report *out);

typedef struct sansrtc_rtcp_sr {
  uint32_t ssrc;
  uint64_t ntp; /* NTP timestamp, 32.32 fixed point */
  uint32_t rtp_timestamp;
  uint32_t packet_count;
  uint32_t octet_count;
  sansrtc_rtcp_reports reports;
  sansrtc_rtcp_bytes extension; /* profile-specific extension, may be empty */
} sansrtc_rtcp_sr;

typedef struct sansrtc_rtcp_rr {
  uint32_t ssrc;
  sansrtc_rtcp_reports reports;
  sansrtc_rtcp_bytes extension;
} sansrtc_rtcp_rr;

SANSRTC_API int sansrtc_rtcp_parse_sr(const sansrtc_rtcp_header *h,
                                      sansrtc_rtcp_sr *out);
SANSRTC_API int sansrtc_rtcp_parse_rr(const sansrtc_rtcp_header *h,
                                      sansrtc_rtcp_rr *out);

/* SDES: `count` chunks; every chunk and item was checked by the parser. */
typedef struct sansrtc_rtcp_sdes {
  size_t chunk_count;
  sansrtc_rtcp_bytes chunks;
} sansrtc_rtcp_sdes;

typedef struct sansrtc_rtcp_sdes_chunk {
  uint32_t ssrc;
  sansrtc_rtcp_bytes items; /* the item list, without its terminator */
} sansrtc_rtcp_sdes_chunk;

/* An SDES item (parsed: a view; written: caller-owned data). */
typedef struct sansrtc_rtcp_sdes_item {
  uint8_t type; /* SANSRTC_RTCP_SDES_*, 1..255 */
  const uint8_t *data;
  size_t len; /* 0..255 */
} sansrtc_rtcp_sdes_item;

SANSRTC_API int sansrtc_rtcp_parse_sdes(const sansrtc_rtcp_header *h,
                                        sansrtc_rtcp_sdes *out);

/* Chunk and item iteration: start with *offset = 0. Return 1 when one was
 * produced, 0 at the end, SANSRTC_ERR_MALFORMED for bytes that do not
 * parse (never after sansrtc_rtcp_parse_sdes accepted them),
 * SANSRTC_ERR_INVALID_ARGUMENT for NULL. */
SANSRTC_API int sansrtc_rtcp_sdes_next_chunk(const sansrtc_rtcp_sdes *s,
                                             size_t *offset,
                                             sansrtc_rtcp_sdes_chunk *out);
SANSRTC_API int sansrtc_rtcp_sdes_next_item(const sansrtc_rtcp_sdes_chunk *c,
                                            size_t *offset,
                                            sansrtc_rtcp_sdes_item *out);

/* The first item of `type` in the chunk for `ssrc`. Returns SANSRTC_OK,
 * SANSRTC_ERR_NOT_FOUND, SANSRTC_ERR_MALFORMED or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtcp_sdes_find(const sansrtc_rtcp_sdes *s,
                                       uint32_t ssrc, uint8_t type,
                                       sansrtc_rtcp_bytes *out);
/* The CNAME of `ssrc`: sansrtc_rtcp_sdes_find with SANSRTC_RTCP_SDES_CNAME. */
SANSRTC_API int sansrtc_rtcp_sdes_cname(const sansrtc_rtcp_sdes *s,
                                        uint32_t ssrc, sansrtc_rtcp_bytes *out);

/* BYE: SSRC list and an optional reason. */
typedef struct sansrtc_rtcp_bye {
  size_t ssrc_count;
  sansrtc_rtcp_bytes ssrcs; /* ssrc_count big-endian 32-bit words */
  int has_reason;
  sansrtc_rtcp_bytes reason; /* UTF-8, not NUL-terminated */
} sansrtc_rtcp_bye;

SANSRTC_API int sansrtc_rtcp_parse_bye(const sansrtc_rtcp_header *h,
                                       sansrtc_rtcp_bye *out);
/* SSRC `index` of the list; 0 when index >= ssrc_count. */
SANSRTC_API uint32_t sansrtc_rtcp_bye_ssrc(const sansrtc_rtcp_bye *b,
                                           size_t index);

/* APP (RFC 3550 6.7). */
typedef struct sansrtc_rtcp_app {
  uint8_t subtype;
  uint32_t ssrc;
  uint8_t name[4];
  sansrtc_rtcp_bytes data;
} sansrtc_rtcp_app;

SANSRTC_API int sansrtc_rtcp_parse_app(const sansrtc_rtcp_header *h,
                                       sansrtc_rtcp_app *out);

/* XR (RFC 3611): the reporter's SSRC and the report blocks, raw. */
typedef struct sansrtc_rtcp_xr {
  uint32_t ssrc;
  sansrtc_rtcp_bytes blocks;
} sansrtc_rtcp_xr;

SANSRTC_API int sansrtc_rtcp_parse_xr(const sansrtc_rtcp_header *h,
                                      sansrtc_rtcp_xr *out);

/* Any RTPFB / PSFB message (RFC 4585 6.1): common part and raw FCI. */
typedef struct sansrtc_rtcp_fb {
  uint8_t type; /* SANSRTC_RTCP_RTPFB or SANSRTC_RTCP_PSFB */
  uint8_t fmt;
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  sansrtc_rtcp_bytes fci;
} sansrtc_rtcp_fb;

SANSRTC_API int sansrtc_rtcp_parse_fb(const sansrtc_rtcp_header *h,
                                      sansrtc_rtcp_fb *out);

/* Generic NACK: one or more (PID, BLP) pairs. */
typedef struct sansrtc_rtcp_nack {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  size_t pair_count;
  sansrtc_rtcp_bytes pairs; /* pair_count 4-byte PID/BLP pairs */
} sansrtc_rtcp_nack;

SANSRTC_API int sansrtc_rtcp_parse_nack(const sansrtc_rtcp_header *h,
                                        sansrtc_rtcp_nack *out);

/*
 * Expands the pairs into lost sequence numbers in packet order: for each
 * pair its PID, then PID + i + 1 (modulo 2^16) for each BLP bit i set. Up
 * to `cap` of them go to `out`; *count gets the total. Returns SANSRTC_OK,
 * SANSRTC_ERR_BUFFER_TOO_SMALL (total > cap; the first cap are stored) or
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL n or count, NULL out with cap > 0).
 * 17 * pair_count entries are always enough.
 */
SANSRTC_API int sansrtc_rtcp_nack_lost(const sansrtc_rtcp_nack *n,
                                       uint16_t *out, size_t cap,
                                       size_t *count);

/* PLI: no FCI (the packet length is exactly 2 words + header). */
typedef struct sansrtc_rtcp_pli {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
} sansrtc_rtcp_pli;

SANSRTC_API int sansrtc_rtcp_parse_pli(const sansrtc_rtcp_header *h,
                                       sansrtc_rtcp_pli *out);

/* FIR: one or more (SSRC, command sequence number) entries. */
typedef struct sansrtc_rtcp_fir_entry {
  uint32_t ssrc;
  uint8_t seq;
} sansrtc_rtcp_fir_entry;

typedef struct sansrtc_rtcp_fir {
  uint32_t sender_ssrc;
  uint32_t media_ssrc; /* 0 per RFC 5104 4.3.1.2; not checked */
  size_t entry_count;
  sansrtc_rtcp_bytes entries; /* entry_count 8-byte entries */
} sansrtc_rtcp_fir;

SANSRTC_API int sansrtc_rtcp_parse_fir(const sansrtc_rtcp_header *h,
                                       sansrtc_rtcp_fir *out);
/* Entry `index`; SANSRTC_OK, SANSRTC_ERR_NOT_FOUND or INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtcp_fir_entry_get(const sansrtc_rtcp_fir *f,
                                           size_t index,
                                           sansrtc_rtcp_fir_entry *out);

/* REMB: a bitrate (mantissa * 2^exponent bits per second) and SSRCs. */
typedef struct sansrtc_rtcp_remb {
  uint32_t sender_ssrc;
  uint32_t media_ssrc; /* 0 as sent by browsers; not checked */
  uint8_t exponent;    /* 0..63 */
  uint32_t mantissa;   /* 0..2^18-1 */
  uint64_t bitrate;    /* mantissa << exponent, UINT64_MAX if it overflows */
  size_t ssrc_count;
  sansrtc_rtcp_bytes ssrcs;
} sansrtc_rtcp_remb;

/* The packet must be PSFB FMT 15 with the "REMB" identifier and exactly
 * ssrc_count SSRCs after it. */
SANSRTC_API int sansrtc_rtcp_parse_remb(const sansrtc_rtcp_header *h,
                                        sansrtc_rtcp_remb *out);
/* SSRC `index`; 0 when index >= ssrc_count. */
SANSRTC_API uint32_t sansrtc_rtcp_remb_ssrc(const sansrtc_rtcp_remb *r,
                                            size_t index);

/* Transport-wide congestion control feedback. */
typedef enum sansrtc_rtcp_twcc_status {
  SANSRTC_TWCC_NOT_RECEIVED = 0,
  SANSRTC_TWCC_SMALL_DELTA = 1, /* received, delta 0..255 (1 byte) */
  SANSRTC_TWCC_LARGE_DELTA = 2  /* received, delta -32768..32767 (2 bytes) */
} sansrtc_rtcp_twcc_status;

#define SANSRTC_TWCC_DELTA_US 250       /* receive delta unit */
#define SANSRTC_TWCC_REFERENCE_US 64000 /* reference time unit */

typedef struct sansrtc_rtcp_twcc {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  uint16_t base_seq;
  uint16_t status_count;
  int32_t reference_time;    /* signed 24-bit, units of 64 ms */
  uint8_t fb_count;          /* feedback packet count */
  sansrtc_rtcp_bytes chunks; /* exactly the chunks status_count needs */
  sansrtc_rtcp_bytes deltas; /* exactly the receive deltas */
} sansrtc_rtcp_twcc;

/*
 * Parses and fully checks TWCC feedback: chunks must give at least
 * status_count symbols (symbols past it in the last chunk are ignored),
 * no symbol may be the reserved value 3, and the receive deltas for every
 * received packet must be present. Bytes after the deltas (zero padding)
 * are ignored.
 */
SANSRTC_API int sansrtc_rtcp_parse_twcc(const sansrtc_rtcp_header *h,
                                        sansrtc_rtcp_twcc *out);

/* One packet's feedback. */
typedef struct sansrtc_rtcp_twcc_packet {
  uint16_t seq;       /* base_seq + index, modulo 2^16 */
  uint8_t status;     /* sansrtc_rtcp_twcc_status */
  int32_t delta;      /* receive delta in 250 us units (0 if not received) */
  int64_t arrival_us; /* reference_time * 64000 + all deltas so far * 250
                         (meaningful only when received) */
} sansrtc_rtcp_twcc_packet;

/* Iterator over the status_count packets; fields are private. */
typedef struct sansrtc_rtcp_twcc_iter {
  const sansrtc_rtcp_twcc *fb;
  size_t chunk_off;
  unsigned symbol;
  size_t delta_off;
  size_t done;
  int64_t ticks;
} sansrtc_rtcp_twcc_iter;

SANSRTC_API void sansrtc_rtcp_twcc_iter_init(sansrtc_rtcp_twcc_iter *it,
                                             const sansrtc_rtcp_twcc *fb);
/* Returns 1 with the next packet in `out`, 0 after status_count packets,
 * SANSRTC_ERR_MALFORMED if the views do not hold what they should (never
 * after sansrtc_rtcp_parse_twcc), SANSRTC_ERR_INVALID_ARGUMENT for NULL. */
SANSRTC_API int sansrtc_rtcp_twcc_next(sansrtc_rtcp_twcc_iter *it,
                                       sansrtc_rtcp_twcc_packet *out);

/* ---------------------------------------------------------------------- */
/* Writing                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Descriptions of packets to write. Pointers are the caller's and only
 * read during the call. Each writer writes one packet into `buf` (`cap`
 * bytes) and stores its length in *len. They return SANSRTC_OK;
 * SANSRTC_ERR_BUFFER_TOO_SMALL (cap too small; *len = 0);
 * SANSRTC_ERR_INVALID_ARGUMENT (NULL pointers, counts out of range, a
 * packet longer than the 16-bit length field allows).
 */
typedef struct sansrtc_rtcp_sr_desc {
  uint32_t ssrc;
  uint64_t ntp;
  uint32_t rtp_timestamp;
  uint32_t packet_count;
  uint32_t octet_count;
  const sansrtc_rtcp_report *reports; /* 0..31 */
  size_t report_count;
} sansrtc_rtcp_sr_desc;

typedef struct sansrtc_rtcp_rr_desc {
  uint32_t ssrc;
  const sansrtc_rtcp_report *reports; /* 0..31 */
  size_t report_count;
} sansrtc_rtcp_rr_desc;

typedef struct sansrtc_rtcp_sdes_chunk_desc {
  uint32_t ssrc;
  const sansrtc_rtcp_sdes_item *items; /* type 1..255, len 0..255 */
  size_t item_count;
} sansrtc_rtcp_sdes_chunk_desc;

typedef struct sansrtc_rtcp_sdes_desc {
  const sansrtc_rtcp_sdes_chunk_desc *chunks; /* 0..31 */
  size_t chunk_count;
} sansrtc_rtcp_sdes_desc;

typedef struct sansrtc_rtcp_bye_desc {
  const uint32_t *ssrcs; /* 0..31 */
  size_t ssrc_count;
  const uint8_t *reason; /* NULL for none; else 0..255 bytes */
  size_t reason_len;
} sansrtc_rtcp_bye_desc;

typedef struct sansrtc_rtcp_app_desc {
  uint8_t subtype; /* 0..31 */
  uint32_t ssrc;
  uint8_t name[4];
  const uint8_t *data; /* a multiple of 4 bytes */
  size_t len;
} sansrtc_rtcp_app_desc;

typedef struct sansrtc_rtcp_nack_desc {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  const uint16_t *lost; /* ascending, modulo 2^16; at least one */
  size_t lost_count;
} sansrtc_rtcp_nack_desc;

typedef struct sansrtc_rtcp_pli_desc {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
} sansrtc_rtcp_pli_desc;

typedef struct sansrtc_rtcp_fir_desc {
  uint32_t sender_ssrc;                  /* media SSRC is written as 0 */
  const sansrtc_rtcp_fir_entry *entries; /* at least one */
  size_t entry_count;
} sansrtc_rtcp_fir_desc;

typedef struct sansrtc_rtcp_remb_desc {
  uint32_t sender_ssrc;  /* media SSRC is written as 0 */
  uint64_t bitrate;      /* bits per second, rounded down to 18 bits */
  const uint32_t *ssrcs; /* 0..255 */
  size_t ssrc_count;
} sansrtc_rtcp_remb_desc;

/* One packet of TWCC feedback input. */
typedef struct sansrtc_rtcp_twcc_input {
  uint16_t seq;
  uint8_t received;       /* 0: lost */
  sansrtc_tstamp arrival; /* when received, ns on the caller's clock */
} sansrtc_rtcp_twcc_input;

typedef struct sansrtc_rtcp_twcc_desc {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  uint8_t fb_count;
  /* Ascending transport sequence numbers (modulo 2^16, steps 1..32767);
   * sequence numbers missing between two entries are written as lost. */
  const sansrtc_rtcp_twcc_input *packets;
  size_t packet_count; /* at least one */
} sansrtc_rtcp_twcc_desc;

/* Any packet, raw: XR, or types this module does not know. */
typedef struct sansrtc_rtcp_raw_desc {
  uint8_t type;        /* PT (ignored for SANSRTC_RTCP_KIND_XR: 207) */
  uint8_t count;       /* 0..31 */
  const uint8_t *body; /* a multiple of 4 bytes */
  size_t len;
} sansrtc_rtcp_raw_desc;

SANSRTC_API int sansrtc_rtcp_write_sr(uint8_t *buf, size_t cap,
                                      const sansrtc_rtcp_sr_desc *d,
                                      size_t *len);
SANSRTC_API int sansrtc_rtcp_write_rr(uint8_t *buf, size_t cap,
                                      const sansrtc_rtcp_rr_desc *d,
                                      size_t *len);
SANSRTC_API int sansrtc_rtcp_write_sdes(uint8_t *buf, size_t cap,
                                        const sansrtc_rtcp_sdes_desc *d,
                                        size_t *len);
SANSRTC_API int sansrtc_rtcp_write_bye(uint8_t *buf, size_t cap,
                                       const sansrtc_rtcp_bye_desc *d,
                                       size_t *len);
SANSRTC_API int sansrtc_rtcp_write_app(uint8_t *buf, size_t cap,
                                       const sansrtc_rtcp_app_desc *d,
                                       size_t *len);
/* Packs the lost list into PID/BLP pairs: a pair starts at the first
 * number not covered by the previous pair and covers the next 16;
 * duplicates are merged. */
SANSRTC_API int sansrtc_rtcp_write_nack(uint8_t *buf, size_t cap,
                                        const sansrtc_rtcp_nack_desc *d,
                                        size_t *len);
SANSRTC_API int sansrtc_rtcp_write_pli(uint8_t *buf, size_t cap,
                                       const sansrtc_rtcp_pli_desc *d,
                                       size_t *len);
SANSRTC_API int sansrtc_rtcp_write_fir(uint8_t *buf, size_t cap,
                                       const sansrtc_rtcp_fir_desc *d,
                                       size_t *len);
SANSRTC_API int sansrtc_rtcp_write_remb(uint8_t *buf, size_t cap,
                                        const sansrtc_rtcp_remb_desc *d,
                                        size_t *len);
SANSRTC_API int sansrtc_rtcp_write_raw(uint8_t *buf, size_t cap,
                                       const sansrtc_rtcp_raw_desc *d,
                                       size_t *len);

/*
 * TWCC feedback. The base sequence number is the first entry's; the
 * reference time is the first received packet's arrival in whole 64 ms
 * (modulo 2^24); each received packet's delta is its arrival minus the
 * previous received one's (or the reference time), on a 250 us grid so
 * errors never accumulate. Chunks: a run-length chunk for a run of 14 or
 * more equal statuses (or 7 when they need 2-bit symbols, or the rest of
 * the feedback), else a 1-bit status vector when the next 14 statuses are
 * "lost" / "small delta", else a 2-bit vector of 7. Zero padding to a
 * 32-bit boundary (no P bit, so it may sit anywhere in a compound).
 * sansrtc_rtcp_write_twcc returns, besides the common errors,
 * SANSRTC_ERR_LIMIT when a delta does not fit 16 bits (start a new
 * feedback packet at that packet: see sansrtc_rtcp_twcc_fit).
 */
SANSRTC_API int sansrtc_rtcp_write_twcc(uint8_t *buf, size_t cap,
                                        const sansrtc_rtcp_twcc_desc *d,
                                        size_t *len);
/* The exact size sansrtc_rtcp_write_twcc needs. Returns SANSRTC_OK,
 * SANSRTC_ERR_LIMIT or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtcp_twcc_size(const sansrtc_rtcp_twcc_desc *d,
                                       size_t *size);
/* How many leading entries of d->packets fit in `cap` bytes and can be
 * encoded (stopping before a delta that does not fit 16 bits): write
 * those, then start the next feedback at the entry after them. Returns
 * SANSRTC_OK with *count >= 1, SANSRTC_ERR_BUFFER_TOO_SMALL when not even
 * one fits, or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_rtcp_twcc_fit(const sansrtc_rtcp_twcc_desc *d,
                                      size_t cap, size_t *count);

/* Any packet for the compound writer. `kind` selects the union member:
 * SR sr, RR rr, SDES sdes, BYE bye, APP app, NACK nack, PLI pli, FIR fir,
 * REMB remb, TWCC twcc, XR and UNKNOWN raw. */
typedef struct sansrtc_rtcp_desc {
  sansrtc_rtcp_kind kind;
  union {
    sansrtc_rtcp_sr_desc sr;
    sansrtc_rtcp_rr_desc rr;
    sansrtc_rtcp_sdes_desc sdes;
    sansrtc_rtcp_bye_desc bye;
    sansrtc_rtcp_app_desc app;
    sansrtc_rtcp_nack_desc nack;
    sansrtc_rtcp_pli_desc pli;
    sansrtc_rtcp_fir_desc fir;
    sansrtc_rtcp_remb_desc remb;
    sansrtc_rtcp_twcc_desc twcc;
    sansrtc_rtcp_raw_desc raw;
  } u;
} sansrtc_rtcp_desc;

/* Writes one packet of any kind; errors as its kind's writer. */
SANSRTC_API int sansrtc_rtcp_write(uint8_t *buf, size_t cap,
                                   const sansrtc_rtcp_desc *d, size_t *len);

/*
 * Compound builder: writes pkts[0], pkts[1], ... one after another into
 * `buf` while they fit in `mtu` bytes, and stops at the first that does
 * not (order is kept: RFC 3550 6.1 wants SR/RR first). *written gets the
 * number of packets written and *len their total length; the caller sends
 * this datagram and calls again with pkts + *written for the rest.
 * Returns SANSRTC_OK (also when *written < count);
 * SANSRTC_ERR_BUFFER_TOO_SMALL when pkts[0] alone does not fit;
 * SANSRTC_ERR_INVALID_ARGUMENT or SANSRTC_ERR_LIMIT from a packet's
 * writer (then *written says which packet failed).
 */
SANSRTC_API int sansrtc_rtcp_write_compound(uint8_t *buf, size_t mtu,
                                            const sansrtc_rtcp_desc *pkts,
                                            size_t count, size_t *written,
                                            size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_RTCP_H */
