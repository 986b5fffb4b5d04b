// One packet number space (RFC 9000 §12.3): its packet numbers, the acknowledgment state of what we
// received (recovery/ack-tracker), and its CRYPTO stream in both directions (RFC 9000 §19.6), with the
// packet protection of the matching encryption level. 1-RTT keys live in application-keys.ts because
// of key update; the application space only uses the packet numbers, ACKs and CRYPTO buffers here.
import { AckTracker } from '../recovery/ack-tracker.js';
import type { PacketNumberSpace } from '../recovery/types.js';
import type { PacketProtector } from '../crypto/packet-protection.js';
import { ReceiveBuffer } from '../streams/receive-buffer.js';
import { SendBuffer } from '../streams/send-buffer.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';

export class PacketSpace {
  readonly name: PacketNumberSpace;
  readonly acks: AckTracker;
  /** Our handshake bytes for this level, retransmitted from here when lost (RFC 9000 §13.3). */
  readonly cryptoSend = new SendBuffer({ highWaterMark: Number.POSITIVE_INFINITY });
  private readonly cryptoRecv = new ReceiveBuffer();
  private readonly maxCryptoBuffer: number;
  nextPacketNumber = 0;
  /** Initial and Handshake keys (the application space uses ApplicationKeys). */
  read: PacketProtector | undefined;
  write: PacketProtector | undefined;
  /** RFC 9001 §4.9: keys discarded; nothing is sent or accepted in this space any more. */
  discarded = false;
  /** PTO probes (RFC 9002 §6.2.4) still to send in this space. */
  probesPending = 0;

  constructor(name: PacketNumberSpace, maxAckDelay: number, maxCryptoBuffer: number) {
    this.name = name;
    this.acks = new AckTracker(name, { maxAckDelay });
    this.maxCryptoBuffer = maxCryptoBuffer;
  }

  /** Largest packet number processed here, -1 before any (RFC 9000 Appendix A.3 decoding base). */
  get largestReceived(): number {
    return this.acks.largestReceived;
  }

  takePacketNumber(): number {
    return this.nextPacketNumber++;
  }

  /**
   * A CRYPTO frame arrived (RFC 9000 §19.6). Returns the bytes now contiguous at the read offset, to
   * hand to TLS in order. Data beyond our buffer is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5).
   */
  onCryptoFrame(offset: number, data: Uint8Array): Uint8Array | undefined {
    const end = offset + data.length;
    if (end > this.cryptoRecv.readOffset + this.maxCryptoBuffer) {
      throw new QuicError(TransportErrorCode.CRYPTO_BUFFER_EXCEEDED, `CRYPTO data up to ${end} exceeds the ${this.maxCryptoBuffer}-byte buffer`);
    }
    this.cryptoRecv.insert(offset, data, false);
    // A read returns one held chunk; a frame that filled a gap made several contiguous, and TLS takes
    // them as one run (handshake messages are small, so joining them costs little).
    const first = this.cryptoRecv.read();
    if (first === undefined) return undefined;
    let next = this.cryptoRecv.read();
    if (next === undefined) return first;
    const parts = [first];
    for (; next !== undefined; next = this.cryptoRecv.read()) parts.push(next);
    return Buffer.concat(parts);
  }

  /** Unacknowledged CRYPTO data or a pending retransmission exists. */
  get hasCryptoToSend(): boolean {
    return this.cryptoSend.hasPendingData;
  }

  /** Everything we sent at this level is acknowledged. */
  get cryptoAllAcked(): boolean {
    return this.cryptoSend.ackedPrefix === this.cryptoSend.writeOffset;
  }

  /** RFC 9002 §6.2.4: a probe should carry unacknowledged data; queue all of it again. */
  requeueUnackedCrypto(): void {
    this.cryptoSend.onLost(0, this.cryptoSend.sentOffset);
  }

  /** RFC 9001 §4.9: forget the keys and stop sending or acknowledging in this space. */
  discard(): void {
    this.discarded = true;
    this.read = undefined;
    this.write = undefined;
    this.probesPending = 0;
    this.cryptoSend.discard();
  }
}
