/*
 * dgram_queue.c - a FIFO of datagrams in one growable buffer.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include <sansrtc/common.h>

#include "dgram_queue.h"
#include "internal.h"

#define ENTRY_HEADER 4
#define FIRST_CAPACITY 2048

void sansrtc_dgram_queue_init(sansrtc_dgram_queue *q, size_t max_bytes) {
  memset(q, 0, sizeof *q);
  q->max_bytes = max_bytes;
}

void sansrtc_dgram_queue_free(sansrtc_dgram_queue *q) {
  free(q->buf);
  sansrtc_dgram_queue_init(q, q->max_bytes);
}

void sansrtc_dgram_queue_clear(sansrtc_dgram_queue *q) {
  q->head = q->tail = q->count = 0;
}

/* Makes room for `need` more bytes at the tail. */
static int make_room(sansrtc_dgram_queue *q, size_t need) {
  size_t used = q->tail - q->head;
  if (need > q->max_bytes || used > q->max_bytes - need)
    return SANSRTC_ERR_LIMIT;
  if (q->cap - q->tail >= need) return SANSRTC_OK;
  if (q->head > 0) { /* slide the live entries to the front */
    memmove(q->buf, q->buf + q->head, used);
    q->head = 0;
    q->tail = used;
    if (q->cap - q->tail >= need) return SANSRTC_OK;
  }
  size_t cap = q->cap ? q->cap : q->last_cap ? q->last_cap : FIRST_CAPACITY;
  while (cap - used < need) cap *= 2;
  uint8_t *nb = realloc(q->buf, cap);
  if (nb == NULL) return SANSRTC_ERR_NOMEM;
  q->buf = nb;
  q->cap = cap;
  return SANSRTC_OK;
}

int sansrtc_dgram_queue_reserve(sansrtc_dgram_queue *q, size_t len,
                                uint8_t **slot) {
  if (len > UINT32_MAX - ENTRY_HEADER) return SANSRTC_ERR_LIMIT;
  int rc = make_room(q, ENTRY_HEADER + len);
  if (rc != SANSRTC_OK) return rc;
  uint8_t *p = q->buf + q->tail;
  wr32(p, (uint32_t)len);
  q->tail += ENTRY_HEADER + len;
  q->count++;
  *slot = p + ENTRY_HEADER;
  return SANSRTC_OK;
}

int sansrtc_dgram_queue_push2(sansrtc_dgram_queue *q, const uint8_t *a,
                              size_t alen, const uint8_t *b, size_t blen) {
  if (alen > UINT32_MAX || blen > UINT32_MAX - alen) return SANSRTC_ERR_LIMIT;
  uint8_t *p;
  int rc = sansrtc_dgram_queue_reserve(q, alen + blen, &p);
  if (rc != SANSRTC_OK) return rc;
  if (alen > 0) memcpy(p, a, alen);
  if (blen > 0) memcpy(p + alen, b, blen);
  return SANSRTC_OK;
}

int sansrtc_dgram_queue_push(sansrtc_dgram_queue *q, const uint8_t *data,
                             size_t len) {
  return sansrtc_dgram_queue_push2(q, data, len, NULL, 0);
}

/* An emptied queue gives back a buffer that grew past its first size,
 * so idle connections hold no queue memory; the size is remembered so a
 * busy queue goes straight back to it instead of doubling up again. */
static void drop_front(sansrtc_dgram_queue *q, size_t n) {
  q->head += ENTRY_HEADER + n;
  if (--q->count > 0) return;
  q->head = q->tail = 0;
  if (q->cap > FIRST_CAPACITY) {
    free(q->buf);
    q->buf = NULL;
    q->last_cap = q->cap;
    q->cap = 0;
  }
}

/* Copies the oldest entry out (see pop2); 2 when it was shorter than the
 * header and must be dropped. */
static int copy_front(const sansrtc_dgram_queue *q, uint8_t *hdr, size_t hlen,
                      uint8_t *buf, size_t cap, size_t *len) {
  size_t n = rd32(q->buf + q->head);
  const uint8_t *p = q->buf + q->head + ENTRY_HEADER;
  if (n < hlen) return 2;
  if (hlen > 0) memcpy(hdr, p, hlen);
  *len = n - hlen;
  if (n - hlen > cap) return SANSRTC_ERR_BUFFER_TOO_SMALL;
  if (n > hlen) memcpy(buf, p + hlen, n - hlen);
  return 1;
}

void sansrtc_dgram_queue_drop(sansrtc_dgram_queue *q) {
  if (q->count > 0) drop_front(q, rd32(q->buf + q->head));
}

int sansrtc_dgram_queue_front(const sansrtc_dgram_queue *q,
                              const uint8_t **data, size_t *len) {
  if (q->count == 0) return 0;
  *len = rd32(q->buf + q->head);
  *data = q->buf + q->head + ENTRY_HEADER;
  return 1;
}

int sansrtc_dgram_queue_peek2(const sansrtc_dgram_queue *q, uint8_t *hdr,
                              size_t hlen, uint8_t *buf, size_t cap,
                              size_t *len) {
  if (q->count == 0) return 0;
  int rc = copy_front(q, hdr, hlen, buf, cap, len);
  return rc == 2 ? SANSRTC_ERR_BUFFER_TOO_SMALL : rc;
}

int sansrtc_dgram_queue_pop2(sansrtc_dgram_queue *q, uint8_t *hdr,
                             size_t hlen, uint8_t *buf, size_t cap,
                             size_t *len) {
  while (q->count > 0) {
    int rc = copy_front(q, hdr, hlen, buf, cap, len);
    if (rc == 2) { /* shorter than its header: skip it */
      sansrtc_dgram_queue_drop(q);
      continue;
    }
    if (rc == 1) sansrtc_dgram_queue_drop(q);
    return rc;
  }
  return 0;
}

int sansrtc_dgram_queue_pop(sansrtc_dgram_queue *q, uint8_t *buf, size_t cap,
                            size_t *len) {
  return sansrtc_dgram_queue_pop2(q, NULL, 0, buf, cap, len);
}

/* The entry at *cursor (its offset in q->buf and length); advances it. */
static int walk(const sansrtc_dgram_queue *q, size_t *cursor, size_t *off,
                size_t *len) {
  *off = q->head + *cursor;
  if (*off >= q->tail) return 0;
  *len = rd32(q->buf + *off);
  *off += ENTRY_HEADER;
  *cursor += ENTRY_HEADER + *len;
  return 1;
}

int sansrtc_dgram_queue_next(sansrtc_dgram_queue *q, size_t *cursor,
                             uint8_t **data, size_t *len) {
  size_t off;
  if (!walk(q, cursor, &off, len)) return 0;
  *data = q->buf + off;
  return 1;
}

size_t sansrtc_dgram_queue_append_all(sansrtc_dgram_queue *dst,
                                      const sansrtc_dgram_queue *src) {
  size_t copied = 0, cursor = 0, off, n;
  while (walk(src, &cursor, &off, &n) &&
         sansrtc_dgram_queue_push(dst, src->buf + off, n) == SANSRTC_OK)
    copied++;
  return copied;
}
