#!/bin/bash
# The IPC sample end to end (issue 7): `ggl deploy local --wait` deploys
# samples/com.example.IpcSdkDemo, a Node.js component on the unmodified AWS IoT Device SDK
# v2, into ggconfigd, gghealthd, ggdeploymentd, ggipcd and ggpubsubd running as units of
# a real systemd user manager (docs/testing.md). The component gets its socket path from the
# unit the deployment wrote and its SVCUID from recipe-runner; the checks watch it from
# outside, on gg_pubsub (`ggl bus subscribe`, which no accessControl filters), in its
# journal and in ggipcd's and gghealthd's:
# it connected with the issued token, read its configuration (the greeting and thing
# name it publishes are the deployment's), subscribed (it answers a request), reported
# RUNNING through UpdateState, was denied a publish outside its accessControl (and
# reported that), and stops cleanly on SIGTERM.
# Exit 77 (skip) without root (user_manager.sh) or when the SDK cannot be installed.
# Usage: ipc_sdk_deploy_test.sh BIN_DIR    (GGL_IPC_SDK_CACHE: the SDK cache to use; the
#                                          sandbox below has a HOME of its own)
set -u
bin=$(realpath "$1")
src=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
. "$src/tests/integration/user_manager.sh"
. "$src/tests/integration/ggl_daemons.sh"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ggl() { "$bin/ggl" "$@"; }

if ! modules=$("$src/tests/ipc_sdk/install.sh"); then
    echo "SKIP: the SDK could not be installed (no network, and nothing cached)" >&2
    exit 77
fi

component=com.example.IpcSdkDemo
out=$UM_TOP/out
mkdir -p "$out"
printf 'system:\n  thingName: ipc-demo-thing\nservices:\n  aws.greengrass.NucleusLite:\n    configuration:\n      awsRegion: eu-west-1\n' \
    > "$GGL_CONFIG_DIR/config.yaml"
start_ggl_daemons "$bin" --settle-ms=300 || exit 1

journal() { journalctl --no-pager -o cat "SYSLOG_IDENTIFIER=$1" 2>/dev/null; }
report() {  # what a failing check needs to be understood
    echo "---- ggl bus subscribe output" >&2; cat "$out/bus.jsonl" >&2
    echo "---- $component's journal" >&2; journal "$component" >&2
    echo "---- ggipcd's journal" >&2; journal ggipcd | tail -n 30 >&2
    echo "---- gghealthd's journal" >&2; journal gghealthd | tail -n 30 >&2
}

# Everything published on the local bus, from before the deployment on.
ggl bus subscribe gg_pubsub subscribe '{"topic_filter":"#"}' > "$out/bus.jsonl" 2> "$out/bus.err" &
subscriber=$!
um_on_exit "kill $subscriber 2>/dev/null"
wait_for "ggl bus call gg_pubsub stats | grep -q '\"topic_filter\": *\"#\"'" 10 \
    || { cat "$out/bus.err" >&2; fail "ggl bus subscribe did not subscribe"; exit 1; }
# published TOPIC JSON_FRAGMENT: a message on TOPIC whose JSON holds the fragment arrived.
published() { grep -F "\"topic\":\"$1\"" "$out/bus.jsonl" | grep -qF -- "$2"; }

# The greeting is the deployment's, not the recipe's default, and NODE_PATH is where
# install.sh put the SDK: the component reads its configuration.
greeting="Hello from test $$ at $(date +%s%N)"
ggl deploy local -r "$src/samples/recipes" -a "$src/samples/artifacts" -c "$component=1.0.0" --wait \
    --update-config "{\"$component\":{\"MERGE\":{\"greeting\":\"$greeting\",\"nodeModulesPath\":\"$modules\"}}}" \
    > "$out/deploy.txt" 2>&1
status=$?
[ "$status" -eq 0 ] || fail "deploy exited $status: $(cat "$out/deploy.txt")"
[ -s "$GGL_ROOT/ipc/svcuid/$component" ] || fail "the deployment issued no SVCUID"

wait_for "published ggl/demo/greetings '\"greeting\":\"$greeting\"'" 15 || fail "no greeting published"
published ggl/demo/greetings '"thingName":"ipc-demo-thing"' || fail "the greeting lacks AWS_IOT_THING_NAME's thing name"
journal ggipcd | grep -q "IPC client connected as $component" || fail "ggipcd did not accept the deployment's SVCUID"

# Its UpdateState went through ggipcd to gghealthd, which logs it, and was answered (the
# component logs that). A run unit is RUNNING from its start anyway: the state alone
# would not tell.
wait_for "journal gghealthd | grep -q '^$component reported RUNNING'" 10 || fail "gghealthd got no UpdateState RUNNING"
wait_for "journal $component | grep -q 'reported state RUNNING'" 10 || fail "no answer to UpdateState"
ggl component list > "$out/list.txt" 2>&1
grep -q "$component.*1\.0\.0.*RUNNING" "$out/list.txt" || fail "not RUNNING in ggl component list: $(cat "$out/list.txt")"

# A request on its subscribed topic is answered on the configured reply topic.
token="ping-$$-$(date +%s%N)"
ggl bus call gg_pubsub publish "{\"topic\":\"ggl/demo/requests\",\"message\":{\"json\":{\"text\":\"$token\"}}}" \
    > /dev/null || fail "cannot publish the request"
wait_for "published ggl/demo/replies '\"echo\":\"$token\"'" 10 || fail "the request was not answered"
published ggl/demo/replies "\"greeting\":\"$greeting\"" || fail "the answer lacks the greeting"

# A reply topic outside its accessControl: ggipcd denies the publish, and the component
# reports the UnauthorizedError on its own reply topic instead.
ggl bus call gg_pubsub publish \
    '{"topic":"ggl/demo/requests","message":{"json":{"text":"denied","replyTopic":"ggl/elsewhere/x"}}}' \
    > /dev/null || fail "cannot publish the request for a denied topic"
wait_for "published ggl/demo/replies '\"topic\":\"ggl/elsewhere/x\"'" 10 || fail "the denial was not reported"
published ggl/demo/replies '"error":"UnauthorizedError"' || fail "the report does not say UnauthorizedError"
grep -q '^{"topic":"ggl/elsewhere/x"' "$out/bus.jsonl" && fail "a message reached the denied topic"
journal ggipcd | grep -q "denied aws.greengrass#PublishToTopic for $component on resource \"ggl/elsewhere/x\"" \
    || fail "ggipcd did not log the denial"

# SIGTERM: it closes its connection and exits 0.
ggl component stop "$component" > /dev/null || fail "ggl component stop exited $?"
wait_for "journal $component | grep -q 'SIGTERM: stopping'" 10 || fail "it did not handle SIGTERM"
status_json=$(ggl component status "$component" --json=short 2>&1)
case $status_json in
    *'"lifecycle_state":"FINISHED"'*'"exit_status":0'* | *'"exit_status":0'*'"lifecycle_state":"FINISHED"'*) ;;
    *) fail "after the stop: $status_json" ;;
esac

if [ "$failures" -gt 0 ]; then
    report
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "ipc_sdk_deploy: $component deployed, connected, configured, subscribed, published, reported RUNNING, was denied and stopped"
