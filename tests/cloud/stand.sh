# Sourced by the cloud tests: starts the test stand (stand.py: mosquitto as IoT Core, the
# IoT Core front, a PKI made now) in a new directory and stops it when the shell exits.
# After start_stand: $STAND_DIR, $pki (its certificates and keys), $broker, $front and
# $alpn (the ports), and stand_get KEY prints any field of its stand.json. fail WHAT
# counts a failure in $failures. Skips the test (exit 77) when mosquitto, its clients or
# openssl are missing.
# Needs /usr/bin/python3, openssl and mosquitto (tests/install-deps.sh).
stand_py="$(dirname "$(realpath "${BASH_SOURCE[0]:-$0}")")/stand.py"
stand_python=/usr/bin/python3

stand_get() {
    "$stand_python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$STAND_DIR/stand.json" "$1"
}

stand_ctl() { "$stand_python" "$stand_py" ctl "$STAND_DIR" "$@"; }

stop_stand() {
    if [ -n "${stand_pid:-}" ]; then
        kill "$stand_pid" 2>/dev/null
        wait "$stand_pid" 2>/dev/null
        stand_pid=
    fi
}

failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# start_stand [--thing NAME]: exits the test (77) when a part of the stand is missing,
# and (1) when the stand does not start.
start_stand() {
    for tool in openssl mosquitto mosquitto_pub; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (tests/install-deps.sh)" >&2; exit 77; }
    done
    STAND_DIR=$(mktemp -d /tmp/ggl-stand.XXXXXX)
    "$stand_python" "$stand_py" up "$STAND_DIR" "$@" > "$STAND_DIR/stand.out" 2>&1 &
    stand_pid=$!
    # Under user_manager.sh, which owns the EXIT trap, through its um_on_exit.
    if command -v um_on_exit > /dev/null; then
        um_on_exit 'stop_stand; rm -rf "$STAND_DIR"'
    else
        trap 'stop_stand; rm -rf "$STAND_DIR"' EXIT
    fi
    for _ in $(seq 150); do
        if [ -f "$STAND_DIR/stand.json" ]; then
            pki="$STAND_DIR/pki"
            broker=$(stand_get broker_port)
            front=$(stand_get front_port)
            alpn=$(stand_get alpn_port)
            return 0
        fi
        kill -0 "$stand_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "the test stand did not start: $(cat "$STAND_DIR/stand.out")" >&2
    exit 1
}
