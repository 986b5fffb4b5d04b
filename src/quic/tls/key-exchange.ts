// (EC)DHE key shares for x25519 (RFC 7748) and secp256r1 (RFC 8446 §4.2.8.2), on node:crypto.
// Private keys come from the engine's random source so tests can inject RFC vector keys.
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, type ECDH, type KeyObject } from 'node:crypto';
import { alert } from './alerts.js';
import { NamedGroup, type NamedGroupName } from './constants.js';

export interface KeyShare {
  readonly group: number;
  /** The key_exchange bytes we send. */
  readonly publicKey: Buffer;
  /** Shared secret with the peer's key_exchange; invalid peer keys are illegal_parameter. */
  computeSecret(peerPublic: Uint8Array): Buffer;
}

export type RandomSource = (n: number) => Uint8Array;

// DER prefix of PKCS#8 for an X25519 private key (RFC 8410 §7), followed by the 32 raw bytes.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
// Node's JWK import requires an "x" member but derives the public key from "d"; the placeholder is
// never used. JWK import is ~50x faster than PKCS#8 DER parsing in OpenSSL 3 (measured here), which
// matters because every handshake makes a key.
const JWK_X_PLACEHOLDER = Buffer.alloc(32).toString('base64url');

function importX25519PrivateKey(d: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(d).toString('base64url'), x: JWK_X_PLACEHOLDER }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, d]), format: 'der', type: 'pkcs8' });
  }
}

class X25519Share implements KeyShare {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Buffer;
  private readonly privateKey: KeyObject;
  constructor(random: RandomSource) {
    const d = random(32);
    if (d.length !== 32) throw new Error('random source returned the wrong number of bytes');
    this.privateKey = importX25519PrivateKey(d);
    // The public key is recomputed from the private scalar, so the placeholder above cannot leak into it.
    const x = createPublicKey(this.privateKey).export({ format: 'jwk' }).x;
    this.publicKey = Buffer.from(x ?? '', 'base64url');
    if (this.publicKey.length !== 32) throw new Error('x25519: could not derive the public key');
  }
  computeSecret(peerPublic: Uint8Array): Buffer {
    // RFC 8446 §4.2.8.2 / RFC 7748 §6.1: the X25519 public value is exactly 32 bytes.
    if (peerPublic.length !== 32) throw alert('illegal_parameter', `x25519 key_exchange of ${peerPublic.length} bytes`);
    let secret: Buffer;
    try {
      const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublic).toString('base64url') }, format: 'jwk' });
      secret = diffieHellman({ privateKey: this.privateKey, publicKey: peer });
    } catch {
      throw alert('illegal_parameter', 'x25519: invalid peer public key');
    }
    // RFC 8446 §7.4.2: an all-zero X25519 result (small-order peer key) MUST abort. RFC 7748 §6.1 checks
    // this by ORing every byte: no early exit, so the time taken says nothing about the secret's bytes.
    let any = 0;
    for (let i = 0; i < secret.length; i++) any |= secret[i]!;
    if (any === 0) throw alert('illegal_parameter', 'x25519: all-zero shared secret');
    return secret;
  }
}

/** Attempts to find a valid P-256 scalar; the chance that 32 random bytes are not one is about 2^-32. */
const P256_KEYGEN_ATTEMPTS = 8;

class P256Share implements KeyShare {
  readonly group = NamedGroup.secp256r1;
  readonly publicKey: Buffer;
  private readonly ecdh: ECDH;
  constructor(random: RandomSource) {
    this.ecdh = createECDH('prime256v1');
    for (let i = 0; ; i++) {
      try {
        this.ecdh.setPrivateKey(Buffer.from(random(32)));
        break;
      } catch (err) {
        if (i + 1 >= P256_KEYGEN_ATTEMPTS) throw err;
      }
    }
    // §4.2.8.2: UncompressedPointRepresentation (0x04 || X || Y).
    this.publicKey = this.ecdh.getPublicKey(null, 'uncompressed');
  }
  computeSecret(peerPublic: Uint8Array): Buffer {
    if (peerPublic.length !== 65 || peerPublic[0] !== 4) {
      throw alert('illegal_parameter', 'secp256r1: key_exchange is not an uncompressed point');
    }
    try {
      // computeSecret validates that the point is on the curve.
      return this.ecdh.computeSecret(Buffer.from(peerPublic));
    } catch {
      throw alert('illegal_parameter', 'secp256r1: invalid peer public key');
    }
  }
}

export const SUPPORTED_GROUPS: readonly NamedGroupName[] = ['x25519', 'secp256r1'];

export function isSupportedGroup(group: number): boolean {
  return group === NamedGroup.x25519 || group === NamedGroup.secp256r1;
}

export function createKeyShare(group: number, random: RandomSource): KeyShare {
  if (group === NamedGroup.x25519) return new X25519Share(random);
  if (group === NamedGroup.secp256r1) return new P256Share(random);
  throw new Error(`unsupported group ${group}`);
}
