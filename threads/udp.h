/*
 * udp.h - UDP sockets and host-candidate gathering for the threads layer
 * (internal).
 *
 * One socket per usable local address, bound to that address, so the
 * address a datagram arrived on is the socket's own and the core can match
 * it to a candidate without IP_PKTINFO. Sockets are non-blocking and
 * close-on-exec.
 *
 * Thread-safety: a socket set belongs to one peer's worker; gathering may
 * run on any thread.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef SANSRTC_UDP_H
#define SANSRTC_UDP_H

#include <stddef.h>
#include <stdint.h>

#include <sansrtc/common.h>
#include <sansrtc/peer.h>

#include "internal.h"

#define UDP_MAX_SOCKETS 8

typedef struct udp_socket {
  int fd;
  sansrtc_addr addr; /* the bound address and port */
} udp_socket;

typedef struct udp_gather_config {
  uint16_t port_min, port_max; /* 0, 0: ephemeral */
  int ipv4, ipv6;
  const char *interfaces; /* comma-separated names, NULL: all */
  int include_loopback;
} udp_gather_config;

/*
 * Binds one socket per usable address of the machine's interfaces that are
 * up (getifaddrs), at most `cap`: IPv4 and IPv6 as configured, never
 * link-local, loopback only when asked for, listed, or when nothing else
 * is usable. Returns SANSRTC_OK with *count >= 1, SANSRTC_ERR_NOT_FOUND
 * (no address), SANSRTC_ERR_SYSTEM (socket or bind failed, e.g. the port
 * range is used up) or SANSRTC_ERR_INVALID_ARGUMENT.
 */
int udp_gather(const udp_gather_config *cfg, udp_socket *out, size_t cap,
               size_t *count, const sansrtc_logger *log);

/*
 * Resolves a comma-separated list of STUN servers ("host", "host:port",
 * "[v6]:port", optionally prefixed "stun:"; port 3478 by default) into at
 * most `cap` addresses of the allowed families (getaddrinfo: names may
 * block on DNS). Returns SANSRTC_OK, SANSRTC_ERR_INVALID_ARGUMENT (bad
 * syntax) or SANSRTC_ERR_NOT_FOUND (a name that does not resolve).
 */
int udp_resolve_servers(const char *list, int ipv4, int ipv6, sansrtc_addr *out,
                        size_t cap, size_t *count);

/* Closes every socket of the set. */
void udp_close_all(udp_socket *s, size_t count);

/* At most UDP_SEND_BATCH datagrams go to the kernel in one call. */
#define UDP_SEND_BATCH 32

/* Sends d[0..n) (n at most UDP_SEND_BATCH) with one sendmmsg() from socket
 * `s`, each to its own remote; when the socket buffer is full, waits up to
 * a few milliseconds for room once. Returns how many were sent, in order:
 * 0 means the first could not be (the caller drops it and goes on). */
size_t udp_send_batch(const udp_socket *s, const sansrtc_pc_datagram *d, size_t n);

/* At most UDP_RECV_BATCH datagrams come from the kernel in one call. */
#define UDP_RECV_BATCH 8

/* Receives up to n (at most UDP_RECV_BATCH) waiting datagrams without
 * blocking, with one recvmmsg(): datagram i goes to bufs + i * stride (at
 * most `stride` bytes), its length to lens[i] and its source to from[i].
 * Empty, truncated or unaddressed datagrams come back with length 0 (to
 * skip). Returns how many were taken, 0 when none is waiting, or
 * SANSRTC_ERR_SYSTEM. */
int udp_recv_batch(const udp_socket *s, uint8_t *bufs, size_t stride, size_t n,
                   size_t *lens, sansrtc_addr *from);

#endif
