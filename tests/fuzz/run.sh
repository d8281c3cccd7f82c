#!/usr/bin/env bash
# Builds the libFuzzer targets (bus frame decoder, ZIP extraction) with clang and runs them for a
# bounded total time; fails on any finding.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 60)
set -euo pipefail
seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${GGL_FUZZ_BUILD_DIR:-$src/build-fuzz}
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGGL_FUZZ=ON -DGGL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz-bus-frame fuzz-zip-extract
corpus=$build/fuzz/corpus
mkdir -p "$corpus"
# Seed with well-formed frames so the fuzzer starts past the length prefix.
/usr/bin/python3 "$src/tests/fuzz/make_seeds.py" "$corpus"
# The budget is shared: two thirds for the bus decoder, a third for the ZIP reader.
zip_seconds=$((seconds / 3))
cd "$build/fuzz"
./fuzz-bus-frame -max_total_time="$((seconds - zip_seconds))" -max_len=4096 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz/" "$corpus"
# Seed with the store tests' archives, good and hostile.
zip_corpus=$build/fuzz/zip-corpus
mkdir -p "$zip_corpus"
/usr/bin/python3 "$src/tests/fixtures/zip/make_zips.py" "$zip_corpus"
./fuzz-zip-extract -max_total_time="$zip_seconds" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz/zip-" "$zip_corpus"
