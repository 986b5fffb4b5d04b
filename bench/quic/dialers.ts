// One way to open (and close) a connection per transport, for the handshake figures: quicmq's QUIC
// client, Node's TLS 1.3 client and quiche's client (@matrixai/quic). A dial resolves when the handshake is
// complete (RFC 9001 §4.1.1 for QUIC; 'secureConnect' for TLS), with whether the session was resumed.
import { randomFillSync } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { QuicClient, type SessionTicket } from '../../src/quic/index.js';
import { BENCH_ALPN, SERVER_NAME, type Pki } from './pki.js';
import { BENCH_IDLE_TIMEOUT_MS, QUIC_DATAGRAM_SIZE } from './settings.js';

/** A handshake that has not completed in this long is counted as failed. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long to wait for the server's session ticket after a handshake (it follows the handshake). */
export const TICKET_WAIT_MS = 5_000;

export interface Dialed {
  resumed: boolean;
  /** Starts closing; resolves once the connection is gone (QUIC: after its closing period, RFC 9000 §10.2). */
  close(): Promise<void>;
}

export interface Dialer {
  readonly name: string;
  /** Whether this dialer can resume sessions (and fetchTicket works). */
  readonly resumes: boolean;
  dial(resume: boolean): Promise<Dialed>;
  /** Makes one full handshake and keeps its session ticket for later resumed dials. */
  fetchTicket(): Promise<void>;
  close(): Promise<void>;
}

export class DialError extends Error {
  override readonly name = 'DialError';
  constructor(
    readonly code: 'HANDSHAKE_FAILED' | 'HANDSHAKE_TIMEOUT' | 'NO_TICKET',
    message: string,
  ) {
    super(message);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new DialError('HANDSHAKE_TIMEOUT', `${what}: no handshake within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** quicmq: one client endpoint (one UDP socket) for all dials, as an application would use it. */
export async function quicmqDialer(port: number, pki: Pki): Promise<Dialer> {
  const client = await QuicClient.create({ host: '127.0.0.1' });
  let ticket: SessionTicket | undefined;
  const base = { host: '127.0.0.1', port, alpn: [BENCH_ALPN], ca: [pki.ca], serverName: SERVER_NAME, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, idleTimeoutMs: BENCH_IDLE_TIMEOUT_MS };
  return {
    name: 'quicmq',
    resumes: true,
    async dial(resume) {
      const conn = await client.connect(resume && ticket !== undefined ? { ...base, sessionTicket: ticket } : base);
      return {
        resumed: conn.handshake?.resumed === true,
        close: async () => {
          conn.close();
          await conn.closed;
        },
      };
    },
    async fetchTicket() {
      let got: (t: SessionTicket) => void = () => undefined;
      const arrived = new Promise<SessionTicket>((resolve) => (got = resolve));
      const conn = await client.connect({ ...base, onSessionTicket: (t) => got(t) });
      try {
        ticket = await withTimeout(arrived, TICKET_WAIT_MS, 'quicmq session ticket', () => undefined);
      } catch {
        throw new DialError('NO_TICKET', `quicmq: no session ticket within ${TICKET_WAIT_MS} ms of the handshake`);
      } finally {
        conn.close();
        await conn.closed;
      }
    },
    close: () => client.close({ graceMs: 0 }),
  };
}

/** Node TLS 1.3 over TCP; resumption with the ticket from the 'session' event (RFC 8446 §4.6.1). */
export function tlsDialer(port: number, pki: Pki): Dialer {
  let session: Buffer | undefined;
  const open = (resume: boolean) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: SERVER_NAME, minVersion: 'TLSv1.3', ...(resume && session ? { session } : {}) });
    // Flowing mode: TLS reads the NewSessionTicket and the server's close only while someone reads.
    socket.resume();
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', (e) => reject(new DialError('HANDSHAKE_FAILED', `tls: ${e.message}`)));
    });
    return { socket, ready: withTimeout(ready, HANDSHAKE_TIMEOUT_MS, 'tls', () => socket.destroy()) };
  };
  const closeSocket = (socket: ReturnType<typeof open>['socket']) =>
    new Promise<void>((resolve) => {
      if (socket.closed) return resolve();
      socket.once('close', () => resolve());
      socket.on('error', () => undefined);
      socket.end();
    });
  return {
    name: 'tls',
    resumes: true,
    async dial(resume) {
      const { socket, ready } = open(resume);
      await ready;
      return { resumed: socket.isSessionReused(), close: () => closeSocket(socket) };
    },
    async fetchTicket() {
      const { socket, ready } = open(false);
      const arrived = new Promise<Buffer>((resolve) => socket.once('session', resolve));
      try {
        await ready;
        session = await withTimeout(arrived, TICKET_WAIT_MS, 'tls session ticket', () => undefined);
      } catch {
        throw new DialError('NO_TICKET', `tls: no session ticket within ${TICKET_WAIT_MS} ms of the handshake`);
      } finally {
        await closeSocket(socket);
      }
    },
    close: async () => undefined,
  };
}

/** quiche through @matrixai/quic: one client (and UDP socket) per connection, as its API has it. */
export async function quicheDialer(port: number, pki: Pki): Promise<Dialer> {
  const { QUICClient } = await import('@matrixai/quic');
  const { default: Logger, LogLevel } = await import('@matrixai/logger');
  const logger = new Logger('quiche-bench', LogLevel.ERROR, []);
  return {
    name: 'quiche',
    resumes: false,
    async dial() {
      const client = await QUICClient.createQUICClient({
        host: '127.0.0.1',
        port,
        serverName: SERVER_NAME,
        crypto: {
          ops: {
            randomBytes: async (data: ArrayBuffer) => {
              randomFillSync(new Uint8Array(data));
            },
          },
        },
        config: { verifyPeer: true, ca: pki.ca, applicationProtos: [BENCH_ALPN], maxIdleTimeout: BENCH_IDLE_TIMEOUT_MS, maxSendUdpPayloadSize: QUIC_DATAGRAM_SIZE },
        logger,
      }, { timer: HANDSHAKE_TIMEOUT_MS });
      return { resumed: false, close: () => client.destroy({ force: true }) };
    },
    async fetchTicket() {
      throw new DialError('NO_TICKET', 'quiche via @matrixai/quic exposes no session resumption');
    },
    close: async () => undefined,
  };
}
