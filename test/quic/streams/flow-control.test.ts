import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveFlowController, SendFlowController } from '../../../src/quic/streams/flow-control.js';
import { LocalStreamError, StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';

test('send credit: limit only grows (RFC 9000 §4.1)', () => {
  const fc = new SendFlowController(100);
  fc.consume(60);
  assert.equal(fc.available, 40);
  assert.equal(fc.updateLimit(90), false);
  assert.equal(fc.limit, 100);
  assert.equal(fc.updateLimit(150), true);
  assert.equal(fc.available, 90);
});

test('send credit: consuming beyond the limit is a local bug', () => {
  const fc = new SendFlowController(10);
  assert.throws(() => fc.consume(11), LocalStreamError);
});

test('blocked frame is produced once per limit and again after a new limit', () => {
  const fc = new SendFlowController(10);
  fc.onBlocked(); // credit left: not blocked
  assert.equal(fc.takeBlocked(), undefined);
  fc.consume(10);
  fc.onBlocked();
  fc.onBlocked();
  assert.equal(fc.takeBlocked(), 10);
  fc.onBlocked();
  assert.equal(fc.takeBlocked(), undefined); // same limit: reported already
  fc.updateLimit(20);
  fc.consume(10);
  fc.onBlocked();
  assert.equal(fc.takeBlocked(), 20);
});

test('a lost blocked frame is resent only while still blocked at that limit', () => {
  const fc = new SendFlowController(10);
  fc.consume(10);
  fc.onBlocked();
  assert.equal(fc.takeBlocked(), 10);
  fc.onBlockedFrameLost(10);
  assert.equal(fc.takeBlocked(), 10);
  fc.updateLimit(30);
  fc.onBlockedFrameLost(10);
  assert.equal(fc.takeBlocked(), undefined);
});

test('a raised limit cancels a pending blocked frame', () => {
  const fc = new SendFlowController(10);
  fc.consume(10);
  fc.onBlocked();
  fc.updateLimit(20);
  assert.equal(fc.hasBlockedFrame, false);
});

test('receive: FLOW_CONTROL_ERROR when the peer exceeds the advertised limit', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100 });
  fc.onReceived(100);
  assert.throws(
    () => fc.onReceived(1, 'stream 4'),
    (e: unknown) => e instanceof StreamError && e.code === TransportErrorCode.FLOW_CONTROL_ERROR && /stream 4/.test(e.reason),
  );
  assert.equal(fc.received, 100);
  assert.ok(fc.wouldExceed(1));
});

test('receive: update is due once half the window is consumed', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100 });
  fc.onReceived(100);
  fc.onConsumed(49);
  assert.equal(fc.needsUpdate, false);
  assert.equal(fc.takeUpdate(0, 10), undefined);
  fc.onConsumed(1);
  assert.equal(fc.needsUpdate, true);
  assert.equal(fc.takeUpdate(0, 10), 150);
  assert.equal(fc.needsUpdate, false);
});

test('receive: consumption cannot exceed what was received', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100 });
  fc.onReceived(10);
  fc.onConsumed(50);
  assert.equal(fc.consumed, 10);
});

test('receive: a zero window never advertises anything', () => {
  const fc = new ReceiveFlowController({ initialWindow: 0 });
  assert.equal(fc.needsUpdate, false);
  assert.equal(fc.takeUpdate(0, 10), undefined);
});

test('auto-tuning doubles the window when updates come within 2 RTTs, up to the maximum', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100, maxWindow: 300 });
  const rtt = 50;
  let now = 0;
  const cycle = () => {
    fc.onReceived(fc.limit - fc.received);
    fc.onConsumed(fc.received - fc.consumed);
    return fc.takeUpdate(now, rtt);
  };
  assert.equal(cycle(), 200); // first update: no history, window stays 100
  assert.equal(fc.window, 100);
  now += 60; // < 2 RTT later
  assert.equal(cycle(), 200 + 200);
  assert.equal(fc.window, 200);
  now += 60;
  cycle();
  assert.equal(fc.window, 300); // capped
  now += 60;
  cycle();
  assert.equal(fc.window, 300);
});

test('auto-tuning leaves the window alone for a slow reader or an unknown RTT', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100, maxWindow: 1000 });
  fc.onReceived(100);
  fc.onConsumed(100);
  fc.takeUpdate(0, 50);
  fc.onReceived(100);
  fc.onConsumed(100);
  fc.takeUpdate(100, 50); // exactly 2 RTT: not "within"
  assert.equal(fc.window, 100);
  fc.onReceived(100);
  fc.onConsumed(100);
  fc.takeUpdate(101, 0); // no RTT sample
  assert.equal(fc.window, 100);
});

test('a lost update is resent with the current limit, unless superseded', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100 });
  fc.onReceived(60);
  fc.onConsumed(60);
  const first = fc.takeUpdate(0, 0)!;
  assert.equal(first, 160);
  fc.onUpdateLost(first);
  assert.equal(fc.needsUpdate, true);
  assert.equal(fc.takeUpdate(1, 0), 160);
  fc.onReceived(100);
  fc.onConsumed(100);
  const second = fc.takeUpdate(2, 0)!;
  fc.onUpdateLost(first); // older than what is current
  assert.equal(fc.needsUpdate, false);
  assert.ok(second > first);
});

test('ensureMinimumWindow raises the window within the maximum', () => {
  const fc = new ReceiveFlowController({ initialWindow: 100, maxWindow: 400 });
  fc.ensureMinimumWindow(50);
  assert.equal(fc.window, 100);
  fc.ensureMinimumWindow(250);
  assert.equal(fc.window, 250);
  fc.ensureMinimumWindow(1000);
  assert.equal(fc.window, 400);
});
