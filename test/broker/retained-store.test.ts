import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetainedStore } from '../../src/broker/retained-store.js';
import type { Message } from '../../src/broker/message.js';

const msg = (topic: string, payload: string, extra: Partial<Message> = {}): Message => ({ topic, payload: Buffer.from(payload), qos: 0, retain: true, properties: {}, ...extra });

test('set, replace, delete with empty payload', () => {
  const s = new RetainedStore(0);
  assert.equal(s.set(msg('a', '1')), 'stored');
  assert.equal(s.set(msg('a', '2')), 'replaced');
  assert.equal(s.get('a', 0)?.payload.toString(), '2');
  assert.equal(s.set(msg('a', '')), 'deleted');
  assert.equal(s.get('a', 0), undefined);
  assert.equal(s.count, 0);
});

test('match by filter; $SYS excluded from the count and the limit', () => {
  const s = new RetainedStore(2);
  s.set(msg('a/1', 'x'));
  s.set(msg('a/2', 'x'));
  assert.equal(s.set(msg('a/3', 'x')), 'full');
  assert.equal(s.set(msg('a/1', 'y')), 'replaced'); // replacing is allowed when full
  assert.equal(s.set(msg('$SYS/broker/uptime', '1')), 'stored');
  assert.equal(s.count, 2);
  assert.deepEqual(s.match('a/+', 0).map((m) => m.topic).sort(), ['a/1', 'a/2']);
  assert.deepEqual(s.match('#', 0).map((m) => m.topic).sort(), ['a/1', 'a/2']);
  assert.deepEqual(s.match('$SYS/#', 0).map((m) => m.topic), ['$SYS/broker/uptime']);
});

test('expired messages are not returned and are swept', () => {
  const s = new RetainedStore(0);
  s.set(msg('e', 'x', { expiresAt: 1000 }));
  s.set(msg('f', 'x', { expiresAt: 5000 }));
  assert.equal(s.match('#', 999).length, 2);
  assert.equal(s.match('#', 1000).length, 1);
  s.sweep(6000);
  assert.equal(s.count, 0);
});
