import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendBuffer } from '../../../src/quic/streams/send-buffer.js';
import { LocalStreamError } from '../../../src/quic/streams/transport-error.js';

const seq = (start: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

test('new data goes out in order, bounded by maxBytes', () => {
  const b = new SendBuffer();
  b.write(seq(0, 10));
  const c1 = b.nextChunk(4)!;
  assert.deepEqual([c1.offset, c1.data.byteLength, c1.fin], [0, 4, false]);
  assert.deepEqual(c1.data, seq(0, 4));
  const c2 = b.nextChunk(100)!;
  assert.deepEqual([c2.offset, c2.data.byteLength], [4, 6]);
  assert.equal(b.nextChunk(100), undefined);
  assert.equal(b.sentOffset, 10);
});

test('chunks inside one write are views; spanning writes are copied once', () => {
  const b = new SendBuffer();
  const w1 = seq(0, 5);
  b.write(w1);
  b.write(seq(5, 5));
  const c1 = b.nextChunk(3)!;
  assert.equal(c1.data.buffer, w1.buffer);
  const c2 = b.nextChunk(5)!;
  assert.deepEqual(c2.data, seq(3, 5));
});

test('new data respects the flow control limit; retransmissions do not need credit', () => {
  const b = new SendBuffer();
  b.write(seq(0, 10));
  const c = b.nextChunk(100, 6)!;
  assert.equal(c.data.byteLength, 6);
  assert.equal(b.nextChunk(100, 6), undefined);
  b.onLost(0, 6);
  const r = b.nextChunk(100, 6)!;
  assert.deepEqual([r.offset, r.data.byteLength], [0, 6]);
});

test('lost ranges are retransmitted first, lowest offset first', () => {
  const b = new SendBuffer();
  b.write(seq(0, 30));
  b.nextChunk(10);
  b.nextChunk(10);
  b.onLost(10, 10);
  b.onLost(0, 10);
  const r1 = b.nextChunk(15)!;
  assert.deepEqual([r1.offset, r1.data.byteLength], [0, 15]);
  assert.deepEqual(r1.data, seq(0, 15));
  const r2 = b.nextChunk(15)!;
  assert.deepEqual([r2.offset, r2.data.byteLength], [15, 5]);
  const n = b.nextChunk(15)!;
  assert.deepEqual([n.offset, n.data.byteLength], [20, 10]); // then new data
});

test('a loss of bytes acknowledged through another copy is not retransmitted', () => {
  const b = new SendBuffer();
  b.write(seq(0, 20));
  b.nextChunk(20);
  b.onAcked(5, 10);
  b.onLost(0, 20);
  const r1 = b.nextChunk(100)!;
  assert.deepEqual([r1.offset, r1.data.byteLength], [0, 5]);
  const r2 = b.nextChunk(100)!;
  assert.deepEqual([r2.offset, r2.data.byteLength], [15, 5]);
  assert.equal(b.nextChunk(100), undefined);
});

test('an ack after a loss cancels the pending retransmission', () => {
  const b = new SendBuffer();
  b.write(seq(0, 10));
  b.nextChunk(10);
  b.onLost(0, 10);
  b.onAcked(0, 10); // the "lost" packet was acknowledged late
  assert.equal(b.nextChunk(10), undefined);
  assert.equal(b.bufferedBytes, 0);
});

test('memory is released once a prefix is acknowledged', () => {
  const b = new SendBuffer();
  for (let i = 0; i < 4; i++) b.write(seq(i * 10, 10));
  for (let i = 0; i < 4; i++) b.nextChunk(10);
  assert.equal(b.retainedChunks, 4);
  b.onAcked(10, 10); // not a prefix: nothing released
  assert.equal(b.retainedChunks, 4);
  b.onAcked(0, 10);
  assert.equal(b.retainedChunks, 2);
  assert.equal(b.ackedPrefix, 20);
  assert.equal(b.bufferedBytes, 20);
  b.onAcked(20, 20);
  assert.equal(b.retainedChunks, 0);
  assert.equal(b.bufferedBytes, 0);
});

test('FIN rides on the last data chunk', () => {
  const b = new SendBuffer();
  b.write(seq(0, 4));
  b.finish();
  const c = b.nextChunk(100)!;
  assert.ok(c.fin);
  assert.equal(b.nextChunk(100), undefined);
  assert.ok(!b.isAllAcked);
  b.onAcked(0, 4, true);
  assert.ok(b.isAllAcked);
});

test('finish after all data was sent produces a FIN-only chunk', () => {
  const b = new SendBuffer();
  b.write(seq(0, 4));
  b.nextChunk(100);
  b.finish();
  const c = b.nextChunk(100)!;
  assert.deepEqual([c.offset, c.data.byteLength, c.fin], [4, 0, true]);
  assert.equal(b.nextChunk(100), undefined);
});

test('a lost FIN is resent, with the lost data or alone', () => {
  const b = new SendBuffer();
  b.write(seq(0, 4));
  b.finish();
  b.nextChunk(100);
  b.onLost(0, 4, true);
  const r = b.nextChunk(100)!;
  assert.deepEqual([r.offset, r.data.byteLength, r.fin], [0, 4, true]);
  b.onAcked(0, 4, false); // data acked through a copy without FIN
  b.onLost(0, 4, true);
  const f = b.nextChunk(100)!;
  assert.deepEqual([f.offset, f.data.byteLength, f.fin], [4, 0, true]);
  b.onAcked(4, 0, true);
  assert.ok(b.isAllAcked);
  b.onLost(4, 0, true); // late loss report after ack: nothing to resend
  assert.equal(b.nextChunk(100), undefined);
});

test('an empty stream sends a bare FIN', () => {
  const b = new SendBuffer();
  b.finish();
  assert.ok(b.hasPendingData);
  const c = b.nextChunk(0)!;
  assert.deepEqual([c.offset, c.data.byteLength, c.fin], [0, 0, true]);
});

test('write after finish throws a local error', () => {
  const b = new SendBuffer();
  b.finish();
  assert.throws(() => b.write(seq(0, 1)), (e: unknown) => e instanceof LocalStreamError && e.code === 'ERR_STREAM_WRITE_AFTER_END');
});

test('backpressure: write returns false at the high-water mark, drain fires once below it', () => {
  const b = new SendBuffer({ highWaterMark: 10 });
  assert.ok(b.write(seq(0, 6)));
  assert.ok(b.writable);
  assert.equal(b.write(seq(6, 6)), false);
  assert.ok(!b.writable);
  assert.equal(b.takeDrain(), false);
  b.nextChunk(100);
  b.onAcked(0, 1); // 11 left: still at/above the mark
  assert.equal(b.takeDrain(), false);
  b.onAcked(1, 5);
  assert.equal(b.takeDrain(), true);
  assert.equal(b.takeDrain(), false);
  assert.ok(b.writable);
});

test('discard drops everything so nothing more is sent', () => {
  const b = new SendBuffer();
  b.write(seq(0, 10));
  b.nextChunk(5);
  b.onLost(0, 5);
  b.discard();
  assert.equal(b.retainedChunks, 0);
  assert.equal(b.hasRetransmission, false);
});

test('acks beyond what was sent are clamped', () => {
  const b = new SendBuffer();
  b.write(seq(0, 10));
  b.nextChunk(5);
  b.onAcked(0, 10);
  assert.equal(b.ackedPrefix, 5);
});

test('acknowledgments out of order grow the acknowledged prefix only once the gap is filled', () => {
  const b = new SendBuffer();
  b.write(seq(0, 30));
  b.nextChunk(100);
  b.onAcked(20, 10);
  b.onAcked(10, 5);
  assert.equal(b.ackedPrefix, 0);
  assert.equal(b.bufferedBytes, 30);
  b.onAcked(0, 10);
  assert.equal(b.ackedPrefix, 15); // [0, 15) now; [20, 30) still beyond a gap
  b.onAcked(12, 9); // overlaps the prefix and reaches the range above it
  assert.equal(b.ackedPrefix, 30);
  assert.equal(b.bufferedBytes, 0);
  assert.equal(b.retainedChunks, 0);
  // Acknowledged copies below the prefix change nothing.
  b.onAcked(0, 30);
  assert.equal(b.ackedPrefix, 30);
});

test('a loss after out-of-order acknowledgments retransmits only the gaps, from the right bytes', () => {
  const b = new SendBuffer();
  for (let i = 0; i < 10; i++) b.write(seq(i * 10, 10));
  b.nextChunk(1000);
  b.onAcked(0, 25);
  b.onAcked(40, 20);
  b.onAcked(80, 20);
  assert.equal(b.ackedPrefix, 25);
  b.onLost(0, 100);
  const c1 = b.nextChunk(1000)!;
  assert.deepEqual([c1.offset, c1.data], [25, seq(25, 15)]);
  const c2 = b.nextChunk(1000)!;
  assert.deepEqual([c2.offset, c2.data], [60, seq(60, 20)]);
  assert.equal(b.nextChunk(1000), undefined);
});

test('a long queue is released as its prefix is acknowledged, and later ranges are still served', () => {
  // 5000 one-byte chunks acknowledged one at a time: each release is O(1) amortised (Array.shift in a loop
  // was quadratic), and the compaction of released slots must not lose the chunks still held.
  const n = 5000;
  const b = new SendBuffer({ highWaterMark: Number.POSITIVE_INFINITY });
  for (let i = 0; i < n; i++) b.write(seq(i, 1));
  // Small chunks are sent in frames of a few thousand bytes (a bounded copy each): take them all.
  let sent = 0;
  for (let c = b.nextChunk(n); c !== undefined; c = b.nextChunk(n)) sent += c.data.length;
  assert.equal(sent, n);
  for (let i = 0; i < n - 10; i++) {
    b.onAcked(i, 1);
    assert.equal(b.retainedChunks, n - i - 1);
  }
  assert.equal(b.ackedPrefix, n - 10);
  b.onLost(n - 10, 10);
  const c = b.nextChunk(100)!;
  assert.deepEqual([c.offset, c.data], [n - 10, seq(n - 10, 10)]);
  b.onAcked(n - 10, 10);
  assert.equal(b.retainedChunks, 0);
  assert.equal(b.bufferedBytes, 0);
  // The buffer keeps working after everything was released.
  b.write(seq(7, 3));
  const d = b.nextChunk(100)!;
  assert.deepEqual([d.offset, d.data], [n, seq(7, 3)]);
});

test('idle buffers share nothing they write to: one draining and refilling never shows in another', () => {
  const a = new SendBuffer();
  const b = new SendBuffer();
  a.write(seq(0, 4));
  a.nextChunk(100);
  a.onAcked(0, 4); // a is empty again
  b.write(seq(100, 3));
  a.write(seq(50, 2));
  assert.equal(a.retainedChunks, 1);
  assert.equal(b.retainedChunks, 1);
  assert.deepEqual(a.nextChunk(100)!.data, seq(50, 2));
  assert.deepEqual(b.nextChunk(100)!.data, seq(100, 3));
  b.discard();
  assert.equal(b.retainedChunks, 0);
  assert.equal(a.retainedChunks, 1);
});

test('a frame across a chunk boundary stops there when the first chunk has 1 KiB or more for it: a view, no copy', () => {
  const b = new SendBuffer({ highWaterMark: Number.POSITIVE_INFINITY });
  const w1 = seq(0, 3000);
  const w2 = seq(3000, 3000);
  b.write(w1);
  b.write(w2);
  const c1 = b.nextChunk(5000)!;
  assert.deepEqual([c1.offset, c1.data.byteLength], [0, 3000]);
  assert.equal(c1.data.buffer, w1.buffer);
  const c2 = b.nextChunk(5000)!;
  assert.deepEqual([c2.offset, c2.data.byteLength], [3000, 3000]);
  assert.equal(c2.data.buffer, w2.buffer);
  // Retransmissions follow the same rule: 1500 bytes left in the first chunk give a view up to its end...
  b.onLost(1500, 2000);
  const r1 = b.nextChunk(5000)!;
  assert.deepEqual([r1.offset, r1.data.byteLength], [1500, 1500]);
  assert.equal(r1.data.buffer, w1.buffer);
  const r2 = b.nextChunk(5000)!;
  assert.deepEqual([r2.offset, r2.data.byteLength], [3000, 500]);
  // ...while 500 bytes (under 1 KiB) are copied together with the next chunk's bytes in one frame.
  b.onLost(2500, 1000);
  const r3 = b.nextChunk(5000)!;
  assert.deepEqual([r3.offset, r3.data.byteLength], [2500, 1000]);
  assert.deepEqual(r3.data, seq(2500, 1000));
  assert.equal(b.nextChunk(5000), undefined);
});

test('small chunks are copied together into one frame, up to a bounded copy', () => {
  const b = new SendBuffer({ highWaterMark: Number.POSITIVE_INFINITY });
  for (let i = 0; i < 100; i++) b.write(seq(i * 100, 100));
  const c1 = b.nextChunk(20_000)!;
  assert.equal(c1.offset, 0);
  assert.ok(c1.data.byteLength >= 1000 && c1.data.byteLength <= 4096, `copied ${c1.data.byteLength} bytes`);
  assert.deepEqual(c1.data, seq(0, c1.data.byteLength));
  let at = c1.data.byteLength;
  for (let c = b.nextChunk(20_000); c !== undefined; c = b.nextChunk(20_000)) {
    assert.equal(c.offset, at);
    assert.deepEqual(c.data, seq(at, c.data.byteLength));
    at += c.data.byteLength;
  }
  assert.equal(at, 10_000);
});
