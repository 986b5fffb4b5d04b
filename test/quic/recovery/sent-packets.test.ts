import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecoveryError } from '../../../src/quic/recovery/errors.js';
import { SentPacketHistory } from '../../../src/quic/recovery/sent-packets.js';
import type { SentPacket } from '../../../src/quic/recovery/types.js';

const pkt = (pn: number, timeSent = pn, opts: Partial<SentPacket<string>> = {}): SentPacket<string> => ({
  packetNumber: pn,
  timeSent,
  size: 1000,
  ackEliciting: true,
  inFlight: true,
  frames: `f${pn}`,
  ...opts,
});

const numbers = (h: SentPacketHistory<string>) => [...h].map((p) => p.packetNumber);

describe('SentPacketHistory', () => {
  it('tracks size, bytes in flight, ack-eliciting count and the last ack-eliciting send time', () => {
    const h = new SentPacketHistory<string>();
    assert.equal(h.largestSent, -1);
    assert.equal(h.timeOfLastAckEliciting, undefined);
    h.add(pkt(0, 10));
    h.add(pkt(1, 20, { ackEliciting: false, inFlight: false, size: 50 }));
    h.add(pkt(2, 30, { ackEliciting: false, inFlight: true, size: 1200 }));
    assert.equal(h.size, 3);
    assert.equal(h.bytesInFlight, 2200);
    assert.equal(h.ackElicitingInFlight, 1);
    assert.equal(h.timeOfLastAckEliciting, 10);
    assert.equal(h.largestSent, 2);
  });

  it('rejects packet numbers that do not increase, and invalid sizes', () => {
    const h = new SentPacketHistory<string>();
    h.add(pkt(5));
    assert.throws(() => h.add(pkt(5)), RecoveryError);
    assert.throws(() => h.add(pkt(4)), RecoveryError);
    assert.throws(() => h.add(pkt(6, 6, { size: -1 })), RecoveryError);
    assert.throws(() => h.add(pkt(2 ** 53)), RecoveryError);
  });

  it('removeRange returns exactly the packets in the range, ascending, however wide the range', () => {
    const h = new SentPacketHistory<string>();
    for (let i = 0; i < 10; i++) h.add(pkt(i));
    const out: Array<SentPacket<string>> = [];
    h.removeRange(3, 5, out);
    assert.deepEqual(out.map((p) => p.frames), ['f3', 'f4', 'f5']);
    h.removeRange(0, Number.MAX_SAFE_INTEGER, out);
    assert.deepEqual(out.map((p) => p.packetNumber), [3, 4, 5, 0, 1, 2, 6, 7, 8, 9]);
    assert.equal(h.size, 0);
    assert.equal(h.bytesInFlight, 0);
    assert.equal(h.ackElicitingInFlight, 0);
    assert.equal(h.timeOfLastAckEliciting, undefined);
  });

  it('removing twice returns nothing the second time', () => {
    const h = new SentPacketHistory<string>();
    h.add(pkt(0));
    const out: Array<SentPacket<string>> = [];
    h.removeRange(0, 0, out);
    h.removeRange(0, 0, out);
    assert.equal(out.length, 1);
  });

  it('removeWhere visits only packets up to the bound and removes the chosen ones', () => {
    const h = new SentPacketHistory<string>();
    for (let i = 0; i < 6; i++) h.add(pkt(i));
    const seen: number[] = [];
    h.removeWhere(3, (p) => {
      seen.push(p.packetNumber);
      return p.packetNumber % 2 === 0;
    });
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.deepEqual(numbers(h), [1, 3, 4, 5]);
    assert.equal(h.first()?.packetNumber, 1);
  });

  it('get finds live packets only', () => {
    const h = new SentPacketHistory<string>();
    h.add(pkt(1));
    h.add(pkt(4));
    assert.equal(h.get(4)?.frames, 'f4');
    assert.equal(h.get(2), undefined);
    h.removeRange(4, 4, []);
    assert.equal(h.get(4), undefined);
  });

  it('skip advances the largest sent without tracking a packet', () => {
    const h = new SentPacketHistory<string>();
    h.add(pkt(0));
    h.skip(1);
    assert.equal(h.largestSent, 1);
    assert.throws(() => h.add(pkt(1)), RecoveryError);
    assert.throws(() => h.skip(1), RecoveryError);
    h.add(pkt(2));
    assert.deepEqual(numbers(h), [0, 2]);
  });

  it('stays correct across compaction after many removals', () => {
    const h = new SentPacketHistory<string>();
    for (let i = 0; i < 1000; i++) h.add(pkt(i));
    // Remove every packet but the multiples of 100, in chunks, forcing compactions.
    for (let i = 0; i < 1000; i += 100) h.removeRange(i + 1, i + 99, []);
    assert.deepEqual(numbers(h), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    assert.equal(h.get(500)?.frames, 'f500');
    assert.equal(h.bytesInFlight, 10 * 1000);
    const out: Array<SentPacket<string>> = [];
    h.removeRange(250, 650, out);
    assert.deepEqual(out.map((p) => p.packetNumber), [300, 400, 500, 600]);
  });

  it('evicts the oldest packet that is not in flight, within the scan limit', () => {
    const h = new SentPacketHistory<string>();
    h.add(pkt(0));
    h.add(pkt(1, 1, { ackEliciting: false, inFlight: false }));
    h.add(pkt(2));
    assert.equal(h.evictOldestNotInFlight(1), false, 'only the first packet scanned, and it is in flight');
    assert.equal(h.evictOldestNotInFlight(8), true);
    assert.deepEqual(numbers(h), [0, 2]);
    assert.equal(h.evictOldestNotInFlight(8), false);
  });

  it('clear returns everything and resets the counters', () => {
    const h = new SentPacketHistory<string>();
    h.add(pkt(0));
    h.add(pkt(1));
    assert.deepEqual(h.clear().map((p) => p.packetNumber), [0, 1]);
    assert.equal(h.size, 0);
    assert.equal(h.bytesInFlight, 0);
    assert.equal(h.largestSent, 1, 'packet numbers are never reused');
  });
  it('once everything tracked is removed, it starts afresh and keeps working', () => {
    const h = new SentPacketHistory<string>();
    for (let pn = 0; pn < 10; pn++) h.add(pkt(pn));
    const out: Array<SentPacket<string>> = [];
    h.removeRange(0, 9, out);
    assert.equal(out.length, 10);
    assert.equal(h.size, 0);
    assert.equal(h.bytesInFlight, 0);
    assert.equal(h.first(), undefined);
    assert.equal(h.largestSent, 9); // packet numbers still only increase
    assert.throws(() => h.add(pkt(9)), RecoveryError);
    h.add(pkt(10));
    h.add(pkt(12));
    assert.deepEqual(numbers(h), [10, 12]);
    assert.equal(h.get(12)?.frames, 'f12');
    assert.equal(h.get(11), undefined);
    h.removeWhere(12, (p) => p.packetNumber === 10);
    assert.deepEqual(numbers(h), [12]);
  });
  it('empty histories share nothing they write to: clearing or emptying one never shows in another', () => {
    const a = new SentPacketHistory<string>();
    const b = new SentPacketHistory<string>();
    a.add(pkt(0));
    a.clear();
    b.add(pkt(3));
    a.add(pkt(1));
    const out: Array<SentPacket<string>> = [];
    b.removeRange(3, 3, out);
    assert.deepEqual(numbers(a), [1]);
    assert.deepEqual(numbers(b), []);
    b.add(pkt(4));
    assert.deepEqual(numbers(a), [1]);
    assert.deepEqual(numbers(b), [4]);
    assert.deepEqual(numbers(new SentPacketHistory<string>()), []);
  });
});
