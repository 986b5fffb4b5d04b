// Receive-side acknowledgment state for one packet number space (RFC 9000 §13.2): which packet numbers
// arrived (as ranges), which are duplicates, when an ACK frame is due, and the ACK to send.
import type { EcnCounts, PacketNumberSpace } from './types.js';

/** RFC 9000 §18.2: max_ack_delay default, ms. */
export const DEFAULT_LOCAL_MAX_ACK_DELAY_MS = 25;
/** RFC 9000 §13.2.2: acknowledge at least every second ack-eliciting packet. */
export const DEFAULT_ACK_ELICITING_THRESHOLD = 2;
/**
 * Ack-eliciting payload bytes that also make an ACK due at once: two minimum-size QUIC packets' worth
 * (RFC 9000 §14: 1200 bytes). Two ordinary packets reach the packet threshold first, so this only matters
 * for datagrams far above 1200 bytes (a loopback path's PMTU reaches 64 KiB): there one packet carries as
 * much as fifty, and holding its ACK for max_ack_delay would leave the sender idle on a congestion window
 * it filled with one packet. TCP acknowledges by bytes for the same reason ("at least every second
 * full-sized segment", RFC 5681 §4.2); RFC 9000 §13.2.1 lets a receiver acknowledge sooner than required.
 */
export const DEFAULT_ACK_ELICITING_BYTES_THRESHOLD = 2 * 1200;
/** Ranges remembered; beyond this the oldest is forgotten (RFC 9000 §13.2.3). */
export const DEFAULT_MAX_ACK_RANGES = 64;
/** RFC 9000 §18.2: ack_delay_exponent values above 20 are invalid. */
export const MAX_ACK_DELAY_EXPONENT = 20;

/** The IP ECN codepoint a packet arrived with (RFC 9000 §13.4.1). */
export type EcnCodepoint = 'not-ect' | 'ect0' | 'ect1' | 'ce';

export interface AckTrackerOptions {
  /** Our max_ack_delay transport parameter, ms; Application Data ACKs wait at most this long. */
  maxAckDelay?: number;
  ackElicitingThreshold?: number;
  /** Pending ack-eliciting payload bytes that make an ACK due at once (see DEFAULT_ACK_ELICITING_BYTES_THRESHOLD). */
  ackElicitingBytesThreshold?: number;
  maxRanges?: number;
}

/** An ACK frame to send (RFC 9000 §19.3): ranges descending, inclusive. */
export interface AckToSend {
  readonly largest: number;
  /** now - receipt time of the largest, µs. */
  readonly ackDelayMicros: number;
  /** The ACK Delay field value: ackDelayMicros >> ack_delay_exponent (RFC 9000 §19.3). */
  readonly ackDelayEncoded: number;
  readonly ranges: Array<[smallest: number, largest: number]>;
  /** Present once any packet arrived ECN-marked; use frame type 0x03 (RFC 9000 §19.3.2). */
  readonly ecn?: EcnCounts;
}

/** The ranges of every tracker that holds none: shared, never mutated (insert replaces it). */
const NO_RANGES: number[] = [];

export class AckTracker {
  readonly space: PacketNumberSpace;
  private readonly maxAckDelay: number;
  private readonly threshold: number;
  private readonly bytesThreshold: number;
  private readonly maxRanges: number;
  /**
   * Received packet numbers as ranges, descending, disjoint and non-adjacent, stored flat:
   * ranges[2i] is the lowest and ranges[2i + 1] the highest number of range i. One array of numbers,
   * not an object per range: every connection keeps a tracker per packet number space for its whole
   * life, almost always with a single range.
   */
  private ranges: number[] = NO_RANGES;
  /** Packet numbers below this are treated as duplicates (RFC 9000 §13.2.3 minimum packet number). */
  private minimumPacketNumber = 0;
  private largestReceivedNumber = -1;
  private largestReceivedTime: number | undefined;
  private largestAckEliciting = -1;
  /** Ack-eliciting packets received since the last ACK was sent. */
  private pendingAckEliciting = 0;
  /** Payload bytes of those packets. */
  private pendingAckElicitingBytes = 0;
  private firstPendingTime: number | undefined;
  /** Receipt time of a packet that requires an immediate ACK (RFC 9000 §13.2.1). */
  private immediateAckTime: number | undefined;
  /** Whether anything arrived since the last ACK, ack-eliciting or not. */
  private newSinceLastAck = false;
  private ect0 = 0;
  private ect1 = 0;
  private ce = 0;

  constructor(space: PacketNumberSpace, options: AckTrackerOptions = {}) {
    this.space = space;
    this.maxAckDelay = options.maxAckDelay ?? DEFAULT_LOCAL_MAX_ACK_DELAY_MS;
    this.threshold = options.ackElicitingThreshold ?? DEFAULT_ACK_ELICITING_THRESHOLD;
    this.bytesThreshold = options.ackElicitingBytesThreshold ?? DEFAULT_ACK_ELICITING_BYTES_THRESHOLD;
    this.maxRanges = options.maxRanges ?? DEFAULT_MAX_ACK_RANGES;
    if (!(this.maxAckDelay >= 0) || !Number.isFinite(this.maxAckDelay)) {
      throw new RangeError(`maxAckDelay must be a non-negative number of ms, got ${this.maxAckDelay}`);
    }
    if (!Number.isSafeInteger(this.threshold) || this.threshold < 1) {
      throw new RangeError(`ackElicitingThreshold must be a positive integer, got ${this.threshold}`);
    }
    if (!Number.isSafeInteger(this.bytesThreshold) || this.bytesThreshold < 1) {
      throw new RangeError(`ackElicitingBytesThreshold must be a positive integer, got ${this.bytesThreshold}`);
    }
    if (!Number.isSafeInteger(this.maxRanges) || this.maxRanges < 1) {
      throw new RangeError(`maxRanges must be a positive integer, got ${this.maxRanges}`);
    }
  }

  /** -1 before any packet. */
  get largestReceived(): number {
    return this.largestReceivedNumber;
  }
  get rangeCount(): number {
    return this.ranges.length >> 1;
  }
  /** Received ranges, descending (a copy). */
  receivedRanges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.ranges.length; i += 2) out.push([this.ranges[i]!, this.ranges[i + 1]!]);
    return out;
  }

  /**
   * RFC 9000 §12.3: true if `pn` was already processed, or is older than what this tracker still
   * remembers (ranges forgotten by the cap or by an acknowledged ACK, §13.2.3), so the packet must be
   * discarded. Call after removing packet protection.
   */
  isDuplicate(pn: number): boolean {
    if (pn < this.minimumPacketNumber) return true;
    const i = this.indexAtOrBelow(pn);
    const n = this.ranges.length >> 1;
    if (i < n && this.ranges[2 * i + 1]! >= pn) return true;
    // Remembering it would need a new lowest range beyond the cap, dropped at once: treat as too old.
    return n >= this.maxRanges && i === n && pn < this.ranges[2 * n - 2]! - 1;
  }

  /**
   * Records a processed packet. Returns false (and changes nothing) for a duplicate. `pn` must be a
   * decoded, safe-integer packet number; `payloadBytes` is the size of its decrypted payload (0 when
   * unknown: then only the packet count makes an ACK due).
   */
  onPacketReceived(pn: number, now: number, ackEliciting: boolean, ecn: EcnCodepoint = 'not-ect', payloadBytes = 0): boolean {
    if (!Number.isSafeInteger(pn) || pn < 0 || this.isDuplicate(pn)) return false;
    // RFC 9000 §13.2.1: an ack-eliciting packet that arrives out of order (below another ack-eliciting
    // one) or leaves a gap above the largest ack-eliciting packet is acknowledged without delay.
    const outOfOrder =
      ackEliciting &&
      (pn < this.largestAckEliciting ||
        (pn > this.largestAckEliciting + 1 && !this.containsAll(this.largestAckEliciting + 1, pn - 1)));
    this.insert(pn);
    this.newSinceLastAck = true;
    if (pn > this.largestReceivedNumber) {
      this.largestReceivedNumber = pn;
      // RFC 9000 §13.2.5: ACK delay counts from the receipt of the largest acknowledged packet.
      this.largestReceivedTime = now;
    }
    if (ecn === 'ect0') this.ect0++;
    else if (ecn === 'ect1') this.ect1++;
    else if (ecn === 'ce') this.ce++;
    if (!ackEliciting) return true;
    // RFC 9000 §13.2.1: non-ack-eliciting packets never cause an ACK on their own.
    if (pn > this.largestAckEliciting) this.largestAckEliciting = pn;
    this.pendingAckEliciting++;
    if (payloadBytes > 0) this.pendingAckElicitingBytes += payloadBytes;
    this.firstPendingTime ??= now;
    const immediate =
      // RFC 9000 §13.2.1: Initial and Handshake packets are acknowledged immediately.
      this.space !== 'application' ||
      outOfOrder ||
      // RFC 9000 §13.2.1: CE-marked packets SHOULD be acknowledged immediately.
      ecn === 'ce' ||
      // RFC 9000 §13.2.2: at least every second ack-eliciting packet.
      this.pendingAckEliciting >= this.threshold ||
      // ...or every two minimum-size packets' worth of bytes (see DEFAULT_ACK_ELICITING_BYTES_THRESHOLD).
      this.pendingAckElicitingBytes >= this.bytesThreshold;
    if (immediate) this.immediateAckTime ??= now;
    return true;
  }

  /**
   * When an ACK frame must be sent (ms), or undefined if no ack-eliciting packet awaits one. A deadline
   * equal to a packet's receipt time means "now". RFC 9000 §13.2.1: within max_ack_delay otherwise.
   */
  nextAckDeadline(): number | undefined {
    if (this.pendingAckEliciting === 0) return undefined;
    if (this.immediateAckTime !== undefined) return this.immediateAckTime;
    return this.firstPendingTime! + this.maxAckDelay;
  }

  /** Whether an ACK is due at `now`. */
  ackDue(now: number): boolean {
    const deadline = this.nextAckDeadline();
    return deadline !== undefined && now >= deadline;
  }

  /** Whether anything arrived since the last ACK: worth piggybacking an ACK on an outgoing packet. */
  hasNewPackets(): boolean {
    return this.newSinceLastAck;
  }

  /**
   * The ACK frame to send now, or undefined when nothing is to be acknowledged. `maxRanges` limits the
   * ranges (highest kept) to fit the packet (RFC 9000 §13.2.4). Does not change state: call
   * `onAckSent` once the frame is actually sent.
   */
  buildAck(now: number, ackDelayExponent: number, maxRanges: number = this.maxRanges): AckToSend | undefined {
    const exponent = ackDelayExponent;
    if (!Number.isSafeInteger(exponent) || exponent < 0 || exponent > MAX_ACK_DELAY_EXPONENT) {
      throw new RangeError(`ack_delay_exponent must be an integer 0..${MAX_ACK_DELAY_EXPONENT}, got ${exponent}`);
    }
    if (this.ranges.length === 0) return undefined;
    const count = Math.max(1, Math.min(maxRanges, this.ranges.length >> 1));
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < count; i++) ranges.push([this.ranges[2 * i]!, this.ranges[2 * i + 1]!]);
    const largest = this.ranges[1]!;
    // The largest still tracked may no longer be the largest ever received only if that one was
    // forgotten, which never happens to the top range; so its receipt time is largestReceivedTime.
    const ackDelayMicros = Math.max(0, Math.floor((now - (this.largestReceivedTime ?? now)) * 1000));
    const ack: AckToSend = {
      largest,
      ackDelayMicros,
      ackDelayEncoded: Math.floor(ackDelayMicros / 2 ** ackDelayExponent),
      ranges,
      ...(this.ect0 + this.ect1 + this.ce > 0 ? { ecn: { ect0: this.ect0, ect1: this.ect1, ce: this.ce } } : {}),
    };
    return ack;
  }

  /** An ACK frame built by `buildAck` was sent: the pending ack-eliciting count starts over. */
  onAckSent(): void {
    this.pendingAckEliciting = 0;
    this.pendingAckElicitingBytes = 0;
    this.firstPendingTime = undefined;
    this.immediateAckTime = undefined;
    this.newSinceLastAck = false;
  }

  /**
   * RFC 9001 §4.9: the space's keys are discarded, so nothing more is received or acknowledged in it.
   * The ranges and any pending ACK are forgotten (they would otherwise stay for the connection's life),
   * and every packet number counts as a duplicate from now on.
   */
  discard(): void {
    this.ranges = NO_RANGES;
    this.minimumPacketNumber = Number.MAX_SAFE_INTEGER;
    this.onAckSent();
  }

  /**
   * RFC 9000 §13.2.4: a packet carrying our ACK with Largest Acknowledged `largestAcked` was itself
   * acknowledged, so the peer knows everything up to it: stop acknowledging those packet numbers and
   * treat anything at or below as a duplicate from now on (§13.2.3).
   */
  onAckAcknowledged(largestAcked: number): void {
    if (!Number.isSafeInteger(largestAcked) || largestAcked < this.minimumPacketNumber) return;
    this.minimumPacketNumber = largestAcked + 1;
    const r = this.ranges;
    let n = r.length;
    // Drop whole ranges at or below largestAcked (the lowest are last), then trim the lowest left.
    while (n > 0 && r[n - 1]! <= largestAcked) n -= 2;
    if (n !== r.length) this.ranges = n === 0 ? NO_RANGES : r.slice(0, n);
    if (n > 0 && this.ranges[n - 2]! <= largestAcked) this.ranges[n - 2] = largestAcked + 1;
  }

  /** Index (in ranges, descending) of the first range whose lowest number is <= pn; the range count if none. */
  private indexAtOrBelow(pn: number): number {
    let lo = 0;
    let hi = this.ranges.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[2 * mid]! > pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether every packet number in [from, to] has been received (true for an empty interval). */
  private containsAll(from: number, to: number): boolean {
    // Packets below the floor set by onAckAcknowledged were received and acknowledged: no gap there.
    from = Math.max(from, this.minimumPacketNumber);
    if (from > to) return true;
    const i = this.indexAtOrBelow(from);
    return i < this.ranges.length >> 1 && this.ranges[2 * i + 1]! >= to;
  }

  private insert(pn: number): void {
    const r = this.ranges;
    // Fast path: the next packet in order.
    if (r.length > 0 && pn === r[1]! + 1) {
      r[1] = pn;
      return;
    }
    if (r.length === 0) {
      // An exact two-element array: most trackers never hold more than this one range.
      this.ranges = [pn, pn];
      return;
    }
    const i = this.indexAtOrBelow(pn);
    const n = r.length >> 1;
    const joinsBelow = i < n && r[2 * i + 1]! + 1 === pn;
    const joinsAbove = i > 0 && r[2 * i - 2]! - 1 === pn;
    if (joinsBelow && joinsAbove) {
      // The range above takes the lowest number of the one below, which goes.
      r[2 * i - 2] = r[2 * i]!;
      r.splice(2 * i, 2);
    } else if (joinsBelow) {
      r[2 * i + 1] = pn;
    } else if (joinsAbove) {
      r[2 * i - 2] = pn;
    } else {
      r.splice(2 * i, 0, pn, pn);
      if (r.length >> 1 > this.maxRanges) {
        // RFC 9000 §13.2.3: forget the oldest range and refuse packets at or below it from now on.
        const droppedHi = r[r.length - 1]!;
        r.length -= 2;
        this.minimumPacketNumber = Math.max(this.minimumPacketNumber, droppedHi + 1);
      }
    }
  }
}
