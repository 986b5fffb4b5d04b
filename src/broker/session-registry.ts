// All sessions by client id: opening (clean start, resume, takeover), detaching a channel, expiry and
// delayed wills (MQTT 5.0 §3.1.2.4, §3.1.2.11, §3.1.3.2.2, §3.1.4).
import type { Logger } from 'pino';
import type { MqttConfig } from './config/types.js';
import type { BrokerMetrics } from './metrics.js';
import { SUBSCRIBER_SUFFIX_SEPARATOR, type Router } from './router/router.js';
import { Session, type SessionOutlet } from './session.js';
import type { Message } from './message.js';

/** A will as CONNECT carried it, ready to publish, with its delay. */
export interface WillSpec {
  message: Message;
  /** Will Delay Interval in ms (MQTT 5.0 §3.1.3.2.2). */
  delayMs: number;
  /** Seconds from the Message Expiry Interval will property, applied when the will is published. */
  expirySeconds?: number;
}

export interface OpenResult {
  session: Session;
  /** MQTT 5.0 §3.2.2.1.1 Session Present. */
  present: boolean;
}

export interface SessionRegistryDeps {
  mqtt: MqttConfig;
  router: Router;
  metrics: BrokerMetrics;
  logger: Logger;
  now: () => number;
  /** Publishes a will (ACL, retain and routing are the broker's business). */
  publishWill: (clientId: string, will: WillSpec) => void;
}

/** setTimeout's limit; longer expiries are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly pendingWills = new Map<string, { will: WillSpec; timer: NodeJS.Timeout }>();
  /** How many of `sessions` belong to MQTT over QUIC data streams (openDataStream; ids with the separator). */
  private dataStreamSessions = 0;

  constructor(private readonly deps: SessionRegistryDeps) {}

  /** Client sessions, connected and offline (the sessions of MQTT over QUIC data streams are not clients'). */
  get size(): number {
    return this.sessions.size - this.dataStreamSessions;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /**
   * Attaches a connection to the session of clientId. A connected previous client is disconnected first
   * (takeover); then clean start ends the old session, otherwise the session is resumed and a delayed
   * will is cancelled ("If a new Network Connection to this Session is made before the Will Delay
   * Interval has passed, the Server MUST NOT send the Will Message", MQTT 5.0 §3.1.3.2.2).
   */
  open(clientId: string, outlet: SessionOutlet, cleanStart: boolean, expiryMs: number): OpenResult {
    let existing = this.sessions.get(clientId);
    if (existing?.outlet) {
      existing.outlet.takeOver();
      existing = this.sessions.get(clientId);
    }
    let present = false;
    let session: Session;
    if (existing && !cleanStart) {
      session = existing;
      present = true;
      this.cancelWill(clientId);
    } else {
      if (existing) this.end(existing, 'clean start');
      session = this.newSession(clientId);
      this.sessions.set(clientId, session);
      this.deps.metrics.sessions.set(this.size);
    }
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    session.expiryMs = expiryMs;
    session.outlet = outlet;
    return { session, present };
  }

  /**
   * A session of its own for an MQTT over QUIC data stream (channel.ts): its subscriptions and QoS state
   * belong to the stream and end with it (expiry 0, no will), like EMQX's per-stream channels. `id` is
   * `<clientId>\u0000<n>`, which no client id can take (router.ts SUBSCRIBER_SUFFIX_SEPARATOR).
   */
  openDataStream(id: string, outlet: SessionOutlet): Session {
    const session = this.newSession(id);
    session.outlet = outlet;
    this.sessions.set(id, session);
    this.dataStreamSessions++;
    this.deps.metrics.sessions.set(this.size);
    return session;
  }

  /**
   * The connection of a session closed. With a will, it is published now or after its delay; the
   * session ends now (expiry 0) or when its expiry interval has passed.
   */
  detach(session: Session, will: WillSpec | undefined): void {
    session.outlet = undefined;
    // Nobody reads this queue now: publishers held by it must not wait for it to drain.
    session.releaseSources();
    if (this.sessions.get(session.clientId) !== session) return;
    if (will) {
      if (will.delayMs <= 0 || session.expiryMs === 0) this.deps.publishWill(session.clientId, will);
      else this.scheduleWill(session.clientId, will);
    }
    if (session.expiryMs === 0) {
      this.end(session, 'session expiry interval 0');
      return;
    }
    if (session.expiryMs !== Infinity) this.armExpiry(session, session.expiryMs);
  }

  /** Ends a session: a delayed will fires now (MQTT 5.0 §3.1.3.2.2), subscriptions go. */
  end(session: Session, why: string): void {
    if (this.sessions.get(session.clientId) !== session) return;
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    this.sessions.delete(session.clientId);
    if (session.clientId.includes(SUBSCRIBER_SUFFIX_SEPARATOR)) this.dataStreamSessions--;
    const pending = this.pendingWills.get(session.clientId);
    if (pending) {
      this.cancelWill(session.clientId);
      this.deps.publishWill(session.clientId, pending.will);
    }
    for (const sub of session.subscriptions.values()) this.deps.router.unsubscribe(session.clientId, sub.filter, sub.group);
    session.subscriptions.clear();
    const queued = session.queue.clear();
    session.releaseSources();
    this.deps.metrics.sessions.set(this.size);
    this.deps.metrics.subscriptions.set(this.deps.router.subscriptionCount);
    this.deps.logger.debug({ clientId: session.clientId, why, queued, dropped: session.dropped }, 'session ended');
  }

  private newSession(id: string): Session {
    const mqtt = this.deps.mqtt;
    return new Session(id, { maxQueueLength: mqtt.max_mqueue_len, overflow: mqtt.mqueue_overflow, storeQos0: mqtt.mqueue_store_qos0 }, (_s, _d, reason) =>
      this.deps.metrics.countDropped(reason),
    );
  }

  /** Ends every offline session and publishes every pending will: the broker is stopping. */
  endAll(why: string): void {
    for (const s of [...this.sessions.values()]) this.end(s, why);
  }

  private armExpiry(session: Session, ms: number): void {
    const step = Math.min(ms, MAX_TIMER_MS);
    session.expiryTimer = setTimeout(() => {
      if (ms > step) this.armExpiry(session, ms - step);
      else this.end(session, 'session expired');
    }, step);
  }

  private scheduleWill(clientId: string, will: WillSpec): void {
    this.cancelWill(clientId);
    const timer = setTimeout(() => {
      this.pendingWills.delete(clientId);
      this.deps.publishWill(clientId, will);
    }, Math.min(will.delayMs, MAX_TIMER_MS));
    this.pendingWills.set(clientId, { will, timer });
  }

  private cancelWill(clientId: string): void {
    const p = this.pendingWills.get(clientId);
    if (p) clearTimeout(p.timer);
    this.pendingWills.delete(clientId);
  }
}
