// Small stream writes coalesced before the stream layer: unit behaviour, then through connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteCoalescer } from '../../../src/quic/connection/write-coalescer.js';
import { concat, makePair, runHandshake, SERVER_ADDR, type Pair } from './sim-node.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test('writes up to a quarter of the stage size are staged; larger ones and empty ones are not', () => {
  const c = new WriteCoalescer(1024);
  assert.equal(c.accepts(bytes(256, 1)), true);
  assert.equal(c.accepts(bytes(257, 1)), false);
  assert.equal(c.accepts(new Uint8Array(0)), false);
  assert.equal(new WriteCoalescer(0).accepts(bytes(1, 1)), false, '0 turns coalescing off');
});

test('a full stage is handed over whole, in order, before the write that does not fit', () => {
  const c = new WriteCoalescer(1024);
  for (let i = 0; i < 4; i++) assert.equal(c.append(0, bytes(250, i)), undefined);
  const full = c.append(0, bytes(250, 9));
  assert.ok(full);
  assert.equal(full.length, 1000);
  assert.deepEqual([full[0], full[250], full[999]], [0, 1, 3]);
  const rest = c.take(0);
  assert.deepEqual(rest, bytes(250, 9));
  assert.equal(c.take(0), undefined);
});

test('takeAll returns every stream in first-staged order; idle stages are dropped on the next takeAll', () => {
  const c = new WriteCoalescer(1024);
  c.append(8, bytes(3, 8));
  c.append(0, bytes(2, 0));
  c.append(8, bytes(1, 7));
  assert.deepEqual(
    c.takeAll().map((w) => [w.streamId, [...w.data]]),
    [
      [8, [8, 8, 8, 7]],
      [0, [0, 0]],
    ],
  );
  assert.equal(c.isEmpty, false, 'stages are kept for reuse');
  assert.deepEqual(c.takeAll(), []);
  assert.equal(c.isEmpty, true, 'unused since the last flush: dropped');
});

test('a mostly empty stage is copied out (it never pins the whole buffer); a mostly full one is given away', () => {
  const c = new WriteCoalescer(1024);
  c.append(0, bytes(10, 1));
  const small = c.take(0)!;
  assert.equal(small.buffer.byteLength, 10);
  for (let i = 0; i < 3; i++) c.append(4, bytes(200, 2));
  const big = c.take(4)!;
  assert.equal(big.length, 600);
  assert.equal(big.buffer.byteLength, 1024);
});

test('discard forgets staged bytes', () => {
  const c = new WriteCoalescer(1024);
  c.append(0, bytes(10, 1));
  c.discard(0);
  assert.equal(c.take(0), undefined);
});

function established(): Pair {
  const p = makePair();
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  return p;
}

function serverReads(p: Pair): { data: () => Uint8Array; fin: () => boolean; resets: number[] } {
  const chunks: Uint8Array[] = [];
  let fin = false;
  const resets: number[] = [];
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') for (let d = node.connection.streamRead(ev.streamId); d; d = node.connection.streamRead(ev.streamId)) chunks.push(Uint8Array.from(d));
    if (ev.type === 'stream-finished') fin = true;
    if (ev.type === 'stream-reset') resets.push(ev.errorCode);
  };
  return { data: () => concat(chunks), fin: () => fin, resets };
}

test('small and large writes mixed arrive in order, with the FIN after the staged bytes', () => {
  const p = established();
  const r = serverReads(p);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  const expected: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const chunk = i % 50 === 49 ? bytes(10_000, i & 0xff) : bytes(1 + (i % 60), i & 0xff);
    assert.equal(client.streamWrite(sid, chunk), chunk.length);
    expected.push(chunk);
  }
  assert.equal(client.streamWrite(sid, bytes(5, 1), true), 5, 'a small write with FIN');
  expected.push(bytes(5, 1));
  p.net.run({ done: r.fin, until: p.net.now + 10_000 });
  assert.ok(r.fin());
  assert.ok(Buffer.from(r.data()).equals(Buffer.from(concat(expected))));
});

test('streamFinish after staged writes sends them before the FIN', () => {
  const p = established();
  const r = serverReads(p);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  for (let i = 0; i < 100; i++) client.streamWrite(sid, bytes(64, i));
  client.streamFinish(sid);
  p.net.run({ done: r.fin, until: p.net.now + 5_000 });
  assert.equal(r.data().length, 6400);
  assert.equal(r.data()[6399], 99);
});

test('a reset stream sends none of its staged bytes', () => {
  const p = established();
  const r = serverReads(p);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, bytes(64, 1));
  p.net.run({ until: p.net.now + 200 });
  client.streamWrite(sid, bytes(64, 2));
  client.streamReset(sid, 7);
  p.net.run({ until: p.net.now + 500 });
  assert.deepEqual(r.resets, [7]);
  assert.equal(r.data().length, 64, 'only the write sent before the reset');
});

test('staged bytes for a stream the peer stopped are dropped without an error', () => {
  const p = established();
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, bytes(64, 1));
  p.net.run({ until: p.net.now + 200 });
  // Hold the server's STOP_SENDING, stage a write, then hand the STOP_SENDING to the client before it polls.
  const held: Array<{ data: Uint8Array; from: string; to: string }> = [];
  p.net.tap = (d) => {
    if (d.from === SERVER_ADDR) {
      held.push({ data: Uint8Array.from(d.data), from: d.from, to: d.to });
      return null;
    }
    return d.data;
  };
  p.server.connection.streamStopSending(sid, 5);
  p.net.run({ until: p.net.now + 50 });
  p.net.tap = undefined;
  assert.ok(held.length > 0);
  assert.equal(client.streamWrite(sid, bytes(64, 2)), 64, 'staged');
  for (const d of held) p.client.receive(d.data, d.from, d.to, p.net.now);
  assert.equal(p.client.eventsOf('stream-stop-sending').length, 1);
  assert.doesNotThrow(() => client.poll(p.net.now), 'the flush drops the staged bytes');
  p.net.run({ until: p.net.now + 200 });
  // The next flush finds the stream stopped: the staged bytes are dropped, nothing throws or closes.
  assert.equal(client.state, 'established');
  assert.equal(client.streamWrite(sid, bytes(64, 3)), 0, 'a stopped stream takes no more');
});
