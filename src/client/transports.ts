// The transport registry: how a URL scheme turns into the byte stream MQTT.js speaks over.
//
// MQTT.js is the protocol engine; it only needs a Duplex (its "stream builder"). Each scheme maps to a
// factory that opens one, so a new transport (QUIC: `quic://host:14567`, one bidirectional stream with
// ALPN "mqtt") plugs in with `registerTransport('quic', factory, { defaultPort: 14567, secure: true })`
// and every client feature (CLI included) works over it unchanged. The built-in transports below are
// registered the same way.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocket, createWebSocketStream } from 'ws';
import { MqttClientError } from './errors.js';

/** TLS settings after option resolution: files already read, verification explicit. */
export interface TransportTlsOptions {
  /** Trusted CAs (PEM). Undefined means Node's default (Mozilla) CA store. */
  ca: Buffer[] | undefined;
  /** Client certificate chain and key (PEM) for mutual TLS. */
  cert: Buffer | undefined;
  key: Buffer | undefined;
  /** Name sent in SNI and checked against the certificate; defaults to the host when it is a name. */
  servername: string | undefined;
  /** False only when the user explicitly chose `insecure`. */
  rejectUnauthorized: boolean;
  minVersion: SecureVersion | undefined;
  maxVersion: SecureVersion | undefined;
  /** ALPN protocol names to offer (QUIC MQTT uses "mqtt"). */
  alpnProtocols: string[] | undefined;
}

export interface TransportConnectOptions {
  /** Lower-case scheme the transport was chosen by ("mqtt", "mqtts", "ws", "quic"...). */
  scheme: string;
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  /** URL path ("/mqtt"); meaningful for WebSocket. */
  path: string;
  /** 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
  protocolVersion: 3 | 4 | 5;
  tls: TransportTlsOptions;
  /** Free-form settings for custom transports (`ConnectOptions.transportOptions`). */
  transportOptions: Readonly<Record<string, unknown>>;
}

/**
 * Opens a connection and returns its byte stream at once (MQTT.js writes CONNECT immediately; the stream
 * must buffer until connected). Failures are emitted as 'error' on the stream, never thrown later.
 */
export type TransportFactory = (options: TransportConnectOptions) => Duplex;

export interface TransportInfo {
  /** Port used when the URL has none. */
  defaultPort: number;
  /** Whether the transport encrypts (TLS options apply, `insecure` is meaningful). */
  secure: boolean;
}

export interface RegisteredTransport extends TransportInfo {
  scheme: string;
  connect: TransportFactory;
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
const SCHEME_SYNTAX = /^[a-z][a-z0-9+.-]*$/;

const registry = new Map<string, RegisteredTransport>();

/**
 * Registers (or replaces) the transport for a URL scheme. Schemes are case-insensitive (RFC 3986 §3.1).
 * Returns a function that removes this registration again (a no-op if it was replaced since).
 */
export function registerTransport(
  scheme: string,
  connect: TransportFactory,
  info: Partial<TransportInfo> = {},
): () => void {
  const key = scheme.toLowerCase();
  if (!SCHEME_SYNTAX.test(key)) {
    throw new MqttClientError('ERR_INVALID_OPTION', `Invalid URL scheme "${scheme}" (RFC 3986 §3.1 syntax)`);
  }
  const defaultPort = info.defaultPort ?? 0;
  if (!Number.isInteger(defaultPort) || defaultPort < 0 || defaultPort > 65535) {
    throw new MqttClientError('ERR_INVALID_OPTION', `Invalid default port ${defaultPort} for scheme "${key}"`);
  }
  const entry: RegisteredTransport = { scheme: key, connect, defaultPort, secure: info.secure ?? false };
  registry.set(key, entry);
  return () => {
    if (registry.get(key) === entry) registry.delete(key);
  };
}

/** The transport for a scheme, or undefined. */
export function findTransport(scheme: string): RegisteredTransport | undefined {
  return registry.get(scheme.toLowerCase());
}

/** Registered schemes, sorted (for help texts and error messages). */
export function registeredSchemes(): string[] {
  return [...registry.keys()].sort();
}

/** The TLS security settings in node:tls form (also accepted by `ws` for wss://). */
export function tlsSecurityOptions(o: TransportConnectOptions): ConnectionOptions {
  const t = o.tls;
  return {
    // RFC 6066 §3: SNI carries host names only, never IP literals.
    servername: t.servername ?? (isIpLiteral(o.host) ? undefined : o.host),
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    rejectUnauthorized: t.rejectUnauthorized,
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ALPNProtocols: t.alpnProtocols,
  };
}

function tlsConnectionOptions(o: TransportConnectOptions): ConnectionOptions {
  return { host: o.host, port: o.port, ...tlsSecurityOptions(o) };
}

function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(':');
}

/** MQTT over TCP (MQTT 5.0 §4.2: IANA port 1883). */
export const tcpTransport: TransportFactory = (o) => {
  const socket = netConnect({ host: o.host, port: o.port });
  // MQTT packets are small and latency-bound: do not let Nagle hold them back.
  socket.setNoDelay(true);
  return socket;
};

/** MQTT over TLS (MQTT 5.0 §4.2: IANA port 8883). Node verifies chain and host name before 'secureConnect'. */
export const tlsTransport: TransportFactory = (o) => {
  const socket = tlsConnect(tlsConnectionOptions(o));
  socket.setNoDelay(true);
  return socket;
};

/** MQTT over WebSocket (MQTT 5.0 §6): binary frames, subprotocol "mqtt" ("mqttv3.1" for MQTT 3.1). */
export const webSocketTransport: TransportFactory = (o) => {
  const secure = o.scheme === 'wss';
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${secure ? 'wss' : 'ws'}://${host}:${o.port}${o.path || '/'}`;
  // MQTT 5.0 §6.0: the client MUST include "mqtt" in the list of WebSocket sub-protocols it offers.
  const subprotocol = o.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt';
  const socket = new WebSocket(url, [subprotocol], secure ? tlsSecurityOptions(o) : {});
  return createWebSocketStream(socket);
};

registerTransport('mqtt', tcpTransport, { defaultPort: 1883, secure: false });
registerTransport('tcp', tcpTransport, { defaultPort: 1883, secure: false });
registerTransport('mqtts', tlsTransport, { defaultPort: 8883, secure: true });
registerTransport('ssl', tlsTransport, { defaultPort: 8883, secure: true });
registerTransport('tls', tlsTransport, { defaultPort: 8883, secure: true });
registerTransport('ws', webSocketTransport, { defaultPort: 80, secure: false });
registerTransport('wss', webSocketTransport, { defaultPort: 443, secure: true });

/**
 * An MQTT.js stream builder over a registered transport, for code that drives MQTT.js directly:
 * `new MqttClient(mqttJsStreamBuilder(resolveOptions(url)), mqttJsOptions)`. Throws ERR_UNKNOWN_SCHEME.
 */
export function mqttJsStreamBuilder(options: TransportConnectOptions): () => Duplex {
  const transport = findTransport(options.scheme);
  if (transport === undefined) {
    throw new MqttClientError('ERR_UNKNOWN_SCHEME', `No transport for "${options.scheme}://" (registered: ${registeredSchemes().join(', ')})`);
  }
  return () => transport.connect(options);
}
