// QUIC packet headers: the version-independent invariants (RFC 8999), QUIC v1 long and short headers
// (RFC 9000 §17.2, §17.3), Version Negotiation (§17.2.1), Retry (§17.2.5) and coalesced packets (§12.2).
// Parsing here works on the *protected* header: the packet number and the low bits of the first byte
// are only readable after header protection is removed (RFC 9001 §5.4, see crypto/packet-protection.ts).
import { BufferReader, BufferWriter } from './buffer.js';
import { InvalidPacketError, QuicError, TransportErrorCode } from './errors.js';
import type { PacketNumberLength } from './packet-number.js';

export const QUIC_VERSION_1 = 0x00000001;
/** RFC 9000 §17.2.1: the version field of a Version Negotiation packet. */
export const VERSION_NEGOTIATION_VERSION = 0x00000000;
/** RFC 9000 §17.2: a v1 connection ID is at most 20 bytes. */
export const MAX_CONNECTION_ID_LENGTH = 20;
/** RFC 8999 §5.1: in the version-independent long header a connection ID is at most 255 bytes. */
export const MAX_INVARIANT_CONNECTION_ID_LENGTH = 255;
/** RFC 9000 §14.1: a client pads datagrams with Initial packets to at least 1200 bytes. */
export const MIN_INITIAL_DATAGRAM_SIZE = 1200;
/** RFC 9001 §5.8: the Retry Integrity Tag is a 128-bit AEAD tag. */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;
/**
 * RFC 9001 §5.4.2: header protection samples 16 bytes starting 4 bytes after the packet number field, so
 * a protected packet holds at least 4 + 16 bytes from its packet number on; shorter ones "MUST" be discarded.
 * (Senders pad to keep this true, RFC 9001 §5.4.2.)
 */
export const MIN_PROTECTED_PACKET_PAYLOAD = 4 + 16;

const HEADER_FORM_BIT = 0x80;
const FIXED_BIT = 0x40;
/** RFC 9000 §17.2: Long Packet Type bits. */
const LONG_TYPE_MASK = 0x30;
/** RFC 9000 §17.2 / §17.3.1: reserved bits, protected by header protection. */
const LONG_RESERVED_BITS = 0x0c;
const SHORT_RESERVED_BITS = 0x18;
const SPIN_BIT = 0x20;
const KEY_PHASE_BIT = 0x04;
const PN_LENGTH_MASK = 0x03;

export type LongPacketType = 'initial' | '0rtt' | 'handshake' | 'retry';
/** Every packet type; the ones that carry frames are 'initial', '0rtt', 'handshake' and '1rtt'. */
export type PacketType = LongPacketType | '1rtt' | 'version_negotiation';
/** The packet types that carry protected frames (RFC 9000 §12.4 Table 3 columns). */
export type FramePacketType = 'initial' | '0rtt' | 'handshake' | '1rtt';

/** RFC 9000 §17.2 Table 5: Long Header Packet Types for version 1. */
const LONG_TYPE_BITS: Record<LongPacketType, number> = { initial: 0, '0rtt': 1, handshake: 2, retry: 3 };
const LONG_TYPE_BY_BITS: readonly LongPacketType[] = ['initial', '0rtt', 'handshake', 'retry'];

/** The version-independent view of a packet (RFC 8999 §5), enough to route it before decryption. */
export interface InvariantHeader {
  form: 'long' | 'short';
  /** Long headers only. 0 means Version Negotiation. */
  version?: number;
  dcid: Uint8Array;
  /** Long headers only. */
  scid?: Uint8Array;
}

/**
 * Parses the invariant fields of the packet at the start of `datagram` (RFC 8999 §5). A short header
 * has no DCID length on the wire: the endpoint knows the length of the IDs it issued (`shortDcidLength`).
 * Connection IDs are views into `datagram`.
 */
export function parseInvariantHeader(datagram: Uint8Array, shortDcidLength: number): InvariantHeader {
  const r = new BufferReader(datagram, TransportErrorCode.PROTOCOL_VIOLATION);
  try {
    const first = r.u8();
    if ((first & HEADER_FORM_BIT) === 0) return { form: 'short', dcid: r.bytesView(shortDcidLength) };
    const version = r.u32();
    const dcid = r.bytesView(r.u8());
    const scid = r.bytesView(r.u8());
    return { form: 'long', version, dcid, scid };
  } catch (e) {
    throw asInvalidPacket(e, 'truncated invariant header');
  }
}

interface ParsedPacketBase {
  /** Offset of this packet's first byte in the datagram. */
  packetStart: number;
  /** Offset one past this packet's last byte in the datagram. */
  packetEnd: number;
  dcid: Uint8Array;
}

/** A v1 Initial, 0-RTT or Handshake packet, header protection still applied. */
export interface ParsedLongHeaderPacket extends ParsedPacketBase {
  type: 'initial' | '0rtt' | 'handshake';
  version: number;
  scid: Uint8Array;
  /** Initial packets only (RFC 9000 §17.2.2); empty when none. */
  token: Uint8Array;
  /** Offset of the packet number field in the datagram (RFC 9001 §5.4.2 sample origin). */
  pnOffset: number;
}

/** A 1-RTT packet (RFC 9000 §17.3.1), header protection still applied; it runs to the datagram's end. */
export interface ParsedShortHeaderPacket extends ParsedPacketBase {
  type: '1rtt';
  pnOffset: number;
}

/** RFC 9000 §17.2.5. The integrity tag is checked by crypto/retry.ts. */
export interface ParsedRetryPacket extends ParsedPacketBase {
  type: 'retry';
  version: number;
  scid: Uint8Array;
  token: Uint8Array;
  integrityTag: Uint8Array;
}

/** RFC 9000 §17.2.1. */
export interface ParsedVersionNegotiationPacket extends ParsedPacketBase {
  type: 'version_negotiation';
  scid: Uint8Array;
  supportedVersions: number[];
}

export type ParsedPacket = ParsedLongHeaderPacket | ParsedShortHeaderPacket | ParsedRetryPacket | ParsedVersionNegotiationPacket;

/**
 * Parses the QUIC v1 packet starting at `offset` in `datagram`. Long header packets with a Length field
 * end where it says (RFC 9000 §12.2); other packets run to the end of the datagram. Anything malformed
 * raises InvalidPacketError: RFC 9000 says such packets are discarded, not that the connection closes.
 */
export function parsePacket(datagram: Uint8Array, offset: number, shortDcidLength: number): ParsedPacket {
  const r = new BufferReader(datagram, TransportErrorCode.PROTOCOL_VIOLATION, offset);
  try {
    const first = r.u8();
    if ((first & HEADER_FORM_BIT) === 0) {
      // RFC 9000 §17.3.1: fixed bit MUST be 1; packets with 0 "MUST be discarded".
      if ((first & FIXED_BIT) === 0) throw new InvalidPacketError('short header with fixed bit 0');
      const dcid = r.bytesView(shortDcidLength);
      // RFC 9001 §5.4.2: a packet too short for a header protection sample is discarded (never a connection
      // error). That check is made when header protection is removed (packet-protection.ts sampleOf), not
      // here: 1-RTT packets sent without protection (draft-banks-quic-disable-encryption) have no sample.
      if (r.remaining < 1) throw new InvalidPacketError('1-RTT packet without a packet number');
      return { type: '1rtt', packetStart: offset, packetEnd: datagram.length, dcid, pnOffset: r.offset };
    }
    const version = r.u32();
    const dcid = r.bytesView(r.u8());
    const scid = r.bytesView(r.u8());
    if (version === VERSION_NEGOTIATION_VERSION) return parseVersionNegotiationBody(r, offset, dcid, scid);
    if (version !== QUIC_VERSION_1) throw new InvalidPacketError(`unsupported version 0x${version.toString(16).padStart(8, '0')}`);
    // RFC 9000 §17.2: v1 connection IDs longer than 20 bytes: "MUST drop the packet".
    if (dcid.length > MAX_CONNECTION_ID_LENGTH || scid.length > MAX_CONNECTION_ID_LENGTH) {
      throw new InvalidPacketError('connection ID longer than 20 bytes in a v1 long header');
    }
    if ((first & FIXED_BIT) === 0) throw new InvalidPacketError('long header with fixed bit 0');
    const type = LONG_TYPE_BY_BITS[(first & LONG_TYPE_MASK) >> 4]!;
    if (type === 'retry') {
      // RFC 9000 §17.2.5: Retry Token runs to the 16-byte Retry Integrity Tag at the end.
      const rest = r.rest();
      if (rest.length < RETRY_INTEGRITY_TAG_LENGTH) throw new InvalidPacketError('Retry packet shorter than its integrity tag');
      const tagAt = rest.length - RETRY_INTEGRITY_TAG_LENGTH;
      // RFC 9000 §17.2.5.2: "A client MUST discard a Retry packet with a zero-length Retry Token field."
      if (tagAt === 0) throw new InvalidPacketError('Retry packet with an empty token');
      return {
        type,
        version,
        packetStart: offset,
        packetEnd: datagram.length,
        dcid,
        scid,
        token: rest.subarray(0, tagAt),
        integrityTag: rest.subarray(tagAt),
      };
    }
    const token = type === 'initial' ? r.varintBytes() : datagram.subarray(0, 0);
    const length = r.varint();
    if (length > r.remaining) throw new InvalidPacketError(`Length ${length} exceeds the ${r.remaining} bytes left in the datagram`);
    // RFC 9000 §17.2: Length covers the packet number and payload. RFC 9001 §5.4.2: a packet too short
    // for a header protection sample is discarded, so it is rejected here rather than when unprotecting.
    if (length < MIN_PROTECTED_PACKET_PAYLOAD) throw new InvalidPacketError(`Length ${length} too small for a header protection sample`);
    const pnOffset = r.offset;
    return { type, version, packetStart: offset, packetEnd: pnOffset + length, dcid, scid, token, pnOffset };
  } catch (e) {
    throw asInvalidPacket(e, 'truncated packet header');
  }
}

function parseVersionNegotiationBody(
  r: BufferReader,
  packetStart: number,
  dcid: Uint8Array,
  scid: Uint8Array,
): ParsedVersionNegotiationPacket {
  // RFC 9000 §17.2.1: a list of 32-bit versions fills the rest of the packet.
  if (r.remaining === 0 || r.remaining % 4 !== 0) {
    throw new InvalidPacketError(`Version Negotiation list of ${r.remaining} bytes is not a non-empty multiple of 4`);
  }
  const supportedVersions: number[] = [];
  while (!r.atEnd) supportedVersions.push(r.u32());
  return { type: 'version_negotiation', packetStart, packetEnd: r.offset, dcid, scid, supportedVersions };
}

function asInvalidPacket(e: unknown, reason: string): QuicError {
  if (e instanceof InvalidPacketError) return e;
  if (e instanceof QuicError) return new InvalidPacketError(`${reason}: ${e.reason}`);
  throw e;
}

/** The result of splitting a datagram: its packets, and whether trailing bytes were ignored. */
export interface CoalescedPackets {
  packets: ParsedPacket[];
  /** Bytes after the last parsed packet that were ignored (RFC 9000 §12.2). */
  ignoredBytes: number;
}

/**
 * Splits a datagram into its coalesced packets (RFC 9000 §12.2). A malformed first packet raises
 * InvalidPacketError (drop the datagram). After the first packet, a packet that does not parse, or whose
 * DCID differs from the first one ("Receivers SHOULD ignore any subsequent packets with a different
 * Destination Connection ID"), ends the split; its bytes are counted in `ignoredBytes`.
 */
export function splitCoalescedPackets(datagram: Uint8Array, shortDcidLength: number): CoalescedPackets {
  const packets: ParsedPacket[] = [];
  let offset = 0;
  // Every packet consumes at least one byte, so the loop runs at most datagram.length times.
  while (offset < datagram.length) {
    let packet: ParsedPacket;
    try {
      packet = parsePacket(datagram, offset, shortDcidLength);
    } catch (e) {
      if (packets.length === 0) throw e;
      break;
    }
    if (packets.length > 0 && !bytesEqual(packet.dcid, packets[0]!.dcid)) break;
    packets.push(packet);
    offset = packet.packetEnd;
  }
  return { packets, ignoredBytes: datagram.length - offset };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * RFC 9000 §17.2 / §17.3.1: reserved bits of the first byte, after header protection is removed, MUST be
 * 0; a packet that still has them set after removing packet protection (i.e. it authenticated) is a
 * connection error of type PROTOCOL_VIOLATION. Call this only after the AEAD has opened the packet.
 */
export function checkReservedBits(unprotectedFirstByte: number): void {
  const reserved = (unprotectedFirstByte & HEADER_FORM_BIT) !== 0 ? LONG_RESERVED_BITS : SHORT_RESERVED_BITS;
  if ((unprotectedFirstByte & reserved) !== 0) {
    throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'reserved header bits are not zero');
  }
}

/** Packet number length from an unprotected first byte (RFC 9000 §17.2: Packet Number Length bits). */
export function packetNumberLengthOf(unprotectedFirstByte: number): PacketNumberLength {
  return ((unprotectedFirstByte & PN_LENGTH_MASK) + 1) as PacketNumberLength;
}

/** Key Phase bit of an unprotected short header first byte (RFC 9000 §17.3.1). */
export function keyPhaseOf(unprotectedFirstByte: number): 0 | 1 {
  return (unprotectedFirstByte & KEY_PHASE_BIT) !== 0 ? 1 : 0;
}

/** Spin bit of a short header first byte (RFC 9000 §17.4); not protected. */
export function spinBitOf(firstByte: number): 0 | 1 {
  return (firstByte & SPIN_BIT) !== 0 ? 1 : 0;
}

export function isLongHeader(firstByte: number): boolean {
  return (firstByte & HEADER_FORM_BIT) !== 0;
}

export interface LongHeaderFields {
  type: 'initial' | '0rtt' | 'handshake';
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial packets only (RFC 9000 §17.2.2). */
  token?: Uint8Array;
  packetNumber: number;
  packetNumberLength: PacketNumberLength;
}

/** Where a packet builder must patch the long header once the payload is written. */
export interface LongHeaderLayout {
  /** Offset of the Length field (RFC 9000 §17.2). */
  lengthOffset: number;
  /** Bytes reserved for the Length field. */
  lengthFieldSize: 1 | 2 | 4 | 8;
  pnOffset: number;
}

/**
 * Writes a v1 long header (RFC 9000 §17.2.2-17.2.4) with a Length field of `lengthFieldSize` bytes to
 * patch with `finishLongHeader` once the payload size is known. Reserved bits are 0.
 */
export function writeLongHeader(w: BufferWriter, h: LongHeaderFields, lengthFieldSize: 1 | 2 | 4 | 8 = 2): LongHeaderLayout {
  checkCidLength(h.dcid);
  checkCidLength(h.scid);
  w.u8(HEADER_FORM_BIT | FIXED_BIT | (LONG_TYPE_BITS[h.type] << 4) | (h.packetNumberLength - 1));
  w.u32(h.version);
  w.u8(h.dcid.length).bytes(h.dcid);
  w.u8(h.scid.length).bytes(h.scid);
  if (h.type === 'initial') {
    const token = h.token ?? new Uint8Array(0);
    w.varint(token.length).bytes(token);
  } else if (h.token !== undefined && h.token.length > 0) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `a ${h.type} packet has no token field`);
  }
  const lengthOffset = w.reserve(lengthFieldSize);
  const pnOffset = w.offset;
  w.uintN(h.packetNumber, h.packetNumberLength);
  return { lengthOffset, lengthFieldSize, pnOffset };
}

/**
 * Fills the Length field once the payload is written: packet number + payload + the AEAD tag still to
 * be appended by sealing (RFC 9000 §17.2: Length counts the protected payload).
 */
export function finishLongHeader(w: BufferWriter, layout: LongHeaderLayout, tagLength: number): void {
  w.patchVarint(layout.lengthOffset, w.offset - layout.pnOffset + tagLength, layout.lengthFieldSize);
}

export interface ShortHeaderFields {
  dcid: Uint8Array;
  spinBit?: 0 | 1;
  keyPhase: 0 | 1;
  packetNumber: number;
  packetNumberLength: PacketNumberLength;
}

/** Writes a 1-RTT short header (RFC 9000 §17.3.1); returns the packet number offset. */
export function writeShortHeader(w: BufferWriter, h: ShortHeaderFields): number {
  checkCidLength(h.dcid);
  w.u8(FIXED_BIT | ((h.spinBit ?? 0) === 1 ? SPIN_BIT : 0) | (h.keyPhase === 1 ? KEY_PHASE_BIT : 0) | (h.packetNumberLength - 1));
  w.bytes(h.dcid);
  const pnOffset = w.offset;
  w.uintN(h.packetNumber, h.packetNumberLength);
  return pnOffset;
}

/**
 * Builds a Version Negotiation packet (RFC 9000 §17.2.1). The caller swaps the IDs: `dcid` is the
 * client's Source Connection ID and `scid` the client's Destination Connection ID (RFC 9000 §6.1).
 * `unusedBits` fills the 7 arbitrary low bits of the first byte (a server SHOULD randomise them so the
 * packet is not mistaken for a fixed pattern; RFC 8999 §6). The IDs may be up to 255 bytes (RFC 8999).
 */
export function buildVersionNegotiation(dcid: Uint8Array, scid: Uint8Array, supportedVersions: readonly number[], unusedBits = 0): Uint8Array {
  if (dcid.length > MAX_INVARIANT_CONNECTION_ID_LENGTH || scid.length > MAX_INVARIANT_CONNECTION_ID_LENGTH) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'connection ID longer than 255 bytes');
  }
  if (supportedVersions.length === 0) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'no versions to offer');
  const w = new BufferWriter(new Uint8Array(7 + dcid.length + scid.length + 4 * supportedVersions.length));
  w.u8(HEADER_FORM_BIT | (unusedBits & 0x7f));
  w.u32(VERSION_NEGOTIATION_VERSION);
  w.u8(dcid.length).bytes(dcid);
  w.u8(scid.length).bytes(scid);
  for (const v of supportedVersions) w.u32(v);
  return w.view();
}

/**
 * The Retry packet up to (not including) its integrity tag (RFC 9000 §17.2.5); crypto/retry.ts appends the
 * tag. `unusedBits` fills the 4 low bits of the first byte, which are unused in Retry.
 */
export function buildRetryWithoutTag(version: number, dcid: Uint8Array, scid: Uint8Array, token: Uint8Array, unusedBits = 0): Uint8Array {
  checkCidLength(dcid);
  checkCidLength(scid);
  // RFC 9000 §17.2.5.1: a server MUST NOT send a Retry with an empty token (the client discards it).
  if (token.length === 0) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'a Retry packet needs a non-empty token');
  const w = new BufferWriter(new Uint8Array(7 + dcid.length + scid.length + token.length));
  w.u8(HEADER_FORM_BIT | FIXED_BIT | (LONG_TYPE_BITS.retry << 4) | (unusedBits & 0x0f));
  w.u32(version);
  w.u8(dcid.length).bytes(dcid);
  w.u8(scid.length).bytes(scid);
  w.bytes(token);
  return w.view();
}

function checkCidLength(cid: Uint8Array): void {
  if (cid.length > MAX_CONNECTION_ID_LENGTH) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `connection ID of ${cid.length} bytes exceeds 20`);
  }
}
