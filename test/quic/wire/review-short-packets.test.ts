// Review: packets too short to carry a header protection sample (RFC 9001 §5.4.2) must be discarded,
// never turned into a connection error. Anyone who sees a connection ID can send such a datagram, so
// letting it close the connection would be an off-path denial of service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { InvalidPacketError } from '../../../src/quic/wire/errors.js';
import {
  finishLongHeader,
  MIN_PROTECTED_PACKET_PAYLOAD,
  parsePacket,
  QUIC_VERSION_1,
  splitCoalescedPackets,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/wire/header.js';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR } from '../connection/sim-node.js';
import { createPacketProtector, createPlaintextProtector, removeHeaderProtection } from '../../../src/quic/crypto/packet-protection.js';
import { deriveInitialKeys } from '../../../src/quic/crypto/initial.js';
import { CIPHER_SUITES } from '../../../src/quic/crypto/keys.js';

const DCID = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const SCID = Uint8Array.from([9, 9, 9, 9]);

function shortHeaderPacket(dcid: Uint8Array, bytesAfterPnOffset: number): Uint8Array {
  const w = new BufferWriter();
  const pnOffset = writeShortHeader(w, { dcid, keyPhase: 0, packetNumber: 0, packetNumberLength: 1 });
  w.zeros(bytesAfterPnOffset - (w.offset - pnOffset));
  return w.view();
}

function handshakePacket(bytesAfterPnOffset: number): Uint8Array {
  const w = new BufferWriter();
  const layout = writeLongHeader(w, { type: 'handshake', version: QUIC_VERSION_1, dcid: DCID, scid: SCID, packetNumber: 0, packetNumberLength: 1 });
  w.zeros(bytesAfterPnOffset - 1);
  finishLongHeader(w, layout, 0);
  return w.view();
}

test('a 1-RTT packet too short to sample is an InvalidPacketError when its header protection is removed (discard)', () => {
  assert.equal(MIN_PROTECTED_PACKET_PAYLOAD, 4 + 16);
  // The parser leaves the sample check to header protection removal: unprotected 1-RTT packets
  // (draft-banks-quic-disable-encryption) have no sample. It still needs a packet number.
  const short = parsePacket(shortHeaderPacket(DCID, 19), 0, DCID.length);
  assert.equal(short.type, '1rtt');
  assert.throws(() => parsePacket(shortHeaderPacket(DCID, 19).subarray(0, 1 + DCID.length), 0, DCID.length), InvalidPacketError);
  const protector = createPacketProtector(deriveInitialKeys(DCID).client);
  const bytes = shortHeaderPacket(DCID, 19);
  assert.throws(() => removeHeaderProtection(protector, bytes, 0, 1 + DCID.length, bytes.length), InvalidPacketError);
  const ok = shortHeaderPacket(DCID, 20);
  assert.equal(removeHeaderProtection(protector, ok, 0, 1 + DCID.length, ok.length).headerEnd > 0, true);
  // Unprotected packets carry no sample: the packet number is read as it is.
  const plain = shortHeaderPacket(DCID, 3);
  assert.equal(removeHeaderProtection(createPlaintextProtector(CIPHER_SUITES.TLS_AES_128_GCM_SHA256), plain, 0, 1 + DCID.length, plain.length).truncatedPacketNumber, 0);
});

test('a long header packet whose Length cannot hold a sample is an InvalidPacketError; a coalesced one ends the split', () => {
  assert.throws(() => parsePacket(handshakePacket(19), 0, DCID.length), InvalidPacketError);
  assert.equal(parsePacket(handshakePacket(20), 0, DCID.length).type, 'handshake');
  const good = handshakePacket(40);
  const bad = handshakePacket(5);
  const split = splitCoalescedPackets(Buffer.concat([good, bad]), DCID.length);
  assert.equal(split.packets.length, 1);
  assert.equal(split.ignoredBytes, bad.length);
});

test('an established connection ignores a 1-RTT datagram too short to sample (no close)', () => {
  const p = makePair();
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  const server = p.server.connection;
  assert.equal(server.state, 'established');
  const serverCid = p.server.eventsOf('cid-issued')[0]!.cid;
  for (const size of [1, 5, 10, 19]) {
    server.receive(shortHeaderPacket(serverCid, size), { local: SERVER_ADDR, remote: CLIENT_ADDR }, p.net.now);
    assert.equal(server.state, 'established', `a ${size}-byte tail must be dropped`);
  }
});

test('a stateless reset shorter than a sampleable packet is still detected (RFC 9000 §10.3.1)', () => {
  const p = makePair();
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  const client = p.client.connection;
  const issued = p.server.eventsOf('cid-issued')[0]!;
  // 25 bytes: a valid reset size (at least 21, RFC 9000 §10.3) yet too short to be a sampleable 1-RTT
  // packet for this connection ID (1 + ID + 4 + 16 bytes, RFC 9001 §5.4.2).
  const size = 25;
  assert.ok(size < 1 + issued.cid.length + 4 + 16);
  const reset = new Uint8Array(size).fill(0x55);
  reset[0] = 0x40 | 0x15;
  reset.set(issued.statelessResetToken, size - issued.statelessResetToken.length);
  client.receive(reset, { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now);
  assert.equal(client.state, 'draining');
  p.net.run({ until: p.net.now + 5000, done: () => p.client.has('closed') });
  assert.equal(p.client.eventsOf('closed')[0]?.info.cause, 'stateless-reset');
});
