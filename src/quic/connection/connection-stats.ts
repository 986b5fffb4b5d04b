// Per-connection counters, for applications, logs and metrics (quinn's ConnectionStats, msquic's
// QUIC_STATISTICS_V2, quic-go's ConnectionState play the same part). Plain integers bumped on the hot
// paths; the snapshot with the recovery state (RFC 9002 §5, §7) is built only when asked.

/** A snapshot of one connection's counters and recovery state. Counters only grow. */
export interface ConnectionStats {
  /** UDP datagrams and their payload bytes sent; coalesced packets (RFC 9000 §12.2) make one datagram. */
  datagramsSent: number;
  bytesSent: number;
  /** UDP datagrams and bytes handed to the connection, whatever became of them. */
  datagramsReceived: number;
  bytesReceived: number;
  /** QUIC packets sent, PMTU probes included. */
  packetsSent: number;
  /** Packets that passed packet protection (RFC 9001 §5) and were not duplicates. */
  packetsReceived: number;
  /** Packets loss detection declared lost (RFC 9002 §6.1); PMTU probes are not counted (RFC 9000 §14.4). */
  packetsLost: number;
  /** Probe timeouts that fired (RFC 9002 §6.2), over the connection's life. */
  probeTimeouts: number;
  /** RFC 9002 §5, milliseconds; before the first sample, smoothed is the initial RTT and min/latest are 0. */
  smoothedRttMs: number;
  minRttMs: number;
  latestRttMs: number;
  rttVarianceMs: number;
  /** RFC 9002 §7, bytes. */
  congestionWindow: number;
  bytesInFlight: number;
  /** The largest datagram the current path carries (DPLPMTUD, RFC 8899), bytes. */
  pathMtu: number;
  /** 1-RTT key updates (RFC 9001 §6), either side's. */
  keyUpdates: number;
  /** Times the connection moved to a new path (peer migration or NAT rebinding, RFC 9000 §9). */
  pathMigrations: number;
  /** From the connection's creation to the handshake's completion (RFC 9001 §4.1.1); undefined before. */
  handshakeMs: number | undefined;
}

/** The counters a connection bumps itself; the rest of ConnectionStats is read from recovery state. */
export class ConnectionCounters {
  datagramsSent = 0;
  bytesSent = 0;
  datagramsReceived = 0;
  bytesReceived = 0;
  packetsSent = 0;
  packetsReceived = 0;
  packetsLost = 0;
  probeTimeouts = 0;
  pathMigrations = 0;
  handshakeMs: number | undefined;

  constructor(readonly createdAt: number) {}

  onDatagramSent(bytes: number): void {
    this.datagramsSent++;
    this.bytesSent += bytes;
  }

  onDatagramReceived(bytes: number): void {
    this.datagramsReceived++;
    this.bytesReceived += bytes;
  }

  onHandshakeComplete(now: number): void {
    this.handshakeMs ??= Math.max(0, now - this.createdAt);
  }
}
