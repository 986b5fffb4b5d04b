import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketSpace } from '../../../src/quic/connection/packet-space.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';

const run = (start: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

test('CRYPTO frames: in-order data is handed on at once; a frame filling a gap hands on everything now contiguous', () => {
  const space = new PacketSpace('handshake', 25, 4096);
  assert.deepEqual(space.onCryptoFrame(0, run(0, 100)), run(0, 100));
  assert.equal(space.onCryptoFrame(300, run(300, 100)), undefined, 'beyond a gap: held');
  assert.equal(space.onCryptoFrame(200, run(200, 100)), undefined, 'still a gap at 100');
  const joined = space.onCryptoFrame(100, run(100, 100))!;
  assert.deepEqual(Uint8Array.from(joined), run(100, 300));
  assert.equal(space.onCryptoFrame(0, run(0, 100)), undefined, 'a retransmission of what was read gives nothing');
});

test('CRYPTO data beyond the buffer bound is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5)', () => {
  const space = new PacketSpace('initial', 25, 1000);
  assert.throws(() => space.onCryptoFrame(900, run(0, 200)), (e: unknown) => e instanceof QuicError && e.code === TransportErrorCode.CRYPTO_BUFFER_EXCEEDED);
});
