// Splits a TCP byte stream into MQTT control packets without copying them: the load generator's hot path.
// Each packet is handed over as (buffer, offset, header length, remaining length), so a chunk holding a
// thousand PUBLISHes costs no allocation at all. Only a packet cut by a chunk boundary is copied once
// (its start is kept and joined with the next chunk).

/** MQTT 3.1.1 §2.2.3 / MQTT 5.0 §1.5.5: the Remaining Length is a Variable Byte Integer of 1 to 4 bytes. */
const MAX_REMAINING_LENGTH_BYTES = 4;

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: 'MALFORMED_REMAINING_LENGTH' | 'PACKET_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Called once per complete packet. The packet is buf[offset, offset + headerLength + remainingLength);
 * the first byte is the packet type (high nibble) and flags (low nibble). The buffer may be reused after
 * the callback returns.
 */
export type PacketHandler = (buf: Buffer, offset: number, headerLength: number, remainingLength: number) => void;

export class FrameScanner {
  private pending: Buffer | undefined;

  /** @param maxPacketSize largest whole packet accepted; a larger one is a FrameError (bounded memory). */
  constructor(
    private readonly onPacket: PacketHandler,
    private readonly maxPacketSize: number,
  ) {}

  /** Bytes held back while waiting for the rest of a packet. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  /** Feeds the next chunk; calls onPacket for every packet it completes. @throws FrameError */
  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const end = buf.length;
    let pos = 0;
    while (end - pos >= 2) {
      let remaining = 0;
      let multiplier = 1;
      let headerLength = 1;
      let complete = false;
      for (let i = 1; i <= MAX_REMAINING_LENGTH_BYTES; i++) {
        if (pos + i >= end) break;
        const byte = buf[pos + i]!;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        headerLength++;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
        if (i === MAX_REMAINING_LENGTH_BYTES) {
          throw new FrameError('MALFORMED_REMAINING_LENGTH', 'Remaining Length longer than four bytes (MQTT 3.1.1 §2.2.3)');
        }
      }
      if (!complete) break;
      const total = headerLength + remaining;
      if (total > this.maxPacketSize) {
        throw new FrameError('PACKET_TOO_LARGE', `packet of ${total} bytes exceeds the ${this.maxPacketSize}-byte limit`);
      }
      if (end - pos < total) break;
      this.onPacket(buf, pos, headerLength, remaining);
      pos += total;
    }
    if (pos < end) {
      // Copy, so a 64 KiB chunk is not kept alive by the few bytes of its last packet.
      this.pending = Buffer.from(buf.subarray(pos));
    }
  }
}
