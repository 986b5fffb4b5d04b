// Cursor-based byte reading and writing for the QUIC wire format.
// BufferReader never throws RangeError: every read is bounds-checked and fails with a QuicWireError
// carrying the error code of the context (FRAME_ENCODING_ERROR for frames, RFC 9000 §12.4;
// TRANSPORT_PARAMETER_ERROR for transport parameters, RFC 9000 §7.4).
// BufferWriter fills either a growing buffer or a caller-provided one (a datagram being built).
import { QuicWireError, TransportErrorCode } from './errors.js';
import { readVarintAt, varintLength, varintLengthOfFirstByte, writeVarintAt } from './varint.js';

export class BufferReader {
  private pos: number;
  private readonly start: number;
  private readonly end: number;

  /**
   * @param bytes the buffer to read (never copied)
   * @param errorCode the transport error code raised when the bytes are malformed or truncated
   * @param start first byte to read; @param end one past the last byte (default: bytes.length)
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly errorCode: number = TransportErrorCode.FRAME_ENCODING_ERROR,
    start = 0,
    end = bytes.length,
  ) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `reader window ${start}..${end} outside ${bytes.length} bytes`);
    }
    this.pos = start;
    this.start = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Raises this reader's error code with `reason` (for callers validating what they read). */
  fail(reason: string, frameType?: number): never {
    throw new QuicWireError(this.errorCode, reason, frameType === undefined ? {} : { frameType });
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(`truncated ${what}: need ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(): number {
    this.need(1, 'uint8');
    return this.bytes[this.pos++]!;
  }

  peekU8(): number {
    this.need(1, 'uint8');
    return this.bytes[this.pos]!;
  }

  u16(): number {
    this.need(2, 'uint16');
    const b = this.bytes;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'uint32');
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** Big-endian unsigned integer of 1..4 bytes (packet numbers, RFC 9000 §17.1). */
  uintN(n: 1 | 2 | 3 | 4): number {
    this.need(n, `uint${n * 8}`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.bytes[this.pos + i]!;
    this.pos += n;
    return v;
  }

  /** A varint (RFC 9000 §16). Exact up to 2^53-1; larger values come back > Number.MAX_SAFE_INTEGER. */
  varint(): number {
    this.need(1, 'varint');
    const len = varintLengthOfFirstByte(this.bytes[this.pos]!);
    this.need(len, 'varint');
    const v = readVarintAt(this.bytes, this.pos);
    this.pos += len;
    return v;
  }

  /** The encoded length of the varint at the cursor (the frame decoder checks minimal frame types). */
  peekVarintLength(): number {
    return varintLengthOfFirstByte(this.peekU8());
  }

  /** A varint exactly, over the full 62-bit range. */
  varintBigInt(): bigint {
    this.need(1, 'varint');
    const len = varintLengthOfFirstByte(this.bytes[this.pos]!);
    this.need(len, 'varint');
    let v = BigInt(this.bytes[this.pos]! & 0x3f);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(this.bytes[this.pos + i]!);
    this.pos += len;
    return v;
  }

  /** `n` bytes as a view into the underlying buffer (zero copy). */
  bytesView(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) this.fail(`invalid length ${n}`);
    this.need(n, 'bytes');
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A varint length prefix followed by that many bytes, as a view. */
  varintBytes(): Uint8Array {
    return this.bytesView(this.varint());
  }

  /** Everything up to the end of the window, as a view. */
  rest(): Uint8Array {
    const v = this.bytes.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  skip(n: number): void {
    this.need(n, 'bytes');
    this.pos += n;
  }

  /** Moves the cursor within the window (e.g. back, to re-read a field exactly as a bigint). */
  seek(offset: number): void {
    if (offset < this.start || offset > this.end) throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `cannot seek to ${offset}`);
    this.pos = offset;
  }
}

const INITIAL_GROWABLE_SIZE = 256;

/**
 * Writes into a caller-provided buffer (fixed capacity: a datagram of the path MTU) or into a buffer
 * that grows. Writing past a fixed buffer is a local bug, raised as INTERNAL_ERROR; packet builders use
 * `remaining` and the frame size helpers to never get there.
 */
export class BufferWriter {
  private buf: Uint8Array;
  private pos: number;
  private readonly fixed: boolean;
  private readonly limit: number;

  /**
   * @param target a buffer to fill in place from `start` up to `end` (exclusive); without it the
   * writer allocates and grows.
   */
  constructor(target?: Uint8Array, start = 0, end?: number) {
    if (target === undefined) {
      this.buf = new Uint8Array(INITIAL_GROWABLE_SIZE);
      this.fixed = false;
      this.pos = 0;
      this.limit = Number.MAX_SAFE_INTEGER;
    } else {
      const e = end ?? target.length;
      if (start < 0 || e > target.length || start > e) {
        throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `writer window ${start}..${e} outside ${target.length} bytes`);
      }
      this.buf = target;
      this.fixed = true;
      this.pos = start;
      this.limit = e;
    }
  }

  get offset(): number {
    return this.pos;
  }

  /** Bytes that can still be written (unbounded writers report Number.MAX_SAFE_INTEGER). */
  get remaining(): number {
    return this.limit - this.pos;
  }

  /** The underlying buffer (for in-place protection of a packet written so far). */
  get buffer(): Uint8Array {
    return this.buf;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length && this.pos + n <= this.limit) return;
    if (this.fixed) {
      throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `write of ${n} bytes overflows buffer (${this.limit - this.pos} left)`);
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** Big-endian unsigned integer of 1..4 bytes (the low bytes of `v`). */
  uintN(v: number, n: 1 | 2 | 3 | 4): this {
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) this.buf[this.pos + (n - 1 - i)] = Math.floor(v / 2 ** (8 * i)) & 0xff;
    this.pos += n;
    return this;
  }

  /** A varint with its shortest encoding, or with `length` bytes when given. */
  varint(v: number, length?: 1 | 2 | 4 | 8): this {
    const n = length ?? varintLength(v);
    this.ensure(n);
    this.pos = writeVarintAt(this.buf, this.pos, v, n);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** `n` zero bytes (PADDING frames, RFC 9000 §19.1). */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Reserves `n` bytes to be filled later with `patchVarint` (e.g. a long header's Length). */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Writes `v` with exactly `length` bytes at a position reserved earlier. */
  patchVarint(at: number, v: number, length: 1 | 2 | 4 | 8): void {
    if (at < 0 || at + length > this.pos) throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `patch outside written bytes`);
    writeVarintAt(this.buf, at, v, length);
  }

  /** The bytes written, as a view (the start of a fixed writer's window is not included). */
  view(from = 0): Uint8Array {
    return this.buf.subarray(from, this.pos);
  }
}
