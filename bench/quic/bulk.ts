// One-stream bulk throughput: the client writes up to `bytes` (or for at most `durationMs`) on one
// stream or socket with backpressure, ends it, and the server answers with how many bytes it received
// (byte-count.ts). MB/s = bytes the server counted / time from the first write to its answer.
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { randomFillSync } from 'node:crypto';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { connectQuic } from '../../src/quic/index.js';
import { parseByteCount } from './byte-count.js';
import { BENCH_ALPN, SERVER_NAME, type Pki } from './pki.js';
import type { ServerKind } from './protocol.js';
import { BENCH_IDLE_TIMEOUT_MS, QUIC_DATAGRAM_SIZE } from './settings.js';

/** Bytes per write: large enough that the write path, not the call count, is measured. */
const WRITE_CHUNK = 64 * 1024;
/** After the client's end, the server's answer must come within this long. */
const ANSWER_TIMEOUT_MS = 30_000;
/** Connection set-up before the clock starts. */
const CONNECT_TIMEOUT_MS = 15_000;

export interface BulkSettings {
  bytes: number;
  durationMs: number;
  /**
   * quicmq only: let the connection probe for larger datagrams (DPLPMTUD, RFC 8899; RFC 9000 §14.3).
   * false keeps it at 1200 bytes. Default true (the stack's default).
   */
  pathMtuDiscovery?: boolean;
  /**
   * quicmq only: offer draft-banks-quic-disable-encryption (the benchmark's quicmq server offers it too),
   * so 1-RTT packets go without packet protection. A separate row, never the target's figure.
   */
  disable1RttEncryption?: boolean;
}

export interface BulkResult {
  transport: ServerKind;
  /** What the row is labelled with: the transport, plus the datagram setting for quicmq. */
  label: string;
  sent: number;
  received: number;
  elapsedMs: number;
  mbPerSecond: number;
  /** True when the time bound, not the byte count, ended the sending. */
  timeBounded: boolean;
  error?: string;
}

interface OpenStream {
  stream: Duplex;
  close(): Promise<void>;
}

export class BulkError extends Error {
  override readonly name = 'BulkError';
  constructor(
    readonly code: 'CONNECT_FAILED' | 'TIMEOUT' | 'BAD_ANSWER',
    message: string,
  ) {
    super(message);
  }
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BulkError('TIMEOUT', `${what} took over ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function openNet(kind: 'tls' | 'tcp', port: number, pki: Pki): Promise<OpenStream> {
  const socket =
    kind === 'tls'
      ? tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: SERVER_NAME, minVersion: 'TLSv1.3' })
      : netConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.setNoDelay(true);
  await bounded(once(socket, kind === 'tls' ? 'secureConnect' : 'connect'), CONNECT_TIMEOUT_MS, `${kind} connect`);
  return { stream: socket, close: async () => void socket.destroy() };
}

async function openQuicmq(port: number, pki: Pki, pathMtuDiscovery: boolean, disable1RttEncryption: boolean): Promise<OpenStream> {
  const conn = await connectQuic({
    host: '127.0.0.1',
    port,
    alpn: [BENCH_ALPN],
    ca: [pki.ca],
    serverName: SERVER_NAME,
    handshakeTimeoutMs: CONNECT_TIMEOUT_MS,
    idleTimeoutMs: BENCH_IDLE_TIMEOUT_MS,
    limits: { pmtuDiscovery: pathMtuDiscovery },
    transport: { disable1RttEncryption },
  });
  const stream = await conn.openStream();
  return {
    stream,
    close: async () => {
      conn.close();
      await bounded(conn.closed, CONNECT_TIMEOUT_MS, 'quicmq close').catch(() => undefined);
    },
  };
}

async function openQuiche(port: number, pki: Pki): Promise<OpenStream> {
  const { QUICClient } = await import('@matrixai/quic');
  const { default: Logger, LogLevel } = await import('@matrixai/logger');
  const client = await QUICClient.createQUICClient({
    host: '127.0.0.1',
    port,
    serverName: SERVER_NAME,
    crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void randomFillSync(new Uint8Array(data)) } },
    config: { verifyPeer: true, ca: pki.ca, applicationProtos: [BENCH_ALPN], maxIdleTimeout: BENCH_IDLE_TIMEOUT_MS, maxSendUdpPayloadSize: QUIC_DATAGRAM_SIZE },
    logger: new Logger('quiche-bench', LogLevel.ERROR, []),
  }, { timer: CONNECT_TIMEOUT_MS });
  const s = client.connection.newStream();
  return { stream: Duplex.fromWeb({ readable: s.readable, writable: s.writable }), close: () => client.destroy({ force: true }) };
}

function open(kind: ServerKind, port: number, pki: Pki, pathMtuDiscovery: boolean, disable1RttEncryption: boolean): Promise<OpenStream> {
  switch (kind) {
    case 'quicmq':
      return openQuicmq(port, pki, pathMtuDiscovery, disable1RttEncryption);
    case 'quiche':
      return openQuiche(port, pki);
    default:
      return openNet(kind, port, pki);
  }
}

/** Waits for 'drain' (or the stream's failure) without leaving a listener behind. */
async function drainOrFail(stream: Duplex, failed: Promise<never>): Promise<void> {
  let done: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (done = resolve));
  stream.once('drain', done);
  try {
    await Promise.race([drained, failed]);
  } finally {
    stream.off('drain', done);
  }
}

export async function measureBulk(kind: ServerKind, port: number, pki: Pki, s: BulkSettings): Promise<BulkResult> {
  const pmtud = s.pathMtuDiscovery ?? true;
  const plain = s.disable1RttEncryption === true;
  const label = kind === 'quicmq' ? `quicmq (${pmtud ? 'DPLPMTUD' : '1200 B'}${plain ? ', no 1-RTT crypto' : ''})` : kind === 'quiche' ? `quiche (${QUIC_DATAGRAM_SIZE} B)` : kind;
  const result: BulkResult = { transport: kind, label, sent: 0, received: 0, elapsedMs: 0, mbPerSecond: 0, timeBounded: false };
  let link: OpenStream | undefined;
  try {
    link = await open(kind, port, pki, pmtud, plain);
    const stream = link.stream;
    let answer = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (answer += d));
    const answered = once(stream, 'end');
    const failed = new Promise<never>((_, reject) => stream.once('error', reject));
    failed.catch(() => undefined);
    const chunk = randomFillSync(Buffer.allocUnsafe(WRITE_CHUNK));
    const t0 = performance.now();
    const deadline = t0 + s.durationMs;
    while (result.sent < s.bytes) {
      if (performance.now() >= deadline) {
        result.timeBounded = true;
        break;
      }
      const n = Math.min(WRITE_CHUNK, s.bytes - result.sent);
      result.sent += n;
      if (!stream.write(n === WRITE_CHUNK ? chunk : chunk.subarray(0, n))) await drainOrFail(stream, failed);
    }
    stream.end();
    await bounded(Promise.race([answered, failed]), ANSWER_TIMEOUT_MS, `${kind} answer`);
    result.elapsedMs = performance.now() - t0;
    result.received = parseByteCount(answer);
    if (!(result.received === result.sent)) throw new BulkError('BAD_ANSWER', `server counted ${answer.slice(0, 40)} bytes of ${result.sent}`);
    result.mbPerSecond = result.received / 1e6 / (result.elapsedMs / 1000);
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await link?.close().catch(() => undefined);
  }
  return result;
}
