// One stream's outgoing bytes (RFC 9000 §2.2, §13.3): the application appends, the packet builder
// takes ranges with nextChunk(), and acknowledgments and losses of those ranges come back from loss
// detection. Lost ranges are retransmitted before new data (RFC 9000 §13.3: data is resent in new
// frames, not packets), and memory is released once a prefix of the stream is acknowledged.
// Written chunks are kept by reference (as Node's own streams do): the writer must not reuse them.
//
// Memory: every connection keeps one of these per CRYPTO stream for its whole life, nearly always fully
// acknowledged, so the idle state is a few numbers: the acknowledged prefix is a number (not the first
// range of a set), the range sets are empty (and hold no storage, see range-set.ts), and the chunk
// queue lets go of its storage once everything written is released.
import { RangeSet } from './range-set.js';
import { LocalStreamError } from './transport-error.js';

/** Unacknowledged bytes above which write() reports backpressure (like Node's writableHighWaterMark). */
export const DEFAULT_SEND_HIGH_WATER_MARK = 256 * 1024;
/**
 * Released chunks at the head of the queue before it is compacted (when they are also at least half of
 * it): releasing is O(1) per chunk amortised, where Array.shift in a loop was quadratic on long queues.
 */
const COMPACT_MIN_RELEASED = 32;
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

/** Placeholder for a released chunk slot (keeps the array's element kind; holds no data). */
const EMPTY = new Uint8Array(0);
/**
 * The chunk queue of every buffer holding nothing: shared, so an idle buffer has no arrays of its own.
 * Never mutated: write() replaces them with new arrays, release() and discard() put them back.
 */
const NO_CHUNK_OFFSETS: number[] = [];
const NO_CHUNKS: Uint8Array[] = [];

export class SendBuffer {
  readonly highWaterMark: number;
  // Written chunks in offset order; those before chunkHead are released (waiting for compaction), the
  // first one held may start below ackedPrefix.
  private chunkOffsets: number[] = NO_CHUNK_OFFSETS;
  private chunks: Uint8Array[] = NO_CHUNKS;
  private chunkHead = 0;
  private _writeOffset = 0;
  private _sentOffset = 0;
  /** Every byte below this is acknowledged (RFC 9000 §3.1): the memory below it is released. */
  private _ackedPrefix = 0;
  /** Acknowledged ranges above the prefix, each starting beyond it (so the prefix is never in here). */
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
    return this._ackedPrefix;
  }

  /** Bytes held in memory until acknowledged. */
  get bufferedBytes(): number {
    return this._writeOffset - this._ackedPrefix;
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
    return this._finished && this._finAcked && this._ackedPrefix === this._writeOffset;
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
      if (this.chunks.length === 0) {
        // Leave the shared empty queue (never pushed to) for arrays of this buffer's own.
        this.chunkOffsets = [this._writeOffset];
        this.chunks = [data];
      } else {
        this.chunkOffsets.push(this._writeOffset);
        this.chunks.push(data);
      }
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
    let lo = this.chunkHead;
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
      if (offset <= this._ackedPrefix) {
        // The prefix grows to `end`, and takes in the acknowledged ranges it now reaches.
        if (end > this._ackedPrefix) this._ackedPrefix = this.acked.extendPrefix(end);
      } else {
        this.acked.add(offset, end);
      }
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
    const prefix = this._ackedPrefix;
    const n = this.chunks.length;
    let head = this.chunkHead;
    while (head < n && this.chunkOffsets[head]! + this.chunks[head]!.byteLength <= prefix) {
      this.chunks[head] = EMPTY; // drop the reference now; the slot goes at the next compaction
      head++;
    }
    if (head === n) {
      // Everything released: back to the shared empty queue, so an idle buffer keeps no storage.
      if (n > 0) this.resetChunks();
    } else if (head >= COMPACT_MIN_RELEASED && head * 2 >= n) {
      this.chunks.splice(0, head);
      this.chunkOffsets.splice(0, head);
      this.chunkHead = 0;
    } else {
      this.chunkHead = head;
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
    return this.chunks.length - this.chunkHead;
  }

  private resetChunks(): void {
    this.chunks = NO_CHUNKS;
    this.chunkOffsets = NO_CHUNK_OFFSETS;
    this.chunkHead = 0;
  }

  /** Abandons all data (the stream was reset, RFC 9000 §3.1): nothing more is sent or kept. */
  discard(): void {
    this.resetChunks();
    this.lost.clear();
    this.finLost = false;
    this.needDrain = false;
    this.drainPending = false;
  }
}
