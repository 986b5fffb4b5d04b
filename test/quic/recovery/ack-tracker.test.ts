import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../../src/quic/recovery/ack-tracker.js';

function receiveAll(t: AckTracker, pns: number[], now = 0, ackEliciting = true): void {
  for (const pn of pns) assert.equal(t.onPacketReceived(pn, now, ackEliciting), true, `pn ${pn}`);
}

describe('AckTracker: ranges and duplicates (RFC 9000 §13.2.3)', () => {
  it('in-order packets form one range', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(t.receivedRanges(), [[0, 5]]);
    assert.equal(t.largestReceived, 5);
  });

  it('gaps make descending ranges; filling a gap merges them', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 1, 3, 5, 9]);
    assert.deepEqual(t.receivedRanges(), [[9, 9], [5, 5], [3, 3], [0, 1]]);
    receiveAll(t, [4]);
    assert.deepEqual(t.receivedRanges(), [[9, 9], [3, 5], [0, 1]]);
    receiveAll(t, [2]);
    assert.deepEqual(t.receivedRanges(), [[9, 9], [0, 5]]);
    receiveAll(t, [8, 6]);
    assert.deepEqual(t.receivedRanges(), [[8, 9], [0, 6]]);
    receiveAll(t, [7]);
    assert.deepEqual(t.receivedRanges(), [[0, 9]]);
  });

  it('detects duplicates and does not record them twice', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 1, 5]);
    for (const pn of [0, 1, 5]) {
      assert.equal(t.isDuplicate(pn), true);
      assert.equal(t.onPacketReceived(pn, 1, true), false);
    }
    assert.equal(t.isDuplicate(3), false);
    assert.deepEqual(t.receivedRanges(), [[5, 5], [0, 1]]);
  });

  it('rejects invalid packet numbers without recording', () => {
    const t = new AckTracker('application');
    assert.equal(t.onPacketReceived(-1, 0, true), false);
    assert.equal(t.onPacketReceived(1.5, 0, true), false);
    assert.equal(t.onPacketReceived(2 ** 53, 0, true), false);
    assert.equal(t.rangeCount, 0);
  });

  it('keeps at most maxRanges, forgetting the oldest and treating it as duplicate', () => {
    const t = new AckTracker('application', { maxRanges: 3 });
    receiveAll(t, [0, 2, 4, 6]);
    assert.deepEqual(t.receivedRanges(), [[6, 6], [4, 4], [2, 2]]);
    assert.equal(t.isDuplicate(0), true, 'forgotten range');
    assert.equal(t.onPacketReceived(0, 0, true), false);
    assert.equal(t.isDuplicate(1), false, 'extends the lowest range without a new one');
    receiveAll(t, [1]);
    assert.deepEqual(t.receivedRanges(), [[6, 6], [4, 4], [1, 2]]);
  });

  it('a full tracker refuses packets that would need a new lowest range', () => {
    const t = new AckTracker('application', { maxRanges: 2 });
    receiveAll(t, [10, 20]);
    assert.equal(t.isDuplicate(5), true);
    assert.equal(t.isDuplicate(9), false);
    assert.equal(t.isDuplicate(15), false, 'between kept ranges: a new range drops the lowest instead');
    receiveAll(t, [15]);
    assert.deepEqual(t.receivedRanges(), [[20, 20], [15, 15]]);
    assert.equal(t.isDuplicate(10), true);
  });

  it('stays bounded under a spray of isolated packet numbers', () => {
    const t = new AckTracker('application', { maxRanges: 8 });
    for (let pn = 0; pn < 2000; pn += 2) t.onPacketReceived(pn, 0, true);
    assert.equal(t.rangeCount, 8);
    assert.deepEqual(t.receivedRanges()[0], [1998, 1998]);
  });

  it('forgets ranges the peer has seen acknowledged (RFC 9000 §13.2.4)', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 1, 2, 3, 5, 6, 7, 8, 10]);
    t.onAckAcknowledged(6);
    assert.deepEqual(t.receivedRanges(), [[10, 10], [7, 8]]);
    assert.equal(t.isDuplicate(4), true, 'at or below the acknowledged largest');
    assert.equal(t.isDuplicate(9), false);
    t.onAckAcknowledged(3); // an older ACK acknowledged late: no change
    assert.deepEqual(t.receivedRanges(), [[10, 10], [7, 8]]);
    t.onAckAcknowledged(10);
    assert.deepEqual(t.receivedRanges(), []);
    assert.equal(t.buildAck(20, 3), undefined);
    assert.equal(t.isDuplicate(10), true);
    receiveAll(t, [11]);
    assert.deepEqual(t.receivedRanges(), [[11, 11]]);
  });
});

describe('AckTracker: when an ACK is due (RFC 9000 §13.2.1, §13.2.2)', () => {
  it('Initial and Handshake: every ack-eliciting packet is acknowledged immediately', () => {
    for (const space of ['initial', 'handshake'] as const) {
      const t = new AckTracker(space);
      t.onPacketReceived(0, 7, true);
      assert.equal(t.nextAckDeadline(), 7);
      assert.equal(t.ackDue(7), true);
    }
  });

  it('non-ack-eliciting packets never make an ACK due on their own', () => {
    const t = new AckTracker('initial');
    t.onPacketReceived(0, 5, false);
    t.onPacketReceived(1, 6, false);
    assert.equal(t.nextAckDeadline(), undefined);
    assert.equal(t.ackDue(100), false);
    assert.equal(t.hasNewPackets(), true, 'but may be acknowledged with other frames');
  });

  it('Application: one packet waits max_ack_delay, the second makes it immediate', () => {
    const t = new AckTracker('application', { maxAckDelay: 20 });
    t.onPacketReceived(0, 10, true);
    assert.equal(t.nextAckDeadline(), 30);
    assert.equal(t.ackDue(29), false);
    assert.equal(t.ackDue(30), true);
    t.onPacketReceived(1, 12, true);
    assert.equal(t.nextAckDeadline(), 12);
  });

  it('the threshold of ack-eliciting packets is configurable', () => {
    const t = new AckTracker('application', { ackElicitingThreshold: 3 });
    receiveAll(t, [0, 1], 10);
    assert.equal(t.nextAckDeadline(), 35);
    receiveAll(t, [2], 11);
    assert.equal(t.nextAckDeadline(), 11);
  });

  it('onAckSent starts the count over', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 1], 10);
    t.onAckSent();
    assert.equal(t.nextAckDeadline(), undefined);
    assert.equal(t.hasNewPackets(), false);
    receiveAll(t, [2], 40);
    assert.equal(t.nextAckDeadline(), 65);
  });

  it('a gap above the largest ack-eliciting packet makes the ACK immediate', () => {
    const t = new AckTracker('application', { ackElicitingThreshold: 10 });
    t.onPacketReceived(0, 1, true);
    t.onAckSent();
    t.onPacketReceived(2, 5, true);
    assert.equal(t.nextAckDeadline(), 5);
  });

  it('a packet below the largest ack-eliciting one (reordering) makes the ACK immediate', () => {
    const t = new AckTracker('application', { ackElicitingThreshold: 10 });
    t.onPacketReceived(2, 1, true);
    t.onAckSent();
    t.onPacketReceived(1, 5, true);
    assert.equal(t.nextAckDeadline(), 5);
  });

  it('no gap when the packets in between arrived as non-ack-eliciting', () => {
    const t = new AckTracker('application', { ackElicitingThreshold: 10 });
    t.onPacketReceived(0, 1, true);
    t.onPacketReceived(1, 2, false);
    t.onAckSent();
    t.onPacketReceived(2, 3, true);
    assert.equal(t.nextAckDeadline(), 28);
  });

  it('a CE-marked packet is acknowledged immediately', () => {
    const t = new AckTracker('application');
    t.onPacketReceived(0, 4, true, 'ce');
    assert.equal(t.nextAckDeadline(), 4);
  });

  it('rejects invalid options', () => {
    assert.throws(() => new AckTracker('application', { maxAckDelay: -1 }), RangeError);
    assert.throws(() => new AckTracker('application', { ackElicitingThreshold: 0 }), RangeError);
    assert.throws(() => new AckTracker('application', { maxRanges: 0 }), RangeError);
  });
});

describe('AckTracker: building the ACK frame', () => {
  it('returns nothing before any packet', () => {
    assert.equal(new AckTracker('application').buildAck(0, 3), undefined);
  });

  it('reports ranges descending and the delay since the largest arrived, scaled by the exponent', () => {
    const t = new AckTracker('application');
    t.onPacketReceived(0, 1, true);
    t.onPacketReceived(1, 2, true);
    t.onPacketReceived(4, 10, true);
    t.onPacketReceived(3, 12, true); // not the largest: does not move the delay reference
    const ack = t.buildAck(14.5, 3)!;
    assert.equal(ack.largest, 4);
    assert.deepEqual(ack.ranges, [[3, 4], [0, 1]]);
    assert.equal(ack.ackDelayMicros, 4500);
    assert.equal(ack.ackDelayEncoded, Math.floor(4500 / 8));
    assert.equal(ack.ecn, undefined);
    assert.equal(t.buildAck(14.5, 0)!.ackDelayEncoded, 4500);
    assert.equal(t.buildAck(5, 3)!.ackDelayMicros, 0, 'never negative');
  });

  it('building does not change state; sending does', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 1], 0);
    t.buildAck(1, 3);
    assert.equal(t.nextAckDeadline(), 0);
    t.onAckSent();
    assert.equal(t.nextAckDeadline(), undefined);
    assert.deepEqual(t.buildAck(1, 3)!.ranges, [[0, 1]], 'ranges stay until the peer has them');
  });

  it('limits the ranges to fit, keeping the highest', () => {
    const t = new AckTracker('application');
    receiveAll(t, [0, 2, 4, 6]);
    assert.deepEqual(t.buildAck(0, 3, 2)!.ranges, [[6, 6], [4, 4]]);
    assert.deepEqual(t.buildAck(0, 3, 0)!.ranges, [[6, 6]], 'at least one range');
  });

  it('carries ECN counts once any packet was marked (RFC 9000 §19.3.2)', () => {
    const t = new AckTracker('application');
    t.onPacketReceived(0, 0, true, 'ect0');
    t.onPacketReceived(1, 0, true, 'ect0');
    t.onPacketReceived(2, 0, false, 'ect1');
    t.onPacketReceived(3, 0, true, 'ce');
    t.onPacketReceived(4, 0, true, 'not-ect');
    assert.deepEqual(t.buildAck(0, 3)!.ecn, { ect0: 2, ect1: 1, ce: 1 });
  });

  it('rejects an ack_delay_exponent outside 0..20 (RFC 9000 §18.2)', () => {
    const t = new AckTracker('application');
    t.onPacketReceived(0, 0, true);
    assert.throws(() => t.buildAck(0, 21), RangeError);
    assert.throws(() => t.buildAck(0, -1), RangeError);
    assert.throws(() => t.buildAck(0, 1.5), RangeError);
  });
});

describe('AckTracker: range storage matches a model', () => {
  it('random arrivals, duplicates and acknowledged floors give the ranges a set of numbers would', () => {
    // A small deterministic generator (xorshift): reproducible without a dependency.
    let seed = 0x9e3779b9;
    const next = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let round = 0; round < 20; round++) {
      const t = new AckTracker('application', { maxRanges: 1000 });
      const seen = new Set<number>();
      let floor = 0;
      for (let op = 0; op < 300; op++) {
        if (next(10) === 0 && seen.size > 0) {
          // The peer saw an ACK up to some received number: forget everything at or below it.
          const acked = floor + next(40);
          t.onAckAcknowledged(acked);
          if (acked >= floor) floor = acked + 1;
          for (const pn of [...seen]) if (pn < floor) seen.delete(pn);
          continue;
        }
        const pn = next(200);
        const fresh = pn >= floor && !seen.has(pn);
        assert.equal(t.onPacketReceived(pn, op, true), fresh, `pn ${pn}`);
        if (fresh) seen.add(pn);
      }
      const expected: Array<[number, number]> = [];
      for (const pn of [...seen].sort((a, b) => b - a)) {
        const last = expected[expected.length - 1];
        if (last !== undefined && last[0] === pn + 1) last[0] = pn;
        else expected.push([pn, pn]);
      }
      assert.deepEqual(t.receivedRanges(), expected);
      assert.equal(t.rangeCount, expected.length);
    }
  });
});

describe('AckTracker: empty trackers share nothing they write to', () => {
  it('one emptied by an acknowledged ACK and filled again never shows in another', () => {
    const a = new AckTracker('application');
    const b = new AckTracker('application');
    receiveAll(a, [0, 1, 2]);
    a.onAckAcknowledged(2); // everything forgotten: a holds no range
    assert.deepEqual(a.receivedRanges(), []);
    receiveAll(b, [5]);
    receiveAll(a, [7, 9]);
    assert.deepEqual(a.receivedRanges(), [[9, 9], [7, 7]]);
    assert.deepEqual(b.receivedRanges(), [[5, 5]]);
    assert.deepEqual(new AckTracker('initial').receivedRanges(), []);
  });
});

describe('AckTracker: discarding the space (RFC 9001 §4.9)', () => {
  it('forgets ranges and the pending ACK, and accepts nothing more', () => {
    const t = new AckTracker('handshake');
    receiveAll(t, [0, 1, 3]);
    assert.notEqual(t.nextAckDeadline(), undefined);
    t.discard();
    assert.equal(t.rangeCount, 0);
    assert.equal(t.nextAckDeadline(), undefined);
    assert.equal(t.hasNewPackets(), false);
    assert.equal(t.buildAck(10, 3), undefined);
    assert.equal(t.isDuplicate(4), true);
    assert.equal(t.onPacketReceived(4, 10, true), false);
    assert.equal(t.rangeCount, 0);
  });
});
