/*
 * ice_loopback - two sansrtc ICE agents connect over real UDP sockets on
 * loopback, driven by a poll() loop whose timeout comes from the agents'
 * deadlines: the sans-I/O pattern the threads layer is built on.
 *
 * usage: ice_loopback [--ipv6] [--runs N] [--hold SECONDS] [--verbose]
 *
 * Each run creates both agents, "signals" credentials and candidates between
 * them in-process, and prints the time until both report connected and the
 * selected pair. --hold keeps the last run connected for that long so
 * consent freshness checks can be watched with --verbose. Exit status 0 when
 * every run connected.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sansrtc/ice.h>
#include <sansrtc/stun.h>

typedef struct peer {
  const char *name;
  int fd;
  sansrtc_addr addr;
  sansrtc_ice_agent *agent;
  sansrtc_ice_candidate cand;
  int connected;
} peer;

static int verbose;

static sansrtc_tstamp now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (sansrtc_tstamp)ts.tv_sec * SANSRTC_SECONDS + (sansrtc_tstamp)ts.tv_nsec;
}

static void log_cb(void *user, sansrtc_log_level level, const char *msg) {
  (void)level;
  fprintf(stderr, "[%s] %s\n", (const char *)user, msg);
}

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

static void from_sockaddr(const struct sockaddr_storage *ss, sansrtc_addr *a) {
  memset(a, 0, sizeof *a);
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    a->family = SANSRTC_AF_IPV6;
    a->port = ntohs(s6->sin6_port);
    memcpy(a->ip, &s6->sin6_addr, 16);
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    a->family = SANSRTC_AF_IPV4;
    a->port = ntohs(s4->sin_port);
    memcpy(a->ip, &s4->sin_addr, 4);
  }
}

/* Opens a UDP socket on the loopback address with an ephemeral port. */
static int open_socket(peer *p, int ipv6) {
  const char *ip = ipv6 ? "::1" : "127.0.0.1";
  if (sansrtc_addr_parse(&p->addr, ip, 0) != SANSRTC_OK) return -1;
  p->fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (p->fd < 0) return -1;
  struct sockaddr_storage ss;
  socklen_t sl = to_sockaddr(&p->addr, &ss);
  if (bind(p->fd, (struct sockaddr *)&ss, sl) != 0) return -1;
  sl = sizeof ss;
  if (getsockname(p->fd, (struct sockaddr *)&ss, &sl) != 0) return -1;
  from_sockaddr(&ss, &p->addr);
  return 0;
}

static int create_peer(peer *p, const char *name, sansrtc_ice_role role, int ipv6) {
  memset(p, 0, sizeof *p);
  p->name = name;
  p->fd = -1;
  if (open_socket(p, ipv6) != 0) {
    perror("socket");
    return -1;
  }
  sansrtc_ice_config cfg;
  sansrtc_ice_config_default(&cfg);
  cfg.role = role;
  cfg.software = "sansrtc ice_loopback";
  if (verbose) {
    cfg.log_fn = log_cb;
    cfg.log_user_data = (void *)name;
    cfg.log_level = SANSRTC_LOG_DEBUG;
  }
  int rc = sansrtc_ice_agent_new(&p->agent, &cfg);
  if (rc != SANSRTC_OK) {
    fprintf(stderr, "ice agent: %s\n", sansrtc_strerror(rc));
    return -1;
  }
  sansrtc_ice_candidate c;
  memset(&c, 0, sizeof c);
  c.component = 1;
  c.type = SANSRTC_ICE_CANDIDATE_HOST;
  c.addr = p->addr;
  rc = sansrtc_ice_agent_add_local_candidate(p->agent, &c, now_ns());
  if (rc == SANSRTC_OK) rc = sansrtc_ice_agent_gathering_done(p->agent, now_ns());
  return rc == SANSRTC_OK ? 0 : -1;
}

static void destroy_peer(peer *p) {
  sansrtc_ice_agent_del(p->agent);
  if (p->fd >= 0) close(p->fd);
}

/* Sends everything the agent queued and reads its events. */
static int drain(peer *p) {
  uint8_t buf[1280];
  size_t len;
  sansrtc_addr local, remote;
  while (sansrtc_ice_agent_poll_transmit(p->agent, buf, sizeof buf, &len, &local,
                                         &remote) == 1) {
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(&remote, &ss);
    if (sendto(p->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0 &&
        errno != EAGAIN)
      perror("sendto");
  }
  sansrtc_ice_event ev;
  while (sansrtc_ice_agent_poll_event(p->agent, &ev) == 1) {
    if (ev.type == SANSRTC_ICE_EVENT_LOCAL_CANDIDATE) {
      p->cand = ev.candidate; /* what signaling would carry */
    } else if (ev.type == SANSRTC_ICE_EVENT_STATE_CHANGE) {
      if (ev.state == SANSRTC_ICE_STATE_CONNECTED) p->connected = 1;
      if (ev.state == SANSRTC_ICE_STATE_FAILED) return -1;
    }
  }
  return 0;
}

static int signal_peer(peer *from, peer *to) {
  char line[SANSRTC_ICE_CANDIDATE_STRLEN];
  sansrtc_ice_candidate parsed;
  /* Round-trip through the SDP text form, as real signaling would. */
  if (sansrtc_ice_candidate_format(&from->cand, line, sizeof line) < 0 ||
      sansrtc_ice_candidate_parse(&parsed, line) != SANSRTC_OK)
    return -1;
  if (verbose) fprintf(stderr, "[%s] signals a=%s\n", from->name, line);
  sansrtc_tstamp t = now_ns();
  if (sansrtc_ice_agent_set_remote_credentials(
          to->agent, sansrtc_ice_agent_local_ufrag(from->agent),
          sansrtc_ice_agent_local_pwd(from->agent), t) != SANSRTC_OK ||
      sansrtc_ice_agent_add_remote_candidate(to->agent, &parsed, t) != SANSRTC_OK ||
      sansrtc_ice_agent_end_of_remote_candidates(to->agent, t) != SANSRTC_OK)
    return -1;
  return 0;
}

static void receive(peer *p) {
  uint8_t buf[1500];
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  ssize_t n = recvfrom(p->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
  if (n <= 0) return;
  sansrtc_addr remote;
  from_sockaddr(&ss, &remote);
  int rc = sansrtc_ice_agent_handle_stun(p->agent, &p->addr, &remote, buf, (size_t)n, now_ns());
  if (rc != SANSRTC_OK && verbose)
    fprintf(stderr, "[%s] datagram rejected: %s\n", p->name, sansrtc_strerror(rc));
}

/* The poll loop: wait for a datagram or the earliest deadline. Runs until
 * both are connected (hold == 0) or until `until`. */
static int run_loop(peer *pr, sansrtc_tstamp until, int stop_when_connected) {
  for (;;) {
    for (int i = 0; i < 2; i++)
      if (drain(&pr[i]) != 0) return -1;
    if (stop_when_connected && pr[0].connected && pr[1].connected) return 0;
    sansrtc_tstamp now = now_ns();
    if (now >= until) return stop_when_connected ? -1 : 0;
    sansrtc_tstamp deadline = until;
    for (int i = 0; i < 2; i++) {
      sansrtc_tstamp d = sansrtc_ice_agent_next_deadline(pr[i].agent);
      if (d < deadline) deadline = d;
    }
    int timeout_ms = deadline <= now ? 0
                     : (int)((deadline - now + SANSRTC_MILLISECONDS - 1) / SANSRTC_MILLISECONDS);
    struct pollfd fds[2] = {{pr[0].fd, POLLIN, 0}, {pr[1].fd, POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return -1;
    for (int i = 0; i < 2; i++) {
      if (fds[i].revents & POLLIN) receive(&pr[i]);
      sansrtc_ice_agent_handle_timeout(pr[i].agent, now_ns());
    }
  }
}

static int one_run(int ipv6, double hold, double *ms) {
  peer pr[2];
  int ok = -1;
  sansrtc_tstamp start = now_ns();
  if (create_peer(&pr[0], "controlling", SANSRTC_ICE_CONTROLLING, ipv6) == 0 &&
      create_peer(&pr[1], "controlled", SANSRTC_ICE_CONTROLLED, ipv6) == 0 &&
      drain(&pr[0]) == 0 && drain(&pr[1]) == 0 &&
      signal_peer(&pr[0], &pr[1]) == 0 && signal_peer(&pr[1], &pr[0]) == 0 &&
      run_loop(pr, start + 10 * SANSRTC_SECONDS, 1) == 0) {
    *ms = (double)(now_ns() - start) / (double)SANSRTC_MILLISECONDS;
    sansrtc_addr l, r;
    char ls[SANSRTC_ADDR_STRLEN], rs[SANSRTC_ADDR_STRLEN];
    sansrtc_ice_agent_selected_pair(pr[0].agent, &l, &r);
    printf("connected in %.3f ms, selected pair %s <-> %s\n", *ms,
           sansrtc_addr_format(&l, ls, sizeof ls), sansrtc_addr_format(&r, rs, sizeof rs));
    ok = 0;
    if (hold > 0) {
      ok = run_loop(pr, now_ns() + (sansrtc_tstamp)(hold * 1e9), 0);
      sansrtc_ice_stats st;
      sansrtc_ice_agent_stats(pr[0].agent, &st);
      printf("held %.1f s: state %s, %llu consent checks sent\n", hold,
             sansrtc_ice_state_name(sansrtc_ice_agent_state(pr[0].agent)),
             (unsigned long long)st.consent_requests_sent);
    }
  } else {
    fprintf(stderr, "run failed\n");
  }
  destroy_peer(&pr[0]);
  destroy_peer(&pr[1]);
  return ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int ipv6 = 0, runs = 5;
  double hold = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--ipv6") == 0) ipv6 = 1;
    else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc) hold = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--ipv6] [--runs N] [--hold SECONDS] [--verbose]\n", argv[0]);
      return 2;
    }
  }
  if (runs < 1 || runs > 10000) runs = 1;
  printf("sansrtc %s: ICE over real UDP sockets on %s, %d run(s)\n", sansrtc_version(),
         ipv6 ? "::1" : "127.0.0.1", runs);
  double *t = calloc((size_t)runs, sizeof *t);
  if (t == NULL) return 1;
  int failures = 0;
  for (int i = 0; i < runs; i++)
    if (one_run(ipv6, i == runs - 1 ? hold : 0, &t[i]) != 0) failures++;
  if (failures == 0) {
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("ICE connect time over %d runs: min %.3f ms, median %.3f ms, max %.3f ms\n",
           runs, t[0], t[runs / 2], t[runs - 1]);
  }
  free(t);
  printf("%s\n", failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
