#!/bin/bash
# iotcored against the test stand (stand.sh): ggconfigd holds the device's identity and
# endpoint, iotcored connects through the IoT Core front, and `ggl iot` and mosquitto's
# own clients on the cloud side check: publishing both ways (QoS 0 and 1), IoT Core's
# limits refused before sending (the front records no violation), 60 subscriptions over
# two connections (<thing> and <thing>#2), every subscription restored after a broker
# restart and after a cut connection, QoS 1 publishes across a cut all accepted and all
# delivered, ALPN on the ALPN port, a new endpoint or certificate taken without a
# restart, and each identity fault in its own words, by iotcored and by `ggl check`'s
# cloud checks (DNS, a TLS handshake with the identity, iotcored's connection).
# Usage: iotcored_test.sh BIN_DIR (holding ggl, ggconfigd and iotcored)
set -u
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/stand.sh"
thing=iotcored-test-thing
start_stand --thing "$thing"
stand_env
export GGL_LOG_LEVEL=info
ggl() { "$bin/ggl" "$@"; }
stand_device

# device_sub FILE FILTER...: `ggl iot subscribe` in the background, ready when its
# subscription is counted by iotcored.
device_sub() {
    local out=$1
    shift
    local before
    before=$(ggl iot status --json=short | sed -n 's/.*"local_subscribers":\([0-9]*\).*/\1/p')
    ggl iot subscribe "$@" > "$out" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do
        local now
        now=$(ggl iot status --json=short | sed -n 's/.*"local_subscribers":\([0-9]*\).*/\1/p')
        [ "${now:-0}" -gt "${before:-0}" ] && { sleep 0.3; return 0; }
        sleep 0.1
    done
    fail "ggl iot subscribe $* was not counted: $(cat "$out")"
}
cloud_pub() { mosquitto_pub "${cloud[@]}" -i "cloud-pub-$RANDOM" -q 1 "$@"; }

start_iotcored
wait_status '"connected":true' || { cat "$STAND_DIR/iotcored.log" >&2; exit 1; }
ggl iot status > "$STAND_DIR/status.txt"; status=$?
[ "$status" -eq 0 ] || fail "ggl iot status: exit $status"
grep -q "^thing name: $thing" "$STAND_DIR/status.txt" || fail "status does not name the thing: $(cat "$STAND_DIR/status.txt")"

# Device to cloud and cloud to device.
cloud_sub "$STAND_DIR/cloud.out" -t 'device/#' -v -C 3
ggl iot publish device/qos1 one --qos 1 || fail "publish --qos 1"
ggl iot publish device/qos0 two || fail "publish QoS 0"
echo three | ggl iot publish device/stdin - --qos 1 || fail "publish from standard input"
wait "$cloud_sub_pid"
for line in "device/qos1 one" "device/qos0 two" "device/stdin three"; do
    grep -qx "$line" "$STAND_DIR/cloud.out" || fail "the cloud did not get '$line': $(cat "$STAND_DIR/cloud.out")"
done
device_sub "$STAND_DIR/device.out" 'commands/+' --count 2
cloud_pub -t commands/a -m first
cloud_pub -t commands/b -m second
for _ in $(seq 50); do [ "$(wc -l < "$STAND_DIR/device.out")" -ge 2 ] && break; sleep 0.1; done
[ "$(cat "$STAND_DIR/device.out")" = "$(printf 'first\nsecond')" ] ||
    fail "ggl iot subscribe printed: $(cat "$STAND_DIR/device.out")"

# IoT Core's limits: refused with exit 2 before anything is sent.
expect_refused() {  # WHAT PATTERN, then ggl's arguments
    local what=$1 pattern=$2
    shift 2
    ggl "$@" > "$STAND_DIR/refused.out" 2>&1
    local code=$?
    [ "$code" -eq 2 ] || fail "$what: exit $code, expected 2: $(cat "$STAND_DIR/refused.out")"
    grep -q -- "$pattern" "$STAND_DIR/refused.out" || fail "$what: no '$pattern' in: $(cat "$STAND_DIR/refused.out")"
}
expect_refused "8 slashes" "8 slashes; AWS IoT Core allows 7" iot publish a/1/2/3/4/5/6/7/8 x
expect_refused "a 257-byte topic" "257 bytes" iot publish "$(printf 't%.0s' $(seq 257))" x
head -c $((128 * 1024 + 1)) /dev/zero | tr '\0' x > "$STAND_DIR/big"
expect_refused "a payload over 128 KiB" "131073 bytes" iot publish device/big - < "$STAND_DIR/big"
expect_refused "a wildcard topic" "wildcard" iot publish 'device/#' x
expect_refused "9 filters" "9 topic filters" iot subscribe f1 f2 f3 f4 f5 f6 f7 f8 f9

# A filter the IoT policy does not allow (the front refuses denied/ in the SUBACK): the
# subscriber hears it (exit 1, in words), and the subscription's other filter is let go.
subscriptions() { ggl iot status --json=short | sed -n 's/.*"subscriptions":\([0-9]*\),"local.*/\1/p'; }
had=$(subscriptions)
timeout 10 "$bin/ggl" iot subscribe denied/x allowed/x > "$STAND_DIR/denied.out" 2>&1
code=$?
[ "$code" -eq 1 ] || fail "a refused subscription: exit $code, expected 1: $(cat "$STAND_DIR/denied.out")"
grep -q "AWS IoT Core refused the subscription to 'denied/x' (reason code 135: not authorized by the IoT policy)" \
    "$STAND_DIR/denied.out" || fail "a refused subscription: $(cat "$STAND_DIR/denied.out")"
wait_status "\"subscriptions\":$had,\"local"

# 60 subscriptions: IoT Core allows 50 a connection, so a second one serves the rest.
for group in 0 1 2 3 4 5 6 7; do
    filters=()
    for i in 0 1 2 3 4 5 6 7; do
        n=$((group * 8 + i))
        [ "$n" -lt 60 ] && filters+=("many/$n")
    done
    [ "$group" -eq 7 ] && device_sub "$STAND_DIR/many.out" "${filters[@]}" --count 2 ||
        { ggl iot subscribe "${filters[@]}" > /dev/null 2>&1 & pids+=($!); }
done
wait_status '"subscriptions":60,' 15
wait_status "\"client_id\":\"$thing#2\",\"connected\":true,\"subscriptions\":10" 15
cloud_pub -t many/59 -m fifty-nine
for _ in $(seq 50); do [ -s "$STAND_DIR/many.out" ] && break; sleep 0.1; done
grep -qx fifty-nine "$STAND_DIR/many.out" || fail "the 60th subscription got nothing: $(cat "$STAND_DIR/many.out")"

# Broker restart and a cut connection: reconnected, subscriptions restored.
device_sub "$STAND_DIR/restored.out" 'restored/#' --count 2
stand_ctl broker-stop > /dev/null
wait_status '"connected":false'
# QoS 0 while offline is refused (4); QoS 1 is spooled (iotcored_spool_test.sh).
ggl iot publish device/offline x > "$STAND_DIR/offline.out" 2>&1
code=$?
[ "$code" -eq 4 ] || fail "publishing QoS 0 while offline: exit $code, expected 4: $(cat "$STAND_DIR/offline.out")"
grep -q "not connected to AWS IoT Core" "$STAND_DIR/offline.out" || fail "offline publish: $(cat "$STAND_DIR/offline.out")"
stand_ctl broker-start > /dev/null
wait_status '"connected":true' 15
wait_status "\"client_id\":\"$thing#2\",\"connected\":true" 15
sleep 0.5
cloud_pub -t restored/after-restart -m after-restart
cloud_pub -t many/59 -m after-restart-59
# Delivered before the cut: a message in flight to a clean session is lost when it drops.
for _ in $(seq 50); do
    grep -qx after-restart "$STAND_DIR/restored.out" && grep -qx after-restart-59 "$STAND_DIR/many.out" && break
    sleep 0.1
done
stand_ctl cut > /dev/null
wait_status '"connected":true' 15
sleep 0.5
cloud_pub -t restored/after-cut -m after-cut
for _ in $(seq 50); do [ "$(wc -l < "$STAND_DIR/restored.out")" -ge 2 ] && break; sleep 0.1; done
[ "$(cat "$STAND_DIR/restored.out")" = "$(printf 'after-restart\nafter-cut')" ] ||
    fail "a subscription was not restored: $(cat "$STAND_DIR/restored.out")"
grep -qx after-restart-59 "$STAND_DIR/many.out" || fail "the second connection's subscription was not restored"

# QoS 1 across a cut: every publish is accepted (acknowledged, or spooled while the
# connection is down) and every one is delivered.
cloud_sub "$STAND_DIR/acked.out" -t 'acked/#' -v
: > "$STAND_DIR/acked.list"
for i in $(seq 40); do
    [ "$i" -eq 15 ] && stand_ctl cut > /dev/null
    if ggl iot publish "acked/$i" "m$i" --qos 1 > /dev/null 2>&1; then
        echo "acked/$i m$i" >> "$STAND_DIR/acked.list"
    else
        fail "publish acked/$i around a cut was not accepted"
    fi
done
for _ in $(seq 100); do [ "$(wc -l < "$STAND_DIR/acked.out")" -ge 40 ] && break; sleep 0.1; done
while read -r line; do
    grep -qx "$line" "$STAND_DIR/acked.out" || fail "accepted but not delivered: $line"
done < "$STAND_DIR/acked.list"

# Nothing iotcored sent broke a limit of IoT Core's.
[ -z "$(stand_ctl violations)" ] || fail "the front recorded violations: $(stand_ctl violations)"

# ALPN: the front's ALPN port, offered because mqtt/port is 443.
ggl config set "$nucleus/mqtt" '{"port": 443}' > /dev/null
ggl config set "$nucleus/iotDataEndpoint" "localhost:$alpn" > /dev/null
wait_status "\"port\":$alpn" && wait_status '"connected":true' && wait_status '"alpn":"x-amzn-mqtt-ca"'
ggl iot publish device/alpn via-alpn --qos 1 || fail "publish over ALPN"
ggl config delete "$nucleus/mqtt" > /dev/null
wait_status '"alpn":""' && wait_status '"last_error":"the server at localhost:'"$alpn"' closed the connection before'

# Identity faults, each in its own words; the good identity connects again.
ggl config set "$nucleus/iotDataEndpoint" "localhost:$broker" > /dev/null
wait_status '"connected":true'
check_finding "AWS IoT endpoint" ok "localhost resolves to"
check_finding "AWS IoT TLS" ok "the server proved itself, the device certificate was accepted"
check_finding "AWS IoT MQTT" ok "iotcored is connected as $thing"
ggl config set system/rootCaPath "$pki/other_ca.pem" > /dev/null
wait_status 'did not prove itself with a certificate from system/rootCaPath'
check_finding "AWS IoT TLS" error "did not prove itself with a certificate from system/rootCaPath"
check_finding "AWS IoT MQTT" error "iotcored is not connected: the server"
ggl config set system/rootCaPath "$pki/ca.pem" > /dev/null
wait_status '"connected":true'
ggl config set system "{\"certificateFilePath\": \"$pki/wrong_ca_device.pem\", \"privateKeyPath\": \"$pki/wrong_ca_device.key\"}" > /dev/null
wait_status 'refused the device certificate [^"]*wrong_ca_device.pem: it is not registered'
check_finding "AWS IoT TLS" error "refused the device certificate .*wrong_ca_device.pem"
ggl config set system "{\"certificateFilePath\": \"$pki/expired_device.pem\", \"privateKeyPath\": \"$pki/expired_device.key\"}" > /dev/null
wait_status 'expired_device.pem: the certificate expired on'
ggl iot status > "$STAND_DIR/status.txt"
[ $? -eq 1 ] || fail "ggl iot status while not connected did not exit 1"
grep -q "^last error: .*the certificate expired on" "$STAND_DIR/status.txt" || fail "status: $(cat "$STAND_DIR/status.txt")"
# The wrong key: another device's key with this device's certificate.
ggl config set system "{\"certificateFilePath\": \"$pki/device.pem\", \"privateKeyPath\": \"$pki/wrong_ca_device.key\"}" > /dev/null
wait_status 'wrong_ca_device.key[^"]*does not match the certificate'
check_finding "AWS IoT TLS" error "does not match the certificate"
ggl config set system "{\"certificateFilePath\": \"$pki/device.pem\", \"privateKeyPath\": \"$pki/device.key\"}" > /dev/null
wait_status '"connected":true'
# Both connections are back after the identity could not be used, their subscriptions with them.
wait_status "\"client_id\":\"$thing#2\",\"connected\":true,\"subscriptions\":6"
ggl config set "$nucleus/iotDataEndpoint" "localhost:1" > /dev/null
wait_status 'nothing accepts connections at localhost:1'
check_finding "AWS IoT TLS" error "cannot connect to localhost:1"
ggl config set "$nucleus/iotDataEndpoint" "nosuchhost.invalid" > /dev/null
check_finding "AWS IoT endpoint" error "nosuchhost.invalid does not resolve"

# An endpoint that drops connection attempts (a full accept queue: the kernel drops the
# SYNs): each attempt gives up after 10 s with its reason, and a new endpoint is taken at
# once, not after the kernel's 2-minute SYN timeout.
/usr/bin/python3 - "$STAND_DIR/hole.port" <<'PY' &
import socket, sys, time
hole = socket.socket()
hole.bind(("127.0.0.1", 0))
hole.listen(0)
held = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(hole.getsockname())
    held.append(c)
    time.sleep(0.1)
open(sys.argv[1], "w").write(str(hole.getsockname()[1]))
time.sleep(120)
PY
pids+=($!)
for _ in $(seq 50); do [ -s "$STAND_DIR/hole.port" ] && break; sleep 0.1; done
ggl config set "$nucleus/iotDataEndpoint" "localhost:$front" > /dev/null
wait_status '"connected":true'
ggl config set "$nucleus/iotDataEndpoint" "127.0.0.1:$(cat "$STAND_DIR/hole.port")" > /dev/null
wait_status "\"port\":$(cat "$STAND_DIR/hole.port")"
wait_status 'no answer within 10 s' 15
ggl config set "$nucleus/iotDataEndpoint" "localhost:$front" > /dev/null
start_wait=$SECONDS
wait_status '"connected":true' 5 && [ $((SECONDS - start_wait)) -le 3 ] ||
    fail "a new endpoint took $((SECONDS - start_wait)) s while an attempt hung"

# Not configured: iotcored serves and says what is missing; killed, it comes back.
ggl config delete system/thingName > /dev/null
wait_status '"configured":false' && wait_status 'system/thingName is not set'
kill -9 "$iotcored"
ggl iot status > /dev/null 2>&1
[ $? -eq 3 ] || fail "ggl iot status without iotcored did not exit 3"

[ "$failures" -eq 0 ] && echo "iotcored_test: all checks passed"
exit $((failures > 0))
