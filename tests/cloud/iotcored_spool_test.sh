#!/bin/bash
# iotcored's offline spool against the test stand (stand.sh): with IoT Core unreachable,
# QoS 1 publishes are accepted as spooled (QoS 0 ones refused unless
# keepQos0WhenOffline), kept across kill -9 and a restart of iotcored, and delivered in
# order and exactly once after the reconnect (200 of them, 190 across the kill), no faster than IoT Core accepts (the front
# records no throttling); a full spool (mqtt/spooler/maxSizeBytes) and a full disk are
# refused in words and lose nothing already spooled. The full disk needs root (a private
# tmpfs through unshare -m); without root that part says it is skipped.
# Usage: iotcored_spool_test.sh BIN_DIR (holding ggl, ggconfigd and iotcored)
set -u
if [ "$(id -u)" -eq 0 ] && command -v unshare > /dev/null && [ -z "${GGL_SPOOL_TEST_INNER:-}" ]; then
    exec env GGL_SPOOL_TEST_INNER=1 unshare -m --propagation private "$0" "$@"
fi
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/stand.sh"
thing=spool-test-thing
start_stand --thing "$thing"
stand_env
ggl() { "$bin/ggl" "$@"; }
stand_device
quick_iotcored() { start_iotcored --backoff-base-ms 100 --backoff-cap-ms 500; }

# publish_all FIRST LAST PREFIX [ARGS...]: QoS 1 publishes PREFIX/N of payload mN, each
# expected to be spooled.
publish_spooled() {
    local first=$1 last=$2 prefix=$3
    shift 3
    for i in $(seq "$first" "$last"); do
        ggl iot publish "$prefix/$i" "m$i" --qos 1 "$@" > /dev/null 2> "$STAND_DIR/publish.err" ||
            fail "publish $prefix/$i while offline: exit $?: $(cat "$STAND_DIR/publish.err")"
        grep -q "^spooled" "$STAND_DIR/publish.err" || fail "publish $prefix/$i did not say it was spooled"
    done
}
# expect_delivered FILE PREFIX FIRST LAST [SECONDS]: FILE holds exactly PREFIX/FIRST..LAST,
# in order, each once.
expect_delivered() {
    local out=$1 prefix=$2 first=$3 last=$4 expected
    expected=$(for i in $(seq "$first" "$last"); do echo "$prefix/$i m$i"; done)
    local deadline=$((SECONDS + ${5:-15}))
    while [ "$SECONDS" -le "$deadline" ] && [ "$(wc -l < "$out")" -lt $((last - first + 1)) ]; do sleep 0.1; done
    sleep 0.3 # anything sent twice would arrive now
    [ "$(cat "$out")" = "$expected" ] ||
        fail "$prefix: delivered $(wc -l < "$out") lines, not $prefix/$first..$last in order once each:" \
            "$(diff <(echo "$expected") "$out" | head -5); status: $(ggl iot status --json=short 2>&1);" \
            "iotcored's log ends: $(tail -5 "$STAND_DIR/iotcored.log")"
}
# offline: IoT Core (the broker) stopped, iotcored sees it.
offline() {
    stand_ctl broker-stop > /dev/null
    wait_status '"connected":false'
}
# come_back FILE FILTER: iotcored kept away (localhost:1) while IoT Core starts again and
# a cloud subscriber to FILTER starts writing FILE, then pointed at IoT Core.
come_back() {
    ggl config set "$nucleus/iotDataEndpoint" "localhost:1" > /dev/null
    wait_status '"port":1,'
    stand_ctl broker-start > /dev/null
    cloud_sub "$1" -t "$2" -v -q 1
    ggl config set "$nucleus/iotDataEndpoint" "localhost:$front" > /dev/null
}

quick_iotcored
wait_status '"connected":true' || { cat "$STAND_DIR/iotcored.log" >&2; exit 1; }
wait_status '"spool":{[^}]*"messages":0' && wait_status "\"path\":\"$GGL_ROOT/iotcored/spool.db\""
[ "$(stat -c %a "$GGL_ROOT/iotcored/spool.db")" = 600 ] || fail "the spool is not mode 0600"

# Offline: QoS 1 spooled, QoS 0 refused with the key that would keep it.
offline
publish_spooled 1 190 order
ggl iot publish order/qos0 dropped > "$STAND_DIR/qos0.out" 2>&1
code=$?
[ "$code" -eq 4 ] || fail "a QoS 0 publish while offline: exit $code, expected 4"
grep -q "keepQos0WhenOffline" "$STAND_DIR/qos0.out" || fail "QoS 0 refusal: $(cat "$STAND_DIR/qos0.out")"
wait_status '"messages":190,'
ggl iot status > "$STAND_DIR/status.txt"
grep -q "^spool: *190 messages" "$STAND_DIR/status.txt" || fail "status: $(cat "$STAND_DIR/status.txt")"

# Killed with 190 spooled, started again: still 190; ten more behind them.
kill -9 "$iotcored"
wait "$iotcored" 2>/dev/null
quick_iotcored
wait_status '"messages":190,'
publish_spooled 191 200 order
come_back "$STAND_DIR/order.out" 'order/#'
wait_status '"connected":true'
expect_delivered "$STAND_DIR/order.out" order 1 200 30
wait_status '"messages":0,'
grep -q "190 spooled messages" "$STAND_DIR/iotcored.log" || fail "iotcored did not log the spool it found at start"
# Online again: a publish is acknowledged, not spooled.
ggl iot publish order/online now --qos 1 2> "$STAND_DIR/publish.err" || fail "publish once connected"
grep -q spooled "$STAND_DIR/publish.err" && fail "a publish while connected was spooled"

# The drain keeps to IoT Core's rate: 150 messages take more than a second, and the
# front records no throttling.
ggl config set "$nucleus/iotDataEndpoint" "localhost:1" > /dev/null
wait_status '"connected":false'
publish_spooled 1 150 rate
cloud_sub "$STAND_DIR/rate.out" -t 'rate/#' -v -q 1
started=$(date +%s%N)
ggl config set "$nucleus/iotDataEndpoint" "localhost:$front" > /dev/null
expect_delivered "$STAND_DIR/rate.out" rate 1 150 30
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
echo "iotcored_spool_test: 150 spooled messages delivered in $elapsed_ms ms after the endpoint came back"
[ "$elapsed_ms" -ge 1200 ] || fail "150 spooled messages went in $elapsed_ms ms: faster than 100 a second"
[ -z "$(stand_ctl violations)" ] || fail "the front recorded violations: $(stand_ctl violations)"

# keepQos0WhenOffline: QoS 0 kept too. A small bound: full is RETRY (exit 4) in words,
# and what was spooled before is delivered.
ggl config set "$nucleus/mqtt/spooler" '{"keepQos0WhenOffline": true, "maxSizeBytes": 100}' > /dev/null
wait_status '"max_bytes":100'
offline
ggl iot publish kept/1 m1 2> "$STAND_DIR/publish.err" && grep -q spooled "$STAND_DIR/publish.err" ||
    fail "a QoS 0 publish with keepQos0WhenOffline was not spooled: $(cat "$STAND_DIR/publish.err")"
publish_spooled 2 2 kept
ggl iot publish kept/3 "$(printf 'x%.0s' $(seq 100))" --qos 1 > "$STAND_DIR/full.out" 2>&1
code=$?
[ "$code" -eq 4 ] || fail "a publish into a full spool: exit $code, expected 4"
grep -q "the offline spool is full: it holds 2 messages, 16 of 100 bytes (mqtt/spooler/maxSizeBytes)" \
    "$STAND_DIR/full.out" || fail "full spool: $(cat "$STAND_DIR/full.out")"
come_back "$STAND_DIR/kept.out" 'kept/#'
expect_delivered "$STAND_DIR/kept.out" kept 1 2
ggl config delete "$nucleus/mqtt/spooler" > /dev/null

# A full disk: iotcored's GGL_ROOT on a 256 KiB tmpfs, filled up.
if [ -n "${GGL_SPOOL_TEST_INNER:-}" ]; then
    kill "$iotcored"
    wait "$iotcored" 2>/dev/null
    small="$STAND_DIR/small"
    mkdir -p "$small"
    mount -t tmpfs -o size=256k,mode=0755 ggl-spool-full "$small" || fail "cannot mount a tmpfs"
    GGL_ROOT="$small" quick_iotcored
    wait_status '"connected":true'
    offline
    publish_spooled 1 3 disk
    dd if=/dev/zero of="$small/filler" bs=4k 2> /dev/null
    for i in $(seq 4 40); do
        ggl iot publish "disk/$i" "$(printf 'y%.0s' $(seq 2000))" --qos 1 > "$STAND_DIR/disk.out" 2>&1 || break
    done
    grep -q "cannot spool the message: the disk holding $small/iotcored/spool.db is full" "$STAND_DIR/disk.out" ||
        fail "a full disk: $(cat "$STAND_DIR/disk.out")"
    spooled=$(ggl iot status --json=short | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')
    rm -f "$small/filler"
    ggl iot publish disk/after "room again" --qos 1 2> /dev/null || fail "publish after the disk had room again"
    come_back "$STAND_DIR/disk.out" 'disk/#'
    for _ in $(seq 100); do [ "$(wc -l < "$STAND_DIR/disk.out")" -ge $((spooled + 1)) ] && break; sleep 0.1; done
    [ "$(wc -l < "$STAND_DIR/disk.out")" -eq $((spooled + 1)) ] ||
        fail "a full disk: $spooled spooled and one after, $(wc -l < "$STAND_DIR/disk.out") delivered"
    head -3 "$STAND_DIR/disk.out" | cmp -s - <(printf 'disk/1 m1\ndisk/2 m2\ndisk/3 m3\n') ||
        fail "a full disk: the first three were not delivered first: $(head -3 "$STAND_DIR/disk.out")"
    kill "$iotcored"
    wait "$iotcored" 2>/dev/null
    umount "$small"
else
    echo "iotcored_spool_test: the full-disk part is skipped: it needs root for a private tmpfs" >&2
fi

[ "$failures" -eq 0 ] && echo "iotcored_spool_test: all checks passed"
exit $((failures > 0))
