/*
 * sdp.c - SDP session descriptions (RFC 8866): parsing, line access,
 * building and writing.
 *
 * A description is kept as its lines, in order: one array for the session
 * section and one per media section, each entry a type letter and a heap
 * copy of the value (the text after "="). Nothing is interpreted beyond
 * what the checks in sdp.h need, so writing gives back the lines exactly.
 * The value block of an m= line holds, after its text, a NUL-separated
 * copy of the media, proto and format fields, which the section's
 * sansrtc_sdp_mline points into; every line therefore owns exactly one
 * heap block.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/sdp.h>

/* "x=" and CRLF around every value in the written text. */
#define LINE_OVERHEAD 4
/* Bytes of an offending line quoted in an error message. */
#define QUOTE_MAX 40
/* First capacity of a section's line array; it doubles from there. */
#define SECTION_MIN_CAP 8
#define PORT_DIGITS 5

static const char mline_syntax[] =
    "m= line needs \"<media> <port> <proto> <fmt>\"";

typedef struct sdp_line {
  char *value; /* heap, NUL-terminated, owned */
  char type;
} sdp_line;

typedef struct sdp_section {
  sdp_line *lines;
  size_t count;
  size_t cap;
  /* Media sections only: the fields of lines[0], the m= line; the strings
   * point into that line's value block. */
  sansrtc_sdp_mline m;
} sdp_section;

struct sansrtc_sdp {
  sdp_section session;
  sdp_section *media;
  size_t media_count;
  size_t media_cap;
  size_t line_total; /* lines in every section */
  size_t text_len;   /* length of the written text, without its NUL */
};

/* ------------------------------------------------------------------------ */
/* Character classes and m= fields                                          */
/* ------------------------------------------------------------------------ */

static int is_lower(char c) { return c >= 'a' && c <= 'z'; }

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* token-char of RFC 8866: visible ASCII except the separators
 * '"' '(' ')' ',' '/' ':' ';' '<' '=' '>' '?' '@' '[' '\' ']'. */
static int is_token_char(char c) {
  unsigned char u = (unsigned char)c;
  if (u < 0x21 || u > 0x7e) return 0;
  return u != 0x22 && u != 0x28 && u != 0x29 && u != 0x2c && u != 0x2f &&
         !(u >= 0x3a && u <= 0x40) && u != 0x5b && u != 0x5c && u != 0x5d;
}

/* 1*token-char. */
static int is_token(const char *p, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_token_char(p[i])) return 0;
  return 1;
}

/* Tokens separated by single `sep` characters, at least one, none empty:
 * the proto (separator '/') and the format list (separator ' '). */
static int is_token_list(const char *p, size_t n, char sep) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && p[i] != sep) continue;
    if (!is_token(p + start, i - start)) return 0;
    start = i + 1;
  }
  return 1;
}

/* 1..5 digits with a value in [min, 65535]. */
static int parse_u16(const char *p, size_t n, unsigned min, uint16_t *out) {
  if (n == 0 || n > PORT_DIGITS) return 0;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(p[i])) return 0;
    v = v * 10u + (unsigned)(p[i] - '0');
  }
  if (v < min || v > UINT16_MAX) return 0;
  *out = (uint16_t)v;
  return 1;
}

/* A piece of an m= value (not NUL-terminated). */
typedef struct sdp_span {
  const char *p;
  size_t n;
} sdp_span;

/* An m= value split into its fields. */
typedef struct sdp_mparts {
  sdp_span media;
  sdp_span port; /* "<port>" or "<port>/<count>" */
  sdp_span proto;
  sdp_span fmt; /* the rest: the whole format list */
  uint16_t port_num;
  uint16_t port_count;
} sdp_mparts;

/* Takes the text up to the next ' ' of [*p, end) into `s` and steps past
 * the space; 0 when there is no space left. */
static int take_field(const char **p, const char *end, sdp_span *s) {
  const char *sp = memchr(*p, ' ', (size_t)(end - *p));
  if (sp == NULL) return 0;
  s->p = *p;
  s->n = (size_t)(sp - *p);
  *p = sp + 1;
  return 1;
}

/* "<port>" or "<port>/<count>", port 0..65535, count 1..65535. */
static int parse_port_field(const sdp_span *s, sdp_mparts *mp) {
  const char *slash = memchr(s->p, '/', s->n);
  size_t port_len = slash != NULL ? (size_t)(slash - s->p) : s->n;
  if (!parse_u16(s->p, port_len, 0, &mp->port_num)) return 0;
  mp->port_count = 1;
  if (slash == NULL) return 1;
  return parse_u16(slash + 1, s->n - port_len - 1, 1, &mp->port_count);
}

/*
 * Splits and checks an m= value "<media> <port>[/<count>] <proto> <fmt>
 * [<fmt>...]" with single spaces between fields. Returns NULL when it is
 * well formed, else a static description of the problem.
 */
static const char *split_mline(const char *v, size_t n, sdp_mparts *mp) {
  const char *p = v, *end = v + n;
  if (!take_field(&p, end, &mp->media) || !take_field(&p, end, &mp->port) ||
      !take_field(&p, end, &mp->proto) || p == end || mp->media.n == 0 ||
      mp->port.n == 0 || mp->proto.n == 0)
    return mline_syntax;
  mp->fmt.p = p;
  mp->fmt.n = (size_t)(end - p);
  if (!is_token(mp->media.p, mp->media.n))
    return "m= media is not a token";
  if (!parse_port_field(&mp->port, mp))
    return "m= port must be 0..65535, with an optional /<count> of 1..65535";
  if (!is_token_list(mp->proto.p, mp->proto.n, '/'))
    return "m= proto is not \"<token>[/<token>...]\"";
  if (!is_token_list(mp->fmt.p, mp->fmt.n, ' '))
    return "m= formats must be tokens separated by single spaces";
  return NULL;
}

/* Copies a span into `dst` with a NUL; returns the byte after the NUL. */
static char *put_span(char *dst, const sdp_span *s) {
  memcpy(dst, s->p, s->n);
  dst[s->n] = '\0';
  return dst + s->n + 1;
}

/*
 * Allocates the value block of an m= line from its checked parts: the text
 * v/n, then "media\0proto\0fmt\0". Fills *ml with pointers into the block.
 * Returns the block (the caller owns it) or NULL when out of memory.
 */
static char *mline_block(const char *v, size_t n, const sdp_mparts *mp,
                         sansrtc_sdp_mline *ml) {
  size_t size = n + 1 + mp->media.n + 1 + mp->proto.n + 1 + mp->fmt.n + 1;
  char *block = malloc(size);
  if (block == NULL) return NULL;
  sdp_span text = {v, n};
  char *p = put_span(block, &text);
  ml->media = p;
  p = put_span(p, &mp->media);
  ml->proto = p;
  p = put_span(p, &mp->proto);
  ml->fmt = p;
  put_span(p, &mp->fmt);
  ml->port = mp->port_num;
  ml->port_count = mp->port_count;
  return block;
}

/* ------------------------------------------------------------------------ */
/* Storage                                                                  */
/* ------------------------------------------------------------------------ */

static void section_clear(sdp_section *sec) {
  for (size_t i = 0; i < sec->count; i++) free(sec->lines[i].value);
  free(sec->lines);
  memset(sec, 0, sizeof *sec);
}

/* Appends a line to a section. Takes ownership of `value` in every case:
 * on failure (SANSRTC_ERR_NOMEM) it is freed. */
static int section_append(sansrtc_sdp *sdp, sdp_section *sec, char type,
                          char *value) {
  if (sec->count == sec->cap) {
    size_t cap = sec->cap > 0 ? sec->cap * 2 : SECTION_MIN_CAP;
    sdp_line *lines = realloc(sec->lines, cap * sizeof *lines);
    if (lines == NULL) {
      free(value);
      return SANSRTC_ERR_NOMEM;
    }
    sec->lines = lines;
    sec->cap = cap;
  }
  sec->lines[sec->count].value = value;
  sec->lines[sec->count].type = type;
  sec->count++;
  sdp->line_total++;
  sdp->text_len += strlen(value) + LINE_OVERHEAD;
  return SANSRTC_OK;
}

/* Appends a media section whose m= line has the value block `block` and
 * the fields `ml`. Takes ownership of `block` in every case. */
static int media_append(sansrtc_sdp *sdp, char *block,
                        const sansrtc_sdp_mline *ml) {
  if (sdp->media_count == sdp->media_cap) {
    size_t cap = sdp->media_cap > 0 ? sdp->media_cap * 2 : 1;
    sdp_section *media = realloc(sdp->media, cap * sizeof *media);
    if (media == NULL) {
      free(block);
      return SANSRTC_ERR_NOMEM;
    }
    sdp->media = media;
    sdp->media_cap = cap;
  }
  sdp_section *sec = &sdp->media[sdp->media_count];
  memset(sec, 0, sizeof *sec);
  int rc = section_append(sdp, sec, 'm', block);
  if (rc != SANSRTC_OK) return rc;
  sec->m = *ml;
  sdp->media_count++;
  return SANSRTC_OK;
}

static const sdp_section *section_get(const sansrtc_sdp *sdp, int section) {
  if (sdp == NULL) return NULL;
  if (section == SANSRTC_SDP_SESSION) return &sdp->session;
  if (section < 0 || (size_t)section >= sdp->media_count) return NULL;
  return &sdp->media[section];
}

static sdp_section *section_get_mut(sansrtc_sdp *sdp, int section) {
  if (sdp == NULL) return NULL;
  if (section == SANSRTC_SDP_SESSION) return &sdp->session;
  if (section < 0 || (size_t)section >= sdp->media_count) return NULL;
  return &sdp->media[section];
}

/* Whether one more line with a value of `n` bytes stays within the limits
 * (SANSRTC_OK or SANSRTC_ERR_LIMIT). */
static int room_for_line(const sansrtc_sdp *sdp, size_t n) {
  if (sdp->line_total >= SANSRTC_SDP_MAX_LINES) return SANSRTC_ERR_LIMIT;
  if (n > SANSRTC_SDP_MAX_TEXT ||
      sdp->text_len + n + LINE_OVERHEAD > SANSRTC_SDP_MAX_TEXT)
    return SANSRTC_ERR_LIMIT;
  return SANSRTC_OK;
}

static char *dup_span(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s == NULL) return NULL;
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

int sansrtc_sdp_new(sansrtc_sdp **out) {
  if (out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof **out);
  return *out != NULL ? SANSRTC_OK : SANSRTC_ERR_NOMEM;
}

void sansrtc_sdp_free(sansrtc_sdp *sdp) {
  if (sdp == NULL) return;
  section_clear(&sdp->session);
  for (size_t i = 0; i < sdp->media_count; i++) section_clear(&sdp->media[i]);
  free(sdp->media);
  free(sdp);
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct sdp_parser {
  sansrtc_sdp *sdp;
  sansrtc_sdp_error *err;
  unsigned lineno;  /* 1-based number of the current line in the input */
  const char *line; /* the current line without its end, and its length */
  size_t len;
  int have_o, have_s, have_t;
} sdp_parser;

/* Copies up to QUOTE_MAX bytes of the line into `q` (QUOTE_MAX + 4 bytes),
 * non-printable bytes as '?', with "..." when cut. */
static void quote_line(char *q, const char *line, size_t len) {
  size_t n = len > QUOTE_MAX ? QUOTE_MAX : len;
  for (size_t i = 0; i < n; i++) {
    unsigned char u = (unsigned char)line[i];
    q[i] = (u >= 0x20 && u <= 0x7e) ? (char)u : '?';
  }
  if (n < len) {
    memcpy(q + n, "...", 3);
    n += 3;
  }
  q[n] = '\0';
}

/* Fills p->err (when there is one) for the current line, or for no line
 * when p->line is NULL, and returns `rc`. */
static int fail(sdp_parser *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(sdp_parser *p, int rc, const char *fmt, ...) {
  sansrtc_sdp_error *err = p->err;
  if (err == NULL) return rc;
  char why[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (p->line == NULL) {
    err->line = 0;
    snprintf(err->message, sizeof err->message, "%s", why);
    return rc;
  }
  char q[QUOTE_MAX + 4];
  quote_line(q, p->line, p->len);
  err->line = p->lineno;
  snprintf(err->message, sizeof err->message, "line %u: %.100s: \"%s\"",
           p->lineno, why, q);
  return rc;
}

/* "o", "s" or "t" when the session section lacks that line, else NULL. */
static const char *missing_session_line(const sdp_parser *p) {
  if (!p->have_o) return "o";
  if (!p->have_s) return "s";
  if (!p->have_t) return "t";
  return NULL;
}

/* An m= line: the session must be complete, the media count within the
 * limit and the value well formed. */
static int parse_media_line(sdp_parser *p, const char *v, size_t n) {
  const char *missing = missing_session_line(p);
  if (p->sdp->media_count == 0 && missing != NULL)
    return fail(p, SANSRTC_ERR_MALFORMED,
                "no %s= line in the session section before the first m=",
                missing);
  if (p->sdp->media_count >= SANSRTC_SDP_MAX_MEDIA)
    return fail(p, SANSRTC_ERR_LIMIT, "more than %d media sections",
                SANSRTC_SDP_MAX_MEDIA);
  sdp_mparts mp;
  const char *why = split_mline(v, n, &mp);
  if (why != NULL) return fail(p, SANSRTC_ERR_MALFORMED, "%s", why);
  sansrtc_sdp_mline ml;
  char *block = mline_block(v, n, &mp, &ml);
  if (block == NULL) return fail(p, SANSRTC_ERR_NOMEM, "out of memory");
  int rc = media_append(p->sdp, block, &ml);
  return rc == SANSRTC_OK ? rc : fail(p, rc, "out of memory");
}

/* Checks the shape of a line: "<lowercase letter>=<value>", the value not
 * empty and free of NUL and CR. */
static int check_line_shape(sdp_parser *p) {
  const char *s = p->line;
  if (!is_lower(s[0]))
    return fail(p, SANSRTC_ERR_MALFORMED,
                "line type must be a lowercase letter");
  if (p->len < 2 || s[1] != '=')
    return fail(p, SANSRTC_ERR_MALFORMED, "expected \"<type>=<value>\"");
  if (p->len == 2) return fail(p, SANSRTC_ERR_MALFORMED, "empty value");
  if (memchr(s, '\0', p->len) != NULL)
    return fail(p, SANSRTC_ERR_MALFORMED, "NUL byte in the line");
  if (memchr(s, '\r', p->len) != NULL)
    return fail(p, SANSRTC_ERR_MALFORMED, "CR inside the line");
  return SANSRTC_OK;
}

/* One non-empty line, without its line end. */
static int parse_line(sdp_parser *p) {
  int rc = check_line_shape(p);
  if (rc != SANSRTC_OK) return rc;
  char type = p->line[0];
  const char *v = p->line + 2;
  size_t n = p->len - 2;
  if (p->sdp->line_total == 0 && (type != 'v' || n != 1 || v[0] != '0'))
    return fail(p, SANSRTC_ERR_MALFORMED, "the first line must be \"v=0\"");
  if (p->sdp->line_total >= SANSRTC_SDP_MAX_LINES)
    return fail(p, SANSRTC_ERR_LIMIT, "more than %d lines",
                SANSRTC_SDP_MAX_LINES);
  if (room_for_line(p->sdp, n) != SANSRTC_OK)
    return fail(p, SANSRTC_ERR_LIMIT,
                "written with CRLF the description exceeds %d bytes",
                SANSRTC_SDP_MAX_TEXT);
  if (type == 'm') return parse_media_line(p, v, n);
  sdp_section *sec = &p->sdp->session;
  if (p->sdp->media_count > 0) {
    sec = &p->sdp->media[p->sdp->media_count - 1];
  } else {
    p->have_o |= type == 'o';
    p->have_s |= type == 's';
    p->have_t |= type == 't';
  }
  char *copy = dup_span(v, n);
  if (copy == NULL) return fail(p, SANSRTC_ERR_NOMEM, "out of memory");
  rc = section_append(p->sdp, sec, type, copy);
  return rc == SANSRTC_OK ? rc : fail(p, rc, "out of memory");
}

/* Splits the text into lines (LF or CRLF ends, the last may have none,
 * empty lines skipped) and parses each. */
static int parse_lines(sdp_parser *p, const char *text, size_t len) {
  size_t pos = 0;
  while (pos < len) {
    const char *start = text + pos;
    const char *nl = memchr(start, '\n', len - pos);
    size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
    pos += n + (nl != NULL ? 1 : 0);
    p->lineno++;
    if (nl != NULL && n > 0 && start[n - 1] == '\r') n--;
    if (n == 0) continue;
    p->line = start;
    p->len = n;
    int rc = parse_line(p);
    if (rc != SANSRTC_OK) return rc;
  }
  p->line = NULL;
  return SANSRTC_OK;
}

/* Checks what can only be checked at the end. */
static int parse_finish(sdp_parser *p) {
  if (p->sdp->line_total == 0)
    return fail(p, SANSRTC_ERR_MALFORMED,
                "no lines: a description starts with \"v=0\"");
  const char *missing = missing_session_line(p);
  if (p->sdp->media_count == 0 && missing != NULL)
    return fail(p, SANSRTC_ERR_MALFORMED,
                "no %s= line in the session section", missing);
  return SANSRTC_OK;
}

int sansrtc_sdp_parse(sansrtc_sdp **out, const char *text, size_t len,
                      sansrtc_sdp_error *err) {
  sdp_parser p;
  memset(&p, 0, sizeof p);
  p.err = err;
  if (err != NULL) {
    err->line = 0;
    err->message[0] = '\0';
  }
  if (out != NULL) *out = NULL;
  if (out == NULL || text == NULL)
    return fail(&p, SANSRTC_ERR_INVALID_ARGUMENT, "invalid argument");
  if (len > SANSRTC_SDP_MAX_TEXT)
    return fail(&p, SANSRTC_ERR_LIMIT,
                "description of %zu bytes, the limit is %d", len,
                SANSRTC_SDP_MAX_TEXT);
  int rc = sansrtc_sdp_new(&p.sdp);
  if (rc != SANSRTC_OK) return fail(&p, rc, "out of memory");
  rc = parse_lines(&p, text, len);
  if (rc == SANSRTC_OK) rc = parse_finish(&p);
  if (rc != SANSRTC_OK) {
    sansrtc_sdp_free(p.sdp);
    return rc;
  }
  *out = p.sdp;
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

/* Writes a section's lines at `p`; returns the end of what was written. */
static char *write_section(const sdp_section *sec, char *p) {
  for (size_t i = 0; i < sec->count; i++) {
    size_t n = strlen(sec->lines[i].value);
    *p++ = sec->lines[i].type;
    *p++ = '=';
    memcpy(p, sec->lines[i].value, n);
    p += n;
    *p++ = '\r';
    *p++ = '\n';
  }
  return p;
}

int sansrtc_sdp_write(const sansrtc_sdp *sdp, char *buf, size_t cap,
                      size_t *len) {
  if (sdp == NULL || len == NULL || (buf == NULL && cap > 0))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *len = sdp->text_len;
  if (cap <= sdp->text_len) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  char *p = write_section(&sdp->session, buf);
  for (size_t i = 0; i < sdp->media_count; i++)
    p = write_section(&sdp->media[i], p);
  *p = '\0';
  return SANSRTC_OK;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

size_t sansrtc_sdp_media_count(const sansrtc_sdp *sdp) {
  return sdp != NULL ? sdp->media_count : 0;
}

int sansrtc_sdp_media_line(const sansrtc_sdp *sdp, size_t m,
                           sansrtc_sdp_mline *out) {
  if (sdp == NULL || out == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (m >= sdp->media_count) return SANSRTC_ERR_NOT_FOUND;
  *out = sdp->media[m].m;
  return SANSRTC_OK;
}

size_t sansrtc_sdp_line_count(const sansrtc_sdp *sdp, int section) {
  const sdp_section *sec = section_get(sdp, section);
  return sec != NULL ? sec->count : 0;
}

int sansrtc_sdp_line(const sansrtc_sdp *sdp, int section, size_t i, char *type,
                     const char **value) {
  if (sdp == NULL || type == NULL || value == NULL)
    return SANSRTC_ERR_INVALID_ARGUMENT;
  const sdp_section *sec = section_get(sdp, section);
  if (sec == NULL || i >= sec->count) return SANSRTC_ERR_NOT_FOUND;
  *type = sec->lines[i].type;
  *value = sec->lines[i].value;
  return SANSRTC_OK;
}

/* When line `l` is the attribute `name` (name_len bytes, no ':'), its
 * value: the text after the first ':', or "" for a flag; else NULL. */
static const char *attr_value(const sdp_line *l, const char *name,
                              size_t name_len) {
  if (l->type != 'a' || strncmp(l->value, name, name_len) != 0) return NULL;
  const char *rest = l->value + name_len;
  if (*rest == '\0') return rest;
  return *rest == ':' ? rest + 1 : NULL;
}

const char *sansrtc_sdp_attr(const sansrtc_sdp *sdp, int section,
                             const char *name, size_t nth) {
  const sdp_section *sec = section_get(sdp, section);
  if (sec == NULL || name == NULL || strchr(name, ':') != NULL) return NULL;
  size_t name_len = strlen(name);
  for (size_t i = 0; i < sec->count; i++) {
    const char *v = attr_value(&sec->lines[i], name, name_len);
    if (v != NULL && nth-- == 0) return v;
  }
  return NULL;
}

size_t sansrtc_sdp_attr_count(const sansrtc_sdp *sdp, int section,
                              const char *name) {
  const sdp_section *sec = section_get(sdp, section);
  if (sec == NULL || name == NULL || strchr(name, ':') != NULL) return 0;
  size_t name_len = strlen(name), count = 0;
  for (size_t i = 0; i < sec->count; i++)
    if (attr_value(&sec->lines[i], name, name_len) != NULL) count++;
  return count;
}

const char *sansrtc_sdp_media_attr(const sansrtc_sdp *sdp, size_t m,
                                   const char *name) {
  if (sdp == NULL || m >= sdp->media_count) return NULL;
  const char *v = sansrtc_sdp_attr(sdp, (int)m, name, 0);
  return v != NULL ? v : sansrtc_sdp_attr(sdp, SANSRTC_SDP_SESSION, name, 0);
}

/* ------------------------------------------------------------------------ */
/* Building                                                                 */
/* ------------------------------------------------------------------------ */

/* A value the builder accepts: no CR or LF (a C string has no NUL). */
static int value_ok(const char *v) { return strpbrk(v, "\r\n") == NULL; }

int sansrtc_sdp_add_line(sansrtc_sdp *sdp, int section, char type,
                         const char *value) {
  if (sdp == NULL || value == NULL || !is_lower(type) || type == 'm' ||
      value[0] == '\0' || !value_ok(value))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sdp_section *sec = section_get_mut(sdp, section);
  if (sec == NULL) return SANSRTC_ERR_NOT_FOUND;
  size_t n = strlen(value);
  int rc = room_for_line(sdp, n);
  if (rc != SANSRTC_OK) return rc;
  char *copy = dup_span(value, n);
  if (copy == NULL) return SANSRTC_ERR_NOMEM;
  return section_append(sdp, sec, type, copy);
}

int sansrtc_sdp_add_attr(sansrtc_sdp *sdp, int section, const char *name,
                         const char *value) {
  if (sdp == NULL || name == NULL || name[0] == '\0' ||
      strchr(name, ':') != NULL || !value_ok(name) ||
      (value != NULL && !value_ok(value)))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  sdp_section *sec = section_get_mut(sdp, section);
  if (sec == NULL) return SANSRTC_ERR_NOT_FOUND;
  size_t name_len = strlen(name);
  size_t value_len = value != NULL ? strlen(value) : 0;
  if (value_len > SANSRTC_SDP_MAX_TEXT) return SANSRTC_ERR_LIMIT;
  size_t n = name_len + (value != NULL ? 1 + value_len : 0);
  int rc = room_for_line(sdp, n);
  if (rc != SANSRTC_OK) return rc;
  char *line = malloc(n + 1);
  if (line == NULL) return SANSRTC_ERR_NOMEM;
  memcpy(line, name, name_len);
  if (value != NULL) {
    line[name_len] = ':';
    memcpy(line + name_len + 1, value, value_len);
  }
  line[n] = '\0';
  return section_append(sdp, sec, 'a', line);
}

/* Builds the m= block for "<media> <port> <proto> <fmt>" (checked by the
 * caller) into *block and *ml. Returns SANSRTC_OK, SANSRTC_ERR_NOMEM, or
 * SANSRTC_ERR_INVALID_ARGUMENT when the text does not split as an m=
 * value. */
static int make_mline(const char *text, size_t n, char **block,
                      sansrtc_sdp_mline *ml) {
  sdp_mparts mp;
  if (split_mline(text, n, &mp) != NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  *block = mline_block(text, n, &mp, ml);
  return *block != NULL ? SANSRTC_OK : SANSRTC_ERR_NOMEM;
}

int sansrtc_sdp_add_media(sansrtc_sdp *sdp, const char *media, uint16_t port,
                          const char *proto, const char *fmt, size_t *index) {
  if (sdp == NULL || media == NULL || proto == NULL || fmt == NULL ||
      !is_token(media, strlen(media)) ||
      !is_token_list(proto, strlen(proto), '/') ||
      !is_token_list(fmt, strlen(fmt), ' '))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  if (sdp->media_count >= SANSRTC_SDP_MAX_MEDIA) return SANSRTC_ERR_LIMIT;
  size_t lens = strlen(media) + strlen(proto) + strlen(fmt);
  if (lens > SANSRTC_SDP_MAX_TEXT) return SANSRTC_ERR_LIMIT;
  size_t cap = lens + PORT_DIGITS + 4; /* three spaces and the NUL */
  char *text = malloc(cap);
  if (text == NULL) return SANSRTC_ERR_NOMEM;
  int n = snprintf(text, cap, "%s %u %s %s", media, (unsigned)port, proto, fmt);
  int rc = room_for_line(sdp, (size_t)n);
  char *block = NULL;
  sansrtc_sdp_mline ml;
  if (rc == SANSRTC_OK) rc = make_mline(text, (size_t)n, &block, &ml);
  free(text);
  if (rc != SANSRTC_OK) return rc;
  rc = media_append(sdp, block, &ml);
  if (rc == SANSRTC_OK && index != NULL) *index = sdp->media_count - 1;
  return rc;
}

int sansrtc_sdp_set_port(sansrtc_sdp *sdp, size_t m, uint16_t port) {
  if (sdp == NULL) return SANSRTC_ERR_INVALID_ARGUMENT;
  if (m >= sdp->media_count) return SANSRTC_ERR_NOT_FOUND;
  sdp_line *line = &sdp->media[m].lines[0];
  /* Keep everything but the port digits: "<media> " + port + the rest
   * ("/<count> <proto> <fmt>" or " <proto> <fmt>"). */
  const char *old = line->value;
  size_t old_len = strlen(old);
  size_t head = strlen(sdp->media[m].m.media) + 1;
  size_t digits = 0;
  while (is_digit(old[head + digits])) digits++;
  size_t cap = old_len - digits + PORT_DIGITS + 1;
  char *text = malloc(cap);
  if (text == NULL) return SANSRTC_ERR_NOMEM;
  int n = snprintf(text, cap, "%.*s%u%s", (int)head, old, (unsigned)port,
                   old + head + digits);
  size_t text_len = sdp->text_len - old_len + (size_t)n;
  int rc = text_len > SANSRTC_SDP_MAX_TEXT ? SANSRTC_ERR_LIMIT : SANSRTC_OK;
  char *block = NULL;
  sansrtc_sdp_mline ml;
  if (rc == SANSRTC_OK) rc = make_mline(text, (size_t)n, &block, &ml);
  free(text);
  if (rc != SANSRTC_OK) return rc;
  free(line->value);
  line->value = block;
  sdp->media[m].m = ml;
  sdp->text_len = text_len;
  return SANSRTC_OK;
}

size_t sansrtc_sdp_remove_attr(sansrtc_sdp *sdp, int section,
                               const char *name) {
  sdp_section *sec = section_get_mut(sdp, section);
  if (sec == NULL || name == NULL || strchr(name, ':') != NULL) return 0;
  size_t name_len = strlen(name), kept = 0, removed = 0;
  for (size_t i = 0; i < sec->count; i++) {
    sdp_line *l = &sec->lines[i];
    if (attr_value(l, name, name_len) == NULL) {
      sec->lines[kept++] = *l;
      continue;
    }
    sdp->text_len -= strlen(l->value) + LINE_OVERHEAD;
    free(l->value);
    removed++;
  }
  sec->count = kept;
  sdp->line_total -= removed;
  return removed;
}
