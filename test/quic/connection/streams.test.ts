// Streams and flow control end to end (RFC 9000 §2-4, §19.4-19.14) between two connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimRandom } from '../../sim/network.js';
import { CLIENT_ADDR, concat, makePair, runHandshake, transfer, type Pair } from './sim-node.js';

function established(o: Parameters<typeof makePair>[0] = {}): Pair {
  const p = makePair(o);
  runHandshake(p);
  assert.ok(p.client.has('handshake-confirmed'), 'handshake');
  return p;
}

function readAll(node: Pair['server'], sid: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = node.connection.streamRead(sid); d !== undefined; d = node.connection.streamRead(sid)) out.push(Uint8Array.from(d));
  return out;
}

test('tiny flow control windows (1000 bytes) still deliver everything', () => {
  const tiny = { initialMaxData: 1000, initialMaxStreamDataBidiLocal: 1000, initialMaxStreamDataBidiRemote: 1000, initialMaxStreamDataUni: 1000 };
  const p = established({ client: { transport: tiny }, server: { transport: tiny } });
  const data = new SimRandom(3).bytes(100_000);
  const r = transfer(p, data);
  assert.ok(r.finished);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
});

test('1000 concurrent streams, each with a little data, all delivered', () => {
  const p = established({ server: { transport: { initialMaxStreamsBidi: 1000 } } });
  const client = p.client.connection;
  const expected = new Map<number, string>();
  for (let i = 0; i < 1000; i++) {
    const sid = client.openStream(true);
    assert.notEqual(sid, undefined, `stream ${i} opens`);
    const text = `message ${i} `.repeat(1 + (i % 5));
    assert.equal(client.streamWrite(sid!, Buffer.from(text), true), text.length);
    expected.set(sid!, text);
  }
  const got = new Map<number, Uint8Array[]>();
  const finished = new Set<number>();
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') got.set(ev.streamId, [...(got.get(ev.streamId) ?? []), ...readAll(node, ev.streamId)]);
    if (ev.type === 'stream-finished') finished.add(ev.streamId);
  };
  p.net.run({ done: () => finished.size === 1000, maxSteps: 200_000, until: p.net.now + 60_000 });
  assert.equal(finished.size, 1000);
  for (const [sid, text] of expected) assert.equal(Buffer.from(concat(got.get(sid) ?? [])).toString(), text, `stream ${sid}`);
  assert.equal(p.server.eventsOf('stream-opened').length, 1000);
});

test('many small writes share packets; datagrams never exceed the configured size', () => {
  // The base size without PMTU probes; discovery has its own tests (mtu-discovery.test.ts).
  const p = established({ client: { limits: { pmtuDiscovery: false } } });
  const client = p.client.connection;
  let maxDatagram = 0;
  let datagrams = 0;
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR) {
      datagrams++;
      maxDatagram = Math.max(maxDatagram, d.data.length);
    }
    return d.data;
  };
  const sid = client.openStream(true)!;
  for (let i = 0; i < 200; i++) client.streamWrite(sid, Buffer.from(`pkt${i};`));
  client.streamFinish(sid);
  const chunks: Uint8Array[] = [];
  let finished = false;
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') chunks.push(...readAll(node, sid));
    if (ev.type === 'stream-finished') finished = true;
  };
  p.net.run({ done: () => finished, until: p.net.now + 5000 });
  assert.ok(finished);
  assert.equal(Buffer.from(concat(chunks)).toString(), Array.from({ length: 200 }, (_, i) => `pkt${i};`).join(''));
  // About 1.3 KB of writes: a couple of datagrams, not 200.
  assert.ok(datagrams <= 4, `${datagrams} datagrams`);
  assert.ok(maxDatagram <= 1200, `largest datagram ${maxDatagram}`);
});

test('datagram size follows limits.maxDatagramSize and the peer max_udp_payload_size', () => {
  const p = established({ client: { limits: { maxDatagramSize: 1400 } }, server: { transport: { maxUdpPayloadSize: 1350 } } });
  let max = 0;
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR) max = Math.max(max, d.data.length);
    return d.data;
  };
  transfer(p, new SimRandom(1).bytes(50_000));
  assert.equal(max, 1350);
});

test('bidirectional echo: the server writes back what it reads', () => {
  const p = established();
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') for (const d of readAll(node, ev.streamId)) node.connection.streamWrite(ev.streamId, d);
    if (ev.type === 'stream-finished') node.connection.streamFinish(ev.streamId);
  };
  const echoed: Uint8Array[] = [];
  let done = false;
  p.client.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') echoed.push(...readAll(node, sid));
    if (ev.type === 'stream-finished') done = true;
  };
  const data = new SimRandom(5).bytes(200_000);
  let off = 0;
  while (off < data.length) off += client.streamWrite(sid, data.subarray(off, off + 10_000));
  client.streamFinish(sid);
  p.net.run({ done: () => done, until: p.net.now + 30_000 });
  assert.ok(done);
  assert.ok(Buffer.from(concat(echoed)).equals(Buffer.from(data)));
});

test('server-initiated unidirectional stream with FIN', () => {
  const p = established();
  const server = p.server.connection;
  const sid = server.openStream(false)!;
  assert.equal(sid % 4, 3, 'server uni stream ID');
  server.streamWrite(sid, Buffer.from('hello from the server'), true);
  const got: Uint8Array[] = [];
  let fin = false;
  p.client.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') got.push(...readAll(node, sid));
    if (ev.type === 'stream-finished') fin = true;
  };
  p.net.run({ done: () => fin, until: p.net.now + 5000 });
  assert.ok(p.client.eventsOf('stream-opened').some((e) => e.streamId === sid));
  assert.equal(Buffer.from(concat(got)).toString(), 'hello from the server');
});

test('RESET_STREAM reaches the peer with its error code', () => {
  const p = established();
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, Buffer.from('partial'));
  p.net.run({ until: p.net.now + 100 });
  client.streamReset(sid, 0x42);
  p.net.run({ done: () => p.server.has('stream-reset'), until: p.net.now + 5000 });
  const r = p.server.eventsOf('stream-reset')[0];
  assert.ok(r);
  assert.deepEqual(r, { type: 'stream-reset', streamId: sid, errorCode: 0x42 });
});

test('STOP_SENDING makes the peer reset with the same code (RFC 9000 §3.5)', () => {
  const p = established();
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, Buffer.from('start'));
  p.net.run({ done: () => p.server.has('stream-opened'), until: p.net.now + 1000 });
  p.server.connection.streamStopSending(sid, 0x77);
  p.net.run({ done: () => p.client.has('stream-stop-sending'), until: p.net.now + 5000 });
  assert.deepEqual(p.client.eventsOf('stream-stop-sending')[0], { type: 'stream-stop-sending', streamId: sid, errorCode: 0x77 });
  p.net.run({ done: () => p.server.has('stream-reset'), until: p.net.now + 5000 });
  assert.deepEqual(p.server.eventsOf('stream-reset')[0], { type: 'stream-reset', streamId: sid, errorCode: 0x77 });
});

test('streams beyond the peer limit: openStream returns undefined until MAX_STREAMS raises it', () => {
  const p = established({ server: { transport: { initialMaxStreamsBidi: 2 } } });
  const client = p.client.connection;
  const a = client.openStream(true)!;
  const b = client.openStream(true)!;
  assert.equal(client.openStream(true), undefined);
  client.streamWrite(a, Buffer.from('a'), true);
  client.streamWrite(b, Buffer.from('b'), true);
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') readAll(node, ev.streamId);
    if (ev.type === 'stream-finished') node.connection.streamFinish(ev.streamId);
  };
  p.client.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') readAll(node, ev.streamId);
  };
  const before = p.client.eventsOf('streams-available').length;
  p.net.run({ done: () => p.client.eventsOf('streams-available').length > before, until: p.net.now + 5000 });
  assert.ok(p.client.eventsOf('streams-available').slice(before).some((e) => e.bidirectional));
  assert.notEqual(client.openStream(true), undefined);
});

test('a flow control violation by the peer closes with FLOW_CONTROL_ERROR', async () => {
  const { FLOW_CONTROL_ERROR } = (await import('../../../src/quic/wire/errors.js')).TransportErrorCode;
  const p = established({ server: { transport: { initialMaxStreamDataBidiRemote: 1000, initialMaxData: 1000 } } });
  // Make the client believe the limits are larger than the server advertised.
  const client = p.client.connection;
  client.streams.setPeerLimits({ maxData: 1e6, maxStreamDataBidiLocal: 1e6, maxStreamDataBidiRemote: 1e6, maxStreamDataUni: 1e6, maxStreamsBidi: 100, maxStreamsUni: 100 });
  const sid = client.openStream(true)!;
  client.streamWrite(sid, new Uint8Array(5000));
  p.net.run({ done: () => p.server.has('closed'), until: p.net.now + 5000 });
  assert.equal(p.server.eventsOf('closed')[0]?.info.code, FLOW_CONTROL_ERROR);
  p.net.run({ done: () => p.client.has('closed'), until: p.net.now + 5000 });
  assert.equal(p.client.eventsOf('closed')[0]?.info.code, FLOW_CONTROL_ERROR);
  assert.equal(p.client.eventsOf('closed')[0]?.info.remote, true);
});

test('backpressure: streamWrite accepts nothing above the high-water mark until stream-writable', () => {
  const p = established({ client: { limits: { streamSendHighWaterMark: 16 * 1024 } } });
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  assert.equal(client.streamWrite(sid, new Uint8Array(20_000)), 20_000, 'a write is taken whole, like Node streams');
  assert.equal(client.streamWrite(sid, new Uint8Array(10)), 0, 'then refused until the buffer drains');
  const data = new SimRandom(12).bytes(300_000);
  const r = transfer(p, data);
  assert.ok(r.finished);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
  assert.ok(p.client.eventsOf('stream-writable').length >= 4, 'writable events drove the writer');
});

test('writes to a stream the peer stopped return 0 instead of throwing', () => {
  const p = established();
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, Buffer.from('x'));
  p.net.run({ done: () => p.server.has('stream-opened'), until: p.net.now + 1000 });
  p.server.connection.streamStopSending(sid, 5);
  p.net.run({ done: () => p.client.has('stream-stop-sending'), until: p.net.now + 1000 });
  assert.equal(client.streamWrite(sid, Buffer.from('more')), 0);
  assert.doesNotThrow(() => client.streamFinish(sid));
});
