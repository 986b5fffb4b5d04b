// Review findings: memory one peer could pin (topic aliases, subscriptions, retained bytes) and
// standards gaps (Message Expiry Interval 0, UTF-8 in property strings, MQTT 3.1 SUBACK and client id
// rules, packets larger than the client's Maximum Packet Size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import mqttPacket from 'mqtt-packet';
import { startBroker, RawClient, type BrokerOverrides, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';
import { RetainedStore } from '../../src/broker/retained-store.js';
import { propertyStringsAreWellFormed } from '../../src/mqtt/utf8.js';
import type { Message } from '../../src/broker/message.js';

async function withBroker(o: BrokerOverrides, body: (b: TestBroker) => Promise<void>, extra = {}): Promise<void> {
  const b = await startBroker(o, extra);
  try {
    await body(b);
  } finally {
    await b.stop();
  }
}

async function client(b: TestBroker, id: string, version: 3 | 4 | 5 = 5, extra: Partial<mqttPacket.IConnectPacket> = {}): Promise<RawClient> {
  const c = await RawClient.connect(b.port(), version);
  const connack = await c.handshake(id, version, extra);
  assert.equal(connack.cmd, 'connack');
  return c;
}

/** Round trip: a PINGRESP proves the connection is still open and every earlier packet was handled. */
async function ping(c: RawClient, version: 3 | 4 | 5 = 5): Promise<void> {
  c.write({ cmd: 'pingreq' }, version);
  await c.waitFor('pingresp');
}

const aliasPublish = (alias: number, topic: string): mqttPacket.IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from('x'),
  qos: 0,
  dup: false,
  retain: false,
  properties: { topicAlias: alias },
});

// ---- 1a: inbound topic aliases --------------------------------------------------------------------

test('the broker announces a Topic Alias Maximum of 64 by default', async () => {
  await withBroker({}, async (b) => {
    const c = await RawClient.connect(b.port());
    const connack = (await c.handshake('alias-default')) as mqttPacket.IConnackPacket;
    assert.equal(connack.properties?.topicAliasMaximum, 64);
    c.destroy();
  });
});

test('alias topics beyond max_topic_alias_bytes: DISCONNECT 0x97 Quota exceeded', async () => {
  await withBroker({ mqtt: { max_topic_alias: 10, max_topic_alias_bytes: 100 } }, async (b) => {
    const c = await client(b, 'alias-bytes');
    c.write(aliasPublish(1, 'a'.repeat(60)));
    // Re-setting the same alias replaces its topic: the bytes do not add up.
    for (let i = 0; i < 3; i++) c.write(aliasPublish(1, 'b'.repeat(60)));
    await ping(c);
    c.write(aliasPublish(2, 'c'.repeat(60)));
    const d = await c.waitFor('disconnect');
    assert.equal(d.reasonCode, ReasonCode.QuotaExceeded);
    assert.equal(await c.waitClosed(), true);
  });
});

// ---- 1b: subscriptions per session ----------------------------------------------------------------

const subscribe = (...topics: string[]): mqttPacket.ISubscribePacket => ({
  cmd: 'subscribe',
  messageId: 1,
  subscriptions: topics.map((topic) => ({ topic, qos: 0 as const })),
});

test('5.0: filters beyond max_subscriptions get SUBACK 0x97; replacing one does not count', async () => {
  await withBroker({ mqtt: { max_subscriptions: 2 } }, async (b) => {
    const c = await client(b, 'subs-v5');
    c.write(subscribe('a', 'b', 'c'));
    assert.deepEqual((await c.waitFor('suback')).granted, [0, 0, ReasonCode.QuotaExceeded]);
    c.write(subscribe('a', 'd'));
    assert.deepEqual((await c.waitFor('suback')).granted, [0, ReasonCode.QuotaExceeded]);
    c.write({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['b'] });
    await c.waitFor('unsuback');
    c.write(subscribe('d'));
    assert.deepEqual((await c.waitFor('suback')).granted, [0]);
    c.destroy();
  });
});

test('3.1.1: filters beyond max_subscriptions get SUBACK 0x80', async () => {
  await withBroker({ mqtt: { max_subscriptions: 1 } }, async (b) => {
    const c = await client(b, 'subs-v4', 4);
    c.write(subscribe('a', 'b'), 4);
    assert.deepEqual((await c.waitFor('suback')).granted, [0, 0x80]);
    c.destroy();
  });
});

// ---- 2c: MQTT 3.1 has no SUBACK failure code -------------------------------------------------------

test('3.1: a refused filter closes the connection instead of sending SUBACK 0x80', async () => {
  await withBroker({ mqtt: { max_subscriptions: 1 } }, async (b) => {
    const c = await client(b, 'subs-v3', 3);
    c.write(subscribe('a', 'b'), 3);
    assert.equal(await c.waitClosed(), true);
    assert.equal(c.packets.some((p) => p.cmd === 'suback'), false);
  });
  await withBroker({}, async (b) => {
    const c = await client(b, 'bad-filter-v3', 3);
    c.write(subscribe('a/#/b'), 3);
    assert.equal(await c.waitClosed(), true);
    assert.equal(c.packets.some((p) => p.cmd === 'suback'), false);
  });
});

// ---- 2d: MQTT 3.1 client identifiers ---------------------------------------------------------------

test('3.1: a client id of 24 characters is refused with CONNACK return code 2', async () => {
  await withBroker({}, async (b) => {
    const ok = await RawClient.connect(b.port(), 3);
    assert.equal(((await ok.handshake('x'.repeat(23), 3)) as mqttPacket.IConnackPacket).returnCode, 0);
    ok.destroy();
    const c = await RawClient.connect(b.port(), 3);
    assert.equal(((await c.handshake('y'.repeat(24), 3)) as mqttPacket.IConnackPacket).returnCode, 2);
    assert.equal(await c.waitClosed(), true);
    // 3.1.1 has no such limit (MQTT 3.1.1 §3.1.3.1: a server MAY allow more than 23).
    const v4 = await RawClient.connect(b.port(), 4);
    assert.equal(((await v4.handshake('z'.repeat(24), 4)) as mqttPacket.IConnackPacket).returnCode, 0);
    v4.destroy();
  });
});

test('3.1: strict_mqtt31_client_id=false accepts longer ids up to max_clientid_len', async () => {
  await withBroker({ mqtt: { strict_mqtt31_client_id: false, max_clientid_len: 30 } }, async (b) => {
    const c = await RawClient.connect(b.port(), 3);
    assert.equal(((await c.handshake('y'.repeat(30), 3)) as mqttPacket.IConnackPacket).returnCode, 0);
    c.destroy();
    const d = await RawClient.connect(b.port(), 3);
    assert.equal(((await d.handshake('y'.repeat(31), 3)) as mqttPacket.IConnackPacket).returnCode, 2);
    d.destroy();
  });
});

// ---- 1c: retained bytes ----------------------------------------------------------------------------

const retainedMessage = (topic: string, size: number, expiresAt?: number): Message => ({
  topic,
  payload: Buffer.alloc(size, 1),
  qos: 0,
  retain: true,
  properties: {},
  ...(expiresAt !== undefined ? { expiresAt } : {}),
});

test('RetainedStore: max_retained_bytes bounds the payload bytes; replacing and deleting free them', () => {
  const store = new RetainedStore(0, 10);
  assert.equal(store.set(retainedMessage('a', 8)), 'stored');
  assert.equal(store.set(retainedMessage('b', 3)), 'full');
  assert.equal(store.set(retainedMessage('a', 10)), 'replaced', 'a replacement counts only the difference');
  assert.equal(store.bytes, 10);
  assert.equal(store.set(retainedMessage('a', 11)), 'full', 'a replacement that does not fit is refused');
  assert.equal(store.get('a', 0), undefined, 'and the stale value it replaced is not served either');
  assert.equal(store.bytes, 0);
  assert.equal(store.set(retainedMessage('a', 4)), 'stored');
  assert.equal(store.set(retainedMessage('a', 0)), 'deleted');
  assert.equal(store.bytes, 0);
  assert.equal(store.set(retainedMessage('b', 3)), 'stored');
  assert.equal(store.set(retainedMessage('$SYS/x', 100)), 'stored', '$SYS topics are the broker’s own and not counted');
  assert.equal(store.bytes, 3);
});

test('RetainedStore: 0 = unlimited bytes; expired messages free their bytes', () => {
  const unlimited = new RetainedStore(0, 0);
  assert.equal(unlimited.set(retainedMessage('a', 1_000_000)), 'stored');
  const store = new RetainedStore(0, 10);
  assert.equal(store.set(retainedMessage('a', 10, 500)), 'stored');
  store.sweep(1000);
  assert.equal(store.bytes, 0);
  assert.equal(store.set(retainedMessage('b', 10)), 'stored');
  assert.equal(store.set(retainedMessage('b', 5, 2000), 2000), 'deleted', 'expired on arrival: replaces and is not kept');
  assert.equal(store.count, 0);
});

test('retained messages beyond max_retained_bytes are routed, not stored, and warned about once', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level: 'warn' }, sink);
  await withBroker(
    { mqtt: { max_retained_bytes: 10 } },
    async (b) => {
      const pub = await client(b, 'ret-pub');
      const sub = await client(b, 'ret-sub');
      sub.write(subscribe('r/#'));
      await sub.waitFor('suback');
      const retained = (topic: string, size: number): mqttPacket.IPublishPacket => ({
        cmd: 'publish', topic, payload: Buffer.alloc(size, 2), qos: 0, dup: false, retain: true,
      });
      pub.write(retained('r/a', 8));
      for (let i = 0; i < 5; i++) pub.write(retained(`r/full${i}`, 8));
      await ping(pub);
      for (let i = 0; i < 6; i++) await sub.waitFor('publish');
      const late = await client(b, 'ret-late');
      late.write(subscribe('r/#'));
      await late.waitFor('suback');
      await ping(late);
      const got = late.packets.filter((p): p is mqttPacket.IPublishPacket => p.cmd === 'publish').map((p) => p.topic);
      assert.deepEqual(got, ['r/a']);
      for (const c of [pub, sub, late]) c.destroy();
    },
    { logger },
  );
  const warnings = lines.filter((l) => l.includes('max_retained'));
  assert.equal(warnings.length, 1, 'one warning, not one per PUBLISH');
});

// ---- 2a: Message Expiry Interval 0 -----------------------------------------------------------------

test('Message Expiry Interval 0: delivered to online subscribers, never queued nor retained', async () => {
  await withBroker({}, async (b) => {
    const sub = await client(b, 'exp-sub');
    sub.write(subscribe('e/#'));
    await sub.waitFor('suback');
    const offline = await client(b, 'exp-offline', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    offline.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'e/#', qos: 1 }] });
    await offline.waitFor('suback');
    offline.write({ cmd: 'disconnect', reasonCode: 0 });
    await offline.waitClosed();
    const pub = await client(b, 'exp-pub');
    pub.write({ cmd: 'publish', topic: 'e/1', payload: Buffer.from('now'), qos: 1, messageId: 7, dup: false, retain: true, properties: { messageExpiryInterval: 0 } });
    await pub.waitFor('puback');
    const got = await sub.waitFor('publish');
    assert.equal(got.payload.toString(), 'now');
    assert.equal(got.properties?.messageExpiryInterval, 0, 'forwarded with the lifetime it had');
    const back = await RawClient.connect(b.port());
    const connack = (await back.handshake('exp-offline', 5, { clean: false, properties: { sessionExpiryInterval: 60 } })) as mqttPacket.IConnackPacket;
    assert.equal(connack.sessionPresent, true);
    const late = await client(b, 'exp-late');
    late.write(subscribe('e/#'));
    await late.waitFor('suback');
    await ping(back);
    await ping(late);
    assert.equal(back.packets.some((p) => p.cmd === 'publish'), false, 'not kept for an offline session');
    assert.equal(late.packets.some((p) => p.cmd === 'publish'), false, 'not kept as retained');
    for (const c of [sub, pub, back, late]) c.destroy();
  });
});

test('a retained message with Message Expiry Interval 0 replaces the stored one and is gone at once', async () => {
  await withBroker({}, async (b) => {
    const pub = await client(b, 'exp-ret');
    pub.write({ cmd: 'publish', topic: 'k', payload: Buffer.from('old'), qos: 0, dup: false, retain: true });
    pub.write({ cmd: 'publish', topic: 'k', payload: Buffer.from('new'), qos: 0, dup: false, retain: true, properties: { messageExpiryInterval: 0 } });
    await ping(pub);
    const late = await client(b, 'exp-ret-late');
    late.write(subscribe('k'));
    await late.waitFor('suback');
    await ping(late);
    assert.equal(late.packets.some((p) => p.cmd === 'publish'), false);
    pub.destroy();
    late.destroy();
  });
});

// ---- 2b: UTF-8 inside properties -------------------------------------------------------------------

/** Encodes a packet whose marker string is then overwritten with ill-formed UTF-8 of the same length. */
function withBadUtf8(packet: mqttPacket.Packet, marker: string): Buffer {
  const bytes = mqttPacket.generate(packet, { protocolVersion: 5 });
  const at = bytes.indexOf(marker);
  assert.ok(at > 0, 'marker present');
  bytes[at] = 0xc3; // a lead byte followed by
  bytes[at + 1] = 0x28; // a byte that is not a continuation byte
  return bytes;
}

test('ill-formed UTF-8 in PUBLISH property strings: DISCONNECT 0x81 Malformed Packet', async () => {
  const cases: Array<NonNullable<mqttPacket.IPublishPacket['properties']>> = [
    { contentType: 'QQ' },
    { responseTopic: 'QQ' },
    { userProperties: { QQ: 'v' } },
    { userProperties: { k: 'QQ' } },
  ];
  await withBroker({}, async (b) => {
    for (const [i, properties] of cases.entries()) {
      const c = await client(b, `utf8-prop-${i}`);
      c.write(withBadUtf8({ cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 0, dup: false, retain: false, properties }, 'QQ'));
      const d = await c.waitFor('disconnect');
      assert.equal(d.reasonCode, ReasonCode.MalformedPacket, JSON.stringify(properties));
    }
  });
});

test('ill-formed UTF-8 in CONNECT, DISCONNECT and PUBACK property strings is a Malformed Packet', async () => {
  await withBroker({}, async (b) => {
    const c = await RawClient.connect(b.port());
    c.write(withBadUtf8({ cmd: 'connect', clientId: 'u1', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0, properties: { userProperties: { QQ: 'v' } } }, 'QQ'));
    const connack = (await c.waitFor('connack')) as mqttPacket.IConnackPacket;
    assert.equal(connack.reasonCode, ReasonCode.MalformedPacket);
    const w = await RawClient.connect(b.port());
    w.write(withBadUtf8({ cmd: 'connect', clientId: 'u2', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0, will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false, properties: { contentType: 'QQ' } } }, 'QQ'));
    assert.equal(((await w.waitFor('connack')) as mqttPacket.IConnackPacket).reasonCode, ReasonCode.MalformedPacket);
    const d = await client(b, 'u3');
    d.write(withBadUtf8({ cmd: 'disconnect', reasonCode: 0, properties: { reasonString: 'QQ' } }, 'QQ'));
    assert.equal((await d.waitFor('disconnect')).reasonCode, ReasonCode.MalformedPacket);
    const a = await client(b, 'u4');
    a.write(withBadUtf8({ cmd: 'puback', messageId: 1, reasonCode: 0x10, properties: { reasonString: 'QQ' } }, 'QQ'));
    assert.equal((await a.waitFor('disconnect')).reasonCode, ReasonCode.MalformedPacket);
  });
});

test('propertyStringsAreWellFormed accepts well-formed properties and cut-short frames', () => {
  const good = mqttPacket.generate(
    { cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 1, messageId: 1, dup: false, retain: false, properties: { contentType: 'é', userProperties: { ü: '€' }, correlationData: Buffer.from([0xff, 0xfe]) } },
    { protocolVersion: 5 },
  );
  assert.equal(propertyStringsAreWellFormed(good), true, 'binary data (correlation data) is not UTF-8 checked');
  assert.equal(propertyStringsAreWellFormed(good.subarray(0, good.length - 6)), true, 'the decoder reports truncation');
  const sub = mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }], properties: { userProperties: { QQ: 'v' } } }, { protocolVersion: 5 });
  assert.equal(propertyStringsAreWellFormed(sub), true);
  const at = sub.indexOf('QQ');
  sub[at] = 0xff;
  assert.equal(propertyStringsAreWellFormed(sub), false);
});

// ---- 3: packets the client's Maximum Packet Size does not allow -------------------------------------

test('a SUBACK larger than the client’s Maximum Packet Size: DISCONNECT 0x95 instead of silence', async () => {
  await withBroker({}, async (b) => {
    const c = await client(b, 'mps', 5, { properties: { maximumPacketSize: 30 } });
    c.write(subscribe(...Array.from({ length: 40 }, (_, i) => `f/${i}`)));
    const d = await c.waitFor('disconnect');
    assert.equal(d.reasonCode, ReasonCode.PacketTooLarge);
    assert.equal(d.properties?.reasonString, undefined, 'sent in its minimal form, which fits');
    assert.equal(await c.waitClosed(), true);
    assert.equal(c.packets.some((p) => p.cmd === 'suback'), false);
  });
});

test('a SUBACK that fits once its Reason String is dropped is still sent', async () => {
  await withBroker({}, async (b) => {
    const c = await client(b, 'mps-fits', 5, { properties: { maximumPacketSize: 30 } });
    c.write(subscribe(...Array.from({ length: 20 }, (_, i) => `g/${i}`)));
    assert.equal((await c.waitFor('suback')).granted.length, 20);
    c.destroy();
  });
});

test('a CONNACK larger than the client’s Maximum Packet Size: the connection is closed, nothing sent', async () => {
  await withBroker({}, async (b) => {
    const c = await RawClient.connect(b.port());
    c.write({ cmd: 'connect', clientId: 'mps-connack', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0, properties: { maximumPacketSize: 8 } });
    assert.equal(await c.waitClosed(), true);
    assert.deepEqual(c.packets, []);
    // The refused connection left nothing behind that stops the next client.
    const ok = await client(b, 'after-mps');
    ok.destroy();
  });
});
