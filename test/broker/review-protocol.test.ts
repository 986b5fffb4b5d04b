// Review findings on CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE and DISCONNECT validation: each test
// is a normative statement of MQTT 5.0 / 3.1.1 that the broker did not follow before its fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, connectClient, endClient, nextMessage, RawClient, remainingLength as varint, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

let b: TestBroker;

before(async () => {
  b = await startBroker({ mqtt: { max_topic_alias: 4, max_inflight: 4 } });
});
after(async () => {
  await b.stop();
});

// ---- raw packet building (the cases below cannot be produced by mqtt-packet's encoder) ----------

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function u16(n: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(n);
  return out;
}

/** A control packet: first header byte, then Remaining Length and body (MQTT 5.0 §2.1). */
function frame(first: number, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([Buffer.from([first]), varint(payload.length), payload]);
}

/** A property block: its length, then the encoded properties (MQTT 5.0 §2.2.2). */
function props(...items: Buffer[]): Buffer {
  const all = Buffer.concat(items);
  return Buffer.concat([varint(all.length), all]);
}

/** A CONNECT with hand-set flags and properties; `rest` is the payload after the client id. */
function connect(opts: { version: 4 | 5; flags: number; properties?: Buffer; clientId: string; rest?: Buffer[] }): Buffer {
  return frame(
    0x10,
    str('MQTT'),
    Buffer.from([opts.version, opts.flags]),
    u16(0),
    opts.version === 5 ? (opts.properties ?? props()) : Buffer.alloc(0),
    str(opts.clientId),
    ...(opts.rest ?? []),
  );
}

const CLEAN_START = 0x02;

async function expectConnackCode(raw: RawClient, code: number): Promise<void> {
  const ack = await raw.waitFor('connack');
  assert.equal(ack.reasonCode, code, `CONNACK 0x${ack.reasonCode?.toString(16)}`);
  assert.equal(await raw.waitClosed(), true, 'socket closed');
}

async function expectDisconnect(raw: RawClient, code: number): Promise<void> {
  const d = await raw.waitFor('disconnect');
  assert.equal(d.reasonCode, code, `DISCONNECT 0x${d.reasonCode?.toString(16)}`);
  assert.equal(await raw.waitClosed(), true, 'socket closed');
}

// ---- duplicate properties (MQTT 5.0 §2.2.2.2 and every property's "more than once" rule) -------

test('CONNECT with Receive Maximum twice: CONNACK 0x82 [MQTT 5.0 §3.1.2.11.3]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const rm = (n: number) => Buffer.concat([Buffer.from([0x21]), u16(n)]);
  raw.write(connect({ version: 5, flags: CLEAN_START, properties: props(rm(10), rm(20)), clientId: 'dup-rm' }));
  await expectConnackCode(raw, ReasonCode.ProtocolError);
});

test('CONNECT with User Property twice is fine (the one property allowed more than once)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const up = (k: string, v: string) => Buffer.concat([Buffer.from([0x26]), str(k), str(v)]);
  raw.write(connect({ version: 5, flags: CLEAN_START, properties: props(up('a', '1'), up('a', '2')), clientId: 'dup-up' }));
  const ack = await raw.waitFor('connack');
  assert.equal(ack.reasonCode, ReasonCode.Success);
  raw.destroy();
});

test('will properties with Will Delay Interval twice: CONNACK 0x82 [MQTT 5.0 §3.1.3.2.2]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const delay = Buffer.from([0x18, 0, 0, 0, 1]);
  const WILL = 0x04;
  raw.write(
    connect({ version: 5, flags: CLEAN_START | WILL, clientId: 'dup-will', rest: [props(delay, delay), str('will/t'), u16(1), Buffer.from('x')] }),
  );
  await expectConnackCode(raw, ReasonCode.ProtocolError);
});

test('PUBLISH with Topic Alias twice: DISCONNECT 0x82 [MQTT 5.0 §3.3.2.3.4]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('dup-alias');
  const alias = (n: number) => Buffer.concat([Buffer.from([0x23]), u16(n)]);
  raw.write(frame(0x30, str('a/b'), props(alias(1), alias(2)), Buffer.from('x')));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('SUBSCRIBE with Subscription Identifier twice: DISCONNECT 0x82 [MQTT 5.0 §3.8.2.1.2]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('dup-subid');
  const subId = (n: number) => Buffer.concat([Buffer.from([0x0b]), varint(n)]);
  raw.write(frame(0x82, u16(1), props(subId(1), subId(2)), str('a/b'), Buffer.from([1])));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

// ---- CONNECT flags ------------------------------------------------------------------------------

test('will QoS 3: CONNACK 0x81 Malformed Packet [MQTT-3.1.2-12]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const WILL_QOS3 = 0x04 | 0x18;
  raw.write(connect({ version: 5, flags: CLEAN_START | WILL_QOS3, clientId: 'will-qos3', rest: [props(), str('will/t'), u16(1), Buffer.from('x')] }));
  await expectConnackCode(raw, ReasonCode.MalformedPacket);
});

test('3.1.1 password flag without user name flag: closed without CONNACK [MQTT-3.1.2-22]', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  const PASSWORD = 0x40;
  raw.write(connect({ version: 4, flags: CLEAN_START | PASSWORD, clientId: 'pw-only', rest: [u16(2), Buffer.from('pw')] }));
  assert.equal(await raw.waitClosed(), true);
  assert.equal(raw.packets.length, 0, `got ${raw.packets.map((p) => p.cmd).join(',')}`);
});

test('5.0 password without user name is allowed (MQTT 5.0 §3.1.2.9)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const PASSWORD = 0x40;
  raw.write(connect({ version: 5, flags: CLEAN_START | PASSWORD, clientId: 'pw-only5', rest: [u16(2), Buffer.from('pw')] }));
  const ack = await raw.waitFor('connack');
  assert.equal(ack.reasonCode, ReasonCode.Success);
  raw.destroy();
});

test('will topic under $SYS/: CONNACK 0x87, so a client cannot forge broker status [MQTT 5.0 §4.7.2]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('sys-will', 5, {
    will: { topic: '$SYS/broker/version', payload: Buffer.from('forged'), qos: 0, retain: true },
  });
  assert.equal(ack.cmd === 'connack' ? ack.reasonCode : undefined, ReasonCode.NotAuthorized);
  assert.equal(await raw.waitClosed(), true);
  const raw4 = await RawClient.connect(b.port(), 4);
  const ack4 = await raw4.handshake('sys-will4', 4, { will: { topic: '$SYS/broker/uptime', payload: Buffer.from('x'), qos: 0, retain: false } });
  assert.equal(ack4.cmd === 'connack' ? ack4.returnCode : undefined, 5);
  assert.equal(await raw4.waitClosed(), true);
});

// ---- PUBLISH / SUBSCRIBE / UNSUBSCRIBE ----------------------------------------------------------

test('PUBLISH with an empty topic and no Topic Alias: DISCONNECT 0x82 [MQTT 5.0 §3.3.2.1]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('empty-topic');
  raw.write(frame(0x30, str(''), props(), Buffer.from('x')));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('SUBSCRIBE without any topic filter: DISCONNECT 0x82 [MQTT-3.8.3-2]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('empty-sub');
  raw.write(frame(0x82, u16(1), props()));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('UNSUBSCRIBE without any topic filter: DISCONNECT 0x82 [MQTT-3.10.3-2]', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('empty-unsub');
  raw.write(frame(0xa2, u16(1), props()));
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('3.1.1 SUBSCRIBE without any topic filter: connection closed [MQTT-3.8.3-3]', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  await raw.handshake('empty-sub4', 4);
  raw.write(frame(0x82, u16(1)));
  assert.equal(await raw.waitClosed(), true);
  assert.equal(raw.packets.length, 0, `got ${raw.packets.map((p) => p.cmd).join(',')}`);
});

// ---- DISCONNECT session expiry ------------------------------------------------------------------

test('DISCONNECT expiry is judged against the CONNECT value, not the broker cap [MQTT-3.14.2-2]', async () => {
  const capped = await startBroker({ mqtt: { session_expiry_interval: 0 } });
  try {
    const raw = await RawClient.connect(capped.port(), 5);
    const ack = await raw.handshake('cap0', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(ack.cmd === 'connack' ? ack.properties?.sessionExpiryInterval : undefined, 0, 'cap announced');
    // CONNECT asked for 60 s: a non-zero value on DISCONNECT is legal (the broker caps it again).
    raw.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } });
    assert.equal(await raw.waitClosed(), true);
    assert.equal(raw.packets.filter((p) => p.cmd === 'disconnect').length, 0, 'no DISCONNECT from the broker');
    // And the session still ended at once (cap 0).
    const again = await RawClient.connect(capped.port(), 5);
    const ack2 = await again.handshake('cap0', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(ack2.cmd === 'connack' ? ack2.sessionPresent : undefined, false);
    again.destroy();
  } finally {
    await capped.stop();
  }
});

test('DISCONNECT expiry after 0 in CONNECT is still a Protocol Error (DISCONNECT 0x82)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('zero-then-set', 5, { properties: { sessionExpiryInterval: 0 } });
  raw.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } });
  await expectDisconnect(raw, ReasonCode.ProtocolError);
});

test('the broker keeps serving after all of the above', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('still/alive', { qos: 1 });
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 4 });
  const got = nextMessage(sub, 2000, 'still/alive');
  await pub.publishAsync('still/alive', 'yes', { qos: 1 });
  assert.equal((await got).payload.toString(), 'yes');
  await endClient(pub);
  await endClient(sub);
});
