import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendScheduler } from '../../../src/quic/streams/send-scheduler.js';

function serve(s: SendScheduler, n: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = s.peek();
    if (id === undefined) break;
    order.push(id);
    s.rotate(id);
  }
  return order;
}

test('streams of equal urgency are served round-robin', () => {
  const s = new SendScheduler();
  s.add(0);
  s.add(4);
  s.add(8);
  s.add(4); // already queued: no duplicate
  assert.deepEqual(serve(s, 7), [0, 4, 8, 0, 4, 8, 0]);
  assert.equal(s.size, 3);
});

test('lower urgency values go first', () => {
  const s = new SendScheduler();
  s.add(0, 5);
  s.add(4, 1);
  s.add(8, 1);
  assert.deepEqual(serve(s, 4), [4, 8, 4, 8]);
  s.remove(4);
  s.remove(8);
  assert.deepEqual(serve(s, 2), [0, 0]);
});

test('removal and re-adding does not serve a stream twice', () => {
  const s = new SendScheduler();
  s.add(0);
  s.add(4);
  s.remove(0);
  s.add(0);
  assert.deepEqual(serve(s, 4), [4, 0, 4, 0]);
});

test('changing urgency moves the stream', () => {
  const s = new SendScheduler();
  s.add(0);
  s.add(4);
  s.add(4, 0);
  assert.equal(s.peek(), 4);
});

test('urgency is clamped to 0..7', () => {
  const s = new SendScheduler();
  s.add(0, 99);
  s.add(4, -3);
  assert.deepEqual(serve(s, 2), [4, 4]);
});

test('empty scheduler and unknown streams', () => {
  const s = new SendScheduler();
  assert.equal(s.peek(), undefined);
  s.rotate(12);
  s.remove(12);
  assert.equal(s.size, 0);
  assert.ok(!s.has(12));
});

test('memory stays bounded under add/remove churn without serving', () => {
  const s = new SendScheduler();
  for (let i = 0; i < 10_000; i++) {
    s.add(i % 3);
    s.remove(i % 3);
  }
  s.add(42);
  const internal = s as unknown as { levels: { entries: unknown[] }[] };
  const stored = internal.levels.reduce((n, l) => n + l.entries.length, 0);
  assert.ok(stored <= 2 * s.size + 17, `stored ${stored}`);
  assert.equal(s.peek(), 42);
});
