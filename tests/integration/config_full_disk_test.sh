#!/usr/bin/env bash
# A full disk: ggconfigd and `ggl config --db` on a 1 MiB tmpfs (a private mount
# namespace, so nothing outside sees it). Writes that do not fit fail with an error that
# says the device is full; every write acknowledged before stays, across a kill -9 and
# a restart, and the database passes integrity_check. Needs root for unshare -m (77:
# skipped otherwise).
# Usage: config_full_disk_test.sh GGCONFIGD GGL
set -euo pipefail
ggconfigd=$1
ggl=$2

if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null; then
  echo "skipped: needs root and unshare for a private tmpfs" >&2
  exit 77
fi
if [[ -z ${GGL_FULL_DISK_INNER:-} ]]; then
  exec env GGL_FULL_DISK_INNER=1 unshare -m --propagation private "$0" "$@"
fi

work=$(mktemp -d /tmp/ggl-full-disk.XXXXXX)
daemon=
cleanup() {
  [[ -n $daemon ]] && kill -9 "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  umount "$work/root" "$work/direct" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/root" "$work/direct" "$work/run" "$work/etc"
mount -t tmpfs -o size=1m,mode=0755 ggl-full-disk "$work/root"
mount -t tmpfs -o size=1m,mode=0755 ggl-full-disk "$work/direct"
export GGL_RUNTIME_DIR=$work/run GGL_ROOT=$work/root GGL_CONFIG_DIR=$work/etc GGL_CONFIG_DB=$work/root/config.db

fail() { echo "FAIL: $*" >&2; exit 1; }

start_daemon() {
  "$ggconfigd" 2>>"$work/ggconfigd.log" &
  daemon=$!
  for _ in $(seq 500); do
    "$ggl" config list >/dev/null 2>&1 && return 0
    kill -0 "$daemon" 2>/dev/null || fail "ggconfigd exited: $(cat "$work/ggconfigd.log")"
    sleep 0.02
  done
  fail "ggconfigd did not serve"
}

# 96 KiB values: a few fit in 1 MiB (database, WAL, shm), then the device is full.
chunk=$(head -c 98304 /dev/zero | tr '\0' 'x')

check_full_disk() {  # $1: how ggl reaches the store (empty: the daemon; or --db FILE)
  local how=$1 prefix=$2 acknowledged=0 refused=0 err
  for i in $(seq 1 40); do
    if err=$("$ggl" config $how set "$prefix/k$i" "$chunk" 2>&1 >/dev/null); then
      acknowledged=$i
      [[ $refused -eq 0 ]] || fail "a write after a refused one succeeded, yet the disk was full"
    else
      status=$?
      refused=1
      [[ $status -eq 4 || $status -eq 1 ]] || fail "full disk: exit status $status ($err)"
      grep -q "full" <<<"$err" || fail "the error does not say the disk is full: $err"
      grep -q "no space left" <<<"$err" || fail "the error does not name the missing space: $err"
      echo "refused as expected ($how): $err"
      break
    fi
  done
  [[ $acknowledged -ge 1 ]] || fail "no write fitted at all ($how)"
  [[ $refused -eq 1 ]] || fail "40 writes of 96 KiB fitted in 1 MiB ($how)"
  echo "$acknowledged" >"$work/acknowledged-$prefix"
}

check_kept() {  # every acknowledged value is whole
  local how=$1 prefix=$2 n
  n=$(cat "$work/acknowledged-$prefix")
  for i in $(seq 1 "$n"); do
    value=$("$ggl" config $how get "$prefix/k$i") || fail "$prefix/k$i lost ($how)"
    [[ ${#value} -eq ${#chunk} ]] || fail "$prefix/k$i has ${#value} bytes, not ${#chunk} ($how)"
  done
}

start_daemon
"$ggl" config set system/thingName dev-1 || fail "first write"
check_full_disk "" daemon
check_kept "" daemon
# Still serving after the refusal.
[[ $("$ggl" config get system/thingName) == dev-1 ]] || fail "thingName lost"

kill -9 "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=
start_daemon
check_kept "" daemon
[[ $("$ggl" config get system/thingName) == dev-1 ]] || fail "thingName lost after kill -9"
kill "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=

# What the daemon stored reads back from the file directly too.
check_kept "--db $GGL_CONFIG_DB" daemon

# The same through the database file directly, on a second full device.
direct_db=$work/direct/config.db
"$ggl" config --db "$direct_db" set system/thingName dev-2 || fail "first direct write"
check_full_disk "--db $direct_db" direct
check_kept "--db $direct_db" direct
[[ $("$ggl" config --db "$direct_db" get system/thingName) == dev-2 ]] || fail "direct thingName lost"

if command -v sqlite3 >/dev/null; then
  for db in "$GGL_CONFIG_DB" "$direct_db"; do
    verdict=$(sqlite3 "$db" "PRAGMA integrity_check" 2>&1 || true)
    [[ $verdict == ok ]] || fail "integrity_check of $db: $verdict"
  done
fi
echo "PASS"
