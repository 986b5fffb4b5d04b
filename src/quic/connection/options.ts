// Options of a QuicConnection, their defaults, and the transport parameters they turn into
// (RFC 9000 §18.2). Every limit the connection enforces is named here; nothing is a literal in the code.
import { randomBytes } from 'node:crypto';
import type { CongestionAlgorithm } from '../recovery/congestion/congestion-controller.js';
import type { TlsClientOptions, TlsServerOptions } from '../tls/types.js';
import type { TransportParameters } from '../wire/transport-parameters.js';
import type { PathAddress } from './api.js';

/** The transport parameters we advertise (RFC 9000 §18.2); connection IDs and tokens are added by the connection. */
export interface LocalTransportSettings {
  /** max_idle_timeout, ms; 0 disables our side of the idle timeout (RFC 9000 §10.1). */
  maxIdleTimeout: number;
  /** max_udp_payload_size we accept. */
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  ackDelayExponent: number;
  /** max_ack_delay, ms: how long we may delay an ACK of 1-RTT packets (RFC 9000 §13.2.1). */
  maxAckDelay: number;
  disableActiveMigration: boolean;
  activeConnectionIdLimit: number;
  /** RFC 9221 §3: undefined = we do not accept DATAGRAM frames. */
  maxDatagramFrameSize?: number;
  /**
   * draft-banks-quic-disable-encryption: offer to run 1-RTT packets without packet protection. Takes
   * effect only when the peer offers it too; the handshake stays protected. Only for paths both ends trust
   * completely (a data-centre network, loopback): anyone on the path can then read and alter the traffic.
   */
  disable1RttEncryption?: boolean;
}

export const DEFAULT_TRANSPORT_SETTINGS: Readonly<LocalTransportSettings> = Object.freeze({
  maxIdleTimeout: 30_000,
  maxUdpPayloadSize: 65527,
  initialMaxData: 1024 * 1024,
  initialMaxStreamDataBidiLocal: 256 * 1024,
  initialMaxStreamDataBidiRemote: 256 * 1024,
  initialMaxStreamDataUni: 256 * 1024,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 100,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  disableActiveMigration: false,
  activeConnectionIdLimit: 4,
});

/** Limits and behaviour of the connection itself (not advertised to the peer). */
export interface ConnectionLimits {
  /** Largest UDP payload we send before a path proves more (RFC 9000 §14: at least 1200). */
  maxDatagramSize: number;
  /** Length of the connection IDs we issue (RFC 9000 §5.1); 1..20. */
  connectionIdLength: number;
  /** Give up a handshake that has not completed after this long (ms); closes with cause 'handshake-timeout'. */
  handshakeTimeoutMs: number;
  /** Send a PING after this much idle time (ms) to keep the connection (and NAT bindings) alive; 0 = off. */
  keepAliveIntervalMs: number;
  /** Initiate a 1-RTT key update after this many packets sent in one key phase (RFC 9001 §6); 0 = only at the AEAD limit. */
  keyUpdateIntervalPackets: number;
  /** Fraction of the AEAD confidentiality limit (RFC 9001 §6.6) at which a key update is initiated. */
  keyUpdateLimitFraction: number;
  /** CRYPTO data buffered beyond the read offset per encryption level (RFC 9000 §7.5: at least 4096). */
  maxCryptoBuffer: number;
  /** Packets that arrive before their keys and are kept for later (RFC 9001 §5.7). */
  maxUndecryptablePackets: number;
  /** Datagrams queued by sendDatagram() and not yet sent (RFC 9221). */
  maxQueuedDatagrams: number;
  /** Received DATAGRAMs waiting in the event queue for pollEvent(); more are dropped (RFC 9221 §5). */
  maxReceivedDatagramsQueued: number;
  /** Per-stream send buffer high-water mark: streamWrite accepts no more beyond it. */
  streamSendHighWaterMark: number;
  /**
   * Stream writes up to a quarter of this size are copied into a per-stream buffer of this size and
   * handed to the stream layer as one chunk before the next datagram is built; 0 = off.
   */
  writeCoalescingBytes: number;
  /** How long a path challenge waits for its response before the path is abandoned, in PTOs (RFC 9000 §8.2.4). */
  pathValidationPtos: number;
  /** Initial RTT estimate (RFC 9002 §6.2.2), ms. */
  initialRttMs: number;
  congestionControl: CongestionAlgorithm;
  /** Path MTU discovery (RFC 8899, RFC 9000 §14.3): probe datagrams above maxDatagramSize after the handshake. */
  pmtuDiscovery: boolean;
  /**
   * The largest datagram PMTU discovery tries (also capped by the peer's max_udp_payload_size). 1452
   * suits IPv4/IPv6 over Ethernet behind PPPoE-style overhead; up to 65527 for loopback.
   */
  pmtuMaxDatagramSize: number;
  /** RFC 8899 §5.1.2 MAX_PROBES: lost probes of one size before it is taken as too large. */
  pmtuMaxProbes: number;
  /** RFC 8899 §5.1.1 PMTU_RAISE_TIMER: after a completed search, look for a larger MTU this much later (ms). */
  pmtuRaiseIntervalMs: number;
  /** Pace sending at 1.25 x cwnd / RTT (RFC 9002 §7.7). */
  pacing: boolean;
  /** Skip a 1-RTT packet number now and then, to catch optimistic ACKs (RFC 9000 §21.4; packet-number-skipper.ts). */
  skipPacketNumbers: boolean;
  /**
   * The latency spin bit (RFC 9000 §17.4; spin-bit.ts), which lets on-path observers measure the RTT. Even
   * when allowed it is off on a random one in 16 paths, as the RFC requires; false turns it off for this
   * connection (random bits instead).
   */
  spinBit: boolean;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  maxDatagramSize: 1200,
  connectionIdLength: 8,
  handshakeTimeoutMs: 10_000,
  keepAliveIntervalMs: 0,
  keyUpdateIntervalPackets: 0,
  keyUpdateLimitFraction: 0.9,
  maxCryptoBuffer: 64 * 1024,
  maxUndecryptablePackets: 16,
  maxQueuedDatagrams: 64,
  maxReceivedDatagramsQueued: 256,
  streamSendHighWaterMark: 1024 * 1024,
  writeCoalescingBytes: 16 * 1024,
  pathValidationPtos: 3,
  initialRttMs: 333,
  congestionControl: 'cubic',
  pmtuDiscovery: true,
  pmtuMaxDatagramSize: 1452,
  pmtuMaxProbes: 3,
  pmtuRaiseIntervalMs: 600_000,
  pacing: true,
  skipPacketNumbers: true,
  spinBit: true,
});

export interface QuicConnectionCommonOptions {
  /** ALPN protocols in preference order (RFC 9001 §8.1: mandatory). */
  alpn: string[];
  /** Injectable randomness (connection IDs, path challenges, TLS); default crypto.randomBytes. */
  random?: (n: number) => Uint8Array;
  /** Secret used to derive stateless reset tokens for our connection IDs (RFC 9000 §10.3.2); >= 32 bytes. */
  statelessResetKey?: Uint8Array;
  transport?: Partial<LocalTransportSettings>;
  limits?: Partial<ConnectionLimits>;
  /** Local address the connection starts on, as the endpoint sees it. */
  path: PathAddress;
  /** Our first Source Connection ID; default random of limits.connectionIdLength bytes. */
  localConnectionId?: Uint8Array;
  /** Wall clock for the TLS engine (certificate validity, ticket ages); default Date.now. */
  clock?: () => number;
  keylog?: (line: string) => void;
}

/** TLS settings the connection passes to its TLS client engine. */
export type ClientTlsSettings = Omit<TlsClientOptions, 'mode' | 'alpn' | 'transportParameters' | 'random' | 'now' | 'keylog'>;
/** TLS settings the connection passes to its TLS server engine. */
export type ServerTlsSettings = Omit<TlsServerOptions, 'mode' | 'alpn' | 'transportParameters' | 'random' | 'now' | 'keylog' | 'earlyDataContext'>;

export interface QuicClientOptions extends QuicConnectionCommonOptions {
  tls: ClientTlsSettings;
  /** The Destination Connection ID of the first Initial (RFC 9000 §7.2: at least 8 random bytes); default random. */
  initialDestinationConnectionId?: Uint8Array;
  /** A NEW_TOKEN token from an earlier connection (RFC 9000 §8.1.3). */
  token?: Uint8Array;
}

export interface QuicServerOptions extends QuicConnectionCommonOptions {
  tls: ServerTlsSettings;
  /**
   * The Destination Connection ID of the client's very first Initial (before any Retry); the server
   * echoes it in original_destination_connection_id (RFC 9000 §7.3). Default: the DCID of the first
   * Initial this connection receives.
   */
  originalDestinationConnectionId?: Uint8Array;
  /** The Source Connection ID of the Retry the endpoint sent, when it sent one (RFC 9000 §7.3). */
  retrySourceConnectionId?: Uint8Array;
  /** The client's address is already validated (Retry or NEW_TOKEN token, RFC 9000 §8.1.2-8.1.3). */
  addressValidated?: boolean;
  /**
   * Produces an address-validation token for the client at `peerAddress` ("ip:port"), sent in a
   * NEW_TOKEN frame once the handshake is confirmed (RFC 9000 §8.1.3). The endpoint seals it; the
   * connection only carries it. Without this option no NEW_TOKEN is sent; an empty token or one over
   * 1024 bytes is not sent either. An exception closes the connection with INTERNAL_ERROR.
   */
  newToken?: (peerAddress: string) => Uint8Array;
}

export interface ResolvedOptions {
  role: 'client' | 'server';
  alpn: string[];
  random: (n: number) => Uint8Array;
  statelessResetKey: Uint8Array;
  transport: LocalTransportSettings;
  limits: ConnectionLimits;
  clock: () => number;
  keylog?: (line: string) => void;
}

/** RFC 9000 §14: no QUIC endpoint may use a maximum datagram size below 1200 bytes. */
export const MIN_DATAGRAM_SIZE = 1200;
/** RFC 9000 §18.2: max_udp_payload_size values above 65527 are invalid; no datagram is larger. */
export const MAX_UDP_PAYLOAD_SIZE = 65527;
/** RFC 9000 §7.5: an endpoint must buffer at least 4096 bytes of out-of-order CRYPTO data. */
export const MIN_CRYPTO_BUFFER = 4096;
/** RFC 10.3.2: the stateless reset key size we generate. */
const STATELESS_RESET_KEY_BYTES = 32;

export class ConnectionOptionsError extends Error {
  readonly code = 'ERR_QUIC_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionOptionsError';
  }
}

export function resolveOptions(role: 'client' | 'server', o: QuicConnectionCommonOptions): ResolvedOptions {
  const random = o.random ?? ((n: number): Uint8Array => randomBytes(n));
  const transport: LocalTransportSettings = { ...DEFAULT_TRANSPORT_SETTINGS, ...o.transport };
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...o.limits };
  if (o.alpn.length === 0) throw new ConnectionOptionsError('at least one ALPN protocol is required (RFC 9001 §8.1)');
  if (limits.maxDatagramSize < MIN_DATAGRAM_SIZE) throw new ConnectionOptionsError(`maxDatagramSize must be at least ${MIN_DATAGRAM_SIZE}`);
  if (!Number.isSafeInteger(limits.maxDatagramSize) || limits.maxDatagramSize > MAX_UDP_PAYLOAD_SIZE) {
    throw new ConnectionOptionsError(`maxDatagramSize must be an integer of at most ${MAX_UDP_PAYLOAD_SIZE}`);
  }
  if (!Number.isSafeInteger(limits.pmtuMaxDatagramSize) || limits.pmtuMaxDatagramSize < MIN_DATAGRAM_SIZE || limits.pmtuMaxDatagramSize > MAX_UDP_PAYLOAD_SIZE) {
    throw new ConnectionOptionsError(`pmtuMaxDatagramSize must be an integer in ${MIN_DATAGRAM_SIZE}..${MAX_UDP_PAYLOAD_SIZE}`);
  }
  if (!Number.isSafeInteger(limits.pmtuMaxProbes) || limits.pmtuMaxProbes < 1) throw new ConnectionOptionsError('pmtuMaxProbes must be a positive integer');
  if (!(limits.pmtuRaiseIntervalMs > 0)) throw new ConnectionOptionsError('pmtuRaiseIntervalMs must be positive');
  if (!Number.isSafeInteger(limits.writeCoalescingBytes) || limits.writeCoalescingBytes < 0) {
    throw new ConnectionOptionsError('writeCoalescingBytes must be a non-negative integer');
  }
  if (limits.connectionIdLength < 1 || limits.connectionIdLength > 20) throw new ConnectionOptionsError('connectionIdLength must be 1..20');
  if (limits.maxCryptoBuffer < MIN_CRYPTO_BUFFER) throw new ConnectionOptionsError(`maxCryptoBuffer must be at least ${MIN_CRYPTO_BUFFER}`);
  if (!(limits.keyUpdateLimitFraction > 0 && limits.keyUpdateLimitFraction <= 1)) throw new ConnectionOptionsError('keyUpdateLimitFraction must be in (0, 1]');
  const statelessResetKey = o.statelessResetKey ?? random(STATELESS_RESET_KEY_BYTES);
  if (statelessResetKey.length < STATELESS_RESET_KEY_BYTES) throw new ConnectionOptionsError('statelessResetKey must be at least 32 bytes');
  const resolved: ResolvedOptions = { role, alpn: o.alpn, random, statelessResetKey, transport, limits, clock: o.clock ?? Date.now };
  if (o.keylog !== undefined) resolved.keylog = o.keylog;
  return resolved;
}

/** Our transport parameters without the connection IDs (RFC 9000 §18.2). */
export function localTransportParameters(t: LocalTransportSettings): Partial<TransportParameters> {
  const p: Partial<TransportParameters> = {
    maxIdleTimeout: t.maxIdleTimeout,
    maxUdpPayloadSize: t.maxUdpPayloadSize,
    initialMaxData: t.initialMaxData,
    initialMaxStreamDataBidiLocal: t.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: t.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: t.initialMaxStreamDataUni,
    initialMaxStreamsBidi: t.initialMaxStreamsBidi,
    initialMaxStreamsUni: t.initialMaxStreamsUni,
    ackDelayExponent: t.ackDelayExponent,
    maxAckDelay: t.maxAckDelay,
    disableActiveMigration: t.disableActiveMigration,
    activeConnectionIdLimit: t.activeConnectionIdLimit,
  };
  if (t.maxDatagramFrameSize !== undefined) p.maxDatagramFrameSize = t.maxDatagramFrameSize;
  if (t.disable1RttEncryption === true) p.disable1RttEncryption = true;
  return p;
}
