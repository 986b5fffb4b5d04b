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

const ZERO_SALT: Readonly<Record<HashName, Buffer>> = { sha256: Buffer.alloc(32), sha384: Buffer.alloc(48) };
const BLOCK_1 = Uint8Array.of(1);

/** RFC 5869 §2.2. An empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Buffer {
  const s = salt.length === 0 ? ZERO_SALT[hash] : salt;
  return hmac(hash, s, ikm);
}

/**
 * RFC 5869 §2.3. Every QUIC and TLS 1.3 derivation asks for at most HashLen bytes, which is the first
 * block alone, T(1) = HMAC-Hash(PRK, info | 0x01): one HMAC, and the digest is returned (or a view of
 * its first `length` bytes) rather than copied. The digest has its own memory, not Node's shared pool.
 */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const hl = hashLength(hash);
  if (length > 255 * hl) throw new RangeError('HKDF-Expand: length too large');
  if (length > 0 && length <= hl) {
    const block = createHmac(hash, prk).update(info).update(BLOCK_1).digest();
    return length === hl ? block : block.subarray(0, length);
  }
  const out = Buffer.allocUnsafe(length);
  let prev: Buffer = Buffer.alloc(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    prev = createHmac(hash, prk).update(prev).update(info).update(Uint8Array.of(i)).digest();
    filled += prev.copy(out, filled);
  }
  return out;
}

const LABEL_PREFIX = 'tls13 ';

/**
 * The labels every connection derives with (RFC 8446 §7.1, §4.4.4, §4.6.1; RFC 9001 §5.1, §5.2, §6.1),
 * encoded once with their "tls13 " prefix. Other labels (exporter labels come from the application) are
 * encoded per call.
 */
const LABEL_BYTES: ReadonlyMap<string, Buffer> = new Map(
  [
    'derived', 'ext binder', 'res binder', 'c e traffic', 'e exp master', 'c hs traffic', 's hs traffic',
    'c ap traffic', 's ap traffic', 'exp master', 'res master', 'finished', 'resumption', 'traffic upd',
    'exporter', 'key', 'iv', 'client in', 'server in', 'quic key', 'quic iv', 'quic hp', 'quic ku',
  ].map((label) => [label, Buffer.from(LABEL_PREFIX + label, 'ascii')]),
);

/** RFC 8446 §7.1: opaque label<7..255> (with the prefix), opaque context<0..255>. */
const MAX_LABEL_LENGTH = 255;
const MAX_CONTEXT_LENGTH = 255;

/** The HkdfLabel structure of RFC 8446 §7.1 ("tls13 " prefix). */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Buffer {
  const full = LABEL_BYTES.get(label) ?? Buffer.from(LABEL_PREFIX + label, 'ascii');
  if (full.length > MAX_LABEL_LENGTH) throw new RangeError(`HkdfLabel: label of ${full.length} bytes (at most ${MAX_LABEL_LENGTH})`);
  if (context.length > MAX_CONTEXT_LENGTH) throw new RangeError(`HkdfLabel: context of ${context.length} bytes (at most ${MAX_CONTEXT_LENGTH})`);
  // Transient (hashed at once), so a pooled allocation is fine here.
  const b = Buffer.allocUnsafe(2 + 1 + full.length + 1 + context.length);
  b.writeUInt16BE(length, 0);
  b[2] = full.length;
  full.copy(b, 3);
  b[3 + full.length] = context.length;
  b.set(context, 4 + full.length);
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
