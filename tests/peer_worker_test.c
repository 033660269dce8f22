/*
 * Tests of the threaded API (sansrtc/sansrtc.h): real worker threads,
 * real UDP sockets on loopback, real OpenSSL and usrsctp, real time.
 * Every wait has a generous timeout so a broken build fails instead of
 * hanging; nothing asserts on how fast anything is.
 */
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sansrtc/sansrtc.h>
#include <sansrtc/stun.h>

#include "suites.h"
#include "test_clock.h"

#define BUF_CAP 262144

static int slow_tests(void) {
  const char *v = getenv("SANSRTC_TEST_SLOW");
  return v == NULL || strcmp(v, "0") != 0;
}

/* SANSRTC_TEST_DILATION=N (make helgrind) runs the peers' protocol time N
 * times slower, and every wait here N times longer. */
static unsigned dilation(void) {
  const char *v = getenv("SANSRTC_TEST_DILATION");
  unsigned long n = v != NULL ? strtoul(v, NULL, 10) : 1;
  return n >= 1 && n <= 1000 ? (unsigned)n : 1;
}

/* Any single step; valgrind is slow. */
#define WAIT_MS (20000 * (int)dilation())

/* Under helgrind (dilated time) the transfer tests move less data. */
static size_t volume(size_t n) {
  return dilation() > 1 ? n / 8 : n;
}

static sansrtc_peer *make_peer_with(sansrtc_peer_config *cfg) {
  cfg->interfaces = "lo";
  cfg->time_dilation = dilation();
  sansrtc_peer *p = NULL;
  ck_assert_int_eq(sansrtc_peer_create(&p, cfg), SANSRTC_OK);
  return p;
}

static sansrtc_peer *make_peer(void) {
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  return make_peer_with(&cfg);
}

/* Waits for an event of `type` (for `channel` when non-zero), dropping
 * others; returns 1 with *ev filled, or 0 when none came in time. */
static int wait_for(sansrtc_peer *p, sansrtc_pc_event_type type, uint32_t channel,
                    sansrtc_pc_event *ev, uint8_t *buf, size_t cap) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int rc = sansrtc_peer_wait_event(p, ev, buf, cap, 200);
    ck_assert_int_ge(rc, 0);
    if (rc == 1 && ev->type == type && (channel == 0 || ev->channel == channel))
      return 1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
        WAIT_MS)
      return 0;
  }
}

static int wait_state(sansrtc_peer *p, sansrtc_pc_state state) {
  sansrtc_pc_event ev;
  uint8_t buf[512];
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (sansrtc_peer_connection_state(p) != state) {
    (void)sansrtc_peer_wait_event(p, &ev, buf, sizeof buf, 100);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > WAIT_MS / 1000) return 0;
  }
  return 1;
}

/* Offer from a, answer from b; `edit_offer` / `edit_answer` (may be NULL)
 * change the text on the way, as a signaling channel could. */
static void negotiate(sansrtc_peer *a, sansrtc_peer *b, void (*edit_offer)(char *),
                      void (*edit_answer)(char *)) {
  char *offer, *answer;
  ck_assert_int_eq(sansrtc_peer_create_offer(a, &offer), SANSRTC_OK);
  ck_assert_ptr_nonnull(strstr(offer, "a=candidate:"));
  if (edit_offer != NULL) edit_offer(offer);
  ck_assert_int_eq(sansrtc_peer_set_remote_description(b, SANSRTC_SDP_OFFER, offer),
                   SANSRTC_OK);
  ck_assert_int_eq(sansrtc_peer_create_answer(b, &answer), SANSRTC_OK);
  if (edit_answer != NULL) edit_answer(answer);
  ck_assert_int_eq(sansrtc_peer_set_remote_description(a, SANSRTC_SDP_ANSWER, answer),
                   SANSRTC_OK);
  free(offer);
  free(answer);
}

/* Offer from a (with a channel made from `init`), answer from b; returns
 * once both ends of the channel can be used. */
static void connect_pair(sansrtc_peer *a, sansrtc_peer *b, const sansrtc_dc_init *init,
                         uint32_t *cha, uint32_t *chb) {
  ck_assert_int_eq(sansrtc_peer_create_channel(a, "test", init, cha), SANSRTC_OK);
  negotiate(a, b, NULL, NULL);
  sansrtc_pc_event ev;
  uint8_t buf[512];
  int negotiated = init != NULL && init->negotiated;
  if (negotiated) {
    *chb = 0;
    sansrtc_dc_init same = *init;
    ck_assert_int_eq(sansrtc_peer_create_channel(b, "test", &same, chb), SANSRTC_OK);
    ck_assert(wait_for(b, SANSRTC_PC_EVENT_CHANNEL_OPEN, *chb, &ev, buf, sizeof buf));
  } else {
    ck_assert(wait_for(b, SANSRTC_PC_EVENT_DATA_CHANNEL, 0, &ev, buf, sizeof buf));
    *chb = ev.channel;
  }
  ck_assert(wait_for(a, SANSRTC_PC_EVENT_CHANNEL_OPEN, *cha, &ev, buf, sizeof buf));
}

/* ---- an echo thread for the far side ------------------------------------------- */

typedef struct echo_args {
  sansrtc_peer *peer;
  int stop;
  pthread_mutex_t lock;
  uint64_t messages;
} echo_args;

static int echo_stopped(echo_args *e) {
  pthread_mutex_lock(&e->lock);
  int s = e->stop;
  pthread_mutex_unlock(&e->lock);
  return s;
}

static void *echo_main(void *arg) {
  echo_args *e = arg;
  uint8_t *buf = malloc(BUF_CAP);
  sansrtc_pc_event ev;
  while (!echo_stopped(e)) {
    int rc = sansrtc_peer_wait_event(e->peer, &ev, buf, BUF_CAP, 50);
    if (rc != 1 || ev.type != SANSRTC_PC_EVENT_MESSAGE) continue;
    rc = sansrtc_peer_send(e->peer, ev.channel, buf, ev.len, ev.binary, WAIT_MS);
    if (rc != SANSRTC_OK) break;
    pthread_mutex_lock(&e->lock);
    e->messages++;
    pthread_mutex_unlock(&e->lock);
  }
  free(buf);
  return NULL;
}

/* The arguments live on the heap: if a check fails while the thread runs
 * (Check then leaves the test function), the thread must not be left
 * holding a dead stack frame. */
static echo_args *echo_start(pthread_t *t, sansrtc_peer *peer) {
  echo_args *e = calloc(1, sizeof *e);
  ck_assert_ptr_nonnull(e);
  e->peer = peer;
  pthread_mutex_init(&e->lock, NULL);
  ck_assert_int_eq(pthread_create(t, NULL, echo_main, e), 0);
  return e;
}

static void echo_stop(echo_args *e, pthread_t t) {
  pthread_mutex_lock(&e->lock);
  e->stop = 1;
  pthread_mutex_unlock(&e->lock);
  pthread_join(t, NULL);
  pthread_mutex_destroy(&e->lock);
  free(e);
}

static void fill(uint8_t *p, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

/* The message with index k: a size from the table, the index in its
 * first four bytes (sizes 1..3 are made 4), a pattern after it. */
static const size_t sizes[] = {0, 1, 4, 100, 1200, 1201, 5000, 65536, 200000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static size_t message_for(int k, uint8_t *out, int reliable) {
  size_t n = sizes[(size_t)k % NSIZES];
  /* Known bug (docs/datachannel.md): on partially reliable channels a
   * message large enough for usrsctp's partial delivery can arrive cut
   * short when its rest is abandoned. Until that is fixed these channels
   * are tested with messages up to 64 KiB. */
  if (!reliable && n > 65536) n = 65536;
  if (n > 0 && n < 4) n = 4;
  fill(out, n, (uint32_t)k);
  if (n >= 4) memcpy(out, &k, 4);
  return n;
}

/* Sends `count` messages of varied sizes (0 included) and checks the
 * echoes: on a reliable channel every one, in order when ordered; on a
 * partially reliable one, that whatever arrives is whole and intact. */
static void exchange(sansrtc_peer *a, uint32_t ch, int count, int ordered,
                     int reliable) {
  uint8_t *out = malloc(BUF_CAP), *in = malloc(BUF_CAP);
  unsigned char *seen = calloc((size_t)count, 1);
  for (int i = 0; i < count; i++) {
    size_t n = message_for(i, out, reliable);
    ck_assert_int_eq(sansrtc_peer_send(a, ch, out, n, i % 2, WAIT_MS), SANSRTC_OK);
  }
  sansrtc_pc_event ev;
  int received = 0;
  for (int i = 0; i < count; i++) {
    if (!wait_for(a, SANSRTC_PC_EVENT_MESSAGE, ch, &ev, in, BUF_CAP)) {
      ck_assert_msg(!reliable, "echo %d of %d missing", i, count);
      break;
    }
    received++;
    if (ev.len == 0) { /* which empty one is unknown when unordered */
      if (ordered && reliable) ck_assert_uint_eq((size_t)i % NSIZES, 0);
      continue;
    }
    int k = i;
    if (!(ordered && reliable)) memcpy(&k, in, 4);
    ck_assert_int_ge(k, 0);
    ck_assert_int_lt(k, count);
    ck_assert(!seen[k]);
    seen[k] = 1;
    size_t n = message_for(k, out, reliable);
    ck_assert_uint_eq(ev.len, n);
    ck_assert_int_eq(memcmp(in, out, n), 0);
    ck_assert_int_eq(ev.binary, k % 2);
  }
  ck_assert_int_gt(received, 0);
  free(seen);
  free(out);
  free(in);
}

static void setup(void) { test_clock_real(); }

/* ---- tests --------------------------------------------------------------------- */

START_TEST(test_connect_and_echo_reliable) {
  sansrtc_peer *a = make_peer(), *b = make_peer();
  uint32_t cha, chb;
  connect_pair(a, b, NULL, &cha, &chb);
  ck_assert_int_eq(sansrtc_peer_connection_state(a), SANSRTC_PC_STATE_CONNECTED);
  sansrtc_channel_info info;
  ck_assert_int_eq(sansrtc_peer_channel_info(b, chb, &info), SANSRTC_OK);
  ck_assert_str_eq(info.label, "test");
  ck_assert_int_ge(info.id, 0);
  sansrtc_addr local, remote;
  ck_assert_int_eq(sansrtc_peer_selected_pair(a, &local, &remote), SANSRTC_OK);
  ck_assert_uint_ne(remote.port, 0);
  pthread_t t;
  echo_args *e = echo_start(&t, b);
  exchange(a, cha, (int)volume(200), 1, 1);
  echo_stop(e, t);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
}
END_TEST

/* Stray datagrams at a connected peer's socket (empty, larger than the
 * worker reads, random bytes, many at once so recvmmsg takes several per
 * call) are skipped: the connection and its channel go on working. */
START_TEST(test_stray_datagrams_ignored) {
  sansrtc_peer *a = make_peer(), *b = make_peer();
  uint32_t cha, chb;
  connect_pair(a, b, NULL, &cha, &chb);
  sansrtc_addr local, remote;
  ck_assert_int_eq(sansrtc_peer_selected_pair(b, &local, &remote), SANSRTC_OK);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons(remote.port); /* a's socket */
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static uint8_t junk[5000 + 50]; /* 50 rounds start one byte further each */
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1664525u + 1013904223u;
    junk[i] = (uint8_t)(x >> 24);
  }
  size_t lens[] = {0, 1, 4000, 5000, 13, 1200};
  for (int round = 0; round < 50; round++)
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
      (void)sendto(fd, junk + round, lens[k], 0, (struct sockaddr *)&to, sizeof to);
  close(fd);
  pthread_t t;
  echo_args *e = echo_start(&t, b);
  exchange(a, cha, (int)volume(50), 1, 1);
  echo_stop(e, t);
  ck_assert_int_eq(sansrtc_peer_connection_state(a), SANSRTC_PC_STATE_CONNECTED);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
}
END_TEST

/* Unordered, partially reliable by retransmissions and by lifetime, and a
 * pre-negotiated channel: on a lossless loopback every message arrives. */
START_TEST(test_channel_modes) {
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  switch (_i) {
  case 0: init.ordered = 0; break;
  case 1: init.ordered = 0; init.max_retransmits = 0; break;
  case 2: init.max_packet_lifetime_ms = 100; break;
  case 3: init.negotiated = 1; init.id = 7; break;
  }
  sansrtc_peer *a = make_peer(), *b = make_peer();
  uint32_t cha, chb;
  connect_pair(a, b, &init, &cha, &chb);
  pthread_t t;
  echo_args *e = echo_start(&t, b);
  exchange(a, cha, 40, init.ordered, _i == 0 || _i == 3);
  echo_stop(e, t);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
}
END_TEST

/* A small send buffer fills: timeout 0 fails with LIMIT, a blocking send
 * waits for room; 8 MiB arrive byte for byte, in order. */
START_TEST(test_backpressure) {
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.send_buffer_limit = 64 * 1024;
  sansrtc_peer *a = make_peer_with(&cfg), *b = make_peer();
  uint32_t cha, chb;
  connect_pair(a, b, NULL, &cha, &chb);
  const size_t chunk = 16384, total = volume(8u << 20);
  uint8_t *out = malloc(chunk), *in = malloc(BUF_CAP);
  int saw_limit = 0;
  size_t sent = 0, got = 0;
  uint32_t seq = 0, expect = 0;
  sansrtc_pc_event ev;
  while (got < total) {
    if (sent < total) {
      fill(out, chunk, seq);
      memcpy(out, &seq, 4);
      int rc = sansrtc_peer_send(a, cha, out, chunk, 1, saw_limit ? 50 : 0);
      if (rc == SANSRTC_ERR_LIMIT) {
        saw_limit = 1;
        ck_assert_uint_ge(sansrtc_peer_buffered_amount(a, cha), cfg.send_buffer_limit - chunk);
      } else if (rc == SANSRTC_OK) {
        sent += chunk;
        seq++;
      } else {
        ck_assert_int_eq(rc, SANSRTC_ERR_TIMEOUT);
      }
    }
    while (sansrtc_peer_wait_event(b, &ev, in, BUF_CAP, sent < total ? 0 : 200) == 1) {
      if (ev.type != SANSRTC_PC_EVENT_MESSAGE) continue;
      ck_assert_uint_eq(ev.len, chunk);
      uint32_t k;
      memcpy(&k, in, 4);
      ck_assert_uint_eq(k, expect);
      fill(out, chunk, k);
      memcpy(out, &k, 4);
      ck_assert_int_eq(memcmp(in, out, chunk), 0);
      expect++;
      got += chunk;
    }
  }
  ck_assert(saw_limit);
  free(out);
  free(in);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
}
END_TEST

/* Wrong calls get clear codes and change nothing. */
START_TEST(test_errors) {
  sansrtc_peer *a = make_peer();
  char *sdp = (char *)"junk";
  sansrtc_pc_event ev;
  ck_assert_int_eq(sansrtc_peer_create_answer(a, &sdp), SANSRTC_ERR_INVALID_STATE);
  ck_assert_ptr_null(sdp);
  ck_assert_int_eq(sansrtc_peer_set_remote_description(a, SANSRTC_SDP_OFFER, "junk"),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_peer_send(a, 42, "x", 1, 0, 0), SANSRTC_ERR_NOT_FOUND);
  uint8_t *huge = calloc(1, BUF_CAP + 1); /* over max_message_size */
  ck_assert_int_eq(sansrtc_peer_send(a, 42, huge, BUF_CAP + 1, 1, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  free(huge);
  ck_assert_int_eq(sansrtc_peer_send(a, 42, NULL, 1, 1, 0), SANSRTC_ERR_INVALID_ARGUMENT);
  uint32_t ch;
  ck_assert_int_eq(sansrtc_peer_create_channel(a, "x", NULL, &ch), SANSRTC_OK);
  /* No stream id before negotiation. */
  ck_assert_int_eq(sansrtc_peer_send(a, ch, "x", 1, 0, 0), SANSRTC_ERR_INVALID_STATE);
  ck_assert_int_eq(sansrtc_peer_add_remote_candidate(a, NULL, "candidate:garbage"),
                   SANSRTC_ERR_MALFORMED);
  ck_assert_int_eq(sansrtc_peer_wait_event(a, NULL, NULL, 0, 0),
                   SANSRTC_ERR_INVALID_ARGUMENT);
  /* Events are queued: the first is NEGOTIATION_NEEDED or a candidate. */
  uint8_t small[4];
  int rc = sansrtc_peer_wait_event(a, &ev, small, sizeof small, 0);
  ck_assert(rc == 1 || rc == SANSRTC_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(sansrtc_peer_create(NULL, NULL), SANSRTC_ERR_INVALID_ARGUMENT);
  sansrtc_peer_config bad;
  sansrtc_peer_config_default(&bad);
  bad.ipv4 = bad.ipv6 = 0;
  sansrtc_peer *p = (sansrtc_peer *)&bad;
  ck_assert_int_eq(sansrtc_peer_create(&p, &bad), SANSRTC_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(p);
  sansrtc_peer_config_default(&bad);
  bad.interfaces = "no-such-interface0";
  ck_assert_int_eq(sansrtc_peer_create(&p, &bad), SANSRTC_ERR_NOT_FOUND);
  static const unsigned dilations[] = {0, 1001};
  for (size_t k = 0; k < 2; k++) {
    sansrtc_peer_config_default(&bad);
    bad.time_dilation = dilations[k];
    ck_assert_int_eq(sansrtc_peer_create(&p, &bad), SANSRTC_ERR_INVALID_ARGUMENT);
  }
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(NULL);
}
END_TEST

/* Local candidates come out as events with their SDP form. */
START_TEST(test_candidate_events) {
  sansrtc_peer *a = make_peer();
  uint32_t ch;
  ck_assert_int_eq(sansrtc_peer_create_channel(a, "x", NULL, &ch), SANSRTC_OK);
  char *offer;
  ck_assert_int_eq(sansrtc_peer_create_offer(a, &offer), SANSRTC_OK);
  ck_assert_ptr_nonnull(strstr(offer, "a=end-of-candidates"));
  sansrtc_pc_event ev;
  uint8_t buf[512];
  ck_assert(wait_for(a, SANSRTC_PC_EVENT_LOCAL_CANDIDATE, 0, &ev, buf, sizeof buf));
  ck_assert_int_eq(strncmp(ev.candidate, "candidate:", 10), 0);
  ck_assert_ptr_nonnull(strstr(offer, ev.candidate));
  free(offer);
  sansrtc_peer_destroy(a);
}
END_TEST

/* Removes a description's candidates, as a trickling side sends it. */
static void strip_candidates(char *sdp) {
  char *w = sdp;
  for (const char *line = sdp; *line != '\0';) {
    const char *end = strchr(line, '\n');
    size_t n = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
    if (strncmp(line, "a=candidate:", 12) != 0 && strncmp(line, "a=end-of-cand", 13) != 0) {
      memmove(w, line, n);
      w += n;
    }
    line += n;
  }
  *w = '\0';
  ck_assert_ptr_null(strstr(sdp, "a=candidate"));
}

/* Trickle: the answerer learns candidates only from add_remote_candidate. */
START_TEST(test_trickled_candidates) {
  sansrtc_peer *a = make_peer(), *b = make_peer();
  uint32_t cha;
  ck_assert_int_eq(sansrtc_peer_create_channel(a, "t", NULL, &cha), SANSRTC_OK);
  negotiate(a, b, strip_candidates, NULL);
  sansrtc_pc_event ev;
  uint8_t buf[512];
  /* b can learn a's address from a's checks (a has b's candidates), so
   * the channel may open while a's candidates are still being read here:
   * a descheduled test thread once missed the event that way. */
  int opened = 0;
  while (sansrtc_peer_wait_event(a, &ev, buf, sizeof buf, 0) == 1) {
    if (ev.type == SANSRTC_PC_EVENT_LOCAL_CANDIDATE)
      ck_assert_int_eq(sansrtc_peer_add_remote_candidate(b, ev.mid, ev.candidate),
                       SANSRTC_OK);
    opened |= ev.type == SANSRTC_PC_EVENT_CHANNEL_OPEN && ev.channel == cha;
  }
  ck_assert_int_eq(sansrtc_peer_add_remote_candidate(b, NULL, ""), SANSRTC_OK);
  ck_assert(wait_for(b, SANSRTC_PC_EVENT_DATA_CHANNEL, 0, &ev, buf, sizeof buf));
  ck_assert(opened || wait_for(a, SANSRTC_PC_EVENT_CHANNEL_OPEN, cha, &ev, buf, sizeof buf));
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
}
END_TEST

/* Events through the callback on the worker thread; the callback echoes
 * with sansrtc_peer_send, which runs directly there. */
typedef struct cb_state {
  pthread_mutex_t lock;
  uint32_t channel;
  int messages;
} cb_state;

static void echo_callback(void *user, sansrtc_peer *peer, const sansrtc_pc_event *ev,
                          const uint8_t *data) {
  cb_state *s = user;
  if (ev->type == SANSRTC_PC_EVENT_DATA_CHANNEL) {
    pthread_mutex_lock(&s->lock);
    s->channel = ev->channel;
    pthread_mutex_unlock(&s->lock);
  } else if (ev->type == SANSRTC_PC_EVENT_MESSAGE) {
    ck_assert_int_eq(sansrtc_peer_send(peer, ev->channel, data, ev->len, ev->binary, 0),
                     SANSRTC_OK);
    sansrtc_channel_info info; /* a blocking call from the callback */
    ck_assert_int_eq(sansrtc_peer_channel_info(peer, ev->channel, &info), SANSRTC_OK);
    pthread_mutex_lock(&s->lock);
    s->messages++;
    pthread_mutex_unlock(&s->lock);
  }
}

START_TEST(test_event_callback) {
  cb_state s;
  memset(&s, 0, sizeof s);
  pthread_mutex_init(&s.lock, NULL);
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.event_fn = echo_callback;
  cfg.event_user_data = &s;
  sansrtc_peer *a = make_peer(), *b = make_peer_with(&cfg);
  sansrtc_pc_event ev;
  ck_assert_int_eq(sansrtc_peer_wait_event(b, &ev, NULL, 0, 0), SANSRTC_ERR_INVALID_STATE);
  uint32_t cha;
  ck_assert_int_eq(sansrtc_peer_create_channel(a, "cb", NULL, &cha), SANSRTC_OK);
  negotiate(a, b, NULL, NULL);
  uint8_t buf[512];
  ck_assert(wait_for(a, SANSRTC_PC_EVENT_CHANNEL_OPEN, cha, &ev, buf, sizeof buf));
  exchange(a, cha, 20, 1, 1);
  pthread_mutex_lock(&s.lock);
  ck_assert_int_eq(s.messages, 20);
  ck_assert_uint_ne(s.channel, 0);
  pthread_mutex_unlock(&s.lock);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
  pthread_mutex_destroy(&s.lock);
}
END_TEST

/* Graceful close: what was sent arrives, the channel closes on both
 * sides, and the far side sees the connection end. */
START_TEST(test_graceful_close) {
  sansrtc_peer *a = make_peer(), *b = make_peer();
  uint32_t cha, chb;
  connect_pair(a, b, NULL, &cha, &chb);
  uint8_t *big = malloc(BUF_CAP);
  for (uint32_t i = 0; i < 32; i++) {
    fill(big, 65536, i);
    ck_assert_int_eq(sansrtc_peer_send(a, cha, big, 65536, 1, WAIT_MS), SANSRTC_OK);
  }
  ck_assert_int_eq(sansrtc_peer_close(a, WAIT_MS), SANSRTC_OK);
  ck_assert_int_eq(sansrtc_peer_connection_state(a), SANSRTC_PC_STATE_CLOSED);
  ck_assert_int_eq(sansrtc_peer_signaling_state(a), SANSRTC_SIGNALING_CLOSED);
  ck_assert_int_eq(sansrtc_peer_close(a, WAIT_MS), SANSRTC_OK); /* idempotent */
  ck_assert_int_eq(sansrtc_peer_send(a, cha, "x", 1, 0, 0), SANSRTC_ERR_NOT_FOUND);
  sansrtc_pc_event ev;
  uint8_t *want = malloc(65536);
  for (uint32_t i = 0; i < 32; i++) {
    ck_assert(wait_for(b, SANSRTC_PC_EVENT_MESSAGE, chb, &ev, big, BUF_CAP));
    fill(want, 65536, i);
    ck_assert_uint_eq(ev.len, 65536);
    ck_assert_int_eq(memcmp(big, want, 65536), 0);
  }
  ck_assert(wait_for(b, SANSRTC_PC_EVENT_CHANNEL_CLOSED, chb, &ev, big, BUF_CAP));
  ck_assert(wait_for(b, SANSRTC_PC_EVENT_DTLS_STATE, 0, &ev, big, BUF_CAP));
  ck_assert_int_eq(ev.state, SANSRTC_DTLS_STATE_CLOSED);
  free(want);
  free(big);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
}
END_TEST

/* Changes the first hex digit of a description's fingerprint. */
static void corrupt_fingerprint(char *sdp) {
  char *fp = strstr(sdp, "a=fingerprint:sha-256 ");
  ck_assert_ptr_nonnull(fp);
  fp += strlen("a=fingerprint:sha-256 ");
  *fp = *fp == 'A' ? 'B' : 'A';
}

/* Destroy in every state, with events unread and messages unsent. */
START_TEST(test_destroy_in_every_state) {
  sansrtc_peer *a, *b;
  uint32_t cha, chb;
  char *offer;
  switch (_i) {
  case 0: /* new */
    sansrtc_peer_destroy(make_peer());
    break;
  case 1: /* have-local-offer, gathering done, nothing connected */
    a = make_peer();
    ck_assert_int_eq(sansrtc_peer_create_channel(a, "x", NULL, &cha), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_peer_create_offer(a, &offer), SANSRTC_OK);
    free(offer);
    sansrtc_peer_destroy(a);
    break;
  case 2: /* mid-ICE / mid-DTLS: both destroyed right after negotiating */
  case 3:
    a = make_peer();
    b = make_peer();
    ck_assert_int_eq(sansrtc_peer_create_channel(a, "x", NULL, &cha), SANSRTC_OK);
    negotiate(a, b, NULL, NULL);
    if (_i == 3) { /* let ICE finish so DTLS is under way */
      sansrtc_pc_event ev;
      uint8_t buf[512];
      ck_assert(wait_for(a, SANSRTC_PC_EVENT_ICE_STATE, 0, &ev, buf, sizeof buf));
    }
    sansrtc_peer_destroy(a);
    sansrtc_peer_destroy(b);
    break;
  case 4: { /* connected, with unread messages and queued sends */
    a = make_peer();
    b = make_peer();
    connect_pair(a, b, NULL, &cha, &chb);
    uint8_t *m = calloc(1, 100000);
    for (int i = 0; i < 30; i++) {
      ck_assert_int_eq(sansrtc_peer_send(a, cha, m, 100000, 1, WAIT_MS), SANSRTC_OK);
      ck_assert_int_eq(sansrtc_peer_send(b, chb, m, 1000, 1, WAIT_MS), SANSRTC_OK);
    }
    free(m);
    sansrtc_peer_destroy(a);
    sansrtc_peer_destroy(b);
    break;
  }
  case 5: { /* failed: the answer's fingerprint does not match b's cert */
    a = make_peer();
    b = make_peer();
    ck_assert_int_eq(sansrtc_peer_create_channel(a, "x", NULL, &cha), SANSRTC_OK);
    negotiate(a, b, NULL, corrupt_fingerprint);
    ck_assert(wait_state(a, SANSRTC_PC_STATE_FAILED));
    char why[160];
    ck_assert_int_eq(sansrtc_peer_error_text(a, why, sizeof why), SANSRTC_OK);
    ck_assert_str_ne(why, "");
    sansrtc_peer_destroy(a);
    sansrtc_peer_destroy(b);
    break;
  }
  case 6: /* closed */
    a = make_peer();
    ck_assert_int_eq(sansrtc_peer_close(a, 0), SANSRTC_OK);
    ck_assert_int_eq(sansrtc_peer_create_channel(a, "x", NULL, &cha),
                     SANSRTC_ERR_INVALID_STATE);
    sansrtc_peer_destroy(a);
    break;
  }
}
END_TEST

/* 25 pairs (50 peers, 50 worker threads) at once in one process; under
 * helgrind (dilated time) 5 pairs. */
#define PAIRS 25
START_TEST(test_fifty_peers) {
  sansrtc_peer *a[PAIRS], *b[PAIRS];
  uint32_t cha[PAIRS], chb[PAIRS];
  const int pairs = dilation() > 1 ? 5 : PAIRS;
  for (int i = 0; i < pairs; i++) {
    a[i] = make_peer();
    b[i] = make_peer();
  }
  for (int i = 0; i < pairs; i++) connect_pair(a[i], b[i], NULL, &cha[i], &chb[i]);
  sansrtc_pc_event ev;
  uint8_t buf[64];
  for (int i = 0; i < pairs; i++) {
    char msg[32];
    int n = snprintf(msg, sizeof msg, "pair %d", i);
    ck_assert_int_eq(sansrtc_peer_send(a[i], cha[i], msg, (size_t)n, 0, WAIT_MS), SANSRTC_OK);
  }
  for (int i = 0; i < pairs; i++) {
    char msg[32];
    int n = snprintf(msg, sizeof msg, "pair %d", i);
    ck_assert(wait_for(b[i], SANSRTC_PC_EVENT_MESSAGE, chb[i], &ev, buf, sizeof buf));
    ck_assert_uint_eq(ev.len, (size_t)n);
    ck_assert_int_eq(memcmp(buf, msg, (size_t)n), 0);
    ck_assert_int_eq(sansrtc_peer_connection_state(a[i]), SANSRTC_PC_STATE_CONNECTED);
  }
  for (int i = 0; i < pairs; i++) {
    sansrtc_peer_destroy(a[i]);
    sansrtc_peer_destroy(b[i]);
  }
}
END_TEST

static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  ck_assert_ptr_nonnull(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* Create, connect, exchange, destroy, many times: no worker thread is
 * left behind (valgrind and ASan check that nothing leaks). usrsctp's own
 * iterator thread lives while usrsctp is initialised, which outlasts the
 * last association when usrsctp is slow to free a closed socket. */
START_TEST(test_create_connect_destroy_cycles) {
  int cycles = slow_tests() ? 1000 : 10;
  int threads = thread_count();
  for (int i = 0; i < cycles; i++) {
    sansrtc_peer *a = make_peer(), *b = make_peer();
    uint32_t cha, chb;
    connect_pair(a, b, NULL, &cha, &chb);
    ck_assert_int_eq(sansrtc_peer_send(a, cha, "ping", 4, 0, WAIT_MS), SANSRTC_OK);
    sansrtc_pc_event ev;
    uint8_t buf[16];
    ck_assert(wait_for(b, SANSRTC_PC_EVENT_MESSAGE, chb, &ev, buf, sizeof buf));
    sansrtc_peer_destroy(a);
    sansrtc_peer_destroy(b);
    ck_assert_int_le(thread_count(), threads + 1);
  }
}
END_TEST


/* ---- STUN servers, with a real coturn --------------------------------------- */

extern char **environ;

/* A free UDP port on 127.0.0.1 (free a moment ago). */
static uint16_t free_udp_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* Does a STUN server answer a Binding request on 127.0.0.1:port? */
static int stun_answers(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint8_t req[64], resp[512], txid[12] = {1, 2, 3};
  size_t len;
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, req, sizeof req, SANSRTC_STUN_BINDING, SANSRTC_STUN_REQUEST, txid);
  ck_assert_int_eq(sansrtc_stun_writer_finish(&w, &len), SANSRTC_OK);
  struct timeval tv = {0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int ok = sendto(fd, req, len, 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)len &&
           recv(fd, resp, sizeof resp, 0) > 20;
  close(fd);
  return ok;
}

/* Starts coturn as a plain STUN server on 127.0.0.1:port. */
static pid_t start_coturn(uint16_t port) {
  char listen[32];
  snprintf(listen, sizeof listen, "--listening-port=%u", port);
  char *argv[] = {"turnserver", "-n", "--stun-only", "--no-cli", "--no-tls", "--no-dtls",
                  "--listening-ip=127.0.0.1", listen, "--log-file=/dev/null",
                  "--pidfile=/dev/null", "--no-stdout-log", NULL};
  pid_t pid;
  posix_spawn_file_actions_t quiet; /* coturn talks on stdout and stderr */
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawnp(&pid, "turnserver", &quiet, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&quiet);
  ck_assert_msg(rc == 0, "coturn (turnserver) is needed: make deps");
  for (int i = 0; i < 100 && !stun_answers(port); i++) {
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
  }
  return pid;
}

static void stop_coturn(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

typedef struct log_watch {
  pthread_mutex_t lock;
  const char *want;
  int seen;
} log_watch;

static void watch_log(void *user, sansrtc_log_level level, const char *msg) {
  log_watch *w = user;
  (void)level;
  pthread_mutex_lock(&w->lock);
  if (strstr(msg, w->want) != NULL) w->seen++;
  pthread_mutex_unlock(&w->lock);
}

static int log_seen(log_watch *w) {
  pthread_mutex_lock(&w->lock);
  int n = w->seen;
  pthread_mutex_unlock(&w->lock);
  return n;
}

/* With coturn as STUN server, the offer waits for its answer: on loopback
 * the mapped address is the host candidate itself, so no srflx candidate
 * is added; the connection then works as ever. With a server that does
 * not answer, the offer comes after the requests are given up. */
START_TEST(test_stun_servers) {
  uint16_t port = free_udp_port();
  pid_t coturn = _i == 0 ? start_coturn(port) : 0;
  if (_i == 0) ck_assert_msg(stun_answers(port), "coturn did not start");
  log_watch w = {PTHREAD_MUTEX_INITIALIZER,
                 _i == 0 ? "mapped address already a candidate" : "no response", 0};
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  char servers[64];
  snprintf(servers, sizeof servers, "stun:127.0.0.1:%u", port);
  cfg.stun_servers = servers;
  cfg.ipv6 = 0;
  cfg.log_fn = watch_log;
  cfg.log_user_data = &w;
  cfg.log_level = SANSRTC_LOG_INFO;
  sansrtc_peer *a = make_peer_with(&cfg), *b = make_peer();
  uint32_t cha, chb;
  ck_assert_int_eq(sansrtc_peer_create_channel(a, "stun", NULL, &cha), SANSRTC_OK);
  char *offer;
  ck_assert_int_eq(sansrtc_peer_create_offer(a, &offer), SANSRTC_OK);
  ck_assert_int_eq(log_seen(&w), 1); /* the server's answer (or its absence) came first */
  ck_assert_ptr_nonnull(strstr(offer, "a=end-of-candidates"));
  ck_assert_ptr_null(strstr(offer, "typ srflx"));
  free(offer);
  sansrtc_peer_destroy(a);
  a = make_peer_with(&cfg);
  connect_pair(a, b, NULL, &cha, &chb);
  pthread_t t;
  echo_args *e = echo_start(&t, b);
  exchange(a, cha, 20, 1, 1);
  echo_stop(e, t);
  sansrtc_peer_destroy(a);
  sansrtc_peer_destroy(b);
  if (coturn > 0) stop_coturn(coturn);
  /* Malformed lists are refused by create. */
  static const char *const bad[] = {"[::1", "127.0.0.1:99999", "127.0.0.1:", "h:1x",
                                    "stun:[::1]x", ",127.0.0.1"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    cfg.stun_servers = bad[k];
    sansrtc_peer *p = NULL;
    cfg.interfaces = "lo";
    ck_assert_int_eq(sansrtc_peer_create(&p, &cfg), SANSRTC_ERR_INVALID_ARGUMENT);
  }
}
END_TEST

Suite *peer_worker_suite(void) {
  Suite *s = suite_create("peer_worker");
  /* Calls, states and teardown without traffic: also run under helgrind. */
  TCase *api = tcase_create("api");
  tcase_add_checked_fixture(api, setup, NULL);
  tcase_set_timeout(api, 600);
  tcase_add_test(api, test_errors);
  tcase_add_test(api, test_candidate_events);
  tcase_add_loop_test(api, test_destroy_in_every_state, 0, 2);
  tcase_add_loop_test(api, test_destroy_in_every_state, 6, 7);
  suite_add_tcase(s, api);
  /* Two peers moving data: also under helgrind, with dilated time. */
  TCase *tr = tcase_create("transfer");
  tcase_add_checked_fixture(tr, setup, NULL);
  tcase_set_timeout(tr, 1800);
  tcase_add_test(tr, test_connect_and_echo_reliable);
  tcase_add_test(tr, test_stray_datagrams_ignored);
  tcase_add_loop_test(tr, test_channel_modes, 0, 4);
  tcase_add_test(tr, test_backpressure);
  tcase_add_test(tr, test_trickled_candidates);
  tcase_add_test(tr, test_event_callback);
  tcase_add_test(tr, test_graceful_close);
  tcase_add_loop_test(tr, test_destroy_in_every_state, 2, 6);
  suite_add_tcase(s, tr);
  /* Many peers: under helgrind with fewer of them. */
  TCase *tc = tcase_create("scale");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 1800);
  tcase_add_test(tc, test_fifty_peers);
  tcase_add_test(tc, test_create_connect_destroy_cycles);
  tcase_add_loop_test(tc, test_stun_servers, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
