// The user-facing client: QuicClient (one UDP socket, any number of connections) and connectQuic()
// (one connection on its own socket, closed with the connection).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClientTlsSettings, ConnectionLimits, LocalTransportSettings } from '../connection/options.js';
import type { SessionTicket } from '../tls/types.js';
import { keyLoggerFromEnv } from '../tls/keylog.js';
import type { CongestionAlgorithm } from '../recovery/congestion/congestion-controller.js';
import { clientConnectionFactory } from './connection-factory.js';
import type { QuicConnectionHandle } from './connection-handle.js';
import { QuicEndpointError } from './errors.js';
import { UdpEndpoint, type UdpEndpointOptions } from './udp-endpoint.js';

export interface QuicConnectOptions {
  host: string;
  port: number;
  /** ALPN protocols to offer (RFC 9001 §8.1: mandatory). */
  alpn: string[];
  /** SNI and the name the certificate must match; default `host` when it is a name (RFC 6066 §3). */
  serverName?: string;
  /** Trusted CAs (PEM); default Node's root certificates. */
  ca?: Array<string | Uint8Array>;
  /** Skip certificate chain and name verification (tests only). */
  insecure?: boolean;
  /** Client certificate chain and key (PEM) for mutual TLS. */
  cert?: string | Uint8Array;
  key?: string;
  /** A ticket from an earlier connection's 'session-ticket' event: resumption (RFC 8446 §2.2). */
  sessionTicket?: SessionTicket;
  /** With sessionTicket: send 0-RTT data (RFC 9001 §4.6.1). */
  enableEarlyData?: boolean;
  /** A NEW_TOKEN token from an earlier connection's 'new-token' event (RFC 9000 §8.1.3). */
  token?: Uint8Array;
  idleTimeoutMs?: number;
  /** Give up a handshake after this long (ms). */
  handshakeTimeoutMs?: number;
  /** Send PINGs after this much idle time (ms) to keep NAT bindings alive; 0 = off. */
  keepAliveIntervalMs?: number;
  congestionControl?: CongestionAlgorithm;
  transport?: Partial<LocalTransportSettings>;
  limits?: Partial<ConnectionLimits>;
  /** TLS key log lines (NSS format); default: appended to $SSLKEYLOGFILE when set. */
  keylog?: (line: string) => void;
  /**
   * Default true: resolve once the handshake completes. false: resolve as soon as the connection is
   * started, so streams opened with `{ early: true }` can carry 0-RTT data (with a sessionTicket and
   * enableEarlyData); the handle's `ready` then tells when the handshake is done.
   */
  waitForHandshake?: boolean;
  /** Called for each session ticket (also the handle's 'session-ticket' event, which may come before connect resolves). */
  onSessionTicket?: (ticket: SessionTicket) => void;
  /** Called for each NEW_TOKEN token (also the handle's 'new-token' event). */
  onNewToken?: (token: Uint8Array) => void;
}

/** A client endpoint: one UDP socket shared by the connections it makes. */
export class QuicClient {
  private constructor(readonly endpoint: UdpEndpoint) {}

  /**
   * Binds a client socket on host:port (default 0.0.0.0 and an OS-chosen port). The socket's family
   * decides which servers it reaches: bind '::' (or an IPv6 address) for IPv6 servers.
   */
  static async create(options: { host?: string; port?: number; endpoint?: Omit<UdpEndpointOptions, 'server'> } = {}): Promise<QuicClient> {
    return new QuicClient(await UdpEndpoint.open(options.host ?? '0.0.0.0', options.port ?? 0, options.endpoint ?? {}));
  }

  /**
   * Connects and resolves once the handshake completes (the handle's 'session-ticket' and 'new-token'
   * events may follow). Rejects with QuicConnectionClosedError when the handshake fails.
   */
  async connect(options: QuicConnectOptions): Promise<QuicConnectionHandle> {
    const address = await resolve(options.host, this.endpoint.address().family === 'IPv6' ? 6 : 4);
    const handle = this.endpoint.connect(address, options.port, clientConnectionFactory(clientTls(options), connectionSettings(options)));
    attachCallbacks(handle, options);
    if (options.waitForHandshake !== false) await handle.ready;
    return handle;
  }

  close(options: { code?: number; reason?: string; graceMs?: number } = {}): Promise<void> {
    return this.endpoint.close(options);
  }
}

/**
 * One connection on its own UDP socket (bound to the wildcard address of the server's family); the
 * socket is closed when the connection closes. Resolves after the handshake.
 */
export async function connectQuic(options: QuicConnectOptions, endpointOptions?: Omit<UdpEndpointOptions, 'server'>): Promise<QuicConnectionHandle>;
/** connectQuic(host, port, { alpn, serverName, ca, insecure, sessionTicket, token, ... }). */
export async function connectQuic(host: string, port: number, options: Omit<QuicConnectOptions, 'host' | 'port'>, endpointOptions?: Omit<UdpEndpointOptions, 'server'>): Promise<QuicConnectionHandle>;
export async function connectQuic(
  first: QuicConnectOptions | string,
  second?: number | Omit<UdpEndpointOptions, 'server'>,
  third?: Omit<QuicConnectOptions, 'host' | 'port'>,
  fourth?: Omit<UdpEndpointOptions, 'server'>,
): Promise<QuicConnectionHandle> {
  if (typeof first === 'string') {
    if (typeof second !== 'number' || third === undefined) throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', 'connectQuic(host, port, options) needs a port and options');
    return connectOne({ ...third, host: first, port: second }, fourth ?? {});
  }
  return connectOne(first, typeof second === 'object' ? second : {});
}

async function connectOne(options: QuicConnectOptions, endpointOptions: Omit<UdpEndpointOptions, 'server'>): Promise<QuicConnectionHandle> {
  const address = await resolve(options.host);
  // The socket is this connection's alone and is closed with it: no closing period (UdpEndpointOptions.endClosingEarly).
  const endpoint = await UdpEndpoint.open(isIP(address) === 6 ? '::' : '0.0.0.0', 0, { endClosingEarly: true, ...endpointOptions });
  let handle: QuicConnectionHandle;
  try {
    handle = endpoint.connect(address, options.port, clientConnectionFactory(clientTls(options), connectionSettings(options)));
    attachCallbacks(handle, options);
  } catch (e) {
    await endpoint.close({ graceMs: 0 });
    throw e;
  }
  void handle.closed.then(() => endpoint.close({ graceMs: 0 }));
  if (options.waitForHandshake !== false) await handle.ready;
  return handle;
}

function attachCallbacks(handle: QuicConnectionHandle, o: QuicConnectOptions): void {
  const onTicket = o.onSessionTicket;
  if (onTicket !== undefined) handle.on('session-ticket', (t) => onTicket(t as SessionTicket));
  const onToken = o.onNewToken;
  if (onToken !== undefined) handle.on('new-token', (t) => onToken(t));
}

async function resolve(host: string, family?: 4 | 6): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return bare;
  try {
    return (await lookup(bare, family !== undefined ? { family } : {})).address;
  } catch (e) {
    throw new QuicEndpointError('ERR_QUIC_LOOKUP', `cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function clientTls(o: QuicConnectOptions): ClientTlsSettings {
  const tls: ClientTlsSettings = {};
  const bare = o.host.startsWith('[') ? o.host.slice(1, -1) : o.host;
  // The TLS engine leaves IP literals out of SNI (RFC 6066 §3) and checks them against the IP SANs.
  tls.serverName = o.serverName ?? bare;
  if (o.ca !== undefined) tls.ca = o.ca;
  if (o.insecure === true) tls.insecure = true;
  if (o.cert !== undefined) tls.certificateChain = typeof o.cert === 'string' ? o.cert : Buffer.from(o.cert).toString('utf8');
  if (o.key !== undefined) tls.privateKey = o.key;
  if (o.sessionTicket !== undefined) tls.session = o.sessionTicket;
  if (o.enableEarlyData === true) tls.enableEarlyData = true;
  return tls;
}

function connectionSettings(o: QuicConnectOptions) {
  const transport: Partial<LocalTransportSettings> = { ...o.transport };
  if (o.idleTimeoutMs !== undefined) transport.maxIdleTimeout = o.idleTimeoutMs;
  const limits: Partial<ConnectionLimits> = { ...o.limits };
  if (o.handshakeTimeoutMs !== undefined) limits.handshakeTimeoutMs = o.handshakeTimeoutMs;
  if (o.keepAliveIntervalMs !== undefined) limits.keepAliveIntervalMs = o.keepAliveIntervalMs;
  if (o.congestionControl !== undefined) limits.congestionControl = o.congestionControl;
  const keylog = o.keylog ?? keyLoggerFromEnv();
  return { alpn: o.alpn, transport, limits, ...(keylog !== undefined ? { keylog } : {}), ...(o.token !== undefined ? { token: o.token } : {}) };
}
