/*
 * mailbox.c - the lock-protected message FIFO of mailbox.h.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <sansrtc/common.h>

#include "mailbox.h"

/* Makes the eventfd readable (1) or not (0); called with the lock held. */
static void set_ready(mailbox *mb, int ready) {
  if (ready == mb->ready) return;
  uint64_t v = 1;
  ssize_t n = ready ? write(mb->fd, &v, sizeof v) : read(mb->fd, &v, sizeof v);
  if (n == (ssize_t)sizeof v) mb->ready = ready;
}

int mailbox_init(mailbox *mb, size_t max_bytes) {
  memset(mb, 0, sizeof *mb);
  mb->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (mb->fd < 0) return errno == ENOMEM ? SANSRTC_ERR_NOMEM : SANSRTC_ERR_LIMIT;
  pthread_condattr_t ca;
  int ok = pthread_condattr_init(&ca) == 0;
  ok = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
       pthread_cond_init(&mb->nonempty, &ca) == 0;
  pthread_condattr_destroy(&ca);
  if (!ok) {
    close(mb->fd);
    return SANSRTC_ERR_NOMEM;
  }
  if (pthread_mutex_init(&mb->lock, NULL) != 0) {
    pthread_cond_destroy(&mb->nonempty);
    close(mb->fd);
    return SANSRTC_ERR_NOMEM;
  }
  sansrtc_dgram_queue_init(&mb->queue, max_bytes);
  return SANSRTC_OK;
}

void mailbox_destroy(mailbox *mb) {
  sansrtc_dgram_queue_free(&mb->queue);
  pthread_mutex_destroy(&mb->lock);
  pthread_cond_destroy(&mb->nonempty);
  close(mb->fd);
}

int mailbox_push(mailbox *mb, const void *hdr, size_t hlen, const void *data,
                 size_t len) {
  pthread_mutex_lock(&mb->lock);
  int rc = mb->closed ? SANSRTC_ERR_INVALID_STATE
                      : sansrtc_dgram_queue_push2(&mb->queue, hdr, hlen, data, len);
  if (rc == SANSRTC_OK) {
    set_ready(mb, 1);
    pthread_cond_signal(&mb->nonempty);
  }
  pthread_mutex_unlock(&mb->lock);
  return rc;
}

struct timespec monotonic_deadline_ms(int ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

int mailbox_pop_select(mailbox *mb, void *hdr, size_t hlen,
                       mailbox_select_fn select, void *arg, size_t *len,
                       int timeout_ms) {
  struct timespec until = monotonic_deadline_ms(timeout_ms > 0 ? timeout_ms : 0);
  pthread_mutex_lock(&mb->lock);
  int rc = 0;
  while (mb->queue.count == 0 && !mb->closed && timeout_ms != 0 && rc == 0)
    rc = timeout_ms < 0 ? pthread_cond_wait(&mb->nonempty, &mb->lock)
                        : pthread_cond_timedwait(&mb->nonempty, &mb->lock, &until);
  if (mb->queue.count > 0) {
    uint8_t none[1];
    size_t got = 0;
    /* The header first, so `select` can choose where the rest goes. */
    (void)sansrtc_dgram_queue_peek2(&mb->queue, hdr, hlen, none, 0, &got);
    void *buf = NULL;
    size_t cap = 0;
    select(arg, hdr, &buf, &cap);
    rc = sansrtc_dgram_queue_pop2(&mb->queue, hdr, hlen,
                                  buf != NULL ? buf : none, cap, &got);
    if (rc == 1 || rc == SANSRTC_ERR_BUFFER_TOO_SMALL) *len = got;
  } else {
    rc = mb->closed ? SANSRTC_ERR_INVALID_STATE : 0;
  }
  set_ready(mb, mb->queue.count > 0 || mb->closed);
  pthread_mutex_unlock(&mb->lock);
  return rc;
}

typedef struct fixed_buffer {
  void *buf;
  size_t cap;
} fixed_buffer;

static void select_fixed(void *arg, const void *hdr, void **buf, size_t *cap) {
  const fixed_buffer *f = arg;
  (void)hdr;
  *buf = f->buf;
  *cap = f->cap;
}

int mailbox_pop(mailbox *mb, void *hdr, size_t hlen, void *buf, size_t cap,
                size_t *len, int timeout_ms) {
  fixed_buffer f = {buf, cap};
  return mailbox_pop_select(mb, hdr, hlen, select_fixed, &f, len, timeout_ms);
}

void mailbox_drop(mailbox *mb) {
  pthread_mutex_lock(&mb->lock);
  sansrtc_dgram_queue_drop(&mb->queue);
  set_ready(mb, mb->queue.count > 0 || mb->closed);
  pthread_mutex_unlock(&mb->lock);
}

void mailbox_close(mailbox *mb) {
  pthread_mutex_lock(&mb->lock);
  mb->closed = 1;
  set_ready(mb, 1);
  pthread_cond_broadcast(&mb->nonempty);
  pthread_mutex_unlock(&mb->lock);
}

int mailbox_fd(const mailbox *mb) { return mb->fd; }
