# Sourced by the interop scripts: what they need, and the network
# namespace they run in.
# SPDX-License-Identifier: BSD-2-Clause

# interop_require NAME EXE: exits 0 saying SKIPPED loudly when EXE or root
# is missing, or 1 under CI=true, where nothing may be skipped.
interop_require() {
    local name=$1 exe=$2 missing=
    command -v "$exe" >/dev/null || missing="$exe is not installed (make deps)"
    [ "$(id -u)" = 0 ] || missing="${missing:+$missing; }ip netns needs root"
    [ -n "$missing" ] || return 0
    if [ "${CI:-}" = true ]; then echo "$name: FAILED: $missing"; exit 1; fi
    echo "$name: *** SKIPPED: $missing ***"
    exit 0
}

# netns_setup: creates the namespace $ns with only lo up and the work
# directory $work; both go, with every process left in the namespace,
# when the script exits.
netns_setup() {
    ns=sansrtc-interop-$$
    work=$(mktemp -d)
    trap netns_cleanup EXIT INT TERM
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
}

netns_cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.3
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
