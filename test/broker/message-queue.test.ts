import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from '../../src/broker/message-queue.js';

test('drop_oldest keeps the newest items', () => {
  const q = new BoundedQueue<number>(3, 'drop_oldest');
  for (const i of [1, 2, 3]) assert.equal(q.push(i), undefined);
  assert.equal(q.push(4), 1);
  assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [2, 3, 4, undefined]);
});

test('drop_new refuses the new item', () => {
  const q = new BoundedQueue<number>(2, 'drop_new');
  q.push(1);
  q.push(2);
  assert.equal(q.push(3), 3);
  assert.equal(q.length, 2);
  assert.equal(q.peek(), 1);
});

test('capacity 0 stores nothing; clear reports the count; long runs stay compact', () => {
  const z = new BoundedQueue<number>(0, 'drop_oldest');
  assert.equal(z.push(1), 1);
  assert.equal(z.length, 0);
  const q = new BoundedQueue<number>(10, 'drop_oldest');
  for (let i = 0; i < 5000; i++) {
    q.push(i);
    assert.equal(q.shift(), i);
  }
  q.push(1);
  q.push(2);
  assert.equal(q.clear(), 2);
  assert.equal(q.length, 0);
});
