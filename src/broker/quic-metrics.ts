// Prometheus metrics of the broker's QUIC listeners: what each UDP endpoint received, sent, dropped and
// answered statelessly, how handshakes and connections ended, and the packet, loss and migration counters
// of its connections. The QUIC stack keeps plain counters (EndpointStats, ConnectionTotals); they are read
// once per scrape, when prom-client collects, so the packet paths pay nothing for metrics.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EndpointStats } from '../quic/endpoint/endpoint-core.js';
import { CLOSE_REASONS, type ConnectionTotals } from '../quic/endpoint/connection-totals.js';

/** One QUIC listener's figures at one moment. */
export interface QuicListenerSnapshot {
  endpoint: Readonly<EndpointStats>;
  datagramsSent: number;
  sendErrors: number;
  /** QUIC connections open, handshaking ones included (quicmq_connections counts MQTT connections). */
  connections: number;
  handshaking: number;
  totals: ConnectionTotals;
}

type Source = () => QuicListenerSnapshot | undefined;
type Labels = Record<string, string>;

/** Datagrams the endpoint dropped without a connection to give them to, by reason (EndpointStats). */
const DROP_REASONS: ReadonlyArray<[string, (e: Readonly<EndpointStats>) => number]> = [
  ['malformed', (e) => e.malformedDropped],
  ['unroutable', (e) => e.unroutableDropped],
  ['short_initial', (e) => e.shortInitialDropped],
  ['short_dcid', (e) => e.shortDcidDropped],
  ['handshake_limit', (e) => e.handshakeLimitDropped],
];

/** Packets the endpoint sent for no connection (RFC 9000 §6, §8.1.2, §10.3; max_connections refusals). */
const STATELESS_TYPES: ReadonlyArray<[string, (e: Readonly<EndpointStats>) => number]> = [
  ['version_negotiation', (e) => e.versionNegotiationsSent],
  ['retry', (e) => e.retriesSent],
  ['stateless_reset', (e) => e.statelessResetsSent],
  ['connection_refused', (e) => e.refusedConnections],
  ['invalid_token', (e) => e.invalidTokenClosesSent],
];

/** Handshake durations, seconds: loopback is around a millisecond, intercontinental paths a few hundred. */
const HANDSHAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class QuicMetrics {
  /** Server-side time from a connection's first Initial to its handshake's completion. */
  readonly handshakeDuration: Histogram<'listener'>;
  private readonly sources = new Map<string, Source>();
  /** Snapshots taken for the scrape in progress (every collect() of one scrape runs in the same turn). */
  private taken: Map<string, QuicListenerSnapshot> | undefined;

  constructor(registry: Registry) {
    const perListener = (name: string, help: string, read: (s: QuicListenerSnapshot) => number): void => {
      this.counter(registry, name, help, [], (s, set) => set({}, read(s)));
    };
    this.gauge(registry, 'quicmq_quic_connections', 'Open QUIC connections, handshaking ones included', (s) => s.connections);
    this.gauge(registry, 'quicmq_quic_handshakes_in_progress', 'QUIC handshakes in progress', (s) => s.handshaking);
    this.counter(registry, 'quicmq_quic_handshakes_total', 'QUIC handshakes by outcome (failed: the connection ended first)', ['outcome'], (s, set) => {
      set({ outcome: 'completed' }, s.endpoint.handshakesCompleted);
      set({ outcome: 'failed' }, s.endpoint.handshakesFailed);
    });
    this.counter(registry, 'quicmq_quic_early_data_total', 'Handshakes that offered 0-RTT, by the server answer', ['outcome'], (s, set) => {
      set({ outcome: 'accepted' }, s.endpoint.earlyDataAccepted);
      set({ outcome: 'rejected' }, s.endpoint.earlyDataRejected);
    });
    this.counter(registry, 'quicmq_quic_connections_closed_total', 'QUIC connections ended, by reason', ['reason'], (s, set) => {
      for (const r of CLOSE_REASONS) set({ reason: r }, s.endpoint.closes[r]);
    });
    perListener('quicmq_quic_datagrams_received_total', 'UDP datagrams received by QUIC listeners', (s) => s.endpoint.datagramsReceived);
    perListener('quicmq_quic_datagrams_sent_total', 'UDP datagrams sent by QUIC listeners', (s) => s.datagramsSent);
    perListener('quicmq_quic_send_errors_total', 'UDP sends the kernel refused (the datagram is lost and recovered by QUIC)', (s) => s.sendErrors);
    this.counter(registry, 'quicmq_quic_datagrams_dropped_total', 'UDP datagrams dropped before reaching a connection, by reason', ['reason'], (s, set) => {
      for (const [reason, read] of DROP_REASONS) set({ reason }, read(s.endpoint));
    });
    this.counter(registry, 'quicmq_quic_stateless_packets_total', 'Packets sent for no connection, by type', ['type'], (s, set) => {
      for (const [type, read] of STATELESS_TYPES) set({ type }, read(s.endpoint));
    });
    perListener('quicmq_quic_stateless_packets_suppressed_total', 'Stateless answers withheld by their rate limit', (s) => s.endpoint.responsesSuppressed);
    perListener('quicmq_quic_internal_errors_total', 'QUIC connections closed with INTERNAL_ERROR after a fault of their own', (s) => s.endpoint.connectionFailures);
    perListener('quicmq_quic_packets_sent_total', 'QUIC packets sent', (s) => s.totals.packetsSent);
    perListener('quicmq_quic_packets_received_total', 'QUIC packets received and authenticated', (s) => s.totals.packetsReceived);
    perListener('quicmq_quic_packets_lost_total', 'QUIC packets declared lost (RFC 9002 §6.1)', (s) => s.totals.packetsLost);
    perListener('quicmq_quic_probe_timeouts_total', 'QUIC probe timeouts (RFC 9002 §6.2)', (s) => s.totals.probeTimeouts);
    perListener('quicmq_quic_path_migrations_total', 'QUIC connections moved to a new client address (migration, NAT rebinding)', (s) => s.totals.pathMigrations);
    perListener('quicmq_quic_key_updates_total', 'QUIC 1-RTT key updates (RFC 9001 §6)', (s) => s.totals.keyUpdates);
    this.handshakeDuration = new Histogram({
      name: 'quicmq_quic_handshake_duration_seconds',
      help: 'QUIC handshakes, from the first Initial to completion (server side)',
      labelNames: ['listener'] as const,
      buckets: HANDSHAKE_BUCKETS,
      registers: [registry],
    });
  }

  /** Adds a listener's figures to the metrics (labelled listener=<id>), read at each scrape. */
  register(listener: string, source: Source): void {
    this.sources.set(listener, source);
  }

  /** Every registered listener's snapshot, taken once per scrape. */
  private snapshots(): Map<string, QuicListenerSnapshot> {
    if (this.taken !== undefined) return this.taken;
    const taken = new Map<string, QuicListenerSnapshot>();
    for (const [id, source] of this.sources) {
      const s = source();
      if (s !== undefined) taken.set(id, s);
    }
    this.taken = taken;
    setImmediate(() => (this.taken = undefined));
    return taken;
  }

  private counter(registry: Registry, name: string, help: string, labels: string[], fill: (s: QuicListenerSnapshot, set: (l: Labels, v: number) => void) => void): void {
    const metrics = this;
    new Counter({
      name,
      help,
      labelNames: ['listener', ...labels],
      registers: [registry],
      collect() {
        this.reset();
        for (const [listener, s] of metrics.snapshots()) fill(s, (l, v) => this.inc({ listener, ...l }, v));
      },
    });
  }

  private gauge(registry: Registry, name: string, help: string, read: (s: QuicListenerSnapshot) => number): void {
    const metrics = this;
    new Gauge({
      name,
      help,
      labelNames: ['listener'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [listener, s] of metrics.snapshots()) this.set({ listener }, read(s));
      },
    });
  }
}
