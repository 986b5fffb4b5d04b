// Optimistic ACK defence (RFC 9000 §21.4): a sender that never sends some packet numbers can catch a peer
// acknowledging packets it did not receive, which a peer does to inflate the congestion window. The
// connection skips one 1-RTT packet number now and then and tells loss detection, which closes the
// connection with PROTOCOL_VIOLATION when an ACK covers it (recovery/ack-validation.ts).
//
// Spacing: after a random number of packets in [period/2, 3*period/2), so a peer cannot predict the gap;
// the period starts small, so short connections are checked too, and doubles after each skip up to a
// maximum, so a long transfer skips about once per PN_SKIP_MAX_PERIOD packets. A skipped number looks
// like one lost packet to the peer, which answers with an immediate ACK (RFC 9000 §13.2.1): the cost of a
// skip is one ACK. quic-go spaces its skips the same way.

/** Packets before the first skip are drawn from [PERIOD/2, 3*PERIOD/2). */
export const PN_SKIP_INITIAL_PERIOD = 32;
/** The period doubles after each skip up to this. */
export const PN_SKIP_MAX_PERIOD = 4096;

export class PacketNumberSkipper {
  private period: number;
  private untilSkip: number;

  constructor(
    private readonly random: (n: number) => Uint8Array,
    initialPeriod = PN_SKIP_INITIAL_PERIOD,
    private readonly maxPeriod = PN_SKIP_MAX_PERIOD,
  ) {
    this.period = initialPeriod;
    this.untilSkip = this.draw();
  }

  /** A packet number was used; returns true when the next one is to be skipped. */
  onPacketNumberUsed(): boolean {
    if (--this.untilSkip > 0) return false;
    this.period = Math.min(this.period * 2, this.maxPeriod);
    this.untilSkip = this.draw();
    return true;
  }

  /** Uniform in [period/2, 3*period/2), at least 1. */
  private draw(): number {
    const r = this.random(2);
    const u = ((r[0]! << 8) | r[1]!) / 65536;
    return Math.max(1, Math.floor(this.period / 2 + u * this.period));
  }
}
