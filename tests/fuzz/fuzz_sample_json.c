/*
 * libFuzzer target: the samples' signaling JSON reader (samples/
 * sample_json.h) on arbitrary lines. It must never crash or read past the
 * line, and whatever it returns must be freeable.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../samples/sample_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *line = malloc(size + 1);
  if (line == NULL) return 0;
  memcpy(line, data, size);
  line[size] = '\0';
  static const char *const keys[] = {"type", "sdp", "candidate", "sdpMid",
                                     "sdpMLineIndex"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    char *s = NULL;
    long n = 0;
    if (json_get(line, keys[i], &s, &n) == 1) {
      (void)strlen(s);
      free(s);
    }
  }
  free(line);
  return 0;
}
