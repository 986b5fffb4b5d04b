// One QUIC stream as a Node Duplex, so it pipes into anything (an MQTT channel, a file, a socket).
//
// Writes go to the connection's send buffer; when it accepts less than a chunk (flow control, RFC 9000
// §4.1, or its buffer limit) the write callback waits for 'stream-writable', which is how Node's writable
// backpressure reaches QUIC. Reads pull from the connection only while Node wants data (push() returned
// true), so unread data stays in the connection and its flow-control window stops the peer. end() sends
// FIN (RFC 9000 §3.1); destroy() abandons the stream: RESET_STREAM for our unfinished sending part (§19.4)
// and STOP_SENDING for the peer's unfinished one (§19.5).
import { Duplex, type DuplexOptions } from 'node:stream';
import type { QuicConnectionApi } from '../connection/api.js';
import { QuicStreamResetError } from './errors.js';

/** Most bytes taken from the connection per read (one push into the Readable). */
export const STREAM_READ_CHUNK = 64 * 1024;
/** Application error code used when a stream is destroyed without one (the application may choose another). */
export const DEFAULT_STREAM_ABORT_CODE = 0;

/** What a stream needs from its connection handle. */
export interface QuicStreamOwner {
  readonly connection: QuicConnectionApi;
  /** The connection has something new to send (data, FIN, credit, resets): have the endpoint poll it. */
  wake(): void;
  /**
   * The stream is gone; stop dispatching its events. `stream` guards a reused ID: after 0-RTT is rejected
   * the connection numbers streams from 0 again, and a new stream may hold the ID already.
   */
  forget(streamId: number, stream: QuicStream): void;
}

export interface QuicStreamOptions {
  /** false for a peer-opened unidirectional stream (we cannot send on it). */
  writable: boolean;
  /** false for a locally opened unidirectional stream (nothing to receive). */
  readable: boolean;
  highWaterMark?: number;
}

/** Carries an application error code through destroy(err): RESET_STREAM/STOP_SENDING use it. */
export interface StreamAbortReason {
  applicationErrorCode?: number;
}

export class QuicStream extends Duplex {
  readonly id: number;
  private readonly owner: QuicStreamOwner;
  private pendingWrite: { data: Uint8Array; callback: (error?: Error | null) => void } | undefined;
  private wantRead = false;
  private peerFinished = false;
  private readEnded = false;
  private sendFinished: boolean;
  private connectionGone = false;
  private abortCode: number | undefined;

  constructor(owner: QuicStreamOwner, id: number, options: QuicStreamOptions) {
    // Node's Duplex takes `readable`/`writable` (a one-way side starts ended); @types/node 20 omits them.
    const duplexOptions = { allowHalfOpen: true, readable: options.readable, writable: options.writable } as DuplexOptions;
    if (options.highWaterMark !== undefined) duplexOptions.highWaterMark = options.highWaterMark;
    super(duplexOptions);
    this.owner = owner;
    this.id = id;
    this.sendFinished = !options.writable;
    this.readEnded = !options.readable;
  }

  /**
   * The priority of this stream's sending: urgency 0 (first) to 7 (last), default 3 (RFC 9218's scale).
   * Streams with data of a lower urgency go first; equal ones share round-robin. Throws RangeError otherwise.
   */
  setPriority(urgency: number): void {
    this.owner.connection.streamSetPriority(this.id, urgency);
  }

  /**
   * Abandons the stream with an application error code (RESET_STREAM and STOP_SENDING for the parts still
   * open, RFC 9000 §19.4, §19.5) without emitting 'error': the local side chose to end it.
   */
  abort(applicationErrorCode: number): void {
    this.abortCode = applicationErrorCode;
    this.destroy();
  }

  // -------------------------------------------------------------------------------------------------
  // Writable side

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pendingWrite = { data: chunk, callback };
    this.flushWrite();
  }

  /**
   * Writes Node buffered while an earlier one waited for the connection: handed over as one chunk, so
   * one streamWrite (and one wake-up) carries them all and they fill whole STREAM frames.
   */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this.pendingWrite = { data, callback };
    this.flushWrite();
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.owner.connection.streamFinish(this.id);
    } catch (e) {
      callback(asError(e));
      return;
    }
    this.sendFinished = true;
    this.owner.wake();
    callback();
  }

  private flushWrite(): void {
    const pending = this.pendingWrite;
    if (pending === undefined) return;
    let accepted: number;
    try {
      accepted = this.owner.connection.streamWrite(this.id, pending.data);
    } catch (e) {
      this.pendingWrite = undefined;
      pending.callback(asError(e));
      return;
    }
    if (accepted > 0) this.owner.wake();
    if (accepted >= pending.data.length) {
      this.pendingWrite = undefined;
      pending.callback();
      return;
    }
    // Partly accepted: keep the rest until the connection reports 'stream-writable'.
    pending.data = pending.data.subarray(accepted);
  }

  // -------------------------------------------------------------------------------------------------
  // Readable side

  override _read(): void {
    this.wantRead = true;
    this.pull();
  }

  private pull(): void {
    if (this.readEnded) return;
    let read = false;
    while (this.wantRead) {
      let chunk: Uint8Array | undefined;
      try {
        chunk = this.owner.connection.streamRead(this.id, STREAM_READ_CHUNK);
      } catch {
        chunk = undefined;
      }
      if (chunk === undefined || chunk.length === 0) break;
      read = true;
      if (!this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this.wantRead = false;
    }
    // Reading frees flow-control credit the peer may be waiting for (MAX_STREAM_DATA, RFC 9000 §4.2).
    if (read) this.owner.wake();
    if (this.peerFinished && this.wantRead) {
      this.readEnded = true;
      this.push(null);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Events from the connection (dispatched by the handle)

  /** @internal */
  onReadable(): void {
    if (this.wantRead) this.pull();
  }

  /** @internal */
  onWritable(): void {
    this.flushWrite();
  }

  /** @internal RFC 9000 §3.2: all the peer's data up to its FIN was delivered. */
  onFinished(): void {
    this.peerFinished = true;
    if (this.wantRead) this.pull();
  }

  /** @internal RFC 9000 §19.4: the peer abandoned its sending part. */
  onReset(errorCode: number, earlyDataRejected = false): void {
    this.readEnded = true;
    // A rejected early stream no longer exists in the connection (its ID may be reused): nothing to abort there.
    if (earlyDataRejected) this.connectionGone = true;
    this.destroy(new QuicStreamResetError(earlyDataRejected ? 'early-data-rejected' : 'reset', this.id, errorCode));
  }

  /** @internal RFC 9000 §19.5: the peer will not read what we send. */
  onStopSending(errorCode: number): void {
    this.sendFinished = true;
    this.destroy(new QuicStreamResetError('stop-sending', this.id, errorCode));
  }

  /** @internal The connection is closed: nothing more can be sent or received. */
  onConnectionClosed(error: Error | undefined): void {
    this.connectionGone = true;
    if (this.destroyed) return;
    const receivedAll = this.readEnded || this.readableEnded;
    const sentAll = this.sendFinished;
    // A stream that completed both ways before the close ends normally; otherwise it was cut short.
    this.destroy(receivedAll && sentAll ? undefined : error);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.connectionGone) {
      const code = this.abortCode ?? abortCodeOf(error);
      try {
        if (!this.sendFinished) this.owner.connection.streamReset(this.id, code);
        if (!this.readEnded) this.owner.connection.streamStopSending(this.id, code);
      } catch {
        // The stream may already be gone in the connection (both sides closed); nothing left to abort.
      }
      this.owner.wake();
    }
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    this.owner.forget(this.id, this);
    if (pending !== undefined) pending.callback(error ?? new Error('stream destroyed'));
    callback(error);
  }
}

function abortCodeOf(error: Error | null): number {
  const code = (error as (Error & StreamAbortReason) | null)?.applicationErrorCode;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 ? code : DEFAULT_STREAM_ABORT_CODE;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
