// The server's socket under hostile or stray traffic, over real UDP: garbage never stops it, stateless
// answers go back to the sender (Version Negotiation, Stateless Reset) within their limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { QuicServer } from '../../../src/quic/endpoint/server.js';
import { QuicEndpointError } from '../../../src/quic/endpoint/errors.js';
import { connectQuic } from '../../../src/quic/endpoint/client.js';
import { parsePacket, QUIC_VERSION_1 } from '../../../src/quic/wire/header.js';
import { certPath } from '../../helpers/certs.js';
import { initialDatagram, seededRandom, shortDatagram } from './stub-connection.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');

async function rawSocket(t: { after: (fn: () => unknown) => void }): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, received };
}

async function startServer(t: { after: (fn: () => unknown) => void }, endpoint = {}) {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], endpoint });
  server.on('connection', (c) => c.on('stream', (s) => s.pipe(s)));
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 50 }));
  return { server, port };
}

async function settle(received: Buffer[], count: number, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (received.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

test('garbage datagrams of every size are dropped or answered statelessly; the server keeps serving', async (t) => {
  const { server, port } = await startServer(t, { statelessResetBurst: 5, statelessResetsPerSecond: 1 });
  const { socket, received } = await rawSocket(t);
  const rnd = seededRandom(11);
  for (let i = 0; i < 300; i++) socket.send(rnd(1 + ((i * 37) % 1400)), port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 300));
  const stats = server.udpEndpoint!.core.stats;
  assert.ok(stats.datagramsReceived > 0);
  assert.ok(stats.statelessResetsSent <= 6, `resets are rate limited: ${stats.statelessResetsSent}`);
  assert.equal(server.udpEndpoint!.core.connectionCount, 0);
  // Still serving.
  const conn = await connectQuic({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')] });
  const s = await conn.openStream();
  s.end('alive');
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'alive');
  conn.close();
  assert.ok(received.length <= 300);
});

test('an unsupported version over UDP gets Version Negotiation back to the sender', async (t) => {
  const { port } = await startServer(t);
  const { socket, received } = await rawSocket(t);
  const dcid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const scid = Uint8Array.of(9, 9, 9, 9);
  socket.send(initialDatagram({ dcid, scid, version: 0x5a5a5a5a }), port, '127.0.0.1');
  await settle(received, 1);
  assert.equal(received.length, 1);
  const vn = parsePacket(received[0]!, 0, 8);
  assert.equal(vn.type, 'version_negotiation');
  assert.ok(vn.type === 'version_negotiation' && vn.supportedVersions.includes(QUIC_VERSION_1));
});

test('a short header for no connection gets a Stateless Reset smaller than itself', async (t) => {
  const { port } = await startServer(t);
  const { socket, received } = await rawSocket(t);
  socket.send(shortDatagram(Uint8Array.of(7, 7, 7, 7, 7, 7, 7, 7), 100), port, '127.0.0.1');
  await settle(received, 1);
  assert.equal(received.length, 1);
  assert.ok(received[0]!.length < 100 && received[0]!.length >= 41);
  assert.equal(received[0]![0]! & 0xc0, 0x40);
});

test('a port already in use fails listen() with ERR_QUIC_SOCKET and the address in the message', async (t) => {
  const { port } = await startServer(t);
  const second = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  await assert.rejects(second.listen(port, '127.0.0.1'), (e: unknown) => {
    assert.ok(e instanceof QuicEndpointError);
    assert.equal(e.code, 'ERR_QUIC_SOCKET');
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    return true;
  });
  await second.close();
});

test('bad server options fail at construction: no ALPN, an unreadable certificate', () => {
  assert.throws(() => new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: [] }), (e: unknown) => e instanceof QuicEndpointError && e.code === 'ERR_QUIC_ENDPOINT_OPTIONS');
  assert.throws(() => new QuicServer({ cert: 'not a certificate', key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] }));
});
