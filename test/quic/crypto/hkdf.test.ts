import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfExtract, hkdfExpandLabel, hkdfExpand } from '../../../src/quic/crypto/hkdf.js';
import { hex, loadVectors, toHex } from '../../helpers/vectors.js';

// RFC 5869 Appendix A.1 (SHA-256 basic test case).
test('HKDF RFC 5869 A.1', () => {
  const ikm = hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
  const salt = hex('000102030405060708090a0b0c');
  const info = hex('f0f1f2f3f4f5f6f7f8f9');
  const prk = hkdfExtract('sha256', salt, ikm);
  assert.equal(toHex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
  assert.equal(
    toHex(hkdfExpand('sha256', prk, info, 42)),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

// RFC 9001 Appendix A.1: the Initial secrets come from the shared vectors.
test('HKDF-Expand-Label RFC 9001 A.1 initial secrets', () => {
  const v = loadVectors<Record<string, any>>('rfc9001-appendix-a.json');
  const a1 = v.A1_keys;
  assert.ok(a1, 'A.1 section present in vectors');
  const salt = hex(a1.initial_salt);
  const dcid = hex(a1.client_dcid);
  const initial = hkdfExtract('sha256', salt, dcid);
  assert.equal(toHex(initial), a1.initial_secret);
  const client = hkdfExpandLabel('sha256', initial, 'client in', new Uint8Array(0), 32);
  assert.equal(toHex(client), a1.client_initial_secret);
});
