#!/usr/bin/env bash
# Builds the libFuzzer targets (bus frame decoder, ZIP extraction, event-stream decoder) with clang and runs them for a
# bounded total time; fails on any finding.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 60)
set -euo pipefail
seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${GGL_FUZZ_BUILD_DIR:-$src/build-fuzz}
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGGL_FUZZ=ON -DGGL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz-bus-frame fuzz-zip-extract fuzz-event-stream
corpus=$build/fuzz/corpus
mkdir -p "$corpus"
# Seed with well-formed frames so the fuzzer starts past the length prefix.
/usr/bin/python3 "$src/tests/fuzz/make_seeds.py" "$corpus"
# The budget is shared: half for the bus decoder, a quarter each for the ZIP reader and
# the event-stream decoder.
zip_seconds=$((seconds / 4))
event_stream_seconds=$((seconds / 4))
cd "$build/fuzz"
./fuzz-bus-frame -max_total_time="$((seconds - zip_seconds - event_stream_seconds))" -max_len=4096 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz/" "$corpus"
# Seed with the store tests' archives, good and hostile.
zip_corpus=$build/fuzz/zip-corpus
mkdir -p "$zip_corpus"
/usr/bin/python3 "$src/tests/fixtures/zip/make_zips.py" "$zip_corpus"
./fuzz-zip-extract -max_total_time="$zip_seconds" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz/zip-" "$zip_corpus"
# Seed with well-formed IPC frames (CONNECT, PING, every header type).
event_stream_corpus=$build/fuzz/event-stream-corpus
mkdir -p "$event_stream_corpus"
/usr/bin/python3 "$src/tests/fuzz/make_event_stream_seeds.py" "$event_stream_corpus"
./fuzz-event-stream -max_total_time="$event_stream_seconds" -max_len=8192 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz/event-stream-" "$event_stream_corpus"
