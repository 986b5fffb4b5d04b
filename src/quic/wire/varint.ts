// Variable-length integers (RFC 9000 §16): the two high bits of the first byte give the length
// (1, 2, 4 or 8 bytes), the remaining bits are the value in network byte order, up to 2^62-1.
//
// Number choice: the hot path uses `number`, exact for every value up to 2^53-1 (Number.MAX_SAFE_INTEGER),
// which covers every offset, limit and packet number a real connection reaches. Reading an 8-byte varint
// above 2^53-1 as a number yields a value > MAX_SAFE_INTEGER (rounded), so callers can detect it with
// `value > VARINT_MAX_SAFE` and decide what the RFC requires (saturate a limit, reject an offset).
// The full 62-bit range is available exactly through the bigint functions at the bottom.
import { QuicWireError, TransportErrorCode } from './errors.js';

/** Largest value representable in a varint (RFC 9000 §16), as a bigint. */
export const VARINT_MAX = (1n << 62n) - 1n;
/** Largest varint value this library handles as an exact `number`. */
export const VARINT_MAX_SAFE = Number.MAX_SAFE_INTEGER;

const TWO_POW_32 = 0x1_0000_0000;

/** Encoded length of `value`: the shortest encoding (RFC 9000 §16 Table 4). */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0 || !Number.isInteger(value) || value > VARINT_MAX_SAFE) {
    throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `cannot encode ${value} as a varint`);
  }
  if (value <= 0x3f) return 1;
  if (value <= 0x3fff) return 2;
  if (value <= 0x3fffffff) return 4;
  return 8;
}

/** Length of the varint whose first byte is `firstByte` (RFC 9000 §16: 2^(top two bits)). */
export function varintLengthOfFirstByte(firstByte: number): 1 | 2 | 4 | 8 {
  return (1 << (firstByte >> 6)) as 1 | 2 | 4 | 8;
}

/** The largest value that fits in an encoding of `length` bytes. */
export function varintMaxForLength(length: 1 | 2 | 4 | 8): number {
  switch (length) {
    case 1:
      return 0x3f;
    case 2:
      return 0x3fff;
    case 4:
      return 0x3fffffff;
    case 8:
      return VARINT_MAX_SAFE;
  }
}

/**
 * Writes `value` at `offset` with `length` bytes (the shortest by default; a longer length is allowed,
 * e.g. a 2-byte Length field reserved before the payload size is known). Returns the offset after it.
 * Bounds are the caller's job (BufferWriter checks them).
 */
export function writeVarintAt(out: Uint8Array, offset: number, value: number, length: 1 | 2 | 4 | 8 = varintLength(value)): number {
  if (value < 0 || !Number.isInteger(value) || value > varintMaxForLength(length)) {
    throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `varint ${value} does not fit in ${length} bytes`);
  }
  switch (length) {
    case 1:
      out[offset] = value;
      return offset + 1;
    case 2:
      out[offset] = 0x40 | (value >> 8);
      out[offset + 1] = value & 0xff;
      return offset + 2;
    case 4:
      out[offset] = 0x80 | (value >>> 24);
      out[offset + 1] = (value >>> 16) & 0xff;
      out[offset + 2] = (value >>> 8) & 0xff;
      out[offset + 3] = value & 0xff;
      return offset + 4;
    case 8: {
      const hi = Math.floor(value / TWO_POW_32);
      const lo = value >>> 0;
      out[offset] = 0xc0 | (hi >>> 24);
      out[offset + 1] = (hi >>> 16) & 0xff;
      out[offset + 2] = (hi >>> 8) & 0xff;
      out[offset + 3] = hi & 0xff;
      out[offset + 4] = lo >>> 24;
      out[offset + 5] = (lo >>> 16) & 0xff;
      out[offset + 6] = (lo >>> 8) & 0xff;
      out[offset + 7] = lo & 0xff;
      return offset + 8;
    }
  }
}

/**
 * Reads the varint at `offset` without allocating. The caller has checked that
 * `varintLengthOfFirstByte(buf[offset])` bytes are available. Values above 2^53-1 come back rounded
 * (always > VARINT_MAX_SAFE); see the module comment.
 */
export function readVarintAt(buf: Uint8Array, offset: number): number {
  const first = buf[offset]!;
  switch (first >> 6) {
    case 0:
      return first;
    case 1:
      return ((first & 0x3f) << 8) | buf[offset + 1]!;
    case 2:
      return (((first & 0x3f) << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
    default: {
      const hi = (((first & 0x3f) << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
      const lo = ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0;
      return hi * TWO_POW_32 + lo;
    }
  }
}

/** Encodes `value` into a new buffer with the shortest encoding. */
export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarintAt(out, 0, value);
  return out;
}

export interface DecodedVarint<T> {
  value: T;
  length: number;
}

/** Decodes one varint at `offset` (bounds-checked; FRAME_ENCODING_ERROR when truncated). */
export function decodeVarint(buf: Uint8Array, offset = 0): DecodedVarint<number> {
  checkAvailable(buf, offset);
  return { value: readVarintAt(buf, offset), length: varintLengthOfFirstByte(buf[offset]!) };
}

/** Shortest encoding of any value in 0..2^62-1, exactly (RFC 9000 §16). */
export function encodeVarintBigInt(value: bigint): Uint8Array {
  if (value < 0n || value > VARINT_MAX) {
    throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `cannot encode ${value} as a varint`);
  }
  if (value <= BigInt(VARINT_MAX_SAFE)) return encodeVarint(Number(value));
  const out = new Uint8Array(8);
  let v = value;
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0]! |= 0xc0;
  return out;
}

/** Decodes one varint at `offset` exactly over the full 62-bit range. */
export function decodeVarintBigInt(buf: Uint8Array, offset = 0): DecodedVarint<bigint> {
  checkAvailable(buf, offset);
  const length = varintLengthOfFirstByte(buf[offset]!);
  let v = BigInt(buf[offset]! & 0x3f);
  for (let i = 1; i < length; i++) v = (v << 8n) | BigInt(buf[offset + i]!);
  return { value: v, length };
}

function checkAvailable(buf: Uint8Array, offset: number): void {
  if (offset < 0 || offset >= buf.length || offset + varintLengthOfFirstByte(buf[offset]!) > buf.length) {
    throw new QuicWireError(TransportErrorCode.FRAME_ENCODING_ERROR, `truncated varint at offset ${offset}`);
  }
}
