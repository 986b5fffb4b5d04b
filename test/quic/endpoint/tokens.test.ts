import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressTokenCodec, hostOf, MAX_ADDRESS_TOKEN_LENGTH } from '../../../src/quic/endpoint/tokens.js';
import { QuicEndpointError } from '../../../src/quic/endpoint/errors.js';
import { seededRandom } from './stub-connection.js';

const KEY = new Uint8Array(32).fill(9);
const codec = () => new AddressTokenCodec({ key: KEY, random: seededRandom(5), retryTokenLifetimeMs: 1000, newTokenLifetimeMs: 5000 });
const ODCID = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
const RSCID = Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1);

test('a Retry token opens for the same address before expiry and returns both connection IDs', () => {
  const c = codec();
  const token = c.sealRetryToken('10.0.0.1:4000', ODCID, RSCID, 100);
  const check = c.open(token, '10.0.0.1:4000', 1100);
  assert.equal(check.kind, 'retry');
  assert.ok(check.valid && check.kind === 'retry');
  assert.deepEqual(Uint8Array.from(check.originalDcid), ODCID);
  assert.deepEqual(Uint8Array.from(check.retrySourceCid), RSCID);
  assert.ok(token.length <= MAX_ADDRESS_TOKEN_LENGTH);
});

test('a Retry token fails after expiry, from another port or IP, with another key, or altered anywhere', () => {
  const c = codec();
  const token = c.sealRetryToken('10.0.0.1:4000', ODCID, RSCID, 100);
  const invalid = (t: Uint8Array, remote: string, now: number, codecToUse = c) => {
    const r = codecToUse.open(t, remote, now);
    assert.equal(r.kind, 'retry');
    assert.equal(r.valid, false);
    return r;
  };
  assert.match((invalid(token, '10.0.0.1:4000', 1101) as { reason: string }).reason, /expired/);
  invalid(token, '10.0.0.1:4001', 200);
  invalid(token, '10.0.0.2:4000', 200);
  invalid(token, '10.0.0.1:4000', 200, new AddressTokenCodec({ key: new Uint8Array(32).fill(1) }));
  for (let i = 1; i < token.length; i++) {
    const t = Uint8Array.from(token);
    t[i]! ^= 0x80;
    invalid(t, '10.0.0.1:4000', 200);
  }
  invalid(token.subarray(0, 20), '10.0.0.1:4000', 200);
});

test('a NEW_TOKEN token is bound to the IP only, distinct from Retry tokens, and expires', () => {
  const c = codec();
  const token = c.sealNewToken('[2001:db8::1]:4000', 0);
  assert.deepEqual(c.open(token, '[2001:db8::1]:5999', 4000), { kind: 'new-token', valid: true });
  assert.equal(c.open(token, '[2001:db8::2]:4000', 4000).valid, false);
  assert.equal(c.open(token, '[2001:db8::1]:4000', 5001).valid, false);
  assert.notEqual(token[0], c.sealRetryToken('1.1.1.1:1', ODCID, RSCID, 0)[0], 'the kinds are distinguishable (RFC 9000 §8.1.3)');
});

test('tokens that are not ours are "unknown", whatever their bytes; nothing throws', () => {
  const c = codec();
  assert.equal(c.open(new Uint8Array(0), '1.1.1.1:1', 0).kind, 'unknown');
  assert.equal(c.open(Uint8Array.of(0, 1, 2), '1.1.1.1:1', 0).kind, 'unknown');
  const rnd = seededRandom(9);
  for (let i = 0; i < 200; i++) assert.doesNotThrow(() => c.open(rnd(1 + (i % 120)), '1.1.1.1:1', 0));
  assert.equal(c.open(new Uint8Array(1000).fill(0x52), '1.1.1.1:1', 0).valid, false, 'oversized tokens are refused before any crypto');
});

test('options are validated', () => {
  assert.throws(() => new AddressTokenCodec({ key: new Uint8Array(16) }), QuicEndpointError);
  assert.throws(() => new AddressTokenCodec({ retryTokenLifetimeMs: 0 }), /retryTokenLifetimeMs/);
  assert.throws(() => codec().sealRetryToken('1.1.1.1:1', new Uint8Array(21), RSCID, 0), /20 bytes/);
});

test('hostOf strips the port of IPv4 and bracketed IPv6 addresses', () => {
  assert.equal(hostOf('1.2.3.4:5'), '1.2.3.4');
  assert.equal(hostOf('[::1]:443'), '::1');
  assert.equal(hostOf('noport'), 'noport');
});
