import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateTopicName, validateTopicFilter, parseSharedFilter, isSharedFilter, topicMatchesFilter, hasWildcard } from '../../src/mqtt/topic.js';

test('topic names: valid and invalid (MQTT 5.0 §4.7.3, §3.3.2.1)', () => {
  for (const ok of ['a', 'a/b', '/a', 'a/', '$SYS/x', 'a b/c', 'ü/ß']) assert.equal(validateTopicName(ok).ok, true, ok);
  for (const bad of ['', 'a/+', '#', 'a/#', 'a+b', 'nul\u0000']) assert.equal(validateTopicName(bad).ok, false, JSON.stringify(bad));
  assert.equal(validateTopicName('a'.repeat(65536)).ok, false);
});

test('topic filters: wildcard placement (MQTT 5.0 §4.7.1)', () => {
  for (const ok of ['#', '+', 'a/#', 'a/+/b', '+/+', '/+', 'a/b', '+/#']) assert.equal(validateTopicFilter(ok).ok, true, ok);
  for (const bad of ['', 'a/#/b', 'a#', 'a/b#', 'a+/b', '#/a', 'a/++']) assert.equal(validateTopicFilter(bad).ok, false, bad);
});

test('max topic levels', () => {
  assert.equal(validateTopicName('a/b/c', { maxLevels: 3 }).ok, true);
  const r = validateTopicName('a/b/c/d', { maxLevels: 3 });
  assert.deepEqual(r, { ok: false, reason: 'more than 3 levels' });
  assert.equal(validateTopicFilter('a/b/c/#', { maxLevels: 3 }).ok, false);
});

test('shared subscription syntax (MQTT 5.0 §4.8.2)', () => {
  assert.equal(isSharedFilter('$share/g/a'), true);
  assert.equal(isSharedFilter('$SYS/a'), false);
  assert.deepEqual(parseSharedFilter('$share/g/a/+'), { group: 'g', filter: 'a/+' });
  assert.ok('error' in parseSharedFilter('$share/g'));
  assert.ok('error' in parseSharedFilter('$share//a'));
  assert.ok('error' in parseSharedFilter('$share/g/'));
  assert.ok('error' in parseSharedFilter('$share/g+/a'));
  assert.ok('error' in parseSharedFilter('$share/#/a'));
});

test('matching, including # matching the parent and $ topics (MQTT 5.0 §4.7.1-2)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/+', true],
    ['a/b', '#', true],
    ['a', 'a/#', true],
    ['a/b/c', 'a/#', true],
    ['a/b/c', 'a/+', false],
    ['a', 'a/+', false],
    ['/a', '+/a', true],
    ['a/', 'a/+', true],
    ['$SYS/x', '#', false],
    ['$SYS/x', '+/x', false],
    ['$SYS/x', '$SYS/#', true],
    ['b', 'a', false],
  ];
  for (const [t, f, want] of cases) assert.equal(topicMatchesFilter(t, f), want, `${t} ~ ${f}`);
  assert.equal(hasWildcard('a/+'), true);
  assert.equal(hasWildcard('a/b'), false);
});
