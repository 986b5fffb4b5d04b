import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filterCoveredBy,
  filtersOverlap,
  hasWildcard,
  isSharedFilter,
  parseSharedFilter,
  TopicProblem,
  topicMatchesFilter,
  validateTopicFilter,
  validateTopicName,
} from '../../src/mqtt/topic.js';

test('topic names: valid and invalid (MQTT 5.0 §4.7.3, §3.3.2.1)', () => {
  for (const ok of ['a', 'a/b', '/a', 'a/', '$SYS/x', 'a b/c', 'ü/ß']) assert.equal(validateTopicName(ok).ok, true, ok);
  for (const bad of ['', 'a/+', '#', 'a/#', 'a+b', 'nul\u0000']) assert.equal(validateTopicName(bad).ok, false, JSON.stringify(bad));
  assert.equal(validateTopicName('a'.repeat(65536)).ok, false);
});

test('topic filters: wildcard placement (MQTT 5.0 §4.7.1)', () => {
  for (const ok of ['#', '+', 'a/#', 'a/+/b', '+/+', '/+', 'a/b', '+/#']) assert.equal(validateTopicFilter(ok).ok, true, ok);
  for (const bad of ['', 'a/#/b', 'a#', 'a/b#', 'a+/b', '#/a', 'a/++']) assert.equal(validateTopicFilter(bad).ok, false, bad);
});

test('each failure names its problem with a TopicProblem text', () => {
  const cases: Array<[ReturnType<typeof validateTopicName>, string]> = [
    [validateTopicName(''), TopicProblem.Empty],
    [validateTopicFilter('x'.repeat(65536)), TopicProblem.TooLong],
    [validateTopicName('a\u0000'), TopicProblem.ContainsNul],
    [validateTopicName('a/+'), TopicProblem.WildcardInName],
    [validateTopicFilter('a/#/b'), TopicProblem.MultiLevelWildcardMisplaced],
    [validateTopicFilter('a+'), TopicProblem.SingleLevelWildcardMisplaced],
  ];
  for (const [check, reason] of cases) assert.deepEqual(check, { ok: false, reason });
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

test('filterCoveredBy: inner filter inside outer filter', () => {
  const yes: Array<[string, string]> = [
    ['a/b', 'a/b'],
    ['a/b', 'a/+'],
    ['a/+', 'a/+'],
    ['a/+/c', 'a/#'],
    ['a/#', 'a/#'],
    ['a', 'a/#'], // "a/#" also matches "a" (MQTT 5.0 §4.7.1.2)
    ['a/b/c', '#'],
    ['#', '#'],
    ['+/x', '+/+'],
    ['$SYS/x', '$SYS/#'],
  ];
  const no: Array<[string, string]> = [
    ['a/+', 'a/b'],
    ['a/#', 'a/+'],
    ['a/#', 'a/b/#'],
    ['#', 'a/#'],
    ['a/b/c', 'a/+'],
    ['a', 'a/+'],
    ['a', 'a/+/#'],
    ['a/b', 'a'],
    ['$SYS/x', '#'], // wildcards at the first level never match '$' topics (§4.7.2)
    ['$SYS/x', '+/x'],
    ['b/c', 'a/#'],
  ];
  for (const [inner, outer] of yes) assert.equal(filterCoveredBy(inner, outer), true, `${inner} in ${outer}`);
  for (const [inner, outer] of no) assert.equal(filterCoveredBy(inner, outer), false, `${inner} not in ${outer}`);
});

test('filtersOverlap: some topic matches both', () => {
  const yes: Array<[string, string]> = [
    ['a/b', 'a/b'],
    ['a/+', 'a/b'],
    ['#', 'a/b'],
    ['a/#', 'a'],
    ['+/b', 'a/+'],
    ['secret/#', '+/x'],
    ['$SYS/#', '$SYS/+/x'],
    ['a/+/#', 'a/b'],
  ];
  const no: Array<[string, string]> = [
    ['a/b', 'a/c'],
    ['a/+', 'a'],
    ['a/+', 'a/b/c'],
    ['#', '$SYS/#'],
    ['+/x', '$SYS/x'],
    ['a/b/c', 'a/b'],
  ];
  for (const [x, y] of yes) {
    assert.equal(filtersOverlap(x, y), true, `${x} ~ ${y}`);
    assert.equal(filtersOverlap(y, x), true, `${y} ~ ${x}`);
  }
  for (const [x, y] of no) {
    assert.equal(filtersOverlap(x, y), false, `${x} !~ ${y}`);
    assert.equal(filtersOverlap(y, x), false, `${y} !~ ${x}`);
  }
});
