// QuicConnection: the sans-IO QUIC v1 connection state machine (RFC 9000, RFC 9001, RFC 9002), client
// and server. Datagrams and time go in (receive, handleTimeout); datagrams, timers and events come out
// (poll, nextTimeout, pollEvent). The building blocks do the detailed work: wire/ (codecs), crypto/
// (packet protection), tls/ (the handshake), recovery/ (loss detection, congestion control, ACKs),
// streams/ (streams and flow control) and cid/ (connection IDs). This file wires them together:
// receiving packets and dispatching frames, building datagrams, timers, paths and the connection's life.
//
// Nothing a peer sends throws out of receive(): every protocol error closes the connection with the
// transport error code the RFC names, and surfaces as a 'closed' event.
import { ConnectionIdManager } from '../cid/connection-id-manager.js';
import { connectionIdEquals } from '../cid/connection-id.js';
import { deriveInitialKeys } from '../crypto/initial.js';
import { derivePacketProtectionKeys, type CipherSuite } from '../crypto/keys.js';
import { createPacketProtector, unprotectPacket, type OpenedPacket, type PacketProtector } from '../crypto/packet-protection.js';
import { verifyParsedRetry } from '../crypto/retry.js';
import { deriveStatelessResetToken } from '../crypto/stateless-reset.js';
import { LossDetection } from '../recovery/loss-detection.js';
import { Pacer } from '../recovery/pacer.js';
import { createCongestionController } from '../recovery/congestion/index.js';
import { RecoveryError } from '../recovery/errors.js';
import type { PacketNumberSpace, ReceivedAck, SentPacket } from '../recovery/types.js';
import { StreamManager, type StreamLimits } from '../streams/stream-manager.js';
import { LocalStreamError, StreamError } from '../streams/transport-error.js';
import type { EncryptionLevel as TlsLevel, SessionTicket } from '../tls/types.js';
import { InvalidPacketError, QuicError, TransportErrorCode } from '../wire/errors.js';
import { decodeFrames } from '../wire/frames.js';
import { maxDatagramDataInFrame } from '../wire/frame-size.js';
import { FrameType, type AckFrame } from '../wire/frame-types.js';
import {
  MAX_CONNECTION_ID_LENGTH,
  MIN_INITIAL_DATAGRAM_SIZE,
  parsePacket,
  QUIC_VERSION_1,
  spinBitOf,
  splitCoalescedPackets,
  type ParsedLongHeaderPacket,
  type ParsedPacket,
  type ParsedRetryPacket,
  type ParsedShortHeaderPacket,
  type ParsedVersionNegotiationPacket,
} from '../wire/header.js';
import { varintLength } from '../wire/varint.js';
import { decodeTransportParameters, encodeTransportParameters, type TransportParameters } from '../wire/transport-parameters.js';
import { BufferWriter } from '../wire/buffer.js';
import type {
  ConnectionCloseInfo,
  ConnectionEvent,
  ConnectionState,
  OutgoingDatagram,
  PathAddress,
  QuicConnectionApi,
} from './api.js';
import { ApplicationKeys } from './application-keys.js';
import { CLOSE_PERIOD_PTOS, CloseState } from './close.js';
import { PacketNumberSkipper } from './packet-number-skipper.js';
import { classifyFrames, handleFrame, type FrameTarget } from './frame-handlers.js';
import { writeAck, writeConnectionIdFrames, writeCrypto, writeDatagrams, writePathFrames, writeStreamControl, writeStreams } from './frame-writers.js';
import { TlsHandshake, type HandshakeSink } from './handshake.js';
import {
  localTransportParameters,
  MIN_DATAGRAM_SIZE,
  resolveOptions,
  type LocalTransportSettings,
  type QuicClientOptions,
  type QuicServerOptions,
  type ResolvedOptions,
} from './options.js';
import { DatagramBuilder, type LongHeaderSpec, type PacketInProgress, type ShortHeaderSpec } from './packet-builder.js';
import { PacketSpace } from './packet-space.js';
import { openShortHeaderPacket, UndecryptablePackets } from './packet-receiver.js';
import { WriteCoalescer } from './write-coalescer.js';
import { MtuDiscovery } from './mtu-discovery.js';
import { EventQueue } from './event-queue.js';
import { hostOf, NetworkPath, PATH_CHALLENGE_LENGTH, PathManager, samePath } from './paths.js';
import { validatePeerTransportParameters, type ConnectionIdsSeen } from './peer-parameters.js';
import { onFramesAcked, onFramesLost, type SentFrameOwners, type SentPacketInfo } from './sent-frames.js';
import { ConnectionCounters, type ConnectionStats } from './connection-stats.js';
import { newPathSpin } from './spin-bit.js';
import { checkUrgency } from '../streams/send-scheduler.js';

const SPACES: readonly PacketNumberSpace[] = ['initial', 'handshake', 'application'];
/** RFC 9000 §18.2: the ack_delay_exponent default, until the peer's transport parameters arrive. */
const DEFAULT_ACK_DELAY_EXPONENT = 3;
/** Smallest datagram worth building: below it nothing useful fits (a short header, a frame, the tag). */
const MIN_USEFUL_DATAGRAM = 64;
/** RFC 9000 §10.1: the idle timeout is at least three PTOs, so probes can still get through. */
const IDLE_TIMEOUT_MIN_PTOS = 3;
/** RFC 9000 §17.3.1: first byte, a connection ID of at most 20 bytes, a packet number of at most 4. */
const MAX_SHORT_HEADER_SIZE = 1 + MAX_CONNECTION_ID_LENGTH + 4;
/** RFC 9001 §5.3: every QUIC v1 AEAD adds a 16-byte tag. */
const AEAD_TAG_LENGTH = 16;
/**
 * The error code of the 'stream-reset' events for streams opened in 0-RTT when the server rejects it
 * (RFC 9001 §4.6.2). Local only, never sent: those streams never existed at the server.
 */
export const EARLY_DATA_REJECTED_ERROR_CODE = 0;
/** Longest NEW_TOKEN token we send: the frame must fit in a 1-RTT packet of the minimum datagram size. */
const MAX_NEW_TOKEN_LENGTH = 1024;
/** Before the peer's max_udp_payload_size is known, send no more than RFC 9000 §14 guarantees. */
const PRE_HANDSHAKE_DATAGRAM_SIZE = MIN_INITIAL_DATAGRAM_SIZE;

type Role = 'client' | 'server';
/** T with its readonly properties assignable (for the frame target and owners kept current in place). */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

function levelSpace(level: TlsLevel): PacketNumberSpace | undefined {
  if (level === 'initial') return 'initial';
  if (level === 'handshake') return 'handshake';
  if (level === 'application') return 'application';
  return undefined;
}

function spaceLevel(space: PacketNumberSpace): TlsLevel {
  return space;
}

function streamLimitsOf(t: LocalTransportSettings): StreamLimits {
  return {
    maxData: t.initialMaxData,
    maxStreamDataBidiLocal: t.initialMaxStreamDataBidiLocal,
    maxStreamDataBidiRemote: t.initialMaxStreamDataBidiRemote,
    maxStreamDataUni: t.initialMaxStreamDataUni,
    maxStreamsBidi: t.initialMaxStreamsBidi,
    maxStreamsUni: t.initialMaxStreamsUni,
  };
}

function streamLimitsOfParams(p: TransportParameters): StreamLimits {
  return {
    maxData: p.initialMaxData,
    maxStreamDataBidiLocal: p.initialMaxStreamDataBidiLocal,
    maxStreamDataBidiRemote: p.initialMaxStreamDataBidiRemote,
    maxStreamDataUni: p.initialMaxStreamDataUni,
    maxStreamsBidi: p.initialMaxStreamsBidi,
    maxStreamsUni: p.initialMaxStreamsUni,
  };
}

/** The server transport parameters stored with a session ticket, or undefined when absent or invalid. */
function rememberedTransportParameters(session: SessionTicket | undefined): TransportParameters | undefined {
  if (session?.transportParameters === undefined) return undefined;
  try {
    return decodeTransportParameters(Buffer.from(session.transportParameters, 'base64'), 'server');
  } catch {
    return undefined;
  }
}

/**
 * RFC 9001 §4.6.1 / RFC 9000 §7.4.1: the server parameters 0-RTT relies on. A ticket issued under
 * different values is not good for 0-RTT; the TLS server compares this context byte for byte.
 */
function earlyDataContext(t: LocalTransportSettings): Uint8Array {
  const w = new BufferWriter();
  const values = [
    t.initialMaxData,
    t.initialMaxStreamDataBidiLocal,
    t.initialMaxStreamDataBidiRemote,
    t.initialMaxStreamDataUni,
    t.initialMaxStreamsBidi,
    t.initialMaxStreamsUni,
    t.activeConnectionIdLimit,
    t.maxDatagramFrameSize ?? 0,
  ];
  for (const v of values) w.varint(v);
  return w.view();
}

/** The earlier of two optional deadlines. */
function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  return a === undefined || b < a ? b : a;
}

/** A stream operation failed because the peer already ended the stream (it was closed and forgotten). */
function isUnknownStream(e: unknown): boolean {
  return e instanceof LocalStreamError && e.code === 'ERR_STREAM_UNKNOWN';
}

/** Any error raised while processing peer input, as the close it calls for. */
function closeInfoOf(e: unknown): ConnectionCloseInfo {
  if (e instanceof QuicError) {
    const info: ConnectionCloseInfo = { code: e.code, application: e.isApplication, reason: e.reason, remote: false, cause: 'close' };
    if (e.frameType !== undefined) info.frameType = e.frameType;
    return info;
  }
  if (e instanceof StreamError || e instanceof RecoveryError) {
    return { code: e.code, application: false, reason: e.message, remote: false, cause: 'close' };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: TransportErrorCode.INTERNAL_ERROR, application: false, reason: `internal error: ${message}`, remote: false, cause: 'close' };
}

export class QuicConnection implements QuicConnectionApi {
  readonly role: Role;
  private readonly opts: ResolvedOptions;
  private stateValue: ConnectionState = 'handshaking';
  private readonly events: EventQueue;
  private now = 0;

  // --- packet number spaces and keys
  private readonly spaces: Record<PacketNumberSpace, PacketSpace>;
  private appKeys: ApplicationKeys | undefined;
  private tls: TlsHandshake | undefined;
  private readonly loss: LossDetection<SentPacketInfo>;
  private readonly pacer: Pacer;
  private pacingWakeAt: number | undefined;
  private streamState: StreamManager;
  /** Client: streams opened before the handshake completed (in 0-RTT); reset if the server rejects it. */
  private earlyStreams: number[] = [];
  private cids: ConnectionIdManager | undefined;

  // --- connection IDs seen during the handshake (RFC 9000 §7.2, §7.3)
  private readonly localCid: Uint8Array;
  /** Client: the DCID of our first Initial. Server: from the options or the first Initial. */
  private originalDcid: Uint8Array | undefined;
  /** The DCID that keys the Initial secrets (RFC 9001 §5.2). */
  private initialDcid: Uint8Array | undefined;
  private peerInitialScid: Uint8Array | undefined;
  private retryScid: Uint8Array | undefined;
  /** The token for our Initial packets: from a Retry (RFC 9000 §8.1.2) or a NEW_TOKEN (§8.1.3). */
  private initialToken: Uint8Array | undefined;
  private readonly serverRetrySourceCid: Uint8Array | undefined;
  /** Server: TLS settings, used when the first Initial arrives. */
  private serverTls: QuicServerOptions['tls'] | undefined;
  /** Client: a packet from the server was processed (VN and Retry are then ignored, RFC 9000 §6.2, §17.2.5.2). */
  private receivedValidPacket = false;
  private peerParams: TransportParameters | undefined;

  // --- handshake progress
  private handshakeCompleteFlag = false;
  private confirmed = false;
  private handshakeDonePending = false;
  /** Server: a NEW_TOKEN token waiting to be sent (RFC 9000 §8.1.3, §19.7). */
  private newTokenPending: Uint8Array | undefined;
  /** Server: produces NEW_TOKEN tokens (QuicServerOptions.newToken). */
  private newTokenSource: ((peerAddress: string) => Uint8Array) | undefined;
  private handshakeDeadline: number | undefined;

  // --- paths (RFC 9000 §8, §9)
  private readonly paths: PathManager;

  // --- timers and liveness
  private idleTimeoutMs: number | undefined;
  private idleDeadline: number | undefined;
  private ackElicitingSentSinceReceive = false;
  private lastAckElicitingSent = 0;
  private pingPending = false;

  // --- closing
  private closeState: CloseState | undefined;
  /** A client's close() that waits for its Finished to leave first (see close()). */
  private closeAfterFinished: ConnectionCloseInfo | undefined;
  private closedEmitted = false;

  // --- misc
  private readonly undecryptable: UndecryptablePackets;

  // --- 0-RTT (RFC 9001 §4.6)
  /** Client: 0-RTT packet protection, until 1-RTT keys replace it. */
  private zeroRttWrite: PacketProtector | undefined;
  /** Server: 0-RTT packet protection, until the first 1-RTT packet arrives (RFC 9001 §4.9.3). */
  private zeroRttRead: PacketProtector | undefined;
  /** Client: the server's transport parameters remembered with the session ticket (RFC 9000 §7.4.1). */
  private rememberedParams: TransportParameters | undefined;
  /** Client: the peer's transport parameters as received, stored with new session tickets. */
  private peerParamsRaw: Uint8Array | undefined;
  private keysChanged = false;
  private readonly datagramQueue: Uint8Array[] = [];
  /** Small stream writes waiting to reach the stream layer as one chunk (see write-coalescer.ts). */
  private readonly coalescer: WriteCoalescer;
  /** Path MTU discovery on the current path (RFC 8899, RFC 9000 §14.3). */
  private readonly mtu: MtuDiscovery;
  /** Optimistic ACK defence (RFC 9000 §21.4); undefined when limits.skipPacketNumbers is off. */
  private readonly pnSkipper: PacketNumberSkipper | undefined;
  /** Whether the last datagram built on the current path carried STREAM frames (see buildOnPath). */
  private lastDatagramCarriedStreamData = false;
  private readonly counters: ConnectionCounters;
  private readonly handshakeSink: HandshakeSink;
  /** Its streams and cids are brought up to date before each frame (currentFrameTarget). */
  private readonly frameTarget: Writable<FrameTarget>;
  /** Built on first use per space; their streams and cids are brought up to date on each use (frameOwners). */
  private readonly ownersBySpace: Partial<Record<PacketNumberSpace, Writable<SentFrameOwners>>> = {};

  private constructor(role: Role, opts: ResolvedOptions, path: PathAddress, localCid: Uint8Array, retrySourceCid: Uint8Array | undefined, now: number) {
    this.role = role;
    this.opts = opts;
    this.events = new EventQueue(opts.limits.maxReceivedDatagramsQueued);
    this.localCid = localCid;
    this.serverRetrySourceCid = retrySourceCid;
    const { limits, transport } = opts;
    this.spaces = {
      initial: new PacketSpace('initial', 0, limits.maxCryptoBuffer),
      handshake: new PacketSpace('handshake', 0, limits.maxCryptoBuffer),
      application: new PacketSpace('application', transport.maxAckDelay, limits.maxCryptoBuffer),
    };
    const congestion = createCongestionController(limits.congestionControl, { maxDatagramSize: limits.maxDatagramSize });
    this.loss = new LossDetection<SentPacketInfo>({ isServer: role === 'server', congestionController: congestion, initialRtt: limits.initialRttMs });
    this.pacer = new Pacer(limits.maxDatagramSize);
    this.streamState = this.newStreamManager();
    // The client knows the server's address; the server validates the client's (RFC 9000 §8.1).
    this.paths = new PathManager(path, role === 'client', role === 'client', transport.activeConnectionIdLimit, () => newPathSpin(limits.spinBit, opts.random));
    this.handshakeSink = this.makeHandshakeSink();
    this.frameTarget = this.makeFrameTarget();
    this.undecryptable = new UndecryptablePackets(limits.maxUndecryptablePackets);
    this.coalescer = new WriteCoalescer(limits.writeCoalescingBytes);
    this.mtu = new MtuDiscovery({ baseSize: limits.maxDatagramSize, maxProbes: limits.pmtuMaxProbes, raiseIntervalMs: limits.pmtuRaiseIntervalMs });
    this.pnSkipper = limits.skipPacketNumbers ? new PacketNumberSkipper(opts.random) : undefined;
    this.now = now;
    this.counters = new ConnectionCounters(now);
  }

  /** The stream layer, for what the stream* methods do not cover (e.g. setUrgency); prefer those methods. */
  get streams(): StreamManager {
    return this.streamState;
  }

  private newStreamManager(): StreamManager {
    return new StreamManager({
      role: this.role,
      local: streamLimitsOf(this.opts.transport),
      sendHighWaterMark: this.opts.limits.streamSendHighWaterMark,
    });
  }

  /** The path we send on (RFC 9000 §9). */
  private get path(): NetworkPath {
    return this.paths.current;
  }

  // ================================================================= factories

  /** A client connection; its first poll() returns the first Initial datagram. */
  static client(options: QuicClientOptions, now: number): QuicConnection {
    const opts = resolveOptions('client', options);
    const localCid = options.localConnectionId ?? opts.random(opts.limits.connectionIdLength);
    const conn = new QuicConnection('client', opts, options.path, Uint8Array.from(localCid), undefined, now);
    // RFC 9000 §7.2: an unpredictable Destination Connection ID of at least 8 bytes.
    const dcid = Uint8Array.from(options.initialDestinationConnectionId ?? opts.random(Math.max(8, opts.limits.connectionIdLength)));
    conn.originalDcid = dcid;
    conn.initialDcid = dcid;
    if (options.token !== undefined) conn.initialToken = Uint8Array.from(options.token);
    conn.installInitialKeys(dcid);
    conn.cids = conn.createCidManager(dcid);
    const params = encodeTransportParameters({ ...localTransportParameters(opts.transport), initialSourceConnectionId: conn.localCid }, 'client');
    conn.rememberedParams = rememberedTransportParameters(options.tls.session);
    // RFC 9000 §7.4.1: 0-RTT needs the server's earlier transport parameters; without them, do not offer it.
    const enableEarlyData = options.tls.enableEarlyData === true && conn.rememberedParams !== undefined;
    const tlsOptions = { ...options.tls, enableEarlyData, alpn: opts.alpn, transportParameters: params, random: opts.random, now: opts.clock };
    conn.tls = TlsHandshake.client(opts.keylog !== undefined ? { ...tlsOptions, keylog: opts.keylog } : tlsOptions);
    conn.handshakeDeadline = now + opts.limits.handshakeTimeoutMs;
    conn.afterInput(now);
    return conn;
  }

  /**
   * A server connection for a client's first Initial; pass that datagram to receive() next. The
   * endpoint decides about Retry and address validation before creating it.
   */
  static server(options: QuicServerOptions, now: number): QuicConnection {
    const opts = resolveOptions('server', options);
    const localCid = options.localConnectionId ?? opts.random(opts.limits.connectionIdLength);
    const conn = new QuicConnection('server', opts, options.path, Uint8Array.from(localCid), options.retrySourceConnectionId, now);
    if (options.originalDestinationConnectionId !== undefined) conn.originalDcid = Uint8Array.from(options.originalDestinationConnectionId);
    if (options.addressValidated === true) conn.path.validated = true;
    conn.serverTls = options.tls;
    conn.newTokenSource = options.newToken;
    conn.handshakeDeadline = now + opts.limits.handshakeTimeoutMs;
    return conn;
  }

  /** `initialResetToken`: the token of our first ID when the caller derived it already (one HMAC, not two). */
  private createCidManager(peerInitial: Uint8Array, initialResetToken?: Uint8Array): ConnectionIdManager {
    const key = this.opts.statelessResetKey;
    const cids = new ConnectionIdManager({
      local: {
        initial: this.localCid,
        length: this.localCid.length,
        random: this.opts.random,
        resetToken: (cid) => deriveStatelessResetToken(key, cid),
      },
      peer: { initial: peerInitial, activeLimit: this.opts.transport.activeConnectionIdLimit },
    });
    // The endpoint routes our first connection ID to us too (sequence 0, RFC 9000 §5.1.1).
    this.events.push({ type: 'cid-issued', cid: this.localCid, statelessResetToken: initialResetToken ?? deriveStatelessResetToken(key, this.localCid) });
    return cids;
  }

  private installInitialKeys(dcid: Uint8Array): void {
    const keys = deriveInitialKeys(dcid);
    const initial = this.spaces.initial;
    const mine = this.role === 'client' ? keys.client : keys.server;
    const theirs = this.role === 'client' ? keys.server : keys.client;
    initial.write = createPacketProtector(mine);
    initial.read = createPacketProtector(theirs);
  }

  // ================================================================= public API

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2). */
  get handshakeConfirmed(): boolean {
    return this.confirmed;
  }

  /** Whether we hold keys to send in this packet number space (RFC 9001 §4.9: discarded ones are gone). */
  keysAvailable(space: PacketNumberSpace): boolean {
    return this.canWriteSpace(space);
  }

  /** Our current Source Connection ID length: short headers we receive carry a DCID this long. */
  get localConnectionIdLength(): number {
    return this.localCid.length;
  }

  /** The path the connection currently sends on. */
  get currentPath(): PathAddress {
    return { ...this.path.address };
  }

  /** The peer's transport parameters, once received. */
  get peerTransportParameters(): Readonly<TransportParameters> | undefined {
    return this.peerParams;
  }

  /** RTT estimate (RFC 9002 §5), ms. */
  get smoothedRtt(): number {
    return this.loss.rtt.smoothedRtt;
  }

  /** 1-RTT key phase generation (RFC 9001 §6): 0 before any key update. */
  get keyGeneration(): number {
    return this.appKeys?.generationNumber ?? 0;
  }

  get congestionWindow(): number {
    return this.loss.congestion.congestionWindow;
  }

  /** The largest datagram the current path is known to carry (PLPMTU, RFC 8899), before the peer's limit. */
  get pathMtu(): number {
    return this.mtu.current;
  }

  /** Counters and recovery state of this connection (ConnectionStats); a new object per call. */
  stats(): ConnectionStats {
    const c = this.counters;
    const rtt = this.loss.rtt;
    return {
      datagramsSent: c.datagramsSent,
      bytesSent: c.bytesSent,
      datagramsReceived: c.datagramsReceived,
      bytesReceived: c.bytesReceived,
      packetsSent: c.packetsSent,
      packetsReceived: c.packetsReceived,
      packetsLost: c.packetsLost,
      probeTimeouts: c.probeTimeouts,
      smoothedRttMs: rtt.smoothedRtt,
      minRttMs: rtt.minRtt,
      latestRttMs: rtt.latestRtt,
      rttVarianceMs: rtt.rttVar,
      congestionWindow: this.loss.congestion.congestionWindow,
      bytesInFlight: this.loss.bytesInFlight,
      pathMtu: this.mtu.current,
      keyUpdates: this.appKeys?.generationNumber ?? 0,
      pathMigrations: c.pathMigrations,
      handshakeMs: c.handshakeMs,
    };
  }

  pollEvent(): ConnectionEvent | undefined {
    this.collectLayerEvents();
    return this.events.shift();
  }

  /**
   * One UDP datagram from `path.remote` to `path.local`. Header protection is removed in place, so the
   * bytes of `datagram` change; pass a buffer the caller does not need afterwards.
   */
  receive(datagram: Uint8Array, path: PathAddress, now: number): void {
    this.now = Math.max(this.now, now);
    if (this.stateValue === 'closed') return;
    this.counters.onDatagramReceived(datagram.length);
    if (this.closeState?.kind === 'draining') return;
    if (this.closeState !== undefined) {
      // RFC 9000 §10.2.1: in the closing state only answer, at a limited rate, with CONNECTION_CLOSE.
      this.closeState.onPacketWhileClosing(now);
      return;
    }
    try {
      this.receiveDatagram(datagram, path, now);
      this.afterInput(now);
    } catch (e) {
      this.closeOnError(e);
    }
  }

  poll(now: number): OutgoingDatagram | undefined {
    this.now = Math.max(this.now, now);
    if (this.stateValue === 'closed') return undefined;
    const out = this.closeState !== undefined ? this.pollClosing(now) : this.pollOpen(now);
    if (out !== undefined) this.counters.onDatagramSent(out.data.length);
    return out;
  }

  private pollOpen(now: number): OutgoingDatagram | undefined {
    try {
      const pendingClose = this.closeAfterFinished;
      if (pendingClose !== undefined && !this.handshakeCryptoPending()) {
        this.closeAfterFinished = undefined;
        this.enterClosing(pendingClose);
        return this.pollClosing(now);
      }
      this.flushStagedWrites();
      return this.buildDatagram(now);
    } catch (e) {
      this.closeOnError(e);
      return this.closeState !== undefined ? this.pollClosing(now) : undefined;
    }
  }

  nextTimeout(): number | undefined {
    if (this.stateValue === 'closed') return undefined;
    if (this.closeState !== undefined) return this.closeState.deadline ?? this.now;
    // Asked after every poll: plain comparisons, no closure.
    let t = this.idleDeadline;
    if (!this.handshakeCompleteFlag) t = earlier(t, this.handshakeDeadline);
    t = earlier(t, this.loss.nextTimeout());
    if (this.path.amplificationBudget > 0) {
      for (const s of SPACES) {
        const sp = this.spaces[s];
        if (!sp.discarded && this.canWriteSpace(s)) t = earlier(t, sp.acks.nextAckDeadline());
      }
    }
    t = earlier(t, this.pacingWakeAt);
    if (this.opts.limits.keepAliveIntervalMs > 0 && this.handshakeCompleteFlag && !this.pingPending) {
      t = earlier(t, this.lastAckElicitingSent + this.opts.limits.keepAliveIntervalMs);
    }
    t = earlier(t, this.paths.nextDeadline());
    t = earlier(t, this.appKeys?.previousReadDiscardAt);
    t = earlier(t, this.mtu.nextTimeout());
    return t;
  }

  handleTimeout(now: number): void {
    this.now = Math.max(this.now, now);
    if (this.stateValue === 'closed') return;
    try {
      this.onTimers(now);
    } catch (e) {
      this.closeOnError(e);
    }
  }

  openStream(bidirectional: boolean): number | undefined {
    if (this.closeState !== undefined || this.stateValue === 'closed') return undefined;
    const id = this.streams.openStream(bidirectional ? 'bidi' : 'uni');
    // Only streams opened within the remembered 0-RTT limits need tracking; their number is bounded by them.
    if (id !== undefined && this.role === 'client' && !this.handshakeCompleteFlag) this.earlyStreams.push(id);
    return id;
  }

  /**
   * Returns data.length when accepted (possibly above the high-water mark, like Node's write()), or 0
   * when the send buffer is full ('stream-writable' follows) or the stream can no longer be written
   * because the peer stopped it or it ended ('stream-stop-sending' / 'stream-reset' told why).
   * Throws LocalStreamError only for API misuse: writing after finishing, or a stream with no sending part.
   */
  streamWrite(streamId: number, data: Uint8Array, fin = false): number {
    if (this.closeState !== undefined || this.stateValue === 'closed') return 0;
    const sendState = this.streams.sendState(streamId);
    if (sendState === 'reset-sent' || sendState === 'reset-recvd') return 0;
    // Not through ifStreamLive: this runs once per application write, so no closure per call.
    try {
      if (!this.streams.isWritable(streamId)) {
        // Arms the 'stream-writable' event (the send buffer reports drain after a refused write).
        this.streams.write(streamId, new Uint8Array(0));
        return 0;
      }
      // Enough application data begins a deferred PMTU search now: transfers are what larger datagrams speed up.
      this.mtu.onApplicationData(data.length);
      if (!fin && this.coalescer.accepts(data)) {
        const full = this.coalescer.append(streamId, data);
        if (full !== undefined) this.streams.write(streamId, full);
        return data.length;
      }
      this.flushStagedWrite(streamId);
      this.streams.write(streamId, data);
      if (fin) this.streams.finish(streamId);
      return data.length;
    } catch (e) {
      if (isUnknownStream(e)) return 0;
      throw e;
    }
  }

  streamRead(streamId: number, maxBytes?: number): Uint8Array | undefined {
    if (this.stateValue === 'closed') return undefined;
    try {
      return this.streams.read(streamId, maxBytes);
    } catch (e) {
      if (isUnknownStream(e)) return undefined;
      throw e;
    }
  }

  streamFinish(streamId: number): void {
    if (this.closeState !== undefined || this.stateValue === 'closed') return;
    const sendState = this.streams.sendState(streamId);
    if (sendState === 'reset-sent' || sendState === 'reset-recvd') return;
    this.ifStreamLive(undefined, () => {
      this.flushStagedWrite(streamId);
      this.streams.finish(streamId);
    });
  }

  streamReset(streamId: number, errorCode: number): void {
    if (this.closeState !== undefined || this.stateValue === 'closed') return;
    // RFC 9000 §3.1: a reset abandons unsent data, staged bytes included.
    this.coalescer.discard(streamId);
    this.ifStreamLive(undefined, () => this.streams.resetStream(streamId, errorCode));
  }

  streamStopSending(streamId: number, errorCode: number): void {
    if (this.closeState !== undefined || this.stateValue === 'closed') return;
    this.ifStreamLive(undefined, () => this.streams.stopSending(streamId, errorCode));
  }

  streamSetPriority(streamId: number, urgency: number): void {
    checkUrgency(urgency);
    if (this.closeState !== undefined || this.stateValue === 'closed') return;
    this.ifStreamLive(undefined, () => this.streams.setUrgency(streamId, urgency));
  }

  /**
   * Runs a stream operation; a stream the peer already ended (reset, stopped, or closed and forgotten)
   * yields `fallback` instead of an exception, since the peer, not the caller, caused that.
   */
  private ifStreamLive<T>(fallback: T, op: () => T): T {
    try {
      return op();
    } catch (e) {
      if (isUnknownStream(e)) return fallback;
      throw e;
    }
  }

  /** Hands one stream's staged small writes to the stream layer (before FIN or a large write, keeping order). */
  private flushStagedWrite(streamId: number): void {
    const data = this.coalescer.take(streamId);
    if (data !== undefined) this.writeStaged(streamId, data);
  }

  /** Hands every stream's staged small writes to the stream layer, before a datagram is built. */
  private flushStagedWrites(): void {
    if (this.coalescer.isEmpty) return;
    for (const w of this.coalescer.takeAll()) this.writeStaged(w.streamId, w.data);
  }

  /**
   * A stream the peer stopped or that ended since the bytes were staged drops them, as its send buffer
   * would have (RFC 9000 §3.1: a reset stream sends no more data).
   */
  private writeStaged(streamId: number, data: Uint8Array): void {
    try {
      this.streams.write(streamId, data);
    } catch (e) {
      if (!(e instanceof LocalStreamError)) throw e;
    }
  }

  sendDatagram(data: Uint8Array): boolean {
    if (this.closeState !== undefined || this.stateValue === 'closed') return false;
    const peerMax = this.peerParams?.maxDatagramFrameSize;
    // RFC 9221 §3: only when the peer advertised support, and within its limit (frame size counts).
    if (peerMax === undefined || 1 + varintLength(data.length) + data.length > peerMax) return false;
    if (maxDatagramDataInFrame(this.maxPayloadForDatagrams(), true) < data.length) return false;
    if (this.datagramQueue.length >= this.opts.limits.maxQueuedDatagrams) return false;
    this.datagramQueue.push(Uint8Array.from(data));
    return true;
  }

  close(code: number, reason = '', application = true): void {
    if (this.closeState !== undefined || this.stateValue === 'closed') return;
    const info: ConnectionCloseInfo = { code, application, reason, remote: false, cause: 'close' };
    // A client whose handshake completed may not have sent its Finished yet (an application closing from
    // its 'handshake' event, which comes before the endpoint polls): it goes first, so the server completes
    // the handshake it then sees closed instead of a handshake cut short.
    if (this.role === 'client' && this.handshakeCompleteFlag && this.handshakeCryptoPending()) {
      this.closeAfterFinished = info;
      return;
    }
    this.enterClosing(info);
  }

  /** Handshake-level CRYPTO data (a client's Finished) still waits to be sent. */
  private handshakeCryptoPending(): boolean {
    return !this.spaces.handshake.discarded && this.spaces.handshake.hasCryptoToSend;
  }

  /**
   * Client active migration (RFC 9000 §9.2): moves to a new local address, with a connection ID the
   * peer has not seen (§9.5), and validates the new path. False when not possible: before the handshake
   * is confirmed (§9), when the server sent disable_active_migration (§18.2), or without a spare peer ID.
   */
  migrate(newLocal: string): boolean {
    if (this.role !== 'client' || !this.confirmed || this.closeState !== undefined) return false;
    if (this.peerParams?.disableActiveMigration === true) return false;
    const cids = this.cids;
    const fresh = cids?.peer.takeUnused();
    if (cids === undefined || fresh === undefined) return false;
    const from = { ...this.path.address };
    const to = { local: newLocal, remote: this.path.address.remote };
    const oldSeq = cids.peer.current.sequenceNumber;
    cids.peer.useAsCurrent(fresh.sequenceNumber);
    cids.peer.retire(oldSeq);
    const next = this.paths.get(to);
    this.paths.switchTo(next);
    next.peerCidSequence = fresh.sequenceNumber;
    next.startValidation(this.opts.random(PATH_CHALLENGE_LENGTH), this.now + this.pathValidationTimeout());
    // RFC 9000 §9.4: a new local address is a new network path; a port change alone keeps its state.
    if (hostOf(from.local) !== hostOf(newLocal)) this.onNewNetworkPath(this.now);
    this.onPathMigrated(from, to);
    return true;
  }

  /**
   * Replaces every connection ID we issued (RFC 9000 §5.1.2): new IDs go out with Retire Prior To
   * covering the old ones, so an observer cannot link traffic before and after. False before the
   * handshake completes.
   */
  rotateConnectionIds(): boolean {
    if (!this.handshakeCompleteFlag || this.cids === undefined || this.closeState !== undefined) return false;
    this.cids.rotateLocalIds();
    return true;
  }

  /** Initiates a 1-RTT key update now if RFC 9001 §6.1 allows it; returns whether it did. */
  updateKeys(): boolean {
    const keys = this.appKeys;
    if (keys === undefined || !this.confirmed || !keys.canInitiate || this.closeState !== undefined) return false;
    keys.initiate(this.now, this.threePto());
    return true;
  }

  // ================================================================= receiving

  private receiveDatagram(datagram: Uint8Array, pathAddr: PathAddress, now: number): void {
    // RFC 9000 §8.1: every byte received from an address earns three bytes of budget towards it.
    const path = this.paths.get(pathAddr);
    path.bytesReceived += datagram.length;
    if (path === this.path) this.loss.setAmplificationBlocked(path.amplificationBudget === 0, now);
    let packets: ParsedPacket[];
    try {
      packets = splitCoalescedPackets(datagram, this.localCid.length).packets;
    } catch (e) {
      if (!(e instanceof InvalidPacketError)) throw e;
      this.checkStatelessReset(datagram, now);
      return;
    }
    let processed = false;
    for (const p of packets) {
      if (this.closeState !== undefined) break;
      if (this.receivePacketOrDrop(datagram, p, pathAddr, now)) processed = true;
    }
    if (!processed) this.checkStatelessReset(datagram, now);
  }

  /** RFC 9000 §10.3.1: a datagram we could not process may be a stateless reset; true when it was one. */
  private checkStatelessReset(datagram: Uint8Array, now: number): boolean {
    if (this.cids === undefined || !this.cids.isStatelessReset(datagram)) return false;
    this.enterDraining({ code: TransportErrorCode.NO_ERROR, application: false, reason: 'stateless reset', remote: true, cause: 'stateless-reset' }, now);
    return true;
  }

  /**
   * A packet that turns out malformed before it authenticates (e.g. too short for a header protection
   * sample, RFC 9001 §5.4.2) is dropped; only authenticated content can close the connection.
   */
  private receivePacketOrDrop(datagram: Uint8Array, p: ParsedPacket, pathAddr: PathAddress, now: number): boolean {
    try {
      return this.receivePacket(datagram, p, pathAddr, now);
    } catch (e) {
      if (e instanceof InvalidPacketError) return false;
      throw e;
    }
  }

  /** Processes one packet; true when it was authenticated (and not a duplicate or a VN/Retry). */
  private receivePacket(datagram: Uint8Array, p: ParsedPacket, pathAddr: PathAddress, now: number): boolean {
    switch (p.type) {
      case 'version_negotiation':
        this.onVersionNegotiation(p);
        return false;
      case 'retry':
        this.onRetry(datagram, p);
        return false;
      case '0rtt':
        return this.receiveZeroRttPacket(datagram, p, pathAddr, now);
      case 'initial':
      case 'handshake':
        return this.receiveLongHeaderPacket(datagram, p, pathAddr, now);
      case '1rtt':
        return this.receiveShortHeaderPacket(datagram, p, pathAddr, now);
    }
  }

  private receiveLongHeaderPacket(datagram: Uint8Array, p: ParsedLongHeaderPacket, pathAddr: PathAddress, now: number): boolean {
    const type = p.type === 'initial' ? 'initial' : 'handshake';
    const space = this.spaces[type];
    if (space.discarded) return false;
    // RFC 9000 §14.1: a server MUST discard an Initial packet in a datagram smaller than 1200 bytes.
    if (this.role === 'server' && p.type === 'initial' && datagram.length < MIN_INITIAL_DATAGRAM_SIZE) return false;
    // RFC 9000 §7.2: once the peer's ID is known, long header packets must carry it.
    if (this.peerInitialScid !== undefined && !connectionIdEquals(p.scid, this.peerInitialScid)) return false;
    // A server learns its Initial keys from the client's first Initial (RFC 9001 §5.2), and commits to
    // that packet's connection IDs only once it authenticates.
    const starting = this.role === 'server' && this.tls === undefined;
    if (starting && p.type !== 'initial') return false;
    const read = starting ? createPacketProtector(deriveInitialKeys(p.dcid).client) : space.read;
    if (read === undefined) {
      this.undecryptable.add(datagram, p.packetStart, p.packetEnd, pathAddr);
      return false;
    }
    const opened = unprotectPacket(read, datagram, p.packetStart, p.pnOffset, p.packetEnd, space.largestReceived);
    if (opened === null) return false;
    if (this.role === 'client' && p.type === 'initial' && p.token.length > 0) {
      // RFC 9000 §17.2.2: a server's Initial has an empty Token field; a client receiving one with a token
      // may discard it or close with PROTOCOL_VIOLATION. Only after authentication, so that an off-path
      // attacker cannot use it to end the connection.
      throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'server Initial packet carries a token');
    }
    if (starting) this.startServer(p);
    if (this.role === 'client' && this.peerInitialScid === undefined) {
      if (p.type !== 'initial') return false;
      // RFC 9000 §7.2: the client switches to the server's chosen connection ID.
      this.peerInitialScid = Uint8Array.from(p.scid);
      this.cids!.peer.replaceInitial(this.peerInitialScid);
    }
    if (this.role === 'server' && p.type === 'handshake' && !this.path.validated) {
      // RFC 9000 §8.1: a Handshake packet proves the client received our Initial: address validated.
      this.path.validated = true;
      this.loss.setAmplificationBlocked(false, now);
    }
    const processed = this.processPacket(space, type, opened, pathAddr, now);
    if (processed && this.role === 'server' && p.type === 'handshake') {
      // RFC 9001 §4.9.1: a server discards Initial keys when it first processes a Handshake packet.
      this.discardSpace('initial', now);
    }
    return processed;
  }

  private startServer(p: ParsedLongHeaderPacket): void {
    const opts = this.opts;
    this.initialDcid = Uint8Array.from(p.dcid);
    this.originalDcid ??= this.initialDcid;
    this.peerInitialScid = Uint8Array.from(p.scid);
    this.installInitialKeys(this.initialDcid);
    // RFC 9000 §18.2 stateless_reset_token: the token of the ID the handshake uses (sequence 0).
    const resetToken = deriveStatelessResetToken(opts.statelessResetKey, this.localCid);
    this.cids = this.createCidManager(this.peerInitialScid, resetToken);
    const params: Partial<TransportParameters> = {
      ...localTransportParameters(opts.transport),
      originalDestinationConnectionId: this.originalDcid,
      initialSourceConnectionId: this.localCid,
      statelessResetToken: resetToken,
    };
    if (this.serverRetrySourceCid !== undefined) params.retrySourceConnectionId = this.serverRetrySourceCid;
    const tlsOptions = {
      ...this.serverTls!,
      // RFC 9001 §4.6.1: 0-RTT is accepted only if the transport parameters it relies on are unchanged.
      earlyDataContext: earlyDataContext(opts.transport),
      alpn: opts.alpn,
      transportParameters: encodeTransportParameters(params, 'server'),
      random: opts.random,
      now: opts.clock,
    };
    this.tls = TlsHandshake.server(opts.keylog !== undefined ? { ...tlsOptions, keylog: opts.keylog } : tlsOptions);
  }

  /** Server: a 0-RTT packet (RFC 9001 §4.6), in the application packet number space. */
  private receiveZeroRttPacket(datagram: Uint8Array, p: ParsedLongHeaderPacket, pathAddr: PathAddress, now: number): boolean {
    if (this.role !== 'server' || this.tls === undefined) return false;
    const read = this.zeroRttRead;
    if (read === undefined) {
      // The keys come with the ClientHello; a 0-RTT packet overtaking it waits, one after it was rejected does not.
      if (!this.handshakeCompleteFlag) this.undecryptable.add(datagram, p.packetStart, p.packetEnd, pathAddr);
      return false;
    }
    const space = this.spaces.application;
    const opened = unprotectPacket(read, datagram, p.packetStart, p.pnOffset, p.packetEnd, space.largestReceived);
    if (opened === null) return false;
    return this.processPacket(space, '0rtt', opened, pathAddr, now);
  }

  private receiveShortHeaderPacket(datagram: Uint8Array, p: ParsedShortHeaderPacket, pathAddr: PathAddress, now: number): boolean {
    const cids = this.cids;
    if (cids === undefined) return false;
    // The endpoint routes by connection ID; a packet to an ID we do not hold is not ours.
    const arrivedOn = cids.local.sequenceOf(p.dcid);
    if (arrivedOn === undefined) return false;
    const keys = this.appKeys;
    if (keys === undefined || !keys.canRead) {
      this.undecryptable.add(datagram, p.packetStart, p.packetEnd, pathAddr);
      return false;
    }
    const space = this.spaces.application;
    // RFC 9000 §10.3.1 looks for a Stateless Reset among packets that fail to open; an unprotected packet
    // never fails, so with encryption disabled the reset token check comes first.
    if (keys.encryptionDisabled && p.packetStart === 0 && this.checkStatelessReset(datagram, now)) return false;
    const opened = openShortHeaderPacket(keys, datagram, p, space.largestReceived);
    if (opened === null) return false;
    // RFC 9001 §4.9.3: a server may discard 0-RTT keys once it receives a 1-RTT packet.
    this.zeroRttRead = undefined;
    keys.onPacketOpened(opened.keys, opened.packetNumber, now, this.threePto());
    if (!this.processPacket(space, '1rtt', opened, pathAddr, now, arrivedOn)) return false;
    // The spin bit is outside header protection (RFC 9001 §5.4.1 masks only the low 5 bits).
    this.paths.get(pathAddr).spin.onPacketReceived(opened.packetNumber, spinBitOf(datagram[p.packetStart]!), this.role === 'server');
    return true;
  }

  private retryUndecryptable(now: number): void {
    for (const b of this.undecryptable.takeAll()) {
      if (this.closeState !== undefined) return;
      let p: ParsedPacket;
      try {
        p = parsePacket(b.bytes, 0, this.localCid.length);
      } catch {
        continue;
      }
      this.receivePacketOrDrop(b.bytes, p, b.path, now);
    }
  }

  /** Common processing of an authenticated packet (RFC 9000 §12, §13). */
  private processPacket(
    space: PacketSpace,
    packetType: 'initial' | 'handshake' | '0rtt' | '1rtt',
    opened: OpenedPacket,
    pathAddr: PathAddress,
    now: number,
    arrivedOnCid?: number,
  ): boolean {
    const pn = opened.packetNumber;
    // RFC 9000 §12.3: duplicates are discarded.
    if (space.acks.isDuplicate(pn)) return false;
    this.counters.packetsReceived++;
    const frames = decodeFrames(opened.payload, {
      packetType,
      receiver: this.role,
      maxDatagramFrameSize: this.opts.transport.maxDatagramFrameSize ?? 0,
    });
    this.receivedValidPacket = true;
    const largestBefore = space.largestReceived;
    const { ackEliciting, nonProbing } = classifyFrames(frames);
    const path = this.paths.get(pathAddr);
    for (const f of frames) {
      if (this.closeState !== undefined) break;
      handleFrame(this.currentFrameTarget(), space, f, path, now, arrivedOnCid);
    }
    space.acks.onPacketReceived(pn, now, ackEliciting, 'not-ect', opened.payload.length);
    // RFC 9000 §10.1: any packet processed restarts the idle timer.
    this.ackElicitingSentSinceReceive = false;
    this.restartIdleTimer(now);
    if (packetType === '1rtt' && nonProbing && pn > largestBefore && !samePath(pathAddr, this.path.address) && this.closeState === undefined) {
      this.onPeerAddressChange(path, now);
    }
    return true;
  }

  // ================================================================= frames

  /**
   * The frame target with the current stream and connection ID managers: a frame may replace the stream
   * manager (0-RTT rejected at handshake completion) for the frames after it in the same packet.
   */
  private currentFrameTarget(): FrameTarget {
    const t = this.frameTarget;
    t.streams = this.streamState;
    // The connection ID manager exists once the peer's first packet is known; no frame that needs it
    // can arrive before.
    t.cids = this.cids!;
    return t;
  }

  private makeFrameTarget(): Writable<FrameTarget> {
    // Data properties kept current by currentFrameTarget, not getters: V8 keeps an object literal with
    // getters in dictionary mode, several hundred bytes more per connection.
    return {
      streams: this.streamState,
      cids: this.cids!,
      ack: (space, frame, now) => this.onAckFrame(space, frame, now),
      crypto: (space, offset, data) => {
        const ready = space.onCryptoFrame(offset, data);
        if (ready !== undefined && ready.length > 0 && this.tls !== undefined) {
          this.tls.receive(spaceLevel(space.name), ready);
          this.tls.drain(this.handshakeSink);
        }
      },
      newToken: (token) => this.events.push({ type: 'new-token', token }),
      pathResponse: (data, now) => this.onPathResponse(data, now),
      connectionClose: (info, now) => this.enterDraining(info, now),
      // Decoding rejects HANDSHAKE_DONE at a server (RFC 9000 §19.20); at a client it confirms the handshake.
      handshakeDone: (now) => this.onHandshakeConfirmed(now),
      datagram: (data) => this.events.push({ type: 'datagram', data }),
    };
  }

  private onAckFrame(space: PacketSpace, f: AckFrame, now: number): void {
    // RFC 9000 §19.3: ACK Delay is scaled by the sender's ack_delay_exponent (the default 3 until known).
    const exponent = this.peerParams?.ackDelayExponent ?? DEFAULT_ACK_DELAY_EXPONENT;
    const ack: ReceivedAck = {
      largest: f.ranges[0]!.largest,
      ackDelayMicros: f.ackDelay * 2 ** exponent,
      ranges: f.ranges.map((r) => [r.smallest, r.largest] as const),
      ...(f.ecn !== undefined ? { ecn: f.ecn } : {}),
    };
    const outcome = this.loss.onAckReceived(space.name, ack, now);
    if (!outcome.ok) {
      // RFC 9000 §13.1: acknowledging a packet never sent is a PROTOCOL_VIOLATION.
      throw new QuicError(outcome.error.code, outcome.error.message, { frameType: f.ecn !== undefined ? FrameType.ACK_ECN : FrameType.ACK });
    }
    for (const p of outcome.newlyAcked) this.onPacketAcked(space.name, p, now);
    this.onLossEvent(space.name, outcome.lost, now);
  }

  /** Packets declared lost together (one ACK or one loss timer): retransmission and PMTU black-hole detection. */
  private onLossEvent(spaceName: PacketNumberSpace, lost: ReadonlyArray<SentPacket<SentPacketInfo>>, now: number): void {
    if (lost.length === 0) return;
    let largeLost = false;
    for (const p of lost) {
      this.onPacketLost(spaceName, p, now);
      if (p.mtuProbe === true) continue;
      this.counters.packetsLost++;
      if (p.size > this.mtu.baseSize) largeLost = true;
    }
    // RFC 8899 §4.3: losses of packets above the base size, and no such packet acknowledged, may mean
    // the path shrank (a black hole).
    if (largeLost && this.mtu.onLargePacketsLost()) this.onMtuChanged();
  }

  /** The PLPMTU changed: congestion control counts in the new size (RFC 9002 §7.2); queued DATAGRAMs must still fit. */
  private onMtuChanged(): void {
    const peerMax = this.peerParams?.maxUdpPayloadSize ?? this.mtu.current;
    this.loss.congestion.setMaxDatagramSize(Math.max(MIN_DATAGRAM_SIZE, Math.min(this.mtu.current, peerMax)));
    const room = maxDatagramDataInFrame(this.maxPayloadForDatagrams(), true);
    // RFC 9221 §5: DATAGRAM frames are never fragmented; one that no longer fits is dropped.
    for (let i = this.datagramQueue.length - 1; i >= 0; i--) if (this.datagramQueue[i]!.length > room) this.datagramQueue.splice(i, 1);
  }

  private onPacketAcked(spaceName: PacketNumberSpace, p: SentPacket<SentPacketInfo>, now: number): void {
    if (p.mtuProbe === true) {
      // RFC 8899 §5.2: an acknowledged probe confirms its size for the path.
      if (this.mtu.onProbeAcked(p.size, now)) this.onMtuChanged();
    } else if (p.size > this.mtu.baseSize) {
      this.mtu.onLargePacketAcked();
    }
    onFramesAcked(p.frames.frames, this.frameOwners(spaceName));
    // RFC 9001 §6.1: only an acknowledged 1-RTT packet of the current phase allows the next key update.
    if (spaceName === 'application' && !p.frames.zeroRtt) this.appKeys?.onPacketAcked(p.frames.keyGeneration);
  }

  /** RFC 9000 §13.3: what a lost packet carried is sent again in new packets, if still relevant. */
  private onPacketLost(spaceName: PacketNumberSpace, p: SentPacket<SentPacketInfo>, now: number): void {
    // RFC 9000 §14.4: a lost probe is a search step, not a congestion signal (recovery ignores it too).
    if (p.mtuProbe === true) this.mtu.onProbeLost(p.size, now);
    onFramesLost(p.frames.frames, this.frameOwners(spaceName));
  }

  /** Per-space owners, built once: acknowledgments and losses are per packet, the hottest receive path. */
  private frameOwners(spaceName: PacketNumberSpace): SentFrameOwners {
    const o = (this.ownersBySpace[spaceName] ??= this.makeFrameOwners(spaceName));
    // The stream manager is replaced when 0-RTT is rejected, the ID manager arrives later: kept current
    // here rather than by getters (V8 keeps an object literal with getters in dictionary mode).
    o.streams = this.streamState;
    o.cids = this.cids;
    return o;
  }

  private makeFrameOwners(spaceName: PacketNumberSpace): Writable<SentFrameOwners> {
    return {
      space: this.spaces[spaceName],
      streams: this.streamState,
      cids: this.cids,
      handshakeDoneAcked: () => this.events.push({ type: 'handshake-confirmed' }),
      handshakeDoneLost: () => {
        this.handshakeDonePending = true;
      },
      pathChallengeLost: () => {
        for (const path of this.paths.all()) if (path.challenge !== undefined) path.challengePending = true;
      },
      newTokenLost: (token) => {
        this.newTokenPending ??= token;
      },
    };
  }

  // ================================================================= TLS glue

  private makeHandshakeSink(): HandshakeSink {
    return {
      send: (level, data) => {
        const s = levelSpace(level);
        if (s !== undefined && !this.spaces[s].discarded) this.spaces[s].cryptoSend.write(Uint8Array.from(data));
      },
      keys: (level, direction, suite, secret) => this.onTlsKeys(level, direction, suite, secret),
      peerTransportParameters: (data) => this.onPeerTransportParameters(data),
      complete: (info) => this.onHandshakeComplete(info),
      sessionTicket: (ticket: SessionTicket) => {
        // RFC 9000 §7.4.1: the client remembers the server's transport parameters with the ticket for 0-RTT.
        const withParams = this.peerParamsRaw !== undefined ? { ...ticket, transportParameters: Buffer.from(this.peerParamsRaw).toString('base64') } : ticket;
        this.events.push({ type: 'session-ticket', ticket: withParams });
      },
      error: (code, message) => {
        throw new QuicError(code, message);
      },
    };
  }

  private onTlsKeys(level: TlsLevel, direction: 'read' | 'write', suite: CipherSuite, secret: Uint8Array): void {
    this.keysChanged = true;
    if (level === 'handshake') {
      const protector = createPacketProtector(derivePacketProtectionKeys(suite, secret));
      if (direction === 'read') this.spaces.handshake.read = protector;
      else {
        this.spaces.handshake.write = protector;
        this.loss.onHandshakeKeysAvailable(this.now);
      }
      return;
    }
    if (level === 'application') {
      this.appKeys ??= new ApplicationKeys(suite);
      if (direction === 'read') this.appKeys.installRead(secret);
      else this.appKeys.installWrite(secret);
      this.negotiateEncryption();
    }
    if (level === 'early') {
      const protector = createPacketProtector(derivePacketProtectionKeys(suite, secret));
      if (direction === 'write' && this.role === 'client' && this.rememberedParams !== undefined) {
        this.zeroRttWrite = protector;
        // RFC 9000 §7.4.1: 0-RTT data stays within the limits the server gave on the earlier connection.
        this.streams.setPeerLimits(streamLimitsOfParams(this.rememberedParams));
      } else if (direction === 'read' && this.role === 'server') {
        this.zeroRttRead = protector;
      }
    }
  }

  /**
   * draft-banks-quic-disable-encryption: 1-RTT packets go unprotected once both endpoints sent the
   * parameter. Both sides know before any 1-RTT packet exists: the server reads the client's parameters in
   * the ClientHello, the client the server's in EncryptedExtensions, each before its 1-RTT keys.
   */
  private negotiateEncryption(): void {
    if (this.opts.transport.disable1RttEncryption === true && this.peerParams?.disable1RttEncryption === true) this.appKeys?.disableEncryption();
  }

  /** Whether 1-RTT packets of this connection travel without packet protection (draft-banks-quic-disable-encryption). */
  get oneRttEncryptionDisabled(): boolean {
    return this.appKeys?.encryptionDisabled === true;
  }

  private onPeerTransportParameters(data: Uint8Array): void {
    const seen: ConnectionIdsSeen = { peerInitialScid: this.peerInitialScid ?? new Uint8Array(0) };
    if (this.role === 'client') {
      seen.originalDcid = this.originalDcid!;
      if (this.retryScid !== undefined) seen.retryScid = this.retryScid;
    }
    const params = validatePeerTransportParameters(data, this.role, seen);
    this.peerParams = params;
    this.negotiateEncryption();
    this.peerParamsRaw = Uint8Array.from(data);
    const cids = this.cids!;
    cids.setPeerActiveLimit(params.activeConnectionIdLimit);
    if (this.role === 'client' && params.statelessResetToken !== undefined) cids.peer.setInitialResetToken(Uint8Array.from(params.statelessResetToken));
    this.streams.setPeerLimits(streamLimitsOfParams(params));
    this.loss.setPeerMaxAckDelay(params.maxAckDelay, this.now);
    // RFC 9000 §10.1: the idle timeout is the minimum of both sides' values (0 = none on that side).
    const local = this.opts.transport.maxIdleTimeout;
    const peer = params.maxIdleTimeout;
    const values = [local, peer].filter((v) => v > 0);
    this.idleTimeoutMs = values.length > 0 ? Math.min(...values) : undefined;
    this.restartIdleTimer(this.now);
  }

  private onHandshakeComplete(info: { alpn: string; serverName?: string; resumed: boolean; earlyData: 'accepted' | 'rejected' | 'none' }): void {
    if (this.peerParams === undefined) {
      // RFC 9001 §8.2: the quic_transport_parameters extension is mandatory.
      throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'handshake completed without the peer transport parameters');
    }
    this.handshakeCompleteFlag = true;
    this.stateValue = 'established';
    this.counters.onHandshakeComplete(this.now);
    const ev: ConnectionEvent = { type: 'handshake-complete', alpn: info.alpn, resumed: info.resumed, earlyData: info.earlyData };
    if (info.serverName !== undefined) ev.serverName = info.serverName;
    // Before the resets of rejected early streams, so the application knows why they come.
    this.events.push(ev);
    if (this.role === 'client') this.onEarlyDataOutcome(info.earlyData);
    if (this.role === 'server') {
      // RFC 9001 §4.1.2: the server's handshake is confirmed at completion; it tells the client with
      // HANDSHAKE_DONE (RFC 9000 §19.20).
      this.handshakeDonePending = true;
      this.onHandshakeConfirmed(this.now);
      this.issueNewToken();
    }
  }

  /**
   * Client: 0-RTT ends with the handshake (RFC 9001 §4.9.3). When the server rejected it, everything the
   * client assumed is void (RFC 9001 §4.6.2: "MUST reset the state of all streams"; RFC 9000 §7.4.1: the
   * remembered limits no longer apply). The 0-RTT packets are forgotten without a congestion signal (RFC
   * 9002 §6.4) and not retransmitted; the stream layer starts over under the server's real limits (stream
   * IDs start again at 0, as the server never saw the early ones); every stream opened early is reported
   * reset with EARLY_DATA_REJECTED_ERROR_CODE, so the application opens new streams and sends again.
   */
  private onEarlyDataOutcome(outcome: 'accepted' | 'rejected' | 'none'): void {
    this.zeroRttWrite = undefined;
    const early = this.earlyStreams;
    this.earlyStreams = [];
    if (outcome !== 'rejected') return;
    this.loss.discardPackets('application', (p) => p.frames.zeroRtt, this.now);
    for (const id of early) this.coalescer.discard(id);
    this.streamState = this.newStreamManager();
    this.streamState.setPeerLimits(streamLimitsOfParams(this.peerParams!));
    for (const id of early) this.events.push({ type: 'stream-reset', streamId: id, errorCode: EARLY_DATA_REJECTED_ERROR_CODE, earlyDataRejected: true });
  }

  private onHandshakeConfirmed(now: number): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.loss.onHandshakeConfirmed(now);
    this.startMtuDiscovery();
    // RFC 9001 §4.9.2: Handshake keys are discarded once the handshake is confirmed.
    this.discardSpace('initial', now);
    this.discardSpace('handshake', now);
    if (this.role === 'client') this.events.push({ type: 'handshake-confirmed' });
  }

  /**
   * Server: RFC 9000 §8.1.3, a token the client can present on a later connection to skip address
   * validation, sent once the handshake is confirmed (NEW_TOKEN is a 1-RTT frame, §19.7).
   */
  private issueNewToken(): void {
    const source = this.newTokenSource;
    if (source === undefined) return;
    // Called once, at handshake completion: the source (a closure over the endpoint's per-connection
    // options) need not live as long as the connection.
    this.newTokenSource = undefined;
    const token = source(this.path.address.remote);
    // RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR at the client, so none is sent; one that
    // could not fit in a minimum-size packet is not sent either (the token is optional, the connection is not).
    if (token.length === 0 || token.length > MAX_NEW_TOKEN_LENGTH) return;
    this.newTokenPending = Uint8Array.from(token);
  }

  /** RFC 9000 §14.3: probe for a larger PMTU once the handshake is confirmed (and on each new path). */
  private startMtuDiscovery(): void {
    const peerMax = this.peerParams?.maxUdpPayloadSize;
    if (!this.opts.limits.pmtuDiscovery || peerMax === undefined || !this.confirmed) return;
    const maxSize = Math.min(this.opts.limits.pmtuMaxDatagramSize, peerMax);
    // A connection with stream data waiting searches at once; any other one after a delay, so one that
    // only completes a handshake (or stays idle) sends no probes (mtu-discovery.ts, RFC 8899 §5.2).
    if (this.streams.wantsToSend) this.mtu.start(maxSize);
    else this.mtu.startDeferred(maxSize, this.now);
  }

  /** RFC 9001 §4.9 / RFC 9002 §6.4: forget a space's keys and its packets in flight. */
  private discardSpace(space: 'initial' | 'handshake', now: number): void {
    const s = this.spaces[space];
    if (s.discarded) return;
    s.discard();
    // Nothing more is received or acknowledged in this space: its ACK state goes too.
    s.acks.discard();
    this.loss.discardSpace(space, now);
    // No packet of this space is acknowledged or lost any more (its packets are gone from recovery):
    // its frame owners (closures over the connection) need not live as long as the connection.
    this.ownersBySpace[space] = undefined;
  }

  // ================================================================= VN and Retry (client)

  private onVersionNegotiation(p: ParsedVersionNegotiationPacket): void {
    // RFC 9000 §6.2: ignore a VN after any valid packet, one that lists our version, or one not echoing our IDs.
    if (this.role !== 'client' || this.receivedValidPacket || this.retryScid !== undefined) return;
    if (!connectionIdEquals(p.dcid, this.localCid) || !connectionIdEquals(p.scid, this.originalDcid!)) return;
    if (p.supportedVersions.includes(QUIC_VERSION_1)) return;
    this.stateValue = 'closed';
    this.emitClosed({
      code: TransportErrorCode.CONNECTION_REFUSED,
      application: false,
      reason: `server supports none of our versions (offers ${p.supportedVersions.map((v) => `0x${v.toString(16)}`).join(', ')})`,
      remote: true,
      cause: 'close',
    });
  }

  private onRetry(datagram: Uint8Array, p: ParsedRetryPacket): void {
    // RFC 9000 §17.2.5.2: only one Retry, and none after a valid packet from the server.
    if (this.role !== 'client' || this.receivedValidPacket || this.retryScid !== undefined) return;
    // RFC 9001 §5.8: a Retry with an invalid integrity tag is discarded.
    if (!verifyParsedRetry(this.originalDcid!, datagram, p)) return;
    // A Retry choosing the same ID as ours is not a valid Retry (RFC 9000 §7.3 requires a new one).
    if (connectionIdEquals(p.scid, this.initialDcid!)) return;
    this.retryScid = Uint8Array.from(p.scid);
    this.initialToken = Uint8Array.from(p.token);
    this.initialDcid = this.retryScid;
    this.cids!.peer.replaceInitial(this.retryScid);
    // RFC 9001 §5.2: Initial keys come from the new Destination Connection ID.
    this.installInitialKeys(this.retryScid);
    // RFC 9002 §6.3: the Initial packets sent so far are gone; resend their CRYPTO data (packet numbers continue).
    this.loss.discardPackets('initial', () => true, this.now);
    this.spaces.initial.requeueUnackedCrypto();
  }

  // ================================================================= paths and migration

  private pathValidationTimeout(): number {
    // RFC 9000 §8.2.4: three times the larger of the current PTO and the new path's (kInitialRtt based).
    return this.opts.limits.pathValidationPtos * Math.max(this.loss.ptoPeriod(), 2 * this.opts.limits.initialRttMs);
  }

  /**
   * RFC 9000 §9.3: the peer sent a non-probing packet from a new address (migration or NAT rebinding).
   * Send to it from now on, validate it, and keep the old path to return to if validation fails.
   */
  private onPeerAddressChange(newPath: NetworkPath, now: number): void {
    if (this.role !== 'server' || !this.handshakeCompleteFlag) return;
    if (this.opts.transport.disableActiveMigration && hostOf(newPath.address.remote) !== hostOf(this.path.address.remote)) {
      // RFC 9000 §9: with disable_active_migration the peer must not migrate; NAT rebinding (same host) is tolerated.
      return;
    }
    const from = this.paths.switchTo(newPath);
    const cids = this.cids!;
    // RFC 9000 §9.5: prefer a connection ID the peer has not seen on another path (the one used to
    // answer its probes, if any).
    const seq = newPath.peerCidSequence ?? cids.peer.takeUnused()?.sequenceNumber;
    const old = cids.peer.current.sequenceNumber;
    if (seq !== undefined && seq !== old) {
      cids.peer.useAsCurrent(seq);
      cids.peer.retire(old);
    }
    if (!newPath.validated) newPath.startValidation(this.opts.random(PATH_CHALLENGE_LENGTH), now + this.pathValidationTimeout());
    const oldPath = this.paths.previous;
    if (oldPath !== undefined && oldPath.challenge === undefined) {
      // RFC 9000 §9.3.3: in response to an apparent migration, validate the previously active path too.
      // If the migration was an attacker's copy of a genuine packet, the peer answers on the old path
      // with a non-probing packet and the connection moves back; if the old path is dead, this times out.
      oldPath.startValidation(this.opts.random(PATH_CHALLENGE_LENGTH), now + this.pathValidationTimeout(), true);
    }
    // RFC 9000 §9.4: a new remote address means new congestion and RTT state; a port change alone (NAT
    // rebinding) keeps them.
    if (hostOf(from.remote) !== hostOf(newPath.address.remote)) this.onNewNetworkPath(now);
    this.loss.setAmplificationBlocked(newPath.amplificationBudget === 0, now);
    this.onPathMigrated(from, { ...newPath.address });
  }

  private onPathMigrated(from: PathAddress, to: PathAddress): void {
    this.counters.pathMigrations++;
    this.events.push({ type: 'path-migrated', from, to });
  }

  /**
   * The connection now sends over a different network path (not just a new port): RFC 9000 §9.4, reset
   * congestion control and the RTT estimate to their initial values; RFC 9000 §14.3, the path MTU is
   * unknown again, so start from the base size and search anew.
   */
  private onNewNetworkPath(now: number): void {
    this.loss.resetCongestionAndRtt(now);
    this.mtu.reset();
    this.loss.congestion.setMaxDatagramSize(this.opts.limits.maxDatagramSize);
    this.startMtuDiscovery();
  }

  private onPathResponse(data: Uint8Array, now: number): void {
    // RFC 9000 §8.2.3: a response matching no outstanding challenge is ignored.
    const validated = this.paths.onResponse(data);
    if (validated === undefined) return;
    // A re-check of a path validated before (the old path after a migration) is no news to the endpoint.
    if (!validated.revalidating) this.events.push({ type: 'path-validated', path: { ...validated.address } });
    if (validated === this.path) this.loss.setAmplificationBlocked(false, now);
  }

  private onPathValidationTimers(now: number): void {
    const expiry = this.paths.expire(now);
    if (expiry.reverted !== undefined) this.onPathMigrated(expiry.reverted.from, expiry.reverted.to);
  }

  // ================================================================= timers

  private threePto(): number {
    return CLOSE_PERIOD_PTOS * this.loss.ptoPeriod();
  }

  private restartIdleTimer(now: number): void {
    if (this.idleTimeoutMs === undefined) {
      this.idleDeadline = undefined;
      return;
    }
    // RFC 9000 §10.1: at least three PTOs.
    this.idleDeadline = now + Math.max(this.idleTimeoutMs, IDLE_TIMEOUT_MIN_PTOS * this.loss.ptoPeriod());
  }

  private onTimers(now: number): void {
    if (this.closeState !== undefined) {
      this.closeState.deadline ??= now + this.threePto();
      if (now >= this.closeState.deadline) this.finishClose();
      return;
    }
    if (this.idleDeadline !== undefined && now >= this.idleDeadline) {
      // RFC 9000 §10.1: the connection is silently closed and its state discarded.
      this.stateValue = 'closed';
      this.emitClosed({ code: TransportErrorCode.NO_ERROR, application: false, reason: 'idle timeout', remote: false, cause: 'idle' });
      return;
    }
    if (!this.handshakeCompleteFlag && this.handshakeDeadline !== undefined && now >= this.handshakeDeadline) {
      this.stateValue = 'closed';
      this.emitClosed({ code: TransportErrorCode.NO_ERROR, application: false, reason: 'handshake timed out', remote: false, cause: 'handshake-timeout' });
      return;
    }
    const lossTimer = this.loss.nextTimeout();
    if (lossTimer !== undefined && now >= lossTimer) this.onLossTimeout(now);
    if (this.opts.limits.keepAliveIntervalMs > 0 && this.handshakeCompleteFlag && now >= this.lastAckElicitingSent + this.opts.limits.keepAliveIntervalMs) {
      this.pingPending = true;
    }
    this.onPathValidationTimers(now);
    this.appKeys?.onTimeout(now);
    this.mtu.onTimeout(now);
    this.pacingWakeAt = undefined;
  }

  private onLossTimeout(now: number): void {
    const outcome = this.loss.onTimeout(now);
    if (outcome.kind === 'lost') {
      this.onLossEvent(outcome.space, outcome.lost, now);
    } else if (outcome.kind === 'probe') {
      this.counters.probeTimeouts++;
      // RFC 8899 §4.3: when every packet is lost, no ACK declares anything lost; a PTO with large packets
      // unacknowledged counts as a loss event for black-hole detection.
      if (outcome.space === 'application' && this.mtu.onProbeTimeout()) this.onMtuChanged();
      let space = this.spaces[outcome.space];
      // A probe space whose keys are gone (or not yet there) falls back to the next one that can send.
      if (!this.canWriteSpace(space.name)) {
        const usable = SPACES.find((s) => this.canWriteSpace(s));
        if (usable === undefined) return;
        space = this.spaces[usable];
      }
      space.probesPending = Math.max(space.probesPending, outcome.count);
      // RFC 9002 §6.2.4: probes should carry data; unacknowledged CRYPTO data is the useful payload.
      if (space.name !== 'application') space.requeueUnackedCrypto();
    }
  }

  // ================================================================= sending

  private canWriteSpace(s: PacketNumberSpace): boolean {
    const sp = this.spaces[s];
    if (sp.discarded) return false;
    if (s === 'application') return this.appKeys?.canWrite === true || this.zeroRttWrite !== undefined;
    return sp.write !== undefined;
  }

  /** Room for a DATAGRAM frame in a 1-RTT packet of the current path, at worst-case header size. */
  private maxPayloadForDatagrams(): number {
    return this.datagramLimit(this.path) - MAX_SHORT_HEADER_SIZE - AEAD_TAG_LENGTH;
  }

  /** Largest datagram for this path (RFC 9000 §14, §8.1). */
  private datagramLimit(path: NetworkPath): number {
    // DPLPMTUD applies to the current path; other paths (probing, answering challenges) use the base size.
    let size = path === this.path ? this.mtu.current : this.opts.limits.maxDatagramSize;
    size = Math.min(size, this.peerParams?.maxUdpPayloadSize ?? PRE_HANDSHAKE_DATAGRAM_SIZE);
    return Math.min(size, path.amplificationBudget);
  }

  private buildDatagram(now: number): OutgoingDatagram | undefined {
    this.maybeInitiateKeyUpdate(now);
    // Path validation traffic on paths other than the current one goes first (RFC 9000 §8.2).
    if (this.paths.hasOtherPaths) for (const p of this.paths.all()) {
      if (p !== this.path && (p.responsesPending.length > 0 || p.challengePending)) {
        const d = this.buildOnPath(p, now, true);
        if (d !== undefined) return d;
      }
    }
    return this.buildOnPath(this.path, now, false);
  }

  private buildOnPath(path: NetworkPath, now: number, probingOnly: boolean): OutgoingDatagram | undefined {
    const limit = this.datagramLimit(path);
    if (limit < MIN_USEFUL_DATAGRAM) {
      if (path === this.path) this.loss.setAmplificationBlocked(true, now);
      return undefined;
    }
    const probing = this.spaces.initial.probesPending > 0 || this.spaces.handshake.probesPending > 0 || this.spaces.application.probesPending > 0;
    let mayAddData = probing || this.loss.canSend();
    this.pacingWakeAt = undefined;
    if (mayAddData && !probing && this.opts.limits.pacing && this.hasDataToSend()) {
      this.pacer.update(now, this.loss.congestion.congestionWindow, this.loss.rtt.smoothedRtt, this.mtu.current);
      const wait = this.pacer.timeUntilSend(now, limit);
      if (wait > 0) {
        mayAddData = false;
        this.pacingWakeAt = now + wait;
      }
    }
    // A PMTU probe goes before other data, except before stream data that is waiting when the datagram
    // before did not carry any: then the data goes first and the probe right after. A 64 KiB probe ahead of
    // a connection's first response (CONNACK) held that response back by a probe's worth of congestion
    // window and pacing (RFC 9000 §14.4: probes consume congestion window).
    if (mayAddData && !probingOnly && !probing && !(this.streams.wantsToSend && !this.lastDatagramCarriedStreamData)) {
      const probe = this.buildMtuProbe(path, now);
      if (probe !== undefined) return probe;
    }
    const builder = new DatagramBuilder(limit);
    if (probingOnly) {
      this.fillPacket(builder, 'application', path, now, false, true);
    } else {
      for (const s of SPACES) this.fillPacket(builder, s, path, now, mayAddData, false);
    }
    if (builder.packetCount === 0) {
      builder.discard();
      return undefined;
    }
    // RFC 9000 §14.1: datagrams with Initial packets are padded to 1200 bytes (a client's always, a
    // server's when ack-eliciting); RFC 9000 §8.2.1: so are datagrams carrying PATH_CHALLENGE, where the
    // amplification limit allows.
    if (builder.hasInitial && (this.role === 'client' || builder.ackEliciting)) builder.padTo(MIN_INITIAL_DATAGRAM_SIZE);
    else if (builder.carries('path-challenge') || builder.carries('path-response')) builder.padTo(MIN_INITIAL_DATAGRAM_SIZE);
    const sealed = builder.seal()!;
    let inFlight = false;
    for (const pkt of sealed.packets) {
      this.onPacketBuilt(pkt, now);
      if (pkt.inFlight) inFlight = true;
    }
    path.bytesSent += sealed.data.length;
    if (inFlight) this.pacer.onSend(now, sealed.data.length);
    this.lastDatagramCarriedStreamData = builder.carries('stream');
    if (path === this.path && path.amplificationBudget === 0) this.loss.setAmplificationBlocked(true, now);
    return { data: sealed.data, path: { ...path.address } };
  }

  /**
   * A PMTU probe when one is due (RFC 9000 §14.4): one 1-RTT packet of PING and PADDING filling a
   * datagram of the probe size, on the validated current path, within the congestion window.
   */
  private buildMtuProbe(path: NetworkPath, now: number): OutgoingDatagram | undefined {
    const size = this.mtu.probeSize();
    if (size === undefined || path !== this.path || !path.validated || !this.confirmed) return undefined;
    const keys = this.appKeys;
    if (keys?.write === undefined) return undefined;
    const space = this.spaces.application;
    const builder = new DatagramBuilder(size);
    const pkt = builder.startPacket(this.headerFor('application', path), 'application', keys.write, space.nextPacketNumber, this.loss.largestAcked('application'));
    if (pkt === undefined) return undefined;
    pkt.tryWrite({ kind: 'ping' }, { kind: 'ping' });
    builder.commit(pkt);
    builder.padTo(size);
    const sealed = builder.seal()!;
    this.onPacketBuilt(sealed.packets[0]!, now, true);
    this.mtu.onProbeSent(sealed.data.length);
    path.bytesSent += sealed.data.length;
    // Paced as one datagram of the confirmed size: the probe is a one-off, and charging all of its (up to
    // 64 KiB) bytes to the pacer postponed the data after it by probe size / pacing rate (5 ms measured on
    // loopback) for a packet that carries no data (RFC 9002 §7.7 paces to avoid bursts of data packets).
    this.pacer.onSend(now, Math.min(sealed.data.length, this.mtu.current));
    this.lastDatagramCarriedStreamData = false;
    return { data: sealed.data, path: { ...path.address } };
  }

  private hasDataToSend(): boolean {
    if (this.streams.wantsToSend || this.datagramQueue.length > 0 || this.pingPending || this.handshakeDonePending || this.newTokenPending !== undefined) return true;
    for (const s of SPACES) if (!this.spaces[s].discarded && this.spaces[s].hasCryptoToSend) return true;
    return false;
  }

  /** Records a sealed packet with loss detection and updates per-space state (RFC 9002 A.5). */
  private onPacketBuilt(pkt: PacketInProgress, now: number, mtuProbe = false): void {
    const space = this.spaces[pkt.space];
    space.nextPacketNumber = pkt.packetNumber + 1;
    const gen = this.appKeys?.generationNumber ?? 0;
    const sent: SentPacket<SentPacketInfo> = mtuProbe
      ? { packetNumber: pkt.packetNumber, timeSent: now, size: pkt.size, ackEliciting: pkt.ackEliciting, inFlight: pkt.inFlight, frames: { frames: pkt.frames, keyGeneration: gen, zeroRtt: false }, mtuProbe: true }
      : { packetNumber: pkt.packetNumber, timeSent: now, size: pkt.size, ackEliciting: pkt.ackEliciting, inFlight: pkt.inFlight, frames: { frames: pkt.frames, keyGeneration: gen, zeroRtt: pkt.type === '0rtt' } };
    this.loss.onPacketSent(pkt.space, sent);
    this.counters.packetsSent++;
    // RFC 9000 §21.4: now and then a packet number is never sent; an ACK covering it is an optimistic ACK.
    if (pkt.type === '1rtt' && this.pnSkipper?.onPacketNumberUsed() === true) {
      this.loss.skipPacketNumber('application', space.nextPacketNumber);
      space.nextPacketNumber++;
    }
    if (!mtuProbe && pkt.space === 'application' && pkt.size > this.mtu.baseSize) this.mtu.onLargePacketSent();
    for (const f of pkt.frames) {
      if (f.kind === 'ack') {
        space.acks.onAckSent();
        break;
      }
    }
    if (pkt.type === '1rtt') this.appKeys?.onPacketSent(pkt.packetNumber);
    if (pkt.ackEliciting) {
      if (space.probesPending > 0) space.probesPending--;
      // RFC 9000 §10.1: sending an ack-eliciting packet restarts the idle timer, once per receive.
      if (!this.ackElicitingSentSinceReceive) this.restartIdleTimer(now);
      this.ackElicitingSentSinceReceive = true;
      this.lastAckElicitingSent = now;
      this.pingPending = false;
    }
    if (this.role === 'client' && pkt.type === 'handshake') {
      // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
      this.discardSpace('initial', now);
    }
  }

  /** The keys for our next application-space packet: 1-RTT, or 0-RTT before them (client, RFC 9001 §4.6.1). */
  private applicationWriter(): { protector: PacketProtector; zeroRtt: boolean } | undefined {
    const keys = this.appKeys;
    if (keys?.write !== undefined) return { protector: keys.write, zeroRtt: false };
    if (this.zeroRttWrite !== undefined) return { protector: this.zeroRttWrite, zeroRtt: true };
    return undefined;
  }

  private headerFor(space: PacketNumberSpace, path: NetworkPath, zeroRtt = false): { long: LongHeaderSpec } | { short: ShortHeaderSpec } {
    const dcid = this.peerCidFor(path);
    if (space === 'application' && zeroRtt) return { long: { type: '0rtt', dcid, scid: this.localCid } };
    if (space === 'application') return { short: { dcid, keyPhase: this.appKeys!.keyPhaseBit, spinBit: path.spin.bitFor(dcid) } };
    const long: LongHeaderSpec = { type: space, dcid, scid: this.localCid };
    if (space === 'initial' && this.role === 'client' && this.initialToken !== undefined) long.token = this.initialToken;
    return { long };
  }

  /**
   * The destination connection ID for a path. RFC 9000 §9.5: a path other than the current one (answering
   * a probe) uses a connection ID not used elsewhere when the peer gave us a spare one.
   */
  private peerCidFor(path: NetworkPath): Uint8Array {
    const peer = this.cids!.peer;
    if (path === this.path) return peer.current.connectionId;
    if (path.peerCid === undefined) {
      const fresh = peer.takeUnused();
      if (fresh !== undefined) path.peerCidSequence = fresh.sequenceNumber;
      path.peerCid = fresh?.connectionId ?? peer.current.connectionId;
    }
    return path.peerCid;
  }

  /**
   * Adds this space's packet to the datagram if it has anything to say: an ACK that is due, or (when
   * congestion control and pacing allow, `mayAddData`) handshake data, control frames and stream data.
   */
  private fillPacket(builder: DatagramBuilder, s: PacketNumberSpace, path: NetworkPath, now: number, mayAddData: boolean, probingOnly: boolean): void {
    if (!this.canWriteSpace(s)) return;
    const space = this.spaces[s];
    const isApp = s === 'application';
    const app = isApp ? this.applicationWriter() : undefined;
    const protector: PacketProtector = app?.protector ?? space.write!;
    // RFC 9000 §12.4 Table 3: 0-RTT packets carry no ACK, CRYPTO, HANDSHAKE_DONE or PATH_RESPONSE.
    const zeroRtt = app?.zeroRtt === true;
    const pathFrames = isApp && !zeroRtt && (path.responsesPending.length > 0 || path.challengePending);
    const ackDue = !zeroRtt && space.acks.ackDue(now);
    const wantsData =
      mayAddData &&
      !probingOnly &&
      (space.hasCryptoToSend ||
        space.probesPending > 0 ||
        (isApp &&
          (this.handshakeDonePending ||
            (!zeroRtt && this.newTokenPending !== undefined) ||
            this.streams.wantsToSend ||
            this.datagramQueue.length > 0 ||
            this.pingPending ||
            (!zeroRtt && (this.cids?.local.hasPendingFrame ?? false)) ||
            (!zeroRtt && (this.cids?.peer.hasPendingFrame ?? false)))));
    if (!ackDue && !wantsData && !pathFrames) return;
    const pkt = builder.startPacket(this.headerFor(s, path, zeroRtt), s, protector, space.nextPacketNumber, this.loss.largestAcked(s));
    if (pkt === undefined) return;
    if (!zeroRtt && space.acks.hasNewPackets() && (ackDue || wantsData || pathFrames)) {
      // RFC 9000 §18.2: our ack_delay_exponent applies to 1-RTT ACKs; Initial/Handshake ACKs carry no delay.
      writeAck(pkt, space.acks, now, isApp ? this.opts.transport.ackDelayExponent : DEFAULT_ACK_DELAY_EXPONENT, isApp);
    }
    if (pathFrames) writePathFrames(pkt, path);
    if (wantsData) {
      if (isApp && this.handshakeDonePending && pkt.tryWrite({ kind: 'handshake_done' }, { kind: 'handshake-done' })) this.handshakeDonePending = false;
      if (!zeroRtt) writeCrypto(pkt, space);
      const token = this.newTokenPending;
      if (isApp && !zeroRtt && token !== undefined && pkt.tryWrite({ kind: 'new_token', token }, { kind: 'new-token', token })) this.newTokenPending = undefined;
      if (isApp) {
        if (this.cids !== undefined && !zeroRtt) writeConnectionIdFrames(pkt, this.cids, this.handshakeCompleteFlag);
        writeStreamControl(pkt, this.streams, now, this.loss.rtt.smoothedRtt);
        writeDatagrams(pkt, this.datagramQueue);
        writeStreams(pkt, this.streams);
      }
      if (!pkt.ackEliciting && (space.probesPending > 0 || (isApp && this.pingPending))) pkt.tryWrite({ kind: 'ping' }, { kind: 'ping' });
    }
    builder.commit(pkt);
  }

  private maybeInitiateKeyUpdate(now: number): void {
    const keys = this.appKeys;
    if (keys === undefined || !this.confirmed || !keys.canInitiate) return;
    const interval = this.opts.limits.keyUpdateIntervalPackets;
    const limit = keys.suite.confidentialityLimit * this.opts.limits.keyUpdateLimitFraction;
    // RFC 9001 §6.6: update before the confidentiality limit; the interval option is for tests.
    if ((interval > 0 && keys.sealedInPhase >= interval) || keys.sealedInPhase >= limit) keys.initiate(now, this.threePto());
  }

  // ================================================================= closing

  private closeOnError(e: unknown): void {
    if (this.closeState !== undefined || this.stateValue === 'closed') return;
    this.enterClosing(closeInfoOf(e));
  }

  private enterClosing(info: ConnectionCloseInfo): void {
    this.closeState = new CloseState('closing', info);
    this.stateValue = 'closing';
  }

  private enterDraining(info: ConnectionCloseInfo, now: number): void {
    // RFC 9000 §10.2.2: the draining state sends nothing.
    this.closeState = new CloseState('draining', info);
    this.closeState.deadline = now + this.threePto();
    this.stateValue = 'draining';
  }

  endClosingPeriod(now: number): void {
    this.now = Math.max(this.now, now);
    const cs = this.closeState;
    if (cs === undefined || this.stateValue === 'closed' || (cs.kind === 'closing' && cs.sendPending)) return;
    cs.deadline = this.now;
    this.finishClose();
  }

  private finishClose(): void {
    const info = this.closeState!.info;
    this.stateValue = 'closed';
    this.emitClosed(info);
  }

  private emitClosed(info: ConnectionCloseInfo): void {
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.collectLayerEvents();
    this.events.push({ type: 'closed', info });
  }

  /** RFC 9000 §10.2.3: CONNECTION_CLOSE in every space the peer might be reading. */
  private pollClosing(now: number): OutgoingDatagram | undefined {
    const cs = this.closeState!;
    cs.deadline ??= now + this.threePto();
    if (cs.kind !== 'closing' || !cs.sendPending) return undefined;
    cs.sendPending = false;
    const limit = this.datagramLimit(this.path);
    if (limit < MIN_USEFUL_DATAGRAM) return undefined;
    const builder = new DatagramBuilder(limit);
    for (const s of SPACES) {
      if (!this.canWriteSpace(s)) continue;
      // Before the handshake is confirmed the peer may lack 1-RTT keys, so close at each level we have.
      if (s === 'application' && !this.handshakeCompleteFlag && this.role === 'client') continue;
      const space = this.spaces[s];
      const app = s === 'application' ? this.applicationWriter() : undefined;
      const protector = app?.protector ?? space.write!;
      const pkt = builder.startPacket(this.headerFor(s, this.path, app?.zeroRtt === true), s, protector, space.nextPacketNumber, this.loss.largestAcked(s));
      if (pkt === undefined) continue;
      pkt.tryWrite(cs.frameFor(s === 'application' ? '1rtt' : s), { kind: 'close' });
      if (builder.commit(pkt)) space.nextPacketNumber++;
    }
    if (builder.packetCount === 0) return undefined;
    this.counters.packetsSent += builder.packetCount;
    if (builder.hasInitial && this.role === 'client') builder.padTo(MIN_INITIAL_DATAGRAM_SIZE);
    const sealed = builder.seal()!;
    this.path.bytesSent += sealed.data.length;
    // Without an RTT sample the PTO is the 1 s initial guess (RFC 9002 §6.2.2), too long a silence for a
    // peer retransmitting its first flight to a close that was lost: answer everything then.
    cs.onFirstSent(now, this.loss.rtt.hasSample ? this.loss.ptoBase() : 0);
    return { data: sealed.data, path: { ...this.path.address } };
  }

  // ================================================================= events

  /** Runs after input: buffered packets whose keys arrived, and the events of the layers below. */
  private afterInput(now: number): void {
    if (this.tls !== undefined && this.closeState === undefined) this.tls.drain(this.handshakeSink);
    // RFC 9000 §5.1.1: once 1-RTT is possible, give the peer spare connection IDs (up to its limit).
    if (this.handshakeCompleteFlag && this.cids !== undefined && this.closeState === undefined) this.cids.local.replenish();
    for (let round = 0; this.keysChanged && round < 4 && this.closeState === undefined; round++) {
      this.keysChanged = false;
      this.retryUndecryptable(now);
    }
  }

  private collectLayerEvents(): void {
    for (let ev = this.streams.pollEvent(); ev !== undefined; ev = this.streams.pollEvent()) {
      switch (ev.type) {
        case 'opened':
          this.events.push({ type: 'stream-opened', streamId: ev.streamId });
          break;
        case 'readable':
          this.events.push({ type: 'stream-readable', streamId: ev.streamId });
          break;
        case 'writable':
          this.events.push({ type: 'stream-writable', streamId: ev.streamId });
          break;
        case 'finished':
          this.events.push({ type: 'stream-finished', streamId: ev.streamId });
          break;
        case 'reset':
          this.events.push({ type: 'stream-reset', streamId: ev.streamId, errorCode: ev.errorCode });
          break;
        case 'stop-sending':
          this.events.push({ type: 'stream-stop-sending', streamId: ev.streamId, errorCode: ev.errorCode });
          break;
        case 'streams-available':
          this.events.push({ type: 'streams-available', bidirectional: ev.direction === 'bidi' });
          break;
        case 'closed':
          break;
      }
    }
    const cids = this.cids;
    if (cids === undefined) return;
    for (let ev = cids.pollRoutingEvent(); ev !== undefined; ev = cids.pollRoutingEvent()) {
      if (ev.type === 'issued') this.events.push({ type: 'cid-issued', cid: ev.connectionId, statelessResetToken: ev.statelessResetToken });
      else this.events.push({ type: 'cid-retired', cid: ev.connectionId });
    }
  }
}
