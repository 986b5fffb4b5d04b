import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { derToPem, pemCertificates } from '../../../src/broker/certs/pem.js';
import { certPath } from '../../helpers/certs.js';

test('PEM: 64-character base64 lines between BEGIN and END (RFC 7468 §3)', () => {
  const der = Buffer.alloc(100, 0xab);
  const pem = derToPem('CERTIFICATE', der);
  const lines = pem.trimEnd().split('\n');
  assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
  assert.equal(lines.at(-1), '-----END CERTIFICATE-----');
  assert.deepEqual(lines.slice(1, -1).map((l) => l.length), [64, 64, 8]);
  assert.ok(pem.endsWith('\n'));
  assert.deepEqual(pemCertificates(pem), [der]);
});

test('PEM: every certificate of a chain file, in order; other blocks ignored', () => {
  const chainPem = readFileSync(certPath('server-ecdsa-chain.pem'), 'utf8');
  const ders = pemCertificates(`junk\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${chainPem}`);
  assert.ok(ders.length >= 2);
  assert.equal(new X509Certificate(ders[0]!).fingerprint256, new X509Certificate(readFileSync(certPath('server-ecdsa.pem'))).fingerprint256);
  assert.deepEqual(pemCertificates('no certificates here'), []);
  const roundTrip = ders.map((d) => derToPem('CERTIFICATE', d)).join('');
  assert.deepEqual(pemCertificates(roundTrip), ders);
});
