// A listener accepts connections of one transport and hands each one to the broker core as a Duplex
// (Broker.acceptConnection). It knows nothing of MQTT.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ConnectionInfo, ListenerType } from '../connection-info.js';
import type { QuicMetrics } from '../quic-metrics.js';

export type AcceptConnection = (stream: Duplex, info: ConnectionInfo) => void;

export interface ListenerAddress {
  id: string;
  type: ListenerType;
  host: string;
  port: number;
}

export interface Listener {
  readonly id: string;
  readonly type: ListenerType;
  /** Binds and starts accepting; rejects with the bind error (e.g. EADDRINUSE). */
  start(): Promise<void>;
  /**
   * Stops accepting new connections at once; resolves when the connections it accepted are closed too
   * (closing them is the broker's job).
   */
  stop(): Promise<void>;
  /** The bound address, once started. */
  address(): ListenerAddress | undefined;
}

export interface ListenerDeps {
  accept: AcceptConnection;
  logger: Logger;
  /** mqtt.max_packet_size: the largest WebSocket message worth buffering. */
  maxPacketSize: number;
  /** mqtt.idle_timeout: also bounds the TLS handshake. */
  handshakeTimeoutMs: number;
  /** Where QUIC listeners report their transport figures (the broker's registry); none in bare tests. */
  quicMetrics?: QuicMetrics;
}

/** "ip:port" of a peer; IPv6 in brackets. */
export function formatRemote(address: string | undefined, port: number | undefined): string {
  const a = address ?? 'unknown';
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}
