// Server-side session ticket protection (RFC 8446 §4.6.1 leaves the ticket format to the server; this
// follows RFC 5077 §4's recommended construction with AES-256-GCM instead of AES-CBC + HMAC) and the
// 0-RTT anti-replay strike register (RFC 8446 §8.2).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { digest } from '../crypto/hkdf.js';

/** Ticket layout: key id (4) || nonce (12) || AES-256-GCM ciphertext || tag (16). */
export const TICKET_KEY_ID_LENGTH = 4;
export const TICKET_NONCE_LENGTH = 12;
export const TICKET_TAG_LENGTH = 16;
const TICKET_KEY_LENGTH = 32;
const TICKET_OVERHEAD = TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH + TICKET_TAG_LENGTH;

export const TICKET_KEYRING_DEFAULTS = {
  /** A new key every hour. */
  rotateEveryMs: 60 * 60 * 1000,
  /** Keys of the two previous periods still open tickets, so a ticket lives at least two hours. */
  keepPrevious: 2,
} as const;

export interface TicketKeyringOptions {
  /** Period after which a new sealing key is made (default 1 h). */
  rotateEveryMs?: number;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
  /**
   * Randomness for keys, key ids and nonces. Default: crypto.randomBytes for keys and key ids, and
   * nonces cut from a block of TICKET_NONCES_PER_DRAW nonces drawn at once (see NoncePool).
   */
  random?: (n: number) => Buffer;
  /** How many keys of earlier periods still open tickets (default 2). */
  keepPrevious?: number;
}

/** Nonces the default source draws from the CSPRNG in one call (one per ticket sealed). */
export const TICKET_NONCES_PER_DRAW = 256;

/**
 * Per-ticket nonces from one CSPRNG draw of many: a ticket is sealed on every full handshake, and one
 * randomBytes call per nonce cost more than the rest of sealing. Each byte is handed out once, so every
 * nonce is still fresh CSPRNG output (RFC 5116 §3.2: nonces must not repeat under one key). Nonces are
 * public (they travel in the ticket), so the unused rest of the block is no secret to wipe.
 */
class NoncePool {
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  take(n: number): Buffer {
    if (this.offset + n > this.block.length) {
      this.block = randomBytes(Math.max(n, TICKET_NONCES_PER_DRAW * TICKET_NONCE_LENGTH));
      this.offset = 0;
    }
    // A view: seal() copies it into the ticket and the cipher context, and nothing writes to the block.
    const out = this.block.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

interface TicketKey {
  readonly id: Buffer;
  readonly key: Buffer;
  /** Rotation period the key was made for: floor((now - start) / rotateEveryMs). */
  readonly period: number;
}

/**
 * Seals and opens session tickets with a rotating AES-256-GCM key. The key id is authenticated as
 * additional data; the nonce is random per ticket (96 bits; with one key per rotation period the
 * birthday bound is far away). A ticket opens while its key is the current one or one of the
 * `keepPrevious` before it; so every ticket stays openable for at least keepPrevious * rotateEveryMs
 * (`guaranteedLifetimeMs`), which bounds the ticket_lifetime a server should advertise.
 *
 * Rotation is driven by the clock on each call (no timers). A restart loses the keys, which only
 * turns resumptions into full handshakes.
 */
export class TicketKeyring {
  private readonly rotateEveryMs: number;
  private readonly keepPrevious: number;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  /** Where nonces come from: the injected source when given, else a NoncePool. */
  private readonly nonceSource: (n: number) => Buffer;
  private readonly start: number;
  /** Newest first: keys[0] seals. */
  private keys: TicketKey[] = [];

  constructor(opts: TicketKeyringOptions = {}) {
    this.rotateEveryMs = opts.rotateEveryMs ?? TICKET_KEYRING_DEFAULTS.rotateEveryMs;
    this.keepPrevious = opts.keepPrevious ?? TICKET_KEYRING_DEFAULTS.keepPrevious;
    if (!Number.isFinite(this.rotateEveryMs) || this.rotateEveryMs <= 0) {
      throw new RangeError(`rotateEveryMs must be a positive number, got ${this.rotateEveryMs}`);
    }
    if (!Number.isInteger(this.keepPrevious) || this.keepPrevious < 0) {
      throw new RangeError(`keepPrevious must be a non-negative integer, got ${this.keepPrevious}`);
    }
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? randomBytes;
    if (opts.random !== undefined) {
      this.nonceSource = opts.random;
    } else {
      const pool = new NoncePool();
      this.nonceSource = (n) => pool.take(n);
    }
    this.start = this.now();
    this.rotate();
  }

  /** Minimum time a freshly sealed ticket keeps opening. */
  get guaranteedLifetimeMs(): number {
    return this.keepPrevious * this.rotateEveryMs;
  }

  /** Encrypts a ticket's plaintext (the resumption state) under the current key. */
  seal(plain: Uint8Array): Buffer {
    this.rotate();
    const current = this.keys[0]!;
    const nonce = checkedLength(this.nonceSource(TICKET_NONCE_LENGTH), TICKET_NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', current.key, nonce);
    cipher.setAAD(current.id);
    const body = cipher.update(plain);
    const final = cipher.final();
    return Buffer.concat([current.id, nonce, body, final, cipher.getAuthTag()]);
  }

  /**
   * The plaintext of a ticket this keyring sealed, or null when it is truncated, tampered with, made
   * under an unknown or retired key, or anything else. Never throws: tickets come from peers.
   */
  open(ticket: Uint8Array): Buffer | null {
    try {
      if (ticket.length < TICKET_OVERHEAD) return null;
      this.rotate();
      const t = Buffer.from(ticket.buffer, ticket.byteOffset, ticket.byteLength);
      const id = t.subarray(0, TICKET_KEY_ID_LENGTH);
      const nonce = t.subarray(TICKET_KEY_ID_LENGTH, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH);
      const body = t.subarray(TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH, t.length - TICKET_TAG_LENGTH);
      const tag = t.subarray(t.length - TICKET_TAG_LENGTH);
      // Random ids may collide, so try every live key with this id (at most keepPrevious + 1).
      for (const k of this.keys) {
        if (!k.id.equals(id)) continue;
        const plain = this.tryOpen(k, nonce, body, tag);
        if (plain !== null) return plain;
      }
      return null;
    } catch {
      return null;
    }
  }

  private tryOpen(k: TicketKey, nonce: Buffer, body: Buffer, tag: Buffer): Buffer | null {
    try {
      const decipher = createDecipheriv('aes-256-gcm', k.key, nonce, { authTagLength: TICKET_TAG_LENGTH });
      decipher.setAAD(k.id);
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      return Buffer.concat([plain, decipher.final()]); // final() throws when the tag does not verify
    } catch {
      return null;
    }
  }

  /** Makes the key of the current period if needed and drops keys older than keepPrevious periods. */
  private rotate(): void {
    // A clock that steps backwards keeps the newest key rather than reviving an old period.
    const period = Math.max(Math.floor((this.now() - this.start) / this.rotateEveryMs), this.keys[0]?.period ?? 0);
    if (this.keys[0]?.period !== period) {
      this.keys.unshift({ id: this.randomBytes(TICKET_KEY_ID_LENGTH), key: this.randomBytes(TICKET_KEY_LENGTH), period });
    }
    // Retire by age, not by count: after an idle gap, keys of periods long gone must not open tickets.
    // (Keys are newest first, so the last one is the oldest; most calls have nothing to drop.)
    if (this.keys[this.keys.length - 1]!.period < period - this.keepPrevious) {
      this.keys = this.keys.filter((k) => k.period >= period - this.keepPrevious);
    }
  }

  private randomBytes(n: number): Buffer {
    return checkedLength(this.random(n), n);
  }
}

function checkedLength(b: Buffer, n: number): Buffer {
  if (b.length !== n) throw new RangeError(`random source returned ${b.length} bytes, ${n} requested`);
  return b;
}

export interface ReplayGuardOptions {
  /** How long a key is remembered, in ms: at least the 0-RTT freshness window the server enforces. */
  windowMs: number;
  /** Most keys remembered at once; the memory bound. */
  maxEntries: number;
}

// Keys longer than this are stored as their SHA-256 so an entry's size is bounded whatever the caller passes.
const MAX_STORED_KEY_LENGTH = 32;

/**
 * A strike register for 0-RTT anti-replay (RFC 8446 §8.2): `firstUse(key, now)` is true only the first
 * time a key (e.g. the PSK binder or ticket identity of a ClientHello carrying early_data) is seen
 * within `windowMs`.
 *
 * Policy:
 * - The caller must also apply the freshness check of RFC 8446 §8.3 (reject 0-RTT when the ticket age
 *   is outside its window) and make that window no longer than `windowMs`: a ClientHello older than the
 *   window is then refused by the freshness check, and one inside it is caught here (§8.2 keeps a
 *   ClientHello "for as long as the expected_arrival_time is inside the window").
 * - Entries expire `windowMs` after their first use and are evicted lazily from the oldest end, so each
 *   call costs amortised O(1).
 * - Fail closed: when `maxEntries` live entries are stored, new keys get false (treat as a replay:
 *   decline 0-RTT, continue with 1-RTT) instead of growing memory or evicting a live entry, which would
 *   let a replay of that entry through. A false positive costs one round trip; a false negative is a
 *   replayed request.
 * - Per process only: servers that share ticket keys must share the register too, or refuse 0-RTT
 *   (RFC 8446 §8).
 */
export class ReplayGuard {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  /** Stored key -> expiry time; insertion order is (nearly) expiry order for a monotonic clock. */
  private readonly entries = new Map<string, number>();

  constructor(opts: ReplayGuardOptions) {
    if (!Number.isFinite(opts.windowMs) || opts.windowMs <= 0) {
      throw new RangeError(`windowMs must be a positive number, got ${opts.windowMs}`);
    }
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${opts.maxEntries}`);
    }
    this.windowMs = opts.windowMs;
    this.maxEntries = opts.maxEntries;
  }

  /** Number of keys currently remembered (expired ones may linger until the next call). */
  get size(): number {
    return this.entries.size;
  }

  /** True the first time `key` is seen within the window (accept 0-RTT); false for a replay or when full. */
  firstUse(key: Uint8Array, now: number): boolean {
    this.evictExpired(now);
    const k = storedKey(key);
    const expiry = this.entries.get(k);
    if (expiry !== undefined && expiry > now) return false;
    if (expiry !== undefined) this.entries.delete(k); // expired but behind a longer-lived entry
    // Eviction stops at the first live entry, so with a clock that steps backwards an expired entry may
    // sit behind it and count here: that only errs towards refusing 0-RTT.
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(k, now + this.windowMs);
    return true;
  }

  private evictExpired(now: number): void {
    for (const [k, expiry] of this.entries) {
      if (expiry > now) break;
      this.entries.delete(k);
    }
  }
}

function storedKey(key: Uint8Array): string {
  const bytes = key.length > MAX_STORED_KEY_LENGTH ? digest('sha256', key) : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return bytes.toString('latin1');
}
