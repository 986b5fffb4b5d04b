// A small deterministic simulation: one sender (loss detection + congestion controller + pacer) sends a
// fixed amount of data to one receiver (ack tracker) over a simulated bottleneck link with a fixed
// bandwidth, propagation delay, a drop-tail buffer and random loss from a seeded PRNG. Virtual time
// advances in 1 ms ticks, with a bound on the number of ticks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../../src/quic/recovery/ack-tracker.js';
import {
  type CongestionAlgorithm,
  createCongestionController,
  minimumWindow,
} from '../../../src/quic/recovery/congestion/index.js';
import { LossDetection } from '../../../src/quic/recovery/loss-detection.js';
import { Pacer } from '../../../src/quic/recovery/pacer.js';
import type { ReceivedAck } from '../../../src/quic/recovery/types.js';

const MSS = 1200;
const BANDWIDTH = 1250; // bytes per ms (10 Mbit/s)
const ONE_WAY_DELAY = 20; // ms
const BDP = BANDWIDTH * 2 * ONE_WAY_DELAY; // 50 000 bytes
const BUFFER = BDP; // drop-tail queue at the bottleneck, bytes
const ACK_DELAY_EXPONENT = 3;
const MAX_TICKS = 120_000;

/** mulberry32: a tiny seeded PRNG so every run is identical. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface InTransit<T> {
  arrival: number;
  item: T;
}

/** One direction of the path: serialization at the bottleneck, a drop-tail buffer, random loss, delay. */
class Link<T> {
  private queue: Array<InTransit<T>> = [];
  private freeAt = 0;
  dropped = 0;
  constructor(
    private readonly lossRate: number,
    private readonly random: () => number,
    private readonly serialize: boolean,
  ) {}

  send(now: number, size: number, item: T): void {
    if (this.random() < this.lossRate) {
      this.dropped++;
      return;
    }
    let departure = now;
    if (this.serialize) {
      const start = Math.max(now, this.freeAt);
      if ((start - now) * BANDWIDTH > BUFFER) {
        this.dropped++; // drop-tail: the buffer is full
        return;
      }
      this.freeAt = start + size / BANDWIDTH;
      departure = this.freeAt;
    }
    this.queue.push({ arrival: departure + ONE_WAY_DELAY, item });
  }

  deliver(now: number): T[] {
    // Arrivals are in order (FIFO link), so the due ones are a prefix.
    let n = 0;
    while (n < this.queue.length && this.queue[n]!.arrival <= now) n++;
    return this.queue.splice(0, n).map((e) => e.item);
  }
}

interface DataPacket {
  pn: number;
  chunk: number;
}

interface SimResult {
  finishedAt: number;
  cwndSamples: number[];
  maxCwnd: number;
  probes: number;
  lostPackets: number;
  persistentCongestion: number;
  finalBytesInFlight: number;
  receiverRanges: number;
}

function simulate(algorithm: CongestionAlgorithm, lossRate: number, seed: number, chunks: number): SimResult {
  const random = prng(seed);
  const cc = createCongestionController(algorithm);
  const ld = new LossDetection<number>({ isServer: true, congestionController: cc });
  ld.onHandshakeConfirmed(0);
  const pacer = new Pacer(MSS);
  const receiver = new AckTracker('application');
  const forward = new Link<DataPacket>(lossRate, random, true);
  const backward = new Link<ReceivedAck>(lossRate, random, false);

  const acked = new Array<boolean>(chunks).fill(false);
  let ackedCount = 0;
  const retransmit: number[] = [];
  let nextChunk = 0;
  let nextPn = 0;
  const result: SimResult = {
    finishedAt: -1,
    cwndSamples: [],
    maxCwnd: 0,
    probes: 0,
    lostPackets: 0,
    persistentCongestion: 0,
    finalBytesInFlight: 0,
    receiverRanges: 0,
  };

  const requeue = (lost: ReadonlyArray<{ frames: number }>) => {
    result.lostPackets += lost.length;
    for (const p of lost) if (!acked[p.frames]) retransmit.push(p.frames);
  };
  const nextData = (): number | undefined => {
    while (retransmit.length > 0) {
      const c = retransmit.shift()!;
      if (!acked[c]) return c;
    }
    return nextChunk < chunks ? nextChunk++ : undefined;
  };
  const sendChunk = (now: number, chunk: number) => {
    const pn = nextPn++;
    const packet = { packetNumber: pn, timeSent: now, size: MSS, ackEliciting: true, inFlight: true, frames: chunk };
    ld.onPacketSent('application', packet);
    pacer.onSend(now, MSS);
    forward.send(now, MSS, { pn, chunk });
  };
  const oldestUnacked = (): number | undefined => {
    for (let c = 0; c < chunks; c++) if (!acked[c] && c < nextChunk) return c;
    return undefined;
  };

  for (let now = 0; now < MAX_TICKS; now++) {
    // Receiver: record arrivals, acknowledge when due (RFC 9000 §13.2).
    for (const p of forward.deliver(now)) receiver.onPacketReceived(p.pn, now, true);
    if (receiver.ackDue(now)) {
      const a = receiver.buildAck(now, ACK_DELAY_EXPONENT)!;
      receiver.onAckSent();
      // The sender decodes the ACK Delay field with the exponent (RFC 9000 §19.3).
      const ackDelayMicros = a.ackDelayEncoded * 2 ** ACK_DELAY_EXPONENT;
      backward.send(now, 50, { largest: a.largest, ackDelayMicros, ranges: a.ranges });
    }

    // Sender: ACKs, then timers, then new sends within the window and the pacer.
    for (const ack of backward.deliver(now)) {
      const out = ld.onAckReceived('application', ack, now);
      if (!out.ok) assert.fail(out.error.message);
      for (const p of out.newlyAcked) {
        if (!acked[p.frames]) {
          acked[p.frames] = true;
          ackedCount++;
        }
      }
      requeue(out.lost);
      if (out.persistentCongestion) result.persistentCongestion++;
    }
    if (ackedCount === chunks) {
      result.finishedAt = now;
      break;
    }
    const deadline = ld.nextTimeout();
    if (deadline !== undefined && now >= deadline) {
      const t = ld.onTimeout(now);
      if (t.kind === 'lost') {
        requeue(t.lost);
        if (t.persistentCongestion) result.persistentCongestion++;
      } else if (t.kind === 'probe') {
        // RFC 9002 §6.2.4: probes ignore the congestion window; new or retransmitted data, else the
        // oldest unacknowledged chunk again.
        for (let i = 0; i < t.count; i++) {
          const c = nextData() ?? oldestUnacked();
          if (c !== undefined) sendChunk(now, c);
          result.probes++;
        }
      }
    }
    pacer.update(now, cc.congestionWindow, ld.rtt.smoothedRtt, MSS);
    for (let burst = 0; burst < 1000 && ld.canSend() && pacer.timeUntilSend(now, MSS) === 0; burst++) {
      const c = nextData();
      if (c === undefined) break;
      sendChunk(now, c);
    }
    if (now % 10 === 0) result.cwndSamples.push(cc.congestionWindow);
    result.maxCwnd = Math.max(result.maxCwnd, cc.congestionWindow);
  }
  result.finalBytesInFlight = ld.bytesInFlight;
  result.receiverRanges = receiver.rangeCount;
  return result;
}

describe('simulated bottleneck link', () => {
  // Enough data to leave slow start and settle; fewer chunks at higher loss keep the run short.
  const scenarios = [
    { lossRate: 0, chunks: 2000 },
    { lossRate: 0.05, chunks: 800 },
    { lossRate: 0.2, chunks: 400 },
  ];
  for (const algorithm of ['newreno', 'cubic'] as const) {
    for (const { lossRate, chunks } of scenarios) {
      it(`${algorithm}, ${lossRate * 100}% random loss: all data acknowledged, window settles`, () => {
        const r = simulate(algorithm, lossRate, 12345, chunks);
        assert.ok(r.finishedAt > 0, `all ${chunks} chunks acknowledged within ${MAX_TICKS} ms of virtual time`);
        // Duplicates of already-delivered data (probes, spurious retransmissions) may still be in flight.
        assert.ok(r.finalBytesInFlight <= 2 * MSS * 8, `in flight at the end ${r.finalBytesInFlight}`);
        // Slow start may overshoot (it doubles per round trip) but stays within a few times what the
        // path and its buffer hold.
        assert.ok(r.maxCwnd <= 4 * (BDP + BUFFER), `max cwnd ${r.maxCwnd}`);
        // In the second half the window oscillates within [kMinimumWindow, path + buffer].
        const tail = r.cwndSamples.slice(Math.floor(r.cwndSamples.length / 2));
        assert.ok(tail.length > 0);
        for (const w of tail) assert.ok(w >= minimumWindow(MSS) && w <= BDP + BUFFER, `cwnd ${w}`);
        assert.ok(r.receiverRanges <= 64);
        if (lossRate === 0) {
          // Only buffer overflow loses packets: the window settles around the path's capacity instead of
          // collapsing, and never into persistent congestion.
          assert.equal(r.persistentCongestion, 0);
          for (const w of tail) assert.ok(w >= BDP / 2, `cwnd ${w} fell below half the BDP`);
        } else {
          assert.ok(r.lostPackets > 0, 'random loss was detected and the data retransmitted');
        }
      });
    }
  }

  it('is deterministic for a given seed', () => {
    const a = simulate('cubic', 0.05, 7, 100);
    const b = simulate('cubic', 0.05, 7, 100);
    assert.deepEqual(a, b);
  });
});
