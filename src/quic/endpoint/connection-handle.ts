// The application's view of one QUIC connection (client or server side): an EventEmitter with streams,
// datagrams and close. It turns the sans-IO connection's events into Node events and QuicStream calls,
// and asks its endpoint to poll the connection whenever the application gave it something to send.
import { EventEmitter } from 'node:events';
import type { ConnectionCloseInfo, ConnectionEvent, PathAddress, QuicConnectionApi } from '../connection/api.js';
import type { ConnectionStats } from '../connection/connection-stats.js';
import { TransportErrorCode } from '../wire/errors.js';
import { checkUrgency } from '../streams/send-scheduler.js';
import type { EndpointConnection } from './endpoint-core.js';
import { QuicConnectionClosedError, QuicEndpointError } from './errors.js';
import { QuicStream, type QuicStreamOwner } from './quic-stream.js';

/** RFC 9000 §2.1: the lowest bit of a stream ID is the initiator, the next one the directionality. */
const STREAM_SERVER_INITIATED_BIT = 0x1;
const STREAM_UNIDIRECTIONAL_BIT = 0x2;

export interface HandshakeInfo {
  alpn: string;
  serverName?: string;
  resumed: boolean;
  earlyData: 'accepted' | 'rejected' | 'none';
}

export interface QuicConnectionHandleEvents {
  /** The handshake completed (RFC 9001 §4.1.1). */
  handshake: [HandshakeInfo];
  /** The peer opened a stream. */
  stream: [QuicStream];
  /** RFC 9221 DATAGRAM frame payload. */
  datagram: [Uint8Array];
  /** Client: a TLS session ticket for resumption and 0-RTT on the next connection. */
  'session-ticket': [unknown];
  /** Client: an address-validation token (NEW_TOKEN, RFC 9000 §8.1.3) for the next connection. */
  'new-token': [Uint8Array];
  /** The connection moved to a new path (RFC 9000 §9). */
  'path-migrated': [PathAddress, PathAddress];
  /** The connection is gone; every stream was ended or destroyed before this. */
  close: [ConnectionCloseInfo];
}

/** What a handle needs from the endpoint that drives it. */
export interface ConnectionDriver {
  /** Poll the connection soon (the application gave it work). */
  wake(entry: EndpointConnection): void;
}

export interface OpenStreamOptions {
  /** Default true. */
  bidirectional?: boolean;
  highWaterMark?: number;
  /** Sending priority, urgency 0 (first) to 7 (last), default 3: QuicStream.setPriority. */
  priority?: number;
  /**
   * Open before the handshake completes when the peer's stream limits are already known (a resumed
   * session remembers them, RFC 9000 §7.4.1): with 0-RTT keys the stream's data goes out as early data
   * (RFC 9001 §4.6.1), otherwise it waits for the 1-RTT keys. Default false: wait for the handshake.
   */
  early?: boolean;
}

export class QuicConnectionHandle extends EventEmitter<QuicConnectionHandleEvents> {
  /** Resolves when the handshake completes; rejects with QuicConnectionClosedError if it closes first. */
  readonly ready: Promise<HandshakeInfo>;
  /** Resolves with how the connection ended. */
  readonly closed: Promise<ConnectionCloseInfo>;
  handshake: HandshakeInfo | undefined;
  closeInfo: ConnectionCloseInfo | undefined;
  /** Server side: peer streams are held until the application has the handle (see releaseStreams). */
  private holdingStreams: QuicStream[] | undefined;
  private readonly streams = new Map<number, QuicStream>();
  private readonly streamWaiters: Array<{ bidirectional: boolean; resolve: () => void; reject: (e: Error) => void }> = [];
  private resolveReady!: (info: HandshakeInfo) => void;
  private rejectReady!: (e: Error) => void;
  private resolveClosed!: (info: ConnectionCloseInfo) => void;
  /** Made with the first stream: an idle connection without streams does not hold it. */
  private streamOwner: QuicStreamOwner | undefined;

  constructor(
    private readonly driver: ConnectionDriver,
    readonly entry: EndpointConnection,
    options: { holdPeerStreams?: boolean } = {},
  ) {
    super();
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A connection that fails before anyone awaits `ready` must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    if (options.holdPeerStreams === true) this.holdingStreams = [];
  }

  get connection(): QuicConnectionApi {
    return this.entry.connection;
  }

  /** "ip:port" of the peer (follows migration). */
  get remoteAddress(): string {
    return this.entry.remote;
  }

  get localAddress(): string {
    return this.entry.local;
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** Datagrams, packets, losses, RTT, congestion window and path MTU of this connection (ConnectionStats). */
  stats(): ConnectionStats {
    return this.entry.connection.stats();
  }

  /**
   * Opens a stream once the handshake is done, waiting while the peer's MAX_STREAMS limit is reached
   * (RFC 9000 §4.6). Rejects if the connection closes first.
   */
  async openStream(options: OpenStreamOptions = {}): Promise<QuicStream> {
    const bidirectional = options.bidirectional ?? true;
    const priority = options.priority;
    // Checked before a stream ID is spent on it.
    if (priority !== undefined) checkUrgency(priority);
    if (options.early !== true) await this.ready;
    for (;;) {
      if (this.closeInfo !== undefined) throw new QuicConnectionClosedError(this.closeInfo);
      let id: number | undefined;
      try {
        id = this.entry.connection.openStream(bidirectional);
      } catch (e) {
        throw new QuicEndpointError('ERR_QUIC_STREAM_LIMIT', `cannot open a stream: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (id !== undefined) {
        // Opening queues nothing to send (the peer sees a stream with its first frame), so no poll here: the
        // stream's first write polls.
        const stream = this.createStream(id, { readable: bidirectional, writable: true, ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}) });
        if (priority !== undefined) stream.setPriority(priority);
        return stream;
      }
      this.wake(); // STREAMS_BLOCKED (RFC 9000 §19.14) goes out
      const credit = new Promise<void>((resolve, reject) => this.streamWaiters.push({ bidirectional, resolve, reject }));
      // Before the handshake the peer's limits may simply be unknown yet: try again once they are.
      await (this.handshake === undefined ? Promise.race([credit, this.ready]) : credit);
    }
  }

  /** The peer advertised max_datagram_frame_size (RFC 9221 §3): it accepts DATAGRAM frames. */
  get peerAcceptsDatagrams(): boolean {
    return this.entry.connection.peerTransportParameters?.maxDatagramFrameSize !== undefined;
  }

  /** RFC 9221: sends a DATAGRAM; false when the peer does not accept them or it does not fit. */
  sendDatagram(data: Uint8Array): boolean {
    if (this.closeInfo !== undefined) return false;
    const ok = this.entry.connection.sendDatagram(data);
    if (ok) this.wake();
    return ok;
  }

  /**
   * Closes the connection (RFC 9000 §10.2): CONNECTION_CLOSE with an application error code by default
   * (0 = no error), or a transport code with `application: false`. The 'close' event follows once the
   * closing period is over.
   */
  close(code = 0, reason = '', application = true): void {
    if (this.closeInfo !== undefined) return;
    try {
      this.entry.connection.close(code, reason, application);
    } catch {
      // Closing an already closing connection is harmless; the 'closed' event still comes.
    }
    this.wake();
  }

  /** @internal The server hands the connection to the application: deliver peer streams held so far. */
  releaseStreams(): void {
    const held = this.holdingStreams;
    this.holdingStreams = undefined;
    if (held === undefined) return;
    for (const s of held) if (!s.destroyed) this.emitStream(s);
  }

  /** @internal One event of the connection, in order. */
  dispatch(event: ConnectionEvent): void {
    switch (event.type) {
      case 'handshake-complete': {
        const info: HandshakeInfo = { alpn: event.alpn, resumed: event.resumed, earlyData: event.earlyData };
        if (event.serverName !== undefined) info.serverName = event.serverName;
        this.handshake = info;
        this.resolveReady(info);
        this.emit('handshake', info);
        return;
      }
      case 'stream-opened': {
        const uni = (event.streamId & STREAM_UNIDIRECTIONAL_BIT) !== 0;
        const stream = this.createStream(event.streamId, { readable: true, writable: !uni });
        if (this.holdingStreams !== undefined) this.holdingStreams.push(stream);
        else this.emitStream(stream);
        return;
      }
      case 'stream-readable':
        this.streams.get(event.streamId)?.onReadable();
        return;
      case 'stream-writable':
        this.streams.get(event.streamId)?.onWritable();
        return;
      case 'stream-finished':
        this.streams.get(event.streamId)?.onFinished();
        return;
      case 'stream-reset':
        this.streams.get(event.streamId)?.onReset(event.errorCode, event.earlyDataRejected === true);
        return;
      case 'stream-stop-sending':
        this.streams.get(event.streamId)?.onStopSending(event.errorCode);
        return;
      case 'streams-available':
        this.wakeStreamWaiters(event.bidirectional);
        return;
      case 'datagram':
        this.emit('datagram', event.data);
        return;
      case 'session-ticket':
        this.emit('session-ticket', event.ticket);
        return;
      case 'new-token':
        this.emit('new-token', event.token);
        return;
      case 'path-migrated':
        this.emit('path-migrated', event.from, event.to);
        return;
      case 'closed':
        this.onClosed(event.info);
        return;
      default:
        return;
    }
  }

  /** Whether `streamId` was opened by us (RFC 9000 §2.1). */
  isLocalStream(streamId: number): boolean {
    const serverInitiated = (streamId & STREAM_SERVER_INITIATED_BIT) !== 0;
    return serverInitiated === this.entry.incoming;
  }

  private createStream(id: number, options: { readable: boolean; writable: boolean; highWaterMark?: number }): QuicStream {
    // Data properties only (entry.connection never changes): an object literal with a getter is kept in
    // V8's slower, larger dictionary mode.
    this.streamOwner ??= { connection: this.entry.connection, wake: () => this.wake(), forget: (streamId, stream) => {
        if (this.streams.get(streamId) === stream) this.streams.delete(streamId);
      } };
    const stream = new QuicStream(this.streamOwner, id, options);
    this.streams.set(id, stream);
    return stream;
  }

  private emitStream(stream: QuicStream): void {
    // Nobody to read it: refuse it rather than let its data sit in the connection forever.
    if (this.listenerCount('stream') === 0) {
      stream.destroy();
      return;
    }
    this.emit('stream', stream);
  }

  private wakeStreamWaiters(bidirectional: boolean): void {
    const waiting = this.streamWaiters.filter((w) => w.bidirectional === bidirectional);
    for (const w of waiting) {
      this.streamWaiters.splice(this.streamWaiters.indexOf(w), 1);
      w.resolve();
    }
  }

  private wake(): void {
    if (this.closeInfo === undefined) this.driver.wake(this.entry);
  }

  private onClosed(info: ConnectionCloseInfo): void {
    if (this.closeInfo !== undefined) return;
    this.closeInfo = info;
    // The error (and its stack trace, the costly part) is built only when something receives it: most
    // connections close after `ready` resolved, with no stream cut short and nobody waiting for credit.
    let error: QuicConnectionClosedError | undefined;
    const closedError = (): QuicConnectionClosedError => (error ??= new QuicConnectionClosedError(info));
    const clean = !info.application && info.code === TransportErrorCode.NO_ERROR && info.cause !== 'idle' && info.cause !== 'stateless-reset' && info.cause !== 'handshake-timeout';
    const cleanApplication = info.application && info.code === 0;
    if (this.streams.size > 0) {
      for (const stream of [...this.streams.values()]) stream.onConnectionClosed(clean || cleanApplication ? undefined : closedError());
      this.streams.clear();
    }
    for (const s of this.holdingStreams ?? []) s.onConnectionClosed(undefined);
    this.holdingStreams = undefined;
    for (const w of this.streamWaiters.splice(0)) w.reject(closedError());
    // `ready` settled already once the handshake completed (rejecting it again would be a no-op).
    if (this.handshake === undefined) this.rejectReady(closedError());
    this.resolveClosed(info);
    this.emit('close', info);
  }
}
