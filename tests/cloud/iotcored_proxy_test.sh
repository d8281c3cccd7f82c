#!/bin/bash
# iotcored through an HTTP proxy (connect_proxy.py, a CONNECT proxy that demands Basic
# credentials) to the test stand (stand.sh): networkProxy/proxy/{url, username, password}
# from the configuration, credentials in the URL, noProxyAddresses, https_proxy and
# no_proxy from the environment, and each failure in words (credentials refused, the
# proxy down, an https:// proxy URL). A message published through the proxy arrives.
# Usage: iotcored_proxy_test.sh BIN_DIR (holding ggl, ggconfigd and iotcored)
set -u
bin=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
. "$here/stand.sh"
thing=proxy-test-thing
start_stand --thing "$thing"
stand_env
ggl() { "$bin/ggl" "$@"; }
stand_device
quick_iotcored() { start_iotcored --backoff-base-ms 100 --backoff-cap-ms 500; }

mkdir -p "$STAND_DIR/proxy"
/usr/bin/python3 "$here/connect_proxy.py" "$STAND_DIR/proxy" --user ggl --password 's3cret!' \
    > "$STAND_DIR/proxy.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$STAND_DIR/proxy/proxy.port" ] && break; sleep 0.05; done
proxy=$(cat "$STAND_DIR/proxy/proxy.port") || { echo "the proxy did not start: $(cat "$STAND_DIR/proxy.out")" >&2; exit 1; }
tunnels() { grep -c "\"status\": 200" "$STAND_DIR/proxy/proxy.log"; }

# via_proxy WHAT: a tunnel more than before was made, iotcored is connected through it,
# and a message published now reaches the cloud.
via_proxy() {
    for _ in $(seq 100); do [ "$(tunnels)" -gt "$before" ] && break; sleep 0.1; done
    wait_status '"connected":true' || return
    [ "$(tunnels)" -gt "$before" ] || fail "$1: connected, but not through the proxy: $(tail -3 "$STAND_DIR/proxy/proxy.log");" \
        "iotcored: $(tail -4 "$STAND_DIR/iotcored.log")"
    timeout 10 mosquitto_sub "${cloud[@]}" -i "cloud-$RANDOM" -t proxied/msg -C 1 > "$STAND_DIR/sub.out" 2>&1 &
    local sub=$!
    sleep 0.5
    ggl iot publish proxied/msg "$1" --qos 1 || fail "$1: publish through the proxy"
    wait "$sub"
    [ "$(cat "$STAND_DIR/sub.out")" = "$1" ] || fail "$1: the cloud got '$(cat "$STAND_DIR/sub.out")'"
}

quick_iotcored
wait_status '"connected":true' || { cat "$STAND_DIR/iotcored.log" >&2; exit 1; }

# Without credentials the proxy says 407, and iotcored says which keys to set.
before=$(tunnels)
ggl config set "$nucleus/networkProxy" "{\"proxy\": {\"url\": \"http://127.0.0.1:$proxy\"}}" > /dev/null
wait_status "the proxy http://127.0.0.1:$proxy refused CONNECT to localhost:$front: 407 Proxy Authentication Required (no credentials were given: networkProxy/proxy/username and password)"
ggl config set "$nucleus/networkProxy/proxy" '{"username": "ggl", "password": "wrong"}' > /dev/null
wait_status "407 Proxy Authentication Required (check networkProxy/proxy/username and password)"
check_finding "AWS IoT endpoint" ok "localhost is reached through the proxy http://127.0.0.1:$proxy"
check_finding "AWS IoT TLS" error "refused CONNECT to localhost:$front: 407 Proxy Authentication Required"
ggl config set "$nucleus/networkProxy/proxy/password" 's3cret!' > /dev/null
via_proxy "configured credentials"
check_finding "AWS IoT TLS" ok "with localhost:$front through the proxy http://127.0.0.1:$proxy: the server proved"
grep -q "\"target\": \"localhost:$front\", \"status\": 200, \"authorization\": true" "$STAND_DIR/proxy/proxy.log" ||
    fail "the proxy log: $(cat "$STAND_DIR/proxy/proxy.log")"

# Credentials in the URL (percent-encoded), after a direct connection.
since() { ggl iot status --json=short | sed -n 's/.*"since":\([0-9]*\).*/\1/p'; }
was=$(since)
ggl config delete "$nucleus/networkProxy" > /dev/null
for _ in $(seq 100); do [ "$(since)" != "$was" ] && break; sleep 0.1; done
wait_status '"connected":true'
before=$(tunnels)
ggl config set "$nucleus/networkProxy" "{\"proxy\": {\"url\": \"http://ggl:s3cret%21@127.0.0.1:$proxy/\"}}" > /dev/null
via_proxy "credentials in the URL"
ggl iot status > "$STAND_DIR/status.txt"
grep -q "s3cret" "$STAND_DIR/status.txt" "$STAND_DIR/iotcored.log" && fail "the proxy password was shown"

# noProxyAddresses: the endpoint's host bypasses the proxy.
was=$(since)
before=$(tunnels)
ggl config set "$nucleus/networkProxy/noProxyAddresses" "example.com,localhost" > /dev/null
for _ in $(seq 100); do [ "$(since)" != "$was" ] && break; sleep 0.1; done
wait_status '"connected":true'
[ "$(since)" != "$was" ] || fail "noProxyAddresses: iotcored did not connect again"
ggl iot publish proxied/direct x --qos 1 || fail "publish with the endpoint in noProxyAddresses"
[ "$(tunnels)" -eq "$before" ] || fail "noProxyAddresses: a tunnel was made for localhost"

# An https:// proxy URL is refused in words; the proxy down is named.
ggl config set "$nucleus/networkProxy" '{"noProxyAddresses": "", "proxy": {"url": "https://127.0.0.1:1"}}' > /dev/null
wait_status "networkProxy/proxy/url 'https://127.0.0.1:1': iotcored speaks to proxies in plain HTTP"
ggl config set "$nucleus/networkProxy/proxy/url" "http://127.0.0.1:1" > /dev/null
wait_status "cannot reach the proxy http://127.0.0.1:1: Connection refused"
ggl config delete "$nucleus/networkProxy" > /dev/null
wait_status '"connected":true'

# The environment: https_proxy, and no_proxy.
kill "$iotcored"
wait "$iotcored" 2> /dev/null
before=$(tunnels)
https_proxy="http://ggl:s3cret%21@127.0.0.1:$proxy" quick_iotcored
via_proxy "https_proxy"
kill "$iotcored"
wait "$iotcored" 2> /dev/null
before=$(tunnels)
https_proxy="http://ggl:s3cret%21@127.0.0.1:$proxy" no_proxy=".example.com, localhost" quick_iotcored
wait_status '"connected":true'
[ "$(tunnels)" -eq "$before" ] || fail "no_proxy: a tunnel was made for localhost"

[ "$failures" -eq 0 ] && echo "iotcored_proxy_test: all checks passed"
exit $((failures > 0))
