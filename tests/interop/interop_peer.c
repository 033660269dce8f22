/*
 * interop_peer - the sansrtc side of the browser interop scenarios
 * (tests/interop/browser_scenarios.sh drives it; interop.html is the page).
 *
 * usage: interop_peer --page PATH --results PATH [--port P]
 *                     [--interfaces LIST (default lo)] [--verbose]
 *
 * A thread-per-request HTTP server on 127.0.0.1 (the port is printed on
 * stdout) serves the scenario page and the signaling endpoints. Every
 * RTCPeerConnection the page makes gets a sansrtc peer ("session") and a
 * session thread that echoes every message with the same type on every
 * channel but those labelled "sink...", and obeys JSON commands on the
 * channel labelled "control":
 *   {"cmd":"open","label":L[,"ordered":0][,"maxRetransmits":N]
 *    [,"maxPacketLifeTime":MS][,"negotiated":1,"id":N]}  open a channel
 *   {"cmd":"close","label":L}   close the channels with that label
 *   {"cmd":"report"}            reply {"report":"label:opened,closed,msgs,bytes;..."}
 *   {"cmd":"close-pc"}          close the peer connection gracefully
 * Endpoints (JSON bodies; "id" names a session):
 *   GET  /                                  the page
 *   POST /offer {sdp,trickle}               -> {type:"answer",sdp,id}
 *   POST /sansrtc-offer {trickle}           -> {type:"offer",sdp,id}, channel
 *                                              "control" created by sansrtc
 *   POST /answer {id,sdp}
 *   POST /candidate {id,candidate}          a trickled browser candidate
 *                                              ("" ends them)
 *   POST /candidates {id}                   -> {"candidates":[...],"done":0|1}
 *   POST /state {id}                        -> {"state":"connected",
 *       "candidates":N,"mdns":M}: sansrtc's state, the candidates the page
 *       signaled and how many of them had mDNS names
 *   POST /result {scenario,ok,detail}       appended to the results file
 *   POST /kill-me {id}                      creates RESULTS.kill; the
 *       harness then kills the browser and this session reports, as the
 *       "kill" result, how long sansrtc took to see it disconnected
 *   POST /done                              the page has finished
 * With trickle, descriptions go out without candidates, which are then
 * fetched from /candidates.
 * Exits after /done (or the kill result), status 0 only when every
 * reported result was ok.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sansrtc/sansrtc.h>

#include "../../samples/sample_http.h"
#include "../../samples/sample_json.h"
#include "../../samples/sample_threads.h"

#define MAX_SESSIONS 64
#define MAX_CHANNELS 32
#define MAX_CANDIDATES 16
#define MSG_CAP (256 * 1024)
#define KILL_LIMIT_MS 20000 /* consent says disconnected by 8 s */

typedef struct channel_stats {
  uint32_t handle;
  char label[SANSRTC_DC_LABEL_MAX + 1];
  int opened, closed;
  uint64_t messages, bytes;
} channel_stats;

typedef struct session {
  int id;
  sansrtc_peer *peer;
  int trickle;
  pthread_mutex_t lock; /* guards everything below */
  char *candidates[MAX_CANDIDATES];
  int ncandidates, candidates_done;
  channel_stats channels[MAX_CHANNELS];
  int nchannels;
  int remote_candidates, mdns_candidates; /* as signaled by the page */
  long long kill_at_ms; /* > 0 once the page asked to be killed */
} session;

static const char *page_path, *results_path, *interfaces = "lo";
static int verbose;
static atomic_int stopping, failures, results;
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static session *sessions[MAX_SESSIONS];
static int nsessions;
static thread_set threads = THREAD_SET_INIT;

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void log_stderr(void *user, sansrtc_log_level level, const char *msg) {
  (void)user;
  (void)level;
  fprintf(stderr, "interop_peer: %s\n", msg);
}

static void write_result(const char *scenario, int ok, const char *detail) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&lock);
  FILE *f = fopen(results_path, "a");
  if (f != NULL) {
    fprintf(f, "%s\t%s\t", scenario, ok ? "ok" : "FAIL");
    for (const char *c = detail; *c != '\0'; c++) fputc(*c == '\t' || *c == '\n' ? ' ' : *c, f);
    fputc('\n', f);
    fclose(f);
  }
  pthread_mutex_unlock(&lock);
  fprintf(stderr, "interop_peer: %s: %s: %s\n", scenario, ok ? "ok" : "FAIL", detail);
  atomic_fetch_add(&results, 1);
  if (!ok || f == NULL) atomic_fetch_add(&failures, 1);
}

/* The number member `key` of a flat JSON object, or `otherwise`. */
static long json_number(const char *json, const char *key, long otherwise) {
  char *text = NULL;
  long v = otherwise;
  if (json_get(json, key, &text, &v) != 2) v = otherwise;
  free(text);
  return v;
}

/* The string member `key` of a flat JSON object (malloc'd), or NULL. */
static char *json_string(const char *json, const char *key) {
  char *text = NULL;
  long ignored;
  if (json_get(json, key, &text, &ignored) != 1) return NULL;
  return text;
}

/* ---- sessions ---------------------------------------------------------------- */

static session *find_session(long id) {
  pthread_mutex_lock(&sessions_lock);
  session *s = id >= 0 && id < nsessions ? sessions[id] : NULL;
  pthread_mutex_unlock(&sessions_lock);
  return s;
}

/* Creates a session (peer included) and lists it; NULL on failure. */
static session *new_session(int trickle) {
  session *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.interfaces = interfaces;
  if (verbose) {
    cfg.log_fn = log_stderr;
    cfg.log_level = SANSRTC_LOG_DEBUG;
  }
  if (sansrtc_peer_create(&s->peer, &cfg) != SANSRTC_OK) {
    free(s);
    return NULL;
  }
  s->trickle = trickle;
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_lock(&sessions_lock);
  s->id = nsessions < MAX_SESSIONS ? nsessions : -1;
  if (s->id >= 0) sessions[nsessions++] = s;
  pthread_mutex_unlock(&sessions_lock);
  if (s->id < 0) {
    sansrtc_peer_destroy(s->peer);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
  }
  return s;
}

static void free_session(session *s) {
  sansrtc_peer_destroy(s->peer);
  for (int i = 0; i < s->ncandidates; i++) free(s->candidates[i]);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* The stats slot of a channel, added on first sight; called locked. */
static channel_stats *channel_slot(session *s, uint32_t handle) {
  for (int i = 0; i < s->nchannels; i++)
    if (s->channels[i].handle == handle && !s->channels[i].closed) return &s->channels[i];
  if (s->nchannels == MAX_CHANNELS) return NULL;
  channel_stats *c = &s->channels[s->nchannels++];
  memset(c, 0, sizeof *c);
  c->handle = handle;
  sansrtc_channel_info info;
  if (sansrtc_peer_channel_info(s->peer, handle, &info) == SANSRTC_OK)
    snprintf(c->label, sizeof c->label, "%s", info.label);
  return c;
}

static void reply(session *s, uint32_t channel, const char *json) {
  (void)sansrtc_peer_send(s->peer, channel, json, strlen(json), 0, 5000);
}

static void command_open(session *s, const char *cmd) {
  sansrtc_dc_init init;
  sansrtc_dc_init_default(&init);
  init.ordered = json_number(cmd, "ordered", 1) != 0;
  init.max_retransmits = (int32_t)json_number(cmd, "maxRetransmits", -1);
  init.max_packet_lifetime_ms = (int32_t)json_number(cmd, "maxPacketLifeTime", -1);
  init.negotiated = json_number(cmd, "negotiated", 0) != 0;
  init.id = (uint16_t)json_number(cmd, "id", 0);
  char *label = json_string(cmd, "label");
  uint32_t handle;
  int rc = label != NULL ? sansrtc_peer_create_channel(s->peer, label, &init, &handle)
                         : SANSRTC_ERR_INVALID_ARGUMENT;
  if (rc != SANSRTC_OK)
    fprintf(stderr, "interop_peer: cannot open %s: %s\n", label != NULL ? label : "(no label)",
            sansrtc_strerror(rc));
  free(label);
}

static void command_close(session *s, const char *cmd) {
  char *label = json_string(cmd, "label");
  if (label == NULL) return;
  uint32_t handles[MAX_CHANNELS];
  int n = 0;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->nchannels; i++)
    if (!s->channels[i].closed && strcmp(s->channels[i].label, label) == 0)
      handles[n++] = s->channels[i].handle;
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; i < n; i++) (void)sansrtc_peer_close_channel(s->peer, handles[i]);
  free(label);
}

/* {"report":"label:opened,closed,messages,bytes;..."} */
static void command_report(session *s, uint32_t control) {
  char text[4096];
  size_t n = (size_t)snprintf(text, sizeof text, "{\"report\":\"");
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->nchannels && n < sizeof text - 128; i++) {
    const channel_stats *c = &s->channels[i];
    n += (size_t)snprintf(text + n, sizeof text - n, "%.60s:%d,%d,%llu,%llu;", c->label,
                          c->opened, c->closed, (unsigned long long)c->messages,
                          (unsigned long long)c->bytes);
  }
  pthread_mutex_unlock(&s->lock);
  snprintf(text + n, sizeof text - n, "\"}");
  reply(s, control, text);
}

static void handle_command(session *s, uint32_t control, const char *cmd) {
  char *name = json_string(cmd, "cmd");
  if (name == NULL) return;
  if (strcmp(name, "open") == 0) command_open(s, cmd);
  else if (strcmp(name, "close") == 0) command_close(s, cmd);
  else if (strcmp(name, "report") == 0) command_report(s, control);
  else if (strcmp(name, "close-pc") == 0) (void)sansrtc_peer_close(s->peer, 5000);
  free(name);
}

static void handle_message(session *s, const sansrtc_pc_event *ev, uint8_t *buf) {
  pthread_mutex_lock(&s->lock);
  channel_stats *c = channel_slot(s, ev->channel);
  int control = c != NULL && strcmp(c->label, "control") == 0;
  if (c != NULL) {
    c->messages++;
    c->bytes += ev->len;
  }
  pthread_mutex_unlock(&s->lock);
  int sink = c != NULL && strncmp(c->label, "sink", 4) == 0;
  if (control && !ev->binary && ev->len < MSG_CAP) {
    buf[ev->len] = '\0';
    handle_command(s, ev->channel, (const char *)buf);
  } else if (!sink) {
    int rc = sansrtc_peer_send(s->peer, ev->channel, buf, ev->len, ev->binary, 20000);
    if (rc != SANSRTC_OK)
      fprintf(stderr, "interop_peer: session %d: echo failed: %s\n", s->id, sansrtc_strerror(rc));
  }
}

static void handle_candidate(session *s, const char *candidate) {
  pthread_mutex_lock(&s->lock);
  if (candidate[0] == '\0') s->candidates_done = 1;
  else if (s->ncandidates < MAX_CANDIDATES &&
           (s->candidates[s->ncandidates] = strdup(candidate)) != NULL)
    s->ncandidates++;
  pthread_mutex_unlock(&s->lock);
}

static void track_channel(session *s, const sansrtc_pc_event *ev) {
  pthread_mutex_lock(&s->lock);
  channel_stats *c = channel_slot(s, ev->channel);
  if (c != NULL && ev->type == SANSRTC_PC_EVENT_CHANNEL_CLOSED) c->closed = 1;
  else if (c != NULL) c->opened = 1;
  pthread_mutex_unlock(&s->lock);
}

/* Reports the kill scenario once the connection is seen to go; 1 when
 * the session is finished with. */
static int check_kill(session *s, int state) {
  pthread_mutex_lock(&s->lock);
  long long armed = s->kill_at_ms;
  pthread_mutex_unlock(&s->lock);
  if (armed == 0) return 0;
  long long waited = now_ms() - armed;
  char detail[128];
  if (state == SANSRTC_PC_STATE_DISCONNECTED || state == SANSRTC_PC_STATE_FAILED) {
    snprintf(detail, sizeof detail, "sansrtc saw the page vanish: %s %lld ms after it asked",
             sansrtc_pc_state_name((sansrtc_pc_state)state), waited);
    write_result("kill", 1, detail);
  } else if (waited > KILL_LIMIT_MS || state == SANSRTC_PC_STATE_CLOSED) {
    snprintf(detail, sizeof detail, "still %s %lld ms after the page asked to be killed",
             sansrtc_pc_state_name((sansrtc_pc_state)state), waited);
    write_result("kill", 0, detail);
  } else {
    return 0;
  }
  atomic_store(&stopping, 1);
  return 1;
}

static void *run_session(void *arg) {
  session *s = arg;
  uint8_t *buf = malloc(MSG_CAP + 1);
  sansrtc_pc_event ev;
  int state = SANSRTC_PC_STATE_NEW;
  while (buf != NULL && !atomic_load(&stopping)) {
    int rc = sansrtc_peer_wait_event(s->peer, &ev, buf, MSG_CAP, 100);
    if (rc == 1 && ev.type == SANSRTC_PC_EVENT_MESSAGE) handle_message(s, &ev, buf);
    else if (rc == 1 && ev.type == SANSRTC_PC_EVENT_LOCAL_CANDIDATE) handle_candidate(s, ev.candidate);
    else if (rc == 1 && (ev.type == SANSRTC_PC_EVENT_DATA_CHANNEL ||
                         ev.type == SANSRTC_PC_EVENT_CHANNEL_OPEN ||
                         ev.type == SANSRTC_PC_EVENT_CHANNEL_CLOSED))
      track_channel(s, &ev);
    else if (rc == 1 && ev.type == SANSRTC_PC_EVENT_GATHERING_STATE &&
             ev.state == SANSRTC_GATHERING_COMPLETE)
      handle_candidate(s, "");
    else if (rc == 1 && ev.type == SANSRTC_PC_EVENT_CONNECTION_STATE) state = ev.state;
    if (check_kill(s, state)) break;
  }
  free(buf);
  return NULL;
}

/* ---- signaling endpoints ------------------------------------------------------ */

/* Counts the candidates in SDP text or one candidate line, and those
 * whose address is an mDNS name (the browser hides its host address). */
static void count_candidates(session *s, const char *text) {
  pthread_mutex_lock(&s->lock);
  for (const char *c = strstr(text, "candidate:"); c != NULL; c = strstr(c + 1, "candidate:")) {
    const char *end = strchr(c, '\n');
    size_t len = end != NULL ? (size_t)(end - c) : strlen(c);
    s->remote_candidates++;
    const char *local = strstr(c, ".local ");
    if (local != NULL && (size_t)(local - c) < len) s->mdns_candidates++;
  }
  pthread_mutex_unlock(&s->lock);
}

static int start_session(session *s) {
  return thread_set_spawn(&threads, run_session, s) ? SANSRTC_OK : SANSRTC_ERR_SYSTEM;
}

static void respond_error(int fd, const char *what, int rc) {
  char text[160];
  int n = snprintf(text, sizeof text, "%s: %s\n", what, sansrtc_strerror(rc));
  fprintf(stderr, "interop_peer: %s", text);
  http_respond(fd, "400 Bad Request", "text/plain", text, (size_t)n);
}

static void handle_offer(int fd, const char *body) {
  char *sdp = json_string(body, "sdp"), *answer = NULL;
  long trickle = json_number(body, "trickle", 0);
  session *s = NULL;
  int rc = sdp != NULL ? SANSRTC_OK : SANSRTC_ERR_INVALID_ARGUMENT;
  if (rc == SANSRTC_OK && (s = new_session(trickle != 0)) == NULL) rc = SANSRTC_ERR_NOMEM;
  if (rc == SANSRTC_OK) count_candidates(s, sdp);
  if (rc == SANSRTC_OK) rc = start_session(s);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_set_remote_description(s->peer, SANSRTC_SDP_OFFER, sdp);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_answer(s->peer, &answer);
  if (rc != SANSRTC_OK) {
    respond_error(fd, "offer refused", rc);
  } else {
    if (s->trickle) sdp_strip_candidates(answer);
    http_respond_description(fd, "answer", answer, s->id);
  }
  free(answer);
  free(sdp);
}

static void handle_sansrtc_offer(int fd, const char *body) {
  char *offer = NULL;
  long trickle = json_number(body, "trickle", 0);
  uint32_t control;
  session *s = new_session(trickle != 0);
  int rc = s != NULL ? start_session(s) : SANSRTC_ERR_NOMEM;
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_channel(s->peer, "control", NULL, &control);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_offer(s->peer, &offer);
  if (rc != SANSRTC_OK) {
    respond_error(fd, "cannot offer", rc);
  } else {
    if (s->trickle) sdp_strip_candidates(offer);
    http_respond_description(fd, "offer", offer, s->id);
  }
  free(offer);
}

/* The session named by the body's "id", or NULL (answered with 404). */
static session *body_session(int fd, const char *body) {
  session *s = find_session(json_number(body, "id", -1));
  if (s == NULL) http_respond(fd, "404 Not Found", "text/plain", "no such session\n", 16);
  return s;
}

static void handle_answer(int fd, const char *body) {
  session *s = body_session(fd, body);
  if (s == NULL) return;
  char *sdp = json_string(body, "sdp");
  int rc = sdp != NULL ? SANSRTC_OK : SANSRTC_ERR_INVALID_ARGUMENT;
  if (rc == SANSRTC_OK) count_candidates(s, sdp);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_set_remote_description(s->peer, SANSRTC_SDP_ANSWER, sdp);
  if (rc == SANSRTC_OK) http_respond(fd, "200 OK", "application/json", "{}", 2);
  else respond_error(fd, "answer refused", rc);
  free(sdp);
}

static void handle_remote_candidate(int fd, const char *body) {
  session *s = body_session(fd, body);
  if (s == NULL) return;
  char *candidate = json_string(body, "candidate");
  int rc = candidate != NULL ? SANSRTC_OK : SANSRTC_ERR_INVALID_ARGUMENT;
  if (rc == SANSRTC_OK && candidate[0] != '\0') count_candidates(s, candidate);
  /* Candidates sansrtc cannot use (TCP, mDNS names) are ignored, not refused. */
  if (rc == SANSRTC_OK) rc = sansrtc_peer_add_remote_candidate(s->peer, "0", candidate);
  if (rc == SANSRTC_OK)
    http_respond(fd, "200 OK", "application/json", "{}", 2);
  else respond_error(fd, "candidate refused", rc);
  free(candidate);
}

static void handle_local_candidates(int fd, const char *body) {
  session *s = body_session(fd, body);
  if (s == NULL) return;
  char *json = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&json, &size);
  if (f == NULL) return;
  fputs("{\"candidates\":[", f);
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->ncandidates; i++) {
    if (i > 0) fputc(',', f);
    json_write_string(f, s->candidates[i]);
  }
  fprintf(f, "],\"done\":%d}", s->candidates_done);
  pthread_mutex_unlock(&s->lock);
  fclose(f);
  http_respond(fd, "200 OK", "application/json", json, size);
  free(json);
}

static void handle_state(int fd, const char *body) {
  session *s = body_session(fd, body);
  if (s == NULL) return;
  char json[128];
  pthread_mutex_lock(&s->lock);
  int n = snprintf(json, sizeof json,
                   "{\"state\":\"%s\",\"candidates\":%d,\"mdns\":%d}",
                   sansrtc_pc_state_name(sansrtc_peer_connection_state(s->peer)),
                   s->remote_candidates, s->mdns_candidates);
  pthread_mutex_unlock(&s->lock);
  http_respond(fd, "200 OK", "application/json", json, (size_t)n);
}

static void handle_kill_me(int fd, const char *body) {
  session *s = body_session(fd, body);
  if (s == NULL) return;
  pthread_mutex_lock(&s->lock);
  s->kill_at_ms = now_ms();
  pthread_mutex_unlock(&s->lock);
  char path[4096];
  snprintf(path, sizeof path, "%s.kill", results_path);
  int kfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (kfd >= 0) close(kfd);
  http_respond(fd, "200 OK", "application/json", "{}", 2);
}

static void handle_result(int fd, const char *body) {
  char *scenario = json_string(body, "scenario"), *detail = json_string(body, "detail");
  int ok = strstr(body, "\"ok\":true") != NULL;
  if (scenario != NULL) write_result(scenario, ok, detail != NULL ? detail : "");
  free(scenario);
  free(detail);
  http_respond(fd, "200 OK", "application/json", "{}", 2);
}

static void serve_page(int fd) {
  FILE *f = fopen(page_path, "rb");
  char *text = f != NULL ? malloc(HTTP_MAX_BODY) : NULL;
  size_t n = text != NULL ? fread(text, 1, HTTP_MAX_BODY, f) : 0;
  if (n > 0) http_respond(fd, "200 OK", "text/html; charset=utf-8", text, n);
  else http_respond(fd, "500 Internal Server Error", "text/plain", "no page\n", 8);
  free(text);
  if (f != NULL) fclose(f);
}

static void *serve_request(void *arg) {
  int fd = (int)(intptr_t)arg;
  char *body = NULL;
  char *req = http_read_request(fd, &body);
  static const struct {
    const char *prefix;
    void (*handle)(int, const char *);
  } routes[] = {
      {"POST /offer ", handle_offer},
      {"POST /sansrtc-offer ", handle_sansrtc_offer},
      {"POST /answer ", handle_answer},
      {"POST /candidate ", handle_remote_candidate},
      {"POST /candidates ", handle_local_candidates},
      {"POST /state ", handle_state},
      {"POST /kill-me ", handle_kill_me},
      {"POST /result ", handle_result},
  };
  size_t i = 0;
  if (req == NULL) {
    http_respond(fd, "400 Bad Request", "text/plain", "bad request\n", 12);
  } else if (strncmp(req, "GET / ", 6) == 0 || strncmp(req, "GET /?", 6) == 0) {
    serve_page(fd);
  } else if (strncmp(req, "POST /done ", 11) == 0) {
    http_respond(fd, "200 OK", "application/json", "{}", 2);
    atomic_store(&stopping, 1);
  } else {
    while (i < sizeof routes / sizeof routes[0] &&
           strncmp(req, routes[i].prefix, strlen(routes[i].prefix)) != 0)
      i++;
    if (i < sizeof routes / sizeof routes[0]) routes[i].handle(fd, body);
    else http_respond(fd, "404 Not Found", "text/plain", "not found\n", 10);
  }
  free(req);
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  long port = 0;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--port") == 0 && v != NULL) port = atol(argv[++i]);
    else if (strcmp(argv[i], "--page") == 0 && v != NULL) page_path = argv[++i];
    else if (strcmp(argv[i], "--results") == 0 && v != NULL) results_path = argv[++i];
    else if (strcmp(argv[i], "--interfaces") == 0 && v != NULL) interfaces = argv[++i];
    else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    else page_path = NULL, i = argc;
  }
  if (page_path == NULL || results_path == NULL) {
    fprintf(stderr, "usage: interop_peer --page PATH --results PATH [--port P] "
                    "[--interfaces LIST] [--verbose]\n");
    return 2;
  }
  uint16_t bound;
  int lfd = port >= 0 && port <= 65535 ? http_listen(port, &bound) : -1;
  if (lfd < 0) {
    fprintf(stderr, "interop_peer: cannot listen: %s\n", strerror(errno));
    return 1;
  }
  printf("%u\n", bound);
  fflush(stdout);
  http_serve(lfd, &stopping, &threads, serve_request);
  for (int i = 0; i < nsessions; i++) free_session(sessions[i]);
  int n = atomic_load(&results), failed = atomic_load(&failures);
  fprintf(stderr, "interop_peer: %d results, %d failed\n", n, failed);
  return n > 0 && failed == 0 ? 0 : 1;
}
