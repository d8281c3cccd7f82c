# Sourced by the cloud tests: starts the test stand (stand.py: mosquitto as IoT Core, the
# IoT Core front, a PKI made now) in a new directory and stops it when the shell exits.
# After start_stand: $STAND_DIR, $pki (its certificates and keys), $broker, $front and
# $alpn (the ports), and stand_get KEY prints any field of its stand.json. fail WHAT
# counts a failure in $failures. Skips the test (exit 77) when mosquitto, its clients or
# openssl are missing. For daemons run by hand: stand_env points GGL_* into $STAND_DIR,
# start_daemon starts one, and every pid in $pids is killed when the test exits.
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

pids=()
stand_cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    stop_stand
    wait 2>/dev/null
    rm -rf "$STAND_DIR"
}

# stand_env: the daemons' paths (GGL_RUNTIME_DIR, GGL_ROOT, GGL_CONFIG_DIR,
# GGL_CONFIG_DB) inside $STAND_DIR, made.
stand_env() {
    export GGL_RUNTIME_DIR="$STAND_DIR/run" GGL_ROOT="$STAND_DIR/root" GGL_CONFIG_DIR="$STAND_DIR/etc" \
        GGL_CONFIG_DB="$STAND_DIR/config.db"
    mkdir -p "$GGL_RUNTIME_DIR" "$GGL_ROOT" "$GGL_CONFIG_DIR"
}

# start_daemon BIN_DIR EXE SOCKET_NAME [ARGS...]: starts EXE (its output appended to
# $STAND_DIR/EXE.log) and returns once it serves SOCKET_NAME, its pid in $last_pid;
# exits the test (1) when it does not.
start_daemon() {
    local dir=$1 exe=$2 socket=$3
    shift 3
    "$dir/$exe" "$@" >> "$STAND_DIR/$exe.log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
    for _ in $(seq 200); do
        [ -S "$GGL_RUNTIME_DIR/$socket" ] && return 0
        kill -0 "$last_pid" 2>/dev/null || break
        sleep 0.025
    done
    echo "$exe did not serve $socket: $(cat "$STAND_DIR/$exe.log")" >&2
    exit 1
}

# check_finding CHECK STATUS PATTERN: `ggl check` (the test's ggl function) has that
# finding, its detail matching the regular expression.
check_finding() {
    ggl check --json=short > "$STAND_DIR/check.json" 2>&1
    /usr/bin/python3 - "$STAND_DIR/check.json" "$@" <<'PY' || fail "ggl check: no '$1' $2 matching '$3': $(cat "$STAND_DIR/check.json")"
import json, re, sys
findings = json.load(open(sys.argv[1]))
sys.exit(0 if any(f["check"] == sys.argv[2] and f["status"] == sys.argv[3] and re.search(sys.argv[4], f["detail"])
                  for f in findings) else 1)
PY
}

# The iotcored tests' own (each sets $bin and defines ggl, and has started the stand):
# stand_device [KEY]: ggconfigd started, and the device's identity (the stand's device
# certificate; KEY, a path or URI, instead of its key) and the front as
# iotDataEndpoint configured. $nucleus is the NucleusLite's configuration path, $cloud
# mosquitto_sub's and mosquitto_pub's options to reach the broker as the device.
nucleus=services/aws.greengrass.NucleusLite/configuration
stand_device() {
    local key=${1:-$pki/device.key}
    start_daemon "$bin" ggconfigd gg_config
    ggl config set system "{\"thingName\": \"$(stand_get thing)\", \"certificateFilePath\": \"$pki/device.pem\",
        \"privateKeyPath\": \"$key\", \"rootCaPath\": \"$pki/ca.pem\"}" > /dev/null ||
        fail "cannot write the identity"
    ggl config set "$nucleus/iotDataEndpoint" "localhost:$front" > /dev/null
}

# start_iotcored [ARGS...]: iotcored with ARGS (by default a reconnect backoff of 200 ms
# to 1 s), its stale socket gone first; its pid in $iotcored.
start_iotcored() {
    [ $# -gt 0 ] || set -- --backoff-base-ms 200 --backoff-cap-ms 1000
    rm -f "$GGL_RUNTIME_DIR/aws_iot_mqtt"
    start_daemon "$bin" iotcored aws_iot_mqtt "$@"
    iotcored=$last_pid
}

# wait_status PATTERN [SECONDS]: until `ggl iot status --json` matches PATTERN.
wait_status() {
    local deadline=$((SECONDS + ${2:-10}))
    while [ "$SECONDS" -le "$deadline" ]; do
        ggl iot status --json=short > "$STAND_DIR/status.json" 2>&1
        grep -q -- "$1" "$STAND_DIR/status.json" && return 0
        sleep 0.1
    done
    fail "status never matched '$1': $(cat "$STAND_DIR/status.json")"
    return 1
}

# cloud_sub FILE ARGS...: a cloud-side subscriber (at most 60 s) in the background, its
# pid in $cloud_sub_pid, ready when it returns.
cloud_sub() {
    local out=$1
    shift
    timeout 60 mosquitto_sub "${cloud[@]}" -i "cloud-$RANDOM" "$@" > "$out" 2>&1 &
    cloud_sub_pid=$!
    pids+=("$cloud_sub_pid")
    sleep 0.5
}

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
        um_on_exit stand_cleanup
    else
        trap stand_cleanup EXIT
    fi
    for _ in $(seq 150); do
        if [ -f "$STAND_DIR/stand.json" ]; then
            pki="$STAND_DIR/pki"
            broker=$(stand_get broker_port)
            front=$(stand_get front_port)
            alpn=$(stand_get alpn_port)
            cloud=(-h localhost -p "$broker" --cafile "$pki/ca.pem" --cert "$pki/device.pem" --key "$pki/device.key" -V 5)
            return 0
        fi
        kill -0 "$stand_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "the test stand did not start: $(cat "$STAND_DIR/stand.out")" >&2
    exit 1
}
