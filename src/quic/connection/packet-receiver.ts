// Opening received packets beyond what crypto/packet-protection does for one key: 1-RTT packets, whose
// payload keys depend on the Key Phase bit revealed by header protection (RFC 9001 §6), and packets
// that arrive before their keys, kept for a moment (RFC 9001 §5.7).
import { applyHeaderProtection, removeHeaderProtection, type OpenedPacket } from '../crypto/packet-protection.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { checkReservedBits, keyPhaseOf, type ParsedShortHeaderPacket } from '../wire/header.js';
import { decodePacketNumber } from '../wire/packet-number.js';
import type { PathAddress } from './api.js';
import type { ApplicationKeys } from './application-keys.js';

export type OpenedShortPacket = OpenedPacket & { keys: 'current' | 'previous' | 'next' };

/**
 * Removes header protection (its key never changes, RFC 9001 §6), recovers the packet number against
 * `largestPn` (RFC 9000 Appendix A.3), then opens the payload with the keys of the packet's phase:
 * current, previous (a reordered packet, §6.5) or next (the peer updated, §6.2). Returns null, with the
 * header restored, when authentication fails (RFC 9001 §5.5: drop it), and throws AEAD_LIMIT_REACHED
 * past the integrity limit (§6.6) or PROTOCOL_VIOLATION for reserved bits (RFC 9000 §17.3.1).
 */
export function openShortHeaderPacket(keys: ApplicationKeys, buf: Uint8Array, p: ParsedShortHeaderPacket, largestPn: number): OpenedShortPacket | null {
  const hp = keys.headerProtector!;
  const h = removeHeaderProtection(hp, buf, p.packetStart, p.pnOffset, p.packetEnd);
  const pn = decodePacketNumber(largestPn, h.truncatedPacketNumber, (h.packetNumberLength * 8) as 8 | 16 | 24 | 32);
  const phase = keyPhaseOf(h.firstByte);
  const choice = keys.readKeysFor(phase, pn);
  const payload = choice?.protector.open(buf, p.packetStart, h.headerEnd, p.packetEnd, pn) ?? null;
  if (choice === undefined || payload === null) {
    applyHeaderProtection(hp, buf, p.packetStart, p.pnOffset, h.packetNumberLength, p.packetEnd);
    keys.failedOpens++;
    if (keys.failedOpens >= keys.suite.integrityLimit) {
      throw new QuicError(TransportErrorCode.AEAD_LIMIT_REACHED, 'too many packets failed authentication');
    }
    return null;
  }
  checkReservedBits(h.firstByte);
  return { packetNumber: pn, firstByte: h.firstByte, payload, keyPhase: phase, keys: choice.which };
}

interface PendingPacket {
  readonly bytes: Uint8Array;
  readonly path: PathAddress;
}

/** Packets whose keys are not there yet (RFC 9001 §5.7), copied and bounded. */
export class UndecryptablePackets {
  private readonly packets: PendingPacket[] = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.packets.length;
  }

  /** Keeps a copy of `datagram[start, end)`; beyond the bound the packet is dropped. */
  add(datagram: Uint8Array, start: number, end: number, path: PathAddress): void {
    if (this.packets.length >= this.max) return;
    this.packets.push({ bytes: datagram.slice(start, end), path: { ...path } });
  }

  takeAll(): PendingPacket[] {
    return this.packets.splice(0);
  }
}
