// The TLS 1.3 cipher suites we implement (RFC 8446 §B.4) and what each implies for the key schedule
// (hash) and for whoever derives packet/record keys from the traffic secrets (AEAD, key length).
import type { HashName } from '../crypto/hkdf.js';
import { CipherSuite, type CipherSuiteName } from './constants.js';

export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface CipherSuiteInfo {
  id: number;
  name: CipherSuiteName;
  hash: HashName;
  aead: AeadName;
  keyLength: number;
  /** RFC 8446 §5.3: the per-record nonce is max(8, N_MIN) = 12 bytes for all three AEADs. */
  ivLength: 12;
}

export const CIPHER_SUITES: Readonly<Record<CipherSuiteName, CipherSuiteInfo>> = {
  TLS_AES_128_GCM_SHA256: { id: CipherSuite.TLS_AES_128_GCM_SHA256, name: 'TLS_AES_128_GCM_SHA256', hash: 'sha256', aead: 'aes-128-gcm', keyLength: 16, ivLength: 12 },
  TLS_AES_256_GCM_SHA384: { id: CipherSuite.TLS_AES_256_GCM_SHA384, name: 'TLS_AES_256_GCM_SHA384', hash: 'sha384', aead: 'aes-256-gcm', keyLength: 32, ivLength: 12 },
  TLS_CHACHA20_POLY1305_SHA256: { id: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'sha256', aead: 'chacha20-poly1305', keyLength: 32, ivLength: 12 },
};

/** Default preference: AES-128-GCM first (fastest with AES-NI, mandatory per RFC 8446 §9.1). */
export const DEFAULT_CIPHER_SUITES: readonly CipherSuiteName[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];

const byId = new Map<number, CipherSuiteInfo>(Object.values(CIPHER_SUITES).map((s) => [s.id, s]));

export function cipherSuiteById(id: number): CipherSuiteInfo | undefined {
  return byId.get(id);
}
