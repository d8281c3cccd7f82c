#!/usr/bin/env bash
# Installs the pinned AWS IoT Device SDK v2 (package-lock.json) into a cache directory and
# prints that directory's node_modules path; later runs reuse it and work offline.
#   tests/ipc_sdk/install.sh [CACHE_DIR]     (default: $GGL_IPC_SDK_CACHE or ~/.cache/ggl/ipc_sdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${GGL_IPC_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ggl/ipc_sdk}}

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "ipc_sdk/install.sh: $tool is not installed (tests/install-deps.sh installs nodejs)" >&2
    exit 1
  fi
done

mkdir -p "$cache"
# The lock file's digest names what is installed: a new pin reinstalls, the same pin is reused.
stamp="$cache/installed-lock.sha256"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" && -d $cache/node_modules/aws-iot-device-sdk-v2 ]]; then
  echo "$cache/node_modules"
  exit 0
fi

cp "$here/package.json" "$here/package-lock.json" "$cache/"
rm -f "$stamp"
# npm's own cache lives beside the install: reinstalling the same pin needs no network
# (offline first, then the registry).
# Install scripts are skipped: aws-crt's only builds the native addon from source when
# its prebuilt one for this platform is missing, which is checked below instead.
npm_ci() { (cd "$cache" && npm ci --cache "$cache/npm-cache" --ignore-scripts --no-audit --no-fund "$@" >&2); }
if ! npm_ci --offline --loglevel=silent && ! npm_ci --loglevel=error; then
  echo "ipc_sdk/install.sh: npm ci failed in $cache (no network and nothing cached yet?)" >&2
  exit 1
fi
addon=$(cd "$cache/node_modules/aws-crt" && node -e '
  const os = require("os"); const cruntime = require("./scripts/cruntime");
  process.stdout.write(`dist/bin/${os.platform()}-${os.arch()}-${cruntime()}/aws-crt-nodejs.node`);')
if [[ ! -f $cache/node_modules/aws-crt/$addon ]]; then
  echo "ipc_sdk/install.sh: aws-crt ships no prebuilt native addon for this platform ($addon)" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "$cache/node_modules"
