/*
 * media_fixtures.h - readers (and writers, for the decode check) of the
 * containers holding the media fixtures in tests/fixtures/media/: IVF
 * (VP8, VP9, AV1), Annex-B byte streams split into access units at access
 * unit delimiters (H.264, H.265), and Ogg Opus. Test code only.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_TESTS_MEDIA_FIXTURES_H
#define SANSRTC_TESTS_MEDIA_FIXTURES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sansrtc/packetizer.h>

#define MF_MAX_FRAMES 1024

typedef struct mf_frame {
  const uint8_t *data; /* into mf_media.file or mf_media.packets */
  size_t len;
  int keyframe;        /* listed in <name>.keyframes (ffprobe's K flag) */
} mf_frame;

typedef struct mf_media {
  sansrtc_codec codec;
  uint8_t *file;     /* the whole fixture file */
  size_t file_len;
  uint8_t *packets;  /* Ogg: the packets, joined across pages */
  size_t header_len; /* IVF: 32; Ogg: the pages of OpusHead and OpusTags */
  size_t header_pages; /* Ogg: how many pages those are */
  size_t n;
  mf_frame frames[MF_MAX_FRAMES];
} mf_media;

/* The fixture's file name for a codec ("h264.h264", ...). */
const char *mf_file_name(sansrtc_codec codec);

/* Loads tests/fixtures/media/<file> (or $SANSRTC_TEST_FIXTURES/media/)
 * and its keyframe list. Returns 0, or -1 with a message on stderr. */
int mf_load(mf_media *m, sansrtc_codec codec);
void mf_free(mf_media *m);

/* Writers for reassembled frames: the container header (copied from the
 * fixture), then one frame at a time. `index` is the frame number. */
int mf_write_header(FILE *f, const mf_media *m);
int mf_write_frame(FILE *f, const mf_media *m, size_t index,
                   const uint8_t *data, size_t len);

#endif
