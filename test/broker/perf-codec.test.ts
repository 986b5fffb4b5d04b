// The hand-written PUBLISH/PUBACK decoder and acknowledgement encoder against mqtt-packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { decodeFlowPacketV4, encodeAckFast, encodePublishFastV4 } from '../../src/mqtt/fast-codec.js';
import { PacketDecoder, encodePacket } from '../../src/mqtt/codec.js';

/** What mqtt-packet's parser makes of one whole frame. */
function parseWithMqttPacket(frame: Buffer, version: 3 | 4 | 5): Packet | Error {
  const parser = mqttPacket.parser({ protocolVersion: version });
  let out: Packet | Error = new Error('incomplete');
  parser.on('packet', (p: Packet) => (out = p));
  parser.on('error', (e: Error) => (out = e));
  parser.parse(frame);
  return out;
}

function plain(p: Packet): Record<string, unknown> {
  return { ...(p as unknown as Record<string, unknown>) };
}

test('PUBLISH and PUBACK decode exactly as mqtt-packet decodes them', () => {
  const topics = ['a', 'root/in/7', 'x'.repeat(300), 'ünïcødé/€'];
  const payloads = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(200, 7)];
  let checked = 0;
  for (const topic of topics) {
    for (const payload of payloads) {
      for (const qos of [0, 1, 2] as const) {
        for (const retain of [false, true]) {
          for (const dup of qos > 0 ? [false, true] : [false]) {
            const packet = { cmd: 'publish' as const, topic, payload, qos, retain, dup, ...(qos > 0 ? { messageId: 513 } : {}) };
            const frame = mqttPacket.generate(packet, { protocolVersion: 4 });
            const expected = parseWithMqttPacket(frame, 4);
            const fast = decodeFlowPacketV4(frame);
            assert.ok(fast && !(expected instanceof Error));
            assert.deepEqual(plain(fast), plain(expected));
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked > 100);
  for (const id of [1, 258, 65535]) {
    const frame = mqttPacket.generate({ cmd: 'puback', messageId: id }, { protocolVersion: 4 });
    const expected = parseWithMqttPacket(frame, 4);
    assert.deepEqual(plain(decodeFlowPacketV4(frame)!), plain(expected as Packet));
  }
});

test('the fast decoder copies the payload out of the frame', () => {
  const frame = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('abc'), qos: 0, retain: false, dup: false }, { protocolVersion: 4 });
  const p = decodeFlowPacketV4(frame) as mqttPacket.IPublishPacket;
  frame.fill(0);
  assert.equal((p.payload as Buffer).toString(), 'abc');
});

test('the fast decoder leaves every other frame to mqtt-packet', () => {
  const publish = mqttPacket.generate({ cmd: 'publish', topic: 'abc', payload: Buffer.from('x'), qos: 1, messageId: 5, retain: false, dup: false }, { protocolVersion: 4 });
  const cases: Array<[string, Buffer]> = [
    ['QoS 3', Buffer.from([0x36, ...publish.subarray(1)])],
    ['topic length beyond the packet', Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61])],
    ['no room for the packet id', Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61])],
    ['PUBACK with reserved flags set', Buffer.from([0x41, 0x02, 0x00, 0x01])],
    ['PUBACK with a reason code (remaining length 3)', Buffer.from([0x40, 0x03, 0x00, 0x01, 0x00])],
    ['SUBSCRIBE', mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }, { protocolVersion: 4 })],
    ['PINGREQ', Buffer.from([0xc0, 0x00])],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [name, frame] of cases) assert.equal(decodeFlowPacketV4(frame), undefined, name);
});

test('PacketDecoder: 3.1.1 flow packets take the fast path, errors still come from mqtt-packet', () => {
  const d = new PacketDecoder();
  d.setProtocolVersion(4);
  const ok = d.decode(Buffer.from([0x40, 0x02, 0x01, 0x02]));
  assert.ok(ok.ok && ok.packet.cmd === 'puback' && ok.packet.messageId === 258);
  const bad = d.decode(Buffer.from([0x36, 0x03, 0x00, 0x01, 0x61]));
  assert.equal(bad.ok, false);
  // 5.0 PUBLISH has properties: always mqtt-packet.
  d.setProtocolVersion(5);
  const frame = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { contentType: 'text/plain' } }, { protocolVersion: 5 });
  const v5 = d.decode(frame);
  assert.ok(v5.ok && v5.packet.cmd === 'publish');
  assert.equal(v5.packet.properties?.contentType, 'text/plain');
});

test('acknowledgements encode byte for byte as mqtt-packet encodes them', () => {
  for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
    for (const id of [1, 258, 65535]) {
      for (const version of [3, 4] as const) {
        assert.deepEqual(encodeAckFast({ cmd, messageId: id }, version), mqttPacket.generate({ cmd, messageId: id }, { protocolVersion: version }));
      }
      for (const reasonCode of [0, 0x10, 0x87, 0x92]) {
        assert.deepEqual(encodeAckFast({ cmd, messageId: id, reasonCode }, 5), mqttPacket.generate({ cmd, messageId: id, reasonCode }, { protocolVersion: 5 }));
      }
      // MQTT 5.0 §3.4.2.1: Success without properties may omit the Reason Code and Property Length.
      assert.deepEqual([...encodeAckFast({ cmd, messageId: id }, 5)!], [...mqttPacket.generate({ cmd, messageId: id, reasonCode: 0 }, { protocolVersion: 5 })]);
    }
  }
  assert.deepEqual([...encodePacket({ cmd: 'pubrel', messageId: 3 }, 4)], [0x62, 0x02, 0x00, 0x03]);
});

test('acknowledgements the fast encoder does not handle go to mqtt-packet', () => {
  assert.equal(encodeAckFast({ cmd: 'puback', messageId: 1, properties: { reasonString: 'why' } }, 5), undefined);
  assert.equal(encodeAckFast({ cmd: 'puback', messageId: 0 }, 4), undefined);
  assert.equal(encodeAckFast({ cmd: 'puback', messageId: 70000 }, 4), undefined);
  assert.equal(encodeAckFast({ cmd: 'pubrel', messageId: 1, dup: true } as Packet, 4), undefined);
  assert.equal(encodeAckFast({ cmd: 'pingresp' }, 4), undefined);
  // With properties the packet still encodes (through mqtt-packet) and decodes back.
  const withReason = encodePacket({ cmd: 'puback', messageId: 9, reasonCode: 0x87, properties: { reasonString: 'no' } }, 5);
  const back = parseWithMqttPacket(withReason, 5) as mqttPacket.IPubackPacket;
  assert.equal(back.reasonCode, 0x87);
  assert.equal(back.properties?.reasonString, 'no');
});

test('3.1/3.1.1 PUBLISH encodes byte for byte as mqtt-packet encodes it', () => {
  let checked = 0;
  for (const topic of ['a', 'root/out', 'ünïcødé/€', 'x'.repeat(200)]) {
    // 0, 1-byte, 2-byte and 3-byte Remaining Lengths.
    for (const payload of [Buffer.alloc(0), Buffer.from('hi'), Buffer.alloc(300, 1), Buffer.alloc(20_000, 2)]) {
      for (const qos of [0, 1, 2] as const) {
        for (const retain of [false, true]) {
          for (const dup of [false, true]) {
            for (const version of [3, 4] as const) {
              const packet = { cmd: 'publish' as const, topic, payload, qos, retain, dup, ...(qos > 0 ? { messageId: 40_000 } : {}) };
              assert.deepEqual(encodePublishFastV4(packet, version), mqttPacket.generate(packet, { protocolVersion: version }));
              checked++;
            }
          }
        }
      }
    }
  }
  assert.ok(checked > 300);
});

test('PUBLISH the fast encoder does not handle goes to mqtt-packet', () => {
  const base = { cmd: 'publish' as const, topic: 't', payload: Buffer.from('p'), qos: 1 as const, retain: false, dup: false, messageId: 1 };
  assert.equal(encodePublishFastV4(base, 5), undefined);
  assert.equal(encodePublishFastV4({ ...base, messageId: undefined }, 4), undefined);
  assert.equal(encodePublishFastV4({ ...base, messageId: 0 }, 4), undefined);
  assert.equal(encodePublishFastV4({ ...base, payload: 'text' }, 4), undefined);
  assert.equal(encodePublishFastV4({ cmd: 'pingreq' }, 4), undefined);
  // A string payload still encodes, through mqtt-packet.
  assert.deepEqual(encodePacket({ ...base, payload: 'text' }, 4), mqttPacket.generate({ ...base, payload: 'text' }, { protocolVersion: 4 }));
});
