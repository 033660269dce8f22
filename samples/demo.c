/*
 * demo - two sansrtc peers in one process connect over loopback and move
 * data through a reliable, ordered data channel, with the threaded API.
 *
 * usage: demo [--bytes N] [--size B] [--verbose]
 *
 *   --bytes N   how much to send, default 67108864 (64 MiB); K/M/G
 *               suffixes allowed
 *   --size B    message size, default 65536
 *   --verbose   library log on stderr
 *
 * "Signaling" is a function call here: the offer and answer go straight
 * from one peer to the other. Prints the time to ICE connected, DTLS
 * connected and channel open, then the throughput. Exit status 0 when
 * every byte arrived intact and in order.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sansrtc/sansrtc.h>

#define WAIT_MS 10000

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void log_stderr(void *user, sansrtc_log_level level, const char *msg) {
  (void)level;
  fprintf(stderr, "[%s] %s\n", (const char *)user, msg);
}

static size_t parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (*end == 'K' || *end == 'k') v *= 1024;
  else if (*end == 'M' || *end == 'm') v *= 1024 * 1024;
  else if (*end == 'G' || *end == 'g') v *= 1024.0 * 1024 * 1024;
  return v > 0 ? (size_t)v : 0;
}

/* The byte at `offset` of the stream: a pattern the receiver can check. */
static uint8_t pattern(uint64_t offset) {
  return (uint8_t)(offset * 7 + (offset >> 11));
}

typedef struct receiver {
  sansrtc_peer *peer;
  size_t expect, got, max_message;
  atomic_int stop; /* set by the sender when it gives up */
  int ok;
  double done_ms;
} receiver;

static void *receive_all(void *arg) {
  receiver *r = arg;
  uint8_t *buf = malloc(r->max_message);
  sansrtc_pc_event ev;
  r->ok = buf != NULL;
  double last = now_ms();
  while (r->ok && r->got < r->expect && !atomic_load(&r->stop)) {
    int rc = sansrtc_peer_wait_event(r->peer, &ev, buf, r->max_message, 100);
    if (rc == 0 && now_ms() - last < WAIT_MS) continue;
    if (rc == 0) {
      fprintf(stderr, "demo: receiver waited %d ms for data\n", WAIT_MS);
      r->ok = 0;
    }
    if (rc != 1 || ev.type != SANSRTC_PC_EVENT_MESSAGE) continue;
    last = now_ms();
    for (size_t i = 0; i < ev.len; i++)
      if (buf[i] != pattern(r->got + i)) {
        fprintf(stderr, "demo: byte %zu differs\n", r->got + i);
        r->ok = 0;
        break;
      }
    r->got += ev.len;
  }
  r->done_ms = now_ms();
  free(buf);
  return NULL;
}

/* Reads a's events until its channel is open, noting when ICE and DTLS
 * connected. */
static int wait_open(sansrtc_peer *a, uint32_t ch, double t0, double *ice,
                     double *dtls, double *open) {
  sansrtc_pc_event ev;
  uint8_t buf[512];
  while (*open < 0) {
    int rc = sansrtc_peer_wait_event(a, &ev, buf, sizeof buf, WAIT_MS);
    if (rc <= 0) return -1;
    double t = now_ms() - t0;
    if (ev.type == SANSRTC_PC_EVENT_ICE_STATE && ev.state == SANSRTC_ICE_STATE_CONNECTED)
      *ice = t;
    if (ev.type == SANSRTC_PC_EVENT_DTLS_STATE && ev.state == SANSRTC_DTLS_STATE_CONNECTED)
      *dtls = t;
    if (ev.type == SANSRTC_PC_EVENT_CHANNEL_OPEN && ev.channel == ch) *open = t;
    if (ev.type == SANSRTC_PC_EVENT_CONNECTION_STATE && ev.state == SANSRTC_PC_STATE_FAILED)
      return -1;
  }
  return 0;
}

static int fail(const char *what, int rc) {
  fprintf(stderr, "demo: %s: %s\n", what, sansrtc_strerror(rc));
  return 1;
}

int main(int argc, char **argv) {
  size_t total = 64u << 20, size = 65536;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc) total = parse_size(argv[++i]);
    else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) size = parse_size(argv[++i]);
    else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    else {
      fprintf(stderr, "usage: demo [--bytes N] [--size B] [--verbose]\n");
      return 2;
    }
  }
  if (size == 0 || size > 262144) {
    fprintf(stderr, "demo: --size must be 1..262144\n");
    return 2;
  }
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.interfaces = "lo"; /* loopback only: the demo needs no network */
  if (verbose) {
    cfg.log_fn = log_stderr;
    cfg.log_level = SANSRTC_LOG_INFO;
  }
  double t0 = now_ms();
  sansrtc_peer *a, *b;
  int rc;
  cfg.log_user_data = "offerer";
  if ((rc = sansrtc_peer_create(&a, &cfg)) != SANSRTC_OK) return fail("create", rc);
  cfg.log_user_data = "answerer";
  if ((rc = sansrtc_peer_create(&b, &cfg)) != SANSRTC_OK) {
    sansrtc_peer_destroy(a);
    return fail("create", rc);
  }
  uint32_t ch = 0;
  char *offer = NULL, *answer = NULL;
  if ((rc = sansrtc_peer_create_channel(a, "demo", NULL, &ch)) != SANSRTC_OK ||
      (rc = sansrtc_peer_create_offer(a, &offer)) != SANSRTC_OK ||
      (rc = sansrtc_peer_set_remote_description(b, SANSRTC_SDP_OFFER, offer)) != SANSRTC_OK ||
      (rc = sansrtc_peer_create_answer(b, &answer)) != SANSRTC_OK ||
      (rc = sansrtc_peer_set_remote_description(a, SANSRTC_SDP_ANSWER, answer)) != SANSRTC_OK) {
    free(offer);
    free(answer);
    sansrtc_peer_destroy(a);
    sansrtc_peer_destroy(b);
    return fail("negotiation", rc);
  }
  free(offer);
  free(answer);

  receiver r = {b, total, 0, cfg.max_message_size, 0, 0, 0};
  pthread_t t;
  if (pthread_create(&t, NULL, receive_all, &r) != 0) {
    sansrtc_peer_destroy(a);
    sansrtc_peer_destroy(b);
    return 1;
  }
  double ice = -1, dtls = -1, open = -1;
  int ok = wait_open(a, ch, t0, &ice, &dtls, &open) == 0;
  if (ok) {
    sansrtc_addr local, remote;
    char l[SANSRTC_ADDR_STRLEN], rm[SANSRTC_ADDR_STRLEN];
    if (sansrtc_peer_selected_pair(a, &local, &remote) == SANSRTC_OK)
      printf("connected %s -> %s\n", sansrtc_addr_format(&local, l, sizeof l),
             sansrtc_addr_format(&remote, rm, sizeof rm));
    printf("ICE connected %.1f ms, DTLS connected %.1f ms, channel open %.1f ms\n",
           ice, dtls, open);
  } else {
    fprintf(stderr, "demo: the channel did not open\n");
  }
  uint8_t *msg = malloc(size);
  double start = now_ms();
  for (size_t sent = 0; ok && msg != NULL && sent < total;) {
    size_t n = total - sent < size ? total - sent : size;
    for (size_t i = 0; i < n; i++) msg[i] = pattern(sent + i);
    rc = sansrtc_peer_send(a, ch, msg, n, 1, WAIT_MS);
    if (rc != SANSRTC_OK) {
      ok = fail("send", rc) == 0;
      break;
    }
    sent += n;
  }
  free(msg);
  if (!ok) atomic_store(&r.stop, 1);
  pthread_join(t, NULL);
  ok = ok && r.ok && r.got == total;
  if (ok) {
    double secs = (r.done_ms - start) / 1e3;
    printf("moved %zu bytes in %zu-byte messages in %.3f s: %.1f Mbit/s\n", total,
           size, secs, secs > 0 ? (double)total * 8 / secs / 1e6 : 0.0);
  }
  sansrtc_peer_close(a, 1000);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
  printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
