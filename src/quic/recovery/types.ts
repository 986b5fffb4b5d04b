// Plain types shared by the recovery modules (RFC 9002). Deliberately independent of src/quic/wire so
// the connection adapts its decoded frames to these shapes, and recovery can be tested on its own.
//
// Packet numbers are JavaScript numbers. RFC 9000 §12.3 allows up to 2^62-1, but numbers are exact only
// up to 2^53-1 (Number.MAX_SAFE_INTEGER). A connection starts at 0 and counts up by one per packet, so
// reaching 2^53 would take centuries at a million packets per second: the connection closes long before.
// Values above the safe range coming from a peer are rejected as malformed, never silently rounded.
//
// Time is milliseconds as a number (fractional allowed, e.g. performance.now()); `now` is always passed in.

/** RFC 9000 §12.3: the three packet number spaces (0-RTT and 1-RTT share `application`). */
export type PacketNumberSpace = 'initial' | 'handshake' | 'application';

/** In the order RFC 9002 Appendix A iterates them (GetPtoTimeAndSpace, GetLossTimeAndSpace). */
export const PACKET_NUMBER_SPACES: readonly PacketNumberSpace[] = ['initial', 'handshake', 'application'];

/** A packet the connection sent, as loss detection records it (RFC 9002 Appendix A.1.1). */
export interface SentPacket<F> {
  /** Packet number in its space. */
  readonly packetNumber: number;
  /** When the packet was sent (ms). */
  readonly timeSent: number;
  /** Bytes of the UDP payload this packet occupied, counted in bytes_in_flight (RFC 9002 §2). */
  readonly size: number;
  /** Contains a frame other than ACK, PADDING or CONNECTION_CLOSE (RFC 9002 §2). */
  readonly ackEliciting: boolean;
  /** Counts toward bytes in flight: ack-eliciting or carrying PADDING (RFC 9002 §2). */
  readonly inFlight: boolean;
  /** What the packet carried, opaque to recovery, handed back when the packet is acked or lost. */
  readonly frames: F;
  /**
   * A path MTU probe (RFC 8899, RFC 9000 §14.4): it counts in flight, but its loss says the path is too
   * narrow, not congested, so it is no congestion signal and takes no part in persistent congestion.
   */
  readonly mtuProbe?: boolean;
}

/** ECN counts from an ACK frame of type 0x03 (RFC 9000 §19.3.2). */
export interface EcnCounts {
  readonly ect0: number;
  readonly ect1: number;
  readonly ce: number;
}

/**
 * An ACK frame as recovery needs it (RFC 9000 §19.3), already decoded by the connection.
 * `ranges` are inclusive [smallest, largest] pairs in descending order; ranges[0][1] === largest.
 * Adjacent ranges must be separated by at least one unacknowledged packet number (§19.3.1: a Gap field
 * encodes gap-1, so largest(i) <= smallest(i-1) - 2).
 */
export interface ReceivedAck {
  readonly largest: number;
  /** The ACK Delay field already scaled by the peer's ack_delay_exponent (RFC 9000 §19.3), in µs. */
  readonly ackDelayMicros: number;
  readonly ranges: ReadonlyArray<readonly [smallest: number, largest: number]>;
  readonly ecn?: EcnCounts;
}

/** The three RTT values and sample state a congestion controller or pacer reads (RFC 9002 §5). */
export interface RttView {
  readonly latestRtt: number;
  readonly smoothedRtt: number;
  readonly rttVar: number;
  readonly minRtt: number;
  readonly hasSample: boolean;
}
