// Review of the broker's flow control and limits under load: the client's Receive Maximum on a resumed
// session, the client's Maximum Packet Size for every packet, a slow subscriber under a flood, one
// SUBSCRIBE with thousands of filters, and many connections racing for one client id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Packet } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import { startBroker, connectClient, endClient, RawClient } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

function publishesIn(raw: RawClient): Array<Extract<Packet, { cmd: 'publish' }>> {
  return raw.packets.filter((p): p is Extract<Packet, { cmd: 'publish' }> => p.cmd === 'publish');
}

/** A PINGREQ/PINGRESP round trip: everything the broker wrote before answering has arrived. */
async function roundTrip(raw: RawClient, timeoutMs = 2000): Promise<void> {
  raw.write({ cmd: 'pingreq' });
  await raw.waitFor('pingresp', timeoutMs);
}

/** Waits until the raw client holds n PUBLISH packets (bounded by the round-trip timeouts). */
async function waitForPublishes(raw: RawClient, n: number): Promise<void> {
  for (let i = 0; i < 20 && publishesIn(raw).length < n; i++) await roundTrip(raw);
  assert.equal(publishesIn(raw).length, n);
}

test('resumed session: in-flight messages are re-sent within the new Receive Maximum [MQTT 5.0 §4.9]', async () => {
  const b = await startBroker();
  try {
    const first = await RawClient.connect(b.port(), 5);
    await first.handshake('rm-resume', 5, { clean: true, properties: { sessionExpiryInterval: 60, receiveMaximum: 10 } });
    first.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/t', qos: 1 }] });
    await first.waitFor('suback');
    const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    for (let i = 0; i < 5; i++) await pub.publishAsync('rm/t', `m${i}`, { qos: 1 });
    await endClient(pub);
    await waitForPublishes(first, 5); // never acknowledged
    first.destroy();

    const second = await RawClient.connect(b.port(), 5);
    const ack = await second.handshake('rm-resume', 5, { clean: false, properties: { sessionExpiryInterval: 60, receiveMaximum: 2 } });
    assert.equal(ack.cmd === 'connack' ? ack.sessionPresent : undefined, true);
    await roundTrip(second);
    const resent = publishesIn(second);
    assert.deepEqual(
      resent.map((p) => p.payload.toString()),
      ['m0', 'm1'],
      'no more unacknowledged PUBLISH than the Receive Maximum of this connection',
    );
    assert.ok(resent.every((p) => p.dup));
    // Each PUBACK frees one slot for the next message still in flight, in order.
    second.write({ cmd: 'puback', messageId: resent[0]!.messageId! });
    await waitForPublishes(second, 3);
    assert.equal(publishesIn(second)[2]!.payload.toString(), 'm2');
    assert.equal(publishesIn(second)[2]!.dup, true);
    for (const p of publishesIn(second)) if (p !== resent[0]) second.write({ cmd: 'puback', messageId: p.messageId! });
    await waitForPublishes(second, 5);
    assert.deepEqual(
      publishesIn(second).map((p) => p.payload.toString()),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    second.destroy();
  } finally {
    await b.stop();
  }
});

test("client Maximum Packet Size applies to every packet, not only PUBLISH [MQTT-3.1.2-24]", async () => {
  const b = await startBroker();
  try {
    const raw = await RawClient.connect(b.port(), 5);
    const ack = await raw.handshake('small-max', 5, { properties: { maximumPacketSize: 40 } });
    assert.equal(ack.cmd === 'connack' ? ack.reasonCode : undefined, ReasonCode.Success);
    // A SUBACK that fits is sent.
    raw.write({ cmd: 'subscribe', messageId: 8, subscriptions: [{ topic: 'fits', qos: 1 }] });
    const suback = await raw.waitFor('suback');
    assert.equal(suback.messageId, 8);
    // A SUBACK for 40 filters is 45 bytes: over the client's limit, so it must not be sent; only a
    // PUBLISH may be discarded as if sent, so the connection closes with 0x95 (test/broker/limits.test.ts).
    const subscriptions = Array.from({ length: 40 }, (_, i) => ({ topic: `s/${i}`, qos: 0 as const }));
    raw.write({ cmd: 'subscribe', messageId: 7, subscriptions });
    assert.equal((await raw.waitFor('disconnect')).reasonCode, ReasonCode.PacketTooLarge);
    assert.equal(raw.packets.filter((p) => p.cmd === 'suback').length, 0);
    assert.ok(raw.allBytes().length < 200);
    raw.destroy();
  } finally {
    await b.stop();
  }
});

// Expose the collector for this process so heap measurements are not noise from garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('a subscriber that stops reading under a flood costs bounded memory (queue overflow drops)', async () => {
  const QUEUE = 100;
  const b = await startBroker({ mqtt: { max_mqueue_len: QUEUE, mqueue_overflow: 'drop_oldest' } });
  try {
    const slow = await RawClient.connect(b.port(), 5);
    await slow.handshake('slow');
    slow.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/t', qos: 1 }] });
    await slow.waitFor('suback');
    slow.socket.pause(); // reads nothing more: the kernel buffers fill, then the broker's socket

    const pub = await RawClient.connect(b.port(), 5);
    await pub.handshake('flooder');
    const MESSAGES = 2000;
    const PAYLOAD = 8 * 1024;
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'flood/t', payload: Buffer.alloc(PAYLOAD, 1), qos: 0, retain: false, dup: false }, { protocolVersion: 5 });
    const before = liveBytes();
    const BATCH = 100;
    for (let i = 0; i < MESSAGES; i += BATCH) {
      pub.write(Buffer.concat(Array.from({ length: BATCH }, () => publish)));
      // The broker has handled the batch. A publisher may first be held by the full queue
      // (channel/publisher-flow.ts, at most its max hold time), then the queue's overflow policy rules.
      await roundTrip(pub, 10_000);
    }
    const growth = liveBytes() - before;
    const flooded = MESSAGES * PAYLOAD; // 16 MB
    // The queue holds QUEUE messages, the socket one high-water mark; allow generous slack for
    // allocator noise but far less than what was published.
    assert.ok(growth < flooded / 4, `live memory grew by ${growth} bytes for ${flooded} bytes published`);

    const dropped = await b.broker.metrics.getSingleMetric('quicmq_messages_dropped_total')!.get();
    const queueFull = dropped.values.find((v) => v.labels['reason'] === 'queue_full')?.value ?? 0;
    assert.ok(queueFull > MESSAGES / 2, `queue_full drops: ${queueFull}`);
    pub.destroy();
    slow.destroy();
  } finally {
    await b.stop();
  }
});

test('one SUBSCRIBE with 5000 filters: all granted, routed, and all removed by one UNSUBSCRIBE', async () => {
  const b = await startBroker();
  try {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('many-subs');
    const filters = Array.from({ length: 5000 }, (_, i) => `many/${i}`);
    raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })) });
    const suback = await raw.waitFor('suback', 5000);
    assert.equal(suback.granted.length, 5000);
    assert.ok(suback.granted.every((g) => g === 1));
    const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    await pub.publishAsync('many/4321', 'hit', { qos: 1 });
    await waitForPublishes(raw, 1);
    assert.equal(publishesIn(raw)[0]!.topic, 'many/4321');
    raw.write({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: filters });
    const unsuback = await raw.waitFor('unsuback', 5000);
    assert.equal(unsuback.granted?.length, 5000);
    assert.ok(unsuback.granted?.every((g) => g === 0));
    await pub.publishAsync('many/4321', 'miss', { qos: 1 });
    await roundTrip(raw);
    assert.equal(publishesIn(raw).length, 1);
    await endClient(pub);
    raw.destroy();
  } finally {
    await b.stop();
  }
});

test('eight connections racing for one client id: each is taken over in turn, exactly one survives', async () => {
  const b = await startBroker();
  try {
    const racers = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(b.port(), 5)));
    for (const r of racers) {
      r.write({ cmd: 'connect', clientId: 'racer', protocolVersion: 5, protocolId: 'MQTT', clean: false, keepalive: 0, properties: { sessionExpiryInterval: 30 } });
    }
    for (const r of racers) {
      const ack = await r.waitFor('connack');
      assert.equal(ack.reasonCode, ReasonCode.Success);
    }
    const closed = await Promise.all(racers.map((r) => r.waitClosed(1500)));
    assert.equal(closed.filter((c) => !c).length, 1, 'exactly one connection remains');
    const losers = racers.filter((r) => r.closed);
    for (const l of losers) {
      const d = l.packets.find((p) => p.cmd === 'disconnect');
      assert.equal(d?.cmd === 'disconnect' ? d.reasonCode : undefined, ReasonCode.SessionTakenOver);
    }
    // The survivor owns the one session: a message reaches it exactly once.
    const survivor = racers.find((r) => !r.closed)!;
    survivor.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'race/t', qos: 1 }] });
    await survivor.waitFor('suback');
    const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    await pub.publishAsync('race/t', 'once', { qos: 1 });
    await waitForPublishes(survivor, 1);
    await endClient(pub);
    survivor.destroy();
  } finally {
    await b.stop();
  }
});
