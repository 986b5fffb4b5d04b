// RFC 9001 Appendix A: every sample packet rebuilt byte for byte and parsed/decrypted back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex, loadVectors, toHex } from '../../helpers/vectors.js';
import { deriveInitialKeys, deriveInitialSecrets } from '../../../src/quic/crypto/initial.js';
import { CIPHER_SUITES, derivePacketProtectionKeys, nextTrafficSecret } from '../../../src/quic/crypto/keys.js';
import { createPacketProtector, protectPacket, unprotectPacket } from '../../../src/quic/crypto/packet-protection.js';
import { buildRetryPacket, computeRetryIntegrityTag, verifyParsedRetry, verifyRetryIntegrity } from '../../../src/quic/crypto/retry.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { finishLongHeader, parsePacket, QUIC_VERSION_1, writeLongHeader, writeShortHeader } from '../../../src/quic/wire/header.js';
import { decodeFrames, encodeFrame, type Frame } from '../../../src/quic/wire/frames.js';

interface Vectors {
  A1_keys: Record<string, string>;
  A2_client_initial: Record<string, string | number>;
  A3_server_initial: Record<string, string | number>;
  A4_retry: Record<string, string>;
  A5_chacha20_short_header: Record<string, string | number>;
}
const v = loadVectors<Vectors>('rfc9001-appendix-a.json');
const s = (x: string | number | undefined): string => String(x);
const EMPTY = new Uint8Array(0);

test('A.1: initial secrets and keys for both directions', () => {
  const a = v.A1_keys;
  const dcid = hex(a.client_dcid!);
  const secrets = deriveInitialSecrets(dcid);
  assert.equal(toHex(secrets.client), a.client_initial_secret);
  assert.equal(toHex(secrets.server), a.server_initial_secret);
  const keys = deriveInitialKeys(dcid);
  assert.equal(toHex(keys.client.key), a.client_key);
  assert.equal(toHex(keys.client.iv), a.client_iv);
  assert.equal(toHex(keys.client.hp), a.client_hp);
  assert.equal(toHex(keys.server.key), a.server_key);
  assert.equal(toHex(keys.server.iv), a.server_iv);
  assert.equal(toHex(keys.server.hp), a.server_hp);
});

test('A.1: a version without an initial salt is refused', () => {
  assert.throws(() => deriveInitialSecrets(hex(v.A1_keys.client_dcid!), 0xff00001d), { name: 'QuicError' });
});

test('A.2: client Initial built byte-exact, then parsed and decrypted back', () => {
  const a = v.A2_client_initial;
  const dcid = hex(v.A1_keys.client_dcid!);
  const keys = deriveInitialKeys(dcid);
  const datagram = new Uint8Array(1200);
  const w = new BufferWriter(datagram);
  const layout = writeLongHeader(w, {
    type: 'initial',
    version: QUIC_VERSION_1,
    dcid,
    scid: EMPTY,
    token: EMPTY,
    packetNumber: Number(a.packet_number),
    packetNumberLength: 4,
  });
  const payloadStart = w.offset;
  const crypto = hex(s(a.crypto_frame));
  // The vector's CRYPTO frame, decoded and re-encoded with our encoder (proves the frame codec too).
  const [frame] = decodeFrames(crypto);
  assert.equal(frame?.kind, 'crypto');
  encodeFrame(w, frame as Frame);
  assert.equal(toHex(datagram.subarray(payloadStart, w.offset)), toHex(crypto));
  // RFC 9000 §14.1: pad the datagram to 1200 bytes; the tag takes the last 16.
  w.zeros(1200 - 16 - w.offset);
  assert.equal(w.offset - payloadStart, Number(a.payload_length_after_padding));
  finishLongHeader(w, layout, 16);
  assert.equal(toHex(datagram.subarray(0, layout.pnOffset + 4)), a.unprotected_header);
  const end = protectPacket(createPacketProtector(keys.client), datagram, 0, layout.pnOffset, 4, w.offset, Number(a.packet_number));
  assert.equal(end, 1200);
  assert.equal(toHex(datagram), a.protected_packet);

  // The server side: parse the header, remove protection, decrypt, decode.
  const received = hex(s(a.protected_packet));
  const parsed = parsePacket(received, 0, 0);
  assert.equal(parsed.type, 'initial');
  if (parsed.type !== 'initial') return;
  assert.equal(toHex(parsed.dcid), v.A1_keys.client_dcid);
  assert.equal(parsed.scid.length, 0);
  assert.equal(parsed.token.length, 0);
  assert.equal(parsed.packetEnd, 1200);
  const opened = unprotectPacket(createPacketProtector(keys.client), received, 0, parsed.pnOffset, parsed.packetEnd, -1);
  assert.ok(opened);
  assert.equal(opened.packetNumber, 2);
  assert.equal(toHex(received.subarray(0, parsed.pnOffset + 4)), a.unprotected_header);
  const frames = decodeFrames(opened.payload, { packetType: 'initial', receiver: 'server' });
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0], frame);
  assert.deepEqual(frames[1], { kind: 'padding', length: 1162 - crypto.length });
});

test('A.3: server Initial built byte-exact, then parsed and decrypted back', () => {
  const a = v.A3_server_initial;
  const keys = deriveInitialKeys(hex(v.A1_keys.client_dcid!));
  const payload = hex(s(a.payload));
  const buf = new Uint8Array(200);
  const w = new BufferWriter(buf);
  const layout = writeLongHeader(w, {
    type: 'initial',
    version: QUIC_VERSION_1,
    dcid: EMPTY,
    scid: hex(s(a.scid)),
    packetNumber: 1,
    packetNumberLength: 2,
  });
  for (const f of decodeFrames(payload)) encodeFrame(w, f);
  finishLongHeader(w, layout, 16);
  assert.equal(toHex(buf.subarray(0, layout.pnOffset + 2)), a.unprotected_header);
  assert.equal(toHex(buf.subarray(layout.pnOffset + 2, w.offset)), a.payload);
  const end = protectPacket(createPacketProtector(keys.server), buf, 0, layout.pnOffset, 2, w.offset, 1);
  assert.equal(toHex(buf.subarray(0, end)), a.protected_packet);

  const received = hex(s(a.protected_packet));
  const parsed = parsePacket(received, 0, 0);
  assert.equal(parsed.type, 'initial');
  if (parsed.type !== 'initial') return;
  assert.equal(toHex(parsed.scid), a.scid);
  const opened = unprotectPacket(createPacketProtector(keys.server), received, 0, parsed.pnOffset, parsed.packetEnd, -1);
  assert.ok(opened);
  assert.equal(opened.packetNumber, 1);
  assert.equal(toHex(opened.payload), a.payload);
  const frames = decodeFrames(opened.payload, { packetType: 'initial', receiver: 'client' });
  assert.deepEqual(
    frames.map((f) => f.kind),
    ['ack', 'crypto'],
  );
  assert.deepEqual(frames[0], { kind: 'ack', ranges: [{ smallest: 0, largest: 0 }], ackDelay: 0 });
});

test('A.3: the wrong key or a flipped bit fails to open and leaves the packet as received', () => {
  const a = v.A3_server_initial;
  const keys = deriveInitialKeys(hex(v.A1_keys.client_dcid!));
  const received = hex(s(a.protected_packet));
  const parsed = parsePacket(received, 0, 0);
  if (parsed.type !== 'initial') throw new Error('expected Initial');
  const wrong = createPacketProtector(keys.client);
  assert.equal(unprotectPacket(wrong, received, 0, parsed.pnOffset, parsed.packetEnd, -1), null);
  assert.equal(toHex(received), a.protected_packet);
  assert.equal(wrong.failedOpens, 1);
  received[received.length - 20]! ^= 0x01;
  assert.equal(unprotectPacket(createPacketProtector(keys.server), received, 0, parsed.pnOffset, parsed.packetEnd, -1), null);
});

test('A.4: Retry integrity tag computed, packet built byte-exact, verified and rejected when altered', () => {
  const a = v.A4_retry;
  const odcid = hex(a.odcid!);
  const packet = hex(a.retry_packet!);
  const body = packet.subarray(0, packet.length - 16);
  assert.equal(toHex(computeRetryIntegrityTag(odcid, body)), a.integrity_tag);
  const built = buildRetryPacket(odcid, { dcid: EMPTY, scid: hex(a.retry_scid!), token: hex(a.retry_token!), unusedBits: 0x0f });
  assert.equal(toHex(built), a.retry_packet);
  assert.equal(verifyRetryIntegrity(odcid, packet), true);
  const parsed = parsePacket(packet, 0, 0);
  assert.equal(parsed.type, 'retry');
  if (parsed.type !== 'retry') return;
  assert.equal(toHex(parsed.token), a.retry_token);
  assert.equal(toHex(parsed.scid), a.retry_scid);
  assert.equal(toHex(parsed.integrityTag), a.integrity_tag);
  assert.equal(verifyParsedRetry(odcid, packet, parsed), true);
  // Another original DCID, a flipped token bit, a truncated packet: all rejected.
  assert.equal(verifyRetryIntegrity(hex('0011223344556677'), packet), false);
  const altered = Buffer.from(packet);
  altered[20]! ^= 0x80;
  assert.equal(verifyRetryIntegrity(odcid, altered), false);
  assert.equal(verifyRetryIntegrity(odcid, packet.subarray(0, 10)), false);
  assert.throws(() => buildRetryPacket(odcid, { dcid: EMPTY, scid: hex(a.retry_scid!), token: EMPTY }), { name: 'QuicError' });
});

test('A.5: ChaCha20-Poly1305 short header packet byte-exact both ways, and the key update secret', () => {
  const a = v.A5_chacha20_short_header;
  const suite = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;
  const secret = hex(s(a.secret));
  const keys = derivePacketProtectionKeys(suite, secret);
  assert.equal(toHex(keys.key), a.key);
  assert.equal(toHex(keys.iv), a.iv);
  assert.equal(toHex(keys.hp), a.hp);
  assert.equal(toHex(nextTrafficSecret(suite, secret)), a.ku);
  const pn = Number(a.packet_number);
  const buf = new Uint8Array(21);
  const w = new BufferWriter(buf);
  const pnOffset = writeShortHeader(w, { dcid: EMPTY, keyPhase: 0, packetNumber: pn, packetNumberLength: 3 });
  assert.equal(toHex(buf.subarray(0, w.offset)), a.unprotected_header);
  encodeFrame(w, { kind: 'ping' });
  assert.equal(toHex(buf.subarray(4, 5)), a.payload_plaintext);
  const p = createPacketProtector(keys);
  const end = protectPacket(p, buf, 0, pnOffset, 3, w.offset, pn);
  assert.equal(end, 21);
  assert.equal(toHex(buf), a.protected_packet);
  assert.equal(p.sealedPackets, 1);

  const received = hex(s(a.protected_packet));
  const parsed = parsePacket(received, 0, 0);
  assert.equal(parsed.type, '1rtt');
  if (parsed.type !== '1rtt') return;
  const opened = unprotectPacket(createPacketProtector(keys), received, 0, parsed.pnOffset, parsed.packetEnd, pn - 1);
  assert.ok(opened);
  assert.equal(opened.packetNumber, pn);
  assert.equal(opened.keyPhase, 0);
  assert.equal(toHex(opened.payload), a.payload_plaintext);
  assert.equal(toHex(received.subarray(0, 4)), a.unprotected_header);
});
