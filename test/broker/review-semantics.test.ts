// Review: behaviours checked and found correct, pinned down so they stay so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from 'mqtt-packet';
import { startBroker, connectClient, endClient, RawClient, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

let b: TestBroker;
before(async () => {
  b = await startBroker();
});
after(async () => {
  await b.stop();
});

type Publish = Extract<Packet, { cmd: 'publish' }>;
const publishesIn = (raw: RawClient): Publish[] => raw.packets.filter((p): p is Publish => p.cmd === 'publish');

async function roundTrip(raw: RawClient): Promise<void> {
  raw.write({ cmd: 'pingreq' });
  await raw.waitFor('pingresp');
}

async function waitForPublishes(raw: RawClient, n: number): Promise<void> {
  for (let i = 0; i < 20 && publishesIn(raw).length < n; i++) await roundTrip(raw);
  assert.equal(publishesIn(raw).length, n);
}

test('retained message is delivered at min(message QoS, subscription QoS) with RETAIN set [MQTT 5.0 §3.8.4]', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('sem/ret', 'kept', { qos: 2, retain: true });
  await endClient(pub);
  for (const subQos of [0, 1, 2] as const) {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake(`ret-q${subQos}`);
    raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sem/+', qos: subQos }] });
    await raw.waitFor('suback');
    await waitForPublishes(raw, 1);
    const [m] = publishesIn(raw);
    assert.equal(m!.qos, subQos);
    assert.equal(m!.retain, true);
    raw.destroy();
  }
});

test('QoS 2 towards a client: a message awaiting PUBCOMP still counts against its Receive Maximum [MQTT 5.0 §4.9]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('rm-qos2', 5, { properties: { receiveMaximum: 2 } });
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sem/q2', qos: 2 }] });
  await raw.waitFor('suback');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  for (let i = 0; i < 3; i++) await pub.publishAsync('sem/q2', `m${i}`, { qos: 2 });
  await endClient(pub);
  await waitForPublishes(raw, 2);
  const [first] = publishesIn(raw);
  raw.write({ cmd: 'pubrec', messageId: first!.messageId! });
  const rel = await raw.waitFor('pubrel');
  assert.equal(rel.messageId, first!.messageId);
  await roundTrip(raw);
  assert.equal(publishesIn(raw).length, 2, 'PUBREC alone does not free the slot');
  raw.write({ cmd: 'pubcomp', messageId: first!.messageId! });
  await waitForPublishes(raw, 3);
  assert.equal(publishesIn(raw)[2]!.payload.toString(), 'm2');
  raw.destroy();
});

test('PUBACK and PUBCOMP for unknown ids are ignored; PUBREC for one gets PUBREL 0x92 [MQTT 5.0 §3.6.2.1]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('unknown-acks');
  raw.write({ cmd: 'puback', messageId: 4242 });
  raw.write({ cmd: 'pubcomp', messageId: 4243 });
  raw.write({ cmd: 'pubrec', messageId: 4244 });
  const rel = await raw.waitFor('pubrel');
  assert.equal(rel.messageId, 4244);
  assert.equal(rel.reasonCode, ReasonCode.PacketIdentifierNotFound);
  await roundTrip(raw);
  assert.equal(raw.closed, false);
  raw.destroy();
});

test('overlapping subscriptions: one copy at the highest QoS with every Subscription Identifier [MQTT 5.0 §3.3.4]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('overlap');
  raw.write({ cmd: 'subscribe', messageId: 1, properties: { subscriptionIdentifier: 7 }, subscriptions: [{ topic: 'ovl/x/+', qos: 0 }] });
  await raw.waitFor('suback');
  raw.write({ cmd: 'subscribe', messageId: 2, properties: { subscriptionIdentifier: 9 }, subscriptions: [{ topic: 'ovl/#', qos: 1 }] });
  await raw.waitFor('suback');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('ovl/x/y', 'one', { qos: 1 });
  await endClient(pub);
  await waitForPublishes(raw, 1);
  await roundTrip(raw);
  const got = publishesIn(raw);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.qos, 1);
  const ids = got[0]!.properties?.subscriptionIdentifier;
  assert.deepEqual([ids].flat().sort(), [7, 9]);
  raw.destroy();
});

test('a 5.0 client\'s failure PUBREC ends the QoS 2 flow and frees its slot [MQTT 5.0 §4.3.3]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('rec-fail', 5, { properties: { receiveMaximum: 1 } });
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sem/rf', qos: 2 }] });
  await raw.waitFor('suback');
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('sem/rf', 'a', { qos: 2 });
  await pub.publishAsync('sem/rf', 'b', { qos: 2 });
  await endClient(pub);
  await waitForPublishes(raw, 1);
  raw.write({ cmd: 'pubrec', messageId: publishesIn(raw)[0]!.messageId!, reasonCode: ReasonCode.UnspecifiedError });
  await waitForPublishes(raw, 2);
  assert.equal(raw.packets.filter((p) => p.cmd === 'pubrel').length, 0, 'no PUBREL after a failure PUBREC');
  raw.destroy();
});
