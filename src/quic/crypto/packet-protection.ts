// QUIC packet protection (RFC 9001 §5.3) and header protection (RFC 9001 §5.4).
//
// Cost model (see DESIGN.md): node:crypto has no reusable AEAD context, so each packet pays one
// createCipheriv/createDecipheriv. Everything else is kept off the per-packet path: the nonce is built
// by XOR into a buffer owned by the protector (RFC 9001 §5.3), the AES-ECB header protection cipher is
// created once per key and reused for every sample (ECB keeps no state between 16-byte blocks), sealing
// writes ciphertext and tag back into the datagram being built, and opening returns the decipher's own
// output buffer as the payload rather than copying it again.
//
// Packet protection sits behind the PacketProtector interface so another scheme (for instance a null
// cipher for draft-banks-quic-disable-encryption) can be slotted in without touching callers.
import { createCipheriv, createDecipheriv, type Cipher, type CipherGCMTypes } from 'node:crypto';
import { InvalidPacketError, QuicError, TransportErrorCode } from '../wire/errors.js';
import { checkReservedBits, isLongHeader, keyPhaseOf, packetNumberLengthOf, type FramePacketType } from '../wire/header.js';
import { decodePacketNumber, readTruncatedPacketNumber, writePacketNumber, type PacketNumberLength } from '../wire/packet-number.js';
import { unpooledCopy, type CipherSuite, type PacketProtectionKeys } from './keys.js';

/** RFC 9001 §5.4.2: the header protection sample is 16 bytes. */
export const HEADER_PROTECTION_SAMPLE_LENGTH = 16;
/** RFC 9001 §5.4.2: the sample starts 4 bytes after the start of the Packet Number field. */
export const SAMPLE_OFFSET_FROM_PN = 4;
/** RFC 9001 §5.4.1: one byte for the first byte's bits plus up to four packet number bytes. */
export const HEADER_PROTECTION_MASK_LENGTH = 5;
/** RFC 9001 §5.4.1: bits of the first byte under header protection. */
const LONG_HEADER_PROTECTED_BITS = 0x0f;
const SHORT_HEADER_PROTECTED_BITS = 0x1f;

/** One direction of one encryption level: AEAD and header protection with a fixed set of keys. */
export interface PacketProtector {
  readonly suite: CipherSuite;
  /**
   * True for the "protector" of unprotected 1-RTT packets (draft-banks-quic-disable-encryption): no AEAD,
   * no tag, no header protection. Only ever installed for 1-RTT after both endpoints negotiated it.
   */
  readonly plaintext?: boolean;
  /** Bytes the AEAD adds after the payload. */
  readonly tagLength: number;
  /** Packets sealed with these keys (for the confidentiality limit, RFC 9001 §6.6). */
  readonly sealedPackets: number;
  /** Packets that failed authentication with these keys (for the integrity limit, RFC 9001 §6.6). */
  readonly failedOpens: number;
  /**
   * Seals the payload in place (RFC 9001 §5.3): `buf[headerEnd, payloadEnd)` is encrypted with nonce
   * iv XOR packetNumber and AAD `buf[headerStart, headerEnd)` (the unprotected header); the tag is written
   * at `payloadEnd`. Returns the end of the protected packet (payloadEnd + tagLength).
   */
  seal(buf: Uint8Array, headerStart: number, headerEnd: number, payloadEnd: number, packetNumber: number): number;
  /**
   * Opens `buf[headerEnd, packetEnd)` (ciphertext then tag) with AAD `buf[headerStart, headerEnd)`.
   * Returns the plaintext (a new buffer; `buf` is not modified), or null when authentication fails.
   */
  open(buf: Uint8Array, headerStart: number, headerEnd: number, packetEnd: number, packetNumber: number): Uint8Array | null;
  /** The header protection mask for a 16-byte sample (RFC 9001 §5.4.1); at least 5 bytes, only the first 5 used. */
  headerProtectionMask(sample: Uint8Array): Uint8Array;
}

const ZERO_MASK_INPUT = new Uint8Array(HEADER_PROTECTION_MASK_LENGTH);

/** The AEAD packet protector for the TLS 1.3 suites of RFC 9001 §5.3. */
class AeadPacketProtector implements PacketProtector {
  readonly suite: CipherSuite;
  readonly tagLength: number;
  sealedPackets = 0;
  failedOpens = 0;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly hp: Buffer;
  /** Per-packet nonce, rebuilt in place (RFC 9001 §5.3). */
  private readonly nonce: Buffer;
  /**
   * AES suites: one ECB cipher for the lifetime of the key (RFC 9001 §5.4.3), made on first use: a
   * handshake installs keys for several levels and directions, some of which protect one packet or none.
   */
  private ecb: Cipher | undefined;
  /**
   * node:crypto types the GCM and ChaCha20-Poly1305 overloads separately; both return an AEAD cipher with
   * setAAD/getAuthTag and take the same options, so the ChaCha20 name is passed through the GCM overload.
   */
  private readonly aead: CipherGCMTypes;
  private readonly authTagOptions: { authTagLength: number };

  constructor(keys: PacketProtectionKeys) {
    const suite = keys.suite;
    if (keys.key.length !== suite.keyLength || keys.iv.length !== suite.ivLength || keys.hp.length !== suite.hpKeyLength) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `key sizes do not match ${suite.name}`);
    }
    this.suite = suite;
    this.tagLength = suite.tagLength;
    // Kept as long as the key is in use: copied with Buffer.alloc, which (unlike Buffer.from) never hands
    // out a view into Node's shared 8 KiB pool, so these 60-odd bytes do not pin a whole pool block.
    this.key = unpooledCopy(keys.key);
    this.iv = unpooledCopy(keys.iv);
    this.hp = unpooledCopy(keys.hp);
    this.nonce = Buffer.alloc(suite.ivLength);
    this.authTagOptions = { authTagLength: suite.tagLength };
    this.aead = suite.aead as CipherGCMTypes;
  }

  /** RFC 9001 §5.3: the 62-bit packet number, left-padded to the IV size, XORed with the IV. */
  private nonceFor(packetNumber: number): Buffer {
    const n = this.nonce;
    this.iv.copy(n);
    const len = n.length;
    let hi = Math.floor(packetNumber / 0x1_0000_0000);
    let lo = packetNumber >>> 0;
    for (let i = 0; i < 4; i++) {
      n[len - 1 - i]! ^= lo & 0xff;
      lo >>>= 8;
      n[len - 5 - i]! ^= hi & 0xff;
      hi >>>= 8;
    }
    return n;
  }

  seal(buf: Uint8Array, headerStart: number, headerEnd: number, payloadEnd: number, packetNumber: number): number {
    const end = payloadEnd + this.tagLength;
    if (headerStart < 0 || headerStart > headerEnd || headerEnd > payloadEnd || end > buf.length) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'no room to seal the packet in the buffer');
    }
    const cipher = createCipheriv(this.aead, this.key, this.nonceFor(packetNumber), this.authTagOptions);
    cipher.setAAD(buf.subarray(headerStart, headerEnd));
    const ct = cipher.update(buf.subarray(headerEnd, payloadEnd));
    cipher.final();
    buf.set(ct, headerEnd);
    buf.set(cipher.getAuthTag(), payloadEnd);
    this.sealedPackets++;
    return end;
  }

  open(buf: Uint8Array, headerStart: number, headerEnd: number, packetEnd: number, packetNumber: number): Uint8Array | null {
    const tagStart = packetEnd - this.tagLength;
    if (headerStart < 0 || headerStart > headerEnd || tagStart < headerEnd || packetEnd > buf.length) {
      this.failedOpens++;
      return null;
    }
    const decipher = createDecipheriv(this.aead, this.key, this.nonceFor(packetNumber), this.authTagOptions);
    decipher.setAAD(buf.subarray(headerStart, headerEnd));
    decipher.setAuthTag(buf.subarray(tagStart, packetEnd));
    const pt = decipher.update(buf.subarray(headerEnd, tagStart));
    try {
      decipher.final();
    } catch {
      // Authentication failure: RFC 9001 §5.5 says discard the packet; node:crypto only reports it by throwing.
      this.failedOpens++;
      return null;
    }
    return pt;
  }

  headerProtectionMask(sample: Uint8Array): Uint8Array {
    if (sample.length !== HEADER_PROTECTION_SAMPLE_LENGTH) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'header protection sample must be 16 bytes');
    }
    const hpCipher = this.suite.headerProtection;
    if (hpCipher !== 'chacha20') {
      // RFC 9001 §5.4.3: mask = AES-ECB(hp, sample).
      if (this.ecb === undefined) {
        this.ecb = createCipheriv(hpCipher, this.hp, null);
        this.ecb.setAutoPadding(false);
      }
      return this.ecb.update(sample);
    }
    // RFC 9001 §5.4.4: counter = sample[0..3] (little-endian), nonce = sample[4..15]; node's 16-byte
    // chacha20 IV is exactly counter || nonce. mask = ChaCha20(hp, counter, nonce, {0,0,0,0,0}).
    return createCipheriv('chacha20', this.hp, sample).update(ZERO_MASK_INPUT);
  }
}

/** A protector for one direction of one encryption level. */
export function createPacketProtector(keys: PacketProtectionKeys): PacketProtector {
  return new AeadPacketProtector(keys);
}

const NO_MASK = new Uint8Array(HEADER_PROTECTION_MASK_LENGTH);

/**
 * 1-RTT packets without packet protection (draft-banks-quic-disable-encryption, as msquic sends them):
 * the payload goes as it is, no AEAD tag follows it, and the header is not protected either. The
 * handshake itself stays protected, so the peer is still authenticated; what is lost is confidentiality
 * and integrity of 1-RTT packets, which is why both endpoints must opt in and it is meant for paths both
 * trust completely.
 */
class PlaintextPacketProtector implements PacketProtector {
  readonly suite: CipherSuite;
  readonly plaintext = true;
  readonly tagLength = 0;
  readonly sealedPackets = 0;
  readonly failedOpens = 0;

  constructor(suite: CipherSuite) {
    this.suite = suite;
  }

  seal(buf: Uint8Array, headerStart: number, headerEnd: number, payloadEnd: number): number {
    if (headerStart < 0 || headerStart > headerEnd || headerEnd > payloadEnd || payloadEnd > buf.length) {
      throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'packet bounds outside the buffer');
    }
    return payloadEnd;
  }

  open(buf: Uint8Array, headerStart: number, headerEnd: number, packetEnd: number): Uint8Array | null {
    if (headerStart < 0 || headerStart > headerEnd || headerEnd > packetEnd || packetEnd > buf.length) return null;
    return buf.subarray(headerEnd, packetEnd);
  }

  headerProtectionMask(): Uint8Array {
    return NO_MASK;
  }
}

/** The protector of unprotected 1-RTT packets (see PlaintextPacketProtector). */
export function createPlaintextProtector(suite: CipherSuite): PacketProtector {
  return new PlaintextPacketProtector(suite);
}

// ---------------------------------------------------------------------------------------------------
// Header protection on a packet inside a datagram (RFC 9001 §5.4)

function sampleOf(buf: Uint8Array, pnOffset: number, packetEnd: number): Uint8Array {
  const start = pnOffset + SAMPLE_OFFSET_FROM_PN;
  const end = start + HEADER_PROTECTION_SAMPLE_LENGTH;
  // RFC 9001 §5.4.2: a packet too short to sample cannot be unprotected and is discarded.
  if (end > packetEnd) throw new InvalidPacketError('packet too short for a header protection sample');
  return buf.subarray(start, end);
}

/**
 * Applies header protection (RFC 9001 §5.4.1) to the packet starting at `packetStart` whose packet number
 * field is at `pnOffset` with `pnLength` bytes. The payload must already be sealed.
 */
export function applyHeaderProtection(
  protector: PacketProtector,
  buf: Uint8Array,
  packetStart: number,
  pnOffset: number,
  pnLength: PacketNumberLength,
  packetEnd: number,
): void {
  if (protector.plaintext === true) return;
  const mask = protector.headerProtectionMask(sampleOf(buf, pnOffset, packetEnd));
  const first = buf[packetStart]!;
  buf[packetStart] = first ^ (mask[0]! & (isLongHeader(first) ? LONG_HEADER_PROTECTED_BITS : SHORT_HEADER_PROTECTED_BITS));
  for (let i = 0; i < pnLength; i++) buf[pnOffset + i]! ^= mask[1 + i]!;
}

/** What header protection removal reveals (RFC 9001 §5.4.1). */
export interface UnprotectedHeader {
  firstByte: number;
  packetNumberLength: PacketNumberLength;
  truncatedPacketNumber: number;
  /** Offset one past the packet number: the end of the AAD. */
  headerEnd: number;
}

/**
 * Removes header protection in place: `buf` then holds the unprotected header, ready to be the AAD.
 * Throws InvalidPacketError when the packet is too short to sample (RFC 9001 §5.4.2).
 */
export function removeHeaderProtection(
  protector: PacketProtector,
  buf: Uint8Array,
  packetStart: number,
  pnOffset: number,
  packetEnd: number,
): UnprotectedHeader {
  if (protector.plaintext === true) {
    const firstByte = buf[packetStart]!;
    const pnLength = packetNumberLengthOf(firstByte);
    if (pnOffset + pnLength > packetEnd) throw new InvalidPacketError('packet too short for its packet number');
    return { firstByte, packetNumberLength: pnLength, truncatedPacketNumber: readTruncatedPacketNumber(buf, pnOffset, pnLength), headerEnd: pnOffset + pnLength };
  }
  const mask = protector.headerProtectionMask(sampleOf(buf, pnOffset, packetEnd));
  const protectedFirst = buf[packetStart]!;
  const firstByte = protectedFirst ^ (mask[0]! & (isLongHeader(protectedFirst) ? LONG_HEADER_PROTECTED_BITS : SHORT_HEADER_PROTECTED_BITS));
  const pnLength = packetNumberLengthOf(firstByte);
  buf[packetStart] = firstByte;
  for (let i = 0; i < pnLength; i++) buf[pnOffset + i]! ^= mask[1 + i]!;
  return {
    firstByte,
    packetNumberLength: pnLength,
    truncatedPacketNumber: readTruncatedPacketNumber(buf, pnOffset, pnLength),
    headerEnd: pnOffset + pnLength,
  };
}

// ---------------------------------------------------------------------------------------------------
// Whole-packet helpers used by the packet builder and the receive path

/**
 * Seals a packet whose header (with the packet number written at `pnOffset`) and plaintext payload are in
 * `buf[packetStart, payloadEnd)`, then applies header protection. Returns the end of the protected packet.
 * RFC 9001 §5.4.2: the sender pads so that packet number + payload is at least 4 bytes, keeping the
 * sample inside the packet; a shorter payload is a local bug (INTERNAL_ERROR).
 */
export function protectPacket(
  protector: PacketProtector,
  buf: Uint8Array,
  packetStart: number,
  pnOffset: number,
  pnLength: PacketNumberLength,
  payloadEnd: number,
  packetNumber: number,
): number {
  const headerEnd = pnOffset + pnLength;
  if (protector.plaintext !== true && payloadEnd - pnOffset < SAMPLE_OFFSET_FROM_PN + HEADER_PROTECTION_SAMPLE_LENGTH - protector.tagLength) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'payload too short for a header protection sample; pad it');
  }
  writePacketNumber(buf, pnOffset, packetNumber, pnLength);
  const packetEnd = protector.seal(buf, packetStart, headerEnd, payloadEnd, packetNumber);
  applyHeaderProtection(protector, buf, packetStart, pnOffset, pnLength, packetEnd);
  return packetEnd;
}

/** A decrypted packet. */
export interface OpenedPacket {
  packetNumber: number;
  firstByte: number;
  /** The decrypted frames. */
  payload: Uint8Array;
  /** Short headers only (RFC 9000 §17.3.1). */
  keyPhase?: 0 | 1;
}

/**
 * Removes header protection, recovers the full packet number against `largestPn` (the largest packet
 * number processed in this space, -1 if none; RFC 9000 Appendix A.3) and opens the payload.
 * Returns null when the AEAD rejects the packet: the header bytes are then restored, so the datagram is
 * unchanged (other keys or a stateless reset check can still look at it). A packet that authenticates with
 * non-zero reserved bits is a PROTOCOL_VIOLATION (RFC 9000 §17.2, §17.3.1).
 */
export function unprotectPacket(
  protector: PacketProtector,
  buf: Uint8Array,
  packetStart: number,
  pnOffset: number,
  packetEnd: number,
  largestPn: number,
): OpenedPacket | null {
  const savedFirst = buf[packetStart]!;
  const h = removeHeaderProtection(protector, buf, packetStart, pnOffset, packetEnd);
  const packetNumber = decodePacketNumber(largestPn, h.truncatedPacketNumber, (h.packetNumberLength * 8) as 8 | 16 | 24 | 32);
  const payload = protector.open(buf, packetStart, h.headerEnd, packetEnd, packetNumber);
  if (payload === null) {
    // Put header protection back so the datagram is as received.
    buf[packetStart] = savedFirst;
    applyPacketNumberMask(protector, buf, pnOffset, h.packetNumberLength, packetEnd);
    return null;
  }
  checkReservedBits(h.firstByte);
  const opened: OpenedPacket = { packetNumber, firstByte: h.firstByte, payload };
  if (!isLongHeader(h.firstByte)) opened.keyPhase = keyPhaseOf(h.firstByte);
  return opened;
}

function applyPacketNumberMask(protector: PacketProtector, buf: Uint8Array, pnOffset: number, pnLength: number, packetEnd: number): void {
  if (protector.plaintext === true) return;
  const mask = protector.headerProtectionMask(sampleOf(buf, pnOffset, packetEnd));
  for (let i = 0; i < pnLength; i++) buf[pnOffset + i]! ^= mask[1 + i]!;
}

/** The encryption level whose keys protect a packet type (RFC 9001 §4, §5). */
export type EncryptionLevel = 'initial' | 'early_data' | 'handshake' | 'application';

export function encryptionLevelOf(packetType: FramePacketType): EncryptionLevel {
  switch (packetType) {
    case 'initial':
      return 'initial';
    case '0rtt':
      return 'early_data';
    case 'handshake':
      return 'handshake';
    case '1rtt':
      return 'application';
  }
}
