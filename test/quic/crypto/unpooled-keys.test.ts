// Packet protection keys and traffic secrets live as long as the connection; HKDF output is a view into
// Node's shared 8 KiB Buffer pool, so what is kept must be copied into an ArrayBuffer of its own, or every
// connection pins whole pool blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER_SUITES, derivePacketProtectionKeys, nextTrafficSecret, unpooledCopy } from '../../../src/quic/crypto/keys.js';

const ownsItsBuffer = (b: Uint8Array): boolean => b.byteOffset === 0 && b.buffer.byteLength === b.length;

test('unpooledCopy copies into an ArrayBuffer of exactly the value size, even from a pooled Buffer', () => {
  const pooled = Buffer.from([1, 2, 3, 4, 5]);
  // Precondition: Buffer.from of a small array is a pool view (otherwise this test proves nothing).
  assert.ok(!ownsItsBuffer(pooled));
  const copy = unpooledCopy(pooled);
  assert.ok(Buffer.isBuffer(copy));
  assert.ok(ownsItsBuffer(copy));
  assert.deepEqual([...copy], [1, 2, 3, 4, 5]);
  pooled.fill(0);
  assert.deepEqual([...copy], [1, 2, 3, 4, 5]);
  assert.equal(unpooledCopy(new Uint8Array(0)).length, 0);
});

test('derived key, iv and hp, and the next traffic secret, each own their ArrayBuffer', () => {
  for (const suite of Object.values(CIPHER_SUITES)) {
    const secret = new Uint8Array(suite.hash === 'sha384' ? 48 : 32).fill(7);
    const keys = derivePacketProtectionKeys(suite, secret);
    for (const [name, value] of Object.entries({ key: keys.key, iv: keys.iv, hp: keys.hp, next: nextTrafficSecret(suite, secret) })) {
      assert.ok(ownsItsBuffer(value), `${suite.name} ${name} is a view into a larger buffer`);
    }
  }
});
