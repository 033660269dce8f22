/*
 * libFuzzer target for the ICE agent's datagram input. The input is a
 * sequence of records; each record's first byte picks what to feed:
 *   0: the next bytes as a raw datagram;
 *   1: a correctly signed Binding request built from the next bytes
 *      (role attribute, tie-breaker, USE-CANDIDATE, priority, source port);
 *   2: a correctly signed response (success, or error with a fuzzed code)
 *      to the last request the agent sent;
 *   3: advance time and run timers.
 * Signing is what lets the fuzzer reach the authenticated state machine:
 * it cannot forge HMACs by itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sansrtc/ice.h>
#include <sansrtc/stun.h>

#define LOCAL_UFRAG "locl"
#define LOCAL_PWD "localpasswordlocalpassword"
#define REMOTE_UFRAG "remo"
#define REMOTE_PWD "remotepasswordremotepassword"

static uint64_t rng_state;

static int fuzz_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  for (size_t i = 0; i < len; i++) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    buf[i] = (uint8_t)(rng_state >> 56);
  }
  return 0;
}

typedef struct cursor {
  const uint8_t *p;
  size_t n;
} cursor;

static uint8_t take8(cursor *c) {
  if (c->n == 0) return 0;
  c->n--;
  return *c->p++;
}

static uint32_t take32(cursor *c) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v = v << 8 | take8(c);
  return v;
}

static void drain(sansrtc_ice_agent *a, uint8_t last_request[12], int *have) {
  uint8_t buf[1280];
  size_t len;
  sansrtc_addr l, r;
  while (sansrtc_ice_agent_poll_transmit(a, buf, sizeof buf, &len, &l, &r) == 1) {
    sansrtc_stun_msg m;
    if (sansrtc_stun_decode(&m, buf, len) != SANSRTC_OK) abort();
    if (m.klass == SANSRTC_STUN_REQUEST) {
      memcpy(last_request, m.txid, 12);
      *have = 1;
    }
  }
  sansrtc_ice_event ev;
  while (sansrtc_ice_agent_poll_event(a, &ev) == 1) {
  }
}

static size_t signed_request(cursor *c, uint8_t *buf, size_t cap) {
  uint8_t txid[12];
  fuzz_random(NULL, txid, sizeof txid);
  uint8_t flags = take8(c);
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, cap, SANSRTC_STUN_BINDING, SANSRTC_STUN_REQUEST, txid);
  sansrtc_stun_writer_add_string(&w, SANSRTC_STUN_ATTR_USERNAME,
                                 (flags & 1) ? LOCAL_UFRAG ":" REMOTE_UFRAG : LOCAL_UFRAG ":x");
  if (flags & 2) sansrtc_stun_writer_add_u32(&w, SANSRTC_STUN_ATTR_PRIORITY, take32(c));
  uint64_t tb = (uint64_t)take32(c) << 32 | take32(c);
  if (flags & 4) sansrtc_stun_writer_add_u64(&w, SANSRTC_STUN_ATTR_ICE_CONTROLLING, tb);
  if (flags & 8) sansrtc_stun_writer_add_u64(&w, SANSRTC_STUN_ATTR_ICE_CONTROLLED, tb);
  if (flags & 16) sansrtc_stun_writer_add_flag(&w, SANSRTC_STUN_ATTR_USE_CANDIDATE);
  if (flags & 32) sansrtc_stun_writer_add_u32(&w, (uint16_t)(take8(c) | 0x0100), 0);
  sansrtc_stun_writer_add_integrity(&w, (const uint8_t *)LOCAL_PWD, strlen(LOCAL_PWD));
  if (flags & 64) sansrtc_stun_writer_add_fingerprint(&w);
  size_t len = 0;
  return sansrtc_stun_writer_finish(&w, &len) == SANSRTC_OK ? len : 0;
}

static size_t signed_response(cursor *c, const uint8_t txid[12], uint8_t *buf,
                              size_t cap, const sansrtc_addr *mapped) {
  uint8_t kind = take8(c);
  sansrtc_stun_writer w;
  sansrtc_stun_writer_init(&w, buf, cap, SANSRTC_STUN_BINDING,
                           (kind & 1) ? SANSRTC_STUN_ERROR : SANSRTC_STUN_SUCCESS, txid);
  if (kind & 1)
    sansrtc_stun_writer_add_error(&w, (uint16_t)(300 + take8(c) % 200 + ((kind & 2) ? 187 : 0)), NULL);
  else
    sansrtc_stun_writer_add_xor_addr(&w, SANSRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
  sansrtc_stun_writer_add_integrity(&w, (const uint8_t *)REMOTE_PWD, strlen(REMOTE_PWD));
  sansrtc_stun_writer_add_fingerprint(&w);
  size_t len = 0;
  return sansrtc_stun_writer_finish(&w, &len) == SANSRTC_OK ? len : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cursor c = {data, size};
  rng_state = 1;
  sansrtc_ice_config cfg;
  sansrtc_ice_config_default(&cfg);
  cfg.role = (take8(&c) & 1) ? SANSRTC_ICE_CONTROLLING : SANSRTC_ICE_CONTROLLED;
  cfg.local_ufrag = LOCAL_UFRAG;
  cfg.local_pwd = LOCAL_PWD;
  cfg.max_remote_candidates = 4;
  cfg.max_pairs = 8;
  cfg.random_fn = fuzz_random;
  sansrtc_ice_agent *a;
  if (sansrtc_ice_agent_new(&a, &cfg) != SANSRTC_OK) abort();

  sansrtc_ice_candidate local;
  memset(&local, 0, sizeof local);
  local.component = 1;
  sansrtc_addr_parse(&local.addr, "10.0.0.1", 5000);
  sansrtc_ice_agent_add_local_candidate(a, &local, 0);
  sansrtc_ice_candidate remote = local;
  sansrtc_addr_parse(&remote.addr, "10.0.0.2", 6000);
  remote.priority = 2130706431u;
  strcpy(remote.foundation, "r1");
  sansrtc_ice_agent_set_remote_credentials(a, REMOTE_UFRAG, REMOTE_PWD, 0);
  sansrtc_ice_agent_add_remote_candidate(a, &remote, 0);

  sansrtc_tstamp now = 0;
  uint8_t last_txid[12] = {0};
  int have_txid = 0;
  uint8_t buf[1500];
  drain(a, last_txid, &have_txid);
  while (c.n > 0) {
    uint8_t op = take8(&c) % 4;
    sansrtc_addr from = remote.addr;
    size_t len = 0;
    if (op == 0) {
      len = take8(&c);
      if (len > c.n) len = c.n;
      memcpy(buf, c.p, len);
      c.p += len;
      c.n -= len;
    } else if (op == 1) {
      from.port = (uint16_t)(6000 + take8(&c) % 4);
      len = signed_request(&c, buf, sizeof buf);
    } else if (op == 2 && have_txid) {
      len = signed_response(&c, last_txid, buf, sizeof buf, &local.addr);
    } else {
      now += (sansrtc_tstamp)take8(&c) * 50 * SANSRTC_MILLISECONDS;
      sansrtc_ice_agent_handle_timeout(a, now);
    }
    if (len > 0) sansrtc_ice_agent_handle_stun(a, &local.addr, &from, buf, len, now);
    drain(a, last_txid, &have_txid);
    sansrtc_tstamp d = sansrtc_ice_agent_next_deadline(a);
    if (d != SANSRTC_TSTAMP_NEVER && d <= now) abort(); /* would busy-loop */
  }
  sansrtc_ice_agent_del(a);
  return 0;
}
