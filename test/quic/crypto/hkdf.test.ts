import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { hkdfExtract, hkdfExpandLabel, hkdfExpand, hkdfLabel } from '../../../src/quic/crypto/hkdf.js';
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

/** RFC 5869 §2.3 written out plainly, block by block, as the reference for the one-block shortcut. */
function referenceExpand(hash: 'sha256' | 'sha384', prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let prev = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    prev = createHmac(hash, prk).update(Buffer.concat([prev, info, Buffer.of(i)])).digest();
    blocks.push(prev);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** RFC 8446 §7.1 HkdfLabel written out plainly. */
function referenceLabel(label: string, context: Uint8Array, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  return Buffer.concat([Buffer.of(length >> 8, length & 0xff, full.length), full, Buffer.of(context.length), context]);
}

test('HKDF-Expand: every length up to two blocks matches RFC 5869 computed block by block, for both hashes', () => {
  for (const hash of ['sha256', 'sha384'] as const) {
    const prk = createHash(hash).update('prk').digest();
    const info = Buffer.from('some info');
    const hl = hash === 'sha256' ? 32 : 48;
    for (let length = 0; length <= 2 * hl + 1; length++) {
      assert.deepEqual(hkdfExpand(hash, prk, info, length), referenceExpand(hash, prk, info, length), `${hash} length ${length}`);
    }
  }
});

test('HKDF-Expand: a one-block result is not a view into a shared buffer pool', () => {
  const out = hkdfExpand('sha256', Buffer.alloc(32, 1), Buffer.from('x'), 16);
  assert.ok(out.buffer.byteLength <= 32, `backing store of ${out.buffer.byteLength} bytes`);
});

test('HkdfLabel: the labels encoded once and any other label give the RFC 8446 §7.1 structure', () => {
  const context = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  for (const label of ['quic key', 'quic iv', 'quic hp', 'quic ku', 'c hs traffic', 'derived', 'finished', 'an exporter label']) {
    for (const ctx of [new Uint8Array(0), context]) {
      assert.deepEqual(hkdfLabel(label, ctx, 32), referenceLabel(label, ctx, 32), label);
    }
  }
  const secret = Buffer.alloc(32, 9);
  assert.deepEqual(hkdfExpandLabel('sha256', secret, 'quic key', new Uint8Array(0), 16), referenceExpand('sha256', secret, referenceLabel('quic key', new Uint8Array(0), 16), 16));
});

test('HkdfLabel: a label or context too long for its one-byte length is refused, not truncated', () => {
  assert.throws(() => hkdfLabel('x'.repeat(250), new Uint8Array(0), 32), RangeError); // 6 + 250 > 255
  hkdfLabel('x'.repeat(249), new Uint8Array(0), 32);
  assert.throws(() => hkdfLabel('quic key', new Uint8Array(256), 32), RangeError);
  hkdfLabel('quic key', new Uint8Array(255), 32);
});
