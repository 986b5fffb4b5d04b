// 1-RTT packet protection and key update (RFC 9001 §6). Both directions move to the next key phase
// together: the initiator switches when it decides to (§6.1), the responder when a packet with the
// other Key Phase bit opens with the next read keys (§6.2). The previous read keys stay for a while so
// reordered packets of the old phase still open (§6.5), and the next read keys are derived in advance
// so a key update cannot be told apart from a decryption failure by timing (§6.3).
import { createPacketProtector, createPlaintextProtector, type PacketProtector } from '../crypto/packet-protection.js';
import { derivePacketProtectionKeys, updatePacketProtectionKeys, type CipherSuite, type PacketProtectionKeys } from '../crypto/keys.js';

interface Generation {
  readonly keys: PacketProtectionKeys;
  readonly secret: Uint8Array;
  readonly protector: PacketProtector;
}

function generation(keys: PacketProtectionKeys, secret: Uint8Array): Generation {
  return { keys, secret, protector: createPacketProtector(keys) };
}

function next(g: Generation): Generation {
  const { secret, keys } = updatePacketProtectionKeys(g.keys, g.secret);
  return generation(keys, secret);
}

export class ApplicationKeys {
  readonly suite: CipherSuite;
  private readGen: Generation | undefined;
  private writeGen: Generation | undefined;
  private nextReadGen: Generation | undefined;
  private previousRead: Generation | undefined;
  /** When the previous read keys are dropped (RFC 9001 §6.5: about 3 PTO after the update). */
  previousReadDiscardAt: number | undefined;
  /** Key phase generation: 0, 1, 2, ... The Key Phase bit is its low bit (RFC 9000 §17.3.1). */
  generationNumber = 0;
  /** Smallest packet number we sent in the current phase; an ACK at or above it allows the next update (§6.1). */
  firstSentInPhase: number | undefined;
  /** Smallest packet number received in the current phase: older ones belong to the previous phase (§6.5). */
  firstReceivedInPhase: number | undefined;
  /** An ACK arrived for a packet sent in the current phase. */
  currentPhaseAcked = false;
  /** Packets that failed authentication with 1-RTT keys, for the integrity limit (RFC 9001 §6.6). */
  failedOpens = 0;
  /**
   * Set once both endpoints sent disable_1rtt_encryption (draft-banks-quic-disable-encryption): 1-RTT
   * packets are sent and read without protection, so there is no key phase to follow and no update.
   */
  private plaintextProtector: PacketProtector | undefined;

  constructor(suite: CipherSuite) {
    this.suite = suite;
  }

  /** Switches 1-RTT packets to no protection (negotiated before any 1-RTT packet is sent or read). */
  disableEncryption(): void {
    this.plaintextProtector ??= createPlaintextProtector(this.suite);
  }

  get encryptionDisabled(): boolean {
    return this.plaintextProtector !== undefined;
  }

  get keyPhaseBit(): 0 | 1 {
    return (this.generationNumber & 1) as 0 | 1;
  }

  get canRead(): boolean {
    return this.readGen !== undefined;
  }

  get canWrite(): boolean {
    return this.writeGen !== undefined;
  }

  get write(): PacketProtector | undefined {
    if (this.writeGen === undefined) return undefined;
    return this.plaintextProtector ?? this.writeGen.protector;
  }

  /** Packets sealed with the current write keys (confidentiality limit, RFC 9001 §6.6). */
  get sealedInPhase(): number {
    return this.writeGen?.protector.sealedPackets ?? 0;
  }

  installRead(secret: Uint8Array): void {
    this.readGen = generation(derivePacketProtectionKeys(this.suite, secret), secret);
    this.nextReadGen = next(this.readGen);
  }

  installWrite(secret: Uint8Array): void {
    this.writeGen = generation(derivePacketProtectionKeys(this.suite, secret), secret);
  }

  /**
   * The keys to try for a received packet with `keyPhase`, given the packet number recovered with the
   * current header protection key (which never changes, §6). 'next' means a peer-initiated update if it opens.
   */
  readKeysFor(keyPhase: 0 | 1, packetNumber: number): { protector: PacketProtector; which: 'current' | 'previous' | 'next' } | undefined {
    if (this.readGen === undefined) return undefined;
    // Unprotected packets have no key phase to follow: every one is read as it is.
    if (this.plaintextProtector !== undefined) return { protector: this.plaintextProtector, which: 'current' };
    if (keyPhase === this.keyPhaseBit) return { protector: this.readGen.protector, which: 'current' };
    // RFC 9001 §6.5: a packet older than the first of the current phase uses the previous keys.
    if (this.previousRead !== undefined && (this.firstReceivedInPhase === undefined || packetNumber < this.firstReceivedInPhase)) {
      return { protector: this.previousRead.protector, which: 'previous' };
    }
    if (this.nextReadGen === undefined) return undefined;
    return { protector: this.nextReadGen.protector, which: 'next' };
  }

  /** Header protection is not updated (RFC 9001 §6): always the first generation's hp key. */
  get headerProtector(): PacketProtector | undefined {
    if (this.readGen === undefined) return undefined;
    return this.plaintextProtector ?? this.readGen.protector;
  }

  /** A packet was opened with `which` keys. */
  onPacketOpened(which: 'current' | 'previous' | 'next', packetNumber: number, now: number, threePto: number): void {
    if (which === 'next') {
      // RFC 9001 §6.2: the peer updated; update our send keys too.
      this.rotate(now, threePto);
    }
    if (which !== 'previous' && (this.firstReceivedInPhase === undefined || packetNumber < this.firstReceivedInPhase)) {
      this.firstReceivedInPhase = packetNumber;
      // RFC 9001 §6.5: keep the old read keys about 3 PTO after receiving with the new ones.
      if (this.previousRead !== undefined && this.previousReadDiscardAt === undefined) this.previousReadDiscardAt = now + threePto;
    }
  }

  /** RFC 9001 §6.1: may we initiate an update now? Only after an ACK of a packet of the current phase. */
  get canInitiate(): boolean {
    return this.plaintextProtector === undefined && this.readGen !== undefined && this.writeGen !== undefined && this.currentPhaseAcked && this.previousRead === undefined;
  }

  /** We initiate a key update (RFC 9001 §6.1). */
  initiate(now: number, threePto: number): void {
    this.rotate(now, threePto);
    // The discard timer of the previous read keys starts when the peer's first new-phase packet arrives.
    this.previousReadDiscardAt = undefined;
  }

  private rotate(now: number, threePto: number): void {
    if (this.readGen === undefined || this.writeGen === undefined || this.nextReadGen === undefined) return;
    this.previousRead = this.readGen;
    this.readGen = this.nextReadGen;
    this.nextReadGen = next(this.readGen);
    this.writeGen = next(this.writeGen);
    this.generationNumber++;
    this.firstSentInPhase = undefined;
    this.firstReceivedInPhase = undefined;
    this.currentPhaseAcked = false;
    this.previousReadDiscardAt = now + threePto;
  }

  onPacketSent(packetNumber: number): void {
    if (this.firstSentInPhase === undefined) this.firstSentInPhase = packetNumber;
  }

  /** A packet of generation `gen` was acknowledged. */
  onPacketAcked(gen: number): void {
    if (gen === this.generationNumber) this.currentPhaseAcked = true;
  }

  /** Drops the previous read keys once their time is up (RFC 9001 §6.5). */
  onTimeout(now: number): void {
    if (this.previousReadDiscardAt !== undefined && now >= this.previousReadDiscardAt) {
      this.previousRead = undefined;
      this.previousReadDiscardAt = undefined;
    }
  }

  /** Whether a packet whose phase differs could be a peer update arriving while we still hold old keys (§6.2). */
  get hasPreviousKeys(): boolean {
    return this.previousRead !== undefined;
  }
}
