/*
 * libFuzzer target for datagram demultiplexing and the DTLS endpoint's
 * input. The input is split into datagrams (2-byte length prefixes). Each
 * is classified (RFC 7983); DTLS ones are fed to a fresh server endpoint
 * (hostile ClientHellos and handshake records) and, with the first byte
 * forced into the DTLS range, to one side of an established connection,
 * which must still carry data afterwards. Certificates and the established
 * pair are made once.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/dtls.h>

static sansrtc_dtls_cert *certs[2];

static sansrtc_dtls *endpoint(int i) {
  sansrtc_dtls_config cfg;
  sansrtc_dtls_config_default(&cfg);
  cfg.role = i == 0 ? SANSRTC_DTLS_CLIENT : SANSRTC_DTLS_SERVER;
  cfg.cert = certs[i];
  sansrtc_dtls *d = NULL;
  if (sansrtc_dtls_new(&d, &cfg) != SANSRTC_OK) abort();
  if (sansrtc_dtls_set_remote_fingerprint(
          d, "sha-256", sansrtc_dtls_cert_fingerprint(certs[1 - i]), 0) !=
      SANSRTC_OK)
    abort();
  return d;
}

/* Moves datagrams between the two until neither has any. */
static void shuttle(sansrtc_dtls *a, sansrtc_dtls *b) {
  uint8_t buf[1500];
  size_t len;
  int moved = 1;
  while (moved) {
    moved = 0;
    while (sansrtc_dtls_poll_transmit(a, buf, sizeof buf, &len) == 1) {
      (void)sansrtc_dtls_handle_datagram(b, buf, len, 0);
      moved = 1;
    }
    while (sansrtc_dtls_poll_transmit(b, buf, sizeof buf, &len) == 1) {
      (void)sansrtc_dtls_handle_datagram(a, buf, len, 0);
      moved = 1;
    }
  }
}

static void drain(sansrtc_dtls *d) {
  uint8_t buf[16384];
  size_t len;
  while (sansrtc_dtls_poll_transmit(d, buf, sizeof buf, &len) == 1) {
  }
  while (sansrtc_dtls_poll_data(d, buf, sizeof buf, &len) == 1) {
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (certs[0] == NULL &&
      (sansrtc_dtls_cert_generate(&certs[0], 1795000000) != SANSRTC_OK ||
       sansrtc_dtls_cert_generate(&certs[1], 1795000000) != SANSRTC_OK))
    abort();
  sansrtc_dtls *server = endpoint(1);
  sansrtc_dtls *pair[2] = {endpoint(0), endpoint(1)};
  if (sansrtc_dtls_start(pair[0], 0) != SANSRTC_OK) abort();
  shuttle(pair[0], pair[1]);
  if (sansrtc_dtls_get_state(pair[0]) != SANSRTC_DTLS_STATE_CONNECTED) abort();

  uint8_t dgram[1500];
  for (size_t off = 0; off + 2 <= size;) {
    size_t n = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (n > size - off) n = size - off;
    if (n > sizeof dgram) n = sizeof dgram;
    if (n == 0) continue;
    memcpy(dgram, data + off, n);
    off += n;
    if (sansrtc_packet_classify(dgram, n) == SANSRTC_PACKET_DTLS)
      (void)sansrtc_dtls_handle_datagram(server, dgram, n, 0);
    dgram[0] = (uint8_t)(20 + dgram[0] % 44);
    (void)sansrtc_dtls_handle_datagram(pair[n % 2], dgram, n, 0);
    drain(server);
    drain(pair[0]);
    drain(pair[1]);
  }
  /* Hostile records must not break an established connection. */
  if (sansrtc_dtls_get_state(pair[0]) == SANSRTC_DTLS_STATE_CONNECTED &&
      sansrtc_dtls_get_state(pair[1]) == SANSRTC_DTLS_STATE_CONNECTED) {
    static const uint8_t msg[] = "after fuzzing";
    if (sansrtc_dtls_send(pair[0], msg, sizeof msg) != SANSRTC_OK) abort();
    shuttle(pair[0], pair[1]);
    uint8_t out[64];
    size_t len = 0;
    if (sansrtc_dtls_poll_data(pair[1], out, sizeof out, &len) != 1 ||
        len != sizeof msg || memcmp(out, msg, len) != 0)
      abort();
  }
  sansrtc_dtls_del(server);
  sansrtc_dtls_del(pair[0]);
  sansrtc_dtls_del(pair[1]);
  return 0;
}
