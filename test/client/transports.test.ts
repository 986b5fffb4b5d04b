// The transport registry: a scheme registered later (as the QUIC transport will be) is used by connect().
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect } from '../../src/client/client.js';
import { MqttClientError } from '../../src/client/errors.js';
import { resolveOptions } from '../../src/client/options.js';
import { MqttClient as MqttJsClient } from 'mqtt';
import {
  findTransport,
  mqttJsStreamBuilder,
  registerTransport,
  registeredSchemes,
  type TransportConnectOptions,
} from '../../src/client/transports.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { WAIT_MS, nextEvent, uniqueTopic, within } from './support.js';

let broker: MosquittoBroker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker.stop();
});

test('built-in schemes are registered with their IANA / URL default ports', () => {
  assert.deepEqual(
    ['mqtt', 'tcp', 'mqtts', 'ssl', 'tls', 'ws', 'wss'].map((s) => [s, findTransport(s)?.defaultPort, findTransport(s)?.secure]),
    [
      ['mqtt', 1883, false],
      ['tcp', 1883, false],
      ['mqtts', 8883, true],
      ['ssl', 8883, true],
      ['tls', 8883, true],
      ['ws', 80, false],
      ['wss', 443, true],
    ],
  );
  assert.ok(registeredSchemes().includes('mqtts'));
});

test('scheme names follow RFC 3986 §3.1 and are case-insensitive', () => {
  assert.throws(() => registerTransport('1bad', () => netConnect(1)), (e: unknown) => e instanceof MqttClientError && /Invalid URL scheme/.test(e.message));
  assert.throws(() => registerTransport('has space', () => netConnect(1)), /Invalid URL scheme/);
  assert.throws(() => registerTransport('ok', () => netConnect(1), { defaultPort: 70000 }), /Invalid default port/);
  const unregister = registerTransport('Case-Test', () => netConnect(1), { defaultPort: 5 });
  try {
    assert.equal(findTransport('case-test')?.defaultPort, 5);
    assert.equal(resolveOptions('CASE-TEST://h').port, 5);
  } finally {
    unregister();
  }
  assert.equal(findTransport('case-test'), undefined);
});

test('unregistering a replaced registration leaves the replacement in place', () => {
  const first = registerTransport('replace-test', () => netConnect(1), { defaultPort: 1 });
  const second = registerTransport('replace-test', () => netConnect(1), { defaultPort: 2 });
  first();
  assert.equal(findTransport('replace-test')?.defaultPort, 2);
  second();
  assert.equal(findTransport('replace-test'), undefined);
});

test('a custom transport registered for a scheme carries the whole MQTT session', async () => {
  const calls: TransportConnectOptions[] = [];
  const unregister = registerTransport(
    'nettest',
    (options) => {
      calls.push(options);
      return netConnect({ host: options.host, port: options.port });
    },
    { defaultPort: broker.port, secure: false },
  );
  try {
    const client = await within(
      connect({ url: 'nettest://127.0.0.1', protocolVersion: 5, transportOptions: { marker: 42 } }),
      WAIT_MS,
      'connect',
    );
    const topic = uniqueTopic('custom');
    const messages = client.messages();
    await client.subscribe(topic, { qos: 2 });
    await client.publish(topic, 'through the custom transport', { qos: 2 });
    assert.equal((await within(messages.next(), WAIT_MS, 'message')).value?.payload.toString(), 'through the custom transport');
    await client.end();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.scheme, 'nettest');
    assert.equal(calls[0]?.port, broker.port);
    assert.equal(calls[0]?.protocolVersion, 5);
    assert.deepEqual(calls[0]?.transportOptions, { marker: 42 });
    assert.equal(calls[0]?.tls.rejectUnauthorized, true);
  } finally {
    unregister();
  }
});

test('reconnect: after a lost transport the client reconnects and resubscribes (reconnectPeriodMs > 0)', async () => {
  const sockets: Socket[] = [];
  const unregister = registerTransport('droptest', (o) => {
    const s = netConnect({ host: o.host, port: o.port });
    sockets.push(s);
    return s;
  });
  try {
    const client = await within(
      connect({ url: `droptest://127.0.0.1:${broker.port}`, reconnectPeriodMs: 50 }),
      WAIT_MS,
      'connect',
    );
    const topic = uniqueTopic('reconnect');
    const messages = client.messages();
    await client.subscribe(topic, { qos: 1 });
    const offline = nextEvent(client, 'offline', WAIT_MS);
    const reconnected = nextEvent(client, 'connect', WAIT_MS);
    sockets[0]?.destroy();
    await offline;
    assert.equal(client.connected, false);
    await reconnected;
    assert.equal(client.connected, true);
    assert.equal(sockets.length, 2);
    await client.publish(topic, 'after reconnect', { qos: 1 });
    assert.equal((await within(messages.next(), WAIT_MS, 'message')).value?.payload.toString(), 'after reconnect');
    await within(client.end(), WAIT_MS, 'end');
  } finally {
    unregister();
  }
});

test('mqttJsStreamBuilder lets plain MQTT.js use a registered transport', async () => {
  const resolved = resolveOptions(`mqtt://127.0.0.1:${broker.port}`);
  const builder = mqttJsStreamBuilder({
    scheme: resolved.scheme,
    host: resolved.host,
    port: resolved.port,
    path: resolved.path,
    protocolVersion: 4,
    tls: resolved.tls,
    transportOptions: {},
  });
  const raw = new MqttJsClient(builder, { protocolVersion: 4, reconnectPeriod: 0, clientId: `raw-${process.pid}` });
  try {
    await within(new Promise<void>((resolve, reject) => raw.once('connect', () => resolve()).once('error', reject)), WAIT_MS, 'MQTT.js connect');
  } finally {
    await raw.endAsync(true);
  }
  assert.throws(
    () => mqttJsStreamBuilder({ ...resolved, scheme: 'nope', transportOptions: {} }),
    (e: unknown) => e instanceof MqttClientError && e.code === 'ERR_UNKNOWN_SCHEME',
  );
});
