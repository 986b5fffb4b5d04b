// Encoded sizes of frames, and how much data fits in a frame of a given size: what a packet builder needs
// to fill a datagram frame by frame (RFC 9000 §19.6, §19.8; RFC 9221 §4).
import { BufferWriter } from './buffer.js';
import type { AckFrame, Frame } from './frame-types.js';
import { encodeFrame } from './frames.js';
import { varintLength } from './varint.js';

/** The encoded size of `frame` in bytes. */
export function frameEncodedLength(frame: Frame): number {
  switch (frame.kind) {
    case 'padding':
      return frame.length;
    case 'stream':
      return streamFrameHeaderLength(frame.streamId, frame.offset, frame.data.length, frame.hasLength !== false) + frame.data.length;
    case 'crypto':
      return cryptoFrameHeaderLength(frame.offset, frame.data.length) + frame.data.length;
    case 'datagram':
      return 1 + (frame.hasLength !== false ? varintLength(frame.data.length) : 0) + frame.data.length;
    // The packet builder sizes every frame before writing it; ACK goes into most packets and the flow
    // control updates are frequent, so these are computed rather than encoded twice.
    case 'ack':
      return ackFrameLength(frame);
    case 'max_data':
      return 1 + varintLength(frame.maximum);
    case 'max_stream_data':
      return 1 + varintLength(frame.streamId) + varintLength(frame.maximum);
    default: {
      // Control frames are small and rare enough that sizing them by encoding is fine.
      const w = new BufferWriter();
      encodeFrame(w, frame);
      return w.offset;
    }
  }
}

/**
 * RFC 9000 §19.3: type, Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, then a Gap and
 * an ACK Range Length per further range, then the three ECN counts (§19.3.2). Malformed ranges are left
 * to encodeFrame to reject (INTERNAL_ERROR), as before.
 */
function ackFrameLength(frame: AckFrame): number {
  const ranges = frame.ranges;
  const first = ranges[0];
  if (first === undefined) return 1; // encodeFrame rejects it
  let n = 1 + varintLength(first.largest) + varintLength(frame.ackDelay) + varintLength(ranges.length - 1);
  n += varintLength(Math.max(0, first.largest - first.smallest));
  let prevSmallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i]!;
    n += varintLength(Math.max(0, prevSmallest - r.largest - 2)) + varintLength(Math.max(0, r.largest - r.smallest));
    prevSmallest = r.smallest;
  }
  if (frame.ecn !== undefined) n += varintLength(frame.ecn.ect0) + varintLength(frame.ecn.ect1) + varintLength(frame.ecn.ce);
  return n;
}

/** Bytes of a STREAM frame before its data (RFC 9000 §19.8). */
export function streamFrameHeaderLength(streamId: number, offset: number, dataLength: number, withLength: boolean): number {
  return 1 + varintLength(streamId) + (offset !== 0 ? varintLength(offset) : 0) + (withLength ? varintLength(dataLength) : 0);
}

/** Bytes of a CRYPTO frame before its data (RFC 9000 §19.6). */
export function cryptoFrameHeaderLength(offset: number, dataLength: number): number {
  return 1 + varintLength(offset) + varintLength(dataLength);
}

/**
 * The most data bytes a frame with `fixedHeader` bytes before its (optional) Length field fits into
 * `space` bytes; -1 when not even an empty frame fits.
 */
function maxDataFitting(space: number, fixedHeader: number, withLength: boolean): number {
  let n = space - fixedHeader - (withLength ? 1 : 0);
  if (n < 0) return -1;
  if (!withLength) return n;
  // A longer Length field leaves less room for data: step down; the overshoot is at most 7 bytes
  // (an 8-byte field instead of a 1-byte one), so this loop runs at most 7 times.
  while (n > 0 && fixedHeader + varintLength(n) + n > space) n--;
  return n;
}

/** How many bytes of stream data fit in a STREAM frame of at most `space` bytes; -1 if none, not even FIN. */
export function maxStreamDataInFrame(space: number, streamId: number, offset: number, withLength: boolean): number {
  const fixed = 1 + varintLength(streamId) + (offset !== 0 ? varintLength(offset) : 0);
  return maxDataFitting(space, fixed, withLength);
}

/** How many bytes of handshake data fit in a CRYPTO frame of at most `space` bytes; -1 if none. */
export function maxCryptoDataInFrame(space: number, offset: number): number {
  return maxDataFitting(space, 1 + varintLength(offset), true);
}

/** How many bytes of datagram payload fit in a DATAGRAM frame of at most `space` bytes; -1 if none. */
export function maxDatagramDataInFrame(space: number, withLength: boolean): number {
  return maxDataFitting(space, 1, withLength);
}
