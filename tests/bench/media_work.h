/*
 * media_work.h - the per-packet media work that tests/bench/bench.c times
 * and tests/integration/alloc_count.c counts heap calls of: one RTP packet
 * parsed (with its TWCC sequence number and mid looked up) and a header
 * written; RTCP compounds written and parsed down to every field; fixture
 * frames packetized and depacketized; RTP packets protected and
 * unprotected. Test code only, not part of the library.
 *
 * Every function here works on objects built beforehand and returns a
 * value derived from what it computed (a checksum) so that the compiler
 * cannot drop the work; -1 (or 0 for the checksums that cannot be
 * negative, see each) means the library refused something it should not.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_TESTS_MEDIA_WORK_H
#define SANSRTC_TESTS_MEDIA_WORK_H

#include <stddef.h>
#include <stdint.h>

#include <sansrtc/packetizer.h>
#include <sansrtc/rtcp.h>
#include <sansrtc/rtp.h>
#include <sansrtc/srtp.h>
#include <srtp2/srtp.h>

#include "../media_fixtures.h"

#define MW_PACKET 1200      /* the RTP packet size used throughout */
#define MW_EXT_MID 1        /* local extension ids, as a=extmap gives them */
#define MW_EXT_TWCC 3
#define MW_EXT_ABS_SEND_TIME 2

/* ---- RTP ---------------------------------------------------------------- */

typedef struct mw_rtp {
  uint8_t in[MW_PACKET]; /* a received packet: mid, abs-send-time, TWCC */
  size_t in_len;
  uint8_t out[64]; /* where headers are written */
} mw_rtp;

/* Builds the received packet (1,200 bytes, three one-byte extensions). */
int mw_rtp_init(mw_rtp *w);
/* Parses w->in, finds and decodes the TWCC sequence number and the mid.
 * Returns seq + mid length (>= 0), or -1. */
long mw_rtp_parse(const mw_rtp *w);
/* Writes a header with two extensions (TWCC `seq` and mid "0") into
 * w->out. Returns the header length, or -1. */
long mw_rtp_write(mw_rtp *w, uint16_t seq);

/* ---- RTCP --------------------------------------------------------------- */

typedef enum mw_compound {
  MW_SR_SDES = 0,      /* SR with one report block + SDES CNAME */
  MW_RR_NACK_TWCC = 1, /* RR with one block + NACK + TWCC (40 packets) */
  MW_ALL_TYPES = 2,    /* one packet of every type rtcp.h writes */
  MW_COMPOUNDS = 3
} mw_compound;

typedef struct mw_rtcp {
  uint16_t lost[6];
  sansrtc_rtcp_twcc_input twcc[40];
  sansrtc_rtcp_report report;
  sansrtc_rtcp_sdes_item cname;
  sansrtc_rtcp_sdes_chunk_desc chunk;
  uint32_t ssrcs[2];
  sansrtc_rtcp_fir_entry fir;
  uint8_t app_data[8];
  uint8_t xr_body[12];
  sansrtc_rtcp_desc desc[MW_COMPOUNDS][11];
  size_t count[MW_COMPOUNDS];
  uint8_t buf[MW_COMPOUNDS][1500];
  size_t len[MW_COMPOUNDS];
} mw_rtcp;

/* Fills the descriptions and writes each compound once into w->buf. */
int mw_rtcp_init(mw_rtcp *w);
/* Writes compound `c` into w->buf[c] again (times `round` in the SR). Returns
 * its length, or -1. */
long mw_rtcp_write(mw_rtcp *w, mw_compound c, uint32_t round);
/* Parses compound `c`: every packet with its parser, then every report
 * block, SDES item, NACK'd sequence number, FIR entry, REMB SSRC and TWCC
 * status. Returns a checksum >= 0, or -1. */
long mw_rtcp_parse(const mw_rtcp *w, mw_compound c);

/* ---- packetizers -------------------------------------------------------- */

#define MW_MAX_PACKETS 512 /* payloads held between depacketize calls */

typedef struct mw_media {
  mf_media *m; /* the fixture */
  sansrtc_packetizer *pk;
  sansrtc_depacketizer *dp;
  uint8_t (*payload)[MW_PACKET]; /* MW_MAX_PACKETS payloads */
  size_t len[MW_MAX_PACKETS];
  int marker[MW_MAX_PACKETS];
  uint32_t ts[MW_MAX_PACKETS];
  size_t n;          /* payloads packetized and not yet depacketized */
  uint16_t seq;      /* next RTP sequence number */
  uint32_t frame_no; /* frames packetized, for timestamps */
  uint64_t frames_out, frames_incomplete;
} mw_media;

/* Loads the fixture of `codec` and makes a packetizer (1,200-byte
 * payloads) and a depacketizer. Returns 0 or -1 (message on stderr). */
int mw_media_init(mw_media *w, sansrtc_codec codec);
void mw_media_free(mw_media *w);
/* Packetizes fixture frame `i`, appending its payloads to w->payload
 * (w->n grows). Returns the frame's packet count, or -1 (also when the
 * payloads would not fit in MW_MAX_PACKETS). */
long mw_packetize(mw_media *w, size_t i);
/* Pushes the w->n payloads held into the depacketizer in order, popping
 * every ready frame after each push (counted in frames_out /
 * frames_incomplete), and empties the store (w->n = 0). Returns the bytes
 * of the frames popped, or -1. */
long mw_depacketize(mw_media *w);
/* The fixture codec named "opus", "vp8", "vp9", "h264", "h265", "av1";
 * 0 if unknown. */
sansrtc_codec mw_codec_by_name(const char *name);

/* ---- SRTP --------------------------------------------------------------- */

/* The profile named "aes128cm80", "aes128cm32", "aes128gcm", "aes256gcm"
 * (the SANSRTC_SRTP_* value), or 0. */
unsigned mw_profile_by_name(const char *name);
const char *mw_profile_name(unsigned profile);

/* A session that protects with key A and unprotects with key A too, so
 * that what it protects it can unprotect (a loopback). Returns 0 or -1. */
int mw_srtp_loopback(sansrtc_srtp **out, unsigned profile);
/* The loopback of mw_srtp_loopback made with libsrtp2 directly: `tx`
 * (ssrc_any_outbound) and `rx` (ssrc_any_inbound) with the policies
 * lib/srtp.c gives a session (profile, key, replay window), to tell
 * libsrtp2's own costs from sansrtc's. libsrtp2 must be initialised: keep
 * a sansrtc_srtp session alive around these. Returns 0 or -1. */
int mw_srtp_direct(srtp_t *tx, srtp_t *rx, unsigned profile);
void mw_srtp_direct_free(srtp_t tx, srtp_t rx);

/* Writes a 1,200-byte RTP packet with sequence number `seq` (12-byte
 * header, SSRC 0x11223344) into buf. */
void mw_srtp_packet(uint8_t *buf, uint16_t seq);

#endif
