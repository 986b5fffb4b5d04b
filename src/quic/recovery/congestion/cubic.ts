// CUBIC, RFC 9438, on the shared slow start / recovery machinery. The window is kept in bytes; the
// RFC's formulas are in segments and seconds, so W values are divided by max_datagram_size and times by
// 1000 where the curve is evaluated.
import type { RttView } from '../types.js';
import type { CongestionControllerOptions } from './congestion-controller.js';
import { WindowController } from './window-controller.js';

/** RFC 9438 §5.1: C = 0.4 (segments / s^3). */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: β_cubic = 0.7. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: α_cubic = 3 * (1 - β) / (1 + β), the Reno-friendly additive increase. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** RFC 9438 §4.2 Figure 2: K = cbrt((W_max - cwnd_epoch) / C), in seconds; 0 when cwnd_epoch >= W_max. */
export function cubicK(wMaxSegments: number, cwndEpochSegments: number, c: number = CUBIC_C): number {
  return wMaxSegments > cwndEpochSegments ? Math.cbrt((wMaxSegments - cwndEpochSegments) / c) : 0;
}

/** RFC 9438 §4.2 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, in segments, t in seconds. */
export function cubicWindow(tSeconds: number, kSeconds: number, wMaxSegments: number, c: number = CUBIC_C): number {
  const d = tSeconds - kSeconds;
  return c * d * d * d + wMaxSegments;
}

export interface CubicOptions extends CongestionControllerOptions {
  /** RFC 9438 §4.7 fast convergence; default true. */
  fastConvergence?: boolean;
}

/** A read-only view of CUBIC's variables, for tests and diagnostics. */
export interface CubicState {
  /** W_max in bytes; undefined before the first congestion event and after persistent congestion. */
  readonly wMax: number | undefined;
  /** K in seconds for the current congestion avoidance stage. */
  readonly k: number;
  /** W_est (Reno-friendly estimate) in bytes. */
  readonly wEst: number;
  /** t_epoch (ms); undefined outside congestion avoidance. */
  readonly epochStart: number | undefined;
  /** cwnd_prior in bytes: the window just before the last reduction. */
  readonly cwndPrior: number | undefined;
}

export class CubicController extends WindowController {
  readonly algorithm = 'cubic' as const;
  private readonly fastConvergence: boolean;
  private wMax: number | undefined;
  private cwndPrior: number | undefined;
  private k = 0;
  private wEst = 0;
  private epochStart: number | undefined;
  private lastAckTime: number | undefined;

  constructor(options: CubicOptions = {}) {
    super(options);
    this.fastConvergence = options.fastConvergence ?? true;
  }

  get state(): CubicState {
    return { wMax: this.wMax, k: this.k, wEst: this.wEst, epochStart: this.epochStart, cwndPrior: this.cwndPrior };
  }

  protected onCongestionAvoidanceAck(ackedBytes: number, now: number, rtt: RttView): void {
    const mss = this.mss;
    if (this.epochStart === undefined) this.startEpoch(now);
    this.lastAckTime = now;
    const t = (now - this.epochStart!) / 1000;
    const wMaxSeg = this.wMax! / mss;

    // RFC 9438 §4.3: W_est += α * segments_acked / cwnd (segments); α becomes 1 once W_est reaches
    // cwnd_prior, after which Reno's own growth rate is the fair one.
    const alpha = this.cwndPrior !== undefined && this.wEst < this.cwndPrior ? CUBIC_ALPHA : 1;
    this.wEst += (alpha * ackedBytes * mss) / this.cwnd;

    const wCubicNow = cubicWindow(t, this.k, wMaxSeg) * mss;
    if (wCubicNow < this.wEst) {
      // RFC 9438 §4.3: Reno-friendly region, cwnd = W_est (never shrinking on an ACK).
      this.cwnd = Math.max(this.cwnd, this.wEst);
      return;
    }
    // RFC 9438 §4.4/§4.5: aim at W_cubic(t + RTT), clamped to [cwnd, 1.5 * cwnd], and move
    // (target - cwnd) / cwnd per acknowledged segment.
    const rttSeconds = rtt.smoothedRtt / 1000;
    const target = Math.min(Math.max(cubicWindow(t + rttSeconds, this.k, wMaxSeg) * mss, this.cwnd), 1.5 * this.cwnd);
    this.cwnd += ((target - this.cwnd) * ackedBytes) / this.cwnd;
  }

  protected reduceWindow(_now: number): void {
    const cwnd = this.cwnd;
    // RFC 9438 §4.7 fast convergence: a window that stopped short of the last W_max suggests a new flow
    // took bandwidth, so release some by remembering a lower W_max.
    if (this.fastConvergence && this.wMax !== undefined && cwnd < this.wMax) {
      this.wMax = (cwnd * (1 + CUBIC_BETA)) / 2;
    } else {
      this.wMax = cwnd;
    }
    this.cwndPrior = cwnd;
    // RFC 9438 §4.6: ssthresh = cwnd * β_cubic, cwnd = ssthresh (floored at the minimum by the caller,
    // RFC 9002 §7.2).
    this.ssthresh = Math.max(Math.floor(cwnd * CUBIC_BETA), this.minimumWindow);
    this.cwnd = this.ssthresh;
    // The next congestion avoidance stage starts with the first ACK after recovery.
    this.epochStart = undefined;
  }

  protected override onApplicationLimitedAck(now: number): void {
    // RFC 9438 §5.8: t must not include application-limited time; shift the epoch by the idle gap so the
    // curve resumes where it was instead of jumping ahead.
    if (this.epochStart !== undefined && this.lastAckTime !== undefined && now > this.lastAckTime) {
      this.epochStart += now - this.lastAckTime;
    }
    this.lastAckTime = now;
  }

  protected override onWindowCollapsed(): void {
    // RFC 9438 §4.8: after a timeout-like collapse the next stage uses K = 0 and W_max = the window at
    // its start.
    this.wMax = undefined;
    this.epochStart = undefined;
  }

  protected override onReset(): void {
    // RFC 9438 §4.1: a new flow has no W_max, no epoch and no prior window.
    this.wMax = undefined;
    this.cwndPrior = undefined;
    this.k = 0;
    this.wEst = 0;
    this.epochStart = undefined;
    this.lastAckTime = undefined;
  }

  /** RFC 9438 §4.2: a congestion avoidance stage begins. */
  private startEpoch(now: number): void {
    this.epochStart = now;
    this.lastAckTime = now;
    if (this.wMax === undefined || this.wMax < this.cwnd) {
      // Slow start ended without a loss at this W_max (or after §4.8): start on the plateau.
      this.wMax = this.cwnd;
      this.cwndPrior ??= this.cwnd;
    }
    this.k = cubicK(this.wMax / this.mss, this.cwnd / this.mss);
    this.wEst = this.cwnd;
  }
}
