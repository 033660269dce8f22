/*
 * libFuzzer target for the RFC 8839 candidate parser. Every input is parsed
 * as a NUL-terminated line; an accepted candidate must format, the text must
 * parse again, and the second parse must equal the first field by field.
 * Any failure of that round trip aborts.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/ice.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_addr(const sansrtc_addr *a, const sansrtc_addr *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

static void check_same(const sansrtc_ice_candidate *a,
                       const sansrtc_ice_candidate *b) {
  if (strcmp(a->foundation, b->foundation) != 0) abort();
  if (a->component != b->component) abort();
  if (a->transport != b->transport) abort();
  if (a->priority != b->priority) abort();
  if (!same_addr(&a->addr, &b->addr)) abort();
  if (strcmp(a->hostname, b->hostname) != 0) abort();
  if (a->type != b->type) abort();
  if (!same_addr(&a->related, &b->related)) abort();
  if (a->tcptype != b->tcptype) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *line = malloc(size + 1);
  if (line == NULL) return 0;
  if (size > 0) memcpy(line, data, size);
  line[size] = '\0';

  sansrtc_ice_candidate first, again;
  if (sansrtc_ice_candidate_parse(&first, line) == SANSRTC_OK) {
    char text[SANSRTC_ICE_CANDIDATE_STRLEN];
    int n = sansrtc_ice_candidate_format(&first, text, sizeof text);
    if (n <= 0 || (size_t)n != strlen(text)) abort();
    if (sansrtc_ice_candidate_parse(&again, text) != SANSRTC_OK) abort();
    check_same(&first, &again);
  }
  free(line);
  return 0;
}
