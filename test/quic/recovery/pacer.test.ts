import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from '../../../src/quic/recovery/pacer.js';

const MSS = 1200;

describe('Pacer (RFC 9002 §7.7)', () => {
  it('does not pace before it knows a rate', () => {
    const p = new Pacer(MSS);
    assert.equal(p.rate, 0);
    for (let i = 0; i < 50; i++) {
      assert.equal(p.timeUntilSend(0, MSS), 0);
      p.onSend(0, MSS);
    }
  });

  it('rate = 1.25 * cwnd / smoothed_rtt; the bucket holds 10 datagrams', () => {
    const p = new Pacer(MSS);
    p.update(0, 120_000, 100, MSS);
    assert.equal(p.rate, 1500); // bytes per ms
    assert.equal(p.capacity, 10 * MSS);
    assert.equal(p.available(0), 10 * MSS);
  });

  it('sends a burst of the bucket, then waits whole granules', () => {
    const p = new Pacer(MSS);
    p.update(0, 12_000, 100, MSS); // 150 bytes/ms
    let sent = 0;
    while (p.timeUntilSend(0, MSS) === 0 && sent < 100) {
      p.onSend(0, MSS);
      sent++;
    }
    assert.equal(sent, 10, 'burst allowance');
    // 1200 bytes at 150 bytes/ms = 8 ms.
    assert.equal(p.timeUntilSend(0, MSS), 8);
    assert.equal(p.timeUntilSend(5, MSS), 3);
    assert.equal(p.timeUntilSend(8, MSS), 0);
  });

  it('rounds waits up to the granularity, at least one granule', () => {
    const p = new Pacer(MSS, { granularity: 2 });
    p.update(0, 120_000, 100, MSS); // 1500 bytes/ms, 2 ms granule -> bucket max(12000, 3000)
    p.onSend(0, 12_000);
    assert.equal(p.available(0), 0);
    // 1200 bytes need 0.8 ms: rounded up to one 2 ms granule.
    assert.equal(p.timeUntilSend(0, MSS), 2);
  });

  it('at high rates the bucket grows to one granule of sending, so batches fit', () => {
    const p = new Pacer(MSS);
    p.update(0, 10_000_000, 10, MSS); // 1.25 MB/ms
    assert.equal(p.capacity, 1_250_000);
  });

  it('keeps the average rate over time', () => {
    const p = new Pacer(MSS);
    p.update(0, 12_000, 100, MSS); // 150 bytes/ms
    let now = 0;
    let sent = 0;
    for (let step = 0; step < 10_000 && now < 1000; step++) {
      const wait = p.timeUntilSend(now, MSS);
      if (wait > 0) {
        now += wait;
        continue;
      }
      p.onSend(now, MSS);
      sent += MSS;
    }
    // 1 s at 150 bytes/ms plus the initial burst, within one packet.
    assert.ok(Math.abs(sent - (150_000 + 12_000)) <= MSS, `sent ${sent}`);
  });

  it('a request larger than the bucket waits only for a full bucket', () => {
    const p = new Pacer(MSS);
    p.update(0, 12_000, 100, MSS);
    assert.equal(p.timeUntilSend(0, 1_000_000), 0);
  });

  it('debt from an over-budget send is bounded to one bucket', () => {
    const p = new Pacer(MSS);
    p.update(0, 12_000, 100, MSS);
    p.onSend(0, 1_000_000);
    assert.equal(p.available(0), -12_000);
  });

  it('rate changes keep tokens earned at the old rate and clamp to the new bucket', () => {
    const p = new Pacer(MSS);
    p.update(0, 12_000, 100, MSS); // 150 bytes/ms
    p.onSend(0, 12_000);
    p.update(4, 24_000, 100, MSS); // 600 bytes earned at the old rate
    assert.equal(p.available(4), 600);
    assert.equal(p.rate, 300);
    assert.equal(p.available(6), 1200);
  });

  it('a zero RTT is floored at the granularity; time going backwards earns nothing', () => {
    const p = new Pacer(MSS);
    p.update(10, 12_000, 0, MSS);
    assert.equal(p.rate, 15_000);
    p.onSend(10, 12_000);
    assert.equal(p.available(5), 0);
  });

  it('rejects invalid options', () => {
    assert.throws(() => new Pacer(MSS, { gain: 0 }), RangeError);
    assert.throws(() => new Pacer(MSS, { granularity: Number.NaN }), RangeError);
  });
});
