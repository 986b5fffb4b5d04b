// createTrustStore shares one parsed store per distinct CA set (src/quic/tls/certificates.ts), so clients
// that pass the same CA files to every connection parse them once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CertificateError, createTrustStore, TRUST_STORE_CACHE_SIZE } from '../../../src/quic/tls/certificates.js';
import { certPath } from '../../helpers/certs.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');

test('the same CA contents in a new array give the same store object', () => {
  const a = createTrustStore([pem('ca.pem')]);
  const b = createTrustStore([pem('ca.pem')]);
  assert.equal(a, b);
  assert.equal(a.size, 1);
});

test('different CA sets, or the same set in another order, give separate stores', () => {
  const one = createTrustStore([pem('ca.pem')]);
  const other = createTrustStore([pem('other-ca.pem')]);
  const both = createTrustStore([pem('ca.pem'), pem('other-ca.pem')]);
  const reversed = createTrustStore([pem('other-ca.pem'), pem('ca.pem')]);
  assert.notEqual(one, other);
  assert.notEqual(one, both);
  assert.notEqual(both, reversed);
  assert.equal(both.size, 2);
  assert.equal(reversed.size, 2);
});

test('a string and a Buffer of the same PEM text are cached apart and both work', () => {
  const text = createTrustStore([pem('ca.pem')]);
  const bytes = createTrustStore([readFileSync(certPath('ca.pem'))]);
  assert.notEqual(text, bytes);
  assert.equal(bytes.size, 1);
  assert.equal(createTrustStore([readFileSync(certPath('ca.pem'))]), bytes);
});

test('a malformed CA set throws every time: failures are not cached', () => {
  const bad = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  for (let i = 0; i < 2; i++) {
    assert.throws(() => createTrustStore([bad]), (e: unknown) => e instanceof CertificateError && e.code === 'ERR_TLS_CERTIFICATE');
  }
});

test('the cache is bounded: after TRUST_STORE_CACHE_SIZE other sets the least recently used one is rebuilt', () => {
  // Trailing text outside the PEM block changes the input (the key) but not the anchors.
  const variant = (i: number): string => `${pem('ca.pem')}\n# variant ${i}\n`;
  const first = createTrustStore([variant(-1)]);
  assert.equal(createTrustStore([variant(-1)]), first);
  for (let i = 0; i < TRUST_STORE_CACHE_SIZE; i++) createTrustStore([variant(i)]);
  const rebuilt = createTrustStore([variant(-1)]);
  assert.notEqual(rebuilt, first);
  assert.equal(rebuilt.size, 1);
});

test('a lookup refreshes an entry: a set used between insertions outlives twice the cache size of others', () => {
  const kept = createTrustStore([`${pem('ca.pem')}\n# kept\n`]);
  // First-in-first-out would drop it after TRUST_STORE_CACHE_SIZE insertions.
  for (let i = 0; i < 2 * TRUST_STORE_CACHE_SIZE; i++) {
    createTrustStore([`${pem('ca.pem')}\n# filler ${i}\n`]);
    assert.equal(createTrustStore([`${pem('ca.pem')}\n# kept\n`]), kept);
  }
});
