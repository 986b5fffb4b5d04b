// Fills one UDP datagram frame by frame (the aioquic/quinn model): packets of several number spaces are
// coalesced in order (RFC 9000 §12.2), each frame is written only if it fits, the datagram is padded
// where RFC 9000 §14.1 requires it, and every packet is sealed and header-protected at the end
// (RFC 9001 §5), when its Length field and padding are final.
import { BufferWriter } from '../wire/buffer.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { encodeFrame } from '../wire/frames.js';
import { frameEncodedLength } from '../wire/frame-size.js';
import type { Frame } from '../wire/frame-types.js';
import { isAckEliciting } from '../wire/frame-rules.js';
import { finishLongHeader, QUIC_VERSION_1, writeLongHeader, writeShortHeader, type LongHeaderLayout } from '../wire/header.js';
import { packetNumberLength, type PacketNumberLength } from '../wire/packet-number.js';
import { protectPacket, HEADER_PROTECTION_SAMPLE_LENGTH, SAMPLE_OFFSET_FROM_PN, type PacketProtector } from '../crypto/packet-protection.js';
import type { PacketNumberSpace } from '../recovery/types.js';
import type { SentFrame } from './sent-frames.js';

/** The Length field of long headers: 2 bytes cover packets up to 16383 bytes (RFC 9000 §16). */
const LENGTH_FIELD_2_MAX = 16383;

export type BuiltPacketType = 'initial' | '0rtt' | 'handshake' | '1rtt';

export interface LongHeaderSpec {
  type: 'initial' | '0rtt' | 'handshake';
  dcid: Uint8Array;
  scid: Uint8Array;
  token?: Uint8Array;
}

export interface ShortHeaderSpec {
  dcid: Uint8Array;
  keyPhase: 0 | 1;
  /** RFC 9000 §17.4 latency spin bit (0 when absent). */
  spinBit?: 0 | 1;
}

/** A packet being filled. */
export class PacketInProgress {
  readonly type: BuiltPacketType;
  readonly space: PacketNumberSpace;
  readonly packetNumber: number;
  readonly frames: SentFrame[] = [];
  ackEliciting = false;
  /** Counts toward bytes in flight (ack-eliciting or padded, RFC 9002 §2). */
  inFlight = false;
  /** Frames written (including ones that need no loss handling). */
  frameCount = 0;
  /** Set by the builder once sealed: the packet's size on the wire. */
  size = 0;
  readonly w: BufferWriter;
  readonly packetStart: number;
  readonly pnOffset: number;
  readonly pnLength: PacketNumberLength;
  readonly payloadStart: number;
  readonly layout: LongHeaderLayout | undefined;
  readonly protector: PacketProtector;
  private readonly end: number;

  constructor(
    type: BuiltPacketType,
    space: PacketNumberSpace,
    w: BufferWriter,
    packetStart: number,
    end: number,
    protector: PacketProtector,
    pn: number,
    pnLength: PacketNumberLength,
    pnOffset: number,
    layout: LongHeaderLayout | undefined,
  ) {
    this.type = type;
    this.space = space;
    this.w = w;
    this.packetStart = packetStart;
    this.end = end;
    this.protector = protector;
    this.packetNumber = pn;
    this.pnLength = pnLength;
    this.pnOffset = pnOffset;
    this.payloadStart = w.offset;
    this.layout = layout;
  }

  /** Payload bytes that still fit (the AEAD tag is reserved). */
  get room(): number {
    return Math.max(0, this.end - this.w.offset - this.protector.tagLength);
  }

  get payloadLength(): number {
    return this.w.offset - this.payloadStart;
  }

  /** Writes `frame` if it fits; `sent` is what loss recovery should remember. */
  tryWrite(frame: Frame, sent?: SentFrame): boolean {
    const size = frameEncodedLength(frame);
    if (size > this.room) return false;
    encodeFrame(this.w, frame);
    this.frameCount++;
    if (sent !== undefined) this.frames.push(sent);
    if (isAckEliciting(frame.kind)) {
      this.ackEliciting = true;
      this.inFlight = true;
    }
    if (frame.kind === 'padding') this.inFlight = true;
    return true;
  }

  /** Appends PADDING (RFC 9000 §19.1), at most what fits. */
  pad(bytes: number): void {
    const n = Math.min(bytes, this.room);
    if (n <= 0) return;
    this.w.zeros(n);
    this.inFlight = true;
  }
}

export interface SealedDatagram {
  data: Uint8Array;
  packets: PacketInProgress[];
}

/**
 * Datagrams are assembled in a scratch buffer that outlives the builder and is copied out, exactly sized,
 * when sealed. A fresh zero-filled buffer per datagram cost more than everything else in the packet path
 * once DPLPMTUD raised the limit to 64 KiB on loopback: every ACK-only datagram paid a 64 KiB calloc, page
 * faults and GC pressure. Builders run synchronously, one at a time, so one spare is enough; a builder
 * that finds it taken (or too small) allocates its own.
 */
let spareScratch: Uint8Array | undefined;

function takeScratch(size: number): Uint8Array {
  const s = spareScratch;
  if (s !== undefined && s.length >= size) {
    spareScratch = undefined;
    return s;
  }
  return new Uint8Array(size);
}

function returnScratch(s: Uint8Array): void {
  if (spareScratch === undefined || spareScratch.length < s.length) spareScratch = s;
}

/**
 * Large datagrams (DPLPMTUD sizes) are copied out into buffers the socket layer hands back once the kernel
 * has taken the bytes (recycleDatagram). A fresh 64 KiB buffer per datagram is garbage that is only freed
 * at the next GC, so the allocator keeps taking new pages and every datagram paid page faults for them.
 * Small datagrams come from Node's buffer pool, which is cheap.
 */
const RECYCLED_MIN_BYTES = 4096;
/** Buffers kept for reuse; a bound, since a consumer may recycle more than it takes. */
const RECYCLED_MAX_COUNT = 8;
const recycled: Uint8Array[] = [];

function datagramBuffer(size: number): Uint8Array {
  if (size < RECYCLED_MIN_BYTES) return Buffer.allocUnsafe(size); // every byte is overwritten by the copy
  for (let i = recycled.length - 1; i >= 0; i--) {
    const b = recycled[i]!;
    if (b.buffer.byteLength >= size) {
      recycled.splice(i, 1);
      return new Uint8Array(b.buffer, 0, size);
    }
  }
  return Buffer.allocUnsafeSlow(size); // its own ArrayBuffer, uninitialised: the copy overwrites every byte
}

/**
 * Hands a sealed datagram's buffer back for reuse. Only for a caller that knows nothing references the
 * bytes any more: the UDP endpoint calls it once the socket has copied the datagram into the kernel.
 */
export function recycleDatagram(data: Uint8Array): void {
  if (data.byteOffset !== 0 || data.buffer.byteLength < RECYCLED_MIN_BYTES || recycled.length >= RECYCLED_MAX_COUNT) return;
  if (recycled.some((b) => b.buffer === data.buffer)) return;
  recycled.push(data);
}

/** Assembles one datagram of at most `limit` bytes. */
export class DatagramBuilder {
  readonly limit: number;
  /** Taken with the first packet: most polls find nothing to send and should cost nothing. */
  private buf: Uint8Array | undefined;
  private offset = 0;
  private readonly packets: PacketInProgress[] = [];
  private open: PacketInProgress | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes left for another packet. */
  get remaining(): number {
    return this.limit - this.offset;
  }

  get packetCount(): number {
    return this.packets.length;
  }

  get hasInitial(): boolean {
    return this.packets.some((p) => p.type === 'initial');
  }

  /** Whether a committed packet carries a frame of this kind (e.g. PATH_CHALLENGE, for padding, RFC 9000 §8.2.1). */
  carries(kind: SentFrame['kind']): boolean {
    return this.packets.some((p) => p.frames.some((f) => f.kind === kind));
  }

  get ackEliciting(): boolean {
    return this.packets.some((p) => p.ackEliciting);
  }

  /**
   * Starts a packet, or returns undefined when not even a header, one byte of frames and the tag fit.
   * `largestAcked` is the largest of our packet numbers the peer acknowledged in this space (Appendix A.2).
   */
  startPacket(
    header: { long: LongHeaderSpec } | { short: ShortHeaderSpec },
    space: PacketNumberSpace,
    protector: PacketProtector,
    packetNumber: number,
    largestAcked: number,
  ): PacketInProgress | undefined {
    if (this.open !== undefined) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'a packet is already open');
    const pnLength = packetNumberLength(packetNumber, largestAcked < 0 ? undefined : largestAcked);
    const start = this.offset;
    // The smallest useful packet: header, frames padded to the header protection sample, tag.
    const minimum = headerSize(header, pnLength) + SAMPLE_OFFSET_FROM_PN + HEADER_PROTECTION_SAMPLE_LENGTH - pnLength;
    if (this.limit - start < minimum + 1) return undefined;
    this.buf ??= takeScratch(this.limit);
    const w = new BufferWriter(this.buf, start, this.limit);
    let pnOffset: number;
    let layout: LongHeaderLayout | undefined;
    let type: BuiltPacketType;
    if ('long' in header) {
      const h = header.long;
      type = h.type;
      const fields = { type: h.type, version: QUIC_VERSION_1, dcid: h.dcid, scid: h.scid, packetNumber, packetNumberLength: pnLength };
      layout = writeLongHeader(w, h.token !== undefined ? { ...fields, token: h.token } : fields, this.limit > LENGTH_FIELD_2_MAX ? 4 : 2);
      pnOffset = layout.pnOffset;
    } else {
      type = '1rtt';
      const short = header.short;
      pnOffset = writeShortHeader(w, { dcid: short.dcid, keyPhase: short.keyPhase, spinBit: short.spinBit, packetNumber, packetNumberLength: pnLength });
    }
    const p = new PacketInProgress(type, space, w, start, this.limit, protector, packetNumber, pnLength, pnOffset, layout);
    this.open = p;
    return p;
  }

  /** Keeps the open packet if it has frames (true), or forgets it (false: its packet number stays unused). */
  commit(p: PacketInProgress): boolean {
    if (this.open !== p) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'committing a packet that is not open');
    this.open = undefined;
    if (p.frameCount === 0) return false;
    // RFC 9001 §5.4.2: packet number + payload must reach 4 bytes so the sample fits inside the packet.
    const short = SAMPLE_OFFSET_FROM_PN - p.pnLength - p.payloadLength;
    if (short > 0) p.w.zeros(short);
    this.packets.push(p);
    this.offset = p.w.offset + p.protector.tagLength;
    return true;
  }

  /**
   * Pads the datagram to `size` bytes (RFC 9000 §14.1) with PADDING in its last packet, which keeps
   * the padding inside an authenticated packet. Returns false when there is no packet to pad.
   */
  padTo(size: number): boolean {
    const last = this.packets[this.packets.length - 1];
    if (last === undefined) return false;
    const target = Math.min(size, this.limit);
    const extra = target - this.offset;
    if (extra <= 0) return true;
    last.w.zeros(extra);
    last.inFlight = true;
    this.offset += extra;
    return true;
  }

  /**
   * Seals every packet (RFC 9001 §5.3, §5.4) and returns the datagram in a buffer of its own (the
   * scratch goes back for the next builder), or undefined when empty.
   */
  seal(): SealedDatagram | undefined {
    if (this.open !== undefined) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'sealing with a packet still open');
    const buf = this.buf;
    if (this.packets.length === 0 || buf === undefined) {
      this.discard();
      return undefined;
    }
    for (const p of this.packets) {
      if (p.layout !== undefined) finishLongHeader(p.w, p.layout, p.protector.tagLength);
      const end = protectPacket(p.protector, buf, p.packetStart, p.pnOffset, p.pnLength, p.w.offset, p.packetNumber);
      p.size = end - p.packetStart;
    }
    const data = datagramBuffer(this.offset);
    data.set(buf.subarray(0, this.offset));
    this.discard();
    return { data, packets: this.packets };
  }

  /** Gives the scratch buffer back: after seal(), or for a builder that ends up with no packet. */
  discard(): void {
    if (this.buf === undefined) return;
    returnScratch(this.buf);
    this.buf = undefined;
  }
}

function headerSize(header: { long: LongHeaderSpec } | { short: ShortHeaderSpec }, pnLength: number): number {
  if ('short' in header) return 1 + header.short.dcid.length + pnLength;
  const h = header.long;
  const token = h.type === 'initial' ? (h.token?.length ?? 0) : 0;
  // first byte, version, 2 CID lengths, CIDs, token length (<= 4), token, Length (<= 4), packet number
  return 1 + 4 + 2 + h.dcid.length + h.scid.length + (h.type === 'initial' ? 4 + token : 0) + 4 + pnLength;
}
