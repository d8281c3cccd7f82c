#!/usr/bin/env node
// A Greengrass IPC client built on the unmodified AWS IoT Device SDK v2 (greengrasscoreipc),
// connecting as a deployed component does: SVCUID and
// AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT from the environment. The tests
// run one command per process and read its stdout: one JSON object per line.
//
//   NODE_PATH=$(tests/ipc_sdk/install.sh) node tests/ipc_sdk/ipc_client.js COMMAND [ARGS]
//
// Exit status: 0 done; 1 the server answered with an error (stdout has
// {"event":"service-error","error":<the error body>}); 2 usage; 3 no connection.
'use strict';

const USAGE = `usage: ipc_client.js COMMAND [ARGS]
  connect                                   connect, then disconnect
  publish-json TOPIC JSON                   PublishToTopic with a jsonMessage
  publish-binary TOPIC TEXT                 PublishToTopic with a binaryMessage (TEXT's bytes)
  subscribe TOPIC [MODE] [COUNT]            SubscribeToTopic (MODE: RECEIVE_ALL_MESSAGES or
                                            RECEIVE_MESSAGES_FROM_OTHERS, "-" for none); prints
                                            each message until COUNT (default 1) arrived
  iot-publish TOPIC TEXT [QOS]               PublishToIoTCore (QOS 0 or 1, default 1)
  iot-subscribe FILTER [COUNT]              SubscribeToIoTCore (QoS 1); prints each message's topic and
                                            payload (as text) until COUNT (default 1) arrived
  get-config [--component NAME] [KEY...]    GetConfiguration
  update-config [--timestamp MS] JSON [KEY...]
                                            UpdateConfiguration: merge JSON at KEY path, with the
                                            timestamp MS (ms since the epoch; default now)
  subscribe-config [--component NAME] [COUNT] [KEY...]
                                            SubscribeToConfigurationUpdate; prints COUNT (default 1) events
  validate-config [--reject-if KEY] [COUNT]  SubscribeToValidateConfigurationUpdates; for each of
                                            COUNT (default 1, 0: until stopped) proposals prints it
                                            and answers with SendConfigurationValidityReport:
                                            REJECTED when the proposed configuration has KEY
                                            (message "KEY is <its value>"), else ACCEPTED
  send-report STATUS DEPLOYMENT_ID [MESSAGE] SendConfigurationValidityReport on its own
  update-state STATE                        UpdateState (RUNNING or ERRORED)
  list-components                           ListComponents
Environment: SVCUID, AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT; GGL_IPC_TIMEOUT_MS
(default 10000) bounds every wait.`;

let ipc;
try {
  ipc = require('aws-iot-device-sdk-v2').greengrasscoreipc;
} catch (e) {
  process.stderr.write(`ipc_client: error: cannot load aws-iot-device-sdk-v2 (set NODE_PATH to the output of ` +
                       `tests/ipc_sdk/install.sh): ${e.message}\n`);
  process.exit(3);
}

const timeoutMs = Number(process.env.GGL_IPC_TIMEOUT_MS || 10000);

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + '\n');
}

class UsageError extends Error {}
class ConnectError extends Error {}

function need(args, count, what) {
  if (args.length < count) {
    throw new UsageError(`missing ${what}`);
  }
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${e.message}`);
  }
}

function optionalComponent(args) {
  if (args[0] === '--component') {
    need(args, 2, 'component name after --component');
    const name = args[1];
    args.splice(0, 2);
    return name;
  }
  return undefined;
}

// Resolves when count events were emitted by a streaming operation, or rejects on its
// error or when time runs out.
function collect(operation, count, onMessage) {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms with ${seen} of ${count} events`)),
                             timeoutMs);
    operation.on('message', (message) => {
      onMessage(message);
      seen += 1;
      if (seen >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
    operation.on('streamError', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    operation.on('ended', () => {
      clearTimeout(timer);
      if (seen < count) reject(new Error(`the server ended the stream after ${seen} of ${count} events`));
    });
  });
}

// Each command checks its arguments first (a usage error never connects), then returns
// what to do once connected.
const commands = {
  connect: () => async () => {},

  'publish-json': (args) => {
    need(args, 2, 'TOPIC and JSON');
    const message = parseJson(args[1], 'JSON');
    return async (client) => {
      await client.publishToTopic({ topic: args[0], publishMessage: { jsonMessage: { message } } });
      emit('published', { topic: args[0] });
    };
  },

  'publish-binary': (args) => {
    need(args, 2, 'TOPIC and TEXT');
    return async (client) => {
      await client.publishToTopic({ topic: args[0], publishMessage: { binaryMessage: { message: Buffer.from(args[1]) } } });
      emit('published', { topic: args[0] });
    };
  },

  subscribe: (args) => {
    need(args, 1, 'TOPIC');
    const request = { topic: args[0] };
    if (args[1] && args[1] !== '-') request.receiveMode = args[1];
    const count = Number(args[2] || 1);
    if (!(count >= 1)) throw new UsageError(`COUNT "${args[2]}" is not a positive number`);
    return async (client) => {
      const operation = client.subscribeToTopic(request);
      const done = collect(operation, count, (message) => {
        if (message.jsonMessage) {
          emit('message', { topic: message.jsonMessage.context && message.jsonMessage.context.topic,
                            json: message.jsonMessage.message });
        } else if (message.binaryMessage) {
          emit('message', { topic: message.binaryMessage.context && message.binaryMessage.context.topic,
                            binary: Buffer.from(message.binaryMessage.message).toString('base64') });
        } else {
          emit('message', { unknown: message });
        }
      });
      await operation.activate();
      emit('subscribed', { topic: args[0] });  // the driver publishes after this line
      await done;
      await operation.close();
    };
  },

  'iot-publish': (args) => {
    need(args, 2, 'TOPIC and TEXT');
    const qos = args[2] === '0' ? ipc.model.QOS.AT_MOST_ONCE : ipc.model.QOS.AT_LEAST_ONCE;
    return async (client) => {
      await client.publishToIoTCore({ topicName: args[0], qos, payload: Buffer.from(args[1]) });
      emit('published', { topic: args[0] });
    };
  },

  'iot-subscribe': (args) => {
    need(args, 1, 'FILTER');
    const count = Number(args[1] || 1);
    if (!(count >= 1)) throw new UsageError(`COUNT "${args[1]}" is not a positive number`);
    return async (client) => {
      const operation = client.subscribeToIoTCore({ topicName: args[0], qos: ipc.model.QOS.AT_LEAST_ONCE });
      const done = collect(operation, count, (event) => {
        const message = event.message || {};
        emit('message', { topic: message.topicName, payload: Buffer.from(message.payload || []).toString() });
      });
      await operation.activate();
      emit('subscribed', { topic: args[0] });  // the driver publishes after this line
      await done;
      await operation.close();
    };
  },

  'get-config': (args) => {
    const componentName = optionalComponent(args);
    return async (client) => {
      const response = await client.getConfiguration({ componentName, keyPath: args });
      emit('configuration', { componentName: response.componentName, value: response.value });
    };
  },

  'update-config': (args) => {
    let timestamp = new Date();
    if (args[0] === '--timestamp') {
      need(args, 2, 'MS after --timestamp');
      if (!/^[0-9]+$/.test(args[1])) throw new UsageError(`--timestamp "${args[1]}" is not a number of ms`);
      timestamp = new Date(Number(args[1]));
      args.splice(0, 2);
    }
    need(args, 1, 'JSON');
    const valueToMerge = parseJson(args[0], 'JSON');
    const keyPath = args.slice(1);
    return async (client) => {
      await client.updateConfiguration({ keyPath, valueToMerge, timestamp });
      emit('updated', { keyPath });
    };
  },

  'validate-config': (args) => {
    let rejectIf;
    if (args[0] === '--reject-if') {
      need(args, 2, 'KEY after --reject-if');
      rejectIf = args[1];
      args.splice(0, 2);
    }
    const count = args.length > 0 ? Number(args[0]) : 1;
    if (!(count >= 0)) throw new UsageError(`COUNT "${args[0]}" is not a number`);
    return async (client) => {
      const operation = client.subscribeToValidateConfigurationUpdates({});
      const reports = [];
      const onEvent = (event) => {
        const proposal = event.validateConfigurationUpdateEvent || {};
        const configuration = proposal.configuration || {};
        emit('validate-request', { componentName: proposal.componentName, deploymentId: proposal.deploymentId,
                                   configuration });
        const rejected = rejectIf !== undefined && Object.prototype.hasOwnProperty.call(configuration, rejectIf);
        const report = { status: rejected ? 'REJECTED' : 'ACCEPTED', deploymentId: proposal.deploymentId };
        if (rejected) report.message = `${rejectIf} is ${JSON.stringify(configuration[rejectIf])}`;
        reports.push(client.sendConfigurationValidityReport({ configurationValidityReport: report })
          .then(() => emit('reported', report)));
      };
      // COUNT 0: a component's life; it answers every deployment until it is stopped.
      const done = count > 0 ? collect(operation, count, onEvent) : new Promise((_, reject) => {
        operation.on('message', onEvent);
        operation.on('streamError', reject);
      });
      await operation.activate();
      emit('subscribed', {});
      await done;
      await Promise.all(reports);
      await operation.close();
    };
  },

  'send-report': (args) => {
    need(args, 2, 'STATUS and DEPLOYMENT_ID');
    const report = { status: args[0], deploymentId: args[1] };
    if (args[2] !== undefined) report.message = args[2];
    return async (client) => {
      await client.sendConfigurationValidityReport({ configurationValidityReport: report });
      emit('reported', report);
    };
  },

  'subscribe-config': (args) => {
    const componentName = optionalComponent(args);
    const count = args.length > 0 && /^[0-9]+$/.test(args[0]) ? Number(args.shift()) : 1;
    return async (client) => {
      const operation = client.subscribeToConfigurationUpdate({ componentName, keyPath: args });
      const done = collect(operation, count, (event) => {
        const update = event.configurationUpdateEvent || {};
        emit('configuration-update', { componentName: update.componentName, keyPath: update.keyPath });
      });
      await operation.activate();
      emit('subscribed', { keyPath: args });
      await done;
      await operation.close();
    };
  },

  'update-state': (args) => {
    need(args, 1, 'STATE');
    return async (client) => {
      await client.updateState({ state: args[0] });
      emit('state-updated', { state: args[0] });
    };
  },

  'list-components': () => async (client) => {
    const response = await client.listComponents({});
    emit('components', { components: response.components || [] });
  },
};

async function main() {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 2;
  }
  if (!Object.prototype.hasOwnProperty.call(commands, name)) {
    throw new UsageError(`unknown command "${name}"`);
  }
  const command = commands[name](args);
  if (!process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT) {
    throw new ConnectError('AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT is not set');
  }
  const client = ipc.createClient();
  let connectTimer;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        connectTimer = setTimeout(() => reject(new Error(`no CONNECT_ACK within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    throw new ConnectError(describe(e));
  } finally {
    clearTimeout(connectTimer);
  }
  emit('connected');
  try {
    await command(client);
  } finally {
    await client.close();
  }
  return 0;
}

function describe(error) {
  const parts = [error.description || error.message || String(error)];
  if (error.internalError) parts.push(describe(error.internalError));
  return parts.join(': ');
}

main().then((status) => process.exit(status), (error) => {
  if (error instanceof UsageError) {
    process.stderr.write(`ipc_client: error: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (error instanceof ConnectError) {
    process.stderr.write(`ipc_client: error: cannot connect: ${error.message}\n`);
    process.exit(3);
  }
  if (error && error.serviceError) {
    emit('service-error', { error: error.serviceError });
    process.stderr.write(`ipc_client: error: ${describe(error)}: ${JSON.stringify(error.serviceError)}\n`);
    process.exit(1);
  }
  process.stderr.write(`ipc_client: error: ${describe(error)}\n`);
  process.exit(1);
});
