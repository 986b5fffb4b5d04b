import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageQueue } from '../../src/client/message-queue.js';

test('delivers buffered items in order, then waits for new ones', async () => {
  const q = new MessageQueue<number>(10, () => {});
  q.push(1);
  q.push(2);
  assert.deepEqual(await q.next(), { value: 1, done: false });
  assert.deepEqual(await q.next(), { value: 2, done: false });
  const pending = q.next();
  q.push(3);
  assert.deepEqual(await pending, { value: 3, done: false });
});

test('reports full at capacity and wakes room waiters once an item is taken', async () => {
  const q = new MessageQueue<number>(2, () => {});
  q.push(1);
  assert.equal(q.full, false);
  q.push(2);
  assert.equal(q.full, true);
  let woken = false;
  const room = q.waitForRoom().then(() => (woken = true));
  await Promise.resolve();
  assert.equal(woken, false);
  await q.next();
  await room;
  assert.equal(woken, true);
  assert.equal(q.size, 1);
});

test('close() delivers what is buffered, then done; pushes after close are dropped', async () => {
  const q = new MessageQueue<number>(5, () => {});
  q.push(1);
  q.close();
  q.push(2);
  assert.deepEqual(await q.next(), { value: 1, done: false });
  assert.deepEqual(await q.next(), { value: undefined, done: true });
});

test('close(error) rejects a waiting reader, once', async () => {
  const q = new MessageQueue<number>(5, () => {});
  const waiting = q.next();
  q.close(new Error('lost'));
  await assert.rejects(waiting, /lost/);
  assert.deepEqual(await q.next(), { value: undefined, done: true });
});

test('close(error) after buffered items: items first, then the error once', async () => {
  const q = new MessageQueue<number>(5, () => {});
  q.push(7);
  q.close(new Error('lost'));
  assert.deepEqual(await q.next(), { value: 7, done: false });
  await assert.rejects(q.next(), /lost/);
  assert.deepEqual(await q.next(), { value: undefined, done: true });
});

test('closing releases room waiters so the connection is never left stalled', async () => {
  const q = new MessageQueue<number>(1, () => {});
  q.push(1);
  const room = q.waitForRoom();
  q.close();
  await room;
  assert.equal(q.full, false);
});

test('break in for-await detaches the queue (return)', async () => {
  let detached = false;
  const q = new MessageQueue<number>(5, () => (detached = true));
  q.push(1);
  q.push(2);
  for await (const n of q) {
    assert.equal(n, 1);
    break;
  }
  assert.equal(detached, true);
  assert.deepEqual(await q.next(), { value: undefined, done: true });
});
