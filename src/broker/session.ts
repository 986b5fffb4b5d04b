// A session outlives its connections (MQTT 5.0 §4.1): subscriptions, QoS 1/2 state in both directions
// and the queue of messages waiting for the client.
import { BoundedQueue, type OverflowPolicy } from './message-queue.js';
import type { Delivery } from './message.js';
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
}

export interface SessionLimits {
  maxQueueLength: number;
  overflow: OverflowPolicy;
  storeQos0: boolean;
}

/** MQTT 5.0 §2.2.1: packet identifiers are 1..65535. */
const MAX_PACKET_ID = 65535;

export class Session {
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

  constructor(
    readonly clientId: string,
    private readonly limits: SessionLimits,
    private readonly onDrop: (session: Session, delivery: Delivery, reason: 'queue_full' | 'qos0_offline') => void,
  ) {
    this.queue = new BoundedQueue<Delivery>(limits.maxQueueLength, limits.overflow);
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
