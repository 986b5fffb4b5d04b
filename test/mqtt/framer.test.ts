import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketFramer, packetLengthAt } from '../../src/mqtt/framer.js';
import { MqttProtocolError, ReasonCode } from '../../src/mqtt/reason-codes.js';

test('splits packets across and within chunks', () => {
  const f = new PacketFramer(1000);
  const ping = Buffer.from([0xc0, 0x00]);
  const pub = Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]);
  const all = Buffer.concat([ping, pub, ping]);
  f.push(all.subarray(0, 3));
  assert.deepEqual(f.next(), ping);
  assert.equal(f.next(), undefined);
  f.push(all.subarray(3, 6));
  assert.equal(f.next(), undefined);
  f.push(all.subarray(6));
  assert.deepEqual(f.next(), pub);
  assert.deepEqual(f.next(), ping);
  assert.equal(f.next(), undefined);
  assert.equal(f.bufferedBytes, 0);
});

test('multi-byte remaining length', () => {
  const f = new PacketFramer(1000);
  const body = Buffer.alloc(200, 1);
  const pkt = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), body]);
  for (const b of pkt) f.push(Buffer.from([b]));
  assert.deepEqual(f.next(), pkt);
});

test('rejects a packet over the limit from its header alone (0x95)', () => {
  const f = new PacketFramer(100);
  // Remaining length 268435455: only the header is sent, nothing is buffered beyond it.
  f.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
  assert.throws(() => f.next(), (e: unknown) => e instanceof MqttProtocolError && e.code === ReasonCode.PacketTooLarge);
});

test('rejects a remaining length longer than four bytes (0x81)', () => {
  const f = new PacketFramer(1 << 30);
  f.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
  assert.throws(() => f.next(), (e: unknown) => e instanceof MqttProtocolError && e.code === ReasonCode.MalformedPacket);
});

test('the limit counts the whole packet, header included', () => {
  const f = new PacketFramer(7);
  f.push(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]));
  assert.equal(f.next()?.length, 7);
  f.setMaxPacketSize(6);
  f.push(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]));
  assert.throws(() => f.next(), MqttProtocolError);
});

test('packetLengthAt: the whole packet length from the fixed header, -1 when the header is cut or too long', () => {
  assert.equal(packetLengthAt(Buffer.from([0xc0, 0x00])), 2); // PINGREQ
  assert.equal(packetLengthAt(Buffer.from([0x30, 0x05, 1, 2])), 7, 'says what the header claims, not what is there');
  assert.equal(packetLengthAt(Buffer.from([0x30, 0x80, 0x01])), 3 + 128);
  assert.equal(packetLengthAt(Buffer.from([0x30])), -1);
  assert.equal(packetLengthAt(Buffer.from([0x30, 0x80])), -1);
  assert.equal(packetLengthAt(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), -1, 'a Remaining Length over four bytes');
});
