#!/usr/bin/env bash
# The two server samples end to end over loopback:
#  - legacy_server: N in-process TCP clients each get a peer connection,
#    open a channel and check their echoes;
#  - browser: its HTTP server serves the page, and `peer` processes play
#    the browser in both roles: one POSTs its offer to /offer (with curl),
#    applies the answer and checks 200 echoes through the server's session;
#    one takes the server's offer from /sansrtc-offer (the server creates
#    the channel), POSTs its answer to /answer, and checks 100 echoes.
# (Real browsers load the page in the interop tests.)
#
# usage: server_samples.sh BUILD_DIR [quick]
#   WRAP="valgrind ..." runs the samples under that command; "quick" uses
#   fewer clients (for slow wrappers).
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
build=$1
quick=${2:-}
wrap=${WRAP:-}
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

clients=50
[ "$quick" = quick ] && clients=5
$wrap "$build/samples/legacy_server" --interfaces lo --self-test $clients --messages 20

# The browser sample on an ephemeral port; it prints the port first.
mkfifo "$work/port"
$wrap "$build/samples/browser" --port 0 --interfaces lo --exit-after-result \
    >"$work/port" 2>"$work/browser.log" &
server_pid=$!
read -r port <"$work/port"
curl -sf "http://127.0.0.1:$port/" | grep -q RTCPeerConnection
mkfifo "$work/answer"
status=0
"$build/samples/peer" --offer --interfaces lo --messages 200 --size 100 \
    --expect-echo --timeout 60 <"$work/answer" 2>"$work/peer.log" |
    { read -r offer
      curl -sf -X POST --data-binary "$offer" "http://127.0.0.1:$port/offer"
      echo; } >"$work/answer" || status=$?
# The other role: the server offers, the peer answers.
if [ $status -eq 0 ]; then
    curl -sf -X POST --data-binary '{}' "http://127.0.0.1:$port/sansrtc-offer" >"$work/offer.json"
    id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/offer.json")
    mkfifo "$work/offer"
    "$build/samples/peer" --answer --interfaces lo --messages 100 --size 100 \
        --expect-echo --timeout 60 <"$work/offer" 2>"$work/peer2.log" |
        { read -r answer
          curl -sf -X POST --data-binary "{\"id\":$id,${answer#\{}" \
              "http://127.0.0.1:$port/answer" >/dev/null; } &
    answerer=$!
    cat "$work/offer.json" >"$work/offer"
    wait $answerer || status=$?
    [ $status -eq 0 ] || cat "$work/peer2.log"
fi
# Tell the server the "page" is done, so it exits and is checked.
if [ $status -eq 0 ]; then verdict=true; else verdict=false; fi
curl -sf -X POST --data-binary "{\"ok\":$verdict,\"detail\":\"peer sample\"}" \
    "http://127.0.0.1:$port/result" >/dev/null
wait "$server_pid" || status=$?
server_pid=
if [ $status -ne 0 ]; then
    echo "server_samples: browser sample FAILED"
    cat "$work/peer.log" "$work/browser.log"
    exit 1
fi
echo "server_samples: browser sample, both roles over HTTP: echoed 200 and 100 messages"
