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
    cs.onPacketWhileClosing(i);
    if (cs.sendPending) {
      answers.push(i);
      cs.sendPending = false;
    }
  }
  assert.deepEqual(answers, [1, 3, 7, 15, 31]);
  const draining = new CloseState('draining', { code: 0, application: true, reason: '', remote: true, cause: 'close' });
  draining.onPacketWhileClosing(0);
  assert.equal(draining.sendPending, false, 'draining never sends');
});

test('packets that crossed the first CONNECTION_CLOSE in flight (within one PTO without ack delay) get no answer', () => {
  const cs = new CloseState('closing', { code: 0, application: true, reason: '', remote: false, cause: 'close' });
  cs.sendPending = false;
  cs.onFirstSent(1000, 20);
  for (const t of [1000, 1005, 1019.9]) {
    cs.onPacketWhileClosing(t);
    assert.equal(cs.sendPending, false, `a packet at ${t} ms left the peer before our close reached it`);
  }
  // Later ones count from the first, so a lost close is still repeated at the 1, 2, 4 ... rate.
  const answers: number[] = [];
  for (let i = 1; i <= 7; i++) {
    cs.onPacketWhileClosing(1020 + i);
    if (cs.sendPending) {
      answers.push(i);
      cs.sendPending = false;
    }
  }
  assert.deepEqual(answers, [1, 3, 7]);
  // Only the first close opens the window.
  cs.onFirstSent(5000, 20);
  cs.onPacketWhileClosing(5001);
  cs.onPacketWhileClosing(5002);
  cs.onPacketWhileClosing(5003);
  cs.onPacketWhileClosing(5004);
  cs.onPacketWhileClosing(5005);
  cs.onPacketWhileClosing(5006);
  cs.onPacketWhileClosing(5007);
  cs.onPacketWhileClosing(5008);
  assert.equal(cs.sendPending, true, 'the 8th packet after the window is answered: not silenced again');
});

test('reason phrases are cut on a UTF-8 character boundary', () => {
  assert.equal(truncateUtf8('abc', 10), 'abc');
  assert.equal(truncateUtf8('ééé', 5), 'éé');
  assert.equal(truncateUtf8('a€', 3), 'a');
});
