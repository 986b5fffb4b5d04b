// Routing without per-message splitting and Maps: the level cache and the per-session aggregation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicTrie } from '../../src/broker/router/topic-trie.js';
import { Router, type SubscriptionOptions } from '../../src/broker/router/router.js';
import { BrokerMetrics } from '../../src/broker/metrics.js';

function matches(trie: TopicTrie<number>, topic: string): number[] {
  const out: number[] = [];
  trie.match(topic, (v) => out.push(v));
  return out.sort((a, b) => a - b);
}

test('the level cache stays bounded and never changes what matches', () => {
  const trie = new TopicTrie<number>(2);
  trie.set('a/+', 'k', 1);
  trie.set('a/b/#', 'k', 2);
  trie.set('$SYS/#', 'k', 3);
  trie.set('#', 'k', 4);
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(matches(trie, 'a/b'), [1, 2, 4]);
    assert.deepEqual(matches(trie, 'a/b/c'), [2, 4]);
    assert.deepEqual(matches(trie, '$SYS/x'), [3]); // MQTT 5.0 §4.7.2: '#' does not match '$' topics
    assert.deepEqual(matches(trie, 'a'), [4]);
    assert.deepEqual(matches(trie, 'a//'), [4]);
    assert.deepEqual(matches(trie, 'a/'), [1, 4]); // '+' matches an empty level
  }
  // A filter added after a topic was cached still matches it.
  trie.set('a/b', 'k', 5);
  assert.deepEqual(matches(trie, 'a/b'), [1, 2, 4, 5]);
});

const opts = (qos: 0 | 1 | 2, subscriptionId?: number): SubscriptionOptions => ({
  qos,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0,
  ...(subscriptionId !== undefined ? { subscriptionId } : {}),
});

test('one target per session with the highest QoS and every Subscription Identifier, past the linear limit too', () => {
  const router = new Router({ strategy: 'random', isOnline: () => true });
  // Twelve sessions with one subscription each, then a second, overlapping one for two of them.
  for (let i = 0; i < 12; i++) router.subscribe(`c${i}`, 'r/+', opts(0));
  router.subscribe('c1', 'r/#', opts(2, 7));
  router.subscribe('c11', 'r/x', opts(1, 9));
  router.subscribe('c11', '#', opts(0, 10));
  const targets = router.match('r/x', undefined);
  assert.equal(targets.length, 12);
  assert.equal(new Set(targets.map((t) => t.clientId)).size, 12);
  const c1 = targets.find((t) => t.clientId === 'c1')!;
  assert.equal(c1.qos, 2);
  assert.deepEqual(c1.subscriptionIds, [7]);
  const c11 = targets.find((t) => t.clientId === 'c11')!;
  assert.equal(c11.qos, 1);
  assert.deepEqual([...c11.subscriptionIds].sort((a, b) => a - b), [9, 10]);
  // Targets without identifiers share one empty list, which no match may have changed.
  for (const t of targets.filter((x) => x.clientId !== 'c1' && x.clientId !== 'c11')) assert.deepEqual(t.subscriptionIds, []);
  assert.deepEqual(router.match('r/y', undefined).find((t) => t.clientId === 'c0')!.subscriptionIds, []);
});

test('message and byte counters are read from plain integers when scraped', async () => {
  const m = new BrokerMetrics();
  m.countReceived(1);
  m.countReceived(1);
  m.countSent(0);
  m.countBytesReceived(100);
  m.countBytesSent(40);
  m.countBytesSent(2);
  const text = await m.registry.metrics();
  assert.match(text, /quicmq_messages_received_total\{qos="1"\} 2/);
  assert.doesNotMatch(text, /quicmq_messages_received_total\{qos="0"\}/);
  assert.match(text, /quicmq_messages_sent_total\{qos="0"\} 1/);
  assert.match(text, /quicmq_bytes_received_total 100/);
  assert.match(text, /quicmq_bytes_sent_total 42/);
  // A second scrape reports the same totals (collect() resets before it adds).
  m.countSent(0);
  assert.match(await m.registry.metrics(), /quicmq_messages_sent_total\{qos="0"\} 2/);
});
