// Persistent sessions: offline queue and its limits, exactly-once QoS 2 in both directions across
// reconnects, Receive Maximum towards the client, session expiry, slow subscribers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, connectClient, connectRecording, endClient, collectMessages, RawClient, sleep, type TestBroker } from './helpers.js';

let b: TestBroker;
before(async () => {
  b = await startBroker({ mqtt: { max_mqueue_len: 3, mqueue_overflow: 'drop_oldest' } });
});
after(() => b.stop());

const persistent = (clientId: string) => ({ protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 60 } });

async function droppedMetric(broker: TestBroker, reason: string): Promise<number> {
  const text = await broker.broker.metrics.getSingleMetricAsString('quicmq_messages_dropped_total');
  const m = new RegExp(`quicmq_messages_dropped_total\\{reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

test('offline queue keeps the newest max_mqueue_len messages (drop_oldest) and counts drops', async () => {
  const sub = await connectClient(b.tcpUrl(), persistent('offline-1'));
  await sub.subscribeAsync('off/t', { qos: 1 });
  await endClient(sub);
  const before = await droppedMetric(b, 'queue_full');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  for (let i = 1; i <= 5; i++) await pub.publishAsync('off/t', String(i), { qos: 1 });
  await endClient(pub);
  const { client, messages } = await connectRecording(b.tcpUrl(), persistent('offline-1'));
  await sleep(200);
  assert.deepEqual(messages.map((m) => m.payload.toString()), ['3', '4', '5']);
  assert.equal((await droppedMetric(b, 'queue_full')) - before, 2);
  await endClient(client);
});

test('drop_new keeps the oldest; QoS 0 is not queued when mqueue_store_qos0 is false', async () => {
  const b2 = await startBroker({ mqtt: { max_mqueue_len: 2, mqueue_overflow: 'drop_new', mqueue_store_qos0: false } });
  try {
    const sub = await connectClient(b2.tcpUrl(), persistent('offline-2'));
    await sub.subscribeAsync('off/t', { qos: 1 });
    await endClient(sub);
    const pub = await connectClient(b2.tcpUrl(), { protocolVersion: 5 });
    await pub.publishAsync('off/t', 'q0', { qos: 0 });
    for (let i = 1; i <= 3; i++) await pub.publishAsync('off/t', String(i), { qos: 1 });
    await endClient(pub);
    const { client, messages } = await connectRecording(b2.tcpUrl(), persistent('offline-2'));
    await sleep(200);
    assert.deepEqual(messages.map((m) => m.payload.toString()), ['1', '2']);
    assert.equal(await droppedMetric(b2, 'qos0_offline'), 1);
    assert.equal(await droppedMetric(b2, 'queue_full'), 1);
    await endClient(client);
  } finally {
    await b2.stop();
  }
});

test('3.1.1 persistent session (clean session 0) queues while offline', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 4, clientId: 'v4-persist', clean: false });
  await sub.subscribeAsync('v4p/t', { qos: 2 });
  await endClient(sub);
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 4 });
  await pub.publishAsync('v4p/t', 'while-away', { qos: 2 });
  await endClient(pub);
  const { client, messages } = await connectRecording(b.tcpUrl(), { protocolVersion: 4, clientId: 'v4-persist', clean: false });
  await sleep(200);
  assert.deepEqual(messages.map((m) => m.payload.toString()), ['while-away']);
  await endClient(client);
});

test('outgoing QoS 2 across reconnects: PUBLISH re-sent with DUP, then PUBREL re-sent, delivered once', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('q2-out', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q2/out', qos: 2 }] });
  await raw.waitFor('suback');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('q2/out', 'exactly-once', { qos: 2 });
  const first = await raw.waitFor('publish');
  assert.equal(first.dup, false);
  raw.destroy(); // no PUBREC

  const raw2 = await RawClient.connect(b.port(), 5);
  const ack = await raw2.handshake('q2-out', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.ok(ack.cmd === 'connack' && ack.sessionPresent);
  const again = await raw2.waitFor('publish');
  assert.equal(again.dup, true);
  assert.equal(again.messageId, first.messageId);
  assert.equal(again.payload.toString(), 'exactly-once');
  raw2.write({ cmd: 'pubrec', messageId: again.messageId! });
  await raw2.waitFor('pubrel');
  raw2.destroy(); // no PUBCOMP

  const raw3 = await RawClient.connect(b.port(), 5);
  await raw3.handshake('q2-out', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  const rel = await raw3.waitFor('pubrel');
  assert.equal(rel.messageId, first.messageId);
  raw3.write({ cmd: 'pubcomp', messageId: rel.messageId! });
  await sleep(100);
  assert.equal(raw3.packets.filter((p) => p.cmd === 'publish').length, 0);
  raw3.destroy();

  const raw4 = await RawClient.connect(b.port(), 5);
  await raw4.handshake('q2-out', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  await sleep(150);
  assert.deepEqual(raw4.packets.map((p) => p.cmd), []); // nothing left in flight
  raw4.destroy();
  await endClient(pub);
});

test('incoming QoS 2 across a reconnect: the re-sent PUBLISH is not routed twice', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('q2/in', { qos: 2 });
  const received = collectMessages(sub, 600);
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('q2-in', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  const pkt = { cmd: 'publish' as const, topic: 'q2/in', payload: Buffer.from('x'), qos: 2 as const, retain: false, dup: false, messageId: 5 };
  raw.write(pkt);
  await raw.waitFor('pubrec');
  raw.destroy();
  const raw2 = await RawClient.connect(b.port(), 5);
  await raw2.handshake('q2-in', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  raw2.write({ ...pkt, dup: true });
  await raw2.waitFor('pubrec');
  raw2.write({ cmd: 'pubrel', messageId: 5 });
  assert.equal((await raw2.waitFor('pubcomp')).reasonCode ?? 0, 0);
  assert.equal((await received).length, 1);
  raw2.destroy();
  await endClient(sub);
});

test("client Receive Maximum: at most that many unacknowledged QoS 1 messages", async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('rm1', 5, { properties: { receiveMaximum: 1 } });
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/t', qos: 1 }] });
  await raw.waitFor('suback');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  for (const p of ['a', 'b', 'c']) await pub.publishAsync('rm/t', p, { qos: 1 });
  await sleep(150);
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    const publishes = raw.packets.filter((p) => p.cmd === 'publish');
    assert.equal(publishes.length, 1, 'one in flight');
    const p = await raw.waitFor('publish');
    got.push(p.payload.toString());
    raw.write({ cmd: 'puback', messageId: p.messageId! });
    await sleep(80);
  }
  assert.deepEqual(got, ['a', 'b', 'c']);
  raw.destroy();
  await endClient(pub);
});

test('session expiry: the session is gone after its interval', async () => {
  const c = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'short', clean: false, properties: { sessionExpiryInterval: 1 } });
  await c.subscribeAsync('short/t');
  await endClient(c);
  const raw = await RawClient.connect(b.port(), 5);
  const a1 = await raw.handshake('short', 5, { clean: false, properties: { sessionExpiryInterval: 1 } });
  assert.ok(a1.cmd === 'connack' && a1.sessionPresent === true);
  raw.destroy();
  await sleep(1200);
  const raw2 = await RawClient.connect(b.port(), 5);
  const a2 = await raw2.handshake('short', 5, { clean: false });
  assert.ok(a2.cmd === 'connack' && a2.sessionPresent === false);
  raw2.destroy();
});

test('DISCONNECT may shorten the session expiry to 0 (session ends)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('disc-exp', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
  raw.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  await raw.waitClosed();
  const raw2 = await RawClient.connect(b.port(), 5);
  const a = await raw2.handshake('disc-exp', 5, { clean: false });
  assert.ok(a.cmd === 'connack' && a.sessionPresent === false);
  raw2.destroy();
});

test('a subscriber that does not read does not block others; its queue is bounded', async () => {
  const b2 = await startBroker({ mqtt: { max_mqueue_len: 5 } });
  try {
    const slow = await RawClient.connect(b2.port(), 4);
    await slow.handshake('slow', 4);
    slow.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood', qos: 0 }] }, 4);
    await slow.waitFor('suback');
    slow.socket.pause(); // stop reading: the broker's socket buffer fills up
    const fast = await connectClient(b2.tcpUrl(), { protocolVersion: 5 });
    await fast.subscribeAsync('flood');
    const pub = await connectClient(b2.tcpUrl(), { protocolVersion: 5 });
    const payload = Buffer.alloc(64 * 1024, 1);
    let fastCount = 0;
    fast.on('message', () => fastCount++);
    // Paced by PUBACK, so the reading subscriber never has more than a message or two in its socket,
    // while the one that does not read fills its socket buffer and then its bounded queue.
    for (let i = 0; i < 200; i++) await pub.publishAsync('flood', payload, { qos: 1 });
    await pub.publishAsync('flood', 'end', { qos: 1 });
    for (let i = 0; i < 100 && fastCount < 201; i++) await sleep(50);
    assert.equal(fastCount, 201, 'the reading subscriber got everything');
    assert.ok((await droppedMetric(b2, 'queue_full')) > 0, 'the slow one lost messages instead of buffering them');
    slow.destroy();
    await endClient(fast);
    await endClient(pub);
  } finally {
    await b2.stop();
  }
});
