#!/usr/bin/env bash
# Real-browser interop scenarios: a headless browser from Debian's packages
# loads tests/interop/interop.html from interop_peer (the sansrtc side, on
# the threaded API) and runs the scenarios there against it, once with the
# page as the offerer and once as the answerer. Everything runs inside a
# network namespace this script creates with only `lo` up.
#
# usage: browser_scenarios.sh BUILD_DIR chromium|firefox RESULTS_TSV
# environment:
#   SCENARIOS  comma list (default: echo,modes,many,bulk,close,trickle,kill)
#   ROLES      page roles (default: "offer answer")
#   MDNS       off (default): the browser gathers plain loopback candidates;
#              on: its default host-candidate hiding stays on, so here it
#              offers no usable candidate and the connection comes up only
#              through peer-reflexive candidates
#   MESSAGES, BULK_MIB   the echo scenario's count, the bulk size (1000, 50)
#   WRAP       a command to run interop_peer under (valgrind ...)
# Appends one line per scenario to RESULTS_TSV:
#   browser version, role, mdns, scenario, ok|FAIL, detail
# Exit status 0 only when every scenario passed. Needs root (ip netns) and
# the browser; when either is missing it fails under CI=true and says
# SKIPPED loudly otherwise.
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
build=$1 browser=$2 results=$3
scenarios=${SCENARIOS:-echo,modes,many,bulk,close,trickle,kill}
roles=${ROLES:-offer answer}
mdns=${MDNS:-off}
here=$(cd "$(dirname "$0")" && pwd)

case $browser in
chromium) exe=chromium ;;
firefox) exe=firefox-esr ;;
*) echo "usage: browser_scenarios.sh BUILD_DIR chromium|firefox RESULTS_TSV" >&2; exit 2 ;;
esac
# shellcheck source=tests/interop/netns.sh
source "$here/netns.sh"
interop_require "interop $browser" "$exe"
version=$("$exe" --version 2>/dev/null | head -1 | sed 's/^Mozilla //; s/ *$//')

netns_setup
if [ "$mdns" = on ]; then
    # A browser's mDNS responder needs a multicast-capable interface that
    # is not loopback, or it gathers nothing at all: a veth pair with both
    # ends inside the namespace, so nothing leaves it.
    ip netns exec "$ns" ip link add sansrtc0 type veth peer name sansrtc1
    ip netns exec "$ns" ip addr add 10.99.0.1/24 dev sansrtc0
    ip netns exec "$ns" ip link set sansrtc0 up
    ip netns exec "$ns" ip link set sansrtc1 up
    # Firefox gathers nothing without a default route (and no media
    # permission); this one leads only to the other end of the pair.
    ip netns exec "$ns" ip route add default dev sansrtc0
fi
# sansrtc gathers on the same interfaces as the browser.
interfaces=lo
[ "$mdns" = on ] && interfaces=lo,sansrtc0

# A fresh Firefox profile: loopback ICE on; no update, telemetry or
# other background traffic; with MDNS=off a stored camera/microphone
# permission for the page's origin, without which Firefox gathers nothing
# here, and host addresses shown as they are.
firefox_profile() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    cat >"$dir/user.js" <<EOF
user_pref("media.peerconnection.ice.loopback", true);
user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:1/");
user_pref("extensions.update.enabled", false);
user_pref("privacy.reduceTimerPrecision", false);
EOF
    if [ "$mdns" = off ]; then
        printf 'origin\tcamera\t1\thttp://127.0.0.1:%s\norigin\tmicrophone\t1\thttp://127.0.0.1:%s\n' \
            "$port" "$port" >"$dir/permissions.txt"
        cat >>"$dir/user.js" <<EOF
user_pref("permissions.manager.defaultsUrl", "file://$dir/permissions.txt");
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
EOF
    fi
}

# start_browser DIR URL PORT: the browser in its own session (so the whole
# process tree can be killed), its pid in $browser_pid.
start_browser() {
    local dir=$1 url=$2 port=$3
    if [ "$browser" = chromium ]; then
        local features=
        [ "$mdns" = off ] && features=--disable-features=WebRtcHideLocalIpsWithMdns
        ip netns exec "$ns" setsid chromium --headless --no-sandbox --disable-gpu --disable-quic \
            --no-first-run --disable-background-networking --disable-component-update \
            --disable-sync --user-data-dir="$dir/profile" \
            --allow-loopback-in-peer-connection $features --enable-logging=stderr \
            "$url" >"$dir/browser.log" 2>&1 &
    else
        firefox_profile "$dir/profile" "$port"
        HOME=$dir MOZ_REMOTE_SETTINGS_DEVTOOLS=1 MOZ_CRASHREPORTER_DISABLE=1 \
            ip netns exec "$ns" setsid firefox-esr --headless --no-remote \
            --profile "$dir/profile" "$url" >"$dir/browser.log" 2>&1 &
    fi
    browser_pid=$!
}

# run_role ROLE: one page load running every scenario in that role.
run_role() {
    local role=$1 dir="$work/$1"
    mkdir -p "$dir"
    mkfifo "$dir/port"
    # shellcheck disable=SC2086
    ip netns exec "$ns" ${WRAP:-} "$build/tests/interop_peer" --page "$here/interop.html" \
        --results "$dir/results" --interfaces "$interfaces" ${VERBOSE:+--verbose} >"$dir/port" 2>"$dir/server.log" &
    local server=$! port
    read -r port <"$dir/port"
    local url="http://127.0.0.1:$port/?role=$role&scenarios=$scenarios"
    url+="&messages=${MESSAGES:-1000}&bulk=${BULK_MIB:-50}"
    start_browser "$dir" "$url" "$port"
    local status=0 limit=$((600 * 10))
    for ((i = 0; i < limit; i++)); do
        kill -0 "$server" 2>/dev/null || break
        # The kill scenario: the page asked to vanish.
        if [ -e "$dir/results.kill" ] && kill -0 "$browser_pid" 2>/dev/null; then
            kill -9 -- "-$browser_pid" 2>/dev/null || true
        fi
        sleep 0.1
    done
    if kill -0 "$server" 2>/dev/null; then
        echo "interop $browser ($role): no end after 600 s"
        kill "$server" 2>/dev/null || true
        status=1
    fi
    wait "$server" || status=1
    kill -- "-$browser_pid" 2>/dev/null || true
    wait "$browser_pid" 2>/dev/null || true
    local expected ran
    expected=$(tr ',' '\n' <<<"$scenarios" | wc -l)
    ran=$(wc -l <"$dir/results" 2>/dev/null || echo 0)
    [ "$ran" -eq "$expected" ] || status=1
    for s in $(tr ',' ' ' <<<"$scenarios"); do
        grep -q "^$s	" "$dir/results" 2>/dev/null || echo "$s	FAIL	no verdict" >>"$dir/results"
    done
    while IFS=$'\t' read -r scenario verdict detail; do
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$version" "$role" "$mdns" "$scenario" "$verdict" \
            "$detail" >>"$results"
        echo "interop $version, page $role, mDNS hiding $mdns: $scenario: $verdict: $detail"
    done <"$dir/results"
    [ -z "${KEEP_LOGS:-}" ] || cp "$dir/server.log" "$dir/browser.log" "$KEEP_LOGS/" 2>/dev/null || true
    if [ $status -ne 0 ]; then
        echo "interop $browser ($role): FAILED; the sansrtc side said:"
        tail -30 "$dir/server.log"
        grep -E "CONSOLE|ERROR|JavaScript|console" "$dir/browser.log" | grep -v dbus | tail -20 || true
        return 1
    fi
}

status=0
for role in $roles; do run_role "$role" || status=1; done
exit $status
