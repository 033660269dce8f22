/*
 * The test runner: every module's Check suite in one run, so `make check`
 * ends with one Check summary line. CK_RUN_SUITE=<name> runs one suite and
 * CK_RUN_CASE=<name> one test case, as Check documents.
 */
#include <stdlib.h>

#include "suites.h"

int main(void) {
  SRunner *runner = srunner_create(common_suite());
  srunner_add_suite(runner, stun_suite());
  srunner_add_suite(runner, ice_candidate_suite());
  srunner_add_suite(runner, sdp_suite());
  srunner_add_suite(runner, ice_suite());
  srunner_add_suite(runner, dgram_queue_suite());
  srunner_add_suite(runner, dtls_suite());
  srunner_add_suite(runner, sctp_suite());
  srunner_add_suite(runner, datachannel_suite());
  srunner_add_suite(runner, stack_suite());
  srunner_add_suite(runner, jsep_suite());
  srunner_add_suite(runner, peer_suite());
  srunner_add_suite(runner, mailbox_suite());
  srunner_add_suite(runner, peer_worker_suite());
  srunner_add_suite(runner, sample_json_suite());
  srunner_add_suite(runner, packetizer_suite());
  srunner_add_suite(runner, rtp_suite());
  srunner_add_suite(runner, rtcp_suite());
  srunner_add_suite(runner, srtp_suite());
  srunner_add_suite(runner, rtp_stats_suite());
  srunner_add_suite(runner, twcc_suite());
  srunner_add_suite(runner, nack_suite());
  srunner_add_suite(runner, jitter_buffer_suite());
  srunner_add_suite(runner, media_link_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
