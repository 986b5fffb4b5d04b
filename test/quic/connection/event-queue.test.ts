// The bounded application event queue: readable/writable hints coalesce per stream, received DATAGRAMs
// are capped, order is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../../../src/quic/connection/event-queue.js';
import type { ConnectionEvent } from '../../../src/quic/connection/api.js';
import { makePair, runHandshake } from './sim-node.js';

function drain(q: EventQueue): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let ev = q.shift(); ev !== undefined; ev = q.shift()) out.push(ev);
  return out;
}

test('one pending stream-readable / stream-writable per stream; a new one after it was polled', () => {
  const q = new EventQueue(10);
  q.push({ type: 'stream-readable', streamId: 0 });
  q.push({ type: 'stream-writable', streamId: 0 });
  q.push({ type: 'stream-readable', streamId: 4 });
  q.push({ type: 'stream-readable', streamId: 0 });
  q.push({ type: 'stream-writable', streamId: 0 });
  q.push({ type: 'stream-finished', streamId: 0 });
  assert.deepEqual(drain(q), [
    { type: 'stream-readable', streamId: 0 },
    { type: 'stream-writable', streamId: 0 },
    { type: 'stream-readable', streamId: 4 },
    { type: 'stream-finished', streamId: 0 },
  ]);
  q.push({ type: 'stream-readable', streamId: 0 });
  assert.deepEqual(drain(q), [{ type: 'stream-readable', streamId: 0 }]);
});

test('received DATAGRAM events beyond the cap are dropped and counted', () => {
  const q = new EventQueue(2);
  for (let i = 0; i < 5; i++) q.push({ type: 'datagram', data: Uint8Array.of(i) });
  assert.equal(q.length, 2);
  assert.equal(q.droppedDatagrams, 3);
  assert.deepEqual(drain(q).map((e) => (e.type === 'datagram' ? e.data[0] : -1)), [0, 1]);
  q.push({ type: 'datagram', data: Uint8Array.of(9) });
  assert.equal(q.length, 1, 'room again after polling');
});

test('a long queue keeps its order across compaction', () => {
  const q = new EventQueue(10);
  for (let i = 0; i < 3000; i++) q.push({ type: 'stream-opened', streamId: i * 4 });
  const got = drain(q);
  assert.equal(got.length, 3000);
  assert.ok(got.every((e, i) => e.type === 'stream-opened' && e.streamId === i * 4));
  assert.equal(q.shift(), undefined);
});

test('a connection whose application does not poll holds one readable event per stream', () => {
  const p = makePair();
  runHandshake(p);
  const server = p.server.connection;
  // Take events off the harness: from now on nobody polls the server.
  p.server.drain = () => undefined;
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  for (let i = 0; i < 50; i++) {
    client.streamWrite(sid, new Uint8Array(3000));
    p.net.run({ until: p.net.now + 20 });
  }
  const events: ConnectionEvent[] = [];
  for (let ev = server.pollEvent(); ev !== undefined; ev = server.pollEvent()) events.push(ev);
  assert.equal(events.filter((e) => e.type === 'stream-readable').length, 1);
  assert.equal(events.filter((e) => e.type === 'stream-opened').length, 1);
});

test('DATAGRAMs a peer sends to an application that does not poll are capped', () => {
  const p = makePair({
    client: { transport: { maxDatagramFrameSize: 1200 } },
    server: { transport: { maxDatagramFrameSize: 1200 }, limits: { maxReceivedDatagramsQueued: 5 } },
  });
  runHandshake(p);
  p.server.drain = () => undefined;
  for (let i = 0; i < 20; i++) {
    assert.ok(p.client.connection.sendDatagram(Uint8Array.of(i)));
    p.net.run({ until: p.net.now + 20 });
  }
  const got: number[] = [];
  for (let ev = p.server.connection.pollEvent(); ev !== undefined; ev = p.server.connection.pollEvent()) if (ev.type === 'datagram') got.push(ev.data[0]!);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
});
