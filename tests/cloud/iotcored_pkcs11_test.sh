#!/bin/bash
# iotcored with the device key on a PKCS#11 token, against the test stand (stand.sh): the
# stand's device key imported into a SoftHSM token made now, system/privateKeyPath a
# pkcs11: URI, the module named by services/aws.greengrass.crypto.Pkcs11Provider/
# configuration/library (the Greengrass PKCS#11 provider's key); iotcored connects through the IoT
# Core front and a QoS 1 publish reaches a cloud-side subscriber; `ggl check`'s TLS check
# passes with the token's key. Restarted with a wrong PIN, iotcored says the token refused
# it, and neither its log, its status nor ggl check shows a PIN.
# Skipped (77) without softhsm2 or libp11's pkcs11 engine (tests/install-deps.sh).
# Usage: iotcored_pkcs11_test.sh BIN_DIR (holding ggl, ggconfigd and iotcored)
set -u
bin=$(realpath "$1")
command -v softhsm2-util > /dev/null || { echo "SKIP: softhsm2 is not installed (tests/install-deps.sh)" >&2; exit 77; }
module=
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
    [ -r "$candidate" ] && { module=$candidate; break; }
done
[ -n "$module" ] || { echo "SKIP: the SoftHSM module libsofthsm2.so is not installed" >&2; exit 77; }
engines=$(openssl version -e 2> /dev/null | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
[ -r "${OPENSSL_ENGINES:-$engines}/pkcs11.so" ] ||
    { echo "SKIP: the pkcs11 engine (libengine-pkcs11-openssl) is not installed" >&2; exit 77; }
. "$(dirname "$(realpath "$0")")/stand.sh"
thing=pkcs11-test-thing
start_stand --thing "$thing"
stand_env
export GGL_LOG_LEVEL=info
ggl() { "$bin/ggl" "$@"; }

# The token, in the stand's directory, holding the stand's device key.
pin=27182818
wrong_pin=31415926
mkdir -p "$STAND_DIR/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$STAND_DIR/tokens" \
    > "$STAND_DIR/softhsm2.conf"
export SOFTHSM2_CONF="$STAND_DIR/softhsm2.conf"
unset GGL_PKCS11_MODULE
{
    softhsm2-util --init-token --free --label ggl-cloud --pin "$pin" --so-pin 12345678 &&
        openssl pkcs8 -topk8 -nocrypt -in "$pki/device.key" -out "$STAND_DIR/device.p8" &&
        softhsm2-util --import "$STAND_DIR/device.p8" --token ggl-cloud --label device --id 01 --pin "$pin"
} > "$STAND_DIR/token.log" 2>&1 || { echo "cannot make the token: $(cat "$STAND_DIR/token.log")" >&2; exit 1; }
rm -f "$STAND_DIR/device.p8"
uri="pkcs11:token=ggl-cloud;object=device;type=private"

stand_device "$uri?pin-value=$pin"
ggl config set services/aws.greengrass.crypto.Pkcs11Provider/configuration/library "$module" > /dev/null


start_iotcored
wait_status '"connected":true' 15 || { cat "$STAND_DIR/iotcored.log" >&2; exit 1; }

# A QoS 1 publish through the connection whose TLS key is on the token.
timeout 30 mosquitto_sub "${cloud[@]}" -i "cloud-$RANDOM" -t 't/#' -v -C 1 > "$STAND_DIR/cloud.out" 2>&1 &
pids+=($!)
sleep 0.5
ggl iot publish t/x hi --qos 1 || fail "ggl iot publish t/x hi --qos 1"
for _ in $(seq 100); do grep -q "^t/x hi$" "$STAND_DIR/cloud.out" && break; sleep 0.1; done
grep -q "^t/x hi$" "$STAND_DIR/cloud.out" || fail "the cloud did not get t/x: $(cat "$STAND_DIR/cloud.out")"

# ggl check: the key is on a token (not a file to read); the TLS handshake with it passes.
ggl check --json=short > "$STAND_DIR/check.json" 2>&1
/usr/bin/python3 - "$STAND_DIR/check.json" "$uri?pin-value=***" <<'PY' || fail "ggl check: $(cat "$STAND_DIR/check.json")"
import json, sys
found = {f["check"]: f for f in json.load(open(sys.argv[1]))}
assert found["private key"]["status"] == "skipped", found["private key"]
assert found["private key"]["detail"].startswith(sys.argv[2] + " is on a PKCS#11 token"), found["private key"]
assert found["AWS IoT TLS"]["status"] == "ok", found["AWS IoT TLS"]
PY

# A wrong PIN, in a new iotcored (a token stays logged in for the life of a process).
kill "$iotcored"
wait "$iotcored" 2> /dev/null
ggl config set system/privateKeyPath "$uri?pin-value=$wrong_pin" > /dev/null || fail "cannot set the wrong PIN"
start_iotcored
wait_status "system/privateKeyPath $uri?pin-value=\*\*\*: the token refused the PIN" 15 ||
    cat "$STAND_DIR/iotcored.log" >&2
ggl iot status > "$STAND_DIR/status.txt" 2>&1
for shown in "$STAND_DIR/iotcored.log" "$STAND_DIR/status.json" "$STAND_DIR/status.txt" "$STAND_DIR/check.json"; do
    if grep -q -e "$pin" -e "$wrong_pin" "$shown"; then
        fail "$(basename "$shown") shows a PIN: $(grep -e "$pin" -e "$wrong_pin" "$shown" | head -3)"
    fi
done

[ "$failures" -eq 0 ] && echo "iotcored_pkcs11_test: all checks passed"
exit $((failures > 0))
