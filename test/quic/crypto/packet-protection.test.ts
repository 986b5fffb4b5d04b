import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER_SUITES, derivePacketProtectionKeys, type CipherSuite } from '../../../src/quic/crypto/keys.js';
import {
  applyHeaderProtection,
  createPacketProtector,
  encryptionLevelOf,
  protectPacket,
  removeHeaderProtection,
  unprotectPacket,
} from '../../../src/quic/crypto/packet-protection.js';
import { deriveInitialKeys } from '../../../src/quic/crypto/initial.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { InvalidPacketError, QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { finishLongHeader, parsePacket, writeLongHeader, writeShortHeader } from '../../../src/quic/wire/header.js';
import { decodeFrames, encodeFrame } from '../../../src/quic/wire/frames.js';
import { hex, loadVectors } from '../../helpers/vectors.js';

const DCID = hex('0102030405060708');
const keysFor = (suite: CipherSuite) => derivePacketProtectionKeys(suite, Buffer.alloc(suite.hash === 'sha256' ? 32 : 48, 0x5a));

/** A 1-RTT packet carrying one STREAM frame of `dataLength` bytes, protected; returns the datagram. */
function shortPacket(suite: CipherSuite, pn: number, dataLength: number, firstByteExtra = 0): Uint8Array {
  const buf = new Uint8Array(1500);
  const w = new BufferWriter(buf);
  const pnOffset = writeShortHeader(w, { dcid: DCID, keyPhase: 1, packetNumber: pn, packetNumberLength: 4 });
  buf[0]! |= firstByteExtra;
  encodeFrame(w, { kind: 'stream', streamId: 0, offset: 0, data: new Uint8Array(dataLength).fill(0xab), fin: false, hasLength: false });
  const end = protectPacket(createPacketProtector(keysFor(suite)), buf, 0, pnOffset, 4, w.offset, pn);
  return buf.subarray(0, end);
}

test('seal then open round-trips for every suite, packet numbers beyond 2^32 included', () => {
  for (const suite of Object.values(CIPHER_SUITES)) {
    for (const pn of [0, 1, 0x1_0000_0005, 2 ** 52 + 3]) {
      const pkt = shortPacket(suite, pn, 1000);
      const p = parsePacket(pkt, 0, 8);
      if (p.type !== '1rtt') throw new Error('1rtt expected');
      const opened = unprotectPacket(createPacketProtector(keysFor(suite)), pkt, 0, p.pnOffset, p.packetEnd, pn - 1);
      assert.ok(opened, `${suite.name} pn ${pn}`);
      assert.equal(opened.packetNumber, pn);
      assert.equal(opened.keyPhase, 1);
      const [frame] = decodeFrames(opened.payload, { packetType: '1rtt' });
      assert.ok(frame?.kind === 'stream' && frame.data.length === 1000 && frame.data.every((b) => b === 0xab));
    }
  }
});

test('different packet numbers give different ciphertexts (nonce = iv XOR pn)', () => {
  const suite = CIPHER_SUITES.TLS_AES_128_GCM_SHA256;
  const a = shortPacket(suite, 1, 50);
  const b = shortPacket(suite, 2, 50);
  assert.notDeepEqual(a.subarray(13), b.subarray(13));
});

test('header protection hides the packet number and low first-byte bits, and removal restores them', () => {
  for (const suite of Object.values(CIPHER_SUITES)) {
    const p = createPacketProtector(keysFor(suite));
    const buf = new Uint8Array(64).fill(0x11);
    const w = new BufferWriter(buf);
    const pnOffset = writeShortHeader(w, { dcid: DCID, spinBit: 1, keyPhase: 1, packetNumber: 0x01020304, packetNumberLength: 4 });
    const original = Uint8Array.from(buf);
    applyHeaderProtection(p, buf, 0, pnOffset, 4, 64);
    assert.equal(buf[0]! & 0xe0, original[0]! & 0xe0, 'form, fixed and spin bits are not protected');
    assert.notDeepEqual(buf.subarray(0, 13), original.subarray(0, 13));
    const h = removeHeaderProtection(p, buf, 0, pnOffset, 64);
    assert.deepEqual(buf, original);
    assert.equal(h.packetNumberLength, 4);
    assert.equal(h.truncatedPacketNumber, 0x01020304);
    assert.equal(h.headerEnd, pnOffset + 4);
  }
});

test('a packet too short to sample is an InvalidPacketError; sealing one is refused', () => {
  const p = createPacketProtector(keysFor(CIPHER_SUITES.TLS_AES_128_GCM_SHA256));
  assert.throws(() => removeHeaderProtection(p, new Uint8Array(20), 0, 1, 20), InvalidPacketError);
  const buf = new Uint8Array(40);
  const pnOffset = writeShortHeader(new BufferWriter(buf), { dcid: new Uint8Array(0), keyPhase: 0, packetNumber: 1, packetNumberLength: 1 });
  assert.throws(() => protectPacket(p, buf, 0, pnOffset, 1, 4, 1), (e: unknown) => e instanceof QuicError && e.code === TransportErrorCode.INTERNAL_ERROR);
  assert.throws(() => p.seal(buf, 0, 2, 30, 1), QuicError, 'no room for the tag');
  assert.equal(p.open(buf, 0, 30, 20, 1), null);
  assert.throws(() => p.headerProtectionMask(new Uint8Array(15)), QuicError);
});

test('an authenticated packet with reserved bits set is PROTOCOL_VIOLATION (RFC 9000 §17.3.1)', () => {
  const suite = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;
  const pkt = shortPacket(suite, 5, 30, 0x18);
  const p = parsePacket(pkt, 0, 8);
  if (p.type !== '1rtt') throw new Error('1rtt expected');
  assert.throws(
    () => unprotectPacket(createPacketProtector(keysFor(suite)), pkt, 0, p.pnOffset, p.packetEnd, 4),
    (e: unknown) => e instanceof QuicError && !(e instanceof InvalidPacketError) && e.code === TransportErrorCode.PROTOCOL_VIOLATION,
  );
});

test('a long header packet inside a coalesced datagram is protected at its own offset', () => {
  const keys = deriveInitialKeys(DCID);
  const buf = new Uint8Array(300);
  buf.fill(0xee, 0, 50); // stands for a previous packet in the datagram
  const w = new BufferWriter(buf, 50);
  const layout = writeLongHeader(w, { type: 'handshake', version: 1, dcid: DCID, scid: hex('aa'), packetNumber: 3, packetNumberLength: 1 });
  encodeFrame(w, { kind: 'crypto', offset: 0, data: new Uint8Array(40).fill(1) });
  finishLongHeader(w, layout, 16);
  const end = protectPacket(createPacketProtector(keys.server), buf, 50, layout.pnOffset, 1, w.offset, 3);
  const p = parsePacket(buf.subarray(0, end), 50, 8);
  if (p.type !== 'handshake') throw new Error('handshake expected');
  assert.equal(p.packetEnd, end);
  const opened = unprotectPacket(createPacketProtector(keys.server), buf, 50, p.pnOffset, p.packetEnd, 2);
  assert.equal(opened?.packetNumber, 3);
  assert.equal(opened?.keyPhase, undefined);
  assert.ok(buf.subarray(0, 50).every((b) => b === 0xee), 'the previous packet is untouched');
});

test('opening mutated protected packets returns null or throws only QuicError (seeded, bounded)', () => {
  const v = loadVectors<{ A2_client_initial: { protected_packet: string } }>('rfc9001-appendix-a.json');
  const keys = deriveInitialKeys(hex('8394c8f03e515708'));
  const original = hex(v.A2_client_initial.protected_packet);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  let opened = 0;
  for (let i = 0; i < 150; i++) {
    const pkt = Uint8Array.from(original);
    pkt[rand(pkt.length)]! ^= 1 << rand(8);
    try {
      const p = parsePacket(pkt, 0, 8);
      if (p.type === 'initial' || p.type === 'handshake' || p.type === '0rtt' || p.type === '1rtt') {
        if (unprotectPacket(createPacketProtector(keys.client), pkt, 0, p.pnOffset, p.packetEnd, -1) !== null) opened++;
      }
    } catch (e) {
      assert.ok(e instanceof QuicError, String(e));
    }
  }
  assert.equal(opened, 0, 'no altered packet authenticates');
});

test('encryption level of each packet type (RFC 9001 §4)', () => {
  assert.equal(encryptionLevelOf('initial'), 'initial');
  assert.equal(encryptionLevelOf('0rtt'), 'early_data');
  assert.equal(encryptionLevelOf('handshake'), 'handshake');
  assert.equal(encryptionLevelOf('1rtt'), 'application');
});
