// Retry packet integrity (RFC 9001 §5.8): an AES-128-GCM tag over the Retry pseudo-packet with a fixed,
// published key and nonce. It proves the Retry came from an entity that saw the client's Initial (the
// ODCID is in the pseudo-packet), not secrecy.
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { buildRetryWithoutTag, MAX_CONNECTION_ID_LENGTH, QUIC_VERSION_1, RETRY_INTEGRITY_TAG_LENGTH, type ParsedRetryPacket } from '../wire/header.js';

/** RFC 9001 §5.8: the QUIC v1 Retry integrity key. */
export const RETRY_INTEGRITY_KEY_V1 = Buffer.from('be0c690b9f66575a1d766b54e368c84e', 'hex');
/** RFC 9001 §5.8: the QUIC v1 Retry integrity nonce. */
export const RETRY_INTEGRITY_NONCE_V1 = Buffer.from('461599d35d632bf2239825bb', 'hex');

/** RFC 9001 §5.8: ODCID Length || ODCID || the Retry packet without its tag. */
function pseudoPacket(odcid: Uint8Array, retryWithoutTag: Uint8Array): Buffer {
  if (odcid.length > MAX_CONNECTION_ID_LENGTH) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'original DCID longer than 20 bytes');
  const p = Buffer.allocUnsafe(1 + odcid.length + retryWithoutTag.length);
  p[0] = odcid.length;
  p.set(odcid, 1);
  p.set(retryWithoutTag, 1 + odcid.length);
  return p;
}

function checkVersion(version: number): void {
  if (version !== QUIC_VERSION_1) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `no Retry integrity key for version 0x${version.toString(16)}`);
}

/** The 16-byte Retry Integrity Tag for a Retry packet (without tag) answering a client Initial to `odcid`. */
export function computeRetryIntegrityTag(odcid: Uint8Array, retryWithoutTag: Uint8Array, version: number = QUIC_VERSION_1): Buffer {
  checkVersion(version);
  const cipher = createCipheriv('aes-128-gcm', RETRY_INTEGRITY_KEY_V1, RETRY_INTEGRITY_NONCE_V1);
  cipher.setAAD(pseudoPacket(odcid, retryWithoutTag));
  cipher.final();
  return cipher.getAuthTag();
}

/**
 * Verifies the tag at the end of a whole Retry packet. RFC 9001 §5.8 / RFC 9000 §17.2.5.2: a client MUST
 * discard a Retry whose tag does not verify. Malformed input (shorter than a tag) is simply "false".
 */
export function verifyRetryIntegrity(odcid: Uint8Array, retryPacket: Uint8Array, version: number = QUIC_VERSION_1): boolean {
  if (retryPacket.length < RETRY_INTEGRITY_TAG_LENGTH || odcid.length > MAX_CONNECTION_ID_LENGTH) return false;
  checkVersion(version);
  const tagAt = retryPacket.length - RETRY_INTEGRITY_TAG_LENGTH;
  // Decrypting the empty ciphertext checks the tag in constant time inside OpenSSL.
  const decipher = createDecipheriv('aes-128-gcm', RETRY_INTEGRITY_KEY_V1, RETRY_INTEGRITY_NONCE_V1);
  decipher.setAAD(pseudoPacket(odcid, retryPacket.subarray(0, tagAt)));
  decipher.setAuthTag(retryPacket.subarray(tagAt));
  try {
    decipher.final();
    return true;
  } catch {
    return false;
  }
}

/** Verifies a parsed Retry (the view from wire/header.ts parsePacket) against the client's original DCID. */
export function verifyParsedRetry(odcid: Uint8Array, datagram: Uint8Array, retry: ParsedRetryPacket): boolean {
  return verifyRetryIntegrity(odcid, datagram.subarray(retry.packetStart, retry.packetEnd), retry.version);
}

export interface RetryPacketFields {
  /** The client's Source Connection ID. */
  dcid: Uint8Array;
  /** The new connection ID the server chose (RFC 9000 §7.3: the client echoes it as retry_source_connection_id). */
  scid: Uint8Array;
  token: Uint8Array;
  /** The 4 unused low bits of the first byte (RFC 9000 §17.2.5). */
  unusedBits?: number;
  version?: number;
}

/** A complete Retry packet with its integrity tag (RFC 9000 §17.2.5, RFC 9001 §5.8). */
export function buildRetryPacket(odcid: Uint8Array, f: RetryPacketFields): Buffer {
  const version = f.version ?? QUIC_VERSION_1;
  const body = buildRetryWithoutTag(version, f.dcid, f.scid, f.token, f.unusedBits ?? 0);
  const tag = computeRetryIntegrityTag(odcid, body, version);
  return Buffer.concat([body, tag]);
}

/** Constant-time equality for tags and tokens of the same length. */
export function tagsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
