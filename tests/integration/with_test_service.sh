#!/bin/sh
# Runs a test command against a fresh ggl-test-service in a runtime directory of its own.
# Usage: with_test_service.sh SERVICE_EXE COMMAND [ARGS...]
# The command finds the service's socket in GGL_TEST_SOCKET (and GGL_RUNTIME_DIR).
# Fails when the command fails, or when the service does not stop cleanly on SIGTERM.
set -u

service_exe=$1
shift

runtime_dir=$(mktemp -d "${TMPDIR:-/tmp}/ggl-interop.XXXXXX") || exit 1
log="$runtime_dir/service.log"
socket="$runtime_dir/ggl_test"
service_pid=

cleanup() {
    if [ -n "$service_pid" ]; then
        kill -KILL "$service_pid" 2>/dev/null
        wait "$service_pid" 2>/dev/null
    fi
    rm -rf "$runtime_dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "with_test_service: $*" >&2
    echo "--- service log:" >&2
    cat "$log" >&2
    exit 1
}

GGL_RUNTIME_DIR="$runtime_dir" "$service_exe" 2>"$log" &
service_pid=$!

# The socket file appears at bind, a moment before listen; the command retries its
# connect for that moment. Up to 10 s for the file itself.
tries=0
while [ ! -S "$socket" ]; do
    kill -0 "$service_pid" 2>/dev/null || fail "ggl-test-service exited before serving"
    tries=$((tries + 1))
    [ "$tries" -le 200 ] || fail "no socket at $socket after 10 s"
    sleep 0.05
done

GGL_RUNTIME_DIR="$runtime_dir" GGL_TEST_SOCKET="$socket" "$@"
status=$?
[ "$status" -eq 0 ] || fail "test command exited with status $status"

kill -TERM "$service_pid"
wait "$service_pid"
service_status=$?
service_pid=
[ "$service_status" -eq 0 ] || fail "ggl-test-service exited with status $service_status on SIGTERM"
[ ! -e "$socket" ] || fail "ggl-test-service left its socket behind"
exit 0
