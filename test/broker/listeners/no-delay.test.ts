// The TCP, TLS, WebSocket and secure WebSocket listeners turn Nagle's algorithm off (TCP_NODELAY) on every accepted connection, as EMQX's
// tcp_options.nodelay does by default. With it on, a small write that follows another unacknowledged one
// (CONNACK right after the TLS 1.3 session tickets, a PUBACK) waits for the peer's delayed ACK: connect to
// CONNACK over TLS measured 47 ms p50 on 127.0.0.1 before the TLS listener set it, 3.9 ms after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { SslListener } from '../../../src/broker/listeners/ssl-listener.js';
import { TcpListener } from '../../../src/broker/listeners/tcp-listener.js';
import { WsListener } from '../../../src/broker/listeners/ws-listener.js';
import type { ListenerDeps } from '../../../src/broker/listeners/listener.js';
import { certPath } from '../../helpers/certs.js';

/**
 * Node records setNoDelay() on the socket under its kSetNoDelay symbol (net.js); a server created with
 * `noDelay: true` sets it on every accepted socket. Reading it is the only way to see TCP_NODELAY from
 * JavaScript; if a Node release drops the symbol, this fails rather than passing vacuously.
 */
function noDelayOf(socket: Socket): boolean {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  assert.ok(sym !== undefined, 'Node no longer records setNoDelay under kSetNoDelay: update this test');
  return (socket as unknown as Record<symbol, boolean>)[sym] === true;
}

const deps = (accept: ListenerDeps['accept']): ListenerDeps => ({ accept, logger: pino({ level: 'silent' }), maxPacketSize: 1 << 20, handshakeTimeoutMs: 5000 });

/** The raw TCP socket of the next connection the listener's server accepts. */
function nextRawSocket(listener: TcpListener | SslListener | WsListener): Promise<Socket> {
  const server = (listener as unknown as { server: Server }).server;
  return new Promise((resolve) => server.once('connection', resolve));
}

/** Starts `l`, dials it with `dial`, and returns whether the socket it accepted has TCP_NODELAY. */
async function acceptsWithNoDelay(l: TcpListener | SslListener | WsListener, dial: (port: number) => Socket): Promise<boolean> {
  await l.start();
  try {
    const raw = nextRawSocket(l);
    const c = dial(l.address()!.port);
    c.on('error', () => undefined);
    const noDelay = noDelayOf(await raw);
    c.destroy();
    return noDelay;
  } finally {
    await l.stop();
  }
}

const tcpDial = (port: number): Socket => netConnect(port, '127.0.0.1');
const tlsDial = (port: number): Socket => tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
const ssl = { keyfile: certPath('server-ecdsa-key.pem'), certfile: certPath('server-ecdsa.pem'), verify: 'verify_none' as const, fail_if_no_peer_cert: false, versions: ['tlsv1.3' as const] };
const common = { enabled: true, bind: '127.0.0.1:0', max_connections: 10 };
const closeAll = deps((s) => s.destroy());

test('the TCP listener accepts connections with TCP_NODELAY', async () => {
  assert.equal(await acceptsWithNoDelay(new TcpListener('nd', common, closeAll), tcpDial), true);
});

test('the TLS listener accepts connections with TCP_NODELAY', async () => {
  assert.equal(await acceptsWithNoDelay(new SslListener('nd', { ...common, ssl_options: ssl }, closeAll), tlsDial), true);
});

test('the WebSocket and secure WebSocket listeners accept connections with TCP_NODELAY', async () => {
  const websocket = { mqtt_path: '/mqtt' };
  assert.equal(await acceptsWithNoDelay(new WsListener('nd', { ...common, websocket }, closeAll), tcpDial), true, 'ws');
  assert.equal(await acceptsWithNoDelay(new WsListener('nd', { ...common, websocket, ssl_options: ssl }, closeAll), tlsDial), true, 'wss');
});
