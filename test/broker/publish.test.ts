// PUBLISH in every QoS and version, 5.0 properties, message expiry, topic aliases both ways, maximum
// packet size towards the client, max_qos_allowed and ACL on publish.
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

const v3 = { protocolVersion: 3 as const, protocolId: 'MQIsdp' as const };

test('QoS 0/1/2 between every pair of protocol versions', async () => {
  const versions = [{ protocolVersion: 4 as const }, { protocolVersion: 5 as const }, v3];
  for (const subOpts of versions) {
    const sub = await connectClient(b.tcpUrl(), subOpts);
    await sub.subscribeAsync('q/#', { qos: 2 });
    for (const pubOpts of versions) {
      const pub = await connectClient(b.tcpUrl(), pubOpts);
      for (const qos of [0, 1, 2] as const) {
        const got = nextMessage(sub);
        await pub.publishAsync(`q/${qos}`, `m${qos}`, { qos });
        const m = await got;
        assert.equal(m.topic, `q/${qos}`);
        assert.equal(m.payload.toString(), `m${qos}`);
        assert.equal(m.packet.qos, qos);
      }
      await endClient(pub);
    }
    await endClient(sub);
  }
});

test('delivered QoS is min(published, granted)', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('min/t', { qos: 1 });
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const got = nextMessage(sub);
  await pub.publishAsync('min/t', 'x', { qos: 2 });
  assert.equal((await got).packet.qos, 1);
  await endClient(sub);
  await endClient(pub);
});

test('5.0 properties are forwarded unchanged', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('props/t', { qos: 1 });
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const got = nextMessage(sub);
  await pub.publishAsync('props/t', '{"a":1}', {
    qos: 1,
    properties: {
      payloadFormatIndicator: true,
      contentType: 'application/json',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: { k: 'v', multi: ['a', 'b'] },
    },
  });
  const p = (await got).packet.properties!;
  assert.equal(p.payloadFormatIndicator, true);
  assert.equal(p.contentType, 'application/json');
  assert.equal(p.responseTopic, 'reply/here');
  assert.deepEqual(p.correlationData, Buffer.from([1, 2, 3]));
  assert.deepEqual({ ...p.userProperties }, { k: 'v', multi: ['a', 'b'] });
  assert.equal(p.messageExpiryInterval, undefined);
  await endClient(sub);
  await endClient(pub);
});

test('PUBACK 0x10 when nobody is subscribed, 0x00 otherwise', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('nosubs');
  raw.write({ cmd: 'publish', topic: 'nobody/here', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId: 1 });
  const ack = await raw.waitFor('puback');
  assert.equal(ack.reasonCode, ReasonCode.NoMatchingSubscribers);
  raw.write({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'self', qos: 0 }] });
  await raw.waitFor('suback');
  raw.write({ cmd: 'publish', topic: 'self', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId: 3 });
  const ack2 = await raw.waitFor('puback');
  assert.equal(ack2.reasonCode ?? 0, 0);
  raw.destroy();
});

test('QoS 2 duplicate PUBLISH before PUBREL is delivered once', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('once/t', { qos: 2 });
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('dup-pub');
  const received = collectMessages(sub, 400);
  const pkt = { cmd: 'publish' as const, topic: 'once/t', payload: Buffer.from('x'), qos: 2 as const, retain: false, dup: false, messageId: 9 };
  raw.write(pkt);
  await raw.waitFor('pubrec');
  raw.write({ ...pkt, dup: true });
  await raw.waitFor('pubrec');
  raw.write({ cmd: 'pubrel', messageId: 9 });
  const comp = await raw.waitFor('pubcomp');
  assert.equal(comp.reasonCode ?? 0, 0);
  assert.equal((await received).length, 1);
  raw.destroy();
  await endClient(sub);
});

test('message expiry: decremented when forwarded, expired queued messages are not delivered', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'exp-sub', clean: false, properties: { sessionExpiryInterval: 60 } });
  await sub.subscribeAsync('exp/#', { qos: 1 });
  await endClient(sub);
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('exp/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 1 } });
  await pub.publishAsync('exp/long', 'kept', { qos: 1, properties: { messageExpiryInterval: 100 } });
  await endClient(pub);
  await sleep(1100);
  const { client: sub2, messages: got } = await connectRecording(b.tcpUrl(), { protocolVersion: 5, clientId: 'exp-sub', clean: false, properties: { sessionExpiryInterval: 60 } });
  await sleep(300);
  assert.deepEqual(got.map((m) => m.topic), ['exp/long']);
  const left = got[0]!.packet.properties?.messageExpiryInterval ?? 0;
  assert.ok(left >= 98 && left <= 99, `expiry forwarded as ${left}`);
  await endClient(sub2);
});

test('topic alias from the client is resolved', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('alias/in');
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('alias-pub');
  raw.write({ cmd: 'publish', topic: 'alias/in', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
  raw.write({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
  const got = await collectMessages(sub, 300);
  assert.deepEqual(got.map((m) => `${m.topic}=${m.payload}`), ['alias/in=1', 'alias/in=2']);
  raw.destroy();
  await endClient(sub);
});

test('topic alias towards a client that allows them: the topic is sent once', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('alias-sub', 5, { properties: { topicAliasMaximum: 1 } });
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alias/out/#', qos: 0 }] });
  await raw.waitFor('suback');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('alias/out/a', '1');
  await pub.publishAsync('alias/out/a', '2');
  await pub.publishAsync('alias/out/b', '3'); // the single alias is taken: full topic, no alias
  const p1 = await raw.waitFor('publish');
  const p2 = await raw.waitFor('publish');
  const p3 = await raw.waitFor('publish');
  assert.equal(p1.topic, 'alias/out/a');
  assert.equal(p1.properties?.topicAlias, 1);
  assert.equal(p2.topic, '');
  assert.equal(p2.properties?.topicAlias, 1);
  assert.equal(p3.topic, 'alias/out/b');
  assert.equal(p3.properties?.topicAlias, undefined);
  raw.destroy();
  await endClient(pub);
});

test("client Maximum Packet Size: larger messages are dropped for that client only", async () => {
  const small = await RawClient.connect(b.port(), 5);
  await small.handshake('small', 5, { properties: { maximumPacketSize: 64 } });
  small.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'size/t', qos: 1 }] });
  await small.waitFor('suback');
  const big = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await big.subscribeAsync('size/t', { qos: 1 });
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  const bigGot = nextMessage(big);
  await pub.publishAsync('size/t', Buffer.alloc(200, 7), { qos: 1 });
  assert.equal((await bigGot).payload.length, 200);
  await pub.publishAsync('size/t', 'tiny', { qos: 1 });
  const p = await small.waitFor('publish');
  assert.equal(p.payload.toString(), 'tiny'); // the big one never came
  small.write({ cmd: 'puback', messageId: p.messageId! });
  small.destroy();
  await endClient(big);
  await endClient(pub);
});

test('max_qos_allowed: QoS 2 PUBLISH gets DISCONNECT 0x9B; subscriptions are granted at most that QoS', async () => {
  const b2 = await startBroker({ mqtt: { max_qos_allowed: 1 } });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    await raw.handshake('q2');
    raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't', qos: 2 }] });
    const suback = await raw.waitFor('suback');
    assert.deepEqual(suback.granted, [1]);
    raw.write({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, messageId: 1 });
    const d = await raw.waitFor('disconnect');
    assert.equal(d.reasonCode, ReasonCode.QoSNotSupported);
  } finally {
    await b2.stop();
  }
});

test('retain_available false: retained PUBLISH gets DISCONNECT 0x9A', async () => {
  const b2 = await startBroker({ mqtt: { retain_available: false } });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    await raw.handshake('r');
    raw.write({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: true, dup: false });
    const d = await raw.waitFor('disconnect');
    assert.equal(d.reasonCode, ReasonCode.RetainNotSupported);
  } finally {
    await b2.stop();
  }
});

test('ACL on publish: 5.0 PUBACK/PUBREC 0x87, QoS 0 dropped silently, 3.1.1 acknowledged and dropped', async () => {
  const authorizer: Authorizer = { authorize: (_c, action, topic) => !(action === 'publish' && topic.startsWith('secret/')) };
  const b2 = await startBroker({}, { authorizer });
  try {
    const sub = await connectClient(`mqtt://127.0.0.1:${b2.port()}`, { protocolVersion: 5 });
    await sub.subscribeAsync('secret/#', { qos: 2 });
    const received = collectMessages(sub, 500);
    const r5 = await RawClient.connect(b2.port(), 5);
    await r5.handshake('acl5');
    r5.write({ cmd: 'publish', topic: 'secret/a', payload: Buffer.from('0'), qos: 0, retain: false, dup: false });
    r5.write({ cmd: 'publish', topic: 'secret/a', payload: Buffer.from('1'), qos: 1, retain: false, dup: false, messageId: 1 });
    r5.write({ cmd: 'publish', topic: 'secret/a', payload: Buffer.from('2'), qos: 2, retain: false, dup: false, messageId: 2 });
    assert.equal((await r5.waitFor('puback')).reasonCode, ReasonCode.NotAuthorized);
    assert.equal((await r5.waitFor('pubrec')).reasonCode, ReasonCode.NotAuthorized);
    const r4 = await RawClient.connect(b2.port(), 4);
    await r4.handshake('acl4', 4);
    r4.write({ cmd: 'publish', topic: 'secret/b', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, messageId: 5 }, 4);
    await r4.waitFor('pubrec');
    r4.write({ cmd: 'pubrel', messageId: 5 }, 4);
    await r4.waitFor('pubcomp');
    assert.equal((await received).length, 0);
    r5.destroy();
    r4.destroy();
    await endClient(sub);
  } finally {
    await b2.stop();
  }
});
