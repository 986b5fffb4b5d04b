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

/** Accumulates bytes; vectors get their length prefix written once their content is known. */
export class Writer {
  private chunks: Buffer[] = [];
  private length = 0;

  u8(v: number): this {
    return this.push(Buffer.of(v & 0xff));
  }
  u16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }
  u24(v: number): this {
    const b = Buffer.allocUnsafe(3);
    b.writeUIntBE(v, 0, 3);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }
  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  /** Writes `fill`'s output prefixed with its length in `lengthBytes` bytes. */
  vector(lengthBytes: 1 | 2 | 3, fill: (w: Writer) => void): this {
    const inner = new Writer();
    fill(inner);
    const body = inner.finish();
    const max = 2 ** (8 * lengthBytes) - 1;
    if (body.length > max) throw new RangeError(`vector of ${body.length} bytes does not fit a ${lengthBytes}-byte length`);
    if (lengthBytes === 1) this.u8(body.length);
    else if (lengthBytes === 2) this.u16(body.length);
    else this.u24(body.length);
    return this.push(body);
  }
  /** Shorthand for a vector holding one opaque byte string. */
  opaque(lengthBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.vector(lengthBytes, (w) => w.bytes(b));
  }
  finish(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
  }
  private push(b: Buffer): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
}

/** Copies a Uint8Array view into a Buffer view without copying bytes. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
