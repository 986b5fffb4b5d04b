import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecvStateMachine, SendStateMachine } from '../../../src/quic/streams/stream-state.js';
import { LocalStreamError } from '../../../src/quic/streams/transport-error.js';

const illegal = (e: unknown) => e instanceof LocalStreamError && e.code === 'ERR_STREAM_ILLEGAL_TRANSITION';

// RFC 9000 §3.1 Figure 2.
test('send: Ready -> Send -> Data Sent -> Data Recvd', () => {
  const m = new SendStateMachine();
  assert.equal(m.state, 'ready');
  m.onSend();
  assert.equal(m.state, 'send');
  m.onSend();
  assert.equal(m.state, 'send');
  m.onFinSent();
  assert.equal(m.state, 'data-sent');
  m.onFinSent(); // FIN retransmitted
  assert.equal(m.state, 'data-sent');
  assert.ok(!m.isTerminal);
  m.onAllAcked();
  assert.equal(m.state, 'data-recvd');
  assert.ok(m.isTerminal);
});

test('send: Ready -> Data Sent directly when the first frame carries FIN', () => {
  const m = new SendStateMachine();
  m.onFinSent();
  assert.equal(m.state, 'data-sent');
});

for (const path of [[], ['onSend'], ['onSend', 'onFinSent']] as const) {
  test(`send: reset from ${path.length === 0 ? 'ready' : path.length === 1 ? 'send' : 'data-sent'}`, () => {
    const m = new SendStateMachine();
    for (const step of path) m[step]();
    assert.ok(m.canReset);
    m.onResetSent();
    assert.equal(m.state, 'reset-sent');
    m.onResetAcked();
    assert.equal(m.state, 'reset-recvd');
    assert.ok(m.isTerminal);
  });
}

test('send: illegal transitions', () => {
  const ready = new SendStateMachine();
  assert.throws(() => ready.onAllAcked(), illegal);
  assert.throws(() => ready.onResetAcked(), illegal);
  const done = new SendStateMachine();
  done.onFinSent();
  assert.throws(() => done.onSend(), illegal); // no new data after FIN
  done.onAllAcked();
  assert.ok(!done.canReset);
  assert.throws(() => done.onResetSent(), illegal);
  assert.throws(() => done.onFinSent(), illegal);
  const reset = new SendStateMachine();
  reset.onResetSent();
  assert.throws(() => reset.onSend(), illegal);
  assert.throws(() => reset.onFinSent(), illegal);
  assert.throws(() => reset.onResetSent(), illegal);
  assert.throws(() => reset.onAllAcked(), illegal);
});

// RFC 9000 §3.2 Figure 3.
test('recv: Recv -> Size Known -> Data Recvd -> Data Read', () => {
  const m = new RecvStateMachine();
  assert.equal(m.state, 'recv');
  assert.ok(m.isReceiving);
  m.onFinalSizeKnown();
  assert.equal(m.state, 'size-known');
  m.onFinalSizeKnown();
  assert.equal(m.state, 'size-known');
  m.onAllReceived();
  assert.equal(m.state, 'data-recvd');
  assert.ok(!m.isReceiving);
  m.onAllRead();
  assert.equal(m.state, 'data-read');
  assert.ok(m.isTerminal);
});

test('recv: reset from Recv and from Size Known, then Reset Read', () => {
  for (const sizeKnown of [false, true]) {
    const m = new RecvStateMachine();
    if (sizeKnown) m.onFinalSizeKnown();
    m.onReset();
    assert.equal(m.state, 'reset-recvd');
    m.onResetRead();
    assert.equal(m.state, 'reset-read');
    assert.ok(m.isTerminal);
  }
});

test('recv: illegal transitions', () => {
  const m = new RecvStateMachine();
  assert.throws(() => m.onAllReceived(), illegal);
  assert.throws(() => m.onAllRead(), illegal);
  assert.throws(() => m.onResetRead(), illegal);
  const done = new RecvStateMachine();
  done.onFinalSizeKnown();
  done.onAllReceived();
  assert.throws(() => done.onReset(), illegal);
  assert.throws(() => done.onAllReceived(), illegal);
  const reset = new RecvStateMachine();
  reset.onReset();
  assert.throws(() => reset.onReset(), illegal);
  assert.throws(() => reset.onAllRead(), illegal);
  reset.onFinalSizeKnown(); // ignored after a reset
  assert.equal(reset.state, 'reset-recvd');
});
