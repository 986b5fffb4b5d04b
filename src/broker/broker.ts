// The broker's composition root: builds the router, retained store, session registry, metrics and
// listeners; every listener hands connections to acceptConnection(), which gives each one a Channel.
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BrokerConfig } from './config/types.js';
import type { Authenticator, Authorizer } from './auth/types.js';
import type { ConnectionInfo } from './connection-info.js';
import type { BrokerContext } from './context.js';
import type { QoS } from '../mqtt/codec.js';
import { Channel } from './channel/channel.js';
import { BrokerMetrics } from './metrics.js';
import { Router } from './router/router.js';
import { RetainedStore } from './retained-store.js';
import { SessionRegistry, type WillSpec } from './session-registry.js';
import type { Message } from './message.js';
import { sysMessages } from './sys-topics.js';
import { QUICMQ_VERSION } from './version.js';
import { ReasonCode } from '../mqtt/reason-codes.js';
import type { Listener, ListenerAddress } from './listeners/listener.js';
import { createListeners, type QuicListenerFactory } from './listeners/create-listeners.js';
import { createQuicListener } from './listeners/quic-listener.js';
import { withGeneratedCertificates } from './certs/generated-listener-certs.js';

export type { ConnectionInfo, ListenerType } from './connection-info.js';
export type { ListenerAddress } from './listeners/listener.js';
export type { QuicListenerFactory } from './listeners/create-listeners.js';

export interface BrokerOptions {
  config: BrokerConfig;
  logger?: Logger;
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  /** Builds QUIC listeners (listeners.quic.*); defaults to quicmq's own QUIC stack (createQuicListener). */
  quicListenerFactory?: QuicListenerFactory;
  /** Randomness for the 'random' and 'sticky' shared-subscription strategies (tests inject their own). */
  random?: () => number;
}

/** How often in-flight retries, QoS 2 await_rel_timeout and retained expiry are checked. */
const HOUSEKEEPING_INTERVAL_MS = 1000;
/** A full retained store is reported at most this often. */
const RETAINED_FULL_WARN_INTERVAL_MS = 60_000;
/** stop() waits at most this long for closed connections to flush their last packets. */
const STOP_FLUSH_TIMEOUT_MS = 2000;

export class BrokerStateError extends Error {
  override readonly name = 'BrokerStateError';
  readonly code = 'BROKER_STATE';
}

export class Broker {
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly brokerMetrics = new BrokerMetrics();
  private readonly router: Router;
  private readonly retained: RetainedStore;
  private readonly sessions: SessionRegistry;
  private readonly ctx: BrokerContext;
  private readonly channels = new Set<Channel>();
  /** Channels by their transport stream: MQTT over QUIC data streams find their control channel here. */
  private readonly channelByStream = new WeakMap<Duplex, Channel>();
  private listeners: Listener[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private sysTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private connected = 0;
  private retainedFullWarnedAt = -Infinity;

  constructor(private readonly opts: BrokerOptions) {
    this.config = opts.config;
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.router = new Router({
      strategy: this.config.mqtt.shared_subscription_strategy,
      isOnline: (clientId) => this.sessions.get(clientId)?.online === true,
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.retained = new RetainedStore(this.config.mqtt.max_retained_messages, this.config.mqtt.max_retained_bytes);
    this.sessions = new SessionRegistry({
      mqtt: this.config.mqtt,
      router: this.router,
      metrics: this.brokerMetrics,
      logger: this.logger,
      now: () => Date.now(),
      publishWill: (clientId, will) => this.publishWill(clientId, will),
    });
    const broker = this;
    this.ctx = {
      config: this.config,
      logger: this.logger,
      metrics: this.brokerMetrics,
      router: this.router,
      retained: this.retained,
      sessions: this.sessions,
      authenticator: opts.authenticator,
      authorizer: opts.authorizer,
      now: () => Date.now(),
      publish: (m) => broker.publish(m),
      onChannelConnected: () => {
        broker.connected++;
      },
      onChannelClosed: (ch, wasConnected) => {
        broker.channels.delete(ch);
        // A data stream is part of its connection, counted once (by its control channel).
        if (ch.isDataStream) return;
        if (wasConnected) broker.connected--;
        broker.brokerMetrics.connections.dec({ listener: ch.info.listener });
      },
    };
  }

  /** The broker's own Prometheus registry (never prom-client's global one). */
  get metrics(): Registry {
    return this.brokerMetrics.registry;
  }

  /** Binds every enabled listener; if one fails, the others are closed and the error is thrown. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new BrokerStateError(`start() called on a ${this.state} broker`);
    this.state = 'starting';
    try {
      // QUIC listeners with empty keyfile/certfile get a generated CA + server certificate in
      // node.data_dir/certs (the embedded default); only the listeners see the filled-in paths.
      const listenerConfig = withGeneratedCertificates(this.config, { logger: this.logger });
      this.listeners = createListeners(listenerConfig, {
          accept: (s, i) => this.acceptConnection(s, i),
          logger: this.logger,
          maxPacketSize: this.config.mqtt.max_packet_size,
          handshakeTimeoutMs: this.config.mqtt.idle_timeout,
          quicMetrics: this.brokerMetrics.quic,
        }, this.opts.quicListenerFactory ?? createQuicListener);
      for (const l of this.listeners) await l.start();
    } catch (e) {
      await Promise.all(this.listeners.map((l) => l.stop()));
      this.state = 'stopped';
      throw e;
    }
    this.housekeepingTimer = setInterval(() => this.housekeeping(), HOUSEKEEPING_INTERVAL_MS);
    if (this.config.sys_topics.enabled) {
      this.publishSys();
      this.sysTimer = setInterval(() => this.publishSys(), this.config.sys_topics.sys_msg_interval);
    }
    this.state = 'running';
    for (const a of this.listenerAddresses()) this.logger.info(a, 'listening');
  }

  /**
   * Stops accepting, disconnects every client (5.0: DISCONNECT 0x8B Server shutting down), publishes
   * the wills of those clients and of pending delayed wills (the server closing is not a normal
   * client disconnect, MQTT 5.0 §3.1.2.5), ends all sessions and resolves once connections are closed.
   */
  async stop(opts: { reason?: string } = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    const reason = opts.reason ?? 'server shutting down';
    // Stop accepting first; a listener's stop() resolves once its open connections are gone too,
    // so it is awaited after the channels are closed.
    const listenersStopped = Promise.all(this.listeners.map((l) => l.stop()));
    clearInterval(this.housekeepingTimer);
    clearInterval(this.sysTimer);
    const streams = [...this.channels].map((c) => c.stream);
    for (const ch of [...this.channels]) ch.close({ reason, disconnectCode: ReasonCode.ServerShuttingDown, publishWill: true });
    this.sessions.endAll('broker stopped');
    await Promise.race([
      Promise.all(streams.map((s) => (s.destroyed ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r()))))),
      new Promise<void>((r) => setTimeout(r, STOP_FLUSH_TIMEOUT_MS).unref()),
    ]);
    for (const s of streams) s.destroy();
    await listenersStopped;
    this.state = 'stopped';
    this.logger.info({ reason }, 'broker stopped');
  }

  listenerAddresses(): ListenerAddress[] {
    return this.listeners.map((l) => l.address()).filter((a): a is ListenerAddress => a !== undefined);
  }

  /** How every listener (tcp, ssl, ws, wss, quic) hands a connection to the core. */
  acceptConnection(stream: Duplex, info: ConnectionInfo): void {
    if (this.state !== 'running' && this.state !== 'starting') {
      stream.destroy();
      return;
    }
    if (info.controlStream !== undefined) {
      const control = this.channelByStream.get(info.controlStream);
      if (control === undefined || control.state === 'closed') {
        stream.destroy();
        return;
      }
      this.channels.add(new Channel(this.ctx, stream, info, control));
      return;
    }
    this.brokerMetrics.connections.inc({ listener: info.listener });
    this.brokerMetrics.connectionsTotal.inc({ listener: info.listener });
    this.brokerMetrics.connectionsEver++;
    const channel = new Channel(this.ctx, stream, info);
    this.channels.add(channel);
    this.channelByStream.set(stream, channel);
  }

  /** Stores (when retained) and routes a message to every matching session; returns how many. */
  private publish(message: Message): number {
    if (message.retain && this.config.mqtt.retain_available) {
      const now = Date.now();
      const result = this.retained.set(message, now);
      if (result === 'full') {
        // One warning per interval, not one per PUBLISH: a client retaining in a loop must not flood the log.
        if (now - this.retainedFullWarnedAt >= RETAINED_FULL_WARN_INTERVAL_MS) {
          this.retainedFullWarnedAt = now;
          this.logger.warn(
            { topic: message.topic, count: this.retained.count, bytes: this.retained.bytes, max_retained_messages: this.config.mqtt.max_retained_messages, max_retained_bytes: this.config.mqtt.max_retained_bytes },
            'retained store full (max_retained_messages / max_retained_bytes); new retained messages are routed but not stored',
          );
        }
      }
      this.brokerMetrics.retained.set(this.retained.count);
    }
    const targets = this.router.match(message.topic, message.publisher);
    for (const t of targets) {
      const session = this.sessions.get(t.clientId);
      if (!session) {
        this.brokerMetrics.countDropped('no_session');
        continue;
      }
      session.deliver({
        message,
        qos: Math.min(message.qos, t.qos) as QoS,
        // MQTT 5.0 §3.3.1.3: RETAIN is kept only for Retain As Published subscriptions.
        retain: t.retainAsPublished ? message.retain : false,
        subscriptionIds: t.subscriptionIds,
      });
    }
    return targets.length;
  }

  private publishWill(clientId: string, will: WillSpec): void {
    const message: Message = { ...will.message };
    // MQTT 5.0 §3.1.3.2.4: the will's Message Expiry Interval starts when it is published.
    if (will.expirySeconds !== undefined) message.expiresAt = Date.now() + will.expirySeconds * 1000;
    this.logger.debug({ clientId, topic: message.topic }, 'publishing will');
    this.publish(message);
  }

  private housekeeping(): void {
    const now = Date.now();
    for (const ch of this.channels) ch.retryInflight(now);
    const awaitRel = this.config.mqtt.await_rel_timeout;
    if (awaitRel > 0) {
      for (const s of this.sessions.values()) {
        for (const [id, at] of s.awaitingRel) if (now - at >= awaitRel) s.awaitingRel.delete(id);
      }
    }
    this.retained.sweep(now);
    this.brokerMetrics.retained.set(this.retained.count);
  }

  private publishSys(): void {
    const m = this.brokerMetrics;
    for (const msg of sysMessages({
      clientsConnected: this.connected,
      clientsTotal: this.sessions.size,
      messagesReceived: m.received,
      messagesSent: m.sent,
      messagesDropped: m.dropped,
      uptimeSeconds: Math.floor((Date.now() - this.startedAt) / 1000),
      version: QUICMQ_VERSION,
      subscriptions: this.router.subscriptionCount,
      retained: this.retained.count,
    })) {
      this.publish(msg);
    }
  }
}
