import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveBuffer } from '../../../src/quic/streams/receive-buffer.js';
import { StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';
import { Prng } from './prng.js';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

function readAll(buf: ReceiveBuffer): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const chunk = buf.read();
    if (chunk === undefined) break;
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

const isError = (code: number) => (e: unknown) => e instanceof StreamError && e.code === code;

test('in-order data is readable as it arrives', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, bytes(1, 2, 3), false);
  assert.equal(buf.readableBytes, 3);
  assert.deepEqual(buf.read(2), bytes(1, 2));
  assert.deepEqual(buf.read(), bytes(3));
  assert.equal(buf.read(), undefined);
  assert.equal(buf.readOffset, 3);
});

test('a gap holds back later data until filled', () => {
  const buf = new ReceiveBuffer();
  buf.insert(3, bytes(4, 5), false);
  assert.equal(buf.readableBytes, 0);
  assert.equal(buf.read(), undefined);
  assert.equal(buf.highestOffset, 5);
  buf.insert(0, bytes(1, 2, 3), false);
  assert.equal(buf.readableBytes, 5);
  assert.deepEqual(readAll(buf), bytes(1, 2, 3, 4, 5));
});

test('reads inside one received chunk are zero-copy views', () => {
  const packet = new Uint8Array(100).map((_, i) => i);
  const view = packet.subarray(10, 90);
  const buf = new ReceiveBuffer();
  buf.insert(0, view, false);
  const out = buf.read(40)!;
  assert.equal(out.buffer, packet.buffer);
  assert.equal(out.byteOffset, 10);
  assert.equal(out.byteLength, 40);
});

test('reads return one received chunk at a time, as views of it, never a joined copy', () => {
  const buf = new ReceiveBuffer();
  const a = new Uint8Array(400).fill(1);
  const b = new Uint8Array(400).fill(2);
  buf.insert(0, a, false);
  buf.insert(400, b, false);
  assert.equal(buf.readableBytes, 800);
  const first = buf.read(1000)!;
  assert.equal(first.byteLength, 400);
  assert.equal(first.buffer, a.buffer);
  const part = buf.read(100)!;
  assert.deepEqual([part.byteLength, part.buffer === b.buffer], [100, true]);
  const rest = buf.read()!;
  assert.deepEqual([rest.byteLength, rest[0], rest.buffer === b.buffer], [300, 2, true]);
  assert.equal(buf.read(), undefined);
  assert.equal(buf.readableBytes, 0);
});

test('a small view of a large buffer is copied, not kept (memory bound)', () => {
  const datagram = new Uint8Array(1500);
  datagram[700] = 42;
  const buf = new ReceiveBuffer();
  buf.insert(0, datagram.subarray(700, 701), false);
  const out = buf.read()!;
  assert.notEqual(out.buffer, datagram.buffer);
  assert.equal(out[0], 42);
});

test('duplicates and overlaps keep the first bytes received (RFC 9000 §2.2)', () => {
  const buf = new ReceiveBuffer();
  buf.insert(2, bytes(12, 13, 14), false);
  buf.insert(0, bytes(0, 1, 99, 99, 99, 5), false); // different bytes at 2..4 are ignored
  buf.insert(1, bytes(1), false);
  assert.deepEqual(readAll(buf), bytes(0, 1, 12, 13, 14, 5));
  assert.equal(buf.bufferedBytes, 0);
});

test('data below the read offset is dropped, partly old data is trimmed', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, bytes(1, 2, 3, 4), false);
  buf.read();
  buf.insert(0, bytes(1, 2), false);
  assert.equal(buf.bufferedBytes, 0);
  buf.insert(2, bytes(3, 4, 5, 6), false);
  assert.equal(buf.bufferedBytes, 2);
  assert.deepEqual(buf.read(), bytes(5, 6));
});

test('random permutations with duplicates and overlaps always reassemble the original', () => {
  const rng = new Prng(20261126);
  for (let round = 0; round < 60; round++) {
    const total = rng.int(1, 3000);
    const original = rng.bytes(total);
    const pieces: { offset: number; data: Uint8Array; fin: boolean }[] = [];
    // A covering set of chunks plus random overlapping extras.
    for (let off = 0; off < total; ) {
      const len = rng.int(1, 300);
      const end = Math.min(total, off + len);
      pieces.push({ offset: off, data: original.subarray(off, end), fin: end === total });
      off = end;
    }
    const extras = rng.int(0, 20);
    for (let i = 0; i < extras; i++) {
      const a = rng.int(0, total - 1);
      const b = rng.int(a + 1, Math.min(total, a + 400));
      pieces.push({ offset: a, data: original.slice(a, b), fin: b === total });
    }
    rng.shuffle(pieces);
    const buf = new ReceiveBuffer();
    const out: Uint8Array[] = [];
    for (const p of pieces) {
      buf.insert(p.offset, p.data, p.fin);
      if (rng.next() < 0.3) {
        const chunk = buf.read(rng.int(1, 500));
        if (chunk !== undefined) out.push(chunk);
      }
    }
    out.push(readAll(buf));
    assert.deepEqual(Buffer.concat(out), Buffer.from(original), `round ${round}`);
    assert.ok(buf.isComplete && buf.isFinished);
    assert.equal(buf.bufferedBytes, 0);
  }
});

test('final size: FIN sets it, completion and finish are reported', () => {
  const buf = new ReceiveBuffer();
  buf.insert(2, bytes(3), true);
  assert.equal(buf.finalSize, 3);
  assert.ok(!buf.isComplete);
  buf.insert(0, bytes(1, 2), false);
  assert.ok(buf.isComplete);
  assert.ok(!buf.isFinished);
  readAll(buf);
  assert.ok(buf.isFinished);
});

test('an empty FIN frame at offset 0 completes an empty stream', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, new Uint8Array(0), true);
  assert.ok(buf.isComplete && buf.isFinished);
});

test('FINAL_SIZE_ERROR when the final size changes (RFC 9000 §4.5)', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, bytes(1, 2, 3), true);
  assert.throws(() => buf.insert(0, bytes(1, 2), true), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  assert.throws(() => buf.insert(3, bytes(4), true), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  assert.throws(() => buf.setFinalSize(4), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  buf.insert(0, bytes(1, 2, 3), true); // same final size: fine
  buf.setFinalSize(3);
});

test('FINAL_SIZE_ERROR for data beyond the final size', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, bytes(1), true);
  assert.throws(() => buf.insert(1, bytes(2), false), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  assert.throws(() => buf.insert(5, new Uint8Array(0), false), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  buf.insert(1, new Uint8Array(0), false); // zero-length at the final size is not beyond it
});

test('FINAL_SIZE_ERROR for a final size below data already received', () => {
  const buf = new ReceiveBuffer();
  buf.insert(5, bytes(1, 2, 3), false);
  assert.throws(() => buf.insert(0, bytes(1), true), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  assert.throws(() => buf.setFinalSize(7), isError(TransportErrorCode.FINAL_SIZE_ERROR));
  assert.equal(buf.finalSize, undefined); // a rejected frame changes nothing
  buf.setFinalSize(8);
  assert.equal(buf.finalSize, 8);
});

test('too many gaps closes the connection with INTERNAL_ERROR', () => {
  const buf = new ReceiveBuffer({ maxGaps: 3 });
  buf.insert(1, bytes(1), false);
  buf.insert(3, bytes(1), false);
  buf.insert(5, bytes(1), false);
  assert.throws(() => buf.insert(7, bytes(1), false), isError(TransportErrorCode.INTERNAL_ERROR));
});

test('discard drops buffered data and reports unread bytes up to a size', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, bytes(1, 2, 3, 4), false);
  buf.insert(6, bytes(7), false);
  buf.read(1);
  assert.equal(buf.discard(10), 9);
  assert.equal(buf.bufferedBytes, 0);
  assert.equal(buf.readOffset, 10);
  assert.equal(buf.read(), undefined);
  buf.insert(2, bytes(3, 4), false); // late data below the new read offset is ignored
  assert.equal(buf.bufferedBytes, 0);
});

test('setFinalSize counts the whole final size as received credit', () => {
  const buf = new ReceiveBuffer();
  buf.insert(0, bytes(1), false);
  buf.setFinalSize(10);
  assert.equal(buf.highestOffset, 10);
});

test('the gap limit counts the contiguous prefix as a range, as before', () => {
  const buf = new ReceiveBuffer({ maxGaps: 3 });
  buf.insert(0, bytes(0), false);
  buf.insert(2, bytes(2), false);
  buf.insert(4, bytes(4), false);
  assert.throws(() => buf.insert(6, bytes(6), false), isError(TransportErrorCode.INTERNAL_ERROR));
});

test('filling gaps merges the ranges above into the readable prefix', () => {
  const buf = new ReceiveBuffer({ maxGaps: 3 });
  buf.insert(4, bytes(4, 5), false);
  buf.insert(8, bytes(8), false);
  buf.insert(2, bytes(2), false);
  assert.equal(buf.readableBytes, 0);
  buf.insert(0, bytes(0, 1), false);
  assert.equal(buf.readableBytes, 3);
  buf.insert(3, bytes(3), false); // reaches [4, 6)
  assert.equal(buf.readableBytes, 6);
  buf.insert(6, bytes(6, 7), false); // reaches [8, 9)
  assert.equal(buf.readableBytes, 9);
  buf.insert(9, new Uint8Array(0), true);
  assert.ok(buf.isComplete);
  assert.deepEqual(readAll(buf), bytes(0, 1, 2, 3, 4, 5, 6, 7, 8));
  assert.ok(buf.isFinished);
  assert.equal(buf.bufferedBytes, 0);
  // Drained, it keeps working for data that follows.
  const more = new ReceiveBuffer();
  more.insert(0, bytes(1, 2), false);
  assert.deepEqual(readAll(more), bytes(1, 2));
  more.insert(2, bytes(3), false);
  assert.deepEqual(readAll(more), bytes(3));
});

test('drained buffers share nothing they write to: one refilling never shows in another', () => {
  const a = new ReceiveBuffer();
  const b = new ReceiveBuffer();
  a.insert(0, bytes(1, 2), false);
  assert.deepEqual(readAll(a), bytes(1, 2)); // a drained
  b.insert(0, bytes(7), false);
  a.insert(3, bytes(4), false); // a gap at 2: held, not readable
  a.insert(2, bytes(3), false);
  assert.deepEqual(readAll(b), bytes(7));
  assert.deepEqual(readAll(a), bytes(3, 4));
  b.insert(1, bytes(8, 9), false);
  assert.equal(b.bufferedBytes, 2);
  assert.equal(a.bufferedBytes, 0);
  assert.equal(b.discard(10), 9); // up to 10, less the 1 byte read
  assert.equal(a.readableBytes, 0);
});
