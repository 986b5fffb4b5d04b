// Stream priorities (the urgency scale of RFC 9218): a stream of lower urgency sends first; equal ones
// share round-robin. Two streams written at the same moment on a bandwidth-limited simulated link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, runHandshake, type Pair } from './sim-node.js';

const SIZE = 200_000;

/** Writes SIZE bytes on two new streams at once (urgencies a and b) and returns when each finished at the server. */
function race(p: Pair, urgencies: [number | undefined, number | undefined]): number[] {
  const client = p.client.connection;
  const ids = urgencies.map((u) => {
    const id = client.openStream(true)!;
    if (u !== undefined) client.streamSetPriority(id, u);
    return id;
  });
  const offsets = ids.map(() => 0);
  const data = new Uint8Array(SIZE);
  const pump = (): void => {
    ids.forEach((id, i) => {
      while (offsets[i]! < SIZE) {
        const n = client.streamWrite(id, data.subarray(offsets[i]!, Math.min(SIZE, offsets[i]! + 16_384)));
        if (n === 0) return;
        offsets[i]! += n;
      }
      if (offsets[i] === SIZE) {
        client.streamFinish(id);
        offsets[i] = SIZE + 1; // finished once
      }
    });
  };
  const finishedAt: number[] = ids.map(() => NaN);
  p.client.onEvent = (ev) => {
    if (ev.type === 'stream-writable') pump();
  };
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') while (node.connection.streamRead(ev.streamId) !== undefined);
    if (ev.type === 'stream-finished') finishedAt[ids.indexOf(ev.streamId)] = p.net.now;
  };
  pump();
  p.net.run({ done: () => finishedAt.every((t) => !Number.isNaN(t)), maxSteps: 500_000, until: p.net.now + 120_000 });
  p.client.onEvent = undefined;
  p.server.onEvent = undefined;
  return finishedAt;
}

test('the stream of lower urgency is sent first; equal urgencies finish together', () => {
  const link = { delayMs: 5, bandwidth: 2_000_000 };
  const prioritised = makePair({ seed: 51, link });
  runHandshake(prioritised);
  const start = prioritised.net.now;
  // The second stream, opened later, goes first: urgency 0 against 7.
  const [low, high] = race(prioritised, [7, 0]).map((t) => t - start);
  assert.ok(high! < low!, `urgency 0 finished at ${high} ms, urgency 7 at ${low} ms`);
  // At 2 MB/s the urgent 200 kB take about 100 ms: it finishes near that, not near the 200 ms of both.
  assert.ok(high! < 0.7 * low!, `urgency 0 at ${high} ms is well ahead of urgency 7 at ${low} ms`);

  const fair = makePair({ seed: 51, link });
  runHandshake(fair);
  const t0 = fair.net.now;
  const [a, b] = race(fair, [undefined, undefined]).map((t) => t - t0);
  assert.ok(Math.abs(a! - b!) < 0.15 * Math.max(a!, b!), `round-robin: ${a} and ${b} ms`);
});

test('streamSetPriority rejects urgencies outside 0-7', () => {
  const p = makePair({ seed: 52 });
  runHandshake(p);
  const id = p.client.connection.openStream(true)!;
  for (const bad of [-1, 8, 1.5, Number.NaN]) assert.throws(() => p.client.connection.streamSetPriority(id, bad), RangeError);
  assert.doesNotThrow(() => p.client.connection.streamSetPriority(id, 0));
});
