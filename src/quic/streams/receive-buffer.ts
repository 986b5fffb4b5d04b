// Reassembly of one stream's received bytes (RFC 9000 §2.2): STREAM frames may arrive out of order,
// duplicated or overlapping. Received data is kept as the Uint8Array views it arrived in (no copy)
// and only coalesced when a read spans several of them. Bytes already held win over a retransmission
// of the same offset: §2.2 says the data MUST NOT change, and an endpoint MAY (we do not) treat a
// change as PROTOCOL_VIOLATION, so ignoring the newcomer is the cheap, correct choice.
//
// Memory is bounded by flow control: the owning stream checks every frame against the receive limit it
// advertised (RFC 9000 §4.1) before inserting, so nothing beyond that limit is ever buffered here.
//
// Memory: every connection keeps one of these per CRYPTO stream for its whole life, nearly always with
// everything read, so the idle state is a few numbers: the contiguous prefix is a number (not the first
// range of a set), the set of ranges above it is empty (no storage, see range-set.ts), and the chunk
// queue lets go of its storage once it is drained.
import { RangeSet } from './range-set.js';
import { StreamError, TransportErrorCode } from './transport-error.js';

/** quic-go closes the connection past 1000 gaps; tiny interleaved fragments cost memory per object. */
export const DEFAULT_MAX_RECEIVE_GAPS = 1000;
/**
 * A view that uses less than 1/N of its backing ArrayBuffer is copied, so a 1-byte frame cannot keep
 * a whole datagram alive (a peer could otherwise pin ~1500 bytes of memory per byte of credit).
 */
export const DEFAULT_COPY_RATIO = 4;

export interface ReceiveBufferOptions {
  /** Disjoint received ranges allowed before closing with INTERNAL_ERROR. */
  maxGaps?: number;
  /** Copy a view smaller than 1/copyRatio of its backing buffer. */
  copyRatio?: number;
}

/** The chunk queue of every buffer holding nothing: an idle buffer has no arrays of its own. */
const NO_OFFSETS: number[] = [];
const NO_CHUNKS: Uint8Array[] = [];

export class ReceiveBuffer {
  private readonly maxGaps: number;
  private readonly copyRatio: number;
  // Sorted, non-overlapping chunks, all at or above readOffset. The shared empty arrays while nothing is
  // buffered (never mutated: storeGaps replaces them).
  private offsets: number[] = NO_OFFSETS;
  private chunks: Uint8Array[] = NO_CHUNKS;
  /** Every byte below this has been received (RFC 9000 §2.2: what may be delivered in order). */
  private contiguous = 0;
  /** Received ranges above `contiguous`, each starting beyond it (gaps below them). */
  private readonly received = new RangeSet();
  private _readOffset = 0;
  private _highestOffset = 0;
  private _finalSize: number | undefined;
  private _bufferedBytes = 0;

  constructor(options: ReceiveBufferOptions = {}) {
    this.maxGaps = options.maxGaps ?? DEFAULT_MAX_RECEIVE_GAPS;
    this.copyRatio = options.copyRatio ?? DEFAULT_COPY_RATIO;
  }

  /** Bytes handed to the reader so far. */
  get readOffset(): number {
    return this._readOffset;
  }

  /** The largest offset+length received (what connection-level flow control counts, RFC 9000 §4.5). */
  get highestOffset(): number {
    return this._highestOffset;
  }

  get finalSize(): number | undefined {
    return this._finalSize;
  }

  /** Bytes held in memory (received, not yet read). */
  get bufferedBytes(): number {
    return this._bufferedBytes;
  }

  /** Bytes that can be read now without a gap. */
  get readableBytes(): number {
    return this.contiguousEnd() - this._readOffset;
  }

  /** Every byte up to the final size has been received (RFC 9000 §3.2 "Data Recvd"). */
  get isComplete(): boolean {
    return this._finalSize !== undefined && this.contiguousEnd() === this._finalSize;
  }

  /** Every byte up to the final size has been read (RFC 9000 §3.2 "Data Read"). */
  get isFinished(): boolean {
    return this._finalSize !== undefined && this._readOffset === this._finalSize;
  }

  private contiguousEnd(): number {
    return this.contiguous;
  }

  /** Disjoint received ranges, counting the contiguous prefix (what maxGaps bounds). */
  private get receivedRangeCount(): number {
    return this.received.rangeCount + (this.contiguous > 0 ? 1 : 0);
  }

  /** Records [start, end) as received, growing the contiguous prefix when it reaches it. */
  private markReceived(start: number, end: number): void {
    if (start > this.contiguous) {
      this.received.add(start, end);
      return;
    }
    if (end <= this.contiguous) return;
    this.contiguous = this.received.extendPrefix(end);
  }

  /**
   * Checks a final size against what is known (RFC 9000 §4.5) and records it. Used for a STREAM frame
   * with FIN and for RESET_STREAM. Throws FINAL_SIZE_ERROR if it changes or is below received data.
   */
  setFinalSize(size: number): void {
    if (this._finalSize !== undefined) {
      if (size !== this._finalSize) {
        throw new StreamError(
          TransportErrorCode.FINAL_SIZE_ERROR,
          `final size changed from ${this._finalSize} to ${size}`,
        );
      }
      return;
    }
    if (size < this._highestOffset) {
      throw new StreamError(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `final size ${size} is below the ${this._highestOffset} bytes already received`,
      );
    }
    this._finalSize = size;
    // The final size is the credit the stream consumed (RFC 9000 §4.5), received or not.
    this._highestOffset = size;
  }

  /**
   * Validates a STREAM frame's range against the final size without storing anything. Separate from
   * insert so the owner can check final size before flow control (both close the connection, but the
   * final size error is the more precise one).
   */
  checkFinalSize(offset: number, length: number, fin: boolean): void {
    const end = offset + length;
    if (fin) {
      if (this._finalSize !== undefined && end !== this._finalSize) {
        throw new StreamError(
          TransportErrorCode.FINAL_SIZE_ERROR,
          `final size changed from ${this._finalSize} to ${end}`,
        );
      }
      if (this._finalSize === undefined && end < this._highestOffset) {
        throw new StreamError(
          TransportErrorCode.FINAL_SIZE_ERROR,
          `final size ${end} is below the ${this._highestOffset} bytes already received`,
        );
      }
    } else if (this._finalSize !== undefined && end > this._finalSize) {
      // RFC 9000 §4.5: data at or beyond the final size.
      throw new StreamError(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `data up to offset ${end} beyond the final size ${this._finalSize}`,
      );
    }
  }

  /** Stores a STREAM frame's data. The caller has already checked flow control. */
  insert(offset: number, data: Uint8Array, fin: boolean): void {
    this.checkFinalSize(offset, data.byteLength, fin);
    const end = offset + data.byteLength;
    if (fin) this._finalSize = end;
    if (end > this._highestOffset) this._highestOffset = end;
    if (end <= this._readOffset || data.byteLength === 0) return;
    let start = offset;
    let view = data;
    if (start < this._readOffset) {
      view = view.subarray(this._readOffset - start);
      start = this._readOffset;
    }
    this.markReceived(start, end);
    // Throwing here leaves the buffer inconsistent, which is fine: a StreamError closes the connection.
    if (this.receivedRangeCount > this.maxGaps) {
      throw new StreamError(
        TransportErrorCode.INTERNAL_ERROR,
        `more than ${this.maxGaps} gaps in received stream data`,
      );
    }
    this.storeGaps(start, end, view);
  }

  /** Inserts the parts of [start, end) not yet held, leaving existing chunks untouched. */
  private storeGaps(start: number, end: number, view: Uint8Array): void {
    const first = this.firstChunkEndingAfter(start);
    const mergedOffsets: number[] = [];
    const mergedChunks: Uint8Array[] = [];
    let cursor = start;
    let j = first;
    while (cursor < end) {
      if (j < this.offsets.length && this.offsets[j]! <= cursor) {
        // Existing data wins over the retransmission (RFC 9000 §2.2).
        mergedOffsets.push(this.offsets[j]!);
        mergedChunks.push(this.chunks[j]!);
        cursor = Math.max(cursor, this.offsets[j]! + this.chunks[j]!.byteLength);
        j++;
        continue;
      }
      const pieceEnd = j < this.offsets.length ? Math.min(this.offsets[j]!, end) : end;
      mergedOffsets.push(cursor);
      mergedChunks.push(this.retain(view.subarray(cursor - start, pieceEnd - start)));
      this._bufferedBytes += pieceEnd - cursor;
      cursor = pieceEnd;
    }
    if (this.offsets.length === 0) {
      // Nothing was buffered (the shared empty arrays): the merged pieces become the queue.
      this.offsets = mergedOffsets;
      this.chunks = mergedChunks;
    } else {
      this.offsets.splice(first, j - first, ...mergedOffsets);
      this.chunks.splice(first, j - first, ...mergedChunks);
    }
  }

  private retain(piece: Uint8Array): Uint8Array {
    return piece.byteLength * this.copyRatio < piece.buffer.byteLength ? piece.slice() : piece;
  }

  private firstChunkEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid]! + this.chunks[mid]!.byteLength <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Returns contiguous data at readOffset, at most maxBytes and at most what the first held chunk has
   * (a view of it, never a copy), or undefined if none is available. Callers loop until undefined, as with
   * a socket's reads. Joining chunks into one buffer cost a fresh allocation per read, which for 64 KiB
   * reads page-faulted on every one; the consumer (a Node stream) takes the chunks as they are.
   */
  read(maxBytes = Number.POSITIVE_INFINITY): Uint8Array | undefined {
    const n = Math.min(maxBytes, this.readableBytes);
    if (n <= 0) return undefined;
    const head = this.chunks[0]!;
    const take = Math.min(n, head.byteLength);
    const out = take === head.byteLength ? head : head.subarray(0, take);
    this.consumeHead(take);
    return out;
  }

  private consumeHead(n: number): void {
    const head = this.chunks[0]!;
    if (n === head.byteLength) {
      if (this.chunks.length === 1) {
        // Drained: back to the shared empty arrays, so an idle buffer keeps no storage.
        this.chunks = NO_CHUNKS;
        this.offsets = NO_OFFSETS;
      } else {
        this.chunks.shift();
        this.offsets.shift();
      }
    } else {
      this.chunks[0] = head.subarray(n);
      this.offsets[0]! += n;
    }
    this._readOffset += n;
    this._bufferedBytes -= n;
  }

  /**
   * Drops everything buffered and returns how many bytes up to `upTo` had not been read, so the owner
   * can release that connection-level credit (after RESET_STREAM or STOP_SENDING, RFC 9000 §4.5).
   */
  discard(upTo: number): number {
    const unread = Math.max(0, upTo - this._readOffset);
    this.offsets = NO_OFFSETS;
    this.chunks = NO_CHUNKS;
    this._bufferedBytes = 0;
    this._readOffset = Math.max(this._readOffset, upTo);
    this.received.clear();
    this.contiguous = this._readOffset;
    return unread;
  }
}
