// The latency spin bit (RFC 9000 §17.4): the server echoes, the client inverts, only newer packets count,
// a new connection ID resets it, one path in 16 has it off, and on the wire it flips once per round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPathSpin, PathSpin, SPIN_DISABLED_ONE_IN } from '../../../src/quic/connection/spin-bit.js';
import { spinBitOf } from '../../../src/quic/wire/header.js';
import { CLIENT_ADDR, makePair, runHandshake, transfer, SERVER_ADDR, type Pair } from './sim-node.js';

const cidA = Uint8Array.of(1, 2, 3, 4);
const cidB = Uint8Array.of(5, 6, 7, 8);

test('the server echoes the bit of the newest packet, the client inverts it; older packets change nothing', () => {
  const server = new PathSpin(true, 0, () => Uint8Array.of(1));
  assert.equal(server.bitFor(cidA), 0, 'starts at 0');
  server.onPacketReceived(5, 1, true);
  assert.equal(server.bitFor(cidA), 1);
  server.onPacketReceived(4, 0, true);
  assert.equal(server.bitFor(cidA), 1, 'a reordered older packet is ignored');
  server.onPacketReceived(6, 0, true);
  assert.equal(server.bitFor(cidA), 0);

  const client = new PathSpin(true, 0, () => Uint8Array.of(1));
  client.onPacketReceived(0, 0, false);
  assert.equal(client.bitFor(cidA), 1);
  client.onPacketReceived(1, 1, false);
  assert.equal(client.bitFor(cidA), 0);
});

test('a new connection ID on the path resets the value to 0; a disabled bit ignores the peer and is redrawn per ID', () => {
  const s = new PathSpin(true, 0, () => Uint8Array.of(1));
  s.onPacketReceived(1, 1, true);
  assert.equal(s.bitFor(cidA), 1);
  assert.equal(s.bitFor(cidB), 0, 'reset when the connection ID changes');
  s.onPacketReceived(2, 1, true);
  assert.equal(s.bitFor(cidB), 1);

  const draws = [1, 0];
  const off = new PathSpin(false, 0, () => Uint8Array.of(draws.shift()!));
  off.onPacketReceived(1, 1, true);
  assert.equal(off.bitFor(cidA), 0, 'the incoming value is ignored');
  assert.equal(off.bitFor(cidB), 1, 'a new random value for a new connection ID');
  assert.equal(off.bitFor(cidA), 0);
});

test('one path in 16 has the spin bit off even when allowed; none has it when not allowed', () => {
  let next = 0;
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => next++ & 0xff);
  let enabled = 0;
  let disabledValues = 0;
  for (let i = 0; i < 256; i++) {
    next = i;
    const spin = newPathSpin(true, bytes);
    if (spin.enabled) enabled++;
    else disabledValues += spin.bitFor(cidA);
  }
  assert.equal(enabled, 256 - 256 / SPIN_DISABLED_ONE_IN);
  assert.ok(disabledValues > 0 && disabledValues < 16, 'the disabled bit is random, not always 0 or 1');
  next = 3;
  assert.equal(newPathSpin(false, bytes).enabled, false);
});

/** The spin bits of the client's 1-RTT packets as the server receives them, with their arrival times. */
function watchClientSpin(p: Pair): Array<{ at: number; bit: 0 | 1 }> {
  const seen: Array<{ at: number; bit: 0 | 1 }> = [];
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR && d.to === SERVER_ADDR && (d.data[0]! & 0x80) === 0) seen.push({ at: d.now, bit: spinBitOf(d.data[0]!) });
    return d.data;
  };
  return seen;
}

function flipIntervals(seen: Array<{ at: number; bit: 0 | 1 }>): number[] {
  const flips: number[] = [];
  for (let i = 1; i < seen.length; i++) if (seen[i]!.bit !== seen[i - 1]!.bit) flips.push(seen[i]!.at);
  return flips.slice(1).map((t, i) => t - flips[i]!);
}

test('on the wire the bit flips once per round trip, so an observer measures the RTT (50 ms link)', () => {
  // Seed 7 draws an enabled spin bit for both ends' first paths (one in 16 would be off).
  // No bandwidth limit: a serialisation queue would add queueing delay, which the bit then measures too.
  const p = makePair({ seed: 7, link: { delayMs: 25 } });
  runHandshake(p);
  const seen = watchClientSpin(p);
  const r = transfer(p, new Uint8Array(3_000_000));
  assert.ok(r.finished);
  const intervals = flipIntervals(seen).sort((a, b) => a - b);
  assert.ok(intervals.length >= 6, `${intervals.length} flips in ${seen.length} packets`);
  const median = intervals[Math.floor(intervals.length / 2)]!;
  assert.ok(median >= 50 && median <= 55, `median flip interval ${median} ms: ${intervals.join(', ')}`);
});

test('limits.spinBit = false on both ends: the bit never flips', () => {
  const p = makePair({ seed: 7, link: { delayMs: 25 }, client: { limits: { spinBit: false } }, server: { limits: { spinBit: false } } });
  runHandshake(p);
  const seen = watchClientSpin(p);
  const r = transfer(p, new Uint8Array(1_000_000));
  assert.ok(r.finished);
  assert.ok(seen.length > 100);
  assert.deepEqual(flipIntervals(seen), []);
  assert.equal(new Set(seen.map((s) => s.bit)).size, 1);
});
