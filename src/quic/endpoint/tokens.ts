// Address-validation tokens (RFC 9000 §8.1): what the server puts in a Retry packet (§8.1.2, §17.2.5) or
// a NEW_TOKEN frame (§8.1.3, §19.7) and gets back in the Token field of a later Initial (§17.2.2).
//
// Layout: kind (1 byte, in the clear so an invalid Retry token can be told from an old NEW_TOKEN token,
// §8.1.3) || nonce (12) || AES-256-GCM(plaintext) || tag (16). The client address is not stored in the
// token: it is bound as additional authenticated data, so a token presented from another address simply
// fails to open (§8.1.4: "a token ... MUST be tied to the client address"). A Retry token is bound to IP
// and port (the client answers a Retry at once, from the same socket); a NEW_TOKEN token only to the IP,
// since a later connection comes from a new port (§8.1.3).
//
// Plaintext: expiry (ms, 6 bytes) and, for Retry tokens, the client's original Destination Connection ID
// and the Retry's Source Connection ID (§7.3: the server echoes both in transport parameters, and the
// client's next Initial must be addressed to the latter).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MAX_CONNECTION_ID_LENGTH } from '../wire/header.js';
import { QuicEndpointError } from './errors.js';

const TOKEN_KEY_LENGTH = 32; // AES-256-GCM
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const EXPIRY_LENGTH = 6; // milliseconds since the epoch fit in 48 bits until the year 10889
const KIND_RETRY = 0x52; // 'R'
const KIND_NEW_TOKEN = 0x4e; // 'N'
/** Longest token we try to open: bounds the work an Initial with a huge Token field can cause. */
export const MAX_ADDRESS_TOKEN_LENGTH = 1 + NONCE_LENGTH + EXPIRY_LENGTH + 2 * (1 + MAX_CONNECTION_ID_LENGTH) + TAG_LENGTH;

export interface AddressTokenOptions {
  /** 32-byte secret; share it across servers behind one address so any of them accepts the tokens. Default random. */
  key?: Uint8Array;
  /** Lifetime of Retry tokens (ms). RFC 9000 §8.1.4: they should be short-lived. */
  retryTokenLifetimeMs?: number;
  /** Lifetime of NEW_TOKEN tokens (ms). */
  newTokenLifetimeMs?: number;
  random?: (n: number) => Uint8Array;
}

export const ADDRESS_TOKEN_DEFAULTS = Object.freeze({
  retryTokenLifetimeMs: 10_000,
  newTokenLifetimeMs: 24 * 60 * 60 * 1000,
});

/** What opening a token tells the server (RFC 9000 §8.1.2-8.1.3). */
export type AddressTokenCheck =
  | { kind: 'retry'; valid: true; originalDcid: Uint8Array; retrySourceCid: Uint8Array }
  /** A token of Retry kind that is forged, expired or from another address: close with INVALID_TOKEN (§8.1.2). */
  | { kind: 'retry'; valid: false; reason: string }
  | { kind: 'new-token'; valid: true }
  /** NEW_TOKEN tokens and tokens of unknown origin that fail are ignored (§8.1.3). */
  | { kind: 'new-token' | 'unknown'; valid: false; reason: string };

export class AddressTokenCodec {
  private readonly key: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  readonly retryTokenLifetimeMs: number;
  readonly newTokenLifetimeMs: number;

  constructor(options: AddressTokenOptions = {}) {
    this.random = options.random ?? ((n) => randomBytes(n));
    this.key = options.key ?? this.random(TOKEN_KEY_LENGTH);
    if (this.key.length !== TOKEN_KEY_LENGTH) {
      throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', `address token key must be ${TOKEN_KEY_LENGTH} bytes, got ${this.key.length}`);
    }
    this.retryTokenLifetimeMs = positive('retryTokenLifetimeMs', options.retryTokenLifetimeMs ?? ADDRESS_TOKEN_DEFAULTS.retryTokenLifetimeMs);
    this.newTokenLifetimeMs = positive('newTokenLifetimeMs', options.newTokenLifetimeMs ?? ADDRESS_TOKEN_DEFAULTS.newTokenLifetimeMs);
  }

  /** A Retry token for `remote` ("ip:port"); `originalDcid` is the client's first DCID, `retrySourceCid` our Retry SCID. */
  sealRetryToken(remote: string, originalDcid: Uint8Array, retrySourceCid: Uint8Array, now: number): Uint8Array {
    if (originalDcid.length > MAX_CONNECTION_ID_LENGTH || retrySourceCid.length > MAX_CONNECTION_ID_LENGTH) {
      throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', 'connection ID longer than 20 bytes');
    }
    const plain = new Uint8Array(EXPIRY_LENGTH + 2 + originalDcid.length + retrySourceCid.length);
    writeExpiry(plain, now + this.retryTokenLifetimeMs);
    let at = EXPIRY_LENGTH;
    plain[at++] = originalDcid.length;
    plain.set(originalDcid, at);
    at += originalDcid.length;
    plain[at++] = retrySourceCid.length;
    plain.set(retrySourceCid, at);
    return this.seal(KIND_RETRY, remote, plain);
  }

  /** A NEW_TOKEN token for a client at `remote` ("ip:port"; only the IP is bound). */
  sealNewToken(remote: string, now: number): Uint8Array {
    const plain = new Uint8Array(EXPIRY_LENGTH);
    writeExpiry(plain, now + this.newTokenLifetimeMs);
    return this.seal(KIND_NEW_TOKEN, hostOf(remote), plain);
  }

  /** Checks the Token field of an Initial that arrived from `remote`. Never throws for any input. */
  open(token: Uint8Array, remote: string, now: number): AddressTokenCheck {
    const kind = token[0];
    if (kind !== KIND_RETRY && kind !== KIND_NEW_TOKEN) return { kind: 'unknown', valid: false, reason: 'not one of our tokens' };
    const k = kind === KIND_RETRY ? 'retry' : 'new-token';
    if (token.length > MAX_ADDRESS_TOKEN_LENGTH || token.length < 1 + NONCE_LENGTH + EXPIRY_LENGTH + TAG_LENGTH) {
      return { kind: k, valid: false, reason: `token of ${token.length} bytes has the wrong size` };
    }
    const plain = this.unseal(token, kind === KIND_RETRY ? remote : hostOf(remote));
    if (plain === undefined) return { kind: k, valid: false, reason: 'token does not authenticate for this client address' };
    if (readExpiry(plain) < now) return { kind: k, valid: false, reason: 'token expired' };
    if (kind === KIND_NEW_TOKEN) return plain.length === EXPIRY_LENGTH ? { kind: 'new-token', valid: true } : { kind: 'new-token', valid: false, reason: 'malformed token' };
    // Authenticated, so the layout is ours; still checked so a key shared with a buggy peer cannot crash us.
    let at = EXPIRY_LENGTH;
    const odcidLength = plain[at++] ?? 0xff;
    const odcid = plain.subarray(at, at + odcidLength);
    at += odcidLength;
    const rscidLength = plain[at++] ?? 0xff;
    const rscid = plain.subarray(at, at + rscidLength);
    at += rscidLength;
    if (at !== plain.length || odcid.length !== odcidLength || rscid.length !== rscidLength) {
      return { kind: 'retry', valid: false, reason: 'malformed token' };
    }
    return { kind: 'retry', valid: true, originalDcid: odcid, retrySourceCid: rscid };
  }

  private seal(kind: number, boundAddress: string, plain: Uint8Array): Uint8Array {
    const nonce = this.random(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(aad(kind, boundAddress));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const out = new Uint8Array(1 + NONCE_LENGTH + body.length + TAG_LENGTH);
    out[0] = kind;
    out.set(nonce, 1);
    out.set(body, 1 + NONCE_LENGTH);
    out.set(cipher.getAuthTag(), 1 + NONCE_LENGTH + body.length);
    return out;
  }

  private unseal(token: Uint8Array, boundAddress: string): Uint8Array | undefined {
    const nonce = token.subarray(1, 1 + NONCE_LENGTH);
    const body = token.subarray(1 + NONCE_LENGTH, token.length - TAG_LENGTH);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(aad(token[0]!, boundAddress));
    decipher.setAuthTag(token.subarray(token.length - TAG_LENGTH));
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}

function aad(kind: number, boundAddress: string): Buffer {
  return Buffer.concat([Uint8Array.of(kind), Buffer.from(boundAddress, 'utf8')]);
}

/** "1.2.3.4:5" -> "1.2.3.4"; "[::1]:5" -> "::1". */
export function hostOf(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end < 0 ? address : address.slice(1, end);
  }
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon);
}

function writeExpiry(out: Uint8Array, expiresAt: number): void {
  Buffer.from(out.buffer, out.byteOffset, out.byteLength).writeUIntBE(Math.max(0, Math.floor(expiresAt)), 0, EXPIRY_LENGTH);
}

function readExpiry(plain: Uint8Array): number {
  return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).readUIntBE(0, EXPIRY_LENGTH);
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new QuicEndpointError('ERR_QUIC_ENDPOINT_OPTIONS', `${name} must be a positive number of milliseconds`);
  return v;
}
