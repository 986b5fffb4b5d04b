// One server under test, in a process of its own: `server-process.ts <kind>` listens on 127.0.0.1 with an
// OS-chosen port, accepts handshakes and serves the byte-count exchange (byte-count.ts) on every stream
// or socket, and holds idle connections for the memory figures. Kinds: quicmq (QuicServer), tls
// (node:tls, TLS 1.3 only), tcp (node:net), quiche (@matrixai/quic).
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import { createServer as createTcpServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Duplex } from 'node:stream';
import { QuicServer } from '../../src/quic/index.js';
import { reportStartFailure, serveControl } from './child-control.js';
import { serveByteCount } from './byte-count.js';
import { BENCH_ALPN, loadPki } from './pki.js';
import { SERVER_KINDS, type ServerKind } from './protocol.js';
import { BENCH_IDLE_TIMEOUT_MS, QUIC_DATAGRAM_SIZE } from './settings.js';

interface Running {
  port: number;
  connections(): number;
  stop(): Promise<void>;
}

async function startQuicmq(): Promise<Running> {
  const pki = loadPki();
  // Offers disable_1rtt_encryption: only the bulk row whose client offers it too runs without 1-RTT crypto.
  const server = new QuicServer({ cert: pki.cert, key: pki.key, alpn: [BENCH_ALPN], idleTimeoutMs: BENCH_IDLE_TIMEOUT_MS, maxHandshakes: 100_000, transport: { disable1RttEncryption: true } });
  let open = 0;
  server.on('connection', (conn) => {
    open++;
    void conn.closed.then(() => open--);
    conn.on('stream', (s) => serveByteCount(s));
  });
  server.on('error', () => undefined);
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, connections: () => open, stop: () => server.close({ graceMs: 0 }) };
}

async function listenNet(server: NetServer, sockets: Set<Socket>): Promise<Running> {
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    connections: () => sockets.size,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
}

function startTls(): Promise<Running> {
  const pki = loadPki();
  const sockets = new Set<Socket>();
  // Node's defaults otherwise: session tickets on (RFC 8446 §4.6.1), so resumption works.
  const server = createTlsServer({ cert: pki.cert, key: pki.key, minVersion: 'TLSv1.3', allowHalfOpen: true }, (socket) => {
    track(sockets, socket);
    serveByteCount(socket);
  });
  server.on('tlsClientError', () => undefined);
  return listenNet(server, sockets);
}

function startTcp(): Promise<Running> {
  const sockets = new Set<Socket>();
  const server = createTcpServer({ allowHalfOpen: true }, (socket) => {
    track(sockets, socket);
    socket.setNoDelay(true);
    serveByteCount(socket);
  });
  return listenNet(server, sockets);
}

async function startQuiche(): Promise<Running> {
  const { QUICServer, events } = await import('@matrixai/quic');
  const { default: Logger, LogLevel } = await import('@matrixai/logger');
  const pki = loadPki();
  const ticketKey = randomFillSync(Buffer.alloc(32));
  const sign = (key: ArrayBuffer, data: ArrayBuffer): Buffer => createHmac('sha256', Buffer.from(key)).update(Buffer.from(data)).digest();
  const server = new QUICServer({
    crypto: {
      key: ticketKey.buffer,
      ops: {
        sign: async (key: ArrayBuffer, data: ArrayBuffer) => toArrayBuffer(sign(key, data)),
        verify: async (key: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer) => {
          const want = sign(key, data);
          const got = Buffer.from(sig);
          return got.length === want.length && timingSafeEqual(want, got);
        },
      },
    },
    config: {
      key: pki.key,
      cert: pki.cert,
      verifyPeer: false,
      applicationProtos: [BENCH_ALPN],
      maxIdleTimeout: BENCH_IDLE_TIMEOUT_MS,
      maxSendUdpPayloadSize: QUIC_DATAGRAM_SIZE,
    },
    logger: new Logger('quiche-bench', LogLevel.ERROR, []),
  });
  let open = 0;
  server.addEventListener(events.EventQUICServerConnection.name, (evt: Event) => {
    open++;
    const conn = (evt as unknown as InstanceType<typeof events.EventQUICServerConnection>).detail;
    conn.addEventListener(events.EventQUICConnectionStopped.name, () => open--, { once: true });
    conn.addEventListener(events.EventQUICConnectionStream.name, (se: Event) => {
      const stream = (se as unknown as InstanceType<typeof events.EventQUICConnectionStream>).detail;
      serveByteCount(Duplex.fromWeb({ readable: stream.readable, writable: stream.writable }));
    });
  });
  await server.start({ host: '127.0.0.1', port: 0 });
  return { port: server.port, connections: () => open, stop: () => server.stop({ force: true }) };
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function start(kind: ServerKind): Promise<Running> {
  switch (kind) {
    case 'quicmq':
      return startQuicmq();
    case 'tls':
      return startTls();
    case 'tcp':
      return startTcp();
    case 'quiche':
      return startQuiche();
  }
}

try {
  const kind = process.argv[2] as ServerKind;
  if (!SERVER_KINDS.includes(kind)) throw new Error(`unknown server kind '${String(kind)}' (one of ${SERVER_KINDS.join(', ')})`);
  const running = await start(kind);
  serveControl({ [kind]: running.port }, { connections: running.connections, stop: running.stop });
} catch (e) {
  reportStartFailure(e);
}
