// One stream's outgoing bytes (RFC 9000 §2.2, §13.3): the application appends, the packet builder
// takes ranges with nextChunk(), and acknowledgments and losses of those ranges come back from loss
// detection. Lost ranges are retransmitted before new data (RFC 9000 §13.3: data is resent in new
// frames, not packets), and memory is released once a prefix of the stream is acknowledged.
// Written chunks are kept by reference (as Node's own streams do): the writer must not reuse them.
import { RangeSet } from './range-set.js';
import { LocalStreamError } from './transport-error.js';

/** Unacknowledged bytes above which write() reports backpressure (like Node's writableHighWaterMark). */
export const DEFAULT_SEND_HIGH_WATER_MARK = 256 * 1024;
/**
 * A STREAM frame whose range crosses a chunk boundary stops at the boundary when the first chunk still
 * has this many bytes for it: the frame's data is then a view of the chunk, and the rest of the range goes
 * in the next frame. Concatenating instead costs a fresh buffer per frame, and with 64 KiB datagrams
 * (DPLPMTUD on loopback) that allocation page-faulted on every packet.
 */
const MIN_VIEW_BYTES = 1024;
/** A range made of small chunks is copied together, up to this many bytes (small enough for Node's buffer pool). */
const MAX_COPY_BYTES = 4000;

export interface SendBufferOptions {
  highWaterMark?: number;
}

/** A range to put in a STREAM frame (RFC 9000 §19.8). A FIN-only chunk has empty data. */
export interface SendChunk {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
}

export class SendBuffer {
  readonly highWaterMark: number;
  // Written chunks not yet released, in offset order; the first one may start below ackedPrefix.
  private chunkOffsets: number[] = [];
  private chunks: Uint8Array[] = [];
  private _writeOffset = 0;
  private _sentOffset = 0;
  /** Acknowledged ranges; the first range, once it starts at 0, is the acknowledged prefix. */
  private readonly acked = new RangeSet();
  private readonly lost = new RangeSet();
  private _finished = false;
  private finSent = false;
  private finLost = false;
  private _finAcked = false;
  private needDrain = false;
  private drainPending = false;

  constructor(options: SendBufferOptions = {}) {
    this.highWaterMark = options.highWaterMark ?? DEFAULT_SEND_HIGH_WATER_MARK;
  }

  /** Total bytes written by the application (the stream's final size once finished). */
  get writeOffset(): number {
    return this._writeOffset;
  }

  /** Highest offset ever sent: the flow control credit consumed (RFC 9000 §4.1). */
  get sentOffset(): number {
    return this._sentOffset;
  }

  get ackedPrefix(): number {
    const first = this.acked.first();
    return first !== undefined && first.start === 0 ? first.end : 0;
  }

  /** Bytes held in memory until acknowledged. */
  get bufferedBytes(): number {
    return this._writeOffset - this.ackedPrefix;
  }

  get writable(): boolean {
    return !this._finished && this.bufferedBytes < this.highWaterMark;
  }

  get finished(): boolean {
    return this._finished;
  }

  get finAcked(): boolean {
    return this._finAcked;
  }

  /** Bytes written but never sent. */
  get unsentBytes(): number {
    return this._writeOffset - this._sentOffset;
  }

  get hasRetransmission(): boolean {
    return !this.lost.isEmpty || (this.finLost && this._sentOffset === this._writeOffset);
  }

  private get finPending(): boolean {
    return this._finished && !this._finAcked && (!this.finSent || this.finLost);
  }

  /** Anything to send: lost ranges, unsent bytes or a FIN. */
  get hasPendingData(): boolean {
    return !this.lost.isEmpty || this.unsentBytes > 0 || this.finPending;
  }

  /** Every byte and the FIN are acknowledged (RFC 9000 §3.1 "Data Recvd"). */
  get isAllAcked(): boolean {
    return this._finished && this._finAcked && this.ackedPrefix === this._writeOffset;
  }

  /**
   * Appends data. Returns false once the unacknowledged bytes reach the high-water mark; the owner
   * then waits for takeDrain() to report true before writing more (Node's write()/'drain' contract).
   */
  write(data: Uint8Array): boolean {
    if (this._finished) {
      throw new LocalStreamError('ERR_STREAM_WRITE_AFTER_END', 'write after the stream was finished');
    }
    if (data.byteLength > 0) {
      this.chunkOffsets.push(this._writeOffset);
      this.chunks.push(data);
      this._writeOffset += data.byteLength;
    }
    const ok = this.bufferedBytes < this.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Marks the end of the stream: the next chunk reaching writeOffset carries FIN. Idempotent. */
  finish(): void {
    this._finished = true;
  }

  /**
   * The next range to send, at most maxBytes of data: lost ranges first, then new data below
   * newDataLimit (the flow control limit, an absolute offset; retransmissions need no new credit,
   * RFC 9000 §4.1). Returns undefined when nothing can be sent.
   */
  nextChunk(maxBytes: number, newDataLimit = Number.POSITIVE_INFINITY): SendChunk | undefined {
    const lostRange = this.lost.first();
    if (lostRange !== undefined && maxBytes > 0) {
      const end = this.frameEnd(lostRange.start, lostRange.start + Math.min(lostRange.end - lostRange.start, maxBytes));
      this.lost.remove(lostRange.start, end);
      const fin = this.finPending && end === this._writeOffset && end === this._sentOffset;
      if (fin) this.markFinSent();
      return { offset: lostRange.start, data: this.bytes(lostRange.start, end), fin };
    }
    let newEnd = Math.min(this._writeOffset, newDataLimit, this._sentOffset + Math.max(0, maxBytes));
    if (newEnd > this._sentOffset) {
      newEnd = this.frameEnd(this._sentOffset, newEnd);
      const offset = this._sentOffset;
      this._sentOffset = newEnd;
      const fin = this.finPending && newEnd === this._writeOffset;
      if (fin) this.markFinSent();
      return { offset, data: this.bytes(offset, newEnd), fin };
    }
    if (this.finPending && this._sentOffset === this._writeOffset) {
      // RFC 9000 §19.8: a STREAM frame with no data and FIN set marks the end.
      this.markFinSent();
      return { offset: this._writeOffset, data: new Uint8Array(0), fin: true };
    }
    return undefined;
  }

  private markFinSent(): void {
    this.finSent = true;
    this.finLost = false;
  }

  /** Where a frame for [start, end) ends: `end`, or earlier at a chunk boundary or the copy bound. */
  private frameEnd(start: number, end: number): number {
    const i = this.chunkIndexAt(start);
    const chunkEnd = this.chunkOffsets[i]! + this.chunks[i]!.byteLength;
    if (chunkEnd >= end) return end;
    if (chunkEnd - start >= MIN_VIEW_BYTES) return chunkEnd;
    return Math.min(end, start + Math.max(MAX_COPY_BYTES, chunkEnd - start));
  }

  /** The bytes of [start, end): a view when one chunk holds them, else one copy (see frameEnd). */
  private bytes(start: number, end: number): Uint8Array {
    let i = this.chunkIndexAt(start);
    const first = this.chunks[i]!;
    const firstOffset = this.chunkOffsets[i]!;
    if (firstOffset + first.byteLength >= end) {
      return first.subarray(start - firstOffset, end - firstOffset);
    }
    // Every byte is overwritten below; at most MAX_COPY_BYTES, so it comes from Node's pool.
    const pooled = Buffer.allocUnsafe(end - start);
    const out = new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.byteLength);
    let filled = 0;
    while (filled < out.byteLength) {
      const chunk = this.chunks[i]!;
      const chunkOffset = this.chunkOffsets[i]!;
      const from = start + filled - chunkOffset;
      const take = Math.min(chunk.byteLength - from, out.byteLength - filled);
      out.set(chunk.subarray(from, from + take), filled);
      filled += take;
      i++;
    }
    return out;
  }

  private chunkIndexAt(offset: number): number {
    let lo = 0;
    let hi = this.chunkOffsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunkOffsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** A STREAM frame carrying [offset, offset+length) (and FIN if set) was acknowledged. */
  onAcked(offset: number, length: number, fin = false): void {
    const end = Math.min(offset + length, this._sentOffset);
    if (end > offset) {
      this.acked.add(offset, end);
      this.lost.remove(offset, end);
    }
    if (fin && this.finSent) {
      this._finAcked = true;
      this.finLost = false;
    }
    this.release();
  }

  /**
   * A STREAM frame was declared lost: its bytes not acknowledged since (by another copy) are queued
   * for retransmission, and the FIN too if it was carried and not yet acknowledged.
   */
  onLost(offset: number, length: number, fin = false): void {
    const start = Math.max(offset, this.ackedPrefix);
    const end = Math.min(offset + length, this._sentOffset);
    if (end > start) {
      this.lost.add(start, end);
      for (const r of this.acked.ranges()) {
        if (r.start >= end) break;
        if (r.end > start) this.lost.remove(r.start, r.end);
      }
    }
    if (fin && this.finSent && !this._finAcked) this.finLost = true;
  }

  private release(): void {
    const prefix = this.ackedPrefix;
    while (this.chunks.length > 0 && this.chunkOffsets[0]! + this.chunks[0]!.byteLength <= prefix) {
      this.chunks.shift();
      this.chunkOffsets.shift();
    }
    if (this.needDrain && this.bufferedBytes < this.highWaterMark) {
      this.needDrain = false;
      this.drainPending = true;
    }
  }

  /** True once after write() returned false and the buffer has since fallen below the mark. */
  takeDrain(): boolean {
    const pending = this.drainPending;
    this.drainPending = false;
    return pending;
  }

  /** Bytes of written data still held in memory (for tests and metrics). */
  get retainedChunks(): number {
    return this.chunks.length;
  }

  /** Abandons all data (the stream was reset, RFC 9000 §3.1): nothing more is sent or kept. */
  discard(): void {
    this.chunks = [];
    this.chunkOffsets = [];
    this.lost.clear();
    this.finLost = false;
    this.needDrain = false;
    this.drainPending = false;
  }
}
