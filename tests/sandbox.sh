#!/usr/bin/env bash
# The main job: builds ggl and installs it (stripped) into build/install, then runs a
# whole device stack in a sandbox: a real systemd user manager (and journald) in a
# private mount namespace, the installed units (ggl.target, every daemon's socket and
# Type=notify service, adapted for a user manager) started with ggl.target, provisioned
# with `ggl config`; deploys the sample component from samples/ with
# `ggl deploy local --wait` and shows it running.
# Nothing outside the sandbox's temp dir is touched; everything started is stopped.
# Usage: tests/sandbox.sh [--shell | --keep]
#   --shell  then opens a shell inside the sandbox (exit it to tear everything down)
#   --keep   then keeps the stack running until Ctrl-C
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
case $mode in ""|--shell|--keep) ;; *) echo "usage: tests/sandbox.sh [--shell | --keep]" >&2; exit 2 ;; esac

if [[ -z ${GGL_IN_PRIVATE_NAMESPACE:-} ]]; then
  "$src/tests/install-deps.sh"
  cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$src/build" -j "$(nproc)"
  # What a device gets: the install tree (DESTDIR, so nothing outside build/ is written).
  rm -rf "$src/build/install"
  DESTDIR="$src/build/install" cmake --install "$src/build" --strip > /dev/null
fi

# Re-runs this script in a private mount namespace with the user manager up; sets
# GGL_ROOT, GGL_RUNTIME_DIR, GGL_CONFIG_DIR, GGL_UNIT_DIR, GGL_SYSTEMD_SCOPE=user.
set +eu
# shellcheck source=integration/user_manager.sh
. "$src/tests/integration/user_manager.sh"
# shellcheck source=integration/ggl_daemons.sh
. "$src/tests/integration/ggl_daemons.sh"
set -eu

# The installed programs and units (they find their libraries through RUNPATH).
bin=$src/build/install$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$src/build/CMakeCache.txt")/bin
export PATH=$bin:$PATH
cat > "$GGL_CONFIG_DIR/config.yaml" <<'YAML'
system:
  thingName: sandbox-device
services:
  aws.greengrass.NucleusLite:
    configuration:
      awsRegion: eu-west-1
YAML
run() { printf '\n$ %s\n' "$*"; "$@"; }
printf '\n$ systemctl --user start ggl.target   (units from %s)\n' "$(ggl_units_dir "$bin")"
start_ggl_daemons "$bin"
run systemctl --user --no-pager list-units 'gg*' ggl.target
run ggl bus list
run ggl config set system/thingName sandbox-device
run ggl config get system
run ggl deploy local -r "$src/samples/recipes" -a "$src/samples/artifacts" -c com.example.HelloWorld=1.0.0 --wait
run ggl component list
run ggl deploy local -c com.example.HelloWorld=1.0.0 \
  --update-config '{"com.example.HelloWorld":{"MERGE":{"message":"Hello again","intervalSeconds":1}}}' --wait
run ggl config get services/com.example.HelloWorld/configuration
sleep 2
run ggl component logs com.example.HelloWorld -n 5
run ggl deploy list

case $mode in
  --shell)
    echo
    echo "A shell inside the sandbox ($UM_TOP): try ggl component list, ggl deploy status,"
    echo "ggl config export, systemctl --user status ggl.target 'ggl.*'. Exit it to tear everything down."
    PS1='ggl-sandbox$ ' bash --norc -i || true
    ;;
  --keep)
    echo
    echo "The stack runs in a private namespace (sandbox $UM_TOP). From another shell:"
    echo "  nsenter -t $$ -m env XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR GGL_RUNTIME_DIR=$GGL_RUNTIME_DIR GGL_ROOT=$GGL_ROOT \\"
    echo "    GGL_SYSTEMD_SCOPE=user $bin/ggl component list"
    echo "Ctrl-C stops it and removes the sandbox."
    while :; do sleep 3600; done
    ;;
  *)
    echo
    echo "Done: the stack is torn down. tests/sandbox.sh --shell opens a shell in it instead."
    ;;
esac
