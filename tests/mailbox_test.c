/*
 * mailbox_test.c - the threads layer's message FIFO: order, copies,
 * limits, timeouts, the pollable descriptor, closing, and many producers
 * on real threads.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "mailbox.h"
#include "suites.h"

static int readable(const mailbox *mb) {
  struct pollfd p = {mailbox_fd(mb), POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

START_TEST(test_order_copies_and_fd) {
  mailbox mb;
  ck_assert_int_eq(mailbox_init(&mb, 1 << 16), SANSRTC_OK);
  ck_assert(!readable(&mb));
  uint32_t h;
  char buf[16];
  size_t len = 99;
  ck_assert_int_eq(mailbox_pop(&mb, &h, sizeof h, buf, sizeof buf, &len, 0), 0);
  ck_assert_uint_eq(len, 99);
  char text[8] = "first";
  h = 1;
  ck_assert_int_eq(mailbox_push(&mb, &h, sizeof h, text, 5), SANSRTC_OK);
  memcpy(text, "XXXXX", 5); /* the mailbox holds its own copy */
  h = 2;
  ck_assert_int_eq(mailbox_push(&mb, &h, sizeof h, NULL, 0), SANSRTC_OK);
  ck_assert(readable(&mb));
  h = 0;
  ck_assert_int_eq(mailbox_pop(&mb, &h, sizeof h, buf, 2, &len, 0),
                   SANSRTC_ERR_BUFFER_TOO_SMALL); /* stays queued */
  ck_assert_uint_eq(h, 1);   /* the header tells what it is */
  ck_assert_uint_eq(len, 5); /* and len what it needs */
  h = 0;
  ck_assert_int_eq(mailbox_pop(&mb, &h, sizeof h, buf, sizeof buf, &len, 0), 1);
  ck_assert_uint_eq(h, 1);
  ck_assert_uint_eq(len, 5);
  ck_assert_mem_eq(buf, "first", 5);
  ck_assert(readable(&mb));
  ck_assert_int_eq(mailbox_pop(&mb, &h, sizeof h, NULL, 0, &len, -1), 1);
  ck_assert_uint_eq(h, 2);
  ck_assert_uint_eq(len, 0);
  ck_assert(!readable(&mb));
  mailbox_destroy(&mb);
}
END_TEST

START_TEST(test_limit_timeout_and_close) {
  mailbox mb;
  ck_assert_int_eq(mailbox_init(&mb, 64), SANSRTC_OK);
  uint8_t big[60] = {0};
  ck_assert_int_eq(mailbox_push(&mb, NULL, 0, big, 40), SANSRTC_OK);
  ck_assert_int_eq(mailbox_push(&mb, NULL, 0, big, 40), SANSRTC_ERR_LIMIT);
  size_t len;
  uint8_t buf[64];
  ck_assert_int_eq(mailbox_pop(&mb, NULL, 0, buf, sizeof buf, &len, 0), 1);
  /* Empty: a bounded wait returns 0 when it runs out. */
  ck_assert_int_eq(mailbox_pop(&mb, NULL, 0, buf, sizeof buf, &len, 20), 0);
  /* Closing keeps what is queued, then reports closed; pushes fail. */
  ck_assert_int_eq(mailbox_push(&mb, NULL, 0, "a", 1), SANSRTC_OK);
  mailbox_close(&mb);
  mailbox_close(&mb);
  ck_assert(readable(&mb));
  ck_assert_int_eq(mailbox_push(&mb, NULL, 0, "b", 1), SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(mailbox_pop(&mb, NULL, 0, buf, sizeof buf, &len, -1), 1);
  ck_assert_int_eq(mailbox_pop(&mb, NULL, 0, buf, sizeof buf, &len, -1),
                   SANSRTC_ERR_INVALID_STATE);
  ck_assert(readable(&mb)); /* stays readable so pollers see the close */
  mailbox_destroy(&mb);
}
END_TEST

static void select_by_header(void *arg, const void *hdr, void **buf, size_t *cap) {
  uint8_t (*bufs)[8] = arg;
  uint32_t h;
  memcpy(&h, hdr, sizeof h);
  *buf = bufs[h % 2];
  *cap = sizeof bufs[0];
}

/* The header decides where the body goes, atomically with the pop. */
START_TEST(test_pop_select) {
  mailbox mb;
  ck_assert_int_eq(mailbox_init(&mb, 4096), SANSRTC_OK);
  uint8_t bufs[2][8];
  memset(bufs, 0, sizeof bufs);
  uint32_t h = 1;
  ck_assert_int_eq(mailbox_push(&mb, &h, sizeof h, "odd", 3), SANSRTC_OK);
  h = 2;
  ck_assert_int_eq(mailbox_push(&mb, &h, sizeof h, "even", 4), SANSRTC_OK);
  size_t len;
  ck_assert_int_eq(mailbox_pop_select(&mb, &h, sizeof h, select_by_header, bufs, &len, 0), 1);
  ck_assert_uint_eq(h, 1);
  ck_assert_uint_eq(len, 3);
  ck_assert_mem_eq(bufs[1], "odd", 3);
  ck_assert_int_eq(mailbox_pop_select(&mb, &h, sizeof h, select_by_header, bufs, &len, 0), 1);
  ck_assert_uint_eq(h, 2);
  ck_assert_mem_eq(bufs[0], "even", 4);
  ck_assert_int_eq(mailbox_pop_select(&mb, &h, sizeof h, select_by_header, bufs, &len, 0), 0);
  mailbox_destroy(&mb);
}
END_TEST

#define PRODUCERS 4
#define PER_PRODUCER 5000

typedef struct producer {
  mailbox *mb;
  uint32_t id;
} producer;

static void *produce(void *arg) {
  producer *p = arg;
  for (uint32_t k = 0; k < PER_PRODUCER;) {
    uint32_t msg[2] = {p->id, k};
    if (mailbox_push(p->mb, msg, sizeof msg, NULL, 0) == SANSRTC_OK) {
      k++;
    } else { /* full: let the receiver run (matters under valgrind) */
      struct timespec t = {0, 100 * 1000};
      nanosleep(&t, NULL);
    }
  }
  return NULL;
}

static void *close_later(void *arg) {
  struct timespec t = {0, 20 * 1000 * 1000};
  nanosleep(&t, NULL);
  mailbox_close(arg);
  return NULL;
}

/* Several threads push while one blocks in pop: every message arrives
 * once, each producer's in order; a close wakes a blocked receiver. */
START_TEST(test_producers_and_blocked_receiver) {
  mailbox mb;
  ck_assert_int_eq(mailbox_init(&mb, 4096), SANSRTC_OK); /* small: producers retry */
  pthread_t t[PRODUCERS];
  producer p[PRODUCERS];
  for (uint32_t i = 0; i < PRODUCERS; i++) {
    p[i].mb = &mb;
    p[i].id = i;
    ck_assert_int_eq(pthread_create(&t[i], NULL, produce, &p[i]), 0);
  }
  uint32_t next[PRODUCERS] = {0};
  for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
    uint32_t msg[2];
    size_t len;
    ck_assert_int_eq(mailbox_pop(&mb, msg, sizeof msg, NULL, 0, &len, -1), 1);
    ck_assert_uint_lt(msg[0], PRODUCERS);
    ck_assert_uint_eq(msg[1], next[msg[0]]);
    next[msg[0]]++;
  }
  for (int i = 0; i < PRODUCERS; i++) pthread_join(t[i], NULL);
  pthread_t closer;
  ck_assert_int_eq(pthread_create(&closer, NULL, close_later, &mb), 0);
  size_t len;
  uint32_t msg[2];
  ck_assert_int_eq(mailbox_pop(&mb, msg, sizeof msg, NULL, 0, &len, -1),
                   SANSRTC_ERR_INVALID_STATE);
  pthread_join(closer, NULL);
  mailbox_destroy(&mb);
}
END_TEST

Suite *mailbox_suite(void) {
  Suite *s = suite_create("mailbox");
  TCase *tc = tcase_create("mailbox");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_order_copies_and_fd);
  tcase_add_test(tc, test_limit_timeout_and_close);
  tcase_add_test(tc, test_producers_and_blocked_receiver);
  tcase_add_test(tc, test_pop_select);
  suite_add_tcase(s, tc);
  return s;
}
