/*
 * sansrtc/datachannel.h - WebRTC data channels (RFC 8831) and the Data
 * Channel Establishment Protocol (DCEP, RFC 8832) over a sansrtc_sctp
 * association.
 *
 * A sansrtc_datachannels object is the set of channels of one association.
 * The caller feeds the association as usual and then calls
 * sansrtc_datachannels_process, which reads the association's messages and
 * events, runs DCEP, flushes queued sends, and produces channel events
 * (sansrtc_datachannels_poll_event). Nothing here does I/O or reads a clock.
 *
 * Thread-safety: used by the association's owner thread only.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_DATACHANNEL_H
#define SANSRTC_DATACHANNEL_H

#include <sansrtc/common.h>
#include <sansrtc/sctp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* DCEP messages (RFC 8832)                                                 */
/* ------------------------------------------------------------------------ */

#define SANSRTC_DCEP_OPEN 0x03
#define SANSRTC_DCEP_ACK 0x02

/* Channel types of DATA_CHANNEL_OPEN. */
#define SANSRTC_DCEP_RELIABLE 0x00
#define SANSRTC_DCEP_PARTIAL_RELIABLE_REXMIT 0x01
#define SANSRTC_DCEP_PARTIAL_RELIABLE_TIMED 0x02
#define SANSRTC_DCEP_UNORDERED_BIT 0x80

/* A parsed DATA_CHANNEL_OPEN; label and protocol point into the input. */
typedef struct sansrtc_dcep_open {
  uint8_t channel_type;
  uint16_t priority;
  uint32_t reliability;
  const uint8_t *label;
  size_t label_len;
  const uint8_t *protocol;
  size_t protocol_len;
} sansrtc_dcep_open;

/* Parses a DATA_CHANNEL_OPEN. Returns SANSRTC_OK, SANSRTC_ERR_MALFORMED
 * (short, lengths past the end, unknown channel type, trailing bytes) or
 * SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_dcep_parse_open(sansrtc_dcep_open *out,
                                        const uint8_t *data, size_t len);

/* Writes a DATA_CHANNEL_OPEN into buf/cap. Returns the length, or
 * SANSRTC_ERR_BUFFER_TOO_SMALL / SANSRTC_ERR_INVALID_ARGUMENT (label or
 * protocol over 65535 bytes). */
SANSRTC_API int sansrtc_dcep_write_open(const sansrtc_dcep_open *open,
                                        uint8_t *buf, size_t cap);

/* ------------------------------------------------------------------------ */
/* Channels                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct sansrtc_datachannels sansrtc_datachannels;

#define SANSRTC_DC_LABEL_MAX 1024    /* bytes kept of a label */
#define SANSRTC_DC_PROTOCOL_MAX 1024 /* bytes kept of a protocol */

/* RTCDataChannelInit. */
typedef struct sansrtc_dc_init {
  const char *label;    /* NUL-terminated UTF-8; NULL is "" */
  const char *protocol; /* NULL is "" */
  int ordered;          /* default 1 */
  /* At most one of these is >= 0: -1 means unset (reliable). */
  int32_t max_retransmits;
  int32_t max_packet_lifetime_ms;
  /* Pre-negotiated (no DCEP) on stream `id` when non-zero. */
  int negotiated;
  uint16_t id;
} sansrtc_dc_init;

/* Defaults: label "", protocol "", ordered, reliable, not negotiated. */
SANSRTC_API void sansrtc_dc_init_default(sansrtc_dc_init *init);

typedef struct sansrtc_datachannels_config {
  /* The DTLS role decides stream parity (RFC 8832 6): the DTLS client opens
   * even ids, the server odd ones. */
  int dtls_client;
  unsigned max_channels;         /* default 128 */
  size_t max_buffered_per_channel; /* sends beyond this fail, default 16 MiB */
  size_t buffered_amount_low_threshold; /* default 0 */
} sansrtc_datachannels_config;

SANSRTC_API void
sansrtc_datachannels_config_default(sansrtc_datachannels_config *cfg);

/* Creates the channel set of `sctp`, which the caller keeps owning and
 * must outlive the set. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT or
 * SANSRTC_ERR_NOMEM. */
SANSRTC_API int sansrtc_datachannels_new(sansrtc_datachannels **out,
                                         sansrtc_sctp *sctp,
                                         const sansrtc_datachannels_config *cfg);

/* Frees the set and its queues (sends nothing). NULL is allowed. */
SANSRTC_API void sansrtc_datachannels_del(sansrtc_datachannels *set);

/*
 * Creates a channel; its stream id goes to *id. In-band channels send
 * DATA_CHANNEL_OPEN (at once, or when the association comes up) and may be
 * used for sending right away; negotiated ones are open as soon as the
 * association is. Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (both
 * reliability limits set, id out of range), SANSRTC_ERR_INVALID_STATE (the
 * negotiated id is in use) or SANSRTC_ERR_LIMIT (no free id or slot).
 */
SANSRTC_API int sansrtc_dc_open(sansrtc_datachannels *set,
                                const sansrtc_dc_init *init, uint16_t *id);

/*
 * Sends a message on channel `id`: `binary` selects PPID 53/57 or 51/56;
 * an empty message is sent as WebRTC does (one zero byte, PPID 56/57).
 * The message is queued when SCTP has no room and counts in the buffered
 * amount. Returns SANSRTC_OK, SANSRTC_ERR_NOT_FOUND (no such channel),
 * SANSRTC_ERR_INVALID_STATE (closing or closed), SANSRTC_ERR_INVALID_ARGUMENT
 * (larger than the peer's maximum, sansrtc_sctp_max_send_size) or
 * SANSRTC_ERR_LIMIT
 * (max_buffered_per_channel would be exceeded). Sends on every channel
 * queued with sansrtc_dc_send_more go out with it.
 */
SANSRTC_API int sansrtc_dc_send(sansrtc_datachannels *set, uint16_t id,
                                const uint8_t *data, size_t len, int binary);

/*
 * As sansrtc_dc_send, but the message only joins the channel's queue: it
 * goes to SCTP with the next sansrtc_dc_send, sansrtc_datachannels_flush
 * or sansrtc_datachannels_process, together with everything queued so,
 * small messages sharing packets. For a caller that has several messages
 * at hand (a burst); the last one is sent with sansrtc_dc_send or
 * followed by a flush. Same returns as sansrtc_dc_send.
 */
SANSRTC_API int sansrtc_dc_send_more(sansrtc_datachannels *set, uint16_t id,
                                     const uint8_t *data, size_t len,
                                     int binary);

/* Hands every channel's queued messages to SCTP (as far as it has room).
 * Returns SANSRTC_OK or SANSRTC_ERR_INVALID_ARGUMENT. */
SANSRTC_API int sansrtc_datachannels_flush(sansrtc_datachannels *set);

/* Starts closing channel `id` (stream reset). CLOSING then CLOSED events
 * follow. Returns SANSRTC_OK or SANSRTC_ERR_NOT_FOUND. */
SANSRTC_API int sansrtc_dc_close(sansrtc_datachannels *set, uint16_t id);

/* Bytes accepted by sansrtc_dc_send and not yet handed to SCTP. */
SANSRTC_API size_t sansrtc_dc_buffered_amount(const sansrtc_datachannels *set,
                                              uint16_t id);

/* Sets the level at or below which a BUFFERED_LOW event fires when the
 * buffered amount falls to it. Returns SANSRTC_OK or SANSRTC_ERR_NOT_FOUND. */
SANSRTC_API int sansrtc_dc_set_buffered_amount_low_threshold(
    sansrtc_datachannels *set, uint16_t id, size_t bytes);

/* Label and protocol of a channel (NUL-terminated, owned by the set), or
 * NULL when there is no such channel. */
SANSRTC_API const char *sansrtc_dc_label(const sansrtc_datachannels *set,
                                         uint16_t id);
SANSRTC_API const char *sansrtc_dc_protocol(const sansrtc_datachannels *set,
                                            uint16_t id);

/* Reads the association's messages and events, runs DCEP and flushes
 * queued sends. Call after feeding the association and after its
 * timeouts. Returns SANSRTC_OK or SANSRTC_ERR_NOMEM. */
SANSRTC_API int sansrtc_datachannels_process(sansrtc_datachannels *set);

typedef enum sansrtc_dc_event_type {
  SANSRTC_DC_EVENT_OPEN = 1,      /* ours acknowledged, negotiated up */
  SANSRTC_DC_EVENT_REMOTE_OPEN,   /* the peer opened a channel */
  SANSRTC_DC_EVENT_MESSAGE,       /* data in the caller's buffer */
  SANSRTC_DC_EVENT_BUFFERED_LOW,  /* buffered amount fell to the threshold */
  SANSRTC_DC_EVENT_CLOSING,
  SANSRTC_DC_EVENT_CLOSED,
  /* The association failed under an open channel (CLOSING and CLOSED
   * follow), or a queued message could not be handed to SCTP. */
  SANSRTC_DC_EVENT_ERROR
} sansrtc_dc_event_type;

typedef struct sansrtc_dc_event {
  sansrtc_dc_event_type type;
  uint16_t id;
  int binary;  /* MESSAGE */
  size_t len;  /* MESSAGE: bytes written to the caller's buffer */
} sansrtc_dc_event;

/*
 * Takes the next event. MESSAGE payloads are written to buf/cap. Returns 1,
 * 0 when none, or SANSRTC_ERR_BUFFER_TOO_SMALL (the event stays; the
 * association's max_message_size always suffices).
 */
SANSRTC_API int sansrtc_datachannels_poll_event(sansrtc_datachannels *set,
                                                sansrtc_dc_event *ev,
                                                uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SANSRTC_DATACHANNEL_H */
