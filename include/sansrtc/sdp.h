/*
 * sansrtc/sdp.h - Session Description Protocol (RFC 8866) for WebRTC:
 * parse, inspect, build and write session descriptions.
 *
 * A sansrtc_sdp holds a description as its lines, in order, split into the
 * session section and the media sections (each starting with its m= line).
 * Nothing is dropped: lines sansrtc does not understand are kept and
 * written back as they came, so a description survives parse and write
 * unchanged (line endings become CRLF). The typed helpers below read the
 * few fields the stack needs (m= fields, attributes by name); everything
 * else stays reachable line by line.
 *
 * Ownership: sansrtc_sdp_parse and sansrtc_sdp_new allocate; the caller
 * frees with sansrtc_sdp_free. Strings returned by accessors point into
 * the description and live until it is changed or freed.
 *
 * Thread-safety: a description may be read from several threads at once;
 * changing it needs exclusive access. No global state.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SDP_H
#define SANSRTC_SDP_H

#include <sansrtc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sansrtc_sdp sansrtc_sdp;

/* The section index of the session-level lines (before the first m=). */
#define SANSRTC_SDP_SESSION (-1)

/* Limits: inputs past them are refused with SANSRTC_ERR_LIMIT. */
#define SANSRTC_SDP_MAX_TEXT (1024 * 1024) /* bytes, as given and written */
#define SANSRTC_SDP_MAX_LINES 16384
#define SANSRTC_SDP_MAX_MEDIA 256

/* Where and why parsing failed. `line` is 1-based (0: not tied to a line,
 * such as a missing v=); `message` is NUL-terminated and names the problem
 * and, when there is one, quotes the start of the offending line. */
typedef struct sansrtc_sdp_error {
  unsigned line;
  char message[160];
} sansrtc_sdp_error;

/*
 * Parses `len` bytes of SDP text (no NUL needed). Lines end in CRLF or LF;
 * a last line without one is accepted; empty lines are skipped. Every line
 * must be "<letter>=<value>" with a lowercase ASCII letter and a non-empty
 * value; the first must be "v=0"; the session section must have o=, s= and
 * t= lines; an m= line must read "<media> <port>[/<count>] <proto> <fmt>
 * [<fmt>...]" with a port of 0..65535. Values may not contain NUL or CR.
 * On success *out is a new description. On failure *out is NULL and, if
 * `err` is not NULL, it says which line and why.
 * Returns SANSRTC_OK, SANSRTC_ERR_MALFORMED, SANSRTC_ERR_LIMIT,
 * SANSRTC_ERR_NOMEM or SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_sdp_parse(sansrtc_sdp **out, const char *text,
                                  size_t len, sansrtc_sdp_error *err);

/* Creates an empty description (no lines at all) to be built with the
 * add functions. Returns SANSRTC_OK, SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_sdp_new(sansrtc_sdp **out);

/* Frees a description. NULL is allowed. */
SANSRTC_API void sansrtc_sdp_free(sansrtc_sdp *sdp);

/*
 * Writes the description as text, every line ending in CRLF, followed by a
 * NUL, into buf/cap. *len gets the text length (without the NUL) on
 * success and the length needed (without the NUL) on
 * SANSRTC_ERR_BUFFER_TOO_SMALL, so a caller can size its buffer with a
 * first call with cap 0 (buf may then be NULL).
 * Returns SANSRTC_OK, SANSRTC_ERR_BUFFER_TOO_SMALL or
 * SANSRTC_ERR_INVALID_ARGUMENT.
 */
SANSRTC_API int sansrtc_sdp_write(const sansrtc_sdp *sdp, char *buf,
                                  size_t cap, size_t *len);

/* ---- reading ------------------------------------------------------------ */

/* Number of media sections (m= lines). */
SANSRTC_API size_t sansrtc_sdp_media_count(const sansrtc_sdp *sdp);

/* The fields of a media section's m= line. Strings point into the
 * description; `fmt` is the whole format list ("webrtc-datachannel",
 * "111 63 9 0 8", "5000"). `port_count` is 1 unless "/<count>" was given. */
typedef struct sansrtc_sdp_mline {
  const char *media; /* "audio", "video", "application", ... */
  uint16_t port;
  uint16_t port_count;
  const char *proto; /* "UDP/DTLS/SCTP", "UDP/TLS/RTP/SAVPF", "DTLS/SCTP" */
  const char *fmt;
} sansrtc_sdp_mline;

/* Fills *out for media section `m`. Returns SANSRTC_OK,
 * SANSRTC_ERR_NOT_FOUND (no such section) or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_sdp_media_line(const sansrtc_sdp *sdp, size_t m,
                                       sansrtc_sdp_mline *out);

/* Number of lines in a section (SANSRTC_SDP_SESSION or a media index);
 * a media section's count includes its m= line, which is line 0. 0 for a
 * section that does not exist. */
SANSRTC_API size_t sansrtc_sdp_line_count(const sansrtc_sdp *sdp,
                                          int section);

/* Line `i` of a section: *type gets its letter and *value the text after
 * "=". Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_sdp_line(const sansrtc_sdp *sdp, int section,
                                 size_t i, char *type, const char **value);

/*
 * The `nth` (0-based) attribute called `name` in a section: for
 * "a=name:value" the value, for a flag attribute "a=name" the empty
 * string ("a=name:" also gives ""); NULL when there is no such attribute.
 * The name is the text before the first ':' and compares exactly
 * (case-sensitive, as browsers write it), so "a=namefoo" is not "name".
 */
SANSRTC_API const char *sansrtc_sdp_attr(const sansrtc_sdp *sdp, int section,
                                         const char *name, size_t nth);

/* Number of attributes called `name` in a section. */
SANSRTC_API size_t sansrtc_sdp_attr_count(const sansrtc_sdp *sdp, int section,
                                          const char *name);

/* Like sansrtc_sdp_attr(sdp, m, name, 0) for media section `m`, falling back
 * to the session section when the media section has none (a=ice-ufrag,
 * a=ice-pwd, a=fingerprint, a=setup and a=ice-options may sit at either
 * level). */
SANSRTC_API const char *sansrtc_sdp_media_attr(const sansrtc_sdp *sdp,
                                               size_t m, const char *name);

/* ---- building ----------------------------------------------------------- */

/* Appends a line "<type>=<value>" to a section (after its last line).
 * `type` must be a lowercase ASCII letter other than 'm' (use
 * sansrtc_sdp_add_media); `value` may not be empty or contain CR, LF or NUL.
 * Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND, SANSRTC_ERR_LIMIT,
 * SANSRTC_ERR_NOMEM or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_sdp_add_line(sansrtc_sdp *sdp, int section, char type,
                                     const char *value);

/* Appends "a=name" (value NULL) or "a=name:value". Same returns as
 * sansrtc_sdp_add_line; `name` may not be empty or contain ':'. */
SANSRTC_API int sansrtc_sdp_add_attr(sansrtc_sdp *sdp, int section,
                                     const char *name, const char *value);

/* Appends a media section with its m= line; its index goes to *index (if
 * not NULL). `fmt` is the format list as written after the proto. Same
 * returns as sansrtc_sdp_add_line. */
SANSRTC_API int sansrtc_sdp_add_media(sansrtc_sdp *sdp, const char *media,
                                      uint16_t port, const char *proto,
                                      const char *fmt, size_t *index);

/* Sets the port of a media section's m= line (0 rejects the section in an
 * answer). Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND, SANSRTC_ERR_LIMIT,
 * SANSRTC_ERR_NOMEM or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_sdp_set_port(sansrtc_sdp *sdp, size_t m,
                                     uint16_t port);

/* Removes every attribute called `name` from a section; returns how many
 * were removed (0 when none or on bad arguments). */
SANSRTC_API size_t sansrtc_sdp_remove_attr(sansrtc_sdp *sdp, int section,
                                           const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_SDP_H */
