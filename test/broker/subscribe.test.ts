// SUBSCRIBE/UNSUBSCRIBE: wildcards, 5.0 subscription options, subscription identifiers, shared
// subscriptions and the SUBACK/UNSUBACK reason code of every filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, connectClient, connectRecording, endClient, nextMessage, collectMessages, RawClient, sleep, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';
import type { Authorizer } from '../../src/broker/auth/types.js';

let b: TestBroker;
before(async () => {
  b = await startBroker();
});
after(() => b.stop());

test('wildcards + and # deliver; $ topics are not matched by # at the root', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync(['w/+/x', 'deep/#', '#']);
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const got = collectMessages(sub, 400);
  await pub.publishAsync('w/a/x', '1');
  await pub.publishAsync('deep', '2');
  await pub.publishAsync('$dollar/x', '3');
  const topics = (await got).map((m) => m.topic);
  // one copy per message even though "#" overlaps (MQTT 5.0 §3.3.4)
  assert.deepEqual(topics, ['w/a/x', 'deep']);
  await endClient(sub);
  await endClient(pub);
});

test('SUBACK reason codes per filter (5.0) and 0x80 (3.1.1)', async () => {
  const authorizer: Authorizer = { authorize: (_c, action, topic) => !(action === 'subscribe' && topic === 'forbidden') };
  const b2 = await startBroker({ mqtt: { wildcard_subscription: false, shared_subscription: false } }, { authorizer });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    await raw.handshake('codes');
    raw.write({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: 'ok', qos: 1 },
        { topic: 'a/#/b', qos: 0 },
        { topic: '$share/g/t', qos: 0 },
        { topic: 'w/+', qos: 0 },
        { topic: 'forbidden', qos: 0 },
        { topic: '$share/g', qos: 0 },
      ],
    });
    const ack = await raw.waitFor('suback');
    assert.deepEqual(ack.granted, [
      1,
      ReasonCode.TopicFilterInvalid,
      ReasonCode.SharedSubscriptionsNotSupported,
      ReasonCode.WildcardSubscriptionsNotSupported,
      ReasonCode.NotAuthorized,
      ReasonCode.TopicFilterInvalid,
    ]);
    raw.destroy();
    const r4 = await RawClient.connect(b2.port(), 4);
    await r4.handshake('codes4', 4);
    r4.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ok', qos: 2 }, { topic: 'a/#/b', qos: 0 }, { topic: 'forbidden', qos: 0 }] }, 4);
    const a4 = await r4.waitFor('suback');
    assert.deepEqual(a4.granted, [2, 0x80, 0x80]);
    r4.destroy();
  } finally {
    await b2.stop();
  }
});

test('UNSUBACK: 0x00 removed, 0x11 no subscription existed; messages stop', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('unsub');
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'u/t', qos: 0 }] });
  await raw.waitFor('suback');
  raw.write({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['u/t', 'never'] });
  const ack = await raw.waitFor('unsuback');
  assert.deepEqual(ack.granted, [0, ReasonCode.NoSubscriptionExisted]);
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 4 });
  await pub.publishAsync('u/t', 'x');
  await sleep(150);
  assert.equal(raw.packets.filter((p) => p.cmd === 'publish').length, 0);
  raw.destroy();
  await endClient(pub);
});

test('No Local: own messages are not echoed', async () => {
  const c = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'nl' });
  await c.subscribeAsync('nl/t', { qos: 0, nl: true });
  const other = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const got = collectMessages(c, 300);
  await c.publishAsync('nl/t', 'mine');
  await other.publishAsync('nl/t', 'theirs');
  assert.deepEqual((await got).map((m) => m.payload.toString()), ['theirs']);
  await endClient(c);
  await endClient(other);
});

test('Retain As Published keeps RETAIN on live messages; otherwise it is cleared', async () => {
  const rap = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await rap.subscribeAsync('rap/t', { qos: 0, rap: true, rh: 2 });
  const plain = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await plain.subscribeAsync('rap/t', { qos: 0, rh: 2 });
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const g1 = nextMessage(rap);
  const g2 = nextMessage(plain);
  await pub.publishAsync('rap/t', 'r', { retain: true });
  assert.equal((await g1).packet.retain, true);
  assert.equal((await g2).packet.retain, false);
  await pub.publishAsync('rap/t', '', { retain: true });
  await endClient(rap);
  await endClient(plain);
  await endClient(pub);
});

test('Retain Handling 0 / 1 / 2', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('rh/t', 'kept', { retain: true, qos: 1 });
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('rh');
  const retainedCount = async (rh: number, id: number): Promise<number> => {
    raw.write({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: 'rh/t', qos: 0, rh }] });
    await raw.waitFor('suback');
    await sleep(100);
    const n = raw.packets.filter((p) => p.cmd === 'publish').length;
    raw.packets.length = 0;
    return n;
  };
  assert.equal(await retainedCount(1, 1), 1); // new subscription
  assert.equal(await retainedCount(1, 2), 0); // already existed
  assert.equal(await retainedCount(0, 3), 1); // always
  assert.equal(await retainedCount(2, 4), 0); // never
  raw.destroy();
  await pub.publishAsync('rh/t', '', { retain: true });
  await endClient(pub);
});

test('subscription identifiers are forwarded, all of them for overlapping subscriptions', async () => {
  const c = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await c.subscribeAsync('sid/+', { qos: 0, properties: { subscriptionIdentifier: 7 } });
  await c.subscribeAsync('sid/#', { qos: 0, properties: { subscriptionIdentifier: 9 } });
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const got = nextMessage(c);
  await pub.publishAsync('sid/x', 'v');
  const ids = (await got).packet.properties?.subscriptionIdentifier;
  assert.deepEqual([ids].flat().sort(), [7, 9]);
  await endClient(c);
  await endClient(pub);
});

test('subscription identifier 0 is a Protocol Error (DISCONNECT 0x82)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('sid0');
  // SUBSCRIBE id 1, properties: 0x0b varint 0, filter "t" options 0
  raw.write(Buffer.from([0x82, 0x09, 0x00, 0x01, 0x02, 0x0b, 0x00, 0x00, 0x01, 0x74, 0x00]));
  const d = await raw.waitFor('disconnect');
  assert.equal(d.reasonCode, ReasonCode.ProtocolError);
});

test('shared subscription: each message goes to one member, round robin; no retained messages', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('jobs/retained', 'old', { retain: true });
  const a = await connectRecording(b.tcpUrl(), { protocolVersion: 5, clientId: 'worker-a' });
  const c = await connectRecording(b.tcpUrl(), { protocolVersion: 5, clientId: 'worker-b' });
  await a.client.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
  await c.client.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
  const v4 = await connectRecording(b.tcpUrl(), { protocolVersion: 4, clientId: 'worker-v4' });
  await v4.client.subscribeAsync('$share/other/jobs/#', { qos: 0 });
  for (let i = 0; i < 6; i++) await pub.publishAsync('jobs/run', String(i), { qos: 1 });
  await sleep(200);
  assert.equal(a.messages.length, 3);
  assert.equal(c.messages.length, 3);
  assert.equal(v4.messages.length, 6); // another group gets its own copy
  assert.ok(![...a.messages, ...c.messages].some((m) => m.topic === 'jobs/retained'));
  await a.client.unsubscribeAsync('$share/workers/jobs/#');
  for (let i = 0; i < 2; i++) await pub.publishAsync('jobs/run', 'after', { qos: 1 });
  await sleep(150);
  assert.equal(a.messages.length, 3);
  assert.equal(c.messages.length, 5);
  await pub.publishAsync('jobs/retained', '', { retain: true });
  for (const x of [a.client, c.client, v4.client, pub]) await endClient(x);
});
