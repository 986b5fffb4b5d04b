import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { InvalidPacketError, QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  buildRetryWithoutTag,
  buildVersionNegotiation,
  checkReservedBits,
  finishLongHeader,
  keyPhaseOf,
  packetNumberLengthOf,
  parseInvariantHeader,
  parsePacket,
  QUIC_VERSION_1,
  spinBitOf,
  splitCoalescedPackets,
  writeLongHeader,
  writeShortHeader,
  type LongHeaderFields,
} from '../../../src/quic/wire/header.js';
import { hex, toHex } from '../../helpers/vectors.js';

const DCID = hex('0102030405060708');
const SCID = hex('a1a2a3a4');
const isInvalid = (e: unknown) => e instanceof InvalidPacketError && e.code === TransportErrorCode.PROTOCOL_VIOLATION;

/** A long header packet with `payloadLength` payload bytes (payload includes the would-be tag). */
function longPacket(fields: Partial<LongHeaderFields> & Pick<LongHeaderFields, 'type'>, payloadLength: number): Uint8Array {
  const w = new BufferWriter();
  const layout = writeLongHeader(w, { version: QUIC_VERSION_1, dcid: DCID, scid: SCID, packetNumber: 7, packetNumberLength: 2, ...fields });
  w.zeros(payloadLength);
  finishLongHeader(w, layout, 0);
  return w.view().slice();
}

test('long header packets of each type round-trip through parsePacket', () => {
  for (const type of ['initial', '0rtt', 'handshake'] as const) {
    const token = type === 'initial' ? hex('deadbeef') : undefined;
    const pkt = longPacket({ type, ...(token ? { token } : {}) }, 30);
    const p = parsePacket(pkt, 0, 8);
    assert.equal(p.type, type);
    if (p.type !== type) continue;
    assert.equal(p.version, QUIC_VERSION_1);
    assert.equal(toHex(p.dcid), toHex(DCID));
    assert.equal(toHex(p.scid), toHex(SCID));
    assert.equal(toHex(p.token), token ? 'deadbeef' : '');
    assert.equal(p.packetEnd, pkt.length);
    assert.equal(pkt[p.pnOffset + 1], 7);
    assert.equal(packetNumberLengthOf(pkt[0]!), 2);
  }
  assert.throws(() => writeLongHeader(new BufferWriter(), { type: 'handshake', version: 1, dcid: DCID, scid: SCID, token: hex('01'), packetNumber: 0, packetNumberLength: 1 }), QuicError);
});

test('short header: spin bit, key phase, DCID of the length the endpoint issued', () => {
  const w = new BufferWriter();
  const pnOffset = writeShortHeader(w, { dcid: DCID, spinBit: 1, keyPhase: 1, packetNumber: 0x1234, packetNumberLength: 2 });
  w.zeros(20);
  const pkt = w.view();
  assert.equal(pkt[0], 0x40 | 0x20 | 0x04 | 0x01);
  assert.equal(spinBitOf(pkt[0]!), 1);
  assert.equal(keyPhaseOf(pkt[0]!), 1);
  const p = parsePacket(pkt, 0, 8);
  assert.equal(p.type, '1rtt');
  assert.equal(toHex(p.dcid), toHex(DCID));
  if (p.type === '1rtt') assert.equal(p.pnOffset, pnOffset);
  assert.deepEqual(parseInvariantHeader(pkt, 8), { form: 'short', dcid: p.dcid });
});

test('invariant header routes any version, including long connection IDs (RFC 8999)', () => {
  const pkt = Buffer.concat([hex('c0'), hex('1a2a3a4a'), Uint8Array.of(30), new Uint8Array(30).fill(7), Uint8Array.of(0)]);
  const h = parseInvariantHeader(pkt, 8);
  assert.equal(h.form, 'long');
  assert.equal(h.version, 0x1a2a3a4a);
  assert.equal(h.dcid.length, 30);
  assert.throws(() => parseInvariantHeader(pkt.subarray(0, 10), 8), isInvalid);
  assert.throws(() => parsePacket(pkt, 0, 8), isInvalid, 'unsupported version is not parsed as v1');
});

test('Version Negotiation build and parse (RFC 9000 §17.2.1)', () => {
  const vn = buildVersionNegotiation(SCID, DCID, [QUIC_VERSION_1, 0x0a0a0a0a], 0x55);
  assert.equal(toHex(vn), 'd5' + '00000000' + '04a1a2a3a4' + '080102030405060708' + '00000001' + '0a0a0a0a');
  const p = parsePacket(vn, 0, 0);
  assert.equal(p.type, 'version_negotiation');
  if (p.type !== 'version_negotiation') return;
  assert.deepEqual(p.supportedVersions, [1, 0x0a0a0a0a]);
  assert.equal(toHex(p.dcid), toHex(SCID));
  assert.equal(toHex(p.scid), toHex(DCID));
  assert.throws(() => parsePacket(vn.subarray(0, vn.length - 1), 0, 0), isInvalid, 'list not a multiple of 4');
  assert.throws(() => parsePacket(vn.subarray(0, vn.length - 8), 0, 0), isInvalid, 'empty list');
  assert.throws(() => buildVersionNegotiation(DCID, SCID, []), QuicError);
  assert.throws(() => buildVersionNegotiation(new Uint8Array(256), SCID, [1]), QuicError);
});

test('Retry packet: token and tag split, too short is invalid', () => {
  const body = buildRetryWithoutTag(QUIC_VERSION_1, DCID, SCID, hex('aabbcc'), 3);
  assert.equal(body[0], 0xf3);
  const pkt = Buffer.concat([body, new Uint8Array(16).fill(9)]);
  const p = parsePacket(pkt, 0, 0);
  assert.equal(p.type, 'retry');
  if (p.type === 'retry') {
    assert.equal(toHex(p.token), 'aabbcc');
    assert.equal(toHex(p.integrityTag), '09'.repeat(16));
  }
  assert.throws(() => parsePacket(body, 0, 0), isInvalid);
  // RFC 9000 §17.2.5.2: a Retry with an empty token is discarded.
  const emptyToken = Buffer.concat([hex('f000000001'), Uint8Array.of(0), Uint8Array.of(1), hex('aa'), new Uint8Array(16)]);
  assert.throws(() => parsePacket(emptyToken, 0, 0), isInvalid);
});

test('malformed headers are InvalidPacketError (discard), never other errors', () => {
  const initial = longPacket({ type: 'initial' }, 30);
  const noFixed = Uint8Array.from(initial);
  noFixed[0]! &= ~0x40;
  assert.throws(() => parsePacket(noFixed, 0, 8), isInvalid, 'long header fixed bit 0');
  assert.throws(() => parsePacket(Uint8Array.from([0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, 8), isInvalid, 'short header fixed bit 0');
  const longCid = Buffer.concat([hex('c000000001'), Uint8Array.of(21), new Uint8Array(21), Uint8Array.of(0), hex('00'), hex('01'), hex('00')]);
  assert.throws(() => parsePacket(longCid, 0, 8), isInvalid, 'CID > 20 in v1');
  const overLength = Uint8Array.from(initial.subarray(0, initial.length - 1));
  assert.throws(() => parsePacket(overLength, 0, 8), isInvalid, 'Length beyond the datagram');
  for (let cut = 0; cut < initial.length - 30; cut++) {
    assert.throws(() => parsePacket(initial.subarray(0, cut), 0, 8), isInvalid, `truncated at ${cut}`);
  }
  assert.throws(() => parsePacket(Uint8Array.from([0x40, 1, 2]), 0, 8), isInvalid, 'short header shorter than its DCID');
});

test('reserved bits after header protection removal: non-zero is PROTOCOL_VIOLATION', () => {
  checkReservedBits(0xc3);
  checkReservedBits(0x43 | 0x20 | 0x04);
  for (const bad of [0xc0 | 0x04, 0xc0 | 0x08, 0x40 | 0x08, 0x40 | 0x10]) {
    assert.throws(() => checkReservedBits(bad), (e: unknown) => e instanceof QuicError && !(e instanceof InvalidPacketError) && e.code === TransportErrorCode.PROTOCOL_VIOLATION);
  }
});

test('coalesced datagram: Initial + Handshake + 1-RTT split by Length (RFC 9000 §12.2)', () => {
  const a = longPacket({ type: 'initial', token: hex('01') }, 40);
  const b = longPacket({ type: 'handshake' }, 25);
  const w = new BufferWriter();
  writeShortHeader(w, { dcid: DCID, keyPhase: 0, packetNumber: 1, packetNumberLength: 1 });
  w.zeros(30);
  const c = w.view();
  const datagram = Buffer.concat([a, b, c]);
  const { packets, ignoredBytes } = splitCoalescedPackets(datagram, 8);
  assert.deepEqual(packets.map((p) => p.type), ['initial', 'handshake', '1rtt']);
  assert.deepEqual(packets.map((p) => [p.packetStart, p.packetEnd]), [[0, a.length], [a.length, a.length + b.length], [a.length + b.length, datagram.length]]);
  assert.equal(ignoredBytes, 0);
});

test('coalesced datagram: a different DCID or trailing junk ends the split; a bad first packet throws', () => {
  const a = longPacket({ type: 'initial' }, 40);
  const other = (() => {
    const w = new BufferWriter();
    const l = writeLongHeader(w, { type: 'handshake', version: 1, dcid: hex('ffff'), scid: SCID, packetNumber: 0, packetNumberLength: 1 });
    w.zeros(20);
    finishLongHeader(w, l, 0);
    return w.view();
  })();
  const r1 = splitCoalescedPackets(Buffer.concat([a, other]), 8);
  assert.equal(r1.packets.length, 1);
  assert.equal(r1.ignoredBytes, other.length);
  // Zero bytes after a packet (a sender padding with junk) parse as a fixed-bit-0 short header: ignored.
  const r2 = splitCoalescedPackets(Buffer.concat([a, new Uint8Array(17)]), 8);
  assert.equal(r2.packets.length, 1);
  assert.equal(r2.ignoredBytes, 17);
  assert.throws(() => splitCoalescedPackets(new Uint8Array(17), 8), isInvalid);
  assert.deepEqual(splitCoalescedPackets(new Uint8Array(0), 8), { packets: [], ignoredBytes: 0 });
});
