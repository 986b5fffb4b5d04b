// A byte stream to the broker per MQTT transport: a TCP socket, a TLS 1.3 socket, or the one
// bidirectional QUIC stream of an MQTT-over-QUIC connection (ALPN "mqtt", DESIGN.md "MQTT over QUIC").
// The MQTT packets on top are the same for all three (raw-mqtt.ts).
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { connectQuic, QuicClient, type SessionTicket } from '../../src/quic/index.js';
import { SERVER_NAME, type Pki } from './pki.js';
import type { MqttTransport } from './protocol.js';
import { BENCH_IDLE_TIMEOUT_MS } from './settings.js';

/** EMQX MQTT over QUIC: ALPN "mqtt". */
const MQTT_ALPN = 'mqtt';
/** A link not open within this long has failed. */
export const LINK_OPEN_TIMEOUT_MS = 15_000;
/** A link's close waits at most this long for the peer before giving up on it. */
const LINK_CLOSE_TIMEOUT_MS = 5_000;

export interface MqttLink {
  stream: Duplex;
  /** Whether the link resumed a TLS session (QUIC: with CONNECT in 0-RTT); known once the handshake is done. */
  resumed(): boolean;
  /** Ends the stream and closes the connection (QUIC: CONNECTION_CLOSE, RFC 9000 §10.2). */
  close(): Promise<void>;
}

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly code: 'OPEN_TIMEOUT' | 'OPEN_FAILED',
    message: string,
  ) {
    super(message);
  }
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new LinkError('OPEN_TIMEOUT', `${what}: not open within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function settle(p: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, LINK_CLOSE_TIMEOUT_MS)))]);
  clearTimeout(timer);
}

/**
 * Opens a link. `quicClient`, when given, is the client endpoint (one UDP socket) the QUIC connection is
 * made on; without it the connection gets a socket of its own (connectQuic), as a lone client would.
 */
/**
 * What a client keeps between connections to resume them: the newest QUIC session ticket and TLS session.
 * A link opened with it resumes when it holds one (QUIC also sends CONNECT as 0-RTT early data, RFC 9001
 * §4.6.1; the broker must enable 0-RTT) and stores the ones the broker issues.
 */
export interface LinkResumption {
  quicTicket?: SessionTicket;
  tlsSession?: Buffer;
}

export async function openMqttLink(transport: MqttTransport, port: number, pki: Pki, quicClient?: QuicClient, resume?: LinkResumption): Promise<MqttLink> {
  if (transport === 'mqtt-quic') {
    const options = {
      host: '127.0.0.1',
      port,
      alpn: [MQTT_ALPN],
      ca: [pki.ca],
      serverName: SERVER_NAME,
      handshakeTimeoutMs: LINK_OPEN_TIMEOUT_MS,
      idleTimeoutMs: BENCH_IDLE_TIMEOUT_MS,
      ...(resume !== undefined ? { onSessionTicket: (t: SessionTicket) => (resume.quicTicket = t) } : {}),
      // 0-RTT: connect() resolves at once and the stream opens on the remembered limits.
      ...(resume?.quicTicket !== undefined ? { sessionTicket: resume.quicTicket, enableEarlyData: true, waitForHandshake: false } : {}),
    };
    const early = resume?.quicTicket !== undefined;
    const conn = await (quicClient ? quicClient.connect(options) : connectQuic(options));
    const stream = await bounded(conn.openStream({ early }), LINK_OPEN_TIMEOUT_MS, 'QUIC stream');
    return {
      stream,
      resumed: () => conn.handshake?.resumed === true && (!early || conn.handshake.earlyData === 'accepted'),
      close: async () => {
        // FIN after the last packet (DISCONNECT), then CONNECTION_CLOSE: the broker reads both in order.
        stream.on('error', () => undefined);
        stream.end();
        conn.close();
        await settle(conn.closed);
      },
    };
  }
  const socket =
    transport === 'mqtt-tls'
      ? tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: SERVER_NAME, minVersion: 'TLSv1.3', ...(resume?.tlsSession !== undefined ? { session: resume.tlsSession } : {}) })
      : netConnect({ host: '127.0.0.1', port });
  if (resume !== undefined && transport === 'mqtt-tls') socket.on('session', (session: Buffer) => (resume.tlsSession = session));
  socket.setNoDelay(true);
  try {
    await bounded(once(socket, transport === 'mqtt-tls' ? 'secureConnect' : 'connect'), LINK_OPEN_TIMEOUT_MS, transport);
  } catch (e) {
    socket.destroy();
    throw e instanceof LinkError ? e : new LinkError('OPEN_FAILED', `${transport}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    stream: socket,
    resumed: () => 'isSessionReused' in socket && (socket as { isSessionReused(): boolean }).isSessionReused(),
    close: async () => {
      if (socket.closed) return;
      const closed = once(socket, 'close');
      socket.destroy();
      await settle(closed);
    },
  };
}
