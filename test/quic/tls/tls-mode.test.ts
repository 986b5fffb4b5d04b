// 'tls' mode specifics, engine against engine in memory: middlebox-compatible session id, optional
// ALPN, no transport parameters, KeyUpdate (RFC 8446 §4.6.3), SNI rules and option validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert } from '../../../src/quic/tls/alerts.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { TlsServer } from '../../../src/quic/tls/server.js';
import { TlsConfigError } from '../../../src/quic/tls/engine.js';
import { ExtensionType as X } from '../../../src/quic/tls/constants.js';
import { nextTrafficSecret } from '../../../src/quic/tls/key-schedule.js';
import { decodeClientHello, encodeKeyUpdate } from '../../../src/quic/tls/messages.js';
import { Writer } from '../../../src/quic/tls/wire.js';
import type { TlsEvent } from '../../../src/quic/tls/types.js';
import { clientOptions, pem, serverOptions } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

const tlsClient = (extra = {}): TlsClient => new TlsClient({ ...clientOptions({ mode: 'tls', alpn: [], transportParameters: undefined }), ...extra });
const tlsServer = (extra = {}): TlsServer => new TlsServer({ ...serverOptions('server-ecdsa', { mode: 'tls', alpn: [], transportParameters: undefined }), ...extra });

function drain(e: TlsClient | TlsServer): TlsEvent[] {
  const out: TlsEvent[] = [];
  for (let ev = e.poll(); ev; ev = e.poll()) out.push(ev);
  return out;
}

test('tls mode: no ALPN, no transport parameters, 32-byte legacy_session_id echoed', () => {
  const client = tlsClient();
  const server = tlsServer();
  client.start();
  const r = pump(client, server);
  const done = eventsOf(r.client, 'handshake-complete')[0]!;
  assert.equal(done.alpn, undefined);
  assert.equal(eventsOf(r.client, 'peer-transport-parameters').length, 0);
  const ch = decodeClientHello(eventsOf(r.client, 'send')[0]!.data.subarray(4));
  assert.equal(ch.legacySessionId.length, 32);
  assert.equal(ch.extensions.has(X.quic_transport_parameters), false);
  assert.equal(eventsOf(r.server, 'handshake-complete').length, 1);
});

test('tls mode: KeyUpdate with update_requested rotates the read key and answers with our own update', () => {
  const client = tlsClient();
  const server = tlsServer();
  client.start();
  const r = pump(client, server);
  const appRead = eventsOf(r.client, 'keys').find((k) => k.level === 'application' && k.direction === 'read')!;
  const appWrite = eventsOf(r.client, 'keys').find((k) => k.level === 'application' && k.direction === 'write')!;
  client.receive('application', encodeKeyUpdate(true));
  const evs = drain(client);
  assert.deepEqual(evs.map((e) => e.type), ['keys', 'send', 'keys']);
  const [read, send, write] = evs as [Extract<TlsEvent, { type: 'keys' }>, Extract<TlsEvent, { type: 'send' }>, Extract<TlsEvent, { type: 'keys' }>];
  assert.deepEqual(read.secret, nextTrafficSecret('sha256', appRead.secret));
  assert.equal(read.direction, 'read');
  assert.deepEqual(send.data, encodeKeyUpdate(false));
  assert.deepEqual(write.secret, nextTrafficSecret('sha256', appWrite.secret));
  // update_not_requested: only the read side moves.
  client.receive('application', encodeKeyUpdate(false));
  assert.deepEqual(drain(client).map((e) => e.type), ['keys']);
});

test('a TLS 1.2 ClientHello (no extensions) is answered with protocol_version', () => {
  const server = tlsServer();
  const body = new Writer()
    .u16(0x0303)
    .bytes(Buffer.alloc(32, 1))
    .opaque(1, Buffer.alloc(0))
    .vector(2, (w) => w.u16(0xc02f))
    .opaque(1, Buffer.of(0))
    .finish();
  server.receive('initial', Buffer.concat([Buffer.of(1, 0, 0, body.length), body]));
  const e = drain(server)[0] as Extract<TlsEvent, { type: 'error' }>;
  assert.equal(e.alert, Alert.protocol_version);
});

test('no SNI for IP literals (RFC 6066 §3); the name is still verified against the certificate SAN', () => {
  for (const host of ['127.0.0.1', '::1', '[::1]']) {
    const client = tlsClient({ serverName: host });
    client.start();
    const ch = decodeClientHello((drain(client)[0] as Extract<TlsEvent, { type: 'send' }>).data.subarray(4));
    assert.equal(ch.extensions.has(X.server_name), false, host);
  }
  const client = tlsClient({ serverName: '127.0.0.1' });
  client.start();
  const r = pump(client, tlsServer());
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 1, 'the test certificates carry IP SANs');
  assert.equal(eventsOf(r.server, 'handshake-complete')[0]!.serverName, undefined);
});

test('option validation throws TlsConfigError locally', () => {
  assert.throws(() => tlsServer({ sessionTickets: 300 }), TlsConfigError);
  assert.throws(() => tlsServer({ ticketLifetimeSeconds: 604801 }), TlsConfigError);
  assert.throws(() => tlsServer({ certificateChain: undefined, privateKey: undefined }), TlsConfigError);
  assert.throws(() => tlsClient({ alpn: [''] }), TlsConfigError);
  assert.throws(() => tlsClient({ groups: [] }), TlsConfigError);
  assert.throws(() => tlsClient({ mode: 'dtls' as 'tls' }), TlsConfigError);
  assert.throws(() => tlsClient({ random: () => Buffer.alloc(3) }).start(), TlsConfigError);
  const c = tlsClient();
  assert.throws(() => c.receive('bogus' as 'initial', Buffer.alloc(1)), TlsConfigError);
  // A client certificate chain without its key is a configuration error too.
  assert.throws(() => tlsClient({ certificateChain: pem('client-chain.pem') }), TlsConfigError);
});
