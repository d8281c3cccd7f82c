#!/usr/bin/env bash
# The main job: builds ggl and runs the stack that exists so far in a sandbox directory
# (nothing outside it is touched), then uses it from the shell with `ggl`.
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

# The stack so far: ggconfigd (the configuration store) and, until more daemons land,
# the bus test service. Each daemon issue adds itself here.
"$src/build/bin/ggconfigd" 2>"$sandbox/ggconfigd.log" &
pids+=($!)
"$src/build/tests/ggl-test-service" --service demo 2>"$sandbox/demo.log" &
pids+=($!)
for socket in gg_config demo; do
  for _ in $(seq 200); do [[ -S $GGL_RUNTIME_DIR/$socket ]] && break; sleep 0.05; done
  [[ -S $GGL_RUNTIME_DIR/$socket ]] || { echo "sandbox: $socket did not start" >&2; cat "$sandbox"/*.log >&2; exit 1; }
done

ggl=$src/build/bin/ggl
run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$ggl" bus list
run "$ggl" config set system/thingName sandbox-device
run "$ggl" config set services/com.example.Hello/configuration '{"greeting":"hello","repeat":3}'
run "$ggl" config get system/thingName
run "$ggl" config export
run "$ggl" bus call gg_config read '{"key_path":["services","com.example.Hello"]}'
run "$ggl" recipe validate "$src/tests/fixtures/recipes/thing_name.yaml"
run "$ggl" recipe translate "$src/tests/fixtures/recipes/thing_name.yaml" --thing-name sandbox-device -o -
run "$ggl" bus subscribe demo stream '{"count":3}'
run "$ggl" bus call demo fail '{"code":"NOENTRY","message":"no such thing"}' || echo "(exit $?)"

if $keep; then
  echo
  echo "The stack runs in $sandbox. In another shell:"
  echo "  export GGL_RUNTIME_DIR=$GGL_RUNTIME_DIR GGL_ROOT=$GGL_ROOT; $ggl config get system"
  echo "Ctrl-C stops it."
  wait
fi
