// WriteBatcher: one transport write per event-loop turn, order kept, backpressure unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { WriteBatcher } from '../../src/broker/channel/write-batcher.js';

/** A Writable that records every write() call and accepts writes as told (never flushes by itself). */
class RecordingWritable extends Writable {
  readonly writes: Buffer[] = [];
  private pendingCallbacks: Array<() => void> = [];
  constructor(highWaterMark: number, private readonly autoComplete: boolean) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writes.push(chunk);
    if (this.autoComplete) cb();
    else this.pendingCallbacks.push(() => cb());
  }
  /** Completes every write the transport is holding (lets 'drain' fire). */
  completeAll(): void {
    const cbs = this.pendingCallbacks;
    this.pendingCallbacks = [];
    for (const cb of cbs) cb();
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('packets written in one turn leave as one write, in order', async () => {
  const w = new RecordingWritable(16 * 1024, true);
  const b = new WriteBatcher(w);
  for (let i = 0; i < 10; i++) assert.equal(b.write(Buffer.from([i, i])), true);
  assert.equal(w.writes.length, 0, 'nothing is written before the end of the turn');
  assert.equal(b.queuedBytes, 20);
  await turn();
  assert.equal(w.writes.length, 1);
  assert.deepEqual([...w.writes[0]!], Array.from({ length: 10 }, (_, i) => [i, i]).flat());
  assert.equal(b.queuedBytes, 0);
  // The next turn starts a new batch after the first.
  b.write(Buffer.from([42]));
  await turn();
  assert.equal(w.writes.length, 2);
  assert.deepEqual([...w.writes[1]!], [42]);
});

test('a single packet is written as is, without a copy', async () => {
  const w = new RecordingWritable(1024, true);
  const b = new WriteBatcher(w);
  const p = Buffer.from([1, 2, 3]);
  b.write(p);
  await turn();
  assert.equal(w.writes.length, 1);
  assert.equal(w.writes[0]!.buffer, p.buffer);
});

test('a batch that would exceed the high-water mark is written at once and reports congestion until drain', async () => {
  const w = new RecordingWritable(100, false);
  const b = new WriteBatcher(w);
  assert.equal(b.write(Buffer.alloc(60, 1)), true);
  assert.equal(w.writes.length, 0);
  // 60 + 60 >= 100: the batch goes now; the transport keeps it buffered, so write() returned false.
  assert.equal(b.write(Buffer.alloc(60, 2)), false);
  assert.equal(w.writes.length, 1);
  assert.equal(w.writes[0]!.length, 120);
  assert.equal(b.isCongested, true);
  // Still congested: more bytes are queued and written in order, the answer stays false.
  assert.equal(b.write(Buffer.alloc(10, 3)), false);
  const drained = new Promise<void>((r) => w.once('drain', () => r()));
  w.completeAll();
  await turn();
  w.completeAll();
  await drained;
  b.onDrain();
  assert.equal(b.isCongested, false);
  const all = Buffer.concat(w.writes);
  assert.deepEqual([...all.subarray(118, 122)], [2, 2, 3, 3]);
  assert.equal(all.length, 130);
});

test('maxBatchBytes bounds what is held back for the end of the turn', () => {
  const w = new RecordingWritable(1 << 20, true);
  const b = new WriteBatcher(w, 50);
  b.write(Buffer.alloc(30));
  assert.equal(w.writes.length, 0);
  b.write(Buffer.alloc(30));
  assert.equal(w.writes.length, 1);
  assert.equal(b.queuedBytes, 0);
});

test('flush() writes at once (before end()); a destroyed transport gets nothing', async () => {
  const w = new RecordingWritable(1024, true);
  const b = new WriteBatcher(w);
  b.write(Buffer.from([7]));
  b.flush();
  assert.equal(w.writes.length, 1);
  w.end();
  b.write(Buffer.from([8])); // after end(): dropped, never written (a write after end would throw)
  await turn();
  assert.equal(w.writes.length, 1);

  const gone = new RecordingWritable(1024, true);
  const b2 = new WriteBatcher(gone);
  b2.write(Buffer.from([1]));
  gone.destroy();
  await turn();
  assert.equal(gone.writes.length, 0);
  b2.write(Buffer.from([2]));
  b2.discard();
  assert.equal(b2.queuedBytes, 0);
});
