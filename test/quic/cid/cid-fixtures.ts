// Deterministic randomness and reset tokens for connection-ID tests.
import { createHmac } from 'node:crypto';

/** A counter-based "random" source: IDs are distinct and predictable. */
export function counterRandom(start = 1): (n: number) => Uint8Array {
  let counter = start;
  return (n: number) => {
    const out = new Uint8Array(n);
    let v = counter++;
    for (let i = n - 1; i >= 0 && v > 0; i--) {
      out[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    return out;
  };
}

/** RFC 9000 §10.3.2 style: a token derived from the ID under a static key. */
export const hmacToken = (cid: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac('sha256', 'static-key').update(cid).digest().subarray(0, 16));

export const cid = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
export const token = (fill: number): Uint8Array => new Uint8Array(16).fill(fill);
