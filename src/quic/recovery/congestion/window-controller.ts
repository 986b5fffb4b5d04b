// What NewReno (RFC 9002 §7) and CUBIC (RFC 9438) share: slow start, the recovery period, the
// minimum window, application-limited detection and max_datagram_size changes. Subclasses only decide
// how the window grows in congestion avoidance and how it shrinks on a congestion event.
import type { RttView } from '../types.js';
import {
  type CongestionAlgorithm,
  type CongestionController,
  type CongestionControllerOptions,
  type CongestionPacket,
  DEFAULT_MAX_DATAGRAM_SIZE,
  initialWindow,
  minimumWindow,
} from './congestion-controller.js';

/** RFC 9002 §7.7: N = 1.25, so pacing does not limit a window-limited sender. */
const PACING_GAIN = 1.25;
const DEFAULT_CWND_LIMITED_SLACK_PACKETS = 3;
/** RFC 9000 §14: datagrams below 1200 bytes are not allowed for QUIC. */
const MIN_MAX_DATAGRAM_SIZE = 1200;

export abstract class WindowController implements CongestionController {
  abstract readonly algorithm: CongestionAlgorithm;

  protected cwnd: number;
  protected ssthresh = Infinity;
  protected mss: number;
  /** congestion_recovery_start_time (RFC 9002 B.2); undefined = not in a recovery period. */
  protected recoveryStartTime: number | undefined;
  /** Most bytes in flight seen since the last ACK was processed (for §7.8). */
  private inFlightHighWater = 0;
  private readonly slackPackets: number;
  /** True while the window still equals the initial window of the current mss (never adjusted). */
  private atInitialWindow = true;

  constructor(options: CongestionControllerOptions = {}) {
    this.mss = validDatagramSize(options.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM_SIZE);
    this.cwnd = initialWindow(this.mss);
    this.slackPackets = options.cwndLimitedSlackPackets ?? DEFAULT_CWND_LIMITED_SLACK_PACKETS;
  }

  get congestionWindow(): number {
    return this.cwnd;
  }
  get slowStartThreshold(): number {
    return this.ssthresh;
  }
  get maxDatagramSize(): number {
    return this.mss;
  }
  get minimumWindow(): number {
    return minimumWindow(this.mss);
  }
  get inSlowStart(): boolean {
    return this.cwnd < this.ssthresh;
  }

  /** RFC 9002 B.5 InCongestionRecovery. */
  inRecovery(sentTime: number): boolean {
    return this.recoveryStartTime !== undefined && sentTime <= this.recoveryStartTime;
  }

  onPacketSent(_bytes: number, _now: number, bytesInFlight: number): void {
    if (bytesInFlight > this.inFlightHighWater) this.inFlightHighWater = bytesInFlight;
  }

  onPacketsAcked(packets: readonly CongestionPacket[], now: number, rtt: RttView, priorBytesInFlight: number): void {
    const limited = this.wasCwndLimited(Math.max(priorBytesInFlight, this.inFlightHighWater));
    this.inFlightHighWater = 0;
    let ackedBytes = 0;
    for (const p of packets) {
      // RFC 9002 §7.3.2: no growth for packets sent before the recovery period started; the first
      // acknowledgment of a packet sent after it ends the period. The start time is kept (not cleared)
      // so a later loss of an older packet is still recognised as part of the same congestion event.
      if (this.inRecovery(p.timeSent)) continue;
      ackedBytes += p.size;
    }
    if (ackedBytes === 0) return;
    if (!limited) {
      // RFC 9002 §7.8: no growth while the window is not what limits sending.
      this.onApplicationLimitedAck(now);
      return;
    }
    this.atInitialWindow = false;
    if (this.cwnd < this.ssthresh) {
      // RFC 9002 §7.3.1: slow start grows the window by the bytes acknowledged. Growth stops at
      // ssthresh; the rest of this ACK is counted in congestion avoidance.
      const room = this.ssthresh - this.cwnd;
      const slowStartBytes = Math.min(ackedBytes, room);
      this.cwnd += slowStartBytes;
      ackedBytes -= slowStartBytes;
      if (ackedBytes === 0) return;
    }
    this.onCongestionAvoidanceAck(ackedBytes, now, rtt);
  }

  onPacketsLost(packets: readonly CongestionPacket[], now: number): void {
    // RFC 9002 B.8: one congestion event, keyed by the newest lost packet's send time.
    let newestSent = -Infinity;
    for (const p of packets) newestSent = Math.max(newestSent, p.timeSent);
    if (newestSent !== -Infinity) this.onCongestionEvent(newestSent, now);
  }

  onEcnCongestionExperienced(sentTime: number, now: number): void {
    // RFC 9002 §7.1, B.7: an increased CE count is a congestion event like a loss.
    this.onCongestionEvent(sentTime, now);
  }

  onPersistentCongestion(_now: number): void {
    // RFC 9002 §7.6.2, B.8: window to the minimum, leave the recovery period, restart slow start up to
    // the ssthresh already set by the loss that established persistent congestion.
    this.cwnd = minimumWindow(this.mss);
    this.recoveryStartTime = undefined;
    this.atInitialWindow = false;
    this.onWindowCollapsed();
  }

  canSend(bytesInFlight: number): boolean {
    return bytesInFlight < this.cwnd;
  }

  pacingRate(rtt: RttView): number {
    // RFC 9002 §7.7; a zero RTT (virtual or loopback) is floored at 1 ms rather than dividing by zero.
    return (PACING_GAIN * this.cwnd) / Math.max(rtt.smoothedRtt, 1);
  }

  setMaxDatagramSize(size: number): void {
    const next = validDatagramSize(size);
    if (next === this.mss) return;
    this.mss = next;
    // RFC 9002 §7.2: recompute the initial window with the new size while it is still in use.
    if (this.atInitialWindow) this.cwnd = initialWindow(next);
    this.cwnd = Math.max(this.cwnd, minimumWindow(next));
    if (this.ssthresh !== Infinity) this.ssthresh = Math.max(this.ssthresh, minimumWindow(next));
  }

  reset(): void {
    // RFC 9000 §9.4: the congestion controller is reset to its initial state (RFC 9002 §7.2, B.3).
    this.cwnd = initialWindow(this.mss);
    this.ssthresh = Infinity;
    this.recoveryStartTime = undefined;
    this.inFlightHighWater = 0;
    this.atInitialWindow = true;
    this.onReset();
  }

  /** RFC 9002 B.6 OnCongestionEvent: at most one reduction per recovery period. */
  private onCongestionEvent(sentTime: number, now: number): void {
    if (this.inRecovery(sentTime)) return;
    this.recoveryStartTime = now;
    this.atInitialWindow = false;
    this.reduceWindow(now);
    this.cwnd = Math.max(this.cwnd, minimumWindow(this.mss));
  }

  /**
   * RFC 9002 §7.8: the sender is window-limited if in flight reached the window, or came within
   * `slackPackets` datagrams of it, or (in slow start, which may double the window) exceeded half of it.
   */
  private wasCwndLimited(maxInFlight: number): boolean {
    if (maxInFlight >= this.cwnd) return true;
    if (this.cwnd < this.ssthresh && maxInFlight > this.cwnd / 2) return true;
    return this.cwnd - maxInFlight <= this.slackPackets * this.mss;
  }

  /** Grows the window for `ackedBytes` newly acknowledged outside recovery, above ssthresh. */
  protected abstract onCongestionAvoidanceAck(ackedBytes: number, now: number, rtt: RttView): void;
  /** Sets ssthresh and cwnd on entering a recovery period (result is floored at the minimum window). */
  protected abstract reduceWindow(now: number): void;
  /** An ACK arrived while application-limited; the window does not grow. */
  protected onApplicationLimitedAck(_now: number): void {}
  /** Persistent congestion reset the window to the minimum. */
  protected onWindowCollapsed(): void {}
  /** reset(): forget algorithm-specific state. */
  protected onReset(): void {}
}

function validDatagramSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < MIN_MAX_DATAGRAM_SIZE) {
    throw new RangeError(`max_datagram_size must be an integer >= ${MIN_MAX_DATAGRAM_SIZE}, got ${size}`);
  }
  return size;
}
