// The UDP endpoint's backpressure from the socket: a full kernel send buffer shows as datagrams queued in
// node:dgram (socket.getSendQueueCount()). At
// maxSendsInFlight queued the endpoint stops polling its connections and looks again shortly
// (udp-endpoint.ts sendBlocked), so memory stays bounded and sending resumes by itself. Loopback never
// fills the kernel buffer here, so the test stands in for it by reporting a full queue from the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:dgram';
import { QuicServer } from '../../../src/quic/endpoint/server.js';
import { QuicClient } from '../../../src/quic/endpoint/client.js';
import type { QuicStream } from '../../../src/quic/endpoint/quic-stream.js';
import { certPath } from '../../helpers/certs.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A server counting the stream bytes it receives, and a client connected to it with one stream open. */
async function countingPair(t: { after: (fn: () => unknown) => void }, endpoint: { maxSendsInFlight?: number } = {}) {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  t.after(() => server.close({ graceMs: 0 }));
  const counter = { received: 0 };
  server.on('connection', (conn) => conn.on('stream', (s: QuicStream) => s.on('data', (d: Buffer) => (counter.received += d.length))));
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await QuicClient.create({ host: '127.0.0.1', endpoint });
  t.after(() => client.close({ graceMs: 0 }));
  const conn = await client.connect({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')], serverName: 'localhost' });
  const stream = await conn.openStream();
  return { counter, client, stream };
}

test('a socket with maxSendsInFlight datagrams queued stops the sending; it resumes once the queue drains', async (t) => {
  const { counter, client, stream } = await countingPair(t, { maxSendsInFlight: 8 });

  const socket = (client.endpoint as unknown as { socket: Socket }).socket;
  const realCount = socket.getSendQueueCount.bind(socket);
  const realSend = socket.send.bind(socket) as (...args: unknown[]) => void;
  let queued = 8; // as if the kernel buffer were full: 8 datagrams waiting in node:dgram
  let sent = 0;
  socket.getSendQueueCount = () => queued + realCount();
  socket.send = ((...args: unknown[]) => {
    sent++;
    realSend(...args);
  }) as typeof socket.send;
  t.after(() => {
    socket.getSendQueueCount = realCount;
  });

  stream.write(Buffer.alloc(100_000, 1));
  await sleep(100);
  assert.equal(sent, 0, 'nothing is sent while the socket reports a full queue');
  assert.equal(counter.received, 0);

  queued = 0; // the kernel took the queued datagrams
  for (let i = 0; i < 300 && counter.received < 100_000; i++) await sleep(10);
  assert.equal(counter.received, 100_000, 'sending resumed by itself and every byte arrived');
  assert.ok(sent > 0);
});

test('endClosingEarly waits while the socket still holds queued datagrams: closing it would cancel a queued CONNECTION_CLOSE', async (t) => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  t.after(() => server.close({ graceMs: 0 }));
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await QuicClient.create({ host: '127.0.0.1', endpoint: { endClosingEarly: true } });
  t.after(() => client.close({ graceMs: 0 }));
  const options = { host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')], serverName: 'localhost' };
  const socket = (client.endpoint as unknown as { socket: Socket }).socket;
  const realCount = socket.getSendQueueCount.bind(socket);
  t.after(() => {
    socket.getSendQueueCount = realCount;
  });
  for (const queued of [0, 1]) {
    const conn = await client.connect(options);
    let closed = false;
    void conn.closed.then(() => (closed = true));
    socket.getSendQueueCount = () => queued + realCount();
    conn.close(0, 'bye');
    await new Promise((resolve) => setImmediate(resolve));
    // Nothing queued: closed at once. One datagram queued (below maxSendsInFlight): the closing period runs on.
    assert.equal(closed, queued === 0, `${queued} queued`);
    socket.getSendQueueCount = realCount;
    await conn.closed;
  }
});

test('sends the kernel refuses are counted with their error code; QUIC recovers the lost datagrams', async (t) => {
  const { counter, client, stream } = await countingPair(t);
  const endpoint = client.endpoint;
  assert.equal(endpoint.sendErrors, 0);
  const sentBefore = endpoint.datagramsSent;
  assert.ok(sentBefore >= 2, 'the handshake datagrams were counted');

  // node:dgram reports a failed send only to the completion callback: the next three sends fail as a
  // kernel out of buffer space would fail them (ENOBUFS), and never leave.
  const socket = (endpoint as unknown as { socket: Socket }).socket;
  const realSend = socket.send.bind(socket) as (...args: unknown[]) => void;
  let failures = 3;
  socket.send = ((...args: unknown[]) => {
    if (failures > 0) {
      failures--;
      const callback = args[args.length - 1] as (err: Error | null) => void;
      process.nextTick(callback, Object.assign(new Error('send ENOBUFS'), { code: 'ENOBUFS', syscall: 'send' }));
      return;
    }
    realSend(...args);
  }) as typeof socket.send;
  t.after(() => {
    socket.send = realSend as typeof socket.send;
  });

  stream.write(Buffer.alloc(20_000, 2));
  for (let i = 0; i < 300 && counter.received < 20_000; i++) await sleep(10);
  assert.equal(counter.received, 20_000, 'every byte arrived, the failed datagrams retransmitted');
  assert.equal(endpoint.sendErrors, 3);
  assert.equal(endpoint.lastSendError, 'ENOBUFS');
  assert.ok(endpoint.datagramsSent > sentBefore + 3);
});
