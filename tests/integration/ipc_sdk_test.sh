#!/usr/bin/env bash
# ggipcd through the unmodified AWS IoT Device SDK v2 (tests/ipc_sdk/ipc_client.js), with
# real ggconfigd, ggpubsubd and ggipcd on real sockets, and two components whose SVCUIDs
# and accessControl are in place as a deployment leaves them. The client runs with SVCUID
# and AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT as a deployed component gets them.
# Checks: connect with a good and a bad token; publish/subscribe between the components
# with JSON and binary messages, wildcards and receiveMode; GetConfiguration,
# UpdateConfiguration (with its timestamp check) and SubscribeToConfigurationUpdate;
# SubscribeToValidateConfigurationUpdates and SendConfigurationValidityReport driven by
# ggipcd's validate_configuration bus method; a publish denied by policy; and
# UpdateState without gghealthd answering a ServiceError; and, when run under
# with_user_manager.sh, UpdateState and ListComponents through a real gghealthd.
# Exit 77 (skip) when the SDK cannot be installed.
#   ipc_sdk_test.sh BIN_DIR    (holding ggconfigd, ggpubsubd, ggipcd, ggl-config; gghealthd
#                               too when run by with_user_manager.sh)
set -uo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")/../ipc_sdk" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

if ! modules=$("$here/install.sh"); then
  echo "SKIP: the SDK could not be installed (no network, and nothing cached)" >&2
  exit 77
fi

# Under with_user_manager.sh (a real systemd user manager), gghealthd runs too and
# UpdateState / ListComponents are checked against it; otherwise their error without it.
with_health=false
if [[ ${GGL_SYSTEMD_SCOPE:-} == user && -S ${XDG_RUNTIME_DIR:-/nonexistent}/systemd/private && -n ${GGL_UNIT_DIR:-} ]]; then
  with_health=true
fi
export GGL_RUNTIME_DIR=$work/run GGL_ROOT=$work/root GGL_CONFIG_DIR=$work/etc GGL_CONFIG_DB=$work/root/config.db
mkdir -p "$GGL_RUNTIME_DIR" "$GGL_ROOT/ipc/svcuid" "$GGL_CONFIG_DIR"
socket=$GGL_RUNTIME_DIR/gg-ipc.socket
token_a=SdkTestTokenForComponentA0123456789
token_b=SdkTestTokenForComponentB0123456789
# As deployments issue them: written aside, renamed into place.
issue_token() {
  printf '%s' "$2" >"$GGL_ROOT/ipc/svcuid/$1.tmp" && mv "$GGL_ROOT/ipc/svcuid/$1.tmp" "$GGL_ROOT/ipc/svcuid/$1"
}
issue_token com.example.A "$token_a"
issue_token com.example.B "$token_b"

start() {  # EXE SOCKET_NAME
  "$bin/$1" >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do
    [[ -S $GGL_RUNTIME_DIR/$2 ]] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.025
  done
  echo "$1 did not serve $GGL_RUNTIME_DIR/$2; its log:" >&2
  cat "$work/$1.log" >&2
  exit 1
}
start ggconfigd gg_config
start ggpubsubd gg_pubsub
start ggipcd gg-ipc.socket

config() { "$bin/ggl-config" "$@"; }
# accessControl as a deployment writes it. A may publish and subscribe under sensors/,
# B may subscribe anywhere under sensors/ and publish only to sensors/b/...; neither may
# use aws.greengrass.Cli operations.
config set --path '["services","com.example.A","configuration","accessControl"]' \
  '{"aws.greengrass.ipc.pubsub":{"a:pubsub:1":{"operations":["aws.greengrass#PublishToTopic","aws.greengrass#SubscribeToTopic"],"resources":["sensors/*"]}}}' \
  || fail "config set A's accessControl"
config set --path '["services","com.example.B","configuration","accessControl"]' \
  '{"aws.greengrass.ipc.pubsub":{"b:pubsub:1":{"operations":["aws.greengrass#SubscribeToTopic"],"resources":["sensors/*"]},"b:pubsub:2":{"operations":["aws.greengrass#PublishToTopic"],"resources":["sensors/b/*"]}}}' \
  || fail "config set B's accessControl"
config set --path '["services","com.example.A","configuration","threshold"]' 5 || fail "config set threshold"
config set --path '["services","com.example.A","configuration","limits"]' '{"low":1,"unit":"C"}' || fail "config set limits"

# client NAME TOKEN ARGS... : runs ipc_client.js as component NAME; stdout in $work/NAME.out.
client() {
  local name=$1 token=$2
  shift 2
  env -u SVCUID -u AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT NODE_PATH="$modules" GGL_IPC_TIMEOUT_MS=15000 \
    SVCUID="$token" AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT="$socket" \
    node "$here/ipc_client.js" "$@" >"$work/$name.out" 2>"$work/$name.err"
}
# expect NAME STATUS : the last client run NAME ended with STATUS.
expect_status() {
  local name=$1 want=$2 got=$3
  [[ $got -eq $want ]] || fail "$name: exit $got, expected $want; stderr: $(cat "$work/$name.err")"
}
# The lines of NAME's output with the given event, as compact JSON without the event.
events() { node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  for (const l of lines) { const o = JSON.parse(l); if (o.event === process.argv[2]) { delete o.event; console.log(JSON.stringify(o)); } }
' "$work/$1.out" "$2"; }
check_events() {  # NAME EVENT EXPECTED_LINES
  local got
  got=$(events "$1" "$2")
  [[ $got == "$3" ]] || fail "$1: $2 events were:"$'\n'"$got"$'\n'"expected:"$'\n'"$3"
}
# subscriber NAME TOKEN ARGS... : a client in the background, returning once it subscribed.
subscriber() {
  local name=$1
  client "$@" &
  sub_pid=$!
  pids+=("$sub_pid")
  for _ in $(seq 400); do
    grep -q '"event":"subscribed"' "$work/$name.out" 2>/dev/null && return 0
    kill -0 "$sub_pid" 2>/dev/null || break
    sleep 0.025
  done
  fail "$name: never subscribed; stderr: $(cat "$work/$name.err")"
}
finish() {  # NAME : waits for the background subscriber NAME
  wait "$sub_pid"
  expect_status "$1" 0 $?
}

# --- CONNECT: a good token is accepted, a bad one refused.
# Clients that do not depend on each other run side by side (node takes a while to start).
client connect-good "$token_a" connect &
good=$!
client connect-bad NotAnIssuedToken000000000000 connect &
bad=$!
wait $good
expect_status connect-good 0 $?
check_events connect-good connected '{}'
wait $bad
expect_status connect-bad 3 $?
grep -q '"event":"connected"' "$work/connect-bad.out" && fail "connect-bad: the client was connected"
grep -q "cannot connect" "$work/connect-bad.err" || fail "connect-bad: stderr: $(cat "$work/connect-bad.err")"

# --- Publish/subscribe between A and B: JSON and binary through a + wildcard.
subscriber sub-plus "$token_b" subscribe 'sensors/+/temp' - 2
client pub-json "$token_a" publish-json sensors/1/temp '{"c":21.5,"tags":["x"],"ok":true}'
expect_status pub-json 0 $?
check_events pub-json published '{"topic":"sensors/1/temp"}'
client pub-binary "$token_a" publish-binary sensors/2/temp $'bytes\x01 \xc3\xa9? not JSON'
expect_status pub-binary 0 $?
finish sub-plus
check_events sub-plus message "$(printf '%s\n%s' \
  '{"topic":"sensors/1/temp","json":{"c":21.5,"tags":["x"],"ok":true}}' \
  "{\"topic\":\"sensors/2/temp\",\"binary\":\"$(printf '%s' $'bytes\x01 \xc3\xa9? not JSON' | base64 -w0)\"}")"

# --- A # wildcard; RECEIVE_MESSAGES_FROM_OTHERS drops B's own message, RECEIVE_ALL_MESSAGES keeps it.
subscriber sub-others "$token_b" subscribe 'sensors/#' RECEIVE_MESSAGES_FROM_OTHERS 1
others_pid=$sub_pid
subscriber sub-all "$token_b" subscribe 'sensors/#' RECEIVE_ALL_MESSAGES 2
all_pid=$sub_pid
client pub-own "$token_b" publish-json sensors/b/own '{"from":"B"}'
expect_status pub-own 0 $?
client pub-other "$token_a" publish-json sensors/a/deep/other '{"from":"A"}'
expect_status pub-other 0 $?
sub_pid=$others_pid finish sub-others
sub_pid=$all_pid finish sub-all
check_events sub-others message '{"topic":"sensors/a/deep/other","json":{"from":"A"}}'
check_events sub-all message "$(printf '%s\n%s' '{"topic":"sensors/b/own","json":{"from":"B"}}' \
  '{"topic":"sensors/a/deep/other","json":{"from":"A"}}')"

# --- Denied by policy: UnauthorizedError, and ggipcd logs who, what and where.
client deny-list "$token_a" list-components &
deny_list=$!
client deny-topic "$token_b" publish-json sensors/a/x '{"from":"B"}'
expect_status deny-topic 1 $?
grep -q '"event":"service-error"' "$work/deny-topic.out" || fail "deny-topic: no service-error: $(cat "$work/deny-topic.out")"
grep -q 'UnauthorizedError' "$work/deny-topic.err" || fail "deny-topic: not UnauthorizedError: $(cat "$work/deny-topic.err")"
grep -q 'com.example.B' "$work/deny-topic.err" || fail "deny-topic: the error does not name the component: $(cat "$work/deny-topic.err")"
grep -q 'denied aws.greengrass#PublishToTopic for com.example.B on resource "sensors/a/x"' "$work/ggipcd.log" ||
  fail "deny-topic: ggipcd did not log the denial: $(cat "$work/ggipcd.log")"
wait $deny_list
expect_status deny-list 1 $?
grep -q 'UnauthorizedError' "$work/deny-list.err" || fail "deny-list: not UnauthorizedError: $(cat "$work/deny-list.err")"

# --- Configuration: a leaf comes back wrapped in its key, a map as it is.
client get-leaf "$token_a" get-config threshold &
get_leaf=$!
client get-map "$token_a" get-config limits &
get_map=$!
client get-other "$token_b" get-config --component com.example.A limits unit &
get_other=$!
client get-missing "$token_a" get-config no-such-key
expect_status get-missing 1 $?
wait $get_leaf
expect_status get-leaf 0 $?
check_events get-leaf configuration '{"componentName":"com.example.A","value":{"threshold":5}}'
wait $get_map
expect_status get-map 0 $?
check_events get-map configuration '{"componentName":"com.example.A","value":{"low":1,"unit":"C"}}'
wait $get_other
expect_status get-other 0 $?
check_events get-other configuration '{"componentName":"com.example.A","value":{"unit":"C"}}'
grep -q 'ResourceNotFoundError' "$work/get-missing.err" || fail "get-missing: $(cat "$work/get-missing.err")"

# UpdateConfiguration reaches the store and a SubscribeToConfigurationUpdate subscriber.
subscriber sub-config "$token_a" subscribe-config 1 limits
client update "$token_a" update-config '{"low":-3,"high":40}' limits
expect_status update 0 $?
finish sub-config
got=$(events sub-config configuration-update)
[[ $got == '{"componentName":"com.example.A","keyPath":["limits",'* ]] ||
  fail "sub-config: the update event was $got"
client get-updated "$token_a" get-config limits
expect_status get-updated 0 $?
check_events get-updated configuration '{"componentName":"com.example.A","value":{"low":-3,"unit":"C","high":40}}'
stored=$(config get --path '["services","com.example.A","configuration","limits","high"]' 2>&1)
[[ $stored == 40 ]] || fail "the store holds limits/high = $stored"
# UpdateState (checked below) runs beside it; accessControl cannot be changed over IPC.
client state "$token_a" update-state RUNNING &
state=$!
client update-acl "$token_a" update-config '{"aws.greengrass.ipc.pubsub":{}}' accessControl
expect_status update-acl 1 $?
grep -q 'InvalidArgumentsError' "$work/update-acl.err" || fail "update-acl: $(cat "$work/update-acl.err")"

# --- UpdateState without gghealthd: a ServiceError naming gg_health, not silence.
wait $state
expect_status state 1 $?
grep -q 'ServiceError' "$work/state.err" && grep -q 'gg_health' "$work/state.err" ||
  fail "update-state without gghealthd: $(cat "$work/state.err")"

# --- UpdateConfiguration's condition check (as Greengrass): a timestamp older than the stored
# value's fails with FailedUpdateConditionCheckError and writes nothing of the request; a
# newer one writes.
client update-old "$token_a" update-config --timestamp 1000 '{"high":1,"extra":true}' limits
expect_status update-old 1 $?
grep -q 'FailedUpdateConditionCheckError' "$work/update-old.err" || fail "update-old: $(cat "$work/update-old.err")"
stored=$(config get --path '["services","com.example.A","configuration","limits","high"]' 2>&1)
[[ $stored == 40 ]] || fail "update-old changed limits/high to $stored"
config get --path '["services","com.example.A","configuration","limits","extra"]' >/dev/null 2>&1 &&
  fail "update-old wrote limits/extra"
client update-new "$token_a" update-config --timestamp $(($(date +%s%3N) + 60000)) '{"high":41}' limits
expect_status update-new 0 $?
stored=$(config get --path '["services","com.example.A","configuration","limits","high"]' 2>&1)
[[ $stored == 41 ]] || fail "update-new: limits/high is $stored"

# --- Configuration validation: a deployment's proposal (the validate_configuration bus method
# ggdeploymentd calls) reaches A's SubscribeToValidateConfigurationUpdates stream, and A's
# SendConfigurationValidityReport is the answer; without a subscriber the answer says so.
validate() {  # NAME PARAMS : ggl bus call ... > $work/NAME.json
  "$bin/ggl-bus" call ipc_component validate_configuration "$2" --json=short >"$work/$1.json" 2>&1
}
subscriber validator "$token_a" validate-config --reject-if bad 2
validate rejected '{"component_name":"com.example.A","deployment_id":"dep-1","configuration":{"bad":"port 1 is taken","x":1},"timeout_ms":15000}' ||
  fail "validate_configuration dep-1: $(cat "$work/rejected.json")"
[[ $(cat "$work/rejected.json") == '{"status":"REJECTED","message":"bad is \"port 1 is taken\""}' ]] ||
  fail "validate_configuration dep-1 answered $(cat "$work/rejected.json")"
validate accepted '{"component_name":"com.example.A","deployment_id":"dep-2","configuration":{"x":2},"timeout_ms":15000}' ||
  fail "validate_configuration dep-2: $(cat "$work/accepted.json")"
[[ $(cat "$work/accepted.json") == '{"status":"ACCEPTED","message":""}' ]] ||
  fail "validate_configuration dep-2 answered $(cat "$work/accepted.json")"
finish validator
check_events validator validate-request "$(printf '%s\n%s' \
  '{"componentName":"com.example.A","deploymentId":"dep-1","configuration":{"bad":"port 1 is taken","x":1}}' \
  '{"componentName":"com.example.A","deploymentId":"dep-2","configuration":{"x":2}}')"
validate nobody '{"component_name":"com.example.B","deployment_id":"dep-3","configuration":{}}' ||
  fail "validate_configuration dep-3: $(cat "$work/nobody.json")"
[[ $(cat "$work/nobody.json") == '{"status":"NO_SUBSCRIBER","message":"no validation subscriber"}' ]] ||
  fail "validate_configuration without a subscriber answered $(cat "$work/nobody.json")"
# A report nobody asked for (or after the answer) is an InvalidArgumentsError.
client stray-report "$token_a" send-report ACCEPTED dep-2
expect_status stray-report 1 $?
grep -q 'InvalidArgumentsError' "$work/stray-report.err" || fail "stray-report: $(cat "$work/stray-report.err")"

# --- With gghealthd under the user manager: A runs as a unit, reports RUNNING, and B (given
# aws.greengrass.Cli) lists it.
if $with_health; then
  printf '[Service]\nExecStart=/bin/sleep 300\n' >"$GGL_UNIT_DIR/ggl.com.example.A.service"
  systemctl --user daemon-reload && systemctl --user start ggl.com.example.A.service || fail "cannot start A's unit"
  systemd-run --user --quiet --unit=ipc-sdk-gghealthd -p Type=notify -p StandardError="file:$work/gghealthd.log" \
    -E GGL_RUNTIME_DIR="$GGL_RUNTIME_DIR" -E GGL_ROOT="$GGL_ROOT" -E GGL_CONFIG_DIR="$GGL_CONFIG_DIR" \
    -E GGL_CONFIG_DB="$GGL_CONFIG_DB" -E XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" -E GGL_SYSTEMD_SCOPE=user \
    "$bin/gghealthd" || fail "gghealthd did not start: $(cat "$work/gghealthd.log")"
  config set --path '["services","com.example.A","version"]' 1.2.3 || fail "config set A's version"
  config set --path '["services","com.example.B","configuration","accessControl","aws.greengrass.Cli"]' \
    '{"b:cli:1":{"operations":["aws.greengrass#ListComponents"],"resources":["*"]}}' || fail "config set B's Cli policy"
  client state-running "$token_a" update-state RUNNING
  expect_status state-running 0 $?
  check_events state-running state-updated '{"state":"RUNNING"}'
  client list "$token_b" list-components
  expect_status list 0 $?
  got=$(events list components)
  [[ $got == *'{"componentName":"com.example.A","version":"1.2.3","state":"RUNNING"}'* ]] ||
    fail "list-components: com.example.A is not listed RUNNING: $got"
  client state-bad "$token_a" update-state FINISHED
  expect_status state-bad 1 $?
  grep -q 'InvalidArgumentsError' "$work/state-bad.err" || fail "update-state FINISHED: $(cat "$work/state-bad.err")"
  systemctl --user stop ipc-sdk-gghealthd ggl.com.example.A.service
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
$with_health && echo "ipc_sdk: UpdateState and ListComponents through gghealthd under a user manager"
echo "ipc_sdk: the Device SDK connected, published, subscribed and configured through ggipcd"
