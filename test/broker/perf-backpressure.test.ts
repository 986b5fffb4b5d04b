// Backpressure from subscribers to publishers (channel/publisher-flow.ts, Session.enqueue/dequeue) and
// the bounded number of packets a channel handles per event-loop turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { Session } from '../../src/broker/session.js';
import { PublisherFlow } from '../../src/broker/channel/publisher-flow.js';
import { MAX_PACKETS_PER_TURN } from '../../src/broker/channel/channel.js';
import type { Delivery, MessageSource, SourceHolder } from '../../src/broker/message.js';
import { startBroker, RawClient, sleep, type TestBroker } from './helpers.js';

/** A source that records what its holders do. */
class RecordingSource implements MessageSource {
  readonly holders = new Set<SourceHolder>();
  holds = 0;
  releases = 0;
  hold(h: SourceHolder): void {
    this.holds++;
    this.holders.add(h);
  }
  release(h: SourceHolder): void {
    this.releases++;
    this.holders.delete(h);
  }
}

function delivery(source: MessageSource | undefined, i = 0): Delivery {
  return { message: { topic: 't', payload: Buffer.from([i]), qos: 1, retain: false, properties: {}, ...(source ? { source } : {}) }, qos: 1, retain: false, subscriptionIds: [] };
}

function onlineSession(maxQueueLength = 8): Session {
  const s = new Session('sub', { maxQueueLength, overflow: 'drop_oldest', storeQos0: false }, () => undefined);
  s.outlet = { offer: () => undefined, takeOver: () => undefined };
  return s;
}

test('a session holds the sources feeding it from the high-water mark and releases them at the low-water mark', () => {
  const s = onlineSession(8); // high water 4, low water 2
  const a = new RecordingSource();
  const b = new RecordingSource();
  for (let i = 0; i < 3; i++) s.enqueue(delivery(a, i), true);
  assert.equal(a.holds, 0);
  s.enqueue(delivery(a), true);
  assert.equal(a.holds, 1);
  s.enqueue(delivery(a), true);
  s.enqueue(delivery(b), true);
  assert.equal(a.holds, 1, 'held once');
  assert.equal(b.holds, 1);
  assert.equal(s.heldSourceCount, 2);
  // 6 queued: dequeue down to 3 keeps the hold, 2 releases both.
  for (let i = 0; i < 3; i++) s.dequeue();
  assert.equal(a.releases, 0);
  s.dequeue();
  assert.equal(a.releases, 1);
  assert.equal(b.releases, 1);
  assert.equal(s.heldSourceCount, 0);
  assert.equal(s.dropped, 0);
});

test('no holds for an offline session, for messages without a source, or for the session\'s own connection', () => {
  const own = new RecordingSource();
  const s = new Session('self', { maxQueueLength: 4, overflow: 'drop_oldest', storeQos0: true }, () => undefined);
  const other = new RecordingSource();
  for (let i = 0; i < 4; i++) s.enqueue(delivery(other), false); // offline
  assert.equal(other.holds, 0);
  s.queue.clear();
  s.outlet = { offer: () => undefined, takeOver: () => undefined, source: own };
  for (let i = 0; i < 4; i++) s.enqueue(delivery(own), true);
  for (let i = 0; i < 4; i++) s.enqueue(delivery(undefined), true);
  assert.equal(own.holds, 0, 'a client that publishes to itself is never held by its own queue');
});

test('a dropped source suspends holding until the queue drains; releaseSources() lets everyone go', () => {
  const s = onlineSession(8);
  const a = new RecordingSource();
  for (let i = 0; i < 4; i++) s.enqueue(delivery(a), true);
  assert.equal(a.holds, 1);
  s.dropSource(a, true); // the hold expired
  const b = new RecordingSource();
  for (let i = 0; i < 6; i++) s.enqueue(delivery(b), true);
  assert.equal(b.holds, 0, 'suspended: the overflow policy rules');
  assert.ok(s.dropped > 0);
  while (s.queue.length > 2) s.dequeue();
  s.enqueue(delivery(b), true);
  s.enqueue(delivery(b), true);
  assert.equal(b.holds, 1, 'drained: holding again');
  s.releaseSources();
  assert.equal(b.releases, 1);
});

test('PublisherFlow: held from the first holder to the last release; a hold expires after maxHoldMs', async () => {
  const changes: boolean[] = [];
  const flow = new PublisherFlow((held) => changes.push(held), 30);
  const dropped: Array<[SourceHolder, boolean]> = [];
  const h1: SourceHolder = { dropSource: (_s, suspend) => dropped.push([h1, suspend]) };
  const h2: SourceHolder = { dropSource: (_s, suspend) => dropped.push([h2, suspend]) };
  flow.hold(h1);
  flow.hold(h2);
  flow.hold(h1);
  assert.deepEqual(changes, [true]);
  assert.equal(flow.holderCount, 2);
  flow.release(h1);
  assert.equal(flow.held, true);
  flow.release(h2);
  assert.deepEqual(changes, [true, false]);
  flow.hold(h1);
  await sleep(80);
  assert.deepEqual(changes, [true, false, true, false]);
  assert.deepEqual(dropped, [[h1, true]]);
  assert.equal(flow.held, false);
  flow.hold(h2);
  flow.dispose();
  assert.deepEqual(dropped, [
    [h1, true],
    [h2, false],
  ]);
  flow.hold(h1); // a disposed flow is never held again
  assert.equal(flow.held, false);
});

/** Bytes of n QoS 1 PUBLISHes (3.1.1) with their sequence number as payload. */
function qos1Flood(topic: string, n: number, firstId = 1): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(i);
    parts.push(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId: ((firstId + i - 1) % 65535) + 1, retain: false, dup: false }, { protocolVersion: 4 }));
  }
  return Buffer.concat(parts);
}

async function droppedCount(b: TestBroker): Promise<number> {
  const m = await b.broker.metrics.getSingleMetric('quicmq_messages_dropped_total')!.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

/** Acknowledges every PUBLISH the raw client has received, now (what a slow but live subscriber does). */
function ackAll(c: RawClient, seen: number[]): void {
  const acks: Buffer[] = [];
  for (const p of c.packets) {
    if (p.cmd !== 'publish') continue;
    seen.push((p.payload as Buffer).readUInt32BE(0));
    acks.push(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }, { protocolVersion: 4 }));
  }
  c.packets.splice(0, c.packets.length, ...c.packets.filter((p) => p.cmd !== 'publish'));
  if (acks.length > 0) c.write(Buffer.concat(acks));
}

test('a QoS 1 flood towards a slow subscriber loses nothing: the publisher is slowed instead', async () => {
  const QUEUE = 50;
  const MESSAGES = 1500;
  const b = await startBroker({ mqtt: { max_mqueue_len: QUEUE, max_inflight: 8 } });
  try {
    const sub = await RawClient.connect(b.port(), 4);
    await sub.handshake('bp-sub', 4);
    sub.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bp/t', qos: 1 }] }, 4);
    await sub.waitFor('suback');
    const pub = await RawClient.connect(b.port(), 4);
    await pub.handshake('bp-pub', 4);
    pub.write(qos1Flood('bp/t', MESSAGES)); // 30 times the queue, in one write

    const seen: number[] = [];
    // The subscriber acknowledges what it has every few milliseconds; bounded loop.
    for (let round = 0; round < 2000 && seen.length < MESSAGES; round++) {
      await sleep(2);
      ackAll(sub, seen);
    }
    assert.equal(seen.length, MESSAGES, `delivered ${seen.length} of ${MESSAGES}`);
    // In order (MQTT 5.0 §4.6) and complete.
    assert.deepEqual(seen, Array.from({ length: MESSAGES }, (_, i) => i));
    assert.equal(await droppedCount(b), 0);
    // Every PUBLISH was acknowledged to the publisher.
    for (let round = 0; round < 200 && pub.packets.filter((p) => p.cmd === 'puback').length < MESSAGES; round++) await sleep(5);
    assert.equal(pub.packets.filter((p) => p.cmd === 'puback').length, MESSAGES);
    pub.destroy();
    sub.destroy();
  } finally {
    await b.stop();
  }
});

test('a subscriber that never acknowledges holds its publisher only for a while, then the queue limit applies', async () => {
  const QUEUE = 20;
  const MESSAGES = 300;
  const b = await startBroker({ mqtt: { max_mqueue_len: QUEUE, max_inflight: 4 } });
  try {
    const dead = await RawClient.connect(b.port(), 4);
    await dead.handshake('bp-dead', 4);
    dead.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bp/dead', qos: 1 }] }, 4);
    await dead.waitFor('suback');
    const pub = await RawClient.connect(b.port(), 4);
    await pub.handshake('bp-pub2', 4);
    pub.write(qos1Flood('bp/dead', MESSAGES));
    // Held at most DEFAULT_MAX_HOLD_MS (2 s), then every PUBLISH is acknowledged; bounded wait.
    for (let round = 0; round < 100 && pub.packets.filter((p) => p.cmd === 'puback').length < MESSAGES; round++) await sleep(100);
    assert.equal(pub.packets.filter((p) => p.cmd === 'puback').length, MESSAGES);
    // Memory stays bounded: the dead subscriber got its window, its queue kept at most QUEUE, the rest dropped.
    assert.equal(await droppedCount(b), MESSAGES - 4 - QUEUE);
    assert.equal(dead.packets.filter((p) => p.cmd === 'publish').length, 4);
    pub.destroy();
    dead.destroy();
  } finally {
    await b.stop();
  }
});

test('a held publisher is released when its subscriber disconnects', async () => {
  const b = await startBroker({ mqtt: { max_mqueue_len: 10, max_inflight: 2 } });
  try {
    const sub = await RawClient.connect(b.port(), 4);
    await sub.handshake('bp-gone', 4, { clean: false });
    sub.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bp/gone', qos: 1 }] }, 4);
    await sub.waitFor('suback');
    const pub = await RawClient.connect(b.port(), 4);
    await pub.handshake('bp-pub3', 4);
    pub.write(qos1Flood('bp/gone', 40));
    for (let round = 0; round < 50 && pub.packets.length < 7; round++) await sleep(10);
    const before = pub.packets.filter((p) => p.cmd === 'puback').length;
    assert.ok(before < 40, `held: ${before} PUBACKs`);
    sub.destroy();
    // Well within the 2 s hold limit: the release comes from the disconnect.
    for (let round = 0; round < 50 && pub.packets.filter((p) => p.cmd === 'puback').length < 40; round++) await sleep(10);
    assert.equal(pub.packets.filter((p) => p.cmd === 'puback').length, 40);
    pub.destroy();
  } finally {
    await b.stop();
  }
});

test(`more than ${MAX_PACKETS_PER_TURN} pipelined packets are all handled, across event-loop turns`, async () => {
  const b = await startBroker();
  try {
    const c = await RawClient.connect(b.port(), 4);
    await c.handshake('many-pings', 4);
    const N = MAX_PACKETS_PER_TURN * 3 + 7;
    c.write(Buffer.alloc(N * 2).fill(Buffer.from([0xc0, 0x00])));
    for (let round = 0; round < 200 && c.packets.filter((p) => p.cmd === 'pingresp').length < N; round++) await sleep(10);
    assert.equal(c.packets.filter((p) => p.cmd === 'pingresp').length, N);
    c.destroy();
  } finally {
    await b.stop();
  }
});
