/*
 * browser - talk to a web browser over a data channel.
 *
 * usage: browser [--port P] [--interfaces LIST] [--exit-after-result]
 *                [--verbose]
 *
 * A small HTTP server with one thread per request (the legacy-server
 * pattern sansrtc is for) serves one page on http://127.0.0.1:P/ (port
 * 8080 by default; 0 picks one, printed on stdout). The page creates an
 * RTCPeerConnection and a data channel, POSTs its offer to /offer once
 * gathering is done, applies the answer it gets back, and then echoes:
 * what you type comes back from sansrtc. Open it in a browser on this
 * machine.
 *
 * With /?role=answer the roles swap: sansrtc offers (POST /sansrtc-offer
 * returns its offer and a session id, with the channel already created on
 * its side) and the page answers (POST /answer).
 *
 * For automated runs, /?auto=N makes the page send N messages itself,
 * check every echo and POST {"ok":true|false,"detail":...} to /result;
 * with --exit-after-result the server then exits, with status 0 only when
 * the page reported success.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sansrtc/sansrtc.h>

#include "sample_http.h"
#include "sample_json.h"
#include "sample_threads.h"

#define SESSION_IDLE_MS 120000

static const char page[] =
    "<!doctype html><html><head><meta charset=utf-8><title>sansrtc echo</title>"
    "<style>body{font:14px sans-serif;margin:2em}#log{white-space:pre-wrap;"
    "border:1px solid #ccc;padding:.5em;min-height:10em}</style></head><body>"
    "<h1>sansrtc data-channel echo</h1><p id=state>connecting...</p>"
    "<input id=text size=50 disabled placeholder='type and press Enter'>"
    "<div id=log></div><script>\n"
    "const log = (s) => { document.getElementById('log').textContent += s + '\\n'; };\n"
    "const state = (s) => { console.log(s); document.getElementById('state').textContent = s; };\n"
    "const auto = parseInt(new URLSearchParams(location.search).get('auto') || '0');\n"
    "async function report(ok, detail) {\n"
    "  await fetch('/result', {method: 'POST', body: JSON.stringify({ok, detail})});\n"
    "}\n"
    "const gathered = (pc) => new Promise((done) => {\n"
    "  if (pc.iceGatheringState === 'complete') return done();\n"
    "  pc.onicegatheringstatechange = () => {\n"
    "    if (pc.iceGatheringState === 'complete') done(); };\n"
    "  setTimeout(done, 3000);\n"
    "});\n"
    "async function post(path, body) {\n"
    "  const res = await fetch(path, {method: 'POST', body: JSON.stringify(body)});\n"
    "  if (!res.ok) throw new Error(path + ' refused: ' + await res.text());\n"
    "  return res.json();\n"
    "}\n"
    "async function browserOffers(pc) {\n"
    "  const dc = pc.createDataChannel('echo');\n"
    "  await pc.setLocalDescription(await pc.createOffer());\n"
    "  state('gathering candidates...');\n"
    "  await gathered(pc);\n"
    "  state('sending the offer');\n"
    "  await pc.setRemoteDescription(await post('/offer',\n"
    "    {type: 'offer', sdp: pc.localDescription.sdp}));\n"
    "  return dc;\n"
    "}\n"
    "async function sansrtcOffers(pc) {\n"
    "  const channel = new Promise((got) => { pc.ondatachannel = (e) => got(e.channel); });\n"
    "  const offer = await post('/sansrtc-offer', {});\n"
    "  await pc.setRemoteDescription({type: 'offer', sdp: offer.sdp});\n"
    "  await pc.setLocalDescription(await pc.createAnswer());\n"
    "  state('gathering candidates...');\n"
    "  await gathered(pc);\n"
    "  state('sending the answer');\n"
    "  await post('/answer', {id: offer.id, type: 'answer', sdp: pc.localDescription.sdp});\n"
    "  return channel;\n"
    "}\n"
    "async function main() {\n"
    "  const pc = new RTCPeerConnection();\n"
    "  pc.onconnectionstatechange = () => state('connection: ' + pc.connectionState);\n"
    "  const role = new URLSearchParams(location.search).get('role');\n"
    "  const dc = role === 'answer' ? await sansrtcOffers(pc) : await browserOffers(pc);\n"
    "  const input = document.getElementById('text');\n"
    "  dc.onmessage = (e) => log('echo: ' + e.data);\n"
    "  const opened = () => {\n"
    "    state('data channel open');\n"
    "    input.disabled = false;\n"
    "    input.onkeydown = (e) => {\n"
    "      if (e.key === 'Enter' && input.value) { dc.send(input.value); input.value = ''; } };\n"
    "    if (auto > 0) runAuto(dc);\n"
    "  };\n"
    "  if (dc.readyState === 'open') opened(); else dc.onopen = opened;\n"
    "}\n"
    "function runAuto(dc) {\n"
    "  let next = 0;\n"
    "  const t0 = performance.now();\n"
    "  dc.onmessage = (e) => {\n"
    "    const want = 'message ' + next;\n"
    "    if (e.data !== want) { report(false, 'got ' + e.data + ', wanted ' + want); return; }\n"
    "    if (++next === auto) {\n"
    "      log(auto + ' echoes ok');\n"
    "      report(true, auto + ' echoes in ' + Math.round(performance.now() - t0) + ' ms');\n"
    "    }\n"
    "  };\n"
    "  for (let i = 0; i < auto; i++) dc.send('message ' + i);\n"
    "}\n"
    "main().catch((e) => { state('error: ' + e); report(false, String(e)); });\n"
    "</script></body></html>\n";

static const char *interfaces;
static int verbose, exit_after_result;
static atomic_int stopping, result_ok;

/* ---- sessions: one peer connection per page, echoing on its own thread ---- */

static void log_stderr(void *user, sansrtc_log_level level, const char *msg) {
  (void)user;
  (void)level;
  fprintf(stderr, "browser: %s\n", msg);
}

static void *run_session(void *arg) {
  sansrtc_peer *p = arg;
  uint8_t *buf = malloc(262144);
  sansrtc_pc_event ev;
  int idle_ms = 0;
  while (buf != NULL && idle_ms < SESSION_IDLE_MS && !atomic_load(&stopping)) {
    int rc = sansrtc_peer_wait_event(p, &ev, buf, 262144, 100);
    if (rc != 1) {
      idle_ms += 100;
      continue;
    }
    idle_ms = 0;
    if (ev.type == SANSRTC_PC_EVENT_MESSAGE)
      (void)sansrtc_peer_send(p, ev.channel, buf, ev.len, ev.binary, 5000);
    if (ev.type == SANSRTC_PC_EVENT_CONNECTION_STATE) {
      fprintf(stderr, "browser: connection %s\n",
              sansrtc_pc_state_name((sansrtc_pc_state)ev.state));
      if (ev.state == SANSRTC_PC_STATE_FAILED || ev.state == SANSRTC_PC_STATE_CLOSED) break;
    }
  }
  free(buf);
  sansrtc_peer_close(p, 1000);
  sansrtc_peer_destroy(p);
  return NULL;
}

/* Request threads and sessions alike, all joined before exit. */
static thread_set threads = THREAD_SET_INIT;

/* Peers that offered and wait for the page's answer (role=answer). */
#define MAX_PENDING 16
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static sansrtc_peer *pending[MAX_PENDING];

static int new_session_peer(sansrtc_peer **p) {
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.interfaces = interfaces;
  if (verbose) {
    cfg.log_fn = log_stderr;
    cfg.log_level = SANSRTC_LOG_DEBUG;
  }
  return sansrtc_peer_create(p, &cfg);
}

/* Makes an offer with a channel on a new peer, kept until /answer. Returns
 * the offer (malloc'd) with *id set, or NULL. */
static char *make_offer(int *id) {
  sansrtc_peer *p = NULL;
  uint32_t ch;
  char *offer = NULL;
  int rc = new_session_peer(&p);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_channel(p, "echo", NULL, &ch);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_offer(p, &offer);
  pthread_mutex_lock(&pending_lock);
  *id = -1;
  for (int i = 0; rc == SANSRTC_OK && i < MAX_PENDING && *id < 0; i++)
    if (pending[i] == NULL) {
      pending[i] = p;
      *id = i;
    }
  pthread_mutex_unlock(&pending_lock);
  if (rc != SANSRTC_OK || *id < 0) {
    fprintf(stderr, "browser: cannot offer: %s\n",
            rc != SANSRTC_OK ? sansrtc_strerror(rc) : "too many pending offers");
    free(offer);
    sansrtc_peer_destroy(p);
    return NULL;
  }
  return offer;
}

/* Applies the page's answer to pending offer `id` and starts its session. */
static int take_answer(long id, const char *sdp) {
  sansrtc_peer *p = NULL;
  pthread_mutex_lock(&pending_lock);
  if (id >= 0 && id < MAX_PENDING) {
    p = pending[id];
    pending[id] = NULL;
  }
  pthread_mutex_unlock(&pending_lock);
  if (p == NULL) return SANSRTC_ERR_NOT_FOUND;
  int rc = sansrtc_peer_set_remote_description(p, SANSRTC_SDP_ANSWER, sdp);
  if (rc == SANSRTC_OK && !thread_set_spawn(&threads, run_session, p)) rc = SANSRTC_ERR_SYSTEM;
  if (rc != SANSRTC_OK) {
    fprintf(stderr, "browser: answer refused: %s\n", sansrtc_strerror(rc));
    sansrtc_peer_destroy(p);
  }
  return rc;
}

/* Answers an offer: returns the answer SDP (malloc'd) or NULL, with the
 * session started. */
static char *accept_offer(const char *sdp) {
  sansrtc_peer *p = NULL;
  int rc = new_session_peer(&p);
  char *answer = NULL;
  if (rc == SANSRTC_OK) rc = sansrtc_peer_set_remote_description(p, SANSRTC_SDP_OFFER, sdp);
  if (rc == SANSRTC_OK) rc = sansrtc_peer_create_answer(p, &answer);
  if (rc == SANSRTC_OK && !thread_set_spawn(&threads, run_session, p)) rc = SANSRTC_ERR_SYSTEM;
  if (rc != SANSRTC_OK) {
    fprintf(stderr, "browser: offer refused: %s\n", sansrtc_strerror(rc));
    free(answer);
    sansrtc_peer_destroy(p);
    return NULL;
  }
  return answer;
}

/* ---- HTTP, one thread per request ------------------------------------------- */

static void handle_offer(int fd, const char *body) {
  char *type = NULL, *sdp = NULL;
  long num;
  char *answer = NULL;
  if (json_get(body, "type", &type, &num) == 1 && strcmp(type, "offer") == 0 &&
      json_get(body, "sdp", &sdp, &num) == 1)
    answer = accept_offer(sdp);
  if (answer == NULL) http_respond(fd, "400 Bad Request", "text/plain", "bad offer\n", 10);
  else http_respond_description(fd, "answer", answer, -1);
  free(answer);
  free(type);
  free(sdp);
}

static void handle_sansrtc_offer(int fd) {
  int id;
  char *offer = make_offer(&id);
  if (offer == NULL) http_respond(fd, "503 Service Unavailable", "text/plain", "no offer\n", 9);
  else http_respond_description(fd, "offer", offer, id);
  free(offer);
}

static void handle_answer(int fd, const char *body) {
  char *type = NULL, *sdp = NULL;
  long id = -1;
  char *ignored = NULL;
  int ok = json_get(body, "type", &type, &id) == 1 && strcmp(type, "answer") == 0 &&
           json_get(body, "sdp", &sdp, &id) == 1 && json_get(body, "id", &ignored, &id) == 2 &&
           take_answer(id, sdp) == SANSRTC_OK;
  if (ok) http_respond(fd, "200 OK", "application/json", "{}", 2);
  else http_respond(fd, "400 Bad Request", "text/plain", "bad answer\n", 11);
  free(type);
  free(sdp);
  free(ignored);
}

static void handle_result(int fd, const char *body) {
  char *detail = NULL;
  long num;
  int ok = strstr(body, "\"ok\":true") != NULL;
  (void)json_get(body, "detail", &detail, &num);
  fprintf(stderr, "browser: the page reports %s: %s\n", ok ? "success" : "failure",
          detail != NULL ? detail : "");
  free(detail);
  http_respond(fd, "200 OK", "text/plain", "ok\n", 3);
  if (exit_after_result) {
    atomic_store(&result_ok, ok);
    atomic_store(&stopping, 1);
  }
}

static void *serve_request(void *arg) {
  int fd = (int)(intptr_t)arg;
  char *body = NULL;
  char *req = http_read_request(fd, &body);
  if (req == NULL) {
    http_respond(fd, "400 Bad Request", "text/plain", "bad request\n", 12);
  } else if (strncmp(req, "GET / ", 6) == 0 || strncmp(req, "GET /?", 6) == 0) {
    http_respond(fd, "200 OK", "text/html; charset=utf-8", page, sizeof page - 1);
  } else if (strncmp(req, "POST /offer ", 12) == 0) {
    handle_offer(fd, body);
  } else if (strncmp(req, "POST /result ", 13) == 0) {
    handle_result(fd, body);
  } else if (strncmp(req, "POST /sansrtc-offer ", 20) == 0) {
    handle_sansrtc_offer(fd);
  } else if (strncmp(req, "POST /answer ", 13) == 0) {
    handle_answer(fd, body);
  } else {
    http_respond(fd, "404 Not Found", "text/plain", "not found\n", 10);
  }
  free(req);
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  long port = 8080;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--port") == 0 && v != NULL) port = atol(argv[++i]);
    else if (strcmp(argv[i], "--interfaces") == 0 && v != NULL) interfaces = argv[++i];
    else if (strcmp(argv[i], "--exit-after-result") == 0) exit_after_result = 1;
    else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    else {
      fprintf(stderr, "usage: browser [--port P] [--interfaces LIST] "
                      "[--exit-after-result] [--verbose]\n");
      return 2;
    }
  }
  uint16_t bound;
  int lfd = port >= 0 && port <= 65535 ? http_listen(port, &bound) : -1;
  if (lfd < 0) {
    fprintf(stderr, "browser: cannot listen on 127.0.0.1:%ld: %s\n", port, strerror(errno));
    return 1;
  }
  printf("%u\n", bound);
  fflush(stdout);
  fprintf(stderr, "browser: open http://127.0.0.1:%u/ in a browser on this machine\n", bound);
  http_serve(lfd, &stopping, &threads, serve_request);
  for (int i = 0; i < MAX_PENDING; i++) sansrtc_peer_destroy(pending[i]); /* never answered */
  return exit_after_result && !atomic_load(&result_ok) ? 1 : 0;
}
