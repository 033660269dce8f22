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

/* Reads 4 hex digits at s; returns the value or -1. */
static long json_hex4(const char *s) {
  long v = 0;
  for (int i = 0; i < 4; i++) {
    char h = s[i];
    v <<= 4;
    if (h >= '0' && h <= '9') v |= h - '0';
    else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
    else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
    else return -1;
  }
  return v;
}

/* Appends code point v (below 0x110000, not a lone surrogate) as UTF-8. */
static size_t json_put_utf8(char *out, unsigned long v) {
  if (v < 0x80) { out[0] = (char)v; return 1; }
  if (v < 0x800) {
    out[0] = (char)(0xC0 | (v >> 6));
    out[1] = (char)(0x80 | (v & 0x3F));
    return 2;
  }
  if (v < 0x10000) {
    out[0] = (char)(0xE0 | (v >> 12));
    out[1] = (char)(0x80 | ((v >> 6) & 0x3F));
    out[2] = (char)(0x80 | (v & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (v >> 18));
  out[1] = (char)(0x80 | ((v >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((v >> 6) & 0x3F));
  out[3] = (char)(0x80 | (v & 0x3F));
  return 4;
}

/* Reads a JSON string literal at *p (just past the opening quote) into a
 * malloc'd buffer, \uXXXX escapes (surrogate pairs included) as UTF-8.
 * Returns NULL on bad input. An escape never yields more bytes than it
 * takes (6 or 12 in, at most 4 out), so the input length bounds the output. */
static char *json_read_string(const char **p) {
  const char *s = *p;
  size_t cap = strlen(s) + 1, n = 0;
  char *out = malloc(cap);
  if (out == NULL) return NULL;
  for (; *s != '\0' && *s != '"'; s++) {
    char c = *s;
    if (c != '\\') {
      out[n++] = c;
      continue;
    }
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
      long v = json_hex4(s + 1);
      if (v < 0 || (v >= 0xDC00 && v <= 0xDFFF)) { free(out); return NULL; }
      s += 4;
      if (v >= 0xD800 && v <= 0xDBFF) { /* high surrogate: a low one must follow */
        long lo = s[1] == '\\' && s[2] == 'u' ? json_hex4(s + 3) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) { free(out); return NULL; }
        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        s += 6;
      }
      n += json_put_utf8(out + n, (unsigned long)v);
      continue;
    }
    default: free(out); return NULL;
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

/* Removes the candidate lines from a description, in place: with trickle
 * ICE the candidates travel on their own. */
static inline void sdp_strip_candidates(char *sdp) {
  char *w = sdp;
  for (char *line = sdp; *line != '\0';) {
    char *end = strchr(line, '\n');
    size_t n = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
    if (strncmp(line, "a=candidate:", 12) != 0 &&
        strncmp(line, "a=end-of-candidates", 19) != 0) {
      memmove(w, line, n);
      w += n;
    }
    line += n;
  }
  *w = '\0';
}

#endif
