// Connection IDs, stateless reset padding, address-token nonces and the connections' own randomness
// (path challenges, TLS randoms) each take a few bytes. crypto.randomBytes per call costs a trip into
// OpenSSL's CSPRNG and a Buffer allocation each time; drawing them from one larger CSPRNG buffer costs one
// refill per few hundred requests. Every byte is handed out once, and each request gets its own copy, so a
// long-lived connection ID never pins the pool's buffer.
import { randomBytes } from 'node:crypto';

/** Bytes fetched from the CSPRNG per refill. */
export const RANDOM_POOL_SIZE = 4096;

export class RandomPool {
  private readonly size: number;
  private pool: Buffer;
  private offset: number;

  constructor(size: number = RANDOM_POOL_SIZE) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`random pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.pool = Buffer.alloc(0);
    this.offset = 0;
  }

  /** `n` fresh bytes from the CSPRNG, never handed out before. Requests above a quarter of the pool go straight to it. */
  take(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`random byte count must be a non-negative integer, got ${n}`);
    if (n * 4 > this.size) return new Uint8Array(randomBytes(n));
    if (this.offset + n > this.pool.length) {
      this.pool = randomBytes(this.size);
      this.offset = 0;
    }
    const out = new Uint8Array(this.pool.subarray(this.offset, this.offset + n));
    // Consumed bytes are wiped so the pool never keeps a copy of a secret it handed out.
    this.pool.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
