#!/usr/bin/env bash
# Two `peer` sample processes, wired to each other by FIFOs (the offerer's
# stdout is the answerer's stdin and back), connect over loopback and do
# real work: a 20 MiB file byte for byte, trickled candidates with checked
# echoes, a pre-negotiated channel. Any failure fails the script.
#
# usage: peer_sample.sh PEER_BINARY [quick]
#   WRAP="valgrind ..." runs both peers under that command; "quick" runs
#   only the small scenarios (for slow wrappers).
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
peer=$1
quick=${2:-}
wrap=${WRAP:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# run_pair NAME "OFFERER ARGS" "ANSWERER ARGS"
run_pair() {
    name=$1
    rm -f "$work/a2b" "$work/b2a"
    mkfifo "$work/a2b" "$work/b2a"
    # Opposite open orders, so neither blocks opening its FIFOs.
    $wrap "$peer" --offer --interfaces lo --timeout 120 $2 \
        --stats-json "$work/$name.offer.json" <"$work/b2a" >"$work/a2b" \
        2>"$work/$name.offer.log" &
    pid=$!
    status=0
    $wrap "$peer" --answer --interfaces lo --timeout 120 $3 \
        --stats-json "$work/$name.answer.json" >"$work/b2a" <"$work/a2b" \
        2>"$work/$name.answer.log" || status=$?
    wait $pid || status=$?
    if [ $status -ne 0 ]; then
        echo "peer_sample: $name FAILED ($status)"
        cat "$work/$name.offer.log" "$work/$name.answer.log"
        exit 1
    fi
    echo "peer_sample: $name ok: $(cat "$work/$name.answer.json")"
}

run_pair echo-trickle "--trickle --messages 300 --size 1200 --expect-echo" \
    "--trickle --echo"
run_pair negotiated "--negotiated-id 5 --messages 100 --size 5000 --expect-echo" \
    "--negotiated-id 5 --echo"
if [ "$quick" != quick ]; then
    head -c 20971520 /dev/urandom >"$work/in.bin"
    run_pair file-20MiB "--send-file $work/in.bin" "--recv-file $work/out.bin"
    cmp "$work/in.bin" "$work/out.bin"
    echo "peer_sample: 20 MiB arrived byte for byte"
fi
