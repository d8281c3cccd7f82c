#!/usr/bin/env bash
# The IPC SDK harness itself: the pinned SDK installs (from the cache when offline), and
# ipc_client.js starts and fails cleanly, exit 3 with the reason, when there is no IPC
# server to talk to. Exit 77 (skip) when the SDK cannot be installed at all.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

if ! modules=$("$here/install.sh"); then
  echo "SKIP: the SDK could not be installed (no network, and nothing cached)" >&2
  exit 77
fi
[[ -f $modules/aws-iot-device-sdk-v2/package.json ]] || fail "install.sh printed $modules, which holds no SDK"
version=$(node -p "require('$modules/aws-iot-device-sdk-v2/package.json').version")
pinned=$(node -p "require('$here/package.json').dependencies['aws-iot-device-sdk-v2']")
[[ $version == "$pinned" ]] || fail "installed SDK $version, pinned $pinned"

# run NAME EXPECTED_STATUS STDERR_TEXT [ENV=...]... -- ARGS...
run() {
  local name=$1 want=$2 text=$3
  shift 3
  local env=()
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  env -u SVCUID -u AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT NODE_PATH="$modules" \
    GGL_IPC_TIMEOUT_MS=3000 "${env[@]}" node "$here/ipc_client.js" "$@" >"$work/out" 2>"$work/err"
  local status=$?
  if [[ $status -ne $want ]]; then
    fail "$name: exit $status, expected $want; stderr: $(cat "$work/err")"
  elif ! grep -qF -- "$text" "$work/err"; then
    fail "$name: stderr lacks \"$text\": $(cat "$work/err")"
  fi
}

run "no socket variable" 3 "AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT is not set" -- connect
run "no socket file" 3 "cannot connect: Failed to establish eventstream RPC connection" \
  AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT="$work/absent.socket" SVCUID=x -- publish-json a/b '{"x":1}'

# A peer that hangs up on the first bytes (the CONNECT), as a server refusing a client
# would. (Hanging up before the SDK finished connecting can crash aws-crt 1.28 natively.)
node -e '
  const net = require("net");
  net.createServer((c) => c.once("data", () => c.destroy())).listen(process.argv[1], () => console.log("listening"));
' "$work/hangup.socket" >"$work/server.out" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.05; done
run "peer hangs up" 3 "cannot connect: RpcClient.connect() failed - connection closed" \
  AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT="$work/hangup.socket" SVCUID=x -- connect
grep -q '"event":"connected"' "$work/out" && fail "peer hangs up: the client claimed to be connected"

run "unknown command" 2 'unknown command "frobnicate"' -- frobnicate
run "missing argument" 2 "missing TOPIC and JSON" \
  AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT="$work/absent.socket" -- publish-json only-topic

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "ipc_sdk smoke: SDK $version installed; ipc_client.js fails cleanly without a server"
