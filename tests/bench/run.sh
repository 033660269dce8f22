#!/usr/bin/env bash
# make bench / make bench-quick: runs tests/bench/bench.c's measurements
# several times, prints min / median / max with ratios against baselines
# measured in the same run, and writes tests/bench/results.json.
#
# usage: run.sh BUILD_DIR [quick|media] [OUT_JSON]
# quick: fewer runs and smaller sizes, for CI (checks that it all works;
# its figures are not the ones to quote). media: only the media
# benchmarks (section 7), full size, written to OUT_JSON (default
# BUILD_DIR/bench-media.json, not results.json).
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
build=$1 mode=${2:-full}
out=${3:-tests/bench/results.json}
media_only=0
if [ "$mode" = media ]; then
    media_only=1 mode=full out=${3:-$build/bench-media.json}
fi
bench=$build/tests/bench
peer=$build/samples/peer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$mode" = quick ]; then
    runs=3 setup_runs=5 big=$((16 << 20)) small_count=20000 crypto=$((16 << 20))
    scale_list="1 10" hold=2 cycle_list="1 3"
    rtp_count=200000 rtcp_count=20000 srtp_bytes=$((4 << 20)) media_bytes=$((4 << 20))
else
    runs=5 setup_runs=21 big=$((256 << 20)) small_count=300000 crypto=$((256 << 20))
    scale_list="1 10 100 500 1000 2000" hold=30 cycle_list="1 10 100"
    rtp_count=5000000 rtcp_count=300000 srtp_bytes=$((128 << 20)) media_bytes=$((64 << 20))
fi

# stats FILE FIELD: "min median max" of FIELD over the JSON lines in FILE.
stats() {
    grep -o "\"$2\":[-0-9.]*" "$1" | cut -d: -f2 | sort -g |
        awk '{v[NR]=$1} END {if (NR == 0) {print "- - -"; exit}
             m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
             printf "%s %s %s\n", v[1], m, v[NR]}'
}
# percentile FILE FIELD P: the P-th percentile (nearest rank).
percentile() {
    grep -o "\"$2\":[-0-9.]*" "$1" | cut -d: -f2 | sort -g |
        awk -v p="$3" '{v[NR]=$1} END {r = int((p / 100) * NR + 0.999); if (r < 1) r = 1; print v[r]}'
}
median() { stats "$1" "$2" | cut -d' ' -f2; }
repeat() { local n=$1 file=$2; shift 2; for ((i = 0; i < n; i++)); do "$@" >>"$file"; done; }
row() { printf '%-44s %12s %12s %12s  %s\n' "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# triple FILE FIELD: "[min,median,max]" for the JSON.
triple() { echo "[$(stats "$1" "$2" | tr ' ' ,)]"; }

json_parts=()
add_json() { json_parts+=("$1"); }

echo "sansrtc benchmarks ($mode) on $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ)"
row "measure" "min" "median" "max" "notes"

# Sections 1 to 6 (the data-channel stack) are skipped in media mode.
if [ "$media_only" = 0 ]; then

# 1. Setup, in process. Cold: the first pair of a fresh process (OpenSSL
# and usrsctp start-up included). Warm: later pairs of one process, with a
# certificate generated per peer (the default) and with one shared
# certificate (what a server does).
repeat "$setup_runs" "$work/setup" "$bench" setup
"$bench" setup $((setup_runs + 1)) | grep '"warm":1' >"$work/setup-warm"
"$bench" setup $((setup_runs + 1)) shared | grep '"warm":1' >"$work/setup-shared"
setup_json=
for kind in setup setup-warm setup-shared; do
    case $kind in
    setup) label=cold key=setup_in_process ;;
    setup-warm) label=warm key=setup_in_process_warm ;;
    *) label="warm, shared cert" key=setup_in_process_warm_shared_cert ;;
    esac
    for f in created_ms negotiated_ms ice_ms dtls_ms open_ms; do
        read -r lo med hi <<<"$(stats "$work/$kind" $f)"
        row "setup $label: $f" "$lo" "$med" "$hi" "$setup_runs runs, ms from creation"
    done
    p99=$(percentile "$work/$kind" open_ms 99)
    row "setup $label: open_ms p99" "" "$p99" "" ""
    j="\"$key\": {\"runs\": $setup_runs"
    for f in created_ms negotiated_ms ice_ms dtls_ms open_ms; do
        j+=", \"$f\": [$(stats "$work/$kind" $f | tr ' ' ,)]"
    done
    add_json "$j, \"open_ms_p99\": $p99}"
done

# 1b. Setup across two processes: two `peer` samples wired by pipes.
for ((i = 0; i < setup_runs; i++)); do
    rm -f "$work/o2a" "$work/a2o"
    mkfifo "$work/o2a" "$work/a2o"
    "$peer" --answer --interfaces lo --echo --timeout 20 --stats-json "$work/a.json" \
        >"$work/a2o" <"$work/o2a" 2>/dev/null &
    local_pid=$!
    "$peer" --offer --interfaces lo --messages 1 --size 10 --expect-echo --timeout 20 \
        --stats-json "$work/o.json" <"$work/a2o" >"$work/o2a" 2>/dev/null || true
    wait "$local_pid" || true
    tr -d '\n ' <"$work/o.json" >>"$work/setup2"
    echo >>"$work/setup2"
done
read -r lo med hi <<<"$(stats "$work/setup2" channel_open_ms)"
row "setup two processes: open_ms" "$lo" "$med" "$hi" "from process start"
add_json "\"setup_two_processes\": {\"runs\": $setup_runs, \"open_ms\": [$lo,$med,$hi]}"

# 2. Throughput against raw UDP.
repeat "$runs" "$work/udp1200" "$bench" udp 1200 "$big"
udp1200=$(median "$work/udp1200" mbit_s)
row "raw UDP, 1200-byte datagrams (Mbit/s)" $(stats "$work/udp1200" mbit_s) "sansrtc's packet size"
add_json "\"udp_1200\": {\"mbit_s\": [$(stats "$work/udp1200" mbit_s | tr ' ' ,)]}"
for size in 16384 65536; do
    repeat "$runs" "$work/udp$size" "$bench" udp $size "$big"
    udp=$(median "$work/udp$size" mbit_s)
    row "raw UDP, $size-byte datagrams (Mbit/s)" $(stats "$work/udp$size" mbit_s) "same payload size"
    for mode_ in reliable unordered; do
        f=$work/tp-$size-$mode_
        arg=; [ $mode_ = unordered ] && arg=unordered
        repeat "$runs" "$f" "$bench" throughput $size "$big" $arg
        m=$(median "$f" mbit_s)
        row "channel $mode_, $size B messages (Mbit/s)" $(stats "$f" mbit_s) \
            "x$(ratio "$m" "$udp") of UDP same size, x$(ratio "$m" "$udp1200") of UDP 1200"
        row "  CPU seconds per GiB" $(stats "$f" cpu_s_per_gib) "both peers"
        add_json "\"throughput_${mode_}_$size\": {\"mbit_s\": [$(stats "$f" mbit_s | tr ' ' ,)], \"cpu_s_per_gib\": [$(stats "$f" cpu_s_per_gib | tr ' ' ,)], \"udp_same_size_mbit_s\": $udp, \"ratio_to_udp_same_size\": $(ratio "$m" "$udp"), \"ratio_to_udp_1200\": $(ratio "$m" "$udp1200")}"
    done
done

# 3. Small messages.
for ch in 1 16; do
    repeat "$runs" "$work/small$ch" "$bench" small $ch "$small_count"
    row "100-byte messages, $ch channel(s) (msg/s)" $(stats "$work/small$ch" messages_per_s) ""
    add_json "\"small_messages_${ch}_channels\": {\"messages_per_s\": [$(stats "$work/small$ch" messages_per_s | tr ' ' ,)]}"
done

# 4. Crypto.
repeat "$runs" "$work/crypto" "$bench" crypto "$crypto"
d=$(median "$work/crypto" dtls_mb_s) a=$(median "$work/crypto" aes128gcm_mb_s)
row "DTLS records, one way (MB/s)" $(stats "$work/crypto" dtls_mb_s) "x$(ratio "$d" "$a") of raw AES-128-GCM"
row "raw AES-128-GCM encrypt (MB/s)" $(stats "$work/crypto" aes128gcm_mb_s) "OpenSSL EVP"
add_json "\"crypto\": {\"dtls_mb_s\": [$(stats "$work/crypto" dtls_mb_s | tr ' ' ,)], \"aes128gcm_mb_s\": [$(stats "$work/crypto" aes128gcm_mb_s | tr ' ' ,)]}"

# 5. Scale: one run per size (each holds for $hold s), and the largest
# size below 2,000 again with one certificate shared by all peers.
scale_json=
shared_n=$(tr ' ' '\n' <<<"$scale_list" | awk '$1 < 2000' | tail -1)
for n in $scale_list shared; do
    args=("$n" "$hold") label="$n pairs"
    [ "$n" = shared ] && args=("$shared_n" "$hold" shared) label="$shared_n pairs, shared cert"
    line=$("$bench" scale "${args[@]}" || true)
    echo "$line" >"$work/scale$n"
    row "scale $label: RSS KiB per connection" "" "$(median "$work/scale$n" rss_kib_per_connection)" "" \
        "up $(median "$work/scale$n" up_ms) ms, $(median "$work/scale$n" still_connected)/${args[0]} connected after ${hold}s, CPU $(median "$work/scale$n" cpu_percent_holding)% holding, teardown $(median "$work/scale$n" teardown_ms) ms"
    scale_json+="${scale_json:+, }\"$n\": ${line:-null}"
done
add_json "\"scale\": {$scale_json}"

# 6. Leaks and RSS per connection over create/connect/destroy cycles.
leak_json=
for n in $cycle_list; do
    vg=$(valgrind --leak-check=full --suppressions=valgrind/sansrtc.supp "$bench" cycles "$n" 2>&1 >/dev/null |
         grep -E 'definitely lost|indirectly lost|possibly lost|still reachable|in use at exit' | tr -s ' ' | cut -d' ' -f2- | tr '\n' ';')
    rss=$("$bench" cycles "$n")
    lost=$(grep -o 'definitely lost: [0-9,]* bytes' <<<"$vg" | grep -o '[0-9,]*' | tr -d , || echo 0)
    row "leaks after $n cycles: definitely lost (B)" "" "${lost:-0}" "" "$(grep -o 'rss_growth_kib_per_cycle":[0-9.]*' <<<"$rss" | cut -d: -f2) KiB RSS growth per cycle"
    leak_json+="${leak_json:+, }\"$n\": {\"valgrind\": \"$vg\", \"rss\": $rss}"
done
add_json "\"cycles\": {$leak_json}"

fi # sections 1 to 6

# 7. Media, sans-I/O and single-threaded: RTP, RTCP, SRTP, packetizers.
repeat "$runs" "$work/rtp" "$bench" rtp "$rtp_count"
p=$(median "$work/rtp" parse_ns) w=$(median "$work/rtp" write_ns) c=$(median "$work/rtp" memcpy_1200_ns)
row "RTP parse + TWCC/mid lookup (ns/packet)" $(stats "$work/rtp" parse_ns) "$(median "$work/rtp" parse_mpps) Mpackets/s, x$(ratio "$p" "$c") of a 1200 B memcpy"
row "RTP header write, 2 extensions (ns/packet)" $(stats "$work/rtp" write_ns) "$(median "$work/rtp" write_mpps) Mpackets/s, x$(ratio "$w" "$c") of a 1200 B memcpy"
add_json "\"media_rtp\": {\"packets\": $rtp_count, \"parse_ns\": $(triple "$work/rtp" parse_ns), \"parse_mpps\": $(triple "$work/rtp" parse_mpps), \"write_ns\": $(triple "$work/rtp" write_ns), \"write_mpps\": $(triple "$work/rtp" write_mpps), \"memcpy_1200_ns\": $(triple "$work/rtp" memcpy_1200_ns)}"

repeat "$runs" "$work/rtcp" "$bench" rtcp "$rtcp_count"
j="\"media_rtcp\": {\"compounds\": $rtcp_count"
for c in sr_sdes rr_nack_twcc all_types; do
    bytes=$(median "$work/rtcp" ${c}_bytes)
    for op in parse write; do
        row "RTCP $c ($bytes B) $op (ns/compound)" $(stats "$work/rtcp" ${c}_${op}_ns) ""
        j+=", \"${c}_${op}_ns\": $(triple "$work/rtcp" ${c}_${op}_ns)"
    done
    j+=", \"${c}_bytes\": $bytes"
done
add_json "$j}"

j=
for prof in aes128cm80 aes128cm32 aes128gcm aes256gcm; do
    f=$work/srtp-$prof
    repeat "$runs" "$f" "$bench" srtp $prof "$srtp_bytes"
    raw=$(median "$f" raw_openssl_mb_s)
    base="AES-128-CTR + HMAC-SHA1"
    case $prof in aes128gcm) base="AES-128-GCM" ;; aes256gcm) base="AES-256-GCM" ;; esac
    for op in protect unprotect; do
        row "SRTP $prof $op, 1200 B (MB/s)" $(stats "$f" ${op}_mb_s) \
            "x$(ratio "$(median "$f" ${op}_mb_s)" "$raw") of raw OpenSSL $base"
    done
    row "  raw OpenSSL $base, same packets (MB/s)" $(stats "$f" raw_openssl_mb_s) "EVP, context made once"
    row "  libsrtp2 srtp_protect alone (MB/s)" $(stats "$f" libsrtp2_protect_mb_s) \
        "sansrtc's protect is x$(median "$f" wrapper_ratio) of it"
    j+="${j:+, }\"$prof\": {\"protect_mb_s\": $(triple "$f" protect_mb_s), \"unprotect_mb_s\": $(triple "$f" unprotect_mb_s), \"raw_openssl_mb_s\": $(triple "$f" raw_openssl_mb_s), \"libsrtp2_protect_mb_s\": $(triple "$f" libsrtp2_protect_mb_s), \"protect_ratio\": $(median "$f" protect_ratio), \"unprotect_ratio\": $(median "$f" unprotect_ratio), \"wrapper_ratio\": $(median "$f" wrapper_ratio)}"
done
add_json "\"media_srtp\": {\"packet_bytes\": 1200, \"bytes\": $srtp_bytes, $j}"

j=
for codec in opus vp8 vp9 h264 h265 av1; do
    f=$work/pkt-$codec
    repeat "$runs" "$f" "$bench" packetize $codec "$media_bytes"
    m=$(median "$f" memcpy_mb_s)
    for op in packetize depacketize; do
        row "$codec $op, 1200 B payloads (MB/s)" $(stats "$f" ${op}_mb_s) \
            "$(median "$f" ${op}_pps) packets/s, x$(ratio "$(median "$f" ${op}_mb_s)" "$m") of memcpy"
    done
    j+="${j:+, }\"$codec\": {\"packetize_mb_s\": $(triple "$f" packetize_mb_s), \"packetize_pps\": $(triple "$f" packetize_pps), \"depacketize_mb_s\": $(triple "$f" depacketize_mb_s), \"depacketize_pps\": $(triple "$f" depacketize_pps), \"memcpy_mb_s\": $(triple "$f" memcpy_mb_s)}"
done
add_json "\"media_packetize\": {\"payload\": 1200, \"frame_bytes\": $media_bytes, $j}"

{
    echo "{"
    echo "  \"machine\": {\"cores\": $(nproc), \"arch\": \"$(uname -m)\", \"kernel\": \"$(uname -r)\", \"mode\": \"$([ "$media_only" = 1 ] && echo media || echo "$mode")\", \"date\": \"$(date -u +%Y-%m-%dT%H:%MZ)\"},"
    for ((i = 0; i < ${#json_parts[@]}; i++)); do
        sep=,; [ $i -eq $((${#json_parts[@]} - 1)) ] && sep=
        echo "  ${json_parts[$i]}$sep"
    done
    echo "}"
} >"$out"
echo "results written to $out"
