/*
 * sample_threads.h - a set of joinable threads for the samples' servers
 * (one thread per request or client): finished threads are joined when a
 * new one starts, so a long-running server keeps a bounded table, and
 * thread_set_join_all waits for every thread before the program exits,
 * so nothing is left running under valgrind. Header-only; not part of the
 * library.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SAMPLE_THREADS_H
#define SANSRTC_SAMPLE_THREADS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define THREAD_SET_MAX 4096

typedef struct thread_slot {
  pthread_t thread;
  atomic_int done;
  void *(*fn)(void *);
  void *arg;
} thread_slot;

typedef struct thread_set {
  pthread_mutex_t lock;
  thread_slot *slots[THREAD_SET_MAX];
  size_t count;
} thread_set;

#define THREAD_SET_INIT {PTHREAD_MUTEX_INITIALIZER, {NULL}, 0}

static void *thread_set_run(void *arg) {
  thread_slot *s = arg;
  s->fn(s->arg);
  atomic_store(&s->done, 1);
  return NULL;
}

/* Joins and forgets finished threads; called with the lock held. */
static void thread_set_reap(thread_set *set) {
  for (size_t i = 0; i < set->count;) {
    thread_slot *s = set->slots[i];
    if (!atomic_load(&s->done)) {
      i++;
      continue;
    }
    pthread_join(s->thread, NULL);
    free(s);
    set->slots[i] = set->slots[--set->count];
  }
}

/* Starts fn(arg) on a new thread. Returns 1, or 0 when it could not. */
static int thread_set_spawn(thread_set *set, void *(*fn)(void *), void *arg) {
  thread_slot *s = calloc(1, sizeof *s);
  if (s == NULL) return 0;
  s->fn = fn;
  s->arg = arg;
  pthread_mutex_lock(&set->lock);
  thread_set_reap(set);
  int ok = set->count < THREAD_SET_MAX &&
           pthread_create(&s->thread, NULL, thread_set_run, s) == 0;
  if (ok) set->slots[set->count++] = s;
  pthread_mutex_unlock(&set->lock);
  if (!ok) free(s);
  return ok;
}

/* Waits for every thread, including ones started meanwhile. */
static void thread_set_join_all(thread_set *set) {
  pthread_mutex_lock(&set->lock);
  while (set->count > 0) {
    thread_slot *s = set->slots[--set->count];
    pthread_mutex_unlock(&set->lock);
    pthread_join(s->thread, NULL);
    free(s);
    pthread_mutex_lock(&set->lock);
  }
  pthread_mutex_unlock(&set->lock);
}

#endif
