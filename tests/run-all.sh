#!/usr/bin/env bash
# Runs every test of ggl on a Debian 12 machine: installs what is missing, checks the
# C++ format, builds with warnings as errors, runs ctest, runs the unit tests again under
# ASan+UBSan, fuzzes the bus decoder for a bounded time, and prints the benchmark figures.
# Usage: tests/run-all.sh            (FUZZ_SECONDS=60 by default)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
fuzz_seconds=${FUZZ_SECONDS:-60}
jobs=$(nproc)

step() { printf '\n==== %s\n' "$*"; }

step "dependencies"
tests/install-deps.sh

step "format (.clang-format; tests/check-format.sh --fix formats)"
tests/check-format.sh

step "build (warnings are errors)"
# Optimised as released, without debug info: a quarter less compile time (the sanitizer
# build below keeps it, for its reports).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
  -DGGL_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

step "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGGL_WERROR=ON -DGGL_SANITIZE=ON \
  -DGGL_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900

step "fuzzing the bus frame, ZIP and IPC event-stream decoders for ${fuzz_seconds} s"
GGL_FUZZ_BUILD_DIR="$src/build-fuzz" tests/fuzz/run.sh "$fuzz_seconds"

step "bus benchmark (figures only; goals are checked by reading them)"
build/bench/bench-bus --quick

step "recipe benchmark (translations/s, peak RSS of ggl recipe translate on 200 KB)"
build/bench/bench-recipe

step "configuration benchmark (reads/s, durable writes/s and fsyncs per write, PSS)"
build/bench/bench-config

step "deployment benchmark (deploy --wait to RUNNING for 1 and 20 components; daemon PSS)"
bench/deploy.sh build/bin 1

step "footprint (installed size, ggl.target ready time, daemons' PSS while serving a light load and idle; figures only)"
bench/footprint.sh build/bin 5

step "IoT Core benchmark (publishes/s through iotcored against libmosquitto direct, latency, reconnect, PSS)"
build/bench/bench-iot --quick

step "IPC benchmark (PublishToTopic -> subscriber messages/s, latency, ggipcd + ggpubsubd PSS)"
build/bench/bench-ipc --quick
bench/ipc_sdk.sh build/bin 2 64 || [ $? -eq 77 ]  # the same through the Node.js Device SDK (77: no SDK)
