import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RangeSet } from '../../../src/quic/streams/range-set.js';
import { Prng } from './prng.js';

test('adding merges overlapping and adjacent ranges', () => {
  const s = new RangeSet();
  s.add(10, 20);
  s.add(30, 40);
  assert.deepEqual(s.ranges(), [{ start: 10, end: 20 }, { start: 30, end: 40 }]);
  s.add(20, 30); // touches both
  assert.deepEqual(s.ranges(), [{ start: 10, end: 40 }]);
  s.add(0, 5);
  s.add(3, 12);
  assert.deepEqual(s.ranges(), [{ start: 0, end: 40 }]);
  s.add(7, 7); // empty: ignored
  assert.equal(s.rangeCount, 1);
});

test('removing splits and trims ranges', () => {
  const s = new RangeSet();
  s.add(0, 100);
  s.remove(10, 20);
  s.remove(90, 200);
  assert.deepEqual(s.ranges(), [{ start: 0, end: 10 }, { start: 20, end: 90 }]);
  s.remove(5, 25);
  assert.deepEqual(s.ranges(), [{ start: 0, end: 5 }, { start: 25, end: 90 }]);
  s.removeBelow(30);
  assert.deepEqual(s.ranges(), [{ start: 30, end: 90 }]);
  s.remove(0, 1000);
  assert.ok(s.isEmpty);
  assert.equal(s.first(), undefined);
});

test('containsRange', () => {
  const s = new RangeSet();
  s.add(10, 20);
  assert.ok(s.containsRange(10, 20));
  assert.ok(s.containsRange(12, 15));
  assert.ok(!s.containsRange(9, 12));
  assert.ok(!s.containsRange(15, 21));
  assert.ok(s.containsRange(50, 50));
});

test('matches a bitmap model under random operations', () => {
  const rng = new Prng(7);
  const s = new RangeSet();
  const model = new Uint8Array(200);
  for (let op = 0; op < 400; op++) {
    const a = rng.int(0, 199);
    const b = rng.int(a, 200);
    const add = rng.next() < 0.6;
    if (add) s.add(a, b);
    else s.remove(a, b);
    model.fill(add ? 1 : 0, a, b);
  }
  const fromModel: { start: number; end: number }[] = [];
  for (let i = 0; i < model.length; i++) {
    if (model[i] === 1) {
      const last = fromModel[fromModel.length - 1];
      if (last !== undefined && last.end === i) last.end = i + 1;
      else fromModel.push({ start: i, end: i + 1 });
    }
  }
  assert.deepEqual(s.ranges(), fromModel);
});

test('extendPrefix grows a prefix kept outside the set over the ranges it touches, and takes them out', () => {
  const s = new RangeSet();
  assert.equal(s.extendPrefix(5), 5, 'empty set: unchanged');
  s.add(10, 20);
  s.add(30, 40);
  s.add(50, 60);
  assert.equal(s.extendPrefix(5), 5, 'a gap before the first range: nothing taken');
  assert.equal(s.rangeCount, 3);
  assert.equal(s.extendPrefix(10), 20, 'touching the first range takes it');
  assert.deepEqual(s.ranges(), [{ start: 30, end: 40 }, { start: 50, end: 60 }]);
  assert.equal(s.extendPrefix(55), 60, 'overlapping several takes them all');
  assert.ok(s.isEmpty);
  s.add(70, 80);
  assert.equal(s.extendPrefix(100), 100, 'a prefix beyond a range keeps its own end');
  assert.ok(s.isEmpty);
});

test('a set emptied by remove or clear is empty and usable again', () => {
  const s = new RangeSet();
  s.add(0, 10);
  s.add(20, 30);
  s.remove(0, 30);
  assert.ok(s.isEmpty);
  assert.equal(s.rangeCount, 0);
  assert.deepEqual(s.ranges(), []);
  assert.ok(!s.containsRange(0, 1));
  s.remove(0, 5); // removing from an empty set is a no-op
  s.add(5, 6);
  assert.deepEqual(s.ranges(), [{ start: 5, end: 6 }]);
  s.clear();
  assert.ok(s.isEmpty);
  s.add(1, 2);
  assert.ok(s.containsRange(1, 2));
});
