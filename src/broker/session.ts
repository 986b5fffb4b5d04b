// A session outlives its connections (MQTT 5.0 §4.1): subscriptions, QoS 1/2 state in both directions
// and the queue of messages waiting for the client.
import { BoundedQueue, type OverflowPolicy } from './message-queue.js';
import type { Delivery, MessageSource, SourceHolder } from './message.js';
import type { SubscriptionOptions } from './router/router.js';

/** A subscription as the session remembers it: the filter as sent and, for $share, its parts. */
export interface StoredSubscription {
  filter: string;
  group?: string;
  options: SubscriptionOptions;
}

/** An outgoing QoS 1/2 message not yet acknowledged (MQTT 5.0 §4.3.2-3). */
export interface InflightEntry {
  packetId: number;
  delivery: Delivery;
  /** 'publish': PUBLISH sent, waiting for PUBACK/PUBREC; 'pubrel': PUBREL sent, waiting for PUBCOMP. */
  phase: 'publish' | 'pubrel';
  sentAt: number;
}

/** The connected side of a session: the channel of the client currently attached. */
export interface SessionOutlet {
  /** Sends now or queues in the session; never blocks. */
  offer(delivery: Delivery): void;
  /** Closes the connection because a new one took the session over (MQTT 5.0 §3.1.4 step 2). */
  takeOver(): void;
  /** The connection's own message source: never held by its own session (it could not drain). */
  readonly source?: MessageSource;
}

export interface SessionLimits {
  maxQueueLength: number;
  overflow: OverflowPolicy;
  storeQos0: boolean;
  /**
   * Queue length (client connected) from which the session holds the sources of further messages,
   * and the length at or below which it releases them (channel/publisher-flow.ts). Defaults: half and
   * a quarter of maxQueueLength.
   */
  queueHighWater?: number;
  queueLowWater?: number;
}

/** Default high- and low-water marks as fractions of the queue's capacity. */
const DEFAULT_HIGH_WATER_FRACTION = 0.5;
const DEFAULT_LOW_WATER_FRACTION = 0.25;

/** MQTT 5.0 §2.2.1: packet identifiers are 1..65535. */
const MAX_PACKET_ID = 65535;

export class Session implements SourceHolder {
  readonly subscriptions = new Map<string, StoredSubscription>();
  readonly inflight = new Map<number, InflightEntry>();
  /** Incoming QoS 2 packet ids received and PUBREC'd, awaiting PUBREL, with their arrival time. */
  readonly awaitingRel = new Map<number, number>();
  readonly queue: BoundedQueue<Delivery>;
  outlet: SessionOutlet | undefined;
  /** Session Expiry Interval in ms (MQTT 5.0 §3.1.2.11); Infinity = never. */
  expiryMs = 0;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Messages this session lost to queue overflow or expiry. */
  dropped = 0;
  private nextPacketId = 1;
  private readonly highWater: number;
  private readonly lowWater: number;
  /** Sources this session holds back because its queue is above the high-water mark. */
  private heldSources: Set<MessageSource> | undefined; // made on the first hold: most sessions never hold
  /** A hold expired: hold nothing more until the queue has drained to the low-water mark. */
  private holdsSuspended = false;

  constructor(
    readonly clientId: string,
    private readonly limits: SessionLimits,
    private readonly onDrop: (session: Session, delivery: Delivery, reason: 'queue_full' | 'qos0_offline') => void,
  ) {
    this.queue = new BoundedQueue<Delivery>(limits.maxQueueLength, limits.overflow);
    const capacity = Math.max(0, limits.maxQueueLength);
    this.highWater = Math.min(capacity, limits.queueHighWater ?? Math.max(1, Math.ceil(capacity * DEFAULT_HIGH_WATER_FRACTION)));
    this.lowWater = Math.min(this.highWater - 1, limits.queueLowWater ?? Math.floor(capacity * DEFAULT_LOW_WATER_FRACTION));
  }

  /** Number of sources this session holds (see channel/publisher-flow.ts). */
  get heldSourceCount(): number {
    return this.heldSources?.size ?? 0;
  }

  get online(): boolean {
    return this.outlet !== undefined;
  }

  /** Hands a message to the connected client, or queues it for later (bounded). */
  deliver(delivery: Delivery): void {
    if (this.outlet) {
      this.outlet.offer(delivery);
      return;
    }
    this.enqueue(delivery, false);
  }

  /** Queues a delivery, applying the overflow policy; online = the client is connected but busy. */
  enqueue(delivery: Delivery, online: boolean): void {
    if (!online && delivery.qos === 0 && !this.limits.storeQos0) {
      this.dropped++;
      this.onDrop(this, delivery, 'qos0_offline');
      return;
    }
    const dropped = this.queue.push(delivery);
    if (dropped) {
      this.dropped++;
      this.onDrop(this, dropped, 'queue_full');
    }
    // Backpressure: a connected client that is behind slows down the connections feeding it, so a
    // sustained flood is not dropped by the overflow policy (channel/publisher-flow.ts). An offline
    // session never holds anyone: it could not drain.
    const source = delivery.message.source;
    if (online && source && !this.holdsSuspended && this.highWater > 0 && this.queue.length >= this.highWater && source !== this.outlet?.source && !this.heldSources?.has(source)) {
      (this.heldSources ??= new Set()).add(source);
      source.hold(this);
    }
  }

  /** Takes the oldest queued delivery; releases held sources once the queue is at the low-water mark. */
  dequeue(): Delivery | undefined {
    const delivery = this.queue.shift();
    if (this.queue.length <= this.lowWater && (this.heldSourceCount > 0 || this.holdsSuspended)) this.releaseSources();
    return delivery;
  }

  /** Lets every held source go (queue drained, client gone or session ended). */
  releaseSources(): void {
    this.holdsSuspended = false;
    if (!this.heldSources || this.heldSources.size === 0) return;
    const sources = [...this.heldSources];
    this.heldSources.clear();
    for (const s of sources) s.release(this);
  }

  /** SourceHolder: the source let go by itself (channel closed, or the hold lasted too long). */
  dropSource(source: MessageSource, suspend: boolean): void {
    this.heldSources?.delete(source);
    if (suspend) this.holdsSuspended = true;
  }

  /** A free packet identifier for an outgoing QoS 1/2 PUBLISH, or undefined if all are in use. */
  allocatePacketId(): number | undefined {
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      const id = this.nextPacketId;
      this.nextPacketId = id === MAX_PACKET_ID ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
    return undefined;
  }
}
