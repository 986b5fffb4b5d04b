// Encode-once PUBLISH: the shared bytes are exactly what encoding per subscriber would give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { sharedPublishBytes } from '../../src/broker/channel/publish-encoding.js';
import type { Message } from '../../src/broker/message.js';
import { startBroker, RawClient } from './helpers.js';

function message(over: Partial<Message> = {}): Message {
  return { topic: 'enc/t', payload: Buffer.from('payload'), qos: 2, retain: true, properties: {}, ...over };
}

test('shared bytes equal a per-subscriber encoding, for every version, QoS, RETAIN and packet id', () => {
  const forwarded = { contentType: 'text/plain', userProperties: { k: 'v' }, correlationData: Buffer.from([1, 2]) };
  for (const version of [3, 4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      for (const retain of [false, true]) {
        const m = message({ properties: version === 5 ? forwarded : {}, payload: Buffer.alloc(300, 9) });
        for (const id of qos > 0 ? [1, 256, 65535] : [undefined]) {
          const expected = mqttPacket.generate(
            { cmd: 'publish', topic: m.topic, payload: m.payload, qos, retain, dup: false, ...(id !== undefined ? { messageId: id } : {}), ...(version === 5 ? { properties: forwarded } : {}) },
            { protocolVersion: version },
          );
          assert.deepEqual(sharedPublishBytes(m, version, qos, retain, id), expected, `v${version} qos${qos} retain=${retain} id=${id}`);
        }
      }
    }
  }
});

test('one encoding serves every subscriber; QoS 1/2 copies do not alias each other', () => {
  const m = message();
  const a = sharedPublishBytes(m, 4, 0, false, undefined);
  const b = sharedPublishBytes(m, 4, 0, false, undefined);
  assert.equal(a, b, 'QoS 0: the same buffer');
  const first = m.encoded;
  const x = sharedPublishBytes(m, 4, 1, false, 10);
  const y = sharedPublishBytes(m, 3, 1, false, 11);
  assert.notEqual(m.encoded, first, 'a different QoS replaces the slot');
  const slot = m.encoded;
  assert.equal(x.readUInt16BE(x.length - m.payload.length - 2), 10);
  assert.equal(y.readUInt16BE(y.length - m.payload.length - 2), 11);
  assert.equal(m.encoded, slot, '3.1 and 3.1.1 share the encoding');
  sharedPublishBytes(m, 5, 1, false, 12);
  assert.notEqual(m.encoded, slot, '5.0 has its own encoding');
});

test('fan-out: every 3.1.1 and 5.0 subscriber gets a PUBLISH with its own packet id and the same content', async () => {
  const b = await startBroker();
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const version = i % 2 === 0 ? 4 : 5;
      const c = await RawClient.connect(b.port(), version);
      await c.handshake(`enc-sub-${i}`, version);
      c.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'enc/x', qos: 1 }] }, version);
      await c.waitFor('suback');
      // A QoS 1 message in flight first, so the ids of the subscribers differ.
      if (i === 3) {
        c.write({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'enc/own', qos: 1 }] }, version);
        await c.waitFor('suback');
      }
      clients.push(c);
    }
    const pub = await RawClient.connect(b.port(), 4);
    await pub.handshake('enc-pub', 4);
    for (const i of [2, 3]) {
      pub.write({ cmd: 'publish', topic: 'enc/own', payload: Buffer.from('warm-up'), qos: 1, messageId: i, retain: false, dup: false }, 4);
      await pub.waitFor('puback');
    }
    pub.write({ cmd: 'publish', topic: 'enc/x', payload: Buffer.from('shared'), qos: 1, messageId: 9, retain: false, dup: false }, 4);
    await pub.waitFor('puback');
    const ids = new Set<number>();
    for (const c of clients) {
      // The last subscriber got the warm-up messages first (unacknowledged, so its ids advanced).
      let p = await c.waitFor('publish');
      for (let k = 0; k < 3 && p.topic !== 'enc/x'; k++) p = await c.waitFor('publish');
      assert.equal(p.topic, 'enc/x');
      assert.equal(p.payload.toString(), 'shared');
      assert.equal(p.qos, 1);
      ids.add(p.messageId!);
    }
    assert.ok(ids.size >= 2, `packet ids per subscriber: ${[...ids].join(',')}`);
    pub.destroy();
  } finally {
    for (const c of clients) c.destroy();
    await b.stop();
  }
});
