#!/bin/bash
# iotcored as a device runs it (docs/iot-core.md): the daemons' units in a real systemd
# user manager (tests/integration/user_manager.sh, ggl_daemons.sh): ggl.target starts
# iotcored on a device without a cloud identity, where it serves, not connected, and
# `ggl iot status` names what is missing; five stops and starts of ggl.target bring every
# daemon back each time; then the identity written, with nothing enabled, the
# Type=notify service connects to the test stand (stand.sh), `ggl iot` reaches it on the
# socket systemd passes, and a restart of ggl.target brings it back connected.
# Needs root (77 otherwise, or without mosquitto).
# Usage: iotcored_unit_test.sh BIN_DIR (holding ggl and the daemons; units beside it)
set -u
bin=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
. "$here/../integration/user_manager.sh"
. "$here/../integration/ggl_daemons.sh"
. "$here/stand.sh"
start_stand --thing unit-test-thing
ggl() { "$bin/ggl" "$@"; }
printf 'system:\n  thingName: unit-test-thing\n' > "$GGL_CONFIG_DIR/config.yaml"
start_ggl_daemons "$bin" || exit 1
ctl is-active --quiet iotcored.service || fail "ggl.target did not start iotcored: $(ctl status iotcored.service --no-pager 2>&1)"
ggl iot status > "$UM_TOP/status.txt" 2>&1 && fail "not configured, yet connected: $(cat "$UM_TOP/status.txt")"
grep -q "certificateFilePath" "$UM_TOP/status.txt" || fail "status does not say what is missing: $(cat "$UM_TOP/status.txt")"

# Five stops and starts of ggl.target, each start once the daemons are down (systemctl
# returns from stopping the target before its services, which are ordered before it,
# have stopped; a start then may cancel the stop of a socket, and the services' start
# counts run into systemd's start limit, 5 in 10 s). Every daemon comes back each time.
down() {
    for _ in $(seq 100); do
        ctl is-active --quiet ggconfigd.service iotcored.service ggconfigd.socket iotcored.socket || return 0
        sleep 0.05
    done
    fail "the daemons did not stop with ggl.target: $(ctl list-units --no-pager 'gg*' 'iot*' 2>&1)"
}
for round in 1 2 3 4 5; do
    ctl stop ggl.target || fail "ggl.target did not stop"
    down
    ctl start ggl.target || fail "ggl.target did not start again ($round)"
    for unit in ggconfigd.socket ggconfigd.service iotcored.socket iotcored.service; do
        ctl is-active --quiet "$unit" || fail "$unit is down after restart $round: $(ctl status "$unit" --no-pager 2>&1)"
    done
done

ggl config set system "{\"certificateFilePath\": \"$pki/device.pem\", \"privateKeyPath\": \"$pki/device.key\",
    \"rootCaPath\": \"$pki/ca.pem\"}" > /dev/null || fail "cannot write the identity"
ggl config set services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint "localhost:$front" > /dev/null
connected() {
    for _ in $(seq 100); do
        ggl iot status > "$UM_TOP/status.txt" 2>&1 && return 0
        sleep 0.1
    done
    fail "$1: iotcored is not connected: $(cat "$UM_TOP/status.txt")"
}
connected "configured"
grep -q "^thing name: unit-test-thing" "$UM_TOP/status.txt" || fail "status: $(cat "$UM_TOP/status.txt")"
ggl iot publish unit/hello hi --qos 1 || fail "publish through the unit"

ctl restart ggl.target || fail "ggl.target did not restart"
ctl is-active --quiet iotcored.service || fail "iotcored did not come back with ggl.target"
connected "after ggl.target restarted"

[ "$failures" -eq 0 ] && echo "iotcored_unit_test: all checks passed"
exit $((failures > 0))
