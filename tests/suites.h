/* One Check suite per module; tests/run_tests.c runs them all. */
#ifndef SANSRTC_TESTS_SUITES_H
#define SANSRTC_TESTS_SUITES_H

#include <check.h>

Suite *common_suite(void);
Suite *stun_suite(void);
Suite *ice_candidate_suite(void);
Suite *sdp_suite(void);
Suite *ice_suite(void);
Suite *dgram_queue_suite(void);
Suite *dtls_suite(void);
Suite *sctp_suite(void);
Suite *datachannel_suite(void);
Suite *stack_suite(void);
Suite *jsep_suite(void);
Suite *peer_suite(void);
Suite *mailbox_suite(void);
Suite *peer_worker_suite(void);
Suite *sample_json_suite(void);
Suite *packetizer_suite(void);
Suite *rtp_suite(void);
Suite *rtcp_suite(void);
Suite *srtp_suite(void);
Suite *rtp_stats_suite(void);
Suite *twcc_suite(void);
Suite *nack_suite(void);
Suite *jitter_buffer_suite(void);
Suite *media_link_suite(void);

#endif
