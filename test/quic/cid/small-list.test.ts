import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appended, indexOfSequence, NO_ENTRIES, packIdAndToken, removedAt, replacedAt, without } from '../../../src/quic/cid/small-list.js';

test('changes return new exact lists and never touch the one given', () => {
  const a = appended(NO_ENTRIES as readonly number[], 1);
  const b = appended(a, 2);
  assert.deepEqual(NO_ENTRIES, []);
  assert.deepEqual(a, [1]);
  assert.deepEqual(b, [1, 2]);
  const c = replacedAt(b, 0, 9);
  assert.deepEqual(c, [9, 2]);
  assert.deepEqual(b, [1, 2]);
  assert.deepEqual(removedAt(b, 0), [2]);
  assert.deepEqual(b, [1, 2]);
  assert.deepEqual(without(b, 2), [1]);
  assert.equal(without(b, 5), b); // absent: the same list
});

test('removing the last entry gives back the shared empty list', () => {
  assert.equal(removedAt([7], 0), NO_ENTRIES);
  assert.equal(without([7], 7), NO_ENTRIES);
  assert.equal(NO_ENTRIES.length, 0);
});

test('indexOfSequence finds entries by sequence number', () => {
  const list = [{ sequenceNumber: 4 }, { sequenceNumber: 2 }];
  assert.equal(indexOfSequence(list, 2), 1);
  assert.equal(indexOfSequence(list, 3), -1);
  assert.equal(indexOfSequence(NO_ENTRIES, 0), -1);
});

test('packIdAndToken copies both into one allocation, aliasing neither input', () => {
  const id = Uint8Array.from([1, 2, 3, 4]);
  const token = new Uint8Array(16).fill(0xee);
  const packed = packIdAndToken(id, token);
  assert.deepEqual(packed.connectionId, id);
  assert.deepEqual(packed.statelessResetToken, token);
  assert.equal(packed.connectionId.buffer, packed.statelessResetToken.buffer);
  assert.equal(packed.connectionId.buffer.byteLength, 20);
  id.fill(0);
  token.fill(0);
  assert.deepEqual(packed.connectionId, Uint8Array.from([1, 2, 3, 4]));
  assert.deepEqual(packed.statelessResetToken, new Uint8Array(16).fill(0xee));
});
