import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicTrie } from '../../../src/broker/router/topic-trie.js';

function matches(trie: TopicTrie<string>, topic: string): string[] {
  const out: string[] = [];
  trie.match(topic, (v) => out.push(v));
  return out.sort();
}

test('literal, + and # filters', () => {
  const t = new TopicTrie<string>();
  t.set('a/b', 'c1', 'exact');
  t.set('a/+', 'c1', 'plus');
  t.set('a/#', 'c1', 'hash');
  t.set('#', 'c2', 'all');
  t.set('+/+/c', 'c3', 'pp');
  assert.deepEqual(matches(t, 'a/b'), ['all', 'exact', 'hash', 'plus']);
  assert.deepEqual(matches(t, 'a'), ['all', 'hash']); // "a/#" matches its parent level
  assert.deepEqual(matches(t, 'a/x/c'), ['all', 'hash', 'pp']);
  assert.deepEqual(matches(t, 'b'), ['all']);
  assert.equal(t.size, 5);
});

test('wildcards at the root do not match $ topics (MQTT 5.0 §4.7.2)', () => {
  const t = new TopicTrie<string>();
  t.set('#', 'c', 'all');
  t.set('+/broker', 'c', 'plus');
  t.set('$SYS/#', 'c', 'sys');
  t.set('$SYS/+', 'c', 'sysplus');
  assert.deepEqual(matches(t, '$SYS/broker'), ['sys', 'sysplus']);
  assert.deepEqual(matches(t, 'x/broker'), ['all', 'plus']);
});

test('empty levels are levels', () => {
  const t = new TopicTrie<string>();
  t.set('+/a', 'c', 'lead');
  t.set('a/+', 'c', 'trail');
  assert.deepEqual(matches(t, '/a'), ['lead']);
  assert.deepEqual(matches(t, 'a/'), ['trail']);
});

test('set replaces per key, delete prunes and reports', () => {
  const t = new TopicTrie<string>();
  t.set('a/b/c', 'k', 'v1');
  t.set('a/b/c', 'k', 'v2');
  assert.equal(t.size, 1);
  assert.equal(t.get('a/b/c', 'k'), 'v2');
  assert.equal(t.delete('a/b/c', 'other'), false);
  assert.equal(t.delete('a/b', 'k'), false);
  assert.equal(t.delete('a/b/c', 'k'), true);
  assert.equal(t.size, 0);
  assert.deepEqual(matches(t, 'a/b/c'), []);
  assert.equal(t.get('a/b/c', 'k'), undefined);
});
