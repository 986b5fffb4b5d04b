// Malformed and forbidden packets, written as raw bytes: the broker answers with the exact reason code,
// closes that connection, and other clients are unaffected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startBroker, connectClient, endClient, nextMessage, RawClient, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

let b: TestBroker;
let bystander: MqttClient;

before(async () => {
  b = await startBroker({ mqtt: { max_packet_size: 1024, max_topic_alias: 4, max_inflight: 2, max_qos_allowed: 2 } });
  bystander = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'bystander' });
  await bystander.subscribeAsync('alive');
});
after(async () => {
  await endClient(bystander);
  await b.stop();
});

/** The bystander still works: publish to it from a fresh client. */
async function assertBystanderAlive(): Promise<void> {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 4 });
  const got = nextMessage(bystander, 2000, 'alive');
  await pub.publishAsync('alive', 'yes');
  assert.equal((await got).payload.toString(), 'yes');
  await endClient(pub);
}

async function expectDisconnect(raw: RawClient, code: number): Promise<void> {
  const d = await raw.waitFor('disconnect');
  assert.equal(d.reasonCode, code, `DISCONNECT 0x${d.reasonCode?.toString(16)}`);
  assert.equal(await raw.waitClosed(), true, 'socket closed');
}

test('first packet not CONNECT: closed without a reply [MQTT-3.1.0-1]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  raw.write(Buffer.from([0xc0, 0x00]));
  assert.equal(await raw.waitClosed(), true);
  assert.equal(raw.allBytes().length, 0);
});

test('unsupported protocol level: CONNACK return code 0x01 then close', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  // CONNECT "MQTT" level 6
  raw.write(Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x00, 0x00, 0x01, 0x63]));
  assert.equal(await raw.waitClosed(), true);
  assert.deepEqual(raw.allBytes(), Buffer.from([0x20, 0x02, 0x00, 0x01]));
});

test('"MQTT" with level 3 is refused (3.1 is "MQIsdp")', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  raw.write(Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x03, 0x02, 0x00, 0x00, 0x00, 0x01, 0x63]));
  assert.equal(await raw.waitClosed(), true);
  assert.deepEqual(raw.allBytes(), Buffer.from([0x20, 0x02, 0x00, 0x01]));
});

test('malformed 5.0 CONNECT (reserved flag set): CONNACK 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  // level 5, flags 0x03 (reserved bit 0 set), keepalive 0, props len 0, client id "c"
  raw.write(Buffer.from([0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x63]));
  const ack = await raw.waitFor('connack');
  assert.equal(ack.reasonCode, ReasonCode.MalformedPacket);
  assert.equal(await raw.waitClosed(), true);
});

test('malformed 3.1.1 CONNECT: closed without CONNACK', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  raw.write(Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x03, 0x00, 0x00, 0x00, 0x01, 0x63]));
  assert.equal(await raw.waitClosed(), true);
  assert.equal(raw.allBytes().length, 0);
});

test('second CONNECT: DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('twice');
  raw.write({ cmd: 'connect', clientId: 'twice', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0 });
  await expectDisconnect(raw, ReasonCode.ProtocolError);
  await assertBystanderAlive();
});

test('malformed packet after CONNECT (SUBSCRIBE with reserved flags 0): DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('malformed');
  raw.write(Buffer.from([0x80, 0x02, 0x00, 0x01]));
  await expectDisconnect(raw, ReasonCode.MalformedPacket);
});

test('remaining length of five bytes: DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('varint');
  raw.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
  await expectDisconnect(raw, ReasonCode.MalformedPacket);
});

test('packet larger than max_packet_size: DISCONNECT 0x95 without buffering the body', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('big');
  raw.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])); // announces 256 MB, sends nothing more
  await expectDisconnect(raw, ReasonCode.PacketTooLarge);
  await assertBystanderAlive();
});

test('packet too large as the first packet: closed (version still unknown)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  raw.write(Buffer.from([0x10, 0xff, 0x7f]));
  // The framer rejects before the version is known; the broker just closes.
  assert.equal(await raw.waitClosed(), true);
});

test('3.1.1 packet too large: connection closed, no DISCONNECT', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  await raw.handshake('big4', 4);
  raw.write(Buffer.from([0x30, 0xff, 0xff, 0x03]));
  assert.equal(await raw.waitClosed(), true);
  assert.equal(raw.packets.length, 0);
});

test('wildcard in a PUBLISH topic: DISCONNECT 0x90', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('wild');
  raw.write({ cmd: 'publish', topic: 'a/+', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
  await expectDisconnect(raw, ReasonCode.TopicNameInvalid);
});

test('topic alias 0 or above the maximum: DISCONNECT 0x94', async () => {
  for (const alias of [0, 5]) {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake(`alias${alias}`);
    // alias 0 cannot be generated by mqtt-packet: build PUBLISH "t" with property 0x23 by hand
    raw.write(Buffer.from([0x30, 0x08, 0x00, 0x01, 0x74, 0x03, 0x23, 0x00, alias, 0x78]));
    await expectDisconnect(raw, ReasonCode.TopicAliasInvalid);
  }
});

test('unknown topic alias with empty topic: DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('alias-unknown');
  raw.write(Buffer.from([0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x02, 0x78]));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('QoS 0 with DUP set: DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('dup0');
  raw.write(Buffer.from([0x38, 0x05, 0x00, 0x01, 0x74, 0x00, 0x78]));
  await expectDisconnect(raw, ReasonCode.MalformedPacket);
});

test('QoS 3 in a PUBLISH header: DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('qos3');
  raw.write(Buffer.from([0x36, 0x07, 0x00, 0x01, 0x74, 0x00, 0x01, 0x00, 0x78]));
  await expectDisconnect(raw, ReasonCode.MalformedPacket);
});

test('Subscription Identifier in a client PUBLISH: DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('subid');
  raw.write(Buffer.from([0x30, 0x07, 0x00, 0x01, 0x74, 0x02, 0x0b, 0x01, 0x78]));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('more QoS 2 PUBLISHes than Receive Maximum: DISCONNECT 0x93', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('recvmax');
  assert.equal(ack.cmd === 'connack' && ack.properties?.receiveMaximum, 2);
  for (const id of [1, 2, 3]) raw.write({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, messageId: id });
  await expectDisconnect(raw, ReasonCode.ReceiveMaximumExceeded);
});

test('AUTH without enhanced authentication: DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('auth');
  raw.write(Buffer.from([0xf0, 0x02, 0x18, 0x00]));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('server-to-client packet sent by a client (CONNACK): DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('connack');
  raw.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('No Local on a shared subscription: DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('sharednl');
  raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/t', qos: 0, nl: true }] });
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('session expiry set on DISCONNECT after 0 in CONNECT: DISCONNECT 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('expiry-late');
  raw.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('Receive Maximum 0 in CONNECT: CONNACK 0x82', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  // CONNECT v5 with properties: 0x21 Receive Maximum = 0
  raw.write(Buffer.from([0x10, 0x11, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00, 0x00, 0x01, 0x63]));
  const ack = await raw.waitFor('connack');
  assert.equal(ack.reasonCode, ReasonCode.ProtocolError);
  assert.equal(await raw.waitClosed(), true);
});

test('PUBREL for an unknown packet id: PUBCOMP 0x92, connection stays', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('pubrel');
  raw.write({ cmd: 'pubrel', messageId: 77 });
  const comp = await raw.waitFor('pubcomp');
  assert.equal(comp.messageId, 77);
  assert.equal(comp.reasonCode, ReasonCode.PacketIdentifierNotFound);
  raw.write({ cmd: 'pingreq' });
  await raw.waitFor('pingresp');
  raw.destroy();
});

test('3.1.1 protocol violation: closed without DISCONNECT', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  await raw.handshake('v4wild', 4);
  raw.write({ cmd: 'publish', topic: 'a/#', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, 4);
  assert.equal(await raw.waitClosed(), true);
  assert.equal(raw.packets.length, 0);
  await assertBystanderAlive();
});

test('max_awaiting_rel: 5.0 PUBREC 0x97 Quota exceeded (message dropped), 3.1.1 disconnected', async () => {
  const b2 = await startBroker({ mqtt: { max_awaiting_rel: 1, max_inflight: 10 } });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    await raw.handshake('quota');
    raw.write({ cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 2, retain: false, dup: false, messageId: 1 });
    assert.equal((await raw.waitFor('pubrec')).reasonCode, ReasonCode.NoMatchingSubscribers);
    raw.write({ cmd: 'publish', topic: 't', payload: Buffer.from('2'), qos: 2, retain: false, dup: false, messageId: 2 });
    assert.equal((await raw.waitFor('pubrec')).reasonCode, ReasonCode.QuotaExceeded);
    raw.write({ cmd: 'pubrel', messageId: 1 });
    await raw.waitFor('pubcomp');
    raw.destroy();
    const r4 = await RawClient.connect(b2.port(), 4);
    await r4.handshake('quota4', 4);
    r4.write({ cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 2, retain: false, dup: false, messageId: 1 }, 4);
    await r4.waitFor('pubrec');
    r4.write({ cmd: 'publish', topic: 't', payload: Buffer.from('2'), qos: 2, retain: false, dup: false, messageId: 2 }, 4);
    assert.equal(await r4.waitClosed(), true);
  } finally {
    await b2.stop();
  }
});

test('ill-formed UTF-8 in a PUBLISH topic: DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('utf8');
  raw.write(Buffer.from([0x30, 0x06, 0x00, 0x02, 0x61, 0xff, 0x00, 0x78]));
  await expectDisconnect(raw, ReasonCode.MalformedPacket);
});
