// The TLS 1.3 key schedule (RFC 8446 §7.1), Finished keys (§4.4.4), resumption PSKs (§4.6.1),
// traffic key updates (§7.2) and exporters (§7.5). Stateless helpers plus one small stateful class.
import { deriveSecret, digest, hashLength, hkdfExpandLabel, hkdfExtract, hmac, type HashName } from '../crypto/hkdf.js';
import { timingSafeEqual } from 'node:crypto';
import { unpooledCopy } from '../crypto/keys.js';

const emptyHashCache = new Map<HashName, Buffer>();
/** Transcript-Hash of no messages ("" context for Derive-Secret(., "derived", "")). */
export function emptyHash(hash: HashName): Buffer {
  let h = emptyHashCache.get(hash);
  if (!h) emptyHashCache.set(hash, (h = digest(hash, Buffer.alloc(0))));
  return h;
}

/**
 * Without a PSK, the Early Secret is HKDF-Extract(0, 0) and the salt Derive-Secret(ES, "derived", "") of
 * the Handshake Secret follows from it alone (§7.1): public constants per hash, computed once rather than
 * on every full handshake. Never handed out for writing.
 */
const noPskConstants = new Map<HashName, { earlySecret: Buffer; derivedSalt: Buffer }>();
function noPskConstantsOf(hash: HashName): { earlySecret: Buffer; derivedSalt: Buffer } {
  let c = noPskConstants.get(hash);
  if (c === undefined) {
    const zeros = Buffer.alloc(hashLength(hash));
    const earlySecret = hkdfExtract(hash, zeros, zeros);
    c = { earlySecret, derivedSalt: deriveSecret(hash, earlySecret, 'derived', emptyHash(hash)) };
    noPskConstants.set(hash, c);
  }
  return c;
}

/**
 * Walks the §7.1 diagram: Early Secret -> Handshake Secret -> Master Secret. Each stage is derived
 * once; the traffic secrets take the transcript hash at the point the RFC specifies.
 */
export class KeySchedule {
  readonly hash: HashName;
  readonly earlySecret: Buffer;
  private handshakeSecretValue: Buffer | undefined;
  private masterSecretValue: Buffer | undefined;

  private readonly withPsk: boolean;

  /** `psk` absent = full handshake: PSK input is HashLen zero bytes (§7.1). */
  constructor(hash: HashName, psk?: Uint8Array) {
    this.hash = hash;
    this.withPsk = psk !== undefined;
    if (psk === undefined) {
      // A copy (the field is public, the constant is shared), outside Node's shared Buffer pool as the
      // schedule may live as long as the connection (crypto/keys.ts unpooledCopy).
      this.earlySecret = unpooledCopy(noPskConstantsOf(hash).earlySecret);
    } else {
      this.earlySecret = hkdfExtract(hash, Buffer.alloc(hashLength(hash)), psk);
    }
  }

  /** §4.2.11.2 / §7.1: binder_key for resumption PSKs ("res binder"); external PSKs use "ext binder". */
  binderKey(external = false): Buffer {
    return deriveSecret(this.hash, this.earlySecret, external ? 'ext binder' : 'res binder', emptyHash(this.hash));
  }
  /** client_early_traffic_secret = Derive-Secret(ES, "c e traffic", ClientHello). */
  clientEarlyTrafficSecret(chHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.earlySecret, 'c e traffic', chHash);
  }
  earlyExporterMasterSecret(chHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.earlySecret, 'e exp master', chHash);
  }

  /** Mixes in the (EC)DHE shared secret: Handshake Secret = HKDF-Extract(Derive-Secret(ES, "derived", ""), ECDHE). */
  inputSharedSecret(sharedSecret: Uint8Array): Buffer {
    const salt = this.withPsk
      ? deriveSecret(this.hash, this.earlySecret, 'derived', emptyHash(this.hash))
      : noPskConstantsOf(this.hash).derivedSalt;
    this.handshakeSecretValue = hkdfExtract(this.hash, salt, sharedSecret);
    return this.handshakeSecretValue;
  }
  get handshakeSecret(): Buffer {
    if (!this.handshakeSecretValue) throw new Error('key schedule: handshake secret not derived yet');
    return this.handshakeSecretValue;
  }
  clientHandshakeTrafficSecret(chShHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.handshakeSecret, 'c hs traffic', chShHash);
  }
  serverHandshakeTrafficSecret(chShHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.handshakeSecret, 's hs traffic', chShHash);
  }

  /** Master Secret = HKDF-Extract(Derive-Secret(HS, "derived", ""), 0). */
  get masterSecret(): Buffer {
    if (!this.masterSecretValue) {
      const salt = deriveSecret(this.hash, this.handshakeSecret, 'derived', emptyHash(this.hash));
      this.masterSecretValue = hkdfExtract(this.hash, salt, Buffer.alloc(hashLength(this.hash)));
    }
    return this.masterSecretValue;
  }
  clientApplicationTrafficSecret(chSfinHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.masterSecret, 'c ap traffic', chSfinHash);
  }
  serverApplicationTrafficSecret(chSfinHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.masterSecret, 's ap traffic', chSfinHash);
  }
  exporterMasterSecret(chSfinHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.masterSecret, 'exp master', chSfinHash);
  }
  resumptionMasterSecret(chCfinHash: Uint8Array): Buffer {
    return deriveSecret(this.hash, this.masterSecret, 'res master', chCfinHash);
  }
}

/** §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
export function finishedKey(hash: HashName, baseKey: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, baseKey, 'finished', Buffer.alloc(0), hashLength(hash));
}

/** §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). Also the PSK binder (§4.2.11.2). */
export function finishedVerifyData(hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Buffer {
  return hmac(hash, finishedKey(hash, baseKey), transcriptHash);
}

/** Constant-time comparison of MACs (Finished, binders): no timing oracle on the expected value. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function resumptionPsk(hash: HashName, resumptionMasterSecret: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, resumptionMasterSecret, 'resumption', nonce, hashLength(hash));
}

/** §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
export function nextTrafficSecret(hash: HashName, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, secret, 'traffic upd', Buffer.alloc(0), hashLength(hash));
}

/** §7.3: record-layer write key and IV from a traffic secret. (QUIC uses "quic key"/"quic iv", RFC 9001 §5.1.) */
export function trafficKeys(
  hash: HashName,
  secret: Uint8Array,
  keyLength: number,
  ivLength = 12,
  labelPrefix = '',
): { key: Buffer; iv: Buffer } {
  return {
    key: hkdfExpandLabel(hash, secret, `${labelPrefix}key`, Buffer.alloc(0), keyLength),
    iv: hkdfExpandLabel(hash, secret, `${labelPrefix}iv`, Buffer.alloc(0), ivLength),
  };
}

/**
 * §7.5: TLS-Exporter(label, context_value, key_length) =
 *   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
 */
export function exportKeyingMaterial(
  hash: HashName,
  exporterMasterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  const secret = deriveSecret(hash, exporterMasterSecret, label, emptyHash(hash));
  return hkdfExpandLabel(hash, secret, 'exporter', digest(hash, context), length);
}
