// Splits a byte stream into MQTT control packets using the fixed header (MQTT 5.0 §2.1), and rejects a
// packet as soon as its Remaining Length says it exceeds the limit, before buffering its body.
import { ReasonCode, MqttProtocolError } from './reason-codes.js';

/** MQTT 5.0 §1.5.5: a Variable Byte Integer is at most four bytes. */
const MAX_VARINT_BYTES = 4;

export class PacketFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxPacketSize largest whole packet (fixed header included) accepted, in bytes. */
  constructor(private maxPacketSize: number) {}

  setMaxPacketSize(n: number): void {
    this.maxPacketSize = n;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * The next complete packet, or undefined when more bytes are needed.
   * @throws MqttProtocolError 0x81 for a Remaining Length longer than four bytes, 0x95 for a packet
   * larger than the limit (MQTT 5.0 §3.1.2.24: the server announces the limit and treats a larger
   * packet as Packet Too Large).
   */
  next(): Buffer | undefined {
    if (this.buffered < 2) return undefined;
    let remaining = 0;
    let multiplier = 1;
    let headerLen = 1;
    for (let i = 0; ; i++) {
      if (i === MAX_VARINT_BYTES) {
        throw new MqttProtocolError(ReasonCode.MalformedPacket, 'remaining length longer than four bytes');
      }
      if (1 + i >= this.buffered) return undefined;
      const b = this.byteAt(1 + i);
      remaining += (b & 0x7f) * multiplier;
      multiplier *= 128;
      headerLen++;
      if ((b & 0x80) === 0) break;
    }
    const total = headerLen + remaining;
    if (total > this.maxPacketSize) {
      throw new MqttProtocolError(
        ReasonCode.PacketTooLarge,
        `packet of ${total} bytes exceeds the maximum packet size ${this.maxPacketSize}`,
      );
    }
    if (this.buffered < total) return undefined;
    return this.take(total);
  }

  private byteAt(index: number): number {
    for (const c of this.chunks) {
      if (index < c.length) return c[index]!;
      index -= c.length;
    }
    return 0;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}

/**
 * The length of the MQTT packet at the start of `bytes` (fixed header included, MQTT 5.0 §2.1.4), or -1
 * when its fixed header is incomplete or malformed. For packets that arrive whole, one per datagram.
 */
export function packetLengthAt(bytes: Uint8Array): number {
  let remaining = 0;
  let multiplier = 1;
  for (let i = 1; i <= MAX_VARINT_BYTES; i++) {
    const b = bytes[i];
    if (b === undefined) return -1;
    remaining += (b & 0x7f) * multiplier;
    multiplier *= 128;
    if ((b & 0x80) === 0) return i + 1 + remaining;
  }
  return -1;
}
