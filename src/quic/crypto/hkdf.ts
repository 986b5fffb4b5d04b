// HKDF (RFC 5869) and TLS 1.3's HKDF-Expand-Label / Derive-Secret (RFC 8446 §7.1), on node:crypto HMAC.
// Shared by the TLS key schedule and QUIC packet protection (RFC 9001 §5.1), so it lives here once.
import { createHash, createHmac } from 'node:crypto';

export type HashName = 'sha256' | 'sha384';

export const hashLength = (hash: HashName): number => (hash === 'sha256' ? 32 : 48);

export function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac(hash, key).update(data).digest();
}

export function digest(hash: HashName, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

/** RFC 5869 §2.2. An empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Buffer {
  const s = salt.length === 0 ? Buffer.alloc(hashLength(hash)) : salt;
  return hmac(hash, s, ikm);
}

/** RFC 5869 §2.3. */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const hl = hashLength(hash);
  if (length > 255 * hl) throw new RangeError('HKDF-Expand: length too large');
  const out = Buffer.allocUnsafe(length);
  let prev: Buffer = Buffer.alloc(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    prev = createHmac(hash, prk).update(prev).update(info).update(Uint8Array.of(i)).digest();
    filled += prev.copy(out, filled);
  }
  return out;
}

/** The HkdfLabel structure of RFC 8446 §7.1 ("tls13 " prefix). */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Buffer {
  const full = Buffer.from('tls13 ' + label, 'ascii');
  const b = Buffer.allocUnsafe(2 + 1 + full.length + 1 + context.length);
  b.writeUInt16BE(length, 0);
  b[2] = full.length;
  full.copy(b, 3);
  b[3 + full.length] = context.length;
  Buffer.from(context.buffer, context.byteOffset, context.byteLength).copy(b, 4 + full.length);
  return b;
}

/** RFC 8446 §7.1 HKDF-Expand-Label. */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  return hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

/** RFC 8446 §7.1 Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}
