/*
 * libFuzzer target for the STUN decoder. Every input is decoded; accepted
 * messages are verified (integrity, SHA-256 integrity, fingerprint), walked
 * with the attribute iterator, and re-encoded attribute by attribute, which
 * must decode again to the same method, class, transaction id and
 * attributes. Any view outside the input aborts.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/stun.h>

static void check_view(const sansrtc_stun_bytes *b, const uint8_t *data,
                       size_t size) {
  if (b->len > 0 && (b->data < data || b->data + b->len > data + size))
    abort();
}

static void reencode(const sansrtc_stun_msg *m) {
  static uint8_t out[65536 + 20];
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, out, sizeof out, m->method, m->klass, m->txid);
  size_t off = 0, count = 0;
  uint16_t type;
  sansrtc_stun_bytes v;
  while (sansrtc_stun_next_attr(m, &off, &type, &v)) {
    sansrtc_stun_writer_add(&w, type, v.data, v.len);
    count++;
  }
  size_t len = 0;
  if (sansrtc_stun_writer_finish(&w, &len) != SANSRTC_OK) abort();
  sansrtc_stun_msg again;
  if (sansrtc_stun_decode(&again, out, len) != SANSRTC_OK) abort();
  if (again.method != m->method || again.klass != m->klass ||
      memcmp(again.txid, m->txid, sizeof m->txid) != 0 ||
      again.present != m->present || again.priority != m->priority ||
      again.error_code != m->error_code ||
      !sansrtc_addr_equal(&again.xor_mapped_address, &m->xor_mapped_address))
    abort();
  off = 0;
  while (sansrtc_stun_next_attr(&again, &off, &type, &v)) count--;
  if (count != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)sansrtc_stun_is_stun(data, size);
  sansrtc_stun_msg m;
  if (sansrtc_stun_decode(&m, data, size) != SANSRTC_OK) return 0;
  if (m.raw != data || m.raw_len != size) abort();
  check_view(&m.username, data, size);
  check_view(&m.software, data, size);
  check_view(&m.realm, data, size);
  check_view(&m.nonce, data, size);
  check_view(&m.data, data, size);
  check_view(&m.error_reason, data, size);
  static const uint8_t key[] = "fuzzing-password";
  (void)sansrtc_stun_check_integrity(&m, key, sizeof key - 1);
  (void)sansrtc_stun_check_integrity_sha256(&m, key, sizeof key - 1);
  (void)sansrtc_stun_check_fingerprint(&m);
  reencode(&m);
  return 0;
}
