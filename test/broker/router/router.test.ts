import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSubscriberOf, Router, type SubscriptionOptions } from '../../../src/broker/router/router.js';
import { SharedGroupPicker } from '../../../src/broker/router/shared-strategy.js';

const opt = (o: Partial<SubscriptionOptions> = {}): SubscriptionOptions => ({ qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, ...o });

test('overlapping subscriptions: one target, max QoS, all subscription ids (MQTT 5.0 §3.3.4)', () => {
  const r = new Router({ strategy: 'round_robin', isOnline: () => true });
  r.subscribe('c', 'a/+', opt({ qos: 1, subscriptionId: 1 }));
  r.subscribe('c', 'a/#', opt({ qos: 2, subscriptionId: 2, retainAsPublished: true }));
  const t = r.match('a/b', undefined);
  assert.equal(t.length, 1);
  assert.equal(t[0]!.qos, 2);
  assert.equal(t[0]!.retainAsPublished, true);
  assert.deepEqual(t[0]!.subscriptionIds.sort(), [1, 2]);
  assert.equal(r.subscriptionCount, 2);
});

test('no local skips the publisher only', () => {
  const r = new Router({ strategy: 'round_robin', isOnline: () => true });
  r.subscribe('me', 't', opt({ noLocal: true }));
  r.subscribe('you', 't', opt({ noLocal: true }));
  assert.deepEqual(r.match('t', 'me').map((x) => x.clientId), ['you']);
});

test('round robin spreads a shared group evenly', () => {
  const r = new Router({ strategy: 'round_robin', isOnline: () => true });
  for (const c of ['a', 'b', 'c']) r.subscribe(c, 'jobs/+', opt(), 'g');
  r.subscribe('x', 'jobs/+', opt(), 'other');
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const targets = r.match('jobs/1', 'p');
    assert.equal(targets.length, 2); // one per group
    for (const t of targets) counts.set(t.clientId, (counts.get(t.clientId) ?? 0) + 1);
  }
  assert.deepEqual([...counts.entries()].sort(), [['a', 10], ['b', 10], ['c', 10], ['x', 30]]);
});

test('shared groups prefer connected members', () => {
  const online = new Set(['b']);
  const r = new Router({ strategy: 'round_robin', isOnline: (id) => online.has(id) });
  r.subscribe('a', 't', opt(), 'g');
  r.subscribe('b', 't', opt(), 'g');
  for (let i = 0; i < 4; i++) assert.equal(r.match('t', undefined)[0]!.clientId, 'b');
  online.clear();
  assert.equal(r.match('t', undefined).length, 1); // still delivered (queued) to someone
});

test('unsubscribe from a shared group; empty groups disappear', () => {
  const r = new Router({ strategy: 'round_robin', isOnline: () => true });
  r.subscribe('a', 't', opt(), 'g');
  assert.equal(r.unsubscribe('a', 't', 'h'), false);
  assert.equal(r.unsubscribe('a', 't', 'g'), true);
  assert.equal(r.unsubscribe('a', 't', 'g'), false);
  assert.equal(r.match('t', undefined).length, 0);
  assert.equal(r.subscriptionCount, 0);
});

test('strategies: random uses the injected source, sticky keeps its member, hash_clientid is stable per publisher', () => {
  const random = new SharedGroupPicker('random', () => 0.99);
  assert.equal(random.pick(['a', 'b', 'c'], { publisher: undefined }), 'c');
  const sticky = new SharedGroupPicker('sticky', () => 0);
  assert.equal(sticky.pick(['a', 'b'], { publisher: undefined }), 'a');
  assert.equal(sticky.pick(['a', 'b'], { publisher: undefined }), 'a');
  assert.equal(sticky.pick(['b', 'c'], { publisher: undefined }), 'b'); // 'a' left: pick again
  const hash = new SharedGroupPicker('hash_clientid');
  const members = ['a', 'b', 'c', 'd'];
  const first = hash.pick(members, { publisher: 'pub-1' });
  for (let i = 0; i < 5; i++) assert.equal(hash.pick(members, { publisher: 'pub-1' }), first);
  const seen = new Set(Array.from({ length: 40 }, (_, i) => hash.pick(members, { publisher: `p${i}` })));
  assert.ok(seen.size > 1);
});

test('isSubscriberOf: a client is its own subscriber and that of its data streams (<id>\\u0000<n>), of no other client', () => {
  assert.equal(isSubscriberOf('c1', 'c1'), true);
  assert.equal(isSubscriberOf('c1\u00003', 'c1'), true);
  assert.equal(isSubscriberOf('c10', 'c1'), false, 'a longer client id is another client');
  assert.equal(isSubscriberOf('c1', 'c1\u00003'), false);
  assert.equal(isSubscriberOf('d1\u00003', 'c1'), false);
  assert.equal(isSubscriberOf('', ''), true);
});
