// Round-trip time estimation, RFC 9002 §5 (pseudocode Appendix A.7).
import type { RttView } from './types.js';

/** RFC 9002 §6.2.2: initial RTT before any sample. */
export const DEFAULT_INITIAL_RTT_MS = 333;

export interface RttSampleInput {
  /** now - time_sent of the largest newly acknowledged packet (RFC 9002 §5.1), ms. */
  readonly latestRtt: number;
  /** The peer's reported ACK delay, ms (0 when it is to be ignored, e.g. for Initial ACKs, §5.3). */
  readonly ackDelay: number;
  /** RFC 9002 §5.3: the ACK delay is capped by max_ack_delay only once the handshake is confirmed. */
  readonly handshakeConfirmed: boolean;
  /** The peer's max_ack_delay transport parameter, ms. */
  readonly maxAckDelay: number;
}

export class RttEstimator implements RttView {
  private latest = 0;
  private smoothed: number;
  private variance: number;
  private min = 0;
  private sampled = false;

  constructor(private readonly initialRtt: number = DEFAULT_INITIAL_RTT_MS) {
    if (!(initialRtt > 0) || !Number.isFinite(initialRtt)) {
      throw new RangeError(`initial RTT must be a positive finite number of ms, got ${initialRtt}`);
    }
    // RFC 9002 §5.3 / A.4: before the first sample.
    this.smoothed = initialRtt;
    this.variance = initialRtt / 2;
  }

  get latestRtt(): number {
    return this.latest;
  }
  get smoothedRtt(): number {
    return this.smoothed;
  }
  get rttVar(): number {
    return this.variance;
  }
  /** 0 until the first sample. */
  get minRtt(): number {
    return this.min;
  }
  get hasSample(): boolean {
    return this.sampled;
  }

  /**
   * RFC 9002 §5.3 UpdateRtt. Returns false, changing nothing, for a negative or non-finite sample
   * (a clock going backwards).
   */
  update(sample: RttSampleInput): boolean {
    const latestRtt = sample.latestRtt;
    if (!Number.isFinite(latestRtt) || latestRtt < 0) return false;
    this.latest = latestRtt;
    if (!this.sampled) {
      // RFC 9002 §5.3: the first sample sets everything; the ACK delay is not used for it.
      this.sampled = true;
      this.min = latestRtt;
      this.smoothed = latestRtt;
      this.variance = latestRtt / 2;
      return true;
    }
    // RFC 9002 §5.2: min_rtt uses the raw sample, never one adjusted for ACK delay.
    this.min = Math.min(this.min, latestRtt);
    let ackDelay = Number.isFinite(sample.ackDelay) && sample.ackDelay > 0 ? sample.ackDelay : 0;
    // RFC 9002 §5.3: SHOULD ignore max_ack_delay until the handshake is confirmed; MUST use the lesser of
    // the ack delay and max_ack_delay afterwards.
    if (sample.handshakeConfirmed) ackDelay = Math.min(ackDelay, sample.maxAckDelay);
    // RFC 9002 §5.3: MUST NOT subtract the ack delay if the result would be below min_rtt.
    const adjusted = latestRtt >= this.min + ackDelay ? latestRtt - ackDelay : latestRtt;
    this.variance = (3 / 4) * this.variance + (1 / 4) * Math.abs(this.smoothed - adjusted);
    this.smoothed = (7 / 8) * this.smoothed + (1 / 8) * adjusted;
    return true;
  }

  /** RFC 9000 §9.4: back to the initial values (RFC 9002 §5.3), as before the first sample. */
  reset(): void {
    this.latest = 0;
    this.min = 0;
    this.sampled = false;
    this.smoothed = this.initialRtt;
    this.variance = this.initialRtt / 2;
  }

  /**
   * RFC 9002 §5.2: after persistent congestion is established, min_rtt SHOULD be set to the newest
   * sample, so a route change to a longer path is not hidden by an old minimum forever.
   */
  onPersistentCongestion(): void {
    if (this.sampled) this.min = this.latest;
  }

  /**
   * RFC 9002 §6.2.1: smoothed_rtt + max(4*rttvar, kGranularity), the PTO base without max_ack_delay.
   */
  ptoBase(granularity: number): number {
    return this.smoothed + Math.max(4 * this.variance, granularity);
  }
}
