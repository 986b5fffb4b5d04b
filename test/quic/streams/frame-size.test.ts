import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFrameOverhead, varintSize } from '../../../src/quic/streams/frame-size.js';

// RFC 9000 §16 Table 4 boundaries.
test('varint sizes', () => {
  assert.deepEqual(
    [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 62 - 1].map(varintSize),
    [1, 1, 2, 2, 4, 4, 8, 8],
  );
});

// RFC 9000 §19.8: the offset field is omitted when the offset is zero.
test('STREAM frame overhead', () => {
  assert.equal(streamFrameOverhead(0, 0, 10), 1 + 1 + 1);
  assert.equal(streamFrameOverhead(100, 70000, 1200), 1 + 2 + 4 + 2);
});
