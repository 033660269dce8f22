/*
 * peer - a command-line WebRTC data-channel peer on the threaded API.
 *
 * Signaling is one JSON object per line, W3C shapes: the description goes
 * out on stdout ({"type":"offer","sdp":"..."}), the other side's comes in
 * on stdin; with --trickle the description carries no candidates and each
 * goes as {"candidate":"candidate:...","sdpMid":"0","sdpMLineIndex":0},
 * then {"candidate":""}. Trickled candidates from the other side are
 * accepted either way. Nothing but signaling is printed on stdout; logs
 * and errors go to stderr.
 *
 * usage: peer (--offer | --answer) [options]
 *   --trickle                 trickle candidates instead of sending them
 *                             in the description
 *   --label L, --protocol P   channel label and subprotocol (offerer)
 *   --unordered               unordered delivery
 *   --max-retransmits N       partially reliable: at most N resends
 *   --max-packet-life-time MS partially reliable: give up after MS
 *   --negotiated-id N         pre-negotiated channel on stream N (both
 *                             sides pass it)
 *   --echo                    echo every message back
 *   --send-file PATH          send the file in --size messages, then
 *                             close the channel
 *   --recv-file PATH          write received messages until the channel
 *                             closes
 *   --messages N              send N messages of --size bytes; with
 *   --expect-echo             check every echo byte for byte
 *   --size B                  message size, default 65536
 *   --timeout S               give up after S seconds (default 60)
 *   --interfaces LIST         gather only on these interfaces ("lo")
 *   --stun SERVERS            STUN servers for server-reflexive candidates
 *                             ("host:port,...")
 *   --stats-json PATH         write timings and counters on exit
 *   --verbose                 library log on stderr
 *
 * Exit status 0 only when the requested work completed correctly.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sansrtc/sansrtc.h>

#include "sample_json.h"

#define MAX_CANDIDATES 32

typedef struct options {
  int offer, trickle, unordered, echo, expect_echo, verbose;
  const char *label, *protocol, *send_file, *recv_file, *stats_json, *interfaces;
  const char *stun;
  long max_retransmits, max_packet_life_time, negotiated_id, messages;
  size_t size;
  double timeout_s;
} options;

typedef struct app {
  options opt;
  sansrtc_peer *peer;
  double t0;
  pthread_mutex_t lock; /* stdout, and the fields down to `failed` */
  int description_sent;
  char *candidates[MAX_CANDIDATES]; /* held until the description is out */
  size_t ncandidates;
  int end_of_candidates;
  uint32_t channel;
  int channel_open, channel_closed;
  int failed;
  atomic_int sender_done, stop;
  /* Figures for --stats-json (main thread). */
  double ice_ms, dtls_ms, open_ms, start_ms, end_ms;
  uint64_t bytes_sent, bytes_received, messages_sent, messages_received;
  uint64_t echoes_ok;
} app;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void log_stderr(void *user, sansrtc_log_level level, const char *msg) {
  (void)user;
  (void)level;
  fprintf(stderr, "peer: %s\n", msg);
}

static void fail(app *a, const char *fmt, const char *detail) {
  fprintf(stderr, "peer: ");
  fprintf(stderr, fmt, detail);
  fputc('\n', stderr);
  pthread_mutex_lock(&a->lock);
  a->failed = 1;
  pthread_mutex_unlock(&a->lock);
  atomic_store(&a->stop, 1);
}

/* ---- signaling out ----------------------------------------------------------- */

static void print_candidate_locked(const char *candidate) {
  fputs("{\"candidate\":", stdout);
  json_write_string(stdout, candidate);
  if (candidate[0] != '\0') fputs(",\"sdpMid\":\"0\",\"sdpMLineIndex\":0", stdout);
  fputs("}\n", stdout);
}

static void send_description(app *a, const char *type, char *sdp) {
  if (a->opt.trickle) sdp_strip_candidates(sdp);
  pthread_mutex_lock(&a->lock);
  fputs("{\"type\":", stdout);
  json_write_string(stdout, type);
  fputs(",\"sdp\":", stdout);
  json_write_string(stdout, sdp);
  fputs("}\n", stdout);
  a->description_sent = 1;
  for (size_t i = 0; i < a->ncandidates; i++) {
    print_candidate_locked(a->candidates[i]);
    free(a->candidates[i]);
  }
  a->ncandidates = 0;
  if (a->end_of_candidates) print_candidate_locked("");
  fflush(stdout);
  pthread_mutex_unlock(&a->lock);
}

static void send_candidate(app *a, const char *candidate) {
  if (!a->opt.trickle) return;
  pthread_mutex_lock(&a->lock);
  if (candidate[0] == '\0') a->end_of_candidates = 1;
  if (a->description_sent) {
    print_candidate_locked(candidate);
    fflush(stdout);
  } else if (candidate[0] != '\0' && a->ncandidates < MAX_CANDIDATES) {
    a->candidates[a->ncandidates] = strdup(candidate);
    if (a->candidates[a->ncandidates] != NULL) a->ncandidates++;
  }
  pthread_mutex_unlock(&a->lock);
}

/* ---- signaling in (its own thread: stdin blocks) ----------------------------- */

static void handle_line(app *a, const char *line) {
  char *type = NULL, *sdp = NULL, *cand = NULL, *mid = NULL;
  long num = 0;
  int rc = SANSRTC_OK;
  if (json_get(line, "type", &type, &num) == 1 && json_get(line, "sdp", &sdp, &num) == 1) {
    int offer = strcmp(type, "offer") == 0;
    if (!offer && strcmp(type, "answer") != 0) {
      fail(a, "unknown description type %s", type);
    } else if (offer == a->opt.offer) {
      fail(a, "got an %s but I am the offerer", type);
    } else {
      rc = sansrtc_peer_set_remote_description(
          a->peer, offer ? SANSRTC_SDP_OFFER : SANSRTC_SDP_ANSWER, sdp);
      if (rc != SANSRTC_OK) fail(a, "the remote description was refused: %s",
                                 sansrtc_strerror(rc));
      char *answer = NULL;
      if (rc == SANSRTC_OK && offer) {
        rc = sansrtc_peer_create_answer(a->peer, &answer);
        if (rc == SANSRTC_OK) send_description(a, "answer", answer);
        else fail(a, "cannot answer: %s", sansrtc_strerror(rc));
      }
      free(answer);
    }
  } else if (json_get(line, "candidate", &cand, &num) == 1) {
    (void)json_get(line, "sdpMid", &mid, &num);
    rc = sansrtc_peer_add_remote_candidate(a->peer, mid, cand);
    if (rc != SANSRTC_OK)
      fprintf(stderr, "peer: candidate ignored (%s): %s\n", sansrtc_strerror(rc), cand);
  } else if (line[0] != '\0') {
    fprintf(stderr, "peer: not signaling, ignored: %.80s\n", line);
  }
  free(type);
  free(sdp);
  free(cand);
  free(mid);
}

/* Reads lines from stdin, checking `stop` at least every 100 ms so the
 * thread can be joined before the peer is destroyed. */
static void *read_signaling(void *arg) {
  app *a = arg;
  size_t cap = 1 << 16, len = 0;
  char *line = malloc(cap);
  while (line != NULL && !atomic_load(&a->stop)) {
    struct pollfd pfd = {0, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    if (len + 4096 + 1 > cap) {
      char *bigger = realloc(line, cap * 2);
      if (bigger == NULL) break;
      line = bigger;
      cap *= 2;
    }
    ssize_t n = read(0, line + len, cap - len - 1);
    if (n <= 0) { /* end of input: a last line without its newline counts */
      line[len] = '\0';
      if (len > 0) handle_line(a, line);
      break; /* the work goes on without more signaling */
    }
    len += (size_t)n;
    line[len] = '\0';
    char *start = line, *nl;
    while ((nl = strchr(start, '\n')) != NULL) {
      *nl = '\0';
      if (nl > start && nl[-1] == '\r') nl[-1] = '\0';
      handle_line(a, start);
      start = nl + 1;
    }
    len -= (size_t)(start - line);
    memmove(line, start, len);
  }
  free(line);
  return NULL;
}

/* ---- the work ------------------------------------------------------------------ */

/* Message k of --messages: k in its first 8 bytes (when it has them),
 * then a pattern, so an echo can be checked even out of order. */
static void make_message(uint8_t *buf, size_t n, uint64_t k) {
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(k * 131 + i * 7 + (i >> 9));
  if (n >= 8) memcpy(buf, &k, 8);
}

static int send_one(app *a, const uint8_t *buf, size_t n) {
  for (;;) {
    int rc = sansrtc_peer_send(a->peer, a->channel, buf, n, 1, 200);
    if (rc == SANSRTC_OK) {
      a->bytes_sent += n;
      a->messages_sent++;
      return 0;
    }
    if (rc != SANSRTC_ERR_TIMEOUT || atomic_load(&a->stop)) {
      fail(a, "send failed: %s", sansrtc_strerror(rc));
      return -1;
    }
  }
}

static void *send_work(void *arg) {
  app *a = arg;
  uint8_t *buf = malloc(a->opt.size);
  if (buf == NULL) {
    fail(a, "%s", "out of memory");
    return NULL;
  }
  if (a->opt.send_file != NULL) {
    FILE *f = fopen(a->opt.send_file, "rb");
    if (f == NULL) {
      fail(a, "cannot open %s", a->opt.send_file);
    } else {
      size_t n;
      while (!atomic_load(&a->stop) && (n = fread(buf, 1, a->opt.size, f)) > 0)
        if (send_one(a, buf, n) != 0) break;
      if (ferror(f)) fail(a, "cannot read %s", a->opt.send_file);
      fclose(f);
      (void)sansrtc_peer_close_channel(a->peer, a->channel);
    }
  }
  for (long k = 0; k < a->opt.messages && !atomic_load(&a->stop); k++) {
    make_message(buf, a->opt.size, (uint64_t)k);
    if (send_one(a, buf, a->opt.size) != 0) break;
  }
  free(buf);
  atomic_store(&a->sender_done, 1);
  return NULL;
}

/* ---- events (main thread) ---------------------------------------------------------- */

typedef struct work_state {
  FILE *recv;
  pthread_t sender;
  int sender_started;
  uint8_t *expect;
} work_state;

static void on_open(app *a, work_state *w) {
  if (a->channel_open) return;
  a->channel_open = 1;
  a->open_ms = now_ms() - a->t0;
  a->start_ms = now_ms();
  if (a->opt.send_file != NULL || a->opt.messages > 0) {
    if (pthread_create(&w->sender, NULL, send_work, a) == 0) w->sender_started = 1;
    else fail(a, "%s", "cannot start the sender thread");
  }
}

static void on_message(app *a, work_state *w, const sansrtc_pc_event *ev,
                       const uint8_t *data) {
  a->bytes_received += ev->len;
  a->messages_received++;
  a->end_ms = now_ms();
  if (a->opt.echo) {
    int rc = sansrtc_peer_send(a->peer, ev->channel, data, ev->len, ev->binary, 10000);
    if (rc != SANSRTC_OK) fail(a, "echo failed: %s", sansrtc_strerror(rc));
    a->bytes_sent += ev->len;
    a->messages_sent++;
  }
  if (w->recv != NULL && ev->len > 0 && fwrite(data, 1, ev->len, w->recv) != ev->len)
    fail(a, "cannot write %s", a->opt.recv_file);
  if (a->opt.expect_echo) {
    uint64_t k = a->echoes_ok;
    if (ev->len >= 8) memcpy(&k, data, 8);
    if (k < (uint64_t)a->opt.messages) make_message(w->expect, a->opt.size, k);
    if (ev->len != a->opt.size || k >= (uint64_t)a->opt.messages ||
        memcmp(w->expect, data, ev->len) != 0) {
      char num[32];
      snprintf(num, sizeof num, "%llu", (unsigned long long)k);
      fail(a, "echo %s differs", num);
    } else {
      a->echoes_ok++;
    }
  }
}

/* Is the requested work complete? */
static int work_done(const app *a) {
  if (a->opt.expect_echo) return a->echoes_ok == (uint64_t)a->opt.messages;
  if (a->opt.send_file != NULL || a->opt.recv_file != NULL || a->opt.echo)
    return a->channel_closed;
  if (a->opt.messages > 0) return atomic_load(&a->sender_done) && a->channel_open;
  return a->channel_open;
}

static void on_event(app *a, work_state *w, const sansrtc_pc_event *ev,
                     const uint8_t *data) {
  double t = now_ms() - a->t0;
  switch (ev->type) {
  case SANSRTC_PC_EVENT_LOCAL_CANDIDATE: send_candidate(a, ev->candidate); break;
  case SANSRTC_PC_EVENT_GATHERING_STATE:
    if (ev->state == SANSRTC_GATHERING_COMPLETE) send_candidate(a, "");
    break;
  case SANSRTC_PC_EVENT_ICE_STATE:
    if (ev->state == SANSRTC_ICE_STATE_CONNECTED && a->ice_ms < 0) a->ice_ms = t;
    break;
  case SANSRTC_PC_EVENT_DTLS_STATE:
    if (ev->state == SANSRTC_DTLS_STATE_CONNECTED && a->dtls_ms < 0) a->dtls_ms = t;
    break;
  case SANSRTC_PC_EVENT_CONNECTION_STATE:
    if (ev->state == SANSRTC_PC_STATE_FAILED) fail(a, "%s", "connection failed");
    if (ev->state == SANSRTC_PC_STATE_CLOSED && !work_done(a))
      fail(a, "%s", "the connection closed before the work was done");
    break;
  case SANSRTC_PC_EVENT_DATA_CHANNEL:
    if (a->channel == 0) a->channel = ev->channel;
    if (ev->channel == a->channel) on_open(a, w);
    break;
  case SANSRTC_PC_EVENT_CHANNEL_OPEN:
    if (ev->channel == a->channel) on_open(a, w);
    break;
  case SANSRTC_PC_EVENT_MESSAGE: on_message(a, w, ev, data); break;
  case SANSRTC_PC_EVENT_CHANNEL_CLOSED:
    if (ev->channel == a->channel) {
      a->channel_closed = 1;
      if (a->bytes_sent > 0 && a->end_ms == 0) a->end_ms = now_ms();
    }
    break;
  default: break;
  }
}

/* ---- setup, stats, main ------------------------------------------------------------- */

static int usage(void) {
  fprintf(stderr,
          "usage: peer (--offer | --answer) [--trickle] [--label L] [--protocol P]\n"
          "  [--unordered] [--max-retransmits N] [--max-packet-life-time MS]\n"
          "  [--negotiated-id N] [--echo] [--send-file PATH] [--recv-file PATH]\n"
          "  [--messages N] [--expect-echo] [--size B] [--timeout S]\n"
          "  [--interfaces LIST] [--stun SERVERS] [--stats-json PATH] [--verbose]\n");
  return 2;
}

static int parse_options(options *o, int argc, char **argv) {
  memset(o, 0, sizeof *o);
  o->offer = -1;
  o->label = "sansrtc";
  o->max_retransmits = o->max_packet_life_time = o->negotiated_id = -1;
  o->size = 65536;
  o->timeout_s = 60;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(s, name) == 0 && v != NULL && ++i)
    if (strcmp(s, "--offer") == 0) o->offer = 1;
    else if (strcmp(s, "--answer") == 0) o->offer = 0;
    else if (strcmp(s, "--trickle") == 0) o->trickle = 1;
    else if (strcmp(s, "--unordered") == 0) o->unordered = 1;
    else if (strcmp(s, "--echo") == 0) o->echo = 1;
    else if (strcmp(s, "--expect-echo") == 0) o->expect_echo = 1;
    else if (strcmp(s, "--verbose") == 0) o->verbose = 1;
    else if (ARG("--label")) o->label = v;
    else if (ARG("--protocol")) o->protocol = v;
    else if (ARG("--send-file")) o->send_file = v;
    else if (ARG("--recv-file")) o->recv_file = v;
    else if (ARG("--stats-json")) o->stats_json = v;
    else if (ARG("--interfaces")) o->interfaces = v;
    else if (ARG("--stun")) o->stun = v;
    else if (ARG("--max-retransmits")) o->max_retransmits = atol(v);
    else if (ARG("--max-packet-life-time")) o->max_packet_life_time = atol(v);
    else if (ARG("--negotiated-id")) o->negotiated_id = atol(v);
    else if (ARG("--messages")) o->messages = atol(v);
    else if (ARG("--size")) o->size = (size_t)atol(v);
    else if (ARG("--timeout")) o->timeout_s = atof(v);
    else return -1;
#undef ARG
  }
  if (o->offer < 0 || o->size == 0 || o->size > 262144 || o->timeout_s <= 0 ||
      o->negotiated_id > 65534 || (o->max_retransmits >= 0 && o->max_packet_life_time >= 0) ||
      (o->expect_echo && o->messages <= 0))
    return -1;
  return 0;
}

static void write_stats(const app *a) {
  FILE *f = fopen(a->opt.stats_json, "w");
  if (f == NULL) {
    fprintf(stderr, "peer: cannot write %s: %s\n", a->opt.stats_json, strerror(errno));
    return;
  }
  double secs = a->end_ms > a->start_ms ? (a->end_ms - a->start_ms) / 1e3 : 0;
  uint64_t moved = a->bytes_received > a->bytes_sent ? a->bytes_received : a->bytes_sent;
  sansrtc_addr l, r;
  char ls[SANSRTC_ADDR_STRLEN] = "", rs[SANSRTC_ADDR_STRLEN] = "";
  if (sansrtc_peer_selected_pair(a->peer, &l, &r) == SANSRTC_OK) {
    sansrtc_addr_format(&l, ls, sizeof ls);
    sansrtc_addr_format(&r, rs, sizeof rs);
  }
  fprintf(f,
          "{\"ok\":%s,\"ice_connected_ms\":%.2f,\"dtls_connected_ms\":%.2f,"
          "\"channel_open_ms\":%.2f,\"bytes_sent\":%llu,\"bytes_received\":%llu,"
          "\"messages_sent\":%llu,\"messages_received\":%llu,"
          "\"seconds\":%.3f,\"throughput_mbps\":%.1f,"
          "\"local\":\"%s\",\"remote\":\"%s\"}\n",
          a->failed ? "false" : "true", a->ice_ms, a->dtls_ms, a->open_ms,
          (unsigned long long)a->bytes_sent, (unsigned long long)a->bytes_received,
          (unsigned long long)a->messages_sent, (unsigned long long)a->messages_received,
          secs, secs > 0 ? (double)moved * 8 / secs / 1e6 : 0.0, ls, rs);
  fclose(f);
}

static int create_peer(app *a) {
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.interfaces = a->opt.interfaces;
  cfg.stun_servers = a->opt.stun;
  if (a->opt.verbose) {
    cfg.log_fn = log_stderr;
    cfg.log_level = SANSRTC_LOG_DEBUG;
  }
  int rc = sansrtc_peer_create(&a->peer, &cfg);
  if (rc != SANSRTC_OK) {
    fprintf(stderr, "peer: cannot create the peer: %s\n", sansrtc_strerror(rc));
    return -1;
  }
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  init.label = a->opt.label;
  init.protocol = a->opt.protocol;
  init.ordered = !a->opt.unordered;
  init.max_retransmits = (int32_t)a->opt.max_retransmits;
  init.max_packet_lifetime_ms = (int32_t)a->opt.max_packet_life_time;
  if (a->opt.negotiated_id >= 0) {
    init.negotiated = 1;
    init.id = (uint16_t)a->opt.negotiated_id;
  }
  if (a->opt.offer || init.negotiated) {
    rc = sansrtc_peer_create_channel(a->peer, NULL, &init, &a->channel);
    if (rc != SANSRTC_OK) {
      fprintf(stderr, "peer: cannot create the channel: %s\n", sansrtc_strerror(rc));
      return -1;
    }
  }
  if (a->opt.offer) {
    char *offer = NULL;
    rc = sansrtc_peer_create_offer(a->peer, &offer);
    if (rc != SANSRTC_OK) {
      fprintf(stderr, "peer: cannot offer: %s\n", sansrtc_strerror(rc));
      return -1;
    }
    send_description(a, "offer", offer);
    free(offer);
  }
  return 0;
}

int main(int argc, char **argv) {
  app a;
  memset(&a, 0, sizeof a);
  if (parse_options(&a.opt, argc, argv) != 0) return usage();
  pthread_mutex_init(&a.lock, NULL);
  a.t0 = now_ms();
  a.ice_ms = a.dtls_ms = a.open_ms = -1;
  work_state w;
  memset(&w, 0, sizeof w);
  size_t cap = 262144;
  uint8_t *buf = malloc(cap);
  w.expect = malloc(a.opt.size);
  if (a.opt.recv_file != NULL && (w.recv = fopen(a.opt.recv_file, "wb")) == NULL)
    fprintf(stderr, "peer: cannot write %s\n", a.opt.recv_file);
  int ready = buf != NULL && w.expect != NULL && (a.opt.recv_file == NULL || w.recv != NULL);
  if (!ready || create_peer(&a) != 0) a.failed = 1;
  pthread_t reader;
  int reading = !a.failed && pthread_create(&reader, NULL, read_signaling, &a) == 0;
  if (!reading) a.failed = 1;
  double deadline = a.t0 + a.opt.timeout_s * 1e3;
  while (!a.failed && !work_done(&a)) {
    if (now_ms() > deadline) {
      fail(&a, "%s", "timed out");
      break;
    }
    sansrtc_pc_event ev;
    int rc = sansrtc_peer_wait_event(a.peer, &ev, buf, cap, 100);
    if (rc == 1) on_event(&a, &w, &ev, buf);
    pthread_mutex_lock(&a.lock);
    int failed = a.failed;
    pthread_mutex_unlock(&a.lock);
    if (failed) break;
  }
  atomic_store(&a.stop, 1);
  if (reading) pthread_join(reader, NULL);
  if (w.sender_started) pthread_join(w.sender, NULL);
  if (a.peer != NULL) sansrtc_peer_close(a.peer, 2000);
  if (a.opt.stats_json != NULL && a.peer != NULL) write_stats(&a);
  if (w.recv != NULL && fclose(w.recv) != 0) a.failed = 1;
  sansrtc_peer_destroy(a.peer);
  for (size_t i = 0; i < a.ncandidates; i++) free(a.candidates[i]);
  free(buf);
  free(w.expect);
  return a.failed ? 1 : 0;
}
