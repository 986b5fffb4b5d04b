// Packet protection keys (RFC 9001 §5.1), key update (RFC 9001 §6) and the cipher suites QUIC v1 uses
// with TLS 1.3 (RFC 9001 §5.3), with their AEAD usage limits (RFC 9001 §6.6).
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { hkdfExpandLabel, hashLength, type HashName } from './hkdf.js';

export type CipherSuiteName = 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';

/** A TLS 1.3 cipher suite as QUIC packet protection uses it. */
export interface CipherSuite {
  name: CipherSuiteName;
  /** TLS CipherSuite code point (RFC 8446 §B.4). */
  id: number;
  hash: HashName;
  /** node:crypto AEAD name. */
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  /** node:crypto header protection cipher (RFC 9001 §5.4.3 AES-ECB, §5.4.4 ChaCha20). */
  headerProtection: 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';
  keyLength: number;
  /** RFC 9001 §5.3: the AEAD nonce is 12 bytes for every QUIC v1 suite. */
  ivLength: number;
  hpKeyLength: number;
  /** RFC 9001 §5.3: all these AEADs have a 16-byte tag. */
  tagLength: number;
  /** RFC 9001 §6.6: packets an endpoint may protect with one key before it must update it. */
  confidentialityLimit: number;
  /** RFC 9001 §6.6: packets failing authentication with one key before the connection must close (AEAD_LIMIT_REACHED). */
  integrityLimit: number;
}

/** RFC 9001 §6.6: AEAD_AES_128_GCM and AEAD_AES_256_GCM confidentiality limit, 2^23 packets. */
export const AES_GCM_CONFIDENTIALITY_LIMIT = 2 ** 23;
/** RFC 9001 §6.6: AEAD_AES_128_GCM and AEAD_AES_256_GCM integrity limit, 2^52 packets. */
export const AES_GCM_INTEGRITY_LIMIT = 2 ** 52;
/**
 * RFC 9001 §6.6: "For AEAD_CHACHA20_POLY1305, the confidentiality limit is greater than the number of
 * possible packets (2^62) and so can be disregarded."
 */
export const CHACHA20_POLY1305_CONFIDENTIALITY_LIMIT = Number.POSITIVE_INFINITY;
/** RFC 9001 §6.6: AEAD_CHACHA20_POLY1305 integrity limit, 2^36 packets. */
export const CHACHA20_POLY1305_INTEGRITY_LIMIT = 2 ** 36;

const AEAD_TAG_LENGTH = 16;
const AEAD_NONCE_LENGTH = 12;

export const CIPHER_SUITES: Readonly<Record<CipherSuiteName, CipherSuite>> = Object.freeze({
  TLS_AES_128_GCM_SHA256: {
    name: 'TLS_AES_128_GCM_SHA256',
    id: 0x1301,
    hash: 'sha256',
    aead: 'aes-128-gcm',
    headerProtection: 'aes-128-ecb',
    keyLength: 16,
    ivLength: AEAD_NONCE_LENGTH,
    hpKeyLength: 16,
    tagLength: AEAD_TAG_LENGTH,
    confidentialityLimit: AES_GCM_CONFIDENTIALITY_LIMIT,
    integrityLimit: AES_GCM_INTEGRITY_LIMIT,
  },
  TLS_AES_256_GCM_SHA384: {
    name: 'TLS_AES_256_GCM_SHA384',
    id: 0x1302,
    hash: 'sha384',
    aead: 'aes-256-gcm',
    headerProtection: 'aes-256-ecb',
    keyLength: 32,
    ivLength: AEAD_NONCE_LENGTH,
    hpKeyLength: 32,
    tagLength: AEAD_TAG_LENGTH,
    confidentialityLimit: AES_GCM_CONFIDENTIALITY_LIMIT,
    integrityLimit: AES_GCM_INTEGRITY_LIMIT,
  },
  TLS_CHACHA20_POLY1305_SHA256: {
    name: 'TLS_CHACHA20_POLY1305_SHA256',
    id: 0x1303,
    hash: 'sha256',
    aead: 'chacha20-poly1305',
    headerProtection: 'chacha20',
    keyLength: 32,
    ivLength: AEAD_NONCE_LENGTH,
    hpKeyLength: 32,
    tagLength: AEAD_TAG_LENGTH,
    confidentialityLimit: CHACHA20_POLY1305_CONFIDENTIALITY_LIMIT,
    integrityLimit: CHACHA20_POLY1305_INTEGRITY_LIMIT,
  },
});

/** The suite with TLS code point `id`, or undefined (e.g. TLS_AES_128_CCM_SHA256, which QUIC here does not offer). */
export function cipherSuiteById(id: number): CipherSuite | undefined {
  return Object.values(CIPHER_SUITES).find((s) => s.id === id);
}

/** The keys one direction of one encryption level uses (RFC 9001 §5.1). */
export interface PacketProtectionKeys {
  suite: CipherSuite;
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
}

const EMPTY = new Uint8Array(0);

/** RFC 9001 §5.1: key, iv and hp from a traffic secret with the "quic key", "quic iv", "quic hp" labels. */
export function derivePacketProtectionKeys(suite: CipherSuite, secret: Uint8Array): PacketProtectionKeys {
  checkSecret(suite, secret);
  return {
    suite,
    // Kept as long as the keys are in use: copied out of the HKDF output (see unpooledCopy).
    key: unpooledCopy(hkdfExpandLabel(suite.hash, secret, 'quic key', EMPTY, suite.keyLength)),
    iv: unpooledCopy(hkdfExpandLabel(suite.hash, secret, 'quic iv', EMPTY, suite.ivLength)),
    hp: unpooledCopy(hkdfExpandLabel(suite.hash, secret, 'quic hp', EMPTY, suite.hpKeyLength)),
  };
}

/**
 * RFC 9001 §6.1: the next generation's traffic secret, HKDF-Expand-Label(secret, "quic ku", "", Hash.length).
 * The header protection key is not updated (§6): keep the first generation's hp.
 */
export function nextTrafficSecret(suite: CipherSuite, secret: Uint8Array): Buffer {
  checkSecret(suite, secret);
  // Kept until the next key update (see unpooledCopy).
  return unpooledCopy(hkdfExpandLabel(suite.hash, secret, 'quic ku', EMPTY, hashLength(suite.hash)));
}

/**
 * A copy in its own ArrayBuffer. HKDF output comes from Buffer.allocUnsafe, a view into Node's shared
 * 8 KiB pool; keys and secrets are kept for the connection's lifetime, and one kept view pins the whole
 * pool block. Buffer.alloc never uses the pool.
 */
export function unpooledCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.alloc(bytes.length);
  copy.set(bytes);
  return copy;
}

/** RFC 9001 §6.1: keys of the next key phase; `hp` carries over unchanged. */
export function updatePacketProtectionKeys(current: PacketProtectionKeys, currentSecret: Uint8Array): { secret: Buffer; keys: PacketProtectionKeys } {
  const secret = nextTrafficSecret(current.suite, currentSecret);
  const next = derivePacketProtectionKeys(current.suite, secret);
  return { secret, keys: { ...next, hp: current.hp } };
}

function checkSecret(suite: CipherSuite, secret: Uint8Array): void {
  if (secret.length !== hashLength(suite.hash)) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `${suite.name} traffic secret must be ${hashLength(suite.hash)} bytes, got ${secret.length}`);
  }
}
