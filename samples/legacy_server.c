/*
 * legacy_server - a plain thread-per-client TCP server, the kind many
 * programs already are, that gives each client a WebRTC peer connection.
 *
 * usage: legacy_server [--port P] [--interfaces LIST] [--self-test N]
 *                      [--messages M] [--verbose]
 *
 * Each TCP client sends its offer as one JSON line
 * ({"type":"offer","sdp":"..."}, candidates may follow as
 * {"candidate":...} lines) and gets the answer back the same way; the
 * client's thread then echoes every data-channel message until the channel
 * or the connection closes, destroys the peer and closes the socket. The
 * signaling is the TCP connection the server already had; the peer
 * connection is one more object owned by the client's thread.
 *
 * --self-test N starts N client threads in the same process, each one a
 * sansrtc offerer that connects over TCP, sends M messages (default 20)
 * and checks every echo; the server stops when they are done. Exit status
 * 0 when every client succeeded. Without it the server runs until killed,
 * printing its port on stdout.
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
#include <sys/socket.h>
#include <unistd.h>

#include <sansrtc/sansrtc.h>

#include "sample_json.h"
#include "sample_threads.h"

#define WAIT_MS 20000

static const char *interfaces;
static int verbose;
static atomic_int stopping;

static void log_stderr(void *user, sansrtc_log_level level, const char *msg) {
  (void)level;
  fprintf(stderr, "[%s] %s\n", (const char *)user, msg);
}

static int new_peer(sansrtc_peer **p, const char *name) {
  sansrtc_peer_config cfg;
  sansrtc_peer_config_default(&cfg);
  cfg.interfaces = interfaces;
  if (verbose) {
    cfg.log_fn = log_stderr;
    cfg.log_user_data = (void *)name;
    cfg.log_level = SANSRTC_LOG_INFO;
  }
  int rc = sansrtc_peer_create(p, &cfg);
  if (rc != SANSRTC_OK) fprintf(stderr, "%s: create: %s\n", name, sansrtc_strerror(rc));
  return rc;
}

/* ---- line-oriented TCP I/O -------------------------------------------------- */

typedef struct line_reader {
  int fd;
  char *buf;
  size_t len, cap;
} line_reader;

/* Returns a malloc'd line without its newline, or NULL at end, on error,
 * or after timeout_ms without a complete line. */
static char *read_line(line_reader *r, int timeout_ms) {
  for (;;) {
    char *nl = r->len > 0 ? memchr(r->buf, '\n', r->len) : NULL;
    if (nl != NULL) {
      size_t n = (size_t)(nl - r->buf);
      char *line = malloc(n + 1);
      if (line == NULL) return NULL;
      memcpy(line, r->buf, n);
      line[n] = '\0';
      if (n > 0 && line[n - 1] == '\r') line[n - 1] = '\0';
      r->len -= n + 1;
      memmove(r->buf, nl + 1, r->len);
      return line;
    }
    if (r->len + 4096 > r->cap) {
      size_t cap = r->cap ? r->cap * 2 : 65536;
      if (cap > (16u << 20)) return NULL; /* no sane signaling line is this long */
      char *b = realloc(r->buf, cap);
      if (b == NULL) return NULL;
      r->buf = b;
      r->cap = cap;
    }
    struct pollfd p = {r->fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return NULL;
    ssize_t n = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
    if (n <= 0) return NULL;
    r->len += (size_t)n;
  }
}

static int write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Sends {"type":TYPE,"sdp":SDP}\n. */
static int write_description(int fd, const char *type, const char *sdp) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (f == NULL) return -1;
  fputs("{\"type\":", f);
  json_write_string(f, type);
  fputs(",\"sdp\":", f);
  json_write_string(f, sdp);
  fputs("}\n", f);
  fclose(f);
  int rc = write_all(fd, text, size);
  free(text);
  return rc;
}

/* ---- the server side: one thread per TCP client ---------------------------------- */

/* Applies signaling lines until the offer is answered. */
static int answer_client(sansrtc_peer *p, line_reader *r) {
  for (;;) {
    char *line = read_line(r, WAIT_MS), *type = NULL, *sdp = NULL, *cand = NULL;
    long num;
    if (line == NULL) return -1;
    int ok = 0;
    if (json_get(line, "type", &type, &num) == 1 && strcmp(type, "offer") == 0 &&
        json_get(line, "sdp", &sdp, &num) == 1) {
      char *answer = NULL;
      ok = sansrtc_peer_set_remote_description(p, SANSRTC_SDP_OFFER, sdp) == SANSRTC_OK &&
           sansrtc_peer_create_answer(p, &answer) == SANSRTC_OK &&
           write_description(r->fd, "answer", answer) == 0 ? 1 : -1;
      free(answer);
    } else if (json_get(line, "candidate", &cand, &num) == 1) {
      (void)sansrtc_peer_add_remote_candidate(p, NULL, cand);
    }
    free(line);
    free(type);
    free(sdp);
    free(cand);
    if (ok != 0) return ok > 0 ? 0 : -1;
  }
}

/* Echoes messages until the channel or the connection ends. */
static void echo_until_closed(sansrtc_peer *p) {
  uint8_t *buf = malloc(262144);
  sansrtc_pc_event ev;
  int idle_ms = 0;
  while (buf != NULL && idle_ms < WAIT_MS && !atomic_load(&stopping)) {
    int rc = sansrtc_peer_wait_event(p, &ev, buf, 262144, 100);
    if (rc != 1) {
      idle_ms += 100;
      continue;
    }
    idle_ms = 0;
    if (ev.type == SANSRTC_PC_EVENT_MESSAGE)
      (void)sansrtc_peer_send(p, ev.channel, buf, ev.len, ev.binary, WAIT_MS);
    if (ev.type == SANSRTC_PC_EVENT_CHANNEL_CLOSED) break;
    if (ev.type == SANSRTC_PC_EVENT_CONNECTION_STATE &&
        (ev.state == SANSRTC_PC_STATE_FAILED || ev.state == SANSRTC_PC_STATE_CLOSED))
      break;
  }
  free(buf);
}

static void *serve_client(void *arg) {
  int fd = (int)(intptr_t)arg;
  line_reader r = {fd, NULL, 0, 0};
  sansrtc_peer *p = NULL;
  if (new_peer(&p, "server") == SANSRTC_OK && answer_client(p, &r) == 0)
    echo_until_closed(p);
  sansrtc_peer_destroy(p);
  free(r.buf);
  close(fd);
  return NULL;
}

typedef struct server {
  int listen_fd;
  uint16_t port;
  pthread_t thread;
  thread_set clients;
} server;

static void *accept_loop(void *arg) {
  server *s = arg;
  while (!atomic_load(&stopping)) {
    struct pollfd p = {s->listen_fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd >= 0 && !thread_set_spawn(&s->clients, serve_client, (void *)(intptr_t)fd))
      close(fd);
  }
  thread_set_join_all(&s->clients);
  return NULL;
}

static int start_server(server *s, uint16_t port) {
  s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd < 0) return -1;
  int one = 1;
  (void)setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(s->listen_fd, 128) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0) {
    close(s->listen_fd);
    return -1;
  }
  s->port = ntohs(a.sin_port);
  if (pthread_create(&s->thread, NULL, accept_loop, s) != 0) {
    close(s->listen_fd);
    return -1;
  }
  return 0;
}

/* ---- the self-test clients ----------------------------------------------------------- */

typedef struct client {
  uint16_t port;
  int messages, index;
  int ok;
  pthread_t thread;
} client;

static int connect_tcp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

/* Offers over TCP, takes the answer, and checks `messages` echoes. */
static int run_client(client *c, sansrtc_peer *p, int fd) {
  line_reader r = {fd, NULL, 0, 0};
  uint32_t ch;
  char *offer = NULL, *line = NULL, *type = NULL, *sdp = NULL;
  long num;
  int ok = sansrtc_peer_create_channel(p, "legacy", NULL, &ch) == SANSRTC_OK &&
           sansrtc_peer_create_offer(p, &offer) == SANSRTC_OK &&
           write_description(fd, "offer", offer) == 0 &&
           (line = read_line(&r, WAIT_MS)) != NULL &&
           json_get(line, "type", &type, &num) == 1 && strcmp(type, "answer") == 0 &&
           json_get(line, "sdp", &sdp, &num) == 1 &&
           sansrtc_peer_set_remote_description(p, SANSRTC_SDP_ANSWER, sdp) == SANSRTC_OK;
  free(offer);
  free(line);
  free(type);
  free(sdp);
  free(r.buf);
  sansrtc_pc_event ev;
  char msg[64], echo[64];
  while (ok && sansrtc_peer_wait_event(p, &ev, NULL, 0, WAIT_MS) == 1 &&
         !(ev.type == SANSRTC_PC_EVENT_CHANNEL_OPEN && ev.channel == ch)) {}
  ok = ok && ev.type == SANSRTC_PC_EVENT_CHANNEL_OPEN;
  for (int k = 0; ok && k < c->messages; k++) {
    int n = snprintf(msg, sizeof msg, "client %d message %d", c->index, k);
    ok = sansrtc_peer_send(p, ch, msg, (size_t)n, 0, WAIT_MS) == SANSRTC_OK;
    while (ok && (ok = sansrtc_peer_wait_event(p, &ev, (uint8_t *)echo, sizeof echo,
                                               WAIT_MS) == 1) &&
           ev.type != SANSRTC_PC_EVENT_MESSAGE) {}
    ok = ok && ev.len == (size_t)n && memcmp(echo, msg, (size_t)n) == 0;
  }
  return ok;
}

static void *client_main(void *arg) {
  client *c = arg;
  sansrtc_peer *p = NULL;
  int fd = connect_tcp(c->port);
  if (fd >= 0 && new_peer(&p, "client") == SANSRTC_OK) {
    c->ok = run_client(c, p, fd);
    sansrtc_peer_close(p, 2000); /* the server sees the channel close */
  }
  sansrtc_peer_destroy(p);
  if (fd >= 0) close(fd);
  if (!c->ok) fprintf(stderr, "legacy_server: client %d failed\n", c->index);
  return NULL;
}

static int self_test(uint16_t port, int n, int messages) {
  client *c = calloc((size_t)n, sizeof *c);
  if (c == NULL) return 0;
  int started = 0, ok = 0;
  for (int i = 0; i < n; i++) {
    c[i].port = port;
    c[i].messages = messages;
    c[i].index = i;
    if (pthread_create(&c[i].thread, NULL, client_main, &c[i]) != 0) break;
    started++;
  }
  for (int i = 0; i < started; i++) {
    pthread_join(c[i].thread, NULL);
    ok += c[i].ok;
  }
  free(c);
  printf("legacy_server: %d of %d clients connected and echoed %d messages each\n", ok,
         n, messages);
  return ok == n;
}

int main(int argc, char **argv) {
  long port = 0, clients = 0, messages = 20;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--port") == 0 && v != NULL) port = atol(argv[++i]);
    else if (strcmp(argv[i], "--self-test") == 0 && v != NULL) clients = atol(argv[++i]);
    else if (strcmp(argv[i], "--messages") == 0 && v != NULL) messages = atol(argv[++i]);
    else if (strcmp(argv[i], "--interfaces") == 0 && v != NULL) interfaces = argv[++i];
    else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    else {
      fprintf(stderr, "usage: legacy_server [--port P] [--interfaces LIST] "
                      "[--self-test N] [--messages M] [--verbose]\n");
      return 2;
    }
  }
  if (port < 0 || port > 65535 || clients < 0 || clients > THREAD_SET_MAX / 2 || messages < 0)
    return 2;
  server *s = calloc(1, sizeof *s);
  if (s != NULL) pthread_mutex_init(&s->clients.lock, NULL);
  if (s == NULL || start_server(s, (uint16_t)port) != 0) {
    fprintf(stderr, "legacy_server: cannot listen on port %ld\n", port);
    free(s);
    return 1;
  }
  int ok = 1;
  if (clients > 0) {
    ok = self_test(s->port, (int)clients, (int)messages);
  } else {
    printf("%u\n", s->port);
    fflush(stdout);
    for (;;) pause(); /* until killed */
  }
  atomic_store(&stopping, 1);
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
  free(s);
  return ok ? 0 : 1;
}
