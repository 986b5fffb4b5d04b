import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildStatelessReset,
  deriveStatelessResetToken,
  isStatelessReset,
  MIN_STATELESS_RESET_LENGTH,
  statelessResetTokenCandidate,
} from '../../../src/quic/crypto/stateless-reset.js';
import { hmac } from '../../../src/quic/crypto/hkdf.js';
import { QuicError } from '../../../src/quic/wire/errors.js';
import { hex } from '../../helpers/vectors.js';

const KEY = Buffer.alloc(32, 0x42);
const fakeRandom = (n: number): Uint8Array => new Uint8Array(n).fill(0xff);

test('token = HMAC-SHA256(static key, CID) truncated to 16 bytes; stable per CID, distinct across CIDs', () => {
  const t1 = deriveStatelessResetToken(KEY, hex('0102030405060708'));
  assert.equal(t1.length, 16);
  assert.deepEqual(t1, hmac('sha256', KEY, hex('0102030405060708')).subarray(0, 16));
  assert.deepEqual(deriveStatelessResetToken(KEY, hex('0102030405060708')), t1);
  assert.notDeepEqual(deriveStatelessResetToken(KEY, hex('0102030405060709')), t1);
  assert.notDeepEqual(deriveStatelessResetToken(Buffer.alloc(32, 1), hex('0102030405060708')), t1);
  assert.throws(() => deriveStatelessResetToken(Buffer.alloc(16), hex('01')), QuicError);
});

test('a built reset looks like a short header packet and is detected by its token', () => {
  const token = deriveStatelessResetToken(KEY, hex('aa'));
  const reset = buildStatelessReset(token, 40, fakeRandom);
  assert.equal(reset.length, 40);
  assert.equal(reset[0]! & 0xc0, 0x40, 'header form 0, fixed bit 1');
  assert.deepEqual(statelessResetTokenCandidate(reset), Uint8Array.from(token));
  assert.equal(isStatelessReset(reset, [hex('00'.repeat(16)), token]), true);
  assert.equal(isStatelessReset(reset, [hex('00'.repeat(16))]), false);
  assert.equal(isStatelessReset(reset, [token.subarray(0, 8)]), false, 'a wrong-length token never matches');
});

test('datagrams shorter than 21 bytes are never resets; invalid builds are refused', () => {
  const token = deriveStatelessResetToken(KEY, hex('aa'));
  const short = buildStatelessReset(token, MIN_STATELESS_RESET_LENGTH, fakeRandom);
  assert.equal(isStatelessReset(short, [token]), true);
  assert.equal(isStatelessReset(short.subarray(1), [token]), false);
  assert.equal(statelessResetTokenCandidate(new Uint8Array(20)), undefined);
  assert.throws(() => buildStatelessReset(token, 20, fakeRandom), QuicError);
  assert.throws(() => buildStatelessReset(token.subarray(1), 30, fakeRandom), QuicError);
  assert.throws(() => buildStatelessReset(token, 30, () => new Uint8Array(3)), QuicError);
});
