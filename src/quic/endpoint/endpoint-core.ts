// The sans-IO endpoint (DESIGN.md "endpoint"; quinn-proto's Endpoint is the model): it owns no socket
// and no timer. Datagrams and time go in; datagrams, one timer and events come out.
//
// It routes each datagram by its Destination Connection ID (RFC 9000 §5.2) to a connection, creates
// server connections from new Initial packets (§5.2.2) under connection and handshake limits, answers
// what has no connection with Version Negotiation (§6), Retry (§8.1.2), a stateless CONNECTION_CLOSE
// (§5.2.2, §8.1.2) or a Stateless Reset (§10.3), and keeps its routing table in step with the
// connections' 'cid-issued'/'cid-retired' events. Connections are created by an injected factory, so the
// endpoint only needs the QuicConnectionApi surface. Every queue and table it owns is bounded.
import type { ConnectionEvent, OutgoingDatagram, PathAddress, QuicConnectionApi } from '../connection/api.js';
import { buildStatelessReset, deriveStatelessResetToken, STATELESS_RESET_KEY_LENGTH } from '../crypto/stateless-reset.js';
import { TransportErrorCode } from '../wire/errors.js';
import {
  MAX_CONNECTION_ID_LENGTH,
  MIN_INITIAL_DATAGRAM_SIZE,
  parseInvariantHeader,
  parsePacket,
  QUIC_VERSION_1,
  VERSION_NEGOTIATION_VERSION,
  type InvariantHeader,
  type ParsedLongHeaderPacket,
} from '../wire/header.js';
import { DeadlineQueue } from './deadline-queue.js';
import { RandomPool } from './random-pool.js';
import { QuicEndpointError } from './errors.js';
import { TokenBucket } from './rate-limiter.js';
import { initialClosePacket, statelessResetLength, versionNegotiationPacket } from './stateless-packets.js';
import { validateClientAddress } from './address-validation.js';
import { AddressTokenCodec, type AddressTokenOptions } from './tokens.js';
import { addConnectionStats, closeReasonOf, emptyTotals, type CloseReason, type ConnectionTotals } from './connection-totals.js';

/** RFC 9000 §7.2: a client's first Destination Connection ID is at least 8 unpredictable bytes. */
export const MIN_INITIAL_DCID_LENGTH = 8;
/**
 * Our connection IDs route packets and seed stateless reset tokens (RFC 9000 §10.3.2); 8 random bytes keep
 * collisions negligible and make IDs unguessable by off-path attackers (§5.1, §21.11).
 */
export const MIN_LOCAL_CID_LENGTH = 8;

export const ENDPOINT_CORE_DEFAULTS = Object.freeze({
  connectionIdLength: 8,
  /** Stateless Resets per second and burst (RFC 9000 §10.3.3: limit them). */
  statelessResetsPerSecond: 20,
  statelessResetBurst: 20,
  /** Version Negotiation packets per second and burst (RFC 9000 §5.2.2: servers MAY limit them). */
  versionNegotiationsPerSecond: 50,
  versionNegotiationBurst: 50,
  /** Datagrams the endpoint itself produced (VN, Retry, resets, refusals) and not yet polled. */
  maxPendingDatagrams: 256,
  /** Connections an unroutable short-header datagram is offered to (as a possible Stateless Reset, §10.3.1). */
  maxResetCandidates: 4,
  /** Events a connection may queue for the application between two polls of this endpoint. */
  maxEventsPerService: 4096,
  maxConnections: 10_000,
  maxHandshakes: 1_000,
});

/** What the endpoint decided for a server connection it creates (mirrors connection/options.ts QuicServerOptions). */
export interface ServerConnectionParams {
  path: PathAddress;
  /** Our first Source Connection ID (sequence 0); routed by the endpoint. */
  localConnectionId: Uint8Array;
  /** RFC 9000 §7.3: the DCID of the client's very first Initial (before any Retry). */
  originalDestinationConnectionId: Uint8Array;
  /** RFC 9000 §7.3: the SCID of the Retry we sent, when this connection follows one. */
  retrySourceConnectionId?: Uint8Array;
  /** RFC 9000 §8.1: the client's address was validated by a token (no amplification limit). */
  addressValidated: boolean;
  /** Length of every connection ID this connection issues: the endpoint routes short headers by it. */
  connectionIdLength: number;
  /** RFC 9000 §10.3.2: the key resets tokens are derived from; shared with the endpoint so it can reset lost connections. */
  statelessResetKey: Uint8Array;
  random: (n: number) => Uint8Array;
  /**
   * Seals a NEW_TOKEN token (RFC 9000 §8.1.3) that this endpoint will accept later from the same IP.
   * `now` is wall-clock ms (the token's expiry outlives the process); `peerAddress` ("ip:port") defaults
   * to the address the connection started from, and is the current path's after a migration (§8.1.3:
   * the token is for the address the client will connect from next).
   */
  newToken: (now: number, peerAddress?: string) => Uint8Array;
  now: number;
}

export interface ClientConnectionParams {
  path: PathAddress;
  localConnectionId: Uint8Array;
  /** RFC 9000 §7.2: random, at least 8 bytes. */
  initialDestinationConnectionId: Uint8Array;
  connectionIdLength: number;
  statelessResetKey: Uint8Array;
  random: (n: number) => Uint8Array;
  now: number;
}

export interface EndpointServerOptions {
  createConnection: (params: ServerConnectionParams) => QuicConnectionApi;
  /** Above it, new Initials are refused with CONNECTION_REFUSED (RFC 9000 §5.2.2). */
  maxConnections?: number;
  /** Above it, new Initials are dropped; the client retransmits them (RFC 9002 §6.2) and gets in later. */
  maxHandshakes?: number;
  /** Validate every client address with a Retry before keeping any state (RFC 9000 §8.1.2). */
  retry?: boolean;
  tokens?: AddressTokenOptions;
}

export interface EndpointCoreOptions {
  /** Length of our connection IDs (8..20): short headers carry no length, so it is fixed per endpoint. */
  connectionIdLength?: number;
  /** >= 32 bytes; share it across restarts (or a cluster) so resets still reach old peers. Default random. */
  statelessResetKey?: Uint8Array;
  random?: (n: number) => Uint8Array;
  /** Versions we speak, most preferred first (default QUIC v1). */
  supportedVersions?: readonly number[];
  statelessResetsPerSecond?: number;
  statelessResetBurst?: number;
  versionNegotiationsPerSecond?: number;
  versionNegotiationBurst?: number;
  maxPendingDatagrams?: number;
  maxResetCandidates?: number;
  /** Present on servers: how to accept connections. */
  server?: EndpointServerOptions;
}

/** Why datagrams were dropped or answered statelessly; for logs, metrics and tests. */
export interface EndpointStats {
  datagramsReceived: number;
  routed: number;
  malformedDropped: number;
  /** Long header for no connection that cannot start one (0-RTT, Handshake, or a client endpoint). */
  unroutableDropped: number;
  shortInitialDropped: number;
  shortDcidDropped: number;
  versionNegotiationsSent: number;
  retriesSent: number;
  invalidTokenClosesSent: number;
  refusedConnections: number;
  handshakeLimitDropped: number;
  statelessResetsSent: number;
  /** Stateless responses suppressed by a rate limit or the pending-datagram bound. */
  responsesSuppressed: number;
  offeredAsReset: number;
  connectionsCreated: number;
  connectionFactoryErrors: number;
  /** A connection method threw: a bug in the connection, contained here. */
  connectionFailures: number;
  cidCollisions: number;
  /** 'cid-issued' with an ID not of our fixed length: short headers could never be routed to it. */
  wrongLengthCids: number;
  /** Handshakes that completed, and connections that ended before theirs did (refused, timed out, failed). */
  handshakesCompleted: number;
  handshakesFailed: number;
  /** Handshakes that offered 0-RTT (RFC 9001 §4.6), by the server's answer. */
  earlyDataAccepted: number;
  earlyDataRejected: number;
  /** Connections that ended, by how (closeReasonOf). */
  closes: Record<CloseReason, number>;
}

/** One connection as the endpoint tracks it. `app` is free for the Node shell to attach its handle. */
export class EndpointConnection {
  /** Routing keys (hex connection IDs) pointing at this connection. */
  readonly routes = new Set<string>();
  handshaking = true;
  removed = false;
  /** The client's initial DCID route (servers): dropped once the handshake is confirmed. */
  initialRoute: string | undefined;
  app: unknown;

  constructor(
    readonly id: number,
    readonly connection: QuicConnectionApi,
    readonly incoming: boolean,
    public remote: string,
    readonly local: string,
  ) {}
}

export type EndpointEvent =
  /** A server connection was created from a new Initial. */
  | { type: 'incoming'; connection: EndpointConnection }
  /** An application-facing event of a connection; 'closed' comes last, after it was removed. */
  | { type: 'connection-event'; connection: EndpointConnection; event: ConnectionEvent };

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const FIXED_BIT = 0x40;
const MAX_CID_ATTEMPTS = 8;

export class EndpointCore {
  readonly connectionIdLength: number;
  readonly stats: EndpointStats = {
    datagramsReceived: 0,
    routed: 0,
    malformedDropped: 0,
    unroutableDropped: 0,
    shortInitialDropped: 0,
    shortDcidDropped: 0,
    versionNegotiationsSent: 0,
    retriesSent: 0,
    invalidTokenClosesSent: 0,
    refusedConnections: 0,
    handshakeLimitDropped: 0,
    statelessResetsSent: 0,
    responsesSuppressed: 0,
    offeredAsReset: 0,
    connectionsCreated: 0,
    connectionFactoryErrors: 0,
    connectionFailures: 0,
    cidCollisions: 0,
    wrongLengthCids: 0,
    handshakesCompleted: 0,
    handshakesFailed: 0,
    earlyDataAccepted: 0,
    earlyDataRejected: 0,
    closes: { normal: 0, idle_timeout: 0, handshake_timeout: 0, stateless_reset: 0, transport_error: 0, application_error: 0 },
  };
  /** The counters of connections already gone (see connectionTotals). */
  private readonly closedTotals = emptyTotals();
  private readonly random: (n: number) => Uint8Array;
  private readonly resetKey: Uint8Array;
  private readonly versions: readonly number[];
  private readonly resetLimiter: TokenBucket;
  private readonly vnLimiter: TokenBucket;
  private readonly maxPending: number;
  private readonly maxResetCandidates: number;
  private readonly server: Required<Omit<EndpointServerOptions, 'tokens'>> | undefined;
  private readonly tokens: AddressTokenCodec | undefined;
  private accepting: boolean;

  private readonly routes = new Map<string, EndpointConnection>();
  private readonly byRemote = new Map<string, Set<EndpointConnection>>();
  private readonly connections = new Set<EndpointConnection>();
  private readonly ready = new Set<EndpointConnection>();
  private readonly deadlines = new DeadlineQueue<EndpointConnection>();
  private readonly events: EndpointEvent[] = [];
  private eventHead = 0;
  private pending: OutgoingDatagram[] = [];
  private pendingHead = 0;
  private nextId = 1;
  private handshakes = 0;

  constructor(options: EndpointCoreOptions = {}) {
    const d = ENDPOINT_CORE_DEFAULTS;
    if (options.random !== undefined) this.random = options.random;
    else {
      // One CSPRNG refill per few hundred connection IDs and nonces instead of one call each.
      const pool = new RandomPool();
      this.random = (n) => pool.take(n);
    }
    this.connectionIdLength = options.connectionIdLength ?? d.connectionIdLength;
    if (!Number.isInteger(this.connectionIdLength) || this.connectionIdLength < MIN_LOCAL_CID_LENGTH || this.connectionIdLength > MAX_CONNECTION_ID_LENGTH) {
      throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', `connectionIdLength must be ${MIN_LOCAL_CID_LENGTH}..${MAX_CONNECTION_ID_LENGTH}`);
    }
    this.resetKey = options.statelessResetKey ?? this.random(STATELESS_RESET_KEY_LENGTH);
    if (this.resetKey.length < STATELESS_RESET_KEY_LENGTH) {
      throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', `statelessResetKey must be at least ${STATELESS_RESET_KEY_LENGTH} bytes`);
    }
    this.versions = options.supportedVersions ?? [QUIC_VERSION_1];
    if (this.versions.length === 0) throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', 'supportedVersions is empty');
    this.resetLimiter = new TokenBucket(options.statelessResetsPerSecond ?? d.statelessResetsPerSecond, options.statelessResetBurst ?? d.statelessResetBurst);
    this.vnLimiter = new TokenBucket(options.versionNegotiationsPerSecond ?? d.versionNegotiationsPerSecond, options.versionNegotiationBurst ?? d.versionNegotiationBurst);
    this.maxPending = positiveInteger('maxPendingDatagrams', options.maxPendingDatagrams ?? d.maxPendingDatagrams);
    this.maxResetCandidates = positiveInteger('maxResetCandidates', options.maxResetCandidates ?? d.maxResetCandidates);
    const s = options.server;
    if (s !== undefined) {
      this.server = {
        createConnection: s.createConnection,
        maxConnections: positiveInteger('maxConnections', s.maxConnections ?? d.maxConnections),
        maxHandshakes: positiveInteger('maxHandshakes', s.maxHandshakes ?? d.maxHandshakes),
        retry: s.retry ?? false,
      };
      this.tokens = new AddressTokenCodec({ random: this.random, ...s.tokens });
    }
    this.accepting = s !== undefined;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get handshakeCount(): number {
    return this.handshakes;
  }

  /** Packets, losses, probe timeouts, migrations and key updates of every connection, gone or open: O(open connections). */
  connectionTotals(): ConnectionTotals {
    const t = { ...this.closedTotals };
    for (const entry of this.connections) addConnectionStats(t, entry.connection.stats());
    return t;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Servers: stop creating connections (new Initials are then dropped); existing ones carry on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** The connections currently tracked. */
  allConnections(): EndpointConnection[] {
    return [...this.connections];
  }

  // ------------------------------------------------------------------------------------------------
  // Input

  /** A datagram arrived on `path`. Never throws: whatever it contains ends as routing, an answer or a drop. */
  receive(datagram: Uint8Array, path: PathAddress, now: number): void {
    this.stats.datagramsReceived++;
    let header: InvariantHeader;
    try {
      header = parseInvariantHeader(datagram, this.connectionIdLength);
    } catch {
      this.stats.malformedDropped++;
      return;
    }
    const entry = this.routes.get(hex(header.dcid));
    if (entry !== undefined) {
      this.stats.routed++;
      this.deliver(entry, datagram, path, now);
      return;
    }
    if (header.form === 'short') this.onUnroutableShort(datagram, header, path, now);
    else this.onUnroutableLong(datagram, header, path, now);
  }

  /** Timers of connections that are due. */
  handleTimeout(now: number): void {
    for (const entry of this.deadlines.popDue(now)) {
      if (entry.removed) continue;
      try {
        entry.connection.handleTimeout(now);
      } catch (e) {
        this.fail(entry, e);
        continue;
      }
      this.ready.add(entry);
      this.service(entry);
    }
  }

  /**
   * The application called methods of `entry.connection` (stream writes, close...): collect the events
   * and timer changes that caused and poll it for datagrams.
   */
  wake(entry: EndpointConnection): void {
    if (entry.removed) return;
    this.ready.add(entry);
    this.service(entry);
  }

  /**
   * Ends the closing and draining periods of every connection whose CONNECTION_CLOSE is out (see
   * QuicConnectionApi.endClosingPeriod): for an endpoint about to close its socket. O(connections).
   */
  endClosingPeriods(now: number): void {
    for (const entry of this.connections) {
      const state = entry.connection.state;
      if (state !== 'closing' && state !== 'draining') continue;
      try {
        entry.connection.endClosingPeriod(now);
      } catch (e) {
        this.fail(entry, e);
        continue;
      }
      this.service(entry);
    }
  }

  /** Starts a client connection from `path.local` to `path.remote`; its first datagrams come out of poll(). */
  connect(path: PathAddress, now: number, create: (params: ClientConnectionParams) => QuicConnectionApi): EndpointConnection {
    const localConnectionId = this.newConnectionId();
    const params: ClientConnectionParams = {
      path,
      localConnectionId,
      initialDestinationConnectionId: this.random(Math.max(MIN_INITIAL_DCID_LENGTH, this.connectionIdLength)),
      connectionIdLength: this.connectionIdLength,
      statelessResetKey: this.resetKey,
      random: this.random,
      now,
    };
    const entry = new EndpointConnection(this.nextId++, create(params), false, path.remote, path.local);
    this.add(entry);
    this.route(entry, localConnectionId);
    this.ready.add(entry);
    this.service(entry);
    return entry;
  }

  // ------------------------------------------------------------------------------------------------
  // Output

  /** The next datagram to send: stateless answers first, then connections in turn (one datagram each). */
  poll(now: number): OutgoingDatagram | undefined {
    if (this.pendingHead < this.pending.length) {
      const d = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = undefined as unknown as OutgoingDatagram;
      if (this.pendingHead === this.pending.length) {
        this.pending = [];
        this.pendingHead = 0;
      }
      return d;
    }
    // Each ready connection leaves the set once it has nothing to send; the loop ends when the set is empty.
    for (const entry of this.ready) {
      if (entry.removed) {
        this.ready.delete(entry);
        continue;
      }
      let datagram: OutgoingDatagram | undefined;
      try {
        datagram = entry.connection.poll(now);
      } catch (e) {
        this.fail(entry, e);
        continue;
      }
      if (datagram !== undefined) {
        // Round robin: the connection goes to the back so one busy connection cannot starve the others.
        this.ready.delete(entry);
        this.ready.add(entry);
        return datagram;
      }
      this.ready.delete(entry);
      this.service(entry);
    }
    return undefined;
  }

  /** Earliest connection timer (absolute ms), or undefined. */
  nextTimeout(): number | undefined {
    return this.deadlines.peek();
  }

  /** Whether poll() may return a datagram without any new input. */
  get hasPendingOutput(): boolean {
    return this.pendingHead < this.pending.length || this.ready.size > 0;
  }

  pollEvent(): EndpointEvent | undefined {
    if (this.eventHead >= this.events.length) {
      if (this.events.length > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as EndpointEvent;
    return e;
  }

  // ------------------------------------------------------------------------------------------------
  // Routing

  private deliver(entry: EndpointConnection, datagram: Uint8Array, path: PathAddress, now: number): void {
    try {
      entry.connection.receive(datagram, path, now);
    } catch (e) {
      this.fail(entry, e);
      return;
    }
    this.ready.add(entry);
    this.service(entry);
  }

  /**
   * RFC 9000 §10.3: a short header for no connection of ours. From an address we have connections with it
   * may be the peer's Stateless Reset (whose first bytes are random, so it never routes): those
   * connections check its token (§10.3.1). Otherwise we may tell the sender we lost its connection.
   */
  private onUnroutableShort(datagram: Uint8Array, header: InvariantHeader, path: PathAddress, now: number): void {
    const peers = this.byRemote.get(path.remote);
    if (peers !== undefined && peers.size > 0) {
      let offered = 0;
      for (const entry of [...peers]) {
        if (offered++ >= this.maxResetCandidates) break;
        this.stats.offeredAsReset++;
        this.deliver(entry, datagram, path, now);
      }
      return;
    }
    // RFC 9000 §17.3.1: fixed bit 0 is not a QUIC packet; never answer it.
    if ((datagram[0]! & FIXED_BIT) === 0) {
      this.stats.malformedDropped++;
      return;
    }
    // RFC 9000 §10.3.3: smaller than what triggered it, and rate limited, so two endpoints cannot loop.
    const length = statelessResetLength(datagram.length, this.random);
    if (length === undefined) {
      this.stats.unroutableDropped++;
      return;
    }
    if (!this.resetLimiter.take(now)) {
      this.stats.responsesSuppressed++;
      return;
    }
    const token = deriveStatelessResetToken(this.resetKey, header.dcid);
    if (this.queue(buildStatelessReset(token, length, this.random), path)) this.stats.statelessResetsSent++;
  }

  private onUnroutableLong(datagram: Uint8Array, header: InvariantHeader, path: PathAddress, now: number): void {
    const version = header.version!;
    // RFC 9000 §6.1: "An endpoint MUST NOT send a Version Negotiation packet in response to receiving a
    // Version Negotiation packet."
    if (version === VERSION_NEGOTIATION_VERSION || this.server === undefined || !this.accepting) {
      this.stats.unroutableDropped++;
      return;
    }
    // RFC 9000 §14.1: a server MUST discard an Initial in a datagram under 1200 bytes; §5.2.2 / §6.1:
    // only a datagram that large can start a connection, so only it earns a Version Negotiation.
    if (datagram.length < MIN_INITIAL_DATAGRAM_SIZE) {
      this.stats.shortInitialDropped++;
      return;
    }
    if (!this.versions.includes(version)) {
      if (!this.vnLimiter.take(now)) {
        this.stats.responsesSuppressed++;
        return;
      }
      if (this.queue(versionNegotiationPacket(header.dcid, header.scid!, this.versions, this.random), path)) this.stats.versionNegotiationsSent++;
      return;
    }
    let packet;
    try {
      packet = parsePacket(datagram, 0, this.connectionIdLength);
    } catch {
      this.stats.malformedDropped++;
      return;
    }
    // RFC 9000 §5.2.2: only an Initial can start a connection; 0-RTT or Handshake for no connection is dropped.
    if (packet.type !== 'initial') {
      this.stats.unroutableDropped++;
      return;
    }
    // RFC 9000 §7.2: the client's first DCID is at least 8 bytes (after a Retry it is our own ID, as long).
    if (packet.dcid.length < MIN_INITIAL_DCID_LENGTH) {
      this.stats.shortDcidDropped++;
      return;
    }
    this.admitInitial(packet, datagram, path, now);
  }

  /** A valid-looking first Initial: limits, address validation (RFC 9000 §8.1), then a new connection. */
  private admitInitial(packet: ParsedLongHeaderPacket, datagram: Uint8Array, path: PathAddress, now: number): void {
    const server = this.server!;
    // RFC 9000 §5.2.2: "If a server refuses to accept a new connection, it SHOULD send an Initial packet
    // containing a CONNECTION_CLOSE frame with error code CONNECTION_REFUSED."
    if (this.connections.size >= server.maxConnections) {
      const refusal = initialClosePacket(packet.dcid, packet.scid, this.newConnectionId(), TransportErrorCode.CONNECTION_REFUSED, 'server busy', packet.version);
      if (this.queue(refusal, path)) this.stats.refusedConnections++;
      return;
    }
    // Handshakes cost CPU: over the limit we drop without state; the client's Initial is retransmitted
    // on its PTO (RFC 9002 §6.2.4) and gets in once earlier handshakes are done.
    if (this.handshakes >= server.maxHandshakes) {
      this.stats.handshakeLimitDropped++;
      return;
    }
    const tokens = this.tokens!;
    const decision = validateClientAddress({
      packet,
      remote: path.remote,
      now,
      tokens,
      retryRequired: server.retry,
      newConnectionId: () => this.newConnectionId(),
      random: this.random,
    });
    if (decision.action === 'retry') {
      if (this.queue(decision.datagram, path)) this.stats.retriesSent++;
      return;
    }
    if (decision.action === 'invalid-token') {
      if (this.queue(decision.datagram, path)) this.stats.invalidTokenClosesSent++;
      return;
    }
    const localConnectionId = this.newConnectionId();
    const remote = path.remote;
    const params: ServerConnectionParams = {
      path: { local: path.local, remote },
      localConnectionId,
      originalDestinationConnectionId: decision.originalDcid,
      addressValidated: decision.validated,
      connectionIdLength: this.connectionIdLength,
      statelessResetKey: this.resetKey,
      random: this.random,
      newToken: (at: number, peerAddress: string = remote) => tokens.sealNewToken(peerAddress, at),
      now,
    };
    if (decision.retrySourceCid !== undefined) params.retrySourceConnectionId = decision.retrySourceCid;
    let connection: QuicConnectionApi;
    try {
      connection = server.createConnection(params);
    } catch {
      this.stats.connectionFactoryErrors++;
      return;
    }
    const entry = new EndpointConnection(this.nextId++, connection, true, remote, path.local);
    this.add(entry);
    this.handshakes++;
    this.stats.connectionsCreated++;
    // The client keeps sending Initials (and 0-RTT) to its chosen DCID until it hears from us (§7.2).
    entry.initialRoute = this.route(entry, packet.dcid);
    this.route(entry, localConnectionId);
    this.events.push({ type: 'incoming', connection: entry });
    this.deliver(entry, datagram, path, now);
  }

  private queue(data: Uint8Array, path: PathAddress): boolean {
    if (this.pending.length - this.pendingHead >= this.maxPending) {
      this.stats.responsesSuppressed++;
      return false;
    }
    this.pending.push({ data, path: { local: path.local, remote: path.remote } });
    return true;
  }

  private newConnectionId(): Uint8Array {
    let cid = this.random(this.connectionIdLength);
    for (let i = 1; i < MAX_CID_ATTEMPTS && this.routes.has(hex(cid)); i++) cid = this.random(this.connectionIdLength);
    return cid;
  }

  private route(entry: EndpointConnection, cid: Uint8Array): string | undefined {
    const key = hex(cid);
    const owner = this.routes.get(key);
    if (owner !== undefined && owner !== entry) {
      // Two connections cannot share an ID (RFC 9000 §5.1); the first keeps it.
      this.stats.cidCollisions++;
      return undefined;
    }
    this.routes.set(key, entry);
    entry.routes.add(key);
    return key;
  }

  private unroute(entry: EndpointConnection, key: string): void {
    if (this.routes.get(key) === entry) this.routes.delete(key);
    entry.routes.delete(key);
  }

  private add(entry: EndpointConnection): void {
    this.connections.add(entry);
    this.indexRemote(entry, entry.remote);
  }

  private indexRemote(entry: EndpointConnection, remote: string): void {
    let set = this.byRemote.get(remote);
    if (set === undefined) this.byRemote.set(remote, (set = new Set()));
    set.add(entry);
  }

  private unindexRemote(entry: EndpointConnection, remote: string): void {
    const set = this.byRemote.get(remote);
    if (set === undefined) return;
    set.delete(entry);
    if (set.size === 0) this.byRemote.delete(remote);
  }

  // ------------------------------------------------------------------------------------------------
  // Connection events

  /** Drains a connection's events (routing ones are handled here) and refreshes its timer. */
  private service(entry: EndpointConnection): void {
    for (let i = 0; i < ENDPOINT_CORE_DEFAULTS.maxEventsPerService && !entry.removed; i++) {
      let event: ConnectionEvent | undefined;
      try {
        event = entry.connection.pollEvent();
      } catch (e) {
        this.fail(entry, e);
        return;
      }
      if (event === undefined) break;
      this.onConnectionEvent(entry, event);
    }
    if (entry.removed) return;
    let at: number | undefined;
    try {
      at = entry.connection.nextTimeout();
    } catch (e) {
      this.fail(entry, e);
      return;
    }
    this.deadlines.set(entry, at);
  }

  private onConnectionEvent(entry: EndpointConnection, event: ConnectionEvent): void {
    switch (event.type) {
      case 'cid-issued':
        if (event.cid.length === this.connectionIdLength) this.route(entry, event.cid);
        else this.stats.wrongLengthCids++;
        return;
      case 'cid-retired':
        this.unroute(entry, hex(event.cid));
        return;
      case 'handshake-complete':
        this.endHandshake(entry, true);
        if (event.earlyData === 'accepted') this.stats.earlyDataAccepted++;
        else if (event.earlyData === 'rejected') this.stats.earlyDataRejected++;
        break;
      case 'handshake-confirmed':
        // RFC 9000 §7.2: the client now addresses us only by IDs we issued.
        if (entry.initialRoute !== undefined) {
          this.unroute(entry, entry.initialRoute);
          entry.initialRoute = undefined;
        }
        break;
      case 'path-migrated':
        this.unindexRemote(entry, entry.remote);
        entry.remote = event.to.remote;
        this.indexRemote(entry, entry.remote);
        break;
      case 'closed':
        this.stats.closes[closeReasonOf(event.info)]++;
        this.remove(entry);
        break;
      default:
        break;
    }
    this.events.push({ type: 'connection-event', connection: entry, event });
  }

  private endHandshake(entry: EndpointConnection, completed: boolean): void {
    if (!entry.handshaking) return;
    entry.handshaking = false;
    if (entry.incoming) this.handshakes--;
    if (completed) this.stats.handshakesCompleted++;
    else this.stats.handshakesFailed++;
  }

  private remove(entry: EndpointConnection): void {
    if (entry.removed) return;
    this.endHandshake(entry, false);
    try {
      addConnectionStats(this.closedTotals, entry.connection.stats());
    } catch {
      // A connection that throws here is already being contained (fail()); its figures are lost.
    }
    entry.removed = true;
    for (const key of [...entry.routes]) this.unroute(entry, key);
    this.unindexRemote(entry, entry.remote);
    this.connections.delete(entry);
    this.ready.delete(entry);
    this.deadlines.delete(entry);
  }

  /** A connection method threw (a bug, never a peer's doing): contain it by forgetting the connection. */
  private fail(entry: EndpointConnection, error: unknown): void {
    if (entry.removed) return;
    this.stats.connectionFailures++;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      entry.connection.close(TransportErrorCode.INTERNAL_ERROR, 'internal error');
    } catch {
      // Nothing more can be done for a connection that throws on close; it is dropped below.
    }
    this.remove(entry);
    const info = { code: TransportErrorCode.INTERNAL_ERROR, application: false, reason: `internal error: ${reason}`, remote: false, cause: 'close' as const };
    this.stats.closes[closeReasonOf(info)]++;
    this.events.push({ type: 'connection-event', connection: entry, event: { type: 'closed', info } });
  }
}

export function positiveInteger(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', `${name} must be a positive integer, got ${v}`);
  return v;
}
