// Review finding: a retained message must not keep the network buffer it was parsed from alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetainedStore } from '../../src/broker/retained-store.js';
import type { Message } from '../../src/broker/message.js';

test('a retained payload that is a view into a larger buffer is stored in memory of its own size', () => {
  // The decoder hands out payloads as views into the socket chunk (up to 64 KB holding many packets);
  // storing the view would pin the whole chunk for as long as the message stays retained.
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  chunk.write('tiny', 1000);
  const message: Message = { topic: 'pin/t', payload: chunk.subarray(1000, 1004), qos: 0, retain: true, properties: {} };
  const store = new RetainedStore(0);
  assert.equal(store.set(message), 'stored');
  const kept = store.get('pin/t', 0)!;
  assert.equal(kept.payload.toString(), 'tiny');
  assert.equal(kept.payload.buffer.byteLength, 4);
  // The stored copy is independent of the network buffer being reused.
  chunk.fill(0, 1000, 1004);
  assert.equal(store.get('pin/t', 0)!.payload.toString(), 'tiny');
});

test('a payload that owns its memory is stored as is (no needless copy)', () => {
  const payload = Buffer.allocUnsafeSlow(16).fill(1);
  const store = new RetainedStore(0);
  store.set({ topic: 'own/t', payload, qos: 0, retain: true, properties: {} });
  assert.equal(store.get('own/t', 0)!.payload, payload);
});

test('a filter without wildcards is a direct lookup with the same results as the scan', () => {
  const store = new RetainedStore(0);
  const m = (topic: string, extra: Partial<Message> = {}): Message => ({ topic, payload: Buffer.from('v'), qos: 1, retain: true, properties: {}, ...extra });
  store.set(m('a/b'));
  store.set(m('a/c'));
  store.set(m('$SYS/broker/uptime'));
  store.set(m('old', { expiresAt: 1000 }));
  assert.deepEqual(store.match('a/b', 0).map((x) => x.topic), ['a/b']);
  assert.deepEqual(store.match('a/x', 0), []);
  assert.deepEqual(store.match('$SYS/broker/uptime', 0).map((x) => x.topic), ['$SYS/broker/uptime']);
  assert.deepEqual(store.match('old', 999).map((x) => x.topic), ['old']);
  assert.deepEqual(store.match('old', 1000), [], 'expired');
  assert.equal(store.count, 2, 'the expired one is gone, $SYS is not counted');
  assert.deepEqual(store.match('a/+', 0).map((x) => x.topic).sort(), ['a/b', 'a/c']);
});
