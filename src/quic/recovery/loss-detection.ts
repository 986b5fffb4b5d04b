// Loss detection and the probe timeout for one connection, RFC 9002 §6 (pseudocode Appendix A), driving
// a congestion controller (§7). Sans-IO: the connection reports sent packets and received ACKs with the
// current time, asks `nextTimeout()` when to call `onTimeout(now)`, and gets back which packets were
// acknowledged or lost (with their frames) and when to send probes.
import { validateAck } from './ack-validation.js';
import type { CongestionController } from './congestion/congestion-controller.js';
import { RecoveryError, RecoveryErrorCode } from './errors.js';
import { DEFAULT_INITIAL_RTT_MS, RttEstimator } from './rtt.js';
import { SentPacketHistory } from './sent-packets.js';
import { PACKET_NUMBER_SPACES, type PacketNumberSpace, type ReceivedAck, type SentPacket } from './types.js';

/** RFC 9002 §6.1.1: kPacketThreshold. */
export const PACKET_THRESHOLD = 3;
/** RFC 9002 §6.1.2: kTimeThreshold. */
export const TIME_THRESHOLD = 9 / 8;
/** RFC 9002 §6.1.2: kGranularity, ms. */
export const GRANULARITY_MS = 1;
/** RFC 9002 §7.6.1: kPersistentCongestionThreshold. */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** RFC 9000 §18.2: max_ack_delay default, used until the peer's transport parameters arrive. */
export const DEFAULT_MAX_ACK_DELAY_MS = 25;
/** RFC 9002 §6.2.4: "up to two" probe datagrams per PTO. */
export const DEFAULT_PTO_PROBE_PACKETS = 2;
/** Largest PTO backoff exponent applied; the idle timeout closes the connection long before. */
export const MAX_PTO_BACKOFF_EXPONENT = 16;
/** Per-space cap on tracked packets; beyond it the oldest ACK-only packets are forgotten. */
export const DEFAULT_MAX_TRACKED_PACKETS = 1 << 16;
/** Skipped packet numbers remembered per space for optimistic-ACK detection (RFC 9000 §21.4). */
export const DEFAULT_MAX_SKIPPED_PACKET_NUMBERS = 16;
/** How far from the oldest packet the eviction of ACK-only packets looks. */
const EVICTION_SCAN_LIMIT = 64;

export interface LossDetectionOptions {
  /** Servers never arm the anti-deadlock PTO and are subject to the amplification limit (§6.2.2.1). */
  isServer: boolean;
  congestionController: CongestionController;
  /** kInitialRtt, ms (RFC 9002 §6.2.2); default 333, or a remembered value for a resumed path. */
  initialRtt?: number;
  /** The peer's max_ack_delay, ms, until setPeerMaxAckDelay is called; default 25 (RFC 9000 §18.2). */
  peerMaxAckDelay?: number;
  packetThreshold?: number;
  timeThreshold?: number;
  granularity?: number;
  persistentCongestionThreshold?: number;
  /** Probe packets per PTO (1 or 2, RFC 9002 §6.2.4); default 2. */
  ptoProbePackets?: 1 | 2;
  /**
   * RFC 9002 §5.3: MAY ignore the ACK delay for Initial packets (they are acknowledged immediately);
   * default true.
   */
  ignoreInitialAckDelay?: boolean;
  maxTrackedPacketsPerSpace?: number;
  maxSkippedPacketNumbers?: number;
}

/** Result of processing an ACK frame. On `ok: false` the connection closes with `error.code`. */
export type AckOutcome<F> =
  | {
      readonly ok: true;
      /** Packets this ACK acknowledged for the first time, ascending. */
      readonly newlyAcked: Array<SentPacket<F>>;
      /** Packets declared lost by this ACK (RFC 9002 §6.1), ascending; re-queue their frames. */
      readonly lost: Array<SentPacket<F>>;
      /** Whether this ACK produced an RTT sample (RFC 9002 §5.1). */
      readonly rttSampled: boolean;
      /** RFC 9002 §7.6.2: persistent congestion was established; the window is at the minimum. */
      readonly persistentCongestion: boolean;
    }
  | { readonly ok: false; readonly error: RecoveryError };

/** What the connection must do after `onTimeout`. */
export type TimeoutOutcome<F> =
  | { readonly kind: 'none' }
  /** RFC 9002 §6.1.2: time-threshold loss; re-queue the frames of `lost`. */
  | {
      readonly kind: 'lost';
      readonly space: PacketNumberSpace;
      readonly lost: Array<SentPacket<F>>;
      readonly persistentCongestion: boolean;
    }
  /**
   * RFC 9002 §6.2.4: send `count` ack-eliciting packets in `space` (new data, else retransmitted data,
   * else PING), even if the congestion window is full (§7.5). `antiDeadlock`: the client has nothing in
   * flight but the server may be blocked by its amplification limit (§6.2.2.1); send a padded Initial
   * or a Handshake packet as `space` says.
   */
  | {
      readonly kind: 'probe';
      readonly space: PacketNumberSpace;
      readonly count: number;
      readonly antiDeadlock: boolean;
    };

/** The skipped list of every space that skipped nothing: shared, never mutated (skip() replaces it). */
const NO_SKIPPED: number[] = [];

interface SpaceState<F> {
  readonly history: SentPacketHistory<F>;
  /** largest_acked_packet; -1 = none yet. */
  largestAcked: number;
  /** loss_time: when the earliest not-yet-lost packet becomes lost by time threshold. */
  lossTime: number | undefined;
  /** Last ECN-CE count the peer reported (RFC 9002 B.7). */
  ecnCe: number;
  /** Packet numbers deliberately not sent (RFC 9000 §21.4), ascending. */
  skipped: number[];
  discarded: boolean;
}

interface LossScan<F> {
  lost: Array<SentPacket<F>>;
  persistentCongestion: boolean;
}

export class LossDetection<F> {
  readonly rtt: RttEstimator;
  readonly congestion: CongestionController;
  private readonly isServer: boolean;
  private readonly spaces: Record<PacketNumberSpace, SpaceState<F>>;
  private maxAckDelay: number;
  private readonly packetThreshold: number;
  private readonly timeThreshold: number;
  private readonly granularity: number;
  private readonly persistentCongestionThreshold: number;
  private readonly ptoProbePackets: number;
  private readonly ignoreInitialAckDelay: boolean;
  private readonly maxTrackedPackets: number;
  private readonly maxSkipped: number;
  private pto = 0;
  private confirmed = false;
  private handshakeKeys = false;
  private handshakeAckReceived = false;
  private amplificationBlocked = false;
  /** first_rtt_sample (RFC 9002 B.2): when the first RTT sample was taken. */
  private firstRttSampleTime: number | undefined;
  private timer: number | undefined;

  constructor(options: LossDetectionOptions) {
    this.isServer = options.isServer;
    this.congestion = options.congestionController;
    this.rtt = new RttEstimator(options.initialRtt ?? DEFAULT_INITIAL_RTT_MS);
    this.maxAckDelay = nonNegative('peerMaxAckDelay', options.peerMaxAckDelay ?? DEFAULT_MAX_ACK_DELAY_MS);
    this.packetThreshold = positive('packetThreshold', options.packetThreshold ?? PACKET_THRESHOLD);
    this.timeThreshold = positive('timeThreshold', options.timeThreshold ?? TIME_THRESHOLD);
    this.granularity = positive('granularity', options.granularity ?? GRANULARITY_MS);
    this.persistentCongestionThreshold = positive(
      'persistentCongestionThreshold',
      options.persistentCongestionThreshold ?? PERSISTENT_CONGESTION_THRESHOLD,
    );
    this.ptoProbePackets = options.ptoProbePackets ?? DEFAULT_PTO_PROBE_PACKETS;
    this.ignoreInitialAckDelay = options.ignoreInitialAckDelay ?? true;
    this.maxTrackedPackets = positive(
      'maxTrackedPacketsPerSpace',
      options.maxTrackedPacketsPerSpace ?? DEFAULT_MAX_TRACKED_PACKETS,
    );
    this.maxSkipped = positive(
      'maxSkippedPacketNumbers',
      options.maxSkippedPacketNumbers ?? DEFAULT_MAX_SKIPPED_PACKET_NUMBERS,
    );
    const space = (): SpaceState<F> => ({
      history: new SentPacketHistory<F>(),
      largestAcked: -1,
      lossTime: undefined,
      ecnCe: 0,
      skipped: NO_SKIPPED,
      discarded: false,
    });
    this.spaces = { initial: space(), handshake: space(), application: space() };
  }

  /** bytes_in_flight across all spaces (RFC 9002 §2). */
  get bytesInFlight(): number {
    let total = 0;
    for (const s of PACKET_NUMBER_SPACES) total += this.spaces[s].history.bytesInFlight;
    return total;
  }
  /** pto_count (RFC 9002 §6.2.1): consecutive PTOs without an acknowledgment. */
  get ptoCount(): number {
    return this.pto;
  }
  get handshakeConfirmed(): boolean {
    return this.confirmed;
  }
  get peerMaxAckDelay(): number {
    return this.maxAckDelay;
  }
  /** The loss detection timer deadline (ms), or undefined when disarmed. */
  nextTimeout(): number | undefined {
    return this.timer;
  }
  /** Whether the congestion window admits another packet (RFC 9002 §7); probes ignore this (§7.5). */
  canSend(): boolean {
    return this.congestion.canSend(this.bytesInFlight);
  }
  largestAcked(space: PacketNumberSpace): number {
    return this.spaces[space].largestAcked;
  }
  lossTime(space: PacketNumberSpace): number | undefined {
    return this.spaces[space].lossTime;
  }
  trackedPackets(space: PacketNumberSpace): number {
    return this.spaces[space].history.size;
  }
  ackElicitingInFlight(space?: PacketNumberSpace): number {
    if (space !== undefined) return this.spaces[space].history.ackElicitingInFlight;
    let n = 0;
    for (const s of PACKET_NUMBER_SPACES) n += this.spaces[s].history.ackElicitingInFlight;
    return n;
  }
  /** The largest packet number sent (or skipped) in `space`; -1 before any. */
  largestSent(space: PacketNumberSpace): number {
    return this.spaces[space].history.largestSent;
  }

  /**
   * The current PTO period without backoff (RFC 9002 §6.2.1), including max_ack_delay: what RFC 9000
   * uses for the closing period (§10.2), idle timeout floor (§10.1) and path validation (§8.2.4).
   */
  ptoPeriod(): number {
    return this.ptoBase() + this.maxAckDelay;
  }

  /** smoothed_rtt + max(4 * rttvar, kGranularity): the PTO period without the peer's ack delay (RFC 9002 §6.2.1). */
  ptoBase(): number {
    return this.rtt.ptoBase(this.granularity);
  }

  /** The peer's max_ack_delay transport parameter arrived (RFC 9000 §18.2), ms. */
  setPeerMaxAckDelay(ms: number, now: number): void {
    this.maxAckDelay = nonNegative('peerMaxAckDelay', ms);
    this.setLossDetectionTimer(now);
  }

  /**
   * RFC 9000 §9.4: the peer moved to a new address (not only a new port). Congestion control and the
   * RTT estimate restart from their initial values; packets in flight stay tracked for loss and ACKs.
   */
  resetCongestionAndRtt(now: number): void {
    this.congestion.reset();
    this.rtt.reset();
    this.firstRttSampleTime = undefined;
    this.pto = 0;
    this.setLossDetectionTimer(now);
  }

  /** Handshake keys are installed: anti-deadlock probes now use the Handshake space (RFC 9002 A.8). */
  onHandshakeKeysAvailable(now: number): void {
    this.handshakeKeys = true;
    this.setLossDetectionTimer(now);
  }

  /** RFC 9001 §4.1.2: the handshake is confirmed; Application Data PTO and ack-delay capping begin. */
  onHandshakeConfirmed(now: number): void {
    this.confirmed = true;
    this.setLossDetectionTimer(now);
  }

  /**
   * Server only: whether the anti-amplification limit (RFC 9000 §8.1) currently blocks sending. While
   * blocked the PTO timer is not armed (RFC 9002 §6.2.2.1); unblocking re-arms it.
   */
  setAmplificationBlocked(blocked: boolean, now: number): void {
    if (this.amplificationBlocked === blocked) return;
    this.amplificationBlocked = blocked;
    this.setLossDetectionTimer(now);
  }

  /** RFC 9002 A.5 OnPacketSent. `packet.timeSent` is the current time. */
  onPacketSent(space: PacketNumberSpace, packet: SentPacket<F>): void {
    const st = this.liveSpace(space, 'send in');
    st.history.add(packet);
    if (st.history.size > this.maxTrackedPackets) st.history.evictOldestNotInFlight(EVICTION_SCAN_LIMIT);
    if (!packet.inFlight) return;
    this.congestion.onPacketSent(packet.size, packet.timeSent, this.bytesInFlight);
    this.setLossDetectionTimer(packet.timeSent);
  }

  /**
   * The connection skipped `packetNumber` on purpose (RFC 9000 §21.4, optimistic ACK defence); an ACK
   * covering it is a PROTOCOL_VIOLATION. Only the most recent few are remembered.
   */
  skipPacketNumber(space: PacketNumberSpace, packetNumber: number): void {
    const st = this.liveSpace(space, 'skip a packet number in');
    st.history.skip(packetNumber);
    if (st.skipped.length === 0) {
      st.skipped = [packetNumber];
    } else {
      st.skipped.push(packetNumber);
      if (st.skipped.length > this.maxSkipped) st.skipped.shift();
    }
  }

  /** RFC 9002 A.7 OnAckReceived. Never throws for anything the peer sent. */
  onAckReceived(space: PacketNumberSpace, ack: ReceivedAck, now: number): AckOutcome<F> {
    const st = this.spaces[space];
    if (st.discarded) {
      // RFC 9002 §6.4: nothing is tracked for a discarded space; a late ACK there changes nothing.
      return { ok: true, newlyAcked: [], lost: [], rttSampled: false, persistentCongestion: false };
    }
    const error = validateAck(space, ack, st.history.largestSent, st.skipped);
    if (error !== undefined) return { ok: false, error };

    const priorBytesInFlight = this.bytesInFlight;
    st.largestAcked = Math.max(st.largestAcked, ack.largest);
    const newlyAcked: Array<SentPacket<F>> = [];
    // Ranges are descending; walk them backwards so newlyAcked comes out ascending.
    for (let i = ack.ranges.length - 1; i >= 0; i--) {
      const [smallest, largest] = ack.ranges[i]!;
      st.history.removeRange(smallest, largest, newlyAcked);
    }
    if (newlyAcked.length === 0) {
      return { ok: true, newlyAcked, lost: [], rttSampled: false, persistentCongestion: false };
    }
    if (space === 'handshake') this.handshakeAckReceived = true;

    // RFC 9002 §5.1: sample only if the largest acknowledged is newly acknowledged and at least one
    // newly acknowledged packet was ack-eliciting.
    const largestNewly = newlyAcked[newlyAcked.length - 1]!;
    let rttSampled = false;
    if (largestNewly.packetNumber === ack.largest && newlyAcked.some((p) => p.ackEliciting)) {
      const ignoreDelay = space === 'initial' && this.ignoreInitialAckDelay;
      rttSampled = this.rtt.update({
        latestRtt: now - largestNewly.timeSent,
        ackDelay: ignoreDelay ? 0 : ack.ackDelayMicros / 1000,
        handshakeConfirmed: this.confirmed,
        maxAckDelay: this.maxAckDelay,
      });
      if (rttSampled && this.firstRttSampleTime === undefined) this.firstRttSampleTime = now;
    }

    // RFC 9002 B.7 ProcessECN: a higher CE count than before is a congestion event. (ECN validation,
    // RFC 9000 §13.4.2, is the connection's job: it passes `ecn` only while ECN is in use.)
    if (ack.ecn !== undefined && ack.ecn.ce > st.ecnCe) {
      st.ecnCe = ack.ecn.ce;
      this.congestion.onEcnCongestionExperienced(largestNewly.timeSent, now);
    }

    const scan = this.detectAndRemoveLostPackets(st, now);
    this.reportLost(scan, now);
    const ackedInFlight = newlyAcked.filter((p) => p.inFlight);
    if (ackedInFlight.length > 0) {
      this.congestion.onPacketsAcked(ackedInFlight, now, this.rtt, priorBytesInFlight);
    }

    // RFC 9002 §6.2.1: reset the backoff, unless a client is unsure the server validated its address.
    if (this.peerCompletedAddressValidation()) this.pto = 0;
    this.setLossDetectionTimer(now);
    const persistentCongestion = scan.persistentCongestion;
    return { ok: true, newlyAcked, lost: scan.lost, rttSampled, persistentCongestion };
  }

  /** RFC 9002 A.9 OnLossDetectionTimeout. Call when `now >= nextTimeout()`; earlier calls do nothing. */
  onTimeout(now: number): TimeoutOutcome<F> {
    if (this.timer === undefined || now < this.timer) return { kind: 'none' };
    const loss = this.earliestLossTime();
    if (loss !== undefined) {
      // RFC 9002 §6.1.2: time-threshold loss.
      const scan = this.detectAndRemoveLostPackets(this.spaces[loss.space], now);
      this.reportLost(scan, now);
      this.setLossDetectionTimer(now);
      return { kind: 'lost', space: loss.space, lost: scan.lost, persistentCongestion: scan.persistentCongestion };
    }
    let outcome: TimeoutOutcome<F>;
    if (this.ackElicitingInFlight() === 0) {
      // RFC 9002 §6.2.2.1: client anti-deadlock probe; a Handshake packet proves address ownership, a
      // padded Initial earns the server more amplification credit.
      const space: PacketNumberSpace = this.hasHandshakeKeys() ? 'handshake' : 'initial';
      outcome = { kind: 'probe', space, count: 1, antiDeadlock: true };
    } else {
      const pto = this.ptoTimeAndSpace(now);
      outcome = { kind: 'probe', space: pto.space, count: this.ptoProbePackets, antiDeadlock: false };
    }
    this.pto++;
    this.setLossDetectionTimer(now);
    return outcome;
  }

  /**
   * RFC 9002 §6.4 / A.11: the keys of Initial or Handshake were discarded. Its packets leave bytes in
   * flight and are returned (not lost: their frames need no retransmission); the timers are reset.
   */
  discardSpace(space: PacketNumberSpace, now: number): Array<SentPacket<F>> {
    if (space === 'application') {
      throw new RecoveryError(
        RecoveryErrorCode.INTERNAL_ERROR,
        'the application packet number space is never discarded',
      );
    }
    const st = this.spaces[space];
    if (st.discarded) return [];
    st.discarded = true;
    st.lossTime = undefined;
    st.skipped = NO_SKIPPED;
    const removed = st.history.clear();
    this.pto = 0;
    this.setLossDetectionTimer(now);
    return removed;
  }

  /**
   * RFC 9002 §6.4: packets whose keys were discarded while the space lives on, i.e. 0-RTT packets when
   * 0-RTT is rejected (RFC 9001 §4.6.2), leave bytes in flight without counting as lost (no congestion
   * signal). Returns the removed packets so the connection can resend their data in 1-RTT packets.
   */
  discardPackets(
    space: PacketNumberSpace,
    which: (packet: SentPacket<F>) => boolean,
    now: number,
  ): Array<SentPacket<F>> {
    const st = this.liveSpace(space, 'discard packets in');
    const removed: Array<SentPacket<F>> = [];
    st.history.removeWhere(st.history.largestSent, (p) => {
      if (!which(p)) return false;
      removed.push(p);
      return true;
    });
    // A pending loss time may have belonged to a removed packet; firing early only rescans.
    this.setLossDetectionTimer(now);
    return removed;
  }

  isDiscarded(space: PacketNumberSpace): boolean {
    return this.spaces[space].discarded;
  }

  // --- internals ---------------------------------------------------------------------------------

  private liveSpace(space: PacketNumberSpace, action: string): SpaceState<F> {
    const st = this.spaces[space];
    if (st.discarded) {
      throw new RecoveryError(RecoveryErrorCode.INTERNAL_ERROR, `cannot ${action} the discarded ${space} space`);
    }
    return st;
  }

  /**
   * RFC 9002 A.10 DetectAndRemoveLostPackets, plus the persistent congestion test of §7.6.2 over the
   * packets lost in this pass. Persistent congestion uses this space only, as §7.6.2 allows.
   */
  private detectAndRemoveLostPackets(st: SpaceState<F>, now: number): LossScan<F> {
    st.lossTime = undefined;
    const lost: Array<SentPacket<F>> = [];
    if (st.largestAcked < 0) return { lost, persistentCongestion: false };
    // RFC 9002 §6.1.2: kTimeThreshold * max(smoothed_rtt, latest_rtt), at least kGranularity.
    const lossDelay = Math.max(
      this.timeThreshold * Math.max(this.rtt.latestRtt, this.rtt.smoothedRtt),
      this.granularity,
    );
    const largestAcked = st.largestAcked;
    // RFC 9002 §7.6.1: (smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay) * threshold, with
    // max_ack_delay whatever the space.
    const pcDuration = this.ptoPeriod() * this.persistentCongestionThreshold;
    const firstSample = this.firstRttSampleTime;
    let persistentCongestion = false;
    let previousNumber: number | undefined;
    let runStart: number | undefined;
    st.history.removeWhere(largestAcked, (p) => {
      // A gap in the remaining history means a packet between was acknowledged (or skipped, or declared
      // lost earlier): a run of losses for §7.6.2 cannot span it.
      if (previousNumber !== undefined && p.packetNumber !== previousNumber + 1) runStart = undefined;
      previousNumber = p.packetNumber;
      // RFC 9002 §6.1.1 packet threshold / §6.1.2 time threshold.
      // The same sum as the loss timer below: with `now - lossDelay` instead, rounding could leave a packet
      // not lost at exactly the time its timer fires, and the timer would fire again forever.
      if (p.timeSent + lossDelay <= now || largestAcked >= p.packetNumber + this.packetThreshold) {
        lost.push(p);
        // RFC 9002 §7.6.2: between two ack-eliciting losses sent after the first RTT sample.
        if (p.ackEliciting && p.mtuProbe !== true && firstSample !== undefined && p.timeSent > firstSample) {
          if (runStart === undefined) runStart = p.timeSent;
          else if (p.timeSent - runStart > pcDuration) persistentCongestion = true;
        }
        return true;
      }
      runStart = undefined;
      const at = p.timeSent + lossDelay;
      st.lossTime = st.lossTime === undefined ? at : Math.min(st.lossTime, at);
      return false;
    });
    return { lost, persistentCongestion };
  }

  /** RFC 9002 B.8 OnPacketsLost: congestion event and persistent congestion. */
  private reportLost(scan: LossScan<F>, now: number): void {
    // RFC 9000 §14.4: a lost PMTU probe triggers no congestion control reaction.
    const inFlight = scan.lost.filter((p) => p.inFlight && p.mtuProbe !== true);
    if (inFlight.length > 0) this.congestion.onPacketsLost(inFlight, now);
    if (scan.persistentCongestion) {
      this.congestion.onPersistentCongestion(now);
      this.rtt.onPersistentCongestion();
    }
  }

  /** RFC 9002 A.8 GetLossTimeAndSpace. */
  private earliestLossTime(): { time: number; space: PacketNumberSpace } | undefined {
    let best: { time: number; space: PacketNumberSpace } | undefined;
    for (const space of PACKET_NUMBER_SPACES) {
      const t = this.spaces[space].lossTime;
      if (t !== undefined && (best === undefined || t < best.time)) best = { time: t, space };
    }
    return best;
  }

  /** RFC 9002 A.8 GetPtoTimeAndSpace; time is Infinity when no PTO applies. */
  private ptoTimeAndSpace(now: number): { time: number; space: PacketNumberSpace } {
    const backoff = 2 ** Math.min(this.pto, MAX_PTO_BACKOFF_EXPONENT);
    let duration = this.ptoBase() * backoff;
    if (this.ackElicitingInFlight() === 0) {
      // Anti-deadlock PTO (client, address not yet validated) counts from now.
      return { time: now + duration, space: this.hasHandshakeKeys() ? 'handshake' : 'initial' };
    }
    let best: { time: number; space: PacketNumberSpace } = { time: Infinity, space: 'initial' };
    for (const space of PACKET_NUMBER_SPACES) {
      const st = this.spaces[space];
      const last = st.history.timeOfLastAckEliciting;
      if (st.discarded || last === undefined) continue;
      if (space === 'application') {
        // RFC 9002 §6.2.1: no Application Data PTO before the handshake is confirmed; afterwards it
        // includes max_ack_delay (with the same backoff).
        if (!this.confirmed) return best;
        duration += this.maxAckDelay * backoff;
      }
      const t = last + duration;
      if (t < best.time) best = { time: t, space };
    }
    return best;
  }

  /** RFC 9002 A.6 SetLossDetectionTimer. */
  private setLossDetectionTimer(now: number): void {
    const loss = this.earliestLossTime();
    if (loss !== undefined) {
      this.timer = loss.time;
      return;
    }
    // RFC 9002 §6.2.2.1: a server blocked by the amplification limit must not arm the PTO: it could
    // not send the probe, and the client's anti-deadlock probe will unblock it.
    if (this.isServer && this.amplificationBlocked) {
      this.timer = undefined;
      return;
    }
    if (this.ackElicitingInFlight() === 0 && this.peerCompletedAddressValidation()) {
      this.timer = undefined;
      return;
    }
    const pto = this.ptoTimeAndSpace(now);
    this.timer = pto.time === Infinity ? undefined : pto.time;
  }

  /** RFC 9002 A.6 PeerCompletedAddressValidation. */
  private peerCompletedAddressValidation(): boolean {
    // Clients' addresses are validated by the server implicitly; the client knows the server has
    // validated its address once a Handshake packet is acknowledged or the handshake is confirmed.
    return this.isServer || this.handshakeAckReceived || this.confirmed;
  }

  private hasHandshakeKeys(): boolean {
    return this.handshakeKeys || this.spaces.initial.discarded;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  }
  return value;
}
