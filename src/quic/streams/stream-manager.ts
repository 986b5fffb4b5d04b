// All streams of one connection (RFC 9000 §2-4): opening local streams within the peer's MAX_STREAMS,
// accepting peer streams within ours (implicitly opening lower-numbered ones, §3.2), connection-level
// flow control, the frames the connection must send (MAX_*, *_BLOCKED, RESET_STREAM, STOP_SENDING),
// which stream sends next, and per-stream events for the application. Sans-IO: the connection decodes
// frames and calls on*(); it asks pollControlFrame()/pollStreamFrame() while building packets, reports
// acknowledgments and losses of what they returned, and drains pollEvent().
//
// A stream whose both halves reached a terminal state is forgotten at once; MAX_STREAMS replenishes the
// peer's credit so the number of concurrent peer streams stays at the initial limit. A frame for a
// forgotten stream is recognised by its number being below the next unopened one, and ignored.
import {
  type EndpointRole,
  type StreamDirection,
  type StreamId,
  MAX_STREAM_COUNT,
  hasReceiveSide,
  hasSendSide,
  isLocallyInitiated,
  isValidStreamId,
  streamDirection,
  streamIdOf,
  streamIndex,
} from './stream-id.js';
import { ReceiveFlowController, SendFlowController } from './flow-control.js';
import { SendStream, type ApplicationErrorCode } from './send-stream.js';
import { RecvStream } from './recv-stream.js';
import { SendScheduler, DEFAULT_URGENCY } from './send-scheduler.js';
import { streamFrameOverhead } from './frame-size.js';
import type { RecvState, SendState } from './stream-state.js';
import { LocalStreamError, StreamError, TransportErrorCode } from './transport-error.js';

/** Flow control and stream count limits, as in the transport parameters (RFC 9000 §18.2). */
export interface StreamLimits {
  readonly maxData: number;
  readonly maxStreamDataBidiLocal: number;
  readonly maxStreamDataBidiRemote: number;
  readonly maxStreamDataUni: number;
  readonly maxStreamsBidi: number;
  readonly maxStreamsUni: number;
}

/** quic-go's defaults for the auto-tuning caps (6 MiB per stream, 15 MiB per connection). */
export const DEFAULT_MAX_STREAM_WINDOW = 6 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTION_WINDOW = 15 * 1024 * 1024;
/** The connection window is kept at least this multiple of any stream window (as quic-go does). */
export const CONNECTION_WINDOW_MULTIPLIER = 1.5;

export interface StreamManagerOptions {
  role: EndpointRole;
  /** What we advertise in our transport parameters. */
  local: StreamLimits;
  maxStreamWindow?: number;
  maxConnectionWindow?: number;
  sendHighWaterMark?: number;
  maxReceiveGaps?: number;
}

export type StreamEvent =
  | { readonly type: 'opened'; readonly streamId: StreamId }
  | { readonly type: 'readable'; readonly streamId: StreamId }
  | { readonly type: 'writable'; readonly streamId: StreamId }
  | { readonly type: 'finished'; readonly streamId: StreamId }
  | { readonly type: 'reset'; readonly streamId: StreamId; readonly errorCode: ApplicationErrorCode }
  | { readonly type: 'stop-sending'; readonly streamId: StreamId; readonly errorCode: ApplicationErrorCode }
  | { readonly type: 'closed'; readonly streamId: StreamId }
  | { readonly type: 'streams-available'; readonly direction: StreamDirection };

export type StreamControlFrame =
  | { readonly type: 'max_data'; readonly maximum: number }
  | { readonly type: 'max_stream_data'; readonly streamId: StreamId; readonly maximum: number }
  | { readonly type: 'max_streams'; readonly direction: StreamDirection; readonly maximum: number }
  | { readonly type: 'data_blocked'; readonly limit: number }
  | { readonly type: 'stream_data_blocked'; readonly streamId: StreamId; readonly limit: number }
  | { readonly type: 'streams_blocked'; readonly direction: StreamDirection; readonly limit: number }
  | {
      readonly type: 'reset_stream';
      readonly streamId: StreamId;
      readonly errorCode: ApplicationErrorCode;
      readonly finalSize: number;
    }
  | { readonly type: 'stop_sending'; readonly streamId: StreamId; readonly errorCode: ApplicationErrorCode };

/** A STREAM frame to send (RFC 9000 §19.8); report it back with its length on ack or loss. */
export interface OutgoingStreamFrame {
  readonly streamId: StreamId;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
}

/** A sent STREAM frame as loss detection remembers it. */
export interface SentStreamFrame {
  readonly streamId: StreamId;
  readonly offset: number;
  readonly length: number;
  readonly fin: boolean;
}

interface StreamEntry {
  readonly id: StreamId;
  readonly send: SendStream | undefined;
  readonly recv: RecvStream | undefined;
  urgency: number;
  readableSignalled: boolean;
  finishedSignalled: boolean;
}

type PerDirection<T> = { bidi: T; uni: T };

const DIRECTIONS: readonly StreamDirection[] = ['bidi', 'uni'];

const maxStreamsOf = (l: StreamLimits, d: StreamDirection): number => (d === 'bidi' ? l.maxStreamsBidi : l.maxStreamsUni);

const ZERO_LIMITS: StreamLimits = {
  maxData: 0,
  maxStreamDataBidiLocal: 0,
  maxStreamDataBidiRemote: 0,
  maxStreamDataUni: 0,
  maxStreamsBidi: 0,
  maxStreamsUni: 0,
};

type FrameName = 'STREAM' | 'RESET_STREAM' | 'STOP_SENDING' | 'MAX_STREAM_DATA' | 'STREAM_DATA_BLOCKED';

export class StreamManager {
  readonly role: EndpointRole;
  private readonly local: StreamLimits;
  private peer: StreamLimits = ZERO_LIMITS;
  private readonly options: StreamManagerOptions;
  private readonly streams = new Map<StreamId, StreamEntry>();
  private readonly scheduler = new SendScheduler();
  private readonly controlDirty = new Set<StreamId>();
  private readonly connectionBlocked = new Set<StreamId>();
  private readonly events: StreamEvent[] = [];
  private eventHead = 0;

  readonly connectionSend = new SendFlowController(0);
  readonly connectionReceive: ReceiveFlowController;

  private readonly nextLocalIndex: PerDirection<number> = { bidi: 0, uni: 0 };
  private readonly nextPeerIndex: PerDirection<number> = { bidi: 0, uni: 0 };
  /** The peer's MAX_STREAMS: how many streams of each type we may open. */
  private readonly peerMaxStreams: PerDirection<number> = { bidi: 0, uni: 0 };
  /** Our MAX_STREAMS as last advertised. */
  private readonly localMaxStreams: PerDirection<number>;
  private readonly closedPeerStreams: PerDirection<number> = { bidi: 0, uni: 0 };
  private readonly maxStreamsPending: PerDirection<boolean> = { bidi: false, uni: false };
  private readonly streamsBlockedReportedAt: PerDirection<number> = { bidi: -1, uni: -1 };
  private readonly streamsBlockedPending: PerDirection<boolean> = { bidi: false, uni: false };

  constructor(options: StreamManagerOptions) {
    this.options = options;
    this.role = options.role;
    this.local = options.local;
    this.localMaxStreams = { bidi: options.local.maxStreamsBidi, uni: options.local.maxStreamsUni };
    this.connectionReceive = new ReceiveFlowController({
      initialWindow: options.local.maxData,
      maxWindow: options.maxConnectionWindow ?? DEFAULT_MAX_CONNECTION_WINDOW,
    });
  }

  /**
   * The peer's transport parameters (or, for 0-RTT, the remembered ones, RFC 9000 §7.4.1). Limits
   * only ever grow: existing streams get the new credit as if by MAX_STREAM_DATA.
   */
  setPeerLimits(peer: StreamLimits): void {
    for (const d of DIRECTIONS) {
      if (maxStreamsOf(peer, d) > MAX_STREAM_COUNT) {
        // RFC 9000 §18.2: initial_max_streams_* above 2^60 is a TRANSPORT_PARAMETER_ERROR; the
        // transport parameter decoder rejects it, so here it can only be a caller bug.
        throw new LocalStreamError('ERR_INVALID_ARGUMENT', `max streams ${maxStreamsOf(peer, d)} above 2^60`);
      }
    }
    this.peer = peer;
    this.onMaxData(peer.maxData);
    this.raisePeerMaxStreams('bidi', peer.maxStreamsBidi);
    this.raisePeerMaxStreams('uni', peer.maxStreamsUni);
    for (const entry of this.streams.values()) {
      if (entry.send !== undefined && entry.send.onMaxStreamData(this.peerSendLimitFor(entry.id))) {
        this.refresh(entry);
      }
    }
  }

  // ---------------------------------------------------------------- application operations

  /** Opens a local stream, or returns undefined (and queues STREAMS_BLOCKED) when the peer's limit is reached. */
  openStream(direction: StreamDirection): StreamId | undefined {
    const index = this.nextLocalIndex[direction];
    if (index >= this.peerMaxStreams[direction]) {
      // RFC 9000 §4.6: SHOULD send STREAMS_BLOCKED when unable to open; once per limit.
      if (this.streamsBlockedReportedAt[direction] !== this.peerMaxStreams[direction]) {
        this.streamsBlockedReportedAt[direction] = this.peerMaxStreams[direction];
        this.streamsBlockedPending[direction] = true;
      }
      return undefined;
    }
    this.nextLocalIndex[direction] = index + 1;
    const id = streamIdOf(this.role, direction, index);
    this.create(id);
    return id;
  }

  /** How many more streams of this direction may be opened now. */
  openableStreams(direction: StreamDirection): number {
    return this.peerMaxStreams[direction] - this.nextLocalIndex[direction];
  }

  write(id: StreamId, data: Uint8Array): boolean {
    const entry = this.appEntry(id);
    const send = entry.send;
    if (send === undefined || send.state === 'reset-sent' || send.state === 'reset-recvd') {
      throw new LocalStreamError('ERR_STREAM_NOT_WRITABLE', `stream ${id} cannot be written`);
    }
    const ok = send.write(data);
    this.refresh(entry);
    return ok;
  }

  finish(id: StreamId): void {
    const entry = this.appEntry(id);
    if (entry.send === undefined) {
      throw new LocalStreamError('ERR_STREAM_NOT_WRITABLE', `stream ${id} has no sending part`);
    }
    entry.send.finish();
    this.refresh(entry);
  }

  /**
   * Reads up to maxBytes. Returns undefined when nothing is readable, including for a stream that
   * already closed (reading its last bytes can close it, so a read loop ends cleanly).
   */
  read(id: StreamId, maxBytes = Number.POSITIVE_INFINITY): Uint8Array | undefined {
    if (!this.streams.has(id) && this.wasOpened(id)) return undefined;
    const entry = this.appEntry(id);
    if (entry.recv === undefined) {
      throw new LocalStreamError('ERR_STREAM_NOT_READABLE', `stream ${id} has no receiving part`);
    }
    const data = entry.recv.read(maxBytes, this.connectionReceive);
    entry.readableSignalled = false;
    this.refresh(entry);
    return data;
  }

  /** Abandons sending with RESET_STREAM. Returns false when the stream had already ended. */
  resetStream(id: StreamId, errorCode: ApplicationErrorCode): boolean {
    const entry = this.appEntry(id);
    if (entry.send === undefined) {
      throw new LocalStreamError('ERR_STREAM_NOT_WRITABLE', `stream ${id} has no sending part`);
    }
    const queued = entry.send.resetStream(errorCode);
    this.refresh(entry);
    return queued;
  }

  /** Asks the peer to stop sending (STOP_SENDING). Returns false when there was nothing to stop. */
  stopSending(id: StreamId, errorCode: ApplicationErrorCode): boolean {
    const entry = this.appEntry(id);
    if (entry.recv === undefined) {
      throw new LocalStreamError('ERR_STREAM_NOT_READABLE', `stream ${id} has no receiving part`);
    }
    const queued = entry.recv.stopSending(errorCode, this.connectionReceive);
    this.refresh(entry);
    return queued;
  }

  /** RFC 9218 urgency, 0 (first) to 7; streams of equal urgency share round-robin. */
  setUrgency(id: StreamId, urgency: number): void {
    const entry = this.appEntry(id);
    entry.urgency = urgency;
    if (this.scheduler.has(id)) this.scheduler.add(id, urgency);
  }

  has(id: StreamId): boolean {
    return this.streams.has(id);
  }

  /** Streams currently held in memory. */
  get streamCount(): number {
    return this.streams.size;
  }

  sendState(id: StreamId): SendState | undefined {
    return this.streams.get(id)?.send?.state;
  }

  recvState(id: StreamId): RecvState | undefined {
    return this.streams.get(id)?.recv?.state;
  }

  /** Bytes readable now without a gap. */
  readableBytes(id: StreamId): number {
    return this.streams.get(id)?.recv?.buffer.readableBytes ?? 0;
  }

  /** write() would not report backpressure. */
  isWritable(id: StreamId): boolean {
    return this.streams.get(id)?.send?.buffer.writable ?? false;
  }

  /** The stream existed at some point (it may have been closed and forgotten since). */
  private wasOpened(id: StreamId): boolean {
    if (!isValidStreamId(id)) return false;
    const next = isLocallyInitiated(id, this.role) ? this.nextLocalIndex : this.nextPeerIndex;
    return streamIndex(id) < next[streamDirection(id)];
  }

  private appEntry(id: StreamId): StreamEntry {
    const entry = this.streams.get(id);
    if (entry === undefined) throw new LocalStreamError('ERR_STREAM_UNKNOWN', `no open stream ${id}`);
    return entry;
  }

  // ---------------------------------------------------------------- frames from the peer

  /** STREAM frame (RFC 9000 §19.8). */
  onStreamFrame(id: StreamId, offset: number, data: Uint8Array, fin: boolean): void {
    const entry = this.peerFrameEntry(id, 'STREAM', 'recv');
    if (entry === undefined) return;
    entry.recv!.onData(offset, data, fin, this.connectionReceive);
    this.refresh(entry);
  }

  /** RESET_STREAM frame (RFC 9000 §19.4). */
  onResetStream(id: StreamId, errorCode: ApplicationErrorCode, finalSize: number): void {
    const entry = this.peerFrameEntry(id, 'RESET_STREAM', 'recv');
    if (entry === undefined) return;
    const recv = entry.recv!;
    if (recv.onReset(errorCode, finalSize, this.connectionReceive)) {
      this.emit({ type: 'reset', streamId: id, errorCode });
      // The event carries everything the application needs: it counts as read (Reset Read, §3.2).
      recv.onResetDelivered();
    }
    this.refresh(entry);
  }

  /** STOP_SENDING frame (RFC 9000 §19.5): answered with RESET_STREAM carrying the same code (§3.5). */
  onStopSending(id: StreamId, errorCode: ApplicationErrorCode): void {
    const entry = this.peerFrameEntry(id, 'STOP_SENDING', 'send');
    if (entry === undefined) return;
    if (entry.send!.onStopSending(errorCode)) this.emit({ type: 'stop-sending', streamId: id, errorCode });
    this.refresh(entry);
  }

  /** MAX_DATA frame (RFC 9000 §19.9). */
  onMaxData(maximum: number): void {
    if (!this.connectionSend.updateLimit(maximum)) return;
    for (const id of [...this.connectionBlocked]) {
      this.connectionBlocked.delete(id);
      const entry = this.streams.get(id);
      if (entry !== undefined) this.refresh(entry);
    }
  }

  /** MAX_STREAM_DATA frame (RFC 9000 §19.10). */
  onMaxStreamData(id: StreamId, maximum: number): void {
    const entry = this.peerFrameEntry(id, 'MAX_STREAM_DATA', 'send');
    if (entry === undefined) return;
    if (entry.send!.onMaxStreamData(maximum)) this.refresh(entry);
  }

  /** MAX_STREAMS frame (RFC 9000 §19.11). */
  onMaxStreams(direction: StreamDirection, maximum: number): void {
    if (maximum > MAX_STREAM_COUNT) {
      throw new StreamError(TransportErrorCode.FRAME_ENCODING_ERROR, `MAX_STREAMS ${maximum} above 2^60`);
    }
    this.raisePeerMaxStreams(direction, maximum);
  }

  /** DATA_BLOCKED frame (RFC 9000 §19.12): informational; our update policy does not depend on it. */
  onDataBlocked(_limit: number): void {}

  /** STREAM_DATA_BLOCKED frame (RFC 9000 §19.13): only the direction and stream are checked. */
  onStreamDataBlocked(id: StreamId, _limit: number): void {
    const entry = this.peerFrameEntry(id, 'STREAM_DATA_BLOCKED', 'recv');
    if (entry !== undefined) this.refresh(entry);
  }

  /** STREAMS_BLOCKED frame (RFC 9000 §19.14). */
  onStreamsBlocked(direction: StreamDirection, limit: number): void {
    if (limit > MAX_STREAM_COUNT) {
      throw new StreamError(
        TransportErrorCode.FRAME_ENCODING_ERROR,
        `STREAMS_BLOCKED (${direction}) ${limit} above 2^60`,
      );
    }
  }

  private raisePeerMaxStreams(direction: StreamDirection, maximum: number): void {
    // RFC 9000 §4.6: MAX_STREAMS that do not increase the limit MUST be ignored.
    if (maximum <= this.peerMaxStreams[direction]) return;
    this.peerMaxStreams[direction] = maximum;
    this.streamsBlockedPending[direction] = false;
    this.emit({ type: 'streams-available', direction });
  }

  /**
   * The stream a peer frame refers to, after the checks every stream frame shares: direction
   * (STREAM_STATE_ERROR, RFC 9000 §19.4-§19.13), locally-initiated streams not yet opened
   * (STREAM_STATE_ERROR), and peer stream limits (STREAM_LIMIT_ERROR, §4.6). Peer streams below the
   * referenced one are opened implicitly (§3.2). Undefined means a stream already closed and forgotten.
   */
  private peerFrameEntry(id: StreamId, frame: FrameName, side: 'send' | 'recv'): StreamEntry | undefined {
    if (!isValidStreamId(id)) {
      throw new StreamError(TransportErrorCode.FRAME_ENCODING_ERROR, `${frame}: invalid stream ID ${id}`);
    }
    if (side === 'recv' && !hasReceiveSide(id, this.role)) {
      throw new StreamError(TransportErrorCode.STREAM_STATE_ERROR, `${frame} for send-only stream ${id}`);
    }
    if (side === 'send' && !hasSendSide(id, this.role)) {
      throw new StreamError(TransportErrorCode.STREAM_STATE_ERROR, `${frame} for receive-only stream ${id}`);
    }
    const direction = streamDirection(id);
    const index = streamIndex(id);
    if (isLocallyInitiated(id, this.role)) {
      if (index >= this.nextLocalIndex[direction]) {
        throw new StreamError(
          TransportErrorCode.STREAM_STATE_ERROR,
          `${frame} for locally-initiated stream ${id} that was not opened`,
        );
      }
      return this.streams.get(id);
    }
    if (index >= this.localMaxStreams[direction]) {
      throw new StreamError(
        TransportErrorCode.STREAM_LIMIT_ERROR,
        `${frame} for stream ${id} beyond the ${direction} stream limit ${this.localMaxStreams[direction]}`,
      );
    }
    // RFC 9000 §3.2: opening a stream opens every lower-numbered stream of the same type.
    while (this.nextPeerIndex[direction] <= index) {
      const openedId = streamIdOf(this.role === 'client' ? 'server' : 'client', direction, this.nextPeerIndex[direction]);
      this.nextPeerIndex[direction]++;
      this.create(openedId);
      this.emit({ type: 'opened', streamId: openedId });
    }
    return this.streams.get(id);
  }

  // ---------------------------------------------------------------- packet building

  /** Something to send: a control frame or stream data. */
  get wantsToSend(): boolean {
    return this.hasControlFrames || this.scheduler.size > 0;
  }

  get hasControlFrames(): boolean {
    return (
      this.connectionReceive.needsUpdate ||
      this.connectionSend.hasBlockedFrame ||
      this.maxStreamsPending.bidi ||
      this.maxStreamsPending.uni ||
      this.streamsBlockedPending.bidi ||
      this.streamsBlockedPending.uni ||
      this.controlDirty.size > 0
    );
  }

  /**
   * The next control frame to send, or undefined. The caller commits to sending it (call only with at
   * least MAX_STREAM_CONTROL_FRAME_SIZE bytes free) and later reports onControlFrameAcked/Lost.
   * `now` and `smoothedRtt` (both ms) drive window auto-tuning.
   */
  pollControlFrame(now: number, smoothedRtt: number): StreamControlFrame | undefined {
    const maxData = this.connectionReceive.takeUpdate(now, smoothedRtt);
    if (maxData !== undefined) return { type: 'max_data', maximum: maxData };
    for (const direction of DIRECTIONS) {
      if (this.maxStreamsPending[direction]) {
        this.maxStreamsPending[direction] = false;
        return { type: 'max_streams', direction, maximum: this.localMaxStreams[direction] };
      }
    }
    const dataBlocked = this.connectionSend.takeBlocked();
    if (dataBlocked !== undefined) return { type: 'data_blocked', limit: dataBlocked };
    for (const direction of DIRECTIONS) {
      if (this.streamsBlockedPending[direction]) {
        this.streamsBlockedPending[direction] = false;
        return { type: 'streams_blocked', direction, limit: this.peerMaxStreams[direction] };
      }
    }
    for (const id of this.controlDirty) {
      const entry = this.streams.get(id);
      const frame = entry === undefined ? undefined : this.streamControlFrame(entry, now, smoothedRtt);
      if (entry === undefined || !this.hasStreamControlFrame(entry)) this.controlDirty.delete(id);
      if (frame !== undefined) return frame;
    }
    return undefined;
  }

  private hasStreamControlFrame(entry: StreamEntry): boolean {
    return (
      (entry.send?.hasResetFrame ?? false) ||
      (entry.send?.flow.hasBlockedFrame ?? false) ||
      (entry.recv?.hasStopSendingFrame ?? false) ||
      (entry.recv?.wantsWindowUpdate ?? false)
    );
  }

  private streamControlFrame(entry: StreamEntry, now: number, rtt: number): StreamControlFrame | undefined {
    const streamId = entry.id;
    const reset = entry.send?.takeReset();
    if (reset !== undefined) return { type: 'reset_stream', streamId, ...reset };
    const stopCode = entry.recv?.takeStopSending();
    if (stopCode !== undefined) return { type: 'stop_sending', streamId, errorCode: stopCode };
    const recv = entry.recv;
    if (recv !== undefined && recv.wantsWindowUpdate) {
      const maximum = recv.takeMaxStreamData(now, rtt);
      if (maximum !== undefined) {
        this.connectionReceive.ensureMinimumWindow(recv.flow.window * CONNECTION_WINDOW_MULTIPLIER);
        return { type: 'max_stream_data', streamId, maximum };
      }
    }
    const blocked = entry.send?.takeBlocked();
    if (blocked !== undefined) return { type: 'stream_data_blocked', streamId, limit: blocked };
    return undefined;
  }

  /**
   * The next STREAM frame, at most maxFrameBytes long including its header, from the stream the
   * scheduler picks; undefined when nothing fits or nothing is sendable. Sending is charged to
   * connection credit (RFC 9000 §4.1); running out of it queues DATA_BLOCKED.
   */
  pollStreamFrame(maxFrameBytes: number): OutgoingStreamFrame | undefined {
    // Each iteration either returns or unqueues a stream, so this ends within size + 1 rounds.
    for (let round = this.scheduler.size + 1; round > 0; round--) {
      const id = this.scheduler.peek();
      if (id === undefined) return undefined;
      const entry = this.streams.get(id);
      const send = entry?.send;
      if (entry === undefined || send === undefined) {
        this.scheduler.remove(id);
        continue;
      }
      const headerBound = streamFrameOverhead(id, send.buffer.writeOffset, maxFrameBytes);
      const room = maxFrameBytes - headerBound;
      if (room < 0) return undefined;
      const sent = send.nextChunk(room, this.connectionSend.available);
      if (sent === undefined) {
        this.scheduler.remove(id);
        this.refresh(entry);
        if (this.scheduler.has(id)) return undefined; // it can send, but not within this room
        continue;
      }
      this.connectionSend.consume(sent.newBytes);
      this.scheduler.rotate(id);
      this.refresh(entry);
      return { streamId: id, offset: sent.chunk.offset, data: sent.chunk.data, fin: sent.chunk.fin };
    }
    return undefined;
  }

  onStreamFrameAcked(frame: SentStreamFrame): void {
    const entry = this.streams.get(frame.streamId);
    if (entry?.send === undefined) return;
    entry.send.onAcked(frame.offset, frame.length, frame.fin);
    this.refresh(entry);
  }

  onStreamFrameLost(frame: SentStreamFrame): void {
    const entry = this.streams.get(frame.streamId);
    if (entry?.send === undefined) return;
    entry.send.onLost(frame.offset, frame.length, frame.fin);
    this.refresh(entry);
  }

  onControlFrameAcked(frame: StreamControlFrame): void {
    if (frame.type !== 'reset_stream') return;
    const entry = this.streams.get(frame.streamId);
    if (entry?.send === undefined) return;
    entry.send.onResetAcked();
    this.refresh(entry);
  }

  /** A control frame was lost: queue it again if it still says something current (RFC 9000 §13.3). */
  onControlFrameLost(frame: StreamControlFrame): void {
    switch (frame.type) {
      case 'max_data':
        this.connectionReceive.onUpdateLost(frame.maximum);
        return;
      case 'max_streams':
        if (frame.maximum === this.localMaxStreams[frame.direction]) this.maxStreamsPending[frame.direction] = true;
        return;
      case 'data_blocked':
        this.connectionSend.onBlockedFrameLost(frame.limit);
        return;
      case 'streams_blocked':
        if (
          frame.limit === this.peerMaxStreams[frame.direction] &&
          this.nextLocalIndex[frame.direction] >= frame.limit
        ) {
          this.streamsBlockedPending[frame.direction] = true;
        }
        return;
      default:
        break;
    }
    const entry = this.streams.get(frame.streamId);
    if (entry === undefined) return;
    switch (frame.type) {
      case 'max_stream_data':
        entry.recv?.onMaxStreamDataLost(frame.maximum);
        break;
      case 'stream_data_blocked':
        entry.send?.onBlockedFrameLost(frame.limit);
        break;
      case 'reset_stream':
        entry.send?.onResetLost();
        break;
      case 'stop_sending':
        entry.recv?.onStopSendingLost();
        break;
    }
    this.refresh(entry);
  }

  // ---------------------------------------------------------------- events

  /** The next application event, or undefined when the queue is empty. */
  pollEvent(): StreamEvent | undefined {
    if (this.eventHead >= this.events.length) return undefined;
    const event = this.events[this.eventHead++]!;
    if (this.eventHead === this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
    }
    return event;
  }

  private emit(event: StreamEvent): void {
    this.events.push(event);
  }

  // ---------------------------------------------------------------- internals

  private peerSendLimitFor(id: StreamId): number {
    if (streamDirection(id) === 'uni') return this.peer.maxStreamDataUni;
    // RFC 9000 §18.2: "bidi_local" applies to streams the parameter's sender opened.
    return isLocallyInitiated(id, this.role) ? this.peer.maxStreamDataBidiRemote : this.peer.maxStreamDataBidiLocal;
  }

  private localReceiveWindowFor(id: StreamId): number {
    if (streamDirection(id) === 'uni') return this.local.maxStreamDataUni;
    return isLocallyInitiated(id, this.role) ? this.local.maxStreamDataBidiLocal : this.local.maxStreamDataBidiRemote;
  }

  private create(id: StreamId): StreamEntry {
    const send = hasSendSide(id, this.role)
      ? new SendStream({ initialLimit: this.peerSendLimitFor(id), highWaterMark: this.options.sendHighWaterMark })
      : undefined;
    const recv = hasReceiveSide(id, this.role)
      ? new RecvStream(id, {
          initialWindow: this.localReceiveWindowFor(id),
          maxWindow: Math.max(this.options.maxStreamWindow ?? DEFAULT_MAX_STREAM_WINDOW, this.localReceiveWindowFor(id)),
          maxGaps: this.options.maxReceiveGaps,
        })
      : undefined;
    const entry: StreamEntry = {
      id,
      send,
      recv,
      urgency: DEFAULT_URGENCY,
      readableSignalled: false,
      finishedSignalled: false,
    };
    this.streams.set(id, entry);
    return entry;
  }

  /** Brings scheduling, control-frame bookkeeping, events and retirement up to date for one stream. */
  private refresh(entry: StreamEntry): void {
    const { id, send, recv } = entry;
    if (send !== undefined) {
      if (send.canSend(this.connectionSend.available)) {
        this.scheduler.add(id, entry.urgency);
      } else {
        this.scheduler.remove(id);
        // RFC 9000 §4.1: say so when data waits on the stream limit (once per limit).
        if (send.isBlockedByStreamLimit) send.flow.onBlocked();
        const waitsForConnection =
          send.machine.canReset && send.buffer.unsentBytes > 0 && send.flow.available > 0 && this.connectionSend.available === 0;
        if (waitsForConnection) {
          this.connectionBlocked.add(id);
          this.connectionSend.onBlocked();
        }
      }
      if (send.buffer.takeDrain()) this.emit({ type: 'writable', streamId: id });
    }
    if (recv !== undefined && !recv.isStopped) {
      if (!entry.readableSignalled && recv.buffer.readableBytes > 0) {
        entry.readableSignalled = true;
        this.emit({ type: 'readable', streamId: id });
      }
      if (!entry.finishedSignalled && recv.state === 'data-read') {
        entry.finishedSignalled = true;
        this.emit({ type: 'finished', streamId: id });
      }
    }
    if (this.hasStreamControlFrame(entry)) this.controlDirty.add(id);
    if ((send?.isClosed ?? true) && (recv?.isClosed ?? true)) this.retire(entry);
  }

  /** Forgets a closed stream (RFC 9000 §3.3) and, for a peer stream, returns its credit (§4.6). */
  private retire(entry: StreamEntry): void {
    const { id } = entry;
    this.streams.delete(id);
    this.scheduler.remove(id);
    this.controlDirty.delete(id);
    this.connectionBlocked.delete(id);
    this.emit({ type: 'closed', streamId: id });
    if (isLocallyInitiated(id, this.role)) return;
    const direction = streamDirection(id);
    this.closedPeerStreams[direction]++;
    // Keep the peer's concurrency constant: limit = initial limit + streams closed so far.
    const limit = Math.min(maxStreamsOf(this.local, direction) + this.closedPeerStreams[direction], MAX_STREAM_COUNT);
    if (limit > this.localMaxStreams[direction]) {
      this.localMaxStreams[direction] = limit;
      this.maxStreamsPending[direction] = true;
    }
  }
}
