// An idle-connection worker, in a process of its own: on 'open' it makes up to `count` connections of one
// kind to the server (handshake complete, then nothing sent), a few at a time, until the deadline, and
// holds them until it is stopped. Several workers share the client side of the memory test.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { QuicClient, type QuicConnectionHandle } from '../../src/quic/index.js';
import { reportStartFailure, serveControl } from './child-control.js';
import { BENCH_ALPN, loadPki, SERVER_NAME, type Pki } from './pki.js';
import type { ChildCommand, ChildReply, IdleKind } from './protocol.js';
import { BENCH_IDLE_TIMEOUT_MS } from './settings.js';

/** Handshakes in flight at once per worker: enough to keep the server busy, few enough not to time out. */
const OPEN_CONCURRENCY = 8;
const CONNECT_TIMEOUT_MS = 20_000;
const MAX_ERRORS_KEPT = 3;

const held: Array<QuicConnectionHandle | Socket> = [];
let quicClient: QuicClient | undefined;

async function openOne(kind: IdleKind, port: number, pki: Pki): Promise<void> {
  if (kind === 'quicmq') {
    quicClient ??= await QuicClient.create({ host: '127.0.0.1' });
    const conn = await quicClient.connect({ host: '127.0.0.1', port, alpn: [BENCH_ALPN], ca: [pki.ca], serverName: SERVER_NAME, handshakeTimeoutMs: CONNECT_TIMEOUT_MS, idleTimeoutMs: BENCH_IDLE_TIMEOUT_MS });
    held.push(conn);
    return;
  }
  const socket = kind === 'tls' ? tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: SERVER_NAME, minVersion: 'TLSv1.3' }) : netConnect({ host: '127.0.0.1', port });
  socket.on('error', () => socket.destroy());
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      once(socket, kind === 'tls' ? 'secureConnect' : 'connect'),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${kind}: not connected within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS))),
    ]);
  } catch (e) {
    socket.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  // Keep reading (TLS session tickets, the server's close) so nothing piles up in our buffers.
  socket.resume();
  held.push(socket);
}

async function open(cmd: Extract<ChildCommand, { type: 'open' }>, pki: Pki): Promise<ChildReply> {
  const errors: string[] = [];
  let started = 0;
  let opened = 0;
  const loop = async (): Promise<void> => {
    while (started < cmd.count && Date.now() < cmd.deadlineMs) {
      started++;
      try {
        await openOne(cmd.kind, cmd.port, pki);
        opened++;
      } catch (e) {
        if (errors.length < MAX_ERRORS_KEPT) errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, loop));
  return { id: cmd.id, type: 'opened', opened, errors };
}

/** Drops every connection at once (QUIC: the client endpoint goes, as a crash would; the server's idle timer ends them). */
async function closeAll(): Promise<void> {
  for (const c of held.splice(0)) {
    if ('destroy' in c) c.destroy();
  }
  const client = quicClient;
  quicClient = undefined;
  await client?.close({ graceMs: 0 });
}

try {
  const pki = loadPki();
  serveControl({}, {
    connections: () => held.length,
    stop: closeAll,
    handle: async (cmd) => {
      if (cmd.type === 'open') return open(cmd, pki);
      if (cmd.type === 'release') {
        await closeAll();
        return { id: cmd.id, type: 'released' };
      }
      return undefined;
    },
  });
} catch (e) {
  reportStartFailure(e);
}
