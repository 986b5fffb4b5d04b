import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CUBIC_ALPHA,
  CUBIC_BETA,
  CUBIC_C,
  CubicController,
  cubicK,
  cubicWindow,
} from '../../../../src/quic/recovery/congestion/cubic.js';
import type { RttView } from '../../../../src/quic/recovery/types.js';

const MSS = 1200;
const rttOf = (ms: number): RttView => ({
  latestRtt: ms,
  smoothedRtt: ms,
  rttVar: ms / 4,
  minRtt: ms,
  hasSample: true,
});
/** Equal within a relative 1e-6 (the formulas involve cube roots). */
const close = (actual: number, expected: number, message?: string) =>
  assert.ok(
    Math.abs(actual - expected) < 1e-6 * Math.max(1, Math.abs(expected)),
    `${message ?? ''} ${actual} != ${expected}`,
  );

/** Acks `bytes` of packets sent at `sentTime` with the window full (window-limited). */
function ack(cc: CubicController, bytes: number, sentTime: number, now: number, rtt: RttView): void {
  cc.onPacketsAcked([{ timeSent: sentTime, size: bytes }], now, rtt, cc.congestionWindow);
}

/** A controller grown in slow start to `segments` and then hit by a loss at time `lossAt`. */
function afterLoss(segments: number, lossAt: number, options: { fastConvergence?: boolean } = {}): CubicController {
  const cc = new CubicController(options);
  ack(cc, segments * MSS - cc.congestionWindow, 0, 1, rttOf(100));
  assert.equal(cc.congestionWindow, segments * MSS);
  cc.onPacketsLost([{ timeSent: lossAt - 1, size: MSS }], lossAt);
  return cc;
}

describe('CUBIC formulas (RFC 9438 §4.2)', () => {
  it('constants: C = 0.4, beta = 0.7, alpha = 3(1-beta)/(1+beta)', () => {
    assert.equal(CUBIC_C, 0.4);
    assert.equal(CUBIC_BETA, 0.7);
    close(CUBIC_ALPHA, 0.9 / 1.7);
  });

  it('K = cbrt((W_max - cwnd_epoch) / C); W_cubic(0) = cwnd_epoch and W_cubic(K) = W_max', () => {
    const k = cubicK(100, 70);
    close(k, Math.cbrt(75));
    close(cubicWindow(0, k, 100), 70);
    close(cubicWindow(k, k, 100), 100);
    close(cubicWindow(k + 2, k, 100), 100 + 0.4 * 8);
    assert.equal(cubicK(50, 70), 0, 'no plateau below the current window');
  });
});

describe('CubicController (RFC 9438)', () => {
  it('on loss: W_max = cwnd, ssthresh = cwnd = 0.7 * cwnd (RFC 9438 §4.6)', () => {
    const cc = afterLoss(100, 1000);
    assert.equal(cc.algorithm, 'cubic');
    assert.equal(cc.congestionWindow, 84000);
    assert.equal(cc.slowStartThreshold, 84000);
    assert.equal(cc.state.wMax, 120000);
    assert.equal(cc.state.cwndPrior, 120000);
    assert.equal(cc.state.epochStart, undefined);
  });

  it('follows W_cubic(t + RTT) when a whole window is acknowledged (concave then convex)', () => {
    const cc = afterLoss(100, 1000);
    const rtt = rttOf(100);
    // First ACK after recovery starts the epoch at t = 0 (tiny ack keeps cwnd near cwnd_epoch).
    ack(cc, 1, 1001, 2000, rtt);
    assert.equal(cc.state.epochStart, 2000);
    const k = cc.state.k;
    close(k, Math.cbrt((100 - 70) / 0.4));
    // At t = 3 s (concave region, below W_max) acking a full window moves cwnd to W_cubic(t + RTT).
    ack(cc, cc.congestionWindow, 1001, 5000, rtt);
    close(cc.congestionWindow, cubicWindow(3.1, k, 100) * MSS, 'concave');
    assert.ok(cc.congestionWindow < 120000);
    // At t = 6 s (convex region, beyond K): above W_max.
    ack(cc, cc.congestionWindow, 1001, 8000, rtt);
    close(cc.congestionWindow, cubicWindow(6.1, k, 100) * MSS, 'convex');
    assert.ok(cc.congestionWindow > 120000);
  });

  it('moves a fraction (target - cwnd) / cwnd per acknowledged byte', () => {
    const cc = afterLoss(100, 1000);
    const rtt = rttOf(100);
    ack(cc, 1, 1001, 2000, rtt);
    const before = cc.congestionWindow;
    ack(cc, MSS, 1001, 5000, rtt);
    const target = cubicWindow(3.1, cc.state.k, 100) * MSS;
    close(cc.congestionWindow, before + ((target - before) * MSS) / before);
  });

  it('limits the target to 1.5 * cwnd', () => {
    const cc = afterLoss(100, 1000);
    const rtt = rttOf(100);
    ack(cc, 1, 1001, 2000, rtt);
    const before = cc.congestionWindow;
    ack(cc, before, 1001, 2000 + 30_000, rtt);
    close(cc.congestionWindow, 1.5 * before);
  });

  it('Reno-friendly region: with a short RTT cwnd follows W_est = cwnd_epoch + alpha per window', () => {
    const cc = afterLoss(100, 1000);
    const rtt = rttOf(10);
    const epochCwnd = cc.congestionWindow;
    const acks = 20;
    for (let i = 0; i < acks; i++) ack(cc, cc.congestionWindow, 1001, 2000 + i * 10, rtt);
    // Each full-window ACK adds alpha segments to W_est (RFC 9438 §4.3).
    close(cc.state.wEst, epochCwnd + acks * CUBIC_ALPHA * MSS);
    close(cc.congestionWindow, cc.state.wEst);
    const t = ((acks - 1) * 10) / 1000;
    assert.ok(cubicWindow(t, cc.state.k, 100) * MSS < cc.state.wEst, 'the cubic curve is below: Reno-friendly');
  });

  it('alpha becomes 1 once W_est reaches cwnd_prior', () => {
    const cc = new CubicController();
    cc.onPacketsLost([{ timeSent: 0, size: MSS }], 1); // cwnd_prior 12000, cwnd 8400
    const rtt = rttOf(1);
    const steps: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = cc.state.wEst;
      ack(cc, cc.congestionWindow, 2, 10 + i, rtt);
      steps.push(cc.state.wEst - (i === 0 ? 8400 : before));
    }
    close(steps[0]!, CUBIC_ALPHA * MSS);
    close(steps[9]!, MSS);
    assert.ok(cc.state.wEst >= 12000);
  });

  it('fast convergence lowers W_max when a loss comes before regaining it (RFC 9438 §4.7)', () => {
    const cc = afterLoss(100, 1000);
    cc.onPacketsLost([{ timeSent: 1500, size: MSS }], 1600);
    assert.equal(cc.state.wMax, (84000 * (1 + CUBIC_BETA)) / 2);
    assert.equal(cc.congestionWindow, Math.floor(84000 * 0.7));
    const plain = afterLoss(100, 1000, { fastConvergence: false });
    plain.onPacketsLost([{ timeSent: 1500, size: MSS }], 1600);
    assert.equal(plain.state.wMax, 84000);
  });

  it('does not grow, and does not advance the curve, while application-limited (RFC 9438 §5.8)', () => {
    const cc = afterLoss(100, 1000);
    const rtt = rttOf(100);
    ack(cc, 1, 1001, 2000, rtt);
    const cwnd = cc.congestionWindow;
    // Only 10 packets in flight of a 70-packet window for 1 s.
    for (let now = 2100; now <= 3000; now += 100) {
      cc.onPacketsAcked([{ timeSent: 1001, size: MSS }], now, rtt, 10 * MSS);
    }
    assert.equal(cc.congestionWindow, cwnd);
    assert.equal(cc.state.epochStart, 3000, 'epoch moved by the 1 s spent application-limited');
    // Back to window-limited at 3 s, it grows exactly as a flow that never paused does at 2 s.
    const unpaused = afterLoss(100, 1000);
    ack(unpaused, 1, 1001, 2000, rtt);
    ack(unpaused, unpaused.congestionWindow, 1001, 4000, rtt);
    ack(cc, cc.congestionWindow, 1001, 5000, rtt);
    close(cc.congestionWindow, unpaused.congestionWindow);
  });

  it('ECN-CE reduces like a loss', () => {
    const cc = new CubicController();
    cc.onEcnCongestionExperienced(0, 1);
    assert.equal(cc.congestionWindow, 8400);
  });

  it('persistent congestion: minimum window, then K = 0 and W_max = cwnd at the next stage (RFC 9438 §4.8)', () => {
    const cc = afterLoss(100, 1000);
    cc.onPersistentCongestion(1000);
    assert.equal(cc.congestionWindow, 2400);
    assert.equal(cc.state.wMax, undefined);
    const rtt = rttOf(100);
    // Slow start up to ssthresh (84000), then congestion avoidance.
    ack(cc, 84000 - 2400, 1001, 1100, rtt);
    assert.equal(cc.congestionWindow, 84000);
    ack(cc, 1, 1001, 1200, rtt);
    assert.equal(cc.state.k, 0);
    assert.equal(cc.state.wMax, 84000);
  });

  it('slow start ending at ssthresh carries the rest of the ACK into congestion avoidance', () => {
    const cc = afterLoss(100, 1000);
    cc.onPersistentCongestion(1000);
    const rtt = rttOf(100);
    ack(cc, 84000 - 2400 + MSS, 1001, 1100, rtt);
    assert.ok(cc.congestionWindow >= 84000);
    assert.equal(cc.state.epochStart, 1100);
  });
});
