#!/bin/sh
# recipe-runner on its own: configuration from a real ggconfigd (and from the config file
# when ggconfigd is not there), values reaching the script as data, and a failed
# interpolation running nothing at all.
# Usage: recipe_runner_test.sh RECIPE_RUNNER GGCONFIGD GGL_BUS
set -u
runner=$1 ggconfigd=$2 ggl_bus=$3
top=$(mktemp -d)
export GGL_RUNTIME_DIR="$top/run" GGL_ROOT="$top/root" GGL_CONFIG_DIR="$top/etc" GGL_CONFIG_DB="$top/config.db"
mkdir -p "$GGL_RUNTIME_DIR" "$GGL_ROOT/packages/recipes" "$GGL_CONFIG_DIR"
daemon=
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$top"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
work="$GGL_ROOT/work/com.example.Runner"

cat > "$GGL_ROOT/packages/recipes/com.example.Runner-1.0.0.yaml" <<'RECIPE'
RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Runner
ComponentVersion: 1.0.0
ComponentConfiguration:
  DefaultConfiguration: {who: default, untouched: kept}
Manifests:
  - Lifecycle:
      Setenv: {WHO_ENV: '{configuration:/who}'}
      run: printf '%s|%s|%s|%s\n' {configuration:/who} "$WHO_ENV" '{configuration:/untouched}' {iot:thingName} > out.txt
      install: touch installed-{iot:thingName}; touch partial
RECIPE
run() { "$runner" --component com.example.Runner --version 1.0.0 --phase "$1" 2> "$top/stderr"; }

# Offline, no thing name: {iot:thingName} cannot resolve, so nothing of the script runs.
run install
[ $? -eq 1 ] || fail "unresolvable variable: exit status"
[ ! -e "$work/partial" ] || fail "unresolvable variable: part of the script ran"
grep -q 'no thing name' "$top/stderr" || fail "unresolvable variable: message $(cat "$top/stderr")"

# Offline, the config file gives the thing name and overrides a default.
printf 'system: {thingName: file-thing}\nservices:\n  com.example.Runner:\n    configuration: {who: "from file"}\n' \
    > "$GGL_CONFIG_DIR/config.yaml"
run run || fail "offline run: $(cat "$top/stderr")"
[ "$(cat "$work/out.txt")" = "from file|from file|kept|file-thing" ] || fail "offline run: $(cat "$work/out.txt")"

# With ggconfigd: its configuration wins, and a hostile value is data.
"$ggconfigd" > "$top/ggconfigd.log" 2>&1 &
daemon=$!
tries=0
until [ -S "$GGL_RUNTIME_DIR/gg_config" ] || [ $tries -ge 100 ]; do sleep 0.05; tries=$((tries + 1)); done
"$ggl_bus" call gg_config write '{"key_path":["services","com.example.Runner","configuration"],"value":{"who":"bus $(touch pwned) '"'"'q'"'"'"}}' >/dev/null \
    || fail "writing to ggconfigd"
"$ggl_bus" call gg_config write '{"key_path":["system"],"value":{"thingName":"bus-thing"}}' >/dev/null
run run || fail "run with ggconfigd: $(cat "$top/stderr")"
[ "$(cat "$work/out.txt")" = "bus \$(touch pwned) 'q'|bus \$(touch pwned) 'q'|kept|bus-thing" ] \
    || fail "run with ggconfigd: $(cat "$work/out.txt")"
[ ! -e "$work/pwned" ] || fail "a configuration value ran as a command"

run install || fail "install with ggconfigd: $(cat "$top/stderr")"
[ -e "$work/installed-bus-thing" ] || fail "install: {iot:thingName} from ggconfigd"

# Usage errors.
"$runner" --component com.example.Runner --version 1.0.0 --phase nonsense 2>/dev/null
[ $? -eq 2 ] || fail "bad phase: exit status"
"$runner" --component '../x' --version 1.0.0 --phase run 2>/dev/null
[ $? -eq 2 ] || fail "bad component name: exit status"

echo "$failures failures"
[ "$failures" -eq 0 ]
