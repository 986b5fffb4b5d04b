// Checks a received ACK frame before loss detection touches any state: its shape (RFC 9000 §19.3) and
// whether it acknowledges only packets that were sent (RFC 9000 §13.1, §21.4).
import { RecoveryError, RecoveryErrorCode } from './errors.js';
import type { PacketNumberSpace, ReceivedAck } from './types.js';

/**
 * Returns the error to close the connection with, or undefined if `ack` is acceptable. `largestSent` is
 * the largest packet number sent (or skipped) in `space`; `skipped` the packet numbers deliberately
 * never sent, which no honest peer can acknowledge.
 */
export function validateAck(
  space: PacketNumberSpace,
  ack: ReceivedAck,
  largestSent: number,
  skipped: readonly number[],
): RecoveryError | undefined {
  const ranges = ack.ranges;
  if (!Number.isSafeInteger(ack.largest) || ack.largest < 0) {
    return encodingError(`ACK largest ${ack.largest} is not a packet number`);
  }
  if (!(ack.ackDelayMicros >= 0) || !Number.isFinite(ack.ackDelayMicros)) {
    return encodingError(`ACK delay ${ack.ackDelayMicros} is invalid`);
  }
  if (ack.ecn !== undefined) {
    for (const count of [ack.ecn.ect0, ack.ecn.ect1, ack.ecn.ce]) {
      if (!Number.isSafeInteger(count) || count < 0) return encodingError(`ACK ECN count ${count} is invalid`);
    }
  }
  if (ranges.length === 0 || ranges[0]![1] !== ack.largest) {
    return encodingError('ACK first range does not end at the largest acknowledged');
  }
  let previousSmallest = Infinity;
  for (const [smallest, largest] of ranges) {
    if (!Number.isSafeInteger(smallest) || !Number.isSafeInteger(largest) || smallest < 0 || smallest > largest) {
      return encodingError(`ACK range [${smallest}, ${largest}] is invalid`);
    }
    // RFC 9000 §19.3.1: each range lies below the previous one with at least one missing number between.
    if (previousSmallest !== Infinity && largest > previousSmallest - 2) {
      return encodingError(`ACK range [${smallest}, ${largest}] is not below the previous range with a gap`);
    }
    previousSmallest = smallest;
  }
  // RFC 9000 §13.1: acknowledging a packet that was never sent is a PROTOCOL_VIOLATION.
  if (ack.largest > largestSent) {
    return new RecoveryError(
      RecoveryErrorCode.PROTOCOL_VIOLATION,
      `ACK of ${space} packet ${ack.largest} that was never sent (largest sent ${largestSent})`,
    );
  }
  // RFC 9000 §21.4: a skipped packet number acknowledged reveals an optimistic ACK attack.
  for (const pn of skipped) {
    if (rangesContain(ranges, pn)) {
      return new RecoveryError(
        RecoveryErrorCode.PROTOCOL_VIOLATION,
        `ACK of ${space} packet ${pn}, a packet number that was skipped and never sent`,
      );
    }
  }
  return undefined;
}

/** Whether descending, disjoint inclusive `ranges` contain `pn` (binary search). */
export function rangesContain(ranges: ReadonlyArray<readonly [number, number]>, pn: number): boolean {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]![0] > pn) lo = mid + 1;
    else hi = mid;
  }
  return lo < ranges.length && ranges[lo]![1] >= pn;
}

function encodingError(message: string): RecoveryError {
  return new RecoveryError(RecoveryErrorCode.FRAME_ENCODING_ERROR, message);
}
