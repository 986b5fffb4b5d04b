// RandomPool (src/quic/endpoint/random-pool.ts): CSPRNG bytes drawn from one buffer, each byte once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomPool, RANDOM_POOL_SIZE } from '../../../src/quic/endpoint/random-pool.js';

test('take(n) returns n bytes, each request its own copy with its own buffer', () => {
  const pool = new RandomPool();
  const a = pool.take(8);
  const b = pool.take(8);
  assert.equal(a.length, 8);
  assert.equal(b.length, 8);
  assert.notEqual(a.buffer, b.buffer);
  // The copy does not pin the pool: its buffer is exactly as large as the request.
  assert.equal(a.buffer.byteLength, 8);
  assert.equal(pool.take(0).length, 0);
});

test('bytes are never handed out twice: 2,000 8-byte draws across refills are all distinct', () => {
  const pool = new RandomPool(64);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(Buffer.from(pool.take(8)).toString('hex'));
  assert.equal(seen.size, 2000);
});

test('draws look random: about half the bits of 4 KiB are set', () => {
  const pool = new RandomPool();
  let ones = 0;
  const bytes = 4096;
  for (let i = 0; i < bytes / 16; i++) for (const byte of pool.take(16)) for (let b = byte; b !== 0; b >>= 1) ones += b & 1;
  // 32768 fair bits: mean 16384, standard deviation 90.5; 10 deviations is far beyond chance.
  assert.ok(Math.abs(ones - bytes * 4) < 905, `${ones} of ${bytes * 8} bits set`);
});

test('a request larger than a quarter of the pool is served directly, in full', () => {
  const pool = new RandomPool(64);
  const big = pool.take(RANDOM_POOL_SIZE);
  assert.equal(big.length, RANDOM_POOL_SIZE);
  assert.ok(big.some((v) => v !== 0));
});

test('invalid sizes and counts throw RangeError', () => {
  assert.throws(() => new RandomPool(0), RangeError);
  assert.throws(() => new RandomPool(1.5), RangeError);
  const pool = new RandomPool();
  assert.throws(() => pool.take(-1), RangeError);
  assert.throws(() => pool.take(Number.NaN), RangeError);
});
