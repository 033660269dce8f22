/*
 * libFuzzer target for the DCEP codec (RFC 8832): every input is parsed as
 * DATA_CHANNEL_OPEN; an accepted one must lie inside the input, re-encode
 * to exactly the input bytes, and parse again to the same fields.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/datachannel.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sansrtc_dcep_open o;
  if (sansrtc_dcep_parse_open(&o, data, size) != SANSRTC_OK) return 0;
  if (o.label < data || o.label + o.label_len > data + size ||
      o.protocol + o.protocol_len != data + size)
    abort();
  uint8_t *out = malloc(size);
  if (out == NULL) abort();
  int n = sansrtc_dcep_write_open(&o, out, size);
  if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0) abort();
  sansrtc_dcep_open again;
  if (sansrtc_dcep_parse_open(&again, out, size) != SANSRTC_OK ||
      again.channel_type != o.channel_type ||
      again.reliability != o.reliability || again.priority != o.priority ||
      again.label_len != o.label_len || again.protocol_len != o.protocol_len)
    abort();
  if (size > 0 && sansrtc_dcep_write_open(&o, out, size - 1) !=
                      SANSRTC_ERR_BUFFER_TOO_SMALL)
    abort();
  free(out);
  return 0;
}
