// Review finding: only the PUBLISH topic was checked for ill-formed UTF-8; SUBSCRIBE/UNSUBSCRIBE filters
// and the CONNECT client id, will topic and user name went through mqtt-packet's lenient decoding
// (bad bytes become U+FFFD) into the router and the session registry. MQTT 5.0 §1.5.4 [MQTT-1.5.4-1].
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { connectStringsAreWellFormed, subscriptionFiltersAreWellFormed } from '../../src/mqtt/utf8.js';
import { startBroker, RawClient, remainingLength as varint, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

const BAD = Buffer.from([0x61, 0xff]); // 'a' then a byte that never occurs in UTF-8
const SURROGATE = Buffer.from([0xed, 0xa0, 0x80]); // U+D800, excluded by §1.5.4

function str(b: Buffer | string): Buffer {
  const bytes = Buffer.isBuffer(b) ? b : Buffer.from(b);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}
function frame(first: number, ...body: Buffer[]): Buffer {
  const all = Buffer.concat(body);
  return Buffer.concat([Buffer.from([first]), varint(all.length), all]);
}
const subscribe = (v5: boolean, ...filters: Buffer[]) =>
  frame(0x82, Buffer.from([0, 1]), v5 ? Buffer.from([0]) : Buffer.alloc(0), ...filters.map((f) => Buffer.concat([str(f), Buffer.from([1])])));
const unsubscribe = (v5: boolean, ...filters: Buffer[]) => frame(0xa2, Buffer.from([0, 1]), v5 ? Buffer.from([0]) : Buffer.alloc(0), ...filters.map(str));
/** CONNECT with client id, optional will topic and user name given as raw bytes. */
function connect(v5: boolean, clientId: Buffer, willTopic?: Buffer, userName?: Buffer): Buffer {
  const flags = 0x02 | (willTopic ? 0x04 : 0) | (userName ? 0x80 : 0);
  return frame(
    0x10,
    str('MQTT'),
    Buffer.from([v5 ? 5 : 4, flags, 0, 0]),
    v5 ? Buffer.from([0]) : Buffer.alloc(0),
    str(clientId),
    ...(willTopic ? [v5 ? Buffer.from([0]) : Buffer.alloc(0), str(willTopic), str('payload')] : []),
    ...(userName ? [str(userName)] : []),
  );
}

test('subscriptionFiltersAreWellFormed: every filter of SUBSCRIBE and UNSUBSCRIBE, 3.1.1 and 5.0', () => {
  const good = Buffer.from('a/ü/€/😀/#');
  for (const v5 of [false, true]) {
    assert.equal(subscriptionFiltersAreWellFormed(subscribe(v5, good, Buffer.from('b')), v5), true);
    assert.equal(subscriptionFiltersAreWellFormed(subscribe(v5, good, BAD), v5), false, 'second filter');
    assert.equal(subscriptionFiltersAreWellFormed(subscribe(v5, SURROGATE), v5), false);
    assert.equal(subscriptionFiltersAreWellFormed(unsubscribe(v5, good, good), v5), true);
    assert.equal(subscriptionFiltersAreWellFormed(unsubscribe(v5, good, BAD), v5), false);
  }
  // A 5.0 SUBSCRIBE with properties: the property block is skipped, not read as a filter.
  const withProps = mqttPacket.generate(
    { cmd: 'subscribe', messageId: 3, properties: { subscriptionIdentifier: 300, userProperties: { k: 'v' } }, subscriptions: [{ topic: 'p/q', qos: 1 }] },
    { protocolVersion: 5 },
  );
  assert.equal(subscriptionFiltersAreWellFormed(withProps, true), true);
});

test('subscriptionFiltersAreWellFormed: frames cut short are left to the decoder', () => {
  assert.equal(subscriptionFiltersAreWellFormed(Buffer.from([0x82, 0x01, 0x00]), true), true);
  assert.equal(subscriptionFiltersAreWellFormed(Buffer.from([0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x09]), true), true);
  assert.equal(subscriptionFiltersAreWellFormed(Buffer.from([0x82, 0x04, 0x00, 0x01, 0xff, 0xff]), true), true);
});

test('connectStringsAreWellFormed: client id, will topic and user name, 3.1.1 and 5.0', () => {
  for (const v5 of [false, true]) {
    assert.equal(connectStringsAreWellFormed(connect(v5, Buffer.from('id-ü'), Buffer.from('w/t'), Buffer.from('user')), v5), true);
    assert.equal(connectStringsAreWellFormed(connect(v5, BAD), v5), false, 'client id');
    assert.equal(connectStringsAreWellFormed(connect(v5, Buffer.from('id'), SURROGATE), v5), false, 'will topic');
    assert.equal(connectStringsAreWellFormed(connect(v5, Buffer.from('id'), Buffer.from('w'), BAD), v5), false, 'user name');
    assert.equal(connectStringsAreWellFormed(connect(v5, Buffer.from('id'), undefined, BAD), v5), false, 'user name without will');
  }
  // Properties in CONNECT and in the will are skipped correctly.
  const full = mqttPacket.generate(
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 10,
      clientId: 'cid',
      username: 'u',
      password: Buffer.from([0xff, 0xfe]), // binary data: never checked as UTF-8
      properties: { sessionExpiryInterval: 10, userProperties: { a: 'b' } },
      will: { topic: 'w/t', payload: Buffer.from([0xff]), qos: 1, retain: false, properties: { willDelayInterval: 5, contentType: 'x' } },
    },
    { protocolVersion: 5 },
  );
  assert.equal(connectStringsAreWellFormed(full, true), true);
  assert.equal(connectStringsAreWellFormed(Buffer.from([0x10, 0x02, 0x00, 0x04]), true), true, 'cut short');
});

let b: TestBroker;
before(async () => {
  b = await startBroker();
});
after(async () => {
  await b.stop();
});

test('5.0 SUBSCRIBE with an ill-formed filter: DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('bad-filter');
  raw.write(subscribe(true, BAD));
  const d = await raw.waitFor('disconnect');
  assert.equal(d.reasonCode, ReasonCode.MalformedPacket);
  assert.equal(await raw.waitClosed(), true);
});

test('5.0 UNSUBSCRIBE with an ill-formed filter: DISCONNECT 0x81', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('bad-unsub');
  raw.write(unsubscribe(true, BAD));
  const d = await raw.waitFor('disconnect');
  assert.equal(d.reasonCode, ReasonCode.MalformedPacket);
});

test('5.0 CONNECT with an ill-formed client id: CONNACK 0x81; 3.1.1: closed without CONNACK', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  raw.write(connect(true, BAD));
  const ack = await raw.waitFor('connack');
  assert.equal(ack.reasonCode, ReasonCode.MalformedPacket);
  assert.equal(await raw.waitClosed(), true);
  const raw4 = await RawClient.connect(b.port(), 4);
  raw4.write(connect(false, Buffer.from('ok'), SURROGATE));
  assert.equal(await raw4.waitClosed(), true);
  assert.equal(raw4.packets.length, 0);
});
