/*
 * sample_http.h - just enough HTTP/1.1 for the samples' signaling servers:
 * read one request (headers and a Content-Length body), answer it, close.
 * One thread per request calls these; nothing here keeps state.
 * Header-only; not part of the library.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_SAMPLE_HTTP_H
#define SANSRTC_SAMPLE_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sample_json.h"
#include "sample_threads.h"

#define HTTP_MAX_BODY (1u << 20)

/* Sends a whole response with `len` bytes of body; errors are ignored
 * (the client went away). */
static inline void http_respond(int fd, const char *status, const char *type, const char *body,
                    size_t len) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                   status, type, len);
  if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n && len > 0)
    (void)send(fd, body, len, MSG_NOSIGNAL);
}

/* The value of header `name` (with its colon) in req..end, or NULL. */
static inline const char *http_find_header(const char *req, const char *end, const char *name) {
  size_t n = strlen(name);
  for (const char *p = strstr(req, "\r\n"); p != NULL && p < end; p = strstr(p + 2, "\r\n"))
    if (strncasecmp(p + 2, name, n) == 0) return p + 2 + n;
  return NULL;
}

/* Reads a request: headers, then Content-Length bytes of body. Returns
 * the malloc'd request (NUL-terminated) with *body pointing into it. */
static inline char *http_read_request(int fd, char **body) {
  size_t cap = 8192, len = 0, need = 0;
  char *req = malloc(cap + 1);
  while (req != NULL) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    if (len == cap) {
      char *bigger = cap < HTTP_MAX_BODY * 2 ? realloc(req, cap * 2 + 1) : NULL;
      if (bigger == NULL) break;
      req = bigger;
      cap *= 2;
    }
    ssize_t n = recv(fd, req + len, cap - len, 0);
    if (n <= 0) break;
    len += (size_t)n;
    req[len] = '\0';
    char *end = strstr(req, "\r\n\r\n");
    if (end == NULL) continue;
    if (need == 0) {
      const char *cl = http_find_header(req, end, "content-length:");
      size_t body_len = cl != NULL ? strtoul(cl, NULL, 10) : 0;
      if (body_len > HTTP_MAX_BODY) break;
      need = (size_t)(end + 4 - req) + body_len;
    }
    if (len >= need) {
      *body = end + 4;
      return req;
    }
  }
  free(req);
  return NULL;
}

/* Sends {"type":TYPE,"sdp":SDP[,"id":ID]} as the JSON response. */
static inline void http_respond_description(int fd, const char *type, const char *sdp, int id) {
  char *json = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&json, &size);
  if (f == NULL) return;
  fputs("{\"type\":", f);
  json_write_string(f, type);
  fputs(",\"sdp\":", f);
  json_write_string(f, sdp);
  if (id >= 0) fprintf(f, ",\"id\":%d", id);
  fputs("}", f);
  fclose(f);
  http_respond(fd, "200 OK", "application/json", json, size);
  free(json);
}

/* Listens on 127.0.0.1:port (0: any free port, stored in *bound).
 * Returns the socket or -1 with errno set. */
static inline int http_listen(long port, uint16_t *bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *bound = ntohs(a.sin_port);
  return fd;
}

/* Accepts connections on `lfd` and serves each on its own thread of
 * `threads` (handle gets the socket as (void *)(intptr_t)fd and must
 * close it) until *stop is set; then closes lfd and joins every thread. */
static inline void http_serve(int lfd, atomic_int *stop, thread_set *threads,
                              void *(*handle)(void *)) {
  while (!atomic_load(stop)) {
    struct pollfd p = {lfd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept(lfd, NULL, NULL);
    if (fd >= 0 && !thread_set_spawn(threads, handle, (void *)(intptr_t)fd)) close(fd);
  }
  close(lfd);
  thread_set_join_all(threads);
}

#endif
