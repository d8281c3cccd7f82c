#!/bin/sh
# Configuration validation end to end: the ggl daemons (ggipcd included) as units of a real
# systemd user manager, a component deployed with `ggl deploy local` whose run script is the
# unmodified AWS IoT Device SDK v2 (tests/ipc_sdk/ipc_client.js validate-config) subscribed
# with SubscribeToValidateConfigurationUpdates. It REJECTs a configuration that has the key
# "bad": that deployment fails and the configuration stays; it ACCEPTs another, which is
# applied. A malformed accessControl policy fails its deployment before anything changes, and
# without ggipcd a configuration change proceeds.
# Exit 77 (skip) without root (user_manager.sh) or when the SDK cannot be installed.
#   ipc_sdk_validation_test.sh BIN_DIR    (GGL_IPC_SDK_CACHE: the SDK cache, as install.sh takes it)
set -u
bin=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
sdk=$(cd "$here/../ipc_sdk" && pwd)
# The caller's SDK cache: the sandbox below has a HOME of its own.
GGL_IPC_SDK_CACHE=${GGL_IPC_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ggl/ipc_sdk}
export GGL_IPC_SDK_CACHE
. "$here/user_manager.sh"

failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
ggl() { "$bin/ggl" "$@"; }
section() { echo "== $*"; }

if ! modules=$("$sdk/install.sh"); then
    echo "SKIP: the SDK could not be installed (no network, and nothing cached)" >&2
    exit 77
fi
. "$here/ggl_daemons.sh"
start_ggl_daemons "$bin" --settle-ms=300 || exit 1
wait_for "[ -S '$GGL_RUNTIME_DIR/gg-ipc.socket' ]" 10 || { fail "ggipcd serves no IPC socket"; ggl_daemon_journals; exit 1; }

recipes="$UM_TOP/recipes"
out="$UM_TOP/out"
mkdir -p "$recipes" "$out"
name=com.example.Validator
log="$out/validator.log"
# The component answers every proposal for as long as it runs (COUNT 0).
cat > "$recipes/$name-1.0.0.yaml" <<YAML
RecipeFormatVersion: '2020-01-25'
ComponentName: $name
ComponentVersion: '1.0.0'
ComponentConfiguration:
  DefaultConfiguration: {threshold: 5}
Manifests:
  - Platform: {os: linux}
    Lifecycle:
      run: NODE_PATH=$modules exec node $sdk/ipc_client.js validate-config --reject-if bad 0 >> $log 2>&1
YAML
deploy() { ggl deploy local -r "$recipes" --wait --validation-timeout 20 "$@"; }
config_of() { ggl config get "services/$name/configuration/$1" 2>&1; }
subscriptions() { grep -c '"event":"subscribed"' "$log"; }
# refused WHAT PATTERN DEPLOY-ARGS...: the deployment exits 1, FAILED_NO_STATE_CHANGE, and
# its status says PATTERN (a grep pattern); outputs in $out/WHAT*.
refused() {
    what=$1 pattern=$2
    shift 2
    deploy "$@" > "$out/$what.txt" 2>&1
    status=$?
    [ $status -eq 1 ] || fail "$what: the deployment exited $status: $(cat "$out/$what.txt")"
    ggl deploy status --json=short > "$out/$what-status.json" 2>&1 || true
    grep -q 'FAILED_NO_STATE_CHANGE' "$out/$what-status.json" || fail "$what: status $(cat "$out/$what-status.json")"
    grep -q "$pattern" "$out/$what-status.json" ||
        fail "$what: the status does not say '$pattern': $(cat "$out/$what-status.json")"
}

section "the validating component is deployed and subscribes"
deploy -c "$name=1.0.0" > "$out/deploy1.txt" 2>&1 || fail "deploy 1.0.0 exited $?: $(cat "$out/deploy1.txt")"
wait_for "grep -q '\"event\":\"subscribed\"' '$log' 2>/dev/null" 20 ||
    fail "the component never subscribed: $(cat "$log" 2>/dev/null)"

section "a REJECTED report fails the deployment, and nothing is applied"
refused rejected "$name failed in phase validate: the component rejected its new configuration: bad is" \
    --update-config "{\"$name\":{\"MERGE\":{\"threshold\":6,\"bad\":\"port 1 is taken\"}}}"
[ "$(config_of threshold)" = 5 ] || fail "rejected: threshold is $(config_of threshold), expected 5"
config_of bad > /dev/null 2>&1 && fail "rejected: bad was written: $(config_of bad)"
grep -q '"event":"validate-request".*"threshold":6' "$log" || fail "rejected: the component never saw the proposal: $(cat "$log")"
grep -q '"event":"reported","status":"REJECTED"' "$log" || fail "rejected: no REJECTED report: $(cat "$log")"

section "an ACCEPTED report lets the deployment apply the configuration"
subscribed_before=$(subscriptions)
deploy --update-config "{\"$name\":{\"MERGE\":{\"threshold\":7}}}" > "$out/accept.txt" 2>&1 ||
    fail "the accepted deployment exited $?: $(cat "$out/accept.txt")"
ggl deploy status --json=short > "$out/accept-status.json" 2>&1 || true
grep -q '"state":"SUCCEEDED"' "$out/accept-status.json" || fail "accepted: status $(cat "$out/accept-status.json")"
grep -q "$name accepted its new configuration" "$out/accept-status.json" ||
    fail "accepted: the record does not show the report: $(cat "$out/accept-status.json")"
[ "$(config_of threshold)" = 7 ] || fail "accepted: threshold is $(config_of threshold), expected 7"
grep -q '"event":"reported","status":"ACCEPTED"' "$log" || fail "accepted: no ACCEPTED report: $(cat "$log")"
# The component restarted with its new configuration and subscribed again.
wait_for "[ \$(grep -c '\"event\":\"subscribed\"' '$log') -gt $subscribed_before ]" 20 ||
    fail "the component did not subscribe again after its restart"

section "a malformed accessControl policy fails the deployment before anything changes"
refused acl "accessControl of $name: policy" \
    --update-config "{\"$name\":{\"MERGE\":{\"threshold\":8,\"accessControl\":{\"aws.greengrass.ipc.pubsub\":{\"$name:pubsub:1\":{\"operations\":\"aws.greengrass#PublishToTopic\",\"resources\":[\"t\"]}}}}}}"
[ "$(config_of threshold)" = 7 ] || fail "accessControl: threshold is $(config_of threshold), expected 7"
# Checked before the validation subscriber was asked.
[ "$(grep -c '"threshold":8' "$log")" -eq 0 ] || fail "accessControl: the component was asked to validate"

section "without ggipcd, a configuration change proceeds unvalidated"
cat > "$recipes/com.example.Plain-1.0.0.yaml" <<YAML
RecipeFormatVersion: '2020-01-25'
ComponentName: com.example.Plain
ComponentVersion: '1.0.0'
ComponentConfiguration:
  DefaultConfiguration: {level: 1}
Manifests:
  - Platform: {os: linux}
    Lifecycle:
      run: exec sleep 600
YAML
deploy -c com.example.Plain=1.0.0 > "$out/plain.txt" 2>&1 || fail "deploy Plain exited $?: $(cat "$out/plain.txt")"
ctl stop ggipcd.service || fail "cannot stop ggipcd"
# The validating component goes too: without ggipcd its client has nothing to talk to.
deploy -d "$name" --update-config '{"com.example.Plain":{"MERGE":{"level":2}}}' > "$out/no-ipcd.txt" 2>&1 ||
    fail "the deployment without ggipcd exited $?: $(cat "$out/no-ipcd.txt")"
[ "$(ggl config get services/com.example.Plain/configuration/level 2>&1)" = 2 ] ||
    fail "without ggipcd: level is $(ggl config get services/com.example.Plain/configuration/level 2>&1)"

if [ $failures -gt 0 ]; then
    echo "$failures check(s) failed; the component's output:" >&2
    cat "$log" >&2
    ggl_daemon_journals
    exit 1
fi
echo "ipc_sdk_validation: a component's validity reports failed one deployment and let another apply"
