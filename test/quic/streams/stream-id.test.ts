import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StreamType,
  hasReceiveSide,
  hasSendSide,
  initiator,
  isBidirectional,
  isClientInitiated,
  isLocallyInitiated,
  isServerInitiated,
  isUnidirectional,
  isValidStreamId,
  streamDirection,
  streamIdOf,
  streamIndex,
  streamType,
} from '../../../src/quic/streams/stream-id.js';

// RFC 9000 §2.1 Table 1.
test('the two low bits give initiator and direction', () => {
  assert.equal(streamType(0), StreamType.CLIENT_BIDI);
  assert.equal(streamType(1), StreamType.SERVER_BIDI);
  assert.equal(streamType(2), StreamType.CLIENT_UNI);
  assert.equal(streamType(3), StreamType.SERVER_UNI);
  assert.ok(isClientInitiated(4) && !isServerInitiated(4));
  assert.ok(isServerInitiated(5) && !isClientInitiated(5));
  assert.ok(isBidirectional(8) && isBidirectional(9) && !isBidirectional(10) && !isBidirectional(11));
  assert.ok(isUnidirectional(6) && isUnidirectional(7));
  assert.equal(streamDirection(2), 'uni');
  assert.equal(streamDirection(1), 'bidi');
  assert.equal(initiator(3), 'server');
  assert.equal(initiator(2), 'client');
});

test('IDs above 2^32 are classified without 32-bit truncation', () => {
  const big = 2 ** 40 + 2; // client uni
  assert.equal(streamType(big), StreamType.CLIENT_UNI);
  assert.ok(isUnidirectional(big));
  assert.equal(streamIndex(big), 2 ** 38);
  assert.equal(streamIdOf('client', 'uni', 2 ** 38), big);
});

test('index and ID are inverse for every type', () => {
  for (const by of ['client', 'server'] as const) {
    for (const dir of ['bidi', 'uni'] as const) {
      for (let i = 0; i < 5; i++) {
        const id = streamIdOf(by, dir, i);
        assert.equal(streamIndex(id), i);
        assert.equal(initiator(id), by);
        assert.equal(streamDirection(id), dir);
      }
    }
  }
  assert.equal(streamIdOf('server', 'uni', 1), 7);
});

test('send and receive sides follow direction and initiator', () => {
  assert.ok(hasSendSide(0, 'client') && hasReceiveSide(0, 'client'));
  assert.ok(hasSendSide(2, 'client') && !hasReceiveSide(2, 'client'));
  assert.ok(!hasSendSide(2, 'server') && hasReceiveSide(2, 'server'));
  assert.ok(!hasSendSide(3, 'client') && hasReceiveSide(3, 'client'));
  assert.ok(isLocallyInitiated(1, 'server') && !isLocallyInitiated(1, 'client'));
});

test('valid stream IDs are 62-bit non-negative integers', () => {
  assert.ok(isValidStreamId(0));
  assert.ok(isValidStreamId(2 ** 53));
  assert.ok(!isValidStreamId(-1));
  assert.ok(!isValidStreamId(1.5));
  assert.ok(!isValidStreamId(2 ** 62));
});
