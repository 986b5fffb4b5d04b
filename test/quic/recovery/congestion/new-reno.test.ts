import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONGESTION_ALGORITHMS,
  createCongestionController,
  initialWindow,
  minimumWindow,
} from '../../../../src/quic/recovery/congestion/index.js';
import { NewRenoController } from '../../../../src/quic/recovery/congestion/new-reno.js';
import type { RttView } from '../../../../src/quic/recovery/types.js';

const rtt: RttView = { latestRtt: 100, smoothedRtt: 100, rttVar: 10, minRtt: 100, hasSample: true };
const MSS = 1200;

/** Acks `count` full packets sent at `sentTime`, the window having been full (window-limited). */
function ackFull(cc: NewRenoController, count: number, sentTime: number, now: number): void {
  const packets = Array.from({ length: count }, () => ({ timeSent: sentTime, size: MSS }));
  cc.onPacketsAcked(packets, now, rtt, cc.congestionWindow);
}

describe('congestion window constants (RFC 9002 §7.2)', () => {
  it('kInitialWindow = min(10 * mds, max(14720, 2 * mds)) and kMinimumWindow = 2 * mds', () => {
    assert.equal(initialWindow(1200), 12000);
    assert.equal(initialWindow(1472), 14720);
    assert.equal(initialWindow(1500), 14720);
    assert.equal(initialWindow(9000), 18000);
    assert.equal(minimumWindow(1200), 2400);
  });

  it('creates controllers by name and rejects unknown names', () => {
    assert.deepEqual(CONGESTION_ALGORITHMS, ['newreno', 'cubic']);
    assert.equal(createCongestionController('newreno').algorithm, 'newreno');
    assert.equal(createCongestionController('cubic', { maxDatagramSize: 1500 }).congestionWindow, 14720);
    assert.throws(() => createCongestionController('bbr' as 'cubic'), RangeError);
  });
});

describe('NewReno (RFC 9002 §7.3)', () => {
  it('starts in slow start with the initial window and no ssthresh', () => {
    const cc = new NewRenoController();
    assert.equal(cc.congestionWindow, 12000);
    assert.equal(cc.slowStartThreshold, Infinity);
    assert.equal(cc.inSlowStart, true);
    assert.equal(cc.maxDatagramSize, 1200);
  });

  it('slow start grows the window by the bytes acknowledged', () => {
    const cc = new NewRenoController();
    ackFull(cc, 3, 0, 100);
    assert.equal(cc.congestionWindow, 12000 + 3 * MSS);
  });

  it('slow start -> recovery -> congestion avoidance', () => {
    const cc = new NewRenoController();
    ackFull(cc, 10, 0, 100); // 24000
    assert.equal(cc.congestionWindow, 24000);
    cc.onPacketsLost([{ timeSent: 150, size: MSS }], 200);
    // Recovery: ssthresh = cwnd * 0.5 = cwnd.
    assert.equal(cc.slowStartThreshold, 12000);
    assert.equal(cc.congestionWindow, 12000);
    assert.equal(cc.inRecovery(200), true);
    assert.equal(cc.inRecovery(150), true);
    assert.equal(cc.inRecovery(201), false);
    // ACKs of packets sent before recovery started do not grow the window.
    ackFull(cc, 5, 180, 250);
    assert.equal(cc.congestionWindow, 12000);
    // A packet sent after the start ends recovery; above ssthresh growth is one MSS per window acked.
    ackFull(cc, 5, 210, 300);
    assert.equal(cc.congestionWindow, 12000, '6000 bytes acked: half a window, no growth yet');
    assert.equal(cc.inSlowStart, false);
    ackFull(cc, 5, 210, 310);
    assert.equal(cc.congestionWindow, 12000 + MSS);
    ackFull(cc, 11, 220, 400);
    assert.equal(cc.congestionWindow, 12000 + 2 * MSS);
    // A batch of several windows grows by one datagram per window in one step.
    ackFull(cc, 36, 220, 500); // 43200 bytes = 3 windows of 14400
    assert.equal(cc.congestionWindow, 12000 + 5 * MSS);
  });

  it('reduces at most once per recovery period', () => {
    const cc = new NewRenoController();
    cc.onPacketsLost([{ timeSent: 10, size: MSS }], 100);
    assert.equal(cc.congestionWindow, 6000);
    cc.onPacketsLost([{ timeSent: 50, size: MSS }, { timeSent: 100, size: MSS }], 150);
    assert.equal(cc.congestionWindow, 6000, 'packets sent before recovery started');
    cc.onEcnCongestionExperienced(90, 160);
    assert.equal(cc.congestionWindow, 6000, 'CE for a packet sent before recovery started');
    cc.onPacketsLost([{ timeSent: 101, size: MSS }], 250);
    assert.equal(cc.congestionWindow, 3000, 'a loss of a packet sent after: a new congestion event');
  });

  it('a lost batch is keyed by its newest send time', () => {
    const cc = new NewRenoController();
    cc.onPacketsLost([{ timeSent: 300, size: MSS }, { timeSent: 10, size: MSS }], 400);
    assert.equal(cc.inRecovery(400), true);
    cc.onPacketsLost([], 500);
    assert.equal(cc.congestionWindow, 6000, 'no packets, no event');
  });

  it('never goes below kMinimumWindow', () => {
    const cc = new NewRenoController();
    for (let i = 0; i < 6; i++) cc.onPacketsLost([{ timeSent: i * 100 + 1, size: MSS }], i * 100 + 50);
    assert.equal(cc.congestionWindow, 2400);
    assert.ok(cc.slowStartThreshold <= 2400);
  });

  it('ECN-CE is a congestion event', () => {
    const cc = new NewRenoController();
    cc.onEcnCongestionExperienced(5, 10);
    assert.equal(cc.congestionWindow, 6000);
    assert.equal(cc.slowStartThreshold, 6000);
  });

  it('persistent congestion collapses to the minimum and restarts slow start up to ssthresh', () => {
    const cc = new NewRenoController();
    ackFull(cc, 10, 0, 100);
    cc.onPacketsLost([{ timeSent: 150, size: MSS }], 200);
    cc.onPersistentCongestion(200);
    assert.equal(cc.congestionWindow, 2400);
    assert.equal(cc.slowStartThreshold, 12000);
    assert.equal(cc.inRecovery(150), false, 'recovery period cleared');
    ackFull(cc, 2, 150, 300);
    assert.equal(cc.congestionWindow, 4800, 'slow start again');
  });

  it('does not grow while application-limited (RFC 9002 §7.8)', () => {
    const cc = new NewRenoController();
    // 2 packets in flight of a 12000-byte window: far from full, and not above half in slow start.
    cc.onPacketSent(MSS, 0, MSS);
    cc.onPacketSent(MSS, 0, 2 * MSS);
    cc.onPacketsAcked([{ timeSent: 0, size: MSS }, { timeSent: 0, size: MSS }], 100, rtt, 2 * MSS);
    assert.equal(cc.congestionWindow, 12000);
    // In flight reached more than half the window since the last ACK: window-limited in slow start.
    for (let i = 1; i <= 6; i++) cc.onPacketSent(MSS, 110, i * MSS);
    cc.onPacketsAcked([{ timeSent: 110, size: MSS }], 200, rtt, 6 * MSS);
    assert.equal(cc.congestionWindow, 12000 + MSS);
  });

  it('application-limited in congestion avoidance: needs in flight within 3 datagrams of the window', () => {
    const cc = new NewRenoController();
    cc.onPacketsLost([{ timeSent: 0, size: MSS }], 1); // cwnd 6000 = ssthresh
    const ackWindow = (prior: number, now: number) =>
      cc.onPacketsAcked(Array.from({ length: 5 }, () => ({ timeSent: 2, size: MSS })), now, rtt, prior);
    ackWindow(2000, 10);
    ackWindow(2000, 20);
    assert.equal(cc.congestionWindow, 6000, 'only 2000 bytes in flight of 6000');
    ackWindow(6000 - 3 * MSS, 30);
    ackWindow(6000 - 3 * MSS, 40);
    assert.equal(cc.congestionWindow, 6000 + MSS);
  });

  it('canSend compares bytes in flight with the window', () => {
    const cc = new NewRenoController();
    assert.equal(cc.canSend(11999), true);
    assert.equal(cc.canSend(12000), false);
  });

  it('pacing rate hint is 1.25 * cwnd / smoothed_rtt (RFC 9002 §7.7)', () => {
    const cc = new NewRenoController();
    assert.equal(cc.pacingRate(rtt), (1.25 * 12000) / 100);
    assert.equal(cc.pacingRate({ ...rtt, smoothedRtt: 0 }), 1.25 * 12000, 'zero RTT floored at 1 ms');
  });

  it('max_datagram_size changes recompute the initial window and keep the minimum', () => {
    const cc = new NewRenoController();
    cc.setMaxDatagramSize(1500);
    assert.equal(cc.congestionWindow, 14720, 'still the initial window: recomputed');
    assert.equal(cc.minimumWindow, 3000);
    cc.setMaxDatagramSize(1500);
    ackFull(cc, 1, 0, 10);
    cc.setMaxDatagramSize(9000);
    assert.equal(cc.congestionWindow, 18000, 'raised to the new kMinimumWindow');
    cc.setMaxDatagramSize(1200);
    assert.equal(cc.congestionWindow, 18000, 'an adjusted window is kept when the size shrinks');
    assert.throws(() => cc.setMaxDatagramSize(1199), RangeError);
    assert.throws(() => new NewRenoController({ maxDatagramSize: 1200.5 }), RangeError);
  });
});
