// NewReno as specified by RFC 9002 §7.3 and Appendix B: slow start, a recovery period that halves the
// window once per congestion event, and congestion avoidance adding one datagram per window acked.
import type { RttView } from '../types.js';
import type { CongestionControllerOptions } from './congestion-controller.js';
import { WindowController } from './window-controller.js';

/** RFC 9002 §7.3.2: kLossReductionFactor. */
export const LOSS_REDUCTION_FACTOR = 0.5;

export class NewRenoController extends WindowController {
  readonly algorithm = 'newreno' as const;
  /** Acked bytes not yet turned into window growth (avoids losing fractions of a byte per ACK). */
  private avoidanceCredit = 0;

  constructor(options: CongestionControllerOptions = {}) {
    super(options);
  }

  protected onCongestionAvoidanceAck(ackedBytes: number, _now: number, _rtt: RttView): void {
    // RFC 9002 B.5: cwnd += max_datagram_size * acked / cwnd, i.e. one datagram per window of bytes
    // acknowledged. Counted in whole windows so the growth is exact whatever the ACK pattern.
    this.avoidanceCredit += ackedBytes;
    if (this.avoidanceCredit < this.cwnd) return;
    // Usually one window; a larger batch is credited at the current window size in one step.
    const windows = Math.floor(this.avoidanceCredit / this.cwnd);
    this.avoidanceCredit -= windows * this.cwnd;
    this.cwnd += windows * this.mss;
  }

  protected reduceWindow(_now: number): void {
    // RFC 9002 B.6: ssthresh = cwnd * kLossReductionFactor; cwnd = max(ssthresh, kMinimumWindow).
    this.ssthresh = Math.floor(this.cwnd * LOSS_REDUCTION_FACTOR);
    this.cwnd = Math.max(this.ssthresh, this.minimumWindow);
    this.avoidanceCredit = 0;
  }

  protected override onWindowCollapsed(): void {
    this.avoidanceCredit = 0;
  }
}
