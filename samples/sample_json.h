/*
 * sample_json.h - just enough JSON for the samples' signaling: one flat
 * object per line with string and integer members, as the W3C shapes
 * RTCSessionDescriptionInit and RTCIceCandidateInit are. Header-only so
 * each sample stays one file plus this; not part of the library.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SAMPLE_JSON_H
#define SANSRTC_SAMPLE_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes `s` as a JSON string literal (with quotes) to `out`. */
static void json_write_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    switch (*p) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default:
      if (*p < 0x20) fprintf(out, "\\u%04x", *p);
      else fputc(*p, out);
    }
  }
  fputc('"', out);
}

/* Reads a JSON string literal at *p (just past the opening quote) into a
 * malloc'd buffer; \uXXXX below 0x80 only. Returns NULL on bad input. */
static char *json_read_string(const char **p) {
  const char *s = *p;
  size_t cap = strlen(s) + 1, n = 0;
  char *out = malloc(cap);
  if (out == NULL) return NULL;
  for (; *s != '\0' && *s != '"'; s++) {
    char c = *s;
    if (c == '\\') {
      s++;
      switch (*s) {
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case '/': c = '/'; break;
      case '\\': c = '\\'; break;
      case '"': c = '"'; break;
      case 'u': {
        unsigned v = 0;
        for (int i = 1; i <= 4; i++) {
          char h = s[i];
          v <<= 4;
          if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
          else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
          else { free(out); return NULL; }
        }
        if (v >= 0x80) { free(out); return NULL; }
        c = (char)v;
        s += 4;
        break;
      }
      default: free(out); return NULL;
      }
    }
    out[n++] = c;
  }
  if (*s != '"') {
    free(out);
    return NULL;
  }
  out[n] = '\0';
  *p = s + 1;
  return out;
}

/*
 * Finds member `key` of the flat object in `line`: a string (malloc'd
 * copy into *str) or a number (*num); members of other types are skipped.
 * Returns 1 found as string, 2 found as number, 0 absent, -1 bad JSON.
 */
static int json_get(const char *line, const char *key, char **str, long *num) {
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  if (*p++ != '{') return -1;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '}') return 0;
    if (*p++ != '"') return -1;
    char *name = json_read_string(&p);
    if (name == NULL) return -1;
    while (*p == ' ' || *p == '\t') p++;
    if (*p++ != ':') { free(name); return -1; }
    while (*p == ' ' || *p == '\t') p++;
    int match = strcmp(name, key) == 0;
    free(name);
    if (*p == '"') {
      p++;
      char *v = json_read_string(&p);
      if (v == NULL) return -1;
      if (match) { *str = v; return 1; }
      free(v);
    } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
      char *end;
      long v = strtol(p, &end, 10);
      p = end;
      while (*p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-' ||
             (*p >= '0' && *p <= '9')) p++;
      if (match) { *num = v; return 2; }
    } else if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0) {
      p += 4;
    } else if (strncmp(p, "false", 5) == 0) {
      p += 5;
    } else {
      return -1; /* nested values are not used by the signaling */
    }
  }
}

#endif
