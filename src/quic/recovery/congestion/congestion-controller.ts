// The congestion controller contract loss detection drives (RFC 9002 §7), and the window constants
// every window-based controller shares.
import type { RttView } from '../types.js';

export type CongestionAlgorithm = 'newreno' | 'cubic';

/** What a controller needs of an acknowledged or lost in-flight packet. */
export interface CongestionPacket {
  readonly timeSent: number;
  readonly size: number;
}

/** RFC 9000 §14: the smallest allowed maximum datagram size, and the one to assume before DPLPMTUD. */
export const DEFAULT_MAX_DATAGRAM_SIZE = 1200;

/** RFC 9002 §7.2: kInitialWindow = min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)). */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** RFC 9002 §7.2: kMinimumWindow = 2 * max_datagram_size. */
export function minimumWindow(maxDatagramSize: number): number {
  return 2 * maxDatagramSize;
}

export interface CongestionControllerOptions {
  /** Starting max_datagram_size (RFC 9002 §7.2); default 1200. */
  maxDatagramSize?: number;
  /**
   * How close (in datagrams) bytes in flight must come to the window for the sender to count as
   * window-limited rather than application-limited (RFC 9002 §7.8). Default 3.
   */
  cwndLimitedSlackPackets?: number;
}

export interface CongestionController {
  readonly algorithm: CongestionAlgorithm;
  /** Bytes the sender may have in flight (RFC 9002 §7). */
  readonly congestionWindow: number;
  /** Infinity until the first congestion event (RFC 9002 §7.3.1). */
  readonly slowStartThreshold: number;
  readonly maxDatagramSize: number;
  /** Whether a packet sent at `sentTime` belongs to the current recovery period (RFC 9002 §7.3.2). */
  inRecovery(sentTime: number): boolean;

  /** An in-flight packet of `bytes` was sent; `bytesInFlight` already includes it. */
  onPacketSent(bytes: number, now: number, bytesInFlight: number): void;
  /**
   * In-flight packets were acknowledged. `priorBytesInFlight` is bytes in flight before they were
   * removed: with what was sent since the previous ACK it tells whether the window was the limit
   * (RFC 9002 §7.8: no growth while application-limited).
   */
  onPacketsAcked(packets: readonly CongestionPacket[], now: number, rtt: RttView, priorBytesInFlight: number): void;
  /** In-flight packets were declared lost (RFC 9002 §7.3.2, B.8). */
  onPacketsLost(packets: readonly CongestionPacket[], now: number): void;
  /** The peer's ECN-CE count increased (RFC 9002 §7.1, B.7); `sentTime` is the largest acked's. */
  onEcnCongestionExperienced(sentTime: number, now: number): void;
  /** RFC 9002 §7.6.2: collapse to the minimum window. */
  onPersistentCongestion(now: number): void;
  /** RFC 9002 §7: whether one more packet may be sent with `bytesInFlight` outstanding. */
  canSend(bytesInFlight: number): boolean;
  /** RFC 9002 §7.7: pacing rate hint, bytes per ms, N * cwnd / smoothed_rtt with N = 1.25. */
  pacingRate(rtt: RttView): number;
  /** RFC 9002 §7.2 / RFC 8899: the path's max datagram size changed. */
  setMaxDatagramSize(size: number): void;
  /**
   * Back to the initial state (initial window, no ssthresh, no recovery period), keeping the current
   * max datagram size: RFC 9000 §9.4, the peer moved to a new address whose capacity is unknown.
   */
  reset(): void;
}
