// A token-bucket pacer, RFC 9002 §7.7: tokens accrue at N * cwnd / smoothed_rtt (N = 1.25) up to a
// burst allowance, and each sent datagram spends its size. When the bucket is short, the wait is rounded
// up to whole timer granules so the sender wakes once per granule and sends a batch, instead of arming
// a sub-millisecond timer per packet.

/** RFC 9002 §7.7: N. */
export const PACING_GAIN = 1.25;
/** Burst allowance in datagrams (RFC 9002 §7.7 "... sending bursts of a limited size", cf. the initial window). */
export const DEFAULT_PACER_BURST_PACKETS = 10;
/** Timer granule, ms (RFC 9002 §6.1.2 kGranularity). */
export const DEFAULT_PACER_GRANULARITY_MS = 1;

export interface PacerOptions {
  gain?: number;
  burstPackets?: number;
  granularity?: number;
}

export class Pacer {
  private readonly gain: number;
  private readonly burstPackets: number;
  private readonly granularity: number;
  private bytesPerMs = 0;
  private bucket: number;
  private tokens: number;
  private lastRefill: number | undefined;

  constructor(maxDatagramSize: number, options: PacerOptions = {}) {
    this.gain = options.gain ?? PACING_GAIN;
    this.burstPackets = options.burstPackets ?? DEFAULT_PACER_BURST_PACKETS;
    this.granularity = options.granularity ?? DEFAULT_PACER_GRANULARITY_MS;
    const settings = [
      ['gain', this.gain],
      ['burstPackets', this.burstPackets],
      ['granularity', this.granularity],
    ] as const;
    for (const [name, v] of settings) {
      if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`pacer ${name} must be a positive number, got ${v}`);
    }
    this.bucket = this.burstPackets * maxDatagramSize;
    this.tokens = this.bucket;
  }

  /** Bytes per ms currently allowed. 0 until the first update (no pacing). */
  get rate(): number {
    return this.bytesPerMs;
  }
  /** Bucket capacity, bytes. */
  get capacity(): number {
    return this.bucket;
  }
  /** Tokens available at `now`, bytes (may be negative after an over-budget send). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /**
   * Sets the rate from the congestion window and RTT (RFC 9002 §7.7). Tokens earned at the old rate up
   * to `now` are kept. The bucket holds `burstPackets` datagrams, or one timer granule of sending at the
   * rate if that is more, so a granule-sized batch always fits.
   */
  update(now: number, congestionWindow: number, smoothedRtt: number, maxDatagramSize: number): void {
    this.refill(now);
    this.bytesPerMs = (this.gain * congestionWindow) / Math.max(smoothedRtt, this.granularity);
    this.bucket = Math.max(this.burstPackets * maxDatagramSize, this.bytesPerMs * this.granularity);
    this.tokens = Math.min(this.tokens, this.bucket);
  }

  /**
   * ms until `bytes` may be sent: 0 = now. Otherwise a whole number of granules, at least one. A request
   * larger than the bucket waits only for a full bucket. Unpaced (rate 0, never updated) returns 0.
   */
  timeUntilSend(now: number, bytes: number): number {
    if (this.bytesPerMs === 0) return 0;
    this.refill(now);
    const needed = Math.min(bytes, this.bucket);
    if (this.tokens >= needed) return 0;
    const wait = (needed - this.tokens) / this.bytesPerMs;
    return Math.max(1, Math.ceil(wait / this.granularity)) * this.granularity;
  }

  /** A datagram of `bytes` was sent at `now`; the bucket may go into debt if the sender overrides. */
  onSend(now: number, bytes: number): void {
    this.refill(now);
    this.tokens -= bytes;
    // Bound the debt at one bucket so a burst of probes (RFC 9002 §7.5 lets them ignore limits) cannot
    // stall pacing for long afterwards.
    if (this.tokens < -this.bucket) this.tokens = -this.bucket;
  }

  private refill(now: number): void {
    if (this.lastRefill !== undefined && now > this.lastRefill) {
      this.tokens = Math.min(this.bucket, this.tokens + (now - this.lastRefill) * this.bytesPerMs);
    }
    if (this.lastRefill === undefined || now > this.lastRefill) this.lastRefill = now;
  }
}
