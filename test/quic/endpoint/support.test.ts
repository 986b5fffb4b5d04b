// The endpoint's small building blocks: the deadline heap, the token bucket and the stateless packet builders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineQueue } from '../../../src/quic/endpoint/deadline-queue.js';
import { TokenBucket } from '../../../src/quic/endpoint/rate-limiter.js';
import { initialClosePacket, statelessResetLength, versionNegotiationPacket } from '../../../src/quic/endpoint/stateless-packets.js';
import { parsePacket } from '../../../src/quic/wire/header.js';
import { seededRandom } from './stub-connection.js';

test('DeadlineQueue: earliest first, rescheduling and clearing replace the old deadline', () => {
  const q = new DeadlineQueue<string>();
  q.set('a', 30);
  q.set('b', 10);
  q.set('c', 20);
  assert.equal(q.peek(), 10);
  q.set('b', 40); // later now
  assert.equal(q.peek(), 20);
  q.delete('c');
  assert.equal(q.peek(), 30);
  assert.deepEqual(q.popDue(35), ['a']);
  assert.equal(q.size, 1);
  assert.deepEqual(q.popDue(100), ['b']);
  assert.equal(q.peek(), undefined);
});

test('DeadlineQueue: many reschedules keep the heap bounded and the order right', () => {
  const q = new DeadlineQueue<number>();
  const rnd = seededRandom(2);
  const latest = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    const item = i % 50;
    const at = rnd(2).reduce((a, b) => a * 256 + b, 0);
    q.set(item, at);
    latest.set(item, at);
  }
  assert.ok((q as unknown as { heap: unknown[] }).heap.length <= 2 * 50 + 16 + 1);
  const due = q.popDue(Number.MAX_SAFE_INTEGER);
  assert.deepEqual(due, [...latest.entries()].sort((x, y) => x[1] - y[1]).map(([k]) => k));
});

test('TokenBucket: burst, then refill at the rate, never above the burst', () => {
  const b = new TokenBucket(10, 3);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.take(50), false, 'half a token after 50 ms');
  assert.equal(b.take(100), true);
  assert.deepEqual([b.take(10_000), b.take(10_000), b.take(10_000), b.take(10_000)], [true, true, true, false]);
  assert.equal(b.take(5000), false, 'time going backwards adds nothing');
  assert.throws(() => new TokenBucket(-1, 1), /rate limit/);
  assert.throws(() => new TokenBucket(1, Number.POSITIVE_INFINITY), /rate limit/);
});

test('statelessResetLength: always smaller than the trigger and at least 21 bytes', () => {
  const rnd = seededRandom(1);
  for (let n = 0; n <= 1500; n++) {
    const len = statelessResetLength(n, rnd);
    if (n <= 21) assert.equal(len, undefined, `${n}`);
    else {
      assert.ok(len !== undefined && len < n && len >= 21, `${n} -> ${len}`);
      if (n <= 43) assert.equal(len, n - 1);
      else assert.ok(len >= 41 && len <= 64);
    }
  }
});

test('versionNegotiationPacket accepts the 255-byte IDs of the version-independent header (RFC 8999)', () => {
  const long = new Uint8Array(255).fill(1);
  const vn = versionNegotiationPacket(long, Uint8Array.of(2), [1], seededRandom(1));
  const p = parsePacket(vn, 0, 8);
  assert.equal(p.type, 'version_negotiation');
  assert.equal(p.dcid.length, 1);
  assert.equal(p.type === 'version_negotiation' ? p.scid.length : 0, 255);
});

test('initialClosePacket: the reason is truncated and the Initial stays small (not padded: CONNECTION_CLOSE is not ack-eliciting)', () => {
  const pkt = initialClosePacket(new Uint8Array(8).fill(3), Uint8Array.of(4), new Uint8Array(8).fill(5), 0x2, 'x'.repeat(500));
  assert.ok(pkt.length < 200, `${pkt.length} bytes`);
  assert.equal(parsePacket(pkt, 0, 8).type, 'initial');
});
