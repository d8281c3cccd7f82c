#!/bin/bash
# The test stand checks what IoT Core checks (DESIGN §10), tried with mosquitto's own
# clients: a device certificate from the stand's CA connects to the broker, the front and
# the ALPN port (with ALPN x-amzn-mqtt-ca) and its messages arrive; without ALPN, with a
# certificate of another CA or an expired one, the connection is refused; each IoT Core
# limit the front checks ends the connection and is recorded; a broker restarted on the
# same ports serves again; cut closes the front's connections.
set -u
. "$(dirname "$(realpath "$0")")/stand.sh"
start_stand --thing stand-test-thing
common=(-h localhost --cafile "$pki/ca.pem" -V 5 -q 1)
device=(--cert "$pki/device.pem" --key "$pki/device.key")
publish() { timeout 10 mosquitto_pub "${common[@]}" "$@" > "$STAND_DIR/pub.out" 2>&1; }

# A subscriber through the front sees what is published through each way in.
timeout 20 mosquitto_sub "${common[@]}" "${device[@]}" -p "$front" -t 'stand/#' -C 3 -v > "$STAND_DIR/sub.out" 2>&1 &
subscriber=$!
sleep 0.5
publish "${device[@]}" -p "$broker" -t stand/direct -m one || fail "publish to the broker: $(cat "$STAND_DIR/pub.out")"
publish "${device[@]}" -p "$front" -t stand/front -m two || fail "publish through the front: $(cat "$STAND_DIR/pub.out")"
publish "${device[@]}" -p "$alpn" --tls-alpn x-amzn-mqtt-ca -t stand/alpn -m three ||
    fail "publish with ALPN on the ALPN port: $(cat "$STAND_DIR/pub.out")"
wait "$subscriber"
for line in "stand/direct one" "stand/front two" "stand/alpn three"; do
    grep -qx "$line" "$STAND_DIR/sub.out" || fail "the subscriber did not get '$line': $(cat "$STAND_DIR/sub.out")"
done

# Refused before any MQTT: no ALPN on the ALPN port, another CA, an expired certificate.
publish "${device[@]}" -p "$alpn" -t stand/x -m x && fail "the ALPN port accepted a client without ALPN"
publish "${device[@]}" -p "$alpn" --tls-alpn mqtt -t stand/x -m x && fail "the ALPN port accepted ALPN 'mqtt'"
for port in "$broker" "$front"; do
    publish --cert "$pki/wrong_ca_device.pem" --key "$pki/wrong_ca_device.key" -p "$port" -t stand/x -m x &&
        fail "port $port accepted a certificate of another CA"
    publish --cert "$pki/expired_device.pem" --key "$pki/expired_device.key" -p "$port" -t stand/x -m x &&
        fail "port $port accepted an expired certificate"
done
publish -p "$broker" -t stand/x -m x && fail "the broker accepted a client without a certificate"
[ -z "$(stand_ctl violations)" ] || fail "violations recorded before any was made: $(stand_ctl violations)"

# Each limit IoT Core enforces ends the connection through the front and is recorded.
expect_violation() {  # WHAT PATTERN, then the publish or subscribe arguments
    local what=$1 pattern=$2
    shift 2
    "$@" > "$STAND_DIR/limit.out" 2>&1 && fail "$what: accepted"
    stand_ctl violations | grep -q -- "$pattern" || fail "$what: no violation '$pattern' in: $(stand_ctl violations)"
}
expect_violation "8 slashes" "topic with 8 slashes" publish "${device[@]}" -p "$front" -t a/1/2/3/4/5/6/7/8 -m x
publish "${device[@]}" -p "$front" -t '$aws/rules/rule/a/1/2/3/4/5/6/7' -m x ||
    fail "7 slashes after a basic-ingest prefix were refused: $(stand_ctl violations | tail -1)"
expect_violation "a 257-byte topic" "topic of 257 bytes" publish "${device[@]}" -p "$front" -t "$(printf 'x%.0s' $(seq 257))" -m x
head -c $((128 * 1024 + 1)) /dev/zero > "$STAND_DIR/big"
expect_violation "a payload over 128 KiB" "payload of 131073 bytes" publish "${device[@]}" -p "$front" -t stand/big -f "$STAND_DIR/big"
head -c $((128 * 1024)) /dev/zero > "$STAND_DIR/max"
publish "${device[@]}" -p "$front" -t stand/max -f "$STAND_DIR/max" || fail "a 128 KiB payload was refused"
nine=()
for i in $(seq 9); do nine+=(-t "stand/f$i"); done
expect_violation "9 filters in a SUBSCRIBE" "SUBSCRIBE with 9 filters" \
    timeout 10 mosquitto_sub "${common[@]}" "${device[@]}" -p "$front" "${nine[@]}" -W 2
# 51 subscriptions, 8 filters a SUBSCRIBE: the seventh SUBSCRIBE goes over 50.
"$stand_python" - "$STAND_DIR" "$front" <<'PY' || fail "51 subscriptions on one connection: $(stand_ctl violations | tail -1)"
import json, ssl, sys, time
import paho.mqtt.client as mqtt
directory, port = sys.argv[1], int(sys.argv[2])
stand = json.load(open(directory + "/stand.json"))
client = mqtt.Client(client_id="subs", protocol=mqtt.MQTTv5)
client.tls_set(ca_certs=stand["ca"], certfile=stand["device_cert"], keyfile=stand["device_key"])
client.connect("localhost", port)
client.loop_start()
time.sleep(0.5)
for first in range(0, 56, 8):
    client.subscribe([(f"many/{i}", mqtt.SubscribeOptions(qos=1)) for i in range(first, first + 8)])
    time.sleep(0.1)
time.sleep(1)
client.loop_stop()
violations = open(stand["violations"]).read()
sys.exit(0 if "56 subscriptions on one connection" in violations else 1)
PY

# The broker restarted on the same ports serves again; a cut closes the front's connections.
stand_ctl broker-stop > /dev/null
publish "${device[@]}" -p "$front" -t stand/down -m x && fail "published through the front while the broker was stopped"
stand_ctl broker-start > /dev/null
publish "${device[@]}" -p "$front" -t stand/up -m x || fail "the restarted broker did not serve: $(cat "$STAND_DIR/pub.out")"
timeout 20 mosquitto_sub "${common[@]}" "${device[@]}" -p "$front" -t stand/cut > "$STAND_DIR/cut.out" 2>&1 &
held=$!
sleep 0.5
stand_ctl cut > /dev/null
for _ in $(seq 50); do kill -0 "$held" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$held" 2>/dev/null; then
    fail "a subscriber's connection outlived the cut"
    kill "$held"
fi
wait "$held" 2>/dev/null

[ "$failures" -eq 0 ] && echo "stand_test: all checks passed"
exit $((failures > 0))
