// QuicServer: the user-facing server. listen() binds a UDP endpoint; each connection is emitted as
// 'connection' (a QuicConnectionHandle) once its handshake completes (with enableEarlyData: as soon as it
// starts, so 0-RTT data is usable at once); close() closes them and the socket.
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { ConnectionLimits, LocalTransportSettings, ServerTlsSettings } from '../connection/options.js';
import { keyLoggerFromEnv } from '../tls/keylog.js';
import { loadCertificateChain, loadPrivateKey } from '../tls/certificates.js';
import { ReplayGuard, TicketKeyring } from '../tls/tickets.js';
import type { CongestionAlgorithm } from '../recovery/congestion/congestion-controller.js';
import { serverConnectionFactory } from './connection-factory.js';
import type { QuicConnectionHandle } from './connection-handle.js';
import { QuicEndpointError } from './errors.js';
import type { AddressTokenOptions } from './tokens.js';
import { UdpEndpoint, type UdpEndpointOptions } from './udp-endpoint.js';

export const QUIC_SERVER_DEFAULTS = Object.freeze({
  /** RFC 8446 §8.3 / RFC 9001 §4.6: the 0-RTT anti-replay window, ms. */
  replayWindowMs: 10_000,
  /** 0-RTT ClientHellos remembered at once (ReplayGuard fails closed beyond it). */
  replayMaxEntries: 100_000,
});

export interface QuicServerOptions {
  /** Certificate chain, leaf first (PEM text). */
  cert: string | Uint8Array;
  /** Private key of the leaf (PEM text or KeyObject). */
  key: string | Uint8Array | KeyObject;
  /** ALPN protocols we accept, in preference order (RFC 9001 §8.1). */
  alpn: string[];
  /** Refuse connections beyond this many (CONNECTION_REFUSED, RFC 9000 §5.2.2). */
  maxConnections?: number;
  /** Handshakes in progress at once; beyond it new Initials are dropped (the clients retransmit). */
  maxHandshakes?: number;
  /** Validate client addresses with Retry before keeping state (RFC 9000 §8.1.2). */
  retry?: boolean;
  /**
   * Accept 0-RTT on resumed connections (RFC 9001 §4.6). Replayable: off by default. With it, 'connection'
   * is emitted when a connection starts (before its handshake completes) so early stream data reaches the
   * application at once; without it, after the handshake.
   */
  enableEarlyData?: boolean;
  /** max_idle_timeout (ms, RFC 9000 §10.1). */
  idleTimeoutMs?: number;
  congestionControl?: CongestionAlgorithm;
  /** The latency spin bit (RFC 9000 §17.4, limits.spinBit); false turns it off for every connection. */
  spinBit?: boolean;
  /** CAs to verify client certificates with; with requestClientCertificate this is mutual TLS. */
  ca?: Array<string | Uint8Array>;
  requestClientCertificate?: boolean;
  requireClientCertificate?: boolean;
  /** Address-token secret (32 bytes): share it between servers behind one address. */
  tokenKey?: Uint8Array;
  /**
   * Send each client a NEW_TOKEN token after its handshake (RFC 9000 §8.1.3): presented on a later
   * connection from the same IP, it validates the address, so that connection gets no Retry and no
   * amplification limit. Default true.
   */
  sendNewTokens?: boolean;
  /** Lifetime of NEW_TOKEN tokens, ms (default ADDRESS_TOKEN_DEFAULTS.newTokenLifetimeMs, 24 h). */
  newTokenLifetimeMs?: number;
  transport?: Partial<LocalTransportSettings>;
  limits?: Partial<ConnectionLimits>;
  /** TLS key log lines (NSS format); default: appended to $SSLKEYLOGFILE when set. */
  keylog?: (line: string) => void;
  /** Endpoint settings: connection ID length, stateless reset key and rate limits, send loop bounds. */
  endpoint?: Omit<UdpEndpointOptions, 'server'>;
}

export class QuicServer extends EventEmitter<{ connection: [QuicConnectionHandle]; error: [Error] }> {
  private endpoint: UdpEndpoint | undefined;
  private readonly options: QuicServerOptions;
  private readonly tls: ServerTlsSettings;

  /** Parses the certificate and key at once, so a bad file fails here with a CertificateError. */
  constructor(options: QuicServerOptions) {
    super();
    if (options.alpn.length === 0) throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', 'at least one ALPN protocol is required (RFC 9001 §8.1)');
    this.options = options;
    const tls: ServerTlsSettings = {
      certificateChain: loadCertificateChain(options.cert),
      privateKey: isKeyObject(options.key) ? options.key : loadPrivateKey(options.key),
      // Session tickets make resumption (and 0-RTT when enabled) possible (RFC 8446 §4.6.1).
      ticketKeyring: new TicketKeyring(),
    };
    if (options.enableEarlyData === true) {
      tls.enableEarlyData = true;
      tls.replayGuard = new ReplayGuard({ windowMs: QUIC_SERVER_DEFAULTS.replayWindowMs, maxEntries: QUIC_SERVER_DEFAULTS.replayMaxEntries });
    }
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.requestClientCertificate !== undefined) tls.requestClientCertificate = options.requestClientCertificate;
    if (options.requireClientCertificate !== undefined) tls.requireClientCertificate = options.requireClientCertificate;
    this.tls = tls;
  }

  /** Binds host:port (port 0 = OS-chosen) and starts accepting. */
  async listen(port: number, host = '0.0.0.0'): Promise<{ address: string; port: number; family: string }> {
    if (this.endpoint !== undefined) throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', 'server is already listening');
    const o = this.options;
    const transport: Partial<LocalTransportSettings> = { ...o.transport };
    if (o.idleTimeoutMs !== undefined) transport.maxIdleTimeout = o.idleTimeoutMs;
    const limits: Partial<ConnectionLimits> = { ...o.limits };
    if (o.congestionControl !== undefined) limits.congestionControl = o.congestionControl;
    if (o.spinBit !== undefined) limits.spinBit = o.spinBit;
    const keylog = o.keylog ?? keyLoggerFromEnv();
    const createConnection = serverConnectionFactory(this.tls, {
      alpn: o.alpn,
      transport,
      limits,
      ...(keylog !== undefined ? { keylog } : {}),
      ...(o.sendNewTokens !== undefined ? { sendNewTokens: o.sendNewTokens } : {}),
    });
    const tokens: AddressTokenOptions = {
      ...(o.tokenKey !== undefined ? { key: o.tokenKey } : {}),
      ...(o.newTokenLifetimeMs !== undefined ? { newTokenLifetimeMs: o.newTokenLifetimeMs } : {}),
    };
    const endpoint = await UdpEndpoint.open(host, port, {
      emitConnectionBeforeHandshake: o.enableEarlyData === true,
      ...o.endpoint,
      server: {
        createConnection,
        ...(o.maxConnections !== undefined ? { maxConnections: o.maxConnections } : {}),
        ...(o.maxHandshakes !== undefined ? { maxHandshakes: o.maxHandshakes } : {}),
        retry: o.retry ?? false,
        tokens,
      },
    });
    endpoint.on('connection', (c) => this.emit('connection', c));
    endpoint.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    this.endpoint = endpoint;
    return endpoint.address();
  }

  address(): { address: string; port: number; family: string } | undefined {
    return this.endpoint?.address();
  }

  /** The endpoint (stats, connection count); undefined before listen(). */
  get udpEndpoint(): UdpEndpoint | undefined {
    return this.endpoint;
  }

  /** Stops accepting; closes the socket once the open connections have ended, or closes them after `timeoutMs`. */
  async closeWhenIdle(timeoutMs: number): Promise<void> {
    await this.endpoint?.closeWhenIdle(timeoutMs);
  }

  /** Stops accepting, closes every connection (application error `code`, default 0) and the socket. */
  async close(options: { code?: number; reason?: string; graceMs?: number } = {}): Promise<void> {
    await this.endpoint?.close({ reason: 'server closing', ...options });
  }
}

function isKeyObject(k: string | Uint8Array | KeyObject): k is KeyObject {
  return typeof k === 'object' && !(k instanceof Uint8Array);
}
