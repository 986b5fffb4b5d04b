// Reassembles handshake messages from the bytes of one encryption level (RFC 8446 §5.1: messages may
// be split across or coalesced within records; RFC 9001 §4.1.3: the same holds for CRYPTO frames).
import { alert } from './alerts.js';

export interface RawHandshakeMessage {
  type: number;
  body: Buffer;
  /** The whole message including its 4-byte header, as hashed into the transcript. */
  raw: Buffer;
}

/** Default bound on one handshake message (certificate chains are the largest). */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE = 65536;

export class HandshakeFramer {
  private chunks: Buffer[] = [];
  private total = 0;

  constructor(private readonly maxMessageSize = DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE) {}

  /** Bytes received but not yet returned as a message. */
  get buffered(): number {
    return this.total;
  }

  /**
   * Takes a copy: part of a message may wait here for later bytes, and callers hand in views of buffers
   * they reuse (datagrams, reassembly buffers). Handshake bytes are few, so the copy costs little.
   */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(Buffer.from(data));
    this.total += data.length;
  }

  /** The next complete message, or undefined when more bytes are needed. */
  next(): RawHandshakeMessage | undefined {
    if (this.total < 4) return undefined;
    const header = this.peek4();
    const length = header.readUIntBE(1, 3);
    // A length beyond the limit could only make us buffer without bound (OpenSSL uses the same alert).
    if (length > this.maxMessageSize) {
      throw alert('illegal_parameter', `handshake message of ${length} bytes exceeds the ${this.maxMessageSize}-byte limit`);
    }
    if (this.total < 4 + length) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.total);
    const raw = all.subarray(0, 4 + length);
    const rest = all.subarray(4 + length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.total = rest.length;
    return { type: header[0]!, body: raw.subarray(4), raw };
  }

  private peek4(): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first;
    const out = Buffer.allocUnsafe(4);
    let filled = 0;
    for (const c of this.chunks) {
      filled += c.copy(out, filled, 0, Math.min(c.length, 4 - filled));
      if (filled === 4) break;
    }
    return out;
  }
}
