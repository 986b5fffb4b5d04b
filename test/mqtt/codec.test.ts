import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketDecoder, encodePacket, MqttEncodeError } from '../../src/mqtt/codec.js';
import { readConnectProtocol, supportedVersion } from '../../src/mqtt/protocol-version.js';
import { connackCodeForV4, ReasonCode, isFailure } from '../../src/mqtt/reason-codes.js';

test('decodes one packet per call and reports malformed ones', () => {
  const d = new PacketDecoder();
  const r = d.decode(Buffer.from([0xc0, 0x00]));
  assert.equal(r.ok && r.packet.cmd, 'pingreq');
  const bad = d.decode(Buffer.from([0x82, 0x00])); // SUBSCRIBE without payload
  assert.equal(bad.ok, false);
  const again = d.decode(Buffer.from([0xc0, 0x00]));
  assert.equal(again.ok, true);
});

test('5.0 properties are parsed only after setProtocolVersion(5)', () => {
  const bytes = encodePacket({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { contentType: 'text/plain' } }, 5);
  const d = new PacketDecoder();
  d.setProtocolVersion(5);
  const r = d.decode(bytes);
  assert.ok(r.ok && r.packet.cmd === 'publish');
  assert.equal(r.ok && r.packet.cmd === 'publish' && r.packet.properties?.contentType, 'text/plain');
});

test('encode errors are typed', () => {
  assert.throws(
    () => encodePacket({ cmd: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 1, retain: false, dup: false }, 4),
    (e: unknown) => e instanceof MqttEncodeError && e.code === 'MQTT_ENCODE',
  );
});

test('protocol name and level from a raw CONNECT', () => {
  const v5 = encodePacket({ cmd: 'connect', clientId: 'c', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0 }, 5);
  assert.deepEqual(readConnectProtocol(v5), { name: 'MQTT', level: 5 });
  assert.equal(supportedVersion({ name: 'MQTT', level: 5 }), 5);
  assert.equal(supportedVersion({ name: 'MQTT', level: 4 }), 4);
  assert.equal(supportedVersion({ name: 'MQIsdp', level: 3 }), 3);
  assert.equal(supportedVersion({ name: 'MQTT', level: 3 }), undefined);
  assert.equal(supportedVersion({ name: 'MQIsdp', level: 4 }), undefined);
  assert.equal(supportedVersion({ name: 'MQTT', level: 6 }), undefined);
  assert.equal(readConnectProtocol(Buffer.from([0x10, 0x02, 0x00])), undefined);
});

test('5.0 CONNACK codes map to 3.1.1 return codes', () => {
  assert.equal(connackCodeForV4(ReasonCode.BadUserNameOrPassword), 4);
  assert.equal(connackCodeForV4(ReasonCode.NotAuthorized), 5);
  assert.equal(connackCodeForV4(ReasonCode.ClientIdentifierNotValid), 2);
  assert.equal(connackCodeForV4(ReasonCode.UnsupportedProtocolVersion), 1);
  assert.equal(connackCodeForV4(ReasonCode.ServerUnavailable), 3);
  assert.equal(connackCodeForV4(ReasonCode.TopicNameInvalid), undefined);
  assert.equal(isFailure(0x80), true);
  assert.equal(isFailure(0x10), false);
});
