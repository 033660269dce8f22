#!/usr/bin/env bash
# Real-browser interop, first scenario: headless Debian Chromium loads the
# `browser` sample's page and checks 1,000 echoes from sansrtc over a data
# channel, once as the offerer (the page creates the channel) and once as
# the answerer (sansrtc offers and creates the channel). Runs inside a network namespace this script creates with
# only `lo` up, so the browser gathers nothing else and sends nothing out.
#
# usage: chromium_echo.sh BUILD_DIR
# Needs root (ip netns) and /usr/bin/chromium. When either is missing it
# fails under CI=true and says SKIPPED loudly otherwise.
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
build=$1
messages=${INTEROP_MESSAGES:-1000}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/netns.sh
source "$here/netns.sh"
interop_require chromium_echo chromium
netns_setup

# run_role ROLE: one browser run with the page as offerer or answerer.
run_role() {
    local role=$1 dir="$work/$1"
    mkdir -p "$dir"
    mkfifo "$dir/port"
    ip netns exec "$ns" "$build/samples/browser" --port 0 --exit-after-result \
        >"$dir/port" 2>"$dir/server.log" &
    local server=$!
    local port
    read -r port <"$dir/port"
    # Known-needed flags (see docs/interop.md); mDNS host-name hiding is off
    # here (with it on Chromium gathers nothing in a namespace with only lo;
    # browser_scenarios.sh covers it with a veth pair).
    ip netns exec "$ns" chromium --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$dir/profile" \
        --allow-loopback-in-peer-connection \
        --disable-features=WebRtcHideLocalIpsWithMdns \
        --enable-logging=stderr \
        "http://127.0.0.1:$port/?auto=$messages&role=$role" >"$dir/chromium.log" 2>&1 &
    local browser=$!
    # The server exits when the page reports; give it 60 s.
    local status=0
    for _ in $(seq 600); do
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server" 2>/dev/null; then
        echo "chromium_echo: FAILED ($role): no verdict from the page in 60 s"
        kill "$server" 2>/dev/null || true
        status=1
    else
        wait "$server" || status=$?
    fi
    kill "$browser" 2>/dev/null || true
    wait "$browser" 2>/dev/null || true
    if [ $status -ne 0 ]; then
        echo "chromium_echo: FAILED as $role with $version"
        cat "$dir/server.log"
        grep -E "CONSOLE|ERROR" "$dir/chromium.log" | grep -v dbus | tail -20 || true
        return 1
    fi
    echo "chromium_echo: $version as $role: $(grep 'page reports' "$dir/server.log")"
}

version=$(chromium --version 2>/dev/null || true)
run_role offer
run_role answer
