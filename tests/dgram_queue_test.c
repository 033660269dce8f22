/*
 * dgram_queue_test.c - the internal datagram FIFO: order, limits, growth,
 * compaction and copying.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include <sansrtc/common.h>

#include "dgram_queue.h"
#include "suites.h"

START_TEST(test_fifo_order_and_empty_entries) {
  sansrtc_dgram_queue q;
  sansrtc_dgram_queue_init(&q, 1 << 20);
  ck_assert_ptr_null(q.buf); /* nothing allocated until the first push */
  uint8_t out[16];
  size_t len = 99;
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 0);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, (const uint8_t *)"abc", 3), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, NULL, 0), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, (const uint8_t *)"de", 2), SANSRTC_OK);
  ck_assert_uint_eq(q.count, 3);
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, 2, &len), SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_uint_eq(len, 3); /* the size it needs */
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
  ck_assert_uint_eq(len, 3);
  ck_assert_mem_eq(out, "abc", 3);
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, 0, &len), 1);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
  ck_assert_mem_eq(out, "de", 2);
  ck_assert_uint_eq(sansrtc_dgram_queue_bytes(&q), 0);
  sansrtc_dgram_queue_free(&q);
  ck_assert_ptr_null(q.buf);
}
END_TEST

/* front: the oldest entry in place, no copy, nothing removed. */
START_TEST(test_front_without_copy) {
  sansrtc_dgram_queue q;
  sansrtc_dgram_queue_init(&q, 1 << 20);
  const uint8_t *p = NULL;
  size_t len = 99;
  ck_assert_int_eq(sansrtc_dgram_queue_front(&q, &p, &len), 0);
  ck_assert_int_eq(sansrtc_dgram_queue_push2(&q, (const uint8_t *)"hd", 2,
                                             (const uint8_t *)"body", 4), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, (const uint8_t *)"next", 4), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dgram_queue_front(&q, &p, &len), 1);
  ck_assert_uint_eq(len, 6);
  ck_assert_mem_eq(p, "hdbody", 6);
  ck_assert_uint_eq(q.count, 2); /* still there */
  sansrtc_dgram_queue_drop(&q);
  ck_assert_int_eq(sansrtc_dgram_queue_front(&q, &p, &len), 1);
  ck_assert_uint_eq(len, 4);
  ck_assert_mem_eq(p, "next", 4);
  sansrtc_dgram_queue_drop(&q);
  ck_assert_int_eq(sansrtc_dgram_queue_front(&q, &p, &len), 0);
  sansrtc_dgram_queue_free(&q);
}
END_TEST

START_TEST(test_limit_growth_and_compaction) {
  sansrtc_dgram_queue q;
  sansrtc_dgram_queue_init(&q, 10000);
  uint8_t block[1000], out[1000];
  size_t len;
  int pushed = 0;
  for (int i = 0; i < 20; i++) {
    memset(block, i, sizeof block);
    if (sansrtc_dgram_queue_push(&q, block, sizeof block) != SANSRTC_OK) break;
    pushed++;
  }
  ck_assert_int_eq(pushed, 9); /* 9 x 1004 bytes fit in 10000, 10 do not */
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, block, sizeof block), SANSRTC_ERR_LIMIT);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, block, 20000), SANSRTC_ERR_LIMIT);
  /* Steady state: pop one, push one, many times; order is kept and the
   * buffer does not grow past what the limit allows. */
  for (int i = 0; i < 1000; i++) {
    ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
    ck_assert_uint_eq(out[0], (uint8_t)(i & 0xFF));
    memset(block, (i + 9) & 0xFF, sizeof block);
    ck_assert_int_eq(sansrtc_dgram_queue_push(&q, block, sizeof block), SANSRTC_OK);
  }
  ck_assert_uint_le(q.cap, 16384);
  for (int i = 0; i < 9; i++) {
    ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
    ck_assert_uint_eq(out[0], (uint8_t)((1000 + i) & 0xFF));
  }
  sansrtc_dgram_queue_free(&q);
}
END_TEST

/* A queue emptied after growing frees its buffer, and the next push
 * allocates the grown size at once; one that never grew keeps its buffer. */
START_TEST(test_grown_buffer_given_back_when_empty) {
  sansrtc_dgram_queue q;
  sansrtc_dgram_queue_init(&q, 1 << 20);
  static uint8_t big[6000], out[6000];
  memset(big, 0x5A, sizeof big);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, big, sizeof big), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, big, 100), SANSRTC_OK);
  size_t grown = q.cap, len;
  ck_assert_uint_gt(grown, 2048);
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
  ck_assert_ptr_nonnull(q.buf); /* one entry left */
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
  ck_assert_ptr_null(q.buf);
  ck_assert_uint_eq(q.cap, 0);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, big, 10), SANSRTC_OK);
  ck_assert_uint_eq(q.cap, grown);
  sansrtc_dgram_queue_drop(&q);
  ck_assert_ptr_null(q.buf);
  sansrtc_dgram_queue_free(&q);
  sansrtc_dgram_queue_init(&q, 1 << 20);
  ck_assert_int_eq(sansrtc_dgram_queue_push(&q, big, 10), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_dgram_queue_pop(&q, out, sizeof out, &len), 1);
  ck_assert_ptr_nonnull(q.buf);
  ck_assert_uint_eq(q.cap, 2048);
  sansrtc_dgram_queue_free(&q);
}
END_TEST

START_TEST(test_append_all_copies) {
  sansrtc_dgram_queue a, b;
  sansrtc_dgram_queue_init(&a, 1 << 16);
  sansrtc_dgram_queue_init(&b, 1 << 16);
  ck_assert_uint_eq(sansrtc_dgram_queue_append_all(&b, &a), 0);
  sansrtc_dgram_queue_push(&a, (const uint8_t *)"one", 3);
  sansrtc_dgram_queue_push(&a, (const uint8_t *)"two!", 4);
  ck_assert_uint_eq(sansrtc_dgram_queue_append_all(&b, &a), 2);
  ck_assert_uint_eq(sansrtc_dgram_queue_append_all(&b, &a), 2);
  ck_assert_uint_eq(a.count, 2);
  ck_assert_uint_eq(b.count, 4);
  uint8_t out[8];
  size_t len;
  const char *want[] = {"one", "two!", "one", "two!"};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(sansrtc_dgram_queue_pop(&b, out, sizeof out, &len), 1);
    ck_assert_uint_eq(len, strlen(want[i]));
    ck_assert_mem_eq(out, want[i], len);
  }
  /* A destination with too little room takes what fits. */
  sansrtc_dgram_queue small;
  sansrtc_dgram_queue_init(&small, 8);
  ck_assert_uint_eq(sansrtc_dgram_queue_append_all(&small, &a), 1);
  sansrtc_dgram_queue_free(&small);
  sansrtc_dgram_queue_free(&a);
  sansrtc_dgram_queue_free(&b);
}
END_TEST

Suite *dgram_queue_suite(void) {
  Suite *s = suite_create("dgram_queue");
  TCase *tc = tcase_create("queue");
  tcase_add_test(tc, test_fifo_order_and_empty_entries);
  tcase_add_test(tc, test_front_without_copy);
  tcase_add_test(tc, test_limit_growth_and_compaction);
  tcase_add_test(tc, test_append_all_copies);
  tcase_add_test(tc, test_grown_buffer_given_back_when_empty);
  suite_add_tcase(s, tc);
  return s;
}
