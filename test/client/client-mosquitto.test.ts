// MqttClient against Debian's mosquitto over plain TCP: the MQTT features applications rely on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type MqttClient, type ReceivedMessage } from '../../src/client/client.js';
import type { ConnectOptions } from '../../src/client/options.js';
import { MqttClientError } from '../../src/client/errors.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { WAIT_MS, nextEvent, uniqueTopic, within } from './support.js';

let broker: MosquittoBroker;
const open: MqttClient[] = [];

before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await Promise.all(open.map((c) => c.end({ force: true })));
  await broker.stop();
});

async function client(options: ConnectOptions = {}): Promise<MqttClient> {
  const c = await within(connect({ url: `mqtt://127.0.0.1:${broker.port}`, ...options }), WAIT_MS, 'connect');
  open.push(c);
  return c;
}

async function take(it: AsyncIterator<ReceivedMessage>, what = 'a message'): Promise<ReceivedMessage> {
  const r = await within(it.next(), WAIT_MS, what);
  assert.equal(r.done, false);
  return r.value;
}

test('QoS 0, 1 and 2 round trip; subscribe resolves with the granted QoS', async () => {
  const topic = uniqueTopic('qos');
  const sub = await client();
  const messages = sub.messages();
  const grants = await sub.subscribe([{ filter: `${topic}/+`, qos: 2 }]);
  assert.deepEqual(grants, [{ filter: `${topic}/+`, reasonCode: 2, qos: 2 }]);
  const pub = await client();
  for (const qos of [0, 1, 2] as const) {
    await within(pub.publish(`${topic}/q${qos}`, `payload ${qos}`, { qos }), WAIT_MS, `publish qos ${qos}`);
    const m = await take(messages);
    assert.equal(m.topic, `${topic}/q${qos}`);
    assert.equal(m.payload.toString(), `payload ${qos}`);
    assert.equal(m.qos, qos);
    assert.equal(m.retain, false);
    assert.equal(m.messageId === undefined, qos === 0);
  }
});

test('the granted QoS caps delivery (subscription at QoS 0)', async () => {
  const topic = uniqueTopic('cap');
  const sub = await client();
  const messages = sub.messages();
  assert.equal((await sub.subscribe(topic, { qos: 0 }))[0]?.qos, 0);
  await (await client()).publish(topic, 'x', { qos: 2 });
  assert.equal((await take(messages)).qos, 0);
});

test('retained messages reach later subscribers with the retain flag, and an empty retained message clears them', async () => {
  const topic = uniqueTopic('retained');
  const pub = await client();
  await pub.publish(topic, 'kept', { qos: 1, retain: true });
  const late = await client();
  const messages = late.messages();
  await late.subscribe(topic, { qos: 1 });
  const m = await take(messages);
  assert.equal(m.payload.toString(), 'kept');
  assert.equal(m.retain, true);
  // MQTT 5.0 §3.3.1.3: a zero-byte retained message removes the retained message.
  await pub.publish(topic, '', { qos: 1, retain: true });
  const later = await client();
  const laterMessages = later.messages();
  await later.subscribe([topic, `${topic}/marker`]);
  await pub.publish(`${topic}/marker`, 'm');
  assert.equal((await take(laterMessages)).topic, `${topic}/marker`, 'no retained message before the marker');
});

test('MQTT 5 publish properties arrive intact', async () => {
  const topic = uniqueTopic('props');
  const sub = await client({ protocolVersion: 5 });
  const messages = sub.messages();
  await sub.subscribe(topic, { qos: 1, subscriptionIdentifier: 42 });
  const pub = await client({ protocolVersion: 5 });
  await pub.publish(topic, '{"a":1}', {
    qos: 1,
    properties: {
      userProperties: { origin: 'test', multi: ['a', 'b'] },
      contentType: 'application/json',
      responseTopic: `${topic}/reply`,
      correlationData: Buffer.from([1, 2, 3]),
      messageExpiryInterval: 120,
      payloadFormatIndicator: true,
    },
  });
  const m = await take(messages);
  assert.deepEqual({ ...m.properties.userProperties }, { origin: 'test', multi: ['a', 'b'] });
  assert.equal(m.properties.contentType, 'application/json');
  assert.equal(m.properties.responseTopic, `${topic}/reply`);
  assert.deepEqual(m.properties.correlationData, Buffer.from([1, 2, 3]));
  assert.ok((m.properties.messageExpiryInterval ?? 0) > 0);
  assert.equal(m.properties.payloadFormatIndicator, true);
  assert.deepEqual([m.properties.subscriptionIdentifier].flat(), [42]);
});

test('MQTT 5 No Local keeps a client from receiving its own messages', async () => {
  const topic = uniqueTopic('nolocal');
  const c = await client({ protocolVersion: 5 });
  const messages = c.messages();
  await c.subscribe(topic, { noLocal: true });
  await c.subscribe(`${topic}/marker`);
  await c.publish(topic, 'own');
  const other = await client({ protocolVersion: 5 });
  await other.publish(`${topic}/marker`, 'm');
  assert.equal((await take(messages)).topic, `${topic}/marker`);
});

test('MQTT 3.1 (MQIsdp) connects and exchanges messages', async () => {
  const topic = uniqueTopic('v31');
  const c = await client({ protocolVersion: 3, clientId: 'quicmq-v31' });
  const messages = c.messages();
  await c.subscribe(topic, { qos: 1 });
  await c.publish(topic, 'old protocol', { qos: 1 });
  assert.equal((await take(messages)).payload.toString(), 'old protocol');
});

test('unsubscribe stops delivery; MQTT 5 returns the UNSUBACK reason codes', async () => {
  const topic = uniqueTopic('unsub');
  const c = await client({ protocolVersion: 5 });
  const messages = c.messages();
  await c.subscribe([topic, `${topic}/marker`]);
  assert.deepEqual(await c.unsubscribe(topic), [0x00]);
  // MQTT 5.0 §3.11.3: 0x11 "No subscription existed" is not a failure.
  assert.deepEqual(await c.unsubscribe(`${topic}/never`), [0x11]);
  await c.publish(topic, 'dropped');
  await c.publish(`${topic}/marker`, 'm');
  assert.equal((await take(messages)).topic, `${topic}/marker`);
  const v4 = await client();
  assert.deepEqual(await v4.unsubscribe([topic, `${topic}/x`]), [0, 0]);
});

test('a will is published when the client disconnects with reason 0x04 (MQTT 5.0 §3.14.2.1)', async () => {
  const topic = uniqueTopic('will');
  const watcher = await client();
  const messages = watcher.messages();
  await watcher.subscribe(topic, { qos: 1 });
  const dying = await client({
    protocolVersion: 5,
    will: { topic, payload: 'gone', qos: 1, retain: false, properties: { userProperties: { why: 'test' } } },
  });
  await dying.end({ reasonCode: 0x04 });
  const m = await take(messages, 'the will');
  assert.equal(m.payload.toString(), 'gone');
});

test('a normal end() does not publish the will', async () => {
  const topic = uniqueTopic('nowill');
  const watcher = await client();
  const messages = watcher.messages();
  await watcher.subscribe([topic, `${topic}/marker`]);
  const leaving = await client({ will: { topic, payload: 'should not appear' } });
  await leaving.end();
  await watcher.publish(`${topic}/marker`, 'm');
  assert.equal((await take(messages)).topic, `${topic}/marker`);
});

test('session takeover: the first client is told its connection is gone, pending work fails', async () => {
  // mosquitto 2.0.11 closes the old connection without an MQTT 5 DISCONNECT (client-failures.test.ts covers
  // a broker that sends one).
  const first = await client({ protocolVersion: 5, clientId: `quicmq-takeover-${process.pid}` });
  const closed = nextEvent<[MqttClientError | undefined]>(first, 'close', WAIT_MS);
  const pending = first.messages();
  await client({ protocolVersion: 5, clientId: `quicmq-takeover-${process.pid}` });
  const [error] = await closed;
  assert.equal(error?.code, 'ERR_CONNECTION_CLOSED');
  assert.match(error?.message ?? '', /^Connection to mqtt:\/\/127\.0\.0\.1:\d+ lost$/);
  assert.equal(first.connected, false);
  await assert.rejects(within(pending.next(), WAIT_MS, 'iterator'), /lost/);
  await assert.rejects(first.publish('t', 'x'), (e: unknown) => e instanceof MqttClientError && e.code === 'ERR_CONNECTION_CLOSED');
});

test('persistent session: cleanStart false + session expiry keeps subscriptions (sessionPresent)', async () => {
  const topic = uniqueTopic('session');
  const clientId = `quicmq-session-${process.pid}`;
  const first = await client({ protocolVersion: 5, clientId, cleanStart: true, sessionExpiryInterval: 60 });
  await first.subscribe(topic, { qos: 1 });
  await first.end();
  const publisher = await client();
  await publisher.publish(topic, 'while away', { qos: 1 });
  const second = await client({ protocolVersion: 5, clientId, cleanStart: false, sessionExpiryInterval: 60 });
  assert.equal(second.connack?.sessionPresent, true);
  const messages = second.messages();
  assert.equal((await take(messages, 'queued message')).payload.toString(), 'while away');
  await second.end({ sessionExpiryInterval: 0 });
});

test('an empty client id gets a broker-assigned one (MQTT 5.0 §3.2.2.3.7)', async () => {
  const c = await client({ protocolVersion: 5 });
  assert.ok(c.clientId.length > 0);
  assert.equal(c.clientId, c.connack?.properties.assignedClientIdentifier);
});

test('invalid topics and QoS are refused locally, before anything is sent', async () => {
  const c = await client();
  const invalid = (e: unknown): boolean => e instanceof MqttClientError && e.code === 'ERR_INVALID_OPTION';
  await assert.rejects(c.publish('a/+', 'x'), invalid);
  await assert.rejects(c.publish('', 'x'), invalid);
  await assert.rejects(c.publish('a', 'x', { qos: 3 as 2 }), invalid);
  await assert.rejects(c.publish('a', 'x', { properties: { contentType: 'x' } }), /need MQTT 5/);
  await assert.rejects(c.subscribe('a/#/b'), invalid);
  await assert.rejects(c.subscribe([]), invalid);
  await assert.rejects(c.subscribe('a', { noLocal: true }), /need MQTT 5/);
  await assert.rejects(c.subscribe('a', { subscriptionIdentifier: 1 }), /need MQTT 5/);
  await assert.rejects(c.unsubscribe([]), invalid);
  const v5 = await client({ protocolVersion: 5 });
  await assert.rejects(v5.subscribe('a', { subscriptionIdentifier: 0 }), /subscriptionIdentifier must be 1\.\.268435455/);
  assert.equal(c.connected, true, 'local errors leave the connection up');
});

test('end() resolves once closed, is idempotent, ends iterators and fails later operations', async () => {
  const c = await client();
  const messages = c.messages();
  const closed = nextEvent<[MqttClientError | undefined]>(c, 'close', WAIT_MS);
  await within(c.end(), WAIT_MS, 'end');
  await within(c.end(), WAIT_MS, 'second end');
  assert.deepEqual(await closed, [undefined]);
  assert.deepEqual(await within(messages.next(), WAIT_MS, 'iterator end'), { value: undefined, done: true });
  assert.deepEqual(await c.messages().next(), { value: undefined, done: true });
  await assert.rejects(c.subscribe('a'), /Not connected/);
});

test('the message event sees every message too', async () => {
  const topic = uniqueTopic('event');
  const c = await client();
  await c.subscribe(topic);
  const got = nextEvent<[ReceivedMessage]>(c, 'message', WAIT_MS);
  await c.publish(topic, 'evt');
  assert.equal((await got)[0].payload.toString(), 'evt');
});

test('a slow iterator applies backpressure instead of buffering without bound', async () => {
  const topic = uniqueTopic('backpressure');
  const sub = await client({ messageBufferSize: 2 });
  const messages = sub.messages();
  let seen = 0;
  sub.on('message', () => seen++);
  await sub.subscribe(topic, { qos: 1 });
  const pub = await client();
  const total = 6;
  for (let i = 0; i < total; i++) await pub.publish(topic, String(i), { qos: 1 });
  // The broker has everything; the subscriber must stop at its buffer size while nobody reads.
  await within(
    (async () => {
      for (let i = 0; i < 50 && seen < 2; i++) await new Promise((r) => setTimeout(r, 10));
    })(),
    WAIT_MS,
    'the first messages',
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(seen, 2, 'reading stopped at messageBufferSize');
  const payloads: string[] = [];
  for (let i = 0; i < total; i++) payloads.push((await take(messages)).payload.toString());
  assert.deepEqual(payloads, ['0', '1', '2', '3', '4', '5']);
});
