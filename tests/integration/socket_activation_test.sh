#!/bin/sh
# A bus server takes the listening socket systemd passes it, found by the fd name that
# equals its service name (LISTEN_FDNAMES), instead of binding its own.
# Usage: socket_activation_test.sh TEST_SERVICE_EXE GGL_EXE
set -u
service_exe=$1
ggl=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/ggl-activation.XXXXXX") || exit 1
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() {
    echo "socket_activation_test: $*" >&2
    cat "$dir/log" >&2
    exit 1
}

# systemd-socket-activate binds the socket, then starts the service on the first
# connection with LISTEN_FDS=1 and LISTEN_FDNAMES=activated.
GGL_RUNTIME_DIR="$dir/elsewhere" systemd-socket-activate -l "$dir/activated" --fdname=activated \
    "$service_exe" --service activated 2>"$dir/log" &
pid=$!
tries=0
while [ ! -S "$dir/activated" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 200 ] || fail "systemd-socket-activate did not create its socket"
    sleep 0.05
done

out=$(GGL_RUNTIME_DIR="$dir" "$ggl" bus call activated echo '{"via":"activation"}' --json=short) ||
    fail "call over the activated socket failed"
[ "$out" = '{"via":"activation"}' ] || fail "unexpected reply: $out"
# The service used the passed socket, so it never bound one under its own runtime dir.
[ ! -e "$dir/elsewhere/activated" ] || fail "the service bound its own socket instead of the passed one"
exit 0
