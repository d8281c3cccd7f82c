#!/bin/bash
# PublishToIoTCore and SubscribeToIoTCore from a component on the unmodified AWS IoT
# Device SDK v2 (tests/ipc_sdk/ipc_client.js), through ggipcd and iotcored, to the test
# stand's broker (stand.sh) and back: a message each way, a publish the component's
# accessControl (aws.greengrass.ipc.mqttproxy) does not allow, a QoS 1 publish while IoT
# Core is down (spooled, answered as a success, delivered later), and a SubscribeToIoTCore
# stream that outlives iotcored stopped and started again, and iotcored killed with
# SIGKILL: ggipcd subscribes again, and the component's stream gets every message.
# Exit 77 (skip) when the SDK or mosquitto is missing.
# Usage: ipc_iot_core_test.sh BIN_DIR (holding ggl, ggconfigd, ggipcd and iotcored)
set -u
bin=$(realpath "$1")
sdk=$(cd "$(dirname "$(realpath "$0")")/../ipc_sdk" && pwd)
. "$(dirname "$(realpath "$0")")/stand.sh"
if ! modules=$("$sdk/install.sh"); then
    echo "SKIP: the SDK could not be installed (no network, and nothing cached)" >&2
    exit 77
fi
start_stand --thing ipc-test-thing
stand_env
mkdir -p "$GGL_ROOT/ipc/svcuid"
token=IpcIotCoreTestTokenForComponentA0123
printf '%s' "$token" > "$GGL_ROOT/ipc/svcuid/com.example.A"
cloud=(-h localhost -p "$broker" --cafile "$pki/ca.pem" --cert "$pki/device.pem" --key "$pki/device.key" -V 5 -q 1)
ggl() { "$bin/ggl" "$@"; }
start() { start_daemon "$bin" "$@"; }  # EXE SOCKET_NAME [ARGS...]
wait_local_subscribers() {  # N: until iotcored counts N local subscribers
    for _ in $(seq 100); do
        ggl iot status --json=short 2>/dev/null | grep -q "\"connected\":true.*\"local_subscribers\":$1," && return 0
        sleep 0.1
    done
    fail "iotcored never had $1 local subscriber(s): $(ggl iot status --json=short 2>&1)"
}
wait_delivered() {  # PAYLOAD: until the component's stream printed it (messages in flight
    # to a clean-session subscriber are lost when it goes, on IoT Core as here)
    for _ in $(seq 100); do
        grep -q "\"payload\":\"$1\"" "$STAND_DIR/subscriber.out" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "the component's stream did not get '$1': $(cat "$STAND_DIR/subscriber.out")"
}
component() {  # NAME COMMAND ARGS...: the SDK client as com.example.A, output in NAME.out
    local name=$1
    shift
    env NODE_PATH="$modules" GGL_IPC_TIMEOUT_MS=30000 SVCUID="$token" \
        AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT="$GGL_RUNTIME_DIR/gg-ipc.socket" \
        node "$sdk/ipc_client.js" "$@" > "$STAND_DIR/$name.out" 2> "$STAND_DIR/$name.err"
}

start ggconfigd gg_config
ggl config set system "{\"thingName\": \"ipc-test-thing\", \"certificateFilePath\": \"$pki/device.pem\",
    \"privateKeyPath\": \"$pki/device.key\", \"rootCaPath\": \"$pki/ca.pem\"}" > /dev/null
ggl config set services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint "localhost:$front" > /dev/null
ggl config set --path '["services","com.example.A","configuration","accessControl"]' \
    '{"aws.greengrass.ipc.mqttproxy":{"a:mqtt:1":{"operations":["aws.greengrass#PublishToIoTCore"],"resources":["device/*"]},"a:mqtt:2":{"operations":["aws.greengrass#SubscribeToIoTCore"],"resources":["cloud/#"]}}}' \
    > /dev/null || fail "cannot write the accessControl"
start iotcored aws_iot_mqtt --backoff-base-ms 200
iotcored=$last_pid
start ggipcd gg-ipc.socket

# Device to cloud.
timeout 30 mosquitto_sub "${cloud[@]}" -i cloud-sub -t 'device/#' -v -C 1 > "$STAND_DIR/cloud.out" 2>&1 &
cloud_sub=$!
pids+=("$cloud_sub")
sleep 0.5
component publish iot-publish device/hello "from the component" 1 || fail "PublishToIoTCore: $(cat "$STAND_DIR/publish.out" "$STAND_DIR/publish.err")"
wait "$cloud_sub"
grep -qx "device/hello from the component" "$STAND_DIR/cloud.out" || fail "the cloud got: $(cat "$STAND_DIR/cloud.out")"
component denied iot-publish elsewhere/x nope 1
[ $? -eq 1 ] && grep -q UnauthorizedError "$STAND_DIR/denied.out" ||
    fail "a publish outside the policy was not refused: $(cat "$STAND_DIR/denied.out" "$STAND_DIR/denied.err")"

# Offline: the component's QoS 1 publish is spooled (success), and delivered once IoT Core
# is back (iotcored is kept away until the cloud's subscriber listens).
endpoint=services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint
stand_ctl broker-stop > /dev/null
for _ in $(seq 100); do ggl iot status > /dev/null 2>&1 || break; sleep 0.1; done
component offline iot-publish device/offline "while offline" 1 ||
    fail "PublishToIoTCore while offline: $(cat "$STAND_DIR/offline.out" "$STAND_DIR/offline.err")"
ggl config set "$endpoint" "localhost:1" > /dev/null
for _ in $(seq 100); do ggl iot status --json=short | grep -q '"port":1,' && break; sleep 0.1; done
stand_ctl broker-start > /dev/null
timeout 30 mosquitto_sub "${cloud[@]}" -i cloud-sub -t 'device/#' -v -C 1 > "$STAND_DIR/cloud.out" 2>&1 &
cloud_sub=$!
pids+=("$cloud_sub")
sleep 0.5
ggl config set "$endpoint" "localhost:$front" > /dev/null
wait "$cloud_sub"
grep -qx "device/offline while offline" "$STAND_DIR/cloud.out" ||
    fail "the spooled message: the cloud got: $(cat "$STAND_DIR/cloud.out")"

# Cloud to device, across an iotcored restart and an iotcored killed.
component subscriber iot-subscribe 'cloud/+' 3 &
subscriber=$!
pids+=("$subscriber")
wait_local_subscribers 1
mosquitto_pub "${cloud[@]}" -i cloud-pub -t cloud/one -m one
wait_delivered one
kill "$iotcored"
sleep 0.5
start iotcored aws_iot_mqtt --backoff-base-ms 200
iotcored=$last_pid
wait_local_subscribers 1
mosquitto_pub "${cloud[@]}" -i cloud-pub -t cloud/two -m two
wait_delivered two
kill -9 "$iotcored"
sleep 0.5
start iotcored aws_iot_mqtt --backoff-base-ms 200
wait_local_subscribers 1
mosquitto_pub "${cloud[@]}" -i cloud-pub -t cloud/three -m three
wait "$subscriber" || fail "the SubscribeToIoTCore stream: $(cat "$STAND_DIR/subscriber.out" "$STAND_DIR/subscriber.err")"
got=$(grep -o '"payload":"[a-z]*"' "$STAND_DIR/subscriber.out" | tr '\n' ' ')
[ "$got" = '"payload":"one" "payload":"two" "payload":"three" ' ] ||
    fail "the component's stream got: $(cat "$STAND_DIR/subscriber.out")"
grep -q '"topic":"cloud/three"' "$STAND_DIR/subscriber.out" || fail "no topic in the events: $(cat "$STAND_DIR/subscriber.out")"

[ "$failures" -eq 0 ] && echo "ipc_iot_core_test: all checks passed"
exit $((failures > 0))
