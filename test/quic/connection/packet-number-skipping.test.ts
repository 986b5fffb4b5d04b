// Optimistic ACK defence (RFC 9000 §21.4): the sender skips a 1-RTT packet number now and then, and a peer
// acknowledging one is closed with PROTOCOL_VIOLATION.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketNumberSkipper, PN_SKIP_INITIAL_PERIOD, PN_SKIP_MAX_PERIOD } from '../../../src/quic/connection/packet-number-skipper.js';
import type { AckToSend } from '../../../src/quic/recovery/ack-tracker.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { SimRandom } from '../../sim/network.js';
import { makePair, runHandshake, transfer, type Pair } from './sim-node.js';

test('skips come after [period/2, 3*period/2) packets, the period doubling up to its maximum', () => {
  const rnd = new SimRandom(5);
  const s = new PacketNumberSkipper((n) => rnd.bytes(n));
  let period = PN_SKIP_INITIAL_PERIOD;
  let count = 0;
  const gaps: number[] = [];
  for (let i = 0; i < 200_000 && gaps.length < 12; i++) {
    count++;
    if (s.onPacketNumberUsed()) {
      assert.ok(count >= period / 2 && count < (3 * period) / 2, `skip after ${count} packets with period ${period}`);
      gaps.push(count);
      count = 0;
      period = Math.min(period * 2, PN_SKIP_MAX_PERIOD);
    }
  }
  assert.equal(gaps.length, 12);
  assert.ok(gaps.slice(-3).every((g) => g >= PN_SKIP_MAX_PERIOD / 2), `capped at the maximum period: ${gaps}`);
  // Not a fixed spacing: the gaps at one period differ.
  const other = new PacketNumberSkipper((n) => new SimRandom(6).bytes(n));
  let first = 0;
  while (!other.onPacketNumberUsed()) first++;
  assert.ok(first + 1 >= PN_SKIP_INITIAL_PERIOD / 2 && first + 1 < (3 * PN_SKIP_INITIAL_PERIOD) / 2);
});

/** Counts the packet numbers the client's loss detection was told were skipped. */
function countSkips(p: Pair): { skipped: number[] } {
  const loss = (p.client.connection as unknown as { loss: { skipPacketNumber(space: string, pn: number): void } }).loss;
  const out = { skipped: [] as number[] };
  const orig = loss.skipPacketNumber.bind(loss);
  loss.skipPacketNumber = (space, pn) => {
    out.skipped.push(pn);
    orig(space, pn);
  };
  return out;
}

test('a transfer skips packet numbers and still delivers every byte; off when limits.skipPacketNumbers is false', () => {
  const data = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
  for (const skipPacketNumbers of [true, false]) {
    const p = makePair({ seed: 31, client: { limits: { skipPacketNumbers } } });
    runHandshake(p);
    const skips = countSkips(p);
    const r = transfer(p, data);
    assert.ok(r.finished);
    assert.deepEqual(r.received, data);
    if (skipPacketNumbers) assert.ok(skips.skipped.length >= 2, `skipped ${JSON.stringify(skips.skipped)}`);
    else assert.equal(skips.skipped.length, 0);
  }
});

/** Makes the server an optimistic ACKer: every ACK it sends in the application space claims everything up to its largest. */
function optimisticAcks(p: Pair): void {
  const acks = (p.server.connection as unknown as { spaces: { application: { acks: { buildAck(...a: unknown[]): AckToSend | undefined } } } }).spaces.application.acks;
  const orig = acks.buildAck.bind(acks);
  acks.buildAck = (...a: unknown[]) => {
    const ack = orig(...a);
    if (ack === undefined) return ack;
    return { ...ack, ranges: [[ack.ranges[ack.ranges.length - 1]![0], ack.largest]] };
  };
}

test('a peer acknowledging a skipped packet number is closed with PROTOCOL_VIOLATION (RFC 9000 §21.4)', () => {
  const p = makePair({ seed: 32 });
  runHandshake(p);
  optimisticAcks(p);
  const data = new Uint8Array(300_000);
  transfer(p, data, { untilMs: p.net.now + 20_000 });
  p.net.run({ until: p.net.now + 5_000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c, 'the client closed the connection');
  assert.equal(c.info.code, TransportErrorCode.PROTOCOL_VIOLATION);
  assert.equal(c.info.remote, false);
  assert.match(c.info.reason, /skipped/);
});

test('without skipping, the same optimistic ACKer goes unnoticed (what the defence buys)', () => {
  const p = makePair({ seed: 32, client: { limits: { skipPacketNumbers: false } } });
  runHandshake(p);
  optimisticAcks(p);
  const r = transfer(p, new Uint8Array(300_000), { untilMs: p.net.now + 20_000 });
  assert.ok(r.finished);
  assert.ok(!p.client.has('closed'));
});
