// Client options: what applications and the CLI pass to connect(), and their validation/resolution into
// the settings a transport and the MQTT engine need. Nothing here opens a connection.
import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import type { IConnectPacket, IPublishPacket, QoS, UserProperties } from 'mqtt-packet';
import { MqttClientError } from './errors.js';
import { findTransport, registeredSchemes, type RegisteredTransport, type TransportTlsOptions } from './transports.js';

export type { QoS, UserProperties };
/** MQTT 5.0 §3.3.2.3 PUBLISH properties. */
export type PublishProperties = NonNullable<IPublishPacket['properties']>;
/** MQTT 5.0 §3.1.2.11 CONNECT properties (session expiry has its own option). */
export type ConnectProperties = Omit<NonNullable<IConnectPacket['properties']>, 'sessionExpiryInterval'>;
/** MQTT 5.0 §3.1.3.2 Will properties. */
export type WillProperties = NonNullable<NonNullable<IConnectPacket['will']>['properties']>;

/** 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

export interface WillOptions {
  topic: string;
  payload?: string | Uint8Array;
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5 only: will delay interval, message expiry, content type, user properties... */
  properties?: WillProperties;
}

export interface TlsOptions {
  /** Trusted CA certificates (PEM text or bytes); replaces the system store. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Path of a PEM file with trusted CA certificates. */
  caFile?: string;
  /** Client certificate (chain) for mutual TLS, PEM. */
  cert?: string | Uint8Array;
  certFile?: string;
  /** Client private key, PEM. */
  key?: string | Uint8Array;
  keyFile?: string;
  /** Host name for SNI and certificate verification when it differs from the connect host. */
  servername?: string;
  /**
   * Skip server certificate verification (chain and host name). Off by default; the only way to turn
   * verification off, so it is always a visible choice.
   */
  insecure?: boolean;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** ALPN protocol names to offer. */
  alpnProtocols?: string[];
}

export interface ConnectOptions {
  /** Broker URL: mqtt://, mqtts://, ws://, wss://, or any scheme added with registerTransport(). */
  url?: string;
  /** Used when there is no url (default "mqtt"). */
  scheme?: string;
  /** Default "localhost". */
  host?: string;
  /** Default: the scheme's port (1883, 8883, 80, 443...). */
  port?: number;
  /** WebSocket path (default "/"). */
  path?: string;
  /** Default 4 (MQTT 3.1.1), as mosquitto_pub/sub. */
  protocolVersion?: ProtocolVersion;
  /** Empty or absent: the broker assigns one (MQTT 5.0 §3.1.3.1; MQTT 3.1.1 needs cleanStart then). */
  clientId?: string;
  /** MQTT 5.0 §3.1.2.4 Clean Start / MQTT 3.1.1 §3.1.2.4 Clean Session. Default true. */
  cleanStart?: boolean;
  /** MQTT 5.0 §3.1.2.11.2, seconds; 0xFFFFFFFF = never expires. MQTT 5 only. */
  sessionExpiryInterval?: number;
  /** MQTT 5.0 §3.1.2.10, seconds, 0 disables. Default 60. */
  keepalive?: number;
  username?: string;
  password?: string | Uint8Array;
  will?: WillOptions;
  /** User properties sent in CONNECT (MQTT 5 only). */
  userProperties?: UserProperties;
  /** Other CONNECT properties (MQTT 5 only): receive maximum, maximum packet size, ... */
  connectProperties?: ConnectProperties;
  tls?: TlsOptions;
  /** Time allowed for the transport plus CONNACK. Default 30 s. */
  connectTimeoutMs?: number;
  /**
   * Reconnect after a lost connection every this many ms (resubscribing, resending unacknowledged QoS 1/2);
   * 0 (default) never reconnects. The first connection is not retried: connect() reports its failure.
   */
  reconnectPeriodMs?: number;
  /**
   * Messages buffered for messages() iterators before the client stops reading from the connection
   * (backpressure instead of unbounded memory). Default 1000.
   */
  messageBufferSize?: number;
  /** Settings passed through to a custom transport. */
  transportOptions?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_KEEPALIVE_SECONDS = 60;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_MESSAGE_BUFFER_SIZE = 1000;
/** MQTT 5.0 §3.1.2.11.2: 0xFFFFFFFF means the session does not expire. */
export const SESSION_NEVER_EXPIRES = 0xffffffff;
const MAX_KEEPALIVE_SECONDS = 0xffff; // MQTT 5.0 §3.1.2.10: Two Byte Integer

/** Options after validation: every default applied, files read, URL split. */
export interface ResolvedOptions {
  transport: RegisteredTransport;
  scheme: string;
  host: string;
  port: number;
  path: string;
  protocolVersion: ProtocolVersion;
  clientId: string;
  cleanStart: boolean;
  sessionExpiryInterval: number | undefined;
  keepalive: number;
  username: string | undefined;
  password: Buffer | undefined;
  will: WillOptions | undefined;
  userProperties: UserProperties | undefined;
  connectProperties: ConnectProperties | undefined;
  tls: TransportTlsOptions;
  connectTimeoutMs: number;
  reconnectPeriodMs: number;
  messageBufferSize: number;
  transportOptions: Readonly<Record<string, unknown>>;
}

function invalid(message: string): MqttClientError {
  return new MqttClientError('ERR_INVALID_OPTION', message);
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function readPemFile(kind: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new MqttClientError('ERR_FILE', `Cannot read ${kind} file "${path}" (${code})`, { cause: err });
  }
}

function toBuffer(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function resolveTls(tls: TlsOptions = {}): TransportTlsOptions {
  let ca: Buffer[] | undefined;
  if (tls.ca !== undefined) ca = (Array.isArray(tls.ca) ? tls.ca : [tls.ca]).map(toBuffer);
  if (tls.caFile !== undefined) ca = [...(ca ?? []), readPemFile('CA', tls.caFile)];
  const cert = tls.certFile !== undefined ? readPemFile('certificate', tls.certFile) : tls.cert === undefined ? undefined : toBuffer(tls.cert);
  const key = tls.keyFile !== undefined ? readPemFile('key', tls.keyFile) : tls.key === undefined ? undefined : toBuffer(tls.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw invalid('A client certificate needs its key and a key needs its certificate (tls.cert and tls.key)');
  }
  return {
    ca,
    cert,
    key,
    servername: tls.servername,
    rejectUnauthorized: tls.insecure !== true,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    alpnProtocols: tls.alpnProtocols,
  };
}

/** Splits a broker URL; user name and password in it are percent-decoded (RFC 3986 §3.2.1). */
function parseUrl(url: string): { scheme: string; host: string; port?: number; path: string; username?: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`Invalid broker URL "${url}"`);
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  // WHATWG URL keeps brackets around IPv6 literals; sockets want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid(`Broker URL "${url}" has no host`);
  return {
    scheme,
    host,
    ...(parsed.port === '' ? {} : { port: Number(parsed.port) }),
    path: parsed.pathname === '' ? '/' : parsed.pathname,
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
  };
}

/** Validates options and applies defaults; throws MqttClientError (ERR_INVALID_OPTION, ERR_FILE, ERR_UNKNOWN_SCHEME). */
export function resolveOptions(input: string | ConnectOptions): ResolvedOptions {
  const opts: ConnectOptions = typeof input === 'string' ? { url: input } : input;
  const fromUrl = opts.url !== undefined ? parseUrl(opts.url) : undefined;
  const scheme = (fromUrl?.scheme ?? opts.scheme ?? 'mqtt').toLowerCase();
  const transport = findTransport(scheme);
  if (transport === undefined) {
    throw new MqttClientError(
      'ERR_UNKNOWN_SCHEME',
      `No transport for "${scheme}://" (registered: ${registeredSchemes().join(', ')})`,
    );
  }
  const port = opts.port ?? fromUrl?.port ?? transport.defaultPort;
  checkInteger('port', port, 1, 65535);
  const protocolVersion = opts.protocolVersion ?? 4;
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) {
    throw invalid(`protocolVersion must be 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5 (MQTT 5.0), got ${String(protocolVersion)}`);
  }
  const keepalive = opts.keepalive ?? DEFAULT_KEEPALIVE_SECONDS;
  checkInteger('keepalive', keepalive, 0, MAX_KEEPALIVE_SECONDS);
  checkInteger('sessionExpiryInterval', opts.sessionExpiryInterval, 0, SESSION_NEVER_EXPIRES);
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  checkInteger('connectTimeoutMs', connectTimeoutMs, 1, 0x7fffffff);
  const reconnectPeriodMs = opts.reconnectPeriodMs ?? 0;
  checkInteger('reconnectPeriodMs', reconnectPeriodMs, 0, 0x7fffffff);
  const messageBufferSize = opts.messageBufferSize ?? DEFAULT_MESSAGE_BUFFER_SIZE;
  checkInteger('messageBufferSize', messageBufferSize, 1, 0x7fffffff);

  const v5Only: Array<[string, unknown]> = [
    ['sessionExpiryInterval', opts.sessionExpiryInterval],
    ['userProperties', opts.userProperties],
    ['connectProperties', opts.connectProperties],
    ['will.properties', opts.will?.properties],
  ];
  for (const [name, value] of v5Only) {
    if (value !== undefined && protocolVersion !== 5) throw invalid(`${name} needs MQTT 5 (protocolVersion 5)`);
  }
  const clientId = opts.clientId ?? '';
  const cleanStart = opts.cleanStart ?? true;
  // MQTT 3.1.1 §3.1.3.1: a zero-length client id is only allowed with Clean Session 1 (MQTT 3.1 needs one always).
  if (clientId === '' && (protocolVersion === 3 || (protocolVersion === 4 && !cleanStart))) {
    throw invalid(
      protocolVersion === 3 ? 'MQTT 3.1 needs a client id' : 'MQTT 3.1.1 needs a client id when clean session is off',
    );
  }
  if (opts.will !== undefined) {
    if (opts.will.topic === '' || /[+#]/.test(opts.will.topic)) {
      // MQTT 5.0 §3.1.3.3: the Will Topic is a Topic Name (no wildcards, not empty).
      throw invalid(`Will topic "${opts.will.topic}" must be a non-empty topic name without wildcards`);
    }
    checkInteger('will.qos', opts.will.qos, 0, 2);
  }
  const username = opts.username ?? fromUrl?.username;
  const password = opts.password ?? fromUrl?.password;
  // MQTT 3.1.1 §3.1.2.9: a password without a user name is not allowed (MQTT 5 allows it).
  if (password !== undefined && username === undefined && protocolVersion !== 5) {
    throw invalid('A password needs a user name before MQTT 5');
  }
  return {
    transport,
    scheme,
    host: opts.host ?? fromUrl?.host ?? 'localhost',
    port,
    path: opts.path ?? fromUrl?.path ?? '/',
    protocolVersion,
    clientId,
    cleanStart,
    sessionExpiryInterval: opts.sessionExpiryInterval,
    keepalive,
    username,
    password: password === undefined ? undefined : toBuffer(password),
    will: opts.will,
    userProperties: opts.userProperties,
    connectProperties: opts.connectProperties,
    tls: resolveTls(opts.tls),
    connectTimeoutMs,
    reconnectPeriodMs,
    messageBufferSize,
    transportOptions: opts.transportOptions ?? {},
  };
}
