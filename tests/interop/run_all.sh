#!/usr/bin/env bash
# Every browser interop run of `make check`, then the compatibility table:
#   - Chromium and Firefox, page as offerer and as answerer, all scenarios,
#     with mDNS host-candidate hiding off;
#   - both again with the browser's default mDNS hiding on (echo and
#     trickle): the connection comes up through peer-reflexive candidates;
#   - the close scenario once with interop_peer under valgrind
#     (--leak-check=full, any error or leak fails).
# Writes BUILD_DIR/interop/results.tsv and BUILD_DIR/interop/compat.md
# (the table docs/browser-compat.md holds a copy of).
#
# usage: run_all.sh BUILD_DIR [quick]   (quick: 100 echoes, 5 MiB bulk)
# SPDX-License-Identifier: BSD-2-Clause
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$build/interop
mkdir -p "$out"
results=$out/results.tsv
: >"$results"
if [ "${2:-}" = quick ]; then export MESSAGES=100 BULK_MIB=5; fi

status=0
run() { "$@" || status=1; }
for browser in chromium firefox; do
    run bash "$here/browser_scenarios.sh" "$build" "$browser" "$results"
    MDNS=on SCENARIOS=echo,trickle run bash "$here/browser_scenarios.sh" "$build" "$browser" "$results"
done
WRAP="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
      --errors-for-leak-kinds=definite,indirect,possible --suppressions=valgrind/sansrtc.supp" \
    SCENARIOS=close ROLES=offer run bash "$here/browser_scenarios.sh" "$build" chromium "$results.valgrind"
sed 's/\tclose\t/\tclose (valgrind)\t/' "$results.valgrind" >>"$results" 2>/dev/null || true
rm -f "$results.valgrind"
bash "$here/compat_table.sh" "$results" >"$out/compat.md"
if [ $status -ne 0 ]; then echo "interop: FAILED (see above; table in $out/compat.md)"; fi
exit $status
