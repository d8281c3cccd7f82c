#!/usr/bin/env bash
# Builds the bus frame fuzzer with clang and runs it for a bounded time; fails on any finding.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 60)
set -euo pipefail
seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${GGL_FUZZ_BUILD_DIR:-$src/build-fuzz}
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGGL_FUZZ=ON -DGGL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz-bus-frame
corpus=$build/fuzz/corpus
mkdir -p "$corpus"
# Seed with well-formed frames so the fuzzer starts past the length prefix.
/usr/bin/python3 "$src/tests/fuzz/make_seeds.py" "$corpus"
cd "$build/fuzz"
./fuzz-bus-frame -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz/" "$corpus"
