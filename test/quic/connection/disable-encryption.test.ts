// draft-banks-quic-disable-encryption: 1-RTT packets without packet protection once both endpoints send
// the disable_1rtt_encryption transport parameter (0xBAAD, as msquic sends it); the handshake itself stays
// protected, and one side alone changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransportParameters, encodeTransportParameters } from '../../../src/quic/wire/transport-parameters.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { makePair, runHandshake, transfer, SERVER_ADDR, CLIENT_ADDR } from './sim-node.js';

/** A marker that cannot appear by chance in ciphertext of this size. */
const MARKER = Buffer.from('quicmq-plaintext-marker-0123456789abcdef');

function payloadWithMarkers(size: number): Uint8Array {
  const out = Buffer.alloc(size);
  for (let at = 0; at + MARKER.length <= size; at += 1000) MARKER.copy(out, at);
  return new Uint8Array(out);
}

function run(clientOffers: boolean, serverOffers: boolean) {
  const p = makePair({
    seed: 41,
    link: { delayMs: 5 },
    client: { transport: { disable1RttEncryption: clientOffers } },
    server: { transport: { disable1RttEncryption: serverOffers } },
  });
  let markersSeen = 0;
  let shortHeaderDatagrams = 0;
  let handshakeMarkers = 0;
  p.net.tap = (d) => {
    const b = Buffer.from(d.data);
    if ((b[0]! & 0x80) === 0) shortHeaderDatagrams++;
    else if (b.includes('localhost')) handshakeMarkers++; // the SNI would be visible in a plaintext ClientHello
    if (b.includes(MARKER)) markersSeen++;
    return d.data;
  };
  runHandshake(p);
  const data = payloadWithMarkers(200_000);
  const r = transfer(p, data);
  return { p, r, data, markersSeen, shortHeaderDatagrams, handshakeMarkers };
}

test('disable_1rtt_encryption is a zero-length transport parameter; a value is TRANSPORT_PARAMETER_ERROR', () => {
  const encoded = encodeTransportParameters({ disable1RttEncryption: true, initialSourceConnectionId: new Uint8Array(4) }, 'client');
  assert.equal(decodeTransportParameters(encoded, 'client').disable1RttEncryption, true);
  assert.equal(decodeTransportParameters(encodeTransportParameters({ initialSourceConnectionId: new Uint8Array(4) }, 'client'), 'client').disable1RttEncryption, undefined);
  const w = new BufferWriter();
  w.varint(0xbaad).varint(1).u8(1);
  assert.throws(() => decodeTransportParameters(w.view(), 'client'), (e: unknown) => e instanceof QuicError && e.code === TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
});

test('both endpoints offer it: 1-RTT stream data travels in the clear, byte-exact, and both sides report it', () => {
  const { p, r, data, markersSeen, shortHeaderDatagrams } = run(true, true);
  assert.equal(r.finished, true);
  assert.deepEqual(r.received, data);
  assert.equal(p.client.connection.oneRttEncryptionDisabled, true);
  assert.equal((p.server.connection as { oneRttEncryptionDisabled: boolean }).oneRttEncryptionDisabled, true);
  assert.ok(shortHeaderDatagrams > 10);
  assert.ok(markersSeen > 10, `the payload is readable on the wire (${markersSeen} datagrams showed it)`);
});

test('one side alone changes nothing: 1-RTT stays protected', () => {
  for (const [c, s] of [[true, false], [false, true], [false, false]] as const) {
    const { p, r, data, markersSeen } = run(c, s);
    assert.equal(r.finished, true);
    assert.deepEqual(r.received, data);
    assert.equal(p.client.connection.oneRttEncryptionDisabled, false);
    assert.equal(markersSeen, 0, `client ${c}, server ${s}: no plaintext on the wire`);
  }
});

test('the handshake stays protected with encryption disabled (Handshake packets are sealed as always)', () => {
  const { handshakeMarkers } = run(true, true);
  // The ClientHello's server_name is inside an Initial packet (protected with Initial keys, RFC 9001 §5.2),
  // so it never shows as plain bytes.
  assert.equal(handshakeMarkers, 0);
});

test('an unprotected packet altered on the path is not rejected by a tag: the stream sees the change (why both must opt in)', () => {
  const p = makePair({ seed: 42, link: { delayMs: 5 }, client: { transport: { disable1RttEncryption: true } }, server: { transport: { disable1RttEncryption: true } } });
  runHandshake(p);
  let flipped = false;
  p.net.tap = (d) => {
    const b = Uint8Array.from(d.data);
    const at = Buffer.from(b).indexOf(MARKER);
    if (!flipped && d.from === CLIENT_ADDR && d.to === SERVER_ADDR && at >= 0) {
      b[at] = b[at]! ^ 0x20; // 'q' -> 'Q'
      flipped = true;
    }
    return b;
  };
  const data = payloadWithMarkers(20_000);
  const r = transfer(p, data);
  assert.equal(flipped, true);
  assert.equal(r.finished, true);
  assert.notDeepEqual(r.received, data, 'without AEAD nothing detects the change: integrity is what the option gives up');
});

test('with encryption disabled, a Stateless Reset addressed to one of our connection IDs still resets (checked before processing)', () => {
  const p = makePair({ seed: 43, link: { delayMs: 5 }, client: { transport: { disable1RttEncryption: true } }, server: { transport: { disable1RttEncryption: true } } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  const client = p.client.connection;
  assert.equal(client.oneRttEncryptionDisabled, true);
  const ours = p.client.eventsOf('cid-issued')[0]!.cid;
  const token = p.server.eventsOf('cid-issued')[0]!.statelessResetToken;
  // Random-looking bytes that parse as an unprotected 1-RTT packet to our ID: without the check first they
  // would be read as frames (RFC 9000 §10.3.1 expects the reset among packets that fail to open).
  const reset = new Uint8Array(60).fill(0x55);
  reset[0] = 0x40 | 0x15;
  reset.set(ours, 1);
  reset.set(token, reset.length - token.length);
  client.receive(reset, { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now);
  assert.equal(client.state, 'draining');
  p.net.run({ until: p.net.now + 5000, done: () => p.client.has('closed') });
  assert.equal(p.client.eventsOf('closed')[0]?.info.cause, 'stateless-reset');
});
