/*
 * bench - sansrtc's benchmarks, one measurement per run; tests/bench/run.sh
 * repeats them, takes medians and writes results.json.
 *
 * usage: bench setup [RUNS [shared]]
 *        bench throughput SIZE BYTES [unordered]
 *        bench udp SIZE BYTES
 *        bench small CHANNELS COUNT
 *        bench crypto BYTES
 *        bench scale PAIRS HOLD_SECONDS [shared]
 *        bench cycles N
 *        bench rtp COUNT
 *        bench rtcp COUNT
 *        bench srtp PROFILE BYTES
 *        bench packetize CODEC [BYTES]
 *
 * Each prints one JSON object on stdout with its figures. Peers use the
 * threaded API on loopback ("lo" only); sizes and counts are decimal.
 *   setup       two peers from creation to an open channel: peers
 *               created, offer/answer applied, ICE, DTLS, channel open
 *               (ms from creation); RUNS pairs in turn, the first cold
 *               and the rest warm; "shared": one certificate for all
 *               peers instead of one generated per peer
 *   throughput  BYTES in SIZE-byte messages on one channel (reliable
 *               ordered, or unordered with maxRetransmits 0), blocking
 *               send as backpressure: Mbit/s and CPU seconds per GiB
 *   udp         the baseline: BYTES in SIZE-byte datagrams (at most
 *               65507) between two threads over loopback UDP
 *   small       COUNT 100-byte messages spread over CHANNELS: messages/s
 *   crypto      BYTES through a DTLS 1.2 record layer pair in memory
 *               (1,200-byte datagrams), and OpenSSL's raw AES-128-GCM on
 *               the same sizes: MB/s each
 *   scale       PAIRS connected pairs in one process, held HOLD_SECONDS:
 *               setup time, RSS and threads per connection, CPU while
 *               idle, how many stayed connected, teardown time;
 *               "shared": one certificate for all peers
 *   cycles      N create/connect/destroy cycles (run under valgrind by
 *               run.sh for the leak totals): RSS growth
 *
 * The media benchmarks run the sans-I/O media code in one thread, no
 * sockets (tests/bench/media_work.c holds the work they time, which
 * tests/integration/alloc_count.c also counts heap calls of):
 *   rtp         COUNT times: parse a 1,200-byte RTP packet and look up
 *               and decode its TWCC sequence number and mid; then COUNT
 *               times write a header with those two extensions: ns per
 *               packet and Mpackets/s each; baseline: memcpy of the
 *               1,200-byte packet
 *   rtcp        COUNT times each: write and parse (every field) the
 *               compounds SR + SDES, RR + NACK + TWCC (40 packets), and
 *               one of every type: ns per compound
 *   srtp        BYTES in 1,200-byte RTP packets protected and unprotected
 *               through sansrtc_srtp with PROFILE (aes128cm80,
 *               aes128cm32, aes128gcm, aes256gcm), and OpenSSL's raw
 *               speed for the same packets (EVP, contexts made once):
 *               AES-GCM seal, or AES-128-CTR + HMAC-SHA1 for the CM
 *               profiles, and libsrtp2's srtp_protect called directly:
 *               MB/s each and the ratios
 *   packetize   the fixture of CODEC (opus, vp8, vp9, h264, h265, av1,
 *               in tests/fixtures/media; run from the repository root)
 *               packetized into 1,200-byte payloads and depacketized,
 *               over and over until BYTES of frames (default 64 MB):
 *               MB/s of frame bytes and packets/s each; baseline: memcpy
 *               of the same frames
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sansrtc/dtls.h>
#include <sansrtc/sansrtc.h>

#include "media_work.h"

#define WAIT_MS 20000
#define MSG_CAP 262144

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM) or a count (Threads). */
static long proc_status(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, field, n) == 0 && line[n] == ':') v = strtol(line + n + 1, NULL, 10);
  if (f != NULL) fclose(f);
  return v;
}

static void die(const char *what, int rc) {
  fprintf(stderr, "bench: %s: %s\n", what, rc < 0 ? sansrtc_strerror(rc) : "failed");
  exit(1);
}

/* ---- a connected pair ------------------------------------------------------------ */

typedef struct pair {
  sansrtc_peer *a, *b;
  uint32_t cha[16], chb[16];
  int channels;
  double created_ms, negotiated_ms; /* both peers created; offer/answer applied */
  double ice_ms, dtls_ms, open_ms;    /* from creation */
} pair;

/* NULL: every peer generates its own certificate (the default); set by
 * `setup RUNS shared` to one certificate for all, as a server would do. */
static const sansrtc_dtls_cert *shared_cert;

static sansrtc_peer *new_peer(void) {
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.interfaces = "lo"; /* default worker stack: 256 KiB */
  cfg.cert = shared_cert;
  sansrtc_peer *p = NULL;
  int rc = sansrtc_peer_create(&p, &cfg);
  if (rc != SANSRTC_OK) die("create", rc);
  return p;
}

/* Offers from a with `channels` channels made from `init`, answers from
 * b, and waits until a's channels are open and b has them all. */
static void pair_connect(pair *pr, int channels, const sansrtc_dc_init *init) {
  double t0 = now_ms();
  memset(pr, 0, sizeof *pr);
  pr->ice_ms = pr->dtls_ms = pr->open_ms = -1;
  pr->channels = channels;
  pr->a = new_peer();
  pr->b = new_peer();
  pr->created_ms = now_ms() - t0;
  char *offer = NULL, *answer = NULL;
  int rc = SANSRTC_OK;
  for (int i = 0; i < channels && rc == SANSRTC_OK; i++)
    rc = sansrtc_peer_create_channel(pr->a, "bench", init, &pr->cha[i]);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_offer(pr->a, &offer);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_set_remote_description(pr->b, SANSRTC_SDP_OFFER, offer);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_answer(pr->b, &answer);
  if (rc == SANSRTC_OK)
    rc = sansrtc_peer_set_remote_description(pr->a, SANSRTC_SDP_ANSWER, answer);
  free(offer);
  free(answer);
  if (rc != SANSRTC_OK) die("negotiation", rc);
  pr->negotiated_ms = now_ms() - t0;
  sansrtc_pc_event ev;
  uint8_t buf[512];
  int open = 0, got = 0;
  while (open < channels || got < channels) {
    sansrtc_peer *p = open < channels ? pr->a : pr->b;
    rc = sansrtc_peer_wait_event(p, &ev, buf, sizeof buf, WAIT_MS);
    if (rc <= 0) die("waiting for the channels to open", rc);
    double t = now_ms() - t0;
    if (p == pr->a && ev.type == SANSRTC_PC_EVENT_ICE_STATE && pr->ice_ms < 0 &&
        ev.state == SANSRTC_ICE_STATE_CONNECTED)
      pr->ice_ms = t;
    if (p == pr->a && ev.type == SANSRTC_PC_EVENT_DTLS_STATE &&
        ev.state == SANSRTC_DTLS_STATE_CONNECTED)
      pr->dtls_ms = t;
    if (p == pr->a && ev.type == SANSRTC_PC_EVENT_CHANNEL_OPEN && ++open == channels)
      pr->open_ms = t;
    if (p == pr->b && ev.type == SANSRTC_PC_EVENT_DATA_CHANNEL) pr->chb[got++] = ev.channel;
    if (ev.type == SANSRTC_PC_EVENT_CONNECTION_STATE && ev.state == SANSRTC_PC_STATE_FAILED)
      die("connection failed", 0);
  }
}

static void pair_destroy(pair *pr) {
  sansrtc_peer_destroy(pr->a);
  sansrtc_peer_destroy(pr->b);
}

/* `runs` pairs one after another in one process: the first pays the
 * process's one-time costs (OpenSSL's algorithm tables, usrsctp start-up,
 * first thread stacks) and is printed with "warm":0, the rest with 1. */
/* Makes every later peer use one certificate. */
static sansrtc_dtls_cert *share_one_cert(void) {
  sansrtc_dtls_cert *cert = NULL;
  int rc = sansrtc_dtls_cert_generate(&cert, (int64_t)time(NULL));
  if (rc != SANSRTC_OK) die("certificate", rc);
  shared_cert = cert;
  return cert;
}

static void stop_sharing(sansrtc_dtls_cert *cert) {
  shared_cert = NULL;
  sansrtc_dtls_cert_free(cert);
}

static int bench_setup(int runs, int shared) {
  sansrtc_dtls_cert *cert = shared ? share_one_cert() : NULL;
  for (int i = 0; i < runs; i++) {
    pair pr;
    pair_connect(&pr, 1, NULL);
    printf("{\"bench\":\"setup\",\"shared_cert\":%d,\"warm\":%d,\"created_ms\":%.2f,\"negotiated_ms\":%.2f,"
           "\"ice_ms\":%.2f,\"dtls_ms\":%.2f,\"open_ms\":%.2f}\n",
           shared, i > 0, pr.created_ms, pr.negotiated_ms, pr.ice_ms, pr.dtls_ms, pr.open_ms);
    pair_destroy(&pr);
  }
  stop_sharing(cert);
  return 0;
}

/* ---- moving data -------------------------------------------------------------------- */

typedef struct counter {
  sansrtc_peer *peer;
  uint64_t want, messages, bytes;
  double quiet_ms, last_ms;
} counter;

/* Takes b's messages until `want` are in, or none comes for quiet_ms. */
static void *count_messages(void *arg) {
  counter *c = arg;
  uint8_t *buf = malloc(MSG_CAP);
  sansrtc_pc_event ev;
  c->last_ms = now_ms();
  while (buf != NULL && c->messages < c->want) {
    int rc = sansrtc_peer_wait_event(c->peer, &ev, buf, MSG_CAP, 50);
    if (rc == 1 && ev.type == SANSRTC_PC_EVENT_MESSAGE) {
      c->bytes += ev.len;
      c->messages++;
      c->last_ms = now_ms();
    } else if (now_ms() - c->last_ms > c->quiet_ms) {
      break;
    }
  }
  free(buf);
  return NULL;
}

/* Sends `count` messages of `size` bytes round-robin over the pair's
 * channels while b counts them. Returns the seconds from the first send
 * to the last arrival, with *delivered set. */
static double pump(pair *pr, size_t size, uint64_t count, int reliable, uint64_t *delivered) {
  counter c = {pr->b, count, 0, 0, reliable ? WAIT_MS : 500, 0};
  pthread_t t;
  if (pthread_create(&t, NULL, count_messages, &c) != 0) die("thread", 0);
  uint8_t *msg = calloc(1, size > 0 ? size : 1);
  double start = now_ms();
  for (uint64_t i = 0; msg != NULL && i < count; i++) {
    int rc = sansrtc_peer_send(pr->a, pr->cha[i % (uint64_t)pr->channels], msg, size, 1, WAIT_MS);
    if (rc != SANSRTC_OK) die("send", rc);
  }
  pthread_join(t, NULL);
  free(msg);
  *delivered = c.messages;
  if (reliable && c.messages < count) die("messages missing", 0);
  return (c.last_ms - start) / 1e3;
}

static int bench_throughput(size_t size, uint64_t bytes, int unordered) {
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  if (unordered) {
    init.ordered = 0;
    init.max_retransmits = 0;
  }
  pair pr;
  pair_connect(&pr, 1, &init);
  uint64_t count = (bytes + size - 1) / size, delivered;
  double cpu0 = cpu_seconds();
  double secs = pump(&pr, size, count, !unordered, &delivered);
  double cpu = cpu_seconds() - cpu0;
  if (secs <= 0 || delivered == 0) die("transfer", 0);
  double moved = (double)delivered * (double)size;
  printf("{\"bench\":\"throughput\",\"size\":%zu,\"bytes\":%llu,\"mode\":\"%s\","
         "\"delivered_fraction\":%.4f,\"seconds\":%.3f,\"mbit_s\":%.1f,"
         "\"cpu_s_per_gib\":%.2f}\n",
         size, (unsigned long long)(count * size), unordered ? "unordered-unreliable" : "reliable",
         (double)delivered / (double)count, secs, moved * 8 / secs / 1e6,
         cpu / (moved / (1024.0 * 1024 * 1024)));
  pair_destroy(&pr);
  return 0;
}

static int bench_small(int channels, uint64_t count) {
  if (channels < 1 || channels > 16) die("channels must be 1..16", 0);
  pair pr;
  pair_connect(&pr, channels, NULL);
  uint64_t delivered;
  double secs = pump(&pr, 100, count, 1, &delivered);
  if (secs <= 0) die("transfer", 0);
  printf("{\"bench\":\"small\",\"channels\":%d,\"messages\":%llu,\"seconds\":%.3f,"
         "\"messages_per_s\":%.0f}\n",
         channels, (unsigned long long)count, secs, (double)count / secs);
  pair_destroy(&pr);
  return 0;
}

/* ---- raw UDP baseline ------------------------------------------------------------- */

typedef struct udp_rx {
  int fd;
  uint64_t want, got;
  double first_ms, last_ms;
} udp_rx;

static void *udp_receive(void *arg) {
  udp_rx *r = arg;
  static uint8_t buf[65536];
  while (r->got < r->want) {
    ssize_t n = recv(r->fd, buf, sizeof buf, 0);
    if (n < 0) break; /* SO_RCVTIMEO: the sender is done */
    if (r->got == 0) r->first_ms = now_ms();
    r->got += (uint64_t)n;
    r->last_ms = now_ms();
  }
  return NULL;
}

static int bench_udp(size_t size, uint64_t bytes) {
  if (size > 65507) size = 65507;
  int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 4 << 20;
  struct timeval tv = {0, 300000};
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (rx < 0 || tx < 0 || setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf) != 0 ||
      setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf) != 0 ||
      setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      bind(rx, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(rx, (struct sockaddr *)&a, &len) != 0 ||
      connect(tx, (struct sockaddr *)&a, sizeof a) != 0)
    die("udp sockets", 0);
  uint64_t count = (bytes + size - 1) / size;
  udp_rx r = {rx, count * size, 0, 0, 0};
  pthread_t t;
  if (pthread_create(&t, NULL, udp_receive, &r) != 0) die("thread", 0);
  uint8_t *msg = calloc(1, size);
  double start = now_ms();
  for (uint64_t i = 0; msg != NULL && i < count; i++)
    if (send(tx, msg, size, 0) < 0) i--; /* ENOBUFS: try again */
  pthread_join(t, NULL);
  free(msg);
  close(rx);
  close(tx);
  double secs = (r.last_ms - start) / 1e3;
  printf("{\"bench\":\"udp\",\"size\":%zu,\"bytes\":%llu,\"received\":%llu,\"seconds\":%.3f,"
         "\"mbit_s\":%.1f}\n",
         size, (unsigned long long)(count * size), (unsigned long long)r.got, secs,
         secs > 0 ? (double)r.got * 8 / secs / 1e6 : 0.0);
  return 0;
}

/* ---- DTLS records against raw AES-GCM -------------------------------------------- */

static void dtls_shuttle(sansrtc_dtls *from, sansrtc_dtls *to, uint8_t *buf) {
  size_t n;
  while (sansrtc_dtls_poll_transmit(from, buf, 2048, &n) == 1)
    (void)sansrtc_dtls_handle_datagram(to, buf, n, 0);
}

static double aes_gcm_mb_s(size_t size, uint64_t bytes) {
  unsigned char key[16] = {1}, iv[12] = {2}, tag[16];
  uint8_t *in = calloc(1, size), *out = malloc(size + 16);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int outl;
  double start = now_ms();
  uint64_t done = 0;
  for (; ctx != NULL && in != NULL && out != NULL && done < bytes; done += size) {
    iv[0]++;
    EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv);
    EVP_EncryptUpdate(ctx, NULL, &outl, in, 13); /* the record header as AAD */
    EVP_EncryptUpdate(ctx, out, &outl, in, (int)size);
    EVP_EncryptFinal_ex(ctx, out + outl, &outl);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
  }
  double secs = (now_ms() - start) / 1e3;
  EVP_CIPHER_CTX_free(ctx);
  free(in);
  free(out);
  return (double)done / 1e6 / secs;
}

static int bench_crypto(uint64_t bytes) {
  sansrtc_dtls_cert *cert[2];
  sansrtc_dtls *d[2];
  for (int i = 0; i < 2; i++) {
    if (sansrtc_dtls_cert_generate(&cert[i], (int64_t)time(NULL)) != SANSRTC_OK) die("certificate", 0);
    sansrtc_dtls_config cfg;
    sansrtc_dtls_config_default(&cfg);
    cfg.role = i == 0 ? SANSRTC_DTLS_CLIENT : SANSRTC_DTLS_SERVER;
    cfg.cert = cert[i];
    cfg.max_queued_bytes = 1 << 20;
    if (sansrtc_dtls_new(&d[i], &cfg) != SANSRTC_OK) die("dtls", 0);
  }
  for (int i = 0; i < 2; i++)
    (void)sansrtc_dtls_set_remote_fingerprint(d[i], "sha-256",
                                              sansrtc_dtls_cert_fingerprint(cert[1 - i]), 0);
  uint8_t buf[2048], payload[1200];
  memset(payload, 7, sizeof payload);
  (void)sansrtc_dtls_start(d[0], 0);
  for (int round = 0; round < 10; round++) {
    dtls_shuttle(d[0], d[1], buf);
    dtls_shuttle(d[1], d[0], buf);
  }
  if (sansrtc_dtls_get_state(d[0]) != SANSRTC_DTLS_STATE_CONNECTED) die("dtls handshake", 0);
  size_t size = sansrtc_dtls_max_payload(d[0]);
  if (size > sizeof payload) size = sizeof payload;
  uint64_t done = 0;
  size_t n;
  double start = now_ms();
  while (done < bytes) {
    for (int k = 0; k < 64; k++, done += size)
      if (sansrtc_dtls_send(d[0], payload, size) != SANSRTC_OK) die("dtls send", 0);
    dtls_shuttle(d[0], d[1], buf);
    while (sansrtc_dtls_poll_data(d[1], buf, sizeof buf, &n) == 1) {
    }
  }
  double secs = (now_ms() - start) / 1e3;
  printf("{\"bench\":\"crypto\",\"record_payload\":%zu,\"dtls_mb_s\":%.1f,"
         "\"aes128gcm_mb_s\":%.1f}\n",
         size, (double)done / 1e6 / secs, aes_gcm_mb_s(size, bytes));
  for (int i = 0; i < 2; i++) {
    sansrtc_dtls_del(d[i]);
    sansrtc_dtls_cert_free(cert[i]);
  }
  return 0;
}

/* ---- scale and cycles ---------------------------------------------------------------- */

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int bench_scale(int pairs, int hold_s, int shared) {
  raise_fd_limit();
  sansrtc_dtls_cert *cert = shared ? share_one_cert() : NULL;
  pair *prs = calloc((size_t)pairs, sizeof *prs);
  if (prs == NULL) die("memory", 0);
  long rss0 = proc_status("VmRSS"), threads0 = proc_status("Threads");
  double t0 = now_ms();
  for (int i = 0; i < pairs; i++) pair_connect(&prs[i], 1, NULL);
  double up_ms = now_ms() - t0;
  long rss_up = proc_status("VmRSS");
  double cpu0 = cpu_seconds(), h0 = now_ms();
  sleep((unsigned)hold_s);
  double cpu_pct = (cpu_seconds() - cpu0) / ((now_ms() - h0) / 1e3) * 100;
  int connected = 0;
  for (int i = 0; i < pairs; i++)
    connected += sansrtc_peer_connection_state(prs[i].a) == SANSRTC_PC_STATE_CONNECTED &&
                 sansrtc_peer_connection_state(prs[i].b) == SANSRTC_PC_STATE_CONNECTED;
  long rss_held = proc_status("VmRSS"), threads = proc_status("Threads");
  t0 = now_ms();
  for (int i = 0; i < pairs; i++) pair_destroy(&prs[i]);
  double down_ms = now_ms() - t0;
  free(prs);
  stop_sharing(cert);
  printf("{\"bench\":\"scale\",\"shared_cert\":%d,\"pairs\":%d,\"connections\":%d,\"up_ms\":%.0f,"
         "\"rss_kib_per_connection\":%.1f,\"threads\":%ld,\"hold_s\":%d,"
         "\"cpu_percent_holding\":%.1f,\"still_connected\":%d,\"teardown_ms\":%.0f,"
         "\"peak_rss_kib\":%ld}\n",
         shared, pairs, 2 * pairs, up_ms,
         (double)((rss_held > rss_up ? rss_held : rss_up) - rss0) / (2.0 * pairs),
         threads - threads0, hold_s, cpu_pct, connected, down_ms, proc_status("VmHWM"));
  return connected == pairs ? 0 : 1;
}

static int bench_cycles(int n) {
  long rss_first = 0;
  for (int i = 0; i < n; i++) {
    pair pr;
    pair_connect(&pr, 1, NULL);
    if (sansrtc_peer_send(pr.a, pr.cha[0], "x", 1, 0, WAIT_MS) != SANSRTC_OK) die("send", 0);
    pair_destroy(&pr);
    if (i == 0) rss_first = proc_status("VmRSS");
  }
  long rss = proc_status("VmRSS");
  printf("{\"bench\":\"cycles\",\"cycles\":%d,\"rss_kib_after_first\":%ld,"
         "\"rss_kib_after_all\":%ld,\"rss_growth_kib_per_cycle\":%.2f}\n",
         n, rss_first, rss, n > 1 ? (double)(rss - rss_first) / (n - 1) : 0.0);
  return 0;
}

/* ---- media: RTP, RTCP, SRTP, packetizers ---------------------------------------------- */

/* ns per call of a memcpy of `size` bytes, `count` times: the baseline. */
static double memcpy_ns(size_t size, uint64_t count, long *sink) {
  static uint8_t src[MW_PACKET], dst[MW_PACKET];
  memset(src, 3, sizeof src);
  double t0 = now_ms();
  for (uint64_t i = 0; i < count; i++) {
    src[i % size] = (uint8_t)i;
    memcpy(dst, src, size);
    *sink += dst[(i * 7) % size];
  }
  return (now_ms() - t0) * 1e6 / (double)count;
}

static int bench_rtp(uint64_t count) {
  mw_rtp w;
  long sink = 0;
  if (mw_rtp_init(&w) != 0) die("rtp packet", 0);
  for (uint64_t i = 0; i < count / 10; i++) sink += mw_rtp_parse(&w); /* warm-up */
  double t0 = now_ms();
  for (uint64_t i = 0; i < count; i++) {
    long v = mw_rtp_parse(&w);
    if (v < 0) die("rtp parse", 0);
    sink += v;
  }
  double parse_ns = (now_ms() - t0) * 1e6 / (double)count;
  t0 = now_ms();
  for (uint64_t i = 0; i < count; i++) {
    long v = mw_rtp_write(&w, (uint16_t)i);
    if (v < 0) die("rtp write", 0);
    sink += v + w.out[3];
  }
  double write_ns = (now_ms() - t0) * 1e6 / (double)count;
  double copy_ns = memcpy_ns(MW_PACKET, count, &sink);
  printf("{\"bench\":\"rtp\",\"packets\":%llu,\"packet_bytes\":%d,\"parse_ns\":%.1f,"
         "\"parse_mpps\":%.2f,\"write_ns\":%.1f,\"write_mpps\":%.2f,"
         "\"memcpy_1200_ns\":%.1f,\"check\":%ld}\n",
         (unsigned long long)count, MW_PACKET, parse_ns, 1e3 / parse_ns, write_ns,
         1e3 / write_ns, copy_ns, sink);
  return 0;
}

static int bench_rtcp(uint64_t count) {
  static const char *const names[MW_COMPOUNDS] = {"sr_sdes", "rr_nack_twcc", "all_types"};
  static mw_rtcp w;
  long sink = 0;
  if (mw_rtcp_init(&w) != 0) die("rtcp compounds", 0);
  printf("{\"bench\":\"rtcp\",\"compounds\":%llu", (unsigned long long)count);
  for (int c = 0; c < MW_COMPOUNDS; c++) {
    double t0 = now_ms();
    for (uint64_t i = 0; i < count; i++) {
      long v = mw_rtcp_write(&w, (mw_compound)c, (uint32_t)i);
      if (v < 0) die("rtcp write", 0);
      sink += v;
    }
    double write_ns = (now_ms() - t0) * 1e6 / (double)count;
    t0 = now_ms();
    for (uint64_t i = 0; i < count; i++) {
      long v = mw_rtcp_parse(&w, (mw_compound)c);
      if (v < 0) die("rtcp parse", 0);
      sink += v;
    }
    double parse_ns = (now_ms() - t0) * 1e6 / (double)count;
    printf(",\"%s_bytes\":%zu,\"%s_write_ns\":%.1f,\"%s_parse_ns\":%.1f", names[c], w.len[c],
           names[c], write_ns, names[c], parse_ns);
  }
  printf(",\"memcpy_1200_ns\":%.1f,\"check\":%ld}\n", memcpy_ns(MW_PACKET, count, &sink), sink);
  return 0;
}

/* OpenSSL doing what one SRTP packet needs, with contexts made once. */
typedef struct raw_srtp {
  EVP_CIPHER_CTX *cipher;
  EVP_MAC_CTX *mac; /* HMAC-SHA1, CM profiles only */
  EVP_MAC *mac_alg;
  int gcm;
} raw_srtp;

static void raw_srtp_init(raw_srtp *r, unsigned profile) {
  static const uint8_t key[32] = {9, 8, 7}, auth_key[20] = {6, 5, 4};
  memset(r, 0, sizeof *r);
  r->gcm = profile == SANSRTC_SRTP_AEAD_AES_128_GCM || profile == SANSRTC_SRTP_AEAD_AES_256_GCM;
  const EVP_CIPHER *c = profile == SANSRTC_SRTP_AEAD_AES_256_GCM ? EVP_aes_256_gcm()
                        : r->gcm                                 ? EVP_aes_128_gcm()
                                                                 : EVP_aes_128_ctr();
  r->cipher = EVP_CIPHER_CTX_new();
  if (r->cipher == NULL || EVP_EncryptInit_ex(r->cipher, c, NULL, key, NULL) != 1)
    die("openssl cipher", 0);
  if (r->gcm) return;
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
                          OSSL_PARAM_construct_end()};
  r->mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
  r->mac = r->mac_alg != NULL ? EVP_MAC_CTX_new(r->mac_alg) : NULL;
  if (r->mac == NULL || EVP_MAC_init(r->mac, auth_key, sizeof auth_key, params) != 1)
    die("openssl hmac", 0);
}

static void raw_srtp_free(raw_srtp *r) {
  EVP_CIPHER_CTX_free(r->cipher);
  EVP_MAC_CTX_free(r->mac);
  EVP_MAC_free(r->mac_alg);
}

/* Seals the RTP packet of `len` bytes in `pkt` (12-byte header) in place
 * and appends the tag: AES-GCM with the header as AAD, or AES-CTR over the
 * payload then HMAC-SHA1 over header, payload and a 4-byte rollover
 * counter, cut to 80 bits (RFC 3711 4.2). Returns the new length. */
static size_t raw_srtp_seal(raw_srtp *r, uint8_t *pkt, size_t len, uint32_t index) {
  uint8_t iv[16] = {0}, tag[EVP_MAX_MD_SIZE];
  int outl;
  size_t tag_len;
  memcpy(iv + 4, &index, 4);
  if (EVP_EncryptInit_ex(r->cipher, NULL, NULL, NULL, iv) != 1) die("openssl", 0);
  if (r->gcm) {
    if (EVP_EncryptUpdate(r->cipher, NULL, &outl, pkt, 12) != 1 ||
        EVP_EncryptUpdate(r->cipher, pkt + 12, &outl, pkt + 12, (int)len - 12) != 1 ||
        EVP_EncryptFinal_ex(r->cipher, tag, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(r->cipher, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
      die("openssl gcm", 0);
    tag_len = 16;
  } else {
    static const uint8_t roc[4] = {0};
    size_t mac_len;
    if (EVP_EncryptUpdate(r->cipher, pkt + 12, &outl, pkt + 12, (int)len - 12) != 1 ||
        EVP_MAC_init(r->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(r->mac, pkt, len) != 1 ||
        EVP_MAC_update(r->mac, roc, 4) != 1 || EVP_MAC_final(r->mac, tag, &mac_len, sizeof tag) != 1)
      die("openssl ctr/hmac", 0);
    tag_len = 10;
  }
  memcpy(pkt + len, tag, tag_len);
  return len + tag_len;
}

#define SRTP_BATCH 64
#define SRTP_SLOT (MW_PACKET + SANSRTC_SRTP_MAX_TRAILER)

static int bench_srtp(const char *name, uint64_t bytes) {
  unsigned profile = mw_profile_by_name(name);
  if (profile == 0) die("profile must be aes128cm80, aes128cm32, aes128gcm or aes256gcm", 0);
  static uint8_t slot[SRTP_BATCH][SRTP_SLOT];
  size_t len[SRTP_BATCH];
  sansrtc_srtp *s;
  if (mw_srtp_loopback(&s, profile) != 0) die("srtp session", 0);
  for (int k = 0; k < SRTP_BATCH; k++) mw_srtp_packet(slot[k], 0);
  uint64_t packets = 0, target = (bytes + MW_PACKET - 1) / MW_PACKET;
  uint16_t seq = 0;
  double protect_ms = 0, unprotect_ms = 0;
  while (packets < target) {
    double t0 = now_ms();
    for (int k = 0; k < SRTP_BATCH; k++, seq++) {
      slot[k][2] = (uint8_t)(seq >> 8);
      slot[k][3] = (uint8_t)seq;
      len[k] = MW_PACKET;
      int rc = sansrtc_srtp_protect_rtp(s, slot[k], &len[k], SRTP_SLOT);
      if (rc != SANSRTC_OK) die("srtp protect", rc);
    }
    double t1 = now_ms();
    for (int k = 0; k < SRTP_BATCH; k++) {
      int rc = sansrtc_srtp_unprotect_rtp(s, slot[k], &len[k]);
      if (rc != SANSRTC_OK || len[k] != MW_PACKET) die("srtp unprotect", rc);
    }
    protect_ms += t1 - t0;
    unprotect_ms += now_ms() - t1;
    packets += SRTP_BATCH;
  }
  /* The same packets through libsrtp2 alone (while s keeps it initialised):
   * what the library under the wrapper costs. */
  srtp_t tx, rx;
  if (mw_srtp_direct(&tx, &rx, profile) != 0) die("libsrtp2 session", 0);
  double direct_ms = 0;
  seq = 0;
  for (uint64_t done = 0; done < packets; done += SRTP_BATCH) {
    double t0 = now_ms();
    for (int k = 0; k < SRTP_BATCH; k++, seq++) {
      slot[k][2] = (uint8_t)(seq >> 8);
      slot[k][3] = (uint8_t)seq;
      int n = MW_PACKET;
      if (srtp_protect(tx, slot[k], &n) != srtp_err_status_ok) die("srtp_protect", 0);
    }
    direct_ms += now_ms() - t0;
  }
  mw_srtp_direct_free(tx, rx);
  sansrtc_srtp_del(s);
  raw_srtp r;
  raw_srtp_init(&r, profile);
  double t0 = now_ms();
  for (uint64_t i = 0; i < packets; i++) {
    uint8_t *p = slot[i % SRTP_BATCH];
    if (raw_srtp_seal(&r, p, MW_PACKET, (uint32_t)i) <= MW_PACKET) die("raw seal", 0);
  }
  double raw_ms = now_ms() - t0;
  raw_srtp_free(&r);
  double mb = (double)packets * MW_PACKET / 1e6;
  double prot = mb / (protect_ms / 1e3), unprot = mb / (unprotect_ms / 1e3),
         raw = mb / (raw_ms / 1e3), direct = mb / (direct_ms / 1e3);
  printf("{\"bench\":\"srtp\",\"profile\":\"%s\",\"packet_bytes\":%d,\"packets\":%llu,"
         "\"protect_mb_s\":%.1f,\"unprotect_mb_s\":%.1f,\"raw_openssl_mb_s\":%.1f,"
         "\"libsrtp2_protect_mb_s\":%.1f,\"protect_ratio\":%.3f,\"unprotect_ratio\":%.3f,"
         "\"wrapper_ratio\":%.3f,\"protect_ns\":%.0f,\"unprotect_ns\":%.0f,\"raw_ns\":%.0f}\n",
         name, MW_PACKET, (unsigned long long)packets, prot, unprot, raw, direct, prot / raw,
         unprot / raw, prot / direct, protect_ms * 1e6 / (double)packets,
         unprotect_ms * 1e6 / (double)packets, raw_ms * 1e6 / (double)packets);
  return 0;
}

static int bench_packetize(const char *name, uint64_t bytes) {
  sansrtc_codec codec = mw_codec_by_name(name);
  if (codec == 0) die("codec must be opus, vp8, vp9, h264, h265 or av1", 0);
  static mw_media w;
  if (mw_media_init(&w, codec) != 0) die("fixture (run from the repository root)", 0);
  uint64_t frame_bytes = 0, packets = 0, frames = 0, out_bytes = 0;
  double pk_ms = 0, dp_ms = 0;
  while (frame_bytes < bytes) { /* one pass over the fixture per round */
    double t0 = now_ms();
    for (size_t i = 0; i < w.m->n; i++) {
      long n = mw_packetize(&w, i);
      if (n < 0) die("packetize", 0);
      frame_bytes += w.m->frames[i].len;
    }
    packets += w.n;
    frames += w.m->n;
    double t1 = now_ms();
    long got = mw_depacketize(&w);
    if (got < 0) die("depacketize", 0);
    dp_ms += now_ms() - t1;
    pk_ms += t1 - t0;
    out_bytes += (uint64_t)got;
  }
  /* Every frame but the last one or two (held until the next timestamp)
   * came back whole. */
  if (w.frames_incomplete != 0 || w.frames_out + 2 < frames) die("frames lost", 0);
  long sink = 0;
  size_t avg = (size_t)(frame_bytes / frames);
  if (avg > MW_PACKET) avg = MW_PACKET;
  if (avg == 0) avg = 1;
  double copy_ns = memcpy_ns(avg, 1000000, &sink);
  double mb = (double)frame_bytes / 1e6;
  printf("{\"bench\":\"packetize\",\"codec\":\"%s\",\"payload\":%d,\"frames\":%llu,"
         "\"packets\":%llu,\"frame_bytes\":%llu,\"packetize_mb_s\":%.1f,"
         "\"packetize_pps\":%.0f,\"depacketize_mb_s\":%.1f,\"depacketize_pps\":%.0f,"
         "\"memcpy_mb_s\":%.1f,\"check\":%ld}\n",
         name, MW_PACKET, (unsigned long long)frames, (unsigned long long)packets,
         (unsigned long long)frame_bytes, mb / (pk_ms / 1e3), (double)packets / (pk_ms / 1e3),
         (double)out_bytes / 1e6 / (dp_ms / 1e3), (double)packets / (dp_ms / 1e3),
         (double)avg / copy_ns * 1e3, sink);
  mw_media_free(&w);
  return 0;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  unsigned long long x = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
  unsigned long long y = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  if (strcmp(what, "setup") == 0) return bench_setup(argc > 2 ? (int)x : 1, argc > 3 && strcmp(argv[3], "shared") == 0);
  if (strcmp(what, "throughput") == 0 && argc >= 4 && x > 0 && x <= MSG_CAP)
    return bench_throughput((size_t)x, y, argc > 4 && strcmp(argv[4], "unordered") == 0);
  if (strcmp(what, "udp") == 0 && argc == 4 && x > 0) return bench_udp((size_t)x, y);
  if (strcmp(what, "small") == 0 && argc == 4) return bench_small((int)x, y);
  if (strcmp(what, "crypto") == 0 && argc == 3) return bench_crypto(x);
  if (strcmp(what, "scale") == 0 && argc >= 4 && x > 0) return bench_scale((int)x, (int)y, argc > 4 && strcmp(argv[4], "shared") == 0);
  if (strcmp(what, "cycles") == 0 && argc == 3 && x > 0) return bench_cycles((int)x);
  if (strcmp(what, "rtp") == 0 && argc == 3 && x > 0) return bench_rtp(x);
  if (strcmp(what, "rtcp") == 0 && argc == 3 && x > 0) return bench_rtcp(x);
  if (strcmp(what, "srtp") == 0 && argc == 4 && y > 0) return bench_srtp(argv[2], y);
  if (strcmp(what, "packetize") == 0 && (argc == 3 || (argc == 4 && y > 0)))
    return bench_packetize(argv[2], argc == 4 ? y : 64000000);
  fprintf(stderr, "usage: bench setup [RUNS [shared]] | throughput SIZE BYTES [unordered] | udp SIZE BYTES |\n"
                  "       small CHANNELS COUNT | crypto BYTES | scale PAIRS HOLD_S [shared] |\n"
                  "       cycles N | rtp COUNT | rtcp COUNT | srtp PROFILE BYTES |\n"
                  "       packetize CODEC [BYTES]\n");
  return 2;
}
