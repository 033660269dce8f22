/*
 * mailbox.h - a lock-protected FIFO of messages between threads
 * (internal to the threads layer).
 *
 * The threads layer has two per peer connection: commands from any
 * application thread to the worker, and events from the worker to the
 * application. A message is a fixed-size header plus optional bytes, both
 * copied in and out, so nothing in a mailbox points at memory another
 * thread may free. Receivers can block with a timeout, or poll() the
 * mailbox's file descriptor, which is readable exactly while the mailbox
 * holds messages or is closed.
 *
 * Thread-safety: every function except mailbox_init and mailbox_destroy
 * may be called from any thread at any time; init and destroy must not
 * race with anything else on the same mailbox.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_MAILBOX_H
#define SANSRTC_MAILBOX_H

#include <pthread.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>

#include <sansrtc/common.h>

#include "dgram_queue.h"

typedef struct mailbox {
  pthread_mutex_t lock;
  pthread_cond_t nonempty;
  sansrtc_dgram_queue queue;
  int fd;     /* eventfd: readable while messages are queued or closed */
  int ready;  /* the eventfd counter is non-zero */
  int closed;
} mailbox;

/* The CLOCK_MONOTONIC time `ms` milliseconds from now, for
 * pthread_cond_timedwait on condition variables set to that clock (the
 * threads layer's other waits use it too). */
struct timespec monotonic_deadline_ms(int ms);

/* Sets up an empty mailbox holding at most `max_bytes` of messages
 * (headers included). Returns SANSRTC_OK, SANSRTC_ERR_NOMEM or
 * SANSRTC_ERR_LIMIT (no file descriptor left). */
int mailbox_init(mailbox *mb, size_t max_bytes);

/* Frees everything, queued messages included. */
void mailbox_destroy(mailbox *mb);

/* Queues one message (hdr/hlen, then data/len; either may be empty) and
 * wakes a receiver. Returns SANSRTC_OK, SANSRTC_ERR_LIMIT (full),
 * SANSRTC_ERR_NOMEM or SANSRTC_ERR_INVALID_STATE (closed). */
int mailbox_push(mailbox *mb, const void *hdr, size_t hlen, const void *data,
                 size_t len);

/*
 * Takes the oldest message: its first `hlen` bytes go to hdr, the rest to
 * buf/cap with *len set. Waits up to `timeout_ms` for one (0: do not wait;
 * negative: wait forever). Returns 1, 0 on timeout,
 * SANSRTC_ERR_BUFFER_TOO_SMALL (the message stays; its header is copied
 * and *len is the size buf needs) or
 * SANSRTC_ERR_INVALID_STATE (closed and empty).
 */
int mailbox_pop(mailbox *mb, void *hdr, size_t hlen, void *buf, size_t cap,
                size_t *len, int timeout_ms);

/* Chooses, from a message's header, the buffer for the rest of it. */
typedef void (*mailbox_select_fn)(void *arg, const void *hdr, void **buf,
                                  size_t *cap);

/* Like mailbox_pop, with the destination chosen by `select` (called with
 * the lock held, so it must be quick and must not call the mailbox) once
 * the header is known. */
int mailbox_pop_select(mailbox *mb, void *hdr, size_t hlen,
                       mailbox_select_fn select, void *arg, size_t *len,
                       int timeout_ms);

/* Removes the oldest message unread, if any. */
void mailbox_drop(mailbox *mb);

/* Closes the mailbox: pushes fail, receivers wake, and pops return what
 * is left, then SANSRTC_ERR_INVALID_STATE. Idempotent. */
void mailbox_close(mailbox *mb);

/* The file descriptor to poll() for POLLIN. Owned by the mailbox. */
int mailbox_fd(const mailbox *mb);

#endif
