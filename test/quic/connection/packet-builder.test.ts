import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveInitialKeys } from '../../../src/quic/crypto/initial.js';
import { createPacketProtector, unprotectPacket } from '../../../src/quic/crypto/packet-protection.js';
import { decodeFrames } from '../../../src/quic/wire/frames.js';
import { splitCoalescedPackets, type ParsedLongHeaderPacket } from '../../../src/quic/wire/header.js';
import { DatagramBuilder, recycleDatagram } from '../../../src/quic/connection/packet-builder.js';

const dcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const scid = Uint8Array.from([9, 9, 9, 9]);
const keys = deriveInitialKeys(dcid);

test('coalesces two packets, pads the last to 1200 bytes, seals both so the peer can open them', () => {
  const b = new DatagramBuilder(1500);
  const write = createPacketProtector(keys.client);
  const p1 = b.startPacket({ long: { type: 'initial', dcid, scid, token: new Uint8Array(0) } }, 'initial', write, 0, -1)!;
  assert.ok(p1.tryWrite({ kind: 'crypto', offset: 0, data: new Uint8Array(100).fill(1) }, { kind: 'crypto', offset: 0, length: 100 }));
  assert.equal(b.commit(p1), true);
  const p2 = b.startPacket({ long: { type: 'handshake', dcid, scid } }, 'handshake', write, 0, -1)!;
  assert.ok(p2.tryWrite({ kind: 'ping' }, { kind: 'ping' }));
  assert.equal(b.commit(p2), true);
  assert.ok(b.padTo(1200));
  const sealed = b.seal()!;
  assert.equal(sealed.data.length, 1200);
  assert.equal(sealed.packets.length, 2);
  assert.equal(sealed.packets[0]!.size + sealed.packets[1]!.size, 1200);
  assert.equal(sealed.packets[1]!.inFlight, true, 'padding counts in flight');
  const data = Uint8Array.from(sealed.data);
  const split = splitCoalescedPackets(data, 8);
  assert.equal(split.packets.length, 2);
  const read = createPacketProtector(keys.client);
  const first = split.packets[0] as ParsedLongHeaderPacket;
  const opened = unprotectPacket(read, data, first.packetStart, first.pnOffset, first.packetEnd, -1)!;
  const frames = decodeFrames(opened.payload, { packetType: 'initial' });
  assert.equal(frames[0]!.kind, 'crypto');
  const second = split.packets[1] as ParsedLongHeaderPacket;
  const opened2 = unprotectPacket(read, data, second.packetStart, second.pnOffset, second.packetEnd, -1)!;
  const frames2 = decodeFrames(opened2.payload, { packetType: 'handshake' });
  assert.equal(frames2[0]!.kind, 'ping');
  assert.ok(frames2.slice(1).every((f) => f.kind === 'padding'));
});

test('an empty packet is not committed and a frame that does not fit is refused', () => {
  const b = new DatagramBuilder(1200);
  const write = createPacketProtector(keys.client);
  const p = b.startPacket({ short: { dcid, keyPhase: 0 } }, 'application', write, 5, 3)!;
  assert.equal(p.tryWrite({ kind: 'stream', streamId: 0, offset: 0, data: new Uint8Array(1300), fin: false }), false);
  assert.equal(p.frameCount, 0);
  assert.equal(b.commit(p), false);
  assert.equal(b.seal(), undefined);
});

test('a tiny packet is padded so the header protection sample fits (RFC 9001 §5.4.2)', () => {
  const b = new DatagramBuilder(1200);
  const write = createPacketProtector(keys.client);
  const p = b.startPacket({ short: { dcid, keyPhase: 1 } }, 'application', write, 0, -1)!;
  p.tryWrite({ kind: 'ping' }, { kind: 'ping' });
  b.commit(p);
  const sealed = b.seal()!;
  // 1 + 8 (dcid) + pn + payload padded to 4 bytes with pn + 16 tag.
  assert.equal(sealed.data.length, 1 + 8 + 4 + 16);
});

test('no packet starts when the datagram has no room for one', () => {
  const b = new DatagramBuilder(30);
  const write = createPacketProtector(keys.client);
  assert.equal(b.startPacket({ long: { type: 'initial', dcid, scid } }, 'initial', write, 0, -1), undefined);
});

test('one open packet at a time', () => {
  const b = new DatagramBuilder(1200);
  const write = createPacketProtector(keys.client);
  b.startPacket({ short: { dcid, keyPhase: 0 } }, 'application', write, 0, -1);
  assert.throws(() => b.startPacket({ short: { dcid, keyPhase: 0 } }, 'application', write, 1, -1), /already open/);
  assert.throws(() => b.seal(), /still open/);
});

/** A one-packet 1-RTT datagram of PING + PADDING filling `size` bytes, sealed with packet number `pn`. */
function pingDatagram(size: number, pn: number): Uint8Array {
  const b = new DatagramBuilder(size);
  const p = b.startPacket({ short: { dcid, keyPhase: 0 } }, 'application', createPacketProtector(keys.client), pn, pn - 1)!;
  p.tryWrite({ kind: 'ping' }, { kind: 'ping' });
  b.commit(p);
  b.padTo(size);
  return b.seal()!.data;
}

test('each sealed datagram owns its bytes: building the next one (through the shared scratch) leaves it intact', () => {
  for (const size of [1200, 16_000]) {
    const first = pingDatagram(size, 1);
    const copy = Uint8Array.from(first);
    const second = pingDatagram(size, 2);
    assert.equal(first.length, size);
    assert.deepEqual(Uint8Array.from(first), copy, `a ${size}-byte datagram changed when the next was built`);
    assert.notDeepEqual(Uint8Array.from(second), copy, 'another packet number seals to other bytes');
  }
});

test('an abandoned builder (packet started, nothing committed) hands the scratch back through discard()', () => {
  const b = new DatagramBuilder(1200);
  const p = b.startPacket({ short: { dcid, keyPhase: 0 } }, 'application', createPacketProtector(keys.client), 0, -1)!;
  assert.equal(b.commit(p), false);
  b.discard();
  b.discard(); // idempotent
  const d = pingDatagram(1200, 3);
  assert.equal(d.length, 1200);
});

test('recycleDatagram: a large datagram handed back is reused for the next one; small and foreign buffers are not kept', () => {
  const big = pingDatagram(20_000, 10);
  recycleDatagram(big);
  const next = pingDatagram(20_000, 11);
  assert.equal(next.buffer, big.buffer, 'the recycled buffer carries the next datagram');
  // Not recycled: the next large datagram gets a buffer of its own.
  const after = pingDatagram(20_000, 12);
  assert.notEqual(after.buffer, next.buffer);
  // Small datagrams live in Node's shared pool (nonzero offset): recycling them is refused, never reused.
  const small = pingDatagram(1200, 13);
  const smallCopy = Uint8Array.from(small);
  recycleDatagram(small);
  pingDatagram(20_000, 14);
  pingDatagram(1200, 15);
  assert.deepEqual(Uint8Array.from(small), smallCopy);
  // The same buffer recycled twice is kept once, so two datagrams can never share it.
  recycleDatagram(after);
  recycleDatagram(after);
  const a = pingDatagram(20_000, 16);
  const b = pingDatagram(20_000, 17);
  assert.notEqual(a.buffer, b.buffer);
});
