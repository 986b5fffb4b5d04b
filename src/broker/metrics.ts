// The broker's Prometheus metrics, in a registry of its own (never the global one) so several brokers
// can live in one process and the /metrics server exposes exactly these.
import { Counter, Gauge, Registry } from 'prom-client';

export type DropReason = 'queue_full' | 'expired' | 'too_large' | 'no_session' | 'not_authorized' | 'qos0_offline';

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'quicmq_connections', help: 'Open client connections', labelNames: ['listener'] as const, registers: [this.registry] });
  readonly connectionsTotal = new Counter({ name: 'quicmq_connections_total', help: 'Client connections accepted', labelNames: ['listener'] as const, registers: [this.registry] });
  readonly messagesReceived = new Counter({ name: 'quicmq_messages_received_total', help: 'PUBLISH packets received from clients', labelNames: ['qos'] as const, registers: [this.registry] });
  readonly messagesSent = new Counter({ name: 'quicmq_messages_sent_total', help: 'PUBLISH packets sent to clients', labelNames: ['qos'] as const, registers: [this.registry] });
  readonly messagesDropped = new Counter({ name: 'quicmq_messages_dropped_total', help: 'Messages not delivered to a session', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly bytesReceived = new Counter({ name: 'quicmq_bytes_received_total', help: 'Bytes received from clients', registers: [this.registry] });
  readonly bytesSent = new Counter({ name: 'quicmq_bytes_sent_total', help: 'Bytes sent to clients', registers: [this.registry] });
  readonly sessions = new Gauge({ name: 'quicmq_sessions', help: 'Sessions (connected and offline)', registers: [this.registry] });
  readonly subscriptions = new Gauge({ name: 'quicmq_subscriptions', help: 'Subscriptions', registers: [this.registry] });
  readonly retained = new Gauge({ name: 'quicmq_retained_messages', help: 'Retained messages (excluding $SYS)', registers: [this.registry] });

  /** Totals kept as plain numbers too, for $SYS topics (reading prom-client values is async). */
  received = 0;
  sent = 0;
  dropped = 0;
  connectionsEver = 0;

  countReceived(qos: number): void {
    this.received++;
    this.messagesReceived.inc({ qos: String(qos) });
  }

  countSent(qos: number): void {
    this.sent++;
    this.messagesSent.inc({ qos: String(qos) });
  }

  countDropped(reason: DropReason, n = 1): void {
    this.dropped += n;
    this.messagesDropped.inc({ reason }, n);
  }
}
