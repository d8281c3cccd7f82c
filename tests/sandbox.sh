#!/usr/bin/env bash
# The main job: builds ggl and runs the bus stack that exists so far in a sandbox
# directory (nothing outside it is touched), then shows it from the shell with `ggl bus`.
# Usage: tests/sandbox.sh [--keep]   (--keep: leave the stack running until Ctrl-C)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
keep=false
[[ ${1:-} == --keep ]] && keep=true

"$src/tests/install-deps.sh"
cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$src/build" -j "$(nproc)"

sandbox=$(mktemp -d /tmp/ggl-sandbox.XXXXXX)
export GGL_RUNTIME_DIR=$sandbox/run GGL_ROOT=$sandbox/root GGL_CONFIG_DIR=$sandbox/etc
mkdir -p "$GGL_RUNTIME_DIR" "$GGL_ROOT" "$GGL_CONFIG_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$sandbox"
}
trap cleanup EXIT INT TERM

# Until the daemons land, the stack is the bus test service (every bus behaviour a
# client meets); each daemon issue adds itself here.
"$src/build/tests/ggl-test-service" --service demo 2>"$sandbox/demo.log" &
pids+=($!)
for _ in $(seq 100); do [[ -S $GGL_RUNTIME_DIR/demo ]] && break; sleep 0.05; done

ggl=$src/build/bin/ggl
run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$ggl" bus list
run "$ggl" bus describe demo
run "$ggl" bus call demo echo '{"hello":"world","n":42}'
run "$ggl" bus subscribe demo stream '{"count":3}'
run "$ggl" bus call demo fail '{"code":"NOENTRY","message":"no such thing"}' || echo "(exit $?)"

if $keep; then
  echo
  echo "The stack runs in $sandbox. In another shell:"
  echo "  export GGL_RUNTIME_DIR=$GGL_RUNTIME_DIR; $ggl bus describe demo"
  echo "Ctrl-C stops it."
  wait
fi
