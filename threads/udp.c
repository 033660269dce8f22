/*
 * udp.c - UDP sockets and host-candidate gathering (udp.h).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdlib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp.h"

#define SOCKET_BUFFER_BYTES (4 * 1024 * 1024)
#define SEND_WAIT_MS 5

static socklen_t to_sockaddr(const sansrtc_addr *a, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (a->family == SANSRTC_AF_IPV6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    return sizeof *s6;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a->port);
  memcpy(&s4->sin_addr, a->ip, 4);
  return sizeof *s4;
}

/* Returns 0 for an address family other than IPv4/IPv6. */
static int from_sockaddr(const struct sockaddr *sa, sansrtc_addr *a) {
  memset(a, 0, sizeof *a);
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
    a->family = SANSRTC_AF_IPV6;
    a->port = ntohs(s6->sin6_port);
    memcpy(a->ip, &s6->sin6_addr, 16);
    return 1;
  }
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
    a->family = SANSRTC_AF_IPV4;
    a->port = ntohs(s4->sin_port);
    memcpy(a->ip, &s4->sin_addr, 4);
    return 1;
  }
  return 0;
}

/* Is `name` one of the comma-separated `list`? */
static int name_listed(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; *p != '\0';) {
    const char *end = strchr(p, ',');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return 1;
    if (end == NULL) break;
    p = end + 1;
  }
  return 0;
}

static int is_link_local(const sansrtc_addr *a) {
  if (a->family == SANSRTC_AF_IPV4) return a->ip[0] == 169 && a->ip[1] == 254;
  return a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80;
}

/* Binds a non-blocking socket to `addr` on a port from the range. */
static int bind_socket(udp_socket *s, const sansrtc_addr *addr,
                       const udp_gather_config *cfg) {
  int v6 = addr->family == SANSRTC_AF_IPV6;
  s->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) return SANSRTC_ERR_SYSTEM;
  int one = 1, bytes = SOCKET_BUFFER_BYTES;
  if (v6) (void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  (void)setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  sansrtc_addr a = *addr;
  unsigned lo = cfg->port_min, hi = cfg->port_max;
  unsigned span = lo == 0 && hi == 0 ? 1 : hi - lo + 1;
  unsigned start = 0;
  if (span > 1) {
    uint8_t r[2] = {0, 0};
    (void)sansrtc_random(NULL, NULL, r, sizeof r);
    start = ((unsigned)r[0] << 8 | r[1]) % span;
  }
  for (unsigned k = 0; k < span; k++) {
    a.port = (uint16_t)(lo == 0 && hi == 0 ? 0 : lo + (start + k) % span);
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(&a, &ss);
    if (bind(s->fd, (struct sockaddr *)&ss, sl) != 0) continue;
    sl = sizeof ss;
    if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) != 0) break;
    (void)from_sockaddr((struct sockaddr *)&ss, &s->addr);
    return SANSRTC_OK;
  }
  int saved = errno;
  close(s->fd);
  s->fd = -1;
  errno = saved;
  return SANSRTC_ERR_SYSTEM;
}

static int already_have(const udp_socket *s, size_t n, const sansrtc_addr *a) {
  for (size_t i = 0; i < n; i++)
    if (sansrtc_addr_equal_ip(&s[i].addr, a)) return 1;
  return 0;
}

/* One pass over the interfaces: loopback ones (want_loopback) or others. */
static int gather_pass(const udp_gather_config *cfg, const struct ifaddrs *list,
                       int want_loopback, udp_socket *out, size_t cap,
                       size_t *count, const sansrtc_logger *log) {
  for (const struct ifaddrs *i = list; i != NULL && *count < cap; i = i->ifa_next) {
    sansrtc_addr a;
    if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
        !from_sockaddr(i->ifa_addr, &a))
      continue;
    int loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    if (loopback != want_loopback || is_link_local(&a)) continue;
    if ((a.family == SANSRTC_AF_IPV4 && !cfg->ipv4) ||
        (a.family == SANSRTC_AF_IPV6 && !cfg->ipv6))
      continue;
    if (cfg->interfaces != NULL && !name_listed(cfg->interfaces, i->ifa_name))
      continue;
    if (already_have(out, *count, &a)) continue;
    a.port = 0;
    int rc = bind_socket(&out[*count], &a, cfg);
    char text[SANSRTC_ADDR_STRLEN];
    if (rc != SANSRTC_OK) {
      sansrtc_log(log, SANSRTC_LOG_WARNING, "udp: cannot bind %s on %s: %s",
                  sansrtc_addr_format_ip(&a, text, sizeof text), i->ifa_name,
                  strerror(errno));
      return rc;
    }
    sansrtc_log(log, SANSRTC_LOG_DEBUG, "udp: bound %s on %s",
                sansrtc_addr_format(&out[*count].addr, text, sizeof text),
                i->ifa_name);
    (*count)++;
  }
  return SANSRTC_OK;
}

int udp_gather(const udp_gather_config *cfg, udp_socket *out, size_t cap,
               size_t *count, const sansrtc_logger *log) {
  if (cfg == NULL || out == NULL || count == NULL || cap == 0 ||
      (!cfg->ipv4 && !cfg->ipv6) || (cfg->port_max < cfg->port_min))
    return SANSRTC_ERR_INVALID_ARGUMENT;
  *count = 0;
  struct ifaddrs *list;
  if (getifaddrs(&list) != 0) return SANSRTC_ERR_SYSTEM;
  int rc = gather_pass(cfg, list, 0, out, cap, count, log);
  if (rc == SANSRTC_OK && (cfg->include_loopback || *count == 0 ||
                           (cfg->interfaces != NULL)))
    rc = gather_pass(cfg, list, 1, out, cap, count, log);
  freeifaddrs(list);
  if (rc != SANSRTC_OK) {
    udp_close_all(out, *count);
    *count = 0;
    return rc;
  }
  return *count > 0 ? SANSRTC_OK : SANSRTC_ERR_NOT_FOUND;
}

/* Splits one "host[:port]" entry into host and port text. */
static int split_server(const char *entry, size_t len, char *host, size_t hcap,
                        char *port, size_t pcap) {
  if (len >= 5 && strncmp(entry, "stun:", 5) == 0) {
    entry += 5;
    len -= 5;
  }
  const char *end = entry + len, *colon = NULL;
  if (len > 0 && entry[0] == '[') { /* [v6]:port */
    const char *close = memchr(entry, ']', len);
    if (close == NULL) return -1;
    if (close + 1 < end && close[1] != ':') return -1;
    colon = close + 1 < end ? close + 1 : NULL;
    entry++;
    len = (size_t)(close - entry);
  } else {
    const char *c = memchr(entry, ':', len);
    if (c != NULL && memchr(c + 1, ':', (size_t)(end - c - 1)) == NULL) { /* one colon */
      colon = c;
      len = (size_t)(c - entry);
    }
  }
  size_t plen = colon != NULL ? (size_t)(end - colon - 1) : 4;
  if (len == 0 || len >= hcap || plen == 0 || plen >= pcap) return -1;
  memcpy(host, entry, len);
  host[len] = '\0';
  memcpy(port, colon != NULL ? colon + 1 : "3478", plen);
  port[plen] = '\0';
  for (size_t i = 0; i < plen; i++)
    if (port[i] < '0' || port[i] > '9') return -1;
  return atoi(port) > 0 && atoi(port) < 65536 ? 0 : -1;
}

int udp_resolve_servers(const char *list, int ipv4, int ipv6, sansrtc_addr *out,
                        size_t cap, size_t *count) {
  *count = 0;
  if (list == NULL) return SANSRTC_OK;
  for (const char *p = list; *p != '\0';) {
    const char *comma = strchr(p, ',');
    size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
    char host[256], port[8];
    if (split_server(p, len, host, sizeof host, port, sizeof port) != 0)
      return SANSRTC_ERR_INVALID_ARGUMENT;
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = ipv4 && !ipv6 ? AF_INET : ipv6 && !ipv4 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) return SANSRTC_ERR_NOT_FOUND;
    for (const struct addrinfo *ai = res; ai != NULL && *count < cap; ai = ai->ai_next) {
      sansrtc_addr a;
      if (!from_sockaddr(ai->ai_addr, &a)) continue;
      int dup = 0;
      for (size_t i = 0; i < *count; i++) dup |= sansrtc_addr_equal(&out[i], &a);
      if (!dup) out[(*count)++] = a;
    }
    freeaddrinfo(res);
    if (comma == NULL) break;
    p = comma + 1;
  }
  return SANSRTC_OK;
}

void udp_close_all(udp_socket *s, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (s[i].fd >= 0) close(s[i].fd);
    s[i].fd = -1;
  }
}

size_t udp_send_batch(const udp_socket *s, const sansrtc_pc_datagram *d, size_t n) {
  struct mmsghdr m[UDP_SEND_BATCH];
  struct iovec iov[UDP_SEND_BATCH];
  struct sockaddr_storage to[UDP_SEND_BATCH];
  if (n > UDP_SEND_BATCH) n = UDP_SEND_BATCH;
  memset(m, 0, n * sizeof m[0]);
  for (size_t i = 0; i < n; i++) {
    iov[i].iov_base = (void *)(uintptr_t)d[i].data;
    iov[i].iov_len = d[i].len;
    m[i].msg_hdr.msg_name = &to[i];
    m[i].msg_hdr.msg_namelen = to_sockaddr(&d[i].remote, &to[i]);
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  for (int tries = 0; tries < 2; tries++) {
    int sent = sendmmsg(s->fd, m, (unsigned)n, 0);
    if (sent > 0) return (size_t)sent;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) break;
    struct pollfd p = {s->fd, POLLOUT, 0};
    (void)poll(&p, 1, SEND_WAIT_MS);
  }
  return 0;
}

int udp_recv_batch(const udp_socket *s, uint8_t *bufs, size_t stride, size_t n,
                   size_t *lens, sansrtc_addr *from) {
  struct mmsghdr m[UDP_RECV_BATCH];
  struct iovec iov[UDP_RECV_BATCH];
  struct sockaddr_storage ss[UDP_RECV_BATCH];
  if (n > UDP_RECV_BATCH) n = UDP_RECV_BATCH;
  memset(m, 0, n * sizeof m[0]);
  for (size_t i = 0; i < n; i++) {
    iov[i].iov_base = bufs + i * stride;
    iov[i].iov_len = stride;
    m[i].msg_hdr.msg_name = &ss[i];
    m[i].msg_hdr.msg_namelen = sizeof ss[i];
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    int got = recvmmsg(s->fd, m, (unsigned)n, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      /* ICMP errors (port unreachable) surface here on Linux: not fatal. */
      if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
        continue;
      return SANSRTC_ERR_SYSTEM;
    }
    for (int i = 0; i < got; i++) {
      int ok = m[i].msg_len > 0 && !(m[i].msg_hdr.msg_flags & MSG_TRUNC) &&
               from_sockaddr((struct sockaddr *)&ss[i], &from[i]);
      lens[i] = ok ? m[i].msg_len : 0;
    }
    return got;
  }
}
