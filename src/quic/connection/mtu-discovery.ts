// Datagram Packetization Layer PMTU Discovery for one path (RFC 8899, as RFC 9000 §14.3 applies it to
// QUIC). The connection starts at BASE_PLPMTU (1200 bytes, what RFC 9000 §14 guarantees and the
// handshake confirmed), and once the handshake is confirmed probes larger sizes with PING + PADDING
// packets. Only this state machine decides sizes; the connection sends the probes and reports their fate.
//
// Search: the first probe tries the largest allowed size (on loopback or a jumbo-frame path one round
// trip finds it); after that a binary search between the largest size that worked and the smallest that
// failed, down to one byte, so the result is the path MTU itself. A size fails after MAX_PROBES lost
// probes (RFC 8899 §5.1.2), so the search costs at most MAX_PROBES * (1 + log2(range)) probes. When it is
// done, PMTU_RAISE_TIMER later the search runs again for a path that grew (RFC 8899 §5.1.1).
//
// When the search starts: RFC 9000 §14.3 lets it begin once the handshake is confirmed, and RFC 8899
// §5.2 leaves the time the PL moves from BASE to SEARCHING to the PL. A probe is a full-size datagram
// (up to 64 KiB on loopback) that is sealed, sent, received and acknowledged, which costs a connection
// that completes its handshake and closes, or stays idle, as much as a good part of the handshake itself
// and buys it nothing. So startDeferred() waits DEFAULT_MTU_SEARCH_DELAY_MS first; start() searches at
// once (the connection uses it when application data is already waiting, as a transfer is what larger
// datagrams speed up), and so does searchNow() on a deferred search. onApplicationData() calls it once the
// application has written more than MTU_SEARCH_TRIGGER_DATAGRAMS datagrams' worth: a transfer starts the
// search at once, but a small response does not (an MQTT CONNACK used to be followed by a 64 KiB probe on
// loopback, which the client then received and opened in the same batch as the CONNACK).
//
// Black holes (RFC 8899 §4.3, §5.2 "SEARCH_COMPLETE -> BASE"): a path that shrinks drops every packet
// above its new MTU. Several consecutive loss events that each lost a packet larger than the base, with no
// such packet acknowledged in between, fall back to the base size and search again below the old size.

/** RFC 8899 §5.1.2 MAX_PROBES: probes of one size lost before that size is taken as too large. */
export const DEFAULT_MTU_MAX_PROBES = 3;
/** RFC 8899 §5.1.1 PMTU_RAISE_TIMER: how long after a completed search to look for a larger MTU (ms). */
export const DEFAULT_MTU_RAISE_INTERVAL_MS = 600_000;
/** Loss events losing packets above the base size, with no large packet acknowledged, that mean a black hole. */
export const DEFAULT_MTU_BLACK_HOLE_LOSS_EVENTS = 3;
/** How long startDeferred() stays at the base size before the first probe (ms; see the top of this file). */
export const DEFAULT_MTU_SEARCH_DELAY_MS = 100;
/** Application bytes, in datagrams of the current size, that begin a deferred search early (onApplicationData). */
export const MTU_SEARCH_TRIGGER_DATAGRAMS = 2;

export interface MtuDiscoveryOptions {
  /** BASE_PLPMTU: the size every path supports (RFC 9000 §14: at least 1200). */
  baseSize: number;
  maxProbes?: number;
  raiseIntervalMs?: number;
  blackHoleLossEvents?: number;
  /** Delay of startDeferred() before the search begins (ms). */
  searchDelayMs?: number;
}

/** 'pending': startDeferred() was called and the search has not begun yet. */
export type MtuSearchState = 'disabled' | 'pending' | 'searching' | 'complete';

export class MtuDiscovery {
  readonly baseSize: number;
  private readonly maxProbes: number;
  private readonly raiseIntervalMs: number;
  private readonly blackHoleLossEvents: number;
  private readonly searchDelayMs: number;
  /** When a pending search begins. */
  private searchAt: number | undefined;
  /** Application bytes written while the search was pending (onApplicationData). */
  private pendingAppBytes = 0;
  /** PLPMTU: the largest datagram size confirmed on the path. */
  private currentSize: number;
  /** Largest size acknowledged in this search (the lower end of the search interval). */
  private low: number;
  /** Smallest size known (or assumed) too large: the exclusive upper end of the search interval. */
  private high: number;
  /** The upper limit set by start() (configured maximum and the peer's max_udp_payload_size). */
  private maxSize: number;
  /** The size being probed, and how many of its probes were lost. */
  private candidate: number | undefined;
  private candidateLosses = 0;
  /** A probe of `candidate` is in flight. */
  private probeInFlight = false;
  private searchState: MtuSearchState = 'disabled';
  /** When a completed search starts again (PMTU_RAISE_TIMER). */
  private raiseAt: number | undefined;
  private largeLossEvents = 0;
  /** A packet above the base size (not a probe) was sent since the last such packet was acknowledged. */
  private largeUnacked = false;

  constructor(o: MtuDiscoveryOptions) {
    this.baseSize = o.baseSize;
    this.maxProbes = o.maxProbes ?? DEFAULT_MTU_MAX_PROBES;
    this.raiseIntervalMs = o.raiseIntervalMs ?? DEFAULT_MTU_RAISE_INTERVAL_MS;
    this.blackHoleLossEvents = o.blackHoleLossEvents ?? DEFAULT_MTU_BLACK_HOLE_LOSS_EVENTS;
    this.searchDelayMs = o.searchDelayMs ?? DEFAULT_MTU_SEARCH_DELAY_MS;
    if (!(this.searchDelayMs >= 0)) throw new RangeError('searchDelayMs must be a non-negative number');
    this.currentSize = o.baseSize;
    this.low = o.baseSize;
    this.high = o.baseSize + 1;
    this.maxSize = o.baseSize;
  }

  /** The largest datagram to send on the path now (PLPMTU). */
  get current(): number {
    return this.currentSize;
  }

  get state(): MtuSearchState {
    return this.searchState;
  }


  /** Starts discovery up to `maxSize` now (after the handshake is confirmed, RFC 9000 §14.3). */
  start(maxSize: number): void {
    this.maxSize = Math.max(this.baseSize, maxSize);
    this.searchAt = undefined;
    this.beginSearch(this.currentSize, this.maxSize + 1);
  }

  /**
   * Starts discovery up to `maxSize` searchDelayMs after `now` (nextTimeout() reports when), or earlier
   * through searchNow(). Until then the path stays at the base size and nothing is probed.
   */
  startDeferred(maxSize: number, now: number): void {
    if (this.searchDelayMs === 0) {
      this.start(maxSize);
      return;
    }
    this.maxSize = Math.max(this.baseSize, maxSize);
    this.searchState = 'pending';
    this.pendingAppBytes = 0;
    this.candidate = undefined;
    this.probeInFlight = false;
    this.raiseAt = undefined;
    this.searchAt = now + this.searchDelayMs;
  }

  /**
   * The application wrote `bytes` of stream data: a pending search begins at once when, with what came
   * before, they fill more than MTU_SEARCH_TRIGGER_DATAGRAMS datagrams (see the top of this file).
   */
  onApplicationData(bytes: number): void {
    if (this.searchState !== 'pending') return;
    this.pendingAppBytes += bytes;
    if (this.pendingAppBytes > MTU_SEARCH_TRIGGER_DATAGRAMS * this.currentSize) this.searchNow();
  }

  /** Begins a pending (deferred) search at once; no effect in any other state. */
  searchNow(): void {
    if (this.searchState !== 'pending') return;
    this.searchAt = undefined;
    this.beginSearch(this.currentSize, this.maxSize + 1);
  }

  /** Back to the base size without searching (a new path: RFC 9000 §14.3, §9.4). */
  reset(): void {
    this.currentSize = this.baseSize;
    this.searchState = 'disabled';
    this.candidate = undefined;
    this.probeInFlight = false;
    this.raiseAt = undefined;
    this.searchAt = undefined;
    this.largeLossEvents = 0;
    this.largeUnacked = false;
  }

  /** The size of the probe to send now, if one is due. */
  probeSize(): number | undefined {
    if (this.searchState !== 'searching' || this.probeInFlight) return undefined;
    return this.candidate;
  }

  onProbeSent(size: number): void {
    if (size === this.candidate) this.probeInFlight = true;
  }

  /** A probe of `size` was acknowledged: the path carries it (RFC 8899 §5.2 "probe acknowledged"). Returns whether current() grew. */
  onProbeAcked(size: number, now: number): boolean {
    const grew = size > this.currentSize;
    if (grew) this.currentSize = size;
    if (size > this.low) this.low = size;
    if (this.high <= this.low) this.high = this.low + 1;
    this.largeLossEvents = 0;
    if (this.searchState === 'searching' && size === this.candidate) this.nextCandidate(now);
    return grew;
  }

  /** A probe of `size` was declared lost: no congestion signal (RFC 9000 §14.4), only a search step. */
  onProbeLost(size: number, now: number): void {
    if (this.searchState !== 'searching' || size !== this.candidate) return;
    this.probeInFlight = false;
    this.candidateLosses++;
    if (this.candidateLosses < this.maxProbes) return;
    this.high = Math.min(this.high, size);
    this.nextCandidate(now);
  }

  /** A packet larger than the base size (not a probe) was sent. */
  onLargePacketSent(): void {
    this.largeUnacked = true;
  }

  /** A packet larger than the base size (not a probe) was acknowledged: the current size works. */
  onLargePacketAcked(): void {
    this.largeLossEvents = 0;
    this.largeUnacked = false;
  }

  /**
   * A PTO expired. When every packet is lost no ACK declares anything lost, so a PTO while packets above
   * the base size went unacknowledged counts as a loss event too. Returns true on a black hole.
   */
  onProbeTimeout(): boolean {
    return this.largeUnacked && this.onLargePacketsLost();
  }

  /**
   * One loss event lost at least one non-probe packet larger than the base size. Returns true when this
   * makes a black hole (RFC 8899 §4.3): the size fell back to the base and a new search starts below the
   * size that stopped working.
   */
  onLargePacketsLost(): boolean {
    if (this.currentSize <= this.baseSize) return false;
    this.largeLossEvents++;
    if (this.largeLossEvents < this.blackHoleLossEvents) return false;
    const failed = this.currentSize;
    this.currentSize = this.baseSize;
    this.largeUnacked = false;
    this.beginSearch(this.baseSize, failed);
    return true;
  }

  /** The start of a deferred search, or the raise timer (RFC 8899 §5.1.1) when a completed search waits for it. */
  nextTimeout(): number | undefined {
    if (this.searchState === 'pending') return this.searchAt;
    return this.searchState === 'complete' ? this.raiseAt : undefined;
  }

  onTimeout(now: number): void {
    if (this.searchState === 'pending') {
      if (this.searchAt !== undefined && now >= this.searchAt) this.searchNow();
      return;
    }
    if (this.searchState !== 'complete' || this.raiseAt === undefined || now < this.raiseAt) return;
    this.beginSearch(this.currentSize, this.maxSize + 1);
  }

  private beginSearch(low: number, highExclusive: number): void {
    this.searchAt = undefined;
    this.low = low;
    this.high = highExclusive;
    this.largeLossEvents = 0;
    this.searchState = 'searching';
    this.candidate = undefined;
    this.probeInFlight = false;
    this.raiseAt = undefined;
    // The first probe tries the top of the interval; later ones bisect it.
    if (this.high - this.low > 1) this.setCandidate(this.high - 1);
    else this.complete(undefined);
  }

  private nextCandidate(now: number): void {
    if (this.high - this.low <= 1) {
      this.complete(now);
      return;
    }
    this.setCandidate(Math.floor((this.low + this.high) / 2));
  }

  private setCandidate(size: number): void {
    this.candidate = size;
    this.candidateLosses = 0;
    this.probeInFlight = false;
  }

  private complete(now: number | undefined): void {
    this.searchState = 'complete';
    this.candidate = undefined;
    this.probeInFlight = false;
    this.raiseAt = now !== undefined ? now + this.raiseIntervalMs : undefined;
  }
}
