// Bounds-checked reading and length-prefixed writing of TLS presentation-language vectors
// (RFC 8446 §3). Every read past the end, bad length or leftover byte is a decode_error alert (§6.2).
import { alert } from './alerts.js';

/** Reads big-endian integers and length-prefixed vectors; throws TlsAlert(decode_error) on truncation. */
export class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    /** What is being parsed, for error messages. */
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }
  get offset(): number {
    return this.pos;
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) throw alert('decode_error', `${this.what}: truncated`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.buf.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A vector with a 1-, 2- or 3-byte length prefix; `min`/`max` are the RFC's <min..max> bounds. */
  vector(lengthBytes: 1 | 2 | 3, min = 0, max = Infinity): Buffer {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    if (n < min || n > max) throw alert('decode_error', `${this.what}: vector length ${n} outside <${min}..${max}>`);
    return this.bytes(n);
  }
  /** RFC 8446 §4: a message (or structure) with bytes left over is malformed. */
  end(): void {
    if (this.pos !== this.buf.length) throw alert('decode_error', `${this.what}: ${this.remaining} trailing bytes`);
  }
}

/** Parses a vector of uint16 values (cipher suites, groups, schemes), rejecting odd lengths. */
export function readU16List(data: Buffer, what: string, minLength = 2): number[] {
  if (data.length % 2 !== 0) throw alert('decode_error', `${what}: odd length`);
  if (data.length < minLength) throw alert('decode_error', `${what}: empty`);
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 2) out.push(data.readUInt16BE(i));
  return out;
}

/** First capacity of a Writer; it doubles as needed (a ClientHello or a small Certificate fits in two steps). */
const WRITER_INITIAL_CAPACITY = 512;

/**
 * Accumulates bytes in one growing buffer; a vector reserves its length prefix and writes it once its
 * content is known. (Encoding runs for every handshake message: no buffer per field, no nested copies.)
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity: number = WRITER_INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.reserve(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }
  u24(v: number): this {
    this.reserve(3);
    this.pos = this.buf.writeUIntBE(v, this.pos, 3);
    return this;
  }
  u32(v: number): this {
    this.reserve(4);
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.reserve(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }
  /** Writes `fill`'s output prefixed with its length in `lengthBytes` bytes. */
  vector(lengthBytes: 1 | 2 | 3, fill: (w: Writer) => void): this {
    this.reserve(lengthBytes);
    const at = this.pos;
    this.pos += lengthBytes;
    fill(this);
    const length = this.pos - at - lengthBytes;
    const max = 2 ** (8 * lengthBytes) - 1;
    if (length > max) throw new RangeError(`vector of ${length} bytes does not fit a ${lengthBytes}-byte length`);
    this.buf.writeUIntBE(length, at, lengthBytes);
    return this;
  }
  /** Shorthand for a vector holding one opaque byte string. */
  opaque(lengthBytes: 1 | 2 | 3, b: Uint8Array): this {
    const max = 2 ** (8 * lengthBytes) - 1;
    if (b.byteLength > max) throw new RangeError(`vector of ${b.byteLength} bytes does not fit a ${lengthBytes}-byte length`);
    this.reserve(lengthBytes + b.byteLength);
    this.pos = this.buf.writeUIntBE(b.byteLength, this.pos, lengthBytes);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }
  /** The bytes written so far (a view: write nothing more to this Writer afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

/** Copies a Uint8Array view into a Buffer view without copying bytes. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
