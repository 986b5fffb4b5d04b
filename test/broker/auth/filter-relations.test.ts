import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterCoveredBy, filtersOverlap } from '../../../src/broker/auth/filter-relations.js';

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
