// The UDP shell handles every datagram already queued on the socket before it polls connections for
// output (udp-endpoint.ts scheduleAfterReceive), and loopback connections grow their datagrams past the
// Ethernet-sized default (connection-factory.ts loopbackLimits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { UdpEndpoint } from '../../../src/quic/endpoint/udp-endpoint.js';
import { QuicServer } from '../../../src/quic/endpoint/server.js';
import { QuicClient } from '../../../src/quic/endpoint/client.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { QuicStream } from '../../../src/quic/endpoint/quic-stream.js';
import { certPath } from '../../helpers/certs.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a burst of datagrams is received whole before connections are polled once', async (t) => {
  const endpoint = await UdpEndpoint.open('127.0.0.1', 0);
  t.after(() => endpoint.close({ graceMs: 0 }));
  let polls = 0;
  const core = endpoint.core;
  const poll = core.poll.bind(core);
  core.poll = (now: number) => {
    polls++;
    return poll(now);
  };
  const sender = createSocket('udp4');
  t.after(() => sender.close());
  const burst = 20;
  // Short header with the fixed bit clear (RFC 9000 §17.3.1): dropped unanswered, so only the drive loop polls.
  const datagram = Buffer.alloc(40);
  const { port } = endpoint.address();
  for (let i = 0; i < burst; i++) sender.send(datagram, port, '127.0.0.1');
  for (let i = 0; i < 200 && core.stats.datagramsReceived < burst; i++) await sleep(10);
  await new Promise((r) => setImmediate(r));
  assert.equal(core.stats.datagramsReceived, burst);
  assert.equal(core.stats.malformedDropped, burst);
  // One poll per datagram before; the sends above were in the kernel before our event loop turned.
  assert.ok(polls >= 1 && polls <= burst / 4, `polled ${polls} times for ${burst} datagrams`);
});

test('on 127.0.0.1, PMTU discovery takes the server\'s datagrams past 1452 bytes', async (t) => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  server.on('connection', (conn) => {
    conn.on('stream', (s: QuicStream) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 100 }));
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close());
  let largest = 0;
  const core = client.endpoint.core;
  const receive = core.receive.bind(core);
  core.receive = (data, path, now) => {
    largest = Math.max(largest, data.length);
    receive(data, path, now);
  };
  const conn = await client.connect({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')] });
  // Discovery starts once the handshake is confirmed; a few echoes give it the round trips it needs.
  for (let round = 0; round < 5 && largest <= 1452; round++) {
    const s = await conn.openStream();
    const payload = randomBytes(200_000);
    s.end(payload);
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(payload));
  }
  assert.ok(largest > 1452, `largest datagram from the server: ${largest} bytes`);
  await conn.close();
});

test('send-loop options must be positive integers: a zero bound would stop the endpoint from ever sending', async () => {
  for (const options of [{ maxSendsInFlight: 0 }, { maxDatagramsPerTurn: 0 }, { maxSendsInFlight: 1.5 }]) {
    await assert.rejects(UdpEndpoint.open('127.0.0.1', 0, options), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ERR_QUIC_ENDPOINT_OPTIONS');
  }
});

test('large datagrams leave through recycled buffers: a 2 MB transfer over 64 KiB datagrams arrives byte-exact', async (t) => {
  // The sender's datagram buffers are handed back for reuse once the socket has sent them synchronously
  // (udp-endpoint.ts send); a buffer reused while the kernel or a queue still needed it would corrupt data.
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  t.after(() => server.close({ graceMs: 0 }));
  const received: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    server.on('connection', (conn) => conn.on('stream', (s: QuicStream) => {
      s.on('data', (d: Buffer) => received.push(Buffer.from(d)));
      s.on('end', () => resolve());
    }));
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close());
  const conn = await client.connect({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')], serverName: 'localhost' });
  const stream = await conn.openStream();
  const payload = randomBytes(2_000_000);
  for (let at = 0; at < payload.length; at += 100_000) stream.write(payload.subarray(at, at + 100_000));
  stream.end();
  await done;
  const core = conn.connection;
  assert.ok(core instanceof QuicConnection);
  assert.ok(core.pathMtu > 1200, `the path grew (${core.pathMtu} bytes)`);
  assert.ok(Buffer.concat(received).equals(payload), 'every byte arrived in order');
});
