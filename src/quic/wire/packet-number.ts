// Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2 and A.3).
// Packet numbers are kept as `number`: an endpoint sends far fewer than 2^53 packets on a connection.
import { QuicWireError, TransportErrorCode } from './errors.js';

export type PacketNumberLength = 1 | 2 | 3 | 4;

/** RFC 9000 §12.3: packet numbers are in 0..2^62-1. */
export const MAX_PACKET_NUMBER = 2 ** 62 - 1;

/**
 * The number of bytes to encode `fullPn` with (RFC 9000 §17.1, Appendix A.2): enough that the range
 * covers more than twice the distance to the largest acknowledged packet, so the peer can decode it.
 * `largestAcked` is undefined when nothing in this packet number space has been acknowledged.
 */
export function packetNumberLength(fullPn: number, largestAcked: number | undefined): PacketNumberLength {
  const numUnacked = largestAcked === undefined ? fullPn + 1 : fullPn - largestAcked;
  if (!Number.isSafeInteger(fullPn) || fullPn < 0 || numUnacked <= 0) {
    throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `packet number ${fullPn} not above largest acked ${largestAcked}`);
  }
  // Appendix A.2: min_bits = log2(num_unacked) + 1, i.e. 2 * num_unacked must fit in the window.
  const twice = 2 * numUnacked;
  if (twice <= 0x100) return 1;
  if (twice <= 0x10000) return 2;
  if (twice <= 0x1000000) return 3;
  if (twice <= 0x100000000) return 4;
  throw new QuicWireError(TransportErrorCode.INTERNAL_ERROR, `${numUnacked} packets unacknowledged: too many to encode a packet number`);
}

/** The low `length` bytes of `fullPn` (the truncated packet number sent on the wire). */
export function truncatePacketNumber(fullPn: number, length: PacketNumberLength): number {
  return fullPn % 2 ** (8 * length);
}

/** Writes the truncated packet number big-endian at `offset`; returns the offset after it. */
export function writePacketNumber(out: Uint8Array, offset: number, fullPn: number, length: PacketNumberLength): number {
  let v = truncatePacketNumber(fullPn, length);
  for (let i = length - 1; i >= 0; i--) {
    out[offset + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return offset + length;
}

/** Reads a `length`-byte truncated packet number at `offset` (the caller has checked bounds). */
export function readTruncatedPacketNumber(buf: Uint8Array, offset: number, length: PacketNumberLength): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + buf[offset + i]!;
  return v;
}

/**
 * Recovers the full packet number (RFC 9000 Appendix A.3): the value closest to the next expected
 * packet number whose low bits equal `truncatedPn`. `largestPn` is the largest packet number
 * successfully processed in this space, or -1 when none has been.
 */
export function decodePacketNumber(largestPn: number, truncatedPn: number, pnNbits: 8 | 16 | 24 | 32): number {
  const expected = largestPn + 1;
  const win = 2 ** pnNbits;
  const hwin = win / 2;
  // (expected & ~mask) | truncated, in arithmetic because the values exceed 32 bits.
  const candidate = expected - (expected % win) + truncatedPn;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
