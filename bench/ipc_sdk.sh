#!/usr/bin/env bash
# PublishToTopic -> subscriber messages/s and latency through the unmodified AWS IoT Device
# SDK v2 for JavaScript (tests/ipc_sdk), against ggconfigd, ggpubsubd and ggipcd started
# here on a temp root: one SDK client subscribes, another publishes with WINDOW requests in
# flight for SECONDS. Figures only. Exit 77 when the SDK cannot be installed.
#   bench/ipc_sdk.sh BIN_DIR [SECONDS] [WINDOW]     (defaults 2 and 64)
set -euo pipefail
bin=$(realpath "$1")
seconds=${2:-2}
window=${3:-64}
src=$(cd "$(dirname "$0")/.." && pwd)
if ! modules=$("$src/tests/ipc_sdk/install.sh"); then
  echo "bench/ipc_sdk.sh: the SDK could not be installed; nothing measured" >&2
  exit 77
fi
work=$(mktemp -d /tmp/ggl-bench-ipc-sdk.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
export GGL_RUNTIME_DIR=$work GGL_ROOT=$work GGL_CONFIG_DIR=$work/etc GGL_CONFIG_DB=$work/config.db GGL_LOG_LEVEL=warn
mkdir -p "$work/ipc/svcuid"
printf BenchSdkPublisherToken0123456789ab >"$work/ipc/svcuid/com.bench.Publisher"
printf BenchSdkSubscriberToken0123456789a >"$work/ipc/svcuid/com.bench.Subscriber"
start() {
  "$bin/$1" 2>>"$work/daemons.log" &
  pids+=($!)
  for _ in $(seq 400); do [[ -S $work/$2 ]] && return 0; sleep 0.025; done
  echo "bench/ipc_sdk.sh: $1 did not start: $(cat "$work/daemons.log")" >&2
  exit 1
}
start ggconfigd gg_config
for component in com.bench.Publisher com.bench.Subscriber; do
  "$bin/ggl-config" set --path "[\"services\",\"$component\",\"configuration\",\"accessControl\"]" \
    '{"aws.greengrass.ipc.pubsub":{"bench":{"operations":["*"],"resources":["*"]}}}'
done
start ggpubsubd gg_pubsub
start ggipcd gg-ipc.socket

NODE_PATH=$modules AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT=$work/gg-ipc.socket \
  node - "$seconds" "$window" <<'EOF'
'use strict';
const ipc = require('aws-iot-device-sdk-v2').greengrasscoreipc;
const fs = require('fs');
const [seconds, window] = process.argv.slice(2).map(Number);
const token = (name) => fs.readFileSync(`${process.env.GGL_ROOT}/ipc/svcuid/${name}`, 'utf8');

async function client(name) {
  process.env.SVCUID = token(name);  // createClient reads it from the environment
  const c = ipc.createClient();
  await c.connect();
  return c;
}

(async () => {
  const subscriber = await client('com.bench.Subscriber');
  const publisher = await client('com.bench.Publisher');
  let received = 0;
  let last = 0;
  const latencies = [];
  const subscription = subscriber.subscribeToTopic({ topic: 'bench/sdk' });
  subscription.on('message', (m) => {
    const now = process.hrtime.bigint();
    received += 1;
    last = Date.now();
    if ((received & 15) === 0) latencies.push(Number(now - BigInt(m.jsonMessage.message.t)) / 1000);
  });
  await subscription.activate();
  const publish = () => publisher.publishToTopic({
    topic: 'bench/sdk',
    publishMessage: { jsonMessage: { message: { t: process.hrtime.bigint().toString(), reading: 'x'.repeat(64) } } },
  });
  const start = Date.now();
  let published = 0;
  const worker = async () => {
    while (Date.now() - start < seconds * 1000) {
      await publish();
      published += 1;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const publishSeconds = (Date.now() - start) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 300));
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
  console.log(`bench-ipc (SDK ${require('aws-iot-device-sdk-v2/package.json').version}, node ${process.version}, ` +
              `${window} in flight): ${Math.round(published / publishSeconds)} PublishToTopic/s answered, ` +
              `${Math.round(received / ((last - start) / 1000))} messages/s received (${received} of ${published}); ` +
              `latency p50 ${pct(0.5).toFixed(0)} us p99 ${pct(0.99).toFixed(0)} us`);
  await subscription.close();
  await publisher.close();
  await subscriber.close();
  process.exit(0);
})().catch((e) => { console.error(`bench/ipc_sdk.sh: ${e.message || e}`); process.exit(1); });
EOF
