// The IPC sample component's program: a Greengrass v2 component built on the unmodified
// AWS IoT Device SDK v2 for JavaScript (greengrasscoreipc), as it would run on any
// Greengrass core. It connects with the SVCUID and socket path the runtime puts in its
// environment, reads its configuration, answers requests, greets, and reports RUNNING:
//
//   - requests: JSON messages on configuration requestTopic, {"text": ..., "replyTopic"?: ...};
//     each is answered on replyTopic (or the configured one) with
//     {"echo": text, "greeting": greeting, "thingName": ...}. When the policy denies
//     that topic, the denial is logged and reported on the configured replyTopic as
//     {"error": "UnauthorizedError", "topic": ..., "message": ...}.
//   - greetings: {"greeting": greeting, "thingName": ..., "count": n} on greetingTopic at
//     start, then every intervalSeconds (0: only at start).
//
// Exits 0 on SIGTERM (a unit stop), 1 when it cannot connect or loses the connection (the
// unit's Restart=on-failure starts it again).
'use strict';

let greengrasscoreipc;
try {
  greengrasscoreipc = require('aws-iot-device-sdk-v2').greengrasscoreipc;
} catch (error) {
  console.error(`cannot load aws-iot-device-sdk-v2 (NODE_PATH=${process.env.NODE_PATH || ''}; set the ` +
                `component's nodeModulesPath configuration, or bundle node_modules): ${error.message.split('\n')[0]}`);
  process.exit(1);
}

const thingName = process.env.AWS_IOT_THING_NAME || '';

function describe(error) {
  const parts = [error.description || error.message || String(error)];
  if (error.serviceError) parts.push(JSON.stringify(error.serviceError));
  if (error.internalError) parts.push(describe(error.internalError));
  return parts.join(': ');
}

function requireString(config, key) {
  if (typeof config[key] !== 'string' || config[key] === '') {
    throw new Error(`configuration ${key} must be a non-empty string, not ${JSON.stringify(config[key])}`);
  }
  return config[key];
}

async function main() {
  const client = greengrasscoreipc.createClient();
  let stopping = false;
  let requests;
  let timer;
  // A stop at any point, even while connecting, closes what is open and exits 0.
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    clearInterval(timer);
    try {
      if (requests) await requests.close();
      await client.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  client.on('disconnection', (event) => {
    if (stopping) return;
    console.error(`lost the IPC connection: ${event && event.reason ? describe(event.reason) : 'no reason given'}`);
    process.exit(1);
  });
  await client.connect();
  console.log(`connected to ${process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT}`);

  // The whole configuration of this component (the recipe's defaults, merged with what
  // the deployment asked for).
  const { value: config } = await client.getConfiguration({ keyPath: [] });
  const greeting = requireString(config, 'greeting');
  const greetingTopic = requireString(config, 'greetingTopic');
  const requestTopic = requireString(config, 'requestTopic');
  const replyTopic = requireString(config, 'replyTopic');
  const intervalSeconds = Number(config.intervalSeconds || 0);
  console.log(`configuration: greeting ${JSON.stringify(greeting)}, requests on ${requestTopic}, ` +
              `replies on ${replyTopic}, greetings on ${greetingTopic} every ${intervalSeconds} s`);

  const publish = (topic, message) => client.publishToTopic({ topic, publishMessage: { jsonMessage: { message } } });

  const answer = async (request) => {
    const text = request && typeof request.text === 'string' ? request.text : JSON.stringify(request);
    const topic = request && typeof request.replyTopic === 'string' ? request.replyTopic : replyTopic;
    try {
      await publish(topic, { echo: text, greeting, thingName });
      console.log(`answered ${JSON.stringify(text)} on ${topic}`);
    } catch (error) {
      console.error(`cannot answer on ${topic}: ${describe(error)}`);
      const name = error.serviceError && error.serviceError._errorCode ? error.serviceError._errorCode : 'ServiceError';
      const message = error.serviceError && error.serviceError.message ? error.serviceError.message : describe(error);
      if (topic !== replyTopic) {
        await publish(replyTopic, { error: name, topic, message }).catch((again) => {
          console.error(`cannot report the error on ${replyTopic}: ${describe(again)}`);
        });
      }
    }
  };

  requests = client.subscribeToTopic({ topic: requestTopic });
  requests.on('message', (message) => {
    if (message.jsonMessage) {
      answer(message.jsonMessage.message);
    } else if (message.binaryMessage) {
      answer({ text: Buffer.from(message.binaryMessage.message).toString('utf8') });
    }
  });
  requests.on('streamError', (error) => {
    console.error(`the subscription to ${requestTopic} failed: ${describe(error)}`);
    process.exit(1);
  });
  await requests.activate();
  console.log(`subscribed to ${requestTopic}`);

  let count = 0;
  const greet = async () => {
    count += 1;
    try {
      await publish(greetingTopic, { greeting, thingName, count });
      console.log(`published greeting ${count} on ${greetingTopic}`);
    } catch (error) {
      console.error(`cannot publish the greeting on ${greetingTopic}: ${describe(error)}`);
    }
  };
  await greet();
  if (intervalSeconds > 0) timer = setInterval(greet, intervalSeconds * 1000);

  await client.updateState({ state: greengrasscoreipc.model.ReportedLifecycleState.RUNNING });
  console.log('reported state RUNNING');
}

main().catch((error) => {
  console.error(`com.example.IpcSdkDemo: ${describe(error)}`);
  process.exit(1);
});
