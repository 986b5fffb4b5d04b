import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RttEstimator } from '../../../src/quic/recovery/rtt.js';

const sample = (latestRtt: number, ackDelay = 0, handshakeConfirmed = true, maxAckDelay = 25) => ({
  latestRtt,
  ackDelay,
  handshakeConfirmed,
  maxAckDelay,
});

describe('RttEstimator (RFC 9002 §5)', () => {
  it('starts from kInitialRtt 333 ms with rttvar = initial / 2 and no sample', () => {
    const rtt = new RttEstimator();
    assert.equal(rtt.smoothedRtt, 333);
    assert.equal(rtt.rttVar, 166.5);
    assert.equal(rtt.minRtt, 0);
    assert.equal(rtt.hasSample, false);
  });

  it('takes a configured initial RTT and rejects nonsense', () => {
    assert.equal(new RttEstimator(100).smoothedRtt, 100);
    assert.throws(() => new RttEstimator(0), RangeError);
    assert.throws(() => new RttEstimator(Number.NaN), RangeError);
  });

  it('first sample sets min_rtt, smoothed_rtt = sample, rttvar = sample/2, ignoring the ack delay', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100, 20));
    assert.equal(rtt.latestRtt, 100);
    assert.equal(rtt.minRtt, 100);
    assert.equal(rtt.smoothedRtt, 100);
    assert.equal(rtt.rttVar, 50);
    assert.equal(rtt.hasSample, true);
  });

  it('later samples: EWMA 7/8 and 3/4 with the ack delay subtracted', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100));
    rtt.update(sample(120, 10));
    // adjusted = 110; rttvar = 3/4*50 + 1/4*|100-110| = 40; srtt = 7/8*100 + 1/8*110 = 101.25
    assert.equal(rtt.rttVar, 40);
    assert.equal(rtt.smoothedRtt, 101.25);
    assert.equal(rtt.latestRtt, 120);
    assert.equal(rtt.minRtt, 100);
  });

  it('after confirmation the ack delay is capped by max_ack_delay', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100));
    rtt.update(sample(200, 80, true, 25));
    // capped delay 25 -> adjusted 175; rttvar = 37.5 + 18.75 = 56.25; srtt = 87.5 + 21.875
    assert.equal(rtt.rttVar, 56.25);
    assert.equal(rtt.smoothedRtt, 109.375);
  });

  it('before confirmation the max_ack_delay cap is not applied (RFC 9002 §5.3 SHOULD ignore it)', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100));
    rtt.update(sample(200, 80, false, 25));
    // full delay 80 -> adjusted 120; rttvar = 37.5 + 5 = 42.5; srtt = 87.5 + 15
    assert.equal(rtt.rttVar, 42.5);
    assert.equal(rtt.smoothedRtt, 102.5);
  });

  it('does not subtract an ack delay that would take the sample below min_rtt', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100));
    rtt.update(sample(105, 10));
    // 105 < 100 + 10 -> adjusted stays 105
    assert.equal(rtt.smoothedRtt, (7 / 8) * 100 + (1 / 8) * 105);
    assert.equal(rtt.rttVar, (3 / 4) * 50 + (1 / 4) * 5);
  });

  it('min_rtt follows raw samples, never the ack-delay-adjusted value', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100));
    rtt.update(sample(90, 50));
    assert.equal(rtt.minRtt, 90);
    rtt.update(sample(150, 100));
    assert.equal(rtt.minRtt, 90);
  });

  it('ignores negative and non-finite samples', () => {
    const rtt = new RttEstimator();
    assert.equal(rtt.update(sample(-5)), false);
    assert.equal(rtt.update(sample(Number.NaN)), false);
    assert.equal(rtt.smoothedRtt, 333);
    assert.equal(rtt.update(sample(5)), true);
  });

  it('treats a negative or NaN ack delay as zero', () => {
    const rtt = new RttEstimator();
    rtt.update(sample(100));
    rtt.update(sample(120, -50));
    assert.equal(rtt.smoothedRtt, (7 / 8) * 100 + (1 / 8) * 120);
    rtt.update(sample(120, Number.NaN));
    assert.ok(Number.isFinite(rtt.smoothedRtt));
  });

  it('persistent congestion resets min_rtt to the latest sample (RFC 9002 §5.2)', () => {
    const rtt = new RttEstimator();
    rtt.onPersistentCongestion();
    assert.equal(rtt.minRtt, 0, 'no sample yet: nothing to reset');
    rtt.update(sample(50));
    rtt.update(sample(300));
    assert.equal(rtt.minRtt, 50);
    rtt.onPersistentCongestion();
    assert.equal(rtt.minRtt, 300);
  });

  it('ptoBase = smoothed_rtt + max(4 * rttvar, granularity)', () => {
    const rtt = new RttEstimator();
    assert.equal(rtt.ptoBase(1), 333 + 4 * 166.5);
    rtt.update(sample(0.1));
    assert.equal(rtt.ptoBase(1), 0.1 + 1, 'granularity floor');
  });
});
