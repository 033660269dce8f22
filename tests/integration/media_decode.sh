#!/usr/bin/env bash
# The decode check of the RTP payload formats: every media fixture goes
# through packetize -> depacketize (tests/integration/media_roundtrip.c)
# and is written back in its container; ffmpeg then decodes each result and
# must print no error and exit 0. Needs ffmpeg (Makefile DEPS).
#
# usage: media_decode.sh BUILD_DIR   (run from the repository root, after
#   `make lib`; it compiles the helper against BUILD_DIR/libsansrtc.a)
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
build=${1:-build}
cc=${CC:-cc}
command -v ffmpeg >/dev/null || { echo "media_decode: ffmpeg not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

$cc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Wall -Wextra -Werror \
    -Iinclude -Itests -o "$work/media_roundtrip" \
    tests/integration/media_roundtrip.c tests/media_fixtures.c \
    "$build/libsansrtc.a"

fail=0
for spec in opus:ogg vp8:ivf vp9:ivf h264:h264 h265:h265 av1:ivf; do
    codec=${spec%%:*}
    out="$work/$codec.${spec#*:}"
    if ! "$work/media_roundtrip" "$codec" "$out"; then
        echo "FAIL $codec: the round trip lost frames" >&2
        fail=1
        continue
    fi
    # Decode; any message at level error, or a non-zero exit, fails.
    if ! errors=$(ffmpeg -nostdin -v error -i "$out" -f null - 2>&1) || [ -n "$errors" ]; then
        echo "FAIL $codec: ffmpeg could not decode the reassembled stream:" >&2
        echo "$errors" >&2
        fail=1
        continue
    fi
    frames=$(ffprobe -v error -count_frames -select_streams 0 \
        -show_entries stream=nb_read_frames -of csv=p=0 "$out")
    echo "ok $codec: ffmpeg decoded $frames frames without error"
done
exit $fail
