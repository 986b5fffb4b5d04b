import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork, SimRandom, type SimNode } from './network.js';

/** A node that records what it receives and sends queued datagrams; optional timers. */
class Recorder implements SimNode {
  received: Array<{ data: Uint8Array; from: string; at: number }> = [];
  outbox: Array<{ data: Uint8Array; to: string }> = [];
  timers: number[] = [];
  fired: number[] = [];
  echo = false;
  receive(data: Uint8Array, from: string, _to: string, now: number): void {
    this.received.push({ data, from, at: now });
    if (this.echo) this.outbox.push({ data, to: from });
  }
  poll(): Array<{ data: Uint8Array; to: string }> {
    const o = this.outbox;
    this.outbox = [];
    return o;
  }
  nextTimeout(): number | undefined {
    return this.timers.length ? Math.min(...this.timers) : undefined;
  }
  handleTimeout(now: number): void {
    this.fired.push(now);
    this.timers = this.timers.filter((t) => t > now);
  }
}

const A = '127.0.0.1:1000';
const B = '127.0.0.1:2000';
const numbered = (n: number) => Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
const ids = (r: Recorder) => r.received.map((x) => x.data[0]! | (x.data[1]! << 8));

test('delivers in order after the link delay on a clean link', () => {
  const net = new SimNetwork({ seed: 1, link: { delayMs: 25 } });
  const a = new Recorder();
  const b = new Recorder();
  net.attach(A, a);
  net.attach(B, b);
  a.outbox.push(...numbered(10).map((data) => ({ data, to: B })));
  net.run();
  assert.deepEqual(ids(b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(b.received.every((r) => r.at === 25 && r.from === A));
});

test('loss rate is close to the configured probability and reproducible per seed', () => {
  const run = (seed: number) => {
    const net = new SimNetwork({ seed, link: { delayMs: 1, loss: 0.3 } });
    const b = new Recorder();
    net.attach(A, new Recorder());
    net.attach(B, b);
    (net as unknown as { nodes: Map<string, Recorder> }).nodes.get(A)!.outbox.push(...numbered(2000).map((data) => ({ data, to: B })));
    net.run();
    return ids(b);
  };
  const first = run(7);
  assert.deepEqual(run(7), first, 'same seed, same run');
  assert.notDeepEqual(run(8), first, 'another seed, another run');
  const lossRate = 1 - first.length / 2000;
  assert.ok(lossRate > 0.25 && lossRate < 0.35, `loss ${lossRate}`);
});

test('reordering and duplication happen and every datagram still arrives', () => {
  const net = new SimNetwork({ seed: 3, link: { delayMs: 10, reorder: 0.2, reorderDelayMs: 30, duplicate: 0.1 } });
  const a = new Recorder();
  const b = new Recorder();
  net.attach(A, a);
  net.attach(B, b);
  a.outbox.push(...numbered(500).map((data) => ({ data, to: B })));
  net.run();
  const got = ids(b);
  assert.ok(net.stats.reordered > 50 && net.stats.duplicated > 20);
  assert.equal(got.length, 500 + net.stats.duplicated);
  assert.deepEqual([...new Set(got)].sort((x, y) => x - y), [...Array(500).keys()]);
  assert.notDeepEqual(got.slice(0, 500), [...Array(500).keys()], 'order changed');
});

test('bandwidth serialises datagrams and a small queue tail-drops', () => {
  const net = new SimNetwork({ seed: 1, link: { delayMs: 0, bandwidth: 100_000, queueBytes: 5000 } });
  const a = new Recorder();
  const b = new Recorder();
  net.attach(A, a);
  net.attach(B, b);
  a.outbox.push(...Array.from({ length: 10 }, () => ({ data: new Uint8Array(1000), to: B })));
  net.run();
  // 1000 bytes at 100 kB/s = 10 ms each; 5000 bytes of queue room => 5 accepted, 5 dropped.
  assert.deepEqual(b.received.map((r) => r.at), [10, 20, 30, 40, 50]);
  assert.equal(net.stats.queueDropped, 5);
});

test('mtu drops oversize datagrams', () => {
  const net = new SimNetwork({ seed: 1, link: { delayMs: 1, mtu: 1200 } });
  const a = new Recorder();
  const b = new Recorder();
  net.attach(A, a);
  net.attach(B, b);
  a.outbox.push({ data: new Uint8Array(1200), to: B }, { data: new Uint8Array(1201), to: B });
  net.run();
  assert.equal(b.received.length, 1);
  assert.equal(net.stats.mtuDropped, 1);
});

test('NAT rebinding changes the source address the peer sees, and replies reach the node', () => {
  const net = new SimNetwork({ seed: 1, link: { delayMs: 5 } });
  const a = new Recorder();
  const b = new Recorder();
  b.echo = true;
  net.attach(A, a);
  net.attach(B, b);
  a.outbox.push({ data: Uint8Array.of(1), to: B });
  net.run();
  net.rebind(A, '127.0.0.9:4000');
  a.outbox.push({ data: Uint8Array.of(2), to: B });
  net.run();
  assert.deepEqual(b.received.map((r) => r.from), [A, '127.0.0.9:4000']);
  assert.deepEqual(a.received.map((r) => [r.data[0], r.from]), [[1, B], [2, B]]);
});

test('timers fire at their virtual time and run() is bounded', () => {
  const net = new SimNetwork({ seed: 1 });
  const a = new Recorder();
  a.timers = [100, 250];
  net.attach(A, a);
  net.run();
  assert.deepEqual(a.fired, [100, 250]);
  const busy: SimNode = { receive() {}, poll: () => [], nextTimeout: () => net.now + 1, handleTimeout() {} };
  net.attach(B, busy);
  assert.throws(() => net.run({ maxSteps: 100 }), /did not settle/);
  assert.equal(net.run({ until: net.now + 10 }) > 0, true);
});

test('SimRandom is uniform enough and deterministic', () => {
  const r = new SimRandom(42);
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 10000; i++) buckets[Math.floor(r.next() * 10)]++;
  assert.ok(buckets.every((c) => c > 900 && c < 1100), String(buckets));
  assert.deepEqual(new SimRandom(5).bytes(16), new SimRandom(5).bytes(16));
});
