// The handshake transcript (RFC 8446 §4.4.1). Until the cipher suite (and so the hash) is known, raw
// messages are kept; afterwards they feed an incremental hash that is copied for each snapshot.
import { createHash, type Hash } from 'node:crypto';
import { hashLength, type HashName } from '../crypto/hkdf.js';
import { HandshakeType } from './constants.js';

export class Transcript {
  private pending: Buffer[] = [];
  private hasher: Hash | undefined;
  private hashName: HashName | undefined;

  get hash(): HashName | undefined {
    return this.hashName;
  }

  add(message: Uint8Array): void {
    if (this.hasher) this.hasher.update(message);
    else this.pending.push(Buffer.from(message));
  }

  /** Fixes the hash once the suite is negotiated and feeds it what was buffered. */
  setHash(hash: HashName): void {
    if (this.hashName === hash) return;
    if (this.hashName) throw new Error('transcript: hash already fixed');
    this.hashName = hash;
    this.hasher = createHash(hash);
    for (const m of this.pending) this.hasher.update(m);
    this.pending = [];
  }

  /**
   * §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   * message_hash(254) || 00 00 || Hash.length || Hash(ClientHello1). Called while the transcript holds
   * exactly ClientHello1; fixes the hash to `hash`.
   */
  replaceWithMessageHash(hash: HashName): void {
    const ch1 = this.hasher ? this.hasher.copy().digest() : createHash(hash).update(Buffer.concat(this.pending)).digest();
    const synthetic = Buffer.concat([Buffer.of(HandshakeType.message_hash, 0, 0, hashLength(hash)), ch1]);
    this.pending = [];
    this.hasher = undefined;
    this.hashName = undefined;
    this.setHash(hash);
    this.add(synthetic);
  }

  /** Transcript-Hash of everything added so far (optionally followed by `extra`, e.g. a truncated ClientHello). */
  current(extra?: Uint8Array): Buffer {
    if (!this.hasher) throw new Error('transcript: hash not fixed yet');
    const h = this.hasher.copy();
    if (extra) h.update(extra);
    return h.digest();
  }

  /** Hash of the buffered messages plus `extra` under `hash`, before the hash is fixed (client PSK binders). */
  peek(hash: HashName, extra: Uint8Array): Buffer {
    if (this.hasher && this.hashName === hash) return this.current(extra);
    const h = createHash(hash);
    for (const m of this.pending) h.update(m);
    return h.update(extra).digest();
  }
}
