import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseState, truncateUtf8 } from '../../../src/quic/connection/close.js';

test('an application close in Initial/Handshake packets is APPLICATION_ERROR with no reason (RFC 9000 §10.2.3)', () => {
  const cs = new CloseState('closing', { code: 0x42, application: true, reason: 'private', remote: false, cause: 'close' });
  for (const t of ['initial', 'handshake'] as const) {
    assert.deepEqual(cs.frameFor(t), { kind: 'connection_close', isApplication: false, errorCode: 0x0c, frameType: 0, reason: '' });
  }
  assert.deepEqual(cs.frameFor('1rtt'), { kind: 'connection_close', isApplication: true, errorCode: 0x42, frameType: 0, reason: 'private' });
});

test('a transport close keeps its frame type', () => {
  const cs = new CloseState('closing', { code: 0x0a, application: false, reason: 'bad', frameType: 0x1e, remote: false, cause: 'close' });
  assert.equal(cs.frameFor('handshake').frameType, 0x1e);
  assert.equal(cs.frameFor('1rtt').errorCode, 0x0a);
});

test('closing answers incoming packets after 1, 2, 4, 8 ... of them (RFC 9000 §10.2.1)', () => {
  const cs = new CloseState('closing', { code: 0, application: true, reason: '', remote: false, cause: 'close' });
  assert.equal(cs.sendPending, true, 'the first CONNECTION_CLOSE');
  cs.sendPending = false;
  const answers: number[] = [];
  for (let i = 1; i <= 31; i++) {
    cs.onPacketWhileClosing();
    if (cs.sendPending) {
      answers.push(i);
      cs.sendPending = false;
    }
  }
  assert.deepEqual(answers, [1, 3, 7, 15, 31]);
  const draining = new CloseState('draining', { code: 0, application: true, reason: '', remote: true, cause: 'close' });
  draining.onPacketWhileClosing();
  assert.equal(draining.sendPending, false, 'draining never sends');
});

test('reason phrases are cut on a UTF-8 character boundary', () => {
  assert.equal(truncateUtf8('abc', 10), 'abc');
  assert.equal(truncateUtf8('ééé', 5), 'éé');
  assert.equal(truncateUtf8('a€', 3), 'a');
});
