// The engine in 'tls' mode over TCP on 127.0.0.1 (test record layer) against OpenSSL through Node's
// tls module: our client vs tls.createServer, and tls.connect vs our server.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Alert } from '../../../src/quic/tls/alerts.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { TlsServer } from '../../../src/quic/tls/server.js';
import type { CipherSuiteName, NamedGroupName } from '../../../src/quic/tls/constants.js';
import { TicketKeyring } from '../../../src/quic/tls/tickets.js';
import type { TlsClientOptions, TlsServerOptions } from '../../../src/quic/tls/types.js';
import { pem, type ServerCert } from './fixtures.js';
import { RecordLayerError, TlsRecordConnection } from './record-layer.js';

const TIMEOUT = { timeout: 15_000 };
const SUITES: CipherSuiteName[] = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
const CERTS: ServerCert[] = ['server-rsa', 'server-ecdsa', 'server-p384', 'server-ed25519'];
const payload = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));

/** A Node TLS 1.3 echo server on 127.0.0.1:0, closed (with its sockets) when the test ends. */
async function nodeServer(t: TestContext, opts: tls.TlsOptions, cert: ServerCert = 'server-ecdsa'): Promise<{ port: number; sockets: tls.TLSSocket[] }> {
  const sockets: tls.TLSSocket[] = [];
  const server = tls.createServer({ key: pem(`${cert}-key.pem`), cert: pem(`${cert}-chain.pem`), minVersion: 'TLSv1.3', ...opts }, (s) => {
    s.on('data', (d) => s.write(d));
  });
  server.on('secureConnection', (s) => sockets.push(s));
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, sockets };
}

async function ourClient(t: TestContext, port: number, opts: Partial<TlsClientOptions> = {}): Promise<TlsRecordConnection> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const conn = new TlsRecordConnection(socket, new TlsClient({ mode: 'tls', serverName: 'localhost', ca: [pem('ca.pem')], ...opts }));
  t.after(() => conn.close());
  conn.start();
  return conn;
}

async function echoRoundTrip(conn: TlsRecordConnection, size: number): Promise<void> {
  const data = payload(size);
  conn.writeApplicationData(data);
  assert.deepEqual(await conn.readApplicationData(size), data);
}

async function rejection(p: Promise<unknown>): Promise<RecordLayerError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RecordLayerError, String(e));
    return e;
  }
  assert.fail('expected the handshake to fail');
}

for (const suite of SUITES) {
  test(`our client vs Node server: ${suite}, 40 kB echoed`, TIMEOUT, async (t) => {
    const { port } = await nodeServer(t, { ciphers: suite });
    const conn = await ourClient(t, port);
    assert.equal((await conn.handshake).cipherSuite, suite);
    assert.ok(conn.ignoredChangeCipherSpecs >= 1, 'OpenSSL sent a compatibility change_cipher_spec and it was ignored');
    await echoRoundTrip(conn, 40_000);
  });
}

for (const group of ['x25519', 'secp256r1'] as NamedGroupName[]) {
  test(`our client vs Node server: group ${group}`, TIMEOUT, async (t) => {
    const { port } = await nodeServer(t, { ecdhCurve: 'X25519:P-256' });
    const conn = await ourClient(t, port, { groups: [group] });
    await conn.handshake;
    assert.deepEqual(conn.sentLevels.slice(0, 1), ['initial']);
    assert.equal(conn.sentLevels.filter((l) => l === 'initial').length, 1, 'no HelloRetryRequest');
    await echoRoundTrip(conn, 100);
  });
}

for (const cert of CERTS) {
  test(`our client vs Node server: ${cert} certificate`, TIMEOUT, async (t) => {
    const { port } = await nodeServer(t, {}, cert);
    const conn = await ourClient(t, port);
    assert.equal((await conn.handshake).peerCertificates.length, 2);
    await echoRoundTrip(conn, 10);
  });
}

test('our client vs Node server: HelloRetryRequest (P-256 share, server only X25519)', TIMEOUT, async (t) => {
  const { port } = await nodeServer(t, { ecdhCurve: 'X25519' });
  const conn = await ourClient(t, port, { groups: ['secp256r1', 'x25519'] });
  await conn.handshake;
  assert.equal(conn.sentLevels.filter((l) => l === 'initial').length, 2, 'a second ClientHello was sent');
  await echoRoundTrip(conn, 10);
});

test('our client vs Node server: bad certificates give distinct alerts', TIMEOUT, async (t) => {
  const cases: Array<[ServerCert, number]> = [
    ['othercaserver', Alert.unknown_ca],
    ['expired', Alert.certificate_expired],
    ['wronghost', Alert.bad_certificate],
  ];
  for (const [cert, alert] of cases) {
    const { port } = await nodeServer(t, {}, cert);
    const err = await rejection((await ourClient(t, port)).handshake);
    assert.equal(err.alert, alert, `${cert}: ${err.message}`);
    assert.equal(err.fromPeer, false);
  }
});

test('our client vs Node server: ALPN negotiated, optional in tls mode, mismatch refused by the server', TIMEOUT, async (t) => {
  const { port } = await nodeServer(t, { ALPNProtocols: ['mqtt'] });
  assert.equal((await (await ourClient(t, port, { alpn: ['h3', 'mqtt'] })).handshake).alpn, 'mqtt');
  assert.equal((await (await ourClient(t, port, { alpn: [] })).handshake).alpn, undefined);
  const err = await rejection((await ourClient(t, port, { alpn: ['h3'] })).handshake);
  assert.equal(err.alert, Alert.no_application_protocol);
  assert.equal(err.fromPeer, true);
});

test('our client vs Node server: mutual TLS', TIMEOUT, async (t) => {
  const { port, sockets } = await nodeServer(t, { requestCert: true, rejectUnauthorized: true, ca: pem('ca.pem') });
  const conn = await ourClient(t, port, { certificateChain: pem('client-chain.pem'), privateKey: pem('client-key.pem') });
  await conn.handshake;
  await echoRoundTrip(conn, 10);
  assert.equal(sockets[0]!.authorized, true);
  assert.equal(sockets[0]!.getPeerCertificate().subject.CN, 'client');
});

test('our client resumes with Node server tickets (PSK with ECDHE)', TIMEOUT, async (t) => {
  const { port } = await nodeServer(t, {});
  const first = await ourClient(t, port);
  assert.equal((await first.handshake).resumed, false);
  await first.waitForTickets(1);
  const second = await ourClient(t, port, { session: first.tickets[0] });
  const info = await second.handshake;
  assert.equal(info.resumed, true);
  await echoRoundTrip(second, 1000);
});

// ---- Node client vs our server ----

async function ourServer(t: TestContext, opts: Partial<TlsServerOptions> = {}, cert: ServerCert = 'server-ecdsa'): Promise<{ port: number; connections: TlsRecordConnection[] }> {
  const connections: TlsRecordConnection[] = [];
  const base: TlsServerOptions = { mode: 'tls', certificateChain: pem(`${cert}-chain.pem`), privateKey: pem(`${cert}-key.pem`), ...opts };
  const server = net.createServer((socket) => {
    const conn = new TlsRecordConnection(socket, new TlsServer(base));
    conn.onApplicationData = (d) => conn.writeApplicationData(d);
    connections.push(conn);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const c of connections) c.close();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, connections };
}

async function nodeClient(t: TestContext, port: number, opts: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem('ca.pem'), minVersion: 'TLSv1.3', ...opts });
  t.after(() => socket.destroy());
  await once(socket, 'secureConnect');
  return socket;
}

async function nodeEcho(socket: tls.TLSSocket, size: number): Promise<void> {
  const data = payload(size);
  const chunks: Buffer[] = [];
  let got = 0;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= size) resolve();
    });
    socket.on('error', reject);
  });
  socket.write(data);
  await done;
  assert.deepEqual(Buffer.concat(chunks), data);
}

for (const suite of SUITES) {
  test(`Node client vs our server: ${suite}, 40 kB echoed`, TIMEOUT, async (t) => {
    const { port, connections } = await ourServer(t);
    const socket = await nodeClient(t, port, { ciphers: suite });
    assert.equal(socket.getCipher().standardName, suite);
    assert.equal(socket.authorized, true);
    await nodeEcho(socket, 40_000);
    assert.equal((await connections[0]!.handshake).cipherSuite, suite);
  });
}

for (const [curve, name] of [['X25519', 'X25519'], ['P-256', 'prime256v1']] as const) {
  test(`Node client vs our server: group ${curve}`, TIMEOUT, async (t) => {
    const { port } = await ourServer(t);
    const socket = await nodeClient(t, port, { ecdhCurve: curve });
    assert.equal((socket.getEphemeralKeyInfo() as tls.EphemeralKeyInfo).name, name);
    await nodeEcho(socket, 10);
  });
}

for (const cert of CERTS) {
  test(`Node client vs our server: ${cert} certificate`, TIMEOUT, async (t) => {
    const { port } = await ourServer(t, {}, cert);
    const socket = await nodeClient(t, port);
    assert.equal(socket.authorized, true);
    await nodeEcho(socket, 10);
  });
}

test('Node client vs our server: HelloRetryRequest (Node sends P-256 first, we only take X25519)', TIMEOUT, async (t) => {
  const { port, connections } = await ourServer(t, { groups: ['x25519'] });
  const socket = await nodeClient(t, port, { ecdhCurve: 'P-256:X25519' });
  assert.equal((socket.getEphemeralKeyInfo() as tls.EphemeralKeyInfo).name, 'X25519');
  await nodeEcho(socket, 10);
  assert.deepEqual(connections[0]!.sentLevels.slice(0, 2), ['initial', 'initial'], 'HRR then ServerHello');
});

test('Node client vs our server: ALPN, and no common protocol gives no_application_protocol', TIMEOUT, async (t) => {
  const { port, connections } = await ourServer(t, { alpn: ['mqtt'] });
  const socket = await nodeClient(t, port, { ALPNProtocols: ['h3', 'mqtt'] });
  assert.equal(socket.alpnProtocol, 'mqtt');
  const bad = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem('ca.pem'), ALPNProtocols: ['h3'] });
  t.after(() => bad.destroy());
  const [err] = (await once(bad, 'error')) as [Error];
  assert.match(err.message, /no application protocol|alert number 120/i);
  const e = await rejection(connections[1]!.handshake);
  assert.equal(e.alert, Alert.no_application_protocol);
});

test('Node client vs our server: mutual TLS, and a missing client certificate is certificate_required', TIMEOUT, async (t) => {
  const { port, connections } = await ourServer(t, { requestClientCertificate: true, requireClientCertificate: true, ca: [pem('ca.pem')] });
  const socket = await nodeClient(t, port, { cert: pem('client-chain.pem'), key: pem('client-key.pem') });
  await nodeEcho(socket, 10);
  const info = await connections[0]!.handshake;
  assert.equal(info.peerCertificates.length >= 1, true);
  const anon = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem('ca.pem') });
  t.after(() => anon.destroy());
  anon.on('error', () => undefined);
  const e = await rejection((await waitFor(() => connections[1])).handshake);
  assert.equal(e.alert, Alert.certificate_required);
});

async function waitFor<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out waiting');
}

test('Node client resumes with our tickets; exporter values agree with OpenSSL', TIMEOUT, async (t) => {
  const { port, connections } = await ourServer(t, { ticketKeyring: new TicketKeyring(), sessionTickets: 2 });
  const first = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem('ca.pem'), minVersion: 'TLSv1.3' });
  t.after(() => first.destroy());
  const [session] = (await once(first, 'session')) as [Buffer];
  assert.equal(first.isSessionReused(), false);
  const context = Buffer.from('quicmq');
  const ours = (connections[0]!.engine as TlsServer).exportKeyingMaterial('EXPERIMENTAL quicmq', context, 32);
  assert.deepEqual(first.exportKeyingMaterial(32, 'EXPERIMENTAL quicmq', context), ours);
  const second = await nodeClient(t, port, { session });
  assert.equal(second.isSessionReused(), true);
  assert.equal((await connections[1]!.handshake).resumed, true);
  await nodeEcho(second, 100);
});
