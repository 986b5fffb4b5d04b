// A token bucket on the caller's clock (sans-IO): `rate` tokens per second refill up to `burst`. The
// endpoint uses it to bound the packets it sends without connection state (Stateless Resets, RFC 9000
// §10.3.3: "An endpoint can remember the number of Stateless Resets that it has sent and stop generating
// new Stateless Resets once a limit is reached"; Version Negotiation, §5.2.2: servers "MAY limit" them).
import { QuicEndpointError } from './errors.js';

export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    if (!(ratePerSecond >= 0) || !(burst >= 0) || !Number.isFinite(ratePerSecond) || !Number.isFinite(burst)) {
      throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', `rate limit ${ratePerSecond}/s burst ${burst} must be finite and >= 0`);
    }
    this.tokens = burst;
  }

  /** Takes one token if available at time `now` (ms). */
  take(now: number): boolean {
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    }
    if (this.last === undefined || now > this.last) this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
