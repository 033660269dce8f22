/*
 * dgram_queue.h - a FIFO of datagrams in one growable buffer (internal).
 *
 * Each entry is a 4-byte length and the bytes. The buffer is allocated on
 * the first push, grows by doubling up to `max_bytes` (entries plus their
 * headers) and is compacted when the front has been consumed. A buffer
 * that grew past its first 2 KiB is freed when the queue empties (idle
 * connections hold none) and the next push allocates its old size again.
 * Pointers into the queue (front, next, reserve) are therefore valid only
 * until the next call that drops or adds an entry.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_DGRAM_QUEUE_H
#define SANSRTC_DGRAM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sansrtc_dgram_queue {
  uint8_t *buf;
  size_t cap;       /* allocated bytes */
  size_t head;      /* offset of the oldest entry */
  size_t tail;      /* offset just past the newest entry */
  size_t count;     /* entries queued */
  size_t max_bytes; /* limit on tail - head after a push */
  size_t last_cap;  /* capacity before the buffer was last given back */
} sansrtc_dgram_queue;

/* Starts an empty queue (allocates nothing). */
void sansrtc_dgram_queue_init(sansrtc_dgram_queue *q, size_t max_bytes);

/* Frees the buffer; the queue is empty and reusable afterwards. */
void sansrtc_dgram_queue_free(sansrtc_dgram_queue *q);

/* Appends a copy of data/len (len may be 0). Returns SANSRTC_OK,
 * SANSRTC_ERR_LIMIT (would exceed max_bytes) or SANSRTC_ERR_NOMEM. */
int sansrtc_dgram_queue_push(sansrtc_dgram_queue *q, const uint8_t *data,
                             size_t len);

/* Appends an entry of len bytes and points *slot at them, for the caller
 * to fill before its next call on the queue. Same returns as
 * sansrtc_dgram_queue_push. */
int sansrtc_dgram_queue_reserve(sansrtc_dgram_queue *q, size_t len,
                                uint8_t **slot);

/* Appends one entry made of a then b (either may be empty). Same returns
 * as sansrtc_dgram_queue_push. */
int sansrtc_dgram_queue_push2(sansrtc_dgram_queue *q, const uint8_t *a,
                              size_t alen, const uint8_t *b, size_t blen);

/* Moves the oldest entry into buf/cap. Returns 1 with *len set, 0 when
 * empty, or SANSRTC_ERR_BUFFER_TOO_SMALL (the entry stays; *len gets the
 * size it needs). */
int sansrtc_dgram_queue_pop(sansrtc_dgram_queue *q, uint8_t *buf, size_t cap,
                            size_t *len);

/* Like sansrtc_dgram_queue_pop for entries pushed with a fixed-size
 * header: the first hlen bytes go to hdr, the rest to buf/cap (*len counts
 * only those). An entry shorter than hlen is dropped and skipped. On
 * SANSRTC_ERR_BUFFER_TOO_SMALL the header is copied, *len is the size buf
 * needs and the entry stays. */
int sansrtc_dgram_queue_pop2(sansrtc_dgram_queue *q, uint8_t *hdr,
                             size_t hlen, uint8_t *buf, size_t cap,
                             size_t *len);

/* The oldest entry where it lies, without copying: *data stays valid
 * until the queue is next changed (push, pop, drop, free). Returns 1, or
 * 0 when the queue is empty. */
int sansrtc_dgram_queue_front(const sansrtc_dgram_queue *q,
                              const uint8_t **data, size_t *len);

/* Like sansrtc_dgram_queue_pop2 but leaves the entry in place. */
int sansrtc_dgram_queue_peek2(const sansrtc_dgram_queue *q, uint8_t *hdr,
                              size_t hlen, uint8_t *buf, size_t cap,
                              size_t *len);

/* Removes the oldest entry, if any. */
void sansrtc_dgram_queue_drop(sansrtc_dgram_queue *q);

/* Walks the entries oldest first without removing them: start with
 * *cursor = 0; each call returns 1 and points *data and *len at the next entry
 * (which the caller may modify in place), or 0 at the end. Pushes and pops
 * invalidate the walk. */
int sansrtc_dgram_queue_next(sansrtc_dgram_queue *q, size_t *cursor,
                             uint8_t **data, size_t *len);

/* Appends a copy of every entry of `src` to `dst` (src unchanged), as far
 * as `dst` has room. Returns the number of entries copied. */
size_t sansrtc_dgram_queue_append_all(sansrtc_dgram_queue *dst,
                                      const sansrtc_dgram_queue *src);

/* Bytes in use (entries and headers). */
static inline size_t sansrtc_dgram_queue_bytes(const sansrtc_dgram_queue *q) {
  return q->tail - q->head;
}

/* Drops every entry, keeping the buffer. */
void sansrtc_dgram_queue_clear(sansrtc_dgram_queue *q);

#endif
