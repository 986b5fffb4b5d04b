import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AES_GCM_CONFIDENTIALITY_LIMIT,
  AES_GCM_INTEGRITY_LIMIT,
  CHACHA20_POLY1305_CONFIDENTIALITY_LIMIT,
  CHACHA20_POLY1305_INTEGRITY_LIMIT,
  CIPHER_SUITES,
  cipherSuiteById,
  derivePacketProtectionKeys,
  nextTrafficSecret,
  updatePacketProtectionKeys,
} from '../../../src/quic/crypto/keys.js';
import { hkdfExpandLabel } from '../../../src/quic/crypto/hkdf.js';
import { QuicError } from '../../../src/quic/wire/errors.js';

test('AEAD limits per suite (RFC 9001 §6.6)', () => {
  assert.equal(AES_GCM_CONFIDENTIALITY_LIMIT, 2 ** 23);
  assert.equal(AES_GCM_INTEGRITY_LIMIT, 2 ** 52);
  assert.equal(CHACHA20_POLY1305_CONFIDENTIALITY_LIMIT, Number.POSITIVE_INFINITY);
  assert.equal(CHACHA20_POLY1305_INTEGRITY_LIMIT, 2 ** 36);
  assert.equal(CIPHER_SUITES.TLS_AES_128_GCM_SHA256.confidentialityLimit, 2 ** 23);
  assert.equal(CIPHER_SUITES.TLS_AES_256_GCM_SHA384.integrityLimit, 2 ** 52);
  assert.equal(CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256.integrityLimit, 2 ** 36);
});

test('suites by TLS code point; CCM is not offered', () => {
  assert.equal(cipherSuiteById(0x1301)?.name, 'TLS_AES_128_GCM_SHA256');
  assert.equal(cipherSuiteById(0x1302)?.name, 'TLS_AES_256_GCM_SHA384');
  assert.equal(cipherSuiteById(0x1303)?.name, 'TLS_CHACHA20_POLY1305_SHA256');
  assert.equal(cipherSuiteById(0x1304), undefined);
});

test('key, iv and hp sizes and labels for every suite (RFC 9001 §5.1)', () => {
  for (const suite of Object.values(CIPHER_SUITES)) {
    const secret = Buffer.alloc(suite.hash === 'sha256' ? 32 : 48, 7);
    const k = derivePacketProtectionKeys(suite, secret);
    assert.equal(k.key.length, suite.keyLength);
    assert.equal(k.iv.length, 12);
    assert.equal(k.hp.length, suite.hpKeyLength);
    assert.deepEqual(k.key, hkdfExpandLabel(suite.hash, secret, 'quic key', new Uint8Array(0), suite.keyLength));
    assert.deepEqual(k.hp, hkdfExpandLabel(suite.hash, secret, 'quic hp', new Uint8Array(0), suite.hpKeyLength));
    assert.throws(() => derivePacketProtectionKeys(suite, secret.subarray(1)), QuicError);
  }
});

test('key update derives new key and iv from "quic ku" but keeps hp (RFC 9001 §6)', () => {
  const suite = CIPHER_SUITES.TLS_AES_256_GCM_SHA384;
  const secret = Buffer.alloc(48, 1);
  const keys = derivePacketProtectionKeys(suite, secret);
  const { secret: next, keys: updated } = updatePacketProtectionKeys(keys, secret);
  assert.deepEqual(next, nextTrafficSecret(suite, secret));
  assert.equal(next.length, 48);
  assert.notDeepEqual(updated.key, keys.key);
  assert.notDeepEqual(updated.iv, keys.iv);
  assert.deepEqual(updated.hp, keys.hp);
  assert.deepEqual(updated.key, derivePacketProtectionKeys(suite, next).key);
});
