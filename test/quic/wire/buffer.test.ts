import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferReader, BufferWriter } from '../../../src/quic/wire/buffer.js';
import { QuicError, QuicWireError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { toHex } from '../../helpers/vectors.js';

const isCode = (code: number) => (e: unknown) => e instanceof QuicWireError && e.code === code;

test('reader reads integers, varints and zero-copy views within its window', () => {
  const bytes = Uint8Array.from([0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x40, 0x25, 0xaa, 0xbb, 0xcc, 0xee]);
  const r = new BufferReader(bytes, TransportErrorCode.FRAME_ENCODING_ERROR, 1, 12);
  assert.equal(r.u8(), 0x01);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.uintN(3), 0x040506);
  assert.equal(r.peekVarintLength(), 2);
  assert.equal(r.varint(), 37);
  const view = r.bytesView(2);
  assert.equal(toHex(view), 'aabb');
  assert.equal(view.buffer, bytes.buffer, 'a view, not a copy');
  assert.equal(r.remaining, 1);
  assert.equal(toHex(r.rest()), 'cc', 'the window end excludes the last byte');
  assert.ok(r.atEnd);
});

test('every read past the end raises the reader error code, never RangeError', () => {
  const reads: ((r: BufferReader) => unknown)[] = [
    (r) => r.u8(), (r) => r.peekU8(), (r) => r.u16(), (r) => r.u32(), (r) => r.uintN(4), (r) => r.varint(),
    (r) => r.varintBigInt(), (r) => r.bytesView(5), (r) => r.varintBytes(), (r) => r.skip(9),
  ];
  for (const read of reads) {
    const r = new BufferReader(Uint8Array.from([0x41]), TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    r.u8();
    assert.throws(() => read(r), isCode(TransportErrorCode.TRANSPORT_PARAMETER_ERROR));
  }
  // A varint length prefix larger than the data left.
  assert.throws(() => new BufferReader(Uint8Array.from([0x05, 0x01])).varintBytes(), isCode(TransportErrorCode.FRAME_ENCODING_ERROR));
  assert.throws(() => new BufferReader(Uint8Array.from([1])).bytesView(-1), QuicError);
  assert.throws(() => new BufferReader(new Uint8Array(2), 7, 3), QuicError);
});

test('seek re-reads a varint exactly as a bigint', () => {
  const r = new BufferReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.ok(r.varint() > Number.MAX_SAFE_INTEGER);
  r.seek(0);
  assert.equal(r.varintBigInt(), 2n ** 62n - 1n);
  assert.throws(() => r.seek(9), QuicError);
  r.seek(8);
  assert.ok(r.atEnd);
});

test('growable writer grows and patches a reserved Length field', () => {
  const w = new BufferWriter();
  w.u8(1).u16(0x0203).u32(0x04050607).uintN(0x0a0b0c, 3);
  const at = w.reserve(2);
  for (let i = 0; i < 300; i++) w.u8(i & 0xff);
  w.patchVarint(at, 300, 2);
  w.varint(16383).zeros(2).bytes(Uint8Array.of(9));
  const out = w.view();
  assert.equal(out.length, 1 + 2 + 4 + 3 + 2 + 300 + 2 + 2 + 1);
  assert.equal(toHex(out.subarray(0, 12)), '01020304050607' + '0a0b0c' + '412c');
  assert.equal(toHex(out.subarray(312)), '7fff000009');
  assert.throws(() => w.patchVarint(out.length, 1, 1), QuicError);
});

test('fixed writer fills a caller buffer in place and refuses to overflow it', () => {
  const target = new Uint8Array(6);
  const w = new BufferWriter(target, 2, 5);
  assert.equal(w.remaining, 3);
  w.u16(0xabcd);
  assert.equal(w.buffer, target);
  assert.throws(() => w.u16(1), isCode(TransportErrorCode.INTERNAL_ERROR));
  w.u8(0xef);
  assert.equal(toHex(target), '0000abcdef00');
  assert.equal(toHex(w.view(2)), 'abcdef');
  assert.throws(() => new BufferWriter(target, 4, 2), QuicError);
});
