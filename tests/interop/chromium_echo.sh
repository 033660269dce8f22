#!/usr/bin/env bash
# Real-browser interop, first scenario: headless Debian Chromium loads the
# `browser` sample's page, offers a data channel, and checks 1,000 echoes
# from sansrtc. Runs inside a network namespace this script creates with
# only `lo` up, so the browser gathers nothing else and sends nothing out.
#
# usage: chromium_echo.sh BUILD_DIR
# Needs root (ip netns) and /usr/bin/chromium. When either is missing it
# fails under CI=true and says SKIPPED loudly otherwise.
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
build=$1
messages=${INTEROP_MESSAGES:-1000}

missing=
command -v chromium >/dev/null || missing="chromium is not installed (make deps)"
[ "$(id -u)" = 0 ] || missing="${missing:+$missing; }ip netns needs root"
if [ -n "$missing" ]; then
    if [ "${CI:-}" = true ]; then echo "chromium_echo: FAILED: $missing"; exit 1; fi
    echo "chromium_echo: *** SKIPPED: $missing ***"
    exit 0
fi

ns=sansrtc-interop-$$
work=$(mktemp -d)
cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.2
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

mkfifo "$work/port"
ip netns exec "$ns" "$build/samples/browser" --port 0 --exit-after-result \
    >"$work/port" 2>"$work/server.log" &
server=$!
read -r port <"$work/port"

# Known-needed flags (see docs/interop.md); mDNS host-name hiding is off in
# this scenario: with it on, Chromium gathers nothing in the namespace.
ip netns exec "$ns" chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$work/profile" \
    --allow-loopback-in-peer-connection \
    --disable-features=WebRtcHideLocalIpsWithMdns \
    --enable-logging=stderr \
    "http://127.0.0.1:$port/?auto=$messages" >"$work/chromium.log" 2>&1 &

# The server exits when the page reports; give it 60 s.
status=0
for _ in $(seq 600); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$server" 2>/dev/null; then
    echo "chromium_echo: FAILED: no verdict from the page in 60 s"
    status=1
else
    wait "$server" || status=$?
fi
version=$(chromium --version 2>/dev/null || true)
if [ $status -ne 0 ]; then
    echo "chromium_echo: FAILED with $version"
    cat "$work/server.log"
    grep -E "CONSOLE|ERROR" "$work/chromium.log" | grep -v dbus | tail -20 || true
    exit 1
fi
echo "chromium_echo: $version: $(grep 'page reports' "$work/server.log")"
