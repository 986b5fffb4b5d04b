// The sent-packet history of one packet number space (RFC 9002 Appendix A.1): packets in packet-number
// order, found by binary search, removed when acknowledged, declared lost or discarded.
//
// Storage is two parallel arrays (packet numbers, packets) with holes where a packet left the middle;
// packets are always appended with increasing numbers, so the arrays stay sorted. The head advances over
// leading holes and the arrays are compacted when holes dominate, so memory follows the live count.
import { RecoveryError, RecoveryErrorCode } from './errors.js';
import type { SentPacket } from './types.js';

/** Compact once at least this many holes exist and they outnumber the live packets. */
const COMPACTION_MIN_HOLES = 64;

/**
 * The arrays of every history that tracks nothing (a new one, one cleared, one whose packets all left):
 * shared, so an idle space holds no arrays of its own. Never written to: add() replaces them.
 */
const NO_NUMBERS: number[] = [];
const NO_PACKETS: never[] = [];

export class SentPacketHistory<F> {
  private numbers: number[] = NO_NUMBERS;
  private packets: Array<SentPacket<F> | undefined> = NO_PACKETS;
  private head = 0;
  private live = 0;
  private ackElicitingInFlightCount = 0;
  private inFlightBytes = 0;
  private largestSentNumber = -1;
  private lastAckElicitingTime: number | undefined;

  /** Number of packets currently tracked. */
  get size(): number {
    return this.live;
  }
  /** -1 before the first packet (or skipped packet number). */
  get largestSent(): number {
    return this.largestSentNumber;
  }
  /** Bytes of tracked in-flight packets (RFC 9002 §2, bytes_in_flight for this space). */
  get bytesInFlight(): number {
    return this.inFlightBytes;
  }
  get ackElicitingInFlight(): number {
    return this.ackElicitingInFlightCount;
  }
  /** time_of_last_ack_eliciting_packet (RFC 9002 A.2); undefined when none is tracked. */
  get timeOfLastAckEliciting(): number | undefined {
    return this.ackElicitingInFlightCount > 0 ? this.lastAckElicitingTime : undefined;
  }

  /** Appends a sent packet. Packet numbers must strictly increase (RFC 9000 §12.3). */
  add(packet: SentPacket<F>): void {
    const pn = packet.packetNumber;
    if (!Number.isSafeInteger(pn) || pn <= this.largestSentNumber) {
      throw new RecoveryError(
        RecoveryErrorCode.INTERNAL_ERROR,
        `sent packet number ${pn} does not increase past ${this.largestSentNumber}`,
      );
    }
    if (!(packet.size >= 0) || !Number.isFinite(packet.size)) {
      throw new RecoveryError(RecoveryErrorCode.INTERNAL_ERROR, `sent packet size ${packet.size} is invalid`);
    }
    this.largestSentNumber = pn;
    if (this.packets.length === 0) {
      // Exact one-element arrays: an idle connection usually tracks a single packet here (its last
      // ACK-only packet, which the peer never acknowledges), and push on an empty array reserves 16 more.
      this.numbers = [pn];
      this.packets = [packet];
    } else {
      this.numbers.push(pn);
      this.packets.push(packet);
    }
    this.live++;
    if (packet.inFlight) {
      this.inFlightBytes += packet.size;
      if (packet.ackEliciting) {
        this.ackElicitingInFlightCount++;
        this.lastAckElicitingTime = packet.timeSent;
      }
    }
  }

  /** Records a packet number the sender chose not to use (RFC 9000 §21.4); it must never be acked. */
  skip(packetNumber: number): void {
    if (!Number.isSafeInteger(packetNumber) || packetNumber <= this.largestSentNumber) {
      throw new RecoveryError(
        RecoveryErrorCode.INTERNAL_ERROR,
        `skipped packet number ${packetNumber} does not increase past ${this.largestSentNumber}`,
      );
    }
    this.largestSentNumber = packetNumber;
  }

  get(packetNumber: number): SentPacket<F> | undefined {
    const i = this.lowerBound(packetNumber);
    return i < this.numbers.length && this.numbers[i] === packetNumber ? this.packets[i] : undefined;
  }

  /** Live packets in ascending packet number order. */
  *[Symbol.iterator](): IterableIterator<SentPacket<F>> {
    for (let i = this.head; i < this.packets.length; i++) {
      const p = this.packets[i];
      if (p !== undefined) yield p;
    }
  }

  /** The oldest live packet, if any. */
  first(): SentPacket<F> | undefined {
    this.skipLeadingHoles();
    return this.packets[this.head];
  }

  /**
   * Removes and returns (ascending) every tracked packet within the inclusive range. Cost is
   * O(log n + packets in range), independent of how wide a peer makes the range.
   */
  removeRange(smallest: number, largest: number, into: Array<SentPacket<F>>): void {
    for (let i = this.lowerBound(smallest); i < this.numbers.length && this.numbers[i]! <= largest; i++) {
      const p = this.packets[i];
      if (p === undefined) continue;
      this.removeAt(i, p);
      into.push(p);
    }
    this.maybeCompact();
  }

  /**
   * Calls `visit` for each live packet with number <= `upTo`, ascending; when it returns true the packet
   * is removed. Used by loss detection, which only looks below the largest acknowledged (RFC 9002 §6.1).
   */
  removeWhere(upTo: number, visit: (packet: SentPacket<F>) => boolean): void {
    for (let i = this.head; i < this.numbers.length && this.numbers[i]! <= upTo; i++) {
      const p = this.packets[i];
      if (p !== undefined && visit(p)) this.removeAt(i, p);
    }
    this.maybeCompact();
  }

  /** Removes and returns every packet (RFC 9002 §6.4 discarding a space's keys). */
  clear(): Array<SentPacket<F>> {
    const all = [...this];
    this.numbers = NO_NUMBERS;
    this.packets = NO_PACKETS;
    this.head = 0;
    this.live = 0;
    this.inFlightBytes = 0;
    this.ackElicitingInFlightCount = 0;
    this.lastAckElicitingTime = undefined;
    return all;
  }

  /**
   * Forgets the oldest packet that is not in flight, looking at most `scanLimit` packets from the head.
   * Such packets (ACK-only) only matter for acknowledging our ACKs; dropping one bounds memory when a
   * peer never acknowledges. Returns whether one was dropped.
   */
  evictOldestNotInFlight(scanLimit: number): boolean {
    let scanned = 0;
    for (let i = this.head; i < this.packets.length && scanned < scanLimit; i++) {
      const p = this.packets[i];
      if (p === undefined) continue;
      scanned++;
      if (!p.inFlight) {
        this.removeAt(i, p);
        this.maybeCompact();
        return true;
      }
    }
    return false;
  }

  private removeAt(index: number, packet: SentPacket<F>): void {
    this.packets[index] = undefined;
    this.live--;
    if (packet.inFlight) {
      this.inFlightBytes -= packet.size;
      if (packet.ackEliciting) this.ackElicitingInFlightCount--;
    }
  }

  /** First index >= head whose packet number is >= pn. */
  private lowerBound(pn: number): number {
    let lo = this.head;
    let hi = this.numbers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.numbers[mid]! < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private skipLeadingHoles(): void {
    while (this.head < this.packets.length && this.packets[this.head] === undefined) this.head++;
  }

  private maybeCompact(): void {
    if (this.live === 0) {
      // Nothing tracked (the usual state of an idle connection): let go of the arrays' storage at once
      // rather than waiting for COMPACTION_MIN_HOLES holes.
      if (this.packets.length > 0) {
        this.numbers = NO_NUMBERS;
        this.packets = NO_PACKETS;
        this.head = 0;
      }
      return;
    }
    this.skipLeadingHoles();
    const holes = this.packets.length - this.live;
    if (holes < COMPACTION_MIN_HOLES || holes <= this.live) return;
    const numbers: number[] = [];
    const packets: Array<SentPacket<F>> = [];
    for (let i = this.head; i < this.packets.length; i++) {
      const p = this.packets[i];
      if (p === undefined) continue;
      numbers.push(this.numbers[i]!);
      packets.push(p);
    }
    this.numbers = numbers;
    this.packets = packets;
    this.head = 0;
  }
}
