import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex, loadVectors, toHex } from '../../helpers/vectors.js';
import {
  decodeVarint,
  decodeVarintBigInt,
  encodeVarint,
  encodeVarintBigInt,
  readVarintAt,
  VARINT_MAX,
  VARINT_MAX_SAFE,
  varintLength,
  varintLengthOfFirstByte,
  writeVarintAt,
} from '../../../src/quic/wire/varint.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';

interface Vectors {
  A1_varint_examples: { encoded: string; length: number; value: string; minimal?: boolean; minimal_encoding?: string }[];
}
const v = loadVectors<Vectors>('rfc9000-appendix-a.json');

test('RFC 9000 A.1 examples decode (bigint path, exact) and re-encode minimally', () => {
  for (const ex of v.A1_varint_examples) {
    const d = decodeVarintBigInt(hex(ex.encoded));
    assert.equal(d.value, BigInt(ex.value), ex.encoded);
    assert.equal(d.length, ex.length);
    assert.equal(toHex(encodeVarintBigInt(BigInt(ex.value))), ex.minimal_encoding ?? ex.encoded);
  }
});

test('RFC 9000 A.1 examples decode on the number path; the 8-byte one is above 2^53 and flagged as such', () => {
  for (const ex of v.A1_varint_examples) {
    const d = decodeVarint(hex(ex.encoded));
    assert.equal(d.length, ex.length);
    if (BigInt(ex.value) <= BigInt(VARINT_MAX_SAFE)) {
      assert.equal(d.value, Number(ex.value));
      assert.equal(toHex(encodeVarint(d.value)), ex.minimal_encoding ?? ex.encoded);
    } else {
      assert.ok(d.value > VARINT_MAX_SAFE, 'a value above 2^53-1 reads as > MAX_SAFE_INTEGER');
    }
  }
});

test('lengths at every boundary, and non-minimal encodings are accepted and writable', () => {
  const cases: [number, number][] = [
    [0, 1], [63, 1], [64, 2], [16383, 2], [16384, 4], [1073741823, 4], [1073741824, 8], [VARINT_MAX_SAFE, 8],
  ];
  for (const [value, len] of cases) {
    assert.equal(varintLength(value), len);
    const e = encodeVarint(value);
    assert.equal(e.length, len);
    assert.equal(varintLengthOfFirstByte(e[0]!), len);
    assert.equal(readVarintAt(e, 0), value);
  }
  const buf = new Uint8Array(8);
  assert.equal(writeVarintAt(buf, 0, 37, 8), 8);
  assert.equal(decodeVarint(buf).value, 37);
  assert.equal(decodeVarint(buf).length, 8);
});

test('full 62-bit range through the bigint path', () => {
  assert.equal(toHex(encodeVarintBigInt(VARINT_MAX)), 'ffffffffffffffff');
  assert.equal(decodeVarintBigInt(hex('ffffffffffffffff')).value, VARINT_MAX);
  assert.equal(decodeVarintBigInt(encodeVarintBigInt(2n ** 53n)).value, 2n ** 53n);
  assert.throws(() => encodeVarintBigInt(VARINT_MAX + 1n), QuicError);
  assert.throws(() => encodeVarintBigInt(-1n), QuicError);
});

test('invalid values refuse to encode; truncated input is FRAME_ENCODING_ERROR', () => {
  for (const bad of [-1, 1.5, Number.NaN, VARINT_MAX_SAFE + 1]) {
    assert.throws(() => encodeVarint(bad), (e: unknown) => e instanceof QuicError && e.code === TransportErrorCode.INTERNAL_ERROR);
  }
  assert.throws(() => writeVarintAt(new Uint8Array(2), 0, 64, 1), QuicError);
  for (const trunc of ['', '40', '80ffff', 'c0000000000000']) {
    assert.throws(() => decodeVarint(hex(trunc)), (e: unknown) => e instanceof QuicError && e.code === TransportErrorCode.FRAME_ENCODING_ERROR);
    assert.throws(() => decodeVarintBigInt(hex(trunc)), QuicError);
  }
});
