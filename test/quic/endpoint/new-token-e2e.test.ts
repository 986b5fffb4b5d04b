// NEW_TOKEN end to end over real UDP on loopback (RFC 9000 §8.1.3): a server that validates addresses
// with Retry sends each client a NEW_TOKEN token after the handshake; a later connection presenting it
// from the same IP is accepted without a Retry, one presenting it from another IP is sent a Retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { QuicServer, type QuicServerOptions } from '../../../src/quic/endpoint/server.js';
import { QuicClient, connectQuic, type QuicConnectOptions } from '../../../src/quic/endpoint/client.js';
import { certPath } from '../../helpers/certs.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');

async function retryServer(t: { after: (fn: () => unknown) => void }, extra: Partial<QuicServerOptions> = {}): Promise<{ server: QuicServer; port: number }> {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], retry: true, ...extra });
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 100 }));
  return { server, port };
}

const clientOptions = (port: number, extra: Partial<QuicConnectOptions> = {}): QuicConnectOptions => ({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')], ...extra });

const retriesSent = (server: QuicServer): number => server.udpEndpoint!.core.stats.retriesSent;

/** Connects without a token and returns the first NEW_TOKEN token the server sends (§8.1.3). */
async function connectForToken(port: number): Promise<Uint8Array> {
  // onNewToken is attached before the handshake: the token may arrive before connectQuic resolves.
  let deliver: (token: Uint8Array) => void = () => undefined;
  const received = new Promise<Uint8Array>((resolve) => (deliver = resolve));
  const conn = await connectQuic(clientOptions(port, { onNewToken: (token) => deliver(token) }));
  try {
    const closed = new Promise<never>((_, reject) => conn.once('close', () => reject(new Error('connection closed before a NEW_TOKEN arrived'))));
    return await Promise.race([received, closed]);
  } finally {
    conn.close();
  }
}

test('a client that reconnects with its NEW_TOKEN token is not sent a Retry; one without a token is', { timeout: 15_000 }, async (t) => {
  const { server, port } = await retryServer(t);
  // First connection: no token, so the server validates the address with a Retry (§8.1.2).
  const token = await connectForToken(port);
  assert.equal(retriesSent(server), 1);
  assert.ok(token.length > 0);

  // Second connection from the same IP (a new port) with the token: accepted at once (§8.1.3).
  const second = await connectQuic(clientOptions(port, { token }));
  t.after(() => second.close());
  assert.equal(second.handshake?.alpn, 'mqtt');
  assert.equal(retriesSent(server), 1);

  // Third connection without a token: Retry again.
  const third = await connectQuic(clientOptions(port));
  t.after(() => third.close());
  assert.equal(retriesSent(server), 2);
});

test('a NEW_TOKEN token presented from another IP is ignored: the client is sent a Retry and still connects', { timeout: 15_000 }, async (t) => {
  const { server, port } = await retryServer(t);
  const token = await connectForToken(port);
  assert.equal(retriesSent(server), 1);
  // 127.0.0.2 is loopback too on Linux, but it is another client address to the server.
  const other = await QuicClient.create({ host: '127.0.0.2' });
  t.after(() => other.close({ graceMs: 50 }));
  const conn = await other.connect(clientOptions(port, { token }));
  assert.equal(conn.handshake?.alpn, 'mqtt');
  // RFC 9000 §8.1.3: a token that does not validate is ignored (no INVALID_TOKEN close), so: a Retry.
  assert.equal(retriesSent(server), 2);
});

test('sendNewTokens: false sends no NEW_TOKEN, so every connection is validated by a Retry', { timeout: 15_000 }, async (t) => {
  const { server, port } = await retryServer(t, { sendNewTokens: false });
  server.on('connection', (c) => c.on('stream', (st) => st.pipe(st)));
  const tokens: Uint8Array[] = [];
  const conn = await connectQuic(clientOptions(port, { onNewToken: (tok) => tokens.push(tok) }));
  // A stream echo after the handshake: the server sends NEW_TOKEN with HANDSHAKE_DONE, in its first 1-RTT
  // flight, so had it sent one, the client would have it before the echoed bytes.
  const s = await conn.openStream();
  s.end(Buffer.from('ping'));
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'ping');
  conn.close();
  assert.deepEqual(tokens, []);
  assert.equal(retriesSent(server), 1);
});

test('an expired NEW_TOKEN token is ignored (the server is configured with a 1 ms lifetime)', { timeout: 15_000 }, async (t) => {
  const { server, port } = await retryServer(t, { newTokenLifetimeMs: 1 });
  const token = await connectForToken(port);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const conn = await connectQuic(clientOptions(port, { token }));
  t.after(() => conn.close());
  assert.equal(retriesSent(server), 2);
});

test('a non-positive newTokenLifetimeMs is refused when the server starts listening', { timeout: 15_000 }, async () => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], newTokenLifetimeMs: 0 });
  await assert.rejects(server.listen(0, '127.0.0.1'), { code: 'ERR_QUIC_ENDPOINT_OPTIONS' });
  await server.close();
});
