// The latency spin bit of one network path (RFC 9000 §17.4): the server echoes the bit of the client's
// newest 1-RTT packet and the client inverts the server's, so the bit flips once per round trip and an
// on-path observer can measure the RTT from the flips alone.

/** RFC 9000 §17.4: "at least one in every 16 network paths" must have the spin bit disabled. */
export const SPIN_DISABLED_ONE_IN = 16;

export class PathSpin {
  private value: 0 | 1 = 0;
  /** RFC 9000 §17.4: the highest packet number seen from the peer on this path. */
  private largestReceived = -1;
  /** The connection ID the last packet on this path was sent to (by reference: peer IDs are stored once). */
  private lastCid: Uint8Array | undefined;

  /**
   * `enabled` false: the bit carries no signal; it is `disabledValue`, redrawn for each new connection ID
   * (RFC 9000 §17.4 recommends a random value per packet or per connection ID).
   */
  constructor(
    readonly enabled: boolean,
    private disabledValue: 0 | 1,
    /** The connection's randomness (shared, not a closure per path: idle connections are many). */
    private readonly random: (n: number) => Uint8Array,
  ) {}

  /** A 1-RTT packet from the peer was authenticated on this path (RFC 9000 §17.4). */
  onPacketReceived(packetNumber: number, spinBit: 0 | 1, isServer: boolean): void {
    if (packetNumber <= this.largestReceived) return;
    this.largestReceived = packetNumber;
    // Incoming values are ignored while disabled (RFC 9000 §17.4: "MUST ignore any incoming value").
    if (this.enabled) this.value = isServer ? spinBit : spinBit === 1 ? 0 : 1;
  }

  /** The bit for a 1-RTT packet sent to `dcid` on this path. */
  bitFor(dcid: Uint8Array): 0 | 1 {
    if (dcid !== this.lastCid) {
      if (this.lastCid !== undefined) {
        // RFC 9000 §17.4: "An endpoint resets the spin value for a network path to 0 when changing the
        // connection ID being used on that network path." A new ID must not be linkable by its bit either.
        this.value = 0;
        this.disabledValue = (this.random(1)[0]! & 1) as 0 | 1;
      }
      this.lastCid = dcid;
    }
    return this.enabled ? this.value : this.disabledValue;
  }
}

/**
 * The spin bit state for a new path: enabled when the configuration allows it, except on a random one in
 * SPIN_DISABLED_ONE_IN paths (RFC 9000 §17.4), so that connections without the signal are common.
 */
export function newPathSpin(allowed: boolean, random: (n: number) => Uint8Array): PathSpin {
  const r = random(1)[0]!;
  const enabled = allowed && r % SPIN_DISABLED_ONE_IN !== 0;
  return new PathSpin(enabled, (r >> 7) as 0 | 1, random);
}
