// The recovery additions for path changes: lost PMTU probes are no congestion signal (RFC 9000 §14.4),
// and a new peer address resets congestion control and the RTT estimate (RFC 9000 §9.4).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CubicController } from '../../../src/quic/recovery/congestion/cubic.js';
import { initialWindow } from '../../../src/quic/recovery/congestion/congestion-controller.js';
import { NewRenoController } from '../../../src/quic/recovery/congestion/new-reno.js';
import { LossDetection } from '../../../src/quic/recovery/loss-detection.js';
import { RttEstimator } from '../../../src/quic/recovery/rtt.js';
import type { SentPacket } from '../../../src/quic/recovery/types.js';

function packet(pn: number, t: number, extra: Partial<SentPacket<string>> = {}): SentPacket<string> {
  return { packetNumber: pn, timeSent: t, size: 1200, ackEliciting: true, inFlight: true, frames: `pn${pn}`, ...extra };
}

describe('LossDetection: PMTU probes', () => {
  it('a lost probe is reported lost but does not shrink the congestion window', () => {
    const cc = new NewRenoController();
    const ld = new LossDetection<string>({ isServer: false, congestionController: cc });
    const before = cc.congestionWindow;
    ld.onPacketSent('application', packet(0, 0, { size: 1500, mtuProbe: true }));
    for (let pn = 1; pn <= 4; pn++) ld.onPacketSent('application', packet(pn, pn));
    const out = ld.onAckReceived('application', { largest: 4, ackDelayMicros: 0, ranges: [[1, 4]] }, 50);
    assert.ok(out.ok);
    assert.deepEqual(out.lost.map((p) => p.packetNumber), [0], 'the probe is declared lost (packet threshold)');
    assert.ok(cc.congestionWindow >= before, `window ${cc.congestionWindow} not reduced from ${before}`);
    assert.equal(cc.slowStartThreshold, Infinity, 'no congestion event');
  });

  it('an ordinary lost packet does shrink it (the contrast)', () => {
    const cc = new NewRenoController();
    const ld = new LossDetection<string>({ isServer: false, congestionController: cc });
    for (let pn = 0; pn <= 4; pn++) ld.onPacketSent('application', packet(pn, pn));
    const out = ld.onAckReceived('application', { largest: 4, ackDelayMicros: 0, ranges: [[1, 4]] }, 50);
    assert.ok(out.ok);
    assert.deepEqual(out.lost.map((p) => p.packetNumber), [0]);
    assert.notEqual(cc.slowStartThreshold, Infinity);
  });
});

describe('path reset (RFC 9000 §9.4)', () => {
  it('RttEstimator.reset returns to the initial values', () => {
    const rtt = new RttEstimator(100);
    rtt.update({ latestRtt: 20, ackDelay: 0, maxAckDelay: 25, handshakeConfirmed: true });
    assert.equal(rtt.smoothedRtt, 20);
    rtt.reset();
    assert.equal(rtt.hasSample, false);
    assert.equal(rtt.smoothedRtt, 100);
    assert.equal(rtt.rttVar, 50);
    assert.equal(rtt.minRtt, 0);
    rtt.update({ latestRtt: 40, ackDelay: 0, maxAckDelay: 25, handshakeConfirmed: true });
    assert.equal(rtt.smoothedRtt, 40, 'the next sample is a first sample again');
  });

  for (const make of [() => new NewRenoController({ maxDatagramSize: 1400 }), () => new CubicController({ maxDatagramSize: 1400 })]) {
    const cc = make();
    it(`${cc.algorithm}: reset restores the initial window and slow start, keeping the datagram size`, () => {
      cc.onPacketSent(1400, 0, 1400);
      cc.onPacketsLost([{ size: 1400, timeSent: 0 }], 10);
      cc.onPersistentCongestion(10);
      assert.equal(cc.congestionWindow, 2 * 1400);
      assert.notEqual(cc.slowStartThreshold, Infinity);
      cc.reset();
      assert.equal(cc.congestionWindow, initialWindow(1400));
      assert.equal(cc.slowStartThreshold, Infinity);
      assert.equal(cc.inRecovery(5), false, 'no recovery period');
      assert.equal(cc.maxDatagramSize, 1400);
    });
  }

  it('LossDetection.resetCongestionAndRtt resets both and keeps packets in flight', () => {
    const cc = new NewRenoController();
    const ld = new LossDetection<string>({ isServer: false, congestionController: cc, initialRtt: 333 });
    ld.onPacketSent('application', packet(0, 0));
    const ok = ld.onAckReceived('application', { largest: 0, ackDelayMicros: 0, ranges: [[0, 0]] }, 30);
    assert.ok(ok.ok);
    assert.equal(ld.rtt.smoothedRtt, 30);
    ld.onPacketSent('application', packet(1, 40));
    ld.resetCongestionAndRtt(41);
    assert.equal(ld.rtt.smoothedRtt, 333);
    assert.equal(cc.congestionWindow, initialWindow(1200));
    assert.equal(ld.bytesInFlight, 1200, 'packet 1 is still tracked');
    const later = ld.onAckReceived('application', { largest: 1, ackDelayMicros: 0, ranges: [[1, 1]] }, 60);
    assert.ok(later.ok);
    assert.deepEqual(later.newlyAcked.map((p) => p.packetNumber), [1]);
  });
});
