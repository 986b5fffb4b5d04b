// Our client and our server over real UDP on 127.0.0.1: handshake, echo on several streams, FIN,
// resets, close propagation, limits and Retry with a real connection behind the endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { QuicServer, type QuicServerOptions } from '../../../src/quic/endpoint/server.js';
import { QuicClient, connectQuic, type QuicConnectOptions } from '../../../src/quic/endpoint/client.js';
import type { QuicConnectionHandle } from '../../../src/quic/endpoint/connection-handle.js';
import type { QuicStream } from '../../../src/quic/endpoint/quic-stream.js';
import { QuicConnectionClosedError, QuicStreamResetError } from '../../../src/quic/endpoint/errors.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { certPath } from '../../helpers/certs.js';
import { UdpRelay } from '../../helpers/udp-relay.js';
import type { SessionTicket } from '../../../src/quic/tls/types.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');

async function echoServer(t: { after: (fn: () => unknown) => void }, extra: Partial<QuicServerOptions> = {}): Promise<{ server: QuicServer; port: number; connections: QuicConnectionHandle[] }> {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], ...extra });
  const connections: QuicConnectionHandle[] = [];
  server.on('connection', (conn) => {
    connections.push(conn);
    conn.on('stream', (s: QuicStream) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 100 }));
  return { server, port, connections };
}

const clientOptions = (port: number, extra: Partial<QuicConnectOptions> = {}): QuicConnectOptions => ({
  host: '127.0.0.1',
  port,
  alpn: ['mqtt'],
  ca: [pem('ca.pem')],
  ...extra,
});

async function readAll(s: QuicStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('our client and server: handshake with ALPN mqtt, then byte-exact echo on 3 concurrent streams', async (t) => {
  const { port, connections } = await echoServer(t);
  const conn = await connectQuic(clientOptions(port));
  t.after(() => conn.close());
  assert.equal(conn.handshake?.alpn, 'mqtt');
  const payloads = [randomBytes(1), randomBytes(70_000), randomBytes(300_000)];
  const results = await Promise.all(
    payloads.map(async (p) => {
      const s = await conn.openStream();
      s.end(p);
      return readAll(s);
    }),
  );
  for (let i = 0; i < payloads.length; i++) assert.ok(results[i]!.equals(payloads[i]!), `stream ${i}: ${results[i]!.length} bytes, want ${payloads[i]!.length}`);
  assert.equal(connections.length, 1);
  assert.equal(connections[0]!.handshake?.alpn, 'mqtt');
});

test('closing the connection reaches the peer: both sides see the close, open streams are cut short', async (t) => {
  const { port, connections } = await echoServer(t);
  const conn = await connectQuic(clientOptions(port));
  const stream = await conn.openStream();
  const streamError = once(stream, 'error');
  stream.write('hello');
  await once(stream, 'data');
  const serverSide = await waitFor(() => connections[0]);
  conn.close(0x42, 'bye');
  const info = await serverSide.closed;
  assert.deepEqual({ remote: info.remote, application: info.application, code: info.code, reason: info.reason }, { remote: true, application: true, code: 0x42, reason: 'bye' });
  const mine = await conn.closed;
  assert.equal(mine.remote, false);
  const [err] = (await streamError) as [QuicConnectionClosedError];
  assert.ok(err instanceof QuicConnectionClosedError);
  assert.equal(err.close.code, 0x42);
});

test('a stream reset by the peer errors the local stream with the application code', async (t) => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  server.on('connection', (c) =>
    c.on('stream', (s) => {
      s.once('data', () => s.destroy(Object.assign(new Error('go away'), { applicationErrorCode: 7 })));
      s.on('error', () => undefined);
    }),
  );
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 50 }));
  const conn = await connectQuic(clientOptions(port));
  t.after(() => conn.close());
  const s = await conn.openStream();
  s.write('x');
  const [err] = (await once(s, 'error')) as [QuicStreamResetError];
  assert.ok(err instanceof QuicStreamResetError, String(err));
  assert.equal(err.applicationErrorCode, 7);
});

test('server close: clients see the application close, and listen() can bind again elsewhere', async (t) => {
  const { server, port } = await echoServer(t);
  const conn = await connectQuic(clientOptions(port));
  const s = await conn.openStream();
  s.on('error', () => undefined);
  s.write('ping');
  await once(s, 'data');
  await server.close({ code: 3, reason: 'maintenance', graceMs: 200 });
  const info = await conn.closed;
  assert.equal(info.remote, true);
  assert.equal(info.code, 3);
  assert.equal(s.destroyed, true);
});

test('handshake failure rejects connect: a certificate for another host, and one from another CA', async (t) => {
  for (const name of ['wronghost', 'othercaserver']) {
    const { port, connections } = await echoServer(t, { cert: pem(`${name}-chain.pem`), key: pem(`${name}-key.pem`) });
    await assert.rejects(connectQuic(clientOptions(port, { serverName: 'localhost', handshakeTimeoutMs: 3000 })), (e: unknown) => {
      assert.ok(e instanceof QuicConnectionClosedError, String(e));
      assert.ok(e.close.code >= 0x100 && e.close.code <= 0x1ff, `CRYPTO_ERROR expected, got 0x${e.close.code.toString(16)}`);
      return true;
    });
    assert.equal(connections.length, 0, 'a failed handshake is never handed to the application');
  }
});

test('ALPN mismatch: the handshake fails with CRYPTO_ERROR no_application_protocol', async (t) => {
  const { port } = await echoServer(t);
  await assert.rejects(connectQuic(clientOptions(port, { alpn: ['h3'], handshakeTimeoutMs: 3000 })), (e: unknown) => {
    assert.ok(e instanceof QuicConnectionClosedError);
    assert.equal(e.close.code, 0x100 + 120);
    return true;
  });
});

test('Retry with a real connection: the handshake completes through address validation', async (t) => {
  const { server, port } = await echoServer(t, { retry: true });
  const conn = await connectQuic(clientOptions(port));
  t.after(() => conn.close());
  const s = await conn.openStream();
  s.end('after retry');
  assert.equal((await readAll(s)).toString(), 'after retry');
  assert.equal(server.udpEndpoint?.core.stats.retriesSent, 1);
});

test('max_connections 1: a second client is refused with CONNECTION_REFUSED', async (t) => {
  const { port } = await echoServer(t, { maxConnections: 1 });
  const first = await connectQuic(clientOptions(port));
  t.after(() => first.close());
  await assert.rejects(connectQuic(clientOptions(port, { handshakeTimeoutMs: 3000 })), (e: unknown) => {
    assert.ok(e instanceof QuicConnectionClosedError, String(e));
    assert.equal(e.close.code, TransportErrorCode.CONNECTION_REFUSED);
    assert.equal(e.close.remote, true);
    return true;
  });
});

test('one QuicClient socket carries two connections to two servers', async (t) => {
  const a = await echoServer(t);
  const b = await echoServer(t);
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close({ graceMs: 50 }));
  const [ca, cb] = await Promise.all([client.connect(clientOptions(a.port)), client.connect(clientOptions(b.port))]);
  for (const [conn, text] of [[ca, 'to a'], [cb, 'to b']] as const) {
    const s = await conn.openStream();
    s.end(text);
    assert.equal((await readAll(s)).toString(), text);
  }
  assert.equal(client.endpoint.core.connectionCount, 2);
});

async function waitFor<T>(get: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('session resumption: a ticket from the first connection resumes the second (RFC 8446 §2.2)', async (t) => {
  const { port } = await echoServer(t);
  const tickets: SessionTicket[] = [];
  const first = await connectQuic(clientOptions(port, { onSessionTicket: (ticket) => tickets.push(ticket) }));
  const s = await first.openStream();
  s.end('x');
  await readAll(s);
  for (let i = 0; i < 100 && tickets.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  first.close();
  assert.ok(tickets.length > 0, 'a NewSessionTicket arrived');
  const second = await connectQuic(clientOptions(port, { sessionTicket: tickets[0]! }));
  t.after(() => second.close());
  assert.equal(second.handshake?.resumed, true);
  assert.equal(first.handshake?.resumed, false);
});

test('IPv6: a server on [::1] and a client connecting to ::1', async (t) => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  const remotes: string[] = [];
  server.on('connection', (c) => {
    remotes.push(c.remoteAddress);
    c.on('stream', (s: QuicStream) => s.pipe(s));
  });
  const { port, family } = await server.listen(0, '::1');
  t.after(() => server.close({ graceMs: 50 }));
  assert.equal(family, 'IPv6');
  const conn = await connectQuic(clientOptions(port, { host: '::1', serverName: 'localhost' }));
  t.after(() => conn.close());
  const s = await conn.openStream();
  s.end('v6');
  assert.equal((await readAll(s)).toString(), 'v6');
  assert.match(remotes[0]!, /^\[::1\]:\d+$/);
});

test('TLS key logging: the keylog option and SSLKEYLOGFILE both receive NSS key log lines', async (t) => {
  const { port } = await echoServer(t);
  const lines: string[] = [];
  const conn = await connectQuic('127.0.0.1', port, { alpn: ['mqtt'], ca: [pem('ca.pem')], keylog: (l) => lines.push(l) });
  conn.close();
  assert.ok(lines.some((l) => l.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET ')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 ')));
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-keylog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'keys.log');
  const saved = process.env['SSLKEYLOGFILE'];
  process.env['SSLKEYLOGFILE'] = file;
  try {
    const viaEnv = await connectQuic(clientOptions(port));
    viaEnv.close();
  } finally {
    if (saved === undefined) delete process.env['SSLKEYLOGFILE'];
    else process.env['SSLKEYLOGFILE'] = saved;
  }
  assert.match(readFileSync(file, 'utf8'), /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m);
});

test('NAT rebinding: the server follows the client to its new port (path-migrated), streams keep flowing', async (t) => {
  const { port, connections } = await echoServer(t);
  const relay = await UdpRelay.start({ host: '127.0.0.1', port });
  t.after(() => relay.close());
  const conn = await connectQuic(clientOptions(relay.port));
  t.after(() => conn.close());
  const s = await conn.openStream();
  s.write('before');
  await once(s, 'data');
  const server = await waitFor(() => connections[0]);
  const before = server.remoteAddress;
  const migrated = once(server, 'path-migrated');
  await relay.rebind();
  s.write('after');
  const [data] = (await once(s, 'data')) as [Buffer];
  assert.equal(data.toString(), 'after');
  const [, to] = (await migrated) as [unknown, { remote: string }];
  assert.notEqual(to.remote, before);
  assert.equal(server.remoteAddress, to.remote, 'the endpoint routes and indexes by the new address');
});

test('eight connections from one client socket to one server are told apart by connection ID alone', async (t) => {
  const { server, port, connections } = await echoServer(t);
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close({ graceMs: 50 }));
  const conns = await Promise.all(Array.from({ length: 8 }, () => client.connect(clientOptions(port))));
  const echoes = await Promise.all(
    conns.map(async (c, i) => {
      const s = await c.openStream();
      s.end(`connection ${i}`);
      return (await readAll(s)).toString();
    }),
  );
  assert.deepEqual(echoes, conns.map((_, i) => `connection ${i}`));
  assert.equal(new Set(connections.map((c) => c.remoteAddress)).size, 1, 'all from the same address and port');
  assert.equal(server.udpEndpoint?.core.connectionCount, 8);
});

test('0-RTT: with a ticket allowing early data, a stream opened before the handshake is accepted as early data', async (t) => {
  const { port, connections } = await echoServer(t, { enableEarlyData: true });
  const tickets: SessionTicket[] = [];
  const first = await connectQuic(clientOptions(port, { onSessionTicket: (ticket) => tickets.push(ticket) }));
  const s1 = await first.openStream();
  s1.end('x');
  await readAll(s1);
  await waitFor(() => tickets[0]);
  first.close();
  const second = await connectQuic(clientOptions(port, { sessionTicket: tickets[0]!, enableEarlyData: true, waitForHandshake: false }));
  t.after(() => second.close());
  const s2 = await second.openStream({ early: true });
  const handshakeAtOpen = second.handshake;
  assert.equal(handshakeAtOpen, undefined, 'the stream exists before the handshake completes');
  s2.end('early data');
  assert.equal((await readAll(s2)).toString(), 'early data');
  assert.equal(second.handshake?.earlyData, 'accepted');
  assert.equal(second.handshake?.resumed, true);
  // The server may have echoed (0.5-RTT data) before its own handshake completed: wait for it.
  assert.equal((await connections[1]!.ready).earlyData, 'accepted');
});

test('0-RTT on the server: with enableEarlyData the connection is emitted at once and early stream data is read before the handshake completes', async (t) => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], enableEarlyData: true });
  const seen: Array<{ handshakeAtEmit: boolean; handshakeAtData?: boolean }> = [];
  server.on('connection', (c) => {
    const record: { handshakeAtEmit: boolean; handshakeAtData?: boolean } = { handshakeAtEmit: c.handshake !== undefined };
    seen.push(record);
    c.on('stream', (s: QuicStream) => {
      s.once('data', () => (record.handshakeAtData = c.handshake !== undefined));
      s.pipe(s);
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 50 }));
  const tickets: SessionTicket[] = [];
  const first = await connectQuic(clientOptions(port, { onSessionTicket: (ticket) => tickets.push(ticket) }));
  await waitFor(() => tickets[0]);
  first.close();
  const second = await connectQuic(clientOptions(port, { sessionTicket: tickets[0]!, enableEarlyData: true, waitForHandshake: false }));
  t.after(() => second.close());
  const s = await second.openStream({ early: true });
  s.end('in the first flight');
  assert.equal((await readAll(s)).toString(), 'in the first flight');
  assert.equal(second.handshake?.earlyData, 'accepted');
  assert.deepEqual(seen[1], { handshakeAtEmit: false, handshakeAtData: false }, 'RFC 9001 §4.6.1: 0-RTT data is usable before the handshake completes');
});

test('early open without a ticket simply waits for the handshake', async (t) => {
  const { port } = await echoServer(t);
  const conn = await connectQuic(clientOptions(port, { waitForHandshake: false }));
  t.after(() => conn.close());
  const s = await conn.openStream({ early: true });
  s.end('later');
  assert.equal((await readAll(s)).toString(), 'later');
  assert.equal(conn.handshake?.earlyData, 'none');
});

test('stateless reset end to end: a server restarted with the same reset key resets the client it forgot (RFC 9000 §10.3)', async (t) => {
  const statelessResetKey = new Uint8Array(32).fill(0x33);
  const first = await echoServer(t, { endpoint: { statelessResetKey } });
  const conn = await connectQuic(clientOptions(first.port, { idleTimeoutMs: 30_000 }));
  const s = await conn.openStream();
  s.on('error', () => undefined);
  s.write('hello');
  await once(s, 'data');
  first.server.udpEndpoint!.abort();
  // A new process on the same port with the same key: it has no state for the client's connection.
  const second = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], endpoint: { statelessResetKey } });
  await second.listen(first.port, '127.0.0.1');
  t.after(() => second.close({ graceMs: 50 }));
  s.write('anyone there?');
  const info = await conn.closed;
  assert.equal(info.cause, 'stateless-reset');
  assert.equal(info.remote, true);
  assert.ok((second.udpEndpoint?.core.stats.statelessResetsSent ?? 0) >= 1);
});

test('connectQuic closes its socket with the connection: closed without a closing period, the server sees the close', async (t) => {
  const { connections, port } = await echoServer(t);
  const conn = await connectQuic(clientOptions(port));
  const s = await conn.openStream();
  s.end('x');
  await readAll(s);
  let closedInfo: { code: number; reason: string; remote: boolean } | undefined;
  void conn.closed.then((info) => (closedInfo = { code: info.code, reason: info.reason, remote: info.remote }));
  const serverSide = connections[0]!;
  conn.close(0x42, 'done');
  // The CONNECTION_CLOSE leaves in the drive this close() schedules; the closing period (three PTOs,
  // RFC 9000 §10.2) would need a timer, and timers run after this turn's immediates.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(closedInfo, { code: 0x42, reason: 'done', remote: false }, 'closed at once, with our code');
  const info = await serverSide.closed;
  assert.equal(info.code, 0x42, 'the CONNECTION_CLOSE reached the server');
  assert.equal(info.remote, true);
});

test('a QuicClient endpoint keeps its closing period (several connections share the socket)', async (t) => {
  const { port } = await echoServer(t);
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close({ graceMs: 0 }));
  const conn = await client.connect(clientOptions(port));
  let closed = false;
  void conn.closed.then(() => (closed = true));
  conn.close(0x42, 'done');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, false, 'still closing: lost CONNECTION_CLOSEs can be repeated');
  await conn.closed;
});

test('closing from the handshake event still completes the server\'s handshake: the Finished leaves before the CONNECTION_CLOSE', async (t) => {
  const { server, port } = await echoServer(t);
  const accepted = once(server, 'connection') as Promise<[QuicConnectionHandle]>;
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close({ graceMs: 0 }));
  // 'handshake' is emitted while the endpoint hands out the connection's events, before it polls the
  // connection for the datagram that carries the client's Finished.
  const conn = await client.connect({ ...clientOptions(port), waitForHandshake: false });
  conn.once('handshake', () => conn.close(0x42, 'just checking'));
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the server never completed the handshake')), 5_000)));
  const [serverSide] = await Promise.race([accepted, giveUp]).finally(() => clearTimeout(timer));
  const info = await serverSide.closed;
  assert.equal(info.code, 0x42);
  assert.equal(info.reason, 'just checking');
  assert.equal(info.remote, true);
});

test('spinBit: false turns the latency spin bit off for every server connection (RFC 9000 §17.4 administrator switch)', async (t) => {
  const spinOn = (conn: QuicConnectionHandle): boolean =>
    (conn.connection as unknown as { paths: { current: { spin: { enabled: boolean } } } }).paths.current.spin.enabled;
  const client = await QuicClient.create({ host: '127.0.0.1' });
  t.after(() => client.close({ graceMs: 0 }));
  for (const spinBit of [undefined, false]) {
    const { port, connections } = await echoServer(t, spinBit === undefined ? {} : { spinBit });
    // Ten connections: with the bit allowed, each path has it off with probability 1/16 only.
    for (let i = 0; i < 10; i++) await client.connect(clientOptions(port));
    for (let i = 0; i < 100 && connections.length < 10; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(connections.length, 10);
    const on = connections.filter(spinOn).length;
    if (spinBit === false) assert.equal(on, 0);
    else assert.ok(on >= 1, 'allowed by default');
  }
});

test('DPLPMTUD over real UDP through a 1400-byte path: the search settles at or below it and data flows', async (t) => {
  const { port } = await echoServer(t);
  const relay = await UdpRelay.start({ host: '127.0.0.1', port }, { toServer: { mtu: 1400 }, toClient: { mtu: 1400 } });
  t.after(() => relay.close());
  const conn = await connectQuic(clientOptions(relay.port));
  t.after(() => conn.close());
  const s = await conn.openStream();
  const data = randomBytes(300_000);
  const echoed = readAll(s);
  s.end(data);
  assert.ok((await echoed).equals(data), 'byte-exact echo');
  // The search goes on beside the data: each size above the path needs its probes declared lost
  // (RFC 8899 §5.1.2 MAX_PROBES), so keep a little traffic going until it settles.
  const keepAlive = await conn.openStream();
  keepAlive.on('data', () => undefined);
  for (let i = 0; i < 300 && conn.stats().pathMtu <= 1200; i++) {
    keepAlive.write(Buffer.alloc(100));
    await new Promise((r) => setTimeout(r, 10));
  }
  const stats = conn.stats();
  assert.ok(stats.pathMtu > 1200 && stats.pathMtu <= 1400, `path MTU ${stats.pathMtu}`);
  assert.ok(relay.stats.tooLarge > 0, 'probes above the path MTU were sent and dropped');
});
